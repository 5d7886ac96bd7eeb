//! The end of the check: why it could or could not judge the NAT, the per-request trace, and
//! the [`Report`] with the classic name and the WebRTC verdict.

use super::requests::{Kind, Outcome};
use super::NatCheck;
use crate::msg::Response;
use crate::report::{
    self, Classic, Filtering, Mapping, Reason, Report, ServerReport, ServerStatus,
};
use std::net::SocketAddr;
use std::time::Instant;

impl NatCheck {
    /// Why the check could or could not judge the NAT, with the explanation.
    pub(super) fn reason(&self) -> (Reason, String) {
        let n = self.cfg.servers.len();
        if n == 0 {
            return (Reason::NoServer, "no server to ask".into());
        }
        let statuses: Vec<ServerStatus> = (0..n).map(|i| self.server_status(i)).collect();
        if statuses.contains(&ServerStatus::Answered) {
            return (
                Reason::Measured,
                "the verdict rests on STUN answers to the check's requests".into(),
            );
        }
        let reason = [
            (ServerStatus::BrokenStun, Reason::BrokenServer),
            (ServerStatus::NotStun, Reason::NotStun),
            (ServerStatus::PortUnreachable, Reason::PortUnreachable),
            (ServerStatus::HostUnreachable, Reason::HostUnreachable),
        ]
        .into_iter()
        .find(|(st, _)| statuses.contains(st))
        .map_or(Reason::NoAnswer, |(_, r)| r);
        let per_server: Vec<String> = (0..n)
            .map(|i| {
                let j = &self.junk[i];
                let counts = match statuses[i] {
                    ServerStatus::NotStun => format!(" ({} datagrams)", j.not_stun),
                    ServerStatus::BrokenStun => format!(
                        " ({} with a transaction ID of no request, {} malformed)",
                        j.wrong_id, j.malformed
                    ),
                    _ => String::new(),
                };
                format!(
                    "{}: {}{counts}",
                    self.cfg.servers[i],
                    statuses[i].describe()
                )
            })
            .collect();
        let wait = self
            .first_tx
            .map(|f| {
                self.finished
                    .unwrap_or(f)
                    .saturating_duration_since(f)
                    .as_secs_f64()
            })
            .unwrap_or(0.0);
        let why = match reason {
            Reason::NoAnswer => format!(
                "no server answered in {wait:.1} s ({} transmissions each, and a re-check on a \
                 fresh socket): UDP is blocked on the way, or every server is down and drops \
                 requests silently",
                self.cfg.attempts
            ),
            Reason::PortUnreachable | Reason::HostUnreachable => {
                "no server could be reached, and the network said so (ICMP): this says nothing \
                 about your NAT; ask a server that is up"
                    .to_string()
            }
            Reason::NotStun | Reason::BrokenServer => {
                "UDP gets through (the servers sent datagrams back), but no usable STUN answer \
                 came: this says nothing about your NAT; ask a working STUN server"
                    .to_string()
            }
            Reason::Measured | Reason::NoServer => String::new(),
        };
        (reason, format!("{why}; {}", per_server.join("; ")))
    }

    /// One line per request: what it tested, where it went, when it was first sent, how many
    /// times, and what came of it (for `--verbose` and for debugging).
    pub fn trace(&self) -> Vec<String> {
        self.txns
            .iter()
            .map(|t| {
                let at =
                    t.tx.schedule
                        .first_sent
                        .map(|f| {
                            format!(
                                "+{:.1} ms",
                                f.saturating_duration_since(self.start).as_secs_f64() * 1000.0
                            )
                        })
                        .unwrap_or_else(|| "not sent".into());
                let outcome = match &t.outcome {
                    None => "pending".to_string(),
                    Some(Outcome::Response { resp, rtt }) => format!(
                        "{} {}{}",
                        if resp.success { "answered" } else { "error" },
                        resp.reflexive()
                            .map(|a| a.to_string())
                            .or_else(|| resp.error_code().map(|c| c.to_string()))
                            .unwrap_or_default(),
                        rtt.map(|r| format!(" rtt {:.1} ms", r.as_secs_f64() * 1000.0))
                            .unwrap_or_default()
                    ),
                    Some(Outcome::WrongSource { from }) => {
                        format!("answered from the wrong address {from}")
                    }
                    Some(Outcome::WrongReceiver) => "answered on the wrong socket".into(),
                    Some(Outcome::Arrived) => "arrived".into(),
                    Some(Outcome::Unreachable(k)) => format!("ICMP {k} unreachable"),
                    Some(Outcome::Timeout) => "no answer".into(),
                };
                format!(
                    "{} socket {} -> {} {} x{} {}",
                    t.tx.request, t.tx.from, t.tx.dst, at, t.tx.schedule.sent, outcome
                )
            })
            .collect()
    }

