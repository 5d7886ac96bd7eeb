//! Differential test against libsrtp, the reference implementation (through its Python
//! bindings, pylibsrtp, which `scripts/install-deps.sh` installs): for every profile both
//! libraries offer, the same master key and salt must give the same SRTP and SRTCP bytes, and
//! each side must unprotect what the other protected. SRTP is deterministic (the keystream and
//! the AEAD nonce come from the key, SSRC and index), so equal ciphertexts check the RFC 3711
//! §4.3 key derivation, the ciphers, the tags and the rollover counter through a sequence
//! number wrap against another implementation, not only against the RFCs' few vectors.

use rtcscope_srtp::{ContextConfig, MasterKey, ProfileKeyLengths, SrtpContext, SrtpProfile};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const PROFILES: [SrtpProfile; 4] = [
    SrtpProfile::Aes128CmHmacSha1_80,
    SrtpProfile::Aes128CmHmacSha1_32,
    SrtpProfile::AeadAes128Gcm,
    SrtpProfile::AeadAes256Gcm,
];

/// Master key || salt of `profile`, varied by `seed`.
fn key_salt(profile: SrtpProfile, seed: u8) -> Vec<u8> {
    let n = profile.master_key_len() + profile.master_salt_len();
    (0..n)
        .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed).rotate_left(3) ^ 0x5a)
        .collect()
}

/// RTP packets of two SSRCs, the first wrapping its sequence number (65,500 → 43), with a CSRC,
/// a header extension and padding on some, payload sizes from 1 to about 1,200 bytes.
fn rtp_packets() -> Vec<(Vec<u8>, u32)> {
    let mut out = Vec::new();
    for i in 0..80u32 {
        let (ssrc, seq) = if i % 4 == 3 {
            (0x0bad_cafe_u32, 1000 + i as u16)
        } else {
            (0x1122_3344, 65_500u16.wrapping_add(i as u16))
        };
        let roc = u32::from(ssrc == 0x1122_3344 && i >= 36);
        let mut p = vec![0x80, 96 | if i % 10 == 0 { 0x80 } else { 0 }];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&(i * 3000).to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        if i % 5 == 1 {
            p[0] |= 1;
            p.extend_from_slice(&0xfeed_f00d_u32.to_be_bytes());
        }
        if i % 3 == 0 {
            p[0] |= 0x10;
            p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x22, 1, 2, 3]);
        }
        let len = 1 + (i as usize * 151) % 1200;
        p.extend((0..len).map(|b| (b as u8) ^ (i as u8)));
        if i % 7 == 2 {
            p[0] |= 0x20;
            p.extend_from_slice(&[0, 0, 3]);
        }
        out.push((p, roc));
    }
    out
}

/// Compound RTCP packets: a sender report with one report block, then SDES CNAME.
fn rtcp_packets() -> Vec<Vec<u8>> {
    (0..12u32)
        .map(|i| {
            let mut p = vec![0x81, 200, 0, 12];
            p.extend_from_slice(&0x1122_3344_u32.to_be_bytes());
            p.extend((0..20).map(|b: u32| (b * 7 + i) as u8));
            p.extend_from_slice(&0x0bad_cafe_u32.to_be_bytes());
            p.extend((0..20).map(|b: u32| (b * 11 + i) as u8));
            p.extend_from_slice(&[0x81, 202, 0, 4]);
            p.extend_from_slice(&0x1122_3344_u32.to_be_bytes());
            p.extend_from_slice(&[1, 6, b'r', b't', b'c', b's', b'c', b'p', 0, 0]);
            p
        })
        .collect()
}

fn hexes(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|s| {
            let s = s.as_str().expect("a string");
            hex::decode(s).unwrap_or_else(|_| panic!("libsrtp refused a packet: {s}"))
        })
        .collect()
}

fn libsrtp(python: &Path, request: &Value) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/libsrtp.py");
    let out = rtcscope_testkit::run_with_stdin(
        Command::new(python).arg(&script),
        request.to_string().as_bytes(),
    );
    assert!(
        out.status.success(),
        "libsrtp.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("libsrtp.py writes JSON")
}

fn python() -> Option<PathBuf> {
    rtcscope_testkit::require_python_module("srtp libsrtp differential", "pylibsrtp")
}

