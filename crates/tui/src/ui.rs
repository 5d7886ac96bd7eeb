//! Drawing: `render(frame, &app)` is a pure function of the application state.
//!
//! Colours: the terminal's own foreground and background everywhere, with bold, reverse and
//! dim for emphasis and a few ANSI colours (green, red, yellow, cyan) for states, so the
//! screen reads on dark and light themes alike. No background colour is ever set.
//!
//! The layout functions (`list_height`, `tab_at`, ...) are shared with input handling, so a
//! mouse click lands on the row it was drawn on.
//!
//! Text from the wire (ufrags, DTLS names, alerts, codecs, MIDs and RIDs, the packet list and
//! field tree, what NAT-check servers said) goes through [`rtcscope_wire::text`] before it is
//! drawn: ratatui would hand a raw ESC or bidi override to the terminal as it is. [`render`]
//! then drops whatever such character is still left in the frame, as a last line of defence.

use crate::app::{App, ChartScope, Mode, NatState, Pane, View};
use crate::model::{codec_label, pair_candidate_type, RowKey, RowState};
use crate::source::Progress;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Clear, Dataset, GraphType, Paragraph, Row, Table, Wrap,
};
use ratatui::Frame;
use rtcscope_analysis::dtls::{FingerprintCheck, SeenText};
use rtcscope_analysis::fmt;
use rtcscope_analysis::ice::{PairEvent, PairState};
use rtcscope_analysis::streams::MediaKind;
use rtcscope_wire::text::{escape, needs_escape, Escaped};

/// Smallest usable terminal.
const MIN_W: u16 = 60;
const MIN_H: u16 = 16;

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

fn block(title: impl Into<Line<'static>>, focused: bool) -> Block<'static> {
    let b = Block::new().borders(Borders::ALL).title(title);
    if focused {
        b.border_style(bold())
    } else {
        b
    }
}

/// Eight-level bar characters for sparklines.
const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A text sparkline of `values`, scaled to their maximum; a non-zero value never shows blank.
pub fn sparkline(values: &[u64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if max == 0 || v == 0 {
                BARS[0]
            } else {
                BARS[((v as u128 * 8).div_ceil(max as u128) as usize).clamp(1, 8)]
            }
        })
        .collect()
}

// ---------------------------------------------------------------- layout

/// Title line, body, status line.
fn frame_areas(size: Rect) -> (Rect, Rect, Rect) {
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(size);
    (tabs, body, status)
}

/// The main list of a view (with its border).
fn list_area(size: Rect, view: View) -> Rect {
    let (_, body, _) = frame_areas(size);
    match view {
        View::Sessions => {
            let detail = if body.height >= 18 { 8 } else { 0 };
            let [list, _] =
                Layout::vertical([Constraint::Min(4), Constraint::Length(detail)]).areas(body);
            list
        }
        View::Ice => ice_areas(body, 0).1,
        View::Dtls => {
            let [list, _] =
                Layout::vertical([Constraint::Length(6), Constraint::Min(4)]).areas(body);
            list
        }
        View::Streams => {
            let [list, _] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Min(6)]).areas(body);
            list
        }
        View::Packets => {
            let [list, _] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Min(6)]).areas(body);
            list
        }
        View::Nat => body,
    }
}

/// Header, pair table and timeline of the ICE view; the table is as tall as its `pairs` need
/// (0: as tall as allowed), up to 45 % of the body.
fn ice_areas(body: Rect, pairs: usize) -> (Rect, Rect, Rect) {
    let max = body.height.saturating_sub(2) * 45 / 100;
    let want = if pairs == 0 {
        max
    } else {
        (pairs as u16 + 3).min(max).max(4)
    };
    let [head, table, timeline] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(want),
        Constraint::Min(4),
    ])
    .areas(body);
    (head, table, timeline)
}

/// Rows of the view's main list that fit on screen.
pub fn list_height(size: Rect, view: View) -> usize {
    usize::from(list_area(size, view).height.saturating_sub(3))
}

fn packet_panes(size: Rect) -> (Rect, Rect) {
    let (_, body, _) = frame_areas(size);
    let [_, bottom] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Min(6)]).areas(body);
    if bottom.width >= 110 {
        let [t, h] =
            Layout::horizontal([Constraint::Min(30), Constraint::Length(76)]).areas(bottom);
        (t, h)
    } else {
        let [t, h] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Min(3)]).areas(bottom);
        (t, h)
    }
}

/// The field-tree pane of the Packets view.
pub fn tree_area(size: Rect) -> Rect {
    packet_panes(size).0
}

/// Tree lines that fit on screen.
pub fn tree_height(size: Rect) -> usize {
    usize::from(tree_area(size).height.saturating_sub(2))
}

fn chart_area(size: Rect) -> Rect {
    let (_, body, _) = frame_areas(size);
    let [_, chart] = Layout::vertical([Constraint::Percentage(50), Constraint::Min(6)]).areas(body);
    chart
}

/// Bins of the Streams-view chart: one per column of its plot.
pub fn chart_bins(size: Rect) -> usize {
    usize::from(chart_area(size).width.saturating_sub(12)).clamp(10, 400)
}

fn tabs(size: Rect) -> Vec<(View, u16, u16)> {
    let mut x = 10u16; // after " rtcscope "
    let mut out = Vec::new();
    let compact = size.width < 100;
    for (i, v) in View::ALL.iter().enumerate() {
        let label = tab_label(*v, i, compact);
        let w = label.chars().count() as u16;
        out.push((*v, x, x + w));
        x += w + 1;
    }
    out
}

fn tab_label(v: View, i: usize, compact: bool) -> String {
    let t = if compact && v == View::Nat {
        "NAT"
    } else {
        v.title()
    };
    format!(" {} {t} ", i + 1)
}

/// The view whose tab is at `at`.
pub fn tab_at(size: Rect, at: Position) -> Option<View> {
    if at.y != 0 {
        return None;
    }
    tabs(size)
        .into_iter()
        .find(|(_, a, b)| (*a..*b).contains(&at.x))
        .map(|(v, _, _)| v)
}

/// The list row (0 = first shown) at `at`.
pub fn list_row_at(size: Rect, view: View, at: Position) -> Option<usize> {
    let a = list_area(size, view);
    let first = a.y + 2;
    if at.x > a.x && at.x + 1 < a.x + a.width && at.y >= first && at.y + 1 < a.y + a.height {
        Some(usize::from(at.y - first))
    } else {
        None
    }
}

// ---------------------------------------------------------------- frame

/// Draws the whole screen.
pub fn render(f: &mut Frame<'_>, app: &App) {
    let size = f.area();
    if size.width < MIN_W || size.height < MIN_H {
        f.render_widget(
            Paragraph::new(format!(
                "rtcscope needs at least {MIN_W}×{MIN_H}; this terminal is {}×{}.",
                size.width, size.height
            ))
            .wrap(Wrap { trim: true }),
            size,
        );
        return;
    }
    let (top, body, bottom) = frame_areas(size);
    title_line(f, app, top);
    status_line(f, app, bottom);
    match app.view {
        View::Sessions => sessions(f, app, body),
        View::Ice => ice(f, app, body),
        View::Dtls => dtls(f, app, body),
        View::Streams => streams(f, app, body),
        View::Packets => packets(f, app, body),
        View::Nat => nat(f, app, body),
    }
    if app.help {
        help(f, size);
    }
    scrub(f.buffer_mut());
}

