//! Corpus sample loading shared by the conformance and differential tests.
#![allow(dead_code)]

use rtcscope_rtp::rtp::{ExtensionKind, ExtensionMap};
use rtcscope_rtp::srtp::SrtpProfile;
use rtcscope_rtp::{classify, ErrorKind, RtpOrRtcp};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How a sample is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Clear RTP.
    Rtp,
    /// Clear RTCP (compound or reduced-size).
    Rtcp,
    /// A transport-cc FCI without the RTCP header and SSRCs (membrane twcc_*.hex).
    TwccFci,
    /// SRTP with a known profile.
    Srtp(SrtpProfile),
    /// SRTCP with a known profile.
    Srtcp(SrtpProfile),
}

/// One message from the corpus.
pub struct Sample {
    /// Corpus-relative name, `#N` for the N-th message (line or frame number) of a file.
    pub name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// How to read it.
    pub kind: Kind,
    /// The corpus documents it as invalid: it must fail (aiortc *_invalid / *truncated,
    /// membrane malformed files).
    pub must_fail: bool,
    /// The IDs its sender negotiated, when they can be told (see `map_for`).
    pub map: Option<ExtensionMap>,
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn list(dir: &Path) -> Vec<PathBuf> {
    rtcscope_testkit::files_under(dir)
}

/// Extension maps inferred per source from element sizes and values (no SDP ships with these
/// samples): Chrome of the olivermichel/str0m AV1+VP8 era uses 2 abs-send-time (3 bytes),
/// 4 transport-cc (2), 6 video-content-type (1), 7 video-timing (13), 9 mid ("0");
/// Janus/mediasoup audio use 1 ssrc-audio-level; str0m's H.264/VP9 sender uses 4 abs-send-time
/// and 7 transport-cc.
fn map_for(name: &str) -> Option<ExtensionMap> {
    let mut m = ExtensionMap::empty();
    let set = |m: &mut ExtensionMap, v: &[(u8, ExtensionKind)]| {
        for &(id, k) in v {
            m.set(id, k);
        }
    };
    use ExtensionKind::*;
    if name.starts_with("olivermichel-webrtc-analysis/rtp_pkt")
        || name.starts_with("str0m/av1.pcap")
        || name.starts_with("str0m/vp8.pcap")
    {
        set(
            &mut m,
            &[
                (2, AbsSendTime),
                (4, TransportCc),
                (6, VideoContentType),
                (7, VideoTiming),
                (9, Mid),
            ],
        );
    } else if name.starts_with("str0m/h264.pcap") || name.starts_with("str0m/vp9.pcap") {
        set(&mut m, &[(4, AbsSendTime), (7, TransportCc)]);
    } else if name.starts_with("janus-gateway-fuzzer-corpora/rtp_fuzzer/rtp_0")
        || name.starts_with("janus-gateway-fuzzer-corpora/rtp_fuzzer/rtp_1")
    {
        set(
            &mut m,
            &[(1, AudioLevel), (2, AbsSendTime), (3, TransportCc)],
        );
    } else if name == "mediasoup-worker-test-data/packet1.raw" {
        set(&mut m, &[(1, AudioLevel)]);
    } else if name == "aiortc/rtp_with_sdes_mid.bin" {
        set(&mut m, &[(9, Mid)]);
    } else {
        return None;
    }
    Some(m)
}

fn sample(name: String, bytes: Vec<u8>, kind: Kind, must_fail: bool) -> Sample {
    let map = map_for(&name);
    Sample {
        name,
        bytes,
        kind,
        must_fail,
        map,
    }
}

/// Every RTP/RTCP file sample of the corpus (not the pcaps).
pub fn file_samples(corpus: &Path) -> Vec<Sample> {
    let mut out = Vec::new();
    let rel = |p: &Path| {
        p.strip_prefix(corpus)
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    for p in list(&corpus.join("aiortc")) {
        let n = rel(&p);
        let file = p.file_name().unwrap().to_string_lossy().into_owned();
        let must_fail = file.contains("_invalid") || file.contains("truncated");
        if file.starts_with("rtcp_") {
            out.push(sample(n, read(&p), Kind::Rtcp, must_fail));
        } else if file.starts_with("rtp") && file.ends_with(".bin") {
            out.push(sample(n, read(&p), Kind::Rtp, must_fail));
        }
    }
    for (sub, kind) in [("rtp_fuzzer", Kind::Rtp), ("rtcp_fuzzer", Kind::Rtcp)] {
        for p in list(&corpus.join("janus-gateway-fuzzer-corpora").join(sub)) {
            out.push(sample(rel(&p), read(&p), kind, false));
        }
    }
    for (sub, kind) in [("rtp-corpus", Kind::Rtp), ("rtcp-corpus", Kind::Rtcp)] {
        for p in list(&corpus.join("mediasoup-webrtc-fuzzer-corpora").join(sub)) {
            out.push(sample(rel(&p), read(&p), kind, false));
        }
    }
    let p = corpus.join("mediasoup-worker-test-data/packet1.raw");
    out.push(sample(rel(&p), read(&p), Kind::Rtp, false));
    let m = corpus.join("membrane_rtp_plugin");
    for f in ["rtp_packet.bin", "rtp_packet_with_padding.bin"] {
        let p = m.join(f);
        out.push(sample(rel(&p), read(&p), Kind::Rtp, false));
    }
    for f in [
        "packets.hex",
        "single_packet.hex",
        "with_unknown_pt.hex",
        "malformed.hex",
    ] {
        let p = m.join(f);
        for (i, b) in rtcscope_testkit::hex_lines(&p).into_iter().enumerate() {
            out.push(sample(
                format!("{}#{}", rel(&p), i + 1),
                b,
                Kind::Rtcp,
                f == "malformed.hex",
            ));
        }
    }
    for f in ["twcc_feedbacks.hex", "twcc_malformed_feedbacks.hex"] {
        let p = m.join(f);
        for (i, b) in rtcscope_testkit::hex_lines(&p).into_iter().enumerate() {
            let bad = f.contains("malformed");
            out.push(sample(
                format!("{}#{}", rel(&p), i + 1),
                b,
                Kind::TwccFci,
                bad,
            ));
        }
    }
    for p in list(&corpus.join("olivermichel-webrtc-analysis")) {
        let n = rel(&p);
        let kind = if n.contains("twcc") {
            Kind::Rtcp
        } else {
            Kind::Rtp
        };
        out.push(sample(n, read(&p), kind, false));
    }
    let s = corpus.join("rfc-vectors/srtp");
    for (f, kind) in [
        ("rfc7714_rtp_plaintext.bin", Kind::Rtp),
        ("rfc7714_rtcp_plaintext.bin", Kind::Rtcp),
        (
            "rfc7714_aes128gcm_srtp_packet.bin",
            Kind::Srtp(SrtpProfile::AeadAes128Gcm),
        ),
        (
            "rfc7714_aes256gcm_srtp_packet.bin",
            Kind::Srtp(SrtpProfile::AeadAes256Gcm),
        ),
        (
            "rfc7714_aes128gcm_srtcp_packet.bin",
            Kind::Srtcp(SrtpProfile::AeadAes128Gcm),
        ),
        (
            "rfc7714_aes256gcm_srtcp_packet.bin",
            Kind::Srtcp(SrtpProfile::AeadAes256Gcm),
        ),
    ] {
        let p = s.join(f);
        out.push(sample(rel(&p), read(&p), kind, false));
    }
    out
}

/// The corpus pcaps with RTP in them, and the protection of each.
pub const PCAPS: &[(&str, Option<SrtpProfile>)] = &[
    ("str0m/av1.pcap", None),
    ("str0m/contiguous_vp9.pcap", None),
    ("str0m/h264.pcap", None),
    ("str0m/h266.pcap", None),
    ("str0m/vp8.pcap", None),
    ("str0m/vp9.pcap", None),
    ("membrane_rtp_plugin/demo_rtp.pcap", None),
    ("membrane_rtp_plugin/h264_before_sr.pcap", None),
    (
        "membrane_rtp_plugin/srtp.pcap",
        Some(SrtpProfile::Aes128CmHmacSha1_80),
    ),
    ("sipp/g711a.pcap", None),
    ("sipp/dtmf_2833_1.pcap", None),
];

/// UDP payloads of a pcap as `(frame number, payload)`, via `tshark -T fields`.
pub fn udp_payloads(tshark: &Path, pcap: &Path) -> Vec<(u64, Vec<u8>)> {
    let out = Command::new(tshark)
        .arg("-r")
        .arg(pcap)
        .args(["-T", "fields", "-e", "frame.number", "-e", "udp.payload"])
        .output()
        .expect("running tshark");
    assert!(out.status.success(), "tshark failed on {}", pcap.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (n, hex) = l.split_once('\t')?;
            let bytes = hex::decode(hex.replace(':', "")).ok()?;
            let n: u64 = n.parse().ok()?;
            (!bytes.is_empty()).then_some((n, bytes))
        })
        .collect()
}

/// Every RTP/RTCP datagram of the corpus pcaps.
pub fn pcap_samples(corpus: &Path, tshark: &Path) -> Vec<Sample> {
    let mut out = Vec::new();
    for &(name, profile) in PCAPS {
        for (n, bytes) in udp_payloads(tshark, &corpus.join(name)) {
            let kind = match (classify(&bytes), profile) {
                (Some(RtpOrRtcp::Rtcp), None) => Kind::Rtcp,
                (Some(RtpOrRtcp::Rtcp), Some(p)) => Kind::Srtcp(p),
                (_, None) => Kind::Rtp,
                (_, Some(p)) => Kind::Srtp(p),
            };
            out.push(sample(format!("{name}#{n}"), bytes, kind, false));
        }
    }
    out
}

/// The name of an error kind, for the expectations file.
pub fn kind_name(k: &ErrorKind) -> &'static str {
    match k {
        ErrorKind::Truncated { .. } => "Truncated",
        ErrorKind::BadValue { .. } => "BadValue",
        ErrorKind::BadLength { .. } => "BadLength",
        ErrorKind::TrailingBytes { .. } => "TrailingBytes",
        ErrorKind::Mismatch { .. } => "Mismatch",
        ErrorKind::BadText => "BadText",
        _ => "Other",
    }
}