#[test]
fn protection_is_byte_for_byte_libsrtps_and_each_unprotects_the_other() {
    let Some(python) = python() else { return };
    let rtp = rtp_packets();
    let rtcp = rtcp_packets();
    for profile in PROFILES {
        for seed in [0u8, 0x9c] {
            let name = profile.sdes_name();
            let ks = key_salt(profile, seed);
            let key = MasterKey::from_key_salt(profile, &ks).unwrap();
            let mut ours = SrtpContext::new(&key, ContextConfig::default());

            // Our protection, RTP with the rollover counter the sender keeps, RTCP with the
            // index libsrtp's sender uses (it counts from 1; read back from its trailer below).
            let our_rtp: Vec<Vec<u8>> = rtp
                .iter()
                .map(|(p, roc)| {
                    let mut out = vec![0; ours.protected_rtp_len(p.len())];
                    let n = ours.protect_rtp(p, *roc, &mut out).unwrap();
                    out.truncate(n);
                    out
                })
                .collect();
            let request = json!({
                "profile": name,
                "key": hex::encode(&ks),
                "protect_rtp": rtp.iter().map(|(p, _)| hex::encode(p)).collect::<Vec<_>>(),
                "protect_rtcp": rtcp.iter().map(hex::encode).collect::<Vec<_>>(),
                "unprotect_rtp": our_rtp.iter().map(hex::encode).collect::<Vec<_>>(),
            });
            let theirs = libsrtp(&python, &request);

            let their_rtp = hexes(&theirs["protect_rtp"]);
            assert_eq!(their_rtp.len(), rtp.len());
            for (i, (mine, theirs)) in our_rtp.iter().zip(&their_rtp).enumerate() {
                assert_eq!(
                    hex::encode(mine),
                    hex::encode(theirs),
                    "{name} seed {seed}: SRTP packet {i} differs from libsrtp's"
                );
            }
            // libsrtp unprotects ours (same bytes, but its receiver also estimates the ROC).
            for (i, (plain, back)) in rtp.iter().zip(hexes(&theirs["unprotect_rtp"])).enumerate() {
                assert_eq!(
                    back, plain.0,
                    "{name}: libsrtp unprotected packet {i} wrongly"
                );
            }
            // We unprotect libsrtp's, following the wrap.
            let mut buf = vec![0u8; 2048];
            for (i, (srtp, (plain, roc))) in their_rtp.iter().zip(&rtp).enumerate() {
                let u = ours
                    .unprotect_rtp(srtp, &mut buf)
                    .unwrap_or_else(|e| panic!("{name}: libsrtp's packet {i}: {e}"));
                assert_eq!(&buf[..u.len], &plain[..], "{name}: packet {i}");
                assert_eq!(u.roc, *roc, "{name}: packet {i}'s rollover counter");
            }

            // SRTCP: libsrtp's bytes are ours at the index its trailer carries (E set). The
            // E||index word precedes the tag of an HMAC profile (RFC 3711 §3.4) and follows the
            // tag of an AEAD one (RFC 7714 §9.1).
            let their_rtcp = hexes(&theirs["protect_rtcp"]);
            assert_eq!(their_rtcp.len(), rtcp.len());
            let tag = profile.srtcp_tag_len();
            let mut our_rtcp = Vec::new();
            for (i, (plain, srtcp)) in rtcp.iter().zip(&their_rtcp).enumerate() {
                let end = if profile.is_aead() {
                    srtcp.len()
                } else {
                    srtcp.len() - tag
                };
                let trailer = &srtcp[end - 4..end];
                let word = u32::from_be_bytes(trailer.try_into().unwrap());
                assert_eq!(word >> 31, 1, "{name}: libsrtp encrypts SRTCP");
                let index = word & 0x7fff_ffff;
                let mut out = vec![0; ours.protected_rtcp_len(plain.len())];
                let n = ours.protect_rtcp(plain, index, true, &mut out).unwrap();
                out.truncate(n);
                assert_eq!(
                    hex::encode(&out),
                    hex::encode(srtcp),
                    "{name} seed {seed}: SRTCP packet {i} (index {index}) differs from libsrtp's"
                );
                let u = ours
                    .unprotect_rtcp(srtcp, &mut buf)
                    .unwrap_or_else(|e| panic!("{name}: libsrtp's SRTCP {i}: {e}"));
                assert_eq!(&buf[..u.len], &plain[..], "{name}: SRTCP {i}");
                assert_eq!((u.index, u.encrypted), (index, true));
                our_rtcp.push(out);
            }
            let back = libsrtp(
                &python,
                &json!({
                    "profile": name,
                    "key": hex::encode(&ks),
                    "unprotect_rtcp": our_rtcp.iter().map(hex::encode).collect::<Vec<_>>(),
                }),
            );
            for (i, (plain, back)) in rtcp.iter().zip(hexes(&back["unprotect_rtcp"])).enumerate() {
                assert_eq!(
                    &back, plain,
                    "{name}: libsrtp unprotected our SRTCP {i} wrongly"
                );
            }
        }
    }
}

#[test]
fn a_wrong_key_fails_on_both_sides() {
    let Some(python) = python() else { return };
    let profile = SrtpProfile::Aes128CmHmacSha1_80;
    let (plain, _) = rtp_packets().swap_remove(1);
    let theirs = libsrtp(
        &python,
        &json!({
            "profile": profile.sdes_name(),
            "key": hex::encode(key_salt(profile, 1)),
            "protect_rtp": [hex::encode(&plain)],
        }),
    );
    let srtp = hexes(&theirs["protect_rtp"]).remove(0);
    // One bit of the master salt differs: the derived keys differ.
    let mut ks = key_salt(profile, 1);
    *ks.last_mut().unwrap() ^= 1;
    let mut ours = SrtpContext::new(
        &MasterKey::from_key_salt(profile, &ks).unwrap(),
        ContextConfig::default(),
    );
    let mut buf = vec![0u8; 2048];
    assert!(ours.unprotect_rtp(&srtp, &mut buf).is_err());
    let back = libsrtp(
        &python,
        &json!({"profile": profile.sdes_name(), "key": hex::encode(&ks),
                "unprotect_rtp": [hex::encode(&srtp)]}),
    );
    let verdict = back["unprotect_rtp"][0].as_str().unwrap();
    assert!(
        verdict.starts_with("error"),
        "libsrtp accepted it: {verdict}"
    );
}
