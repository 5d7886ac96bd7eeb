//! Link layer, IP and transport decoding into zero-copy views.
//!
//! Supported link types: Ethernet (with 802.1Q VLAN and 802.1ad QinQ tags), Linux cooked
//! capture v1 (SLL) and v2 (SLL2), raw IP (DLT_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6) and BSD
//! loopback (DLT_NULL, DLT_LOOP). Network layers: IPv4 and IPv6 (extension headers walked).
//! Transports: UDP and TCP. Fragments are reported as such; reassembly belongs to the analysis
//! stage, which keeps bounded state across packets.

use rtcscope_wire::{wire_enum, Error, Layer, Reader, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

wire_enum! {
    /// A pcap link type (<https://www.tcpdump.org/linktypes.html>).
    pub struct LinkType(u32) {
        /// BSD loopback: a 4-byte protocol family in host byte order.
        NULL = 0 => "NULL",
        /// Ethernet II.
        ETHERNET = 1 => "Ethernet",
        /// Raw IP (the OpenBSD value of DLT_RAW).
        RAW_OPENBSD = 12 => "Raw IP",
        /// Raw IP (DLT_RAW as most systems number it).
        RAW = 101 => "Raw IP",
        /// OpenBSD loopback: a 4-byte protocol family in network byte order.
        LOOP = 108 => "Loopback",
        /// Linux cooked capture v1.
        LINUX_SLL = 113 => "Linux cooked (SLL)",
        /// Raw IPv4.
        IPV4 = 228 => "Raw IPv4",
        /// Raw IPv6.
        IPV6 = 229 => "Raw IPv6",
        /// Linux cooked capture v2.
        LINUX_SLL2 = 276 => "Linux cooked (SLL2)",
    }
}

/// The transport a payload came over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP, with the segment's sequence number and flags.
    Tcp {
        /// Sequence number of the first payload byte.
        seq: u32,
        /// The flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10).
        flags: u8,
    },
}

/// A decoded packet: addresses, transport and payload, all borrowed from the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// UDP or TCP.
    pub transport: Transport,
    /// The transport payload (cut short when the snapshot length cut the frame).
    pub payload: &'a [u8],
    /// Offset of the payload within the frame, for dissection trees.
    pub payload_offset: usize,
    /// The payload length the headers announce (larger than `payload.len()` when cut).
    pub payload_len_on_wire: usize,
}

/// What a frame turned out to be when it is not a UDP/TCP packet we can hand on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotTransport<'a> {
    /// A non-IP frame (ARP, LLDP, ...), with its EtherType or protocol family.
    NotIp(u32),
    /// An IP packet of another protocol (ICMP, SCTP, ...), with its protocol number.
    OtherProtocol(u8),
    /// An IP fragment (IPv4 MF/offset or an IPv6 Fragment header), to be handed to a
    /// [`crate::reassembly::IpReassembler`].
    Fragment(Fragment<'a>),
}

/// One IP fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Identification (16 bits in IPv4, 32 in IPv6).
    pub id: u32,
    /// The upper-layer protocol (from the IPv4 header or the Fragment header's next header).
    pub protocol: u8,
    /// Byte offset of this fragment in the original payload.
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
    /// The fragment's bytes (cut short when the snapshot length cut the frame).
    pub data: &'a [u8],
    /// True when the frame was cut and `data` is incomplete.
    pub cut: bool,
}

/// Decoding result: a transport payload, or why there is none.
pub type DecodeResult<'a> = Result<core::result::Result<Decoded<'a>, NotTransport<'a>>>;

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const ETH_VLAN: u16 = 0x8100;
const ETH_QINQ: u16 = 0x88a8;
const ETH_QINQ_OLD: u16 = 0x9100;

