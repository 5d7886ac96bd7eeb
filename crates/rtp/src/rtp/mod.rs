//! RTP packets (RFC 3550 §5.1) with RFC 8285 header extensions.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           timestamp                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           synchronization source (SSRC) identifier            |
//! +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! |            contributing source (CSRC) identifiers             |
//! |                             ....                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   defined by profile (0xBEDE…)  |           length            |  ← if X (§5.3.1)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        header extension                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  payload ...  | padding …     | padding count |  ← if P
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! [`RtpPacket`] is the checked view; [`RtpRepr`] the owned form with parse/emit. For SRTP the
//! header and extensions are clear but the payload (and so the padding count) is ciphertext:
//! see [`crate::srtp`], which builds an [`RtpPacket`] with [`RtpPacket::new_checked_opaque`].

pub mod ext;
pub mod extmap;
pub mod infer;

use crate::bytes::slice;
use rtcscope_wire::{Error, Field, Layer, Result};

pub use ext::{
    Extension, ExtensionBlock, ExtensionBlockRepr, ExtensionForm, ExtensionRepr, Extensions,
};
pub use extmap::{ExtensionKind, ExtensionMap, ExtensionValue};

/// Length of the fixed RTP header (RFC 3550 §5.1).
pub const HEADER_LEN: usize = 12;

/// The RTP version this crate parses (RFC 3550 §5.1).
pub const VERSION: u8 = 2;

/// Field offsets of the RTP header, relative to the start of the packet.
pub mod field {
    use rtcscope_wire::Field;
    /// V(2) P(1) X(1) CC(4).
    pub const FLAGS: usize = 0;
    /// M(1) PT(7).
    pub const MARKER_PT: usize = 1;
    /// Sequence number.
    pub const SEQUENCE: Field = 2..4;
    /// RTP timestamp.
    pub const TIMESTAMP: Field = 4..8;
    /// Synchronization source.
    pub const SSRC: Field = 8..12;
    /// First CSRC (each is 4 bytes).
    pub const CSRC_START: usize = 12;
    /// Header extension "defined by profile", relative to the start of the extension.
    pub const EXT_PROFILE: Field = 0..2;
    /// Header extension length in 32-bit words, relative to the start of the extension.
    pub const EXT_LENGTH: Field = 2..4;
    /// Start of the header extension data, relative to the start of the extension.
    pub const EXT_DATA: usize = 4;
}

/// A checked view of an RTP packet.
///
/// [`RtpPacket::new_checked`] validates the version, the CSRC list, the header-extension length
/// and the padding count; after that every accessor is infallible. The elements inside the
/// header extension are validated lazily by [`ExtensionBlock::iter`] (lax: it yields elements
/// until the first malformed one) or eagerly by [`RtpPacket::validate_extensions`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    buf: &'a [u8],
    /// The fixed header: fixed-offset reads need no bounds checks.
    fixed: &'a [u8; HEADER_LEN],
    /// The CSRC list (4 bytes each).
    csrcs: &'a [u8],
    /// The header extension block's 4-byte header, with the X bit.
    ext_header: Option<&'a [u8; field::EXT_DATA]>,
    /// The header extension data (empty without the X bit).
    ext_data: &'a [u8],
    /// The payload.
    payload: &'a [u8],
    opaque: bool,
}

