//! A long capture file in the packet view: indexed, not kept in a ring, so every packet can be
//! shown, from the first, and a filter covers the whole file.
//!
//! The capture is the relayed recording (fixtures/webrtc/relay) replayed as calls one after
//! another by the benchmark generator, well past the ring's 10,000 packets.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rtcscope_analysis::Config;
use rtcscope_capture::CaptureReader;
use rtcscope_dissect::{dissect_frame, filter};
use rtcscope_testkit::gencap::{self, Options, Tables};
use rtcscope_tui::ring::DEFAULT_MAX_PACKETS;
use rtcscope_tui::store::FileIndex;
use rtcscope_tui::{ui, App, CaptureState, Mode, Progress};
use std::path::{Path, PathBuf};

/// A long relayed capture, written once per test process.
fn long_capture() -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("rtcscope-long-relay-{}.pcapng", std::process::id()));
    if !path.exists() {
        let mut tables = Tables::default();
        let dir = rtcscope_testkit::fixtures().join("webrtc").join("relay");
        let source = gencap::load_source(&dir, false, &mut tables).expect("the relay recording");
        let opts = Options {
            sessions: 4,
            concurrency: 1,
            seed: 7,
        };
        let tmp = path.with_extension("part");
        let out = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
        gencap::generate(&[source], &tables, opts, out).expect("generating");
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

fn load(path: &Path) -> CaptureState {
    let index = FileIndex::open(path).expect("opening the capture");
    let mut state = CaptureState::new(Config::default(), index, Progress::Loaded);
    state.load(std::fs::File::open(path).unwrap()).unwrap();
    state
}

fn app(w: u16, h: u16) -> App {
    let mut app = App::new(
        Mode::File {
            path: "long-relay.pcapng".into(),
        },
        w,
        h,
    );
    app.scan_budget = std::time::Duration::MAX;
    app
}

fn key(app: &mut App, state: &mut CaptureState, c: KeyCode) {
    app.handle(&Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    app.update_view(state);
}

fn draw(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    t.draw(|f| ui::render(f, app)).unwrap();
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Every packet of the file, as the capture reader gives it.
fn packets(path: &Path) -> Vec<(u64, Vec<u8>, rtcscope_capture::LinkType, i128, u32)> {
    let bytes = std::fs::read(path).unwrap();
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        out.push((
            p.number,
            p.data.to_vec(),
            p.link_type,
            p.ts_nanos,
            p.orig_len,
        ));
    }
    out
}

#[test]
fn every_packet_of_a_long_file_is_shown_from_the_first() {
    let path = long_capture();
    let all = packets(&path);
    assert!(all.len() > DEFAULT_MAX_PACKETS, "{} packets", all.len());
    let mut state = load(&path);
    assert!(state.store.is_index());
    assert_eq!(state.store.len(), all.len());
    let mut app = app(80, 24);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('5'));
    key(&mut app, &mut state, KeyCode::Char('a'));
    assert_eq!(app.packets.matched, all.len());
    key(&mut app, &mut state, KeyCode::Char('g'));
    assert_eq!(app.packets.rows[0].number, 1);
    insta::assert_snapshot!("long_relay_80x24_first_packet", draw(&app));
    // The selected packet's bytes are the file's, at the start, the middle and the end.
    for (keys, want) in [(0, 1u64), (1234, 1235), (usize::MAX, all.len() as u64)] {
        key(&mut app, &mut state, KeyCode::Char('g'));
        if keys == usize::MAX {
            key(&mut app, &mut state, KeyCode::Char('G'));
        }
        for _ in 0..keys.min(all.len()) {
            key(&mut app, &mut state, KeyCode::Down);
        }
        let d = app.packets.detail.as_ref().expect("a packet is selected");
        assert_eq!(d.number, want);
        assert_eq!(d.bytes, all[want as usize - 1].1, "packet {want}'s bytes");
    }
    assert!(state.store.error().is_none(), "{:?}", state.store.error());
}

#[test]
fn a_filter_covers_the_whole_file() {
    let path = long_capture();
    let all = packets(&path);
    let mut state = load(&path);
    let mut app = app(160, 48);
    app.refresh(&mut state);
    // A stream of the first call: its packets are long gone from a ring of 10,000.
    let ssrc = app
        .snap
        .streams
        .iter()
        .min_by_key(|s| s.first_ns)
        .expect("streams")
        .key
        .ssrc;
    let text = format!("rtp.ssrc == {ssrc:#010x}");
    let expr = filter::parse(&text).unwrap();
    let want: Vec<u64> = all
        .iter()
        .filter(|(n, d, l, ts, o)| expr.matches(&dissect_frame(*n, *ts, *l, d, *o).fields))
        .map(|p| p.0)
        .collect();
    assert!(want.len() > 100, "{text}: {}", want.len());
    key(&mut app, &mut state, KeyCode::Char('5'));
    key(&mut app, &mut state, KeyCode::Char('a'));
    key(&mut app, &mut state, KeyCode::Char('/'));
    for c in text.chars() {
        key(&mut app, &mut state, KeyCode::Char(c));
    }
    key(&mut app, &mut state, KeyCode::Enter);
    assert_eq!(app.packets.matched, want.len());
    key(&mut app, &mut state, KeyCode::Char('g'));
    assert_eq!(app.packets.rows[0].number, want[0]);
    key(&mut app, &mut state, KeyCode::Char('G'));
    assert_eq!(
        app.packets.rows.last().map(|r| r.number),
        want.last().copied()
    );
}

#[test]
fn a_tick_scans_within_its_budget_and_the_next_ticks_go_on() {
    let path = long_capture();
    let total = packets(&path).len();
    let mut state = load(&path);
    let mut app = app(120, 40);
    app.scan_budget = std::time::Duration::ZERO;
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('5'));
    key(&mut app, &mut state, KeyCode::Char('a'));
    key(&mut app, &mut state, KeyCode::Char('/'));
    for c in "stun".chars() {
        key(&mut app, &mut state, KeyCode::Char(c));
    }
    key(&mut app, &mut state, KeyCode::Enter);
    // A zero budget still looks at one chunk a tick, so the list fills in and says how far.
    let (done, of) = app.packets.scanning.expect("still searching");
    assert!(done > 0 && done < of && of == total as u64, "{done}/{of}");
    assert!(draw(&app).contains("searching"));
    let mut ticks = 0;
    while app.packets.scanning.is_some() {
        app.update_view(&mut state);
        ticks += 1;
        assert!(ticks <= total, "the scan makes no progress");
    }
    let partial = app.packets.matched;
    app.scan_budget = std::time::Duration::MAX;
    key(&mut app, &mut state, KeyCode::Esc);
    key(&mut app, &mut state, KeyCode::Char('/'));
    for c in "stun".chars() {
        key(&mut app, &mut state, KeyCode::Char(c));
    }
    key(&mut app, &mut state, KeyCode::Enter);
    assert_eq!(
        partial, app.packets.matched,
        "tick by tick finds what one pass finds"
    );
}

