//! The checked, zero-copy message view and its lazy attribute iterator.

use crate::attr::Attribute;
use crate::field;
use crate::integrity;
use crate::types::{AttributeType, Class, Flavor, MessageType, Method, TransactionId};
use crate::MAGIC_COOKIE;
use rtcscope_wire::{pad4, Error, ErrorKind, Field, Layer, Reader, Result};

/// A checked view of one STUN message (RFC 8489 §5; classic RFC 3489 §11.1).
///
/// [`Message::parse`] checks the header once: at least 20 bytes, the two top bits zero, a
/// length that is a multiple of four and fits the buffer. After that no accessor can panic.
/// [`Message::parse_lax`] also accepts a length that is not a multiple of four when the magic
/// cookie is present (an unpadded last attribute, as WhatsApp, Microsoft Teams and MS-TURN
/// send); such a message reports [`Message::malformed_length`].
/// Attributes are not checked up front: [`Message::attributes`] walks them lazily and stops at
/// the first malformed one with a located error (lax parsing, so a dissector can show the valid
/// prefix of a damaged message). Nothing here allocates.
///
/// ```
/// use rtcscope_stun::{Message, Method, Class, Attribute};
/// // A Binding request with one SOFTWARE attribute.
/// let bytes = [
///     0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
///     0x80, 0x22, 0x00, 0x03, b'f', b'o', b'o', 0x00,
/// ];
/// let msg = Message::parse(&bytes)?;
/// assert_eq!(msg.method(), Method::BINDING);
/// assert_eq!(msg.class(), Class::REQUEST);
/// let attr = msg.attributes().next().unwrap()?;
/// assert_eq!(attr.range(), 20..28);
/// assert_eq!(attr.decode()?, Attribute::Software("foo".into()));
/// # Ok::<(), rtcscope_wire::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    buf: &'a [u8],
    flavor: Flavor,
    malformed_length: bool,
}

/// Checks the fixed header: returns the flavor, the total message length (20 + length) and
/// whether the length is not a multiple of four. Such a length is an error unless `lax` and
/// the magic cookie is present.
pub(crate) fn check_header_with(buf: &[u8], lax: bool) -> Result<(Flavor, usize, bool)> {
    if buf.len() < field::header::LEN {
        return Err(Error::truncated(
            Layer::Stun,
            0,
            "STUN header",
            field::header::LEN,
            buf.len(),
        ));
    }
    if buf[0] & 0xC0 != 0 {
        return Err(Error::bad_value(
            Layer::Stun,
            0,
            "message type",
            "the two top bits zero",
            u64::from(buf[0] >> 6),
        ));
    }
    let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
    let malformed_length = len % 4 != 0;
    if malformed_length && !(lax && has_cookie(buf)) {
        return Err(length_error(len));
    }
    let available = buf.len() - field::header::LEN;
    if len > available {
        return Err(Error::truncated(
            Layer::Stun,
            field::header::LEN,
            "attributes",
            len,
            available,
        ));
    }
    let cookie = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
    let flavor = if cookie == MAGIC_COOKIE {
        Flavor::Rfc5389
    } else {
        Flavor::Rfc3489
    };
    Ok((flavor, field::header::LEN + len, malformed_length))
}

/// True when bytes 4..8 of a buffer of at least 20 bytes hold the magic cookie.
fn has_cookie(buf: &[u8]) -> bool {
    buf[field::header::MAGIC_COOKIE] == MAGIC_COOKIE.to_be_bytes()
}

/// The error for a message length that is not a multiple of four.
fn length_error(len: usize) -> Error {
    Error::bad_length(
        Layer::Stun,
        field::header::LENGTH.start,
        "message length",
        "a multiple of 4",
        len,
    )
}

