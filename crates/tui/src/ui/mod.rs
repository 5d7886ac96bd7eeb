//! Drawing: `render(frame, &app)` is a pure function of the application state.
//!
//! Colours: the terminal's own foreground and background everywhere, with bold, reverse and
//! dim for emphasis and a few ANSI colours (green, red, yellow, cyan) for states, so the
//! screen reads on dark and light themes alike. No background colour is ever set.
//!
//! The layout functions (`list_height`, `tab_at`, ...) are shared with input handling, so a
//! mouse click lands on the row it was drawn on.
//!
//! One file per part of the screen: `layout.rs` (where everything goes), `bars.rs` (the title
//! and status lines), one per view (`sessions.rs`, `ice.rs`, `dtls.rs`, `streams.rs`,
//! `packets.rs`, `nat.rs`, `findings.rs`, `turn.rs`, `ladder.rs`), `help.rs` (the `?` overlay) and `widgets.rs` (styles and small
//! helpers the views share).
//!
//! Text from the wire (ufrags, DTLS names, alerts, codecs, MIDs and RIDs, the packet list and
//! field tree, what NAT-check servers said) goes through [`rtcscope_wire::text`] before it is
//! drawn: ratatui would hand a raw ESC or bidi override to the terminal as it is. [`render`]
//! then drops whatever such character is still left in the frame, as a last line of defence.

mod bars;
mod dtls;
mod findings;
mod help;
mod ice;
mod ladder;
mod layout;
mod nat;
mod packets;
mod sessions;
mod streams;
mod turn;
mod widgets;

pub use help::{help_page, help_top, KEYS};
pub use layout::{chart_bins, hex_area, list_height, list_row_at, tab_at, tree_area, tree_height};
pub(crate) use packets::{hex_byte_at, hex_per_line};
pub(crate) use sessions::names_host;

use crate::app::{App, View};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use rtcscope_wire::text::needs_escape;

/// Smallest usable terminal.
const MIN_W: u16 = 60;
const MIN_H: u16 = 16;

/// Draws the whole screen.
pub fn render(f: &mut Frame<'_>, app: &App) {
    let size = f.area();
    if size.width < MIN_W || size.height < MIN_H {
        f.render_widget(
            Paragraph::new(format!(
                "rtcscope needs at least {MIN_W}×{MIN_H}; this terminal is {}×{}.",
                size.width, size.height
            ))
            .wrap(Wrap { trim: true }),
            size,
        );
        return;
    }
    let (top, body, bottom) = layout::frame_areas(size);
    bars::title_line(f, app, top);
    bars::status_line(f, app, bottom);
    match app.view {
        View::Sessions => sessions::sessions(f, app, body),
        View::Ice => ice::ice(f, app, body),
        View::Dtls => dtls::dtls(f, app, body),
        View::Streams => streams::streams(f, app, body),
        View::Packets => packets::packets(f, app, body),
        View::Nat => nat::nat(f, app, body),
        View::Findings => findings::findings(f, app, body),
        View::Turn => turn::turn(f, app, body),
        View::Ladder => ladder::ladder(f, app, body),
    }
    if app.help {
        help::help(f, size, app.help_scroll);
    }
    scrub(f.buffer_mut());
}

/// Removes from every cell the characters [`needs_escape`] finds (controls, bidi overrides):
/// text from the wire is escaped where it is drawn, and this makes sure nothing missed there
/// reaches the terminal. A cell left empty shows a space.
fn scrub(buf: &mut ratatui::buffer::Buffer) {
    for cell in &mut buf.content {
        if cell.symbol().chars().any(needs_escape) {
            let kept: String = cell
                .symbol()
                .chars()
                .filter(|&c| !needs_escape(c))
                .collect();
            cell.set_symbol(if kept.is_empty() { " " } else { &kept });
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    #[test]
    fn scrub_drops_controls_and_bidi_overrides_from_cells() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf[(0, 0)].set_symbol("a\x1b");
        buf[(1, 0)].set_symbol("\u{202e}");
        buf[(2, 0)].set_symbol("\u{9b}");
        buf[(3, 0)].set_symbol("é");
        super::scrub(&mut buf);
        let cells: Vec<&str> = (0..4).map(|x| buf[(x, 0)].symbol()).collect();
        assert_eq!(cells, ["a", " ", " ", "é"]);
    }
}
