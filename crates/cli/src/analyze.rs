//! `rtcscope analyze`: from packets to WebRTC sessions, as a report.
//!
//! Reads a capture file (`FILE`, `-r FILE`, `-r -` for standard input) or captures live
//! (`-i IFACE`, optional `-f` BPF filter, `-w` to save what was captured as pcapng), feeds the
//! analysis engine and prints a report: ICE sessions and pairs, TURN allocations, flows and
//! bandwidth; `--json` prints the versioned JSON report (docs/json-schema.md).

use crate::input;
use crate::json;
use crate::loader;
use crate::pipeline;
use crate::text::{bitrate, bytes, duration_ns, time_utc};
use crate::value;
use anyhow::Context as _;
use clap::Args;
use rtcscope_analysis::fmt::count;
use rtcscope_analysis::report::{PairReport, Report};
use rtcscope_analysis::streams::TagLenSource;
use rtcscope_analysis::{Config, Engine};
use rtcscope_capture::live::{list_interfaces, LiveCapture, DEFAULT_BUFFER_BYTES};
use rtcscope_capture::source::{Next, PacketSource};
use rtcscope_capture::writer::{InterfaceStats, PcapNgWriter};
use rtcscope_wire::text::Escaped;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the live-only options (`-f`, `-w`, `-B`) conflict with besides requiring `-i`: clap
/// lets a `requires` pass unchecked when the required argument conflicts with one present
/// (clap-rs/clap#4520), so without this `analyze -w out.pcapng in.pcap` ignored `-w` silently.
const LIVE_ONLY_CONFLICTS: [&str; 2] = ["file", "read"];

/// Arguments of `rtcscope analyze`.
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Capture file (pcap or pcapng); `-` reads standard input.
    #[arg(value_name = "FILE", conflicts_with_all = ["read", "interface", "list_interfaces"])]
    file: Option<String>,
    /// Capture file to read (`-r -` for standard input).
    #[arg(
        short = 'r',
        long = "read",
        value_name = "FILE",
        conflicts_with = "interface"
    )]
    read: Option<String>,
    /// Capture live on this interface (`any` for all); needs root or CAP_NET_RAW.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: Option<String>,
    /// BPF capture filter for live capture (as for tcpdump).
    #[arg(
        short = 'f',
        long = "filter",
        value_name = "BPF",
        requires = "interface",
        conflicts_with_all = LIVE_ONLY_CONFLICTS
    )]
    filter: Option<String>,
    /// Save the live capture to this pcapng file (with the kernel's drop counts).
    #[arg(
        short = 'w',
        long = "write",
        value_name = "FILE",
        requires = "interface",
        conflicts_with_all = LIVE_ONLY_CONFLICTS
    )]
    write: Option<String>,
    /// The kernel's capture ring for live capture, in MiB, 16 unless given (as tshark's and
    /// dumpcap's `-B`; tcpdump's counts KiB).
    #[arg(
        short = 'B',
        long = "buffer-size",
        value_name = "MiB",
        requires = "interface",
        conflicts_with_all = LIVE_ONLY_CONFLICTS,
        value_parser = value::whole(1usize, 2048, "MiB"),
        allow_negative_numbers = true
    )]
    buffer_size: Option<usize>,
    /// List the interfaces live capture can use, and exit.
    #[arg(short = 'D', long = "list-interfaces")]
    list_interfaces: bool,
    /// Stop after N packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    count: Option<u64>,
    /// Stop condition for live capture: `duration:SECONDS` (at most 30 days).
    #[arg(
        short = 'a',
        long = "autostop",
        value_name = "duration:S",
        value_parser = value::autostop(0.001, 30.0 * 86_400.0),
        allow_negative_numbers = true
    )]
    autostop: Option<Duration>,
    /// Seconds between periodic summaries in live mode (0 for none; at most 86400).
    #[arg(
        long,
        default_value = "5",
        value_name = "S",
        value_parser = value::seconds(0.0, 86_400.0),
        allow_negative_numbers = true
    )]
    interval: Duration,
    /// Print the report as JSON (schema `rtcscope.analyze/1`).
    #[arg(long)]
    json: bool,
    /// Include flows that carried no WebRTC protocol in the text report.
    #[arg(long)]
    all_flows: bool,
    /// An SDP offer or answer (raw, or a signalling JSON blob) for codecs, clock rates,
    /// header-extension ids, RTX groups and the certificate fingerprint check; repeatable.
    #[arg(long = "sdp", value_name = "FILE")]
    sdp: Vec<String>,
    #[command(flatten)]
    keys: loader::KeyArgs,
    /// Flows held at once; beyond it the flow used least recently is evicted (the report
    /// says how many).
    #[arg(long, value_name = "N", default_value_t = rtcscope_analysis::DEFAULT_MAX_FLOWS as u64,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    max_flows: u64,
    /// RTP streams held at once; beyond it the stream used least recently is evicted.
    #[arg(long, value_name = "N", default_value_t = rtcscope_analysis::streams::MAX_STREAMS as u64,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    max_streams: u64,
    /// Memory budget of the engine's tables in MiB: scales every cap to fit (instead of
    /// --max-flows and --max-streams); the default caps hold at most about 309 MB.
    #[arg(long, value_name = "MIB", conflicts_with_all = ["max_flows", "max_streams"],
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    memory: Option<u64>,
    /// Threads for a capture file: 1 reads and analyses on one thread; 2 reads and decodes
    /// the records on one thread and runs the analysis on another (the report is the same).
    /// By default 2 for a file of at least 64 MiB when two CPUs are available, else 1
    /// (standard input: 1 unless told). Live capture (-i) runs on one thread.
    #[arg(long, value_name = "N", conflicts_with = "interface",
          value_parser = clap::value_parser!(u64).range(1..=2))]
    threads: Option<u64>,
}

/// Files from this size on are read on a second thread by default ([`AnalyzeArgs::threads`]).
/// Below it a run takes about 0.2 s or less (300–400 MB/s on one thread), so the most a
/// second thread could save there, at most a fifth of the run (the reader's share of the
/// work, docs/benchmarks.md "Two cores"), is tens of milliseconds, within the noise of
/// starting the process.
pub const PIPELINE_FROM_BYTES: u64 = 64 << 20;

/// Whether to read `path` on a second thread: `--threads` when given; otherwise a file of at
/// least [`PIPELINE_FROM_BYTES`] with two CPUs to run on (`taskset -c 0` leaves one).
fn two_threads(threads: Option<u64>, path: &str) -> bool {
    match threads {
        Some(n) => n >= 2,
        None => {
            path != "-"
                && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
                && std::fs::metadata(path)
                    .is_ok_and(|m| m.is_file() && m.len() >= PIPELINE_FROM_BYTES)
        }
    }
}

/// A header-extension URI without its registry prefix (`sdes:mid`, `abs-send-time`).
fn short_uri(uri: &str) -> &str {
    [
        "urn:ietf:params:rtp-hdrext:",
        "http://www.webrtc.org/experiments/rtp-hdrext/",
        "http://www.ietf.org/id/draft-holmer-rmcat-",
    ]
    .iter()
    .find_map(|p| uri.strip_prefix(p))
    .unwrap_or(uri)
}

