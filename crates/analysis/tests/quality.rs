//! Per-stream quality over time (crate::quality): loss, jitter and RTCP RTT per bucket.
//!
//! * Scripted packets through the engine: ten packets dropped in the third second show as
//!   ten lost in that second's bin of [`snapshot::stream_quality`] and nowhere else; the jitter
//!   at the last bucket's end is the stream's final jitter; the loss is one time span.
//! * Scripted packets through the stream table: duplicates (RFC 3550 counts them received, so a
//!   bucket's `lost` goes negative), reordering across a bucket boundary (+1 then −1), a
//!   sequence wrap, coarsening of long streams and under the shared bucket budget: the bucket
//!   sums equal the stream's totals exactly and the grid stays the bandwidth series' grid.
//! * A real call (fixtures/webrtc/firefox-direct, decrypted with its key log): RTT buckets
//!   exist for the streams whose receiver reports carry LSR/DLSR, and agree with getStats.
//! * A property: for random loss, reordering and duplication, the sums equal the totals.

use proptest::prelude::*;
use rtcscope_analysis::decrypt::KeyStore;
use rtcscope_analysis::flow::{FlowKey, Transport};
use rtcscope_analysis::quality::QualityBucket;
use rtcscope_analysis::report::Report;
use rtcscope_analysis::snapshot;
use rtcscope_analysis::streams::{Stream, Streams};
use rtcscope_analysis::Engine;
use rtcscope_capture::{CaptureReader, LinkType};
use rtcscope_testkit::fixtures;
use rtcscope_testkit::frames::ipv4_udp;
use serde_json::Value;
use std::net::{SocketAddr, SocketAddrV4};

const SSRC: u32 = 0x1234_5678;
/// Capture start: a whole number of seconds, so buckets and seconds line up.
const T0: i64 = 1_700_000_000_000_000_000;
const MS: i64 = 1_000_000;

/// PCMU (static payload type 0, 8 kHz): the clock rate is known, so jitter is computed.
fn rtp(seq: u16, ts: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&SSRC.to_be_bytes());
    p.extend_from_slice(&[0xd5; 160]);
    p
}

fn addrs() -> (SocketAddr, SocketAddr) {
    (
        "10.0.0.1:5000".parse().unwrap(),
        "10.0.0.2:6000".parse().unwrap(),
    )
}

/// One packet into a stream table at `t` ns.
fn feed(s: &mut Streams, t: i64, seq: u16, ts: u32) {
    let (a, b) = addrs();
    let (key, _) = FlowKey::of(Transport::Udp, a, b, None);
    s.rtp(t, key, key.lo == a, a, b, &rtp(seq, ts), false);
}

fn stream(s: &Streams) -> Stream {
    s.clone_finished()
        .into_iter()
        .find(|x| x.ssrc == SSRC)
        .expect("the stream")
}

/// The bucket sums against the stream's RFC 3550 totals, and the grid against the bandwidth
/// series'.
fn check_sums(st: &Stream) {
    let q = &st.quality;
    let sum = |f: fn(&QualityBucket) -> i64| q.iter().map(|(_, b)| f(&b)).sum::<i64>();
    assert_eq!(sum(|b| b.expected() as i64), st.expected as i64);
    assert_eq!(sum(|b| b.received() as i64), st.packets as i64);
    assert_eq!(sum(|b| b.duplicates() as i64), st.duplicates as i64);
    assert_eq!(
        sum(|b| b.reordered() as i64),
        st.reordered as i64,
        "late packets"
    );
    assert_eq!(sum(QualityBucket::lost_unique), st.lost as i64);
    assert_eq!(
        sum(QualityBucket::lost),
        st.expected as i64 - st.packets as i64
    );
    let t = q.total();
    assert_eq!(
        (t.expected(), t.received(), t.duplicates()),
        (st.expected, st.packets, st.duplicates)
    );
    assert_eq!(
        (q.start_ns, q.bucket_ns),
        (st.series.start_ns, st.series.bucket_ns)
    );
    assert!(q.len() <= rtcscope_analysis::series::Series::MAX_BUCKETS);
    // Every bucket with packets is a bucket of the bandwidth series with as many.
    let series: Vec<(usize, u64)> = st
        .series
        .iter()
        .map(|(i, b)| (i, u64::from(b.packets_fwd)))
        .collect();
    let quality: Vec<(usize, u64)> = q
        .iter()
        .filter(|(_, b)| b.received() > 0)
        .map(|(i, b)| (i, b.received()))
        .collect();
    assert_eq!(series, quality);
}

