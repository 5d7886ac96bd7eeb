//! The engine's ICE logic on scripted packets, built with the project's own STUN encoder:
//! the controlled agent's nomination and consent checks, a pair that succeeds on one side
//! only, a 487 Role Conflict after which the agents swap roles, and ICE-TCP (RFC 6544 framing).

use rtcscope_analysis::flow::Transport;
use rtcscope_analysis::ice::{PairState, Role};
use rtcscope_analysis::report::Report;
use rtcscope_analysis::Engine;
use rtcscope_stun::{Attribute, ErrorCode, MessageBuilder, Method, TransactionId};
use rtcscope_testkit::frames::{ipv4, udp};
use std::net::SocketAddr;

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];
const A_PORT: u16 = 40_001;
const B_PORT: u16 = 40_002;
/// A's ufrag, then B's.
const UFRAG_A: &str = "aaaa";
const UFRAG_B: &str = "bbbb";

fn addr(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((ip, port))
}

/// A capture being scripted: packets between A and B, over UDP or TCP.
struct Script {
    engine: Engine,
    n: u64,
    tcp: bool,
    /// Next TCP sequence number from A and from B.
    seq: [u32; 2],
}

impl Script {
    fn new(tcp: bool) -> Self {
        let mut s = Script {
            engine: Engine::default(),
            n: 0,
            tcp,
            seq: [1000, 5000],
        };
        if tcp {
            // B listens (tcptype passive), A connects: SYN, SYN-ACK, ACK.
            s.tcp_segment(0, true, 0x02, &[]);
            s.tcp_segment(0, false, 0x12, &[]);
            s.tcp_segment(0, true, 0x10, &[]);
        }
        s
    }

    fn frame(&mut self, t_ms: i64, from_a: bool, body: Vec<u8>, proto: u8) {
        self.n += 1;
        let (src, dst) = if from_a { (A, B) } else { (B, A) };
        let f = ipv4(src, dst, proto, self.n as u16, &body);
        let t = 1_700_000_000_000_000_000i128 + i128::from(t_ms) * 1_000_000;
        self.engine.feed_frame(
            self.n,
            t,
            rtcscope_capture::LinkType::RAW,
            &f,
            f.len() as u32,
        );
    }

    /// A TCP segment (20-byte header, no options, checksum 0) carrying `payload`.
    fn tcp_segment(&mut self, t_ms: i64, from_a: bool, flags: u8, payload: &[u8]) {
        let i = usize::from(!from_a);
        let (sport, dport) = if from_a {
            (A_PORT, B_PORT)
        } else {
            (B_PORT, A_PORT)
        };
        let mut h = Vec::with_capacity(20 + payload.len());
        h.extend_from_slice(&sport.to_be_bytes());
        h.extend_from_slice(&dport.to_be_bytes());
        h.extend_from_slice(&self.seq[i].to_be_bytes());
        h.extend_from_slice(&self.seq[1 - i].to_be_bytes());
        h.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        h.extend_from_slice(payload);
        // SYN and FIN take a sequence number each.
        self.seq[i] = self.seq[i]
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(flags & 0x03 != 0));
        self.frame(t_ms, from_a, h, 6);
    }

    /// Sends a STUN message, framed per RFC 6544 (a 2-byte length) on TCP.
    fn send(&mut self, t_ms: i64, from_a: bool, msg: Vec<u8>) {
        if self.tcp {
            let mut framed = (msg.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&msg);
            self.tcp_segment(t_ms, from_a, 0x18, &framed);
        } else {
            let (sport, dport) = if from_a {
                (A_PORT, B_PORT)
            } else {
                (B_PORT, A_PORT)
            };
            self.frame(t_ms, from_a, udp(sport, dport, &msg), 17);
        }
    }

    /// A connectivity check from A (or B) to the other, transaction `id`.
    fn check(&mut self, t_ms: i64, from_a: bool, id: u8, role: Role, use_candidate: bool) {
        let username = if from_a {
            format!("{UFRAG_B}:{UFRAG_A}")
        } else {
            format!("{UFRAG_A}:{UFRAG_B}")
        };
        let mut m = MessageBuilder::request(Method::BINDING, tid(id));
        m.add(&Attribute::Username(username.into()))
            .add(&Attribute::Priority(0x6e00_1eff));
        match role {
            Role::Controlling => m.add(&Attribute::IceControlling(u64::from(from_a) + 1)),
            Role::Controlled => m.add(&Attribute::IceControlled(u64::from(from_a) + 1)),
        };
        if use_candidate {
            m.add(&Attribute::UseCandidate);
        }
        self.send(t_ms, from_a, m.finish().unwrap());
    }

    /// The success response to check `id`, sent by the side that received it.
    fn success(&mut self, t_ms: i64, from_a: bool, id: u8) {
        let requester = if from_a {
            addr(B, B_PORT)
        } else {
            addr(A, A_PORT)
        };
        let mut m = MessageBuilder::success(Method::BINDING, tid(id));
        m.add(&Attribute::XorMappedAddress(requester));
        self.send(t_ms, from_a, m.finish().unwrap());
    }

    /// An error response to check `id`.
    fn error(&mut self, t_ms: i64, from_a: bool, id: u8, code: u16) {
        let mut m = MessageBuilder::error(Method::BINDING, tid(id));
        m.add(&Attribute::ErrorCode {
            code: ErrorCode(code),
            reason: "Role Conflict".into(),
        });
        self.send(t_ms, from_a, m.finish().unwrap());
    }

    fn report(&self) -> Report {
        Report::new(&self.engine)
    }
}

