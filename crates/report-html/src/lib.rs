//! rtcscope's HTML report: one self-contained file built from the analysis report.
//!
//! [`render`] turns the engine's [`Report`] (what `rtcscope analyze --json` serialises), the
//! SDPs' lint reports and, optionally, the browser's own statistics ([`stats`]) into one HTML
//! page: provenance, findings and verdict, ICE sessions with a check timeline per candidate
//! pair, TURN allocations, DTLS handshakes, per-stream time-series plots, a ladder of the whole
//! call, the SDPs with their lint findings, and the browser's series or counters beside the
//! wire's.
//!
//! The page embeds its data as JSON (`<script type="application/json" id="rtcscope-data">`) and
//! every table and plot is drawn, here in Rust, from exactly that JSON: the numbers a reader or
//! a test takes from the data block are the numbers on the page. Plots are inline SVG (no chart
//! library: docs/report.md says why); a small inline script only zooms the time axis of every
//! plot together. A capture is untrusted input: every string from it is HTML-escaped ([`esc`]),
//! and the data block escapes `<`, `>` and `&` so no packet can close it.
//!
//! No I/O: the caller passes the report, the SDP reports and the stats file's bytes.

pub mod stats;
pub mod svg;

use rtcscope_analysis::report::Report;
use rtcscope_sdp::FileReport;
use serde::Serialize;
use serde_json::Value;
use stats::Stats;
use std::fmt::Write as _;
use svg::{Line, TimeAxis};

/// The schema of the embedded data block.
pub const DATA_SCHEMA: &str = "rtcscope.report-html/1";

/// Most events drawn in the call ladder; the rest are counted.
pub const LADDER_MAX_EVENTS: usize = 240;
/// Events of one candidate pair the ladder shows (its first ones, and its last two).
pub const LADDER_PAIR_EVENTS: usize = 6;
/// Streams given their own plots (those with the most packets); the rest are a table row each.
pub const MAX_STREAM_PLOTS: usize = 48;
/// Rows of that table; the data block holds every stream.
pub const MAX_STREAM_ROWS: usize = 500;
/// ICE sessions drawn (the data block holds every one).
pub const MAX_SESSIONS: usize = 32;
/// Candidate pairs drawn in one session's swimlane (the selected ones first).
pub const MAX_LANES: usize = 64;
/// TURN allocations and DTLS handshakes listed.
pub const MAX_ROWS: usize = 200;
/// Most endpoints (address and port) given a lane of their own in the ladder.
pub const LADDER_MAX_HOSTS: usize = 10;

/// Where the report comes from.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Provenance {
    /// The capture file as given.
    pub file: String,
    /// Its size in bytes, when it is a file.
    pub file_bytes: Option<u64>,
    /// Damaged records skipped while reading.
    pub skipped_records: u64,
    /// The error that ended the file early, if any (the report covers what came before).
    pub read_error: Option<String>,
    /// rtcscope's version.
    pub version: String,
    /// `--sdp` files.
    pub sdp_files: Vec<String>,
    /// `--keylog` files.
    pub keylog_files: Vec<String>,
    /// `--stats` file.
    pub stats_file: Option<String>,
}

/// What the page is made from.
pub struct Input<'a> {
    /// The analysis report.
    pub report: &'a Report,
    /// Where it comes from.
    pub provenance: &'a Provenance,
    /// The `--sdp` files' lint reports.
    pub sdp: &'a [FileReport],
    /// The `--stats` file, read.
    pub stats: Option<&'a Stats>,
}

/// HTML-escapes text for element content and quoted attribute values. Control characters
/// and bidi overrides are first written as escapes (`\x1b`, `\u{202e}`), as the terminal
/// reports write them ([`rtcscope_wire::text::escape`]): a right-to-left override from a
/// packet must not reorder what the page shows.
pub fn esc(s: &str) -> String {
    let s = rtcscope_wire::text::escape(s);
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// JSON for a `<script type="application/json">` block: `<`, `>` and `&` written as
/// `\u003c`, `\u003e`, `\u0026` (JSON.parse reads the same string), so no string from a packet
/// can end the block or open a comment.
pub fn script_json<T: Serialize + ?Sized>(v: &T) -> String {
    let mut o = String::new();
    write_script_json(&mut o, v);
    o
}

/// [`script_json`], written straight onto the end of `out`: the page of a large capture holds
/// tens of megabytes of data, and neither its JSON text nor an escaped copy is made apart.
pub fn write_script_json<T: Serialize + ?Sized>(out: &mut String, v: &T) {
    let start = out.len();
    let mut w = Escaping {
        out: &mut *out,
        held: Vec::new(),
    };
    if serde_json::to_writer(&mut w, v).is_err() {
        out.truncate(start);
        out.push_str("null");
    }
}

/// Takes serde_json's output and appends it to a string, escaped for a script block.
struct Escaping<'a> {
    out: &'a mut String,
    /// The start of a character whose other bytes come with the next write.
    held: Vec<u8>,
}

impl std::io::Write for Escaping<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.held.extend_from_slice(buf);
        let whole = match std::str::from_utf8(&self.held) {
            Ok(s) => s.len(),
            // Only a character cut at the end may wait for its other bytes.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        };
        if let Ok(s) = std::str::from_utf8(&self.held[..whole]) {
            for c in s.chars() {
                match c {
                    '<' => self.out.push_str("\\u003c"),
                    '>' => self.out.push_str("\\u003e"),
                    '&' => self.out.push_str("\\u0026"),
                    '\u{2028}' => self.out.push_str("\\u2028"),
                    '\u{2029}' => self.out.push_str("\\u2029"),
                    _ => self.out.push(c),
                }
            }
        }
        self.held.drain(..whole);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The data block's content: `{schema, provenance, report, sdp, stats}`; `report` is
/// `analyze --json`'s report as it is.
pub fn data(input: &Input<'_>) -> Result<Value, serde_json::Error> {
    serde_json::to_value(Block::new(
        input.provenance,
        input.sdp,
        input.report,
        stats_data(input.stats),
    ))
}

/// The data block's content ([`data`]) as typed values, `report` as given (the report, or a
/// stand-in whose place the caller fills).
#[derive(Serialize)]
struct Block<'a, R> {
    schema: &'static str,
    provenance: &'a Provenance,
    report: R,
    sdp: &'a [FileReport],
    stats: Value,
}

impl<'a, R> Block<'a, R> {
    fn new(provenance: &'a Provenance, sdp: &'a [FileReport], report: R, stats: Value) -> Self {
        Block {
            schema: DATA_SCHEMA,
            provenance,
            report,
            sdp,
            stats,
        }
    }
}

/// The stats as the data block holds them, `null` without any.
fn stats_data(stats: Option<&Stats>) -> Value {
    stats.map_or(Value::Null, stats_value)
}

/// The stats as the data block holds them.
fn stats_value(s: &Stats) -> Value {
    match s {
        Stats::Snapshot(sn) => serde_json::json!({
            "format": "getstats-snapshot",
            "timestamp_ms": sn.timestamp_ms,
            "rtp": sn.rtp.iter().map(|r| serde_json::json!({
                "direction": match r.direction { stats::Direction::Outbound => "outbound", stats::Direction::Inbound => "inbound" },
                "id": r.id, "kind": r.kind, "ssrc": r.ssrc, "rtx_ssrc": r.rtx_ssrc,
                "packets": r.packets, "bytes": r.bytes,
            })).collect::<Vec<_>>(),
        }),
        Stats::Internals(d) => serde_json::json!({
            "format": "webrtc-internals",
            "other_series": d.other_series,
            "series": series_value(&d.series),
        }),
        Stats::Rtcstats(d) => serde_json::json!({
            "format": "rtcstats",
            "file_format": d.file_format,
            "user_agent": d.user_agent,
            "events": d.events,
            "getstats_events": d.getstats_events,
            "other_series": d.other_series,
            "series": series_value(&d.series),
        }),
    }
}

fn series_value(series: &[stats::BrowserSeries]) -> Vec<Value> {
    series
        .iter()
        .map(|b| {
            serde_json::json!({
                "pc": b.pc, "stat_id": b.stat_id, "stats_type": b.stats_type, "field": b.field,
                "metric": b.metric, "unit": b.unit, "ssrc": b.ssrc, "points": b.points,
            })
        })
        .collect()
}

/// Renders the whole page: the sections drawn from [`view`] of the data, then the data block.
pub fn render(input: &Input<'_>) -> Result<String, serde_json::Error> {
    let mut v = data(input)?;
    view(&mut v);
    let mut page = draw(&v);
    let stats = v["stats"].take();
    drop(v);
    close(
        &mut page,
        &Block::new(input.provenance, input.sdp, input.report, stats),
    );
    Ok(page)
}

/// [`render`] for a report the caller is done with, the same page byte for byte, in a
/// fraction of the memory: the view the sections are drawn from is made without ever holding
/// the whole report as a `serde_json::Value` (about ten times its JSON text: 650 MB for a
/// million-packet capture's report), one stream and one flow at a time.
pub fn render_report(
    mut report: Report,
    provenance: &Provenance,
    sdp: &[FileReport],
    stats: Option<&Stats>,
) -> Result<String, serde_json::Error> {
    let streams = std::mem::take(&mut report.streams);
    let flows = std::mem::take(&mut report.flows);
    let mut r = serde_json::to_value(&report)?;
    let keep = keep_series(streams.iter().map(|s| (s.packets, s.ssrc, s.rtx_of)));
    r["streams"] = streams
        .iter()
        .zip(keep)
        .map(|(s, keep)| Ok(stream_view(serde_json::to_value(s)?, keep)))
        .collect::<Result<Vec<Value>, serde_json::Error>>()?
        .into();
    r["flows"] = flows
        .iter()
        .map(|f| Ok(flow_view(serde_json::to_value(f)?)))
        .collect::<Result<Vec<Value>, serde_json::Error>>()?
        .into();
    let mut v = serde_json::to_value(Block::new(provenance, sdp, (), stats_data(stats)))?;
    v["report"] = r;
    let mut page = draw(&v);
    let stats = v["stats"].take();
    drop(v);
    report.streams = streams;
    report.flows = flows;
    close(&mut page, &Block::new(provenance, sdp, &report, stats));
    Ok(page)
}

const BLOCK_OPEN: &str = "<script type=\"application/json\" id=\"rtcscope-data\">";

/// Ends a page drawn by [`draw`]: the data block holding `data`, then the script.
fn close<T: Serialize + ?Sized>(page: &mut String, data: &T) {
    page.push_str(BLOCK_OPEN);
    write_script_json(page, data);
    let _ = writeln!(page, "</script><script>{JS}</script></body></html>");
}

