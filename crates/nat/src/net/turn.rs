//! Runs a [`TurnCheck`] on real sockets: the client over UDP, TCP or TLS over TCP, the peer
//! over UDP.
//!
//! For the byte-stream transports a reader thread forwards raw chunks read from the TCP
//! connection; the driving loop owns the stream state: for TLS it feeds the chunks to the
//! rustls session and takes the plaintext out, and for both it cuts the byte stream into STUN
//! and ChannelData messages ([`rtcscope_stun::frame_len`]) for the check, which sees the same
//! messages whatever the transport. The TLS handshake runs first, bounded by the check's
//! deadline, and its facts go into the report ([`TurnReport::tls`]).

use super::tls::{explain, TlsClient};
use super::{local_ip_toward, spawn_reader, Incoming};
use crate::check::Unreachable;
use crate::turn::{
    Endpoint, ErrorInfo, Step, TlsInfo, Transport, TurnCheck, TurnConfig, TurnReport, TurnVerdict,
};
use rustls::ClientConnection;
use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENT: usize = 0;
const PEER: usize = 1;

/// How long a TCP connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Starts a thread that forwards what it reads from a TCP stream to `tx` as raw chunks tagged
/// [`CLIENT`]; an empty chunk says the connection ended (closed by the server, or reset).
fn spawn_tcp_reader(
    mut stream: TcpStream,
    server: SocketAddr,
    tx: Sender<Incoming>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    std::thread::Builder::new()
        .name("turn-tcp".into())
        .spawn(move || {
            let mut chunk = vec![0u8; 16 * 1024];
            while !stop.load(Ordering::Relaxed) {
                match stream.read(&mut chunk) {
                    Ok(0) => {
                        let _ = tx.send(Incoming::Data(CLIENT, server, Vec::new()));
                        return;
                    }
                    Ok(n) => {
                        if tx
                            .send(Incoming::Data(CLIENT, server, chunk[..n].to_vec()))
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock
                                | std::io::ErrorKind::TimedOut
                                | std::io::ErrorKind::Interrupted
                        ) => {}
                    Err(e) => {
                        tracing::debug!("reading from {server}: {e}");
                        let _ = tx.send(Incoming::Data(CLIENT, server, Vec::new()));
                        return;
                    }
                }
            }
        })?;
    Ok(())
}

/// Why a byte stream to the server ended before the check did.
enum StreamEnd {
    /// The server closed (or reset) the connection.
    Closed,
    /// The server sent bytes that are not STUN or ChannelData framing.
    NotStun,
    /// A TLS error after the handshake.
    Tls(rustls::Error),
}

/// Feeds `data` read from the socket to a TLS session and appends the plaintext it yields to
/// `plain`. Returns true when the server sent close_notify.
fn absorb(
    conn: &mut ClientConnection,
    mut data: &[u8],
    plain: &mut Vec<u8>,
) -> Result<bool, rustls::Error> {
    let mut closed = false;
    let mut stuck = false;
    loop {
        if !data.is_empty() {
            match conn.read_tls(&mut data) {
                // Only after close_notify: nothing more is read.
                Ok(0) => closed = true,
                Ok(_) => stuck = false,
                // A full buffer is drained below, then read again; twice in a row is no
                // progress.
                Err(e) if stuck => {
                    return Err(rustls::Error::General(format!("reading TLS records: {e}")))
                }
                Err(_) => stuck = true,
            }
        }
        let state = conn.process_new_packets()?;
        closed |= state.peer_has_closed();
        let mut chunk = [0u8; 4096];
        loop {
            match conn.reader().read(&mut chunk) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => plain.extend_from_slice(&chunk[..n]),
                // WouldBlock: no more plaintext for now; anything else: the stream is over.
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        if data.is_empty() || closed {
            return Ok(closed);
        }
    }
}

/// Writes every pending TLS record to the socket.
fn flush_tls(conn: &mut ClientConnection, mut stream: &TcpStream) -> std::io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(&mut stream)?;
    }
    Ok(())
}

