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

use crate::check::Unreachable;
use crate::msg::{explain_error, IdGen};
use crate::transaction::{Pacing, Poll, RtoRule, RttEstimator, Schedule, Transaction};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rtcscope_stun::{
    Attribute, ChannelData, Class, Credentials, Message, MessageBuilder, Method, PasswordPrep,
    TransactionId, TransportProtocol,
};
use serde::Serialize;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// TURN REST API credentials (coturn `use-auth-secret`): the username is `expiry:user` (expiry
/// in Unix seconds), the password base64(HMAC-SHA1(secret, username)).
pub fn rest_credentials(secret: &[u8], user: &str, expiry_unix: u64) -> (String, String) {
    let username = if user.is_empty() {
        expiry_unix.to_string()
    } else {
        format!("{expiry_unix}:{user}")
    };
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    let password = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (username, password)
}

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

/// One step of the check, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// What was done.
    pub name: String,
    /// Whether it worked.
    pub ok: bool,
    /// Round-trip time, when meaningful.
    pub rtt_ms: Option<f64>,
    /// What came of it.
    pub detail: String,
}

/// A STUN/TURN error answer, explained.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorInfo {
    /// The request that failed.
    pub request: String,
    /// The code.
    pub code: u16,
    /// The server's reason phrase.
    pub reason: String,
    /// What it means.
    pub explanation: String,
}

/// What the TLS handshake of a `turns:` or `stuns:` check established. The check itself never
/// sees TLS: the socket edge fills this in.
#[derive(Clone, Debug, Serialize)]
pub struct TlsInfo {
    /// The name sent as SNI and checked against the certificate: the URI's host (a name, or
    /// an IP address).
    pub server_name: String,
    /// The negotiated version, `TLS 1.3` or `TLS 1.2` (None when the handshake failed before).
    pub version: Option<String>,
    /// The negotiated cipher suite, by its IANA name (None when the handshake failed before).
    pub cipher_suite: Option<String>,
    /// Whether the server's certificate chain was verified for `server_name` during the
    /// handshake (never with `--insecure`).
    pub certificate_verified: bool,
    /// How the certificate was checked, in words: what it was verified against, or
    /// `certificate not verified (--insecure)` and what a verification would have said.
    pub verification: String,
    /// SHA-256 fingerprint of the server's (leaf) certificate, colon-separated hex pairs as
    /// `openssl x509 -fingerprint -sha256` prints them.
    pub certificate_sha256: Option<String>,
    /// How many certificates the server sent (leaf first, then intermediates).
    pub certificates: usize,
    /// Time the TLS handshake took, milliseconds (the TCP connect excluded).
    pub handshake_ms: Option<f64>,
}

/// The check's verdict on a server, in one word: whether it works, and if not, whether it
/// answered at all, and with what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TurnVerdict {
    /// Every step worked.
    Works,
    /// The server answered, but a step failed: an error response (see `error`), no relayed
    /// address, data that did not come back through the relay, a peer STUN server that did
    /// not answer.
    Failed,
    /// Nothing came back from the server for a request, through every retransmission (UDP)
    /// or until the timeout (TCP, TLS).
    NoAnswer,
    /// ICMP port unreachable (UDP): nothing listens on the server's port (server down, wrong
    /// port), or a firewall rejects the datagrams.
    PortUnreachable,
    /// ICMP host or network unreachable (UDP).
    HostUnreachable,
    /// The server answered with something that is not STUN: not a STUN/TURN server (wrong
    /// port?).
    NotStun,
    /// The server answered with STUN that is malformed or carries transaction IDs of no
    /// request, and never with a valid answer: a broken server, or something on the path
    /// that rewrites STUN.
    BrokenServer,
    /// The TCP connection or the TLS handshake failed, or the connection closed early.
    ConnectionFailed,
}

/// The outcome of one server check.
#[derive(Clone, Debug, Serialize)]
pub struct TurnReport {
    /// Server address.
    pub server: SocketAddr,
    /// Transport used.
    pub transport: Transport,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Server-reflexive candidate.
    pub srflx: Option<SocketAddr>,
    /// Relayed candidate.
    pub relayed: Option<SocketAddr>,
    /// Granted allocation lifetime, seconds.
    pub lifetime: Option<u32>,
    /// REALM of the challenge.
    pub realm: Option<String>,
    /// SOFTWARE of the server.
    pub software: Option<String>,
    /// The error that stopped the check.
    pub error: Option<ErrorInfo>,
    /// Round-trip times of the echoes through the relay, milliseconds.
    pub echo_rtt_ms: Vec<f64>,
    /// Whether the allocation was released (Refresh with LIFETIME 0).
    pub released: bool,
    /// Whether everything asked for worked.
    pub success: bool,
    /// Wall time, milliseconds (for TLS, from the end of the handshake; when the handshake
    /// failed, its time).
    pub duration_ms: f64,
    /// The TLS handshake's facts (`turns:`, `stuns:`), None for UDP and TCP.
    pub tls: Option<TlsInfo>,
    /// The verdict in one word (`works`, `failed`, `no-answer`, `port-unreachable`, …).
    pub verdict: TurnVerdict,
    /// Datagrams from the server that were not STUN (nor ChannelData).
    pub not_stun: u32,
    /// STUN messages from the server that did not parse, or with a transaction ID of no
    /// request the check sent.
    pub broken_stun: u32,
}

