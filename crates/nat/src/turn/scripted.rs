//! The machine against a scripted server on virtual time: the stale-nonce retry and the
//! error codes a TURN server can answer Allocate with.

use super::*;
use crate::check::Unreachable;
use rtcscope_stun::ErrorCode;

fn server() -> SocketAddr {
    "198.51.100.2:3478".parse().unwrap()
}

fn start() -> (TurnCheck, Instant) {
    let t0 = Instant::now();
    let mut cfg = TurnConfig::new(server(), Transport::Udp, Mode::Turn, 9);
    cfg.username = "alice".into();
    cfg.password = "pw".into();
    (TurnCheck::new(cfg, t0), t0)
}

/// The client's pending request to the server (the last one sent).
fn last_client_request(c: &mut TurnCheck) -> Vec<u8> {
    let mut last = None;
    while let Some(t) = c.poll_transmit() {
        if t.from == Endpoint::Client {
            last = Some(t.payload);
        }
    }
    last.expect("a client request")
}

fn error(req: &[u8], code: u16, nonce: Option<&str>) -> Vec<u8> {
    let m = Message::parse(req).unwrap();
    let mut b = MessageBuilder::error(m.method(), m.transaction_id());
    b.add(&Attribute::ErrorCode {
        code: ErrorCode(code),
        reason: "x".into(),
    });
    if let Some(n) = nonce {
        b.add(&Attribute::Realm("lab".into()))
            .add(&Attribute::Nonce(n.into()));
    }
    b.finish().unwrap()
}

fn nonce_of(req: &[u8]) -> Option<String> {
    Message::parse(req)
        .unwrap()
        .attributes()
        .map_while(Result::ok)
        .find_map(|a| match a.decode() {
            Ok(Attribute::Nonce(n)) => Some(n.into_owned()),
            _ => None,
        })
}

#[test]
fn stale_nonce_is_retried_with_the_new_nonce() {
    let (mut c, t0) = start();
    let req = last_client_request(&mut c);
    assert_eq!(
        nonce_of(&req),
        None,
        "the first Allocate is unauthenticated"
    );
    c.handle_input(
        t0,
        Endpoint::Client,
        server(),
        &error(&req, 401, Some("n1")),
    );
    let req = last_client_request(&mut c);
    assert_eq!(nonce_of(&req).as_deref(), Some("n1"));
    c.handle_input(
        t0,
        Endpoint::Client,
        server(),
        &error(&req, 438, Some("n2")),
    );
    let req = last_client_request(&mut c);
    assert_eq!(
        nonce_of(&req).as_deref(),
        Some("n2"),
        "retried with the new nonce"
    );
    assert!(c.report().steps.iter().any(|s| s.detail.contains("438")));
    assert!(!c.is_done());
}

#[test]
fn a_silent_peer_stun_server_is_named_with_the_way_out() {
    let (mut c, t0) = start();
    // The server challenges the Allocate later (after a retransmission, so no round-trip
    // time speeds the client's schedule up), so the peer's Binding, sent at the start and
    // never answered, runs out first. (When both run out together, the client's request
    // is named: the server's silence is the news.)
    let req = last_client_request(&mut c);
    let later = t0 + Duration::from_millis(300);
    c.handle_input(
        later,
        Endpoint::Client,
        server(),
        &error(&req, 401, Some("n1")),
    );
    while !c.is_done() {
        while c.poll_transmit().is_some() {}
        let at = c.poll_timeout().expect("a running check has a timeout");
        c.handle_timeout(at);
    }
    let e = c.report().error.as_ref().expect("an error");
    assert_eq!(
        (e.request.as_str(), e.reason.as_str()),
        ("peer Binding", "timeout")
    );
    assert_eq!(
        e.explanation,
        "no answer to the peer socket's UDP Binding from 198.51.100.2:3478: the relay \
         check needs the peer's reflexive address from a STUN server over UDP (give \
         another with --peer-stun HOST:PORT)"
    );
}