/// The client's byte stream to the server: TCP, or TLS over TCP.
struct Stream {
    tcp: TcpStream,
    /// The TLS session (boxed: it is large).
    tls: Option<Box<ClientConnection>>,
    /// Received bytes (plaintext for TLS) not yet a whole message.
    buf: Vec<u8>,
}

impl Stream {
    fn send(&mut self, payload: &[u8]) -> std::io::Result<()> {
        match &mut self.tls {
            None => (&self.tcp).write_all(payload),
            Some(conn) => {
                conn.writer().write_all(payload)?;
                flush_tls(conn, &self.tcp)
            }
        }
    }

    /// Takes a chunk read from the socket (empty: the connection ended) and appends every
    /// whole message it completes to `frames`.
    fn receive(&mut self, chunk: &[u8], frames: &mut Vec<Vec<u8>>) -> Result<(), StreamEnd> {
        let mut closed = chunk.is_empty();
        match &mut self.tls {
            None => self.buf.extend_from_slice(chunk),
            Some(conn) if !chunk.is_empty() => {
                let r = absorb(conn, chunk, &mut self.buf);
                // Alerts and key updates go out whatever happened.
                let _ = flush_tls(conn, &self.tcp);
                closed |= r.map_err(StreamEnd::Tls)?;
            }
            Some(_) => {}
        }
        self.frames(frames)?;
        if closed {
            Err(StreamEnd::Closed)
        } else {
            Ok(())
        }
    }

    /// Cuts every whole STUN or ChannelData message off the front of the buffer.
    fn frames(&mut self, frames: &mut Vec<Vec<u8>>) -> Result<(), StreamEnd> {
        loop {
            match rtcscope_stun::frame_len(&self.buf) {
                Some(Ok(n)) if self.buf.len() >= n => frames.push(self.buf.drain(..n).collect()),
                Some(Err(_)) => return Err(StreamEnd::NotStun),
                _ => return Ok(()),
            }
        }
    }

    fn close(&mut self) {
        if let Some(conn) = &mut self.tls {
            conn.send_close_notify();
            let _ = flush_tls(conn, &self.tcp);
        }
        let _ = self.tcp.shutdown(Shutdown::Both);
    }
}

/// Sets the reader threads' stop flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

enum Client {
    Udp(Arc<UdpSocket>),
    Stream(Stream),
}

/// Why a TLS handshake did not finish.
enum HandshakeError {
    Tls(rustls::Error),
    Io(std::io::Error),
    Closed,
    Timeout,
}

