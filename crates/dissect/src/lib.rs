//! rtcscope's per-packet dissector.
//!
//! [`dissect_frame`] turns one captured frame into a summary (addresses, protocols, an info
//! column like tshark's) and a field tree ([`rtcscope_wire::tree::Node`]) whose every node
//! carries its byte range in the frame, for `rtcscope dissect -V` and the TUI's packet and hex
//! views. [`dissect_frame`] is per packet and stateless; [`Dissector`] keeps a little bounded
//! state across packets, as tshark does: IP fragments are reassembled (as `analyze` reassembles
//! them) and the whole datagram dissected on the frame that completes it, DTLS handshake
//! messages fragmented over several records are shown reassembled on the packet that completes
//! them, and TURN ChannelData names the peer its channel was bound to ([`session`] states the
//! caps). `rtcscope analyze`
//! is where the rest of the state across packets (sessions, streams) lives.
//!
//! What a relay carries is dissected in turn (TURN ChannelData, and the DATA of Send and Data
//! indications, with their XOR-PEER-ADDRESS), and listed in [`Dissected::inner`] so that
//! filters can match the protocols and addresses inside. ICMP errors that quote a UDP datagram
//! show the quoted headers and the start of the quoted payload, dissected the same way.
//! Tunnels the link decoder saw through (PPPoE, GTP-U) are shown as layers of the frame tree.
//!
//! Text decoded from the wire (STUN USERNAME, REALM, SOFTWARE, reason phrases, DTLS and SCTP
//! names) is kept as it came, in the info column and in the tree, so `--json` stays exact;
//! every text output escapes it with [`rtcscope_wire::text`] (the tree's own
//! [`Node::render`] does).
//!
//! What a session would know and a single packet cannot show (the negotiated header-extension
//! IDs, whether and how RTP is protected, which UDP port carries SCTP) comes in through
//! [`DissectOptions`]; [`dissect_frame`] uses the defaults, which never mistake ciphertext for
//! cleartext: RTP payloads are "possibly SRTP ciphertext", and RTCP is cleartext only when its
//! packets tile the datagram exactly.
#![forbid(unsafe_code)]

pub mod datagram;
pub mod decrypted;
mod dtls;
mod fields;
pub mod layers;
mod rtcp;
mod rtp;
mod sctp;
pub mod session;
mod tcp;
mod util;

pub use datagram::{
    dissect, dissect_sctp, dissect_stream, dissect_stream_with, dissect_with, Dissected, Inner,
    Protocol,
};
pub use decrypted::{dissect_decrypted, dissect_decrypted_with, Decrypted, PayloadFormat};
pub use rtcp::MAX_LISTED;
use rtcscope_capture::link::{
    decode, decode_transport, Decoded, Fragment, IcmpError, LinkType, NotTransport, Transport,
    Tunnel,
};
/// The display-filter language ([`Frame::fields`] is what it is evaluated on), re-exported so
/// that the CLI and the TUI parse and match with the very crate that fills the record.
pub use rtcscope_filter as filter;
pub use rtcscope_filter::Fields;
/// The video codecs whose payload descriptors [`dissect_decrypted_with`] reads.
pub use rtcscope_rtp::codec::VideoCodec;
pub use rtcscope_rtp::rtp::ExtensionMap;
pub use rtcscope_rtp::srtp::{Protection, SrtpProfile};
use rtcscope_wire::tree::Node;
pub use rtp::{INFERRED_EXTMAP_NOTE, NO_EXTMAP_NOTE};
use session::{Cx, IpOutcome, State, Via};
use std::net::SocketAddr;

