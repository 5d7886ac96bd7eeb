//! A snapshot of the engine's state: what `rtcscope analyze` prints and `--json` serialises.
//!
//! The JSON schema is versioned by [`SCHEMA`] and documented in `docs/json-schema.md`; fields
//! are only ever added within a version.

use crate::flow::{ProtocolCounts, Transport};
use crate::ice::{PairEvent, PairState, Role};
use crate::series::Series;
use crate::turn::Allocation;
use crate::{Counters, Damage, Engine, Reflexive};
use serde::Serialize;
use std::net::SocketAddr;

/// The schema identifier of the JSON report.
pub const SCHEMA: &str = "rtcscope.analyze/1";

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// Why the call failed or degraded, worst first ([`crate::diagnosis`]).
    pub findings: Vec<crate::diagnosis::Finding>,
    /// First packet time (ns since the epoch).
    pub start_ns: Option<i64>,
    /// Last packet time.
    pub end_ns: Option<i64>,
    /// Capture-wide counters.
    pub counters: Counters,
    /// ICE sessions with their pairs.
    pub ice_sessions: Vec<SessionReport>,
    /// TURN allocations.
    pub turn_allocations: Vec<Allocation>,
    /// Relay paths: each relayed association once (client ↔ TURN ↔ peer), with its legs,
    /// the peers' addresses and what the relay did between the legs.
    pub relay_paths: Vec<crate::relay::RelayPathReport>,
    /// Server-reflexive addresses from plain STUN Binding exchanges.
    pub reflexive: Vec<Reflexive>,
    /// The candidate types the SDPs given (`--sdp`) announced, one per candidate; none
    /// without SDPs.
    pub sdp_candidate_types: Option<Vec<String>>,
    /// Each host's NAT mapping behaviour, as far as the capture shows it (passive inference
    /// with the NAT check's classifier).
    pub nat: Vec<crate::nat::NatInference>,
    /// DTLS associations.
    pub dtls: Vec<crate::dtls::DtlsReport>,
    /// SCTP associations seen in clear (over UDP) with their data channels.
    pub data_channels: Vec<crate::datachannels::AssociationReport>,
    /// Decryption per DTLS association and for SDES / `--srtp-key` keys: keys found or why
    /// not, DTLS records and SRTP/SRTCP packets decrypted, failures with their likely reason,
    /// data-channel messages (never a key).
    pub decryption: crate::decrypt::DecryptionReport,
    /// RTP streams, by flow then SSRC.
    pub streams: Vec<crate::streams::Stream>,
    /// Without an SDP: the RTP header-extension ids as the packets show them (unknown ids
    /// included); `None` when an SDP gave the ids.
    pub header_extensions: Option<Vec<crate::streams::InferredExtensionReport>>,
    /// RTCP by sender SSRC: cleartext packets read, SRTCP packets counted (never decrypted).
    pub rtcp_senders: Vec<crate::streams::RtcpSender>,
    /// Flows, WebRTC ones first, then by bytes.
    pub flows: Vec<FlowReport>,
    /// Damaged packets.
    pub damage: Vec<Damage>,
    /// What the engine's memory caps left untracked (all zero unless a capture hit them).
    pub over_limits: OverLimits,
}

/// Items not tracked, or evicted, because a table reached its cap (see
/// [`crate::Config`]); their packets still count in the capture-wide counters.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct OverLimits {
    /// Flows evicted (least recently used first) under the flow cap.
    pub flows: u64,
    /// STUN transactions forgotten unanswered under the transaction cap.
    pub transactions: u64,
    /// ICE checks of sessions beyond the session cap.
    pub ice_sessions: u64,
    /// ICE checks of pairs beyond the per-session pair cap.
    pub ice_pairs: u64,
    /// TURN requests of allocations beyond the allocation cap.
    pub turn_allocations: u64,
    /// RTP streams evicted (least recently used first) under the stream cap.
    pub rtp_streams: u64,
}

