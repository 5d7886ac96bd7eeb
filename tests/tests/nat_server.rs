//! `rtcscope stun-server` on loopback (127.0.0.1 and 127.0.0.2, no root needed): RFC 5780
//! answers, classic RFC 3489 clients, garbage that disturbs no one, the response-size bound, and
//! a clean stop on SIGTERM.

use rtcscope_testkit::require_tool;
use rtcscope_tests::{bin, stdout};
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

/// A port pair per test, spread by process id so parallel runs do not collide.
fn ports() -> u16 {
    static N: AtomicU16 = AtomicU16::new(0);
    20000 + (std::process::id() % 2000) as u16 * 10 + N.fetch_add(2, Ordering::Relaxed)
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let port = ports();
        let mut child = Command::new(bin())
            .args([
                "stun-server",
                "--primary",
                "127.0.0.1",
                "--alternate",
                "127.0.0.2",
            ])
            .args([
                "--port",
                &port.to_string(),
                "--alt-port",
                &(port + 1).to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready line");
        assert!(line.contains("serving udp 127.0.0.1:"), "{line}");
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binding(id: u8, extra: &[u8]) -> Vec<u8> {
    let mut m = vec![0x00, 0x01];
    m.extend_from_slice(&(extra.len() as u16).to_be_bytes());
    m.extend_from_slice(&0x2112_A442u32.to_be_bytes());
    m.extend_from_slice(&[id; 12]);
    m.extend_from_slice(extra);
    m
}

#[test]
fn loopback_is_open_internet_and_fast() {
    let s = Server::start();
    let out = Command::new(bin())
        .args(["nat", "--json", &format!("127.0.0.1:{}", s.port)])
        .output()
        .expect("nat runs");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let r = &v["reports"][0];
    assert_eq!(r["classic"], "open-internet", "{r:#}");
    assert_eq!(r["mapping"], "no-nat");
    assert_eq!(r["filtering"], "endpoint-independent");
    assert_eq!(r["primary"], format!("127.0.0.1:{}", s.port));
    assert!(r["duration_ms"].as_f64().unwrap_or(1e9) < 1000.0, "{r:#}");
}

#[test]
fn garbage_is_dropped_and_others_still_served() {
    let s = Server::start();
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let dst = format!("127.0.0.1:{}", s.port);
    let valid = binding(7, &[]);
    // Garbage, truncated requests, a response, oversized junk: none is answered.
    let mut junk: Vec<Vec<u8>> = (0..valid.len()).map(|n| valid[..n].to_vec()).collect();
    junk.push(vec![0xff; 1200]);
    junk.push(b"GET / HTTP/1.1\r\n\r\n".to_vec());
    let mut resp = valid.clone();
    resp[1] = 0x01;
    resp[0] = 0x01;
    junk.push(resp);
    for j in &junk {
        sock.send_to(j, &dst).expect("send");
    }
    let mut buf = [0u8; 1500];
    assert!(sock.recv_from(&mut buf).is_err(), "junk was answered");
    // A well-formed request right after is answered, from the address it was sent to.
    sock.send_to(&valid, &dst).expect("send");
    let (n, from) = sock.recv_from(&mut buf).expect("answer");
    assert_eq!(from.to_string(), dst);
    assert_eq!(&buf[..2], &[0x01, 0x01], "Binding success");
    assert_eq!(&buf[8..20], &[7u8; 12], "transaction ID");
    // Never more than 128 bytes larger than the request.
    assert!(n <= valid.len() + 128, "{n} bytes");
    // RESPONSE-PORT below 1024 is refused (no reflection toward well-known services).
    let rp = binding(8, &[0x00, 0x27, 0x00, 0x04, 0x00, 0x35, 0x00, 0x00]);
    sock.send_to(&rp, &dst).expect("send");
    let (n, _) = sock.recv_from(&mut buf).expect("error answer");
    assert_eq!(&buf[..2], &[0x01, 0x11], "Binding error response");
    assert!(
        buf[20..n].windows(4).any(|w| w == [0x00, 0x00, 0x04, 0x00]),
        "ERROR-CODE 400 expected"
    );
}

#[test]
fn classic_rfc3489_client_and_sigterm() {
    let mut s = Server::start();
    if require_tool("nat_server::classic", "stun").is_some() {
        let out = Command::new("stun")
            .arg(format!("127.0.0.1:{}", s.port))
            .output()
            .expect("stun runs");
        let text = stdout(&out);
        assert!(text.contains("Primary: Open"), "{text}");
    }
    let pid = s.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = std::mem::replace(
        &mut s.child,
        Command::new("true").spawn().expect("placeholder"),
    )
    .wait_with_output()
    .expect("server exits");
    assert!(out.status.success(), "exit {:?}", out.status);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stopping") && err.contains("answered"),
        "{err}"
    );
}
