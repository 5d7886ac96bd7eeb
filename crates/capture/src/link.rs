//! Link layer, IP and transport decoding into zero-copy views.
//!
//! Supported link types: Ethernet (with 802.1Q VLAN and 802.1ad QinQ tags), Linux cooked
//! capture v1 (SLL) and v2 (SLL2), raw IP (DLT_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6) and BSD
//! loopback (DLT_NULL, DLT_LOOP). Network layers: IPv4 and IPv6 (extension headers walked).
//! Transports: UDP and TCP. Fragments are reported as such; reassembly belongs to the analysis
//! stage, which keeps bounded state across packets.
//!
//! Encapsulations are seen through, as tshark does, and listed in [`Decoded::tunnels`]:
//!
//! * PPPoE session stage (EtherType 0x8864, RFC 2516) carrying PPP IPv4 (0x0021) or IPv6
//!   (0x0057); any other PPP protocol (LCP, IPCP, ...) is "not IP".
//! * GTP-U (3GPP TS 29.281) on UDP port 2152: a G-PDU (message type 0xFF) whose payload is
//!   IPv4 or IPv6 is decoded down to the inner UDP/TCP, after the optional sequence number,
//!   N-PDU number and extension headers. GTP-U inside GTP-U is followed up to
//!   [`MAX_GTP_DEPTH`] levels; deeper, and for the other GTP-U messages (echo, error
//!   indication, end marker), the UDP datagram on port 2152 is handed on as it is.
//!
//! ICMP errors (ICMPv4 destination unreachable and time exceeded, ICMPv6 destination
//! unreachable and time exceeded) that quote a UDP datagram are decoded into
//! [`IcmpError`]: the quoted addresses and ports name the flow the error is about.

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
    /// The tunnels (PPPoE, GTP-U) this packet was carried in, outermost first.
    pub tunnels: Tunnels,
}

impl<'a> Decoded<'a> {
    /// The same packet without the borrow of `frame`, the frame it was decoded from: where its
    /// payload lies instead of the payload, so that one thread can decode frames and another
    /// analyse them ([`DecodedAt::attach`] joins it to the frame again). `None` for a tunnelled
    /// packet (its [`Tunnels`] are left to a second decode) and for a payload that is not
    /// `frame`'s bytes at [`Decoded::payload_offset`].
    pub fn detach(&self, frame: &[u8]) -> Option<DecodedAt> {
        let at = frame.get(self.payload_offset..)?;
        let same =
            std::ptr::eq(at.as_ptr(), self.payload.as_ptr()) && at.len() >= self.payload.len();
        (same && self.tunnels.is_empty()).then_some(DecodedAt {
            src: self.src,
            dst: self.dst,
            transport: self.transport,
            payload_offset: self.payload_offset,
            payload_len: self.payload.len(),
            payload_len_on_wire: self.payload_len_on_wire,
        })
    }
}

/// An untunnelled [`Decoded`] packet detached from its frame ([`Decoded::detach`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodedAt {
    src: SocketAddr,
    dst: SocketAddr,
    transport: Transport,
    payload_offset: usize,
    payload_len: usize,
    payload_len_on_wire: usize,
}

impl DecodedAt {
    /// The packet again, its payload borrowed from `frame` (the same bytes as the frame it was
    /// detached from); `None` when `frame` is too short to hold the payload.
    pub fn attach<'a>(&self, frame: &'a [u8]) -> Option<Decoded<'a>> {
        let end = self.payload_offset.checked_add(self.payload_len)?;
        Some(Decoded {
            src: self.src,
            dst: self.dst,
            transport: self.transport,
            payload: frame.get(self.payload_offset..end)?,
            payload_offset: self.payload_offset,
            payload_len_on_wire: self.payload_len_on_wire,
            tunnels: Tunnels::default(),
        })
    }
}

/// GTP-U inside GTP-U is followed at most this many levels deep.
pub const MAX_GTP_DEPTH: usize = 2;

/// The UDP port of GTP-U (3GPP TS 29.281).
pub const GTP_U_PORT: u16 = 2152;

