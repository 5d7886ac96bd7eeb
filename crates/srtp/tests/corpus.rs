//! Real SDES-SRTP captures with known keys (corpus `veondigital-srtp_decoder` and
//! `membrane_rtp_plugin`, see the corpus MANIFEST): every SRTP and SRTCP packet of a keyed SSRC
//! authenticates, and its plaintext parses as RTP / compound RTCP with rtcscope-rtp.
//!
//! Packets are taken from UDP, including TURN ChannelData and Send/Data indications over UDP;
//! captures whose media goes over TCP (`tcp_call_*`, `wifi-tcp_to_3g*.pcap`) are not read here
//! (the tiny test reader does no TCP reassembly; the UDP leg of the coturn dump is).
//!
//! As the engine will, the test makes one context per (flow direction, key): the same packet
//! seen on the client→relay and the relay→peer leg is decrypted by two contexts.

use rtcscope_rtp::rtcp::parse_compound;
use rtcscope_rtp::rtp::RtpPacket;
use rtcscope_srtp::{
    parse_crypto_attribute, parse_srtp_key, AuthFailure, ContextConfig, MasterKey, Replay,
    SrtpContext, SrtpError,
};
use rtcscope_testkit::capture_frames::packets;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The media inside a UDP payload: itself, or the data of TURN ChannelData or of a
/// Send/Data indication.
fn media(payload: &[u8]) -> Option<&[u8]> {
    let first = *payload.first()?;
    if (0x40..=0x7f).contains(&first) && payload.len() >= 4 {
        let len = usize::from(u16::from_be_bytes([payload[2], payload[3]]));
        return payload.get(4..4 + len);
    }
    if first >> 6 == 0 && payload.len() >= 20 && payload[4..8] == [0x21, 0x12, 0xa4, 0x42] {
        let ty = u16::from_be_bytes([payload[0], payload[1]]);
        if ty != 0x0016 && ty != 0x0017 {
            return None;
        }
        let mut p = 20;
        while p + 4 <= payload.len() {
            let at = u16::from_be_bytes([payload[p], payload[p + 1]]);
            let len = usize::from(u16::from_be_bytes([payload[p + 2], payload[p + 3]]));
            if at == 0x0013 {
                return payload.get(p + 4..p + 4 + len);
            }
            p += 4 + len.div_ceil(4) * 4;
        }
        return None;
    }
    (first >> 6 == 2).then_some(payload)
}

#[derive(Default, Debug)]
struct Counts {
    rtp: BTreeMap<u32, usize>,
    rtcp: usize,
    duplicates: usize,
    /// Packets of an SSRC without a key of its own, decrypted with their direction's key.
    other_ssrc: usize,
    /// Packets of a direction whose key is unknown.
    unkeyed: usize,
}

/// Decrypts every keyed packet of `file`; panics on the first that fails.
fn run(file: &Path, keys: &HashMap<u32, MasterKey>, any_ssrc: Option<&MasterKey>) -> Counts {
    type Dir = ((String, u16), (String, u16));
    let mut contexts: HashMap<(Dir, u32), SrtpContext> = HashMap::new();
    let mut flow_key: HashMap<Dir, u32> = HashMap::new();
    let mut counts = Counts::default();
    let mut out = vec![0u8; 2048];
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    for pkt in packets(file).into_iter().filter(|p| p.proto == 17) {
        let Some(m) = media(&pkt.payload) else {
            continue;
        };
        if m.len() < 12 || m[0] >> 6 != 2 {
            continue;
        }
        let is_rtcp = (192..=223).contains(&m[1]);
        let ssrc = if is_rtcp {
            u32::from_be_bytes([m[4], m[5], m[6], m[7]])
        } else {
            u32::from_be_bytes([m[8], m[9], m[10], m[11]])
        };
        // The context is per direction and key, as the engine's will be. SDES keys here are
        // per sending SSRC, so the key's SSRC names it; a packet of another SSRC (an RTCP
        // receiver report from libwebrtc's default SSRC 0xfa17fa17) uses the key of its
        // direction, learned from that direction's keyed packets.
        let dir = (pkt.src.clone(), pkt.dst.clone());
        let key_id = if keys.contains_key(&ssrc) {
            Some(ssrc)
        } else if any_ssrc.is_some() {
            Some(0)
        } else {
            flow_key.get(&dir).copied()
        };
        let Some(key_id) = key_id else {
            counts.unkeyed += 1;
            continue;
        };
        flow_key.insert(dir.clone(), key_id);
        let key = keys.get(&key_id).or(any_ssrc).unwrap();
        let ctx = contexts
            .entry((dir, key_id))
            .or_insert_with(|| SrtpContext::new(key, ContextConfig::default()));
        let at = format!("{name} frame {} SSRC {ssrc:#010x}", pkt.number);
        let replay = if is_rtcp {
            let r = ctx
                .unprotect_rtcp(m, &mut out)
                .unwrap_or_else(|e| panic!("{at}: SRTCP: {e}"));
            parse_compound(&out[..r.len], false)
                .unwrap_or_else(|e| panic!("{at}: decrypted RTCP does not parse: {e}"));
            counts.rtcp += 1;
            counts.other_ssrc += usize::from(key_id != ssrc && key_id != 0);
            r.replay
        } else {
            let r = ctx
                .unprotect_rtp(m, &mut out)
                .unwrap_or_else(|e| panic!("{at}: SRTP: {e}"));
            let rtp = RtpPacket::new_checked(&out[..r.len])
                .unwrap_or_else(|e| panic!("{at}: decrypted RTP does not parse: {e}"));
            rtp.validate_extensions()
                .unwrap_or_else(|e| panic!("{at}: decrypted RTP extensions: {e}"));
            assert_eq!(rtp.ssrc(), ssrc);
            *counts.rtp.entry(ssrc).or_default() += 1;
            counts.other_ssrc += usize::from(key_id != ssrc && key_id != 0);
            r.replay
        };
        if replay != Replay::Fresh {
            counts.duplicates += 1;
        }
    }
    for c in contexts.values() {
        let s = c.stats();
        assert_eq!(s.auth_failures, 0, "{name}: {s:?}");
    }
    eprintln!("{name}: {counts:?}");
    counts
}

