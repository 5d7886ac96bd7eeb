//! Handshake message reassembly and retransmission detection (RFC 6347 §4.2.3, RFC 9147 §5.5).
//!
//! DTLS fragments handshake messages to fit datagrams and retransmits whole flights on loss.
//! [`Reassembler`] takes plaintext [`HandshakeFragment`]s of one direction (from clear records
//! or from a decryption stage alike), in any order, with overlaps, and hands out each message
//! once it is complete. A fragment of a message that was already completed is a
//! retransmission. Memory is capped by [`Limits`]: a message longer than
//! `max_message_len`, more than `max_pending` incomplete messages or more than
//! `max_buffered` bytes in total are refused with an error instead of growing.
//!
//! [`RecordTracker`] spots records seen twice (same epoch and sequence number), which is a
//! network or capture duplicate; DTLS itself retransmits with *new* record sequence numbers.

use crate::enums::HandshakeType;
use crate::handshake::HandshakeFragment;
use crate::record::{Epoch, Record, SequenceNumber};
use rtcscope_wire::{Error, Layer, Result};
use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};

/// Memory caps of a [`Reassembler`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest message accepted (the `length` field); certificate chains are the long ones.
    pub max_message_len: usize,
    /// Most incomplete messages kept at once.
    pub max_pending: usize,
    /// Most bytes buffered over all incomplete messages.
    pub max_buffered: usize,
    /// How many completed message_seq values are remembered for retransmission detection.
    pub max_remembered: usize,
    /// Fragments accepted per message (a 256 KiB certificate chain in 1,200-byte records takes
    /// about 220); it also bounds the received-range list each fragment is checked against.
    pub max_fragments: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_len: 256 * 1024,
            max_pending: 16,
            max_buffered: 1024 * 1024,
            max_remembered: 256,
            max_fragments: 1024,
        }
    }
}

/// A complete handshake message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompleteMessage<'f> {
    /// Message type.
    pub msg_type: HandshakeType,
    /// message_seq.
    pub message_seq: u16,
    /// The body: borrowed from the fragment when it was whole, owned when reassembled.
    pub body: Cow<'f, [u8]>,
    /// How many fragments contributed (1 for an unfragmented message).
    pub fragments: u32,
}

/// What feeding one fragment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<'f> {
    /// The message is complete.
    Complete(CompleteMessage<'f>),
    /// Stored; the message is still incomplete.
    Pending,
    /// A fragment of a message already completed: a retransmission.
    Retransmission {
        /// The retransmitted message's sequence number.
        message_seq: u16,
    },
    /// The fragment added no new bytes to an incomplete message (duplicate or overlap).
    Duplicate,
}

#[derive(Debug)]
struct Partial {
    msg_type: HandshakeType,
    message_seq: u16,
    buf: Vec<u8>,
    /// Received byte ranges, sorted and disjoint.
    have: Vec<(u32, u32)>,
    fragments: u32,
}

impl Partial {
    /// Adds `[start, end)`; returns the number of new bytes.
    fn add(&mut self, start: u32, end: u32) -> u32 {
        if start == end {
            return 0;
        }
        let mut new_bytes = end - start;
        for &(s, e) in &self.have {
            let (os, oe) = (s.max(start), e.min(end));
            if os < oe {
                new_bytes -= oe - os;
            }
        }
        self.have.push((start, end));
        self.have.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(self.have.len());
        for &(s, e) in &self.have {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.have = merged;
        new_bytes
    }

    fn complete(&self) -> bool {
        self.have.len() == 1 && self.have[0] == (0, self.buf.len() as u32)
    }
}

/// Counters of a [`Reassembler`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages completed.
    pub completed: u64,
    /// Fragments of already completed messages.
    pub retransmissions: u64,
    /// Fragments that added nothing to an incomplete message.
    pub duplicates: u64,
    /// Overlapping fragments whose bytes disagreed with earlier ones (the first bytes are
    /// kept).
    pub conflicts: u64,
    /// Fragments refused by a limit or as inconsistent.
    pub refused: u64,
}

