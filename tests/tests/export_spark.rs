//! `rtcscope export` read by Apache Spark (PySpark, which scripts/install-deps.sh installs from
//! PyPI with Debian's Java runtime): docs/export.md's own PySpark code is run as it stands, in
//! one local Spark session, on the export of the project's recordings, and what Spark answers
//! equals what `rtcscope analyze --json` says of the same files: rows per table per capture,
//! packets per SSRC (from the streams and from the packet rows), the first and last packet's
//! nanosecond timestamps, the streams' loss and frames summed from their time bins, and the
//! docs' list of calls whose ICE never succeeded.
//!
//! Without java or python3 with pyspark the test prints `SKIPPED` (a failure with
//! `RTCSCOPE_REQUIRE_TOOLS=1`, as in CI). It takes about 30–60 s, most of it Spark's start.

use rtcscope_tests::{export_names, firefox_keys, keys_of, run, stderr, stdout};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Runs docs/export.md's ```python blocks in order in one namespace (they make the session),
/// then answers the SQL queries given on standard input (JSON `{name: sql}`) over a temporary
/// view per table, and the rows of the docs' `never` data frame; prints them as JSON after a
/// `RESULTS ` marker, and the seconds each part took.
const SPARK_RUNNER: &str = r#"
import datetime, decimal, json, os, re, sys, time
t0 = time.time()
os.chdir(sys.argv[1])
doc = open(sys.argv[2]).read()
queries = json.load(sys.stdin)
blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
assert blocks, "no python block in docs/export.md"
ns = {}
for b in blocks:
    exec(compile(b, "docs/export.md", "exec"), ns)
t1 = time.time()
spark = ns["spark"]
def plain(v):
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (datetime.datetime, datetime.date)):
        return str(v)
    return v
tables = ["captures", "packets", "flows", "streams", "stream_bins", "stream_frame_bins",
          "ice_checks", "turn", "dtls", "findings"]
for t in tables:
    spark.read.parquet("export/" + t).createOrReplaceTempView(t)
out = {"never": [[plain(v) for v in r] for r in ns["never"].collect()],
       "types": {t + "." + c: dict(spark.table(t).dtypes).get(c)
                 for t, c in [("packets", "time"), ("stream_bins", "bin_start"),
                              ("captures", "start"), ("captures", "capture")]}}
for name, q in queries.items():
    out[name] = [[plain(v) for v in r] for r in spark.sql(q).collect()]
out["seconds"] = {"docs": round(t1 - t0, 1), "checks": round(time.time() - t1, 1)}
print("RESULTS " + json.dumps(out))
spark.stop()
"#;

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

