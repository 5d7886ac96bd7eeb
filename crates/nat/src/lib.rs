//! NAT behaviour discovery, a TURN server check and an RFC 5780 STUN server.
//!
//! The logic is sans-IO, after str0m and quinn-proto: state machines fed with `(now, input)`
//! that return datagrams to send and the next timeout, with no sockets or clocks inside, so
//! tests drive them on virtual time and can lose packets at will.
//!
//! * [`check`]: the NAT check (RFC 5780 and RFC 4787: mapping, filtering, hairpinning, port
//!   preservation and allocation, binding lifetime), ending in a [`report::Report`] with the
//!   classic name and a WebRTC verdict;
//! * [`server`]: the STUN server's request handler (RFC 5780, RFC 5389/8489, RFC 3489) with
//!   its amplification safeguards;
//! * [`turn`]: the TURN client check (long-term credentials, Allocate, CreatePermission,
//!   ChannelBind, an echo through the relay, Refresh to zero) and TURN REST credentials
//!   ([`turn::rest_credentials`]); [`uri`] parses `stun:`, `turn:` and `turns:` URIs;
//! * [`transaction`]: the STUN transaction layer both checks share: a request in flight, its
//!   retransmission schedule and the round-trip time estimate that paces it;
//! * [`net`]: the socket edge, the only module that touches the OS: it runs the machines above
//!   on real UDP and TCP sockets, and TLS (rustls) for `turns:` and `stuns:`.
//!
//! Everything but [`report`] is behind the default feature `probe`: with
//! `default-features = false` the crate is the classifier alone (pure functions from observed
//! mappings to RFC 4787 behaviours), which the analysis engine uses to infer NAT behaviour
//! passively from a capture.
#![forbid(unsafe_code)]

#[cfg(feature = "probe")]
pub mod check;
#[cfg(feature = "probe")]
pub mod msg;
#[cfg(feature = "probe")]
pub mod net;
pub mod report;
#[cfg(feature = "probe")]
pub mod server;
#[cfg(feature = "probe")]
pub mod transaction;
#[cfg(feature = "probe")]
pub mod turn;
#[cfg(feature = "probe")]
pub mod uri;

#[cfg(feature = "probe")]
pub use check::{CheckConfig, NatCheck};
pub use report::Report;
#[cfg(feature = "probe")]
pub use server::{ServerConfig, StunServer};