impl<'a> RtpPacket<'a> {
    /// Validates a cleartext RTP packet.
    ///
    /// Checks: at least 12 bytes, version 2, the CSRC list and the header extension (its 4-byte
    /// header and `length` words) fit, and with the P bit the padding count is at least 1 and
    /// does not reach into the header.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        Self::check(buf, false)
    }

    /// Validates the header of a packet whose payload is opaque (SRTP ciphertext): as
    /// [`new_checked`](Self::new_checked), but the padding count is not read because it is
    /// encrypted, and everything after the header is the payload.
    #[inline]
    pub fn new_checked_opaque(buf: &'a [u8]) -> Result<Self> {
        Self::check(buf, true)
    }

    /// The checks split the packet into its parts as they go, so the view holds the parts
    /// themselves and no accessor checks a bound again.
    #[inline]
    fn check(buf: &'a [u8], opaque: bool) -> Result<Self> {
        let Some((fixed, rest)) = buf.split_first_chunk::<HEADER_LEN>() else {
            return Err(Error::truncated(
                Layer::Rtp,
                0,
                "RTP header",
                HEADER_LEN,
                buf.len(),
            ));
        };
        let b0 = fixed[field::FLAGS];
        let version = b0 >> 6;
        if version != VERSION {
            return Err(Error::bad_value(
                Layer::Rtp,
                0,
                "version",
                "version 2",
                version.into(),
            ));
        }
        let cc = usize::from(b0 & 0x0f);
        let Some((csrcs, rest)) = rest.split_at_checked(4 * cc) else {
            return Err(Error::truncated(
                Layer::Rtp,
                field::CSRC_START,
                "CSRC list",
                4 * cc,
                rest.len(),
            ));
        };
        let csrc_end = field::CSRC_START + 4 * cc;
        let (ext_header, ext_data, rest) = if b0 & 0x10 != 0 {
            let Some((header, data)) = rest.split_first_chunk::<{ field::EXT_DATA }>() else {
                return Err(Error::truncated(
                    Layer::Rtp,
                    csrc_end,
                    "header extension header",
                    field::EXT_DATA,
                    rest.len(),
                ));
            };
            let words = usize::from(u16::from_be_bytes([header[2], header[3]]));
            if data.len() < 4 * words {
                return Err(Error::truncated(
                    Layer::Rtp,
                    csrc_end + field::EXT_DATA,
                    "header extension",
                    4 * words,
                    data.len(),
                ));
            }
            let (ext_data, rest) = data.split_at(4 * words);
            (Some(header), ext_data, rest)
        } else {
            (None, &[][..], rest)
        };
        let mut payload = rest;
        if b0 & 0x20 != 0 && !opaque {
            let last = buf.len() - 1;
            let count = usize::from(buf[last]);
            if count == 0 {
                return Err(Error::bad_value(
                    Layer::Rtp,
                    last,
                    "padding count",
                    "at least 1 (the count includes itself)",
                    0,
                ));
            }
            if count > rest.len() {
                return Err(Error::bad_length(
                    Layer::Rtp,
                    last,
                    "padding count",
                    "no more than the bytes after the header",
                    count,
                ));
            }
            payload = &rest[..rest.len() - count];
        }
        Ok(RtpPacket {
            buf,
            fixed,
            csrcs,
            ext_header,
            ext_data,
            payload,
            opaque,
        })
    }

    /// End of the CSRC list (offset in the packet).
    #[inline]
    fn csrc_end(&self) -> usize {
        HEADER_LEN + self.csrcs.len()
    }

    /// End of the header extension (offset in the packet).
    #[inline]
    fn ext_end(&self) -> usize {
        match self.ext_header {
            Some(_) => self.csrc_end() + field::EXT_DATA + self.ext_data.len(),
            None => self.csrc_end(),
        }
    }

    /// End of the payload (offset in the packet).
    #[inline]
    fn payload_end(&self) -> usize {
        self.ext_end() + self.payload.len()
    }

    /// The whole packet.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Total length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Always false: a valid packet has at least a 12-byte header.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The version field (always 2 for a checked packet).
    #[inline]
    pub fn version(&self) -> u8 {
        self.fixed[field::FLAGS] >> 6
    }

    /// The P bit.
    #[inline]
    pub fn has_padding(&self) -> bool {
        self.fixed[field::FLAGS] & 0x20 != 0
    }

    /// The X bit.
    #[inline]
    pub fn has_extension(&self) -> bool {
        self.fixed[field::FLAGS] & 0x10 != 0
    }

    /// The CSRC count (CC).
    #[inline]
    pub fn csrc_count(&self) -> u8 {
        self.fixed[field::FLAGS] & 0x0f
    }

    /// The marker bit.
    #[inline]
    pub fn marker(&self) -> bool {
        self.fixed[field::MARKER_PT] & 0x80 != 0
    }

    /// The payload type.
    #[inline]
    pub fn payload_type(&self) -> u8 {
        self.fixed[field::MARKER_PT] & 0x7f
    }

    /// The sequence number.
    #[inline]
    pub fn sequence_number(&self) -> u16 {
        let [_, _, a, b, ..] = *self.fixed;
        u16::from_be_bytes([a, b])
    }

    /// The RTP timestamp.
    #[inline]
    pub fn timestamp(&self) -> u32 {
        let [_, _, _, _, a, b, c, d, ..] = *self.fixed;
        u32::from_be_bytes([a, b, c, d])
    }

    /// The synchronization source.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        let [.., a, b, c, d] = *self.fixed;
        u32::from_be_bytes([a, b, c, d])
    }

    /// The contributing sources.
    #[inline]
    pub fn csrcs(&self) -> Csrcs<'a> {
        Csrcs { rest: self.csrcs }
    }

    /// Range of the CSRC list.
    #[inline]
    pub fn csrc_range(&self) -> Field {
        field::CSRC_START..self.csrc_end()
    }

    /// Length of the header: fixed part, CSRCs and header extension.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.ext_end()
    }

    /// The header extension, when the X bit is set.
    #[inline]
    pub fn extension(&self) -> Option<ExtensionBlock<'a>> {
        self.ext_header
            .map(|h| ExtensionBlock::from_parts(h, self.ext_data, self.csrc_end()))
    }

    /// Range of the header extension (its 4-byte header and data), when present.
    #[inline]
    pub fn extension_range(&self) -> Option<Field> {
        self.has_extension()
            .then_some(self.csrc_end()..self.ext_end())
    }

    /// Walks every header-extension element; the first malformed one is the error.
    #[inline]
    pub fn validate_extensions(&self) -> Result<()> {
        if let Some(block) = self.extension() {
            for e in block.iter() {
                e?;
            }
        }
        Ok(())
    }

    /// The payload (without padding). For an opaque (SRTP) packet this is the ciphertext up to
    /// the end of the slice the view was built on.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Range of the payload.
    #[inline]
    pub fn payload_range(&self) -> Field {
        self.ext_end()..self.payload_end()
    }

    /// True when the payload was declared opaque (ciphertext), so padding was not interpreted.
    #[inline]
    pub fn is_payload_opaque(&self) -> bool {
        self.opaque
    }

    /// Number of padding bytes, including the count byte (0 without the P bit, and for an opaque
    /// payload, where the count is encrypted).
    #[inline]
    pub fn padding_len(&self) -> usize {
        self.buf.len() - self.payload_end()
    }

    /// The padding bytes (including the count byte).
    #[inline]
    pub fn padding(&self) -> &'a [u8] {
        slice(self.buf, self.padding_range())
    }

    /// Range of the padding.
    #[inline]
    pub fn padding_range(&self) -> Field {
        self.payload_end()..self.buf.len()
    }
}

