//! Rendered frames of every view on the real browser recordings, snapshotted with insta, so a
//! change in what the user sees shows up in review. Times come from the captures, so frames
//! are reproducible. CI never writes snapshots (`INSTA_UPDATE=no`).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use rtcscope_analysis::Config;
use rtcscope_tui::ring::PacketRing;
use rtcscope_tui::{ui, App, CaptureState, Mode, Progress};
use std::path::Path;

// The loader behind `--sdp` of `rtcscope open`/`live` (and `analyze`), so the frames below
// show exactly what the command shows.
use rtcscope_analysis::sdp_hints;

fn load(rel: &str) -> CaptureState {
    let path = rtcscope_testkit::workspace_root().join(rel);
    let mut state = CaptureState::new(Config::default(), PacketRing::default(), Progress::Loaded);
    state
        .load(std::fs::File::open(&path).expect("fixture"))
        .expect("a capture");
    state
}

fn app(rel: &str, w: u16, h: u16) -> App {
    let name = Path::new(rel).to_string_lossy().into_owned();
    let mut app = App::new(Mode::File { path: name }, w, h);
    app.nat_servers = vec![];
    // One frame shows the whole filter's result.
    app.scan_budget = std::time::Duration::MAX;
    app
}

fn key(app: &mut App, state: &mut CaptureState, c: KeyCode) {
    app.handle(&Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    app.update_view(state);
}

fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn draw(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    t.draw(|f| ui::render(f, app)).unwrap();
    text(t.backend().buffer())
}

/// Every view of one recording at one size.
fn views(rel: &str, name: &str, w: u16, h: u16) {
    let mut state = load(rel);
    let mut app = app(rel, w, h);
    app.refresh(&mut state);
    for (k, view) in [
        "sessions", "ice", "dtls", "streams", "packets", "nat", "findings", "turn", "ladder",
    ]
    .iter()
    .enumerate()
    {
        key(
            &mut app,
            &mut state,
            KeyCode::Char((b'1' + k as u8) as char),
        );
        insta::assert_snapshot!(format!("{name}_{w}x{h}_{view}"), draw(&app));
    }
}

#[test]
fn direct_call_120x40() {
    views("fixtures/webrtc/direct/capture.pcapng", "direct", 120, 40);
}

#[test]
fn direct_call_80x24() {
    views("fixtures/webrtc/direct/capture.pcapng", "direct", 80, 24);
}

#[test]
fn direct_call_160x48() {
    views("fixtures/webrtc/direct/capture.pcapng", "direct", 160, 48);
}

#[test]
fn relay_call_160x48() {
    views("fixtures/webrtc/relay/capture.pcapng", "relay", 160, 48);
}

/// The Streams chart zooms into time and pans, its bins stated in the title: at ×2 the window
/// is half the capture's and the bins half as wide; panning moves it within the capture; `-`
/// brings the whole capture back.
#[test]
fn streams_chart_zooms_and_pans() {
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    let mut state = load(rel);
    let mut app = app(rel, 160, 48);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('4'));
    let (s0, b0, n0) = (app.chart.start_ns, app.chart.bin_ns, app.chart.bins.len());
    // A file's chart spans the selected session, not the whole capture (its ARP frames and
    // ICMP errors lie outside the call).
    let (cs, ce) = app.window();
    let r = app.selected_row().expect("the call");
    let (ws, we) = (r.first_ns.max(cs), r.last_ns.min(ce));
    assert!(
        ws > cs || we < ce,
        "the session is narrower than the capture"
    );
    assert_eq!(s0, ws);
    assert!((app.chart.bin_ns * app.chart.bins.len() as i64 - (we - ws)).abs() <= n0 as i64);
    key(&mut app, &mut state, KeyCode::Char('+'));
    let (s1, b1) = (app.chart.start_ns, app.chart.bin_ns);
    assert_eq!(app.chart.bins.len(), n0);
    assert!((b1 - b0 / 2).abs() <= 1, "{b0} → {b1}");
    // Centred: a quarter of the capture is left out on each side.
    assert!((s1 - (ws + (we - ws) / 4)).abs() <= 1, "{s1}");
    assert!(draw(&app).contains("zoom ×2 (</>: pan)"));
    key(&mut app, &mut state, KeyCode::Char('>'));
    let s2 = app.chart.start_ns;
    assert!(s2 > s1, "panned right");
    // Panning stops at the capture's end.
    for _ in 0..10 {
        key(&mut app, &mut state, KeyCode::Char('>'));
    }
    let (cs, ce) = app.chart_window(ws, we);
    assert!(
        ce <= we && cs >= ws && ce - cs == (we - ws) / 2,
        "{cs}..{ce}"
    );
    key(&mut app, &mut state, KeyCode::Char('-'));
    assert_eq!((app.chart.start_ns, app.chart.bin_ns), (s0, b0));
}

#[test]
fn relay_call_120x40() {
    views("fixtures/webrtc/relay/capture.pcapng", "relay", 120, 40);
}

