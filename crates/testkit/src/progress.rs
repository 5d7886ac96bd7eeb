//! Bounds on how many steps an iterator over input bytes may take, for the parser crates'
//! `tests/progress.rs` (every loop over input bytes advances or ends).

/// Runs `iter` for at most `bound + 1` steps and checks it ended within `bound` steps; returns
/// the steps taken.
pub fn steps<I: Iterator>(iter: I, bound: usize, what: &str) -> usize {
    let n = iter.take(bound + 1).count();
    assert!(n <= bound, "{what}: {n} steps, at most {bound} allowed");
    n
}

/// For a lax iterator (items until the first error, then that error, then the end): at most
/// `bound` items, then at most one error, which is the last step. Returns the items.
pub fn lax_steps<T, E, I: Iterator<Item = Result<T, E>>>(
    iter: I,
    bound: usize,
    what: &str,
) -> usize {
    let mut oks = 0;
    let mut errs = 0;
    for r in iter.take(bound + 2) {
        assert_eq!(errs, 0, "{what}: a step after the error");
        match r {
            Ok(_) => oks += 1,
            Err(_) => errs += 1,
        }
    }
    assert!(oks <= bound, "{what}: {oks} items, at most {bound} allowed");
    oks
}
