//! `rtcscope analyze --threads 2` (a reader thread and an engine thread, issue #14) prints what
//! `--threads 1` prints, byte for byte: the JSON report on standard output, every message on
//! standard error (damaged records named as they are skipped, the closing summary) and the exit
//! status.
//!
//! On every capture of `fixtures/` and of the shared corpus (skipped with a visible line when it
//! is absent, failing with `RTCSCOPE_REQUIRE_CORPUS=1`), each in its ten variants of
//! rtcscope_testkit::capture_variants (clean; cut after the file header, half way, mid-record,
//! one byte short; bytes flipped in packet data three ways; bytes flipped in record headers
//! two ways), so the error paths (a truncated record, a corrupt one, records on undeclared
//! interfaces) are compared too. The clean captures also go through standard input (`-r -`)
//! and with a record limit (`-c 100`). The fixtures are small, so the pipeline's batches are
//! compared at their real size here; the unit tests of crates/cli/src/pipeline.rs cut the same
//! captures into batches of one and of seven packets.
//!
//! Nothing in the report depends on the run (no wall-clock time, no thread timing): any
//! difference is a failure.

use rtcscope_testkit::capture_variants::{self, Capture, FULL};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

/// Runs `rtcscope analyze --threads N ARGS` with `stdin` (or none).
fn analyze(threads: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    if let Some(input) = stdin {
        let mut all = vec!["analyze", "--threads", threads];
        all.extend_from_slice(args);
        return rtcscope_tests::run_with_stdin(&all, input);
    }
    Command::new(rtcscope_tests::bin())
        .args(["analyze", "--threads", threads])
        .args(args)
        .current_dir(rtcscope_testkit::workspace_root())
        .stdin(Stdio::null())
        .output()
        .expect("rtcscope runs")
}

/// Where a variant is written (the report names the file it read, and reading ahead for the
/// Decryption Secrets Blocks needs a path).
fn variant_path(c: &Capture, label: &str) -> PathBuf {
    let dir = rtcscope_testkit::workspace_root().join("target/tmp/analyze_threads");
    std::fs::create_dir_all(&dir).expect("target/tmp is writable");
    let ext = c
        .path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("pcap");
    let stem = c.name.replace(['/', '.'], "_");
    dir.join(format!("{stem}-{label}.{ext}"))
}

/// `None` when both runs printed and exited alike; otherwise what differs.
fn difference(one: &Output, two: &Output) -> Option<String> {
    let mut what = Vec::new();
    if one.status.code() != two.status.code() {
        what.push(format!(
            "exit status {:?} vs {:?}",
            one.status.code(),
            two.status.code()
        ));
    }
    if one.stdout != two.stdout {
        let at = one
            .stdout
            .iter()
            .zip(&two.stdout)
            .position(|(a, b)| a != b)
            .unwrap_or(one.stdout.len().min(two.stdout.len()));
        let around = |o: &[u8]| {
            String::from_utf8_lossy(&o[at.saturating_sub(80)..(at + 80).min(o.len())]).into_owned()
        };
        what.push(format!(
            "standard output differs at byte {at}: {:?} vs {:?}",
            around(&one.stdout),
            around(&two.stdout)
        ));
    }
    if one.stderr != two.stderr {
        what.push(format!(
            "standard error: {:?} vs {:?}",
            String::from_utf8_lossy(&one.stderr),
            String::from_utf8_lossy(&two.stderr)
        ));
    }
    // A run that died (a panic, a signal) is a failure even when both died alike.
    if !matches!(one.status.code(), Some(0..=2)) {
        what.push(format!("exit status {:?}", one.status.code()));
    }
    (!what.is_empty()).then(|| what.join("; "))
}

/// How many runs compared, and how many of them ended on a fatal error (a truncated record,
/// a corrupt or oversized one) that both runs reported.
struct Compared {
    runs: usize,
    fatal: usize,
}