/// What the dissector cannot learn from one packet: the session's negotiated parameters.
#[derive(Clone, Debug, Default)]
pub struct DissectOptions {
    /// RFC 8285 header-extension ID → extension, from the SDP's `a=extmap` lines, or inferred
    /// from the capture's packets by the analysis engine (then [`Self::extmap_inferred`]).
    /// `None`: no id is assumed (senders differ: libwebrtc and Firefox put mid on 4 and 3);
    /// every element shows its raw bytes and says [`NO_EXTMAP_NOTE`].
    pub extmap: Option<ExtensionMap>,
    /// The map was inferred from the packets (rtcscope_rtp::rtp::infer), not negotiated:
    /// every element decoded with it says [`INFERRED_EXTMAP_NOTE`].
    pub extmap_inferred: bool,
    /// How RTP and RTCP are protected. `None` (the default): unknown. RTP headers are shown
    /// and the payload is called possibly SRTP ciphertext (its padding count is not read);
    /// RTCP is cleartext when its packets tile the datagram exactly, else SRTCP.
    /// [`Protection::Clear`] reads everything as cleartext; [`Protection::Srtp`] locates the
    /// SRTP/SRTCP trailer (authentication tag, MKI, SRTCP index).
    pub protection: Option<Protection>,
    /// UDP ports whose payloads are SCTP packets (RFC 6951 encapsulation).
    pub sctp_ports: Vec<u16>,
    /// The caller knows the frame's flow carried no DTLS before it (the analysis engine's
    /// verdict, for a viewer that dissects frames one at a time): a DTLS 1.3 unified header is
    /// then not believed, as the engine and the stateful dissector do not believe it. False
    /// (the default): one frame alone cannot tell, and it is believed.
    pub no_dtls_before: bool,
    /// Leave [`Frame::layers`] empty: for a caller that wants only the summary and the filter's
    /// record (a packet list row), not the header trees.
    pub skip_header_layers: bool,
}

/// One frame, dissected.
pub struct Frame {
    /// Source and destination, when the frame is UDP or TCP.
    pub endpoints: Option<(SocketAddr, SocketAddr)>,
    /// `"UDP"` or `"TCP"`, when it is.
    pub transport: Option<&'static str>,
    /// The frame-level tree (capture metadata; the transport's addresses when [`Self::layers`]
    /// could not show its header).
    pub frame: Node,
    /// The link, network and transport headers, outermost first ([`layers::layers`]): empty
    /// for what they do not cover (GTP-U and other tunnels, which the frame node shows).
    pub layers: Vec<Node>,
    /// The messages found in the payload, each with its tree.
    pub messages: Vec<Dissected>,
    /// A located decoding error of the link, IP or transport layer.
    pub error: Option<String>,
    /// What a display filter ([`rtcscope_filter`]) sees of the frame: its length, IP and
    /// transport headers (an ICMP error's quoted ones too) and the fields of every message,
    /// those inside TURN relays included.
    pub fields: Fields,
}

impl Frame {
    /// The summary's info column: each message's info, `;`-separated. Wire text in it is
    /// unescaped: print it through [`rtcscope_wire::text::Escaped`].
    pub fn info(&self) -> String {
        self.messages
            .iter()
            .map(|d| d.info.as_str())
            .collect::<Vec<_>>()
            .join(" ; ")
    }

    /// The protocol column: the first message's protocol.
    pub fn protocol(&self) -> &'static str {
        self.messages.first().map_or("", |d| d.protocol.name())
    }

    /// Every address the frame is about: its own endpoints, the peers of what it relays
    /// (XOR-PEER-ADDRESS, a bound channel's peer) and the endpoints of a datagram an ICMP
    /// error quotes.
    pub fn addresses(&self) -> Vec<SocketAddr> {
        let mut v: Vec<SocketAddr> = self.endpoints.map(|(s, d)| vec![s, d]).unwrap_or_default();
        for m in &self.messages {
            v.extend_from_slice(m.inner_addresses());
        }
        v
    }
}

/// A dissector that keeps bounded state across the frames it is given in capture order (see
/// [`session`]): IP fragment and DTLS handshake reassembly, and TURN channel bindings.
#[derive(Default)]
pub struct Dissector {
    opts: DissectOptions,
    state: State,
}

impl Dissector {
    /// A dissector with `opts`.
    pub fn new(opts: DissectOptions) -> Self {
        Dissector {
            opts,
            state: State::default(),
        }
    }

    /// Dissects the next frame; `number` labels it and names it in reassembly notes.
    pub fn frame(
        &mut self,
        number: u64,
        ts_nanos: i128,
        link: LinkType,
        data: &[u8],
        orig_len: u32,
    ) -> Frame {
        self.state.tcp_stateful = false;
        let mut cx = Cx {
            frame: number,
            flow: None,
            via: Via::Direct,
            state: Some(&mut self.state),
            fields: Fields::default(),
        };
        dissect_frame_in(number, ts_nanos, link, data, orig_len, &self.opts, &mut cx)
    }