impl core::fmt::Debug for RtpPacket<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RtpPacket")
            .field("marker", &self.marker())
            .field("payload_type", &self.payload_type())
            .field("sequence_number", &self.sequence_number())
            .field("timestamp", &self.timestamp())
            .field("ssrc", &format_args!("{:#010x}", self.ssrc()))
            .field("csrc_count", &self.csrc_count())
            .field("extension", &self.extension())
            .field("payload_len", &self.payload().len())
            .field("padding_len", &self.padding_len())
            .finish()
    }
}

/// Iterator over the CSRC list.
#[derive(Clone, Debug)]
pub struct Csrcs<'a> {
    /// The words not yet read (the check made the list whole words).
    rest: &'a [u8],
}

impl Iterator for Csrcs<'_> {
    type Item = u32;
    #[inline]
    fn next(&mut self) -> Option<u32> {
        let (word, rest) = self.rest.split_first_chunk::<4>()?;
        debug_assert!(rest.len() < self.rest.len(), "Csrcs::next did not advance");
        self.rest = rest;
        Some(u32::from_be_bytes(*word))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.len() / 4;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Csrcs<'_> {}

/// An owned RTP packet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RtpRepr {
    /// The marker bit.
    pub marker: bool,
    /// Payload type (0–127).
    pub payload_type: u8,
    /// Sequence number.
    pub sequence_number: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Synchronization source.
    pub ssrc: u32,
    /// Contributing sources (at most 15).
    pub csrcs: Vec<u32>,
    /// The header extension.
    pub extension: Option<ExtensionBlockRepr>,
    /// The payload.
    pub payload: Vec<u8>,
    /// Padding length including the count byte; 0 means no P bit. Emitted as zeros followed by
    /// the count.
    pub padding: u8,
}

impl RtpRepr {
    /// Parses a cleartext packet completely, including every header-extension element.
    pub fn parse(packet: &RtpPacket<'_>) -> Result<Self> {
        let extension = match packet.extension() {
            Some(b) => Some(ExtensionBlockRepr::parse(&b)?),
            None => None,
        };
        Ok(RtpRepr {
            marker: packet.marker(),
            payload_type: packet.payload_type(),
            sequence_number: packet.sequence_number(),
            timestamp: packet.timestamp(),
            ssrc: packet.ssrc(),
            csrcs: packet.csrcs().collect(),
            extension,
            payload: packet.payload().to_vec(),
            // A checked clear packet's padding is 1..=255 bytes (the count is one byte).
            padding: packet.padding_len() as u8,
        })
    }

    /// Parses bytes (a shortcut for [`RtpPacket::new_checked`] then [`RtpRepr::parse`]).
    pub fn parse_bytes(buf: &[u8]) -> Result<Self> {
        Self::parse(&RtpPacket::new_checked(buf)?)
    }

