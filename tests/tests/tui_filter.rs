//! The TUI's packet filter driven in tmux (issue #13): a display-filter expression, checked
//! as it is typed (red with the parser's reason while it is not one), narrows the Packets view
//! to relayed media; the status line says which kind of filter is in force.

use rtcscope_tests::{bin, Tmux};

#[test]
fn packets_filter_by_expression_in_tmux() {
    if rtcscope_testkit::require_tool("packets_filter_by_expression_in_tmux", "tmux").is_none() {
        return;
    }
    let cmd = format!(
        "{} open -r fixtures/webrtc/relay/capture.pcapng; echo EXITED $?",
        bin().display()
    );
    let t = Tmux::start(&cmd, 160, 48);
    t.wait_for(&["pkts"], 20);
    // Packets, every packet of the capture.
    t.keys(&["5", "a"]);
    t.wait_for(&["Fields of packet"], 5);
    // A typo: the prompt says what is wrong while typing.
    t.keys(&["/", "rtp.sssrc"]);
    let s = t.wait_for(
        &[
            "unknown field or protocol 'rtp.sssrc'",
            "did you mean rtp.ssrc",
        ],
        5,
    );
    assert!(s.contains("as words"), "{s}");
    // Corrected: relayed RTP with the marker bit.
    for _ in 0.."rtp.sssrc".len() {
        t.keys(&["BSpace"]);
    }
    t.keys(&["turn && rtp.marker == 1"]);
    t.wait_for(&["filter for Packets"], 5);
    t.keys(&["Enter"]);
    let s = t.wait_for(
        &["Packets filter: turn && rtp.marker == 1", "ChannelData"],
        10,
    );
    assert!(s.contains("[RTP PT="), "{s}");
    assert!(!s.contains("Binding Request"), "{s}");
    // Esc clears it; q quits cleanly.
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    t.wait_for(&["EXITED 0"], 10);
}
