//! Phase 1: a Binding request to every server (and the same from a socket connected to it,
//! where an ICMP error shows), the re-check on a fresh socket when none answers, the choice of
//! the primary (the first RFC 5780-capable server), and what each server turned out to be.

use super::requests::{Kind, Outcome};
use super::{NatCheck, Unreachable};
use crate::msg::Response;
use crate::report::ServerStatus;
use std::net::SocketAddr;
use std::time::Instant;

/// Why a server cannot run the RFC 5780 tests, judged from its Binding answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Incapable {
    /// No OTHER-ADDRESS (nor CHANGED-ADDRESS): a plain RFC 5389 server.
    NoOtherAddress,
    /// OTHER-ADDRESS on the server's own IP address.
    OtherAddressSameIp,
    /// OTHER-ADDRESS on the server's own port.
    OtherAddressSamePort,
    /// OTHER-ADDRESS of another address family.
    OtherAddressFamily,
}

impl core::fmt::Display for Incapable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Incapable::NoOtherAddress => {
                "no OTHER-ADDRESS: a plain RFC 5389 server, which cannot test filtering"
            }
            Incapable::OtherAddressSameIp => {
                "OTHER-ADDRESS on the same IP address: it cannot test filtering"
            }
            Incapable::OtherAddressSamePort => {
                "OTHER-ADDRESS on the same port: it cannot test filtering"
            }
            Incapable::OtherAddressFamily => "OTHER-ADDRESS of another address family",
        })
    }
}

/// Whether a server (at `server`) that answered `resp` can run the RFC 5780 tests.
pub fn capability(server: SocketAddr, resp: &Response) -> Result<(), Incapable> {
    let o = resp.other().ok_or(Incapable::NoOtherAddress)?;
    if o.is_ipv4() != server.is_ipv4() {
        Err(Incapable::OtherAddressFamily)
    } else if o.ip() == server.ip() {
        Err(Incapable::OtherAddressSameIp)
    } else if o.port() == server.port() {
        Err(Incapable::OtherAddressSamePort)
    } else {
        Ok(())
    }
}

impl NatCheck {
    /// The server whose address `src` is: its own address, else its IP address (an answer
    /// from its other port), else the primary's other address.
    pub(super) fn server_of(&self, src: SocketAddr) -> Option<usize> {
        let s = &self.cfg.servers;
        s.iter()
            .position(|a| *a == src)
            .or_else(|| s.iter().position(|a| a.ip() == src.ip()))
            .or_else(|| {
                self.primary
                    .filter(|_| self.other.is_some_and(|o| o.ip() == src.ip()))
            })
    }

    /// Stops the connected probes whose servers answered (or all, once the primary is
    /// decided): they only tell a closed port from silence.
    pub(super) fn cancel_reach(&mut self) {
        let answered: Vec<bool> = (0..self.cfg.servers.len())
            .map(|i| {
                self.primary_decided
                    || (0..=self.bind_round).any(|round| {
                        matches!(
                            self.outcome(Kind::Bind { server: i, round }),
                            Some(Outcome::Response { .. })
                        )
                    })
            })
            .collect();
        let mut close = Vec::new();
        for t in self.txns.iter_mut() {
            if let Kind::Reach { server } = t.tx.request {
                if answered[server] && t.outcome.is_none() {
                    t.outcome = Some(Outcome::Timeout);
                }
                if t.outcome.is_some() {
                    close.push(t.tx.from);
                }
            }
        }
        for id in close {
            self.close(id);
        }
    }

    /// Server `server`'s Binding of the current round.
    pub(super) fn bind_kind(&self, server: usize) -> Kind {
        Kind::Bind {
            server,
            round: self.bind_round,
        }
    }

