//! RFC vectors: RFC 7714 §16 (SRTP) and §17 (SRTCP) AEAD_AES_128_GCM / AEAD_AES_256_GCM
//! examples, both directions (protect gives the RFC's bytes, unprotect gives the plaintext
//! back), and the corpus's `rfc-vectors/srtp` set (RFC 3711 B.3, RFC 6188 §7 KDF; RFC 7714
//! packets) when the corpus is present.

use rtcscope_rtp::rtcp::parse_compound;
use rtcscope_rtp::rtp::RtpPacket;
use rtcscope_srtp::{
    derive_session_key, AuthFailure, ContextConfig, MasterKey, RawSessionKeys, SessionKeys,
    SrtpContext, SrtpError, SrtpProfile,
};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

// RFC 7714 §16.1 / §17.1: the RTP and RTCP plaintexts ("Gallia est omnis divisa in partes
// tres"; an SR with DEADBEEF filler).
const RTP_PLAIN: &str = "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e6973206469766973\
                         6120696e207061727465732074726573";
const RTCP_PLAIN: &str = "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61dead\
                          beefdeadbeefdeadbeefdeadbeefdeadbeef";
// RFC 7714 §16.1.1: AEAD_AES_128_GCM SRTP; §16.2.1: AEAD_AES_256_GCM SRTP.
const SRTP_GCM128: &str = "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e\
                           6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce";
const SRTP_GCM256: &str = "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab18012389a58e2\
                           f3b50b2a0276ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13";
// RFC 7714 §17.1.1 / §17.2.1: SRTCP with SRTCP index 0x5d4 (1492), E = 1.
const SRTCP_GCM128: &str = "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5\
                            f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4";
const SRTCP_GCM256: &str = "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5\
                            c1110555be8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be800005d4";
// RFC 7714 §12 example keys: key 000102…, salt "Quid pro quo" (session keys, no KDF).
const KEY128: &str = "000102030405060708090a0b0c0d0e0f";
const KEY256: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SALT: &str = "517569642070726f2071756f";

fn gcm_context(profile: SrtpProfile, key: &str, salt: &str) -> SrtpContext {
    let (k, s) = (h(key), h(salt));
    let raw = RawSessionKeys {
        key: &k,
        auth: &[],
        salt: &s,
    };
    let keys = SessionKeys::from_raw(profile, raw, raw).unwrap();
    SrtpContext::from_session_keys(&keys, None, ContextConfig::default())
}

fn rfc7714_case(profile: SrtpProfile, key: &str, srtp: &str, srtcp: &str) {
    let mut ctx = gcm_context(profile, key, SALT);
    let mut out = [0u8; 128];

    // Protect gives the RFC's packet, byte for byte.
    let n = ctx.protect_rtp(&h(RTP_PLAIN), 0, &mut out).unwrap();
    assert_eq!(hex::encode(&out[..n]), srtp.replace(' ', ""));
    let n = ctx
        .protect_rtcp(&h(RTCP_PLAIN), 1492, true, &mut out)
        .unwrap();
    assert_eq!(hex::encode(&out[..n]), srtcp);

    // Unprotect gives the plaintext back, which parses.
    let got = ctx.unprotect_rtp(&h(srtp), &mut out).unwrap();
    assert_eq!(hex::encode(&out[..got.len]), RTP_PLAIN);
    assert_eq!((got.roc, got.seq, got.ssrc), (0, 0xf17b, 0x5501a0b2));
    RtpPacket::new_checked(&out[..got.len]).unwrap();
    let got = ctx.unprotect_rtcp(&h(srtcp), &mut out).unwrap();
    assert_eq!(hex::encode(&out[..got.len]), RTCP_PLAIN);
    assert_eq!((got.index, got.encrypted), (1492, true));
    // RFC 7714's example SR says 13 words in its length field but is 52 bytes: the RFC's
    // plaintext is compared byte for byte above, and the parser rightly refuses it.
    assert!(parse_compound(&out[..got.len], false).is_err());

    // One flipped bit anywhere (header, ciphertext, tag, index) fails authentication.
    for pkt in [h(srtp), h(srtcp)] {
        for i in 0..pkt.len() {
            let mut bad = pkt.clone();
            bad[i] ^= 0x10;
            let r = if pkt.len() == 66 {
                ctx.unprotect_rtp(&bad, &mut out).map(|u| u.len)
            } else {
                ctx.unprotect_rtcp(&bad, &mut out).map(|u| u.len)
            };
            assert!(r.is_err(), "byte {i} flipped and still accepted");
            assert!(
                out.iter().all(|&b| b == 0),
                "refused packet left bytes in out"
            );
        }
    }
}

