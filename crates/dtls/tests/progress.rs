//! Progress as an invariant (issue #16): every loop over input bytes consumes at least one byte
//! per step or ends. Each test feeds input crafted to stall a walk (zero lengths, lengths
//! smaller than a header, maximal lengths) and checks that it ends within as many items as its
//! smallest element fits in the input, then at most one error. The walks also `debug_assert!`
//! their progress, which these tests (built with debug assertions) exercise.

use proptest::collection::vec;
use proptest::prelude::*;
use rtcscope_dtls::{
    ExtensionBody, ExtensionContext, ExtensionType, Extensions, HandshakeFragments, HandshakeType,
    Limits, Message, MessageContext, Outcome, ProtocolVersion, Reassembler, RecordOptions, Records,
};
use rtcscope_testkit::progress::lax_steps;

/// A u16 length prefix and `body`.
fn v16(body: &[u8]) -> Vec<u8> {
    [&(body.len() as u16).to_be_bytes()[..], body].concat()
}

/// A u24 length prefix and `body`.
fn v24(body: &[u8]) -> Vec<u8> {
    [&(body.len() as u32).to_be_bytes()[1..], body].concat()
}

/// Walks the records of a datagram, each record's handshake fragments, and each fragment's
/// message as a Certificate and as EncryptedExtensions, all bounded.
fn walk_records(datagram: &[u8], cid_len: usize) {
    let opts = RecordOptions { cid_len };
    lax_steps(Records::new(datagram, opts), datagram.len() / 2, "Records");
    for rec in Records::new(datagram, opts).map_while(Result::ok) {
        walk_fragments(rec.fragment());
    }
}

fn walk_fragments(content: &[u8]) {
    lax_steps(
        HandshakeFragments::new(content, 0),
        content.len() / 12,
        "HandshakeFragments",
    );
    for f in HandshakeFragments::new(content, 0).map_while(Result::ok) {
        walk_certificate(f.body.bytes);
        walk_extension_list(f.body.bytes);
    }
}

/// A Certificate message body, as DTLS 1.2 (3-byte entries) and 1.3 (5-byte entries).
fn walk_certificate(body: &[u8]) {
    let v12 = MessageContext::default();
    if let Ok(Message::Certificate(c)) = Message::parse(HandshakeType::CERTIFICATE, body, 0, &v12) {
        lax_steps(c.entries(), body.len() / 3, "CertificateEntries (1.2)");
    }
    let v13 = MessageContext {
        version: ProtocolVersion::DTLS1_3,
        cipher_suite: None,
    };
    if let Ok(Message::Certificate(c)) = Message::parse(HandshakeType::CERTIFICATE, body, 0, &v13) {
        lax_steps(c.entries(), body.len() / 5, "CertificateEntries (1.3)");
        for e in c.entries().map_while(Result::ok) {
            if let Some(exts) = e.extensions {
                walk_extensions(exts, body.len());
            }
        }
    }
}

/// An EncryptedExtensions body (a u16-prefixed extension list).
fn walk_extension_list(body: &[u8]) {
    if let Ok(Message::EncryptedExtensions(exts)) = Message::parse(
        HandshakeType::ENCRYPTED_EXTENSIONS,
        body,
        0,
        &Default::default(),
    ) {
        walk_extensions(exts, body.len());
    }
}

/// An extension list and the lists inside key_share, ALPN and server_name.
fn walk_extensions(exts: Extensions<'_>, len: usize) {
    lax_steps(exts.clone(), len / 4, "Extensions");
    for e in exts.map_while(Result::ok) {
        let dlen = e.data.len();
        match e.body(ExtensionContext::ClientHello) {
            Ok(ExtensionBody::KeyShareClient(k)) => {
                lax_steps(k, dlen / 4, "KeyShares");
            }
            Ok(ExtensionBody::Alpn(p)) => {
                lax_steps(p, dlen, "ProtocolNames");
            }
            Ok(ExtensionBody::ServerName(s)) => {
                lax_steps(s, dlen / 3, "ServerNames");
            }
            _ => {}
        }
    }
}

/// An extension of type `t` with `data`.
fn ext(t: ExtensionType, data: &[u8]) -> Vec<u8> {
    [&t.0.to_be_bytes()[..], &v16(data)].concat()
}

