//! Bandwidth over time in a bounded number of buckets.
//!
//! A [`Series`] starts with fine buckets (100 ms) and, when a capture outgrows
//! [`Series::MAX_BUCKETS`], doubles the bucket width and merges neighbours, so memory stays
//! constant however long the capture is, while the whole capture remains covered. Charts get
//! equal-width buckets with bytes and packets per direction.

use crate::buckets::{put, take, take_u32, Buckets, Pack};
use serde::Serialize;

/// Makes room for one more bucket: a quarter more (at least 8), not the double a `Vec` grows
/// by, so that a series' spare capacity stays a small part of what the bucket budget counts
/// ([`crate::Config::max_series_buckets`] counts stored buckets).
pub(crate) fn grow_buckets<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 4).max(8));
    }
}

/// Halves the resolution of stored `(index, bucket)` pairs in place: bucket i goes to i / 2,
/// neighbours merged with `merge`; the freed capacity is given back ([`fit_buckets`]).
pub(crate) fn coarsen_buckets<T: Copy>(v: &mut Vec<(u32, T)>, merge: impl Fn(&mut T, &T)) {
    // Bucket i/2 is written at or before the position i was read from.
    let mut w = 0usize;
    for r in 0..v.len() {
        let (i, b) = v[r];
        if w > 0 && v[w - 1].0 == i / 2 {
            merge(&mut v[w - 1].1, &b);
        } else {
            v[w] = (i / 2, b);
            w += 1;
        }
    }
    v.truncate(w);
    fit_buckets(v);
}

/// The first `len` buckets in order from `sparse` (non-empty buckets with their index, in index
/// order), each missing one as its default: the dense form both series serialise.
pub(crate) fn fill_gaps<B: Default>(
    sparse: impl Iterator<Item = (usize, B)>,
    len: usize,
) -> impl Iterator<Item = B> {
    let mut next = sparse.peekable();
    (0..len).map(move |i| {
        next.next_if(|(j, _)| *j == i)
            .map_or_else(B::default, |(_, b)| b)
    })
}

/// The entry for bucket `idx` in `v` (kept in index order), made when missing: the last one
/// for a packet in the latest bucket, a binary search for an older one.
pub(crate) fn bucket_slot<T: Default>(v: &mut Vec<(u32, T)>, idx: u32) -> &mut T {
    let at = match v.last() {
        Some((i, _)) if *i == idx => v.len() - 1,
        Some((i, _)) if *i > idx => {
            let at = v.partition_point(|(i, _)| *i < idx);
            if v[at].0 != idx {
                grow_buckets(v);
                v.insert(at, (idx, T::default()));
            }
            at
        }
        _ => {
            grow_buckets(v);
            v.push((idx, T::default()));
            v.len() - 1
        }
    };
    &mut v[at].1
}

/// Gives back the capacity a coarsening freed (keeping a quarter's room to grow): merged
/// buckets must free memory, not only count as freed.
pub(crate) fn fit_buckets<T>(v: &mut Vec<T>) {
    v.shrink_to(v.len() + (v.len() / 4).max(8));
}

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

impl Pack for Bucket {
    fn pack(&self, out: &mut Vec<u8>) {
        put(out, self.bytes_fwd);
        put(out, self.bytes_rev);
        put(out, u64::from(self.packets_fwd));
        put(out, u64::from(self.packets_rev));
    }

    fn unpack(input: &mut &[u8]) -> Option<Self> {
        Some(Bucket {
            bytes_fwd: take(input)?,
            bytes_rev: take(input)?,
            packets_fwd: take_u32(input)?,
            packets_rev: take_u32(input)?,
        })
    }
}

impl Bucket {
    fn merge(&mut self, other: &Bucket) {
        self.bytes_fwd += other.bytes_fwd;
        self.bytes_rev += other.bytes_rev;
        self.packets_fwd = self.packets_fwd.saturating_add(other.packets_fwd);
        self.packets_rev = self.packets_rev.saturating_add(other.packets_rev);
    }
}

/// A `u64` kept as two `u32` halves, so that a stored bucket holding one stays 4-aligned (its
/// index and counters then pack without padding). Additions saturate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SplitU64([u32; 2]);

