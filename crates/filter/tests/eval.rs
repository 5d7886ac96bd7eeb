//! Evaluation on hand-filled records: any-value semantics, `!=` as `!(==)`, CIDR blocks,
//! STUN names by method and by method and class. (Real packets: crates/dissect's
//! tests/filter.rs and the tshark differential in tests/.)

use rtcscope_filter::{parse, Fields, RtpHeader};

fn m(filter: &str, f: &Fields) -> bool {
    parse(filter)
        .unwrap_or_else(|e| panic!("{filter}: {e}"))
        .matches(f)
}

fn relayed_rtp() -> Fields {
    let mut f = Fields::new();
    f.set_frame_len(160);
    f.set_frame_number(7);
    f.add_flow(
        "10.0.0.5:50000".parse().unwrap(),
        "198.51.100.22:3478".parse().unwrap(),
        false,
    );
    f.add_channel_data();
    f.add_turn_peer("203.0.113.9".parse().unwrap());
    f.add_rtp(RtpHeader {
        ssrc: 0xdeadbeef,
        pt: 111,
        seq: 42,
        marker: true,
    });
    f
}

#[test]
fn protocols_and_fields() {
    let f = relayed_rtp();
    for yes in [
        "rtp",
        "stun",
        "turn",
        "udp",
        "ip",
        "!ipv6",
        "!dtls && !tcp",
        "rtp.ssrc == 0xdeadbeef",
        "rtp.ssrc == 3735928559",
        "rtp.ssrc > 0xdeadbeee && rtp.ssrc < 0xdeadbef0",
        "rtp.pt == 111 && rtp.seq == 42 && rtp.marker == 1",
        "ip.addr == 10.0.0.0/8",
        "ip.src == 10.0.0.5 && ip.dst == 198.51.100.22",
        "ip.addr == 198.51.100.0/24",
        "ip.addr != 192.0.2.1",
        "udp.port == 3478 && udp.srcport == 50000 && udp.dstport == 3478",
        "frame.len >= 160 && frame.len <= 160",
        "frame.number == 7 && frame.number > 6",
        "turn.peer == 203.0.113.9",
        "ip.addr == 0.0.0.0/0",
        "rtp.marker",
        "udp.port",
        "!tcp.port",
        "stun.type != binding",
    ] {
        assert!(m(yes, &f), "{yes}");
    }
    for no in [
        "dtls",
        "rtcp",
        "ip.addr == 203.0.113.9",
        "ip.addr == 10.0.0.5/32 && ip.dst == 10.0.0.0/8",
        "ip.addr != 10.0.0.5",
        "ip.addr == ::/0",
        "udp.srcport == 3478",
        "tcp.port == 3478",
        "rtp.pt < 111",
        "rtp.marker == false",
        "stun.type == binding",
        "frame.len > 160",
        "stun.type",
    ] {
        assert!(!m(no, &f), "{no}");
    }
}

#[test]
fn stun_types_by_name() {
    let mut f = Fields::new();
    // Allocate Error Response (0x0113) and a Binding Request (0x0001) in one TCP segment.
    f.add_stun(0x0113, &[7; 12]);
    f.add_stun(0x0001, &[1; 12]);
    for yes in [
        "stun.type == allocate",
        "stun.type == allocate_error",
        "stun.type == 0x0113",
        "stun.type == binding_request",
        "turn",
        "stun.transaction == 0x070707070707070707070707",
        "stun.id == 01:01:01:01:01:01:01:01:01:01:01:01",
    ] {
        assert!(m(yes, &f), "{yes}");
    }
    for no in [
        "stun.type == allocate_request",
        "stun.type == binding_success",
        "stun.type == refresh",
        "stun.type != allocate",
        "stun.transaction == 0x020202020202020202020202",
    ] {
        assert!(!m(no, &f), "{no}");
    }
    let mut b = Fields::new();
    b.add_stun(0x0101, &[0; 12]);
    assert!(m("stun && !turn", &b));
    assert!(m("stun.type == binding_success", &b));
}

#[test]
fn multi_values_and_truncation() {
    let mut f = Fields::new();
    for pt in [200u8, 202, 205, 206] {
        f.add_rtcp(pt, Some(1));
    }
    assert!(m("rtcp.pt == sr && rtcp.pt == psfb", &f));
    assert!(m("rtcp.pt == 206", &f));
    assert!(!m("rtcp.pt == rr", &f));
    assert!(!f.truncated());
    for _ in 0..20 {
        f.add_rtcp(201, None);
    }
    assert!(f.truncated());
}

#[test]
fn cidr_edges() {
    use rtcscope_filter::Value;
    let v4 = |a: &str, p: u8| Value::Net {
        addr: a.parse().unwrap(),
        prefix: p,
    };
    assert!(v4("10.1.2.3", 0).contains("192.0.2.1".parse().unwrap()));
    assert!(v4("10.1.2.3", 31).contains("10.1.2.2".parse().unwrap()));
    assert!(!v4("10.1.2.3", 32).contains("10.1.2.2".parse().unwrap()));
    // Built by hand (the parser refuses /33): the whole address.
    assert!(v4("10.1.2.3", 200).contains("10.1.2.3".parse().unwrap()));
    assert!(!v4("10.1.2.3", 200).contains("10.1.2.2".parse().unwrap()));
    assert!(!v4("10.1.2.3", 0).contains("::1".parse().unwrap()));
    let v6 = Value::Net {
        addr: "2001:db8::".parse().unwrap(),
        prefix: 32,
    };
    assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
    assert!(!v6.contains("2001:db9::1".parse().unwrap()));
}