/// Runs `rtcscope analyze`.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    if args.list_interfaces {
        return list();
    }
    let config = match args.memory {
        // (The ranges above keep these conversions and the shift exact.)
        Some(mib) => Config::with_memory_budget((mib << 20) as usize),
        None => Config {
            max_flows: args.max_flows as usize,
            max_streams: args.max_streams as usize,
            ..Config::default()
        },
    };
    let mut engine = Engine::new(config);
    loader::apply_sdp(&mut engine, &args.sdp)?;
    engine.set_keys(args.keys.load(&args.sdp)?);
    // One packet source, whether a file, standard input or a live capture: the same record
    // limit (-c), damaged-record policy and drop counts.
    let (source, name, live) = match &args.interface {
        Some(iface) => {
            let ring = args.buffer_size.map_or(DEFAULT_BUFFER_BYTES, |m| m << 20);
            let cap = LiveCapture::open(iface, args.filter.as_deref(), 0, ring)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            (PacketSource::live(cap), iface.clone(), true)
        }
        None => {
            let path = args
                .read
                .as_deref()
                .or(args.file.as_deref())
                .context("give a capture file, -r FILE, -r - (standard input) or -i IFACE")?;
            let source = PacketSource::new(input::open(path)?)
                .with_context(|| format!("cannot read capture {path}"))?;
            (source, path.to_owned(), false)
        }
    };
    let mut source = source.with_limit(args.count);
    if live {
        capture(args, &name, &mut source, &mut engine)?;
    } else if two_threads(args.threads, &name) {
        pipeline::feed_file(&mut engine, &mut source, &name, pipeline::Batching::DEFAULT);
    } else {
        loader::feed_file(&mut engine, &mut source, &name);
    }
    // The input has ended (file or live capture): TCP gaps still open are declared lost and
    // the bytes held after them analysed.
    engine.finish();
    let skipped = source.skipped();
    let problem = source.fatal().map(|e| format!("{name}: {e}"));
    if let Some(d) = source.dropped() {
        engine.set_capture_drops(d);
    }
    // The engine is done: the report takes its streams rather than copying them.
    let report = Report::from_engine(engine);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if args.json {
        json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(render(&report, args.all_flows).as_bytes())?;
    }
    out.flush()?;
    if skipped > 0 {
        eprintln!("rtcscope: {skipped} damaged record(s) skipped; the report covers the rest");
    }
    if let Some(p) = &problem {
        eprintln!("rtcscope: {p} (the report covers everything before it)");
    }
    Ok(if problem.is_some() || skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The decryption section: per DTLS association, keys found or why not, what was decrypted,
/// failures with their reason, and the data-channel messages; then the SDES keys. Never a key.
fn render_decryption(s: &mut String, r: &Report) {
    use rtcscope_analysis::decrypt::KeyStatus;
    let d = &r.decryption;
    if d.associations.is_empty() && d.sdes.is_none() {
        return;
    }
    let _ = writeln!(s, "\nDecryption:");
    if d.key_log.lines_used + d.key_log.malformed_lines > 0 {
        let _ = writeln!(
            s,
            "  key log: {} associations ({} lines used, {} ignored, {} malformed)",
            d.key_log.associations,
            d.key_log.lines_used,
            d.key_log.lines_ignored,
            d.key_log.malformed_lines
        );
        for e in &d.key_log.first_errors {
            let _ = writeln!(s, "     {}", Escaped(e));
        }
    }
    for a in &d.associations {
        let who = match a.client {
            Some(c) => format!("client {c} ⇄ {}", if c == a.a { a.b } else { a.a }),
            None => format!("{} ⇄ {}", a.a, a.b),
        };
        let relay = a
            .relay
            .map(|x| format!("[inside TURN #{x}] "))
            .unwrap_or_default();
        let keys = match &a.keys {
            KeyStatus::NoKeyLog => "no key log given (--keylog)".to_owned(),
            KeyStatus::Found => "keys found in the key log".to_owned(),
            KeyStatus::Missing(why) => format!("no keys: {why}"),
        };
        let _ = writeln!(
            s,
            "  {relay}DTLS {who} ({}): {}",
            a.transport,
            Escaped(&keys)
        );
        if a.application_data_decrypted {
            let _ = writeln!(
                s,
                "     {} records decrypted{}; {} application-data records ({}), {} of them SCTP",
                a.records_decrypted,
                a.version
                    .as_deref()
                    .map(|v| format!(
                        " ({}{})",
                        Escaped(v),
                        a.cipher_suite
                            .as_deref()
                            .map(|c| format!(", {}", Escaped(c)))
                            .unwrap_or_default()
                    ))
                    .unwrap_or_default(),
                a.application_data_records,
                bytes(a.application_data_bytes),
                a.application_data_sctp
            );
        } else if a.application_data_records > 0 {
            let _ = writeln!(
                s,
                "     {} application-data records inside DTLS (data channel, encrypted)",
                a.application_data_records
            );
        }
        if !a.key_updates.is_empty() {
            let updates: Vec<String> = a
                .key_updates
                .iter()
                .map(|k| {
                    format!(
                        "{} sent {} (its last record in epoch {})",
                        k.from, k.count, k.last_epoch
                    )
                })
                .collect();
            let _ = writeln!(s, "     key updates: {}", updates.join(", "));
        }
        for (why, n) in &a.record_failures.reasons {
            let _ = writeln!(s, "     {n} DTLS records failed: {}", Escaped(why));
        }
        if let Some(p) = &a.srtp_profile {
            let _ = writeln!(s, "     SRTP profile (srtpCipher): {}", Escaped(p));
        }
        let f = &a.srtp;
        if a.srtp_keys {
            let _ = writeln!(
                s,
                "     SRTP keys from the DTLS exporter: {} SRTP and {} SRTCP packets authenticated and decrypted, {} failed{}",
                f.rtp_decrypted,
                f.rtcp_decrypted,
                f.failures.count,
                if f.duplicates > 0 { format!(", {} duplicates", f.duplicates) } else { String::new() }
            );
        } else if let Some(why) = &a.srtp_missing {
            let _ = writeln!(s, "     no SRTP keys: {}", Escaped(why));
        }
        for (why, n) in &f.failures.reasons {
            let _ = writeln!(s, "     {n} packets refused (not used): {}", Escaped(why));
        }
        render_rtcp_figures(s, &f.rtcp);
        if a.messages_total > 0 {
            let _ = writeln!(s, "     data-channel messages: {}", a.messages_total);
        }
        for m in &a.messages {
            let content = match (&m.message.text, &m.message.hex) {
                (Some(t), _) => format!("{t:?}"),
                (None, Some(h)) => format!("hex {h}"),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "       {} {} → stream {}{} PPID {}, {} B: {}{}",
                time_utc(m.message.at_ns),
                m.message.from,
                m.message.stream,
                m.label
                    .as_deref()
                    .map(|l| format!(" {l:?}"))
                    .unwrap_or_default(),
                m.message.ppid,
                m.message.len,
                content,
                if m.message.truncated { " …" } else { "" }
            );
        }
        if !a.alerts.is_empty() {
            let _ = writeln!(s, "     alerts: {}", Escaped(&a.alerts.join("; ")));
        }
    }
    if d.associations_beyond_cap > 0 {
        let _ = writeln!(
            s,
            "  {} DTLS datagrams of associations beyond the cap of {} (not decrypted)",
            d.associations_beyond_cap,
            rtcscope_analysis::decrypt::MAX_ASSOCIATIONS
        );
    }
    if let Some(sd) = &d.sdes {
        let _ = writeln!(
            s,
            "  SDES / --srtp-key: {} SRTP and {} SRTCP packets authenticated and decrypted, {} failed",
            sd.srtp.rtp_decrypted, sd.srtp.rtcp_decrypted, sd.srtp.failures.count
        );
        for (k, n) in &sd.keys {
            let _ = writeln!(
                s,
                "     {} ({}, {}, {}+{} bytes): {n} packets",
                Escaped(&k.source),
                k.profile,
                k.scope,
                k.key_len,
                k.salt_len
            );
        }
        for (why, n) in &sd.srtp.failures.reasons {
            let _ = writeln!(s, "     {n} packets refused (not used): {}", Escaped(why));
        }
        render_rtcp_figures(s, &sd.srtp.rtcp);
    }
}

/// What decrypted RTCP held: report and feedback counts, CNAMEs.
fn render_rtcp_figures(s: &mut String, r: &rtcscope_analysis::decrypt::RtcpFigures) {
    if r.sender_reports + r.receiver_reports + r.sdes + r.transport_cc + r.other_feedback == 0
        && r.feedback.is_empty()
    {
        return;
    }
    let mut parts = vec![
        format!("{} SR", r.sender_reports),
        format!("{} RR", r.receiver_reports),
        format!("{} SDES", r.sdes),
        format!("{} BYE", r.bye),
    ];
    if r.transport_cc > 0 {
        parts.push(format!(
            "{} transport-cc ({} packets reported, {} received)",
            r.transport_cc, r.transport_cc_packets, r.transport_cc_received
        ));
    }
    if r.remb > 0 {
        parts.push(format!(
            "{} REMB (last {})",
            r.remb,
            r.remb_last_bps.map(bitrate).unwrap_or_default()
        ));
    }
    for (n, what) in [(r.ccfb, "RFC 8888 feedback"), (r.xr, "XR"), (r.app, "APP")] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if r.other_feedback > 0 {
        parts.push(format!("{} other feedback", r.other_feedback));
    }
    let _ = writeln!(s, "     decrypted RTCP: {}", parts.join(", "));
    // The receive rate the transport-cc feedback shows (sizes of the packets it reports, by
    // transport-wide number, over the receiver's arrival times), beside the capture's own.
    for rr in &r.receive_rate {
        let mut line = format!("     receive rate {} → {} (transport-cc): ", rr.from, rr.to);
        match (rr.mean_bps, rr.min_bps, rr.max_bps) {
            (Some(mean), Some(min), Some(max)) => line.push_str(&format!(
                "mean {} (per feedback {} to {}) over {:.1} s of arrivals",
                bitrate(mean),
                bitrate(min),
                bitrate(max),
                rr.span_us as f64 / 1e6
            )),
            _ => line.push_str("no span to measure"),
        }
        line.push_str(&format!(
            ", {} packets reported received ({} of unknown size)",
            rr.packets_received, rr.unknown_size
        ));
        if rr.malformed > 0 {
            line.push_str(&format!(", {} malformed feedback", rr.malformed));
        }
        if let Some(sent) = rr.sent_bps {
            line.push_str(&format!("; capture: {} sent", bitrate(sent)));
        }
        let _ = writeln!(s, "{line}");
    }
    let fb: Vec<String> = r
        .feedback
        .iter()
        .map(|f| {
            format!(
                "{:#010x}: {} NACK ({} sequences), {} PLI, {} FIR",
                f.media_ssrc, f.nack_packets, f.nacked_sequences, f.pli, f.fir
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "     NACK/PLI/FIR: {}",
        if fb.is_empty() {
            "none".to_owned()
        } else {
            fb.join("; ")
        }
    );
    if !r.cnames.is_empty() {
        let names: Vec<String> = r
            .cnames
            .iter()
            .map(|(ssrc, c)| format!("{ssrc:#010x} {}", Escaped(c)))
            .collect();
        let _ = writeln!(s, "     CNAME: {}", names.join(", "));
    }
}

fn list() -> anyhow::Result<ExitCode> {
    let ifaces = list_interfaces().map_err(|e| anyhow::anyhow!("{e}"))?;
    for (n, i) in ifaces.iter().enumerate() {
        let addrs: Vec<String> = i.addresses.iter().map(ToString::to_string).collect();
        println!(
            "{}. {}{}{}{}",
            n + 1,
            i.name,
            i.description
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default(),
            if addrs.is_empty() {
                String::new()
            } else {
                format!(" [{}]", addrs.join(", "))
            },
            if i.up { "" } else { " (down)" },
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Feeds a live capture to the engine until Ctrl-C, `-a duration:S` or `-c N`, printing a
/// summary every `--interval` and saving the packets with `-w`.
fn capture(
    args: &AnalyzeArgs,
    iface: &str,
    source: &mut PacketSource<'_>,
    engine: &mut Engine,
) -> anyhow::Result<()> {
    let stop_after = args.autostop;
    let stop = Arc::new(AtomicBool::new(false));
    {
        // The first Ctrl-C (or SIGTERM, SIGHUP) stops the capture after the packet at hand and
        // prints the report; a second one ends the process at once, as tcpdump and tshark do,
        // whatever the engine is doing.
        let stop = stop.clone();
        ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                eprintln!("rtcscope: interrupted again; exiting without the report");
                std::process::exit(130);
            }
        })
        .context("installing the Ctrl-C handler")?;
    }
    let mut writer = match &args.write {
        Some(path) => {
            let f = std::fs::File::create(path).with_context(|| format!("cannot create {path}"))?;
            let mut w = PcapNgWriter::new(std::io::BufWriter::new(f))?;
            let link = source
                .live_capture()
                .map_or(rtcscope_capture::LinkType::ETHERNET, |c| c.link_type());
            w.add_interface(link, 0, iface)?;
            Some(w)
        }
        None => None,
    };
    eprintln!(
        "rtcscope: capturing on {iface}{}; Ctrl-C for the report",
        args.filter
            .as_deref()
            .map(|f| format!(" (filter: {f})"))
            .unwrap_or_default()
    );
    let started = Instant::now();
    let mut last_tick = Instant::now();
    let mut last_ts = 0i128;
    // Findings already printed, by (id, when): each is said once, as it appears. Bounded: past
    // the cap, new findings still reach the final report.
    const SAID_CAP: usize = 1024;
    let mut said: Vec<(&'static str, Option<i64>)> = Vec::new();
    while !stop.load(Ordering::SeqCst) && stop_after.is_none_or(|d| started.elapsed() < d) {
        match source.next() {
            Next::Packet(p) => {
                last_ts = p.ts_nanos;
                engine.feed_packet(&p);
                if let Some(w) = writer.as_mut() {
                    w.write_packet(0, p.ts_nanos, p.data, p.orig_len)?;
                }
            }
            // Nothing arrived: time still passes for the sessions (idle, consent, findings).
            Next::Idle => engine.advance_clock(rtcscope_capture::live::clock_ns()),
            Next::End => break,
        }
        if !args.interval.is_zero() && last_tick.elapsed() >= args.interval {
            last_tick = Instant::now();
            let drops = source.refresh_stats();
            let c = engine.counters();
            let r = Report::new(engine);
            eprintln!(
                "[{:>6.1}s] {} packets, {} ICE sessions, {} TURN allocations, {} WebRTC flows{}",
                started.elapsed().as_secs_f64(),
                c.packets,
                r.ice_sessions.len(),
                r.turn_allocations.len(),
                r.flows.iter().filter(|f| is_webrtc(f)).count(),
                drops
                    .map(|d| format!(", kernel dropped {}", d.dropped + d.if_dropped))
                    .unwrap_or_default()
            );
            // Findings as they appear: the moment a call fails is when the user needs to know.
            for f in &r.findings {
                let key = (f.id, f.at_ns);
                if said.len() < SAID_CAP && !said.contains(&key) {
                    said.push(key);
                    eprintln!(
                        "[{:>6.1}s] {} {}: {}",
                        started.elapsed().as_secs_f64(),
                        f.severity.name(),
                        f.id,
                        Escaped(&f.verdict)
                    );
                }
            }
        }
    }
    let stats = source.refresh_stats();
    if let Some(mut w) = writer {
        if let Some(stats) = stats {
            w.write_stats(
                0,
                last_ts,
                InterfaceStats {
                    received: stats.received,
                    if_dropped: stats.if_dropped,
                    os_dropped: stats.dropped,
                },
            )?;
        }
        w.finish()?.flush()?;
    }
    Ok(())
}

fn is_webrtc(f: &rtcscope_analysis::report::FlowReport) -> bool {
    // The engine's one definition (report, diagnosis and the TUI use it too).
    f.counts.is_webrtc()
}

/// `[relay path #0, counted on TURN #3] ` for an item inside a relay path, `[inside TURN #3] `
/// for one outside any path, nothing when not relayed.
fn relay_tag(relay: Option<u32>, counted: Option<rtcscope_analysis::relay::CountedOn>) -> String {
    match (relay, counted) {
        (_, Some(c)) => format!(
            "[relay path #{}, counted on TURN #{}] ",
            c.path, c.allocation
        ),
        (Some(r), None) => format!("[inside TURN #{r}] "),
        (None, None) => String::new(),
    }
}

/// A flow's relay: `[relay path #0: TURN #3 ⇄ TURN #0] ` (every leg that carried it).
fn flow_relay_tag(r: &Report, f: &rtcscope_analysis::report::FlowReport) -> String {
    let Some(alloc) = f.relay else {
        return String::new();
    };
    match r
        .relay_paths
        .iter()
        .find(|p| p.allocation == alloc && p.a == f.a && p.b == f.b)
    {
        Some(p) => {
            let legs: Vec<String> = p
                .legs
                .iter()
                .map(|l| format!("TURN #{}", l.allocation))
                .collect();
            format!("[relay path #{}: {}] ", p.id, legs.join(" ⇄ "))
        }
        None => format!("[inside TURN #{alloc}] "),
    }
}

/// Relay paths: each relayed association once, its legs and what the relay did between them.
fn render_relay_paths(s: &mut String, r: &Report) {
    if r.relay_paths.is_empty() {
        return;
    }
    let _ = writeln!(s, "\nRelay paths: {}", r.relay_paths.len());
    for p in &r.relay_paths {
        let _ = writeln!(
            s,
            "  #{} {} ⇄ {} ({}): {}",
            p.id,
            p.a,
            p.b,
            p.transport,
            if p.legs_seen == "both" {
                "both legs seen, each datagram counted once"
            } else {
                "one leg seen"
            }
        );
        for l in &p.legs {
            let _ = writeln!(
                s,
                "     leg TURN #{}: client {}{} ⇄ server {} ({}), relayed {} → peer {}: {}/{} packets",
                l.allocation,
                l.client,
                match l.mapped {
                    Some(m) if m == l.client => " (as the server sees it)".to_owned(),
                    Some(m) => format!(" (the server sees {m})"),
                    None => String::new(),
                },
                l.server,
                l.transport,
                l.relayed.map_or_else(|| "?".to_owned(), |x| x.to_string()),
                l.peer,
                l.packets[0],
                l.packets[1]
            );
        }
        for d in &p.directions {
            if d.counted == 0 {
                continue;
            }
            let on = d
                .ingress
                .map(|a| format!(" on TURN #{a}"))
                .unwrap_or_default();
            let mut line = format!("     {} → {}: {} counted{on}", d.from, d.to, d.counted);
            match (d.egress, d.lost_between_legs) {
                (Some(e), Some(lost)) => {
                    let _ = write!(
                        line,
                        ", {} seen again on TURN #{e}, {lost} lost between the legs",
                        d.matched
                    );
                }
                _ => line.push_str(" (loss and delay between the legs need both legs)"),
            }
            if d.duplicated > 0 {
                let _ = write!(line, ", {} duplicated", d.duplicated);
            }
            if d.egress_only > 0 {
                let _ = write!(line, ", {} only on the egress leg", d.egress_only);
            }
            if d.window_overflow > 0 {
                let _ = write!(line, ", {} not judged (window full)", d.window_overflow);
            }
            if let Some(x) = d.delay_us {
                let _ = write!(
                    line,
                    "; relay delay min/median/max {}/{}/{} ms",
                    ms3(x.min),
                    ms3(x.median),
                    ms3(x.max)
                );
            }
            let _ = writeln!(s, "{line}");
        }
    }
}

fn ms3(us: i64) -> String {
    format!("{:.3}", us as f64 / 1000.0)
}

fn ms(us: i64) -> String {
    format!("{:.1}", us as f64 / 1000.0)
}

fn pair_line(p: &PairReport, relays: &[rtcscope_analysis::turn::Allocation]) -> String {
    let via = p
        .relay
        .and_then(|r| relays.get(r as usize))
        .map(|a| format!(" via TURN {}", a.server))
        .unwrap_or_default();
    let rtt = p
        .rtt_us
        .map(|r| format!("{}/{}/{} ms", ms(r.min), ms(r.mean), ms(r.max)))
        .unwrap_or_else(|| "-".into());
    let errors: Vec<String> = p.errors.iter().map(|(c, n)| format!("{c}×{n}")).collect();
    format!(
        "{:>21} → {:<21} {:<8} {:<15} {:<11} {:>4} {:>4} {:>4} {:>22} {}{}{}{}",
        p.local.to_string(),
        p.remote.to_string(),
        p.path,
        Escaped(&format!("{}/{}", p.local_type, p.remote_type)).to_string(),
        p.state,
        p.requests,
        p.responses,
        p.retransmissions,
        rtt,
        if p.nominated { "nominated " } else { "" },
        if p.consent_checks > 0 {
            format!("consent×{} ", p.consent_checks)
        } else {
            String::new()
        },
        if errors.is_empty() {
            String::new()
        } else {
            format!("errors {} ", errors.join(","))
        },
        via,
    )
}

/// Renders the text report.
/// The findings (why the call failed or degraded), worst first, each with its evidence and
/// what to do; at the top of the report, since they are what a reader came for.
fn render_findings(s: &mut String, r: &Report) {
    use rtcscope_analysis::diagnosis::Severity;
    let n = |sev| r.findings.iter().filter(|f| f.severity == sev).count();
    if r.findings.is_empty() {
        let _ = writeln!(s, "\nFindings: none");
        return;
    }
    let parts: Vec<String> = [
        (n(Severity::Failure), "failure"),
        (n(Severity::Degraded), "degraded"),
        (n(Severity::Notice), "notice"),
    ]
    .iter()
    .filter(|(k, _)| *k > 0)
    .map(|(k, w)| format!("{k} {w}"))
    .collect();
    let _ = writeln!(s, "\nFindings: {}", parts.join(", "));
    let start = r.start_ns.unwrap_or(0);
    let rel = |t: i64| format!("+{:.3} s", t.saturating_sub(start) as f64 / 1e9);
    for f in &r.findings {
        let _ = writeln!(
            s,
            "  {:<8} {:<11} {}",
            f.severity.name(),
            f.at_ns.map(rel).unwrap_or_default(),
            f.id
        );
        let _ = writeln!(s, "           {}", Escaped(&f.verdict));
        for e in &f.evidence {
            let mut place = e.at_ns.map(rel).unwrap_or_default();
            if let Some(p) = e.packet {
                if !place.is_empty() {
                    place.push(' ');
                }
                let _ = write!(place, "packet {p}");
            }
            let _ = writeln!(
                s,
                "           evidence: {}{}{}",
                place,
                if place.is_empty() { "" } else { "  " },
                Escaped(&e.what)
            );
        }
        let _ = writeln!(s, "           what to do: {}", Escaped(&f.advice));
    }
}

/// The text report.
pub fn render(r: &Report, all_flows: bool) -> String {
    let mut s = String::new();
    let c = &r.counters;
    let span = match (r.start_ns, r.end_ns) {
        (Some(a), Some(b)) => format!(
            "{}, from {} to {}",
            duration_ns(b - a),
            time_utc(a),
            time_utc(b)
        ),
        _ => "empty".into(),
    };
    let _ = writeln!(
        s,
        "Capture: {} packets, {}, {span}",
        c.packets,
        bytes(c.bytes)
    );
    let mut notes = Vec::new();
    match c.capture_drops {
        Some(0) => notes.push("no packets dropped by the capture".to_owned()),
        Some(d) => notes.push(format!(
            "{d} packets dropped by the capture (losses below may be the capture's, not the network's)"
        )),
        None => {}
    }
    if c.damaged > 0 {
        notes.push(format!("{} damaged packets (listed at the end)", c.damaged));
    }
    if c.cut > 0 {
        notes.push(format!("{} packets cut by the snapshot length", c.cut));
    }
    if c.fragments > 0 {
        notes.push(format!(
            "{} IP fragments, {} datagrams reassembled",
            c.fragments, c.reassembled
        ));
    }
    if let Some(first) = c.first_clock_anomaly {
        notes.push(format!(
            "timestamps out of order: {} packets stamped over 1 s before a packet ahead of \
             them, {} over a day after (the first: packet {first}); the capture's clock jumped \
             or the timestamps are damaged, and the span above counts them",
            c.clock_back, c.clock_leaps
        ));
    }
    if !notes.is_empty() {
        let _ = writeln!(s, "         {}", notes.join("; "));
    }
    let o = &r.over_limits;
    if o.any() {
        // Whatever a cap dropped is said here, not only in the JSON.
        let parts: Vec<String> = [
            (o.flows, "flows evicted (--max-flows)"),
            (o.rtp_streams, "RTP streams evicted (--max-streams)"),
            (o.transactions, "STUN transactions forgotten unanswered"),
            (o.ice_sessions, "ICE checks of untracked sessions"),
            (o.ice_pairs, "ICE checks of untracked pairs"),
            (o.turn_allocations, "TURN requests of untracked allocations"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        let _ = writeln!(
            s,
            "Limits:  the capture outgrew the engine's caps: {}; their packets still count \
             above (--memory raises every cap)",
            parts.join(", ")
        );
    }

    render_findings(&mut s, r);

    let _ = writeln!(s, "\nICE sessions: {}", r.ice_sessions.len());
    for sess in &r.ice_sessions {
        let _ = writeln!(
            s,
            "  Session {} (ufrags {} / {}): {}, {} → {}{}",
            sess.id,
            Escaped(&sess.ufrags.0),
            Escaped(&sess.ufrags.1),
            count(sess.pairs.len() as u64, "pair", "pairs"),
            time_utc(sess.first_ns),
            time_utc(sess.last_ns),
            if sess.role_conflicts > 0 {
                format!(
                    ", {} (487)",
                    count(sess.role_conflicts, "role conflict", "role conflicts")
                )
            } else {
                String::new()
            }
        );
        for sel in &sess.selected {
            if let Some(p) = sess.pairs.iter().find(|p| p.id == sel.pair) {
                let _ = writeln!(
                    s,
                    "    selected by {}{}: {} {} → {} {} ({}{}{})",
                    Escaped(&sel.ufrag),
                    sel.role.map(|r| format!(" ({r})")).unwrap_or_default(),
                    p.local,
                    Escaped(&p.local_type.to_string()),
                    p.remote,
                    Escaped(&p.remote_type.to_string()),
                    p.path,
                    if sel.consent_checks > 0 {
                        format!(", {} consent checks", sel.consent_checks)
                    } else {
                        String::new()
                    },
                    p.succeeded_ns
                        .map(|t| format!(", connected after {}", duration_ns(t - sess.first_ns)))
                        .unwrap_or_default()
                );
            }
        }
        let _ = writeln!(
            s,
            "    {:>21}   {:<21} {:<8} {:<15} {:<11} {:>4} {:>4} {:>4} {:>22}",
            "local (requester)",
            "remote",
            "path",
            "types",
            "state",
            "req",
            "resp",
            "retx",
            "RTT min/mean/max"
        );
        for p in &sess.pairs {
            let _ = writeln!(s, "    {}", pair_line(p, &r.turn_allocations));
        }
    }
    if !r.reflexive.is_empty() {
        let _ = writeln!(s, "\nServer-reflexive addresses (STUN Binding):");
        for x in &r.reflexive {
            let _ = writeln!(s, "  {} is {} as seen by {}", x.local, x.mapped, x.server);
        }
    }
    if !r.nat.is_empty() {
        let _ = writeln!(
            s,
            "\nNAT behaviour (inferred from the mappings servers and peers reported):"
        );
        for n in &r.nat {
            let public: Vec<String> = n.public.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                s,
                "  {} ({}, public {}): mapping {}, {} confidence",
                n.host,
                match n.view {
                    rtcscope_analysis::nat::View::Inside => "captured inside its NAT",
                    rtcscope_analysis::nat::View::Outside => "servers saw it as captured",
                },
                public.join(", "),
                n.mapping.describe(),
                match n.confidence {
                    rtcscope_analysis::nat::Confidence::High => "high",
                    rtcscope_analysis::nat::Confidence::Medium => "medium",
                    rtcscope_analysis::nat::Confidence::Low => "low",
                },
            );
            let _ = writeln!(s, "     {}", n.explanation);
            if let Some(words) = port_allocation_words(n.port_allocation) {
                let _ = writeln!(s, "     ports: {words}");
            }
        }
    }
    let _ = writeln!(s, "\nTURN allocations: {}", r.turn_allocations.len());
    for a in &r.turn_allocations {
        let state = a.state_words();
        let _ = writeln!(
            s,
            "  #{} {} → {} ({}): {state}{}{}{}",
            a.id,
            a.client,
            a.server,
            a.transport,
            a.relayed
                .map(|x| format!(", relayed {x}"))
                .unwrap_or_default(),
            a.lifetime_s
                .map(|l| format!(", lifetime {l} s"))
                .unwrap_or_default(),
            a.username
                .as_deref()
                .map(|u| format!(", user {}", Escaped(u)))
                .unwrap_or_default(),
        );
        let mut detail = vec![count(
            a.allocate_requests,
            "Allocate request",
            "Allocate requests",
        )];
        if a.refreshes > 0 {
            detail.push(count(a.refreshes, "refresh", "refreshes"));
        }
        if !a.permissions.is_empty() {
            detail.push(count(
                a.permissions.len() as u64,
                "permission",
                "permissions",
            ));
        }
        if a.send_indications + a.data_indications > 0 {
            detail.push(format!(
                "{} Send / {} Data indications",
                a.send_indications, a.data_indications
            ));
        }
        let _ = writeln!(s, "     {}", detail.join(", "));
        for ch in &a.channels {
            let _ = writeln!(
                s,
                "     channel 0x{:04x} → {}: {}",
                ch.channel,
                ch.peer,
                count(ch.messages, "message", "messages")
            );
        }
        for e in &a.errors {
            let note = match (e.code, e.after_credentials) {
                (401, false) => " (the expected long-term-credential challenge)",
                (401, true) => " (to a request with credentials: they were refused)",
                (438, _) => " (stale nonce: the client retries with the new one)",
                _ => "",
            };
            let _ = writeln!(
                s,
                "     {} error {} {}{note} (packet {})",
                Escaped(&e.method),
                e.code,
                Escaped(&e.reason),
                e.packet,
            );
        }
        for x in &a.elsewhere {
            let _ = writeln!(
                s,
                "     {} response from {} to {}: on another 5-tuple than its request, matched by transaction id",
                Escaped(&x.method),
                x.from,
                x.to
            );
        }
    }
    render_relay_paths(&mut s, r);
    let _ = writeln!(s, "\nDTLS: {}", r.dtls.len());
    for d in &r.dtls {
        use rtcscope_analysis::dtls::{CertView, FingerprintCheck, SeenText};
        let who = match (d.client, d.server) {
            (Some(c), Some(sv)) => format!("client {c} → server {sv}"),
            _ => format!("{} ⇄ {}", d.a, d.b),
        };
        let _ = writeln!(
            s,
            "  {}{who}: {}{}{}",
            relay_tag(d.relay, d.counted_on),
            Escaped(d.version.as_deref().unwrap_or("version not seen")),
            d.cipher_suite
                .as_deref()
                .map(|c| format!(", {}", Escaped(c)))
                .unwrap_or_default(),
            d.duration_ms
                .map(|ms| format!(
                    ", handshake {ms:.1} ms{}",
                    d.done_by.map(|b| format!(" ({b})")).unwrap_or_default()
                ))
                .unwrap_or_else(|| ", handshake not completed in the capture".into()),
        );
        let srtp = match &d.srtp_profile {
            SeenText::Clear(p) => p.clone(),
            SeenText::Encrypted => format!(
                "encrypted (DTLS 1.3 hides the choice; offered: {})",
                d.offered_srtp_profiles.join(", ")
            ),
            SeenText::NotSeen if d.offered_srtp_profiles.is_empty() => "none offered".into(),
            SeenText::NotSeen => {
                format!("not seen (offered: {})", d.offered_srtp_profiles.join(", "))
            }
        };
        let _ = writeln!(s, "     SRTP profile: {}", Escaped(&srtp));
        let cert = |v: &CertView| match v {
            CertView::Clear(list) => list
                .first()
                .map(|c| c.sha256.clone())
                .unwrap_or_else(|| "empty certificate list".into()),
            CertView::Encrypted => "encrypted (DTLS 1.3)".into(),
            CertView::NotSeen => "not seen".into(),
        };
        let _ = writeln!(
            s,
            "     client certificate: {}",
            Escaped(&cert(&d.client_certificates))
        );
        let _ = writeln!(
            s,
            "     server certificate: {}",
            Escaped(&cert(&d.server_certificates))
        );
        let check = match d.fingerprint_check {
            FingerprintCheck::NoSdp => "no SDP given (--sdp)",
            FingerprintCheck::Match => "both certificates match the SDP's a=fingerprint",
            FingerprintCheck::Mismatch => "MISMATCH with the SDP's a=fingerprint",
            FingerprintCheck::Encrypted => "not checkable: certificates are encrypted in DTLS 1.3",
            FingerprintCheck::NotSeen => "certificates not in the capture",
        };
        let _ = writeln!(s, "     fingerprint check: {check}");
        let mut extra = Vec::new();
        if d.hello_verify_request {
            extra.push("cookie exchange (HelloVerifyRequest)".to_owned());
        }
        if d.hello_retry_request {
            extra.push("HelloRetryRequest".to_owned());
        }
        if d.handshake_retransmissions > 0 {
            extra.push(format!(
                "{} handshake retransmissions",
                d.handshake_retransmissions
            ));
        }
        if !d.alerts.is_empty() {
            extra.push(format!("alerts: {}", d.alerts.join("; ")));
        }
        if !extra.is_empty() {
            // Alert descriptions come from the wire.
            let _ = writeln!(s, "     {}", Escaped(&extra.join(", ")));
        }
        let steps: Vec<String> = d
            .timeline
            .iter()
            .take(14)
            .map(|e| {
                let t0 = d.client_hello_ns.unwrap_or(d.first_ns);
                format!(
                    "{:+.1}ms {} {}",
                    (e.at_ns - t0) as f64 / 1e6,
                    if Some(e.from) == d.client { "C" } else { "S" },
                    Escaped(&e.what)
                )
            })
            .collect();
        let _ = writeln!(s, "     timeline: {}", steps.join(" | "));
    }

    render_decryption(&mut s, r);
    if !r.data_channels.is_empty() {
        let _ = writeln!(s, "\nData channels (SCTP in clear or decrypted):");
        for a in &r.data_channels {
            let _ = writeln!(
                s,
                "  {}SCTP {} ⇄ {}: {}/{} packets, {}{}",
                a.relay
                    .map(|x| format!("[inside TURN #{x}] "))
                    .unwrap_or_default(),
                a.a,
                a.b,
                a.packets[0],
                a.packets[1],
                a.state,
                if a.bad_checksums > 0 {
                    format!(", {} bad checksums", a.bad_checksums)
                } else {
                    String::new()
                }
            );
            // What each receiver's SACKs said: TSNs missing (gap blocks), received twice,
            // and the chunks sent again.
            let side = |i: usize| {
                let k = &a.sacks[i];
                format!(
                    "{} SACK{} ({} with gaps, {} gap block{}, {} duplicate TSN{}), {} chunk{} retransmitted",
                    k.sacks,
                    if k.sacks == 1 { "" } else { "s" },
                    k.with_gaps,
                    k.gap_blocks,
                    if k.gap_blocks == 1 { "" } else { "s" },
                    k.duplicate_tsns,
                    if k.duplicate_tsns == 1 { "" } else { "s" },
                    a.retransmitted_chunks[i],
                    if a.retransmitted_chunks[i] == 1 { "" } else { "s" },
                )
            };
            let _ = writeln!(s, "     from {}: {}", a.a, side(0));
            let _ = writeln!(s, "     from {}: {}", a.b, side(1));
            for c in &a.channels {
                let msgs: Vec<String> = c
                    .messages
                    .iter()
                    .map(|(ppid, n)| format!("{n}×PPID {ppid}"))
                    .collect();
                // Label and protocol are quoted by Debug, which escapes controls and bidi
                // overrides as rtcscope_wire::text does.
                let _ = writeln!(
                    s,
                    "     stream {} {:?}{} ({}, {}): {}, {} bytes",
                    c.stream,
                    c.label,
                    if c.protocol.is_empty() {
                        String::new()
                    } else {
                        format!(" protocol {:?}", c.protocol)
                    },
                    Escaped(&c.channel_type),
                    if c.acked {
                        "acknowledged"
                    } else {
                        "not acknowledged"
                    },
                    if msgs.is_empty() {
                        "no messages".to_owned()
                    } else {
                        msgs.join(", ")
                    },
                    c.bytes
                );
            }
        }
    }

    let _ = writeln!(s, "\nRTP streams: {}", r.streams.len());
    if !r.streams.is_empty() {
        let _ = writeln!(
            s,
            "  {:>10}  {:<45} {:<7} {:<27} {:>7} {:>6} {:>5} {:>5} {:>9} {:>10} {:>10}  notes",
            "SSRC",
            "sender → receiver",
            "kind",
            "codec",
            "packets",
            "lost",
            "dup",
            "late",
            "jitter",
            "payload",
            "rate"
        );
        let _ = writeln!(
            s,
            "  (payload: RTP payload bytes as getStats bytesSent counts them, without header, \
             padding or SRTP tag; rate: that payload over the stream's life)"
        );
    }
    for st in &r.streams {
        // The engine's label: RED and RTX name the codec inside and how it is known.
        let codec = Escaped(&st.codec_label).to_string();
        let mut notes = Vec::new();
        match (st.relay, st.counted_on) {
            (_, Some(c)) => notes.push(format!(
                "relay path #{}, counted on TURN #{} ({}'s leg)",
                c.path,
                c.allocation,
                c.leg.as_str()
            )),
            (Some(r), None) => notes.push(format!("inside TURN #{r}")),
            (None, None) => {}
        }
        // MID and RID come from RTP header extensions, the codec from an SDP.
        if let Some(m) = &st.mid {
            notes.push(format!("mid {}", Escaped(m)));
        }
        if let Some(rid) = &st.rid {
            notes.push(format!("rid {}", Escaped(rid)));
        }
        if let Some(why) = st.rtx_reason {
            notes.push(match st.rtx_of {
                Some(m) => format!("RTX of 0x{m:08x} ({why})"),
                None => format!("RTX/padding? ({why})"),
            });
        }
        if st.rtx_payload > 0 || (st.rtx_reason.is_some() && st.padding_only > 0) {
            notes.push(format!(
                "{} retransmission{} (repairing a NACKed or missing packet), {} payload probe{}, \
                 {} padding-only",
                st.retransmissions,
                if st.retransmissions == 1 { "" } else { "s" },
                st.rtx_probes,
                if st.rtx_probes == 1 { "" } else { "s" },
                st.padding_only
            ));
        } else if st.padding_only > 0 {
            notes.push(format!("{} padding-only", st.padding_only));
        }
        if st.fec_packets > 0 {
            notes.push(format!(
                "{} FEC (ULPFEC/FlexFEC, not media)",
                st.fec_packets
            ));
        }
        if st.encrypted {
            notes.push(match (st.srtp_tag_len, st.srtp_tag_len_source) {
                (Some(t), Some(TagLenSource::Assumed)) => format!("SRTP (tag {t} B assumed)"),
                (Some(t), Some(TagLenSource::PaddingProbes)) => {
                    format!("SRTP (tag {t} B, from padding probes)")
                }
                (Some(t), _) => format!("SRTP (tag {t} B)"),
                _ => "SRTP".into(),
            });
        }
        if st.clock_source == Some(rtcscope_analysis::streams::ClockSource::Inferred) {
            notes.push("clock inferred".into());
        }
        if let Some(rr) = st.receiver_report {
            notes.push(format!(
                "RR: {:.1}% lost, {} cumulative",
                rr.fraction_lost * 100.0,
                rr.cumulative_lost
            ));
        }
        if let Some(rtt) = st.rtcp_rtt_ms {
            notes.push(format!("RTCP RTT {rtt:.1} ms"));
        }
        if st.loss_uncertain && st.lost() > 0 {
            notes.push("loss may be the capture's own".into());
        }
        let _ = writeln!(
            s,
            "  0x{:08x}  {:<45} {:<7} {:<27} {:>7} {:>6} {:>5} {:>5} {:>9} {:>10} {:>10}  {}",
            st.ssrc,
            format!("{} → {}", st.src, st.dst),
            format!("{:?}", st.kind).to_lowercase(),
            codec,
            st.packets,
            st.lost(),
            st.duplicates,
            st.reordered,
            st.jitter_ms
                .map(|j| format!("{j:.1} ms"))
                .unwrap_or_else(|| "-".into()),
            bytes(st.payload_bytes),
            bitrate(st.mean_payload_bps()),
            notes.join("; ")
        );
        if let Some(line) = frames_line(st) {
            let _ = writeln!(s, "              {line}");
        }
    }
    if !r.rtcp_senders.is_empty() {
        let list: Vec<String> = r
            .rtcp_senders
            .iter()
            .map(|x| match (x.clear, x.encrypted) {
                (c, 0) => format!("0x{:08x} {c}", x.ssrc),
                (0, e) => format!("0x{:08x} {e} SRTCP", x.ssrc),
                (c, e) => format!("0x{:08x} {c} + {e} SRTCP", x.ssrc),
            })
            .collect();
        let _ = writeln!(s, "  RTCP by sender: {}", list.join(", "));
    }
    if let Some(ids) = r.header_extensions.as_ref().filter(|i| !i.is_empty()) {
        // No SDP: what the packets show the header-extension ids to be (never assumed).
        let list: Vec<String> = ids
            .iter()
            .map(|i| match (i.uri, i.confidence) {
                (Some(u), Some(c)) => format!("{} {} ({c})", i.id, short_uri(u)),
                (Some(u), None) => format!("{} {}", i.id, short_uri(u)),
                (None, _) => format!("{} unknown ({})", i.id, i.evidence),
            })
            .collect();
        let _ = writeln!(
            s,
            "  Header extension ids (no SDP; inferred from the packets): {}",
            list.join(", ")
        );
    }
    let webrtc: Vec<_> = r.flows.iter().filter(|f| is_webrtc(f)).collect();
    let _ = writeln!(
        s,
        "\nFlows: {} carrying WebRTC protocols, {} other\n  (per direction; bytes of the UDP \
         or TCP payload, STUN included, where getStats' transport bytes leave STUN out)",
        webrtc.len(),
        r.flows.len() - webrtc.len()
    );
    for f in r.flows.iter().filter(|f| all_flows || is_webrtc(f)) {
        let cn = &f.counts;
        let mut protos = Vec::new();
        for (n, name) in [
            (cn.stun, "STUN"),
            (cn.classic_stun, "STUN(3489)"),
            (cn.channel_data, "ChannelData"),
            (cn.dtls, "DTLS"),
            (cn.rtp, "RTP"),
            (cn.rtcp, "RTCP"),
            (cn.sctp, "SCTP"),
            (cn.unknown, "other"),
        ] {
            if n > 0 {
                protos.push(format!("{name} {n}"));
            }
        }
        // Averages over at least one second: a three-packet exchange is not a bitrate.
        let dur = (f.last_ns - f.first_ns).max(1_000_000_000);
        let (pf, pr) = f.series.peak_bps();
        let _ = writeln!(
            s,
            "  {}{} {} ⇄ {}: {}/{} packets, {}/{}, avg {}/{}, peak {}/{}; {}",
            flow_relay_tag(r, f),
            f.transport,
            f.a,
            f.b,
            f.packets[0],
            f.packets[1],
            bytes(f.bytes[0]),
            bytes(f.bytes[1]),
            bitrate(f.bytes[0] * 8 * 1_000_000_000 / dur as u64),
            bitrate(f.bytes[1] * 8 * 1_000_000_000 / dur as u64),
            bitrate(pf),
            bitrate(pr),
            protos.join(", ")
        );
        // ICMP errors that quoted the flow's datagrams (a peer gone, a port closed).
        for e in &f.icmp_errors {
            let what = match (e.family, e.icmp_type, e.code) {
                ("icmp", 3, 3) | ("icmpv6", 1, 4) => "port unreachable".to_owned(),
                (fam, t, c) => format!("{fam} type {t} code {c}"),
            };
            let _ = writeln!(
                s,
                "    ICMP {what} ×{} for datagrams to {} (first in packet {}){}",
                e.count,
                e.unreachable,
                e.first_packet,
                if e.other_kinds > 0 {
                    format!(", {} of other kinds", e.other_kinds)
                } else {
                    String::new()
                }
            );
        }
    }
    if !r.damage.is_empty() {
        let _ = writeln!(s, "\nDamaged packets:");
        for d in &r.damage {
            let _ = writeln!(s, "  packet {}: {}", d.packet, Escaped(&d.what));
        }
        if c.damaged as usize > r.damage.len() {
            let _ = writeln!(s, "  … and {} more", c.damaged as usize - r.damage.len());
        }
    }
    s
}

/// The port-allocation pattern in words, when the capture showed one.
fn port_allocation_words(p: rtcscope_nat::report::PortAllocation) -> Option<String> {
    use rtcscope_nat::report::PortAllocation;
    match p {
        PortAllocation::Unknown => None,
        PortAllocation::Preserved => Some("preserved (public port = local port)".into()),
        PortAllocation::Sequential { delta } => Some(format!("sequential (step {delta})")),
        PortAllocation::Random => Some("random".into()),
    }
}

/// The video-frame line under a stream (frames.rs): frames, key frames, resolution, rate and
/// freezes, when its payloads were read; for encrypted video, that nothing is known.
fn frames_line(st: &rtcscope_analysis::streams::Stream) -> Option<String> {
    use rtcscope_analysis::streams::MediaKind;
    let Some(f) = &st.frames else {
        // Video that was not read, and why: nothing is ever guessed.
        if st.kind != MediaKind::Video || st.rtx_of.is_some() || st.rtx_reason.is_some() {
            return None;
        }
        let readable = st
            .codec
            .as_deref()
            .and_then(rtcscope_dissect::VideoCodec::from_encoding_name);
        return if st.encrypted {
            Some(
                "frames: not known (SRTP; --keylog, --sdp a=crypto or --srtp-key decrypts them)"
                    .to_owned(),
            )
        } else {
            match (&st.codec, readable) {
                (None, _) => Some(match st.codec_inference.as_ref() {
                    Some(i) if i.consistent.len() > 1 => format!(
                        "frames: not known (the payloads fit {}: the codec is not inferred; --sdp names it)",
                        i.consistent.join(" and ")
                    ),
                    _ => "frames: not known (the payload type's codec is not known; --sdp names it)"
                        .to_owned(),
                }),
                (Some(c), None) => Some(format!(
                    "frames: not read ({} payloads are not read; VP8, VP9, H264 and AV1 are)",
                    Escaped(c)
                )),
                (Some(_), Some(_)) => None,
            }
        };
    };
    let counts = format!(
        "{} ({} key, {} complete{})",
        f.frames,
        f.key_frames,
        f.complete_frames,
        if f.repaired_frames > 0 {
            format!(", {} only in RTX repairs", f.repaired_frames)
        } else {
            String::new()
        }
    );
    let mut out = format!("{} frames: {counts}", f.codec);
    if f.codec_inferred {
        let red = st
            .codec_inference
            .as_ref()
            .filter(|i| i.inside_red)
            .map(|i| match i.red_inner_payload_type {
                Some(pt) => format!(" inside RED, primary PT {pt}"),
                None => " inside RED".to_owned(),
            })
            .unwrap_or_default();
        out = format!(
            "{} frames{red} ({}): {counts}",
            f.codec,
            rtcscope_analysis::codec_inference::INFERRED_CODEC_NOTE,
        );
    }
    match f.resolution {
        Some(r) if f.resolution_changes > 0 => {
            let _ = write!(
                out,
                ", {}×{} ({} resolution change{})",
                r.width,
                r.height,
                f.resolution_changes,
                if f.resolution_changes == 1 { "" } else { "s" }
            );
        }
        Some(r) => {
            let _ = write!(out, ", {}×{}", r.width, r.height);
        }
        None => out.push_str(", resolution not seen"),
    }
    if let Some(fps) = f.frames_per_second {
        let _ = write!(out, ", {fps:.1} fps");
    }
    if f.freezes > 0 {
        let at: Vec<String> = f
            .freeze_list
            .iter()
            .take(5)
            .map(|z| {
                format!(
                    "{:.0} ms at +{:.1} s",
                    z.duration_ms,
                    (z.at_ns as f64 - st.first_ns as f64) / 1e9
                )
            })
            .collect();
        let _ = write!(
            out,
            "; {} freeze{} ({:.0} ms in all: {}{})",
            f.freezes,
            if f.freezes == 1 { "" } else { "s" },
            f.freeze_total_ms,
            at.join(", "),
            if f.freezes > 5 { ", …" } else { "" }
        );
    } else {
        out.push_str("; no freezes");
    }
    if f.unreadable_payloads > 0 {
        let _ = write!(out, "; {} unreadable payloads", f.unreadable_payloads);
    }
    Some(out)
}
