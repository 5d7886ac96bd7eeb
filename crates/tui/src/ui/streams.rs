//! The Streams view (key 4): RTP streams with codec, loss, jitter and rate, and the bandwidth
//! chart of the session, flow or stream.

use super::widgets::{block, bold, column_widths, dim, fit, percent, position, selected};
use crate::app::{App, ChartMetric, ChartScope, Mode};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::widgets::{Axis, Cell, Chart, Dataset, GraphType, Row, Table};
use ratatui::Frame;
use rtcscope_analysis::fmt;
use rtcscope_analysis::streams::MediaKind;
use rtcscope_wire::text::{escape, Escaped};

pub(super) fn streams(f: &mut Frame<'_>, app: &App, body: Rect) {
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
            escape(&s.codec_label).chars().count()
        })
        .max()
        .unwrap_or(0)
        .clamp(9, 27) as u16;
    // File: the mean payload rate, as analyze and getStats count bytes; live: the whole RTP
    // packets of the last seconds.
    let rate = if live { "now" } else { "rate" };
    let rate_is = if live {
        "now: RTP packets' bit/s, last seconds"
    } else {
        "rate: payload bit/s as getStats and analyze count it"
    };
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
    let cols = column_widths(&widths, top.width.saturating_sub(2));
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
            // The engine's codec label (from an SDP, RED/RTX resolved), MID and RID from RTP
            // header extensions.
            let codec = escape(&s.codec_label).into_owned();
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
            // Retransmissions (answering a NACK) apart from bandwidth probes, as in analyze.
            if s.rtx_of.is_some() || s.rtx_reason.is_some() {
                notes.push(format!(
                    "{} retransmitted, {} probes",
                    s.retransmissions,
                    s.rtx_probes + s.padding_only
                ));
            } else if s.padding_only > 0 {
                notes.push(format!("{} padding-only", s.padding_only));
            }
            let loss_style = if s.expected > 0 && s.lost * 100 >= s.expected * 2 {
                Style::new().fg(Color::Red)
            } else {
                Style::new()
            };
            let mut texts = vec![
                format!("{:#010x}", s.key.ssrc),
                kind.to_string(),
                codec.to_string(),
            ];
            if wide {
                texts.push(format!("{} → {}", s.src, s.dst));
            }
            let lost_at = texts.len() + 1;
            texts.extend([
                s.packets.to_string(),
                format!("{} ({})", s.lost, percent(s.lost, s.expected)),
                s.jitter_ms.map_or("-".into(), |j| format!("{j:.1}")),
                fmt::rate(if live {
                    s.recent_bps
                } else {
                    s.mean_payload_bps
                }),
                notes.join(" · "),
            ]);
            // Cut with an ellipsis where a column is too narrow, never silently.
            let cells: Vec<Cell<'static>> = texts
                .iter()
                .zip(&cols)
                .enumerate()
                .map(|(c, (t, &w))| {
                    let cell = Cell::from(fit(t, w));
                    if c == lost_at {
                        cell.style(loss_style)
                    } else {
                        cell
                    }
                })
                .collect();
            let row = Row::new(cells);
            if i == app.streams_nav.sel {
                row.style(selected())
            } else {
                row
            }
        })
        .collect();
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
                    " RTP streams {scope}{} ({rate_is}; a: all/selection) ",
                    position(app.streams_nav.sel, app.streams.len())
                ),
                true,
            )),
        top,
    );
    match &app.stream_detail {
        Some(d) if bottom.width >= 110 => {
            let [left, right] =
                Layout::horizontal([Constraint::Min(50), Constraint::Length(46)]).areas(bottom);
            chart(f, app, left);
            detail(f, &d.0, d.1.as_ref(), d.2.as_ref(), right);
        }
        _ => chart(f, app, bottom),
    }
}

