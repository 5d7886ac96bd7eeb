//! Link/IP/transport decoding: hand-built frames, truncation sweeps, arbitrary bytes.

use proptest::prelude::*;
use rtcscope_capture::link::{decode, ip_addresses, LinkType, NotTransport, Transport};

/// Ethernet + VLAN + IPv4 + UDP 10.0.0.1:5000 -> 10.0.0.2:3478, payload "abcd", plus 2 bytes of
/// Ethernet padding that must not end up in the payload.
fn eth_vlan_ipv4_udp() -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
    f.extend_from_slice(&[
        0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    f.extend_from_slice(&[0x13, 0x88, 0x0d, 0x96, 0, 12, 0, 0]);
    f.extend_from_slice(b"abcd");
    f.extend_from_slice(&[0xee, 0xee]);
    f
}

#[test]
fn ethernet_vlan_ipv4_udp() {
    let f = eth_vlan_ipv4_udp();
    let d = decode(LinkType::ETHERNET, &f).unwrap().unwrap();
    assert_eq!(d.src.to_string(), "10.0.0.1:5000");
    assert_eq!(d.dst.to_string(), "10.0.0.2:3478");
    assert_eq!(d.transport, Transport::Udp);
    assert_eq!(d.payload, b"abcd");
    assert_eq!(d.payload_offset, 18 + 20 + 8);
}

#[test]
fn raw_ipv6_tcp_with_hop_by_hop() {
    let mut f = vec![0x60, 0, 0, 0, 0, 8 + 20 + 3, 0, 64];
    f.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    f.extend_from_slice(&[0; 11]);
    f.push(1);
    f.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    f.extend_from_slice(&[0; 11]);
    f.push(2);
    // Hop-by-hop: next header TCP, length 0 (8 bytes).
    f.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&[0x0d, 0x96, 0x13, 0x88, 0, 0, 0, 7, 0, 0, 0, 0, 0x50, 0x18]);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(b"xyz");
    let d = decode(LinkType::RAW, &f).unwrap().unwrap();
    assert_eq!(d.src.to_string(), "[2001:db8::1]:3478");
    assert_eq!(
        d.transport,
        Transport::Tcp {
            seq: 7,
            flags: 0x18
        }
    );
    assert_eq!(d.payload, b"xyz");
}

#[test]
fn fragments_and_other_protocols_are_named() {
    let mut f = eth_vlan_ipv4_udp();
    f[18 + 6] = 0x20; // MF
    match decode(LinkType::ETHERNET, &f).unwrap() {
        Err(NotTransport::Fragment(fr)) => {
            assert_eq!((fr.offset, fr.more, fr.protocol), (0, true, 17));
            assert_eq!(fr.data.len(), 12);
        }
        other => panic!("{other:?}"),
    }
    let mut f = eth_vlan_ipv4_udp();
    f[18 + 9] = 1; // ICMP
    assert_eq!(
        decode(LinkType::ETHERNET, &f).unwrap(),
        Err(NotTransport::OtherProtocol(1))
    );
    // Its addresses, for the display filter's ip.addr, after the VLAN tag as decode walks it.
    let a = ip_addresses(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(
        (a.0.to_string(), a.1.to_string()),
        ("10.0.0.1".into(), "10.0.0.2".into())
    );
    assert_eq!(ip_addresses(LinkType::ETHERNET, &f[..18 + 19]), None);
    let mut arp = f.clone();
    arp[16..18].copy_from_slice(&[0x08, 0x06]);
    assert_eq!(ip_addresses(LinkType::ETHERNET, &arp), None);
}

#[test]
fn ip_addresses_of_ipv6() {
    let mut f = vec![0x60, 0, 0, 0, 0, 0, 58, 64];
    f.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    f.extend_from_slice(&[0; 11]);
    f.push(1);
    f.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    f.extend_from_slice(&[0; 11]);
    f.push(2);
    let a = ip_addresses(LinkType::RAW, &f).unwrap();
    assert_eq!(
        (a.0.to_string(), a.1.to_string()),
        ("2001:db8::1".into(), "2001:db8::2".into())
    );
}

#[test]
fn every_prefix_is_an_error_not_a_panic() {
    let f = eth_vlan_ipv4_udp();
    // Up to the end of the UDP header, every cut is an error naming a layer and an offset
    // inside the frame; beyond it the payload is cut short but still returned.
    for n in 0..18 + 20 + 8 {
        let e = decode(LinkType::ETHERNET, &f[..n]).unwrap_err();
        assert!(e.offset <= n, "{e} for prefix {n}");
    }
    let d = decode(LinkType::ETHERNET, &f[..18 + 20 + 8 + 2])
        .unwrap()
        .unwrap();
    assert_eq!(d.payload, b"ab");
    assert_eq!(d.payload_len_on_wire, 4);
}

proptest! {
    #[test]
    fn arbitrary_frames_never_panic(
        lt in prop_oneof![Just(0u32), Just(1), Just(101), Just(108), Just(113), Just(276), any::<u32>()],
        bytes in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let _ = decode(LinkType(lt), &bytes);
    }
}

/// The IPv4/UDP packet of `eth_vlan_ipv4_udp` without its link header.
fn ipv4_udp() -> Vec<u8> {
    let f = eth_vlan_ipv4_udp();
    f[18..18 + 20 + 8 + 4].to_vec()
}

fn assert_abcd(lt: LinkType, frame: &[u8], offset: usize) {
    let d = decode(lt, frame).unwrap().unwrap();
    assert_eq!(d.payload, b"abcd", "{lt:?}");
    assert_eq!(d.payload_offset, offset + 28, "{lt:?}");
    assert_eq!(d.src.to_string(), "10.0.0.1:5000");
}

#[test]
fn linux_cooked_v1_and_v2() {
    // SLL: packet type, ARPHRD, address length, 8 address bytes, protocol 0x0800.
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 2, 0, 0x08, 0x00];
    sll.extend(ipv4_udp());
    assert_abcd(LinkType::LINUX_SLL, &sll, 16);
    // SLL2: protocol 0x0800 first, reserved, interface index, ARPHRD, packet type, address
    // length, 8 address bytes.
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 0, 0,
    ];
    sll2.extend(ipv4_udp());
    assert_abcd(LinkType::LINUX_SLL2, &sll2, 20);
}

#[test]
fn bsd_loopback_in_either_byte_order_and_openbsd_loop() {
    for family in [[2, 0, 0, 0], [0, 0, 0, 2]] {
        let mut f = family.to_vec();
        f.extend(ipv4_udp());
        assert_abcd(LinkType::NULL, &f, 4);
    }
    let mut f = vec![0, 0, 0, 2];
    f.extend(ipv4_udp());
    assert_abcd(LinkType::LOOP, &f, 4);
    // AF_INET6 is 30 on macOS: recognised as IPv6 (and this IPv4 packet then fails as such).
    let mut f = vec![30, 0, 0, 0];
    f.extend(ipv4_udp());
    let e = decode(LinkType::NULL, &f).unwrap_err();
    assert_eq!((e.field, e.offset), ("IP version", 4));
}

#[test]
fn qinq_double_tagged_ethernet() {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
    f.extend(ipv4_udp());
    assert_abcd(LinkType::ETHERNET, &f, 22);
}

#[test]
fn raw_ipv4_link_types() {
    for lt in [LinkType::RAW, LinkType::RAW_OPENBSD, LinkType::IPV4] {
        assert_abcd(lt, &ipv4_udp(), 0);
    }
    let e = decode(LinkType(999), &ipv4_udp()).unwrap_err();
    assert_eq!(e.field, "link type");
}
