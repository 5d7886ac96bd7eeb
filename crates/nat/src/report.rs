//! What a NAT check found, and the pure functions that turn observations into verdicts
//! (RFC 4787 behaviours, the classic RFC 3489 names, and a WebRTC verdict).

use serde::Serialize;
use std::net::SocketAddr;

/// How the NAT maps an internal address and port to a public one (RFC 4787 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mapping {
    /// No translation: the reflexive address is the local address.
    NoNat,
    /// The same public address and port whatever the destination (cone NATs).
    EndpointIndependent,
    /// A new public port for each destination IP address.
    AddressDependent,
    /// A new public port for each destination IP address and port.
    AddressAndPortDependent,
    /// The mapping depends on the destination, but the servers available could not tell
    /// whether on the address only or on the port as well.
    EndpointDependent,
    /// Could not be determined (too few servers answered, or none could test it).
    Unknown,
}

impl Mapping {
    /// True for a mapping that changes with the destination.
    pub fn is_endpoint_dependent(self) -> bool {
        matches!(
            self,
            Mapping::AddressDependent
                | Mapping::AddressAndPortDependent
                | Mapping::EndpointDependent
        )
    }

    /// A short human name.
    pub fn describe(self) -> &'static str {
        match self {
            Mapping::NoNat => "none (no NAT: the public address is the local address)",
            Mapping::EndpointIndependent => "endpoint-independent",
            Mapping::AddressDependent => "address-dependent",
            Mapping::AddressAndPortDependent => "address-and-port-dependent",
            Mapping::EndpointDependent => {
                "endpoint-dependent (address- or address-and-port-dependent: the servers could not tell which)"
            }
            Mapping::Unknown => "unknown",
        }
    }
}

/// Which unsolicited inbound packets the NAT or firewall lets in (RFC 4787 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Filtering {
    /// Anyone may send to the public address once a mapping exists.
    EndpointIndependent,
    /// Only addresses the client has sent to.
    AddressDependent,
    /// Only address-and-port pairs the client has sent to.
    AddressAndPortDependent,
    /// Not tested or not testable (see the reason).
    Unknown,
}

impl Filtering {
    /// A short human name.
    pub fn describe(self) -> &'static str {
        match self {
            Filtering::EndpointIndependent => "endpoint-independent",
            Filtering::AddressDependent => "address-dependent",
            Filtering::AddressAndPortDependent => "address-and-port-dependent",
            Filtering::Unknown => "unknown",
        }
    }
}

/// How a NAT with endpoint-dependent mapping picks public ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum PortAllocation {
    /// The public port is the local port.
    Preserved,
    /// Each new mapping takes the previous port plus `delta`.
    Sequential {
        /// The step between consecutive mappings.
        delta: i32,
    },
    /// No pattern: ports look random.
    Random,
    /// Too few probes answered to tell.
    Unknown,
}

/// The classic (RFC 3489) name of the behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classic {
    /// No NAT, no filtering.
    OpenInternet,
    /// No NAT behind a stateful firewall.
    SymmetricUdpFirewall,
    /// Endpoint-independent mapping and filtering.
    FullCone,
    /// Endpoint-independent mapping, address-dependent filtering.
    RestrictedCone,
    /// Endpoint-independent mapping, address-and-port-dependent filtering.
    PortRestrictedCone,
    /// Endpoint-dependent mapping.
    Symmetric,
    /// No UDP reply from any server.
    UdpBlocked,
    /// Endpoint-independent mapping; the filtering could not be tested.
    ConeFilteringUnknown,
    /// No NAT; the filtering could not be tested.
    NoNatFilteringUnknown,
    /// Not enough data.
    Unknown,
}

