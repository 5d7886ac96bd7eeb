//! Per-stream quality over time: loss, jitter and RTCP round-trip time per time bucket.
//!
//! A [`QualitySeries`] sits beside a stream's bandwidth [`Series`] on the same grid (same
//! start, same bucket width, same coarsening: when either outgrows [`Series::MAX_BUCKETS`] the
//! width doubles and neighbours `i` and `i + 1` (with `i` even) merge into `i / 2`), so bucket
//! `i` of one is bucket `i` of the other. Only buckets that saw something are stored, so memory
//! is bounded by [`Series::MAX_BUCKETS`] per stream, never by packets or time span.
//!
//! Per bucket, as RFC 3550 A.3 counts an interval:
//!
//! * `expected`: how far the stream's expected count (extended highest sequence number −
//!   base + 1) advanced during the bucket, i.e. `highest_i − highest_{i−1}` (plus one for the
//!   stream's first packet, and what a late packet older than the first adds to the base).
//!   Summed over all buckets it is the stream's [`Stream::expected`] exactly.
//! * `received`: packets that arrived, duplicates included (RFC 3550's `received`); summed, the
//!   stream's [`Stream::packets`].
//! * `duplicates`: of those, copies of a sequence number already seen; summed, the stream's
//!   [`Stream::duplicates`].
//! * [`QualityBucket::lost`] `= expected − received` may be **negative**, as RFC 3550 A.3
//!   allows: a duplicate, or a packet reordered into the next bucket (the bucket its sequence
//!   number advanced `highest` in shows it lost, the bucket it arrived in shows −1). Summed,
//!   `expected − packets`. [`QualityBucket::lost_unique`] `= expected − (received −
//!   duplicates)` sums to the stream's [`Stream::lost`] exactly.
//! * Jitter (RFC 3550 A.8, in ms): the value after the bucket's last packet that updated it,
//!   and the largest within the bucket.
//! * RTT from RTCP LSR/DLSR (cleartext RTCP or decrypted SRTCP), at the time the report block
//!   arrived: minimum, maximum, sum and count (hence the mean). The engine remembers the last
//!   SR per SSRC only, so a report echoing an earlier SR gives no sample (on the Firefox
//!   recordings: as many samples as getStats' `roundTripTimeMeasurements`, or one fewer).
//!
//! "Last" means the last packet processed: a capture whose timestamps go backwards puts a
//! packet in an earlier bucket, and that bucket's `jitter_ms` may then be later than the next
//! one's. Under the engine's shared bucket budget a quality bucket counts [`BUDGET_UNITS`]
//! series buckets, and when the budget makes a stream's series halve its resolution, its
//! quality series halves with it.
//!
//! [`Stream::expected`]: crate::streams::Stream::expected
//! [`Stream::packets`]: crate::streams::Stream::packets
//! [`Stream::duplicates`]: crate::streams::Stream::duplicates
//! [`Stream::lost`]: crate::streams::Stream::lost

use crate::buckets::{put, put_f32, put_f64, take, take_f32, take_f64, take_u32, Buckets, Pack};
use crate::series::{Series, SplitU64};
use serde::Serialize;

/// Quality counters of one time bucket.
///
/// The packet counters and the RTCP round-trip times are stored apart ([`QualitySeries`]
/// keeps a bucket's RTT only where a report brought a sample: one bucket in ten or fewer), each
/// 32 bytes with its index; this value joins them. Counts are integers (sums exact), the ms
/// values `f32` (NaN when absent; read through the accessors as `f64`), the RTT sum `f64`.
#[derive(Clone, Copy, Debug, Default)]
pub struct QualityBucket {
    c: PacketCounts,
    r: RttSamples,
}

/// What the RTP packets of a bucket count (28 bytes, 4-aligned: 32 with its index).
#[derive(Clone, Copy, Debug)]
struct PacketCounts {
    /// In two halves, so that the struct stays 4-aligned.
    expected: SplitU64,
    received: u32,
    duplicates: u32,
    reordered: u32,
    jitter_ms: f32,
    jitter_max_ms: f32,
}