/// One encapsulation a packet was carried in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tunnel {
    /// A PPPoE session (RFC 2516).
    Pppoe {
        /// Session ID.
        session: u16,
        /// The PPP protocol number (0x0021 IPv4, 0x0057 IPv6).
        ppp_protocol: u16,
        /// Offset of the PPPoE header in the frame.
        offset: usize,
    },
    /// A GTP-U G-PDU (3GPP TS 29.281).
    GtpU {
        /// The outer UDP source (the tunnel endpoint that sent it).
        src: SocketAddr,
        /// The outer UDP destination.
        dst: SocketAddr,
        /// Tunnel endpoint identifier.
        teid: u32,
        /// The sequence number, when the S flag is set.
        sequence: Option<u16>,
        /// Extension headers walked.
        extensions: u8,
        /// Offset of the GTP-U header in the frame.
        offset: usize,
        /// Its length, optional fields and extension headers included.
        header_len: usize,
    },
}

/// The tunnels a packet was carried in, outermost first: one PPPoE session and up to
/// [`MAX_GTP_DEPTH`] GTP-U levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tunnels {
    list: [Option<Tunnel>; 1 + MAX_GTP_DEPTH],
    len: u8,
}

impl Tunnels {
    /// The tunnels, outermost first.
    pub fn iter(&self) -> impl Iterator<Item = &Tunnel> {
        self.list.iter().take(usize::from(self.len)).flatten()
    }

    /// True when the packet was not tunnelled.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// GTP-U levels so far.
    fn gtp_depth(&self) -> usize {
        self.iter()
            .filter(|t| matches!(t, Tunnel::GtpU { .. }))
            .count()
    }

    /// Adds one; false (nothing added) when full.
    fn push(&mut self, t: Tunnel) -> bool {
        match self.list.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = Some(t);
                self.len += 1;
                true
            }
            None => false,
        }
    }
}

/// An ICMP error that quotes a UDP datagram (the start of it: RFC 792 quotes the IP header
/// and 8 bytes, RFC 1812 routers and Linux quote more, ICMPv6 as much as fits in 1280 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpError<'a> {
    /// Who sent the error (the ICMP packet's source).
    pub from: IpAddr,
    /// Whom it was sent to.
    pub to: IpAddr,
    /// True for ICMPv6.
    pub v6: bool,
    /// ICMP type (3 destination unreachable or 11 time exceeded for ICMPv4; 1 or 3 for
    /// ICMPv6).
    pub icmp_type: u8,
    /// ICMP code (3 port unreachable for ICMPv4, 4 for ICMPv6).
    pub code: u8,
    /// Offset of the ICMP header in the frame.
    pub offset: usize,
    /// Offset of the quoted IP header in the frame.
    pub quoted_offset: usize,
    /// The quoted datagram's source (the sender of the datagram that failed).
    pub quoted_src: SocketAddr,
    /// The quoted datagram's destination (where it could not go).
    pub quoted_dst: SocketAddr,
    /// The quoted UDP length field (its payload length on the wire is this minus 8).
    pub quoted_udp_len: u16,
    /// The quoted start of the UDP payload.
    pub quoted_payload: &'a [u8],
    /// Offset of `quoted_payload` in the frame.
    pub quoted_payload_offset: usize,
}

impl IcmpError<'_> {
    /// True for "port unreachable" (ICMPv4 3/3, ICMPv6 1/4).
    pub const fn port_unreachable(&self) -> bool {
        if self.v6 {
            self.icmp_type == 1 && self.code == 4
        } else {
            self.icmp_type == 3 && self.code == 3
        }
    }

    /// A short name of the type and code, as tshark's info column has it.
    pub fn describe(&self) -> String {
        let name = match (self.v6, self.icmp_type, self.code) {
            (false, 3, 0) => "Network unreachable",
            (false, 3, 1) => "Host unreachable",
            (false, 3, 2) => "Protocol unreachable",
            (false, 3, 3) => "Port unreachable",
            (false, 3, 4) => "Fragmentation needed",
            (false, 3, 13) => "Communication administratively filtered",
            (false, 3, _) => "Destination unreachable",
            (false, 11, _) => "Time-to-live exceeded",
            (true, 1, 0) => "No route to destination",
            (true, 1, 1) => "Administratively prohibited",
            (true, 1, 3) => "Address unreachable",
            (true, 1, 4) => "Port unreachable",
            (true, 1, _) => "Destination unreachable",
            (true, 3, _) => "Hop limit exceeded",
            _ => "ICMP error",
        };
        format!("{name} (type {}, code {})", self.icmp_type, self.code)
    }
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
    /// An ICMP error quoting a UDP datagram.
    IcmpError(IcmpError<'a>),
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
const ETH_PPPOE_SESSION: u16 = 0x8864;
const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;

/// Decodes a frame of `link_type` down to its UDP or TCP payload.
///
/// Errors are located in the frame (offsets count from its first byte).
pub fn decode(link_type: LinkType, frame: &[u8]) -> DecodeResult<'_> {
    if link_type == LinkType::ETHERNET {
        if let Some(d) = ethernet_common(frame) {
            return Ok(Ok(d));
        }
    }
    decode_hand_written(link_type, frame)
}

