//! IP fragment and TCP stream reassembly: real captures, damage, limits, property tests.

use proptest::prelude::*;
use rtcscope_capture::file::CaptureReader;
use rtcscope_capture::link::{decode, decode_transport, Fragment, NotTransport, Transport};
use rtcscope_capture::reassembly::{Framing, IpLimits, IpReassembler, TcpLimits, TcpStream};
use rtcscope_testkit::{fixtures, require_tool};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

const COOKIE: [u8; 4] = [0x21, 0x12, 0xa4, 0x42];

/// One direction of a connection.
type Dir = (SocketAddr, SocketAddr);

/// (direction, sequence number, flags, payload) of every TCP segment in a capture.
type Segments = Vec<(Dir, u32, u8, Vec<u8>)>;

fn tcp_segments(path: &str) -> Segments {
    let bytes = std::fs::read(fixtures().join(path)).unwrap();
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        if let Ok(Ok(d)) = decode(p.link_type, p.data) {
            if let Transport::Tcp { seq, flags } = d.transport {
                out.push(((d.src, d.dst), seq, flags, d.payload.to_vec()));
            }
        }
    }
    out
}

/// What a framed message is.
#[derive(Debug, PartialEq, Eq, Clone, Copy, Hash)]
enum Kind {
    Stun,
    ChannelData,
}

fn kind(m: &[u8]) -> Kind {
    match m[0] >> 6 {
        0 => {
            assert_eq!(m[4..8], COOKIE, "STUN without cookie: {m:02x?}");
            assert_eq!(usize::from(u16::from_be_bytes([m[2], m[3]])) + 20, m.len());
            Kind::Stun
        }
        1 => {
            let ch = u16::from_be_bytes([m[0], m[1]]);
            assert!((0x4000..0x8000).contains(&ch));
            assert_eq!(usize::from(u16::from_be_bytes([m[2], m[3]])) + 4, m.len());
            Kind::ChannelData
        }
        _ => panic!("not STUN or ChannelData: {m:02x?}"),
    }
}

/// Feeds segments; returns message kinds per direction and each stream's stats.
fn run(
    segments: &Segments,
    limits: TcpLimits,
) -> HashMap<Dir, (Vec<Kind>, rtcscope_capture::reassembly::StreamStats)> {
    let mut streams: HashMap<Dir, (TcpStream, Vec<Kind>)> = HashMap::new();
    let any_channel = |c: u16| (0x4000..0x8000).contains(&c);
    for (src, seq, flags, payload) in segments {
        let (s, kinds) = streams
            .entry(*src)
            .or_insert_with(|| (TcpStream::new(limits), Vec::new()));
        s.push(*seq, *flags, payload, &any_channel, &mut |m| {
            kinds.push(kind(m.bytes));
            assert_eq!(m.framing, Framing::StunChannelData);
        });
    }
    streams
        .into_iter()
        .map(|(k, (s, kinds))| (k, (kinds, s.stats())))
        .collect()
}

fn tshark_counts(tshark: &std::path::Path) -> (usize, usize) {
    let v = rtcscope_testkit::tshark::field_values(
        tshark,
        &fixtures().join("captures/turn-tcp.pcap"),
        &[],
        &["stun.type", "stun.channel"],
    );
    (v[0].len(), v[1].len())
}

#[test]
fn turn_over_tcp_capture_frames_like_tshark() {
    let segs = tcp_segments("captures/turn-tcp.pcap");
    let res = run(&segs, TcpLimits::default());
    let mut stun = 0;
    let mut chan = 0;
    for (kinds, stats) in res.values() {
        assert_eq!(stats.skipped_bytes, 0, "{stats:?}");
        assert_eq!(stats.gaps, 0);
        stun += kinds.iter().filter(|k| **k == Kind::Stun).count();
        chan += kinds.iter().filter(|k| **k == Kind::ChannelData).count();
    }
    assert!(chan >= 200, "{chan}");
    if let Some(tshark) = require_tool("capture::reassembly::turn_over_tcp", "tshark") {
        assert_eq!((stun, chan), tshark_counts(&tshark));
    }
}

#[test]
fn reordered_segments_give_the_same_messages() {
    let segs = tcp_segments("captures/turn-tcp.pcap");
    let expected = run(&segs, TcpLimits::default());
    let mut swapped = segs.clone();
    // Swap neighbours of the same direction with payload, all through the capture.
    let mut i = 0;
    while i + 3 < swapped.len() {
        if !swapped[i].3.is_empty()
            && swapped[i].2 & 0x02 == 0
            && swapped[i + 2].0 == swapped[i].0
            && !swapped[i + 2].3.is_empty()
        {
            swapped.swap(i, i + 2);
            i += 4;
        } else {
            i += 1;
        }
    }
    let got = run(&swapped, TcpLimits::default());
    for (k, (kinds, _)) in &expected {
        assert_eq!(&got[k].0, kinds);
    }
}