impl Default for PacketCounts {
    fn default() -> Self {
        PacketCounts {
            expected: SplitU64::default(),
            received: 0,
            duplicates: 0,
            reordered: 0,
            jitter_ms: f32::NAN,
            jitter_max_ms: f32::NAN,
        }
    }
}

impl Pack for PacketCounts {
    fn pack(&self, out: &mut Vec<u8>) {
        put(out, self.expected.get());
        put(out, u64::from(self.received));
        put(out, u64::from(self.duplicates));
        put(out, u64::from(self.reordered));
        put_f32(out, self.jitter_ms);
        put_f32(out, self.jitter_max_ms);
    }

    fn unpack(input: &mut &[u8]) -> Option<Self> {
        let mut expected = SplitU64::default();
        expected.add(take(input)?);
        Some(PacketCounts {
            expected,
            received: take_u32(input)?,
            duplicates: take_u32(input)?,
            reordered: take_u32(input)?,
            jitter_ms: take_f32(input)?,
            jitter_max_ms: take_f32(input)?,
        })
    }
}

impl PacketCounts {
    fn merge(&mut self, later: &PacketCounts) {
        self.expected.add(later.expected.get());
        self.received = self.received.saturating_add(later.received);
        self.duplicates = self.duplicates.saturating_add(later.duplicates);
        self.reordered = self.reordered.saturating_add(later.reordered);
        if !later.jitter_ms.is_nan() {
            self.jitter_ms = later.jitter_ms;
        }
        // f32::max/min ignore a NaN operand: the present value wins.
        self.jitter_max_ms = self.jitter_max_ms.max(later.jitter_max_ms);
    }
}

/// The RTCP round-trip time samples of a bucket (24 bytes: 32 with its index).
#[derive(Clone, Copy, Debug)]
struct RttSamples {
    sum_ms: f64,
    samples: u32,
    min_ms: f32,
    max_ms: f32,
}

impl Default for RttSamples {
    fn default() -> Self {
        RttSamples {
            sum_ms: 0.0,
            samples: 0,
            min_ms: f32::NAN,
            max_ms: f32::NAN,
        }
    }
}

impl Pack for RttSamples {
    fn pack(&self, out: &mut Vec<u8>) {
        put_f64(out, self.sum_ms);
        put(out, u64::from(self.samples));
        put_f32(out, self.min_ms);
        put_f32(out, self.max_ms);
    }

    fn unpack(input: &mut &[u8]) -> Option<Self> {
        Some(RttSamples {
            sum_ms: take_f64(input)?,
            samples: take_u32(input)?,
            min_ms: take_f32(input)?,
            max_ms: take_f32(input)?,
        })
    }
}

impl RttSamples {
    fn merge(&mut self, later: &RttSamples) {
        self.min_ms = self.min_ms.min(later.min_ms);
        self.max_ms = self.max_ms.max(later.max_ms);
        self.sum_ms += later.sum_ms;
        self.samples = self.samples.saturating_add(later.samples);
    }
}

impl PartialEq for QualityBucket {
    /// Field by field, an absent value (NaN) equal to an absent one.
    fn eq(&self, o: &Self) -> bool {
        let f = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        let (c, oc, r, or) = (&self.c, &o.c, &self.r, &o.r);
        (c.expected, c.received, c.duplicates, c.reordered, r.samples)
            == (
                oc.expected,
                oc.received,
                oc.duplicates,
                oc.reordered,
                or.samples,
            )
            && r.sum_ms.to_bits() == or.sum_ms.to_bits()
            && f(c.jitter_ms, oc.jitter_ms)
            && f(c.jitter_max_ms, oc.jitter_max_ms)
            && f(r.min_ms, or.min_ms)
            && f(r.max_ms, or.max_ms)
    }
}

fn opt(v: f32) -> Option<f64> {
    (!v.is_nan()).then_some(f64::from(v))
}

impl QualityBucket {
    /// Packets expected: the advance of the extended highest sequence number in the bucket.
    pub fn expected(&self) -> u64 {
        self.c.expected.get()
    }

    /// Packets received, duplicates included.
    pub fn received(&self) -> u64 {
        u64::from(self.c.received)
    }

    /// Of the received, duplicates.
    pub fn duplicates(&self) -> u64 {
        u64::from(self.c.duplicates)
    }

