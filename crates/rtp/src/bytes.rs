//! Panic-free big-endian reads at fixed offsets, for view accessors.
//!
//! A checked view establishes its length invariants once; accessors then read at offsets the
//! invariants guarantee to be in bounds. These helpers still use `get`, so even a broken
//! invariant yields zero / an empty slice rather than a panic.

use rtcscope_wire::Field;

#[inline]
pub(crate) fn u8_at(b: &[u8], at: usize) -> u8 {
    b.get(at).copied().unwrap_or(0)
}

#[inline]
pub(crate) fn u16_at(b: &[u8], at: usize) -> u16 {
    match b.get(at..at.wrapping_add(2)) {
        Some(&[x, y]) => u16::from_be_bytes([x, y]),
        _ => 0,
    }
}

#[inline]
pub(crate) fn u24_at(b: &[u8], at: usize) -> u32 {
    match b.get(at..at.wrapping_add(3)) {
        Some(&[x, y, z]) => u32::from_be_bytes([0, x, y, z]),
        _ => 0,
    }
}

#[inline]
pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    match b.get(at..at.wrapping_add(4)) {
        Some(&[w, x, y, z]) => u32::from_be_bytes([w, x, y, z]),
        _ => 0,
    }
}

#[inline]
pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    (u64::from(u32_at(b, at)) << 32) | u64::from(u32_at(b, at.wrapping_add(4)))
}

#[inline]
pub(crate) fn slice(b: &[u8], r: Field) -> &[u8] {
    b.get(r).unwrap_or(&[])
}

#[inline]
pub(crate) fn slice_from(b: &[u8], at: usize) -> &[u8] {
    b.get(at..).unwrap_or(&[])
}

/// Shifts a range by `by`.
#[inline]
pub(crate) fn shift(r: Field, by: usize) -> Field {
    r.start + by..r.end + by
}

/// Sign-extends a 24-bit two's-complement value.
#[inline]
pub(crate) fn sign_extend_24(v: u32) -> i32 {
    ((v << 8) as i32) >> 8
}
