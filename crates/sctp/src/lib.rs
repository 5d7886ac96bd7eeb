//! SCTP (RFC 9260 and its extensions) and WebRTC DCEP (RFC 8832) dissection for rtcscope.
//!
//! * [`packet`]: the common header, CRC32c checking with RFC 9653 zero checksums, packet
//!   rules. [`Packet::new_checked`] takes an SCTP packet however it was carried: inside DTLS
//!   (WebRTC, RFC 8261: the DTLS application data *is* the SCTP packet, no IP header), as a
//!   UDP payload (RFC 6951), or after an IP header (protocol 132).
//! * [`chunk`]: [`Chunks`] (lax) and [`chunks`] for buffers without a common header; every
//!   chunk type with a typed body ([`ChunkBody`]), unknown chunks kept with their
//!   [`UnknownAction`].
//! * [`param`]: INIT/HEARTBEAT/RE-CONFIG/ASCONF parameters and error causes.
//! * [`dcep`]: DATA_CHANNEL_OPEN/ACK and the legacy draft messages; [`Ppid`] names the
//!   WebRTC payload protocol identifiers.
//! * [`repr`]: owned chunks and packets with encoders (padding, CRC32c).
//! * [`channels`]: a sans-IO tracker of the data channels of one association.
//!
//! Views borrow the input and never allocate; every item carries absolute byte offsets for a
//! dissection tree.
#![forbid(unsafe_code)]

pub mod channels;
pub mod chunk;
pub mod dcep;
pub mod enums;
pub mod packet;
pub mod param;
pub mod repr;

#[doc(hidden)]
pub mod fuzzing;

pub use chunk::{chunks, Chunk, ChunkBody, Chunks};
pub use dcep::{DataChannelOpen, DcepMessage};
pub use enums::*;
pub use packet::{checksum, ChecksumStatus, Packet, ZeroChecksum};
pub use param::{Cause, CauseBody, Causes, Param, ParamBody, Params};
pub use repr::{ChunkRepr, PacketRepr, ParamRepr};

use rtcscope_wire::{Field, Layer, Reader};

/// A located byte string inside the parsed buffer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// Absolute offset of the first byte.
    pub offset: usize,
}

impl<'a> Span<'a> {
    pub(crate) fn of(r: &Reader<'a>) -> Self {
        Span {
            bytes: r.rest(),
            offset: r.offset(),
        }
    }

    pub(crate) const fn reader(&self, layer: Layer) -> Reader<'a> {
        Reader::with_base(self.bytes, self.offset, layer)
    }

    /// Absolute range.
    pub const fn range(&self) -> Field {
        self.offset..self.offset + self.bytes.len()
    }

    /// Length.
    pub const fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when empty.
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl core::fmt::Debug for Span<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}@{}", rtcscope_wire::Hex(self.bytes), self.offset)
    }
}
