//! Which video codec a stream carries when no SDP names its payload type: inferred from the
//! packets, never assumed.
//!
//! Eight candidates are tried on every cleartext (or decrypted) payload of the stream's
//! payload type: VP8, VP9, H.264 and AV1, each plain and inside RED (RFC 2198, the primary
//! block of one dynamic inner payload type; packets of another inner type, FEC, are skipped).
//! A candidate stays *consistent* while every packet it reads passes:
//!
//! * its payload descriptor parses, with its reserved bits zero (VP8's two R bits and the X
//!   byte's RSV; AV1's aggregation header bits 0–2 and the first OBU header's forbidden and
//!   reserved bits and a defined OBU type; H.264's F bit, a non-interleaved packet type, a
//!   FU-A header that is not both start and end, with a zero R bit); a VP9 packet that begins
//!   a base-layer frame carries an uncompressed header that reads;
//! * a marker-bit packet ends what it carries (VP9 E=1, AV1 Y=0, an H.264 FU-A with E=1);
//!
//! and, between two packets of consecutive sequence numbers:
//!
//! * the RTP timestamp changes exactly after a marker-bit packet (a video frame ends with the
//!   marker and the next frame has a new timestamp; audio fails this at once, since its
//!   timestamp changes every packet while its marker marks talkspurts);
//! * a packet with a new timestamp begins a frame (VP8 S=1 and partition 0, VP9 B=1 in the
//!   base layer, AV1 Z=0, H.264 anything but a FU-A continuation), and the one before it ended
//!   what it carried;
//! * within one timestamp, a packet begins what the previous one ended (VP9 B after E; AV1
//!   Z=Y of the previous; H.264 a FU-A continuation, of the same NAL unit type, exactly after
//!   an unfinished FU-A), and VP8 and VP9 do not begin a second frame.
//!
//! The codec is decided when exactly one candidate is consistent after at least
//! [`MIN_PACKETS`] payloads and [`MIN_BOUNDARIES`] frame boundaries, every other having failed
//! a check; it goes on being checked, and a later failure withdraws it (the frames are then
//! not reported). Until then each consistent candidate runs its own frame tracker, so the
//! winner's figures count from the stream's first packet.
//!
//! Memory: at most [`MAX_INFERRING`] streams hold candidates at once (eight trackers each);
//! a decided stream keeps one tracker, like a stream whose codec the SDP names. A stream that
//! stays undecided for [`MAX_PACKETS`] payloads stops trying.

use crate::frames::FrameTracker;
use rtcscope_rtp::codec::{self, av1, h264, vp8, vp9, FrameInfo, VideoCodec};
use serde::Serialize;

/// Payloads a candidate must have read before it can be decided.
pub const MIN_PACKETS: u32 = 30;
/// Frame boundaries (a new timestamp right after the previous sequence number) it must have
/// checked.
pub const MIN_BOUNDARIES: u32 = 10;
/// At most one failed packet per this many read is tolerated.
pub const TOLERANCE: u32 = 64;
/// Payloads after which an undecided stream stops trying.
pub const MAX_PACKETS: u32 = 3000;
/// Streams that may hold candidates at once (the rest are not inferred).
pub const MAX_INFERRING: usize = 64;
/// The most one stream's inference can take while it holds its candidates (eight trackers
/// at their caps and the candidates' recent packets), for the engine's worst-case memory
/// ([`crate::Config::worst_case_bytes`]); a test checks it.
pub const INFERENCE_BYTES: usize = 28 * 1024;
/// What the text says next to an inferred codec.
pub const INFERRED_CODEC_NOTE: &str = "codec inferred from the packets; the SDP may say otherwise";

/// Packets remembered for pairing consecutive sequence numbers that arrive out of order.
const WINDOW: usize = 16;

const CODECS: [VideoCodec; 4] = [
    VideoCodec::Vp8,
    VideoCodec::Vp9,
    VideoCodec::H264,
    VideoCodec::Av1,
];

/// Where an inference stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InferenceState {
    /// Still reading: more than one candidate consistent, or not enough evidence yet.
    Undecided,
    /// Exactly one candidate consistent over enough packets: `codec`.
    Inferred,
    /// The decided candidate later failed a check: the codec is not known.
    Contradicted,
    /// No candidate is consistent with the packets (audio, encrypted or another codec).
    NoneConsistent,
    /// Gave up after [`MAX_PACKETS`] payloads with more than one candidate consistent.
    Ambiguous,
    /// The stream's clock rate is not 90 kHz, which all four formats use.
    NotVideoClock,
}

