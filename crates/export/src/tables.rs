//! The tables taken from the finished report, one row per item of `analyze --json`: their
//! columns (documented in `docs/export.md`) and how a row is made from the report.

use crate::columns::{col, Col, Ty};
use rtcscope_analysis::report::Report;
use rtcscope_analysis::streams::Stream;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// `captures`: one row per capture file.
pub const CAPTURES: &[Col] = &[
    col("schema_version", Ty::Str, "/schema_version"),
    col("source", Ty::Str, "/source"),
    col("start", Ty::Time, "/start_ns"),
    col("end", Ty::Time, "/end_ns"),
    col("packets", Ty::U64, "/counters/packets"),
    col("bytes", Ty::U64, "/counters/bytes"),
    col("damaged", Ty::U64, "/counters/damaged"),
    col("capture_drops", Ty::U64, "/counters/capture_drops"),
    col("clock_back", Ty::U64, "/counters/clock_back"),
    col("clock_leaps", Ty::U64, "/counters/clock_leaps"),
    col("skipped_records", Ty::U64, "/skipped_records"),
    col("read_error", Ty::Str, "/read_error"),
    col("flows", Ty::U64, "/flows"),
    col("streams", Ty::U64, "/streams"),
    col("ice_sessions", Ty::U64, "/ice_sessions"),
    col("ice_pairs", Ty::U64, "/ice_pairs"),
    col("ice_pairs_succeeded", Ty::U64, "/ice_pairs_succeeded"),
    col("ice_selected_pairs", Ty::U64, "/ice_selected_pairs"),
    col("turn_allocations", Ty::U64, "/turn_allocations"),
    col("dtls_associations", Ty::U64, "/dtls_associations"),
    col("dtls_completed", Ty::U64, "/dtls_completed"),
    col("findings", Ty::U64, "/findings"),
    col("worst_severity", Ty::Str, "/worst_severity"),
];

/// `findings`: the diagnosis, one row per finding.
pub const FINDINGS: &[Col] = &[
    col("id", Ty::Str, "/id"),
    col("severity", Ty::Str, "/severity"),
    col("at", Ty::Time, "/at_ns"),
    col("verdict", Ty::Str, "/verdict"),
    col("advice", Ty::Str, "/advice"),
    col("evidence", Ty::Str, "/evidence"),
];

/// `flows`: one row per 5-tuple (`flows[]`).
pub const FLOWS: &[Col] = &[
    col("transport", Ty::Str, "/transport"),
    col("a", Ty::Str, "/a"),
    col("b", Ty::Str, "/b"),
    col("relay", Ty::U32, "/relay"),
    col("first", Ty::Time, "/first_ns"),
    col("last", Ty::Time, "/last_ns"),
    col("packets_ab", Ty::U64, "/packets/0"),
    col("packets_ba", Ty::U64, "/packets/1"),
    col("bytes_ab", Ty::U64, "/bytes/0"),
    col("bytes_ba", Ty::U64, "/bytes/1"),
    col("stun", Ty::U64, "/counts/stun"),
    col("classic_stun", Ty::U64, "/counts/classic_stun"),
    col("channel_data", Ty::U64, "/counts/channel_data"),
    col("dtls", Ty::U64, "/counts/dtls"),
    col("rtp", Ty::U64, "/counts/rtp"),
    col("rtcp", Ty::U64, "/counts/rtcp"),
    col("sctp", Ty::U64, "/counts/sctp"),
    col("unknown", Ty::U64, "/counts/unknown"),
    col("icmp_errors", Ty::Str, "/icmp_errors"),
];