#[test]
fn w_saves_the_listed_packets_of_the_whole_file() {
    let path = long_capture();
    let all = packets(&path);
    let mut state = load(&path);
    let mut app = app(120, 40);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('5'));
    key(&mut app, &mut state, KeyCode::Char('a'));
    key(&mut app, &mut state, KeyCode::Char('/'));
    for c in "dtls || stun.type == allocate".chars() {
        key(&mut app, &mut state, KeyCode::Char(c));
    }
    key(&mut app, &mut state, KeyCode::Enter);
    let listed = app.packets.matched;
    assert!(listed > 20, "{listed}");
    // `w` offers a name; what is typed replaces it; Enter asks the caller to save.
    key(&mut app, &mut state, KeyCode::Char('w'));
    assert_eq!(
        app.save_prompt.as_deref(),
        Some("long-relay-packets.pcapng")
    );
    assert!(draw(&app).contains(&format!("save {listed} listed packets to:")));
    let out = std::env::temp_dir().join(format!("rtcscope-saved-{}.pcapng", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let name = out.to_string_lossy().into_owned();
    app.save_prompt = Some(String::new());
    for c in name.chars() {
        app.handle(&Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
    let action = app.handle(&Event::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    assert_eq!(action, rtcscope_tui::Action::SavePackets(name.clone()));
    assert_eq!(app.save_packets(&mut state, &name), Ok(listed as u64));
    assert!(draw(&app).contains(&format!("saved {listed} packets to")));
    // The saved file holds exactly the listed packets, in order, byte for byte.
    let saved = packets(&out);
    let expr = filter::parse("dtls || stun.type == allocate").unwrap();
    let want: Vec<_> = all
        .iter()
        .filter(|(n, d, l, ts, o)| expr.matches(&dissect_frame(*n, *ts, *l, d, *o).fields))
        .collect();
    assert_eq!(saved.len(), want.len());
    for (s, w) in saved.iter().zip(&want) {
        assert_eq!(
            (&s.1, s.2, s.3, s.4),
            (&w.1, w.2, w.3, w.4),
            "packet {}",
            w.0
        );
    }
    // A second save to the same name does not overwrite it.
    let before = std::fs::read(&out).unwrap();
    let again = app.save_packets(&mut state, &name);
    assert!(again.is_err_and(|e| e.contains("cannot create")));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    std::fs::remove_file(&out).unwrap();
}

/// The ladder of the selected call covers the whole file: its arrows are exactly the packets
/// of the session's address pairs that its filter matches, and Enter opens an arrow's packet.
#[test]
fn the_ladder_covers_the_selected_call_and_opens_its_packets() {
    use rtcscope_tui::ladder::LADDER_FILTER;
    let path = long_capture();
    let all = packets(&path);
    let mut state = load(&path);
    let mut app = app(120, 40);
    app.refresh(&mut state);
    // The last of the four calls: its packets are all past the first 10,000.
    let last_session = app
        .rows
        .iter()
        .rposition(|r| matches!(r.key, rtcscope_tui::model::RowKey::Session(_)))
        .expect("sessions");
    for _ in 0..last_session {
        key(&mut app, &mut state, KeyCode::Down);
    }
    let wire = app.selected_row().expect("a session").wire.clone();
    key(&mut app, &mut state, KeyCode::Char('9'));
    let expr = filter::parse(LADDER_FILTER).unwrap();
    let want: Vec<u64> = all
        .iter()
        .filter(|(n, d, l, ts, o)| {
            let f = dissect_frame(*n, *ts, *l, d, *o);
            let Ok(Ok(ends)) = rtcscope_capture::link::decode(*l, d) else {
                return false;
            };
            expr.matches(&f.fields)
                && wire.iter().any(|&(a, b)| {
                    (ends.src == a && ends.dst == b) || (ends.src == b && ends.dst == a)
                })
        })
        .map(|p| p.0)
        .collect();
    assert!(want.len() > 50, "{}", want.len());
    assert_eq!(app.ladder.matched, want.len());
    assert!(
        want[0] > DEFAULT_MAX_PACKETS as u64,
        "the last call starts late: {}",
        want[0]
    );
    assert_eq!(app.ladder.rows[0].number, want[0]);
    // Two hosts and the TURN server, as columns.
    assert_eq!(app.ladder.columns.len(), 3, "{:?}", app.ladder.columns);
    key(&mut app, &mut state, KeyCode::Char('G'));
    let last = app.ladder.selected().expect("selected").number;
    assert_eq!(last, *want.last().unwrap());
    key(&mut app, &mut state, KeyCode::Enter);
    assert_eq!(app.view, rtcscope_tui::View::Packets);
    assert_eq!(app.packets.detail.as_ref().map(|d| d.number), Some(last));
}

/// Zooming the ladder out groups its messages by kind, hosts and time slice without losing or
/// moving one: every level's groups add up to the messages of the first level, each group lies
/// in one slice, coarser levels have fewer rows, and the selection stays on its message.
#[test]
fn the_ladder_zooms_out_and_in_without_losing_a_message() {
    use rtcscope_tui::ladder::ZOOMS;
    let path = long_capture();
    let all = packets(&path);
    let time_of: std::collections::HashMap<u64, i64> =
        all.iter().map(|p| (p.0, p.3 as i64)).collect();
    let mut state = load(&path);
    let mut app = app(120, 40);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('9'));
    let messages = app.ladder.matched;
    assert!(messages > 50, "{messages}");
    // The 40th message selected, at the first level.
    for _ in 0..40 {
        key(&mut app, &mut state, KeyCode::Down);
    }
    let chosen = app.ladder.selected().unwrap().number;
    let mut rows_before = messages;
    for (level, &slice) in ZOOMS.iter().enumerate().skip(1) {
        key(&mut app, &mut state, KeyCode::Char('+'));
        assert_eq!(app.ladder.zoom, level);
        let groups = app.ladder.groups(level);
        assert_eq!(app.ladder.matched, groups.len());
        let total: u64 = groups.iter().map(|g| u64::from(g.2)).sum();
        assert_eq!(total as usize, messages, "level {level}");
        for &(first, last, count, ts) in &groups {
            assert!(first <= last && (count > 1 || first == last));
            assert_eq!(
                time_of[&first].div_euclid(slice),
                time_of[&last].div_euclid(slice),
                "level {level}: #{first}..#{last} spans two slices"
            );
            assert_eq!(ts, time_of[&first]);
        }
        assert!(groups.len() <= rows_before, "level {level}");
        rows_before = groups.len();
        // The selected row holds the chosen message.
        let sel = app.ladder.selected().expect("a row selected");
        assert!(
            sel.number <= chosen && chosen <= sel.last_number,
            "level {level}: {chosen} not in #{}..#{}",
            sel.number,
            sel.last_number
        );
    }
    // The last level folds a call's consent checks: fewer than half the rows.
    assert!(
        rows_before * 2 < messages,
        "{rows_before} rows of {messages}"
    );
    // Back to the first level: every message a row, the chosen group's first selected.
    for _ in 1..ZOOMS.len() {
        key(&mut app, &mut state, KeyCode::Char('-'));
    }
    assert_eq!(app.ladder.zoom, 0);
    assert_eq!(app.ladder.matched, messages);
    let sel = app.ladder.selected().unwrap().number;
    assert!(sel <= chosen, "{sel} after {chosen}");
}

/// In a long capture of one call after another, the Streams chart of a later call spans that
/// call, not the whole file (where it would fill a few of the first bins' width).
#[test]
fn the_streams_chart_spans_the_selected_call() {
    let path = long_capture();
    let mut state = load(&path);
    let mut app = app(160, 48);
    app.refresh(&mut state);
    // The last call to start.
    let last = (0..app.rows.len())
        .filter(|&i| matches!(app.rows[i].key, rtcscope_tui::model::RowKey::Session(_)))
        .max_by_key(|&i| app.rows[i].first_ns)
        .expect("calls");
    for _ in 0..last {
        key(&mut app, &mut state, KeyCode::Down);
    }
    let r = app.selected_row().expect("a call").clone();
    assert_eq!(r.key, app.rows[last].key);
    let (ws, we) = app.window();
    assert!(r.first_ns > ws + (we - ws) / 2, "a late call selected");
    key(&mut app, &mut state, KeyCode::Char('4'));
    let c = &app.chart;
    assert_eq!(c.start_ns, r.first_ns);
    let end = c.start_ns + c.bin_ns * c.bins.len() as i64;
    assert!(
        end <= r.last_ns + c.bin_ns && end >= r.last_ns - c.bin_ns,
        "{end} vs {}",
        r.last_ns
    );
    // Every bin holds some of the call's traffic but the very last ones, which end with it.
    let full = c.bins.iter().filter(|b| b[0] + b[1] > 0).count();
    assert!(
        full * 10 >= c.bins.len() * 9,
        "{full} of {} bins",
        c.bins.len()
    );
}
