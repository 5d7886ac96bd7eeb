#![no_main]
//! Fuzzes the video payload-format parsers (`rtcscope_rtp::codec`: VP8, VP9, H.264, AV1) and
//! the engine's per-stream frame tracker (`rtcscope_analysis::frames`) they feed.
//!
//! The whole input is one payload for every parser (and RED's primary-block reader). Then it
//! is cut into packets for a tracker of the codec its first byte picks: each packet is a
//! length byte, a timestamp delta byte, a marker byte and that many payload bytes.
//!
//! The same packets then go through the engine as RTP in raw IPv4/UDP frames, with an SDP's
//! worth of payload types (VP8, VP9, H264, AV1, RED around VP8, RTX of VP8) picked per packet,
//! so the streams' frame hook (RED unwrapping, RTX skipped) meets arbitrary payloads.
//!
//! Beyond "no panic": what a parse reports stays inside its input (descriptor lengths,
//! element and unit counts), and the tracker's figures stay consistent (key and complete
//! frames never exceed frames, the frame-rate series holds every complete frame that arrived
//! in timestamp order and at most 300 buckets, the listed freezes and resolutions are bounded);
//! in the engine, a stream's frames never exceed its packets and an RTX stream has none.

use rtcscope_analysis::frames::{FrameTracker, MAX_FPS_BUCKETS, MAX_LISTED};
use rtcscope_analysis::report::Report;
use rtcscope_analysis::streams::{Codec, CodecSource, MediaHints};
use rtcscope_analysis::Engine;
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

    let Some((&pick, packets_in)) = data.split_first() else {
        return;
    };
    let mut rest = packets_in;
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
    engine(packets_in);
});

/// Payload types as an SDP would map them: (pt, encoding, apt, RED's inner type).
const PAYLOAD_TYPES: [(u8, &str, Option<u8>, Option<u8>); 6] = [
    (96, "VP8", None, None),
    (97, "VP9", None, None),
    (98, "H264", None, None),
    (99, "AV1", None, None),
    (100, "red", None, Some(96)),
    (101, "rtx", Some(96), None),
];

/// Raw IPv4 + UDP around an RTP packet (the engine reads no IP or UDP checksum).
fn frame(pt: u8, seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let rtp_len = 12 + payload.len();
    let udp_len = 8 + rtp_len;
    let ip_len = 20 + udp_len;
    let mut f = Vec::with_capacity(ip_len);
    f.extend_from_slice(&[
        0x45,
        0,
        (ip_len >> 8) as u8,
        ip_len as u8,
        0,
        0,
        0x40,
        0,
        64,
        17,
        0,
        0,
    ]);
    f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    f.extend_from_slice(&[
        0xc3,
        0x50,
        0xc3,
        0x51,
        (udp_len >> 8) as u8,
        udp_len as u8,
        0,
        0,
    ]);
    f.extend_from_slice(&[0x80, pt | if marker { 0x80 } else { 0 }]);
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ts.to_be_bytes());
    f.extend_from_slice(&(0x1000_0000 + u32::from(pt)).to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn engine(mut rest: &[u8]) {
    let mut hints = MediaHints::default();
    for (pt, name, apt, red) in PAYLOAD_TYPES {
        hints.codecs.insert(
            pt,
            Codec {
                name: name.to_owned(),
                clock_rate: 90000,
                apt,
                red_inner: red.map(|i| (i, CodecSource::SdpRedFmtp)),
            },
        );
    }
    let mut e = Engine::default();
    e.set_media_hints(hints, false);
    let mut seqs = [0u16; 6];
    let (mut ts, mut now) = (0u32, 1_000_000_000i128);
    let mut n = 0u64;
    // Packets: a type byte, a length byte, a timestamp step byte, then the payload.
    while let [kind, len, delta, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let i = usize::from(kind % 6);
        let (pt, ..) = PAYLOAD_TYPES[i];
        ts = ts.wrapping_add(u32::from(delta >> 1) * 3000);
        now += 1_000_000;
        let f = frame(pt, seqs[i], ts, delta & 1 == 1, &tail[..len]);
        seqs[i] = seqs[i].wrapping_add(1);
        n += 1;
        e.feed_frame(n, now, rtcscope_capture::LinkType::IPV4, &f, f.len() as u32);
        rest = &tail[len..];
    }
    e.finish();
    let r = Report::new(&e);
    for s in &r.streams {
        if let Some(f) = &s.frames {
            assert!(f.frames <= s.packets);
            assert!(f.key_frames <= f.frames && f.complete_frames <= f.frames);
        }
        if s.ssrc == 0x1000_0000 + 101 {
            assert!(s.frames.is_none(), "RTX is never read for frames");
        }
    }
}
