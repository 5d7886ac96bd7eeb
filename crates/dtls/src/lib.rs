//! DTLS dissection for rtcscope: records, handshake messages, extensions, reassembly.
//!
//! Covers DTLS 1.0 (RFC 4347), 1.2 (RFC 6347) and 1.3 (RFC 9147), including the 1.2
//! connection-ID record (RFC 9146) and the 1.3 unified header and ACK records, with the
//! WebRTC-relevant extensions (use_srtp, RFC 5764 / RFC 7714).
//!
//! Layers, from the datagram up:
//!
//! * [`record`]: [`Records`] iterates the records of a datagram (lax: valid records, then the
//!   located error). A [`Record`] shows header form, epoch, sequence number (clear or
//!   encrypted), fragment and [`Protection`]. [`looks_like_dtls`] is the RFC 7983 classifier.
//! * [`handshake`]: [`HandshakeFragments`] iterates the fragments of plaintext handshake
//!   content; [`Message::parse`] parses a complete body (ClientHello, ServerHello,
//!   HelloVerifyRequest, Certificate, ServerKeyExchange, ...).
//! * [`ext`]: hello extensions as views with typed bodies.
//! * [`reassembly`]: bounded fragment reassembly and retransmission detection.
//! * [`session`]: a sans-IO tracker that summarises one association for analysis
//!   (version, cipher, use_srtp, certificate fingerprints, alerts, retransmissions), marking
//!   what DTLS 1.3 encrypts as [`Seen::Encrypted`].
//! * [`fingerprint`]: SDP-style certificate fingerprints; [`keylog`]: NSS key log files.
//! * [`decrypt`]: record decryption from a key log (DTLS 1.0/1.2/1.3) and the DTLS-SRTP
//!   exporter (RFC 5764 §4.2).
//!
//! Views borrow the input and do not allocate; every item has an absolute byte range
//! (`rtcscope_wire::Field`) for a dissection tree. Decryption ([`decrypt`]) slots in at the
//! seam described in [`record`] and feeds plaintext back through the same parsers.
#![forbid(unsafe_code)]

pub mod decrypt;
pub mod enums;
pub mod ext;
pub mod fingerprint;
pub mod handshake;
pub mod keylog;
pub mod reassembly;
pub mod record;
pub mod session;

#[doc(hidden)]
pub mod fuzzing;

pub use enums::*;
pub use ext::{Extension, ExtensionBody, ExtensionContext, Extensions, UseSrtp};
pub use fingerprint::{Fingerprint, HashAlgorithm};
pub use handshake::{HandshakeFragment, HandshakeFragments, Message, MessageContext};
pub use reassembly::{Limits, Outcome, Reassembler, RecordTracker};
pub use record::{
    looks_like_dtls, Alert, Epoch, InnerPlaintext, Protection, Record, RecordHeader, RecordOptions,
    Records, SequenceNumber,
};
pub use session::{DtlsSession, Handshake, Seen, Side};

use rtcscope_wire::{Field, Layer, Reader};

/// A located byte string inside the parsed buffer (an opaque field, a vector body).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// Absolute offset of the first byte.
    pub offset: usize,
}

impl<'a> Span<'a> {
    /// The unread bytes of a reader, with their offset.
    pub(crate) fn of(r: &Reader<'a>) -> Self {
        Span {
            bytes: r.rest(),
            offset: r.offset(),
        }
    }

    /// An empty span at `offset`.
    pub(crate) const fn empty(offset: usize) -> Self {
        Span { bytes: &[], offset }
    }

    /// A reader over the span, keeping absolute offsets.
    pub(crate) const fn reader(&self, layer: Layer) -> Reader<'a> {
        Reader::with_base(self.bytes, self.offset, layer)
    }

    /// Absolute range.
    pub const fn range(&self) -> Field {
        self.offset..self.offset + self.bytes.len()
    }

    /// Length in bytes.
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