impl SplitU64 {
    pub(crate) fn get(self) -> u64 {
        u64::from(self.0[0]) | u64::from(self.0[1]) << 32
    }

    pub(crate) fn add(&mut self, n: u64) {
        let v = self.get().saturating_add(n);
        self.0 = [v as u32, (v >> 32) as u32];
    }
}

/// The counters of a one-direction bucket: 12 bytes, 4-aligned (bytes in two halves), so 16
/// with the index, half of a two-direction [`Bucket`]'s 32.
#[derive(Clone, Copy, Debug, Default)]
struct OneWay {
    packets: u32,
    bytes: SplitU64,
}

impl Pack for OneWay {
    fn pack(&self, out: &mut Vec<u8>) {
        put(out, u64::from(self.packets));
        put(out, self.bytes.get());
    }

    fn unpack(input: &mut &[u8]) -> Option<Self> {
        let packets = take_u32(input)?;
        let mut bytes = SplitU64::default();
        bytes.add(take(input)?);
        Some(OneWay { packets, bytes })
    }
}

impl OneWay {
    fn add(&mut self, packets: u32, bytes: u64) {
        self.bytes.add(bytes);
        self.packets = self.packets.saturating_add(packets);
    }

    fn merge(&mut self, other: &OneWay) {
        self.add(other.packets, other.bytes.get());
    }

    fn bucket(&self) -> Bucket {
        Bucket {
            bytes_fwd: self.bytes.get(),
            packets_fwd: self.packets,
            ..Bucket::default()
        }
    }
}

/// The stored buckets of a [`Series`]: both directions, or only the forward one (a stream's
/// series, whose reverse half would always be zero), until a reverse packet comes; each live
/// or packed ([`Series::pack`]).
#[derive(Clone, Debug)]
enum Stored {
    Both(Buckets<Bucket>),
    Forward(Buckets<OneWay>),
}

/// A bandwidth time series with a fixed maximum number of buckets.
///
/// Only buckets that saw a packet are stored (index and counters, in time order), so a flow of
/// two packets a minute apart holds two buckets, not the 600 between them: memory follows the
/// packets up to [`Series::MAX_BUCKETS`], never the time span. Serialised, the buckets are
/// written out densely (empty ones as zeros), as [`Series::dense`] returns them.
#[derive(Clone, Debug)]
pub struct Series {
    /// Time of the first bucket's start, nanoseconds since the epoch.
    pub start_ns: i64,
    /// Width of every bucket in nanoseconds.
    pub bucket_ns: i64,
    /// Non-empty buckets with their index, in increasing index order.
    stored: Stored,
}

impl PartialEq for Series {
    /// The same grid and the same buckets, however they are stored.
    fn eq(&self, o: &Self) -> bool {
        (self.start_ns, self.bucket_ns) == (o.start_ns, o.bucket_ns) && self.iter().eq(o.iter())
    }
}

impl Eq for Series {}

impl Serialize for Series {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Dense<'a>(&'a Series);
        impl Serialize for Dense<'_> {
            fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                ser.collect_seq(fill_gaps(self.0.iter(), self.0.len()))
            }
        }
        let mut st = ser.serialize_struct("Series", 3)?;
        st.serialize_field("start_ns", &self.start_ns)?;
        st.serialize_field("bucket_ns", &self.bucket_ns)?;
        st.serialize_field("buckets", &Dense(self))?;
        st.end()
    }
}

impl Series {
    /// Bucket count at which the series coarsens (halving its resolution).
    pub const MAX_BUCKETS: usize = 512;
    /// Buckets a series keeps whatever a shared budget says ([`Series::shrink`]'s floor as the
    /// engine uses it).
    pub const MIN_KEEP: usize = 8;
    /// The initial bucket width: 100 ms.
    pub const INITIAL_BUCKET_NS: i64 = 100_000_000;

    /// An empty series starting at `start_ns`.
    pub fn new(start_ns: i64) -> Self {
        // Align to the bucket grid so series of one capture line up.
        let start = start_ns - start_ns.rem_euclid(Self::INITIAL_BUCKET_NS);
        Series {
            start_ns: start,
            bucket_ns: Self::INITIAL_BUCKET_NS,
            stored: Stored::Both(Buckets::default()),
        }
    }