fn tid(i: u8) -> TransactionId {
    TransactionId::Rfc5389([i; 12])
}

/// The pair A → B (`from_a`) or B → A of the report's only session.
fn pair(r: &Report, from_a: bool) -> &rtcscope_analysis::report::PairReport {
    let local = if from_a {
        addr(A, A_PORT)
    } else {
        addr(B, B_PORT)
    };
    let s = &r.ice_sessions[0];
    s.pairs
        .iter()
        .find(|p| p.local == local)
        .unwrap_or_else(|| panic!("no pair from {local}: {:?}", s.pairs))
}

/// The pair id the session selected for the agent with `ufrag`.
fn selected(r: &Report, ufrag: &str) -> Option<u32> {
    r.ice_sessions[0]
        .selected
        .iter()
        .find(|s| s.ufrag == ufrag)
        .map(|s| s.pair)
}

/// A call where A controls and nominates with every check (as Chromium does), then both keep
/// checking: each agent's later checks on its nominated pair are consent checks.
fn call(tcp: bool) -> Script {
    let mut s = Script::new(tcp);
    // Connectivity checks, both ways (B's triggered check answers A's first).
    s.check(0, true, 1, Role::Controlling, true);
    s.success(1, false, 1);
    s.check(2, false, 2, Role::Controlled, false);
    s.success(3, true, 2);
    // Consent freshness, every ~5 s on both sides.
    for (i, t) in [(3u8, 5_000), (5, 10_000)] {
        s.check(t, true, i, Role::Controlling, true);
        s.success(t + 1, false, i);
        s.check(t + 2, false, i + 1, Role::Controlled, false);
        s.success(t + 3, true, i + 1);
    }
    s
}

#[test]
fn the_controlled_agent_nominates_through_the_reverse_pair_and_checks_consent() {
    let r = call(false).report();
    let (a, b) = (pair(&r, true), pair(&r, false));
    assert_eq!(a.role, Some(Role::Controlling));
    assert_eq!(b.role, Some(Role::Controlled));
    assert!(a.use_candidate_sent && !b.use_candidate_sent);
    // B never sends USE-CANDIDATE; its pair is nominated because A nominated the reverse one.
    assert!(a.nominated && b.nominated);
    assert_eq!(selected(&r, UFRAG_A), Some(a.id));
    assert_eq!(selected(&r, UFRAG_B), Some(b.id));
    // Three checks each; the two after nomination are consent checks, on both sides.
    assert_eq!((a.requests, b.requests), (3, 3));
    assert_eq!((a.consent_checks, b.consent_checks), (2, 2));
    // Each agent received and answered the other's three checks.
    assert_eq!((a.requests_received, a.responses_sent), (3, 3));
    assert_eq!((b.requests_received, b.responses_sent), (3, 3));
    let agent = |u: &str| {
        r.ice_sessions[0]
            .selected
            .iter()
            .find(|s| s.ufrag == u)
            .unwrap()
            .clone()
    };
    assert_eq!(agent(UFRAG_B).consent_checks, 2);
    assert_eq!(agent(UFRAG_B).role, Some(Role::Controlled));
    assert_eq!(a.flow.transport, Transport::Udp);
}