    /// Of the received, packets that came after one with a higher sequence number (late).
    pub fn reordered(&self) -> u64 {
        u64::from(self.c.reordered)
    }

    /// Interarrival jitter in ms after the bucket's last packet that had one (kept as `f32`).
    pub fn jitter_ms(&self) -> Option<f64> {
        opt(self.c.jitter_ms)
    }

    /// The highest interarrival jitter in ms within the bucket.
    pub fn jitter_max_ms(&self) -> Option<f64> {
        opt(self.c.jitter_max_ms)
    }

    /// The smallest RTCP round-trip time in ms within the bucket.
    pub fn rtt_min_ms(&self) -> Option<f64> {
        opt(self.r.min_ms)
    }

    /// The largest RTCP round-trip time in ms within the bucket.
    pub fn rtt_max_ms(&self) -> Option<f64> {
        opt(self.r.max_ms)
    }

    /// RTCP round-trip time samples within the bucket.
    pub fn rtt_samples(&self) -> u32 {
        self.r.samples
    }

    /// Packets lost as RFC 3550 A.3 counts an interval: `expected − received`, negative when
    /// duplicates or packets reordered into this bucket outnumber the losses.
    pub fn lost(&self) -> i64 {
        self.expected() as i64 - i64::from(self.c.received)
    }

    /// Packets lost over unique sequence numbers: `expected − (received − duplicates)`;
    /// summed over a stream's buckets, the stream's `lost`. Negative only for packets reordered
    /// into this bucket from an earlier one.
    pub fn lost_unique(&self) -> i64 {
        self.lost() + i64::from(self.c.duplicates)
    }

    /// The loss fraction `lost_unique / expected` clamped to 0–1, when anything was expected.
    pub fn loss_fraction(&self) -> Option<f64> {
        let expected = self.expected();
        (expected > 0).then(|| (self.lost_unique().max(0) as f64 / expected as f64).min(1.0))
    }

    /// The mean RTCP round-trip time in ms, when the bucket has a sample.
    pub fn rtt_mean_ms(&self) -> Option<f64> {
        (self.r.samples > 0).then(|| self.r.sum_ms / f64::from(self.r.samples))
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.c.received == 0 && self.expected() == 0 && self.r.samples == 0
    }

    /// Merges `later`, a bucket following this one in time: sums for the counts, the maximum
    /// for `jitter_max_ms`, the later value for `jitter_ms`, min/max/sum/count for the RTT.
    pub fn merge(&mut self, later: &QualityBucket) {
        self.c.merge(&later.c);
        self.r.merge(&later.r);
    }
}

impl Serialize for QualityBucket {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = ser.serialize_struct("QualityBucket", 10)?;
        st.serialize_field("expected", &self.expected())?;
        st.serialize_field("received", &self.c.received)?;
        st.serialize_field("duplicates", &self.c.duplicates)?;
        st.serialize_field("lost", &self.lost())?;
        st.serialize_field("jitter_ms", &us(self.jitter_ms()))?;
        st.serialize_field("jitter_max_ms", &us(self.jitter_max_ms()))?;
        st.serialize_field("rtt_min_ms", &us(self.rtt_min_ms()))?;
        st.serialize_field("rtt_mean_ms", &us(self.rtt_mean_ms()))?;
        st.serialize_field("rtt_max_ms", &us(self.rtt_max_ms()))?;
        st.serialize_field("rtt_samples", &self.r.samples)?;
        st.end()
    }
}

/// What a stored quality entry (a bucket's packet counters, or its RTT samples, each 32 bytes
/// with its index) counts in the engine's shared bucket budget, in bandwidth series buckets
/// (as large).
pub const BUDGET_UNITS: usize = 1;

/// Bytes of one stored entry with its index, either half ([`BUDGET_UNITS`]' reason).
#[cfg(test)]
pub(crate) const STORED_ENTRY_BYTES: usize = {
    let c = std::mem::size_of::<(u32, PacketCounts)>();
    let r = std::mem::size_of::<(u32, RttSamples)>();
    if c > r {
        c
    } else {
        r
    }
};

