//! Demultiplexing one datagram (or one framed TCP message) and building its field tree.
//!
//! RFC 7983 §7 first-byte ranges are the pre-filter: 0–3 STUN, 16–19 ZRTP, 20–63 DTLS,
//! 64–79 TURN ChannelData, 128–191 RTP/RTCP. ChannelData is accepted up to 127: RFC 5766 let
//! servers assign channels 0x4000–0x7FFF and coturn still does, although RFC 8656 (and so
//! RFC 7983) narrowed the range to 0x4000–0x4FFF. Each candidate must then pass its parser's
//! structural check; what passes none is `Data`:
//!
//! * DTLS: [`rtcscope_dtls::looks_like_dtls`] and a first record that frames;
//! * RTP/RTCP: version 2; the second byte splits them (RFC 5761: 192–223 is RTCP), then the
//!   RTP header (CSRCs, extension) or the first RTCP packet's length must fit;
//! * SCTP has no first-byte range: it is tried only on the UDP ports named in
//!   [`DissectOptions::sctp_ports`] (RFC 6951).

use crate::session::{Cx, Via};
use crate::DissectOptions;
use rtcscope_stun as stun;
use rtcscope_wire::tree::Node;
use std::net::SocketAddr;

/// Protocols a message can be shown as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// STUN (RFC 5389/8489), including TURN methods.
    Stun,
    /// Classic STUN (RFC 3489).
    ClassicStun,
    /// TURN ChannelData.
    ChannelData,
    /// DTLS.
    Dtls,
    /// RTP or SRTP.
    Rtp,
    /// RTCP or SRTCP.
    Rtcp,
    /// SCTP over UDP (RFC 6951), on a port the user named.
    Sctp,
    /// A TCP segment without payload.
    Tcp,
    /// An ICMP error quoting a UDP datagram.
    Icmp,
    /// An ARP packet (RFC 826).
    Arp,
    /// Unrecognised payload, or a non-UDP/TCP packet.
    Data,
}

impl Protocol {
    /// The short name printed in summaries.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Stun => "STUN",
            Protocol::ClassicStun => "STUN(3489)",
            Protocol::ChannelData => "ChannelData",
            Protocol::Dtls => "DTLS",
            Protocol::Arp => "ARP",
            Protocol::Rtp => "RTP",
            Protocol::Rtcp => "RTCP",
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Icmp => "ICMP",
            Protocol::Data => "Data",
        }
    }
}

/// One dissected message.
pub struct Dissected {
    /// What it is.
    pub protocol: Protocol,
    /// True for STUN messages of TURN methods (for `--proto turn`).
    pub turn: bool,
    /// The summary's info column. It quotes wire text (USERNAME, REALM, reason phrases) as
    /// decoded, unescaped: print it through [`rtcscope_wire::text::Escaped`].
    pub info: String,
    /// The field tree (its text is unescaped too; [`Node::render`] escapes it).
    pub tree: Node,
    /// What it carries inside: the payload of TURN ChannelData or of a Send/Data indication,
    /// or the datagram an ICMP error quotes.
    pub inner: Option<Inner>,
}

/// The messages inside a relayed payload or an ICMP quote, for filters and the protocol list
/// (their trees are in the carrier's tree).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inner {
    /// The addresses the inner packet is between, as far as they are known: the peer of a
    /// Send/Data indication (XOR-PEER-ADDRESS) or of a bound channel, or the quoted datagram's
    /// source and destination.
    pub addresses: Vec<SocketAddr>,
    /// The inner messages' protocols (nested relays flattened), with whether each is a STUN
    /// message of a TURN method.
    pub protocols: Vec<(Protocol, bool)>,
}

impl Dissected {
    /// This message's protocol and those inside it, outermost first.
    pub fn protocols(&self) -> impl Iterator<Item = (Protocol, bool)> + '_ {
        std::iter::once((self.protocol, self.turn))
            .chain(self.inner.iter().flat_map(|i| i.protocols.iter().copied()))
    }

    /// The addresses of what it carries (relayed peer, quoted datagram's endpoints).
    pub fn inner_addresses(&self) -> &[SocketAddr] {
        self.inner.as_ref().map_or(&[], |i| &i.addresses)
    }
}

