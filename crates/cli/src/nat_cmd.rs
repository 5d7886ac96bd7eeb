//! `rtcscope nat [SERVER...]`: what NAT am I behind, and will peer-to-peer work?

use crate::value;
use anyhow::{bail, Context, Result};
use rtcscope_nat::report::{Classic, Lifetime, PortAllocation, Report};
use rtcscope_nat::{net, CheckConfig};
use rtcscope_wire::text::Escaped;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Public servers asked when none is given (interactive use only; tests always name theirs).
/// The first supports RFC 5780; the others are plain RFC 5389 servers on other networks, whose
/// answers are compared to tell endpoint-independent from endpoint-dependent mapping.
pub const DEFAULT_SERVERS: [&str; 3] = [
    "stun.stunprotocol.org:3478",
    "stun.l.google.com:19302",
    "stun.cloudflare.com:3478",
];

/// Discover NAT behaviour (RFC 5780, RFC 4787): mapping, filtering, hairpinning, port
/// allocation; the classic NAT type; and whether a WebRTC call will connect directly.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 when the check ran, 1 when no server answered \
(UDP blocked or servers unreachable), 2 on errors.\n\
Servers are HOST[:PORT] or stun:HOST[:PORT] (port 3478 by default); the first \
RFC 5780-capable one runs the mapping and filtering tests, the others are compared."
)]
pub struct Args {
    /// STUN servers; the default is a list of well-known public servers.
    #[arg(value_name = "SERVER")]
    pub servers: Vec<String>,
    /// IPv4 only.
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 only.
    #[arg(short = '6', long = "ipv6")]
    pub ipv6: bool,
    /// Also measure how long an idle binding lives (up to SECONDS, 120 by default, at most
    /// 3600; needs a server that supports RESPONSE-PORT). (No negative numbers here: in
    /// `--lifetime -4` the -4 is the IPv4 flag.)
    #[arg(
        long,
        value_name = "SECONDS",
        num_args = 0..=1,
        default_missing_value = "120",
        value_parser = value::seconds(1.0, 3600.0)
    )]
    pub lifetime: Option<Duration>,
    /// Give up on unanswered tests after this many seconds (0.2 to 120).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "5",
        value_parser = value::seconds(0.2, 120.0),
        allow_negative_numbers = true
    )]
    pub timeout: Duration,
    /// Local address to bind (one per family; default: the address the system routes from).
    #[arg(long, value_name = "IP")]
    pub bind: Vec<IpAddr>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Show every request, its answer and its timing.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Runs the check for every address family the servers have, in parallel.