/// Compares the two runs on every variant of every capture.
fn compare(captures: &[Capture]) -> Compared {
    let mut jobs: Vec<(String, Vec<String>, Option<Vec<u8>>)> = Vec::new();
    for c in captures {
        for v in capture_variants::variants(c, FULL) {
            let path = variant_path(c, &v.label);
            std::fs::write(&path, &v.bytes).expect("variant written");
            let path = path.to_string_lossy().into_owned();
            jobs.push((
                format!("{}#{}", c.name, v.label),
                vec!["--json".into(), path.clone()],
                None,
            ));
            if v.label == "clean" {
                jobs.push((
                    format!("{} -c 100", c.name),
                    vec!["--json".into(), "-c".into(), "100".into(), path],
                    None,
                ));
                jobs.push((
                    format!("{} on standard input", c.name),
                    vec!["--json".into(), "-r".into(), "-".into()],
                    Some(v.bytes.clone()),
                ));
            }
        }
    }
    let n = jobs.len();
    let failures = Mutex::new(Vec::new());
    let fatal = std::sync::atomic::AtomicUsize::new(0);
    capture_variants::parallel(2, jobs, |(name, args, stdin)| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let one = analyze("1", &args, stdin.as_deref());
        let two = analyze("2", &args, stdin.as_deref());
        if let Some(d) = difference(&one, &two) {
            failures.lock().unwrap().push(format!("{name}: {d}"));
        } else if String::from_utf8_lossy(&one.stderr)
            .contains("the report covers everything before it")
        {
            fatal.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {n} runs differ between --threads 1 and --threads 2:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Compared {
        runs: n,
        fatal: fatal.into_inner(),
    }
}

#[test]
fn two_threads_print_what_one_thread_prints_on_every_fixture() {
    let captures = capture_variants::fixture_captures();
    assert!(captures.len() >= 20, "{} fixture captures", captures.len());
    let c = compare(&captures);
    eprintln!(
        "{} runs compared on {} fixture captures, {} of them ending on a fatal error",
        c.runs,
        captures.len(),
        c.fatal
    );
    // The comparison reaches the error paths: many variants end on a damaged record.
    assert!(
        c.fatal >= captures.len(),
        "only {} runs ended on an error",
        c.fatal
    );
}

#[test]
fn two_threads_print_what_one_thread_prints_on_every_corpus_capture() {
    let test = "two_threads_print_what_one_thread_prints_on_every_corpus_capture";
    if let Some(captures) = capture_variants::corpus_captures(test) {
        let c = compare(&captures);
        eprintln!(
            "{} runs compared on {} corpus captures, {} of them ending on a fatal error",
            c.runs,
            captures.len(),
            c.fatal
        );
    }
}

/// Records the reader skips (packets on interfaces the file never declared) are named on
/// standard error by the reader thread as it meets them, in the same order and words as on one
/// thread, and the report and exit status agree; from a file and from standard input.
#[test]
fn two_threads_skip_damaged_records_as_one_thread_does() {
    use rtcscope_testkit::damaged_capture::turn_capture_with_undeclared_interfaces as damaged;
    let (bytes, _) = damaged(&[2, 40, 41, 300]);
    let path = rtcscope_testkit::workspace_root()
        .join("target/tmp/analyze_threads/undeclared-interfaces.pcapng");
    std::fs::create_dir_all(path.parent().expect("a directory")).expect("target/tmp");
    std::fs::write(&path, &bytes).expect("written");
    let path = path.to_str().expect("UTF-8");
    for (args, stdin) in [
        (vec!["--json", path], None),
        (vec![path], None),
        (vec!["--json", "-r", "-"], Some(&bytes[..])),
    ] {
        let one = analyze("1", &args, stdin);
        let two = analyze("2", &args, stdin);
        if let Some(d) = difference(&one, &two) {
            panic!("{args:?}: {d}");
        }
        let err = String::from_utf8_lossy(&two.stderr);
        assert_eq!(two.status.code(), Some(1), "{err}");
        assert_eq!(err.matches("(skipped)").count(), 4, "{err}");
        assert!(err.contains("4 damaged record(s) skipped"), "{err}");
    }
}

/// `--threads` takes 1 or 2, and not with live capture (which runs on one thread): anything
/// else is refused before a packet is read, with clap's message and status 2.
#[test]
fn threads_takes_one_or_two_and_no_live_capture() {
    let file = "fixtures/captures/turn-udp.pcapng";
    for n in ["0", "3", "two"] {
        let out = rtcscope_tests::run(&["analyze", "--threads", n, file]);
        let err = rtcscope_tests::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "--threads {n}: {err}");
        assert!(err.contains("--threads <N>"), "--threads {n}: {err}");
        assert!(out.stdout.is_empty(), "--threads {n}");
    }
    let out = rtcscope_tests::run(&["analyze", "--threads", "2", "-i", "lo"]);
    let err = rtcscope_tests::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    for n in ["1", "2"] {
        let out = rtcscope_tests::run(&["analyze", "--threads", n, file]);
        assert_eq!(out.status.code(), Some(0), "--threads {n}");
        assert!(
            rtcscope_tests::stdout(&out).contains("Capture: "),
            "--threads {n}"
        );
    }
}
