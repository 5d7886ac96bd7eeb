//! Video frames read from decrypted payload descriptors (issue #11) against the browsers' own
//! getStats, and against tshark on the corpus's cleartext captures.

use rtcscope_analysis::decrypt::KeyStore;
use rtcscope_analysis::report::Report;
use rtcscope_analysis::streams::Stream;
use rtcscope_analysis::streams::{Codec, MediaHints};
use rtcscope_analysis::Engine;
use rtcscope_capture::{CaptureReader, PacketSource};
use rtcscope_testkit::{corpus, fixtures, require_tool, CountingAlloc};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

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
    let rd = CaptureReader::new(&bytes[..]).unwrap();
    let mut e = Engine::default();
    let sdps = [
        dir.join("offer.sdp").display().to_string(),
        dir.join("answer.sdp").display().to_string(),
    ];
    let k = rtcscope_analysis::sdp_hints::load(&sdps).unwrap().unwrap();
    e.set_media_hints(k.hints, k.srtp);
    if keys {
        let mut ks = KeyStore::default();
        let text = std::fs::read_to_string(dir.join("keylog.txt")).unwrap();
        ks.keylog.add_text("keylog.txt", &text);
        e.set_keys(ks);
    }
    e.feed_all(&mut PacketSource::from_reader(rd));
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

