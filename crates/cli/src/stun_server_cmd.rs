//! `rtcscope stun-server`: an RFC 5780-capable STUN server (and a plain RFC 5389 / classic
//! RFC 3489 one) for NAT tests.

use crate::value;
use anyhow::{bail, Context, Result};
use rtcscope_nat::{net, ServerConfig};
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Serve STUN Binding: RFC 5780 behaviour discovery (OTHER-ADDRESS, RESPONSE-ORIGIN,
/// CHANGE-REQUEST, RESPONSE-PORT) when an alternate address is given, plain RFC 5389/8489
/// otherwise, and classic RFC 3489 clients either way.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Safeguards against use as an amplifier: only Binding requests are \
answered; a response is never more than 128 bytes longer than its request; answers go only \
to the requesting IP address (RESPONSE-ADDRESS is ignored, RESPONSE-PORT below 1024 is \
refused); each source IP address has a token bucket (--rate, --burst); malformed datagrams \
are dropped silently. Stops cleanly on SIGINT or SIGTERM."
)]
pub struct Args {
    /// Primary address to serve on (repeat once per address family).
    #[arg(long, value_name = "IP", required = true)]
    pub primary: Vec<IpAddr>,
    /// Alternate address of the same family as a primary (enables RFC 5780).
    #[arg(long, value_name = "IP")]
    pub alternate: Vec<IpAddr>,
    /// Primary port.
    #[arg(long, default_value_t = 3478)]
    pub port: u16,
    /// Alternate port (used with --alternate).
    #[arg(long, default_value_t = 3479)]
    pub alt_port: u16,
    /// Responses per second allowed per source IP address (0.001 to 1000000).
    #[arg(
        long,
        value_name = "PER_SECOND",
        default_value = "500",
        value_parser = value::number(0.001, 1e6, "responses per second"),
        allow_negative_numbers = true
    )]
    pub rate: f64,
    /// Burst allowed per source IP address (1 to 1000000).
    #[arg(
        long,
        value_name = "RESPONSES",
        default_value = "1000",
        value_parser = value::number(1.0, 1e6, "responses"),
        allow_negative_numbers = true
    )]
    pub burst: f64,
    /// More logging (-v: every request, as debug lines on standard error).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: &Args) -> Result<ExitCode> {
    let level = match args.verbose {
        0 => tracing::Level::INFO,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .try_init();
    let mut cfgs = Vec::new();
    for p in &args.primary {
        let alts: Vec<IpAddr> = args
            .alternate
            .iter()
            .copied()
            .filter(|a| a.is_ipv4() == p.is_ipv4())
            .collect();
        if alts.len() > 1 {
            bail!("more than one --alternate for the family of {p}");
        }
        if args
            .primary
            .iter()
            .filter(|q| q.is_ipv4() == p.is_ipv4())
            .count()
            > 1
        {
            bail!("more than one --primary for the family of {p}");
        }
        let mut c = ServerConfig::new(*p, args.port);
        if let Some(a) = alts.first() {
            if a == p {
                bail!("--alternate {a} must differ from --primary");
            }
            if args.alt_port == args.port {
                bail!("--alt-port must differ from --port");
            }
            c.alternate_ip = Some(*a);
            c.alternate_port = Some(args.alt_port);
        }
        c.rate = args.rate;
        c.burst = args.burst;
        cfgs.push(c);
    }
    for a in &args.alternate {
        if !args.primary.iter().any(|p| p.is_ipv4() == a.is_ipv4()) {
            bail!("--alternate {a} has no --primary of its family");
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone()).context("installing signal handlers")?;
    }
    let modes: Vec<String> = cfgs
        .iter()
        .map(|c| {
            if c.rfc5780() {
                format!("{} RFC 5780", c.primary_ip)
            } else {
                format!("{} plain RFC 5389", c.primary_ip)
            }
        })
        .collect();
    let handle = net::run_server(cfgs).context("starting the STUN server")?;
    let list: Vec<String> = handle.addresses.iter().map(|a| a.to_string()).collect();
    // One line on standard output once every socket is bound, for scripts that wait for it.
    println!(
        "rtcscope stun-server: serving udp {} ({})",
        list.join(" "),
        modes.join(", ")
    );
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
    tracing::info!("signal received, stopping");
    for s in handle.stop() {
        tracing::info!(
            "answered {} requests ({} classic RFC 3489), dropped {} malformed or unwanted, {} over the rate limit",
            s.answered,
            s.classic,
            s.malformed,
            s.rate_limited
        );
    }
    Ok(ExitCode::SUCCESS)
}
