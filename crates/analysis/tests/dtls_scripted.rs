//! The engine's DTLS state on scripted packets (issue #10, "unit tests for the engine's own
//! logic"): a DTLS 1.2 handshake with a HelloVerifyRequest cookie exchange, a retransmitted
//! flight and a fatal alert, over UDP and over ICE-TCP (RFC 6544 framing after the checks).

use rtcscope_analysis::dtls::DtlsReport;
use rtcscope_analysis::flow::Transport;
use rtcscope_analysis::report::Report;
use rtcscope_analysis::Engine;
use rtcscope_stun::{Attribute, MessageBuilder, Method, TransactionId};
use rtcscope_testkit::frames::{ipv4, udp};
use std::net::SocketAddr;

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];
const A_PORT: u16 = 40_001;
const B_PORT: u16 = 40_002;

/// A capture being scripted between A (DTLS client) and B, over UDP or TCP.
struct Script {
    engine: Engine,
    n: u64,
    tcp: bool,
    seq: [u32; 2],
}

impl Script {
    fn new(tcp: bool) -> Self {
        let mut s = Script {
            engine: Engine::default(),
            n: 0,
            tcp,
            seq: [1000, 5000],
        };
        if tcp {
            s.tcp_segment(0, true, 0x02, &[]);
            s.tcp_segment(0, false, 0x12, &[]);
            s.tcp_segment(0, true, 0x10, &[]);
            // ICE-TCP: connectivity checks come first on the connection.
            let check = {
                let mut m =
                    MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389([1; 12]));
                m.add(&Attribute::Username("bbbb:aaaa".into()))
                    .add(&Attribute::Priority(1))
                    .add(&Attribute::IceControlling(1));
                m.finish().unwrap()
            };
            s.send(1, true, &check);
            let ok = {
                let mut m =
                    MessageBuilder::success(Method::BINDING, TransactionId::Rfc5389([1; 12]));
                m.add(&Attribute::XorMappedAddress(SocketAddr::from((A, A_PORT))));
                m.finish().unwrap()
            };
            s.send(2, false, &ok);
        }
        s
    }

    fn frame(&mut self, t_ms: i64, from_a: bool, body: Vec<u8>, proto: u8) {
        self.n += 1;
        let (src, dst) = if from_a { (A, B) } else { (B, A) };
        let f = ipv4(src, dst, proto, self.n as u16, &body);
        let t = 1_700_000_000_000_000_000i128 + i128::from(t_ms) * 1_000_000;
        self.engine.feed_frame(
            self.n,
            t,
            rtcscope_capture::LinkType::RAW,
            &f,
            f.len() as u32,
        );
    }

    fn tcp_segment(&mut self, t_ms: i64, from_a: bool, flags: u8, payload: &[u8]) {
        let i = usize::from(!from_a);
        let (sport, dport) = if from_a {
            (A_PORT, B_PORT)
        } else {
            (B_PORT, A_PORT)
        };
        let mut h = Vec::with_capacity(20 + payload.len());
        h.extend_from_slice(&sport.to_be_bytes());
        h.extend_from_slice(&dport.to_be_bytes());
        h.extend_from_slice(&self.seq[i].to_be_bytes());
        h.extend_from_slice(&self.seq[1 - i].to_be_bytes());
        h.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        h.extend_from_slice(payload);
        self.seq[i] = self.seq[i]
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(flags & 0x03 != 0));
        self.frame(t_ms, from_a, h, 6);
    }

    /// One datagram (UDP), or one RFC 4571-framed message (TCP).
    fn send(&mut self, t_ms: i64, from_a: bool, msg: &[u8]) {
        if self.tcp {
            let mut framed = (msg.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(msg);
            self.tcp_segment(t_ms, from_a, 0x18, &framed);
        } else {
            let (sport, dport) = if from_a {
                (A_PORT, B_PORT)
            } else {
                (B_PORT, A_PORT)
            };
            self.frame(t_ms, from_a, udp(sport, dport, msg), 17);
        }
    }

    fn dtls(&self) -> Vec<DtlsReport> {
        Report::new(&self.engine).dtls
    }
}

