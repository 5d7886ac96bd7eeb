//! Passive NAT inference: what a capture shows of each host's NAT mapping behaviour.
//!
//! A NAT check (`rtcscope nat`, crates/nat) probes servers on purpose; a capture only holds what
//! the call itself asked. Still, every STUN Binding response, TURN Allocate response and ICE
//! check response carries the address its sender saw (XOR-MAPPED-ADDRESS): one observation of a
//! mapping, *from this socket, toward that destination, the NAT used that public address*. Two
//! of them from one socket toward different destinations are exactly what RFC 4787 §4.1 compares,
//! so they go through the NAT check's own classifier
//! ([`mapping_by_comparison`], [`port_allocation`]) and the two commands speak one language.
//!
//! Where the capture point sits decides what can be seen:
//! * **inside the NAT** (the host's private address is in the capture): the local socket is known,
//!   and the observations of each socket are compared directly;
//! * **outside the NAT** (the capture sees the translated addresses, e.g. at a bridge between NATs
//!   or at the TURN server): every response says "as captured", so the socket behind the NAT is
//!   linked through ICE instead: the peer's checks target a server-reflexive address that a STUN
//!   server reported for the host, and an ICE agent checks from the socket it gathered that
//!   address on. If the host's own checks to the peer leave from that same address, the mapping
//!   did not change with the destination; if they leave only from ports no server ever saw, it
//!   did ("symmetric"). That link is an inference, so its confidence is at most medium.
//!
//! A host with a single destination gives no comparison: its mapping is `unknown`, said so, with
//! what was seen.

use crate::report::SessionReport;
use crate::turn::Allocation;
use crate::Reflexive;
use rtcscope_nat::report::{mapping_by_comparison, port_allocation, Mapping, PortAllocation};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// Hosts inferred at most (one per captured address behind or at a NAT).
pub const MAX_HOSTS: usize = 64;
/// Observations kept as evidence per host.
pub const MAX_EVIDENCE: usize = 6;

/// Where the capture point is, relative to the host's NAT, as the observations show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum View {
    /// The captured address differs from what the servers saw: the capture is inside the NAT.
    Inside,
    /// Every server saw the address as captured: the capture is outside any NAT of this host
    /// (or there is none).
    Outside,
}

/// How far the evidence carries the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Mappings of one known socket compared across destinations on different addresses.
    High,
    /// A comparison resting on an inference (the ICE link from outside the NAT), or on
    /// destinations that differ in port only.
    Medium,
    /// Too little to compare: one destination only.
    Low,
}

/// One observed mapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// The socket as captured.
    pub local: SocketAddr,
    /// Where its packets went.
    pub destination: SocketAddr,
    /// The address the destination saw.
    pub mapped: SocketAddr,
    /// What showed it: `stun-binding`, `turn-allocate`, `ice-check` (a check response's
    /// XOR-MAPPED-ADDRESS), or `ice-source` (outside the NAT: the host's check to the peer left
    /// from this address).
    pub how: &'static str,
    /// When (ns since the epoch).
    pub at_ns: i64,
}

/// What the capture says of one host's NAT.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NatInference {
    /// The host's address as captured.
    pub host: IpAddr,
    /// The public addresses servers and peers saw for it.
    pub public: Vec<IpAddr>,
    /// Where the capture point sits.
    pub view: View,
    /// Mapping behaviour (RFC 4787 §4.1), in the NAT check's terms.
    pub mapping: Mapping,
    /// Port allocation across the host's sockets (inside view only: the local ports must be
    /// known), in the NAT check's terms.
    pub port_allocation: PortAllocation,
    /// How far the evidence carries it.
    pub confidence: Confidence,
    /// One sentence: what was compared.
    pub explanation: String,
    /// The observations it rests on (at most [`MAX_EVIDENCE`]).
    pub evidence: Vec<Observation>,
    /// Observations in all.
    pub observations: usize,
}