impl TurnReport {
    /// An empty report for `server`: no step taken yet, not successful.
    pub fn new(server: SocketAddr, transport: Transport) -> Self {
        TurnReport {
            server,
            transport,
            steps: Vec::new(),
            srflx: None,
            relayed: None,
            lifetime: None,
            realm: None,
            software: None,
            error: None,
            echo_rtt_ms: Vec::new(),
            released: false,
            success: false,
            duration_ms: 0.0,
            tls: None,
            verdict: TurnVerdict::Failed,
            not_stun: 0,
            broken_stun: 0,
        }
    }
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

    fn allocate(&mut self, now: Instant) {
        let id = self.ids.transaction_id();
        let mut b = MessageBuilder::request(Method::ALLOCATE, TransactionId::Rfc5389(id));
        b.add(&Attribute::RequestedTransport(TransportProtocol::UDP))
            .add(&Attribute::Lifetime(self.cfg.lifetime));
        let signed = self.creds.is_some();
        self.send_client(now, id, b, Request::Allocate, signed);
    }

    fn step(&mut self, name: &str, ok: bool, rtt: Option<Duration>, detail: String) {
        self.report.steps.push(Step {
            name: name.into(),
            ok,
            rtt_ms: rtt.map(|d| d.as_secs_f64() * 1000.0),
            detail,
        });
    }

    /// An error answer to `request` (named `name` in the step and the error) ends the check.
    fn fail(&mut self, now: Instant, request: Request, name: &str, code: u16, reason: &str) {
        let explanation = match code {
            401 if request == Request::Allocate => {
                "the credentials were rejected (wrong username or password, or expired TURN REST credentials)".to_string()
            }
            _ => explain_error(code).to_string(),
        };
        self.step(
            name,
            false,
            None,
            format!("error {code} {reason}: {explanation}"),
        );
        self.report.error = Some(ErrorInfo {
            request: name.into(),
            code,
            reason: reason.into(),
            explanation,
        });
        // Release what was allocated before giving up.
        if self.report.relayed.is_some() && self.phase != Phase::Release {
            self.release(now);
        } else {
            self.finish(now);
        }
    }

    fn release(&mut self, now: Instant) {
        self.phase = Phase::Release;
        let id = self.ids.transaction_id();
        let mut b = MessageBuilder::request(Method::REFRESH, TransactionId::Rfc5389(id));
        b.add(&Attribute::Lifetime(0));
        self.send_client(now, id, b, Request::Refresh, true);
    }

    fn finish(&mut self, now: Instant) {
        self.phase = Phase::Done;
        self.client_req = None;
        self.peer_req = None;
        self.probe = None;
        self.finished = Some(now);
        self.report.duration_ms = now.saturating_duration_since(self.start).as_secs_f64() * 1000.0;
        self.report.success = self.report.error.is_none()
            && match self.cfg.mode {
                Mode::Stun => self.report.srflx.is_some(),
                Mode::Turn => {
                    self.report.released
                        && self.peer_to_client
                        && self.client_to_peer
                        && self.report.echo_rtt_ms.len() == self.cfg.echoes
                }
            };
        self.report.verdict = if self.report.success {
            TurnVerdict::Works
        } else {
            self.verdict.unwrap_or(TurnVerdict::Failed)
        };
    }

    /// Why the server's silence to `what` (a request of the client) ended the check: the
    /// verdict, the short reason and the explanation, from what else came from the server.
    fn silence(&self, what: &str, sent: u32) -> (TurnVerdict, &'static str, String) {
        let server = self.cfg.server;
        let r = &self.report;
        if r.broken_stun > 0 {
            (
                TurnVerdict::BrokenServer,
                "broken STUN",
                format!(
                    "{server} never answered {what} with a valid STUN answer but sent {} STUN \
                     message(s) that are malformed or carry a transaction ID of no request: a \
                     broken server, or something on the path that rewrites STUN",
                    r.broken_stun
                ),
            )
        } else if r.not_stun > 0 {
            (
                TurnVerdict::NotStun,
                "not STUN",
                format!(
                    "{server} never answered {what} but sent {} datagram(s) that are not STUN: \
                     is it a STUN/TURN server (the right port)?",
                    r.not_stun
                ),
            )
        } else if self.cfg.transport.is_stream() {
            (
                TurnVerdict::NoAnswer,
                "timeout",
                format!(
                    "{server} accepted the connection but did not answer {what} over it: is it \
                     a STUN/TURN server (the right port)?"
                ),
            )
        } else {
            let earlier = if self.answered {
                "; it had answered earlier requests"
            } else {
                ": the server is down or drops the requests, a firewall drops the traffic, \
                 or UDP is blocked on the way"
            };
            (
                TurnVerdict::NoAnswer,
                "timeout",
                format!("no answer from {server} to {what} after {sent} transmission(s){earlier}"),
            )
        }
    }

