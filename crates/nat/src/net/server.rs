//! Runs the [`StunServer`] on real UDP sockets until told to stop.

use crate::server::{Endpoint, ServerConfig, Stats, StunServer};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running server: its bound addresses, and a way to stop it.
#[derive(Debug)]
pub struct ServerHandle {
    /// Every socket address served.
    pub addresses: Vec<SocketAddr>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    servers: Vec<Arc<Mutex<StunServer>>>,
}

impl ServerHandle {
    /// Asks the sockets' threads to stop, waits for them and returns the counters of each
    /// address family's server.
    pub fn stop(self) -> Vec<Stats> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
        self.servers
            .iter()
            .map(|s| s.lock().map(|s| s.stats()).unwrap_or_default())
            .collect()
    }
}

/// Binds every endpoint of every configuration (one per address family) and serves them, one
/// thread per socket. Fails without serving anything if any socket cannot be bound.
pub fn run_server(cfgs: Vec<ServerConfig>) -> std::io::Result<ServerHandle> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let mut addresses = Vec::new();
    let mut servers = Vec::new();
    let mut bound = Vec::new();
    for cfg in cfgs {
        let mut socks: Vec<(Endpoint, Arc<UdpSocket>)> = Vec::new();
        for (e, a) in cfg.endpoints() {
            let s = UdpSocket::bind(a)
                .map_err(|err| std::io::Error::new(err.kind(), format!("binding {a}: {err}")))?;
            s.set_read_timeout(Some(Duration::from_millis(100)))?;
            addresses.push(s.local_addr()?);
            socks.push((e, Arc::new(s)));
        }
        let server = Arc::new(Mutex::new(StunServer::new(cfg)));
        servers.push(server.clone());
        bound.push((server, socks));
    }
    for (server, socks) in bound {
        let socks = Arc::new(socks);
        for (e, s) in socks.iter() {
            let (e, s) = (*e, s.clone());
            let all = socks.clone();
            let server = server.clone();
            let stop = stop.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("stun-server".into())
                    .spawn(move || serve(e, &s, &all, &server, &stop))?,
            );
        }
    }
    for a in &addresses {
        tracing::info!("serving STUN on udp {a}");
    }
    Ok(ServerHandle {
        addresses,
        stop,
        threads,
        servers,
    })
}

fn serve(
    at: Endpoint,
    sock: &UdpSocket,
    all: &[(Endpoint, Arc<UdpSocket>)],
    server: &Mutex<StunServer>,
    stop: &AtomicBool,
) {
    // Larger than any UDP payload, so nothing is ever cut short by the kernel: an oversized
    // datagram is seen whole and dropped (and counted) by the handler.
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let (n, src) = match sock.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                        | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                continue
            }
            Err(e) => {
                tracing::warn!("receive error: {e}");
                continue;
            }
        };
        let reply = match server.lock() {
            Ok(mut s) => s.handle(Instant::now(), at, src, &buf[..n]),
            Err(_) => return,
        };
        match reply {
            Ok(r) => {
                let Some((_, out)) = all.iter().find(|(e, _)| *e == r.from) else {
                    continue;
                };
                tracing::debug!("{src} -> Binding answered from {:?} to {}", r.from, r.to);
                if let Err(e) = out.send_to(&r.payload, r.to) {
                    tracing::debug!("send to {}: {e}", r.to);
                }
            }
            Err(why) => tracing::debug!("{src}: {n} bytes dropped ({why:?})"),
        }
    }
}