/// `streams`: one row per RTP stream (SSRC, direction, flow), as `streams[]`.
pub const STREAMS: &[Col] = &[
    col("ssrc", Ty::U32, "/ssrc"),
    col("src", Ty::Str, "/src"),
    col("dst", Ty::Str, "/dst"),
    col("transport", Ty::Str, "/flow/transport"),
    col("flow_a", Ty::Str, "/flow/lo"),
    col("flow_b", Ty::Str, "/flow/hi"),
    col("relay", Ty::U32, "/relay"),
    col("leg", Ty::Str, "/leg"),
    col("relay_path", Ty::U32, "/counted_on/path"),
    col("first", Ty::Time, "/first_ns"),
    col("last", Ty::Time, "/last_ns"),
    col("packets", Ty::U64, "/packets"),
    col("bytes", Ty::U64, "/bytes"),
    col("header_bytes", Ty::U64, "/header_bytes"),
    col("payload_bytes", Ty::U64, "/payload_bytes"),
    col("padding_bytes", Ty::U64, "/padding_bytes"),
    col("padding_only_bytes", Ty::U64, "/padding_only_bytes"),
    col("srtp_tag_bytes", Ty::U64, "/srtp_tag_bytes"),
    col("payload_types", Ty::Str, "/payload_types"),
    col("codec", Ty::Str, "/codec"),
    col("codec_label", Ty::Str, "/codec_label"),
    col("encapsulation", Ty::Str, "/encapsulation"),
    col("clock_rate", Ty::U32, "/clock_rate"),
    col("kind", Ty::Str, "/kind"),
    col("markers", Ty::U64, "/markers"),
    col("padded", Ty::U64, "/padded"),
    col("padding_only", Ty::U64, "/padding_only"),
    col("rtx_payload", Ty::U64, "/rtx_payload"),
    col("retransmissions", Ty::U64, "/retransmissions"),
    col("retransmitted_bytes", Ty::U64, "/retransmitted_bytes"),
    col("rtx_probes", Ty::U64, "/rtx_probes"),
    col("encrypted", Ty::Bool, "/encrypted"),
    col("unique", Ty::U64, "/unique"),
    col("expected", Ty::U64, "/expected"),
    col("lost", Ty::U64, "/lost"),
    col("duplicates", Ty::U64, "/duplicates"),
    col("reordered", Ty::U64, "/reordered"),
    col("seq_jumps", Ty::U64, "/seq_jumps"),
    col("jitter_ms", Ty::F64, "/jitter_ms"),
    col("mid", Ty::Str, "/mid"),
    col("rid", Ty::Str, "/rid"),
    col("rtx_of", Ty::U32, "/rtx_of"),
    col("loss_uncertain", Ty::Bool, "/loss_uncertain"),
    col("sender_reports", Ty::U64, "/sender_reports"),
    col(
        "rr_fraction_lost",
        Ty::F64,
        "/receiver_report/fraction_lost",
    ),
    col(
        "rr_cumulative_lost",
        Ty::I64,
        "/receiver_report/cumulative_lost",
    ),
    col("rr_jitter", Ty::U32, "/receiver_report/jitter"),
    col("rtcp_rtt_ms", Ty::F64, "/rtcp_rtt_ms"),
    // The video frames read from the payloads (`streams[].frames`; null when none was read).
    col("frames_codec", Ty::Str, "/frames/codec"),
    col("frames", Ty::U64, "/frames/frames"),
    col("key_frames", Ty::U64, "/frames/key_frames"),
    col("complete_frames", Ty::U64, "/frames/complete_frames"),
    col("width", Ty::U32, "/frames/resolution/width"),
    col("height", Ty::U32, "/frames/resolution/height"),
    col("resolutions", Ty::Str, "/frames/resolutions"),
    col("resolution_changes", Ty::U64, "/frames/resolution_changes"),
    col("frames_per_second", Ty::F64, "/frames/frames_per_second"),
    col("freezes", Ty::U64, "/frames/freezes"),
    col("freeze_total_ms", Ty::F64, "/frames/freeze_total_ms"),
    col("freeze_list", Ty::Str, "/frames/freeze_list"),
    col(
        "unreadable_payloads",
        Ty::U64,
        "/frames/unreadable_payloads",
    ),
    col("late_packets", Ty::U64, "/frames/late_packets"),
    col("timestamp_jumps", Ty::U64, "/frames/timestamp_jumps"),
    col("repaired_frames", Ty::U64, "/frames/repaired_frames"),
    col(
        "repaired_completions",
        Ty::U64,
        "/frames/repaired_completions",
    ),
];

