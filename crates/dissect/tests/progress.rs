//! Progress as an invariant (issue #16): the dissector's own byte walks (the STUN/ChannelData
//! and RFC 4571 stream framing of `dissect_stream`, and the extension walk of a ClientHello's
//! first fragment) consume at least one byte per step or end. Each test feeds input crafted to
//! stall a walk (zero lengths, maximal lengths) and checks that it ends with no more messages
//! or nodes than the input has headers. The walks also `debug_assert!` their progress, which
//! these tests (built with debug assertions) exercise. The protocol walks the dissector calls
//! (RTCP, SCTP, DTLS records, extensions) are tested in their own crates.

use rtcscope_dissect::{dissect, dissect_sctp, dissect_stream, Protocol};
use rtcscope_wire::tree::Node;

/// Dissects `buf` as a stream and checks the message count against its length: a frame is
/// at least three bytes (an RFC 4571 prefix and one byte), and the unframed rest is one more.
fn stream_bounded(buf: &[u8]) -> usize {
    let out = dissect_stream(buf, 0);
    assert!(
        out.len() <= buf.len() / 3 + 1,
        "{} messages from {} bytes",
        out.len(),
        buf.len()
    );
    out.len()
}

/// A STUN Binding request with no attributes.
fn empty_stun() -> Vec<u8> {
    let mut m = vec![0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42];
    m.extend_from_slice(&[7; 12]);
    m
}

/// A 12-byte RTP header (no payload) with sequence number `seq`.
fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]);
    p
}

#[test]
fn stream_framing_ends() {
    let rfc4571 = |p: &[u8]| [&(p.len() as u16).to_be_bytes()[..], p].concat();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("zero-length STUN messages", empty_stun().repeat(8)),
        ("zero-length ChannelData", [0x40, 0, 0, 0].repeat(16)),
        (
            "maximal ChannelData length",
            [0x40, 0, 0xff, 0xff].repeat(4),
        ),
        (
            "RFC 4571 frames",
            (0..8).flat_map(|s| rfc4571(&rtp(s))).collect(),
        ),
        ("RFC 4571 length 0", vec![0; 16]),
        ("RFC 4571 maximal length", [0xff, 0xff, 0x80, 0].repeat(4)),
        (
            "RFC 4571 frames, then length 0",
            [rfc4571(&rtp(1)), vec![0, 0, 0, 0]].concat(),
        ),
        ("one byte", vec![0x40]),
    ];
    for (name, buf) in &cases {
        let n = stream_bounded(buf);
        eprintln!("{name}: {n} messages");
    }
    assert_eq!(stream_bounded(&empty_stun().repeat(8)), 8);
    assert_eq!(stream_bounded(&[0x40, 0, 0, 0].repeat(16)), 16);
    let framed: Vec<u8> = (0..8).flat_map(|s| rfc4571(&rtp(s))).collect();
    let out = dissect_stream(&framed, 0);
    assert_eq!(out.len(), 8);
    assert!(out.iter().all(|d| d.protocol != Protocol::Data));
}

/// A plaintext DTLS 1.2 record carrying one handshake fragment: the first `body.len()` bytes
/// of a ClientHello announced as `length` bytes long.
fn client_hello_fragment(body: &[u8], length: u32) -> Vec<u8> {
    let mut hs = vec![1];
    hs.extend_from_slice(&length.to_be_bytes()[1..]);
    hs.extend_from_slice(&[0, 0, 0, 0, 0]);
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(body);
    let mut rec = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// The fixed part of a ClientHello, then the extension list length and `exts`.
fn hello_body(exts: &[u8]) -> Vec<u8> {
    let mut b = vec![0xfe, 0xfd];
    b.extend_from_slice(&[9; 32]);
    b.extend_from_slice(&[0, 0, 0, 2, 0xc0, 0x2b, 1, 0]);
    b.extend_from_slice(&0xffffu16.to_be_bytes());
    b.extend_from_slice(exts);
    b
}

fn find<'n>(n: &'n Node, label: &str) -> Option<&'n Node> {
    if n.label == label {
        return Some(n);
    }
    n.children.iter().find_map(|c| find(c, label))
}

#[test]
fn partial_client_hello_extension_walk_ends() {
    let cases: Vec<(&str, Vec<u8>, usize)> = vec![
        ("zero-length extensions", [0, 0, 0, 0].repeat(16), 16),
        (
            "maximal extension length",
            [0, 1, 0xff, 0xff, 0, 0].to_vec(),
            1,
        ),
        ("a cut header", [0, 0, 0, 0, 0, 1].to_vec(), 1),
        ("no extensions", Vec::new(), 0),
    ];
    for (name, exts, want) in &cases {
        let body = hello_body(exts);
        let rec = client_hello_fragment(&body, 4000);
        let out = dissect(&rec, 0);
        assert_eq!(out.len(), 1, "{name}");
        let list = find(&out[0].tree, "Extensions (complete in this fragment)")
            .unwrap_or_else(|| panic!("{name}: no extension list"));
        assert_eq!(list.children.len(), *want, "{name}");
        assert!(list.children.len() <= exts.len() / 4 + 1, "{name}");
    }
}

/// A fixed pseudo-random sequence (xorshift), so the sweep is the same on every run.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Random bytes behind each first byte the demultiplexer tells apart, through every entry
/// point: every call ends, and the stream framing stays bounded.
#[test]
fn random_inputs_end() {
    let mut state = 0x9e37_79b9_7f4a_7c15;
    for i in 0..4000 {
        let len = (xorshift(&mut state) % 200) as usize;
        let mut buf: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
        if let Some(b) = buf.first_mut() {
            *b = [0x00, 0x01, 0x16, 0x17, 0x2c, 0x40, 0x80, 0x81, 0xc8][i % 9];
        }
        let _ = dissect(&buf, 0);
        let _ = dissect_sctp(&buf, 0);
        stream_bounded(&buf);
        let _ = dissect(&client_hello_fragment(&hello_body(&buf), 4000), 0);
    }
}
