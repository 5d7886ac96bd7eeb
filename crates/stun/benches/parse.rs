//! rtcscope-stun's view against stun_codec on the same inputs, doing equal work: decode the
//! header and every attribute value stun_codec decodes, and check FINGERPRINT (stun_codec
//! verifies it while decoding).
//!
//! Inputs: RFC 5769 §2.1, §2.2 and §2.4 as published, a TURN Allocate success response and a
//! Chrome-style ICE connectivity check (USERNAME, GOOG-NETWORK-INFO, ICE-CONTROLLING,
//! USE-CANDIDATE, PRIORITY, MESSAGE-INTEGRITY, FINGERPRINT), the last two made by our encoder.

use bytecodec::DecodeExt;
use criterion::{criterion_group, criterion_main, Criterion};
use rtcscope_stun::{Attribute, Message, MessageBuilder, Method, TransactionId};
use std::hint::black_box;

const RFC5769_2_1: &str = "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a3a6836765920202000080014\
9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf";
const RFC5769_2_2: &str = "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d780280004c07d4c96";
const RFC5769_2_4: &str = "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b90000001500\
1c662f2f3439396b39353464364f4c33346f4c39465354767936347341\
0014000b6578616d706c652e6f726700000800\
14f67024656dd64a3e02b8e0712e85c9a28ca89666";

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let tid = TransactionId::Rfc5389(*b"chromeICEchk");
    let mut ice = MessageBuilder::request(Method::BINDING, tid);
    ice.add(&Attribute::Username("xmOh:2V2d".into()))
        .add(&Attribute::GoogNetworkInfo {
            network_id: 1,
            network_cost: 10,
        })
        .add(&Attribute::IceControlling(0x1b5c_8d1e_4c3f_aa01))
        .add(&Attribute::UseCandidate)
        .add(&Attribute::Priority(1_853_824_767))
        .message_integrity(b"icepassword0123456789012")
        .fingerprint();
    let mut alloc =
        MessageBuilder::success(Method::ALLOCATE, TransactionId::Rfc5389(*b"allocateTURN"));
    alloc
        .add(&Attribute::XorRelayedAddress(
            "203.0.113.10:49152".parse().unwrap(),
        ))
        .add(&Attribute::XorMappedAddress(
            "198.51.100.7:53403".parse().unwrap(),
        ))
        .add(&Attribute::Lifetime(600))
        .add(&Attribute::Software("Coturn-4.5.0.3 'dan Eider'".into()))
        .message_integrity(b"0123456789abcdef")
        .fingerprint();
    vec![
        ("rfc5769-2.1", hex::decode(RFC5769_2_1).unwrap()),
        ("rfc5769-2.2", hex::decode(RFC5769_2_2).unwrap()),
        ("rfc5769-2.4", hex::decode(RFC5769_2_4).unwrap()),
        ("turn-allocate-success", alloc.finish().unwrap()),
        ("chrome-ice-check", ice.finish().unwrap()),
    ]
}

/// Our equal work: header, every attribute decoded and its value read, FINGERPRINT verified.
fn ours(bytes: &[u8]) -> usize {
    let msg = Message::parse(bytes).unwrap();
    let mut n = usize::from(msg.method().0) + msg.transaction_id().as_bytes()[0] as usize;
    for a in msg.attributes() {
        let a = a.unwrap().decode().unwrap();
        n += match &a {
            Attribute::Username(s)
            | Attribute::Software(s)
            | Attribute::Realm(s)
            | Attribute::Nonce(s) => s.len(),
            Attribute::MessageIntegrity(h) => h[0] as usize,
            Attribute::Priority(p) => *p as usize,
            Attribute::Lifetime(p) => *p as usize,
            Attribute::IceControlled(t) | Attribute::IceControlling(t) => *t as usize,
            other => other.address().map_or(1, |a| usize::from(a.port())),
        };
    }
    n + usize::from(msg.verify_fingerprint().is_ok())
}

fn theirs(bytes: &[u8]) -> usize {
    let m = stun_codec::MessageDecoder::<Attribute5389And5245>::new()
        .decode_from_bytes(bytes)
        .unwrap()
        .unwrap();
    m.attributes().count() + m.unknown_attributes().count()
}

stun_codec::define_attribute_enums!(
    Attribute5389And5245,
    Attribute5389And5245Decoder,
    Attribute5389And5245Encoder,
    [
        MappedAddress,
        Username,
        MessageIntegrity,
        ErrorCode,
        UnknownAttributes,
        Realm,
        Nonce,
        XorMappedAddress,
        Software,
        AlternateServer,
        Fingerprint,
        Priority,
        UseCandidate,
        IceControlled,
        IceControlling,
        Lifetime,
        XorRelayAddress
    ]
);
use stun_codec::rfc5245::attributes::*;
use stun_codec::rfc5389::attributes::*;
use stun_codec::rfc5766::attributes::{Lifetime, XorRelayAddress};

fn bench(c: &mut Criterion) {
    for (name, bytes) in inputs() {
        // Both parse the input, to the same number of attributes.
        let n = Message::parse(&bytes).unwrap().attributes().count();
        assert_eq!(theirs(&bytes), n, "{name}");
        let mut g = c.benchmark_group(name);
        g.bench_function("rtcscope-stun", |b| b.iter(|| ours(black_box(&bytes))));
        g.bench_function("stun_codec", |b| b.iter(|| theirs(black_box(&bytes))));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
