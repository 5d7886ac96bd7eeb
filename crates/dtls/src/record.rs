//! The DTLS record layer: several records per datagram, three header forms.
//!
//! # DTLSPlaintext / DTLSCiphertext ≤ 1.2 (RFC 4347 §4.1, RFC 6347 §4.1)
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | content type  |    version (0xfeff 1.0, 0xfefd 1.2)           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            epoch              |                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+     sequence_number (48 bit)  |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            length             |  fragment (length bytes) ...  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! DTLS 1.3 keeps this form for its unprotected records (epoch 0: ClientHello, ServerHello,
//! HelloRetryRequest, alerts before keys exist; RFC 9147 §4).
//!
//! # tls12_cid (content type 25, RFC 9146 §4)
//!
//! The same header with the connection ID between sequence number and length. The CID has no
//! length byte: its length was negotiated in the connection_id extension, so the parser takes it
//! as an input ([`RecordOptions::cid_len`]). The fragment is always protected.
//!
//! # DTLS 1.3 unified header (RFC 9147 §4)
//!
//! ```text
//!  0 1 2 3 4 5 6 7
//! +-+-+-+-+-+-+-+-+
//! |0|0|1|C|S|L|E E|      C: connection ID present (length negotiated)
//! +-+-+-+-+-+-+-+-+      S: sequence number is 16 bit (else 8 bit)
//! | Connection ID |      L: 16-bit length present (else the record fills the datagram)
//! | (if any)      |      EE: low two bits of the epoch
//! +-+-+-+-+-+-+-+-+
//! |  8 or 16 bit  |      The sequence number is *encrypted* (RFC 9147 §4.2.3): it is shown
//! |Sequence Number|      as opaque bits, never interpreted.
//! +-+-+-+-+-+-+-+-+
//! | 16 bit Length |
//! | (if present)  |
//! +-+-+-+-+-+-+-+-+
//! ```
//!
//! # The decryption seam
//!
//! Decryption ([`crate::decrypt`]) slots in without changing these views. A [`Record`]
//! exposes exactly what a decryptor needs and nothing it would have to undo: the
//! header form and its raw bytes ([`Record::header_bytes`], the AEAD additional data in 1.3),
//! the [`Epoch`] (full in ≤ 1.2, low bits in 1.3), the [`SequenceNumber`] (clear or still
//! encrypted), the fragment bytes and whether they are protected ([`Record::protection`]).
//! [`crate::decrypt::DtlsDecryptor`], keyed from an NSS key log ([`crate::keylog`]), turns a
//! protected fragment into plaintext; for 1.3 that plaintext is a `DTLSInnerPlaintext` which [`InnerPlaintext::parse`]
//! splits into real content type and content. Handshake content from *any* source (a clear
//! record or a decrypted one) goes through the same [`crate::handshake::HandshakeFragments`]
//! iterator and [`crate::reassembly::Reassembler`], which never look at record headers.

use crate::enums::{ContentType, ProtocolVersion};
use rtcscope_wire::{Error, Field, Layer, Reader, Result};

/// Field offsets of the ≤ 1.2 record header (and the unprotected 1.3 records), relative to the
/// start of the record.
pub mod field {
    use rtcscope_wire::Field;
    /// Content type.
    pub const CONTENT_TYPE: Field = 0..1;
    /// Protocol version.
    pub const VERSION: Field = 1..3;
    /// Epoch.
    pub const EPOCH: Field = 3..5;
    /// 48-bit sequence number.
    pub const SEQUENCE: Field = 5..11;
    /// Length of the fragment (for tls12_cid it follows the connection ID instead).
    pub const LENGTH: Field = 11..13;
    /// Header length of the plaintext form.
    pub const HEADER_LEN: usize = 13;
}

/// What the record layer must know from the session: things negotiated in the handshake, not
/// visible in the record itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordOptions {
    /// Length of the connection ID carried in records to this receiver (RFC 9146 / RFC 9147
    /// §9); 0 when none was negotiated.
    pub cid_len: usize,
}

