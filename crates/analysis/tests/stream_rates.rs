//! The TUI's stream rate and `analyze`'s are one figure: the snapshot the TUI draws gives each
//! stream the mean payload bit rate the report computes once the capture ends (payload as
//! getStats counts it, the SRTP tag taken off as the report takes it off).

use rtcscope_analysis::report::Report;
use rtcscope_analysis::snapshot::{Options, Snapshot};
use rtcscope_analysis::Engine;
use rtcscope_capture::CaptureReader;

#[test]
fn snapshot_and_report_give_each_stream_the_same_rate() {
    let mut checked = 0;
    for rec in ["direct", "relay", "firefox-direct", "firefox-relay"] {
        let path = rtcscope_testkit::fixtures()
            .join("webrtc")
            .join(rec)
            .join("capture.pcapng");
        let bytes = std::fs::read(&path).unwrap();
        let mut r = CaptureReader::new(&bytes[..]).unwrap();
        let mut e = Engine::default();
        while let Some(p) = r.next_packet().unwrap() {
            e.feed_packet(&p);
        }
        e.finish();
        let snap = Snapshot::take(&e, &Options::default());
        let report = Report::new(&e);
        for s in &snap.streams {
            let Some(rs) = report
                .streams
                .iter()
                .find(|x| x.ssrc == s.key.ssrc && x.src == s.src)
            else {
                continue;
            };
            assert_eq!(
                s.mean_payload_bps,
                rs.mean_payload_bps(),
                "{rec}: {:#x}",
                s.key.ssrc
            );
            assert!(rs.mean_payload_bps() > 0, "{rec}: {:#x}", s.key.ssrc);
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} streams compared");
}
