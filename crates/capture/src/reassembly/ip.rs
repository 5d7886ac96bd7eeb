//! IPv4 and IPv6 fragment reassembly with hard limits.

use crate::link::Fragment;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Limits of the fragment pool.
#[derive(Clone, Copy, Debug)]
pub struct IpLimits {
    /// Datagrams being reassembled at once; the oldest is evicted beyond this.
    pub max_pending: usize,
    /// Bytes buffered across all pending datagrams.
    pub max_bytes: usize,
    /// A datagram not completed within this many nanoseconds of its first fragment is dropped.
    pub timeout_nanos: i128,
    /// Fragments accepted per datagram (a 65,535-byte datagram in 1,500-byte frames takes 45;
    /// 8-byte fragments are an evasion trick), which also bounds the work per fragment.
    pub max_fragments: u32,
}

impl Default for IpLimits {
    fn default() -> Self {
        IpLimits {
            max_pending: 1024,
            max_bytes: 8 << 20,
            timeout_nanos: 30_000_000_000,
            max_fragments: 128,
        }
    }
}

/// Counters of what happened to fragments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpStats {
    /// Fragments received.
    pub fragments: u64,
    /// Datagrams completed.
    pub reassembled: u64,
    /// Datagrams dropped unfinished (timeout or eviction under the limits).
    pub evicted: u64,
    /// Fragments dropped because they overlapped data already received, lay beyond 65535 bytes,
    /// or were cut by the snapshot length.
    pub bad_fragments: u64,
}

/// A reassembled datagram: its addresses, protocol and whole payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reassembled {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Upper-layer protocol.
    pub protocol: u8,
    /// The IP payload (transport header included).
    pub payload: Vec<u8>,
    /// Number of fragments it was made of.
    pub fragments: u32,
}

#[derive(Hash, PartialEq, Eq, Clone, Copy)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    id: u32,
}

struct Pending {
    first_seen: i128,
    data: Vec<u8>,
    /// Received byte ranges, kept sorted and disjoint.
    have: Vec<(usize, usize)>,
    total: Option<usize>,
    fragments: u32,
}

impl Pending {
    fn overlaps(&self, start: usize, end: usize) -> bool {
        self.have.iter().any(|&(s, e)| start < e && s < end)
    }

    fn insert(&mut self, start: usize, end: usize) {
        let pos = self.have.partition_point(|&(s, _)| s < start);
        self.have.insert(pos, (start, end));
        // Merge neighbours that touch.
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.have.len());
        for &(s, e) in &self.have {
            match merged.last_mut() {
                Some(last) if last.1 == s => last.1 = e,
                _ => merged.push((s, e)),
            }
        }
        self.have = merged;
    }

    fn complete(&self) -> bool {
        matches!((self.total, self.have.as_slice()), (Some(t), [(0, e)]) if *e == t)
    }
}

/// Reassembles IP fragments under [`IpLimits`].
///
/// Overlapping fragments are dropped and counted (RFC 5722 forbids them for IPv6; for IPv4 they
/// are a classic evasion trick, and a dissector must not pick a winner silently).
#[derive(Default)]
pub struct IpReassembler {
    limits: IpLimits,
    pending: HashMap<Key, Pending>,
    /// Datagrams in order of their first fragment, for O(1) timeout and eviction. A datagram
    /// completed or evicted leaves a stale entry (its key gone, or a newer datagram under the
    /// same key with another first time); stale entries are skipped and swept.
    order: VecDeque<(i128, Key)>,
    bytes: usize,
    stats: IpStats,
}

impl IpReassembler {
    /// A reassembler with the given limits.
    pub fn new(limits: IpLimits) -> Self {
        IpReassembler {
            limits,
            ..IpReassembler::default()
        }
    }

    /// What happened so far.
    pub fn stats(&self) -> IpStats {
        self.stats
    }

    /// Datagrams currently waiting for fragments.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Bytes currently buffered.
    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// Adds a fragment seen at `now` (nanoseconds); returns the datagram when it completes.
    pub fn push(&mut self, frag: &Fragment<'_>, now: i128) -> Option<Reassembled> {
        self.stats.fragments += 1;
        self.expire(now);
        let start = frag.offset;
        let end = start + frag.data.len();
        if frag.cut || end > 65_535 || (frag.more && frag.data.len() % 8 != 0) {
            self.stats.bad_fragments += 1;
            return None;
        }
        let key = Key {
            src: frag.src,
            dst: frag.dst,
            protocol: frag.protocol,
            id: frag.id,
        };
        if !self.pending.contains_key(&key) {
            while self.pending.len() >= self.limits.max_pending.max(1) {
                self.evict_oldest();
            }
        }
        while self.bytes + frag.data.len() > self.limits.max_bytes && !self.pending.is_empty() {
            self.evict_oldest();
        }
        if frag.data.len() > self.limits.max_bytes {
            self.stats.bad_fragments += 1;
            return None;
        }
        let order = &mut self.order;
        let p = self.pending.entry(key).or_insert_with(|| {
            order.push_back((now, key));
            Pending {
                first_seen: now,
                data: Vec::new(),
                have: Vec::new(),
                total: None,
                fragments: 0,
            }
        });
        if p.fragments >= self.limits.max_fragments {
            self.stats.bad_fragments += 1;
            return None;
        }
        if p.overlaps(start, end)
            || p.total.is_some_and(|t| end > t)
            || (!frag.more && p.have.iter().any(|&(_, e)| e > end))
        {
            self.stats.bad_fragments += 1;
            return None;
        }
        if !frag.more {
            p.total = Some(end);
        }
        if p.data.len() < end {
            self.bytes += end - p.data.len();
            p.data.resize(end, 0);
        }
        p.data[start..end].copy_from_slice(frag.data);
        p.insert(start, end);
        p.fragments += 1;
        if p.complete() {
            let p = self.pending.remove(&key).expect("present");
            self.bytes -= p.data.len();
            self.stats.reassembled += 1;
            return Some(Reassembled {
                src: key.src,
                dst: key.dst,
                protocol: key.protocol,
                payload: p.data,
                fragments: p.fragments,
            });
        }
        None
    }

    /// Drops datagrams whose first fragment is older than the timeout: O(1) amortised, from
    /// the front of the arrival queue.
    fn expire(&mut self, now: i128) {
        let timeout = self.limits.timeout_nanos;
        while let Some(&(first, key)) = self.order.front() {
            let live = self
                .pending
                .get(&key)
                .is_some_and(|p| p.first_seen == first);
            if live && now - first <= timeout {
                break;
            }
            if live {
                self.evict_oldest();
            } else {
                self.order.pop_front();
            }
        }
        if self.order.len() > 2 * self.pending.len() + 64 {
            let pending = &self.pending;
            self.order
                .retain(|(t, k)| pending.get(k).is_some_and(|p| p.first_seen == *t));
        }
    }

    /// Drops the datagram whose first fragment came first (skipping stale queue entries).
    fn evict_oldest(&mut self) {
        while let Some((first, key)) = self.order.pop_front() {
            if self
                .pending
                .get(&key)
                .is_some_and(|p| p.first_seen == first)
            {
                let p = self.pending.remove(&key).expect("present");
                self.bytes -= p.data.len();
                self.stats.evicted += 1;
                return;
            }
        }
    }
}
