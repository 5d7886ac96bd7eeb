//! The TUI's file loaders (the synchronous one and the loader thread behind `rtcscope open`)
//! on a damaged capture: a record that names an interface the file never declared is skipped,
//! as `rtcscope analyze` skips it, and every packet after it is still analysed; the status
//! line says what was skipped. A fatal error still stops the file, keeping what came before.

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rtcscope_analysis::Config;
use rtcscope_tui::ring::PacketRing;
use rtcscope_tui::source::spawn_file_loader;
use rtcscope_tui::{ui, App, CaptureState, Mode, Progress, Shared};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use rtcscope_testkit::damaged_capture::turn_capture_with_undeclared_interfaces as damaged;

fn fresh() -> CaptureState {
    CaptureState::new(Config::default(), PacketRing::default(), Progress::Loaded)
}

fn status_line(state: &mut CaptureState) -> String {
    let mut app = App::new(
        Mode::File {
            path: "damaged.pcapng".into(),
        },
        160,
        24,
    );
    app.nat_servers = vec![];
    app.refresh(state);
    let mut t = Terminal::new(TestBackend::new(160, 24)).unwrap();
    t.draw(|f| ui::render(f, &app)).unwrap();
    let buf = t.backend().buffer();
    let y = buf.area.height - 1;
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

#[test]
fn synchronous_load_skips_undeclared_interfaces_and_reads_on() {
    let (whole, good) = damaged(&[]);
    let mut reference = fresh();
    reference.load(&whole[..]).unwrap();
    assert_eq!(reference.engine.counters().packets, good);
    assert_eq!((reference.error.as_deref(), reference.skipped), (None, 0));

    let (bytes, good_too) = damaged(&[3, 10]);
    assert_eq!(good, good_too);
    let mut state = fresh();
    state.load(&bytes[..]).unwrap();
    assert_eq!(state.progress, Progress::Loaded);
    assert_eq!(state.skipped, 2);
    // Every good packet, the ones after the damaged records included, reached the engine,
    // and the analysis is the undamaged file's.
    assert_eq!(state.engine.counters(), reference.engine.counters());
    assert_eq!(
        state.engine.turn().allocations.len(),
        reference.engine.turn().allocations.len()
    );
    assert!(
        !state.engine.turn().allocations.is_empty(),
        "the fixture has TURN allocations"
    );
    let error = state
        .error
        .clone()
        .expect("the first skipped record is reported");
    assert!(
        error.contains("packet 3 names interface 7") && error.ends_with("(skipped)"),
        "{error}"
    );
    let line = status_line(&mut state);
    assert!(
        line.contains("packet 3 names interface 7") && line.contains("(2 damaged records skipped)"),
        "status line: {line}"
    );
}

#[test]
fn loader_thread_skips_undeclared_interfaces_and_reads_on() {
    let (bytes, good) = damaged(&[1, 5, 6]);
    let total = bytes.len() as u64;
    let shared = Shared::new(fresh());
    let stop = Arc::new(AtomicBool::new(false));
    spawn_file_loader(
        shared.clone(),
        std::io::Cursor::new(bytes),
        Some(total),
        stop,
    )
    .join()
    .expect("the loader thread");
    let s = shared.lock();
    assert_eq!(s.progress, Progress::Loaded);
    assert_eq!(s.engine.counters().packets, good);
    assert_eq!(s.skipped, 3);
    let error = s.error.as_deref().unwrap_or_default();
    assert!(error.contains("packet 1 names interface 7"), "{error}");
}

#[test]
fn fatal_damage_stops_the_file_and_keeps_what_came_before() {
    let (bytes, _) = damaged(&[4]);
    // Cut the file in the middle of a block after the skipped record: the reader reports a
    // truncated block, which ends the file.
    let cut = &bytes[..bytes.len() - 10];
    let mut state = fresh();
    state.load(cut).unwrap();
    assert_eq!(state.skipped, 1);
    let error = state.error.clone().unwrap_or_default();
    assert!(
        !error.contains("(skipped)"),
        "the fatal error wins: {error}"
    );
    let fed = state.engine.counters().packets;
    assert!(fed > 3, "the packets before the cut were analysed ({fed})");
}
