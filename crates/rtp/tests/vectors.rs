//! Byte vectors from specifications and real senders, decoded field by field, round-tripped,
//! and swept over every truncated prefix (an error, never a panic).

use rtcscope_rtp::fuzzing::{fuzz_rtcp, fuzz_rtp};
use rtcscope_rtp::rtcp::feedback::FeedbackKind;
use rtcscope_rtp::rtcp::twcc::TwccStatus;
use rtcscope_rtp::rtcp::{Compound, CompoundRepr, PacketType, RtcpBody};
use rtcscope_rtp::rtp::{ExtensionKind, ExtensionMap, ExtensionValue, RtpPacket, RtpRepr};

/// RFC 8285 §4.2 one-byte example (IDs a=1, b=2, c=3 with data aa / bbbb / cccccccc and two
/// padding bytes) in an RFC 3550 §5.1 header.
const RFC8285_ONE_BYTE: &[u8] = &[
    0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0xbe, 0xde, 0x00, 0x03,
    0x10, 0xaa, 0x21, 0xbb, 0xbb, 0x00, 0x00, 0x33, 0xcc, 0xcc, 0xcc, 0xcc, 0xde, 0xad,
];

/// RFC 8285 §4.3 two-byte example (ID a L=0, ID b L=1, one padding byte, ID c L=4).
const RFC8285_TWO_BYTE: &[u8] = &[
    0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x10, 0x00, 0x00, 0x03,
    0x01, 0x00, 0x02, 0x01, 0xbb, 0x00, 0x03, 0x04, 0xcc, 0xcc, 0xcc, 0xcc, 0xbe, 0xef,
];

/// Chrome video RTP header from olivermichel/webrtc-analysis test/include/data.h (rtp_pkt1):
/// one-byte extensions abs-send-time (ID 2), transport-wide seq (ID 4), ID 13.
const CHROME_RTP: &[u8] = &[
    0x90, 0x2d, 0x1a, 0x5f, 0xd4, 0x09, 0x05, 0x49, 0xf7, 0xb1, 0x6e, 0x83, 0xbe, 0xde, 0x00, 0x03,
    0x22, 0xf3, 0x43, 0x50, 0x41, 0x00, 0x9b, 0xd2, 0x81, 0x00, 0x45, 0x00,
];

/// Chrome transport-cc feedback from olivermichel/webrtc-analysis test/include/data.h
/// (twcc_pkt1): P=1, base 1, count 9, one run-length chunk of 9 "small delta", 9 deltas,
/// padding count 1 (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1 layout).
const CHROME_TWCC: &[u8] = &[
    0xaf, 0xcd, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0xdd, 0x58, 0x6e, 0xb6, 0x00, 0x01, 0x00, 0x09,
    0x5e, 0x91, 0x10, 0x00, 0x20, 0x09, 0x1c, 0x0c, 0x2c, 0x38, 0x00, 0x04, 0x00, 0x08, 0x18, 0x01,
];

/// RFC 3550 §6.4.1/§6.5 layout: SR with one report block (cumulative lost −1) + SDES CNAME
/// "ab" + BYE with reason "x", assembled by hand.
const SR_SDES_BYE: &[u8] = &[
    // SR, RC=1, length 12
    0x81, 0xc8, 0x00, 0x0c, 0x11, 0x11, 0x11, 0x11, 0xe1, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x01, 0x00,
    // report block: SSRC 0x22222222, fraction 0x40, cumulative -1, highest 0x10020, jitter 7,
    // LSR 0x01020304, DLSR 0x00010000
    0x22, 0x22, 0x22, 0x22, 0x40, 0xff, 0xff, 0xff, 0x00, 0x01, 0x00, 0x20, 0x00, 0x00, 0x00, 0x07,
    0x01, 0x02, 0x03, 0x04, 0x00, 0x01, 0x00, 0x00,
    // SDES, SC=1, length 3: SSRC, CNAME "ab", END and padding to 32 bits
    0x81, 0xca, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11, 0x01, 0x02, b'a', b'b', 0x00, 0x00, 0x00, 0x00,
    // BYE, SC=1, length 2: SSRC, reason "x" + padding
    0x81, 0xcb, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x01, b'x', 0x00, 0x00,
];

#[test]
fn chrome_rtp_header_extensions() {
    let p = RtpPacket::new_checked(CHROME_RTP).unwrap();
    assert_eq!(
        (p.payload_type(), p.sequence_number(), p.ssrc()),
        (45, 0x1a5f, 0xf7b16e83)
    );
    let mut map = ExtensionMap::empty();
    map.set(2, ExtensionKind::AbsSendTime);
    map.set(4, ExtensionKind::TransportCc);
    let vals: Vec<_> = p
        .extension()
        .unwrap()
        .iter()
        .map(|e| map.decode(&e.unwrap()).unwrap())
        .collect();
    assert_eq!(vals[0], ExtensionValue::AbsSendTime(0xf34350));
    assert_eq!(
        vals[1],
        ExtensionValue::TransportSequence {
            sequence: 0x9b,
            feedback_request: None
        }
    );
    assert_eq!(
        vals[2],
        ExtensionValue::Raw {
            kind: None,
            data: &[0x81, 0x00, 0x45]
        }
    );
    assert!(p.payload().is_empty());
}