/// Removes from every cell the characters [`needs_escape`] finds (controls, bidi overrides):
/// text from the wire is escaped where it is drawn, and this makes sure nothing missed there
/// reaches the terminal. A cell left empty shows a space.
fn scrub(buf: &mut ratatui::buffer::Buffer) {
    for cell in &mut buf.content {
        if cell.symbol().chars().any(needs_escape) {
            let kept: String = cell
                .symbol()
                .chars()
                .filter(|&c| !needs_escape(c))
                .collect();
            cell.set_symbol(if kept.is_empty() { " " } else { &kept });
        }
    }
}

fn title_line(f: &mut Frame<'_>, app: &App, area: Rect) {
    let mut spans = vec![Span::styled(" rtcscope ", bold())];
    let compact = area.width < 100;
    for (i, v) in View::ALL.iter().enumerate() {
        let label = tab_label(*v, i, compact);
        spans.push(if *v == app.view {
            Span::styled(label, selected().add_modifier(Modifier::BOLD))
        } else {
            Span::raw(label)
        });
        spans.push(Span::raw(" "));
    }
    f.render_widget(Line::from(spans), area);
    let used = tabs(area).last().map_or(10, |t| t.2);
    let room = area.width.saturating_sub(used + 1);
    let mut right = Vec::new();
    if app.paused {
        right.push(Span::styled(" PAUSED ", selected().fg(Color::Yellow)));
        right.push(Span::raw(" "));
    }
    let mut source: Vec<Span<'static>> = Vec::new();
    match &app.mode {
        Mode::Live { interface, filter } => {
            source.push(Span::styled("● LIVE ", bold().fg(Color::Red)));
            source.push(Span::raw(interface.clone()));
            if let Some(fl) = filter {
                source.push(Span::styled(format!(" [{fl}]"), dim()));
            }
        }
        Mode::File { path } => {
            let name = std::path::Path::new(path)
                .file_name()
                .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
            source.push(Span::raw(escape(&name).into_owned()));
        }
    }
    source.push(Span::raw(" "));
    // Drop what does not fit, from the end: the filter, then the source; PAUSED stays.
    while !source.is_empty()
        && Line::from([right.clone(), source.clone()].concat()).width() > usize::from(room)
    {
        source.pop();
    }
    right.extend(source);
    let line = Line::from(right).right_aligned();
    if line.width() <= usize::from(room) {
        f.render_widget(line, area);
    }
}

fn status_line(f: &mut Frame<'_>, app: &App, area: Rect) {
    if let Some(e) = &app.editing {
        let line = Line::from(vec![
            Span::styled(" filter: ", bold()),
            Span::raw(e.clone()),
            Span::styled("█", Style::new().add_modifier(Modifier::SLOW_BLINK)),
            Span::styled("   Enter apply · Esc cancel", dim()),
        ]);
        f.render_widget(line, area);
        return;
    }
    let c = &app.snap.counters;
    let mut s: Vec<Span<'static>> = Vec::new();
    match &app.status.progress {
        Progress::Loading { read, total } => {
            let text = match total {
                Some(t) if *t > 0 => {
                    let pct = (*read as f64 / *t as f64 * 100.0).min(100.0);
                    let filled = (pct / 10.0).round() as usize;
                    format!(
                        " loading {}{} {pct:.0}% ",
                        "█".repeat(filled),
                        "░".repeat(10 - filled.min(10))
                    )
                }
                _ => format!(" loading {} ", fmt::bytes(*read)),
            };
            s.push(Span::styled(text, bold().fg(Color::Yellow)));
        }
        Progress::Stopped => s.push(Span::styled(" stopped ", bold().fg(Color::Red))),
        Progress::Loaded | Progress::Live => {}
    }
    s.push(Span::raw(format!(
        " {} pkts · {} · {} sessions · {} flows",
        c.packets,
        fmt::bytes(c.bytes),
        app.snap.sessions.len(),
        app.snap.flows.len()
    )));
    match (&app.mode, app.status.kernel) {
        (Mode::Live { .. }, Some(k)) => {
            let d = k.dropped + k.if_dropped;
            let style = if d > 0 {
                bold().fg(Color::Red)
            } else {
                Style::new()
            };
            s.push(Span::styled(format!(" · kernel drops {d}"), style));
        }
        (Mode::Live { .. }, None) => s.push(Span::raw(" · kernel drops -")),
        (Mode::File { .. }, _) => {
            if let Some(d) = c.capture_drops {
                s.push(Span::raw(format!(" · capture drops {d}")));
            }
        }
    }
    if app.status.ring_evicted > 0 {
        s.push(Span::styled(
            format!(" · packet view: last {}", app.status.ring_len),
            dim(),
        ));
    }
    if !app.filter.is_empty() {
        s.push(Span::styled(format!(" · filter: {}", app.filter), bold()));
    }
    if let Some(e) = &app.status.error {
        s.push(Span::styled(
            format!(" · {}", Escaped(e)),
            Style::new().fg(Color::Red),
        ));
        if app.status.skipped > 1 {
            s.push(Span::styled(
                format!(" ({} damaged records skipped)", app.status.skipped),
                Style::new().fg(Color::Red),
            ));
        }
    }
    let [left, right] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(16)]).areas(area);
    f.render_widget(Line::from(s), left);
    f.render_widget(
        Line::from(Span::styled(" ? keys  q quit ", dim())).right_aligned(),
        right,
    );
}

fn state_style(st: RowState) -> Style {
    match st {
        RowState::Connected { .. } => Style::new().fg(Color::Green),
        RowState::Failed | RowState::Turn(rtcscope_analysis::turn::AllocationState::Failed) => {
            Style::new().fg(Color::Red)
        }
        RowState::Checking => Style::new().fg(Color::Yellow),
        _ => Style::new(),
    }
}

fn pair_state_style(st: PairState) -> Style {
    match st {
        PairState::Succeeded => Style::new().fg(Color::Green),
        PairState::Failed | PairState::TimedOut => Style::new().fg(Color::Red),
        PairState::InProgress => Style::new().fg(Color::Yellow),
    }
}

fn pair_state_label(st: PairState) -> &'static str {
    match st {
        PairState::Succeeded => "succeeded",
        PairState::Failed => "failed",
        PairState::TimedOut => "timed out",
        PairState::InProgress => "checking",
    }
}

fn empty(f: &mut Frame<'_>, area: Rect, title: &'static str, text: String) {
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(block(title, false)),
        area,
    );
}

// ---------------------------------------------------------------- sessions