impl<'a> Message<'a> {
    /// Checks the header of a message that fills `buf` exactly (a UDP payload).
    ///
    /// Bytes after the length the header announces are a `TrailingBytes` error; use
    /// [`Message::parse_prefix`] for a stream.
    pub fn parse(buf: &'a [u8]) -> Result<Self> {
        Self::parse_with(buf, false)
    }

    /// [`Message::parse`], but a message with the magic cookie whose length is not a multiple
    /// of four (an unpadded last attribute) is accepted and reports
    /// [`Message::malformed_length`]. Real clients send such messages (WhatsApp, Microsoft
    /// Teams, MS-TURN), so an analyser should read them and flag them.
    ///
    /// ```
    /// use rtcscope_stun::Message;
    /// // A Binding request whose USERNAME "abc" is not padded: length 7.
    /// let bytes = [
    ///     0x00, 0x01, 0x00, 0x07, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ///     0x00, 0x06, 0x00, 0x03, b'a', b'b', b'c',
    /// ];
    /// assert!(Message::parse(&bytes).is_err());
    /// let msg = Message::parse_lax(&bytes)?;
    /// assert!(msg.malformed_length());
    /// assert_eq!(msg.attributes().count(), 1);
    /// # Ok::<(), rtcscope_wire::Error>(())
    /// ```
    pub fn parse_lax(buf: &'a [u8]) -> Result<Self> {
        Self::parse_with(buf, true)
    }

    fn parse_with(buf: &'a [u8], lax: bool) -> Result<Self> {
        let (msg, rest) = Self::parse_prefix_with(buf, lax)?;
        if !rest.is_empty() {
            return Err(Error::new(
                Layer::Stun,
                msg.buf.len(),
                "end of message",
                ErrorKind::TrailingBytes { count: rest.len() },
            ));
        }
        Ok(msg)
    }

    /// Checks the header of a message at the start of `buf` and returns it with the bytes that
    /// follow it (for stream transports, RFC 8489 §6.2.2).
    pub fn parse_prefix(buf: &'a [u8]) -> Result<(Self, &'a [u8])> {
        Self::parse_prefix_with(buf, false)
    }

    fn parse_prefix_with(buf: &'a [u8], lax: bool) -> Result<(Self, &'a [u8])> {
        let (flavor, total, malformed_length) = check_header_with(buf, lax)?;
        let (msg, rest) = buf.split_at(total);
        Ok((
            Message {
                buf: msg,
                flavor,
                malformed_length,
            },
            rest,
        ))
    }

    /// True when the length field is not a multiple of four (only possible with
    /// [`Message::parse_lax`]): the last attribute is not padded. RFC 8489 §5 forbids it.
    pub fn malformed_length(&self) -> bool {
        self.malformed_length
    }

    /// The located error for a length that is not a multiple of four, for a dissector or an
    /// analyser to show as a warning; `None` for a well-formed length.
    pub fn length_warning(&self) -> Option<Error> {
        self.malformed_length
            .then(|| length_error(usize::from(self.length())))
    }

    /// The message bytes (header and attributes).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Whether this is RFC 5389/8489 STUN (magic cookie) or classic RFC 3489.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The raw 16-bit message type field.
    pub fn raw_type(&self) -> u16 {
        u16::from_be_bytes([self.buf[0], self.buf[1]])
    }

    /// The message type (method and class).
    pub fn message_type(&self) -> MessageType {
        MessageType::from_u16(self.raw_type())
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.message_type().method
    }

    /// The class.
    pub fn class(&self) -> Class {
        self.message_type().class
    }