/// The inner record of messages dissected inside a carrier.
fn inner_of(messages: &[Dissected], addresses: Vec<SocketAddr>) -> Inner {
    let mut protocols = Vec::new();
    let mut addresses = addresses;
    for d in messages {
        protocols.extend(d.protocols());
        for a in d.inner_addresses() {
            if !addresses.contains(a) {
                addresses.push(*a);
            }
        }
    }
    Inner {
        addresses,
        protocols,
    }
}

impl Dissected {
    /// A placeholder for packets that carry no UDP/TCP payload.
    pub fn other(info: String) -> Self {
        Dissected {
            protocol: Protocol::Data,
            turn: false,
            tree: Node::new("Not dissected", 0..0).with_value(&info),
            info,
            inner: None,
        }
    }

    /// A TCP segment without payload (handshake, ACK, FIN).
    pub fn tcp_control(seq: u32, flags: u8) -> Self {
        const NAMES: [(u8, &str); 5] = [
            (0x02, "SYN"),
            (0x10, "ACK"),
            (0x08, "PSH"),
            (0x01, "FIN"),
            (0x04, "RST"),
        ];
        let names: Vec<&str> = NAMES
            .iter()
            .filter(|(bit, _)| flags & bit != 0)
            .map(|(_, n)| *n)
            .collect();
        let info = format!("[{}] seq={seq}", names.join(", "));
        Dissected {
            protocol: Protocol::Tcp,
            turn: false,
            tree: Node::new("TCP segment without payload", 0..0).with_value(&info),
            info,
            inner: None,
        }
    }

    pub(crate) fn data(buf: &[u8], base: usize) -> Self {
        Dissected {
            protocol: Protocol::Data,
            turn: false,
            info: format!("{} bytes", buf.len()),
            tree: Node::leaf(
                "Data",
                format!("{} bytes", buf.len()),
                base..base + buf.len(),
            ),
            inner: None,
        }
    }
}

/// Dissects one UDP payload that starts at `base` in the frame, with default options.
pub fn dissect(buf: &[u8], base: usize) -> Vec<Dissected> {
    dissect_with(buf, base, &DissectOptions::default())
}

/// Dissects one UDP payload that starts at `base` in the frame.
pub fn dissect_with(buf: &[u8], base: usize, opts: &DissectOptions) -> Vec<Dissected> {
    dissect_datagram(buf, base, None, opts)
}

/// Dissects one UDP payload between `ports` (source, destination): on the ports of LAN
/// protocols only STUN is read ([`rtcscope_demux::reserved_port`]), as in the engine.
pub fn dissect_datagram(
    buf: &[u8],
    base: usize,
    ports: Option<(u16, u16)>,
    opts: &DissectOptions,
) -> Vec<Dissected> {
    dissect_datagram_in(buf, base, ports, opts, &mut Cx::stateless())
}

/// [`dissect_datagram`] with state across packets.
pub(crate) fn dissect_datagram_in(
    buf: &[u8],
    base: usize,
    ports: Option<(u16, u16)>,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
) -> Vec<Dissected> {
    let mut out = Vec::with_capacity(1);
    dissect_into(buf, base, 0, ports, opts, cx, &mut out);
    out
}

/// Dissects one UDP payload as SCTP (RFC 6951); data when the common header does not fit.
pub fn dissect_sctp(buf: &[u8], base: usize) -> Vec<Dissected> {
    vec![crate::sctp::sctp(buf, base).unwrap_or_else(|| Dissected::data(buf, base))]
}

/// Dissects the payload of one TCP segment: STUN and ChannelData back to back (TURN over TCP)
/// or RFC 4571 framing. Without stream reassembly a segment is dissected on its own: messages
/// that start and end inside it are shown, the rest is `Data` (`rtcscope analyze` reassembles
/// streams).
pub fn dissect_stream(buf: &[u8], base: usize) -> Vec<Dissected> {
    dissect_stream_with(buf, base, &DissectOptions::default())
}

