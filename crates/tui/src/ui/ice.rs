//! The ICE view (key 2): the selected session's agents, its candidate pairs with their
//! checks, RTT and nomination, and a timeline of the checks.

use super::layout::ice_areas;
use super::widgets::{block, bold, dim, empty, position, selected};
use crate::app::App;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;
use rtcscope_analysis::fmt;
use rtcscope_analysis::ice::{PairEvent, PairState};
use rtcscope_wire::text::Escaped;

fn pair_state_style(st: PairState) -> Style {
    match st {
        PairState::Succeeded => Style::new().fg(Color::Green),
        PairState::Failed | PairState::TimedOut => Style::new().fg(Color::Red),
        PairState::InProgress => Style::new().fg(Color::Yellow),
    }
}

pub(super) fn ice(f: &mut Frame<'_>, app: &App, body: Rect) {
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
                ", {} in progress · role conflicts {}",
                s.pairs.len() - ok - failed,
                s.session.role_conflicts
            )),
        ]),
        Line::from(Span::styled(
            if app.sdp_candidates.is_empty() {
                " ★ nominated  ◆ selected (carries the call)  types inferred: relay from TURN, srflx/prflx from mapped addresses"
            } else {
                " ★ nominated  ◆ selected (carries the call)  types: from the SDPs' candidates; with ? inferred from the capture"
            },
            dim(),
        )),
    ];
    f.render_widget(Paragraph::new(head_lines), head);
    let wide = body.width >= 110;
    let h = usize::from(table_area.height.saturating_sub(3));
    // The engine's type (the SDPs' when they announced it, else inferred from the capture);
    // inferred ones carry a `?` once SDPs are known (without SDPs every type is inferred, as
    // the legend says).
    let sdp_known = !app.sdp_candidates.is_empty();
    let type_label = |t: &rtcscope_analysis::candidates::CandidateType| {
        if t.inferred && sdp_known {
            format!("{}?", t.typ)
        } else {
            t.typ.clone()
        }
    };
    let type_width = list
        .iter()
        .flat_map(|&pi| {
            let p = &s.pairs[pi];
            [type_label(&p.local_type), type_label(&p.remote_type)]
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
            let lt = type_label(&p.local_type);
            let rt = type_label(&p.remote_type);
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
                Cell::from(p.state.to_string()).style(pair_state_style(p.state)),
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
