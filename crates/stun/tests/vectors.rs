//! Published test vectors: RFC 5769 §2.1-2.4 and RFC 8489 Appendix B.1 (with erratum 6268),
//! round trips, the builder reproducing them, and a truncation sweep.

use rtcscope_stun::integrity::{long_term_key, short_term_key, userhash};
use rtcscope_stun::{
    classify, Attribute, AttributeType, Check, Class, Credentials, ErrorCode, Flavor, Kind,
    Message, MessageBuilder, MessageRepr, Method, PasswordAlgorithm, PasswordPrep, TransactionId,
};
use rtcscope_wire::ErrorKind;
use std::net::SocketAddr;

/// RFC 5769 §2.1 "Sample Request": Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED,
/// USERNAME, MESSAGE-INTEGRITY, FINGERPRINT. Padding bytes are 0x20, as in the RFC.
const RFC5769_2_1: &[u8] = &[
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
];

/// RFC 5769 §2.2 "Sample IPv4 Response": SOFTWARE, XOR-MAPPED-ADDRESS 192.0.2.1:32853,
/// MESSAGE-INTEGRITY, FINGERPRINT.
const RFC5769_2_2: &[u8] = &[
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
];

/// RFC 5769 §2.3 "Sample IPv6 Response": XOR-MAPPED-ADDRESS
/// [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const RFC5769_2_3: &[u8] = &[
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
];

/// RFC 5769 §2.4 "Sample Request with Long-Term Authentication": USERNAME
/// "<U+30DE><U+30C8><U+30EA><U+30C3><U+30AF><U+30B9>", NONCE, REALM "example.org",
/// MESSAGE-INTEGRITY; no FINGERPRINT.
const RFC5769_2_4: &[u8] = &[
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0,
    0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83,
    0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00, 0x15, 0x00, 0x1c,
    0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34,
    0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b,
    0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14,
    0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2,
    0x8c, 0xa8, 0x96, 0x66,
];

/// RFC 8489 Appendix B.1 "Sample Request with Long-Term Authentication with
/// MESSAGE-INTEGRITY-SHA256 and USERHASH", as corrected by verified erratum 6268: message
/// length 0x90, a PASSWORD-ALGORITHM (SHA-256) attribute, and a recomputed
/// MESSAGE-INTEGRITY-SHA256.
const RFC8489_B1_ERRATUM_6268: &[u8] = &[
    0x00, 0x01, 0x00, 0x90, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0,
    0x29, 0xda, 0x41, 0x2e, 0x00, 0x1e, 0x00, 0x20, 0x4a, 0x3c, 0xf3, 0x8f, 0xef, 0x69, 0x92, 0xbd,
    0xa9, 0x52, 0xc6, 0x78, 0x04, 0x17, 0xda, 0x0f, 0x24, 0x81, 0x94, 0x15, 0x56, 0x9e, 0x60, 0xb2,
    0x05, 0xc4, 0x6e, 0x41, 0x40, 0x7f, 0x17, 0x04, 0x00, 0x15, 0x00, 0x29, 0x6f, 0x62, 0x4d, 0x61,
    0x74, 0x4a, 0x6f, 0x73, 0x32, 0x41, 0x41, 0x41, 0x43, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b,
    0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76,
    0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x1d, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x1c, 0x00, 0x20, 0xb5, 0xc7, 0xbf, 0x00, 0x5b, 0x6c, 0x52, 0xa2, 0x1c, 0x51, 0xc5, 0xe8,
    0x92, 0xf8, 0x19, 0x24, 0x13, 0x62, 0x96, 0xcb, 0x92, 0x7c, 0x43, 0x14, 0x93, 0x09, 0x27, 0x8c,
    0xc6, 0x51, 0x8e, 0x65,
];

