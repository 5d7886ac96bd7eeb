#![no_main]
//! Fuzzes `rtcscope dissect -V` on one input: a pcap or pcapng file, every record through the
//! per-packet dissector (`rtcscope_dissect::dissect_frame_with`), its summary (protocol and
//! info columns) and its field tree rendered as text, as crates/cli/src/dissect does.
//!
//! Each frame is dissected three ways: with the default options (`rtcscope dissect`), as
//! cleartext (`--srtp none`), and as SRTP with SCTP on the frame's own ports
//! (`--srtp AES_CM_128_HMAC_SHA1_80 --sctp-port P`), so every UDP payload also meets the SRTP
//! trailer and SCTP paths.
//!
//! Beyond "no panic", it asserts that every node of every tree covers bytes inside the frame
//! (`start <= end <= captured length`: the hex view highlights these ranges), that the
//! rendered tree has one line per node at least, and that the reader makes progress.

use rtcscope_capture::CaptureReader;
use rtcscope_dissect::{dissect_frame_with, DissectOptions, Frame, Protection, SrtpProfile};
use rtcscope_wire::tree::Node;

/// Checks the ranges of `n`'s subtree against the frame's length; returns the node count.
fn check(n: &Node, len: usize, path: &str) -> usize {
    assert!(
        n.range.start <= n.range.end && n.range.end <= len,
        "{path} / {:?} covers {:?}, outside the {len}-byte frame",
        n.label,
        n.range
    );
    1 + n
        .children
        .iter()
        .map(|c| check(c, len, &n.label))
        .sum::<usize>()
}

fn show(f: &Frame, len: usize) {
    // The summary line's columns.
    let _ = (f.protocol(), f.info(), f.transport, f.endpoints);
    // `-V`: the frame tree, then each message's tree.
    let mut text = String::new();
    let mut nodes = check(&f.frame, len, "frame");
    f.frame.render(0, &mut text);
    for m in &f.messages {
        nodes += check(&m.tree, len, m.protocol.name());
        m.tree.render(0, &mut text);
        let _ = (m.turn, m.info.len(), m.tree.has_warnings());
    }
    assert!(
        text.lines().count() >= nodes,
        "{nodes} nodes rendered as fewer lines"
    );
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::new(data) else {
        return;
    };
    let plain = DissectOptions::default();
    let clear = DissectOptions {
        protection: Some(Protection::Clear),
        ..DissectOptions::default()
    };
    let mut steps = 0u64;
    loop {
        steps += 1;
        assert!(
            steps * 12 <= data.len() as u64 + 12,
            "the reader keeps returning records"
        );
        let p = match reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) if !e.is_fatal() => continue,
            Err(_) => break,
        };
        let len = p.data.len();
        let f = dissect_frame_with(
            p.number,
            p.ts_nanos,
            p.link_type,
            p.data,
            p.orig_len,
            &plain,
        );
        show(&f, len);
        let f = dissect_frame_with(
            p.number,
            p.ts_nanos,
            p.link_type,
            p.data,
            p.orig_len,
            &clear,
        );
        show(&f, len);
        if let Some((src, dst)) = f.endpoints {
            let srtp = DissectOptions {
                protection: Some(Protection::srtp(SrtpProfile::Aes128CmHmacSha1_80)),
                sctp_ports: vec![src.port(), dst.port()],
                ..DissectOptions::default()
            };
            let f =
                dissect_frame_with(p.number, p.ts_nanos, p.link_type, p.data, p.orig_len, &srtp);
            show(&f, len);
        }
    }
});
