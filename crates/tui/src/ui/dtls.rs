//! The DTLS view (key 3): handshakes per flow (version, cipher, SRTP profile, certificate
//! fingerprints against the SDP) and the selected handshake's timeline.

use super::widgets::{block, bold, empty, fingerprint, position, seen, selected};
use crate::app::App;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;
use rtcscope_analysis::dtls::FingerprintCheck;
use rtcscope_analysis::fmt;
use rtcscope_wire::text::{escape, Escaped};

pub(super) fn dtls(f: &mut Frame<'_>, app: &App, body: Rect) {
    let list = app.dtls_list();
    if list.is_empty() {
        empty(f, body, " DTLS ", "No DTLS seen.".into());
        return;
    }
    let [top, bottom] = Layout::vertical([Constraint::Length(6), Constraint::Min(4)]).areas(body);
    let start = app.snap.start_ns.unwrap_or(0);
    let h = usize::from(top.height.saturating_sub(3));
    let rows: Vec<Row<'static>> = list
        .iter()
        .enumerate()
        .skip(app.dtls_nav.offset)
        .take(h)
        .map(|(i, &di)| {
            let d = &app.snap.dtls[di];
            let (c, s) = match (d.client, d.server) {
                (Some(c), Some(s)) => (c, s),
                _ => (d.a, d.b),
            };
            let state = if !d.alerts.is_empty() && d.done_ns.is_none() {
                ("failed", Style::new().fg(Color::Red))
            } else if d.done_ns.is_some() {
                ("done", Style::new().fg(Color::Green))
            } else {
                ("handshaking", Style::new().fg(Color::Yellow))
            };
            let row = Row::new(vec![
                Cell::from(format!(
                    "{c} → {s}{}",
                    if d.relay.is_some() { " (TURN)" } else { "" }
                )),
                Cell::from(escape(d.version.as_deref().unwrap_or("-")).into_owned()),
                Cell::from(state.0).style(state.1),
                Cell::from(fmt::offset(d.first_ns - start)),
                Cell::from(d.duration_ms.map_or("-".into(), |m| format!("{m:.1} ms"))),
            ]);
            if i == app.dtls_nav.sel {
                row.style(selected())
            } else {
                row
            }
        })
        .collect();
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(30),
                Constraint::Length(9),
                Constraint::Length(11),
                Constraint::Length(9),
                Constraint::Length(10),
            ],
        )
        .header(
            Row::new(vec![
                "Client → Server",
                "Version",
                "State",
                "Start",
                "Handshake",
            ])
            .style(bold().fg(Color::Cyan)),
        )
        .block(block(
            format!(
                " DTLS associations{} ",
                position(app.dtls_nav.sel, list.len())
            ),
            true,
        )),
        top,
    );
    let Some(d) = list.get(app.dtls_nav.sel).map(|&i| &app.snap.dtls[i]) else {
        return;
    };
    let [left, right] = if bottom.width >= 100 {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Min(30)]).areas(bottom)
    } else {
        Layout::vertical([Constraint::Length(11), Constraint::Min(3)]).areas(bottom)
    };
    let kv = |k: &str, v: String| {
        Line::from(vec![Span::styled(format!("{k:<15}"), bold()), Span::raw(v)])
    };
    let opt = |o: &Option<std::net::SocketAddr>| o.map_or("-".into(), |a| a.to_string());
    let fp_style = match d.fingerprint_check {
        FingerprintCheck::Match => Style::new().fg(Color::Green),
        FingerprintCheck::Mismatch => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        _ => Style::new(),
    };
    let mut lines = vec![
        kv("Client", opt(&d.client)),
        kv("Server", opt(&d.server)),
        kv(
            "Version",
            format!(
                "{}{}",
                Escaped(d.version.as_deref().unwrap_or("not seen")),
                if d.offered_versions.is_empty() {
                    String::new()
                } else {
                    format!(" (offered {})", Escaped(&d.offered_versions.join(", ")))
                }
            ),
        ),
        kv(
            "Cipher",
            escape(d.cipher_suite.as_deref().unwrap_or("not seen")).into_owned(),
        ),
        kv(
            "SRTP profile",
            format!(
                "{}{}",
                seen(&d.srtp_profile),
                if d.offered_srtp_profiles.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (offered {})",
                        Escaped(&d.offered_srtp_profiles.join(", "))
                    )
                }
            ),
        ),
        Line::from(vec![
            Span::styled(format!("{:<15}", "Fingerprint"), bold()),
            Span::styled(fingerprint(d.fingerprint_check), fp_style),
        ]),
        kv(
            "Handshake",
            format!(
                "{}{}{}",
                d.duration_ms
                    .map_or("not finished".into(), |m| format!("{m:.1} ms")),
                if d.hello_verify_request {
                    " · HelloVerifyRequest"
                } else {
                    ""
                },
                if d.hello_retry_request {
                    " · HelloRetryRequest"
                } else {
                    ""
                }
            ),
        ),
        kv(
            "Records",
            format!(
                "{} · retransmitted {} · duplicates {} · errors {}",
                d.records, d.handshake_retransmissions, d.duplicate_records, d.parse_errors
            ),
        ),
    ];
    for a in &d.alerts {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<15}", "Alert"), bold()),
            Span::styled(escape(a).into_owned(), Style::new().fg(Color::Red)),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(" Handshake ", false)),
        left,
    );
    let t0 = d.client_hello_ns.unwrap_or(d.first_ns);
    let steps: Vec<Row<'static>> = d
        .timeline
        .iter()
        .map(|e| {
            let from_client = d.client == Some(e.from);
            let dir = if d.client.is_none() {
                e.from.to_string()
            } else if from_client {
                "client →".into()
            } else {
                "← server".into()
            };
            Row::new(vec![
                Cell::from(format!("{:+.1} ms", (e.at_ns - t0) as f64 / 1e6)),
                Cell::from(dir),
                Cell::from(escape(&e.what).into_owned()),
            ])
        })
        .collect();
    let more = if d.events_dropped > 0 {
        format!(" (+{} more)", d.events_dropped)
    } else {
        String::new()
    };
    f.render_widget(
        Table::new(
            steps,
            [
                Constraint::Length(11),
                Constraint::Length(9),
                Constraint::Min(10),
            ],
        )
        .header(Row::new(vec!["Time", "From", "Message"]).style(bold().fg(Color::Cyan)))
        .block(block(format!(" Steps from ClientHello{more} "), false)),
        right,
    );
}
