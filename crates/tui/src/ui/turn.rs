//! The TURN view (key 8): allocations (client → server, state, user and realm, relayed address,
//! lifetime) and the selected one's story: its challenge and errors, refreshes, permissions and
//! channels with their times. The password never reaches the capture's clear text, and nothing
//! here could show it: only USERNAME and REALM are read.

use super::widgets::{block, bold, empty, position, selected};
use crate::app::App;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;
use rtcscope_analysis::fmt;
use rtcscope_analysis::turn::{Allocation, AllocationState};
use rtcscope_wire::text::escape;

/// The allocation's state in words (the engine's), and its colour.
fn state(a: &Allocation) -> (String, Style) {
    let style = match a.state {
        AllocationState::Allocated => Style::new().fg(Color::Green),
        AllocationState::Challenged if !a.credentials_refused() => Style::new().fg(Color::Yellow),
        AllocationState::Released => Style::new(),
        _ => Style::new().fg(Color::Red),
    };
    (a.state_words(), style)
}

pub(super) fn turn(f: &mut Frame<'_>, app: &App, body: Rect) {
    let list = app.turn_list();
    if list.is_empty() {
        empty(f, body, " TURN ", "No TURN allocation seen.".into());
        return;
    }
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Min(6)]).areas(body);
    let start = app.snap.start_ns.unwrap_or(0);
    let h = usize::from(top.height.saturating_sub(3));
    let rows: Vec<Row<'static>> = list
        .iter()
        .enumerate()
        .skip(app.turn_nav.offset)
        .take(h)
        .map(|(i, &ai)| {
            let a = &app.snap.allocations[ai];
            let (words, style) = state(a);
            let row = Row::new(vec![
                Cell::from(format!("{} → {} {}", a.client, a.server, a.transport)),
                Cell::from(words).style(style),
                Cell::from(a.relayed.map_or("-".into(), |r| r.to_string())),
                Cell::from(a.lifetime_s.map_or("-".into(), |l| format!("{l} s"))),
                Cell::from(format!(
                    "{} / {} / {}",
                    a.refreshes,
                    a.permissions.len(),
                    a.channels.len()
                )),
                Cell::from(a.errors.len().to_string()),
            ]);
            if i == app.turn_nav.sel {
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
                Constraint::Length(24),
                Constraint::Length(21),
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Length(6),
            ],
        )
        .header(
            Row::new(vec![
                "Client → Server",
                "State",
                "Relayed",
                "Lifetime",
                "Ref/Per/Ch",
                "Errors",
            ])
            .style(bold().fg(Color::Cyan)),
        )
        .block(block(
            format!(
                " TURN allocations{} ",
                position(app.turn_nav.sel, list.len())
            ),
            true,
        )),
        top,
    );
    let Some(a) = list
        .get(app.turn_nav.sel)
        .map(|&i| &app.snap.allocations[i])
    else {
        return;
    };
    let [left, right] = if bottom.width >= 100 {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Min(30)]).areas(bottom)
    } else {
        Layout::vertical([Constraint::Length(10), Constraint::Min(3)]).areas(bottom)
    };
    let kv = |k: &str, v: String| {
        Line::from(vec![Span::styled(format!("{k:<13}"), bold()), Span::raw(v)])
    };
    let at = |t: Option<i64>| t.map_or("-".into(), |t| fmt::offset(t - start));
    let (words, style) = state(a);
    let lines = vec![
        kv("Client", format!("{} ({})", a.client, a.transport)),
        kv("Server", a.server.to_string()),
        Line::from(vec![
            Span::styled(format!("{:<13}", "State"), bold()),
            Span::styled(words, style),
        ]),
        kv(
            "User",
            format!(
                "{}{}",
                escape(a.username.as_deref().unwrap_or("-")),
                a.realm
                    .as_deref()
                    .map(|r| format!(" @ realm {}", escape(r)))
                    .unwrap_or_default()
            ),
        ),
        kv("Relayed", a.relayed.map_or("-".into(), |r| r.to_string())),
        kv("Mapped", a.mapped.map_or("-".into(), |m| m.to_string())),
        kv(
            "Lifetime",
            match (a.lifetime_s, a.allocated_ns, a.released_ns) {
                (Some(l), Some(from), Some(to)) => {
                    format!("{l} s granted; released after {}", fmt::duration(to - from))
                }
                (Some(l), _, _) => format!("{l} s granted"),
                _ => "-".into(),
            },
        ),
        kv(
            "Requests",
            format!(
                "{} Allocate · {} refreshes · {} Send / {} Data indications",
                a.allocate_requests, a.refreshes, a.send_indications, a.data_indications
            ),
        ),
        kv("Allocated at", at(a.allocated_ns)),
    ];
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(" Allocation ", false)),
        left,
    );
    // What happened to it, in time order: errors, permissions and channels.
    let mut events: Vec<(i64, String, Style)> = Vec::new();
    for e in &a.errors {
        let note = match (e.code, e.after_credentials) {
            (401, false) => " (challenge: realm and nonce)",
            (401, true) => " (credentials refused)",
            (438, _) => " (stale nonce)",
            _ => "",
        };
        let peer = e.peer.map(|p| format!(" for {p}")).unwrap_or_default();
        let style = if e.code == 401 && !e.after_credentials {
            Style::new().fg(Color::Yellow)
        } else {
            Style::new().fg(Color::Red)
        };
        events.push((
            e.at_ns,
            format!(
                "#{} {} error {} {}{note}{peer}",
                e.packet,
                escape(&e.method),
                e.code,
                escape(&e.reason)
            ),
            style,
        ));
    }
    for p in &a.permission_times {
        let refreshed = if p.refreshed_ns > p.installed_ns {
            format!(", last refreshed {}", fmt::offset(p.refreshed_ns - start))
        } else {
            String::new()
        };
        events.push((
            p.installed_ns,
            format!("permission for {}{refreshed}", p.peer),
            Style::new(),
        ));
        if let Some((packet, t)) = p.first_after_expiry {
            events.push((
                t,
                format!(
                    "#{packet} sent to {} after its permission lapsed ({} packets)",
                    p.peer, p.sent_after_expiry
                ),
                Style::new().fg(Color::Red),
            ));
        }
    }
    for c in &a.channels {
        events.push((
            c.bound_ns,
            format!(
                "channel 0x{:04x} → {}: {} messages{}",
                c.channel,
                c.peer,
                c.messages,
                if c.refreshed_ns > c.bound_ns {
                    format!(", last refreshed {}", fmt::offset(c.refreshed_ns - start))
                } else {
                    String::new()
                }
            ),
            Style::new(),
        ));
        if let Some((packet, t)) = c.first_after_expiry {
            events.push((
                t,
                format!(
                    "#{packet} on channel 0x{:04x} after it expired ({} packets)",
                    c.channel, c.sent_after_expiry
                ),
                Style::new().fg(Color::Red),
            ));
        }
    }
    if let Some(t) = a.released_ns {
        events.push((t, "released (Refresh, lifetime 0)".into(), Style::new()));
    }
    events.sort_by_key(|e| e.0);
    let rows: Vec<Row<'static>> = events
        .into_iter()
        .map(|(t, what, style)| {
            Row::new(vec![
                Cell::from(fmt::offset(t - start)),
                Cell::from(what).style(style),
            ])
        })
        .collect();
    f.render_widget(
        Table::new(rows, [Constraint::Length(11), Constraint::Min(10)])
            .header(Row::new(vec!["Time", "Event"]).style(bold().fg(Color::Cyan)))
            .block(block(" Errors, permissions, channels ", false)),
        right,
    );
}
