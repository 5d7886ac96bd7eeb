//! Every capture, every command, with a budget (issue #16: no capture can hang rtcscope or
//! make it slow or large).
//!
//! `rtcscope analyze`, `rtcscope analyze --json` and `rtcscope dissect -V` run on every capture
//! in `fixtures/` and in the shared corpus, and on damaged variants of each made here,
//! deterministically (rtcscope_testkit::capture_variants): four truncations (after the file
//! header, half way at a record boundary, in the middle of a record, one byte short), three
//! variants with bytes flipped only inside packet data (8 bytes, one in 256, one in 32), and two
//! with bytes flipped in file and record headers. Each run is killed after its budget,
//! max(20 s, 100 × the same command on the clean file), which no healthy run comes near.
//!
//! A run fails on a timeout, a panic ("panicked" on standard error, exit status 101, or death
//! by a signal), an exit status other than 0 (clean), 1 (damage reported) or 2 (not a capture
//! at all), or a report that drops packets silently: the JSON report's packet counter, the text
//! report's `Capture: N packets` and the number of `Frame N:` trees of `dissect -V` must equal
//! the number of records the capture reader reads from that file, which for the clean and the
//! data-flipped variants is every record of the file (for the clean file, checked against
//! `capinfos`, another implementation, when it is installed).
//!
//! Failures are keyed `<suite> <capture>#<variant> <command> <kind>` in
//! `tests/expected-failures.tsv` (suites `every-capture-fixtures`, `every-capture-corpus`); a listed one is reported with its reason, an unlisted one
//! fails the suite, and so does a listed one that stopped happening. A failing variant is kept
//! under `target/tmp/every_capture/` to rerun by hand.
//!
//! Runs go two at a time (the machines have two cores). With a debug build on an idle two-core
//! machine the fixtures take about 15 s (14 captures, 420 runs) and the corpus about 25 s (31
//! captures, 930 runs), every variant included.
//!
//! The no-false-positive test runs `analyze --json` on the non-WebRTC captures
//! (`fixtures/captures/nonwebrtc/`, TLS, XMPP, DNS, QUIC-like, mDNS, SSDP, NTP): no ICE session,
//! no RTP stream, no DTLS association, no TURN allocation, and no flow counting a packet as a
//! WebRTC protocol. The damaged TURN-over-TCP capture there must keep the TURN allocations and
//! nearly every STUN and ChannelData message of the undamaged capture.

use rtcscope_testkit::{require_tool, Expectations};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rtcscope_testkit::capture_variants::{self, Capture, Kind, Variant, FULL};

/// The smallest budget of a run on a damaged variant.
const MIN_BUDGET: Duration = Duration::from_secs(20);
/// A damaged variant may take this many times as long as the clean file.
const SLOWDOWN: u32 = 100;
/// The budget of a run on a clean file.
const CLEAN_BUDGET: Duration = Duration::from_secs(120);
/// Children at once.
const PARALLEL: usize = 2;

/// The commands, as their names and arguments (the file follows).
const COMMANDS: [(&str, &[&str]); 3] = [
    ("analyze", &["analyze"]),
    ("analyze --json", &["analyze", "--json"]),
    ("dissect -V", &["dissect", "-V"]),
];