/// The common case through etherparse, which decodes it 2 to 8 times faster than the
/// hand-written path (`crates/capture/benches/link.rs`, docs/benchmarks.md): Ethernet, VLAN
/// tags, IPv4 or IPv6 (hop-by-hop, routing and destination options headers), an unfragmented
/// whole UDP datagram or TCP segment. `None` for anything else, and for anything etherparse
/// reads differently from the hand-written path, which then decides: errors with their
/// offsets, cut frames, fragments, PPPoE, GTP-U, ICMP errors, IPsec AH, MACsec.
fn ethernet_common(frame: &[u8]) -> Option<Decoded<'_>> {
    use etherparse::{Ipv6ExtensionSlice, LinkExtSlice, NetSlice, SlicedPacket, TransportSlice};
    let p = SlicedPacket::from_ethernet(frame).ok()?;
    if !p
        .link_exts
        .iter()
        .all(|e| matches!(e, LinkExtSlice::Vlan(_)))
    {
        return None;
    }
    let (src, dst): (IpAddr, IpAddr) = match p.net.as_ref()? {
        NetSlice::Ipv4(v4) => {
            if v4.is_payload_fragmented() || !v4.extensions().is_empty() {
                return None;
            }
            let h = v4.header();
            (h.source_addr().into(), h.destination_addr().into())
        }
        NetSlice::Ipv6(v6) => {
            if v6.is_payload_fragmented() {
                return None;
            }
            let mut walked = 0;
            for e in v6.extensions().clone() {
                match e {
                    Ipv6ExtensionSlice::HopByHop(_)
                    | Ipv6ExtensionSlice::Routing(_)
                    | Ipv6ExtensionSlice::DestinationOptions(_) => walked += 1,
                    _ => return None,
                }
            }
            if walked > 7 {
                return None;
            }
            let h = v6.header();
            (h.source_addr().into(), h.destination_addr().into())
        }
        NetSlice::Arp(_) => return None,
    };
    let (sport, dport, transport, payload) = match p.transport? {
        TransportSlice::Udp(u) => {
            let (sport, dport) = (u.source_port(), u.destination_port());
            // Length 0 (a jumbogram to etherparse) and GTP-U are the hand-written path's.
            if u.length() < 8 || sport == GTP_U_PORT || dport == GTP_U_PORT {
                return None;
            }
            (sport, dport, Transport::Udp, u.payload())
        }
        TransportSlice::Tcp(t) => {
            let flags = *t.header_slice().get(13)?;
            let transport = Transport::Tcp {
                seq: t.sequence_number(),
                flags,
            };
            (
                t.source_port(),
                t.destination_port(),
                transport,
                t.payload(),
            )
        }
        _ => return None,
    };
    Some(Decoded {
        src: SocketAddr::new(src, sport),
        dst: SocketAddr::new(dst, dport),
        transport,
        payload,
        payload_offset: (payload.as_ptr() as usize).checked_sub(frame.as_ptr() as usize)?,
        payload_len_on_wire: payload.len(),
        tunnels: Tunnels::default(),
    })
}

/// [`decode`] without the etherparse path: the hand-written decoder alone, which [`decode`]
/// falls back to for every frame outside the common case. Public for the benchmark that
/// compares the two (`crates/capture/benches/link.rs`).
pub fn decode_hand_written(link_type: LinkType, frame: &[u8]) -> DecodeResult<'_> {
    let (r, ethertype, tunnels) = match network(link_type, frame)? {
        Ok(n) => n,
        Err(not) => return Ok(Err(not)),
    };
    match ethertype {
        ETH_IPV4 => ipv4(r.in_layer(Layer::Ip), tunnels),
        ETH_IPV6 => ipv6(r.in_layer(Layer::Ip), tunnels),
        other => Ok(Err(NotTransport::NotIp(u32::from(other)))),
    }
}

