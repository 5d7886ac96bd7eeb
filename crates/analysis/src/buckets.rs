//! The stored buckets of a time series, live or packed.
//!
//! A series being written keeps its non-empty buckets as `(index, counters)` pairs in a vector
//! (fast to update). Once its stream or flow has gone quiet the engine packs it
//! ([`Buckets::pack`]): each bucket becomes the gap since the previous index and its counters
//! as LEB128 varints (floats as their raw bits), about a quarter of the vector's size for the
//! small counts of a 100 ms bucket. Packing is lossless, so every figure read back is the same;
//! a later packet unpacks the series first. At the end of a capture of many calls most series
//! belong to calls that ended long before, and they were the largest part of the memory.

use std::marker::PhantomData;

/// Counters that can be written into a packed series and read back unchanged.
pub(crate) trait Pack: Copy {
    /// Appends the counters to `out`.
    fn pack(&self, out: &mut Vec<u8>);
    /// Reads counters written by [`Pack::pack`] from the front of `input`, advancing it.
    fn unpack(input: &mut &[u8]) -> Option<Self>;
}

/// Appends `v` as an unsigned LEB128 varint.
pub(crate) fn put(out: &mut Vec<u8>, v: u64) {
    // `io::Write` for a `Vec` cannot fail.
    let _ = leb128::write::unsigned(out, v);
}

/// Reads an unsigned varint written by [`put`].
pub(crate) fn take(input: &mut &[u8]) -> Option<u64> {
    leb128::read::unsigned(input).ok()
}

/// Reads a varint that must fit a `u32` (one written from a `u32`).
pub(crate) fn take_u32(input: &mut &[u8]) -> Option<u32> {
    u32::try_from(take(input)?).ok()
}

/// Appends the raw bits of `v` (NaN payloads included), little-endian.
pub(crate) fn put_f32(out: &mut Vec<u8>, v: f32) {
    out.extend_from_slice(&v.to_bits().to_le_bytes());
}

/// Reads a float written by [`put_f32`].
pub(crate) fn take_f32(input: &mut &[u8]) -> Option<f32> {
    let (bits, rest) = input.split_first_chunk::<4>()?;
    *input = rest;
    Some(f32::from_bits(u32::from_le_bytes(*bits)))
}

/// Appends the raw bits of `v`, little-endian.
pub(crate) fn put_f64(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_bits().to_le_bytes());
}

/// Reads a float written by [`put_f64`].
pub(crate) fn take_f64(input: &mut &[u8]) -> Option<f64> {
    let (bits, rest) = input.split_first_chunk::<8>()?;
    *input = rest;
    Some(f64::from_bits(u64::from_le_bytes(*bits)))
}

/// Non-empty buckets in increasing index order: a vector while written, packed bytes once
/// the series went quiet.
#[derive(Clone, Debug)]
pub(crate) enum Buckets<T> {
    /// `(index, counters)` pairs.
    Live(Vec<(u32, T)>),
    /// The same pairs packed.
    Packed(Packed<T>),
}

/// Packed buckets: how many and the last one's index, then for each the gap to the previous
/// index (the index itself for the first) and the counters. All in the one allocation, so that
/// a [`Buckets`] is no larger than its vector (a series is part of every flow and stream).
#[derive(Clone, Debug)]
pub(crate) struct Packed<T> {
    bytes: Box<[u8]>,
    kind: PhantomData<T>,
}

impl<T> Default for Buckets<T> {
    fn default() -> Self {
        Buckets::Live(Vec::new())
    }
}

