//! The check's requests on the shared transaction layer ([`crate::transaction`]): what each
//! request tests ([`Kind`]), what came of it ([`Outcome`]), where its answer must come from,
//! how requests are paced, and how an answer is matched and timed.

use super::filtering::FilterTest;
use super::{NatCheck, Output, SocketId, Unreachable};
use crate::msg::{self, Response};
use crate::transaction::{Pacing, Poll, RtoRule, Transaction};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What a request tests; the phase files name their requests by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A server's first Binding from the mapping socket (round 1: the re-check on a fresh one).
    Bind { server: usize, round: u8 },
    /// The first Binding again, from a socket connected to the server: only there does an
    /// ICMP port unreachable show.
    Reach { server: usize },
    /// Mapping test to the primary's other IP address, primary port.
    MapAp,
    /// Mapping test to the primary's other IP address and other port.
    MapAa,
    /// Mapping test to the primary's IP address, other port.
    MapPa,
    /// CHANGE-REQUEST (IP and port) from the mapping socket: does the server honour it?
    CapBoth,
    /// CHANGE-REQUEST (port) from the mapping socket.
    CapPort,
    /// A filtering test from filtering socket `round`.
    Filter { round: u8, test: FilterTest },
    /// The hairpin socket's Binding, for its public address.
    HairpinBase { round: u8 },
    /// From the hairpin socket to the mapping socket's public address.
    HairpinToM { round: u8 },
    /// From the mapping socket to the hairpin socket's public address.
    HairpinToH { round: u8 },
    /// The n-th sequential port probe.
    PortProbe(usize),
    /// The binding of lifetime step n.
    LifeBase(usize),
    /// The RESPONSE-PORT probe of lifetime step n's binding.
    LifeProbe(usize),
}

impl std::fmt::Display for Kind {
    /// What the request tests, for the trace (`--verbose`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Kind::Bind { server, round: 0 } => write!(f, "Binding to server {server}"),
            Kind::Bind { server, round } => {
                write!(f, "Binding to server {server} (re-check {round})")
            }
            Kind::Reach { server } => write!(f, "reachability Binding to server {server}"),
            Kind::MapAp => f.write_str("mapping test (other IP, primary port)"),
            Kind::MapAa => f.write_str("mapping test (other IP, other port)"),
            Kind::MapPa => f.write_str("mapping test (primary IP, other port)"),
            Kind::CapBoth => f.write_str("CHANGE-REQUEST (IP and port) capability"),
            Kind::CapPort => f.write_str("CHANGE-REQUEST (port) capability"),
            Kind::Filter { round, test } => {
                let what = match test {
                    FilterTest::Base => "plain Binding",
                    FilterTest::Both => "CHANGE-REQUEST IP and port",
                    FilterTest::Port => "CHANGE-REQUEST port",
                };
                write!(f, "filtering test {what} (socket {round})")
            }
            Kind::HairpinBase { round } => write!(f, "hairpin socket Binding (round {round})"),
            Kind::HairpinToM { round } => {
                write!(f, "hairpin to the mapping socket (round {round})")
            }
            Kind::HairpinToH { round } => {
                write!(f, "hairpin to the hairpin socket (round {round})")
            }
            Kind::PortProbe(n) => write!(f, "port probe {n}"),
            Kind::LifeBase(n) => write!(f, "lifetime step {n} Binding"),
            Kind::LifeProbe(n) => write!(f, "lifetime step {n} RESPONSE-PORT probe"),
        }
    }
}

/// What came of a request.
#[derive(Clone, Debug)]
pub(super) enum Outcome {
    /// A STUN answer (success or error) from where it must come from, with its round-trip
    /// time when it measured one.
    Response {
        resp: Box<Response>,
        rtt: Option<Duration>,
    },
    /// A reply with our transaction ID from an address other than the one it must come from.
    WrongSource { from: SocketAddr },
    /// A reply that arrived on the sending socket although it was asked to go elsewhere.
    WrongReceiver,
    /// A hairpin probe arrived on its target socket.
    Arrived,
    /// An ICMP error came back (on the server's connected socket).
    Unreachable(Unreachable),
    /// No answer through every transmission (or the deadline, or the request was cancelled).
    Timeout,
}