/// The source and destination of a frame's IP header, whatever the IP protocol: for the
/// packets [`decode`] takes to no transport (IGMP, ICMP echo, OSPF, …), which the display
/// filter's `ip.addr` still sees. The link layers and PPPoE are walked as [`decode`] walks
/// them; a GTP-U tunnel is not entered (its outer header is the one named). `None` when the
/// frame holds no IP header that reads.
pub fn ip_addresses(link_type: LinkType, frame: &[u8]) -> Option<(IpAddr, IpAddr)> {
    let Ok(Ok((mut r, ethertype, _))) = network(link_type, frame) else {
        return None;
    };
    match ethertype {
        ETH_IPV4 => {
            let h = r.array::<20>("IPv4 header").ok()?;
            let at = |i: usize| Ipv4Addr::new(h[i], h[i + 1], h[i + 2], h[i + 3]);
            (h[0] >> 4 == 4).then(|| (IpAddr::V4(at(12)), IpAddr::V4(at(16))))
        }
        ETH_IPV6 => {
            let h = r.array::<40>("IPv6 header").ok()?;
            let at = |i: usize| {
                let mut a = [0u8; 16];
                a.copy_from_slice(&h[i..i + 16]);
                IpAddr::V6(Ipv6Addr::from(a))
            };
            (h[0] >> 4 == 6).then(|| (at(8), at(24)))
        }
        _ => None,
    }
}

/// The link layer (and PPPoE) of a frame: a reader at the network header, its EtherType and
/// the tunnels walked; or why there is no IP.
#[allow(clippy::type_complexity)]
fn network(
    link_type: LinkType,
    frame: &[u8],
) -> Result<core::result::Result<(Reader<'_>, u16, Tunnels), NotTransport<'_>>> {
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
    let mut tunnels = Tunnels::default();
    let ethertype = if ethertype == ETH_PPPOE_SESSION {
        // RFC 2516 §4: VER/TYPE (0x11), CODE 0 (session data), SESSION_ID, LENGTH, then the
        // PPP protocol field.
        let offset = r.offset();
        let vt = r.u8("PPPoE version/type")?;
        if vt != 0x11 {
            return Err(r.bad_value_at(1, "PPPoE version/type", "0x11", u64::from(vt)));
        }
        let code = r.u8("PPPoE code")?;
        if code != 0 {
            return Err(r.bad_value_at(1, "PPPoE code", "0 (session data)", u64::from(code)));
        }
        let session = r.u16("PPPoE session ID")?;
        r.skip(2, "PPPoE length")?;
        let ppp_protocol = r.u16("PPP protocol")?;
        tunnels.push(Tunnel::Pppoe {
            session,
            ppp_protocol,
            offset,
        });
        match ppp_protocol {
            PPP_IPV4 => ETH_IPV4,
            PPP_IPV6 => ETH_IPV6,
            _ => return Ok(Err(NotTransport::NotIp(u32::from(ETH_PPPOE_SESSION)))),
        }
    } else {
        ethertype
    };
    Ok(Ok((r, ethertype, tunnels)))
}

fn ipv4(mut r: Reader<'_>, tunnels: Tunnels) -> DecodeResult<'_> {
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
    transport(
        r,
        proto,
        IpAddr::V4(src),
        IpAddr::V4(dst),
        announced,
        tunnels,
    )
}

fn ipv6(mut r: Reader<'_>, tunnels: Tunnels) -> DecodeResult<'_> {
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
    transport(
        r,
        next,
        IpAddr::V6(src),
        IpAddr::V6(dst),
        payload_len,
        tunnels,
    )
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
        Tunnels::default(),
    )
}

fn transport<'a>(
    r: Reader<'a>,
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    announced: usize,
    tunnels: Tunnels,
) -> DecodeResult<'a> {
    match proto {
        17 => udp(r.in_layer(Layer::Udp), src, dst, tunnels),
        6 => tcp(r.in_layer(Layer::Tcp), src, dst, announced, tunnels),
        1 | 58 => match icmp_error(r, proto == 58, src, dst, announced) {
            Some(e) => Ok(Err(NotTransport::IcmpError(e))),
            None => Ok(Err(NotTransport::OtherProtocol(proto))),
        },
        other => Ok(Err(NotTransport::OtherProtocol(other))),
    }
}