#[test]
fn rfc7714_aead_aes_128_gcm() {
    rfc7714_case(
        SrtpProfile::AeadAes128Gcm,
        KEY128,
        SRTP_GCM128,
        SRTCP_GCM128,
    );
}

#[test]
fn rfc7714_aead_aes_256_gcm() {
    rfc7714_case(
        SrtpProfile::AeadAes256Gcm,
        KEY256,
        SRTP_GCM256,
        SRTCP_GCM256,
    );
}

#[test]
fn gcm_with_wrong_key_says_wrong_key() {
    let mut ctx = gcm_context(
        SrtpProfile::AeadAes128Gcm,
        &KEY128.replace("0f", "ff"),
        SALT,
    );
    let mut out = [0u8; 128];
    let e = ctx.unprotect_rtp(&h(SRTP_GCM128), &mut out).unwrap_err();
    assert!(
        matches!(
            e,
            SrtpError::AuthFailed {
                ssrc: 0x5501a0b2,
                reason: AuthFailure::WrongKey { roc_min: 0, .. }
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("wrong key"), "{e}");
    assert_eq!(ctx.stats().auth_failures, 1);
}

/// The corpus's vector file (every value there recomputed by its collector with python
/// `cryptography`): the KDF vectors through this crate's KDF, the packets through the contexts.
#[test]
fn corpus_rfc_vectors() {
    let Some(corpus) = rtcscope_testkit::corpus("corpus_rfc_vectors") else {
        return;
    };
    let dir = corpus.join("rfc-vectors/srtp");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("srtp_vectors.json")).unwrap()).unwrap();
    let hv = |v: &serde_json::Value, k: &str| h(v[k].as_str().unwrap());
    for case in ["rfc3711_appendixB3_aes128_kdf", "rfc6188_sec7_aes256_kdf"] {
        let v = &json[case];
        let (mk, ms) = (hv(v, "master_key"), hv(v, "master_salt"));
        for (label, name) in [
            (0u8, "srtp_cipher_key"),
            (1, "srtp_auth_key"),
            (2, "srtp_salt"),
            (3, "srtcp_cipher_key"),
            (4, "srtcp_auth_key"),
            (5, "srtcp_salt"),
        ] {
            let want = hv(v, name);
            let mut got = vec![0u8; want.len()];
            derive_session_key(&mk, &ms, label, &mut got).unwrap();
            assert_eq!(got, want, "{case} {name}");
        }
        if case.contains("aes128") {
            let keys = MasterKey::new(SrtpProfile::Aes128CmHmacSha1_80, &mk, &ms)
                .unwrap()
                .derive();
            assert_eq!(keys.srtcp_key(), hv(v, "srtcp_cipher_key"));
            assert_eq!(keys.srtcp_auth_key(), hv(v, "srtcp_auth_key"));
            assert_eq!(keys.srtcp_salt(), hv(v, "srtcp_salt"));
        }
    }
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    for (case, profile, prefix) in [
        (
            "rfc7714_aead_aes_128_gcm",
            SrtpProfile::AeadAes128Gcm,
            "rfc7714_aes128gcm",
        ),
        (
            "rfc7714_aead_aes_256_gcm",
            SrtpProfile::AeadAes256Gcm,
            "rfc7714_aes256gcm",
        ),
    ] {
        let v = &json[case];
        let mut ctx = gcm_context(
            profile,
            v["session_key"].as_str().unwrap(),
            v["session_salt"].as_str().unwrap(),
        );
        let mut out = [0u8; 128];
        let got = ctx
            .unprotect_rtp(&read(&format!("{prefix}_srtp_packet.bin")), &mut out)
            .unwrap();
        assert_eq!(out[..got.len], read("rfc7714_rtp_plaintext.bin"));
        let got = ctx
            .unprotect_rtcp(&read(&format!("{prefix}_srtcp_packet.bin")), &mut out)
            .unwrap();
        assert_eq!(out[..got.len], read("rfc7714_rtcp_plaintext.bin"));
        assert_eq!(u64::from(got.index), v["srtcp_index"].as_u64().unwrap());
    }
}