    /// Whether the last frame's TCP payload shows what the stream's reassembly made of it (a
    /// message completed from earlier segments, a retransmission, a segment held after a gap
    /// or holding the start of a message, a segment read alone where the stream was out of
    /// step), which dissecting the frame alone would not show.
    pub fn used_stream_state(&self) -> bool {
        self.state.tcp_stateful
    }

    /// The state across packets (for its counters).
    pub fn state(&self) -> &State {
        &self.state
    }
}

/// Dissects one frame of `link` type with the default [`DissectOptions`]. `number` and
/// `ts_nanos` only label the frame node.
pub fn dissect_frame(
    number: u64,
    ts_nanos: i128,
    link: LinkType,
    data: &[u8],
    orig_len: u32,
) -> Frame {
    dissect_frame_with(
        number,
        ts_nanos,
        link,
        data,
        orig_len,
        &DissectOptions::default(),
    )
}

/// Dissects one frame of `link` type under `opts`. `number` and `ts_nanos` only label the
/// frame node.
pub fn dissect_frame_with(
    number: u64,
    ts_nanos: i128,
    link: LinkType,
    data: &[u8],
    orig_len: u32,
    opts: &DissectOptions,
) -> Frame {
    dissect_frame_in(
        number,
        ts_nanos,
        link,
        data,
        orig_len,
        opts,
        &mut Cx::stateless(),
    )
}

fn dissect_frame_in(
    number: u64,
    ts_nanos: i128,
    link: LinkType,
    data: &[u8],
    orig_len: u32,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
) -> Frame {
    let mut out = frame_tree(number, ts_nanos, link, data, orig_len, opts, cx);
    if !opts.skip_header_layers {
        out.layers = layers::layers(link, data);
        if out.messages.iter().any(|m| m.protocol == Protocol::Arp) {
            out.layers.retain(|l| l.label != layers::ARP_LABEL);
        }
    }
    // The transport's own header node replaces the frame node's one-line summary of it when
    // both describe the same ports (not so under a tunnel, whose inner flow the line names).
    if let (Some((src, dst)), Some(t)) = (out.endpoints, out.layers.last()) {
        let ports = format!("Src Port: {}, Dst Port: {}", src.port(), dst.port());
        if t.label.contains(&ports) {
            let line = format!("{src} → {dst}");
            out.frame.children.retain(|c| {
                !(matches!(c.label.as_str(), "UDP" | "TCP") && c.value.as_deref() == Some(&line))
            });
        }
    }
    out.fields = std::mem::take(&mut cx.fields);
    out.fields.set_frame_len(orig_len);
    out.fields.set_frame_number(number);
    out
}

/// `2026-11-22 06:32:01.123456789 UTC`.
fn arrival_time(ts_nanos: i128) -> String {
    match i64::try_from(ts_nanos) {
        Ok(ns) => chrono::DateTime::from_timestamp_nanos(ns)
            .format("%Y-%m-%d %H:%M:%S%.9f UTC")
            .to_string(),
        Err(_) => "out of range".to_owned(),
    }
}

