//! The NAT check as a sans-IO state machine: fed with `(now, input)`, it asks for sockets,
//! returns datagrams to send and the next timeout, and ends with a [`Report`].
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

use crate::msg::{self, Datagram, IdGen, Response};
use crate::report::{
    self, Classic, Filtering, Lifetime, Mapping, PortAllocation, Reason, Report, ServerReport,
    ServerStatus,
};
use crate::transaction::{Pacing, Poll, RtoRule, RttEstimator, Transaction};
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FilterTest {
    Base,
    Both,
    Port,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bind {
        server: usize,
        round: u8,
    },
    /// The first Binding again, from a socket connected to the server: only there does an
    /// ICMP port unreachable show.
    Reach {
        server: usize,
    },
    MapAp,
    MapAa,
    MapPa,
    CapBoth,
    CapPort,
    Filter {
        round: u8,
        test: FilterTest,
    },
    HairpinBase {
        round: u8,
    },
    HairpinToM {
        round: u8,
    },
    HairpinToH {
        round: u8,
    },
    PortProbe(usize),
    LifeBase(usize),
    LifeProbe(usize),
}

#[derive(Clone, Debug)]
enum Outcome {
    Response {
        resp: Box<Response>,
        rtt: Option<Duration>,
    },
    /// A reply with our transaction ID from an address other than the one it must come from.
    WrongSource {
        from: SocketAddr,
    },
    /// A reply that arrived on the sending socket although it was asked to go elsewhere.
    WrongReceiver,
    /// A hairpin probe arrived on its target socket.
    Arrived,
    /// An ICMP error came back (on the server's connected socket).
    Unreachable(Unreachable),
    Timeout,
}

/// A request of the check: the shared transaction, and where its answer must arrive.
#[derive(Clone, Debug)]
struct Txn {
    tx: Transaction<Kind, SocketId>,
    /// The socket the answer must arrive on (another one for hairpin and RESPONSE-PORT).
    receiver: SocketId,
    /// Where the answer must come from; `None` for hairpin probes (checked by ID only).
    expect_from: Option<SocketAddr>,
    outcome: Option<Outcome>,
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

/// The shortest retransmission interval paced by a TCP round-trip time (`NatCheck::path_rtt`).
/// The interval doubles from there (13, 26, 52, 104, 200 … ms), so the seven transmissions of
/// a first Binding spread over about a second; "UDP blocked" still waits for
/// [`SILENCE_FLOOR`], so a server slower than the TCP handshake (or a firewall near the client
/// that resets TCP itself) is not taken for silence.
const PATH_RTO_MIN: Duration = Duration::from_millis(13);

/// Before any STUN answer, silence is "UDP blocked" only once this long (or the check's
/// deadline, if shorter) has passed since the first transmission, however fast the pacing: a
/// server slower than the TCP handshake's round trip is not silence.
pub const SILENCE_FLOOR: Duration = Duration::from_secs(2);

/// Lifetime probe waits, in seconds.
const LIFETIME_STEPS: [u64; 17] = [
    1, 2, 3, 4, 6, 8, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300,
];

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

