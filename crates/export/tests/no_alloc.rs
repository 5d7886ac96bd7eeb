//! A packet row allocates nothing of its own: addresses, hex and RTCP type lists are formatted
//! into the Arrow builders' buffers, the per-protocol fields are read through borrowed views.
//! Only the builders allocate, per batch (a column's null bitmap at its first null, a string
//! builder outgrowing its first capacity), and an IP fragment that completes a datagram (the
//! reassembled datagram, as in the engine).

use rtcscope_analysis::Engine;
use rtcscope_capture::CaptureReader;
use rtcscope_export::{Dataset, Options, ReadOutcome};
use rtcscope_testkit::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Allocations made while adding the packet rows of `file` (the engine's own not counted),
/// and the frames that were IP fragments.
fn allocations(file: &str) -> (u64, u64, u64) {
    let bytes = std::fs::read(rtcscope_testkit::fixtures().join(file)).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "rtcscope-export-noalloc-{}-{}",
        std::process::id(),
        file.replace('/', "_")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let dataset = Dataset::create(&dir, &["c".into()], Options::default()).unwrap();
    let mut out = dataset.capture("c", file).unwrap();
    let mut reader = CaptureReader::new(&bytes[..]).unwrap();
    let mut engine = Engine::default();
    let (mut allocs, mut packets) = (0, 0);
    while let Some(p) = reader.next_packet().unwrap() {
        let v = engine.feed_packet(&p);
        allocs += CountingAlloc::count(|| out.packet(&p, &v).unwrap());
        packets += 1;
    }
    engine.finish();
    let fragments = engine.counters().fragments;
    let report = rtcscope_analysis::report::Report::new(&engine);
    out.finish(&report, &ReadOutcome::default()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (allocs, packets, fragments)
}

#[test]
fn packet_rows_do_not_allocate() {
    for file in [
        "webrtc/direct/capture.pcapng",
        "webrtc/relay/capture.pcapng",
        "captures/turn-tcp.pcap",
        "webrtc/firefox-relay/capture.pcapng",
    ] {
        let (allocs, packets, fragments) = allocations(file);
        assert!(packets > 500, "{file}");
        // Per batch, not per packet: each nullable column's null bitmap, made at its first
        // null, and a string builder's growth past its first capacity. A reassembled
        // datagram: its buffer and the reassembler's bookkeeping.
        eprintln!("{file}: {allocs} allocations, {packets} packets, {fragments} fragments");
        assert!(
            allocs <= 2 * rtcscope_export::packets::columns().len() as u64 + 4 * fragments,
            "{file}: {allocs} allocations for {packets} packet rows ({fragments} fragments)"
        );
    }
}
