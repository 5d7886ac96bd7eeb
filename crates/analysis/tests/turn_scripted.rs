//! The engine's TURN logic on scripted packets (sans-IO: frames with their capture time in,
//! tables out): releases, stale nonces, refused permissions, a response on another 5-tuple,
//! and one relayed call seen on both legs, counted once.

use rtcscope_analysis::demux::Kind;
use rtcscope_analysis::report::Report;
use rtcscope_analysis::turn::AllocationState;
use rtcscope_analysis::{Engine, Verdict};
use rtcscope_stun::{Attribute, ErrorCode, MessageBuilder, Method, TransactionId};
use rtcscope_testkit::frames::ipv4_udp;
use std::borrow::Cow;
use std::net::{SocketAddr, SocketAddrV4};

const CLIENT: &str = "10.0.0.2:40000";
const SERVER: &str = "198.51.100.1:3478";

fn v4(s: &str) -> SocketAddrV4 {
    s.parse().unwrap()
}

/// Feeds one UDP datagram at `t_us` microseconds into the capture.
fn send(e: &mut Engine, n: u64, t_us: i128, from: &str, to: &str, payload: &[u8]) -> Verdict {
    let f = ipv4_udp(v4(from), v4(to), payload);
    let t = 1_700_000_000_000_000_000 + t_us * 1_000;
    e.feed_frame(n, t, rtcscope_capture::LinkType::RAW, &f, f.len() as u32)
}

/// A raw IPv6 packet carrying one UDP datagram.
fn ipv6_udp(src: std::net::SocketAddrV6, dst: std::net::SocketAddrV6, payload: &[u8]) -> Vec<u8> {
    let udp = rtcscope_testkit::frames::udp(src.port(), dst.port(), payload);
    let mut f = vec![0x60, 0, 0, 0];
    f.extend((udp.len() as u16).to_be_bytes());
    f.extend([17, 64]);
    f.extend(src.ip().octets());
    f.extend(dst.ip().octets());
    f.extend(udp);
    f
}

fn feed(engine: &mut Engine, n: u64, t_s: i128, to_server: bool, msg: Vec<u8>) {
    if to_server {
        send(engine, n, t_s * 1_000_000, CLIENT, SERVER, &msg);
    } else {
        send(engine, n, t_s * 1_000_000, SERVER, CLIENT, &msg);
    }
}

fn tid(i: u8) -> TransactionId {
    TransactionId::Rfc5389([i; 12])
}

fn error(method: Method, id: u8, code: u16, reason: &str) -> Vec<u8> {
    let mut m = MessageBuilder::error(method, tid(id));
    m.add(&Attribute::ErrorCode {
        code: ErrorCode::from(code),
        reason: Cow::Borrowed(reason),
    });
    m.finish().unwrap()
}

fn allocate_success(id: u8, relayed: &str, mapped: &str) -> Vec<u8> {
    let mut ok = MessageBuilder::success(Method::ALLOCATE, tid(id));
    ok.add(&Attribute::XorRelayedAddress(relayed.parse().unwrap()))
        .add(&Attribute::XorMappedAddress(mapped.parse().unwrap()))
        .add(&Attribute::Lifetime(600));
    ok.finish().unwrap()
}

