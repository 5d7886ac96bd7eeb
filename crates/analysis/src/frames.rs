//! Video frames of one RTP stream, from the payload descriptors of VP8, VP9, H.264 and AV1
//! (`rtcscope_rtp::codec`): frames, key frames, resolution and its changes, frames per second
//! over time, and freezes.
//!
//! A frame is one RTP timestamp. Frames are counted by distinct timestamps: a small ring of
//! the most recent frames ([`RECENT`]) recognises the packets of a frame however they are
//! reordered, and a retransmission on the media SSRC (same sequence number, same timestamp)
//! lands on the frame it belongs to. An RFC 4588 retransmission on an RTX SSRC is fed through
//! [`FrameTracker::repair`] (its original sequence number stripped): a copy of a frame already
//! seen lands on it and cannot count twice, a frame whose every original packet was lost before
//! the capture point is counted from its repairs (as the receiver, which decodes it, counts it in
//! `framesReceived`), and a copy older than every remembered frame (a bandwidth probe repeating
//! old media) is ignored. A packet older than every frame in the ring (by up to
//! [`MAX_LATE_TICKS`]) is counted as late and otherwise ignored; one older still is a
//! timestamp jump (a sender that restarted its clock on the same SSRC): counting starts over
//! from it, and no interval is measured across it.
//!
//! A frame is *complete* when its marker-bit packet arrives; its arrival time is that
//! packet's. Frame rate and freezes are measured on complete frames in timestamp order: a
//! freeze is an interval between two consecutive complete frames of at least
//! max(3 × avg, avg + 150 ms), avg being the mean of the last 30 intervals, once 5 are known:
//! the W3C webrtc-stats definition of `freezeCount`, with libwebrtc's window and minimum
//! (`VideoQualityObserver`). At the capture point this is the network's share of a freeze
//! (frames that arrive late or never); a receiver's own decoding and rendering stalls do not
//! show in packets.
//!
//! Memory is constant per stream: the ring, a 30-interval window, at most
//! [`MAX_FPS_BUCKETS`] frame-rate buckets (their width doubles when a capture outgrows them,
//! as [`crate::series::Series`] does), and the first [`MAX_LISTED`] resolution changes and
//! freezes (the counts go on), all allocated when the tracker is made (at most
//! [`TRACKER_BYTES`]): a packet
//! allocates nothing (tests/frames.rs counts).

use rtcscope_rtp::codec::{self, FrameInfo, VideoCodec};
use serde::Serialize;

/// Frames remembered for telling a reordered or repeated packet's frame.
pub const RECENT: usize = 32;
/// Interframe intervals averaged for the freeze threshold (libwebrtc's window).
const FREEZE_WINDOW: usize = 30;
/// Intervals needed before a freeze can be told (libwebrtc's `kMinFrameSamplesToDetectFreeze`).
const FREEZE_MIN_SAMPLES: usize = 5;
/// The "avg + 150 ms" of the freeze definition.
const FREEZE_MIN_INCREASE_NS: i64 = 150_000_000;
/// Frame-rate buckets kept per stream.
pub const MAX_FPS_BUCKETS: usize = 300;
/// Resolution changes and freezes listed (with their times) per stream.
pub const MAX_LISTED: usize = 16;
const FIRST_BUCKET_NS: i64 = 1_000_000_000;
/// How far behind the oldest remembered frame a packet may be and still be late rather than
/// a jump of the sender's clock: 10 s of the 90 kHz clock the four video formats use.
pub const MAX_LATE_TICKS: u32 = 10 * 90_000;
/// The most a stream's frame state can take (the tracker and its lists at their caps), for
/// the engine's worst-case memory ([`crate::Config::worst_case_bytes`]); a test checks it.
pub const TRACKER_BYTES: usize = 2560;

/// A frame size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl From<codec::Resolution> for Resolution {
    fn from(r: codec::Resolution) -> Self {
        Resolution {
            width: r.width,
            height: r.height,
        }
    }
}

