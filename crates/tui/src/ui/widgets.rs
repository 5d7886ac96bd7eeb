//! Styles and small helpers every view uses: bold, dim and reverse, bordered blocks, row
//! colours, sparklines, the `n/m` position in a title, percentages, and the wording of DTLS
//! names and fingerprint checks.

use crate::model::RowState;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use rtcscope_analysis::dtls::{FingerprintCheck, SeenText};
use rtcscope_wire::text::escape;

pub(super) fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub(super) fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

pub(super) fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub(super) fn block(title: impl Into<Line<'static>>, focused: bool) -> Block<'static> {
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
pub(super) fn sparkline(values: &[u64]) -> String {
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

pub(super) fn state_style(st: RowState) -> Style {
    match st {
        RowState::Connected { .. } => Style::new().fg(Color::Green),
        RowState::Failed | RowState::Turn(rtcscope_analysis::turn::AllocationState::Failed) => {
            Style::new().fg(Color::Red)
        }
        RowState::Checking => Style::new().fg(Color::Yellow),
        _ => Style::new(),
    }
}

pub(super) fn empty(f: &mut Frame<'_>, area: Rect, title: &'static str, text: String) {
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(block(title, false)),
        area,
    );
}

pub(super) fn position(sel: usize, len: usize) -> String {
    if len == 0 {
        String::new()
    } else {
        format!(" · {}/{len}", sel + 1)
    }
}

pub(super) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

pub(super) fn seen(s: &SeenText) -> String {
    match s {
        SeenText::Clear(v) => escape(v).into_owned(),
        SeenText::Encrypted => "in encrypted extensions".into(),
        SeenText::NotSeen => "not seen".into(),
    }
}

pub(super) fn fingerprint(c: FingerprintCheck) -> &'static str {
    match c {
        FingerprintCheck::NoSdp => "not checked (no SDP)",
        FingerprintCheck::Match => "matches SDP",
        FingerprintCheck::Mismatch => "MISMATCH with SDP",
        FingerprintCheck::Encrypted => "certificates encrypted (DTLS 1.3)",
        FingerprintCheck::NotSeen => "certificates not seen",
    }
}

/// The widths a table with its default one-cell column spacing gives `constraints` within
/// `width` cells, so cells can be cut to them with an ellipsis ([`fit`]) rather than silently.
pub(super) fn column_widths(constraints: &[Constraint], width: u16) -> Vec<usize> {
    Layout::horizontal(constraints.iter().copied())
        .spacing(1)
        .split(Rect::new(0, 0, width, 1))
        .iter()
        .map(|r| usize::from(r.width))
        .collect()
}

/// `s` in `width` cells: as it is when it fits, else cut with an ellipsis.
pub(super) fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn sparkline_scales_to_the_maximum() {
        assert_eq!(super::sparkline(&[0, 1, 4, 8]), " ▁▄█");
    }
}
