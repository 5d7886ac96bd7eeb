//! The socket edge: runs the sans-IO machines on real sockets. Nothing else in this crate
//! touches the OS.
//!
//! Each UDP socket (and the TURN check's TCP connection) gets a reader thread that forwards
//! what it receives into one channel; the driving loop waits on that channel until the
//! machine's next timeout. TLS (`turns:`, `stuns:`) is rustls, driven by that loop between the
//! socket and the STUN framing ([`TlsClient`] holds its configuration). No `unsafe`, no async
//! runtime.

mod check;
mod server;
mod servers;
mod tls;
mod turn;

pub use check::{local_ip_toward, run_check};
pub use server::{run_server, ServerHandle};
pub use servers::{resolve_server, servers_by_family, ServersByFamily};
pub use tls::TlsClient;
pub use turn::{run_turn, run_turn_tls};

use crate::check::Unreachable;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

/// 64 random bits from the OS, to seed transaction IDs (unpredictable IDs keep off-path
/// spoofed answers out).
pub fn random_seed() -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(u64::from_le_bytes(b))
}

/// What the reader threads forward to the driving loop.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A datagram received on socket `0` from `1` (for the TURN check's TCP connection, a
    /// chunk of the byte stream; empty when the connection ended).
    Data(usize, SocketAddr, Vec<u8>),
    /// An ICMP error reported on socket `0` (connected UDP sockets only: Linux reports ICMP
    /// errors to a connected socket as ECONNREFUSED, EHOSTUNREACH or ENETUNREACH).
    Unreachable(usize, Unreachable),
    /// The round trip of a TCP handshake (the NAT check's path probe).
    PathRtt(Duration),
}

/// Starts a thread that forwards datagrams from `sock` to `tx`, tagged with `id`, and the ICMP
/// errors a connected socket reports, until `stop` is set or the receiver is gone.
pub(crate) fn spawn_reader(
    id: usize,
    sock: Arc<UdpSocket>,
    tx: Sender<Incoming>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    sock.set_read_timeout(Some(Duration::from_millis(50)))?;
    std::thread::Builder::new()
        .name(format!("udp-{id}"))
        .spawn(move || {
            // Larger than any UDP payload: nothing is cut short.
            let mut buf = vec![0u8; 64 * 1024];
            while !stop.load(Ordering::Relaxed) {
                match sock.recv_from(&mut buf) {
                    Ok((n, src)) => {
                        if tx.send(Incoming::Data(id, src, buf[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        if let Some(k) = Unreachable::from_io(e.kind()) {
                            if tx.send(Incoming::Unreachable(id, k)).is_err() {
                                break;
                            }
                        } else if !matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock
                                | std::io::ErrorKind::TimedOut
                                | std::io::ErrorKind::Interrupted
                        ) {
                            break;
                        }
                    }
                }
            }
        })?;
    Ok(())
}