/// The record epoch as far as the header reveals it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Epoch {
    /// The full 16-bit epoch (≤ 1.2 headers and 1.3 unprotected records).
    Full(u16),
    /// The low two bits only (1.3 unified header, RFC 9147 §4).
    LowBits(u8),
}

/// The record sequence number as far as the header reveals it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SequenceNumber {
    /// The full 48-bit number, in clear.
    Clear(u64),
    /// The low 8 or 16 bits, encrypted with the sequence-number key (RFC 9147 §4.2.3).
    /// `raw` is the opaque value on the wire, not a sequence number.
    Encrypted {
        /// 8 or 16.
        bits: u8,
        /// The masked bits as they appear on the wire.
        raw: u16,
    },
}

/// Whether a record's fragment can be read as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protection {
    /// Epoch 0: the fragment is plaintext of the record's content type.
    Plaintext,
    /// Protected under keys negotiated in the handshake: ciphertext (and, in 1.3, even the
    /// content type is inside). Needs a decryption stage.
    Protected,
}

/// The three header forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordHeader<'a> {
    /// DTLSPlaintext / ≤ 1.2 DTLSCiphertext.
    Plaintext {
        /// Content type.
        content_type: ContentType,
        /// Record version.
        version: ProtocolVersion,
        /// Epoch.
        epoch: u16,
        /// 48-bit sequence number.
        sequence: u64,
    },
    /// tls12_cid record (RFC 9146).
    Cid12 {
        /// Record version.
        version: ProtocolVersion,
        /// Epoch.
        epoch: u16,
        /// 48-bit sequence number.
        sequence: u64,
        /// The connection ID.
        cid: &'a [u8],
    },
    /// DTLS 1.3 unified header.
    Unified {
        /// The first byte `001CSLEE`.
        flags: u8,
        /// Connection ID when the C bit is set.
        cid: Option<&'a [u8]>,
        /// Encrypted sequence number bits.
        sequence: SequenceNumber,
        /// Whether the 16-bit length was present (otherwise the record fills the datagram).
        length_present: bool,
    },
}

/// One record: a checked view. Offsets are absolute (from the start of the datagram, or the
/// base given to [`Records::with_base`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    header: RecordHeader<'a>,
    bytes: &'a [u8],
    header_len: usize,
    offset: usize,
}

impl<'a> Record<'a> {
    /// The header.
    pub const fn header(&self) -> &RecordHeader<'a> {
        &self.header
    }

    /// The whole record (header and fragment).
    pub const fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The raw header bytes (in 1.3 the additional data of the AEAD, RFC 9147 §4.2.3, after
    /// sequence-number decryption).
    pub fn header_bytes(&self) -> &'a [u8] {
        &self.bytes[..self.header_len]
    }

    /// The fragment (plaintext or ciphertext).
    pub fn fragment(&self) -> &'a [u8] {
        &self.bytes[self.header_len..]
    }

    /// Absolute range of the whole record.
    pub const fn range(&self) -> Field {
        self.offset..self.offset + self.bytes.len()
    }

    /// Absolute range of the header.
    pub const fn header_range(&self) -> Field {
        self.offset..self.offset + self.header_len
    }

    /// Absolute range of the fragment.
    pub const fn fragment_range(&self) -> Field {
        self.offset + self.header_len..self.offset + self.bytes.len()
    }

    /// Absolute range of the connection ID, when there is one.
    pub fn cid_range(&self) -> Option<Field> {
        match self.header {
            RecordHeader::Cid12 { cid, .. } => Some(self.offset + 11..self.offset + 11 + cid.len()),
            RecordHeader::Unified { cid: Some(c), .. } => {
                Some(self.offset + 1..self.offset + 1 + c.len())
            }
            _ => None,
        }
    }

    /// The content type when it is visible (not for 1.3 unified-header records, whose real
    /// type is inside the encryption; see [`InnerPlaintext`]).
    pub const fn content_type(&self) -> Option<ContentType> {
        match self.header {
            RecordHeader::Plaintext { content_type, .. } => Some(content_type),
            RecordHeader::Cid12 { .. } => Some(ContentType::TLS12_CID),
            RecordHeader::Unified { .. } => None,
        }
    }

    /// The record version (absent from the unified header).
    pub const fn version(&self) -> Option<ProtocolVersion> {
        match self.header {
            RecordHeader::Plaintext { version, .. } | RecordHeader::Cid12 { version, .. } => {
                Some(version)
            }
            RecordHeader::Unified { .. } => None,
        }
    }

    /// The epoch as far as visible.
    pub const fn epoch(&self) -> Epoch {
        match self.header {
            RecordHeader::Plaintext { epoch, .. } | RecordHeader::Cid12 { epoch, .. } => {
                Epoch::Full(epoch)
            }
            RecordHeader::Unified { flags, .. } => Epoch::LowBits(flags & 0x03),
        }
    }

    /// The sequence number as far as visible.
    pub const fn sequence(&self) -> SequenceNumber {
        match self.header {
            RecordHeader::Plaintext { sequence, .. } | RecordHeader::Cid12 { sequence, .. } => {
                SequenceNumber::Clear(sequence)
            }
            RecordHeader::Unified { sequence, .. } => sequence,
        }
    }

    /// Whether the fragment is readable as is: plaintext records in epoch 0 are; everything
    /// else (epoch ≥ 1, tls12_cid, the unified header) is protected.
    pub const fn protection(&self) -> Protection {
        match self.header {
            RecordHeader::Plaintext { epoch: 0, .. } => Protection::Plaintext,
            _ => Protection::Protected,
        }
    }

    /// True for the DTLS 1.3 unified header.
    pub const fn is_unified(&self) -> bool {
        matches!(self.header, RecordHeader::Unified { .. })
    }
}