#[test]
fn ice_tcp_checks_nominate_a_tcp_pair() {
    let r = call(true).report();
    let (a, b) = (pair(&r, true), pair(&r, false));
    for p in [a, b] {
        assert_eq!(p.transport, Transport::Tcp);
        assert_eq!(p.flow.transport, Transport::Tcp, "the pair's flow key");
        assert_eq!(p.state, PairState::Succeeded);
        assert!(p.nominated);
        assert_eq!(p.requests, 3);
        assert_eq!(p.responses, 3);
        assert_eq!(p.consent_checks, 2);
    }
    assert_eq!(selected(&r, UFRAG_A), Some(a.id));
    assert_eq!(selected(&r, UFRAG_B), Some(b.id));
    // One flow, the TCP connection: the checks were not taken for UDP datagrams.
    let flows: Vec<Transport> = r.flows.iter().map(|f| f.transport).collect();
    assert_eq!(flows, vec![Transport::Tcp]);
}

#[test]
fn a_pair_that_succeeds_on_one_side_only_is_not_the_other_agents() {
    let mut s = Script::new(false);
    // A's checks are answered; B's are not (a firewall in front of A drops them).
    s.check(0, true, 1, Role::Controlling, true);
    s.success(1, false, 1);
    s.check(2, false, 2, Role::Controlled, false);
    s.check(500, false, 3, Role::Controlled, false);
    // Later A checks again: consent on its nominated pair.
    s.check(6_000, true, 4, Role::Controlling, true);
    s.success(6_001, false, 4);
    let r = s.report();
    let (a, b) = (pair(&r, true), pair(&r, false));
    assert_eq!(a.state, PairState::Succeeded);
    assert_eq!(b.state, PairState::TimedOut, "unanswered for more than 5 s");
    assert!(a.nominated);
    assert!(
        !b.nominated,
        "a nomination needs the pair to have succeeded"
    );
    assert_eq!(selected(&r, UFRAG_A), Some(a.id));
    assert_eq!(selected(&r, UFRAG_B), None, "B has no working pair");
    assert_eq!(a.consent_checks, 1);
    assert_eq!(b.consent_checks, 0);
    // B received A's checks and answered them; A received B's and answered none.
    assert_eq!((b.requests_received, b.responses_sent), (2, 2));
    assert_eq!((a.requests_received, a.responses_sent), (2, 0));
}

#[test]
fn after_a_role_conflict_nomination_follows_the_new_roles() {
    let mut s = Script::new(false);
    // Both start as controlling. B's tie-breaker wins: A's check is answered 487, and A
    // continues as controlled (RFC 8445 §7.3.1.1).
    s.check(0, true, 1, Role::Controlling, true);
    s.error(1, false, 1, 487);
    s.check(2, false, 2, Role::Controlling, true);
    s.success(3, true, 2);
    s.check(4, true, 3, Role::Controlled, false);
    s.success(5, false, 3);
    // Consent afterwards, with the new roles.
    s.check(5_000, false, 4, Role::Controlling, true);
    s.success(5_001, true, 4);
    s.check(5_002, true, 5, Role::Controlled, false);
    s.success(5_003, false, 5);
    let r = s.report();
    assert_eq!(r.ice_sessions[0].role_conflicts, 1);
    let (a, b) = (pair(&r, true), pair(&r, false));
    assert_eq!(a.errors, vec![(487, 1)]);
    assert_eq!(a.role, Some(Role::Controlled), "A switched roles");
    assert_eq!(b.role, Some(Role::Controlling));
    // A's USE-CANDIDATE check failed with 487, so A's pair is nominated only through B's
    // nomination of the reverse pair, as the controlled agent's is.
    assert!(b.nominated && a.nominated);
    assert_eq!(selected(&r, UFRAG_A), Some(a.id));
    assert_eq!(selected(&r, UFRAG_B), Some(b.id));
    let role_of = |u: &str| {
        r.ice_sessions[0]
            .selected
            .iter()
            .find(|s| s.ufrag == u)
            .and_then(|s| s.role)
    };
    assert_eq!(role_of(UFRAG_A), Some(Role::Controlled));
    assert_eq!(role_of(UFRAG_B), Some(Role::Controlling));
    // Consent: one check each after the pairs were nominated and had succeeded.
    assert_eq!((a.consent_checks, b.consent_checks), (1, 1));
}

