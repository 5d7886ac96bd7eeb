//! What the TURN check reports: its steps, the error that stopped it, the TLS handshake's
//! facts and the verdict in one word.

use super::Transport;
use serde::Serialize;
use std::net::SocketAddr;

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
