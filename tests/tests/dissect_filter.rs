//! `rtcscope dissect -Y EXPR` (issue #13): tshark's -Y in rtcscope's filter language. Only
//! matching packets are printed, with the frame numbers they have in the file; `-c` counts
//! printed packets; an invalid filter exits 2 with the parser's message before any file is
//! read. (Which frames match is tested on the dissector itself, against tshark, in
//! crates/dissect/tests/filter.rs.)

use rtcscope_tests::run;

const RELAY: &str = "fixtures/webrtc/relay/capture.pcapng";

fn numbers(stdout: &[u8]) -> Vec<u64> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn only_matching_packets_keep_their_frame_numbers() {
    let all = run(&["dissect", RELAY]);
    assert!(all.status.success());
    let lines: Vec<String> = String::from_utf8_lossy(&all.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let out = run(&["dissect", "-Y", "stun.type == allocate_error", RELAY]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.is_empty());
    // Each printed line is the unfiltered output's line of the same frame.
    for line in text.lines() {
        assert!(line.contains("Allocate Error Response"), "{line}");
        assert!(lines.iter().any(|l| l == line), "{line}");
    }
    let first = numbers(&out.stdout)[0];
    assert!(first > 1, "frame numbers as in the file, not renumbered");

    // Relayed media by SSRC, and -c counts what is printed.
    let rtp = run(&["dissect", "-Y", "turn && rtp", "-c", "3", RELAY]);
    let n = numbers(&rtp.stdout);
    assert_eq!(n.len(), 3);
    assert!(String::from_utf8_lossy(&rtp.stdout).contains("ChannelData"));
    let filters_agree = run(&["dissect", "-Y", "rtp && !(rtp)", RELAY]);
    assert!(filters_agree.status.success());
    assert!(filters_agree.stdout.is_empty());
}

#[test]
fn an_invalid_filter_exits_2_before_reading() {
    // The file does not exist: the filter is refused first.
    let out = run(&[
        "dissect",
        "-Y",
        "ip.src == 10.0.0.1 && udp.port ==",
        "no/such/file.pcap",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "invalid display filter (-Y): expected a value for udp.port (0-65535) after '==', \
             found the end of the filter at column 34"
        ),
        "{err}"
    );
    assert!(!err.contains("no/such/file"), "{err}");
    let out = run(&["dissect", "-Y", "ip.adr == 1.2.3.4", RELAY]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean ip.addr"));
    assert!(out.stdout.is_empty());
}
