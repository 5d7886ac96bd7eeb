//! The engine reads STUN messages whose length is not a multiple of four (an unpadded last
//! attribute, as WhatsApp, Microsoft Teams and MS-TURN send) and flags them.

use rtcscope_analysis::{Engine, MALFORMED_STUN_LENGTH};
use rtcscope_stun::{Attribute, MessageBuilder, Method, TransactionId};
use rtcscope_testkit::frames::{ipv4, udp};

const A: [u8; 4] = [10, 0, 0, 2];
const B: [u8; 4] = [10, 0, 0, 3];

fn feed(engine: &mut Engine, n: u64, from_a: bool, msg: &[u8]) {
    let (src, dst, sport, dport) = if from_a {
        (A, B, 50_000, 50_002)
    } else {
        (B, A, 50_002, 50_000)
    };
    let f = ipv4(src, dst, 17, n as u16, &udp(sport, dport, msg));
    let t = 1_700_000_000_000_000_000 + i128::from(n) * 1_000_000;
    engine.feed_frame(n, t, rtcscope_capture::LinkType::RAW, &f, f.len() as u32);
}

/// Appends an unpadded USERNAME as the last attribute and fixes the length field.
fn with_unpadded_username(mut bytes: Vec<u8>, user: &str) -> Vec<u8> {
    bytes.extend_from_slice(&[0x00, 0x06]);
    bytes.extend_from_slice(&(user.len() as u16).to_be_bytes());
    bytes.extend_from_slice(user.as_bytes());
    let len = (bytes.len() - 20) as u16;
    bytes[2..4].copy_from_slice(&len.to_be_bytes());
    bytes
}

#[test]
fn binding_request_with_unpadded_username_creates_a_pair() {
    let mut e = Engine::default();
    let tid = TransactionId::Rfc5389([9; 12]);
    let mut req = MessageBuilder::request(Method::BINDING, tid);
    req.add(&Attribute::Priority(0x6e00_01ff))
        .add(&Attribute::IceControlling(42));
    let req = with_unpadded_username(req.finish().unwrap(), "bbbb:aa");
    assert_ne!((req.len() - 20) % 4, 0);
    feed(&mut e, 1, true, &req);
    let mut ok = MessageBuilder::success(Method::BINDING, tid);
    ok.add(&Attribute::XorMappedAddress(
        "10.0.0.2:50000".parse().unwrap(),
    ));
    feed(&mut e, 2, false, &ok.finish().unwrap());

    let ice = e.ice();
    assert_eq!(ice.sessions.len(), 1, "the check starts an ICE session");
    assert_eq!(ice.pairs.len(), 1, "the check creates a candidate pair");
    let pair = &ice.pairs[0];
    assert_eq!(pair.local, "10.0.0.2:50000".parse().unwrap());
    assert_eq!(pair.remote, "10.0.0.3:50002".parse().unwrap());
    assert_eq!(pair.local_ufrag, "aa");
    let damage: Vec<_> = e
        .damage()
        .iter()
        .map(|d| (d.packet, d.what.as_str()))
        .collect();
    assert_eq!(damage, vec![(1, MALFORMED_STUN_LENGTH)]);
}
