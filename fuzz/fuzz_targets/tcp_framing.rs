#![no_main]
//! Fuzzes one direction of TCP reassembly and framing (`rtcscope_capture::reassembly::
//! TcpStream`) with segments in any order, with gaps, overlaps, duplicates and stray SYNs.
//!
//! Input layout (big-endian):
//!
//! ```text
//! byte 0       limits: bit 0 clear = the defaults the engine uses; set = small limits,
//!              max_out_of_order = 16 × (1 + bits 4..8), max_message = 64 × (1 + bits 1..4),
//!              max_gap_segments = 4,
//!              so the give-up-on-a-gap and oversized-message paths are reached by small inputs
//! byte 1       known channels: ChannelData channel c counts as bound when c is in
//!              0x4000..=0x7FFF and its low byte is at most this byte (0: none bound)
//! bytes 2..6   the initial sequence number (so wrap-around at 2^32 is explored)
//! byte 6       n, the number of segments
//! n × 5 bytes  a segment: stream position u16, TCP flags u8, length u16
//! the rest     the stream's bytes
//! ```
//!
//! A segment carries the stream's bytes at its position (clipped to the stream's end), with
//! sequence number `isn + position` (one less with SYN, which takes a sequence number), so
//! overlapping segments always agree, as retransmissions do, and what the reassembler emits can
//! be checked byte for byte against the stream. `scripts/fuzz.sh` seeds this target with real
//! TCP payloads cut this way (crates/analysis/examples/fuzz_seeds.rs).
//!
//! Asserted after every segment:
//! * every message is non-empty and lies within the bytes delivered so far (stream offset plus
//!   prefix plus length ≤ delivered + declared-lost bytes); until a second SYN moves the
//!   sequence space, its bytes are exactly the stream's bytes at that offset, every one of
//!   them carried by a segment pushed so far (no byte of a lost gap is ever emitted);
//! * the counters agree: segments with payload, messages emitted, new + retransmitted bytes
//!   within the pushed bytes (the difference still buffered), emitted + skipped bytes within
//!   the new bytes, resyncs at most one per byte plus one per gap (plus the start);
//! * at most one message per 3 delivered bytes (the smallest frame: a 1-byte RFC 4571 packet);
//! * memory stays bounded: `buffered_bytes() <= max_out_of_order + max_message + 4` plus the
//!   segment just pushed.
//!
//! A hang (a resynchronisation that never advances) is caught by libFuzzer's `-timeout`, and
//! by the debug assertion in `cut` itself.

use rtcscope_capture::reassembly::{Framing, TcpLimits, TcpStream};

const SYN: u8 = 0x02;

