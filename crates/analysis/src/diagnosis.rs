//! Why a call failed or degraded: findings drawn from what the engine saw.
//!
//! [`diagnose`] reads a [`Report`] (the engine's one model, as `analyze` prints it) and turns
//! it into [`Finding`]s: a stable identifier, a [`Severity`], a one-sentence verdict in plain
//! language, the evidence that proves it (times, packet numbers where the model keeps them, the
//! counts) and what to do about it. It is sans-IO and pure: the same report gives the same
//! findings, so a capture, a live run and a test all agree.
//!
//! What each finding needs, and the thresholds, are stated with it below. A finding never
//! guesses beyond its evidence: where the packets allow more than one explanation, the verdict
//! names them.

use crate::dtls::{DtlsReport, FingerprintCheck};
use crate::fmt::count;
use crate::ice::{PairEvent, PairState};
use crate::report::{FlowReport, PairReport, Report, SessionReport};
use crate::turn::{Allocation, AllocationState};
use serde::Serialize;
use std::fmt::Write as _;
use std::net::SocketAddr;

mod index;
mod rebinding;
use index::{path, Index, Path, Set};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The call (or a part of it) did not work.
    Failure,
    /// It worked, worse than it should.
    Degraded,
    /// Worth knowing; not a fault by itself.
    Notice,
}

impl Severity {
    /// The word the text report prints.
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Failure => "FAILURE",
            Severity::Degraded => "DEGRADED",
            Severity::Notice => "notice",
        }
    }
}

/// One piece of evidence: what was seen, and when or where.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// What was seen, in words (addresses and counts included).
    pub what: String,
    /// When (ns since the epoch), if it is one moment.
    pub at_ns: Option<i64>,
    /// The capture's packet number, where the model keeps it.
    pub packet: Option<u64>,
}

impl Evidence {
    fn at(what: String, at_ns: i64) -> Self {
        Evidence {
            what,
            at_ns: Some(at_ns),
            packet: None,
        }
    }

    fn count(what: String) -> Self {
        Evidence {
            what,
            at_ns: None,
            packet: None,
        }
    }
}

/// A diagnosis: what went wrong (or is worth knowing), why it looks so, and what to do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Stable identifier (`ice.no-pair-succeeded`, `turn.wrong-credentials`, ...): scripts
    /// match on it; the words may change, the identifier does not.
    pub id: &'static str,
    /// How bad.
    pub severity: Severity,
    /// When it happened or began (ns since the epoch), when it is one moment.
    pub at_ns: Option<i64>,
    /// One sentence, plain language.
    pub verdict: String,
    /// What proves it.
    pub evidence: Vec<Evidence>,
    /// What to do about it.
    pub advice: String,
}
/// Time ranges listed for a loss or jitter finding, at most (the first ones).
const MAX_SPANS: usize = 3;
/// The windows a loss or jitter time range is judged on: one second, where an audio stream
/// has 50 packets.
const SPAN_WINDOW_NS: i64 = 1_000_000_000;
/// Packets a window must have expected before its loss share counts toward a time range:
/// below that, one lost packet reads as a large share.
const SPAN_MIN_EXPECTED: u64 = 10;

/// Loss (of the packets expected from the sequence numbers) at or above which a stream is
/// degraded.
pub const LOSS_DEGRADED: f64 = 0.05;
/// Loss at or above which a stream gets a notice.
pub const LOSS_NOTICE: f64 = 0.01;
/// RFC 3550 interarrival jitter (ms) at or above which an audio stream is degraded.
pub const JITTER_DEGRADED_MS: f64 = 30.0;
/// The same for video, whose frames leave in bursts (a frame's packets share a timestamp, so
/// pacing alone shows as jitter at a capture point near the sender).
pub const VIDEO_JITTER_DEGRADED_MS: f64 = 60.0;
/// A one-way stream needs this many packets before it is called one-way media.
pub const ONE_WAY_MIN_PACKETS: u64 = 50;
/// A stream that ends this long before the rest of its flow has stopped.
pub const STOPPED_NS: i64 = 3_000_000_000;
/// A media stream with no packet for this long between two of its packets was interrupted
/// (audio with DTX still sends a comfort-noise packet every 400 ms or so; muted video a
/// frame a second).
pub const INTERRUPTED_NS: i64 = 2_000_000_000;
/// Checks on a selected pair left unanswered for this long after its last success mean
/// consent is being lost (RFC 7675 gives up after 30 s).
pub const CONSENT_SILENCE_NS: i64 = 5_000_000_000;
/// A call whose every WebRTC packet stopped this long before the end (of the capture, or of
/// the live clock) went silent.
pub const SILENT_NS: i64 = 5_000_000_000;
/// Retransmissions above this share of a stream's packets are a degradation.
pub const RTX_DEGRADED: f64 = 0.10;
/// Nominations of different pairs closer together than this are one choice being made, not a
/// change of path: aggressive nomination (RFC 5245) puts USE-CANDIDATE on every check, and
/// the pairs that succeed within the first moments are nominated together (the best one
/// wins); a renomination or an ICE restart comes seconds or minutes into a call.
pub const RENOMINATION_MIN_NS: i64 = 2_000_000_000;
/// An ICE session that starts within this long of the last activity of an earlier one
/// between the same hosts, after the earlier one connected, and outlives it, with no new DTLS
/// handshake on its path (a restart keeps the association; a new call does not), is its ICE
/// restart: RFC 7675 gives up on a silent path after 30 s, and an application restarts ICE
/// on `disconnected` or `failed`, well within that of the old session's last checks.
pub const RESTART_GAP_NS: i64 = 30_000_000_000;
/// A fresh Allocate from a new 5-tuple this soon after all traffic on an allocation of the same
/// username stopped is that client coming back through a new NAT mapping: UDP mappings
/// time out after 30 s or more (RFC 4787 REQ-5 asks for at least 2 minutes), and a client that
/// notices the loss re-allocates within its next Refresh or consent check, seconds later.
pub const REBIND_GAP_NS: i64 = 60_000_000_000;
/// Share of a stream's packets that arrive after a later sequence number at or above which it
/// gets a notice: a jitter buffer absorbs an occasional late packet, but 1 % of them means the
/// path reorders systematically (load balancing over links of unequal delay, a Wi-Fi driver's
/// queues), and each late packet costs the receiver waiting time or a needless NACK.
pub const REORDER_NOTICE: f64 = 0.01;
/// The share at or above which reordering degrades the stream: the same 5 % as
/// [`LOSS_DEGRADED`], since a receiver that gives up waiting treats a late packet as lost.
pub const REORDER_DEGRADED: f64 = 0.05;
/// Packets a stream needs before its reordering is judged (as loss needs 100 expected).
pub const REORDER_MIN_PACKETS: u64 = 100;
/// A media stream running this long with no RTCP for its SSRC lacks it: RFC 3550 §6.2 sends
/// reports at least every 5 s on average (randomised up to 7.5 s, the first after half an
/// interval), and browsers send more often (about 1 s for video), so 10 s with none is not a
/// matter of timing.
pub const NO_RTCP_NS: i64 = 10_000_000_000;

/// Every finding the report supports, worst first, then by time.
pub fn diagnose(report: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    let end = report.end_ns.unwrap_or(0);
    let ix = Index::new(report);
    capture_findings(report, &mut out);
    for s in &report.ice_sessions {
        ice_findings(report, &ix, s, end, &mut out);
    }
    selected_pair_changes(report, &ix, &mut out);
    relay_only_no_allocation(report, &ix, &mut out);
    let first_allocated = report.turn_allocations.iter().find(|a| allocated(a));
    for group in turn_groups(&report.turn_allocations) {
        turn_findings(report, &ix, first_allocated, &group, end, &mut out);
    }
    dtls_findings(report, &ix, &mut out);
    media_findings(report, &ix, &mut out);
    silence_findings(report, end, &mut out);
    out.sort_by_key(|f| (f.severity, f.at_ns.unwrap_or(i64::MAX)));
    out
}

fn transport_name(t: crate::flow::Transport) -> &'static str {
    match t {
        crate::flow::Transport::Udp => "UDP",
        crate::flow::Transport::Tcp => "TCP",
    }
}

fn kind_name(k: crate::streams::MediaKind) -> &'static str {
    match k {
        crate::streams::MediaKind::Audio => "audio",
        crate::streams::MediaKind::Video => "video",
        crate::streams::MediaKind::Unknown => "RTP",
    }
}

fn is_webrtc(f: &FlowReport) -> bool {
    f.counts.is_webrtc()
}

fn capture_findings(r: &Report, out: &mut Vec<Finding>) {
    let c = &r.counters;
    if let Some(d) = c.capture_drops.filter(|&d| d > 0) {
        out.push(Finding {
            id: "capture.drops",
            severity: Severity::Notice,
            at_ns: None,
            verdict: format!(
                "The capture itself lost {d} packet(s) before they were recorded, so loss \
                 figures may be the capture's, not the network's."
            ),
            evidence: vec![Evidence::count(format!(
                "the capture's statistics report {d} dropped"
            ))],
            advice: "Capture with a larger buffer (dumpcap -B, tcpdump -B) or a capture filter."
                .into(),
        });
    }
    let webrtc: Vec<&FlowReport> = r.flows.iter().filter(|f| is_webrtc(f)).collect();
    if webrtc.is_empty() {
        if c.packets == 0 {
            return;
        }
        // Say what the capture holds instead: its busiest flows.
        let mut evidence: Vec<Evidence> = r
            .flows
            .iter()
            .take(5)
            .map(|f| {
                Evidence::count(format!(
                    "{} {} ↔ {}: {} packets",
                    transport_name(f.transport),
                    f.a,
                    f.b,
                    f.packets[0] + f.packets[1]
                ))
            })
            .collect();
        if r.flows.len() > 5 {
            evidence.push(Evidence::count(format!(
                "and {} more flow(s)",
                r.flows.len() - 5
            )));
        }
        out.push(Finding {
            id: "capture.no-webrtc",
            severity: Severity::Notice,
            at_ns: None,
            verdict: format!(
                "No WebRTC traffic (STUN, TURN, DTLS, RTP, RTCP) in {} on {}.",
                count(c.packets, "packet", "packets"),
                count(r.flows.len() as u64, "flow", "flows")
            ),
            evidence,
            advice: "Capture where the call's media passes (both peers' or the TURN server's \
                     interface), without a filter that drops UDP."
                .into(),
        });
        return;
    }
    // Every WebRTC flow seen in one direction only: the capture point sees half the call.
    if webrtc
        .iter()
        .all(|f| f.packets[0] == 0 || f.packets[1] == 0)
        && webrtc
            .iter()
            .map(|f| f.packets[0] + f.packets[1])
            .sum::<u64>()
            >= 20
    {
        out.push(Finding {
            id: "capture.one-direction",
            severity: Severity::Notice,
            at_ns: None,
            verdict: "Every WebRTC flow was seen in one direction only: the capture shows half \
                      of the call (or the other direction never came)."
                .into(),
            evidence: webrtc
                .iter()
                .take(3)
                .map(|f| {
                    let (from, to) = if f.packets[0] > 0 {
                        (f.a, f.b)
                    } else {
                        (f.b, f.a)
                    };
                    Evidence::count(format!(
                        "{from} → {to}: {} packets, nothing back",
                        f.packets[0] + f.packets[1]
                    ))
                })
                .collect(),
            advice: "If the capture point sees both directions, the peer's packets are not \
                     arriving: check firewalls between the peers."
                .into(),
        });
    }
    // Media from the first moments with no handshake before it: the capture began mid-call.
    // Only for DTLS-SRTP: plain RTP (SIP) and SDES calls have no handshake to miss.
    let start = r.start_ns.unwrap_or(0);
    let handshakes = r.dtls.iter().any(|d| d.client_hello_ns.is_some());
    let dtls_records = r.flows.iter().any(|f| f.counts.dtls > 0);
    let early_media = r
        .streams
        .iter()
        .filter(|s| s.confirmed && s.encrypted && s.first_ns.saturating_sub(start) < 500_000_000)
        .count();
    if !handshakes && dtls_records && early_media > 0 {
        out.push(Finding {
            id: "capture.started-mid-call",
            severity: Severity::Notice,
            at_ns: r.start_ns,
            verdict: "The capture started in the middle of a call: media flows from the first \
                      packet and no DTLS handshake is in it, so set-up problems cannot be seen."
                .into(),
            evidence: vec![Evidence::count(format!(
                "{} already running in the first 0.5 s; DTLS records but no ClientHello",
                count(early_media as u64, "SRTP stream", "SRTP streams")
            ))],
            advice: "Start the capture before the call to see ICE and DTLS.".into(),
        });
    }
}

