//! The `?` overlay: the key list.

use super::widgets::{block, bold};
use ratatui::layout::Rect;
use ratatui::style::{Color, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// The key list of the `?` overlay.
pub const KEYS: [(&str, &str); 30] = [
    ("1-9, Tab, S-Tab", "switch view (or click a tab)"),
    ("j/k, ↓/↑", "move the selection (or scroll the mouse wheel)"),
    ("PgDn/PgUp", "move by a page"),
    ("g/G, Home/End", "first / last (G follows new packets live)"),
    ("[ ]", "previous / next session, from any view"),
    (
        "Enter",
        "Sessions: ICE view of the session; Ladder: the packet",
    ),
    (
        "h/l",
        "Packets: list / field tree / bytes (each follows the other)",
    ),
    (
        "←/→, Enter, + -",
        "Packets fields: fold / open, toggle, all; bytes: move",
    ),
    ("+ -", "Ladder: zoom out / in (a row per 100 ms … 1 min)"),
    ("e, J/K", "Sessions: the selection's event log, scrolled"),
    ("a", "Streams, Packets: all / only the selection's"),
    ("w", "Packets: save the listed packets to a pcapng file"),
    ("< >", "Packets: scroll the Info column"),
    ("c", "Streams: chart of session, flow or stream"),
    ("+ - < >", "Streams: zoom the chart's time in / out, pan it"),
    (
        "m",
        "Streams: chart bit/s, or the stream's loss, jitter, RTT",
    ),
    ("r", "NAT check: run it"),
    ("/", "filter: Packets by expression (rtp.pt == 96) or words"),
    ("Esc", "clear the filter"),
    ("p, Space", "pause / resume the display (capture goes on)"),
    ("click", "select a row, a tab or a field"),
    ("?", "this help (any key closes it)"),
    ("q, Ctrl-C", "quit"),
    ("", ""),
    (
        "Sessions",
        "A is the controlling ICE agent; rates A→B and B→A",
    ),
    ("ICE", "◆ selected pair, ★ nominated; timeline of checks"),
    ("Streams", "loss from sequence numbers; jitter per RFC 3550"),
    ("Findings", "why the call failed or degraded, with evidence"),
    (
        "TURN",
        "allocations, challenge, permissions, channels, errors",
    ),
    (
        "Ladder",
        "STUN, TURN, DTLS handshake, BYE, ICMP between hosts",
    ),
];

pub(super) fn help(f: &mut Frame<'_>, size: Rect) {
    let w = 72.min(size.width.saturating_sub(2));
    let h = (KEYS.len() as u16 + 2).min(size.height.saturating_sub(2));
    let area = Rect::new(
        size.x + (size.width - w) / 2,
        size.y + (size.height - h) / 2,
        w,
        h,
    );
    let lines: Vec<Line<'static>> = KEYS
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!(" {k:<16}"), bold().fg(Color::Cyan)),
                Span::raw(v.to_string()),
            ])
        })
        .collect();
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines).block(block(" Keys ", true).bold()),
        area,
    );
}