/// `SRTP_KEYS_from_test_scripts.txt`: per capture, SSRC_A/SSRC_B and SSTP_A/SSTP_B (inline
/// key||salt, AES_CM_128_HMAC_SHA1_80).
fn script_keys(text: &str) -> HashMap<String, HashMap<u32, MasterKey>> {
    let mut out: HashMap<String, HashMap<u32, MasterKey>> = HashMap::new();
    let mut file = String::new();
    let mut ssrcs: HashMap<String, u32> = HashMap::new();
    for line in text.lines().map(str::trim) {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim_matches('"');
        match k {
            "PCAP_FILENAME" | "PCAP_FILE" => {
                file = v.trim_start_matches("./").to_string();
                ssrcs.clear();
            }
            "SSRC_A" | "SSRC_B" => {
                let s = u32::from_str_radix(v.trim_start_matches("0x"), 16).unwrap();
                ssrcs.insert(k[5..].to_string(), s);
            }
            "SSTP_A" | "SSTP_B" => {
                let key = parse_srtp_key(&format!("AES_CM_128_HMAC_SHA1_80:{v}"))
                    .unwrap_or_else(|e| panic!("{file} {k}: {e}"));
                let ssrc = ssrcs[&k[5..]];
                out.entry(file.clone()).or_default().insert(ssrc, key);
            }
            _ => {}
        }
    }
    out
}

#[test]
fn veondigital_sdes_captures_decrypt() {
    let Some(corpus) = rtcscope_testkit::corpus("veondigital_sdes_captures_decrypt") else {
        return;
    };
    let dir = corpus.join("veondigital-srtp_decoder");
    let text = std::fs::read_to_string(dir.join("SRTP_KEYS_from_test_scripts.txt")).unwrap();
    let keys = script_keys(&text);
    // (capture, its key set, SRTP packets: the MANIFEST's tshark "RTP-hdr" count, less the
    // 498 packets of webrtc_opus_p2p's second stream, whose key is unknown)
    let cases = [
        ("webrtc_opus_p2p.pcap", "webrtc_opus_p2p", 501),
        (
            "WebRTC_OPUS_Turn_SDES_Call_1.pcap",
            "WebRTC_OPUS_Turn_SDES_Call_1",
            961,
        ),
        (
            "WebRTC_PCMA_p2p_SDES_Call_1.pcap",
            "WebRTC_PCMA_p2p_SDES_Call_1",
            486,
        ),
    ];
    for (file, set, want) in cases {
        let c = run(&dir.join(file), &keys[set], None);
        let got: usize = c.rtp.values().sum();
        assert_eq!(got, want, "{file}: {c:?}");
        assert!(c.rtcp > 0, "{file}: no SRTCP: {c:?}");
    }
}