/// The pairs an agent checked (its ufrag is the pair's local one).
fn pairs_of<'a>(s: &'a SessionReport, ufrag: &'a str) -> impl Iterator<Item = &'a PairReport> {
    s.pairs.iter().filter(move |p| p.local_ufrag == ufrag)
}

fn ice_findings(r: &Report, ix: &Index<'_>, s: &SessionReport, end: i64, out: &mut Vec<Finding>) {
    let any_success = s.pairs.iter().any(|p| p.state == PairState::Succeeded);
    let requests: u32 = s.pairs.iter().map(|p| p.requests).sum();
    if !any_success && requests > 0 {
        out.push(no_pair_succeeded(r, ix, s));
    }
    if s.role_conflicts > 0 {
        out.push(Finding {
            id: "ice.role-conflict",
            severity: if any_success {
                Severity::Notice
            } else {
                Severity::Failure
            },
            at_ns: Some(s.first_ns),
            verdict: if any_success {
                format!(
                    "Both agents claimed the same ICE role; {} 487 Role Conflict answer(s) \
                     settled it.",
                    s.role_conflicts
                )
            } else {
                format!(
                    "Both agents claimed the same ICE role and it never settled ({} 487 Role \
                     Conflict answer(s)).",
                    s.role_conflicts
                )
            },
            evidence: vec![Evidence::count(format!(
                "{} check(s) answered 487 in session {} / {}",
                s.role_conflicts, s.ufrags.0, s.ufrags.1
            ))],
            advice: "Both ends decided they were the offerer (or both ice-lite): check the \
                     signalling's offer/answer roles."
                .into(),
        });
    }
    // One-sided success: one agent's checks succeed, the other's never do.
    for (mine, theirs) in [(&s.ufrags.0, &s.ufrags.1), (&s.ufrags.1, &s.ufrags.0)] {
        let my_ok = pairs_of(s, mine).any(|p| p.state == PairState::Succeeded);
        let their_requests: u32 = pairs_of(s, theirs).map(|p| p.requests).sum();
        let their_ok = pairs_of(s, theirs).any(|p| p.state == PairState::Succeeded);
        if my_ok && their_requests >= 3 && !their_ok {
            let unanswered: Vec<&PairReport> = pairs_of(s, theirs).collect();
            out.push(Finding {
                id: "ice.one-sided",
                severity: Severity::Degraded,
                at_ns: unanswered.iter().map(|p| p.first_ns).min(),
                verdict: format!(
                    "Checks from agent {mine} succeed, but the {their_requests} check(s) from \
                     agent {theirs} never do: the path works in one direction only."
                ),
                evidence: unanswered
                    .iter()
                    .take(3)
                    .map(|p| {
                        Evidence::count(format!(
                            "{} → {}: {} request(s), {} response(s)",
                            p.local, p.remote, p.requests, p.responses
                        ))
                    })
                    .collect(),
                advice: "A firewall or NAT lets the first agent's packets in but not the \
                         second's: open the second agent's direction, or relay through TURN."
                    .into(),
            });
        }
    }
    consent_findings(ix, s, end, out);
    over_tcp(ix, s, out);
}

/// A session that settled on a path over TCP: ICE-TCP (RFC 6544) straight to the peer, or a
/// TURN allocation reached over TCP. The call works, but media on TCP waits behind every lost
/// segment (head-of-line blocking) and is retransmitted when it is already too late to play,
/// so loss that UDP would shrug off freezes the call. A notice, not a fault: on a clean path
/// nothing is lost. The evidence says why UDP was not used when the capture shows it: UDP
/// checks (direct or through a UDP allocation) that got no answer.
fn over_tcp(ix: &Index<'_>, s: &SessionReport, out: &mut Vec<Finding>) {
    use crate::flow::Transport;
    let Some(p) = settled_pair(s).filter(|p| p.state == PairState::Succeeded) else {
        return;
    };
    let allocation_of = |q: &PairReport| q.relay.and_then(|id| ix.allocation(id));
    let how = match (p.transport, allocation_of(p)) {
        (Transport::Tcp, None) => {
            format!("ICE-TCP straight to the peer, {} → {}", p.local, p.remote)
        }
        (_, Some(a)) if a.transport == Transport::Tcp => format!(
            "relayed by the TURN server {} over TCP from {}",
            a.server, a.client
        ),
        _ => return,
    };
    let udp_unanswered: Vec<&PairReport> = s
        .pairs
        .iter()
        .filter(|q| q.requests > 0 && q.responses == 0)
        .filter(|q| match allocation_of(q) {
            Some(a) => a.transport == Transport::Udp,
            None => q.transport == Transport::Udp,
        })
        .collect();
    let checks: u32 = udp_unanswered
        .iter()
        .map(|q| q.requests + q.retransmissions)
        .sum();
    let mut evidence = vec![Evidence::at(
        format!(
            "selected pair {} → {} succeeded, over TCP",
            p.local, p.remote
        ),
        p.succeeded_ns.unwrap_or(p.first_ns),
    )];
    evidence.extend(udp_unanswered.iter().take(3).map(|q| {
        Evidence::at(
            format!(
                "UDP {} → {}: {} sent, no answer",
                q.local,
                q.remote,
                count(q.requests + q.retransmissions, "check", "checks")
            ),
            q.first_ns,
        )
    }));
    let why = if udp_unanswered.is_empty() {
        evidence.push(Evidence::count(
            "no UDP check of this session in the capture: UDP was blocked before the capture \
             point, or the agents offered only TCP"
                .into(),
        ));
        String::new()
    } else {
        format!(
            " {} on {} got no answer: UDP looks blocked between these hosts.",
            count(checks, "UDP check", "UDP checks"),
            count(udp_unanswered.len() as u64, "pair", "pairs")
        )
    };
    out.push(Finding {
        id: "ice.over-tcp",
        severity: Severity::Notice,
        at_ns: p.succeeded_ns.or(Some(p.first_ns)),
        verdict: format!(
            "The call runs over TCP ({how}): media on TCP waits behind every lost segment and \
             arrives late instead of not at all.{why}"
        ),
        evidence,
        advice: "Let UDP through (to the peer's UDP candidates, or to the TURN server's UDP port \
                 and relay ports) so that ICE picks a UDP path; TCP (ICE-TCP, TURN over TCP or \
                 TLS) is the fallback for networks that block UDP."
            .into(),
    });
}

fn no_pair_succeeded(r: &Report, ix: &Index<'_>, s: &SessionReport) -> Finding {
    let requests: u32 = s.pairs.iter().map(|p| p.requests).sum();
    let responses: u32 = s.pairs.iter().map(|p| p.responses).sum();
    let mut evidence = Vec::new();
    let mut reasons = Vec::new();
    // ICMP errors on the pairs' flows: the checks were refused, not lost.
    let mut icmp = 0u64;
    for p in &s.pairs {
        for f in ix.flows_on(p.local, p.remote) {
            for e in &f.icmp_errors {
                icmp += e.count;
                evidence.push(Evidence {
                    what: format!(
                        "{} {} type {} code {} from {} ({} time(s)) for {}",
                        e.family,
                        icmp_words(e.family, e.icmp_type, e.code),
                        e.icmp_type,
                        e.code,
                        e.reported_by,
                        e.count,
                        e.unreachable
                    ),
                    at_ns: Some(e.first_ns),
                    packet: Some(e.first_packet),
                });
            }
        }
    }
    if icmp > 0 {
        reasons.push("the checks were answered with ICMP errors (nothing listens, or a firewall rejects them)");
    }
    let errors: Vec<(u16, u32)> = s.pairs.iter().flat_map(|p| p.errors.clone()).collect();
    if !errors.is_empty() {
        let codes: Vec<String> = errors.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
        evidence.push(Evidence::count(format!(
            "error responses: {}",
            codes.join(", ")
        )));
        reasons.push("the checks were answered with errors");
    }
    if responses == 0 && icmp == 0 {
        reasons.push("no check was ever answered");
    }
    for (a, b) in [(&s.ufrags.0, &s.ufrags.1), (&s.ufrags.1, &s.ufrags.0)] {
        let sent: u32 = pairs_of(s, a).map(|p| p.requests).sum();
        if sent > 0 && pairs_of(s, b).map(|p| p.requests).sum::<u32>() == 0 {
            evidence.push(Evidence::count(format!(
                "agent {a} sent {sent} check(s); agent {b} sent none in this capture"
            )));
            reasons.push("only one agent's checks are in the capture");
        }
    }
    // Host candidates only, on different networks: nothing can route between them.
    let private = |a: &SocketAddr| match a.ip() {
        std::net::IpAddr::V4(v) => v.is_private() || v.is_link_local(),
        std::net::IpAddr::V6(v) => (v.segments()[0] & 0xfe00) == 0xfc00,
    };
    let relayed = s.pairs.iter().any(|p| p.relay.is_some());
    if !relayed
        && s.pairs
            .iter()
            .all(|p| private(&p.local) && private(&p.remote))
        && s.pairs.iter().all(|p| !same_subnet(&p.local, &p.remote))
    {
        reasons.push("only private host addresses on different networks were tried, with no relay");
    }
    // The hosts of this session whose NAT the capture shows to map each destination anew.
    let dependent: Vec<&crate::nat::NatInference> = r
        .nat
        .iter()
        .filter(|n| {
            n.mapping.is_endpoint_dependent() && s.pairs.iter().any(|p| p.local.ip() == n.host)
        })
        .collect();
    if !relayed && !dependent.is_empty() {
        for n in &dependent {
            evidence.push(Evidence::count(n.explanation.clone()));
        }
        reasons.push(if dependent.len() >= 2 {
            "both sides look to be behind NATs whose mapping depends on the destination \
             (address-dependent, \"symmetric\"): the reflexive address each learned is not \
             where its checks to the peer came from, and no relay was offered"
        } else {
            "one side looks to be behind a NAT whose mapping depends on the destination \
             (address-dependent, \"symmetric\"): the reflexive address it learned is not \
             where its checks to the peer came from, and no relay was offered"
        });
    }
    if !relayed {
        evidence.push(Evidence::count(
            "no pair went through TURN (no relay candidate was tried)".into(),
        ));
    }
    for p in s.pairs.iter().take(4) {
        evidence.push(Evidence::at(
            format!(
                "{} {} → {}: {} request(s), {} response(s), {}",
                transport_name(p.transport),
                p.local,
                p.remote,
                p.requests,
                p.responses,
                p.state
            ),
            p.first_ns,
        ));
    }
    if s.pairs.len() > 4 {
        evidence.push(Evidence::count(format!(
            "and {} more pair(s)",
            s.pairs.len() - 4
        )));
    }
    let mut verdict = format!(
        "ICE failed: none of {} candidate pair(s) succeeded ({requests} check(s), {responses} \
         answered)",
        s.pairs.len()
    );
    if !reasons.is_empty() {
        let _ = write!(verdict, "; {}", reasons.join("; "));
    }
    verdict.push('.');
    Finding {
        id: "ice.no-pair-succeeded",
        severity: Severity::Failure,
        at_ns: Some(s.first_ns),
        verdict,
        evidence,
        advice: if relayed {
            "The relay path failed too: check the TURN server's reachability and credentials."
                .into()
        } else {
            "Offer a TURN server (relay candidates) so peers that cannot reach each other \
             directly still connect, and check that UDP is not blocked."
                .into()
        },
    }
}

fn same_subnet(a: &SocketAddr, b: &SocketAddr) -> bool {
    match (a.ip(), b.ip()) {
        (std::net::IpAddr::V4(x), std::net::IpAddr::V4(y)) => x.octets()[..3] == y.octets()[..3],
        (std::net::IpAddr::V6(x), std::net::IpAddr::V6(y)) => {
            x.segments()[..4] == y.segments()[..4]
        }
        _ => false,
    }
}

fn icmp_words(family: &str, t: u8, code: u8) -> &'static str {
    match (family, t, code) {
        ("icmp", 3, 3) | ("icmpv6", 1, 4) => "port unreachable",
        ("icmp", 3, 1) | ("icmpv6", 1, 3) => "host unreachable",
        ("icmp", 3, 0) | ("icmpv6", 1, 0) => "network unreachable",
        ("icmp", 3, 13) | ("icmpv6", 1, 1) => "administratively prohibited",
        ("icmp", 3, _) | ("icmpv6", 1, _) => "destination unreachable",
        ("icmp", 11, _) | ("icmpv6", 3, _) => "time exceeded",
        _ => "error",
    }
}