/// Bounded reassembler for one direction of one association.
#[derive(Debug)]
pub struct Reassembler {
    limits: Limits,
    pending: Vec<Partial>,
    buffered: usize,
    completed: VecDeque<u16>,
    stats: Stats,
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl Reassembler {
    /// A reassembler with the given caps.
    pub fn new(limits: Limits) -> Self {
        Reassembler {
            limits,
            pending: Vec::new(),
            buffered: 0,
            // Grown as messages complete (a handshake completes about ten per direction), up
            // to the cap: reserving the cap in every tracker of thousands of handshakes cost
            // 512 bytes each.
            completed: VecDeque::new(),
            stats: Stats::default(),
        }
    }

    /// The counters so far.
    pub const fn stats(&self) -> Stats {
        self.stats
    }

    /// Bytes currently buffered for incomplete messages.
    pub const fn buffered(&self) -> usize {
        self.buffered
    }

    /// Number of incomplete messages.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn remember(&mut self, seq: u16) {
        if self.limits.max_remembered == 0 {
            return;
        }
        if self.completed.len() >= self.limits.max_remembered {
            self.completed.pop_front();
        }
        self.completed.push_back(seq);
    }

    fn refuse(&mut self, frag: &HandshakeFragment<'_>, what: &'static str, found: usize) -> Error {
        self.stats.refused += 1;
        Error::bad_length(Layer::DtlsHandshake, frag.offset + 1, "length", what, found)
    }