/// `stream_bins`: each stream's bandwidth series (`streams[].series`) and quality series
/// (`streams[].quality`) on their common grid, one row per bin that saw a packet or an RTCP
/// round-trip time.
pub const STREAM_BINS: &[Col] = &[
    col("ssrc", Ty::U32, "/ssrc"),
    col("src", Ty::Str, "/src"),
    col("dst", Ty::Str, "/dst"),
    col("relay", Ty::U32, "/relay"),
    col("bin_start", Ty::Time, "/bin_start_ns"),
    col("bin_ns", Ty::I64, "/bin_ns"),
    col("packets", Ty::U64, "/packets"),
    col("bytes", Ty::U64, "/bytes"),
    col("expected", Ty::U64, "/quality/expected"),
    col("received", Ty::U64, "/quality/received"),
    col("duplicates", Ty::U64, "/quality/duplicates"),
    col("lost", Ty::I64, "/quality/lost"),
    col("reordered", Ty::U64, "/quality/reordered"),
    col("jitter_ms", Ty::F64, "/quality/jitter_ms"),
    col("jitter_max_ms", Ty::F64, "/quality/jitter_max_ms"),
    col("rtt_samples", Ty::U32, "/quality/rtt_samples"),
    col("rtt_min_ms", Ty::F64, "/quality/rtt_min_ms"),
    col("rtt_mean_ms", Ty::F64, "/quality/rtt_mean_ms"),
    col("rtt_max_ms", Ty::F64, "/quality/rtt_max_ms"),
];

/// The columns of `streams[].quality` that `stream_bins` carries, by their JSON names.
const QUALITY_FIELDS: [&str; 11] = [
    "expected",
    "received",
    "duplicates",
    "lost",
    "reordered",
    "jitter_ms",
    "jitter_max_ms",
    "rtt_samples",
    "rtt_min_ms",
    "rtt_mean_ms",
    "rtt_max_ms",
];

/// `stream_frame_bins`: each video stream's frame-rate series (`streams[].frames.frame_rate`),
/// one row per bin from the first to the last (a bin without frames is a row with 0).
pub const STREAM_FRAME_BINS: &[Col] = &[
    col("ssrc", Ty::U32, "/ssrc"),
    col("src", Ty::Str, "/src"),
    col("dst", Ty::Str, "/dst"),
    col("relay", Ty::U32, "/relay"),
    col("bin_start", Ty::Time, "/bin_start_ns"),
    col("bin_ns", Ty::I64, "/bin_ns"),
    col("frames", Ty::U32, "/frames"),
];

/// `ice_checks`: one row per candidate pair (`ice_sessions[].pairs[]`).
pub const ICE_CHECKS: &[Col] = &[
    col("session", Ty::U32, "/session"),
    col("pair", Ty::U32, "/id"),
    col("local", Ty::Str, "/local"),
    col("remote", Ty::Str, "/remote"),
    col("transport", Ty::Str, "/transport"),
    col("path", Ty::Str, "/path"),
    col("relay", Ty::U32, "/relay"),
    col("local_type", Ty::Str, "/local_type"),
    col("remote_type", Ty::Str, "/remote_type"),
    col("local_ufrag", Ty::Str, "/local_ufrag"),
    col("remote_ufrag", Ty::Str, "/remote_ufrag"),
    col("state", Ty::Str, "/state"),
    col("role", Ty::Str, "/role"),
    col("priority", Ty::U32, "/priority"),
    col("requests", Ty::U32, "/requests"),
    col("retransmissions", Ty::U32, "/retransmissions"),
    col("responses", Ty::U32, "/responses"),
    col("errors", Ty::Str, "/errors"),
    col("rtt_min_us", Ty::I64, "/rtt_us/min"),
    col("rtt_mean_us", Ty::I64, "/rtt_us/mean"),
    col("rtt_max_us", Ty::I64, "/rtt_us/max"),
    col("rtt_samples", Ty::U32, "/rtt_us/samples"),
    col("use_candidate_sent", Ty::Bool, "/use_candidate_sent"),
    col("nominated", Ty::Bool, "/nominated"),
    col("selected", Ty::Bool, "/selected"),
    col("consent_checks", Ty::U32, "/consent_checks"),
    col("requests_received", Ty::U32, "/requests_received"),
    col("responses_sent", Ty::U32, "/responses_sent"),
    col("mapped", Ty::Str, "/mapped"),
    col("first", Ty::Time, "/first_ns"),
    col("succeeded", Ty::Time, "/succeeded_ns"),
    col("last", Ty::Time, "/last_ns"),
];