/// A pair that lost consent: its last success, and the requests sent after it (at least 3,
/// the last [`CONSENT_SILENCE_NS`] or more after that success).
fn consent_loss(p: &PairReport) -> Option<(i64, Vec<i64>)> {
    let last_success = p
        .timeline
        .iter()
        .filter_map(|e| match e {
            PairEvent::Success { at_ns, .. } => Some(*at_ns),
            _ => None,
        })
        .max()?;
    let after: Vec<i64> = p
        .timeline
        .iter()
        .filter_map(|e| match e {
            PairEvent::Request { at_ns, .. } if *at_ns > last_success => Some(*at_ns),
            _ => None,
        })
        .collect();
    let &last_request = after.last()?;
    (after.len() >= 3 && last_request.saturating_sub(last_success) >= CONSENT_SILENCE_NS)
        .then_some((last_success, after))
}

/// The selected pairs of every session that lost consent: (requester, responder, last
/// success).
fn consent_lost_paths(r: &Report) -> Vec<(SocketAddr, SocketAddr, i64)> {
    r.ice_sessions
        .iter()
        .flat_map(|s| {
            s.selected
                .iter()
                .filter_map(|sel| s.pairs.iter().find(|p| p.id == sel.pair))
        })
        .filter_map(|p| consent_loss(p).map(|(last, _)| (p.local, p.remote, last)))
        .collect()
}

/// Media streams proper: confirmed, not RTX.
fn media_streams(r: &Report) -> impl Iterator<Item = &crate::streams::Stream> {
    r.streams
        .iter()
        .filter(|s| s.confirmed && s.rtx_of.is_none() && s.rtx_reason.is_none())
}

/// Consent (RFC 7675): on a pair that succeeded, checks keep being sent after its last
/// success and are no longer answered.
///
/// The finding's time is when the path died as closely as the capture shows it: the last
/// media packet the unanswering side sent on the path, when that came after the last answer
/// (and before the last unanswered check: the side went quiet, rather than only its answers
/// getting lost); otherwise the last answer. Consent checks are seconds apart, media packets
/// milliseconds, so the last media packet is the closer bound.
fn consent_findings(ix: &Index<'_>, s: &SessionReport, end: i64, out: &mut Vec<Finding>) {
    for sel in &s.selected {
        let Some(p) = s.pairs.iter().find(|p| p.id == sel.pair) else {
            continue;
        };
        let Some((last_success, after)) = consent_loss(p) else {
            continue;
        };
        let last_request = *after.last().expect("consent_loss keeps 3 or more");
        let remote_media = ix
            .media_on(p.remote, p.local)
            .filter(|m| m.src == p.remote && m.dst == p.local)
            .map(|m| m.last_ns)
            .max()
            .filter(|&t| t > last_success && t <= last_request);
        {
            let silent_s = end.max(last_request).saturating_sub(last_success) as f64 / 1e9;
            // The answer's packet number, from the timeline.
            let packet = p.timeline.iter().find_map(|e| match *e {
                PairEvent::Success { at_ns, packet, .. } if at_ns == last_success => Some(packet),
                _ => None,
            });
            let mut evidence = vec![Evidence {
                what: "last answered consent check".into(),
                at_ns: Some(last_success),
                packet,
            }];
            if let Some(t) = remote_media {
                evidence.push(Evidence::at(
                    format!(
                        "last media packet from {}, not followed by any answer",
                        p.remote
                    ),
                    t,
                ));
            }
            evidence.push(Evidence::at(
                format!("{} unanswered check(s), the last here", after.len()),
                last_request,
            ));
            out.push(Finding {
                id: "ice.consent-lost",
                severity: Severity::Failure,
                at_ns: Some(remote_media.unwrap_or(last_success)),
                verdict: format!(
                    "Consent checks on the selected pair {} → {} stopped being answered: {} \
                     check(s) over {silent_s:.1} s after the last answer (RFC 7675 ends the \
                     call about 30 s after the last answer).",
                    p.local,
                    p.remote,
                    after.len()
                ),
                evidence,
                advice: "The path died mid-call (network change, NAT binding or firewall timeout, \
                         the peer went away): an ICE restart or a relay would recover it."
                    .into(),
            });
        }
    }
}

/// A client that only ever tried TURN and never got an allocation: Allocate requests to a
/// server, none granted, and no ICE check at all in the capture and no server-reflexive
/// address learned but on the TURN sockets themselves (an agent with host or STUN candidates
/// gathers and checks them whatever TURN does):
/// the shape of `iceTransportPolicy: "relay"` (a relay-only configuration) with a TURN server
/// that refused or never answered. ICE never started, so the call could not connect.
fn relay_only_no_allocation(r: &Report, ix: &Index<'_>, out: &mut Vec<Finding>) {
    let tried: Vec<&Allocation> = r
        .turn_allocations
        .iter()
        .filter(|a| a.allocate_requests > 0)
        .collect();
    let checks: u32 = r
        .ice_sessions
        .iter()
        .flat_map(|s| s.pairs.iter())
        .map(|p| p.requests)
        .sum();
    // A Binding on the allocation's own 5-tuple is not STUN gathering (libwebrtc asks the
    // TURN server for its reflexive address on the socket it allocates from).
    let sockets: Set<(SocketAddr, SocketAddr)> = r
        .turn_allocations
        .iter()
        .map(|a| (a.client, a.server))
        .collect();
    let stun_gathering = r
        .reflexive
        .iter()
        .any(|x| !sockets.contains(&(x.local, x.server)));
    // A call that ran anyway (on a path the capture shows as DTLS or media without its ICE,
    // e.g. checks on another interface) was not stuck without candidates.
    let clients: Set<std::net::IpAddr> = tried.iter().map(|a| a.client.ip()).collect();
    let media_seen = r.flows.iter().any(|f| {
        f.counts.dtls + f.counts.rtp + f.counts.rtcp + f.counts.sctp > 0
            && (clients.contains(&f.a.ip()) || clients.contains(&f.b.ip()))
    });
    // The SDPs, when given, settle the configuration: a host or server-reflexive candidate
    // in them is not relay-only; only relay candidates (or none at all: gathering found
    // nothing it could use) is.
    let sdp = r.sdp_candidate_types.as_deref();
    let sdp_not_relay_only = sdp.is_some_and(|t| t.iter().any(|x| x != "relay"));
    if tried.is_empty()
        || r.turn_allocations.iter().any(allocated)
        || checks > 0
        || stun_gathering
        || media_seen
        || sdp_not_relay_only
    {
        return;
    }
    let mut reasons: Vec<String> = Vec::new();
    let mut evidence = Vec::new();
    for group in turn_groups(&r.turn_allocations) {
        let group: Vec<&Allocation> = group
            .into_iter()
            .filter(|a| a.allocate_requests > 0)
            .collect();
        let Some(first) = group.first() else {
            continue;
        };
        let server = format!("{} over {}", first.server, transport_name(first.transport));
        let requests: u32 = group.iter().map(|a| a.allocate_requests).sum();
        evidence.push(Evidence::count(format!(
            "{} to {server}, on {}, none granted",
            count(u64::from(requests), "Allocate request", "Allocate requests"),
            allocations_words(&group)
        )));
        let errors: Vec<&crate::turn::ErrorSeen> =
            group.iter().flat_map(|a| a.errors.iter()).collect();
        if errors.iter().any(|e| e.code == 401 && e.after_credentials) {
            reasons.push(format!("{server} refused the credentials (401)"));
        } else if errors.is_empty() {
            reasons.push(format!("{server} never answered"));
        } else if errors.iter().all(|e| e.code == 401) {
            reasons.push(format!(
                "{server} challenged (401) and the client never answered with credentials"
            ));
        } else {
            let mut codes: Vec<String> = errors
                .iter()
                .filter(|e| e.code != 401)
                .map(|e| format!("{} {}", e.code, e.reason))
                .collect();
            codes.sort();
            codes.dedup();
            reasons.push(format!("{server} answered {}", codes.join(", ")));
        }
        // The refusals, not the normal first challenge (unless that is all there was).
        let telling: Vec<&crate::turn::ErrorSeen> = errors
            .iter()
            .copied()
            .filter(|e| e.code != 401 || e.after_credentials)
            .collect();
        let shown = if telling.is_empty() { errors } else { telling };
        evidence.extend(error_evidence(shown.into_iter()).into_iter().take(2));
    }
    evidence.push(Evidence::count(
        "no ICE connectivity check in the capture, and no STUN Binding but on the TURN \
         sockets"
            .into(),
    ));
    if let Some(types) = sdp {
        evidence.push(Evidence::count(if types.is_empty() {
            "the SDPs announce no candidate at all: with relay-only gathering and no \
             allocation there was nothing to offer"
                .into()
        } else {
            format!("the SDPs announce only relay candidates ({})", types.len())
        }));
    }
    // When it was settled: the last answer that refused an allocation, or, for a server that
    // never answered, the last request to it. (After the TURN finding that says why.)
    let at = tried
        .iter()
        .filter_map(|a| {
            a.errors
                .iter()
                .map(|e| e.at_ns)
                .max()
                .or_else(|| ix.allocation_flow(a).map(|f| f.last_ns))
        })
        .max();
    out.push(Finding {
        id: "ice.relay-only-no-allocation",
        severity: Severity::Failure,
        at_ns: at,
        verdict: match sdp {
            Some(_) => format!(
                "The client is configured relay-only (its SDP offers relay candidates only, and \
                 it tried TURN and nothing else) and never got an allocation, so ICE had no \
                 candidate to check and never started: {}.",
                reasons.join("; ")
            ),
            None => format!(
                "The client looks configured relay-only (it tried TURN and nothing else: no host \
                 or server-reflexive candidate was ever checked) and never got an allocation, so \
                 ICE had no candidate to check and never started: {}.",
                reasons.join("; ")
            ),
        },
        evidence,
        advice: "Fix the TURN server (credentials, reachability; see the TURN finding), or allow \
                 other candidates (iceTransportPolicy \"all\") if relaying is not required."
            .into(),
    });
}

/// A nomination seen on the wire: a success answering a USE-CANDIDATE check of `pair` (its
/// time and packet number).
#[derive(Clone, Copy)]
struct Nomination<'a> {
    pair: &'a PairReport,
    at_ns: i64,
    packet: Option<u64>,
}

/// Every nomination of a session's pairs, in time order: each success that follows a
/// USE-CANDIDATE check in its pair's timeline (the controlling agent keeps nominating the
/// pair it uses, so a run of the same pair is one choice). A pair whose timeline was capped
/// before it shows one counts once, at its first success.
fn nominations(s: &SessionReport) -> Vec<Nomination<'_>> {
    let mut v = Vec::new();
    for p in s.pairs.iter().filter(|p| p.use_candidate_sent) {
        let mut pending = false;
        let mut any = false;
        for e in &p.timeline {
            match *e {
                PairEvent::Request {
                    use_candidate: true,
                    ..
                } => pending = true,
                PairEvent::Success { at_ns, packet, .. } if pending => {
                    v.push(Nomination {
                        pair: p,
                        at_ns,
                        packet: Some(packet),
                    });
                    pending = false;
                    any = true;
                }
                _ => {}
            }
        }
        if let (false, true, Some(at)) = (any, p.nominated, p.succeeded_ns) {
            v.push(Nomination {
                pair: p,
                at_ns: at,
                packet: None,
            });
        }
    }
    v.sort_by_key(|n| n.at_ns);
    v
}

/// The path a pair is, in words: `A → B`, with `(relayed)` when it went through TURN.
fn pair_words(p: &PairReport) -> String {
    format!(
        "{} → {}{}",
        p.local,
        p.remote,
        if p.relay.is_some() { " (relayed)" } else { "" }
    )
}

/// "+12.345 s" from the start of the capture.
fn since_start(r: &Report, at_ns: i64) -> String {
    format!(
        "+{:.3} s",
        at_ns.saturating_sub(r.start_ns.unwrap_or(at_ns)) as f64 / 1e9
    )
}

/// The selected pair changed: within a session, the controlling agent nominated another pair
/// [`RENOMINATION_MIN_NS`] or more after the one before (renomination); or a new session
/// between the same hosts took over from one that had connected (an ICE restart, new ufrags).
/// A notice: the call may well go on, and the evidence says when and to what.
fn selected_pair_changes(r: &Report, ix: &Index<'_>, out: &mut Vec<Finding>) {
    for s in &r.ice_sessions {
        let mut current: Option<Nomination<'_>> = None;
        for n in nominations(s) {
            let Some(c) = current else {
                current = Some(n);
                continue;
            };
            if n.pair.id == c.pair.id {
                continue;
            }
            if n.at_ns.saturating_sub(c.at_ns) < RENOMINATION_MIN_NS {
                // The same choice being made: the better pair (the later one, at equal
                // priority) is the one kept.
                if n.pair.priority >= c.pair.priority {
                    current = Some(Nomination {
                        at_ns: c.at_ns,
                        ..n
                    });
                }
                continue;
            }
            let from = c.pair;
            out.push(Finding {
                id: "ice.selected-pair-changed",
                severity: Severity::Notice,
                at_ns: Some(n.at_ns),
                verdict: format!(
                    "The selected pair changed at {} from {} to {} (renomination: agent {} \
                     nominated another pair in the same ICE session).",
                    since_start(r, n.at_ns),
                    pair_words(from),
                    pair_words(n.pair),
                    n.pair.local_ufrag
                ),
                evidence: vec![
                    Evidence {
                        what: format!("{} nominated", pair_words(from)),
                        at_ns: Some(c.at_ns),
                        packet: c.packet,
                    },
                    Evidence {
                        what: format!(
                            "{} nominated (success to a USE-CANDIDATE check)",
                            pair_words(n.pair)
                        ),
                        at_ns: Some(n.at_ns),
                        packet: n.packet,
                    },
                ],
                advice: "A network change (an interface that went or came, a better candidate \
                         trickled in late) moved the call to another path; if it happens often, \
                         look at the network between the peers."
                    .into(),
            });
            current = Some(n);
        }
    }
    ice_restarts(r, ix, out);
}

