//! A light snapshot of the engine for displays that refresh several times a second.
//!
//! [`crate::report::Report::new`] clones every flow's and every stream's bandwidth series
//! (up to [`Series::MAX_BUCKETS`] buckets each): right for a report printed once, too heavy
//! four times a second with 10,000 flows. [`Snapshot::take`] copies scalars only (counts,
//! totals, a recent rate computed in place), and the few series a display actually draws are
//! resampled on demand into a fixed number of bins ([`flows_chart`], [`stream_chart`],
//! [`stream_quality`]), for
//! the rows on screen and the selected item only.
//!
//! Nothing here reads a clock: "recent" is relative to the last packet time the engine saw.

use crate::dtls::DtlsReport;
use crate::flow::{FlowKey, ProtocolCounts};
use crate::ice::{CandidatePair, IceSession, PairState};
use crate::quality::QualityBucket;
use crate::series::Series;
use crate::streams::{MediaKind, StreamKey};
use crate::turn::Allocation;
use crate::{Counters, Engine};
use std::net::SocketAddr;

/// What [`Snapshot::take`] computes beyond plain copies.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Window of the recent rate ([`FlowSummary::recent_bps`]), ending at the last packet.
    pub rate_window_ns: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rate_window_ns: 2_000_000_000,
        }
    }
}

/// A flow without its series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowSummary {
    /// The flow's key.
    pub key: FlowKey,
    /// First packet.
    pub first_ns: i64,
    /// Last packet.
    pub last_ns: i64,
    /// Packets lo → hi, hi → lo.
    pub packets: [u64; 2],
    /// Payload bytes lo → hi, hi → lo.
    pub bytes: [u64; 2],
    /// What it carried.
    pub counts: ProtocolCounts,
    /// Bit rate over the last [`Options::rate_window_ns`] before the snapshot's end, lo → hi
    /// and hi → lo.
    pub recent_bps: [u64; 2],
}

impl FlowSummary {
    /// True when anything WebRTC-related was confirmed on the flow.
    pub fn is_webrtc(&self) -> bool {
        self.counts.is_webrtc()
    }

    /// Mean bit rate over the flow's life (lo → hi, hi → lo); over one second at least, so a
    /// single packet does not read as a huge rate.
    pub fn mean_bps(&self) -> [u64; 2] {
        let span = (self.last_ns - self.first_ns).max(1_000_000_000) as u128;
        self.bytes
            .map(|b| (u128::from(b) * 8 * 1_000_000_000 / span) as u64)
    }
}

/// A candidate pair with its state at the snapshot's end.
#[derive(Clone, Debug)]
pub struct PairSnapshot {
    /// The pair as the engine holds it (timeline included; it is capped).
    pub pair: CandidatePair,
    /// Its state at the end of the snapshot.
    pub state: PairState,
    /// The local candidate's type (from the SDPs, else inferred: the report's).
    pub local_type: crate::candidates::CandidateType,
    /// The remote candidate's type.
    pub remote_type: crate::candidates::CandidateType,
}

/// An ICE session with its pairs.
#[derive(Clone, Debug)]
pub struct SessionSnapshot {
    /// The session.
    pub session: IceSession,
    /// Its pairs, in the order they were first checked.
    pub pairs: Vec<PairSnapshot>,
    /// The pair that carries the call, per agent: the nominated, succeeded pair with the most
    /// traffic on its path (as in the report).
    pub selected: Vec<u32>,
}

