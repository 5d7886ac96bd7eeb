//! Every capture through the TUI's file loader (the thread behind `rtcscope open`), with a
//! budget (issue #16: no capture can hang rtcscope or make it slow or large).
//!
//! Every capture in `fixtures/` and in the shared corpus, and the same damaged variants of each
//! as the CLI's every-capture test (rtcscope_testkit::capture_variants: four truncations, three
//! variants with bytes flipped inside packet data only, two with bytes flipped in headers), is
//! loaded by `spawn_file_loader` and then drawn once in each view but the NAT check (which
//! would go to the network). Each load and draw must end within max(20 s, 100 × the clean
//! file's), without a panic (a loader thread that panicked, or a panic while drawing); the
//! loader must end `Loaded` with the engine holding every record the capture reader reads from
//! those bytes, which for the clean and the data-flipped variants is every record of the file.
//!
//! A load that overruns its budget is told to stop through the loader's stop flag and counted
//! as a failure; a thread stuck inside the engine cannot be stopped, and ends with the test
//! process.
//! Loads run two at a time (the machines have two cores); with a debug build on an idle machine
//! the fixtures take about 10 s (140 loads) and the corpus about 25 s (310 loads).
//!
//! Failures are keyed `<suite> <capture>#<variant> load|draw <kind>` in
//! `tests/expected-failures.tsv` (suites `tui-every-capture-fixtures` and
//! `tui-every-capture-corpus`).

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rtcscope_analysis::Config;
use rtcscope_testkit::Expectations;
use rtcscope_tui::ring::PacketRing;
use rtcscope_tui::source::spawn_file_loader;
use rtcscope_tui::{ui, App, CaptureState, Mode, Progress, Shared, View};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtcscope_testkit::capture_variants::{self, Capture, Variant, FULL};

/// The smallest budget of a load of a damaged variant.
const MIN_BUDGET: Duration = Duration::from_secs(20);
/// A damaged variant may take this many times as long as the clean file.
const SLOWDOWN: u32 = 100;
/// The budget of a clean file.
const CLEAN_BUDGET: Duration = Duration::from_secs(120);
/// Loads at once.
const PARALLEL: usize = 2;

/// (sample, field, kind, detail).
type Failure = (String, String, String, String);

/// Loads `bytes` on the loader thread and draws every view; returns the time taken, or the
/// failure (field, kind, detail).
fn load(v: &Variant, records: u64, budget: Duration) -> Result<Duration, (String, String, String)> {
    let fail = |field: &str, kind: &str, detail: String| Err((field.into(), kind.into(), detail));
    let start = Instant::now();
    let shared = Shared::new(CaptureState::new(
        Config::default(),
        PacketRing::default(),
        Progress::Loaded,
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let total = v.bytes.len() as u64;
    let handle = spawn_file_loader(
        shared.clone(),
        std::io::Cursor::new(v.bytes.clone()),
        Some(total),
        stop.clone(),
    );
    while !handle.is_finished() {
        if start.elapsed() > budget {
            stop.store(true, Ordering::Relaxed);
            return fail(
                "load",
                "timeout",
                format!("still loading after {:.1} s", start.elapsed().as_secs_f64()),
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if handle.join().is_err() {
        return fail("load", "panic", "the loader thread panicked".into());
    }
    let mut state = shared.lock();
    if state.progress != Progress::Loaded {
        return fail("load", "progress", format!("ended {:?}", state.progress));
    }
    let fed = state.engine.counters().packets;
    if fed != records {
        return fail(
            "load",
            "packets",
            format!("the engine holds {fed} packets of the {records} records read"),
        );
    }
    let drawn = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut app = App::new(
            Mode::File {
                path: "capture".into(),
            },
            160,
            40,
        );
        app.nat_servers = vec![];
        let mut t = Terminal::new(TestBackend::new(160, 40)).unwrap();
        for view in View::ALL.into_iter().filter(|&v| v != View::Nat) {
            app.view = view;
            app.refresh(&mut state);
            t.draw(|f| ui::render(f, &app)).unwrap();
        }
    }));
    if drawn.is_err() {
        return fail("draw", "panic", "drawing the views panicked".into());
    }
    let elapsed = start.elapsed();
    if elapsed > budget {
        return fail(
            "draw",
            "timeout",
            format!("loading and drawing took {:.1} s", elapsed.as_secs_f64()),
        );
    }
    Ok(elapsed)
}

fn every_capture(test: &str, suite: &str, captures: &[Capture]) {
    assert!(!captures.is_empty(), "{test}: no captures found");
    let started = Instant::now();
    let variants: Vec<Vec<Variant>> = captures
        .iter()
        .map(|c| capture_variants::variants(c, FULL))
        .collect();
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let record = |c: &Capture, v: &Variant, (field, kind, detail): (String, String, String)| {
        failures
            .lock()
            .unwrap()
            .push((format!("{}#{}", c.name, v.label), field, kind, detail));
    };
    let clean_records: Vec<u64> = variants
        .iter()
        .map(|vs| capture_variants::readable_records(&vs[0].bytes))
        .collect();
    // The clean files first: their times set the budgets.
    let clean_times = Mutex::new(vec![CLEAN_BUDGET; captures.len()]);
    capture_variants::parallel(PARALLEL, (0..captures.len()).collect(), |i| {
        match load(&variants[i][0], clean_records[i], CLEAN_BUDGET) {
            Ok(t) => clean_times.lock().unwrap()[i] = t,
            Err(f) => record(&captures[i], &variants[i][0], f),
        }
    });
    let clean_times = clean_times.into_inner().unwrap();
    let jobs: Vec<(usize, usize)> = (0..captures.len())
        .flat_map(|i| (1..variants[i].len()).map(move |j| (i, j)))
        .collect();
    capture_variants::parallel(PARALLEL, jobs, |(i, j)| {
        let v = &variants[i][j];
        let records = capture_variants::readable_records(&v.bytes);
        let budget = MIN_BUDGET.max(clean_times[i] * SLOWDOWN);
        if let Err(f) = load(v, records, budget) {
            record(&captures[i], v, f);
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    let expectations = Expectations::load(suite);
    for (sample, field, kind, detail) in &failures {
        match expectations.failure(sample, field, kind, detail) {
            Some(reason) => eprintln!("expected: {sample} {field} {kind}: {detail} ({reason})"),
            None => eprintln!("FAILED: {sample} {field} {kind}: {detail}"),
        }
    }
    eprintln!(
        "{test}: {} captures, {} loads in {:.1} s, {} failure(s)",
        captures.len(),
        variants.iter().map(Vec::len).sum::<usize>(),
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    expectations.finish();
}

#[test]
fn every_fixture_loads_within_budget() {
    let captures = capture_variants::fixture_captures();
    every_capture(
        "every_fixture_loads_within_budget",
        "tui-every-capture-fixtures",
        &captures,
    );
}

#[test]
fn every_corpus_capture_loads_within_budget() {
    let test = "every_corpus_capture_loads_within_budget";
    if let Some(captures) = capture_variants::corpus_captures(test) {
        every_capture(test, "tui-every-capture-corpus", &captures);
    }
}