#[test]
fn chrome_twcc_feedback() {
    let c = Compound::new(CHROME_TWCC);
    c.check(true).unwrap();
    let p = c.iter().next().unwrap().unwrap();
    assert_eq!(
        (p.packet_type(), p.count(), p.padding_len()),
        (PacketType::RTPFB, 15, 1)
    );
    let RtcpBody::Feedback(f) = p.body().unwrap() else {
        panic!("not feedback")
    };
    assert_eq!((f.sender_ssrc(), f.media_ssrc()), (1, 0xdd586eb6));
    let FeedbackKind::TransportCc(t) = f.kind().unwrap() else {
        panic!("not transport-cc")
    };
    assert_eq!(
        (t.base_sequence(), t.status_count(), t.fb_pkt_count()),
        (1, 9, 0)
    );
    assert_eq!(t.reference_time(), 0x5e9110);
    let pk: Vec<_> = t.packets().map(Result::unwrap).collect();
    let seqs: Vec<u16> = pk.iter().map(|p| p.sequence).collect();
    assert_eq!(seqs, (1..=9).collect::<Vec<_>>());
    assert!(pk.iter().all(|p| p.status == TwccStatus::SMALL_DELTA));
    let us: Vec<i64> = pk.iter().map(|p| p.delta_us().unwrap()).collect();
    assert_eq!(us, [7000, 3000, 11000, 14000, 0, 1000, 0, 2000, 6000]);
    assert_eq!(pk[8].delta_range, Some(30..31));
    let repr = CompoundRepr::parse(CHROME_TWCC).unwrap();
    assert_eq!(
        repr.to_bytes().unwrap(),
        CHROME_TWCC,
        "byte-exact re-encoding"
    );
}

#[test]
fn sr_sdes_bye_fields() {
    let c = Compound::new(SR_SDES_BYE);
    c.check(false).unwrap();
    let ps: Vec<_> = c.iter().map(Result::unwrap).collect();
    let RtcpBody::SenderReport(sr) = ps[0].body().unwrap() else {
        panic!()
    };
    assert_eq!(sr.ntp_timestamp(), 0xe100_0000_8000_0000);
    assert_eq!(
        (sr.rtp_timestamp(), sr.packet_count(), sr.octet_count()),
        (0x1000, 5, 256)
    );
    let b = sr.report_blocks().next().unwrap().unwrap();
    assert_eq!(
        (b.ssrc(), b.fraction_lost(), b.cumulative_lost()),
        (0x22222222, 0x40, -1)
    );
    assert_eq!(
        (b.highest_sequence(), b.jitter(), b.last_sr()),
        (0x10020, 7, 0x01020304)
    );
    assert_eq!(b.range(), 28..52);
    let RtcpBody::Sdes(s) = ps[1].body().unwrap() else {
        panic!()
    };
    let chunk = s.chunks().next().unwrap().unwrap();
    let item = chunk.items().next().unwrap();
    assert_eq!((item.text().unwrap(), item.range.clone()), ("ab", 60..64));
    let RtcpBody::Bye(bye) = ps[2].body().unwrap() else {
        panic!()
    };
    assert_eq!(bye.reason(), Some(&b"x"[..]));
    let repr = CompoundRepr::parse(SR_SDES_BYE).unwrap();
    assert_eq!(repr.to_bytes().unwrap(), SR_SDES_BYE);
}

#[test]
fn rfc8285_vectors_round_trip() {
    for v in [RFC8285_ONE_BYTE, RFC8285_TWO_BYTE, CHROME_RTP] {
        let r = RtpRepr::parse_bytes(v).unwrap();
        assert_eq!(r.extension.as_ref().unwrap().elements().len(), 3);
        assert_eq!(RtpRepr::parse_bytes(&r.to_bytes().unwrap()).unwrap(), r);
    }
}

#[test]
fn truncation_sweep() {
    for v in [RFC8285_ONE_BYTE, RFC8285_TWO_BYTE, CHROME_RTP] {
        let header_len = RtpPacket::new_checked(v).unwrap().header_len();
        for n in 0..v.len() {
            fuzz_rtp(&v[..n]);
            let r = RtpPacket::new_checked(&v[..n]);
            if n < header_len {
                assert!(
                    r.is_err(),
                    "prefix {n} of a {header_len}-byte header parsed"
                );
            }
        }
    }
    for v in [CHROME_TWCC, SR_SDES_BYE] {
        let first_len = Compound::new(v).iter().next().unwrap().unwrap().len();
        for n in 0..v.len() {
            fuzz_rtcp(&v[..n]);
            // Every prefix that does not end on a packet boundary is an error.
            let boundary = Compound::new(v)
                .iter()
                .map(|p| p.unwrap().range().end)
                .any(|end| end == n);
            let parsed = CompoundRepr::parse(&v[..n]);
            assert_eq!(parsed.is_ok(), boundary, "prefix {n}");
            if n < first_len {
                assert!(parsed.is_err());
            }
        }
    }
}