/// A failed call (wrong TURN credentials, relay-only policy): the Findings view names it,
/// with the 401s as evidence, at both sizes.
#[test]
fn failed_call_findings() {
    for (w, h) in [(120, 40), (80, 24)] {
        let rel = "fixtures/webrtc/fail-turn-credentials/capture.pcapng";
        let mut state = load(rel);
        let mut app = app(rel, w, h);
        app.refresh(&mut state);
        key(&mut app, &mut state, KeyCode::Char('7'));
        let screen = draw(&app);
        assert!(
            screen.contains("turn.wrong-credentials") && screen.contains("401"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("fail_turn_credentials_{w}x{h}_findings"), screen);
    }
}

/// The Sessions view of a failed call says so in its title and, for the selected session, in
/// its details: the findings naming its addresses.
#[test]
fn failed_call_sessions() {
    for (w, h) in [(120, 40), (80, 24)] {
        let rel = "fixtures/webrtc/fail-symmetric-nat/capture.pcapng";
        let mut state = load(rel);
        let mut app = app(rel, w, h);
        app.refresh(&mut state);
        key(&mut app, &mut state, KeyCode::Char('1'));
        let screen = draw(&app);
        assert!(screen.contains("findings: 1 failure (7)"), "{screen}");
        assert!(
            screen.contains("Findings") && screen.contains("ice.no-pair-succeeded"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("fail_symmetric_nat_{w}x{h}_sessions"), screen);
    }
}

#[test]
fn turn_udp_120x40() {
    views("fixtures/captures/turn-udp.pcapng", "turn_udp", 120, 40);
}

/// A recording opened with its SDPs (`rtcscope open CAPTURE --sdp OFFER --sdp ANSWER`).
fn load_with_sdp(rel: &str, sdps: &[&str], w: u16, h: u16) -> (CaptureState, App) {
    let root = rtcscope_testkit::workspace_root();
    let paths: Vec<String> = sdps
        .iter()
        .map(|p| root.join(p).to_string_lossy().into_owned())
        .collect();
    let k = sdp_hints::load(&paths)
        .expect("readable SDPs")
        .expect("SDPs given");
    let mut state = CaptureState::new(Config::default(), PacketRing::default(), Progress::Loaded);
    state.engine.set_sdp_candidates(k.candidates.clone());
    state.set_sdp(k.hints, k.fingerprints, k.srtp);
    state
        .load(std::fs::File::open(root.join(rel)).expect("fixture"))
        .expect("a capture");
    let mut app = app(rel, w, h);
    app.sdp_candidates = k.candidates;
    app.refresh(&mut state);
    (state, app)
}

#[test]
fn direct_call_with_sdp() {
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    let sdps = [
        "fixtures/webrtc/direct/offer.sdp",
        "fixtures/webrtc/direct/answer.sdp",
    ];
    let (mut state, mut app) = load_with_sdp(rel, &sdps, 120, 40);
    key(&mut app, &mut state, KeyCode::Char('2'));
    let ice = draw(&app);
    insta::assert_snapshot!("direct_sdp_120x40_ice", ice);
    // Both peers announced their host candidates: the types come from the SDPs, not inferred.
    let pairs: Vec<&str> = ice.lines().filter(|l| l.contains("succeeded ")).collect();
    assert_eq!(pairs.len(), 2, "{ice}");
    for l in &pairs {
        assert_eq!(l.matches(" host ").count(), 2, "{l}");
        assert!(!l.contains("host?"), "{l}");
    }
    key(&mut app, &mut state, KeyCode::Char('4'));
    let streams = draw(&app);
    insta::assert_snapshot!("direct_sdp_120x40_streams", streams);
    for (ssrc, codec) in [
        ("0xde5af8f2", "opus/48000"),
        ("0xe41eb112", "opus/48000"),
        ("0x28cea191", "RED (VP8 per SDP)"),
        ("0x25c3126b", "RTX of VP8/90000"),
    ] {
        let line = streams
            .lines()
            .find(|l| l.starts_with(&format!("│{ssrc} ")))
            .unwrap_or_else(|| panic!("{ssrc} missing:\n{streams}"));
        assert!(
            line.contains(&format!(" {codec} ")),
            "{codec} missing: {line}"
        );
    }
    assert!(!streams.contains("pt 111"), "{streams}");

    // The narrow layout keeps the initial of the type, unmarked.
    let (mut state, mut app) = load_with_sdp(rel, &sdps, 80, 24);
    key(&mut app, &mut state, KeyCode::Char('2'));
    let ice = draw(&app);
    assert!(ice.contains("10.20.1.2:34409 h "), "{ice}");
    assert!(!ice.contains("h?"), "{ice}");
}

#[test]
fn candidate_types_without_an_sdp_match_are_marked_inferred() {
    // SDP candidates are known but none has the call's addresses: every type shown is the
    // engine's inference, marked with `?`: an address no SDP announced is peer-reflexive.
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    let mut state = load(rel);
    let mut app = app(rel, 120, 40);
    let sdp = vec![rtcscope_analysis::sdp_hints::SdpCandidate::udp(
        "203.0.113.1:9".parse().unwrap(),
        "host",
        "1",
    )];
    state.engine.set_sdp_candidates(sdp.clone());
    app.sdp_candidates = sdp;
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('2'));
    let ice = draw(&app);
    let pairs: Vec<&str> = ice.lines().filter(|l| l.contains("succeeded ")).collect();
    assert_eq!(pairs.len(), 2, "{ice}");
    for l in &pairs {
        assert_eq!(l.matches(" prflx? ").count(), 2, "{l}");
    }
}

#[test]
fn direct_call_facts_on_screen() {
    // Concrete facts of the recording, independent of the snapshot files.
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    let mut state = load(rel);
    let mut app = app(rel, 120, 40);
    app.refresh(&mut state);
    let s = draw(&app);
    assert!(s.contains("10.20.1.2:34409 ⇄ 10.20.2.2:52231"), "{s}");
    assert!(s.contains("connected"), "{s}");
    key(&mut app, &mut state, KeyCode::Char('3'));
    let s = draw(&app);
    assert!(s.contains("DTLS 1.3"), "{s}");
    assert!(s.contains("TLS_AES_128_GCM_SHA256"), "{s}");
    key(&mut app, &mut state, KeyCode::Char('4'));
    let s = draw(&app);
    for ssrc in ["0xde5af8f2", "0xe41eb112", "0x28cea191", "0x590c4668"] {
        assert!(s.contains(ssrc), "{ssrc} missing:\n{s}");
    }
}

#[test]
fn keys_move_panes_and_hex_follows_the_field() {
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    let mut state = load(rel);
    let mut app = app(rel, 120, 40);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('5'));
    // Packet 1 of the selection is a STUN Binding request; its first field after the message
    // header is selected and its bytes are highlighted.
    for _ in 0..4 {
        key(&mut app, &mut state, KeyCode::Char('j'));
    }
    key(&mut app, &mut state, KeyCode::Char('l'));
    key(&mut app, &mut state, KeyCode::Char('j'));
    insta::assert_snapshot!("direct_packets_tree_field", draw(&app));
    let d = app.packets.detail.as_ref().expect("a packet is selected");
    let sel = d.tree.line(app.packets.tree_nav.sel).expect("a field line");
    assert!(sel.depth > 0 && !sel.range.is_empty(), "{sel:?}");
    // The filter narrows the list to matching packets.
    key(&mut app, &mut state, KeyCode::Char('h'));
    app.handle(&Event::Key(KeyEvent::new(
        KeyCode::Char('/'),
        KeyModifiers::NONE,
    )));
    for c in "client hello".chars() {
        key(&mut app, &mut state, KeyCode::Char(c));
    }
    key(&mut app, &mut state, KeyCode::Enter);
    assert_eq!(
        app.packets.matched, 2,
        "the ClientHello comes in two fragments"
    );
    // The help overlay lists every key.
    key(&mut app, &mut state, KeyCode::Char('?'));
    let s = draw(&app);
    for (k, _) in ui::KEYS.iter().filter(|(k, _)| !k.is_empty()) {
        assert!(s.contains(k), "{k} missing from help:\n{s}");
    }
}