/// What one RTP packet adds to its bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PacketQuality {
    /// The advance of the stream's expected count this packet caused.
    pub expected: u64,
    /// The packet repeated a sequence number already seen.
    pub duplicate: bool,
    /// The packet came after one with a higher sequence number (late, reordered).
    pub late: bool,
    /// The stream's jitter in ms after this packet, when known.
    pub jitter_ms: Option<f64>,
}

/// Quality over time of one stream, on its bandwidth series' grid (see the module docs).
#[derive(Clone, Debug)]
pub struct QualitySeries {
    /// Time of the first bucket's start, nanoseconds since the epoch.
    pub start_ns: i64,
    /// Width of every bucket in nanoseconds.
    pub bucket_ns: i64,
    /// Buckets with packets: index and counters, in increasing index order (live or packed,
    /// as [`Series::pack`] explains).
    stored: Buckets<PacketCounts>,
    /// Buckets with RTT samples, likewise.
    rtt: Buckets<RttSamples>,
}

impl PartialEq for QualitySeries {
    /// The same grid and the same buckets (absent values equal, as [`QualityBucket`] compares).
    fn eq(&self, o: &Self) -> bool {
        (self.start_ns, self.bucket_ns) == (o.start_ns, o.bucket_ns) && self.iter().eq(o.iter())
    }
}

/// Milliseconds as written out: rounded to the microsecond (finer than an RTP clock tick, and
/// short), as `f64` so that a number reads back the same from JSON text or a serde value.
fn us(v: Option<f64>) -> Option<f64> {
    v.map(|v| (v * 1000.0).round() / 1000.0)
}

/// Written as columns (one array per field, one element per bucket from the first to the last
/// non-empty one, empty buckets as zeros and `null`s): dense like [`Series`], a fraction of
/// its size per bucket.
impl Serialize for QualitySeries {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Column<'a, F>(&'a QualitySeries, F);
        impl<T: Serialize, F: Fn(&QualityBucket) -> T> Serialize for Column<'_, F> {
            fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                ser.collect_seq(
                    crate::series::fill_gaps(self.0.iter(), self.0.len()).map(|b| (self.1)(&b)),
                )
            }
        }
        let mut st = ser.serialize_struct("QualitySeries", 13)?;
        st.serialize_field("start_ns", &self.start_ns)?;
        st.serialize_field("bucket_ns", &self.bucket_ns)?;
        st.serialize_field("expected", &Column(self, QualityBucket::expected))?;
        st.serialize_field("received", &Column(self, |b: &QualityBucket| b.c.received))?;
        st.serialize_field(
            "duplicates",
            &Column(self, |b: &QualityBucket| b.c.duplicates),
        )?;
        st.serialize_field("lost", &Column(self, QualityBucket::lost))?;
        st.serialize_field(
            "reordered",
            &Column(self, |b: &QualityBucket| b.c.reordered),
        )?;
        st.serialize_field(
            "jitter_ms",
            &Column(self, |b: &QualityBucket| us(b.jitter_ms())),
        )?;
        st.serialize_field(
            "jitter_max_ms",
            &Column(self, |b: &QualityBucket| us(b.jitter_max_ms())),
        )?;
        st.serialize_field(
            "rtt_samples",
            &Column(self, |b: &QualityBucket| b.r.samples),
        )?;
        st.serialize_field(
            "rtt_min_ms",
            &Column(self, |b: &QualityBucket| us(b.rtt_min_ms())),
        )?;
        st.serialize_field(
            "rtt_mean_ms",
            &Column(self, |b: &QualityBucket| us(b.rtt_mean_ms())),
        )?;
        st.serialize_field(
            "rtt_max_ms",
            &Column(self, |b: &QualityBucket| us(b.rtt_max_ms())),
        )?;
        st.end()
    }
}

impl QualitySeries {
    /// An empty series on the grid [`Series::new`] gives for `start_ns`.
    pub fn new(start_ns: i64) -> Self {
        let grid = Series::new(start_ns);
        QualitySeries {
            start_ns: grid.start_ns,
            bucket_ns: grid.bucket_ns,
            stored: Buckets::default(),
            rtt: Buckets::default(),
        }
    }

