//! RTP header extensions: the RFC 3550 §5.3.1 block and the RFC 8285 element forms.
//!
//! One-byte form (RFC 8285 §4.2), profile `0xBEDE`; `L` is the data length minus one, ID 0 is
//! a padding byte and ID 15 stops processing:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |       0xBE    |    0xDE       |           length=3            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  ID   | L=0   |     data      |  ID   |  L=1  |   data...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Two-byte form (RFC 8285 §4.3), profile `0x100` + 4 "appbits"; `L` is the data length (0 is
//! allowed) and a zero byte where an ID is expected is padding:
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         0x100         |appbits|           length=3            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      ID       |     L=0       |     ID        |     L=1       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Any other profile is an RFC 3550 extension whose data this crate keeps raw.

use rtcscope_wire::{Error, ErrorKind, Field, Layer, Result};

use super::field;

/// The one-byte header profile (RFC 8285 §4.2).
pub const PROFILE_ONE_BYTE: u16 = 0xBEDE;
/// The two-byte header profile with appbits 0 (RFC 8285 §4.3); the low 4 bits are appbits.
pub const PROFILE_TWO_BYTE: u16 = 0x1000;

/// Which element format a header extension block uses, from its profile field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtensionForm {
    /// RFC 8285 one-byte headers (`0xBEDE`).
    OneByte,
    /// RFC 8285 two-byte headers (`0x100x`), with the 4 application bits.
    TwoByte {
        /// The low 4 bits of the profile field.
        appbits: u8,
    },
    /// Another profile (RFC 3550 §5.3.1): the data is opaque.
    Other(u16),
}

impl ExtensionForm {
    /// The form a profile value selects.
    #[inline]
    pub const fn from_profile(profile: u16) -> Self {
        if profile == PROFILE_ONE_BYTE {
            ExtensionForm::OneByte
        } else if profile & 0xfff0 == PROFILE_TWO_BYTE {
            ExtensionForm::TwoByte {
                appbits: (profile & 0x0f) as u8,
            }
        } else {
            ExtensionForm::Other(profile)
        }
    }

    /// The profile value of this form.
    #[inline]
    pub const fn profile(self) -> u16 {
        match self {
            ExtensionForm::OneByte => PROFILE_ONE_BYTE,
            ExtensionForm::TwoByte { appbits } => PROFILE_TWO_BYTE | (appbits & 0x0f) as u16,
            ExtensionForm::Other(p) => p,
        }
    }
}

/// A header extension block: the 4-byte "defined by profile" + length header and its data.
///
/// Built by [`RtpPacket::extension`](super::RtpPacket::extension), which has already checked
/// that the whole block is within the packet.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ExtensionBlock<'a> {
    header: &'a [u8; field::EXT_DATA],
    data: &'a [u8],
    base: usize,
}

impl<'a> ExtensionBlock<'a> {
    /// `header` and `data` are the block's 4-byte header and its `length` words of data;
    /// `base` is the block's offset in the packet.
    #[inline]
    pub(crate) fn from_parts(
        header: &'a [u8; field::EXT_DATA],
        data: &'a [u8],
        base: usize,
    ) -> Self {
        ExtensionBlock { header, data, base }
    }

    /// Checks a standalone extension block (header and data); `base` is its offset in the
    /// enclosing packet, used for error and field locations.
    #[inline]
    pub fn new_checked(buf: &'a [u8], base: usize) -> Result<Self> {
        let Some((header, data)) = buf.split_first_chunk::<{ field::EXT_DATA }>() else {
            return Err(Error::truncated(
                Layer::Rtp,
                base,
                "header extension header",
                field::EXT_DATA,
                buf.len(),
            ));
        };
        let words = usize::from(u16::from_be_bytes([header[2], header[3]]));
        if data.len() != 4 * words {
            return Err(Error::bad_length(
                Layer::Rtp,
                base + field::EXT_LENGTH.start,
                "header extension length",
                "the block size in 32-bit words",
                words,
            ));
        }
        Ok(ExtensionBlock { header, data, base })
    }

