//! The link, network and transport headers of a frame as tree nodes, as Wireshark lists them
//! above the application: Ethernet II and its 802.1Q tags, Linux cooked capture (v1 and v2),
//! BSD loopback, IPv4 and IPv6 (DSCP and ECN, lengths, TTL or hop limit, the IPv4 header
//! checksum checked), UDP and TCP.
//!
//! The headers are read with etherparse's lax slicer, which accepts frames cut by the snapshot
//! length and stops at the first layer it cannot read (said as a warning on the last node). The
//! engine's own decoder ([`rtcscope_capture::link::decode`]) still decides what the payload is;
//! these nodes only show the headers above it.

use etherparse::{
    EtherType, IpDscp, IpEcn, IpNumber, LaxLinkExtSlice, LaxNetSlice, LaxSlicedPacket, LinkSlice,
    TransportSlice,
};
use rtcscope_capture::link::LinkType;
use rtcscope_wire::tree::Node;
use std::ops::Range;

/// Where `part` (a sub-slice of `frame`) lies in `frame`; an empty range at 0 when it is not
/// inside it.
fn at(frame: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(frame.as_ptr() as usize);
    match start.checked_add(part.len()) {
        Some(end) if start <= frame.len() && end <= frame.len() => start..end,
        _ => 0..0,
    }
}

fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn ether_type(t: EtherType) -> String {
    let name = match t {
        EtherType::IPV4 => "IPv4",
        EtherType::IPV6 => "IPv6",
        EtherType::ARP => "ARP",
        EtherType::VLAN_TAGGED_FRAME | EtherType::VLAN_DOUBLE_TAGGED_FRAME => "802.1Q",
        EtherType::PROVIDER_BRIDGING => "802.1ad",
        EtherType::MACSEC => "MACsec",
        _ => return format!("0x{:04x}", t.0),
    };
    format!("{name} (0x{:04x})", t.0)
}

/// A DSCP code point's name (RFC 2474, 2597, 3246, 5865, 8622): WebRTC marks audio EF and
/// video AF41 (RFC 8837).
pub fn dscp_name(v: u8) -> Option<&'static str> {
    Some(match v {
        0 => "CS0 / default",
        1 => "LE",
        8 => "CS1",
        10 => "AF11",
        12 => "AF12",
        14 => "AF13",
        16 => "CS2",
        18 => "AF21",
        20 => "AF22",
        22 => "AF23",
        24 => "CS3",
        26 => "AF31",
        28 => "AF32",
        30 => "AF33",
        32 => "CS4",
        34 => "AF41",
        36 => "AF42",
        38 => "AF43",
        40 => "CS5",
        44 => "VOICE-ADMIT",
        46 => "EF",
        48 => "CS6",
        56 => "CS7",
        _ => return None,
    })
}

fn dscp(d: IpDscp) -> String {
    match dscp_name(d.value()) {
        Some(n) => format!("{n} ({})", d.value()),
        None => d.value().to_string(),
    }
}

fn ecn(e: IpEcn) -> &'static str {
    match e {
        IpEcn::NotEct => "Not-ECT (0)",
        IpEcn::Ect1 => "ECT(1) (1)",
        IpEcn::Ect0 => "ECT(0) (2)",
        IpEcn::CongestionExperienced => "CE (3)",
    }
}

/// Linux's `PACKET_*` packet types (`linux/if_packet.h`), as cooked captures carry them.
fn sll_packet_type(t: u16) -> String {
    let name = match t {
        0 => "unicast to us",
        1 => "broadcast",
        2 => "multicast",
        3 => "unicast to another host",
        4 => "sent by us",
        _ => return t.to_string(),
    };
    format!("{name} ({t})")
}

fn ip_number(p: IpNumber) -> String {
    match p.keyword_str() {
        Some(k) => format!("{k} ({})", p.0),
        None => p.0.to_string(),
    }
}