/// [`dissect_stream`] with options (for the RTP/RTCP carried in RFC 4571 framing).
pub fn dissect_stream_with(buf: &[u8], base: usize, opts: &DissectOptions) -> Vec<Dissected> {
    dissect_stream_in(buf, base, opts, &mut Cx::stateless())
}

/// [`dissect_stream_with`] with state across packets.
pub(crate) fn dissect_stream_in(
    buf: &[u8],
    base: usize,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
) -> Vec<Dissected> {
    let mut out = Vec::new();
    if buf.is_empty() {
        return out;
    }
    // A TLS record header (content type 20-23, version 3.x) at a segment's start marks the
    // connection as TLS.
    if let [20..=23, 3, 0..=4, ..] = buf {
        cx.mark_stream(crate::session::StreamMark::Tls);
    }
    let mut frames = stun::StreamFrames::new(buf);
    let mut pos = 0;
    let mut rejected = false;
    for f in frames.by_ref() {
        let before = pos;
        match f {
            Err(_) => break,
            // The framer only reads the first two bits and the length: a TLS record (0x16 0x03
            // 0x01 ...) frames as a "STUN message" of type 0x1603. Keep a message only when it
            // passes the datagram test (magic cookie, or an RFC 3489 type whose attributes tile).
            Ok(stun::Frame::Stun(m)) if stun::classify(m.as_bytes()).is_none() => {
                rejected = true;
                break;
            }
            Ok(stun::Frame::Stun(m)) => {
                cx.mark_stream(crate::session::StreamMark::Stun);
                out.push(stun_message(&m, base + pos, 0, opts, cx));
                pos += m.as_bytes().len();
            }
            // On a TLS connection, ChannelData is believed once STUN was seen on it or for a
            // channel bound on it: otherwise a TLS segment's bytes 0x40-0x7f read as TURN.
            Ok(stun::Frame::ChannelData(c))
                if !cx.channel_believable_on_stream(c.channel_number()) =>
            {
                rejected = true;
                break;
            }
            Ok(stun::Frame::ChannelData(c)) => {
                out.push(channel_data(&c, base + pos, 0, opts, cx));
                pos += c.wire_len();
            }
        }
        // Progress: each frame is at least its 4-byte (ChannelData) or 20-byte (STUN) header.
        debug_assert!(
            pos >= before + 4,
            "dissect_stream_with: STUN/ChannelData frame walk did not advance"
        );
    }
    debug_assert!(
        rejected || pos == frames.consumed(),
        "dissect_stream_with: STUN/ChannelData frame walk out of step with the framer"
    );
    // In TURN over TCP the byte after a whole ChannelData message starts the next message
    // (0x00-0x7f). One that cannot (0x80 and up) shows the framing was a coincidence: a
    // mid-stream segment of another protocol whose first bytes read as a channel number and a
    // length. The segment is then not TURN at all.
    if buf.get(pos).is_some_and(|&b| b >= 0x80)
        && out.iter().any(|d| d.protocol == Protocol::ChannelData)
    {
        out.clear();
        pos = 0;
    }
    let rest = &buf[pos..];
    if !rest.is_empty() {
        // RFC 4571: a 16-bit length before each packet (ICE-TCP).
        let mut r = rest;
        let mut at = base + pos;
        let mut framed = Vec::new();
        while r.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([r[0], r[1]]));
            // A length of 0 frames nothing (and would only advance by the prefix): stop there.
            if len == 0 || r.len() < 2 + len {
                break;
            }
            let mut inner = Vec::new();
            dissect_into(&r[2..2 + len], at + 2, 0, None, opts, cx, &mut inner);
            if inner.iter().all(|d| d.protocol == Protocol::Data) {
                break;
            }
            rfc4571_length(&mut inner, at, len);
            framed.append(&mut inner);
            at += 2 + len;
            let before = r.len();
            r = &r[2 + len..];
            debug_assert!(
                r.len() + 3 <= before,
                "dissect_stream_with: RFC 4571 frame walk did not advance"
            );
        }
        if !framed.is_empty() && r.is_empty() {
            out.append(&mut framed);
        } else {
            out.push(Dissected::data(rest, base + pos));
        }
    }
    out
}

