//! DTLS 1.3 unified-header records (RFC 9147 §4) have no version field to check: their first
//! byte (001CSLEE) is all there is. The engine believes one only on a flow that carried plain
//! DTLS records first; `dissect` (the stateful [`Dissector`]) follows the same rule, so it does
//! not call other UDP protocols DTLS because their first byte happens to start 001 (issue #10,
//! "no false positives"; docs/status/issue-10.md, F12). A lone frame dissected without state
//! ([`dissect_frame`]) cannot know the flow's past and keeps accepting it.

use rtcscope_capture::link::LinkType;
use rtcscope_dissect::{dissect_frame, Dissector, Frame, Protocol};
use rtcscope_testkit::frames::ipv4_udp;
use std::net::SocketAddrV4;

fn addr(s: &str) -> SocketAddrV4 {
    s.parse().unwrap()
}

/// OpenVPN's P_ACK_V1 (opcode 5, key id 0: first byte 0x28 = 001 0 1 0 00, a unified header
/// with a 2-byte sequence number and no length) as OpenVPN sends it: session id, an ack array
/// of one packet id, the remote session id. tshark calls it OpenVPN.
fn openvpn_ack() -> Vec<u8> {
    let mut p = vec![0x28];
    p.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    p.push(1);
    p.extend_from_slice(&0u32.to_be_bytes());
    p.extend_from_slice(&[8, 7, 6, 5, 4, 3, 2, 1]);
    p.extend_from_slice(&[0; 12]);
    p
}

/// A DTLS 1.2 epoch-0 record holding a 12-byte handshake fragment (a ClientHello's start).
fn plain_record() -> Vec<u8> {
    let mut r = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12];
    r.extend_from_slice(&[1, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0]);
    r
}

/// A unified-header record: 0x2f = 001 0 1 1 11 (no CID, 2-byte sequence, length, epoch 3),
/// 32 bytes of ciphertext.
fn unified_record() -> Vec<u8> {
    let mut r = vec![0x2f, 0x00, 0x01, 0x00, 0x20];
    r.extend_from_slice(&[0xa5; 32]);
    r
}

fn first(f: &Frame) -> Protocol {
    f.messages.first().map(|m| m.protocol).expect("a message")
}

fn feed(d: &mut Dissector, n: u64, src: &str, dst: &str, payload: &[u8]) -> Protocol {
    let f = ipv4_udp(addr(src), addr(dst), payload);
    let t = 1_700_000_000_000_000_000i128 + i128::from(n) * 1_000_000;
    first(&d.frame(n, t, LinkType::RAW, &f, f.len() as u32))
}

#[test]
fn a_unified_header_needs_plain_dtls_on_its_flow_first() {
    let mut d = Dissector::default();
    // OpenVPN on its own flow: never DTLS.
    for n in 1..=3 {
        assert_eq!(
            feed(&mut d, n, "10.0.0.1:40000", "10.0.0.2:1194", &openvpn_ack()),
            Protocol::Data,
            "frame {n}: OpenVPN is not DTLS"
        );
    }
    // A unified header before any plain record on its flow: not believed either.
    assert_eq!(
        feed(
            &mut d,
            4,
            "10.0.0.3:5000",
            "10.0.0.4:6000",
            &unified_record()
        ),
        Protocol::Data
    );
    // After a plain record on the flow, in either direction, it is DTLS.
    assert_eq!(
        feed(&mut d, 5, "10.0.0.3:5000", "10.0.0.4:6000", &plain_record()),
        Protocol::Dtls
    );
    assert_eq!(
        feed(
            &mut d,
            6,
            "10.0.0.4:6000",
            "10.0.0.3:5000",
            &unified_record()
        ),
        Protocol::Dtls
    );
    assert_eq!(
        feed(
            &mut d,
            7,
            "10.0.0.3:5000",
            "10.0.0.4:6000",
            &unified_record()
        ),
        Protocol::Dtls
    );
    // In one datagram after a plain record it is believed at once (the engine's rule too).
    let mut both = plain_record();
    both.extend_from_slice(&unified_record());
    assert_eq!(
        feed(&mut d, 8, "10.0.0.5:5000", "10.0.0.6:6000", &both),
        Protocol::Dtls
    );
    // The OpenVPN flow stays what it was.
    assert_eq!(
        feed(&mut d, 9, "10.0.0.1:40000", "10.0.0.2:1194", &openvpn_ack()),
        Protocol::Data
    );
}

#[test]
fn a_lone_frame_without_state_keeps_the_one_packet_assumption() {
    let f = ipv4_udp(
        addr("10.0.0.3:5000"),
        addr("10.0.0.4:6000"),
        &unified_record(),
    );
    let frame = dissect_frame(1, 0, LinkType::RAW, &f, f.len() as u32);
    assert_eq!(first(&frame), Protocol::Dtls);
}