    /// The report (final once [`NatCheck::is_done`]).
    pub fn report(&self, now: Instant) -> Report {
        let family = if self.cfg.servers.first().is_some_and(SocketAddr::is_ipv6) {
            "ipv6"
        } else {
            "ipv4"
        };
        let servers: Vec<ServerReport> = self
            .cfg
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                // The answer of the last round the server was asked in.
                let (resp, rtt) = (0..=self.bind_round)
                    .rev()
                    .find_map(
                        |round| match self.outcome(Kind::Bind { server: i, round }) {
                            Some(Outcome::Response { resp, rtt }) => Some((Some(&**resp), *rtt)),
                            _ => None,
                        },
                    )
                    .unwrap_or((None, None));
                let j = &self.junk[i];
                ServerReport {
                    address: *s,
                    answered: resp.is_some(),
                    status: self.server_status(i),
                    not_stun: j.not_stun,
                    malformed: j.malformed,
                    wrong_transaction_id: j.wrong_id,
                    rtt_ms: rtt.map(|d| d.as_secs_f64() * 1000.0),
                    mapped: resp.and_then(Response::reflexive),
                    other_address: resp.and_then(Response::other),
                    response_origin: resp.and_then(|r| r.response_origin),
                    software: resp.and_then(|r| r.software.clone()),
                    rfc5780: self.capability_text(i),
                    alg_rewrite: resp.is_some_and(Response::alg_rewrite),
                }
            })
            .collect();
        let any = servers.iter().any(|s| s.answered);
        let helper = self.helper_server();
        let mapped = helper.and_then(|h| self.mapped(self.bind_kind(h)));
        let local = self.m_local();
        let (filtering, filtering_basis) = self
            .filtering
            .clone()
            .unwrap_or((Filtering::Unknown, "not finished".into()));
        let (reason, reason_explained) = self.reason();
        let classic = match reason {
            // Only silence means UDP is blocked; a closed port or a broken server says nothing
            // about the NAT.
            Reason::Measured | Reason::NoAnswer => report::classic(self.mapping, filtering, any),
            _ => Classic::Unknown,
        };
        let webrtc = report::verdict(classic);
        let webrtc_explained = match reason {
            Reason::Measured | Reason::NoAnswer => webrtc.explain(classic).to_string(),
            _ => format!("unknown: {reason_explained}"),
        };
        let mapping_basis = if any {
            self.mapping_basis.clone()
        } else {
            format!("no server answered: {}", reason.describe())
        };
        let port_preservation = match (mapped, local) {
            (Some(x), Some(l)) if self.mapping != Mapping::NoNat => Some(x.port() == l.port()),
            _ => None,
        };
        let end = self.finished.unwrap_or(now);
        Report {
            family,
            local,
            mapped,
            servers,
            primary: self.primary.map(|p| self.cfg.servers[p]),
            mapping: if any { self.mapping } else { Mapping::Unknown },
            mapping_basis,
            filtering,
            filtering_basis,
            hairpinning: self.hairpin.flatten(),
            port_preservation,
            port_allocation: self.port_allocation.flatten(),
            port_probes: self.probe_ports.iter().map(|p| p.1).collect(),
            classic,
            webrtc,
            webrtc_explained,
            reason,
            reason_explained,
            lifetime: self.lifetime.clone().flatten(),
            notes: self.notes.clone(),
            sent: self.sent,
            received: self.received,
            duration_ms: end.saturating_duration_since(self.start).as_secs_f64() * 1000.0,
            trace: self.trace(),
        }
    }
}