/// A request of the check: the shared transaction, and where its answer must arrive.
#[derive(Clone, Debug)]
pub(super) struct Txn {
    pub(super) tx: Transaction<Kind, SocketId>,
    /// The socket the answer must arrive on (another one for hairpin and RESPONSE-PORT).
    pub(super) receiver: SocketId,
    /// Where the answer must come from; `None` for hairpin probes (checked by ID only).
    pub(super) expect_from: Option<SocketAddr>,
    pub(super) outcome: Option<Outcome>,
}

/// The shortest retransmission interval paced by a TCP round-trip time (`NatCheck::path_rtt`).
/// The interval doubles from there (13, 26, 52, 104, 200 … ms), so the seven transmissions of
/// a first Binding spread over about a second; "UDP blocked" still waits for
/// [`SILENCE_FLOOR`], so a server slower than the TCP handshake (or a firewall near the client
/// that resets TCP itself) is not taken for silence.
pub(super) const PATH_RTO_MIN: Duration = Duration::from_millis(13);

/// Before any STUN answer, silence is "UDP blocked" only once this long (or the check's
/// deadline, if shorter) has passed since the first transmission, however fast the pacing: a
/// server slower than the TCP handshake's round trip is not silence.
pub const SILENCE_FLOOR: Duration = Duration::from_secs(2);

impl NatCheck {
    /// A round-trip time to the first server's host measured another way: the edge times a TCP
    /// handshake to the server's address and port (a connection or its refusal both count;
    /// no answer gives nothing). Until a STUN answer gives the real round-trip time,
    /// retransmissions are paced at three times it (at least 13 ms, at most the initial
    /// interval), doubling: where the path is fast, a lost request is sent again sooner. Only
    /// the pace changes: the number of transmissions, the re-check on a fresh socket and the
    /// wait before "UDP blocked" ([`SILENCE_FLOOR`] after the first transmission, or the
    /// deadline if shorter) stay. Ignored once STUN answered.
    pub fn path_rtt(&mut self, now: Instant, rtt: Duration) {
        if self.rtt.is_known() || self.path_rtt.is_some() || self.finished.is_some() {
            return;
        }
        self.path_rtt = Some(rtt);
        self.notes.push(format!(
            "a TCP handshake to the first server's host took {:.1} ms; until a STUN answer, \
             UDP retransmissions were paced by it",
            rtt.as_secs_f64() * 1000.0
        ));
        // Requests already waiting on the initial interval move up to the new pace.
        let pacing = self.pacing();
        for t in self.txns.iter_mut().filter(|t| t.outcome.is_none()) {
            t.tx.schedule.repace(&pacing);
        }
        self.advance(now);
    }

    /// How requests are spaced now. Before any STUN answer: paced by the TCP round-trip time
    /// when the edge measured one (see `path_rtt`), else the configured initial interval,
    /// doubling up to twice the initial interval, with no more than the configured attempts
    /// (silence must be told in bounded time); after it, `2·srtt + 4·rttvar`, steady, with
    /// each request's own number of attempts. The last transmission waits twice as long.
    pub(super) fn pacing(&self) -> Pacing {
        let unmeasured = self.path_rtt.map_or(self.cfg.initial_rto, |p| {
            (p * 3).clamp(PATH_RTO_MIN, self.cfg.initial_rto)
        });
        let rule = RtoRule {
            srtt_factor: 2,
            rttvar_factor: 4,
            min: self.cfg.min_rto,
            max: self.cfg.max_rto,
        };
        let known = self.rtt.is_known();
        Pacing {
            rto: self.rtt.rto(unmeasured, rule),
            backoff_cap: (!known).then_some(self.cfg.initial_rto * 2),
            attempt_cap: (!known).then_some(self.cfg.attempts),
            double_last: true,
        }
    }

