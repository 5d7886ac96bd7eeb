//! The engine against tshark on every corpus and fixture capture: per-SSRC RTP packet counts
//! (tshark with its RTP heuristics on, over UDP and inside STUN/TURN, and told to read the
//! TCP connections that carry RTP straight, as ICE-TCP does, with its RFC 4571 framing), and
//! every TURN
//! ChannelData message unwrapped. Disagreements are listed, with the reason, in
//! tests/expected-failures.tsv (suite `analysis-vs-tshark`).

use rtcscope_analysis::report::Report;
use rtcscope_analysis::Engine;
use rtcscope_capture::{CaptureReader, PacketSource};
use rtcscope_testkit::{corpus, files_under, fixtures, require_tool, Expectations};
use std::collections::BTreeMap;
use std::path::Path;

fn analyze(path: &Path) -> Report {
    let bytes = std::fs::read(path).unwrap();
    let r = CaptureReader::new(&bytes[..]).unwrap();
    let mut e = Engine::default();
    e.feed_all(&mut PacketSource::from_reader(r));
    Report::new(&e)
}

fn tshark_fields(tshark: &Path, pcap: &Path, report: &Report, field: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "--enable-heuristic",
        "rtp_udp",
        "--enable-heuristic",
        "rtp_stun",
        // Messages quoted inside ICMP errors are not messages.
        "-Y",
        "!icmp && !icmpv6",
    ]
    .map(String::from)
    .to_vec();
    // ICE-TCP (RFC 6544): tshark has no heuristic for RTP on TCP; "decode as rtp" on a TCP
    // port reads RFC 4571 framing. The connections the engine found RTP on directly (not
    // inside TURN, whose TCP framing is STUN's) are given so.
    for f in &report.flows {
        if f.transport == rtcscope_analysis::flow::Transport::Tcp
            && f.relay.is_none()
            && f.counts.rtp > 0
        {
            for port in [f.a.port(), f.b.port()] {
                args.extend(["-d".into(), format!("tcp.port=={port},rtp")]);
            }
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    rtcscope_testkit::tshark::field_values(tshark, pcap, &args, &[field]).remove(0)
}

fn captures(test: &str) -> Vec<(String, std::path::PathBuf)> {
    let is_cap = |p: &Path| {
        matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("pcap" | "pcapng")
        )
    };
    let mut out: Vec<(String, std::path::PathBuf)> = files_under(&fixtures())
        .into_iter()
        .filter(|p| is_cap(p))
        .map(|p| {
            let name = format!("fixtures/{}", p.strip_prefix(fixtures()).unwrap().display());
            (name, p)
        })
        .collect();
    if let Some(c) = corpus(test) {
        out.extend(
            files_under(&c)
                .into_iter()
                .filter(|p| is_cap(p))
                .map(|p| (p.strip_prefix(&c).unwrap().display().to_string(), p)),
        );
    }
    out
}

#[test]
fn per_ssrc_rtp_counts_and_channel_data_agree_with_tshark() {
    let Some(tshark) = require_tool("analysis::corpus", "tshark") else {
        return;
    };
    let exp = Expectations::load("analysis-vs-tshark");
    let mut compared = 0;
    for (name, path) in captures("analysis::corpus") {
        let report = analyze(&path);
        // RTP per SSRC. tshark counts every sighting: a relayed datagram captured on both legs
        // of its relay path (at the TURN server, or where both clients' legs pass) twice;
        // rtcscope counts it once, on one leg, and matches the copy on the other. So a stream
        // counted on a path seen on both legs is compared twice over (a datagram lost between
        // the legs would show here as a disagreement).
        let mut ours: BTreeMap<u32, u64> = BTreeMap::new();
        for s in &report.streams {
            let sightings = if s.counted_on.is_some_and(|c| c.both_legs) {
                2
            } else {
                1
            };
            *ours.entry(s.ssrc).or_default() += sightings * s.packets;
        }
        let mut theirs: BTreeMap<u32, u64> = BTreeMap::new();
        for v in tshark_fields(&tshark, &path, &report, "rtp.ssrc") {
            let ssrc = u32::from_str_radix(v.trim_start_matches("0x"), 16).unwrap();
            *theirs.entry(ssrc).or_default() += 1;
        }
        let ssrcs: std::collections::BTreeSet<u32> =
            ours.keys().chain(theirs.keys()).copied().collect();
        for ssrc in ssrcs {
            let (a, b) = (
                ours.get(&ssrc).copied().unwrap_or(0),
                theirs.get(&ssrc).copied().unwrap_or(0),
            );
            if a != b {
                exp.failure(
                    &name,
                    &format!("rtp.ssrc 0x{ssrc:08x}"),
                    "count",
                    &format!("rtcscope {a}, tshark {b}"),
                );
            }
        }
        // ChannelData: every message tshark sees is unwrapped by a bound channel.
        let channel_msgs: u64 = report
            .turn_allocations
            .iter()
            .flat_map(|a| a.channels.iter().map(|c| c.messages))
            .sum();
        let tshark_channels = tshark_fields(&tshark, &path, &report, "stun.channel").len() as u64;
        if channel_msgs != tshark_channels {
            exp.failure(
                &name,
                "stun.channel",
                "count",
                &format!("rtcscope unwrapped {channel_msgs}, tshark {tshark_channels}"),
            );
        }
        compared += 1;
    }
    assert!(compared >= 2);
    exp.finish();
}

#[test]
fn bundled_turn_capture_in_detail() {
    let r = analyze(&fixtures().join("captures/turn-udp.pcapng"));
    assert_eq!(r.counters.packets, 522);
    assert_eq!(
        r.counters.capture_drops,
        Some(0),
        "the file's Interface Statistics Block, as Engine::feed_all records it"
    );
    assert_eq!(r.turn_allocations.len(), 5);
    use rtcscope_analysis::turn::AllocationState::*;
    let states: Vec<_> = r.turn_allocations.iter().map(|a| a.state).collect();
    assert_eq!(states.iter().filter(|s| **s == Released).count(), 4);
    for a in &r.turn_allocations {
        assert_eq!(a.realm.as_deref(), Some("rtcscope.test"));
        assert_eq!(a.username.as_deref(), Some("alice"));
        assert!(a.relayed.is_some());
        assert_eq!(a.errors[0].code, 401);
    }
    // The four clients relay 50 messages each way through channels: 4 × 100.
    let used: Vec<u64> = r
        .turn_allocations
        .iter()
        .flat_map(|a| a.channels.iter().map(|c| c.messages))
        .filter(|m| *m > 0)
        .collect();
    assert_eq!(used, vec![100, 100, 100, 100]);
    // Two clients relay to each other twice over (two relay paths), captured at the server:
    // one inner flow relayed ↔ peer per path, each datagram in it once (50 each way), not one
    // per allocation.
    let inner: Vec<_> = r.flows.iter().filter(|f| f.relay.is_some()).collect();
    assert_eq!(inner.len(), 2);
    for f in inner {
        assert_eq!(f.packets, [50, 50]);
    }
    assert_eq!(r.relay_paths.len(), 2);
    assert!(r.relay_paths.iter().all(|p| p.legs_seen == "both"));
}