impl Classic {
    /// The conventional name.
    pub fn describe(self) -> &'static str {
        match self {
            Classic::OpenInternet => "open internet",
            Classic::SymmetricUdpFirewall => "symmetric UDP firewall",
            Classic::FullCone => "full cone",
            Classic::RestrictedCone => "restricted cone",
            Classic::PortRestrictedCone => "port-restricted cone",
            Classic::Symmetric => "symmetric",
            Classic::UdpBlocked => "UDP blocked",
            Classic::ConeFilteringUnknown => "cone NAT (filtering unknown)",
            Classic::NoNatFilteringUnknown => "no NAT (filtering unknown)",
            Classic::Unknown => "unknown",
        }
    }
}

/// Will a WebRTC call connect directly?
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Direct peer-to-peer is likely with most peers.
    DirectLikely,
    /// Direct peer-to-peer works only with some peers (those with permissive NATs).
    SomePeers,
    /// UDP does not get through: a TURN server (over TCP or TLS) is needed.
    TurnNeeded,
    /// Not enough data.
    Unknown,
}

impl Verdict {
    /// The verdict in plain language.
    pub fn explain(self, classic: Classic) -> &'static str {
        match (self, classic) {
            (Verdict::DirectLikely, Classic::PortRestrictedCone) => {
                "direct peer-to-peer likely; with a peer behind a symmetric NAT it needs TURN"
            }
            (Verdict::DirectLikely, Classic::ConeFilteringUnknown) => {
                "direct peer-to-peer likely; with a peer behind a symmetric NAT it needs TURN \
                 (the filtering could not be tested, so it is taken to be the strictest, as in \
                 a port-restricted cone)"
            }
            (Verdict::SomePeers, Classic::NoNatFilteringUnknown) => {
                "direct peer-to-peer possible only with some peers (the filtering could not be \
                 tested, so it is taken to be the strictest, as behind a symmetric UDP \
                 firewall); otherwise TURN is needed"
            }
            (Verdict::DirectLikely, _) => "direct peer-to-peer likely with almost any peer",
            (Verdict::SomePeers, _) => {
                "direct peer-to-peer possible only with some peers (those whose NAT filters by address only or not at all); otherwise TURN is needed"
            }
            (Verdict::TurnNeeded, _) => {
                "TURN needed: UDP does not get through, so only a relay over TCP or TLS (turn:...?transport=tcp, turns:) will connect"
            }
            (Verdict::Unknown, _) => "unknown: not enough answers to judge",
        }
    }
}

/// The classic name for a mapping and filtering behaviour.
pub fn classic(mapping: Mapping, filtering: Filtering, any_reply: bool) -> Classic {
    if !any_reply {
        return Classic::UdpBlocked;
    }
    match (mapping, filtering) {
        (Mapping::NoNat, Filtering::EndpointIndependent) => Classic::OpenInternet,
        (Mapping::NoNat, Filtering::Unknown) => Classic::NoNatFilteringUnknown,
        (Mapping::NoNat, _) => Classic::SymmetricUdpFirewall,
        (Mapping::EndpointIndependent, Filtering::EndpointIndependent) => Classic::FullCone,
        (Mapping::EndpointIndependent, Filtering::AddressDependent) => Classic::RestrictedCone,
        (Mapping::EndpointIndependent, Filtering::AddressAndPortDependent) => {
            Classic::PortRestrictedCone
        }
        (Mapping::EndpointIndependent, Filtering::Unknown) => Classic::ConeFilteringUnknown,
        (m, _) if m.is_endpoint_dependent() => Classic::Symmetric,
        _ => Classic::Unknown,
    }
}

/// The WebRTC verdict for a classic type. Filtering that could not be tested is judged as the
/// strictest there is, so an unknown filtering never gets a better verdict than a known one:
/// a cone NAT with unknown filtering as a port-restricted cone, no NAT with unknown filtering
/// as a symmetric UDP firewall.
pub fn verdict(classic: Classic) -> Verdict {
    match classic {
        Classic::OpenInternet
        | Classic::FullCone
        | Classic::RestrictedCone
        | Classic::PortRestrictedCone
        | Classic::ConeFilteringUnknown => Verdict::DirectLikely,
        Classic::Symmetric | Classic::SymmetricUdpFirewall | Classic::NoNatFilteringUnknown => {
            Verdict::SomePeers
        }
        Classic::UdpBlocked => Verdict::TurnNeeded,
        Classic::Unknown => Verdict::Unknown,
    }
}

