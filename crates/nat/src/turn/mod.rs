//! The TURN server check as a sans-IO state machine, and TURN REST credentials.
//!
//! ```text
//! client ──Allocate──────────────► server   401 + REALM + NONCE (the challenge)
//! client ──Allocate (signed)─────► server   relayed + reflexive address, LIFETIME
//!                                           (438 Stale Nonce: retry with the new nonce)
//! peer   ──Binding───────────────► server   the peer's reflexive address
//! client ──CreatePermission──────► server
//! peer   ──"punch"──► relayed address ──Data indication──► client   (peer → client works)
//! client ──Send indication──► relay ──► peer                          (client → peer works)
//! client ──ChannelBind───────────► server
//! client ──ChannelData──► relay ──► peer ──echo──► relay ──ChannelData──► client  (RTTs)
//! client ──Refresh LIFETIME=0────► server   released
//! ```
//!
//! The client endpoint talks to the server over UDP, TCP or TLS over TCP (the edge frames the
//! byte stream and, for TLS, runs the TLS session; the machine sees the same messages either
//! way); the peer is a second local UDP socket, so an echo that comes back proves the relay
//! forwards data both ways.
//! The password is held only as the long-term key and is never printed (`Debug` of the config
//! hides it).
//!
//! # Where things are
//!
//! This file holds the settings, the edge's inputs and outputs, the requests (`Request`
//! on the shared [`crate::transaction`] layer: pacing, retransmission, matching) and the
//! dispatch of what arrives; each step of the flow above has a file: `binding` (the STUN
//! check's Binding, the peer's Binding), `allocate` (challenge, signed Allocate, stale nonce),
//! `permission`, `data_paths` (Data and Send indications), `channel`, `echo`, `refresh`; and
//! `verdict` says how the check ended. `report` holds the report's types, `rest` the TURN REST
//! credentials.

mod allocate;
mod binding;
mod channel;
mod data_paths;
mod echo;
mod permission;
mod refresh;
mod report;
mod rest;
mod verdict;

#[cfg(test)]
mod scripted;
#[cfg(test)]
mod tests;

pub use report::{ErrorInfo, Step, TlsInfo, TurnReport, TurnVerdict};
pub use rest::rest_credentials;

use crate::msg::{self, IdGen};
use crate::transaction::{Pacing, Poll, RtoRule, RttEstimator, Schedule, Transaction};
use rtcscope_stun::{
    Attribute, Class, Credentials, Message, MessageBuilder, Method, TransactionId,
};
use serde::Serialize;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How the client reaches the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP (RFC 8656 §3.1; ChannelData padded to four bytes).
    Tcp,
    /// TLS over TCP (`turns:`, `stuns:`; RFC 7065, RFC 8656 §3.1): framed exactly as TCP.
    Tls,
}

impl Transport {
    /// True for the byte-stream transports (TCP and TLS): one transmission per request, no
    /// retransmission, ChannelData padded to four bytes.
    pub fn is_stream(self) -> bool {
        matches!(self, Transport::Tcp | Transport::Tls)
    }
}

/// What to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A STUN server: one Binding request.
    Stun,
    /// A TURN server: the whole flow.
    Turn,
}

/// Settings of one check.
#[derive(Clone)]
pub struct TurnConfig {
    /// Server address.
    pub server: SocketAddr,
    /// Client transport.
    pub transport: Transport,
    /// STUN or TURN.
    pub mode: Mode,
    /// Username (TURN).
    pub username: String,
    /// Password (TURN); never printed.
    pub password: String,
    /// Requested allocation lifetime, seconds.
    pub lifetime: u32,
    /// Echoes through the channel.
    pub echoes: usize,
    /// Whole check deadline.
    pub deadline: Duration,
    /// Where the peer socket sends its UDP Binding to learn its reflexive address (which the
    /// client then permits on the relay). The server itself for a UDP check; for TCP and TLS
    /// the server's address with the standard STUN port 3478, since a server on a stream port
    /// such as 443 or 5349 rarely answers UDP there.
    pub peer_stun: SocketAddr,
    /// Seed for transaction IDs.
    pub seed: u64,
}

impl core::fmt::Debug for TurnConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TurnConfig")
            .field("server", &self.server)
            .field("transport", &self.transport)
            .field("mode", &self.mode)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl TurnConfig {
    /// A TURN check with defaults: lifetime 600 s, 5 echoes, 8 s deadline, the peer's Binding
    /// to the server (UDP) or to its port 3478 (TCP, TLS).
    pub fn new(server: SocketAddr, transport: Transport, mode: Mode, seed: u64) -> Self {
        let peer_stun = if transport.is_stream() {
            SocketAddr::new(server.ip(), 3478)
        } else {
            server
        };
        TurnConfig {
            server,
            transport,
            mode,
            username: String::new(),
            password: String::new(),
            lifetime: 600,
            echoes: 5,
            deadline: Duration::from_secs(8),
            peer_stun,
            seed,
        }
    }
}