/// A jitter or round-trip time as a bucket keeps it (`f32`; rounding is monotonic, so
/// min ≤ mean ≤ max still holds after it).
fn stored(j: Option<f64>) -> Option<f64> {
    j.map(|j| f64::from(j as f32))
}

/// A deterministic arrival delay of 0–7 ms per packet (a little network jitter).
fn delay(seq: u16) -> i64 {
    i64::from(u32::from(seq).wrapping_mul(2_654_435_761) >> 29) * MS
}

#[test]
fn dropped_packets_show_in_their_second_through_the_engine() {
    let mut e = Engine::default();
    let (a, b) = addrs();
    let (SocketAddr::V4(a4), SocketAddr::V4(b4)) = (a, b) else {
        unreachable!()
    };
    let (a4, b4): (SocketAddrV4, SocketAddrV4) = (a4, b4);
    // 10 s of 50 packets per second; seq 100–109 (2.00–2.18 s) never arrive.
    let mut n = 0;
    for seq in 0u16..500 {
        if (100..110).contains(&seq) {
            continue;
        }
        let t = T0 + i64::from(seq) * 20 * MS + delay(seq);
        let f = ipv4_udp(a4, b4, &rtp(seq, u32::from(seq) * 160));
        n += 1;
        e.feed_frame(n, i128::from(t), LinkType::RAW, &f, f.len() as u32);
    }
    e.finish();
    let key = *e
        .streams()
        .map
        .iter()
        .map(|(k, _)| k)
        .find(|k| k.ssrc == SSRC)
        .expect("the stream");
    let bins = snapshot::stream_quality(&e, &key, T0, T0 + 10_000 * MS, 10);
    let lost: Vec<i64> = bins.iter().map(QualityBucket::lost).collect();
    assert_eq!(lost, [0, 0, 10, 0, 0, 0, 0, 0, 0, 0]);
    let received: Vec<u64> = bins.iter().map(|b| b.received()).collect();
    assert_eq!(received, [50, 50, 40, 50, 50, 50, 50, 50, 50, 50]);
    assert_eq!(bins[2].loss_fraction(), Some(0.2));
    // Jitter: there in every second, at the end what the stream reports.
    assert!(bins.iter().all(|b| b.jitter_ms().is_some()), "{bins:?}");
    let r = Report::new(&e);
    let st = r.streams.iter().find(|s| s.ssrc == SSRC).unwrap();
    let jitter = st.jitter_ms.expect("PCMU has a known clock");
    assert!(jitter > 0.5, "{jitter}");
    assert_eq!(bins[9].jitter_ms(), stored(Some(jitter)));
    let (_, last) = st.quality.iter().last().unwrap();
    assert_eq!(last.jitter_ms(), stored(Some(jitter)));
    assert!(bins.iter().all(|b| b.jitter_max_ms() >= b.jitter_ms()));
    check_sums(st);
    // The JSON: dense columns with the bucket width stated.
    let json = serde_json::to_value(st).unwrap();
    let q = &json["quality"];
    assert_eq!(q["bucket_ns"], 100_000_000);
    let lost = q["lost"].as_array().unwrap();
    for col in [
        "expected",
        "received",
        "duplicates",
        "jitter_ms",
        "rtt_mean_ms",
    ] {
        assert_eq!(q[col].as_array().unwrap().len(), st.quality.len(), "{col}");
    }
    assert_eq!(lost.iter().map(|l| l.as_i64().unwrap()).sum::<i64>(), 10);
    // The bucket where seq 110 arrived (2.20 s + its delay, with 111–114) counts the ten:
    // `highest` advanced by 15 there, five packets arrived.
    let at = ((delay(110) + 2200 * MS) / (100 * MS)) as usize;
    assert_eq!(lost[at], 10, "{q}");
    assert_eq!(
        (&q["expected"][at], &q["received"][at]),
        (&15.into(), &5.into())
    );
    assert!(q["rtt_mean_ms"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_null));
    // As a time range for a diagnosis: one span, that bucket, ten lost.
    let spans = st.quality.spans(|b| b.lost() > 0, 8);
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!(
        spans[0].start_ns,
        st.quality.start_ns + at as i64 * 100 * MS
    );
    assert_eq!(spans[0].end_ns - spans[0].start_ns, 100 * MS);
    assert_eq!(spans[0].merged.lost(), 10);
    // A window that misses the stream, and a stream the engine does not hold.
    assert!(
        snapshot::stream_quality(&e, &key, T0 - 5000 * MS, T0 - 1000 * MS, 4)
            .iter()
            .all(QualityBucket::is_empty)
    );
    let mut other = key;
    other.ssrc ^= 1;
    assert_eq!(
        snapshot::stream_quality(&e, &other, T0, T0 + MS, 3).len(),
        3
    );
}

