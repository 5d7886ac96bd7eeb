//! Unit tests: TURN REST credentials, the config's Debug, where the peer asks STUN.

use super::*;

#[test]
fn rest_credentials_match_coturn_formula() {
    // base64(HMAC-SHA1("secret", "1700000000:alice")), computed independently with
    // `printf %s 1700000000:alice | openssl dgst -sha1 -hmac secret -binary | base64`.
    let (u, p) = rest_credentials(b"secret", "alice", 1_700_000_000);
    assert_eq!(u, "1700000000:alice");
    assert_eq!(p, "d8soP47RbdIKLDUOpnJPVQyq5Ts=");
    let (u2, p2) = rest_credentials(b"secret", "alice", 1_700_000_001);
    assert_ne!((u.clone(), p.clone()), (u2, p2));
    let (u3, _) = rest_credentials(b"secret", "", 5);
    assert_eq!(u3, "5");
}

#[test]
fn config_debug_hides_the_password() {
    let mut c = TurnConfig::new(
        "198.51.100.2:3478".parse().unwrap(),
        Transport::Udp,
        Mode::Turn,
        1,
    );
    c.password = "hunter2-very-secret".into();
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn the_peer_asks_udp_stun_on_3478_for_stream_transports() {
    let at = |port, t| {
        let s: SocketAddr = format!("198.51.100.2:{port}").parse().unwrap();
        let c = TurnConfig::new(s, t, Mode::Turn, 1);
        let mut check = TurnCheck::new(c, Instant::now());
        let mut peer = None;
        while let Some(t) = check.poll_transmit() {
            if t.from == Endpoint::Peer {
                peer = Some(t.dst);
            }
        }
        peer.expect("the peer's Binding").to_string()
    };
    assert_eq!(at(3478, Transport::Udp), "198.51.100.2:3478");
    assert_eq!(at(5000, Transport::Udp), "198.51.100.2:5000");
    assert_eq!(at(443, Transport::Tls), "198.51.100.2:3478");
    assert_eq!(at(5349, Transport::Tls), "198.51.100.2:3478");
    assert_eq!(at(3478, Transport::Tcp), "198.51.100.2:3478");
}
