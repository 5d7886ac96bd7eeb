//! The receive rate that transport-wide congestion-control feedback reveals (issue #11, D16).
//!
//! A sender that negotiated the transport-wide sequence number extension
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01, or webrtc's transport-wide-cc-02) numbers
//! every RTP packet it sends on a transport with one 16-bit counter; the extension is in the
//! clear in SRTP. The receiver answers with transport-cc feedback (RTPFB FMT 15): for a range of
//! those numbers, which packets arrived and when, on its own clock (a reference time plus
//! per-packet deltas). Put together with the sizes of the packets the numbers stood for, that
//! is the rate at which the receiver took the packets in:
//!
//! ```text
//! RTP a → b with transport-wide seq n, size s ─ ring of (a → b)[n mod RING] = (n, s)
//! RTCP b → a transport-cc feedback: n received at t_n ─ sizes from the ring of (a → b)
//!     → bytes received over the feedback's arrival span → bits/s
//! ```
//!
//! Each feedback's span runs from the latest arrival of the previous feedback of the
//! direction to the latest arrival in this one, so consecutive feedbacks tile the receiver's
//! timeline and every received byte counts once. The first feedback of a direction, and one
//! whose earliest arrival comes more than [`MAX_GAP_US`] after the previous feedback's latest
//! (a pause, or a receiver clock that jumped), spans its own arrivals only: its first-arriving
//! packet marks the start and its bytes are not counted.
//!
//! Sizes are the RTP packets as sent (SRTP: with the authentication tag), without the UDP,
//! TURN or IP headers below them. A packet reported received whose number the ring does not
//! hold (sent before the capture began, before the extension's id was known, or more than
//! [`RING`] numbers ago) counts as of unknown size and adds no bytes; a number reported
//! received a second time (feedback repeated) counts once.
//!
//! State is bounded: a ring of [`RING`] entries per flow direction, created only for a
//! direction whose packets carry the extension, at most [`MAX_DIRECTIONS`] directions (the
//! least recently used leaves beyond it), and a series of at most [`MAX_POINTS`] points per
//! direction (neighbours merge, halving the resolution, when it fills). Nothing is allocated
//! per packet.

use crate::flow::FlowKey;
use crate::table::LruMap;
use rtcscope_rtp::rtcp::TransportCc;
use rtcscope_rtp::rtp::RtpPacket;
use serde::Serialize;
use std::net::SocketAddr;

/// Transport-wide sequence numbers remembered per flow direction (the ring's size).
pub const RING: usize = 4096;
/// Flow directions followed at once (beyond it the least recently used is forgotten).
pub const MAX_DIRECTIONS: usize = 128;
/// Points of a direction's receive-rate series.
pub const MAX_POINTS: usize = 512;
/// A feedback whose earliest arrival is this long after the previous one's latest starts its
/// span afresh (µs).
pub const MAX_GAP_US: i64 = 1_000_000;
/// Memory of the state at its caps (bytes): the rings, the series and the entries.
pub const WORST_CASE_BYTES: usize = MAX_DIRECTIONS
    * (RING * std::mem::size_of::<Slot>()
        + MAX_POINTS * std::mem::size_of::<RatePoint>()
        + std::mem::size_of::<Direction>()
        + 64);

/// One remembered packet: its transport-wide number and size (size 0: empty).
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    seq: u16,
    len: u16,
    reported: bool,
}

/// One point of a receive-rate series: one feedback, or neighbours merged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RatePoint {
    /// Capture time of the (first merged) feedback, ns since the epoch.
    pub at_ns: i64,
    /// Received bytes counted over the span.
    pub bytes: u64,
    /// The span on the receiver's clock (µs).
    pub span_us: u64,
    /// The receive rate over the span (bits/s).
    pub bps: u64,
    /// Feedbacks merged into this point.
    pub feedbacks: u32,
}

fn bps(bytes: u64, span_us: u64) -> u64 {
    if span_us == 0 {
        return 0;
    }
    (u128::from(bytes) * 8_000_000 / u128::from(span_us)).min(u128::from(u64::MAX)) as u64
}