/// Decodes a frame of `link_type` down to its UDP or TCP payload.
///
/// Errors are located in the frame (offsets count from its first byte).
pub fn decode(link_type: LinkType, frame: &[u8]) -> DecodeResult<'_> {
    let mut r = Reader::new(frame, Layer::Link);
    let ethertype = match link_type {
        LinkType::ETHERNET => {
            r.skip(12, "Ethernet addresses")?;
            let mut et = r.u16("EtherType")?;
            // Up to two VLAN tags (QinQ), more would be unusual but are walked too.
            let mut tags = 0;
            while matches!(et, ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD) && tags < 4 {
                r.skip(2, "VLAN tag control")?;
                et = r.u16("EtherType after VLAN tag")?;
                tags += 1;
            }
            et
        }
        LinkType::LINUX_SLL => {
            r.skip(14, "SLL header")?;
            r.u16("SLL protocol")?
        }
        LinkType::LINUX_SLL2 => {
            let proto = r.u16("SLL2 protocol")?;
            r.skip(18, "SLL2 header")?;
            proto
        }
        LinkType::RAW | LinkType::RAW_OPENBSD | LinkType::IPV4 | LinkType::IPV6 => {
            match r.peek_u8("IP version")? >> 4 {
                4 => ETH_IPV4,
                6 => ETH_IPV6,
                v => return Ok(Err(NotTransport::NotIp(u32::from(v)))),
            }
        }
        LinkType::NULL | LinkType::LOOP => {
            let fam = r.array::<4>("loopback family")?;
            // DLT_NULL is host order (either endianness in practice); DLT_LOOP network order.
            let family = if link_type == LinkType::LOOP {
                u32::from_be_bytes(fam)
            } else if fam[0] != 0 {
                u32::from_le_bytes(fam)
            } else {
                u32::from_be_bytes(fam)
            };
            match family {
                2 => ETH_IPV4,
                // AF_INET6 differs by OS: 10 Linux, 24 OpenBSD/NetBSD, 28 FreeBSD, 30 macOS.
                10 | 24 | 28 | 30 => ETH_IPV6,
                other => return Ok(Err(NotTransport::NotIp(other))),
            }
        }
        other => {
            return Err(Error::bad_value(
                Layer::Link,
                0,
                "link type",
                "a supported link type",
                u64::from(other.0),
            ))
        }
    };
    match ethertype {
        ETH_IPV4 => ipv4(r.in_layer(Layer::Ip)),
        ETH_IPV6 => ipv6(r.in_layer(Layer::Ip)),
        other => Ok(Err(NotTransport::NotIp(u32::from(other)))),
    }
}

fn ipv4(mut r: Reader<'_>) -> DecodeResult<'_> {
    let start = r.offset();
    let vihl = r.u8("IPv4 version/IHL")?;
    if vihl >> 4 != 4 {
        return Err(r.bad_value_at(1, "IP version", "4", u64::from(vihl >> 4)));
    }
    let ihl = usize::from(vihl & 0x0f) * 4;
    if ihl < 20 {
        return Err(Error::bad_length(
            Layer::Ip,
            start,
            "IPv4 header length",
            "at least 20",
            ihl,
        ));
    }
    r.skip(1, "DSCP/ECN")?;
    let total = usize::from(r.u16("IPv4 total length")?);
    let id = r.u16("identification")?;
    let frag = r.u16("flags/fragment offset")?;
    r.skip(1, "TTL")?;
    let proto = r.u8("protocol")?;
    r.skip(2, "header checksum")?;
    let src = Ipv4Addr::from(r.array::<4>("source address")?);
    let dst = Ipv4Addr::from(r.array::<4>("destination address")?);
    r.skip(ihl - 20, "IPv4 options")?;
    if total < ihl {
        return Err(Error::bad_length(
            Layer::Ip,
            start + 2,
            "IPv4 total length",
            "at least the header length",
            total,
        ));
    }
    // The payload the header announces; a frame may carry Ethernet padding beyond it, or be cut.
    let announced = total - ihl;
    if frag & 0x3fff != 0 {
        let rest = r.rest();
        return Ok(Err(NotTransport::Fragment(Fragment {
            src: IpAddr::V4(src),
            dst: IpAddr::V4(dst),
            id: u32::from(id),
            protocol: proto,
            offset: usize::from(frag & 0x1fff) * 8,
            more: frag & 0x2000 != 0,
            data: &rest[..announced.min(rest.len())],
            cut: rest.len() < announced,
        })));
    }
    transport(r, proto, IpAddr::V4(src), IpAddr::V4(dst), announced)
}

fn ipv6(mut r: Reader<'_>) -> DecodeResult<'_> {
    let vtc = r.u32("IPv6 version/class/flow")?;
    if vtc >> 28 != 6 {
        return Err(r.bad_value_at(4, "IP version", "6", u64::from(vtc >> 28)));
    }
    let mut payload_len = usize::from(r.u16("IPv6 payload length")?);
    let mut next = r.u8("next header")?;
    r.skip(1, "hop limit")?;
    let src = Ipv6Addr::from(r.array::<16>("source address")?);
    let dst = Ipv6Addr::from(r.array::<16>("destination address")?);
    // Walk extension headers (bounded: at most 8).
    for _ in 0..8 {
        match next {
            0 | 43 | 60 => {
                let nh = r.u8("extension next header")?;
                let len = (usize::from(r.u8("extension length")?) + 1) * 8;
                r.skip(len - 2, "extension header")?;
                payload_len = payload_len.saturating_sub(len);
                next = nh;
            }
            44 => {
                let nh = r.u8("fragment next header")?;
                r.skip(1, "fragment reserved")?;
                let off = r.u16("fragment offset")?;
                let id = r.u32("fragment identification")?;
                let announced = payload_len.saturating_sub(8);
                let rest = r.rest();
                return Ok(Err(NotTransport::Fragment(Fragment {
                    src: IpAddr::V6(src),
                    dst: IpAddr::V6(dst),
                    id,
                    protocol: nh,
                    offset: usize::from(off & 0xfff8),
                    more: off & 1 != 0,
                    data: &rest[..announced.min(rest.len())],
                    cut: rest.len() < announced,
                })));
            }
            _ => break,
        }
    }
    transport(r, next, IpAddr::V6(src), IpAddr::V6(dst), payload_len)
}

/// Decodes the UDP or TCP header at the start of a reassembled IP payload.
pub fn decode_transport(
    protocol: u8,
    src: IpAddr,
    dst: IpAddr,
    payload: &[u8],
) -> DecodeResult<'_> {
    transport(
        Reader::new(payload, Layer::Ip),
        protocol,
        src,
        dst,
        payload.len(),
    )
}

fn transport<'a>(
    r: Reader<'a>,
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    announced: usize,
) -> DecodeResult<'a> {
    match proto {
        17 => udp(r.in_layer(Layer::Udp), src, dst),
        6 => tcp(r.in_layer(Layer::Tcp), src, dst, announced),
        other => Ok(Err(NotTransport::OtherProtocol(other))),
    }
}

