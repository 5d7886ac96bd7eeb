//! `Report::from_engine` (what `analyze` uses at the end of its input: the streams move into the
//! report instead of being copied) gives the same report as `Report::new`, on every recording
//! of the project, byte for byte in JSON.

use rtcscope_analysis::report::Report;
use rtcscope_analysis::Engine;
use rtcscope_capture::{CaptureReader, PacketSource};

#[test]
fn the_consuming_report_is_the_same_report() {
    let files = rtcscope_testkit::captures_under(&rtcscope_testkit::fixtures());
    let mut with_streams = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Ok(reader) = CaptureReader::new(&bytes[..]) else {
            continue;
        };
        let mut engine = Engine::default();
        engine.feed_all(&mut PacketSource::from_reader(reader));
        let copied = Report::new(&engine);
        let moved = Report::from_engine(engine);
        with_streams += usize::from(!copied.streams.is_empty());
        assert_eq!(
            serde_json::to_string(&copied).unwrap(),
            serde_json::to_string(&moved).unwrap(),
            "{}",
            path.display()
        );
    }
    assert!(with_streams >= 10, "{with_streams} captures with streams");
}
