//! Timestamps out of order (issue #16, bad input): a capture whose clock jumps or whose
//! timestamps are damaged is analysed whole, and the counters say where its clock went wrong.

use rtcscope_analysis::report::Report;
use rtcscope_analysis::{Engine, CLOCK_BACK_NS, CLOCK_LEAP_NS};
use rtcscope_capture::CaptureReader;
use rtcscope_testkit::fixtures;

/// Runs firefox-outage through the engine, with `shift(number)` added to each timestamp.
fn run(shift: impl Fn(u64) -> i128) -> Report {
    let path = fixtures().join("webrtc/firefox-outage/capture.pcapng");
    let bytes = std::fs::read(path).unwrap();
    let mut rd = CaptureReader::new(&bytes[..]).unwrap();
    let mut e = Engine::default();
    while let Ok(Some(p)) = rd.next_packet() {
        let ts = p.ts_nanos + shift(p.number);
        e.feed_frame(p.number, ts, p.link_type, p.data, p.orig_len);
    }
    e.finish();
    Report::from_engine(e)
}

#[test]
fn a_clock_that_jumps_is_counted_and_nothing_else_is_lost() {
    let clean = run(|_| 0);
    assert_eq!(
        (
            clean.counters.clock_back,
            clean.counters.clock_leaps,
            clean.counters.first_clock_anomaly
        ),
        (0, 0, None)
    );
    // Packet 300 stamped 2 s early (just over the reordering allowance), packet 500 a year
    // late (a damaged timestamp): every packet after 500 is then earlier than it.
    let year = 365 * i128::from(CLOCK_LEAP_NS);
    let damaged = run(|n| match n {
        300 => -2 * i128::from(CLOCK_BACK_NS),
        500 => year,
        _ => 0,
    });
    let c = &damaged.counters;
    assert_eq!(c.first_clock_anomaly, Some(300));
    assert_eq!(c.clock_leaps, 1);
    assert_eq!(c.clock_back, 1 + (clean.counters.packets - 500));
    // The span counts the leap, and every packet and stream is still there.
    let span = |r: &Report| r.end_ns.unwrap() - r.start_ns.unwrap();
    assert!(span(&damaged) > span(&clean) + (year as i64) / 2);
    assert_eq!(c.packets, clean.counters.packets);
    let packets = |r: &Report| r.streams.iter().map(|s| s.packets).sum::<u64>();
    assert_eq!(packets(&damaged), packets(&clean));
    assert_eq!(damaged.streams.len(), clean.streams.len());
}