#[test]
fn mid_stream_start_resynchronises() {
    let segs = tcp_segments("captures/turn-tcp.pcap");
    let full = run(&segs, TcpLimits::default());
    // Drop the handshake and the first 30 segments; also cut the next one in the middle of a
    // message so the stream starts inside one.
    let mut cut: Segments = segs[30..].to_vec();
    let first = cut.iter().position(|s| s.3.len() > 10).unwrap();
    let (src, seq, flags, p) = cut[first].clone();
    cut[first] = (src, seq.wrapping_add(7), flags, p[7..].to_vec());
    let got = run(&cut, TcpLimits::default());
    let mut checked = 0;
    for (k, (kinds, stats)) in got.iter().filter(|(_, (_, s))| s.segments > 0) {
        checked += 1;
        assert!(stats.resyncs >= 1, "{stats:?}");
        let all = &full[k].0;
        // What survives is exactly the tail of the full message sequence.
        assert!(
            kinds.len() + 40 >= all.len() / 2,
            "{} of {}",
            kinds.len(),
            all.len()
        );
        assert_eq!(&all[all.len() - kinds.len()..], &kinds[..]);
    }
    assert!(checked >= 2, "{checked}");
}

#[test]
fn a_lost_segment_is_declared_after_the_limit_and_analysis_goes_on() {
    let segs = tcp_segments("captures/turn-tcp.pcap");
    let full = run(&segs, TcpLimits::default());
    let victim = segs.len() / 2;
    assert!(!segs[victim].3.is_empty() || !segs[victim + 1].3.is_empty());
    let victim = if segs[victim].3.is_empty() {
        victim + 1
    } else {
        victim
    };
    let lost_dir = segs[victim].0;
    let mut damaged = segs.clone();
    damaged.remove(victim);
    let limits = TcpLimits {
        max_out_of_order: 4096,
        ..TcpLimits::default()
    };
    let got = run(&damaged, limits);
    let (kinds, stats) = &got[&lost_dir];
    assert_eq!(stats.gaps, 1, "{stats:?}");
    assert!(stats.gap_bytes > 0);
    // Messages after the gap were found again: most of the stream survives.
    assert!(
        kinds.len() + 10 >= full[&lost_dir].0.len(),
        "{} vs {}",
        kinds.len(),
        full[&lost_dir].0.len()
    );
}

#[test]
fn garbage_stream_stays_within_memory_limits() {
    let mut s = TcpStream::new(TcpLimits::default());
    let none = |_: u16| false;
    let mut seq = 1000u32;
    let mut emitted = 0;
    let mut x = 0x1234_5678u32;
    for _ in 0..2000 {
        let seg: Vec<u8> = (0..1400)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                // Bytes of 0xc0.. start no STUN, ChannelData, RTP, DTLS or plausible
                // RFC 4571 frame.
                0xc0 | (x as u8 & 0x3f)
            })
            .collect();
        s.push(seq, 0x10, &seg, &none, &mut |_| emitted += 1);
        seq = seq.wrapping_add(1400);
        assert!(s.buffered_bytes() <= 16, "{}", s.buffered_bytes());
    }
    assert_eq!(emitted, 0);
    // Out-of-order data beyond a gap is capped too.
    let mut s = TcpStream::new(TcpLimits::default());
    s.push(1, 0x02, &[], &none, &mut |_| {});
    for i in 0..1000u32 {
        s.push(10_000 + i * 1400, 0x10, &[0xaa; 1400], &none, &mut |_| {});
        assert!(s.buffered_bytes() <= 256 * 1024 + 1400);
    }
    assert!(s.stats().gaps >= 1);
}

fn stun_message(len_words: u8, fill: u8) -> Vec<u8> {
    let body = usize::from(len_words) * 4;
    let mut m = vec![0x00, 0x01, 0, body as u8];
    m.extend_from_slice(&COOKIE);
    m.extend_from_slice(&[fill; 12]);
    m.extend(std::iter::repeat_n(fill, body));
    m
}

