//! The NAT check as a sans-IO state machine: fed with `(now, input)`, it asks for sockets,
//! returns datagrams to send and the next timeout, and ends with a [`Report`](crate::report::Report).
//!
//! # The plan (RFC 5780 §4, RFC 4787)
//!
//! ```text
//! socket M (mapping)   ──► every server's primary address           (reflexive address, capability)
//!                      ──► alt IP/primary port, alt IP/alt port,     (mapping tests II, III and
//!                          primary IP/alt port of the RFC 5780 server  the same-IP other-port test)
//!                      ──► CHANGE-REQUEST to the primary             (does the server honour it?)
//! sockets F, F'        ──► primary address only: plain, change IP+port, change port
//! socket H (hairpin)   ──► primary; then H → M's public address and M → H's public address
//! sockets P1..Pn       ──► one after another to the primary (port allocation, symmetric NATs)
//! sockets X1..Xk, Y    ──► binding lifetime through RESPONSE-PORT (optional)
//! ```
//!
//! Correctness rules: mapping and filtering never share a socket, and the filtering socket only
//! ever talks to the primary address, so no test opens a hole another test measures. Every reply
//! must carry a transaction ID this check sent on that socket *and* come from the address it
//! must come from; a reply to a CHANGE-REQUEST from the unchanged address means the server
//! ignores CHANGE-REQUEST, which makes filtering untestable, never "full cone". A missing reply
//! is a negative result only after every retransmission; every filtering verdict must be seen
//! alike on two sockets (a third decides a disagreement), and a negative hairpin result is
//! re-checked once on a fresh socket. A missing reply in a mapping test is "no data",
//! never "symmetric". Retransmissions follow the measured round-trip time; the whole check has a
//! deadline.

//!
//! # Where things are
//!
//! This file holds the settings, the edge's inputs and outputs and the driver ([`NatCheck`]'s
//! `advance` and `step`); each phase has a file: `servers` (the first Binding to every server,
//! the primary, server status), `mapping`, `filtering`, `hairpin`, `port_allocation`,
//! `lifetime`, and `verdict` (the reason, the trace and the [`Report`](crate::report::Report)). `requests` holds the
//! check's requests on the shared [`crate::transaction`] layer: pacing, matching, timing.

mod filtering;
mod hairpin;
mod lifetime;
mod mapping;
mod port_allocation;
mod requests;
mod servers;
mod verdict;

pub use requests::SILENCE_FLOOR;
pub use servers::{capability, Incapable};

use crate::msg::{self, Datagram, IdGen};
use crate::report::{Filtering, Lifetime, Mapping, PortAllocation};
use crate::transaction::RttEstimator;
use requests::{Kind, Outcome, Txn};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A socket of the check, numbered by the check; the edge opens one when asked.
pub type SocketId = usize;

/// Settings of a NAT check.
#[derive(Clone, Debug)]
pub struct CheckConfig {
    /// The servers, all of one address family; RFC 5780-capable ones are preferred, in order.
    pub servers: Vec<SocketAddr>,
    /// Transmissions per request before it counts as unanswered.
    pub attempts: u32,
    /// Retransmission interval before any round-trip time is measured.
    pub initial_rto: Duration,
    /// Lower bound of the retransmission interval.
    pub min_rto: Duration,
    /// Upper bound of the retransmission interval.
    pub max_rto: Duration,
    /// The whole check (without the lifetime measurement) ends by then.
    pub deadline: Duration,
    /// Sequential probes for the port allocation pattern of endpoint-dependent mappings.
    pub port_probes: usize,
    /// Measure the binding lifetime up to this long (RESPONSE-PORT needed).
    pub lifetime: Option<Duration>,
    /// Seed for transaction IDs (random at the edge).
    pub seed: u64,
}

impl CheckConfig {
    /// Defaults for `servers`: 7 transmissions, 100 ms initial interval, 10 ms to 1 s bounds,
    /// a 5 s deadline, 6 port probes, no lifetime measurement.
    pub fn new(servers: Vec<SocketAddr>, seed: u64) -> Self {
        CheckConfig {
            servers,
            attempts: 7,
            initial_rto: Duration::from_millis(100),
            min_rto: Duration::from_millis(10),
            max_rto: Duration::from_secs(1),
            deadline: Duration::from_secs(5),
            port_probes: 6,
            lifetime: None,
            seed,
        }
    }
}