/// What the selected stream's payloads and RTCP say: its video frames and the receiver's
/// reports and feedback, known once the call is decrypted (`--keylog`, `--srtp-key`, SDES).
fn detail(
    f: &mut Frame<'_>,
    s: &rtcscope_analysis::streams::Stream,
    feedback: Option<&rtcscope_analysis::decrypt::FeedbackFigures>,
    rate: Option<&rtcscope_analysis::twcc::ReceiveRate>,
    area: Rect,
) {
    use ratatui::text::{Line, Span};
    let kv = |k: &str, v: String| {
        Line::from(vec![Span::styled(format!("{k:<10}"), bold()), Span::raw(v)])
    };
    let mut lines = vec![kv(
        "Payload",
        if s.encrypted {
            "encrypted (no keys for it)".into()
        } else {
            "readable".into()
        },
    )];
    if s.kind == MediaKind::Video {
        lines.push(match &s.frames {
            Some(fr) => kv(
                "Frames",
                format!(
                    "{} ({} key{}){}",
                    fr.frames,
                    fr.key_frames,
                    if fr.repaired_frames > 0 {
                        format!(", {} only in RTX repairs", fr.repaired_frames)
                    } else {
                        String::new()
                    },
                    fr.frames_per_second
                        .map(|r| format!(", {r:.1} fps"))
                        .unwrap_or_default()
                ),
            ),
            None => kv("Frames", "not known (encrypted, or no codec)".into()),
        });
        if let Some(fr) = &s.frames {
            if let Some(r) = &fr.resolution {
                lines.push(kv(
                    "Size",
                    format!(
                        "{}×{}{}",
                        r.width,
                        r.height,
                        if fr.resolution_changes > 0 {
                            format!(" ({} changes)", fr.resolution_changes)
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
            lines.push(kv(
                "Freezes",
                format!("{} ({:.0} ms)", fr.freezes, fr.freeze_total_ms),
            ));
        }
    }
    match s.receiver_report {
        Some(rr) => {
            let rate = s.clock_rate.map(f64::from);
            lines.push(kv(
                "Receiver",
                format!(
                    "lost {} ({:.1} %), jitter {}",
                    rr.cumulative_lost,
                    rr.fraction_lost * 100.0,
                    rate.map_or(format!("{} ticks", rr.jitter), |r| format!(
                        "{:.1} ms",
                        f64::from(rr.jitter) / r * 1000.0
                    ))
                ),
            ));
        }
        None => lines.push(kv("Receiver", "no report read".into())),
    }
    lines.push(kv(
        "RTT",
        s.rtcp_rtt_ms
            .map_or("-".into(), |r| format!("{r:.1} ms (LSR/DLSR)")),
    ));
    if let Some(fb) = feedback {
        lines.push(kv(
            "Feedback",
            format!("NACK {} · PLI {} · FIR {}", fb.nack_packets, fb.pli, fb.fir),
        ));
    }
    // The transport-wide feedback covers every stream of the direction (audio, video, RTX).
    if let Some(r) = rate.filter(|r| r.feedbacks > 0) {
        let kbps = |b: Option<u64>| b.map_or("-".to_owned(), |b| format!("{:.0}", b as f64 / 1e3));
        lines.push(kv(
            "Received",
            format!(
                "{} kbit/s (TWCC), sent {}",
                kbps(r.mean_bps),
                kbps(r.sent_bps)
            ),
        ));
    }
    f.render_widget(
        ratatui::widgets::Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block(format!(" SSRC {:#010x} ", s.ssrc), false)),
        area,
    );
}

fn chart(f: &mut Frame<'_>, app: &App, area: Rect) {
    let c = &app.chart;
    let secs = c.bin_ns as f64 / 1e9;
    let to_kbps = |b: u64| b as f64 * 8.0 / secs.max(1e-9) / 1000.0;
    let origin = app.snap.start_ns.unwrap_or(c.start_ns);
    let x0 = (c.start_ns - origin) as f64 / 1e9;
    let series: [Vec<(f64, f64)>; 2] = match &c.quality {
        // One line, the selected stream's: bins without a value are left out (gaps).
        Some((_, values)) => [
            values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (x0 + (i as f64 + 0.5) * secs, v)))
                .collect(),
            Vec::new(),
        ],
        None => [0, 1].map(|d| {
            c.bins
                .iter()
                .enumerate()
                .map(|(i, b)| (x0 + (i as f64 + 0.5) * secs, to_kbps(b[d])))
                .collect()
        }),
    };
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
    if !c.legends[1].is_empty() && c.quality.is_none() {
        sets.push(
            Dataset::default()
                .name(c.legends[1].clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(Color::Magenta))
                .data(&series[1]),
        );
    }
    let metric = c.quality.as_ref().map_or(ChartMetric::Bitrate, |q| q.0);
    let ylab = |v: f64| match metric {
        ChartMetric::Bitrate if v >= 1000.0 => format!("{:.1}M", v / 1000.0),
        ChartMetric::Bitrate => format!("{v:.0}k"),
        _ if v >= 10.0 => format!("{v:.0}"),
        _ => format!("{v:.1}"),
    };
    let chart = Chart::new(sets)
        .block(block(
            format!(
                " {} of {}, {} bins{} (m: bit/s, loss, jitter, RTT; c: session/flow/stream, now {scope}; +/-: zoom) ",
                metric.label(),
                c.title,
                fmt::duration(c.bin_ns),
                if app.chart_zoom > 0 {
                    format!(", zoom ×{} (</>: pan)", 1u64 << app.chart_zoom)
                } else {
                    String::new()
                }
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
