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

/// A datagram received on socket `0` from `1`.
pub(crate) type Incoming = (usize, SocketAddr, Vec<u8>);

/// Starts a thread that forwards datagrams from `sock` to `tx`, tagged with `id`, until `stop`
/// is set or the receiver is gone.
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
            let mut buf = vec![0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                match sock.recv_from(&mut buf) {
                    Ok((n, src)) => {
                        if tx.send((id, src, buf[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock
                                | std::io::ErrorKind::TimedOut
                                | std::io::ErrorKind::Interrupted
                                | std::io::ErrorKind::ConnectionRefused
                        ) => {}
                    Err(_) => break,
                }
            }
        })?;
    Ok(())
}
