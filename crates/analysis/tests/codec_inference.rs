//! The video codec inferred from the packets when no SDP names it (crates/analysis/src/
//! codec_inference.rs, issue #11), against the codec the SDP names on every recording and
//! corpus capture whose payloads can be read: the inferred codec equals the negotiated one on
//! every video stream, its frame figures equal those read with the SDP's codec, and audio,
//! RTX and garbage get no decision.

use rtcscope_analysis::codec_inference::InferenceState;
use rtcscope_analysis::decrypt::KeyStore;
use rtcscope_analysis::report::Report;
use rtcscope_analysis::streams::{Codec, CodecSource, Encapsulation, MediaHints, Stream};
use rtcscope_analysis::Engine;
use rtcscope_capture::{CaptureReader, PacketSource};
use std::path::Path;

/// Runs the engine over a capture, with `hints` (an SDP's) or none, and a key log.
fn run(pcap: &Path, hints: Option<(MediaHints, bool)>, keylog: Option<&Path>) -> Report {
    let bytes = std::fs::read(pcap).unwrap();
    let rd = CaptureReader::new(&bytes[..]).unwrap();
    let mut e = Engine::default();
    if let Some((h, srtp)) = hints {
        e.set_media_hints(h, srtp);
    }
    if let Some(k) = keylog {
        let mut ks = KeyStore::default();
        ks.keylog
            .add_text("keylog.txt", &std::fs::read_to_string(k).unwrap());
        e.set_keys(ks);
    }
    e.feed_all(&mut PacketSource::from_reader(rd));
    Report::new(&e)
}

fn stream(r: &Report, s: &Stream) -> Stream {
    r.streams
        .iter()
        .find(|x| x.ssrc == s.ssrc && x.flow == s.flow && x.src == s.src)
        .unwrap_or_else(|| panic!("no stream {:#x} without the SDP", s.ssrc))
        .clone()
}

/// The frame figures, inferred or named, compared whole but for the flag that says which.
fn same_frames(named: &Stream, inferred: &Stream, what: &str) {
    let mut n = named.frames.clone().expect("frames with the SDP");
    let i = inferred
        .frames
        .clone()
        .unwrap_or_else(|| panic!("{what}: no frames without the SDP"));
    assert!(!n.codec_inferred && i.codec_inferred, "{what}");
    n.codec_inferred = true;
    assert_eq!(
        n, i,
        "{what}: frames read with the SDP's codec and the inferred one"
    );
}

fn not_decided(s: &Stream, what: &str) {
    let state = s.codec_inference.as_ref().map(|i| i.state);
    assert_ne!(
        state,
        Some(InferenceState::Inferred),
        "{what} {:#x}",
        s.ssrc
    );
    assert!(s.frames.is_none(), "{what} {:#x}: frames", s.ssrc);
    assert_ne!(
        s.codec_source,
        Some(CodecSource::Inferred),
        "{what} {:#x}",
        s.ssrc
    );
}

/// The Firefox recordings (VP8 inside RED, Opus, RTX), decrypted with their key logs: each
/// video stream the SDP names is inferred as the same codec inside RED with the same inner
/// payload type, with equal frames; audio and RTX streams are not decided.
#[test]
fn recordings_inferred_codec_equals_the_negotiated_one() {
    let dir = rtcscope_testkit::fixtures();
    let mut video = 0;
    for name in ["firefox-direct", "firefox-relay", "firefox-chromium"] {
        let d = dir.join("webrtc").join(name);
        let sdps = [
            d.join("offer.sdp").display().to_string(),
            d.join("answer.sdp").display().to_string(),
        ];
        let k = rtcscope_analysis::sdp_hints::load(&sdps).unwrap().unwrap();
        let keylog = d.join("keylog.txt");
        let pcap = d.join("capture.pcapng");
        let named = run(&pcap, Some((k.hints, k.srtp)), Some(&keylog));
        let bare = run(&pcap, None, Some(&keylog));
        for s in named.streams.iter().filter(|s| !s.encrypted) {
            let what = format!("{name} {:#x} ({})", s.ssrc, s.codec_label());
            let b = stream(&bare, s);
            if s.frames.is_some() {
                let inf = b.codec_inference.as_ref().expect("an inference");
                assert_eq!(inf.state, InferenceState::Inferred, "{what}: {inf:?}");
                assert_eq!(
                    inf.codec,
                    s.codec.as_deref().map(|c| {
                        rtcscope_rtp::codec::VideoCodec::from_encoding_name(c)
                            .unwrap()
                            .name()
                    }),
                    "{what}"
                );
                // RED as the SDP says, with the inner payload type the SDP maps to the codec.
                let red = s.encapsulation == Some(Encapsulation::Red);
                assert_eq!(inf.inside_red, red, "{what}");
                if red {
                    assert_eq!(inf.red_inner_payload_type, s.inner_payload_type, "{what}");
                }
                same_frames(s, &b, &what);
                // The stream names the codec, marked as inferred.
                assert_eq!(b.codec, s.codec, "{what}");
                assert_eq!(b.codec_source, Some(CodecSource::Inferred), "{what}");
                let label = b.codec_label();
                assert!(label.contains("inferred"), "{what}: {label}");
                video += 1;
            } else {
                not_decided(&b, &what);
            }
        }
    }
    // Two video senders a call.
    assert_eq!(video, 6);
}