/// Transport-wide feedback state of one flow direction (media a → b, feedback b → a).
struct Direction {
    ring: Box<[Slot]>,
    from: SocketAddr,
    to: SocketAddr,
    /// RTP packets with a transport-wide number, their bytes, first and last capture time.
    sent_packets: u64,
    sent_bytes: u64,
    sent_first_ns: i64,
    sent_last_ns: i64,
    feedbacks: u64,
    malformed: u64,
    reported: u64,
    received: u64,
    unknown_size: u64,
    duplicates: u64,
    /// Bytes counted into a span, and the spans' sum (µs).
    bytes: u64,
    span_us: u64,
    /// Bytes of feedbacks whose span was empty, carried into the next span.
    carried: u64,
    min_bps: Option<u64>,
    max_bps: Option<u64>,
    /// The latest arrival so far on the receiver's unwrapped clock (µs).
    last_arrival_us: Option<i64>,
    /// The last raw 24-bit reference time and its unwrapped value (µs).
    last_ref: Option<(u32, i64)>,
    points: Vec<RatePoint>,
    per_point: u32,
}

impl Direction {
    fn new(from: SocketAddr, to: SocketAddr, now: i64) -> Self {
        Direction {
            ring: vec![Slot::default(); RING].into_boxed_slice(),
            from,
            to,
            sent_packets: 0,
            sent_bytes: 0,
            sent_first_ns: now,
            sent_last_ns: now,
            feedbacks: 0,
            malformed: 0,
            reported: 0,
            received: 0,
            unknown_size: 0,
            duplicates: 0,
            bytes: 0,
            span_us: 0,
            carried: 0,
            min_bps: None,
            max_bps: None,
            last_arrival_us: None,
            last_ref: None,
            points: Vec::new(),
            per_point: 1,
        }
    }

    fn sent(&mut self, now: i64, seq: u16, len: usize) {
        self.sent_packets += 1;
        self.sent_bytes += len as u64;
        self.sent_first_ns = self.sent_first_ns.min(now);
        self.sent_last_ns = self.sent_last_ns.max(now);
        self.ring[usize::from(seq) % RING] = Slot {
            seq,
            len: u16::try_from(len).unwrap_or(u16::MAX),
            reported: false,
        };
    }

    /// The reference time unwrapped across the 24-bit wrap (µs).
    fn unwrap_ref(&mut self, raw: u32) -> i64 {
        let v = match self.last_ref {
            None => i64::from(raw) * 64_000,
            Some((last, at)) => {
                // Signed 24-bit difference.
                let d = ((raw.wrapping_sub(last) & 0xff_ffff) ^ 0x80_0000) as i64 - 0x80_0000;
                at + d * 64_000
            }
        };
        self.last_ref = Some((raw, v));
        v
    }

    fn feedback(&mut self, now: i64, t: &TransportCc<'_>) {
        if t.validate().is_err() {
            self.malformed += 1;
            return;
        }
        self.feedbacks += 1;
        let offset = self.unwrap_ref(t.reference_time_raw()) - t.reference_time_us();
        let mut bytes = 0u64;
        // Earliest and latest arrival of packets of known size; the bytes of the earliest.
        let mut first: Option<(i64, u64)> = None;
        let mut last: Option<i64> = None;
        for p in t.packets().map_while(Result::ok) {
            self.reported += 1;
            let Some(at) = p.arrival_us else {
                continue;
            };
            self.received += 1;
            let at = at + offset;
            let slot = &mut self.ring[usize::from(p.sequence) % RING];
            if slot.len == 0 || slot.seq != p.sequence {
                self.unknown_size += 1;
                continue;
            }
            if slot.reported {
                self.duplicates += 1;
                continue;
            }
            slot.reported = true;
            let len = u64::from(slot.len);
            bytes += len;
            if first.is_none_or(|(f, _)| at < f) {
                first = Some((at, len));
            }
            last = Some(last.map_or(at, |l: i64| l.max(at)));
        }
        let (Some((first_at, first_len)), Some(last_at)) = (first, last) else {
            return;
        };
        let restart = self
            .last_arrival_us
            .is_none_or(|prev| first_at - prev > MAX_GAP_US || last_at < prev - MAX_GAP_US);
        let (start, bytes) = if restart {
            // The first span, or after a pause (or a receiver clock that jumped back): from
            // this feedback's first arrival, whose packet marks the start.
            self.last_arrival_us = Some(last_at);
            self.carried = 0;
            (first_at, bytes - first_len)
        } else {
            let prev = self.last_arrival_us.unwrap_or(first_at);
            self.last_arrival_us = Some(prev.max(last_at));
            (prev, bytes + self.carried)
        };
        if last_at <= start {
            self.carried = bytes;
            return;
        }
        self.carried = 0;
        let span = (last_at - start) as u64;
        let rate = bps(bytes, span);
        self.bytes += bytes;
        self.span_us += span;
        self.min_bps = Some(self.min_bps.map_or(rate, |m| m.min(rate)));
        self.max_bps = Some(self.max_bps.map_or(rate, |m| m.max(rate)));
        self.point(now, bytes, span);
    }

