//! The NAT check view (key 6): running the check against the configured STUN servers and its
//! report.

use super::widgets::{block, bold, dim};
use crate::app::{App, NatState};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use rtcscope_wire::text::{escape, Escaped};

pub(super) fn nat(f: &mut Frame<'_>, app: &App, body: Rect) {
    let mut lines: Vec<Line<'static>> = Vec::new();
    if app.nat_servers.is_empty() {
        lines.push(Line::raw(
            "No STUN server configured for the NAT check. Start rtcscope with one or more",
        ));
        lines.push(Line::raw(
            "--nat-server HOST:PORT (an RFC 5780 server such as `rtcscope stun-server` runs",
        ));
        lines.push(Line::raw(
            "the full mapping and filtering tests), then press r here.",
        ));
    } else {
        lines.push(Line::from(vec![
            Span::styled("Servers  ", bold()),
            Span::raw(escape(&app.nat_servers.join(", ")).into_owned()),
        ]));
        match &app.nat {
            NatState::Idle => lines.push(Line::raw("Press r (or Enter) to run the NAT check.")),
            NatState::Running => lines.push(Line::styled(
                "Running the NAT check… (a few seconds)",
                Style::new().fg(Color::Yellow),
            )),
            NatState::Done { reports, errors } => {
                for r in reports {
                    lines.extend(nat_report(r));
                }
                for e in errors {
                    lines.push(Line::styled(
                        format!("error: {}", Escaped(e)),
                        Style::new().fg(Color::Red),
                    ));
                }
                lines.push(Line::styled("Press r to run it again.", dim()));
            }
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(" NAT check (RFC 5780 / RFC 4787) ", true)),
        body,
    );
}

/// One NAT check report. Its text can quote what the servers sent: every value is escaped.
fn nat_report(r: &rtcscope_nat::Report) -> Vec<Line<'static>> {
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("  {k:<19}"), bold()),
            Span::raw(escape(&v).into_owned()),
        ])
    };
    let addr = |a: Option<std::net::SocketAddr>| a.map_or("-".into(), |a| a.to_string());
    let yes_no = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not tested",
    };
    let mut out = vec![Line::styled(
        format!(
            "{} · {} requests, {} answers, {:.0} ms",
            if r.family == "ipv6" { "IPv6" } else { "IPv4" },
            r.sent,
            r.received,
            r.duration_ms
        ),
        bold(),
    )];
    out.push(kv("local address", addr(r.local)));
    out.push(kv("public address", addr(r.mapped)));
    for s in &r.servers {
        out.push(kv(
            "server",
            format!(
                "{} {} · RFC 5780: {}",
                s.address,
                s.rtt_ms.map_or(
                    if s.answered {
                        "answered".into()
                    } else {
                        "no answer".into()
                    },
                    |m| format!("answered in {m:.1} ms")
                ),
                s.rfc5780
            ),
        ));
    }
    out.push(kv("mapping", r.mapping.describe().into()));
    out.push(kv("filtering", r.filtering.describe().into()));
    out.push(kv("hairpinning", yes_no(r.hairpinning).into()));
    out.push(kv("port preservation", yes_no(r.port_preservation).into()));
    out.push(Line::from(vec![
        Span::styled(format!("  {:<19}", "NAT type"), bold()),
        Span::styled(r.classic.describe(), bold().fg(Color::Cyan)),
    ]));
    out.push(kv("WebRTC", r.webrtc_explained.clone()));
    for n in &r.notes {
        out.push(kv("note", n.clone()));
    }
    out
}