impl<T: Pack> Buckets<T> {
    /// Buckets held.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        match self {
            Buckets::Live(v) => v.len(),
            Buckets::Packed(p) => p.header().0 as usize,
        }
    }

    /// True when no bucket is held.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The last bucket's index.
    #[inline]
    pub(crate) fn last_index(&self) -> Option<u32> {
        match self {
            Buckets::Live(v) => v.last().map(|e| e.0),
            Buckets::Packed(p) => Some(p.header().1),
        }
    }

    /// True when packed.
    pub(crate) fn is_packed(&self) -> bool {
        matches!(self, Buckets::Packed(_))
    }

    /// The buckets as a vector to write to, unpacked first when they were packed.
    #[inline]
    pub(crate) fn live(&mut self) -> &mut Vec<(u32, T)> {
        if let Buckets::Packed(_) = self {
            self.unpack();
        }
        match self {
            Buckets::Live(v) => v,
            // Unpacked just above.
            Buckets::Packed(_) => unreachable!("buckets unpacked above"),
        }
    }

    /// Turns packed buckets back into a vector (a packet for a series packed as quiet).
    #[cold]
    #[inline(never)]
    fn unpack(&mut self) {
        if let Buckets::Packed(p) = self {
            let mut v = Vec::with_capacity(p.header().0 as usize);
            v.extend(p.iter());
            *self = Buckets::Live(v);
        }
    }

    /// Packs the buckets (an empty vector stays as it is: it holds no memory); returns the heap
    /// bytes this saved: none when packing would not save any (then nothing changes).
    pub(crate) fn pack(&mut self) -> usize {
        let Buckets::Live(v) = self else {
            return 0;
        };
        let Some(&(last, _)) = v.last() else {
            return 0;
        };
        let mut out = Vec::with_capacity(v.len() * 4);
        put(&mut out, v.len() as u64);
        put(&mut out, u64::from(last));
        let mut next = 0u32;
        for (i, b) in v.iter() {
            put(&mut out, u64::from(i - next));
            b.pack(&mut out);
            next = i + 1;
        }
        let saved = (v.capacity() * size_of::<(u32, T)>()).saturating_sub(out.len());
        if saved > 0 {
            *self = Buckets::Packed(Packed {
                bytes: out.into_boxed_slice(),
                kind: PhantomData,
            });
        }
        saved
    }

    /// Runs `f` on the buckets as a vector, and packs them again afterwards when they were
    /// packed (a coarsening of a quiet series keeps it packed).
    pub(crate) fn rewrite(&mut self, f: impl FnOnce(&mut Vec<(u32, T)>)) {
        let packed = self.is_packed();
        f(self.live());
        if packed {
            self.pack();
        }
    }

    /// The buckets from index `first` on, in index order.
    pub(crate) fn iter_from(&self, first: u32) -> Iter<'_, T> {
        match self {
            Buckets::Live(v) => Iter::Live(v[v.partition_point(|(i, _)| *i < first)..].iter()),
            Buckets::Packed(p) => {
                let mut it = p.iter();
                if p.header().1 < first {
                    // Nothing from there on (a live view asking a quiet series for its last
                    // seconds): no need to read through it.
                    it.left = 0;
                }
                while it.left > 0 && it.peek_index().is_some_and(|i| i < first) {
                    it.next();
                }
                Iter::Packed(it)
            }
        }
    }

    /// Heap bytes held.
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Buckets::Live(v) => v.capacity() * size_of::<(u32, T)>(),
            Buckets::Packed(p) => p.bytes.len(),
        }
    }
}

impl<T: Pack> Packed<T> {
    /// Buckets held and the last one's index (as `pack` wrote them: they read back).
    fn header(&self) -> (u32, u32) {
        let (len, last, _) = self.split();
        (len, last)
    }

    /// The header's two numbers and the bytes of the buckets after it.
    fn split(&self) -> (u32, u32, &[u8]) {
        let mut rest = &self.bytes[..];
        let len = take_u32(&mut rest).unwrap_or(0);
        let last = take_u32(&mut rest).unwrap_or(0);
        (len, last, rest)
    }

    fn iter(&self) -> Unpacking<'_, T> {
        let (left, _, rest) = self.split();
        Unpacking {
            rest,
            next: 0,
            left,
            kind: PhantomData,
        }
    }
}

/// Reads packed buckets in order.
pub(crate) struct Unpacking<'a, T> {
    rest: &'a [u8],
    /// The index the next gap counts from.
    next: u32,
    left: u32,
    kind: PhantomData<T>,
}

impl<T: Pack> Unpacking<'_, T> {
    fn peek_index(&self) -> Option<u32> {
        let mut rest = self.rest;
        self.next.checked_add(take_u32(&mut rest)?)
    }
}

impl<T: Pack> Iterator for Unpacking<'_, T> {
    type Item = (u32, T);

    fn next(&mut self) -> Option<(u32, T)> {
        if self.left == 0 {
            return None;
        }
        // What `pack` wrote reads back; were it ever not to, the iteration ends there.
        let read = (|| {
            let i = self.next.checked_add(take_u32(&mut self.rest)?)?;
            Some((i, T::unpack(&mut self.rest)?))
        })();
        match read {
            Some((i, b)) => {
                self.left -= 1;
                self.next = i.saturating_add(1);
                Some((i, b))
            }
            None => {
                self.left = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left as usize))
    }
}

