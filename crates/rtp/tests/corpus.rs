//! Corpus conformance: every RTP/RTCP sample of the shared corpus parses completely (every
//! header field, extension element, report block, SDES item, feedback entry, TWCC status and
//! XR block), re-encodes, and re-parses to the same owned form; or it fails with an entry in
//! tests/expected-failures.tsv (suite `rtp-corpus`). Samples the corpus documents as invalid
//! must fail.

mod common;

use common::{kind_name, Kind, Sample};
use rtcscope_rtp::fuzzing::{walk_compound, walk_rtp};
use rtcscope_rtp::rtcp::{Compound, CompoundRepr, TransportCc, TwccRepr};
use rtcscope_rtp::rtp::{ExtensionMap, RtpPacket, RtpRepr};
use rtcscope_rtp::srtp::{SrtcpPacket, SrtpPacket};
use rtcscope_rtp::Error;
use rtcscope_testkit::{corpus, require_tool, Expectations};

fn check_rtp(s: &Sample) -> Result<(), Error> {
    let p = RtpPacket::new_checked(&s.bytes)?;
    let repr = RtpRepr::parse(&p)?;
    walk_rtp(&p, &ExtensionMap::empty())?;
    let again = RtpRepr::parse_bytes(&repr.to_bytes()?).expect("re-encoded RTP parses");
    assert_eq!(repr, again, "{}: RTP round trip", s.name);
    if let (Some(map), Some(block)) = (&s.map, p.extension()) {
        for e in block.iter() {
            map.decode(&e?)?;
        }
    }
    Ok(())
}

fn check_rtcp(s: &Sample) -> Result<(), Error> {
    Compound::new(&s.bytes).check(true)?;
    let repr = CompoundRepr::parse(&s.bytes)?;
    walk_compound(&s.bytes)?;
    let again = CompoundRepr::parse(&repr.to_bytes()?).expect("re-encoded RTCP parses");
    assert_eq!(repr, again, "{}: RTCP round trip", s.name);
    Ok(())
}

fn check_twcc_fci(s: &Sample) -> Result<(), Error> {
    let t = TransportCc::new_checked(&s.bytes, 0)?;
    t.validate()?;
    let repr = TwccRepr::parse(&t)?;
    let mut out = Vec::new();
    repr.emit(&mut out)?;
    let t2 = TransportCc::new_checked(&out, 0)?;
    assert_eq!(TwccRepr::parse(&t2)?, repr, "{}: TWCC round trip", s.name);
    Ok(())
}

fn check(s: &Sample) -> Result<(), Error> {
    match s.kind {
        Kind::Rtp => check_rtp(s),
        Kind::Rtcp => check_rtcp(s),
        Kind::TwccFci => check_twcc_fci(s),
        Kind::Srtp(profile) => {
            let p = SrtpPacket::new_checked(&s.bytes, Some(profile), 0)?;
            assert_eq!(p.auth_tag().map(<[u8]>::len), Some(profile.srtp_tag_len()));
            if let Some(b) = p.clear_extension() {
                for e in b.iter() {
                    e?;
                }
            }
            Ok(())
        }
        Kind::Srtcp(profile) => {
            let p = SrtcpPacket::new_checked(&s.bytes, Some(profile), 0)?;
            assert_eq!(p.auth_tag().map(<[u8]>::len), Some(profile.srtcp_tag_len()));
            Ok(())
        }
    }
}

fn run(samples: &[Sample], exp: &Expectations) -> (usize, usize) {
    let (mut ok, mut failed) = (0, 0);
    for s in samples {
        match check(s) {
            Ok(()) => {
                assert!(
                    !s.must_fail,
                    "{}: documented as invalid, but parsed",
                    s.name
                );
                ok += 1;
            }
            Err(e) => {
                failed += 1;
                if !s.must_fail {
                    exp.failure(&s.name, e.field, kind_name(&e.kind), &e.to_string());
                }
                // Documented-invalid samples must fail; how they fail is still recorded.
                else if exp
                    .failure(&s.name, e.field, kind_name(&e.kind), &e.to_string())
                    .is_none()
                {
                    eprintln!("{}: fails as documented: {e}", s.name);
                }
            }
        }
    }
    (ok, failed)
}

#[test]
fn corpus_conformance() {
    let Some(dir) = corpus("rtp corpus_conformance") else {
        return;
    };
    let exp = Expectations::load("rtp-corpus");
    let files = common::file_samples(&dir);
    assert!(
        files.len() > 150,
        "expected the corpus's RTP/RTCP samples, found {}",
        files.len()
    );
    let (ok, failed) = run(&files, &exp);
    eprintln!("rtp corpus files: {ok} parsed, {failed} failed");
    if let Some(tshark) = require_tool("rtp corpus_conformance (pcaps)", "tshark") {
        let pcaps = common::pcap_samples(&dir, &tshark);
        assert!(
            pcaps.len() > 3000,
            "expected the pcaps' RTP, found {}",
            pcaps.len()
        );
        let (ok, failed) = run(&pcaps, &exp);
        eprintln!("rtp corpus pcaps: {ok} parsed, {failed} failed");
    }
    exp.finish();
}

