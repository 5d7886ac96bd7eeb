//! ChannelData (RFC 8656 §12.4-12.5), stream framing and the classifier.

use rtcscope_stun::{
    check_structure, classify, frame_len, ChannelData, Frame, Kind, MessageBuilder, Method,
    StreamFrames, TransactionId,
};
use rtcscope_wire::{ErrorKind, Layer};

#[test]
fn datagram_with_and_without_padding() {
    let unpadded = [0x40, 0x00, 0x00, 0x03, 1, 2, 3];
    let c = ChannelData::parse(&unpadded).unwrap();
    assert_eq!(
        (c.channel_number(), c.length(), c.data()),
        (0x4000, 3, &[1, 2, 3][..])
    );
    assert!(c.padding().is_empty());
    assert_eq!(c.data_range(), 4..7);
    let padded = [0x4f, 0xff, 0x00, 0x03, 1, 2, 3, 0];
    let c = ChannelData::parse(&padded).unwrap();
    assert_eq!(c.padding(), &[0]);
    assert!(c.is_rfc8656_channel());
    assert_eq!(classify(&padded), Some(Kind::ChannelData));
    // More than the padding is an error.
    let e = ChannelData::parse(&[0x40, 0x00, 0x00, 0x03, 1, 2, 3, 0, 9]).unwrap_err();
    assert_eq!((e.layer, e.offset), (Layer::ChannelData, 8));
    assert_eq!(e.kind, ErrorKind::TrailingBytes { count: 1 });
    // Truncated data.
    let e = ChannelData::parse(&[0x40, 0x00, 0x00, 0x08, 1]).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::Truncated {
            needed: 8,
            available: 1
        }
    );
    // 0x7FFF is allowed by RFC 5766 but outside RFC 8656's range.
    let c = ChannelData::parse(&[0x7f, 0xff, 0x00, 0x00]).unwrap();
    assert!(!c.is_rfc8656_channel());
    // 0x8000 is not a channel.
    assert!(ChannelData::parse(&[0x80, 0x00, 0x00, 0x00]).is_err());
}

#[test]
fn stream_of_stun_and_padded_channel_data() {
    let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389([1; 12]));
    b.fingerprint();
    let stun = b.finish().unwrap();
    let mut stream = Vec::new();
    stream.extend_from_slice(&[0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0]);
    stream.extend_from_slice(&stun);
    stream.extend_from_slice(&[0x40, 0x01, 0x00, 0x04, 9, 9, 9, 9]);
    stream.extend_from_slice(&stun[..10]); // incomplete tail
    let mut frames = StreamFrames::new(&stream);
    let kinds: Vec<_> = frames
        .by_ref()
        .map(|f| match f.unwrap() {
            Frame::Stun(m) => m.as_bytes().len(),
            Frame::ChannelData(c) => c.wire_len(),
        })
        .collect();
    assert_eq!(kinds, [12, stun.len(), 8]);
    assert_eq!(frames.consumed(), 12 + stun.len() + 8);
    assert_eq!(frames.rest(), &stun[..10]);
    assert_eq!(frame_len(&stream), Some(Ok(12)));
    assert_eq!(frame_len(&stream[..3]), None);
    // Garbage in the stream is a located error.
    let mut bad = stream[..12].to_vec();
    bad.extend_from_slice(&[0xc0, 0, 0, 0]);
    let errs: Vec<_> = StreamFrames::new(&bad).filter_map(Result::err).collect();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].offset, 12);
    // Missing padding over a stream is an error too.
    let e = ChannelData::parse_prefix(&[0x40, 0x00, 0x00, 0x01, 7]).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::Truncated {
            needed: 3,
            available: 0
        }
    );
}

#[test]
fn classifier_rejects_near_misses() {
    let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389([1; 12]));
    b.fingerprint();
    let stun = b.finish().unwrap();
    assert_eq!(classify(&stun), Some(Kind::Stun));
    assert!(check_structure(&stun).is_ok());
    // Extra byte, wrong length, top bits set, DTLS and RTP first bytes.
    let mut long = stun.clone();
    long.push(0);
    assert_eq!(classify(&long), None);
    assert!(matches!(
        check_structure(&long).unwrap_err().kind,
        ErrorKind::TrailingBytes { count: 1 }
    ));
    let mut odd = stun.clone();
    odd[3] = 5;
    assert_eq!(classify(&odd), None);
    assert!(matches!(
        check_structure(&odd).unwrap_err().kind,
        ErrorKind::BadLength { .. }
    ));
    let mut top = stun.clone();
    top[0] |= 0x80;
    assert_eq!(classify(&top), None);
    assert_eq!(classify(&[0x16, 0xfe, 0xfd, 0, 0]), None);
    assert_eq!(classify(&[0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), None);
    // No cookie and not an RFC 3489 type: not classic STUN.
    let mut no_cookie = stun.clone();
    no_cookie[4] = 0;
    assert_eq!(classify(&no_cookie), Some(Kind::ClassicStun));
    no_cookie[1] = 0x03; // Allocate: not an RFC 3489 message type
    assert_eq!(classify(&no_cookie), None);
    assert_eq!(classify(&[]), None);
}
