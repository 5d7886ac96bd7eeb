//! Candidate types (RFC 8445 §5.1.1: host, server-reflexive, peer-reflexive, relayed) of
//! each side of a candidate pair: from the SDPs' `a=candidate` lines when they were given,
//! else inferred from what the capture shows, and then marked as inferred.
//!
//! What the capture shows:
//! * a pair whose checks travelled inside a TURN allocation has a **relay** local candidate
//!   (the allocation's relayed address), and a remote address that is the relayed address of
//!   an allocation in the capture is a **relay** candidate too;
//! * an address a STUN server reported in XOR-MAPPED-ADDRESS (a plain Binding, or an
//!   Allocate success) is **srflx**;
//! * an address a connectivity check's success reported in XOR-MAPPED-ADDRESS, other than the
//!   address the check was sent from, is **prflx** (learned from the peer, RFC 8445 §7.2.5.3.1);
//!   with SDPs, an address no SDP announced is **prflx** as well;
//! * without SDPs, another address at the public IP of a NAT the capture saw translate (a STUN
//!   server or TURN server reported a mapping to another IP than the sender's) is **srflx**: a
//!   host candidate cannot carry the NAT's address, so it is some host's mapping behind that
//!   NAT (a peer behind the same NAT, say);
//! * anything else is **host**.

use crate::flow::Transport;
use crate::ice::CandidatePair;
use crate::sdp_hints::SdpCandidate;
use crate::{Engine, Map};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// One side's candidate type, and whether it was inferred.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CandidateType {
    /// `host`, `srflx`, `prflx`, `relay` (or an extension type an SDP named).
    #[serde(rename = "type")]
    pub typ: String,
    /// True when the SDPs did not give it: inferred from the capture (see the module docs).
    pub inferred: bool,
}

impl std::fmt::Display for CandidateType {
    /// `host`, or `host?` when inferred.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.inferred {
            f.pad(&format!("{}?", self.typ))
        } else {
            f.pad(&self.typ)
        }
    }
}

impl CandidateType {
    fn inferred(typ: &str) -> Self {
        CandidateType {
            typ: typ.to_owned(),
            inferred: true,
        }
    }
}

impl Engine {
    /// Gives the engine the candidates the SDPs announced (`--sdp`), which name candidate
    /// types exactly where the capture can only infer them.
    pub fn set_sdp_candidates(&mut self, candidates: Vec<SdpCandidate>) {
        self.sdp_candidates = candidates;
        self.sdp_given = true;
    }

    /// The candidate types the SDPs announced, one per candidate (none when no SDP was
    /// given; empty when the SDPs announced no candidate).
    pub fn sdp_candidate_types(&self) -> Option<Vec<String>> {
        self.sdp_given
            .then(|| self.sdp_candidates.iter().map(|c| c.typ.clone()).collect())
    }

    /// What the capture tells about addresses, indexed once, to type every pair's candidates
    /// (see the module docs).
    pub fn candidate_typer(&self) -> CandidateTyper<'_> {
        let mut known: Map<SocketAddr, &'static str> = Map::default();
        // Weakest first: a later, stronger finding overwrites.
        for p in &self.ice().pairs {
            if let Some(m) = p.mapped.filter(|&m| m != p.local) {
                known.insert(m, "prflx");
            }
        }
        for r in self.reflexive() {
            known.insert(r.mapped, "srflx");
        }
        for a in &self.turn().allocations {
            if let Some(m) = a.mapped {
                known.insert(m, "srflx");
            }
        }
        for a in &self.turn().allocations {
            if let Some(r) = a.relayed {
                known.insert(r, "relay");
            }
        }
        // Public IPs of NATs: a mapping to another IP than the sender's. A server that saw
        // the sender's own address (no NAT, or a capture outside the NAT) says nothing here.
        let mut nat_ips: Vec<IpAddr> = self
            .reflexive()
            .iter()
            .map(|r| (r.local, r.mapped))
            .chain(
                self.turn()
                    .allocations
                    .iter()
                    .filter_map(|a| Some((a.client, a.mapped?))),
            )
            .filter(|(local, mapped)| local.ip() != mapped.ip())
            .map(|(_, mapped)| mapped.ip())
            .collect();
        nat_ips.sort_unstable();
        nat_ips.dedup();
        CandidateTyper {
            sdp: &self.sdp_candidates,
            known,
            nat_ips,
        }
    }
}

/// Types candidates from the SDPs and an index of what the capture showed
/// ([`Engine::candidate_typer`]).
pub struct CandidateTyper<'a> {
    sdp: &'a [SdpCandidate],
    known: Map<SocketAddr, &'static str>,
    /// Public IPs of NATs the capture saw translate, sorted.
    nat_ips: Vec<IpAddr>,
}

impl CandidateTyper<'_> {
    /// The local and remote candidate types of `pair`.
    pub fn types(&self, pair: &CandidatePair) -> (CandidateType, CandidateType) {
        (
            self.of(pair.local, pair.transport, pair.relay.is_some()),
            self.of(pair.remote, pair.transport, false),
        )
    }

    fn of(&self, addr: SocketAddr, transport: Transport, relayed_here: bool) -> CandidateType {
        if let Some(c) = SdpCandidate::find(self.sdp, addr, transport) {
            return CandidateType {
                typ: c.typ.clone(),
                inferred: false,
            };
        }
        if relayed_here {
            return CandidateType::inferred("relay");
        }
        match self.known.get(&addr) {
            Some(t) => CandidateType::inferred(t),
            // With SDPs, an address no SDP announced was learned from the peer's checks.
            None if !self.sdp.is_empty() => CandidateType::inferred("prflx"),
            // At a NAT's public IP: some host's mapping behind that NAT.
            None if self.nat_ips.binary_search(&addr.ip()).is_ok() => {
                CandidateType::inferred("srflx")
            }
            None => CandidateType::inferred("host"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inferred_types_carry_a_question_mark() {
        assert_eq!(CandidateType::inferred("relay").to_string(), "relay?");
        let sdp = CandidateType {
            typ: "host".into(),
            inferred: false,
        };
        assert_eq!(format!("{sdp:<6}|"), "host  |");
    }
}