    /// The length field: bytes of attributes after the 20-byte header.
    pub fn length(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    /// Bytes 4..8: the magic cookie in RFC 5389 STUN, part of the transaction ID in RFC 3489.
    pub fn magic_cookie(&self) -> u32 {
        let c = &self.buf[field::header::MAGIC_COOKIE];
        u32::from_be_bytes([c[0], c[1], c[2], c[3]])
    }

    /// The transaction ID (96 bits, or 128 bits for classic STUN).
    pub fn transaction_id(&self) -> TransactionId {
        match self.flavor {
            Flavor::Rfc5389 => {
                let mut id = [0u8; 12];
                id.copy_from_slice(&self.buf[field::header::TRANSACTION_ID]);
                TransactionId::Rfc5389(id)
            }
            Flavor::Rfc3489 => {
                let mut id = [0u8; 16];
                id.copy_from_slice(&self.buf[field::header::CLASSIC_TRANSACTION_ID]);
                TransactionId::Rfc3489(id)
            }
        }
    }

    /// Header bytes 4..20, the key XOR- addresses are encoded with.
    pub fn xor_key(&self) -> [u8; 16] {
        let mut k = [0u8; 16];
        k.copy_from_slice(&self.buf[field::header::XOR_KEY]);
        k
    }

    /// The attributes, lazily, in wire order. Yields `Err` once at the first malformed
    /// attribute, then ends.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            msg: self.buf,
            xor_key: self.xor_key(),
            reader: Reader::with_base(
                &self.buf[field::header::LEN..],
                field::header::LEN,
                Layer::Stun,
            ),
            unpadded_end: self.malformed_length,
            done: false,
        }
    }

    /// The first attribute of type `typ`, if the walk reaches one before any error.
    pub fn get(&self, typ: AttributeType) -> Option<RawAttribute<'a>> {
        self.attributes()
            .map_while(Result::ok)
            .find(|a| a.attribute_type() == typ)
    }

    /// Walks all attributes once and summarises what an integrity check or a dissector needs.
    pub fn scan(&self) -> Scan {
        let mut s = Scan::default();
        for a in self.attributes() {
            let a = match a {
                Ok(a) => a,
                Err(e) => {
                    s.error = Some(e);
                    break;
                }
            };
            s.count += 1;
            let t = a.attribute_type();
            if s.misplaced.is_none() {
                let allowed = if s.fingerprint.is_some() {
                    false
                } else if s.integrity_sha256.is_some() {
                    t == AttributeType::FINGERPRINT
                } else if s.integrity.is_some() {
                    t == AttributeType::FINGERPRINT || t == AttributeType::MESSAGE_INTEGRITY_SHA256
                } else {
                    true
                };
                if !allowed {
                    s.misplaced = Some(a.offset);
                }
            }
            match t {
                AttributeType::MESSAGE_INTEGRITY if s.integrity.is_none() => {
                    s.integrity = Some(a.offset)
                }
                AttributeType::MESSAGE_INTEGRITY_SHA256 if s.integrity_sha256.is_none() => {
                    s.integrity_sha256 = Some(a.offset)
                }
                AttributeType::FINGERPRINT if s.fingerprint.is_none() => {
                    s.fingerprint = Some(a.offset)
                }
                _ => {}
            }
        }
        s
    }

    /// Checks attribute order (RFC 8489 §14.5-14.7): after MESSAGE-INTEGRITY only
    /// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow, after MESSAGE-INTEGRITY-SHA256 only
    /// FINGERPRINT, after FINGERPRINT nothing. Agents ignore such attributes; a dissector flags
    /// them. Also fails on a malformed attribute.
    pub fn check_order(&self) -> Result<()> {
        let s = self.scan();
        if let Some(e) = s.error {
            return Err(e);
        }
        if let Some(off) = s.misplaced {
            let t = u16::from_be_bytes([self.buf[off], self.buf[off + 1]]);
            return Err(Error::bad_value(
                Layer::Stun,
                off,
                "attribute after MESSAGE-INTEGRITY or FINGERPRINT",
                "only MESSAGE-INTEGRITY-SHA256 or FINGERPRINT after MESSAGE-INTEGRITY, nothing after FINGERPRINT",
                u64::from(t),
            ));
        }
        Ok(())
    }

    /// Verifies MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) with `key` (see
    /// [`crate::integrity`] for deriving it). Returns [`Check::Absent`] when there is none and
    /// a `Mismatch` error located at the attribute value when it does not verify.
    ///
    /// For classic STUN the RFC 3489 §11.2.8 rule applies: the HMAC input is the message up to
    /// the attribute, zero-padded to a multiple of 64 bytes, with the length field as sent.
    pub fn verify_integrity(&self, key: &[u8]) -> Result<Check> {
        let s = self.scan();
        let Some(off) = s.integrity else {
            return s.error.map_or(Ok(Check::Absent), Err);
        };
        let value = &self.buf[off + 4..];
        let len = u16::from_be_bytes([self.buf[off + 2], self.buf[off + 3]]) as usize;
        if len != 20 {
            return Err(Error::bad_length(
                Layer::Stun,
                off + 4,
                "MESSAGE-INTEGRITY",
                "20 bytes",
                len,
            ));
        }
        let computed = match self.flavor {
            Flavor::Rfc5389 => integrity::hmac_sha1(key, &self.buf[..off], 20),
            Flavor::Rfc3489 => integrity::hmac_sha1_classic(key, &self.buf[..off]),
        };
        integrity::compare(&computed, &value[..20], off + 4, "MESSAGE-INTEGRITY")
    }

    /// Verifies MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256, possibly truncated; RFC 8489 §14.6).
    pub fn verify_integrity_sha256(&self, key: &[u8]) -> Result<Check> {
        let s = self.scan();
        let Some(off) = s.integrity_sha256 else {
            return s.error.map_or(Ok(Check::Absent), Err);
        };
        let len = u16::from_be_bytes([self.buf[off + 2], self.buf[off + 3]]) as usize;
        if !(16..=32).contains(&len) || len % 4 != 0 {
            return Err(Error::bad_length(
                Layer::Stun,
                off + 4,
                "MESSAGE-INTEGRITY-SHA256",
                "16 to 32 bytes, a multiple of 4",
                len,
            ));
        }
        let computed = integrity::hmac_sha256(key, &self.buf[..off], len);
        integrity::compare(
            &computed[..len],
            &self.buf[off + 4..off + 4 + len],
            off + 4,
            "MESSAGE-INTEGRITY-SHA256",
        )
    }

    /// Verifies FINGERPRINT (CRC-32 XOR 0x5354554E, RFC 8489 §14.7), computed with the length
    /// field adjusted to end at the FINGERPRINT attribute.
    pub fn verify_fingerprint(&self) -> Result<Check> {
        let s = self.scan();
        let Some(off) = s.fingerprint else {
            return s.error.map_or(Ok(Check::Absent), Err);
        };
        let len = u16::from_be_bytes([self.buf[off + 2], self.buf[off + 3]]) as usize;
        if len != 4 {
            return Err(Error::bad_length(
                Layer::Stun,
                off + 4,
                "FINGERPRINT",
                "4 bytes",
                len,
            ));
        }
        let v = &self.buf[off + 4..off + 8];
        let found = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
        let computed = integrity::fingerprint(&self.buf[..off]);
        if computed == found {
            Ok(Check::Valid)
        } else {
            Err(Error::new(
                Layer::Stun,
                off + 4,
                "FINGERPRINT",
                ErrorKind::Mismatch {
                    computed: u64::from(computed),
                    found: u64::from(found),
                },
            ))
        }
    }
}