    /// The "defined by profile" field.
    #[inline]
    pub fn profile(&self) -> u16 {
        u16::from_be_bytes([self.header[0], self.header[1]])
    }

    /// The element form the profile selects.
    #[inline]
    pub fn form(&self) -> ExtensionForm {
        ExtensionForm::from_profile(self.profile())
    }

    /// The length field (in 32-bit words, excluding the 4-byte header).
    #[inline]
    pub fn length_words(&self) -> u16 {
        u16::from_be_bytes([self.header[2], self.header[3]])
    }

    /// The extension data after the 4-byte header.
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Range of the whole block in the packet.
    #[inline]
    pub fn range(&self) -> Field {
        self.base..self.base + field::EXT_DATA + self.data.len()
    }

    /// Range of the data in the packet.
    #[inline]
    pub fn data_range(&self) -> Field {
        self.base + field::EXT_DATA..self.base + field::EXT_DATA + self.data.len()
    }

    /// Iterates over the RFC 8285 elements (nothing for another profile). Lax: yields elements
    /// until a malformed one, then that error, then stops.
    #[inline]
    pub fn iter(&self) -> Extensions<'a> {
        let data = self.data();
        let form = self.form();
        Extensions {
            // Another profile has no elements: start exhausted.
            rest: if let ExtensionForm::Other(_) = form {
                &[]
            } else {
                data
            },
            end: self.base + field::EXT_DATA + data.len(),
            form,
        }
    }

    /// The first element with this ID that parses (elements after a malformed one are not
    /// searched).
    #[inline]
    pub fn find(&self, id: u8) -> Option<Extension<'a>> {
        self.iter().map_while(|e| e.ok()).find(|e| e.id == id)
    }

    /// Calls `f` with the ID and data of every RFC 8285 element, in order (nothing for another
    /// profile); the first malformed element is the error, after `f` has seen those before it.
    ///
    /// The same walk as [`iter`](Self::iter) without the per-element ranges: the fast path for
    /// a reader that wants every element (it is what the equal-work benchmark runs).
    ///
    /// Always inlined, with the one-byte loop, so that `f`'s state stays in registers; the
    /// two-byte loop is a call.
    #[inline(always)]
    pub fn visit(&self, f: impl FnMut(u8, &'a [u8])) -> Result<()> {
        match self.form() {
            ExtensionForm::OneByte => self.visit_one_byte(f),
            ExtensionForm::TwoByte { .. } => self.visit_two_byte(f),
            ExtensionForm::Other(_) => Ok(()),
        }
    }

    /// [`visit`](Self::visit) for the one-byte form, which WebRTC puts in nearly every packet:
    /// the same elements and errors as [`step`], in fewer instructions per element.
    ///
    /// - The zero bytes that end the last word (the data is whole words) are counted at once,
    ///   from that word, instead of walked one by one: the loop stops where they begin. They
    ///   are padding unless the last element's data reaches into them, and an element's data
    ///   is still bounded by the true end.
    /// - One comparison tells an element (`0x10..=0xEF`) from the rare bytes that need a
    ///   second look: padding (`0x00`), the ID 15 stop (`0xF0..`) and the reserved ID 0.
    /// - Errors are built out of line, so the loop stays small.
    #[inline(always)]
    fn visit_one_byte(&self, mut f: impl FnMut(u8, &'a [u8])) -> Result<()> {
        let end = self.data_range().end;
        let mut rest = self.data;
        let trailing_zeros = match rest.last_chunk::<4>() {
            Some(&word) => (u32::from_le_bytes(word).leading_zeros() / 8) as usize,
            None => 0,
        };
        while rest.len() > trailing_zeros {
            let b = rest[0];
            if b.wrapping_sub(0x10) >= 0xe0 {
                match b {
                    0 => {
                        rest = &rest[1..];
                        continue;
                    }
                    0xf0.. => return Ok(()),
                    _ => return Err(reserved_one_byte_id(b, end - rest.len())),
                }
            }
            // The ID/length byte and 1–16 bytes of data.
            let size = usize::from(b & 0x0f) + 2;
            if size > rest.len() {
                return Err(truncated_data(
                    end - rest.len() + 1,
                    size - 1,
                    rest.len() - 1,
                ));
            }
            let (element, after) = rest.split_at(size);
            f(b >> 4, &element[1..]);
            // Progress: the ID/length byte and at least one data byte.
            debug_assert!(
                after.len() + 2 <= rest.len(),
                "ExtensionBlock::visit_one_byte did not advance"
            );
            rest = after;
        }
        Ok(())
    }

    /// [`visit`](Self::visit) for the two-byte form: [`step`] element by element.
    fn visit_two_byte(&self, mut f: impl FnMut(u8, &'a [u8])) -> Result<()> {
        let (mut rest, end) = (self.data(), self.data_range().end);
        while let Some(e) = step(&mut rest, end, true) {
            let e = e?;
            f(e.id, e.data);
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &ExtensionBlock<'a> {
    type Item = Result<Extension<'a>>;
    type IntoIter = Extensions<'a>;
    fn into_iter(self) -> Extensions<'a> {
        self.iter()
    }
}

impl core::fmt::Debug for ExtensionBlock<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut l = f.debug_list();
        if let ExtensionForm::Other(p) = self.form() {
            l.entry(&format_args!(
                "profile {p:#06x}: {:?}",
                rtcscope_wire::Hex(self.data())
            ));
        } else {
            for e in self.iter() {
                match e {
                    Ok(e) => l.entry(&e),
                    Err(e) => l.entry(&format_args!("{e}")),
                };
            }
        }
        l.finish()
    }
}

/// One RFC 8285 header extension element.
#[derive(Clone, PartialEq, Eq)]
pub struct Extension<'a> {
    /// The local identifier (1–14 in the one-byte form, 1–255 in the two-byte form).
    pub id: u8,
    /// The element data.
    pub data: &'a [u8],
    /// Range of the element (its ID/length header and data) in the packet.
    pub range: Field,
    /// The form of the block it came from.
    pub form: ExtensionForm,
}