/// Frames whose packets were lost before the capture point and repaired by RTX: the two
/// Firefox recordings with loss at A's egress (firefox-lossy: 5 % random, the first key frame's
/// one packet among the losses; firefox-outage: 3 s of A's RTP dropped, then 45 RTX repairs
/// ahead of the next frame). Every frame A sent reached the capture point as its original or
/// its repair, so our frames (one per RTP timestamp, the RTX copies' included) equal A's
/// `framesSent`, all complete, and our key frames B's `keyFramesDecoded` (firefox-outage: two,
/// the second asked for by the PLI). B's `framesReceived` agrees on firefox-outage; on
/// firefox-lossy it is one short of its own `framesDecoded` (221 < 222: a receiver decodes no
/// frame it did not receive; the one it misses is the key frame whose only copies came on the
/// RTX SSRC before any packet of the media SSRC), so ours must equal one or the other. The
/// frames seen only in an RTX copy are at least one and at most A's `retransmittedPacketsSent`.
/// Our freezes are B's `freezeCount`; a freeze at the capture point is the network's share of
/// the receiver's: after the outage B waits for the key frame before it renders again (it
/// drops 23 repaired frames: `framesDropped`), so ours is at most its `totalFreezesDuration`.
#[test]
fn frames_repaired_by_rtx_count_as_the_sender_counts_them() {
    for name in ["firefox-lossy", "firefox-outage"] {
        let dir = fixtures().join("webrtc").join(name);
        let r = analyze_call(&dir, true);
        let a = json(&dir.join("stats-a.json"));
        let b = json(&dir.join("stats-b.json"));
        let mut compared = 0;
        for inbound in stats_of(&b, "inbound-rtp") {
            let ssrc = inbound["ssrc"].as_u64().unwrap() as u32;
            let out = stats_of(&a, "outbound-rtp")
                .find(|o| o["ssrc"] == inbound["ssrc"])
                .unwrap();
            let s = media(&r, ssrc);
            let f = s.frames.as_ref().unwrap();
            let get = |k: &str| inbound[k].as_u64().unwrap();
            let sent = |k: &str| out[k].as_u64().unwrap();
            eprintln!(
                "{name} {ssrc:#x}: {} frames ({} repaired, {} key, {} complete), {} lost; \
                 freezes {} ({:.1} ms); getStats framesSent {} retransmittedPacketsSent {} \
                 framesReceived {} framesDecoded {} keyFramesDecoded {} packetsLost {} \
                 freezeCount {} ({} s)",
                f.frames,
                f.repaired_frames,
                f.key_frames,
                f.complete_frames,
                s.lost,
                f.freezes,
                f.freeze_total_ms,
                sent("framesSent"),
                sent("retransmittedPacketsSent"),
                get("framesReceived"),
                get("framesDecoded"),
                get("keyFramesDecoded"),
                get("packetsLost"),
                get("freezeCount"),
                inbound["totalFreezesDuration"],
            );
            assert!(
                s.lost > 0,
                "{name}: A's video lost packets before the capture"
            );
            assert_eq!(f.frames, sent("framesSent"), "{name} framesSent");
            assert!(
                f.frames == get("framesReceived")
                    || (f.frames == get("framesDecoded")
                        && get("framesDecoded") > get("framesReceived")),
                "{name}: framesReceived"
            );
            assert_eq!(f.complete_frames, f.frames, "{name} complete");
            assert_eq!(f.key_frames, get("keyFramesDecoded"), "{name} key frames");
            assert!(
                (1..=sent("retransmittedPacketsSent")).contains(&f.repaired_frames),
                "{name}: {} repaired frames",
                f.repaired_frames
            );
            assert_eq!(f.late_packets + f.unreadable_payloads, 0, "{name}");
            assert_eq!(f.freezes, get("freezeCount"), "{name} freezeCount");
            let theirs = inbound["totalFreezesDuration"].as_f64().unwrap() * 1000.0;
            assert!(
                f.freeze_total_ms <= theirs + FREEZE_TOLERANCE_MS,
                "{name}: freezes {} ms at the capture point, {theirs} ms at the receiver",
                f.freeze_total_ms
            );
            // The RTX stream itself has no frames of its own.
            assert!(r
                .streams
                .iter()
                .filter(|x| x.rtx_of == Some(ssrc))
                .all(|x| x.frames.is_none()));
            compared += 1;
        }
        assert_eq!(compared, 1, "{name}: one video stream from A to B");
    }
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

/// Runs the engine over a cleartext capture with payload type `pt` mapped to `codec` (as an
/// SDP's rtpmap would).
fn analyze_plain(pcap: &Path, pt: u8, codec: &str) -> Report {
    analyze_with(pcap, pt, codec, None)
}

/// As [`analyze_plain`]; with `keys`, the streams are known to be SRTP (as an SDP's a=crypto
/// says) and those keys (possibly none) decrypt them.
fn analyze_with(pcap: &Path, pt: u8, codec: &str, keys: Option<KeyStore>) -> Report {
    let bytes = std::fs::read(pcap).unwrap();
    let rd = CaptureReader::new(&bytes[..]).unwrap();
    let mut e = Engine::default();
    let srtp = keys.is_some();
    if let Some(k) = keys {
        e.set_keys(k);
    }
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
    e.set_media_hints(hints, srtp);
    e.feed_all(&mut PacketSource::from_reader(rd));
    Report::new(&e)
}

/// tshark's fields, one row a packet, the capture's UDP port decoded as RTP and `pt` as
/// `dissector`.
fn tshark_rows(
    tshark: &Path,
    pcap: &Path,
    port: u16,
    pt: u8,
    dissector: Option<&str>,
    fields: &[&str],
) -> Vec<Vec<String>> {
    let mut cmd = Command::new(tshark);
    cmd.arg("-r")
        .arg(pcap)
        .args(["-d", &format!("udp.port=={port},rtp")]);
    if let Some(d) = dissector {
        cmd.args(["-d", &format!("rtp.pt=={pt},{d}")]);
    }
    // A display filter makes tshark build the protocol tree, which some dissectors (H.264's
    // SPS fields) need before their fields are filled.
    cmd.args(["-Y", "rtp", "-T", "fields", "-E", "occurrence=f"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// Frames and complete frames as tshark's RTP fields show them: distinct timestamps, and
/// those with a marker-bit packet.
fn tshark_frames(rows: &[Vec<String>]) -> (u64, u64) {
    let all: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let marked: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r[1] == "1" || r[1] == "True")
        .map(|r| r[0].as_str())
        .collect();
    (all.len() as u64, marked.len() as u64)
}

fn only_stream(r: &Report) -> &Stream {
    assert_eq!(r.streams.len(), 1, "{:?}", r.streams);
    &r.streams[0]
}

/// The cleartext video captures of the shared corpus (str0m's depacketizer tests: libwebrtc
/// VP8, VP9, H.264, AV1; membrane's H.264 with reordered packets) against tshark: frames are
/// its distinct RTP timestamps and complete frames those with a marker packet; VP8 key frames
/// and sizes are its VP8 dissector's (frame type 0, key frame width/height); H.264 key frames
/// are the timestamps of its IDR slices (NAL type 5) and the size is its SPS fields' (cropped
/// as H.264 §7.4.2.1.1 says); membrane's capture has 313 reordered packets, and still every
/// frame is counted once. tshark 4.0 has no VP9 or AV1 dissector: for those only frames and
/// complete frames are compared, and every payload must read; key frames and sizes are
/// printed, not checked against an independent reader.
#[test]
fn corpus_video_frames_agree_with_tshark() {
    let test = "corpus_video_frames_agree_with_tshark";
    let Some(dir) = corpus(test) else { return };
    let Some(tshark) = require_tool(test, "tshark") else {
        return;
    };
    let str0m = dir.join("str0m");

    // VP8 (PT 96 on port 5443).
    let pcap = str0m.join("vp8.pcap");
    let f = only_stream(&analyze_plain(&pcap, 96, "VP8"))
        .frames
        .clone()
        .unwrap();
    let rows = tshark_rows(
        &tshark,
        &pcap,
        5443,
        96,
        Some("vp8"),
        &[
            "rtp.timestamp",
            "rtp.marker",
            "vp8.hdr.frametype",
            "vp8.keyframe.width",
            "vp8.keyframe.height",
        ],
    );
    assert_eq!((f.frames, f.complete_frames), tshark_frames(&rows), "VP8");
    let keys: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r[2] == "0" || r[2] == "False")
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(f.key_frames, keys.len() as u64, "VP8 key frames");
    let last = rows.iter().rev().find(|r| !r[3].is_empty()).unwrap();
    let res = f.resolution.unwrap();
    assert_eq!(
        (res.width.to_string(), res.height.to_string()),
        (last[3].clone(), last[4].clone())
    );
    eprintln!(
        "VP8: {} frames, {} key, {res:?}, tshark agrees",
        f.frames, f.key_frames
    );

    // H.264: str0m's (PT 126 on 1235), membrane's (PT 96 on 5000, reordered).
    for (pcap, port, pt) in [
        (str0m.join("h264.pcap"), 1235, 126),
        (
            dir.join("membrane_rtp_plugin/h264_before_sr.pcap"),
            5000,
            96,
        ),
    ] {
        let s = only_stream(&analyze_plain(&pcap, pt, "H264")).clone();
        let f = s.frames.unwrap();
        let rows = tshark_rows(
            &tshark,
            &pcap,
            port,
            pt,
            Some("h264"),
            &[
                "rtp.timestamp",
                "rtp.marker",
                "h264.nal_unit_type",
                "h264.pic_width_in_mbs_minus1",
                "h264.pic_height_in_map_units_minus1",
                "h264.frame_crop_left_offset",
                "h264.frame_crop_right_offset",
                "h264.frame_crop_top_offset",
                "h264.frame_crop_bottom_offset",
            ],
        );
        let name = pcap.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            (f.frames, f.complete_frames),
            tshark_frames(&rows),
            "{name}"
        );
        // IDR slices: tshark's info column names each NAL unit of the packet ("STAP-A SPS PPS
        // IDR-Slice", "FU-A Start:IDR-Slice"); its H.264 fields do not give a FU-A's type.
        let info = tshark_rows(
            &tshark,
            &pcap,
            port,
            pt,
            Some("h264"),
            &["rtp.timestamp", "_ws.col.Info"],
        );
        let idr: BTreeSet<&str> = info
            .iter()
            .filter(|r| r[1].split([' ', ':']).any(|w| w == "IDR-Slice"))
            .map(|r| r[0].as_str())
            .collect();
        assert_eq!(f.key_frames, idr.len() as u64, "{name} IDR frames");
        let sps = rows.iter().rev().find(|r| !r[3].is_empty());
        match (sps, f.resolution) {
            (Some(r), Some(res)) => {
                let n = |i: usize| r[i].parse::<u32>().unwrap_or(0);
                // Baseline 4:2:0 frames (frame_mbs_only = 1): crop units of 2.
                let w = (n(3) + 1) * 16 - 2 * (n(5) + n(6));
                let h = (n(4) + 1) * 16 - 2 * (n(7) + n(8));
                assert_eq!((res.width, res.height), (w, h), "{name}");
            }
            (None, None) => {}
            other => panic!("{name}: SPS {other:?}"),
        }
        eprintln!(
            "{name}: {} frames ({} complete, {} key), {:?}, {} reordered packets, {} late; \
             tshark agrees",
            f.frames, f.complete_frames, f.key_frames, f.resolution, s.reordered, f.late_packets
        );
    }

    // VP9 (PT 98, 1234 → 1235) and AV1 (PT 45, 2000 → 1000): frames against tshark's RTP.
    for (file, port, pt, codec) in [
        ("vp9.pcap", 1235, 98, "VP9"),
        ("contiguous_vp9.pcap", 63576, 98, "VP9"),
        ("av1.pcap", 1000, 45, "AV1"),
    ] {
        let pcap = str0m.join(file);
        let f = only_stream(&analyze_plain(&pcap, pt, codec))
            .frames
            .clone()
            .unwrap();
        let rows = tshark_rows(
            &tshark,
            &pcap,
            port,
            pt,
            None,
            &["rtp.timestamp", "rtp.marker"],
        );
        assert_eq!(
            (f.frames, f.complete_frames),
            tshark_frames(&rows),
            "{file}"
        );
        assert_eq!(f.unreadable_payloads, 0, "{file}");
        eprintln!(
            "{file}: {} frames ({} complete, {} key), {:?}; tshark's RTP agrees",
            f.frames, f.complete_frames, f.key_frames, f.resolution
        );
    }
}

/// A frame tracker allocates when it is made, never per packet: an hour of 30 fps two-packet
/// frames with key frames, resolution changes and freezes (so every bounded list fills and
/// the rate series merges its buckets) makes no allocation after the first packet.
#[test]
fn frame_tracking_allocates_nothing_per_packet() {
    use rtcscope_analysis::frames::FrameTracker;
    use rtcscope_rtp::codec::VideoCodec;
    let key = |w: u8| {
        [
            0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, w, 0x01, 0xf0, 0x00,
        ]
    };
    let inter = [0x10u8, 0x31, 0x01, 0x00];
    let mut t = FrameTracker::new(VideoCodec::Vp8);
    t.packet(0, 0, true, &key(0x40));
    let ms = 1_000_000i64;
    let mut now = 0;
    let n = CountingAlloc::count(|| {
        for i in 1..108_000u32 {
            // Every 300th frame a key frame of another width; every 1000th after a 1 s gap.
            now += if i % 1000 == 0 { 1000 * ms } else { 33 * ms };
            let ts = i.wrapping_mul(3000);
            if i % 300 == 0 {
                t.packet(now, ts, false, &key((i / 300 % 7) as u8 + 0x40));
            } else {
                t.packet(now, ts, false, &inter);
            }
            t.packet(now + ms, ts, true, &[0x00, 0xaa]);
        }
    });
    let r = t.report();
    assert_eq!(n, 0, "allocations while feeding");
    assert_eq!(r.frames, 108_000);
    assert!(r.freezes >= 100 && r.resolution_changes >= 300, "{r:?}");
    assert!(r.frame_rate.bucket_ns > 1_000_000_000);
}

/// H.264 inside SRTP: membrane's GStreamer capture (corpus membrane_rtp_plugin/srtp.pcap,
/// AES_CM_128_HMAC_SHA1_80 with the master key and salt "a" × 30, verified by MANIFEST.md).
/// Decrypted with that key as `--srtp-key` gives it, the H.264 stream's frames and complete
/// frames equal tshark's distinct RTP timestamps (the SRTP header is clear), every payload
/// reads, and its SPS gives a size; without the key nothing is known.
#[test]
fn h264_inside_srtp_decrypted_with_its_key() {
    let test = "h264_inside_srtp_decrypted_with_its_key";
    let Some(dir) = corpus(test) else { return };
    let Some(tshark) = require_tool(test, "tshark") else {
        return;
    };
    let pcap = dir.join("membrane_rtp_plugin/srtp.pcap");
    let mut keys = KeyStore::default();
    // base64 of "a" × 30 (16-byte key, 14-byte salt).
    let (scope, key) = rtcscope_analysis::decrypt::parse_scoped_key(
        "AES_CM_128_HMAC_SHA1_80:YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh",
    )
    .unwrap();
    keys.add_srtp_key("--srtp-key".into(), scope, key);
    let r = analyze_with(&pcap, 96, "H264", Some(keys));
    let s = r
        .streams
        .iter()
        .find(|s| s.ssrc == 3546707599)
        .expect("the H.264 stream");
    assert!(!s.encrypted);
    let f = s.frames.as_ref().expect("frames of the decrypted stream");
    let rows = tshark_rows(
        &tshark,
        &pcap,
        5000,
        96,
        None,
        &["rtp.timestamp", "rtp.marker", "rtp.ssrc"],
    );
    let ssrc = format!("{:#010x}", s.ssrc);
    let rows: Vec<_> = rows.into_iter().filter(|r| r[2] == ssrc).collect();
    assert!(!rows.is_empty());
    assert_eq!((f.frames, f.complete_frames), tshark_frames(&rows));
    assert_eq!(f.unreadable_payloads, 0);
    assert!(f.key_frames >= 1 && f.resolution.is_some(), "{f:?}");
    eprintln!(
        "srtp.pcap H.264: {} frames ({} complete, {} key), {:?}, {:.1} fps",
        f.frames,
        f.complete_frames,
        f.key_frames,
        f.resolution,
        f.frames_per_second.unwrap_or(0.0)
    );
    // Known to be SRTP (as an SDP's a=crypto says), but no key given.
    let r = analyze_with(&pcap, 96, "H264", Some(KeyStore::default()));
    assert!(r.streams.iter().all(|s| s.encrypted && s.frames.is_none()));
}

mod reordering {
    use proptest::prelude::*;
    use rtcscope_analysis::frames::FrameTracker;
    use rtcscope_rtp::codec::VideoCodec;

    /// A VP8 frame's first packet (key or inter) and a continuation.
    fn first(key: bool) -> Vec<u8> {
        if key {
            vec![
                0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00,
            ]
        } else {
            vec![0x10, 0x31, 0x01, 0x00]
        }
    }

    proptest! {
        /// However the packets of a call are reordered (each delayed by less than the ring's
        /// reach) and repeated (retransmissions on the media SSRC), the frames, key frames
        /// and complete frames are those of the call in order.
        #[test]
        fn reordered_and_repeated_packets_count_each_frame_once(
            frames in prop::collection::vec((any::<bool>(), 1usize..4), 1..120),
            jitter in prop::collection::vec(0usize..8, 360),
            repeats in prop::collection::vec(0usize..1000, 0..30),
        ) {
            // Packets: (ts, marker, payload); frame i at ts i × 3000, `n` packets each.
            let mut packets = Vec::new();
            for (i, &(key, n)) in frames.iter().enumerate() {
                let ts = i as u32 * 3000;
                for j in 0..n {
                    let p = if j == 0 { first(key) } else { vec![0x00, 0xaa] };
                    packets.push((ts, j + 1 == n, p));
                }
            }
            let want_keys = frames.iter().filter(|(k, _)| *k).count() as u64;
            // Each packet arrives up to 8 places late: sorted by index + jitter, so no packet
            // moves further than that (less than the ring's 32 frames).
            let mut keyed: Vec<_> = packets
                .into_iter()
                .enumerate()
                .map(|(i, p)| (i + jitter[i % jitter.len()], i, p))
                .collect();
            keyed.sort_by_key(|(k, i, _)| (*k, *i));
            let mut packets: Vec<_> = keyed.into_iter().map(|(_, _, p)| p).collect();
            for &r in &repeats {
                let p = packets[r % packets.len()].clone();
                let at = (r % packets.len() + 3).min(packets.len());
                packets.insert(at, p);
            }
            let mut t = FrameTracker::new(VideoCodec::Vp8);
            for (i, (ts, m, p)) in packets.iter().enumerate() {
                t.packet(i as i64 * 1_000_000, *ts, *m, p);
            }
            let r = t.report();
            prop_assert_eq!(r.frames, frames.len() as u64);
            prop_assert_eq!(r.key_frames, want_keys);
            prop_assert_eq!(r.complete_frames, frames.len() as u64);
            prop_assert_eq!(r.late_packets, 0);
        }
    }
}
