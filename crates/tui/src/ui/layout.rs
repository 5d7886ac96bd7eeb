//! Where everything goes: the areas of the frame and of each view, as functions of the
//! terminal size alone, so input handling ([`crate::app`]) maps a click or a page key to
//! the rows and tabs exactly as they were drawn.

use crate::app::View;
use ratatui::layout::{Constraint, Layout, Position, Rect};

/// Title line, body, status line.
pub(super) fn frame_areas(size: Rect) -> (Rect, Rect, Rect) {
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(size);
    (tabs, body, status)
}

/// The main list of a view (with its border).
pub(super) fn list_area(size: Rect, view: View) -> Rect {
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
        View::Ladder => {
            let [list, _] =
                Layout::vertical([Constraint::Percentage(70), Constraint::Min(6)]).areas(body);
            list
        }
        View::Turn => {
            let [list, _] =
                Layout::vertical([Constraint::Percentage(40), Constraint::Min(6)]).areas(body);
            list
        }
        View::Findings => {
            let detail = if body.height >= 16 {
                body.height * 45 / 100
            } else {
                0
            };
            let [list, _] =
                Layout::vertical([Constraint::Min(4), Constraint::Length(detail)]).areas(body);
            list
        }
    }
}

/// Header, pair table and timeline of the ICE view; the table is as tall as its `pairs` need
/// (0: as tall as allowed), up to 45 % of the body.
pub(super) fn ice_areas(body: Rect, pairs: usize) -> (Rect, Rect, Rect) {
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

pub(super) fn packet_panes(size: Rect) -> (Rect, Rect) {
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

/// The bytes (hex) pane of the Packets view.
pub fn hex_area(size: Rect) -> Rect {
    packet_panes(size).1
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

pub(super) fn tabs(size: Rect) -> Vec<(View, u16, u16)> {
    let mut x = 10u16; // after " rtcscope "
    let mut out = Vec::new();
    let compact = compact_tabs(size.width);
    for (i, v) in View::ALL.iter().enumerate() {
        let label = tab_label(*v, i, compact);
        let w = label.chars().count() as u16;
        out.push((*v, x, x + w));
        x += w + 1;
    }
    out
}

/// Below this width the tabs take their short labels, so the title line keeps room for what
/// is being shown (a live interface and its filter, or the file's name).
pub(super) fn compact_tabs(width: u16) -> bool {
    width < 140
}

pub(super) fn tab_label(v: View, i: usize, compact: bool) -> String {
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