/// RFC 8489 Appendix B.1 as published (February 2020), before erratum 6268: the length field
/// says 0x9c (the size of the whole message, header included), there is no PASSWORD-ALGORITHM,
/// and the MESSAGE-INTEGRITY-SHA256 value differs.
const RFC8489_B1_PUBLISHED: &[u8] = &[
    0x00, 0x01, 0x00, 0x9c, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0,
    0x29, 0xda, 0x41, 0x2e, 0x00, 0x1e, 0x00, 0x20, 0x4a, 0x3c, 0xf3, 0x8f, 0xef, 0x69, 0x92, 0xbd,
    0xa9, 0x52, 0xc6, 0x78, 0x04, 0x17, 0xda, 0x0f, 0x24, 0x81, 0x94, 0x15, 0x56, 0x9e, 0x60, 0xb2,
    0x05, 0xc4, 0x6e, 0x41, 0x40, 0x7f, 0x17, 0x04, 0x00, 0x15, 0x00, 0x29, 0x6f, 0x62, 0x4d, 0x61,
    0x74, 0x4a, 0x6f, 0x73, 0x32, 0x41, 0x41, 0x41, 0x43, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b,
    0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76,
    0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x1c, 0x00, 0x20, 0xe4, 0x68, 0x6c, 0x8f,
    0x0e, 0xde, 0xb5, 0x90, 0x13, 0xe0, 0x70, 0x90, 0x01, 0x0a, 0x93, 0xef, 0xcc, 0xbc, 0xcc, 0x54,
    0x4c, 0x0a, 0x45, 0xd9, 0xf8, 0x30, 0xaa, 0x6d, 0x6f, 0x73, 0x5a, 0x01,
];

const SHORT_TERM_PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const USERNAME_2_4: &str = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
const PASSWORD_2_4: &str = "The\u{00AD}M\u{00AA}tr\u{2168}";
const NONCE_2_4: &str = "f//499k954d6OL34oL9FSTvy64sA";
const NONCE_B1: &str = "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA";
const REALM: &str = "example.org";

fn all_vectors() -> [&'static [u8]; 5] {
    [
        RFC5769_2_1,
        RFC5769_2_2,
        RFC5769_2_3,
        RFC5769_2_4,
        RFC8489_B1_ERRATUM_6268,
    ]
}

fn decoded(bytes: &[u8]) -> Vec<Attribute<'_>> {
    Message::parse(bytes)
        .unwrap()
        .attributes()
        .map(|a| a.and_then(|a| a.decode()).unwrap())
        .collect()
}

fn short_key() -> Vec<u8> {
    short_term_key(SHORT_TERM_PASSWORD, PasswordPrep::OpaqueString).unwrap()
}

#[test]
fn rfc5769_2_1_sample_request() {
    let msg = Message::parse(RFC5769_2_1).unwrap();
    assert_eq!(msg.flavor(), Flavor::Rfc5389);
    assert_eq!(
        (msg.method(), msg.class()),
        (Method::BINDING, Class::REQUEST)
    );
    assert_eq!(
        msg.transaction_id(),
        TransactionId::Rfc5389([
            0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae
        ])
    );
    let attrs = decoded(RFC5769_2_1);
    assert_eq!(attrs[0], Attribute::Software("STUN test client".into()));
    assert_eq!(attrs[1], Attribute::Priority(0x6e0001ff));
    assert_eq!(attrs[2], Attribute::IceControlled(0x932ff9b151263b36));
    assert_eq!(attrs[3], Attribute::Username("evtj:h6vY".into()));
    assert!(matches!(attrs[4], Attribute::MessageIntegrity(_)));
    assert_eq!(attrs[5], Attribute::Fingerprint(0xe57a3bcf));
    // Byte ranges, as a dissection tree shows them.
    let raw: Vec<_> = msg.attributes().map(Result::unwrap).collect();
    let ranges: Vec<_> = raw.iter().map(|a| a.range()).collect();
    assert_eq!(ranges, [20..40, 40..48, 48..60, 60..76, 76..100, 100..108]);
    assert_eq!(raw[3].value_range(), 64..73);
    assert_eq!(raw[3].padding(), b"   ");
    assert_eq!(msg.verify_integrity(&short_key()), Ok(Check::Valid));
    assert_eq!(msg.verify_fingerprint(), Ok(Check::Valid));
    assert_eq!(msg.verify_integrity_sha256(&short_key()), Ok(Check::Absent));
    assert_eq!(msg.check_order(), Ok(()));
    // A wrong key is a located mismatch.
    let e = msg.verify_integrity(b"wrong").unwrap_err();
    assert_eq!((e.offset, e.field), (80, "MESSAGE-INTEGRITY"));
    assert!(matches!(e.kind, ErrorKind::Mismatch { found, .. } if found == 0x9aeaa70cbfd8cb56));
    assert_eq!(classify(RFC5769_2_1), Some(Kind::Stun));
}

