//! RTP, RTCP and SRTP/SRTCP framing for rtcscope's dissector.
//!
//! The crate follows the project conventions (smoltcp's checked views, rustls's wire enums and
//! cursor, etherparse's lax parsing):
//!
//! * **Checked views** borrow the packet bytes. `new_checked` validates lengths once; afterwards no
//!   accessor can panic (every byte read goes through bounds-checked helpers, and the invariants
//!   established at construction make them return the real value). Views are built over
//!   `&'a [u8]` rather than smoltcp's `T: AsRef<[u8]>` because a dissector hands out sub-slices
//!   (payloads, SDES text, extension data) that must outlive the view itself.
//! * **Every item has a byte range** ([`Field`]) for a dissection tree. RTP ranges count from the
//!   start of the RTP packet; RTCP ranges count from the start of the compound packet (normally
//!   the UDP payload).
//! * **Lax iteration**: iterators over compound RTCP packets, header extensions, report blocks,
//!   SDES chunks, XR blocks and TWCC packet statuses yield items until the first error, then yield
//!   that located [`Error`] once and stop.
//! * **Owned `Repr` types** ([`rtp::RtpRepr`], [`rtcp::CompoundRepr`] …) parse everything (a
//!   full, strict walk) and emit bytes again.
//! * **Unknown values are data**: packet types, feedback formats, SDES item types and XR block
//!   types are [`rtcscope_wire::wire_enum!`] newtypes, unknown bodies are kept raw.
//!
//! Modules:
//!
//! * [`rtp`]: RTP packets (RFC 3550 §5.1), RFC 8285 header extensions, and typed decoders for the
//!   extensions WebRTC negotiates ([`rtp::ext`]).
//! * [`rtcp`]: RTCP compound packets (RFC 3550 §6), RTP/AVPF feedback (RFC 4585, RFC 5104,
//!   transport-wide congestion control, RFC 8888, REMB), extended reports (RFC 3611) and
//!   reduced-size RTCP (RFC 5506).
//! * [`srtp`]: SRTP/SRTCP awareness (RFC 3711, RFC 7714): which bytes are clear, which are
//!   ciphertext, where the authentication tag, MKI and SRTCP index are. Nothing here decrypts;
//!   decrypted bytes re-enter through the clear parsers.
//! * [`classify`](mod@classify): the cheap RFC 7983 / RFC 5761 test "is this RTP or RTCP".
//! * [`codec`]: the video payload formats (VP8, VP9, H.264, AV1): payload descriptors, key
//!   frames and frame sizes, for frame counting and `dissect -V`.
//!
//! No parse path allocates: views, iterators and typed decoders work on borrowed bytes (the
//! `tests/noalloc.rs` test proves it with a counting allocator).
#![forbid(unsafe_code)]

pub mod classify;
pub mod codec;
pub mod rtcp;
pub mod rtp;
pub mod srtp;

#[doc(hidden)]
pub mod fuzzing;

mod bytes;

pub use classify::{classify, RtpOrRtcp};
pub use rtcscope_wire::{Error, ErrorKind, Field, Layer, Result};
