//! The packet view's memory: the raw bytes of the most recent packets, bounded by count and by
//! bytes, dissected only when shown.
//!
//! Addresses are decoded once on arrival (zero-copy, cheap) so the list can be filtered to a
//! session or a flow without dissecting; the summary line (protocol, info) is computed the
//! first time a packet is shown or searched and kept with it, with the record a display filter
//! reads ([`rtcscope_dissect::Fields`], fixed size, no heap).

use crate::store::PacketRef;
use rtcscope_capture::link::{decode, LinkType};
use rtcscope_dissect::{dissect_frame_with, DissectOptions, Fields, Frame};
use std::collections::VecDeque;
use std::net::SocketAddr;

/// Packets kept by default.
pub const DEFAULT_MAX_PACKETS: usize = 10_000;
/// Bytes of packet data kept by default.
pub const DEFAULT_MAX_BYTES: usize = 32 << 20;

/// The protocol and info columns of a packet, as the dissector writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Protocol column (`STUN`, `DTLS`, `RTP`, ...).
    pub protocol: &'static str,
    /// Info column.
    pub info: String,
    /// What a display filter sees of the packet.
    pub fields: Fields,
}

impl Summary {
    /// Dissects a frame for its list row: the protocol column (the transport when no
    /// protocol above it was recognised), the info text and the filter's record. A DTLS 1.3
    /// unified header is not believed in a packet the engine found no DTLS in
    /// ([`PacketRef::no_dtls`]), so the list names packets as the session views do.
    pub fn of(p: &PacketRef<'_>) -> Self {
        let opts = DissectOptions {
            no_dtls_before: p.no_dtls,
            // A row shows the summary; the header trees are made for the selected packet.
            skip_header_layers: true,
            ..DissectOptions::default()
        };
        let f = dissect_frame_with(p.number, p.ts_nanos, p.link, p.data, p.orig_len, &opts);
        Summary {
            protocol: Self::protocol_of(&f),
            info: f.info(),
            fields: f.fields,
        }
    }

    /// The row of a frame dissected elsewhere (with state: [`crate::streams`]).
    pub fn of_frame(f: &Frame) -> Self {
        Summary {
            protocol: Self::protocol_of(f),
            info: f.info(),
            fields: f.fields,
        }
    }

    /// The protocol column: the first message's, or the transport when nothing above it was
    /// recognised.
    fn protocol_of(f: &Frame) -> &'static str {
        match f.protocol() {
            "" => f.transport.unwrap_or("?"),
            p => p,
        }
    }
}

/// A UDP or TCP frame's source and destination.
pub(crate) fn endpoints(link: LinkType, data: &[u8]) -> Option<(SocketAddr, SocketAddr)> {
    match decode(link, data) {
        Ok(Ok(d)) => Some((d.src, d.dst)),
        _ => None,
    }
}

/// One packet kept in the ring.
#[derive(Clone, Debug)]
pub struct RingPacket {
    /// Packet number in the capture.
    pub number: u64,
    /// Capture time (ns since the epoch).
    pub ts_nanos: i128,
    /// Link type of `data`.
    pub link: LinkType,
    /// Length on the wire.
    pub orig_len: u32,
    /// The captured bytes.
    pub data: Box<[u8]>,
    /// The engine found no DTLS in it ([`PacketRef::no_dtls`]).
    pub no_dtls: bool,
    /// Source and destination, when the frame is UDP or TCP.
    pub endpoints: Option<(SocketAddr, SocketAddr)>,
    summary: Option<Summary>,
}

impl RingPacket {
    /// The protocol and info columns, dissecting the packet the first time.
    pub fn summary(&mut self) -> &Summary {
        let p = PacketRef {
            number: self.number,
            ts_nanos: self.ts_nanos,
            link: self.link,
            data: &self.data,
            orig_len: self.orig_len,
            no_dtls: self.no_dtls,
        };
        self.summary.get_or_insert_with(|| Summary::of(&p))
    }

    /// The display filter's record of the packet (dissected with its summary).
    pub fn fields(&mut self) -> &Fields {
        &self.summary().fields
    }

    /// True when the packet travels between `a` and `b`, either way.
    pub fn between(&self, a: SocketAddr, b: SocketAddr) -> bool {
        self.endpoints
            .is_some_and(|(s, d)| (s == a && d == b) || (s == b && d == a))
    }
}

/// The most recent packets, within a packet count and a byte budget.
#[derive(Debug)]
pub struct PacketRing {
    packets: VecDeque<RingPacket>,
    bytes: usize,
    max_packets: usize,
    max_bytes: usize,
    evicted: u64,
}

impl Default for PacketRing {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PACKETS, DEFAULT_MAX_BYTES)
    }
}

impl PacketRing {
    /// A ring keeping at most `max_packets` packets and `max_bytes` bytes of packet data.
    pub fn new(max_packets: usize, max_bytes: usize) -> Self {
        PacketRing {
            packets: VecDeque::new(),
            bytes: 0,
            max_packets: max_packets.max(1),
            max_bytes,
            evicted: 0,
        }
    }

    /// Keeps a copy of a packet, dropping the oldest ones beyond the limits.
    pub fn push(&mut self, p: &PacketRef<'_>) {
        let endpoints = endpoints(p.link, p.data);
        self.bytes += p.data.len();
        self.packets.push_back(RingPacket {
            number: p.number,
            ts_nanos: p.ts_nanos,
            link: p.link,
            orig_len: p.orig_len,
            data: p.data.into(),
            no_dtls: p.no_dtls,
            endpoints,
            summary: None,
        });
        while self.packets.len() > self.max_packets
            || (self.bytes > self.max_bytes && self.packets.len() > 1)
        {
            if let Some(old) = self.packets.pop_front() {
                self.bytes -= old.data.len();
                self.evicted += 1;
            }
        }
    }

    /// Packets held.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// True when no packet is held.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Bytes of packet data held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The packet-count limit.
    pub fn capacity(&self) -> usize {
        self.max_packets
    }

    /// Packets dropped from the ring so far (older than what it holds).
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The packets held, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &RingPacket> {
        self.packets.iter()
    }

    /// The packet at `index` (0 = oldest held).
    pub fn get(&self, index: usize) -> Option<&RingPacket> {
        self.packets.get(index)
    }

    /// The packet at `index` (0 = oldest held), mutably (to fill its summary).
    pub fn get_mut(&mut self, index: usize) -> Option<&mut RingPacket> {
        self.packets.get_mut(index)
    }

    /// The packets held, oldest first, mutably (to fill summaries).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut RingPacket> {
        self.packets.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(number: u64, data: &[u8]) -> PacketRef<'_> {
        PacketRef {
            number,
            ts_nanos: 0,
            link: LinkType::ETHERNET,
            data,
            orig_len: data.len() as u32,
            no_dtls: false,
        }
    }

    #[test]
    fn bounded_by_count_and_bytes() {
        let mut r = PacketRing::new(3, 1000);
        for n in 1..=5u64 {
            r.push(&packet(n, &[0u8; 100]));
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.evicted(), 2);
        assert_eq!(r.iter().map(|p| p.number).collect::<Vec<_>>(), [3, 4, 5]);
        let mut r = PacketRing::new(100, 250);
        for n in 1..=5u64 {
            r.push(&packet(n, &[0u8; 100]));
        }
        assert_eq!(r.len(), 2);
        assert!(r.bytes() <= 250);
    }
}