fn sessions(f: &mut Frame<'_>, app: &App, body: Rect) {
    let list = list_area(app.size, View::Sessions);
    let list = Rect {
        width: body.width,
        ..list
    };
    let detail = Rect {
        y: list.y + list.height,
        height: body.y + body.height - (list.y + list.height),
        ..body
    };
    let wide = body.width >= 110;
    let live = matches!(app.mode, Mode::Live { .. });
    let (rate_a, rate_b) = if live {
        ("now A→B", "now B→A")
    } else {
        ("avg A→B", "avg B→A")
    };
    let mut header = vec!["A ⇄ B", "Path", "State", "Protocols", rate_a, rate_b];
    let mut widths = vec![
        Constraint::Min(24),
        Constraint::Length(7),
        Constraint::Length(11),
        Constraint::Length(23),
        Constraint::Length(7),
        Constraint::Length(7),
    ];
    if wide {
        header.push(if live { "last 60 s" } else { "activity" });
        widths.push(Constraint::Length(crate::app::SPARK_BINS as u16));
    }
    let h = list_height(app.size, View::Sessions);
    let rows: Vec<Row<'static>> = app
        .rows
        .iter()
        .enumerate()
        .skip(app.rows_nav.offset)
        .take(h)
        .map(|(i, r)| {
            let rates = if live { r.recent_bps } else { r.mean_bps };
            let who = match r.key {
                RowKey::Session(_) => format!("{} ⇄ {}", r.a, r.b),
                RowKey::Flow(k) => format!(
                    "{}{} ⇄ {}",
                    if k.relay.is_some() { "↳ " } else { "" },
                    r.a,
                    r.b
                ),
            };
            let mut cells = vec![
                Cell::from(who),
                Cell::from(if r.relayed { "relayed" } else { "direct" }),
                Cell::from(r.state.label()).style(state_style(r.state)),
                Cell::from(r.protocols()),
                Cell::from(fmt::rate(rates[0])),
                Cell::from(fmt::rate(rates[1])),
            ];
            if wide {
                let spark = app
                    .sparks
                    .iter()
                    .find(|(j, _)| *j == i)
                    .map(|(_, v)| sparkline(v))
                    .unwrap_or_default();
                cells.push(Cell::from(spark).style(Style::new().fg(Color::Cyan)));
            }
            let row = Row::new(cells);
            let row = if matches!(r.key, RowKey::Session(_)) {
                row.style(bold())
            } else {
                row
            };
            if i == app.rows_nav.sel {
                row.style(selected())
            } else {
                row
            }
        })
        .collect();
    let n_sessions = app
        .rows
        .iter()
        .filter(|r| matches!(r.key, RowKey::Session(_)))
        .count();
    let title = format!(
        " {} WebRTC sessions, {} other flows{} ",
        n_sessions,
        app.rows.len() - n_sessions,
        position(app.rows_nav.sel, app.rows.len())
    );
    f.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(bold().fg(Color::Cyan)))
            .block(block(title, true)),
        list,
    );
    if detail.height > 2 {
        session_detail(f, app, detail);
    }
}

fn position(sel: usize, len: usize) -> String {
    if len == 0 {
        String::new()
    } else {
        format!(" · {}/{len}", sel + 1)
    }
}