#[test]
fn rfc5769_2_2_and_2_3_xor_mapped_addresses() {
    for (bytes, addr) in [
        (RFC5769_2_2, "192.0.2.1:32853"),
        (RFC5769_2_3, "[2001:db8:1234:5678:11:2233:4455:6677]:32853"),
    ] {
        let msg = Message::parse(bytes).unwrap();
        assert_eq!(
            (msg.method(), msg.class()),
            (Method::BINDING, Class::SUCCESS)
        );
        let attrs = decoded(bytes);
        assert_eq!(attrs[0], Attribute::Software("test vector".into()));
        let want: SocketAddr = addr.parse().unwrap();
        assert_eq!(attrs[1], Attribute::XorMappedAddress(want));
        assert_eq!(msg.verify_integrity(&short_key()), Ok(Check::Valid));
        assert_eq!(msg.verify_fingerprint(), Ok(Check::Valid));
    }
}

#[test]
fn rfc5769_2_4_long_term_md5() {
    let msg = Message::parse(RFC5769_2_4).unwrap();
    let attrs = decoded(RFC5769_2_4);
    assert_eq!(attrs[0], Attribute::Username(USERNAME_2_4.into()));
    assert_eq!(attrs[1], Attribute::Nonce(NONCE_2_4.into()));
    assert_eq!(attrs[2], Attribute::Realm(REALM.into()));
    let key = long_term_key(
        USERNAME_2_4,
        REALM,
        PASSWORD_2_4,
        PasswordAlgorithm::MD5,
        PasswordPrep::SaslPrep,
    )
    .unwrap()
    .unwrap();
    assert_eq!(msg.verify_integrity(&key), Ok(Check::Valid));
    assert_eq!(msg.verify_fingerprint(), Ok(Check::Absent));
    // Without SASLprep (the raw password bytes) the key is different and MI fails: the vector
    // really exercises SASLprep.
    let raw = long_term_key(
        USERNAME_2_4,
        REALM,
        PASSWORD_2_4,
        PasswordAlgorithm::MD5,
        PasswordPrep::None,
    )
    .unwrap()
    .unwrap();
    assert!(msg.verify_integrity(&raw).is_err());
}

#[test]
fn rfc5769_2_4_rebuilt_byte_for_byte() {
    // The builder with long-term credentials reproduces the vector exactly (its padding is
    // zeros, like ours).
    let creds = Credentials::long_term(
        USERNAME_2_4,
        REALM,
        NONCE_2_4,
        PASSWORD_2_4,
        None,
        PasswordPrep::SaslPrep,
    )
    .unwrap();
    let msg = Message::parse(RFC5769_2_4).unwrap();
    let mut b = MessageBuilder::request(Method::BINDING, msg.transaction_id());
    b.credentials(&creds).sign(&creds);
    assert_eq!(b.finish().unwrap(), RFC5769_2_4);
}

#[test]
fn rfc8489_b1_with_erratum_6268() {
    let msg = Message::parse(RFC8489_B1_ERRATUM_6268).unwrap();
    let attrs = decoded(RFC8489_B1_ERRATUM_6268);
    let hash = userhash(USERNAME_2_4, REALM).unwrap();
    assert_eq!(attrs[0], Attribute::Userhash(hash));
    assert_eq!(attrs[1], Attribute::Nonce(NONCE_B1.into()));
    assert_eq!(attrs[2], Attribute::Realm(REALM.into()));
    assert_eq!(
        attrs[3],
        Attribute::PasswordAlgorithm {
            algorithm: PasswordAlgorithm::SHA256,
            params: (&[][..]).into()
        }
    );
    let sha_key = long_term_key(
        USERNAME_2_4,
        REALM,
        PASSWORD_2_4,
        PasswordAlgorithm::SHA256,
        PasswordPrep::SaslPrep,
    )
    .unwrap()
    .unwrap();
    assert_eq!(sha_key.len(), 32);
    assert_eq!(msg.verify_integrity_sha256(&sha_key), Ok(Check::Valid));
    assert_eq!(msg.verify_integrity(&sha_key), Ok(Check::Absent));
    // The builder reproduces the corrected vector byte for byte.
    let creds = Credentials::long_term(
        USERNAME_2_4,
        REALM,
        NONCE_B1,
        PASSWORD_2_4,
        Some(PasswordAlgorithm::SHA256),
        PasswordPrep::SaslPrep,
    )
    .unwrap()
    .with_userhash()
    .unwrap();
    let mut b = MessageBuilder::request(Method::BINDING, msg.transaction_id());
    b.credentials(&creds).sign(&creds);
    assert_eq!(b.finish().unwrap(), RFC8489_B1_ERRATUM_6268);
}

