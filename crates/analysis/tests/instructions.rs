//! CI's performance regression check: the instructions the engine executes on a fixed input,
//! counted by valgrind's callgrind (not timed, so not flaky), against the committed baseline
//! `tests/instructions.baseline`; the test fails when the count rises by more than
//! [`TOLERANCE_PERCENT`].
//!
//! The input: the Chromium direct and relayed calls of `fixtures/webrtc/` (5,457 frames: STUN,
//! TURN, DTLS, SRTP, SRTCP, ChannelData), each fed [`ROUNDS`] times through a fresh engine,
//! then the report built. The count is the difference between a child run with the workload
//! and one without (both this test binary under callgrind), so the harness and process start
//! cancel out. It runs in the test profile (unoptimised), where it takes seconds: it catches a
//! change in how much work the engine does per packet (a scan per packet, a new allocation, a
//! hash table lookup more), not a change of code generation.
//!
//! After a change that makes the engine do more on purpose, or a new Rust toolchain:
//! `RTCSCOPE_UPDATE_INSTRUCTION_BASELINE=1 cargo nextest run -p rtcscope-analysis --test
//! instructions` rewrites the baseline; commit it with the reason.

use rtcscope_analysis::{Config, Engine};
use rtcscope_capture::CaptureReader;
use std::path::PathBuf;
use std::process::Command;

/// The largest rise over the baseline that passes.
const TOLERANCE_PERCENT: f64 = 10.0;
/// Times each recording is fed.
const ROUNDS: usize = 2;
const CHILD: &str = "RTCSCOPE_INSTRUCTION_CHILD";

fn baseline_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/instructions.baseline")
}

/// The fixed input, run in the child process when `RTCSCOPE_INSTRUCTION_CHILD=work`.
#[test]
#[ignore = "run by engine_instructions_within_baseline, under callgrind"]
fn workload() {
    if std::env::var(CHILD).as_deref() != Ok("work") {
        return;
    }
    let mut packets = 0u64;
    for name in ["direct", "relay"] {
        let bytes = std::fs::read(
            rtcscope_testkit::fixtures()
                .join("webrtc")
                .join(name)
                .join("capture.pcapng"),
        )
        .expect("fixture");
        let mut engine = Engine::new(Config::default());
        for _ in 0..ROUNDS {
            let mut r = CaptureReader::new(&bytes[..]).expect("pcapng");
            while let Some(p) = r.next_packet().expect("record") {
                engine.feed_packet(&p);
                packets += 1;
            }
        }
        engine.finish();
        assert!(engine.counters().packets > 0);
    }
    println!("packets {packets}");
}

/// Runs this binary's `workload` test under callgrind; the instructions it counted.
fn count(valgrind: &PathBuf, work: bool) -> u64 {
    let out_file = std::env::temp_dir().join(format!(
        "rtcscope-callgrind-{}-{work}.out",
        std::process::id()
    ));
    let out = Command::new(valgrind)
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(std::env::current_exe().expect("test binary"))
        .args(["workload", "--exact", "--ignored", "--test-threads=1"])
        .env(CHILD, if work { "work" } else { "idle" })
        .output()
        .expect("valgrind runs");
    let _ = std::fs::remove_file(&out_file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "callgrind run failed:\n{stderr}");
    // "==123== Collected : 123456789"
    stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no instruction count in callgrind's output:\n{stderr}"))
}

#[test]
fn engine_instructions_within_baseline() {
    let Some(valgrind) =
        rtcscope_testkit::require_tool("engine_instructions_within_baseline", "valgrind")
    else {
        return;
    };
    let measured = count(&valgrind, true).saturating_sub(count(&valgrind, false));
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if std::env::var("RTCSCOPE_UPDATE_INSTRUCTION_BASELINE").as_deref() == Ok("1") {
        std::fs::write(
            baseline_path(),
            format!(
                "# Instructions the engine executes on tests/instructions.rs's fixed input \
                 (test profile), counted by callgrind.\n# Measured with {rustc}.\n{measured}\n"
            ),
        )
        .expect("write baseline");
        println!("baseline updated: {measured} instructions");
        return;
    }
    let text = std::fs::read_to_string(baseline_path()).expect("tests/instructions.baseline");
    let baseline: u64 = text
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .and_then(|l| l.trim().parse().ok())
        .expect("a number in the baseline file");
    let change = (measured as f64 / baseline as f64 - 1.0) * 100.0;
    println!(
        "engine instructions: {measured} (baseline {baseline}, {change:+.1} %); \
         toolchain now: {rustc}; baseline's: {}",
        text.lines().nth(1).unwrap_or("?")
    );
    assert!(
        change <= TOLERANCE_PERCENT,
        "the engine now executes {change:+.1} % instructions on the fixed input ({measured} \
         against the baseline {baseline}; at most +{TOLERANCE_PERCENT} % passes). If the rise \
         is meant (or the toolchain changed), update the baseline as tests/instructions.rs says."
    );
    if change < -TOLERANCE_PERCENT {
        println!(
            "the count fell by more than {TOLERANCE_PERCENT} %: consider lowering the baseline"
        );
    }
}
