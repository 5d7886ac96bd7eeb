//! Property tests: arbitrary messages round-trip through the owned representation, and
//! arbitrary bytes never panic any parser.

use proptest::prelude::*;
use rtcscope_stun::{
    AddressFamily, Attribute, AttributeList, AttributeType, ChannelData, ChannelDataRepr, Class,
    ErrorCode, Message, MessageRepr, MessageType, Method, PasswordAlgorithm, PasswordAlgorithms,
    TransactionId, TransportProtocol, MAGIC_COOKIE,
};
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(a, p)| SocketAddr::new(IpAddr::from(a), p)),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(a, p)| SocketAddr::new(IpAddr::from(a), p)),
    ]
}

fn text() -> impl Strategy<Value = Cow<'static, str>> {
    "\\PC{0,24}".prop_map(Cow::Owned)
}

fn bytes(max: usize) -> impl Strategy<Value = Cow<'static, [u8]>> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Cow::Owned)
}

fn code() -> impl Strategy<Value = ErrorCode> {
    (0u8..=7, 0u8..=99).prop_map(|(c, n)| ErrorCode::from_parts(c, n).unwrap())
}

/// Types the crate does not decode, for `Attribute::Other`.
fn other_type() -> impl Strategy<Value = AttributeType> {
    any::<u16>()
        .prop_map(AttributeType)
        .prop_filter("decoded types have their own variant", |t| {
            matches!(
                Attribute::decode(*t, &[], 0, &[0; 16]),
                Ok(Attribute::Other { .. })
            )
        })
}

fn attribute() -> impl Strategy<Value = Attribute<'static>> {
    prop_oneof![
        addr().prop_map(Attribute::MappedAddress),
        addr().prop_map(Attribute::XorMappedAddress),
        addr().prop_map(Attribute::XorPeerAddress),
        addr().prop_map(Attribute::XorRelayedAddress),
        addr().prop_map(Attribute::XorMappedAddressDraft),
        addr().prop_map(Attribute::OtherAddress),
        addr().prop_map(Attribute::ResponseOrigin),
        addr().prop_map(Attribute::AlternateServer),
        addr().prop_map(Attribute::SourceAddress),
        addr().prop_map(Attribute::ChangedAddress),
        addr().prop_map(Attribute::ResponseAddress),
        addr().prop_map(Attribute::ReflectedFrom),
        text().prop_map(Attribute::Username),
        text().prop_map(Attribute::Realm),
        text().prop_map(Attribute::Nonce),
        text().prop_map(Attribute::Software),
        text().prop_map(Attribute::AlternateDomain),
        text().prop_map(Attribute::Origin),
        any::<[u8; 32]>().prop_map(Attribute::Userhash),
        any::<[u8; 20]>().prop_map(Attribute::MessageIntegrity),
        (4usize..=8)
            .prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n * 4))
            .prop_map(|v| Attribute::MessageIntegritySha256(Cow::Owned(v))),
        any::<u32>().prop_map(Attribute::Fingerprint),
        (code(), text()).prop_map(|(code, reason)| Attribute::ErrorCode { code, reason }),
        proptest::collection::vec(any::<u16>().prop_map(AttributeType), 0..6)
            .prop_map(|t| Attribute::UnknownAttributes(AttributeList::from_types(&t))),
        proptest::collection::vec(
            (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..6)),
            0..4
        )
        .prop_map(|e| {
            let entries: Vec<(PasswordAlgorithm, &[u8])> = e
                .iter()
                .map(|(a, p)| (PasswordAlgorithm(*a), &p[..]))
                .collect();
            Attribute::PasswordAlgorithms(PasswordAlgorithms::from_entries(&entries))
        }),
        (any::<u16>(), bytes(8)).prop_map(|(a, params)| Attribute::PasswordAlgorithm {
            algorithm: PasswordAlgorithm(a),
            params
        }),
        (any::<bool>(), any::<bool>()).prop_map(|(change_ip, change_port)| {
            Attribute::ChangeRequest {
                change_ip,
                change_port,
            }
        }),
        any::<u16>().prop_map(Attribute::ResponsePort),
        bytes(40).prop_map(Attribute::Padding),
        bytes(40).prop_map(Attribute::Data),
        bytes(40).prop_map(Attribute::Password),
        any::<u32>().prop_map(Attribute::CacheTimeout),
        any::<u16>().prop_map(Attribute::ChannelNumber),
        any::<u32>().prop_map(Attribute::Lifetime),
        any::<u8>().prop_map(|f| Attribute::RequestedAddressFamily(AddressFamily(f))),
        any::<u8>().prop_map(|f| Attribute::AdditionalAddressFamily(AddressFamily(f))),
        any::<bool>().prop_map(|reserve_next| Attribute::EvenPort { reserve_next }),
        any::<u8>().prop_map(|p| Attribute::RequestedTransport(TransportProtocol(p))),
        Just(Attribute::DontFragment),
        any::<[u8; 8]>().prop_map(Attribute::ReservationToken),
        (any::<u8>(), code(), text()).prop_map(|(f, code, reason)| Attribute::AddressErrorCode {
            family: AddressFamily(f),
            code,
            reason
        }),
        (any::<u8>(), any::<u8>(), any::<u32>()).prop_map(|(icmp_type, code, error_data)| {
            Attribute::Icmp {
                icmp_type,
                code,
                error_data,
            }
        }),
        any::<u32>().prop_map(Attribute::ConnectionId),
        any::<u32>().prop_map(Attribute::Priority),
        Just(Attribute::UseCandidate),
        any::<u64>().prop_map(Attribute::IceControlled),
        any::<u64>().prop_map(Attribute::IceControlling),
        (any::<u16>(), any::<u16>()).prop_map(|(network_id, network_cost)| {
            Attribute::GoogNetworkInfo {
                network_id,
                network_cost,
            }
        }),
        (other_type(), bytes(40)).prop_map(|(typ, value)| Attribute::Other { typ, value }),
    ]
}