    /// The server whose address `src` is: its own address, else its IP address (an answer
    /// from its other port), else the primary's other address.
    fn server_of(&self, src: SocketAddr) -> Option<usize> {
        let s = &self.cfg.servers;
        s.iter()
            .position(|a| *a == src)
            .or_else(|| s.iter().position(|a| a.ip() == src.ip()))
            .or_else(|| {
                self.primary
                    .filter(|_| self.other.is_some_and(|o| o.ip() == src.ip()))
            })
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
    fn pacing(&self) -> Pacing {
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
    fn add_txn(
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
    fn attempts_for(&self, kind: Kind) -> u32 {
        match kind {
            Kind::Bind { .. } | Kind::MapAp | Kind::MapAa | Kind::MapPa => self.cfg.attempts * 2,
            _ => self.cfg.attempts,
        }
    }

    fn request(
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

    fn txn(&self, kind: Kind) -> Option<&Txn> {
        self.txns.iter().find(|t| t.tx.request == kind)
    }

    fn outcome(&self, kind: Kind) -> Option<&Outcome> {
        self.txn(kind).and_then(|t| t.outcome.as_ref())
    }

    fn done(&self, kind: Kind) -> bool {
        self.outcome(kind).is_some()
    }

    fn response(&self, kind: Kind) -> Option<&Response> {
        match self.outcome(kind) {
            Some(Outcome::Response { resp, .. }) if resp.success => Some(&**resp),
            _ => None,
        }
    }

    fn mapped(&self, kind: Kind) -> Option<SocketAddr> {
        self.response(kind).and_then(Response::reflexive)
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

    fn on_response(&mut self, now: Instant, socket: SocketId, src: SocketAddr, resp: Response) {
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

    /// Whether `t` has had every transmission the current pacing allows it.
    fn expired(&self, t: &Txn) -> bool {
        t.tx.schedule.exhausted(&self.pacing())
    }

    /// Until when the silence of `t` must not be taken for an answer: for a server's first
    /// Binding while no server has answered, [`SILENCE_FLOOR`] (or the deadline) after the
    /// first transmission.
    fn silence_until(&self, t: &Txn) -> Option<Instant> {
        if self.rtt.is_known() || !matches!(t.tx.request, Kind::Bind { .. }) {
            return None;
        }
        let first = self.first_tx?;
        Some(first + SILENCE_FLOOR.min(self.cfg.deadline))
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

    /// Sends what is due: first transmissions and retransmissions, paced by [`Pacing`].
    fn flush(&mut self, now: Instant) {
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

    /// Stops the connected probes whose servers answered (or all, once the primary is
    /// decided): they only tell a closed port from silence.
    fn cancel_reach(&mut self) {
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

    fn bind_kind(&self, server: usize) -> Kind {
        Kind::Bind {
            server,
            round: self.bind_round,
        }
    }

    fn decide_primary(&mut self, now: Instant) {
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
    fn capability_text(&self, i: usize) -> String {
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
    fn server_status(&self, i: usize) -> ServerStatus {
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

    /// Why the check could or could not judge the NAT, with the explanation.
    fn reason(&self) -> (Reason, String) {
        let n = self.cfg.servers.len();
        if n == 0 {
            return (Reason::NoServer, "no server to ask".into());
        }
        let statuses: Vec<ServerStatus> = (0..n).map(|i| self.server_status(i)).collect();
        if statuses.contains(&ServerStatus::Answered) {
            return (
                Reason::Measured,
                "the verdict rests on STUN answers to the check's requests".into(),
            );
        }
        let reason = [
            (ServerStatus::BrokenStun, Reason::BrokenServer),
            (ServerStatus::NotStun, Reason::NotStun),
            (ServerStatus::PortUnreachable, Reason::PortUnreachable),
            (ServerStatus::HostUnreachable, Reason::HostUnreachable),
        ]
        .into_iter()
        .find(|(st, _)| statuses.contains(st))
        .map_or(Reason::NoAnswer, |(_, r)| r);
        let per_server: Vec<String> = (0..n)
            .map(|i| {
                let j = &self.junk[i];
                let counts = match statuses[i] {
                    ServerStatus::NotStun => format!(" ({} datagrams)", j.not_stun),
                    ServerStatus::BrokenStun => format!(
                        " ({} with a transaction ID of no request, {} malformed)",
                        j.wrong_id, j.malformed
                    ),
                    _ => String::new(),
                };
                format!(
                    "{}: {}{counts}",
                    self.cfg.servers[i],
                    statuses[i].describe()
                )
            })
            .collect();
        let wait = self
            .first_tx
            .map(|f| {
                self.finished
                    .unwrap_or(f)
                    .saturating_duration_since(f)
                    .as_secs_f64()
            })
            .unwrap_or(0.0);
        let why = match reason {
            Reason::NoAnswer => format!(
                "no server answered in {wait:.1} s ({} transmissions each, and a re-check on a \
                 fresh socket): UDP is blocked on the way, or every server is down and drops \
                 requests silently",
                self.cfg.attempts
            ),
            Reason::PortUnreachable | Reason::HostUnreachable => {
                "no server could be reached, and the network said so (ICMP): this says nothing \
                 about your NAT; ask a server that is up"
                    .to_string()
            }
            Reason::NotStun | Reason::BrokenServer => {
                "UDP gets through (the servers sent datagrams back), but no usable STUN answer \
                 came: this says nothing about your NAT; ask a working STUN server"
                    .to_string()
            }
            Reason::Measured | Reason::NoServer => String::new(),
        };
        (reason, format!("{why}; {}", per_server.join("; ")))
    }

    /// The server the hairpin and port tests use: the primary, else the first that answered.
    fn helper_server(&self) -> Option<usize> {
        self.primary.or_else(|| {
            (0..self.cfg.servers.len()).find(|&i| self.response(self.bind_kind(i)).is_some())
        })
    }

    fn m_local(&self) -> Option<SocketAddr> {
        self.m.and_then(|m| self.socks[m].local)
    }

    fn no_nat(&self) -> bool {
        let local = self.m_local();
        self.helper_server()
            .and_then(|h| self.mapped(self.bind_kind(h)))
            .is_some_and(|x| Some(x) == local)
    }

    fn decide_mapping(&mut self) {
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

    fn step_capability(&mut self, now: Instant, m: SocketId) {
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

    fn start_filter_round(&mut self, now: Instant) {
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

    fn step_filtering(&mut self, now: Instant) {
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

    fn start_hairpin_round(&mut self, now: Instant) {
        let Some(h) = self.helper_server() else {
            return;
        };
        let s = self.cfg.servers[h];
        let sock = self.open();
        self.h_socks.push(sock);
        self.hairpin_probes_started = [false; 2];
        let round = self.h_round;
        self.request(now, Kind::HairpinBase { round }, sock, s, (false, false), s);
    }

    fn step_hairpin(&mut self, now: Instant, m: SocketId) {
        let Some(h) = self.helper_server() else {
            self.hairpin = Some(None);
            return;
        };
        if !self.mapping_done {
            return;
        }
        if self.mapping == Mapping::NoNat || self.no_nat() {
            self.hairpin = Some(None); // Nothing to hairpin without a NAT.
            return;
        }
        // Send to the public addresses only after the mapping tests are over.
        if self.primary.is_some()
            && !(self.done(Kind::MapAp) && self.done(Kind::MapAa) && self.done(Kind::MapPa))
        {
            return;
        }
        let r = self.h_round;
        let Some(x_m) = self.mapped(self.bind_kind(h)) else {
            self.hairpin = Some(None);
            return;
        };
        if !self.done(Kind::HairpinBase { round: r }) {
            return;
        }
        let hs = self.h_socks[r as usize];
        let Some(x_h) = self.mapped(Kind::HairpinBase { round: r }) else {
            if r == 0 {
                self.h_round = 1;
                self.start_hairpin_round(now);
            } else {
                self.hairpin = Some(None);
            }
            return;
        };
        if !self.hairpin_probes_started[0] {
            self.hairpin_probes_started = [true, true];
            for (kind, from, to, dst) in [
                (Kind::HairpinToM { round: r }, hs, m, x_m),
                (Kind::HairpinToH { round: r }, m, hs, x_h),
            ] {
                let id = self.ids.transaction_id();
                let payload = msg::binding_request(id, false, false, None);
                self.add_txn(now, kind, from, dst, None, payload, id);
                if let Some(t) = self.txns.last_mut() {
                    t.receiver = to;
                }
            }
            return;
        }
        let a = self.outcome(Kind::HairpinToM { round: r }).cloned();
        let b = self.outcome(Kind::HairpinToH { round: r }).cloned();
        let arrived = |o: &Option<Outcome>| matches!(o, Some(Outcome::Arrived));
        if arrived(&a) || arrived(&b) {
            self.hairpin = Some(Some(true));
            // The other direction may still be waiting: stop it.
            for t in self.txns.iter_mut().filter(|t| {
                matches!(
                    t.tx.request,
                    Kind::HairpinToM { .. } | Kind::HairpinToH { .. }
                ) && t.outcome.is_none()
            }) {
                t.outcome = Some(Outcome::Timeout);
            }
        } else if a.is_some() && b.is_some() {
            if r == 0 {
                self.notes.push(
                    "hairpin probes went unanswered; re-checked once on a fresh socket".into(),
                );
                self.h_round = 1;
                self.start_hairpin_round(now);
            } else {
                self.hairpin = Some(Some(false));
            }
        }
    }

    fn others_busy(&self) -> bool {
        self.filtering.is_none()
            || self.hairpin.is_none()
            || self.txns.iter().any(|t| {
                t.outcome.is_none() && matches!(t.tx.request, Kind::CapBoth | Kind::CapPort)
            })
    }

    fn step_port_probes(&mut self, now: Instant) {
        if !self.mapping_done {
            return;
        }
        let Some(h) = self.helper_server() else {
            self.port_allocation = Some(None);
            return;
        };
        if !self.mapping.is_endpoint_dependent() || self.cfg.port_probes == 0 {
            self.port_allocation = Some(None);
            return;
        }
        // Alone on the wire, so no other new flow takes a port of the sequence.
        if self.others_busy() {
            return;
        }
        let s = self.cfg.servers[h];
        if !self.probes_started {
            self.probes_started = true;
        }
        if self.probes_next > 0 {
            let prev = Kind::PortProbe(self.probes_next - 1);
            if !self.done(prev) {
                return;
            }
            if let (Some(x), Some(t)) = (self.mapped(prev), self.txn(prev)) {
                if let Some(l) = self.socks[t.tx.from].local {
                    self.probe_ports.push((l.port(), x.port()));
                }
            }
        }
        if self.probes_next < self.cfg.port_probes {
            let sock = self.open();
            self.request(
                now,
                Kind::PortProbe(self.probes_next),
                sock,
                s,
                (false, false),
                s,
            );
            self.probes_next += 1;
        } else {
            self.port_allocation = Some(Some(report::port_allocation(&self.probe_ports)));
        }
    }

    fn step_lifetime(&mut self, now: Instant) {
        let Some(max) = self.cfg.lifetime else {
            self.lifetime = Some(None);
            return;
        };
        let Some(h) = self.helper_server() else {
            self.lifetime = Some(Some(Lifetime::Unsupported {
                reason: "no server answered".into(),
            }));
            return;
        };
        // After the port probes, so no lifetime flow takes a port of their sequence.
        if !self.mapping_done || self.port_allocation.is_none() {
            return;
        }
        if self.mapping == Mapping::NoNat {
            self.lifetime = Some(Some(Lifetime::Unsupported {
                reason: "no NAT: there is no binding to time out".into(),
            }));
            return;
        }
        let s = self.cfg.servers[h];
        let steps: Vec<u64> = LIFETIME_STEPS
            .iter()
            .copied()
            .filter(|t| Duration::from_secs(*t) <= max)
            .collect();
        if !self.life_started {
            // Step 0 checks RESPONSE-PORT support right away; the others wait their turn.
            self.life_started = true;
            self.life_y = Some(self.open());
            for i in 0..=steps.len() {
                let x = self.open();
                self.life_socks.push(x);
                self.request(now, Kind::LifeBase(i), x, s, (false, false), s);
            }
            return;
        }
        let y = self.life_y.unwrap_or(0);
        // Bases answered: schedule the probes from the time the bindings were made.
        if self.life_t0.is_none() {
            if !(0..=steps.len()).all(|i| self.done(Kind::LifeBase(i))) {
                return;
            }
            self.life_t0 = Some(now);
            for i in 0..=steps.len() {
                let Some(x) = self.mapped(Kind::LifeBase(i)) else {
                    continue;
                };
                let id = self.ids.transaction_id();
                let payload = msg::binding_request(id, false, false, Some(x.port()));
                self.add_txn(now, Kind::LifeProbe(i), y, s, Some(s), payload, id);
                let wait = if i == 0 { 0 } else { steps[i - 1] };
                if let Some(t) = self.txns.last_mut() {
                    t.receiver = self.life_socks[i];
                    t.tx.schedule.not_before = Some(now + Duration::from_secs(wait));
                }
            }
            return;
        }
        let ok = |c: &Self, i: usize| match c.outcome(Kind::LifeProbe(i)) {
            Some(Outcome::Response { resp, .. }) if resp.success => Some(true),
            Some(_) => Some(false),
            None if c.txn(Kind::LifeProbe(i)).is_none() => Some(false),
            None => None,
        };
        match ok(self, 0) {
            None => return,
            Some(false) => {
                let reason = match self.outcome(Kind::LifeProbe(0)) {
                    Some(Outcome::WrongReceiver) => {
                        "the server ignores RESPONSE-PORT (answered the sending socket)".into()
                    }
                    Some(Outcome::Response { resp, .. }) => format!(
                        "the server refused RESPONSE-PORT with error {}",
                        resp.error_code().unwrap_or(0)
                    ),
                    _ => "no answer to a RESPONSE-PORT request".into(),
                };
                self.cancel_life();
                self.lifetime = Some(Some(Lifetime::Unsupported { reason }));
                return;
            }
            Some(true) => {}
        }
        let mut alive = 0.0;
        for (i, secs) in steps.iter().enumerate() {
            match ok(self, i + 1) {
                None => return,
                Some(true) => alive = *secs as f64,
                Some(false) => {
                    self.cancel_life();
                    self.lifetime = Some(Some(Lifetime::Between {
                        alive_s: alive,
                        dead_s: *secs as f64,
                    }));
                    return;
                }
            }
        }
        self.lifetime = Some(Some(Lifetime::AtLeast { alive_s: alive }));
    }

    fn cancel_life(&mut self) {
        for t in self
            .txns
            .iter_mut()
            .filter(|t| matches!(t.tx.request, Kind::LifeProbe(_)) && t.outcome.is_none())
        {
            t.outcome = Some(Outcome::Timeout);
        }
    }

    /// One line per request: what it tested, where it went, when it was first sent, how many
    /// times, and what came of it (for `--verbose` and for debugging).
    pub fn trace(&self) -> Vec<String> {
        self.txns
            .iter()
            .map(|t| {
                let at =
                    t.tx.schedule
                        .first_sent
                        .map(|f| {
                            format!(
                                "+{:.1} ms",
                                f.saturating_duration_since(self.start).as_secs_f64() * 1000.0
                            )
                        })
                        .unwrap_or_else(|| "not sent".into());
                let outcome = match &t.outcome {
                    None => "pending".to_string(),
                    Some(Outcome::Response { resp, rtt }) => format!(
                        "{} {}{}",
                        if resp.success { "answered" } else { "error" },
                        resp.reflexive()
                            .map(|a| a.to_string())
                            .or_else(|| resp.error_code().map(|c| c.to_string()))
                            .unwrap_or_default(),
                        rtt.map(|r| format!(" rtt {:.1} ms", r.as_secs_f64() * 1000.0))
                            .unwrap_or_default()
                    ),
                    Some(Outcome::WrongSource { from }) => {
                        format!("answered from the wrong address {from}")
                    }
                    Some(Outcome::WrongReceiver) => "answered on the wrong socket".into(),
                    Some(Outcome::Arrived) => "arrived".into(),
                    Some(Outcome::Unreachable(k)) => format!("ICMP {k:?} unreachable"),
                    Some(Outcome::Timeout) => "no answer".into(),
                };
                format!(
                    "{:?} socket {} -> {} {} x{} {}",
                    t.tx.request, t.tx.from, t.tx.dst, at, t.tx.schedule.sent, outcome
                )
            })
            .collect()
    }

    /// The report (final once [`NatCheck::is_done`]).
    pub fn report(&self, now: Instant) -> Report {
        let family = if self.cfg.servers.first().is_some_and(SocketAddr::is_ipv6) {
            "ipv6"
        } else {
            "ipv4"
        };
        let servers: Vec<ServerReport> = self
            .cfg
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                // The answer of the last round the server was asked in.
                let (resp, rtt) = (0..=self.bind_round)
                    .rev()
                    .find_map(
                        |round| match self.outcome(Kind::Bind { server: i, round }) {
                            Some(Outcome::Response { resp, rtt }) => Some((Some(&**resp), *rtt)),
                            _ => None,
                        },
                    )
                    .unwrap_or((None, None));
                let j = &self.junk[i];
                ServerReport {
                    address: *s,
                    answered: resp.is_some(),
                    status: self.server_status(i),
                    not_stun: j.not_stun,
                    malformed: j.malformed,
                    wrong_transaction_id: j.wrong_id,
                    rtt_ms: rtt.map(|d| d.as_secs_f64() * 1000.0),
                    mapped: resp.and_then(Response::reflexive),
                    other_address: resp.and_then(Response::other),
                    response_origin: resp.and_then(|r| r.response_origin),
                    software: resp.and_then(|r| r.software.clone()),
                    rfc5780: self.capability_text(i),
                    alg_rewrite: resp.is_some_and(Response::alg_rewrite),
                }
            })
            .collect();
        let any = servers.iter().any(|s| s.answered);
        let helper = self.helper_server();
        let mapped = helper.and_then(|h| self.mapped(self.bind_kind(h)));
        let local = self.m_local();
        let (filtering, filtering_basis) = self
            .filtering
            .clone()
            .unwrap_or((Filtering::Unknown, "not finished".into()));
        let (reason, reason_explained) = self.reason();
        let classic = match reason {
            // Only silence means UDP is blocked; a closed port or a broken server says nothing
            // about the NAT.
            Reason::Measured | Reason::NoAnswer => report::classic(self.mapping, filtering, any),
            _ => Classic::Unknown,
        };
        let webrtc = report::verdict(classic);
        let webrtc_explained = match reason {
            Reason::Measured | Reason::NoAnswer => webrtc.explain(classic).to_string(),
            _ => format!("unknown: {reason_explained}"),
        };
        let mapping_basis = if any {
            self.mapping_basis.clone()
        } else {
            format!("no server answered: {}", reason.describe())
        };
        let port_preservation = match (mapped, local) {
            (Some(x), Some(l)) if self.mapping != Mapping::NoNat => Some(x.port() == l.port()),
            _ => None,
        };
        let end = self.finished.unwrap_or(now);
        Report {
            family,
            local,
            mapped,
            servers,
            primary: self.primary.map(|p| self.cfg.servers[p]),
            mapping: if any { self.mapping } else { Mapping::Unknown },
            mapping_basis,
            filtering,
            filtering_basis,
            hairpinning: self.hairpin.flatten(),
            port_preservation,
            port_allocation: self.port_allocation.flatten(),
            port_probes: self.probe_ports.iter().map(|p| p.1).collect(),
            classic,
            webrtc,
            webrtc_explained,
            reason,
            reason_explained,
            lifetime: self.lifetime.clone().flatten(),
            notes: self.notes.clone(),
            sent: self.sent,
            received: self.received,
            duration_ms: end.saturating_duration_since(self.start).as_secs_f64() * 1000.0,
            trace: self.trace(),
        }
    }
}

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