#[test]
fn duplicates_reordering_and_a_wrap_sum_to_the_totals() {
    let mut s = Streams::default();
    // 20 ms apart, five packets per 100 ms bucket, starting just before the wrap.
    let first: u16 = 65_400;
    let at = |k: i64| T0 + k * 20 * MS;
    let mut k = 0i64;
    let mut seqs = Vec::new();
    while k < 400 {
        let seq = first.wrapping_add(k as u16);
        match k {
            // seq k=204 and 205 swap across the boundary of buckets 40 and 41.
            204 => seqs.push((at(k), first.wrapping_add(205))),
            205 => seqs.push((at(k), first.wrapping_add(204))),
            // k=50 arrives twice in bucket 10.
            50 => {
                seqs.push((at(k), seq));
                seqs.push((at(k) + 5 * MS, seq));
            }
            _ => seqs.push((at(k), seq)),
        }
        k += 1;
    }
    for (t, seq) in &seqs {
        feed(&mut s, *t, *seq, u32::from(*seq) * 160);
    }
    let st = stream(&s);
    assert_eq!((st.expected, st.lost, st.duplicates), (400, 0, 1));
    assert_eq!(st.packets, 401);
    check_sums(&st);
    let d = st.quality.dense();
    // RFC 3550 counts the duplicate as received: that bucket "lost" −1; over unique
    // numbers, nothing.
    assert_eq!(
        (d[10].lost(), d[10].lost_unique(), d[10].duplicates()),
        (-1, 0, 1)
    );
    // Reordered across the boundary: 205 advanced `highest` in bucket 40 (204 missing
    // there), 204 arrived in 41.
    assert_eq!(
        (d[40].expected(), d[40].received(), d[40].lost()),
        (6, 5, 1)
    );
    assert_eq!(
        (d[41].expected(), d[41].received(), d[41].lost()),
        (4, 5, -1)
    );
    // Elsewhere nothing, across the wrap (k = 136) too.
    for (i, b) in d.iter().enumerate() {
        if ![10, 40, 41].contains(&i) {
            assert_eq!((b.lost(), b.expected()), (0, 5), "bucket {i}");
        }
    }
    assert!(st.max_ext_seq > 65_535, "the sequence wrapped");
}

#[test]
fn coarsening_keeps_sums_and_the_grid() {
    // Ten minutes at 50 packets per second with a loss every 97 packets: 6000 buckets of
    // 100 ms coarsen to 1.6 s.
    let mut s = Streams::default();
    for k in 0u32..30_000 {
        if k % 97 == 5 {
            continue;
        }
        let seq = k as u16;
        feed(
            &mut s,
            T0 + i64::from(k) * 20 * MS + delay(seq),
            seq,
            k * 160,
        );
    }
    let st = stream(&s);
    assert_eq!(st.quality.bucket_ns, 1_600_000_000);
    assert_eq!(st.lost, 310);
    check_sums(&st);
    assert_eq!(st.quality.total().jitter_ms(), stored(st.jitter_ms));
    // Under a shared budget the bandwidth series halves its resolution; quality follows.
    let mut s = Streams::default();
    s.max_series_buckets = 16;
    for k in 0u32..3000 {
        if k % 50 == 7 {
            continue;
        }
        feed(&mut s, T0 + i64::from(k) * 20 * MS, k as u16, k * 160);
    }
    let st = stream(&s);
    assert!(st.series.bucket_ns > 100_000_000, "{}", st.series.bucket_ns);
    assert_eq!(st.lost, 60);
    check_sums(&st);
}

fn json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The capture point's RTT against getStats: what decryption.rs allows (the capture point
/// lacks the hosts' stack and scheduling delays, up to 6 ms in these recordings).
const RTT_TOLERANCE_MS: f64 = 6.0;