/// Leaves out of the data (what [`data`] returns) what no section draws, so that the page of a
/// large capture is drawn from a fraction of it (the data block still holds all of it): the
/// time series and per-bucket quality of the streams that get no plot and are no plotted
/// stream's RTX, and every flow's time series. The sections drawn from the view are those
/// drawn from the whole (a test compares them on every fixture).
pub fn view(d: &mut Value) {
    let r = &mut d["report"];
    let keep = keep_series(arr(&r["streams"]).iter().map(|s| {
        (
            u(&s["packets"]),
            s["ssrc"].as_u64().unwrap_or(0) as u32,
            s["rtx_of"].as_u64().map(|x| x as u32),
        )
    }));
    if let Some(streams) = r["streams"].as_array_mut() {
        for (s, keep) in streams.iter_mut().zip(keep) {
            *s = stream_view(std::mem::take(s), keep);
        }
    }
    if let Some(flows) = r["flows"].as_array_mut() {
        for f in flows {
            *f = flow_view(std::mem::take(f));
        }
    }
}

/// Which streams keep their series in the [`view`], from each one's (packets, SSRC, RTX of):
/// those plotted, and the RTX streams of a plotted SSRC.
fn keep_series(streams: impl Iterator<Item = (u64, u32, Option<u32>)>) -> Vec<bool> {
    let streams: Vec<(u64, u32, Option<u32>)> = streams.collect();
    let packets: Vec<u64> = streams.iter().map(|s| s.0).collect();
    let plotted = plotted(&packets);
    let ssrcs: std::collections::HashSet<u32> = streams
        .iter()
        .zip(&plotted)
        .filter(|(_, p)| **p)
        .map(|(s, _)| s.1)
        .collect();
    streams
        .iter()
        .zip(plotted)
        .map(|(s, p)| p || s.2.is_some_and(|x| ssrcs.contains(&x)))
        .collect()
}

/// The streams that get plots: the [`MAX_STREAM_PLOTS`] with the most packets (the first in
/// the report's order among equals).
fn plotted(packets: &[u64]) -> Vec<bool> {
    let mut by_packets: Vec<usize> = (0..packets.len()).collect();
    by_packets.sort_by_key(|&i| std::cmp::Reverse(packets[i]));
    let mut plotted = vec![false; packets.len()];
    for &i in by_packets.iter().take(MAX_STREAM_PLOTS) {
        plotted[i] = true;
    }
    plotted
}

/// A stream in the [`view`].
fn stream_view(mut s: Value, keep_series: bool) -> Value {
    if let (false, Some(o)) = (keep_series, s.as_object_mut()) {
        o.remove("series");
        o.remove("quality");
    }
    s
}

/// A flow in the [`view`].
fn flow_view(mut f: Value) -> Value {
    if let Some(o) = f.as_object_mut() {
        o.remove("series");
    }
    f
}

/// Renders the page from its data block's content (what [`data`] returns): every number on
/// the page comes from `d`, and `d` is the data block.
pub fn render_data(d: &Value) -> String {
    let mut page = draw(d);
    close(&mut page, d);
    page
}

/// The page up to its data block: every section, drawn from `d` (the data, or its [`view`]).
fn draw(d: &Value) -> String {
    let r = &d["report"];
    let axis = TimeAxis::new(r["start_ns"].as_i64(), r["end_ns"].as_i64());
    let mut p = Page {
        s: String::with_capacity(256 * 1024),
        clip: 0,
        axis,
        marks: arr(&r["findings"])
            .iter()
            .filter(|f| f["severity"] != "notice")
            .filter_map(|f| f["at_ns"].as_i64())
            .collect(),
    };
    let title = format!(
        "rtcscope report: {}",
        d["provenance"]["file"].as_str().unwrap_or("capture")
    );
    let _ = write!(
        p.s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"rtcscope {}\"><title>{}</title><style>{}</style></head><body>\
         <header><h1>{}</h1><nav>",
        esc(d["provenance"]["version"].as_str().unwrap_or("")),
        esc(&title),
        CSS,
        esc(&title)
    );
    for (id, name) in SECTIONS {
        let _ = write!(p.s, "<a href=\"#{id}\">{name}</a> ");
    }
    p.s.push_str("</nav><div id=\"zoombar\"></div></header><main>");
    provenance(&mut p, d);
    findings(&mut p, r);
    ice(&mut p, r, &d["stats"]);
    turn(&mut p, r);
    dtls(&mut p, r);
    streams(&mut p, r, &d["stats"]);
    ladder(&mut p, r);
    sdp(&mut p, &d["sdp"]);
    browser_stats(&mut p, r, &d["stats"]);
    p.s.push_str("</main>");
    p.s
}

/// The sections, in page order: (`id`, heading).
pub const SECTIONS: &[(&str, &str)] = &[
    ("provenance", "Capture"),
    ("findings", "Findings"),
    ("ice", "ICE"),
    ("turn", "TURN"),
    ("dtls", "DTLS"),
    ("streams", "Streams"),
    ("ladder", "Ladder"),
    ("sdp", "SDP"),
    ("browser-stats", "Browser stats"),
];

struct Page {
    s: String,
    clip: usize,
    axis: TimeAxis,
    /// The findings' moments, marked on every time plot.
    marks: Vec<i64>,
}

impl Page {
    fn next_clip(&mut self) -> usize {
        self.clip += 1;
        self.clip
    }

    /// A time plot on the shared axis, with the findings' moments marked.
    fn plot(&mut self, kind: &str, title: &str, unit: &str, lines: &[Line<'_>]) {
        let clip = self.next_clip();
        let svg = svg::plot(&self.axis, clip, kind, title, unit, lines, &self.marks);
        self.s.push_str(&svg);
    }

    fn section(&mut self, id: &str) {
        let name = SECTIONS
            .iter()
            .find(|(i, _)| *i == id)
            .map_or(id, |(_, n)| n);
        let _ = write!(self.s, "<section id=\"{id}\"><h2>{name}</h2>");
    }

    /// `+12.345 s` from the capture start.
    fn rel(&self, ns: Option<i64>) -> String {
        match ns {
            Some(ns) => format!("+{:.3} s", self.axis.rel(ns)),
            None => "–".into(),
        }
    }
}

/// A JSON scalar as text ("–" for null or absent).
fn st(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// UTC time of ns since the epoch.
pub fn utc(ns: i64) -> String {
    chrono::DateTime::from_timestamp(
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000) as u32,
    )
    .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string())
    .unwrap_or_else(|| format!("{ns} ns"))
}

fn row(s: &mut String, cells: &[String]) {
    s.push_str("<tr>");
    for c in cells {
        let _ = write!(s, "<td>{c}</td>");
    }
    s.push_str("</tr>");
}

fn head(s: &mut String, cells: &[&str]) {
    s.push_str("<table><thead><tr>");
    for c in cells {
        let _ = write!(s, "<th>{}</th>", esc(c));
    }
    s.push_str("</tr></thead><tbody>");
}

fn provenance(p: &mut Page, d: &Value) {
    p.section("provenance");
    let pr = &d["provenance"];
    let r = &d["report"];
    let c = &r["counters"];
    let span = match (r["start_ns"].as_i64(), r["end_ns"].as_i64()) {
        (Some(a), Some(b)) => format!("{} → {} ({:.3} s)", utc(a), utc(b), (b - a) as f64 / 1e9),
        _ => "no packets".into(),
    };
    p.s.push_str("<table class=\"kv\"><tbody>");
    let mut kv = |k: &str, v: String| {
        let _ = write!(p.s, "<tr><th>{}</th><td>{v}</td></tr>", esc(k));
    };
    kv("file", esc(&st(&pr["file"])));
    if let Some(b) = pr["file_bytes"].as_u64() {
        kv("file size", format!("{b} bytes"));
    }
    kv(
        "packets",
        format!(
            "<span data-k=\"packets\">{}</span> ({} bytes)",
            u(&c["packets"]),
            u(&c["bytes"])
        ),
    );
    kv("span", esc(&span));
    kv(
        "drops before the capture",
        match c["capture_drops"].as_u64() {
            Some(n) => format!("<span data-k=\"capture_drops\">{n}</span>"),
            None => "not stated by the file".into(),
        },
    );
    if let Some(first) = c["first_clock_anomaly"].as_u64() {
        kv(
            "timestamps",
            format!(
                "<strong class=\"bad\">out of order</strong>: {} packets over 1 s before a \
                 packet ahead of them, {} over a day after (the first: packet {first}); the \
                 span counts them",
                u(&c["clock_back"]),
                u(&c["clock_leaps"])
            ),
        );
    }
    kv(
        "damaged",
        format!(
            "{} damaged packets, {} damaged records skipped",
            u(&c["damaged"]),
            u(&pr["skipped_records"])
        ),
    );
    if let Some(e) = pr["read_error"].as_str() {
        kv(
            "read error",
            format!(
                "<strong class=\"bad\">{}</strong> (the report covers everything before it)",
                esc(e)
            ),
        );
    }
    let lim = &r["over_limits"];
    let evicted: u64 = lim
        .as_object()
        .map(|o| o.values().map(u).sum())
        .unwrap_or(0);
    if evicted > 0 {
        kv(
            "limits",
            esc(&format!("engine caps evicted or left untracked: {lim}")),
        );
    }
    for (k, key) in [("--sdp", "sdp_files"), ("--keylog", "keylog_files")] {
        let files: Vec<String> = arr(&pr[key]).iter().map(st).collect();
        if !files.is_empty() {
            kv(k, esc(&files.join(", ")));
        }
    }
    if let Some(f) = pr["stats_file"].as_str() {
        kv("--stats", esc(f));
    }
    kv(
        "made by",
        format!(
            "rtcscope {} (report schema {})",
            esc(&st(&pr["version"])),
            esc(&st(&r["schema"]))
        ),
    );
    p.s.push_str("</tbody></table>");
    let dmg = arr(&r["damage"]);
    if !dmg.is_empty() {
        p.s.push_str("<details><summary>damaged packets</summary><ul>");
        for x in dmg.iter().take(50) {
            let _ = write!(
                p.s,
                "<li>#{} {}</li>",
                u(&x["packet"]),
                esc(&st(&x["what"]))
            );
        }
        p.s.push_str("</ul></details>");
    }
    p.s.push_str("</section>");
}

fn findings(p: &mut Page, r: &Value) {
    p.section("findings");
    let f = arr(&r["findings"]);
    let worst = ["failure", "degraded", "notice"]
        .into_iter()
        .find(|sev| f.iter().any(|x| x["severity"] == *sev));
    let verdict = match worst {
        Some("failure") => "The call failed",
        Some("degraded") => "The call worked, degraded",
        Some(_) => "No failure found; notices below",
        None => "No failure found",
    };
    let _ = write!(
        p.s,
        "<p class=\"verdict {}\" data-k=\"verdict\">{verdict}</p>",
        worst.unwrap_or("ok")
    );
    let plots = !arr(&r["streams"]).is_empty() || !arr(&r["ice_sessions"]).is_empty();
    if plots && !p.marks.is_empty() {
        p.s.push_str("<p class=\"note\">Dashed red lines on the time plots mark when these failures and degradations began.</p>");
    }
    for x in f {
        let sev = st(&x["severity"]);
        let _ = write!(
            p.s,
            "<div class=\"finding {}\" data-id=\"{}\"><p><span class=\"sev\">{}</span> <code>{}</code> {} — {}</p>",
            esc(&sev),
            esc(&st(&x["id"])),
            esc(&sev),
            esc(&st(&x["id"])),
            p.rel(x["at_ns"].as_i64()),
            esc(&st(&x["verdict"]))
        );
        let ev = arr(&x["evidence"]);
        if !ev.is_empty() {
            p.s.push_str("<ul class=\"evidence\">");
            for e in ev {
                let _ = write!(
                    p.s,
                    "<li>{}{}{}</li>",
                    e["at_ns"]
                        .as_i64()
                        .map(|t| format!("<span class=\"t\">{}</span> ", p.rel(Some(t))))
                        .unwrap_or_default(),
                    e["packet"]
                        .as_u64()
                        .map(|n| format!("<span class=\"pkt\">packet #{n}</span> "))
                        .unwrap_or_default(),
                    esc(&st(&e["what"]))
                );
            }
            p.s.push_str("</ul>");
        }
        let _ = write!(
            p.s,
            "<p class=\"advice\">{}</p></div>",
            esc(&st(&x["advice"]))
        );
    }
    p.s.push_str("</section>");
}