/// A DTLS 1.2 plaintext record (epoch 0, record sequence `rec`) of `content_type`.
fn record(content_type: u8, rec: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, rec];
    r.extend(u16::try_from(body.len()).unwrap().to_be_bytes());
    r.extend(body);
    r
}

/// A handshake record holding one whole message of `msg_type`, message sequence `msg_seq`.
fn handshake(rec: u8, msg_type: u8, msg_seq: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let mut hs = vec![msg_type, len[1], len[2], len[3], 0, msg_seq, 0, 0, 0];
    hs.extend([len[1], len[2], len[3]]);
    hs.extend(body);
    record(22, rec, &hs)
}

/// A ClientHello offering TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, with `cookie`.
fn client_hello(rec: u8, msg_seq: u8, cookie: &[u8]) -> Vec<u8> {
    let mut b = vec![0xfe, 0xfd];
    b.extend([0x11; 32]);
    b.push(0); // session id
    b.push(u8::try_from(cookie.len()).unwrap());
    b.extend(cookie);
    b.extend([0, 2, 0xc0, 0x2b, 1, 0, 0, 0]);
    handshake(rec, 1, msg_seq, &b)
}

fn hello_verify_request(cookie: &[u8]) -> Vec<u8> {
    let mut b = vec![0xfe, 0xff, u8::try_from(cookie.len()).unwrap()];
    b.extend(cookie);
    handshake(0, 3, 0, &b)
}

fn server_hello(rec: u8) -> Vec<u8> {
    let mut b = vec![0xfe, 0xfd];
    b.extend([0x22; 32]);
    b.extend([0, 0xc0, 0x2b, 0, 0, 0]);
    handshake(rec, 2, 1, &b)
}

/// Cookie exchange, the second ClientHello sent twice (the first copy "lost"), the server's
/// hello, then a fatal handshake_failure alert from the client.
fn handshake_with_cookie_retransmission_and_alert(s: &mut Script) {
    let cookie = [0xc0, 0x0c, 0x1e, 0x5a];
    s.send(10, true, &client_hello(0, 0, &[]));
    s.send(11, false, &hello_verify_request(&cookie));
    s.send(12, true, &client_hello(1, 1, &cookie));
    s.send(1012, true, &client_hello(2, 1, &cookie));
    s.send(1013, false, &server_hello(1));
    s.send(1020, true, &record(21, 3, &[2, 40]));
}

fn check(d: &[DtlsReport], transport: Transport) {
    let [d] = d else {
        panic!("one association expected: {d:#?}");
    };
    assert_eq!(d.flow.transport, transport, "{d:#?}");
    assert_eq!(d.client, Some(SocketAddr::from((A, A_PORT))), "{d:#?}");
    assert_eq!(d.server, Some(SocketAddr::from((B, B_PORT))), "{d:#?}");
    assert!(d.hello_verify_request, "cookie exchange: {d:#?}");
    assert!(!d.hello_retry_request, "{d:#?}");
    assert_eq!(d.version.as_deref(), Some("DTLS 1.2"), "{d:#?}");
    assert_eq!(
        d.cipher_suite.as_deref(),
        Some("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        "{d:#?}"
    );
    assert_eq!(
        d.handshake_retransmissions, 1,
        "the second ClientHello twice: {d:#?}"
    );
    assert_eq!(d.alerts.len(), 1, "{d:#?}");
    let alert = d.alerts[0].to_ascii_lowercase();
    assert!(
        alert.contains("fatal") && alert.contains("handshake_failure"),
        "{alert}"
    );
}

#[test]
fn cookie_exchange_retransmission_and_alert_over_udp() {
    let mut s = Script::new(false);
    handshake_with_cookie_retransmission_and_alert(&mut s);
    check(&s.dtls(), Transport::Udp);
}

#[test]
fn the_same_handshake_over_ice_tcp() {
    let mut s = Script::new(true);
    handshake_with_cookie_retransmission_and_alert(&mut s);
    check(&s.dtls(), Transport::Tcp);
}
