//! Findings as they happen in `analyze -i` (as root): ICE checks sent on loopback to a port
//! where nothing listens are refused by the kernel with ICMP port unreachable; the headless
//! live mode must say that ICE is failing while it captures, not only in the final report.

use rtcscope_stun::{Attribute, MessageBuilder, Method, TransactionId};
use rtcscope_tests::bin;
use std::borrow::Cow;
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_failing_ice_check_is_reported_while_capturing() {
    if !rtcscope_testkit::require_root("live_findings::a_failing_ice_check_is_reported") {
        return;
    }
    // A port nothing listens on: bind, learn it, close.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin())
        .args(["analyze", "-i", "lo", "-f"])
        .arg(format!("udp port {port} or icmp"))
        .args(["-a", "duration:4", "--interval", "0.5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rtcscope starts");
    // Let libpcap open the interface before the traffic starts.
    std::thread::sleep(Duration::from_millis(800));
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..6u8 {
        let mut m = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389([i; 12]));
        m.add(&Attribute::Username(Cow::Borrowed("bbbb:aaaa")))
            .add(&Attribute::Priority(1_853_817_087))
            .add(&Attribute::IceControlling(7));
        // The ICMP error comes back to this socket as ECONNREFUSED on a later send: ignore it.
        let _ = tx.send_to(&m.finish().unwrap(), ("127.0.0.1", port));
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Said during the capture, on the periodic line, before the final report.
    let live_line = stderr
        .lines()
        .find(|l| l.contains("FAILURE ice.no-pair-succeeded"))
        .unwrap_or_else(|| panic!("no live finding in:\n{stderr}"));
    assert!(live_line.starts_with('['), "{live_line}");
    assert!(live_line.contains("ICMP"), "{live_line}");
    assert_eq!(
        stderr.matches("ice.no-pair-succeeded").count(),
        1,
        "said once:\n{stderr}"
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("ice.no-pair-succeeded"), "{report}");
}
