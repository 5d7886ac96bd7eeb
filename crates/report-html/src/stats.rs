//! The browser's own statistics given beside a capture (`rtcscope report --stats FILE`).
//!
//! Two formats are read:
//! * a Chromium `chrome://webrtc-internals` dump: `{"PeerConnections": {PCID: {"stats":
//!   {"<statId>-<field>": {"startTime", "endTime", "statsType", "values": "<JSON array as a
//!   string>"}}}}}` — time series, one value a second between `startTime` and `endTime` (ISO
//!   8601 strings, or milliseconds since the epoch in older dumps);
//! * a `getStats()` snapshot as the project's recorder saves it (`fixtures/webrtc/*/stats-a.json`):
//!   a JSON array of stats objects (`{"id", "type", "timestamp", …}`).
//!
//! A file that is neither is an error naming what is wrong; nothing here panics on input.

use serde_json::Value;

/// What a stats file held.
#[derive(Clone, Debug, PartialEq)]
pub enum Stats {
    /// A `getStats()` snapshot: RTP counters per SSRC at one moment.
    Snapshot(Snapshot),
    /// A webrtc-internals dump: time series.
    Internals(Internals),
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
    let v: Value = serde_json::from_slice(bytes).map_err(|e| err(format!("not JSON ({e})")))?;
    match &v {
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
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 9e15)
            .map(|ms| (ms * 1e6) as i64),
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
            let points: Vec<(i64, f64)> = match metric {
                // Cumulative bytes to a rate between samples (at the later sample).
                "bitrate" => (1..n)
                    .filter_map(|i| {
                        let dt = (at(i) - at(i - 1)) as f64 / 1e9;
                        (dt > 0.0).then(|| (at(i), ((vals[i] - vals[i - 1]) * 8.0 / dt).max(0.0)))
                    })
                    .collect(),
                // Seconds to milliseconds.
                "jitter" | "rtt" => (0..n).map(|i| (at(i), vals[i] * 1000.0)).collect(),
                _ => (0..n).map(|i| (at(i), vals[i])).collect(),
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        for (bytes, want) in [
            (&b"not json"[..], "not JSON"),
            (b"{}", "without \"PeerConnections\""),
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
}
