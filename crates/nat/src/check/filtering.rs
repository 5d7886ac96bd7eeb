//! Filtering (RFC 5780 §4.4, RFC 4787 §5): CHANGE-REQUEST from fresh sockets that only ever
//! talk to the primary address, each verdict seen alike on two sockets, and the proof on the
//! mapping socket that the server honours CHANGE-REQUEST at all.

use super::requests::{Kind, Outcome};
use super::{NatCheck, SocketId};
use crate::report::{Filtering, Mapping};
use std::net::SocketAddr;
use std::time::Instant;

/// The three requests of a filtering socket, all to the primary address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FilterTest {
    /// Plain Binding: did this socket reach the server at all?
    Base,
    /// CHANGE-REQUEST IP and port: the answer comes from the other IP address and port.
    Both,
    /// CHANGE-REQUEST port: the answer comes from the other port.
    Port,
}

impl NatCheck {
    /// Proves on the mapping socket that the server honours CHANGE-REQUEST (endpoint-
    /// independent mappings only).
    pub(super) fn step_capability(&mut self, now: Instant, m: SocketId) {
        // Once M has sent to every address the server answers from, a CHANGE-REQUEST on M must
        // be answered through any filter of an endpoint-independent mapping: this proves the
        // server honours CHANGE-REQUEST, so silence on the filtering socket means filtering.
        if self.caps_started || !self.mapping_done || self.primary.is_none() {
            return;
        }
        if !matches!(self.mapping, Mapping::EndpointIndependent | Mapping::NoNat) {
            return;
        }
        let (Some(p), Some(o)) = (self.primary, self.other) else {
            return;
        };
        self.caps_started = true;
        let pa = self.cfg.servers[p];
        self.request(now, Kind::CapBoth, m, pa, (true, true), o);
        self.request(
            now,
            Kind::CapPort,
            m,
            pa,
            (false, true),
            SocketAddr::new(pa.ip(), o.port()),
        );
        // Loss must not pass for "the server ignores CHANGE-REQUEST": twice the transmissions.
        let attempts = self.cfg.attempts * 2;
        for t in self
            .txns
            .iter_mut()
            .filter(|t| matches!(t.tx.request, Kind::CapBoth | Kind::CapPort))
        {
            t.tx.schedule.attempts = attempts;
        }
    }

    /// Opens filtering socket `f_round` and sends its three requests.
    pub(super) fn start_filter_round(&mut self, now: Instant) {
        let (Some(p), Some(o)) = (self.primary, self.other) else {
            return;
        };
        let pa = self.cfg.servers[p];
        let f = self.open();
        self.f_socks.push(f);
        let round = self.f_round;
        self.request(
            now,
            Kind::Filter {
                round,
                test: FilterTest::Base,
            },
            f,
            pa,
            (false, false),
            pa,
        );
        self.request(
            now,
            Kind::Filter {
                round,
                test: FilterTest::Both,
            },
            f,
            pa,
            (true, true),
            o,
        );
        self.request(
            now,
            Kind::Filter {
                round,
                test: FilterTest::Port,
            },
            f,
            pa,
            (false, true),
            SocketAddr::new(pa.ip(), o.port()),
        );
    }