/// The published B.1 bytes do not verify, for the three reasons erratum 6268 gives; this test
/// pins each of them down so that the corrected vector above is not taken on trust.
#[test]
fn rfc8489_b1_as_published_does_not_verify() {
    // 1. The length field 0x9c counts the 20-byte header: the message is 136 bytes after it.
    let e = Message::parse(RFC8489_B1_PUBLISHED).unwrap_err();
    assert_eq!(e.offset, 20);
    assert_eq!(
        e.kind,
        ErrorKind::Truncated {
            needed: 0x9c,
            available: 0x88
        }
    );
    // 2./3. With the length fixed to 0x88, the MESSAGE-INTEGRITY-SHA256 value verifies neither
    // with the SHA-256 key (which the message does not announce: no PASSWORD-ALGORITHM) nor with
    // the default MD5 key, under SASLprep or OpaqueString.
    let mut fixed = RFC8489_B1_PUBLISHED.to_vec();
    fixed[3] = 0x88;
    let msg = Message::parse(&fixed).unwrap();
    assert!(msg.get(AttributeType::PASSWORD_ALGORITHM).is_none());
    for alg in [PasswordAlgorithm::SHA256, PasswordAlgorithm::MD5] {
        for prep in [PasswordPrep::SaslPrep, PasswordPrep::None] {
            let key = long_term_key(USERNAME_2_4, REALM, PASSWORD_2_4, alg, prep)
                .unwrap()
                .unwrap();
            let e = msg.verify_integrity_sha256(&key).unwrap_err();
            assert!(
                matches!(e.kind, ErrorKind::Mismatch { .. }),
                "{alg:?} {prep:?}"
            );
        }
    }
}

#[test]
fn corpus_copies_of_rfc5769_match_the_inlined_bytes() {
    let Some(corpus) = rtcscope_testkit::corpus("corpus_copies_of_rfc5769_match_the_inlined_bytes")
    else {
        return;
    };
    let dir = corpus.join("rfc-vectors/rfc5769");
    for (name, bytes) in [
        ("rfc5769_2.1_sample_request.bin", RFC5769_2_1),
        ("rfc5769_2.2_sample_ipv4_response.bin", RFC5769_2_2),
        ("rfc5769_2.3_sample_ipv6_response.bin", RFC5769_2_3),
        ("rfc5769_2.4_sample_request_long_term_auth.bin", RFC5769_2_4),
    ] {
        assert_eq!(std::fs::read(dir.join(name)).unwrap(), bytes, "{name}");
    }
}

#[test]
fn round_trip_parse_owned_emit_parse() {
    for v in all_vectors() {
        let repr = MessageRepr::from_bytes(v).unwrap().into_owned();
        let bytes = repr.emit().unwrap();
        assert_eq!(bytes.len(), v.len());
        assert_eq!(MessageRepr::from_bytes(&bytes).unwrap(), repr);
        // Only padding bytes may differ (RFC 5769 pads with spaces, the encoder with zeros).
        let msg = Message::parse(v).unwrap();
        let mut zero_padded = v.to_vec();
        for a in msg.attributes() {
            let a = a.unwrap();
            let end = a.value_range().end;
            zero_padded[end..a.range().end].fill(0);
        }
        assert_eq!(bytes, zero_padded);
    }
}

#[test]
fn builder_signs_what_the_rfc_signs() {
    // RFC 5769 §2.2 rebuilt with the builder: same attributes, fresh MI and FINGERPRINT (over
    // zero padding), which verify.
    let msg = Message::parse(RFC5769_2_2).unwrap();
    let mut b = MessageBuilder::success(Method::BINDING, msg.transaction_id());
    b.add(&Attribute::Software("test vector".into()))
        .add(&Attribute::XorMappedAddress(
            "192.0.2.1:32853".parse().unwrap(),
        ))
        .message_integrity(&short_key())
        .fingerprint();
    let bytes = b.finish().unwrap();
    let built = Message::parse(&bytes).unwrap();
    assert_eq!(built.verify_integrity(&short_key()), Ok(Check::Valid));
    assert_eq!(built.verify_fingerprint(), Ok(Check::Valid));
    assert_eq!(
        bytes[..36],
        {
            let mut v = RFC5769_2_2[..36].to_vec();
            v[35] = 0; // the RFC's padding space
            v
        }[..]
    );
    assert_eq!(bytes[36..48], RFC5769_2_2[36..48]);
}

