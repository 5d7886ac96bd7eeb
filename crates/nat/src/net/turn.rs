//! Runs a [`TurnCheck`] on real sockets: the client over UDP or TCP, the peer over UDP.

use super::{local_ip_toward, spawn_reader, Incoming};
use crate::turn::{Endpoint, Transport, TurnCheck, TurnConfig, TurnReport};
use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENT: usize = 0;
const PEER: usize = 1;

enum Client {
    Udp(Arc<UdpSocket>),
    Tcp(TcpStream),
}

/// Reads a TCP stream, cuts it into STUN and ChannelData messages and forwards each.
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
            let mut buf: Vec<u8> = Vec::new();
            let mut chunk = [0u8; 4096];
            while !stop.load(Ordering::Relaxed) {
                match stream.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        continue
                    }
                    Err(_) => break,
                }
                loop {
                    match rtcscope_stun::frame_len(&buf) {
                        Some(Ok(n)) if buf.len() >= n => {
                            let frame: Vec<u8> = buf.drain(..n).collect();
                            if tx.send((CLIENT, server, frame)).is_err() {
                                return;
                            }
                        }
                        Some(Err(_)) => return, // Not STUN framing: give up on the stream.
                        _ => break,
                    }
                }
            }
        })?;
    Ok(())
}

/// Runs one STUN or TURN server check and returns its report.
pub fn run_turn(cfg: TurnConfig, bind_ip: Option<IpAddr>) -> std::io::Result<TurnReport> {
    let ip = match bind_ip {
        Some(ip) => ip,
        None => local_ip_toward(cfg.server)?,
    };
    let (tx, rx) = channel::<Incoming>();
    let stop = Arc::new(AtomicBool::new(false));
    let peer = Arc::new(UdpSocket::bind((ip, 0))?);
    spawn_reader(PEER, peer.clone(), tx.clone(), stop.clone())?;
    let client = match cfg.transport {
        Transport::Udp => {
            let s = Arc::new(UdpSocket::bind((ip, 0))?);
            spawn_reader(CLIENT, s.clone(), tx.clone(), stop.clone())?;
            Client::Udp(s)
        }
        Transport::Tcp => {
            let s = TcpStream::connect_timeout(&cfg.server, Duration::from_secs(3))?;
            s.set_nodelay(true)?;
            spawn_tcp_reader(s.try_clone()?, cfg.server, tx.clone(), stop.clone())?;
            Client::Tcp(s)
        }
    };
    let mut check = TurnCheck::new(cfg, Instant::now());
    loop {
        while let Some(t) = check.poll_transmit() {
            let r = match (t.from, &client) {
                (Endpoint::Peer, _) => peer.send_to(&t.payload, t.dst).map(|_| ()),
                (Endpoint::Client, Client::Udp(s)) => s.send_to(&t.payload, t.dst).map(|_| ()),
                (Endpoint::Client, Client::Tcp(s)) => (&*s).write_all(&t.payload),
            };
            if let Err(e) = r {
                tracing::debug!("send to {}: {e}", t.dst);
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
            Ok((id, src, data)) => {
                let at = if id == PEER {
                    Endpoint::Peer
                } else {
                    Endpoint::Client
                };
                check.handle_input(Instant::now(), at, src, &data);
            }
            Err(RecvTimeoutError::Timeout) => check.handle_timeout(Instant::now()),
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    stop.store(true, Ordering::Relaxed);
    if let Client::Tcp(s) = &client {
        let _ = s.shutdown(Shutdown::Both);
    }
    Ok(check.report().clone())
}