/// Shows an RFC 4571 frame's 16-bit length (ICE-TCP, RFC 6544 §3) in the tree of the message
/// it frames, the first of `msgs`: a first field at `at`, and the message's range widened to
/// cover it, so the hex view explains every byte of the segment.
pub(crate) fn rfc4571_length(msgs: &mut [Dissected], at: usize, len: usize) {
    if let Some(m) = msgs.first_mut() {
        m.tree.range.start = m.tree.range.start.min(at);
        m.tree.children.insert(
            0,
            Node::leaf(
                "RFC 4571 length",
                format!("{len} bytes (ICE-TCP framing)"),
                at..at + 2,
            ),
        );
    }
}

/// The payload's kind by the demultiplexing rules the engine uses (`rtcscope-demux`), with what
/// one packet tells (any channel may be bound) and what the state remembers (whether the flow
/// carried DTLS before; without state it may have), then its dissector.
pub(crate) fn dissect_into(
    buf: &[u8],
    base: usize,
    depth: u8,
    ports: Option<(u16, u16)>,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
    out: &mut Vec<Dissected>,
) {
    use rtcscope_demux::Kind;
    let context = rtcscope_demux::Context {
        dtls_seen: cx.dtls_seen() && !opts.no_dtls_before,
        ..rtcscope_demux::Context::one_packet(ports)
    };
    let kind = rtcscope_demux::classify(buf, &context);
    if kind == Kind::Dtls {
        cx.mark_dtls();
    }
    let found =
        match kind {
            // Lax: real clients leave the last attribute unpadded; the tree flags it.
            Kind::Stun | Kind::ClassicStun => stun::Message::parse_lax(buf)
                .ok()
                .map(|m| stun_message(&m, base, depth, opts, cx)),
            Kind::Dtls => crate::dtls::dtls(buf, base, cx)
                .inspect(|_| crate::fields::dtls(buf, &mut cx.fields)),
            Kind::ChannelData => stun::ChannelData::parse(buf)
                .ok()
                .map(|c| channel_data(&c, base, depth, opts, cx)),
            Kind::Rtp => crate::rtp::rtp(buf, base, opts)
                .inspect(|_| crate::fields::rtp(buf, &mut cx.fields)),
            Kind::Rtcp => crate::rtcp::rtcp(buf, base, opts)
                .inspect(|_| crate::fields::rtcp(buf, opts, &mut cx.fields)),
            Kind::Sctp | Kind::Unknown => None,
        };
    out.push(found.unwrap_or_else(|| Dissected::data(buf, base)));
}

/// Relays inside relays are followed this deep (the engine's limit too).
const MAX_RELAY_DEPTH: u8 = 2;

/// Dissects a relayed payload (inside ChannelData or a Send/Data indication) with `via` as the
/// relay's part of the reassembly key.
fn relayed(
    data: &[u8],
    base: usize,
    depth: u8,
    via: Via,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
) -> Vec<Dissected> {
    let mut inner = Vec::new();
    if depth < MAX_RELAY_DEPTH {
        let outer_via = std::mem::replace(&mut cx.via, via);
        dissect_into(data, base, depth + 1, None, opts, cx, &mut inner);
        cx.via = outer_via;
    }
    inner
}

/// ` [DTLS Client Hello]` for each recognised inner message.
fn inner_info(inner: &[Dissected]) -> String {
    let mut info = String::new();
    for d in inner {
        if d.protocol != Protocol::Data {
            info.push_str(&format!(" [{} {}]", d.protocol.name(), d.info));
        }
    }
    info
}

