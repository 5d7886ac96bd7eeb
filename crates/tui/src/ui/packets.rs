//! The Packets view (key 5): the packet list, the selected packet's field tree and its bytes
//! in hex, the selected field highlighted.

use super::layout::packet_panes;
use super::widgets::{block, bold, dim, empty, fit, position, selected};
use crate::app::{App, Pane};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

pub(super) fn packets(f: &mut Frame<'_>, app: &App, body: Rect) {
    let pk = &app.packets;
    let [top, _] = Layout::vertical([Constraint::Percentage(45), Constraint::Min(6)]).areas(body);
    let (tree_a, hex_a) = packet_panes(app.size);
    let cols = columns(pk, usize::from(top.width.saturating_sub(2)));
    let rows: Vec<Row<'static>> = pk
        .rows
        .iter()
        .enumerate()
        .map(|(j, r)| {
            let info: String = r.info.chars().skip(pk.info_scroll).collect();
            let cells = [
                r.number.to_string(),
                format!("{:.6}", r.offset_ns as f64 / 1e9),
                r.src.clone(),
                r.dst.clone(),
                r.protocol.to_owned(),
                r.len.to_string(),
                info,
            ];
            let row = Row::new(
                cells
                    .into_iter()
                    .zip(cols.widths)
                    .filter(|(_, w)| *w > 0)
                    .map(|(c, w)| Cell::from(fit(&c, usize::from(w))))
                    .collect::<Vec<_>>(),
            );
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
    let ring = match pk.scanning {
        // A filter or a selection still being applied to a long file.
        Some((done, total)) => format!(" · searching {}%", done.saturating_mul(100) / total.max(1)),
        None if app.status.store_evicted > 0 => {
            format!(" · last {} kept", app.status.store_len)
        }
        None => String::new(),
    };
    f.render_widget(
        Table::new(
            rows,
            cols.widths
                .iter()
                .filter(|w| **w > 0)
                .map(|&w| Constraint::Length(w)),
        )
        .header(
            Row::new(
                HEADERS
                    .iter()
                    .zip(cols.widths)
                    .filter(|(_, w)| *w > 0)
                    .map(|(h, w)| fit(h, usize::from(w)))
                    .collect::<Vec<_>>(),
            )
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
        .shown()
        .enumerate()
        .skip(pk.tree_nav.offset)
        .take(th)
        .map(|(i, (t, fold))| {
            let mark = match fold {
                Some(true) => "▸ ",
                Some(false) => "▾ ",
                None => "  ",
            };
            let text = format!(
                "{}{mark}{} [{}..{}]",
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
    let keys = match pk.pane {
        Pane::Tree => "Enter/←/→ fold, +/- all, l: bytes, h: list",
        Pane::Hex => "←/→/↑/↓ move, h: fields",
        Pane::List => "l: fields",
    };
    f.render_widget(
        Paragraph::new(lines).block(block(
            format!(" Fields of packet {} ({keys}) ", d.number),
            pk.pane == Pane::Tree,
        )),
        tree_a,
    );
    let hl = d.tree.line(pk.tree_nav.sel).map(|t| t.range.clone());
    let cursor = (pk.pane == Pane::Hex).then_some(d.hex_cursor);
    hex(f, &d.bytes, hl, cursor, hex_a);
}

/// Bytes per line of the hex pane `area`.
pub(crate) fn hex_per_line(area: Rect) -> usize {
    if area.width >= 75 {
        16
    } else {
        8
    }
}

/// The first line the hex pane shows, `visible` lines high, so that byte `focus` is on screen
/// (a third of the way down once it is past the first screen).
pub(crate) fn hex_first_line(focus: usize, per: usize, visible: usize) -> usize {
    let line = focus / per.max(1);
    if line >= visible {
        line - visible / 3
    } else {
        0
    }
}

/// The byte under the cell `at` of the hex pane `area` (in the hex digits or the text column),
/// when the pane shows `len` bytes and its focus is `focus`.
pub(crate) fn hex_byte_at(area: Rect, at: Position, focus: usize, len: usize) -> Option<usize> {
    let per = hex_per_line(area);
    let visible = usize::from(area.height.saturating_sub(2)).max(1);
    let row = usize::from(at.y.checked_sub(area.y + 1)?);
    let col = usize::from(at.x.checked_sub(area.x + 1)?);
    if row >= visible {
        return None;
    }
    // "0000  ", then per bytes as "xx " with one more space after the middle, " ", the text.
    let hex_start = 6;
    let text_start = hex_start + per * 3 + 2;
    let j = if col >= text_start {
        col - text_start
    } else {
        let rel = col.checked_sub(hex_start)?;
        let middle = (per / 2) * 3 + 1;
        if rel >= middle {
            (rel - 1) / 3
        } else {
            rel / 3
        }
    };
    if j >= per {
        return None;
    }
    let byte = (hex_first_line(focus, per, visible) + row) * per + j;
    (byte < len).then_some(byte)
}

fn hex(
    f: &mut Frame<'_>,
    bytes: &[u8],
    hl: Option<std::ops::Range<usize>>,
    cursor: Option<usize>,
    area: Rect,
) {
    let per = hex_per_line(area);
    let visible = usize::from(area.height.saturating_sub(2)).max(1);
    let focus = cursor.or(hl.as_ref().map(|r| r.start)).unwrap_or(0);
    let offset = hex_first_line(focus, per, visible);
    // No background colour (ui/mod.rs: light and dark terminals alike).
    let cursor_style =
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD | Modifier::UNDERLINED);
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
                let st = if cursor == Some(i) {
                    cursor_style
                } else if inside(i) {
                    hl_style
                } else {
                    Style::new()
                };
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
                let st = if cursor == Some(ln * per + j) {
                    cursor_style
                } else if inside(ln * per + j) {
                    hl_style
                } else {
                    dim()
                };
                spans.push(Span::styled(c.to_string(), st));
            }
            Line::from(spans)
        })
        .collect();
    let field = match &hl {
        Some(r) => format!(
            "field {}..{}, {} byte{}",
            r.start,
            r.end,
            r.len(),
            if r.len() == 1 { "" } else { "s" }
        ),
        None => String::new(),
    };
    let title = match cursor {
        Some(c) => format!(" Bytes (byte {c} = 0x{c:04x}; {field}) "),
        None if hl.is_some() => format!(" Bytes (selected {field}) "),
        None => " Bytes ".into(),
    };
    f.render_widget(
        Paragraph::new(lines).block(block(title, cursor.is_some())),
        area,
    );
}

const HEADERS: [&str; 7] = [
    "No.",
    "Time",
    "Source",
    "Destination",
    "Protocol",
    "Len",
    "Info",
];

/// The packet list's column widths for `width` cells (0: the column is left out).
struct Columns {
    widths: [u16; 7],
}

/// Lays the columns out by priority: each starts as wide as the rows on screen need; when
/// they do not fit, Len goes first, then Info shrinks to 20 cells, Protocol and Time to their
/// short forms, and only then the addresses, which keep 12 cells each; what is cut ends in an
/// ellipsis. Info takes what is left, and `<` / `>` scroll it.
fn columns(pk: &crate::app::Packets, width: usize) -> Columns {
    let need = |f: &dyn Fn(&crate::app::PacketRow) -> usize, header: &str| {
        pk.rows.iter().map(f).max().unwrap_or(0).max(header.len())
    };
    let mut w = [
        need(&|r| r.number.to_string().len(), "No."),
        need(
            &|r| format!("{:.6}", r.offset_ns as f64 / 1e9).len(),
            "Time",
        ),
        need(&|r| r.src.chars().count(), "Source"),
        need(&|r| r.dst.chars().count(), "Destination"),
        need(&|r| r.protocol.len(), "Protocol"),
        need(&|r| r.len.to_string().len(), "Len"),
        0,
    ];
    let gaps = |w: &[usize; 7]| w.iter().filter(|&&x| x > 0).count().saturating_sub(1) + 1;
    let fixed = |w: &[usize; 7]| w[..6].iter().sum::<usize>() + gaps(w);
    const INFO_MIN: usize = 20;
    if fixed(&w) + INFO_MIN > width {
        w[5] = 0;
    }
    for (col, short) in [(4usize, 6usize), (1, 8)] {
        if fixed(&w) + INFO_MIN > width {
            w[col] = w[col].min(short);
        }
    }
    // The addresses last, down to 12 cells each.
    while fixed(&w) + INFO_MIN > width && (w[2] > 12 || w[3] > 12) {
        let c = if w[2] >= w[3] { 2 } else { 3 };
        w[c] -= 1;
    }
    w[6] = width.saturating_sub(fixed(&w)).max(1);
    Columns {
        widths: w.map(|x| x.min(usize::from(u16::MAX)) as u16),
    }
}
