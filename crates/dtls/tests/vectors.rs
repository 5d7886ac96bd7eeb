//! Hand-made vectors for the header forms, truncation sweeps over every prefix of every record
//! in the fixtures and corpus, reassembly and property tests.

use rtcscope_testkit::capture_frames as capture;

use proptest::prelude::*;
use rtcscope_dtls::ext::{ExtensionBody, ExtensionRepr};
use rtcscope_dtls::handshake::{
    ClientHelloRepr, HandshakeFragment, HandshakeFragments, Message, MessageContext,
    ServerHelloRepr, HELLO_RETRY_REQUEST_RANDOM,
};
use rtcscope_dtls::reassembly::{Limits, Outcome, Reassembler};
use rtcscope_dtls::record::{Ack, PlaintextRecordRepr, RecordHeader, RecordOptions, Records};
use rtcscope_dtls::*;
use std::path::PathBuf;

fn datagrams() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = ["dtls12-srtp", "dtls10-srtp"]
        .iter()
        .map(|n| rtcscope_testkit::fixtures().join(format!("dtls/{n}.pcapng")))
        .collect();
    if let Some(root) = rtcscope_testkit::corpus("dtls truncation sweep (corpus part)") {
        for rel in [
            "zeek/dtls1_0.pcap",
            "zeek/dtls1_2.pcap",
            "zeek/webrtc-stun.pcap",
            "zeek/dtls13-wolfssl.pcap",
        ] {
            files.push(root.join(rel));
        }
    }
    for f in files {
        for p in capture::packets(&f) {
            if looks_like_dtls(&p.payload) {
                out.push((format!("{}#{}", f.display(), p.number), p.payload));
            }
        }
    }
    out
}

#[test]
fn every_prefix_of_every_record_fails_cleanly() {
    let mut records = 0;
    let mut messages = 0;
    for (name, d) in datagrams() {
        for rec in Records::new(&d, RecordOptions::default()) {
            let rec = rec.unwrap_or_else(|e| panic!("{name}: {e}"));
            records += 1;
            let bytes = rec.bytes();
            for cut in 0..bytes.len() {
                let r = Records::new(&bytes[..cut], RecordOptions::default()).next();
                match r {
                    None => assert_eq!(cut, 0),
                    // A unified header without L fills the datagram, so a prefix is a record.
                    Some(Ok(short)) => assert!(
                        matches!(
                            short.header(),
                            RecordHeader::Unified {
                                length_present: false,
                                ..
                            }
                        ),
                        "{name}: prefix {cut} of {} parsed",
                        bytes.len()
                    ),
                    Some(Err(e)) => {
                        assert!(e.is_truncation(), "{name}: {e}");
                        assert!(
                            e.offset <= cut,
                            "{name}: error offset {} past the cut {cut}",
                            e.offset
                        );
                    }
                }
            }
            if rec.protection() != Protection::Plaintext
                || rec.content_type() != Some(ContentType::HANDSHAKE)
            {
                continue;
            }
            for f in HandshakeFragments::new(rec.fragment(), 0).map_while(Result::ok) {
                if !f.is_complete() {
                    continue;
                }
                let ctx = MessageContext {
                    version: ProtocolVersion::DTLS1_2,
                    cipher_suite: Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
                };
                let body = f.body.bytes;
                if Message::parse(f.msg_type, body, 0, &ctx).is_err() {
                    continue; // 1.0 bodies under a 1.2 context; covered by the corpus test
                }
                messages += 1;
                for cut in 0..body.len() {
                    let short = Message::parse(f.msg_type, &body[..cut], 0, &ctx);
                    if let Ok(m) = short {
                        // The one legal short form: a hello without its extension block.
                        let ok = match m {
                            Message::ClientHello(ch) => ch.extensions.is_none(),
                            Message::ServerHello(sh) => sh.extensions.is_none(),
                            Message::Finished(_) | Message::Other(..) => true,
                            _ => false,
                        };
                        assert!(ok, "{name}: {:?} prefix {cut} parsed", f.msg_type);
                    }
                }
            }
        }
    }
    assert!(records > 50, "{records} records");
    assert!(messages > 20, "{messages} messages");
}