/// The tree line selected, and the lines on screen.
fn tree_state(app: &rtcscope_tui::App) -> (String, Vec<String>) {
    let d = app.packets.detail.as_ref().expect("a packet is selected");
    let sel = d.tree.line(app.packets.tree_nav.sel).unwrap().text.clone();
    (sel, d.tree.shown().map(|(l, _)| l.text.clone()).collect())
}

#[test]
fn field_tree_folds_headers_and_bytes_select_their_field() {
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = load(rel);
        let mut app = app(rel, w, h);
        app.refresh(&mut state);
        key(&mut app, &mut state, KeyCode::Char('5'));
        key(&mut app, &mut state, KeyCode::Char('l'));
        // The frame and its headers start folded, one line each; the message is selected.
        let (sel, shown) = tree_state(&app);
        assert!(shown[0].starts_with("Frame "), "{shown:?}");
        assert!(shown[1].starts_with("Ethernet II"), "{shown:?}");
        assert!(
            shown[2].starts_with("Internet Protocol Version 4"),
            "{shown:?}"
        );
        assert!(shown[3].starts_with("User Datagram Protocol"), "{shown:?}");
        assert!(
            sel.starts_with("Session Traversal Utilities for NAT"),
            "{sel}"
        );
        // Up twice: the IPv4 header; → opens it, showing the TTL, DSCP and ECN.
        key(&mut app, &mut state, KeyCode::Char('k'));
        key(&mut app, &mut state, KeyCode::Char('k'));
        key(&mut app, &mut state, KeyCode::Right);
        let (sel, shown) = tree_state(&app);
        assert!(sel.starts_with("Internet Protocol Version 4"), "{sel}");
        assert!(shown.iter().any(|l| l == "Time to live: 63"), "{shown:?}");
        assert!(shown.iter().any(|l| l.starts_with("DSCP: ")), "{shown:?}");
        insta::assert_snapshot!(format!("direct_packets_ip_open_{w}x{h}"), draw(&app));
        // l: the bytes; the cursor starts on the header's first byte; eight to the right is
        // the TTL byte (offset 22), and the tree follows it.
        key(&mut app, &mut state, KeyCode::Char('l'));
        assert_eq!(app.packets.detail.as_ref().unwrap().hex_cursor, 14);
        for _ in 0..8 {
            key(&mut app, &mut state, KeyCode::Right);
        }
        let (sel, _) = tree_state(&app);
        assert_eq!(sel, "Time to live: 63");
        insta::assert_snapshot!(format!("direct_packets_hex_cursor_{w}x{h}"), draw(&app));
        // A byte of a folded header opens it: fold everything (the selection goes to the IPv4
        // line that held the TTL), then step from its first byte (14) onto the UDP port (34).
        key(&mut app, &mut state, KeyCode::Char('h'));
        key(&mut app, &mut state, KeyCode::Char('-'));
        let (sel, shown) = tree_state(&app);
        assert!(sel.starts_with("Internet Protocol Version 4"), "{sel}");
        assert!(shown.iter().all(|l| !l.starts_with("Time to live")));
        key(&mut app, &mut state, KeyCode::Char('l'));
        for _ in 0..20 {
            key(&mut app, &mut state, KeyCode::Right);
        }
        let (sel, shown) = tree_state(&app);
        assert_eq!(app.packets.detail.as_ref().unwrap().hex_cursor, 34);
        assert!(sel.starts_with("Source port: "), "{sel}");
        assert!(shown
            .iter()
            .any(|l| l.starts_with("User Datagram Protocol")));
        // A click on a byte in the hex pane selects its field too: byte 37, the destination
        // port's second, on the cursor's row (32..48 at 16 a row, 32..40 at 8).
        let hex = rtcscope_tui::ui::hex_area(app.size);
        let per = if hex.width >= 75 { 16 } else { 8 };
        let first_row = 34 / per; // the cursor's row leads
        let visible = usize::from(hex.height - 2).max(1);
        let top = if first_row >= visible {
            first_row - visible / 3
        } else {
            0
        };
        let (row, col) = (37 / per - top, 37 % per);
        let x = hex.x + 1 + 6 + 3 * col as u16 + u16::from(col >= per / 2);
        let y = hex.y + 1 + row as u16;
        app.handle(&Event::Mouse(crossterm::event::MouseEvent {
            kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        }));
        app.refresh(&mut state);
        assert_eq!(app.packets.detail.as_ref().unwrap().hex_cursor, 37);
        let (sel, _) = tree_state(&app);
        assert_eq!(sel, "Destination port: 34409", "{w}x{h}");
        // + opens everything, and Enter folds the line the selection is on.
        key(&mut app, &mut state, KeyCode::Char('h'));
        key(&mut app, &mut state, KeyCode::Char('+'));
        let all = app.packets.detail.as_ref().unwrap().tree.all_lines().len();
        assert_eq!(tree_state(&app).1.len(), all);
    }
}

