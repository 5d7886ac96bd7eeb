//! The ladder view (key 9): one column per host, one arrow per signalling packet, time going
//! down; the selected arrow's packet and, for an ICE check, its candidate pair below.

use super::widgets::{block, bold, empty, position, selected, sparkline};
use crate::app::App;
use crate::ladder::{LadderRow, LADDER_FILTER, MAX_GROUPS, ZOOMS};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use rtcscope_analysis::fmt;

/// Width of the time column.
const TIME_W: usize = 11;

/// The colour of an arrow: answers green, errors and alerts red, DTLS cyan.
/// For a message a TURN relay carried between a client and its server (ChannelData, a Send
/// or Data indication): the allocation and the peer, by the channel's binding or the
/// indication's XOR-PEER-ADDRESS (as the info names it).
fn relayed_peer<'a>(
    app: &'a App,
    r: &LadderRow,
) -> Option<(
    &'a rtcscope_analysis::turn::Allocation,
    std::net::SocketAddr,
)> {
    let a = app.snap.allocations.iter().find(|a| {
        (a.client == r.src && a.server == r.dst) || (a.client == r.dst && a.server == r.src)
    })?;
    let peer = if let Some(hex) = r.info.strip_prefix("Channel 0x") {
        let n = u16::from_str_radix(hex.get(..4)?, 16).ok()?;
        a.channels.iter().find(|c| c.channel == n)?.peer
    } else if r.info.starts_with("Send Indication") || r.info.starts_with("Data Indication") {
        let at = r.info.find("peer=")? + "peer=".len();
        let rest = &r.info[at..];
        rest[..rest.find(' ').unwrap_or(rest.len())].parse().ok()?
    } else {
        return None;
    };
    Some((a, peer))
}

fn style(r: &LadderRow) -> Style {
    let info = r.info.to_ascii_lowercase();
    if info.contains("error") || info.contains("alert") || r.protocol.starts_with("ICMP") {
        Style::new().fg(Color::Red)
    } else if info.contains("success") {
        Style::new().fg(Color::Green)
    } else if r.protocol.starts_with("DTLS") {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new()
    }
}

/// The x of each column's lifeline within `width` cells, the outer ones far enough in for
/// their `label`s (the widest is `label`) to centre over them.
fn lifelines(columns: usize, width: usize, label: usize) -> Vec<usize> {
    match columns {
        0 => Vec::new(),
        1 => vec![width / 2],
        n => {
            let margin = (label / 2).max(2).min(width / 4);
            let span = width.saturating_sub(2 * margin + 1);
            (0..n).map(|i| margin + i * span / (n - 1)).collect()
        }
    }
}

/// One arrow as a line of cells: lifelines, the arrow from `from` to `to` with the label
/// written along it.
fn arrow(r: &LadderRow, xs: &[usize], width: usize) -> String {
    let mut cells: Vec<char> = vec![' '; width];
    for &x in xs {
        if x < width {
            cells[x] = '│';
        }
    }
    let (Some(&a), Some(&b)) = (xs.get(r.from), xs.get(r.to)) else {
        return cells.into_iter().collect();
    };
    let label: Vec<char> = r.info.chars().collect();
    if a == b {
        // Between two ports of one host.
        let text: String = format!("↺ {}", r.info);
        for (i, c) in text.chars().enumerate() {
            if let Some(cell) = cells.get_mut(a + 2 + i) {
                *cell = c;
            }
        }
        return cells.into_iter().collect();
    }
    let (lo, hi) = (a.min(b), a.max(b));
    for cell in &mut cells[lo + 1..hi] {
        *cell = '─';
    }
    if b > a {
        cells[hi - 1] = '▶';
    } else {
        cells[lo + 1] = '◀';
    }
    // The label inside the arrow, after its tail, cut with an ellipsis.
    let room = (hi - lo).saturating_sub(5);
    if room > 0 {
        let start = if b > a { lo + 2 } else { lo + 3 };
        let text: Vec<char> = if label.len() > room {
            label[..room.saturating_sub(1)]
                .iter()
                .copied()
                .chain(['…'])
                .collect()
        } else {
            label
        };
        for (i, c) in text.into_iter().enumerate() {
            cells[start + i] = c;
        }
    }
    cells.into_iter().collect()
}

