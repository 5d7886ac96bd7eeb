//! Bounded reassembly: IP fragments and TCP byte streams.
//!
//! Both keep state across packets, so both are capped: a capture full of fragments that never
//! complete, or a TCP stream that never fills a gap, costs a fixed amount of memory and is counted,
//! never allowed to grow without bound (etherparse's fragment pool, for one, has no such cap).

mod ip;
mod tcp;

pub use ip::{IpLimits, IpReassembler, IpStats, Reassembled};
pub use tcp::{Framing, Message, StreamStats, TcpLimits, TcpStream};