    fn point(&mut self, now: i64, bytes: u64, span_us: u64) {
        match self.points.last_mut() {
            Some(p) if p.feedbacks < self.per_point => {
                p.bytes += bytes;
                p.span_us += span_us;
                p.feedbacks += 1;
                p.bps = bps(p.bytes, p.span_us);
            }
            _ => self.points.push(RatePoint {
                at_ns: now,
                bytes,
                span_us,
                bps: bps(bytes, span_us),
                feedbacks: 1,
            }),
        }
        if self.points.len() >= MAX_POINTS {
            // Merge neighbours in place: half the points, each of twice the feedbacks.
            let n = self.points.len();
            for i in 0..n.div_ceil(2) {
                let mut p = self.points[2 * i];
                if let Some(q) = self.points.get(2 * i + 1).copied() {
                    p.bytes += q.bytes;
                    p.span_us += q.span_us;
                    p.feedbacks += q.feedbacks;
                    p.bps = bps(p.bytes, p.span_us);
                }
                self.points[i] = p;
            }
            self.points.truncate(n.div_ceil(2));
            self.per_point = self.per_point.saturating_mul(2);
        }
    }

    fn report(&self, flow: &FlowKey) -> ReceiveRate {
        let sent_span = self.sent_last_ns - self.sent_first_ns;
        ReceiveRate {
            from: self.from,
            to: self.to,
            relay: flow.relay,
            sent_packets: self.sent_packets,
            sent_bytes: self.sent_bytes,
            sent_first_ns: self.sent_first_ns,
            sent_last_ns: self.sent_last_ns,
            sent_bps: (sent_span > 0)
                .then(|| (u128::from(self.sent_bytes) * 8_000_000_000 / sent_span as u128) as u64),
            feedbacks: self.feedbacks,
            malformed: self.malformed,
            packets_reported: self.reported,
            packets_received: self.received,
            unknown_size: self.unknown_size,
            duplicates: self.duplicates,
            bytes: self.bytes,
            span_us: self.span_us,
            mean_bps: (self.span_us > 0).then(|| bps(self.bytes, self.span_us)),
            min_bps: self.min_bps,
            max_bps: self.max_bps,
            series: self.points.clone(),
        }
    }
}

