//! `rtcscope report FILE -o report.html`: the analysis as one self-contained HTML page
//! (tables and inline SVG plots, no network access; `rtcscope-report-html` draws it,
//! docs/report.md describes it).
//!
//! The capture is read exactly as `analyze` reads it (the shared [`crate::loader`]: the same
//! `--sdp` and `--keylog` handling, Decryption Secrets Blocks, damaged-record policy and
//! engine), so the page's embedded data block holds `analyze --json`'s report. A damaged
//! capture still gets its report, with a warning and exit status 1, as `analyze` does.

use crate::{input, loader};
use anyhow::Context as _;
use clap::Args;
use rtcscope_analysis::report::Report;
use rtcscope_analysis::{Config, Engine};
use rtcscope_capture::source::PacketSource;
use rtcscope_report_html::{stats, Provenance};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `rtcscope report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Capture file (pcap or pcapng); `-` reads standard input.
    #[arg(
        value_name = "FILE",
        required_unless_present = "read",
        conflicts_with = "read"
    )]
    file: Option<String>,
    /// Capture file to read (`-r -` for standard input), as for analyze.
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    read: Option<String>,
    /// Where to write the HTML report.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// An SDP offer or answer (raw, or a signalling JSON blob), as for analyze; its lint
    /// findings are shown too; repeatable.
    #[arg(long = "sdp", value_name = "FILE")]
    sdp: Vec<String>,
    #[command(flatten)]
    keys: loader::KeyArgs,
    /// The browser's own statistics: a Chromium webrtc-internals dump or an rtcstats dump
    /// (the rtcstats client's or rtcstats-server's JSON lines; both plotted on the capture's
    /// time axis), or a getStats() snapshot, a JSON array of stats objects (its RTP counters
    /// compared with the wire's).
    #[arg(long = "stats", value_name = "FILE")]
    stats: Option<String>,
}

/// Runs `rtcscope report`.
pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let file = args
        .file
        .as_deref()
        .or(args.read.as_deref())
        .context("give a capture file, -r FILE or -r - (standard input)")?;
    // Everything given beside the capture is read first: a bad file fails before the work.
    let stats = match &args.stats {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read --stats {path}"))?;
            Some(stats::parse(path, &bytes)?)
        }
        None => None,
    };
    let mut sdp_reports = Vec::with_capacity(args.sdp.len());
    for path in &args.sdp {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read SDP {path}"))?;
        sdp_reports.push(rtcscope_sdp::FileReport::new(path, &bytes, None));
    }
    let mut engine = Engine::new(Config::default());
    loader::apply_sdp(&mut engine, &args.sdp)?;
    engine.set_keys(args.keys.load(&args.sdp)?);
    let mut source = PacketSource::new(input::open(file)?)
        .with_context(|| format!("cannot read capture {}", file))?;
    // Never write over the capture (or a --stats/--sdp file) being read.
    if let Ok(out) = std::fs::canonicalize(&args.output) {
        let inputs = std::iter::once(file).chain(
            args.sdp
                .iter()
                .chain(&args.keys.keylog)
                .chain(&args.stats)
                .map(String::as_str),
        );
        for f in inputs {
            if std::fs::canonicalize(f).is_ok_and(|p| p == out) {
                anyhow::bail!(
                    "-o {} is an input ({f}); not overwritten",
                    args.output.display()
                );
            }
        }
    }
    // Created before the work, so an unwritable path fails at once.
    let mut out = std::fs::File::create(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    loader::feed_file(&mut engine, &mut source, file);
    engine.finish();
    let skipped = source.skipped();
    let read_error = source.fatal().map(|e| e.to_string());
    if let Some(d) = source.dropped() {
        engine.set_capture_drops(d);
    }
    // The engine's tables move into the report, which the page consumes: its sections are
    // drawn from the report one stream and flow at a time, never from the whole as a Value.
    let report = Report::from_engine(engine);
    let provenance = Provenance {
        file: file.to_owned(),
        file_bytes: (file != "-")
            .then(|| std::fs::metadata(file).ok().map(|m| m.len()))
            .flatten(),
        skipped_records: skipped,
        read_error: read_error.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        sdp_files: args.sdp.clone(),
        keylog_files: args.keys.keylog.clone(),
        stats_file: args.stats.clone(),
    };
    let html =
        rtcscope_report_html::render_report(report, &provenance, &sdp_reports, stats.as_ref())?;
    out.write_all(html.as_bytes())
        .and_then(|()| out.flush())
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!("{}: {} bytes", args.output.display(), html.len());
    if skipped > 0 {
        eprintln!("rtcscope: {skipped} damaged record(s) skipped; the report covers the rest");
    }
    if let Some(e) = &read_error {
        eprintln!(
            "rtcscope: {}: {e} (the report covers everything before it)",
            file
        );
    }
    Ok(if read_error.is_some() || skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