    /// Feeds one plaintext fragment.
    ///
    /// Errors (the fragment is dropped, state is unchanged): a message longer than the limit,
    /// too many pending messages or bytes, or a fragment whose type or total length disagrees
    /// with earlier fragments of the same message_seq.
    pub fn feed<'f>(&mut self, frag: &HandshakeFragment<'f>) -> Result<Outcome<'f>> {
        if self.completed.contains(&frag.message_seq) {
            self.stats.retransmissions += 1;
            return Ok(Outcome::Retransmission {
                message_seq: frag.message_seq,
            });
        }
        let idx = self
            .pending
            .iter()
            .position(|p| p.message_seq == frag.message_seq);
        if idx.is_none() && frag.is_complete() {
            self.remember(frag.message_seq);
            self.stats.completed += 1;
            return Ok(Outcome::Complete(CompleteMessage {
                msg_type: frag.msg_type,
                message_seq: frag.message_seq,
                body: Cow::Borrowed(frag.body.bytes),
                fragments: 1,
            }));
        }
        let length = frag.length as usize;
        let idx = match idx {
            Some(i) => {
                let p = &self.pending[i];
                if p.msg_type != frag.msg_type || p.buf.len() != length {
                    self.stats.refused += 1;
                    return Err(Error::bad_value(
                        Layer::DtlsHandshake,
                        frag.offset,
                        "msg_type/length",
                        "the same type and length as earlier fragments of this message_seq",
                        frag.msg_type.0 as u64,
                    ));
                }
                i
            }
            None => {
                if length > self.limits.max_message_len {
                    return Err(self.refuse(
                        frag,
                        "a message length within Limits::max_message_len",
                        length,
                    ));
                }
                if self.pending.len() >= self.limits.max_pending {
                    return Err(self.refuse(
                        frag,
                        "no more incomplete messages than Limits::max_pending",
                        self.pending.len() + 1,
                    ));
                }
                if self.buffered + length > self.limits.max_buffered {
                    return Err(self.refuse(
                        frag,
                        "no more buffered bytes than Limits::max_buffered",
                        self.buffered + length,
                    ));
                }
                self.buffered += length;
                self.pending.push(Partial {
                    msg_type: frag.msg_type,
                    message_seq: frag.message_seq,
                    buf: vec![0; length],
                    have: Vec::new(),
                    fragments: 0,
                });
                self.pending.len() - 1
            }
        };
        // (Parsed fragments are checked against their length already; a hand-built one may
        // not be.)
        let reach = (frag.fragment_offset as usize).saturating_add(frag.body.bytes.len());
        if reach > length {
            return Err(self.refuse(frag, "a fragment within its message's length", reach));
        }
        if self.pending[idx].fragments >= self.limits.max_fragments {
            let n = self.pending[idx].fragments as usize + 1;
            return Err(self.refuse(frag, "no more fragments than Limits::max_fragments", n));
        }
        let p = &mut self.pending[idx];
        let start = frag.fragment_offset;
        let end = start + frag.fragment_length();
        // Keep bytes already received; count disagreements in overlaps. One pass over the
        // sorted received ranges that meet the fragment: O(bytes + ranges), not their product.
        let mut conflict = false;
        let mut pos = start;
        let first = p.have.partition_point(|&(_, e)| e <= start);
        for &(s, e) in &p.have[first..] {
            if s >= end {
                break;
            }
            let (os, oe) = (s.max(start), e.min(end));
            // New bytes before this range, then the overlap compared.
            if pos < os {
                p.buf[pos as usize..os as usize].copy_from_slice(
                    &frag.body.bytes[(pos - start) as usize..(os - start) as usize],
                );
            }
            conflict |= p.buf[os as usize..oe as usize]
                != frag.body.bytes[(os - start) as usize..(oe - start) as usize];
            pos = pos.max(oe);
        }
        if pos < end {
            p.buf[pos as usize..end as usize]
                .copy_from_slice(&frag.body.bytes[(pos - start) as usize..]);
        }
        if conflict {
            self.stats.conflicts += 1;
        }
        p.fragments += 1;
        let new_bytes = p.add(start, end);
        if p.complete() {
            let p = self.pending.swap_remove(idx);
            self.buffered -= p.buf.len();
            self.remember(p.message_seq);
            self.stats.completed += 1;
            return Ok(Outcome::Complete(CompleteMessage {
                msg_type: p.msg_type,
                message_seq: p.message_seq,
                body: Cow::Owned(p.buf),
                fragments: p.fragments,
            }));
        }
        if new_bytes == 0 {
            self.stats.duplicates += 1;
            return Ok(Outcome::Duplicate);
        }
        Ok(Outcome::Pending)
    }
}

/// Spots records seen twice: same epoch and clear sequence number (bounded memory: the most
/// recent `capacity` record numbers).
#[derive(Debug)]
pub struct RecordTracker {
    capacity: usize,
    seen: HashSet<(u16, u64)>,
    order: VecDeque<(u16, u64)>,
    duplicates: u64,
}

impl RecordTracker {
    /// A tracker remembering up to `capacity` record numbers.
    pub fn new(capacity: usize) -> Self {
        RecordTracker {
            capacity,
            seen: HashSet::new(),
            order: VecDeque::new(),
            duplicates: 0,
        }
    }

    /// Returns `Some(true)` when this record number was seen before, `Some(false)` when new,
    /// `None` when the header does not show a full epoch and sequence number (1.3 unified
    /// header: both are encrypted or truncated).
    pub fn observe(&mut self, rec: &Record<'_>) -> Option<bool> {
        let (Epoch::Full(epoch), SequenceNumber::Clear(seq)) = (rec.epoch(), rec.sequence()) else {
            return None;
        };
        if self.capacity == 0 {
            return Some(false);
        }
        if !self.seen.insert((epoch, seq)) {
            self.duplicates += 1;
            return Some(true);
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.order.push_back((epoch, seq));
        Some(false)
    }

    /// Duplicates seen so far.
    pub const fn duplicates(&self) -> u64 {
        self.duplicates
    }
}

impl Default for RecordTracker {
    fn default() -> Self {
        Self::new(4096)
    }
}
