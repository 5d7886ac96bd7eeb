//! The STUN server's handler under abuse: the response-to-request size ratio of every kind of
//! request it answers, over IPv4 and IPv6, in RFC 5780 and plain mode; nothing the requester
//! sent is echoed; garbage, truncated and oversized datagrams get no answer and are counted.
//!
//! `cargo test -p rtcscope-nat --test server_abuse -- --nocapture` prints the table that
//! `docs/nat.md` quotes.

use rtcscope_nat::msg;
use rtcscope_nat::server::{
    Dropped, Endpoint, ServerConfig, StunServer, MAX_EXTRA_BYTES, MAX_RATIO, MAX_REQUEST_BYTES,
};
use rtcscope_stun::{Attribute, AttributeType, Message, MessageBuilder, Method, TransactionId};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

fn rfc5389(attrs: &[Attribute<'_>], raw: &[(u16, usize)], fingerprint: bool) -> Vec<u8> {
    let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389([7; 12]));
    for a in attrs {
        b.add(a);
    }
    for (typ, len) in raw {
        b.add_raw(AttributeType(*typ), &vec![0x5a; *len]);
    }
    if fingerprint {
        b.fingerprint();
    }
    b.finish().unwrap()
}

fn classic(change: Option<(bool, bool)>) -> Vec<u8> {
    let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc3489([7; 16]));
    if let Some((change_ip, change_port)) = change {
        b.add(&Attribute::ChangeRequest {
            change_ip,
            change_port,
        });
    }
    b.finish().unwrap()
}

fn change(change_ip: bool, change_port: bool) -> Attribute<'static> {
    Attribute::ChangeRequest {
        change_ip,
        change_port,
    }
}

/// Every kind of request the server answers, by name.
fn requests() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("Binding, bare header", rfc5389(&[], &[], false)),
        ("Binding + FINGERPRINT", rfc5389(&[], &[], true)),
        (
            "Binding padded by `rtcscope nat`",
            msg::padded_binding_request([7; 12], msg::PADDED_BINDING_BYTES),
        ),
        (
            "Binding + SOFTWARE (1 byte)",
            rfc5389(&[Attribute::Software("x".into())], &[], false),
        ),
        (
            "CHANGE-REQUEST (none)",
            rfc5389(&[change(false, false)], &[], false),
        ),
        (
            "CHANGE-REQUEST (port)",
            rfc5389(&[change(false, true)], &[], false),
        ),
        (
            "CHANGE-REQUEST (IP+port)",
            rfc5389(&[change(true, true)], &[], false),
        ),
        (
            "CHANGE-REQUEST + FINGERPRINT",
            rfc5389(&[change(true, true)], &[], true),
        ),
        (
            "RESPONSE-PORT 40000",
            rfc5389(&[Attribute::ResponsePort(40000)], &[], false),
        ),
        (
            "RESPONSE-PORT 53 (refused: 400)",
            rfc5389(&[Attribute::ResponsePort(53)], &[], false),
        ),
        ("PADDING (4 bytes)", rfc5389(&[], &[(0x0026, 4)], false)),
        (
            "PADDING (1000 bytes)",
            rfc5389(&[], &[(0x0026, 1000)], false),
        ),
        (
            "unknown attribute, empty (420)",
            rfc5389(&[], &[(0x0077, 0)], false),
        ),
        (
            "unknown attribute, 500 bytes (420)",
            rfc5389(&[], &[(0x0077, 500)], false),
        ),
        (
            "8 unknown attributes (420)",
            rfc5389(&[], &[(0x0070, 0); 8], false),
        ),
        ("classic RFC 3489, bare", classic(None)),
        (
            "classic RFC 3489 + CHANGE-REQUEST",
            classic(Some((false, false))),
        ),
    ]
}

struct Setup {
    name: &'static str,
    cfg: ServerConfig,
    client: SocketAddr,
}

fn setups() -> Vec<Setup> {
    let v4: IpAddr = "198.51.100.2".parse().unwrap();
    let v6: IpAddr = "2001:db8:2::2".parse().unwrap();
    let mut out = Vec::new();
    for (family, ip, alt, client) in [
        ("IPv4", v4, "198.51.100.3", "203.0.113.1:40000"),
        ("IPv6", v6, "2001:db8:2::3", "[2001:db8:ff::1]:40000"),
    ] {
        let plain = ServerConfig::new(ip, 3478);
        let mut rfc5780 = plain.clone();
        rfc5780.alternate_ip = Some(alt.parse().unwrap());
        rfc5780.alternate_port = Some(3479);
        let client: SocketAddr = client.parse().unwrap();
        out.push(Setup {
            name: if family == "IPv4" {
                "RFC 5780, IPv4"
            } else {
                "RFC 5780, IPv6"
            },
            cfg: rfc5780,
            client,
        });
        out.push(Setup {
            name: if family == "IPv4" {
                "plain, IPv4"
            } else {
                "plain, IPv6"
            },
            cfg: plain,
            client,
        });
    }
    out
}