#[test]
fn unified_header_forms() {
    // 001CSLEE = 0x2f: C=0 S=1 L=1 epoch bits 3; then 16-bit encrypted seq, length 3, body.
    let d = [0x2f, 0xab, 0xcd, 0x00, 0x03, 1, 2, 3, 0x26, 0x77, 9, 9];
    let mut it = Records::new(&d, RecordOptions::default());
    let r = it.next().unwrap().unwrap();
    assert_eq!(r.epoch(), Epoch::LowBits(3));
    assert_eq!(
        r.sequence(),
        SequenceNumber::Encrypted {
            bits: 16,
            raw: 0xabcd
        }
    );
    assert_eq!(r.fragment(), &[1, 2, 3]);
    assert_eq!(r.content_type(), None);
    assert_eq!(r.protection(), Protection::Protected);
    assert_eq!(r.fragment_range(), 5..8);
    // 0x26: C=0 S=0 L=1 epoch 2, 8-bit seq 0x77, length 0x0909 > remaining: truncated.
    let e = it.next().unwrap().unwrap_err();
    assert!(e.is_truncation());
    assert_eq!(e.offset, 12, "the fragment starts after the 16-bit length");
    assert!(it.next().is_none());

    // C bit with a 4-byte CID; L=0: the record runs to the end of the datagram.
    let d = [0x30 | 0x01, 0xde, 0xad, 0xbe, 0xef, 0x42, 7, 7, 7];
    assert!(
        Records::new(&d, RecordOptions::default())
            .next()
            .unwrap()
            .is_err(),
        "CID length unknown"
    );
    let r = Records::new(&d, RecordOptions { cid_len: 4 })
        .next()
        .unwrap()
        .unwrap();
    let RecordHeader::Unified {
        cid: Some(cid),
        sequence,
        length_present: false,
        ..
    } = *r.header()
    else {
        panic!()
    };
    assert_eq!(cid, &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(r.cid_range(), Some(1..5));
    assert_eq!(sequence, SequenceNumber::Encrypted { bits: 8, raw: 0x42 });
    assert_eq!(r.fragment(), &[7, 7, 7]);
    assert!(looks_like_dtls(&d));
}

#[test]
fn tls12_cid_and_ack_records() {
    // tls12_cid: type 25, version 1.2, epoch 1, seq 5, CID 2 bytes, length 2.
    let d = [
        25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 5, 0xaa, 0xbb, 0, 2, 0x11, 0x22,
    ];
    let r = Records::new(&d, RecordOptions { cid_len: 2 })
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(r.content_type(), Some(ContentType::TLS12_CID));
    assert_eq!(r.epoch(), Epoch::Full(1));
    assert_eq!(r.sequence(), SequenceNumber::Clear(5));
    assert_eq!(r.cid_range(), Some(11..13));
    assert_eq!(r.fragment(), &[0x11, 0x22]);
    assert_eq!(r.protection(), Protection::Protected);
    // Without the negotiated length the CID is taken as empty and the length is misread.
    assert!(Records::new(&d, RecordOptions::default())
        .next()
        .unwrap()
        .is_err());

    // An ACK of two records in a plaintext-header record (content type 26).
    let mut ack = vec![0, 32];
    for (e, s) in [(2u64, 1u64), (3, 0)] {
        ack.extend_from_slice(&e.to_be_bytes());
        ack.extend_from_slice(&s.to_be_bytes());
    }
    let a = Ack::parse(&ack, 0).unwrap();
    let nums: Vec<_> = a.record_numbers().map(|n| (n.epoch, n.sequence)).collect();
    assert_eq!(nums, vec![(2, 1), (3, 0)]);
    assert!(Ack::parse(&ack[..20], 0).is_err());
    assert!(
        Ack::parse(&[0, 3, 1, 2, 3], 0).is_err(),
        "not a multiple of 16"
    );
}

fn hello_exts() -> Vec<ExtensionRepr> {
    vec![
        ExtensionRepr::use_srtp(
            &[
                SrtpProtectionProfile::AEAD_AES_128_GCM,
                SrtpProtectionProfile::AES128_CM_HMAC_SHA1_80,
            ],
            b"mk",
        ),
        ExtensionRepr {
            ext_type: ExtensionType::SUPPORTED_VERSIONS,
            data: vec![4, 0xfe, 0xfc, 0xfe, 0xfd],
        },
        ExtensionRepr {
            ext_type: ExtensionType::KEY_SHARE,
            data: vec![0, 6, 0, 29, 0, 2, 0xaa, 0xbb],
        },
        ExtensionRepr {
            ext_type: ExtensionType::EXTENDED_MASTER_SECRET,
            data: vec![],
        },
        ExtensionRepr {
            ext_type: ExtensionType::ALPN,
            data: vec![0, 5, 4, b'w', b'e', b'b', b'r'],
        },
        ExtensionRepr {
            ext_type: ExtensionType(0x1234),
            data: vec![1, 2],
        },
    ]
}

#[test]
fn client_hello_extensions_and_hello_retry_request() {
    let ch = ClientHelloRepr {
        client_version: ProtocolVersion::DTLS1_2,
        random: [7; 32],
        session_id: vec![],
        cookie: vec![9, 9, 9],
        cipher_suites: vec![CipherSuite::TLS_AES_128_GCM_SHA256, CipherSuite(0xeeee)],
        compression_methods: vec![0],
        extensions: Some(hello_exts()),
    };
    let mut body = Vec::new();
    ch.emit_body(&mut body);
    let Message::ClientHello(v) = Message::parse(
        HandshakeType::CLIENT_HELLO,
        &body,
        100,
        &MessageContext::default(),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(v.cookie.bytes, &[9, 9, 9]);
    assert_eq!(
        v.cookie.range(),
        100 + 2 + 32 + 1 + 1..100 + 2 + 32 + 1 + 1 + 3
    );
    assert!(v.offers_dtls13());
    let types: Vec<_> = v.extensions().map(|e| e.unwrap().ext_type).collect();
    assert_eq!(types.len(), 6);
    assert_eq!(format!("{:?}", types[5]), "0x1234");
    let Some(Ok(ExtensionBody::UseSrtp(u))) = v.extension(ExtensionType::USE_SRTP) else {
        panic!()
    };
    assert_eq!(
        u.profiles.iter().collect::<Vec<_>>(),
        vec![
            SrtpProtectionProfile::AEAD_AES_128_GCM,
            SrtpProtectionProfile::AES128_CM_HMAC_SHA1_80
        ]
    );
    assert_eq!(u.mki.bytes, b"mk");
    let Some(Ok(ExtensionBody::KeyShareClient(mut ks))) = v.extension(ExtensionType::KEY_SHARE)
    else {
        panic!()
    };
    let k = ks.next().unwrap().unwrap();
    assert_eq!((k.group, k.key_exchange.len()), (NamedGroup::X25519, 2));
    let Some(Ok(ExtensionBody::Alpn(mut names))) = v.extension(ExtensionType::ALPN) else {
        panic!()
    };
    assert_eq!(names.next().unwrap().unwrap().bytes, b"webr");
    assert_eq!(ClientHelloRepr::from_view(&v).unwrap(), ch);

    // HelloRetryRequest: the special random, key_share holds only the group.
    let hrr = ServerHelloRepr {
        server_version: ProtocolVersion::DTLS1_2,
        random: HELLO_RETRY_REQUEST_RANDOM,
        session_id: vec![],
        cipher_suite: CipherSuite::TLS_AES_128_GCM_SHA256,
        compression_method: 0,
        extensions: Some(vec![
            ExtensionRepr {
                ext_type: ExtensionType::SUPPORTED_VERSIONS,
                data: vec![0xfe, 0xfc],
            },
            ExtensionRepr {
                ext_type: ExtensionType::KEY_SHARE,
                data: vec![0, 23],
            },
            ExtensionRepr {
                ext_type: ExtensionType::COOKIE,
                data: vec![0, 2, 5, 6],
            },
        ]),
    };
    let mut body = Vec::new();
    hrr.emit_body(&mut body);
    let Message::ServerHello(sh) = Message::parse(
        HandshakeType::SERVER_HELLO,
        &body,
        0,
        &MessageContext::default(),
    )
    .unwrap() else {
        panic!()
    };
    assert!(sh.is_hello_retry_request());
    assert_eq!(sh.negotiated_version(), ProtocolVersion::DTLS1_3);
    assert!(matches!(
        sh.extension(ExtensionType::KEY_SHARE),
        Some(Ok(ExtensionBody::KeyShareRetry(NamedGroup::SECP256R1)))
    ));
    assert!(
        matches!(sh.extension(ExtensionType::COOKIE), Some(Ok(ExtensionBody::Cookie(c))) if c.bytes == [5, 6])
    );

    // The session marks it and does not take the HRR as the negotiated ServerHello.
    let mut s = DtlsSession::default();
    s.feed(
        Side::A,
        &record(HandshakeType::CLIENT_HELLO, 0, &{
            let mut b = Vec::new();
            ch.emit_body(&mut b);
            b
        }),
    );
    s.feed(Side::B, &record(HandshakeType::SERVER_HELLO, 0, &body));
    let hs = s.handshake();
    assert!(hs.hello_retry_request);
    assert_eq!(hs.version, None);
    assert_eq!(hs.offered_srtp_profiles.len(), 2);
    assert_eq!(hs.offered_key_shares, vec![NamedGroup::X25519]);
    assert_eq!(hs.srtp_profile, Seen::NotSeen);
}

fn record(t: HandshakeType, seq: u16, body: &[u8]) -> Vec<u8> {
    let mut frag = Vec::new();
    HandshakeFragment::emit(t, body.len() as u32, seq, 0, body, &mut frag);
    let mut out = Vec::new();
    PlaintextRecordRepr {
        content_type: ContentType::HANDSHAKE,
        version: ProtocolVersion::DTLS1_2,
        epoch: 0,
        sequence: seq as u64,
        fragment: frag,
    }
    .emit(&mut out)
    .unwrap();
    out
}

#[test]
fn dtls13_server_hello_hides_srtp_choice_and_certificates() {
    let ch = ClientHelloRepr {
        client_version: ProtocolVersion::DTLS1_2,
        random: [1; 32],
        session_id: vec![],
        cookie: vec![],
        cipher_suites: vec![CipherSuite::TLS_AES_128_GCM_SHA256],
        compression_methods: vec![0],
        extensions: Some(hello_exts()),
    };
    let sh = ServerHelloRepr {
        server_version: ProtocolVersion::DTLS1_2,
        random: [2; 32],
        session_id: vec![],
        cipher_suite: CipherSuite::TLS_AES_128_GCM_SHA256,
        compression_method: 0,
        extensions: Some(vec![ExtensionRepr {
            ext_type: ExtensionType::SUPPORTED_VERSIONS,
            data: vec![0xfe, 0xfc],
        }]),
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    ch.emit_body(&mut a);
    sh.emit_body(&mut b);
    let mut s = DtlsSession::default();
    s.feed(Side::A, &record(HandshakeType::CLIENT_HELLO, 0, &a));
    s.feed(Side::B, &record(HandshakeType::SERVER_HELLO, 0, &b));
    s.feed(Side::B, &[0x2c, 0x01, 0x00, 0x00, 0x02, 0xaa, 0xbb]);
    let hs = s.handshake();
    assert_eq!(hs.version, Some(ProtocolVersion::DTLS1_3));
    assert_eq!(hs.cipher_suite, Some(CipherSuite::TLS_AES_128_GCM_SHA256));
    assert_eq!(hs.srtp_profile, Seen::Encrypted);
    assert_eq!(hs.certificates_of(Side::B), &Seen::Encrypted);
    assert_eq!(hs.protected_records, 1);
    assert_eq!(hs.errors, vec![]);
}

#[test]
fn reassembly_out_of_order_overlap_retransmission_and_limits() {
    let body: Vec<u8> = (0..100u8).collect();
    let mk = |off: u32, len: usize, buf: &mut Vec<u8>| {
        buf.clear();
        HandshakeFragment::emit(
            HandshakeType::CERTIFICATE,
            100,
            3,
            off,
            &body[off as usize..off as usize + len],
            buf,
        );
    };
    let mut r = Reassembler::default();
    let mut buf = Vec::new();
    for (off, len, want) in [
        (60, 40, "pending"),
        (0, 30, "pending"),
        (10, 20, "duplicate"),
        (25, 40, "complete"),
    ] {
        mk(off, len, &mut buf);
        let f = HandshakeFragments::new(&buf, 0).next().unwrap().unwrap();
        let o = r.feed(&f).unwrap();
        match (want, o) {
            ("pending", Outcome::Pending) | ("duplicate", Outcome::Duplicate) => {}
            ("complete", Outcome::Complete(m)) => {
                assert_eq!(m.body.as_ref(), &body[..]);
                assert_eq!(m.fragments, 4);
            }
            (w, o) => panic!("{w}: {o:?}"),
        }
    }
    assert_eq!(r.buffered(), 0);
    mk(0, 10, &mut buf);
    let f = HandshakeFragments::new(&buf, 0).next().unwrap().unwrap();
    assert_eq!(
        r.feed(&f).unwrap(),
        Outcome::Retransmission { message_seq: 3 }
    );
    assert_eq!(r.stats().retransmissions, 1);

    // Limits: a 100-byte message when only 50 are allowed.
    let mut small = Reassembler::new(Limits {
        max_message_len: 50,
        ..Limits::default()
    });
    mk(0, 10, &mut buf);
    let f = HandshakeFragments::new(&buf, 0).next().unwrap().unwrap();
    assert!(small.feed(&f).is_err());
    assert_eq!(small.pending(), 0);
    // Inconsistent length for the same message_seq.
    let mut r = Reassembler::default();
    mk(0, 10, &mut buf);
    r.feed(&HandshakeFragments::new(&buf, 0).next().unwrap().unwrap())
        .unwrap();
    let mut other = Vec::new();
    HandshakeFragment::emit(
        HandshakeType::CERTIFICATE,
        90,
        3,
        10,
        &body[10..20],
        &mut other,
    );
    assert!(r
        .feed(&HandshakeFragments::new(&other, 0).next().unwrap().unwrap())
        .is_err());
    // Conflicting overlap: counted, first bytes kept.
    let mut conflicting = Vec::new();
    HandshakeFragment::emit(
        HandshakeType::CERTIFICATE,
        100,
        3,
        5,
        &[0xff; 10],
        &mut conflicting,
    );
    r.feed(
        &HandshakeFragments::new(&conflicting, 0)
            .next()
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(r.stats().conflicts, 1);
}

#[test]
fn classifier() {
    assert!(!looks_like_dtls(&[]));
    assert!(!looks_like_dtls(&[
        0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42
    ])); // STUN
    assert!(!looks_like_dtls(&[
        0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0
    ])); // RTP
    let rec = record(HandshakeType::CLIENT_HELLO, 0, &[0; 10]);
    assert!(looks_like_dtls(&rec));
    let mut tls = rec.clone();
    tls[1..3].copy_from_slice(&[3, 3]);
    assert!(!looks_like_dtls(&tls), "TLS version");
    assert!(
        !looks_like_dtls(&rec[..rec.len() - 1]),
        "length past the end"
    );
}

proptest! {
    #[test]
    fn plaintext_record_round_trip(ct in 20u8..=26, ver in any::<u16>(), epoch in any::<u16>(), seq in 0u64..(1 << 48), frag in proptest::collection::vec(any::<u8>(), 0..300)) {
        prop_assume!(ct != 25);
        let repr = PlaintextRecordRepr { content_type: ContentType(ct), version: ProtocolVersion(ver), epoch, sequence: seq, fragment: frag };
        let mut out = Vec::new();
        repr.emit(&mut out).unwrap();
        let rec = Records::new(&out, RecordOptions::default()).next().unwrap().unwrap();
        prop_assert_eq!(rec.range(), 0..out.len());
        prop_assert_eq!(PlaintextRecordRepr::from_view(&rec).unwrap(), repr);
    }

    #[test]
    fn reassembly_of_any_cover_in_any_order(len in 1usize..400, cuts in proptest::collection::vec((0usize..400, 1usize..120), 1..12), seed in any::<u64>()) {
        let body: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        // Random overlapping pieces plus a plain cover so that the message completes.
        let mut pieces: Vec<(usize, usize)> = cuts.into_iter().map(|(o, l)| { let o = o % len; (o, l.min(len - o)) }).collect();
        let mut o = 0;
        while o < len { let l = 50.min(len - o); pieces.push((o, l)); o += l; }
        let mut s = seed;
        for i in (1..pieces.len()).rev() { s = s.wrapping_mul(6364136223846793005).wrapping_add(1); pieces.swap(i, (s >> 33) as usize % (i + 1)); }
        let mut r = Reassembler::default();
        let mut done = None;
        for (off, l) in pieces {
            let mut buf = Vec::new();
            HandshakeFragment::emit(HandshakeType::CERTIFICATE, len as u32, 1, off as u32, &body[off..off + l], &mut buf);
            let f = HandshakeFragments::new(&buf, 0).next().unwrap().unwrap();
            match r.feed(&f).unwrap() {
                Outcome::Complete(m) => { prop_assert!(done.is_none()); done = Some(m.body.into_owned()); }
                Outcome::Retransmission { .. } => prop_assert!(done.is_some()),
                _ => prop_assert!(done.is_none()),
            }
        }
        prop_assert_eq!(done, Some(body));
        prop_assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        rtcscope_dtls::fuzzing::dtls(&data);
    }
}