/// Mapping behaviour from the RFC 5780 §4.3 tests: `x1` the mapping toward the primary
/// address and port, `x_ap` toward the alternate address and primary port, `x_aa` toward the
/// alternate address and port, `x_pa` toward the primary address and alternate port.
pub fn mapping_rfc5780(
    x1: SocketAddr,
    x_ap: Option<SocketAddr>,
    x_aa: Option<SocketAddr>,
    x_pa: Option<SocketAddr>,
) -> Mapping {
    match (x_ap, x_aa, x_pa) {
        // Test II equals test I: endpoint-independent, unless another test contradicts it.
        (Some(ap), aa, pa) if ap == x1 => {
            if aa.is_some_and(|a| a != x1) || pa.is_some_and(|p| p != x1) {
                Mapping::AddressAndPortDependent
            } else {
                Mapping::EndpointIndependent
            }
        }
        // Test III equals test II: the port did not matter, the address did.
        (Some(ap), Some(aa), pa) => {
            if ap == aa && pa.is_none_or(|p| p == x1) {
                Mapping::AddressDependent
            } else {
                Mapping::AddressAndPortDependent
            }
        }
        // Test II missing: fall back on the same-address, other-port test.
        (None, _, Some(pa)) if pa != x1 => Mapping::AddressAndPortDependent,
        (None, Some(aa), Some(pa)) if pa == x1 && aa == x1 => Mapping::EndpointIndependent,
        (None, Some(aa), _) if aa != x1 => Mapping::EndpointDependent,
        (Some(_), None, Some(pa)) if pa != x1 => Mapping::AddressAndPortDependent,
        (Some(_), None, _) => Mapping::EndpointDependent,
        _ => Mapping::Unknown,
    }
}

/// Mapping behaviour from plain Binding answers of independent servers: pairs of (server
/// address, mapped address) all seen from one local socket. Servers on different addresses
/// that see the same mapping prove endpoint-independence; different mappings prove
/// endpoint-dependence, and only two servers on one address with different ports can tell
/// address-dependent from address-and-port-dependent.
pub fn mapping_by_comparison(seen: &[(SocketAddr, SocketAddr)]) -> Mapping {
    let mut differ_ip = None; // Some(true) if any pair with different server IPs differs
    let mut same_ip_port_differs = None;
    for (i, (s1, m1)) in seen.iter().enumerate() {
        for (s2, m2) in &seen[i + 1..] {
            if s1.ip() != s2.ip() {
                let d = m1 != m2;
                differ_ip = Some(differ_ip.unwrap_or(false) || d);
            } else if s1.port() != s2.port() {
                let d = m1 != m2;
                same_ip_port_differs = Some(same_ip_port_differs.unwrap_or(false) || d);
            }
        }
    }
    match (differ_ip, same_ip_port_differs) {
        (Some(false), Some(true)) => Mapping::AddressAndPortDependent,
        (Some(false), _) => Mapping::EndpointIndependent,
        (Some(true), Some(true)) => Mapping::AddressAndPortDependent,
        (Some(true), Some(false)) => Mapping::AddressDependent,
        (Some(true), None) => Mapping::EndpointDependent,
        (None, Some(true)) => Mapping::AddressAndPortDependent,
        (None, _) => Mapping::Unknown,
    }
}

/// Port allocation from sequential probes: (local port, public port) in the order the
/// mappings were created.
pub fn port_allocation(probes: &[(u16, u16)]) -> PortAllocation {
    if probes.len() < 3 {
        return PortAllocation::Unknown;
    }
    if probes.iter().all(|(l, p)| l == p) {
        return PortAllocation::Preserved;
    }
    let diffs: Vec<i32> = probes
        .windows(2)
        .map(|w| i32::from(w[1].1.wrapping_sub(w[0].1) as i16))
        .collect();
    // The most common step; a lost packet on the way can make one step a multiple of it.
    let mut best = (0i32, 0usize);
    for d in &diffs {
        let n = diffs.iter().filter(|x| *x == d).count();
        if n > best.1 {
            best = (*d, n);
        }
    }
    let (delta, count) = best;
    let consistent = delta != 0
        && delta.abs() <= 64
        && count * 2 > diffs.len()
        && diffs
            .iter()
            .all(|d| *d % delta == 0 && *d / delta >= 1 && *d / delta <= 4);
    if consistent {
        PortAllocation::Sequential { delta }
    } else {
        PortAllocation::Random
    }
}

