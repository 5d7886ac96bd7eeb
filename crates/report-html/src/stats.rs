//! The browser's own statistics given beside a capture (`rtcscope report --stats FILE`).
//!
//! Three formats are read:
//! * a Chromium `chrome://webrtc-internals` dump: `{"PeerConnections": {PCID: {"stats":
//!   {"<statId>-<field>": {"startTime", "endTime", "statsType", "values": "<JSON array as a
//!   string>"}}}}}` — time series, one value a second between `startTime` and `endTime` (ISO
//!   8601 strings, or milliseconds since the epoch in older dumps);
//! * a `getStats()` snapshot as the project's recorder saves it (`fixtures/webrtc/*/stats-a.json`):
//!   a JSON array of stats objects (`{"id", "type", "timestamp", …}`);
//! * an rtcstats dump ([`rtcstats`]): what the rtcstats client library sends and
//!   rtcstats-server writes, one JSON array per line, `[method, peerConnectionId, value, …,
//!   timestamp]`, whose `getstats` / `getStats` events carry delta-compressed `getStats()`
//!   reports. Both generations: the classic dumps (rtcstats.js 3.x, fippo's and Jitsi's
//!   rtcstats-server: absolute timestamps, first lines of metadata such as `connectionInfo`,
//!   reports whose `timestamp` is 0 taking the event's top-level `timestamp`) and file format
//!   3 (the `rtcstats/rtcstats` monorepo: a `RTCStatsDump` line and a metadata object first,
//!   timestamps as deltas from the previous event, methods, stats types and property names
//!   compressed through static tables, removed reports sent as `null`).
//!
//! A file that is none of these is an error naming what is wrong (for a dump, the line);
//! nothing here panics on input.

use serde_json::Value;

/// What a stats file held.
#[derive(Clone, Debug, PartialEq)]
pub enum Stats {
    /// A `getStats()` snapshot: RTP counters per SSRC at one moment.
    Snapshot(Snapshot),
    /// A webrtc-internals dump: time series.
    Internals(Internals),
    /// An rtcstats dump: time series.
    Rtcstats(RtcstatsDump),
}

/// An rtcstats dump, as plot-ready series.
#[derive(Clone, Debug, PartialEq)]
pub struct RtcstatsDump {
    /// The series plotted (the same metrics and units as a webrtc-internals dump's).
    pub series: Vec<BrowserSeries>,
    /// Numeric stats fields in the dump that are not plotted (per peer connection and stats
    /// object).
    pub other_series: usize,
    /// `getStats` events read.
    pub getstats_events: usize,
    /// Events of any kind read.
    pub events: usize,
    /// The file format: 3 for a dump opening with `RTCStatsDump`; `None` for the classic
    /// dumps, which do not say.
    pub file_format: Option<u64>,
    /// The browser, from the metadata (`userAgent`), when the dump names it.
    pub user_agent: Option<String>,
}

/// One `getStats()` snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// When it was taken (ms since the epoch), from the entries' `timestamp`.
    pub timestamp_ms: Option<f64>,
    /// `outbound-rtp` and `inbound-rtp` entries.
    pub rtp: Vec<RtpCounters>,
}

/// Which way an RTP stats entry counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `outbound-rtp`: packets this browser sent.
    Outbound,
    /// `inbound-rtp`: packets it received.
    Inbound,
}

/// The counters of one `outbound-rtp` / `inbound-rtp` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct RtpCounters {
    /// Sent or received.
    pub direction: Direction,
    /// The stats id.
    pub id: String,
    /// `audio` / `video`.
    pub kind: String,
    /// The media SSRC.
    pub ssrc: u32,
    /// `rtxSsrc`, when the browser names it (Chromium does).
    pub rtx_ssrc: Option<u32>,
    /// `packetsSent` / `packetsReceived`.
    pub packets: u64,
    /// `bytesSent` / `bytesReceived` (payload bytes).
    pub bytes: u64,
}

/// A webrtc-internals dump, as plot-ready series.
#[derive(Clone, Debug, PartialEq)]
pub struct Internals {
    /// The series plotted, in the order found.
    pub series: Vec<BrowserSeries>,
    /// Stats series in the dump that are not plotted.
    pub other_series: usize,
}

/// One browser series, already in the unit plotted.
#[derive(Clone, Debug, PartialEq)]
pub struct BrowserSeries {
    /// The peer connection id in the dump.
    pub pc: String,
    /// The stats object id (`IT01V1234…`, `CP…`).
    pub stat_id: String,
    /// Its type (`inbound-rtp`, `outbound-rtp`, `candidate-pair`).
    pub stats_type: String,
    /// The field read (`bytesReceived`, `jitter`, …).
    pub field: String,
    /// The metric plotted: `bitrate`, `packets-lost`, `jitter`, `rtt`.
    pub metric: &'static str,
    /// The unit of `points`' values.
    pub unit: &'static str,
    /// The SSRC of an RTP entry (from its `-ssrc` series).
    pub ssrc: Option<u32>,
    /// (ns since the epoch, value).
    pub points: Vec<(i64, f64)>,
}

