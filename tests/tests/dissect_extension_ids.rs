//! `rtcscope dissect` without an SDP: what its help promises about RTP header-extension IDs is
//! what it does (issue #10: "without an SDP, RTP header extension ids are not assumed to be
//! libwebrtc's"). On a Firefox recording, whose IDs differ from libwebrtc's:
//! * from a file, the IDs are inferred from the packets and marked as inferred;
//! * from stdin (which cannot be read twice to infer them), they are unknown;
//! * in neither case is an ID read with libwebrtc's defaults;
//!
//! and `dissect --help` says so instead of promising libwebrtc's defaults.

use rtcscope_tests::{run, run_with_stdin, stderr, stdout};

const CAPTURE: &str = "fixtures/webrtc/firefox-direct/capture.pcapng";

/// The `-V` tree lines that name frame 16's first header extension (Firefox's mid, ID 3; in
/// libwebrtc's defaults ID 3 is not the mid).
fn mid_extension_lines(out: &str) -> Vec<String> {
    let frame = out
        .split("\nFrame ")
        .find(|f| f.starts_with("16:"))
        .expect("frame 16 in the -V output");
    frame
        .lines()
        .filter(|l| l.trim_start().starts_with("Extension: ") || l.contains("Extension 3:"))
        .take(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn help_says_what_dissect_does_without_an_sdp() {
    let out = run(&["dissect", "--help"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let help = stdout(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        !help.contains("default IDs are assumed"),
        "the help promises libwebrtc's default IDs:\n{help}"
    );
    assert!(
        help.contains("inferred from the file's packets"),
        "the help does not say the IDs are inferred:\n{help}"
    );
    assert!(
        help.contains("from stdin they are unknown"),
        "the help does not say what happens on stdin:\n{help}"
    );
}

#[test]
fn without_an_sdp_ids_are_inferred_from_a_file_and_unknown_from_stdin() {
    let file = run(&["dissect", "-V", "-c", "20", CAPTURE]);
    assert!(file.status.success(), "{}", stderr(&file));
    let lines = mid_extension_lines(&stdout(&file));
    assert!(
        lines.iter().any(|l| l.contains("sdes:mid")),
        "from a file the mid's ID is inferred: {lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("id inferred from the packets")),
        "an inferred ID is marked as inferred: {lines:?}"
    );

    let bytes = std::fs::read(rtcscope_testkit::workspace_root().join(CAPTURE)).unwrap();
    let piped = run_with_stdin(&["dissect", "-V", "-c", "20", "-"], &bytes);
    assert!(piped.status.success(), "{}", stderr(&piped));
    let lines = mid_extension_lines(&stdout(&piped));
    assert!(
        lines.iter().any(|l| l.contains("unknown ID")),
        "from stdin the ID is unknown: {lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("sdes:mid")),
        "from stdin no ID is named without an SDP: {lines:?}"
    );
}
