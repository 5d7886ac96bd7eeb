//! Every SDP of the shared corpus parses and lints; every error-severity finding must be listed
//! in `tests/expected-failures.tsv` (suite `sdp-corpus`) with its reason, and stale entries fail.
//! Also: lossless emission and typed round trips on every file, and the fuzzer-timeout inputs
//! are handled in bounded time.

mod common;

use rtcscope_sdp::{analyze, documents, fuzzing, Candidate, Severity};
use rtcscope_testkit::{corpus, Expectations};
use std::time::{Duration, Instant};

#[test]
fn corpus_sdps_parse_and_lint_as_expected() {
    let Some(dir) = corpus("sdp corpus_sdps_parse_and_lint_as_expected") else {
        return;
    };
    let exp = Expectations::load("sdp-corpus");
    let files = common::sdp_files(&dir);
    assert!(files.len() > 150, "found only {} SDP files", files.len());
    let (mut media, mut typed, mut errors) = (0usize, 0usize, 0usize);
    for (name, path) in &files {
        let bytes = std::fs::read(path).unwrap();
        let reports =
            analyze(&bytes, common::type_from_name(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(reports.len(), 1, "{name}: raw SDP is one document");
        let r = &reports[0];
        media += r.media.len();
        typed += r
            .media
            .iter()
            .map(|m| m.codecs.len() + m.candidates.len())
            .sum::<usize>();
        for f in r.findings.iter().filter(|f| f.severity == Severity::Error) {
            errors += 1;
            let detail = format!("line {:?}: {}", f.line, f.message);
            exp.failure(name, f.rule, "error", &detail);
        }
        // The text rendering is produced for every file.
        assert!(r.to_text().contains("session:"));
    }
    eprintln!(
        "sdp-corpus: {} files, {media} media sections, {typed} codecs+candidates, {errors} error findings",
        files.len()
    );
    assert!(media > 300 && typed > 1000);
    exp.finish();
}

#[test]
fn corpus_round_trips() {
    let Some(dir) = corpus("sdp corpus_round_trips") else {
        return;
    };
    for (name, path) in common::sdp_files(&dir) {
        let bytes = std::fs::read(&path).unwrap();
        // Verbatim emission + typed attribute round trips (panics with the file name on failure).
        let r = std::panic::catch_unwind(|| fuzzing::run(&bytes));
        assert!(r.is_ok(), "{name}: round trip failed");
    }
}

#[test]
fn jsep_trickled_candidates_parse() {
    let Some(dir) = corpus("sdp jsep_trickled_candidates_parse") else {
        return;
    };
    let files = common::candidate_files(&dir);
    assert_eq!(files.len(), 8);
    for (name, path) in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("attr"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{name}: no attr line"));
        let c = Candidate::parse(line).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(c.component, 1, "{name}");
        assert_eq!(
            c.to_string(),
            line,
            "{name}: candidate writes back identically"
        );
        if c.typ != rtcscope_sdp::CandidateType::Host {
            assert!(c.raddr.is_some() && c.rport.is_some(), "{name}");
        }
    }
}

#[test]
fn fuzzer_timeouts_are_fast() {
    let Some(dir) = corpus("sdp fuzzer_timeouts_are_fast") else {
        return;
    };
    for f in rtcscope_testkit::files_under(&dir.join("janus-gateway-fuzzer-corpora/sdp_fuzzer")) {
        let bytes = std::fs::read(&f).unwrap();
        let t = Instant::now();
        let reports = analyze(&bytes, None).unwrap();
        let el = t.elapsed();
        // Unoptimized test builds on a shared 2-core machine: generous, but quadratic behaviour
        // on 259 000 lines would take minutes.
        assert!(el < Duration::from_secs(20), "{}: {el:?}", f.display());
        assert!(
            reports[0].findings.len() <= rtcscope_sdp::RULES.len() * rtcscope_sdp::MAX_PER_RULE
        );
        let docs = documents(&bytes).unwrap();
        assert!(
            docs[0].invalid_utf8_at.is_some(),
            "the janus inputs hold invalid UTF-8"
        );
    }
}
