//! Passive NAT inference (crates/analysis/src/nat.rs): scripted captures taken inside a NAT
//! whose behaviour is known by construction, and the project's real recordings, whose NATs
//! (nftables `masquerade`, `masquerade random`, or none) fixtures/webrtc/README.md states.

use rtcscope_analysis::nat::{Confidence, NatInference, View};
use rtcscope_analysis::report::Report;
use rtcscope_analysis::Engine;
use rtcscope_nat::report::{Mapping, PortAllocation};
use rtcscope_stun::{Attribute, MessageBuilder, Method, TransactionId};
use rtcscope_testkit::frames::ipv4_udp;
use std::net::{IpAddr, SocketAddrV4};

const T0: i128 = 1_700_000_000_000_000_000;

/// A capture on the inside of a NAT: Binding exchanges from local sockets to STUN servers,
/// each answered with the mapping the NAT under test would give.
struct Inside {
    engine: Engine,
    n: u64,
}

impl Inside {
    fn new() -> Self {
        Inside {
            engine: Engine::default(),
            n: 0,
        }
    }

    fn udp(&mut self, from: &str, to: &str, payload: &[u8]) {
        self.n += 1;
        let f = ipv4_udp(
            from.parse::<SocketAddrV4>().unwrap(),
            to.parse::<SocketAddrV4>().unwrap(),
            payload,
        );
        self.engine.feed_frame(
            self.n,
            T0 + i128::from(self.n) * 10_000_000,
            rtcscope_capture::LinkType::RAW,
            &f,
            f.len() as u32,
        );
    }

    /// `local` asks `server`, which answers that it saw `mapped`. (The response is captured
    /// on the inside too: after the NAT translated it back to `local`.)
    fn binding(&mut self, local: &str, server: &str, mapped: &str) {
        let mut t = [9u8; 12];
        t[..8].copy_from_slice(&self.n.to_be_bytes());
        let id = TransactionId::Rfc5389(t);
        self.udp(
            local,
            server,
            &MessageBuilder::request(Method::BINDING, id)
                .finish()
                .unwrap(),
        );
        let mut ok = MessageBuilder::success(Method::BINDING, id);
        ok.add(&Attribute::XorMappedAddress(mapped.parse().unwrap()));
        self.udp(server, local, &ok.finish().unwrap());
    }

    fn nat(&self) -> Vec<NatInference> {
        Report::new(&self.engine).nat
    }
}

fn host(v: &[NatInference], ip: &str) -> NatInference {
    let ip: IpAddr = ip.parse().unwrap();
    v.iter()
        .find(|n| n.host == ip)
        .cloned()
        .unwrap_or_else(|| panic!("no inference for {ip} in {v:#?}"))
}

#[test]
fn one_mapping_toward_servers_on_two_addresses_is_endpoint_independent() {
    let mut c = Inside::new();
    c.binding("10.0.0.2:40000", "198.51.100.1:3478", "203.0.113.5:40000");
    c.binding("10.0.0.2:40000", "198.51.100.2:3478", "203.0.113.5:40000");
    let n = host(&c.nat(), "10.0.0.2");
    assert_eq!(n.view, View::Inside);
    assert_eq!(n.mapping, Mapping::EndpointIndependent);
    assert_eq!(n.confidence, Confidence::High);
    assert_eq!(n.public, ["203.0.113.5".parse::<IpAddr>().unwrap()]);
    assert_eq!(n.evidence.len(), 2);
}

#[test]
fn a_new_port_per_server_address_is_address_dependent() {
    // Two addresses give different mappings; two ports of one address give the same: the
    // mapping follows the destination address only (RFC 4787 §4.1, address-dependent).
    let mut c = Inside::new();
    c.binding("10.0.0.2:40000", "198.51.100.1:3478", "203.0.113.5:1024");
    c.binding("10.0.0.2:40000", "198.51.100.1:3479", "203.0.113.5:1024");
    c.binding("10.0.0.2:40000", "198.51.100.2:3478", "203.0.113.5:1025");
    let n = host(&c.nat(), "10.0.0.2");
    assert_eq!(n.mapping, Mapping::AddressDependent);
    assert_eq!(n.confidence, Confidence::High);
}

