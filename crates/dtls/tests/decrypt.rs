//! Decryption from key logs: the project's own OpenSSL recordings (DTLS 1.0 and 1.2, every
//! record protection) and wolfSSL recordings (DTLS 1.3, every AEAD suite, key updates),
//! checked against the text the programs exchanged and the ground truth the recording scripts
//! wrote; the Illustrated DTLS 1.3 connection, every record against its published plaintext;
//! RFC 8448 key-schedule values; and the failures (no key, wrong key, truncation).

use rtcscope_dtls::decrypt::keys::{
    hkdf_expand_label, prf as prf_fn, AeadAlg, BulkCipher, HashAlg, LabelPrefix, Prf, SuiteParams,
};
use rtcscope_dtls::decrypt::tls13::{next_traffic_secret, reconstruct_sequence, traffic_key_bytes};
use rtcscope_dtls::decrypt::{DecryptError, DecryptedRecord, DtlsDecryptor, KeyLogIndex};
use rtcscope_dtls::{
    AlertDescription, CipherSuite, ContentType, HandshakeType, ProtocolVersion, Side,
};
use rtcscope_testkit::capture_frames as capture;
use std::collections::BTreeMap;
use std::path::Path;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

fn expected(name: &str) -> BTreeMap<String, String> {
    let path = rtcscope_testkit::fixtures().join(format!("dtls/{name}.expected"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Every protected record's outcome, with its frame number.
type Outcomes = Vec<(usize, Result<DecryptedRecord, DecryptError>)>;

/// Runs a capture through one decryptor; `server_port` tells the sides apart (A = the side
/// sending to it). Returns the decryptor and every protected record's outcome, with the
/// frame number.
fn run(pcap: &Path, keys: &KeyLogIndex, server_port: u16) -> (DtlsDecryptor, Outcomes) {
    let mut d = DtlsDecryptor::default();
    let mut out = Vec::new();
    let mut base = 0;
    for p in capture::packets(pcap) {
        let side = if p.dst.1 == server_port {
            Side::A
        } else {
            Side::B
        };
        for r in d.feed(keys, side, &p.payload, base) {
            out.push((p.number, r));
        }
        base += p.payload.len();
    }
    (d, out)
}

fn fixture(name: &str) -> (std::path::PathBuf, KeyLogIndex) {
    let dir = rtcscope_testkit::fixtures().join("dtls");
    let keys = std::fs::read_to_string(dir.join(format!("{name}.keys"))).unwrap();
    (
        dir.join(format!("{name}.pcapng")),
        KeyLogIndex::parse(&keys),
    )
}

/// The texts record.sh pipes into s_server and s_client.
const SERVER_LINE: &[u8] = b"hello from the server\n";
const CLIENT_LINE: &[u8] = b"hello from the client\n";

/// Every complete handshake message, in the order sent, from the plaintext records and the
/// decrypted ones, each with its header as if unfragmented: DTLS's 12 bytes (`dtls_header`)
/// or TLS's 4 (type and length, as DTLS 1.3 hashes them).
fn handshake_messages(
    pcap: &Path,
    decrypted: &Outcomes,
    dtls_header: bool,
) -> Vec<(Side, HandshakeType, Vec<u8>)> {
    use rtcscope_dtls::handshake::HandshakeFragments;
    use rtcscope_dtls::record::{RecordOptions, Records};
    use rtcscope_dtls::{Outcome, Reassembler};
    let mut reasm = [Reassembler::default(), Reassembler::default()];
    let mut out = Vec::new();
    let mut feed = |side: Side, content: &[u8], out: &mut Vec<(Side, HandshakeType, Vec<u8>)>| {
        let r = &mut reasm[usize::from(side == Side::B)];
        for f in HandshakeFragments::new(content, 0).map_while(Result::ok) {
            if let Ok(Outcome::Complete(m)) = r.feed(&f) {
                let len = &(m.body.len() as u32).to_be_bytes()[1..];
                let mut msg = vec![m.msg_type.0];
                msg.extend_from_slice(len);
                if dtls_header {
                    msg.extend_from_slice(&m.message_seq.to_be_bytes());
                    msg.extend_from_slice(&[0, 0, 0]);
                    msg.extend_from_slice(len);
                }
                msg.extend_from_slice(&m.body);
                out.push((side, m.msg_type, msg));
            }
        }
    };
    for p in capture::packets(pcap) {
        let side = if p.dst.1 == 4433 { Side::A } else { Side::B };
        for rec in Records::new(&p.payload, RecordOptions::default()).map_while(Result::ok) {
            if rec.content_type() == Some(ContentType::HANDSHAKE)
                && rec.protection() == rtcscope_dtls::Protection::Plaintext
            {
                feed(side, rec.fragment(), &mut out);
            }
        }
        for (_, d) in decrypted.iter().filter(|(n, _)| *n == p.number) {
            let d = d.as_ref().unwrap();
            if d.content_type == ContentType::HANDSHAKE {
                feed(d.from, &d.plaintext, &mut out);
            }
        }
    }
    out
}

/// The handshake transcript as the Finished messages hash it (RFC 6347 §4.2.6): every
/// message in order, each with its DTLS header as if unfragmented, except the cookie
/// exchange's first ClientHello and the HelloVerifyRequest.
fn transcript(pcap: &Path, decrypted: &Outcomes) -> Vec<(Side, HandshakeType, Vec<u8>)> {
    let mut out = handshake_messages(pcap, decrypted, true);
    let first_hvr = out
        .iter()
        .position(|(_, t, _)| *t == HandshakeType::HELLO_VERIFY_REQUEST)
        .expect("OpenSSL's server sends a cookie");
    assert_eq!(out[0].1, HandshakeType::CLIENT_HELLO);
    out.remove(first_hvr);
    out.remove(0);
    out
}

/// verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..12]
/// (RFC 5246 §7.4.9); DTLS 1.0 hashes with MD5 || SHA-1 (RFC 2246 §7.4.9).
fn verify_data(prf: Prf, master: &[u8], label: &str, msgs: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let hash = match prf {
        Prf::Tls10 => [
            md5::Md5::digest(msgs).to_vec(),
            sha1::Sha1::digest(msgs).to_vec(),
        ]
        .concat(),
        Prf::Tls12(h) => h.digest(msgs),
    };
    prf_fn(prf, master, label, &[&hash], 12).bytes().to_vec()
}

/// IANA names of the suites record.sh forces, by OpenSSL name.
const OPENSSL_SUITES: &[(&str, &str)] = &[
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    (
        "ECDHE-ECDSA-AES128-SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    ),
    (
        "ECDHE-ECDSA-AES256-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    ),
];

/// Runs recording `name` of fixtures/dtls through a decryptor with its key log: the version is
/// `version`, the client (side A) sent to port 4433, keys were found, and every protected
/// record decrypts.
fn decrypt_recording(name: &str, version: ProtocolVersion) -> (DtlsDecryptor, Outcomes) {
    let (pcap, keys) = fixture(name);
    let (d, out) = run(&pcap, &keys, 4433);
    let r = d.revealed();
    assert_eq!(r.version, Some(version), "{name}");
    assert_eq!(r.client, Some(Side::A));
    assert!(
        d.is_keyed() && d.key_error().is_none(),
        "{name}: {:?}",
        d.key_error()
    );
    for (n, r) in &out {
        if let Err(e) = r {
            panic!("{name} frame {n}: {e}");
        }
    }
    (d, out)
}

/// What a recording script wrote from outside rtcscope: the SRTP profile the peers reported,
/// the fingerprints of the certificates it generated, the DTLS-SRTP keying material the
/// implementation exported.
fn check_certificates_and_exporter(name: &str, d: &DtlsDecryptor, want: &BTreeMap<String, String>) {
    let r = d.revealed();
    let srtp = d.srtp_keying_material().expect("keying material");
    assert_eq!(
        srtp.profile.openssl_name(),
        Some(want["srtp_profile"].as_str()),
        "{name}"
    );
    assert_eq!(
        r.leaf_fingerprint(Side::B).unwrap().to_string(),
        want["server_fingerprint"],
        "{name}"
    );
    assert_eq!(
        r.leaf_fingerprint(Side::A).unwrap().to_string(),
        want["client_fingerprint"],
        "{name}"
    );
    assert_eq!(
        hex::encode_upper(srtp.to_exported()),
        want["srtp_exporter"].to_uppercase(),
        "{name}: exporter"
    );
}

/// Checks one recording of fixtures/dtls; returns the suite and whether encrypt_then_mac
/// was negotiated.
fn check_recording(name: &str) -> (CipherSuite, bool) {
    let want = expected(name);
    let version = match want["version"].as_str() {
        "-dtls1" => ProtocolVersion::DTLS1_0,
        "-dtls1_2" => ProtocolVersion::DTLS1_2,
        v => panic!("{name}: version {v}"),
    };
    let (pcap, keys) = fixture(name);
    let (d, out) = decrypt_recording(name, version);
    let r = d.revealed();
    let ok: Vec<&DecryptedRecord> = out.iter().map(|(_, r)| r.as_ref().unwrap()).collect();
    // Finished from each side, one line of application data each way, close_notify from
    // each side: six protected records, all in epoch 1.
    assert_eq!(ok.len(), 6, "{name}");
    assert!(ok.iter().all(|r| r.epoch == 1));
    let app: Vec<(Side, &[u8])> = ok
        .iter()
        .filter(|r| r.content_type == ContentType::APPLICATION_DATA)
        .map(|r| (r.from, r.plaintext.as_slice()))
        .collect();
    assert_eq!(
        app,
        vec![(Side::B, SERVER_LINE), (Side::A, CLIENT_LINE)],
        "{name}"
    );
    assert_eq!(
        r.application_data,
        [(1, CLIENT_LINE.len() as u64), (1, SERVER_LINE.len() as u64)]
    );
    let alerts: Vec<_> = r.alerts.iter().map(|a| (a.0, a.2)).collect();
    assert_eq!(
        alerts,
        vec![
            (Side::A, AlertDescription::CLOSE_NOTIFY),
            (Side::B, AlertDescription::CLOSE_NOTIFY)
        ]
    );
    assert_eq!(r.parse_errors, 0);

    // Finished: recompute both verify_data from the transcript and the master secret.
    let msgs = transcript(&pcap, &out);
    let cr = d.client_random().unwrap();
    let master = keys.get(cr).unwrap().master_secret.clone().unwrap();
    let prf = if version == ProtocolVersion::DTLS1_0 {
        Prf::Tls10
    } else {
        Prf::Tls12(SuiteParams::of(r.cipher_suite.unwrap()).unwrap().hash)
    };
    let client_fin = msgs
        .iter()
        .position(|(s, t, _)| *s == Side::A && *t == HandshakeType::FINISHED)
        .unwrap();
    let before: Vec<u8> = msgs[..client_fin]
        .iter()
        .flat_map(|m| m.2.clone())
        .collect();
    assert_eq!(
        r.finished[0].as_deref(),
        Some(&verify_data(prf, master.bytes(), "client finished", &before)[..]),
        "{name}: client Finished"
    );
    let server_fin = msgs
        .iter()
        .position(|(s, t, _)| *s == Side::B && *t == HandshakeType::FINISHED)
        .unwrap();
    let before: Vec<u8> = msgs[..server_fin]
        .iter()
        .flat_map(|m| m.2.clone())
        .collect();
    assert_eq!(
        r.finished[1].as_deref(),
        Some(&verify_data(prf, master.bytes(), "server finished", &before)[..]),
        "{name}: server Finished"
    );

    check_certificates_and_exporter(name, &d, &want);
    let suite = r.cipher_suite.unwrap();
    if let Some((_, iana)) = OPENSSL_SUITES.iter().find(|(o, _)| *o == want["cipher"]) {
        assert_eq!(suite.name(), Some(*iana), "{name}");
    }
    (suite, r.encrypt_then_mac)
}

/// The recordings of fixtures/dtls whose `.expected` version passes `keep`, sorted.
fn recordings(keep: impl Fn(&str) -> bool) -> Vec<String> {
    let dir = rtcscope_testkit::fixtures().join("dtls");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.strip_suffix(".expected").map(str::to_owned)
        })
        .filter(|n| keep(&expected(n)["version"]))
        .collect();
    names.sort();
    names
}

/// Every OpenSSL recording of fixtures/dtls decrypts; together they cover each record
/// protection.
#[test]
fn every_openssl_recording_decrypts_and_exports_what_openssl_exported() {
    let names = recordings(|v| v != "dtls1.3");
    let mut covered = std::collections::BTreeSet::new();
    for name in &names {
        let (suite, etm) = check_recording(name);
        let p = SuiteParams::of(suite).unwrap();
        covered.insert(match p.cipher {
            BulkCipher::Aead(a) => format!("{a:?}"),
            BulkCipher::AesCbc { key_len, mac } => format!(
                "AES-{}-CBC {mac:?} {}",
                key_len * 8,
                if etm { "EtM" } else { "MtE" }
            ),
        });
    }
    let covered: Vec<&str> = covered.iter().map(String::as_str).collect();
    assert_eq!(
        covered,
        [
            "AES-128-CBC Sha1 MtE",
            "AES-256-CBC Sha1 EtM",
            "AES-256-CBC Sha384 EtM",
            "Aes128Gcm",
            "Aes256Gcm",
            "ChaCha20Poly1305"
        ],
        "{names:?}"
    );
}

/// The DTLS 1.3 transcript (RFC 9147 §5.2: TLS 1.3-style messages, a 4-byte header without
/// message_seq and the fragment fields), from the plaintext hellos and the decrypted
/// handshake records, in the order sent; with a HelloRetryRequest the first ClientHello is
/// replaced by its message_hash (RFC 8446 §4.4.1). Post-handshake messages are left out.
fn transcript13(
    pcap: &Path,
    decrypted: &Outcomes,
    hash: HashAlg,
) -> Vec<(Side, HandshakeType, Vec<u8>)> {
    let mut out = handshake_messages(pcap, decrypted, false);
    let types: Vec<HandshakeType> = out.iter().map(|m| m.1).collect();
    assert_eq!(
        types[..4],
        [
            HandshakeType::CLIENT_HELLO,
            HandshakeType::SERVER_HELLO,
            HandshakeType::CLIENT_HELLO,
            HandshakeType::SERVER_HELLO
        ],
        "wolfSSL's server answers the first ClientHello with a HelloRetryRequest (cookie)"
    );
    let digest = hash.digest(&out[0].2);
    let mut message_hash = vec![254, 0, 0, digest.len() as u8];
    message_hash.extend_from_slice(&digest);
    out[0].2 = message_hash;
    let client_fin = out
        .iter()
        .position(|(s, t, _)| *s == Side::A && *t == HandshakeType::FINISHED)
        .expect("the client's Finished");
    out.truncate(client_fin + 1);
    out
}

/// HMAC of `data` with `key`, with the suite's hash.
fn hmac(hash: HashAlg, key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    match hash {
        HashAlg::Sha256 => {
            let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        HashAlg::Sha384 => {
            let mut m = hmac::Hmac::<sha2::Sha384>::new_from_slice(key).unwrap();
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
    }
}

/// IANA names of the DTLS 1.3 suites record-dtls13.sh forces, by wolfSSL name; and the SRTP
/// profiles by their OpenSSL (and wolfSSL) names.
const WOLFSSL_SUITES: &[(&str, &str)] = &[
    ("TLS13-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"),
    ("TLS13-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384"),
    (
        "TLS13-CHACHA20-POLY1305-SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
    ),
];

/// Checks one DTLS 1.3 recording of fixtures/dtls (record-dtls13.sh: wolfSSL's example
/// client and server); returns its suite.
fn check_recording13(name: &str) -> CipherSuite {
    let want = expected(name);
    let (pcap, keys) = fixture(name);
    let (d, out) = decrypt_recording(name, ProtocolVersion::DTLS1_3);
    let r = d.revealed();
    let ok: Vec<&DecryptedRecord> = out.iter().map(|(_, r)| r.as_ref().unwrap()).collect();
    assert_eq!(r.parse_errors, 0, "{name}");
    let suite = r.cipher_suite.unwrap();
    assert_eq!(suite.name(), Some(want["cipher"].as_str()), "{name}");
    assert!(
        WOLFSSL_SUITES
            .iter()
            .any(|(_, iana)| *iana == want["cipher"]),
        "{name}: {} is not a suite record-dtls13.sh forces",
        want["cipher"]
    );

    // The handshake: both sides authenticate (mutual, as WebRTC peers do), with the
    // certificates the script generated; the exporter (RFC 5764 §4.2 through the TLS 1.3
    // exporter, from EXPORTER_SECRET) gives the bytes wolfSSL's client printed.
    assert_eq!(r.certificate_verify, [1, 1], "{name}");
    check_certificates_and_exporter(name, &d, &want);

    // Finished (RFC 8446 §4.4.4): HMAC(finished_key, Transcript-Hash) with finished_key from
    // each side's handshake traffic secret ("dtls13" labels, RFC 9147 §5.9).
    let hash = SuiteParams::of(suite).unwrap().hash;
    let msgs = transcript13(&pcap, &out, hash);
    let secrets = keys.get(d.client_random().unwrap()).unwrap();
    for (side, secret, what) in [
        (Side::B, &secrets.server_handshake, "server"),
        (Side::A, &secrets.client_handshake, "client"),
    ] {
        let fin = msgs
            .iter()
            .position(|(s, t, _)| *s == side && *t == HandshakeType::FINISHED)
            .unwrap();
        let before: Vec<u8> = msgs[..fin].iter().flat_map(|m| m.2.clone()).collect();
        let key = hkdf_expand_label(
            hash,
            LabelPrefix::Dtls13,
            secret.as_ref().unwrap().bytes(),
            "finished",
            &[],
            hash.output_len(),
        )
        .unwrap();
        assert_eq!(
            r.finished[usize::from(side == Side::B)].as_deref(),
            Some(&hmac(hash, key.bytes(), &hash.digest(&before))[..]),
            "{name}: {what} Finished"
        );
    }

    // The application data: each side's records are the line the other side printed.
    let client_says = want["client_says"].as_bytes();
    let server_says = want["server_says"].as_bytes();
    let app = |side: Side| -> Vec<&[u8]> {
        ok.iter()
            .filter(|r| r.content_type == ContentType::APPLICATION_DATA && r.from == side)
            .map(|r| r.plaintext.as_slice())
            .collect()
    };
    let from_client = app(Side::A);
    assert!(
        !from_client.is_empty() && from_client.iter().all(|l| *l == client_says),
        "{name}: {from_client:?}"
    );
    assert_eq!(app(Side::B), [server_says], "{name}");
    let mut alerts: Vec<_> = r.alerts.iter().map(|a| (a.0, a.2)).collect();
    alerts.sort_by_key(|a| a.0 == Side::B);
    assert_eq!(
        alerts,
        vec![
            (Side::A, AlertDescription::CLOSE_NOTIFY),
            (Side::B, AlertDescription::CLOSE_NOTIFY)
        ],
        "{name}"
    );

    // Epochs: the handshake in 2, application data from 3; a KeyUpdate (with update_requested,
    // so the peer updates too) moves each side to 4, where the updater's records go once its
    // KeyUpdate is acknowledged (RFC 9147 §8: not before, so data written right after the
    // update may still be in 3).
    let updater = match want["key_update_from"].as_str() {
        "none" => None,
        "client" => Some(Side::A),
        "server" => Some(Side::B),
        v => panic!("{name}: key_update_from={v}"),
    };
    let handshake_epochs: Vec<u64> = ok
        .iter()
        .filter(|r| r.content_type == ContentType::HANDSHAKE && r.epoch < 3)
        .map(|r| r.epoch)
        .collect();
    assert!(handshake_epochs.iter().all(|e| *e == 2), "{name}");
    match updater {
        None => {
            assert_eq!(r.key_updates, [0, 0], "{name}");
            assert!(ok.iter().all(|r| r.epoch <= 3), "{name}");
        }
        Some(side) => {
            assert_eq!(r.key_updates, [1, 1], "{name}");
            assert_eq!(r.last_epoch[usize::from(side == Side::B)], 4, "{name}");
            assert!(
                ok.iter().any(|r| r.from == side && r.epoch == 4),
                "{name}: no record in epoch 4 from the updater"
            );
        }
    }

    suite
}

/// Every wolfSSL DTLS 1.3 recording of fixtures/dtls (record-dtls13.sh) decrypts, its Finished
/// messages verify, its exporter equals wolfSSL's; together they cover each DTLS 1.3 AEAD suite
/// and a key update from each side.
#[test]
fn every_wolfssl_dtls13_recording_decrypts_and_exports_what_wolfssl_exported() {
    let names = recordings(|v| v == "dtls1.3");
    let mut suites = std::collections::BTreeSet::new();
    let mut updaters = std::collections::BTreeSet::new();
    for name in &names {
        suites.insert(check_recording13(name).name().unwrap());
        updaters.insert(expected(name)["key_update_from"].clone());
    }
    let all: std::collections::BTreeSet<&str> =
        WOLFSSL_SUITES.iter().map(|(_, iana)| *iana).collect();
    assert_eq!(suites, all, "{names:?}");
    assert_eq!(
        updaters.iter().map(String::as_str).collect::<Vec<_>>(),
        ["client", "none", "server"],
        "{names:?}"
    );
}

#[test]
fn no_key_and_wrong_key_say_why() {
    let (pcap, keys) = fixture("dtls12-srtp");
    let (d, out) = run(&pcap, &KeyLogIndex::new(), 4433);
    assert_eq!(out.len(), 6);
    for (_, r) in &out {
        let e = r.as_ref().unwrap_err();
        assert!(
            matches!(
                e,
                DecryptError::NoKey {
                    wanted: "CLIENT_RANDOM",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e
            .to_string()
            .starts_with("no CLIENT_RANDOM in the key log for client random "));
    }
    assert!(d.key_error().is_some() && !d.is_keyed());

    // The right client random with another master secret: every tag fails.
    let cr = hex::encode(d.client_random().unwrap());
    let wrong = KeyLogIndex::parse(&format!("CLIENT_RANDOM {cr} {}\n", "5a".repeat(48)));
    let (_, out) = run(&pcap, &wrong, 4433);
    assert_eq!(out.len(), 6);
    for (n, r) in &out {
        match r {
            Err(DecryptError::Authentication { epoch: 1, .. }) => {}
            other => panic!("frame {n}: {other:?}"),
        }
    }
    // CBC with encrypt-then-MAC: the MAC fails the same way.
    let (pcap, _) = fixture("dtls10-srtp");
    let (d, _) = run(&pcap, &KeyLogIndex::new(), 4433);
    let cr = hex::encode(d.client_random().unwrap());
    let wrong = KeyLogIndex::parse(&format!("CLIENT_RANDOM {cr} {}\n", "5a".repeat(48)));
    let (_, out) = run(&pcap, &wrong, 4433);
    assert!(out
        .iter()
        .all(|(_, r)| matches!(r, Err(DecryptError::Authentication { .. }))));
    // A 47-byte "master secret" is refused with its length.
    let short = KeyLogIndex::parse(&format!("CLIENT_RANDOM {cr} {}\n", "5a".repeat(47)));
    let (d, _) = run(&pcap, &short, 4433);
    assert_eq!(
        d.key_error(),
        Some(&DecryptError::BadSecret {
            label: "CLIENT_RANDOM",
            len: 47
        })
    );
    drop(keys);
}

#[test]
fn truncated_and_unknown_epoch_records_are_errors() {
    let (pcap, keys) = fixture("dtls12-srtp");
    let pkts = capture::packets(&pcap);
    let mut d = DtlsDecryptor::default();
    let mut app = None;
    for p in &pkts {
        let side = if p.dst.1 == 4433 { Side::A } else { Side::B };
        let r = d.feed(&keys, side, &p.payload, 0);
        if app.is_none()
            && r.iter()
                .any(|r| matches!(r, Ok(d) if d.content_type == ContentType::APPLICATION_DATA))
        {
            app = Some((side, p.payload.clone()));
        }
    }
    let (side, rec) = app.unwrap();
    // Cut the fragment to 10 bytes (header length adjusted): shorter than nonce + tag.
    let mut short = rec[..13 + 10].to_vec();
    short[11..13].copy_from_slice(&10u16.to_be_bytes());
    let r = d.feed(&keys, side, &short, 1000);
    assert_eq!(
        r,
        vec![Err(DecryptError::Truncated {
            offset: 1000,
            what: "GCM explicit nonce and tag",
            need: 24,
            have: 10
        })]
    );
    // Epoch 2 in DTLS 1.2 (a renegotiation): no keys for it.
    let mut e2 = rec.clone();
    e2[3..5].copy_from_slice(&2u16.to_be_bytes());
    assert_eq!(
        d.feed(&keys, side, &e2, 7),
        vec![Err(DecryptError::UnknownEpoch {
            offset: 7,
            epoch: 2
        })]
    );
    // A flipped ciphertext bit fails authentication, naming the sequence number.
    let mut bad = rec.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert!(matches!(
        d.feed(&keys, side, &bad, 0)[..],
        [Err(DecryptError::Authentication {
            epoch: 1,
            sequence: 1,
            ..
        })]
    ));
    // The untouched record still decrypts: failures change no state.
    assert_eq!(
        d.feed(&keys, side, &rec, 0)[0].as_ref().unwrap().plaintext,
        SERVER_LINE
    );
}

/// A record before any hello: the decryptor says the handshake is missing.
#[test]
fn protected_record_before_the_hellos() {
    let (pcap, keys) = fixture("dtls12-srtp");
    let last = capture::packets(&pcap).pop().unwrap();
    let mut d = DtlsDecryptor::default();
    assert_eq!(
        d.feed(&keys, Side::B, &last.payload, 40),
        vec![Err(DecryptError::NoHandshake { offset: 40 })]
    );
}

/// The Illustrated DTLS 1.3 Connection (dtls.xargs.org, wolfSSL): every protected record of
/// the capture decrypts to the plaintext the site publishes for it (`caps/record-*`: content
/// followed by the inner content type).
#[test]
fn illustrated_dtls13_every_record_matches_the_published_plaintext() {
    let Some(c) =
        rtcscope_testkit::corpus("illustrated_dtls13_every_record_matches_the_published_plaintext")
    else {
        return;
    };
    let dir = c.join("illustrated-dtls13");
    let keys = KeyLogIndex::parse(&std::fs::read_to_string(dir.join("keylog.txt")).unwrap());
    assert_eq!((keys.used, keys.error_count), (4, 0));
    let (d, out) = run(&dir.join("capture.pcap"), &keys, 8400);
    let published = |f: &str| std::fs::read(dir.join("caps").join(f)).unwrap();
    // (file, sender, epoch, sequence) in capture order.
    let want = [
        ("record-encext", Side::B, 2, 0),
        ("record-cert", Side::B, 2, 1),
        ("record-cverify", Side::B, 2, 2),
        ("record-sfin", Side::B, 2, 3),
        ("record-cfin", Side::A, 2, 0),
        ("record-sack", Side::B, 3, 0),
        ("record-cdata", Side::A, 3, 0),
        ("record-sdata", Side::B, 3, 1),
        ("record-sbye", Side::B, 3, 2),
    ];
    assert_eq!(out.len(), want.len());
    for ((n, r), (file, from, epoch, seq)) in out.iter().zip(want) {
        let r = r.as_ref().unwrap_or_else(|e| panic!("frame {n}: {e}"));
        let mut inner = r.plaintext.clone();
        inner.push(r.content_type.0);
        assert_eq!(
            hex::encode(&inner),
            hex::encode(published(file)),
            "frame {n}: {file}"
        );
        assert_eq!(
            (r.from, r.epoch, r.sequence),
            (from, epoch, seq),
            "frame {n}"
        );
    }
    let rv = d.revealed();
    assert_eq!(rv.version, Some(ProtocolVersion::DTLS1_3));
    assert_eq!(rv.certificates_of(Side::B).len(), 1);
    assert_eq!(rv.certificate_verify, [0, 1]);
    assert_eq!(rv.finished[1].as_ref().map(Vec::len), Some(32));
    assert_eq!(rv.finished[0].as_ref().map(Vec::len), Some(32));
    assert_eq!(rv.application_data, [(1, 4), (1, 4)]);
    assert_eq!(
        rv.alerts,
        vec![(
            Side::B,
            rtcscope_dtls::AlertLevel::WARNING,
            AlertDescription::CLOSE_NOTIFY
        )]
    );
    // No EXPORTER_SECRET in this key log, and no use_srtp in this handshake: no SRTP keys.
    assert_eq!(d.srtp_keying_material(), None);

    // Without the application secrets the handshake still decrypts and the rest says why.
    let partial: String = std::fs::read_to_string(dir.join("keylog.txt"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("HANDSHAKE"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (_, out) = run(
        &dir.join("capture.pcap"),
        &KeyLogIndex::parse(&partial),
        8400,
    );
    assert_eq!(out.iter().filter(|(_, r)| r.is_ok()).count(), 5);
    for (_, r) in &out[5..] {
        assert!(
            matches!(r, Err(DecryptError::UnknownEpoch { epoch: 3, .. })),
            "{r:?}"
        );
    }
}

/// RFC 8448 §3 (Simple 1-RTT handshake): the TLS 1.3 key schedule values, through the same
/// HKDF-Expand-Label the DTLS 1.3 decryption uses (with TLS's "tls13 " prefix).
#[test]
fn rfc8448_key_schedule() {
    let hs = unhex("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac");
    let th = unhex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8");
    let l = |secret: &[u8], label, ctx: &[u8], n| {
        hkdf_expand_label(HashAlg::Sha256, LabelPrefix::Tls13, secret, label, ctx, n)
            .unwrap()
            .bytes()
            .to_vec()
    };
    let c_hs = l(&hs, "c hs traffic", &th, 32);
    assert_eq!(
        hex::encode(&c_hs),
        "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
    );
    let s_hs = l(&hs, "s hs traffic", &th, 32);
    assert_eq!(
        hex::encode(&s_hs),
        "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
    );
    let k = traffic_key_bytes(
        HashAlg::Sha256,
        AeadAlg::Aes128Gcm,
        LabelPrefix::Tls13,
        &s_hs,
    )
    .unwrap();
    assert_eq!(
        hex::encode(k.key.bytes()),
        "3fce516009c21727d0f2e4e86ee403bc"
    );
    assert_eq!(hex::encode(k.iv.bytes()), "5d313eb2671276ee13000b30");
    let k = traffic_key_bytes(
        HashAlg::Sha256,
        AeadAlg::Aes128Gcm,
        LabelPrefix::Tls13,
        &c_hs,
    )
    .unwrap();
    assert_eq!(hex::encode(k.iv.bytes()), "5bd3c71b836e0b76bb73265f");
    assert_eq!(
        hex::encode(l(&s_hs, "finished", b"", 32)),
        "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"
    );
    // The DTLS prefix gives other keys from the same secret.
    let d = traffic_key_bytes(
        HashAlg::Sha256,
        AeadAlg::Aes128Gcm,
        LabelPrefix::Dtls13,
        &s_hs,
    )
    .unwrap();
    assert_ne!(
        hex::encode(d.key.bytes()),
        "3fce516009c21727d0f2e4e86ee403bc"
    );
}

/// RFC 9147 §4.2.2: the full sequence number is the one closest to the expected next.
#[test]
fn sequence_number_reconstruction() {
    assert_eq!(reconstruct_sequence(0, 0, 8), 0);
    assert_eq!(reconstruct_sequence(0, 5, 8), 5);
    assert_eq!(reconstruct_sequence(250, 3, 8), 259);
    assert_eq!(reconstruct_sequence(260, 250, 8), 250);
    assert_eq!(reconstruct_sequence(0x1_0005, 0xfffe, 16), 0xfffe);
    assert_eq!(reconstruct_sequence(0xfff0, 0x0002, 16), 0x1_0002);
    assert_eq!(reconstruct_sequence(5, 200, 8), 200);
    // Never beyond 2^48 - 1.
    assert_eq!(
        reconstruct_sequence((1 << 48) - 2, 0x10, 8),
        (1 << 48) - 256 + 0x10
    );
}

/// The first value of `key` anywhere in a JSON document.
fn json_find<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m
            .get(key)
            .or_else(|| m.values().find_map(|x| json_find(x, key))),
        serde_json::Value::Array(a) => a.iter().find_map(|x| json_find(x, key)),
        _ => None,
    }
}

/// RFC 3711 §4.3 key derivation (key derivation rate 0): the AES-CM key stream of
/// `master_key` from `(label at byte 7 XOR master_salt) * 2^16`, `n` bytes. For the AEAD
/// profiles RFC 7714 §11 uses it with the 12-byte salt zero-extended to 14.
fn srtp_kdf(master_key: &[u8], master_salt: &[u8], label: u8, n: usize) -> Vec<u8> {
    use aes::cipher::{BlockEncrypt, KeyInit};
    let mut out = Vec::new();
    for counter in 0..n.div_ceil(16) as u16 {
        let mut x = [0u8; 16];
        x[..master_salt.len()].copy_from_slice(master_salt);
        x[7] ^= label;
        x[14..].copy_from_slice(&counter.to_be_bytes());
        let mut block = aes::cipher::generic_array::GenericArray::from(x);
        match master_key.len() {
            16 => aes::Aes128::new_from_slice(master_key)
                .unwrap()
                .encrypt_block(&mut block),
            _ => aes::Aes256::new_from_slice(master_key)
                .unwrap()
                .encrypt_block(&mut block),
        }
        out.extend_from_slice(&block);
    }
    out.truncate(n);
    out
}

/// Opens an SRTP packet of an AEAD_AES_*_GCM profile (RFC 7714 §8) with the session keys of
/// `master_key`/`master_salt`, rollover counter 0 (the call's first packets).
fn srtp_gcm_opens(master_key: &[u8], master_salt: &[u8], pkt: &[u8]) -> bool {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let key = srtp_kdf(master_key, master_salt, 0, master_key.len());
    let salt = srtp_kdf(master_key, master_salt, 2, 12);
    let cc = usize::from(pkt[0] & 0x0f);
    let mut hl = 12 + 4 * cc;
    if pkt[0] & 0x10 != 0 {
        hl += 4 + 4 * usize::from(u16::from_be_bytes([pkt[hl + 2], pkt[hl + 3]]));
    }
    // IV = (0x0000 || SSRC || ROC || SEQ) XOR salt.
    let mut iv = [0u8; 12];
    iv[2..6].copy_from_slice(&pkt[8..12]);
    iv[10..12].copy_from_slice(&pkt[2..4]);
    for (i, s) in iv.iter_mut().zip(&salt) {
        *i ^= s;
    }
    let payload = Payload {
        msg: &pkt[hl..],
        aad: &pkt[..hl],
    };
    let nonce = aes_gcm::Nonce::from_slice(&iv);
    if key.len() == 16 {
        aes_gcm::Aes128Gcm::new_from_slice(&key)
            .unwrap()
            .decrypt(nonce, payload)
            .is_ok()
    } else {
        aes_gcm::Aes256Gcm::new_from_slice(&key)
            .unwrap()
            .decrypt(nonce, payload)
            .is_ok()
    }
}

/// Real DTLS 1.3 WebRTC calls recorded with SSLKEYLOGFILE by fixtures/webrtc/record.sh (two
/// Firefox ESR peers; Firefox and Chromium), and firefox-dtls12's DTLS 1.2 (CLIENT_RANDOM,
/// the TLS 1.2 PRF exporter): every direct (not relayed) recording with a key log.
/// Everything expected is read from the recording's own files: getStats (tlsVersion,
/// dtlsCipher, srtpCipher), the SDP fingerprints, meta.json's data-channel messages; and the
/// exported SRTP keys must open the call's first SRTP packet in each direction.
#[test]
fn browser_dtls13_calls_decrypt_and_export_the_srtp_keys() {
    let root = rtcscope_testkit::fixtures().join("webrtc");
    let mut checked = Vec::new();
    for e in std::fs::read_dir(&root).unwrap() {
        let dir = e.unwrap().path();
        if !dir.join("keylog.txt").is_file() || !dir.join("meta.json").is_file() {
            continue;
        }
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
        let relayed = meta["call"]["rtc_configuration"]["iceServers"]
            .as_array()
            .is_some_and(|a| !a.is_empty());
        // The failure recordings (meta.json `fault`) end early by design (a refused
        // certificate, blocked UDP): crates/analysis/tests/decryption.rs and the diagnosis tests
        // read them.
        let failure = !meta["fault"].is_null();
        // ICE-TCP (firefox-janus): the records are framed in a TCP stream this test does not
        // put together.
        let over_tcp = meta["summary"]["A"]["selectedPair"]["local"]["protocol"] == "tcp";
        if relayed
            || failure
            || over_tcp
            || meta["call"]["data_channel"]["sentByA"].as_array().is_none()
        {
            eprintln!(
                "{}: relayed, over TCP, a failure recording, or without a data channel; left \
                 to the engine's tests",
                dir.display()
            );
            continue;
        }
        check_browser_call(&dir);
        checked.push(dir);
    }
    if checked.is_empty() {
        eprintln!(
            "SKIPPED browser_dtls13_calls: no direct browser recording with a key log in {}",
            root.display()
        );
    }
}

fn check_browser_call(dir: &Path) {
    eprintln!("checking {}", dir.display());
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&read("meta.json")).unwrap();
    let stats: serde_json::Value = serde_json::from_str(&read("stats-a.json")).unwrap();
    let addr_a = meta["peers"]["A"]["address"].as_str().unwrap().to_owned();
    let keys = KeyLogIndex::parse(&read("keylog.txt"));
    assert_eq!(keys.error_count, 0);

    let mut d = DtlsDecryptor::default();
    let mut app: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut first_srtp: [Option<Vec<u8>>; 2] = [None, None];
    let mut records = 0;
    let mut base = 0;
    for p in capture::packets(&dir.join("capture.pcapng")) {
        let side = if p.src.0 == addr_a { Side::A } else { Side::B };
        let i = usize::from(side == Side::B);
        match p.payload.first() {
            Some(20..=63) => {
                for r in d.feed(&keys, side, &p.payload, base) {
                    let r = r.unwrap_or_else(|e| panic!("frame {}: {e}", p.number));
                    records += 1;
                    if r.content_type == ContentType::APPLICATION_DATA {
                        app[i].extend_from_slice(&r.plaintext);
                    }
                }
            }
            // RTP (not RTCP: payload types 72..=76 with the marker bit are RTCP).
            Some(128..=191) if !(200..=204).contains(&p.payload[1]) => {
                first_srtp[i].get_or_insert(p.payload.clone());
            }
            _ => {}
        }
        base += p.payload.len();
    }
    assert!(records > 20, "{records} protected records");
    let r = d.revealed();
    // The version getStats names (firefox-dtls12 is capped at DTLS 1.2 by a Firefox pref).
    let dtls12 = json_find(&stats, "tlsVersion").and_then(|v| v.as_str()) == Some("FEFD");
    assert_eq!(
        r.version,
        Some(if dtls12 {
            ProtocolVersion::DTLS1_2
        } else {
            ProtocolVersion::DTLS1_3
        })
    );
    assert_eq!(r.parse_errors, 0);
    assert_eq!(
        r.cipher_suite.and_then(|c| c.name()),
        json_find(&stats, "dtlsCipher").and_then(|v| v.as_str())
    );
    let profile = r.srtp_profile.expect("use_srtp in EncryptedExtensions");
    assert_eq!(
        Some(profile.to_string().as_str()),
        json_find(&stats, "srtpCipher").and_then(|v| v.as_str())
    );
    // The certificates, decrypted, carry the fingerprints the SDP announced: A made the offer.
    let sdp_fp = |f: &str| {
        read(f)
            .lines()
            .find_map(|l| l.trim().strip_prefix("a=fingerprint:").map(str::to_owned))
            .unwrap()
    };
    assert_eq!(
        r.leaf_fingerprint(Side::A).unwrap().to_string(),
        sdp_fp("offer.sdp")
    );
    assert_eq!(
        r.leaf_fingerprint(Side::B).unwrap().to_string(),
        sdp_fp("answer.sdp")
    );
    // DTLS 1.3: both sides prove their key; DTLS 1.2: only the client (the server's proof is
    // its signed ServerKeyExchange).
    let expected = if !dtls12 {
        [1, 1]
    } else if r.client == Some(Side::A) {
        [1, 0]
    } else {
        [0, 1]
    };
    assert_eq!(r.certificate_verify, expected);
    // Every data-channel message is inside the decrypted application data (SCTP DATA chunks).
    let dc = &meta["call"]["data_channel"];
    for (key, i) in [("sentByA", 0), ("sentByB", 1)] {
        let sent = dc[key].as_array().unwrap();
        assert!(!sent.is_empty());
        for m in sent {
            let m = m.as_str().unwrap().as_bytes();
            assert!(
                app[i].windows(m.len()).any(|w| w == m),
                "{key}: {:?} not in the decrypted data",
                String::from_utf8_lossy(m)
            );
        }
    }
    // The exporter: the DTLS client's keys open its first SRTP packet, the server's keys the
    // other side's, and not crosswise.
    let srtp = d
        .srtp_keying_material()
        .expect("EXPORTER_SECRET in the key log");
    assert_eq!(srtp.profile, profile);
    if !matches!(profile.0, 0x0007 | 0x0008) {
        eprintln!("firefox_dtls13_call: profile {profile} is not AEAD; SRTP cross-check left out");
        return;
    }
    let client = usize::from(r.client == Some(Side::B));
    let (c_pkt, s_pkt) = (
        first_srtp[client].as_ref().unwrap(),
        first_srtp[1 - client].as_ref().unwrap(),
    );
    assert!(srtp_gcm_opens(
        srtp.client_key.bytes(),
        srtp.client_salt.bytes(),
        c_pkt
    ));
    assert!(srtp_gcm_opens(
        srtp.server_key.bytes(),
        srtp.server_salt.bytes(),
        s_pkt
    ));
    assert!(!srtp_gcm_opens(
        srtp.server_key.bytes(),
        srtp.server_salt.bytes(),
        c_pkt
    ));
    // The same halves by sender: each side's own write key opens its packets.
    for (side, pkt) in [(Side::A, &first_srtp[0]), (Side::B, &first_srtp[1])] {
        let (p, key, salt) = d.srtp_master_of(side).unwrap();
        assert_eq!(p, profile);
        assert!(srtp_gcm_opens(
            key.bytes(),
            salt.bytes(),
            pkt.as_ref().unwrap()
        ));
    }
}

/// Differential against tshark 4.0 (`-o tls.keylog_file:`): per frame, the decrypted
/// application data and alert descriptions are the same bytes. tshark 4.0 does not decrypt
/// DTLS with ChaCha20-Poly1305 (it shows nothing for that recording), so that one is compared
/// only when tshark does produce output; every other OpenSSL recording must be compared.
/// tshark 4.0 has no DTLS 1.3 (it takes the unified-header records for undecryptable
/// application data), so the wolfSSL DTLS 1.3 recordings are left to the Finished and exporter
/// checks of `every_wolfssl_dtls13_recording_decrypts_and_exports_what_wolfssl_exported`.
#[test]
fn decrypted_application_data_and_alerts_equal_tsharks() {
    use rtcscope_testkit::tshark::frame_fields;
    let Some(tshark) = rtcscope_testkit::require_tool(
        "decrypted_application_data_and_alerts_equal_tsharks",
        "tshark",
    ) else {
        return;
    };
    let dir = rtcscope_testkit::fixtures().join("dtls");
    let mut compared = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".pcapng"))
            .map(str::to_owned)
        else {
            continue;
        };
        if expected(&name)["version"] == "dtls1.3" {
            continue;
        }
        let (pcap, keys) = fixture(&name);
        let opt = format!(
            "tls.keylog_file:{}",
            dir.join(format!("{name}.keys")).display()
        );
        let args = ["-o", opt.as_str()];
        let their_data = frame_fields(&tshark, &pcap, &args, "data");
        let their_alerts = frame_fields(&tshark, &pcap, &args, "dtls.alert_message.desc");
        let nonempty = |m: &BTreeMap<u64, Vec<String>>| -> BTreeMap<u64, Vec<String>> {
            m.iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (*k, v.clone()))
                .collect()
        };
        let (their_data, their_alerts) = (nonempty(&their_data), nonempty(&their_alerts));
        if their_data.is_empty() && their_alerts.is_empty() {
            let (d, _) = run(&pcap, &keys, 4433);
            let suite = d.revealed().cipher_suite.unwrap();
            assert_eq!(
                SuiteParams::of(suite).unwrap().cipher,
                BulkCipher::Aead(AeadAlg::ChaCha20Poly1305),
                "{name}: tshark decrypted nothing"
            );
            eprintln!("{name}: tshark 4.0 does not decrypt {suite}; not compared");
            continue;
        }
        let (_, out) = run(&pcap, &keys, 4433);
        let mut our_data: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        let mut our_alerts: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for (n, r) in &out {
            let r = r.as_ref().unwrap();
            match r.content_type {
                ContentType::APPLICATION_DATA => our_data
                    .entry(*n as u64)
                    .or_default()
                    .push(hex::encode(&r.plaintext)),
                ContentType::ALERT => our_alerts
                    .entry(*n as u64)
                    .or_default()
                    .push(r.plaintext[1].to_string()),
                _ => {}
            }
        }
        assert_eq!(our_data, their_data, "{name}: application data");
        assert_eq!(our_alerts, their_alerts, "{name}: alerts");
        compared.push(name);
    }
    assert!(compared.len() >= 5, "compared only {compared:?}");
}

/// Authentication catches every change: each single-bit flip of every protected record of
/// every recording (OpenSSL 1.0/1.2 and the DTLS 1.3 connection) is refused with an error,
/// never decrypted to something else, and leaves the decryptor able to decrypt the original.
#[test]
fn every_single_bit_flip_of_a_protected_record_is_refused() {
    let mut cases: Vec<(std::path::PathBuf, KeyLogIndex, u16)> = Vec::new();
    let dir = rtcscope_testkit::fixtures().join("dtls");
    for e in std::fs::read_dir(&dir).unwrap() {
        let n = e.unwrap().file_name().into_string().unwrap();
        if let Some(name) = n.strip_suffix(".pcapng") {
            let (pcap, keys) = fixture(name);
            cases.push((pcap, keys, 4433));
        }
    }
    if let Some(c) =
        rtcscope_testkit::corpus("every_single_bit_flip_of_a_protected_record_is_refused")
    {
        let d = c.join("illustrated-dtls13");
        let keys = KeyLogIndex::parse(&std::fs::read_to_string(d.join("keylog.txt")).unwrap());
        cases.push((d.join("capture.pcap"), keys, 8400));
    }
    let mut flips = 0;
    for (pcap, keys, port) in &cases {
        let mut d = DtlsDecryptor::default();
        for p in capture::packets(pcap) {
            let side = if p.dst.1 == *port { Side::A } else { Side::B };
            let mut probe_bits = Vec::new();
            for rec in rtcscope_dtls::record::Records::new(&p.payload, Default::default())
                .map_while(Result::ok)
            {
                if rec.protection() == rtcscope_dtls::Protection::Protected {
                    probe_bits.push(rec.range());
                }
            }
            for range in &probe_bits {
                for bit in range.start * 8..range.end * 8 {
                    let mut bad = p.payload[range.clone()].to_vec();
                    let i = bit - range.start * 8;
                    bad[i / 8] ^= 1 << (i % 8);
                    for r in d.feed(keys, side, &bad, 0) {
                        assert!(
                            r.is_err(),
                            "{}: frame {} bit {i} flipped still decrypts",
                            pcap.display(),
                            p.number
                        );
                    }
                    flips += 1;
                }
            }
            for r in d.feed(keys, side, &p.payload, 0) {
                r.unwrap_or_else(|e| panic!("{}: frame {}: {e}", pcap.display(), p.number));
            }
        }
    }
    assert!(flips > 10_000, "{flips}");
}

/// Seals `inner` (content then content type) as a DTLS 1.3 record of `epoch` and sequence
/// number `seq` under `secret`, the way RFC 9147 §4 builds it: unified header with a 16-bit
/// sequence number and a length, AEAD over the header with the clear sequence number, then
/// the sequence number masked with AES-ECB(sn_key, ciphertext[0..16]).
fn seal13(secret: &[u8], epoch: u64, seq: u16, inner: &[u8]) -> Vec<u8> {
    use aes::cipher::BlockEncrypt;
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let k = traffic_key_bytes(
        HashAlg::Sha256,
        AeadAlg::Aes128Gcm,
        LabelPrefix::Dtls13,
        secret,
    )
    .unwrap();
    let mut header = vec![0x2c | (epoch & 3) as u8];
    header.extend_from_slice(&seq.to_be_bytes());
    header.extend_from_slice(&((inner.len() + 16) as u16).to_be_bytes());
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(k.iv.bytes());
    for (n, s) in nonce[4..].iter_mut().zip(u64::from(seq).to_be_bytes()) {
        *n ^= s;
    }
    let ct = aes_gcm::Aes128Gcm::new_from_slice(k.key.bytes())
        .unwrap()
        .encrypt(
            aes_gcm::Nonce::from_slice(&nonce),
            Payload {
                msg: inner,
                aad: &header,
            },
        )
        .unwrap();
    let mut mask = aes::cipher::generic_array::GenericArray::clone_from_slice(&ct[..16]);
    aes::Aes128::new_from_slice(k.sn.bytes())
        .unwrap()
        .encrypt_block(&mut mask);
    header[1] ^= mask[0];
    header[2] ^= mask[1];
    [header, ct].concat()
}

/// A key update (RFC 9147 §8): after the Illustrated DTLS 1.3 connection, records of epoch 4
/// (keys from `HKDF-Expand-Label(secret_3, "traffic upd", "", 32)`) decrypt, the epoch becomes
/// the current one, and the next (5) follows; records of the old epoch 3 are then refused.
#[test]
fn dtls13_key_update_moves_to_the_next_epoch() {
    let Some(c) = rtcscope_testkit::corpus("dtls13_key_update_moves_to_the_next_epoch") else {
        return;
    };
    let dir = c.join("illustrated-dtls13");
    let keys = KeyLogIndex::parse(&std::fs::read_to_string(dir.join("keylog.txt")).unwrap());
    let mut d = DtlsDecryptor::default();
    let mut last_server_app = None;
    for p in capture::packets(&dir.join("capture.pcap")) {
        let side = if p.dst.1 == 8400 { Side::A } else { Side::B };
        for r in d.feed(&keys, side, &p.payload, 0) {
            if r.unwrap().content_type == ContentType::APPLICATION_DATA && side == Side::B {
                last_server_app = Some(p.payload.clone());
            }
        }
    }
    let s3 = keys
        .get(&[
            0xe0u8, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed,
            0xee, 0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb,
            0xfc, 0xfd, 0xfe, 0xff,
        ])
        .unwrap()
        .server_traffic_0
        .clone()
        .unwrap();
    let s4 = next_traffic_secret(HashAlg::Sha256, LabelPrefix::Dtls13, s3.bytes()).unwrap();
    let s5 = next_traffic_secret(HashAlg::Sha256, LabelPrefix::Dtls13, s4.bytes()).unwrap();
    for (secret, epoch, seq, text) in [
        (&s4, 4, 0u16, &b"after the first update"[..]),
        (&s4, 4, 1, b"still epoch 4"),
        (&s5, 5, 0, b"after the second update"),
    ] {
        let rec = seal13(secret.bytes(), epoch, seq, &[text, &[23]].concat());
        let out = d.feed(&keys, Side::B, &rec, 0);
        let r = out[0]
            .as_ref()
            .unwrap_or_else(|e| panic!("epoch {epoch}: {e}"));
        assert_eq!((r.epoch, r.sequence), (epoch, u64::from(seq)));
        assert_eq!(r.plaintext, text);
    }
    // The server's epoch-3 application data no longer decrypts: its keys are gone.
    let old = d.feed(&keys, Side::B, &last_server_app.unwrap(), 0);
    assert!(
        matches!(old[..], [Err(DecryptError::UnknownEpoch { epoch: 3, .. })]),
        "{old:?}"
    );
    // A record sealed with the wrong epoch's keys fails authentication.
    let wrong = seal13(s4.bytes(), 6, 0, b"x\x17");
    assert!(matches!(
        d.feed(&keys, Side::B, &wrong, 0)[..],
        [Err(DecryptError::Authentication { epoch: 6, .. })]
    ));
}

/// Two handshakes on one association (a peer restarted on the same 5-tuple): the second
/// ClientHello's new random starts over, and both handshakes' records decrypt with their own
/// keys from one merged key log.
#[test]
fn a_new_client_hello_starts_the_association_over() {
    let (first, _) = fixture("dtls12-srtp");
    let (second, _) = fixture("dtls12-aes128gcm");
    let dir = rtcscope_testkit::fixtures().join("dtls");
    let mut keys = KeyLogIndex::new();
    for n in ["dtls12-srtp", "dtls12-aes128gcm"] {
        keys.add_text(
            n,
            &std::fs::read_to_string(dir.join(format!("{n}.keys"))).unwrap(),
        );
    }
    assert_eq!(keys.len(), 2);
    let mut d = DtlsDecryptor::default();
    let mut lines = Vec::new();
    for pcap in [&first, &second] {
        for p in capture::packets(pcap) {
            let side = if p.dst.1 == 4433 { Side::A } else { Side::B };
            for r in d.feed(&keys, side, &p.payload, 0) {
                let r = r.unwrap_or_else(|e| panic!("{} frame {}: {e}", pcap.display(), p.number));
                if r.content_type == ContentType::APPLICATION_DATA {
                    lines.push(r.plaintext);
                }
            }
        }
    }
    assert_eq!(lines, [SERVER_LINE, CLIENT_LINE, SERVER_LINE, CLIENT_LINE]);
    // What is revealed is the second handshake's.
    let want = expected("dtls12-aes128gcm");
    let r = d.revealed();
    assert_eq!(
        r.leaf_fingerprint(Side::B).unwrap().to_string(),
        want["server_fingerprint"]
    );
    assert_eq!(r.application_data, [(1, 22), (1, 22)]);
}

proptest::proptest! {
    /// The fuzz body over random inputs: keyed decryptors of every setup, arbitrary datagrams.
    #[test]
    fn arbitrary_datagrams_through_a_keyed_decryptor_never_panic(
        data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)
    ) {
        rtcscope_dtls::fuzzing::dtls_decrypt(&data);
    }
}

/// The session tracker learns what DTLS 1.3 encrypts from decrypted handshake content:
/// the use_srtp choice and the certificates go from `Encrypted` to `Clear`, equal to what the
/// decryptor revealed.
#[test]
fn decrypted_handshake_content_fills_the_session_summary() {
    use rtcscope_dtls::{DtlsSession, Seen};
    let dir = rtcscope_testkit::fixtures().join("webrtc/firefox-direct");
    if !dir.join("meta.json").is_file() {
        eprintln!(
            "SKIPPED decrypted_handshake_content_fills_the_session_summary: {} not recorded",
            dir.display()
        );
        return;
    }
    let keys = KeyLogIndex::parse(&std::fs::read_to_string(dir.join("keylog.txt")).unwrap());
    let mut d = DtlsDecryptor::default();
    let mut s = DtlsSession::default();
    let mut first = None;
    for p in capture::packets(&dir.join("capture.pcapng")) {
        if !matches!(p.payload.first(), Some(20..=63)) {
            continue;
        }
        let f = first.get_or_insert_with(|| p.src.clone()).clone();
        let side = if p.src == f { Side::A } else { Side::B };
        s.feed(side, &p.payload);
        for r in d.feed(&keys, side, &p.payload, 0) {
            let r = r.unwrap();
            if r.content_type == ContentType::HANDSHAKE {
                s.handshake_content(side, &r.plaintext, 0);
            }
        }
    }
    let hs = s.handshake();
    let rv = d.revealed();
    assert_eq!(hs.version, Some(ProtocolVersion::DTLS1_3));
    assert_eq!(hs.srtp_profile, Seen::Clear(rv.srtp_profile.unwrap()));
    for side in [Side::A, Side::B] {
        let Seen::Clear(certs) = hs.certificates_of(side) else {
            panic!("{side:?}: {:?}", hs.certificates_of(side))
        };
        assert_eq!(certs, rv.certificates_of(side));
    }
    assert_eq!(hs.error_count, 0, "{:?}", hs.errors);
}
