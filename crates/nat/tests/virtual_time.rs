//! The NAT check driven on virtual time against simulated NATs and the real server handler,
//! with and without packet loss. No sockets, no clocks: every verdict here is reproducible.

use rtcscope_nat::check::{CheckConfig, NatCheck, Output, Unreachable};
use rtcscope_nat::report::{
    self, Classic, Filtering, Mapping, PortAllocation, Reason, Report, ServerStatus, Verdict,
};
use rtcscope_nat::server::{Endpoint, ServerConfig, StunServer};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Map {
    None,
    Eim,
    Adm,
    Apdm,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Filt {
    Open,
    Eif,
    Adf,
    Apdf,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Alloc {
    Preserve,
    Sequential(u16),
    Random,
}

#[derive(Clone, Copy, Debug)]
enum Loss {
    None,
    /// Drops every n-th packet crossing the outside link (deterministic).
    EveryNth(u32),
    /// Drops a fraction of packets (seeded pseudo-random).
    Random(f64),
    /// Drops all UDP.
    All,
}

/// How the simulated server treats CHANGE-REQUEST.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ServerKind {
    Rfc5780,
    /// Advertises OTHER-ADDRESS but answers every request from where it arrived.
    IgnoresChangeRequest,
    /// Advertises OTHER-ADDRESS but never answers a CHANGE-REQUEST.
    SilentOnChangeRequest,
    /// Nothing listens: every datagram draws an ICMP port unreachable.
    Down,
    /// Answers every datagram with something that is not STUN.
    Garbage,
    /// Answers with a proper response whose transaction ID is wrong.
    WrongId,
    /// Answers with a response cut short (its header announces more than it has).
    Malformed,
    /// A proper RFC 5780 server that answers this much later.
    Slow(Duration),
}

struct Nat {
    map: Map,
    filt: Filt,
    alloc: Alloc,
    hairpin: bool,
    public: IpAddr,
    mappings: HashMap<(SocketAddr, Option<SocketAddr>), u16>,
    owners: HashMap<u16, SocketAddr>,
    permits: HashSet<(u16, SocketAddr)>,
    next_seq: u16,
    rng: u64,
}

impl Nat {
    fn new(map: Map, filt: Filt, alloc: Alloc, hairpin: bool) -> Self {
        let public: IpAddr = if map == Map::None {
            "203.0.113.66".parse().unwrap()
        } else {
            "203.0.113.1".parse().unwrap()
        };
        Nat {
            map,
            filt,
            alloc,
            hairpin,
            public,
            mappings: HashMap::new(),
            owners: HashMap::new(),
            permits: HashSet::new(),
            next_seq: 30000,
            rng: 0x1234_5678,
        }
    }

    fn rand(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// Outbound: the public source for a packet from `src` to `dst`.
    fn outbound(&mut self, src: SocketAddr, dst: SocketAddr) -> SocketAddr {
        let key = match self.map {
            Map::None | Map::Eim => (src, None),
            Map::Adm => (src, Some(SocketAddr::new(dst.ip(), 0))),
            Map::Apdm => (src, Some(dst)),
        };
        let port = match self.mappings.get(&key) {
            Some(p) => *p,
            None => {
                let mut p = match (self.map, self.alloc) {
                    (Map::None, _) | (_, Alloc::Preserve) => src.port(),
                    (_, Alloc::Sequential(d)) => {
                        self.next_seq = self.next_seq.wrapping_add(d);
                        self.next_seq
                    }
                    (_, Alloc::Random) => 1024 + (self.rand() % 64000) as u16,
                };
                while self.owners.get(&p).is_some_and(|o| *o != src) {
                    p = p.wrapping_add(1).max(1024);
                }
                self.mappings.insert(key, p);
                self.owners.insert(p, src);
                p
            }
        };
        self.permits.insert((port, dst));
        SocketAddr::new(self.public, port)
    }

    /// Inbound: the internal destination of a packet from `src` to public port `port`.
    fn inbound(&self, src: SocketAddr, port: u16) -> Option<SocketAddr> {
        let owner = *self.owners.get(&port)?;
        let ok = match self.filt {
            Filt::Open | Filt::Eif => true,
            Filt::Adf => self
                .permits
                .iter()
                .any(|(p, r)| *p == port && r.ip() == src.ip()),
            Filt::Apdf => self.permits.contains(&(port, src)),
        };
        ok.then_some(owner)
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Event {
    at: Instant,
    seq: u64,
    to_server: bool,
    /// An ICMP port unreachable toward the client (about a datagram from `dst` to `src`).
    icmp: bool,
    src: SocketAddr,
    dst: SocketAddr,
    data: Vec<u8>,
}

struct Sim {
    nat: Nat,
    servers: Vec<(StunServer, ServerKind)>,
    loss: Loss,
    crossings: u32,
    rng: u64,
    delay: Duration,
}

impl Sim {
    fn lose(&mut self) -> bool {
        self.crossings += 1;
        match self.loss {
            Loss::None => false,
            Loss::All => true,
            Loss::EveryNth(n) => self.crossings % n == 0,
            Loss::Random(p) => {
                self.rng = self
                    .rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((self.rng >> 33) as f64 / (1u64 << 31) as f64) < p
            }
        }
    }

    fn server_for(&self, dst: SocketAddr) -> Option<(usize, Endpoint)> {
        self.servers.iter().enumerate().find_map(|(i, (s, _))| {
            s.config()
                .endpoints()
                .into_iter()
                .find(|(_, a)| *a == dst)
                .map(|(e, _)| (i, e))
        })
    }
}

/// One simulated check: the NAT's behaviour, the network around it and the servers.
#[derive(Clone, Copy, Debug)]
struct Scenario {
    map: Map,
    filt: Filt,
    alloc: Alloc,
    hairpin: bool,
    loss: Loss,
    /// How the first server behaves (CHANGE-REQUEST, faults).
    server_kind: ServerKind,
    /// How the second server behaves.
    second_kind: ServerKind,
    /// Both servers without an alternate address (no OTHER-ADDRESS).
    plain_only: bool,
    seed: u64,
    /// One-way delay of the outside link.
    delay: Duration,
    /// When the edge's TCP handshake to the first server answers, if it does.
    tcp_rtt: Option<Duration>,
    /// The check's deadline (`--timeout`).
    deadline: Duration,
}

impl Scenario {
    /// A NAT with this mapping and filtering, port-preserving, without hairpinning or loss,
    /// behind a WAN link to two RFC 5780 servers; seed 1; no TCP answer.
    fn new(map: Map, filt: Filt) -> Self {
        Scenario {
            map,
            filt,
            alloc: Alloc::Preserve,
            hairpin: false,
            loss: Loss::None,
            server_kind: ServerKind::Rfc5780,
            second_kind: ServerKind::Rfc5780,
            plain_only: false,
            seed: 1,
            delay: WAN,
            tcp_rtt: None,
            deadline: Duration::from_secs(5),
        }
    }

    /// Runs the check to its report.
    fn run(self) -> Report {
        let Scenario {
            map,
            filt,
            alloc,
            hairpin,
            loss,
            server_kind,
            second_kind,
            plain_only,
            seed,
            delay,
            tcp_rtt,
            deadline,
        } = self;
        let mut primary = ServerConfig::new("198.51.100.2".parse().unwrap(), 3478);
        if !plain_only {
            primary.alternate_ip = Some("198.51.100.3".parse().unwrap());
            primary.alternate_port = Some(3479);
        }
        let plain = ServerConfig::new("198.51.100.130".parse().unwrap(), 3478);
        let servers_addr: Vec<SocketAddr> = vec![
            "198.51.100.2:3478".parse().unwrap(),
            "198.51.100.130:3478".parse().unwrap(),
        ];
        let mut sim = Sim {
            nat: Nat::new(map, filt, alloc, hairpin),
            servers: vec![
                (StunServer::new(primary), server_kind),
                (StunServer::new(plain), second_kind),
            ],
            loss,
            crossings: 0,
            rng: seed,
            delay,
        };
        let inside_ip: IpAddr = if map == Map::None {
            "203.0.113.66".parse().unwrap()
        } else {
            "10.0.0.2".parse().unwrap()
        };
        let t0 = Instant::now();
        let mut cfg = CheckConfig::new(servers_addr, seed);
        cfg.lifetime = None;
        cfg.deadline = deadline;
        let mut check = NatCheck::new(cfg, t0);
        let mut now = t0;
        // The edge's TCP handshake to the first server answers after `tcp_rtt` (TCP is not UDP:
        // the UDP loss does not apply to it).
        let mut tcp_due = tcp_rtt.map(|r| (t0 + r, r));
        let mut socks: HashMap<usize, SocketAddr> = HashMap::new();
        let mut by_addr: HashMap<SocketAddr, usize> = HashMap::new();
        // Sockets opened connected, with their peers: only they hear ICMP errors (Linux).
        let mut connected: HashMap<usize, SocketAddr> = HashMap::new();
        let mut next_port = 50000u16;
        let mut queue: BinaryHeap<Reverse<Event>> = BinaryHeap::new();
        let mut seq = 0u64;
        for _ in 0..100_000 {
            while let Some(o) = check.poll_output() {
                match o {
                    Output::Open(_) | Output::OpenConnected { .. } => {
                        let id = match o {
                            Output::OpenConnected { socket, peer } => {
                                connected.insert(socket, peer);
                                socket
                            }
                            Output::Open(id) => id,
                            _ => unreachable!(),
                        };
                        next_port += 7;
                        let a = SocketAddr::new(inside_ip, next_port);
                        socks.insert(id, a);
                        by_addr.insert(a, id);
                        check.opened(now, id, Some(a));
                    }
                    Output::Transmit {
                        socket,
                        dst,
                        payload,
                    } => {
                        let src = socks[&socket];
                        seq += 1;
                        if dst.ip() == sim.nat.public && map != Map::None {
                            // Hairpin: straight back inside, translated, if the NAT does that.
                            if sim.nat.hairpin {
                                let psrc = sim.nat.outbound(src, dst);
                                if let Some(owner) = sim.nat.owners.get(&dst.port()).copied() {
                                    queue.push(Reverse(Event {
                                        at: now + Duration::from_millis(1),
                                        seq,
                                        to_server: false,
                                        icmp: false,
                                        src: psrc,
                                        dst: owner,
                                        data: payload,
                                    }));
                                }
                            }
                            continue;
                        }
                        let psrc = sim.nat.outbound(src, dst);
                        if sim.lose() {
                            continue;
                        }
                        queue.push(Reverse(Event {
                            at: now + sim.delay,
                            seq,
                            to_server: true,
                            icmp: false,
                            src: psrc,
                            dst,
                            data: payload,
                        }));
                    }
                    Output::Close(_) => {}
                }
            }
            if check.is_done() {
                if std::env::var("SIMDEBUG").is_ok() {
                    for l in check.trace() {
                        eprintln!("{l}");
                    }
                }
                return check.report(now);
            }
            let timer = check.poll_timeout().expect("a running check has a timeout");
            if let Some((at, rtt)) = tcp_due.filter(|(at, _)| *at <= timer) {
                if queue.peek().is_none_or(|Reverse(e)| at <= e.at) {
                    now = now.max(at);
                    check.path_rtt(now, rtt);
                    tcp_due = None;
                    continue;
                }
            }
            let next_event = queue.peek().map(|Reverse(e)| e.at);
            match next_event {
                Some(at) if at <= timer => {
                    let Reverse(e) = queue.pop().unwrap();
                    now = now.max(e.at);
                    if e.to_server {
                        let Some((i, at_ep)) = sim.server_for(e.dst) else {
                            continue;
                        };
                        let kind = sim.servers[i].1;
                        if kind == ServerKind::Down {
                            // ICMP port unreachable, back the way the datagram came.
                            if !sim.lose() {
                                seq += 1;
                                queue.push(Reverse(Event {
                                    at: now + sim.delay,
                                    seq,
                                    to_server: false,
                                    icmp: true,
                                    src: e.dst,
                                    dst: e.src,
                                    data: Vec::new(),
                                }));
                            }
                            continue;
                        }
                        let has_change = rtcscope_stun::Message::parse(&e.data).is_ok_and(|m| {
                            m.get(rtcscope_stun::AttributeType::CHANGE_REQUEST)
                                .is_some()
                        });
                        if kind == ServerKind::SilentOnChangeRequest && has_change {
                            continue;
                        }
                        let Ok(mut reply) = sim.servers[i].0.handle(now, at_ep, e.src, &e.data)
                        else {
                            continue;
                        };
                        let mut extra = Duration::ZERO;
                        match kind {
                            ServerKind::IgnoresChangeRequest => reply.from = at_ep,
                            ServerKind::Garbage => {
                                reply.payload = b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()
                            }
                            ServerKind::WrongId => reply.payload[19] ^= 0x5a,
                            ServerKind::Malformed => reply.payload.truncate(28),
                            ServerKind::Slow(d) => extra = d,
                            _ => {}
                        }
                        let from = sim.servers[i].0.config().address(reply.from).unwrap();
                        if sim.lose() {
                            continue;
                        }
                        seq += 1;
                        queue.push(Reverse(Event {
                            at: now + sim.delay + extra,
                            seq,
                            to_server: false,
                            icmp: false,
                            src: from,
                            dst: reply.to,
                            data: reply.payload,
                        }));
                    } else if e.icmp {
                        // An ICMP error about a flow the NAT knows goes back to its owner
                        // (conntrack: related); a connected socket to that server hears it.
                        let owner = if map == Map::None {
                            Some(e.dst)
                        } else {
                            sim.nat.owners.get(&e.dst.port()).copied()
                        };
                        if let Some(id) = owner.and_then(|a| by_addr.get(&a)) {
                            if connected.get(id) == Some(&e.src) {
                                check.unreachable(now, *id, Unreachable::Port);
                            }
                        }
                    } else {
                        // Toward the client: through the NAT's filter unless already inside.
                        let internal = if e.dst.ip() == inside_ip {
                            Some(e.dst)
                        } else {
                            sim.nat.inbound(e.src, e.dst.port())
                        };
                        let internal = match (map, internal) {
                            (Map::None, _) => {
                                // No NAT: the firewall filters on the real port.
                                let ok = match filt {
                                    Filt::Open | Filt::Eif => true,
                                    Filt::Adf => {
                                        sim.nat.permits.iter().any(|(p, r)| {
                                            *p == e.dst.port() && r.ip() == e.src.ip()
                                        })
                                    }
                                    Filt::Apdf => sim.nat.permits.contains(&(e.dst.port(), e.src)),
                                };
                                ok.then_some(e.dst)
                            }
                            (_, i) => i,
                        };
                        if let Some(a) = internal {
                            if let Some(id) = by_addr.get(&a) {
                                check.handle_datagram(now, *id, e.src, &e.data);
                            }
                        }
                    }
                }
                _ => {
                    now = now.max(timer);
                    check.handle_timeout(now);
                }
            }
        }
        panic!("the check did not finish");
    }
}

/// One-way delay of the simulated outside link in most tests (a 20 ms round trip).
const WAN: Duration = Duration::from_millis(10);

/// One-way delay like the NAT lab's veth links (a 0.2 ms round trip).
const LAB: Duration = Duration::from_micros(100);

fn typical(map: Map, filt: Filt, alloc: Alloc, hairpin: bool, loss: Loss, seed: u64) -> Report {
    Scenario {
        alloc,
        hairpin,
        loss,
        seed,
        ..Scenario::new(map, filt)
    }
    .run()
}

/// As [`typical`] on a lab-like link where the edge's TCP handshake answers in `tcp_rtt`.
fn with_tcp(map: Map, filt: Filt, loss: Loss, seed: u64, tcp_rtt: Duration) -> Report {
    Scenario {
        alloc: Alloc::Random,
        hairpin: true,
        loss,
        seed,
        delay: LAB,
        tcp_rtt: Some(tcp_rtt),
        ..Scenario::new(map, filt)
    }
    .run()
}

#[track_caller]
fn expect(r: &Report, mapping: Mapping, filtering: Filtering, classic: Classic) {
    assert_eq!(r.mapping, mapping, "mapping in {r:#?}");
    assert_eq!(r.filtering, filtering, "filtering in {r:#?}");
    assert_eq!(r.classic, classic, "classic in {r:#?}");
}

#[test]
fn every_type_without_loss() {
    use Filtering as F;
    use Mapping as M;
    let r = typical(Map::None, Filt::Open, Alloc::Preserve, false, Loss::None, 1);
    expect(&r, M::NoNat, F::EndpointIndependent, Classic::OpenInternet);
    assert_eq!(r.hairpinning, None);
    let r = typical(Map::None, Filt::Apdf, Alloc::Preserve, false, Loss::None, 2);
    expect(
        &r,
        M::NoNat,
        F::AddressAndPortDependent,
        Classic::SymmetricUdpFirewall,
    );
    let r = typical(Map::Eim, Filt::Eif, Alloc::Preserve, true, Loss::None, 3);
    expect(
        &r,
        M::EndpointIndependent,
        F::EndpointIndependent,
        Classic::FullCone,
    );
    assert_eq!(r.hairpinning, Some(true));
    assert_eq!(r.port_preservation, Some(true));
    assert_eq!(r.webrtc, Verdict::DirectLikely);
    let r = typical(Map::Eim, Filt::Adf, Alloc::Preserve, true, Loss::None, 4);
    expect(
        &r,
        M::EndpointIndependent,
        F::AddressDependent,
        Classic::RestrictedCone,
    );
    let r = typical(Map::Eim, Filt::Apdf, Alloc::Preserve, false, Loss::None, 5);
    expect(
        &r,
        M::EndpointIndependent,
        F::AddressAndPortDependent,
        Classic::PortRestrictedCone,
    );
    assert_eq!(r.hairpinning, Some(false));
    let r = typical(Map::Adm, Filt::Apdf, Alloc::Random, false, Loss::None, 6);
    expect(
        &r,
        M::AddressDependent,
        F::AddressAndPortDependent,
        Classic::Symmetric,
    );
    assert_eq!(r.webrtc, Verdict::SomePeers);
    let r = typical(Map::Apdm, Filt::Apdf, Alloc::Random, false, Loss::None, 7);
    expect(
        &r,
        M::AddressAndPortDependent,
        F::AddressAndPortDependent,
        Classic::Symmetric,
    );
    assert_eq!(r.port_allocation, Some(PortAllocation::Random));
    assert_eq!(r.port_preservation, Some(false));
    let r = typical(
        Map::Apdm,
        Filt::Apdf,
        Alloc::Sequential(2),
        false,
        Loss::None,
        8,
    );
    assert_eq!(
        r.port_allocation,
        Some(PortAllocation::Sequential { delta: 2 })
    );
    let r = typical(Map::Eim, Filt::Apdf, Alloc::Preserve, false, Loss::All, 9);
    assert_eq!(r.classic, Classic::UdpBlocked);
    assert_eq!(r.webrtc, Verdict::TurnNeeded);
}

#[test]
fn fast_on_a_fast_path() {
    // 10 ms each way: a full cone finishes in a few round trips, a port-restricted cone needs
    // two negative windows (test and re-check) on top.
    let r = typical(Map::Eim, Filt::Eif, Alloc::Preserve, true, Loss::None, 11);
    assert!(r.duration_ms < 200.0, "{}", r.duration_ms);
    let r = typical(Map::Eim, Filt::Apdf, Alloc::Preserve, true, Loss::None, 12);
    assert!(r.duration_ms < 800.0, "{}", r.duration_ms);
}

#[test]
fn every_fifth_packet_lost_changes_nothing() {
    use Filtering as F;
    use Mapping as M;
    for seed in 0..5 {
        let r = typical(
            Map::Eim,
            Filt::Adf,
            Alloc::Preserve,
            true,
            Loss::EveryNth(5),
            seed,
        );
        expect(
            &r,
            M::EndpointIndependent,
            F::AddressDependent,
            Classic::RestrictedCone,
        );
        let r = typical(
            Map::Apdm,
            Filt::Apdf,
            Alloc::Sequential(2),
            false,
            Loss::EveryNth(5),
            seed,
        );
        expect(
            &r,
            M::AddressAndPortDependent,
            F::AddressAndPortDependent,
            Classic::Symmetric,
        );
        let r = typical(
            Map::None,
            Filt::Open,
            Alloc::Preserve,
            false,
            Loss::EveryNth(5),
            seed,
        );
        expect(&r, M::NoNat, F::EndpointIndependent, Classic::OpenInternet);
    }
}

/// Every NAT type the loss sweeps run, with its classic name.
const LOSS_CASES: [(Map, Filt, Classic); 7] = [
    (Map::None, Filt::Open, Classic::OpenInternet),
    (Map::None, Filt::Apdf, Classic::SymmetricUdpFirewall),
    (Map::Eim, Filt::Eif, Classic::FullCone),
    (Map::Eim, Filt::Adf, Classic::RestrictedCone),
    (Map::Eim, Filt::Apdf, Classic::PortRestrictedCone),
    (Map::Adm, Filt::Apdf, Classic::Symmetric),
    (Map::Apdm, Filt::Apdf, Classic::Symmetric),
];

/// Runs every loss case with 60 seeds through `check` and lists the wrong verdicts.
fn loss_sweep(check: impl Fn(Map, Filt, u64) -> Report) -> Vec<String> {
    let mut wrong = Vec::new();
    for (map, filt, classic) in LOSS_CASES {
        for seed in 0..60u64 {
            let r = check(map, filt, seed);
            if r.classic != classic {
                wrong.push(format!("{map:?}/{filt:?} seed {seed}: {:?}", r.classic));
            }
        }
    }
    wrong
}

#[test]
fn twenty_percent_random_loss_changes_nothing() {
    let wrong = loss_sweep(|map, filt, seed| {
        typical(
            map,
            filt,
            Alloc::Random,
            true,
            Loss::Random(0.2),
            seed * 7919 + 1,
        )
    });
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn server_ignoring_change_request_is_never_a_full_cone() {
    for (map, filt) in [
        (Map::Eim, Filt::Apdf),
        (Map::Eim, Filt::Eif),
        (Map::Apdm, Filt::Apdf),
    ] {
        let r = Scenario {
            server_kind: ServerKind::IgnoresChangeRequest,
            seed: 3,
            ..Scenario::new(map, filt)
        }
        .run();
        assert_eq!(r.filtering, Filtering::Unknown, "{r:#?}");
        assert!(
            r.filtering_basis.contains("ignores CHANGE-REQUEST"),
            "{r:#?}"
        );
        assert_ne!(r.classic, Classic::FullCone);
    }
}

#[test]
fn server_silent_on_change_request_is_detected_on_an_eim_nat() {
    let r = Scenario {
        server_kind: ServerKind::SilentOnChangeRequest,
        seed: 4,
        ..Scenario::new(Map::Eim, Filt::Apdf)
    }
    .run();
    assert_eq!(r.filtering, Filtering::Unknown, "{r:#?}");
    assert_eq!(r.classic, Classic::ConeFilteringUnknown);
}

#[test]
fn plain_servers_give_mapping_by_comparison_and_unknown_filtering() {
    let r = Scenario {
        plain_only: true,
        seed: 5,
        ..Scenario::new(Map::Eim, Filt::Apdf)
    }
    .run();
    assert_eq!(r.mapping, Mapping::EndpointIndependent, "{r:#?}");
    assert_eq!(r.filtering, Filtering::Unknown);
    assert!(r
        .servers
        .iter()
        .all(|s| s.rfc5780.contains("no OTHER-ADDRESS")));
    let r = Scenario {
        alloc: Alloc::Random,
        plain_only: true,
        seed: 6,
        ..Scenario::new(Map::Apdm, Filt::Apdf)
    }
    .run();
    assert_eq!(r.mapping, Mapping::EndpointDependent, "{r:#?}");
    assert_eq!(r.classic, Classic::Symmetric);
}

#[test]
fn udp_blocked_waits_for_the_silence_floor_however_fast_tcp_answers() {
    // Lab-like: UDP dropped, a TCP handshake answered in 0.2 ms. The retransmissions are paced
    // by it (13 ms, doubling), but "UDP blocked" is said only 2 s after the first
    // transmission: a server slower than the TCP handshake is not silence.
    let r = with_tcp(Map::Eim, Filt::Apdf, Loss::All, 1, LAB * 2);
    assert_eq!(r.classic, Classic::UdpBlocked, "{r:#?}");
    assert_eq!(r.reason, Reason::NoAnswer);
    assert_eq!(r.webrtc, Verdict::TurnNeeded);
    assert!(
        (2000.0..2100.0).contains(&r.duration_ms),
        "{}",
        r.duration_ms
    );
    assert!(
        r.notes.iter().any(|n| n.contains("TCP handshake")),
        "{r:#?}"
    );
    assert!(r.servers.iter().all(|s| s.status == ServerStatus::NoAnswer));
    assert!(r.reason_explained.contains("UDP is blocked"), "{r:#?}");
    // Without it, the initial 100 ms interval: the same two seconds.
    let mut r = Scenario {
        alloc: Alloc::Random,
        hairpin: true,
        loss: Loss::All,
        delay: LAB,
        ..Scenario::new(Map::Eim, Filt::Apdf)
    }
    .run();
    assert_eq!(r.classic, Classic::UdpBlocked);
    assert!(
        (2000.0..2100.0).contains(&r.duration_ms),
        "{}",
        r.duration_ms
    );
    // A shorter --timeout is the user's choice: the floor is the deadline then.
    r = Scenario {
        loss: Loss::All,
        delay: LAB,
        tcp_rtt: Some(LAB * 2),
        deadline: Duration::from_secs(1),
        ..Scenario::new(Map::Eim, Filt::Apdf)
    }
    .run();
    assert_eq!(r.classic, Classic::UdpBlocked);
    assert!(
        (1000.0..1100.0).contains(&r.duration_ms),
        "{}",
        r.duration_ms
    );
    // A TCP answer after the first STUN answer changes nothing.
    r = with_tcp(Map::Eim, Filt::Eif, Loss::None, 2, Duration::from_secs(1));
    assert_eq!(r.classic, Classic::FullCone, "{r:#?}");
}

#[test]
fn a_server_slower_than_the_tcp_handshake_is_not_silence() {
    // TCP answers in 0.2 ms (the kernel), the STUN server takes 0.7 s, then 1.5 s: the first
    // answer still counts, and the rest of the check is paced by it.
    for (slow, full) in [(700, true), (1500, false)] {
        let kind = ServerKind::Slow(Duration::from_millis(slow));
        let r = Scenario {
            hairpin: true,
            server_kind: kind,
            second_kind: kind,
            delay: LAB,
            tcp_rtt: Some(LAB * 2),
            ..Scenario::new(Map::Eim, Filt::Eif)
        }
        .run();
        assert_eq!(r.reason, Reason::Measured, "{slow} ms: {r:#?}");
        assert_ne!(r.classic, Classic::UdpBlocked, "{slow} ms");
        assert_eq!(r.mapping, Mapping::EndpointIndependent, "{slow} ms: {r:#?}");
        if full {
            assert_eq!(r.classic, Classic::FullCone, "{slow} ms: {r:#?}");
        }
    }
}

#[test]
fn a_closed_port_is_named_not_taken_for_udp_blocked() {
    // ICMP port unreachable on the connected probes: told in a round trip, no re-check.
    let r = Scenario {
        server_kind: ServerKind::Down,
        second_kind: ServerKind::Down,
        tcp_rtt: Some(LAB * 2),
        ..Scenario::new(Map::Eim, Filt::Apdf)
    }
    .run();
    assert_eq!(r.reason, Reason::PortUnreachable, "{r:#?}");
    assert_eq!(r.classic, Classic::Unknown);
    assert_eq!(r.webrtc, Verdict::Unknown);
    assert!(r.duration_ms < 100.0, "{}", r.duration_ms);
    assert!(r
        .servers
        .iter()
        .all(|s| s.status == ServerStatus::PortUnreachable && !s.answered));
    assert!(
        r.webrtc_explained.contains("ICMP port unreachable")
            && r.webrtc_explained.contains("says nothing about your NAT"),
        "{}",
        r.webrtc_explained
    );
    assert!(r.mapping_basis.contains("port is closed"), "{r:#?}");
    assert!(r.servers[0].rfc5780.contains("ICMP port unreachable"));
    // With 20 % loss the probes' retransmissions still draw an ICMP error.
    for seed in 0..20 {
        let r = Scenario {
            server_kind: ServerKind::Down,
            second_kind: ServerKind::Down,
            loss: Loss::Random(0.2),
            seed: seed * 31 + 7,
            ..Scenario::new(Map::Apdm, Filt::Apdf)
        }
        .run();
        assert_eq!(r.reason, Reason::PortUnreachable, "seed {seed}: {r:#?}");
    }
    // One server down, the other up: the check runs on the other, and says which is down.
    let r = Scenario {
        server_kind: ServerKind::Down,
        ..Scenario::new(Map::Eim, Filt::Apdf)
    }
    .run();
    assert_eq!(r.reason, Reason::Measured, "{r:#?}");
    assert_eq!(r.servers[0].status, ServerStatus::PortUnreachable);
    assert_eq!(r.servers[1].status, ServerStatus::Answered);
    assert!(r.mapped.is_some(), "{r:#?}");
}

#[test]
fn garbage_and_broken_answers_are_named_not_taken_for_udp_blocked() {
    for (kind, reason, status) in [
        (ServerKind::Garbage, Reason::NotStun, ServerStatus::NotStun),
        (
            ServerKind::WrongId,
            Reason::BrokenServer,
            ServerStatus::BrokenStun,
        ),
        (
            ServerKind::Malformed,
            Reason::BrokenServer,
            ServerStatus::BrokenStun,
        ),
    ] {
        let r = Scenario {
            server_kind: kind,
            second_kind: kind,
            tcp_rtt: Some(LAB * 2),
            ..Scenario::new(Map::Eim, Filt::Apdf)
        }
        .run();
        assert_eq!(r.reason, reason, "{kind:?}: {r:#?}");
        assert_eq!(r.classic, Classic::Unknown, "{kind:?}");
        assert_eq!(r.webrtc, Verdict::Unknown, "{kind:?}");
        assert!(r.servers.iter().all(|s| s.status == status), "{r:#?}");
        let s = &r.servers[0];
        let counted = match kind {
            ServerKind::Garbage => s.not_stun,
            ServerKind::WrongId => s.wrong_transaction_id,
            _ => s.malformed,
        };
        assert!(counted >= 7, "{kind:?}: {s:#?}");
        assert!(
            r.webrtc_explained.contains("UDP gets through"),
            "{}",
            r.webrtc_explained
        );
    }
    // A broken first server and a down second one: the broken one is the news.
    let r = Scenario {
        server_kind: ServerKind::WrongId,
        second_kind: ServerKind::Down,
        ..Scenario::new(Map::Eim, Filt::Apdf)
    }
    .run();
    assert_eq!(r.reason, Reason::BrokenServer, "{r:#?}");
    assert!(
        r.reason_explained
            .contains("198.51.100.130:3478: ICMP port unreachable"),
        "{}",
        r.reason_explained
    );
    // A broken first server beside a good one: measured, the broken one named.
    let r = Scenario {
        server_kind: ServerKind::Garbage,
        ..Scenario::new(Map::Eim, Filt::Apdf)
    }
    .run();
    assert_eq!(r.reason, Reason::Measured, "{r:#?}");
    assert_eq!(r.servers[0].status, ServerStatus::NotStun);
}

#[test]
fn unknown_filtering_is_never_judged_better_than_a_port_restricted_cone() {
    let r = Scenario {
        plain_only: true,
        seed: 5,
        ..Scenario::new(Map::Eim, Filt::Eif)
    }
    .run();
    assert_eq!(r.classic, Classic::ConeFilteringUnknown, "{r:#?}");
    assert_eq!(r.webrtc, report::verdict(Classic::PortRestrictedCone));
    assert!(
        r.webrtc_explained.contains("symmetric NAT it needs TURN"),
        "{}",
        r.webrtc_explained
    );
    let r = Scenario {
        plain_only: true,
        seed: 6,
        ..Scenario::new(Map::None, Filt::Open)
    }
    .run();
    assert_eq!(r.classic, Classic::NoNatFilteringUnknown, "{r:#?}");
    assert_eq!(r.webrtc, report::verdict(Classic::SymmetricUdpFirewall));
}

#[test]
fn tcp_paced_checks_with_twenty_percent_loss_change_nothing() {
    let wrong = loss_sweep(|map, filt, seed| {
        with_tcp(map, filt, Loss::Random(0.2), seed * 7919 + 3, LAB * 2)
    });
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_tcp_round_trip_shorter_than_udp_still_waits_long_enough() {
    // A firewall near the client resets TCP at once (0.2 ms) while UDP takes 190 ms there and
    // back: the 13 ms floor and the backoff still leave room for the first STUN answer.
    let r = Scenario {
        hairpin: true,
        seed: 4,
        delay: Duration::from_millis(95),
        tcp_rtt: Some(LAB * 2),
        ..Scenario::new(Map::Eim, Filt::Eif)
    }
    .run();
    assert_eq!(r.classic, Classic::FullCone, "{r:#?}");
}