/// Why the check could, or could not, judge the NAT: what came back from the servers. Only
/// silence from every server is "UDP blocked"; a closed port, an ICMP error or a server that
/// answers something else says nothing about the NAT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// At least one server gave a STUN answer: the verdict rests on measurements.
    Measured,
    /// Nothing at all came back from any server, through every retransmission, a re-check on
    /// a fresh socket, and at least 2 s (or `--timeout`): UDP is blocked (classic
    /// `udp-blocked`), or every server is down and drops requests silently.
    NoAnswer,
    /// ICMP port unreachable came back: nothing listens on the server's UDP port (server down,
    /// wrong port), or a firewall rejects the datagrams.
    PortUnreachable,
    /// ICMP host or network unreachable (or administratively prohibited) came back.
    HostUnreachable,
    /// Datagrams came back from the server, but not STUN: not a STUN server (wrong port?).
    NotStun,
    /// STUN came back, but malformed or with transaction IDs of no request: a broken server
    /// (or something on the path that rewrites STUN).
    BrokenServer,
    /// No server was given.
    NoServer,
}

impl Reason {
    /// A short human description.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Measured => "measured",
            Reason::NoAnswer => "no answer at all (UDP blocked, or every server down and silent)",
            Reason::PortUnreachable => "the server's port is closed (ICMP port unreachable)",
            Reason::HostUnreachable => {
                "the server is unreachable (ICMP host or network unreachable)"
            }
            Reason::NotStun => "the server answers with something that is not STUN",
            Reason::BrokenServer => {
                "the server answers with broken STUN (wrong transaction IDs or malformed)"
            }
            Reason::NoServer => "no server to ask",
        }
    }
}

/// What became of one server's Binding requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerStatus {
    /// It answered (a success or an error response) with a transaction ID of the check.
    Answered,
    /// Nothing came back.
    NoAnswer,
    /// ICMP port unreachable.
    PortUnreachable,
    /// ICMP host or network unreachable.
    HostUnreachable,
    /// Datagrams that are not STUN came back, and no answer.
    NotStun,
    /// STUN came back, malformed or with transaction IDs of no request, and no answer.
    BrokenStun,
}

impl ServerStatus {
    /// A short human description.
    pub fn describe(self) -> &'static str {
        match self {
            ServerStatus::Answered => "answered",
            ServerStatus::NoAnswer => "no answer",
            ServerStatus::PortUnreachable => {
                "ICMP port unreachable: nothing listens on that UDP port (server down or wrong \
                 port), or a firewall rejects it"
            }
            ServerStatus::HostUnreachable => "ICMP host or network unreachable",
            ServerStatus::NotStun => {
                "answers with datagrams that are not STUN (not a STUN server?)"
            }
            ServerStatus::BrokenStun => {
                "answers with broken STUN: transaction IDs of no request, or malformed messages"
            }
        }
    }
}