/// Why a stats file could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsError {
    /// The file.
    pub file: String,
    /// What is wrong.
    pub what: String,
}

impl std::fmt::Display for StatsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--stats {}: {}", self.file, self.what)
    }
}

impl std::error::Error for StatsError {}

/// Fields of the dump that are plotted: (stats type, field, metric, unit).
const PLOTTED: &[(&str, &str, &str, &str)] = &[
    ("inbound-rtp", "bytesReceived", "bitrate", "bit/s"),
    ("outbound-rtp", "bytesSent", "bitrate", "bit/s"),
    ("inbound-rtp", "packetsLost", "packets-lost", "packets"),
    ("inbound-rtp", "jitter", "jitter", "ms"),
    ("candidate-pair", "currentRoundTripTime", "rtt", "ms"),
];

/// Most series read from one dump (a dump of many peer connections is cut here).
pub const MAX_SERIES: usize = 256;
/// Most points per series.
pub const MAX_POINTS: usize = 100_000;

/// Reads a stats file's bytes; `file` names it in errors.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Stats, StatsError> {
    let err = |what: String| StatsError {
        file: file.to_owned(),
        what,
    };
    // rtcstats-server may store its dumps compressed: say so rather than "not JSON".
    for (magic, what, tool) in [
        (&b"\x1f\x8b"[..], "gzip", "gunzip -k"),
        (b"BZh", "bzip2", "bunzip2 -k"),
    ] {
        if bytes.starts_with(magic) {
            return Err(err(format!(
                "{what}-compressed; decompress it first (`{tool} FILE`) and give the result"
            )));
        }
    }
    if bytes.starts_with(b"RTCStatsDump") {
        return rtcstats(bytes).map(Stats::Rtcstats).map_err(err);
    }
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        // Not one JSON document: an rtcstats dump (a JSON value per line) if its first line
        // is one.
        Err(e) => {
            let first = bytes
                .split(|b| *b == b'\n')
                .find(|l| !l.trim_ascii().is_empty())
                .unwrap_or_default();
            return match serde_json::from_slice::<Value>(first) {
                Ok(Value::Array(_) | Value::Object(_)) => {
                    rtcstats(bytes).map(Stats::Rtcstats).map_err(err)
                }
                _ => Err(err(format!("not JSON ({e})"))),
            };
        }
    };
    match &v {
        // A dump of one line: an event array, whose first element is its method.
        Value::Array(items) if items.first().is_some_and(|f| !f.is_object()) => {
            rtcstats(bytes).map(Stats::Rtcstats).map_err(err)
        }
        Value::Array(items) => snapshot(items).map(Stats::Snapshot).map_err(err),
        Value::Object(o) if o.contains_key("PeerConnections") => internals(&v["PeerConnections"])
            .map(Stats::Internals)
            .map_err(err),
        Value::Object(_) => Err(err(
            "a JSON object without \"PeerConnections\": neither a webrtc-internals dump nor a \
             getStats() snapshot (an array of stats objects)"
                .into(),
        )),
        _ => Err(err(
            "expected a webrtc-internals dump (an object with \"PeerConnections\") or a \
             getStats() snapshot (an array of stats objects)"
                .into(),
        )),
    }
}

fn snapshot(items: &[Value]) -> Result<Snapshot, String> {
    if items.is_empty() {
        return Err("an empty array: no stats objects".into());
    }
    let mut rtp = Vec::new();
    let mut timestamp_ms = None;
    for (i, it) in items.iter().enumerate() {
        let Some(ty) = it.get("type").and_then(Value::as_str) else {
            return Err(format!(
                "entry {i} has no \"type\": not a getStats() snapshot"
            ));
        };
        if timestamp_ms.is_none() {
            timestamp_ms = it.get("timestamp").and_then(Value::as_f64);
        }
        let (direction, packets, bytes) = match ty {
            "outbound-rtp" => (Direction::Outbound, "packetsSent", "bytesSent"),
            "inbound-rtp" => (Direction::Inbound, "packetsReceived", "bytesReceived"),
            _ => continue,
        };
        let num = |k: &str| it.get(k).and_then(Value::as_u64);
        let id = it
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let ssrc = num("ssrc")
            .and_then(|s| u32::try_from(s).ok())
            .ok_or_else(|| format!("{ty} entry {id:?} has no valid \"ssrc\""))?;
        rtp.push(RtpCounters {
            direction,
            kind: it
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            ssrc,
            rtx_ssrc: num("rtxSsrc").and_then(|s| u32::try_from(s).ok()),
            packets: num(packets)
                .ok_or_else(|| format!("{ty} entry {id:?} has no \"{packets}\""))?,
            bytes: num(bytes).ok_or_else(|| format!("{ty} entry {id:?} has no \"{bytes}\""))?,
            id,
        });
    }
    Ok(Snapshot { timestamp_ms, rtp })
}