impl core::fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut d = f.debug_struct("Message");
        d.field("type", &self.message_type())
            .field("transaction_id", &self.transaction_id())
            .field("length", &self.length());
        d.finish_non_exhaustive()
    }
}

/// The outcome of a successful integrity or fingerprint check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The message does not carry the attribute.
    Absent,
    /// The attribute is present and verifies.
    Valid,
}

/// What one walk over a message's attributes found (see [`Message::scan`]). Offsets are of the
/// attribute headers, counted from the start of the message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Attributes parsed before the end or the first error.
    pub count: usize,
    /// Offset of the first MESSAGE-INTEGRITY.
    pub integrity: Option<usize>,
    /// Offset of the first MESSAGE-INTEGRITY-SHA256.
    pub integrity_sha256: Option<usize>,
    /// Offset of the first FINGERPRINT.
    pub fingerprint: Option<usize>,
    /// Offset of the first attribute in a place RFC 8489 §14.5-14.7 does not allow.
    pub misplaced: Option<usize>,
    /// The error that ended the walk early.
    pub error: Option<Error>,
}

/// One attribute as found on the wire: type, location, value bytes. Decode it with
/// [`RawAttribute::decode`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    typ: AttributeType,
    offset: usize,
    value: &'a [u8],
    padding: &'a [u8],
    xor_key: [u8; 16],
}