/// Every observed mapping of a report: STUN Binding and TURN Allocate responses, and ICE check
/// responses.
fn observations(
    reflexive: &[Reflexive],
    allocations: &[Allocation],
    sessions: &[SessionReport],
) -> Vec<Observation> {
    let mut v = Vec::new();
    for r in reflexive {
        v.push(Observation {
            local: r.local,
            destination: r.server,
            mapped: r.mapped,
            how: "stun-binding",
            at_ns: r.at_ns,
        });
    }
    for a in allocations {
        if let (Some(mapped), Some(at)) = (a.mapped, a.allocated_ns) {
            v.push(Observation {
                local: a.client,
                destination: a.server,
                mapped,
                how: "turn-allocate",
                at_ns: at,
            });
        }
    }
    for s in sessions {
        for p in &s.pairs {
            // A relayed pair's mapped address is the TURN server's view of the relay, not a NAT's.
            if p.relay.is_some() {
                continue;
            }
            if let (Some(mapped), Some(at)) = (p.mapped, p.succeeded_ns) {
                v.push(Observation {
                    local: p.local,
                    destination: p.remote,
                    mapped,
                    how: "ice-check",
                    at_ns: at,
                });
            }
        }
    }
    v.sort_by_key(|o| o.at_ns);
    v
}