/// What one run did.
struct Outcome {
    elapsed: Duration,
    timed_out: bool,
    /// Exit status; `None` when a signal ended it.
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs `rtcscope ARGS FILE`, killing it after `budget`.
fn run_with_budget(args: &[&str], file: &Path, budget: Duration) -> Outcome {
    let start = Instant::now();
    let mut child = Command::new(rtcscope_tests::bin())
        .args(args)
        .arg(file)
        .current_dir(rtcscope_testkit::workspace_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rtcscope starts");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting for rtcscope") {
            break s;
        }
        if start.elapsed() > budget {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("reaping rtcscope");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    Outcome {
        elapsed,
        timed_out,
        code: status.code(),
        stdout: out_reader.join().unwrap_or_default(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned(),
    }
}

/// One observed failure: (sample, field, kind, detail).
type Failure = (String, String, String, String);

/// Checks one outcome; returns the failure kind and detail, if any.
fn check(command: &str, v: &Variant, records: u64, o: &Outcome) -> Option<(String, String)> {
    let fail = |kind: &str, detail: String| Some((kind.to_owned(), detail));
    if o.timed_out {
        return fail(
            "timeout",
            format!("killed after {:.1} s", o.elapsed.as_secs_f64()),
        );
    }
    if let Some(line) = o.stderr.lines().find(|l| l.contains("panicked")) {
        return fail("panic", line.to_owned());
    }
    let code = match o.code {
        None => return fail("signal", "ended by a signal".into()),
        Some(101) => return fail("panic", "exit status 101".into()),
        Some(c) => c,
    };
    let opens = rtcscope_capture::CaptureReader::new(&v.bytes[..]).is_ok();
    let allowed: &[i32] = match (v.kind, opens) {
        (_, false) => &[2],
        (Kind::Clean, true) => &[0],
        (_, true) => &[0, 1],
    };
    if !allowed.contains(&code) {
        let first = o.stderr.lines().next().unwrap_or_default();
        return fail("exit-status", format!("exit status {code}: {first}"));
    }
    if code == 2 {
        return None;
    }
    let stdout = String::from_utf8_lossy(&o.stdout);
    let counted = match command {
        "analyze --json" => match serde_json::from_slice::<Value>(&o.stdout) {
            Ok(report) => report["counters"]["packets"].as_u64(),
            Err(e) => return fail("json", format!("not JSON: {e}")),
        },
        "analyze" => stdout
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("Capture: "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok()),
        _ => Some(
            stdout
                .lines()
                .filter(|l| l.starts_with("Frame ") && l.contains(" bytes on wire"))
                .count() as u64,
        ),
    };
    if counted != Some(records) {
        return fail(
            "packets",
            format!("reports {counted:?} packets of the {records} records read"),
        );
    }
    None
}

/// A file name for a variant under target/tmp.
fn variant_path(c: &Capture, v: &Variant) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("every_capture");
    std::fs::create_dir_all(&dir).expect("target/tmp");
    let stem: String = c
        .name
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '_' })
        .collect();
    let ext = c
        .path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("pcap");
    dir.join(format!("{stem}.{}.{ext}", v.label))
}

/// Packets capinfos counts in a file, when it is installed.
fn capinfos(tool: &Path, file: &Path) -> Option<u64> {
    let out = Command::new(tool)
        .args(["-c", "-M"])
        .arg(file)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Number of packets:"))
        .and_then(|n| n.trim().parse().ok())
}