fn channel_data(
    c: &stun::ChannelData<'_>,
    base: usize,
    depth: u8,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
) -> Dissected {
    let mut tree = Node::new("TURN ChannelData", base..base + c.wire_len());
    // RFC 5766 allowed 0x4000-0x7FFF; RFC 8656 narrowed it to 0x4000-0x4FFF. Servers such as
    // coturn still hand out the old range, so it is noted, not flagged.
    let range_note = if c.is_rfc8656_channel() {
        ""
    } else {
        " (RFC 5766 range; RFC 8656 uses 0x4000-0x4FFF)"
    };
    tree.add(
        "Channel Number",
        format!("0x{:04x}{range_note}", c.channel_number()),
        base..base + 2,
    );
    tree.add("Length", c.length(), base + 2..base + 4);
    let data_range = c.data_range();
    let ch = c.channel_number();
    // The peer, from a ChannelBind seen earlier on this 5-tuple (stateful dissection only).
    let peer = cx.channel_peer(ch);
    if let Some((p, frame)) = peer {
        tree.add(
            "Peer",
            format!("{p} (bound to the channel in frame {frame})"),
            base..base + 2,
        );
    }
    cx.fields.add_channel_data();
    if let Some((p, _)) = peer {
        cx.fields.add_turn_peer(p.ip());
    }
    let via = peer.map_or(Via::Channel(ch), |(p, _)| Via::Peer(p));
    let inner = relayed(c.data(), base + data_range.start, depth, via, opts, cx);
    let mut info = format!("Channel 0x{ch:04x}, {} bytes", c.length());
    if let Some((p, _)) = peer {
        info.push_str(&format!(" peer={p}"));
    }
    info.push_str(&inner_info(&inner));
    let inner_record = inner_of(&inner, peer.map(|(p, _)| p).into_iter().collect());
    let mut data = Node::leaf(
        "Data",
        format!("{} bytes", c.data().len()),
        base + data_range.start..base + data_range.end,
    );
    data.children.extend(inner.into_iter().map(|d| d.tree));
    tree.push(data);
    if !c.padding().is_empty() {
        tree.add(
            "Padding",
            format!("{} bytes", c.padding().len()),
            base + data_range.end..base + c.wire_len(),
        );
    }
    Dissected {
        protocol: Protocol::ChannelData,
        turn: true,
        info,
        tree,
        inner: Some(inner_record),
    }
}

/// TURN methods (RFC 8656 §17, RFC 6062): everything but Binding.
fn is_turn_method(m: stun::Method) -> bool {
    m != stun::Method::BINDING
}