/// A resolution seen from a given time on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ResolutionChange {
    /// When the packet that carried it arrived (ns since the epoch).
    pub at_ns: i64,
    /// The new size.
    pub resolution: Resolution,
}

/// A gap in frame arrival.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Freeze {
    /// Arrival of the last frame before the gap (ns since the epoch).
    pub at_ns: i64,
    /// The gap, until the next complete frame, in milliseconds.
    pub duration_ms: f64,
}

/// Complete frames per bucket of time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrameRateSeries {
    /// Start of the first bucket (ns since the epoch).
    pub start_ns: i64,
    /// Bucket width (ns): one second, doubled as often as the capture's length needs.
    pub bucket_ns: i64,
    /// Complete frames arriving in each bucket.
    pub frames: Vec<u32>,
}

/// What the frames of one stream show (JSON `streams[].frames`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrameReport {
    /// The codec whose payloads were read.
    pub codec: &'static str,
    /// No SDP named the codec: it was inferred from the packets (crate::codec_inference;
    /// the stream's `codec_inference` says how).
    pub codec_inferred: bool,
    /// Frames: distinct RTP timestamps.
    pub frames: u64,
    /// Of which key frames (VP8 key frame bit, VP9 non-predicted base layer start, H.264 IDR,
    /// AV1 new coded video sequence).
    pub key_frames: u64,
    /// Frames whose marker-bit packet arrived.
    pub complete_frames: u64,
    /// The latest resolution a payload carried (key frames, SPS, sequence headers). For AV1
    /// the sequence header's maximum frame size.
    pub resolution: Option<Resolution>,
    /// Resolutions in order of appearance, the first included (first [`MAX_LISTED`]).
    pub resolutions: Vec<ResolutionChange>,
    /// Times the resolution changed (after the first).
    pub resolution_changes: u64,
    /// Mean frame rate over the complete frames: (n − 1) / (last − first arrival).
    pub frames_per_second: Option<f64>,
    /// Frame rate over time.
    pub frame_rate: FrameRateSeries,
    /// Freezes (W3C `freezeCount` definition, at the capture point).
    pub freezes: u64,
    /// Their total duration in milliseconds (as `totalFreezesDuration`).
    pub freeze_total_ms: f64,
    /// The first [`MAX_LISTED`] freezes with their times.
    pub freeze_list: Vec<Freeze>,
    /// Payloads whose descriptor did not read (counted, not used).
    pub unreadable_payloads: u64,
    /// Packets older than every frame remembered (not counted as frames).
    pub late_packets: u64,
    /// Times the RTP timestamp went back by more than [`MAX_LATE_TICKS`] (the sender's clock
    /// restarted); counting went on from the new timestamps.
    pub timestamp_jumps: u64,
    /// Of [`FrameReport::frames`], those first seen in an RTX retransmission: every original
    /// packet of theirs was lost before the capture point (or reached it after its repair).
    pub repaired_frames: u64,
    /// Of [`FrameReport::complete_frames`], those whose marker-bit packet came in an RTX
    /// retransmission.
    pub repaired_completions: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Recent {
    ts: u32,
    key: bool,
    complete: bool,
}

/// The per-stream frame state (constant size but for the bounded lists).
#[derive(Clone, Debug)]
pub struct FrameTracker {
    codec: VideoCodec,
    inferred: bool,
    ring: [Recent; RECENT],
    /// Entries used (up to RECENT).
    used: usize,
    frames: u64,
    key_frames: u64,
    complete: u64,
    unreadable: u64,
    late: u64,
    jumps: u64,
    repaired_frames: u64,
    repaired_completions: u64,
    resolution: Option<Resolution>,
    resolutions: Vec<ResolutionChange>,
    resolution_changes: u64,
    /// The newest complete frame's timestamp and arrival.
    last_complete: Option<(u32, i64)>,
    first_complete_ns: Option<i64>,
    intervals: [i64; FREEZE_WINDOW],
    interval_count: usize,
    freezes: u64,
    freeze_total_ns: i64,
    freeze_list: Vec<Freeze>,
    fps_start_ns: Option<i64>,
    fps_bucket_ns: i64,
    fps: Vec<u32>,
}