/// An ICMP error that came back for a datagram sent on a connected socket (the edge sees it as
/// `ECONNREFUSED`, `EHOSTUNREACH` or `ENETUNREACH` on the socket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreachable {
    /// ICMP port unreachable: the host is up but nothing listens on that UDP port (or a
    /// firewall rejects the datagram with this ICMP type).
    Port,
    /// ICMP host unreachable (or administratively prohibited).
    Host,
    /// ICMP network unreachable.
    Network,
}

impl Unreachable {
    /// The ICMP error for an I/O error kind, if it is one.
    pub fn from_io(kind: std::io::ErrorKind) -> Option<Self> {
        match kind {
            std::io::ErrorKind::ConnectionRefused => Some(Unreachable::Port),
            std::io::ErrorKind::HostUnreachable => Some(Unreachable::Host),
            std::io::ErrorKind::NetworkUnreachable => Some(Unreachable::Network),
            _ => None,
        }
    }
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unreachable::Port => "port",
            Unreachable::Host => "host",
            Unreachable::Network => "network",
        })
    }
}

/// What the check asks the edge to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Open a new UDP socket of the servers' family and report it with [`NatCheck::opened`].
    Open(SocketId),
    /// Open a new UDP socket connected to `peer` (it sends there and hears only from there)
    /// and report it with [`NatCheck::opened`]; an ICMP error for it goes to
    /// [`NatCheck::unreachable`]. The check uses one per server beside its first Binding
    /// request, so that a closed port is told from silence (an unconnected socket does not
    /// hear ICMP errors).
    OpenConnected {
        /// The socket's number.
        socket: SocketId,
        /// The address it is connected to.
        peer: SocketAddr,
    },
    /// Send a datagram from a socket.
    Transmit {
        /// The socket to send from.
        socket: SocketId,
        /// Destination.
        dst: SocketAddr,
        /// The datagram.
        payload: Vec<u8>,
    },
    /// The socket is no longer needed.
    Close(SocketId),
}

/// What came from one server that was not an answer to the check.
#[derive(Clone, Copy, Debug, Default)]
struct Junk {
    /// Datagrams that are not STUN.
    not_stun: u32,
    /// STUN headers on messages that do not parse.
    malformed: u32,
    /// STUN responses with a transaction ID of no request.
    wrong_id: u32,
    /// An ICMP error on the server's connected socket.
    icmp: Option<Unreachable>,
}

#[derive(Clone, Debug, Default)]
struct Sock {
    local: Option<SocketAddr>,
    failed: bool,
    closed: bool,
}

/// The NAT check state machine; see the [module docs](self).
#[derive(Debug)]
pub struct NatCheck {
    cfg: CheckConfig,
    ids: IdGen,
    start: Instant,
    socks: Vec<Sock>,
    txns: Vec<Txn>,
    out: VecDeque<Output>,
    rtt: RttEstimator,
    /// A round-trip time to the first server's host measured outside STUN (a TCP handshake).
    path_rtt: Option<Duration>,
    /// The first transmission of the check.
    first_tx: Option<Instant>,
    /// Per server: what came from it that was not an answer, and an ICMP error.
    junk: Vec<Junk>,
    sent: u32,
    received: u32,
    notes: Vec<String>,
    // Progress.
    m: Option<SocketId>,
    bind_round: u8,
    primary_decided: bool,
    primary: Option<usize>,
    other: Option<SocketAddr>,
    f_round: u8,
    f_socks: Vec<SocketId>,
    h_round: u8,
    h_socks: Vec<SocketId>,
    caps_started: bool,
    mapping_done: bool,
    mapping: Mapping,
    mapping_basis: String,
    filtering: Option<(Filtering, String)>,
    hairpin: Option<Option<bool>>,
    hairpin_probes_started: [bool; 2],
    probes_started: bool,
    probes_next: usize,
    port_allocation: Option<Option<PortAllocation>>,
    probe_ports: Vec<(u16, u16)>,
    life_started: bool,
    life_y: Option<SocketId>,
    life_socks: Vec<SocketId>,
    life_t0: Option<Instant>,
    lifetime: Option<Option<Lifetime>>,
    finished: Option<Instant>,
}