fn frame_tree(
    number: u64,
    ts_nanos: i128,
    link: LinkType,
    data: &[u8],
    orig_len: u32,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
) -> Frame {
    let mut frame = Node::new(
        format!(
            "Frame {number}: {orig_len} bytes on wire, {} captured",
            data.len()
        ),
        0..data.len(),
    );
    frame.add("Arrival time", arrival_time(ts_nanos), 0..0);
    frame.add(
        "Epoch time",
        format!(
            "{}.{:09} s",
            ts_nanos.div_euclid(1_000_000_000),
            ts_nanos.rem_euclid(1_000_000_000)
        ),
        0..0,
    );
    frame.add("Link type", link, 0..0);
    if (data.len() as u64) < u64::from(orig_len) {
        frame.warn("cut by the snapshot length");
    }
    match decode(link, data) {
        Ok(Ok(d)) => transport_frame(&d, frame, opts, cx),
        Ok(Err(NotTransport::Fragment(f))) if cx.state.is_some() => {
            fragment_frame(&f, data, number, ts_nanos, frame, opts, cx)
        }
        Ok(Err(NotTransport::IcmpError(e))) => {
            frame.push(Node::leaf(
                if e.v6 { "IPv6" } else { "IPv4" },
                format!("{} → {}", e.from, e.to),
                0..e.offset,
            ));
            let message = icmp_error(&e, opts, cx);
            Frame {
                endpoints: None,
                transport: None,
                frame,
                layers: Vec::new(),
                messages: vec![message],
                error: None,
                fields: Fields::default(),
            }
        }
        Ok(Err(not)) => {
            if let NotTransport::OtherProtocol(p) = not {
                if let Some((src, dst)) = rtcscope_capture::link::ip_addresses(link, data) {
                    cx.fields.add_ip(src, dst);
                }
                if p == 1 || p == 58 {
                    cx.fields.add_protocol(rtcscope_filter::Proto::Icmp);
                }
            }
            let arp = match not {
                NotTransport::NotIp(0x0806) => layers::arp_node(link, data),
                _ => None,
            };
            let message = match arp {
                // ARP is the message: its node leaves the header layers (below).
                Some(node) => Dissected {
                    protocol: Protocol::Arp,
                    info: node.value.clone().unwrap_or_default(),
                    tree: node,
                    ..Dissected::other(String::new())
                },
                None => {
                    let what = not_transport(&not);
                    frame.add("Not dissected", &what, 0..data.len());
                    Dissected::other(what)
                }
            };
            Frame {
                endpoints: None,
                transport: None,
                frame,
                layers: Vec::new(),
                messages: vec![message],
                error: None,
                fields: Fields::default(),
            }
        }
        Err(e) => {
            frame.warn(e.to_string());
            Frame {
                endpoints: None,
                transport: None,
                frame,
                layers: Vec::new(),
                messages: vec![Dissected::other(format!("malformed: {e}"))],
                error: Some(e.to_string()),
                fields: Fields::default(),
            }
        }
    }
}

/// A UDP or TCP packet (or a reassembled datagram) under `frame`: the transport node, and the
/// messages of its payload.
fn transport_frame(
    d: &Decoded<'_>,
    mut frame: Node,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
) -> Frame {
    let proto = match d.transport {
        Transport::Udp => "UDP",
        Transport::Tcp { .. } => "TCP",
    };
    let header_len = match d.transport {
        Transport::Udp => 8,
        Transport::Tcp { .. } => 20,
    };
    for t in d.tunnels.iter() {
        frame.push(tunnel_node(t));
        if let Tunnel::GtpU { src, dst, .. } = *t {
            cx.fields.add_flow(src, dst, false);
        }
    }
    cx.fields
        .add_flow(d.src, d.dst, matches!(d.transport, Transport::Tcp { .. }));
    cx.flow = Some((d.src, d.dst));
    frame.push(Node::leaf(
        proto,
        format!("{} → {}", d.src, d.dst),
        d.payload_offset.saturating_sub(header_len)..d.payload_offset,
    ));
    if d.payload.len() < d.payload_len_on_wire {
        frame.warn(format!(
            "payload cut: {} of {} bytes captured",
            d.payload.len(),
            d.payload_len_on_wire
        ));
    }
    let sctp_port = opts
        .sctp_ports
        .iter()
        .any(|&p| p == d.src.port() || p == d.dst.port());
    let mut messages = match d.transport {
        Transport::Udp if sctp_port => {
            fields::sctp(d.payload, &mut cx.fields);
            dissect_sctp(d.payload, d.payload_offset)
        }
        Transport::Udp => datagram::dissect_datagram_in(
            d.payload,
            d.payload_offset,
            Some((d.src.port(), d.dst.port())),
            opts,
            cx,
        ),
        Transport::Tcp { seq, flags } => {
            tcp::dissect_segment(d.payload, d.payload_offset, seq, flags, opts, cx)
        }
    };
    if let (Transport::Tcp { seq, flags }, true) = (d.transport, messages.is_empty()) {
        messages.push(Dissected::tcp_control(seq, flags));
    }
    Frame {
        endpoints: Some((d.src, d.dst)),
        transport: Some(proto),
        frame,
        layers: Vec::new(),
        messages,
        error: None,
        fields: Fields::default(),
    }
}

