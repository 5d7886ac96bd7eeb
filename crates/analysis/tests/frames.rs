//! Video frames read from decrypted payload descriptors (issue #11) against the browsers' own
//! getStats, and against tshark on the corpus's cleartext captures.

use rtcscope_analysis::decrypt::KeyStore;
use rtcscope_analysis::report::Report;
use rtcscope_analysis::streams::Stream;
use rtcscope_analysis::Engine;
use rtcscope_capture::CaptureReader;
use rtcscope_testkit::fixtures;
use serde_json::Value;
use std::path::Path;

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn stats_of<'a>(stats: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    stats
        .as_array()
        .unwrap()
        .iter()
        .filter(move |s| s["type"] == kind && s["kind"] == "video")
}

/// Runs the engine over a recording with its SDPs and (when `keys`) its key log.
fn analyze_call(dir: &Path, keys: bool) -> Report {
    let bytes = std::fs::read(dir.join("capture.pcapng")).unwrap();
    let mut rd = CaptureReader::new(&bytes[..]).unwrap();
    let mut e = Engine::default();
    let sdps = [
        dir.join("offer.sdp").display().to_string(),
        dir.join("answer.sdp").display().to_string(),
    ];
    let k = rtcscope_analysis::sdp_hints::load(&sdps).unwrap().unwrap();
    e.set_media_hints(k.hints, k.sdes);
    if keys {
        let mut ks = KeyStore::default();
        let text = std::fs::read_to_string(dir.join("keylog.txt")).unwrap();
        ks.keylog.add_text("keylog.txt", &text);
        e.set_keys(ks);
    }
    while let Ok(Some(p)) = rd.next_packet() {
        e.feed_frame(p.number, p.ts_nanos, p.link_type, p.data, p.orig_len);
    }
    e.finish();
    Report::new(&e)
}

fn media(r: &Report, ssrc: u32) -> &Stream {
    r.streams
        .iter()
        .find(|s| s.ssrc == ssrc && s.rtx_of.is_none())
        .unwrap_or_else(|| panic!("no stream {ssrc:#x}"))
}

/// A freeze's duration at the capture point against the receiver's `totalFreezesDuration`:
/// the receiver measures between rendered frames, after its jitter buffer and decoder, the
/// capture between arrivals on the wire. Measured in these recordings: 0.6 to 5 ms apart for
/// freezes of about one second (the fake camera pauses for a second); a frame interval is
/// 66 ms, so a disagreement of 20 ms still means the same gap.
const FREEZE_TOLERANCE_MS: f64 = 20.0;

