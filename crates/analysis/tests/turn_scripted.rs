//! The engine's TURN logic on scripted packets: an allocation refreshed to zero is released,
//! and keeps the lifetime it was granted.

use rtcscope_analysis::turn::AllocationState;
use rtcscope_analysis::Engine;
use rtcscope_stun::{Attribute, MessageBuilder, Method, TransactionId};
use rtcscope_testkit::frames::{ipv4, udp};

const CLIENT: [u8; 4] = [10, 0, 0, 2];
const SERVER: [u8; 4] = [198, 51, 100, 1];

fn feed(engine: &mut Engine, n: u64, t_s: i128, to_server: bool, msg: Vec<u8>) {
    let (src, dst, sport, dport) = if to_server {
        (CLIENT, SERVER, 40_000, 3478)
    } else {
        (SERVER, CLIENT, 3478, 40_000)
    };
    let f = ipv4(src, dst, 17, n as u16, &udp(sport, dport, &msg));
    let t = 1_700_000_000_000_000_000 + t_s * 1_000_000_000;
    engine.feed_frame(n, t, rtcscope_capture::LinkType::RAW, &f, f.len() as u32);
}

fn tid(i: u8) -> TransactionId {
    TransactionId::Rfc5389([i; 12])
}

#[test]
fn refresh_to_zero_releases_and_keeps_the_granted_lifetime() {
    let mut e = Engine::default();
    let req = MessageBuilder::request(Method::ALLOCATE, tid(1));
    feed(&mut e, 1, 0, true, req.finish().unwrap());
    let mut ok = MessageBuilder::success(Method::ALLOCATE, tid(1));
    ok.add(&Attribute::XorRelayedAddress(
        "198.51.100.1:50000".parse().unwrap(),
    ))
    .add(&Attribute::Lifetime(600));
    feed(&mut e, 2, 0, false, ok.finish().unwrap());
    let mut refresh = MessageBuilder::request(Method::REFRESH, tid(2));
    refresh.add(&Attribute::Lifetime(0));
    feed(&mut e, 3, 42, true, refresh.finish().unwrap());
    let mut done = MessageBuilder::success(Method::REFRESH, tid(2));
    done.add(&Attribute::Lifetime(0));
    feed(&mut e, 4, 42, false, done.finish().unwrap());

    let a = &e.turn().allocations[0];
    assert_eq!(a.state, AllocationState::Released);
    assert_eq!(a.lifetime_s, Some(600));
    let (from, to) = (a.allocated_ns.unwrap(), a.released_ns.unwrap());
    assert_eq!(to - from, 42_000_000_000);
    assert_eq!(a.refreshes, 0, "a release is not counted as a refresh");
}