/// Which local endpoint a datagram belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// The client, talking to the server (UDP socket or TCP connection).
    Client,
    /// The peer: a second local UDP socket.
    Peer,
}

/// A datagram (or, for the TCP client, a framed message) to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// From which endpoint.
    pub from: Endpoint,
    /// To where.
    pub dst: SocketAddr,
    /// The bytes.
    pub payload: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Bind,
    AllocateChallenge,
    Allocate,
    Permission,
    DataPaths,
    ChannelBind,
    Echo,
    Release,
    Done,
}

/// A request the check sends, by what it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    /// The STUN check's Binding from the client.
    Binding,
    /// The peer socket's Binding, for its reflexive address.
    PeerBinding,
    /// Allocate, unauthenticated (the challenge) or signed.
    Allocate,
    /// CreatePermission for the peer.
    CreatePermission,
    /// ChannelBind of [`CHANNEL`] to the peer.
    ChannelBind,
    /// Refresh with LIFETIME 0: the allocation released.
    Refresh,
}

impl Phase {
    /// The name in errors (the phase the check was in).
    fn name(self) -> &'static str {
        match self {
            Phase::Bind => "Binding",
            Phase::AllocateChallenge => "Allocate (challenge)",
            Phase::Allocate => "Allocate",
            Phase::Permission => "CreatePermission",
            Phase::DataPaths => "data paths",
            Phase::ChannelBind => "ChannelBind",
            Phase::Echo => "echo",
            Phase::Release => "Refresh (LIFETIME 0)",
            Phase::Done => "done",
        }
    }
}

impl Request {
    /// The name in steps and errors.
    fn name(self) -> &'static str {
        match self {
            Request::Binding => "Binding",
            Request::PeerBinding => "peer Binding",
            Request::Allocate => "Allocate",
            Request::CreatePermission => "CreatePermission",
            Request::ChannelBind => "ChannelBind",
            Request::Refresh => "Refresh (LIFETIME 0)",
        }
    }
}

/// What the check waited for in vain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Awaited {
    /// The answer to a request.
    Answer(Request),
    /// Data through the relay (a data-path probe or an echo).
    RelayedData,
}

impl Awaited {
    fn name(self) -> &'static str {
        match self {
            Awaited::Answer(r) => r.name(),
            Awaited::RelayedData => "data through the relay",
        }
    }
}

