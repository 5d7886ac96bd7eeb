//! Differential test against tshark 4.0 (suite `dtls-vs-tshark`): per frame, record count,
//! content types, record versions, handshake types, cipher suites, use_srtp profiles and
//! extension types in order; per capture, the number of certificates.
//!
//! DTLS 1.3 captures are left out: tshark 4.0 cannot dissect the unified header (it shows
//! those records as data), so there is nothing to compare against.

use rtcscope_testkit::capture_frames as capture;

use rtcscope_dtls::ext::ExtensionBody;
use rtcscope_dtls::handshake::{HandshakeFragments, Message, MessageContext};
use rtcscope_dtls::record::{RecordOptions, Records};
use rtcscope_dtls::{looks_like_dtls, ContentType, ExtensionType, Protection, Reassembler};
use rtcscope_testkit::tshark::{all_values, frame_fields, frames};
use rtcscope_testkit::{corpus, require_tool, Expectations};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Default, Debug, PartialEq)]
struct View {
    records: Vec<String>,
    versions: Vec<String>,
    handshake_types: Vec<String>,
    cipher_suites: Vec<String>,
    srtp_profiles: Vec<String>,
    extension_types: Vec<String>,
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    all_values(v, key, &mut out);
    out.iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn theirs(layers: &Value) -> Option<View> {
    let dtls = layers.get("dtls")?;
    Some(View {
        records: strings(dtls, "dtls.record.content_type"),
        versions: strings(dtls, "dtls.record.version"),
        handshake_types: strings(dtls, "dtls.handshake.type"),
        cipher_suites: strings(dtls, "dtls.handshake.ciphersuite"),
        srtp_profiles: strings(dtls, "dtls.use_srtp.protection_profile"),
        extension_types: strings(dtls, "dtls.handshake.extension.type"),
    })
}

/// Our view of one datagram; complete messages (whole or reassembled) contribute their
/// suites, profiles, extensions and certificates.
fn ours(d: &[u8], reasm: &mut Reassembler, certs: &mut usize, ctx: &mut MessageContext) -> View {
    let mut v = View::default();
    for rec in Records::new(d, RecordOptions::default()) {
        let Ok(rec) = rec else { break };
        v.records.push(
            rec.content_type()
                .map(|c| c.0.to_string())
                .unwrap_or_default(),
        );
        v.versions.push(
            rec.version()
                .map(|x| format!("0x{:04x}", x.0))
                .unwrap_or_default(),
        );
        if rec.protection() != Protection::Plaintext
            || rec.content_type() != Some(ContentType::HANDSHAKE)
        {
            continue;
        }
        for f in HandshakeFragments::new(rec.fragment(), 0).map_while(Result::ok) {
            v.handshake_types.push(f.msg_type.0.to_string());
            let Ok(rtcscope_dtls::Outcome::Complete(m)) = reasm.feed(&f) else {
                continue;
            };
            match Message::parse(m.msg_type, &m.body, 0, ctx) {
                Ok(Message::ClientHello(ch)) => {
                    v.cipher_suites
                        .extend(ch.cipher_suites.iter().map(|c| format!("0x{:04x}", c.0)));
                    for e in ch.extensions().map_while(Result::ok) {
                        v.extension_types.push(e.ext_type.0.to_string());
                        if let Ok(ExtensionBody::UseSrtp(u)) =
                            e.body(rtcscope_dtls::ExtensionContext::ClientHello)
                        {
                            v.srtp_profiles
                                .extend(u.profiles.iter().map(|p| format!("0x{:04x}", p.0)));
                        }
                    }
                }
                Ok(Message::ServerHello(sh)) => {
                    *ctx = MessageContext {
                        version: sh.negotiated_version(),
                        cipher_suite: Some(sh.cipher_suite),
                    };
                    v.cipher_suites.push(format!("0x{:04x}", sh.cipher_suite.0));
                    for e in sh.extensions().map_while(Result::ok) {
                        v.extension_types.push(e.ext_type.0.to_string());
                    }
                    if let Some(Ok(ExtensionBody::UseSrtp(u))) =
                        sh.extension(ExtensionType::USE_SRTP)
                    {
                        v.srtp_profiles
                            .extend(u.profiles.iter().map(|p| format!("0x{:04x}", p.0)));
                    }
                }
                Ok(Message::Certificate(c)) => *certs += c.entries().count(),
                _ => {}
            }
        }
    }
    v
}

fn compare(exp: &Expectations, tshark: &Path, pcap: &Path, rel: &str, args: &[&str]) -> usize {
    let tf = frames(tshark, pcap, args);
    let ext_order = frame_fields(tshark, pcap, args, "dtls.handshake.extension.type");
    let mine = capture::packets(pcap);
    let by_num: BTreeMap<usize, &capture::Packet> = mine.iter().map(|p| (p.number, p)).collect();
    // One reassembler per direction (source endpoint).
    let mut reasm: BTreeMap<(String, u16), Reassembler> = BTreeMap::new();
    let mut ctx = MessageContext::default();
    let (mut our_certs, mut compared) = (0, 0);
    let mut their_certs = 0;
    for f in &tf {
        let Some(p) = by_num.get(&(f.number as usize)) else {
            continue;
        };
        let t = theirs(&f.layers);
        if !looks_like_dtls(&p.payload) {
            assert!(
                t.is_none(),
                "{rel}#{}: tshark sees DTLS where the classifier does not",
                f.number
            );
            continue;
        }
        let r = reasm.entry(p.src.clone()).or_default();
        let o = ours(&p.payload, r, &mut our_certs, &mut ctx);
        let Some(mut t) = t else {
            exp.failure(
                &format!("{rel}#{}", f.number),
                "dtls",
                "not-dissected",
                "tshark did not dissect this datagram as DTLS",
            );
            continue;
        };
        t.extension_types = ext_order.get(&f.number).cloned().unwrap_or_default();
        their_certs += strings(&f.layers["dtls"], "dtls.handshake.certificate").len();
        compared += 1;
        for (field, a, b) in [
            ("content types", &o.records, &t.records),
            ("versions", &o.versions, &t.versions),
            ("handshake types", &o.handshake_types, &t.handshake_types),
            ("cipher suites", &o.cipher_suites, &t.cipher_suites),
            ("srtp profiles", &o.srtp_profiles, &t.srtp_profiles),
            ("extension types", &o.extension_types, &t.extension_types),
        ] {
            if a != b {
                exp.failure(
                    &format!("{rel}#{}", f.number),
                    field,
                    "differs",
                    &format!("ours {a:?} tshark {b:?}"),
                );
            }
        }
    }
    assert_eq!(our_certs, their_certs, "{rel}: certificates");
    compared
}

#[test]
fn dtls_vs_tshark() {
    let Some(tshark) = require_tool("dtls_vs_tshark", "tshark") else {
        return;
    };
    let exp = Expectations::load("dtls-vs-tshark");
    let fixtures = rtcscope_testkit::fixtures();
    for name in ["dtls12-srtp", "dtls10-srtp"] {
        let rel = format!("fixtures/dtls/{name}.pcapng");
        let n = compare(
            &exp,
            &tshark,
            &fixtures.join(format!("dtls/{name}.pcapng")),
            &rel,
            &["-d", "udp.port==4433,dtls"],
        );
        assert!(n >= 10, "{rel}: {n} frames compared");
    }
    if let Some(root) = corpus("dtls_vs_tshark") {
        for rel in [
            "zeek/dtls1_0.pcap",
            "zeek/dtls1_2.pcap",
            "zeek/webrtc-stun.pcap",
            "zeek/dtls-sequence-number-jumps.pcap",
        ] {
            let n = compare(&exp, &tshark, &root.join(rel), rel, &[]);
            assert!(n >= 4, "{rel}: {n} frames compared");
        }
    }
    exp.finish();
}