fn request(method: Method, id: u8, attrs: &[Attribute<'_>]) -> Vec<u8> {
    let mut m = MessageBuilder::request(method, tid(id));
    for a in attrs {
        m.add(a);
    }
    m.finish().unwrap()
}

fn codes(e: &Engine) -> Vec<(String, u16)> {
    e.turn().allocations[0]
        .errors
        .iter()
        .map(|x| (x.method.clone(), x.code))
        .collect()
}

#[test]
fn refresh_to_zero_releases_and_keeps_the_granted_lifetime() {
    let mut e = Engine::default();
    feed(&mut e, 1, 0, true, request(Method::ALLOCATE, 1, &[]));
    feed(
        &mut e,
        2,
        0,
        false,
        allocate_success(1, "198.51.100.1:50000", CLIENT),
    );
    let refresh = request(Method::REFRESH, 2, &[Attribute::Lifetime(0)]);
    feed(&mut e, 3, 42, true, refresh);
    let mut done = MessageBuilder::success(Method::REFRESH, tid(2));
    done.add(&Attribute::Lifetime(0));
    feed(&mut e, 4, 42, false, done.finish().unwrap());

    let a = &e.turn().allocations[0];
    assert_eq!(a.state, AllocationState::Released);
    assert_eq!(a.lifetime_s, Some(600));
    let (from, to) = (a.allocated_ns.unwrap(), a.released_ns.unwrap());
    assert_eq!(to - from, 42_000_000_000);
    assert_eq!(a.refreshes, 0, "a release is not counted as a refresh");
    // The report keeps the lifetime granted, not the 0 of the release.
    let r = Report::new(&e);
    assert_eq!(r.turn_allocations[0].lifetime_s, Some(600));
    assert_eq!(r.turn_allocations[0].state, AllocationState::Released);
}

#[test]
fn stale_nonce_then_a_retry_with_the_new_nonce_succeeds() {
    let mut e = Engine::default();
    feed(&mut e, 1, 0, true, request(Method::ALLOCATE, 1, &[]));
    feed(
        &mut e,
        2,
        0,
        false,
        error(Method::ALLOCATE, 1, 401, "Unauthorized"),
    );
    let with = |n: &'static str| {
        [
            Attribute::Username(Cow::Borrowed("user")),
            Attribute::Realm(Cow::Borrowed("example.org")),
            Attribute::Nonce(Cow::Borrowed(n)),
        ]
    };
    // The nonce went stale between the challenge and the authenticated request.
    feed(
        &mut e,
        3,
        1,
        true,
        request(Method::ALLOCATE, 2, &with("old")),
    );
    feed(
        &mut e,
        4,
        1,
        false,
        error(Method::ALLOCATE, 2, 438, "Stale Nonce"),
    );
    assert_eq!(
        e.turn().allocations[0].state,
        AllocationState::Challenged,
        "438 asks for a retry: not a failure"
    );
    feed(
        &mut e,
        5,
        1,
        true,
        request(Method::ALLOCATE, 3, &with("new")),
    );
    feed(
        &mut e,
        6,
        1,
        false,
        allocate_success(3, "198.51.100.1:50000", CLIENT),
    );
    // Later a Refresh meets a stale nonce too, and its retry succeeds.
    let mut refresh = with("new").to_vec();
    refresh.push(Attribute::Lifetime(600));
    feed(&mut e, 7, 300, true, request(Method::REFRESH, 4, &refresh));
    feed(
        &mut e,
        8,
        300,
        false,
        error(Method::REFRESH, 4, 438, "Stale Nonce"),
    );
    refresh[2] = Attribute::Nonce(Cow::Borrowed("newer"));
    feed(&mut e, 9, 300, true, request(Method::REFRESH, 5, &refresh));
    let mut ok = MessageBuilder::success(Method::REFRESH, tid(5));
    ok.add(&Attribute::Lifetime(600));
    feed(&mut e, 10, 300, false, ok.finish().unwrap());

    let a = &e.turn().allocations[0];
    assert_eq!(a.state, AllocationState::Allocated);
    assert_eq!(a.allocate_requests, 3);
    assert_eq!(a.refreshes, 1, "the refused Refresh is not a refresh");
    assert_eq!(a.relayed, Some("198.51.100.1:50000".parse().unwrap()));
    assert_eq!(
        codes(&e),
        [
            ("Allocate".to_owned(), 401),
            ("Allocate".to_owned(), 438),
            ("Refresh".to_owned(), 438)
        ]
    );
}

