//! Located parse errors.

use core::fmt;

/// The protocol layer a parse error belongs to.
///
/// One enum for the whole project keeps error messages uniform ("STUN at byte 24: …") and lets a
/// capture-level report group errors by layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Layer {
    /// STUN (RFC 8489 / 5389) and classic STUN (RFC 3489).
    Stun,
    /// TURN ChannelData framing (RFC 8656 §12.4).
    ChannelData,
    /// RTP (RFC 3550).
    Rtp,
    /// RTP header extensions (RFC 8285).
    RtpExtension,
    /// RTCP (RFC 3550 and its extensions).
    Rtcp,
    /// SDP (RFC 8866).
    Sdp,
    /// DTLS record layer.
    DtlsRecord,
    /// DTLS handshake messages.
    DtlsHandshake,
    /// SCTP common header and chunks (RFC 9260).
    Sctp,
    /// WebRTC data channel establishment protocol (RFC 8832).
    Dcep,
    /// Capture file framing (pcap / pcapng).
    CaptureFile,
    /// Link layer (Ethernet, Linux cooked, loopback).
    Link,
    /// IPv4 or IPv6.
    Ip,
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// RFC 4571 framing of datagrams over a stream.
    Rfc4571,
}

impl Layer {
    /// A short human-readable name, as printed in error messages.
    pub const fn name(self) -> &'static str {
        match self {
            Layer::Stun => "STUN",
            Layer::ChannelData => "ChannelData",
            Layer::Rtp => "RTP",
            Layer::RtpExtension => "RTP header extension",
            Layer::Rtcp => "RTCP",
            Layer::Sdp => "SDP",
            Layer::DtlsRecord => "DTLS record",
            Layer::DtlsHandshake => "DTLS handshake",
            Layer::Sctp => "SCTP",
            Layer::Dcep => "DCEP",
            Layer::CaptureFile => "capture file",
            Layer::Link => "link layer",
            Layer::Ip => "IP",
            Layer::Udp => "UDP",
            Layer::Tcp => "TCP",
            Layer::Rfc4571 => "RFC 4571 framing",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What went wrong, with what was expected and what was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The field needs `needed` bytes but only `available` remain in its container.
    Truncated {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A field has a value the protocol does not allow here.
    BadValue {
        /// What the protocol allows, in words (e.g. `"version 2"`, `"a multiple of 4"`).
        expected: &'static str,
        /// The value found on the wire.
        found: u64,
    },
    /// A length field disagrees with the data around it.
    BadLength {
        /// What the length must satisfy, in words.
        expected: &'static str,
        /// The length found.
        found: usize,
    },
    /// Bytes remained after a structure that must fill its container exactly.
    TrailingBytes {
        /// How many bytes were left over.
        count: usize,
    },
    /// A checksum, CRC or integrity value does not match the computed one.
    Mismatch {
        /// The value computed over the data (truncated to 64 bits for longer digests).
        computed: u64,
        /// The value carried on the wire (truncated likewise).
        found: u64,
    },
    /// Text that must be UTF-8 (or ASCII) is not.
    BadText,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ErrorKind::Truncated { needed, available } => {
                write!(f, "truncated: needs {needed} bytes, {available} available")
            }
            ErrorKind::BadValue { expected, found } => {
                write!(f, "expected {expected}, found {found} (0x{found:x})")
            }
            ErrorKind::BadLength { expected, found } => {
                write!(f, "bad length: expected {expected}, found {found}")
            }
            ErrorKind::TrailingBytes { count } => write!(f, "{count} unexpected trailing bytes"),
            ErrorKind::Mismatch { computed, found } => {
                write!(f, "mismatch: computed 0x{computed:x}, found 0x{found:x}")
            }
            ErrorKind::BadText => f.write_str("not valid UTF-8 text"),
        }
    }
}

/// A located parse error: layer, absolute byte offset, field name and kind.
///
/// `offset` is the offset of the field that failed, counted from the start of the outermost
/// buffer the [`Reader`](crate::Reader) was created on (or from the base given to
/// [`Reader::with_base`](crate::Reader::with_base)). Use [`Error::shifted`] to relocate an error
/// into an enclosing buffer, e.g. from a UDP payload into the captured frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// The protocol layer that was being parsed.
    pub layer: Layer,
    /// Absolute byte offset of the failing field.
    pub offset: usize,
    /// The field being read (e.g. `"attribute length"`).
    pub field: &'static str,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl Error {
    /// Creates an error.
    pub const fn new(layer: Layer, offset: usize, field: &'static str, kind: ErrorKind) -> Self {
        Error {
            layer,
            offset,
            field,
            kind,
        }
    }

    /// A `Truncated` error.
    pub const fn truncated(
        layer: Layer,
        offset: usize,
        field: &'static str,
        needed: usize,
        available: usize,
    ) -> Self {
        Self::new(
            layer,
            offset,
            field,
            ErrorKind::Truncated { needed, available },
        )
    }

    /// A `BadValue` error.
    pub const fn bad_value(
        layer: Layer,
        offset: usize,
        field: &'static str,
        expected: &'static str,
        found: u64,
    ) -> Self {
        Self::new(
            layer,
            offset,
            field,
            ErrorKind::BadValue { expected, found },
        )
    }

    /// A `BadLength` error.
    pub const fn bad_length(
        layer: Layer,
        offset: usize,
        field: &'static str,
        expected: &'static str,
        found: usize,
    ) -> Self {
        Self::new(
            layer,
            offset,
            field,
            ErrorKind::BadLength { expected, found },
        )
    }

    /// Moves the error `by` bytes further into an enclosing buffer.
    #[must_use]
    pub const fn shifted(mut self, by: usize) -> Self {
        self.offset += by;
        self
    }

    /// True when the error only says the input ended early (useful to tell a snaplen cut from
    /// corruption).
    pub const fn is_truncation(&self) -> bool {
        matches!(self.kind, ErrorKind::Truncated { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {}: {}: {}",
            self.layer, self.offset, self.field, self.kind
        )
    }
}

impl std::error::Error for Error {}

/// Result alias with the located [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
