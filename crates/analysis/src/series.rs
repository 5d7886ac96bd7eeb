//! Bandwidth over time in a bounded number of buckets.
//!
//! A [`Series`] starts with fine buckets (100 ms) and, when a capture outgrows
//! [`Series::MAX_BUCKETS`], doubles the bucket width and merges neighbours, so memory stays
//! constant however long the capture is, while the whole capture remains covered. Charts get
//! equal-width buckets with bytes and packets per direction.

use serde::Serialize;

/// Per-bucket counters, both directions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// Bytes in the forward direction (as the owner of the series defines it).
    pub bytes_fwd: u64,
    /// Bytes in the reverse direction.
    pub bytes_rev: u64,
    /// Packets forward.
    pub packets_fwd: u32,
    /// Packets reverse.
    pub packets_rev: u32,
}

impl Bucket {
    fn merge(&mut self, other: &Bucket) {
        self.bytes_fwd += other.bytes_fwd;
        self.bytes_rev += other.bytes_rev;
        self.packets_fwd = self.packets_fwd.saturating_add(other.packets_fwd);
        self.packets_rev = self.packets_rev.saturating_add(other.packets_rev);
    }
}

/// A bandwidth time series with a fixed maximum number of buckets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Series {
    /// Time of the first bucket's start, nanoseconds since the epoch.
    pub start_ns: i64,
    /// Width of every bucket in nanoseconds.
    pub bucket_ns: i64,
    /// The buckets, oldest first.
    pub buckets: Vec<Bucket>,
}

impl Series {
    /// Bucket count at which the series coarsens (halving its resolution).
    pub const MAX_BUCKETS: usize = 512;
    /// The initial bucket width: 100 ms.
    pub const INITIAL_BUCKET_NS: i64 = 100_000_000;

    /// An empty series starting at `start_ns`.
    pub fn new(start_ns: i64) -> Self {
        // Align to the bucket grid so series of one capture line up.
        let start = start_ns - start_ns.rem_euclid(Self::INITIAL_BUCKET_NS);
        Series {
            start_ns: start,
            bucket_ns: Self::INITIAL_BUCKET_NS,
            buckets: Vec::new(),
        }
    }

    /// Adds a packet of `bytes` at `now_ns` in direction `forward`.
    ///
    /// Packets earlier than the series start (out-of-order capture timestamps) count in the
    /// first bucket. Allocation happens only when the bucket vector grows, which is bounded.
    pub fn add(&mut self, now_ns: i64, bytes: u64, forward: bool) {
        let mut idx = ((now_ns - self.start_ns).max(0) / self.bucket_ns) as usize;
        while idx >= Self::MAX_BUCKETS {
            self.coarsen();
            idx = ((now_ns - self.start_ns).max(0) / self.bucket_ns) as usize;
        }
        if idx >= self.buckets.len() {
            self.buckets.resize(idx + 1, Bucket::default());
        }
        let b = &mut self.buckets[idx];
        if forward {
            b.bytes_fwd += bytes;
            b.packets_fwd = b.packets_fwd.saturating_add(1);
        } else {
            b.bytes_rev += bytes;
            b.packets_rev = b.packets_rev.saturating_add(1);
        }
    }

    fn coarsen(&mut self) {
        let merged: Vec<Bucket> = self
            .buckets
            .chunks(2)
            .map(|pair| {
                let mut b = pair[0];
                if let Some(second) = pair.get(1) {
                    b.merge(second);
                }
                b
            })
            .collect();
        self.buckets = merged;
        self.bucket_ns *= 2;
    }

    /// Total bytes (forward, reverse).
    pub fn totals(&self) -> (u64, u64) {
        self.buckets
            .iter()
            .fold((0, 0), |(f, r), b| (f + b.bytes_fwd, r + b.bytes_rev))
    }

    /// The highest bucket rate, in bits per second (forward, reverse).
    pub fn peak_bps(&self) -> (u64, u64) {
        let scale =
            |bytes: u64| (bytes as u128 * 8 * 1_000_000_000 / self.bucket_ns as u128) as u64;
        self.buckets.iter().fold((0, 0), |(f, r), b| {
            (f.max(scale(b.bytes_fwd)), r.max(scale(b.bytes_rev)))
        })
    }
}

