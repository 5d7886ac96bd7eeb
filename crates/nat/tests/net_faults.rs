//! The NAT check and the TURN check on real loopback sockets against servers that are down,
//! answer garbage, answer with wrong transaction IDs, or say nothing: each ends with its own
//! verdict, and none of them is "UDP blocked" unless nothing at all came back.
//!
//! Everything here stays on 127.0.0.1.

use rtcscope_nat::net;
use rtcscope_nat::report::{Classic, Reason, ServerStatus};
use rtcscope_nat::turn::{Mode, Transport, TurnConfig, TurnVerdict};
use rtcscope_nat::CheckConfig;
use rtcscope_stun::{Message, MessageBuilder, TransactionId};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A loopback port with nothing listening (bound, then closed).
fn closed_port() -> SocketAddr {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap()
}

/// A fake server on loopback that answers every datagram with `answer(request)` (None:
/// reads and says nothing), until dropped.
struct Fake {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Fake {
    fn start(answer: fn(&[u8]) -> Option<Vec<u8>>) -> Fake {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let addr = sock.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while !s.load(Ordering::Relaxed) {
                if let Ok((n, src)) = sock.recv_from(&mut buf) {
                    if let Some(a) = answer(&buf[..n]) {
                        let _ = sock.send_to(&a, src);
                    }
                }
            }
        });
        Fake {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn garbage(_: &[u8]) -> Option<Vec<u8>> {
    Some(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec())
}

/// A STUN success response to the request, with its transaction ID changed.
fn wrong_id(req: &[u8]) -> Option<Vec<u8>> {
    let m = Message::parse(req).ok()?;
    let mut id = [0u8; 12];
    id.copy_from_slice(m.transaction_id().as_bytes());
    id[11] ^= 0x01;
    Some(
        MessageBuilder::success(m.method(), TransactionId::Rfc5389(id))
            .finish()
            .unwrap(),
    )
}

fn silent(_: &[u8]) -> Option<Vec<u8>> {
    None
}

fn nat_check(server: SocketAddr) -> rtcscope_nat::Report {
    let mut cfg = CheckConfig::new(vec![server], 7);
    cfg.deadline = Duration::from_secs(1);
    net::run_check(cfg, Some("127.0.0.1".parse().unwrap())).unwrap()
}

#[test]
fn nat_check_tells_a_closed_port_from_silence() {
    let r = nat_check(closed_port());
    assert_eq!(r.reason, Reason::PortUnreachable, "{r:#?}");
    assert_eq!(r.servers[0].status, ServerStatus::PortUnreachable);
    assert_ne!(r.classic, Classic::UdpBlocked);
    // An ICMP error is an answer: no waiting for the silence floor.
    assert!(r.duration_ms < 500.0, "{}", r.duration_ms);
}

#[test]
fn nat_check_names_garbage_wrong_ids_and_silence() {
    for (answer, reason, status) in [
        (
            garbage as fn(&[u8]) -> Option<Vec<u8>>,
            Reason::NotStun,
            ServerStatus::NotStun,
        ),
        (wrong_id, Reason::BrokenServer, ServerStatus::BrokenStun),
        (silent, Reason::NoAnswer, ServerStatus::NoAnswer),
    ] {
        let fake = Fake::start(answer);
        let r = nat_check(fake.addr);
        assert_eq!(r.reason, reason, "{r:#?}");
        assert_eq!(r.servers[0].status, status, "{r:#?}");
        // Only silence is "UDP blocked", and only after the whole wait (--timeout 1 s here).
        if reason == Reason::NoAnswer {
            assert_eq!(r.classic, Classic::UdpBlocked);
            assert!(r.duration_ms >= 1000.0, "{}", r.duration_ms);
        } else {
            assert_eq!(r.classic, Classic::Unknown);
        }
    }
}

fn turn_check(server: SocketAddr, mode: Mode) -> rtcscope_nat::turn::TurnReport {
    let mut cfg = TurnConfig::new(server, Transport::Udp, mode, 3);
    cfg.username = "alice".into();
    cfg.password = "not-printed".into();
    cfg.deadline = Duration::from_secs(3);
    net::run_turn(cfg, Some("127.0.0.1".parse().unwrap())).unwrap()
}

#[test]
fn turn_check_ends_with_a_clear_verdict_against_broken_servers() {
    // The cases run side by side: each waits out its retransmissions (about 1.6 s).
    std::thread::scope(|scope| {
        for mode in [Mode::Turn, Mode::Stun] {
            scope.spawn(move || {
                let r = turn_check(closed_port(), mode);
                assert_eq!(r.verdict, TurnVerdict::PortUnreachable, "{r:#?}");
                assert!(r.duration_ms < 500.0, "{}", r.duration_ms);
            });
            for (answer, verdict) in [
                (
                    garbage as fn(&[u8]) -> Option<Vec<u8>>,
                    TurnVerdict::NotStun,
                ),
                (wrong_id, TurnVerdict::BrokenServer),
                (silent, TurnVerdict::NoAnswer),
            ] {
                scope.spawn(move || {
                    let fake = Fake::start(answer);
                    let r = turn_check(fake.addr, mode);
                    assert_eq!(r.verdict, verdict, "{mode:?}: {r:#?}");
                    assert!(!r.success);
                    let e = r.error.as_ref().expect("an error");
                    assert!(!e.explanation.is_empty());
                    let json = serde_json::to_string(&r).unwrap();
                    assert!(!json.contains("not-printed"), "{json}");
                });
            }
        }
    });
}