fn ctype(t: &Value) -> String {
    format!(
        "{}{}",
        st(&t["type"]),
        if t["inferred"] == true { "?" } else { "" }
    )
}

fn ice(p: &mut Page, r: &Value, stats: &Value) {
    p.section("ice");
    let sessions = arr(&r["ice_sessions"]);
    if sessions.is_empty() {
        p.s.push_str("<p class=\"none\">No ICE connectivity checks in this capture.</p>");
    }
    if sessions.len() > MAX_SESSIONS {
        let _ = write!(
            p.s,
            "<p class=\"note\">{} ICE sessions: the first {MAX_SESSIONS} are drawn; every one is in the data block.</p>",
            sessions.len()
        );
    }
    for s in sessions.iter().take(MAX_SESSIONS) {
        let selected: Vec<u64> = arr(&s["selected"]).iter().map(|x| u(&x["pair"])).collect();
        let _ = write!(
            p.s,
            "<h3 data-session=\"{}\">Session {}: ufrags {} / {}</h3><p>{} pairs; selected: {}; role conflicts {}</p>",
            u(&s["id"]),
            u(&s["id"]),
            esc(&st(&s["ufrags"][0])),
            esc(&st(&s["ufrags"][1])),
            arr(&s["pairs"]).len(),
            if selected.is_empty() {
                "none".into()
            } else {
                esc(&arr(&s["selected"])
                    .iter()
                    .map(|x| format!("pair {} for {} ({}, {} consent checks)", u(&x["pair"]), st(&x["ufrag"]), st(&x["role"]), u(&x["consent_checks"])))
                    .collect::<Vec<_>>()
                    .join("; "))
            },
            u(&s["role_conflicts"])
        );
        head(
            &mut p.s,
            &[
                "pair",
                "local → remote",
                "types",
                "path",
                "state",
                "nominated",
                "checks (retx)",
                "responses",
                "errors",
                "RTT ms min/mean/max",
                "consent",
                "first success",
            ],
        );
        for x in arr(&s["pairs"]) {
            let id = u(&x["id"]);
            let sel = selected.contains(&id);
            let errors: Vec<String> = arr(&x["errors"])
                .iter()
                .map(|e| format!("{}×{}", st(&e[0]), st(&e[1])))
                .collect();
            let rtt = &x["rtt_us"];
            p.s.push_str(if sel {
                "<tr class=\"selected\">"
            } else {
                "<tr>"
            });
            for c in [
                format!("{id}{}", if sel { " ★ selected" } else { "" }),
                esc(&format!(
                    "{} → {} ({})",
                    st(&x["local"]),
                    st(&x["remote"]),
                    st(&x["transport"])
                )),
                esc(&format!(
                    "{} → {}",
                    ctype(&x["local_type"]),
                    ctype(&x["remote_type"])
                )),
                esc(&format!(
                    "{}{}",
                    st(&x["path"]),
                    x["relay"]
                        .as_u64()
                        .map(|a| format!(" (TURN #{a})"))
                        .unwrap_or_default()
                )),
                esc(&st(&x["state"])),
                st(&x["nominated"]),
                format!("{} ({})", u(&x["requests"]), u(&x["retransmissions"])),
                u(&x["responses"]).to_string(),
                esc(&errors.join(", ")),
                if rtt.is_null() {
                    "–".into()
                } else {
                    format!(
                        "{:.1} / {:.1} / {:.1}",
                        rtt["min"].as_f64().unwrap_or(0.0) / 1e3,
                        rtt["mean"].as_f64().unwrap_or(0.0) / 1e3,
                        rtt["max"].as_f64().unwrap_or(0.0) / 1e3
                    )
                },
                u(&x["consent_checks"]).to_string(),
                p.rel(x["succeeded_ns"].as_i64()),
            ] {
                let _ = write!(p.s, "<td>{c}</td>");
            }
            p.s.push_str("</tr>");
        }
        p.s.push_str("</tbody></table>");
        swimlane(p, s, &selected);
        check_rtt(p, s, &selected, stats);
        if let Some(series) = s.get("series").filter(|v| !v.is_null()) {
            let lines = [
                series_line(
                    series,
                    "fwd",
                    format!("sent by {}", st(&s["ufrags"][0])),
                    Metric::Bitrate,
                    true,
                ),
                series_line(
                    series,
                    "rev",
                    format!("sent by {}", st(&s["ufrags"][1])),
                    Metric::Bitrate,
                    false,
                ),
            ];
            p.plot(
                "session-bitrate",
                "Session bitrate (all its pairs' flows)",
                "bit/s",
                &lines,
            );
        }
    }
    p.s.push_str("</section>");
}

