//! Load on the STUN server, on loopback only: how many Binding requests a second the handler
//! and the server answer, and how many are lost.
//!
//! ```sh
//! cargo run --release -p rtcscope-nat --example stun_load            # 100000 requests
//! cargo run --release -p rtcscope-nat --example stun_load -- 20000 10000  # fewer, paced at 10000/s
//! ```
//!
//! Three measurements:
//!
//! 1. the handler alone (`StunServer::handle`, no sockets), on one core;
//! 2. `rtcscope stun-server`'s socket loop (`net::run_server`) on 127.0.0.1 with the rate
//!    limits lifted: one thread sends every request as fast as it can from one socket,
//!    another counts the answers; loss is what never came back (mostly the server socket's
//!    receive buffer overflowing while the sender outruns it);
//! 3. the same, the sender paced (20000 requests a second unless told otherwise, below what
//!    the server keeps up with): the loss there is the server's own;
//! 4. the same as 2 with the default limits (500/s per source, bursts of 1000): what one
//!    source gets out of a flood.
//!
//! The figures are in `docs/nat.md`. Traffic goes to 127.0.0.1 and nowhere else; the run is
//! bounded by the request count and stops by itself.

use rtcscope_nat::server::{Endpoint, ServerConfig, StunServer};
use rtcscope_nat::{msg, net};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> std::io::Result<()> {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let paced: f64 = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000.0);
    // A typical request: a Binding with FINGERPRINT (28 bytes).
    let req = msg::binding_request([0x42; 12], false, false, None);
    println!(
        "{n} Binding requests of {} bytes, on 127.0.0.1\n",
        req.len()
    );

    // 1. The handler alone.
    let mut cfg = ServerConfig::new("127.0.0.1".parse().unwrap(), 3478);
    cfg.rate = 1e12;
    cfg.burst = 1e12;
    let mut server = StunServer::new(cfg);
    let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let t0 = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..n {
        if let Ok(r) = server.handle(Instant::now(), Endpoint::PRIMARY, client, &req) {
            bytes += r.payload.len();
        }
    }
    let took = t0.elapsed().as_secs_f64();
    println!(
        "handler alone:   {:>9.0} requests/s ({:.2} µs each), {} answered, {} bytes out",
        n as f64 / took,
        took * 1e6 / n as f64,
        server.stats().answered,
        bytes
    );

    // 2. and 3. The server on a socket.
    for (label, limits, pace) in [
        ("no rate limit", false, None),
        ("no rate limit, paced", false, Some(paced)),
        ("default limits", true, None),
    ] {
        let port = UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut cfg = ServerConfig::new("127.0.0.1".parse().unwrap(), port);
        if !limits {
            cfg.rate = 1e12;
            cfg.burst = 1e12;
        }
        let handle = net::run_server(vec![cfg])?;
        let dst = handle.addresses[0];
        let sock = UdpSocket::bind("127.0.0.1:0")?;
        sock.set_read_timeout(Some(Duration::from_millis(500)))?;
        let rx = sock.try_clone()?;
        let answers = Arc::new(AtomicU64::new(0));
        let last = Arc::new(std::sync::Mutex::new(Instant::now()));
        let counter = {
            let (answers, last) = (answers.clone(), last.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 2048];
                // Until half a second passes without an answer.
                while rx.recv_from(&mut buf).is_ok() {
                    answers.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut l) = last.lock() {
                        *l = Instant::now();
                    }
                }
            })
        };
        let t0 = Instant::now();
        let mut send_errors = 0u64;
        for i in 0..n {
            if let Some(rate) = pace {
                let due = t0 + Duration::from_secs_f64(i as f64 / rate);
                while Instant::now() < due {
                    std::hint::spin_loop();
                }
            }
            if sock.send_to(&req, dst).is_err() {
                send_errors += 1;
            }
        }
        let sent_in = t0.elapsed().as_secs_f64();
        let _ = counter.join();
        let stats = handle.stop();
        let got = answers.load(Ordering::Relaxed);
        let span = last
            .lock()
            .map(|l| l.saturating_duration_since(t0).as_secs_f64())
            .unwrap_or(sent_in);
        let s = stats.first().copied().unwrap_or_default();
        let received = s.answered + s.malformed + s.rate_limited;
        println!(
            "server, {label}: sent {n} in {sent_in:.2} s ({:.0}/s, {send_errors} send errors); \
             {got} answers in {span:.2} s ({:.0}/s); lost {:.1} % ({} never reached the \
             handler, {} rate-limited)",
            n as f64 / sent_in,
            got as f64 / span.max(1e-9),
            100.0 * (n - got.min(n)) as f64 / n as f64,
            n.saturating_sub(received),
            s.rate_limited,
        );
    }
    Ok(())
}