impl NatCheck {
    /// Starts a check at `now`.
    pub fn new(cfg: CheckConfig, now: Instant) -> Self {
        let ids = IdGen::new(cfg.seed);
        let mut c = NatCheck {
            cfg,
            ids,
            start: now,
            socks: Vec::new(),
            txns: Vec::new(),
            out: VecDeque::new(),
            rtt: RttEstimator::new(),
            path_rtt: None,
            first_tx: None,
            junk: Vec::new(),
            sent: 0,
            received: 0,
            notes: Vec::new(),
            m: None,
            bind_round: 0,
            primary_decided: false,
            primary: None,
            other: None,
            f_round: 0,
            f_socks: Vec::new(),
            h_round: 0,
            h_socks: Vec::new(),
            caps_started: false,
            mapping_done: false,
            mapping: Mapping::Unknown,
            mapping_basis: String::new(),
            filtering: None,
            hairpin: None,
            hairpin_probes_started: [false; 2],
            probes_started: false,
            probes_next: 0,
            port_allocation: None,
            probe_ports: Vec::new(),
            life_started: false,
            life_y: None,
            life_socks: Vec::new(),
            life_t0: None,
            lifetime: None,
            finished: None,
        };
        c.junk = vec![Junk::default(); c.cfg.servers.len()];
        if c.cfg.servers.is_empty() {
            c.notes.push("no server to ask".into());
            c.finished = Some(now);
        } else {
            c.advance(now);
        }
        c
    }

    fn open(&mut self) -> SocketId {
        let id = self.socks.len();
        self.socks.push(Sock::default());
        self.out.push_back(Output::Open(id));
        id
    }

    fn open_connected(&mut self, peer: SocketAddr) -> SocketId {
        let id = self.socks.len();
        self.socks.push(Sock::default());
        self.out
            .push_back(Output::OpenConnected { socket: id, peer });
        id
    }

    fn close(&mut self, id: SocketId) {
        if let Some(s) = self.socks.get_mut(id) {
            if !s.closed {
                s.closed = true;
                self.out.push_back(Output::Close(id));
            }
        }
    }

    /// An ICMP error came back on socket `id` (one opened with [`Output::OpenConnected`]).
    pub fn unreachable(&mut self, now: Instant, id: SocketId, kind: Unreachable) {
        if self.finished.is_some() {
            return;
        }
        let Some(server) = self.txns.iter().find_map(|t| match t.tx.request {
            Kind::Reach { server } if t.tx.from == id => Some(server),
            _ => None,
        }) else {
            return;
        };
        self.junk[server].icmp = Some(kind);
        // Neither the probe nor the server's Binding on the mapping socket will be answered.
        for t in self.txns.iter_mut().filter(|t| {
            t.outcome.is_none()
                && matches!(t.tx.request, Kind::Reach { server: s } | Kind::Bind { server: s, .. } if s == server)
        }) {
            t.outcome = Some(Outcome::Unreachable(kind));
        }
        self.close(id);
        self.advance(now);
    }

    /// The edge opened socket `id` at `local` (or failed to: `None`).
    pub fn opened(&mut self, now: Instant, id: SocketId, local: Option<SocketAddr>) {
        if let Some(s) = self.socks.get_mut(id) {
            s.local = local;
            s.failed = local.is_none();
            if s.failed {
                self.notes
                    .push(format!("could not open a UDP socket (socket {id})"));
                for t in self.txns.iter_mut().filter(|t| t.tx.from == id) {
                    t.outcome.get_or_insert(Outcome::Timeout);
                }
            }
        }
        self.advance(now);
    }