/// Every command on every capture of `captures` and its variants; fails the test on an
/// unexpected failure.
fn every_command(test: &str, suite: &str, captures: &[Capture]) {
    assert!(!captures.is_empty(), "{test}: no captures found");
    let started = Instant::now();
    let capinfos_tool = require_tool(test, "capinfos");
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let record = |c: &Capture, v: &Variant, field: &str, kind: String, detail: String| {
        failures.lock().unwrap().push((
            format!("{}#{}", c.name, v.label),
            field.to_owned(),
            kind,
            detail,
        ));
    };

    // The clean files first: their times set the budgets.
    let variants: Vec<Vec<Variant>> = captures
        .iter()
        .map(|c| capture_variants::variants(c, FULL))
        .collect();
    let clean_times: Mutex<Vec<[Duration; 3]>> =
        Mutex::new(vec![[Duration::ZERO; 3]; captures.len()]);
    let clean_records: Vec<u64> = variants
        .iter()
        .map(|vs| capture_variants::readable_records(&vs[0].bytes))
        .collect();
    let jobs: Vec<(usize, usize)> = (0..captures.len())
        .flat_map(|i| (0..COMMANDS.len()).map(move |k| (i, k)))
        .collect();
    capture_variants::parallel(PARALLEL, jobs, |(i, k)| {
        let (c, v) = (&captures[i], &variants[i][0]);
        let (name, args) = COMMANDS[k];
        let o = run_with_budget(args, &c.path, CLEAN_BUDGET);
        clean_times.lock().unwrap()[i][k] = o.elapsed;
        if let Some((kind, detail)) = check(name, v, clean_records[i], &o) {
            record(c, v, name, kind, detail);
        }
    });
    if let Some(tool) = &capinfos_tool {
        for (i, c) in captures.iter().enumerate() {
            let theirs = capinfos(tool, &c.path);
            if theirs != Some(clean_records[i]) {
                record(
                    c,
                    &variants[i][0],
                    "reader",
                    "record-count".into(),
                    format!(
                        "the capture reader reads {} records, capinfos counts {theirs:?}",
                        clean_records[i]
                    ),
                );
            }
        }
    }
    let clean_times = clean_times.into_inner().unwrap();

    // Then every damaged variant, each under its budget.
    let jobs: Vec<(usize, usize)> = (0..captures.len())
        .flat_map(|i| (1..variants[i].len()).map(move |j| (i, j)))
        .collect();
    capture_variants::parallel(PARALLEL, jobs, |(i, j)| {
        let (c, v) = (&captures[i], &variants[i][j]);
        let records = capture_variants::readable_records(&v.bytes);
        if v.whole() && records != clean_records[i] {
            record(
                c,
                v,
                "variant",
                "record-count".into(),
                format!(
                    "flips inside packet data changed the records read: {records} of {}",
                    clean_records[i]
                ),
            );
        }
        let path = variant_path(c, v);
        std::fs::write(&path, &v.bytes).expect("writing the variant");
        let mut kept = false;
        for (k, (name, args)) in COMMANDS.iter().enumerate() {
            let budget = MIN_BUDGET.max(clean_times[i][k] * SLOWDOWN);
            let o = run_with_budget(args, &path, budget);
            if let Some((kind, detail)) = check(name, v, records, &o) {
                record(c, v, name, kind, format!("{detail} ({})", path.display()));
                kept = true;
            }
        }
        if !kept {
            let _ = std::fs::remove_file(&path);
        }
    });

    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    let expectations = Expectations::load(suite);
    for (sample, field, kind, detail) in &failures {
        match expectations.failure(sample, field, kind, detail) {
            Some(reason) => eprintln!("expected: {sample} {field} {kind}: {detail} ({reason})"),
            None => eprintln!("FAILED: {sample} {field} {kind}: {detail}"),
        }
    }
    let runs: usize = variants.iter().map(Vec::len).sum::<usize>() * COMMANDS.len();
    eprintln!(
        "{test}: {} captures, {runs} runs in {:.1} s, {} failure(s)",
        captures.len(),
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    expectations.finish();
}

#[test]
fn every_fixture_every_command_within_budget() {
    let captures = capture_variants::fixture_captures();
    every_command(
        "every_fixture_every_command_within_budget",
        "every-capture-fixtures",
        &captures,
    );
}

#[test]
fn every_corpus_capture_every_command_within_budget() {
    let test = "every_corpus_capture_every_command_within_budget";
    if let Some(captures) = capture_variants::corpus_captures(test) {
        every_command(test, "every-capture-corpus", &captures);
    }
}

/// `rtcscope analyze --json` on `file`.
fn report(file: &Path) -> Value {
    let o = run_with_budget(&["analyze", "--json"], file, CLEAN_BUDGET);
    assert!(
        !o.timed_out && o.code == Some(0),
        "{}: exit status {:?}: {}",
        file.display(),
        o.code,
        o.stderr
    );
    serde_json::from_slice(&o.stdout).expect("a JSON report")
}

/// The number of items in `report[list]`.
fn count(report: &Value, list: &str) -> usize {
    report[list].as_array().map_or(0, Vec::len)
}

/// Messages of each protocol over every flow of a report.
fn protocol_totals(report: &Value) -> serde_json::Map<String, Value> {
    let mut totals = serde_json::Map::new();
    for flow in report["flows"].as_array().into_iter().flatten() {
        for (k, v) in flow["counts"].as_object().into_iter().flatten() {
            let sum = totals.get(k).and_then(Value::as_u64).unwrap_or(0) + v.as_u64().unwrap_or(0);
            totals.insert(k.clone(), sum.into());
        }
    }
    totals
}

/// The damaged TURN capture (it is WebRTC traffic, checked by its own test below).
const DAMAGED_TURN: &str = "turn-tcp-damaged.pcap";

#[test]
fn non_webrtc_captures_show_no_webrtc() {
    let dir = rtcscope_testkit::fixtures().join("captures/nonwebrtc");
    let files: Vec<PathBuf> = rtcscope_testkit::files_under(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .filter(|p| !p.ends_with(DAMAGED_TURN))
        .collect();
    assert!(files.len() >= 7, "the non-WebRTC fixtures: {files:?}");
    let expectations = Expectations::load("nonwebrtc-false-positives");
    let mut unexpected = 0;
    for file in &files {
        let name = format!(
            "fixtures/captures/nonwebrtc/{}",
            file.file_name().unwrap().to_string_lossy()
        );
        let r = report(file);
        let mut found: Vec<(String, String)> = Vec::new();
        for list in [
            "ice_sessions",
            "streams",
            "dtls",
            "turn_allocations",
            "rtcp_senders",
            "data_channels",
        ] {
            if count(&r, list) > 0 {
                found.push((list.into(), format!("{} found", count(&r, list))));
            }
        }
        for (protocol, n) in protocol_totals(&r) {
            if protocol != "unknown" && n.as_u64().unwrap_or(0) > 0 {
                found.push((format!("flows.{protocol}"), format!("{n} packets counted")));
            }
        }
        for (field, detail) in found {
            match expectations.failure(&name, &field, "false-positive", &detail) {
                Some(reason) => eprintln!("expected: {name} {field}: {detail} ({reason})"),
                None => {
                    eprintln!("FAILED: {name} {field}: {detail}");
                    unexpected += 1;
                }
            }
        }
    }
    eprintln!(
        "{} non-WebRTC captures, {unexpected} unexpected false positive(s)",
        files.len()
    );
    expectations.finish();
}

/// The first `n` records of a classic pcap file.
fn pcap_prefix(bytes: &[u8], n: usize) -> Vec<u8> {
    let l = capture_variants::layout(bytes);
    let end = l.boundaries.get(n).copied().unwrap_or(bytes.len());
    bytes[..end].to_vec()
}

#[test]
fn damaged_turn_over_tcp_recovers_after_loss_reordering_and_duplication() {
    let fixtures = rtcscope_testkit::fixtures();
    let damaged = report(&fixtures.join("captures/nonwebrtc").join(DAMAGED_TURN));
    // The undamaged original, cut to the same 560 records (see fixtures/README.md).
    let original = std::fs::read(fixtures.join("captures/turn-tcp.pcap")).expect("turn-tcp.pcap");
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("turn-tcp-560.pcap");
    std::fs::write(&prefix, pcap_prefix(&original, 560)).expect("writing the prefix");
    let clean = report(&prefix);
    assert_eq!(clean["counters"]["packets"], 560);
    assert_eq!(
        damaged["counters"]["packets"], 560,
        "one lost, one duplicated"
    );

    let expectations = Expectations::load("turn-tcp-damaged");
    let check = |field: &str, ok: bool, detail: String| {
        if ok {
            return;
        }
        match expectations.failure(
            "fixtures/captures/nonwebrtc/turn-tcp-damaged.pcap",
            field,
            "lost",
            &detail,
        ) {
            Some(reason) => eprintln!("expected: {field}: {detail} ({reason})"),
            None => eprintln!("FAILED: {field}: {detail}"),
        }
    };
    check(
        "turn_allocations",
        count(&damaged, "turn_allocations") == count(&clean, "turn_allocations"),
        format!(
            "{} TURN allocations, {} without the damage",
            count(&damaged, "turn_allocations"),
            count(&clean, "turn_allocations")
        ),
    );
    // The lost segment (152 bytes, declared lost as one gap) carried two STUN messages back to
    // back and no ChannelData; the reordered and the duplicated one lose nothing. So exactly
    // those two are missing, and every message after the hole is found again.
    let (d, c) = (protocol_totals(&damaged), protocol_totals(&clean));
    for (protocol, lost) in [("stun", 2), ("channel_data", 0)] {
        let (d, c) = (d[protocol].as_u64().unwrap(), c[protocol].as_u64().unwrap());
        check(
            protocol,
            d + lost == c,
            format!("{d} {protocol} messages, {c} without the damage"),
        );
    }
    let counters = &damaged["counters"];
    check(
        "counters.tcp_gaps",
        counters["tcp_gaps"] == 1 && counters["tcp_gap_bytes"] == 152,
        format!("the report counts the gap: {counters}"),
    );
    expectations.finish();
}

#[test]
fn damaged_turn_over_tls_is_tls_on_the_turn_port_and_nothing_else() {
    // TURN over TLS (turns:, TCP 5349) with record 144 lost (105 bytes of one server-to-client
    // stream), 269 and 273 swapped, 413 duplicated (fixtures/README.md). Only TLS records are on
    // the wire: the no-false-positive test above checks that nothing is counted as WebRTC; this
    // one that every packet is still accounted for, on the flows to the TURN server's TLS port,
    // and that dissect reads no TLS segment as STUN, ChannelData, RTP or anything else.
    const FILE: &str = "fixtures/captures/nonwebrtc/turn-tls-damaged.pcap";
    let path = rtcscope_testkit::workspace_root().join(FILE);
    let r = report(&path);
    assert_eq!(r["counters"]["packets"], 560, "every record is counted");
    let flows = r["flows"].as_array().expect("flows");
    assert_eq!(flows.len(), 11, "one TCP connection per uclient attempt");
    let mut packets = 0;
    for f in flows {
        assert_eq!(f["transport"], "tcp", "{f}");
        assert!(
            f["a"] == "10.40.0.1:5349" || f["b"] == "10.40.0.1:5349",
            "every flow goes to the TURN server's TLS port: {f}"
        );
        packets += f["packets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .sum::<u64>();
    }
    assert_eq!(packets, 560, "the flows hold every packet");

    let o = run_with_budget(&["dissect", "--json"], &path, CLEAN_BUDGET);
    assert!(!o.timed_out && o.code == Some(0), "{}", o.stderr);
    let v: Value = serde_json::from_slice(&o.stdout).expect("dissect JSON");
    let packets = v.as_array().expect("packets");
    assert_eq!(packets.len(), 560);
    for p in packets {
        for proto in p["protocols"].as_array().expect("protocols") {
            assert!(
                proto == "Data" || proto == "TCP",
                "packet {}: a TLS segment dissected as {proto}",
                p["number"]
            );
        }
    }

    // The lost segment is a hole in one TLS stream (105 bytes of 5349 -> 51072; tshark flags
    // frame 151 "previous segment not captured"). Only one more segment of that stream follows
    // before the connection ends, so the hole is declared when the input ends, and the segment
    // after it is read too (TLS: skipped, not framed).
    let counters = &r["counters"];
    assert_eq!(
        counters["tcp_gaps"], 1,
        "the report counts the gap: {counters}"
    );
    assert_eq!(counters["tcp_gap_bytes"], 105, "{counters}");
}