fn session_detail(f: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(r) = app.selected_row() else {
        empty(
            f,
            area,
            " Selection ",
            match app.status.progress {
                Progress::Live => "No traffic yet. Waiting for packets…".into(),
                _ => "No flows in this capture.".into(),
            },
        );
        return;
    };
    let start = app.snap.start_ns.unwrap_or(0);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let k = |s: &str| Span::styled(format!("{s:<9}"), bold());
    match r.key {
        RowKey::Session(id) => {
            let s = app.selected_session();
            let ok = s.map_or(0, |s| {
                s.pairs
                    .iter()
                    .filter(|p| p.state == PairState::Succeeded)
                    .count()
            });
            let n = s.map_or(0, |s| s.pairs.len());
            lines.push(Line::from(vec![
                k("ICE"),
                Span::raw(format!(
                    "session {id}, ufrags {} · {n} pairs, {ok} succeeded · from {} for {}",
                    s.map_or(String::new(), |s| format!(
                        "{} / {}",
                        Escaped(&s.session.ufrags.0),
                        Escaped(&s.session.ufrags.1)
                    )),
                    fmt::offset(r.first_ns - start),
                    fmt::duration(r.last_ns - r.first_ns)
                )),
            ]));
            if let Some(p) = s.and_then(crate::model::shown_pair) {
                let rtt = p.pair.rtt_mean_ns().map_or("-".into(), fmt::duration);
                lines.push(Line::from(vec![
                    k("Path"),
                    Span::raw(format!(
                        "{} {} ⇄ {} · RTT {rtt}{}",
                        if p.pair.relay.is_some() {
                            "relayed"
                        } else {
                            "direct"
                        },
                        p.pair.local,
                        p.pair.remote,
                        if p.pair.nominated {
                            " · nominated"
                        } else {
                            ""
                        }
                    )),
                ]));
            }
        }
        RowKey::Flow(key) => {
            lines.push(Line::from(vec![
                k("Flow"),
                Span::raw(format!(
                    "{} {} ⇄ {} · from {} for {}{}",
                    key.transport,
                    key.lo,
                    key.hi,
                    fmt::offset(r.first_ns - start),
                    fmt::duration(r.last_ns - r.first_ns),
                    key.relay
                        .map(|a| format!(" · inside TURN allocation {a}"))
                        .unwrap_or_default()
                )),
            ]));
        }
    }
    let c = &r.counts;
    let mut parts = vec![
        format!("{} packets", r.packets),
        format!("A→B {}", fmt::bytes(r.bytes[0])),
        format!("B→A {}", fmt::bytes(r.bytes[1])),
    ];
    for (name, n) in [
        ("STUN", c.stun + c.classic_stun),
        ("ChannelData", c.channel_data),
        ("DTLS", c.dtls),
        ("RTP", c.rtp),
        ("RTCP", c.rtcp),
        ("SCTP", c.sctp),
        ("other", c.unknown),
    ] {
        if n > 0 {
            parts.push(format!("{name} {n}"));
        }
    }
    lines.push(Line::from(vec![k("Traffic"), Span::raw(parts.join(" · "))]));
    let in_sel = |key: &rtcscope_analysis::flow::FlowKey| r.flows.iter().any(|(k2, _)| k2 == key);
    for d in app.snap.dtls.iter().filter(|d| {
        in_sel(
            &rtcscope_analysis::flow::FlowKey::of(
                rtcscope_analysis::flow::Transport::Udp,
                d.a,
                d.b,
                d.relay,
            )
            .0,
        )
    }) {
        lines.push(Line::from(vec![
            k("DTLS"),
            Span::raw(format!(
                "{} · {} · SRTP {} · handshake {} · fingerprint {}",
                Escaped(d.version.as_deref().unwrap_or("version not seen")),
                Escaped(d.cipher_suite.as_deref().unwrap_or("cipher not seen")),
                seen(&d.srtp_profile),
                d.duration_ms.map_or("-".into(), |ms| format!("{ms:.1} ms")),
                fingerprint(d.fingerprint_check)
            )),
        ]));
    }
    let streams: Vec<_> = app
        .snap
        .streams
        .iter()
        .filter(|s| in_sel(&s.key.flow))
        .collect();
    if !streams.is_empty() {
        let audio = streams
            .iter()
            .filter(|s| s.kind == MediaKind::Audio)
            .count();
        let video = streams
            .iter()
            .filter(|s| s.kind == MediaKind::Video)
            .count();
        let lost: u64 = streams.iter().map(|s| s.lost).sum();
        let expected: u64 = streams.iter().map(|s| s.expected).sum();
        lines.push(Line::from(vec![
            k("Streams"),
            Span::raw(format!(
                "{} RTP streams ({audio} audio, {video} video, {} other) · lost {lost} of {expected} ({})",
                streams.len(),
                streams.len() - audio - video,
                percent(lost, expected)
            )),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines).block(block(" Selection ", false)),
        area,
    );
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn seen(s: &SeenText) -> String {
    match s {
        SeenText::Clear(v) => escape(v).into_owned(),
        SeenText::Encrypted => "in encrypted extensions".into(),
        SeenText::NotSeen => "not seen".into(),
    }
}

fn fingerprint(c: FingerprintCheck) -> &'static str {
    match c {
        FingerprintCheck::NoSdp => "not checked (no SDP)",
        FingerprintCheck::Match => "matches SDP",
        FingerprintCheck::Mismatch => "MISMATCH with SDP",
        FingerprintCheck::Encrypted => "certificates encrypted (DTLS 1.3)",
        FingerprintCheck::NotSeen => "certificates not seen",
    }
}

// ---------------------------------------------------------------- ICE

fn ice(f: &mut Frame<'_>, app: &App, body: Rect) {
    let Some(s) = app.selected_session() else {
        empty(
            f,
            body,
            " ICE ",
            if app.selected_row().is_some() {
                "The selected flow carries no ICE checks. Pick a session in the Sessions view (1), or with [ and ].".into()
            } else {
                "No ICE session yet.".into()
            },
        );
        return;
    };
    let list = app.pair_list();
    let (head, table_area, timeline) = ice_areas(body, list.len());
    let a_ufrag = crate::model::side_a_ufrag(s);
    let ok = s
        .pairs
        .iter()
        .filter(|p| p.state == PairState::Succeeded)
        .count();
    let failed = s
        .pairs
        .iter()
        .filter(|p| matches!(p.state, PairState::Failed | PairState::TimedOut))
        .count();
    // A relayed address of any allocation in the capture (each side may have its own).
    let relayed_addr = |addr: std::net::SocketAddr, relay: Option<u32>| {
        relay.is_some() && app.snap.allocations.iter().any(|a| a.relayed == Some(addr))
    };
    let head_lines = vec![
        Line::from(vec![
            Span::styled(format!(" ICE session {} ", s.session.id), bold()),
            Span::raw(format!(
                "ufrag {} (A{}) ⇄ {} · {} pairs: ",
                Escaped(a_ufrag),
                if s.pairs
                    .iter()
                    .any(|p| p.pair.role == Some(rtcscope_analysis::ice::Role::Controlling))
                {
                    ", controlling"
                } else {
                    ""
                },
                Escaped(if s.session.ufrags.0 == a_ufrag {
                    &s.session.ufrags.1
                } else {
                    &s.session.ufrags.0
                }),
                s.pairs.len()
            )),
            Span::styled(format!("{ok} succeeded"), Style::new().fg(Color::Green)),
            Span::raw(", "),
            Span::styled(format!("{failed} failed"), Style::new().fg(Color::Red)),
            Span::raw(format!(
                ", {} checking · role conflicts {}",
                s.pairs.len() - ok - failed,
                s.session.role_conflicts
            )),
        ]),
        Line::from(Span::styled(
            if app.sdp_candidates.is_empty() {
                " ★ nominated  ◆ selected (carries the call)  types: host/public from the address, relay from TURN"
            } else {
                " ★ nominated  ◆ selected (carries the call)  types: from the SDPs' candidates; with ? inferred from the address or TURN"
            },
            dim(),
        )),
    ];
    f.render_widget(Paragraph::new(head_lines), head);
    let wide = body.width >= 110;
    let h = usize::from(table_area.height.saturating_sub(3));
    // A type the SDPs announced, else the inferred one; inferred ones carry a `?` once SDPs
    // are known (without SDPs every type is inferred, as the legend says).
    let sdp = &app.sdp_candidates;
    let type_label = |addr: std::net::SocketAddr, relay: Option<u32>| {
        let (t, inferred) = pair_candidate_type(addr, relayed_addr(addr, relay), sdp);
        if inferred && !sdp.is_empty() {
            format!("{t}?")
        } else {
            t.to_owned()
        }
    };
    let type_width = list
        .iter()
        .flat_map(|&pi| {
            let q = &s.pairs[pi].pair;
            [type_label(q.local, q.relay), type_label(q.remote, q.relay)]
        })
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(6, 12) as u16;
    let rows: Vec<Row<'static>> = list
        .iter()
        .enumerate()
        .skip(app.pairs_nav.offset)
        .take(h)
        .map(|(i, &pi)| {
            let p = &s.pairs[pi];
            let q = &p.pair;
            let rtt = q
                .rtt_mean_ns()
                .map_or("-".into(), |r| format!("{:.1}", r as f64 / 1e6));
            let mut flags = String::new();
            if s.selected.contains(&q.id) {
                flags.push_str("◆ ");
            }
            if q.nominated {
                flags.push_str("★ ");
            } else if q.use_candidate_sent {
                flags.push_str("USE-CAND ");
            }
            if !q.errors.is_empty() {
                let e: Vec<String> = q.errors.iter().map(|(c, n)| format!("{c}×{n}")).collect();
                flags.push_str(&format!("err {}", e.join(",")));
            }
            let side = if q.local_ufrag == a_ufrag { "A" } else { "B" };
            let lt = type_label(q.local, q.relay);
            let rt = type_label(q.remote, q.relay);
            let mut cells = vec![Cell::from(format!("{}", q.id)), Cell::from(side)];
            if wide {
                cells.extend([
                    Cell::from(q.local.to_string()),
                    Cell::from(lt),
                    Cell::from(q.remote.to_string()),
                    Cell::from(rt),
                ]);
            } else {
                // The initial, and the `?` of an inferred type.
                let short = |t: &str| {
                    let mut c = t.chars();
                    let mut out: String = c.next().into_iter().collect();
                    if t.ends_with('?') {
                        out.push('?');
                    }
                    out
                };
                cells.extend([
                    Cell::from(format!("{} {}", q.local, short(&lt))),
                    Cell::from(format!("{} {}", q.remote, short(&rt))),
                ]);
            }
            cells.extend([
                Cell::from(pair_state_label(p.state)).style(pair_state_style(p.state)),
                Cell::from(format!("{}", q.requests)),
                Cell::from(format!("{}", q.responses)),
            ]);
            if wide {
                cells.push(Cell::from(format!("{}", q.retransmissions)));
            }
            cells.push(Cell::from(rtt));
            cells.push(Cell::from(flags));
            let row = Row::new(cells);
            if i == app.pairs_nav.sel {
                row.style(selected())
            } else {
                row
            }
        })
        .collect();
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if wide {
        (
            vec![
                "#", "By", "Local", "type", "Remote", "type", "State", "Sent", "Ans", "Retx",
                "RTT ms", "Flags",
            ],
            vec![
                Constraint::Length(3),
                Constraint::Length(2),
                Constraint::Length(22),
                Constraint::Length(type_width),
                Constraint::Length(22),
                Constraint::Length(type_width),
                Constraint::Length(9),
                Constraint::Length(4),
                Constraint::Length(4),
                Constraint::Length(4),
                Constraint::Length(6),
                Constraint::Min(8),
            ],
        )
    } else {
        (
            vec![
                "#", "By", "Local", "Remote", "State", "Sent", "Ans", "RTT", "Flags",
            ],
            vec![
                Constraint::Length(3),
                Constraint::Length(2),
                Constraint::Min(16),
                Constraint::Min(16),
                Constraint::Length(9),
                Constraint::Length(4),
                Constraint::Length(3),
                Constraint::Length(5),
                Constraint::Length(6),
            ],
        )
    };
    f.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(bold().fg(Color::Cyan)))
            .block(block(
                format!(
                    " Candidate pairs{} ",
                    position(app.pairs_nav.sel, list.len())
                ),
                true,
            )),
        table_area,
    );
    ice_timeline(f, app, s, &list, timeline);
}

