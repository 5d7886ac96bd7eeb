//! The video payload-format parsers (`rtcscope_rtp::codec`) on arbitrary bytes: every input
//! parses or errors, never panics, and what a parse reports stays inside its input.

use proptest::collection::vec;
use proptest::prelude::*;
use rtcscope_rtp::codec::{self, av1, h264, vp8, vp9, VideoCodec};

const CODECS: [VideoCodec; 4] = [
    VideoCodec::Vp8,
    VideoCodec::Vp9,
    VideoCodec::H264,
    VideoCodec::Av1,
];

fn check(b: &[u8]) {
    for c in CODECS {
        let _ = codec::frame_info(c, b);
    }
    if let Ok(p) = vp8::Vp8Payload::parse(b) {
        assert!(p.descriptor.len < b.len());
        assert_eq!(p.data.len(), b.len() - p.descriptor.len);
    }
    if let Ok(p) = vp9::Vp9Payload::parse(b) {
        assert!(p.descriptor.len < b.len());
        assert!(usize::from(p.descriptor.ref_count) <= 3);
        assert!(p.ss.map_or(0, |s| s.resolutions().count()) <= 8);
    }
    if let Ok(p) = h264::H264Payload::parse(b) {
        assert_eq!(p.data.len(), b.len() - 1);
        if let h264::Packetization::StapA { units } = p.packetization {
            // Each unit takes at least 3 bytes (size and a header byte).
            assert!(usize::from(units) * 3 < b.len());
        }
    }
    if let Ok(p) = av1::Av1Payload::parse(b) {
        // Each element takes at least one byte.
        assert!(usize::from(p.elements) < b.len());
    }
    let _ = h264::parse_sps(b, 0);
    let _ = av1::sequence_header_obu(b, 0);
    let _ = vp9::uncompressed_header(b, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_payloads_never_panic(b in vec(any::<u8>(), 0..80)) {
        check(&b);
    }

    /// Inputs that start like each format's interesting cases (a VP8 key frame, a VP9 SS, an
    /// H.264 STAP-A or SPS, an AV1 sequence header), so the deeper paths are reached.
    #[test]
    fn structured_payloads_never_panic(
        head in prop::sample::select(vec![
            vec![0x90u8, 0x80, 0x84, 0xd2, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a],
            vec![0xaa, 0x92, 0x34, 0x00, 0x05, 0xf8],
            vec![0x78, 0x00, 0x10, 0x67, 0x64, 0x00, 0x1f],
            vec![0x67, 0x64, 0x00, 0x1f],
            vec![0x28, 0x0c, 0x08, 0x00],
            vec![0x18, 0x0a, 0x3f],
        ]),
        tail in vec(any::<u8>(), 0..48),
    ) {
        let mut b = head;
        b.extend_from_slice(&tail);
        check(&b);
    }
}
