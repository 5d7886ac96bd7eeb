//! Progress as an invariant (issue #16): every loop over input bytes consumes at least one byte
//! per step or ends. Each test feeds input crafted to stall a walk (a TLV length of 0, a length
//! smaller than the 4-byte header, maximal lengths, missing padding) and checks that it ends
//! within as many items as 4-byte headers fit in the input, then at most one error. The walks
//! also `debug_assert!` their progress, which these tests (built with debug assertions)
//! exercise.

use proptest::collection::vec;
use proptest::prelude::*;
use rtcscope_sctp::{chunks, CauseBody, Causes, ChunkBody, DcepMessage, Packet, ParamBody, Params};
use rtcscope_testkit::progress::lax_steps;

/// Walks the chunks of `bytes` and every parameter and cause list inside, each bounded by the
/// number of 4-byte headers its bytes can hold.
fn walk_chunks(bytes: &[u8]) -> usize {
    let n = lax_steps(chunks(bytes), bytes.len() / 4, "Chunks");
    for c in chunks(bytes).map_while(Result::ok) {
        let len = c.value.len();
        match c.body() {
            Ok(ChunkBody::Init(i) | ChunkBody::InitAck(i)) => walk_params(i.params, len),
            Ok(ChunkBody::Heartbeat(p) | ChunkBody::HeartbeatAck(p) | ChunkBody::ReConfig(p)) => {
                walk_params(p, len)
            }
            Ok(ChunkBody::Asconf { params, .. } | ChunkBody::AsconfAck { params, .. }) => {
                walk_params(params, len)
            }
            Ok(ChunkBody::Abort { causes, .. } | ChunkBody::Error(causes)) => {
                walk_causes(causes, len)
            }
            Ok(ChunkBody::Data(d)) => {
                let _ = DcepMessage::parse(d.user_data.bytes, d.user_data.offset);
            }
            _ => {}
        }
    }
    n
}

fn walk_params(params: Params<'_>, len: usize) {
    lax_steps(params.clone(), len / 4, "Params");
    for p in params.map_while(Result::ok) {
        let plen = p.value.len();
        match p.body() {
            Ok(ParamBody::AddressRequest { address, .. }) => walk_params(address, plen),
            Ok(ParamBody::ErrorCauseIndication { causes, .. }) => walk_causes(causes, plen),
            _ => {}
        }
    }
}

fn walk_causes(causes: Causes<'_>, len: usize) {
    lax_steps(causes.clone(), len / 4, "Causes");
    for c in causes.map_while(Result::ok) {
        if let Ok(CauseBody::UnrecognizedParameters(p)) = c.body() {
            walk_params(p, c.info.len());
        }
    }
}

/// A TLV: `t` in the first two bytes (a parameter or cause type; for a chunk, its type and
/// flags), the length field `len` (not necessarily the value's length), then `value`.
fn tlv(t: u16, len: u16, value: &[u8]) -> Vec<u8> {
    [&t.to_be_bytes()[..], &len.to_be_bytes(), value].concat()
}

/// A well-formed padded TLV around `value`.
fn padded(t: u16, value: &[u8]) -> Vec<u8> {
    let mut v = tlv(t, (4 + value.len()) as u16, value);
    v.resize(v.len().next_multiple_of(4), 0);
    v
}

const HEARTBEAT: u16 = 4 << 8;
const ABORT: u16 = 6 << 8;
const ERROR: u16 = 9 << 8;

#[test]
fn chunk_walk_ends() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("length 0", vec![0; 16]),
        ("length below the header", tlv(HEARTBEAT, 3, &[0; 12])),
        ("header-only chunks", tlv(ABORT, 4, &[]).repeat(16)),
        ("length 5, padded", tlv(ABORT, 5, &[1, 0, 0, 0]).repeat(8)),
        ("length 5, last padding missing", tlv(ABORT, 5, &[1])),
        ("maximal length", tlv(ABORT, 0xffff, &[0; 12])),
        ("short header", vec![1, 0, 0]),
    ];
    for (name, bytes) in &cases {
        eprintln!("{name}");
        walk_chunks(bytes);
    }
    assert_eq!(walk_chunks(&tlv(ABORT, 4, &[]).repeat(16)), 16);
    assert_eq!(walk_chunks(&[0; 16]), 0);
}

#[test]
fn parameter_and_cause_walks_end() {
    let lists: Vec<(&str, Vec<u8>)> = vec![
        ("length 0", vec![0; 32]),
        ("length below the header", tlv(1, 2, &[0; 8])),
        ("header-only", tlv(1, 4, &[]).repeat(8)),
        ("maximal length", tlv(1, 0xffff, &[0; 8])),
        ("length 5, last padding missing", tlv(1, 5, &[7])),
        (
            "nested: unrecognized parameters of header-only parameters",
            padded(8, &tlv(1, 4, &[]).repeat(4)),
        ),
        (
            "nested: unrecognized parameters, length 0",
            padded(8, &[0; 8]),
        ),
    ];
    for (name, list) in &lists {
        eprintln!("{name}");
        walk_chunks(&padded(HEARTBEAT, list));
        walk_chunks(&padded(ERROR, list));
        walk_chunks(&padded(ABORT, list));
    }
    // Header-only parameters and causes: one per four bytes.
    let chunk = padded(HEARTBEAT, &tlv(1, 4, &[]).repeat(8));
    let c = chunks(&chunk).next().unwrap().unwrap();
    let Ok(ChunkBody::Heartbeat(p)) = c.body() else {
        panic!()
    };
    assert_eq!(lax_steps(p, 32, "header-only parameters"), 8);
    let chunk = padded(ERROR, &padded(8, &tlv(1, 4, &[]).repeat(4)));
    let c = chunks(&chunk).next().unwrap().unwrap();
    let Ok(ChunkBody::Error(causes)) = c.body() else {
        panic!()
    };
    let cause = causes.clone().next().unwrap().unwrap();
    let Ok(CauseBody::UnrecognizedParameters(p)) = cause.body() else {
        panic!()
    };
    assert_eq!(lax_steps(p, 16, "nested parameters"), 4);
}

#[test]
fn packet_chunk_walk_ends() {
    let mut bytes = vec![0u8; 12];
    bytes.extend_from_slice(&tlv(ABORT, 4, &[]).repeat(16));
    let p = Packet::new_checked(&bytes).unwrap();
    assert_eq!(lax_steps(p.chunks(), 16, "packet chunks"), 16);
    let _ = p.check_rules();
    bytes.truncate(12);
    bytes.extend_from_slice(&[0; 16]);
    let p = Packet::new_checked(&bytes).unwrap();
    assert_eq!(lax_steps(p.chunks(), 4, "zero-length chunk"), 0);
    assert!(p.check_rules().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn chunk_walks_bounded_by_length(bytes in vec(any::<u8>(), 0..256)) {
        walk_chunks(&bytes);
    }

    #[test]
    fn tlv_lists_bounded_by_length(
        items in vec((any::<u16>(), 0u16..16, vec(any::<u8>(), 0..12)), 0..8),
    ) {
        // Lists of TLVs whose length fields are near (and often below) the header size.
        let list: Vec<u8> = items.iter().flat_map(|(t, l, v)| tlv(*t, *l, v)).collect();
        for chunk_type in [1u16 << 8, HEARTBEAT, ABORT, ERROR, 0xc1 << 8] {
            walk_chunks(&padded(chunk_type, &list));
        }
        walk_chunks(&list);
    }
}