#[test]
fn refused_permissions_are_errors_and_grant_nothing() {
    let mut e = Engine::default();
    feed(&mut e, 1, 0, true, request(Method::ALLOCATE, 1, &[]));
    feed(
        &mut e,
        2,
        0,
        false,
        allocate_success(1, "198.51.100.1:50000", CLIENT),
    );
    let peer = |p: &str| [Attribute::XorPeerAddress(p.parse().unwrap())];
    // 403: the server's policy forbids this peer; 437: the 5-tuple has no allocation in the
    // server's view (it lost it); then a permission that succeeds.
    feed(
        &mut e,
        3,
        1,
        true,
        request(Method::CREATE_PERMISSION, 2, &peer("203.0.113.5:1")),
    );
    feed(
        &mut e,
        4,
        1,
        false,
        error(Method::CREATE_PERMISSION, 2, 403, "Forbidden"),
    );
    feed(
        &mut e,
        5,
        2,
        true,
        request(Method::CREATE_PERMISSION, 3, &peer("203.0.113.6:1")),
    );
    let mismatch = error(Method::CREATE_PERMISSION, 3, 437, "Allocation Mismatch");
    feed(&mut e, 6, 2, false, mismatch);
    feed(
        &mut e,
        7,
        3,
        true,
        request(Method::CREATE_PERMISSION, 4, &peer("203.0.113.7:1")),
    );
    let ok = MessageBuilder::success(Method::CREATE_PERMISSION, tid(4));
    feed(&mut e, 8, 3, false, ok.finish().unwrap());

    let a = &e.turn().allocations[0];
    assert_eq!(
        a.permissions,
        ["203.0.113.7".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(
        a.state,
        AllocationState::Allocated,
        "a refused permission leaves the allocation"
    );
    assert_eq!(
        codes(&e),
        [
            ("CreatePermission".to_owned(), 403),
            ("CreatePermission".to_owned(), 437)
        ]
    );
}

#[test]
fn an_allocate_success_on_another_five_tuple_is_matched_by_transaction_id() {
    let mut e = Engine::default();
    feed(&mut e, 1, 0, true, request(Method::ALLOCATE, 1, &[]));
    // The server answers from another port (and the client's NAT could as well have rebound):
    // the same transaction id, another 5-tuple.
    let ok = allocate_success(1, "198.51.100.1:50000", "203.0.113.9:61000");
    send(&mut e, 2, 10_000, "198.51.100.1:3479", CLIENT, &ok);

    let a = &e.turn().allocations[0];
    assert_eq!(a.state, AllocationState::Allocated);
    assert_eq!(a.relayed, Some("198.51.100.1:50000".parse().unwrap()));
    assert_eq!(a.mapped, Some("203.0.113.9:61000".parse().unwrap()));
    assert_eq!(a.elsewhere.len(), 1, "the differing tuple is noted");
    assert_eq!(a.elsewhere[0].from, "198.51.100.1:3479".parse().unwrap());
    assert_eq!(a.elsewhere[0].method, "Allocate");
    // A copy of the response on the request's own 5-tuple is not handled twice.
    feed(&mut e, 3, 0, false, ok);
    assert_eq!(e.turn().allocations[0].elsewhere.len(), 1);
    // Another address family is not the server answering.
    let mut e = Engine::default();
    feed(&mut e, 1, 0, true, request(Method::ALLOCATE, 1, &[]));
    let f = ipv6_udp(
        "[2001:db8::1]:3478".parse().unwrap(),
        "[2001:db8::2]:40000".parse().unwrap(),
        &allocate_success(1, "198.51.100.1:50000", CLIENT),
    );
    let v = e.feed_frame(
        2,
        1_700_000_000_000_000_000,
        rtcscope_capture::LinkType::RAW,
        &f,
        f.len() as u32,
    );
    assert_eq!(v.kind, Some(Kind::Stun), "the IPv6 response was read");
    assert_eq!(e.turn().allocations[0].state, AllocationState::Requested);
}

/// Two clients behind one TURN server, each with a channel to the other's relayed address,
/// captured where both legs pass (as at the server): every datagram twice.
mod two_legs {
    use super::*;

    pub const A: &str = "10.0.0.2:40000";
    pub const B: &str = "10.0.0.3:40001";
    pub const RA: &str = "198.51.100.1:50000";
    pub const RB: &str = "198.51.100.1:50001";
    pub const SSRC: u32 = 0x1111_2222;

    /// Both allocations and their channels: A's 0x4000 to B's relayed address, B's 0x4001 to
    /// A's. Frame numbers from 1; returns the next.
    pub fn setup(e: &mut Engine) -> u64 {
        let mut n = 1;
        for (i, (client, relayed, peer, ch)) in [(A, RA, RB, 0x4000u16), (B, RB, RA, 0x4001)]
            .into_iter()
            .enumerate()
        {
            let id = 10 * i as u8;
            send(
                e,
                n,
                0,
                client,
                SERVER,
                &request(Method::ALLOCATE, id + 1, &[]),
            );
            send(
                e,
                n + 1,
                1_000,
                SERVER,
                client,
                &allocate_success(id + 1, relayed, client),
            );
            let bind = [
                Attribute::ChannelNumber(ch),
                Attribute::XorPeerAddress(peer.parse().unwrap()),
            ];
            send(
                e,
                n + 2,
                2_000,
                client,
                SERVER,
                &request(Method::CHANNEL_BIND, id + 2, &bind),
            );
            let ok = MessageBuilder::success(Method::CHANNEL_BIND, tid(id + 2));
            send(e, n + 3, 3_000, SERVER, client, &ok.finish().unwrap());
            n += 4;
        }
        n
    }

    /// An RTP packet of A's stream.
    pub fn rtp(seq: u16) -> Vec<u8> {
        let mut p = vec![0x80, 96];
        p.extend(seq.to_be_bytes());
        p.extend((u32::from(seq) * 960).to_be_bytes());
        p.extend(SSRC.to_be_bytes());
        p.extend((0..120).map(|i| (i as u8).wrapping_mul(seq as u8 | 1)));
        p
    }

    /// ChannelData on `ch`.
    pub fn channel(ch: u16, data: &[u8]) -> Vec<u8> {
        let mut m = ch.to_be_bytes().to_vec();
        m.extend((data.len() as u16).to_be_bytes());
        m.extend(data);
        while m.len() % 4 != 0 {
            m.push(0);
        }
        m
    }
}

#[test]
fn a_call_seen_on_both_legs_is_counted_once_with_the_relay_figures() {
    use two_legs::*;
    let mut e = Engine::default();
    let mut n = setup(&mut e);
    let mut frame = |e: &mut Engine, t_us: i128, from: &str, to: &str, m: &[u8]| {
        n += 1;
        send(e, n, t_us, from, to, m)
    };
    // 30 packets, one every 20 ms, relayed 2 ms later; #7 is lost between the legs (never
    // leaves the relay), #12 is sent twice by A (both copies relayed, 0.1 ms apart).
    let mut copies = Vec::new();
    for seq in 0..30u16 {
        let t = 100_000 + i128::from(seq) * 20_000;
        let p = rtp(seq);
        let sends: &[i128] = if seq == 12 { &[0, 100] } else { &[0] };
        for d in sends {
            frame(&mut e, t + d, A, SERVER, &channel(0x4000, &p));
            if seq != 7 {
                copies.push((t + d + 2_000, p.clone()));
            }
        }
        for (at, p) in std::mem::take(&mut copies) {
            let v = frame(&mut e, at, SERVER, B, &channel(0x4001, &p));
            assert_eq!(v.relay_copy, Some(0), "the egress sighting is the copy");
            assert_eq!(
                v.inner.map(|(k, _)| k),
                Some(Kind::Rtp),
                "named as its original"
            );
            assert_eq!(v.ssrc, Some(SSRC));
        }
    }
    let r = Report::new(&e);

    // One path, both legs, the peers' addresses from the allocations.
    assert_eq!(r.relay_paths.len(), 1);
    let p = &r.relay_paths[0];
    assert_eq!(p.legs_seen, "both");
    let ra: SocketAddr = RA.parse().unwrap();
    let rb: SocketAddr = RB.parse().unwrap();
    assert_eq!((p.a, p.b), (ra, rb));
    let legs: Vec<_> = p
        .legs
        .iter()
        .map(|l| (l.client, l.relayed, l.peer))
        .collect();
    assert_eq!(
        legs,
        [
            (A.parse().unwrap(), Some(ra), rb),
            (B.parse().unwrap(), Some(rb), ra)
        ]
    );
    assert_eq!(
        p.legs[0].packets,
        [31, 0],
        "A's leg: 30 packets and the duplicate"
    );
    assert_eq!(p.legs[1].packets, [30, 0], "B's leg: all but the lost one");
    let d = &p.directions[0];
    assert_eq!((d.from, d.to), (ra, rb));
    assert_eq!((d.ingress, d.egress), (Some(0), Some(1)));
    assert_eq!(d.counted, 31);
    assert_eq!(d.matched, 30);
    assert_eq!(d.lost_between_legs, Some(1));
    assert_eq!(d.duplicated, 1);
    assert_eq!(d.egress_only, 0);
    let delay = d.delay_us.unwrap();
    assert_eq!((delay.min, delay.median, delay.max), (2_000, 2_000, 2_000));
    assert_eq!(delay.samples, 30);

    // The stream once, counted on the sender's leg, with the duplicate as a duplicate.
    let streams: Vec<_> = r.streams.iter().filter(|s| s.ssrc == SSRC).collect();
    assert_eq!(streams.len(), 1, "one stream, not one per leg");
    assert_eq!(streams[0].packets, 31);
    assert_eq!(streams[0].duplicates, 1);
    let on = streams[0].counted_on.unwrap();
    assert_eq!((on.path, on.allocation, on.leg.as_str()), (0, 0, "sender"));
    assert_eq!(
        streams[0].flow.transport,
        rtcscope_analysis::flow::Transport::Udp
    );
    // One inner flow, beside the two legs' outer flows.
    let inner: Vec<_> = r.flows.iter().filter(|f| f.relay.is_some()).collect();
    assert_eq!(inner.len(), 1);
    assert_eq!(inner[0].packets, [31, 0]);
    assert_eq!(r.flows.len(), 3);
}

#[test]
fn with_one_leg_in_the_capture_the_path_says_so_and_nothing_else_changes() {
    use two_legs::*;
    let mut e = Engine::default();
    // Only A's allocation is in the capture (B's leg passes elsewhere).
    let mut n = 1;
    send(&mut e, n, 0, A, SERVER, &request(Method::ALLOCATE, 1, &[]));
    send(&mut e, n + 1, 1_000, SERVER, A, &allocate_success(1, RA, A));
    let bind = [
        Attribute::ChannelNumber(0x4000),
        Attribute::XorPeerAddress(RB.parse().unwrap()),
    ];
    send(
        &mut e,
        n + 2,
        2_000,
        A,
        SERVER,
        &request(Method::CHANNEL_BIND, 2, &bind),
    );
    let ok = MessageBuilder::success(Method::CHANNEL_BIND, tid(2));
    send(&mut e, n + 3, 3_000, SERVER, A, &ok.finish().unwrap());
    n += 4;
    for seq in 0..30u16 {
        n += 1;
        let t = 100_000 + i128::from(seq) * 20_000;
        send(&mut e, n, t, A, SERVER, &channel(0x4000, &rtp(seq)));
    }
    let r = Report::new(&e);
    let p = &r.relay_paths[0];
    assert_eq!(p.legs_seen, "one");
    assert_eq!(p.legs.len(), 1);
    let d = &p.directions[0];
    assert_eq!((d.counted, d.matched), (30, 0));
    assert_eq!(
        d.lost_between_legs, None,
        "nothing can be said of the relay's loss"
    );
    assert!(d.delay_us.is_none());
    let s = r.streams.iter().find(|s| s.ssrc == SSRC).unwrap();
    assert_eq!(s.packets, 30);
    assert!(!s.counted_on.unwrap().both_legs);
}

/// A channel used past its 10 minutes without a ChannelBind refresh (RFC 8656 §12): the server
/// has dropped the binding, so what the client sends on it is lost. With a refresh in time, the
/// same traffic raises nothing.
#[test]
fn a_channel_used_after_its_lifetime_is_a_finding_unless_refreshed() {
    use two_legs::*;
    for refreshed in [false, true] {
        let mut e = Engine::default();
        let mut n = setup(&mut e);
        let mut frame = |e: &mut Engine, t_us: i128, from: &str, to: &str, m: &[u8]| {
            n += 1;
            send(e, n, t_us, from, to, m);
            n
        };
        frame(&mut e, 100_000, A, SERVER, &channel(0x4000, &rtp(0)));
        if refreshed {
            // A refreshes its channel at 500 s (the request and the success).
            let bind = [
                Attribute::ChannelNumber(0x4000),
                Attribute::XorPeerAddress(RB.parse().unwrap()),
            ];
            frame(
                &mut e,
                500_000_000,
                A,
                SERVER,
                &request(Method::CHANNEL_BIND, 90, &bind),
            );
            let ok = MessageBuilder::success(Method::CHANNEL_BIND, tid(90));
            frame(&mut e, 500_001_000, SERVER, A, &ok.finish().unwrap());
        }
        let mut late = Vec::new();
        for k in 0..5u16 {
            let t = 700_000_000 + i128::from(k) * 20_000;
            late.push(frame(&mut e, t, A, SERVER, &channel(0x4000, &rtp(1 + k))));
        }
        let r = Report::new(&e);
        let expired: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.id == "turn.channel-expired")
            .collect();
        if refreshed {
            assert!(expired.is_empty(), "{expired:#?}");
            continue;
        }
        assert_eq!(expired.len(), 1, "{:#?}", r.findings);
        let f = expired[0];
        assert!(
            f.verdict.contains("channel 0x4000")
                && f.verdict.contains("5 ChannelData messages after expiry"),
            "{}",
            f.verdict
        );
        // Bound at 3 ms (setup), so it lapsed at 600.003 s; the first late message is the
        // evidence, by packet number.
        assert_eq!(
            f.at_ns,
            Some(1_700_000_000_000_000_000 + 3_000_000 + 600_000_000_000)
        );
        assert_eq!(f.evidence[1].packet, Some(late[0]));
        let ch = &r.turn_allocations[0].channels[0];
        assert_eq!(ch.sent_after_expiry, 5);
    }
}