/// An IP fragment, with state: shown as a fragment, and on the frame that completes its
/// datagram, the whole datagram dissected. Its nodes span this fragment's bytes in the frame
/// (the datagram is not in this frame as one piece, as a reassembled DTLS message is not).
fn fragment_frame(
    f: &Fragment<'_>,
    data: &[u8],
    number: u64,
    ts_nanos: i128,
    mut frame: Node,
    opts: &DissectOptions,
    cx: &mut Cx<'_>,
) -> Frame {
    // Where the fragment's bytes lie in the frame (they are a piece of it).
    let at = {
        let start = (f.data.as_ptr() as usize).wrapping_sub(data.as_ptr() as usize);
        match start.checked_add(f.data.len()) {
            Some(end) if end <= data.len() => start..end,
            _ => 0..data.len(),
        }
    };
    let v6 = f.src.is_ipv6();
    let ip = if v6 { "IPv6" } else { "IPv4" };
    cx.fields.add_ip(f.src, f.dst);
    let fragment = format!(
        "{ip} fragment, id 0x{:x}, offset {}, {} bytes{}",
        f.id,
        f.offset,
        f.data.len(),
        if f.more { ", more follow" } else { ", last" }
    );
    let outcome = match cx.state.as_deref_mut() {
        Some(st) => st.ip_fragment(f, number, ts_nanos),
        None => IpOutcome::Pending,
    };
    match outcome {
        IpOutcome::Pending => {
            frame.add("IP fragment", &fragment, at);
            let info = format!(
                "IP fragment (offset {}{}), part of datagram id 0x{:x}",
                f.offset,
                if f.more { ", more follow" } else { "" },
                f.id
            );
            Frame {
                endpoints: None,
                transport: None,
                frame,
                layers: Vec::new(),
                messages: vec![Dissected::other(info)],
                error: None,
                fields: Fields::default(),
            }
        }
        IpOutcome::Complete(r, frames, more) => {
            let list = dtls::frame_list(&frames, more);
            frame.add("IP fragment", &fragment, at.clone());
            let whole =
                Node::new(format!("Reassembled {ip} datagram"), at.clone()).with_value(format!(
                    "{} bytes, protocol {}, {} → {}, reassembled from frames {list}",
                    r.payload.len(),
                    r.protocol,
                    r.src,
                    r.dst
                ));
            let mut out = match decode_transport(r.protocol, r.src, r.dst, &r.payload) {
                Ok(Ok(d)) => transport_frame(&d, whole, opts, cx),
                Ok(Err(not)) => {
                    let what = format!(
                        "{ip} datagram reassembled from frames {list}: {}",
                        not_transport(&not)
                    );
                    Frame {
                        endpoints: None,
                        transport: None,
                        frame: whole,
                        layers: Vec::new(),
                        messages: vec![Dissected::other(what)],
                        error: None,
                        fields: Fields::default(),
                    }
                }
                Err(e) => {
                    let mut whole = whole;
                    whole.warn(e.to_string());
                    Frame {
                        endpoints: None,
                        transport: None,
                        frame: whole,
                        layers: Vec::new(),
                        messages: vec![Dissected::other(format!("malformed: {e}"))],
                        error: Some(e.to_string()),
                        fields: Fields::default(),
                    }
                }
            };
            set_range(&mut out.frame, &at);
            for m in &mut out.messages {
                set_range(&mut m.tree, &at);
            }
            frame.push(out.frame);
            out.frame = frame;
            out
        }
    }
}

fn set_range(n: &mut Node, at: &std::ops::Range<usize>) {
    n.range = at.clone();
    for c in &mut n.children {
        set_range(c, at);
    }
}

/// Why a decoded IP packet has no UDP or TCP payload.
fn not_transport(not: &NotTransport<'_>) -> String {
    match not {
        NotTransport::NotIp(t) => format!("not IP (type 0x{t:04x})"),
        NotTransport::OtherProtocol(p) => format!("IP protocol {p}"),
        NotTransport::Fragment(f) => format!(
            "IP fragment (id 0x{:x}, offset {}{})",
            f.id,
            f.offset,
            if f.more { ", more follow" } else { "" }
        ),
        NotTransport::IcmpError(e) => e.describe(),
    }
}