/// An ICMP error quoting a UDP datagram; `None` for any other ICMP message, or a quote too
/// short to name the flow (the IP header and the UDP ports), or not UDP.
fn icmp_error<'a>(
    r: Reader<'a>,
    v6: bool,
    from: IpAddr,
    to: IpAddr,
    announced: usize,
) -> Option<IcmpError<'a>> {
    let offset = r.offset();
    let rest = r.rest();
    let b = &rest[..announced.min(rest.len())];
    let (icmp_type, code) = (*b.first()?, *b.get(1)?);
    let error = if v6 {
        matches!(icmp_type, 1 | 3)
    } else {
        matches!(icmp_type, 3 | 11)
    };
    if !error {
        return None;
    }
    // Type, code, checksum, 4 unused (or MTU) bytes; then the quoted IP header.
    let q = b.get(8..)?;
    let (qsrc, qdst, proto, hdr) = match q.first()? >> 4 {
        4 if !v6 => {
            let ihl = usize::from(q[0] & 0x0f) * 4;
            if ihl < 20 || q.len() < ihl {
                return None;
            }
            let src: [u8; 4] = q.get(12..16)?.try_into().ok()?;
            let dst: [u8; 4] = q.get(16..20)?.try_into().ok()?;
            // A quoted fragment other than the first has no UDP header.
            let frag = u16::from_be_bytes([q[6], q[7]]);
            if frag & 0x1fff != 0 {
                return None;
            }
            (IpAddr::from(src), IpAddr::from(dst), q[9], ihl)
        }
        6 if v6 => {
            if q.len() < 40 {
                return None;
            }
            let src: [u8; 16] = q.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = q.get(24..40)?.try_into().ok()?;
            // Extension headers are not walked in quotes: a UDP datagram with them is rare.
            (IpAddr::from(src), IpAddr::from(dst), q[6], 40)
        }
        _ => return None,
    };
    if proto != 17 {
        return None;
    }
    let u = q.get(hdr..hdr + 8)?;
    let sport = u16::from_be_bytes([u[0], u[1]]);
    let dport = u16::from_be_bytes([u[2], u[3]]);
    let quoted_udp_len = u16::from_be_bytes([u[4], u[5]]);
    let payload_start = 8 + hdr + 8;
    let payload_end = (8 + hdr + usize::from(quoted_udp_len)).clamp(payload_start, b.len());
    Some(IcmpError {
        from,
        to,
        v6,
        icmp_type,
        code,
        offset,
        quoted_offset: offset + 8,
        quoted_src: SocketAddr::new(qsrc, sport),
        quoted_dst: SocketAddr::new(qdst, dport),
        quoted_udp_len,
        quoted_payload: &b[payload_start..payload_end],
        quoted_payload_offset: offset + payload_start,
    })
}

