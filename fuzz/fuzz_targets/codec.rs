#![no_main]
//! Fuzzes the video payload-format parsers (`rtcscope_rtp::codec`: VP8, VP9, H.264, AV1) and
//! the engine's per-stream frame tracker (`rtcscope_analysis::frames`) they feed.
//!
//! The whole input is one payload for every parser (and RED's primary-block reader). Then it
//! is cut into packets for a tracker of the codec its first byte picks: each packet is a
//! length byte, a timestamp delta byte, a marker byte and that many payload bytes.
//!
//! Beyond "no panic": what a parse reports stays inside its input (descriptor lengths,
//! element and unit counts), and the tracker's figures stay consistent (key and complete
//! frames never exceed frames, the frame-rate series holds every complete frame that arrived
//! in timestamp order and at most 300 buckets, the listed freezes and resolutions are bounded).

use rtcscope_analysis::frames::{FrameTracker, MAX_FPS_BUCKETS, MAX_LISTED};
use rtcscope_rtp::codec::{self, av1, h264, vp8, vp9, VideoCodec};

const CODECS: [VideoCodec; 4] = [
    VideoCodec::Vp8,
    VideoCodec::Vp9,
    VideoCodec::H264,
    VideoCodec::Av1,
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for c in CODECS {
        let _ = codec::frame_info(c, data);
    }
    if let Ok(p) = vp8::Vp8Payload::parse(data) {
        assert!(p.descriptor.len < data.len());
        assert_eq!(p.data.len(), data.len() - p.descriptor.len);
    }
    if let Ok(p) = vp9::Vp9Payload::parse(data) {
        assert!(p.descriptor.len < data.len());
        assert!(p.descriptor.ref_count <= 3);
        assert!(p.ss.map_or(0, |s| s.resolutions().count()) <= 8);
    }
    if let Ok(p) = h264::H264Payload::parse(data) {
        if let h264::Packetization::StapA { units } = p.packetization {
            assert!(usize::from(units) * 3 < data.len());
        }
    }
    if let Ok(p) = av1::Av1Payload::parse(data) {
        assert!(usize::from(p.elements) < data.len());
    }
    if let Some((_, primary)) = codec::red_primary(data) {
        assert!(primary.len() < data.len());
    }
    let _ = h264::parse_sps(data, 0);
    let _ = av1::sequence_header_obu(data, 0);
    let _ = vp9::uncompressed_header(data, 0);

    let Some((&pick, mut rest)) = data.split_first() else {
        return;
    };
    let mut t = FrameTracker::new(CODECS[usize::from(pick % 4)]);
    let (mut ts, mut now) = (0u32, 0i64);
    let mut packets = 0u64;
    while let [len, delta, marker, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        // Deltas from −64 to +191 frames of 3000 ticks, arrival 1 to 256 ms later.
        ts = ts.wrapping_add((u32::from(*delta).wrapping_sub(64)).wrapping_mul(3000));
        now += (i64::from(*len) + 1) * 1_000_000;
        t.packet(now, ts, marker & 1 == 1, &tail[..n]);
        packets += 1;
        rest = &tail[n..];
    }
    let r = t.report();
    assert!(r.frames <= packets);
    assert!(r.key_frames <= r.frames && r.complete_frames <= r.frames);
    assert!(r.frames + r.late_packets <= packets);
    assert!(r.frame_rate.frames.len() <= MAX_FPS_BUCKETS);
    let binned: u64 = r.frame_rate.frames.iter().map(|&n| u64::from(n)).sum();
    assert!(binned <= r.complete_frames);
    assert!(r.freeze_list.len() <= MAX_LISTED && r.resolutions.len() <= MAX_LISTED);
    assert!(r.freezes <= r.complete_frames);
});