fn ice_timeline(
    f: &mut Frame<'_>,
    app: &App,
    s: &rtcscope_analysis::snapshot::SessionSnapshot,
    list: &[usize],
    area: Rect,
) {
    let start = s.session.first_ns;
    // The checking phase: up to the last first-success (or first check), plus a margin;
    // consent checks later in the call are counted, not drawn.
    let phase_end = s
        .pairs
        .iter()
        .map(|p| p.pair.succeeded_ns.unwrap_or(p.pair.first_ns))
        .max()
        .unwrap_or(start);
    let span = ((phase_end - start) * 5 / 4).max(100_000_000);
    let end = start + span;
    let label_w = 6u16;
    let inner_w = area.width.saturating_sub(2 + label_w) as usize;
    let h = usize::from(area.height.saturating_sub(4));
    let mut lines: Vec<Line<'static>> = Vec::new();
    for (i, &pi) in list.iter().enumerate().skip(app.pairs_nav.offset).take(h) {
        let p = &s.pairs[pi].pair;
        let mut cells: Vec<(u8, char)> = vec![(0, ' '); inner_w];
        let mut later = 0usize;
        for e in &p.timeline {
            let (at, rank, ch) = match *e {
                PairEvent::Request {
                    at_ns,
                    retransmit,
                    use_candidate,
                } => (
                    at_ns,
                    if use_candidate {
                        3
                    } else {
                        1 + u8::from(retransmit)
                    },
                    if use_candidate {
                        'U'
                    } else if retransmit {
                        '↻'
                    } else {
                        '·'
                    },
                ),
                PairEvent::Success { at_ns, .. } => (at_ns, 4, '✓'),
                PairEvent::Error { at_ns, .. } => (at_ns, 5, '✗'),
            };
            if at >= end {
                later += 1;
                continue;
            }
            if inner_w == 0 {
                continue;
            }
            let x = (((at - start).max(0) as i128 * inner_w as i128) / span as i128) as usize;
            let x = x.min(inner_w - 1);
            if rank > cells[x].0 {
                cells[x] = (rank, ch);
            }
        }
        let mut spans = vec![Span::styled(
            format!("{:>4}  ", format!("#{}", p.id)),
            if i == app.pairs_nav.sel {
                selected()
            } else {
                bold()
            },
        )];
        for (rank, ch) in cells {
            let st = match rank {
                4 => Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
                5 => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                3 => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                2 => Style::new().fg(Color::Yellow),
                _ => Style::new(),
            };
            spans.push(Span::styled(ch.to_string(), st));
        }
        if later > 0 {
            // Overwrite the tail with the count of later events.
            let tag = format!(" +{later} later");
            let keep = (spans.len() - 1).saturating_sub(tag.chars().count());
            spans.truncate(1 + keep);
            spans.push(Span::styled(tag, dim()));
        }
        lines.push(Line::from(spans));
    }
    // Axis.
    let mut axis = format!("{:label_w$}", "", label_w = usize::from(label_w));
    let ticks = 4usize;
    let mut ruler = vec![' '; inner_w];
    let mut labels = vec![' '; inner_w + 12];
    for t in 0..=ticks {
        let x = (t * inner_w.saturating_sub(1)) / ticks;
        if x < ruler.len() {
            ruler[x] = '┴';
        }
        let text = match t {
            0 => "0".to_string(),
            _ => format!("+{}", fmt::duration(span * t as i64 / ticks as i64)),
        };
        let x0 = if t == ticks {
            x.saturating_sub(text.chars().count() - 1)
        } else {
            x
        };
        for (j, ch) in text.chars().enumerate() {
            if let Some(c) = labels.get_mut(x0 + j) {
                *c = ch;
            }
        }
    }
    let ruler: String = ruler
        .into_iter()
        .map(|c| if c == ' ' { '─' } else { c })
        .collect();
    lines.push(Line::from(Span::styled(format!("{axis}{ruler}"), dim())));
    axis.extend(labels.into_iter().take(inner_w));
    lines.push(Line::from(Span::styled(axis, dim())));
    f.render_widget(
        Paragraph::new(lines).block(block(
            Line::from(vec![
                Span::raw(" Checks over time from "),
                Span::raw(fmt::offset(start - app.snap.start_ns.unwrap_or(start))),
                Span::raw(":  · check  "),
                Span::styled("↻", Style::new().fg(Color::Yellow)),
                Span::raw(" retransmit  "),
                Span::styled("U", Style::new().fg(Color::Cyan)),
                Span::raw(" USE-CANDIDATE  "),
                Span::styled("✓", Style::new().fg(Color::Green)),
                Span::raw(" success  "),
                Span::styled("✗", Style::new().fg(Color::Red)),
                Span::raw(" error "),
            ]),
            false,
        )),
        area,
    );
}

// ---------------------------------------------------------------- DTLS

