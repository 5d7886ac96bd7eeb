//! TCP payload with state: each direction reassembled by the engine's stream cutter, so that
//! `dissect` and the TUI's loader label TCP as `analyze` does.
//!
//! The cutter ([`rtcscope_capture::reassembly::TcpStream`]) puts segments in order, frames the
//! stream (RFC 4571, or STUN and ChannelData back to back) and resynchronises after a gap or a
//! mid-stream start. Each message it emits is dissected on the segment that completes it:
//!
//! * a message wholly inside this segment, at its place in the frame (the hex view highlights
//!   it), as a segment that carries whole messages always was;
//! * a message that began in earlier segments, whole, with the frames it came from (tshark's
//!   "reassembled PDU"); its tree spans this segment's part of it;
//! * what is left: the start of a message that later segments complete ("TCP segment of a
//!   reassembled message"), a segment whose bytes were all seen before (a retransmission), or
//!   one held after a gap until it fills.
//!
//! Where the cutter completes nothing in a segment that, read alone, holds whole messages and
//! nothing else (a segment held after a gap, a stream whose start the capture missed and whose
//! TURN allocation the engine therefore does not know, a cutter waiting on a framing it guessed
//! wrong), the segment is shown read alone, as before, its messages marked `[segment read
//! alone]`, and the cutter's later copies of those bytes are not shown again. Bytes nothing
//! accounts for either way are `Data`.
//!
//! Stateless dissection reads each segment on its own ([`crate::datagram::dissect_stream_in`]);
//! [`crate::Dissector::used_stream_state`] tells when a frame shows something that would not
//! (the TUI keeps those frames for its rows).

use crate::datagram::{dissect_into, Dissected, Protocol};
use crate::session::{Cx, StreamMark};
use crate::DissectOptions;
use rtcscope_capture::reassembly::Framing;
use rtcscope_wire::tree::Node;
use std::ops::Range;