/// What one server answered to the first Binding request.
#[derive(Clone, Debug, Serialize)]
pub struct ServerReport {
    /// The server's address as asked.
    pub address: SocketAddr,
    /// Whether it answered at all.
    pub answered: bool,
    /// What became of its Binding requests (answered, silence, ICMP, junk).
    pub status: ServerStatus,
    /// Datagrams from it that were not STUN.
    pub not_stun: u32,
    /// STUN messages from it that did not parse.
    pub malformed: u32,
    /// STUN responses from it with a transaction ID of no request of the check.
    pub wrong_transaction_id: u32,
    /// Round-trip time of the first answer, in milliseconds.
    pub rtt_ms: Option<f64>,
    /// The reflexive address it saw.
    pub mapped: Option<SocketAddr>,
    /// OTHER-ADDRESS (or CHANGED-ADDRESS) it advertised.
    pub other_address: Option<SocketAddr>,
    /// RESPONSE-ORIGIN it advertised.
    pub response_origin: Option<SocketAddr>,
    /// SOFTWARE, if sent.
    pub software: Option<String>,
    /// Whether it can run the RFC 5780 filtering and mapping tests, and why not.
    pub rfc5780: String,
    /// MAPPED-ADDRESS and XOR-MAPPED-ADDRESS differed (an ALG on the path rewrote it).
    pub alg_rewrite: bool,
}

/// The outcome of the binding-lifetime measurement.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "result")]
pub enum Lifetime {
    /// The binding was alive after `alive_s` seconds and gone after `dead_s`.
    Between {
        /// Longest wait after which the binding was still alive.
        alive_s: f64,
        /// Shortest wait after which it was gone.
        dead_s: f64,
    },
    /// Still alive after the longest wait tried.
    AtLeast {
        /// The longest wait tried, in seconds.
        alive_s: f64,
    },
    /// The server does not support RESPONSE-PORT, or its answers did not come back.
    Unsupported {
        /// Why.
        reason: String,
    },
}