#[test]
fn a_new_port_per_server_port_is_address_and_port_dependent() {
    let mut c = Inside::new();
    c.binding("10.0.0.2:40000", "198.51.100.1:3478", "203.0.113.5:1024");
    c.binding("10.0.0.2:40000", "198.51.100.1:3479", "203.0.113.5:1025");
    let n = host(&c.nat(), "10.0.0.2");
    assert_eq!(n.mapping, Mapping::AddressAndPortDependent);
    // One server address only: the comparison rests on ports.
    assert_eq!(n.confidence, Confidence::Medium);
}

#[test]
fn one_destination_per_socket_is_not_enough_but_ports_still_speak() {
    // Three sockets, each asking one server: no mapping comparison, but the NAT kept each
    // local port, which the port-allocation classifier sees.
    let mut c = Inside::new();
    for port in [40000, 40002, 40004] {
        c.binding(
            &format!("10.0.0.2:{port}"),
            "198.51.100.1:3478",
            &format!("203.0.113.5:{port}"),
        );
    }
    let n = host(&c.nat(), "10.0.0.2");
    assert_eq!(n.mapping, Mapping::Unknown);
    assert_eq!(n.confidence, Confidence::Low);
    assert_eq!(n.port_allocation, PortAllocation::Preserved);
    assert!(n.explanation.contains("one destination only"), "{n:#?}");
}

#[test]
fn sequential_port_allocation_is_seen() {
    let mut c = Inside::new();
    for (k, port) in [40000, 40100, 40200, 40300].into_iter().enumerate() {
        c.binding(
            &format!("10.0.0.2:{port}"),
            "198.51.100.1:3478",
            &format!("203.0.113.5:{}", 20000 + 2 * k),
        );
    }
    let n = host(&c.nat(), "10.0.0.2");
    assert_eq!(n.port_allocation, PortAllocation::Sequential { delta: 2 });
}

fn recording(name: &str) -> Vec<NatInference> {
    let path = rtcscope_testkit::fixtures()
        .join("webrtc")
        .join(name)
        .join("capture.pcapng");
    let bytes = std::fs::read(&path).unwrap();
    let reader = rtcscope_capture::CaptureReader::new(&bytes[..]).unwrap();
    let mut e = Engine::default();
    e.feed_all(&mut rtcscope_capture::PacketSource::from_reader(reader));
    Report::new(&e).nat
}

/// fail-symmetric-nat: both NATs `masquerade random`, captured between them. Each side's
/// reflexive address (from the STUN server) is where the peer's checks went, while its own
/// checks left from another port: destination-dependent on both sides.
#[test]
fn the_symmetric_nat_recording_shows_both_nats_map_per_destination() {
    let v = recording("fail-symmetric-nat");
    for ip in ["198.51.100.21", "198.51.100.22"] {
        let n = host(&v, ip);
        assert_eq!(n.view, View::Outside, "{n:#?}");
        assert!(n.mapping.is_endpoint_dependent(), "{n:#?}");
        assert_eq!(n.confidence, Confidence::Medium);
        assert!(n.evidence.iter().any(|o| o.how == "ice-source"), "{n:#?}");
    }
}

/// direct and firefox-direct: the peers are routed to each other without NAT, on private
/// addresses that each peer saw unchanged.
#[test]
fn the_direct_recordings_show_no_translation() {
    for (call, hosts) in [
        ("direct", ["10.20.1.2", "10.20.2.2"]),
        ("firefox-direct", ["10.40.1.2", "10.40.2.2"]),
    ] {
        let v = recording(call);
        for ip in hosts {
            let n = host(&v, ip);
            assert_eq!(n.mapping, Mapping::NoNat, "{call}: {n:#?}");
        }
    }
}

/// relay: each peer behind its own NAT, relay-only, captured after the NATs: every server saw
/// one destination per socket, so nothing can be compared, and the inference says so rather
/// than guess.
#[test]
fn the_relay_recording_claims_nothing_it_cannot_see() {
    let v = recording("relay");
    assert!(!v.is_empty());
    for n in &v {
        assert_eq!(n.mapping, Mapping::Unknown, "{n:#?}");
        assert_eq!(n.confidence, Confidence::Low);
    }
}
