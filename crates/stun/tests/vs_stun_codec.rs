//! Differential test against the `stun_codec` crate: on every corpus STUN message that
//! stun_codec can decode, method, class, transaction ID, and each attribute's type and decoded
//! value must agree. Disagreements are listed in `tests/expected-failures.tsv` (suite
//! `stun-vs-stun_codec`) with who is right.
//!
//! stun_codec has no classic STUN (RFC 3489), PADDING, MESSAGE-INTEGRITY-SHA256, USERHASH,
//! PASSWORD-ALGORITHM(S), ALTERNATE-DOMAIN or RFC 6062; messages using them are skipped here
//! (counted, and covered by the RFC vectors and round trips in `vectors.rs` and `props.rs`).

mod common;

use bytecodec::DecodeExt;
use rtcscope_stun::{Attribute, AttributeType, Flavor, Message, Method};
use rtcscope_testkit::Expectations;
use stun_codec::rfc5245::attributes::*;
use stun_codec::rfc5389::attributes::*;
use stun_codec::rfc5766::attributes::*;
use stun_codec::rfc5780::attributes::*;
use stun_codec::rfc8656::attributes::{AdditionalAddressFamily, RequestedAddressFamily};
use stun_codec::{define_attribute_enums, MessageClass, MessageDecoder};

define_attribute_enums!(
    Theirs,
    TheirsDecoder,
    TheirsEncoder,
    [
        MappedAddress,
        Username,
        MessageIntegrity,
        ErrorCode,
        UnknownAttributes,
        Realm,
        Nonce,
        XorMappedAddress,
        XorMappedAddress2,
        Software,
        AlternateServer,
        Fingerprint,
        Priority,
        UseCandidate,
        IceControlled,
        IceControlling,
        ChannelNumber,
        Lifetime,
        XorPeerAddress,
        Data,
        XorRelayAddress,
        EvenPort,
        RequestedTransport,
        DontFragment,
        ReservationToken,
        ChangeRequest,
        ResponseOrigin,
        ResponsePort,
        OtherAddress,
        RequestedAddressFamily,
        AdditionalAddressFamily
    ]
);

/// Attribute types stun_codec does not implement at all (rather than keeping them raw).
const UNSUPPORTED: [AttributeType; 7] = [
    AttributeType::PADDING,
    AttributeType::MESSAGE_INTEGRITY_SHA256,
    AttributeType::USERHASH,
    AttributeType::PASSWORD_ALGORITHM,
    AttributeType::PASSWORD_ALGORITHMS,
    AttributeType::ALTERNATE_DOMAIN,
    AttributeType::CONNECTION_ID,
];

/// The same value rendered the same way on both sides.
fn theirs(a: &Theirs) -> (u16, String) {
    use stun_codec::Attribute as _;
    let t = a.get_type().as_u16();
    let v = match a {
        Theirs::MappedAddress(x) => x.address().to_string(),
        Theirs::XorMappedAddress(x) => x.address().to_string(),
        Theirs::XorMappedAddress2(x) => x.address().to_string(),
        Theirs::AlternateServer(x) => x.address().to_string(),
        Theirs::XorPeerAddress(x) => x.address().to_string(),
        Theirs::XorRelayAddress(x) => x.address().to_string(),
        Theirs::ResponseOrigin(x) => x.address().to_string(),
        Theirs::OtherAddress(x) => x.address().to_string(),
        Theirs::Username(x) => x.name().to_owned(),
        Theirs::Realm(x) => x.text().to_owned(),
        Theirs::Nonce(x) => x.value().to_owned(),
        Theirs::Software(x) => x.description().to_owned(),
        Theirs::MessageIntegrity(x) => hex::encode(x.hmac_sha1()),
        Theirs::Fingerprint(x) => format!("{:08x}", x.crc32()),
        Theirs::ErrorCode(x) => format!("{} {}", x.code(), x.reason_phrase()),
        Theirs::UnknownAttributes(x) => format!(
            "{:?}",
            x.unknowns().iter().map(|t| t.as_u16()).collect::<Vec<_>>()
        ),
        Theirs::Priority(x) => x.prio().to_string(),
        Theirs::UseCandidate(_) | Theirs::DontFragment(_) => String::new(),
        Theirs::IceControlled(x) => x.prio().to_string(),
        Theirs::IceControlling(x) => x.prio().to_string(),
        Theirs::ChannelNumber(x) => x.value().to_string(),
        Theirs::Lifetime(x) => x.lifetime().as_secs().to_string(),
        Theirs::Data(x) => hex::encode(x.data()),
        Theirs::EvenPort(x) => x.is_requested().to_string(),
        Theirs::RequestedTransport(x) => x.protocol().to_string(),
        Theirs::ReservationToken(x) => format!("{:016x}", x.token()),
        Theirs::ChangeRequest(x) => format!("ip={} port={}", x.ip(), x.port()),
        Theirs::ResponsePort(x) => x.port().to_string(),
        Theirs::RequestedAddressFamily(x) => x.address_family().to_string(),
        Theirs::AdditionalAddressFamily(x) => x.address_family().to_string(),
    };
    (t, v)
}

