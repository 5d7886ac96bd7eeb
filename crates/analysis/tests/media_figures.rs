//! The engine's per-stream media figures on scripted packets: RED named with the codec inside
//! (per SDP, or exactly from a cleartext RED header), RTX tied to its media by `apt` and FID
//! with the SDP's clock rate, padding-only probes and payload probes counted apart from
//! retransmissions (which answer a NACK), and the byte figures getStats defines.

use rtcscope_analysis::flow::{FlowKey, Transport};
use rtcscope_analysis::streams::{
    red_primary_payload_type, Codec, CodecSource, Encapsulation, MediaHints, RtcpProtection,
    Stream, Streams, TagLenSource,
};
use std::net::SocketAddr;

const SENDER: &str = "10.0.0.1:5000";
const RECEIVER: &str = "10.0.0.2:6000";

fn addrs() -> (SocketAddr, SocketAddr) {
    (SENDER.parse().unwrap(), RECEIVER.parse().unwrap())
}

fn flow() -> (FlowKey, bool) {
    let (a, b) = addrs();
    let (key, _) = FlowKey::of(Transport::Udp, a, b, None);
    (key, key.lo == a)
}

/// An RTP packet: 12-byte header (+ a 4-byte extension header and one word when `ext`),
/// `payload`, then `padding` bytes (P bit) whose last byte is the count.
fn rtp(pt: u8, seq: u16, ssrc: u32, payload: &[u8], padding: u8) -> Vec<u8> {
    let mut p = vec![0x80 | if padding > 0 { 0x20 } else { 0 }, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    if padding > 0 {
        p.extend(std::iter::repeat_n(0, usize::from(padding) - 1));
        p.push(padding);
    }
    p
}

fn codec(name: &str, rate: u32) -> Codec {
    Codec {
        name: name.into(),
        clock_rate: rate,
        apt: None,
        red_inner: None,
    }
}

/// Chromium's video: VP8 96, its RTX 97, RED 118 (no fmtp: the m-line order names VP8), RTX
/// 119 for RED; media SSRC 0x1111 with RTX SSRC 0x2222 (FID).
fn chromium_video_hints() -> MediaHints {
    let mut h = MediaHints::default();
    h.codecs.insert(96, codec("VP8", 90000));
    h.codecs.insert(
        97,
        Codec {
            apt: Some(96),
            ..codec("rtx", 90000)
        },
    );
    h.codecs.insert(
        118,
        Codec {
            red_inner: Some((96, CodecSource::SdpCodecOrder)),
            ..codec("red", 90000)
        },
    );
    h.codecs.insert(
        119,
        Codec {
            apt: Some(118),
            ..codec("rtx", 90000)
        },
    );
    h.fid.push((0x1111, 0x2222));
    h
}

fn feed(s: &mut Streams, t_ms: i64, packet: &[u8], encrypted: bool) {
    let (a, b) = addrs();
    let (key, fwd) = flow();
    s.rtp(t_ms * 1_000_000, key, fwd, a, b, packet, encrypted);
}

fn stream(s: &Streams, ssrc: u32) -> Stream {
    s.clone_finished()
        .into_iter()
        .find(|x| x.ssrc == ssrc)
        .unwrap_or_else(|| panic!("no stream {ssrc:#x}"))
}

#[test]
fn red_is_named_with_the_codec_the_sdp_suggests_and_never_as_the_codec() {
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    for i in 0..5 {
        feed(
            &mut s,
            i * 33,
            &rtp(118, i as u16, 0x1111, &[0xaa; 100], 0),
            true,
        );
    }
    let st = stream(&s, 0x1111);
    assert_eq!(st.encapsulation, Some(Encapsulation::Red));
    assert_eq!(st.codec.as_deref(), Some("VP8"));
    assert_eq!(st.codec_source, Some(CodecSource::SdpCodecOrder));
    assert_eq!(st.inner_payload_type, Some(96));
    assert_eq!(st.clock_rate, Some(90000));
    assert_eq!(st.codec_label, "RED (VP8 per SDP)");
}

#[test]
fn red_without_a_hint_of_its_inner_codec_says_it_is_encrypted() {
    let mut s = Streams::default();
    s.hints.codecs.insert(118, codec("red", 90000));
    for i in 0..5 {
        feed(
            &mut s,
            i * 33,
            &rtp(118, i as u16, 0x1111, &[0xaa; 100], 0),
            true,
        );
    }
    let st = stream(&s, 0x1111);
    assert_eq!(st.encapsulation, Some(Encapsulation::Red));
    assert_eq!(st.codec, None);
    assert_eq!(st.codec_label, "RED (inner codec encrypted)");
    assert!(!st.codec_label.contains("red/"));
}

#[test]
fn a_cleartext_red_header_names_the_codec_exactly() {
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    // The SDP suggests VP8, the RED header says 98 (VP9): the header wins.
    s.hints.codecs.insert(98, codec("VP9", 90000));
    // One redundant block (F bit, PT 98, offset, length) then the primary's header (PT 98).
    let red = [0x80 | 98, 0, 0, 4, 98, 1, 2, 3, 4, 5, 6, 7, 8];
    for i in 0..5 {
        feed(&mut s, i * 33, &rtp(118, i as u16, 0x1111, &red, 0), false);
    }
    let st = stream(&s, 0x1111);
    assert_eq!(st.codec.as_deref(), Some("VP9"));
    assert_eq!(st.codec_source, Some(CodecSource::RedHeader));
    assert_eq!(st.codec_label, "RED (VP9)");
    assert_eq!(red_primary_payload_type(&red), Some(98));
    assert_eq!(
        red_primary_payload_type(&[0x80 | 98, 0, 0]),
        None,
        "cut headers"
    );
}

/// The seam decryption plugs into: a decrypted RED payload names the codec inside exactly.
#[test]
fn a_decrypted_red_payload_replaces_the_sdp_suggestion() {
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    s.hints.codecs.insert(98, codec("VP9", 90000));
    for i in 0..3 {
        feed(
            &mut s,
            i * 33,
            &rtp(118, i as u16, 0x1111, &[0xaa; 40], 0),
            true,
        );
    }
    let key = *s.map.iter().next().unwrap().0;
    assert_eq!(stream(&s, 0x1111).codec_label, "RED (VP8 per SDP)");
    // A payload whose header runs past its end changes nothing.
    assert!(!s.red_payload_decrypted(&key, &[0x80 | 98, 0]));
    assert!(s.red_payload_decrypted(&key, &[98, 0xde, 0xad]));
    let st = stream(&s, 0x1111);
    assert_eq!(st.codec_label, "RED (VP9)");
    assert_eq!(st.inner_payload_type, Some(98));
    // An encrypted stream keeps the exact answer however many packets follow.
    feed(&mut s, 200, &rtp(118, 3, 0x1111, &[0xaa; 40], 0), true);
    assert_eq!(stream(&s, 0x1111).codec_label, "RED (VP9)");
}

#[test]
fn rtx_takes_its_clock_from_the_sdp_and_its_media_from_apt_and_fid() {
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    for i in 0..3 {
        let mut payload = (100 + i as u16).to_be_bytes().to_vec();
        payload.extend_from_slice(&[0xbb; 50]);
        feed(&mut s, i * 5, &rtp(97, i as u16, 0x2222, &payload, 0), true);
    }
    let st = stream(&s, 0x2222);
    assert_eq!(st.encapsulation, Some(Encapsulation::Rtx));
    assert_eq!(st.inner_payload_type, Some(96), "apt");
    assert_eq!(st.codec.as_deref(), Some("VP8"));
    assert_eq!(st.codec_source, Some(CodecSource::SdpApt));
    assert_eq!(st.clock_rate, Some(90000));
    assert_eq!(st.rtx_of, Some(0x1111), "FID");
    assert_eq!(st.codec_label, "RTX of VP8/90000");
}

/// libwebrtc's probes under SRTP: padding-only packets (P bit, 255 bytes of padding, a
/// 10-byte tag) and payload-padding RTX packets with no NACK before them. None is a
/// retransmission; the byte figures follow getStats (probe padding counted apart).
#[test]
fn srtp_padding_probes_and_payload_probes_are_not_retransmissions() {
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    for i in 0..4u16 {
        // 255 bytes of padding + a 10-byte tag (the padding count is ciphertext in SRTP).
        let mut p = rtp(97, i, 0x2222, &[], 255);
        p.extend_from_slice(&[0xcc; 10]);
        feed(&mut s, i64::from(i), &p, true);
    }
    for i in 4..7u16 {
        // A payload of 500 bytes + the tag.
        feed(
            &mut s,
            i64::from(i),
            &rtp(119, i, 0x2222, &[0xdd; 510], 0),
            true,
        );
    }
    let st = stream(&s, 0x2222);
    assert_eq!(st.padding_only, 4);
    assert_eq!(st.rtx_payload, 3);
    assert_eq!(st.rtx_probes, 3);
    assert_eq!(st.retransmissions, 0);
    assert_eq!(st.srtp_tag_len, Some(10));
    assert_eq!(st.srtp_tag_len_source, Some(TagLenSource::PaddingProbes));
    assert_eq!(st.padding_only_bytes, 4 * 255);
    assert_eq!(st.payload_bytes, 3 * 500);
    assert_eq!(st.srtp_tag_bytes, 7 * 10);
    assert_eq!(st.header_bytes, 7 * 12);
}

/// A retransmission answers a NACK: under SRTCP a NACK is known only by its clear first
/// header (RTPFB, FMT 1) from the receiver; an RTX packet within a second of it counts as a
/// retransmission, one long after it as a probe, and a NACK sent the other way counts for
/// nothing.
#[test]
fn rtx_after_an_srtcp_nack_from_the_receiver_is_a_retransmission() {
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    let (key, fwd) = flow();
    // SRTCP: V=2 FMT=1, PT 205, length, sender SSRC, then ciphertext.
    let nack = [
        0x81, 205, 0, 3, 0, 0, 0x33, 0x33, 9, 9, 9, 9, 9, 9, 9, 9, 7, 7, 7, 7,
    ];
    // The receiver's NACK travels the other way; the sender's own is about other media.
    s.rtcp(0, key, fwd, &nack, RtcpProtection::Srtcp);
    feed(&mut s, 10, &rtp(119, 1, 0x2222, &[0xdd; 110], 0), true);
    s.rtcp(2_000_000_000, key, !fwd, &nack, RtcpProtection::Srtcp);
    feed(&mut s, 2_100, &rtp(119, 2, 0x2222, &[0xdd; 110], 0), true);
    feed(&mut s, 5_000, &rtp(119, 3, 0x2222, &[0xdd; 110], 0), true);
    let st = stream(&s, 0x2222);
    assert_eq!(st.rtx_payload, 3);
    assert_eq!(st.retransmissions, 1);
    assert_eq!(st.rtx_probes, 2);
    // No padding probes to infer the tag from: WebRTC's usual 10 bytes, said to be assumed.
    assert_eq!(st.srtp_tag_len_source, Some(TagLenSource::Assumed));
    assert_eq!(st.retransmitted_bytes, 100);
}

/// In cleartext the NACK's sequence numbers and the RTX original sequence number are read:
/// only the packet whose OSN was NACKed is a retransmission.
#[test]
fn cleartext_rtx_is_a_retransmission_only_when_its_osn_was_nacked() {
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    let (key, fwd) = flow();
    // RTPFB NACK from 0x3333 about media 0x1111: PID 500, BLP 0b1 (501 too).
    let nack = [
        0x81, 205, 0, 3, 0, 0, 0x33, 0x33, 0, 0, 0x11, 0x11, 0x01, 0xf4, 0x00, 0x01,
    ];
    s.rtcp(0, key, !fwd, &nack, RtcpProtection::Unknown);
    for (i, osn) in [500u16, 501, 777].into_iter().enumerate() {
        let mut payload = osn.to_be_bytes().to_vec();
        payload.extend_from_slice(&[0xee; 40]);
        feed(
            &mut s,
            1 + i as i64,
            &rtp(97, i as u16, 0x2222, &payload, 0),
            false,
        );
    }
    // A cleartext padding-only packet: read exactly.
    feed(&mut s, 10, &rtp(97, 3, 0x2222, &[], 200), false);
    let st = stream(&s, 0x2222);
    assert_eq!(st.retransmissions, 2);
    assert_eq!(st.rtx_probes, 1);
    assert_eq!(st.padding_only, 1);
    assert_eq!(st.padding_only_bytes, 200);
    assert_eq!(st.retransmitted_bytes, 2 * 42);
    assert_eq!(st.payload_bytes, 3 * 42);
    assert_eq!(st.srtp_tag_bytes, 0);
    assert_eq!(st.srtp_tag_len, None);
}

/// A sender may repair a loss without a NACK on the wire (Firefox 153 retransmits what the
/// receiver's transport-wide feedback reported missing: fixtures/webrtc/firefox-lossy), often
/// before the next media packet. An RTX packet whose original sequence number turns out to be
/// a gap in its media stream is a retransmission, once per number; one repeating a packet
/// that was seen, a second one for the same gap, and one the media never passed are probes.
#[test]
fn rtx_repairing_a_gap_in_its_media_is_a_retransmission_without_a_nack() {
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    let media = |s: &mut Streams, seq: u16| {
        feed(
            s,
            i64::from(seq),
            &rtp(96, seq, 0x1111, &[0xaa; 50], 0),
            false,
        );
    };
    let rtx = |s: &mut Streams, n: u16, osn: u16| {
        let mut payload = osn.to_be_bytes().to_vec();
        payload.extend_from_slice(&[0xee; 50]);
        feed(
            s,
            200 + i64::from(n),
            &rtp(97, 500 + n, 0x2222, &payload, 0),
            false,
        );
    };
    for seq in [100u16, 101, 103, 104, 106] {
        media(&mut s, seq);
    }
    // 102 and 105 never arrived; 101 did.
    for (n, osn) in [102u16, 101, 102, 105].into_iter().enumerate() {
        rtx(&mut s, n as u16, osn);
    }
    // 107 is lost too and repaired before the media goes on with 108.
    rtx(&mut s, 4, 107);
    media(&mut s, 108);
    // 110 is ahead of everything the media stream ever carried: a probe.
    rtx(&mut s, 5, 110);
    assert_eq!(stream(&s, 0x1111).lost, 3);
    let st = stream(&s, 0x2222);
    assert_eq!(st.rtx_payload, 6);
    assert_eq!(st.retransmissions, 3, "102 once, 105 and 107");
    assert_eq!(st.rtx_probes, 3);
    assert_eq!(st.retransmitted_bytes, 3 * 52);
}

/// After an outage (fixtures/webrtc/firefox-outage: 3 s of A's RTP dropped before the capture
/// point) Firefox retransmits every packet the receiver's feedback reported missing, 45 of them,
/// before the media stream's next packet reaches the capture: more than the RTX stream can keep
/// waiting. One whose original the media stream never carried is a repair all the same.
#[test]
fn a_burst_of_repairs_ahead_of_the_media_all_count() {
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    for seq in 1000u16..1010 {
        feed(
            &mut s,
            i64::from(seq),
            &rtp(96, seq, 0x1111, &[0xaa; 50], 0),
            false,
        );
    }
    // 1010..1050 lost before the capture; their 40 RTX copies arrive first, then 1050.
    for (n, osn) in (1010u16..1050).enumerate() {
        let mut payload = osn.to_be_bytes().to_vec();
        payload.extend_from_slice(&[0xee; 50]);
        let n = n as u16;
        feed(
            &mut s,
            2000 + i64::from(n),
            &rtp(97, 500 + n, 0x2222, &payload, 0),
            false,
        );
    }
    feed(&mut s, 3000, &rtp(96, 1050, 0x1111, &[0xaa; 50], 0), false);
    // A repeat of one already repaired is a probe.
    let mut payload = 1049u16.to_be_bytes().to_vec();
    payload.extend_from_slice(&[0xee; 50]);
    feed(&mut s, 3001, &rtp(97, 540, 0x2222, &payload, 0), false);
    assert_eq!(stream(&s, 0x1111).lost, 40);
    let st = stream(&s, 0x2222);
    assert_eq!(st.rtx_payload, 41);
    assert_eq!(st.retransmissions, 40);
    assert_eq!(st.rtx_probes, 1);
    assert_eq!(st.retransmitted_bytes, 40 * 52);
}

/// Frames rebuilt from RTX: a key frame lost before the capture point whose only copies (one
/// repair, two probes repeating it) come on the RTX SSRC before any packet of the media SSRC,
/// and a frame lost mid-stream repaired after the next one arrived. The media stream counts
/// both as frames, the key frame as a key frame, each once; the RTX stream has no frames.
#[test]
fn frames_lost_before_the_capture_are_counted_from_their_rtx_copies() {
    // One-packet VP8 frames (S=1, partition 0): a 320x240 key frame and an inter frame.
    const KEY: [u8; 11] = [
        0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00,
    ];
    const INTER: [u8; 4] = [0x10, 0x31, 0x01, 0x00];
    let marked = |pt, seq, ssrc, payload: &[u8]| {
        let mut p = rtp(pt, seq, ssrc, payload, 0);
        p[1] |= 0x80;
        p
    };
    // An RTX copy of media packet `osn` (its timestamp and marker, as RFC 4588 says).
    let rtx = |seq: u16, osn: u16, payload: &[u8]| {
        let mut body = osn.to_be_bytes().to_vec();
        body.extend_from_slice(payload);
        let mut p = marked(97, seq, 0x2222, &body);
        p[4..8].copy_from_slice(&(u32::from(osn) * 3000).to_be_bytes());
        p
    };
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    for n in 0..3 {
        feed(&mut s, n, &rtx(500 + n as u16, 999, &KEY), false);
    }
    for seq in 1000u16..1010 {
        if seq != 1005 {
            feed(
                &mut s,
                100 + i64::from(seq),
                &marked(96, seq, 0x1111, &INTER),
                false,
            );
        }
        if seq == 1006 {
            feed(&mut s, 1200, &rtx(503, 1005, &INTER), false);
        }
    }
    let media = stream(&s, 0x1111);
    let f = media.frames.as_ref().expect("frames of the media stream");
    assert_eq!(media.lost, 1);
    assert_eq!((f.frames, f.complete_frames, f.key_frames), (11, 11, 1));
    assert_eq!((f.repaired_frames, f.repaired_completions), (2, 2));
    assert_eq!(f.late_packets, 0);
    assert_eq!(f.resolution.map(|r| (r.width, r.height)), Some((320, 240)));
    assert!(stream(&s, 0x2222).frames.is_none());
}

/// Audio with the P bit and a small SRTP payload is not taken for a padding probe.
#[test]
fn small_padded_srtp_audio_is_not_a_padding_probe() {
    let mut s = Streams::default();
    s.hints.codecs.insert(111, codec("opus", 48000));
    for i in 0..5u16 {
        feed(
            &mut s,
            i64::from(i) * 20,
            &rtp(111, i, 0x5555, &[0x11; 60], 4),
            true,
        );
    }
    let st = stream(&s, 0x5555);
    assert_eq!(st.padding_only, 0);
    assert_eq!(st.codec_label, "opus/48000");
}

fn analyze_fixture(dir: &str, with_sdp: bool) -> rtcscope_analysis::report::Report {
    use rtcscope_capture::CaptureReader;
    let base = rtcscope_testkit::fixtures().join("webrtc").join(dir);
    let bytes = std::fs::read(base.join("capture.pcapng")).unwrap();
    let r = CaptureReader::new(&bytes[..]).unwrap();
    let mut e = rtcscope_analysis::Engine::default();
    if with_sdp {
        let k = rtcscope_analysis::sdp_hints::load(&[
            base.join("offer.sdp").display().to_string(),
            base.join("answer.sdp").display().to_string(),
        ])
        .unwrap()
        .unwrap();
        e.set_media_hints(k.hints, k.srtp);
    }
    e.feed_all(&mut rtcscope_capture::PacketSource::from_reader(r));
    rtcscope_analysis::report::Report::new(&e)
}

/// Without an SDP the header-extension ids of a real Chromium call are inferred from its
/// packets (mid 4, abs-send-time 2, transport-cc 3, audio level 1, as its SDP says) and the
/// mids read with them are those of its SDP; with the SDP nothing is inferred.
#[test]
fn chromium_extension_ids_are_inferred_without_an_sdp() {
    use rtcscope_rtp::rtp::extmap::uri;
    for dir in ["direct", "relay"] {
        let r = analyze_fixture(dir, false);
        let ids = r.header_extensions.as_ref().expect("inferred without SDP");
        let uri_of = |id: u8| ids.iter().find(|i| i.id == id).and_then(|i| i.uri);
        assert_eq!(uri_of(4), Some(uri::MID), "{dir}: {ids:?}");
        assert_eq!(uri_of(2), Some(uri::ABS_SEND_TIME), "{dir}: {ids:?}");
        assert_eq!(uri_of(3), Some(uri::TRANSPORT_CC_01), "{dir}: {ids:?}");
        assert_eq!(uri_of(1), Some(uri::SSRC_AUDIO_LEVEL), "{dir}: {ids:?}");
        let with = analyze_fixture(dir, true);
        assert!(with.header_extensions.is_none());
        for s in &with.streams {
            let same = r
                .streams
                .iter()
                .find(|x| x.ssrc == s.ssrc && x.src == s.src)
                .unwrap();
            assert_eq!(same.mid, s.mid, "{dir}: SSRC {:#x}", s.ssrc);
            assert!(s.mid.is_some());
        }
    }
}

/// RED packets whose primary block is ULPFEC (Firefox sends FEC inside RED) are counted as
/// FEC and never name the stream's codec; FlexFEC on its own payload type is counted too.
#[test]
fn fec_inside_red_is_counted_and_does_not_rename_the_codec() {
    let mut s = Streams::default();
    s.hints = chromium_video_hints();
    s.hints.codecs.insert(127, codec("ulpfec", 90000));
    s.hints.codecs.insert(49, codec("flexfec-03", 90000));
    // RED with the primary block VP8 (PT 96), then every third packet a ULPFEC block.
    for i in 0..9u16 {
        let block = if i % 3 == 2 { 127 } else { 96 };
        let red = [block, 0x10, 0x31, 0x01, 0x00, 0xaa];
        feed(
            &mut s,
            i64::from(i) * 33,
            &rtp(118, i, 0x1111, &red, 0),
            false,
        );
    }
    let st = stream(&s, 0x1111);
    assert_eq!(st.fec_packets, 3);
    assert_eq!(st.codec.as_deref(), Some("VP8"));
    assert_eq!(st.codec_source, Some(CodecSource::RedHeader));
    assert_eq!(st.inner_payload_type, Some(96));
    // The frames read only the VP8 blocks: 6 frames.
    assert_eq!(st.frames.as_ref().map(|f| f.frames), Some(6));
    for i in 0..4u16 {
        feed(
            &mut s,
            i64::from(i) * 33,
            &rtp(49, i, 0x3333, &[0; 20], 0),
            false,
        );
    }
    assert_eq!(stream(&s, 0x3333).fec_packets, 4);
}