/// RTT over time from the checks themselves: each success answering a check sent once carries
/// its `rtt_ns` (measured at the capture point) in the pair's timeline; with a webrtc-internals
/// dump, the browser's `currentRoundTripTime` beside it.
fn check_rtt(p: &mut Page, s: &Value, selected: &[u64], stats: &Value) {
    let mut lines: Vec<Line<'_>> = Vec::new();
    for pr in arr(&s["pairs"]) {
        let id = u(&pr["id"]);
        let points: Vec<(i64, f64)> = arr(&pr["timeline"])
            .iter()
            .filter(|e| e["event"] == "success")
            .filter_map(|e| Some((e["at_ns"].as_i64()?, e["rtt_ns"].as_f64()? / 1e6)))
            .collect();
        if points.is_empty() || lines.len() >= MAX_LANES {
            continue;
        }
        let values = points
            .iter()
            .map(|x| x.1.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        const CLASSES: [&str; 6] = ["l0", "l1", "l2", "l3", "l4", "l5"];
        lines.push(Line {
            class: CLASSES[lines.len() % CLASSES.len()],
            label: format!(
                "pair {id}{}",
                if selected.contains(&id) { " ★" } else { "" }
            ),
            data: vec![("pair", id.to_string()), ("values", values)],
            points,
        });
    }
    if lines.is_empty() {
        return;
    }
    for b in arr(&stats["series"]) {
        if b["metric"] == "rtt" {
            lines.push(browser_line(b, "browser"));
        }
    }
    p.plot(
        "ice-rtt",
        "ICE check round-trip time (at the capture point)",
        "ms",
        &lines,
    );
}

/// The check / response / consent timeline: one lane per pair.
fn swimlane(p: &mut Page, s: &Value, selected: &[u64]) {
    let all = arr(&s["pairs"]);
    if all.is_empty() {
        return;
    }
    // The selected pairs first, then the others in report order, up to the cap.
    let mut pairs: Vec<&Value> = all
        .iter()
        .filter(|x| selected.contains(&u(&x["id"])))
        .collect();
    pairs.extend(all.iter().filter(|x| !selected.contains(&u(&x["id"]))));
    let lanes_omitted = pairs.len().saturating_sub(MAX_LANES);
    pairs.truncate(MAX_LANES);
    const LANE: f64 = 20.0;
    let top = 4.0;
    let h = top + LANE * pairs.len() as f64 + 24.0;
    let x = p.axis.scale();
    let clip = p.next_clip();
    let _ = write!(
        p.s,
        "<figure class=\"plot\"><figcaption>Checks per pair <span class=\"key req\">request</span> <span class=\"key retx\">retransmission</span> <span class=\"key ok\">success</span> <span class=\"key err\">error</span> <span class=\"key consent\">consent check</span></figcaption><svg class=\"tplot lane\" data-plot=\"ice-timeline\" viewBox=\"0 0 {} {h}\" role=\"img\" aria-label=\"ICE check timeline\">",
        svg::WIDTH
    );
    for (i, pr) in pairs.iter().enumerate() {
        let y = top + LANE * i as f64;
        let _ = write!(
            p.s,
            "<text class=\"yl\" x=\"{}\" y=\"{:.1}\">{}pair {}</text><line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
            svg::LEFT - 4.0,
            y + LANE / 2.0 + 3.0,
            if selected.contains(&u(&pr["id"])) { "★ " } else { "" },
            u(&pr["id"]),
            svg::LEFT,
            svg::WIDTH - svg::RIGHT,
            y + LANE / 2.0,
            y + LANE / 2.0
        );
    }
    p.s.push_str(&svg::x_axis(&p.axis, h - 22.0));
    p.s.push_str(&svg::clip_open(clip, top, h - 22.0));
    for m in &p.marks {
        let px = x.at(p.axis.rel(*m));
        let _ = write!(
            p.s,
            "<line class=\"mark\" vector-effect=\"non-scaling-stroke\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{top}\" y2=\"{:.1}\"/>",
            h - 22.0
        );
    }
    for (i, pr) in pairs.iter().enumerate() {
        let y = top + LANE * i as f64;
        let succeeded = pr["succeeded_ns"].as_i64();
        let consent_from = if pr["nominated"] == true {
            succeeded
        } else {
            None
        };
        let (mut nreq, mut nok, mut nerr) = (0, 0, 0);
        let mut marks = String::new();
        for e in arr(&pr["timeline"]) {
            let Some(t) = e["at_ns"].as_i64() else {
                continue;
            };
            let px = x.at(p.axis.rel(t));
            let (class, y0, y1) = match e["event"].as_str() {
                Some("request") => {
                    nreq += 1;
                    let c = if consent_from.is_some_and(|c| t > c) {
                        "consent"
                    } else if e["retransmit"] == true {
                        "retx"
                    } else {
                        "req"
                    };
                    (c, y + 3.0, y + LANE / 2.0)
                }
                Some("success") => {
                    nok += 1;
                    ("ok", y + LANE / 2.0, y + LANE - 3.0)
                }
                _ => {
                    nerr += 1;
                    ("err", y + 2.0, y + LANE - 2.0)
                }
            };
            let _ = write!(
                marks,
                "<line class=\"{class}\" vector-effect=\"non-scaling-stroke\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{y0:.1}\" y2=\"{y1:.1}\"/>"
            );
        }
        let _ = write!(
            p.s,
            "<g class=\"pair\" data-pair=\"{}\" data-requests=\"{nreq}\" data-successes=\"{nok}\" data-error-responses=\"{nerr}\" data-dropped=\"{}\">{marks}</g>",
            u(&pr["id"]),
            u(&pr["events_dropped"])
        );
    }
    p.s.push_str("</g></g></svg>");
    if lanes_omitted > 0 {
        let _ = write!(
            p.s,
            "<p class=\"note\">{lanes_omitted} more pairs are in the table, not drawn.</p>"
        );
    }
    let dropped: u64 = pairs.iter().map(|x| u(&x["events_dropped"])).sum();
    if dropped > 0 {
        let _ = write!(
            p.s,
            "<p class=\"note\">The engine keeps the first 64 events per pair: {dropped} later events are not drawn (their counts are in the table).</p>"
        );
    }
    p.s.push_str("</figure>");
}

fn turn(p: &mut Page, r: &Value) {
    p.section("turn");
    let allocs = arr(&r["turn_allocations"]);
    if allocs.len() > MAX_ROWS {
        let _ = write!(
            p.s,
            "<p class=\"note\">{} TURN allocations: the first {MAX_ROWS} are listed; every one is in the data block.</p>",
            allocs.len()
        );
    }
    if allocs.is_empty() {
        p.s.push_str("<p class=\"none\">No TURN allocation in this capture.</p>");
    } else {
        head(
            &mut p.s,
            &[
                "#",
                "client → server",
                "state",
                "username / realm",
                "relayed",
                "mapped",
                "lifetime",
                "allocated",
                "permissions",
                "channels",
                "errors",
            ],
        );
        for a in allocs.iter().take(MAX_ROWS) {
            let errors: Vec<String> = arr(&a["errors"])
                .iter()
                .map(|e| {
                    format!(
                        "{} packet #{}: {} {} {}{}",
                        p.rel(e["at_ns"].as_i64()),
                        u(&e["packet"]),
                        st(&e["method"]),
                        st(&e["code"]),
                        st(&e["reason"]),
                        if e["after_credentials"] == true {
                            " (credentials refused)"
                        } else {
                            ""
                        }
                    )
                })
                .collect();
            let chans: Vec<String> = arr(&a["channels"])
                .iter()
                .map(|c| {
                    format!(
                        "{:#06x} → {} ({} msgs)",
                        u(&c["channel"]),
                        st(&c["peer"]),
                        u(&c["messages"])
                    )
                })
                .collect();
            let cells = [
                u(&a["id"]).to_string(),
                esc(&format!(
                    "{} → {} ({})",
                    st(&a["client"]),
                    st(&a["server"]),
                    st(&a["transport"])
                )),
                esc(&st(&a["state"])),
                esc(&format!("{} / {}", st(&a["username"]), st(&a["realm"]))),
                esc(&st(&a["relayed"])),
                esc(&st(&a["mapped"])),
                a["lifetime_s"]
                    .as_u64()
                    .map(|l| format!("{l} s"))
                    .unwrap_or("–".into()),
                p.rel(a["allocated_ns"].as_i64()),
                esc(&arr(&a["permissions"])
                    .iter()
                    .map(st)
                    .collect::<Vec<_>>()
                    .join(", ")),
                esc(&chans.join("; ")),
                esc(&errors.join("; ")),
            ];
            row(&mut p.s, &cells);
        }
        p.s.push_str("</tbody></table>");
    }
    p.s.push_str("</section>");
}

fn seen(v: &Value) -> String {
    match v["seen"].as_str() {
        Some("clear") => st(&v["value"]),
        Some(x) => x.replace('_', " "),
        None => "–".into(),
    }
}

fn dtls(p: &mut Page, r: &Value) {
    p.section("dtls");
    let hs = arr(&r["dtls"]);
    if hs.is_empty() {
        p.s.push_str("<p class=\"none\">No DTLS in this capture.</p>");
    }
    if hs.len() > MAX_ROWS {
        let _ = write!(
            p.s,
            "<p class=\"note\">{} DTLS associations: the first {MAX_ROWS} are shown; every one is in the data block.</p>",
            hs.len()
        );
    }
    for h in hs.iter().take(MAX_ROWS) {
        let _ = write!(
            p.s,
            "<h3>{} ⇄ {}{}</h3>",
            esc(&st(&h["a"])),
            esc(&st(&h["b"])),
            h["relay"]
                .as_u64()
                .map(|a| format!(" (inside TURN #{a})"))
                .unwrap_or_default()
        );
        p.s.push_str("<table class=\"kv\"><tbody>");
        for (k, v) in [
            (
                "client / server",
                format!("{} / {}", st(&h["client"]), st(&h["server"])),
            ),
            ("version", st(&h["version"])),
            ("cipher suite", st(&h["cipher_suite"])),
            ("SRTP profile", seen(&h["srtp_profile"])),
            ("fingerprint vs SDP", st(&h["fingerprint_check"])),
            (
                "HelloVerifyRequest / HelloRetryRequest",
                format!(
                    "{} / {}",
                    st(&h["hello_verify_request"]),
                    st(&h["hello_retry_request"])
                ),
            ),
            (
                "handshake retransmissions",
                st(&h["handshake_retransmissions"]),
            ),
            ("records", st(&h["records"])),
            (
                "done",
                match h["done_ns"].as_i64() {
                    Some(t) => format!(
                        "{} by {} ({} ms after the ClientHello)",
                        p.rel(Some(t)),
                        st(&h["done_by"]),
                        st(&h["duration_ms"])
                    ),
                    None => "not completed in the capture".into(),
                },
            ),
            (
                "alerts",
                arr(&h["alerts"])
                    .iter()
                    .map(st)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ] {
            let _ = write!(p.s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        }
        p.s.push_str("</tbody></table><ol class=\"steps\">");
        for e in arr(&h["timeline"]) {
            let _ = write!(
                p.s,
                "<li><span class=\"t\">{}</span> {} <b>{}</b></li>",
                p.rel(e["at_ns"].as_i64()),
                esc(&st(&e["from"])),
                esc(&st(&e["what"]))
            );
        }
        p.s.push_str("</ol>");
        if u(&h["events_dropped"]) > 0 {
            let _ = write!(
                p.s,
                "<p class=\"note\">{} later steps not kept by the engine.</p>",
                u(&h["events_dropped"])
            );
        }
    }
    p.s.push_str("</section>");
}

/// What a series plot shows of each bucket.
#[derive(Clone, Copy)]
enum Metric {
    /// bits per second.
    Bitrate,
    /// packets per second.
    PacketRate,
}

/// One direction of a JSON `series` as a plot line: one point per bucket (at its middle),
/// with the bucket count and the plotted values as data attributes.
fn series_line<'a>(
    series: &Value,
    class: &'a str,
    label: String,
    m: Metric,
    fwd: bool,
) -> Line<'a> {
    let start = series["start_ns"].as_i64().unwrap_or(0);
    let width = series["bucket_ns"].as_i64().unwrap_or(1).max(1);
    let secs = width as f64 / 1e9;
    let key = match (m, fwd) {
        (Metric::Bitrate, true) => "bytes_fwd",
        (Metric::Bitrate, false) => "bytes_rev",
        (Metric::PacketRate, true) => "packets_fwd",
        (Metric::PacketRate, false) => "packets_rev",
    };
    let mul = match m {
        Metric::Bitrate => 8.0,
        Metric::PacketRate => 1.0,
    };
    let points: Vec<(i64, f64)> = arr(&series["buckets"])
        .iter()
        .enumerate()
        .map(|(i, b)| {
            (
                start + width * i as i64 + width / 2,
                b[key].as_f64().unwrap_or(0.0) * mul / secs,
            )
        })
        .collect();
    let values = points
        .iter()
        .map(|p| p.1.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    Line {
        class,
        label,
        data: vec![
            ("field", key.to_owned()),
            ("bucket-ns", width.to_string()),
            ("values", values),
        ],
        points,
    }
}

fn streams(p: &mut Page, r: &Value, stats: &Value) {
    p.section("streams");
    let all = arr(&r["streams"]);
    if all.is_empty() {
        p.s.push_str("<p class=\"none\">No RTP stream in this capture.</p></section>");
        return;
    }
    p.s.push_str(
        "<p class=\"note\">Bitrate and packet rate per bucket of the report's <code>series</code> \
         (RTP packets' bytes; buckets of 100 ms, doubled as the capture grows past 512 of them). \
         Loss, jitter and RTCP RTT per bucket of its <code>quality</code>, on the same grid: \
         packets lost counted as RFC 3550 and getStats' <code>packetsLost</code> count them \
         (expected from the highest sequence number, less received, duplicates included: it can \
         go below zero, drawn clipped at zero), the loss fraction over unique sequence numbers, \
         the RFC 3550 jitter at each bucket's end, and the mean LSR/DLSR round-trip time of the \
         receiver reports that arrived in the bucket. The browser's own series \
         (<code>--stats</code>) are drawn beside the wire's.</p>",
    );
    // The streams with the most packets get plots; the others a row each below.
    let plotted = plotted(&all.iter().map(|s| u(&s["packets"])).collect::<Vec<u64>>());
    let mut rest = Vec::new();
    // Media streams first, in the report's order; the RTX streams (and RTX probes) after
    // them, so a few probe packets do not open the section with a page of empty plots.
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by_key(|&i| {
        (
            !all[i]["rtx_of"].is_null() || !all[i]["rtx_reason"].is_null(),
            i,
        )
    });
    for i in order {
        let s = &all[i];
        if !plotted[i] {
            rest.push((i, s));
            continue;
        }
        let ssrc = u(&s["ssrc"]);
        let _ = write!(
            p.s,
            "<article class=\"stream\" data-stream=\"{i}\" data-ssrc=\"{ssrc}\"><h3>SSRC {ssrc:#010x} {} → {} <small>{} {}{}</small></h3>",
            esc(&st(&s["src"])),
            esc(&st(&s["dst"])),
            esc(&st(&s["kind"])),
            esc(&st(&s["codec_label"])),
            s["relay"].as_u64().map(|a| format!(", inside TURN #{a}")).unwrap_or_default()
        );
        let packets = u(&s["packets"]);
        let expected = u(&s["expected"]);
        let lost = u(&s["lost"]);
        let dur =
            (s["last_ns"].as_i64().unwrap_or(0) - s["first_ns"].as_i64().unwrap_or(0)) as f64 / 1e9;
        // An RTX stream repairing this one on the same path.
        let rtx = all.iter().find(|o| {
            o["rtx_of"].as_u64() == Some(ssrc) && o["flow"] == s["flow"] && o["src"] == s["src"]
        });
        let mut kv: Vec<(&str, String)> = vec![
            (
                "packets / bytes",
                format!(
                    "{packets} / {} (payload {})",
                    u(&s["bytes"]),
                    u(&s["payload_bytes"])
                ),
            ),
            (
                "time",
                format!(
                    "{} → {} ({dur:.3} s)",
                    p.rel(s["first_ns"].as_i64()),
                    p.rel(s["last_ns"].as_i64())
                ),
            ),
            (
                "lost / expected",
                format!(
                    "{lost} / {expected}{}{}",
                    if expected > 0 {
                        format!(" ({:.2} %)", lost as f64 * 100.0 / expected as f64)
                    } else {
                        String::new()
                    },
                    if s["loss_uncertain"] == true {
                        " (uncertain: the capture dropped packets)"
                    } else {
                        ""
                    }
                ),
            ),
            (
                "duplicates / reordered",
                format!("{} / {}", u(&s["duplicates"]), u(&s["reordered"])),
            ),
            (
                "jitter (RFC 3550)",
                s["jitter_ms"]
                    .as_f64()
                    .map(|j| format!("{j:.2} ms"))
                    .unwrap_or("–".into()),
            ),
            (
                "RTCP RTT",
                s["rtcp_rtt_ms"]
                    .as_f64()
                    .map(|j| format!("{j:.1} ms"))
                    .unwrap_or("not known".into()),
            ),
            (
                "receiver report",
                if s["receiver_report"].is_null() {
                    "–".into()
                } else {
                    let rr = &s["receiver_report"];
                    format!(
                        "fraction lost {}, cumulative {}, jitter {}",
                        st(&rr["fraction_lost"]),
                        st(&rr["cumulative_lost"]),
                        st(&rr["jitter"])
                    )
                },
            ),
            (
                "retransmissions (RTX for NACK)",
                format!(
                    "{} ({} bytes), {} probes",
                    u(&s["retransmissions"]),
                    u(&s["retransmitted_bytes"]),
                    u(&s["rtx_probes"])
                ),
            ),
        ];
        if let Some(x) = rtx {
            let rp = u(&x["packets"]);
            kv.push((
                "RTX share",
                format!(
                    "{:.2} % of packets (SSRC {:#010x}: {rp})",
                    rp as f64 * 100.0 / (rp + packets).max(1) as f64,
                    u(&x["ssrc"])
                ),
            ));
        }
        let frames = &s["frames"];
        if frames.is_object() {
            kv.extend(frame_rows(p, frames));
        } else if s["kind"] == "video"
            && s["rtx_of"].is_null()
            && s["rtx_reason"].is_null()
            && dur > 0.0
        {
            // Frames not read: say why, and estimate the rate from the marker bits.
            kv.push((
                "frames",
                if s["encrypted"] == true {
                    "not known (SRTP; --keylog, --sdp a=crypto or --srtp-key decrypts them)"
                        .to_owned()
                } else if s["codec"].is_null() {
                    "not known (the payload type's codec is not known; --sdp names it)".to_owned()
                } else {
                    format!(
                        "not read ({} payloads are not read; VP8, VP9, H264 and AV1 are)",
                        st(&s["codec"])
                    )
                },
            ));
            kv.push((
                "frame rate (marker-bit estimate)",
                format!(
                    "{:.1} frames/s ({} marker bits over {dur:.1} s; an estimate: the frame tracker did not read this stream)",
                    u(&s["markers"]) as f64 / dur,
                    u(&s["markers"])
                ),
            ));
        }
        p.s.push_str("<table class=\"kv\"><tbody>");
        for (k, v) in kv {
            let _ = write!(p.s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        }
        p.s.push_str("</tbody></table>");
        let series = &s["series"];
        let mut br = vec![series_line(
            series,
            "fwd",
            "wire".into(),
            Metric::Bitrate,
            true,
        )];
        // The browser's series of the same SSRC, on the same axis.
        for b in arr(&stats["series"]) {
            if b["ssrc"].as_u64() == Some(ssrc) && b["metric"] == "bitrate" {
                br.push(browser_line(b, "browser"));
            }
        }
        p.plot("bitrate", "Bitrate", "bit/s", &br);
        p.plot(
            "packet-rate",
            "Packet rate",
            "packets/s",
            &[series_line(
                series,
                "fwd",
                "wire".into(),
                Metric::PacketRate,
                true,
            )],
        );
        if let Some(x) = rtx {
            rtx_share(p, series, &x["series"]);
        }
        if frames.is_object() {
            frame_rate_plot(p, frames);
        }
        quality_plots(p, &s["quality"], ssrc, stats);
        p.s.push_str("</article>");
    }
    if !rest.is_empty() {
        let _ = write!(
            p.s,
            "<h3>{} more streams</h3><p class=\"note\">Only the {MAX_STREAM_PLOTS} streams with the most packets are plotted; every stream is in the data block.</p>",
            rest.len()
        );
        head(
            &mut p.s,
            &[
                "#",
                "SSRC",
                "sender → receiver",
                "codec",
                "packets",
                "lost / expected",
                "jitter ms",
            ],
        );
        for (i, s) in rest.iter().take(MAX_STREAM_ROWS) {
            let cells = [
                i.to_string(),
                format!("{:#010x}", u(&s["ssrc"])),
                esc(&format!("{} → {}", st(&s["src"]), st(&s["dst"]))),
                esc(&st(&s["codec_label"])),
                u(&s["packets"]).to_string(),
                format!("{} / {}", u(&s["lost"]), u(&s["expected"])),
                s["jitter_ms"]
                    .as_f64()
                    .map(|j| format!("{j:.2}"))
                    .unwrap_or("–".into()),
            ];
            let _ = write!(p.s, "<tr data-stream=\"{i}\">");
            for c in cells {
                let _ = write!(p.s, "<td>{c}</td>");
            }
            p.s.push_str("</tr>");
        }
        p.s.push_str("</tbody></table>");
    }
    p.s.push_str("</section>");
}

/// The stream table's rows from its frame tracker's report (JSON `streams[].frames`).
fn frame_rows(p: &Page, f: &Value) -> Vec<(&'static str, String)> {
    let res = |r: &Value| format!("{}×{}", u(&r["width"]), u(&r["height"]));
    let mut rows = vec![
        (
            "frames",
            format!(
                "{} frames: {} ({} key, {} complete{}){}",
                st(&f["codec"]),
                u(&f["frames"]),
                u(&f["key_frames"]),
                u(&f["complete_frames"]),
                match u(&f["repaired_frames"]) {
                    0 => String::new(),
                    n => format!(", {n} only in RTX repairs"),
                },
                if u(&f["late_packets"]) + u(&f["unreadable_payloads"]) > 0 {
                    format!(
                        " ({} late packets, {} unreadable payloads)",
                        u(&f["late_packets"]),
                        u(&f["unreadable_payloads"])
                    )
                } else {
                    String::new()
                }
            ),
        ),
        (
            "resolution",
            if f["resolution"].is_object() {
                let seen: Vec<String> = arr(&f["resolutions"])
                    .iter()
                    .map(|c| {
                        format!(
                            "{} from {}",
                            res(&c["resolution"]),
                            p.rel(c["at_ns"].as_i64())
                        )
                    })
                    .collect();
                let first = arr(&f["resolutions"])
                    .first()
                    .map_or("–".into(), |c| p.rel(c["at_ns"].as_i64()));
                match u(&f["resolution_changes"]) {
                    0 => format!("{} (from {first}; no change)", res(&f["resolution"])),
                    n => format!(
                        "{} ({n} change{}: {})",
                        res(&f["resolution"]),
                        if n == 1 { "" } else { "s" },
                        seen.join(", ")
                    ),
                }
            } else {
                "not carried by the payloads read".into()
            },
        ),
        (
            "frame rate (mean)",
            f["frames_per_second"]
                .as_f64()
                .map(|r| format!("{r:.1} frames/s (complete frames, frame tracker)"))
                .unwrap_or("–".into()),
        ),
    ];
    let freezes: Vec<String> = arr(&f["freeze_list"])
        .iter()
        .map(|z| {
            format!(
                "{} for {:.0} ms",
                p.rel(z["at_ns"].as_i64()),
                z["duration_ms"].as_f64().unwrap_or(0.0)
            )
        })
        .collect();
    rows.push((
        "freezes",
        if u(&f["freezes"]) == 0 {
            "none (W3C freezeCount definition, at the capture point)".into()
        } else {
            format!(
                "{} ({:.0} ms in all): {}",
                u(&f["freezes"]),
                f["freeze_total_ms"].as_f64().unwrap_or(0.0),
                freezes.join(", ")
            )
        },
    ));
    rows
}

/// Frames per second over time from the frame tracker's `frame_rate` series: complete
/// frames per bucket over the bucket's width, one point at each bucket's middle.
fn frame_rate_plot(p: &mut Page, f: &Value) {
    let fr = &f["frame_rate"];
    let start = fr["start_ns"].as_i64().unwrap_or(0);
    let width = fr["bucket_ns"].as_i64().unwrap_or(1).max(1);
    let secs = width as f64 / 1e9;
    let points: Vec<(i64, f64)> = arr(&fr["frames"])
        .iter()
        .enumerate()
        .map(|(i, n)| (start + width * i as i64 + width / 2, u(n) as f64 / secs))
        .collect();
    if points.is_empty() {
        return;
    }
    let values = points
        .iter()
        .map(|x| x.1.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let freezes: Vec<String> = arr(&f["freeze_list"])
        .iter()
        .take(3)
        .map(|z| {
            format!(
                "{} ({:.0} ms)",
                p.rel(z["at_ns"].as_i64()),
                z["duration_ms"].as_f64().unwrap_or(0.0)
            )
        })
        .collect();
    p.plot(
        "frame-rate",
        &format!(
            "Frame rate (complete frames per {} s bucket, frame tracker){}",
            svg::si(secs),
            match u(&f["freezes"]) {
                0 => String::new(),
                1 => format!("; a freeze at {}", freezes.join("")),
                n => format!(
                    "; {n} freezes, at {}{}",
                    freezes.join(", "),
                    if n > 3 { ", …" } else { "" }
                ),
            }
        ),
        "frames/s",
        &[Line {
            class: "fwd",
            label: "wire".into(),
            data: vec![
                ("field", "frame_rate.frames".to_owned()),
                ("bucket-ns", width.to_string()),
                ("values", values),
            ],
            points,
        }],
    );
}

/// A line of one value per bucket of a stream's JSON `quality` (at the bucket's middle), for
/// the buckets where `value` gives one from the bucket's index; `field` names it in
/// `data-field`.
fn quality_line<'a>(
    q: &Value,
    field: &str,
    mut value: impl FnMut(usize) -> Option<f64>,
) -> Line<'a> {
    let start = q["start_ns"].as_i64().unwrap_or(0);
    let width = q["bucket_ns"].as_i64().unwrap_or(1).max(1);
    let points: Vec<(i64, f64)> = (0..arr(&q["expected"]).len())
        .filter_map(|i| Some((start + width * i as i64 + width / 2, value(i)?)))
        .collect();
    let values = points
        .iter()
        .map(|p| p.1.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    Line {
        class: "fwd",
        label: "wire".into(),
        data: vec![
            ("field", field.to_owned()),
            ("bucket-ns", width.to_string()),
            ("values", values),
        ],
        points,
    }
}

/// A stream's loss, loss fraction, jitter and RTCP RTT over time from its `quality` (columns,
/// one element per bucket), with the browser's series of the same SSRC beside the wire's.
fn quality_plots(p: &mut Page, q: &Value, ssrc: u64, stats: &Value) {
    let browser = |metric: &str| -> Vec<Line<'static>> {
        arr(&stats["series"])
            .iter()
            .filter(|b| b["ssrc"].as_u64() == Some(ssrc) && b["metric"] == metric)
            .map(|b| browser_line(b, "browser"))
            .collect()
    };
    let col = |name: &str, i: usize| q[name].get(i).cloned().unwrap_or(Value::Null);
    let has_quality = !arr(&q["expected"]).is_empty();
    // Cumulative, as getStats' packetsLost and the receiver reports count it.
    let mut lines = Vec::new();
    if has_quality {
        let mut sum = 0i64;
        lines.push(quality_line(q, "lost", |i| {
            sum += col("lost", i).as_i64().unwrap_or(0);
            Some(sum as f64)
        }));
    }
    lines.extend(browser("packets-lost"));
    if !lines.is_empty() {
        p.plot(
            "packets-lost",
            "Packets lost (cumulative, RFC 3550)",
            "packets",
            &lines,
        );
    }
    if has_quality {
        p.plot(
            "loss",
            "Loss per bucket (unique sequence numbers)",
            "%",
            &[quality_line(q, "loss_percent", |i| {
                let expected = col("expected", i).as_i64().unwrap_or(0);
                (expected > 0).then(|| {
                    let unique_lost = col("lost", i).as_i64().unwrap_or(0)
                        + col("duplicates", i).as_i64().unwrap_or(0);
                    (unique_lost.max(0) as f64 * 100.0 / expected as f64).min(100.0)
                })
            })],
        );
    }
    let mut lines = Vec::new();
    if arr(&q["jitter_ms"]).iter().any(Value::is_number) {
        lines.push(quality_line(q, "jitter_ms", |i| {
            col("jitter_ms", i).as_f64()
        }));
    }
    lines.extend(browser("jitter"));
    if !lines.is_empty() {
        p.plot("jitter", "Jitter (RFC 3550)", "ms", &lines);
    }
    if arr(&q["rtt_mean_ms"]).iter().any(Value::is_number) {
        p.plot(
            "rtcp-rtt",
            "RTCP round-trip time (LSR/DLSR, mean per bucket)",
            "ms",
            &[quality_line(q, "rtt_mean_ms", |i| {
                col("rtt_mean_ms", i).as_f64()
            })],
        );
    }
}

/// RTX packets as a share of the media and RTX packets per bucket, where both series share a
/// grid (same start and bucket width); otherwise the whole-stream share above stands alone.
fn rtx_share(p: &mut Page, media: &Value, rtx: &Value) {
    if media["start_ns"] != rtx["start_ns"] || media["bucket_ns"] != rtx["bucket_ns"] {
        p.s.push_str("<p class=\"note\">RTX share over time: the RTX stream's buckets do not line up with the media's (they started or coarsened apart); the whole-stream share is above.</p>");
        return;
    }
    let start = media["start_ns"].as_i64().unwrap_or(0);
    let width = media["bucket_ns"].as_i64().unwrap_or(1).max(1);
    let (m, x) = (arr(&media["buckets"]), arr(&rtx["buckets"]));
    let n = m.len().max(x.len());
    let points: Vec<(i64, f64)> = (0..n)
        .map(|i| {
            let a = m.get(i).map_or(0, |b| u(&b["packets_fwd"])) as f64;
            let b = x.get(i).map_or(0, |b| u(&b["packets_fwd"])) as f64;
            (
                start + width * i as i64 + width / 2,
                if a + b > 0.0 {
                    b * 100.0 / (a + b)
                } else {
                    0.0
                },
            )
        })
        .collect();
    let values = points
        .iter()
        .map(|p| p.1.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    p.plot(
        "rtx-share",
        "RTX share of packets",
        "%",
        &[Line {
            class: "fwd",
            label: "wire".into(),
            points,
            data: vec![("values", values)],
        }],
    );
}

fn browser_line<'a>(b: &Value, class: &'a str) -> Line<'a> {
    let points: Vec<(i64, f64)> = arr(&b["points"])
        .iter()
        .filter_map(|pt| Some((pt[0].as_i64()?, pt[1].as_f64()?)))
        .collect();
    let values = points
        .iter()
        .map(|x| x.1.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    Line {
        class,
        label: format!("browser {} {}", st(&b["stat_id"]), st(&b["field"])),
        data: vec![
            ("source", "browser".into()),
            ("field", st(&b["field"])),
            ("values", values),
        ],
        points,
    }
}

struct LadderEvent {
    at: i64,
    from: String,
    to: String,
    class: &'static str,
    label: String,
}

fn ladder(p: &mut Page, r: &Value) {
    p.section("ladder");
    let mut ev: Vec<LadderEvent> = Vec::new();
    let mut omitted = 0usize;
    for s in arr(&r["ice_sessions"]) {
        for pr in arr(&s["pairs"]) {
            let (l, rm) = (st(&pr["local"]), st(&pr["remote"]));
            let consent_from = if pr["nominated"] == true {
                pr["succeeded_ns"].as_i64()
            } else {
                None
            };
            let tl = arr(&pr["timeline"]);
            for (k, e) in tl.iter().enumerate() {
                if k >= LADDER_PAIR_EVENTS && k + 2 < tl.len() {
                    omitted += 1;
                    continue;
                }
                let Some(at) = e["at_ns"].as_i64() else {
                    continue;
                };
                let (from, to, class, label) = match e["event"].as_str() {
                    Some("request") => (
                        l.clone(),
                        rm.clone(),
                        "ice",
                        format!(
                            "{} pair {}{}{}",
                            if consent_from.is_some_and(|c| at > c) {
                                "consent check"
                            } else {
                                "Binding request"
                            },
                            u(&pr["id"]),
                            if e["use_candidate"] == true {
                                " USE-CANDIDATE"
                            } else {
                                ""
                            },
                            if e["retransmit"] == true {
                                " (retransmission)"
                            } else {
                                ""
                            }
                        ),
                    ),
                    Some("success") => (
                        rm.clone(),
                        l.clone(),
                        "ice",
                        format!("Binding success pair {}", u(&pr["id"])),
                    ),
                    _ => (
                        rm.clone(),
                        l.clone(),
                        "err",
                        format!("Binding error {} pair {}", st(&e["code"]), u(&pr["id"])),
                    ),
                };
                ev.push(LadderEvent {
                    at,
                    from,
                    to,
                    class,
                    label,
                });
            }
            omitted += u(&pr["events_dropped"]) as usize;
        }
    }
    for a in arr(&r["turn_allocations"]) {
        let (c, sv) = (st(&a["client"]), st(&a["server"]));
        for e in arr(&a["errors"]) {
            if let Some(at) = e["at_ns"].as_i64() {
                ev.push(LadderEvent {
                    at,
                    from: sv.clone(),
                    to: c.clone(),
                    class: "err",
                    label: format!(
                        "{} error {} {} (packet #{})",
                        st(&e["method"]),
                        st(&e["code"]),
                        st(&e["reason"]),
                        u(&e["packet"])
                    ),
                });
            }
        }
        if let Some(at) = a["allocated_ns"].as_i64() {
            ev.push(LadderEvent {
                at,
                from: sv.clone(),
                to: c.clone(),
                class: "turn",
                label: format!("Allocate success, relayed {}", st(&a["relayed"])),
            });
        }
        for ch in arr(&a["channels"]) {
            if let Some(at) = ch["bound_ns"].as_i64() {
                ev.push(LadderEvent {
                    at,
                    from: sv.clone(),
                    to: c.clone(),
                    class: "turn",
                    label: format!(
                        "ChannelBind {:#06x} → {} success",
                        u(&ch["channel"]),
                        st(&ch["peer"])
                    ),
                });
            }
        }
        if let Some(at) = a["released_ns"].as_i64() {
            ev.push(LadderEvent {
                at,
                from: sv.clone(),
                to: c.clone(),
                class: "turn",
                label: "Refresh (lifetime 0) success: released".into(),
            });
        }
    }
    for h in arr(&r["dtls"]) {
        let (a, b) = (st(&h["a"]), st(&h["b"]));
        for e in arr(&h["timeline"]) {
            let from = st(&e["from"]);
            let to = if from == a { b.clone() } else { a.clone() };
            if let Some(at) = e["at_ns"].as_i64() {
                ev.push(LadderEvent {
                    at,
                    from,
                    to,
                    class: "dtls",
                    label: format!("DTLS {}", st(&e["what"])),
                });
            }
        }
    }
    for s in arr(&r["streams"]) {
        let (a, b) = (st(&s["src"]), st(&s["dst"]));
        let ssrc = u(&s["ssrc"]);
        if let Some(at) = s["first_ns"].as_i64() {
            ev.push(LadderEvent {
                at,
                from: a.clone(),
                to: b.clone(),
                class: "rtp",
                label: format!("RTP {ssrc:#010x} {} first packet", st(&s["codec_label"])),
            });
        }
        if let Some(at) = s["last_ns"].as_i64() {
            ev.push(LadderEvent {
                at,
                from: a,
                to: b,
                class: "rtp",
                label: format!(
                    "RTP {ssrc:#010x} last packet ({} packets)",
                    u(&s["packets"])
                ),
            });
        }
    }
    ev.sort_by(|x, y| x.at.cmp(&y.at).then(x.label.cmp(&y.label)));
    if ev.len() > LADDER_MAX_EVENTS {
        omitted += ev.len() - LADDER_MAX_EVENTS;
        ev.truncate(LADDER_MAX_EVENTS);
    }
    if ev.is_empty() {
        p.s.push_str("<p class=\"none\">No ICE, TURN, DTLS or RTP events to draw.</p>");
    } else {
        // Endpoints by first appearance; beyond the cap, one "other" column.
        let mut hosts: Vec<&str> = Vec::new();
        for e in &ev {
            for a in [e.from.as_str(), e.to.as_str()] {
                if !hosts.contains(&a) && hosts.len() < LADDER_MAX_HOSTS {
                    hosts.push(a);
                }
            }
        }
        let other = ev
            .iter()
            .any(|e| !hosts.contains(&e.from.as_str()) || !hosts.contains(&e.to.as_str()));
        let cols = hosts.len() + usize::from(other);
        let col = |a: &str| hosts.iter().position(|h| *h == a).unwrap_or(hosts.len());
        // Times on the left, one lane per endpoint, the labels in a column of their own.
        const W: f64 = 1000.0;
        let (left, lanes_end) = (62.0, 600.0);
        let cw = (lanes_end - left) / cols.max(1) as f64;
        let cx = |i: usize| left + cw * (i as f64 + 0.5);
        const ROW: f64 = 13.0;
        let top = 34.0;
        let h = top + ROW * ev.len() as f64 + 6.0;
        let _ = write!(
            p.s,
            "<figure class=\"ladder\"><svg data-plot=\"ladder\" data-events=\"{}\" data-omitted=\"{omitted}\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-label=\"call ladder\"><defs><marker id=\"arrow\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0,0 L8,4 L0,8 z\"/></marker></defs>",
            ev.len()
        );
        for i in 0..cols {
            let name = hosts.get(i).copied().unwrap_or("other");
            let _ = write!(
                p.s,
                "<text class=\"host\" x=\"{:.1}\" y=\"{}\">{}</text><line class=\"life\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{}\" y2=\"{h}\"/>",
                cx(i),
                if i % 2 == 0 { 11 } else { 23 },
                esc(name),
                cx(i),
                cx(i),
                top - 6.0
            );
        }
        for (k, e) in ev.iter().enumerate() {
            let y = top + ROW * k as f64 + ROW / 2.0;
            let (a, b) = (col(&e.from), col(&e.to));
            let (x1, x2) = (cx(a), cx(b));
            let _ = write!(
                p.s,
                "<g class=\"ev {}\"><title>{}</title><text class=\"t\" x=\"4\" y=\"{:.1}\">{}</text>",
                e.class,
                esc(&format!("{} → {}", e.from, e.to)),
                y + 3.0,
                p.rel(Some(e.at))
            );
            if a == b {
                let _ = write!(p.s, "<circle cx=\"{x1:.1}\" cy=\"{y:.1}\" r=\"2.5\"/>");
            } else {
                let _ = write!(p.s, "<line x1=\"{x1:.1}\" x2=\"{x2:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" marker-end=\"url(#arrow)\"/>");
            }
            let _ = write!(
                p.s,
                "<text class=\"lbl\" x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
                lanes_end + 8.0,
                y + 3.0,
                esc(&e.label)
            );
        }
        p.s.push_str("</svg>");
        let _ = write!(
            p.s,
            "<figcaption>{} events drawn, {omitted} omitted (each pair's first {LADDER_PAIR_EVENTS} and last 2 checks are shown; at most {LADDER_MAX_EVENTS} events). RTCP has no per-packet times in the model: its counts per sender follow.</figcaption></figure>",
            ev.len()
        );
    }
    let senders = arr(&r["rtcp_senders"]);
    if !senders.is_empty() {
        head(
            &mut p.s,
            &["RTCP sender SSRC", "cleartext RTCP", "SRTCP (counted)"],
        );
        for x in senders {
            row(
                &mut p.s,
                &[
                    format!("{:#010x}", u(&x["ssrc"])),
                    u(&x["clear"]).to_string(),
                    u(&x["encrypted"]).to_string(),
                ],
            );
        }
        p.s.push_str("</tbody></table>");
    }
    p.s.push_str("</section>");
}

fn sdp(p: &mut Page, files: &Value) {
    p.section("sdp");
    let files = arr(files);
    if files.is_empty() {
        p.s.push_str("<p class=\"none\">No SDP given (<code>--sdp FILE</code>).</p>");
    }
    for f in files {
        let _ = write!(p.s, "<h3>{}</h3>", esc(&st(&f["file"])));
        if let Some(e) = f["error"].as_str() {
            let _ = write!(p.s, "<p class=\"bad\">{}</p>", esc(e));
        }
        for d in arr(&f["documents"]) {
            let _ = write!(
                p.s,
                "<h4>{} {}</h4><p>session name <q class=\"sname\">{}</q>, origin {}, {} lines; {} errors, {} warnings</p><ul>",
                esc(d["sdp_type"].as_str().unwrap_or("SDP")),
                esc(d["path"].as_str().unwrap_or("")),
                esc(&st(&d["session_name"])),
                esc(&st(&d["origin"])),
                u(&d["lines"]),
                u(&d["errors"]),
                u(&d["warnings"])
            );
            for m in arr(&d["media"]) {
                let codecs: Vec<String> = arr(&m["codecs"])
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {}/{}",
                            st(&c["pt"]),
                            st(&c["name"]),
                            st(&c["clock_rate"])
                        )
                    })
                    .collect();
                let _ = write!(
                    p.s,
                    "<li>{} mid {} {} {}: {}</li>",
                    esc(&st(&m["kind"])),
                    esc(&st(&m["mid"])),
                    esc(&st(&m["direction"])),
                    esc(&st(&m["proto"])),
                    esc(&codecs.join(", "))
                );
            }
            p.s.push_str("</ul>");
            let fs = arr(&d["findings"]);
            if fs.is_empty() {
                p.s.push_str("<p>No lint findings.</p>");
            } else {
                head(&mut p.s, &["severity", "rule", "line", "finding"]);
                for x in fs {
                    row(
                        &mut p.s,
                        &[
                            esc(&st(&x["severity"])),
                            esc(&st(&x["rule"])),
                            esc(&st(&x["line"])),
                            esc(&st(&x["message"])),
                        ],
                    );
                }
                p.s.push_str("</tbody></table>");
            }
        }
    }
    p.s.push_str("</section>");
}