/// The ladder's detail pane, on an ICE check: its pair's facts and check RTT series.
#[test]
fn ladder_detail_shows_the_pair_and_its_rtt_series() {
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    let mut state = load(rel);
    let mut app = app(rel, 160, 48);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('9'));
    let row = app.ladder.selected().expect("the first arrow").clone();
    assert!(row.info.starts_with("Binding Request"), "{row:?}");
    let screen = draw(&app);
    assert!(screen.contains("Pair      host"), "{screen}");
    // The pair's successes with an RTT, one bar each.
    let pair = &app.snap.sessions[0]
        .pairs
        .iter()
        .find(|p| p.pair.local == row.src && p.pair.remote == row.dst)
        .expect("the check's pair")
        .pair;
    let n = pair
        .timeline
        .iter()
        .filter(|e| {
            matches!(
                e,
                rtcscope_analysis::ice::PairEvent::Success {
                    rtt_ns: Some(_),
                    ..
                }
            )
        })
        .count();
    assert!(n > 0);
    assert!(screen.contains(&format!("({n} checks, max ")), "{screen}");
}

/// The relayed call's ladder at every zoom level, at 80×24 and 160×48.
#[test]
fn relay_ladder_zoom_levels() {
    let rel = "fixtures/webrtc/relay/capture.pcapng";
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = load(rel);
        let mut app = app(rel, w, h);
        app.refresh(&mut state);
        key(&mut app, &mut state, KeyCode::Char('9'));
        for level in 0..rtcscope_tui::ladder::ZOOMS.len() {
            if level > 0 {
                key(&mut app, &mut state, KeyCode::Char('+'));
            }
            insta::assert_snapshot!(format!("relay_ladder_zoom{level}_{w}x{h}"), draw(&app));
        }
    }
}

