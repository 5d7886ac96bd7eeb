//! TCP with state: `dissect` reassembles each direction with the engine's stream cutter, so a
//! message split over segments is dissected whole on the segment that completes it, and the
//! segments before it, retransmissions and segments held after a gap say what they are.
//! Without state (the TUI's rows) each segment is still read alone.

use rtcscope_capture::link::LinkType;
use rtcscope_dissect::{dissect_frame, Dissector, Frame, Protocol};
use rtcscope_testkit::frames::ipv4;
use rtcscope_wire::tree::Node;

const CLIENT: ([u8; 4], u16) = ([10, 0, 0, 2], 40000);
const SERVER: ([u8; 4], u16) = ([10, 0, 0, 1], 3478);
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;

/// A TCP segment (no options, checksum 0) in a raw IPv4 packet.
fn segment(
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&from.1.to_be_bytes());
    t.extend_from_slice(&to.1.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(&[5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    ipv4(from.0, to.0, 6, 1, &t)
}

/// A STUN Binding request (RFC 8489) with a SOFTWARE attribute of `software`.
fn stun_binding(software: &str) -> Vec<u8> {
    let mut attr = 0x8022u16.to_be_bytes().to_vec();
    attr.extend_from_slice(&(software.len() as u16).to_be_bytes());
    attr.extend_from_slice(software.as_bytes());
    while attr.len() % 4 != 0 {
        attr.push(0);
    }
    let mut m = 0x0001u16.to_be_bytes().to_vec();
    m.extend_from_slice(&(attr.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
    m.extend_from_slice(b"split-txid-1");
    m.extend_from_slice(&attr);
    m
}

/// ChannelData on `channel` carrying `len` bytes, padded to 4 as over TCP (RFC 8656 §12.5).
fn channel_data(channel: u16, len: usize) -> Vec<u8> {
    let mut m = channel.to_be_bytes().to_vec();
    m.extend_from_slice(&(len as u16).to_be_bytes());
    m.extend((0..len).map(|i| (i * 7) as u8));
    while m.len() % 4 != 0 {
        m.push(0);
    }
    m
}

fn feed(d: &mut Dissector, n: u64, f: &[u8]) -> Frame {
    d.frame(n, 0, LinkType::RAW, f, f.len() as u32)
}

fn find<'a>(n: &'a Node, prefix: &str) -> Option<&'a Node> {
    if n.label.starts_with(prefix) {
        return Some(n);
    }
    n.children.iter().find_map(|c| find(c, prefix))
}

/// Every frame of `stream` through one dissector, numbered from 1.
fn feed_all(stream: &[(u32, Vec<u8>)]) -> Vec<Frame> {
    let mut d = Dissector::default();
    stream
        .iter()
        .enumerate()
        .map(|(i, (_, f))| feed(&mut d, i as u64 + 1, f))
        .collect()
}

/// A client's stream: its SYN, then `segments` (each one segment of payload, in stream
/// order), numbered from 2, with their sequence numbers.
fn client_stream(segments: &[&[u8]]) -> Vec<(u32, Vec<u8>)> {
    let isn = 1_000_000u32;
    let mut out = vec![(isn, segment(CLIENT, SERVER, isn, SYN, &[]))];
    let mut seq = isn + 1;
    for s in segments {
        out.push((seq, segment(CLIENT, SERVER, seq, ACK | PSH, s)));
        seq += s.len() as u32;
    }
    out
}

#[test]
fn a_stun_message_in_three_segments_is_dissected_whole_on_the_last() {
    let stun = stun_binding("a message longer than one segment of this test");
    let (a, b) = (30, 60);
    let stream = client_stream(&[&stun[..a], &stun[a..b], &stun[b..]]);
    let frames = feed_all(&stream);
    assert_eq!(frames[0].messages[0].protocol, Protocol::Tcp, "the SYN");
    for (f, n) in [(&frames[1], a), (&frames[2], b - a)] {
        assert_eq!(f.messages.len(), 1);
        assert_eq!(f.messages[0].protocol, Protocol::Tcp, "{}", f.info());
        assert_eq!(
            f.info(),
            format!("[TCP segment of a reassembled message] {n} bytes")
        );
    }
    let last = &frames[3];
    assert_eq!(last.messages.len(), 1, "{}", last.info());
    let m = &last.messages[0];
    assert_eq!(m.protocol, Protocol::Stun);
    assert!(m.info.starts_with("Binding Request"), "{}", m.info);
    assert!(
        m.info.ends_with("[reassembled from frames 2, 3, 4]"),
        "{}",
        m.info
    );
    let note = find(&m.tree, "Reassembled TCP message").expect("the reassembly note");
    assert_eq!(
        note.value.as_deref(),
        Some(format!("{} bytes from frames 2, 3, 4", stun.len()).as_str())
    );
    // The whole message was parsed: its SOFTWARE attribute, which lies in the last segment.
    assert!(
        find(&m.tree, "SOFTWARE").is_some_and(|n| n
            .value
            .as_deref()
            .is_some_and(|v| v.contains("longer than one segment"))),
        "{:#?}",
        m.tree
    );
    // Its nodes span this segment's part of the message (the hex view highlights those).
    let payload_at = 40;
    assert_eq!(m.tree.range, payload_at..payload_at + stun.len() - b);

    // Without state, each segment alone: nothing of it is STUN.
    for (_, f) in &stream[1..] {
        let alone = dissect_frame(0, 0, LinkType::RAW, f, f.len() as u32);
        assert!(
            alone.messages.iter().all(|m| m.protocol != Protocol::Stun),
            "{}",
            alone.info()
        );
    }
}

#[test]
fn channel_data_split_after_stun_and_whole_messages_stay_in_place() {
    let stun = stun_binding("x");
    let cd1 = channel_data(0x4001, 100);
    let cd2 = channel_data(0x4001, 201); // padded: 208 bytes on the stream
                                         // Segment 1: STUN and ChannelData whole; segment 2: the first 50 bytes of the second
                                         // ChannelData; segment 3: its rest.
    let mut s1 = stun.clone();
    s1.extend_from_slice(&cd1);
    let stream = client_stream(&[&s1, &cd2[..50], &cd2[50..]]);
    let frames = feed_all(&stream);
    let first = &frames[1];
    let protocols: Vec<Protocol> = first.messages.iter().map(|m| m.protocol).collect();
    assert_eq!(protocols, [Protocol::Stun, Protocol::ChannelData]);
    // In place: the ChannelData's tree starts right after the STUN message in the frame.
    assert_eq!(first.messages[1].tree.range.start, 40 + stun.len());
    assert!(!first.info().contains("reassembled"), "{}", first.info());
    assert_eq!(
        frames[2].info(),
        "[TCP segment of a reassembled message] 50 bytes"
    );
    let last = &frames[3];
    assert_eq!(last.messages.len(), 1, "{}", last.info());
    assert_eq!(last.messages[0].protocol, Protocol::ChannelData);
    assert!(
        last.info().contains("Channel 0x4001, 201 bytes")
            && last.info().ends_with("[reassembled from frames 3, 4]"),
        "{}",
        last.info()
    );
}

#[test]
fn retransmissions_and_segments_after_a_gap_are_named() {
    let stun = stun_binding("reordered and retransmitted");
    let (a, b) = (24, 48);
    let stream = client_stream(&[&stun[..a], &stun[a..b], &stun[b..]]);
    let mut d = Dissector::default();
    // SYN, the first part, then the third before the second, then the second twice.
    let order = [0, 1, 3, 2, 2];
    let frames: Vec<Frame> = order
        .iter()
        .enumerate()
        .map(|(i, &k)| feed(&mut d, i as u64 + 1, &stream[k].1))
        .collect();
    assert_eq!(
        frames[1].info(),
        format!("[TCP segment of a reassembled message] {a} bytes")
    );
    assert_eq!(
        frames[2].info(),
        format!(
            "[TCP segment after a gap] {} bytes held until the gap fills",
            stun.len() - b
        )
    );
    let filled = &frames[3];
    assert_eq!(filled.messages.len(), 1, "{}", filled.info());
    assert_eq!(filled.messages[0].protocol, Protocol::Stun);
    assert!(
        filled.info().ends_with("[reassembled from frames 2, 3, 4]"),
        "{}",
        filled.info()
    );
    assert_eq!(
        frames[4].info(),
        format!("[TCP retransmission] {} bytes seen before", b - a)
    );
}

#[test]
fn an_rfc4571_frame_split_inside_its_length_prefix() {
    // ICE-TCP (RFC 6544): a 16-bit length, then the STUN Binding request.
    let stun = stun_binding("ice-tcp");
    let mut framed = (stun.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&stun);
    let stream = client_stream(&[&framed[..1], &framed[1..]]);
    let frames = feed_all(&stream);
    // One byte says nothing yet: it is held, but no framing is known, so it stays data.
    assert_eq!(
        frames[1].messages[0].protocol,
        Protocol::Data,
        "{}",
        frames[1].info()
    );
    let last = &frames[2];
    assert_eq!(last.messages.len(), 1, "{}", last.info());
    assert_eq!(last.messages[0].protocol, Protocol::Stun);
    assert!(
        last.info().ends_with("[reassembled from frames 2, 3]"),
        "{}",
        last.info()
    );
}

#[test]
fn tls_on_a_stream_is_not_taken_for_a_partial_message() {
    // A TLS ClientHello's first bytes, then a short record: neither frames as STUN, ChannelData
    // or RFC 4571, so both are data (as `analyze` skips them), never "segment of a message".
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    hello.extend((0..200).map(|i| i as u8));
    let alert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];
    let stream = client_stream(&[&alert, &hello]);
    let mut d = Dissector::default();
    for (i, (_, f)) in stream.iter().enumerate().skip(1) {
        let f = feed(&mut d, i as u64 + 1, f);
        assert!(
            f.messages.iter().all(|m| m.protocol == Protocol::Data),
            "frame {}: {}",
            i + 1,
            f.info()
        );
    }
}