/// Whether RTP timestamp `a` is after `b` (RFC 3550 serial arithmetic).
fn after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl FrameTracker {
    /// A tracker for a stream of `codec`, with its bounded lists allocated to their caps.
    pub fn new(codec: VideoCodec) -> Self {
        FrameTracker {
            codec,
            inferred: false,
            ring: [Recent::default(); RECENT],
            used: 0,
            frames: 0,
            key_frames: 0,
            complete: 0,
            unreadable: 0,
            late: 0,
            jumps: 0,
            repaired_frames: 0,
            repaired_completions: 0,
            resolution: None,
            resolutions: Vec::with_capacity(MAX_LISTED),
            resolution_changes: 0,
            last_complete: None,
            first_complete_ns: None,
            intervals: [0; FREEZE_WINDOW],
            interval_count: 0,
            freezes: 0,
            freeze_total_ns: 0,
            freeze_list: Vec::with_capacity(MAX_LISTED),
            fps_start_ns: None,
            fps_bucket_ns: FIRST_BUCKET_NS,
            fps: Vec::with_capacity(MAX_FPS_BUCKETS),
        }
    }

    /// The codec read.
    pub fn codec(&self) -> VideoCodec {
        self.codec
    }

    /// Marks the codec as inferred from the packets rather than named by an SDP.
    pub fn mark_inferred(&mut self) {
        self.inferred = true;
    }

    /// Feeds one cleartext (or decrypted) RTP payload of the stream: its arrival `now`, RTP
    /// timestamp, marker bit and the codec payload (inside RED already unwrapped).
    pub fn packet(&mut self, now: i64, ts: u32, marker: bool, payload: &[u8]) {
        let info = codec::frame_info(self.codec, payload).ok();
        self.feed(now, ts, marker, info, false);
    }

    /// Feeds the payload of an RFC 4588 retransmission of this stream (from its RTX SSRC, the
    /// original sequence number removed; RED already unwrapped), with the RTX packet's
    /// timestamp and marker bit, which are the original's. It counts like the original would
    /// have, except that a copy older than every remembered frame is ignored rather than
    /// counted late or taken for a jump of the sender's clock: senders also repeat old media
    /// as bandwidth probes.
    pub fn repair(&mut self, now: i64, ts: u32, marker: bool, payload: &[u8]) {
        let info = codec::frame_info(self.codec, payload).ok();
        self.repair_read(now, ts, marker, info);
    }

    /// [`FrameTracker::repair`] with the payload already read (`None`: unreadable), for
    /// repairs kept from before the stream's first packet.
    pub(crate) fn repair_read(&mut self, now: i64, ts: u32, marker: bool, info: Option<FrameInfo>) {
        // Older than every frame remembered: a frame the ring has forgotten or one from before
        // the stream's first captured packet; a repair cannot be told from a probe there. A
        // timestamp between two remembered frames and unknown is a frame never seen.
        let used = &self.ring[..self.used];
        if !used.is_empty() && used.iter().all(|r| after(r.ts, ts)) {
            return;
        }
        self.feed(now, ts, marker, info, true);
    }

    fn feed(&mut self, now: i64, ts: u32, marker: bool, info: Option<FrameInfo>, repair: bool) {
        let slot = match self.ring[..self.used].iter().position(|r| r.ts == ts) {
            Some(i) => i,
            None => {
                // A timestamp older than every frame remembered, once the ring is full, is a
                // late packet of a frame already forgotten.
                let oldest = self.ring[..self.used].iter().map(|r| r.ts).reduce(|a, b| {
                    if after(a, b) {
                        b
                    } else {
                        a
                    }
                });
                if let Some(o) = oldest.filter(|&o| after(o, ts)) {
                    if o.wrapping_sub(ts) > MAX_LATE_TICKS {
                        // The sender's clock went back: forget the old frames.
                        self.jumps += 1;
                        self.used = 0;
                        self.last_complete = None;
                    } else if self.used == RECENT {
                        self.late += 1;
                        return;
                    }
                }
                self.frames += 1;
                if repair {
                    self.repaired_frames += 1;
                }
                let i = if self.used < RECENT {
                    self.used += 1;
                    self.used - 1
                } else {
                    // Overwrite the oldest frame.
                    let mut oldest_i = 0;
                    for (i, r) in self.ring.iter().enumerate() {
                        if after(self.ring[oldest_i].ts, r.ts) {
                            oldest_i = i;
                        }
                    }
                    oldest_i
                };
                self.ring[i] = Recent {
                    ts,
                    key: false,
                    complete: false,
                };
                i
            }
        };
        match info {
            Some(info) => {
                if info.key_frame && !self.ring[slot].key {
                    self.ring[slot].key = true;
                    self.key_frames += 1;
                }
                if let Some(r) = info.resolution {
                    self.resolution_seen(now, r.into());
                }
            }
            None => self.unreadable += 1,
        }
        if marker && !self.ring[slot].complete {
            self.ring[slot].complete = true;
            self.complete += 1;
            if repair {
                self.repaired_completions += 1;
            }
            self.frame_complete(now, ts);
        }
    }

    fn resolution_seen(&mut self, now: i64, r: Resolution) {
        if self.resolution == Some(r) {
            return;
        }
        if self.resolution.is_some() {
            self.resolution_changes += 1;
        }
        self.resolution = Some(r);
        if self.resolutions.len() < MAX_LISTED {
            self.resolutions.push(ResolutionChange {
                at_ns: now,
                resolution: r,
            });
        }
    }

    fn frame_complete(&mut self, now: i64, ts: u32) {
        // Timing follows frames in timestamp order; a late completion of an older frame is
        // counted as a frame but not as an arrival in the rate or the freezes.
        if let Some((last_ts, _)) = self.last_complete {
            if !after(ts, last_ts) {
                return;
            }
        }
        self.bucket(now);
        self.first_complete_ns.get_or_insert(now);
        if let Some((_, last_ns)) = self.last_complete {
            // Saturating throughout: capture times may be anything a damaged file says.
            let d = now.saturating_sub(last_ns).max(0);
            let n = self.interval_count.min(FREEZE_WINDOW);
            if n >= FREEZE_MIN_SAMPLES {
                let sum = self.intervals[..n]
                    .iter()
                    .fold(0i64, |a, &x| a.saturating_add(x));
                let avg = sum / n as i64;
                let threshold = avg
                    .saturating_mul(3)
                    .max(avg.saturating_add(FREEZE_MIN_INCREASE_NS));
                if d >= threshold {
                    self.freezes += 1;
                    self.freeze_total_ns = self.freeze_total_ns.saturating_add(d);
                    if self.freeze_list.len() < MAX_LISTED {
                        self.freeze_list.push(Freeze {
                            at_ns: last_ns,
                            duration_ms: d as f64 / 1e6,
                        });
                    }
                }
            }
            self.intervals[self.interval_count % FREEZE_WINDOW] = d;
            self.interval_count += 1;
        }
        self.last_complete = Some((ts, now));
    }

    fn bucket(&mut self, now: i64) {
        let start = *self.fps_start_ns.get_or_insert(now);
        let mut i = (now.saturating_sub(start).max(0) / self.fps_bucket_ns) as usize;
        while i >= MAX_FPS_BUCKETS {
            // Merge neighbours and double the width (at most ~63 times for any i64 span).
            let merged: usize = self.fps.len().div_ceil(2);
            for j in 0..merged {
                let a = self.fps.get(2 * j).copied().unwrap_or(0);
                let b = self.fps.get(2 * j + 1).copied().unwrap_or(0);
                self.fps[j] = a.saturating_add(b);
            }
            self.fps.truncate(merged);
            self.fps_bucket_ns = self.fps_bucket_ns.saturating_mul(2);
            i = (now.saturating_sub(start).max(0) / self.fps_bucket_ns) as usize;
        }
        if self.fps.len() <= i {
            self.fps.resize(i + 1, 0);
        }
        self.fps[i] = self.fps[i].saturating_add(1);
    }

    /// The figures so far.
    pub fn report(&self) -> FrameReport {
        let fps = match (self.first_complete_ns, self.last_complete) {
            (Some(first), Some((_, last))) if last > first && self.interval_count > 0 => {
                Some(self.interval_count as f64 / ((last as f64 - first as f64) / 1e9))
            }
            _ => None,
        };
        FrameReport {
            codec: self.codec.name(),
            codec_inferred: self.inferred,
            frames: self.frames,
            key_frames: self.key_frames,
            complete_frames: self.complete,
            resolution: self.resolution,
            resolutions: self.resolutions.clone(),
            resolution_changes: self.resolution_changes,
            frames_per_second: fps,
            frame_rate: FrameRateSeries {
                start_ns: self.fps_start_ns.unwrap_or(0),
                bucket_ns: self.fps_bucket_ns,
                frames: self.fps.clone(),
            },
            freezes: self.freezes,
            freeze_total_ms: self.freeze_total_ns as f64 / 1e6,
            freeze_list: self.freeze_list.clone(),
            unreadable_payloads: self.unreadable,
            late_packets: self.late,
            timestamp_jumps: self.jumps,
            repaired_frames: self.repaired_frames,
            repaired_completions: self.repaired_completions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;
    /// VP8 first packets: a key frame (320×240) and an inter frame; a continuation packet.
    const KEY: [u8; 11] = [
        0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00,
    ];
    const INTER: [u8; 4] = [0x10, 0x31, 0x01, 0x00];
    const CONT: [u8; 2] = [0x00, 0xaa];

    /// Feeds `n` two-packet frames 33 ms apart (3000 ticks at 90 kHz), the first a key frame.
    fn steady(t: &mut FrameTracker, start_ns: i64, ts0: u32, n: u32) {
        for i in 0..n {
            let now = start_ns + i64::from(i) * 33 * MS;
            let ts = ts0.wrapping_add(i * 3000);
            t.packet(now, ts, false, if i == 0 { &KEY } else { &INTER });
            t.packet(now + MS, ts, true, &CONT);
        }
    }

    #[test]
    fn frames_keys_resolution_and_rate() {
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        steady(&mut t, 0, u32::MAX - 10_000, 31);
        let r = t.report();
        assert_eq!((r.frames, r.key_frames, r.complete_frames), (31, 1, 31));
        assert_eq!(
            r.resolution,
            Some(Resolution {
                width: 320,
                height: 240
            })
        );
        assert_eq!(r.resolutions.len(), 1);
        assert_eq!(r.resolution_changes, 0);
        let fps = r.frames_per_second.unwrap();
        assert!((fps - 1000.0 / 33.0).abs() < 1e-6, "{fps}");
        // 31 frames over 0..=990 ms: all in the first one-second bucket.
        assert_eq!(r.frame_rate.frames, [31]);
        assert_eq!(r.freezes, 0);
    }

    #[test]
    fn reordering_duplicates_and_retransmissions_count_once() {
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        // Frame 2's packets arrive before frame 1's second half, then everything repeats
        // (a retransmission on the media SSRC).
        let seq = [
            (0, 1000, false, &KEY[..]),
            (1, 4000, false, &INTER[..]),
            (2, 1000, true, &CONT[..]),
            (3, 4000, true, &CONT[..]),
            (4, 1000, true, &CONT[..]),
            (5, 4000, false, &INTER[..]),
            (6, 1000, false, &KEY[..]),
        ];
        for (i, ts, m, p) in seq {
            t.packet(i * MS, ts, m, p);
        }
        let r = t.report();
        assert_eq!((r.frames, r.key_frames, r.complete_frames), (2, 1, 2));
        assert_eq!(r.late_packets, 0);
    }

    #[test]
    fn rtx_repairs_count_lost_frames_once_and_ignore_old_copies() {
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        steady(&mut t, 0, 0, 3);
        // Frame 3 (ts 9000) is lost whole; frame 4 arrives; then frame 3's repair, a second
        // copy of it (a spurious retransmission), and a copy of frame 4's last packet.
        t.packet(200 * MS, 12_000, false, &INTER);
        t.packet(201 * MS, 12_000, true, &CONT);
        t.repair(230 * MS, 9000, false, &INTER);
        t.repair(231 * MS, 9000, true, &CONT);
        t.repair(232 * MS, 9000, true, &CONT);
        t.repair(233 * MS, 12_000, true, &CONT);
        let r = t.report();
        assert_eq!((r.frames, r.complete_frames), (5, 5));
        assert_eq!((r.repaired_frames, r.repaired_completions), (1, 1));
        // A completion of an older frame is not an arrival in timestamp order: no interval.
        assert_eq!(r.frame_rate.frames.iter().sum::<u32>(), 4);
        // A copy older than every remembered frame (a probe repeating old media) is neither
        // a frame, nor late, nor a jump of the clock.
        steady(&mut t, 300 * MS, 15_000, RECENT as u32);
        t.repair(2_000 * MS, 3000, true, &CONT);
        t.repair(2_001 * MS, 3000u32.wrapping_sub(5_000_000), true, &CONT);
        let r = t.report();
        assert_eq!(r.frames, 5 + RECENT as u64);
        assert_eq!((r.late_packets, r.timestamp_jumps), (0, 0));
        assert_eq!(r.repaired_frames, 1);
    }

    #[test]
    fn repairs_ahead_of_the_media_are_frames_in_order() {
        // After an outage the sender retransmits the lost frames before its next one: they
        // arrive in timestamp order and time the interval that ends the freeze.
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        steady(&mut t, 0, 0, 10);
        for k in 0..5u32 {
            t.repair(
                3_000 * MS + i64::from(k) * MS,
                30_000 + k * 3000,
                true,
                &INTER,
            );
        }
        t.packet(3_010 * MS, 45_000, true, &INTER);
        let r = t.report();
        assert_eq!(
            (r.frames, r.complete_frames, r.repaired_frames),
            (16, 16, 5)
        );
        assert_eq!(r.freezes, 1);
        assert!((r.freeze_total_ms - (3_000.0 - 298.0)).abs() < 1.0, "{r:?}");
    }

    #[test]
    fn a_packet_older_than_every_remembered_frame_is_late() {
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        steady(&mut t, 0, 0, RECENT as u32 + 5);
        t.packet(2_000 * MS, 3000, true, &CONT);
        let r = t.report();
        assert_eq!(r.frames, RECENT as u64 + 5);
        assert_eq!(r.late_packets, 1);
    }

    #[test]
    fn a_clock_that_goes_back_is_a_jump_not_late_packets() {
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        steady(&mut t, 0, 2_000_000, RECENT as u32 + 5);
        // 20 s of the clock back: the sender restarted; 10 more frames count, with timing.
        steady(&mut t, 2_000 * MS, 200_000, 10);
        let r = t.report();
        assert_eq!(r.frames, RECENT as u64 + 15);
        assert_eq!((r.late_packets, r.timestamp_jumps), (0, 1));
        assert_eq!(r.complete_frames, r.frames);
        let binned: u32 = r.frame_rate.frames.iter().sum();
        assert_eq!(u64::from(binned), r.complete_frames);
    }

    #[test]
    fn a_gap_above_the_threshold_is_a_freeze() {
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        steady(&mut t, 0, 0, 10);
        // Average interval 33 ms: threshold max(99, 183) = 183 ms. A 150 ms gap is not a
        // freeze; a 400 ms gap is.
        let last = 9 * 33 * MS + MS;
        t.packet(last + 150 * MS, 10 * 3000, true, &INTER);
        let before = t.report().freezes;
        t.packet(last + 550 * MS, 11 * 3000, true, &INTER);
        let r = t.report();
        assert_eq!(before, 0);
        assert_eq!(r.freezes, 1);
        assert_eq!(r.freeze_list[0].at_ns, last + 150 * MS);
        assert!((r.freeze_total_ms - 400.0).abs() < 1e-9);
    }

    #[test]
    fn no_freeze_before_five_intervals() {
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        steady(&mut t, 0, 0, 5);
        t.packet(10_000 * MS, 5 * 3000, true, &INTER);
        assert_eq!(t.report().freezes, 0);
    }

    #[test]
    fn resolution_changes_are_listed_and_bounded() {
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        for i in 0..(MAX_LISTED as u32 + 10) {
            let mut k = KEY;
            k[7] = (i % 2) as u8 + 1; // alternate widths 257 and 258 (0x01xx + …)
            k[8] = 0x01;
            t.packet(i64::from(i) * 33 * MS, i * 3000, true, &k);
        }
        let r = t.report();
        assert_eq!(r.key_frames, MAX_LISTED as u64 + 10);
        assert_eq!(r.resolution_changes, MAX_LISTED as u64 + 9);
        assert_eq!(r.resolutions.len(), MAX_LISTED);
    }

    #[test]
    fn the_rate_series_stays_bounded_over_a_long_capture() {
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        // One frame a second for three hours.
        for i in 0..10_800u32 {
            t.packet(
                i64::from(i) * 1_000 * MS,
                i.wrapping_mul(90_000),
                true,
                &INTER,
            );
        }
        let r = t.report();
        assert!(r.frame_rate.frames.len() <= MAX_FPS_BUCKETS);
        assert_eq!(
            r.frame_rate
                .frames
                .iter()
                .map(|&n| u64::from(n))
                .sum::<u64>(),
            10_800
        );
        // 10,800 one-second buckets halve six times to fit 300: 64 s each.
        assert_eq!(r.frame_rate.bucket_ns, 64 * FIRST_BUCKET_NS);
    }

    #[test]
    fn tracker_bytes_cover_the_tracker_at_its_caps() {
        let t = FrameTracker::new(VideoCodec::Vp8);
        let heap = t.resolutions.capacity() * size_of::<ResolutionChange>()
            + t.freeze_list.capacity() * size_of::<Freeze>()
            + t.fps.capacity() * size_of::<u32>();
        let total = size_of::<Box<FrameTracker>>() + size_of::<FrameTracker>() + heap;
        assert!(total <= TRACKER_BYTES, "{total}");
    }

    #[test]
    fn extreme_capture_times_saturate() {
        // Times a damaged capture may give (clamped to the i64 range), in any order.
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        for (i, now) in [
            i64::MIN,
            0,
            i64::MAX,
            i64::MIN,
            i64::MAX,
            1,
            i64::MAX,
            i64::MAX,
        ]
        .into_iter()
        .cycle()
        .take(40)
        .enumerate()
        {
            t.packet(now, i as u32 * 3000, true, &INTER);
        }
        let r = t.report();
        assert_eq!(r.frames, 40);
        assert!(r.frame_rate.frames.len() <= MAX_FPS_BUCKETS);
    }

    #[test]
    fn unreadable_payloads_are_counted_not_used() {
        let mut t = FrameTracker::new(VideoCodec::Vp8);
        t.packet(0, 1, true, &[0x90]);
        let r = t.report();
        assert_eq!((r.frames, r.unreadable_payloads, r.key_frames), (1, 1, 0));
    }
}