/// `turn`: one row per TURN allocation (`turn_allocations[]`), its events counted and its
/// errors listed.
pub const TURN: &[Col] = &[
    col("allocation", Ty::U32, "/id"),
    col("client", Ty::Str, "/client"),
    col("server", Ty::Str, "/server"),
    col("transport", Ty::Str, "/transport"),
    col("state", Ty::Str, "/state"),
    col("username", Ty::Str, "/username"),
    col("realm", Ty::Str, "/realm"),
    col("relayed", Ty::Str, "/relayed"),
    col("mapped", Ty::Str, "/mapped"),
    col("lifetime_s", Ty::U32, "/lifetime_s"),
    col("allocated", Ty::Time, "/allocated_ns"),
    col("released", Ty::Time, "/released_ns"),
    col("allocate_requests", Ty::U32, "/allocate_requests"),
    col("refreshes", Ty::U32, "/refreshes"),
    col("permissions", Ty::U64, "/permission_count"),
    col("channels", Ty::U64, "/channel_count"),
    col("send_indications", Ty::U64, "/send_indications"),
    col("data_indications", Ty::U64, "/data_indications"),
    col("errors", Ty::U64, "/error_count"),
    col("first_error_code", Ty::U16, "/errors/0/code"),
    col("first_error_reason", Ty::Str, "/errors/0/reason"),
    col("error_list", Ty::Str, "/errors"),
    col("channel_list", Ty::Str, "/channels"),
];

/// `dtls`: one row per DTLS association (`dtls[]`).
pub const DTLS: &[Col] = &[
    col("a", Ty::Str, "/a"),
    col("b", Ty::Str, "/b"),
    col("relay", Ty::U32, "/relay"),
    col("client", Ty::Str, "/client"),
    col("server", Ty::Str, "/server"),
    col("version", Ty::Str, "/version"),
    col("offered_versions", Ty::Str, "/offered_versions"),
    col("cipher_suite", Ty::Str, "/cipher_suite"),
    col("srtp_profile", Ty::Str, "/srtp_profile/value"),
    col("srtp_profile_seen", Ty::Str, "/srtp_profile/seen"),
    col("hello_verify_request", Ty::Bool, "/hello_verify_request"),
    col("hello_retry_request", Ty::Bool, "/hello_retry_request"),
    col("fingerprint_check", Ty::Str, "/fingerprint_check"),
    col("alerts", Ty::Str, "/alerts"),
    col(
        "handshake_retransmissions",
        Ty::U64,
        "/handshake_retransmissions",
    ),
    col("duplicate_records", Ty::U64, "/duplicate_records"),
    col("records", Ty::U64, "/records"),
    col("parse_errors", Ty::U64, "/parse_errors"),
    col("first", Ty::Time, "/first_ns"),
    col("client_hello", Ty::Time, "/client_hello_ns"),
    col("done", Ty::Time, "/done_ns"),
    col("done_by", Ty::Str, "/done_by"),
    col("duration_ms", Ty::F64, "/duration_ms"),
];

fn to_value<T: serde::Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or(Value::Null)
}

/// What a capture's reading said, beside the report.
#[derive(Clone, Debug, Default)]
pub struct ReadOutcome {
    /// The file as given.
    pub source: String,
    /// Damaged records skipped (the reader went on after them).
    pub skipped_records: u64,
    /// What ended reading early, with its byte offset (everything before it was exported).
    pub read_error: Option<String>,
}

