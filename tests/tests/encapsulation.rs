//! PPPoE, GTP-U and ICMP errors: hand-built frames written with the project's pcapng writer,
//! decoded by `rtcscope-capture`, dissected and analysed by the real binary, and compared
//! with tshark's decode of the same file.

use rtcscope_capture::link::{decode, LinkType, NotTransport, Transport, Tunnel, MAX_GTP_DEPTH};
use rtcscope_capture::writer::PcapNgWriter;
use rtcscope_testkit::frames::{ipv4, udp, PROTO_UDP};
use rtcscope_testkit::{require_tool, tshark};
use rtcscope_tests::{run, stderr};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A STUN Binding request (RFC 5769 §2.1's header, no attributes): what the inner datagrams
/// carry, so that both tools recognise it.
fn stun_binding() -> Vec<u8> {
    let mut m = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
    m.extend_from_slice(&[
        0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    ]);
    m
}

fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn ipv4_udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    ipv4(src, dst, PROTO_UDP, 7, &udp(sport, dport, payload))
}

/// IPv6 (hop limit 64) around `body` of protocol `next`.
fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    p.extend_from_slice(&[next, 64]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(body);
    p
}

fn v6(last: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    a[15] = last;
    a
}

/// PPPoE session header (RFC 2516) and PPP protocol around an IP packet.
fn pppoe(session: u16, ppp_protocol: u16, ip: &[u8]) -> Vec<u8> {
    let mut p = vec![0x11, 0x00];
    p.extend_from_slice(&session.to_be_bytes());
    p.extend_from_slice(&u16::try_from(ip.len() + 2).unwrap().to_be_bytes());
    p.extend_from_slice(&ppp_protocol.to_be_bytes());
    p.extend_from_slice(ip);
    p
}

/// A GTP-U G-PDU (3GPP TS 29.281): version 1, PT 1; with `seq`, the S flag and the optional
/// fields; with `pdu_session`, an E flag and one PDU Session Container extension (type 0x85,
/// 4 bytes).
fn gtp_u(teid: u32, seq: Option<u16>, pdu_session: bool, inner: &[u8]) -> Vec<u8> {
    let mut flags = 0x30u8;
    let mut opt = Vec::new();
    if seq.is_some() || pdu_session {
        flags |= if seq.is_some() { 0x02 } else { 0 } | if pdu_session { 0x04 } else { 0 };
        opt.extend_from_slice(&seq.unwrap_or(0).to_be_bytes());
        opt.push(0); // N-PDU number
        opt.push(if pdu_session { 0x85 } else { 0 });
        if pdu_session {
            // Length 1 (4 bytes): PDU type 0 (DL), QFI 9, then no next extension.
            opt.extend_from_slice(&[1, 0x00, 0x09, 0]);
        }
    }
    let mut g = vec![flags, 0xff];
    g.extend_from_slice(
        &u16::try_from(opt.len() + inner.len())
            .unwrap()
            .to_be_bytes(),
    );
    g.extend_from_slice(&teid.to_be_bytes());
    g.extend_from_slice(&opt);
    g.extend_from_slice(inner);
    g
}

