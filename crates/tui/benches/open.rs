//! Opening and scrolling a long capture in the TUI: the file indexed while the engine reads it,
//! then a tick (refresh + render) on the Packets view at the end and at the start, and a
//! display filter applied to every packet. The capture is `RTCSCOPE_BENCH_CAPTURE`, else
//! `target/bench/mixed-1M.pcapng` (made by `scripts/bench.sh`), else a relayed call replayed
//! 40 times (about 147,000 packets), generated on the spot.
//!
//! `cargo bench -p rtcscope-tui --bench open`; memory is measured on the real command
//! (docs/benchmarks.md).

use criterion::{criterion_group, criterion_main, Criterion};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rtcscope_analysis::Config;
use rtcscope_testkit::gencap::{self, Options, Tables};
use rtcscope_tui::store::FileIndex;
use rtcscope_tui::{ui, App, CaptureState, Mode, Progress};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn capture() -> PathBuf {
    if let Some(p) = std::env::var_os("RTCSCOPE_BENCH_CAPTURE") {
        return p.into();
    }
    let made = rtcscope_testkit::workspace_root().join("target/bench/mixed-1M.pcapng");
    if made.exists() {
        return made;
    }
    let path = std::env::temp_dir().join("rtcscope-bench-open.pcapng");
    if !path.exists() {
        let mut tables = Tables::default();
        let dir = rtcscope_testkit::fixtures().join("webrtc").join("relay");
        let source = gencap::load_source(&dir, false, &mut tables).expect("the relay recording");
        let opts = Options {
            sessions: 40,
            concurrency: 4,
            seed: 1,
        };
        let out = std::io::BufWriter::new(std::fs::File::create(&path).expect("temp file"));
        gencap::generate(&[source], &tables, opts, out).expect("generating");
    }
    path
}

fn load(path: &Path) -> CaptureState {
    let index = FileIndex::open(path).expect("the capture");
    let mut s = CaptureState::new(Config::default(), index, Progress::Loaded);
    s.load(std::fs::File::open(path).expect("the capture"))
        .expect("a capture");
    s
}

fn key(app: &mut App, st: &mut CaptureState, c: KeyCode) {
    app.handle(&Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    app.update_view(st);
}

fn bench(c: &mut Criterion) {
    let path = capture();
    let mut group = c.benchmark_group("open");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("index_and_analyse_whole_file", |b| {
        b.iter(|| black_box(load(&path).store.len()))
    });
    let mut st = load(&path);
    eprintln!(
        "{}: {} packets, index {} bytes",
        path.display(),
        st.store.len(),
        st.store.bytes()
    );
    let mut app = App::new(
        Mode::File {
            path: "bench".into(),
        },
        160,
        48,
    );
    app.scan_budget = Duration::MAX;
    app.refresh(&mut st);
    key(&mut app, &mut st, KeyCode::Char('5'));
    key(&mut app, &mut st, KeyCode::Char('a'));
    let mut term = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
    for (name, k) in [("tick_packets_at_end", 'G'), ("tick_packets_at_start", 'g')] {
        key(&mut app, &mut st, KeyCode::Char(k));
        group.bench_function(name, |b| {
            b.iter(|| {
                app.refresh(&mut st);
                term.draw(|f| ui::render(f, &app)).expect("draw");
                black_box(term.backend().buffer().area);
            })
        });
    }
    // A filter over every packet (read back from the file and dissected): Esc and the filter
    // again, so each round scans from the start.
    group.bench_function("filter_whole_file", |b| {
        b.iter(|| {
            key(&mut app, &mut st, KeyCode::Esc);
            key(&mut app, &mut st, KeyCode::Char('/'));
            for ch in "rtp.ssrc == 0x1234".chars() {
                app.handle(&Event::Key(KeyEvent::new(
                    KeyCode::Char(ch),
                    KeyModifiers::NONE,
                )));
            }
            key(&mut app, &mut st, KeyCode::Enter);
            black_box(app.packets.matched)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