/// The strongest of several sockets' mappings: one socket proven dependent makes the NAT so.
fn strongest(a: Mapping, b: Mapping) -> Mapping {
    let rank = |m: Mapping| match m {
        Mapping::AddressAndPortDependent => 5,
        Mapping::AddressDependent => 4,
        Mapping::EndpointDependent => 3,
        Mapping::EndpointIndependent => 2,
        Mapping::NoNat => 1,
        Mapping::Unknown => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Destinations of `seen` on at least two addresses.
fn several_ips(seen: &[(SocketAddr, SocketAddr)]) -> bool {
    seen.iter().any(|(d, _)| d.ip() != seen[0].0.ip())
}

fn inside(host: IpAddr, obs: &[&Observation]) -> NatInference {
    let mut sockets: Vec<SocketAddr> = obs.iter().map(|o| o.local).collect();
    sockets.sort();
    sockets.dedup();
    let mut mapping = Mapping::Unknown;
    let mut confidence = Confidence::Low;
    let mut compared = 0;
    for s in &sockets {
        let mut seen: Vec<(SocketAddr, SocketAddr)> = Vec::new();
        for o in obs.iter().filter(|o| o.local == *s) {
            if !seen
                .iter()
                .any(|(d, m)| *d == o.destination && *m == o.mapped)
            {
                seen.push((o.destination, o.mapped));
            }
        }
        if seen.len() < 2 {
            continue;
        }
        compared += 1;
        mapping = strongest(mapping, mapping_by_comparison(&seen));
        confidence = confidence.min(if several_ips(&seen) {
            Confidence::High
        } else {
            Confidence::Medium
        });
    }
    // Port allocation: each socket's first mapping, in the order they were made.
    let mut firsts: Vec<(i64, u16, u16)> = Vec::new();
    for s in &sockets {
        if let Some(o) = obs.iter().find(|o| o.local == *s) {
            firsts.push((o.at_ns, s.port(), o.mapped.port()));
        }
    }
    firsts.sort_unstable();
    let probes: Vec<(u16, u16)> = firsts.iter().map(|&(_, l, p)| (l, p)).collect();
    let allocation = port_allocation(&probes);
    let explanation = if compared == 0 {
        format!(
            "{} socket(s) of {host} each reached one destination only: nothing to compare",
            sockets.len()
        )
    } else {
        format!(
            "the mappings of {compared} socket(s) of {host} compared across destinations: {}",
            mapping.describe()
        )
    };
    NatInference {
        host,
        public: public_of(obs),
        view: View::Inside,
        mapping,
        port_allocation: allocation,
        confidence,
        explanation,
        evidence: obs
            .iter()
            .take(MAX_EVIDENCE)
            .map(|o| (*o).clone())
            .collect(),
        observations: obs.len(),
    }
}

fn public_of(obs: &[&Observation]) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = obs.iter().map(|o| o.mapped.ip()).collect();
    v.sort();
    v.dedup();
    v
}

/// Outside the NAT: the ICE link between what servers saw and where checks left from.
fn outside(host: IpAddr, obs: &[&Observation], sessions: &[SessionReport]) -> NatInference {
    let reflexive: Vec<&&Observation> = obs.iter().filter(|o| o.how != "ice-check").collect();
    let pairs = || {
        sessions
            .iter()
            .flat_map(|s| s.pairs.iter())
            .filter(|p| p.relay.is_none())
    };
    // Server-reflexive addresses of this host that the peer's checks targeted.
    let targeted: Vec<&&Observation> = reflexive
        .iter()
        .copied()
        .filter(|o| pairs().any(|p| p.remote == o.mapped))
        .collect();
    let mut evidence: Vec<Observation> = Vec::new();
    let mut mapping = Mapping::Unknown;
    let mut explanation = String::new();
    if let Some(r) = targeted.first() {
        // The host's own checks toward the peers that targeted it.
        let peers: Vec<IpAddr> = pairs()
            .filter(|p| p.remote == r.mapped)
            .map(|p| p.local.ip())
            .collect();
        let sources: Vec<(SocketAddr, SocketAddr, i64)> = pairs()
            .filter(|p| p.local.ip() == host && peers.contains(&p.remote.ip()))
            .map(|p| (p.local, p.remote, p.first_ns))
            .collect();
        let same = sources.iter().find(|(l, _, _)| *l == r.mapped);
        let unseen: Vec<&(SocketAddr, SocketAddr, i64)> = sources
            .iter()
            .filter(|(l, _, _)| !reflexive.iter().any(|o| o.mapped == *l))
            .collect();
        let chosen = match (same, unseen.first()) {
            (Some(s), _) => Some(*s),
            (None, Some(u)) if unseen.len() == sources.len() => Some(**u),
            _ => None,
        };
        if let Some((source, peer, at)) = chosen {
            evidence.push((**r).clone());
            evidence.push(Observation {
                local: source,
                destination: peer,
                mapped: source,
                how: "ice-source",
                at_ns: at,
            });
            mapping = mapping_by_comparison(&[(r.destination, r.mapped), (peer, source)]);
            explanation = if source == r.mapped {
                format!(
                    "{} saw {host} as {}, the peer's checks went there, and {host}'s own checks \
                     to {peer} left from that same address: one mapping for both destinations",
                    r.destination, r.mapped
                )
            } else {
                format!(
                    "{} saw {host} as {}, the peer's checks went there, but {host}'s own checks \
                     to {peer} left from {source}, a port no server ever saw: a new mapping for \
                     the new destination",
                    r.destination, r.mapped
                )
            };
        }
    }
    let private = match host {
        IpAddr::V4(v) => v.is_private() || v.is_link_local(),
        IpAddr::V6(v) => (v.segments()[0] & 0xfe00) == 0xfc00 || v.is_unicast_link_local(),
    };
    if explanation.is_empty() && private {
        // A private address that servers and peers saw unchanged was not translated on the
        // way to them: no NAT between this host and them.
        mapping = Mapping::NoNat;
        explanation = format!(
            "every server and peer that answered saw {host}, a private address, as captured: \
             no address translation between it and them"
        );
        evidence.extend(obs.iter().take(MAX_EVIDENCE).map(|o| (*o).clone()));
    } else if explanation.is_empty() {
        explanation = format!(
            "the capture sees {host} after any NAT, and no ICE check ties the address a server \
             saw to the checks it sent: nothing to compare"
        );
        evidence.extend(obs.iter().take(MAX_EVIDENCE).map(|o| (*o).clone()));
    }
    NatInference {
        host,
        public: vec![host],
        view: View::Outside,
        mapping,
        port_allocation: PortAllocation::Unknown,
        confidence: if mapping == Mapping::Unknown {
            Confidence::Low
        } else {
            Confidence::Medium
        },
        explanation,
        evidence,
        observations: obs.len(),
    }
}

/// What the capture says of each host's NAT, from the report's reflexive addresses, TURN
/// allocations and ICE sessions: one entry per captured host address that some server or peer
/// reported a mapping for (at most [`MAX_HOSTS`]), in order of first observation.
pub fn infer(
    reflexive: &[Reflexive],
    allocations: &[Allocation],
    sessions: &[SessionReport],
) -> Vec<NatInference> {
    let all = observations(reflexive, allocations, sessions);
    let mut hosts: Vec<IpAddr> = Vec::new();
    for o in &all {
        if !hosts.contains(&o.local.ip()) && hosts.len() < MAX_HOSTS {
            hosts.push(o.local.ip());
        }
    }
    hosts
        .into_iter()
        .map(|host| {
            let obs: Vec<&Observation> = all.iter().filter(|o| o.local.ip() == host).collect();
            if obs.iter().any(|o| o.mapped != o.local) {
                inside(host, &obs)
            } else {
                outside(host, &obs, sessions)
            }
        })
        .collect()
}
