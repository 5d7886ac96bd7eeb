//! `rtcscope`: see what WebRTC traffic is doing, from captures.
//!
//! Commands follow tshark's conventions where they fit: `-r FILE` (or `-r -` for standard
//! input), `-c N`, `-V` for the full field tree, `--json` for machine-readable output.

mod analyze;
mod dissect;
mod export_cmd;
mod input;
mod json;
mod loader;
mod nat_cmd;
mod pipeline;
mod report_cmd;
mod sdp;
mod stun_server_cmd;
mod text;
mod tui_cmd;
mod turn_cmd;
mod value;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// See what WebRTC traffic is doing: STUN/TURN/ICE, DTLS, RTP/RTCP, SCTP and SDP, from captures.
#[derive(Parser, Debug)]
#[command(name = "rtcscope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// From packets to WebRTC sessions: ICE pairs, TURN allocations, flows and bandwidth.
    Analyze(analyze::AnalyzeArgs),
    /// One line per packet (like tshark), or the full field tree with byte offsets (-V).
    Dissect(dissect::DissectArgs),
    /// Captures into tables for DuckDB and Spark: Parquet, CSV or JSON Lines, by capture.
    Export(export_cmd::ExportArgs),
    /// One self-contained HTML page: findings, ICE, TURN, DTLS, stream plots, a call ladder.
    Report(report_cmd::ReportArgs),
    /// Summarise and lint SDP offers/answers (raw or inside signalling JSON).
    Sdp(sdp::SdpArgs),
    /// What NAT am I behind, and will peer-to-peer work? (RFC 5780 NAT behaviour discovery.)
    Nat(nat_cmd::Args),
    /// An RFC 5780-capable STUN server (also plain RFC 5389 and classic RFC 3489 Binding).
    StunServer(stun_server_cmd::Args),
    /// Does this STUN/TURN server work with these credentials? (Allocate, relay echo, release.)
    Turn(turn_cmd::Args),
    /// Terminal UI on a live capture: sessions, ICE, DTLS, streams, packets, NAT check.
    Live(tui_cmd::LiveArgs),
    /// Terminal UI on a capture file (`-r -` for standard input).
    Open(tui_cmd::OpenArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Dissect(args) => dissect::run(args),
        Command::Export(args) => export_cmd::run(args),
        Command::Report(args) => report_cmd::run(args),
        Command::Sdp(args) => sdp::run(args),
        Command::Nat(args) => nat_cmd::run(args),
        Command::StunServer(args) => stun_server_cmd::run(args),
        Command::Turn(args) => turn_cmd::run(args),
        Command::Live(args) => tui_cmd::run_live(args),
        Command::Open(args) => tui_cmd::run_open(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`rtcscope dissect x | head`) is not an error worth a message.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            // Errors can quote what a server or a file said: escaped for the terminal.
            eprintln!(
                "rtcscope: {}",
                rtcscope_wire::text::Escaped(&format!("{e:#}"))
            );
            ExitCode::from(2)
        }
    }
}
