//! The Sessions view (key 1): one row per WebRTC session and other flow, with state, rates
//! and a sparkline, and the selection's details below.

use super::layout::{list_area, list_height};
use super::widgets::{
    block, bold, column_widths, empty, fingerprint, fit, percent, position, seen, selected,
    sparkline, state_style,
};
use crate::app::{App, Mode, View};
use crate::events::Tone;
use crate::model::RowKey;
use crate::source::Progress;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;
use rtcscope_analysis::fmt;
use rtcscope_analysis::ice::PairState;
use rtcscope_analysis::streams::MediaKind;
use rtcscope_wire::text::Escaped;

pub(super) fn sessions(f: &mut Frame<'_>, app: &App, body: Rect) {
    let list = list_area(app.size, View::Sessions);
    let list = Rect {
        width: body.width,
        ..list
    };
    // The event log (e) takes two thirds of the view: the list keeps at least 5 rows, and
    // scrolls so that the selection stays on it.
    let list = if app.show_events {
        Rect {
            height: list.height.min((body.height / 3).max(5)),
            ..list
        }
    } else {
        list
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
    // Narrow, the addresses keep their room: the path (in the selection pane below too) goes
    // and the protocols shrink; what does not fit ends with an ellipsis.
    let narrow = body.width < 100;
    let mut header = vec!["A ⇄ B", "Path", "State", "Protocols", rate_a, rate_b];
    let mut widths = vec![
        Constraint::Min(24),
        Constraint::Length(7),
        Constraint::Length(11),
        Constraint::Length(if narrow { 9 } else { 23 }),
        Constraint::Length(7),
        Constraint::Length(7),
    ];
    if narrow {
        header.remove(1);
        widths.remove(1);
    }
    if wide {
        header.push(if live { "last 60 s" } else { "activity" });
        widths.push(Constraint::Length(crate::app::SPARK_BINS as u16));
    }
    let cols = column_widths(&widths, list.width.saturating_sub(2));
    let h = list_height(app.size, View::Sessions).min(usize::from(list.height.saturating_sub(3)));
    let offset = if app.rows_nav.sel >= app.rows_nav.offset + h {
        app.rows_nav.sel + 1 - h
    } else {
        app.rows_nav.offset
    };
    let rows: Vec<Row<'static>> = app
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(h)
        .map(|(i, r)| {
            let rates = if live { r.recent_bps } else { r.mean_bps };
            // Narrow, without the spaces: two IPv4 addresses with ports then fit at 80 columns.
            let sep = if narrow { "⇄" } else { " ⇄ " };
            let who = match r.key {
                RowKey::Session(_) => format!("{}{sep}{}", r.a, r.b),
                RowKey::Flow(k) => format!(
                    "{}{}{sep}{}",
                    if k.relay.is_some() { "↳ " } else { "" },
                    r.a,
                    r.b
                ),
            };
            let texts = [
                who,
                (if r.relayed { "relayed" } else { "direct" }).to_owned(),
                r.state.label().to_owned(),
                r.protocols(),
                fmt::rate(rates[0]),
                fmt::rate(rates[1]),
            ];
            let mut cells: Vec<Cell<'static>> = texts
                .into_iter()
                .enumerate()
                .filter(|&(c, _)| !(narrow && c == 1))
                .zip(&cols)
                .map(|((c, t), &w)| {
                    let cell = Cell::from(fit(&t, w));
                    if c == 2 {
                        cell.style(state_style(r.state))
                    } else {
                        cell
                    }
                })
                .collect();
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
    // What the diagnosis found, so a failed call reads as failed from the first view.
    let found = super::findings::summary(&app.findings)
        .map(|s| format!(" · findings: {s} (7)"))
        .unwrap_or_default();
    let title = format!(
        " {} WebRTC sessions, {} other flows{}{found} ",
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

/// The selection's event log (`e`), scrolled by `J`/`K`.
fn event_log(f: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(r) = app.selected_row() else {
        empty(f, area, " Events ", "Nothing selected.".into());
        return;
    };
    let events = crate::events::of_row(app, r);
    let start = app.snap.start_ns.unwrap_or(0);
    let height = usize::from(area.height.saturating_sub(2));
    let first = app.events_scroll.min(events.len().saturating_sub(height));
    let lines: Vec<Line<'static>> = events
        .iter()
        .skip(first)
        .take(height)
        .map(|e| {
            let style = match e.tone {
                Tone::Good => Style::new().fg(Color::Green),
                Tone::Bad => Style::new().fg(Color::Red),
                Tone::Warn => Style::new().fg(Color::Yellow),
                Tone::Plain => Style::new(),
            };
            Line::from(Span::styled(crate::events::line(e, start), style))
        })
        .collect();
    let title = format!(
        " Events {}–{} of {} (J/K: scroll, e: the selection) ",
        (first + 1).min(events.len()),
        (first + height).min(events.len()),
        events.len()
    );
    f.render_widget(Paragraph::new(lines).block(block(title, false)), area);
}

fn session_detail(f: &mut Frame<'_>, app: &App, area: Rect) {
    if app.show_events {
        event_log(f, app, area);
        return;
    }
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
    // The findings that name this row's addresses, worst first (the Findings view, key 7,
    // has them in full).
    let about: Vec<&rtcscope_analysis::diagnosis::Finding> = app
        .findings
        .iter()
        .filter(|x| names_host(x, r.a) || names_host(x, r.b))
        .collect();
    for (i, x) in about.iter().take(2).enumerate() {
        lines.push(Line::from(vec![
            k(if i == 0 { "Findings" } else { "" }),
            Span::styled(
                format!("{:<8} ", x.severity.name()),
                super::findings::severity_style(x.severity),
            ),
            Span::raw(format!("{} ", x.id)),
            Span::raw(Escaped(&x.verdict).to_string()),
        ]));
    }
    if about.len() > 2 {
        lines.push(Line::from(vec![
            k(""),
            Span::raw(format!("and {} more (7: Findings)", about.len() - 2)),
        ]));
    }
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
        // The engine's flow key, transport included (DTLS over ICE-TCP too).
        in_sel(&d.flow)
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

/// True when a finding's verdict or evidence names `addr`'s host (its IP address as a whole
/// token: 198.51.100.2 does not match inside 198.51.100.21).
pub(crate) fn names_host(
    x: &rtcscope_analysis::diagnosis::Finding,
    addr: std::net::SocketAddr,
) -> bool {
    let ip = addr.ip().to_string();
    let token = |text: &str| {
        text.match_indices(&ip).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + ip.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_hexdigit() || c == '.' || c == ':')
                && !after.is_some_and(|c| c.is_ascii_digit() || c == '.')
        })
    };
    token(&x.verdict) || x.evidence.iter().any(|e| token(&e.what))
}