/// An RTP stream without its series.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamSummary {
    /// The stream's key.
    pub key: StreamKey,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// TURN allocation it was unwrapped from.
    pub relay: Option<u32>,
    /// Inside a relay: the path and the leg it was counted on.
    pub counted_on: Option<crate::relay::CountedOn>,
    /// Audio or video.
    pub kind: MediaKind,
    /// Codec name when known.
    pub codec: Option<String>,
    /// What to show as the codec: the engine's [`crate::streams::Stream::codec_label`] (RED
    /// and RTX name the codec inside and how it is known).
    pub codec_label: String,
    /// Padding-only packets (bandwidth probes).
    pub padding_only: u64,
    /// RTX packets answering a NACK.
    pub retransmissions: u64,
    /// RTX packets with a payload that answered no NACK (payload-padding probes).
    pub rtx_probes: u64,
    /// Dominant payload type.
    pub payload_type: Option<u8>,
    /// Clock rate when known.
    pub clock_rate: Option<u32>,
    /// Packets received.
    pub packets: u64,
    /// Bytes (whole RTP packets).
    pub bytes: u64,
    /// Mean payload bit rate, as `analyze` shows it ([`crate::streams::Stream::mean_payload_bps`]).
    pub mean_payload_bps: u64,
    /// Packets expected from sequence numbers.
    pub expected: u64,
    /// Packets lost.
    pub lost: u64,
    /// Interarrival jitter in ms.
    pub jitter_ms: Option<f64>,
    /// First packet.
    pub first_ns: i64,
    /// Last packet.
    pub last_ns: i64,
    /// Recent bit rate (see [`Options::rate_window_ns`]).
    pub recent_bps: u64,
    /// SRTP ciphertext.
    pub encrypted: bool,
    /// The SSRC it retransmits for.
    pub rtx_of: Option<u32>,
    /// Why it is thought to be RTX or padding.
    pub rtx_reason: Option<&'static str>,
    /// sdes:mid.
    pub mid: Option<String>,
    /// rtp-stream-id.
    pub rid: Option<String>,
    /// Fraction lost the receiver last reported (RTCP), 0–1.
    pub reported_loss: Option<f64>,
    /// RTCP round-trip time in ms.
    pub rtcp_rtt_ms: Option<f64>,
}

impl StreamSummary {
    /// Mean bit rate over the stream's life (over one second at least).
    pub fn mean_bps(&self) -> u64 {
        let span = (self.last_ns - self.first_ns).max(1_000_000_000) as u128;
        (u128::from(self.bytes) * 8 * 1_000_000_000 / span) as u64
    }
}

/// The engine's state as a display needs it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// First packet time.
    pub start_ns: Option<i64>,
    /// Last packet time.
    pub end_ns: Option<i64>,
    /// Capture-wide counters.
    pub counters: Counters,
    /// Every flow, in no particular order.
    pub flows: Vec<FlowSummary>,
    /// ICE sessions.
    pub sessions: Vec<SessionSnapshot>,
    /// TURN allocations.
    pub allocations: Vec<Allocation>,
    /// Relay paths (each relayed association once, with its legs' figures).
    pub relay_paths: Vec<crate::relay::RelayPathReport>,
    /// DTLS associations, by first packet.
    pub dtls: Vec<DtlsReport>,
    /// Confirmed RTP streams, in no particular order.
    pub streams: Vec<StreamSummary>,
    /// SSRCs the engine did not track (stream cap).
    pub streams_dropped: u64,
}

