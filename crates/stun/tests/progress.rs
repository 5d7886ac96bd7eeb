//! Progress as an invariant (issue #16): every loop over input bytes consumes at least one byte
//! per step or ends. Each test feeds input crafted to stall a loop (zero lengths, lengths smaller
//! than the header, maximal lengths) and checks that it ends within as many steps as there are
//! bytes. The loops also `debug_assert!` their progress, which these tests (built with debug
//! assertions) exercise.

use proptest::prelude::*;
use rtcscope_stun::{classify, Kind, Message, PasswordAlgorithms, StreamFrames, MAGIC_COOKIE};

/// Runs `iter` for at most `len + 1` steps and checks it ended within `len` steps.
fn steps<I: Iterator>(iter: I, len: usize) -> usize {
    let n = iter.take(len + 1).count();
    assert!(n <= len, "{n} steps over {len} bytes: the loop stalled");
    n
}

/// A STUN message with the magic cookie around `body` (whose length must be a multiple of 4).
fn message(typ: u16, cookie: u32, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&typ.to_be_bytes());
    m.extend_from_slice(&(body.len() as u16).to_be_bytes());
    m.extend_from_slice(&cookie.to_be_bytes());
    m.extend_from_slice(&[7; 12]);
    m.extend_from_slice(body);
    m
}

/// Attribute bodies designed to stall the attribute walk.
fn stalling_bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("zero-length attributes", [0u8, 0x80, 0, 0].repeat(16)),
        ("zero type, zero length", vec![0; 64]),
        ("maximal length", [0x80, 0x22, 0xff, 0xff].repeat(4)),
        (
            "zero length then maximal",
            [[0x80, 0x22, 0, 0], [0x80, 0x22, 0xff, 0xff]].concat(),
        ),
        (
            "length 1 (padded to 4)",
            [0, 6, 0, 1, b'a', 0, 0, 0].repeat(3),
        ),
        (
            "length 3 (padded to 4)",
            [0, 6, 0, 3, b'a', b'b', b'c', 0].repeat(3),
        ),
        ("length past the body", [0, 6, 0, 8, 1, 2, 3, 4].to_vec()),
    ]
}

#[test]
fn attribute_walk_ends() {
    for (name, body) in stalling_bodies() {
        let msg = message(0x0001, MAGIC_COOKIE, &body);
        let m = Message::parse(&msg).unwrap_or_else(|e| panic!("{name}: {e}"));
        let n = steps(m.attributes(), body.len());
        assert!(
            n <= body.len() / 4,
            "{name}: {n} attributes in {} bytes",
            body.len()
        );
        // The users of the walk end too.
        let _ = m.scan();
        let _ = m.check_order();
        let _ = m.verify_fingerprint();
    }
}

#[test]
fn classic_stun_attribute_tiling_ends() {
    // Classic STUN (no cookie) walks attribute headers in `classify`.
    for (name, body) in stalling_bodies() {
        let msg = message(0x0001, 0x0102_0304, &body);
        let kind = classify(&msg);
        assert!(
            kind.is_none() || kind == Some(Kind::ClassicStun),
            "{name}: {kind:?}"
        );
    }
    let zero = message(0x0001, 0x0102_0304, &[0; 64]);
    assert_eq!(classify(&zero), Some(Kind::ClassicStun));
}

#[test]
fn password_algorithms_end() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("zero-length parameters", [0, 1, 0, 0].repeat(16)),
        ("all zero", vec![0; 64]),
        ("maximal length", [0, 1, 0xff, 0xff].repeat(4)),
        ("length 1 (padded to 4)", [0, 2, 0, 1, 9, 0, 0, 0].repeat(4)),
        ("short tail", vec![0, 1, 0]),
    ];
    for (name, value) in cases {
        // `parse` validates the whole value with a loop of its own; `iter` walks it again.
        if let Ok(list) = PasswordAlgorithms::parse(&value, 0) {
            let n = steps(list.iter(), value.len());
            assert!(n <= value.len() / 4, "{name}: {n} entries");
        }
    }
    let zero = PasswordAlgorithms::parse(&[0, 1, 0, 0, 0, 2, 0, 0], 0).unwrap();
    assert_eq!(steps(zero.iter(), 8), 2);
}

#[test]
fn stream_framing_ends() {
    let empty_stun = message(0x0001, MAGIC_COOKIE, &[]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("zero-length STUN messages", empty_stun.repeat(8)),
        ("zero-length ChannelData", [0x40, 0, 0, 0].repeat(16)),
        (
            "ChannelData of length 1",
            [0x40, 0, 0, 1, 9, 0, 0, 0].repeat(8),
        ),
        (
            "maximal ChannelData length",
            [0x7f, 0xff, 0xff, 0xff].repeat(4),
        ),
        (
            "maximal STUN length",
            message(0x0001, MAGIC_COOKIE, &[0; 64])[..24].to_vec(),
        ),
        ("all zero", vec![0; 64]),
        ("not a frame", vec![0xff; 16]),
        ("short", vec![0x40, 0]),
    ];
    for (name, buf) in cases {
        let mut frames = StreamFrames::new(&buf);
        let n = steps(frames.by_ref(), buf.len());
        assert!(n <= buf.len() / 4, "{name}: {n} frames");
        assert!(frames.consumed() <= buf.len(), "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn attribute_walk_steps_bounded_by_length(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let body = &body[..body.len() / 4 * 4];
        let msg = message(0x0001, MAGIC_COOKIE, body);
        let m = Message::parse(&msg).unwrap();
        prop_assert!(m.attributes().take(body.len() + 1).count() <= body.len() / 4);
    }

    #[test]
    fn stream_frames_steps_bounded_by_length(buf in proptest::collection::vec(any::<u8>(), 0..256)) {
        prop_assert!(StreamFrames::new(&buf).take(buf.len() + 1).count() <= buf.len() / 4);
    }

    #[test]
    fn password_algorithms_steps_bounded_by_length(buf in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(list) = PasswordAlgorithms::parse(&buf, 0) {
            prop_assert!(list.iter().take(buf.len() + 1).count() <= buf.len() / 4);
        }
    }
}