/// Runs `export -o dir OPTIONS FILES`; returns the capture names by file.
fn export(dir: &str, options: &[String], files: &[String]) -> BTreeMap<String, String> {
    let mut args = vec!["export", "-o", dir];
    args.extend(options.iter().map(String::as_str));
    args.extend(files.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let names: BTreeMap<String, String> = export_names(&stdout(&out));
    assert_eq!(names.len(), files.len(), "{}", stdout(&out));
    names
}

fn spark(python: &Path, cwd: &Path, queries: &BTreeMap<&str, String>) -> Value {
    let doc = rtcscope_testkit::workspace_root().join("docs/export.md");
    let out = rtcscope_testkit::run_with_stdin(
        Command::new(python)
            .args(["-c", SPARK_RUNNER])
            .arg(cwd)
            .arg(&doc)
            // One machine, two threads, few shuffle partitions (the data is small, and Spark's
            // default of 200 partitions per aggregation would be most of the time), and the JVM's
            // quick compiler only (-XX:TieredStopAtLevel=1: half the time of a run this short).
            .env(
                "PYSPARK_SUBMIT_ARGS",
                "--master local[2] --conf spark.sql.shuffle.partitions=2 \
             --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false \
             --driver-java-options=-XX:TieredStopAtLevel=1 pyspark-shell",
            ),
        serde_json::to_string(queries).unwrap().as_bytes(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "spark: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // What the docs' code printed (its show() tables), for the log.
    println!("{text}");
    let results = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULTS "))
        .unwrap_or_else(|| panic!("no results: {text}"));
    let v: Value = serde_json::from_str(results).unwrap();
    // The docs' tables as they were shown: the ICE question's answer among them.
    assert!(
        text.contains("|fail-symmetric-nat-capture"),
        "the docs' show() output: {text}"
    );
    v
}

/// Rows by their first `key` values (as JSON text) to the rest.
type Rows = BTreeMap<String, Vec<Value>>;

fn keyed(rows: &Value, key: usize) -> Rows {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let r = r.as_array().unwrap();
            (serde_json::to_string(&r[..key]).unwrap(), r[key..].to_vec())
        })
        .collect()
}

fn assert_same(what: &str, got: &Rows, want: &Rows) {
    for (k, v) in want {
        assert_eq!(got.get(k), Some(v), "{what} {k}");
    }
    assert_eq!(got.len(), want.len(), "{what}: rows");
}

#[test]
fn spark_runs_the_docs_code_and_agrees_with_analyze_json() {
    let test = "spark_runs_the_docs_code_and_agrees_with_analyze_json";
    if rtcscope_testkit::require_tool(test, "java").is_none() {
        return;
    }
    let Some(python) = rtcscope_testkit::require_python_module(test, "pyspark") else {
        return;
    };
    let files = recordings();
    let tmp = std::env::temp_dir().join(format!("rtcscope-export-spark-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let dir = tmp.join("export").to_string_lossy().into_owned();
    // The Firefox recordings with their keys, then the others added to the dataset.
    let (firefox, plain): (Vec<String>, Vec<String>) =
        files.iter().cloned().partition(|f| !keys_of(f).is_empty());
    let mut names = export(&dir, &firefox_keys(), &firefox);
    names.extend(export(&dir, &["--force".to_owned()], &plain));
    assert_eq!(names.len(), files.len());

    // What analyze --json says of each file, with the same keys and SDPs.
    let mut rows = Rows::new();
    let mut times = Rows::new();
    let mut per_ssrc = Rows::new();
    let mut udp_per_ssrc = Rows::new();
    let mut stream_sums = Rows::new();
    let mut never = Vec::new();
    for file in &files {
        let options = keys_of(file);
        let mut a = vec!["analyze", "--json"];
        a.extend(options.iter().map(String::as_str));
        a.push(file);
        let out = run(&a);
        let r: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{file}: {e}: {}", stderr(&out)));
        let c = json!(names[file]);
        let len = |x: &Value| x.as_array().unwrap().len();
        let pairs: Vec<&Value> = r["ice_sessions"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["pairs"].as_array().unwrap())
            .collect();
        let mut bins = 0;
        let mut frame_bins = 0;
        for s in r["streams"].as_array().unwrap() {
            let id = [
                c.clone(),
                s["ssrc"].clone(),
                s["src"].clone(),
                s["dst"].clone(),
                s["relay"].clone(),
            ];
            let n = s["packets"].as_u64().unwrap();
            let key = serde_json::to_string(&[c.clone(), s["ssrc"].clone()]).unwrap();
            let e = per_ssrc
                .entry(key.clone())
                .or_insert_with(|| vec![json!(0)]);
            e[0] = json!(e[0].as_u64().unwrap() + n);
            let outer = match s["relay"].as_u64() {
                Some(id) => &r["turn_allocations"][id as usize]["transport"],
                None => &s["flow"]["transport"],
            };
            if s["flow"]["transport"] == "udp" && outer == "udp" {
                let e = udp_per_ssrc.entry(key).or_insert_with(|| vec![json!(0)]);
                e[0] = json!(e[0].as_u64().unwrap() + n);
            }
            // Rows of stream_bins: bins that saw a packet or a round-trip time.
            let q = &s["quality"];
            let buckets = s["series"]["buckets"].as_array().unwrap();
            let nq = len(&q["expected"]);
            let nonzero = |f: &str, i: usize| q[f].get(i).is_some_and(|v| v != &json!(0));
            bins += (0..buckets.len().max(nq))
                .filter(|&i| {
                    buckets.get(i).is_some_and(|b| b["packets_fwd"] != 0)
                        || nonzero("expected", i)
                        || nonzero("received", i)
                        || nonzero("rtt_samples", i)
                })
                .count();
            let frames = &s["frames"];
            let binned: u64 = if frames.is_null() {
                0
            } else {
                let f = frames["frame_rate"]["frames"].as_array().unwrap();
                frame_bins += f.len();
                f.iter().map(|n| n.as_u64().unwrap()).sum()
            };
            stream_sums.insert(
                serde_json::to_string(&id).unwrap(),
                vec![
                    s["expected"].clone(),
                    s["lost"].clone(),
                    if frames.is_null() {
                        Value::Null
                    } else {
                        json!(binned)
                    },
                ],
            );
        }
        let counts = [
            ("captures", 1),
            (
                "packets",
                r["counters"]["packets"].as_u64().unwrap() as usize,
            ),
            ("flows", len(&r["flows"])),
            ("streams", len(&r["streams"])),
            ("stream_bins", bins),
            ("stream_frame_bins", frame_bins),
            ("ice_checks", pairs.len()),
            ("turn", len(&r["turn_allocations"])),
            ("dtls", len(&r["dtls"])),
            ("findings", len(&r["findings"])),
        ];
        for (table, n) in counts {
            // A table without rows for a capture has an empty file, which adds no group.
            if n > 0 {
                rows.insert(
                    serde_json::to_string(&[json!(table), c.clone()]).unwrap(),
                    vec![json!(n)],
                );
            }
        }
        times.insert(
            serde_json::to_string(std::slice::from_ref(&c)).unwrap(),
            vec![r["start_ns"].clone(), r["end_ns"].clone()],
        );
        if !pairs.iter().any(|p| !p["succeeded_ns"].is_null()) {
            let sum = |f: &str| pairs.iter().map(|p| p[f].as_u64().unwrap()).sum::<u64>();
            never.push(json!([
                c,
                pairs.len(),
                sum("requests") + sum("retransmissions"),
                sum("responses")
            ]));
        }
    }
    never.sort_by_key(|r| r[0].as_str().unwrap().to_owned());
    assert!(never.len() >= 2 && never.len() < files.len(), "{never:?}");

    let mut queries = BTreeMap::new();
    let counts: Vec<String> = [
        "captures",
        "packets",
        "flows",
        "streams",
        "stream_bins",
        "stream_frame_bins",
        "ice_checks",
        "turn",
        "dtls",
        "findings",
    ]
    .iter()
    .map(|t| format!("SELECT '{t}', capture, count(*) FROM {t} GROUP BY capture"))
    .collect();
    queries.insert("rows", counts.join(" UNION ALL "));
    queries.insert(
        "times",
        "SELECT capture, min(time), max(time) FROM packets GROUP BY capture".into(),
    );
    queries.insert(
        "per_ssrc",
        "SELECT capture, ssrc, sum(packets) FROM streams GROUP BY capture, ssrc".into(),
    );
    queries.insert(
        "rtp_rows",
        "SELECT capture, rtp_ssrc, count(*) FROM packets WHERE transport = 'udp' \
         AND (kind = 'rtp' OR inner_kind = 'rtp') AND relay_copy IS NULL \
         GROUP BY capture, rtp_ssrc"
            .into(),
    );
    queries.insert(
        "stream_sums",
        "SELECT s.capture, s.ssrc, s.src, s.dst, s.relay, b.expected, b.lost, f.frames \
         FROM streams s \
         LEFT JOIN (SELECT capture, ssrc, src, dst, relay, sum(expected) AS expected, \
                    sum(lost + duplicates) AS lost FROM stream_bins \
                    GROUP BY capture, ssrc, src, dst, relay) b \
           ON b.capture = s.capture AND b.ssrc = s.ssrc AND b.src = s.src \
              AND b.dst = s.dst AND b.relay <=> s.relay \
         LEFT JOIN (SELECT capture, ssrc, src, dst, relay, sum(frames) AS frames \
                    FROM stream_frame_bins GROUP BY capture, ssrc, src, dst, relay) f \
           ON f.capture = s.capture AND f.ssrc = s.ssrc AND f.src = s.src \
              AND f.dst = s.dst AND f.relay <=> s.relay"
            .into(),
    );
    let started = std::time::Instant::now();
    let r = spark(&python, &tmp, &queries);
    let took = started.elapsed().as_secs_f64();

    assert_same("rows per table per capture", &keyed(&r["rows"], 2), &rows);
    assert_same("first and last packet (ns)", &keyed(&r["times"], 1), &times);
    assert_same("packets per SSRC", &keyed(&r["per_ssrc"], 2), &per_ssrc);
    let rtp_rows = keyed(&r["rtp_rows"], 2);
    for (key, v) in &udp_per_ssrc {
        assert_eq!(rtp_rows.get(key), Some(v), "RTP packet rows of {key}");
    }
    // Every stream's bins, summed by Spark: its expected and lost packets, and its binned
    // frames.
    assert_same(
        "streams' bins summed",
        &keyed(&r["stream_sums"], 5),
        &stream_sums,
    );
    assert_eq!(r["never"], json!(never), "the docs' ICE question");
    // Spark reads the nanosecond times as longs (spark.sql.legacy.parquet.nanosAsLong, which
    // the docs' code sets), and the capture names as text.
    assert_eq!(
        r["types"],
        json!({"packets.time": "bigint", "stream_bins.bin_start": "bigint",
               "captures.start": "bigint", "captures.capture": "string"}),
    );
    eprintln!(
        "{test}: {} captures, {} table partitions with rows, {} streams; Spark {:.0} s \
         (docs' code {} s, checks {} s)",
        files.len(),
        rows.len(),
        stream_sums.len(),
        took,
        r["seconds"]["docs"],
        r["seconds"]["checks"]
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