/// The headers of `frame` (of `link` type) as nodes, outermost first; empty when not even the
/// link header can be read.
pub fn layers(link: LinkType, frame: &[u8]) -> Vec<Node> {
    let mut out = Vec::new();
    let sliced = match link {
        LinkType::ETHERNET => LaxSlicedPacket::from_ethernet(frame).ok(),
        LinkType::RAW | LinkType::RAW_OPENBSD | LinkType::IPV4 | LinkType::IPV6 => {
            LaxSlicedPacket::from_ip(frame).ok()
        }
        LinkType::LINUX_SLL => {
            let Some(h) = frame.get(..16) else {
                return out;
            };
            let proto = u16::from_be_bytes([h[14], h[15]]);
            let mut n = Node::new(
                format!(
                    "Linux cooked capture v1, protocol {}",
                    ether_type(EtherType(proto))
                ),
                0..16,
            );
            n.add(
                "SLL packet type",
                sll_packet_type(u16::from_be_bytes([h[0], h[1]])),
                0..2,
            );
            n.add(
                "Link-layer address type",
                u16::from_be_bytes([h[2], h[3]]),
                2..4,
            );
            let len = usize::from(u16::from_be_bytes([h[4], h[5]])).min(8);
            n.add("Link-layer address", mac(&h[6..6 + len]), 6..14);
            n.add("Protocol", ether_type(EtherType(proto)), 14..16);
            out.push(n);
            Some(LaxSlicedPacket::from_ether_type(
                EtherType(proto),
                &frame[16..],
            ))
        }
        LinkType::LINUX_SLL2 => {
            let Some(h) = frame.get(..20) else {
                return out;
            };
            let proto = u16::from_be_bytes([h[0], h[1]]);
            let mut n = Node::new(
                format!(
                    "Linux cooked capture v2, protocol {}",
                    ether_type(EtherType(proto))
                ),
                0..20,
            );
            n.add("Protocol", ether_type(EtherType(proto)), 0..2);
            n.add(
                "Interface index",
                u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                4..8,
            );
            n.add(
                "Link-layer address type",
                u16::from_be_bytes([h[8], h[9]]),
                8..10,
            );
            n.add("SLL packet type", sll_packet_type(h[10].into()), 10..11);
            let len = usize::from(h[11]).min(8);
            n.add("Link-layer address", mac(&h[12..12 + len]), 12..20);
            out.push(n);
            Some(LaxSlicedPacket::from_ether_type(
                EtherType(proto),
                &frame[20..],
            ))
        }
        LinkType::NULL | LinkType::LOOP => {
            let Some(h) = frame.get(..4) else {
                return out;
            };
            let family = if link == LinkType::NULL {
                // Host byte order: whichever reads as a small number.
                let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
                let be = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
                le.min(be)
            } else {
                u32::from_be_bytes([h[0], h[1], h[2], h[3]])
            };
            let mut n = Node::new(format!("Loopback, family {family}"), 0..4);
            n.add("Address family", family, 0..4);
            out.push(n);
            LaxSlicedPacket::from_ip(&frame[4..]).ok()
        }
        _ => None,
    };
    let Some(p) = sliced else {
        return out;
    };
    if let Some(LinkSlice::Ethernet2(e)) = &p.link {
        let r = at(frame, e.header_slice());
        let (dst, src) = (mac(&e.destination()), mac(&e.source()));
        let mut n = Node::new(format!("Ethernet II, Src: {src}, Dst: {dst}"), r.clone());
        n.add("Destination", dst, r.start..r.start + 6);
        n.add("Source", src, r.start + 6..r.start + 12);
        n.add("Type", ether_type(e.ether_type()), r.start + 12..r.end);
        out.push(n);
    }
    for ext in &p.link_exts {
        match ext {
            LaxLinkExtSlice::Vlan(v) => {
                let r = at(frame, v.header_slice());
                let mut n = Node::new(
                    format!(
                        "802.1Q Virtual LAN, PRI: {}, DEI: {}, ID: {}",
                        v.priority_code_point().value(),
                        u8::from(v.drop_eligible_indicator()),
                        v.vlan_identifier().value()
                    ),
                    r.clone(),
                );
                let tci = r.start..(r.start + 2).min(r.end);
                n.add("Priority", v.priority_code_point().value(), tci.clone());
                n.add("Drop eligible", v.drop_eligible_indicator(), tci.clone());
                n.add("VLAN ID", v.vlan_identifier().value(), tci);
                n.add("Type", ether_type(v.ether_type()), r.start + 2..r.end);
                out.push(n);
            }
            LaxLinkExtSlice::Macsec(m) => {
                out.push(Node::new("MACsec", at(frame, m.header.slice())));
            }
        }
    }
    match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            let r = at(frame, h.slice());
            let s = r.start;
            let mut n = Node::new(
                format!(
                    "Internet Protocol Version 4, Src: {}, Dst: {}",
                    h.source_addr(),
                    h.destination_addr()
                ),
                r.clone(),
            );
            n.add("Version", h.version(), s..s + 1);
            n.add(
                "Header length",
                format!("{} bytes ({})", usize::from(h.ihl()) * 4, h.ihl()),
                s..s + 1,
            );
            n.add("DSCP", dscp(h.dcp()), s + 1..s + 2);
            n.add("ECN", ecn(h.ecn()), s + 1..s + 2);
            n.add("Total length", h.total_len(), s + 2..s + 4);
            n.add(
                "Identification",
                format!("0x{:04x} ({})", h.identification(), h.identification()),
                s + 4..s + 6,
            );
            let mut flags = Vec::new();
            if h.dont_fragment() {
                flags.push("Don't fragment");
            }
            if h.more_fragments() {
                flags.push("More fragments");
            }
            n.add(
                "Flags",
                if flags.is_empty() {
                    "none".to_owned()
                } else {
                    flags.join(", ")
                },
                s + 6..s + 7,
            );
            n.add(
                "Fragment offset",
                format!("{} bytes", usize::from(h.fragments_offset().value()) * 8),
                s + 6..s + 8,
            );
            n.add("Time to live", h.ttl(), s + 8..s + 9);
            n.add("Protocol", ip_number(h.protocol()), s + 9..s + 10);
            let want = h.to_header().calc_header_checksum();
            n.add(
                "Header checksum",
                if want == h.header_checksum() {
                    format!("0x{:04x} (correct)", h.header_checksum())
                } else {
                    format!(
                        "0x{:04x} (incorrect, should be 0x{want:04x}; 0 when the sending \
                         host's NIC offloads it)",
                        h.header_checksum()
                    )
                },
                s + 10..s + 12,
            );
            n.add("Source address", h.source_addr(), s + 12..s + 16);
            n.add("Destination address", h.destination_addr(), s + 16..s + 20);
            if !h.options().is_empty() {
                n.add(
                    "Options",
                    format!("{} bytes", h.options().len()),
                    s + 20..r.end,
                );
            }
            if v4.is_payload_fragmented() {
                n.label.push_str(&format!(
                    ", fragment of {} bytes at offset {}",
                    v4.payload().payload.len(),
                    usize::from(h.fragments_offset().value()) * 8
                ));
            }
            out.push(n);
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            let exts = v6.extensions().slice();
            let r = at(frame, h.slice());
            let s = r.start;
            // The node covers the extension headers too.
            let ext_r = at(frame, exts);
            let has_exts = !exts.is_empty() && ext_r.start == r.end;
            let r = if has_exts { r.start..ext_r.end } else { r };
            let mut n = Node::new(
                format!(
                    "Internet Protocol Version 6, Src: {}, Dst: {}",
                    h.source_addr(),
                    h.destination_addr()
                ),
                r.clone(),
            );
            n.add("Version", h.version(), s..s + 1);
            n.add(
                "Traffic class",
                format!("0x{:02x}", h.traffic_class()),
                s..s + 2,
            );
            n.add("DSCP", dscp(h.dscp()), s..s + 2);
            n.add("ECN", ecn(h.ecn()), s + 1..s + 2);
            n.add(
                "Flow label",
                format!("0x{:05x}", h.flow_label().value()),
                s + 1..s + 4,
            );
            n.add("Payload length", h.payload_length(), s + 4..s + 6);
            n.add("Next header", ip_number(h.next_header()), s + 6..s + 7);
            n.add("Hop limit", h.hop_limit(), s + 7..s + 8);
            n.add("Source address", h.source_addr(), s + 8..s + 24);
            n.add("Destination address", h.destination_addr(), s + 24..s + 40);
            if has_exts {
                n.add("Extension headers", format!("{} bytes", exts.len()), ext_r);
            }
            out.push(n);
        }
        Some(LaxNetSlice::Arp(a)) => {
            let r = at(frame, a.slice());
            let s = r.start;
            let (hw, pr) = (
                usize::from(a.hw_addr_size()),
                usize::from(a.proto_addr_size()),
            );
            let addr = |b: &[u8]| match b.len() {
                4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
                16 => <[u8; 16]>::try_from(b)
                    .map_or_else(|_| mac(b), |o| std::net::Ipv6Addr::from(o).to_string()),
                _ => mac(b),
            };
            let (sha, spa) = (mac(a.sender_hw_addr()), addr(a.sender_protocol_addr()));
            let (tha, tpa) = (mac(a.target_hw_addr()), addr(a.target_protocol_addr()));
            let op = a.operation();
            // As tshark's info column says it.
            let summary = match op.0 {
                1 if spa == tpa => format!("ARP Announcement for {spa}"),
                1 => format!("Who has {tpa}? Tell {spa}"),
                2 => format!("{spa} is at {sha}"),
                n => format!("ARP operation {n}, {spa} ({sha}) to {tpa} ({tha})"),
            };
            let mut n = Node::new(ARP_LABEL, r).with_value(&summary);
            n.add("Hardware type", a.hw_addr_type().0, s..s + 2);
            n.add(
                "Protocol type",
                ether_type(a.proto_addr_type()),
                s + 2..s + 4,
            );
            n.add("Hardware size", hw, s + 4..s + 5);
            n.add("Protocol size", pr, s + 5..s + 6);
            n.add("Opcode", op.0, s + 6..s + 8);
            let mut o = s + 8;
            for (label, v, len) in [
                ("Sender MAC address", sha, hw),
                ("Sender IP address", spa, pr),
                ("Target MAC address", tha, hw),
                ("Target IP address", tpa, pr),
            ] {
                n.add(label, v, o..o + len);
                o += len;
            }
            out.push(n);
        }
        None => {}
    }
    match &p.transport {
        Some(TransportSlice::Udp(u)) => {
            let r = at(frame, u.header_slice());
            let s = r.start;
            let mut n = Node::new(
                format!(
                    "User Datagram Protocol, Src Port: {}, Dst Port: {}, Len: {}",
                    u.source_port(),
                    u.destination_port(),
                    u.payload().len()
                ),
                r,
            );
            n.add("Source port", u.source_port(), s..s + 2);
            n.add("Destination port", u.destination_port(), s + 2..s + 4);
            n.add("Length", u.length(), s + 4..s + 6);
            n.add(
                "Checksum",
                match u.checksum() {
                    0 => "0x0000 (none)".to_owned(),
                    c => format!("0x{c:04x} (not checked)"),
                },
                s + 6..s + 8,
            );
            out.push(n);
        }
        Some(TransportSlice::Tcp(t)) => {
            let r = at(frame, t.header_slice());
            let s = r.start;
            let mut n = Node::new(
                format!(
                    "Transmission Control Protocol, Src Port: {}, Dst Port: {}, Seq: {}, \
                     Len: {}",
                    t.source_port(),
                    t.destination_port(),
                    t.sequence_number(),
                    t.payload().len()
                ),
                r.clone(),
            );
            n.add("Source port", t.source_port(), s..s + 2);
            n.add("Destination port", t.destination_port(), s + 2..s + 4);
            n.add("Sequence number (raw)", t.sequence_number(), s + 4..s + 8);
            n.add(
                "Acknowledgment number (raw)",
                t.acknowledgment_number(),
                s + 8..s + 12,
            );
            n.add(
                "Header length",
                format!(
                    "{} bytes ({})",
                    usize::from(t.data_offset()) * 4,
                    t.data_offset()
                ),
                s + 12..s + 13,
            );
            let names = [
                (t.cwr(), "CWR"),
                (t.ece(), "ECE"),
                (t.urg(), "URG"),
                (t.ack(), "ACK"),
                (t.psh(), "PSH"),
                (t.rst(), "RST"),
                (t.syn(), "SYN"),
                (t.fin(), "FIN"),
            ];
            let set: Vec<&str> = names.iter().filter(|f| f.0).map(|f| f.1).collect();
            let raw = t.header_slice().get(13).copied().unwrap_or(0);
            n.add(
                "Flags",
                format!("0x{raw:02x} ({})", set.join(", ")),
                s + 13..s + 14,
            );
            n.add("Window", t.window_size(), s + 14..s + 16);
            n.add(
                "Checksum",
                format!("0x{:04x} (not checked)", t.checksum()),
                s + 16..s + 18,
            );
            n.add("Urgent pointer", t.urgent_pointer(), s + 18..s + 20);
            if !t.options().is_empty() {
                n.add(
                    "Options",
                    format!("{} bytes", t.options().len()),
                    s + 20..r.end,
                );
            }
            out.push(n);
        }
        _ => {}
    }
    if let (Some((e, layer)), Some(last)) = (&p.stop_err, out.last_mut()) {
        last.warn(format!("{layer:?} not read: {e}"));
    }
    out
}