fn udp(mut r: Reader<'_>, src: IpAddr, dst: IpAddr) -> DecodeResult<'_> {
    let start = r.offset();
    let sport = r.u16("source port")?;
    let dport = r.u16("destination port")?;
    let len = usize::from(r.u16("UDP length")?);
    r.skip(2, "UDP checksum")?;
    if len < 8 {
        return Err(Error::bad_length(
            Layer::Udp,
            start + 4,
            "UDP length",
            "at least 8",
            len,
        ));
    }
    let on_wire = len - 8;
    let payload_offset = r.offset();
    let rest = r.rest();
    let payload = &rest[..on_wire.min(rest.len())];
    Ok(Ok(Decoded {
        src: SocketAddr::new(src, sport),
        dst: SocketAddr::new(dst, dport),
        transport: Transport::Udp,
        payload,
        payload_offset,
        payload_len_on_wire: on_wire,
    }))
}

fn tcp(mut r: Reader<'_>, src: IpAddr, dst: IpAddr, announced: usize) -> DecodeResult<'_> {
    let start = r.offset();
    let sport = r.u16("source port")?;
    let dport = r.u16("destination port")?;
    let seq = r.u32("sequence number")?;
    r.skip(4, "acknowledgement number")?;
    let off = usize::from(r.u8("data offset")? >> 4) * 4;
    let flags = r.u8("flags")?;
    r.skip(6, "window/checksum/urgent")?;
    if off < 20 {
        return Err(Error::bad_length(
            Layer::Tcp,
            start + 12,
            "TCP data offset",
            "at least 20",
            off,
        ));
    }
    r.skip(off - 20, "TCP options")?;
    let on_wire = announced.saturating_sub(off);
    let payload_offset = r.offset();
    let rest = r.rest();
    let payload = &rest[..on_wire.min(rest.len())];
    Ok(Ok(Decoded {
        src: SocketAddr::new(src, sport),
        dst: SocketAddr::new(dst, dport),
        transport: Transport::Tcp { seq, flags },
        payload,
        payload_offset,
        payload_len_on_wire: on_wire,
    }))
}
