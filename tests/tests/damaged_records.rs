//! A capture with records the reader can skip (packets on an interface the file never
//! declared): `rtcscope analyze` and `rtcscope dissect` name each skipped record on standard
//! error, analyse every other packet, and exit with status 1 so that scripts notice.

use rtcscope_tests::{run_with_stdin, stderr, stdout};
use serde_json::Value;

use rtcscope_testkit::damaged_capture::turn_capture_with_undeclared_interfaces as damaged;

fn analyze(file: &[u8]) -> (Value, String, Option<i32>) {
    let out = run_with_stdin(&["analyze", "--json", "-r", "-"], file);
    let report = serde_json::from_slice(&out.stdout).expect("a JSON report");
    (report, stderr(&out), out.status.code())
}

#[test]
fn analyze_skips_damaged_records_and_reports_the_rest() {
    let (whole, good) = damaged(&[]);
    let (clean, clean_err, code) = analyze(&whole);
    assert_eq!(code, Some(0), "{clean_err}");
    let (bytes, _) = damaged(&[2, 40, 41]);
    let (report, err, code) = analyze(&bytes);
    assert_eq!(code, Some(1), "damage is an exit status: {err}");
    assert_eq!(report["counters"]["packets"], good);
    assert_eq!(report["counters"], clean["counters"]);
    for list in ["turn_allocations", "flows", "streams"] {
        assert_eq!(
            report[list].as_array().map(Vec::len),
            clean[list].as_array().map(Vec::len),
            "{list}"
        );
    }
    assert!(
        err.contains("packet 2 names interface 7, which the file never declared (skipped)"),
        "{err}"
    );
    assert!(
        err.contains("3 damaged record(s) skipped; the report covers the rest"),
        "{err}"
    );
    assert!(!err.contains("everything before it"), "{err}");
}

#[test]
fn dissect_skips_damaged_records_and_lists_every_other_packet() {
    let (bytes, good) = damaged(&[5]);
    let out = run_with_stdin(&["dissect", "-r", "-"], &bytes);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count() as u64, good);
    let err = stderr(&out);
    assert!(
        err.contains("names interface 7") && err.contains("(skipped)"),
        "{err}"
    );
}