#[test]
fn record_walk_ends() {
    let plaintext_empty = [22u8, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let cases: Vec<(&str, Vec<u8>, usize)> = vec![
        ("empty plaintext records", plaintext_empty.repeat(8), 0),
        ("empty unified records", [0x24, 0, 0, 0].repeat(16), 0),
        ("unified, no length (takes the rest)", vec![0x20; 16], 0),
        (
            "unified with CID, empty",
            [0x34, 9, 9, 0, 0, 0].repeat(8),
            2,
        ),
        (
            "maximal length",
            [22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff].to_vec(),
            0,
        ),
        ("all zero (not a content type)", vec![0; 32], 0),
        ("short header", vec![22, 0xfe], 0),
    ];
    for (name, d, cid) in &cases {
        eprintln!("{name}");
        walk_records(d, *cid);
    }
    let d = plaintext_empty.repeat(8);
    assert_eq!(
        lax_steps(Records::new(&d, RecordOptions::default()), 64, "empty"),
        8
    );
}

#[test]
fn handshake_walks_end() {
    let v13 = MessageContext {
        version: ProtocolVersion::DTLS1_3,
        cipher_suite: None,
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("zero-length fragments", vec![0; 12 * 8]),
        (
            "fragment_length maximal",
            [0, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff].to_vec(),
        ),
        (
            "fragment past the length",
            [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 7, 7].to_vec(),
        ),
        ("short header", vec![1, 0, 0]),
    ];
    for (name, content) in &cases {
        eprintln!("{name}");
        walk_fragments(content);
    }
    assert_eq!(
        lax_steps(HandshakeFragments::new(&[0; 96], 0), 96, "zero-length"),
        8
    );

    // Certificate lists: empty certificates, maximal lengths, 1.3 entries without extensions.
    let certs: Vec<(&str, Vec<u8>)> = vec![
        ("empty certificates", v24(&[0; 30])),
        (
            "maximal certificate length",
            v24(&[0xff, 0xff, 0xff, 1, 2, 3]),
        ),
        (
            "1.3: context and empty entries",
            [&[0u8][..], &v24(&[0; 30])].concat(),
        ),
    ];
    for (name, body) in &certs {
        eprintln!("{name}");
        walk_certificate(body);
    }
    let (v12_body, v13_body) = (&certs[0].1, &certs[2].1);
    let Ok(Message::Certificate(c)) = Message::parse(
        HandshakeType::CERTIFICATE,
        v12_body,
        0,
        &MessageContext::default(),
    ) else {
        panic!()
    };
    assert_eq!(lax_steps(c.entries(), 33, "empty certificates"), 10);
    let Ok(Message::Certificate(c)) = Message::parse(HandshakeType::CERTIFICATE, v13_body, 0, &v13)
    else {
        panic!()
    };
    assert_eq!(lax_steps(c.entries(), 34, "1.3 empty entries"), 6);
}

#[test]
fn extension_walks_end() {
    let lists: Vec<(&str, Vec<u8>)> = vec![
        ("empty extensions", v16(&[0; 40])),
        ("maximal extension length", v16(&[0, 1, 0xff, 0xff, 0, 0])),
        (
            "key_share with empty keys",
            v16(&ext(
                ExtensionType::KEY_SHARE,
                &v16(&[0, 29, 0, 0].repeat(8)),
            )),
        ),
        (
            "key_share with a maximal key length",
            v16(&ext(ExtensionType::KEY_SHARE, &v16(&[0, 29, 0xff, 0xff]))),
        ),
        (
            "ALPN with empty names",
            v16(&ext(ExtensionType::ALPN, &v16(&[0; 16]))),
        ),
        (
            "ALPN with a maximal name length",
            v16(&ext(ExtensionType::ALPN, &v16(&[0xff, 1]))),
        ),
        (
            "server_name with empty names",
            v16(&ext(ExtensionType::SERVER_NAME, &v16(&[0, 0, 0].repeat(8)))),
        ),
        (
            "server_name with a maximal name length",
            v16(&ext(ExtensionType::SERVER_NAME, &v16(&[0, 0xff, 0xff]))),
        ),
    ];
    for (name, body) in &lists {
        eprintln!("{name}");
        walk_extension_list(body);
    }
    let body = v16(&[0; 40]);
    let Ok(Message::EncryptedExtensions(exts)) = Message::parse(
        HandshakeType::ENCRYPTED_EXTENSIONS,
        &body,
        0,
        &Default::default(),
    ) else {
        panic!()
    };
    assert_eq!(lax_steps(exts, 42, "empty extensions"), 10);

    // The crafted lists reach the inner walks, one item per header.
    let inner = |body: &[u8]| -> usize {
        let Ok(Message::EncryptedExtensions(mut exts)) = Message::parse(
            HandshakeType::ENCRYPTED_EXTENSIONS,
            body,
            0,
            &Default::default(),
        ) else {
            panic!()
        };
        let e = exts.next().unwrap().unwrap();
        match e.body(ExtensionContext::ClientHello).unwrap() {
            ExtensionBody::KeyShareClient(k) => k.map_while(Result::ok).count(),
            ExtensionBody::Alpn(p) => p.map_while(Result::ok).count(),
            ExtensionBody::ServerName(s) => s.map_while(Result::ok).count(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(inner(&lists[2].1), 8, "key_share");
    assert_eq!(inner(&lists[4].1), 16, "ALPN");
    assert_eq!(inner(&lists[6].1), 8, "server_name");
}

/// Reassembly has no cursor of its own, but zero-length, repeated and overlapping fragments
/// must neither hang it nor grow it past its limits.
#[test]
fn reassembly_of_stalling_fragments_ends() {
    let limits = Limits::default();
    let mut r = Reassembler::new(limits);
    let frag = |seq: u16, length: u32, offset: u32, body: &[u8]| {
        let mut b = vec![1u8];
        b.extend_from_slice(&length.to_be_bytes()[1..]);
        b.extend_from_slice(&seq.to_be_bytes());
        b.extend_from_slice(&offset.to_be_bytes()[1..]);
        b.extend_from_slice(&v24(body));
        b
    };
    // Zero-length fragments of a 4-byte message: pending, then duplicates; no completion.
    let mut content = Vec::new();
    for _ in 0..8 {
        content.extend_from_slice(&frag(0, 4, 2, &[]));
    }
    // Overlapping one-byte fragments complete it.
    for off in [0u32, 0, 1, 1, 2, 3, 3] {
        content.extend_from_slice(&frag(0, 4, off, &[off as u8]));
    }
    // A zero-length message is complete at once; a retransmission after.
    content.extend_from_slice(&frag(1, 0, 0, &[]));
    content.extend_from_slice(&frag(1, 0, 0, &[]));
    let mut complete = 0;
    let n = lax_steps(
        HandshakeFragments::new(&content, 0),
        content.len() / 12,
        "fragments",
    );
    assert_eq!(n, 17);
    for f in HandshakeFragments::new(&content, 0).map_while(Result::ok) {
        if let Ok(Outcome::Complete(m)) = r.feed(&f) {
            complete += 1;
            assert_eq!(m.body.len(), f.length as usize);
        }
        assert!(r.buffered() <= limits.max_buffered);
        assert!(r.pending() <= limits.max_pending);
    }
    assert_eq!(complete, 2);
    assert_eq!(r.pending(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn record_walks_bounded_by_length(d in vec(any::<u8>(), 0..256), cid in 0usize..3) {
        walk_records(&d, cid);
    }

    #[test]
    fn plaintext_handshake_walks_bounded_by_length(content in vec(any::<u8>(), 0..256)) {
        // A valid plaintext handshake record over random content.
        let mut d = vec![22u8, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0];
        d.extend_from_slice(&v16(&content));
        walk_records(&d, 0);
        walk_fragments(&content);
        walk_certificate(&content);
        walk_extension_list(&content);
    }

    #[test]
    fn extension_lists_bounded_by_length(
        exts in vec((prop_oneof![Just(0u16), Just(16), Just(51), any::<u16>()],
                     vec(any::<u8>(), 0..24)), 0..8),
    ) {
        let list: Vec<u8> = exts
            .iter()
            .flat_map(|(t, d)| ext(ExtensionType(*t), d))
            .collect();
        walk_extension_list(&v16(&list));
    }
}
