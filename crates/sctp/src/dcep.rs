//! The Data Channel Establishment Protocol (RFC 8832), carried in DATA chunks with PPID 50,
//! and the older draft-jesup-rtcweb-data-protocol messages usrsctp's rtcweb demo sends.
//!
//! DATA_CHANNEL_OPEN (RFC 8832 §5.1):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Message Type |  Channel Type |            Priority           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Reliability Parameter                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Label Length          |       Protocol Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                             Label                             \
//! \                            Protocol                           \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! DATA_CHANNEL_ACK (§5.2) is the message type byte alone.
//!
//! Legacy (draft-jesup-rtcweb-data-protocol-00, usrsctp `rtcweb.c`): OPEN_REQUEST 0x00 =
//! type, channel type, flags (u16, 0x0001 = out of order allowed), reliability parameter
//! (u16), priority (i16), label (the rest, possibly NUL-terminated); OPEN_RESPONSE 0x01 = type,
//! error (u8), flags (u16), reverse stream (u16); ACK 0x02 as today.

use crate::enums::{ChannelType, DcepMessageType, Reliability};
use crate::Span;
use rtcscope_wire::{Error, ErrorKind, Layer, Reader, Result};

/// DATA_CHANNEL_OPEN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataChannelOpen<'a> {
    /// Channel type.
    pub channel_type: ChannelType,
    /// Priority (RFC 8831 §6.4 uses 128 below-normal, 256 normal, 512 high, 1024 extra high).
    pub priority: u16,
    /// Reliability parameter (retransmissions or milliseconds, per channel type).
    pub reliability_parameter: u32,
    /// Label (UTF-8 per the RFC; see [`DataChannelOpen::label_str`]).
    pub label: Span<'a>,
    /// Protocol (a registered WebSocket subprotocol name, or empty).
    pub protocol: Span<'a>,
}

impl<'a> DataChannelOpen<'a> {
    /// The label as text.
    pub fn label_str(&self) -> Result<&'a str> {
        text(self.label, "label")
    }
    /// The protocol as text.
    pub fn protocol_str(&self) -> Result<&'a str> {
        text(self.protocol, "protocol")
    }
    /// Reliability as channel type and parameter describe it.
    pub const fn reliability(&self) -> Reliability {
        self.channel_type.reliability(self.reliability_parameter)
    }
}

fn text<'a>(s: Span<'a>, field: &'static str) -> Result<&'a str> {
    core::str::from_utf8(s.bytes)
        .map_err(|_| Error::new(Layer::Dcep, s.offset, field, ErrorKind::BadText))
}

/// Legacy DATA_CHANNEL_OPEN_REQUEST (draft-jesup).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyOpenRequest<'a> {
    /// Channel type (0 reliable, 1 partial reliable rexmit, 2 partial reliable timed).
    pub channel_type: ChannelType,
    /// Flags (0x0001 = out of order allowed).
    pub flags: u16,
    /// Reliability parameter.
    pub reliability_parameter: u16,
    /// Priority (signed).
    pub priority: i16,
    /// Label bytes (the rest of the message, trailing NULs included).
    pub label: Span<'a>,
}

impl<'a> LegacyOpenRequest<'a> {
    /// The label without trailing NULs, as text.
    pub fn label_str(&self) -> Result<&'a str> {
        let end = self
            .label
            .bytes
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |p| p + 1);
        text(
            Span {
                bytes: &self.label.bytes[..end],
                offset: self.label.offset,
            },
            "label",
        )
    }
    /// True when the out-of-order flag is set.
    pub const fn unordered(&self) -> bool {
        self.flags & 1 != 0
    }
}

