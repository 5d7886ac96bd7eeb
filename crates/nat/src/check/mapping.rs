//! Mapping (RFC 5780 §4.3, RFC 4787 §4.1): the reflexive addresses the mapping socket got from
//! the primary's four address combinations, or, without an RFC 5780 server, from independent
//! servers compared.

use super::requests::Kind;
use super::NatCheck;
use crate::report::{self, Mapping};
use std::net::SocketAddr;

impl NatCheck {
    /// The mapping socket's local address.
    pub(super) fn m_local(&self) -> Option<SocketAddr> {
        self.m.and_then(|m| self.socks[m].local)
    }

    /// True when the reflexive address is the local one.
    pub(super) fn no_nat(&self) -> bool {
        let local = self.m_local();
        self.helper_server()
            .and_then(|h| self.mapped(self.bind_kind(h)))
            .is_some_and(|x| Some(x) == local)
    }

    /// Decides the mapping from the RFC 5780 tests, or by comparing servers.
    pub(super) fn decide_mapping(&mut self) {
        let n = self.cfg.servers.len();
        let seen: Vec<(SocketAddr, SocketAddr)> = (0..n)
            .filter_map(|i| {
                self.mapped(self.bind_kind(i))
                    .map(|x| (self.cfg.servers[i], x))
            })
            .collect();
        if seen.is_empty() {
            self.mapping = Mapping::Unknown;
            self.mapping_basis = "no server answered".into();
            self.mapping_done = true;
            return;
        }
        if let Some(p) = self.primary {
            if !(self.done(Kind::MapAp) && self.done(Kind::MapAa) && self.done(Kind::MapPa)) {
                return;
            }
            let x1 = self.mapped(self.bind_kind(p));
            let Some(x1) = x1 else {
                self.mapping_done = true;
                return;
            };
            let local = self.m_local();
            let (ap, aa, pa) = (
                self.mapped(Kind::MapAp),
                self.mapped(Kind::MapAa),
                self.mapped(Kind::MapPa),
            );
            let all = [Some(x1), ap, aa, pa];
            if Some(x1) == local && all.iter().flatten().all(|x| Some(*x) == local) {
                self.mapping = Mapping::NoNat;
            } else {
                self.mapping = report::mapping_rfc5780(x1, ap, aa, pa);
            }
            let answered = all.iter().flatten().count();
            self.mapping_basis = format!(
                "RFC 5780 tests against {} and its other address {} ({answered} of 4 mappings answered)",
                self.cfg.servers[p],
                self.other.map(|o| o.to_string()).unwrap_or_default()
            );
            // Cross-check with the other servers.
            let cross = report::mapping_by_comparison(&seen);
            if self.mapping == Mapping::EndpointIndependent && cross.is_endpoint_dependent() {
                self.notes.push(
                    "independent servers saw different public addresses although the RFC 5780 server saw one: the NAT may use several public addresses (address pooling)".into(),
                );
            }
        } else {
            let local = self.m_local();
            if seen.iter().all(|(_, x)| Some(*x) == local) {
                self.mapping = Mapping::NoNat;
            } else {
                self.mapping = report::mapping_by_comparison(&seen);
            }
            self.mapping_basis = if seen.len() < 2 {
                "only one server answered and none supports RFC 5780: mapping cannot be compared"
                    .into()
            } else {
                format!(
                    "compared the public addresses seen by {} independent servers (none supports RFC 5780)",
                    seen.len()
                )
            };
        }
        self.mapping_done = true;
    }
}