/// The receive rate of one flow direction from its transport-wide feedback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiveRate {
    /// The media sender.
    pub from: SocketAddr,
    /// The media receiver (the feedback's sender).
    pub to: SocketAddr,
    /// The TURN allocation the flow was unwrapped from, if any.
    pub relay: Option<u32>,
    /// RTP packets the capture holds with a transport-wide sequence number (in this
    /// direction, once the extension's id was known).
    pub sent_packets: u64,
    /// Their bytes (RTP packets as sent).
    pub sent_bytes: u64,
    /// Capture time of the first of them (ns since the epoch).
    pub sent_first_ns: i64,
    /// Capture time of the last.
    pub sent_last_ns: i64,
    /// The rate the capture shows for them: `sent_bytes` over first to last (bits/s).
    pub sent_bps: Option<u64>,
    /// Transport-cc feedback packets read (about this direction).
    pub feedbacks: u64,
    /// Feedback packets whose chunks or deltas did not check out (not used).
    pub malformed: u64,
    /// Packets the feedback reported on (received or not).
    pub packets_reported: u64,
    /// Of which reported received.
    pub packets_received: u64,
    /// Reported received but of unknown size (not in the ring).
    pub unknown_size: u64,
    /// Reported received again by a later feedback (counted once).
    pub duplicates: u64,
    /// Received bytes counted over the spans.
    pub bytes: u64,
    /// The spans' sum on the receiver's clock (µs).
    pub span_us: u64,
    /// `bytes` over `span_us` (bits/s).
    pub mean_bps: Option<u64>,
    /// The lowest rate of one feedback's span.
    pub min_bps: Option<u64>,
    /// The highest rate of one feedback's span.
    pub max_bps: Option<u64>,
    /// The rate over time, one point per feedback (merged when there are more than
    /// [`MAX_POINTS`]).
    pub series: Vec<RatePoint>,
}

/// Transport-wide feedback state of every flow direction.
pub struct TransportFeedback {
    dirs: LruMap<(FlowKey, bool), Direction>,
    /// Directions forgotten because of [`MAX_DIRECTIONS`].
    pub evicted: u64,
}

impl Default for TransportFeedback {
    fn default() -> Self {
        TransportFeedback {
            dirs: LruMap::new(MAX_DIRECTIONS),
            evicted: 0,
        }
    }
}

/// The transport-wide sequence number of `p` when its extension block holds element `id`
/// (2 bytes, or 4 with the -02 feedback request).
pub fn transport_sequence(p: &RtpPacket<'_>, id: u8) -> Option<u16> {
    p.extension()?
        .iter()
        .map_while(Result::ok)
        .find(|e| e.id == id)
        .filter(|e| e.data.len() == 2 || e.data.len() == 4)
        .map(|e| u16::from_be_bytes([e.data[0], e.data[1]]))
}

impl TransportFeedback {
    /// Remembers an RTP packet of `len` bytes sent on `flow` in direction `forward` (a → b)
    /// with transport-wide sequence number `seq`.
    pub fn sent(&mut self, now: i64, flow: FlowKey, forward: bool, seq: u16, len: usize) {
        let (from, to) = if forward {
            (flow.lo, flow.hi)
        } else {
            (flow.hi, flow.lo)
        };
        let evicted = &mut self.evicted;
        self.dirs
            .get_or_insert_with(
                (flow, forward),
                || Direction::new(from, to, now),
                |_, _| *evicted += 1,
            )
            .sent(now, seq, len);
    }

    /// Reads a transport-cc feedback that travelled on `flow` in direction `forward`: it
    /// reports on the packets of the other direction. Feedback about a direction with no
    /// remembered packets is ignored.
    pub fn feedback(&mut self, now: i64, flow: FlowKey, forward: bool, t: &TransportCc<'_>) {
        if let Some(d) = self.dirs.peek_mut(&(flow, !forward)) {
            d.feedback(now, t);
        }
    }

    /// The receive rates of the directions of `flow` that had feedback.
    pub fn for_flow(&self, flow: &FlowKey) -> Vec<ReceiveRate> {
        [true, false]
            .iter()
            .filter_map(|&fwd| self.dirs.get(&(*flow, fwd)))
            .filter(|d| d.feedbacks + d.malformed > 0)
            .map(|d| d.report(flow))
            .collect()
    }