    /// An empty series for traffic in one direction (a stream's), starting at `start_ns`: its
    /// buckets take half the memory. A packet added in the reverse direction all the same turns
    /// it into a two-direction series.
    pub fn one_way(start_ns: i64) -> Self {
        Series {
            stored: Stored::Forward(Buckets::default()),
            ..Series::new(start_ns)
        }
    }

    /// Adds a packet of `bytes` at `now_ns` in direction `forward`; returns the change in
    /// [`Series::stored_buckets`] (a new bucket, or fewer after coarsening), for callers that
    /// keep a budget of buckets across many series.
    ///
    /// Packets earlier than the series start (out-of-order capture timestamps) count in the
    /// first bucket. Allocation happens only when the bucket vector grows, which is bounded,
    /// and when a series packed as quiet is unpacked: once per quiet spell.
    pub fn add(&mut self, now_ns: i64, bytes: u64, forward: bool) -> isize {
        self.add_inner(now_ns, bytes, forward)
    }

    /// Halves the resolution (doubles the bucket width) to free memory; returns the buckets
    /// freed. A series of at most `keep` stored buckets is left as it is.
    pub fn shrink(&mut self, keep: usize) -> usize {
        let before = self.stored_buckets();
        if before > keep {
            self.coarsen();
        }
        before - self.stored_buckets()
    }

    /// Coarsens until the bucket width is at least `bucket_ns` (to stay on the grid of a
    /// partner series that coarsened on its own); returns the buckets freed.
    #[inline]
    pub fn coarsen_to(&mut self, bucket_ns: i64) -> usize {
        if self.bucket_ns >= bucket_ns {
            return 0;
        }
        let before = self.stored_buckets();
        while self.bucket_ns < bucket_ns {
            self.coarsen();
        }
        before - self.stored_buckets()
    }

    /// [`Series::add`]: the buckets stored afterwards less before, counted where they change.
    fn add_inner(&mut self, now_ns: i64, bytes: u64, forward: bool) -> isize {
        let mut idx = (now_ns.saturating_sub(self.start_ns).max(0) / self.bucket_ns) as u64;
        let mut freed = 0;
        while idx >= Self::MAX_BUCKETS as u64 {
            let before = self.stored_buckets();
            self.coarsen();
            freed += before - self.stored_buckets();
            idx = (now_ns.saturating_sub(self.start_ns).max(0) / self.bucket_ns) as u64;
        }
        let idx = idx as u32;
        if let (Stored::Forward(v), false) = (&self.stored, forward) {
            // A reverse packet in a one-way series: from here on it stores both directions.
            let both = v.iter_from(0).map(|(i, b)| (i, b.bucket())).collect();
            self.stored = Stored::Both(Buckets::Live(both));
        }
        let added = match &mut self.stored {
            Stored::Forward(v) => {
                let v = v.live();
                let held = v.len();
                bucket_slot(v, idx).add(1, bytes);
                v.len() - held
            }
            Stored::Both(v) => {
                let v = v.live();
                let held = v.len();
                let b = bucket_slot(v, idx);
                if forward {
                    b.bytes_fwd += bytes;
                    b.packets_fwd = b.packets_fwd.saturating_add(1);
                } else {
                    b.bytes_rev += bytes;
                    b.packets_rev = b.packets_rev.saturating_add(1);
                }
                v.len() - held
            }
        };
        added as isize - freed as isize
    }

    fn coarsen(&mut self) {
        match &mut self.stored {
            Stored::Both(v) => v.rewrite(|v| coarsen_buckets(v, Bucket::merge)),
            Stored::Forward(v) => v.rewrite(|v| coarsen_buckets(v, OneWay::merge)),
        }
        self.bucket_ns *= 2;
    }