/// A whole NAT check for one address family.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// "ipv4" or "ipv6".
    pub family: &'static str,
    /// The local address of the mapping socket.
    pub local: Option<SocketAddr>,
    /// The public (server-reflexive) address seen by the primary server.
    pub mapped: Option<SocketAddr>,
    /// Every server asked.
    pub servers: Vec<ServerReport>,
    /// The RFC 5780-capable server the mapping and filtering tests ran against.
    pub primary: Option<SocketAddr>,
    /// Mapping behaviour.
    pub mapping: Mapping,
    /// How the mapping was found.
    pub mapping_basis: String,
    /// Filtering behaviour.
    pub filtering: Filtering,
    /// Why the filtering is unknown, or what confirmed it.
    pub filtering_basis: String,
    /// Whether the NAT hairpins (None: not applicable or not tested).
    pub hairpinning: Option<bool>,
    /// Whether the public port equals the local port.
    pub port_preservation: Option<bool>,
    /// Port allocation pattern (for endpoint-dependent mappings).
    pub port_allocation: Option<PortAllocation>,
    /// The public ports of the sequential probes, in order.
    pub port_probes: Vec<u16>,
    /// The classic name.
    pub classic: Classic,
    /// The WebRTC verdict.
    pub webrtc: Verdict,
    /// The verdict in plain language.
    pub webrtc_explained: String,
    /// Why the check could, or could not, judge the NAT.
    pub reason: Reason,
    /// The reason in plain language, server by server when none answered.
    pub reason_explained: String,
    /// Binding lifetime, when measured.
    pub lifetime: Option<Lifetime>,
    /// Anything odd: ALGs, servers ignoring CHANGE-REQUEST, inconsistent answers, replies from
    /// wrong addresses, re-checks.
    pub notes: Vec<String>,
    /// Datagrams sent and received.
    pub sent: u32,
    /// Datagrams received that matched a transaction.
    pub received: u32,
    /// Wall time of the check, in milliseconds.
    pub duration_ms: f64,
    /// Every request with its timing and outcome (for `--verbose`; not in JSON).
    #[serde(skip)]
    pub trace: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn rfc5780_mapping_decisions() {
        let x = a("203.0.113.1:5000");
        let y = a("203.0.113.1:5002");
        let z = a("203.0.113.1:5004");
        assert_eq!(
            mapping_rfc5780(x, Some(x), Some(x), Some(x)),
            Mapping::EndpointIndependent
        );
        assert_eq!(
            mapping_rfc5780(x, Some(y), Some(y), Some(x)),
            Mapping::AddressDependent
        );
        assert_eq!(
            mapping_rfc5780(x, Some(y), Some(z), Some(z)),
            Mapping::AddressAndPortDependent
        );
        // One lost reply does not make a symmetric NAT.
        assert_eq!(
            mapping_rfc5780(x, None, Some(x), Some(x)),
            Mapping::EndpointIndependent
        );
        assert_eq!(mapping_rfc5780(x, None, None, None), Mapping::Unknown);
    }

    #[test]
    fn comparison_mapping_says_unknown_rather_than_guessing() {
        let s1 = a("198.51.100.2:3478");
        let s2 = a("198.51.100.130:3478");
        let s3 = a("198.51.100.130:3479");
        let x = a("203.0.113.1:5000");
        let y = a("203.0.113.1:6000");
        assert_eq!(mapping_by_comparison(&[(s1, x)]), Mapping::Unknown);
        assert_eq!(
            mapping_by_comparison(&[(s1, x), (s2, x)]),
            Mapping::EndpointIndependent
        );
        assert_eq!(
            mapping_by_comparison(&[(s1, x), (s2, y)]),
            Mapping::EndpointDependent
        );
        assert_eq!(
            mapping_by_comparison(&[(s1, x), (s2, y), (s3, y)]),
            Mapping::AddressDependent
        );
        assert_eq!(
            mapping_by_comparison(&[(s1, x), (s2, y), (s3, a("203.0.113.1:7000"))]),
            Mapping::AddressAndPortDependent
        );
    }

    #[test]
    fn port_allocation_patterns() {
        assert_eq!(
            port_allocation(&[(1, 1), (2, 2), (3, 3)]),
            PortAllocation::Preserved
        );
        assert_eq!(
            port_allocation(&[(1, 30000), (2, 30002), (3, 30004), (4, 30006)]),
            PortAllocation::Sequential { delta: 2 }
        );
        // A retransmission that created an extra mapping skips one step.
        assert_eq!(
            port_allocation(&[(1, 30000), (2, 30002), (3, 30006), (4, 30008), (5, 30010)]),
            PortAllocation::Sequential { delta: 2 }
        );
        assert_eq!(
            port_allocation(&[(1, 41234), (2, 1999), (3, 60111), (4, 3222)]),
            PortAllocation::Random
        );
        assert_eq!(port_allocation(&[(1, 2)]), PortAllocation::Unknown);
    }

    #[test]
    fn classic_names_and_verdicts() {
        use Filtering as F;
        use Mapping as M;
        assert_eq!(
            classic(M::NoNat, F::EndpointIndependent, true),
            Classic::OpenInternet
        );
        assert_eq!(
            classic(M::NoNat, F::AddressAndPortDependent, true),
            Classic::SymmetricUdpFirewall
        );
        assert_eq!(
            classic(M::EndpointIndependent, F::AddressDependent, true),
            Classic::RestrictedCone
        );
        assert_eq!(
            classic(M::AddressDependent, F::EndpointIndependent, true),
            Classic::Symmetric
        );
        assert_eq!(classic(M::Unknown, F::Unknown, false), Classic::UdpBlocked);
        assert_eq!(verdict(Classic::UdpBlocked), Verdict::TurnNeeded);
        assert_eq!(verdict(Classic::Symmetric), Verdict::SomePeers);
        assert_eq!(verdict(Classic::FullCone), Verdict::DirectLikely);
    }

    #[test]
    fn unknown_filtering_is_never_judged_better_than_the_strictest() {
        assert_eq!(
            verdict(Classic::ConeFilteringUnknown),
            verdict(Classic::PortRestrictedCone)
        );
        assert_eq!(
            verdict(Classic::NoNatFilteringUnknown),
            verdict(Classic::SymmetricUdpFirewall)
        );
        let cone = Verdict::DirectLikely.explain(Classic::ConeFilteringUnknown);
        assert!(cone.contains("symmetric NAT it needs TURN"), "{cone}");
        assert_ne!(
            cone,
            Verdict::DirectLikely.explain(Classic::FullCone),
            "not the full cone's 'almost any peer'"
        );
    }
}