fn dtls(f: &mut Frame<'_>, app: &App, body: Rect) {
    let list = app.dtls_list();
    if list.is_empty() {
        empty(f, body, " DTLS ", "No DTLS seen.".into());
        return;
    }
    let [top, bottom] = Layout::vertical([Constraint::Length(6), Constraint::Min(4)]).areas(body);
    let start = app.snap.start_ns.unwrap_or(0);
    let h = usize::from(top.height.saturating_sub(3));
    let rows: Vec<Row<'static>> = list
        .iter()
        .enumerate()
        .skip(app.dtls_nav.offset)
        .take(h)
        .map(|(i, &di)| {
            let d = &app.snap.dtls[di];
            let (c, s) = match (d.client, d.server) {
                (Some(c), Some(s)) => (c, s),
                _ => (d.a, d.b),
            };
            let state = if !d.alerts.is_empty() && d.done_ns.is_none() {
                ("failed", Style::new().fg(Color::Red))
            } else if d.done_ns.is_some() {
                ("done", Style::new().fg(Color::Green))
            } else {
                ("handshaking", Style::new().fg(Color::Yellow))
            };
            let row = Row::new(vec![
                Cell::from(format!(
                    "{c} → {s}{}",
                    if d.relay.is_some() { " (TURN)" } else { "" }
                )),
                Cell::from(escape(d.version.as_deref().unwrap_or("-")).into_owned()),
                Cell::from(state.0).style(state.1),
                Cell::from(fmt::offset(d.first_ns - start)),
                Cell::from(d.duration_ms.map_or("-".into(), |m| format!("{m:.1} ms"))),
            ]);
            if i == app.dtls_nav.sel {
                row.style(selected())
            } else {
                row
            }
        })
        .collect();
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(30),
                Constraint::Length(9),
                Constraint::Length(11),
                Constraint::Length(9),
                Constraint::Length(10),
            ],
        )
        .header(
            Row::new(vec![
                "Client → Server",
                "Version",
                "State",
                "Start",
                "Handshake",
            ])
            .style(bold().fg(Color::Cyan)),
        )
        .block(block(
            format!(
                " DTLS associations{} ",
                position(app.dtls_nav.sel, list.len())
            ),
            true,
        )),
        top,
    );
    let Some(d) = list.get(app.dtls_nav.sel).map(|&i| &app.snap.dtls[i]) else {
        return;
    };
    let [left, right] = if bottom.width >= 100 {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Min(30)]).areas(bottom)
    } else {
        Layout::vertical([Constraint::Length(11), Constraint::Min(3)]).areas(bottom)
    };
    let kv = |k: &str, v: String| {
        Line::from(vec![Span::styled(format!("{k:<15}"), bold()), Span::raw(v)])
    };
    let opt = |o: &Option<std::net::SocketAddr>| o.map_or("-".into(), |a| a.to_string());
    let fp_style = match d.fingerprint_check {
        FingerprintCheck::Match => Style::new().fg(Color::Green),
        FingerprintCheck::Mismatch => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        _ => Style::new(),
    };
    let mut lines = vec![
        kv("Client", opt(&d.client)),
        kv("Server", opt(&d.server)),
        kv(
            "Version",
            format!(
                "{}{}",
                Escaped(d.version.as_deref().unwrap_or("not seen")),
                if d.offered_versions.is_empty() {
                    String::new()
                } else {
                    format!(" (offered {})", Escaped(&d.offered_versions.join(", ")))
                }
            ),
        ),
        kv(
            "Cipher",
            escape(d.cipher_suite.as_deref().unwrap_or("not seen")).into_owned(),
        ),
        kv(
            "SRTP profile",
            format!(
                "{}{}",
                seen(&d.srtp_profile),
                if d.offered_srtp_profiles.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (offered {})",
                        Escaped(&d.offered_srtp_profiles.join(", "))
                    )
                }
            ),
        ),
        Line::from(vec![
            Span::styled(format!("{:<15}", "Fingerprint"), bold()),
            Span::styled(fingerprint(d.fingerprint_check), fp_style),
        ]),
        kv(
            "Handshake",
            format!(
                "{}{}{}",
                d.duration_ms
                    .map_or("not finished".into(), |m| format!("{m:.1} ms")),
                if d.hello_verify_request {
                    " · HelloVerifyRequest"
                } else {
                    ""
                },
                if d.hello_retry_request {
                    " · HelloRetryRequest"
                } else {
                    ""
                }
            ),
        ),
        kv(
            "Records",
            format!(
                "{} · retransmitted {} · duplicates {} · errors {}",
                d.records, d.handshake_retransmissions, d.duplicate_records, d.parse_errors
            ),
        ),
    ];
    for a in &d.alerts {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<15}", "Alert"), bold()),
            Span::styled(escape(a).into_owned(), Style::new().fg(Color::Red)),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(" Handshake ", false)),
        left,
    );
    let t0 = d.client_hello_ns.unwrap_or(d.first_ns);
    let steps: Vec<Row<'static>> = d
        .timeline
        .iter()
        .map(|e| {
            let from_client = d.client == Some(e.from);
            let dir = if d.client.is_none() {
                e.from.to_string()
            } else if from_client {
                "client →".into()
            } else {
                "← server".into()
            };
            Row::new(vec![
                Cell::from(format!("{:+.1} ms", (e.at_ns - t0) as f64 / 1e6)),
                Cell::from(dir),
                Cell::from(escape(&e.what).into_owned()),
            ])
        })
        .collect();
    let more = if d.events_dropped > 0 {
        format!(" (+{} more)", d.events_dropped)
    } else {
        String::new()
    };
    f.render_widget(
        Table::new(
            steps,
            [
                Constraint::Length(11),
                Constraint::Length(9),
                Constraint::Min(10),
            ],
        )
        .header(Row::new(vec!["Time", "From", "Message"]).style(bold().fg(Color::Cyan)))
        .block(block(format!(" Steps from ClientHello{more} "), false)),
        right,
    );
}

// ---------------------------------------------------------------- streams

fn streams(f: &mut Frame<'_>, app: &App, body: Rect) {
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Min(6)]).areas(body);
    let live = matches!(app.mode, Mode::Live { .. });
    let wide = body.width >= 110;
    // Wide enough for every listed stream's codec (`opus/48000`), so scrolling keeps the
    // columns still.
    let codec_width = app
        .streams
        .iter()
        .map(|&si| {
            let s = &app.snap.streams[si];
            escape(&codec_label(
                s.codec.as_deref(),
                s.payload_type,
                s.clock_rate,
            ))
            .chars()
            .count()
        })
        .max()
        .unwrap_or(0)
        .clamp(9, 16) as u16;
    let h = usize::from(top.height.saturating_sub(3));
    let rows: Vec<Row<'static>> = app
        .streams
        .iter()
        .enumerate()
        .skip(app.streams_nav.offset)
        .take(h)
        .map(|(i, &si)| {
            let s = &app.snap.streams[si];
            let kind = match s.kind {
                MediaKind::Audio => "audio",
                MediaKind::Video => "video",
                MediaKind::Unknown => "?",
            };
            // The codec name comes from an SDP, MID and RID from RTP header extensions.
            let codec = escape(&codec_label(
                s.codec.as_deref(),
                s.payload_type,
                s.clock_rate,
            ))
            .into_owned();
            let mut notes = Vec::new();
            if let Some(o) = s.rtx_of {
                notes.push(format!("RTX of {o:#010x}"));
            } else if s.rtx_reason.is_some() {
                notes.push("padding/RTX".into());
            }
            if let Some(m) = &s.mid {
                notes.push(format!("mid {}", Escaped(m)));
            }
            if let Some(r) = &s.rid {
                notes.push(format!("rid {}", Escaped(r)));
            }
            if let Some(l) = s.reported_loss {
                notes.push(format!("RR loss {:.1}%", l * 100.0));
            }
            if let Some(r) = s.rtcp_rtt_ms {
                notes.push(format!("RTT {r:.1} ms"));
            }
            if s.encrypted {
                notes.push("SRTP".into());
            }
            let loss_style = if s.expected > 0 && s.lost * 100 >= s.expected * 2 {
                Style::new().fg(Color::Red)
            } else {
                Style::new()
            };
            let mut cells = vec![
                Cell::from(format!("{:#010x}", s.key.ssrc)),
                Cell::from(kind),
                Cell::from(codec),
            ];
            if wide {
                cells.push(Cell::from(format!("{} → {}", s.src, s.dst)));
            }
            cells.extend([
                Cell::from(s.packets.to_string()),
                Cell::from(format!("{} ({})", s.lost, percent(s.lost, s.expected)))
                    .style(loss_style),
                Cell::from(s.jitter_ms.map_or("-".into(), |j| format!("{j:.1}"))),
                Cell::from(fmt::rate(if live { s.recent_bps } else { s.mean_bps() })),
                Cell::from(notes.join(" · ")),
            ]);
            let row = Row::new(cells);
            if i == app.streams_nav.sel {
                row.style(selected())
            } else {
                row
            }
        })
        .collect();
    let rate = if live { "now" } else { "avg" };
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if wide {
        (
            vec![
                "SSRC",
                "Kind",
                "Codec",
                "From → To",
                "Packets",
                "Lost",
                "Jitter ms",
                rate,
                "Notes",
            ],
            vec![
                Constraint::Length(10),
                Constraint::Length(5),
                Constraint::Length(codec_width),
                Constraint::Length(33),
                Constraint::Length(7),
                Constraint::Length(11),
                Constraint::Length(9),
                Constraint::Length(5),
                Constraint::Min(10),
            ],
        )
    } else {
        (
            vec![
                "SSRC", "Kind", "Codec", "Packets", "Lost", "Jitter", rate, "Notes",
            ],
            vec![
                Constraint::Length(10),
                Constraint::Length(5),
                Constraint::Length(codec_width),
                Constraint::Length(7),
                Constraint::Length(11),
                Constraint::Length(6),
                Constraint::Length(5),
                Constraint::Min(10),
            ],
        )
    };
    let scope = if app.all_streams {
        "all"
    } else {
        "of the selection"
    };
    f.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(bold().fg(Color::Cyan)))
            .block(block(
                format!(
                    " RTP streams {scope}{} (a: all/selection) ",
                    position(app.streams_nav.sel, app.streams.len())
                ),
                true,
            )),
        top,
    );
    chart(f, app, bottom);
}

