#![no_main]
//! Fuzzes the whole `rtcscope analyze` pipeline on one input: a pcap or pcapng file.
//!
//! File reader → link decoding → IP reassembly → TCP framing → the analysis engine → the JSON
//! report, as `rtcscope analyze --json` runs them (crates/cli/src/analyze.rs). The text report
//! is rendered by the `rtcscope` binary crate itself (`analyze::render`, private to the binary),
//! so it cannot be called from here; `tests/tests/every_capture.rs` runs it through the real
//! binary on every capture and on damaged variants of them.
//!
//! Beyond "no panic", it asserts that
//! * the reader makes progress: each record consumes bytes, so the number of records and
//!   skipped records together is below the input's length (no endless loop in the reader);
//! * the engine's packet counter equals the number of records read, in the engine and in the
//!   report: no packet is dropped silently;
//! * the JSON report round-trips: parsed back into a `serde_json::Value` it equals the report
//!   serialised straight to a `Value`, and serialising that `Value` again gives the same text.
//!
//! * every table stays under its cap: half the inputs run with the default caps, half with
//!   tiny ones (a few dozen flows, streams and transactions) so that eviction is exercised,
//!   and the flows, streams, pending transactions and series buckets held are checked against
//!   them after each record;
//! * ending the input (`Engine::finish`, which gives up the TCP gaps still open) a second time
//!   changes nothing.
//!
//! The engine exposes no loop counter; a hang or a blow-up is caught by libFuzzer's `-timeout`
//! and `-rss_limit_mb`, which `scripts/fuzz.sh` sets for this target.

use rtcscope_analysis::report::Report;
use rtcscope_analysis::{series::Series, Config, Engine};
use rtcscope_capture::CaptureReader;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::new(data) else {
        return;
    };
    let config = if data.len() % 2 == 0 {
        Config::default()
    } else {
        Config {
            max_flows: 24,
            max_streams: 12,
            max_transactions: 16,
            max_series_buckets: 256,
        }
    };
    let mut engine = Engine::new(config.clone());
    let bucket_cap =
        config.max_series_buckets / 2 + Series::MIN_KEEP * config.max_flows + config.max_flows;
    let mut records = 0u64;
    let mut skipped = 0u64;
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => {
                records += 1;
                engine.feed_frame(p.number, p.ts_nanos, p.link_type, p.data, p.orig_len);
                assert!(engine.flows().count() <= config.max_flows);
                assert!(engine.streams().map.len() <= config.max_streams);
                assert!(engine.pending_transactions() <= config.max_transactions);
                let buckets: usize = engine.flows().map(|f| f.series.stored_buckets()).sum();
                assert!(buckets <= bucket_cap, "{buckets} series buckets held");
            }
            Ok(None) => break,
            Err(e) if !e.is_fatal() => skipped += 1,
            Err(_) => break,
        }
        // The smallest record (a pcap record header, a pcapng block) is 12 bytes.
        assert!(
            (records + skipped) * 12 <= data.len() as u64,
            "the reader returned {records} records and {skipped} skipped ones from {} bytes",
            data.len()
        );
    }
    // The reader numbers skipped records too, as Wireshark numbers frames.
    assert_eq!(
        reader.packets_read(),
        records + skipped,
        "the reader's own count"
    );
    if let Some(d) = reader.dropped() {
        engine.set_capture_drops(d);
    }
    // The end of input, as analyze ends it: open TCP gaps given up, held segments analysed.
    engine.finish();
    let finished = engine.counters();
    engine.finish();
    assert_eq!(
        engine.counters(),
        finished,
        "a second finish changes nothing"
    );
    assert_eq!(
        engine.counters().packets,
        records,
        "the engine counts every frame fed"
    );
    let report = Report::new(&engine);
    assert_eq!(
        report.counters.packets, records,
        "the report's packet count"
    );

    let text = serde_json::to_string(&report).expect("the report serialises");
    let direct = serde_json::to_value(&report).expect("the report converts to a Value");
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("the JSON parses back");
    assert_eq!(parsed, direct, "JSON text and Value disagree");
    let again = serde_json::to_string(&parsed).expect("a Value serialises");
    let reparsed: serde_json::Value = serde_json::from_str(&again).expect("parses again");
    assert_eq!(reparsed, parsed, "the JSON does not round-trip");
    assert_eq!(
        parsed["counters"]["packets"].as_u64(),
        Some(records),
        "packets in the JSON"
    );
    // The pretty form `rtcscope analyze --json` prints must hold the same document.
    let pretty = serde_json::to_string_pretty(&report).expect("the report serialises");
    let pretty: serde_json::Value = serde_json::from_str(&pretty).expect("pretty JSON parses");
    assert_eq!(pretty, parsed, "pretty and compact JSON disagree");
});