fn stun_message(
    m: &stun::Message<'_>,
    base: usize,
    depth: u8,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
) -> Dissected {
    let bytes = m.as_bytes();
    let flavor = m.flavor();
    let classic = flavor == stun::Flavor::Rfc3489;
    let mt = m.message_type();
    let mut tree = Node::new(
        if classic {
            "Classic STUN (RFC 3489)"
        } else {
            "Session Traversal Utilities for NAT"
        },
        base..base + bytes.len(),
    );
    tree.add(
        "Message Type",
        format!("{mt} (0x{:04x})", m.raw_type()),
        base..base + 2,
    );
    tree.add("Message Length", m.length(), base + 2..base + 4);
    if let Some(e) = m.length_warning() {
        tree.warn(format!(
            "{} (the last attribute is not padded; accepted, as real clients send it)",
            e.shifted(base)
        ));
    }
    if classic {
        tree.add(
            "Transaction ID",
            format!("{:?}", m.transaction_id()),
            base + 4..base + 20,
        );
    } else {
        tree.add(
            "Magic Cookie",
            format!("0x{:08x}", m.magic_cookie()),
            base + 4..base + 8,
        );
        tree.add(
            "Transaction ID",
            format!("{:?}", m.transaction_id()),
            base + 8..base + 20,
        );
    }
    let transaction = bytes
        .get(if classic { 4 } else { 8 }..20)
        .unwrap_or_default();
    cx.fields.add_stun(m.raw_type(), transaction);
    let mut info = mt.to_string();
    let mut attrs = Node::new("Attributes", base + 20..base + bytes.len());
    // A Send or Data indication carries a datagram to or from XOR-PEER-ADDRESS in DATA
    // (RFC 8656 §10-11): dissected like ChannelData's.
    let indication = m.class() == stun::Class::INDICATION
        && (m.method() == stun::Method::SEND || m.method() == stun::Method::DATA);
    let mut peer = None;
    let mut data_node = None;
    let mut channel_bind = None;
    for a in m.attributes() {
        match a {
            Ok(raw) => {
                let r = raw.range();
                let mut node = Node::new(
                    format!("{:?}", raw.attribute_type()),
                    base + r.start..base + r.end,
                );
                let hr = raw.header_range();
                node.add(
                    "Type",
                    format!("0x{:04x}", raw.attribute_type().0),
                    base + hr.start..base + hr.start + 2,
                );
                node.add(
                    "Length",
                    raw.value().len(),
                    base + hr.start + 2..base + hr.end,
                );
                let vr = raw.value_range();
                match raw.decode() {
                    Ok(attr) => {
                        let (value, short) = describe(&attr);
                        if let Some(s) = short {
                            info.push(' ');
                            info.push_str(&s);
                        }
                        node.value = Some(value.clone());
                        node.add("Value", value, base + vr.start..base + vr.end);
                        match attr {
                            stun::Attribute::XorPeerAddress(p) => {
                                cx.fields.add_turn_peer(p.ip());
                                peer = peer.or(Some(p));
                            }
                            stun::Attribute::ChannelNumber(c) => channel_bind = Some(c),
                            stun::Attribute::Data(d) if indication => {
                                data_node = Some((attrs.children.len(), d, base + vr.start));
                            }
                            _ => {}
                        }
                    }
                    Err(e) => node.warn(e.shifted(base).to_string()),
                }
                attrs.push(node);
            }
            Err(e) => {
                attrs.warn(e.shifted(base).to_string());
                break;
            }
        }
    }
    match m.verify_fingerprint() {
        // FINGERPRINT is the last attribute: 4 bytes of header, 4 of CRC.
        Ok(stun::Check::Valid) => attrs.add(
            "FINGERPRINT check",
            "valid",
            base + bytes.len().saturating_sub(8)..base + bytes.len(),
        ),
        Ok(stun::Check::Absent) => {}
        Err(e) => attrs.warn(format!("FINGERPRINT: {}", e.shifted(base))),
    }
    if let Err(e) = m.check_order() {
        attrs.warn(e.shifted(base).to_string());
    }
    if let (Some(ch), Some(p), true) = (
        channel_bind,
        peer,
        m.method() == stun::Method::CHANNEL_BIND && m.class() == stun::Class::REQUEST,
    ) {
        cx.bind_channel(ch, p);
    }
    let mut inner_record = None;
    if let Some((at, data, data_base)) = data_node {
        let via = peer.map_or(Via::Direct, Via::Peer);
        let inner = relayed(&data, data_base, depth, via, opts, cx);
        info.push_str(&inner_info(&inner));
        inner_record = Some(inner_of(&inner, peer.into_iter().collect()));
        if let Some(node) = attrs.children.get_mut(at) {
            if let Some(value) = node.children.iter_mut().find(|c| c.label == "Value") {
                value.children.extend(inner.into_iter().map(|d| d.tree));
            }
        }
    }
    tree.push(attrs);
    Dissected {
        protocol: if classic {
            Protocol::ClassicStun
        } else {
            Protocol::Stun
        },
        turn: is_turn_method(m.method()),
        info,
        tree,
        inner: inner_record,
    }
}