impl OverLimits {
    /// True when any cap dropped or evicted something.
    pub fn any(&self) -> bool {
        self.flows
            + self.transactions
            + self.ice_sessions
            + self.ice_pairs
            + self.turn_allocations
            + self.rtp_streams
            > 0
    }
}

/// An ICE session in the report.
#[derive(Clone, Debug, Serialize)]
pub struct SessionReport {
    /// Session id.
    pub id: u32,
    /// The two ufrags.
    pub ufrags: (String, String),
    /// Role conflicts (487).
    pub role_conflicts: u32,
    /// First and last activity.
    pub first_ns: i64,
    /// Last activity.
    pub last_ns: i64,
    /// The pair that carries the call, per agent (keyed by the agent's ufrag): the nominated,
    /// succeeded pair with the most traffic on its path.
    pub selected: Vec<SelectedPair>,
    /// Every pair.
    pub pairs: Vec<PairReport>,
    /// Bandwidth of the session: the flows its pairs used, merged; forward = what the agent
    /// of the first ufrag sent.
    pub series: Option<Series>,
}

/// The selected pair of one agent.
#[derive(Clone, Debug, Serialize)]
pub struct SelectedPair {
    /// The agent's ufrag.
    pub ufrag: String,
    /// The pair id.
    pub pair: u32,
    /// The role the agent claimed last on that pair.
    pub role: Option<Role>,
    /// Consent freshness checks the agent sent, over all its pairs.
    pub consent_checks: u32,
}

/// A candidate pair in the report.
#[derive(Clone, Debug, Serialize)]
pub struct PairReport {
    /// Pair id.
    pub id: u32,
    /// Requester address.
    pub local: SocketAddr,
    /// Responder address.
    pub remote: SocketAddr,
    /// Transport.
    pub transport: Transport,
    /// `relayed` when the local side is a TURN relayed address, else `direct`.
    pub path: &'static str,
    /// The pair's flow, transport and TURN allocation included.
    pub flow: crate::flow::FlowKey,
    /// The local candidate's type (from the SDPs, else inferred).
    pub local_type: crate::candidates::CandidateType,
    /// The remote candidate's type.
    pub remote_type: crate::candidates::CandidateType,
    /// The TURN allocation, when relayed.
    pub relay: Option<u32>,
    /// Requester's ufrag.
    pub local_ufrag: String,
    /// Responder's ufrag.
    pub remote_ufrag: String,
    /// State at the end of the capture.
    pub state: PairState,
    /// Role claimed by the requester.
    pub role: Option<Role>,
    /// PRIORITY.
    pub priority: Option<u32>,
    /// Checks sent (distinct transactions).
    pub requests: u32,
    /// Retransmissions.
    pub retransmissions: u32,
    /// Success responses.
    pub responses: u32,
    /// Error responses by code.
    pub errors: Vec<(u16, u32)>,
    /// RTT statistics in microseconds.
    pub rtt_us: Option<RttStats>,
    /// USE-CANDIDATE sent.
    pub use_candidate_sent: bool,
    /// Nominated: a USE-CANDIDATE check on it succeeded, or (the controlled agent's view) on
    /// the reverse pair. `use_candidate_sent` tells which.
    pub nominated: bool,
    /// Consent freshness checks (RFC 7675) sent on the pair: checks after it succeeded and was
    /// nominated, by either agent (the controlled agent's included).
    pub consent_checks: u32,
    /// Checks the requester received on this pair's path (retransmissions included): what
    /// getStats calls `requestsReceived`.
    pub requests_received: u32,
    /// Success responses the requester sent on this pair's path (`responsesSent`).
    pub responses_sent: u32,
    /// The requester's address as the responder saw it.
    pub mapped: Option<SocketAddr>,
    /// First check, first success, last activity (ns).
    pub first_ns: i64,
    /// First success.
    pub succeeded_ns: Option<i64>,
    /// Last activity.
    pub last_ns: i64,
    /// Timeline (capped).
    pub timeline: Vec<PairEvent>,
    /// Events beyond the cap.
    pub events_dropped: u64,
}

