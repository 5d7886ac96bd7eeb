//! rtcscope's per-packet dissector.
//!
//! [`dissect_frame`] turns one captured frame into a summary (addresses, protocols, an info
//! column like tshark's) and a field tree ([`rtcscope_wire::tree::Node`]) whose every node
//! carries its byte range in the frame, for `rtcscope dissect -V` and the TUI's packet and hex
//! views. Dissection is per packet and stateless; `rtcscope analyze` is where state across
//! packets (reassembly, sessions) lives.
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
mod dtls;
mod rtcp;
mod rtp;
mod sctp;
mod util;

pub use datagram::{
    dissect, dissect_sctp, dissect_stream, dissect_stream_with, dissect_with, Dissected, Protocol,
};
pub use rtcp::MAX_LISTED;
use rtcscope_capture::link::{decode, LinkType, NotTransport, Transport};
pub use rtcscope_rtp::rtp::ExtensionMap;
pub use rtcscope_rtp::srtp::{Protection, SrtpProfile};
use rtcscope_wire::tree::Node;
pub use rtp::DEFAULT_EXTMAP_NOTE;
use std::net::SocketAddr;

/// What the dissector cannot learn from one packet: the session's negotiated parameters.
#[derive(Clone, Debug, Default)]
pub struct DissectOptions {
    /// RFC 8285 header-extension ID → extension, from the SDP's `a=extmap` lines. `None`: the
    /// IDs of libwebrtc's default offer, and every element so decoded says
    /// [`DEFAULT_EXTMAP_NOTE`].
    pub extmap: Option<ExtensionMap>,
    /// How RTP and RTCP are protected. `None` (the default): unknown. RTP headers are shown
    /// and the payload is called possibly SRTP ciphertext (its padding count is not read);
    /// RTCP is cleartext when its packets tile the datagram exactly, else SRTCP.
    /// [`Protection::Clear`] reads everything as cleartext; [`Protection::Srtp`] locates the
    /// SRTP/SRTCP trailer (authentication tag, MKI, SRTCP index).
    pub protection: Option<Protection>,
    /// UDP ports whose payloads are SCTP packets (RFC 6951 encapsulation).
    pub sctp_ports: Vec<u16>,
}

/// One frame, dissected.
pub struct Frame {
    /// Source and destination, when the frame is UDP or TCP.
    pub endpoints: Option<(SocketAddr, SocketAddr)>,
    /// `"UDP"` or `"TCP"`, when it is.
    pub transport: Option<&'static str>,
    /// The frame-level tree (capture metadata, transport header).
    pub frame: Node,
    /// The messages found in the payload, each with its tree.
    pub messages: Vec<Dissected>,
    /// A located decoding error of the link, IP or transport layer.
    pub error: Option<String>,
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
    let mut frame = Node::new(
        format!(
            "Frame {number}: {orig_len} bytes on wire, {} captured",
            data.len()
        ),
        0..data.len(),
    );
    frame.add("Capture time (ns since epoch)", ts_nanos, 0..0);
    frame.add("Link type", link, 0..0);
    if (data.len() as u64) < u64::from(orig_len) {
        frame.warn("cut by the snapshot length");
    }
    match decode(link, data) {
        Ok(Ok(d)) => {
            let proto = match d.transport {
                Transport::Udp => "UDP",
                Transport::Tcp { .. } => "TCP",
            };
            let header_len = match d.transport {
                Transport::Udp => 8,
                Transport::Tcp { .. } => 20,
            };
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
                Transport::Udp if sctp_port => dissect_sctp(d.payload, d.payload_offset),
                Transport::Udp => datagram::dissect_datagram(
                    d.payload,
                    d.payload_offset,
                    Some((d.src.port(), d.dst.port())),
                    opts,
                ),
                Transport::Tcp { .. } => dissect_stream_with(d.payload, d.payload_offset, opts),
            };
            if let (Transport::Tcp { seq, flags }, true) = (d.transport, messages.is_empty()) {
                messages.push(Dissected::tcp_control(seq, flags));
            }
            Frame {
                endpoints: Some((d.src, d.dst)),
                transport: Some(proto),
                frame,
                messages,
                error: None,
            }
        }
        Ok(Err(not)) => {
            let what = match not {
                NotTransport::NotIp(t) => format!("not IP (type 0x{t:04x})"),
                NotTransport::OtherProtocol(p) => format!("IP protocol {p}"),
                NotTransport::Fragment(f) => format!(
                    "IP fragment (id 0x{:x}, offset {}{})",
                    f.id,
                    f.offset,
                    if f.more { ", more follow" } else { "" }
                ),
            };
            frame.add("Not dissected", &what, 0..data.len());
            Frame {
                endpoints: None,
                transport: None,
                frame,
                messages: vec![Dissected::other(what)],
                error: None,
            }
        }
        Err(e) => {
            frame.warn(e.to_string());
            Frame {
                endpoints: None,
                transport: None,
                frame,
                messages: vec![Dissected::other(format!("malformed: {e}"))],
                error: Some(e.to_string()),
            }
        }
    }
}