/// The Sessions view's event log (`e`): the direct call's ICE, DTLS and media in time order;
/// the failed call's 401s after credentials and its finding.
#[test]
fn event_log_of_a_call_and_of_a_failure() {
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    let mut state = load(rel);
    let mut app = app(rel, 160, 48);
    app.refresh(&mut state);
    let row = app.selected_row().expect("the call").clone();
    let events = rtcscope_tui::events::of_row(&app, &row);
    assert!(events.windows(2).all(|w| w[0].at_ns <= w[1].at_ns));
    let texts: Vec<&str> = events.iter().map(|e| e.text.as_str()).collect();
    let find = |what: &str| {
        texts
            .iter()
            .position(|t| t.contains(what))
            .unwrap_or_else(|| panic!("{what} not in {texts:#?}"))
    };
    // Checks start, succeed and nominate before the handshake ends, and media follows it.
    let first_check = find(": first check");
    let succeeded = find(": succeeded");
    let done = find("handshake done (DTLS 1.3");
    let media = find(": starts");
    assert!(
        first_check < succeeded && succeeded < done && done < media,
        "{texts:#?}"
    );
    find("USE-CANDIDATE sent");
    find("selected (carries the call)");
    // Every stream of the call starts once.
    let starts = texts.iter().filter(|t| t.ends_with(": starts")).count();
    assert_eq!(starts, app.snap.streams.len());
    key(&mut app, &mut state, KeyCode::Char('e'));
    insta::assert_snapshot!("direct_160x48_events", draw(&app));
    key(&mut app, &mut state, KeyCode::Char('J'));
    assert_eq!(app.events_scroll, 3);

    drop(app);
    let rel = "fixtures/webrtc/fail-turn-credentials/capture.pcapng";
    let mut state = load(rel);
    let mut app = self::app(rel, 80, 24);
    app.refresh(&mut state);
    let all: Vec<String> = app
        .rows
        .clone()
        .iter()
        .flat_map(|r| rtcscope_tui::events::of_row(&app, r))
        .map(|e| e.text)
        .collect();
    assert!(
        all.iter().any(|t| t.contains("Allocate error 401")),
        "{all:#?}"
    );
    assert!(
        all.iter()
            .any(|t| t.starts_with("finding turn.wrong-credentials (FAILURE)")),
        "{all:#?}"
    );
    key(&mut app, &mut state, KeyCode::Char('e'));
    insta::assert_snapshot!("fail_turn_credentials_80x24_events", draw(&app));
}

#[test]
fn tiny_terminal_says_so() {
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    let mut state = load(rel);
    let mut app = app(rel, 40, 10);
    app.refresh(&mut state);
    assert!(draw(&app).contains("needs at least 60×16"));
}

/// Types `text` into the filter prompt (without pressing Enter).
fn type_filter(app: &mut App, state: &mut CaptureState, text: &str) {
    app.handle(&Event::Key(KeyEvent::new(
        KeyCode::Char('/'),
        KeyModifiers::NONE,
    )));
    for c in text.chars() {
        key(app, state, KeyCode::Char(c));
    }
}

#[test]
fn a_display_filter_narrows_packets_and_a_wrong_one_says_why() {
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    let mut state = load(rel);
    let mut app = app(rel, 120, 40);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('5'));
    key(&mut app, &mut state, KeyCode::Char('a'));
    let all = app.packets.matched;
    // Checked as it is typed: not yet an expression, so it is said why (red), and words match.
    type_filter(&mut app, &mut state, "dtls.handshake.type ==");
    let s = draw(&app);
    assert!(
        s.contains("expected a value for dtls.handshake.type"),
        "the prompt says why:\n{s}"
    );
    for c in " client_hello".chars() {
        key(&mut app, &mut state, KeyCode::Char(c));
    }
    assert!(draw(&app).contains("filter for Packets"));
    key(&mut app, &mut state, KeyCode::Enter);
    assert_eq!(
        app.packets.matched, 2,
        "the ClientHello comes in two fragments"
    );
    let s = draw(&app);
    assert!(s.contains("Packets filter: dtls.handshake"), "{s}");
    // An expression leaves the other views alone: their rows have no packet fields.
    key(&mut app, &mut state, KeyCode::Char('1'));
    assert!(!app.rows.is_empty());
    key(&mut app, &mut state, KeyCode::Char('5'));
    // Protocols and their negation split the packets.
    key(&mut app, &mut state, KeyCode::Esc);
    type_filter(&mut app, &mut state, "stun");
    key(&mut app, &mut state, KeyCode::Enter);
    let stun = app.packets.matched;
    key(&mut app, &mut state, KeyCode::Esc);
    type_filter(&mut app, &mut state, "!stun");
    key(&mut app, &mut state, KeyCode::Enter);
    assert!(stun > 0 && app.packets.matched > 0);
    assert_eq!(stun + app.packets.matched, all);
}

/// A recording opened with its key log and `sdps` (`rtcscope open CAPTURE --keylog KEYLOG
/// --sdp ...`).
fn load_with_keylog(dir: &str, sdps: &[String]) -> CaptureState {
    let root = rtcscope_testkit::workspace_root();
    let mut state = CaptureState::new(Config::default(), PacketRing::default(), Progress::Loaded);
    if let Some(k) = sdp_hints::load(sdps).unwrap() {
        state.set_sdp(k.hints, k.fingerprints, k.srtp);
    }
    let mut keys = rtcscope_analysis::decrypt::KeyStore::default();
    let text = std::fs::read_to_string(root.join(dir).join("keylog.txt")).unwrap();
    keys.keylog.add_text("keylog.txt", &text);
    state.engine.set_keys(keys);
    state
        .load(std::fs::File::open(root.join(dir).join("capture.pcapng")).unwrap())
        .unwrap();
    state
}

