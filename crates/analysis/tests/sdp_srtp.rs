//! A capture that starts after the DTLS handshake, with the call's SDPs: the SDPs' secure
//! profile (`UDP/TLS/RTP/SAVPF`) says the RTP is SRTP, so its payloads are not read as
//! cleartext (no padding, codec payload or video frames made up from ciphertext).

use rtcscope_analysis::{sdp_hints, Config, Engine};
use rtcscope_capture::CaptureReader;

#[test]
fn sdp_profile_marks_rtp_encrypted_without_a_handshake_in_the_capture() {
    let dir = rtcscope_testkit::fixtures()
        .join("webrtc")
        .join("firefox-direct");
    let bytes = std::fs::read(dir.join("capture.pcapng")).unwrap();
    let sdps: Vec<String> = ["offer.sdp", "answer.sdp"]
        .iter()
        .map(|f| dir.join(f).to_string_lossy().into_owned())
        .collect();
    let k = sdp_hints::load(&sdps).unwrap().unwrap();
    assert!(k.srtp && !k.sdes, "DTLS-SRTP, no a=crypto");
    let mut e = Engine::new(Config::default());
    e.set_media_hints(k.hints, k.srtp);
    // Leave out everything up to the 50th RTP-looking packet: no DTLS handshake is seen.
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    let mut seen = 0;
    while let Some(p) = r.next_packet().unwrap() {
        let payload_first = p.data.get(42).copied().unwrap_or(0);
        if (0x80..=0xbf).contains(&payload_first) {
            seen += 1;
        }
        if seen > 50 {
            e.feed_packet(&p);
        }
    }
    e.finish();
    let report = rtcscope_analysis::report::Report::new(&e);
    let video: Vec<_> = report
        .streams
        .iter()
        .filter(|s| s.confirmed && s.kind == rtcscope_analysis::streams::MediaKind::Video)
        .collect();
    assert!(!video.is_empty(), "video streams found");
    for s in &report.streams {
        assert!(s.encrypted, "{:#x} read as cleartext", s.ssrc);
    }
    for s in video {
        assert!(s.frames.is_none(), "{:#x}: frames from ciphertext", s.ssrc);
    }
}
