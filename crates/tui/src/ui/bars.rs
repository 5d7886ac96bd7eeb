//! The title line (the view tabs, PAUSED, the live interface or the file) and the status
//! line (loading progress, counters, drops, the filter, the last error, or the filter being
//! typed).

use super::layout::{tab_label, tabs};
use super::widgets::{bold, dim, selected};
use crate::app::{App, Mode, View};
use crate::source::Progress;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;
use rtcscope_analysis::fmt;
use rtcscope_wire::text::{escape, Escaped};

pub(super) fn title_line(f: &mut Frame<'_>, app: &App, area: Rect) {
    let mut spans = vec![Span::styled(" rtcscope ", bold())];
    let compact = super::layout::compact_tabs(area.width);
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
        Mode::Live {
            interface, filter, ..
        } => {
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

pub(super) fn status_line(f: &mut Frame<'_>, app: &App, area: Rect) {
    if let Some(name) = &app.save_prompt {
        let what = match app.packets.scanning {
            Some(_) => "the listed packets".to_owned(),
            None => format!(
                "{} listed packet{}",
                app.packets.matched,
                if app.packets.matched == 1 { "" } else { "s" }
            ),
        };
        let line = Line::from(vec![
            Span::styled(format!(" save {what} to: "), bold()),
            Span::raw(escape(name).into_owned()),
            Span::styled("█", Style::new().add_modifier(Modifier::SLOW_BLINK)),
            Span::raw("   Enter save (pcapng, never overwrites) · Esc cancel"),
        ]);
        f.render_widget(line, area);
        return;
    }
    if let Some(e) = &app.editing {
        // Checked as typed: an expression is green, text that is not one red, with why (it is
        // then matched as words).
        let (color, note) = match app.filter_expr() {
            None => (Color::Reset, "   Enter apply · Esc cancel".to_owned()),
            Some(Ok(_)) => (
                Color::Green,
                "   filter for Packets · Enter apply".to_owned(),
            ),
            Some(Err(err)) => (Color::Red, format!("   {err}; as words")),
        };
        let line = Line::from(vec![
            Span::styled(" filter: ", bold()),
            Span::styled(e.clone(), Style::new().fg(color)),
            Span::styled("█", Style::new().add_modifier(Modifier::SLOW_BLINK)),
            Span::styled(note, Style::new().fg(color)),
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
    // What the key just pressed did comes first, where a long line is not cut.
    match &app.notice {
        Some(Ok(done)) => s.push(Span::styled(
            format!(" {} ·", escape(done)),
            Style::new().fg(Color::Green),
        )),
        Some(Err(why)) => s.push(Span::styled(
            format!(" {} ·", escape(why)),
            Style::new().fg(Color::Red),
        )),
        None => {}
    }
    s.push(Span::raw(format!(
        " {} pkts · {} · {} · {}",
        c.packets,
        fmt::bytes(c.bytes),
        fmt::count(app.snap.sessions.len() as u64, "session", "sessions"),
        fmt::count(app.snap.flows.len() as u64, "flow", "flows")
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
    if let Mode::Live {
        saving: Some(path), ..
    } = &app.mode
    {
        let name = std::path::Path::new(path)
            .file_name()
            .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
        s.push(Span::raw(format!(" · saving → {}", escape(&name))));
    }
    if app.status.store_evicted > 0 {
        s.push(Span::styled(
            format!(" · packet view: last {}", app.status.store_len),
            dim(),
        ));
    }
    if !app.filter.is_empty() {
        // What it applies to first: a long filter is cut at the end of the line.
        let scope = match app.filter_expr() {
            Some(Ok(_)) => "Packets filter",
            _ => "word filter",
        };
        s.push(Span::styled(format!(" · {scope}: {}", app.filter), bold()));
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
