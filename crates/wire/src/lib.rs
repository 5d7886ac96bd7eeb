//! Shared parsing primitives for rtcscope's protocol dissectors.
//!
//! Every parser crate in rtcscope (STUN, RTP/RTCP, SDP, DTLS, SCTP) is built from the same three
//! pieces, so that a dissection tree can show byte offsets and an error always says *where*:
//!
//! * [`Reader`]: a bounds-checked cursor over a borrowed byte slice. It never panics; every read
//!   returns a [`Result`]. [`Reader::sub`] hands out a bounded sub-reader for a length-prefixed
//!   body, so a malformed inner length can never run past its outer container. Readers track the
//!   *absolute* offset of their first byte, so errors from nested bodies are already located in
//!   the outermost buffer.
//! * [`Error`]: which [`Layer`], at which byte offset, which field, what was expected and what was
//!   found ([`ErrorKind`]). It is `Copy` and never allocates, so a hot parse path stays
//!   allocation-free even when it fails.
//! * [`wire_enum!`]: wire enumerations as newtypes with named constants, in the style of rustls.
//!   Unknown values are data, not errors: `Debug` prints the name when known and the hex value
//!   otherwise.
//!
//! Text taken from the wire is escaped for terminals by [`text::Escaped`] wherever rtcscope
//! prints it as text.
//!
//! The contract for views built on these pieces (after smoltcp's `wire` module): a view is
//! checked once when constructed; afterwards no accessor can panic or read out of bounds.
#![forbid(unsafe_code)]

mod error;
mod reader;
pub mod text;
pub mod tree;
mod wire_enum;

pub use error::{Error, ErrorKind, Layer, Result};
pub use reader::Reader;

/// A byte range within a message, as used for field offsets and dissection trees.
pub type Field = core::ops::Range<usize>;

/// Formats bytes as lowercase hex without separators, for `Debug` output of opaque data.
pub struct Hex<'a>(pub &'a [u8]);

impl core::fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

/// Rounds `len` up to the next multiple of four (the padding rule of STUN attributes, RTCP and
/// SCTP chunks).
#[inline]
pub const fn pad4(len: usize) -> usize {
    (len + 3) & !3
}
