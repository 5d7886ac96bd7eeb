//! The engine's hot path does not allocate per packet, and its memory is bounded by flows and
//! streams, not by packets.

use rtcscope_analysis::report::Report;
use rtcscope_analysis::{Config, Engine};
use rtcscope_capture::CaptureReader;
use rtcscope_testkit::{fixtures, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

struct Frame {
    number: u64,
    ts: i128,
    link: rtcscope_capture::LinkType,
    data: Vec<u8>,
    len: u32,
}

fn frames(path: &str) -> Vec<Frame> {
    let bytes = std::fs::read(fixtures().join(path)).unwrap();
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        out.push(Frame {
            number: p.number,
            ts: p.ts_nanos,
            link: p.link_type,
            data: p.data.to_vec(),
            len: p.orig_len,
        });
    }
    out
}

/// RTP and RTCP packets of a real call cost no heap allocation in steady state.
///
/// Warm-up: the whole call, then its media again over the same time range, so flows, streams,
/// DTLS state and the time buckets of every bandwidth series exist (a series grows its bucket
/// vector geometrically as a capture gets longer — at most a handful of times per series, never
/// per packet). Measured: that media again.
#[test]
fn media_packets_do_not_allocate() {
    let call = frames("webrtc/direct/capture.pcapng");
    let mut engine = Engine::default();
    for f in &call {
        engine.feed_frame(f.number, f.ts, f.link, &f.data, f.len);
    }
    // Media only: first byte 128..=191 in the UDP payload (after Ethernet, IPv4 and UDP).
    let media: Vec<&Frame> = call
        .iter()
        .filter(|f| f.data.len() > 42 && (128..=191).contains(&f.data[42]))
        .collect();
    assert!(media.len() > 1000, "{}", media.len());
    for f in &media {
        engine.feed_frame(f.number, f.ts, f.link, &f.data, f.len);
    }
    let n = CountingAlloc::count(|| {
        for f in &media {
            engine.feed_frame(f.number, f.ts, f.link, &f.data, f.len);
        }
    });
    assert_eq!(n, 0, "{n} allocations for {} media packets", media.len());
}

/// TURN over TCP: ChannelData messages cut from the stream and unwrapped do not allocate per
/// segment either once buffers have grown.
#[test]
fn turn_over_tcp_segments_do_not_allocate_after_warm_up() {
    let cap = frames("captures/turn-tcp.pcap");
    let mut engine = Engine::default();
    for f in &cap {
        engine.feed_frame(f.number, f.ts, f.link, &f.data, f.len);
    }
    // ChannelData-only segments, fed again (TCP sees retransmissions of known bytes; the
    // segments that fill new sequence space are measured by the first pass's growth).
    let chan: Vec<&Frame> = cap
        .iter()
        .filter(|f| f.data.len() > 66 && (0x40..0x80).contains(&f.data[66]))
        .collect();
    assert!(chan.len() > 50);
    let n = CountingAlloc::count(|| {
        for f in &chan {
            engine.feed_frame(f.number, f.ts, f.link, &f.data, f.len);
        }
    });
    assert_eq!(
        n,
        0,
        "{n} allocations for {} ChannelData segments",
        chan.len()
    );
}

/// A long call: memory must not grow with the number of packets. The same call is replayed
/// 30 times, shifted in time and with sequence numbers continuing, as one 5-minute capture;
/// the number of flows, streams and series buckets stays what it was after the first pass.
#[test]
fn state_does_not_grow_with_capture_length() {
    let call = frames("webrtc/direct/capture.pcapng");
    let span = call.last().unwrap().ts - call[0].ts + 1_000_000_000;
    let mut engine = Engine::default();
    let mut sizes = Vec::new();
    for round in 0..30i128 {
        for f in &call {
            engine.feed_frame(f.number, f.ts + round * span, f.link, &f.data, f.len);
        }
        let r = Report::new(&engine);
        let buckets: usize = r
            .flows
            .iter()
            .map(|f| f.series.stored_buckets())
            .sum::<usize>()
            + r.streams
                .iter()
                .map(|s| s.series.stored_buckets())
                .sum::<usize>();
        let timeline: usize = r
            .ice_sessions
            .iter()
            .flat_map(|s| s.pairs.iter().map(|p| p.timeline.len()))
            .sum();
        sizes.push((
            r.flows.len(),
            r.streams.len(),
            buckets,
            timeline,
            engine.pending_transactions(),
        ));
    }
    let (flows, streams, _, _, _) = sizes[0];
    for (i, s) in sizes.iter().enumerate() {
        assert_eq!((s.0, s.1), (flows, streams), "round {i}");
        // Buckets are capped per series, timelines per pair.
        assert!(s.2 <= (flows + streams) * rtcscope_analysis::series::Series::MAX_BUCKETS);
        assert!(s.3 <= 2 * rtcscope_analysis::ice::MAX_EVENTS * 4, "{s:?}");
    }
}

/// Many distinct flows: the table stays at its cap and the oldest are evicted and counted.
#[test]
fn flow_table_is_capped() {
    let mut engine = Engine::new(Config {
        max_flows: 1000,
        ..Config::default()
    });
    let mut frame = vec![0u8; 14 + 20 + 8 + 4];
    frame[12] = 0x08;
    frame[14] = 0x45;
    frame[14 + 2..14 + 4].copy_from_slice(&((20 + 8 + 4) as u16).to_be_bytes());
    frame[14 + 8] = 64;
    frame[14 + 9] = 17;
    frame[14 + 12..14 + 16].copy_from_slice(&[10, 0, 0, 1]);
    frame[14 + 16..14 + 20].copy_from_slice(&[10, 0, 0, 2]);
    frame[14 + 24..14 + 26].copy_from_slice(&12u16.to_be_bytes());
    for i in 0..20_000u32 {
        let port = (i % 60_000) as u16 + 1;
        frame[14 + 20..14 + 22].copy_from_slice(&port.to_be_bytes());
        frame[14 + 28..].copy_from_slice(&i.to_be_bytes());
        engine.feed_frame(
            u64::from(i),
            i128::from(i) * 1_000_000,
            rtcscope_capture::LinkType::ETHERNET,
            &frame,
            frame.len() as u32,
        );
        assert!(engine.flows().count() <= 1000);
    }
    assert_eq!(engine.counters().flows_evicted, 19_000);
}