impl Series {
    /// Merges several series into one covering them all (at most [`Series::MAX_BUCKETS`]
    /// buckets, at least as wide as the widest part). Each part's buckets land in the merged
    /// bucket holding their midpoint; `swap` exchanges a part's directions.
    pub fn merged<'a>(parts: impl IntoIterator<Item = (&'a Series, bool)>) -> Option<Series> {
        let parts: Vec<(&Series, bool)> = parts.into_iter().collect();
        let start = parts.iter().map(|(p, _)| p.start_ns).min()?;
        let end = parts
            .iter()
            .map(|(p, _)| p.start_ns + p.bucket_ns * p.buckets.len() as i64)
            .max()?;
        let mut width = parts.iter().map(|(p, _)| p.bucket_ns).max()?;
        while (end - start) / width >= Self::MAX_BUCKETS as i64 {
            width *= 2;
        }
        let mut out = Series {
            start_ns: start,
            bucket_ns: width,
            buckets: vec![Bucket::default(); ((end - start) / width + 1) as usize],
        };
        for (p, swap) in parts {
            for (i, b) in p.buckets.iter().enumerate() {
                let mid = p.start_ns + p.bucket_ns * i as i64 + p.bucket_ns / 2;
                let idx = (((mid - start) / width) as usize).min(out.buckets.len() - 1);
                let b = if swap {
                    Bucket {
                        bytes_fwd: b.bytes_rev,
                        bytes_rev: b.bytes_fwd,
                        packets_fwd: b.packets_rev,
                        packets_rev: b.packets_fwd,
                    }
                } else {
                    *b
                };
                out.buckets[idx].merge(&b);
            }
        }
        while out.buckets.last().is_some_and(|b| *b == Bucket::default()) {
            out.buckets.pop();
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn coarsens_and_keeps_totals() {
        let mut s = Series::new(0);
        // One hour at 50 packets per second.
        for i in 0..180_000i64 {
            s.add(i * 20_000_000, 100, i % 3 != 0);
        }
        assert!(s.buckets.len() <= Series::MAX_BUCKETS);
        let (f, r) = s.totals();
        assert_eq!(f + r, 180_000 * 100);
        assert_eq!(r, 60_000 * 100);
        // 3600 s / 512 buckets -> at least 7.03 s buckets: 100 ms * 2^7 = 12.8 s.
        assert_eq!(s.bucket_ns, 12_800_000_000);
        // 50 pps * 100 B * 8 = 40 kbit/s in total; two thirds forward.
        let (pf, _) = s.peak_bps();
        assert!((26_000..=27_500).contains(&pf), "{pf}");
    }

    #[test]
    fn merging_keeps_totals_and_orientation() {
        let mut a = Series::new(0);
        let mut b = Series::new(250_000_000);
        for i in 0..100i64 {
            a.add(i * 100_000_000, 10, true);
            b.add(250_000_000 + i * 300_000_000, 7, false);
        }
        // Long enough to have coarsened b.
        for i in 0..600i64 {
            b.add(i * 1_000_000_000, 1, true);
        }
        let m = Series::merged([(&a, false), (&b, true)]).unwrap();
        assert!(m.buckets.len() <= Series::MAX_BUCKETS);
        assert!(m.bucket_ns >= b.bucket_ns);
        let (f, r) = m.totals();
        assert_eq!(f, 10 * 100 + 7 * 100);
        assert_eq!(r, 600);
        assert!(Series::merged(std::iter::empty()).is_none());
    }

    proptest! {
        #[test]
        fn bounded_and_lossless(times in proptest::collection::vec(0i64..10_000_000_000_000, 1..300)) {
            let mut s = Series::new(times[0]);
            for t in &times {
                s.add(*t, 10, true);
            }
            prop_assert!(s.buckets.len() <= Series::MAX_BUCKETS);
            prop_assert_eq!(s.totals().0, 10 * times.len() as u64);
        }
    }
}