/// Parses one record at the reader's position.
pub fn parse_record<'a>(r: &mut Reader<'a>, opts: RecordOptions) -> Result<Record<'a>> {
    let start = r.position();
    let offset = r.offset();
    let all = r.rest();
    let first = r.peek_u8("content type")?;
    let (header, header_len, frag_len) = if first & 0xe0 == 0x20 {
        r.u8("unified header flags")?;
        let cid = if first & 0x10 != 0 {
            if opts.cid_len == 0 {
                return Err(Error::bad_length(
                    Layer::DtlsRecord,
                    r.offset(),
                    "connection ID",
                    "a negotiated CID length (RecordOptions::cid_len > 0) when the C bit is set",
                    0,
                ));
            }
            Some(r.bytes(opts.cid_len, "connection ID")?)
        } else {
            None
        };
        let sequence = if first & 0x08 != 0 {
            SequenceNumber::Encrypted {
                bits: 16,
                raw: r.u16("encrypted sequence number")?,
            }
        } else {
            SequenceNumber::Encrypted {
                bits: 8,
                raw: r.u8("encrypted sequence number")? as u16,
            }
        };
        let length_present = first & 0x04 != 0;
        let len = if length_present {
            r.u16("length")? as usize
        } else {
            r.remaining()
        };
        (
            RecordHeader::Unified {
                flags: first,
                cid,
                sequence,
                length_present,
            },
            r.position() - start,
            len,
        )
    } else if (20..=31).contains(&first) {
        let content_type = ContentType(r.u8("content type")?);
        let version = ProtocolVersion(r.u16("version")?);
        let epoch = r.u16("epoch")?;
        let sequence = r.u48("sequence number")?;
        let header = if content_type == ContentType::TLS12_CID {
            let cid = r.bytes(opts.cid_len, "connection ID")?;
            RecordHeader::Cid12 {
                version,
                epoch,
                sequence,
                cid,
            }
        } else {
            RecordHeader::Plaintext {
                content_type,
                version,
                epoch,
                sequence,
            }
        };
        let len = r.u16("length")? as usize;
        (header, r.position() - start, len)
    } else {
        return Err(Error::bad_value(
            Layer::DtlsRecord,
            offset,
            "content type",
            "a DTLS content type (20..=31) or a unified header (0x20..=0x3f)",
            first as u64,
        ));
    };
    r.skip(frag_len, "fragment")?;
    Ok(Record {
        header,
        bytes: &all[..header_len + frag_len],
        header_len,
        offset,
    })
}