fn browser_stats(p: &mut Page, r: &Value, stats: &Value) {
    p.section("browser-stats");
    match stats["format"].as_str() {
        None => p.s.push_str("<p class=\"none\">No browser statistics given (<code>--stats FILE</code>: a webrtc-internals dump, an rtcstats dump or a getStats() snapshot).</p>"),
        Some("getstats-snapshot") => {
            let _ = write!(
                p.s,
                "<p>A getStats() snapshot{}. Browser counters against the wire's: packets are the SSRC's and its RTX SSRC's RTP packets; bytes are payload bytes (<code>payload_bytes</code>: without header, padding or SRTP tag), as getStats counts them.</p>",
                stats["timestamp_ms"].as_f64().map(|t| format!(" taken at {}", utc((t * 1e6) as i64))).unwrap_or_default()
            );
            head(&mut p.s, &["direction", "kind", "SSRC (+RTX)", "browser packets", "wire packets", "browser bytes", "wire bytes", "agree"]);
            let streams = arr(&r["streams"]);
            for x in arr(&stats["rtp"]) {
                let mut ssrcs = vec![u(&x["ssrc"])];
                if let Some(rx) = x["rtx_ssrc"].as_u64() {
                    ssrcs.push(rx);
                }
                // Every stream of those SSRCs (a relayed stream appears once: the engine
                // counts it on one leg).
                let found: Vec<&Value> = streams.iter().filter(|s| ssrcs.contains(&u(&s["ssrc"]))).collect();
                let (wp, wb) = found.iter().fold((0, 0), |(a, b), s| (a + u(&s["packets"]), b + u(&s["payload_bytes"])));
                let (bp, bb) = (u(&x["packets"]), u(&x["bytes"]));
                let agree = if found.is_empty() {
                    "not on the wire".to_owned()
                } else if wp == bp && wb == bb {
                    "yes".to_owned()
                } else {
                    format!("no (packets {:+}, bytes {:+})", wp as i64 - bp as i64, wb as i64 - bb as i64)
                };
                let _ = write!(
                    p.s,
                    "<tr data-ssrc=\"{}\" data-agree=\"{}\">",
                    u(&x["ssrc"]),
                    agree == "yes"
                );
                for c in [
                    esc(&st(&x["direction"])),
                    esc(&st(&x["kind"])),
                    ssrcs.iter().map(|s| format!("{s:#010x}")).collect::<Vec<_>>().join(" + "),
                    bp.to_string(),
                    wp.to_string(),
                    bb.to_string(),
                    wb.to_string(),
                    esc(&agree),
                ] {
                    let _ = write!(p.s, "<td>{c}</td>");
                }
                p.s.push_str("</tr>");
            }
            p.s.push_str("</tbody></table>");
        }
        Some(_) => {
            let series = arr(&stats["series"]);
            let what = if stats["format"] == "rtcstats" {
                format!(
                    "An rtcstats dump{}{}: {} events, {} of them getStats() reports (decompressed against the one before, per peer connection), each object's samples at its own <code>timestamp</code>",
                    stats["file_format"].as_u64().map(|f| format!(" (file format {f})")).unwrap_or_default(),
                    stats["user_agent"].as_str().map(|ua| format!(" from <q>{}</q>", esc(ua))).unwrap_or_default(),
                    u(&stats["events"]),
                    u(&stats["getstats_events"])
                )
            } else {
                "A webrtc-internals dump".to_owned()
            };
            let _ = write!(
                p.s,
                "<p>{what}: {} series plotted on the capture's time axis ({} other series in the dump not plotted). Bitrate from the cumulative byte counters between samples (payload bytes); the series of an SSRC also appear beside the wire's in its stream.</p>",
                series.len(),
                u(&stats["other_series"])
            );
            for b in series {
                let title = format!(
                    "{} {} {}{}",
                    st(&b["pc"]),
                    st(&b["stats_type"]),
                    st(&b["field"]),
                    b["ssrc"].as_u64().map(|s| format!(" SSRC {s:#010x}")).unwrap_or_default()
                );
                let metric = st(&b["metric"]);
                p.plot(
                    &format!("browser-{metric}"),
                    &title,
                    &st(&b["unit"]),
                    &[browser_line(b, "browser")],
                );
            }
        }
    }
    p.s.push_str("</section>");
}

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

