//! How the check ends: success, an error answer, silence (told from garbage, broken STUN and a
//! silent server), an ICMP error or the deadline, each with the verdict and its explanation.

use super::{Awaited, Endpoint, ErrorInfo, Mode, Phase, Request, TurnCheck, TurnVerdict};
use crate::check::Unreachable;
use crate::msg::explain_error;
use std::time::Instant;

impl TurnCheck {
    /// An error answer to `request` (named `name` in the step and the error) ends the check.
    pub(super) fn fail(
        &mut self,
        now: Instant,
        request: Request,
        name: &str,
        code: u16,
        reason: &str,
    ) {
        let explanation = match code {
            401 if request == Request::Allocate => {
                "the credentials were rejected (wrong username or password, or expired TURN REST credentials)".to_string()
            }
            _ => explain_error(code).to_string(),
        };
        self.step(
            name,
            false,
            None,
            format!("error {code} {reason}: {explanation}"),
        );
        self.report.error = Some(ErrorInfo {
            request: name.into(),
            code,
            reason: reason.into(),
            explanation,
        });
        // Release what was allocated before giving up.
        if self.report.relayed.is_some() && self.phase != Phase::Release {
            self.release(now);
        } else {
            self.finish(now);
        }
    }

    /// Ends the check: whether everything asked for worked, and the verdict.
    pub(super) fn finish(&mut self, now: Instant) {
        self.phase = Phase::Done;
        self.client_req = None;
        self.peer_req = None;
        self.probe = None;
        self.finished = Some(now);
        self.report.duration_ms = now.saturating_duration_since(self.start).as_secs_f64() * 1000.0;
        self.report.success = self.report.error.is_none()
            && match self.cfg.mode {
                Mode::Stun => self.report.srflx.is_some(),
                Mode::Turn => {
                    self.report.released
                        && self.peer_to_client
                        && self.client_to_peer
                        && self.report.echo_rtt_ms.len() == self.cfg.echoes
                }
            };
        self.report.verdict = if self.report.success {
            TurnVerdict::Works
        } else {
            self.verdict.unwrap_or(TurnVerdict::Failed)
        };
    }

    /// Why the server's silence to `what` (a request of the client) ended the check: the
    /// verdict, the short reason and the explanation, from what else came from the server.
    pub(super) fn silence(&self, what: &str, sent: u32) -> (TurnVerdict, &'static str, String) {
        let server = self.cfg.server;
        let r = &self.report;
        if r.broken_stun > 0 {
            (
                TurnVerdict::BrokenServer,
                "broken STUN",
                format!(
                    "{server} never answered {what} with a valid STUN answer but sent {} STUN \
                     message(s) that are malformed or carry a transaction ID of no request: a \
                     broken server, or something on the path that rewrites STUN",
                    r.broken_stun
                ),
            )
        } else if r.not_stun > 0 {
            (
                TurnVerdict::NotStun,
                "not STUN",
                format!(
                    "{server} never answered {what} but sent {} datagram(s) that are not STUN: \
                     is it a STUN/TURN server (the right port)?",
                    r.not_stun
                ),
            )
        } else if self.cfg.transport.is_stream() {
            (
                TurnVerdict::NoAnswer,
                "timeout",
                format!(
                    "{server} accepted the connection but did not answer {what} over it: is it \
                     a STUN/TURN server (the right port)?"
                ),
            )
        } else {
            let earlier = if self.answered {
                "; it had answered earlier requests"
            } else {
                ": the server is down or drops the requests, a firewall drops the traffic, \
                 or UDP is blocked on the way"
            };
            (
                TurnVerdict::NoAnswer,
                "timeout",
                format!("no answer from {server} to {what} after {sent} transmission(s){earlier}"),
            )
        }
    }

    /// An ICMP error came back for what `at` sent (the client's UDP socket is connected to
    /// the server, so the edge sees one): the check ends with that verdict.
    pub fn handle_unreachable(&mut self, now: Instant, at: Endpoint, kind: Unreachable) {
        if self.finished.is_some() || at != Endpoint::Client {
            return;
        }
        let server = self.cfg.server;
        let what = self
            .client_req
            .as_ref()
            .map_or("the server", |p| p.request.name());
        let (verdict, reason, explanation) = match kind {
            Unreachable::Port => (
                TurnVerdict::PortUnreachable,
                "port unreachable",
                format!(
                    "ICMP port unreachable from {server}: nothing listens on UDP port {} (the \
                     server is down or on another port), or a firewall rejects the datagrams",
                    server.port()
                ),
            ),
            Unreachable::Host | Unreachable::Network => (
                TurnVerdict::HostUnreachable,
                "host unreachable",
                format!("ICMP host or network unreachable for {server}: no route to the server"),
            ),
        };
        self.step(what, false, None, reason.into());
        self.report.error = Some(ErrorInfo {
            request: what.into(),
            code: 0,
            reason: reason.into(),
            explanation,
        });
        self.verdict = Some(verdict);
        self.finish(now);
    }

    /// Nothing came for `awaited` through `sent` transmissions: the check ends with the
    /// reason (after releasing the allocation, if there is one).
    pub(super) fn on_silence(&mut self, now: Instant, awaited: Awaited, sent: u32) {
        let what = awaited.name();
        let (verdict, reason, explanation) = match awaited {
            Awaited::Answer(Request::PeerBinding) => (
                TurnVerdict::Failed,
                "timeout",
                format!(
                    "no answer to the peer socket's UDP Binding from {}: the relay check \
                     needs the peer's reflexive address from a STUN server over UDP (give \
                     another with --peer-stun HOST:PORT)",
                    self.cfg.peer_stun
                ),
            ),
            Awaited::RelayedData => (
                TurnVerdict::Failed,
                "timeout",
                "the relay did not pass the data on, after every retransmission".to_string(),
            ),
            Awaited::Answer(_) => self.silence(what, sent),
        };
        let detail = if reason == "timeout" {
            "no answer"
        } else {
            reason
        };
        self.step(what, false, None, detail.into());
        self.verdict = Some(verdict);
        self.report.error = Some(ErrorInfo {
            request: what.into(),
            code: 0,
            reason: reason.into(),
            explanation,
        });
        if self.report.relayed.is_some() && self.phase != Phase::Release {
            self.release(now);
            self.flush(now);
        } else {
            self.finish(now);
        }
    }

    /// The check ran out of time: it ends, saying what it was waiting for.
    pub(super) fn on_deadline(&mut self, now: Instant) {
        self.step("deadline", false, None, "the check ran out of time".into());
        let pending = self
            .client_req
            .as_ref()
            .map(|p| (p.request.name(), p.schedule.sent));
        let (verdict, reason, explanation) = match pending {
            // Waiting on the server when time ran out: say what else it sent.
            Some((what, sent)) if self.report.error.is_none() => self.silence(what, sent),
            _ => (
                TurnVerdict::Failed,
                "timeout",
                "the check ran out of time".to_string(),
            ),
        };
        if self.report.error.is_none() {
            self.verdict = Some(verdict);
        }
        self.report.error.get_or_insert(ErrorInfo {
            request: pending.map_or_else(|| self.phase.name().to_owned(), |p| p.0.to_string()),
            code: 0,
            reason: reason.into(),
            explanation,
        });
        self.finish(now);
    }
}