pub(super) fn ladder(f: &mut Frame<'_>, app: &App, body: Rect) {
    let l = &app.ladder;
    if l.matched == 0 && l.scanning.is_none() {
        empty(
            f,
            body,
            " Ladder ",
            "No signalling (STUN, TURN, DTLS handshake, BYE, ICMP) in the selection.".into(),
        );
        return;
    }
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(70), Constraint::Min(6)]).areas(body);
    let inner_w = usize::from(top.width.saturating_sub(2));
    let art_w = inner_w.saturating_sub(TIME_W);
    let names: Vec<String> = l
        .columns
        .iter()
        .map(|c| c.map_or("…".to_owned(), |ip| ip.to_string()))
        .collect();
    let widest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let xs = lifelines(l.columns.len(), art_w, widest);
    // The hosts, centred over their lifelines.
    let mut head: Vec<char> = vec![' '; art_w];
    for (i, name) in names.iter().enumerate() {
        let x = xs[i];
        let w = name.chars().count();
        let start = x.saturating_sub(w / 2).min(art_w.saturating_sub(w));
        for (j, ch) in name.chars().enumerate() {
            if let Some(cell) = head.get_mut(start + j) {
                *cell = ch;
            }
        }
    }
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:<TIME_W$}", "Time"), bold().fg(Color::Cyan)),
        Span::styled(head.into_iter().collect::<String>(), bold().fg(Color::Cyan)),
    ])];
    for (j, r) in l.rows.iter().enumerate() {
        let row_style = if l.nav.offset + j == l.nav.sel {
            selected()
        } else {
            Style::new()
        };
        lines.push(
            Line::from(vec![
                Span::raw(format!("{:<TIME_W$}", fmt::offset(r.offset_ns))),
                Span::styled(arrow(r, &xs, art_w), style(r)),
            ])
            .style(row_style),
        );
    }
    let progress = match l.scanning {
        Some((done, total)) => format!(" · searching {}%", done * 100 / total.max(1)),
        None => String::new(),
    };
    let zoom = match ZOOMS[l.zoom] {
        0 => "every message".to_owned(),
        ns if ns < 1_000_000_000 => format!("a row per {} ms", ns / 1_000_000),
        ns if ns < 60_000_000_000 => format!("a row per {} s", ns / 1_000_000_000),
        ns => format!("a row per {} min", ns / 60_000_000_000),
    };
    let full = if l.zoom > 0 && l.groups_full {
        format!(" · grouping stopped at {MAX_GROUPS} rows")
    } else {
        String::new()
    };
    f.render_widget(
        Paragraph::new(lines).block(block(
            format!(
                " Ladder{}{progress} · {zoom}{full} (+/-: zoom, Enter: the packet) ",
                position(l.nav.sel, l.matched)
            ),
            true,
        )),
        top,
    );
    let Some(r) = l.selected() else {
        return;
    };
    let kv = |k: &str, v: String| {
        Line::from(vec![Span::styled(format!("{k:<10}"), bold()), Span::raw(v)])
    };
    let packets = if r.count > 1 {
        format!(
            "{} messages, #{} to #{}, from {} ({})",
            r.count,
            r.number,
            r.last_number,
            fmt::offset(r.offset_ns),
            r.protocol
        )
    } else {
        format!(
            "#{} at {} ({})",
            r.number,
            fmt::offset(r.offset_ns),
            r.protocol
        )
    };
    let mut detail = vec![
        kv(if r.count > 1 { "Packets" } else { "Packet" }, packets),
        kv("From → to", format!("{} → {}", r.src, r.dst)),
        Line::from(vec![
            Span::styled(format!("{:<10}", "Message"), bold()),
            Span::styled(r.info.clone(), style(r)),
        ]),
    ];
    // An ICE check on a known pair: that pair's facts. A check a TURN relay carried travels
    // between the client and its server: its pair is the allocation's, towards the peer the
    // channel is bound to (or the indication names).
    let relayed = relayed_peer(app, r);
    let pair = app.snap.sessions.iter().find_map(|s| {
        s.pairs.iter().find(|p| match relayed {
            Some((a, peer)) => {
                (p.pair.relay == Some(a.id) || a.relayed == Some(p.pair.local))
                    && p.pair.remote == peer
            }
            None => {
                (p.pair.local == r.src && p.pair.remote == r.dst)
                    || (p.pair.local == r.dst && p.pair.remote == r.src)
            }
        })
    });
    if let Some(p) = pair {
        let q = &p.pair;
        // Foundations come from the SDPs' a=candidate lines; the wire does not carry them.
        let foundation = |addr: std::net::SocketAddr| {
            rtcscope_analysis::sdp_hints::SdpCandidate::find(&app.sdp_candidates, addr, q.transport)
                .map_or("?", |c| c.foundation.as_str())
        };
        let rtt = match (q.rtt_samples, q.rtt_min_ns, q.rtt_max_ns) {
            (n, Some(lo), Some(hi)) if n > 0 => format!(
                "RTT {:.1} ms mean ({:.1}–{:.1})",
                q.rtt_sum_ns as f64 / f64::from(n) / 1e6,
                lo as f64 / 1e6,
                hi as f64 / 1e6
            ),
            _ => "no RTT".into(),
        };
        detail.push(kv(
            "Pair",
            format!(
                "{} {} → {} {}: {} · priority {} · foundations {}/{}{} · {} requests ({} \
                 retransmitted), {} responses, {} consent · {rtt}{}",
                p.local_type,
                q.local,
                p.remote_type,
                q.remote,
                p.state,
                q.priority.map_or("-".into(), |v| v.to_string()),
                foundation(q.local),
                foundation(q.remote),
                if app.sdp_candidates.is_empty() {
                    " (no SDP)"
                } else {
                    ""
                },
                q.requests,
                q.retransmissions,
                q.responses,
                q.consent_checks,
                if q.nominated { " · nominated" } else { "" }
            ),
        ));
        // The check RTTs in the order they came (the pair's first timeline events), in µs.
        let rtts: Vec<u64> = q
            .timeline
            .iter()
            .filter_map(|e| match e {
                rtcscope_analysis::ice::PairEvent::Success {
                    rtt_ns: Some(r), ..
                } => Some(u64::try_from(*r / 1000).unwrap_or(0)),
                _ => None,
            })
            .collect();
        if !rtts.is_empty() {
            let max = rtts.iter().max().copied().unwrap_or(0);
            detail.push(kv(
                "Check RTT",
                format!(
                    "{} ({} checks, max {:.1} ms{})",
                    sparkline(&rtts),
                    rtts.len(),
                    max as f64 / 1000.0,
                    if q.events_dropped > 0 {
                        ", the pair's first events"
                    } else {
                        ""
                    }
                ),
            ));
        }
        // A relayed pair: its TURN allocation.
        if let Some(a) = q
            .relay
            .and_then(|id| app.snap.allocations.iter().find(|a| a.id == id))
            .or(relayed.map(|(a, _)| a))
        {
            detail.push(kv(
                "TURN",
                format!(
                    "allocation {} on {} ({}) for {}: relayed {}, {}",
                    a.id,
                    a.server,
                    a.transport,
                    a.client,
                    a.relayed.map_or("-".into(), |r| r.to_string()),
                    a.state_words()
                ),
            ));
        }
    }
    detail.push(Line::from(Span::styled(
        format!(
            "The ladder shows `dissect -Y '{LADDER_FILTER}'`; with keys, also what decryption \
             reveals: data-channel opens, SCTP set-up and shutdown, DTLS 1.3's encrypted \
             handshake, RTCP BYE."
        ),
        Style::new().fg(Color::DarkGray),
    )));
    f.render_widget(
        Paragraph::new(detail)
            .wrap(Wrap { trim: false })
            .block(block(" Selected ", false)),
        bottom,
    );
}