/// A webrtc-internals time: an ISO 8601 string or milliseconds since the epoch.
fn time_ns(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .and_then(|d| d.timestamp_nanos_opt()),
        // Whole milliseconds exactly (an f64 holds them; ms × 10⁶ it does not), the
        // fraction to the nanosecond.
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 9e15)
            .map(|ms| ms.trunc() as i64 * 1_000_000 + (ms.fract() * 1e6).round() as i64),
        _ => None,
    }
}

/// A non-negative whole number, written as an integer or as a float (`3827216658.0`).
fn whole_number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

/// A field's samples (ns since the epoch, the value as the browser gives it) as the points
/// plotted: cumulative bytes become a rate between consecutive samples (at the later one,
/// never below zero), seconds become milliseconds, counts stay.
fn to_points(metric: &str, samples: &[(i64, f64)]) -> Vec<(i64, f64)> {
    match metric {
        "bitrate" => samples
            .windows(2)
            .filter_map(|w| {
                let dt = (w[1].0 - w[0].0) as f64 / 1e9;
                (dt > 0.0).then(|| (w[1].0, ((w[1].1 - w[0].1) * 8.0 / dt).max(0.0)))
            })
            .collect(),
        "jitter" | "rtt" => samples.iter().map(|(t, v)| (*t, v * 1000.0)).collect(),
        _ => samples.to_vec(),
    }
}

fn internals(pcs: &Value) -> Result<Internals, String> {
    let Some(pcs) = pcs.as_object() else {
        return Err("\"PeerConnections\" is not an object".into());
    };
    let mut series = Vec::new();
    let mut other = 0;
    let mut any_stats = false;
    for (pc, conn) in pcs {
        let Some(stats) = conn.get("stats").and_then(Value::as_object) else {
            continue;
        };
        any_stats = true;
        for (key, entry) in stats {
            let ty = entry.get("statsType").and_then(Value::as_str).unwrap_or("");
            // The key is "<statId>-<field>"; stat ids may hold '-' themselves.
            let Some((stat_id, field)) = key.rsplit_once('-') else {
                other += 1;
                continue;
            };
            let Some(&(_, _, metric, unit)) =
                PLOTTED.iter().find(|(t, f, _, _)| *t == ty && *f == field)
            else {
                other += 1;
                continue;
            };
            if series.len() >= MAX_SERIES {
                other += 1;
                continue;
            }
            let what = |w: &str| format!("PeerConnections.{pc}.stats.{key}: {w}");
            let start = entry
                .get("startTime")
                .and_then(time_ns)
                .ok_or_else(|| what("no valid \"startTime\""))?;
            let end = entry
                .get("endTime")
                .and_then(time_ns)
                .ok_or_else(|| what("no valid \"endTime\""))?;
            let values: Vec<Value> = match entry.get("values") {
                Some(Value::String(s)) => serde_json::from_str(s)
                    .map_err(|e| what(&format!("\"values\" is not a JSON array ({e})")))?,
                Some(Value::Array(a)) => a.clone(),
                _ => return Err(what("no \"values\"")),
            };
            let vals: Vec<f64> = values
                .iter()
                .take(MAX_POINTS)
                .map(|v| {
                    v.as_f64()
                        .ok_or_else(|| what("a value that is not a number"))
                })
                .collect::<Result<_, _>>()?;
            let ssrc = stats
                .get(&format!("{stat_id}-ssrc"))
                .and_then(|e| e.get("values"))
                .and_then(|v| match v {
                    Value::String(s) => serde_json::from_str::<Vec<Value>>(s).ok(),
                    Value::Array(a) => Some(a.clone()),
                    _ => None,
                })
                .and_then(|a| a.last().and_then(whole_number))
                .and_then(|s| u32::try_from(s).ok());
            let n = vals.len();
            let at = |i: usize| {
                if n < 2 {
                    start
                } else {
                    start + ((end - start) as f64 * i as f64 / (n - 1) as f64) as i64
                }
            };
            let samples: Vec<(i64, f64)> = (0..n).map(|i| (at(i), vals[i])).collect();
            let points = to_points(metric, &samples);
            series.push(BrowserSeries {
                pc: pc.clone(),
                stat_id: stat_id.to_owned(),
                stats_type: ty.to_owned(),
                field: field.to_owned(),
                metric,
                unit,
                ssrc,
                points,
            });
        }
    }
    if !any_stats {
        return Err("no peer connection with \"stats\" in \"PeerConnections\"".into());
    }
    series.sort_by(|a, b| (&a.pc, a.metric, &a.stat_id).cmp(&(&b.pc, b.metric, &b.stat_id)));
    Ok(Internals {
        series,
        other_series: other,
    })
}

