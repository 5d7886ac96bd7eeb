//! One demultiplexer: the engine (`analyze`, the TUI's session views) and the per-packet
//! dissector (`dissect`, the TUI's packet list) call every UDP packet of the project's
//! recordings the same thing, because both apply `rtcscope-demux`'s rules; `dissect` (with
//! state) labels every TCP segment as the engine does, because both cut TCP streams with the
//! same reassembler, also when the messages are split over segments; and the engine says per
//! packet what it made of it (`Engine::feed_frame`'s verdict).

use rtcscope_analysis::demux::Kind;
use rtcscope_analysis::Engine;
use rtcscope_capture::{CaptureReader, LinkType};
use rtcscope_dissect::{dissect_frame, Dissector, Protocol};
use std::path::PathBuf;

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
    let files = rtcscope_testkit::captures_under(&dir);
    assert!(files.len() >= 8, "{files:?}");
    let mut compared = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Ok(mut reader) = CaptureReader::new(&bytes[..]) else {
            continue;
        };
        let mut engine = Engine::default();
        while let Ok(Some(p)) = reader.next_packet() {
            let v = engine.feed_packet(&p);
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

/// The TCP captures: every fixture, and the shared corpus's TURN-over-TCP calls when present.
fn tcp_captures(test: &str) -> Vec<PathBuf> {
    let mut files = rtcscope_testkit::captures_under(&rtcscope_testkit::fixtures());
    if let Some(corpus) = rtcscope_testkit::corpus(test) {
        for name in ["tcp_call_02_03_client.pcap", "wifi-tcp_to_3g.pcap"] {
            files.push(corpus.join("veondigital-srtp_decoder").join(name));
        }
    }
    files.sort();
    files
}

/// What the engine and `dissect` (with state) made of the TCP frames of a capture.
struct TcpLabels {
    /// Per TCP frame: its number, the engine's verdict, the protocols `dissect` lists, and
    /// whether `dissect` read the segment alone (the stream's cutter completed nothing there).
    frames: Vec<(u64, Option<Kind>, Vec<Protocol>, bool)>,
    /// STUN and ChannelData messages the engine counted on TCP flows (outside relays).
    engine: (u64, u64),
    /// Whether the engine saw the TURN allocations of every TCP flow with ChannelData (a
    /// capture that starts after the Allocate leaves ChannelData the engine cannot unwrap, and
    /// does not count, where `dissect` still names it).
    knows_allocations: bool,
}

impl TcpLabels {
    /// STUN and ChannelData messages `dissect` found in TCP frames.
    fn dissected(&self) -> (u64, u64) {
        let mut n = (0, 0);
        for (_, _, ps, _) in &self.frames {
            n.0 += ps.iter().filter(|&&p| p == Protocol::Stun).count() as u64;
            n.1 += ps.iter().filter(|&&p| p == Protocol::ChannelData).count() as u64;
        }
        n
    }
}

fn tcp_labels(bytes: &[u8]) -> TcpLabels {
    let mut out = TcpLabels {
        frames: Vec::new(),
        engine: (0, 0),
        knows_allocations: true,
    };
    let Ok(mut reader) = CaptureReader::new(bytes) else {
        return out;
    };
    let mut engine = Engine::default();
    let mut dissector = Dissector::default();
    // The TCP connections on which `dissect` found ChannelData.
    let mut with_channel_data = std::collections::BTreeSet::new();
    while let Ok(Some(p)) = reader.next_packet() {
        let v = engine.feed_packet(&p);
        let f = dissector.frame(p.number, p.ts_nanos, p.link_type, p.data, p.orig_len);
        if let (Some("TCP"), Some((a, b))) = (f.transport, f.endpoints) {
            if f.messages
                .iter()
                .any(|m| m.protocol == Protocol::ChannelData)
            {
                with_channel_data.insert((a.min(b), a.max(b)));
            }
        }
        if f.transport == Some("TCP") {
            out.frames.push((
                p.number,
                v.kind,
                f.messages.iter().map(|m| m.protocol).collect(),
                f.info().contains("[segment read alone]"),
            ));
        }
    }
    let tcp = rtcscope_analysis::flow::Transport::Tcp;
    for f in engine.flows() {
        if f.key.transport == tcp && f.key.relay.is_none() {
            out.engine.0 += f.counts.stun;
            out.engine.1 += f.counts.channel_data;
        }
    }
    let allocated = |a: std::net::SocketAddr, b: std::net::SocketAddr| {
        engine.turn().allocations.iter().any(|al| {
            al.transport == tcp
                && ((al.client == a && al.server == b) || (al.client == b && al.server == a))
        })
    };
    out.knows_allocations = with_channel_data.iter().all(|&(a, b)| allocated(a, b));
    out
}

/// The engine and the dissector agree on one TCP frame: the kind of the first message the
/// segment completes, or that it completes none. Where the cutter completed nothing, `dissect`
/// reads the segment alone and says so (a segment held after a gap, whose messages the engine
/// reads when the gap fills; a stream joined mid-way), and the engine has no kind for it.
fn check_tcp_frame(
    what: &str,
    number: u64,
    kind: Option<Kind>,
    protocols: &[Protocol],
    read_alone: bool,
) {
    let first = protocols.first().copied().unwrap_or(Protocol::Data);
    let agree = match kind {
        None | Some(Kind::Unknown) if read_alone => true,
        None | Some(Kind::Unknown) => matches!(first, Protocol::Tcp | Protocol::Data),
        // RTCP the engine holds back before any media on the flow: one message cannot tell.
        Some(k) => same_name(k, first) || (k == Kind::Unknown && first == Protocol::Rtcp),
    };
    assert!(
        agree,
        "{what} frame {number}: the engine says {kind:?}, the dissector {protocols:?}"
    );
}

#[test]
fn engine_and_dissector_label_every_tcp_segment_alike() {
    let mut compared = 0;
    let mut messages = 0;
    for path in tcp_captures("one_model::engine_and_dissector_label_every_tcp_segment_alike") {
        let bytes = std::fs::read(&path).unwrap();
        let labels = tcp_labels(&bytes);
        for (number, kind, protocols, alone) in &labels.frames {
            check_tcp_frame(
                &path.display().to_string(),
                *number,
                *kind,
                protocols,
                *alone,
            );
            compared += 1;
        }
        if labels.knows_allocations {
            assert_eq!(
                labels.dissected(),
                labels.engine,
                "{}: STUN and ChannelData messages found by dissect and counted by the engine",
                path.display()
            );
        }
        messages += labels.engine.0 + labels.engine.1;
    }
    assert!(compared > 1_000, "{compared} TCP frames compared");
    assert!(messages > 400, "{messages} messages found in TCP");
}

/// A classic pcap (microsecond times) of Ethernet/IPv4 `frames`, each with its time.
fn pcap_of(frames: &[(i128, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (ts, f) in frames {
        let us = ts / 1000;
        out.extend_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// `bytes` (an Ethernet capture) with every TCP payload over IPv4 of more than one byte cut
/// into two or three segments at places a counter picks (sequence numbers, lengths and the IP
/// checksum rewritten), so that messages straddle segments and segments start mid-message.
fn resegmented(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut reader = CaptureReader::new(bytes).ok()?;
    let mut frames = Vec::new();
    let mut turn = 0usize;
    while let Ok(Some(p)) = reader.next_packet() {
        if p.link_type != LinkType::ETHERNET {
            return None;
        }
        let d = p.data;
        let ip = 14;
        let split = d.len() > ip + 20
            && d[12..14] == [0x08, 0x00]
            && d[ip] >> 4 == 4
            && d[ip + 9] == 6
            && d[ip + 6] & 0x3f == 0
            && d[ip + 7] == 0;
        let (ihl, tcp_len) = if split {
            let ihl = usize::from(d[ip] & 0x0f) * 4;
            let off = d.get(ip + ihl + 12).map_or(0, |b| usize::from(b >> 4) * 4);
            (ihl, off)
        } else {
            (0, 0)
        };
        let start = ip + ihl + tcp_len;
        let total = if split {
            ip + usize::from(u16::from_be_bytes([d[ip + 2], d[ip + 3]]))
        } else {
            0
        };
        if !split || tcp_len < 20 || total > d.len() || total < start + 2 {
            frames.push((p.ts_nanos, d.to_vec()));
            continue;
        }
        let payload = &d[start..total];
        turn += 1;
        let pieces = 2 + turn % 2;
        let mut cuts: Vec<usize> = (1..pieces)
            .map(|i| {
                (payload.len() * i / pieces + turn * 7 % 5)
                    .min(payload.len() - 1)
                    .max(1)
            })
            .collect();
        cuts.dedup();
        let seq = u32::from_be_bytes([
            d[ip + ihl + 4],
            d[ip + ihl + 5],
            d[ip + ihl + 6],
            d[ip + ihl + 7],
        ]);
        let mut from = 0;
        for to in cuts.into_iter().chain([payload.len()]) {
            if to <= from {
                continue;
            }
            let mut f = d[..start].to_vec();
            f.extend_from_slice(&payload[from..to]);
            let ip_len = (f.len() - ip) as u16;
            f[ip + 2..ip + 4].copy_from_slice(&ip_len.to_be_bytes());
            f[ip + 10..ip + 12].copy_from_slice(&[0, 0]);
            let mut sum: u32 = f[ip..ip + ihl]
                .chunks_exact(2)
                .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
                .sum();
            while sum > 0xffff {
                sum = (sum & 0xffff) + (sum >> 16);
            }
            f[ip + 10..ip + 12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
            let s = seq.wrapping_add(from as u32);
            f[ip + ihl + 4..ip + ihl + 8].copy_from_slice(&s.to_be_bytes());
            frames.push((p.ts_nanos, f));
            from = to;
        }
    }
    Some(pcap_of(&frames))
}

/// The TCP captures again, every segment cut in two or three: the engine and `dissect` still
/// agree frame by frame and count the same messages, now found whole on the segments that
/// complete them; where no segment was lost or reordered (the project's recordings) that is
/// every message of the original. (In the corpus's 3G calls segments arrive out of order:
/// cut in three, a hole stays open for three times as many segments, so the cutter's limit of
/// segments a gap may stay open gives up sooner, and both lose the same few messages.)
#[test]
fn resegmented_tcp_streams_are_labelled_alike_and_lose_no_message() {
    let mut split = 0;
    let mut files = 0;
    let corpus = rtcscope_testkit::corpus("one_model::resegmented_tcp_streams");
    for path in tcp_captures("one_model::resegmented_tcp_streams") {
        let bytes = std::fs::read(&path).unwrap();
        let original = tcp_labels(&bytes);
        if original.engine == (0, 0) {
            continue;
        }
        let Some(cut) = resegmented(&bytes) else {
            continue;
        };
        let what = format!("{} resegmented", path.display());
        let labels = tcp_labels(&cut);
        for (number, kind, protocols, alone) in &labels.frames {
            check_tcp_frame(&what, *number, *kind, protocols, *alone);
        }
        if labels.knows_allocations {
            assert_eq!(labels.dissected(), labels.engine, "{what}: messages");
        }
        let from_corpus = corpus.as_ref().is_some_and(|c| path.starts_with(c));
        if !from_corpus {
            assert_eq!(labels.engine, original.engine, "{what}: messages lost");
        }
        split += labels
            .frames
            .iter()
            .filter(|(_, _, ps, _)| ps.first() == Some(&Protocol::Tcp))
            .count();
        files += 1;
    }
    assert!(files >= 1, "no TCP capture with messages to cut");
    assert!(split > 100, "{split} segments of split messages");
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
        let v = engine.feed_packet(&p);
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
        let reader = CaptureReader::new(&bytes[..]).unwrap();
        let mut engine = Engine::default();
        engine.feed_all(&mut rtcscope_capture::PacketSource::from_reader(reader));
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
