//! STUN, TURN and ICE on the wire: zero-copy views, owned representations and an encoder.
//!
//! Covered:
//!
//! * STUN (RFC 8489, RFC 5389) and classic STUN (RFC 3489, no magic cookie), told apart by the
//!   cookie ([`Flavor`]);
//! * TURN (RFC 8656): every method, including RFC 6062's Connect, ConnectionBind and
//!   ConnectionAttempt, every attribute, and ChannelData framing with the four-byte padding
//!   used over TCP ([`ChannelData`], [`StreamFrames`]);
//! * ICE (RFC 8445): PRIORITY, USE-CANDIDATE, ICE-CONTROLLING, ICE-CONTROLLED;
//! * RFC 5780 (CHANGE-REQUEST, RESPONSE-ORIGIN, OTHER-ADDRESS, RESPONSE-PORT, PADDING,
//!   CACHE-TIMEOUT) and RFC 3489's SOURCE-, CHANGED-, RESPONSE-ADDRESS and REFLECTED-FROM;
//! * vendor attributes by name (Google GOOG-*, Microsoft MS-*, Cisco, Citrix, ORIGIN), with
//!   GOOG-NETWORK-INFO decoded; anything else kept as [`Attribute::Other`] with its bytes;
//! * MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, verified
//!   ([`Message::verify_integrity`]...) and computed ([`MessageBuilder`]), with short-term and
//!   long-term keys ([`integrity`]).
//!
//! # Layers of the API
//!
//! 1. [`classify`] / [`is_probably_stun`]: a cheap pre-check for an RFC 7983 demultiplexer.
//! 2. [`Message`]: a checked view over borrowed bytes. The header is checked once; attributes
//!    are walked lazily by [`Message::attributes`], each a [`RawAttribute`] that knows its byte
//!    range ([`rtcscope_wire::Field`]) and decodes into an [`Attribute`] without allocating.
//!    The walk is lax: it yields attributes until the first malformed one, then that error,
//!    located at an absolute byte offset.
//! 3. [`MessageRepr`]: the whole message decoded, owned or borrowed, with
//!    [`MessageRepr::emit`].
//! 4. [`MessageBuilder`]: appends attributes and finalizes with MESSAGE-INTEGRITY(-SHA256) and
//!    FINGERPRINT; [`Credentials`] packages short-term and long-term credentials.
//!
//! ```
//! use rtcscope_stun::{Attribute, Message, MessageBuilder, Method, TransactionId};
//! // An RFC 5780 Binding request asking the server to answer from its other address and port.
//! let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389([1; 12]));
//! b.add(&Attribute::ChangeRequest { change_ip: true, change_port: true }).fingerprint();
//! let bytes = b.finish()?;
//! let msg = Message::parse(&bytes)?;
//! let attrs: Vec<_> = msg.attributes().map(|a| a.and_then(|a| a.decode())).collect::<Result<_, _>>()?;
//! assert_eq!(attrs[0], Attribute::ChangeRequest { change_ip: true, change_port: true });
//! assert!(matches!(attrs[1], Attribute::Fingerprint(_)));
//! assert_eq!(msg.verify_fingerprint()?, rtcscope_stun::Check::Valid);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod attr;
mod builder;
mod channel;
mod classify;
pub mod field;
pub mod integrity;
mod message;
mod repr;
mod types;

#[doc(hidden)]
pub mod fuzzing;

pub use attr::{Attribute, AttributeList, PasswordAlgorithms};
pub use builder::{Credentials, MessageBuilder, TooLong};
pub use channel::{ChannelData, ChannelDataRepr, CHANNEL_NUMBERS, RFC8656_CHANNEL_NUMBERS};
pub use classify::{
    check_structure, classify, frame_len, has_magic_cookie, is_probably_stun, Frame, Kind,
    StreamFrames,
};
pub use integrity::{PasswordPrep, PrepError, FINGERPRINT_XOR};
pub use message::{Attributes, Check, Message, RawAttribute, Scan};
pub use repr::MessageRepr;
pub use types::{
    AddressFamily, AttributeType, Class, ErrorCode, Flavor, MessageType, Method, PasswordAlgorithm,
    TransactionId, TransportProtocol,
};

/// The magic cookie of RFC 5389 and later, bytes 4..8 of the header.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
