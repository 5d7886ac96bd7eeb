//! Source description (RFC 3550 §6.5).
//!
//! ```text
//!         0                   1                   2                   3
//!         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! header |V=2|P|    SC   |  PT=SDES=202  |             length            |
//!        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! chunk  |                          SSRC/CSRC_1                          |
//!   1    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |    CNAME=1    |     length    | user and domain name        ...
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |   END=0       |  padding to the next 32-bit boundary …        |
//!        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! chunk  |                          SSRC/CSRC_2                          |
//!   2    …
//! ```
//!
//! Each chunk's item list ends with at least one null octet (the END item) and is padded to a
//! 32-bit boundary (§6.5). PRIV items (§6.5.8) carry a prefix length, prefix and value.

use super::{bad_emit, pad_from, put_u32};
use crate::bytes::{shift, slice, slice_from, u32_at};
use rtcscope_wire::{Error, ErrorKind, Field, Layer, Result};

rtcscope_wire::wire_enum! {
    /// SDES item type (IANA "RTP SDES Item Types").
    pub struct SdesItemType(u8) {
        /// End of the item list.
        END = 0 => "END",
        /// Canonical end-point identifier.
        CNAME = 1 => "CNAME",
        /// User name.
        NAME = 2 => "NAME",
        /// Electronic mail address.
        EMAIL = 3 => "EMAIL",
        /// Phone number.
        PHONE = 4 => "PHONE",
        /// Geographic location.
        LOC = 5 => "LOC",
        /// Application or tool name.
        TOOL = 6 => "TOOL",
        /// Notice/status.
        NOTE = 7 => "NOTE",
        /// Private extension.
        PRIV = 8 => "PRIV",
        /// H.323 callable address.
        H323_CADDR = 9 => "H323-CADDR",
        /// Application-specific identifier (RFC 6776).
        APSI = 10 => "APSI",
        /// Reporting group identifier (RFC 8861).
        RGRP = 11 => "RGRP",
        /// RtpStreamId (RFC 8852).
        RTP_STREAM_ID = 12 => "RtpStreamId",
        /// RepairedRtpStreamId (RFC 8852).
        REPAIRED_RTP_STREAM_ID = 13 => "RepairedRtpStreamId",
        /// CLUE capture ID (RFC 8849).
        CCID = 14 => "CCID",
        /// Media identification (RFC 9143).
        MID = 15 => "MID",
    }
}

/// An SDES packet view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sdes<'a> {
    body: &'a [u8],
    base: usize,
    count: u8,
}

impl<'a> Sdes<'a> {
    /// Wraps an SDES body; chunks are checked as they are iterated.
    #[inline]
    pub fn new_checked(body: &'a [u8], base: usize, count: u8) -> Result<Self> {
        Ok(Sdes { body, base, count })
    }
    /// The source count (SC).
    #[inline]
    pub fn source_count(&self) -> u8 {
        self.count
    }
    /// The chunks (lax). After SC chunks, leftover bytes are a `TrailingBytes` error.
    #[inline]
    pub fn chunks(&self) -> SdesChunks<'a> {
        SdesChunks {
            body: self.body,
            base: self.base,
            pos: 0,
            left: self.count,
            done: false,
        }
    }
}

/// One SDES chunk: an SSRC/CSRC and its items.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    buf: &'a [u8],
    base: usize,
    items_end: usize,
}

impl<'a> SdesChunk<'a> {
    /// Checks the chunk at the start of `buf` (SSRC, items, END, padding).
    #[inline]
    pub fn new_checked(buf: &'a [u8], base: usize) -> Result<Self> {
        if buf.len() < 4 {
            return Err(Error::truncated(
                Layer::Rtcp,
                base,
                "SDES chunk SSRC",
                4,
                buf.len(),
            ));
        }
        let mut pos = 4;
        loop {
            let Some(&t) = buf.get(pos) else {
                return Err(Error::truncated(
                    Layer::Rtcp,
                    base + pos,
                    "SDES item type (END missing)",
                    1,
                    0,
                ));
            };
            if t == 0 {
                break;
            }
            let Some(&len) = buf.get(pos + 1) else {
                return Err(Error::truncated(
                    Layer::Rtcp,
                    base + pos + 1,
                    "SDES item length",
                    1,
                    0,
                ));
            };
            let end = pos + 2 + usize::from(len);
            if end > buf.len() {
                return Err(Error::truncated(
                    Layer::Rtcp,
                    base + pos + 2,
                    "SDES item text",
                    len.into(),
                    buf.len() - pos - 2,
                ));
            }
            // Progress: an item is at least its type and length bytes.
            debug_assert!(
                end >= pos + 2,
                "SdesChunk::new_checked item walk did not advance"
            );
            pos = end;
        }
        let items_end = pos;
        // END octet, then pad to 32 bits.
        let chunk_end = rtcscope_wire::pad4(pos + 1);
        if chunk_end > buf.len() {
            return Err(Error::truncated(
                Layer::Rtcp,
                base + pos,
                "SDES chunk padding",
                chunk_end - pos,
                buf.len() - pos,
            ));
        }
        Ok(SdesChunk {
            buf: slice(buf, 0..chunk_end),
            base,
            items_end,
        })
    }
    /// The SSRC or CSRC described.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.buf, 0)
    }
    /// The items (already validated).
    #[inline]
    pub fn items(&self) -> SdesItems<'a> {
        SdesItems {
            buf: slice(self.buf, 0..self.items_end),
            base: self.base,
            pos: 4,
        }
    }
    /// Range of the chunk (including END and padding).
    #[inline]
    pub fn range(&self) -> Field {
        self.base..self.base + self.buf.len()
    }
    /// Length of the chunk in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    /// Never true (a chunk has at least its SSRC and END).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

