//! The Findings view (key 7): why the call failed or degraded, worst first, as the engine's
//! diagnosis says (the same list `rtcscope analyze` prints at the top), and the selected
//! finding's evidence and what to do about it.

use super::layout::{list_area, list_height};
use super::widgets::{block, bold, dim, empty, position, selected};
use crate::app::{App, View};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use rtcscope_analysis::diagnosis::{Finding, Severity};
use rtcscope_analysis::fmt;
use rtcscope_wire::text::Escaped;

/// The colour a severity is drawn in.
pub(super) fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Failure => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Severity::Degraded => Style::new().fg(Color::Yellow),
        Severity::Notice => dim(),
    }
}

/// `2 failures, 1 degraded` for a status or banner line; `None` when there is nothing.
pub(super) fn summary(findings: &[Finding]) -> Option<String> {
    let n = |s| findings.iter().filter(|f| f.severity == s).count() as u64;
    let parts: Vec<String> = [
        (n(Severity::Failure), "failure", "failures"),
        (n(Severity::Degraded), "degraded", "degraded"),
        (n(Severity::Notice), "notice", "notices"),
    ]
    .iter()
    .filter(|(k, _, _)| *k > 0)
    .map(|(k, one, many)| fmt::count(*k, one, many))
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

pub(super) fn findings(f: &mut Frame<'_>, app: &App, body: Rect) {
    let list = &app.findings;
    if list.is_empty() {
        empty(
            f,
            body,
            " Findings ",
            "Nothing wrong found: no failure, degradation or notice.".into(),
        );
        return;
    }
    let area = list_area(app.size, View::Findings);
    let area = Rect {
        width: body.width,
        ..area
    };
    let detail = Rect {
        y: area.y + area.height,
        height: body.y + body.height - (area.y + area.height),
        ..body
    };
    let start = app.snap.start_ns.unwrap_or(0);
    let h = list_height(app.size, View::Findings);
    let lines: Vec<Line<'static>> = list
        .iter()
        .enumerate()
        .skip(app.findings_nav.offset)
        .take(h)
        .map(|(i, x)| {
            let line = Line::from(vec![
                Span::styled(
                    format!("{:<9}", x.severity.name()),
                    severity_style(x.severity),
                ),
                Span::raw(format!(
                    "{:<11}",
                    x.at_ns
                        .map(|t| fmt::offset(t.saturating_sub(start)))
                        .unwrap_or_default()
                )),
                Span::styled(format!("{:<28} ", x.id), bold()),
                Span::raw(Escaped(&x.verdict).to_string()),
            ]);
            if i == app.findings_nav.sel {
                line.style(selected())
            } else {
                line
            }
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(block(
            format!(
                " Findings: {}{} ",
                summary(list).unwrap_or_default(),
                position(app.findings_nav.sel, list.len())
            ),
            true,
        )),
        area,
    );
    let Some(x) = list.get(app.findings_nav.sel) else {
        return;
    };
    let mut lines = vec![
        Line::from(Span::styled(
            Escaped(&x.verdict).to_string(),
            severity_style(x.severity),
        )),
        Line::from(""),
    ];
    for e in &x.evidence {
        let mut place = e
            .at_ns
            .map(|t| fmt::offset(t.saturating_sub(start)))
            .unwrap_or_default();
        if let Some(p) = e.packet {
            if !place.is_empty() {
                place.push(' ');
            }
            place.push_str(&format!("#{p}"));
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {place:<18}"), dim()),
            Span::raw(Escaped(&e.what).to_string()),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled("What to do: ", bold()),
        Span::raw(Escaped(&x.advice).to_string()),
    ]));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(format!(" {} ", x.id), false)),
        detail,
    );
}
