//! `rtcscope nat` against a closed port and a server that answers garbage, on 127.0.0.1: the
//! text and the JSON name the fault (`reason`), and neither says "UDP blocked".

use rtcscope_tests::{run, stderr, stdout};
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn a_closed_port_is_named_in_text_and_json() {
    let closed = UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .to_string();
    let out = run(&["nat", "--json", &closed]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let r = &v["reports"][0];
    assert_eq!(r["reason"], "port-unreachable", "{r:#}");
    assert_eq!(r["classic"], "unknown");
    assert_eq!(r["webrtc"], "unknown");
    assert_eq!(r["servers"][0]["status"], "port-unreachable");
    assert!(r["duration_ms"].as_f64().unwrap_or(1e9) < 1000.0, "{r:#}");
    let out = run(&["nat", &closed]);
    let text = stdout(&out);
    assert!(
        text.contains("ICMP port unreachable") && text.contains("says nothing about your NAT"),
        "{text}"
    );
    assert!(!text.contains("UDP blocked"), "{text}");
}

#[test]
fn a_garbage_server_is_named_in_text_and_json() {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    let addr = sock.local_addr().expect("address").to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let server = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while !s.load(Ordering::Relaxed) {
            if let Ok((_, src)) = sock.recv_from(&mut buf) {
                let _ = sock.send_to(b"220 smtp.example ESMTP\r\n", src);
            }
        }
    });
    let out = run(&["nat", "--json", "--timeout", "1", &addr]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let r = &v["reports"][0];
    assert_eq!(r["reason"], "not-stun", "{r:#}");
    assert!(
        r["servers"][0]["not_stun"].as_u64().unwrap_or(0) > 0,
        "{r:#}"
    );
    let out = run(&["nat", "--timeout", "1", &addr]);
    let text = stdout(&out);
    assert!(
        text.contains("not STUN") && !text.contains("UDP blocked"),
        "{text}"
    );
    stop.store(true, Ordering::Relaxed);
    let _ = server.join();
}
