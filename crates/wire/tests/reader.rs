//! Property tests for the cursor: no sequence of reads can panic, offsets stay absolute, and a
//! successful read advances by exactly its width.

use proptest::prelude::*;
use rtcscope_wire::{ErrorKind, Layer, Reader};

#[derive(Debug, Clone)]
enum Op {
    U8,
    U16,
    U24,
    U32,
    U64,
    Bytes(usize),
    Sub(usize),
    SubU8,
    SubU16,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::U8),
        Just(Op::U16),
        Just(Op::U24),
        Just(Op::U32),
        Just(Op::U64),
        (0usize..40).prop_map(Op::Bytes),
        (0usize..40).prop_map(Op::Sub),
        Just(Op::SubU8),
        Just(Op::SubU16),
    ]
}

proptest! {
    #[test]
    fn reads_never_panic_and_errors_are_located(
        buf in proptest::collection::vec(any::<u8>(), 0..64),
        base in 0usize..1000,
        ops in proptest::collection::vec(op(), 0..20),
    ) {
        let mut r = Reader::with_base(&buf, base, Layer::Stun);
        for op in ops {
            let before = r.offset();
            // On success, how far the read moved the cursor.
            let res = match op {
                Op::U8 => r.u8("f").map(|_| 1),
                Op::U16 => r.u16("f").map(|_| 2),
                Op::U24 => r.u24("f").map(|_| 3),
                Op::U32 => r.u32("f").map(|_| 4),
                Op::U64 => r.u64("f").map(|_| 8),
                Op::Bytes(n) => r.bytes(n, "f").map(|_| n),
                Op::Sub(n) => r.sub(n, "f").map(|s| {
                    assert_eq!(s.offset(), before);
                    n
                }),
                Op::SubU8 => r.sub_u8("f").map(|s| {
                    assert_eq!(s.offset(), before + 1);
                    1 + s.remaining()
                }),
                Op::SubU16 => r.sub_u16("f").map(|s| {
                    assert_eq!(s.offset(), before + 2);
                    2 + s.remaining()
                }),
            };
            // Progress (issue #16): a read advances by exactly its width, and a length-prefixed
            // read by its prefix even when the length is 0. The parsers' TLV loops rely on this
            // to move forward on a zero-length element.
            if let Ok(width) = res {
                prop_assert_eq!(r.offset(), before + width);
            }
            if let Err(e) = res {
                prop_assert!(e.offset >= base && e.offset <= base + buf.len());
                prop_assert_eq!(e.layer, Layer::Stun);
                if let ErrorKind::Truncated { needed, available } = e.kind {
                    prop_assert!(needed > available);
                }
            }
            prop_assert!(r.offset() <= base + buf.len());
        }
    }
}

#[test]
fn sub_reader_cannot_overrun_its_container() {
    // An inner length of 0xff inside a 4-byte body must fail inside the body.
    let bytes = [0x00, 0x04, 0x00, 0xff, 0xaa, 0xbb, 0xcc, 0xdd];
    let mut r = Reader::new(&bytes, Layer::Rtcp);
    let mut body = r.sub_u16("body").unwrap();
    let err = body.sub_u16("inner").unwrap_err();
    assert_eq!(err.offset, 4);
    assert_eq!(
        err.kind,
        ErrorKind::Truncated {
            needed: 0xff,
            available: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "RTCP at byte 4: inner: truncated: needs 255 bytes, 2 available"
    );
    // The outer reader is positioned after the body.
    assert_eq!(r.offset(), 6);
}

#[test]
fn expect_end_reports_trailing_bytes() {
    let bytes = [1, 2, 3];
    let mut r = Reader::new(&bytes, Layer::Sctp);
    r.u8("a").unwrap();
    let e = r.expect_end("chunk").unwrap_err();
    assert_eq!(e.kind, ErrorKind::TrailingBytes { count: 2 });
    assert_eq!(e.offset, 1);
}