    /// An ICMP error came back for what `at` sent (the client's UDP socket is connected to
    /// the server, so the edge sees one): the check ends with that verdict.
    pub fn handle_unreachable(&mut self, now: Instant, at: Endpoint, kind: Unreachable) {
        if self.finished.is_some() || at != Endpoint::Client {
            return;
        }
        let server = self.cfg.server;
        let what = self
            .client_req
            .as_ref()
            .map_or("the server", |p| p.request.name());
        let (verdict, reason, explanation) = match kind {
            Unreachable::Port => (
                TurnVerdict::PortUnreachable,
                "port unreachable",
                format!(
                    "ICMP port unreachable from {server}: nothing listens on UDP port {} (the \
                     server is down or on another port), or a firewall rejects the datagrams",
                    server.port()
                ),
            ),
            Unreachable::Host | Unreachable::Network => (
                TurnVerdict::HostUnreachable,
                "host unreachable",
                format!("ICMP host or network unreachable for {server}: no route to the server"),
            ),
        };
        self.step(what, false, None, reason.into());
        self.report.error = Some(ErrorInfo {
            request: what.into(),
            code: 0,
            reason: reason.into(),
            explanation,
        });
        self.verdict = Some(verdict);
        self.finish(now);
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

    /// Sends what the current data-path phase needs for `payload`.
    fn send_probe(&mut self, payload: Vec<u8>) {
        let (Some(relayed), Some(peer)) = (self.report.relayed, self.peer_srflx) else {
            return;
        };
        match self.phase {
            Phase::DataPaths if !self.peer_to_client => {
                // The peer sends first: it opens the peer's own NAT toward the relay, and the
                // relay must forward it to the client as a Data indication.
                self.out.push(Transmit {
                    from: Endpoint::Peer,
                    dst: relayed,
                    payload,
                });
            }
            Phase::DataPaths => {
                let id = self.ids.transaction_id();
                let mut b = MessageBuilder::indication(Method::SEND, TransactionId::Rfc5389(id));
                b.add(&Attribute::XorPeerAddress(peer))
                    .add(&Attribute::Data(payload.into()));
                self.out.push(Transmit {
                    from: Endpoint::Client,
                    dst: self.cfg.server,
                    payload: b.finish().expect("small"),
                });
            }
            Phase::Echo => {
                let mut cd = Vec::with_capacity(4 + payload.len() + 3);
                cd.extend_from_slice(&CHANNEL.to_be_bytes());
                cd.extend_from_slice(&(payload.len() as u16).to_be_bytes());
                cd.extend_from_slice(&payload);
                if self.cfg.transport.is_stream() {
                    cd.resize(cd.len().div_ceil(4) * 4, 0);
                }
                self.out.push(Transmit {
                    from: Endpoint::Client,
                    dst: self.cfg.server,
                    payload: cd,
                });
            }
            _ => {}
        }
    }

    fn start_probe(&mut self, now: Instant, payload: Vec<u8>) {
        let mut schedule = Schedule::new(now, ATTEMPTS);
        let first = schedule.poll(now, &self.probe_pacing());
        debug_assert_eq!(first, Poll::Transmit);
        self.probe = Some((payload.clone(), schedule));
        self.send_probe(payload);
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

    fn maybe_permission(&mut self, now: Instant) {
        if self.phase != Phase::Permission || self.client_req.is_some() {
            return;
        }
        let Some(peer) = self.peer_srflx else { return };
        let id = self.ids.transaction_id();
        let mut b = MessageBuilder::request(Method::CREATE_PERMISSION, TransactionId::Rfc5389(id));
        b.add(&Attribute::XorPeerAddress(peer));
        self.send_client(now, id, b, Request::CreatePermission, true);
    }

    fn channel_bind(&mut self, now: Instant) {
        let id = self.ids.transaction_id();
        let mut b = MessageBuilder::request(Method::CHANNEL_BIND, TransactionId::Rfc5389(id));
        if let Some(peer) = self.peer_srflx {
            b.add(&Attribute::ChannelNumber(CHANNEL))
                .add(&Attribute::XorPeerAddress(peer));
        }
        self.send_client(now, id, b, Request::ChannelBind, true);
    }

    /// Counts a datagram from the server that is not a message.
    fn junk(&mut self, src: SocketAddr, data: &[u8]) {
        if src != self.cfg.server {
            return;
        }
        let stun_like = data.len() >= 8
            && data[0] & 0xC0 == 0
            && data[4..8] == rtcscope_stun::MAGIC_COOKIE.to_be_bytes();
        if stun_like {
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

    /// Sends `request` again, after a stale nonce.
    fn resend(&mut self, now: Instant, request: Request) {
        match request {
            Request::Allocate => self.allocate(now),
            Request::Refresh => self.release(now),
            Request::CreatePermission => self.maybe_permission(now),
            Request::ChannelBind => self.channel_bind(now),
            Request::Binding | Request::PeerBinding => self.finish(now),
        }
    }

    fn on_allocated(&mut self, now: Instant, attrs: &[Attribute<'static>]) {
        for a in attrs {
            match a {
                Attribute::XorRelayedAddress(r) => self.report.relayed = Some(*r),
                Attribute::XorMappedAddress(x) => self.report.srflx = Some(*x),
                Attribute::Lifetime(l) => self.report.lifetime = Some(*l),
                _ => {}
            }
        }
        let detail = format!(
            "relayed candidate {}, server-reflexive candidate {}, lifetime {} s",
            self.report
                .relayed
                .map(|a| a.to_string())
                .unwrap_or_else(|| "missing".into()),
            self.report
                .srflx
                .map(|a| a.to_string())
                .unwrap_or_else(|| "missing".into()),
            self.report
                .lifetime
                .map(|l| l.to_string())
                .unwrap_or_else(|| "?".into()),
        );
        self.step(
            "relayed address",
            self.report.relayed.is_some(),
            None,
            detail,
        );
        if self.report.relayed.is_none() {
            self.finish(now);
            return;
        }
        self.phase = Phase::Permission;
        self.maybe_permission(now);
    }

    /// ChannelData at the client: an echo back through the relay.
    fn on_channel_data(&mut self, now: Instant, data: &[u8]) {
        let Ok(cd) =
            ChannelData::parse(data).or_else(|_| ChannelData::parse_prefix(data).map(|(c, _)| c))
        else {
            self.report.not_stun += 1;
            return;
        };
        if let (Phase::Echo, Some((payload, schedule))) = (self.phase, self.probe.clone()) {
            if cd.channel_number() == CHANNEL && cd.data() == payload.as_slice() {
                let rtt = schedule.since_first(now);
                self.report.echo_rtt_ms.push(rtt.as_secs_f64() * 1000.0);
                self.echo_n += 1;
                if self.echo_n >= self.cfg.echoes {
                    self.probe = None;
                    let rtts = &self.report.echo_rtt_ms;
                    let min = rtts.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = rtts.iter().copied().fold(0.0, f64::max);
                    let detail = format!(
                        "{} echoes client → relay → peer → relay → client over channel 0x{CHANNEL:04X}, RTT {min:.1} to {max:.1} ms",
                        rtts.len()
                    );
                    self.step("ChannelData echo", true, None, detail);
                    self.release(now);
                } else {
                    self.start_probe(now, format!("rtcscope-echo-{}", self.echo_n).into_bytes());
                }
            }
        }
    }

    /// A Data indication at the client: the peer's datagram relayed to it.
    fn on_data_indication(&mut self, now: Instant, msg: &Message<'_>) {
        let d = msg
            .attributes()
            .map_while(Result::ok)
            .find_map(|a| match a.decode() {
                Ok(Attribute::Data(d)) => Some(d.into_owned()),
                _ => None,
            });
        if let (Phase::DataPaths, Some((payload, schedule)), Some(d)) =
            (self.phase, self.probe.clone(), d)
        {
            if !self.peer_to_client && d == payload {
                self.peer_to_client = true;
                self.step(
                    "Data indication",
                    true,
                    Some(schedule.since_first(now)),
                    "the relay forwarded the peer's datagram to the client".into(),
                );
                self.start_probe(now, b"rtcscope-send-indication".to_vec());
            }
        }
    }

    /// The STUN check's Binding answered.
    fn on_binding(&mut self, now: Instant, rtt: Option<Duration>, attrs: &[Attribute<'static>]) {
        let x = attrs.iter().find_map(|a| match a {
            Attribute::XorMappedAddress(x) | Attribute::MappedAddress(x) => Some(*x),
            _ => None,
        });
        self.report.srflx = x;
        self.step(
            "Binding",
            x.is_some(),
            rtt,
            format!(
                "server-reflexive candidate {}",
                x.map(|a| a.to_string()).unwrap_or_else(|| "missing".into())
            ),
        );
        self.finish(now);
    }

    /// The unauthenticated Allocate refused: the 401 challenge (REALM, NONCE) gives the credentials, anything else ends the check.
    fn on_challenge(&mut self, now: Instant, rtt: Option<Duration>, attrs: &[Attribute<'static>]) {
        let (code, reason) = error_of(attrs).unwrap_or((0, String::new()));
        let realm = attrs.iter().find_map(|a| match a {
            Attribute::Realm(r) => Some(r.to_string()),
            _ => None,
        });
        let nonce = attrs.iter().find_map(|a| match a {
            Attribute::Nonce(n) => Some(n.to_string()),
            _ => None,
        });
        match (code, realm, nonce) {
            (401, Some(realm), Some(nonce)) => {
                self.step(
                    "Allocate (unauthenticated)",
                    true,
                    rtt,
                    format!("401 challenge with REALM \"{realm}\" and a NONCE, as expected"),
                );
                self.report.realm = Some(realm.clone());
                match Credentials::long_term(
                    &self.cfg.username,
                    &realm,
                    &nonce,
                    &self.cfg.password,
                    None,
                    PasswordPrep::SaslPrep,
                ) {
                    Ok(c) => {
                        self.creds = Some(c);
                        self.phase = Phase::Allocate;
                        self.allocate(now);
                    }
                    Err(e) => {
                        self.step(
                            "credentials",
                            false,
                            None,
                            format!("the username or password cannot be prepared: {e:?}"),
                        );
                        self.finish(now);
                    }
                }
            }
            (code, _, _) => self.fail(
                now,
                Request::Allocate,
                "Allocate (unauthenticated)",
                code,
                &reason,
            ),
        }
    }

    /// The unauthenticated Allocate succeeded: an open relay.
    fn on_open_relay(&mut self, now: Instant, rtt: Option<Duration>, attrs: &[Attribute<'static>]) {
        self.step(
            "Allocate (unauthenticated)",
            true,
            rtt,
            "the server allocated a relay WITHOUT authentication: an open relay".into(),
        );
        self.on_allocated(now, attrs);
    }

    /// An error answer to `what`: a stale nonce is retried (twice at most) with the new nonce; any other error ends the check (after releasing the allocation).
    fn on_error(
        &mut self,
        now: Instant,
        what: Request,
        rtt: Option<Duration>,
        attrs: &[Attribute<'static>],
    ) {
        let (code, reason) = error_of(attrs).unwrap_or((0, String::new()));
        if code == 438 && self.stale_retries < 2 {
            // Stale nonce: take the new one and resend the same request.
            self.stale_retries += 1;
            let nonce = attrs.iter().find_map(|a| match a {
                Attribute::Nonce(n) => Some(n.to_string()),
                _ => None,
            });
            if let (Some(n), Some(Credentials::LongTerm { nonce, .. })) =
                (nonce, self.creds.as_mut())
            {
                *nonce = n;
            }
            self.step(
                what.name(),
                true,
                rtt,
                "438 Stale Nonce: retried with the new nonce".into(),
            );
            self.resend(now, what);
            return;
        }
        if self.phase == Phase::Release {
            self.step(
                what.name(),
                false,
                rtt,
                format!("error {code} {reason}: {}", explain_error(code)),
            );
            self.finish(now);
        } else {
            self.fail(now, what, what.name(), code, &reason);
        }
    }

    /// The signed Allocate succeeded.
    fn on_allocate_signed(
        &mut self,
        now: Instant,
        rtt: Option<Duration>,
        attrs: &[Attribute<'static>],
    ) {
        self.step(
            "Allocate (authenticated)",
            true,
            rtt,
            "allocation created".into(),
        );
        self.on_allocated(now, attrs);
    }

    /// CreatePermission succeeded: the data paths are next.
    fn on_permission(&mut self, now: Instant, rtt: Option<Duration>) {
        self.step(
            "CreatePermission",
            true,
            rtt,
            format!(
                "permission for {}",
                self.peer_srflx
                    .map(|a| a.ip().to_string())
                    .unwrap_or_default()
            ),
        );
        self.phase = Phase::DataPaths;
        self.start_probe(now, b"rtcscope-peer-punch".to_vec());
    }

    /// ChannelBind succeeded: the echoes are next.
    fn on_channel_bound(&mut self, now: Instant, rtt: Option<Duration>) {
        self.step(
            "ChannelBind",
            true,
            rtt,
            format!("channel 0x{CHANNEL:04X} bound to the peer"),
        );
        self.phase = Phase::Echo;
        self.start_probe(now, b"rtcscope-echo-0".to_vec());
    }

    /// The Refresh to LIFETIME 0 succeeded: the allocation is released.
    fn on_released(&mut self, now: Instant, what: Request, rtt: Option<Duration>) {
        self.report.released = true;
        self.step(what.name(), true, rtt, "allocation released".into());
        self.finish(now);
    }

    /// An answer at the peer from its STUN server: the peer's reflexive address, which the
    /// client then permits on the relay.
    fn on_peer_binding(&mut self, now: Instant, src: SocketAddr, data: &[u8]) {
        let Ok(msg) = Message::parse(data) else {
            self.junk(src, data);
            return;
        };
        let Some(p) = &self.peer_req else { return };
        if !p.matches(msg.transaction_id().as_bytes()) || msg.class() != Class::SUCCESS {
            self.late_or_wrong(src, &msg);
            return;
        }
        let rtt = p.schedule.rtt_sample(now);
        let mapped = msg
            .attributes()
            .map_while(Result::ok)
            .find_map(|a| match a.decode() {
                Ok(Attribute::XorMappedAddress(x)) => Some(x),
                _ => None,
            });
        self.peer_req = None;
        self.peer_srflx = mapped;
        self.step(
            "peer Binding",
            mapped.is_some(),
            rtt,
            format!(
                "the peer socket's reflexive address is {}",
                mapped
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "missing".into())
            ),
        );
        self.maybe_permission(now);
    }

    /// The client's Send indication arrived at the peer from the relayed address: both data
    /// paths work, ChannelBind is next.
    fn on_send_indication_arrived(&mut self, now: Instant, src: SocketAddr, schedule: &Schedule) {
        self.client_to_peer = true;
        self.probe = None;
        self.step(
            "Send indication",
            true,
            Some(schedule.since_first(now)),
            format!("the peer received the client's data from the relayed address {src}"),
        );
        self.phase = Phase::ChannelBind;
        self.channel_bind(now);
    }

    /// The peer sends an echo it got back through the relay.
    fn echo_back(&mut self, src: SocketAddr, data: &[u8]) {
        // The peer echoes what it got back through the relay.
        self.out.push(Transmit {
            from: Endpoint::Peer,
            dst: src,
            payload: data.to_vec(),
        });
    }

    /// Nothing came for `awaited` through `sent` transmissions: the check ends with the
    /// reason (after releasing the allocation, if there is one).
    fn on_silence(&mut self, now: Instant, awaited: Awaited, sent: u32) {
        let what = awaited.name();
        let (verdict, reason, explanation) = match awaited {
            Awaited::Answer(Request::PeerBinding) => (
                TurnVerdict::Failed,
                "timeout",
                format!(
                    "no answer to the peer socket's UDP Binding from {}: the relay check \
                     needs the peer's reflexive address from a STUN server over UDP (give \
                     another with --peer-stun HOST:PORT)",
                    self.cfg.peer_stun
                ),
            ),
            Awaited::RelayedData => (
                TurnVerdict::Failed,
                "timeout",
                "the relay did not pass the data on, after every retransmission".to_string(),
            ),
            Awaited::Answer(_) => self.silence(what, sent),
        };
        let detail = if reason == "timeout" {
            "no answer"
        } else {
            reason
        };
        self.step(what, false, None, detail.into());
        self.verdict = Some(verdict);
        self.report.error = Some(ErrorInfo {
            request: what.into(),
            code: 0,
            reason: reason.into(),
            explanation,
        });
        if self.report.relayed.is_some() && self.phase != Phase::Release {
            self.release(now);
            self.flush(now);
        } else {
            self.finish(now);
        }
    }

    /// The check ran out of time: it ends, saying what it was waiting for.
    fn on_deadline(&mut self, now: Instant) {
        self.step("deadline", false, None, "the check ran out of time".into());
        let pending = self
            .client_req
            .as_ref()
            .map(|p| (p.request.name(), p.schedule.sent));
        let (verdict, reason, explanation) = match pending {
            // Waiting on the server when time ran out: say what else it sent.
            Some((what, sent)) if self.report.error.is_none() => self.silence(what, sent),
            _ => (
                TurnVerdict::Failed,
                "timeout",
                "the check ran out of time".to_string(),
            ),
        };
        if self.report.error.is_none() {
            self.verdict = Some(verdict);
        }
        self.report.error.get_or_insert(ErrorInfo {
            request: pending.map_or_else(|| format!("{:?}", self.phase), |p| p.0.to_string()),
            code: 0,
            reason: reason.into(),
            explanation,
        });
        self.finish(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_credentials_match_coturn_formula() {
        // base64(HMAC-SHA1("secret", "1700000000:alice")), computed independently with
        // `printf %s 1700000000:alice | openssl dgst -sha1 -hmac secret -binary | base64`.
        let (u, p) = rest_credentials(b"secret", "alice", 1_700_000_000);
        assert_eq!(u, "1700000000:alice");
        assert_eq!(p, "d8soP47RbdIKLDUOpnJPVQyq5Ts=");
        let (u2, p2) = rest_credentials(b"secret", "alice", 1_700_000_001);
        assert_ne!((u.clone(), p.clone()), (u2, p2));
        let (u3, _) = rest_credentials(b"secret", "", 5);
        assert_eq!(u3, "5");
    }

    #[test]
    fn config_debug_hides_the_password() {
        let mut c = TurnConfig::new(
            "198.51.100.2:3478".parse().unwrap(),
            Transport::Udp,
            Mode::Turn,
            1,
        );
        c.password = "hunter2-very-secret".into();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn the_peer_asks_udp_stun_on_3478_for_stream_transports() {
        let at = |port, t| {
            let s: SocketAddr = format!("198.51.100.2:{port}").parse().unwrap();
            let c = TurnConfig::new(s, t, Mode::Turn, 1);
            let mut check = TurnCheck::new(c, Instant::now());
            let mut peer = None;
            while let Some(t) = check.poll_transmit() {
                if t.from == Endpoint::Peer {
                    peer = Some(t.dst);
                }
            }
            peer.expect("the peer's Binding").to_string()
        };
        assert_eq!(at(3478, Transport::Udp), "198.51.100.2:3478");
        assert_eq!(at(5000, Transport::Udp), "198.51.100.2:5000");
        assert_eq!(at(443, Transport::Tls), "198.51.100.2:3478");
        assert_eq!(at(5349, Transport::Tls), "198.51.100.2:3478");
        assert_eq!(at(3478, Transport::Tcp), "198.51.100.2:3478");
    }
}

#[cfg(test)]
mod scripted {
    //! The machine against a scripted server on virtual time: the stale-nonce retry and the
    //! error codes a TURN server can answer Allocate with.
    use super::*;
    use rtcscope_stun::ErrorCode;

    fn server() -> SocketAddr {
        "198.51.100.2:3478".parse().unwrap()
    }

    fn start() -> (TurnCheck, Instant) {
        let t0 = Instant::now();
        let mut cfg = TurnConfig::new(server(), Transport::Udp, Mode::Turn, 9);
        cfg.username = "alice".into();
        cfg.password = "pw".into();
        (TurnCheck::new(cfg, t0), t0)
    }

    /// The client's pending request to the server (the last one sent).
    fn last_client_request(c: &mut TurnCheck) -> Vec<u8> {
        let mut last = None;
        while let Some(t) = c.poll_transmit() {
            if t.from == Endpoint::Client {
                last = Some(t.payload);
            }
        }
        last.expect("a client request")
    }

    fn error(req: &[u8], code: u16, nonce: Option<&str>) -> Vec<u8> {
        let m = Message::parse(req).unwrap();
        let mut b = MessageBuilder::error(m.method(), m.transaction_id());
        b.add(&Attribute::ErrorCode {
            code: ErrorCode(code),
            reason: "x".into(),
        });
        if let Some(n) = nonce {
            b.add(&Attribute::Realm("lab".into()))
                .add(&Attribute::Nonce(n.into()));
        }
        b.finish().unwrap()
    }

    fn nonce_of(req: &[u8]) -> Option<String> {
        Message::parse(req)
            .unwrap()
            .attributes()
            .map_while(Result::ok)
            .find_map(|a| match a.decode() {
                Ok(Attribute::Nonce(n)) => Some(n.into_owned()),
                _ => None,
            })
    }

    #[test]
    fn stale_nonce_is_retried_with_the_new_nonce() {
        let (mut c, t0) = start();
        let req = last_client_request(&mut c);
        assert_eq!(
            nonce_of(&req),
            None,
            "the first Allocate is unauthenticated"
        );
        c.handle_input(
            t0,
            Endpoint::Client,
            server(),
            &error(&req, 401, Some("n1")),
        );
        let req = last_client_request(&mut c);
        assert_eq!(nonce_of(&req).as_deref(), Some("n1"));
        c.handle_input(
            t0,
            Endpoint::Client,
            server(),
            &error(&req, 438, Some("n2")),
        );
        let req = last_client_request(&mut c);
        assert_eq!(
            nonce_of(&req).as_deref(),
            Some("n2"),
            "retried with the new nonce"
        );
        assert!(c.report().steps.iter().any(|s| s.detail.contains("438")));
        assert!(!c.is_done());
    }

    #[test]
    fn a_silent_peer_stun_server_is_named_with_the_way_out() {
        let (mut c, t0) = start();
        // The server challenges the Allocate later (after a retransmission, so no round-trip
        // time speeds the client's schedule up), so the peer's Binding, sent at the start and
        // never answered, runs out first. (When both run out together, the client's request
        // is named: the server's silence is the news.)
        let req = last_client_request(&mut c);
        let later = t0 + Duration::from_millis(300);
        c.handle_input(
            later,
            Endpoint::Client,
            server(),
            &error(&req, 401, Some("n1")),
        );
        while !c.is_done() {
            while c.poll_transmit().is_some() {}
            let at = c.poll_timeout().expect("a running check has a timeout");
            c.handle_timeout(at);
        }
        let e = c.report().error.as_ref().expect("an error");
        assert_eq!(
            (e.request.as_str(), e.reason.as_str()),
            ("peer Binding", "timeout")
        );
        assert_eq!(
            e.explanation,
            "no answer to the peer socket's UDP Binding from 198.51.100.2:3478: the relay \
             check needs the peer's reflexive address from a STUN server over UDP (give \
             another with --peer-stun HOST:PORT)"
        );
    }

    #[test]
    fn allocate_errors_are_explained_and_end_the_check() {
        for (code, words) in [
            (401, "credentials were rejected"),
            (441, "wrong credentials"),
            (437, "allocation mismatch"),
            (442, "transport protocol"),
            (486, "quota"),
            (508, "capacity"),
        ] {
            let (mut c, t0) = start();
            let req = last_client_request(&mut c);
            c.handle_input(
                t0,
                Endpoint::Client,
                server(),
                &error(&req, 401, Some("n1")),
            );
            let req = last_client_request(&mut c);
            c.handle_input(t0, Endpoint::Client, server(), &error(&req, code, None));
            assert!(c.is_done(), "{code}");
            let r = c.report();
            assert!(!r.success);
            let e = r.error.as_ref().expect("error recorded");
            assert_eq!(e.code, code);
            assert!(e.explanation.contains(words), "{code}: {}", e.explanation);
        }
    }

    /// Runs the check to its end, answering each client request the server gets with
    /// `answer` (None: silence).
    fn run_against(
        mode: Mode,
        answer: impl Fn(&[u8]) -> Option<Vec<u8>>,
    ) -> (TurnReport, Duration) {
        let t0 = Instant::now();
        let mut cfg = TurnConfig::new(server(), Transport::Udp, mode, 9);
        cfg.username = "alice".into();
        cfg.password = "pw".into();
        let mut c = TurnCheck::new(cfg, t0);
        let mut now = t0;
        while !c.is_done() {
            let mut replies = Vec::new();
            while let Some(t) = c.poll_transmit() {
                if t.from == Endpoint::Client {
                    replies.extend(answer(&t.payload));
                }
            }
            for r in replies {
                c.handle_input(now, Endpoint::Client, server(), &r);
            }
            if c.is_done() {
                break;
            }
            now = c.poll_timeout().unwrap();
            c.handle_timeout(now);
        }
        (c.report().clone(), now - t0)
    }

    #[test]
    fn a_server_answering_garbage_wrong_ids_or_nothing_gets_a_clear_verdict() {
        for mode in [Mode::Stun, Mode::Turn] {
            let (r, took) =
                run_against(mode, |_| Some(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()));
            assert_eq!(r.verdict, TurnVerdict::NotStun, "{mode:?}: {r:#?}");
            let e = r.error.as_ref().unwrap();
            assert_eq!(e.reason, "not STUN");
            assert!(e.explanation.contains("not STUN"), "{}", e.explanation);
            assert!(r.not_stun >= ATTEMPTS, "{r:#?}");
            assert!(took < Duration::from_secs(8));

            let (r, _) = run_against(mode, |req| {
                let m = Message::parse(req).unwrap();
                let mut id = [0u8; 12];
                id.copy_from_slice(m.transaction_id().as_bytes());
                id[0] ^= 0xff;
                let mut b = MessageBuilder::error(m.method(), TransactionId::Rfc5389(id));
                b.add(&Attribute::ErrorCode {
                    code: ErrorCode(401),
                    reason: "x".into(),
                });
                Some(b.finish().unwrap())
            });
            assert_eq!(r.verdict, TurnVerdict::BrokenServer, "{mode:?}: {r:#?}");
            let e = r.error.as_ref().unwrap();
            assert!(
                e.explanation.contains("transaction ID of no request"),
                "{}",
                e.explanation
            );
            assert!(r.broken_stun >= ATTEMPTS);

            let (r, _) = run_against(mode, |req| Some(req[..req.len() - 4].to_vec()));
            assert_eq!(r.verdict, TurnVerdict::BrokenServer, "{mode:?}: {r:#?}");

            let (r, _) = run_against(mode, |_| None);
            assert_eq!(r.verdict, TurnVerdict::NoAnswer, "{mode:?}: {r:#?}");
            let e = r.error.as_ref().unwrap();
            assert_eq!((e.code, e.reason.as_str()), (0, "timeout"));
            // The server's silence is the news, not the peer's Binding to the same server.
            assert_ne!(e.request, "peer Binding", "{r:#?}");
            assert!(
                e.explanation.contains("no answer from 198.51.100.2:3478"),
                "{}",
                e.explanation
            );
        }
    }

    #[test]
    fn icmp_port_unreachable_ends_the_check_at_once() {
        let (mut c, t0) = start();
        while c.poll_transmit().is_some() {}
        c.handle_unreachable(t0, Endpoint::Client, Unreachable::Port);
        assert!(c.is_done());
        let r = c.report();
        assert_eq!(r.verdict, TurnVerdict::PortUnreachable);
        let e = r.error.as_ref().unwrap();
        assert_eq!(e.reason, "port unreachable");
        assert!(
            e.explanation.contains("nothing listens on UDP port 3478"),
            "{}",
            e.explanation
        );
        // The peer's socket is not connected: an ICMP error there says nothing.
        let (mut c, t0) = start();
        c.handle_unreachable(t0, Endpoint::Peer, Unreachable::Port);
        assert!(!c.is_done());
    }

    #[test]
    fn a_late_duplicate_answer_is_not_a_broken_server() {
        let (mut c, t0) = start();
        let req = last_client_request(&mut c);
        let challenge = error(&req, 401, Some("n1"));
        c.handle_input(t0, Endpoint::Client, server(), &challenge);
        // The answer to a retransmission of the first Allocate arrives after the second.
        c.handle_input(t0, Endpoint::Client, server(), &challenge);
        assert_eq!(c.report().broken_stun, 0);
    }

    #[test]
    fn silence_times_out_within_the_retransmission_budget() {
        let (mut c, t0) = start();
        let mut now = t0;
        let mut sent = 0;
        while !c.is_done() {
            while c.poll_transmit().is_some() {
                sent += 1;
            }
            now = c.poll_timeout().unwrap();
            c.handle_timeout(now);
        }
        assert!(sent <= 2 * ATTEMPTS as usize, "{sent} datagrams");
        assert!(now - t0 < Duration::from_secs(8));
        assert_eq!(c.report().error.as_ref().map(|e| e.code), Some(0));
        assert_eq!(c.report().verdict, TurnVerdict::NoAnswer);
    }
}