impl Extension<'_> {
    /// Range of the element data in the packet.
    #[inline]
    pub fn data_range(&self) -> Field {
        self.range.end - self.data.len()..self.range.end
    }
}

impl core::fmt::Debug for Extension<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}={:?}", self.id, rtcscope_wire::Hex(self.data))
    }
}

/// Lax iterator over header extension elements.
///
/// It walks a shrinking slice of the block's data: the element's packet offset is `end` minus
/// what is left, so no per-element offset bookkeeping is needed. Exhaustion, ID 15 and an
/// error all leave `rest` empty.
#[derive(Clone, Debug)]
pub struct Extensions<'a> {
    /// The data not yet walked.
    rest: &'a [u8],
    /// Packet offset of the end of the extension data.
    end: usize,
    form: ExtensionForm,
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Result<Extension<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let two_byte = matches!(self.form, ExtensionForm::TwoByte { .. });
        match step(&mut self.rest, self.end, two_byte)? {
            Ok(e) => {
                // The element ends where the data not yet walked begins.
                let end = self.end - self.rest.len();
                Some(Ok(Extension {
                    id: e.id,
                    data: e.data,
                    range: end - e.data.len() - e.hdr..end,
                    form: self.form,
                }))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// An element as [`step`] finds it: ID, data and header length (its offset follows from
/// what is left to walk, so the hot path does not carry it).
struct Element<'a> {
    id: u8,
    data: &'a [u8],
    hdr: usize,
}

/// Walks one element off the front of `rest`, the block's data not yet walked, which ends at
/// packet offset `end`. Skips padding bytes first. `None` at the end of the data and at ID 15;
/// exhaustion, ID 15 and an error all leave `rest` empty. Shared by the iterator and by
/// [`ExtensionBlock::visit`], whose per-form loops let `two_byte` be a constant.
#[inline(always)]
fn step<'a>(rest: &mut &'a [u8], end: usize, two_byte: bool) -> Option<Result<Element<'a>>> {
    // Skip padding bytes (zeros between elements, in both forms).
    let mut r = *rest;
    let b = loop {
        match r.split_first() {
            Some((0, tail)) => r = tail,
            Some((&b, _)) => break b,
            None => {
                *rest = r;
                return None;
            }
        }
    };
    // Packet offset of the element, for errors only.
    let at = |r: &[u8]| end - r.len();
    let (id, len, hdr) = if two_byte {
        match r.get(1) {
            Some(&l) => (b, usize::from(l), 2),
            None => {
                *rest = &[];
                return Some(Err(Error::truncated(
                    Layer::RtpExtension,
                    at(r),
                    "two-byte element header",
                    2,
                    r.len(),
                )));
            }
        }
    } else {
        let id = b >> 4;
        if id == 15 {
            // RFC 8285 §4.2: ID 15 stops processing of the whole extension.
            *rest = &[];
            return None;
        }
        if id == 0 {
            *rest = &[];
            return Some(Err(reserved_one_byte_id(b, at(r))));
        }
        (id, usize::from(b & 0x0f) + 1, 1)
    };
    let Some((element, after)) = r.split_at_checked(hdr + len) else {
        *rest = &[];
        return Some(Err(truncated_data(
            at(r) + hdr,
            len,
            r.len().saturating_sub(hdr),
        )));
    };
    // Progress: an element takes its header and, in the one-byte form, at least one data byte.
    debug_assert!(
        after.len() + 2 <= rest.len(),
        "RTP header-extension step did not advance"
    );
    *rest = after;
    Some(Ok(Element {
        id,
        data: element.get(hdr..).unwrap_or(&[]),
        hdr,
    }))
}