/// The `captures` row.
pub(crate) fn capture_row(r: &Report, read: &ReadOutcome) -> Value {
    let pairs = r.ice_sessions.iter().flat_map(|s| s.pairs.iter());
    json!({
        "schema_version": crate::SCHEMA_VERSION,
        "source": read.source,
        "start_ns": r.start_ns,
        "end_ns": r.end_ns,
        "counters": to_value(&r.counters),
        "skipped_records": read.skipped_records,
        "read_error": read.read_error,
        "flows": r.flows.len(),
        "streams": r.streams.len(),
        "ice_sessions": r.ice_sessions.len(),
        "ice_pairs": pairs.clone().count(),
        "ice_pairs_succeeded": pairs.filter(|p| p.succeeded_ns.is_some()).count(),
        "ice_selected_pairs": r.ice_sessions.iter().map(|s| s.selected.len()).sum::<usize>(),
        "turn_allocations": r.turn_allocations.len(),
        "dtls_associations": r.dtls.len(),
        "dtls_completed": r.dtls.iter().filter(|d| d.done_ns.is_some()).count(),
        "findings": r.findings.len(),
        "worst_severity": r.findings.iter().map(|f| f.severity).min().map(|s| to_value(&s)),
    })
}

/// Every row of every report table, in the order `analyze --json` lists the items.
pub(crate) fn report_rows(r: &Report, mut push: impl FnMut(Table, Value)) {
    for f in &r.findings {
        push(Table::Findings, to_value(f));
    }
    for f in &r.flows {
        let mut v = to_value(f);
        if let Some(o) = v.as_object_mut() {
            o.remove("series");
        }
        push(Table::Flows, v);
    }
    for s in &r.streams {
        let mut v = to_value(s);
        if let Some(o) = v.as_object_mut() {
            // Their own tables below.
            o.remove("series");
            o.remove("quality");
            if let Some(f) = o.get_mut("frames").and_then(Value::as_object_mut) {
                f.remove("frame_rate");
            }
        }
        push(Table::Streams, v);
        stream_bins(s, &mut push);
        if let Some(f) = &s.frames {
            let fr = &f.frame_rate;
            for (i, n) in fr.frames.iter().enumerate() {
                push(
                    Table::StreamFrameBins,
                    json!({
                        "ssrc": s.ssrc,
                        "src": s.src.to_string(),
                        "dst": s.dst.to_string(),
                        "relay": s.relay,
                        "bin_start_ns": fr.start_ns.saturating_add(
                            fr.bucket_ns.saturating_mul(i as i64)),
                        "bin_ns": fr.bucket_ns,
                        "frames": n,
                    }),
                );
            }
        }
    }
    for s in &r.ice_sessions {
        for p in &s.pairs {
            let mut v = to_value(p);
            if let Some(o) = v.as_object_mut() {
                o.remove("timeline");
                o.insert("session".into(), json!(s.id));
                o.insert(
                    "selected".into(),
                    json!(s.selected.iter().any(|x| x.pair == p.id)),
                );
            }
            push(Table::IceChecks, v);
        }
    }
    for a in &r.turn_allocations {
        let mut v = to_value(a);
        if let Some(o) = v.as_object_mut() {
            o.insert("permission_count".into(), json!(a.permissions.len()));
            o.insert("channel_count".into(), json!(a.channels.len()));
            o.insert("error_count".into(), json!(a.errors.len()));
        }
        push(Table::Turn, v);
    }
    for d in &r.dtls {
        let mut v = to_value(d);
        if let Some(o) = v.as_object_mut() {
            o.remove("timeline");
            o.remove("client_certificates");
            o.remove("server_certificates");
        }
        push(Table::Dtls, v);
    }
}