proptest! {
    /// RFC 4571 framing cut at arbitrary points comes back message for message.
    #[test]
    fn rfc4571_split_anywhere(sizes in proptest::collection::vec(0u8..20, 1..20),
                              cuts in proptest::collection::vec(1usize..200, 1..40)) {
        let msgs: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, &s)| stun_message(s, i as u8)).collect();
        let mut stream = Vec::new();
        for m in &msgs {
            stream.extend_from_slice(&(m.len() as u16).to_be_bytes());
            stream.extend_from_slice(m);
        }
        let mut s = TcpStream::default();
        let none = |_: u16| false;
        let mut got = Vec::new();
        s.push(99, 0x02, &[], &none, &mut |_| {});
        let mut pos = 0;
        let mut seq = 100u32;
        for c in cuts.iter().cycle() {
            if pos >= stream.len() { break; }
            let end = (pos + c).min(stream.len());
            s.push(seq, 0x18, &stream[pos..end], &none, &mut |m| got.push(m.bytes.to_vec()));
            seq = seq.wrapping_add((end - pos) as u32);
            pos = end;
        }
        prop_assert_eq!(s.framing(), Framing::Rfc4571);
        prop_assert_eq!(got, msgs);
    }

    /// Sequence numbers wrap around 2^32 without losing data.
    #[test]
    fn sequence_wraparound(start in (u32::MAX - 3000)..u32::MAX) {
        let msgs: Vec<Vec<u8>> = (0..40).map(|i| stun_message(3, i)).collect();
        let stream: Vec<u8> = msgs.concat();
        let mut s = TcpStream::default();
        let none = |_: u16| false;
        let mut got = Vec::new();
        s.push(start, 0x02, &[], &none, &mut |_| {});
        let mut seq = start.wrapping_add(1);
        for chunk in stream.chunks(100) {
            s.push(seq, 0x18, chunk, &none, &mut |m| got.push(m.bytes.to_vec()));
            seq = seq.wrapping_add(chunk.len() as u32);
        }
        prop_assert_eq!(got, msgs);
    }
}

fn udp_datagram(len: usize) -> Vec<u8> {
    let mut d = vec![0x13, 0x88, 0x0d, 0x96];
    d.extend_from_slice(&((8 + len) as u16).to_be_bytes());
    d.extend_from_slice(&[0, 0]);
    d.extend((0..len).map(|i| (i * 7) as u8));
    d
}

fn fragments(d: &[u8], size: usize, id: u32) -> Vec<(usize, bool, Vec<u8>)> {
    let _ = id;
    d.chunks(size)
        .enumerate()
        .map(|(i, c)| (i * size, (i + 1) * size < d.len(), c.to_vec()))
        .collect()
}

fn frag<'a>(offset: usize, more: bool, data: &'a [u8], id: u32) -> Fragment<'a> {
    Fragment {
        src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        id,
        protocol: 17,
        offset,
        more,
        data,
        cut: false,
    }
}

proptest! {
    #[test]
    fn fragments_in_any_order_reassemble(len in 100usize..4000, size8 in 1usize..64,
                                         order in proptest::collection::vec(any::<u32>(), 64)) {
        let d = udp_datagram(len);
        let mut frags = fragments(&d, size8 * 8, 7);
        // Shuffle by the random keys.
        let mut keyed: Vec<_> = frags.drain(..).zip(order.iter().cycle()).collect();
        keyed.sort_by_key(|(_, k)| **k);
        // Up to 501 fragments of 8 bytes: above the default per-datagram cap (tested below).
        let mut r = IpReassembler::new(IpLimits { max_fragments: 1024, ..IpLimits::default() });
        let mut out = None;
        for ((off, more, data), _) in &keyed {
            if let Some(done) = r.push(&frag(*off, *more, data, 7), 0) {
                prop_assert!(out.is_none());
                out = Some(done);
            }
        }
        let done = out.expect("reassembled");
        prop_assert_eq!(&done.payload, &d);
        let t = decode_transport(done.protocol, done.src, done.dst, &done.payload).unwrap().unwrap();
        prop_assert_eq!(t.payload.len(), len);
        prop_assert_eq!(r.pending(), 0);
        prop_assert_eq!(r.buffered_bytes(), 0);
    }
}

/// A datagram cut into more fragments than the cap allows is dropped, fragment by fragment,
/// and counted; the cap bounds the work each fragment costs (its range list is searched).
#[test]
fn too_many_fragments_are_dropped_and_counted() {
    let d = udp_datagram(2000);
    let limits = IpLimits::default();
    let mut r = IpReassembler::new(limits);
    let frags = fragments(&d, 8, 3);
    assert!(frags.len() > limits.max_fragments as usize);
    for (off, more, data) in &frags {
        assert!(r.push(&frag(*off, *more, data, 3), 0).is_none());
    }
    assert_eq!(
        r.stats().bad_fragments,
        (frags.len() - limits.max_fragments as usize) as u64
    );
    // The same datagram in ordinary 1,480-byte fragments reassembles.
    let mut done = None;
    for (off, more, data) in fragments(&d, 1480, 4) {
        done = done.or(r.push(&frag(off, more, &data, 4), 0));
    }
    assert_eq!(done.unwrap().payload, d);
}

