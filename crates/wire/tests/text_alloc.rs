//! `rtcscope_wire::text` allocates nothing when nothing needs escaping, and `Escaped` writes
//! escaped text straight into its destination.

use rtcscope_testkit::CountingAlloc;
use rtcscope_wire::text::{escape, escape_bytes, Escaped, EscapedBytes};
use std::borrow::Cow;
use std::fmt::Write as _;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn clean_text_is_borrowed_and_written_without_allocating() {
    let clean = "coturn-4.6.2 realm=example.org Grüße 世界";
    let mut out = String::with_capacity(1024);
    let n = CountingAlloc::count(|| {
        assert!(matches!(escape(clean), Cow::Borrowed(_)));
        assert!(matches!(escape_bytes(clean.as_bytes()), Cow::Borrowed(_)));
        write!(
            out,
            "{} {:<60}|",
            Escaped(clean),
            EscapedBytes(clean.as_bytes())
        )
        .unwrap();
    });
    assert_eq!(n, 0, "allocations for text with nothing to escape");
    assert!(out.starts_with(clean));
}

#[test]
fn escaping_writes_through_without_a_temporary_string() {
    let hostile = "ok\x1b]0;title\x07\r\nok  fake\u{202e}";
    let mut out = String::with_capacity(1024);
    let n = CountingAlloc::count(|| {
        write!(out, "{}", Escaped(hostile)).unwrap();
        write!(out, "{}", EscapedBytes(b"\xff\x1b")).unwrap();
    });
    assert_eq!(n, 0, "allocations while escaping into a string with room");
    assert_eq!(out, r"ok\x1b]0;title\x07\r\nok  fake\u{202e}\xff\x1b");
}
