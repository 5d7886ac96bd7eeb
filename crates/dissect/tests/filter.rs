//! The display filter on real packets: the record the dissector fills agrees with what it
//! shows (protocols, relayed ones included; addresses), `rtp.ssrc` finds RTP inside TURN, and
//! against tshark's `-Y` the same frames match where the two languages mean the same thing.

use rtcscope_capture::PacketSource;
use rtcscope_dissect::filter::{parse, Expr};
use rtcscope_dissect::{Dissector, Frame, Protocol};
use rtcscope_testkit::{fixtures, require_tool, Expectations};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every frame of `path`, dissected in order with its number.
fn frames(path: &Path) -> Vec<(u64, Frame)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut source = PacketSource::new(file).expect("a capture");
    let mut d = Dissector::default();
    let mut out = Vec::new();
    while let Some(p) = source.next_packet() {
        let f = d.frame(p.number, p.ts_nanos, p.link_type, p.data, p.orig_len);
        out.push((p.number, f));
    }
    out
}

fn matching(frames: &[(u64, Frame)], filter: &str) -> BTreeSet<u64> {
    let e: Expr = parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    frames
        .iter()
        .filter(|(_, f)| e.matches(&f.fields))
        .map(|(n, _)| *n)
        .collect()
}

fn captures() -> Vec<PathBuf> {
    let f = fixtures();
    [
        "webrtc/direct/capture.pcapng",
        "webrtc/relay/capture.pcapng",
        "webrtc/firefox-relay/capture.pcapng",
        "webrtc/fail-tcp-turn/capture.pcapng",
        "captures/turn-udp.pcapng",
        "captures/turn-tcp.pcap",
        "captures/nonwebrtc/dns-53.pcap",
    ]
    .iter()
    .map(|p| f.join(p))
    .filter(|p| p.exists())
    .collect()
}

/// `stun`, `turn`, `dtls`, `rtp`, `rtcp`, `icmp` match exactly the frames whose messages (or
/// what they relay or quote) the dissector names so; `ip.addr == X` exactly those with X as
/// an endpoint.
#[test]
fn the_record_agrees_with_the_dissection() {
    for path in captures() {
        let frames = frames(&path);
        let name = path.display().to_string();
        let by_tree = |want: &dyn Fn(Protocol, bool) -> bool| -> BTreeSet<u64> {
            frames
                .iter()
                .filter(|(_, f)| {
                    f.messages
                        .iter()
                        .any(|d| d.protocols().any(|(p, turn)| want(p, turn)))
                })
                .map(|(n, _)| *n)
                .collect()
        };
        assert_eq!(
            matching(&frames, "stun"),
            by_tree(&|p, _| matches!(
                p,
                Protocol::Stun | Protocol::ClassicStun | Protocol::ChannelData
            )),
            "{name}: stun"
        );
        assert_eq!(
            matching(&frames, "turn"),
            by_tree(&|p, turn| p == Protocol::ChannelData || turn),
            "{name}: turn"
        );
        for (filter, proto) in [
            ("dtls", Protocol::Dtls),
            ("rtp", Protocol::Rtp),
            ("rtcp", Protocol::Rtcp),
        ] {
            assert_eq!(
                matching(&frames, filter),
                by_tree(&|p, _| p == proto),
                "{name}: {filter}"
            );
        }
        let udp_tcp: BTreeSet<u64> = frames
            .iter()
            .filter(|(_, f)| f.endpoints.is_some())
            .map(|(n, _)| *n)
            .collect();
        assert!(
            udp_tcp.is_subset(&matching(&frames, "udp || tcp")),
            "{name}: udp || tcp"
        );
        let all: BTreeSet<u64> = frames.iter().map(|(n, _)| *n).collect();
        assert_eq!(matching(&frames, "frame.len > 0"), all, "{name}");
        // Every endpoint address: ip.addr matches at least the frames between it.
        let mut addrs: Vec<_> = frames
            .iter()
            .filter_map(|(_, f)| f.endpoints)
            .flat_map(|(s, d)| [s.ip(), d.ip()])
            .collect();
        addrs.sort();
        addrs.dedup();
        for a in addrs.iter().take(8) {
            let between: BTreeSet<u64> = frames
                .iter()
                .filter(|(_, f)| {
                    f.endpoints
                        .is_some_and(|(s, d)| s.ip() == *a || d.ip() == *a)
                })
                .map(|(n, _)| *n)
                .collect();
            let m = matching(&frames, &format!("ip.addr == {a}"));
            assert!(between.is_subset(&m), "{name}: ip.addr == {a}");
            assert_eq!(
                m.intersection(&matching(&frames, &format!("!(ip.addr == {a})")))
                    .count(),
                0
            );
        }
    }
}

/// In the relayed call, the media travels in ChannelData: `rtp.ssrc == X` finds it there.
#[test]
fn rtp_inside_turn_matches_by_ssrc() {
    let path = fixtures().join("webrtc/relay/capture.pcapng");
    let frames = frames(&path);
    let relayed = matching(&frames, "turn && rtp");
    assert!(relayed.len() > 100, "relayed RTP frames: {}", relayed.len());
    let first = relayed.iter().next().copied().unwrap();
    let (_, f) = frames.iter().find(|(n, _)| *n == first).unwrap();
    let ssrc = f.fields.rtp().next().unwrap().ssrc;
    let by_ssrc = matching(&frames, &format!("rtp.ssrc == 0x{ssrc:08x}"));
    assert!(by_ssrc.contains(&first));
    assert_eq!(by_ssrc, matching(&frames, &format!("rtp.ssrc == {ssrc}")));
    assert!(by_ssrc.is_subset(&matching(&frames, "rtp")));
    // The peers of the relayed datagrams are known by the channel binds seen earlier.
    assert!(!matching(&frames, "turn.peer").is_empty());
    assert!(!matching(&frames, "stun.type == allocate_error").is_empty());
    assert!(
        matching(&frames, "stun.type == allocate").len()
            > matching(&frames, "stun.type == allocate_error").len()
    );
    assert!(!matching(&frames, "stun.type == channelbind_success").is_empty());
    assert!(!matching(&frames, "dtls.handshake.type == client_hello").is_empty());
}

