//! Odd numbers on the command line (NaN, infinities, negative values, values near u64::MAX,
//! zero where zero makes no sense) are usage errors: exit status 2, a message naming the option
//! and the allowed range, and never a panic or a silently wrapped value. Nothing here touches
//! the network or needs a terminal: clap rejects the value before the command starts.

use rtcscope_tests::{run, stderr};

/// A capture that exists, for the commands that need a file argument.
const CAPTURE: &str = "fixtures/captures/turn-udp.pcapng";

/// Runs `rtcscope ARGS`, checks that it is a usage error about `option` and returns the
/// message.
fn rejected(args: &[&str], option: &str) -> String {
    let out = run(args);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    assert_eq!(out.status.code(), Some(2), "{args:?}:\n{err}");
    assert!(
        err.contains("invalid value") && err.contains(&format!("'{option}")),
        "{args:?}: the message does not name {option}:\n{err}"
    );
    err
}

/// As [`rejected`], for the options checked by rtcscope's own parsers: the message also states
/// the allowed range.
fn out_of_range(args: &[&str], option: &str) {
    rejected(args, option);
    let err = stderr(&run(args));
    assert!(
        err.contains("(allowed: "),
        "{args:?}: no range stated:\n{err}"
    );
}

const U64_MAX: &str = "18446744073709551615";
const PAST_U64: &str = "18446744073709551616";

#[test]
fn analyze_autostop_and_interval() {
    for v in [
        "duration:nan",
        "duration:inf",
        "duration:-1",
        "duration:0",
        "duration:1e300",
        "duration:",
        "60",
    ] {
        out_of_range(&["analyze", "-a", v, CAPTURE], "--autostop");
    }
    for v in ["nan", "-1", "1e300", "inf", U64_MAX] {
        out_of_range(&["analyze", "--interval", v, CAPTURE], "--interval");
    }
    // Zero intervals are allowed ("no summaries"), and both options mean nothing for a file.
    let ok = run(&["analyze", "--interval", "0", "-a", "duration:0.5", CAPTURE]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
}

#[test]
fn nat_timeout_and_lifetime() {
    for v in ["nan", "NaN", "-1", "0", "inf", "1e300", "121"] {
        out_of_range(&["nat", "--timeout", v, "192.0.2.1"], "--timeout");
    }
    for v in ["nan", "0", U64_MAX, PAST_U64, "3601"] {
        out_of_range(&["nat", "--lifetime", v, "192.0.2.1"], "--lifetime");
    }
    out_of_range(&["nat", "--lifetime=-1", "192.0.2.1"], "--lifetime");
    // The value of --lifetime is optional, and `-4` after it is the IPv4 flag, not a value:
    // the error is about --timeout.
    out_of_range(
        &["nat", "--lifetime", "-4", "--timeout", "nan", "192.0.2.1"],
        "--timeout",
    );
}

#[test]
fn turn_timeout_and_ttl() {
    for v in ["nan", "-1", "inf", "1e300", "0"] {
        out_of_range(&["turn", "--timeout", v, "stun:192.0.2.1"], "--timeout");
    }
    for v in [U64_MAX, PAST_U64, "-1", "nan", "31536001"] {
        out_of_range(&["turn", "--ttl", v, "stun:192.0.2.1"], "--ttl");
    }
}

#[test]
fn stun_server_rate_and_burst() {
    for v in ["nan", "inf", "-1", "0", "1e300"] {
        out_of_range(
            &["stun-server", "--primary", "127.0.0.1", "--rate", v],
            "--rate",
        );
    }
    for v in ["nan", "-1e300", "0", "0.5", "1e300"] {
        out_of_range(
            &["stun-server", "--primary", "127.0.0.1", "--burst", v],
            "--burst",
        );
    }
}

#[test]
fn terminal_ui_ring_and_flow_limits() {
    // `live` captures on an interface, `open` reads a file; neither starts on a bad value.
    for (cmd, rest) in [("live", &[][..]), ("open", &[CAPTURE][..])] {
        let with = |option: &'static str, v: &'static str| [&[cmd, option, v][..], rest].concat();
        for v in ["0", "-1", U64_MAX] {
            out_of_range(&with("--ring", v), "--ring");
            out_of_range(&with("--max-flows", v), "--max-flows");
        }
        // `--ring-mb` is shifted to bytes: a value past 64 GiB must not wrap.
        for v in ["0", "65537", "17592186044416", U64_MAX] {
            out_of_range(&with("--ring-mb", v), "--ring-mb");
        }
    }
}

#[test]
fn counts_and_ports_keep_clap_checks() {
    rejected(&["dissect", "--count=-1", CAPTURE], "--count");
    rejected(&["dissect", "-c", PAST_U64, CAPTURE], "--count");
    rejected(&["dissect", "--port", "70000", CAPTURE], "--port");
    rejected(&["analyze", "-c", "nan", CAPTURE], "--count");
    rejected(
        &["stun-server", "--primary", "127.0.0.1", "--port=-1"],
        "--port",
    );
}

#[test]
fn capture_buffer_size() {
    // `-B` is shifted from MiB to bytes: zero, huge and wrapping values are refused, for
    // the headless live mode and the TUI alike, before any capture opens.
    for v in ["0", "-1", "2049", "17592186044416", U64_MAX, "nan"] {
        let err = rejected(&["analyze", "-i", "lo", "-B", v], "--buffer-size");
        if v != "nan" && v != "-1" {
            assert!(err.contains("(allowed: 1 to 2048 MiB)"), "{v}: {err}");
        }
        rejected(&["live", "-i", "lo", "-B", v], "--buffer-size");
    }
}

#[test]
fn live_only_options_refuse_a_file() {
    // clap lets `requires = "interface"` pass when a conflicting argument (the file) is
    // present; the options must still not be ignored silently on a file.
    for (option, value) in [("-f", "udp"), ("-w", "out.pcapng"), ("-B", "8")] {
        for file in [&[CAPTURE][..], &["-r", CAPTURE][..]] {
            let args = [&["analyze", option, value][..], file].concat();
            let out = run(&args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}:\n{err}");
            assert!(err.contains("cannot be used with"), "{args:?}:\n{err}");
        }
    }
}