/// The corpus's cleartext video (str0m's VP8, VP9, AV1 and H.264 captures, membrane's
/// reordered H.264) and its decrypted SRTP H.264: the codec inferred equals the one the test
/// names for the payload type, and the frames equal those read with it.
#[test]
fn corpus_inferred_codec_equals_the_named_one() {
    let Some(dir) = rtcscope_testkit::corpus("corpus_inferred_codec_equals_the_named_one") else {
        return;
    };
    for (file, pt, codec) in [
        ("str0m/vp8.pcap", 96, "VP8"),
        ("str0m/vp9.pcap", 98, "VP9"),
        ("str0m/contiguous_vp9.pcap", 98, "VP9"),
        ("str0m/av1.pcap", 45, "AV1"),
        ("str0m/h264.pcap", 126, "H264"),
        ("membrane_rtp_plugin/h264_before_sr.pcap", 96, "H264"),
    ] {
        let pcap = dir.join(file);
        let mut hints = MediaHints::default();
        hints.codecs.insert(
            pt,
            Codec {
                name: codec.to_owned(),
                clock_rate: 90000,
                apt: None,
                red_inner: None,
            },
        );
        let named = run(&pcap, Some((hints, false)), None);
        let bare = run(&pcap, None, None);
        let mut seen = 0;
        for s in named.streams.iter().filter(|s| s.frames.is_some()) {
            let what = format!("{file} {:#x}", s.ssrc);
            let b = stream(&bare, s);
            let inf = b.codec_inference.as_ref().expect("an inference");
            assert_eq!(
                (inf.state, inf.codec, inf.inside_red),
                (InferenceState::Inferred, Some(codec), false),
                "{what}: {inf:?}"
            );
            same_frames(s, &b, &what);
            let rate = b.clock_rate.map(|r| format!("/{r}")).unwrap_or_default();
            assert_eq!(
                b.codec_label(),
                format!("{codec}{rate} (inferred)"),
                "{what}"
            );
            seen += 1;
        }
        assert_eq!(seen, 1, "{file}: one video stream");
    }
}

/// Audio gets no decision: the SDES call's PCMA and comfort noise (decrypted with its keys)
/// like the Firefox calls' Opus (above) fail the marker/timestamp rule at once.
#[test]
fn decrypted_audio_is_not_taken_for_video() {
    let Some(dir) = rtcscope_testkit::corpus("decrypted_audio_is_not_taken_for_video") else {
        return;
    };
    let v = dir.join("veondigital-srtp_decoder");
    for pcap in ["WebRTC_PCMA_Turn_SDES_Call_1"] {
        // The SDPs' a=crypto keys decrypt; their codecs are not given, so nothing names the
        // payload types.
        let mut keys = KeyStore::default();
        for f in ["offer", "answer"] {
            let name = format!("WebRTC_PCMA_Turn_SDES_Call_1_{f}.sdp");
            let text = std::fs::read_to_string(v.join(&name)).unwrap();
            for line in text.lines().filter(|l| l.starts_with("a=crypto:")) {
                keys.add_sdes(&name, line).unwrap();
            }
        }
        let pcap = format!("{pcap}.pcap");
        let bytes = std::fs::read(v.join(&pcap)).unwrap();
        let rd = CaptureReader::new(&bytes[..]).unwrap();
        let mut e = Engine::default();
        e.set_keys(keys);
        e.feed_all(&mut PacketSource::from_reader(rd));
        let r = Report::new(&e);
        let clear: Vec<_> = r.streams.iter().filter(|s| !s.encrypted).collect();
        assert!(!clear.is_empty(), "{pcap}: nothing decrypted");
        for s in clear {
            not_decided(s, &pcap);
        }
    }
}