fn family(f: rtcscope_stun::AddressFamily) -> String {
    match f {
        rtcscope_stun::AddressFamily::IPV4 => "IPv4".into(),
        rtcscope_stun::AddressFamily::IPV6 => "IPv6".into(),
        other => format!("{other:?}"),
    }
}

fn ours(a: &Attribute<'_>) -> String {
    use Attribute as A;
    if let Some(addr) = a.address() {
        return addr.to_string();
    }
    match a {
        A::Username(s) | A::Realm(s) | A::Nonce(s) | A::Software(s) => s.to_string(),
        A::MessageIntegrity(h) => hex::encode(h),
        A::Fingerprint(v) => format!("{v:08x}"),
        A::ErrorCode { code, reason } => format!("{} {reason}", code.0),
        A::UnknownAttributes(l) => format!("{:?}", l.iter().map(|t| t.0).collect::<Vec<_>>()),
        A::Priority(v) => v.to_string(),
        A::UseCandidate | A::DontFragment => String::new(),
        A::IceControlled(v) | A::IceControlling(v) => v.to_string(),
        A::ChannelNumber(v) => v.to_string(),
        A::Lifetime(v) => v.to_string(),
        A::Data(d) => hex::encode(d),
        A::EvenPort { reserve_next } => reserve_next.to_string(),
        A::RequestedTransport(p) => p.0.to_string(),
        A::ReservationToken(t) => hex::encode(t),
        A::ChangeRequest {
            change_ip,
            change_port,
        } => format!("ip={change_ip} port={change_port}"),
        A::ResponsePort(p) => p.to_string(),
        A::RequestedAddressFamily(f) | A::AdditionalAddressFamily(f) => family(*f),
        other => format!("{other:?}"),
    }
}

fn class_of(c: MessageClass) -> u8 {
    match c {
        MessageClass::Request => 0,
        MessageClass::Indication => 1,
        MessageClass::SuccessResponse => 2,
        MessageClass::ErrorResponse => 3,
    }
}

#[derive(Default, Debug)]
struct Counts {
    compared: usize,
    attributes_compared: usize,
    skipped_classic: usize,
    skipped_unsupported: usize,
    skipped_ours_invalid: usize,
    disagreements: usize,
}