/// Runs the TLS handshake on `tcp`, reading what the reader thread forwards on `rx`, until it
/// completes or `deadline`. Plaintext that arrives with the last flight goes to `plain`.
fn handshake(
    conn: &mut ClientConnection,
    tcp: &TcpStream,
    rx: &Receiver<Incoming>,
    deadline: Instant,
    plain: &mut Vec<u8>,
) -> Result<(), HandshakeError> {
    loop {
        flush_tls(conn, tcp).map_err(HandshakeError::Io)?;
        if !conn.is_handshaking() {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(HandshakeError::Timeout);
        }
        match rx.recv_timeout(deadline - now) {
            Ok(Incoming::Data(CLIENT, _, chunk)) if chunk.is_empty() => {
                return Err(HandshakeError::Closed)
            }
            Ok(Incoming::Data(CLIENT, _, chunk)) => {
                if let Err(e) = absorb(conn, &chunk, plain) {
                    // Tell the server why (the alert rustls queued), then give up.
                    let _ = flush_tls(conn, tcp);
                    return Err(HandshakeError::Tls(e));
                }
            }
            // The peer socket has nothing to do before the check starts.
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => return Err(HandshakeError::Timeout),
            Err(RecvTimeoutError::Disconnected) => return Err(HandshakeError::Closed),
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Marks `report` failed: a failed step `name` with the short `reason`, and the error, with
/// its explanation.
fn fail_report(
    report: &mut TurnReport,
    verdict: TurnVerdict,
    name: &str,
    reason: &str,
    explanation: String,
) {
    report.verdict = verdict;
    report.steps.push(Step {
        name: name.into(),
        ok: false,
        rtt_ms: None,
        detail: reason.into(),
    });
    report.error = Some(ErrorInfo {
        request: name.into(),
        code: 0,
        reason: reason.into(),
        explanation,
    });
    report.success = false;
}

/// The steps a finished handshake adds at the top of the report.
fn handshake_steps(info: &TlsInfo) -> [Step; 2] {
    let v = info.version.as_deref().unwrap_or("?");
    let c = info.cipher_suite.as_deref().unwrap_or("?");
    let hs = Step {
        name: "TLS handshake".into(),
        ok: true,
        rtt_ms: info.handshake_ms,
        detail: format!(
            "{v}, {c}, SNI {}, {} certificate(s) from the server",
            info.server_name, info.certificates
        ),
    };
    let cert = Step {
        name: "certificate".into(),
        ok: info.certificate_verified,
        rtt_ms: None,
        detail: format!(
            "{}; SHA-256 {}",
            info.verification,
            info.certificate_sha256.as_deref().unwrap_or("?")
        ),
    };
    [hs, cert]
}

/// A TLS handshake that failed: the session (for what it learnt), why, and how long it took.
struct HandshakeFailed {
    conn: Box<ClientConnection>,
    error: HandshakeError,
    took: Duration,
}

impl HandshakeFailed {
    /// The report of a check that ended at the TLS handshake.
    fn into_report(self, cfg: &TurnConfig, tls: &TlsClient, host: &str) -> TurnReport {
        let server = cfg.server;
        let mut report = TurnReport::new(server, cfg.transport);
        let failed = match &self.error {
            HandshakeError::Tls(t) => Some(t),
            _ => None,
        };
        report.tls = Some(tls.facts(&self.conn, host, failed, None));
        let (reason, explanation) = match self.error {
            HandshakeError::Tls(t) => explain(&t, host, tls.trust()),
            HandshakeError::Io(e) => (
                "connection failed".into(),
                format!("sending the TLS handshake to {server} failed: {e}"),
            ),
            HandshakeError::Closed => (
                "connection closed".into(),
                format!(
                    "the server {server} closed the connection during the TLS handshake (is TLS \
                     enabled on this port?)"
                ),
            ),
            HandshakeError::Timeout => (
                "timeout".into(),
                format!(
                    "no TLS handshake with {server} within {:.1} s (is TLS enabled on this port?)",
                    cfg.deadline.as_secs_f64()
                ),
            ),
        };
        fail_report(
            &mut report,
            TurnVerdict::ConnectionFailed,
            "TLS handshake",
            &reason,
            explanation,
        );
        report.duration_ms = ms(self.took);
        report
    }
}

/// Runs the handshake of the TLS session `conn` for `host` on `stream` until `deadline`; on
/// success the stream carries the session from then on, and its facts are returned.
fn open_tls(
    stream: &mut Stream,
    mut conn: Box<ClientConnection>,
    tls: &TlsClient,
    host: &str,
    rx: &Receiver<Incoming>,
    deadline: Instant,
) -> Result<TlsInfo, Box<HandshakeFailed>> {
    let t0 = Instant::now();
    let r = handshake(&mut conn, &stream.tcp, rx, deadline, &mut stream.buf);
    let took = t0.elapsed();
    if let Err(error) = r {
        return Err(Box::new(HandshakeFailed { conn, error, took }));
    }
    let info = tls.facts(&conn, host, None, Some(ms(took)));
    stream.tls = Some(conn);
    Ok(info)
}

/// Runs one STUN or TURN server check over UDP or TCP and returns its report. For a
/// [`Transport::Tls`] check use [`run_turn_tls`]; here it is refused.
pub fn run_turn(cfg: TurnConfig, bind_ip: Option<IpAddr>) -> std::io::Result<TurnReport> {
    run(cfg, bind_ip, None)
}

/// Runs one STUN or TURN server check; a [`Transport::Tls`] check (`turns:`, `stuns:`) runs
/// over TLS with `tls`, asking for and verifying `server_name` (the URI's host). UDP and TCP
/// checks ignore both. Errors are for what keeps the check from starting (no local address,
/// the TCP connection refused or timed out); a failed TLS handshake is a report that says
/// why.
pub fn run_turn_tls(
    cfg: TurnConfig,
    bind_ip: Option<IpAddr>,
    tls: &TlsClient,
    server_name: &str,
) -> std::io::Result<TurnReport> {
    run(cfg, bind_ip, Some((tls, server_name)))
}

fn run(
    mut cfg: TurnConfig,
    bind_ip: Option<IpAddr>,
    tls: Option<(&TlsClient, &str)>,
) -> std::io::Result<TurnReport> {
    if cfg.transport == Transport::Tls && tls.is_none() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a TLS check needs TLS settings (run_turn_tls)",
        ));
    }
    let ip = match bind_ip {
        Some(ip) => ip,
        None => local_ip_toward(cfg.server)?,
    };
    let start = Instant::now();
    let (tx, rx) = channel::<Incoming>();
    let stop = Arc::new(AtomicBool::new(false));
    // The reader threads stop however this function returns.
    let _stop_readers = StopOnDrop(stop.clone());
    let peer = Arc::new(UdpSocket::bind((ip, 0))?);
    spawn_reader(PEER, peer.clone(), tx.clone(), stop.clone())?;
    let mut tls_info = None;
    let mut client = match cfg.transport {
        Transport::Udp => {
            let s = UdpSocket::bind((ip, 0))?;
            // Connected, so that an ICMP port unreachable shows (as ECONNREFUSED): the client
            // talks to the server only, and everything it receives comes from there.
            s.connect(cfg.server)?;
            let s = Arc::new(s);
            spawn_reader(CLIENT, s.clone(), tx.clone(), stop.clone())?;
            Client::Udp(s)
        }
        Transport::Tcp | Transport::Tls => {
            let what = if cfg.transport == Transport::Tls {
                "TCP connection (for TLS)"
            } else {
                "TCP connection"
            };
            let s = TcpStream::connect_timeout(&cfg.server, CONNECT_TIMEOUT).map_err(|e| {
                let e = if e.kind() == std::io::ErrorKind::WouldBlock {
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out")
                } else {
                    e
                };
                std::io::Error::new(e.kind(), format!("{what} to {} failed: {e}", cfg.server))
            })?;
            s.set_nodelay(true)?;
            s.set_write_timeout(Some(CONNECT_TIMEOUT))?;
            spawn_tcp_reader(s.try_clone()?, cfg.server, tx.clone(), stop.clone())?;
            let mut stream = Stream {
                tcp: s,
                tls: None,
                buf: Vec::new(),
            };
            if let Some((tls, host)) = tls.filter(|_| cfg.transport == Transport::Tls) {
                let conn = match tls.connect(host) {
                    Ok(c) => Box::new(c),
                    Err(e) => {
                        stream.close();
                        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, e));
                    }
                };
                match open_tls(&mut stream, conn, tls, host, &rx, start + cfg.deadline) {
                    Ok(info) => tls_info = Some(info),
                    Err(failed) => {
                        stream.close();
                        return Ok(failed.into_report(&cfg, tls, host));
                    }
                }
                // The whole check keeps to its deadline: the handshake took part of it.
                cfg.deadline = cfg
                    .deadline
                    .saturating_sub(start.elapsed())
                    .max(Duration::from_millis(100));
            }
            Client::Stream(stream)
        }
    };
    let server = cfg.server;
    let check_start = Instant::now();
    let mut check = TurnCheck::new(cfg, check_start);
    let mut ended: Option<StreamEnd> = None;
    // Plaintext that came with the end of the handshake.
    if let Client::Stream(s) = &mut client {
        let mut frames = Vec::new();
        if let Err(e) = s.frames(&mut frames) {
            ended = Some(e);
        }
        for f in frames {
            check.handle_input(Instant::now(), Endpoint::Client, server, &f);
        }
    }
    while ended.is_none() {
        while let Some(t) = check.poll_transmit() {
            let r = match (t.from, &mut client) {
                (Endpoint::Peer, _) => peer.send_to(&t.payload, t.dst).map(|_| ()),
                (Endpoint::Client, Client::Udp(s)) => s.send_to(&t.payload, t.dst).map(|_| ()),
                (Endpoint::Client, Client::Stream(s)) => s.send(&t.payload),
            };
            if let Err(e) = r {
                tracing::debug!("send to {}: {e}", t.dst);
                // The connected UDP client may report a pending ICMP error on send.
                if let (Endpoint::Client, Client::Udp(_), Some(k)) =
                    (t.from, &client, Unreachable::from_io(e.kind()))
                {
                    check.handle_unreachable(Instant::now(), Endpoint::Client, k);
                }
            }
        }
        let now = Instant::now();
        let Some(at) = check.poll_timeout() else {
            break;
        };
        if at <= now {
            check.handle_timeout(now);
            continue;
        }
        match rx.recv_timeout(at - now) {
            Ok(Incoming::Data(PEER, src, data)) => {
                check.handle_input(Instant::now(), Endpoint::Peer, src, &data)
            }
            Ok(Incoming::Unreachable(CLIENT, k)) => {
                check.handle_unreachable(Instant::now(), Endpoint::Client, k)
            }
            Ok(Incoming::Unreachable(..) | Incoming::PathRtt(_)) => {}
            Ok(Incoming::Data(_, src, data)) => match &mut client {
                Client::Udp(_) => check.handle_input(Instant::now(), Endpoint::Client, src, &data),
                Client::Stream(s) => {
                    let mut frames = Vec::new();
                    let r = s.receive(&data, &mut frames);
                    for f in frames {
                        check.handle_input(Instant::now(), Endpoint::Client, server, &f);
                    }
                    if let Err(e) = r {
                        if !check.is_done() {
                            ended = Some(e);
                        }
                    }
                }
            },
            Err(RecvTimeoutError::Timeout) => check.handle_timeout(Instant::now()),
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    if let Client::Stream(s) = &mut client {
        s.close();
    }
    let mut report = check.report().clone();
    if let Some(end) = ended {
        let what = if report.transport == Transport::Tls {
            "TLS connection"
        } else {
            "TCP connection"
        };
        let (verdict, reason, explanation) = match end {
            StreamEnd::Closed => (
                TurnVerdict::ConnectionFailed,
                "connection closed",
                format!("the server {server} closed the connection before the check was done"),
            ),
            StreamEnd::NotStun => (
                TurnVerdict::NotStun,
                "not STUN",
                format!(
                    "the server {server} sent something that is not STUN or ChannelData: is it \
                     a STUN/TURN server (the right port)?"
                ),
            ),
            StreamEnd::Tls(e) => (
                TurnVerdict::ConnectionFailed,
                "TLS error",
                format!("TLS failed with {server}: {e}"),
            ),
        };
        fail_report(&mut report, verdict, what, reason, explanation);
        report.duration_ms = ms(check_start.elapsed());
    }
    if let Some(info) = tls_info {
        let mut steps = handshake_steps(&info).to_vec();
        steps.append(&mut report.steps);
        report.steps = steps;
        report.tls = Some(info);
    }
    Ok(report)
}