struct Seg<'a> {
    pos: usize,
    flags: u8,
    payload: &'a [u8],
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 7 {
        return;
    }
    let limits = if data[0] & 1 == 0 {
        TcpLimits::default()
    } else {
        TcpLimits {
            max_out_of_order: 16 * (1 + usize::from(data[0] >> 4)),
            max_message: 64 * (1 + usize::from((data[0] >> 1) & 7)),
            // Small, so the give-up-after-segments path is reached too.
            max_gap_segments: 4,
        }
    };
    let known_low = data[1];
    let known = move |c: u16| (0x4000..=0x7fff).contains(&c) && (c & 0xff) as u8 <= known_low;
    let known = if known_low == 0 {
        &(|_: u16| false) as &dyn Fn(u16) -> bool
    } else {
        &known as &dyn Fn(u16) -> bool
    };
    let isn = u32::from_be_bytes([data[2], data[3], data[4], data[5]]);
    let n = usize::from(data[6]).min((data.len() - 7) / 5);
    let (descriptors, stream) = data[7..].split_at(n * 5);
    let segs: Vec<Seg<'_>> = descriptors
        .chunks_exact(5)
        .map(|d| {
            let pos = usize::from(u16::from_be_bytes([d[0], d[1]]));
            let len = usize::from(u16::from_be_bytes([d[3], d[4]]));
            let start = pos.min(stream.len());
            let end = (pos + len).min(stream.len());
            Seg {
                pos,
                flags: d[2],
                payload: &stream[start..end],
            }
        })
        .collect();

    let mut tcp = TcpStream::new(limits);
    // Stream position of stream offset 0, once known; false once a second SYN has moved the
    // sequence space, after which bytes are checked by offsets only.
    let mut origin: Option<usize> = None;
    let mut exact = true;
    // Stream positions some pushed segment carried.
    let mut carried = vec![false; stream.len()];
    let mut pushed = 0u64;
    let mut with_payload = 0u64;
    let mut messages = 0u64;
    let mut message_bytes = 0u64;
    let mut new: Vec<(u64, Framing, Vec<u8>)> = Vec::new();
    for s in &segs {
        let syn = s.flags & SYN != 0;
        if syn {
            if origin.is_some() {
                exact = false;
            } else {
                origin = Some(s.pos);
            }
        } else if origin.is_none() && !s.payload.is_empty() {
            origin = Some(s.pos);
        }
        let seq = isn.wrapping_add(s.pos as u32).wrapping_sub(u32::from(syn));
        new.clear();
        tcp.push(seq, s.flags, s.payload, known, &mut |m| {
            new.push((m.stream_offset, m.framing, m.bytes.to_vec()));
        });
        for c in &mut carried[s.pos.min(stream.len())..s.pos.min(stream.len()) + s.payload.len()] {
            *c = true;
        }
        pushed += s.payload.len() as u64;
        with_payload += u64::from(!s.payload.is_empty());

        let st = tcp.stats();
        let buffered = tcp.buffered_bytes() as u64;
        let delivered = st.bytes + st.gap_bytes;
        for (offset, framing, bytes) in &new {
            assert!(!bytes.is_empty(), "an empty message at offset {offset}");
            let prefix = if *framing == Framing::Rfc4571 { 2 } else { 0 };
            let end = offset + prefix + bytes.len() as u64;
            assert!(
                end <= delivered,
                "a message at {offset}..{end} beyond the {delivered} bytes delivered"
            );
            if exact {
                let origin = origin.expect("bytes were delivered, so the origin is known");
                let at = origin + *offset as usize + prefix as usize;
                assert_eq!(
                    stream.get(at..at + bytes.len()),
                    Some(&bytes[..]),
                    "the message at offset {offset} is not the stream's bytes at {at}"
                );
                assert!(
                    carried[at..at + bytes.len()].iter().all(|&c| c),
                    "the message at offset {offset} holds bytes no segment carried"
                );
            }
            messages += 1;
            message_bytes += bytes.len() as u64;
        }
        assert_eq!(st.messages, messages, "messages counted vs emitted");
        assert_eq!(st.segments, with_payload, "segments with payload");
        assert!(
            st.bytes + st.retransmitted_bytes <= pushed
                && st.bytes + st.retransmitted_bytes + buffered >= pushed,
            "new {} + retransmitted {} bytes vs {pushed} pushed, {buffered} buffered",
            st.bytes,
            st.retransmitted_bytes
        );
        assert!(
            message_bytes + st.skipped_bytes <= st.bytes
                && st.bytes <= message_bytes + 3 * messages + st.skipped_bytes + buffered,
            "new bytes {} vs {message_bytes} in {messages} messages, {} skipped, {buffered} \
             buffered ({} gaps)",
            st.bytes,
            st.skipped_bytes,
            st.gaps
        );
        assert!(
            3 * st.messages <= st.bytes,
            "{} messages from {} bytes",
            st.messages,
            st.bytes
        );
        assert!(
            st.resyncs <= st.bytes + st.gaps + 1,
            "{} resyncs over {} bytes and {} gaps",
            st.resyncs,
            st.bytes,
            st.gaps
        );
        assert!(st.gaps <= with_payload, "more gaps than segments");
        let bound = (limits.max_out_of_order + limits.max_message + 4 + s.payload.len()) as u64;
        assert!(
            buffered <= bound,
            "{buffered} bytes buffered, over the limits' {bound}"
        );
    }
});