/// Candidate types without SDPs come from what the capture shows, and are marked inferred: an
/// address a STUN server reported is server-reflexive, one only a check's success reported is
/// peer-reflexive, the rest host. With SDPs the announced types win, and an address no SDP
/// announced is peer-reflexive.
#[test]
fn candidate_types_are_inferred_from_the_capture_or_taken_from_the_sdps() {
    use rtcscope_analysis::sdp_hints::SdpCandidate;
    use std::net::SocketAddrV4;
    let a: SocketAddrV4 = "10.0.0.1:40001".parse().unwrap();
    let b: SocketAddrV4 = "10.0.0.2:40002".parse().unwrap();
    let server: SocketAddrV4 = "203.0.113.9:3478".parse().unwrap();
    // A's NAT maps it to :6000 towards the STUN server and to :6001 towards B.
    let srflx: SocketAddrV4 = "198.51.100.7:6000".parse().unwrap();
    let prflx: SocketAddrV4 = "198.51.100.7:6001".parse().unwrap();
    let mut e = Engine::default();
    let mut n = 0u64;
    let mut send = |e: &mut Engine, src: SocketAddrV4, dst: SocketAddrV4, msg: Vec<u8>| {
        n += 1;
        let f = rtcscope_testkit::frames::ipv4_udp(src, dst, &msg);
        let t = 1_700_000_000_000_000_000i128 + i128::from(n) * 1_000_000;
        e.feed_frame(n, t, rtcscope_capture::LinkType::RAW, &f, f.len() as u32);
    };
    let check = |id: u8, username: &str| {
        let mut m = MessageBuilder::request(Method::BINDING, tid(id));
        m.add(&Attribute::Username(username.into()))
            .add(&Attribute::Priority(1))
            .add(&Attribute::IceControlled(1));
        m.finish().unwrap()
    };
    let ok = |id: u8, mapped: SocketAddrV4| {
        let mut m = MessageBuilder::success(Method::BINDING, tid(id));
        m.add(&Attribute::XorMappedAddress(mapped.into()));
        m.finish().unwrap()
    };
    // Server-reflexive discovery: a plain Binding to a STUN server.
    send(
        &mut e,
        a,
        server,
        MessageBuilder::request(Method::BINDING, tid(1))
            .finish()
            .unwrap(),
    );
    send(&mut e, server, a, ok(1, srflx));
    // A checks B; B saw A as its peer-reflexive address.
    send(&mut e, a, b, check(2, "bbbb:aaaa"));
    send(&mut e, b, a, ok(2, prflx));
    // B checks both of A's reflexive addresses.
    send(&mut e, b, srflx, check(3, "aaaa:bbbb"));
    send(&mut e, srflx, b, ok(3, b));
    send(&mut e, b, prflx, check(4, "aaaa:bbbb"));
    send(&mut e, prflx, b, ok(4, b));

    let types = |r: &Report| -> Vec<(String, String, String)> {
        r.ice_sessions[0]
            .pairs
            .iter()
            .map(|p| {
                (
                    p.remote.to_string(),
                    p.local_type.to_string(),
                    p.remote_type.to_string(),
                )
            })
            .collect()
    };
    let t = |r: &str, l: &str, rt: &str| (r.to_owned(), l.to_owned(), rt.to_owned());
    assert_eq!(
        types(&Report::new(&e)),
        vec![
            t("10.0.0.2:40002", "host?", "host?"),
            t("198.51.100.7:6000", "host?", "srflx?"),
            t("198.51.100.7:6001", "host?", "prflx?"),
        ]
    );
    // The SDPs announce A's host and server-reflexive candidates and B's host candidate.
    let sdp = |addr: SocketAddrV4, typ: &str| SdpCandidate::udp(addr.into(), typ, typ);
    e.set_sdp_candidates(vec![sdp(a, "host"), sdp(srflx, "srflx"), sdp(b, "host")]);
    assert_eq!(
        types(&Report::new(&e)),
        vec![
            t("10.0.0.2:40002", "host", "host"),
            t("198.51.100.7:6000", "host", "srflx"),
            t("198.51.100.7:6001", "host", "prflx?"),
        ]
    );
}

