//! Corpus conformance (suite `dtls-corpus`): every record of every DTLS capture and
//! per-record file in the shared corpus parses, or is listed in tests/expected-failures.tsv.

use rtcscope_testkit::capture_frames as capture;

use rtcscope_dtls::handshake::{HandshakeFragments, Message, MessageContext};
use rtcscope_dtls::record::{Ack, Alert, InnerPlaintext, RecordOptions, Records};
use rtcscope_dtls::{
    looks_like_dtls, CipherSuite, ContentType, DtlsSession, ProtocolVersion, Seen, Side,
    SrtpProtectionProfile,
};
use rtcscope_testkit::{corpus, Expectations};
use rtcscope_wire::{Error, ErrorKind};
use std::collections::BTreeMap;
use std::path::Path;

fn kind(e: &Error) -> &'static str {
    match e.kind {
        ErrorKind::Truncated { .. } => "truncated",
        ErrorKind::BadValue { .. } => "bad-value",
        ErrorKind::BadLength { .. } => "bad-length",
        ErrorKind::TrailingBytes { .. } => "trailing-bytes",
        ErrorKind::Mismatch { .. } => "mismatch",
        _ => "other",
    }
}

/// Runs every DTLS datagram of a capture through per-flow sessions; returns the sessions by
/// flow and the number of records.
fn run_capture(
    root: &Path,
    rel: &str,
    exp: &Expectations,
) -> (BTreeMap<(String, String), DtlsSession>, u64) {
    let mut flows: BTreeMap<(String, String), DtlsSession> = BTreeMap::new();
    let mut records = 0;
    for p in capture::packets(&root.join(rel)) {
        if p.proto != 17 || !looks_like_dtls(&p.payload) {
            continue;
        }
        let a = format!("{}:{}", p.src.0, p.src.1);
        let b = format!("{}:{}", p.dst.0, p.dst.1);
        let (key, side) = if a < b {
            ((a, b), Side::A)
        } else {
            ((b, a), Side::B)
        };
        let s = flows.entry(key).or_default();
        let before = s.handshake().error_count;
        records += s.feed(side, &p.payload) as u64;
        let hs = s.handshake();
        for e in hs.errors.iter().skip(before as usize) {
            exp.failure(
                &format!("{rel}#{}", p.number),
                e.field,
                kind(e),
                &e.to_string(),
            );
        }
    }
    (flows, records)
}

fn only_session(flows: &BTreeMap<(String, String), DtlsSession>) -> &DtlsSession {
    assert_eq!(flows.len(), 1, "one DTLS flow expected");
    flows.values().next().unwrap()
}

#[test]
fn dtls_corpus() {
    let Some(root) = corpus("dtls_corpus") else {
        return;
    };
    let exp = Expectations::load("dtls-corpus");

    // DTLS 1.0 with use_srtp, as a browser spoke it, and a client certificate.
    let (flows, n) = run_capture(&root, "zeek/webrtc-stun.pcap", &exp);
    assert!(n >= 13, "{n} records");
    let hs = only_session(&flows).handshake();
    assert_eq!(hs.version, Some(ProtocolVersion::DTLS1_0));
    assert!(!hs.offered_srtp_profiles.is_empty());
    let Seen::Clear(p) = &hs.srtp_profile else {
        panic!("{:?}", hs.srtp_profile)
    };
    assert!(hs.offered_srtp_profiles.contains(p));
    for side in [Side::A, Side::B] {
        let Seen::Clear(certs) = hs.certificates_of(side) else {
            panic!("certificates in clear")
        };
        assert!(!certs.is_empty());
    }

    let (flows, _) = run_capture(&root, "zeek/dtls1_0.pcap", &exp);
    assert_eq!(
        only_session(&flows).handshake().version,
        Some(ProtocolVersion::DTLS1_0)
    );

    let (flows, _) = run_capture(&root, "zeek/dtls1_2.pcap", &exp);
    let hs = only_session(&flows).handshake();
    assert_eq!(hs.version, Some(ProtocolVersion::DTLS1_2));
    assert!(hs.hello_verify_request);
    assert_eq!(hs.client_hellos, 2);

    let (flows, _) = run_capture(&root, "zeek/dtls-sequence-number-jumps.pcap", &exp);
    assert_eq!(flows.len(), 1);

    // DTLS 1.3: version and suite in clear, certificates and SRTP choice are not.
    for rel in [
        "zeek/dtls13-wolfssl.pcap",
        "zeek/dtls13-cid.pcap",
        "recordflux/dtls13-1.pcap",
        "illustrated-dtls13/capture.pcap",
    ] {
        let (flows, n) = run_capture(&root, rel, &exp);
        assert!(n > 0, "{rel}");
        let mut saw13 = false;
        for s in flows.values() {
            let hs = s.handshake();
            if hs.version == Some(ProtocolVersion::DTLS1_3) {
                saw13 = true;
                assert_eq!(hs.certificates, [Seen::Encrypted, Seen::Encrypted], "{rel}");
                assert!(hs.protected_records > 0, "{rel}");
            }
        }
        assert!(saw13, "{rel}: a DTLS 1.3 ServerHello");
    }
    // The CID capture: the connection_id extensions make the unified headers parse.
    let (flows, _) = run_capture(&root, "zeek/dtls13-cid.pcap", &exp);
    assert!(flows
        .values()
        .any(|s| s.record_options(Side::A).cid_len > 0 || s.record_options(Side::B).cid_len > 0));
    // recordflux: the ClientHello is sent three times (same message_seq): two retransmissions.
    let (flows, _) = run_capture(&root, "recordflux/dtls13-1.pcap", &exp);
    let hs = only_session(&flows).handshake();
    let client = hs.client.expect("a ClientHello");
    assert_eq!(hs.handshake_retransmissions[client as usize], 2, "{hs:?}");
    assert_eq!(hs.client_hellos, 1);

    per_record_files(&root, &exp);
    exp.finish();
}