fn chart(f: &mut Frame<'_>, app: &App, area: Rect) {
    let c = &app.chart;
    let secs = c.bin_ns as f64 / 1e9;
    let to_kbps = |b: u64| b as f64 * 8.0 / secs.max(1e-9) / 1000.0;
    let origin = app.snap.start_ns.unwrap_or(c.start_ns);
    let x0 = (c.start_ns - origin) as f64 / 1e9;
    let series: [Vec<(f64, f64)>; 2] = [0, 1].map(|d| {
        c.bins
            .iter()
            .enumerate()
            .map(|(i, b)| (x0 + (i as f64 + 0.5) * secs, to_kbps(b[d])))
            .collect()
    });
    let max = series
        .iter()
        .flatten()
        .map(|p| p.1)
        .fold(0.0f64, f64::max)
        .max(1.0);
    let x1 = x0 + secs * c.bins.len() as f64;
    let scope = match app.chart_scope {
        ChartScope::Session => "session",
        ChartScope::Flow => "flow",
        ChartScope::Stream => "stream",
    };
    let mut sets = vec![Dataset::default()
        .name(c.legends[0].clone())
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::new().fg(Color::Cyan))
        .data(&series[0])];
    if !c.legends[1].is_empty() {
        sets.push(
            Dataset::default()
                .name(c.legends[1].clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(Color::Magenta))
                .data(&series[1]),
        );
    }
    let ylab = |v: f64| {
        if v >= 1000.0 {
            format!("{:.1}M", v / 1000.0)
        } else {
            format!("{v:.0}k")
        }
    };
    let chart = Chart::new(sets)
        .block(block(
            format!(
                " bit/s of {} (c: session/flow/stream, now {scope}) ",
                c.title
            ),
            false,
        ))
        .x_axis(
            Axis::default()
                .bounds([x0, x1.max(x0 + 1e-3)])
                .labels([
                    format!("+{x0:.0}s"),
                    format!("+{:.0}s", (x0 + x1) / 2.0),
                    format!("+{x1:.0}s"),
                ])
                .style(dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, max * 1.1])
                .labels(["0".to_string(), ylab(max / 2.0), ylab(max)])
                .style(dim()),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::TopLeft));
    f.render_widget(chart, area);
}

// ---------------------------------------------------------------- packets

fn packets(f: &mut Frame<'_>, app: &App, body: Rect) {
    let pk = &app.packets;
    let [top, _] = Layout::vertical([Constraint::Percentage(45), Constraint::Min(6)]).areas(body);
    let (tree_a, hex_a) = packet_panes(app.size);
    let rows: Vec<Row<'static>> = pk
        .rows
        .iter()
        .enumerate()
        .map(|(j, r)| {
            let row = Row::new(vec![
                Cell::from(r.number.to_string()),
                Cell::from(format!("{:.6}", r.offset_ns as f64 / 1e9)),
                Cell::from(r.src.clone()),
                Cell::from(r.dst.clone()),
                Cell::from(r.protocol),
                Cell::from(r.len.to_string()),
                Cell::from(r.info.clone()),
            ]);
            if pk.nav.offset + j == pk.nav.sel {
                row.style(selected())
            } else {
                row
            }
        })
        .collect();
    let scope = if pk.all || app.selected_row().is_none() {
        "all packets".to_string()
    } else {
        "packets of the selection".to_string()
    };
    let ring = if app.status.ring_evicted > 0 {
        format!(" · last {} kept", app.status.ring_len)
    } else {
        String::new()
    };
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(6),
                Constraint::Length(10),
                Constraint::Length(21),
                Constraint::Length(21),
                Constraint::Length(11),
                Constraint::Length(5),
                Constraint::Min(10),
            ],
        )
        .header(
            Row::new(vec![
                "No.",
                "Time",
                "Source",
                "Destination",
                "Protocol",
                "Len",
                "Info",
            ])
            .style(bold().fg(Color::Cyan)),
        )
        .block(block(
            format!(
                " {scope}{}{ring} (a: all/selection{}) ",
                position(pk.nav.sel, pk.matched),
                if pk.follow { ", following" } else { "" }
            ),
            pk.pane == Pane::List,
        )),
        top,
    );
    let Some(d) = &pk.detail else {
        empty(f, tree_a, " Fields ", "No packet selected.".into());
        return;
    };
    let th = usize::from(tree_a.height.saturating_sub(2));
    let lines: Vec<Line<'static>> = d
        .tree
        .iter()
        .enumerate()
        .skip(pk.tree_nav.offset)
        .take(th)
        .map(|(i, t)| {
            let text = format!(
                "{}{} [{}..{}]",
                "  ".repeat(t.depth),
                t.text,
                t.range.start,
                t.range.end
            );
            let st = if t.warning {
                Style::new().fg(Color::Yellow)
            } else if t.depth == 0 {
                bold()
            } else {
                Style::new()
            };
            let st = if i == pk.tree_nav.sel {
                st.add_modifier(Modifier::REVERSED)
            } else {
                st
            };
            Line::from(Span::styled(text, st))
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(block(
            format!(" Fields of packet {} (l: tree, h: list) ", d.number),
            pk.pane == Pane::Tree,
        )),
        tree_a,
    );
    let hl = d.tree.get(pk.tree_nav.sel).map(|t| t.range.clone());
    hex(f, &d.bytes, hl, hex_a);
}