fn udp(mut r: Reader<'_>, src: IpAddr, dst: IpAddr, tunnels: Tunnels) -> DecodeResult<'_> {
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
    let (src, dst) = (SocketAddr::new(src, sport), SocketAddr::new(dst, dport));
    if (sport == GTP_U_PORT || dport == GTP_U_PORT) && tunnels.gtp_depth() < MAX_GTP_DEPTH {
        if let Some(inner) = gtp_u(r, on_wire, src, dst, tunnels) {
            return inner;
        }
    }
    Ok(Ok(Decoded {
        src,
        dst,
        transport: Transport::Udp,
        payload,
        payload_offset,
        payload_len_on_wire: on_wire,
        tunnels,
    }))
}

/// Extension headers walked in one GTP-U header at most.
const MAX_GTP_EXTENSIONS: u8 = 8;

/// A GTP-U G-PDU carrying IP (3GPP TS 29.281 §5.1), decoded down to its inner transport.
/// `None` when the UDP payload is not such a G-PDU (another GTP-U message, another version,
/// a header that does not fit, or a payload that is not IP): the datagram is then handed on as
/// UDP. Once the header says "G-PDU carrying IP", errors of the inner packet are the result.
fn gtp_u<'a>(
    mut r: Reader<'a>,
    udp_payload_len: usize,
    src: SocketAddr,
    dst: SocketAddr,
    mut tunnels: Tunnels,
) -> Option<DecodeResult<'a>> {
    let offset = r.offset();
    let flags = r.u8("GTP-U flags").ok()?;
    // Version 1, protocol type 1 (GTP, not GTP').
    if flags >> 5 != 1 || flags & 0x10 == 0 {
        return None;
    }
    if r.u8("GTP-U message type").ok()? != 0xff {
        return None;
    }
    let length = usize::from(r.u16("GTP-U length").ok()?);
    let teid = r.u32("GTP-U TEID").ok()?;
    // The length counts everything after the mandatory 8 bytes; it cannot exceed the datagram.
    if 8 + length > udp_payload_len {
        return None;
    }
    let mut header_len = 8;
    let mut sequence = None;
    let mut extensions = 0u8;
    if flags & 0x07 != 0 {
        // E, S or PN: the sequence number, N-PDU number and next-extension type are present.
        let seq = r.u16("GTP-U sequence number").ok()?;
        if flags & 0x02 != 0 {
            sequence = Some(seq);
        }
        r.skip(1, "GTP-U N-PDU number").ok()?;
        let mut next = r.u8("GTP-U next extension header type").ok()?;
        header_len += 4;
        if flags & 0x04 == 0 {
            next = 0;
        }
        while next != 0 {
            if extensions == MAX_GTP_EXTENSIONS {
                return None;
            }
            // Length in 4-byte units, the content, and the next type as the last byte.
            let units = usize::from(r.u8("GTP-U extension length").ok()?);
            if units == 0 {
                return None;
            }
            r.skip(units * 4 - 2, "GTP-U extension content").ok()?;
            next = r.u8("GTP-U next extension header type").ok()?;
            header_len += units * 4;
            extensions += 1;
        }
    }
    if header_len > 8 + length {
        return None;
    }
    let version = r.peek_u8("GTP-U inner IP version").ok()? >> 4;
    if !matches!(version, 4 | 6) {
        return None;
    }
    tunnels.push(Tunnel::GtpU {
        src,
        dst,
        teid,
        sequence,
        extensions,
        offset,
        header_len,
    });
    let r = r.in_layer(Layer::Ip);
    Some(if version == 4 {
        ipv4(r, tunnels)
    } else {
        ipv6(r, tunnels)
    })
}

fn tcp(
    mut r: Reader<'_>,
    src: IpAddr,
    dst: IpAddr,
    announced: usize,
    tunnels: Tunnels,
) -> DecodeResult<'_> {
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
        tunnels,
    }))
}

#[cfg(test)]
mod etherparse_path {
    use super::*;

    /// Every Ethernet frame of the fixtures, and 64 variants of each with header bytes
    /// changed (a fixed pseudo-random sequence): wherever the etherparse path decodes a frame,
    /// the hand-written path decodes it the same.
    #[test]
    fn agrees_with_the_hand_written_path() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(root)];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("fixtures").flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                    files.push(p);
                }
            }
        }
        files.sort();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut fast, mut frames) = (0u64, 0u64);
        for f in &files {
            let bytes = std::fs::read(f).expect("read");
            let Ok(mut r) = crate::CaptureReader::new(&bytes[..]) else {
                continue;
            };
            while let Ok(Some(p)) = r.next_packet() {
                if p.link_type != LinkType::ETHERNET {
                    continue;
                }
                for variant in 0..65 {
                    let mut frame = p.data.to_vec();
                    if variant > 0 && !frame.is_empty() {
                        for _ in 0..1 + next() % 3 {
                            let at = (next() % 90) as usize % frame.len();
                            frame[at] = next() as u8;
                        }
                        if next() % 4 == 0 {
                            let cut = (next() as usize) % frame.len();
                            frame.truncate(cut);
                        }
                    }
                    frames += 1;
                    if let Some(d) = ethernet_common(&frame) {
                        fast += 1;
                        assert_eq!(
                            decode_hand_written(LinkType::ETHERNET, &frame),
                            Ok(Ok(d)),
                            "{}: packet {} variant {variant}",
                            f.display(),
                            p.number
                        );
                    }
                }
            }
        }
        assert!(
            fast > 10_000,
            "only {fast} of {frames} frames took the etherparse path"
        );
    }
}