/// The IP addresses a session's pairs used.
fn session_ips(s: &SessionReport) -> Vec<std::net::IpAddr> {
    distinct(s.pairs.iter().flat_map(|p| [p.local.ip(), p.remote.ip()]))
}

/// Each item once, in the order first met.
fn distinct<T: Copy + Eq + std::hash::Hash>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen: Set<T> = Set::default();
    items.filter(|x| seen.insert(*x)).collect()
}

/// The pair a session settled on: the controlling agent's selected pair (the one it
/// nominated), else any agent's.
fn settled_pair(s: &SessionReport) -> Option<&PairReport> {
    let selected = || {
        s.selected
            .iter()
            .filter_map(|sel| s.pairs.iter().find(|p| p.id == sel.pair))
    };
    selected()
        .find(|p| p.use_candidate_sent)
        .or_else(|| selected().next())
}

/// ICE restarts: see [`selected_pair_changes`] and [`RESTART_GAP_NS`].
///
/// Each session looks back only at the earlier sessions that share an IP address with it (an
/// index by address), through figures worked out once per session: at most
/// [`crate::ice::MAX_SESSIONS`]² / 2 comparisons of numbers where every session shares a host,
/// never a scan of pairs per comparison.
fn ice_restarts(r: &Report, ix: &Index<'_>, out: &mut Vec<Finding>) {
    let mut sessions: Vec<&SessionReport> = r.ice_sessions.iter().collect();
    sessions.sort_by_key(|s| s.first_ns);
    // Per session (in that order): its first success, the pair it settled on, its IPs.
    let connected: Vec<Option<i64>> = sessions
        .iter()
        .map(|s| s.pairs.iter().filter_map(|p| p.succeeded_ns).min())
        .collect();
    let settled: Vec<Option<&PairReport>> = sessions.iter().map(|s| settled_pair(s)).collect();
    let ips: Vec<Vec<std::net::IpAddr>> = sessions.iter().map(|s| session_ips(s)).collect();
    // The sessions (their places in `sessions`, ascending) that used each IP.
    let mut by_ip: crate::Map<std::net::IpAddr, Vec<usize>> = crate::Map::default();
    for (k, v) in ips.iter().enumerate() {
        for ip in v {
            by_ip.entry(*ip).or_default().push(k);
        }
    }
    let mut earlier: Vec<usize> = Vec::new();
    for (k, new) in sessions.iter().enumerate() {
        let Some(to) = settled[k] else {
            continue;
        };
        // The earlier sessions sharing an IP with it, latest first.
        earlier.clear();
        for ip in &ips[k] {
            let with = &by_ip[ip];
            earlier.extend_from_slice(&with[..with.partition_point(|&j| j < k)]);
        }
        earlier.sort_unstable_by(|a, b| b.cmp(a));
        earlier.dedup();
        // The latest earlier session it takes over from.
        let old = earlier.iter().map(|&j| (j, sessions[j])).find(|&(j, old)| {
            connected[j].is_some_and(|t| new.first_ns.saturating_sub(t) >= RENOMINATION_MIN_NS)
                && new.first_ns.saturating_sub(old.last_ns) <= RESTART_GAP_NS
                && old.last_ns <= new.last_ns
                && settled[j].is_some()
        });
        let Some((j, old)) = old else {
            continue;
        };
        // An ICE restart alone keeps the DTLS association (RFC 8842: no new handshake); a new
        // handshake on the new path after the session began is a new call.
        let new_handshake = ix
            .dtls_on(to.local, to.remote)
            .any(|d| d.client_hello_ns.is_some_and(|t| t >= new.first_ns));
        if new_handshake {
            continue;
        }
        let from = settled[j].expect("checked above");
        let nominated = nominations(new)
            .into_iter()
            .find(|n| n.pair.id == to.id)
            .or_else(|| nominations(new).into_iter().next());
        let (at, packet) = match nominated {
            Some(n) => (n.at_ns, n.packet),
            None => (to.succeeded_ns.unwrap_or(to.first_ns), None),
        };
        let last_old = from
            .timeline
            .iter()
            .filter_map(|e| match *e {
                PairEvent::Success { at_ns, packet, .. } => Some((at_ns, packet)),
                _ => None,
            })
            .max_by_key(|x| x.0);
        let mut evidence = Vec::new();
        if let Some((t, n)) = last_old {
            evidence.push(Evidence {
                what: format!(
                    "last answered check on {} (session {} / {})",
                    pair_words(from),
                    old.ufrags.0,
                    old.ufrags.1
                ),
                at_ns: Some(t),
                packet: Some(n),
            });
        }
        evidence.push(Evidence::at(
            format!(
                "first check of the new session {} / {}",
                new.ufrags.0, new.ufrags.1
            ),
            new.first_ns,
        ));
        evidence.push(Evidence {
            what: format!("{} nominated", pair_words(to)),
            at_ns: Some(at),
            packet,
        });
        out.push(Finding {
            id: "ice.selected-pair-changed",
            severity: Severity::Notice,
            at_ns: Some(at),
            verdict: format!(
                "The selected pair changed at {} from {} to {} (ICE restart: new ufrags {} / {} \
                 replaced {} / {}).",
                since_start(r, at),
                pair_words(from),
                pair_words(to),
                new.ufrags.0,
                new.ufrags.1,
                old.ufrags.0,
                old.ufrags.1
            ),
            evidence,
            advice: "An application restarts ICE (restartIce, a new offer with iceRestart) after \
                     a network change or a disconnection: look at what happened just before, \
                     on the old path."
                .into(),
        });
    }
}

/// The allocations of one TURN server and transport: their findings are told once for the
/// group (a browser allocates from every local address, so one wrong password shows as four
/// refused allocations, and one unreachable server as many unanswered ones).
fn turn_groups(all: &[Allocation]) -> Vec<Vec<&Allocation>> {
    let mut groups: Vec<Vec<&Allocation>> = Vec::new();
    let mut of: crate::Map<(SocketAddr, crate::flow::Transport), usize> = crate::Map::default();
    for a in all {
        let g = *of.entry((a.server, a.transport)).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(a);
    }
    groups
}

/// "from 198.51.100.21:46897" or "from 4 allocations (clients 198.51.100.21, 198.51.100.22)".
fn allocations_words(allocs: &[&Allocation]) -> String {
    if let [a] = allocs {
        return format!("the allocation of {}", a.client);
    }
    let ips = distinct(allocs.iter().map(|a| a.client.ip()));
    let shown: Vec<String> = ips.iter().take(4).map(ToString::to_string).collect();
    let more = if ips.len() > 4 {
        format!(" and {} more", ips.len() - 4)
    } else {
        String::new()
    };
    format!(
        "{} allocations (from {}{more})",
        allocs.len(),
        shown.join(", ")
    )
}

/// Evidence for error responses: the first three, with their packet numbers, and a count of
/// the rest.
fn error_evidence<'a>(errors: impl Iterator<Item = &'a crate::turn::ErrorSeen>) -> Vec<Evidence> {
    let mut all: Vec<&crate::turn::ErrorSeen> = errors.collect();
    all.sort_by_key(|e| (e.at_ns, e.packet));
    let n = all.len();
    let mut v: Vec<Evidence> = all
        .iter()
        .take(3)
        .map(|e| Evidence {
            what: format!(
                "{} error {} {:?}{}",
                e.method,
                e.code,
                e.reason,
                e.peer.map(|p| format!(" for peer {p}")).unwrap_or_default()
            ),
            at_ns: Some(e.at_ns),
            packet: Some(e.packet),
        })
        .collect();
    if n > 3 {
        v.push(Evidence::count(format!("and {} more", n - 3)));
    }
    v
}

fn allocated(a: &Allocation) -> bool {
    matches!(
        a.state,
        AllocationState::Allocated | AllocationState::Released
    )
}

