//! The Packets view (key 5): the packet list, the selected packet's field tree and its bytes
//! in hex, the selected field highlighted.

use super::layout::packet_panes;
use super::widgets::{block, bold, dim, empty, position, selected};
use crate::app::{App, Pane};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

pub(super) fn packets(f: &mut Frame<'_>, app: &App, body: Rect) {
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
