//! Progress as an invariant (issue #16): the line loop and the token loops of the attribute
//! parsers consume at least one byte per step or end. Each test feeds text crafted to stall a
//! loop (empty lines, bare terminators, separators only, a value that is all separators) and
//! checks that it ends with at most as many lines or tokens as the text has bytes. The loops
//! also `debug_assert!` their progress, which these tests (built with debug assertions) exercise.

use proptest::prelude::*;
use rtcscope_sdp::{analyze, Attribute, LineKind, Sdp};

/// Parses `text`, checks the line count is bounded by its length, and lints it.
fn lines_bounded(text: &str) -> usize {
    let sdp = Sdp::parse(text);
    let n = sdp.lines().count();
    assert!(
        n <= text.len(),
        "{n} lines in {} bytes: {text:?}",
        text.len()
    );
    let _ = analyze(text.as_bytes(), None);
    n
}

/// The tokens that the token loops collected from the attribute lines of `text`, each list
/// bounded by the length of its line.
fn token_lists(text: &str) -> Vec<usize> {
    let sdp = Sdp::parse(text);
    let mut out = Vec::new();
    for l in sdp.lines() {
        let LineKind::Attribute(a) = &l.kind else {
            continue;
        };
        let n = match a {
            Attribute::Group { mids, .. } => mids.len(),
            Attribute::SsrcGroup { ssrcs, .. } => ssrcs.len(),
            Attribute::MsidSemantic { ids, .. } => ids.len(),
            Attribute::Candidate(c) => c.extensions.len(),
            _ => continue,
        };
        // A token and its separator take two bytes, the last token one.
        assert!(
            n <= l.raw.len().div_ceil(2),
            "{n} tokens in a {}-byte line: {:?}",
            l.raw.len(),
            l.raw
        );
        out.push(n);
    }
    out
}

#[test]
fn line_loop_ends() {
    let cases = [
        ("empty", String::new()),
        ("bare LFs", "\n".repeat(64)),
        ("bare CRLFs", "\r\n".repeat(32)),
        ("bare CRs (not terminators)", "\r".repeat(64)),
        ("LF CR mixed", "\n\r".repeat(32)),
        ("one line, no terminator", "a=x".to_owned()),
        ("separators only", " \t".repeat(32)),
        ("NULs", "\0".repeat(64)),
        ("a long line", format!("a={}", "x".repeat(10_000))),
    ];
    for (name, text) in &cases {
        let n = lines_bounded(text);
        eprintln!("{name}: {n} lines");
    }
    assert_eq!(lines_bounded(&"\n".repeat(64)), 64);
    assert_eq!(lines_bounded(&"\r\n".repeat(32)), 32);
}

#[test]
fn token_loops_end() {
    let spaces = " ".repeat(32);
    let tabs = "\t".repeat(32);
    let text = [
        format!("a=group:BUNDLE{spaces}"),
        format!("a=group:BUNDLE{tabs}0{tabs}1{spaces}"),
        format!("a=group:BUNDLE {}", "0 ".repeat(32)),
        format!("a=ssrc-group:FID{spaces}"),
        format!("a=ssrc-group:FID {}", "1 ".repeat(32)),
        format!("a=msid-semantic:WMS{tabs}"),
        format!("a=msid-semantic:WMS {}", "a ".repeat(32)),
        format!("a=candidate:1 1 udp 1 ::1 9 typ host{spaces}"),
        format!("a=candidate:1 1 udp 1 ::1 9 typ host {}", "k v ".repeat(16)),
        format!("a=candidate:1 1 udp 1 ::1 9 typ host {}", "k ".repeat(3)),
        format!("a=simulcast:send{spaces}"),
        format!("a=simulcast:send a;;b recv {spaces}"),
        "a=simulcast:send ;;;,,, recv ~".to_owned(),
        format!("a=rid:a send {spaces}"),
        "a=fmtp:111 ;;;===;;".to_owned(),
        format!("a=extmap:1{spaces}"),
        format!("m=audio 9 UDP/TLS/RTP/SAVPF{spaces}"),
        format!("m=audio 9 UDP/TLS/RTP/SAVPF {}", "0 ".repeat(32)),
    ]
    .join("\r\n");
    lines_bounded(&text);
    let lists = token_lists(&text);
    assert_eq!(lists[..3], [0, 2, 32], "group mids");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lines_bounded_by_length(text in "[a-z=:; \t\r\n0-9~,/.-]{0,200}") {
        lines_bounded(&text);
        token_lists(&text);
    }

    #[test]
    fn attribute_tokens_bounded_by_length(
        name in prop_oneof![
            Just("group:BUNDLE"), Just("ssrc-group:FID"), Just("msid-semantic:WMS"),
            Just("candidate:1 1 udp 1 ::1 9 typ host"), Just("simulcast:"), Just("rid:"),
            Just("fmtp:"), Just("extmap:"),
        ],
        value in "[a-z0-9 \t;,~=]{0,100}",
    ) {
        let text = format!("a={name}{value}\r\n");
        lines_bounded(&text);
        token_lists(&text);
    }
}