    // One call site per kind of request; a struct for these would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_txn(
        &mut self,
        now: Instant,
        kind: Kind,
        socket: SocketId,
        dst: SocketAddr,
        expect_from: Option<SocketAddr>,
        payload: Vec<u8>,
        id: [u8; 12],
    ) {
        let attempts = self.attempts_for(kind);
        self.txns.push(Txn {
            tx: Transaction::new(now, id, kind, socket, dst, payload, attempts),
            receiver: socket,
            expect_from,
            outcome: None,
        });
    }

    /// Transmissions for a request of `kind`: the requests whose silence would cost the most
    /// (a server's first answer, the mapping tests) get twice the budget; with a round-trip
    /// time measured, that costs a few dozen milliseconds, not seconds.
    pub(super) fn attempts_for(&self, kind: Kind) -> u32 {
        match kind {
            Kind::Bind { .. } | Kind::MapAp | Kind::MapAa | Kind::MapPa => self.cfg.attempts * 2,
            _ => self.cfg.attempts,
        }
    }

    /// Adds a Binding request of `kind` (with CHANGE-REQUEST `change`) whose answer must
    /// come from `expect_from`.
    pub(super) fn request(
        &mut self,
        now: Instant,
        kind: Kind,
        socket: SocketId,
        dst: SocketAddr,
        change: (bool, bool),
        expect_from: SocketAddr,
    ) {
        let id = self.ids.transaction_id();
        let payload = if matches!(kind, Kind::Bind { .. } | Kind::Reach { .. }) {
            // Padded: a server that answers small requests with the reflexive address only
            // has room for OTHER-ADDRESS and MAPPED-ADDRESS here.
            msg::padded_binding_request(id, msg::PADDED_BINDING_BYTES)
        } else {
            msg::binding_request(id, change.0, change.1, None)
        };
        self.add_txn(now, kind, socket, dst, Some(expect_from), payload, id);
    }

    /// The request of `kind`.
    pub(super) fn txn(&self, kind: Kind) -> Option<&Txn> {
        self.txns.iter().find(|t| t.tx.request == kind)
    }

    /// What came of the request of `kind`, if decided.
    pub(super) fn outcome(&self, kind: Kind) -> Option<&Outcome> {
        self.txn(kind).and_then(|t| t.outcome.as_ref())
    }

    /// True once the request of `kind` is decided.
    pub(super) fn done(&self, kind: Kind) -> bool {
        self.outcome(kind).is_some()
    }

    /// The success answer to the request of `kind`.
    pub(super) fn response(&self, kind: Kind) -> Option<&Response> {
        match self.outcome(kind) {
            Some(Outcome::Response { resp, .. }) if resp.success => Some(&**resp),
            _ => None,
        }
    }

    /// The reflexive address in the answer to the request of `kind`.
    pub(super) fn mapped(&self, kind: Kind) -> Option<SocketAddr> {
        self.response(kind).and_then(Response::reflexive)
    }

    /// Matches a STUN response to its request: the right ID, socket and source, and takes
    /// its round-trip time.
    pub(super) fn on_response(
        &mut self,
        now: Instant,
        socket: SocketId,
        src: SocketAddr,
        resp: Response,
    ) {
        let Some(i) = self
            .txns
            .iter()
            .position(|t| t.tx.matches(&resp.transaction_id) && t.expect_from.is_some())
        else {
            // Not ours: a server that answers with transaction IDs of no request is broken.
            if let Some(i) = self.server_of(src) {
                self.junk[i].wrong_id += 1;
            }
            return;
        };
        if self.txns[i].outcome.is_some() {
            return; // A duplicate answer to a retransmission.
        }
        let t = &self.txns[i];
        if socket != t.receiver {
            if socket == t.tx.from {
                self.txns[i].outcome = Some(Outcome::WrongReceiver);
                self.received += 1;
            }
            return;
        }
        if Some(src) != t.expect_from {
            let plain = matches!(
                t.tx.request,
                Kind::Bind { .. }
                    | Kind::Reach { .. }
                    | Kind::MapAp
                    | Kind::MapAa
                    | Kind::MapPa
                    | Kind::Filter {
                        test: FilterTest::Base,
                        ..
                    }
                    | Kind::HairpinBase { .. }
                    | Kind::PortProbe(_)
                    | Kind::LifeBase(_)
            );
            let note = format!(
                "a reply to a request sent to {} came from {src}, not from {}",
                t.tx.dst,
                t.expect_from.map(|a| a.to_string()).unwrap_or_default()
            );
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
            if !plain {
                self.txns[i].outcome = Some(Outcome::WrongSource { from: src });
                self.received += 1;
            }
            // A plain request answered from elsewhere: ignored, keep waiting for the real one.
            return;
        }
        let since_first = t.tx.schedule.since_first(now);
        let rtt = t.tx.schedule.rtt_sample(now);
        match rtt {
            Some(r) => self.rtt.sample(r),
            // An answer to a retransmission is ambiguous (Karn), but before any round-trip time
            // is known the time since the first transmission is a safe upper bound: a slow
            // server then paces the rest of the check instead of the TCP handshake.
            None if !self.rtt.is_known() => self.rtt.sample(since_first),
            None => {}
        }
        if resp.alg_rewrite() {
            let note = format!(
                "MAPPED-ADDRESS {} differs from XOR-MAPPED-ADDRESS {}: an application-level gateway (ALG) on the path rewrites STUN",
                resp.mapped.map(|a| a.to_string()).unwrap_or_default(),
                resp.xor_mapped.map(|a| a.to_string()).unwrap_or_default()
            );
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        self.received += 1;
        self.txns[i].outcome = Some(Outcome::Response {
            resp: Box::new(resp),
            rtt,
        });
    }

    /// Whether `t` has had every transmission the current pacing allows it.
    pub(super) fn expired(&self, t: &Txn) -> bool {
        t.tx.schedule.exhausted(&self.pacing())
    }

    /// Until when the silence of `t` must not be taken for an answer: for a server's first
    /// Binding while no server has answered, [`SILENCE_FLOOR`] (or the deadline) after the
    /// first transmission.
    pub(super) fn silence_until(&self, t: &Txn) -> Option<Instant> {
        if self.rtt.is_known() || !matches!(t.tx.request, Kind::Bind { .. }) {
            return None;
        }
        let first = self.first_tx?;
        Some(first + SILENCE_FLOOR.min(self.cfg.deadline))
    }

    /// Sends what is due: first transmissions and retransmissions, paced by [`Pacing`].
    pub(super) fn flush(&mut self, now: Instant) {
        let pacing = self.pacing();
        let mut sent = 0;
        for t in self.txns.iter_mut().filter(|t| t.outcome.is_none()) {
            let sock = &self.socks[t.tx.from];
            if sock.failed {
                t.outcome = Some(Outcome::Timeout);
                continue;
            }
            // Exhausted requests expire at the start of the next `advance`.
            if sock.local.is_none() || t.tx.schedule.poll(now, &pacing) != Poll::Transmit {
                continue;
            }
            self.first_tx.get_or_insert(now);
            sent += 1;
            self.out.push_back(Output::Transmit {
                socket: t.tx.from,
                dst: t.tx.dst,
                payload: t.tx.payload.clone(),
            });
        }
        self.sent += sent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_print_as_words_not_debug() {
        let kinds = [
            Kind::Bind {
                server: 0,
                round: 0,
            },
            Kind::Bind {
                server: 1,
                round: 1,
            },
            Kind::Reach { server: 0 },
            Kind::MapAp,
            Kind::Filter {
                round: 2,
                test: FilterTest::Port,
            },
            Kind::HairpinToH { round: 0 },
            Kind::LifeProbe(3),
        ];
        for k in kinds {
            let s = k.to_string();
            assert!(!s.contains('{') && !s.contains("::"), "{s}");
        }
        assert_eq!(
            Kind::Bind {
                server: 0,
                round: 0
            }
            .to_string(),
            "Binding to server 0"
        );
    }
}
