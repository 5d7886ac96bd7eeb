//! The view's parse path allocates nothing: parse, iterate every attribute, decode every field,
//! scan, verify integrity and fingerprint, ChannelData and stream framing.

use rtcscope_stun::{
    classify, Attribute, ChannelData, Message, MessageBuilder, Method, StreamFrames, TransactionId,
};
use rtcscope_testkit::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Touches every decoded field so nothing is optimised away.
fn consume(a: &Attribute<'_>) -> usize {
    match a {
        Attribute::Username(s)
        | Attribute::Software(s)
        | Attribute::Realm(s)
        | Attribute::Nonce(s) => s.len(),
        Attribute::UnknownAttributes(l) => l.iter().count(),
        Attribute::PasswordAlgorithms(p) => p.iter().map(|(_, b)| b.len() + 1).sum(),
        Attribute::ErrorCode { code, reason } => usize::from(code.0) + reason.len(),
        other => other.address().map_or(1, |a| usize::from(a.port())),
    }
}

fn walk(bytes: &[u8], key: &[u8]) -> usize {
    let mut n = usize::from(classify(bytes).is_some());
    let msg = Message::parse(bytes).unwrap();
    n += msg.transaction_id().as_bytes().len() + usize::from(msg.method().0);
    for a in msg.attributes() {
        let a = a.unwrap();
        n += a.range().len() + consume(&a.decode().unwrap());
    }
    n += msg.scan().count;
    n += usize::from(msg.verify_integrity(key).is_ok());
    n += usize::from(msg.verify_integrity_sha256(key).is_ok());
    n += usize::from(msg.verify_fingerprint().is_ok());
    n
}

#[test]
fn parse_path_does_not_allocate() {
    // Messages built outside the measured closure.
    let tid = TransactionId::Rfc5389([1; 12]);
    let mut b = MessageBuilder::error(Method::ALLOCATE, tid);
    b.add(&Attribute::ErrorCode {
        code: rtcscope_stun::ErrorCode::UNAUTHENTICATED,
        reason: "Unauthorized".into(),
    })
    .add(&Attribute::Nonce("abcd".into()))
    .add(&Attribute::Realm("example.org".into()))
    .add(&Attribute::PasswordAlgorithms(
        rtcscope_stun::PasswordAlgorithms::from_entries(&[
            (rtcscope_stun::PasswordAlgorithm::SHA256, &[]),
            (rtcscope_stun::PasswordAlgorithm::MD5, &[]),
        ]),
    ))
    .add(&Attribute::UnknownAttributes(
        rtcscope_stun::AttributeList::from_types(&[rtcscope_stun::AttributeType(0x7777)]),
    ))
    .add(&Attribute::XorRelayedAddress(
        "[2001:db8::5]:49152".parse().unwrap(),
    ))
    .add(&Attribute::Software("x".into()))
    .message_integrity(b"key")
    .message_integrity_sha256(b"key")
    .fingerprint();
    let turn = b.finish().unwrap();
    let mut b = MessageBuilder::request(Method::BINDING, tid);
    b.add(&Attribute::Username("a:b".into()))
        .add(&Attribute::GoogNetworkInfo {
            network_id: 1,
            network_cost: 10,
        })
        .add(&Attribute::IceControlling(7))
        .add(&Attribute::UseCandidate)
        .add(&Attribute::Priority(1))
        .message_integrity(b"pw")
        .fingerprint();
    let ice = b.finish().unwrap();
    let mut stream = ice.clone();
    stream.extend_from_slice(&[0x40, 0x00, 0x00, 0x03, 1, 2, 3, 0]);
    stream.extend_from_slice(&turn);
    let chan = [0x40, 0x01, 0x00, 0x02, 0xaa, 0xbb];

    let mut total = 0;
    let count = CountingAlloc::count(|| {
        total += walk(&turn, b"key");
        total += walk(&ice, b"pw");
        let c = ChannelData::parse(&chan).unwrap();
        total += c.data().len() + usize::from(c.channel_number());
        for f in StreamFrames::new(&stream) {
            total += usize::from(f.is_ok());
        }
    });
    assert!(total > 0);
    assert_eq!(count, 0, "the view's parse path allocated {count} times");
    // The counter works: the owned representation does allocate.
    let owned = CountingAlloc::count(|| {
        rtcscope_stun::MessageRepr::from_bytes(&turn)
            .unwrap()
            .into_owned()
    });
    assert!(owned > 0);
}