    /// Waits for the first Bindings, re-checks on a fresh socket after silence, chooses the
    /// primary and starts the mapping, filtering and hairpin tests.
    pub(super) fn decide_primary(&mut self, now: Instant) {
        let n = self.cfg.servers.len();
        let any = (0..n).any(|i| self.response(self.bind_kind(i)).is_some());
        // Silence after three transmissions to every server: start the re-check on a fresh
        // socket now, beside the first, so that "UDP blocked" takes one window, not two.
        let silent = !any
            && self.bind_round == 0
            && (0..n).all(|i| {
                self.txn(self.bind_kind(i))
                    .is_some_and(|t| t.tx.schedule.sent >= 3 || t.outcome.is_some())
            });
        // Wait for servers in order: the first RFC 5780-capable one becomes the primary.
        let mut chosen = None;
        for i in 0..n {
            match self.outcome(self.bind_kind(i)) {
                None if silent => break,
                None => return,
                Some(Outcome::Response { resp, .. })
                    if resp.success && capability(self.cfg.servers[i], resp).is_ok() =>
                {
                    chosen = Some(i);
                    break;
                }
                _ => {}
            }
        }
        if chosen.is_none() && (0..n).any(|i| !self.done(self.bind_kind(i))) && !silent {
            return;
        }
        // Every server refused with ICMP: that is an answer, there is nothing to re-check.
        let all_refused = (0..n).all(|i| {
            matches!(
                self.outcome(self.bind_kind(i)),
                Some(Outcome::Unreachable(_))
            )
        });
        if !any && self.bind_round == 0 && !all_refused {
            // No answer at all: re-check once on a fresh socket before saying "UDP blocked".
            self.notes
                .push("no server answered the first socket; re-checked on a fresh socket".into());
            self.bind_round = 1;
            let m = self.open();
            self.m = Some(m);
            for (i, s) in self.cfg.servers.clone().into_iter().enumerate() {
                self.request(now, self.bind_kind(i), m, s, (false, false), s);
                // A server known to refuse is not asked to answer again.
                if let (Some(k), Some(t)) = (self.junk[i].icmp, self.txns.last_mut()) {
                    t.outcome = Some(Outcome::Unreachable(k));
                }
            }
            return;
        }
        self.primary_decided = true;
        self.primary = chosen;

        if !any {
            return;
        }
        let m = self.m.unwrap_or(0);
        if let Some(p) = chosen {
            let pa = self.cfg.servers[p];
            let o = self
                .response(self.bind_kind(p))
                .and_then(Response::other)
                .unwrap_or(pa);
            self.other = Some(o);
            let ap = SocketAddr::new(o.ip(), pa.port());
            let pa2 = SocketAddr::new(pa.ip(), o.port());
            self.request(now, Kind::MapAp, m, ap, (false, false), ap);
            self.request(now, Kind::MapAa, m, o, (false, false), o);
            self.request(now, Kind::MapPa, m, pa2, (false, false), pa2);
            // Two filtering sockets side by side: every verdict is seen twice, and a negative
            // one costs one window, not two.
            self.start_filter_round(now);
            self.f_round = 1;
            self.start_filter_round(now);
        }
        self.start_hairpin_round(now);
    }

    /// Whether server `i` can run the RFC 5780 tests, in words.
    pub(super) fn capability_text(&self, i: usize) -> String {
        match (
            self.response(self.bind_kind(i)),
            self.outcome(self.bind_kind(i)),
        ) {
            (Some(r), _) => match capability(self.cfg.servers[i], r) {
                Ok(()) => "supported: OTHER-ADDRESS on another IP address and port".into(),
                Err(e) => e.to_string(),
            },
            (None, Some(Outcome::Response { resp, .. })) => format!(
                "not tested: it answered Binding with error {}",
                resp.error_code().unwrap_or(0)
            ),
            (None, Some(_)) => format!("not tested: {}", self.server_status(i).describe()),
            (None, None) => "not answered yet".into(),
        }
    }

    /// What became of server `i`'s Binding requests.
    pub(super) fn server_status(&self, i: usize) -> ServerStatus {
        let answered = (0..=self.bind_round).any(|round| {
            matches!(
                self.outcome(Kind::Bind { server: i, round }),
                Some(Outcome::Response { .. })
            )
        });
        let j = &self.junk[i];
        if answered {
            ServerStatus::Answered
        } else if let Some(k) = j.icmp {
            match k {
                Unreachable::Port => ServerStatus::PortUnreachable,
                Unreachable::Host | Unreachable::Network => ServerStatus::HostUnreachable,
            }
        } else if j.wrong_id + j.malformed > 0 {
            ServerStatus::BrokenStun
        } else if j.not_stun > 0 {
            ServerStatus::NotStun
        } else {
            ServerStatus::NoAnswer
        }
    }

    /// The server the hairpin and port tests use: the primary, else the first that answered.
    pub(super) fn helper_server(&self) -> Option<usize> {
        self.primary.or_else(|| {
            (0..self.cfg.servers.len()).find(|&i| self.response(self.bind_kind(i)).is_some())
        })
    }
}