/// What the inference made of one stream (JSON `streams[].codec_inference`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InferenceReport {
    /// Where it stands.
    pub state: InferenceState,
    /// The payload type examined.
    pub payload_type: u8,
    /// The codec inferred (`state` = `inferred`).
    pub codec: Option<&'static str>,
    /// The codec was found inside RED, in the primary blocks of `red_inner_payload_type`.
    pub inside_red: bool,
    /// The inner payload type of RED's primary blocks (when `inside_red`).
    pub red_inner_payload_type: Option<u8>,
    /// Payloads the decided (or, undecided, the most-read consistent) candidate read.
    pub packets_checked: u32,
    /// Frame boundaries it checked.
    pub frame_boundaries: u32,
    /// The candidates still consistent ("VP8", "VP9 in RED", …).
    pub consistent: Vec<String>,
    /// [`INFERRED_CODEC_NOTE`].
    pub note: &'static str,
}

/// What a packet's payload says, for the checks between packets.
#[derive(Clone, Copy, Debug)]
struct Facts {
    info: FrameInfo,
    /// It begins what it carries (VP9 B, AV1 Z=0, H.264 not a FU-A continuation); `None`
    /// when the format cannot say (VP8).
    begins: Option<bool>,
    /// It ends what it carries (VP9 E, AV1 Y=0, H.264 not an unfinished FU-A).
    ends: Option<bool>,
    /// An H.264 FU-A's NAL unit type.
    fu_type: Option<u8>,
    /// A second frame start within one timestamp is a failure (VP8, VP9).
    strict_start: bool,
}

#[derive(Clone, Copy, Debug)]
struct Prev {
    seq: u16,
    ts: u32,
    marker: bool,
    facts: Facts,
}

#[derive(Clone, Debug)]
struct Candidate {
    codec: VideoCodec,
    red: bool,
    inner_pt: Option<u8>,
    /// Recent packets by sequence number modulo [`WINDOW`].
    recent: [Option<Prev>; WINDOW],
    checked: u32,
    boundaries: u32,
    skipped: u32,
    failures: u32,
    alive: bool,
    tracker: Option<Box<FrameTracker>>,
}

impl Candidate {
    fn name(&self) -> String {
        if self.red {
            format!("{} in RED", self.codec.name())
        } else {
            self.codec.name().to_owned()
        }
    }

    /// Reads one packet: its media payload (`None` when the packet is not this candidate's
    /// media: another RED inner type, or a RED header that does not read) and whether it
    /// passed the checks. A candidate fails ([`Candidate::alive`] false) when more than one
    /// packet in [`TOLERANCE`] failed (one damaged packet does not sink the right codec).
    fn feed<'p>(&mut self, seq: u16, ts: u32, marker: bool, payload: &'p [u8]) -> Option<&'p [u8]> {
        let (media, ok) = self.check(seq, ts, marker, payload);
        if !ok {
            self.failures += 1;
            if self.failures > self.checked / TOLERANCE {
                self.alive = false;
            }
        }
        media
    }

    fn check<'p>(
        &mut self,
        seq: u16,
        ts: u32,
        marker: bool,
        payload: &'p [u8],
    ) -> (Option<&'p [u8]>, bool) {
        let media = if self.red {
            let Some((inner, data)) = codec::red_primary(payload) else {
                return (None, false);
            };
            if !(96..=127).contains(&inner) {
                return (None, false);
            }
            match self.inner_pt {
                None => self.inner_pt = Some(inner),
                Some(i) if i != inner => {
                    // Another inner type (FEC inside RED). A candidate that skips more than
                    // it reads is not this stream's format.
                    self.skipped += 1;
                    let ok =
                        self.skipped <= self.checked || self.skipped + self.checked < MIN_PACKETS;
                    return (None, ok);
                }
                Some(_) => {}
            }
            data
        } else {
            payload
        };
        let Ok(facts) = examine(self.codec, media) else {
            return (Some(media), false);
        };
        if marker && facts.ends == Some(false) {
            return (Some(media), false);
        }
        let cur = Prev {
            seq,
            ts,
            marker,
            facts,
        };
        let slot = usize::from(seq) % WINDOW;
        if self.recent[slot].is_some_and(|p| p.seq == seq) {
            // A repeated sequence number (a retransmission on the media SSRC): read, not
            // paired again.
            self.checked += 1;
            return (Some(media), true);
        }
        // Pairs of consecutive sequence numbers, in whichever order they arrived.
        let before = self.recent[usize::from(seq.wrapping_sub(1)) % WINDOW]
            .filter(|p| p.seq == seq.wrapping_sub(1));
        let after = self.recent[usize::from(seq.wrapping_add(1)) % WINDOW]
            .filter(|p| p.seq == seq.wrapping_add(1));
        for (p, c) in [(before, Some(cur)), (Some(cur), after)] {
            if let (Some(p), Some(c)) = (p, c) {
                match pair(&p, &c) {
                    Ok(true) => self.boundaries += 1,
                    Ok(false) => {}
                    Err(()) => return (Some(media), false),
                }
            }
        }
        self.recent[slot] = Some(cur);
        self.checked += 1;
        (Some(media), true)
    }
}