/// `first_allocated`: the first allocation of the whole report that was granted.
fn turn_findings(
    r: &Report,
    ix: &Index<'_>,
    first_allocated: Option<&Allocation>,
    group: &[&Allocation],
    end: i64,
    out: &mut Vec<Finding>,
) {
    let server = group[0].server;
    let transport = transport_name(group[0].transport);
    // 437 answers a rebinding explains are told there, not again as a bare 437.
    let explained = nat_rebinding(r, ix, group, out);
    // A 401 to a request that carried MESSAGE-INTEGRITY refused the credentials (the 401 to
    // a request without it is the normal challenge). Allocations that got through in the end
    // had only a stale credential on the way.
    let refused: Vec<&Allocation> = group
        .iter()
        .copied()
        .filter(|a| {
            !allocated(a)
                && a.errors
                    .iter()
                    .any(|e| e.code == 401 && e.after_credentials)
        })
        .collect();
    if !refused.is_empty() {
        let errors = || {
            refused
                .iter()
                .flat_map(|a| a.errors.iter())
                .filter(|e| e.code == 401 && e.after_credentials)
        };
        let mut users: Vec<&str> = refused
            .iter()
            .filter_map(|a| a.username.as_deref())
            .collect();
        users.dedup();
        out.push(Finding {
            id: "turn.wrong-credentials",
            severity: Severity::Failure,
            at_ns: errors().map(|e| e.at_ns).min(),
            verdict: format!(
                "The TURN server {server} refused the credentials{}: {} carrying them \
                 answered 401 Unauthorized, on {}.",
                match users.as_slice() {
                    [] => String::new(),
                    [u] => format!(" (username {u:?})"),
                    [u, ..] => format!(" (usernames {u:?} and others)"),
                },
                count(errors().count() as u64, "request", "requests"),
                allocations_words(&refused),
            ),
            evidence: error_evidence(errors()),
            advice: "Check the TURN username and password (or the shared secret and clock of \
                     time-limited credentials) given to the client."
                .into(),
        });
    }
    let simple: [(u16, &str, Severity, &str, &str); 7] = [
        (
            403,
            "turn.forbidden",
            Severity::Failure,
            "The TURN server answered 403 Forbidden",
            "The server's policy refuses this request (a peer address it denies, e.g. a private \
             or loopback address, or a user not allowed to relay): check its denied-peer-ip \
             and allowed-peer-ip settings.",
        ),
        (
            437,
            "turn.allocation-mismatch",
            Severity::Degraded,
            "The TURN server answered 437 Allocation Mismatch",
            "The client reused a 5-tuple that already has (or no longer has) an allocation, \
             often after a NAT rebinding or a client restart: it should allocate afresh.",
        ),
        (
            441,
            "turn.wrong-credentials",
            Severity::Failure,
            "The TURN server answered 441 Wrong Credentials",
            "A request used other credentials than the allocation's: keep one username per \
             allocation.",
        ),
        (
            442,
            "turn.unsupported-transport",
            Severity::Failure,
            "The TURN server answered 442 Unsupported Transport Protocol",
            "The client asked for a relay transport the server does not offer (e.g. TCP \
             relaying): ask for UDP.",
        ),
        (
            486,
            "turn.quota",
            Severity::Failure,
            "The TURN server answered 486 Allocation Quota Reached",
            "The user has too many allocations on this server: raise the quota (user-quota) \
             or release allocations that are left over.",
        ),
        (
            508,
            "turn.insufficient-capacity",
            Severity::Failure,
            "The TURN server answered 508 Insufficient Capacity",
            "The server has no relay ports left: raise its port range or add servers.",
        ),
        (
            438,
            "turn.stale-nonce",
            Severity::Notice,
            "The TURN server answered 438 Stale Nonce",
            "Normal when a nonce expires (the client retries with the new one); if it repeats \
             without success the client is not taking the new nonce.",
        ),
    ];
    for (code, id, severity, words, advice) in simple {
        let told = |e: &crate::turn::ErrorSeen| e.code == code && !explained.contains(&e.packet);
        let hit: Vec<&Allocation> = group
            .iter()
            .copied()
            .filter(|a| a.errors.iter().any(told))
            .collect();
        let errors = || hit.iter().flat_map(|a| a.errors.iter()).filter(|e| told(e));
        let Some(first) = errors().min_by_key(|e| e.at_ns) else {
            continue;
        };
        // A 438 followed by success is routine; one that ends an allocation is a failure.
        let severity = if code == 438 && hit.iter().any(|a| !allocated(a)) {
            Severity::Failure
        } else {
            severity
        };
        let mut methods: Vec<&str> = errors().map(|e| e.method.as_str()).collect();
        methods.sort_unstable();
        methods.dedup();
        // The peers the refused requests named (a 403's forbidden peer addresses).
        let peers = distinct(errors().filter_map(|e| e.peer.map(|p| p.ip())));
        let peers = match peers.as_slice() {
            [] => String::new(),
            [p] => format!(" for peer {p}"),
            [p, q] => format!(" for peers {p} and {q}"),
            [p, q, rest @ ..] => format!(" for peers {p}, {q} and {} more", rest.len()),
        };
        out.push(Finding {
            id,
            severity,
            at_ns: Some(first.at_ns),
            verdict: format!(
                "{words} to {}{peers} ({}, on {}).",
                methods.join(" and "),
                count(errors().count() as u64, "time", "times"),
                allocations_words(&hit)
            ),
            evidence: error_evidence(errors()),
            advice: advice.into(),
        });
    }
    // An allocation that lapsed: granted for L seconds, never refreshed, and the capture goes on
    // past its end.
    let expired: Vec<(&Allocation, i64, i64, u32)> = group
        .iter()
        .filter_map(|a| match (a.state, a.allocated_ns, a.lifetime_s) {
            (AllocationState::Allocated, Some(at), Some(life)) if a.refreshes == 0 && life > 0 => {
                let expiry = at.saturating_add(i64::from(life).saturating_mul(1_000_000_000));
                (end > expiry).then_some((*a, at, expiry, life))
            }
            _ => None,
        })
        .collect();
    if let Some(&(_, at, expiry, life)) = expired.iter().min_by_key(|x| x.2) {
        let allocs: Vec<&Allocation> = expired.iter().map(|x| x.0).collect();
        let mut evidence = vec![Evidence::at(format!("allocated, lifetime {life} s"), at)];
        evidence.push(Evidence::count("no Refresh request seen".into()));
        out.push(Finding {
            id: "turn.allocation-expired",
            severity: Severity::Failure,
            at_ns: Some(expiry),
            verdict: format!(
                "The TURN allocation expired: granted for {life} s by {server} and never \
                 refreshed, so the server dropped it at this time while the capture went on \
                 ({}).",
                allocations_words(&allocs)
            ),
            evidence,
            advice: "The client must send Refresh before the lifetime ends (typically a \
                     minute before)."
                .into(),
        });
    }
    // A channel the client kept sending on after its binding lapsed: the server drops it.
    let lapsed: Vec<(&Allocation, &crate::turn::ChannelBinding)> = group
        .iter()
        .flat_map(|a| a.channels.iter().map(move |c| (*a, c)))
        .filter(|(_, c)| c.sent_after_expiry > 0)
        .collect();
    if let Some(&(a, c)) = lapsed.iter().min_by_key(|(_, c)| c.first_after_expiry) {
        let (packet, at) = c.first_after_expiry.expect("sent after expiry");
        let expiry = c
            .refreshed_ns
            .saturating_add(crate::turn::CHANNEL_LIFETIME_NS);
        let sent: u64 = lapsed.iter().map(|(_, c)| c.sent_after_expiry).sum();
        out.push(Finding {
            id: "turn.channel-expired",
            severity: Severity::Failure,
            at_ns: Some(expiry),
            verdict: format!(
                "The TURN channel 0x{:04x} of {} to {} expired 600 s after its last ChannelBind, \
                 and the client went on sending through it: {} after expiry{}, which {server} \
                 drops.",
                c.channel,
                a.client,
                c.peer,
                count(sent, "ChannelData message", "ChannelData messages"),
                if lapsed.len() > 1 {
                    format!(" on {} channels", lapsed.len())
                } else {
                    String::new()
                }
            ),
            evidence: vec![
                Evidence::at(
                    format!("channel 0x{:04x} last bound to {}", c.channel, c.peer),
                    c.refreshed_ns,
                ),
                Evidence {
                    what: format!("first ChannelData on 0x{:04x} after its expiry", c.channel),
                    at_ns: Some(at),
                    packet: Some(packet),
                },
            ],
            advice: "The client must refresh each channel with another ChannelBind before its 10 \
                     minutes run out (this also refreshes the peer's permission); media through an \
                     expired channel is lost."
                .into(),
        });
    }
    permission_expired(group, out);
    let unanswered: Vec<&Allocation> = group
        .iter()
        .copied()
        .filter(|a| a.state == AllocationState::Requested && a.allocate_requests >= 3)
        .collect();
    if !unanswered.is_empty() {
        // Another allocation that worked (often over TCP or TLS after UDP failed) makes this
        // a detour rather than a failure.
        let worked = first_allocated;
        let requests: u64 = unanswered
            .iter()
            .map(|a| u64::from(a.allocate_requests))
            .sum();
        let flows: Vec<&FlowReport> = unanswered
            .iter()
            .filter_map(|a| ix.allocation_flow(a))
            .collect();
        let mut evidence: Vec<Evidence> = unanswered
            .iter()
            .take(3)
            .map(|a| {
                Evidence::count(format!(
                    "{} Allocate request(s) from {}, no response",
                    a.allocate_requests, a.client
                ))
            })
            .collect();
        // ICMP errors quoting the requests: refused, not lost.
        let mut icmp: Vec<(&'static str, std::net::IpAddr)> = Vec::new();
        for e in flows.iter().flat_map(|f| f.icmp_errors.iter()).take(3) {
            let words = icmp_words(e.family, e.icmp_type, e.code);
            if !icmp
                .iter()
                .any(|(w, from)| *w == words && *from == e.reported_by)
            {
                icmp.push((words, e.reported_by));
            }
            evidence.push(Evidence {
                what: format!(
                    "{} {words} from {} ({} time(s)) for {}",
                    e.family, e.reported_by, e.count, e.unreachable
                ),
                at_ns: Some(e.first_ns),
                packet: Some(e.first_packet),
            });
        }
        out.push(Finding {
            id: "turn.no-answer",
            severity: if worked.is_some() {
                Severity::Notice
            } else {
                Severity::Failure
            },
            at_ns: flows.iter().map(|f| f.first_ns).min(),
            verdict: format!(
                "The TURN server {server} never answered {} over {transport}, on {}{}{}.",
                count(requests, "Allocate request", "Allocate requests"),
                allocations_words(&unanswered),
                match icmp.as_slice() {
                    [] => String::new(),
                    [(w, from), ..] => format!(
                        "; ICMP {w} came back from {from} (nothing listens there, or a firewall \
                         rejects the requests)"
                    ),
                },
                worked
                    .map(|o| format!(
                        "; an allocation at {} over {} worked",
                        o.server,
                        transport_name(o.transport)
                    ))
                    .unwrap_or_default()
            ),
            evidence,
            advice: "The server is down, the address or port is wrong, or a firewall drops the \
                     traffic: try `rtcscope turn` against it."
                .into(),
        });
    }
}

/// The client's source address or port changed under the TURN server mid-allocation (a NAT
/// rebinding: the NAT between client and server dropped the idle mapping and made a new one,
/// or the client moved to another network). Told in two shapes:
///
/// - Seen outside the NAT (at the server, or between the NAT and the server): requests on a
///   new 5-tuple, with the username of an allocation granted before and not released, that
///   never sent an Allocate there (a Refresh, CreatePermission or ChannelBind of the client
///   that thinks its allocation is still there, answered 437 Allocation Mismatch); or a fresh
///   Allocate from a new 5-tuple within [`REBIND_GAP_NS`] after all traffic on the old one
///   stopped, while the old allocation was still valid and had been used (a permission, a
///   channel, data or a Refresh), and the only fresh allocation of that username in that
///   window (a client gathering from several sockets opens many at once); then a notice: a
///   client that opened a new socket after a network change looks the same.
/// - Seen on the client's side of the NAT: a 437 to a Refresh, CreatePermission or
///   ChannelBind on an allocation the server had granted: the server no longer knows the
///   client's 5-tuple (or it restarted).
///
/// Returns the packet numbers of the 437 answers it explains.
///
/// Which allocation took over from which is [`rebinding::predecessors`]: sorts and binary
/// searches over the allocations of one username, not a comparison of every pair.
fn nat_rebinding(
    r: &Report,
    ix: &Index<'_>,
    group: &[&Allocation],
    out: &mut Vec<Finding>,
) -> Set<u64> {
    let mut explained = Set::default();
    // Each allocation's flow (the client's 5-tuple), and the group's places by username.
    let flows: Vec<Option<&FlowReport>> = group.iter().map(|a| ix.allocation_flow(a)).collect();
    let mut of_user: crate::Map<&str, Vec<(usize, &FlowReport)>> = crate::Map::default();
    for (g, a) in group.iter().enumerate() {
        if let (Some(user), Some(f)) = (a.username.as_deref(), flows[g]) {
            of_user.entry(user).or_default().push((g, f));
        }
    }
    // The allocation each one took over from, if any, with its flow (by place in the group).
    let mut took_over: Vec<Option<(&Allocation, &FlowReport)>> = vec![None; group.len()];
    for places in of_user.values() {
        let candidates: Vec<rebinding::Candidate<'_>> = places
            .iter()
            .map(|&(g, f)| rebinding::Candidate {
                a: group[g],
                first_ns: f.first_ns,
                last_ns: f.last_ns,
            })
            .collect();
        for (k, p) in rebinding::predecessors(&candidates).into_iter().enumerate() {
            took_over[places[k].0] = p.map(|p| (group[places[p].0], places[p].1));
        }
    }
    for (g, y) in group.iter().copied().enumerate() {
        let (Some((x, xf)), Some(yf), Some(user)) = (took_over[g], flows[g], y.username.as_deref())
        else {
            continue;
        };
        let orphan = rebinding::orphan(y);
        let mismatches: Vec<&crate::turn::ErrorSeen> =
            y.errors.iter().filter(|e| e.code == 437).collect();
        explained.extend(mismatches.iter().map(|e| e.packet));
        let what = if x.client.ip() == y.client.ip() {
            "source port"
        } else {
            "source address"
        };
        let mut evidence = vec![
            Evidence::at(
                format!(
                    "allocation of {} granted{}",
                    x.client,
                    x.relayed
                        .map(|r| format!(", relayed address {r}"))
                        .unwrap_or_default()
                ),
                x.allocated_ns.unwrap_or(xf.first_ns),
            ),
            Evidence::at(
                format!("last packet between {} and {}", x.client, x.server),
                xf.last_ns,
            ),
            Evidence::at(
                format!(
                    "first packet from {} to {} ({})",
                    y.client,
                    y.server,
                    if orphan {
                        "no Allocate: requests of an allocation it thinks it has"
                    } else {
                        "a fresh Allocate"
                    }
                ),
                yf.first_ns,
            ),
        ];
        evidence.extend(error_evidence(mismatches.iter().copied()));
        out.push(Finding {
            id: "turn.nat-rebinding",
            severity: if orphan {
                Severity::Degraded
            } else {
                Severity::Notice
            },
            at_ns: Some(yf.first_ns),
            verdict: format!(
                "The client's {what} changed under the TURN server {}: the allocation of {} \
                 (username {user:?}) went quiet at {} and the same client came back from {} at \
                 {}{}.",
                x.server,
                x.client,
                since_start(r, xf.last_ns),
                y.client,
                since_start(r, yf.first_ns),
                if orphan {
                    format!(
                        " with requests for an allocation the server does not know on that \
                         5-tuple{}",
                        if mismatches.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " ({} 437 Allocation Mismatch)",
                                count(mismatches.len() as u64, "answer", "answers")
                            )
                        }
                    )
                } else {
                    ", allocating afresh (a NAT rebinding, or a new socket after a network \
                     change)"
                        .to_owned()
                }
            ),
            evidence,
            advice: "A NAT between the client and the server dropped the mapping (idle longer \
                     than its UDP timeout) or the client changed networks: keep the mapping \
                     alive (TURN Refresh or consent traffic within the NAT's timeout), or let \
                     the client re-allocate and restart ICE when it sees 437."
                .into(),
        });
    }
    // Seen from the client's side: 437 to a request on an allocation the server had granted.
    for x in group.iter().copied() {
        let late: Vec<&crate::turn::ErrorSeen> = x
            .errors
            .iter()
            .filter(|e| {
                e.code == 437
                    && e.method != "Allocate"
                    && !explained.contains(&e.packet)
                    && x.allocated_ns.is_some_and(|t| t < e.at_ns)
            })
            .collect();
        let Some(first) = late.first() else {
            continue;
        };
        explained.extend(late.iter().map(|e| e.packet));
        let mut evidence = vec![Evidence::at(
            format!("allocation of {} granted", x.client),
            x.allocated_ns.unwrap_or(first.at_ns),
        )];
        evidence.extend(error_evidence(late.iter().copied()));
        out.push(Finding {
            id: "turn.nat-rebinding",
            severity: Severity::Degraded,
            at_ns: Some(first.at_ns),
            verdict: format!(
                "The TURN server {} no longer knows the allocation of {}: it answered {} to {} \
                 with 437 Allocation Mismatch after granting it; a NAT between them most likely \
                 rebound the client to another port (this capture is on the client's side of \
                 it), or the server restarted.",
                x.server,
                x.client,
                count(late.len() as u64, "request", "requests"),
                first.method
            ),
            evidence,
            advice: "Keep the NAT mapping alive (TURN Refresh or consent traffic within the \
                     NAT's UDP timeout); the client must allocate afresh and restart ICE."
                .into(),
        });
    }
    explained
}