#[test]
fn rfc7714_vectors_agree_with_plaintexts() {
    let Some(dir) = corpus("rtp rfc7714 vectors") else {
        return;
    };
    let s = dir.join("rfc-vectors/srtp");
    let rd = |f: &str| std::fs::read(s.join(f)).unwrap();
    let plain = rd("rfc7714_rtp_plaintext.bin");
    let p = RtpPacket::new_checked(&plain).unwrap();
    for (f, profile) in [
        (
            "rfc7714_aes128gcm_srtp_packet.bin",
            rtcscope_rtp::srtp::SrtpProfile::AeadAes128Gcm,
        ),
        (
            "rfc7714_aes256gcm_srtp_packet.bin",
            rtcscope_rtp::srtp::SrtpProfile::AeadAes256Gcm,
        ),
    ] {
        let b = rd(f);
        let c = SrtpPacket::new_checked(&b, Some(profile), 0).unwrap();
        let h = c.header();
        assert_eq!(
            (
                h.ssrc(),
                h.sequence_number(),
                h.timestamp(),
                h.payload_type()
            ),
            (
                p.ssrc(),
                p.sequence_number(),
                p.timestamp(),
                p.payload_type()
            )
        );
        // GCM: ciphertext is as long as the plaintext payload, followed by the 16-byte tag.
        assert_eq!(c.payload().len(), p.payload().len() + p.padding_len());
        assert_eq!(c.auth_tag_range(), Some(b.len() - 16..b.len()));
    }
    // The RFC 7714 §17 RTCP plaintext's length field (13) claims 56 bytes, but the vector has
    // 52: the clear parser rejects it (see expected-failures.tsv), so read the header directly.
    let plain = rd("rfc7714_rtcp_plaintext.bin");
    assert!(Compound::new(&plain).check(true).is_err());
    let plain_ssrc = u32::from_be_bytes(plain[4..8].try_into().unwrap());
    for (f, profile) in [
        (
            "rfc7714_aes128gcm_srtcp_packet.bin",
            rtcscope_rtp::srtp::SrtpProfile::AeadAes128Gcm,
        ),
        (
            "rfc7714_aes256gcm_srtcp_packet.bin",
            rtcscope_rtp::srtp::SrtpProfile::AeadAes256Gcm,
        ),
    ] {
        let b = rd(f);
        let c = SrtcpPacket::new_checked(&b, Some(profile), 0).unwrap();
        assert_eq!(c.sender_ssrc(), plain_ssrc);
        assert_eq!(c.packet_type().0, plain[1]);
        // srtp_vectors.json: SRTCP index 1492, encrypted.
        assert_eq!((c.e_flag(), c.index()), (Some(true), Some(1492)));
        assert_eq!(c.payload().len(), plain.len() - 8);
        assert!(
            c.clear_compound().is_none(),
            "encrypted SRTCP is never parsed"
        );
    }
}

#[test]
fn membrane_srtp_pcap_headers_match_clear_capture() {
    // srtp.pcap is the same GStreamer session as demo_rtp.pcap, encrypted: the clear headers of
    // the SRTP packets must be RTP headers of the same streams, and every payload ends in a
    // 10-byte tag.
    let Some(dir) = corpus("rtp membrane srtp") else {
        return;
    };
    let Some(tshark) = require_tool("rtp membrane srtp", "tshark") else {
        return;
    };
    let clear = common::udp_payloads(&tshark, &dir.join("membrane_rtp_plugin/demo_rtp.pcap"));
    let enc = common::udp_payloads(&tshark, &dir.join("membrane_rtp_plugin/srtp.pcap"));
    let ssrcs = |v: &[(u64, Vec<u8>)], protected: bool| {
        let mut s: Vec<(u32, u8)> = v
            .iter()
            .map(|(_, b)| {
                let h = if protected {
                    *SrtpPacket::new_checked(
                        b,
                        Some(rtcscope_rtp::srtp::SrtpProfile::Aes128CmHmacSha1_80),
                        0,
                    )
                    .unwrap()
                    .header()
                } else {
                    RtpPacket::new_checked(b).unwrap()
                };
                (h.ssrc(), h.payload_type())
            })
            .collect();
        s.sort();
        s.dedup();
        s
    };
    assert_eq!(ssrcs(&enc, true), [(1445851800, 127), (3546707599, 96)]);
    assert_eq!(ssrcs(&clear, false).len(), 2);
}