/// Method names of a file-format-3 dump's static table that matter here (`getStats` was `g`,
/// and is `1` from the next major version).
fn v3_method(m: &Value) -> Option<&'static str> {
    match m {
        Value::String(s) if s == "g" || s == "getStats" || s == "getstats" => Some("getStats"),
        Value::Number(n) if n.as_u64() == Some(1) => Some("getStats"),
        _ => None,
    }
}

/// File format 3's stats-type table (rtcstats-shared `statsTypeTable`).
const V3_TYPES: &[(u64, &str)] = &[
    (1, "inbound-rtp"),
    (2, "outbound-rtp"),
    (3, "remote-inbound-rtp"),
    (4, "remote-outbound-rtp"),
    (5, "transport"),
    (6, "candidate-pair"),
    (7, "local-candidate"),
    (8, "remote-candidate"),
    (9, "data-channel"),
    (10, "peer-connection"),
    (11, "certificate"),
    (12, "media-source"),
    (13, "media-playout"),
    (14, "codec"),
];

/// File format 3's property-name table (rtcstats-shared `statsPropertyTable`), for the
/// properties read here and those naming a stats object; other compressed names stay
/// numeric (and are not plotted).
const V3_PROPERTIES: &[(&str, &str)] = &[
    ("t", "timestamp"),
    ("5", "transportId"),
    ("10", "ssrc"),
    ("11", "kind"),
    ("12", "codecId"),
    ("14", "packetsReceived"),
    ("15", "packetsLost"),
    ("16", "jitter"),
    ("18", "mid"),
    ("20", "framesDecoded"),
    ("21", "keyFramesDecoded"),
    ("23", "frameWidth"),
    ("24", "frameHeight"),
    ("25", "framesPerSecond"),
    ("41", "bytesReceived"),
    ("70", "rtxSsrc"),
    ("75", "roundTripTime"),
    ("79", "packetsSent"),
    ("80", "bytesSent"),
    ("89", "framesSent"),
    ("91", "framesEncoded"),
    ("92", "keyFramesEncoded"),
    ("148", "localCandidateId"),
    ("149", "remoteCandidateId"),
    ("150", "nominated"),
    ("152", "currentRoundTripTime"),
];

/// Most peer connections of one dump whose stats are followed.
pub const MAX_PEER_CONNECTIONS: usize = 64;

/// The samples of one plotted field while the dump is read.
struct Acc {
    stats_type: String,
    ssrc: Option<u32>,
    samples: Vec<(i64, f64)>,
}

/// A stats report's `timestamp`: ms since the epoch (a number, or an ISO 8601 string as an
/// old rtcstats-server wrote the top-level one), to ns.
fn ms_to_ns(v: &Value) -> Option<i64> {
    time_ns(v)
}