    /// Packs the buckets of a series no longer written to (its stream or flow has gone quiet):
    /// the same buckets in about a quarter of the memory; the next packet unpacks them.
    /// Returns the heap bytes saved.
    pub(crate) fn pack(&mut self) -> usize {
        match &mut self.stored {
            Stored::Both(v) => v.pack(),
            Stored::Forward(v) => v.pack(),
        }
    }

    /// The index of the last stored bucket.
    fn last_index(&self) -> Option<u32> {
        match &self.stored {
            Stored::Both(v) => v.last_index(),
            Stored::Forward(v) => v.last_index(),
        }
    }

    /// Buckets from the first to the last non-empty one, as a dense count.
    pub fn len(&self) -> usize {
        self.last_index().map_or(0, |i| i as usize + 1)
    }

    /// True when no packet was added.
    pub fn is_empty(&self) -> bool {
        self.stored_buckets() == 0
    }

    /// Buckets held in memory (the non-empty ones).
    pub fn stored_buckets(&self) -> usize {
        match &self.stored {
            Stored::Both(v) => v.len(),
            Stored::Forward(v) => v.len(),
        }
    }

    /// The non-empty buckets with their index, in time order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Bucket)> + '_ {
        self.iter_from(0)
    }

    /// The non-empty buckets from index `first` on, in time order.
    pub fn iter_from(&self, first: usize) -> impl Iterator<Item = (usize, Bucket)> + '_ {
        let first = u32::try_from(first).unwrap_or(u32::MAX);
        let (both, forward) = match &self.stored {
            Stored::Both(v) => (Some(v.iter_from(first)), None),
            Stored::Forward(v) => (None, Some(v.iter_from(first))),
        };
        let both = both.into_iter().flatten().map(|(i, b)| (i as usize, b));
        let forward = forward
            .into_iter()
            .flatten()
            .map(|(i, b)| (i as usize, b.bucket()));
        both.chain(forward)
    }

    /// Every bucket from the first to the last non-empty one, empty ones as zeros.
    pub fn dense(&self) -> Vec<Bucket> {
        fill_gaps(self.iter(), self.len()).collect()
    }

    /// Total bytes (forward, reverse).
    pub fn totals(&self) -> (u64, u64) {
        self.iter()
            .fold((0, 0), |(f, r), (_, b)| (f + b.bytes_fwd, r + b.bytes_rev))
    }

    /// The highest bucket rate, in bits per second (forward, reverse).
    pub fn peak_bps(&self) -> (u64, u64) {
        let scale =
            |bytes: u64| (bytes as u128 * 8 * 1_000_000_000 / self.bucket_ns as u128) as u64;
        self.iter().fold((0, 0), |(f, r), (_, b)| {
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
        // Saturating: a capture's timestamps may sit anywhere in i64 (a pcapng with wrong
        // timestamp units clamps to i64::MAX).
        let end = parts
            .iter()
            .map(|(p, _)| {
                p.start_ns
                    .saturating_add(p.bucket_ns.saturating_mul(p.len() as i64))
            })
            .max()?;
        let mut width = parts.iter().map(|(p, _)| p.bucket_ns).max()?;
        while end.saturating_sub(start) / width >= Self::MAX_BUCKETS as i64 {
            width = width.saturating_mul(2);
        }
        let mut dense = vec![Bucket::default(); (end.saturating_sub(start) / width + 1) as usize];
        for (p, swap) in parts {
            for (i, b) in p.iter() {
                let mid = p
                    .start_ns
                    .saturating_add(p.bucket_ns.saturating_mul(i as i64))
                    .saturating_add(p.bucket_ns / 2);
                let idx = ((mid.saturating_sub(start) / width) as usize).min(dense.len() - 1);
                let b = if swap {
                    Bucket {
                        bytes_fwd: b.bytes_rev,
                        bytes_rev: b.bytes_fwd,
                        packets_fwd: b.packets_rev,
                        packets_rev: b.packets_fwd,
                    }
                } else {
                    b
                };
                dense[idx].merge(&b);
            }
        }
        let mut out = Series {
            start_ns: start,
            bucket_ns: width,
            stored: Stored::Both(Buckets::Live(
                dense
                    .into_iter()
                    .enumerate()
                    .filter(|(_, b)| *b != Bucket::default())
                    .map(|(i, b)| (i as u32, b))
                    .collect(),
            )),
        };
        // Nothing is added to a merged series afterwards.
        out.pack();
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
        assert!(s.len() <= Series::MAX_BUCKETS);
        let (f, r) = s.totals();
        assert_eq!(f + r, 180_000 * 100);
        assert_eq!(r, 60_000 * 100);
        // 3600 s / 512 buckets -> at least 7.03 s buckets: 100 ms * 2^7 = 12.8 s.
        assert_eq!(s.bucket_ns, 12_800_000_000);
        // 50 pps * 100 B * 8 = 40 kbit/s in total; two thirds forward.
        let (pf, _) = s.peak_bps();
        assert!((26_000..=27_500).contains(&pf), "{pf}");
    }

    fn capacity(s: &Series) -> usize {
        match &s.stored {
            Stored::Both(Buckets::Live(v)) => v.capacity(),
            Stored::Forward(Buckets::Live(v)) => v.capacity(),
            Stored::Both(Buckets::Packed(_)) | Stored::Forward(Buckets::Packed(_)) => 0,
        }
    }

    #[test]
    fn capacity_follows_the_stored_buckets() {
        for mut s in [Series::new(0), Series::one_way(0)] {
            // Growing: at most a quarter (or 8) beyond what is stored, never the double.
            for i in 0..500i64 {
                s.add(i * Series::INITIAL_BUCKET_NS, 1, true);
                let n = s.stored_buckets();
                assert!(capacity(&s) <= n + (n / 4).max(8), "{n}");
            }
            // A coarsening (the 513th bucket) and a shrink give the freed buckets back.
            s.add(600 * Series::INITIAL_BUCKET_NS, 1, true);
            let n = s.stored_buckets();
            assert!(n <= 257, "{n}");
            assert!(capacity(&s) <= n + (n / 4).max(8));
            let freed = s.shrink(Series::MIN_KEEP);
            let n = s.stored_buckets();
            assert!(freed > 0);
            assert!(capacity(&s) <= n + (n / 4).max(8));
        }
    }

    #[test]
    fn a_one_way_series_is_a_series_with_an_empty_reverse_half() {
        let mut one = Series::one_way(50);
        let mut both = Series::new(50);
        for i in 0..2_000i64 {
            // Out of order now and then, and past MAX_BUCKETS so that both coarsen.
            let t = i * 37_000_000 - if i % 7 == 3 { 150_000_000 } else { 0 };
            let n = 100 + (i as u64 * 13) % 1_200;
            assert_eq!(one.add(t, n, true), both.add(t, n, true));
        }
        assert!(matches!(one.stored, Stored::Forward(_)));
        assert_eq!(one, both);
        assert_eq!(one.dense(), both.dense());
        assert_eq!(
            serde_json::to_string(&one).unwrap(),
            serde_json::to_string(&both).unwrap()
        );
        assert_eq!(
            (one.totals(), one.peak_bps()),
            (both.totals(), both.peak_bps())
        );
        assert_eq!(
            one.iter_from(100).collect::<Vec<_>>(),
            both.iter_from(100).collect::<Vec<_>>()
        );
        // A reverse packet turns it into a two-direction series, nothing lost.
        one.add(10_000_000_000, 9, false);
        both.add(10_000_000_000, 9, false);
        assert!(matches!(one.stored, Stored::Both(_)));
        assert_eq!(one, both);
        // Bytes beyond 32 bits stay exact in the halves.
        let mut big = Series::one_way(0);
        big.add(0, 5_000_000_000, true);
        big.add(1, 5_000_000_000, true);
        assert_eq!(big.totals(), (10_000_000_000, 0));
        assert_eq!(big.iter().next().unwrap().1.packets_fwd, 2);
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
        assert!(m.len() <= Series::MAX_BUCKETS);
        assert!(m.bucket_ns >= b.bucket_ns);
        let (f, r) = m.totals();
        assert_eq!(f, 10 * 100 + 7 * 100);
        assert_eq!(r, 600);
        assert!(Series::merged(std::iter::empty()).is_none());
    }

    #[test]
    fn extreme_timestamps_merge_without_overflow() {
        // A pcapng with wrong timestamp units clamps times to i64::MAX (found by fuzzing).
        let mut a = Series::new(0);
        a.add(0, 10, true);
        a.add(i64::MAX, 10, false);
        let mut b = Series::new(i64::MAX - 5);
        b.add(i64::MAX, 7, true);
        let m = Series::merged([(&a, false), (&b, true)]).unwrap();
        assert!(m.len() <= Series::MAX_BUCKETS);
        assert_eq!(m.totals(), (10, 17));
    }

    #[test]
    fn a_sparse_flow_holds_only_its_buckets() {
        // Two packets 51 s apart: two buckets held, 511 written out.
        let mut s = Series::new(0);
        s.add(0, 100, true);
        s.add(51_000_000_000, 60, false);
        assert_eq!(s.stored_buckets(), 2);
        assert_eq!(s.len(), 511);
        let d = s.dense();
        assert_eq!((d[0].bytes_fwd, d[510].bytes_rev), (100, 60));
        assert!(d[1..510].iter().all(|b| *b == Bucket::default()));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["buckets"].as_array().unwrap().len(), 511);
        // An out-of-order timestamp lands in its own bucket, in order.
        s.add(20_000_000_000, 7, true);
        assert_eq!(s.dense()[200].bytes_fwd, 7);
        assert_eq!(s.totals(), (107, 60));
    }

    proptest! {
        #[test]
        fn bounded_and_lossless(times in proptest::collection::vec(0i64..10_000_000_000_000, 1..300)) {
            let mut s = Series::new(times[0]);
            for t in &times {
                s.add(*t, 10, true);
            }
            prop_assert!(s.len() <= Series::MAX_BUCKETS);
            prop_assert_eq!(s.totals().0, 10 * times.len() as u64);
        }

        /// A series packed at any points (packets after a packing unpack it; shrinking a
        /// packed series keeps it packed) is the same series as one never packed: the same
        /// buckets, budget counts, JSON, from any index, one-way or both ways.
        #[test]
        fn packing_at_any_point_changes_nothing(
            one_way in any::<bool>(),
            ops in proptest::collection::vec(
                (0i64..200_000_000_000, 0u64..6_000_000_000, any::<bool>(), 0u8..8), 1..400),
            first in 0usize..600,
        ) {
            let new = if one_way { Series::one_way } else { Series::new };
            let (mut plain, mut packed) = (new(ops[0].0), new(ops[0].0));
            for &(t, bytes, forward, op) in &ops {
                // Mostly forward, as a stream's packets are.
                let forward = forward || one_way && op < 6;
                prop_assert_eq!(plain.add(t, bytes, forward), packed.add(t, bytes, forward));
                if op == 0 {
                    prop_assert_eq!(plain.shrink(Series::MIN_KEEP), packed.shrink(Series::MIN_KEEP));
                }
                if op <= 2 {
                    packed.pack();
                }
                prop_assert_eq!(plain.stored_buckets(), packed.stored_buckets());
            }
            packed.pack();
            prop_assert_eq!(&plain, &packed);
            prop_assert_eq!(plain.len(), packed.len());
            prop_assert_eq!(plain.dense(), packed.dense());
            prop_assert_eq!(
                plain.iter_from(first).collect::<Vec<_>>(),
                packed.iter_from(first).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                serde_json::to_string(&plain).unwrap(),
                serde_json::to_string(&packed).unwrap()
            );
        }
    }

    #[test]
    fn a_packed_stream_series_takes_a_fraction_of_its_vector() {
        // Ten seconds of video: 100 ms buckets of about 12 packets and 14 kB.
        let mut s = Series::one_way(0);
        for i in 0..1_200i64 {
            s.add(i * 8_333_333, 1_100 + (i as u64 % 200), true);
        }
        let live = capacity(&s) * size_of::<(u32, OneWay)>();
        let saved = s.pack();
        assert!(saved * 4 >= live * 3, "{saved} of {live} bytes saved");
        assert_eq!(capacity(&s), 0);
        // Packing a packed series does nothing.
        assert_eq!(s.pack(), 0);
    }
}
