//! The engine's hot path does not allocate per packet, and its memory is bounded by flows and
//! streams, not by packets.

use rtcscope_analysis::report::Report;
use rtcscope_analysis::{Config, Engine};
use rtcscope_testkit::owned_frames::{owned_frames as frames, OwnedFrame as Frame};
use rtcscope_testkit::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// RTP and RTCP packets of a real call cost no heap allocation in steady state.
///
/// Warm-up: the whole call, then its media again over the same time range, so flows, streams,
/// DTLS state and the time buckets of every bandwidth series exist (a series grows its bucket
/// vector geometrically as a capture gets longer — at most a handful of times per series, never
/// per packet). A look for quiet series during the warm-up may have packed a series whose
/// media the replay brings back, and unpacking it allocates once: per series, not per packet,
/// so a replay of the media settles that (and must allocate far fewer times than it has
/// packets). Measured: that media once more.
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
    let n = allocations_once_settled(&mut engine, &media);
    assert_eq!(n, 0, "{n} allocations for {} media packets", media.len());
}

/// Feeds `frames` once to settle (a series packed as quiet in a warm-up unpacks once: per
/// series, not per packet, so at most a handful of allocations), then again; returns the
/// allocations of the second pass.
fn allocations_once_settled(engine: &mut Engine, frames: &[&Frame]) -> u64 {
    let mut replay = || {
        CountingAlloc::count(|| {
            for f in frames {
                engine.feed_frame(f.number, f.ts, f.link, &f.data, f.len);
            }
        })
    };
    let settle = replay();
    assert!(settle <= 16, "{settle} allocations settling");
    replay()
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
    let n = allocations_once_settled(&mut engine, &chan);
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

/// Feeds a raw IPv4/UDP datagram.
fn feed_udp(engine: &mut Engine, n: u64, t_ns: i128, src: [u8; 4], sport: u16, payload: &[u8]) {
    use rtcscope_testkit::frames::{ipv4, udp};
    let f = ipv4(
        src,
        [198, 51, 100, 1],
        17,
        n as u16,
        &udp(sport, 3478, payload),
    );
    engine.feed_frame(n, t_ns, rtcscope_capture::LinkType::RAW, &f, f.len() as u32);
}

fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 111, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0x5a; 40]);
    p
}

fn binding_request(i: u32) -> Vec<u8> {
    let mut m = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
    m.extend_from_slice(&i.to_be_bytes());
    m.extend_from_slice(&[7; 8]);
    m
}

/// The adversarial shapes of the reliability issue, scaled down, against small caps: every
/// table stays under its cap, and what was evicted is counted and reported.
#[test]
fn every_table_holds_its_cap_under_crafted_input() {
    let config = Config {
        max_flows: 500,
        max_streams: 100,
        max_transactions: 300,
        max_series_buckets: 2000,
    };
    let mut engine = Engine::new(config.clone());
    let mut n = 0u64;
    let mut t = 1_700_000_000_000_000_000i128;
    let mut next = |step: i128| {
        n += 1;
        t += step;
        (n, t)
    };
    // 5,000 SSRCs on one flow, two packets each.
    for ssrc in 0..5_000u32 {
        for seq in 0..2 {
            let (n, t) = next(20_000);
            feed_udp(&mut engine, n, t, [10, 0, 0, 1], 5000, &rtp(seq, ssrc));
        }
        assert!(engine.streams().map.len() <= 100);
    }
    // 5,000 Binding requests, each on its own flow: transactions and flows capped.
    for i in 0..5_000u32 {
        let (n, t) = next(20_000);
        let src = [10, 1, (i >> 8) as u8, i as u8];
        feed_udp(&mut engine, n, t, src, 6000, &binding_request(i));
        assert!(engine.pending_transactions() <= 300);
        assert!(engine.flows().count() <= 500);
    }
    // 400 flows of two packets 51 s apart (sparse series), many buckets in all.
    for round in 0..2 {
        for i in 0..400u32 {
            let (n, t) = next(if round == 1 && i == 0 {
                51_000_000_000
            } else {
                1_000
            });
            feed_udp(
                &mut engine,
                n,
                t,
                [10, 2, (i >> 8) as u8, i as u8],
                7000,
                &rtp(1, i),
            );
        }
    }
    let stored: usize = engine.flows().map(|f| f.series.stored_buckets()).sum();
    assert!(stored <= 2 * engine.flows().count(), "{stored}");
    let c = engine.counters();
    assert!(c.flows_evicted > 4_000, "{c:?}");
    assert!(c.transactions_evicted >= 4_700, "{c:?}");
    let r = Report::new(&engine);
    assert!(r.over_limits.any());
    assert_eq!(r.over_limits.flows, c.flows_evicted);
    assert!(r.over_limits.rtp_streams > 0);
    // Every packet is still counted.
    assert_eq!(c.packets, 10_000 + 5_000 + 800);
}

/// The shared series budget: many flows with many buckets each stay under it in total.
#[test]
fn series_buckets_stay_within_the_budget() {
    let mut engine = Engine::new(Config {
        max_series_buckets: 1_000,
        ..Config::default()
    });
    let mut n = 0;
    // 50 flows, each with a packet in each of 200 buckets (100 ms apart).
    for b in 0..200i128 {
        for f in 0..50u8 {
            n += 1;
            let t = 1_700_000_000_000_000_000 + b * 100_000_000 + i128::from(f);
            feed_udp(&mut engine, n, t, [10, 3, 0, f], 8000, &rtp(b as u16, 9));
        }
    }
    let stored: usize = engine.flows().map(|f| f.series.stored_buckets()).sum();
    // Half the budget is the flows'; a series keeps up to MIN_KEEP buckets whatever the budget,
    // and the one being written may overshoot by a bucket.
    let keep = rtcscope_analysis::series::Series::MIN_KEEP;
    assert!(stored <= 500 + keep * 50 + 50, "{stored}");
    assert!(engine.flows().all(|f| f.series.bucket_ns > 100_000_000));
    // Nothing was lost: the series still hold every byte.
    let bytes: u64 = engine
        .flows()
        .map(|f| {
            let (a, b) = f.series.totals();
            a + b
        })
        .sum();
    let counted: u64 = engine.flows().map(|f| f.bytes[0] + f.bytes[1]).sum();
    assert_eq!(bytes, counted);
}
