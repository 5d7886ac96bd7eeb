//! A counting global allocator.
#![allow(unsafe_code)] // a GlobalAlloc impl is unsafe by definition; it only forwards to System.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

/// A global allocator that counts allocations made on the current thread.
///
/// ```ignore
/// #[global_allocator]
/// static A: rtcscope_testkit::CountingAlloc = rtcscope_testkit::CountingAlloc;
/// let n = rtcscope_testkit::CountingAlloc::count(|| parse(&bytes));
/// assert_eq!(n, 0);
/// ```
pub struct CountingAlloc;

impl CountingAlloc {
    /// Runs `f` and returns how many allocations (including reallocations) it made on this
    /// thread.
    pub fn count<R>(f: impl FnOnce() -> R) -> u64 {
        let before = COUNT.with(Cell::get);
        let r = f();
        let after = COUNT.with(Cell::get);
        drop(r);
        after - before
    }
}

fn bump() {
    // try_with: the thread-local may already be gone while a thread shuts down.
    let _ = COUNT.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
