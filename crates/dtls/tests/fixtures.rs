//! The project's own DTLS recordings (fixtures/dtls, made by fixtures/dtls/record.sh with
//! Debian's OpenSSL 3.0): the handshake parses, the server's use_srtp choice is the configured
//! one, and the certificate fingerprints computed from the Certificate messages equal what
//! `openssl x509 -fingerprint -sha256` printed for the generated certificates.

use rtcscope_testkit::capture_frames as capture;

use rtcscope_dtls::handshake::{HandshakeFragments, Message, MessageContext};
use rtcscope_dtls::keylog::{KeyLog, KeyLogLabel};
use rtcscope_dtls::record::{RecordOptions, Records};
use rtcscope_dtls::{ContentType, DtlsSession, HandshakeType, ProtocolVersion, Seen, Side};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn expected(name: &str) -> BTreeMap<String, String> {
    let path = rtcscope_testkit::fixtures().join(format!("dtls/{name}.expected"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn pcap(name: &str) -> PathBuf {
    rtcscope_testkit::fixtures().join(format!("dtls/{name}.pcapng"))
}

/// Feeds the recording into a session; the client sends from an ephemeral port, the server
/// listens on 4433 (record.sh's PORT).
fn session(name: &str) -> (DtlsSession, Vec<u8>) {
    let mut s = DtlsSession::default();
    let mut client_random = Vec::new();
    let pkts = capture::packets(&pcap(name));
    assert!(pkts.len() >= 8, "{name}: {} packets", pkts.len());
    for p in &pkts {
        let side = if p.dst.1 == 4433 { Side::A } else { Side::B };
        assert!(rtcscope_dtls::looks_like_dtls(&p.payload));
        let n = s.feed(side, &p.payload);
        assert!(n >= 1, "{name} frame {}", p.number);
        for rec in Records::new(&p.payload, RecordOptions::default()) {
            let rec = rec.unwrap();
            if rec.content_type() != Some(ContentType::HANDSHAKE) || rec.fragment().len() < 50 {
                continue;
            }
            for f in HandshakeFragments::new(rec.fragment(), 0).map_while(Result::ok) {
                if f.msg_type == HandshakeType::CLIENT_HELLO && f.is_complete() {
                    if let Ok(Message::ClientHello(ch)) =
                        Message::parse(f.msg_type, f.body.bytes, 0, &MessageContext::default())
                    {
                        client_random = ch.random.bytes.to_vec();
                    }
                }
            }
        }
    }
    (s, client_random)
}

fn check(name: &str, version: ProtocolVersion) {
    let want = expected(name);
    let (s, client_random) = session(name);
    let hs = s.handshake();
    assert_eq!(hs.errors, vec![], "{name}");
    assert_eq!(hs.client, Some(Side::A));
    assert_eq!(hs.version, Some(version), "{name}");
    assert!(
        hs.hello_verify_request,
        "{name}: OpenSSL's server sends a cookie"
    );
    assert_eq!(hs.client_hellos, 2);
    let Seen::Clear(profile) = hs.srtp_profile else {
        panic!("{name}: srtp profile {:?}", hs.srtp_profile)
    };
    assert_eq!(
        Some(want["srtp_profile"].as_str()),
        profile.openssl_name(),
        "{name}"
    );
    assert!(hs.offered_srtp_profiles.contains(&profile));
    let fp = |side| match hs.certificates_of(side) {
        Seen::Clear(c) => c[0].sha256.to_string(),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(
        fp(Side::B),
        want["server_fingerprint"],
        "{name}: server certificate"
    );
    assert_eq!(
        fp(Side::A),
        want["client_fingerprint"],
        "{name}: client certificate"
    );
    // Both close with an (encrypted) close_notify after the application data.
    assert_eq!(
        hs.alerts
            .iter()
            .filter(|a| a.alert == Seen::Encrypted)
            .count(),
        2
    );
    assert_eq!(hs.handshake_retransmissions, [0, 0]);

    // The key log belongs to this handshake: its CLIENT_RANDOM is the ClientHello's random.
    let keys =
        std::fs::read_to_string(rtcscope_testkit::fixtures().join(format!("dtls/{name}.keys")))
            .unwrap();
    let log = KeyLog::parse(&keys);
    assert!(log.errors.is_empty());
    let ms = log.secret(&KeyLogLabel::ClientRandom, &client_random);
    assert_eq!(
        ms.map(<[u8]>::len),
        Some(48),
        "{name}: master secret for the ClientHello random"
    );
}

#[test]
fn dtls12_recording() {
    check("dtls12-srtp", ProtocolVersion::DTLS1_2);
}

#[test]
fn dtls10_recording_with_fragmented_certificate() {
    check("dtls10-srtp", ProtocolVersion::DTLS1_0);
    // OpenSSL fragmented the server's flight at DTLS 1.0: reassembly was needed.
    let mut fragments = 0;
    for p in capture::packets(&pcap("dtls10-srtp")) {
        for rec in Records::new(&p.payload, RecordOptions::default()).map_while(Result::ok) {
            if rec.content_type() == Some(ContentType::HANDSHAKE)
                && rec.protection() == rtcscope_dtls::Protection::Plaintext
            {
                fragments += HandshakeFragments::new(rec.fragment(), 0)
                    .map_while(Result::ok)
                    .filter(|f| !f.is_complete())
                    .count();
            }
        }
    }
    assert!(fragments >= 3, "{fragments} partial fragments");
}