/// A one-byte element header with ID 0 that is not the padding byte `0x00`, at packet offset
/// `at`. Out of line: the walks' loops only branch to it.
#[cold]
#[inline(never)]
fn reserved_one_byte_id(b: u8, at: usize) -> Error {
    Error::bad_value(
        Layer::RtpExtension,
        at,
        "one-byte element ID",
        "a padding byte 0x00 (ID 0 is reserved for padding)",
        b.into(),
    )
}

/// Element data that needs `needed` bytes where `available` are left, starting at packet
/// offset `at`. Out of line, like [`reserved_one_byte_id`].
#[cold]
#[inline(never)]
fn truncated_data(at: usize, needed: usize, available: usize) -> Error {
    Error::new(
        Layer::RtpExtension,
        at,
        "element data",
        ErrorKind::Truncated { needed, available },
    )
}

/// An owned header extension element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExtensionRepr {
    /// Local identifier.
    pub id: u8,
    /// Element data.
    pub data: Vec<u8>,
}

/// An owned header extension block.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExtensionBlockRepr {
    /// RFC 8285 one-byte elements (IDs 1–14, 1–16 data bytes each).
    OneByte(Vec<ExtensionRepr>),
    /// RFC 8285 two-byte elements (IDs 1–255, 0–255 data bytes each).
    TwoByte {
        /// The 4 application bits of the profile.
        appbits: u8,
        /// The elements.
        elements: Vec<ExtensionRepr>,
    },
    /// An RFC 3550 extension with another profile; data is a multiple of 4 bytes.
    Other {
        /// The profile field.
        profile: u16,
        /// The data.
        data: Vec<u8>,
    },
}

impl ExtensionBlockRepr {
    /// Parses every element (strict: the first malformed element is the error).
    pub fn parse(block: &ExtensionBlock<'_>) -> Result<Self> {
        let collect = || -> Result<Vec<ExtensionRepr>> {
            block
                .iter()
                .map(|e| {
                    e.map(|e| ExtensionRepr {
                        id: e.id,
                        data: e.data.to_vec(),
                    })
                })
                .collect()
        };
        Ok(match block.form() {
            ExtensionForm::OneByte => ExtensionBlockRepr::OneByte(collect()?),
            ExtensionForm::TwoByte { appbits } => ExtensionBlockRepr::TwoByte {
                appbits,
                elements: collect()?,
            },
            ExtensionForm::Other(profile) => ExtensionBlockRepr::Other {
                profile,
                data: block.data().to_vec(),
            },
        })
    }