/// Reads an rtcstats dump ([module documentation](self)): every `getStats` event is
/// decompressed against the previous full report of its peer connection, and each plotted
/// field of each stats object gives a sample at the object's own `timestamp` (a sample that
/// does not move time forward, as an unchanged object's in a classic dump, is not a new
/// one). Errors name the line.
pub fn rtcstats(bytes: &[u8]) -> Result<RtcstatsDump, String> {
    use std::collections::{BTreeMap, HashSet};
    type Reports = serde_json::Map<String, Value>;
    let mut v3 = false;
    let mut file_format = None;
    let mut user_agent: Option<String> = None;
    let mut last_time = 0f64;
    let mut events = 0usize;
    let mut getstats_events = 0usize;
    let mut bases: BTreeMap<String, Reports> = BTreeMap::new();
    let mut acc: BTreeMap<(String, &'static str, String, &'static str), Acc> = BTreeMap::new();
    let mut other: HashSet<(String, String, String)> = HashSet::new();
    let ends_with_newline = bytes.ends_with(b"\n");
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let nlines = lines.len();
    for (i, raw) in lines.into_iter().enumerate() {
        let n = i + 1;
        let line = raw.trim_ascii();
        if line.is_empty() {
            continue;
        }
        if n == 1 && line == b"RTCStatsDump" {
            v3 = true;
            continue;
        }
        let v: Value = serde_json::from_slice(line).map_err(|e| {
            let cut = n == nlines && !ends_with_newline;
            format!(
                "line {n}: not JSON ({e}){}",
                if cut {
                    "; the dump looks cut short (its last line has no end)"
                } else {
                    ""
                }
            )
        })?;
        let a = match v {
            Value::Array(a) => a,
            // Metadata: the object after `RTCStatsDump`, or a client's first line.
            Value::Object(o) => {
                if v3 && file_format.is_none() {
                    file_format = Some(o.get("fileFormat").and_then(Value::as_u64).ok_or_else(
                        || format!("line {n}: the metadata after RTCStatsDump has no integer \"fileFormat\""),
                    )?);
                }
                if user_agent.is_none() {
                    user_agent = o.get("userAgent").and_then(Value::as_str).map(str::to_owned);
                }
                continue;
            }
            _ => {
                return Err(format!(
                    "line {n}: neither an event array [method, peer connection id, value, …, timestamp] nor a metadata object"
                ))
            }
        };
        if a.len() < 4 {
            return Err(format!(
                "line {n}: an event of {} elements; rtcstats events are [method, peer connection id, value, …, timestamp]",
                a.len()
            ));
        }
        let ts = a[a.len() - 1]
            .as_f64()
            .filter(|t| t.is_finite())
            .ok_or_else(|| {
                format!("line {n}: the event's last element, its timestamp, is not a number")
            })?;
        // Format 3: each timestamp is a delta from the previous one (the first from the epoch).
        let time_ms = if v3 { last_time + ts } else { ts };
        if !(0.0..9e15).contains(&time_ms) {
            return Err(format!("line {n}: timestamp {time_ms} ms is out of range"));
        }
        last_time = time_ms;
        events += 1;
        if a[0].as_str() == Some("connectionInfo") && user_agent.is_none() {
            // Classic dumps: the client's metadata as a JSON string.
            user_agent = a[2]
                .as_str()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .and_then(|m| {
                    m.get("userAgent")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                });
        }
        let is_getstats = if v3 {
            v3_method(&a[0]).is_some()
        } else {
            matches!(a[0].as_str(), Some("getstats" | "getStats"))
        };
        if !is_getstats {
            continue;
        }
        let Value::Object(delta) = &a[2] else {
            return Err(format!(
                "line {n}: a getStats event whose value is not an object of stats reports"
            ));
        };
        getstats_events += 1;
        let pc = match &a[1] {
            Value::String(s) => s.clone(),
            Value::Null => "null".to_owned(),
            other => other.to_string(),
        };
        if !bases.contains_key(&pc) && bases.len() >= MAX_PEER_CONNECTIONS {
            continue;
        }
        let base = bases.entry(pc.clone()).or_default();
        let bad = |what: &str| format!("line {n}: getStats report {what}");
        if v3 {
            let top = delta.get("t").filter(|t| ms_to_ns(t).is_some()).cloned();
            let mut seen = HashSet::new();
            for (id, r) in delta {
                if id == "t" {
                    continue;
                }
                match r {
                    Value::Null => {
                        base.remove(id);
                    }
                    Value::Object(r) => {
                        let entry = base
                            .entry(id.clone())
                            .or_insert_with(|| Value::Object(Reports::new()));
                        let Value::Object(entry) = entry else {
                            continue;
                        };
                        let own_ts = r.contains_key("t") || r.contains_key("timestamp");
                        for (k, val) in r {
                            let name = V3_PROPERTIES
                                .iter()
                                .find(|(c, _)| c == k)
                                .map_or(k.as_str(), |(_, full)| full);
                            let val = if name == "type" {
                                match val
                                    .as_u64()
                                    .and_then(|t| V3_TYPES.iter().find(|(c, _)| *c == t))
                                {
                                    Some((_, ty)) => Value::String((*ty).to_owned()),
                                    None => val.clone(),
                                }
                            } else {
                                val.clone()
                            };
                            // Objects are merged one level deep; everything else replaced.
                            match (entry.get_mut(name), val) {
                                (Some(Value::Object(old)), Value::Object(new)) => {
                                    old.extend(new);
                                }
                                (_, val) => {
                                    entry.insert(name.to_owned(), val);
                                }
                            }
                        }
                        if !own_ts {
                            if let Some(t) = &top {
                                entry.insert("timestamp".into(), t.clone());
                            }
                        }
                        seen.insert(id.clone());
                    }
                    _ => return Err(bad(&format!("{id:?} is neither an object nor null"))),
                }
            }
            // Unchanged reports are left out of the delta: their values stand, at this time.
            if let Some(t) = &top {
                for (id, r) in base.iter_mut() {
                    if !seen.contains(id) {
                        if let Value::Object(r) = r {
                            r.insert("timestamp".into(), t.clone());
                        }
                    }
                }
            }
        } else {
            let top = delta
                .get("timestamp")
                .filter(|t| ms_to_ns(t).is_some())
                .cloned();
            // A classic delta names every report of this getStats() (unchanged fields left
            // out): a report it does not name is gone.
            base.retain(|id, _| delta.contains_key(id));
            for (id, r) in delta {
                if id == "timestamp" {
                    continue;
                }
                let Value::Object(r) = r else {
                    return Err(bad(&format!("{id:?} is not an object")));
                };
                let entry = base
                    .entry(id.clone())
                    .or_insert_with(|| Value::Object(Reports::new()));
                let Value::Object(entry) = entry else {
                    continue;
                };
                for (k, val) in r {
                    entry.insert(k.clone(), val.clone());
                }
                // The newest reports' timestamps are collapsed to 0 and moved to the top.
                if r.get("timestamp").and_then(Value::as_f64) == Some(0.0) {
                    let t = top.clone().ok_or_else(|| {
                        bad(&format!(
                            "{id:?} has timestamp 0 but the event has no top-level \"timestamp\""
                        ))
                    })?;
                    entry.insert("timestamp".into(), t);
                }
            }
        }
        // Samples of the plotted fields, from the full reports as they now stand.
        for (id, r) in base.iter() {
            let Some(ty) = r.get("type").and_then(Value::as_str) else {
                continue;
            };
            let Some(t) = r.get("timestamp").and_then(ms_to_ns) else {
                continue;
            };
            let Some(fields) = r.as_object() else {
                continue;
            };
            for (field, val) in fields {
                let Some(x) = val.as_f64() else {
                    continue;
                };
                let Some(&(ty_s, field_s, metric, _)) = PLOTTED
                    .iter()
                    .find(|(pt, pf, _, _)| *pt == ty && pf == field)
                else {
                    if field != "timestamp" && other.len() < 1_000_000 {
                        other.insert((pc.clone(), id.clone(), field.clone()));
                    }
                    continue;
                };
                let key = (pc.clone(), metric, id.clone(), field_s);
                if !acc.contains_key(&key) && acc.len() >= MAX_SERIES {
                    other.insert((pc.clone(), id.clone(), field.clone()));
                    continue;
                }
                let e = acc.entry(key).or_insert_with(|| Acc {
                    stats_type: ty_s.to_owned(),
                    ssrc: None,
                    samples: Vec::new(),
                });
                if e.ssrc.is_none() {
                    e.ssrc = r
                        .get("ssrc")
                        .and_then(whole_number)
                        .and_then(|s| u32::try_from(s).ok());
                }
                if e.samples.len() < MAX_POINTS && e.samples.last().is_none_or(|l| t > l.0) {
                    e.samples.push((t, x));
                }
            }
        }
    }
    if events == 0 {
        return Err("an rtcstats dump without events (no line is an event array)".into());
    }
    if getstats_events == 0 {
        return Err(format!(
            "an rtcstats dump of {events} events, none of them getStats: no statistics to plot"
        ));
    }
    let series = acc
        .into_iter()
        .map(|((pc, metric, stat_id, field), a)| {
            let unit = PLOTTED.iter().find(|p| p.2 == metric).map_or("", |p| p.3);
            BrowserSeries {
                points: to_points(metric, &a.samples),
                pc,
                stat_id,
                stats_type: a.stats_type,
                field: field.to_owned(),
                metric,
                unit,
                ssrc: a.ssrc,
            }
        })
        .collect();
    Ok(RtcstatsDump {
        series,
        other_series: other.len(),
        getstats_events,
        events,
        file_format,
        user_agent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        for (bytes, want) in [
            (&b"not json"[..], "not JSON"),
            (b"{}", "without \"PeerConnections\""),
            (b"[1,2]", "line 1: an event of 2 elements"),
            (b"\x1f\x8b\x08\x00", "gzip-compressed; decompress it first"),
            (b"42", "expected a webrtc-internals dump"),
            (b"[]", "empty array"),
            (b"[{\"id\":1}]", "no \"type\""),
            (b"[{\"type\":\"inbound-rtp\",\"id\":\"x\"}]", "no valid \"ssrc\""),
            (b"{\"PeerConnections\":{}}", "no peer connection"),
            (
                b"{\"PeerConnections\":{\"1\":{\"stats\":{\"X-jitter\":{\"statsType\":\"inbound-rtp\",\"startTime\":\"no\"}}}}}",
                "startTime",
            ),
            (
                b"{\"PeerConnections\":{\"1\":{\"stats\":{\"X-jitter\":{\"statsType\":\"inbound-rtp\",\"startTime\":1,\"endTime\":2,\"values\":\"[1,\"}}}}}",
                "not a JSON array",
            ),
        ] {
            let e = parse("f.json", bytes).unwrap_err();
            assert_eq!(e.file, "f.json");
            assert!(e.to_string().contains(want), "{e} (wanted {want})");
            assert!(e.to_string().starts_with("--stats f.json: "));
        }
    }

    #[test]
    fn a_snapshot_keeps_rtp_counters() {
        let s = parse(
            "s",
            br#"[{"id":"P","type":"peer-connection","timestamp":5.5},
                 {"id":"OT","type":"outbound-rtp","kind":"video","ssrc":7,"rtxSsrc":8,"packetsSent":10,"bytesSent":900},
                 {"id":"IT","type":"inbound-rtp","kind":"audio","ssrc":9,"packetsReceived":3,"bytesReceived":30}]"#,
        )
        .unwrap();
        let Stats::Snapshot(s) = s else { panic!() };
        assert_eq!(s.timestamp_ms, Some(5.5));
        assert_eq!(s.rtp.len(), 2);
        assert_eq!(s.rtp[0].direction, Direction::Outbound);
        assert_eq!(
            (
                s.rtp[0].ssrc,
                s.rtp[0].rtx_ssrc,
                s.rtp[0].packets,
                s.rtp[0].bytes
            ),
            (7, Some(8), 10, 900)
        );
        assert_eq!(
            (s.rtp[1].ssrc, s.rtp[1].rtx_ssrc, s.rtp[1].bytes),
            (9, None, 30)
        );
    }

    #[test]
    fn an_internals_dump_becomes_rates_and_milliseconds() {
        let dump = r#"{"PeerConnections":{"7-1":{"stats":{
            "IT01A5-bytesReceived":{"startTime":"2026-11-21T06:58:00.000Z","endTime":"2026-11-21T06:58:02.000Z","statsType":"inbound-rtp","values":"[0,1000,3000]"},
            "IT01A5-ssrc":{"startTime":"2026-11-21T06:58:00.000Z","endTime":"2026-11-21T06:58:02.000Z","statsType":"inbound-rtp","values":"[5,5,5.0]"},
            "IT01A5-jitter":{"startTime":1795330680000,"endTime":1795330682000,"statsType":"inbound-rtp","values":"[0.001,0.002,0.004]"},
            "CP1-x-currentRoundTripTime":{"startTime":"2026-11-21T06:58:00Z","endTime":"2026-11-21T06:58:00Z","statsType":"candidate-pair","values":"[0.05]"}
        }}}}"#;
        let Stats::Internals(d) = parse("d", dump.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(d.other_series, 1); // the -ssrc series is read, not plotted
        let br = d.series.iter().find(|s| s.metric == "bitrate").unwrap();
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-21T06:58:00Z")
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap();
        assert_eq!(br.ssrc, Some(5));
        assert_eq!(
            br.points,
            vec![(t0 + 1_000_000_000, 8000.0), (t0 + 2_000_000_000, 16000.0)]
        );
        let j = d.series.iter().find(|s| s.metric == "jitter").unwrap();
        assert_eq!(j.points.len(), 3);
        assert!((j.points[2].1 - 4.0).abs() < 1e-9);
        assert_eq!(j.points[0].0, 1_795_330_680_000_000_000);
        let rtt = d.series.iter().find(|s| s.metric == "rtt").unwrap();
        assert_eq!(rtt.stat_id, "CP1-x");
        assert_eq!(rtt.points, vec![(t0, 50.0)]);
    }

    fn series<'a>(d: &'a RtcstatsDump, metric: &str) -> &'a BrowserSeries {
        d.series.iter().find(|s| s.metric == metric).unwrap()
    }

    #[test]
    fn a_classic_rtcstats_dump_is_decompressed_per_peer_connection() {
        // rtcstats.js 3.x: unchanged fields left out, the newest timestamps 0 with the real one
        // at the top; a report not named again is gone.
        let dump = concat!(
            r#"["connectionInfo",null,"{\"userAgent\":\"UA\"}",1000]"#,
            "\n",
            r#"["getstats","PC_0",{"IT1":{"timestamp":0,"type":"inbound-rtp","ssrc":5,"bytesReceived":0,"jitter":0.01},"CP":{"timestamp":0,"type":"candidate-pair","currentRoundTripTime":0.02},"timestamp":2000}]"#,
            "\n",
            r#"["getstats","PC_1",{"IT1":{"timestamp":0,"type":"inbound-rtp","ssrc":6,"bytesReceived":7},"timestamp":2500}]"#,
            "\n",
            r#"["getstats","PC_0",{"IT1":{"timestamp":0,"bytesReceived":1000},"CP":{"timestamp":0},"timestamp":3000},3000]"#,
            "\n",
            r#"["getstats","PC_0",{"IT1":{"timestamp":0,"bytesReceived":3000},"timestamp":5000},5000]"#,
            "\n",
        );
        // As written, the first two getstats events lack their timestamp: an error.
        let e = parse("d", dump.as_bytes()).unwrap_err();
        assert!(
            e.to_string().contains("line 2: an event of 3 elements"),
            "{e}"
        );
        let dump = dump
            .replace(",\"timestamp\":2000}]", ",\"timestamp\":2000},2000]")
            .replace(",\"timestamp\":2500}]", ",\"timestamp\":2500},2500]");
        let Stats::Rtcstats(d) = parse("d", dump.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!((d.events, d.getstats_events, d.file_format), (5, 4, None));
        assert_eq!(d.user_agent.as_deref(), Some("UA"));
        let br: Vec<&BrowserSeries> = d.series.iter().filter(|s| s.metric == "bitrate").collect();
        assert_eq!(br.len(), 2, "one per peer connection");
        let pc0 = br.iter().find(|s| s.pc == "PC_0").unwrap();
        assert_eq!(pc0.ssrc, Some(5));
        // 1000 bytes over 1 s, 2000 over 2 s, at the reports' own times.
        assert_eq!(
            pc0.points,
            vec![(3_000_000_000, 8000.0), (5_000_000_000, 8000.0)]
        );
        // Jitter unchanged (left out of the deltas) stays, at each report's time.
        let j = series(&d, "jitter");
        assert_eq!(j.points.len(), 3);
        assert!((j.points[2].1 - 10.0).abs() < 1e-9);
        // The pair was not named in the last report: gone, so two samples.
        assert_eq!(
            series(&d, "rtt").points,
            vec![(2_000_000_000, 20.0), (3_000_000_000, 20.0)]
        );
    }

    #[test]
    fn a_format_3_dump_uses_the_tables_and_relative_times() {
        let dump = concat!(
            "RTCStatsDump\n",
            r#"{"fileFormat":3,"userAgent":"UA3"}"#,
            "\n",
            r#"[39,"0",{},1000]"#,
            "\n",
            r#"["g","0",{"0":{"type":1,"10":9,"41":0,"15":0},"1":{"type":6,"152":0.05},"t":2000},1000]"#,
            "\n",
            r#"[1,"0",{"0":{"41":500,"15":2},"t":2500},500]"#,
            "\n",
            r#"["g","0",{"1":null,"t":3000},500]"#,
            "\n",
        );
        let Stats::Rtcstats(d) = parse("d", dump.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(
            (d.events, d.getstats_events, d.file_format),
            (4, 3, Some(3))
        );
        let br = series(&d, "bitrate");
        assert_eq!((br.ssrc, br.stats_type.as_str()), (Some(9), "inbound-rtp"));
        // An unchanged report, left out, keeps its values at the event's time.
        assert_eq!(
            br.points,
            vec![(2_500_000_000, 8000.0), (3_000_000_000, 0.0)]
        );
        assert_eq!(
            series(&d, "packets-lost").points,
            vec![
                (2_000_000_000, 0.0),
                (2_500_000_000, 2.0),
                (3_000_000_000, 2.0)
            ]
        );
        // The pair, removed (null) in the last report.
        assert_eq!(
            series(&d, "rtt").points,
            vec![(2_000_000_000, 50.0), (2_500_000_000, 50.0)]
        );
    }

    #[test]
    fn a_damaged_dump_names_the_line() {
        for (dump, want) in [
            ("[\"getstats\",\"a\",{},1]\n[\"getst", "line 2: not JSON"),
            ("[\"getstats\",\"a\",{},1]\n[\"getst", "cut short"),
            ("[\"x\",null,1,2]\n7\n", "line 2: neither an event array"),
            ("[\"x\",null,1,2]\n", "none of them getStats"),
            (
                "[\"getstats\",\"a\",{\"r\":{\"timestamp\":0}},1]\n",
                "has timestamp 0 but the event has no top-level",
            ),
            (
                "[\"getstats\",\"a\",{\"r\":3},1]\n",
                "line 1: getStats report \"r\" is not an object",
            ),
            (
                "RTCStatsDump\n{\"fileFormat\":3}\n[\"g\",\"a\",{\"r\":3},1]\n",
                "line 3: getStats report \"r\" is neither",
            ),
            (
                "RTCStatsDump\n{\"fileFormat\":3}\n[\"g\",\"a\",{},1e300]\n",
                "line 3: timestamp",
            ),
            ("RTCStatsDump\n", "without events"),
        ] {
            let e = parse("dump.jsonl", dump.as_bytes()).unwrap_err();
            assert!(e.to_string().starts_with("--stats dump.jsonl: "), "{e}");
            assert!(e.to_string().contains(want), "{e} (wanted {want})");
        }
    }
}