impl Snapshot {
    /// Copies what a display needs from `engine`: no series, no per-packet data.
    pub fn take(engine: &Engine, opts: &Options) -> Snapshot {
        let end = engine.time_span().map_or(0, |(_, e)| e);
        let window = opts.rate_window_ns.max(1);
        let rate_from = end - window;
        let flows: Vec<FlowSummary> = engine
            .flows
            .values()
            .map(|f| FlowSummary {
                key: f.key,
                first_ns: f.first_ns,
                last_ns: f.last_ns,
                packets: f.packets,
                bytes: f.bytes,
                counts: f.counts,
                recent_bps: if f.last_ns < rate_from {
                    [0, 0]
                } else {
                    window_bps(&f.series, rate_from, end)
                },
            })
            .collect();
        let ice = engine.ice();
        let typer = engine.candidate_typer();
        let sessions = ice
            .sessions
            .iter()
            .map(|s| {
                // Nomination and selection are the engine's (Engine::session_view), so the
                // reports and the TUI name the same pairs.
                let view = engine.session_view(s, end);
                let pairs: Vec<PairSnapshot> = s
                    .pairs
                    .iter()
                    .filter_map(|&p| ice.pairs.get(p as usize))
                    .map(|p| {
                        let mut pair = p.clone();
                        pair.nominated = view.is_nominated(p.id);
                        let (local_type, remote_type) = typer.types(p);
                        PairSnapshot {
                            state: p.state(end),
                            pair,
                            local_type,
                            remote_type,
                        }
                    })
                    .collect();
                let selected: Vec<u32> = view.selected.iter().map(|(_, id)| *id).collect();
                SessionSnapshot {
                    session: s.clone(),
                    pairs,
                    selected,
                }
            })
            .collect();
        let mid_id = engine.streams.inferred_mid_id();
        let probed = engine.streams.probed_tags();
        let streams = engine
            .streams
            .map
            .iter()
            .filter(|(_, s)| s.confirmed)
            .map(|(k, s)| {
                let (rtx_reason, pt) = (
                    s.rtx_or_padding_reason(),
                    s.payload_types
                        .iter()
                        .max_by_key(|(_, n)| *n)
                        .map(|(p, _)| *p),
                );
                StreamSummary {
                    key: *k,
                    src: s.src,
                    dst: s.dst,
                    relay: s.relay,
                    counted_on: engine.counted_on(&s.flow, s.src),
                    kind: s.kind,
                    codec: s.codec.clone(),
                    codec_label: s.codec_label(),
                    padding_only: s.padding_only,
                    retransmissions: s.retransmissions,
                    rtx_probes: s.rtx_probes,
                    payload_type: pt,
                    clock_rate: s.clock_rate,
                    packets: s.packets,
                    bytes: s.bytes,
                    // As the report will count it once the capture ends.
                    mean_payload_bps: s
                        .mean_payload_bps_with_tag(engine.streams.tag_of(&probed, s).0),
                    expected: s.expected(),
                    lost: s.lost(),
                    jitter_ms: s.jitter_ms,
                    first_ns: s.first_ns,
                    last_ns: s.last_ns,
                    recent_bps: if s.last_ns < rate_from {
                        0
                    } else {
                        window_bps(&s.series, rate_from, end)[0]
                    },
                    encrypted: s.encrypted,
                    rtx_of: s.rtx_of,
                    rtx_reason,
                    mid: engine.streams.mid_of(s, mid_id),
                    rid: s.rid.clone(),
                    reported_loss: s.receiver_report.map(|r| r.fraction_lost),
                    rtcp_rtt_ms: s.rtcp_rtt_ms,
                }
            })
            .collect();
        Snapshot {
            start_ns: engine.time_span().map(|(s, _)| s),
            end_ns: engine.time_span().map(|(_, e)| e),
            counters: engine.counters(),
            flows,
            sessions,
            allocations: engine.turn().allocations.clone(),
            relay_paths: engine.relay_paths().report(engine.turn(), end),
            dtls: engine.dtls(),
            streams,
            streams_dropped: engine.streams.dropped,
        }
    }
}

/// Bit rate over `[from, to)` of a series, forward and reverse.
fn window_bps(series: &Series, from: i64, to: i64) -> [u64; 2] {
    let mut bin = [[0u64; 2]];
    resample(series, from, to, false, &mut bin);
    let span = (to - from).max(1) as u128;
    bin[0].map(|b| (u128::from(b) * 8 * 1_000_000_000 / span) as u64)
}

/// Adds the bytes of `series` falling in `[start, end)` into `out`'s equal-width bins
/// (forward into `[0]`, reverse into `[1]`, or the other way round when `swap`). A bucket that
/// straddles bins is shared between them in proportion to the overlap. Cost: one step per
/// bucket inside the window plus one per bin touched.
pub fn resample(series: &Series, start: i64, end: i64, swap: bool, out: &mut [[u64; 2]]) {
    let n = out.len();
    if n == 0 || end <= start || series.bucket_ns <= 0 {
        return;
    }
    // Saturating and 128-bit: capture timestamps may sit anywhere in i64.
    let span = i128::from(end) - i128::from(start);
    let bw = series.bucket_ns;
    let first =
        usize::try_from(start.saturating_sub(series.start_ns).max(0) / bw).unwrap_or(usize::MAX);
    let bin_start = |i: usize| start + (i as i128 * span / n as i128) as i64;
    for (i, b) in series.iter_from(first) {
        let b0 = series.start_ns.saturating_add(bw.saturating_mul(i as i64));
        if b0 >= end {
            break;
        }
        if b.bytes_fwd == 0 && b.bytes_rev == 0 {
            continue;
        }
        let (lo, hi) = (b0.max(start), b0.saturating_add(bw).min(end));
        if hi <= lo {
            continue;
        }
        let first_bin = ((i128::from(lo) - i128::from(start)) * n as i128 / span) as usize;
        let last_bin =
            (((i128::from(hi) - 1 - i128::from(start)) * n as i128 / span) as usize).min(n - 1);
        for (bin, slot) in out
            .iter_mut()
            .enumerate()
            .take(last_bin + 1)
            .skip(first_bin)
        {
            let overlap =
                i128::from(hi.min(bin_start(bin + 1))) - i128::from(lo.max(bin_start(bin)));
            if overlap <= 0 {
                continue;
            }
            let share = |x: u64| (u128::from(x) * overlap as u128 / bw as u128) as u64;
            let (f, r) = (share(b.bytes_fwd), share(b.bytes_rev));
            if swap {
                slot[0] += r;
                slot[1] += f;
            } else {
                slot[0] += f;
                slot[1] += r;
            }
        }
    }
}