fn transaction_id() -> impl Strategy<Value = TransactionId> {
    prop_oneof![
        any::<[u8; 12]>().prop_map(TransactionId::Rfc5389),
        any::<[u8; 16]>()
            .prop_filter("a classic ID must not start with the magic cookie", |b| {
                b[..4] != MAGIC_COOKIE.to_be_bytes()
            })
            .prop_map(TransactionId::Rfc3489),
    ]
}

fn repr() -> impl Strategy<Value = MessageRepr<'static>> {
    (
        0u16..0x1000,
        0u8..4,
        transaction_id(),
        proptest::collection::vec(attribute(), 0..10),
    )
        .prop_map(|(m, c, transaction_id, attributes)| MessageRepr {
            message_type: MessageType::new(Method(m), Class(c)),
            transaction_id,
            attributes,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn owned_repr_round_trips(r in repr()) {
        let bytes = r.emit().unwrap();
        prop_assert_eq!(bytes.len(), r.buffer_len());
        let msg = Message::parse(&bytes).unwrap();
        prop_assert_eq!(msg.attributes().count(), r.attributes.len());
        let back = MessageRepr::parse(&msg).unwrap();
        prop_assert_eq!(&back, &r);
        // Byte ranges tile the message.
        let mut end = 20;
        for a in msg.attributes() {
            let a = a.unwrap();
            prop_assert_eq!(a.range().start, end);
            end = a.range().end;
        }
        prop_assert_eq!(end, bytes.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        rtcscope_stun::fuzzing::run(&data);
    }

    #[test]
    fn stun_shaped_bytes_never_panic(
        t in 0u16..0x4000,
        body in proptest::collection::vec(any::<u8>(), 0..200),
        id in any::<[u8; 12]>(),
    ) {
        // A valid header over random attribute bytes, so the attribute walk and decoders get
        // exercised rather than the header check.
        let len = body.len() / 4 * 4;
        let mut msg = Vec::new();
        msg.extend_from_slice(&t.to_be_bytes());
        msg.extend_from_slice(&(len as u16).to_be_bytes());
        msg.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        msg.extend_from_slice(&id);
        msg.extend_from_slice(&body[..len]);
        prop_assert!(Message::parse(&msg).is_ok());
        rtcscope_stun::fuzzing::run(&msg);
    }

    #[test]
    fn channel_data_round_trips(channel in 0x4000u16..=0x7FFF, data in bytes(64), pad in any::<bool>()) {
        let r = ChannelDataRepr { channel, data };
        let wire = r.emit(pad).unwrap();
        let view = ChannelData::parse(&wire).unwrap();
        prop_assert_eq!(ChannelDataRepr::parse(&view), r.clone());
        prop_assert_eq!(view.wire_len(), wire.len());
        if pad {
            let (v, rest) = ChannelData::parse_prefix(&wire).unwrap();
            prop_assert!(rest.is_empty());
            prop_assert_eq!(v.data(), &r.data[..]);
        }
    }
}
