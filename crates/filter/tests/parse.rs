//! Parser tests: precedence, every field's literals, located errors, and the printer's
//! round trip (a property test over generated trees).

use proptest::prelude::*;
use rtcscope_filter::ast::{STUN_CLASSES, STUN_METHODS};
use rtcscope_filter::{parse, CmpOp, Expr, Field, Proto, Value, MAX_DEPTH};

fn p(s: &str) -> Expr {
    parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn err(s: &str) -> String {
    match parse(s) {
        Ok(e) => panic!("{s:?} parsed as {e:?}"),
        Err(e) => e.to_string(),
    }
}

fn proto(x: Proto) -> Expr {
    Expr::Proto(x)
}

#[test]
fn precedence_not_over_and_over_or() {
    use Proto::*;
    assert_eq!(
        p("stun || dtls && !rtp"),
        Expr::Or(vec![
            proto(Stun),
            Expr::And(vec![proto(Dtls), Expr::Not(Box::new(proto(Rtp)))])
        ])
    );
    assert_eq!(
        p("not stun and dtls or rtp"),
        Expr::Or(vec![
            Expr::And(vec![Expr::Not(Box::new(proto(Stun))), proto(Dtls)]),
            proto(Rtp)
        ])
    );
    assert_eq!(
        p("(stun || dtls) && rtp"),
        Expr::And(vec![Expr::Or(vec![proto(Stun), proto(Dtls)]), proto(Rtp)])
    );
    assert_eq!(
        p("a_chain: stun && dtls && rtp".split_once(": ").unwrap().1),
        Expr::And(vec![proto(Stun), proto(Dtls), proto(Rtp)])
    );
    assert_eq!(
        p("!ip.addr == 10.0.0.1"),
        Expr::Not(Box::new(Expr::Cmp(
            Field::IpAddr,
            CmpOp::Eq,
            Value::Net {
                addr: "10.0.0.1".parse().unwrap(),
                prefix: 32
            }
        )))
    );
    assert_eq!(p("((((stun))))"), proto(Stun));
    assert_eq!(p("STUN"), proto(Stun));
}

#[test]
fn literals() {
    assert_eq!(
        p("rtp.ssrc == 0x1A2b"),
        Expr::Cmp(Field::RtpSsrc, CmpOp::Eq, Value::Int(0x1a2b))
    );
    assert_eq!(
        p("rtp.ssrc eq 4294967295"),
        Expr::Cmp(Field::RtpSsrc, CmpOp::Eq, Value::Int(0xffff_ffff))
    );
    assert_eq!(
        p("ip.addr == 10.0.0.0/8"),
        Expr::Cmp(
            Field::IpAddr,
            CmpOp::Eq,
            Value::Net {
                addr: "10.0.0.0".parse().unwrap(),
                prefix: 8
            }
        )
    );
    assert_eq!(
        p("ip.dst != 2001:db8::1/64"),
        Expr::Cmp(
            Field::IpDst,
            CmpOp::Ne,
            Value::Net {
                addr: "2001:db8::1".parse().unwrap(),
                prefix: 64
            }
        )
    );
    assert_eq!(
        p("stun.type == allocate_error"),
        Expr::Cmp(
            Field::StunType,
            CmpOp::Eq,
            Value::StunName {
                method: 3,
                class: Some(3)
            }
        )
    );
    assert_eq!(
        p("stun.type == Allocate_Error_Response"),
        p("stun.type == allocate_error")
    );
    assert_eq!(
        p("stun.type == binding"),
        Expr::Cmp(
            Field::StunType,
            CmpOp::Eq,
            Value::StunName {
                method: 1,
                class: None
            }
        )
    );
    assert_eq!(
        p("stun.type == 0x0101"),
        Expr::Cmp(Field::StunType, CmpOp::Eq, Value::Int(0x101))
    );
    assert_eq!(
        p("rtp.marker == true"),
        Expr::Cmp(Field::RtpMarker, CmpOp::Eq, Value::Bool(true))
    );
    assert_eq!(p("rtp.marker == 1"), p("rtp.marker == TRUE"));
    assert_eq!(p("rtcp.pt == sr"), p("rtcp.pt == 200"));
    assert_eq!(
        p("dtls.handshake.type == client_hello"),
        p("dtls.handshake.type == 1")
    );
    assert_eq!(
        p("dtls.record.content_type == 22"),
        p("dtls.content_type == handshake")
    );
    assert_eq!(
        p("stun.id == 01:02:03:04:05:06:07:08:09:0a:0b:0c"),
        p("stun.transaction == 0x0102030405060708090A0B0C")
    );
    assert_eq!(
        p("frame.len >= 100"),
        Expr::Cmp(Field::FrameLen, CmpOp::Ge, Value::Int(100))
    );
    assert_eq!(p("udp.port"), Expr::Has(Field::UdpPort));
    assert_eq!(
        p("udp.port<1024"),
        Expr::Cmp(Field::UdpPort, CmpOp::Lt, Value::Int(1023 + 1))
    );
}

#[test]
fn errors_say_what_and_where() {
    assert_eq!(
        err("ip.src == 10.0.0.1 && udp.port =="),
        "expected a value for udp.port (0-65535) after '==', found the end of the filter at \
         column 34"
    );
    assert_eq!(
        err("udp.port == && stun"),
        "expected a value for udp.port (0-65535) after '==', found '&&' at column 13"
    );
    assert_eq!(
        err("ip.adr == 1.2.3.4"),
        "unknown field or protocol 'ip.adr' (did you mean ip.addr, ip.dst, ip.src?) at column 1"
    );
    assert!(err("rtp.sssrc == 1").contains("did you mean rtp.ssrc"));
    assert_eq!(
        err("stun == 1"),
        "stun is a protocol, not a field: it cannot be compared (fields: stun.type, \
         stun.transaction) at column 6"
    );
    assert_eq!(
        err("(stun || dtls"),
        "expected ')' to close the '(' at column 1, found the end of the filter at column 14"
    );
    assert_eq!(err("stun)"), "unbalanced ')' at column 5");
    assert_eq!(
        err("stun dtls"),
        "expected '&&', '||' or the end of the filter, found 'dtls' at column 6"
    );
    assert_eq!(
        err("stun &&"),
        "expected a protocol, a field or '(' after '&&' at column 8"
    );
    assert_eq!(err("stun & dtls"), "expected '&&' at column 6");
    assert_eq!(
        err("udp.port = 3"),
        "'=' is not an operator (use '==') at column 10"
    );
    assert_eq!(
        err("udp.port == 70000"),
        "expected a value for udp.port (0-65535) after '==', found '70000' at column 13"
    );
    assert_eq!(
        err("rtp.pt == 128"),
        "expected a value for rtp.pt (0-127) after '==', found '128' at column 11"
    );
    assert_eq!(
        err("ip.addr < 1.2.3.4"),
        "ip.addr can only be compared with '==' or '!=' at column 9"
    );
    assert_eq!(err("ip.addr == 1.2.3.4/33"), "expected an IPv4 or IPv6 address (optionally /prefix) after '==', found '1.2.3.4/33' at column 12");
    assert!(err("stun.type == allocat").starts_with("expected a STUN type"));
    assert_eq!(err(""), "empty filter at column 1");
    assert_eq!(err("  "), "empty filter at column 1");
    assert_eq!(
        err("!"),
        "expected a protocol, a field or '(' after '!' at column 2"
    );
    assert_eq!(
        err("()"),
        "expected a protocol, a field or '(' after '(' at column 2"
    );
    assert_eq!(err("stun && é"), "unexpected character 'é' at column 9");
    // Columns count characters, offsets bytes.
    let e = parse("é || stun").unwrap_err();
    assert_eq!((e.offset, e.column), (0, 1));
    let e = parse("(\"é\"").unwrap_err();
    assert_eq!((e.offset, e.end, e.column), (1, 2, 2));
}

#[test]
fn nesting_is_bounded() {
    let ok = format!("{}stun{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert_eq!(p(&ok), Expr::Proto(Proto::Stun));
    let deep = format!(
        "{}stun{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    assert_eq!(
        err(&deep),
        format!("nested deeper than 64 levels at column {}", MAX_DEPTH + 1)
    );
    assert!(err(&format!("{}stun", "!".repeat(MAX_DEPTH + 1))).starts_with("nested deeper"));
    assert!(err(&"(".repeat(100_000)).starts_with("nested deeper"));
    // Long flat chains are fine: they are one n-ary node, not a deep tree.
    let long = vec!["stun"; 10_000].join(" || ");
    assert!(matches!(p(&long), Expr::Or(v) if v.len() == 10_000));
}

#[test]
fn printing_is_canonical() {
    for (input, printed) in [
        (
            "stun.id == 01:02:03:04:05:06:07:08:09:0a:0b:0c",
            "stun.transaction == 0x0102030405060708090a0b0c",
        ),
        (
            "not (stun or dtls) and rtp.ssrc eq 255",
            "!(stun || dtls) && rtp.ssrc == 0x000000ff",
        ),
        ("(stun && dtls) && rtp", "(stun && dtls) && rtp"),
        ("stun && dtls || rtp", "stun && dtls || rtp"),
        ("stun && (dtls || rtp)", "stun && (dtls || rtp)"),
        ("!!stun", "!!stun"),
        ("ip.addr == 10.1.2.3/8", "ip.addr == 10.1.2.3/8"),
        (
            "stun.type == allocate_error_response",
            "stun.type == allocate_error",
        ),
        ("stun.type == 1", "stun.type == 0x0001"),
    ] {
        assert_eq!(p(input).to_string(), printed, "{input}");
    }
}

fn arb_value(field: Field) -> BoxedStrategy<Value> {
    use rtcscope_filter::Kind;
    match field.kind() {
        Kind::Addr => prop_oneof![
            (any::<[u8; 4]>(), 0u8..=32).prop_map(|(a, p)| Value::Net {
                addr: std::net::Ipv4Addr::from(a).into(),
                prefix: p
            }),
            (any::<[u8; 16]>(), 0u8..=128).prop_map(|(a, p)| Value::Net {
                addr: std::net::Ipv6Addr::from(a).into(),
                prefix: p
            }),
        ]
        .boxed(),
        Kind::Int(max) => (0..=max).prop_map(Value::Int).boxed(),
        Kind::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Kind::StunType => prop_oneof![
            (0u64..=0x3FFF).prop_map(Value::Int),
            (
                0..STUN_METHODS.len(),
                proptest::option::of(0..STUN_CLASSES.len())
            )
                .prop_map(|(m, c)| Value::StunName {
                    method: STUN_METHODS[m].1,
                    class: c.map(|c| STUN_CLASSES[c].1)
                }),
        ]
        .boxed(),
        Kind::Bytes => (any::<[u8; 16]>(), any::<bool>())
            .prop_map(|(b, long)| {
                let len = if long { 16 } else { 12 };
                let mut bytes = [0; 16];
                bytes[..len].copy_from_slice(&b[..len]);
                Value::Bytes {
                    bytes,
                    len: len as u8,
                }
            })
            .boxed(),
    }
}

fn arb_leaf() -> BoxedStrategy<Expr> {
    let ops = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ];
    prop_oneof![
        (0..Proto::ALL.len()).prop_map(|i| Expr::Proto(Proto::ALL[i])),
        (0..Field::ALL.len()).prop_map(|i| Expr::Has(Field::ALL[i])),
        (0..Field::ALL.len(), 0..ops.len()).prop_flat_map(move |(i, o)| {
            let field = Field::ALL[i];
            let op = if matches!(field.kind(), rtcscope_filter::Kind::Int(_)) {
                ops[o]
            } else {
                ops[o % 2]
            };
            arb_value(field).prop_map(move |v| Expr::Cmp(field, op, v))
        }),
    ]
    .boxed()
}

fn arb_expr() -> impl Strategy<Value = Expr> {
    arb_leaf().prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            proptest::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ]
    })
}

proptest! {
    #[test]
    fn print_then_parse_gives_the_same_tree(e in arb_expr()) {
        let text = e.to_string();
        let back = parse(&text).map_err(|err| TestCaseError::fail(format!("{text}: {err}")))?;
        prop_assert_eq!(back, e, "{}", text);
    }

    #[test]
    fn arbitrary_text_never_panics_and_round_trips(s in "[a-z0-9.:/_ ()!&|=<>é]{0,40}") {
        match parse(&s) {
            Ok(e) => prop_assert_eq!(parse(&e.to_string()).unwrap(), e),
            Err(err) => {
                prop_assert!(err.offset <= err.end && err.end <= s.len());
                prop_assert!(s.is_char_boundary(err.offset) && s.is_char_boundary(err.end));
                prop_assert_eq!(err.column, s[..err.offset].chars().count() + 1);
            }
        }
    }
}