fn tunnel_node(t: &Tunnel) -> Node {
    match *t {
        Tunnel::Pppoe {
            session,
            ppp_protocol,
            offset,
        } => {
            let mut n = Node::new("PPPoE Session", offset..offset + 8).with_value(format!(
                "session 0x{session:04x}, PPP protocol 0x{ppp_protocol:04x} ({})",
                if ppp_protocol == 0x0021 {
                    "IPv4"
                } else {
                    "IPv6"
                }
            ));
            n.add("Version/type", "0x11", offset..offset + 1);
            n.add("Code", "session data (0x00)", offset + 1..offset + 2);
            n.add(
                "Session ID",
                format!("0x{session:04x}"),
                offset + 2..offset + 4,
            );
            n.add(
                "PPP protocol",
                format!("0x{ppp_protocol:04x}"),
                offset + 6..offset + 8,
            );
            n
        }
        Tunnel::GtpU {
            src,
            dst,
            teid,
            sequence,
            extensions,
            offset,
            header_len,
        } => {
            let mut n = Node::new("GTP-U G-PDU", offset..offset + header_len)
                .with_value(format!("{src} → {dst}, TEID 0x{teid:08x}"));
            n.add("Message type", "G-PDU (0xff)", offset + 1..offset + 2);
            n.add("TEID", format!("0x{teid:08x}"), offset + 4..offset + 8);
            if let Some(seq) = sequence {
                n.add("Sequence number", seq, offset + 8..offset + 10);
            }
            if extensions > 0 {
                n.add(
                    "Extension headers",
                    extensions,
                    offset + 12..offset + header_len,
                );
            }
            n
        }
    }
}

/// An ICMP error quoting a UDP datagram: its type and code, the quoted addresses and ports,
/// and the quoted start of the payload, dissected as a UDP payload would be.
fn icmp_error(e: &IcmpError<'_>, opts: &DissectOptions, cx: &mut Cx<'_>) -> Dissected {
    cx.fields.add_ip(e.from, e.to);
    cx.fields.add_protocol(rtcscope_filter::Proto::Icmp);
    cx.fields.add_flow(e.quoted_src, e.quoted_dst, false);
    let what = e.describe();
    let end = e.quoted_payload_offset + e.quoted_payload.len();
    let mut tree = Node::new(
        if e.v6 {
            "Internet Control Message Protocol v6"
        } else {
            "Internet Control Message Protocol"
        },
        e.offset..end,
    )
    .with_value(&what);
    tree.add("Type", e.icmp_type, e.offset..e.offset + 1);
    tree.add("Code", e.code, e.offset + 1..e.offset + 2);
    let mut quoted = Node::new("Quoted datagram", e.quoted_offset..end)
        .with_value(format!("UDP {} → {}", e.quoted_src, e.quoted_dst));
    let udp_at = e.quoted_payload_offset - 8;
    quoted.add(
        if e.v6 { "IPv6 header" } else { "IPv4 header" },
        format!("{} → {}", e.quoted_src.ip(), e.quoted_dst.ip()),
        e.quoted_offset..udp_at,
    );
    quoted.add(
        "UDP header",
        format!(
            "{} → {}, length {}",
            e.quoted_src.port(),
            e.quoted_dst.port(),
            e.quoted_udp_len
        ),
        udp_at..e.quoted_payload_offset,
    );
    let on_wire = usize::from(e.quoted_udp_len).saturating_sub(8);
    let mut inner = Vec::new();
    if !e.quoted_payload.is_empty() {
        quoted.add(
            "Quoted payload",
            format!("{} of {} bytes", e.quoted_payload.len(), on_wire),
            e.quoted_payload_offset..end,
        );
        // The quote may stop short of the payload's end: what fits is dissected, and a
        // message cut by the quote shows as cut.
        // Without the state across packets: a quote is not the datagram a second time.
        let state = cx.state.take();
        inner = datagram::dissect_datagram_in(
            e.quoted_payload,
            e.quoted_payload_offset,
            Some((e.quoted_src.port(), e.quoted_dst.port())),
            opts,
            cx,
        );
        cx.state = state;
        quoted.children.extend(inner.iter().map(|d| d.tree.clone()));
    }
    tree.push(quoted);
    let mut info = format!("{what} for UDP {} → {}", e.quoted_src, e.quoted_dst);
    for d in &inner {
        if d.protocol != Protocol::Data {
            info.push_str(&format!(" [{} {}]", d.protocol.name(), d.info));
        }
    }
    let mut protocols = Vec::new();
    for d in &inner {
        protocols.extend(d.protocols());
    }
    Dissected {
        protocol: Protocol::Icmp,
        turn: false,
        info,
        tree,
        inner: Some(Inner {
            addresses: vec![e.quoted_src, e.quoted_dst],
            protocols,
        }),
    }
}
