//! Transport-wide congestion control feedback (RTPFB FMT 15,
//! draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
//!
//! FCI (after the sender and media SSRCs):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      base sequence number     |      packet status count      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 reference time                | fb pkt. count |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          packet chunk         |         packet chunk          |
//! .                                                               .
//! |         packet chunk          |  recv delta   |  recv delta   |
//! .                                                               .
//! |           recv delta          |  recv delta   | zero padding  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Packet chunks (§3.1.3, §3.1.4):
//!
//! ```text
//! run length:     |T=0| S (2) |       run length (13)       |
//! status vector:  |T=1|S=0|   14 one-bit symbols            |   0 not received, 1 small delta
//!                 |T=1|S=1|   7 two-bit symbols             |   00/01/10/11 as below
//! ```
//!
//! Symbols: `00` not received, `01` received with a small delta (1 byte, unsigned, 250 µs
//! units), `10` received with a large or negative delta (2 bytes, signed), `11` reserved (an
//! error here, as in libwebrtc). The reference time is a signed 24-bit count of 64 ms.
//! Chunks continue until `packet status count` statuses are covered; a receive delta follows for
//! each received packet, in order.

use crate::bytes::{sign_extend_24, u16_at, u24_at, u8_at};
use rtcscope_wire::{Error, ErrorKind, Field, Layer, Result};

/// Field offsets relative to the FCI.
pub mod field {
    use rtcscope_wire::Field;
    /// Base sequence number.
    pub const BASE_SEQ: Field = 0..2;
    /// Packet status count.
    pub const STATUS_COUNT: Field = 2..4;
    /// Reference time (signed 24 bits, 64 ms units).
    pub const REFERENCE_TIME: Field = 4..7;
    /// Feedback packet count.
    pub const FB_PKT_COUNT: usize = 7;
    /// First packet chunk.
    pub const CHUNKS: usize = 8;
}

rtcscope_wire::wire_enum! {
    /// A packet status symbol.
    pub struct TwccStatus(u8) {
        /// 00: not received.
        NOT_RECEIVED = 0 => "not received",
        /// 01: received, small delta.
        SMALL_DELTA = 1 => "received (small delta)",
        /// 10: received, large or negative delta.
        LARGE_DELTA = 2 => "received (large delta)",
        /// 11: reserved.
        RESERVED = 3 => "reserved",
    }
}

impl TwccStatus {
    /// Bytes of receive delta this status carries (0, 1 or 2; 0 for reserved).
    #[inline]
    pub const fn delta_size(self) -> usize {
        match self.0 {
            1 => 1,
            2 => 2,
            _ => 0,
        }
    }
    /// True for the two "received" statuses.
    #[inline]
    pub const fn is_received(self) -> bool {
        matches!(self.0, 1 | 2)
    }
}

/// A packet status chunk (the raw 16 bits, decoded by its methods).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TwccChunk(pub u16);

/// The decoded form of a [`TwccChunk`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChunkKind {
    /// Run length chunk: `length` packets with `status`.
    RunLength {
        /// The status of every packet in the run.
        status: TwccStatus,
        /// Run length (13 bits).
        length: u16,
    },
    /// Status vector of 14 one-bit symbols (most significant first).
    OneBit(u16),
    /// Status vector of 7 two-bit symbols (most significant first).
    TwoBit(u16),
}

impl TwccChunk {
    /// Decodes the chunk type.
    #[inline]
    pub const fn kind(self) -> ChunkKind {
        let v = self.0;
        if v & 0x8000 == 0 {
            ChunkKind::RunLength {
                status: TwccStatus(((v >> 13) & 0x3) as u8),
                length: v & 0x1fff,
            }
        } else if v & 0x4000 == 0 {
            ChunkKind::OneBit(v & 0x3fff)
        } else {
            ChunkKind::TwoBit(v & 0x3fff)
        }
    }
    /// Number of packet statuses the chunk can describe (run length, 14 or 7).
    #[inline]
    pub const fn capacity(self) -> usize {
        match self.kind() {
            ChunkKind::RunLength { length, .. } => length as usize,
            ChunkKind::OneBit(_) => 14,
            ChunkKind::TwoBit(_) => 7,
        }
    }
    /// The status of the `i`-th packet in the chunk (`i < capacity()`).
    #[inline]
    pub const fn status(self, i: usize) -> TwccStatus {
        match self.kind() {
            ChunkKind::RunLength { status, .. } => status,
            ChunkKind::OneBit(bits) => TwccStatus(((bits >> (13 - (i % 14))) & 1) as u8),
            ChunkKind::TwoBit(bits) => TwccStatus(((bits >> (12 - 2 * (i % 7))) & 3) as u8),
        }
    }
}