#[test]
fn attributes_after_integrity_are_flagged() {
    let tid = TransactionId::Rfc5389([9; 12]);
    let mut b = MessageBuilder::request(Method::BINDING, tid);
    b.add(&Attribute::Username("a:b".into()))
        .message_integrity(b"key")
        .add(&Attribute::Software("late".into()))
        .fingerprint();
    let bytes = b.finish().unwrap();
    let msg = Message::parse(&bytes).unwrap();
    let e = msg.check_order().unwrap_err();
    assert_eq!(e.offset, 20 + 8 + 24);
    assert_eq!(msg.scan().misplaced, Some(52));
    // MI, MI-SHA256, FINGERPRINT is the allowed order.
    let mut b = MessageBuilder::request(Method::BINDING, tid);
    b.message_integrity(b"k")
        .message_integrity_sha256(b"k")
        .fingerprint();
    let bytes = b.finish().unwrap();
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(msg.check_order(), Ok(()));
    assert_eq!(msg.verify_integrity(b"k"), Ok(Check::Valid));
    assert_eq!(msg.verify_integrity_sha256(b"k"), Ok(Check::Valid));
    assert_eq!(msg.verify_fingerprint(), Ok(Check::Valid));
    // Anything after FINGERPRINT is flagged, even another FINGERPRINT.
    let mut b = MessageBuilder::request(Method::BINDING, tid);
    b.fingerprint().fingerprint();
    let bytes = b.finish().unwrap();
    assert_eq!(Message::parse(&bytes).unwrap().scan().misplaced, Some(28));
}

#[test]
fn truncated_mi_sha256_verifies() {
    let mut b = MessageBuilder::request(Method::REFRESH, TransactionId::Rfc5389([3; 12]));
    b.add(&Attribute::Lifetime(0))
        .message_integrity_sha256_truncated(b"key", 16);
    let bytes = b.finish().unwrap();
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(msg.verify_integrity_sha256(b"key"), Ok(Check::Valid));
    assert!(msg.verify_integrity_sha256(b"kex").is_err());
}

#[test]
fn classic_rfc3489_response_with_integrity() {
    // RFC 3489 §11.1/§11.2: Binding response with MAPPED-, SOURCE-, CHANGED-ADDRESS and a
    // MESSAGE-INTEGRITY computed over the message zero-padded to 64 bytes (§11.2.8).
    let tid = TransactionId::Rfc3489(*b"0123456789abcdef");
    let mapped: SocketAddr = "198.51.100.7:4000".parse().unwrap();
    let mut b = MessageBuilder::success(Method::BINDING, tid);
    b.add(&Attribute::MappedAddress(mapped))
        .add(&Attribute::SourceAddress(
            "203.0.113.1:3478".parse().unwrap(),
        ))
        .add(&Attribute::ChangedAddress(
            "203.0.113.2:3479".parse().unwrap(),
        ))
        .message_integrity(b"shared-secret");
    let bytes = b.finish().unwrap();
    assert_eq!(classify(&bytes), Some(Kind::ClassicStun));
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(msg.flavor(), Flavor::Rfc3489);
    assert_eq!(msg.transaction_id(), tid);
    assert_eq!(msg.verify_integrity(b"shared-secret"), Ok(Check::Valid));
    assert!(msg.verify_integrity(b"other").is_err());
    let attrs = decoded(&bytes);
    assert_eq!(attrs[0], Attribute::MappedAddress(mapped));
}

#[test]
fn error_response_reason_and_unknown_attributes() {
    let tid = TransactionId::Rfc5389([5; 12]);
    let mut b = MessageBuilder::error(Method::ALLOCATE, tid);
    b.add(&Attribute::ErrorCode {
        code: ErrorCode::UNKNOWN_ATTRIBUTE,
        reason: "Unknown Attribute".into(),
    })
    .add(&Attribute::UnknownAttributes(
        rtcscope_stun::AttributeList::from_types(&[AttributeType(0x0031), AttributeType::ICMP]),
    ));
    let bytes = b.finish().unwrap();
    let attrs = decoded(&bytes);
    let Attribute::ErrorCode { code, reason } = &attrs[0] else {
        panic!("{attrs:?}")
    };
    assert_eq!((code.class(), code.number()), (4, 20));
    assert_eq!(code.name(), Some("Unknown Attribute"));
    assert_eq!(reason, "Unknown Attribute");
    let Attribute::UnknownAttributes(list) = &attrs[1] else {
        panic!()
    };
    assert_eq!(
        list.iter().collect::<Vec<_>>(),
        [AttributeType(0x0031), AttributeType::ICMP]
    );
    // Error class/number on the wire: 0x04 0x14.
    assert_eq!(bytes[24..28], [0, 0, 4, 20]);
}