    /// The length [`emit`](Self::emit) will append.
    #[inline]
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + 4 * self.csrcs.len()
            + self.extension.as_ref().map_or(0, |e| e.buffer_len())
            + self.payload.len()
            + usize::from(self.padding)
    }

    /// Appends the packet to `out`. Fails (leaving `out` unchanged) when a field cannot be
    /// encoded: more than 15 CSRCs, a payload type above 127, or an unencodable extension.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.csrcs.len() > 15 {
            return Err(Error::bad_value(
                Layer::Rtp,
                0,
                "CSRC count",
                "at most 15",
                self.csrcs.len() as u64,
            ));
        }
        if self.payload_type > 127 {
            return Err(Error::bad_value(
                Layer::Rtp,
                1,
                "payload type",
                "0..=127",
                self.payload_type.into(),
            ));
        }
        let start = out.len();
        let mut b0 = VERSION << 6 | self.csrcs.len() as u8;
        if self.padding > 0 {
            b0 |= 0x20;
        }
        if self.extension.is_some() {
            b0 |= 0x10;
        }
        out.push(b0);
        out.push(u8::from(self.marker) << 7 | self.payload_type);
        out.extend_from_slice(&self.sequence_number.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        for c in &self.csrcs {
            out.extend_from_slice(&c.to_be_bytes());
        }
        if let Some(e) = &self.extension {
            let at = out.len() - start;
            if let Err(err) = e.emit(out) {
                out.truncate(start);
                return Err(err.shifted(at));
            }
        }
        out.extend_from_slice(&self.payload);
        if self.padding > 0 {
            out.extend(core::iter::repeat_n(0, usize::from(self.padding) - 1));
            out.push(self.padding);
        }
        Ok(())
    }

    /// Emits into a new vector.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut v = Vec::with_capacity(self.buffer_len());
        self.emit(&mut v)?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 3550 §5.1 layout, hand-assembled: V=2, P=0, X=0, CC=2, M=1, PT=96, seq 0x1234,
    // ts 0xdeadbeef, SSRC 0x11223344, CSRCs 1 and 2, payload "abc".
    const BASIC: [u8; 23] = [
        0x82, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1, 0, 0,
        0, 2, b'a', b'b', b'c',
    ];

    #[test]
    fn deconstruct_basic() {
        let p = RtpPacket::new_checked(&BASIC).unwrap();
        assert_eq!(p.version(), 2);
        assert!(p.marker());
        assert_eq!(p.payload_type(), 96);
        assert_eq!(p.sequence_number(), 0x1234);
        assert_eq!(p.timestamp(), 0xdeadbeef);
        assert_eq!(p.ssrc(), 0x11223344);
        assert_eq!(p.csrcs().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(p.csrc_range(), 12..20);
        assert_eq!(p.payload(), b"abc");
        assert_eq!(p.payload_range(), 20..23);
        assert!(p.extension().is_none());
        assert_eq!(p.padding_len(), 0);
        let r = RtpRepr::parse(&p).unwrap();
        assert_eq!(r.to_bytes().unwrap(), BASIC);
    }

    #[test]
    fn padding() {
        let mut v = BASIC.to_vec();
        v[0] |= 0x20;
        v.extend_from_slice(&[0, 0, 3]);
        let p = RtpPacket::new_checked(&v).unwrap();
        assert_eq!(p.payload(), b"abc");
        assert_eq!(p.padding(), [0, 0, 3]);
        assert_eq!(p.padding_range(), 23..26);
        // Zero padding count is invalid (RFC 3550 §5.1: the count includes itself).
        let last = v.len() - 1;
        v[last] = 0;
        let e = RtpPacket::new_checked(&v).unwrap_err();
        assert_eq!((e.field, e.offset), ("padding count", last));
        // Padding reaching into the header.
        v[last] = 7;
        let e = RtpPacket::new_checked(&v).unwrap_err();
        assert!(matches!(
            e.kind,
            rtcscope_wire::ErrorKind::BadLength { found: 7, .. }
        ));
        // Opaque (SRTP) payload: the padding count is not interpreted.
        let p = RtpPacket::new_checked_opaque(&v).unwrap();
        assert_eq!(p.payload_range(), 20..26);
        assert_eq!(p.padding_len(), 0);
    }

    #[test]
    fn version_and_truncation() {
        let mut v = BASIC;
        v[0] = 0x42;
        let e = RtpPacket::new_checked(&v).unwrap_err();
        assert_eq!((e.field, e.offset), ("version", 0));
        let e = RtpPacket::new_checked(&BASIC[..15]).unwrap_err();
        assert_eq!(e.field, "CSRC list");
        assert!(e.is_truncation());
    }
}