/// Without SDPs, a remote address at the public IP of a NAT the capture saw translate (a STUN
/// server reported a mapping to another IP than the sender's) is a server-reflexive candidate
/// of some host behind that NAT, not a host candidate: a host candidate cannot carry the NAT's
/// own address. As in veondigital's WebRTC_PCMA_p2p_SDES_Call_1.pcap, where 192.168.1.142
/// checks 79.173.86.242:60644, its peer's srflx behind the same NAT (79.173.86.242 being
/// 192.168.1.142's own public address). An IP a server reported untranslated (no NAT) says
/// nothing: other ports there stay host.
#[test]
fn an_address_at_a_nats_public_ip_is_server_reflexive() {
    use std::net::SocketAddrV4;
    let a: SocketAddrV4 = "192.168.1.142:56185".parse().unwrap();
    let b: SocketAddrV4 = "10.0.0.2:40002".parse().unwrap();
    let server: SocketAddrV4 = "203.0.113.9:3478".parse().unwrap();
    let a_public: SocketAddrV4 = "79.173.86.242:56185".parse().unwrap();
    // The peer's server-reflexive candidate behind A's NAT; its own mapping is not captured.
    let peer_srflx: SocketAddrV4 = "79.173.86.242:60644".parse().unwrap();
    // Another port of B, which a server saw untranslated.
    let b_other: SocketAddrV4 = "10.0.0.2:40003".parse().unwrap();
    let mut e = Engine::default();
    let mut n = 0u64;
    let mut send = |e: &mut Engine, src: SocketAddrV4, dst: SocketAddrV4, msg: Vec<u8>| {
        n += 1;
        let f = rtcscope_testkit::frames::ipv4_udp(src, dst, &msg);
        let t = 1_700_000_000_000_000_000i128 + i128::from(n) * 1_000_000;
        e.feed_frame(n, t, rtcscope_capture::LinkType::RAW, &f, f.len() as u32);
    };
    let binding = |id: u8| {
        MessageBuilder::request(Method::BINDING, tid(id))
            .finish()
            .unwrap()
    };
    let ok = |id: u8, mapped: SocketAddrV4| {
        let mut m = MessageBuilder::success(Method::BINDING, tid(id));
        m.add(&Attribute::XorMappedAddress(mapped.into()));
        m.finish().unwrap()
    };
    let check = |id: u8, username: &str| {
        let mut m = MessageBuilder::request(Method::BINDING, tid(id));
        m.add(&Attribute::Username(username.into()))
            .add(&Attribute::Priority(1))
            .add(&Attribute::IceControlling(1));
        m.finish().unwrap()
    };
    // A is behind a NAT (the server saw 79.173.86.242); B is not (the server saw B itself).
    send(&mut e, a, server, binding(1));
    send(&mut e, server, a, ok(1, a_public));
    send(&mut e, b, server, binding(2));
    send(&mut e, server, b, ok(2, b));
    // A checks the peer's srflx (unanswered) and B's other port (unanswered).
    send(&mut e, a, peer_srflx, check(3, "pppp:aaaa"));
    send(&mut e, a, b_other, check(4, "pppp:aaaa"));

    let r = Report::new(&e);
    let remote_type = |remote: SocketAddrV4| -> String {
        r.ice_sessions[0]
            .pairs
            .iter()
            .find(|p| p.remote == remote.into())
            .unwrap_or_else(|| panic!("no pair to {remote}"))
            .remote_type
            .to_string()
    };
    assert_eq!(remote_type(peer_srflx), "srflx?", "at the NAT's public IP");
    assert_eq!(remote_type(b_other), "host?", "at an untranslated IP");
}