/// Who sent a per-record file (client = A): the names are `record-c*`/`record-s*` except for
/// the server's `record-cert` and `record-cverify`, and `NN-*-c`, `*-chs-*`, `*-cap-*`.
fn side_of(name: &str) -> Side {
    let client = matches!(name, "record-cdata" | "record-cfin" | "record-chello")
        || name.ends_with("-c")
        || name.contains("-chs-")
        || name.contains("-cap-");
    if client {
        Side::A
    } else {
        Side::B
    }
}

/// illustrated-dtls13/caps: `NN-*` files are whole datagrams as sent; `record-chello` and
/// `record-shello` are clear records; the other `record-*` files are the *decrypted*
/// DTLSInnerPlaintext of protected records, which exercise the decryption seam.
fn per_record_files(root: &Path, exp: &Expectations) {
    let dir = root.join("illustrated-dtls13/caps");
    let ctx = MessageContext {
        version: ProtocolVersion::DTLS1_3,
        cipher_suite: Some(CipherSuite::TLS_AES_128_GCM_SHA256),
    };
    let mut session = DtlsSession::default();
    let mut seen = 0;
    for path in rtcscope_testkit::files_under(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rel = format!("illustrated-dtls13/caps/{name}");
        let bytes = std::fs::read(&path).unwrap();
        seen += 1;
        let fail = |e: Error| {
            exp.failure(&rel, e.field, kind(&e), &e.to_string());
        };
        let is_clear_record = name == "record-chello" || name == "record-shello";
        if !name.starts_with("record-") || is_clear_record {
            let mut n = 0;
            for rec in Records::new(&bytes, RecordOptions::default()) {
                match rec {
                    Ok(r) => {
                        n += 1;
                        if r.content_type() == Some(ContentType::HANDSHAKE) {
                            let side = side_of(&name);
                            session.handshake_content(side, r.fragment(), r.fragment_range().start);
                        }
                    }
                    Err(e) => fail(e),
                }
            }
            assert!(n >= 1, "{rel}");
            continue;
        }
        let inner = match InnerPlaintext::parse(&bytes, 0) {
            Ok(i) => i,
            Err(e) => {
                fail(e);
                continue;
            }
        };
        match inner.content_type {
            ContentType::HANDSHAKE => {
                for f in HandshakeFragments::new(inner.content, 0) {
                    match f {
                        Ok(f) if f.is_complete() => {
                            if let Err(e) =
                                Message::parse(f.msg_type, f.body.bytes, f.body.offset, &ctx)
                            {
                                fail(e)
                            }
                        }
                        Ok(f) => panic!("{rel}: unexpected fragment {f:?}"),
                        Err(e) => fail(e),
                    }
                }
                // The seam: decrypted handshake content feeds the same session code.
                let side = side_of(&name);
                session.handshake_content(side, inner.content, 0);
            }
            ContentType::ACK => {
                if let Err(e) = Ack::parse(inner.content, 0) {
                    fail(e)
                }
            }
            ContentType::ALERT => {
                if let Err(e) = Alert::parse(inner.content, 0) {
                    fail(e)
                }
            }
            ContentType::APPLICATION_DATA => assert!(!inner.content.is_empty()),
            other => panic!("{rel}: unexpected inner type {other:?}"),
        }
    }
    assert!(seen >= 22, "{seen} files");
    let hs = session.handshake();
    assert_eq!(hs.version, Some(ProtocolVersion::DTLS1_3));
    // After "decryption" the server's certificate is in clear and has a fingerprint.
    let Seen::Clear(certs) = hs.certificates_of(Side::B) else {
        panic!("decrypted certificate: {:?}", hs.certificates_of(Side::B))
    };
    assert_eq!(certs.len(), 1);
    assert!(certs[0].sha256.to_string().starts_with("sha-256 "));
    assert_eq!(
        hs.srtp_profile,
        Seen::<SrtpProtectionProfile>::NotSeen,
        "no use_srtp offered"
    );
}