impl core::fmt::Debug for TwccChunk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.kind() {
            ChunkKind::RunLength { status, length } => write!(f, "run({status:?} x{length})"),
            ChunkKind::OneBit(b) => write!(f, "vec1({b:014b})"),
            ChunkKind::TwoBit(b) => write!(f, "vec2({b:014b})"),
        }
    }
}

/// A transport-wide CC feedback view over the FCI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportCc<'a> {
    fci: &'a [u8],
    base: usize,
}

impl<'a> TransportCc<'a> {
    /// Checks the 8-byte fixed part; chunks and deltas are checked by the iterators and
    /// [`validate`](Self::validate).
    #[inline]
    pub fn new_checked(fci: &'a [u8], base: usize) -> Result<Self> {
        if fci.len() < field::CHUNKS {
            return Err(Error::truncated(
                Layer::Rtcp,
                base,
                "transport-cc fixed fields",
                field::CHUNKS,
                fci.len(),
            ));
        }
        Ok(TransportCc { fci, base })
    }
    /// Base sequence number.
    #[inline]
    pub fn base_sequence(&self) -> u16 {
        u16_at(self.fci, field::BASE_SEQ.start)
    }
    /// Packet status count.
    #[inline]
    pub fn status_count(&self) -> u16 {
        u16_at(self.fci, field::STATUS_COUNT.start)
    }
    /// The raw 24-bit reference time.
    #[inline]
    pub fn reference_time_raw(&self) -> u32 {
        u24_at(self.fci, field::REFERENCE_TIME.start)
    }
    /// The reference time in 64 ms units (signed).
    #[inline]
    pub fn reference_time(&self) -> i32 {
        sign_extend_24(self.reference_time_raw())
    }
    /// The reference time in microseconds.
    #[inline]
    pub fn reference_time_us(&self) -> i64 {
        i64::from(self.reference_time()) * 64_000
    }
    /// Feedback packet count.
    #[inline]
    pub fn fb_pkt_count(&self) -> u8 {
        u8_at(self.fci, field::FB_PKT_COUNT)
    }
    /// The packet chunks (lax): each with its range, until the status count is covered.
    #[inline]
    pub fn chunks(&self) -> TwccChunks<'a> {
        TwccChunks {
            fci: self.fci,
            base: self.base,
            pos: field::CHUNKS,
            left: usize::from(self.status_count()),
            done: false,
        }
    }
    /// Walks the chunks; returns the offset (in the FCI) where the receive deltas start.
    fn deltas_start(&self) -> Result<usize> {
        let mut it = self.chunks();
        for c in it.by_ref() {
            c?;
        }
        Ok(it.pos)
    }
    /// The per-packet statuses with their receive deltas (lax). After the last packet, more than
    /// 3 trailing bytes are a `TrailingBytes` error.
    #[inline]
    pub fn packets(&self) -> TwccPackets<'a> {
        let (start, err) = match self.deltas_start() {
            Ok(s) => (s, None),
            Err(e) => (self.fci.len(), Some(e)),
        };
        TwccPackets {
            fci: self.fci,
            base: self.base,
            chunk_pos: field::CHUNKS,
            in_chunk: 0,
            delta_pos: start,
            chunks_end: start,
            index: 0,
            count: usize::from(self.status_count()),
            seq: self.base_sequence(),
            arrival_us: self.reference_time_us(),
            pending_error: err,
            done: false,
        }
    }
    /// Walks every chunk, status and delta.
    #[inline]
    pub fn validate(&self) -> Result<()> {
        for p in self.packets() {
            p?;
        }
        Ok(())
    }
}

/// Lax iterator over packet chunks.
#[derive(Clone, Debug)]
pub struct TwccChunks<'a> {
    fci: &'a [u8],
    base: usize,
    pos: usize,
    left: usize,
    done: bool,
}