pub fn run(args: &Args) -> Result<ExitCode> {
    let specs: Vec<String> = if args.servers.is_empty() {
        DEFAULT_SERVERS.iter().map(|s| s.to_string()).collect()
    } else {
        args.servers.clone()
    };
    let net::ServersByFamily {
        mut v4,
        mut v6,
        mut errors,
    } = net::servers_by_family(&specs);
    if args.ipv4 {
        v6.clear();
    }
    if args.ipv6 {
        v4.clear();
    }
    if v4.is_empty() && v6.is_empty() {
        bail!("no usable server: {}", errors.join("; "));
    }
    let seed = net::random_seed().context("random transaction IDs")?;
    let started = Instant::now();
    let mut jobs = Vec::new();
    for (i, servers) in [v4, v6].into_iter().enumerate() {
        if servers.is_empty() {
            continue;
        }
        let mut cfg = CheckConfig::new(servers, seed.wrapping_add(i as u64));
        cfg.deadline = args.timeout;
        cfg.lifetime = args.lifetime;
        let bind = args.bind.iter().copied().find(|b| b.is_ipv4() == (i == 0));
        jobs.push(std::thread::spawn(move || net::run_check(cfg, bind)));
    }
    let mut reports = Vec::new();
    for j in jobs {
        match j.join() {
            Ok(Ok(r)) => reports.push(r),
            Ok(Err(e)) => errors.push(format!("{e}")),
            Err(_) => errors.push("a check thread panicked".into()),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    if args.json {
        let doc = serde_json::json!({
            "reports": reports,
            "errors": errors,
            "duration_ms": elapsed * 1000.0,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        let mut out = String::new();
        for r in &reports {
            render(r, args.verbose, &mut out);
        }
        for e in &errors {
            out.push_str(&format!("error: {}\n", Escaped(e)));
        }
        out.push_str(&format!("Done in {elapsed:.2} s.\n"));
        print!("{out}");
    }
    let answered = reports.iter().any(|r| r.servers.iter().any(|s| s.answered));
    Ok(if answered {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn yes_no(b: Option<bool>, none: &str) -> String {
    match b {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => none.into(),
    }
}

fn explain(c: Classic) -> &'static str {
    match c {
        Classic::OpenInternet => "No NAT and no firewall in the way: anyone can send to you, so peers connect directly.",
        Classic::SymmetricUdpFirewall => "No NAT, but a stateful firewall only lets in answers from addresses you have sent to. ICE works with peers that can receive your packets first; two such peers, or one behind a symmetric NAT, need TURN.",
        Classic::FullCone => "Your public address and port stay the same whatever you talk to, and anyone may send to them: the friendliest NAT there is.",
        Classic::RestrictedCone => "Your public address and port stay the same whatever you talk to; only hosts you have sent to may send back (from any port). ICE hole punching works with almost every peer.",
        Classic::PortRestrictedCone => "Your public address and port stay the same whatever you talk to; only the exact address and port you sent to may send back. ICE hole punching works, except against a symmetric NAT.",
        Classic::Symmetric => "Your public port changes with every destination, so the address a STUN server sees is not the one a peer sees. Direct connections work only with peers whose NAT is permissive; otherwise the call needs a TURN relay.",
        Classic::UdpBlocked => "No UDP answer came back from any server: UDP is blocked (or every server is down). WebRTC needs a TURN server over TCP or TLS here.",
        Classic::ConeFilteringUnknown => "Your public address and port stay the same whatever you talk to; the servers could not test what comes in (use a server with RFC 5780 support, e.g. `rtcscope stun-server`).",
        Classic::NoNatFilteringUnknown => "No NAT; the servers could not test whether a firewall filters what comes in.",
        Classic::Unknown => "Too few answers to say more.",
    }
}

/// The text report of one address family. The report's text (the servers' RFC 5780 support,
/// the bases of the verdicts, notes, the trace) can quote what servers sent, so it is escaped.
fn render(r: &Report, verbose: bool, out: &mut String) {
    use std::fmt::Write;
    let fam = if r.family == "ipv6" { "IPv6" } else { "IPv4" };
    let _ = writeln!(
        out,
        "NAT check ({fam}): {:.0} ms, {} requests sent, {} answers",
        r.duration_ms, r.sent, r.received
    );
    let addr = |a: Option<SocketAddr>| a.map(|a| a.to_string()).unwrap_or_else(|| "-".into());
    let _ = writeln!(out, "  local address       {}", addr(r.local));
    let _ = writeln!(out, "  public address      {}", addr(r.mapped));
    let _ = writeln!(out, "  servers");
    for s in &r.servers {
        let rtt = s
            .rtt_ms
            .map(|m| format!("answered in {m:.1} ms"))
            .unwrap_or_else(|| {
                if s.answered {
                    "answered".into()
                } else {
                    "no answer".into()
                }
            });
        let other = s
            .other_address
            .map(|o| format!(", other address {o}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {:<24} {rtt}{other}; RFC 5780: {}",
            s.address,
            Escaped(&s.rfc5780)
        );
        if s.alg_rewrite {
            let _ = writeln!(
                out,
                "    {:<24} MAPPED-ADDRESS rewritten on the way (ALG)",
                ""
            );
        }
    }
    let _ = writeln!(
        out,
        "  mapping             {}\n                      ({})",
        r.mapping.describe(),
        Escaped(&r.mapping_basis)
    );
    let _ = writeln!(
        out,
        "  filtering           {}\n                      ({})",
        r.filtering.describe(),
        Escaped(&r.filtering_basis)
    );
    let _ = writeln!(
        out,
        "  hairpinning         {}",
        yes_no(r.hairpinning, "not applicable or not tested")
    );
    let _ = writeln!(
        out,
        "  port preservation   {}",
        yes_no(r.port_preservation, "not applicable")
    );
    if let Some(p) = r.port_allocation {
        let text = match p {
            PortAllocation::Preserved => "the local port is kept".to_string(),
            PortAllocation::Sequential { delta } => {
                format!("sequential, {delta:+} per new mapping (predictable)")
            }
            PortAllocation::Random => "random (unpredictable)".into(),
            PortAllocation::Unknown => "unknown (too few probes answered)".into(),
        };
        let ports: Vec<String> = r.port_probes.iter().map(u16::to_string).collect();
        let _ = writeln!(out, "  port allocation     {text} [{}]", ports.join(" "));
    }
    if let Some(l) = &r.lifetime {
        let text = match l {
            Lifetime::Between { alive_s, dead_s } => {
                format!("between {alive_s:.0} s and {dead_s:.0} s of silence")
            }
            Lifetime::AtLeast { alive_s } => format!("at least {alive_s:.0} s"),
            Lifetime::Unsupported { reason } => format!("not measured: {}", Escaped(reason)),
        };
        let _ = writeln!(out, "  binding lifetime    {text}");
    }
    let _ = writeln!(out, "  NAT type            {}", r.classic.describe());
    let _ = writeln!(
        out,
        "  WebRTC              {}",
        Escaped(&r.webrtc_explained)
    );
    for n in &r.notes {
        let _ = writeln!(out, "  note: {}", Escaped(n));
    }
    let _ = writeln!(out, "  {}", explain(r.classic));
    if verbose {
        let _ = writeln!(out, "  requests:");
        for t in &r.trace {
            let _ = writeln!(out, "    {}", Escaped(t));
        }
    }
    out.push('\n');
}