/// An ICMP error (type, code) quoting `quoted` (an IP packet), as a router or host sends it.
fn icmp(icmp_type: u8, code: u8, quoted: &[u8]) -> Vec<u8> {
    let mut m = vec![icmp_type, code, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(quoted);
    let mut sum: u32 = m
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    m[2..4].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    m
}

/// The frames of the test capture, each with what the innermost UDP must be:
/// (source, destination) or, for an ICMP error, the quoted datagram's.
fn frames() -> Vec<(Vec<u8>, &'static str, &'static str)> {
    let stun = stun_binding();
    let inner = ipv4_udp([10, 0, 0, 1], 5000, [10, 0, 0, 2], 3478, &stun);
    let inner6 = ipv6(v6(1), v6(2), PROTO_UDP, &udp(5001, 3478, &stun));
    let outer = |g: &[u8]| {
        ether(
            0x0800,
            &ipv4_udp([203, 0, 113, 1], 2152, [203, 0, 113, 2], 2152, g),
        )
    };
    let gtp_in_gtp = gtp_u(
        0x1111,
        None,
        false,
        &ipv4_udp(
            [198, 51, 100, 1],
            2152,
            [198, 51, 100, 2],
            2152,
            &gtp_u(0x2222, Some(9), false, &inner),
        ),
    );
    vec![
        (
            ether(0x8864, &pppoe(0x0042, 0x0021, &inner)),
            "10.0.0.1:5000",
            "10.0.0.2:3478",
        ),
        (
            ether(0x8864, &pppoe(0x0043, 0x0057, &inner6)),
            "[2001:db8::1]:5001",
            "[2001:db8::2]:3478",
        ),
        (
            outer(&gtp_u(0xdeadbeef, None, false, &inner)),
            "10.0.0.1:5000",
            "10.0.0.2:3478",
        ),
        (
            outer(&gtp_u(0x01020304, Some(7), true, &inner6)),
            "[2001:db8::1]:5001",
            "[2001:db8::2]:3478",
        ),
        (outer(&gtp_in_gtp), "10.0.0.1:5000", "10.0.0.2:3478"),
        (
            ether(
                0x0800,
                &ipv4([10, 0, 0, 2], [10, 0, 0, 1], 1, 8, &icmp(3, 3, &inner)),
            ),
            "10.0.0.1:5000",
            "10.0.0.2:3478",
        ),
        (
            ether(0x86dd, &ipv6(v6(2), v6(1), 58, &icmp(1, 4, &inner6))),
            "[2001:db8::1]:5001",
            "[2001:db8::2]:3478",
        ),
    ]
}

/// The test capture in a folder of its own, removed when dropped.
struct TempCapture(PathBuf);

impl Drop for TempCapture {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn write_capture(name: &str) -> TempCapture {
    let dir = std::env::temp_dir().join(format!("rtcscope-encap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut w = PcapNgWriter::new(std::fs::File::create(&path).unwrap()).unwrap();
    let ifc = w.add_interface(LinkType::ETHERNET, 65535, "test").unwrap();
    for (i, (f, _, _)) in frames().iter().enumerate() {
        let ts = 1_700_000_000_000_000_000 + i as i128 * 1_000_000;
        w.write_packet(ifc, ts, f, f.len() as u32).unwrap();
    }
    w.finish().unwrap();
    TempCapture(path)
}

#[test]
fn tunnels_are_seen_through_and_icmp_quotes_name_the_flow() {
    for (n, (f, src, dst)) in frames().iter().enumerate() {
        match decode(LinkType::ETHERNET, f).unwrap() {
            Ok(d) => {
                assert_eq!(
                    (d.src.to_string().as_str(), d.dst.to_string().as_str()),
                    (*src, *dst),
                    "frame {n}"
                );
                assert_eq!(d.transport, Transport::Udp);
                assert_eq!(d.payload, stun_binding(), "frame {n}");
                assert!(!d.tunnels.is_empty(), "frame {n}: tunnels listed");
            }
            Err(NotTransport::IcmpError(e)) => {
                assert_eq!(
                    (
                        e.quoted_src.to_string().as_str(),
                        e.quoted_dst.to_string().as_str()
                    ),
                    (*src, *dst),
                    "frame {n}"
                );
                assert!(e.port_unreachable());
                assert_eq!(e.quoted_payload, stun_binding());
                assert_eq!(
                    &f[e.quoted_payload_offset..e.quoted_payload_offset + 20],
                    &stun_binding()[..]
                );
            }
            Err(other) => panic!("frame {n}: {other:?}"),
        }
    }
    // The GTP-U tunnels' fields, outermost first.
    let all = frames();
    let d = decode(LinkType::ETHERNET, &all[3].0).unwrap().unwrap();
    let t: Vec<_> = d.tunnels.iter().copied().collect();
    assert!(matches!(
        t[..],
        [Tunnel::GtpU {
            teid: 0x01020304,
            sequence: Some(7),
            extensions: 1,
            header_len: 16,
            ..
        }]
    ));
    let d = decode(LinkType::ETHERNET, &all[4].0).unwrap().unwrap();
    let teids: Vec<u32> = d
        .tunnels
        .iter()
        .filter_map(|t| match t {
            Tunnel::GtpU { teid, .. } => Some(*teid),
            Tunnel::Pppoe { .. } => None,
        })
        .collect();
    assert_eq!(teids, [0x1111, 0x2222]);
    let d = decode(LinkType::ETHERNET, &all[0].0).unwrap().unwrap();
    assert!(matches!(
        d.tunnels.iter().next(),
        Some(Tunnel::Pppoe {
            session: 0x42,
            ppp_protocol: 0x0021,
            offset: 14
        })
    ));
}

#[test]
fn gtp_nesting_is_capped() {
    // MAX_GTP_DEPTH + 1 levels: the innermost G-PDU stays a UDP datagram on port 2152.
    let inner = ipv4_udp([10, 0, 0, 1], 5000, [10, 0, 0, 2], 3478, &stun_binding());
    let mut pkt = inner.clone();
    for level in 0..=MAX_GTP_DEPTH {
        let g = gtp_u(level as u32, None, false, &pkt);
        pkt = ipv4_udp([198, 51, 100, 1], 2152, [198, 51, 100, 2], 2152, &g);
    }
    let f = ether(0x0800, &pkt);
    let d = decode(LinkType::ETHERNET, &f).unwrap().unwrap();
    assert_eq!(d.tunnels.iter().count(), MAX_GTP_DEPTH);
    assert_eq!(d.dst.port(), 2152);
    assert_eq!(d.payload, &gtp_u(0, None, false, &inner)[..]);
}

#[test]
fn other_gtp_and_ppp_messages_stay_what_they_were() {
    // A GTP-U Echo Request (type 1) is UDP on port 2152; PPP LCP (0xc021) is not IP.
    let echo = [0x32, 0x01, 0x00, 0x04, 0, 0, 0, 0, 0x00, 0x01, 0, 0];
    let f = ether(
        0x0800,
        &ipv4_udp([203, 0, 113, 1], 2152, [203, 0, 113, 2], 2152, &echo),
    );
    let d = decode(LinkType::ETHERNET, &f).unwrap().unwrap();
    assert!(d.tunnels.is_empty());
    assert_eq!(d.payload, echo);
    let f = ether(0x8864, &pppoe(1, 0xc021, &[1, 1, 0, 4]));
    assert_eq!(
        decode(LinkType::ETHERNET, &f).unwrap(),
        Err(NotTransport::NotIp(0x8864))
    );
    // An ICMP echo request is another IP protocol, as before.
    let f = ether(
        0x0800,
        &ipv4(
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            1,
            1,
            &[8, 0, 0, 0, 0, 1, 0, 1],
        ),
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &f).unwrap(),
        Err(NotTransport::OtherProtocol(1))
    );
}

#[test]
fn every_cut_and_every_flipped_byte_is_decoded_or_refused_without_panic() {
    for (f, _, _) in frames() {
        for cut in 0..f.len() {
            let _ = decode(LinkType::ETHERNET, &f[..cut]);
        }
        for i in 0..f.len() {
            for bit in 0..8 {
                let mut g = f.clone();
                g[i] ^= 1 << bit;
                if let Ok(Ok(d)) = decode(LinkType::ETHERNET, &g) {
                    // Whatever was decoded lies inside the frame.
                    assert!(d.payload_offset + d.payload.len() <= g.len());
                }
            }
        }
    }
}

/// What the two-thread `analyze` hands from its reader to its engine (`Decoded::detach`, then
/// `DecodedAt::attach` on the batch's copy of the frame) is what decoding the copy gives, for
/// every frame here and the untunnelled IP packets inside them, every cut and every flipped
/// bit; a tunnelled packet is not detached (the engine decodes it again), and a frame too short
/// for the payload gives nothing back.
#[test]
fn a_packet_decoded_on_one_thread_is_the_same_on_another() {
    let mut frames: Vec<Vec<u8>> = frames().into_iter().map(|(f, _, _)| f).collect();
    frames.push(ether(
        0x0800,
        &ipv4_udp([10, 0, 0, 1], 5000, [10, 0, 0, 2], 3478, &stun_binding()),
    ));
    frames.push(ether(
        0x86dd,
        &ipv6(v6(1), v6(2), PROTO_UDP, &udp(5001, 3478, &stun_binding())),
    ));
    let (mut detached, mut tunnelled) = (0, 0);
    for f in frames {
        let mut variants: Vec<Vec<u8>> = (0..=f.len()).map(|cut| f[..cut].to_vec()).collect();
        for i in 0..f.len() {
            for bit in 0..8 {
                let mut g = f.clone();
                g[i] ^= 1 << bit;
                variants.push(g);
            }
        }
        for g in variants {
            let Ok(Ok(d)) = decode(LinkType::ETHERNET, &g) else {
                continue;
            };
            let Some(at) = d.detach(&g) else {
                assert!(
                    !d.tunnels.is_empty(),
                    "an untunnelled packet not detached: {d:?}"
                );
                tunnelled += 1;
                continue;
            };
            assert!(d.tunnels.is_empty(), "a tunnelled packet detached: {d:?}");
            let copy = g.clone();
            assert_eq!(at.attach(&copy), Some(d));
            assert_eq!(decode(LinkType::ETHERNET, &copy), Ok(Ok(d)));
            if !d.payload.is_empty() {
                let short = &copy[..d.payload_offset + d.payload.len() - 1];
                assert_eq!(at.attach(short), None);
            }
            detached += 1;
        }
    }
    assert!(
        detached > 100 && tunnelled > 100,
        "{detached} detached, {tunnelled} tunnelled"
    );
}

/// tshark's innermost addresses and ports per frame (`-E occurrence=l`: the last of each
/// field, i.e. the innermost IP and UDP header, which for an ICMP error is the quoted one).
fn tshark_innermost(tshark_bin: &Path, pcap: &Path) -> Vec<(String, String)> {
    let out = std::process::Command::new(tshark_bin)
        .arg("-r")
        .arg(pcap)
        .args([
            "-T",
            "fields",
            "-E",
            "occurrence=l",
            "-e",
            "ip.src",
            "-e",
            "ipv6.src",
            "-e",
            "udp.srcport",
            "-e",
            "ip.dst",
            "-e",
            "ipv6.dst",
            "-e",
            "udp.dstport",
            "-e",
            "ip.version",
        ])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            // The innermost header is IPv6 when the last IP version tshark saw is 6.
            let six = c[6] == "6";
            let addr = |v4: &str, v6: &str, port: &str| {
                if six {
                    format!("[{v6}]:{port}")
                } else {
                    format!("{v4}:{port}")
                }
            };
            (addr(c[0], c[1], c[2]), addr(c[3], c[4], c[5]))
        })
        .collect()
}

#[test]
fn dissect_and_analyze_agree_with_tshark_on_pppoe_gtp_and_icmp() {
    let capture = write_capture("encap.pcapng");
    let pcap = capture.0.as_path();
    let expected: Vec<(String, String)> = frames()
        .iter()
        .map(|(_, s, d)| (s.to_string(), d.to_string()))
        .collect();
    // rtcscope dissect: the innermost flow, the layers, and STUN inside.
    let out = run(&["dissect", "--json", pcap.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let packets: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packets = packets.as_array().unwrap();
    assert_eq!(packets.len(), expected.len());
    for (i, p) in packets.iter().enumerate() {
        let protocols: Vec<&str> = p["protocols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            protocols.contains(&"STUN"),
            "packet {}: {protocols:?}",
            i + 1
        );
        let text = p.to_string();
        if p["src"].is_string() {
            assert_eq!(
                (p["src"].as_str().unwrap(), p["dst"].as_str().unwrap()),
                (expected[i].0.as_str(), expected[i].1.as_str())
            );
        } else {
            assert_eq!(protocols[0], "ICMP");
            assert!(text.contains(&format!("UDP {} → {}", expected[i].0, expected[i].1)));
        }
    }
    let layers = |i: usize| packets[i]["layers"][0].to_string();
    assert!(layers(0).contains("PPPoE Session") && layers(0).contains("session 0x0042"));
    assert!(layers(2).contains("TEID 0xdeadbeef"));
    assert!(layers(4).contains("TEID 0x00001111") && layers(4).contains("TEID 0x00002222"));
    // --host and --port match a quoted datagram's addresses.
    let out = run(&[
        "dissect",
        "--port",
        "5001",
        "--proto",
        "icmp",
        pcap.to_str().unwrap(),
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);

    // rtcscope analyze: the tunnelled datagrams are flows, and the ICMP errors land on them.
    let out = run(&["analyze", "--json", pcap.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut flows: BTreeMap<(String, String), (u64, Vec<Value>)> = BTreeMap::new();
    for f in report["flows"].as_array().unwrap() {
        let packets = f["packets"][0].as_u64().unwrap() + f["packets"][1].as_u64().unwrap();
        flows.insert(
            (
                f["a"].as_str().unwrap().into(),
                f["b"].as_str().unwrap().into(),
            ),
            (packets, f["icmp_errors"].as_array().unwrap().clone()),
        );
    }
    let v4 = &flows[&("10.0.0.1:5000".to_owned(), "10.0.0.2:3478".to_owned())];
    assert_eq!(v4.0, 3, "PPPoE, GTP-U and GTP-U in GTP-U");
    assert_eq!(v4.1.len(), 1);
    assert_eq!(
        (
            v4.1[0]["type"].as_u64(),
            v4.1[0]["code"].as_u64(),
            v4.1[0]["count"].as_u64()
        ),
        (Some(3), Some(3), Some(1))
    );
    assert_eq!(v4.1[0]["first_packet"], 6);
    let v6f = &flows[&(
        "[2001:db8::1]:5001".to_owned(),
        "[2001:db8::2]:3478".to_owned(),
    )];
    assert_eq!(v6f.0, 2);
    assert_eq!(
        (
            v6f.1[0]["family"].as_str(),
            v6f.1[0]["type"].as_u64(),
            v6f.1[0]["code"].as_u64()
        ),
        (Some("icmpv6"), Some(1), Some(4))
    );

    // tshark's decode of the same file: the same innermost addresses and ports.
    let Some(tshark_bin) = require_tool("encapsulation::vs_tshark", "tshark") else {
        return;
    };
    assert_eq!(tshark_innermost(&tshark_bin, pcap), expected);
    // And the same tunnel fields.
    let teids = tshark::frame_fields(&tshark_bin, pcap, &[], "gtp.teid");
    assert_eq!(teids[&3], ["0xdeadbeef"]);
    assert_eq!(teids[&5], ["0x00001111", "0x00002222"]);
    let sessions = tshark::frame_fields(&tshark_bin, pcap, &[], "pppoe.session_id");
    assert_eq!(sessions[&1], ["0x0042"]);
    let icmp = tshark::frame_fields(&tshark_bin, pcap, &[], "icmp.code");
    assert_eq!(icmp[&6], ["3"]);
    let icmp6 = tshark::frame_fields(&tshark_bin, pcap, &[], "icmpv6.code");
    assert_eq!(icmp6[&7], ["4"]);
    let stun = tshark::frame_fields(&tshark_bin, pcap, &[], "stun.type");
    for n in 1..=7u64 {
        assert!(!stun[&n].is_empty(), "tshark sees STUN in frame {n}");
    }
}