/// The ERROR-CODE of an answer: code and reason phrase.
fn error_of(attrs: &[Attribute<'static>]) -> Option<(u16, String)> {
    attrs.iter().find_map(|a| match a {
        Attribute::ErrorCode { code, reason } => Some((code.0, reason.to_string())),
        _ => None,
    })
}

/// A request in flight: the shared transaction layer, sent from the client or the peer.
type Pending = Transaction<Request, Endpoint>;

const CHANNEL: u16 = 0x4000;
const ATTEMPTS: u32 = 7;

/// The TURN check state machine; see the [module docs](self).
pub struct TurnCheck {
    cfg: TurnConfig,
    ids: IdGen,
    start: Instant,
    phase: Phase,
    out: Vec<Transmit>,
    client_req: Option<Pending>,
    peer_req: Option<Pending>,
    creds: Option<Credentials>,
    stale_retries: u32,
    peer_srflx: Option<SocketAddr>,
    /// The data-path probe (or echo) waiting to arrive: its payload and its retransmissions.
    probe: Option<(Vec<u8>, Schedule)>,
    peer_to_client: bool,
    client_to_peer: bool,
    echo_n: usize,
    rtt: RttEstimator,
    /// Every transaction ID sent: an answer to an earlier request is late, not broken.
    sent_ids: Vec<[u8; 12]>,
    /// Whether the server ever gave a valid answer.
    answered: bool,
    /// The verdict a failure decided (a timeout, an ICMP error); `Failed` otherwise.
    verdict: Option<TurnVerdict>,
    report: TurnReport,
    finished: Option<Instant>,
}

impl TurnCheck {
    /// Starts the check at `now`.
    pub fn new(cfg: TurnConfig, now: Instant) -> Self {
        let ids = IdGen::new(cfg.seed);
        let report = TurnReport::new(cfg.server, cfg.transport);
        let mut c = TurnCheck {
            cfg,
            ids,
            start: now,
            phase: Phase::Bind,
            out: Vec::new(),
            client_req: None,
            peer_req: None,
            creds: None,
            stale_retries: 0,
            peer_srflx: None,
            probe: None,
            peer_to_client: false,
            client_to_peer: false,
            echo_n: 0,
            rtt: RttEstimator::new(),
            sent_ids: Vec::new(),
            answered: false,
            verdict: None,
            report,
            finished: None,
        };
        match c.cfg.mode {
            Mode::Stun => {
                let id = c.ids.transaction_id();
                let b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389(id));
                c.send_client(now, id, b, Request::Binding, false);
            }
            Mode::Turn => {
                c.phase = Phase::AllocateChallenge;
                c.allocate(now);
                // The peer learns its own reflexive address meanwhile.
                let id = c.ids.transaction_id();
                let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389(id));
                b.fingerprint();
                let payload = b.finish().expect("small");
                c.sent_ids.push(id);
                c.peer_req = Some(Transaction::new(
                    now,
                    id,
                    Request::PeerBinding,
                    Endpoint::Peer,
                    c.cfg.peer_stun,
                    payload,
                    ATTEMPTS,
                ));
            }
        }
        c.flush(now);
        c
    }

    /// How requests are spaced: a steady interval, 3 s over TCP and TLS; over UDP 200 ms
    /// until an answer gives a round-trip time, then three times it (20 ms to 1 s).
    fn pacing(&self) -> Pacing {
        let rto = if self.cfg.transport.is_stream() {
            Duration::from_secs(3)
        } else {
            let rule = RtoRule {
                srtt_factor: 3,
                rttvar_factor: 0,
                min: Duration::from_millis(20),
                max: Duration::from_secs(1),
            };
            self.rtt.rto(Duration::from_millis(200), rule)
        };
        Pacing::steady(rto)
    }

    /// How data probes are spaced: as requests, but the last wait is not doubled.
    fn probe_pacing(&self) -> Pacing {
        Pacing {
            double_last: false,
            ..self.pacing()
        }
    }

    fn send_client(
        &mut self,
        now: Instant,
        id: [u8; 12],
        mut b: MessageBuilder,
        request: Request,
        sign: bool,
    ) {
        if sign {
            if let Some(c) = &self.creds {
                b.credentials(c).sign(c);
            }
        }
        b.fingerprint();
        let payload = b.finish().expect("TURN requests are small");
        self.sent_ids.push(id);
        // A byte stream delivers or fails: one transmission, no retransmission.
        let attempts = if self.cfg.transport.is_stream() {
            1
        } else {
            ATTEMPTS
        };
        self.client_req = Some(Transaction::new(
            now,
            id,
            request,
            Endpoint::Client,
            self.cfg.server,
            payload,
            attempts,
        ));
    }

    fn step(&mut self, name: &str, ok: bool, rtt: Option<Duration>, detail: String) {
        self.report.steps.push(Step {
            name: name.into(),
            ok,
            rtt_ms: rtt.map(|d| d.as_secs_f64() * 1000.0),
            detail,
        });
    }

    /// Datagrams to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.remove(0))
        }
    }

    /// When to call [`TurnCheck::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.finished.is_some() {
            return None;
        }
        let mut t = self.start + self.cfg.deadline;
        for p in [&self.client_req, &self.peer_req].into_iter().flatten() {
            t = t.min(p.schedule.due_at());
        }
        if let Some((_, schedule)) = &self.probe {
            t = t.min(schedule.due_at());
        }
        Some(t)
    }

    /// True once the report is final.
    pub fn is_done(&self) -> bool {
        self.finished.is_some()
    }

    /// The report.
    pub fn report(&self) -> &TurnReport {
        &self.report
    }

    /// Sends what is due (requests, retransmissions, data probes) and ends the check, or
    /// releases the allocation, when something went unanswered through every transmission.
    fn flush(&mut self, now: Instant) {
        let pacing = self.pacing();
        let mut timed_out: Option<(Awaited, u32)> = None;
        for slot in [&mut self.client_req, &mut self.peer_req] {
            let Some(p) = slot else { continue };
            match p.schedule.poll(now, &pacing) {
                Poll::Wait => {}
                Poll::Exhausted => {
                    // The client's request first: when the server is silent, its silence is
                    // the news, not the peer's Binding that went to the same server.
                    if timed_out.is_none() {
                        timed_out = Some((Awaited::Answer(p.request), p.schedule.sent));
                    }
                    *slot = None;
                }
                Poll::Transmit => self.out.push(Transmit {
                    from: p.from,
                    dst: p.dst,
                    payload: p.payload.clone(),
                }),
            }
        }
        let probe_pacing = self.probe_pacing();
        if let Some((payload, schedule)) = &mut self.probe {
            match schedule.poll(now, &probe_pacing) {
                Poll::Wait => {}
                Poll::Exhausted => {
                    timed_out.get_or_insert((Awaited::RelayedData, schedule.sent));
                }
                Poll::Transmit => {
                    let payload = payload.clone();
                    self.send_probe(payload);
                }
            }
        }
        if let Some((awaited, sent)) = timed_out {
            self.on_silence(now, awaited, sent);
        }
    }

    /// Time has come.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.finished.is_some() {
            return;
        }
        if now >= self.start + self.cfg.deadline {
            self.on_deadline(now);
            return;
        }
        self.flush(now);
    }

    /// A datagram (or TCP frame) arrived at `at` from `src`.
    pub fn handle_input(&mut self, now: Instant, at: Endpoint, src: SocketAddr, data: &[u8]) {
        if self.finished.is_some() {
            return;
        }
        match at {
            Endpoint::Peer => self.on_peer(now, src, data),
            Endpoint::Client => self.on_client(now, src, data),
        }
        if self.finished.is_none() {
            self.flush(now);
        }
    }

    fn on_peer(&mut self, now: Instant, src: SocketAddr, data: &[u8]) {
        if src == self.cfg.peer_stun && self.peer_req.is_some() {
            self.on_peer_binding(now, src, data);
            return;
        }
        // Data from the relay to the peer.
        if Some(src) != self.report.relayed {
            return;
        }
        let Some((payload, schedule)) = self.probe.clone() else {
            return;
        };
        match self.phase {
            Phase::DataPaths if self.peer_to_client && data == payload.as_slice() => {
                self.on_send_indication_arrived(now, src, &schedule)
            }
            Phase::Echo if data == payload.as_slice() => self.echo_back(src, data),
            _ => {}
        }
    }

    /// Counts a datagram from the server that is not a message.
    fn junk(&mut self, src: SocketAddr, data: &[u8]) {
        if src != self.cfg.server {
            return;
        }
        if msg::looks_like_stun(data) {
            self.report.broken_stun += 1;
        } else {
            self.report.not_stun += 1;
        }
    }

    /// Counts a response from the server with a transaction ID the check never sent (an
    /// answer to an earlier request, or a duplicate, is only late).
    fn late_or_wrong(&mut self, src: SocketAddr, msg: &Message<'_>) {
        let response = msg.class() == Class::SUCCESS || msg.class() == Class::ERROR;
        let ours = self
            .sent_ids
            .iter()
            .any(|id| msg.transaction_id().as_bytes() == id);
        if src == self.cfg.server && response && !ours {
            self.report.broken_stun += 1;
        }
    }

    fn on_client(&mut self, now: Instant, src: SocketAddr, data: &[u8]) {
        if src != self.cfg.server {
            return;
        }
        // ChannelData: the echo coming back.
        if data.first().is_some_and(|b| b >> 6 == 1) {
            self.on_channel_data(now, data);
            return;
        }
        let Ok(msg) = Message::parse(data) else {
            self.junk(src, data);
            return;
        };
        // A Data indication: the peer's datagram relayed to the client.
        if msg.class() == Class::INDICATION && msg.method() == Method::DATA {
            self.on_data_indication(now, &msg);
            return;
        }
        let Some(p) = &self.client_req else {
            self.late_or_wrong(src, &msg);
            return;
        };
        if !p.matches(msg.transaction_id().as_bytes()) {
            self.late_or_wrong(src, &msg);
            return;
        }
        self.answered = true;
        let rtt = p.schedule.rtt_sample(now);
        if let Some(r) = rtt {
            self.rtt.sample(r);
        }
        let what = p.request;
        self.client_req = None;
        let mut attrs = Vec::new();
        for a in msg.attributes() {
            match a.and_then(|a| a.decode()) {
                Ok(a) => attrs.push(a.into_owned()),
                Err(_) => break,
            }
        }
        for a in &attrs {
            if let Attribute::Software(s) = a {
                self.report.software = Some(s.to_string());
            }
        }
        // Integrity of answers to signed requests.
        if msg.class() == Class::SUCCESS && what != Request::Binding {
            if let Some(c) = &self.creds {
                if msg.verify_integrity(c.key()).is_err() {
                    self.step(
                        what.name(),
                        false,
                        rtt,
                        "the answer's MESSAGE-INTEGRITY does not verify with our key".into(),
                    );
                }
            }
        }
        match (self.phase, msg.class()) {
            (Phase::Bind, Class::SUCCESS) => self.on_binding(now, rtt, &attrs),
            (Phase::AllocateChallenge, Class::ERROR) => self.on_challenge(now, rtt, &attrs),
            (Phase::AllocateChallenge, Class::SUCCESS) => self.on_open_relay(now, rtt, &attrs),
            (_, Class::ERROR) => self.on_error(now, what, rtt, &attrs),
            (Phase::Allocate, Class::SUCCESS) => self.on_allocate_signed(now, rtt, &attrs),
            (Phase::Permission, Class::SUCCESS) => self.on_permission(now, rtt),
            (Phase::ChannelBind, Class::SUCCESS) => self.on_channel_bound(now, rtt),
            (Phase::Release, Class::SUCCESS) => self.on_released(now, what, rtt),
            _ => {}
        }
    }
}
