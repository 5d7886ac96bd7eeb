//! `rtcscope export FILE... -o DIR`: captures into a columnar dataset (Parquet, CSV or JSON
//! Lines) partitioned by capture, for DuckDB and Spark; the tables and their schema are in
//! docs/export.md, the writing in `rtcscope-export`.
//!
//! Each capture is read as `analyze` reads it (the same packet source and damaged-record
//! policy, the same engine and report), so the exported figures are `analyze --json`'s.

use crate::{input, loader};
use anyhow::Context as _;
use clap::{Args, ValueEnum};
use rtcscope_analysis::report::Report;
use rtcscope_analysis::{Config, Engine};
use rtcscope_capture::source::{Next, PacketSource};
use rtcscope_export::{capture_names, Dataset, Format, Options, ReadOutcome, Table};
use rtcscope_wire::text::Escaped;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    /// Apache Parquet (Snappy), one row group per batch.
    Parquet,
    /// CSV with a header line.
    Csv,
    /// JSON Lines.
    Jsonl,
}

/// Arguments of `rtcscope export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Capture files (pcap or pcapng); `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,
    /// Output folder: one sub-folder per table, partitioned by capture
    /// (DIR/packets/capture=NAME/part-0.parquet).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
    /// File format of the tables.
    #[arg(long, value_enum, default_value = "parquet")]
    format: FormatArg,
    /// Write into a folder that already holds files: these captures' partitions are replaced,
    /// other captures' are kept.
    #[arg(long)]
    force: bool,
    /// Packet rows per batch (and Parquet row group): what the export holds in memory.
    #[arg(long, value_name = "N", default_value_t = rtcscope_export::DEFAULT_BATCH_ROWS as u64,
          value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    batch_rows: u64,
    /// Packet rows per file: a capture's packets are split into part-0, part-1, … of this many
    /// rows (rounded up to whole batches), which bounds what a Parquet footer holds.
    #[arg(long, value_name = "N", default_value_t = rtcscope_export::DEFAULT_FILE_ROWS as u64,
          value_parser = clap::value_parser!(u64).range(1..=1_099_511_627_776))]
    file_rows: u64,
    /// Flows the engine holds at once (as for analyze); beyond it the flow used least recently
    /// is evicted.
    #[arg(long, value_name = "N", default_value_t = rtcscope_analysis::DEFAULT_MAX_FLOWS as u64,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    max_flows: u64,
    /// RTP streams the engine holds at once (as for analyze).
    #[arg(long, value_name = "N", default_value_t = rtcscope_analysis::streams::MAX_STREAMS as u64,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    max_streams: u64,
    /// Memory budget of the engine's tables in MiB (as for analyze, instead of --max-flows and
    /// --max-streams); the export's own memory is one batch of packet rows on top.
    #[arg(long, value_name = "MIB", conflicts_with_all = ["max_flows", "max_streams"],
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    memory: Option<u64>,
    /// An SDP offer or answer (raw, or signalling JSON) for codecs, clock rates,
    /// header-extension ids and fingerprints, as for analyze; applies to every capture;
    /// repeatable.
    #[arg(long = "sdp", value_name = "FILE")]
    sdp: Vec<String>,
    #[command(flatten)]
    keys: loader::KeyArgs,
}

impl ExportArgs {
    /// The engine's caps, as analyze sets them.
    fn config(&self) -> Config {
        match self.memory {
            // (The ranges above keep these conversions and the shift exact.)
            Some(mib) => Config::with_memory_budget((mib << 20) as usize),
            None => Config {
                max_flows: self.max_flows as usize,
                max_streams: self.max_streams as usize,
                ..Config::default()
            },
        }
    }
}

/// Runs `rtcscope export`.
pub fn run(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let paths: Vec<&str> = args.files.iter().map(String::as_str).collect();
    let names = capture_names(&paths);
    let options = Options {
        format: match args.format {
            FormatArg::Parquet => Format::Parquet,
            FormatArg::Csv => Format::Csv,
            FormatArg::Jsonl => Format::Jsonl,
        },
        // (The range above keeps this exact.)
        batch_rows: args.batch_rows as usize,
        file_rows: usize::try_from(args.file_rows).unwrap_or(usize::MAX),
        force: args.force,
    };
    let dataset = Dataset::create(&args.output, &names, options)?;
    let mut problems = 0;
    for (path, name) in paths.iter().zip(&names) {
        match export_one(&dataset, path, name, args) {
            Ok((rows, clean)) => {
                if !clean {
                    problems += 1;
                }
                println!(
                    "capture={name}\t{path}\t{} packets, {} flows, {} streams, {} ICE pairs",
                    rows.get(&Table::Packets).unwrap_or(&0),
                    rows.get(&Table::Flows).unwrap_or(&0),
                    rows.get(&Table::Streams).unwrap_or(&0),
                    rows.get(&Table::IceChecks).unwrap_or(&0),
                );
            }
            Err(e) => {
                problems += 1;
                eprintln!(
                    "rtcscope: {}: {} (not exported)",
                    Escaped(path),
                    Escaped(&format!("{e:#}"))
                );
            }
        }
    }
    Ok(if problems > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Exports one capture; returns the rows per table and whether it was read without damage.
fn export_one(
    dataset: &Dataset,
    path: &str,
    name: &str,
    args: &ExportArgs,
) -> anyhow::Result<(std::collections::BTreeMap<Table, u64>, bool)> {
    let mut source = PacketSource::new(input::open(path)?)
        .with_context(|| format!("cannot read capture {path}"))?;
    let mut engine = Engine::new(args.config());
    // The SDPs and keys, as analyze applies them (the key log indexes its secrets by each
    // handshake's random, so one key log can serve many captures).
    engine.set_keys(args.keys.load(&args.sdp)?);
    loader::apply_sdp(&mut engine, &args.sdp)?;
    // Key logs in pcapng Decryption Secrets Blocks before the first packet, as analyze reads
    // them (the engine needs them before the handshakes); later ones as they come.
    let mut dsbs = 0;
    if path != "-" {
        dsbs = loader::add_dsbs(&mut engine, &loader::leading_dsbs(path), 0);
    }
    let mut out = dataset.capture(name, path)?;
    loop {
        match source.next_observing(|e| {
            eprintln!("rtcscope: {}: {e} (skipped)", Escaped(path));
        }) {
            Next::Packet(p) => {
                let v = engine.feed_packet(&p);
                out.packet(&p, &v)?;
            }
            Next::Idle => {}
            Next::End => break,
        }
        if let Some(r) = source.reader() {
            if r.tls_key_logs().len() > dsbs {
                dsbs = loader::add_dsbs(&mut engine, r.tls_key_logs(), dsbs);
            }
        }
    }
    engine.finish();
    if let Some(d) = source.dropped() {
        engine.set_capture_drops(d);
    }
    let read_error = source.fatal().map(|e| e.to_string());
    if let Some(e) = &read_error {
        eprintln!(
            "rtcscope: {}: {} (exported everything before it)",
            Escaped(path),
            Escaped(e)
        );
    }
    let skipped = source.skipped();
    let report = Report::new(&engine);
    let rows = out.finish(
        &report,
        &ReadOutcome {
            source: path.to_owned(),
            skipped_records: skipped,
            read_error: read_error.clone(),
        },
    )?;
    Ok((rows, read_error.is_none() && skipped == 0))
}
