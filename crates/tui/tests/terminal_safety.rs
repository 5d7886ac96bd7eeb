//! The terminal UI on a capture whose STUN strings attack the terminal (ESC [2J, an OSC title,
//! a C1 CSI, bidi overrides, CR LF before a forged line): no drawn cell holds a character a
//! terminal acts on, in any view or on any packet and field, and the strings are shown escaped
//! (ratatui itself would hand a raw ESC to the terminal).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rtcscope_analysis::Config;
use rtcscope_tui::ring::PacketRing;
use rtcscope_tui::{ui, App, CaptureState, Mode, Progress};

use rtcscope_testkit::hostile_capture::{acted_on, hostile_capture, FORGED};

fn key(app: &mut App, state: &mut CaptureState, c: KeyCode) {
    app.handle(&Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    app.update_view(state);
}

/// Draws the app and returns its text, failing on any cell that holds what a terminal acts on.
fn draw_safe(app: &App, what: &str) -> String {
    let mut t = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    t.draw(|f| ui::render(f, app)).unwrap();
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            assert!(
                !sym.chars().any(acted_on),
                "{what}: cell ({x}, {y}) holds {sym:?}"
            );
            out.push_str(sym);
        }
        out.push('\n');
    }
    out
}

#[test]
fn every_view_packet_and_field_is_drawn_escaped() {
    let mut state = CaptureState::new(Config::default(), PacketRing::default(), Progress::Loaded);
    state.load(&hostile_capture()[..]).expect("a capture");
    let mut app = App::new(
        Mode::File {
            path: "hostile\x1b[2J.pcap".into(),
        },
        160,
        50,
    );
    app.refresh(&mut state);
    let mut seen = String::new();
    for (k, view) in ["sessions", "ice", "dtls", "streams", "packets", "nat"]
        .iter()
        .enumerate()
    {
        key(
            &mut app,
            &mut state,
            KeyCode::Char((b'1' + k as u8) as char),
        );
        seen.push_str(&draw_safe(&app, view));
    }
    // The packet list, every packet's field tree, line by line (the list shows all packets).
    key(&mut app, &mut state, KeyCode::Char('5'));
    key(&mut app, &mut state, KeyCode::Char('a'));
    key(&mut app, &mut state, KeyCode::Char('g'));
    assert_eq!(app.packets.matched, 4, "all packets listed");
    for p in 0..4 {
        key(&mut app, &mut state, KeyCode::Char('l'));
        for f in 0..30 {
            seen.push_str(&draw_safe(&app, &format!("packet {p}, field {f}")));
            key(&mut app, &mut state, KeyCode::Char('j'));
        }
        key(&mut app, &mut state, KeyCode::Char('h'));
        key(&mut app, &mut state, KeyCode::Char('j'));
    }
    // No forged line of its own: the text after the CR LF stays on its line.
    for line in seen.lines() {
        let start = line.trim_start_matches(['│', ' ']);
        assert!(!start.starts_with(FORGED), "forged line: {line}");
    }
    // Shown escaped, not dropped: the info column, the field tree, the ICE ufrags.
    for shown in [
        r"user=mallory\x1b[2J\x1b]0;pwned\x07\r\nok  FORGED",
        r"SOFTWARE: soft\u{9b}2J\u{2066}ware\r\nok",
        r"REALM: realm\x1b]0;title\x07\u{202e}txt.exe",
        r"ufrag\x1b[2J",
        r"hostile\x1b[2J.pcap",
    ] {
        assert!(seen.contains(shown), "{shown} never drawn:\n{seen}");
    }
}