/// The checks between the packets of two consecutive sequence numbers `p` then `c`; whether
/// they are a frame boundary.
fn pair(p: &Prev, c: &Prev) -> Result<bool, ()> {
    let new_frame = p.ts != c.ts;
    if p.marker != new_frame {
        return Err(());
    }
    let (pf, cf) = (&p.facts, &c.facts);
    if new_frame {
        if !cf.info.starts_frame || pf.ends == Some(false) {
            return Err(());
        }
    } else {
        if cf.strict_start && cf.info.starts_frame {
            return Err(());
        }
        if let (Some(b), Some(e)) = (cf.begins, pf.ends) {
            if b != e {
                return Err(());
            }
        }
        if cf.begins == Some(false) && cf.fu_type != pf.fu_type {
            return Err(());
        }
    }
    Ok(new_frame)
}

/// The per-packet checks of one format (module documentation).
fn examine(c: VideoCodec, payload: &[u8]) -> Result<Facts, ()> {
    let b0 = *payload.first().ok_or(())?;
    match c {
        VideoCodec::Vp8 => {
            let p = vp8::Vp8Payload::parse(payload).map_err(drop)?;
            if b0 & 0x48 != 0 {
                return Err(());
            }
            if b0 & 0x80 != 0 && payload.get(1).is_none_or(|x| x & 0x0f != 0) {
                return Err(());
            }
            if p.header.is_some_and(|h| h.version > 3) {
                return Err(());
            }
            Ok(Facts {
                info: p.frame_info(),
                begins: None,
                ends: None,
                fu_type: None,
                strict_start: true,
            })
        }
        VideoCodec::Vp9 => {
            let p = vp9::Vp9Payload::parse(payload).map_err(drop)?;
            let d = &p.descriptor;
            let base = d.layer.is_none_or(|l| l.sid == 0);
            if d.begin && base && p.header.is_none() {
                return Err(());
            }
            Ok(Facts {
                info: p.frame_info(),
                begins: Some(d.begin),
                ends: Some(d.end),
                fu_type: None,
                strict_start: true,
            })
        }
        VideoCodec::H264 => {
            let p = h264::H264Payload::parse(payload).map_err(drop)?;
            let (begins, ends, fu_type) = match p.packetization {
                h264::Packetization::Single => (true, true, None),
                h264::Packetization::StapA { .. } => (true, true, None),
                h264::Packetization::FuA { start, end } => {
                    let r = p.data.first().is_some_and(|fu| fu & 0x20 != 0);
                    if (start && end) || r {
                        return Err(());
                    }
                    (start, end, Some(p.nal_type))
                }
                _ => return Err(()),
            };
            if !(1..=23).contains(&p.nal_type) {
                return Err(());
            }
            Ok(Facts {
                info: p.frame_info(),
                begins: Some(begins),
                ends: Some(ends),
                fu_type,
                strict_start: false,
            })
        }
        VideoCodec::Av1 => {
            let p = av1::Av1Payload::parse(payload).map_err(drop)?;
            let h = p.header;
            if b0 & 0x07 != 0 || (h.new_sequence && h.continues) {
                return Err(());
            }
            if !h.continues {
                // The first OBU's header: after the element's length unless W = 1.
                let mut at = 1usize;
                if h.w != 1 {
                    while payload.get(at).ok_or(())? & 0x80 != 0 {
                        at += 1;
                    }
                    at += 1;
                }
                let obu = *payload.get(at).ok_or(())?;
                let t = (obu >> 3) & 0x0f;
                if obu & 0x81 != 0 || !(matches!(t, 1..=8) || t == 15) {
                    return Err(());
                }
            }
            Ok(Facts {
                info: p.frame_info(),
                begins: Some(!h.continues),
                ends: Some(!h.will_continue),
                fu_type: None,
                strict_start: false,
            })
        }
    }
}