/// Captures compared with tshark.
const DIFFERENTIAL: &[&str] = &[
    "webrtc/direct/capture.pcapng",
    "webrtc/relay/capture.pcapng",
    "webrtc/firefox-relay/capture.pcapng",
    "captures/turn-udp.pcapng",
    "captures/turn-tcp.pcap",
];

/// (rtcscope filter, tshark filter) pairs that mean the same in both languages on `frames`:
/// fixed ones, then SSRCs and addresses taken from the capture itself (`ip.addr` matches the
/// IGMP and ICMP packets of the recordings too, through `link::ip_addresses`).
fn differential_cases(frames: &[(u64, Frame)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        ("stun", "stun"),
        // Not bare `dtls`: tshark 4.0 does not know DTLS 1.3's unified header (RFC 9147 §4),
        // which Chromium's and Firefox's encrypted records use; both see the other records.
        ("dtls.content_type", "dtls.record.content_type"),
        ("dtls.handshake.type == 1", "dtls.handshake.type == 1"),
        ("dtls.content_type == 23", "dtls.record.content_type == 23"),
        (
            "stun.type == 0x0001 || stun.type == 0x0101",
            "stun.type == 0x0001 || stun.type == 0x0101",
        ),
        ("udp.port == 3478", "udp.port == 3478"),
        ("tcp.port == 3478", "tcp.port == 3478"),
        ("udp.port == 3478 && !stun", "udp.port == 3478 && !stun"),
        ("frame.len > 1000", "frame.len > 1000"),
        (
            "frame.number >= 50 && frame.number < 60",
            "frame.number >= 50 && frame.number < 60",
        ),
        ("ip", "ip"),
        ("ipv6", "ipv6"),
        ("udp && !stun", "udp && !stun"),
        ("tcp", "tcp"),
        ("icmp", "icmp || icmpv6"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let mut ssrcs: Vec<u32> = frames
        .iter()
        .flat_map(|(_, f)| f.fields.rtp().map(|h| h.ssrc))
        .collect();
    ssrcs.sort();
    ssrcs.dedup();
    for s in ssrcs.iter().take(3) {
        v.push((
            format!("rtp.ssrc == 0x{s:08x}"),
            format!("rtp.ssrc == 0x{s:08x}"),
        ));
    }
    let mut addrs: Vec<_> = frames
        .iter()
        .filter_map(|(_, f)| f.endpoints)
        .flat_map(|(s, d)| [s.ip(), d.ip()])
        .collect();
    addrs.sort();
    addrs.dedup();
    for a in addrs.iter().filter(|a| a.is_ipv4()).take(3) {
        v.push((format!("ip.addr == {a}"), format!("ip.addr == {a}")));
        v.push((
            format!("ip.src == {a} && udp"),
            format!("ip.src == {a} && udp"),
        ));
    }
    v
}

/// tshark's arguments: RTP on any UDP port, and STUN/DTLS/RTP/RTCP inside TURN.
const TSHARK: &[&str] = &[
    "-n",
    "-o",
    "rtp.heuristic_rtp:TRUE",
    "-o",
    "tcp.desegment_tcp_streams:FALSE",
    "--enable-heuristic",
    "rtp_udp",
    "--enable-heuristic",
    "stun_turn",
    "--enable-heuristic",
    "rtp_stun",
    "--enable-heuristic",
    "rtcp_stun",
    "--enable-heuristic",
    "dtls_stun",
];

fn tshark_frames(tshark: &Path, path: &Path, filter: &str) -> BTreeSet<u64> {
    let out = Command::new(tshark)
        .arg("-r")
        .arg(path)
        .args(TSHARK)
        .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .output()
        .expect("running tshark");
    assert!(
        out.status.success(),
        "tshark -Y {filter:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

#[test]
fn the_same_frames_as_tshark_display_filters() {
    let Some(tshark) = require_tool("filter::the_same_frames_as_tshark", "tshark") else {
        return;
    };
    let expect = Expectations::load("filter-vs-tshark");
    let mut compared = 0;
    for file in DIFFERENTIAL {
        let path = fixtures().join(file);
        if !path.exists() {
            continue;
        }
        let sample = format!("fixtures/{file}");
        let frames = frames(&path);
        for (ours, theirs) in differential_cases(&frames) {
            let a = matching(&frames, &ours);
            let b = tshark_frames(&tshark, &path, &theirs);
            compared += 1;
            if a != b {
                let only_ours: Vec<_> = a.difference(&b).take(8).collect();
                let only_theirs: Vec<_> = b.difference(&a).take(8).collect();
                let kind = format!("tshark {}, rtcscope {}", b.len(), a.len());
                let detail = format!("only rtcscope: {only_ours:?}, only tshark: {only_theirs:?}");
                if let Some(why) = expect.failure(&sample, &ours, &kind, &detail) {
                    println!("{sample}: {ours}: {kind}: expected ({why})");
                }
            }
        }
    }
    assert!(compared > 0, "no capture compared");
    expect.finish();
}