/// The PCMA TURN call, keyed from its own SDP offer and answer: `a=crypto` through
/// `parse_crypto_attribute`, the SSRC from `a=ssrc`.
#[test]
fn veondigital_keys_from_sdp() {
    let Some(corpus) = rtcscope_testkit::corpus("veondigital_keys_from_sdp") else {
        return;
    };
    let dir = corpus.join("veondigital-srtp_decoder");
    let mut keys = HashMap::new();
    for sdp in [
        "WebRTC_PCMA_Turn_SDES_Call_1_offer.sdp",
        "WebRTC_PCMA_Turn_SDES_Call_1_answer.sdp",
    ] {
        let text = std::fs::read_to_string(dir.join(sdp)).unwrap();
        // The answer accepted tag 1, so both sides use their tag-1 key.
        let crypto = text
            .lines()
            .filter(|l| l.starts_with("a=crypto:"))
            .map(|l| parse_crypto_attribute(l).unwrap())
            .find(|c| c.tag == 1)
            .unwrap();
        let ssrc: u32 = text
            .lines()
            .find_map(|l| l.strip_prefix("a=ssrc:"))
            .and_then(|l| l.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap();
        keys.insert(ssrc, crypto.keys[0].key.clone());
    }
    let c = run(&dir.join("WebRTC_PCMA_Turn_SDES_Call_1.pcap"), &keys, None);
    assert!(c.rtp[&0xED42_A10F] >= 652, "{c:?}");
    assert!(c.rtp[&0x15CB_A085] >= 609, "{c:?}");
    assert!(c.rtcp >= 15, "{c:?}");
}

/// The coturn relay's own capture: the peer leg over UDP (ChannelData and Send/Data
/// indications).
#[test]
fn veondigital_relay_side_udp_leg() {
    let Some(corpus) = rtcscope_testkit::corpus("veondigital_relay_side_udp_leg") else {
        return;
    };
    let dir = corpus.join("veondigital-srtp_decoder");
    let text = std::fs::read_to_string(dir.join("SRTP_KEYS_from_test_scripts.txt")).unwrap();
    let keys = script_keys(&text);
    let c = run(
        &dir.join("wifi-tcp_to_3g_2_coturn_dump.pcap"),
        &keys["wifi-tcp_to_3g_2_coturn_dump"],
        None,
    );
    assert!(c.rtp.len() == 2, "{c:?}");
}

#[test]
fn membrane_srtp_capture_decrypts() {
    let Some(corpus) = rtcscope_testkit::corpus("membrane_srtp_capture_decrypts") else {
        return;
    };
    // MANIFEST: master key||salt is ASCII "a" × 30, AES_CM_128_HMAC_SHA1_80, for both SSRCs.
    let key =
        MasterKey::from_key_salt(rtcscope_srtp::SrtpProfile::Aes128CmHmacSha1_80, &[b'a'; 30])
            .unwrap();
    let c = run(
        &corpus.join("membrane_rtp_plugin/srtp.pcap"),
        &HashMap::new(),
        Some(&key),
    );
    assert_eq!(c.rtp.values().sum::<usize>(), 972, "{c:?}");
    assert_eq!(c.rtp.len(), 2, "{c:?}");
}

/// `udp_call_02_03_client.pcap` is not keyed by the key file (its SSRCs 0x1c065362/4 are not
/// the TCP call's, and no key in the file authenticates them; the MANIFEST does not claim
/// they do): real packets under a wrong key, which must fail with the reason "wrong key",
/// never produce plaintext, and stop costing a full ROC search once the budget is spent.
#[test]
fn wrong_key_on_real_packets() {
    let Some(corpus) = rtcscope_testkit::corpus("wrong_key_on_real_packets") else {
        return;
    };
    let dir = corpus.join("veondigital-srtp_decoder");
    let text = std::fs::read_to_string(dir.join("SRTP_KEYS_from_test_scripts.txt")).unwrap();
    let keys = script_keys(&text);
    let key = &keys["tcp_call_02_03_client"][&0x1C09_0D13];
    let config = ContextConfig::default();
    let mut ctx = SrtpContext::new(key, config);
    let mut out = vec![0u8; 2048];
    let mut n = 0u32;
    for p in packets(&dir.join("udp_call_02_03_client.pcap")) {
        let Some(m) = media(&p.payload) else {
            continue;
        };
        if m.len() < 12 || m[0] >> 6 != 2 || (192..=223).contains(&m[1]) {
            continue;
        }
        if u32::from_be_bytes([m[8], m[9], m[10], m[11]]) != 0x1c06_5362 {
            continue;
        }
        n += 1;
        let e = ctx.unprotect_rtp(m, &mut out).unwrap_err();
        let roc_max = if n <= config.search_budget {
            config.roc_search
        } else {
            1
        };
        assert_eq!(
            e,
            SrtpError::AuthFailed {
                ssrc: 0x1c06_5362,
                reason: AuthFailure::WrongKey {
                    roc_min: 0,
                    roc_max
                }
            },
            "packet {n}"
        );
        assert!(out.iter().all(|&b| b == 0));
    }
    assert!(n > 100, "{n}");
    assert_eq!(ctx.stats().auth_failures, u64::from(n));
    assert_eq!(
        ctx.rtp_streams().count(),
        0,
        "a failing SSRC must not get state"
    );
}