    /// Records an RTP packet arriving at `now_ns`; returns the change in
    /// [`QualitySeries::stored_buckets`] (as [`Series::add`] does, for a budget).
    pub fn packet(&mut self, now_ns: i64, q: PacketQuality) -> isize {
        let before = self.stored_buckets() as isize;
        let idx = self.index(now_ns);
        let b = crate::series::bucket_slot(self.stored.live(), idx);
        b.expected.add(q.expected);
        b.received = b.received.saturating_add(1);
        b.duplicates = b.duplicates.saturating_add(u32::from(q.duplicate));
        b.reordered = b.reordered.saturating_add(u32::from(q.late));
        if let Some(j) = q.jitter_ms {
            let j = j as f32;
            b.jitter_ms = j;
            b.jitter_max_ms = b.jitter_max_ms.max(j);
        }
        self.stored_buckets() as isize - before
    }

    /// Records an RTCP round-trip time sample (ms) computed at `now_ns`; returns the change in
    /// [`QualitySeries::stored_buckets`].
    pub fn rtt(&mut self, now_ns: i64, rtt_ms: f64) -> isize {
        if !rtt_ms.is_finite() {
            return 0;
        }
        let before = self.stored_buckets() as isize;
        let idx = self.index(now_ns);
        let b = crate::series::bucket_slot(self.rtt.live(), idx);
        b.min_ms = b.min_ms.min(rtt_ms as f32);
        b.max_ms = b.max_ms.max(rtt_ms as f32);
        b.sum_ms += rtt_ms;
        b.samples = b.samples.saturating_add(1);
        self.stored_buckets() as isize - before
    }

    /// Coarsens until the bucket width is at least `bucket_ns` (the partner series' width, so
    /// that both stay on one grid); returns the buckets freed.
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

    /// The index of the bucket for `now_ns`, coarsening first if it is past the last one.
    fn index(&mut self, now_ns: i64) -> u32 {
        // The same rule as Series::add: earlier times count in the first bucket.
        let mut idx = (now_ns.saturating_sub(self.start_ns).max(0) / self.bucket_ns) as u64;
        while idx >= Series::MAX_BUCKETS as u64 {
            self.coarsen();
            idx = (now_ns.saturating_sub(self.start_ns).max(0) / self.bucket_ns) as u64;
        }
        idx as u32
    }

    fn coarsen(&mut self) {
        use crate::series::coarsen_buckets;
        self.stored
            .rewrite(|v| coarsen_buckets(v, PacketCounts::merge));
        self.rtt.rewrite(|v| coarsen_buckets(v, RttSamples::merge));
        self.bucket_ns = self.bucket_ns.saturating_mul(2);
    }

    /// Packs the buckets of a series no longer written to (as [`Series::pack`]); returns the
    /// heap bytes saved.
    pub(crate) fn pack(&mut self) -> usize {
        self.stored.pack() + self.rtt.pack()
    }