/// Round-trip-time statistics.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct RttStats {
    /// Minimum.
    pub min: i64,
    /// Mean.
    pub mean: i64,
    /// Maximum.
    pub max: i64,
    /// Samples.
    pub samples: u32,
}

/// A flow in the report.
#[derive(Clone, Debug, Serialize)]
pub struct FlowReport {
    /// Transport.
    pub transport: Transport,
    /// Lower endpoint.
    pub a: SocketAddr,
    /// Higher endpoint.
    pub b: SocketAddr,
    /// The TURN allocation it was unwrapped from.
    pub relay: Option<u32>,
    /// First packet.
    pub first_ns: i64,
    /// Last packet.
    pub last_ns: i64,
    /// Packets a → b, b → a.
    pub packets: [u64; 2],
    /// Bytes a → b, b → a.
    pub bytes: [u64; 2],
    /// Protocol counts.
    pub counts: ProtocolCounts,
    /// Bandwidth over time (forward = a → b).
    pub series: Series,
    /// ICMP errors that quoted its datagrams (e.g. port unreachable after a peer closed).
    pub icmp_errors: Vec<crate::flow::IcmpErrors>,
}

impl Report {
    /// Builds the report from the engine's current state.
    pub fn new(engine: &Engine) -> Report {
        let mut report = Self::build(engine, engine.streams.clone_finished(), Taken::default());
        report.turn_allocations = engine.turn().allocations.clone();
        report.findings = crate::diagnosis::diagnose(&report);
        report
    }

    /// Builds the report of an engine that is done with its input, which it consumes: the
    /// streams move into the report instead of being copied, so the report's peak memory is
    /// not the engine's twice over. The same report as [`Report::new`].
    pub fn from_engine(mut engine: Engine) -> Report {
        let streams = engine.streams.take_finished();
        // The flows' bandwidth series move too (the sessions' series are merged from them
        // first).
        let series = engine
            .flows
            .values_mut()
            .map(|f| {
                (
                    f.key,
                    std::mem::replace(&mut f.series, Series::new(f.first_ns)),
                )
            })
            .collect();
        // Nothing reads the pairs' timelines from the engine once it is done: the report's
        // pairs take them.
        let timelines = engine
            .ice
            .pairs
            .iter_mut()
            .map(|p| std::mem::take(&mut p.timeline))
            .collect();
        let taken = Taken {
            series: Some(series),
            dtls: Some(engine.take_dtls()),
            timelines: Some(timelines),
        };
        let mut report = Self::build(&engine, streams, taken);
        // The relay paths and the NAT inference read the allocations while the report is
        // built; then they move, rather than a copy of them standing beside the engine's.
        report.turn_allocations = std::mem::take(&mut engine.turn.allocations);
        drop(engine);
        report.findings = crate::diagnosis::diagnose(&report);
        report
    }