#[test]
fn every_request_kind_stays_within_the_documented_ratio() {
    let mut worst = (0.0f64, String::new());
    let mut worst_extra = 0usize;
    let mut table = String::from("| request | bytes |");
    let setups = setups();
    for s in &setups {
        table.push_str(&format!(" {} |", s.name));
    }
    table.push_str("\n| --- | --- |");
    table.push_str(&" --- |".repeat(setups.len()));
    table.push('\n');
    for (name, req) in requests() {
        table.push_str(&format!("| {name} | {} |", req.len()));
        for s in &setups {
            let mut server = StunServer::new(s.cfg.clone());
            let r = server
                .handle(Instant::now(), Endpoint::PRIMARY, s.client, &req)
                .unwrap_or_else(|e| panic!("{name} ({}): {e:?}", s.name));
            let ratio = r.payload.len() as f64 / req.len() as f64;
            table.push_str(&format!(" {} B, {ratio:.2}x |", r.payload.len()));
            assert!(
                ratio <= MAX_RATIO,
                "{name} ({}): {ratio:.2}x ({} for {} bytes)",
                s.name,
                r.payload.len(),
                req.len()
            );
            let extra = r.payload.len().saturating_sub(req.len());
            assert!(extra <= MAX_EXTRA_BYTES, "{name} ({}): +{extra}", s.name);
            worst_extra = worst_extra.max(extra);
            if ratio > worst.0 {
                worst = (ratio, format!("{name} ({})", s.name));
            }
            // Nothing the requester sent is echoed: no PADDING, no SOFTWARE, no unknown
            // attribute's value, no RESPONSE-PORT.
            let m = Message::parse(&r.payload).unwrap();
            for a in m.attributes() {
                let t = a.unwrap().attribute_type();
                assert!(
                    ![
                        AttributeType::PADDING,
                        AttributeType::SOFTWARE,
                        AttributeType::RESPONSE_PORT,
                        AttributeType::CHANGE_REQUEST,
                    ]
                    .contains(&t),
                    "{name} ({}): {t:?} in the answer",
                    s.name
                );
            }
            assert!(!r.payload.windows(8).any(|w| w == [0x5a; 8]), "{name}");
        }
        table.push('\n');
    }
    eprintln!("{table}");
    eprintln!(
        "worst ratio {:.2}x: {}; most bytes added {worst_extra}",
        worst.0, worst.1
    );
    // The bound in the docs is the measured worst case, rounded up.
    assert!(
        (2.4..=2.45).contains(&worst.0),
        "the documented worst case changed: {worst:?}"
    );
}

#[test]
fn padding_buys_every_attribute_and_a_bare_request_only_the_address() {
    let s = &setups()[2]; // RFC 5780 over IPv6
    let mut server = StunServer::new(s.cfg.clone());
    let now = Instant::now();
    let padded = msg::padded_binding_request([1; 12], msg::PADDED_BINDING_BYTES);
    let r = server
        .handle(now, Endpoint::PRIMARY, s.client, &padded)
        .unwrap();
    let resp = msg::parse_response(&r.payload).unwrap();
    assert!(resp.other_address.is_some() && resp.response_origin.is_some());
    assert_eq!(resp.mapped, Some(s.client));
    assert_eq!(r.payload.len(), padded.len());
    let bare = rfc5389(&[], &[], false);
    let r = server
        .handle(now, Endpoint::PRIMARY, s.client, &bare)
        .unwrap();
    let resp = msg::parse_response(&r.payload).unwrap();
    assert_eq!(resp.xor_mapped, Some(s.client));
    assert_eq!(
        (resp.mapped, resp.other_address, resp.response_origin),
        (None, None, None)
    );
}

#[test]
fn garbage_truncated_and_oversized_datagrams_get_no_answer_and_are_counted() {
    let s = &setups()[0];
    let mut server = StunServer::new(s.cfg.clone());
    let now = Instant::now();
    let req = rfc5389(&[change(true, true)], &[], true);
    let mut junk: Vec<(Vec<u8>, Dropped)> = vec![
        (b"GET / HTTP/1.1\r\n\r\n".to_vec(), Dropped::NotStun),
        (vec![0xff; 1200], Dropped::NotStun),
        (vec![0u8; 64 * 1024 - 1], Dropped::Oversized),
        (
            msg::padded_binding_request([2; 12], MAX_REQUEST_BYTES + 1),
            Dropped::Oversized,
        ),
    ];
    for n in 8..req.len() {
        junk.push((req[..n].to_vec(), Dropped::Truncated));
    }
    let mut bad_attr = req.clone();
    bad_attr[22] = 0x40; // CHANGE-REQUEST's length: 0x4004, past the end
    junk.push((bad_attr, Dropped::Malformed));
    for (j, why) in &junk {
        assert_eq!(
            server.handle(now, Endpoint::PRIMARY, s.client, j),
            Err(*why),
            "{} bytes",
            j.len()
        );
    }
    let st = server.stats();
    assert_eq!(st.answered, 0);
    assert_eq!(st.malformed, junk.len() as u64);
    assert_eq!(
        (st.not_stun, st.oversized, st.truncated, st.malformed_stun),
        (2, 2, (req.len() - 8) as u64, 1)
    );
    // And the real request right after is answered.
    assert!(server
        .handle(now, Endpoint::PRIMARY, s.client, &req)
        .is_ok());
}