/// The messages of one TCP segment's payload; `base` is the payload's offset in the frame.
/// Without state (or without a flow) the segment is read on its own.
pub(crate) fn dissect_segment(
    payload: &[u8],
    base: usize,
    seq: u32,
    flags: u8,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
) -> Vec<Dissected> {
    let (Some((src, dst)), Some(state)) = (cx.flow, cx.state.as_deref_mut()) else {
        return crate::datagram::dissect_stream_in(payload, base, opts, cx);
    };
    let frame = cx.frame;
    let mut dir = state.take_tcp(src, dst, frame);
    let start = dir.stream.offset_of(seq, flags);
    let len = payload.len() as i64;
    let before = dir.stream.stats();
    // Messages: stream offset, bytes taken in the stream, framing, and where their bytes were
    // copied in `scratch` (a message may come from several segments).
    let mut messages: Vec<(i64, usize, Framing, Range<usize>)> = Vec::new();
    let mut scratch = Vec::new();
    {
        let stun_seen = cx.stream_carried_stun();
        let cx_ref = &*cx;
        // The engine's rule: ChannelData is believed for a channel bound on this connection,
        // or for any channel once the connection carried STUN.
        let bound = |ch: u16| {
            (stun_seen && (0x4000..0x8000).contains(&ch)) || cx_ref.channel_peer(ch).is_some()
        };
        dir.stream.push(seq, flags, payload, &bound, &mut |m| {
            let at = scratch.len();
            scratch.extend_from_slice(m.bytes);
            messages.push((
                m.stream_offset as i64,
                m.wire_len,
                m.framing,
                at..scratch.len(),
            ));
        });
    }
    let after = dir.stream.stats();
    if !payload.is_empty() {
        dir.segments.push_back((start, start + len, frame));
    }
    // The frames each reassembled message came from (looked up before the direction goes back).
    let frames_of = |off: i64, wire: usize| -> (Vec<u64>, usize) {
        let end = off + wire as i64;
        let mut frames: Vec<u64> = dir
            .segments
            .iter()
            .filter(|&&(s, e, _)| s < end && e > off)
            .map(|&(_, _, f)| f)
            .collect();
        frames.sort_unstable();
        frames.dedup();
        let more = frames
            .len()
            .saturating_sub(crate::session::MAX_FRAMES_LISTED);
        frames.truncate(crate::session::MAX_FRAMES_LISTED);
        (frames, more)
    };
    let lists: Vec<(Vec<u64>, usize)> = messages
        .iter()
        .map(|&(off, wire, _, _)| frames_of(off, wire))
        .collect();
    // Waiting for the rest of a message only once a framing is known: before that, the first
    // bytes of a stream are held until enough of them show what it is (a short TLS record
    // stays `Data`).
    let in_sync = dir.stream.in_sync() && dir.stream.framing() != Framing::Unknown;
    let buffered = dir.stream.buffered_bytes();
    let shown: Vec<(i64, i64)> = dir.shown.iter().copied().collect();
    if let Some(st) = cx.state.as_deref_mut() {
        st.put_tcp(src, dst, dir);
    }

    let mut out = Vec::new();
    // Whether this segment shows anything reading it alone would not.
    let mut stateful = false;
    // The end, in this payload, of the last message completed here.
    let mut covered = 0usize;
    for (&(off, wire, framing, ref bytes), (frames, more)) in messages.iter().zip(&lists) {
        let end_off = off + wire as i64;
        if shown.iter().any(|&(s, e)| s <= off && end_off <= e) {
            // Shown already, in the segment that carried it, read alone.
            stateful = true;
            continue;
        }
        // A frame the cutter cut where segments were read alone, and that nothing recognises:
        // its framing was a guess those segments contradict (a stream joined mid-way).
        let overlaps_shown = shown.iter().any(|&(s, e)| s < end_off && off < e);
        let prefix = if framing == Framing::Rfc4571 { 2 } else { 0 };
        let rel = off - start;
        let end = rel + wire as i64;
        let first = out.len();
        if rel >= 0 && end <= len {
            // Wholly in this segment: dissected in place.
            let at = rel as usize + prefix;
            let body = &payload[at..at + bytes.len()];
            dissect_into(body, base + at, 0, None, opts, cx, &mut out);
            if prefix == 2 {
                crate::datagram::rfc4571_length(
                    &mut out[first..],
                    base + rel as usize,
                    bytes.len(),
                );
            }
        } else {
            // Reassembled from earlier segments: whole, its tree spanning this segment's part.
            let mut inner = Vec::new();
            dissect_into(&scratch[bytes.clone()], 0, 0, None, opts, cx, &mut inner);
            stateful = true;
            if overlaps_shown && inner.iter().all(|m| m.protocol == Protocol::Data) {
                continue;
            }
            let lo = rel.clamp(0, len) as usize;
            let hi = end.clamp(0, len) as usize;
            let range = if lo < hi {
                base + lo..base + hi
            } else {
                base..base + payload.len()
            };
            let list = crate::dtls::frame_list(frames, *more);
            for mut m in inner {
                set_range(&mut m.tree, &range);
                m.tree.children.insert(
                    0,
                    Node::leaf(
                        "Reassembled TCP message",
                        format!("{wire} bytes from frames {list}"),
                        range.clone(),
                    ),
                );
                m.info = format!("{} [reassembled from frames {list}]", m.info);
                out.push(m);
            }
        }
        if out[first..].iter().any(|m| m.protocol == Protocol::Stun) {
            cx.mark_stream(StreamMark::Stun);
        }
        covered = covered.max(end.clamp(0, len) as usize);
    }
    let rest = &payload[covered..];
    if rest.is_empty() {
        mark(cx, stateful);
        return out;
    }
    let seen_before = after.retransmitted_bytes - before.retransmitted_bytes;
    if messages.is_empty() && seen_before >= payload.len() as u64 {
        mark(cx, true);
        return tcp_note(
            out,
            format!("[TCP retransmission] {} bytes seen before", payload.len()),
            base..base + payload.len(),
        );
    }
    if out.is_empty() {
        // Nothing completed here: read alone, the segment may still hold whole messages.
        let alone = crate::datagram::dissect_stream_in(payload, base, opts, cx);
        if !alone.is_empty() && alone.iter().all(|m| m.protocol != Protocol::Data) {
            if let Some(st) = cx.state.as_deref_mut() {
                st.tcp_shown(src, dst, start, start + len);
            }
            mark(cx, true);
            return alone
                .into_iter()
                .map(|mut m| {
                    m.tree.children.insert(
                        0,
                        Node::leaf(
                            "TCP reassembly",
                            "nothing completed here (a gap before it, or a stream joined mid-way): this segment read alone",
                            m.tree.range.clone(),
                        ),
                    );
                    m.info.push_str(" [segment read alone]");
                    m
                })
                .collect();
        }
    }
    let skipped = after.skipped_bytes - before.skipped_bytes;
    let range = base + covered..base + payload.len();
    if messages.is_empty() && after.bytes == before.bytes {
        mark(cx, true);
        tcp_note(
            out,
            format!(
                "[TCP segment after a gap] {} bytes held until the gap fills",
                payload.len()
            ),
            range,
        )
    } else if in_sync && skipped == 0 && rest.len() <= buffered {
        mark(cx, true);
        tcp_note(
            out,
            format!(
                "[TCP segment of a reassembled message] {} bytes",
                rest.len()
            ),
            range,
        )
    } else {
        mark(cx, stateful);
        out.push(Dissected::data(rest, base + covered));
        out
    }
}

/// Records that the frame shows what the stream's state made of it.
fn mark(cx: &mut Cx<'_>, stateful: bool) {
    if let (true, Some(st)) = (stateful, cx.state.as_deref_mut()) {
        st.tcp_stateful = true;
    }
}

/// `out` and a note on what this segment's remaining bytes are to the reassembly.
fn tcp_note(mut out: Vec<Dissected>, info: String, range: Range<usize>) -> Vec<Dissected> {
    out.push(Dissected {
        protocol: Protocol::Tcp,
        turn: false,
        tree: Node::leaf("TCP payload", &info, range),
        info,
        inner: None,
    });
    out
}

fn set_range(n: &mut Node, at: &Range<usize>) {
    n.range = at.clone();
    for c in &mut n.children {
        set_range(c, at);
    }
}