    /// The elements (empty for [`ExtensionBlockRepr::Other`]).
    #[inline]
    pub fn elements(&self) -> &[ExtensionRepr] {
        match self {
            ExtensionBlockRepr::OneByte(e) | ExtensionBlockRepr::TwoByte { elements: e, .. } => e,
            ExtensionBlockRepr::Other { .. } => &[],
        }
    }

    fn data_len(&self) -> usize {
        match self {
            ExtensionBlockRepr::OneByte(e) => e.iter().map(|e| 1 + e.data.len()).sum(),
            ExtensionBlockRepr::TwoByte { elements, .. } => {
                elements.iter().map(|e| 2 + e.data.len()).sum()
            }
            ExtensionBlockRepr::Other { data, .. } => data.len(),
        }
    }

    /// Bytes [`emit`](Self::emit) appends: 4-byte header plus data padded to 32 bits.
    #[inline]
    pub fn buffer_len(&self) -> usize {
        4 + rtcscope_wire::pad4(self.data_len())
    }

    /// Appends the block; errors (offsets relative to the block) when an element cannot be
    /// encoded in its form.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        let bad = |at: usize, field: &'static str, expected: &'static str, found: usize| {
            Err(Error::bad_value(
                Layer::RtpExtension,
                at,
                field,
                expected,
                found as u64,
            ))
        };
        let words = rtcscope_wire::pad4(self.data_len()) / 4;
        if words > usize::from(u16::MAX) {
            return bad(2, "header extension length", "at most 65535 words", words);
        }
        let profile = match self {
            ExtensionBlockRepr::OneByte(els) => {
                for e in els {
                    if !(1..=14).contains(&e.id) {
                        return bad(4, "one-byte element ID", "1..=14", e.id.into());
                    }
                    if !(1..=16).contains(&e.data.len()) {
                        return bad(4, "one-byte element length", "1..=16", e.data.len());
                    }
                }
                PROFILE_ONE_BYTE
            }
            ExtensionBlockRepr::TwoByte { appbits, elements } => {
                if *appbits > 15 {
                    return bad(1, "appbits", "0..=15", (*appbits).into());
                }
                for e in elements {
                    if e.id == 0 {
                        return bad(4, "two-byte element ID", "1..=255", 0);
                    }
                    if e.data.len() > 255 {
                        return bad(4, "two-byte element length", "0..=255", e.data.len());
                    }
                }
                PROFILE_TWO_BYTE | u16::from(*appbits)
            }
            ExtensionBlockRepr::Other { profile, data } => {
                if !matches!(
                    ExtensionForm::from_profile(*profile),
                    ExtensionForm::Other(_)
                ) {
                    return bad(
                        0,
                        "header extension profile",
                        "not an RFC 8285 profile",
                        (*profile).into(),
                    );
                }
                if data.len() % 4 != 0 {
                    return bad(4, "header extension data", "a multiple of 4", data.len());
                }
                *profile
            }
        };
        out.extend_from_slice(&profile.to_be_bytes());
        out.extend_from_slice(&(words as u16).to_be_bytes());
        let start = out.len();
        match self {
            ExtensionBlockRepr::OneByte(els) => {
                for e in els {
                    out.push(e.id << 4 | (e.data.len() - 1) as u8);
                    out.extend_from_slice(&e.data);
                }
            }
            ExtensionBlockRepr::TwoByte { elements, .. } => {
                for e in elements {
                    out.push(e.id);
                    out.push(e.data.len() as u8);
                    out.extend_from_slice(&e.data);
                }
            }
            ExtensionBlockRepr::Other { data, .. } => out.extend_from_slice(data),
        }
        out.resize(start + 4 * words, 0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{RtpPacket, RtpRepr};
    use super::*;

    fn packet_with(ext: &[u8]) -> Vec<u8> {
        let mut v = vec![0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        v.extend_from_slice(ext);
        v.extend_from_slice(b"payload");
        v
    }

    // RFC 8285 §4.2 example: one-byte form, length=3, elements (ID a, L=0), (ID b, L=1),
    // two padding bytes, (ID c, L=3). IDs 1, 2, 3 chosen for a, b, c.
    const RFC8285_ONE_BYTE: [u8; 16] = [
        0xbe, 0xde, 0x00, 0x03, 0x10, 0xaa, 0x21, 0xbb, 0xbb, 0x00, 0x00, 0x33, 0xcc, 0xcc, 0xcc,
        0xcc,
    ];
    // RFC 8285 §4.3 example: two-byte form, length=3, (ID a, L=0), (ID b, L=1), one padding
    // byte, (ID c, L=4). IDs 1, 2, 3.
    const RFC8285_TWO_BYTE: [u8; 16] = [
        0x10, 0x00, 0x00, 0x03, 0x01, 0x00, 0x02, 0x01, 0xbb, 0x00, 0x03, 0x04, 0xcc, 0xcc, 0xcc,
        0xcc,
    ];

    #[test]
    fn rfc8285_one_byte_example() {
        let v = packet_with(&RFC8285_ONE_BYTE);
        let p = RtpPacket::new_checked(&v).unwrap();
        let b = p.extension().unwrap();
        assert_eq!(b.form(), ExtensionForm::OneByte);
        assert_eq!(b.range(), 12..28);
        let els: Vec<_> = b.iter().map(Result::unwrap).collect();
        assert_eq!(els.len(), 3);
        assert_eq!(
            (els[0].id, els[0].data, els[0].range.clone()),
            (1, &[0xaa][..], 16..18)
        );
        assert_eq!((els[1].id, els[1].data), (2, &[0xbb, 0xbb][..]));
        assert_eq!((els[2].id, els[2].data), (3, &[0xcc; 4][..]));
        assert_eq!(els[2].data_range(), 24..28);
        assert_eq!(p.payload(), b"payload");
        let r = RtpRepr::parse(&p).unwrap();
        let again = RtpRepr::parse_bytes(&r.to_bytes().unwrap()).unwrap();
        assert_eq!(r, again);
    }

    #[test]
    fn rfc8285_two_byte_example() {
        let v = packet_with(&RFC8285_TWO_BYTE);
        let p = RtpPacket::new_checked(&v).unwrap();
        let b = p.extension().unwrap();
        assert_eq!(b.form(), ExtensionForm::TwoByte { appbits: 0 });
        let els: Vec<_> = b.iter().map(Result::unwrap).collect();
        assert_eq!(els.len(), 3);
        assert_eq!((els[0].id, els[0].data), (1, &[][..]));
        assert_eq!((els[1].id, els[1].data), (2, &[0xbb][..]));
        assert_eq!((els[2].id, els[2].data), (3, &[0xcc; 4][..]));
        let r = RtpRepr::parse(&p).unwrap();
        // Canonical re-encoding drops the interior padding byte but keeps the elements.
        let again = RtpRepr::parse_bytes(&r.to_bytes().unwrap()).unwrap();
        assert_eq!(r, again);
    }

    #[test]
    fn id15_stops_and_overrun_is_located() {
        // ID 1 (1 byte), then ID 15: the rest is ignored per RFC 8285 §4.2.
        let v = packet_with(&[0xbe, 0xde, 0, 1, 0x10, 0x01, 0xf3, 0x99]);
        let p = RtpPacket::new_checked(&v).unwrap();
        let ids: Vec<_> = p
            .extension()
            .unwrap()
            .iter()
            .map(|e| e.unwrap().id)
            .collect();
        assert_eq!(ids, [1]);
        // ID 2 with L=3 (4 bytes) but only 2 bytes left in the block.
        let v = packet_with(&[0xbe, 0xde, 0, 1, 0x10, 0x01, 0x23, 0x99]);
        let p = RtpPacket::new_checked(&v).unwrap();
        let mut it = p.extension().unwrap().iter();
        assert_eq!(it.next().unwrap().unwrap().id, 1);
        let e = it.next().unwrap().unwrap_err();
        assert_eq!(
            (e.layer, e.offset, e.field),
            (Layer::RtpExtension, 19, "element data")
        );
        assert!(it.next().is_none());
        assert!(p.validate_extensions().is_err());
    }
}