#[test]
fn allocate_errors_are_explained_and_end_the_check() {
    for (code, words) in [
        (401, "credentials were rejected"),
        (441, "wrong credentials"),
        (437, "allocation mismatch"),
        (442, "transport protocol"),
        (486, "quota"),
        (508, "capacity"),
    ] {
        let (mut c, t0) = start();
        let req = last_client_request(&mut c);
        c.handle_input(
            t0,
            Endpoint::Client,
            server(),
            &error(&req, 401, Some("n1")),
        );
        let req = last_client_request(&mut c);
        c.handle_input(t0, Endpoint::Client, server(), &error(&req, code, None));
        assert!(c.is_done(), "{code}");
        let r = c.report();
        assert!(!r.success);
        let e = r.error.as_ref().expect("error recorded");
        assert_eq!(e.code, code);
        assert!(e.explanation.contains(words), "{code}: {}", e.explanation);
    }
}

/// Runs the check to its end, answering each client request the server gets with
/// `answer` (None: silence).
fn run_against(mode: Mode, answer: impl Fn(&[u8]) -> Option<Vec<u8>>) -> (TurnReport, Duration) {
    let t0 = Instant::now();
    let mut cfg = TurnConfig::new(server(), Transport::Udp, mode, 9);
    cfg.username = "alice".into();
    cfg.password = "pw".into();
    let mut c = TurnCheck::new(cfg, t0);
    let mut now = t0;
    while !c.is_done() {
        let mut replies = Vec::new();
        while let Some(t) = c.poll_transmit() {
            if t.from == Endpoint::Client {
                replies.extend(answer(&t.payload));
            }
        }
        for r in replies {
            c.handle_input(now, Endpoint::Client, server(), &r);
        }
        if c.is_done() {
            break;
        }
        now = c.poll_timeout().unwrap();
        c.handle_timeout(now);
    }
    (c.report().clone(), now - t0)
}

#[test]
fn a_server_answering_garbage_wrong_ids_or_nothing_gets_a_clear_verdict() {
    for mode in [Mode::Stun, Mode::Turn] {
        let (r, took) = run_against(mode, |_| Some(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()));
        assert_eq!(r.verdict, TurnVerdict::NotStun, "{mode:?}: {r:#?}");
        let e = r.error.as_ref().unwrap();
        assert_eq!(e.reason, "not STUN");
        assert!(e.explanation.contains("not STUN"), "{}", e.explanation);
        assert!(r.not_stun >= ATTEMPTS, "{r:#?}");
        assert!(took < Duration::from_secs(8));

        let (r, _) = run_against(mode, |req| {
            let m = Message::parse(req).unwrap();
            let mut id = [0u8; 12];
            id.copy_from_slice(m.transaction_id().as_bytes());
            id[0] ^= 0xff;
            let mut b = MessageBuilder::error(m.method(), TransactionId::Rfc5389(id));
            b.add(&Attribute::ErrorCode {
                code: ErrorCode(401),
                reason: "x".into(),
            });
            Some(b.finish().unwrap())
        });
        assert_eq!(r.verdict, TurnVerdict::BrokenServer, "{mode:?}: {r:#?}");
        let e = r.error.as_ref().unwrap();
        assert!(
            e.explanation.contains("transaction ID of no request"),
            "{}",
            e.explanation
        );
        assert!(r.broken_stun >= ATTEMPTS);

        let (r, _) = run_against(mode, |req| Some(req[..req.len() - 4].to_vec()));
        assert_eq!(r.verdict, TurnVerdict::BrokenServer, "{mode:?}: {r:#?}");

        let (r, _) = run_against(mode, |_| None);
        assert_eq!(r.verdict, TurnVerdict::NoAnswer, "{mode:?}: {r:#?}");
        let e = r.error.as_ref().unwrap();
        assert_eq!((e.code, e.reason.as_str()), (0, "timeout"));
        // The server's silence is the news, not the peer's Binding to the same server.
        assert_ne!(e.request, "peer Binding", "{r:#?}");
        assert!(
            e.explanation.contains("no answer from 198.51.100.2:3478"),
            "{}",
            e.explanation
        );
    }
}

#[test]
fn icmp_port_unreachable_ends_the_check_at_once() {
    let (mut c, t0) = start();
    while c.poll_transmit().is_some() {}
    c.handle_unreachable(t0, Endpoint::Client, Unreachable::Port);
    assert!(c.is_done());
    let r = c.report();
    assert_eq!(r.verdict, TurnVerdict::PortUnreachable);
    let e = r.error.as_ref().unwrap();
    assert_eq!(e.reason, "port unreachable");
    assert!(
        e.explanation.contains("nothing listens on UDP port 3478"),
        "{}",
        e.explanation
    );
    // The peer's socket is not connected: an ICMP error there says nothing.
    let (mut c, t0) = start();
    c.handle_unreachable(t0, Endpoint::Peer, Unreachable::Port);
    assert!(!c.is_done());
}