/// The `stream_bins` rows of one stream: its bandwidth series and its quality series joined
/// bin by bin.
///
/// The engine keeps the two on one grid (same start, same width: `crates/analysis`'s
/// quality.rs); should their widths differ, both are coarsened to the wider one first, which
/// is exact (neighbouring bins merge, as the engine itself coarsens). The quality figures are
/// read from the series' JSON form, so each is `streams[].quality`'s for that bin, rounding
/// included.
fn stream_bins(s: &Stream, push: &mut impl FnMut(Table, Value)) {
    let (mut series, mut quality) = (Cow::Borrowed(&s.series), Cow::Borrowed(&s.quality));
    let width = series.bucket_ns.max(quality.bucket_ns);
    if series.bucket_ns != width {
        series.to_mut().coarsen_to(width);
    }
    if quality.bucket_ns != width {
        quality.to_mut().coarsen_to(width);
    }
    let one_grid = series.start_ns == quality.start_ns;
    let q = to_value(&*quality);
    // Bins by start time: the bandwidth bins with packets, then the quality bins that saw a
    // packet or a round-trip time (on one grid, a bin with packets is both).
    let mut bins: BTreeMap<i64, serde_json::Map<String, Value>> = BTreeMap::new();
    let start = |base: i64, i: usize| base.saturating_add(width.saturating_mul(i as i64));
    for (i, b) in series.iter() {
        let row = bins.entry(start(series.start_ns, i)).or_default();
        // A stream's series counts its own direction forward.
        row.insert("packets".into(), json!(b.packets_fwd));
        row.insert("bytes".into(), json!(b.bytes_fwd));
    }
    for (i, _) in quality.iter() {
        let row = bins.entry(start(quality.start_ns, i)).or_default();
        if one_grid && !row.contains_key("packets") {
            // An RTT sample in a bin without packets of the stream.
            row.insert("packets".into(), json!(0));
            row.insert("bytes".into(), json!(0));
        }
        let cols: serde_json::Map<String, Value> = QUALITY_FIELDS
            .iter()
            .map(|f| {
                (
                    (*f).to_owned(),
                    q[*f].get(i).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        row.insert("quality".into(), Value::Object(cols));
    }
    for (bin_start, mut row) in bins {
        row.insert("ssrc".into(), json!(s.ssrc));
        row.insert("src".into(), json!(s.src.to_string()));
        row.insert("dst".into(), json!(s.dst.to_string()));
        row.insert("relay".into(), json!(s.relay));
        row.insert("bin_start_ns".into(), json!(bin_start));
        row.insert("bin_ns".into(), json!(width));
        push(Table::StreamBins, Value::Object(row));
    }
}

/// The tables of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// One row per capture.
    Captures,
    /// One row per packet (frame).
    Packets,
    /// One row per flow.
    Flows,
    /// One row per RTP stream.
    Streams,
    /// One row per stream and non-empty time bin.
    StreamBins,
    /// One row per video stream and frame-rate bin.
    StreamFrameBins,
    /// One row per ICE candidate pair.
    IceChecks,
    /// One row per TURN allocation.
    Turn,
    /// One row per DTLS association.
    Dtls,
    /// One row per finding.
    Findings,
}

impl Table {
    /// Every table, in the order they are documented.
    pub const ALL: [Table; 10] = [
        Table::Captures,
        Table::Packets,
        Table::Flows,
        Table::Streams,
        Table::StreamBins,
        Table::StreamFrameBins,
        Table::IceChecks,
        Table::Turn,
        Table::Dtls,
        Table::Findings,
    ];

    /// The table's folder name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Captures => "captures",
            Table::Packets => "packets",
            Table::Flows => "flows",
            Table::Streams => "streams",
            Table::StreamBins => "stream_bins",
            Table::StreamFrameBins => "stream_frame_bins",
            Table::IceChecks => "ice_checks",
            Table::Turn => "turn",
            Table::Dtls => "dtls",
            Table::Findings => "findings",
        }
    }

    /// The columns of a report table (`None` for `packets`, which is built per packet).
    pub fn columns(self) -> Option<&'static [Col]> {
        Some(match self {
            Table::Captures => CAPTURES,
            Table::Packets => return None,
            Table::Flows => FLOWS,
            Table::Streams => STREAMS,
            Table::StreamBins => STREAM_BINS,
            Table::StreamFrameBins => STREAM_FRAME_BINS,
            Table::IceChecks => ICE_CHECKS,
            Table::Turn => TURN,
            Table::Dtls => DTLS,
            Table::Findings => FINDINGS,
        })
    }
}
