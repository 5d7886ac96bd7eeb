//! Goodbye (RFC 3550 §6.6) and application-defined (RFC 3550 §6.7) packets.
//!
//! ```text
//! BYE:
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |V=2|P|    SC   |   PT=BYE=203  |             length            |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                           SSRC/CSRC                           |
//!        :                              ...                              :
//!  (opt) |     length    |               reason for leaving            ...
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! APP:
//!        |V=2|P| subtype |   PT=APP=204  |             length            |
//!        |                           SSRC/CSRC                           |
//!        |                          name (ASCII)                         |
//!        |                   application-dependent data                ...
//! ```

use super::{bad_emit, pad_from, put_u32};
use crate::bytes::{shift, slice, slice_from, u32_at};
use rtcscope_wire::{Error, Field, Layer, Result};

/// A BYE view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bye<'a> {
    body: &'a [u8],
    base: usize,
    count: u8,
    reason: Option<Field>,
}

impl<'a> Bye<'a> {
    /// Checks that SC sources fit and that the optional reason's length fits.
    #[inline]
    pub fn new_checked(body: &'a [u8], base: usize, count: u8) -> Result<Self> {
        let n = 4 * usize::from(count);
        if body.len() < n {
            return Err(Error::truncated(
                Layer::Rtcp,
                base,
                "BYE sources (SC)",
                n,
                body.len(),
            ));
        }
        let mut reason = None;
        if let Some(&len) = body.get(n) {
            let end = n + 1 + usize::from(len);
            if end > body.len() {
                return Err(Error::truncated(
                    Layer::Rtcp,
                    base + n + 1,
                    "BYE reason",
                    len.into(),
                    body.len() - n - 1,
                ));
            }
            reason = Some(n + 1..end);
        }
        Ok(Bye {
            body,
            base,
            count,
            reason,
        })
    }
    /// Strict layout check: the body ends exactly where the reason's padding to 32 bits ends
    /// (RFC 3550 §6.6). Other trailing bytes, or a reason padding cut short by the packet's
    /// own padding, belong to no field.
    pub fn validate(&self) -> Result<()> {
        let used = match &self.reason {
            Some(r) => rtcscope_wire::pad4(r.end),
            None => 4 * usize::from(self.count),
        };
        if self.body.len() == used {
            Ok(())
        } else {
            Err(Error::bad_length(
                Layer::Rtcp,
                self.base,
                "BYE after the reason",
                "the reason padded to 32 bits, then the packet's end or its RTCP padding",
                self.body.len(),
            ))
        }
    }

    /// The source count.
    #[inline]
    pub fn source_count(&self) -> u8 {
        self.count
    }
    /// The SSRC/CSRCs leaving.
    #[inline]
    pub fn sources(&self) -> Sources<'a> {
        Sources {
            buf: slice(self.body, 0..4 * usize::from(self.count)),
            pos: 0,
        }
    }
    /// The reason for leaving, when present.
    #[inline]
    pub fn reason(&self) -> Option<&'a [u8]> {
        self.reason.clone().map(|r| slice(self.body, r))
    }
    /// Range of the reason text.
    #[inline]
    pub fn reason_range(&self) -> Option<Field> {
        self.reason.clone().map(|r| shift(r, self.base))
    }
}

/// Iterator over a list of 32-bit SSRCs.
#[derive(Clone, Debug)]
pub struct Sources<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Sources<'a> {
    #[inline]
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Sources { buf, pos: 0 }
    }
}

impl Iterator for Sources<'_> {
    type Item = u32;
    #[inline]
    fn next(&mut self) -> Option<u32> {
        if self.pos + 4 > self.buf.len() {
            return None;
        }
        let v = u32_at(self.buf, self.pos);
        let before = self.pos;
        self.pos += 4;
        debug_assert!(self.pos > before, "Sources::next did not advance");
        Some(v)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.buf.len().saturating_sub(self.pos) / 4;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Sources<'_> {}

/// An APP view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct App<'a> {
    body: &'a [u8],
    base: usize,
    subtype: u8,
}

impl<'a> App<'a> {
    /// Checks SSRC and name (8 bytes).
    #[inline]
    pub fn new_checked(body: &'a [u8], base: usize, subtype: u8) -> Result<Self> {
        if body.len() < 8 {
            return Err(Error::truncated(
                Layer::Rtcp,
                base,
                "APP SSRC and name",
                8,
                body.len(),
            ));
        }
        Ok(App {
            body,
            base,
            subtype,
        })
    }
    /// The subtype (the count field).
    #[inline]
    pub fn subtype(&self) -> u8 {
        self.subtype
    }
    /// SSRC/CSRC.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.body, 0)
    }
    /// The four-character name.
    #[inline]
    pub fn name(&self) -> [u8; 4] {
        u32_at(self.body, 4).to_be_bytes()
    }
    /// Application-dependent data.
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        slice_from(self.body, 8)
    }
    /// Range of the data.
    #[inline]
    pub fn data_range(&self) -> Field {
        self.base + 8..self.base + self.body.len()
    }
}

