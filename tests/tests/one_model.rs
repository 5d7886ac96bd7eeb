//! One demultiplexer: the engine (`analyze`, the TUI's session views) and the per-packet
//! dissector (`dissect`, the TUI's packet list) call every UDP packet of the project's
//! recordings the same thing, because both apply `rtcscope-demux`'s rules; and the engine says
//! per packet what it made of it (`Engine::feed_frame`'s verdict).

use rtcscope_analysis::demux::Kind;
use rtcscope_analysis::Engine;
use rtcscope_capture::CaptureReader;
use rtcscope_dissect::{dissect_frame, Protocol};

fn same_name(kind: Kind, protocol: Protocol) -> bool {
    matches!(
        (kind, protocol),
        (Kind::Stun, Protocol::Stun)
            | (Kind::ClassicStun, Protocol::ClassicStun)
            | (Kind::ChannelData, Protocol::ChannelData)
            | (Kind::Dtls, Protocol::Dtls)
            | (Kind::Rtp, Protocol::Rtp)
            | (Kind::Rtcp, Protocol::Rtcp)
            | (Kind::Unknown, Protocol::Data)
    )
}

#[test]
fn engine_and_dissector_label_every_udp_packet_alike() {
    let dir = rtcscope_testkit::fixtures();
    let mut files: Vec<_> = rtcscope_testkit::files_under(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    let mut compared = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Ok(mut reader) = CaptureReader::new(&bytes[..]) else {
            continue;
        };
        let mut engine = Engine::default();
        while let Ok(Some(p)) = reader.next_packet() {
            let v = engine.feed_frame(p.number, p.ts_nanos, p.link_type, p.data, p.orig_len);
            let f = dissect_frame(p.number, p.ts_nanos, p.link_type, p.data, p.orig_len);
            if f.transport != Some("UDP") {
                continue;
            }
            let Some(kind) = v.kind else { continue };
            let first = f.messages.first().map(|d| d.protocol).unwrap();
            // What the engine knows and one packet does not: ChannelData on a channel never
            // seen bound, SCTP recognised by its checksum, RTCP on a flow with no media yet.
            let context_only = matches!(
                (kind, first),
                (Kind::Unknown, Protocol::ChannelData)
                    | (Kind::Sctp, Protocol::Data)
                    | (Kind::Unknown, Protocol::Rtcp)
            );
            assert!(
                same_name(kind, first) || context_only,
                "{} packet {}: the engine says {kind:?}, the dissector {}",
                path.display(),
                p.number,
                first.name()
            );
            compared += 1;
        }
    }
    assert!(compared > 5_000, "{compared} packets compared");
}

#[test]
fn the_verdict_names_flow_stream_and_session() {
    let path = rtcscope_testkit::fixtures().join("webrtc/direct/capture.pcapng");
    let bytes = std::fs::read(path).unwrap();
    let mut reader = CaptureReader::new(&bytes[..]).unwrap();
    let mut engine = Engine::default();
    let (mut rtp, mut checks) = (0, 0);
    let mut ssrcs = std::collections::BTreeSet::new();
    while let Ok(Some(p)) = reader.next_packet() {
        let v = engine.feed_frame(p.number, p.ts_nanos, p.link_type, p.data, p.orig_len);
        match v.kind {
            Some(Kind::Rtp) => {
                ssrcs.insert(v.ssrc.expect("an RTP verdict names its SSRC"));
                assert!(v.flow.is_some());
                rtp += 1;
            }
            Some(Kind::Stun) if v.ice_session.is_some() => checks += 1,
            _ => {}
        }
    }
    // Every stream the report lists was named by the verdicts of its packets.
    let streams = engine.streams().clone_finished();
    assert!(!streams.is_empty());
    for s in &streams {
        assert!(ssrcs.contains(&s.ssrc), "stream {:#x} never named", s.ssrc);
    }
    assert!(rtp > 1000, "{rtp}");
    assert!(checks > 0, "no ICE check named its session");
    let session_ids: Vec<u32> = engine.ice().sessions.iter().map(|s| s.id).collect();
    assert!(!session_ids.is_empty());
}

/// The report (analyze, text and JSON) and the TUI's snapshot take nomination and the selected
/// pair per agent from one place (`Engine::session_view`), so they name the same pairs, on a
/// direct call, a relayed one and TURN over TCP.
#[test]
fn report_and_tui_name_the_same_selected_pairs() {
    use rtcscope_analysis::report::Report;
    use rtcscope_analysis::snapshot::{Options, Snapshot};
    for name in [
        "webrtc/direct/capture.pcapng",
        "webrtc/relay/capture.pcapng",
        "captures/turn-tcp.pcap",
    ] {
        let bytes = std::fs::read(rtcscope_testkit::fixtures().join(name)).unwrap();
        let mut reader = CaptureReader::new(&bytes[..]).unwrap();
        let mut engine = Engine::default();
        while let Ok(Some(p)) = reader.next_packet() {
            engine.feed_frame(p.number, p.ts_nanos, p.link_type, p.data, p.orig_len);
        }
        engine.finish();
        let report = Report::new(&engine);
        let snap = Snapshot::take(&engine, &Options::default());
        assert_eq!(report.ice_sessions.len(), snap.sessions.len(), "{name}");
        for (r, s) in report.ice_sessions.iter().zip(&snap.sessions) {
            let from_report: Vec<u32> = r.selected.iter().map(|p| p.pair).collect();
            assert_eq!(from_report, s.selected, "{name}: selected pairs");
            for (rp, sp) in r.pairs.iter().zip(&s.pairs) {
                assert_eq!(rp.id, sp.pair.id);
                assert_eq!(rp.nominated, sp.pair.nominated, "{name}: pair {}", rp.id);
            }
        }
    }
}
