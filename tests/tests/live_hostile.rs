//! Live capture against hostile traffic (as root): bytes on a TCP connection that look like the
//! start of a TURN ChannelData message (0x45 0x44, "ED") used to send `analyze -i` into an
//! endless loop that ignored Ctrl-C. Now the capture ends on time, and a signal is honoured.

use rtcscope_tests::bin;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Text and TLS-like bytes on a loopback TCP connection while `analyze -i lo` runs for two
/// seconds: it ends within its duration plus a margin, with a report.
#[test]
fn tcp_bytes_do_not_stall_live_analysis() {
    if !rtcscope_testkit::require_root("live_hostile::tcp_bytes_do_not_stall_live_analysis") {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let child = Command::new(bin())
        .args(["analyze", "-i", "lo", "-f"])
        .arg(format!("tcp port {port}"))
        .args(["-a", "duration:2", "--interval", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rtcscope starts");
    let started = Instant::now();
    // Let libpcap open the interface before the traffic starts.
    std::thread::sleep(Duration::from_millis(700));
    let accept = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut s, &mut buf) {
            if n == 0 {
                break;
            }
        }
    });
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.write_all(b"EDGE of the stream\r\n").unwrap();
    c.write_all(&[0x16, 0x03, 0x03, 0x00, 0x20]).unwrap();
    c.write_all(&[0x44; 32]).unwrap();
    drop(c);
    accept.join().unwrap();
    let out = child.wait_with_output().unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("Capture:"), "{report}");
}

/// A busy `analyze -i` (reading, reporting) stops on SIGINT with its report, and a second
/// SIGINT ends it at once.
#[test]
fn interrupts_are_honoured() {
    if !rtcscope_testkit::require_root("live_hostile::interrupts_are_honoured") {
        return;
    }
    let child = Command::new(bin())
        .args(["analyze", "-i", "lo", "-f", "udp port 9", "--interval", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rtcscope starts");
    std::thread::sleep(Duration::from_millis(700));
    let pid = child.id().to_string();
    let sent = Instant::now();
    for _ in 0..2 {
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(sent.elapsed() < Duration::from_secs(10));
    // Either the first signal already produced the report (exit 0), or the second cut it
    // short (130); never a hang.
    let code = out.status.code();
    assert!(matches!(code, Some(0) | Some(130)), "{code:?}");
}