fn compare(exp: &Expectations, counts: &mut Counts, name: &str, bytes: &[u8]) {
    let Ok(msg) = Message::parse(bytes) else {
        counts.skipped_ours_invalid += 1; // a header error: the corpus test lists it
        return;
    };
    if msg.flavor() == Flavor::Rfc3489 {
        counts.skipped_classic += 1;
        return;
    }
    let raws: Vec<_> = msg.attributes().collect();
    if raws.iter().any(|a| a.is_err()) {
        counts.skipped_ours_invalid += 1;
        return;
    }
    let raws: Vec<_> = raws.into_iter().map(Result::unwrap).collect();
    if raws
        .iter()
        .any(|a| UNSUPPORTED.contains(&a.attribute_type()))
        || [
            Method::CONNECT,
            Method::CONNECTION_BIND,
            Method::CONNECTION_ATTEMPT,
        ]
        .contains(&msg.method())
    {
        counts.skipped_unsupported += 1;
        return;
    }
    let mut report = |field: &str, kind: &str, detail: String| {
        counts.disagreements += 1;
        let r = exp.failure(name, field, kind, &detail);
        eprintln!(
            "{name}: {field} {kind}: {detail} -> {}",
            r.as_deref().unwrap_or("UNEXPECTED")
        );
    };
    let decoded = MessageDecoder::<Theirs>::new().decode_from_bytes(bytes);
    let theirs_msg = match decoded {
        Ok(Ok(m)) => m,
        Ok(Err(broken)) => {
            return report("message", "they-reject", format!("{:?}", broken.error()))
        }
        Err(e) => return report("message", "they-reject", format!("{e}")),
    };
    counts.compared += 1;
    if theirs_msg.method().as_u16() != msg.method().0
        || class_of(theirs_msg.class()) != msg.class().0
    {
        return report("message type", "value", format!("{:?}", msg.message_type()));
    }
    let rtcscope_stun::TransactionId::Rfc5389(id) = msg.transaction_id() else {
        unreachable!("RFC 5389 flavor")
    };
    assert_eq!(theirs_msg.transaction_id().as_bytes(), &id, "{name}");
    // Attributes stun_codec decodes, in order; those it keeps raw, by type, in order.
    let theirs_known: Vec<(u16, String)> = theirs_msg.attributes().map(theirs).collect();
    let theirs_raw: Vec<u16> = theirs_msg
        .unknown_attributes()
        .map(|r| {
            use stun_codec::Attribute as _;
            r.get_type().as_u16()
        })
        .collect();
    let mut ours_known = Vec::new();
    let mut ours_raw = Vec::new();
    for a in &raws {
        let t = a.attribute_type().0;
        if theirs_raw.contains(&t) {
            ours_raw.push(t);
        } else {
            match a.decode() {
                Ok(d) => ours_known.push((t, ours(&d))),
                Err(e) => return report(e.field, "we-reject", e.to_string()),
            }
        }
    }
    if ours_raw != theirs_raw {
        return report(
            "attribute types",
            "value",
            format!("raw: ours {ours_raw:x?} theirs {theirs_raw:x?}"),
        );
    }
    if ours_known.len() != theirs_known.len() {
        return report(
            "attribute types",
            "value",
            format!("ours {ours_known:?} theirs {theirs_known:?}"),
        );
    }
    for ((ot, ov), (tt, tv)) in ours_known.iter().zip(&theirs_known) {
        counts.attributes_compared += 1;
        let tname = format!("{:?}", AttributeType(*ot));
        if ot != tt {
            return report(&tname, "type", format!("ours 0x{ot:04x} theirs 0x{tt:04x}"));
        }
        if ov != tv {
            report(&tname, "value", format!("ours {ov:?} theirs {tv:?}"));
        }
    }
}

