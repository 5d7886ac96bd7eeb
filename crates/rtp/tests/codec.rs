//! The video payload-format parsers (`rtcscope_rtp::codec`) on arbitrary bytes: every input
//! parses or errors, never panics, and what a parse reports stays inside its input.

use proptest::collection::vec;
use proptest::prelude::*;
use rtcscope_rtp::codec::{self, av1, h264, vp8, vp9, VideoCodec};
use rtcscope_testkit::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

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

/// Parsing allocates nothing: a VP8 key frame, a VP9 key frame with its scalability
/// structure, an H.264 STAP-A with an SPS, an AV1 sequence header (the unit tests' layouts).
#[test]
fn parsing_allocates_nothing() {
    let vp8 = [
        0x90u8, 0x80, 0x84, 0xd2, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00,
    ];
    let vp9 = [
        0xaau8, 0x92, 0x34, 0x00, 0x05, 0x18, 0x01, 0x40, 0x00, 0xf0, 0x01, 0x04, 0x01, 0x82, 0x49,
        0x83, 0x42, 0x20, 0x27, 0xf0, 0x16, 0x70,
    ];
    let h264 = [
        0x78u8, 0x00, 0x0e, 0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d, 0x40, 0x50, 0x1e, 0xd0, 0x0f, 0x08,
        0x84, 0x6a, 0x00, 0x03, 0x65, 0x88, 0x84,
    ];
    let av1 = [
        0x18u8, 0x08, 0x00, 0x00, 0x08, 0x04, 0xcf, 0xfe, 0xf8, 0x00, 0x00,
    ];
    let mut found = Vec::with_capacity(4);
    let n = CountingAlloc::count(|| {
        for (c, b) in [
            (VideoCodec::Vp8, &vp8[..]),
            (VideoCodec::Vp9, &vp9[..]),
            (VideoCodec::H264, &h264[..]),
            (VideoCodec::Av1, &av1[..]),
        ] {
            found.push(codec::frame_info(c, b).map(|f| f.resolution.is_some()));
        }
    });
    assert_eq!(n, 0);
    assert_eq!(found[..3], [Ok(true), Ok(true), Ok(true)]);
    assert!(found[3].is_ok());
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

/// A real VP9 key frame carries its size twice, independently: in the RFC 9628 scalability
/// structure and in the VP9 uncompressed header after the descriptor. In str0m's libwebrtc
/// capture (corpus str0m/vp9.pcap) the two readings agree (494×371), and every VP9 packet of
/// both str0m captures reads.
#[test]
fn vp9_key_frame_size_from_ss_and_header_agree() {
    use rtcscope_rtp::rtp::RtpPacket;
    let Some(dir) = rtcscope_testkit::corpus("vp9_key_frame_size_from_ss_and_header_agree") else {
        return;
    };
    let mut both = 0;
    for f in ["vp9.pcap", "contiguous_vp9.pcap"] {
        let path = dir.join("str0m").join(f);
        for p in rtcscope_testkit::capture_frames::packets(&path) {
            let r = RtpPacket::new_checked(&p.payload).unwrap();
            let v = vp9::Vp9Payload::parse(r.payload()).unwrap();
            let ss = v.ss.and_then(|s| s.resolutions().last());
            let header = v.header.filter(|h| h.key_frame).and_then(|h| h.size);
            if let (Some(a), Some(b)) = (ss, header) {
                assert_eq!(a, b, "{f} seq {}", r.sequence_number());
                assert!(v.starts_key_frame());
                both += 1;
            }
        }
    }
    assert_eq!(both, 1, "str0m's vp9.pcap holds one key frame");
}
