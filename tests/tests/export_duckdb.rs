//! `rtcscope export` on the project's recordings, read back by DuckDB (the `duckdb` Python
//! package, which scripts/install-deps.sh installs): row counts and aggregates equal what
//! `rtcscope analyze --json` says of the same files (packets per capture and per SSRC, bytes
//! per flow, checks per candidate pair, from the report tables and from the packet rows), in
//! Parquet, CSV and JSON Lines alike; and every DuckDB query in docs/export.md runs. The
//! streams' time bins bin by bin (bandwidth, loss, jitter, RTT) and their frame columns and
//! frame-rate bins equal the JSON's, on the recordings (the Firefox calls decrypted with their
//! key logs and SDPs) and on corpus captures with losses and late packets.
//!
//! Without python3 and duckdb the DuckDB tests print `SKIPPED`, the corpus test too without
//! the corpus (failures with `RTCSCOPE_REQUIRE_TOOLS=1` / `RTCSCOPE_REQUIRE_CORPUS=1`, as in
//! CI); the damaged-capture test needs neither.

use rtcscope_tests::{export_names, keys_of, run, stderr, stdout};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Answers a list of SQL queries (JSON on standard input) with their rows (JSON on standard
/// output), run from the folder given as the first argument.
const DUCKDB_RUNNER: &str = r#"
import duckdb, json, os, sys
os.chdir(sys.argv[1])
con = duckdb.connect()
out = []
for q in json.load(sys.stdin):
    try:
        rows = con.execute(q).fetchall()
    except Exception as e:
        print(json.dumps({"query": q, "error": str(e)}))
        sys.exit(1)
    out.append([[v if v is None or isinstance(v, (bool, int, float, str)) else str(v)
                 for v in r] for r in rows])
print(json.dumps(out))
"#;

fn duckdb(python: &Path, cwd: &Path, queries: &[String]) -> Vec<Vec<Vec<Value>>> {
    let out = rtcscope_testkit::run_with_stdin(
        Command::new(python).args(["-c", DUCKDB_RUNNER]).arg(cwd),
        serde_json::to_string(queries).unwrap().as_bytes(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "duckdb: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn scratch(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rtcscope-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The project's recordings: every pcap and pcapng under fixtures/.
fn recordings() -> Vec<String> {
    let root = rtcscope_testkit::workspace_root();
    let mut files: Vec<String> = rtcscope_testkit::captures_under(&rtcscope_testkit::fixtures())
        .into_iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    files
}

/// Runs `export` and returns the capture names by file, from its `capture=NAME\tFILE` lines.
fn export(files: &[String], dir: &Path, format: &str) -> BTreeMap<String, String> {
    export_with(files, dir, format, &[])
}

/// As [`export`], with more options (`--keylog`, `--sdp`) before the files.
fn export_with(
    files: &[String],
    dir: &Path,
    format: &str,
    options: &[String],
) -> BTreeMap<String, String> {
    let mut args = vec!["export", "--format", format, "-o"];
    let d = dir.to_string_lossy().into_owned();
    args.push(&d);
    args.extend(options.iter().map(String::as_str));
    args.extend(files.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let names: BTreeMap<String, String> = export_names(&stdout(&out));
    assert_eq!(names.len(), files.len(), "{}", stdout(&out));
    names
}

fn analyze(file: &str) -> Value {
    analyze_with(file, &[])
}

fn analyze_with(file: &str, options: &[String]) -> Value {
    let mut args = vec!["analyze", "--json"];
    args.extend(options.iter().map(String::as_str));
    args.push(file);
    let out = run(&args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{file}: {e}: {}", stderr(&out)))
}

/// Rows by their first `key` values (as JSON text: JSON values have no order), to the rest.
type Rows = BTreeMap<String, Vec<Value>>;

fn k(key: &[Value]) -> String {
    serde_json::to_string(key).unwrap()
}

fn keyed(rows: &[Vec<Value>], key: usize) -> Rows {
    rows.iter()
        .map(|r| (k(&r[..key]), r[key..].to_vec()))
        .collect()
}

fn add(m: &mut Rows, key: &[Value], n: u64) {
    let e = m.entry(k(key)).or_insert_with(|| vec![json!(0)]);
    e[0] = json!(e[0].as_u64().unwrap() + n);
}

fn assert_same(what: &str, got: &Rows, want: &Rows) {
    for (k, v) in want {
        assert_eq!(got.get(k), Some(v), "{what} {k}");
    }
    assert_eq!(got.len(), want.len(), "{what}: rows");
}

#[test]
fn duckdb_reads_the_export_with_analyze_json_figures() {
    let test = "duckdb_reads_the_export_with_analyze_json_figures";
    let Some(python) = rtcscope_testkit::require_python_module(test, "duckdb") else {
        return;
    };
    let files = recordings();
    let tmp = scratch("export-duckdb");
    let names = export(&files, &tmp.join("export"), "parquet");
    export(&files, &tmp.join("export-csv"), "csv");
    export(&files, &tmp.join("export-jsonl"), "jsonl");

    // What analyze --json says of each file, keyed by capture name.
    let mut packets = BTreeMap::new();
    let mut per_ssrc = BTreeMap::new();
    let mut udp_per_ssrc = BTreeMap::new();
    let mut flow_bytes = BTreeMap::new();
    let mut flows = BTreeMap::new();
    let mut pairs = BTreeMap::new();
    let mut checks = BTreeMap::new();
    for file in &files {
        let r = analyze(file);
        let c = json!(names[file]);
        packets.insert(
            k(std::slice::from_ref(&c)),
            vec![r["counters"]["packets"].clone()],
        );
        for s in r["streams"].as_array().unwrap() {
            let n = s["packets"].as_u64().unwrap();
            add(&mut per_ssrc, &[c.clone(), s["ssrc"].clone()], n);
            // Carried in UDP datagrams all the way (not inside TURN over TCP).
            let outer = match s["relay"].as_u64() {
                Some(id) => &r["turn_allocations"][id as usize]["transport"],
                None => &s["flow"]["transport"],
            };
            if s["flow"]["transport"] == "udp" && outer == "udp" {
                add(&mut udp_per_ssrc, &[c.clone(), s["ssrc"].clone()], n);
            }
        }
        for f in r["flows"].as_array().unwrap() {
            let key = vec![
                c.clone(),
                f["transport"].clone(),
                f["a"].clone(),
                f["b"].clone(),
            ];
            if f["relay"].is_null() {
                flow_bytes.insert(k(&key), vec![f["bytes"][0].clone(), f["bytes"][1].clone()]);
            }
            let mut key = key;
            key.push(f["relay"].clone());
            flows.insert(
                k(&key),
                vec![
                    f["packets"][0].clone(),
                    f["packets"][1].clone(),
                    f["bytes"][0].clone(),
                    f["bytes"][1].clone(),
                ],
            );
        }
        for s in r["ice_sessions"].as_array().unwrap() {
            let selected: Vec<&Value> = s["selected"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| &x["pair"])
                .collect();
            for p in s["pairs"].as_array().unwrap() {
                // Checks per pair as the packet rows show them: a direct pair's by its
                // addresses; a relayed pair's inside the relay, where the rows name the inner
                // flow (either way round) and its allocation, so a pair and its reverse add up.
                let (req, sent) = (
                    p["requests"].as_u64().unwrap(),
                    p["requests"].as_u64().unwrap() + p["retransmissions"].as_u64().unwrap(),
                );
                let key = if p["relay"].is_null() {
                    k(&[c.clone(), p["local"].clone(), p["remote"].clone()])
                } else {
                    let (l, r) = (p["local"].as_str().unwrap(), p["remote"].as_str().unwrap());
                    k(&[
                        c.clone(),
                        p["relay"].clone(),
                        json!(l.min(r)),
                        json!(l.max(r)),
                    ])
                };
                let e = checks
                    .entry(key)
                    .or_insert_with(|| vec![json!(0), json!(0)]);
                e[0] = json!(e[0].as_u64().unwrap() + req);
                e[1] = json!(e[1].as_u64().unwrap() + sent);
                pairs.insert(
                    k(&[c.clone(), s["id"].clone(), p["id"].clone()]),
                    vec![
                        p["local"].clone(),
                        p["remote"].clone(),
                        p["requests"].clone(),
                        p["retransmissions"].clone(),
                        p["responses"].clone(),
                        p["nominated"].clone(),
                        json!(selected.contains(&&p["id"])),
                        p["state"].clone(),
                    ],
                );
            }
        }
    }
    assert!(per_ssrc.len() > 20 && pairs.len() > 20 && flows.len() > 50);

    let t = |table: &str| {
        format!("read_parquet('export/{table}/*/*.parquet', hive_partitioning = true)")
    };
    let queries = vec![
        format!("SELECT capture, packets FROM {}", t("captures")),
        format!(
            "SELECT capture, count(*) FROM {} GROUP BY capture",
            t("packets")
        ),
        format!(
            "SELECT capture, ssrc, sum(packets) FROM {} GROUP BY ALL",
            t("streams")
        ),
        format!(
            "SELECT capture, rtp_ssrc, count(*) FROM {} WHERE transport = 'udp' \
             AND (kind = 'rtp' OR inner_kind = 'rtp') AND relay_copy IS NULL GROUP BY ALL",
            t("packets")
        ),
        format!(
            "SELECT capture, transport, flow_a, flow_b, \
             coalesce(sum(payload_len) FILTER (WHERE direction = 'a_to_b'), 0), \
             coalesce(sum(payload_len) FILTER (WHERE direction = 'b_to_a'), 0) \
             FROM {} WHERE flow_a IS NOT NULL GROUP BY ALL",
            t("packets")
        ),
        format!(
            "SELECT capture, transport, a, b, relay, packets_ab, packets_ba, bytes_ab, bytes_ba \
             FROM {}",
            t("flows")
        ),
        format!(
            "SELECT capture, session, pair, local, remote, requests, retransmissions, responses, \
             nominated, selected, state FROM {}",
            t("ice_checks")
        ),
        "SELECT capture, count(*) FROM read_csv('export-csv/packets/*/*.csv', \
         hive_partitioning = true) GROUP BY capture"
            .into(),
        "SELECT capture, ssrc, sum(packets) FROM read_csv('export-csv/streams/*/*.csv', \
         hive_partitioning = true) GROUP BY ALL"
            .into(),
        "SELECT capture, count(*) FROM read_json('export-jsonl/packets/*/*.jsonl', \
         hive_partitioning = true) GROUP BY capture"
            .into(),
        "SELECT capture, ssrc, sum(packets) FROM read_json('export-jsonl/streams/*/*.jsonl', \
         hive_partitioning = true) GROUP BY ALL"
            .into(),
        // ICE checks from the packet rows: requests (distinct transactions) and requests sent
        // (retransmissions included), the second sighting of a relayed check left out.
        format!(
            "SELECT capture, \
             CASE WHEN contains(src_ip, ':') THEN '[' || src_ip || ']' ELSE src_ip END \
               || ':' || src_port, \
             CASE WHEN contains(dst_ip, ':') THEN '[' || dst_ip || ']' ELSE dst_ip END \
               || ':' || dst_port, \
             count(DISTINCT stun_transaction_id), count(*) FROM {} \
             WHERE ice_session IS NOT NULL AND stun_class = 'request' AND relay_copy IS NULL \
             AND inner_kind IS NULL GROUP BY ALL",
            t("packets")
        ),
        format!(
            "SELECT capture, inner_relay, least(inner_a, inner_b), greatest(inner_a, inner_b), \
             count(DISTINCT stun_transaction_id), count(*) FROM {} \
             WHERE ice_session IS NOT NULL AND stun_class = 'request' AND relay_copy IS NULL \
             AND inner_kind IS NOT NULL GROUP BY ALL",
            t("packets")
        ),
    ];
    let r = duckdb(&python, &tmp, &queries);
    assert_same("captures.packets", &keyed(&r[0], 1), &packets);
    assert_same("packet rows", &keyed(&r[1], 1), &packets);
    assert_same("streams: packets per SSRC", &keyed(&r[2], 2), &per_ssrc);
    // Packet rows of RTP per SSRC: the streams' packets (on UDP, where a datagram is one
    // message; other SSRCs are stray datagrams that never passed probation).
    let rows = keyed(&r[3], 2);
    for (key, v) in &udp_per_ssrc {
        assert_eq!(rows.get(key), Some(v), "RTP packet rows of {key}");
    }
    assert_same("packet rows: bytes per flow", &keyed(&r[4], 4), &flow_bytes);
    assert_same("flows", &keyed(&r[5], 5), &flows);
    assert_same("ice_checks", &keyed(&r[6], 3), &pairs);
    assert_same("CSV packet rows", &keyed(&r[7], 1), &packets);
    assert_same("CSV streams", &keyed(&r[8], 2), &per_ssrc);
    assert_same("JSON Lines packet rows", &keyed(&r[9], 1), &packets);
    assert_same("JSON Lines streams", &keyed(&r[10], 2), &per_ssrc);
    let mut got = keyed(&r[11], 3);
    got.extend(keyed(&r[12], 4));
    assert_same("packet rows: ICE checks per pair", &got, &checks);

    // Every query of docs/export.md runs on this dataset, and the ICE question finds the
    // recordings whose ICE failed.
    let doc =
        std::fs::read_to_string(rtcscope_testkit::workspace_root().join("docs/export.md")).unwrap();
    let blocks: Vec<String> = doc
        .split("```sql\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_owned())
        .collect();
    assert!(blocks.len() >= 8, "{} SQL blocks", blocks.len());
    let results = duckdb(&python, &tmp, &blocks);
    let never = blocks
        .iter()
        .position(|b| b.contains("ice_pairs_succeeded = 0"))
        .unwrap();
    let failed: Vec<&str> = results[never]
        .iter()
        .filter_map(|r| r[0].as_str())
        .collect();
    for expected in [
        "fail-symmetric-nat-capture",
        "fail-turn-credentials-capture",
    ] {
        assert!(failed.contains(&expected), "{failed:?}");
    }
    assert!(!failed.contains(&"direct-capture"), "{failed:?}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Exports every recording into `dir`: the Firefox ones with their keys and SDPs, by the
/// shell command docs/export.md gives for them (run as it stands, but for the binary's path and
/// the output folder), then the others joining the dataset with `--force`; returns the capture
/// names by file.
fn export_all_with_keys(files: &[String], dir: &Path) -> BTreeMap<String, String> {
    let (keyed, plain): (Vec<String>, Vec<String>) =
        files.iter().cloned().partition(|f| !keys_of(f).is_empty());
    // Every Firefox recording has its key log.
    let firefox = files
        .iter()
        .filter(|f| f.starts_with("fixtures/webrtc/firefox-"))
        .count();
    assert!(firefox >= 3, "{files:?}");
    assert_eq!(keyed.len(), firefox, "{keyed:?}");
    let root = rtcscope_testkit::workspace_root();
    let doc = std::fs::read_to_string(root.join("docs/export.md")).unwrap();
    let command = doc
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("--keylog"))
        .expect("docs/export.md's command for the Firefox recordings");
    let command = command
        .replacen(
            "rtcscope ",
            &format!("'{}' ", rtcscope_tests::bin().display()),
            1,
        )
        .replacen("-o export", &format!("-o '{}'", dir.display()), 1);
    let out = Command::new("sh")
        .args(["-c", &command])
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{command}: {}", stderr(&out));
    let mut names: BTreeMap<String, String> = export_names(&stdout(&out));
    assert_eq!(
        names.keys().collect::<Vec<_>>(),
        keyed.iter().collect::<Vec<_>>(),
        "{command}"
    );
    let rest = export_with(&plain, dir, "parquet", &["--force".to_owned()]);
    assert!(
        rest.values().all(|n| !names.values().any(|m| m == n)),
        "{rest:?}"
    );
    names.extend(rest);
    names
}

/// What the quality columns were checked on.
#[derive(Debug, Default)]
struct QualityCounts {
    /// `stream_bins` rows.
    bins: usize,
    /// Bins with a round-trip time, a jitter, a positive and a negative `lost`, a late packet.
    rtt: usize,
    jitter: usize,
    lost: usize,
    negative_lost: usize,
    reordered: usize,
    /// Streams with frames, `stream_frame_bins` rows.
    video_streams: usize,
    frame_bins: usize,
    /// Streams of over 100 frames whose complete frames are all in their bins.
    all_frames_binned: usize,
}

/// Checks the export in `tmp/export` of `files` (named `names`, exported with
/// `options_of(file)`) against `analyze --json` with the same options: every `stream_bins` row
/// equals the JSON's series and quality columns for that bin, each stream's bins add up to its
/// totals, and the streams' frame columns and `stream_frame_bins` equal the JSON's frames.
fn quality_round_trip(
    python: &Path,
    tmp: &Path,
    files: &[String],
    names: &BTreeMap<String, String>,
    options_of: &dyn Fn(&str) -> Vec<String>,
) -> QualityCounts {
    // What analyze --json says, with the same keys and SDPs.
    let mut bins = Rows::new();
    let mut sums = Rows::new();
    let mut frames = Rows::new();
    let mut frame_bins = Rows::new();
    let mut n = QualityCounts::default();
    for file in files {
        let r = analyze_with(file, &options_of(file));
        let c = json!(names[file]);
        for s in r["streams"].as_array().unwrap() {
            let id = [
                c.clone(),
                s["ssrc"].clone(),
                s["src"].clone(),
                s["dst"].clone(),
                s["relay"].clone(),
            ];
            let (series, q) = (&s["series"], &s["quality"]);
            // One grid: bucket i of the bandwidth series is bucket i of the quality series.
            assert_eq!(series["start_ns"], q["start_ns"], "{file}");
            assert_eq!(series["bucket_ns"], q["bucket_ns"], "{file}");
            let (start, width) = (
                series["start_ns"].as_i64().unwrap(),
                series["bucket_ns"].as_i64().unwrap(),
            );
            let buckets = series["buckets"].as_array().unwrap();
            let col = |f: &str, i: usize| q[f].get(i).cloned();
            let len = buckets.len().max(q["expected"].as_array().unwrap().len());
            let mut lost_unique = 0i64;
            for i in 0..len {
                let packets = buckets
                    .get(i)
                    .map_or(0, |b| b["packets_fwd"].as_u64().unwrap());
                let expected = col("expected", i).map_or(0, |v| v.as_u64().unwrap());
                let received = col("received", i).map_or(0, |v| v.as_u64().unwrap());
                let samples = col("rtt_samples", i).map_or(0, |v| v.as_u64().unwrap());
                if packets == 0 && expected == 0 && received == 0 && samples == 0 {
                    continue; // a bin that saw nothing is no row
                }
                let mut key = id.to_vec();
                key.push(json!(start + width * i as i64));
                let mut row = vec![
                    json!(width),
                    json!(packets),
                    buckets.get(i).map_or(json!(0), |b| b["bytes_fwd"].clone()),
                ];
                for f in [
                    "expected",
                    "received",
                    "duplicates",
                    "lost",
                    "reordered",
                    "jitter_ms",
                    "jitter_max_ms",
                    "rtt_samples",
                    "rtt_min_ms",
                    "rtt_mean_ms",
                    "rtt_max_ms",
                ] {
                    row.push(col(f, i).unwrap_or(Value::Null));
                }
                n.rtt += usize::from(samples > 0);
                n.jitter += usize::from(!q["jitter_ms"][i].is_null());
                n.negative_lost += usize::from(q["lost"][i].as_i64().unwrap() < 0);
                n.lost += usize::from(q["lost"][i].as_i64().unwrap() > 0);
                n.reordered += usize::from(q["reordered"][i].as_u64().unwrap() > 0);
                lost_unique +=
                    q["lost"][i].as_i64().unwrap() + q["duplicates"][i].as_i64().unwrap();
                bins.insert(k(&key), row);
            }
            // The bins add up to the stream's own totals.
            assert_eq!(json!(lost_unique), s["lost"], "{file} {}", s["ssrc"]);
            sums.insert(
                k(&id),
                vec![
                    s["expected"].clone(),
                    json!(lost_unique),
                    s["packets"].clone(),
                    s["reordered"].clone(),
                ],
            );
            let f = &s["frames"];
            if f.is_null() {
                continue;
            }
            frames.insert(
                k(&id),
                vec![
                    f["codec"].clone(),
                    f["frames"].clone(),
                    f["key_frames"].clone(),
                    f["complete_frames"].clone(),
                    f["resolution"]["width"].clone(),
                    f["resolution"]["height"].clone(),
                    f["resolutions"].clone(),
                    f["resolution_changes"].clone(),
                    f["frames_per_second"].clone(),
                    f["freezes"].clone(),
                    f["freeze_total_ms"].clone(),
                    f["freeze_list"].clone(),
                    f["unreadable_payloads"].clone(),
                    f["late_packets"].clone(),
                    f["timestamp_jumps"].clone(),
                ],
            );
            let fr = &f["frame_rate"];
            let (fs, fw) = (
                fr["start_ns"].as_i64().unwrap(),
                fr["bucket_ns"].as_i64().unwrap(),
            );
            for (i, count) in fr["frames"].as_array().unwrap().iter().enumerate() {
                let mut key = id.to_vec();
                key.push(json!(fs + fw * i as i64));
                frame_bins.insert(k(&key), vec![json!(fw), count.clone()]);
            }
        }
    }
    let t = |table: &str| {
        format!("read_parquet('export/{table}/*/*.parquet', hive_partitioning = true)")
    };
    let id = "capture, ssrc, src, dst, relay";
    let queries = vec![
        format!(
            "SELECT {id}, epoch_ns(bin_start), bin_ns, packets, bytes, expected, received, \
             duplicates, lost, reordered, jitter_ms, jitter_max_ms, rtt_samples, rtt_min_ms, \
             rtt_mean_ms, rtt_max_ms FROM {}",
            t("stream_bins")
        ),
        // The bins summed per stream, beside the stream's own totals.
        format!(
            "SELECT {id}, sum(b.expected), sum(b.lost + b.duplicates), sum(b.received), \
             sum(b.reordered) FROM {} b GROUP BY ALL",
            t("stream_bins")
        ),
        format!(
            "SELECT {id}, expected, lost, packets, reordered FROM {}",
            t("streams")
        ),
        format!(
            "SELECT {id}, frames_codec, frames, key_frames, complete_frames, width, height, \
             resolutions, resolution_changes, frames_per_second, freezes, \
             freeze_total_ms, freeze_list, unreadable_payloads, late_packets, \
             timestamp_jumps FROM {} WHERE frames IS NOT NULL",
            t("streams")
        ),
        format!(
            "SELECT {id}, epoch_ns(bin_start), bin_ns, frames FROM {}",
            t("stream_frame_bins")
        ),
        // Frames per stream: the bins' sum beside the stream's complete frames.
        format!(
            "SELECT capture, ssrc, src, dst, s.relay, sum(b.frames), \
             any_value(s.complete_frames), any_value(s.frames) \
             FROM {} b JOIN {} s USING (capture, ssrc, src, dst) \
             WHERE b.relay IS NOT DISTINCT FROM s.relay GROUP BY ALL",
            t("stream_frame_bins"),
            t("streams")
        ),
    ];
    let r = duckdb(python, tmp, &queries);
    assert_same("stream_bins", &keyed(&r[0], 6), &bins);
    assert_same("stream_bins summed", &keyed(&r[1], 5), &sums);
    assert_same("streams' totals", &keyed(&r[2], 5), &sums);
    // The JSON text columns, parsed to compare.
    let parsed: Vec<Vec<Value>> = r[3]
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, v)| match (i, v.as_str()) {
                    (11 | 16, Some(text)) => serde_json::from_str(text).unwrap(),
                    _ => v.clone(),
                })
                .collect()
        })
        .collect();
    assert_same("streams' frames", &keyed(&parsed, 5), &frames);
    assert_same("stream_frame_bins", &keyed(&r[4], 6), &frame_bins);
    n.bins = bins.len();
    n.video_streams = frames.len();
    n.frame_bins = frame_bins.len();
    for row in &r[5] {
        let (binned, complete, all) = (
            row[5].as_u64().unwrap(),
            row[6].as_u64().unwrap(),
            row[7].as_u64().unwrap(),
        );
        // Complete frames in timestamp order are binned; a late completion of an older frame
        // is counted but in no bin.
        assert!(binned <= complete && complete <= all, "{row:?}");
        n.all_frames_binned += usize::from(binned > 100 && binned == complete);
    }
    n
}

#[test]
fn duckdb_reads_quality_and_frame_bins_as_analyze_json() {
    let test = "duckdb_reads_quality_and_frame_bins_as_analyze_json";
    let Some(python) = rtcscope_testkit::require_python_module(test, "duckdb") else {
        return;
    };
    let files = recordings();
    let tmp = scratch("export-duckdb-quality");
    let names = export_all_with_keys(&files, &tmp.join("export"));

    let counts = quality_round_trip(&python, &tmp, &files, &names, &keys_of);
    // The recordings have what the columns are for: RTT from decrypted SRTCP, and the frames
    // of the Firefox calls' video (they lost nothing: the corpus test below has loss).
    assert!(
        counts.bins > 2000 && counts.rtt > 50 && counts.jitter > 2000,
        "{counts:?}"
    );
    assert!(
        counts.video_streams >= 6 && counts.frame_bins > 60 && counts.all_frames_binned >= 5,
        "{counts:?}"
    );
    eprintln!("{test}: equal to analyze --json: {counts:?}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn duckdb_reads_the_corpus_loss_and_reordering_bins_as_analyze_json() {
    let test = "duckdb_reads_the_corpus_loss_and_reordering_bins_as_analyze_json";
    let Some(python) = rtcscope_testkit::require_python_module(test, "duckdb") else {
        return;
    };
    let Some(corpus) = rtcscope_testkit::corpus(test) else {
        return;
    };
    // Third-party captures with losses (a TURN call over UDP and over TCP, a VP9 stream with
    // gaps) and late packets (an H.264 stream).
    let files: Vec<String> = [
        "veondigital-srtp_decoder/udp_call_02_03_client.pcap",
        "veondigital-srtp_decoder/wifi-tcp_to_3g_2.pcap",
        "str0m/vp9.pcap",
        "membrane_rtp_plugin/h264_before_sr.pcap",
    ]
    .iter()
    .map(|f| corpus.join(f).to_string_lossy().into_owned())
    .collect();
    let tmp = scratch("export-duckdb-corpus");
    let names = export(&files, &tmp.join("export"), "parquet");
    let counts = quality_round_trip(&python, &tmp, &files, &names, &|_| Vec::new());
    assert!(
        counts.lost >= 20 && counts.negative_lost >= 5 && counts.reordered >= 20,
        "{counts:?}"
    );
    eprintln!("{test}: equal to analyze --json: {counts:?}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The lines of a CSV table's partition, header included.
fn csv_lines(dir: &Path, table: &str, name: &str) -> usize {
    let p = dir
        .join(table)
        .join(format!("capture={name}"))
        .join("part-0.csv");
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .count()
}

#[test]
fn a_damaged_capture_is_named_and_the_rest_exported() {
    let tmp = scratch("export-damaged");
    let root = rtcscope_testkit::workspace_root();
    // A capture that breaks off inside a record, and a file that is no capture at all.
    let whole = std::fs::read(root.join("fixtures/webrtc/direct/capture.pcapng")).unwrap();
    let broken = tmp.join("broken.pcapng");
    std::fs::write(&broken, &whole[..whole.len() * 2 / 3]).unwrap();
    let junk = tmp.join("notes.pcap");
    std::fs::write(&junk, "not a capture").unwrap();
    let good = "fixtures/captures/turn-udp.pcapng";
    let out_dir = tmp.join("out");
    let out = run(&[
        "export",
        "--format",
        "csv",
        "-o",
        &out_dir.to_string_lossy(),
        &broken.to_string_lossy(),
        &junk.to_string_lossy(),
        good,
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("broken.pcapng: file ends inside a record at byte")
            && err.contains("(exported everything before it)"),
        "{err}"
    );
    assert!(
        err.contains("notes.pcap") && err.contains("not exported"),
        "{err}"
    );
    // The broken capture is exported up to the break, as analyze reads it.
    let report = analyze(&broken.to_string_lossy());
    let n = report["counters"]["packets"].as_u64().unwrap();
    assert!(n > 1000);
    assert_eq!(csv_lines(&out_dir, "packets", "broken") as u64, n + 1);
    let captures =
        std::fs::read_to_string(out_dir.join("captures/capture=broken/part-0.csv")).unwrap();
    assert!(
        captures.contains("file ends inside a record at byte"),
        "{captures}"
    );
    // The good one is whole.
    let report = analyze(good);
    assert_eq!(
        csv_lines(&out_dir, "packets", "turn-udp") as u64,
        report["counters"]["packets"].as_u64().unwrap() + 1
    );
    assert!(!out_dir.join("packets/capture=notes").exists());

    // The folder now holds files: refused without --force, which replaces only these
    // captures' partitions.
    let again = run(&["export", "-o", &out_dir.to_string_lossy(), good]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("is not empty"),
        "{}",
        stderr(&again)
    );
    let forced = run(&[
        "export",
        "--force",
        "--format",
        "csv",
        "-o",
        &out_dir.to_string_lossy(),
        good,
    ]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(out_dir.join("packets/capture=broken/part-0.csv").is_file());
    // Another file of the same name would be named alike: refused, and the first one kept.
    let other = tmp.join("elsewhere/turn-udp.pcapng");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::copy(root.join(good), &other).unwrap();
    let taken = run(&[
        "export",
        "--force",
        "--format",
        "csv",
        "-o",
        &out_dir.to_string_lossy(),
        &other.to_string_lossy(),
    ]);
    let err = stderr(&taken);
    assert_eq!(taken.status.code(), Some(1), "{err}");
    assert!(
        err.contains("capture=turn-udp holds fixtures/captures/turn-udp.pcapng"),
        "{err}"
    );
    assert_eq!(
        csv_lines(&out_dir, "packets", "turn-udp") as u64,
        report["counters"]["packets"].as_u64().unwrap() + 1
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