/// A DCEP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DcepMessage<'a> {
    /// DATA_CHANNEL_OPEN (RFC 8832).
    Open(DataChannelOpen<'a>),
    /// DATA_CHANNEL_ACK. `trailing` holds bytes after the type byte: RFC 8832 §5.2 defines a
    /// one-byte message, but pion marshals four bytes; kept visible instead of rejected.
    Ack {
        /// Bytes after the message type (empty when conformant).
        trailing: Span<'a>,
    },
    /// Legacy DATA_CHANNEL_OPEN_REQUEST.
    LegacyOpenRequest(LegacyOpenRequest<'a>),
    /// Legacy DATA_CHANNEL_OPEN_RESPONSE.
    LegacyOpenResponse {
        /// Error code (0 = none).
        error: u8,
        /// Flags.
        flags: u16,
        /// The stream the peer uses in the reverse direction.
        reverse_stream: u16,
    },
}

impl<'a> DcepMessage<'a> {
    /// Parses a DCEP message (the user data of a DATA chunk with PPID 50) at absolute `base`.
    pub fn parse(bytes: &'a [u8], base: usize) -> Result<Self> {
        let mut r = Reader::with_base(bytes, base, Layer::Dcep);
        let t = DcepMessageType(r.u8("message type")?);
        let m = match t {
            DcepMessageType::OPEN => {
                let channel_type = ChannelType(r.u8("channel type")?);
                let priority = r.u16("priority")?;
                let reliability_parameter = r.u32("reliability parameter")?;
                let label_len = r.u16("label length")? as usize;
                let protocol_len = r.u16("protocol length")? as usize;
                let label = Span::of(&r.sub(label_len, "label")?);
                let protocol = Span::of(&r.sub(protocol_len, "protocol")?);
                r.expect_end("DATA_CHANNEL_OPEN")?;
                DcepMessage::Open(DataChannelOpen {
                    channel_type,
                    priority,
                    reliability_parameter,
                    label,
                    protocol,
                })
            }
            DcepMessageType::ACK => DcepMessage::Ack {
                trailing: Span::of(&r.sub(r.remaining(), "trailing")?),
            },
            DcepMessageType::LEGACY_OPEN_REQUEST => {
                let channel_type = ChannelType(r.u8("channel type")?);
                let flags = r.u16("flags")?;
                let reliability_parameter = r.u16("reliability parameter")?;
                let priority = r.u16("priority")? as i16;
                let label = Span::of(&r.sub(r.remaining(), "label")?);
                DcepMessage::LegacyOpenRequest(LegacyOpenRequest {
                    channel_type,
                    flags,
                    reliability_parameter,
                    priority,
                    label,
                })
            }
            DcepMessageType::LEGACY_OPEN_RESPONSE => {
                let error = r.u8("error")?;
                let flags = r.u16("flags")?;
                let reverse_stream = r.u16("reverse stream")?;
                r.expect_end("DATA_CHANNEL_OPEN_RESPONSE")?;
                DcepMessage::LegacyOpenResponse {
                    error,
                    flags,
                    reverse_stream,
                }
            }
            other => {
                return Err(Error::bad_value(
                    Layer::Dcep,
                    base,
                    "message type",
                    "0x03 OPEN or 0x02 ACK (0x00/0x01: legacy draft)",
                    other.0 as u64,
                ))
            }
        };
        Ok(m)
    }

    /// True for the legacy draft messages.
    pub const fn is_legacy(&self) -> bool {
        matches!(
            self,
            DcepMessage::LegacyOpenRequest(_) | DcepMessage::LegacyOpenResponse { .. }
        )
    }
}

/// Owned DATA_CHANNEL_OPEN for building messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataChannelOpenRepr {
    /// Channel type.
    pub channel_type: ChannelType,
    /// Priority.
    pub priority: u16,
    /// Reliability parameter.
    pub reliability_parameter: u32,
    /// Label.
    pub label: Vec<u8>,
    /// Protocol.
    pub protocol: Vec<u8>,
}

impl DataChannelOpenRepr {
    /// From a view.
    pub fn from_view(o: &DataChannelOpen<'_>) -> Self {
        DataChannelOpenRepr {
            channel_type: o.channel_type,
            priority: o.priority,
            reliability_parameter: o.reliability_parameter,
            label: o.label.bytes.to_vec(),
            protocol: o.protocol.bytes.to_vec(),
        }
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12 + self.label.len() + self.protocol.len());
        out.push(DcepMessageType::OPEN.0);
        out.push(self.channel_type.0);
        out.extend_from_slice(&self.priority.to_be_bytes());
        out.extend_from_slice(&self.reliability_parameter.to_be_bytes());
        out.extend_from_slice(&(self.label.len() as u16).to_be_bytes());
        out.extend_from_slice(&(self.protocol.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.label);
        out.extend_from_slice(&self.protocol);
        out
    }
}
