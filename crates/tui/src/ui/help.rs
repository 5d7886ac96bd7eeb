//! The `?` overlay: the key list.

use super::widgets::{block, bold};
use ratatui::layout::Rect;
use ratatui::style::{Color, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// The key list of the `?` overlay.
pub const KEYS: [(&str, &str); 31] = [
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
    (
        "Ctrl-U, Ctrl-W",
        "in the filter or save prompt: clear it, delete a word",
    ),
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
        "STUN, TURN, DTLS handshake, BYE, ICMP; keys: data channels",
    ),
];

pub(super) fn help(f: &mut Frame<'_>, size: Rect, scroll: usize) {
    let w = 72.min(size.width.saturating_sub(2));
    let h = (KEYS.len() as u16 + 2).min(size.height.saturating_sub(2));
    let area = Rect::new(
        size.x + (size.width - w) / 2,
        size.y + (size.height - h) / 2,
        w,
        h,
    );
    // A short terminal shows a page of the keys: j/k scroll (the title says so).
    let page = help_page(size);
    let top = help_top(scroll, page);
    let lines: Vec<Line<'static>> = KEYS
        .iter()
        .skip(top)
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!(" {k:<16}"), bold().fg(Color::Cyan)),
                Span::raw(v.to_string()),
            ])
        })
        .collect();
    let title = if page < KEYS.len() {
        format!(
            " Keys {}-{} of {} (j/k: more, any other key closes) ",
            top + 1,
            (top + page).min(KEYS.len()),
            KEYS.len()
        )
    } else {
        " Keys ".to_owned()
    };
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(lines).block(block(title, true).bold()), area);
}

/// Key lines the help shows at once on a terminal of `size` (all of them when it is tall
/// enough).
pub fn help_page(size: Rect) -> usize {
    let h = (KEYS.len() as u16 + 2).min(size.height.saturating_sub(2));
    usize::from(h.saturating_sub(2)).max(1)
}

/// The first key line shown for a scroll position, with `page` lines on screen.
pub fn help_top(scroll: usize, page: usize) -> usize {
    scroll.min(KEYS.len().saturating_sub(page))
}
