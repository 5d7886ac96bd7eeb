//! The bounds-checked cursor.

use crate::{Error, ErrorKind, Layer, Result};

/// A bounds-checked cursor over a borrowed byte slice.
///
/// All reads are big-endian (network order) and fallible; nothing here can panic. Every read names
/// the field it reads, so a failure becomes a located [`Error`] without any extra work at the call
/// site.
///
/// ```
/// use rtcscope_wire::{Layer, Reader};
/// let bytes = [0x00, 0x03, b'a', b'b', b'c', 0xff];
/// let mut r = Reader::new(&bytes, Layer::Stun);
/// let len = r.u16("length")? as usize;
/// let mut body = r.sub(len, "body")?;
/// assert_eq!(body.rest(), b"abc");
/// assert_eq!(body.offset(), 2);
/// assert_eq!(r.u8("tail")?, 0xff);
/// assert!(r.u8("past the end").is_err());
/// # Ok::<(), rtcscope_wire::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
    layer: Layer,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, whose first byte is at offset 0.
    pub const fn new(buf: &'a [u8], layer: Layer) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
            layer,
        }
    }

    /// A reader over `buf`, whose first byte is at absolute offset `base` in an enclosing buffer.
    pub const fn with_base(buf: &'a [u8], base: usize, layer: Layer) -> Self {
        Reader {
            buf,
            pos: 0,
            base,
            layer,
        }
    }

    /// The layer errors are attributed to.
    pub const fn layer(&self) -> Layer {
        self.layer
    }

    /// Attributes errors of this reader to another layer from now on (for an inner protocol that
    /// continues in the same buffer).
    #[must_use]
    pub const fn in_layer(mut self, layer: Layer) -> Self {
        self.layer = layer;
        self
    }

    /// Absolute offset of the next byte to be read.
    pub const fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Position relative to the start of this reader.
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left to read.
    pub const fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True when nothing is left.
    pub const fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// The whole buffer this reader was created over.
    pub const fn buffer(&self) -> &'a [u8] {
        self.buf
    }

    /// Builds an error located at the current position.
    pub const fn error(&self, field: &'static str, kind: ErrorKind) -> Error {
        Error::new(self.layer, self.offset(), field, kind)
    }

    /// Builds a `BadValue` error located `back` bytes before the current position (for a field
    /// that was just read).
    pub const fn bad_value_at(
        &self,
        back: usize,
        field: &'static str,
        expected: &'static str,
        found: u64,
    ) -> Error {
        Error::bad_value(self.layer, self.offset() - back, field, expected, found)
    }

    #[inline]
    fn need(&self, n: usize, field: &'static str) -> Result<()> {
        if self.remaining() < n {
            Err(Error::truncated(
                self.layer,
                self.offset(),
                field,
                n,
                self.remaining(),
            ))
        } else {
            Ok(())
        }
    }

    /// Reads `n` bytes.
    #[inline]
    pub fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8]> {
        self.need(n, field)?;
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Reads a fixed-size array.
    #[inline]
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let b = self.bytes(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    /// Skips `n` bytes.
    #[inline]
    pub fn skip(&mut self, n: usize, field: &'static str) -> Result<()> {
        self.bytes(n, field).map(|_| ())
    }

    /// Reads one byte.
    #[inline]
    pub fn u8(&mut self, field: &'static str) -> Result<u8> {
        Ok(self.array::<1>(field)?[0])
    }

    /// Reads a big-endian u16.
    #[inline]
    pub fn u16(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// Reads a big-endian 24-bit integer.
    #[inline]
    pub fn u24(&mut self, field: &'static str) -> Result<u32> {
        let [a, b, c] = self.array(field)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// Reads a big-endian u32.
    #[inline]
    pub fn u32(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Reads a big-endian 48-bit integer.
    #[inline]
    pub fn u48(&mut self, field: &'static str) -> Result<u64> {
        let [a, b, c, d, e, g] = self.array(field)?;
        Ok(u64::from_be_bytes([0, 0, a, b, c, d, e, g]))
    }

    /// Reads a big-endian u64.
    #[inline]
    pub fn u64(&mut self, field: &'static str) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// Looks at the next byte without consuming it.
    #[inline]
    pub fn peek_u8(&self, field: &'static str) -> Result<u8> {
        self.need(1, field)?;
        Ok(self.buf[self.pos])
    }

    /// Hands out a sub-reader over the next `len` bytes and advances past them. The sub-reader
    /// keeps absolute offsets, so its errors are located in the outer buffer.
    #[inline]
    pub fn sub(&mut self, len: usize, field: &'static str) -> Result<Reader<'a>> {
        let base = self.offset();
        let body = self.bytes(len, field)?;
        Ok(Reader::with_base(body, base, self.layer))
    }

    /// Reads a u8 length prefix and returns a sub-reader over that many bytes.
    pub fn sub_u8(&mut self, field: &'static str) -> Result<Reader<'a>> {
        let len = self.u8(field)? as usize;
        self.sub(len, field)
    }

    /// Reads a u16 length prefix and returns a sub-reader over that many bytes.
    pub fn sub_u16(&mut self, field: &'static str) -> Result<Reader<'a>> {
        let len = self.u16(field)? as usize;
        self.sub(len, field)
    }

    /// Reads a u24 length prefix and returns a sub-reader over that many bytes.
    pub fn sub_u24(&mut self, field: &'static str) -> Result<Reader<'a>> {
        let len = self.u24(field)? as usize;
        self.sub(len, field)
    }

    /// Consumes and returns everything left.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }

    /// Fails with `TrailingBytes` unless everything was consumed.
    pub fn expect_end(&self, field: &'static str) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.error(
                field,
                ErrorKind::TrailingBytes {
                    count: self.remaining(),
                },
            ))
        }
    }

    /// Reads `n` bytes as UTF-8 text.
    pub fn str(&mut self, n: usize, field: &'static str) -> Result<&'a str> {
        let at = self.offset();
        let b = self.bytes(n, field)?;
        core::str::from_utf8(b).map_err(|_| Error::new(self.layer, at, field, ErrorKind::BadText))
    }
}