/// The inference state of one stream.
#[derive(Clone, Debug)]
pub struct CodecInference {
    pt: u8,
    state: InferenceState,
    candidates: Vec<Candidate>,
    /// The decided candidate's index.
    winner: Option<usize>,
    payloads: u32,
}

/// What one packet did to the inference, for the stream.
pub enum Step<'p> {
    /// Nothing for the stream to do.
    Nothing,
    /// Decided now: the winner's tracker (which has read every packet so far).
    Decided(Box<FrameTracker>),
    /// Already decided and consistent: feed the stream's tracker this media payload.
    Track(&'p [u8]),
    /// The decided codec failed a check now: drop the stream's tracker.
    Withdrawn,
}

impl CodecInference {
    /// Candidates for payload type `pt`, each with a frame tracker.
    pub fn new(pt: u8) -> Self {
        let mut candidates = Vec::with_capacity(8);
        for red in [false, true] {
            for codec in CODECS {
                candidates.push(Candidate {
                    codec,
                    red,
                    inner_pt: None,
                    recent: [None; WINDOW],
                    checked: 0,
                    boundaries: 0,
                    skipped: 0,
                    failures: 0,
                    alive: true,
                    tracker: Some(Box::new(FrameTracker::new(codec))),
                });
            }
        }
        CodecInference {
            pt,
            state: InferenceState::Undecided,
            candidates,
            winner: None,
            payloads: 0,
        }
    }

    /// Whether it still holds candidates (counts against [`MAX_INFERRING`]).
    pub fn is_open(&self) -> bool {
        self.state == InferenceState::Undecided
    }

    /// The state.
    pub fn state(&self) -> InferenceState {
        self.state
    }

    /// Ends an undecided inference: the stream's clock is not 90 kHz.
    pub fn not_video_clock(&mut self) {
        if self.is_open() {
            self.state = InferenceState::NotVideoClock;
            self.candidates.clear();
        }
    }

