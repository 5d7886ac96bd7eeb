//! Messages whose length is not a multiple of four (an unpadded last attribute), as WhatsApp,
//! Microsoft Teams and MS-TURN send: classified as STUN, rejected by the strict parser, read
//! and flagged by the lax one.

use rtcscope_stun::{
    check_structure, classify, Attribute, Kind, Message, MessageBuilder, Method, TransactionId,
};
use rtcscope_wire::ErrorKind;

/// A Binding request with an unpadded USERNAME of `user` as its last attribute.
fn unpadded_binding(user: &str) -> Vec<u8> {
    let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389([7; 12]));
    b.add(&Attribute::Priority(0x6e00_01ff));
    let mut bytes = b.finish().unwrap();
    bytes.extend_from_slice(&[0x00, 0x06]);
    bytes.extend_from_slice(&(user.len() as u16).to_be_bytes());
    bytes.extend_from_slice(user.as_bytes());
    let len = (bytes.len() - 20) as u16;
    bytes[2..4].copy_from_slice(&len.to_be_bytes());
    bytes
}

#[test]
fn unpadded_last_attribute_is_read_and_flagged() {
    let bytes = unpadded_binding("abcd:ef");
    assert_eq!((bytes.len() - 20) % 4, 3);
    assert_eq!(classify(&bytes), Some(Kind::Stun));
    // The strict parser (round trips, differential tests) still rejects it.
    assert!(matches!(
        Message::parse(&bytes).unwrap_err().kind,
        ErrorKind::BadLength { .. }
    ));
    assert!(check_structure(&bytes).is_err());
    let msg = Message::parse_lax(&bytes).unwrap();
    assert!(msg.malformed_length());
    let warning = msg.length_warning().unwrap();
    assert_eq!(warning.offset, 2);
    let attrs: Vec<_> = msg
        .attributes()
        .map(|a| a.and_then(|a| a.decode()))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        attrs,
        vec![
            Attribute::Priority(0x6e00_01ff),
            Attribute::Username("abcd:ef".into())
        ]
    );
    let last = msg.attributes().last().unwrap().unwrap();
    assert!(last.padding().is_empty());
    assert_eq!(last.range().end, bytes.len());
    msg.check_order().unwrap();
}

#[test]
fn partial_padding_at_the_end_is_kept() {
    // USERNAME "a" (3 bytes of padding due) with one padding byte present.
    let mut bytes = unpadded_binding("a");
    bytes.push(0);
    let len = (bytes.len() - 20) as u16;
    bytes[2..4].copy_from_slice(&len.to_be_bytes());
    let msg = Message::parse_lax(&bytes).unwrap();
    assert!(msg.malformed_length());
    let last = msg.attributes().last().unwrap().unwrap();
    assert_eq!(last.padding(), &[0]);
    assert_eq!(msg.attributes().count(), 2);
}

#[test]
fn well_formed_messages_are_not_flagged() {
    let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389([7; 12]));
    b.add(&Attribute::Username("abcd:ef".into())).fingerprint();
    let bytes = b.finish().unwrap();
    let msg = Message::parse_lax(&bytes).unwrap();
    assert!(!msg.malformed_length());
    assert!(msg.length_warning().is_none());
    assert_eq!(msg, Message::parse(&bytes).unwrap());
}

#[test]
fn lenience_needs_the_cookie_and_the_exact_size() {
    let bytes = unpadded_binding("abcd:ef");
    // Classic STUN (no cookie) keeps the strict rule.
    let mut classic = bytes.clone();
    classic[4] = 0;
    assert_eq!(classify(&classic), None);
    assert!(Message::parse_lax(&classic).is_err());
    // The length must still match the datagram.
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(classify(&long), None);
    assert!(matches!(
        Message::parse_lax(&long).unwrap_err().kind,
        ErrorKind::TrailingBytes { count: 1 }
    ));
    assert!(Message::parse_lax(&bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn the_fuzz_body_holds_on_unpadded_messages_and_their_prefixes() {
    let bytes = unpadded_binding("abcd:ef");
    for n in 0..=bytes.len() {
        rtcscope_stun::fuzzing::run(&bytes[..n]);
    }
}