/// Expiry and eviction take the oldest datagrams first, from the arrival queue, even after
/// many datagrams completed (their queue entries are stale and skipped).
#[test]
fn expiry_follows_arrival_order_after_completions() {
    let mut r = IpReassembler::new(IpLimits {
        max_pending: 4,
        ..IpLimits::default()
    });
    let d = udp_datagram(100);
    // 1,000 datagrams that complete: nothing stays pending.
    for id in 0..1000u32 {
        assert!(r
            .push(&frag(0, true, &d[..64], id), i128::from(id))
            .is_none());
        assert!(r
            .push(&frag(64, false, &d[64..], id), i128::from(id))
            .is_some());
    }
    assert_eq!(r.pending(), 0);
    // Four that never complete, then a fifth: the first of them is evicted.
    for id in 2000..2005u32 {
        r.push(&frag(0, true, &d[..64], id), 5000 + i128::from(id));
    }
    assert_eq!(r.pending(), 4);
    assert_eq!(r.stats().evicted, 1);
    // The oldest left (2001) still completes; the evicted one (2000) does not.
    assert!(r.push(&frag(64, false, &d[64..], 2001), 7100).is_some());
    assert!(r.push(&frag(64, false, &d[64..], 2000), 7100).is_none());
}

#[test]
fn overlapping_fragments_are_dropped_and_counted() {
    let d = udp_datagram(100);
    let mut r = IpReassembler::default();
    assert!(r.push(&frag(0, true, &d[..64], 1), 0).is_none());
    // Overlaps bytes 56..64.
    assert!(r.push(&frag(56, false, &d[56..], 1), 0).is_none());
    assert_eq!(r.stats().bad_fragments, 1);
    let done = r.push(&frag(64, false, &d[64..], 1), 0).unwrap();
    assert_eq!(done.payload, d);
}

#[test]
fn the_pool_is_bounded_and_times_out() {
    let limits = IpLimits {
        max_pending: 100,
        max_bytes: 64 * 1024,
        timeout_nanos: 1_000_000_000,
        ..IpLimits::default()
    };
    let mut r = IpReassembler::new(limits);
    let chunk = [0u8; 1480];
    for id in 0..10_000u32 {
        r.push(&frag(0, true, &chunk, id), i128::from(id) * 1000);
        assert!(r.pending() <= 100);
        assert!(r.buffered_bytes() <= 64 * 1024);
    }
    assert!(r.stats().evicted >= 9_900);
    // Everything older than the timeout goes at the next push.
    r.push(&frag(0, true, &chunk, 99_999), 10_000_000_000_000);
    assert_eq!(r.pending(), 1);
}