/// A permission the client kept sending through after it lapsed (RFC 8656 §9: 300 s after the
/// last CreatePermission or ChannelBind for the peer): the server drops that data. Data from
/// the peer that still arrived after the moment shows the server kept the permission (a refresh
/// the capture missed): then it is only a notice.
fn permission_expired(group: &[&Allocation], out: &mut Vec<Finding>) {
    let lapsed: Vec<(&Allocation, &crate::turn::PermissionTimes)> = group
        .iter()
        .flat_map(|a| a.permission_times.iter().map(move |t| (*a, t)))
        .filter(|(_, t)| t.sent_after_expiry > 0)
        .collect();
    let Some(&(a, t)) = lapsed.iter().min_by_key(|(_, t)| t.first_after_expiry) else {
        return;
    };
    let (packet, at) = t.first_after_expiry.expect("sent after expiry");
    let expiry = t
        .refreshed_ns
        .saturating_add(crate::turn::PERMISSION_LIFETIME_NS);
    let sent: u64 = lapsed.iter().map(|(_, t)| t.sent_after_expiry).sum();
    let received: u64 = lapsed.iter().map(|(_, t)| t.received_after_expiry).sum();
    let server = a.server;
    let mut evidence = vec![
        Evidence::at(
            format!(
                "permission for {} {} (CreatePermission or ChannelBind)",
                t.peer,
                if t.refreshed_ns == t.installed_ns {
                    "installed, never refreshed"
                } else {
                    "last refreshed"
                }
            ),
            t.refreshed_ns,
        ),
        Evidence::at("its 300 s ran out".into(), expiry),
        Evidence {
            what: format!("first data from {} to {} after that", a.client, t.peer),
            at_ns: Some(at),
            packet: Some(packet),
        },
        Evidence::count(format!(
            "{} sent to the peer after expiry",
            count(sent, "message", "messages")
        )),
    ];
    if received > 0 {
        evidence.push(Evidence::count(format!(
            "{} from the peer still relayed after expiry",
            count(received, "message", "messages")
        )));
    }
    out.push(Finding {
        id: "turn.permission-expired",
        severity: if received > 0 {
            Severity::Notice
        } else {
            Severity::Failure
        },
        at_ns: Some(expiry),
        verdict: if received > 0 {
            format!(
                "The TURN permission of {} for {} was last refreshed more than 300 s before data \
                 still sent through it ({}), yet {server} went on relaying data from the peer: a \
                 refresh this capture does not show, or a server that keeps permissions longer.",
                a.client,
                t.peer,
                count(sent, "message", "messages"),
            )
        } else {
            format!(
                "The TURN permission of {} for {} expired 300 s after its last refresh, and the \
                 client went on sending to that peer: {} after expiry{}, which {server} drops.",
                a.client,
                t.peer,
                count(sent, "message", "messages"),
                if lapsed.len() > 1 {
                    format!(" to {} peers", lapsed.len())
                } else {
                    String::new()
                }
            )
        },
        evidence,
        advice: "The client must refresh each permission (CreatePermission, or ChannelBind for a \
                 channel, whose binding lasts 10 minutes but its permission only 5) before its \
                 5 minutes run out; sending data does not refresh it."
            .into(),
    });
}