impl<'a> RawAttribute<'a> {
    /// The attribute type.
    pub fn attribute_type(&self) -> AttributeType {
        self.typ
    }

    /// The value bytes (without padding).
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// The padding bytes after the value (RFC 5769 vectors pad with spaces, not zeros).
    pub fn padding(&self) -> &'a [u8] {
        self.padding
    }

    /// Offset of the attribute header in the message.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The whole attribute in the message: header, value and padding.
    pub fn range(&self) -> Field {
        self.offset..self.offset + field::attribute::LEN + self.value.len() + self.padding.len()
    }

    /// The type-length header.
    pub fn header_range(&self) -> Field {
        self.offset..self.offset + field::attribute::LEN
    }

    /// The value, without padding.
    pub fn value_range(&self) -> Field {
        let start = self.offset + field::attribute::LEN;
        start..start + self.value.len()
    }

    /// Decodes the value (no allocation; text and bytes borrow from the message).
    pub fn decode(&self) -> Result<Attribute<'a>> {
        Attribute::decode(
            self.typ,
            self.value,
            self.offset + field::attribute::LEN,
            &self.xor_key,
        )
    }
}

impl core::fmt::Debug for RawAttribute<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawAttribute")
            .field("type", &self.typ)
            .field("range", &self.range())
            .field("value", &rtcscope_wire::Hex(self.value))
            .finish()
    }
}

/// Lazy iterator over a message's attributes (see [`Message::attributes`]).
#[derive(Clone, Debug)]
pub struct Attributes<'a> {
    msg: &'a [u8],
    xor_key: [u8; 16],
    reader: Reader<'a>,
    /// The message ends without the last attribute's padding (see [`Message::parse_lax`]).
    unpadded_end: bool,
    done: bool,
}

impl<'a> Attributes<'a> {
    fn read_one(&mut self) -> Result<RawAttribute<'a>> {
        let r = &mut self.reader;
        let offset = r.offset();
        let typ = AttributeType(r.u16("attribute type")?);
        let len = r.u16("attribute length")? as usize;
        let value = r.bytes(len, "attribute value")?;
        let pad = pad4(len) - len;
        // A lax message may end right after (or inside) the last attribute's padding.
        let padding = if self.unpadded_end && r.remaining() < pad {
            r.take_rest()
        } else {
            r.bytes(pad, "attribute padding")?
        };
        Ok(RawAttribute {
            typ,
            offset,
            value,
            padding,
            xor_key: self.xor_key,
        })
    }

    /// The message the attributes belong to.
    pub fn message_bytes(&self) -> &'a [u8] {
        self.msg
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<RawAttribute<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.reader.is_empty() {
            return None;
        }
        let before = self.reader.offset();
        let r = self.read_one();
        if r.is_err() {
            self.done = true;
        } else {
            // Progress: an attribute takes at least its 4-byte header, whatever its length says.
            debug_assert!(
                self.reader.offset() >= before + field::attribute::LEN,
                "Attributes::next did not advance past an attribute header"
            );
        }
        Some(r)
    }
}

impl core::iter::FusedIterator for Attributes<'_> {}
