//! The RTP packets both benchmarks parse.

use rtcscope_rtp::rtp::{ExtensionBlockRepr, ExtensionRepr, RtpRepr};

/// A libwebrtc-style video packet: audio-level-free one-byte extensions abs-send-time (2),
/// transport-cc (3), mid (4), playout-delay (5) and a 1100-byte payload.
pub fn video_packet() -> Vec<u8> {
    RtpRepr {
        marker: false,
        payload_type: 96,
        sequence_number: 4242,
        timestamp: 90_000,
        ssrc: 0x1234_5678,
        csrcs: vec![],
        extension: Some(ExtensionBlockRepr::OneByte(vec![
            ExtensionRepr {
                id: 2,
                data: vec![0x12, 0x34, 0x56],
            },
            ExtensionRepr {
                id: 3,
                data: vec![0x01, 0x02],
            },
            ExtensionRepr {
                id: 4,
                data: b"1".to_vec(),
            },
            ExtensionRepr {
                id: 5,
                data: vec![0, 0x10, 0x64],
            },
        ])),
        payload: vec![0xab; 1100],
        padding: 0,
    }
    .to_bytes()
    .unwrap()
}

/// An Opus packet: audio level (1), abs-send-time (2), transport-cc (3), mid (4), 2 CSRCs.
pub fn audio_packet() -> Vec<u8> {
    RtpRepr {
        marker: true,
        payload_type: 111,
        sequence_number: 7,
        timestamp: 48_000,
        ssrc: 0xdead_beef,
        csrcs: vec![1, 2],
        extension: Some(ExtensionBlockRepr::OneByte(vec![
            ExtensionRepr {
                id: 1,
                data: vec![0x9a],
            },
            ExtensionRepr {
                id: 2,
                data: vec![0x12, 0x34, 0x56],
            },
            ExtensionRepr {
                id: 3,
                data: vec![0x01, 0x02],
            },
            ExtensionRepr {
                id: 4,
                data: b"0".to_vec(),
            },
        ])),
        payload: vec![0x5a; 90],
        padding: 0,
    }
    .to_bytes()
    .unwrap()
}