/// Lax iterator over the records of one datagram: yields records until the first error, which
/// it yields (located) and then stops.
#[derive(Clone, Debug)]
pub struct Records<'a> {
    r: Reader<'a>,
    opts: RecordOptions,
    done: bool,
}

impl<'a> Records<'a> {
    /// Records of `datagram`, offsets from its first byte.
    pub const fn new(datagram: &'a [u8], opts: RecordOptions) -> Self {
        Self::with_base(datagram, 0, opts)
    }

    /// Records of `datagram`, whose first byte is at absolute offset `base`.
    pub const fn with_base(datagram: &'a [u8], base: usize, opts: RecordOptions) -> Self {
        Records {
            r: Reader::with_base(datagram, base, Layer::DtlsRecord),
            opts,
            done: false,
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.r.is_empty() {
            return None;
        }
        let before = self.r.offset();
        let rec = parse_record(&mut self.r, self.opts);
        if rec.is_err() {
            self.done = true;
        } else {
            // Progress: a record is at least its header (two bytes for the shortest unified
            // header), whatever its length field says.
            debug_assert!(
                self.r.offset() >= before + 2,
                "Records::next did not advance past a record header"
            );
        }
        Some(rec)
    }
}

/// RFC 7983 §7 demultiplexing plus a plausibility check: does this UDP payload look like DTLS?
///
/// The first byte must be in 20..=63. For the classic header the version must be a DTLS
/// version and the first record's length must fit the datagram; for a 1.3 unified header
/// (0x20..=0x3f) the datagram must be long enough for the header bits it announces (the CID
/// length is unknown here, so a set C bit only requires one more byte).
pub fn looks_like_dtls(datagram: &[u8]) -> bool {
    let Some(&first) = datagram.first() else {
        return false;
    };
    match first {
        20..=31 => {
            if datagram.len() < field::HEADER_LEN {
                return false;
            }
            let version = ProtocolVersion(u16::from_be_bytes([datagram[1], datagram[2]]));
            // A tls12_cid record has the (unknown-length) CID before the length: only the
            // version can be checked.
            let len = u16::from_be_bytes([datagram[11], datagram[12]]) as usize;
            version.is_dtls() && (first == 25 || len + field::HEADER_LEN <= datagram.len())
        }
        32..=63 => {
            let need = 1
                + usize::from(first & 0x10 != 0)
                + if first & 0x08 != 0 { 2 } else { 1 }
                + if first & 0x04 != 0 { 2 } else { 0 };
            datagram.len() > need
        }
        _ => false,
    }
}

/// `DTLSInnerPlaintext` (RFC 9147 §4, RFC 8446 §5.2): what a 1.3 decryption yields.
///
/// ```text
/// struct {
///     opaque content[length];
///     ContentType type;          // the real content type
///     uint8 zeros[length_of_padding];
/// } DTLSInnerPlaintext;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InnerPlaintext<'a> {
    /// The real content type.
    pub content_type: ContentType,
    /// The content.
    pub content: &'a [u8],
    /// Absolute range of the content.
    pub content_range: Field,
    /// Number of zero padding bytes.
    pub padding: usize,
}

impl<'a> InnerPlaintext<'a> {
    /// Splits decrypted bytes: the last non-zero byte is the content type.
    pub fn parse(bytes: &'a [u8], base: usize) -> Result<Self> {
        let Some(pos) = bytes.iter().rposition(|&b| b != 0) else {
            return Err(Error::bad_value(
                Layer::DtlsRecord,
                base,
                "inner content type",
                "a non-zero content type before the padding",
                0,
            ));
        };
        Ok(InnerPlaintext {
            content_type: ContentType(bytes[pos]),
            content: &bytes[..pos],
            content_range: base..base + pos,
            padding: bytes.len() - pos - 1,
        })
    }
}