fn dtls_findings(r: &Report, ix: &Index<'_>, out: &mut Vec<Finding>) {
    // ICE succeeded on a path that never carried a DTLS handshake (each path once, though
    // both agents select it).
    let mut paths_said: Set<Path> = Set::default();
    for s in &r.ice_sessions {
        for sel in &s.selected {
            let Some(p) = s.pairs.iter().find(|p| p.id == sel.pair) else {
                continue;
            };
            if p.state != PairState::Succeeded || !paths_said.insert(path(p.local, p.remote)) {
                continue;
            }
            let flow_media = ix
                .flows_on(p.local, p.remote)
                .any(|f| f.counts.rtp + f.counts.rtcp > 0);
            let handshake = ix.dtls_on(p.local, p.remote).next().is_some();
            if !handshake && !flow_media && p.relay.is_none() {
                let at = p.succeeded_ns.unwrap_or(p.first_ns);
                out.push(Finding {
                    id: "dtls.no-handshake",
                    severity: Severity::Failure,
                    at_ns: Some(at),
                    verdict: format!(
                        "ICE connected {} ↔ {}, but no DTLS handshake and no media followed on \
                         that path.",
                        p.local, p.remote
                    ),
                    evidence: vec![Evidence::at("the pair succeeded".into(), at)],
                    advice: "The DTLS client never started: check the a=setup roles in the SDP \
                             (both passive, or both active) and that the application calls \
                             setRemoteDescription on both sides."
                        .into(),
                });
            }
        }
    }
    for d in &r.dtls {
        let path = format!("{} ↔ {}", d.a, d.b);
        if d.client_hello_ns.is_some() && d.done_ns.is_none() {
            let last = d.timeline.last();
            let mut evidence: Vec<Evidence> = d
                .timeline
                .iter()
                .rev()
                .take(4)
                .rev()
                .map(|e| Evidence::at(format!("{} from {}", e.what, e.from), e.at_ns))
                .collect();
            if d.handshake_retransmissions > 0 {
                evidence.push(Evidence::count(format!(
                    "{} handshake flight(s) retransmitted",
                    d.handshake_retransmissions
                )));
            }
            out.push(Finding {
                id: "dtls.handshake-incomplete",
                severity: Severity::Failure,
                at_ns: last.map(|e| e.at_ns).or(d.client_hello_ns),
                verdict: format!(
                    "The DTLS handshake on {path} started but never finished{}.",
                    last.map(|e| stalled_flight(d, e)).unwrap_or_default()
                ),
                evidence,
                advice: "A flight was lost or refused: retransmissions point to a path that \
                         drops large datagrams (certificates need fragmentation; check the MTU), \
                         an alert to a refusal (see the alert)."
                    .into(),
            });
        }
        // close_notify is a normal goodbye; an encrypted alert after the handshake is almost
        // always one too (it cannot be read without keys), so only one during the handshake
        // counts as a refusal.
        let fatal: Vec<&String> = d
            .alerts
            .iter()
            .filter(|a| !a.contains("close_notify") && !a.contains("close notify"))
            .filter(|a| !(a.contains("encrypted") && d.done_ns.is_some()))
            .collect();
        if !fatal.is_empty() {
            out.push(Finding {
                id: "dtls.alert",
                severity: Severity::Failure,
                at_ns: None,
                verdict: format!(
                    "DTLS on {path} ended with an alert: {}.",
                    fatal
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                evidence: fatal
                    .iter()
                    .map(|a| Evidence::count((*a).clone()))
                    .collect(),
                advice: "The alert names the refusal (bad_certificate, handshake_failure: no \
                         common cipher or SRTP profile, decrypt_error: a fingerprint or key \
                         problem)."
                    .into(),
            });
        }
        // With keys, the alerts decrypted (DTLS 1.3 encrypts them): a fatal one is the refusal
        // itself, and it replaces the shape below.
        let decrypted_fatal: Vec<&String> = r
            .decryption
            .associations
            .iter()
            .filter(|x| {
                (x.a == d.a && x.b == d.b || x.a == d.b && x.b == d.a) && x.relay == d.relay
            })
            .flat_map(|x| x.alerts.iter())
            .filter(|a| a.starts_with("fatal"))
            .collect();
        if !decrypted_fatal.is_empty() {
            out.push(Finding {
                id: "dtls.alert",
                severity: Severity::Failure,
                at_ns: None,
                verdict: format!(
                    "DTLS on {path} ended with an alert (decrypted with the key log): {}.",
                    decrypted_fatal
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                evidence: decrypted_fatal
                    .iter()
                    .map(|a| Evidence::count((*a).clone()))
                    .collect(),
                advice: "The alert names the refusal (bad_certificate: the certificate does not \
                         match the SDP's a=fingerprint; handshake_failure: no common cipher or \
                         SRTP profile; decrypt_error: a key problem)."
                    .into(),
            });
        } else if d.version.as_deref().is_some_and(|v| v.ends_with("1.3")) {
            dtls_ended_after_handshake(ix, d, out);
        }
        if d.fingerprint_check == FingerprintCheck::Mismatch {
            out.push(Finding {
                id: "dtls.fingerprint-mismatch",
                severity: Severity::Failure,
                at_ns: d.done_ns.or(d.client_hello_ns),
                verdict: format!(
                    "A DTLS certificate on {path} matches no a=fingerprint of the SDP: the \
                     browser will refuse the call (or someone is in the middle)."
                ),
                evidence: vec![Evidence::count(
                    "certificate fingerprints differ from the SDP's".into(),
                )],
                advice: "Check that the SDP given belongs to this call, and that no middlebox \
                         rewrites the SDP or terminates DTLS."
                    .into(),
            });
        }
    }
}

fn media_findings(r: &Report, ix: &Index<'_>, out: &mut Vec<Finding>) {
    let streams: Vec<&crate::streams::Stream> = media_streams(r).collect();
    // The last success of each path that lost consent.
    let mut lost: crate::Map<Path, Vec<i64>> = crate::Map::default();
    for (x, y, last_success) in consent_lost_paths(r) {
        lost.entry(path(x, y)).or_default().push(last_success);
    }
    // Streams already explained by a finding of their own (a path that died, one side's
    // media that stopped mid-call): no stream-stopped finding repeats them.
    let mut explained: Set<u32> = Set::default();
    for s in &streams {
        if lost
            .get(&path(s.src, s.dst))
            .is_some_and(|v| v.iter().any(|&last_success| s.last_ns >= last_success))
        {
            explained.insert(s.ssrc);
        }
    }
    one_way_midcall(r, ix, &mut explained, out);
    // One-way media: a flow whose streams all go one way, while the other side is there.
    for f in r.flows.iter().filter(|f| f.counts.rtp > 0) {
        let on: Vec<&crate::streams::Stream> = ix
            .media_on(f.a, f.b)
            .filter(|s| s.flow.transport == f.transport && s.relay == f.relay)
            .collect();
        if on.iter().map(|s| s.packets).sum::<u64>() < ONE_WAY_MIN_PACKETS {
            continue;
        }
        let from_a = on.iter().filter(|s| s.src == f.a).count();
        let from_b = on.iter().filter(|s| s.src == f.b).count();
        // The other side is there (answers consent, sends RTCP) yet sends no media.
        let both_talk = f.packets[0] >= 5 && f.packets[1] >= 5;
        if both_talk && (from_a == 0 || from_b == 0) {
            let (sender, silent) = if from_a > 0 { (f.a, f.b) } else { (f.b, f.a) };
            out.push(Finding {
                id: "media.one-way",
                severity: Severity::Failure,
                at_ns: Some(f.first_ns),
                verdict: format!(
                    "One-way media: {sender} sends {} RTP stream(s), {silent} sends none back \
                     although it is there (it answers on the same path).",
                    on.len()
                ),
                evidence: vec![Evidence::count(format!(
                    "{sender} → {silent}: {} packets; {silent} → {sender}: {} packets, no RTP",
                    if sender == f.a {
                        f.packets[0]
                    } else {
                        f.packets[1]
                    },
                    if sender == f.a {
                        f.packets[1]
                    } else {
                        f.packets[0]
                    }
                ))],
                advice: "The silent side is not sending: a track not added or muted, a \
                         direction of recvonly/inactive in its SDP, or a media permission \
                         refused."
                    .into(),
            });
        }
    }
    for s in &streams {
        let label = format!(
            "{} stream {:#010x} {} → {}",
            kind_name(s.kind),
            s.ssrc,
            s.src,
            s.dst
        );
        // A stream that stops while its flow goes on.
        let flow_last = ix
            .flows_on(s.src, s.dst)
            .filter(|f| f.transport == s.flow.transport && f.relay == s.relay)
            .map(|f| f.last_ns)
            .max()
            .unwrap_or(s.last_ns);
        // Only audio or video known as such: an RTX stream not known as one (no SDP, no
        // padding probe to give it away) is sporadic by nature.
        let media = s.kind != crate::streams::MediaKind::Unknown;
        if media
            && s.packets >= 50
            && flow_last.saturating_sub(s.last_ns) >= STOPPED_NS
            && !explained.contains(&s.ssrc)
        {
            out.push(Finding {
                id: "media.stream-stopped",
                severity: Severity::Degraded,
                at_ns: Some(s.last_ns),
                verdict: format!(
                    "The {label} stopped {:.1} s before its path went quiet.",
                    flow_last.saturating_sub(s.last_ns) as f64 / 1e9
                ),
                evidence: vec![
                    Evidence::at(format!("last packet of {:#010x}", s.ssrc), s.last_ns),
                    Evidence::at("the path still carried packets".into(), flow_last),
                ],
                advice: "The sender stopped or removed the track (or muted it with \
                         replaceTrack(null)); if unintended, look at the sender's application."
                    .into(),
            });
        }
        // A stream that stopped and came back: how long, and whether the sender paused (its
        // sequence numbers go on) or what it sent meanwhile was lost (they jump).
        if let Some(g) = s
            .longest_gap
            .filter(|g| media && s.packets >= 50 && g.to_ns - g.from_ns >= INTERRUPTED_NS)
            .filter(|_| !explained.contains(&s.ssrc))
        {
            let lost = g.seq_step > 1 && g.seq_step < 0x8000;
            out.push(Finding {
                id: "media.interrupted",
                severity: Severity::Degraded,
                at_ns: Some(g.from_ns),
                verdict: format!(
                    "The {label} was interrupted for {:.1} s{}.",
                    (g.to_ns - g.from_ns) as f64 / 1e9,
                    if lost {
                        format!(
                            ": the {} packets sent meanwhile never reached the capture point",
                            g.seq_step - 1
                        )
                    } else {
                        ": the sender paused".into()
                    }
                ),
                evidence: vec![
                    Evidence::at(
                        format!("last packet of {:#010x} before the gap", s.ssrc),
                        g.from_ns,
                    ),
                    Evidence::at("first packet after it".into(), g.to_ns),
                    Evidence::count(if lost {
                        format!(
                            "its sequence numbers jumped by {} across the gap",
                            g.seq_step
                        )
                    } else {
                        "its sequence numbers went on without a jump".into()
                    }),
                ],
                advice: if lost {
                    let mut a = "Everything the sender sent for that long was lost before the \
                                 capture point: a network outage (a link or Wi-Fi drop, roaming, \
                                 a firewall or NAT change); compare captures along the path."
                        .to_owned();
                    if s.kind == crate::streams::MediaKind::Video {
                        a.push_str(
                            " The receiver needs a key frame afterwards (a PLI or FIR in its RTCP) and \
                             the picture freezes until it arrives.",
                        );
                    }
                    a
                } else {
                    "The sender stopped sending for a while (a muted or replaced track, a stalled \
                     encoder or CPU); look at the sending application."
                        .into()
                },
            });
        }
        if s.expected >= 100 {
            let loss = s.lost as f64 / s.expected as f64;
            if loss >= LOSS_NOTICE {
                // When: the stretches of the stream where its loss was at least the notice
                // share (buckets with enough packets to say so).
                let spans = s.quality.spans_over(
                    SPAN_WINDOW_NS,
                    |b| {
                        b.expected() >= SPAN_MIN_EXPECTED
                            && b.loss_fraction().is_some_and(|l| l >= LOSS_NOTICE)
                    },
                    MAX_SPANS,
                );
                let mut evidence = vec![Evidence::count(format!(
                    "sequence numbers {}..{}: {} unique, {} missing",
                    s.base_ext_seq, s.max_ext_seq, s.unique, s.lost
                ))];
                evidence.extend(spans.iter().map(|sp| {
                    Evidence::at(
                        format!(
                            "{:.1} % lost over {} ({} of {} packets)",
                            sp.merged.loss_fraction().unwrap_or(0.0) * 100.0,
                            crate::fmt::duration(sp.end_ns - sp.start_ns),
                            sp.merged.lost_unique().max(0),
                            sp.merged.expected()
                        ),
                        sp.start_ns,
                    )
                }));
                out.push(Finding {
                    id: "media.loss",
                    severity: if loss >= LOSS_DEGRADED {
                        Severity::Degraded
                    } else {
                        Severity::Notice
                    },
                    at_ns: Some(spans.first().map_or(s.first_ns, |sp| sp.start_ns)),
                    verdict: format!(
                        "The {label} lost {:.1} % of its packets ({} of {}){}.",
                        loss * 100.0,
                        s.lost,
                        s.expected,
                        if s.loss_uncertain {
                            "; the capture itself dropped packets, so some of it may be the \
                             capture's"
                        } else {
                            ""
                        }
                    ),
                    evidence,
                    advice: "Loss on the path to the capture point: compare captures at both \
                             ends to find the hop; RTX and FEC hide some of it from users."
                        .into(),
                });
            }
        }
        let jitter_limit = match s.kind {
            crate::streams::MediaKind::Video => VIDEO_JITTER_DEGRADED_MS,
            _ => JITTER_DEGRADED_MS,
        };
        // When: the stretches where the jitter reached the limit (a burst mid-call shows
        // even when the jitter has settled again by the end).
        let spans = s.quality.spans_over(
            SPAN_WINDOW_NS,
            |b| b.jitter_max_ms().is_some_and(|m| m >= jitter_limit),
            MAX_SPANS,
        );
        let final_jitter = s.jitter_ms.filter(|&j| j >= jitter_limit);
        if final_jitter.is_some() || !spans.is_empty() {
            let worst = spans
                .iter()
                .filter_map(|sp| sp.merged.jitter_max_ms())
                .chain(final_jitter)
                .fold(0.0f64, f64::max);
            let mut evidence = vec![Evidence::count(format!(
                "interarrival jitter {} ms at the capture point at the end, up to {worst:.1} ms",
                s.jitter_ms.map_or("-".into(), |j| format!("{j:.1}"))
            ))];
            evidence.extend(spans.iter().map(|sp| {
                Evidence::at(
                    format!(
                        "jitter up to {:.1} ms over {}",
                        sp.merged.jitter_max_ms().unwrap_or(0.0),
                        crate::fmt::duration(sp.end_ns - sp.start_ns)
                    ),
                    sp.start_ns,
                )
            }));
            out.push(Finding {
                id: "media.jitter",
                severity: Severity::Degraded,
                at_ns: Some(spans.first().map_or(s.first_ns, |sp| sp.start_ns)),
                verdict: match final_jitter {
                    Some(j) => {
                        format!("The {label} arrives with {j:.1} ms of jitter (RFC 3550).")
                    }
                    None => format!(
                        "The {label} arrived with up to {worst:.1} ms of jitter (RFC 3550) at \
                         times; it settled by the end."
                    ),
                },
                evidence,
                advice: "Queues on the path vary: congestion or Wi-Fi; the receiver's jitter \
                         buffer will add delay to cover it."
                    .into(),
            });
        }
        if let Some(x) = reordering(s, &label) {
            out.push(x);
        }
        if let Some(x) = without_rtcp(ix, s, &label) {
            out.push(x);
        }
    }
    // Retransmissions (on the RTX stream) against the packets of the stream they repair.
    for rtx in r.streams.iter().filter(|s| s.confirmed) {
        let Some(primary) = rtx
            .rtx_of
            .and_then(|p| ix.media_of_ssrc(p).find(|s| s.relay == rtx.relay))
        else {
            continue;
        };
        if primary.packets >= 100
            && rtx.retransmissions as f64 >= RTX_DEGRADED * primary.packets as f64
        {
            out.push(Finding {
                id: "media.retransmissions",
                severity: Severity::Degraded,
                at_ns: Some(rtx.first_ns),
                verdict: format!(
                    "The {} stream {:#010x} {} → {} needed {} retransmissions for {} packets \
                     ({:.0} %).",
                    kind_name(primary.kind),
                    primary.ssrc,
                    primary.src,
                    primary.dst,
                    rtx.retransmissions,
                    primary.packets,
                    100.0 * rtx.retransmissions as f64 / primary.packets as f64
                ),
                evidence: vec![Evidence::count(format!(
                    "{} RTX packets on {:#010x} repaired NACKed or missing packets",
                    rtx.retransmissions, rtx.ssrc
                ))],
                advice: "The receiver is losing packets and getting them again: see its loss \
                         on the path."
                    .into(),
            });
        }
    }
}

/// Reordering: at least [`REORDER_MIN_PACKETS`] packets, [`REORDER_NOTICE`] of them late.
fn reordering(s: &crate::streams::Stream, label: &str) -> Option<Finding> {
    if s.packets < REORDER_MIN_PACKETS {
        return None;
    }
    let share = s.reordered as f64 / s.packets as f64;
    if share < REORDER_NOTICE {
        return None;
    }
    // When: the one-second windows where at least the notice share of packets came late.
    let spans = s.quality.spans_over(
        SPAN_WINDOW_NS,
        |b| {
            b.received() >= SPAN_MIN_EXPECTED
                && b.reordered() as f64 >= REORDER_NOTICE * b.received() as f64
        },
        MAX_SPANS,
    );
    let mut evidence = vec![Evidence::count(format!(
        "{} late, {} duplicate(s), {} lost, of sequence numbers {}..{}",
        s.reordered, s.duplicates, s.lost, s.base_ext_seq, s.max_ext_seq
    ))];
    evidence.extend(spans.iter().map(|sp| {
        Evidence::at(
            format!(
                "{} of {} packets late over {}",
                sp.merged.reordered(),
                sp.merged.received(),
                crate::fmt::duration(sp.end_ns - sp.start_ns)
            ),
            sp.start_ns,
        )
    }));
    if spans.is_empty() {
        evidence.push(Evidence::at(
            format!("first packet of {:#010x}", s.ssrc),
            s.first_ns,
        ));
        evidence.push(Evidence::at(
            format!("last packet of {:#010x}", s.ssrc),
            s.last_ns,
        ));
    }
    Some(Finding {
        id: "media.reordering",
        severity: if share >= REORDER_DEGRADED {
            Severity::Degraded
        } else {
            Severity::Notice
        },
        at_ns: Some(spans.first().map_or(s.first_ns, |sp| sp.start_ns)),
        verdict: format!(
            "The {label} arrives out of order: {:.1} % of its packets ({} of {}) came after a \
             later sequence number.",
            share * 100.0,
            s.reordered,
            s.packets
        ),
        evidence,
        advice: "The path reorders packets (parallel links, load balancing, Wi-Fi queues); a \
                 retransmission sent on the media SSRC itself (no RTX) also arrives late. The \
                 receiver's jitter buffer grows to wait for them."
            .into(),
    })
}

/// A stream of [`NO_RTCP_NS`] or longer with no RTCP for its SSRC: none sent by its sender
/// (SRTCP leaves the sender SSRC in clear, so encryption does not hide it) and no receiver
/// report about it where reports can be read. When no RTCP at all passes between the two
/// hosts it is degraded; when the other side does send RTCP that cannot be read (SRTCP without
/// keys), whether it reports on the stream is unknown, and it is a notice.
fn without_rtcp(ix: &Index<'_>, s: &crate::streams::Stream, label: &str) -> Option<Finding> {
    let ran = s.last_ns.saturating_sub(s.first_ns);
    if ran < NO_RTCP_NS || s.packets < ONE_WAY_MIN_PACKETS {
        return None;
    }
    let from_sender = ix.sent_rtcp(s.ssrc);
    if from_sender || s.sender_reports > 0 || s.receiver_report.is_some() {
        return None;
    }
    // RTCP between the same two hosts, on any port (RTCP not multiplexed uses another).
    let hosts = || {
        ix.flows_between_hosts(s.src.ip(), s.dst.ip())
            .filter(|f| f.relay == s.relay)
    };
    let path_rtcp: u64 = hosts().map(|f| f.counts.rtcp).sum();
    // Anything from the receiver's host at all: a capture that shows one direction only
    // cannot show the receiver's reports.
    let from_receiver: u64 = hosts()
        .map(|f| {
            if f.a.ip() == s.dst.ip() {
                f.packets[0]
            } else {
                f.packets[1]
            }
        })
        .sum();
    let unreadable = path_rtcp > 0 && s.encrypted;
    let (severity, verdict, advice) = if from_receiver == 0 {
        (
            Severity::Notice,
            format!(
                "The {label} ran {:.1} s and its sender sent no RTCP for it (no sender report \
                 from {:#010x}); the capture holds nothing from {}, so whether the receiver \
                 reports on it cannot be seen.",
                ran as f64 / 1e9,
                s.ssrc,
                s.dst.ip()
            ),
            "A sender normally reports each stream it sends (RFC 3550 §6.4.1): check that the \
             sending application has RTCP enabled for it; capture both directions to see the \
             receiver's reports."
                .to_owned(),
        )
    } else if unreadable {
        (
            Severity::Notice,
            format!(
                "The {label} ran {:.1} s and its sender sent no RTCP for it (no sender report \
                 from {:#010x}); the {} RTCP packet(s) on the path are encrypted, so whether the \
                 receiver reports on it cannot be seen.",
                ran as f64 / 1e9,
                s.ssrc,
                path_rtcp
            ),
            "A sender normally reports each stream it sends (RFC 3550 §6.4.1): check that the \
             sending application has RTCP enabled for it; a key log would show the receiver's \
             reports."
                .to_owned(),
        )
    } else {
        (
            Severity::Degraded,
            format!(
                "The {label} ran {:.1} s without RTCP: no sender report from {:#010x} and no \
                 receiver report about it, in either direction{}.",
                ran as f64 / 1e9,
                s.ssrc,
                if path_rtcp == 0 {
                    " (no RTCP at all passed between the two hosts)"
                } else {
                    ""
                }
            ),
            "Without RTCP the sender gets no loss, RTT or bandwidth feedback (receiver reports, \
             NACK, PLI, transport-cc): look for a filter passing RTP but not RTCP (a closed port \
             for RTCP that is not multiplexed, a DPI rule) or an endpoint with RTCP turned off."
                .to_owned(),
        )
    };
    Some(Finding {
        id: "media.no-rtcp",
        severity,
        at_ns: Some(s.first_ns),
        verdict,
        evidence: vec![
            Evidence::at(format!("first packet of {:#010x}", s.ssrc), s.first_ns),
            Evidence::at(
                format!(
                    "last packet of {:#010x}: {} packets, no RTCP from or about it",
                    s.ssrc, s.packets
                ),
                s.last_ns,
            ),
            Evidence::count(format!(
                "{} RTCP packet(s) between {} and {}",
                path_rtcp,
                s.src.ip(),
                s.dst.ip()
            )),
        ],
        advice,
    })
}

/// One-way media from a moment on: on a path where both sides sent media, every stream of one
/// side stops together (within [`STOPPED_NS`] of the other side's last media, which goes on at
/// least that long after), while that side is still there: it answers the other's ICE
/// consent checks, or sends its own, after its media stopped. (A side that ends the call stops
/// all of it, consent included; a dead path stops the answers too: that is ice.consent-lost.)
fn one_way_midcall(r: &Report, ix: &Index<'_>, explained: &mut Set<u32>, out: &mut Vec<Finding>) {
    for f in r.flows.iter().filter(|f| f.counts.rtp > 0) {
        let on: Vec<&crate::streams::Stream> = ix
            .media_on(f.a, f.b)
            .filter(|s| s.flow.transport == f.transport && s.relay == f.relay)
            .collect();
        for (x, y) in [(f.a, f.b), (f.b, f.a)] {
            // Streams big enough to tell (a few RTX probes early in the call do not count).
            let big = |side: SocketAddr| -> Vec<&crate::streams::Stream> {
                on.iter()
                    .filter(|s| s.src == side && s.packets >= 50)
                    .copied()
                    .collect()
            };
            let (from_x, from_y) = (big(x), big(y));
            if from_x.is_empty()
                || from_y.is_empty()
                || from_x.iter().any(|s| explained.contains(&s.ssrc))
            {
                continue;
            }
            let x_stop = from_x.iter().map(|s| s.last_ns).max().expect("not empty");
            let y_last = from_y.iter().map(|s| s.last_ns).max().expect("not empty");
            if y_last.saturating_sub(x_stop) < STOPPED_NS {
                continue;
            }
            // X still there after its media stopped: an answer from X to Y's checks, or a
            // check of X's own, on this path.
            let alive = ix
                .pairs_on(f.a, f.b)
                .flat_map(|p| p.timeline.iter().map(move |e| (p, e)))
                .filter(|(p, e)| match e {
                    PairEvent::Success { at_ns, .. } => p.local == y && *at_ns > x_stop,
                    PairEvent::Request { at_ns, .. } => p.local == x && *at_ns > x_stop,
                    PairEvent::Error { .. } => false,
                })
                .map(|(_, e)| match e {
                    PairEvent::Success { at_ns, .. }
                    | PairEvent::Request { at_ns, .. }
                    | PairEvent::Error { at_ns, .. } => *at_ns,
                })
                .max();
            let Some(alive) = alive else {
                continue;
            };
            explained.extend(from_x.iter().map(|s| s.ssrc));
            let mut evidence: Vec<Evidence> = from_x
                .iter()
                .take(4)
                .map(|s| {
                    Evidence::at(
                        format!(
                            "last packet of the {} stream {:#010x}",
                            kind_name(s.kind),
                            s.ssrc
                        ),
                        s.last_ns,
                    )
                })
                .collect();
            evidence.push(Evidence::at(
                format!("{x} still does ICE on the path (its last consent traffic here)"),
                alive,
            ));
            evidence.push(Evidence::at(
                format!("{y}'s media still flows here"),
                y_last,
            ));
            out.push(Finding {
                id: "media.one-way",
                severity: Severity::Failure,
                at_ns: Some(x_stop),
                verdict: format!(
                    "One-way media from here on: all {} stream(s) from {x} stopped, while {y}'s \
                     media went on {:.1} s more and {x} kept doing ICE consent on the same path.",
                    from_x.len(),
                    y_last.saturating_sub(x_stop) as f64 / 1e9
                ),
                evidence,
                advice: "Either the side stopped sending every track at once, or something on the \
                         path drops its RTP and RTCP but not STUN or DTLS (a firewall or DPI rule \
                         matching media): compare with a capture next to that side."
                    .into(),
            });
        }
    }
}

/// Where a handshake that never finished stopped: which flight (RFC 6347 §4.2.4's numbering
/// for DTLS ≤ 1.2, RFC 9147 §5.7's shape for 1.3), from which side, sent how many times, and
/// that the other side never answered it.
fn stalled_flight(d: &DtlsReport, last: &crate::dtls::DtlsEvent) -> String {
    let from_client = d.client == Some(last.from);
    let other = if last.from == d.a { d.b } else { d.a };
    let what = &*last.what;
    // The flight the last message belongs to.
    let flight = match (what, from_client) {
        ("client_hello", true) if d.hello_verify_request => {
            "flight 3 (the ClientHello with the cookie)"
        }
        ("client_hello", true) => "flight 1 (ClientHello)",
        ("hello_verify_request", false) => "flight 2 (HelloVerifyRequest, the cookie)",
        (
            "server_hello"
            | "certificate"
            | "server_key_exchange"
            | "certificate_request"
            | "server_hello_done"
            | "encrypted handshake",
            false,
        ) => "the server's flight (ServerHello through its certificate and, in 1.3, Finished)",
        (
            "certificate"
            | "client_key_exchange"
            | "certificate_verify"
            | "change_cipher_spec"
            | "encrypted handshake"
            | "encrypted",
            true,
        ) => "the client's final flight (its certificate, key exchange and Finished)",
        ("change_cipher_spec" | "encrypted", false) => {
            "the server's last flight (ChangeCipherSpec and Finished)"
        }
        _ => "",
    };
    // How often that message went out: the first sending and its retransmissions.
    let sent = d
        .timeline
        .iter()
        .filter(|e| e.from == last.from && e.what == last.what)
        .count();
    let side = if from_client { "client" } else { "server" };
    let mut words = format!(
        "; the last message was {what} from the {side} {}",
        last.from
    );
    if !flight.is_empty() {
        let _ = write!(words, ", {flight}");
    }
    if sent > 1 {
        let _ = write!(words, ", sent {sent} times");
    }
    let _ = write!(words, ", and {other} never answered it");
    words
}

/// DTLS 1.3 without keys: the handshake reached the client's Finished, then at most
/// [`REFUSED_MAX_RECORDS`] encrypted records followed and no media at all, while the path
/// stayed up (later packets on it). A peer that checks the certificate against the SDP's
/// a=fingerprint after the handshake and refuses it leaves exactly this: an alert-sized
/// record and silence. (≤ 1.2, or 1.3 with keys, show the alert itself.)
fn dtls_ended_after_handshake(ix: &Index<'_>, d: &DtlsReport, out: &mut Vec<Finding>) {
    let (Some(done), Some(crate::dtls::DoneBy::ClientFinished)) = (d.done_ns, d.done_by) else {
        return;
    };
    if d.events_dropped > 0 {
        return;
    }
    let after: Vec<&crate::dtls::DtlsEvent> = d
        .timeline
        .iter()
        .filter(|e| e.at_ns > done && e.what == "encrypted")
        .collect();
    let on_path: Vec<&FlowReport> = ix.flows_on(d.a, d.b).collect();
    let media = on_path.iter().any(|f| f.counts.rtp + f.counts.rtcp > 0);
    let last_dtls = d.timeline.last().map_or(done, |e| e.at_ns);
    let path_went_on = on_path.iter().any(|f| f.last_ns > last_dtls);
    if media || after.len() > REFUSED_MAX_RECORDS || !path_went_on {
        return;
    }
    let mut evidence = vec![Evidence::at(
        format!(
            "the client's Finished ({})",
            d.client
                .map_or_else(|| "client".to_owned(), |c| c.to_string())
        ),
        done,
    )];
    evidence.extend(
        after
            .iter()
            .map(|e| Evidence::at(format!("encrypted record from {}", e.from), e.at_ns)),
    );
    evidence.push(Evidence::count(
        "no RTP or RTCP on the path; its other traffic (ICE) went on".into(),
    ));
    out.push(Finding {
        id: "dtls.ended-after-handshake",
        severity: Severity::Failure,
        at_ns: after.first().map_or(Some(done), |e| Some(e.at_ns)),
        verdict: format!(
            "The DTLS 1.3 handshake on {} ↔ {} finished, then only {} encrypted record(s) and no \
             media followed: a peer refused the association right after the handshake, the shape \
             a certificate that does not match the SDP's a=fingerprint leaves.",
            d.a,
            d.b,
            after.len()
        ),
        evidence,
        advice: "Compare each side's a=fingerprint with the certificate the other side uses (an \
                 SDP altered in signalling, a certificate regenerated between offer and answer); \
                 the browser's console or getStats (dtlsState failed) names the side that \
                 refused. A key log would show the alert itself."
            .into(),
    });
}

/// Encrypted records after the client's Finished at most, for `dtls.ended-after-handshake`
/// (an SCTP INIT and the two sides' alerts; a data channel or media needs far more).
pub const REFUSED_MAX_RECORDS: usize = 4;

/// Everything WebRTC stopped, long before the end, with no goodbye (DTLS close_notify or an
/// encrypted alert after the handshake, a TURN release): the peer vanished or the network went.
fn silence_findings(r: &Report, end: i64, out: &mut Vec<Finding>) {
    let media: Vec<&FlowReport> = r
        .flows
        .iter()
        .filter(|f| f.counts.rtp + f.counts.rtcp + f.counts.dtls + f.counts.channel_data > 0)
        .collect();
    let Some(last) = media.iter().map(|f| f.last_ns).max() else {
        return;
    };
    if end.saturating_sub(last) < SILENT_NS {
        return;
    }
    let goodbye = r.dtls.iter().any(|d| {
        d.alerts
            .iter()
            .any(|a| a.contains("close_notify") || (a.contains("encrypted") && d.done_ns.is_some()))
    }) || r
        .turn_allocations
        .iter()
        .any(|a| a.state == AllocationState::Released);
    if goodbye {
        return;
    }
    let busiest = media
        .iter()
        .max_by_key(|f| f.packets[0] + f.packets[1])
        .expect("not empty");
    out.push(Finding {
        id: "call.went-silent",
        severity: Severity::Failure,
        at_ns: Some(last),
        verdict: format!(
            "Every WebRTC packet stopped {:.1} s before the end, with no goodbye (no DTLS \
             close_notify, no TURN release): the peer or the network went away.",
            end.saturating_sub(last) as f64 / 1e9
        ),
        evidence: vec![
            Evidence::at(
                format!(
                    "last packet on {} ↔ {}, the busiest WebRTC path",
                    busiest.a, busiest.b
                ),
                busiest.last_ns,
            ),
            Evidence::at("the end of the capture (or the live clock)".into(), end),
        ],
        advice: "Look at what happened at that moment on the network (a Wi-Fi or mobile \
                 handover, a NAT or firewall timeout, the peer's process or machine)."
            .into(),
    });
}