impl Iterator for TwccChunks<'_> {
    type Item = Result<(TwccChunk, Field)>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.left == 0 {
            return None;
        }
        if self.pos + 2 > self.fci.len() {
            self.done = true;
            return Some(Err(Error::truncated(
                Layer::Rtcp,
                self.base + self.pos,
                "transport-cc packet chunk",
                2,
                self.fci.len() - self.pos.min(self.fci.len()),
            )));
        }
        let c = TwccChunk(u16_at(self.fci, self.pos));
        let r = self.base + self.pos..self.base + self.pos + 2;
        // Progress: every chunk takes two bytes, even a run of 0 that covers no packet (so a
        // list of empty runs ends at the end of the FCI rather than never).
        let before = self.pos;
        self.pos += 2;
        debug_assert!(self.pos > before, "TwccChunks::next did not advance");
        self.left -= c.capacity().min(self.left);
        Some(Ok((c, r)))
    }
}

/// One packet's status in a transport-wide CC feedback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwccPacket {
    /// Transport-wide sequence number.
    pub sequence: u16,
    /// Status.
    pub status: TwccStatus,
    /// Receive delta in 250 µs ticks (small deltas are 0–255, large ones signed 16-bit).
    pub delta: Option<i16>,
    /// Range of the receive delta.
    pub delta_range: Option<Field>,
    /// Arrival time in µs: reference time plus the deltas so far (for received packets).
    pub arrival_us: Option<i64>,
}

impl TwccPacket {
    /// The receive delta in microseconds.
    #[inline]
    pub fn delta_us(&self) -> Option<i64> {
        self.delta.map(|d| i64::from(d) * 250)
    }
}

/// Lax per-packet iterator over a transport-wide CC feedback.
#[derive(Clone, Debug)]
pub struct TwccPackets<'a> {
    fci: &'a [u8],
    base: usize,
    chunk_pos: usize,
    in_chunk: usize,
    delta_pos: usize,
    chunks_end: usize,
    index: usize,
    count: usize,
    seq: u16,
    arrival_us: i64,
    pending_error: Option<Error>,
    done: bool,
}

impl TwccPackets<'_> {
    fn fail(&mut self, e: Error) -> Option<Result<TwccPacket>> {
        self.done = true;
        Some(Err(e))
    }
}

impl Iterator for TwccPackets<'_> {
    type Item = Result<TwccPacket>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some(e) = self.pending_error.take() {
            return self.fail(e);
        }
        if self.index >= self.count {
            self.done = true;
            let rest = self.fci.len() - self.delta_pos;
            return (rest > 3).then(|| {
                Err(Error::new(
                    Layer::Rtcp,
                    self.base + self.delta_pos,
                    "transport-cc after receive deltas",
                    ErrorKind::TrailingBytes { count: rest },
                ))
            });
        }
        let (index, chunk_pos, delta_pos) = (self.index, self.chunk_pos, self.delta_pos);
        let mut chunk = TwccChunk(u16_at(self.fci, self.chunk_pos));
        // A run-length chunk with a run of 0 describes no packet: skip it (as the chunk walk
        // and the owned form do).
        while chunk.capacity() == 0 && self.chunk_pos + 2 < self.chunks_end {
            self.chunk_pos += 2;
            self.in_chunk = 0;
            chunk = TwccChunk(u16_at(self.fci, self.chunk_pos));
        }
        let status = chunk.status(self.in_chunk);
        let chunk_at = self.base + self.chunk_pos;
        self.in_chunk += 1;
        if self.in_chunk >= chunk.capacity() {
            self.in_chunk = 0;
            self.chunk_pos += 2;
        }
        if status == TwccStatus::RESERVED {
            return self.fail(Error::bad_value(
                Layer::Rtcp,
                chunk_at,
                "transport-cc packet status",
                "00, 01 or 10 (11 is reserved)",
                3,
            ));
        }
        let size = status.delta_size();
        let (delta, delta_range) = if size > 0 {
            if self.delta_pos + size > self.fci.len() {
                let avail = self.fci.len() - self.delta_pos;
                return self.fail(Error::truncated(
                    Layer::Rtcp,
                    self.base + self.delta_pos,
                    "transport-cc receive delta",
                    size,
                    avail,
                ));
            }
            let d = if size == 1 {
                i16::from(u8_at(self.fci, self.delta_pos))
            } else {
                u16_at(self.fci, self.delta_pos) as i16
            };
            let r = self.base + self.delta_pos..self.base + self.delta_pos + size;
            self.delta_pos += size;
            (Some(d), Some(r))
        } else {
            (None, None)
        };
        let arrival_us = delta.map(|d| {
            self.arrival_us += i64::from(d) * 250;
            self.arrival_us
        });
        let p = TwccPacket {
            sequence: self.seq,
            status,
            delta,
            delta_range,
            arrival_us,
        };
        self.seq = self.seq.wrapping_add(1);
        self.index += 1;
        // Progress: one packet per step, at most the status count, which the chunk walk in
        // `packets` checked is covered by chunks; the chunk and delta cursors never go back.
        debug_assert!(
            self.index > index && self.chunk_pos >= chunk_pos && self.delta_pos >= delta_pos,
            "TwccPackets::next did not advance"
        );
        Some(Ok(p))
    }
}