/// An owned BYE.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ByeRepr {
    /// Sources (at most 31).
    pub sources: Vec<u32>,
    /// Reason (at most 255 bytes), if any.
    pub reason: Option<Vec<u8>>,
}

impl ByeRepr {
    /// Copies a view; fails where [`Bye::validate`] does.
    pub fn parse(v: &Bye<'_>) -> Result<Self> {
        v.validate()?;
        Ok(ByeRepr {
            sources: v.sources().collect(),
            reason: v.reason().map(<[u8]>::to_vec),
        })
    }
    /// Appends the body (reason padded to 32 bits); returns SC.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<u8> {
        if self.sources.len() > 31 {
            return Err(bad_emit(
                "source count",
                "at most 31",
                self.sources.len() as u64,
            ));
        }
        for s in &self.sources {
            put_u32(out, *s);
        }
        if let Some(r) = &self.reason {
            if r.len() > 255 {
                return Err(bad_emit("BYE reason length", "0..=255", r.len() as u64));
            }
            let start = out.len();
            out.push(r.len() as u8);
            out.extend_from_slice(r);
            pad_from(out, start);
        }
        Ok(self.sources.len() as u8)
    }
}

/// An owned APP packet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AppRepr {
    /// Subtype (0–31).
    pub subtype: u8,
    /// SSRC/CSRC.
    pub ssrc: u32,
    /// Name.
    pub name: [u8; 4],
    /// Data (a multiple of 4 bytes to be emitted).
    pub data: Vec<u8>,
}

impl AppRepr {
    /// Copies a view.
    pub fn parse(v: &App<'_>) -> Self {
        AppRepr {
            subtype: v.subtype(),
            ssrc: v.ssrc(),
            name: v.name(),
            data: v.data().to_vec(),
        }
    }
    /// Appends the body; returns the subtype.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<u8> {
        if self.subtype > 31 {
            return Err(bad_emit("APP subtype", "0..=31", self.subtype.into()));
        }
        put_u32(out, self.ssrc);
        out.extend_from_slice(&self.name);
        out.extend_from_slice(&self.data);
        Ok(self.subtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bye_with_bytes_after_the_reason_is_not_a_repr() {
        // Found by the rtcp fuzz target: two sources, an empty reason, then five bytes that
        // belong to nothing (the reason's padding would be three).
        let body = [
            0xff, 0xf9, 1, 0, 0, 0, 0, 0x24, 0, 0x0f, 0x02, 0xff, 0x5c, 0x0a,
        ];
        let v = Bye::new_checked(&body, 4, 2).unwrap();
        assert_eq!(v.reason(), Some(&b""[..]));
        let e = ByeRepr::parse(&v).unwrap_err();
        assert_eq!(e.field, "BYE after the reason");
        // Also found by the fuzzer: three sources, an empty reason whose padding is cut short
        // (13 body bytes + 1, then the packet's own padding).
        let body = [0xff, 0xf9, 0x40, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0xcb, 0, 0x04];
        let v = Bye::new_checked(&body, 4, 3).unwrap();
        assert!(ByeRepr::parse(&v).is_err());
        // A proper one round-trips: two sources, reason "ab" padded with one zero byte.
        let body = [0, 0, 0, 1, 0, 0, 0, 2, 2, b'a', b'b', 0];
        let r = ByeRepr::parse(&Bye::new_checked(&body, 4, 2).unwrap()).unwrap();
        let mut out = Vec::new();
        r.emit(&mut out).unwrap();
        assert_eq!(out, body);
    }

    #[test]
    fn bye_reason() {
        // BYE body: one SSRC, reason "bye" (3 bytes) + padding.
        let body = [0, 0, 0, 9, 3, b'b', b'y', b'e'];
        let b = Bye::new_checked(&body, 4, 1).unwrap();
        assert_eq!(b.sources().collect::<Vec<_>>(), [9]);
        assert_eq!(b.reason(), Some(&b"bye"[..]));
        assert_eq!(b.reason_range(), Some(9..12));
        let e = Bye::new_checked(&body[..6], 4, 1).unwrap_err();
        assert_eq!((e.offset, e.field), (9, "BYE reason"));
        assert!(Bye::new_checked(&body, 4, 3).is_err());
    }
}