impl core::fmt::Debug for SdesChunk<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SdesChunk")
            .field("ssrc", &format_args!("{:#010x}", self.ssrc()))
            .field("items", &self.items().collect::<Vec<_>>())
            .finish()
    }
}

/// One SDES item.
#[derive(Clone, PartialEq, Eq)]
pub struct SdesItem<'a> {
    /// Item type.
    pub item_type: SdesItemType,
    /// Item value (text for most types; prefix length + prefix + value for PRIV).
    pub value: &'a [u8],
    /// Range of the item (type, length, value).
    pub range: Field,
}

impl<'a> SdesItem<'a> {
    /// The value as UTF-8 text (RFC 3550 §6.5: items are UTF-8).
    #[inline]
    pub fn text(&self) -> Result<&'a str> {
        core::str::from_utf8(self.value).map_err(|_| {
            Error::new(
                Layer::Rtcp,
                self.range.start + 2,
                "SDES item text",
                ErrorKind::BadText,
            )
        })
    }
    /// For PRIV items (§6.5.8): `(prefix, value)`, or `None` when not PRIV or the prefix
    /// length overruns the item.
    #[inline]
    pub fn priv_prefix(&self) -> Option<(&'a [u8], &'a [u8])> {
        if self.item_type != SdesItemType::PRIV {
            return None;
        }
        let (&n, rest) = self.value.split_first()?;
        let n = usize::from(n);
        (n <= rest.len()).then(|| rest.split_at(n))
    }
}

impl core::fmt::Debug for SdesItem<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match core::str::from_utf8(self.value) {
            Ok(s) => write!(f, "{:?}={s:?}", self.item_type),
            Err(_) => write!(
                f,
                "{:?}={:?}",
                self.item_type,
                rtcscope_wire::Hex(self.value)
            ),
        }
    }
}

/// Iterator over the items of a checked chunk.
#[derive(Clone, Debug)]
pub struct SdesItems<'a> {
    buf: &'a [u8],
    base: usize,
    pos: usize,
}

impl<'a> Iterator for SdesItems<'a> {
    type Item = SdesItem<'a>;
    #[inline]
    fn next(&mut self) -> Option<SdesItem<'a>> {
        let t = *self.buf.get(self.pos)?;
        let len = usize::from(*self.buf.get(self.pos + 1)?);
        let start = self.pos;
        let end = start + 2 + len;
        if end > self.buf.len() {
            return None;
        }
        debug_assert!(end >= start + 2, "SdesItems::next did not advance");
        self.pos = end;
        Some(SdesItem {
            item_type: SdesItemType(t),
            value: slice(self.buf, start + 2..end),
            range: shift(start..end, self.base),
        })
    }
}

/// Lax iterator over SDES chunks.
#[derive(Clone, Debug)]
pub struct SdesChunks<'a> {
    body: &'a [u8],
    base: usize,
    pos: usize,
    left: u8,
    done: bool,
}

impl<'a> Iterator for SdesChunks<'a> {
    type Item = Result<SdesChunk<'a>>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.left == 0 {
            self.done = true;
            let rest = self.body.len() - self.pos.min(self.body.len());
            return (rest > 0).then(|| {
                Err(Error::new(
                    Layer::Rtcp,
                    self.base + self.pos,
                    "SDES chunks after SC",
                    ErrorKind::TrailingBytes { count: rest },
                ))
            });
        }
        match SdesChunk::new_checked(slice_from(self.body, self.pos), self.base + self.pos) {
            Ok(c) => {
                // Progress: a chunk is at least its SSRC, END and padding (8 bytes).
                let before = self.pos;
                self.pos += c.len();
                debug_assert!(
                    self.pos >= before + 8,
                    "SdesChunks::next did not advance past a chunk"
                );
                self.left -= 1;
                Some(Ok(c))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// An owned SDES item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SdesItemRepr {
    /// Item type (not END).
    pub item_type: SdesItemType,
    /// Value (at most 255 bytes).
    pub value: Vec<u8>,
}

/// An owned SDES chunk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SdesChunkRepr {
    /// SSRC/CSRC.
    pub ssrc: u32,
    /// Items.
    pub items: Vec<SdesItemRepr>,
}

/// An owned SDES packet body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SdesRepr {
    /// Chunks (at most 31).
    pub chunks: Vec<SdesChunkRepr>,
}

impl SdesRepr {
    /// Parses every chunk and item.
    pub fn parse(v: &Sdes<'_>) -> Result<Self> {
        let mut chunks = Vec::new();
        for c in v.chunks() {
            let c = c?;
            chunks.push(SdesChunkRepr {
                ssrc: c.ssrc(),
                items: c
                    .items()
                    .map(|i| SdesItemRepr {
                        item_type: i.item_type,
                        value: i.value.to_vec(),
                    })
                    .collect(),
            });
        }
        Ok(SdesRepr { chunks })
    }
    /// Appends the body; returns SC.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<u8> {
        if self.chunks.len() > 31 {
            return Err(bad_emit(
                "source count",
                "at most 31",
                self.chunks.len() as u64,
            ));
        }
        for c in &self.chunks {
            let start = out.len();
            put_u32(out, c.ssrc);
            for i in &c.items {
                if i.item_type == SdesItemType::END {
                    return Err(bad_emit("SDES item type", "not END (0)", 0));
                }
                if i.value.len() > 255 {
                    return Err(bad_emit(
                        "SDES item length",
                        "0..=255",
                        i.value.len() as u64,
                    ));
                }
                out.push(i.item_type.0);
                out.push(i.value.len() as u8);
                out.extend_from_slice(&i.value);
            }
            out.push(0);
            pad_from(out, start);
        }
        Ok(self.chunks.len() as u8)
    }
}
