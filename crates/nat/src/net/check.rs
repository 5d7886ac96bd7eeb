//! Runs a [`NatCheck`] on real UDP sockets.

use super::{spawn_reader, Incoming};
use crate::check::{CheckConfig, NatCheck, Output, Unreachable};
use crate::report::Report;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Times a TCP handshake to `server` on a thread of its own and sends the round-trip time as
/// [`Incoming::PathRtt`]: an accepted connection and a refused one (a RST) both answer;
/// silence or an ICMP error gives nothing. The connection is closed at once; nothing is sent
/// on it.
fn spawn_path_probe(server: SocketAddr, tx: Sender<Incoming>) {
    let spawned = std::thread::Builder::new()
        .name("tcp-rtt".into())
        .spawn(move || {
            let t0 = Instant::now();
            let r = TcpStream::connect_timeout(&server, Duration::from_secs(2));
            let rtt = t0.elapsed();
            match r {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(e) => {
                    tracing::debug!("TCP handshake to {server}: {e}");
                    return;
                }
            }
            let _ = tx.send(Incoming::PathRtt(rtt));
        });
    if let Err(e) = spawned {
        tracing::debug!("no TCP round-trip probe: {e}");
    }
}

/// The local IP address the kernel would use toward `dst` (a connected UDP socket sends
/// nothing).
pub fn local_ip_toward(dst: SocketAddr) -> std::io::Result<IpAddr> {
    let any: IpAddr = if dst.is_ipv4() {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        Ipv6Addr::UNSPECIFIED.into()
    };
    let s = UdpSocket::bind((any, 0))?;
    s.connect(dst)?;
    Ok(s.local_addr()?.ip())
}

/// Runs a NAT check against `cfg.servers` (one address family) and returns its report.
///
/// Sockets are bound to `bind_ip`, or to the address the kernel picks toward the first server,
/// so that "no NAT" can be told by comparing the reflexive address with the local one.
pub fn run_check(cfg: CheckConfig, bind_ip: Option<IpAddr>) -> std::io::Result<Report> {
    let first = *cfg
        .servers
        .first()
        .ok_or_else(|| std::io::Error::other("no server"))?;
    let ip = match bind_ip {
        Some(ip) => ip,
        None => local_ip_toward(first)?,
    };
    let (tx, rx) = channel::<Incoming>();
    let mut socks: Vec<Option<(Arc<UdpSocket>, Arc<AtomicBool>)>> = Vec::new();
    let mut engine = NatCheck::new(cfg, Instant::now());
    spawn_path_probe(first, tx.clone());
    let result = loop {
        while let Some(o) = engine.poll_output() {
            match o {
                Output::Open(_) | Output::OpenConnected { .. } => {
                    let (id, peer) = match o {
                        Output::OpenConnected { socket, peer } => (socket, Some(peer)),
                        Output::Open(id) => (id, None),
                        _ => continue,
                    };
                    let opened = UdpSocket::bind((ip, 0)).and_then(|s| {
                        if let Some(p) = peer {
                            s.connect(p)?;
                        }
                        let local = s.local_addr()?;
                        let s = Arc::new(s);
                        let stop = Arc::new(AtomicBool::new(false));
                        spawn_reader(id, s.clone(), tx.clone(), stop.clone())?;
                        Ok((s, stop, local))
                    });
                    if socks.len() <= id {
                        socks.resize(id + 1, None);
                    }
                    match opened {
                        Ok((s, stop, local)) => {
                            socks[id] = Some((s, stop));
                            engine.opened(Instant::now(), id, Some(local));
                        }
                        Err(e) => {
                            tracing::warn!("opening a UDP socket on {ip}: {e}");
                            engine.opened(Instant::now(), id, None);
                        }
                    }
                }
                Output::Transmit {
                    socket,
                    dst,
                    payload,
                } => {
                    if let Some(Some((s, _))) = socks.get(socket) {
                        if let Err(e) = s.send_to(&payload, dst) {
                            tracing::debug!("send to {dst}: {e}");
                            // A connected socket may report a pending ICMP error on send.
                            if let Some(k) = Unreachable::from_io(e.kind()) {
                                engine.unreachable(Instant::now(), socket, k);
                            }
                        }
                    }
                }
                Output::Close(id) => {
                    if let Some(Some((_, stop))) = socks.get(id) {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
            }
        }
        if engine.is_done() {
            break engine.report(Instant::now());
        }
        let now = Instant::now();
        let Some(at) = engine.poll_timeout() else {
            break engine.report(now);
        };
        if at <= now {
            engine.handle_timeout(now);
            continue;
        }
        match rx.recv_timeout(at - now) {
            Ok(Incoming::PathRtt(rtt)) => engine.path_rtt(Instant::now(), rtt),
            Ok(Incoming::Unreachable(id, k)) => engine.unreachable(Instant::now(), id, k),
            Ok(Incoming::Data(id, src, data)) => {
                engine.handle_datagram(Instant::now(), id, src, &data)
            }
            Err(RecvTimeoutError::Timeout) => engine.handle_timeout(Instant::now()),
            Err(RecvTimeoutError::Disconnected) => break engine.report(Instant::now()),
        }
    };
    for (_, stop) in socks.iter().flatten() {
        stop.store(true, Ordering::Relaxed);
    }
    Ok(result)
}