/// Bytes per bin over `[start, end)` summed over `flows`; each flow's lo → hi direction goes
/// into `[0]`, or into `[1]` when its flag is set. Flows the engine no longer holds are
/// skipped.
pub fn flows_chart(
    engine: &Engine,
    flows: &[(FlowKey, bool)],
    start: i64,
    end: i64,
    bins: usize,
) -> Vec<[u64; 2]> {
    let mut out = vec![[0u64; 2]; bins];
    for (key, swap) in flows {
        if let Some(f) = engine.flows.get(key) {
            resample(&f.series, start, end, *swap, &mut out);
        }
    }
    out
}

/// Bytes per bin over `[start, end)` of one stream (its direction in `[0]`).
pub fn stream_chart(
    engine: &Engine,
    key: &StreamKey,
    start: i64,
    end: i64,
    bins: usize,
) -> Vec<[u64; 2]> {
    let mut out = vec![[0u64; 2]; bins];
    if let Some(s) = engine.streams.map.get(key) {
        resample(&s.series, start, end, false, &mut out);
    }
    out
}

/// Quality of one stream over `[start, end)` in `bins` equal bins, for a chart: per bin the
/// packets expected and received, duplicates, loss ([`QualityBucket::lost`],
/// [`QualityBucket::loss_fraction`]), the jitter at the bin's end and its maximum, and the
/// RTCP round-trip time (min, mean, samples) where the engine has LSR/DLSR (cleartext RTCP or
/// decrypted SRTCP).
///
/// The stream's buckets (see [`crate::quality`]) go whole into the bin holding their
/// midpoint, so counts stay exact; when bins are narrower than the stream's buckets some bins
/// are empty ([`QualityBucket::is_empty`]): draw those as gaps. The bucket width the stream has
/// reached is [`crate::streams::Stream::quality`]'s `bucket_ns` (100 ms, doubled as the
/// capture outgrows 512 buckets). Returns `bins` empty bins for a stream the engine does not
/// hold. Cost: one step per stored bucket in the window.
pub fn stream_quality(
    engine: &Engine,
    key: &StreamKey,
    start: i64,
    end: i64,
    bins: usize,
) -> Vec<QualityBucket> {
    match engine.streams.map.get(key) {
        Some(s) => s.quality.resample(start, end, bins),
        None => vec![QualityBucket::default(); bins],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resample_keeps_bytes_and_splits_by_overlap() {
        let mut s = Series::new(0);
        for i in 0..20 {
            // 100 ms buckets, 1000 bytes each, forward; 10 bytes reverse.
            s.add(i * 100_000_000 + 1, 1000, true);
            s.add(i * 100_000_000 + 2, 10, false);
        }
        let mut out = [[0u64; 2]; 4];
        resample(&s, 0, 2_000_000_000, false, &mut out);
        assert_eq!(out, [[5000, 50]; 4]);
        // Bins narrower than buckets share a bucket's bytes.
        let mut fine = [[0u64; 2]; 40];
        resample(&s, 0, 2_000_000_000, true, &mut fine);
        assert!(fine.iter().all(|b| *b == [5, 500]), "{fine:?}");
        // A window inside the series.
        let mut one = [[0u64; 2]];
        resample(&s, 1_000_000_000, 1_500_000_000, false, &mut one);
        assert_eq!(one, [[5000, 50]]);
        assert_eq!(window_bps(&s, 1_000_000_000, 2_000_000_000), [80_000, 800]);
    }
}