fn hex(f: &mut Frame<'_>, bytes: &[u8], hl: Option<std::ops::Range<usize>>, area: Rect) {
    let per = if area.width >= 75 { 16 } else { 8 };
    let visible = usize::from(area.height.saturating_sub(2)).max(1);
    let first_line = hl.as_ref().map_or(0, |r| r.start / per);
    let offset = if first_line >= visible {
        first_line - visible / 3
    } else {
        0
    };
    let hl_style = Style::new()
        .fg(Color::Yellow)
        .add_modifier(Modifier::REVERSED);
    let lines: Vec<Line<'static>> = bytes
        .chunks(per)
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(ln, chunk)| {
            let mut spans = vec![Span::styled(format!("{:04x}  ", ln * per), dim())];
            let inside = |i: usize| hl.as_ref().is_some_and(|r| r.contains(&i));
            for (j, b) in chunk.iter().enumerate() {
                let i = ln * per + j;
                let st = if inside(i) { hl_style } else { Style::new() };
                spans.push(Span::styled(format!("{b:02x}"), st));
                let sep = if j + 1 == per / 2 { "  " } else { " " };
                spans.push(Span::styled(
                    sep,
                    if inside(i) && inside(i + 1) && j + 1 < chunk.len() {
                        hl_style
                    } else {
                        Style::new()
                    },
                ));
            }
            for j in chunk.len()..per {
                spans.push(Span::raw(if j + 1 == per / 2 { "    " } else { "   " }));
            }
            spans.push(Span::raw(" "));
            for (j, b) in chunk.iter().enumerate() {
                let c = if b.is_ascii_graphic() {
                    *b as char
                } else {
                    '.'
                };
                let st = if inside(ln * per + j) {
                    hl_style
                } else {
                    dim()
                };
                spans.push(Span::styled(c.to_string(), st));
            }
            Line::from(spans)
        })
        .collect();
    let title = match &hl {
        Some(r) => format!(
            " Bytes (selected field: {}..{}, {} bytes) ",
            r.start,
            r.end,
            r.len()
        ),
        None => " Bytes ".into(),
    };
    f.render_widget(Paragraph::new(lines).block(block(title, false)), area);
}

// ---------------------------------------------------------------- NAT

fn nat(f: &mut Frame<'_>, app: &App, body: Rect) {
    let mut lines: Vec<Line<'static>> = Vec::new();
    if app.nat_servers.is_empty() {
        lines.push(Line::raw(
            "No STUN server configured for the NAT check. Start rtcscope with one or more",
        ));
        lines.push(Line::raw(
            "--nat-server HOST:PORT (an RFC 5780 server such as `rtcscope stun-server` runs",
        ));
        lines.push(Line::raw(
            "the full mapping and filtering tests), then press r here.",
        ));
    } else {
        lines.push(Line::from(vec![
            Span::styled("Servers  ", bold()),
            Span::raw(escape(&app.nat_servers.join(", ")).into_owned()),
        ]));
        match &app.nat {
            NatState::Idle => lines.push(Line::raw("Press r (or Enter) to run the NAT check.")),
            NatState::Running => lines.push(Line::styled(
                "Running the NAT check… (a few seconds)",
                Style::new().fg(Color::Yellow),
            )),
            NatState::Done { reports, errors } => {
                for r in reports {
                    lines.extend(nat_report(r));
                }
                for e in errors {
                    lines.push(Line::styled(
                        format!("error: {}", Escaped(e)),
                        Style::new().fg(Color::Red),
                    ));
                }
                lines.push(Line::styled("Press r to run it again.", dim()));
            }
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(" NAT check (RFC 5780 / RFC 4787) ", true)),
        body,
    );
}

/// One NAT check report. Its text can quote what the servers sent: every value is escaped.
fn nat_report(r: &rtcscope_nat::Report) -> Vec<Line<'static>> {
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("  {k:<19}"), bold()),
            Span::raw(escape(&v).into_owned()),
        ])
    };
    let addr = |a: Option<std::net::SocketAddr>| a.map_or("-".into(), |a| a.to_string());
    let yes_no = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not tested",
    };
    let mut out = vec![Line::styled(
        format!(
            "{} · {} requests, {} answers, {:.0} ms",
            if r.family == "ipv6" { "IPv6" } else { "IPv4" },
            r.sent,
            r.received,
            r.duration_ms
        ),
        bold(),
    )];
    out.push(kv("local address", addr(r.local)));
    out.push(kv("public address", addr(r.mapped)));
    for s in &r.servers {
        out.push(kv(
            "server",
            format!(
                "{} {} · RFC 5780: {}",
                s.address,
                s.rtt_ms.map_or(
                    if s.answered {
                        "answered".into()
                    } else {
                        "no answer".into()
                    },
                    |m| format!("answered in {m:.1} ms")
                ),
                s.rfc5780
            ),
        ));
    }
    out.push(kv("mapping", r.mapping.describe().into()));
    out.push(kv("filtering", r.filtering.describe().into()));
    out.push(kv("hairpinning", yes_no(r.hairpinning).into()));
    out.push(kv("port preservation", yes_no(r.port_preservation).into()));
    out.push(Line::from(vec![
        Span::styled(format!("  {:<19}", "NAT type"), bold()),
        Span::styled(r.classic.describe(), bold().fg(Color::Cyan)),
    ]));
    out.push(kv("WebRTC", r.webrtc_explained.clone()));
    for n in &r.notes {
        out.push(kv("note", n.clone()));
    }
    out
}

// ---------------------------------------------------------------- help

/// The key list of the `?` overlay.
pub const KEYS: [(&str, &str); 20] = [
    ("1-6, Tab, S-Tab", "switch view (or click a tab)"),
    ("j/k, ↓/↑", "move the selection (or scroll the mouse wheel)"),
    ("PgDn/PgUp", "move by a page"),
    ("g/G, Home/End", "first / last (G follows new packets live)"),
    ("[ ]", "previous / next session, from any view"),
    ("Enter", "Sessions: open the ICE view of the session"),
    (
        "h/l, ←/→",
        "Packets: list / field tree (hex follows the field)",
    ),
    ("a", "Streams, Packets: all / only the selection's"),
    ("c", "Streams: chart of session, flow or stream"),
    ("r", "NAT check: run it"),
    ("/", "filter the lists (words, all must match)"),
    ("Esc", "clear the filter"),
    ("p, Space", "pause / resume the display (capture goes on)"),
    ("click", "select a row, a tab or a field"),
    ("?", "this help (any key closes it)"),
    ("q, Ctrl-C", "quit"),
    ("", ""),
    (
        "Sessions",
        "A is the controlling ICE agent; rates A→B and B→A",
    ),
    ("ICE", "◆ selected pair, ★ nominated; timeline of checks"),
    ("Streams", "loss from sequence numbers; jitter per RFC 3550"),
];

fn help(f: &mut Frame<'_>, size: Rect) {
    let w = 72.min(size.width.saturating_sub(2));
    let h = (KEYS.len() as u16 + 2).min(size.height.saturating_sub(2));
    let area = Rect::new(
        size.x + (size.width - w) / 2,
        size.y + (size.height - h) / 2,
        w,
        h,
    );
    let lines: Vec<Line<'static>> = KEYS
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!(" {k:<16}"), bold().fg(Color::Cyan)),
                Span::raw(v.to_string()),
            ])
        })
        .collect();
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines).block(block(" Keys ", true).bold()),
        area,
    );
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    #[test]
    fn scrub_drops_controls_and_bidi_overrides_from_cells() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf[(0, 0)].set_symbol("a\x1b");
        buf[(1, 0)].set_symbol("\u{202e}");
        buf[(2, 0)].set_symbol("\u{9b}");
        buf[(3, 0)].set_symbol("é");
        super::scrub(&mut buf);
        let cells: Vec<&str> = (0..4).map(|x| buf[(x, 0)].symbol()).collect();
        assert_eq!(cells, ["a", " ", " ", "é"]);
    }

    #[test]
    fn sparkline_scales_to_the_maximum() {
        assert_eq!(super::sparkline(&[0, 1, 4, 8]), " ▁▄█");
    }
}