#[cfg(test)]
mod tests {
    use super::*;
    use rtcscope_analysis::{Config, Engine};
    use std::borrow::Cow;

    const EVIL: &str = "<script>alert(1)</script>";

    fn page(engine: &Engine, sdp: &[FileReport]) -> (String, Value) {
        let report = Report::new(engine);
        let prov = Provenance {
            file: format!("x{EVIL}.pcap"),
            version: "test".into(),
            ..Provenance::default()
        };
        let input = Input {
            report: &report,
            provenance: &prov,
            sdp,
            stats: None,
        };
        (render(&input).unwrap(), data(&input).unwrap())
    }

    /// The JSON of the data block, read back as a browser reads it.
    fn data_block(html: &str) -> Value {
        let start = html
            .find(r#"<script type="application/json" id="rtcscope-data">"#)
            .expect("data block")
            + r#"<script type="application/json" id="rtcscope-data">"#.len();
        let end = start + html[start..].find("</script>").unwrap();
        serde_json::from_str(&html[start..end]).unwrap()
    }

    fn sections_in_order(html: &str) {
        let mut at = 0;
        for (id, _) in SECTIONS {
            let i = html[at..]
                .find(&format!("<section id=\"{id}\">"))
                .unwrap_or_else(|| panic!("section {id} missing or out of order"));
            at += i;
        }
    }

    #[test]
    fn escapes_html_and_the_data_block() {
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(esc("a\u{202e}b\x1b[2J → é"), "a\\u{202e}b\\x1b[2J → é");
        let v = serde_json::json!({"s": "</script><!--&\u{2028}"});
        let j = script_json(&v);
        assert!(
            !j.contains('<') && !j.contains('>') && !j.contains('&'),
            "{j}"
        );
        assert_eq!(serde_json::from_str::<Value>(&j).unwrap(), v);
        assert!(j.contains("\\u2028"), "{j}");
    }

    /// The escaping writer takes its bytes in any pieces: a character cut between two writes
    /// (serde_json writes a string's runs as they come) waits for the rest of it.
    #[test]
    fn the_data_block_escapes_characters_cut_between_writes() {
        use std::io::Write as _;
        let text =
            serde_json::to_string(&serde_json::json!({"s": "é\u{2028}<x>\u{1F600}&"})).unwrap();
        for piece in 1..=4 {
            let mut out = String::new();
            let mut w = Escaping {
                out: &mut out,
                held: Vec::new(),
            };
            for chunk in text.as_bytes().chunks(piece) {
                w.write_all(chunk).unwrap();
            }
            assert!(w.held.is_empty());
            assert_eq!(
                out, r#"{"s":"é\u2028\u003cx\u003e😀\u0026"}"#,
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn an_empty_capture_has_every_section_and_no_plots() {
        let (html, d) = page(&Engine::new(Config::default()), &[]);
        sections_in_order(&html);
        assert!(html.contains("No ICE connectivity checks"));
        assert!(html.contains("No RTP stream"));
        assert!(html.contains("No SDP given"));
        assert!(html.contains("No browser statistics given"));
        assert!(!html.contains("<polyline"));
        assert_eq!(data_block(&html), d);
        assert_eq!(d["report"]["counters"]["packets"], 0);
        // The provenance's file name came from the command line: escaped too.
        assert!(html.contains("x&lt;script&gt;alert(1)&lt;/script&gt;.pcap"));
        assert_eq!(
            html.matches("<script").count(),
            2,
            "only the page's own scripts"
        );
    }

    fn turn_frames() -> Vec<Vec<u8>> {
        use rtcscope_stun::{
            Attribute, ErrorCode, MessageBuilder, Method, TransactionId, TransportProtocol,
        };
        use rtcscope_testkit::frames::{ethernet, ipv4_udp};
        let client = "10.0.0.1:40000".parse().unwrap();
        let server = "192.0.2.1:3478".parse().unwrap();
        let tid = TransactionId::Rfc5389([9; 12]);
        let mut req = MessageBuilder::request(Method::ALLOCATE, tid);
        req.add(&Attribute::RequestedTransport(TransportProtocol::UDP))
            .add(&Attribute::Username(Cow::Borrowed(EVIL)))
            .add(&Attribute::Software(Cow::Borrowed(EVIL)));
        let mut resp = MessageBuilder::error(Method::ALLOCATE, tid);
        resp.add(&Attribute::ErrorCode {
            code: ErrorCode::UNAUTHENTICATED,
            reason: Cow::Borrowed(EVIL),
        })
        .add(&Attribute::Realm(Cow::Borrowed(EVIL)))
        .add(&Attribute::Software(Cow::Borrowed(EVIL)));
        vec![
            ethernet(&ipv4_udp(client, server, &req.finish().unwrap())),
            ethernet(&ipv4_udp(server, client, &resp.finish().unwrap())),
        ]
    }

    #[test]
    fn strings_from_packets_and_sdps_are_escaped() {
        let mut engine = Engine::new(Config::default());
        for (i, f) in turn_frames().iter().enumerate() {
            engine.feed_frame(
                i as u64 + 1,
                1_000_000_000 + i as i128 * 20_000_000,
                rtcscope_capture::LinkType::ETHERNET,
                f,
                f.len() as u32,
            );
        }
        engine.finish();
        let sdp = format!(
            "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns={EVIL}\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:{EVIL}\r\na=rtpmap:111 opus/48000/2\r\n"
        );
        let sdp = [FileReport::new(EVIL, sdp.as_bytes(), None)];
        let (html, d) = page(&engine, &sdp);
        // The capture's strings did reach the model (so the test can fail) ...
        assert_eq!(d["report"]["turn_allocations"][0]["realm"], EVIL);
        assert_eq!(d["sdp"][0]["documents"][0]["session_name"], EVIL);
        // ... and reach the page only escaped: the page's two scripts are its only ones.
        assert_eq!(html.matches("<script").count(), 2);
        assert!(!html.contains("alert(1)</script>"));
        assert!(html.contains("<q class=\"sname\">&lt;script&gt;alert(1)&lt;/script&gt;</q>"));
        assert!(
            html.contains(
                "&lt;script&gt;alert(1)&lt;/script&gt; / &lt;script&gt;alert(1)&lt;/script&gt;"
            ),
            "TURN username / realm"
        );
        assert_eq!(data_block(&html), d);
        sections_in_order(&html);
    }

    #[test]
    fn a_capture_without_streams_still_has_its_turn_ladder() {
        let mut engine = Engine::new(Config::default());
        for (i, f) in turn_frames().iter().enumerate() {
            engine.feed_frame(
                i as u64 + 1,
                5_000_000_000,
                rtcscope_capture::LinkType::ETHERNET,
                f,
                f.len() as u32,
            );
        }
        engine.finish();
        let (html, d) = page(&engine, &[]);
        assert!(arr(&d["report"]["streams"]).is_empty());
        assert!(html.contains("No RTP stream"));
        assert!(
            html.contains("Allocate error 401"),
            "the ladder shows the TURN error"
        );
        assert!(html.contains(r#"data-plot="ladder" data-events="1""#));
    }

    #[test]
    fn many_streams_are_bounded_and_a_partial_report_does_not_panic() {
        // A hand-made data block: only what the page reads, most fields absent.
        let streams: Vec<Value> = (0..60u64)
            .map(|i| {
                serde_json::json!({
                    "ssrc": i, "src": "10.0.0.1:1", "dst": "10.0.0.2:2", "packets": 1000 + i,
                    "series": {"start_ns": 0, "bucket_ns": 100_000_000i64,
                               "buckets": [{"bytes_fwd": i, "packets_fwd": 1}]},
                })
            })
            .collect();
        let d = serde_json::json!({"report": {"streams": streams, "start_ns": 0, "end_ns": 1}});
        let html = render_data(&d);
        sections_in_order(&html);
        assert_eq!(
            html.matches("<article class=\"stream\"").count(),
            MAX_STREAM_PLOTS
        );
        assert!(html.contains("12 more streams"));
        // The streams with the fewest packets (0..12) are the rows.
        assert!(
            html.contains("<tr data-stream=\"11\">") && !html.contains("<tr data-stream=\"12\">")
        );
        assert!(html.contains("data-stream=\"59\" data-ssrc=\"59\""));
        // Garbage where objects belong: still a page.
        let html = render_data(
            &serde_json::json!({"report": {"findings": [1, "x"], "ice_sessions": [{"pairs": [null]}], "streams": [7]}, "stats": {"format": "webrtc-internals", "series": [3]}}),
        );
        sections_in_order(&html);
    }

    /// The page of a consumed report ([`render_report`], what `rtcscope report` writes) is
    /// [`render`]'s byte for byte, and the sections drawn from the [`view`] are those drawn
    /// from the whole data, on every fixture capture.
    #[test]
    fn the_view_draws_what_the_whole_data_draws() {
        let mut pages = 0;
        for path in rtcscope_testkit::captures_under(&rtcscope_testkit::fixtures()) {
            let bytes = std::fs::read(&path).unwrap();
            let Ok(mut source) = rtcscope_capture::PacketSource::new(&bytes[..]) else {
                continue;
            };
            let mut engine = Engine::new(Config::default());
            engine.feed_all(&mut source);
            let report = Report::new(&engine);
            let prov = Provenance {
                file: path.display().to_string(),
                version: "test".into(),
                ..Provenance::default()
            };
            let input = Input {
                report: &report,
                provenance: &prov,
                sdp: &[],
                stats: None,
            };
            let whole = data(&input).unwrap();
            let mut part = whole.clone();
            view(&mut part);
            assert_eq!(draw(&whole), draw(&part), "{}", path.display());
            let page = render(&input).unwrap();
            // Through text both ways: serde_json reads a float back to within a unit in the
            // last place, the same text to the same number.
            let text: Value = serde_json::from_str(&whole.to_string()).unwrap();
            assert_eq!(data_block(&page), text, "{}", path.display());
            let consumed = render_report(Report::new(&engine), &prov, &[], None).unwrap();
            assert!(consumed == page, "{}", path.display());
            pages += 1;
        }
        assert!(pages >= 20, "{pages} captures");
    }

    /// The view leaves out the series of the streams that get no plot, not those of an RTX
    /// stream repairing a plotted one, and draws the same sections.
    #[test]
    fn the_view_keeps_the_series_it_draws() {
        let series = serde_json::json!({"start_ns": 0, "bucket_ns": 100_000_000i64,
            "buckets": [{"bytes_fwd": 5, "packets_fwd": 1}]});
        let mut streams: Vec<Value> = (0..60u64)
            .map(|i| {
                serde_json::json!({
                    "ssrc": i, "src": "10.0.0.1:1", "dst": "10.0.0.2:2", "packets": 1000 + i,
                    "flow": {"a": 1}, "series": series, "quality": {"start_ns": 0},
                })
            })
            .collect();
        // Few packets, so not plotted itself: the RTX stream of SSRC 59, plotted.
        streams.push(serde_json::json!({
            "ssrc": 900, "rtx_of": 59, "src": "10.0.0.1:1", "dst": "10.0.0.2:2",
            "packets": 3, "flow": {"a": 1}, "series": series,
        }));
        let whole = serde_json::json!({"report": {
            "streams": streams, "start_ns": 0, "end_ns": 1_000_000_000i64,
            "flows": [{"a": "10.0.0.1:1", "series": series}],
        }});
        let mut part = whole.clone();
        view(&mut part);
        let kept = |i: usize| !part["report"]["streams"][i]["series"].is_null();
        assert!((0..12).all(|i| !kept(i)), "{part}");
        assert!((12..60).all(kept));
        assert!(kept(60), "the RTX stream of a plotted one");
        assert!(part["report"]["streams"][0]["quality"].is_null());
        assert!(part["report"]["flows"][0]["series"].is_null());
        assert_eq!(part["report"]["flows"][0]["a"], "10.0.0.1:1");
        assert_eq!(draw(&whole), draw(&part));
    }

    #[test]
    fn a_stream_plot_has_one_point_per_bucket() {
        let series = serde_json::json!({
            "start_ns": 1_000_000_000i64, "bucket_ns": 200_000_000i64,
            "buckets": [
                {"bytes_fwd": 100, "bytes_rev": 0, "packets_fwd": 2, "packets_rev": 0},
                {"bytes_fwd": 0, "bytes_rev": 0, "packets_fwd": 0, "packets_rev": 0},
                {"bytes_fwd": 50, "bytes_rev": 0, "packets_fwd": 1, "packets_rev": 0}
            ]
        });
        let l = series_line(&series, "fwd", "w".into(), Metric::Bitrate, true);
        assert_eq!(
            l.points,
            vec![
                (1_100_000_000, 4000.0),
                (1_300_000_000, 0.0),
                (1_500_000_000, 2000.0)
            ]
        );
        let l = series_line(&series, "fwd", "w".into(), Metric::PacketRate, true);
        assert_eq!(
            l.points.iter().map(|p| p.1).collect::<Vec<_>>(),
            vec![10.0, 0.0, 5.0]
        );
        assert_eq!(l.data[2], ("values", "10 0 5".to_owned()));
    }
}