    /// The receive rates of every direction that had feedback and whose flow `keep` accepts,
    /// ordered by sender, receiver and relay.
    pub fn all(&self, keep: impl Fn(&FlowKey) -> bool) -> Vec<ReceiveRate> {
        let mut v: Vec<ReceiveRate> = self
            .dirs
            .iter()
            .filter(|((f, _), d)| d.feedbacks + d.malformed > 0 && keep(f))
            .map(|((f, _), d)| d.report(f))
            .collect();
        v.sort_by_key(|r| (r.from, r.to, r.relay));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Transport;
    use crate::streams::{RtcpProtection, Streams};
    use rtcscope_rtp::rtp::{ExtensionKind, ExtensionMap};

    const ID: u8 = 3;

    fn flow() -> FlowKey {
        FlowKey {
            transport: Transport::Udp,
            lo: "10.0.0.1:5000".parse().unwrap(),
            hi: "10.0.0.2:6000".parse().unwrap(),
            relay: None,
        }
    }

    /// An RTP packet of exactly `size` bytes (≥ 24) carrying transport-wide number `tseq`
    /// under extension id `id` (one-byte header form).
    fn rtp(seq: u16, tseq: u16, size: usize, id: u8) -> Vec<u8> {
        let mut p = vec![0x90, 96];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
        p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, (id << 4) | 1]);
        p.extend_from_slice(&tseq.to_be_bytes());
        p.push(0);
        assert!(size >= p.len());
        p.resize(size, 0xab);
        p
    }

    /// A transport-cc feedback (RTPFB FMT 15): `statuses[i]` is the receive delta (250 µs
    /// ticks) of packet `base + i`, or `None`: not received. Two-bit status vector chunks.
    fn feedback(base: u16, ref_time: u32, fb_count: u8, statuses: &[Option<i16>]) -> Vec<u8> {
        let mut fci = Vec::new();
        fci.extend_from_slice(&base.to_be_bytes());
        fci.extend_from_slice(&(statuses.len() as u16).to_be_bytes());
        fci.extend_from_slice(&(ref_time << 8 | u32::from(fb_count)).to_be_bytes());
        let sym = |s: &Option<i16>| match s {
            None => 0u16,
            Some(d) if (0..=255).contains(d) => 1,
            Some(_) => 2,
        };
        for c in statuses.chunks(7) {
            let mut w = 0xc000u16;
            for (i, s) in c.iter().enumerate() {
                w |= sym(s) << (12 - 2 * i);
            }
            fci.extend_from_slice(&w.to_be_bytes());
        }
        for s in statuses.iter().flatten() {
            if (0..=255).contains(s) {
                fci.push(*s as u8);
            } else {
                fci.extend_from_slice(&s.to_be_bytes());
            }
        }
        while fci.len() % 4 != 0 {
            fci.push(0);
        }
        let mut p = vec![0x80 | 15, 205];
        p.extend_from_slice(&((2 + fci.len() / 4) as u16).to_be_bytes());
        p.extend_from_slice(&0xaaaa_aaaau32.to_be_bytes());
        p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        p.extend_from_slice(&fci);
        p
    }

    /// Streams that know id 3 is the transport-wide sequence number (as an SDP says).
    fn streams() -> Streams {
        let mut s = Streams::default();
        let mut m = ExtensionMap::empty();
        m.set(ID, ExtensionKind::TransportCc);
        s.hints.extmap = Some(m);
        s
    }

    /// Packets a → b (forward) through the engine's hook, feedback b → a.
    fn send(s: &mut Streams, t_ms: i64, tseq: u16, size: usize) {
        let p = rtp(tseq, tseq, size, ID);
        s.transport_sent(t_ms * 1_000_000, flow(), true, &p);
    }

    fn answer(s: &mut Streams, t_ms: i64, fb: &[u8]) {
        s.rtcp(t_ms * 1_000_000, flow(), false, fb, RtcpProtection::Unknown);
    }

    fn only(s: &Streams) -> ReceiveRate {
        let v = s.twcc.for_flow(&flow());
        assert_eq!(v.len(), 1, "{v:?}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn sizes_and_arrivals_give_the_exact_receive_rate() {
        let mut s = streams();
        for i in 0..13u16 {
            send(&mut s, i64::from(i), 100 + i, 100 + 10 * usize::from(i));
        }
        // 100..=104 received 1 ms apart from the reference time (10 × 64 ms), 105 lost,
        // 106..=109 2 ms apart.
        let fb1 = feedback(
            100,
            10,
            0,
            &[Some(0), Some(4), Some(4), Some(4), Some(4), None]
                .into_iter()
                .chain([Some(8); 4])
                .collect::<Vec<_>>(),
        );
        answer(&mut s, 20, &fb1);
        let r = only(&s);
        assert_eq!((r.from, r.to), (flow().lo, flow().hi), "media a → b");
        // The first span runs from the first arrival (seq 100, its 100 bytes not counted) to
        // the last: 640 ms → 652 ms; 110+120+130+140+160+170+180+190 = 1200 bytes.
        assert_eq!((r.bytes, r.span_us), (1200, 12_000));
        assert_eq!(r.mean_bps, Some(1200 * 8 * 1_000_000 / 12_000));
        assert_eq!(r.mean_bps, Some(800_000));
        // 110..=112 (200, 210, 220 bytes) at 655, 656, 657 ms: the span starts at the previous
        // feedback's last arrival (652 ms).
        answer(
            &mut s,
            30,
            &feedback(110, 10, 1, &[Some(60), Some(4), Some(4)]),
        );
        let r = only(&s);
        assert_eq!(
            (r.feedbacks, r.packets_reported, r.packets_received),
            (2, 13, 12)
        );
        assert_eq!((r.unknown_size, r.duplicates, r.malformed), (0, 0, 0));
        assert_eq!((r.bytes, r.span_us), (1830, 17_000));
        assert_eq!(r.mean_bps, Some(1830 * 8 * 1_000_000 / 17_000));
        assert_eq!((r.min_bps, r.max_bps), (Some(800_000), Some(1_008_000)));
        assert_eq!(
            r.series
                .iter()
                .map(|p| (p.at_ns, p.bps))
                .collect::<Vec<_>>(),
            vec![(20_000_000, 800_000), (30_000_000, 1_008_000)]
        );
        // What the capture shows: 13 packets, 100..=220 bytes, 0 → 12 ms.
        assert_eq!((r.sent_packets, r.sent_bytes), (13, 13 * 100 + 10 * 78));
        assert_eq!(r.sent_bps, Some(2080 * 8 * 1000 / 12));
    }

    #[test]
    fn the_sequence_wraps_around() {
        let mut s = streams();
        for (i, q) in [65533u16, 65534, 65535, 0, 1, 2].into_iter().enumerate() {
            send(&mut s, i as i64, q, 500);
        }
        answer(&mut s, 10, &feedback(65533, 5, 0, &[Some(4); 6]));
        let r = only(&s);
        assert_eq!((r.packets_received, r.unknown_size), (6, 0));
        // Five packets after the first over 5 ms.
        assert_eq!(
            (r.bytes, r.span_us, r.mean_bps),
            (2500, 5000, Some(4_000_000))
        );
        // The reference time wraps too (24 bits of 64 ms): 0xffffff then 0 is 64 ms later.
        let mut s = streams();
        send(&mut s, 0, 7, 100);
        send(&mut s, 1, 8, 300);
        answer(&mut s, 2, &feedback(7, 0xff_ffff, 0, &[Some(0)]));
        answer(&mut s, 70, &feedback(8, 0, 1, &[Some(0)]));
        let r = only(&s);
        assert_eq!((r.bytes, r.span_us), (300, 64_000), "{r:?}");
    }

    #[test]
    fn packets_the_ring_does_not_hold_are_of_unknown_size() {
        let mut s = streams();
        for q in 100..=104u16 {
            send(&mut s, 0, q, 200);
        }
        // RING numbers later the slot of 100 holds another packet.
        send(&mut s, 1, 100 + RING as u16, 999);
        // 98 and 99 were never seen, 100's slot was taken: unknown; 101..=104 known.
        answer(
            &mut s,
            5,
            &feedback(
                98,
                1,
                0,
                &[
                    Some(0),
                    Some(4),
                    Some(4),
                    Some(4),
                    Some(4),
                    Some(4),
                    Some(4),
                ],
            ),
        );
        let r = only(&s);
        assert_eq!((r.packets_received, r.unknown_size), (7, 3));
        // 101 marks the start (at +3 ms); 102..=104 over 3 ms.
        assert_eq!((r.bytes, r.span_us), (600, 3000));
        // The same feedback again: counted once.
        answer(
            &mut s,
            6,
            &feedback(101, 1, 1, &[Some(12), Some(4), Some(4), Some(4)]),
        );
        let r = only(&s);
        assert_eq!((r.duplicates, r.bytes), (4, 600));
        // Feedback about a direction that sent nothing with the extension is not about these
        // packets: b → a media has no ring, a → b feedback is ignored.
        s.rtcp(
            7_000_000,
            flow(),
            true,
            &feedback(101, 1, 2, &[Some(0); 4]),
            RtcpProtection::Unknown,
        );
        assert_eq!(s.twcc.for_flow(&flow()).len(), 1);
    }

    #[test]
    fn malformed_feedback_is_counted_not_used() {
        let mut s = streams();
        for q in 0..20u16 {
            send(&mut s, 0, q, 200);
        }
        // A status count of 20 with one chunk of 7: the chunks do not cover it.
        let mut bad = feedback(0, 1, 0, &[Some(4); 7]);
        bad[14] = 20;
        answer(&mut s, 1, &bad);
        let r = only(&s);
        assert_eq!((r.malformed, r.feedbacks, r.bytes), (1, 0, 0));
        // Whatever the bytes, nothing panics.
        let mut x = 0x2545_f491u32;
        let good = feedback(0, 1, 0, &[Some(4), None, Some(300), Some(-5), Some(4)]);
        for _ in 0..5000 {
            let mut f = good.clone();
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let i = 12 + (x as usize % (f.len() - 12));
                f[i] = (x >> 8) as u8;
            }
            f.truncate(12 + (x as usize >> 3) % (f.len() - 11));
            answer(&mut s, 2, &f);
        }
        let r = only(&s);
        assert!(r.feedbacks + r.malformed > 1);
    }

    #[test]
    fn the_series_stays_bounded_and_covers_every_feedback() {
        let mut s = streams();
        let n = 3 * MAX_POINTS as u16;
        for i in 0..n {
            send(&mut s, i64::from(i), i, 100);
            // One packet per feedback, 64 ms apart on the receiver's clock.
            answer(
                &mut s,
                i64::from(i),
                &feedback(i, u32::from(i), i as u8, &[Some(0)]),
            );
        }
        let r = only(&s);
        assert_eq!(r.mean_bps, Some(100 * 8 * 1000 / 64));
        assert!(r.series.len() < MAX_POINTS && r.series.len() > MAX_POINTS / 4);
        assert_eq!(r.series.iter().map(|p| p.bytes).sum::<u64>(), r.bytes);
        assert_eq!(r.series.iter().map(|p| p.span_us).sum::<u64>(), r.span_us);
        assert_eq!(
            r.series.iter().map(|p| u64::from(p.feedbacks)).sum::<u64>(),
            r.feedbacks - 1,
            "all but the first, whose span is empty"
        );
    }

    #[test]
    fn without_an_sdp_the_id_is_inferred_from_the_packets() {
        let mut s = Streams::default();
        let (a, b) = (flow().lo, flow().hi);
        for i in 0..40u16 {
            // Id 5 here (not the libwebrtc default), two RTP sequence numbers per transport
            // number step so that the two counters differ.
            let p = rtp(2 * i, 1000 + i, 300, 5);
            s.transport_sent(i64::from(i) * 20_000_000, flow(), true, &p);
            s.rtp(i64::from(i) * 20_000_000, flow(), true, a, b, &p, false);
        }
        answer(
            &mut s,
            900,
            &feedback(1030, 1, 0, &[Some(0), Some(40), Some(40)]),
        );
        let r = only(&s);
        assert_eq!((r.packets_received, r.unknown_size), (3, 0), "{r:?}");
        assert_eq!((r.bytes, r.span_us), (600, 20_000));
        assert!(r.sent_packets >= 30, "{r:?}");
    }
}