/// With the key log, the ladder draws what decryption reveals: the SCTP association's set-up
/// and the data channel getStats lists, opened by the offerer and acknowledged by the answerer
/// after the DTLS handshake; the packet list says `[decrypted: …]` as `dissect --keylog` does,
/// and the field tree holds the decrypted content without claiming frame bytes for it.
#[test]
fn decrypted_signalling_in_the_ladder_and_the_packet_view() {
    for dir in [
        "fixtures/webrtc/firefox-direct",
        "fixtures/webrtc/firefox-relay",
    ] {
        let root = rtcscope_testkit::workspace_root();
        // The data channels both peers' getStats list.
        let stats: serde_json::Value =
            serde_json::from_slice(&std::fs::read(root.join(dir).join("stats-a.json")).unwrap())
                .unwrap();
        let labels: Vec<String> = stats
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["type"] == "data-channel")
            .map(|o| o["label"].as_str().unwrap().to_owned())
            .collect();
        assert!(!labels.is_empty(), "{dir}: getStats lists a data channel");
        let mut state = load_with_keylog(dir, &[]);
        let mut app = app(&format!("{dir}/capture.pcapng"), 160, 400);
        app.refresh(&mut state);
        key(&mut app, &mut state, KeyCode::Char('9'));
        let rows = app.ladder.rows.clone();
        assert_eq!(
            rows.len(),
            app.ladder.matched,
            "{dir}: the whole ladder on screen"
        );
        let find = |what: &str| {
            rows.iter()
                .position(|r| r.info.contains(what))
                .unwrap_or_else(|| panic!("{dir}: no {what} in the ladder: {rows:#?}"))
        };
        let hello = find("Client Hello");
        let init = find("[decrypted: INIT]");
        for label in &labels {
            let open = find(&format!("DATA_CHANNEL_OPEN label=\"{label}\""));
            assert!(hello < init && init < open, "{dir}: {hello} {init} {open}");
            // Acknowledged by the other side (through TURN, on the other leg).
            let ack = rows[open..]
                .iter()
                .find(|r| r.info.contains("DATA_CHANNEL_ACK"))
                .unwrap_or_else(|| panic!("{dir}: no ack after the open"));
            assert_ne!(ack.src, rows[open].src, "{dir}: the ack answers the open");
            if !dir.ends_with("relay") {
                assert_eq!(
                    (ack.src, ack.dst),
                    (rows[open].dst, rows[open].src),
                    "{dir}"
                );
            }
            assert!(rows[open].info.contains("[decrypted: "), "{:?}", rows[open]);
        }
        // Without the key log, none of it.
        let mut clear = load(&format!("{dir}/capture.pcapng"));
        let mut app2 = self::app(&format!("{dir}/capture.pcapng"), 160, 400);
        app2.refresh(&mut clear);
        key(&mut app2, &mut clear, KeyCode::Char('9'));
        assert!(app2.ladder.matched < rows.len(), "{dir}");
        assert!(app2
            .ladder
            .rows
            .iter()
            .all(|r| !r.info.contains("decrypted")));
        // The packet list, searched for the label as words, finds the open; its tree holds
        // the decrypted DCEP message, covering no frame bytes.
        key(&mut app, &mut state, KeyCode::Char('5'));
        type_filter(&mut app, &mut state, "data_channel_open");
        assert!(
            app.packets.matched >= labels.len(),
            "{dir}: {}",
            app.packets.matched
        );
        let detail = app.packets.detail.as_ref().expect("a packet selected");
        let lines = detail.tree.all_lines();
        let at = lines
            .iter()
            .position(|l| l.text.starts_with("Decrypted DTLS record"))
            .unwrap_or_else(|| panic!("{dir}: {lines:#?}"));
        assert!(lines[at..]
            .iter()
            .any(|l| l.text.contains("DATA_CHANNEL_OPEN")));
        assert!(lines[at..].iter().all(|l| l.range.is_empty()));
    }
}