/// Every Firefox recording: each sender's video SSRC has as many frames as its outbound-rtp
/// `framesSent`, its key frames equal `keyFramesEncoded` where the sender reports it
/// (Chromium) and the receiver's `keyFramesDecoded` everywhere, its resolution is
/// `frameWidth` × `frameHeight`, and the receiver's `framesReceived`, `freezeCount` and
/// `totalFreezesDuration` agree.
///
/// Exact, because the stats cover the same media as the capture: record.sh takes getStats
/// ~1.5 s after both peers stopped their tracks and before `close()`, and keeps capturing
/// for ~1 s after that (fixtures/webrtc/README.md), so every frame counted in the stats was
/// sent before the capture ended; and these calls lose no packets (decryption.rs checks
/// packetsSent against the capture exactly).
fn check_frames(name: &str) {
    let dir = fixtures().join("webrtc").join(name);
    let r = analyze_call(&dir, true);
    let stats = [
        json(&dir.join("stats-a.json")),
        json(&dir.join("stats-b.json")),
    ];
    let mut compared = 0;
    for (i, st) in stats.iter().enumerate() {
        let peer = &stats[1 - i];
        for o in stats_of(st, "outbound-rtp") {
            let ssrc = o["ssrc"].as_u64().unwrap() as u32;
            let s = media(&r, ssrc);
            let f = s
                .frames
                .as_ref()
                .unwrap_or_else(|| panic!("{name} {ssrc:#x}"));
            let inbound = stats_of(peer, "inbound-rtp")
                .find(|x| x["ssrc"].as_u64() == Some(u64::from(ssrc)))
                .unwrap();
            eprintln!(
                "{name} {ssrc:#x}: {} frames ({} key, {:?}), getStats framesSent {} \
                 keyFramesEncoded {} keyFramesDecoded {}; freezes {} ({:.1} ms), receiver {} \
                 ({} s)",
                f.frames,
                f.key_frames,
                f.resolution,
                o["framesSent"],
                o["keyFramesEncoded"],
                inbound["keyFramesDecoded"],
                f.freezes,
                f.freeze_total_ms,
                inbound["freezeCount"],
                inbound["totalFreezesDuration"],
            );
            assert_eq!(f.codec, "VP8", "{name}: the SDP's rtpmap, inside RED");
            assert_eq!(
                f.frames,
                o["framesSent"].as_u64().unwrap(),
                "{name} {ssrc:#x}"
            );
            assert_eq!(f.complete_frames, f.frames, "{name} {ssrc:#x}");
            assert_eq!(
                f.unreadable_payloads + f.late_packets,
                0,
                "{name} {ssrc:#x}"
            );
            if let Some(k) = o["keyFramesEncoded"].as_u64() {
                assert_eq!(f.key_frames, k, "{name} {ssrc:#x} keyFramesEncoded");
            }
            assert_eq!(
                f.key_frames,
                inbound["keyFramesDecoded"].as_u64().unwrap(),
                "{name} {ssrc:#x} keyFramesDecoded"
            );
            let res = f.resolution.unwrap();
            assert_eq!(
                (u64::from(res.width), u64::from(res.height)),
                (
                    o["frameWidth"].as_u64().unwrap(),
                    o["frameHeight"].as_u64().unwrap()
                ),
                "{name} {ssrc:#x}"
            );
            assert_eq!(
                f.frames,
                inbound["framesReceived"].as_u64().unwrap(),
                "{name} {ssrc:#x} framesReceived"
            );
            assert_eq!(
                f.freezes,
                inbound["freezeCount"].as_u64().unwrap(),
                "{name} {ssrc:#x} freezeCount"
            );
            let want = inbound["totalFreezesDuration"].as_f64().unwrap() * 1000.0;
            assert!(
                (f.freeze_total_ms - want).abs() <= FREEZE_TOLERANCE_MS,
                "{name} {ssrc:#x}: freezes {} ms, getStats {want} ms",
                f.freeze_total_ms
            );
            // The frame-rate series holds every complete frame.
            let binned: u64 = f.frame_rate.frames.iter().map(|&n| u64::from(n)).sum();
            assert_eq!(binned, f.complete_frames);
            compared += 1;
        }
    }
    assert_eq!(compared, 2, "{name}: one video sender each way");
    // Audio streams have no frames.
    assert!(r
        .streams
        .iter()
        .filter(|s| s.clock_rate == Some(48000))
        .all(|s| s.frames.is_none()));
}

#[test]
fn firefox_direct_frames_equal_getstats() {
    check_frames("firefox-direct");
}

#[test]
fn firefox_relay_frames_equal_getstats() {
    check_frames("firefox-relay");
}

#[test]
fn firefox_chromium_frames_equal_getstats() {
    check_frames("firefox-chromium");
}

#[test]
fn without_keys_nothing_is_known_about_frames() {
    let r = analyze_call(&fixtures().join("webrtc").join("firefox-direct"), false);
    assert!(r.streams.iter().any(|s| s.encrypted));
    assert!(r.streams.iter().all(|s| s.frames.is_none()));
    let json = serde_json::to_value(&r).unwrap();
    for s in json["streams"].as_array().unwrap() {
        assert!(s["frames"].is_null());
    }
}
