//! The event log of a selection (the Sessions view, `e`), as webrtc-internals keeps one per
//! peer connection: ICE checks starting and succeeding, USE-CANDIDATE, consent, TURN
//! allocations and their errors, DTLS handshakes and alerts, data channels opening (in the
//! clear or decrypted), streams starting and stopping, and the findings, in time order. Everything is read from the engine's snapshot and the
//! findings; nothing here keeps state across packets.

use crate::app::App;
use crate::model::{Row, RowKey};
use rtcscope_analysis::diagnosis::Severity;
use rtcscope_analysis::fmt;
use rtcscope_analysis::ice::{PairEvent, PairState};
use rtcscope_wire::text::Escaped;

/// What kind of thing happened (for colour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Progress: a success, a start.
    Good,
    /// A plain fact.
    Plain,
    /// An error, an alert, a failure finding.
    Bad,
    /// A degradation or a notice.
    Warn,
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    /// Time (ns since the epoch).
    pub at_ns: i64,
    /// What, escaped for the terminal.
    pub text: String,
    /// Its colour.
    pub tone: Tone,
}

/// The events of `row`, in time order.
pub fn of_row(app: &App, row: &Row) -> Vec<LogEvent> {
    let mut out = Vec::new();
    let mut push = |at_ns: i64, tone: Tone, text: String| out.push(LogEvent { at_ns, text, tone });
    let in_sel = |key: &rtcscope_analysis::flow::FlowKey| row.flows.iter().any(|(k, _)| k == key);
    if let RowKey::Session(id) = row.key {
        if let Some(s) = app.snap.sessions.iter().find(|s| s.session.id == id) {
            // When each pair's nomination was sent (USE-CANDIDATE): the controlled agent's pair
            // is nominated by the check on the reverse pair (RFC 8445 §7.3.1.5).
            let use_candidate = |q: &rtcscope_analysis::ice::CandidatePair| {
                q.timeline.iter().find_map(|e| match e {
                    PairEvent::Request {
                        at_ns,
                        use_candidate: true,
                        ..
                    } => Some(*at_ns),
                    _ => None,
                })
            };
            for p in &s.pairs {
                let q = &p.pair;
                let reverse = s
                    .pairs
                    .iter()
                    .find(|r| r.pair.local == q.remote && r.pair.remote == q.local)
                    .and_then(|r| use_candidate(&r.pair));
                let name = format!(
                    "pair {} {} → {} {}",
                    p.local_type, q.local, p.remote_type, q.remote
                );
                push(q.first_ns, Tone::Plain, format!("ICE {name}: first check"));
                if let Some(t) = q.succeeded_ns {
                    push(t, Tone::Good, format!("ICE {name}: succeeded"));
                }
                let nominating = use_candidate(q);
                if let Some(t) = nominating {
                    push(t, Tone::Plain, format!("ICE {name}: USE-CANDIDATE sent"));
                }
                if s.selected.contains(&q.id) {
                    let at = q
                        .succeeded_ns
                        .unwrap_or(q.first_ns)
                        .max(nominating.or(reverse).unwrap_or(0));
                    push(
                        at,
                        Tone::Good,
                        format!("ICE {name}: selected (carries the call)"),
                    );
                }
                for e in &q.timeline {
                    if let PairEvent::Error { at_ns, code, .. } = e {
                        push(*at_ns, Tone::Bad, format!("ICE {name}: error {code}"));
                    }
                }
                match p.state {
                    PairState::Failed | PairState::TimedOut => push(
                        q.last_ns,
                        Tone::Bad,
                        format!("ICE {name}: {} (last activity)", p.state),
                    ),
                    _ => {}
                }
                if let Some(t) = q.last_consent_ns {
                    push(
                        t,
                        Tone::Plain,
                        format!(
                            "ICE {name}: last consent answered ({} checks)",
                            q.consent_checks
                        ),
                    );
                }
            }
        }
    }
    for a in &app.snap.allocations {
        let ours = row.flows.iter().any(|(k, _)| {
            k.relay == Some(a.id)
                || (k.lo == a.client && k.hi == a.server)
                || (k.lo == a.server && k.hi == a.client)
        });
        if !ours {
            continue;
        }
        let name = format!("TURN allocation {} at {}", a.id, a.server);
        if let Some(t) = a.allocated_ns {
            push(
                t,
                Tone::Good,
                format!(
                    "{name}: allocated{}",
                    a.relayed
                        .map(|r| format!(", relayed {r}"))
                        .unwrap_or_default()
                ),
            );
        }
        for e in &a.errors {
            let tone = if e.code == 401 && !e.after_credentials {
                Tone::Plain
            } else {
                Tone::Bad
            };
            push(
                e.at_ns,
                tone,
                format!(
                    "{name}: {} error {} {} (packet {})",
                    Escaped(&e.method),
                    e.code,
                    Escaped(&e.reason),
                    e.packet
                ),
            );
        }
        if let Some(t) = a.released_ns {
            push(t, Tone::Plain, format!("{name}: released"));
        }
    }
    for d in app.snap.dtls.iter().filter(|d| in_sel(&d.flow)) {
        let name = format!("DTLS {} ⇄ {}", d.a, d.b);
        push(
            d.client_hello_ns.unwrap_or(d.first_ns),
            Tone::Plain,
            format!("{name}: handshake starts"),
        );
        if let Some(t) = d.done_ns {
            push(
                t,
                Tone::Good,
                format!(
                    "{name}: handshake done ({}, {})",
                    Escaped(d.version.as_deref().unwrap_or("version not seen")),
                    Escaped(d.cipher_suite.as_deref().unwrap_or("cipher not seen"))
                ),
            );
        }
        for alert in &d.alerts {
            push(
                d.first_ns,
                Tone::Bad,
                format!("{name}: alert {}", Escaped(alert)),
            );
        }
    }
    for a in app.data_channels.iter().filter(|a| in_sel(&a.flow)) {
        for c in &a.channels {
            let Some(t) = c.opened_ns else { continue };
            push(
                t,
                Tone::Good,
                format!(
                    "data channel \"{}\" (stream {}) opened{}{}",
                    Escaped(&c.label),
                    c.stream,
                    c.opened_by.map(|a| format!(" by {a}")).unwrap_or_default(),
                    if c.acked { ", acknowledged" } else { "" }
                ),
            );
        }
    }
    for s in app.snap.streams.iter().filter(|s| in_sel(&s.key.flow)) {
        let name = format!(
            "RTP 0x{:08x} {} {} → {}",
            s.key.ssrc,
            Escaped(&s.codec_label),
            s.src,
            s.dst
        );
        push(s.first_ns, Tone::Good, format!("{name}: starts"));
        push(
            s.last_ns,
            Tone::Plain,
            format!("{name}: last packet ({} packets)", s.packets),
        );
    }
    for x in &app.findings {
        let Some(at) = x.at_ns else { continue };
        if !crate::ui::names_host(x, row.a) && !crate::ui::names_host(x, row.b) {
            continue;
        }
        let tone = match x.severity {
            Severity::Failure => Tone::Bad,
            _ => Tone::Warn,
        };
        push(
            at,
            tone,
            format!(
                "finding {} ({}): {}",
                x.id,
                x.severity.name(),
                Escaped(&x.verdict)
            ),
        );
    }
    out.sort_by_key(|e| e.at_ns);
    out
}

/// `+1.234s  text`.
pub fn line(e: &LogEvent, start_ns: i64) -> String {
    format!(
        "{:<10} {}",
        fmt::offset(e.at_ns.saturating_sub(start_ns)),
        e.text
    )
}