/// The buckets of a [`Buckets`], live or packed, in index order.
pub(crate) enum Iter<'a, T> {
    /// From the vector.
    Live(std::slice::Iter<'a, (u32, T)>),
    /// From the packed bytes.
    Packed(Unpacking<'a, T>),
}

impl<T: Pack> Iterator for Iter<'_, T> {
    type Item = (u32, T);

    fn next(&mut self) -> Option<(u32, T)> {
        match self {
            Iter::Live(it) => it.next().copied(),
            Iter::Packed(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Live(it) => it.size_hint(),
            Iter::Packed(it) => it.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Sample {
        n: u64,
        f: f32,
        g: f64,
    }

    impl Pack for Sample {
        fn pack(&self, out: &mut Vec<u8>) {
            put(out, self.n);
            put_f32(out, self.f);
            put_f64(out, self.g);
        }
        fn unpack(input: &mut &[u8]) -> Option<Self> {
            Some(Sample {
                n: take(input)?,
                f: take_f32(input)?,
                g: take_f64(input)?,
            })
        }
    }

    fn buckets(pairs: &[(u32, u64, u32, u64)]) -> Vec<(u32, Sample)> {
        let mut v: Vec<(u32, Sample)> = pairs
            .iter()
            .map(|&(i, n, f, g)| {
                let s = Sample {
                    n,
                    f: f32::from_bits(f),
                    g: f64::from_bits(g),
                };
                (i, s)
            })
            .collect();
        v.sort_by_key(|e| e.0);
        v.dedup_by_key(|e| e.0);
        v
    }

    fn same(a: &[(u32, Sample)], b: &[(u32, Sample)]) -> bool {
        let bits = |s: &Sample| (s.n, s.f.to_bits(), s.g.to_bits());
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.0 == y.0 && bits(&x.1) == bits(&y.1))
    }

    proptest! {
        /// Whatever the indices, counts and float bits (NaNs, infinities, u32::MAX indices),
        /// packing reads back the same buckets, from every starting index, and unpacks to
        /// the same vector.
        #[test]
        fn packing_round_trips(pairs in proptest::collection::vec(
            (any::<u32>(), any::<u64>(), any::<u32>(), any::<u64>()), 0..64),
            first in any::<u32>())
        {
            let v = buckets(&pairs);
            let mut b = Buckets::Live(v.clone());
            b.pack();
            prop_assert_eq!(b.len(), v.len());
            prop_assert_eq!(b.last_index(), v.last().map(|e| e.0));
            let all: Vec<_> = b.iter_from(0).collect();
            prop_assert!(same(&all, &v));
            let from: Vec<_> = b.iter_from(first).collect();
            let want: Vec<_> = v.iter().copied().filter(|e| e.0 >= first).collect();
            prop_assert!(same(&from, &want));
            let back = b.live().clone();
            prop_assert!(same(&back, &v));
        }
    }

    #[test]
    fn small_counts_pack_to_a_fraction() {
        let v: Vec<(u32, Sample)> = (0..300)
            .map(|i| {
                (
                    i,
                    Sample {
                        n: 40 + u64::from(i % 7),
                        f: 1.5,
                        g: 0.0,
                    },
                )
            })
            .collect();
        let mut b = Buckets::Live(v);
        let before = b.heap_bytes();
        assert!(b.pack() > 0);
        assert!(b.is_packed());
        // Gap and count one byte each, 12 bytes of floats: 14 of the 32 a live entry takes
        // (and a header of 4: the count, 300, and the last index, 299, two bytes each).
        assert_eq!(b.heap_bytes(), 4 + 300 * 14);
        assert!(b.heap_bytes() * 2 < before);
        // Writing unpacks; rewriting a packed series leaves it packed.
        b.rewrite(|v| v.truncate(10));
        assert!(b.is_packed());
        assert_eq!(b.len(), 10);
        b.live().push((
            400,
            Sample {
                n: 1,
                f: 0.0,
                g: 0.0,
            },
        ));
        assert!(!b.is_packed());
        assert_eq!(b.last_index(), Some(400));
    }

    #[test]
    fn a_packed_store_is_no_larger_than_a_vector() {
        assert_eq!(
            size_of::<Buckets<Sample>>(),
            size_of::<Vec<(u32, Sample)>>()
        );
    }

    #[test]
    fn an_empty_or_tiny_series_stays_live() {
        let mut b: Buckets<Sample> = Buckets::default();
        assert_eq!(b.pack(), 0);
        assert!(!b.is_packed());
        assert_eq!(b.iter_from(0).count(), 0);
    }
}