/// A Firefox call opened with its key log and SDPs (`rtcscope open CAPTURE --keylog KEYLOG
/// --sdp ...`): the selected video stream shows what decryption reveals, equal to the
/// browser's getStats (frames sent, size) and to `analyze`.
#[test]
fn decrypted_call_shows_frames_and_receiver_reports() {
    let dir = "fixtures/webrtc/firefox-direct";
    let root = rtcscope_testkit::workspace_root();
    let paths: Vec<String> = ["offer.sdp", "answer.sdp"]
        .iter()
        .map(|f| root.join(dir).join(f).to_string_lossy().into_owned())
        .collect();
    let mut state = load_with_keylog(dir, &paths);
    let mut app = app(&format!("{dir}/capture.pcapng"), 160, 48);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('4'));
    // The first video stream that is not a retransmission stream.
    for _ in 0..app.streams.len() {
        if app.stream_detail.as_ref().is_some_and(|d| {
            d.0.kind == rtcscope_analysis::streams::MediaKind::Video && d.0.rtx_of.is_none()
        }) {
            break;
        }
        key(&mut app, &mut state, KeyCode::Down);
    }
    let (s, _, rate) = app.stream_detail.as_ref().expect("a stream selected");
    // The RTT samples' range, from the stream's own per-bucket record.
    let total = s.quality.total();
    let s_rtt_bounds = (
        total.rtt_min_ms().expect("RTT samples"),
        total.rtt_max_ms().expect("RTT samples"),
    );
    // getStats: framesSent 140 at 320×240 for both senders of this call.
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join(dir).join("stats-a.json")).unwrap())
            .unwrap();
    let sent = stats
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            stats
                .get("stats")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten(),
        )
        .find(|o| o["type"] == "outbound-rtp" && o["kind"] == "video")
        .map(|o| o["framesSent"].as_u64().unwrap());
    let screen = draw(&app);
    assert!(screen.contains("Frames    140 (1 key)"), "{screen}");
    assert!(screen.contains("320×240"), "{screen}");
    assert!(screen.contains("Receiver  lost 0"), "{screen}");
    assert!(screen.contains("ms (LSR/DLSR)"), "{screen}");
    assert!(!screen.contains("encrypted (no keys"), "{screen}");
    // The rate the receiver's transport-cc feedback shows for this direction, as `analyze`
    // derives it (crates/analysis/tests/receive_rate.rs checks it against the capture).
    let rate = rate
        .as_ref()
        .expect("transport-cc feedback about this direction");
    let kbit = rate.mean_bps.expect("a receive rate") as f64 / 1e3;
    assert!(
        screen.contains(&format!("Received  {kbit:.0} kbit/s (TWCC), sent ")),
        "{screen}"
    );
    if let Some(n) = sent {
        assert_eq!(s.frames.as_ref().map(|f| f.frames), Some(n));
    }
    insta::assert_snapshot!("firefox_direct_keylog_160x48_streams", screen);
    // m: the stream's loss, jitter and RTT over time, in the chart's bins.
    let values = |app: &App| {
        let (_, v) = app.chart.quality.as_ref().expect("a quality metric");
        v.iter().flatten().copied().collect::<Vec<f64>>()
    };
    key(&mut app, &mut state, KeyCode::Char('m'));
    assert!(draw(&app).contains("loss % of stream SSRC"));
    let loss = values(&app);
    assert!(
        !loss.is_empty() && loss.iter().all(|&l| l == 0.0),
        "getStats: packetsLost 0; {loss:?}"
    );
    key(&mut app, &mut state, KeyCode::Char('m'));
    let jitter = values(&app);
    assert!(
        !jitter.is_empty() && jitter.iter().all(|&j| (0.0..100.0).contains(&j)),
        "{jitter:?}"
    );
    key(&mut app, &mut state, KeyCode::Char('m'));
    let rtt = values(&app);
    let (lo, hi) = (s_rtt_bounds.0, s_rtt_bounds.1);
    assert!(!rtt.is_empty(), "decrypted RTCP gives RTT samples");
    assert!(
        rtt.iter().all(|&r| r >= lo - 1e-6 && r <= hi + 1e-6),
        "{rtt:?} not within {lo}..{hi}"
    );
    insta::assert_snapshot!("firefox_direct_keylog_160x48_rtt", draw(&app));
    // The event log has the data channel getStats lists ("chat", open), opened after the
    // DTLS handshake that carries it.
    let row = app.selected_row().expect("the call").clone();
    let events = rtcscope_tui::events::of_row(&app, &row);
    let at = |what: &str| {
        events
            .iter()
            .find(|e| e.text.contains(what))
            .unwrap_or_else(|| panic!("{what}: {events:#?}"))
            .at_ns
    };
    assert!(at("data channel \"chat\"") >= at("handshake done"));
}

/// At 80×24 the packet list keeps every column that matters readable: Len goes, Info ends in an
/// ellipsis where it is cut, and `>` / `<` scroll Info sideways.
#[test]
fn packet_list_at_80x24_cuts_with_ellipses_and_scrolls_info() {
    let rel = "fixtures/webrtc/direct/capture.pcapng";
    let mut state = load(rel);
    let mut app = app(rel, 80, 24);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('5'));
    let s = draw(&app);
    let first = s
        .lines()
        .find(|l| l.contains("Binding Request user="))
        .expect("a check on screen")
        .to_owned();
    assert!(
        first.contains("10.20.2.2:52231 10.20.1.2:34409 STUN"),
        "{s}"
    );
    assert!(first.contains('…'), "{first}");
    assert!(!s.contains("Len "), "{s}");
    key(&mut app, &mut state, KeyCode::Char('>'));
    let scrolled = draw(&app);
    // "Binding Request user=…" scrolled by 8: "Request user=…".
    assert!(scrolled.contains("STUN     Request user="), "{scrolled}");
    key(&mut app, &mut state, KeyCode::Char('<'));
    assert_eq!(draw(&app), s);
}

/// A pcapng that carries its key log in a Decryption Secrets Block (`editcap
/// --inject-secrets`), opened without `--keylog`: the loader gives the block's key log to the
/// engine, so the ladder shows the data channel's open as with the key log file.
#[test]
fn a_decryption_secrets_block_decrypts_as_the_key_log_does() {
    let test = "a_decryption_secrets_block_decrypts_as_the_key_log_does";
    let Some(editcap) = rtcscope_testkit::require_tool(test, "editcap") else {
        return;
    };
    let dir = rtcscope_testkit::workspace_root().join("fixtures/webrtc/firefox-direct");
    let tmp = std::env::temp_dir().join(format!("rtcscope-tui-dsb-{}.pcapng", std::process::id()));
    let st = std::process::Command::new(editcap)
        .arg("--inject-secrets")
        .arg(format!("tls,{}", dir.join("keylog.txt").display()))
        .arg(dir.join("capture.pcapng"))
        .arg(&tmp)
        .status()
        .unwrap();
    assert!(st.success());
    let mut state = CaptureState::new(Config::default(), PacketRing::default(), Progress::Loaded);
    state.load(std::fs::File::open(&tmp).unwrap()).unwrap();
    let _ = std::fs::remove_file(&tmp);
    let mut app = app("dsb.pcapng", 160, 400);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('9'));
    assert!(
        app.ladder
            .rows
            .iter()
            .any(|r| r.info.contains("DATA_CHANNEL_OPEN label=\"chat\"")),
        "{:#?}",
        app.ladder.rows
    );
}