    /// `moved`: what was moved out of an engine that is done (else it is read from the
    /// engine and copied). The report comes without its TURN allocations and findings, which
    /// the caller adds.
    fn build(engine: &Engine, mut streams: Vec<crate::streams::Stream>, moved: Taken) -> Report {
        let Taken {
            series: mut taken,
            dtls,
            mut timelines,
        } = moved;
        fn series_of<'a>(
            engine: &'a Engine,
            taken: &'a Option<crate::Map<crate::flow::FlowKey, Series>>,
            k: &crate::flow::FlowKey,
        ) -> Option<&'a Series> {
            match taken {
                Some(t) => t.get(k),
                None => engine.flows.get(k).map(|f| &f.series),
            }
        }
        let end = engine.time_span().map(|(_, e)| e).unwrap_or(0);
        let ice = engine.ice();
        let typer = engine.candidate_typer();
        let ice_sessions: Vec<SessionReport> = ice
            .sessions
            .iter()
            .map(|s| {
                let mut pairs: Vec<PairReport> = s
                    .pairs
                    .iter()
                    .map(|&p| {
                        let pair = &ice.pairs[p as usize];
                        let timeline = match timelines.as_mut() {
                            Some(t) => std::mem::take(&mut t[p as usize]),
                            None => pair.timeline.clone(),
                        };
                        pair_report(pair, ice.received(p), typer.types(pair), end, timeline)
                    })
                    .collect();
                // Nomination and selection are the engine's (Engine::session_view), so the TUI
                // and this report name the same pairs.
                let view = engine.session_view(s, end);
                for p in &mut pairs {
                    p.nominated = view.is_nominated(p.id);
                }
                let selected: Vec<SelectedPair> = view
                    .selected
                    .into_iter()
                    .map(|(ufrag, pair)| SelectedPair {
                        consent_checks: pairs
                            .iter()
                            .filter(|p| p.local_ufrag == ufrag)
                            .map(|p| p.consent_checks)
                            .sum(),
                        role: ice.pairs.get(pair as usize).and_then(|p| p.role),
                        ufrag,
                        pair,
                    })
                    .collect();
                // Which addresses belong to the first agent (its checks' local addresses).
                let first_agent: Vec<SocketAddr> = pairs
                    .iter()
                    .filter(|p| p.local_ufrag == s.ufrags.0)
                    .map(|p| p.local)
                    .collect();
                let mut keys: Vec<(crate::flow::FlowKey, bool)> = Vec::new();
                for p in &pairs {
                    let (key, _) =
                        crate::flow::FlowKey::of(p.transport, p.local, p.remote, p.relay);
                    if !keys.iter().any(|(k, _)| *k == key) {
                        // Forward on the flow is lo → hi; the session's forward is the first
                        // agent's sending, so swap when hi is the first agent.
                        keys.push((key, first_agent.contains(&key.hi)));
                    }
                }
                let series = Series::merged(
                    keys.iter()
                        .filter_map(|(k, swap)| series_of(engine, &taken, k).map(|s| (s, *swap))),
                );
                SessionReport {
                    series,
                    id: s.id,
                    ufrags: s.ufrags.clone(),
                    role_conflicts: s.role_conflicts,
                    first_ns: s.first_ns,
                    last_ns: s.last_ns,
                    selected,
                    pairs,
                }
            })
            .collect();
        let mut flows: Vec<FlowReport> = engine
            .flows()
            .map(|f| FlowReport {
                transport: f.key.transport,
                a: f.key.lo,
                b: f.key.hi,
                relay: f.key.relay,
                first_ns: f.first_ns,
                last_ns: f.last_ns,
                packets: f.packets,
                bytes: f.bytes,
                counts: f.counts,
                series: match taken.as_mut().and_then(|t| t.remove(&f.key)) {
                    Some(s) => s,
                    None => f.series.clone(),
                },
                icmp_errors: f.icmp_errors.as_deref().cloned().unwrap_or_default(),
            })
            .collect();
        flows.sort_by(|x, y| {
            let webrtc = |f: &FlowReport| {
                let c = &f.counts;
                c.stun + c.classic_stun + c.channel_data + c.dtls + c.rtp + c.rtcp + c.sctp > 0
            };
            webrtc(y)
                .cmp(&webrtc(x))
                .then((y.bytes[0] + y.bytes[1]).cmp(&(x.bytes[0] + x.bytes[1])))
                .then(x.a.cmp(&y.a))
                .then(x.b.cmp(&y.b))
        });
        for s in &mut streams {
            // Where the engine counted it (once, on the leg its packets entered the relay by).
            s.counted_on = engine.counted_on(&s.flow, s.src);
            s.leg = s.counted_on.map(|c| c.leg.as_str());
        }
        if engine.counters().capture_drops.is_some_and(|d| d > 0) {
            for s in &mut streams {
                s.loss_uncertain = true;
            }
        }
        // Unstable (it allocates nothing, where a stable sort takes half the streams again)
        // on a total order: flow, source and SSRC are a stream's key.
        streams.sort_unstable_by(|x, y| {
            (x.relay, x.src, x.dst, x.first_ns, x.ssrc, x.flow)
                .cmp(&(y.relay, y.src, y.dst, y.first_ns, y.ssrc, y.flow))
        });
        let nat = crate::nat::infer(
            engine.reflexive(),
            &engine.turn().allocations,
            &ice_sessions,
        );
        Report {
            schema: SCHEMA,
            findings: Vec::new(),
            dtls: dtls.unwrap_or_else(|| engine.dtls()),
            data_channels: engine.data_channels(),
            decryption: engine.decryption(),
            streams,
            header_extensions: engine.streams.inferred_extmap().map(|m| {
                m.ids
                    .iter()
                    .map(crate::streams::InferredExtensionReport::from)
                    .collect()
            }),
            rtcp_senders: {
                let mut v: Vec<_> = engine.streams.rtcp_senders.values().copied().collect();
                v.sort_by_key(|r| r.ssrc);
                v
            },
            start_ns: engine.time_span().map(|(s, _)| s),
            end_ns: engine.time_span().map(|(_, e)| e),
            counters: engine.counters(),
            ice_sessions,
            turn_allocations: Vec::new(),
            relay_paths: engine.relay_paths().report(engine.turn(), end),
            reflexive: engine.reflexive().to_vec(),
            sdp_candidate_types: engine.sdp_candidate_types(),
            nat,
            flows,
            damage: engine.damage().to_vec(),
            over_limits: OverLimits {
                flows: engine.counters().flows_evicted,
                transactions: engine.counters().transactions_evicted,
                ice_sessions: engine.ice().sessions_dropped,
                ice_pairs: engine.ice().pairs_dropped,
                turn_allocations: engine.turn().dropped,
                rtp_streams: engine.streams.dropped,
            },
        }
    }
}