    /// Decides filtering once the filtering sockets agree (or asks another socket).
    pub(super) fn step_filtering(&mut self, now: Instant) {
        if self.primary.is_none() {
            let why = if self.helper_server().is_none() {
                "no server answered".to_string()
            } else {
                "no server can test filtering: ".to_string()
                    + &self
                        .cfg
                        .servers
                        .iter()
                        .enumerate()
                        .map(|(i, s)| format!("{s}: {}", self.capability_text(i)))
                        .collect::<Vec<_>>()
                        .join("; ")
            };
            self.filtering = Some((Filtering::Unknown, why));
            return;
        }
        let last = self.f_round;
        let complete = |c: &Self, round: u8| {
            [FilterTest::Base, FilterTest::Both, FilterTest::Port]
                .into_iter()
                .all(|test| c.done(Kind::Filter { round, test }))
        };
        if !(0..=last).all(|r| complete(self, r)) {
            return;
        }
        // A server that answers a CHANGE-REQUEST from the unchanged address ignores it.
        for round in 0..=last {
            for test in [FilterTest::Both, FilterTest::Port] {
                match self.outcome(Kind::Filter { round, test }) {
                    Some(Outcome::WrongSource { from }) => {
                        let from = *from;
                        self.filtering = Some((
                            Filtering::Unknown,
                            format!("the server ignores CHANGE-REQUEST (the reply came from {from}): it cannot test filtering"),
                        ));
                        return;
                    }
                    Some(Outcome::Response { resp, .. }) if !resp.success => {
                        let code = resp.error_code().unwrap_or(0);
                        self.filtering = Some((
                            Filtering::Unknown,
                            format!(
                                "the server refused CHANGE-REQUEST with error {code}: it cannot test filtering"
                            ),
                        ));
                        return;
                    }
                    _ => {}
                }
            }
        }
        let ok = |c: &Self, round: u8, test| {
            matches!(c.outcome(Kind::Filter { round, test }),
                Some(Outcome::Response { resp, .. }) if resp.success)
        };
        // Rounds whose socket reached the server at all; each gives a (both, port) pair.
        let valid: Vec<(bool, bool)> = (0..=last)
            .filter(|&r| ok(self, r, FilterTest::Base))
            .map(|r| (ok(self, r, FilterTest::Both), ok(self, r, FilterTest::Port)))
            .collect();
        // The verdict stands when two sockets agree; otherwise one more socket (at most four)
        // decides. A stray positive (state a previous user of the same port left in the NAT)
        // and a stray negative (every retransmission lost) both need two sockets to agree.
        let agreed = |v: &[(bool, bool)]| {
            v.iter()
                .find(|x| v.iter().filter(|y| y == x).count() >= 2)
                .copied()
        };
        let verdict = agreed(&valid);
        if verdict.is_none() && last < 3 {
            self.notes.push(
                "two filtering sockets disagreed (or one did not reach the server); asked a fresh one".into(),
            );
            self.f_round = last + 1;
            self.start_filter_round(now);
            return;
        }
        let Some((both, port)) = verdict else {
            self.filtering = Some((
                Filtering::Unknown,
                "the filtering sockets never agreed (heavy loss, or the server is unreliable)"
                    .into(),
            ));
            return;
        };
        let negative = !both || !port;
        // Negative answers count only if the server proved it honours CHANGE-REQUEST, where
        // that can be proved (endpoint-independent mapping).
        if self.caps_started && negative && !(self.done(Kind::CapBoth) && self.done(Kind::CapPort))
        {
            return;
        }
        let cap = |c: &Self, kind| match c.outcome(kind) {
            Some(Outcome::Response { resp, .. }) if resp.success => Some(true),
            Some(Outcome::WrongSource { .. }) => Some(false),
            Some(Outcome::Response { .. }) => Some(false),
            Some(Outcome::Timeout) => None,
            _ => None,
        };
        if self.caps_started && negative {
            let cb = cap(self, Kind::CapBoth);
            let cp = cap(self, Kind::CapPort);
            if cb == Some(false) || cp == Some(false) {
                self.filtering = Some((
                    Filtering::Unknown,
                    "the server ignores CHANGE-REQUEST (answered from the wrong address on the mapping socket): it cannot test filtering".into(),
                ));
                return;
            }
            if (!both && cb.is_none()) || (!port && cp.is_none()) {
                self.filtering = Some((
                    Filtering::Unknown,
                    "the server never answered CHANGE-REQUEST, even where the NAT lets the answer through: it cannot test filtering".into(),
                ));
                return;
            }
        }
        let confirmed = if self.caps_started {
            "; the server's CHANGE-REQUEST support was confirmed on the mapping socket"
        } else {
            "; CHANGE-REQUEST support could not be confirmed independently (endpoint-dependent mapping)"
        };
        let seen = format!(" ({} filtering sockets, two agreeing)", valid.len());
        let (f, basis) = if both {
            (
                Filtering::EndpointIndependent,
                "an answer from the server's other IP address and port got through",
            )
        } else if port {
            (
                Filtering::AddressDependent,
                "an answer from the server's other port got through, one from its other IP address did not",
            )
        } else {
            (
                Filtering::AddressAndPortDependent,
                "answers from the server's other port and other IP address were both filtered",
            )
        };
        self.filtering = Some((f, format!("{basis}{seen}{confirmed}")));
    }
}