/// The ARP packet of a frame as a tree, its value the info text tshark writes (`Who has
/// 10.0.0.1? Tell 10.0.0.2`); `None` when the frame holds no readable ARP packet.
pub fn arp_node(link: LinkType, frame: &[u8]) -> Option<Node> {
    layers(link, frame)
        .into_iter()
        .find(|n| n.label == ARP_LABEL && n.value.is_some())
}

/// The label of the ARP packet's node.
pub const ARP_LABEL: &str = "Address Resolution Protocol";

#[cfg(test)]
mod tests {
    use super::*;
    use rtcscope_testkit::frames::{ethernet, ipv4_udp};

    fn udp4(payload: &[u8]) -> Vec<u8> {
        ethernet(&ipv4_udp(
            "10.0.0.1:5000".parse().unwrap(),
            "10.0.0.2:6000".parse().unwrap(),
            payload,
        ))
    }

    fn find<'a>(n: &'a Node, label: &str) -> &'a Node {
        n.children
            .iter()
            .find(|c| c.label == label)
            .unwrap_or_else(|| panic!("no {label} under {}", n.label))
    }

    #[test]
    fn ethernet_ipv4_udp_fields_and_ranges() {
        let payload = b"hello";
        let frame = udp4(payload);
        let l = layers(LinkType::ETHERNET, &frame);
        assert_eq!(l.len(), 3, "{l:#?}");
        assert!(l[0].label.starts_with("Ethernet II"));
        assert_eq!(l[0].range, 0..14);
        let ip = &l[1];
        assert_eq!(ip.range, 14..34);
        assert_eq!(find(ip, "Version").value.as_deref(), Some("4"));
        assert_eq!(find(ip, "Protocol").value.as_deref(), Some("UDP (17)"));
        assert_eq!(
            find(ip, "Source address").value.as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(find(ip, "Source address").range, 26..30);
        // Every field lies inside its header, and the header's bytes are the frame's.
        for layer in &l {
            for c in &layer.children {
                assert!(c.range.end <= frame.len(), "{c:?}");
            }
        }
        let ttl = find(ip, "Time to live");
        assert_eq!(ttl.value.as_deref(), Some(frame[22].to_string().as_str()));
        let udp = &l[2];
        assert_eq!(udp.range, 34..42);
        assert_eq!(find(udp, "Destination port").value.as_deref(), Some("6000"));
        assert!(udp.label.ends_with("Len: 5"), "{}", udp.label);
    }

    #[test]
    fn dscp_ecn_and_checksum_are_read_from_the_header() {
        let mut frame = udp4(b"x");
        // EF (46) with ECT(1), as an L4S-marking WebRTC audio sender would set it.
        frame[15] = (46 << 2) | 1;
        let l = layers(LinkType::ETHERNET, &frame);
        assert_eq!(find(&l[1], "DSCP").value.as_deref(), Some("EF (46)"));
        assert_eq!(find(&l[1], "ECN").value.as_deref(), Some("ECT(1) (1)"));
        // The header changed, its checksum did not: said.
        let c = find(&l[1], "Header checksum").value.clone().unwrap();
        assert!(c.contains("incorrect"), "{c}");
    }

    #[test]
    fn every_truncation_is_read_without_panic_and_within_the_frame() {
        let frame = udp4(b"abcdef");
        for link in [
            LinkType::ETHERNET,
            LinkType::RAW,
            LinkType::LINUX_SLL,
            LinkType::LINUX_SLL2,
            LinkType::NULL,
        ] {
            for cut in 0..=frame.len() {
                let part = &frame[..cut];
                for n in layers(link, part) {
                    assert!(n.range.end <= cut, "{link:?} {cut}: {n:?}");
                    for c in &n.children {
                        assert!(c.range.end <= cut, "{link:?} {cut}: {c:?}");
                    }
                }
            }
        }
    }
}