    /// The buckets from index `first` on, packet entries and RTT entries joined by index, in
    /// time order.
    fn joined(&self, first: u32) -> impl Iterator<Item = (usize, QualityBucket)> + '_ {
        let mut c = self.stored.iter_from(first).peekable();
        let mut r = self.rtt.iter_from(first).peekable();
        std::iter::from_fn(move || {
            let i = match (c.peek(), r.peek()) {
                (None, None) => return None,
                (Some((a, _)), Some((b, _))) => *a.min(b),
                (Some((a, _)), None) => *a,
                (None, Some((b, _))) => *b,
            };
            let mut out = QualityBucket::default();
            if let Some((_, x)) = c.next_if(|(j, _)| *j == i) {
                out.c = x;
            }
            if let Some((_, x)) = r.next_if(|(j, _)| *j == i) {
                out.r = x;
            }
            Some((i as usize, out))
        })
    }

    /// Buckets from the first to the last non-empty one, as a dense count.
    pub fn len(&self) -> usize {
        let last = |v: Option<u32>| v.map_or(0, |i| i as usize + 1);
        last(self.stored.last_index()).max(last(self.rtt.last_index()))
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.stored.is_empty() && self.rtt.is_empty()
    }

    /// Entries held in memory: buckets with packets plus buckets with RTT samples (each
    /// [`BUDGET_UNITS`] in the engine's budget).
    pub fn stored_buckets(&self) -> usize {
        self.stored.len() + self.rtt.len()
    }

    /// The non-empty buckets with their index, in time order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, QualityBucket)> + '_ {
        self.joined(0)
    }

    /// The non-empty buckets from index `first` on, in time order.
    pub fn iter_from(&self, first: usize) -> impl Iterator<Item = (usize, QualityBucket)> + '_ {
        self.joined(u32::try_from(first).unwrap_or(u32::MAX))
    }

    /// Every bucket from the first to the last non-empty one, empty ones as defaults.
    pub fn dense(&self) -> Vec<QualityBucket> {
        crate::series::fill_gaps(self.iter(), self.len()).collect()
    }

    /// All buckets merged into one: the stream's totals (`expected`, `received`,
    /// `duplicates`), its last jitter, its highest jitter, and its RTT min/sum/count.
    pub fn total(&self) -> QualityBucket {
        let mut t = QualityBucket::default();
        for (_, b) in self.iter() {
            t.merge(&b);
        }
        t
    }

    /// Resamples `[start, end)` into `bins` equal bins: each bucket goes whole into the bin
    /// holding its midpoint (so counts stay integers and sums stay exact; buckets whose
    /// midpoint lies outside the window are left out). Bins narrower than the buckets leave
    /// some bins empty ([`QualityBucket::is_empty`]): a chart should draw those as gaps, not
    /// as zero loss.
    pub fn resample(&self, start: i64, end: i64, bins: usize) -> Vec<QualityBucket> {
        let mut out = vec![QualityBucket::default(); bins];
        if bins == 0 || end <= start || self.bucket_ns <= 0 {
            return out;
        }
        let span = i128::from(end) - i128::from(start);
        let bw = self.bucket_ns;
        // The first bucket whose midpoint can be at or after `start`.
        let first = usize::try_from(start.saturating_sub(self.start_ns).max(0) / bw)
            .unwrap_or(usize::MAX)
            .saturating_sub(1);
        for (i, b) in self.iter_from(first) {
            let mid = i128::from(self.start_ns) + i128::from(bw) * i as i128 + i128::from(bw / 2);
            if mid >= i128::from(end) {
                break;
            }
            if mid < i128::from(start) {
                continue;
            }
            let bin = ((mid - i128::from(start)) * bins as i128 / span) as usize;
            out[bin.min(bins - 1)].merge(&b);
        }
        out
    }
}

/// A run of consecutive buckets that met a condition ([`QualitySeries::spans`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QualitySpan {
    /// Start of the first bucket, ns since the epoch.
    pub start_ns: i64,
    /// End of the last bucket (exclusive).
    pub end_ns: i64,
    /// The run's buckets merged (sums, last and highest jitter, RTT min/max/mean).
    pub merged: QualityBucket,
}

impl QualitySeries {
    /// The time ranges where `cond` holds: runs of consecutive stored buckets for which it is
    /// true, each with its buckets merged, in time order (for a diagnosis: "loss above 5 %
    /// from 12.3 s to 15.1 s"). A bucket that saw nothing never holds, so a gap in the
    /// stream ends a run. At most `max` runs are returned (the first ones).
    pub fn spans(&self, cond: impl Fn(&QualityBucket) -> bool, max: usize) -> Vec<QualitySpan> {
        self.spans_over(self.bucket_ns, cond, max)
    }