#[test]
fn rtt_buckets_on_a_decrypted_call() {
    let dir = fixtures().join("webrtc").join("firefox-direct");
    let bytes = std::fs::read(dir.join("capture.pcapng")).unwrap();
    let rd = CaptureReader::new(&bytes[..]).unwrap();
    let mut e = Engine::default();
    let mut keys = KeyStore::default();
    let text = std::fs::read_to_string(dir.join("keylog.txt")).unwrap();
    keys.keylog.add_text("keylog.txt", &text);
    e.set_keys(keys);
    e.feed_all(&mut rtcscope_capture::PacketSource::from_reader(rd));
    let r = Report::new(&e);
    let mut compared = 0;
    for side in ["stats-a.json", "stats-b.json"] {
        let stats = json(&dir.join(side));
        for ri in stats
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["type"] == "remote-inbound-rtp")
        {
            let ssrc = ri["ssrc"].as_u64().unwrap() as u32;
            let st = r.streams.iter().find(|x| x.ssrc == ssrc).unwrap();
            check_sums(st);
            let rtt: Vec<QualityBucket> = st
                .quality
                .iter()
                .map(|(_, b)| b)
                .filter(|b| b.rtt_samples() > 0)
                .collect();
            assert!(!rtt.is_empty(), "{ssrc:#x}: no RTT bucket");
            for b in &rtt {
                let (lo, mean, hi) = (
                    b.rtt_min_ms().unwrap(),
                    stored(b.rtt_mean_ms()).unwrap(),
                    b.rtt_max_ms().unwrap(),
                );
                assert!(lo <= mean && mean <= hi, "{ssrc:#x}: {b:?}");
            }
            let t = st.quality.total();
            let (lo, mean, hi) = (
                t.rtt_min_ms().unwrap(),
                stored(t.rtt_mean_ms()).unwrap(),
                t.rtt_max_ms().unwrap(),
            );
            assert!(lo <= mean && mean <= hi);
            // The last sample is the stream's RTT.
            let last = stored(st.rtcp_rtt_ms).unwrap();
            let lb = rtt.last().unwrap();
            assert!(lb.rtt_min_ms().unwrap() <= last && last <= lb.rtt_max_ms().unwrap());
            // At most as many samples as the sender's getStats measured (measured: equal for
            // three of the four, one fewer for the fourth: the engine remembers only the last
            // SR per SSRC, so a report echoing an earlier one gives no sample), the last one
            // as its roundTripTime.
            let want = ri["roundTripTime"].as_f64().unwrap() * 1000.0;
            eprintln!(
                "{ssrc:#x}: {} RTT samples, mean {mean:.3} ms (min {lo:.3}, max {hi:.3}); \
                 getStats {want:.3} ms, {} measurements",
                t.rtt_samples(),
                ri["roundTripTimeMeasurements"]
            );
            let measured = ri["roundTripTimeMeasurements"].as_u64().unwrap();
            assert!(
                u64::from(t.rtt_samples()) <= measured
                    && u64::from(t.rtt_samples()) + 1 >= measured,
                "{ssrc:#x}: {} samples, getStats {measured}",
                t.rtt_samples()
            );
            assert!(
                last <= want + 0.01 && want - last <= RTT_TOLERANCE_MS,
                "{ssrc:#x}: last RTT {last} vs getStats {want}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 4, "two senders × audio and video");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn bucket_sums_equal_the_totals(
        start in any::<u16>(),
        ops in proptest::collection::vec((0u8..20, 1i64..400), 20..600),
    ) {
        // Each step: usually the next packet; sometimes a drop, a duplicate of the last one,
        // or a swap with the next; the gaps in time (up to 0.4 s, sometimes 40 s) make buckets
        // coarsen.
        let mut s = Streams::default();
        let mut t = T0;
        let mut k: u16 = 0;
        let mut i = 0;
        while i < ops.len() {
            let (op, dt) = ops[i];
            t += if op == 19 { dt * 100 * MS } else { dt * MS };
            let seq = start.wrapping_add(k);
            match op {
                0..=1 => {}
                2 => {
                    feed(&mut s, t, seq, u32::from(k) * 160);
                    feed(&mut s, t + MS, seq, u32::from(k) * 160);
                }
                3 => {
                    let next = seq.wrapping_add(1);
                    feed(&mut s, t, next, u32::from(k + 1) * 160);
                    t += dt * MS;
                    feed(&mut s, t, seq, u32::from(k) * 160);
                    k = k.wrapping_add(1);
                }
                _ => feed(&mut s, t, seq, u32::from(k) * 160),
            }
            k = k.wrapping_add(1);
            i += 1;
        }
        if let Some(st) = s.clone_finished().into_iter().find(|x| x.ssrc == SSRC) {
            check_sums(&st);
            let last = st.quality.iter().filter_map(|(_, b)| b.jitter_ms()).last();
            prop_assert_eq!(last, stored(st.jitter_ms));
        }
    }
}