/// What [`Report::from_engine`] moves out of an engine that is done, for [`Report::build`].
#[derive(Default)]
struct Taken {
    /// The flows' bandwidth series.
    series: Option<crate::Map<crate::flow::FlowKey, Series>>,
    /// The DTLS reports with their timelines.
    dtls: Option<Vec<crate::dtls::DtlsReport>>,
    /// The ICE pairs' timelines, by pair index.
    timelines: Option<Vec<Vec<PairEvent>>>,
}

fn pair_report(
    p: &crate::ice::CandidatePair,
    received: crate::ice::Received,
    (local_type, remote_type): (
        crate::candidates::CandidateType,
        crate::candidates::CandidateType,
    ),
    end: i64,
    timeline: Vec<PairEvent>,
) -> PairReport {
    PairReport {
        flow: crate::flow::FlowKey::of(p.transport, p.local, p.remote, p.relay).0,
        local_type,
        remote_type,
        id: p.id,
        local: p.local,
        remote: p.remote,
        transport: p.transport,
        path: if p.relay.is_some() {
            "relayed"
        } else {
            "direct"
        },
        relay: p.relay,
        local_ufrag: p.local_ufrag.clone(),
        remote_ufrag: p.remote_ufrag.clone(),
        state: p.state(end),
        role: p.role,
        priority: p.priority,
        requests: p.requests,
        retransmissions: p.retransmissions,
        responses: p.responses,
        errors: p.errors.clone(),
        rtt_us: match (p.rtt_min_ns, p.rtt_mean_ns(), p.rtt_max_ns) {
            (Some(min), Some(mean), Some(max)) => Some(RttStats {
                min: min / 1000,
                mean: mean / 1000,
                max: max / 1000,
                samples: p.rtt_samples,
            }),
            _ => None,
        },
        use_candidate_sent: p.use_candidate_sent,
        nominated: p.nominated,
        consent_checks: p.consent_checks,
        requests_received: received.requests,
        responses_sent: received.responses,
        mapped: p.mapped,
        first_ns: p.first_ns,
        succeeded_ns: p.succeeded_ns,
        last_ns: p.last_ns,
        timeline,
        events_dropped: p.events_dropped,
    }
}
