//! Packet sources for rtcscope.
//!
//! * [`file`](mod@file): pcap and pcapng read in pure Rust (no libpcap needed for file analysis), from a
//!   file or any reader such as standard input, through a bounded buffer: memory does not grow
//!   with the capture.
//! * [`link`]: link layers (Ethernet with VLAN/QinQ, Linux cooked SLL and SLL2, raw IP,
//!   BSD loopback/NULL), IPv4 and IPv6, UDP and TCP, decoded into zero-copy [`link::Decoded`]
//!   views of the transport payload with its addresses.
//!
//! * [`live`] (feature `live`, on by default): live capture through libpcap, with BPF filters,
//!   interface listing, kernel drop counters and a clear message when privileges are missing.
//! * [`source`]: [`source::PacketSource`], the one damaged-record policy over a file or
//!   standard input: skippable records are skipped and counted, a fatal error ends the stream
//!   and is kept.
//! * [`writer`]: pcapng output with Interface Statistics Blocks (drop counts).
//!
//! Damaged input is never fatal: a record that cannot be read is reported with its packet number
//! and byte offset, and reading goes on where the file format allows.
#![forbid(unsafe_code)]

pub mod file;
pub mod link;
#[cfg(feature = "live")]
pub mod live;
pub mod reassembly;
pub mod source;
pub mod writer;

pub use file::{CaptureError, CaptureReader, Interface, Packet};
pub use link::{
    decode, Decoded, DecodedAt, Fragment, IcmpError, LinkType, NotTransport, Transport, Tunnel,
    Tunnels,
};
pub use source::PacketSource;