#[test]
fn truncation_sweep_never_panics() {
    for v in all_vectors().into_iter().chain([RFC8489_B1_PUBLISHED]) {
        for n in 0..v.len() {
            let prefix = &v[..n];
            // A proper prefix is never a valid message: the length field says more.
            assert!(Message::parse(prefix).is_err(), "prefix {n} of {}", v.len());
            rtcscope_stun::fuzzing::run(prefix);
            // With the length patched to fit, the header is fine and the attribute walk must
            // end in a located error or cleanly, never out of bounds.
            if n >= 20 && (n - 20) % 4 == 0 {
                let mut p = prefix.to_vec();
                p[2..4].copy_from_slice(&((n - 20) as u16).to_be_bytes());
                let msg = Message::parse(&p).unwrap();
                for a in msg.attributes() {
                    match a {
                        Ok(a) => {
                            assert!(a.range().end <= n);
                            let _ = a.decode();
                        }
                        Err(e) => assert!(e.offset <= n, "{e}"),
                    }
                }
                rtcscope_stun::fuzzing::run(&p);
            }
        }
    }
}

#[test]
fn nat_and_turn_requests_build_and_parse() {
    let tid = TransactionId::Rfc5389([0x42; 12]);
    let peer: SocketAddr = "[2001:db8::1]:5000".parse().unwrap();
    let creds = Credentials::long_term("u", "r", "n", "p", None, PasswordPrep::SaslPrep).unwrap();
    let cases: Vec<(Method, Vec<Attribute<'static>>)> = vec![
        (
            Method::BINDING,
            vec![Attribute::ChangeRequest {
                change_ip: true,
                change_port: false,
            }],
        ),
        (
            Method::ALLOCATE,
            vec![
                Attribute::RequestedTransport(rtcscope_stun::TransportProtocol::UDP),
                Attribute::RequestedAddressFamily(rtcscope_stun::AddressFamily::IPV6),
                Attribute::EvenPort { reserve_next: true },
                Attribute::DontFragment,
            ],
        ),
        (
            Method::CREATE_PERMISSION,
            vec![Attribute::XorPeerAddress(peer)],
        ),
        (
            Method::CHANNEL_BIND,
            vec![
                Attribute::ChannelNumber(0x4001),
                Attribute::XorPeerAddress(peer),
            ],
        ),
        (Method::REFRESH, vec![Attribute::Lifetime(0)]),
        (Method::CONNECT, vec![Attribute::XorPeerAddress(peer)]),
        (Method::CONNECTION_BIND, vec![Attribute::ConnectionId(77)]),
    ];
    for (method, attrs) in cases {
        let mut b = MessageBuilder::request(method, tid);
        for a in &attrs {
            b.add(a);
        }
        b.credentials(&creds).sign(&creds).fingerprint();
        let bytes = b.finish().unwrap();
        let msg = Message::parse(&bytes).unwrap();
        assert_eq!(msg.method(), method);
        assert_eq!(msg.verify_integrity(creds.key()), Ok(Check::Valid));
        assert_eq!(msg.verify_fingerprint(), Ok(Check::Valid));
        assert_eq!(msg.check_order(), Ok(()));
        assert_eq!(decoded(&bytes)[..attrs.len()], attrs[..]);
    }
    // RFC 5780 Binding response.
    let mut b = MessageBuilder::success(Method::BINDING, tid);
    let mapped: SocketAddr = "198.51.100.1:1234".parse().unwrap();
    b.add(&Attribute::XorMappedAddress(mapped))
        .add(&Attribute::MappedAddress(mapped))
        .add(&Attribute::ResponseOrigin(
            "192.0.2.1:3478".parse().unwrap(),
        ))
        .add(&Attribute::OtherAddress("192.0.2.2:3479".parse().unwrap()))
        .add(&Attribute::Software("rtcscope".into()))
        .fingerprint();
    let bytes = b.finish().unwrap();
    assert_eq!(
        MessageRepr::from_bytes(&bytes).unwrap().attributes[0],
        Attribute::XorMappedAddress(mapped)
    );
}