/// Messages with the RFC 5780, TURN and error attributes that the corpus lacks.
fn synthetic() -> Vec<(&'static str, Vec<u8>)> {
    use rtcscope_stun::{
        AddressFamily, AttributeList, ErrorCode as Code, MessageBuilder, TransportProtocol,
    };
    let tid = rtcscope_stun::TransactionId::Rfc5389(*b"synthetic-id");
    let a4: std::net::SocketAddr = "192.0.2.1:3478".parse().unwrap();
    let a6: std::net::SocketAddr = "[2001:db8::7]:3479".parse().unwrap();
    let cases: Vec<(
        &'static str,
        Method,
        rtcscope_stun::Class,
        Vec<Attribute<'static>>,
    )> = vec![
        (
            "synthetic/rfc5780-change-request-ip",
            Method::BINDING,
            rtcscope_stun::Class::REQUEST,
            vec![Attribute::ChangeRequest {
                change_ip: true,
                change_port: false,
            }],
        ),
        (
            "synthetic/rfc5780-change-request-port",
            Method::BINDING,
            rtcscope_stun::Class::REQUEST,
            vec![
                Attribute::ChangeRequest {
                    change_ip: false,
                    change_port: true,
                },
                Attribute::ResponsePort(40000),
            ],
        ),
        (
            "synthetic/rfc5780-binding-response",
            Method::BINDING,
            rtcscope_stun::Class::SUCCESS,
            vec![
                Attribute::XorMappedAddress(a6),
                Attribute::MappedAddress(a4),
                Attribute::ResponseOrigin(a4),
                Attribute::OtherAddress(a6),
            ],
        ),
        (
            "synthetic/turn-allocate-request",
            Method::ALLOCATE,
            rtcscope_stun::Class::REQUEST,
            vec![
                Attribute::RequestedTransport(TransportProtocol::UDP),
                Attribute::EvenPort { reserve_next: true },
                Attribute::DontFragment,
                Attribute::RequestedAddressFamily(AddressFamily::IPV6),
                Attribute::AdditionalAddressFamily(AddressFamily::IPV6),
            ],
        ),
        (
            "synthetic/turn-allocate-success",
            Method::ALLOCATE,
            rtcscope_stun::Class::SUCCESS,
            vec![
                Attribute::XorRelayedAddress(a6),
                Attribute::ReservationToken(*b"token-08"),
                Attribute::Lifetime(3600),
            ],
        ),
        (
            "synthetic/error-420",
            Method::ALLOCATE,
            rtcscope_stun::Class::ERROR,
            vec![
                Attribute::ErrorCode {
                    code: Code::UNKNOWN_ATTRIBUTE,
                    reason: "Unknown Attribute".into(),
                },
                Attribute::UnknownAttributes(AttributeList::from_types(&[AttributeType(0x0031)])),
                Attribute::AlternateServer(a4),
            ],
        ),
        (
            "synthetic/channel-bind",
            Method::CHANNEL_BIND,
            rtcscope_stun::Class::REQUEST,
            vec![
                Attribute::ChannelNumber(0x4001),
                Attribute::XorPeerAddress(a4),
            ],
        ),
    ];
    cases
        .into_iter()
        .map(|(name, method, class, attrs)| {
            let mut b = MessageBuilder::new(rtcscope_stun::MessageType::new(method, class), tid);
            for a in &attrs {
                b.add(a);
            }
            // Without FINGERPRINT for CHANGE-REQUEST, so that stun_codec decodes the value
            // (with it, stun_codec re-encodes CHANGE-REQUEST differently and rejects the CRC).
            if !name.contains("change-request") {
                b.fingerprint();
            }
            (name, b.finish().unwrap())
        })
        .collect()
}

#[test]
fn agrees_with_stun_codec() {
    let Some(corpus) = rtcscope_testkit::corpus("stun vs stun_codec") else {
        return;
    };
    let exp = Expectations::load("stun-vs-stun_codec");
    let mut counts = Counts::default();
    let mut samples = common::file_samples(&corpus);
    if let Some(tshark) = rtcscope_testkit::require_tool("stun vs stun_codec (captures)", "tshark")
    {
        for pcap in common::pcaps(&corpus) {
            let frames = common::frames(&tshark, &pcap);
            samples.extend(common::pcap_samples(&corpus, &frames, &pcap));
        }
    }
    for s in &samples {
        if matches!(s.bytes.first(), Some(0x00..=0x3f)) {
            compare(&exp, &mut counts, &s.name, &s.bytes);
        }
    }
    // Attributes the corpus does not carry, in messages made by our encoder.
    for (name, bytes) in synthetic() {
        compare(&exp, &mut counts, name, &bytes);
    }
    eprintln!("{counts:?}");
    assert!(counts.compared >= 40, "{counts:?}");
    assert!(counts.skipped_classic >= 1, "{counts:?}");
    exp.finish();
}