/// The value shown in the tree, and what (if anything) goes into the summary line.
fn describe(a: &stun::Attribute<'_>) -> (String, Option<String>) {
    use stun::Attribute as A;
    match a {
        A::XorMappedAddress(s) => (s.to_string(), Some(format!("mapped={s}"))),
        A::MappedAddress(s) => (s.to_string(), Some(format!("mapped={s}"))),
        A::XorRelayedAddress(s) => (s.to_string(), Some(format!("relayed={s}"))),
        A::XorPeerAddress(s) => (s.to_string(), Some(format!("peer={s}"))),
        A::OtherAddress(s) | A::ChangedAddress(s) => (s.to_string(), Some(format!("other={s}"))),
        A::ResponseOrigin(s) | A::SourceAddress(s) => (s.to_string(), Some(format!("origin={s}"))),
        A::Username(u) => (u.to_string(), Some(format!("user={u}"))),
        A::Realm(r) => (r.to_string(), Some(format!("realm={r}"))),
        A::Nonce(n) => (n.to_string(), None),
        A::Software(s) => (s.to_string(), None),
        A::ErrorCode { code, reason } => (
            format!("{} {reason}", code.0),
            Some(format!("error={} {reason}", code.0)),
        ),
        A::Lifetime(l) => (format!("{l} s"), Some(format!("lifetime={l}"))),
        A::ChannelNumber(c) => (format!("0x{c:04x}"), Some(format!("channel=0x{c:04x}"))),
        A::Priority(p) => (p.to_string(), None),
        A::UseCandidate => (String::new(), Some("USE-CANDIDATE".to_owned())),
        A::IceControlling(t) => (
            format!("tie-breaker 0x{t:016x}"),
            Some("controlling".into()),
        ),
        A::IceControlled(t) => (format!("tie-breaker 0x{t:016x}"), Some("controlled".into())),
        A::ChangeRequest {
            change_ip,
            change_port,
        } => (
            format!("change IP: {change_ip}, change port: {change_port}"),
            Some(format!(
                "change={}{}",
                if *change_ip { "ip" } else { "" },
                if *change_port { "port" } else { "" }
            )),
        ),
        A::RequestedTransport(t) => (format!("{t:?}"), None),
        A::Data(d) => (
            format!("{} bytes", d.len()),
            Some(format!("data={}B", d.len())),
        ),
        A::MessageIntegrity(h) => (hex(h), None),
        A::MessageIntegritySha256(h) => (hex(h), None),
        A::Fingerprint(f) => (format!("0x{f:08x}"), None),
        A::Other { typ, value } => (format!("{typ}: {} bytes", value.len()), None),
        A::ResponseAddress(s)
        | A::ReflectedFrom(s)
        | A::AlternateServer(s)
        | A::XorMappedAddressDraft(s) => (s.to_string(), None),
        A::Userhash(h) => (hex(h), None),
        A::Password(p) | A::Padding(p) => (format!("{} bytes", p.len()), None),
        A::UnknownAttributes(list) => (
            list.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            None,
        ),
        A::PasswordAlgorithms(algs) => (
            algs.iter()
                .map(|(a, _)| a.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            None,
        ),
        A::PasswordAlgorithm { algorithm, params } => (
            if params.is_empty() {
                algorithm.to_string()
            } else {
                format!("{algorithm}, parameters {}", hex(params))
            },
            None,
        ),
        A::AlternateDomain(d) | A::Origin(d) => (d.to_string(), None),
        A::ResponsePort(p) => (p.to_string(), None),
        A::CacheTimeout(t) => (format!("{t} s"), None),
        A::RequestedAddressFamily(f) | A::AdditionalAddressFamily(f) => (f.to_string(), None),
        A::EvenPort { reserve_next } => (
            format!("reserve next port: {}", yes_no(*reserve_next)),
            None,
        ),
        A::DontFragment => (String::new(), None),
        A::ReservationToken(t) => (hex(t), None),
        A::AddressErrorCode {
            family,
            code,
            reason,
        } => (format!("{family}: {} {reason}", code.0), None),
        A::Icmp {
            icmp_type,
            code,
            error_data,
        } => (
            format!("type {icmp_type}, code {code}, error data 0x{error_data:08x}"),
            None,
        ),
        A::ConnectionId(c) => (format!("0x{c:08x}"), None),
        A::GoogNetworkInfo {
            network_id,
            network_cost,
        } => (
            format!("network id {network_id}, network cost {network_cost}"),
            None,
        ),
        // A variant added to the STUN crate later: named by its type, never Debug-printed.
        other => (
            format!("{} (not decoded here)", other.attribute_type()),
            None,
        ),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