    /// As [`QualitySeries::spans`], with `cond` judged on windows of `window_ns` (whole
    /// buckets merged, at least one; aligned to the series' start) rather than on single
    /// buckets: a 100 ms bucket of an audio stream holds five packets, too few for a loss
    /// share to mean anything.
    pub fn spans_over(
        &self,
        window_ns: i64,
        cond: impl Fn(&QualityBucket) -> bool,
        max: usize,
    ) -> Vec<QualitySpan> {
        let per = (window_ns / self.bucket_ns.max(1)).max(1) as usize;
        // The non-empty windows, merged, in time order.
        let mut windows: Vec<(usize, QualityBucket)> = Vec::new();
        for (i, b) in self.iter() {
            let w = i / per;
            match windows.last_mut() {
                Some((last, acc)) if *last == w => acc.merge(&b),
                _ => windows.push((w, b)),
            }
        }
        let width = self.bucket_ns.saturating_mul(per as i64);
        let mut out: Vec<QualitySpan> = Vec::new();
        let mut last: Option<usize> = None;
        for (w, b) in &windows {
            if !cond(b) {
                last = None;
                continue;
            }
            let start = self
                .start_ns
                .saturating_add(width.saturating_mul(*w as i64));
            let end = start.saturating_add(width);
            match (last, out.last_mut()) {
                (Some(j), Some(run)) if j + 1 == *w => {
                    run.end_ns = end;
                    run.merged.merge(b);
                }
                _ => {
                    if out.len() == max {
                        break;
                    }
                    out.push(QualitySpan {
                        start_ns: start,
                        end_ns: end,
                        merged: *b,
                    });
                }
            }
            last = Some(*w);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A quality series packed at any points is the same as one never packed: the same
        /// buckets (NaN jitter and RTT included), budget counts, JSON and spans.
        #[test]
        fn packing_at_any_point_changes_nothing(
            ops in proptest::collection::vec(
                (0i64..120_000_000_000, 0u64..70_000, any::<u8>(), -5.0f64..400.0), 1..400),
            first in 0usize..600,
        ) {
            let (mut plain, mut packed) = (QualitySeries::new(ops[0].0), QualitySeries::new(ops[0].0));
            for &(t, expected, flags, ms) in &ops {
                if flags % 5 == 4 {
                    // An RTT sample, now and then not a number (which is not kept).
                    let ms = if flags > 250 { f64::NAN } else { ms };
                    prop_assert_eq!(plain.rtt(t, ms), packed.rtt(t, ms));
                } else {
                    let q = PacketQuality {
                        expected,
                        duplicate: flags & 8 != 0,
                        late: flags & 16 != 0,
                        jitter_ms: (flags & 32 != 0).then_some(ms),
                    };
                    prop_assert_eq!(plain.packet(t, q), packed.packet(t, q));
                }
                if flags & 64 != 0 {
                    packed.pack();
                }
                prop_assert_eq!(plain.stored_buckets(), packed.stored_buckets());
            }
            packed.pack();
            prop_assert_eq!(&plain, &packed);
            prop_assert_eq!(plain.len(), packed.len());
            prop_assert_eq!(plain.total(), packed.total());
            prop_assert_eq!(
                plain.iter_from(first).collect::<Vec<_>>(),
                packed.iter_from(first).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                serde_json::to_string(&plain).unwrap(),
                serde_json::to_string(&packed).unwrap()
            );
            let lossy = |b: &QualityBucket| b.lost() > 0;
            prop_assert_eq!(plain.spans(lossy, 100), packed.spans(lossy, 100));
        }
    }

    fn pkt(expected: u64) -> PacketQuality {
        PacketQuality {
            expected,
            duplicate: false,
            late: false,
            jitter_ms: None,
        }
    }

    #[test]
    fn coarsening_follows_the_series_rule_and_keeps_sums() {
        let mut q = QualitySeries::new(123);
        let mut s = Series::new(123);
        assert_eq!((q.start_ns, q.bucket_ns), (s.start_ns, s.bucket_ns));
        for i in 0..20_000i64 {
            let t = 123 + i * 7_000_000;
            s.add(t, 1, true);
            q.packet(
                t,
                PacketQuality {
                    expected: 1 + (i % 3 == 0) as u64,
                    duplicate: i % 5 == 0,
                    late: i % 7 == 0,
                    jitter_ms: Some((i % 100) as f64),
                },
            );
            if i % 50 == 0 {
                q.rtt(t, 10.0 + (i % 7) as f64);
            }
        }
        assert_eq!(q.bucket_ns, s.bucket_ns);
        assert_eq!(q.len(), s.len());
        let t = q.total();
        assert_eq!(t.received(), 20_000);
        assert_eq!(t.expected(), 20_000 + 6667);
        assert_eq!(t.duplicates(), 4000);
        assert_eq!(
            t.reordered(),
            2858,
            "every 7th of 20,000, kept through coarsening"
        );
        assert_eq!(t.jitter_ms(), Some(99.0));
        assert_eq!(t.jitter_max_ms(), Some(99.0));
        assert_eq!(t.rtt_samples(), 400);
        assert_eq!(t.rtt_min_ms(), Some(10.0));
        // Bucket i of one is bucket i of the other.
        let idx: Vec<usize> = q.iter().map(|(i, _)| i).collect();
        let sidx: Vec<usize> = s.iter().map(|(i, _)| i).collect();
        assert_eq!(idx, sidx);
        for ((_, a), (_, b)) in q.iter().zip(s.iter()) {
            assert_eq!(a.received(), u64::from(b.packets_fwd));
        }
    }

    #[test]
    fn merge_takes_last_jitter_max_jitter_and_min_rtt() {
        let mut a = QualityBucket::default();
        let mut q = QualitySeries::new(0);
        q.packet(
            0,
            PacketQuality {
                jitter_ms: Some(5.0),
                ..pkt(1)
            },
        );
        q.packet(
            150_000_000,
            PacketQuality {
                jitter_ms: Some(2.0),
                ..pkt(1)
            },
        );
        q.rtt(10, 30.0);
        q.rtt(150_000_000, 20.0);
        q.rtt(160_000_000, 40.0);
        q.coarsen_to(200_000_000);
        // One bucket, stored as its packet counters and its RTT samples.
        assert_eq!((q.len(), q.stored_buckets()), (1, 2));
        let b = q.dense()[0];
        assert_eq!(b.jitter_ms(), Some(2.0));
        assert_eq!(b.jitter_max_ms(), Some(5.0));
        assert_eq!(b.rtt_min_ms(), Some(20.0));
        assert_eq!(b.rtt_mean_ms(), Some(30.0));
        assert_eq!(b.rtt_max_ms(), Some(40.0));
        a.merge(&b);
        assert_eq!(a, b);
        // A later bucket without jitter keeps the earlier end value.
        let mut later = QualityBucket::default();
        later.c.expected.add(3);
        a.merge(&later);
        assert_eq!((a.jitter_ms(), a.expected(), a.lost()), (Some(2.0), 5, 3));
    }

    #[test]
    fn spans_are_runs_of_consecutive_buckets() {
        let mut q = QualitySeries::new(0);
        // Buckets 0–9, 20 ms apart: loss in buckets 2–4 and 7; bucket 5 empty.
        for k in 0..50i64 {
            let bucket = k / 5;
            if bucket == 5 {
                continue;
            }
            let lossy = matches!(bucket, 2..=4 | 7) && k % 5 == 0;
            q.packet(k * 20_000_000, pkt(if lossy { 3 } else { 1 }));
        }
        let lossy = |b: &QualityBucket| b.lost() > 0;
        let s = q.spans(lossy, 10);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!((s[0].start_ns, s[0].end_ns), (200_000_000, 500_000_000));
        assert_eq!((s[0].merged.lost(), s[0].merged.received()), (6, 15));
        assert_eq!((s[1].start_ns, s[1].end_ns), (700_000_000, 800_000_000));
        assert_eq!(s[1].merged.lost(), 2);
        assert_eq!(q.spans(lossy, 1).len(), 1);
        // Everything with packets: the empty bucket 5 splits the run.
        let all = q.spans(|b| b.received() > 0, 10);
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].end_ns, all[1].start_ns), (500_000_000, 600_000_000));
    }

    #[test]
    fn resample_puts_buckets_whole_into_bins() {
        let mut q = QualitySeries::new(0);
        for i in 0..40i64 {
            q.packet(i * 50_000_000, pkt(2));
        }
        // 20 buckets of 100 ms, 2 packets and 4 expected each, into 4 bins of 500 ms.
        let bins = q.resample(0, 2_000_000_000, 4);
        assert!(
            bins.iter().all(|b| b.received() == 10 && b.lost() == 10),
            "{bins:?}"
        );
        // Finer bins than buckets: every other bin is empty, sums unchanged.
        let fine = q.resample(0, 2_000_000_000, 40);
        assert_eq!(fine.iter().filter(|b| b.is_empty()).count(), 20);
        assert_eq!(fine.iter().map(|b| b.received()).sum::<u64>(), 40);
        // A window inside.
        let one = q.resample(1_000_000_000, 1_500_000_000, 1);
        assert_eq!(one[0].received(), 10);
        assert!(q.resample(5, 5, 3).iter().all(QualityBucket::is_empty));
    }
}