/// An owned transport-wide CC feedback FCI, kept at the chunk level so it re-encodes exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TwccRepr {
    /// Base sequence number.
    pub base_sequence: u16,
    /// Packet status count.
    pub status_count: u16,
    /// Raw 24-bit reference time.
    pub reference_time: u32,
    /// Feedback packet count.
    pub fb_pkt_count: u8,
    /// Packet chunks: exactly those needed to cover `status_count`.
    pub chunks: Vec<TwccChunk>,
    /// One receive delta per received packet (small ones 0–255).
    pub deltas: Vec<i16>,
}

impl TwccRepr {
    /// Parses chunks and deltas completely.
    pub fn parse(v: &TransportCc<'_>) -> Result<Self> {
        let chunks = v
            .chunks()
            .map(|c| c.map(|(c, _)| c))
            .collect::<Result<Vec<_>>>()?;
        let mut deltas = Vec::new();
        for p in v.packets() {
            if let Some(d) = p?.delta {
                deltas.push(d);
            }
        }
        Ok(TwccRepr {
            base_sequence: v.base_sequence(),
            status_count: v.status_count(),
            reference_time: v.reference_time_raw(),
            fb_pkt_count: v.fb_pkt_count(),
            chunks,
            deltas,
        })
    }

    /// The statuses the chunks describe, `status_count` of them (fewer when chunks run out).
    #[inline]
    pub fn statuses(&self) -> impl Iterator<Item = TwccStatus> + '_ {
        self.chunks
            .iter()
            .flat_map(|c| (0..c.capacity()).map(move |i| c.status(i)))
            .take(usize::from(self.status_count))
    }

    /// Appends the FCI (not padded: the packet emitter aligns it). Fails when chunks and deltas
    /// disagree with the status count.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        let bad = |f: &'static str, e: &'static str, v: u64| {
            Err(Error::bad_value(Layer::Rtcp, 0, f, e, v))
        };
        if self.reference_time >= 1 << 24 {
            return bad("reference time", "24 bits", self.reference_time.into());
        }
        // The chunks must cover the count, and the last chunk must be needed.
        let mut covered = 0usize;
        for (i, c) in self.chunks.iter().enumerate() {
            if covered >= usize::from(self.status_count) {
                return bad(
                    "transport-cc chunks",
                    "no chunk after the count is covered",
                    i as u64,
                );
            }
            covered += c.capacity();
        }
        if covered < usize::from(self.status_count) {
            return bad(
                "transport-cc chunks",
                "enough to cover the status count",
                covered as u64,
            );
        }
        let mut deltas = self.deltas.iter();
        for s in self.statuses() {
            match s {
                TwccStatus::RESERVED => return bad("transport-cc status", "not reserved", 3),
                TwccStatus::SMALL_DELTA => match deltas.next() {
                    Some(&d) if (0..=255).contains(&d) => {}
                    _ => return bad("transport-cc small delta", "0..=255 for each 01 status", 0),
                },
                TwccStatus::LARGE_DELTA if deltas.next().is_none() => {
                    return bad("transport-cc deltas", "one for each received status", 0);
                }
                _ => {}
            }
        }
        if deltas.next().is_some() {
            return bad(
                "transport-cc deltas",
                "no more than the received statuses",
                0,
            );
        }
        out.extend_from_slice(&self.base_sequence.to_be_bytes());
        out.extend_from_slice(&self.status_count.to_be_bytes());
        out.extend_from_slice(&self.reference_time.to_be_bytes()[1..]);
        out.push(self.fb_pkt_count);
        for c in &self.chunks {
            out.extend_from_slice(&c.0.to_be_bytes());
        }
        let mut deltas = self.deltas.iter();
        for s in self.statuses() {
            match s.delta_size() {
                1 => out.push(deltas.next().copied().unwrap_or(0) as u8),
                2 => out.extend_from_slice(&deltas.next().copied().unwrap_or(0).to_be_bytes()),
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unusual_byte_groupings)] // grouped as T|S|symbols, as the draft draws them
    fn draft_chunk_examples() {
        // draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.3: run of 221 "not received".
        let c = TwccChunk(0b0_00_0000011011101);
        assert_eq!(
            c.kind(),
            ChunkKind::RunLength {
                status: TwccStatus::NOT_RECEIVED,
                length: 221
            }
        );
        // §3.1.4 example 1: 1x not received, 5x received, 3x not, 3x received, 2x not.
        // The draft's bit pattern |1|0|0 1 1 1 1 1 0 0 0 1 1 1 0 0|.
        let c = TwccChunk(0b1_0_01111100011100);
        let s: Vec<u8> = (0..14).map(|i| c.status(i).0).collect();
        assert_eq!(s, [0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0]);
        // §3.1.4 example 2 |1|1|0 0 1 1 0 1 0 1 0 1 0 0 0 0|: 00 11 01 01 01 00 00.
        let c = TwccChunk(0b1_1_00110101010000);
        let s: Vec<u8> = (0..7).map(|i| c.status(i).0).collect();
        assert_eq!(s, [0, 3, 1, 1, 1, 0, 0]);
    }

    #[test]
    fn zero_length_run_chunks_describe_no_packet() {
        // Found by the rtcp fuzz target: a run-length chunk with run 0, then a 1-bit vector
        // chunk 1 0 0 1 1 … for a status count of 5, and only two delta bytes. Three small
        // deltas are needed, so the view must fail like the owned form's emit does.
        let fci = [
            0x41, 0xfc, 0x00, 0x05, 0xfd, 0x01, 0x00, 0xa6, 0x00, 0x00, 0xa6, 0x00, 0x00, 0xff,
        ];
        let t = TransportCc::new_checked(&fci, 0).unwrap();
        let statuses: Vec<_> = t
            .packets()
            .map_while(Result::ok)
            .map(|p| p.status)
            .collect();
        assert_eq!(
            statuses,
            [
                TwccStatus::SMALL_DELTA,
                TwccStatus::NOT_RECEIVED,
                TwccStatus::NOT_RECEIVED,
                TwccStatus::SMALL_DELTA
            ]
        );
        assert!(t.validate().is_err());
        assert!(TwccRepr::parse(&t).is_err());
    }

    #[test]
    fn packets_and_repr() {
        // base 10, count 4, ref time -1 (0xffffff), fb count 7; one 2-bit vector chunk
        // 01 10 00 01 (+ 3 unused); deltas 4 (small), -8 (large), 255 (small).
        let fci = [
            0, 10, 0, 4, 0xff, 0xff, 0xff, 7, 0xd8, 0x40, 4, 0xff, 0xf8, 0xff, 0, 0,
        ];
        let t = TransportCc::new_checked(&fci, 12).unwrap();
        assert_eq!(t.reference_time(), -1);
        let ps: Vec<_> = t.packets().map(Result::unwrap).collect();
        let got: Vec<_> = ps
            .iter()
            .map(|p| (p.sequence, p.status.0, p.delta))
            .collect();
        assert_eq!(
            got,
            [
                (10, 1, Some(4)),
                (11, 2, Some(-8)),
                (12, 0, None),
                (13, 1, Some(255))
            ]
        );
        assert_eq!(ps[0].delta_range, Some(22..23));
        assert_eq!(ps[1].arrival_us, Some(-64_000 + 1000 - 2000));
        let r = TwccRepr::parse(&t).unwrap();
        let mut out = Vec::new();
        r.emit(&mut out).unwrap();
        assert_eq!(out, fci[..14]);
        // Truncated delta is located.
        let t = TransportCc::new_checked(&fci[..12], 12).unwrap();
        let e = t.packets().find_map(Result::err).unwrap();
        assert_eq!((e.offset, e.field), (23, "transport-cc receive delta"));
    }
}