#[test]
fn a_late_duplicate_answer_is_not_a_broken_server() {
    let (mut c, t0) = start();
    let req = last_client_request(&mut c);
    let challenge = error(&req, 401, Some("n1"));
    c.handle_input(t0, Endpoint::Client, server(), &challenge);
    // The answer to a retransmission of the first Allocate arrives after the second.
    c.handle_input(t0, Endpoint::Client, server(), &challenge);
    assert_eq!(c.report().broken_stun, 0);
}

#[test]
fn silence_times_out_within_the_retransmission_budget() {
    let (mut c, t0) = start();
    let mut now = t0;
    let mut sent = 0;
    while !c.is_done() {
        while c.poll_transmit().is_some() {
            sent += 1;
        }
        now = c.poll_timeout().unwrap();
        c.handle_timeout(now);
    }
    assert!(sent <= 2 * ATTEMPTS as usize, "{sent} datagrams");
    assert!(now - t0 < Duration::from_secs(8));
    assert_eq!(c.report().error.as_ref().map(|e| e.code), Some(0));
    assert_eq!(c.report().verdict, TurnVerdict::NoAnswer);
}

/// A relay that allocates and grants permissions but never passes data on: the data probe
/// runs out, the check says so once, releases the allocation and waits for the Refresh's
/// answer (it used to report the silence twice and end before the release was answered).
#[test]
fn a_relay_that_drops_data_is_released_after_one_timeout() {
    let (mut c, t0) = start();
    let creds = rtcscope_stun::Credentials::long_term(
        "alice",
        "lab",
        "n1",
        "pw",
        None,
        rtcscope_stun::PasswordPrep::SaslPrep,
    )
    .unwrap();
    let mut now = t0;
    let mut challenged = false;
    while !c.is_done() {
        let mut replies = Vec::new();
        while let Some(t) = c.poll_transmit() {
            let Ok(m) = Message::parse(&t.payload) else {
                continue; // data for the peer: the relay drops it
            };
            if m.class() != Class::REQUEST {
                continue; // Send indications: dropped too
            }
            let mut ok = MessageBuilder::success(m.method(), m.transaction_id());
            let from = if t.from == Endpoint::Peer {
                // The peer's Binding to its STUN server.
                ok.add(&Attribute::XorMappedAddress(
                    "203.0.113.7:4000".parse().unwrap(),
                ));
                replies.push((Endpoint::Peer, ok.finish().unwrap()));
                continue;
            } else {
                Endpoint::Client
            };
            if m.method() == Method::BINDING {
                ok.add(&Attribute::XorMappedAddress(
                    "203.0.113.9:5000".parse().unwrap(),
                ));
            } else if m.method() == Method::ALLOCATE && !challenged {
                challenged = true;
                replies.push((from, error(&t.payload, 401, Some("n1"))));
                continue;
            } else {
                if m.method() == Method::ALLOCATE {
                    ok.add(&Attribute::XorRelayedAddress(
                        "198.51.100.2:50000".parse().unwrap(),
                    ))
                    .add(&Attribute::XorMappedAddress(
                        "203.0.113.9:5000".parse().unwrap(),
                    ))
                    .add(&Attribute::Lifetime(600));
                }
                ok.sign(&creds);
            }
            replies.push((from, ok.finish().unwrap()));
        }
        for (at, r) in replies {
            c.handle_input(now, at, server(), &r);
        }
        if c.is_done() {
            break;
        }
        now = c.poll_timeout().expect("a running check has a timeout");
        c.handle_timeout(now);
    }
    let r = c.report();
    let relayed_data: Vec<&str> = r
        .steps
        .iter()
        .filter(|s| s.name == "data through the relay")
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(relayed_data.len(), 1, "{:#?}", r.steps);
    assert!(
        r.released,
        "the Refresh to zero was answered: {:#?}",
        r.steps
    );
    assert_eq!(r.error.as_ref().unwrap().request, "data through the relay");
}