    /// A datagram arrived on socket `socket` from `src`.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        socket: SocketId,
        src: SocketAddr,
        data: &[u8],
    ) {
        if self.finished.is_some() {
            return;
        }
        match msg::classify(data) {
            Datagram::Response(resp) => self.on_response(now, socket, src, *resp),
            Datagram::Request(id) => {
                // A hairpin probe reaching its target socket.
                if let Some(t) = self.txns.iter_mut().find(|t| {
                    t.outcome.is_none()
                        && t.receiver == socket
                        && t.tx.from != socket
                        && t.expect_from.is_none()
                        && t.tx.matches(&id)
                }) {
                    t.outcome = Some(Outcome::Arrived);
                    self.received += 1;
                }
            }
            Datagram::Indication => {}
            Datagram::Malformed => {
                if let Some(i) = self.server_of(src) {
                    self.junk[i].malformed += 1;
                }
            }
            Datagram::NotStun => {
                if let Some(i) = self.server_of(src) {
                    self.junk[i].not_stun += 1;
                }
            }
        }
        self.advance(now);
    }

    /// The next instant [`NatCheck::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.finished.is_some() {
            return None;
        }
        let mut next = self.start + self.total_deadline();
        for t in self.txns.iter().filter(|t| t.outcome.is_none()) {
            let at = t.tx.schedule.due_at();
            let at = match self.silence_until(t) {
                Some(floor) if self.expired(t) => at.max(floor),
                _ => at,
            };
            next = next.min(at);
        }
        Some(next)
    }

    fn total_deadline(&self) -> Duration {
        self.cfg.deadline + self.cfg.lifetime.unwrap_or(Duration::ZERO)
    }

    /// Time has come: retransmit, give up on requests, move on.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.finished.is_some() {
            return;
        }
        if now >= self.start + self.total_deadline() {
            for t in self.txns.iter_mut().filter(|t| t.outcome.is_none()) {
                t.outcome = Some(Outcome::Timeout);
            }
            self.notes
                .push("the check hit its deadline; unanswered tests count as unknown".into());
        }
        self.advance(now);
    }

    /// The next thing to do for the edge.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// True when the report is final.
    pub fn is_done(&self) -> bool {
        self.finished.is_some()
    }

    fn advance(&mut self, now: Instant) {
        if self.finished.is_some() {
            return;
        }
        // Requests whose last transmission went unanswered long enough are negative results;
        // before any answer, a server's first Binding waits for the silence floor too.
        let pacing = self.pacing();
        let expired: Vec<usize> = (0..self.txns.len())
            .filter(|&i| {
                let t = &self.txns[i];
                t.outcome.is_none()
                    && t.tx.schedule.expired(now, &pacing)
                    && self.silence_until(t).is_none_or(|f| now >= f)
            })
            .collect();
        for i in expired {
            self.txns[i].outcome = Some(Outcome::Timeout);
        }
        // Loop until no step makes progress (a step may complete what the next one needs).
        for _ in 0..8 {
            let before = (self.txns.len(), self.socks.len(), self.progress_marker());
            self.step(now);
            if before == (self.txns.len(), self.socks.len(), self.progress_marker()) {
                break;
            }
        }
        self.flush(now);
        if self.all_decided() {
            self.finished = Some(now);
            for (id, s) in self.socks.iter_mut().enumerate() {
                if !s.closed {
                    s.closed = true;
                    self.out.push_back(Output::Close(id));
                }
            }
        }
    }

    fn progress_marker(&self) -> (bool, bool, bool, bool, bool, bool) {
        (
            self.primary_decided,
            self.mapping_done,
            self.filtering.is_some(),
            self.hairpin.is_some(),
            self.port_allocation.is_some(),
            self.lifetime.is_some(),
        )
    }

    fn all_decided(&self) -> bool {
        self.primary_decided
            && self.mapping_done
            && self.filtering.is_some()
            && self.hairpin.is_some()
            && self.port_allocation.is_some()
            && self.lifetime.is_some()
            && self
                .txns
                .iter()
                .all(|t| t.outcome.is_some() || matches!(t.tx.request, Kind::LifeProbe(_)))
    }

    fn step(&mut self, now: Instant) {
        // 1. Binding requests to every server from the mapping socket.
        if self.m.is_none() {
            let m = self.open();
            self.m = Some(m);
            for (i, s) in self.cfg.servers.clone().into_iter().enumerate() {
                self.request(
                    now,
                    Kind::Bind {
                        server: i,
                        round: 0,
                    },
                    m,
                    s,
                    (false, false),
                    s,
                );
                let r = self.open_connected(s);
                self.request(now, Kind::Reach { server: i }, r, s, (false, false), s);
            }
            return;
        }
        self.cancel_reach();
        let m = self.m.unwrap_or(0);
        if !self.primary_decided {
            self.decide_primary(now);
            if !self.primary_decided {
                return;
            }
        }
        if !self.mapping_done {
            self.decide_mapping();
        }
        self.step_capability(now, m);
        if self.filtering.is_none() {
            self.step_filtering(now);
        }
        if self.hairpin.is_none() {
            self.step_hairpin(now, m);
        }
        if self.port_allocation.is_none() {
            self.step_port_probes(now);
        }
        if self.lifetime.is_none() {
            self.step_lifetime(now);
        }
    }
}