/// An alert (RFC 5246 §7.2): level and description, two bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Alert {
    /// Level (warning/fatal).
    pub level: crate::enums::AlertLevel,
    /// Description.
    pub description: crate::enums::AlertDescription,
    /// Absolute range of the two bytes.
    pub range: Field,
}

impl Alert {
    /// Parses an alert from plaintext content (one alert; trailing bytes are an error).
    pub fn parse(content: &[u8], base: usize) -> Result<Self> {
        let mut r = Reader::with_base(content, base, Layer::DtlsRecord);
        let level = crate::enums::AlertLevel(r.u8("alert level")?);
        let description = crate::enums::AlertDescription(r.u8("alert description")?);
        r.expect_end("alert")?;
        Ok(Alert {
            level,
            description,
            range: base..base + 2,
        })
    }

    /// The two wire bytes.
    pub const fn to_bytes(&self) -> [u8; 2] {
        [self.level.0, self.description.0]
    }
}

/// A record number in an ACK (RFC 9147 §7): full epoch and sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordNumber {
    /// Epoch (64 bit in ACKs).
    pub epoch: u64,
    /// Sequence number.
    pub sequence: u64,
}

/// An ACK message body (RFC 9147 §7): `RecordNumber record_numbers<0..2^16-1>`.
#[derive(Clone, Debug)]
pub struct Ack<'a> {
    r: Reader<'a>,
}

impl<'a> Ack<'a> {
    /// Checks the length prefix and that it is a whole number of 16-byte entries.
    pub fn parse(content: &'a [u8], base: usize) -> Result<Self> {
        let mut r = Reader::with_base(content, base, Layer::DtlsRecord);
        let list = r.sub_u16("record_numbers")?;
        r.expect_end("ack")?;
        if list.remaining() % 16 != 0 {
            return Err(Error::bad_length(
                Layer::DtlsRecord,
                base,
                "record_numbers",
                "a multiple of 16",
                list.remaining(),
            ));
        }
        Ok(Ack { r: list })
    }

    /// Number of acknowledged records.
    pub fn len(&self) -> usize {
        self.r.remaining() / 16
    }

    /// True when it acknowledges nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The acknowledged record numbers.
    pub fn record_numbers(&self) -> impl Iterator<Item = RecordNumber> + 'a {
        self.r.rest().chunks_exact(16).map(|c| {
            let mut e = [0u8; 8];
            let mut s = [0u8; 8];
            e.copy_from_slice(&c[..8]);
            s.copy_from_slice(&c[8..]);
            RecordNumber {
                epoch: u64::from_be_bytes(e),
                sequence: u64::from_be_bytes(s),
            }
        })
    }
}

/// Owned form of a record with the ≤ 1.2 header (also 1.3 unprotected records), for building
/// test input and round trips.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaintextRecordRepr {
    /// Content type.
    pub content_type: ContentType,
    /// Version.
    pub version: ProtocolVersion,
    /// Epoch.
    pub epoch: u16,
    /// 48-bit sequence number (higher bits are dropped on emit).
    pub sequence: u64,
    /// Fragment.
    pub fragment: Vec<u8>,
}

impl PlaintextRecordRepr {
    /// Builds the owned form from a view with the plaintext header; `None` for other forms.
    pub fn from_view(rec: &Record<'_>) -> Option<Self> {
        match rec.header {
            RecordHeader::Plaintext {
                content_type,
                version,
                epoch,
                sequence,
            } => Some(PlaintextRecordRepr {
                content_type,
                version,
                epoch,
                sequence,
                fragment: rec.fragment().to_vec(),
            }),
            _ => None,
        }
    }

    /// Appends the wire form to `out`. Fails when the fragment exceeds 65535 bytes.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        let len = u16::try_from(self.fragment.len()).map_err(|_| {
            Error::bad_length(
                Layer::DtlsRecord,
                out.len() + 11,
                "length",
                "at most 65535",
                self.fragment.len(),
            )
        })?;
        out.push(self.content_type.0);
        out.extend_from_slice(&self.version.0.to_be_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes()[2..]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.fragment);
        Ok(())
    }
}