#[test]
fn decode_reports_fragments_of_a_real_frame_layout() {
    // IPv4 frame: first fragment of a UDP datagram (MF set, offset 0).
    let d = udp_datagram(40);
    let mut f = vec![
        0x45, 0, 0, 0, 0x12, 0x34, 0x20, 0x00, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    let first = &d[..24];
    f[2..4].copy_from_slice(&((20 + first.len()) as u16).to_be_bytes());
    f.extend_from_slice(first);
    let Ok(Err(NotTransport::Fragment(fr))) = decode(rtcscope_capture::LinkType::RAW, &f) else {
        panic!("not a fragment")
    };
    assert_eq!(
        (fr.id, fr.offset, fr.more, fr.data),
        (0x1234, 0, true, first)
    );
    let mut g = vec![
        0x45, 0, 0, 0, 0x12, 0x34, 0x00, 0x03, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    let second = &d[24..];
    g[2..4].copy_from_slice(&((20 + second.len()) as u16).to_be_bytes());
    g.extend_from_slice(second);
    let Ok(Err(NotTransport::Fragment(fr2))) = decode(rtcscope_capture::LinkType::RAW, &g) else {
        panic!("not a fragment")
    };
    let mut r = IpReassembler::default();
    assert!(r.push(&fr, 0).is_none());
    let done = r.push(&fr2, 1).unwrap();
    assert_eq!(done.payload, d);
}

/// The hang found on real captures: a stream framed as STUN back to back whose boundaries are
/// lost, then bytes that read as an RFC 4571 frame (a length, then STUN). The scan used to land
/// there, the STUN/ChannelData framing rejected it, and the scan started again on the same bytes
/// forever. Now a scan lands only on a start its own framing accepts.
#[test]
fn resync_never_lands_on_a_start_the_framing_rejects() {
    let none = |_: u16| false;
    let stun = stun_message(1, 7);
    let mut framed = (stun.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&stun);
    let mut s = TcpStream::default();
    let mut got = Vec::new();
    // No SYN: the stream starts unsynchronised and finds STUN at once.
    s.push(1000, 0x18, &stun, &none, &mut |m| {
        got.push(m.bytes.to_vec())
    });
    assert_eq!(s.framing(), Framing::StunChannelData);
    // Garbage loses the boundaries, then an RFC 4571 frame, then STUN again.
    let mut seg = vec![0xff; 5];
    seg.extend_from_slice(&framed);
    seg.extend_from_slice(&stun);
    s.push(1000 + stun.len() as u32, 0x18, &seg, &none, &mut |m| {
        got.push(m.bytes.to_vec())
    });
    // The prefixed STUN message is found inside the frame (its own framing), and the last one.
    assert_eq!(got, vec![stun.clone(), stun.clone(), stun.clone()]);
    assert_eq!(s.framing(), Framing::StunChannelData);
}

/// A STUN header whose length field is larger than any message the stream accepts is not a
/// place to resynchronise (it would be rejected at once, the same hang's second way in).
#[test]
fn an_oversized_stun_header_is_not_a_resync_point() {
    let none = |_: u16| false;
    let mut s = TcpStream::default();
    let mut huge = vec![0x00, 0x01, 0xff, 0xfc];
    huge.extend_from_slice(&COOKIE);
    huge.extend_from_slice(&[0; 12]);
    let stun = stun_message(0, 1);
    let mut seg = huge.clone();
    seg.extend_from_slice(&stun);
    let mut got = Vec::new();
    s.push(5, 0x18, &seg, &none, &mut |m| got.push(m.bytes.to_vec()));
    assert_eq!(got, vec![stun]);
}

/// TLS records on TCP (bytes such as 0x16 0x03 0x03 and "ED" = 0x4544) are neither a framing
/// nor a channel: nothing is cut from them, and memory stays at a few bytes.
#[test]
fn tls_and_text_on_tcp_are_not_framed() {
    let none = |_: u16| false;
    let mut s = TcpStream::default();
    let mut emitted = 0;
    let mut seq = 1u32;
    s.push(0, 0x02, &[], &none, &mut |_| emitted += 1);
    let mut record = vec![0x16, 0x03, 0x03, 0x02, 0x00];
    record.extend(std::iter::repeat_n(b"EDGE\x80\x90".iter().copied(), 85).flatten());
    for _ in 0..200 {
        s.push(seq, 0x18, &record, &none, &mut |_| emitted += 1);
        seq = seq.wrapping_add(record.len() as u32);
        let xmpp = b"<stream:stream to='example.invalid' xmlns='jabber:client'>";
        s.push(seq, 0x18, xmpp, &none, &mut |_| emitted += 1);
        seq = seq.wrapping_add(xmpp.len() as u32);
    }
    assert_eq!(emitted, 0);
    assert!(s.buffered_bytes() <= 16, "{}", s.buffered_bytes());
}

/// Stream bytes a message of `len` bytes took: its RFC 4571 length prefix, or its padding to 4
/// bytes (ChannelData over TCP; a STUN message is a multiple of 4 already).
fn framed_len(framing: Framing, len: usize) -> u64 {
    match framing {
        Framing::Rfc4571 => len as u64 + 2,
        _ => len.next_multiple_of(4) as u64,
    }
}

proptest! {
    /// Progress, whatever the bytes: any segments (in order, reordered, overlapping, with gaps)
    /// with any channel numbers bound end, and everything cut lies within the bytes delivered.
    /// A debug build also checks, inside the cutter, that no scan lands twice on one offset.
    #[test]
    fn any_bytes_in_any_order_end_with_bounded_output(
        segs in proptest::collection::vec(
            (0u32..4000, proptest::collection::vec(
                prop_oneof![Just(0x00u8), Just(0x01), Just(0x14), Just(0x21), Just(0x12),
                            Just(0xa4), Just(0x42), Just(0x40), Just(0x80), any::<u8>()],
                0..300)),
            1..40),
        syn in any::<bool>(),
        any_channel in any::<bool>()) {
        let known = move |c: u16| any_channel && (0x4000..0x8000).contains(&c);
        let mut s = TcpStream::new(TcpLimits { max_out_of_order: 2000, max_message: 1000, max_gap_segments: 8 });
        if syn {
            s.push(u32::MAX - 10, 0x02, &[], &known, &mut |_| {});
        }
        let mut cut = 0u64;
        let mut messages = 0u64;
        // Stream bytes the messages took: RFC 4571 prefix and ChannelData padding included.
        let mut framed = 0u64;
        for (off, bytes) in &segs {
            s.push((u32::MAX - 9).wrapping_add(*off), 0x18, bytes, &known, &mut |m| {
                assert!(!m.bytes.is_empty());
                cut += m.bytes.len() as u64;
                messages += 1;
                framed += framed_len(m.framing, m.bytes.len());
            });
            prop_assert!(s.buffered_bytes() <= 2000 + 1000 + 300 + 8);
        }
        let st = s.stats();
        prop_assert!(cut <= st.bytes);
        prop_assert_eq!(messages, st.messages);
        prop_assert!(st.skipped_bytes <= st.bytes);
        // The end of input gives up every hole: nothing out of order is held, and every new
        // byte was cut into a message (its RFC 4571 prefix or ChannelData padding included),
        // skipped, or is the unfinished message at the end.
        s.finish(&known, &mut |m| framed += framed_len(m.framing, m.bytes.len()));
        let st = s.stats();
        prop_assert!(s.buffered_bytes() <= 1000 + 4, "{} held", s.buffered_bytes());
        prop_assert_eq!(st.bytes, framed + st.skipped_bytes + s.buffered_bytes() as u64);
        // A second end changes nothing.
        s.finish(&known, &mut |_| panic!("a second finish emitted"));
        prop_assert_eq!(s.stats(), st);
    }
}

/// A segment lost before the capture on a quiet stream (one that never piles up
/// `max_out_of_order` bytes after the hole) is declared lost after `max_gap_segments`, and the
/// messages after it are found: one lost segment no longer hides the rest of a TURN stream.
#[test]
fn a_gap_on_a_quiet_stream_is_given_up_after_some_segments() {
    let none = |_: u16| false;
    let limits = TcpLimits::default();
    let mut s = TcpStream::new(limits);
    s.push(0, 0x02, &[], &none, &mut |_| {});
    let m = stun_message(2, 9);
    let len = m.len() as u32;
    let mut got = 0;
    // Message 0 arrives, message 1 is lost, then 100 more.
    s.push(1, 0x18, &m, &none, &mut |_| got += 1);
    for i in 2..102u32 {
        s.push(1 + i * len, 0x18, &m, &none, &mut |_| got += 1);
    }
    let st = s.stats();
    assert_eq!(st.gaps, 1, "{st:?}");
    assert_eq!(st.gap_bytes, u64::from(len));
    assert_eq!(got, 101, "{st:?}");
    assert_eq!(s.buffered_bytes(), 0);
}

/// A segment lost near the end of a stream (followed by fewer than `max_gap_segments` segments,
/// and far fewer than `max_out_of_order` bytes) stays open while the input lasts; `finish`
/// declares it lost, and the messages held after it are cut and emitted.
#[test]
fn a_gap_still_open_at_the_end_of_input_is_declared_by_finish() {
    let none = |_: u16| false;
    let mut s = TcpStream::new(TcpLimits::default());
    s.push(0, 0x02, &[], &none, &mut |_| {});
    let msgs: Vec<Vec<u8>> = (0..5).map(|i| stun_message(2, i)).collect();
    let len = msgs[0].len() as u32;
    let mut got: Vec<(Vec<u8>, u64)> = Vec::new();
    // Message 0 arrives, message 1 is lost, messages 2 to 4 arrive, and the input ends.
    for i in [0u32, 2, 3, 4] {
        s.push(1 + i * len, 0x18, &msgs[i as usize], &none, &mut |m| {
            got.push((m.bytes.to_vec(), m.stream_offset))
        });
    }
    assert_eq!(got, vec![(msgs[0].clone(), 0)]);
    assert_eq!(s.stats().gaps, 0, "three segments do not give the gap up");
    assert_eq!(s.buffered_bytes(), 3 * len as usize);

    s.finish(&none, &mut |m| {
        got.push((m.bytes.to_vec(), m.stream_offset))
    });
    let st = s.stats();
    assert_eq!(st.gaps, 1, "{st:?}");
    assert_eq!(st.gap_bytes, u64::from(len), "{st:?}");
    assert_eq!(st.skipped_bytes, 0, "{st:?}");
    assert_eq!(st.messages, 4, "{st:?}");
    let expected: Vec<(Vec<u8>, u64)> = [0u32, 2, 3, 4]
        .iter()
        .map(|&i| (msgs[i as usize].clone(), u64::from(i * len)))
        .collect();
    assert_eq!(
        got, expected,
        "every message after the hole, at its stream offset"
    );
    assert_eq!(s.buffered_bytes(), 0);
    assert_eq!(st.bytes, 4 * u64::from(len));

    // The input has ended: a second call finds nothing to do.
    s.finish(&none, &mut |_| panic!("a second finish emitted"));
    assert_eq!(s.stats(), st);
}

/// Two holes still open at the end, one cutting a message in half, and an unfinished message
/// after the last one: `finish` declares both holes, drops the half message before the first
/// (skipped), resynchronises on the next message, and keeps the unfinished tail; the bytes add
/// up exactly (emitted + skipped + still buffered = delivered).
#[test]
fn finish_gives_up_every_open_hole_and_the_bytes_add_up() {
    let none = |_: u16| false;
    let mut s = TcpStream::new(TcpLimits::default());
    s.push(99, 0x02, &[], &none, &mut |_| {});
    let msgs: Vec<Vec<u8>> = (0..6).map(|i| stun_message(4, 0x10 + i)).collect();
    let len = msgs[0].len();
    let stream = msgs.concat();
    let half = len / 2;
    let tail = 10;
    // Delivered: message 0 and the first half of message 1; lost: the rest of message 1;
    // held: message 2; lost: message 3; held: message 4 and the first bytes of message 5.
    let pieces = [
        (0, len + half),
        (2 * len, 3 * len),
        (4 * len, 5 * len + tail),
    ];
    let mut got = Vec::new();
    for (from, to) in pieces {
        s.push(
            100 + from as u32,
            0x18,
            &stream[from..to],
            &none,
            &mut |m| got.push(m.bytes.to_vec()),
        );
    }
    assert_eq!(got, vec![msgs[0].clone()]);
    assert_eq!(s.stats().gaps, 0);

    s.finish(&none, &mut |m| got.push(m.bytes.to_vec()));
    let st = s.stats();
    assert_eq!(got, vec![msgs[0].clone(), msgs[2].clone(), msgs[4].clone()]);
    assert_eq!(st.gaps, 2, "{st:?}");
    assert_eq!(st.gap_bytes, (len - half + len) as u64, "{st:?}");
    assert_eq!(
        st.skipped_bytes, half as u64,
        "the half message before the first hole"
    );
    assert_eq!(s.buffered_bytes(), tail, "the unfinished last message");
    assert_eq!(
        st.bytes,
        (3 * len) as u64 + st.skipped_bytes + s.buffered_bytes() as u64
    );
    assert_eq!(st.bytes + st.gap_bytes, (5 * len + tail) as u64);
}

/// Many small held segments between holes: giving up one gap releases only the segments up to
/// the next hole, so give-ups repeat until what is held is under the limit again; and every
/// byte delivered is accounted for (emitted, skipped, or still buffered).
#[test]
fn holes_between_small_segments_stay_within_the_limit_and_bytes_add_up() {
    let none = |_: u16| false;
    let limits = TcpLimits {
        max_out_of_order: 64,
        max_message: 256,
        max_gap_segments: 1_000_000,
    };
    let mut s = TcpStream::new(limits);
    s.push(0, 0x02, &[], &none, &mut |_| {});
    let mut emitted = 0u64;
    // One byte every other position: every segment opens a new hole.
    for i in 0..5_000u32 {
        s.push(3 + 2 * i, 0x18, &[0xee], &none, &mut |m| {
            emitted += m.bytes.len() as u64
        });
        assert!(
            s.buffered_bytes() <= 64 + 256 + 4 + 1,
            "{}",
            s.buffered_bytes()
        );
    }
    let st = s.stats();
    assert!(st.gaps > 1000, "{st:?}");
    let held_in_order = s.buffered_bytes() as u64;
    assert!(emitted + st.skipped_bytes <= st.bytes);
    assert!(st.bytes <= emitted + st.skipped_bytes + held_in_order);
}

/// Real IP fragments (the relayed Firefox call: coturn's Data indications carrying the
/// ClientHello and the server's first flight exceed the MTU): every datagram the reassembler
/// completes equals tshark's reassembled UDP payload at the frame that completes it.
#[test]
fn real_fragments_reassemble_like_tshark() {
    let path = fixtures().join("webrtc/firefox-relay/capture.pcapng");
    let bytes = std::fs::read(&path).unwrap();
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    let mut pool = IpReassembler::default();
    let mut ours: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut fragments = 0;
    while let Some(p) = r.next_packet().unwrap() {
        if let Ok(Err(NotTransport::Fragment(f))) = decode(p.link_type, p.data) {
            fragments += 1;
            if let Some(done) = pool.push(&f, p.ts_nanos) {
                let t = decode_transport(done.protocol, done.src, done.dst, &done.payload)
                    .unwrap()
                    .unwrap();
                ours.push((p.number, t.payload.to_vec()));
            }
        }
    }
    assert!(fragments >= 4 && !ours.is_empty(), "{fragments} fragments");
    assert_eq!(pool.pending(), 0, "a fragment was left over");
    let Some(tshark) = require_tool("capture::reassembly::real_fragments", "tshark") else {
        return;
    };
    let theirs = rtcscope_testkit::tshark::frames(&tshark, &path, &["-o", "ip.defragment:TRUE"]);
    for (number, payload) in &ours {
        let frame = theirs
            .iter()
            .find(|f| f.number == *number)
            .expect("tshark has the frame");
        assert_eq!(&frame.payload, payload, "frame {number}");
    }
}

/// A STUN Binding success (RFC 8489) of `attrs_len` bytes of attributes (a made-up one).
fn stun_success(attrs_len: u16) -> Vec<u8> {
    let mut m = vec![0x01, 0x01];
    m.extend_from_slice(&attrs_len.to_be_bytes());
    m.extend_from_slice(&COOKIE);
    m.extend_from_slice(b"mid-stream-1");
    m.extend_from_slice(&0x8022u16.to_be_bytes());
    m.extend_from_slice(&(attrs_len - 4).to_be_bytes());
    m.extend((0..attrs_len - 4).map(|i| b'a' + (i % 26) as u8));
    m
}

/// ChannelData on channel 0x4000 around `data`, padded to 4 bytes as over TCP.
fn channel_data_tcp(data: &[u8]) -> Vec<u8> {
    let mut m = vec![0x40, 0x00];
    m.extend_from_slice(&(data.len() as u16).to_be_bytes());
    m.extend_from_slice(data);
    while m.len() % 4 != 0 {
        m.push(0);
    }
    m
}

/// An RTP packet (version 2, payload type 111) of `len` bytes whose last two are `tail`.
fn rtp_ending(len: usize, tail: [u8; 2]) -> Vec<u8> {
    let mut p = vec![0x80, 111, 0, 1, 0, 0, 0, 9, 0x1c, 0x09, 0x0d, 0x13];
    p.extend((12..len - 2).map(|i| i as u8));
    p.extend_from_slice(&tail);
    p
}

fn rfc4571(p: &[u8]) -> Vec<u8> {
    let mut f = (p.len() as u16).to_be_bytes().to_vec();
    f.extend_from_slice(p);
    f
}

/// Feeds `segments` (each one segment, in order, no SYN: a capture joined mid-way) with no
/// channel known bound; returns the messages cut, with their framing.
fn cut_mid_stream(segments: &[Vec<u8>]) -> Vec<(Framing, Vec<u8>)> {
    let mut s = TcpStream::default();
    let mut out = Vec::new();
    let mut seq = 5_000u32;
    for p in segments {
        s.push(seq, 0x18, p, &|_| false, &mut |m| {
            out.push((m.framing, m.bytes.to_vec()))
        });
        seq = seq.wrapping_add(p.len() as u32);
    }
    out
}

/// TURN over TCP joined mid-call, with no ChannelBind in the capture: the first message with
/// a magic cookie is an ICE check relayed in ChannelData, whose header also reads as an RFC 4571
/// length two bytes before the STUN message. Read as ChannelData, the stream stays in step and
/// the media after it is cut; read as RFC 4571 (as before), the next ChannelData header was a
/// 16 KiB frame and the call was lost.
#[test]
fn stun_relayed_in_channel_data_is_not_taken_for_rfc4571_mid_stream() {
    let mut segments = vec![channel_data_tcp(&rtp_ending(41, [1, 2]))];
    segments.push(channel_data_tcp(&stun_success(48)));
    for _ in 0..5 {
        segments.push(channel_data_tcp(&rtp_ending(41, [3, 4])));
    }
    let got = cut_mid_stream(&segments);
    // The first segment comes before any sign of a framing (no channel is known): skipped.
    assert_eq!(got.len(), 6, "{got:?}");
    assert!(got.iter().all(|(f, _)| *f == Framing::StunChannelData));
    assert_eq!(got[0].1, channel_data_tcp(&stun_success(48))[..4 + 68]);
    assert!(got[1..]
        .iter()
        .all(|(_, m)| m[..2] == [0x40, 0x00] && m.len() == 45));
}

/// ICE-TCP (RFC 4571) joined mid-call, where the two bytes before a framed STUN check happen
/// to read as a channel number: with the frame after it in view, RFC 4571 is kept.
#[test]
fn ice_tcp_joined_mid_stream_keeps_rfc4571_when_the_next_frame_shows_it() {
    let mut segment = rtp_ending(60, [0x45, 0x10])[30..].to_vec();
    segment.extend(rfc4571(&stun_success(48)));
    segment.extend(rfc4571(&rtp_ending(100, [0, 0])));
    let mut segments = vec![segment];
    for _ in 0..4 {
        segments.push(rfc4571(&rtp_ending(100, [0x45, 0x45])));
    }
    let got = cut_mid_stream(&segments);
    assert_eq!(got.len(), 6, "{got:?}");
    assert!(got.iter().all(|(f, _)| *f == Framing::Rfc4571), "{got:?}");
    assert_eq!(got[0].1, stun_success(48));
}

/// The same, when the segment ends right after the STUN frame: both readings hold, ChannelData
/// is guessed, and the RFC 4571 frames after it contradict the guess, which is dropped: the
/// stream is framed as RFC 4571 from the next check on.
#[test]
fn a_wrong_mid_stream_guess_is_dropped_when_the_next_frames_contradict_it() {
    let mut first = rtp_ending(60, [0x45, 0x10])[30..].to_vec();
    first.extend(rfc4571(&stun_success(48)));
    let mut segments = vec![first];
    for _ in 0..3 {
        segments.push(rfc4571(&rtp_ending(100, [0x10, 0x10])));
    }
    segments.push(rfc4571(&stun_success(52)));
    for _ in 0..4 {
        segments.push(rfc4571(&rtp_ending(100, [0x10, 0x10])));
    }
    let got = cut_mid_stream(&segments);
    let framings: Vec<Framing> = got.iter().map(|(f, _)| *f).collect();
    // The guess: one message cut as ChannelData; then nothing until the next check, framed
    // RFC 4571, and the media after it.
    assert_eq!(framings[0], Framing::StunChannelData, "{got:?}");
    assert_eq!(&framings[1..], &[Framing::Rfc4571; 5], "{got:?}");
    assert_eq!(got[1].1, stun_success(52));
    assert!(got[2..].iter().all(|(_, m)| m.len() == 100 && m[0] == 0x80));
}