    /// Reads one cleartext payload (not padding-only, not RTX) of the stream, arriving at
    /// `now`.
    pub fn packet<'p>(
        &mut self,
        now: i64,
        pt: u8,
        seq: u16,
        ts: u32,
        marker: bool,
        payload: &'p [u8],
    ) -> Step<'p> {
        if pt != self.pt {
            return Step::Nothing;
        }
        match self.state {
            InferenceState::Inferred => {
                let Some(c) = self.winner.and_then(|w| self.candidates.get_mut(w)) else {
                    return Step::Nothing;
                };
                let media = c.feed(seq, ts, marker, payload);
                if !c.alive {
                    self.state = InferenceState::Contradicted;
                    self.candidates.clear();
                    return Step::Withdrawn;
                }
                return media.map_or(Step::Nothing, Step::Track);
            }
            InferenceState::Undecided => {}
            _ => return Step::Nothing,
        }
        self.payloads += 1;
        for c in self.candidates.iter_mut().filter(|c| c.alive) {
            let media = c.feed(seq, ts, marker, payload);
            if !c.alive {
                c.tracker = None;
            } else if let (Some(t), Some(media)) = (c.tracker.as_mut(), media) {
                t.packet(now, ts, marker, media);
            }
        }
        let alive: Vec<usize> = (0..self.candidates.len())
            .filter(|&i| self.candidates[i].alive)
            .collect();
        match alive[..] {
            [] => {
                self.state = InferenceState::NoneConsistent;
                self.candidates.clear();
                Step::Nothing
            }
            [w] => {
                let c = &mut self.candidates[w];
                if c.checked >= MIN_PACKETS
                    && c.boundaries >= MIN_BOUNDARIES
                    && c.skipped <= c.checked
                {
                    self.state = InferenceState::Inferred;
                    self.winner = Some(w);
                    let mut t = c
                        .tracker
                        .take()
                        .unwrap_or_else(|| Box::new(FrameTracker::new(c.codec)));
                    t.mark_inferred();
                    // Only the winner's checking state is kept.
                    let keep = self.candidates.swap_remove(w);
                    self.candidates.clear();
                    self.candidates.push(keep);
                    self.winner = Some(0);
                    Step::Decided(t)
                } else {
                    self.give_up_if_long()
                }
            }
            _ => self.give_up_if_long(),
        }
    }

    fn give_up_if_long(&mut self) -> Step<'static> {
        if self.payloads >= MAX_PACKETS {
            self.state = InferenceState::Ambiguous;
            for c in &mut self.candidates {
                c.tracker = None;
            }
        }
        Step::Nothing
    }

    /// What it made of the stream so far.
    pub fn report(&self) -> InferenceReport {
        let alive: Vec<&Candidate> = self.candidates.iter().filter(|c| c.alive).collect();
        let best = match self.state {
            InferenceState::Inferred => self.candidates.first(),
            _ => alive.iter().copied().max_by_key(|c| c.checked),
        };
        let decided = (self.state == InferenceState::Inferred)
            .then(|| self.candidates.first())
            .flatten();
        InferenceReport {
            state: self.state,
            payload_type: self.pt,
            codec: decided.map(|c| c.codec.name()),
            inside_red: decided.is_some_and(|c| c.red),
            red_inner_payload_type: decided.filter(|c| c.red).and_then(|c| c.inner_pt),
            packets_checked: best.map_or(0, |c| c.checked),
            frame_boundaries: best.map_or(0, |c| c.boundaries),
            consistent: match self.state {
                InferenceState::Undecided
                | InferenceState::Ambiguous
                | InferenceState::Inferred => alive.iter().map(|c| c.name()).collect(),
                _ => Vec::new(),
            },
            note: INFERRED_CODEC_NOTE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `n` packets of one stream, `per` packets a frame with the marker on the last.
    fn feed(inf: &mut CodecInference, n: u16, per: u16, payload: impl Fn(u16) -> Vec<u8>) -> bool {
        let mut decided = false;
        for i in 0..n {
            let ts = u32::from(i / per) * 3000;
            let marker = i % per == per - 1;
            let p = payload(i);
            if let Step::Decided(_) = inf.packet(i64::from(i), 100, 1000 + i, ts, marker, &p) {
                decided = true;
            }
        }
        decided
    }

    /// A xorshift byte stream (deterministic "encrypted" bytes).
    fn noise(seed: u16, len: usize) -> Vec<u8> {
        let mut x = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    #[test]
    fn random_payloads_with_video_framing_are_not_decided() {
        for per in [1, 2, 3, 5] {
            let mut inf = CodecInference::new(100);
            assert!(!feed(&mut inf, 2000, per, |i| noise(i, 200)), "per {per}");
            assert_ne!(inf.report().state, InferenceState::Inferred, "per {per}");
        }
    }

    #[test]
    fn vp8_frames_are_inferred_and_a_later_contradiction_withdraws_them() {
        // Two-packet VP8 frames: S=1 partition 0 with an inter frame tag, then a continuation.
        let vp8 = |i: u16| {
            if i % 2 == 0 {
                vec![0x10, 0x31, 0x01, 0x00, 0xaa]
            } else {
                vec![0x00, 0xaa]
            }
        };
        let mut inf = CodecInference::new(100);
        assert!(feed(&mut inf, 60, 2, vp8));
        let r = inf.report();
        assert_eq!(
            (r.state, r.codec, r.inside_red),
            (InferenceState::Inferred, Some("VP8"), false)
        );
        assert_eq!(r.consistent, ["VP8"]);
        // Then audio-like packets: timestamps change without markers, twice in a row.
        let mut withdrawn = false;
        for i in 0..200u16 {
            let step = inf.packet(
                0,
                100,
                2000 + i,
                900_000 + u32::from(i) * 960,
                false,
                &[0x10, 0x31, 0x01, 0x00],
            );
            withdrawn |= matches!(step, Step::Withdrawn);
        }
        assert!(withdrawn);
        assert_eq!(inf.report().state, InferenceState::Contradicted);
    }

    #[test]
    fn inference_bytes_cover_a_stream_with_every_candidate() {
        let inf = CodecInference::new(100);
        let total = size_of::<Box<CodecInference>>()
            + size_of::<CodecInference>()
            + inf.candidates.capacity() * size_of::<Candidate>()
            + inf.candidates.len() * crate::frames::TRACKER_BYTES;
        assert!(total <= INFERENCE_BYTES, "{total}");
    }

    #[test]
    fn too_little_evidence_is_no_decision() {
        let mut inf = CodecInference::new(100);
        assert!(!feed(&mut inf, MIN_PACKETS as u16 - 1, 1, |_| vec![
            0x10, 0x31, 0x01, 0x00, 0xaa
        ]));
        assert_eq!(inf.report().state, InferenceState::Undecided);
    }
}