/// The ladder's detail on a check a TURN relay carried (ChannelData or a Send indication
/// between the client and its server): the pair is the allocation's, relay to the peer, with
/// its allocation; and with the SDPs, a direct pair's foundations are theirs.
#[test]
fn ladder_detail_of_a_relayed_check_and_foundations() {
    let rel = "fixtures/webrtc/relay/capture.pcapng";
    let mut state = load(rel);
    let mut app = app(rel, 160, 48);
    app.refresh(&mut state);
    key(&mut app, &mut state, KeyCode::Char('9'));
    let mut seen = 0;
    for _ in 0..app.ladder.matched {
        let r = app.ladder.selected().expect("a row").clone();
        let carried = (r.info.starts_with("Channel 0x") || r.info.starts_with("Send Indication"))
            && r.info.contains("Binding Request");
        if carried {
            let screen = draw(&app);
            assert!(screen.contains("Pair      relay"), "{r:?}\n{screen}");
            assert!(screen.contains("TURN      allocation"), "{r:?}\n{screen}");
            seen += 1;
        }
        key(&mut app, &mut state, KeyCode::Down);
    }
    assert!(seen > 0, "the relayed call's checks travel through TURN");
    // The direct call with its SDPs: the foundations of the SDPs' candidates.
    let dir = "fixtures/webrtc/direct";
    let (mut state, mut app) = load_with_sdp(
        &format!("{dir}/capture.pcapng"),
        &[&format!("{dir}/offer.sdp"), &format!("{dir}/answer.sdp")],
        160,
        48,
    );
    key(&mut app, &mut state, KeyCode::Char('9'));
    let r = app.ladder.selected().expect("the first check").clone();
    let offer = std::fs::read_to_string(
        rtcscope_testkit::workspace_root().join(format!("{dir}/offer.sdp")),
    )
    .unwrap();
    // a=candidate:FOUNDATION COMPONENT udp PRIORITY ADDRESS PORT typ host
    let foundation_of = |addr: std::net::SocketAddr| {
        offer
            .lines()
            .chain(
                std::fs::read_to_string(
                    rtcscope_testkit::workspace_root().join(format!("{dir}/answer.sdp")),
                )
                .unwrap()
                .lines(),
            )
            .filter_map(|l| l.trim().strip_prefix("a=candidate:"))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|w| {
                w.len() > 5 && w[4] == addr.ip().to_string() && w[5] == addr.port().to_string()
            })
            .map(|w| w[0].to_owned())
            .expect("the SDP announces the check's addresses")
    };
    let screen = draw(&app);
    let (a, b) = (foundation_of(r.src), foundation_of(r.dst));
    assert!(
        screen.contains(&format!("foundations {a}/{b} ·"))
            || screen.contains(&format!("foundations {b}/{a} ·")),
        "{a} {b}\n{screen}"
    );
}

/// The packet list names a packet as the engine does: an OpenVPN P_ACK_V1 (first byte 0x28,
/// which reads as a DTLS 1.3 unified header) is not DTLS on a flow that carried no DTLS,
/// while a unified-header record after a plain DTLS record on its flow is (issue #10, F12).
#[test]
fn the_packet_list_believes_a_unified_header_only_where_the_engine_does() {
    use rtcscope_testkit::frames::{ethernet, ipv4_udp, pcap};
    let a = |s: &str| s.parse::<std::net::SocketAddrV4>().unwrap();
    let mut openvpn = vec![0x28];
    openvpn.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 0, 0, 0]);
    openvpn.extend_from_slice(&[8, 7, 6, 5, 4, 3, 2, 1]);
    openvpn.extend_from_slice(&[0; 12]);
    let mut plain = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12];
    plain.extend_from_slice(&[1, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut unified = vec![0x2f, 0x00, 0x01, 0x00, 0x20];
    unified.extend_from_slice(&[0xa5; 32]);
    let vpn = (a("10.0.0.1:40000"), a("10.0.0.2:1194"));
    let dtls = (a("10.0.0.3:50000"), a("10.0.0.4:50001"));
    let frames: Vec<Vec<u8>> = [
        (vpn, &openvpn),
        (dtls, &plain),
        (vpn, &openvpn),
        (dtls, &unified),
    ]
    .iter()
    .map(|((s, d), p)| ethernet(&ipv4_udp(*s, *d, p)))
    .collect();
    let file = pcap(1, &frames);
    let mut state = CaptureState::new(Config::default(), PacketRing::default(), Progress::Loaded);
    state.load(std::io::Cursor::new(file)).unwrap();
    let protocols: Vec<&str> = (0..4)
        .map(|pos| state.store.row(pos).expect("held").summary.protocol)
        .collect();
    assert_eq!(protocols, ["Data", "DTLS", "Data", "DTLS"]);
}
