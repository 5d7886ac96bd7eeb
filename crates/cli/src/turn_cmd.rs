//! `rtcscope turn URI...`: does this STUN/TURN server work, with these credentials?

use crate::value;
use anyhow::{bail, Context, Result};
use rtcscope_nat::net;
use rtcscope_nat::turn::{rest_credentials, Mode, Transport, TurnConfig, TurnReport};
use rtcscope_nat::uri::{IceUri, Scheme};
use rtcscope_wire::text::Escaped;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Check STUN and TURN servers like WebRTC's Trickle ICE page, but prove it: candidates
/// gathered, the long-term credential flow, CreatePermission, ChannelBind, an echo through the
/// relay to a second local socket, round-trip times, and a clean release.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "The password comes from --pass-file, else the environment variable \
RTCSCOPE_TURN_PASSWORD, else a prompt; it is never printed or logged, and there is no \
--pass option, so it never shows in the process list. With a TURN REST shared secret \
(coturn's use-auth-secret), credentials are minted: username EXPIRY:USER, password \
base64(HMAC-SHA1(secret, username)); the secret comes from --secret-file, \
RTCSCOPE_TURN_SECRET or --secret.\n\
turns: and stuns: run over TLS (port 5349 by default): the server's certificate must be \
valid for the URI's host (a name, or an IP address) and issued by a CA in the system store \
or in --ca FILE; --insecure skips that, and the report says so.\n\
Exit status: 0 when every URI worked, 1 when one did not, 2 on errors."
)]
pub struct Args {
    /// stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp], turns:HOST[:PORT],
    /// stuns:HOST[:PORT].
    #[arg(value_name = "URI", required = true)]
    pub uris: Vec<String>,
    /// TURN username (with a REST secret: the user part after the expiry).
    #[arg(short, long)]
    pub user: Option<String>,
    /// Read the TURN password from this file (first line).
    #[arg(long, value_name = "FILE")]
    pub pass_file: Option<PathBuf>,
    /// TURN REST shared secret (visible in the process list: prefer --secret-file or
    /// RTCSCOPE_TURN_SECRET).
    #[arg(long, value_name = "SECRET")]
    pub secret: Option<String>,
    /// Read the TURN REST shared secret from this file (first line).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// Validity of minted REST credentials, seconds (at most 365 days).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "86400",
        value_parser = value::whole(0u64, 365 * 86_400, "seconds"),
        allow_negative_numbers = true
    )]
    pub ttl: u64,
    /// Give up on a server after this many seconds (0.5 to 120).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "8",
        value_parser = value::seconds(0.5, 120.0),
        allow_negative_numbers = true
    )]
    pub timeout: Duration,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// TURN checks: the UDP STUN server the second local socket (the "peer") asks for its
    /// reflexive address. Default: the server itself for UDP, its port 3478 for TCP and TLS.
    #[arg(long, value_name = "HOST:PORT")]
    pub peer_stun: Option<String>,
    /// turns:/stuns: also trust the CA certificates in this PEM file (besides the system
    /// store).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// turns:/stuns: do not verify the server's certificate (the report says it was not
    /// verified).
    #[arg(long)]
    pub insecure: bool,
}

fn first_line(path: &PathBuf) -> Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text.lines().next().unwrap_or("").to_string())
}

fn credentials(args: &Args) -> Result<Option<(String, String)>> {
    let secret = if let Some(f) = &args.secret_file {
        Some(first_line(f)?)
    } else if let Ok(s) = std::env::var("RTCSCOPE_TURN_SECRET") {
        Some(s)
    } else {
        args.secret.clone()
    };
    if let Some(secret) = secret {
        let expiry = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("system clock before 1970")?
            .as_secs()
            + args.ttl;
        let user = args.user.clone().unwrap_or_default();
        return Ok(Some(rest_credentials(secret.as_bytes(), &user, expiry)));
    }
    let Some(user) = args.user.clone() else {
        return Ok(None);
    };
    let password = if let Some(f) = &args.pass_file {
        first_line(f)?
    } else if let Ok(p) = std::env::var("RTCSCOPE_TURN_PASSWORD") {
        p
    } else {
        rpassword::prompt_password(format!("TURN password for {user}: "))
            .context("no password: use --pass-file, RTCSCOPE_TURN_PASSWORD or a terminal")?
    };
    Ok(Some((user, password)))
}

/// One URI's outcome.
#[derive(serde::Serialize)]
struct UriResult {
    uri: String,
    #[serde(flatten)]
    report: Option<TurnReport>,
    skipped: Option<String>,
}

/// Checks every URI in turn.
pub fn run(args: &Args) -> Result<ExitCode> {
    let mut uris = Vec::new();
    for u in &args.uris {
        uris.push(IceUri::parse(u)?);
    }
    let needs_creds = uris
        .iter()
        .any(|u| matches!(u.scheme, Scheme::Turn | Scheme::Turns));
    let creds = if needs_creds {
        credentials(args)?
    } else {
        None
    };
    if needs_creds && creds.is_none() {
        bail!("turn: URIs need --user (with a password) or a TURN REST secret");
    }
    let tls = if uris.iter().any(|u| u.transport == Transport::Tls) {
        let ca = args.ca.as_deref();
        Some(net::TlsClient::new(ca, args.insecure).context("TLS set-up (--ca)")?)
    } else {
        None
    };
    let seed = net::random_seed().context("random transaction IDs")?;
    let mut results = Vec::new();
    for (i, u) in uris.iter().enumerate() {
        let text = args.uris[i].clone();
        let server = u.resolve().with_context(|| format!("resolving {text}"))?;
        let mode = if matches!(u.scheme, Scheme::Stun | Scheme::Stuns) {
            Mode::Stun
        } else {
            Mode::Turn
        };
        let mut cfg = TurnConfig::new(server, u.transport, mode, seed.wrapping_add(i as u64));
        cfg.deadline = args.timeout;
        if let Some(p) = &args.peer_stun {
            cfg.peer_stun = resolve_peer_stun(p)?;
        }
        if let Some((user, pass)) = &creds {
            cfg.username = user.clone();
            cfg.password = pass.clone();
        }
        let run = match &tls {
            Some(tls) if u.transport == Transport::Tls => {
                net::run_turn_tls(cfg, None, tls, &u.host)
            }
            _ => net::run_turn(cfg, None),
        };
        let report = match run {
            Ok(r) => r,
            Err(e) => {
                results.push(UriResult {
                    uri: text,
                    report: None,
                    skipped: Some(format!("could not reach the server: {e}")),
                });
                continue;
            }
        };
        results.push(UriResult {
            uri: text,
            report: Some(report),
            skipped: None,
        });
    }
    let all_ok = results
        .iter()
        .all(|r| r.report.as_ref().is_some_and(|r| r.success));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        let mut out = String::new();
        for r in &results {
            render(r, creds.as_ref().map(|c| c.0.as_str()), &mut out);
        }
        print!("{out}");
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The text report of one URI. What the server sent (REALM, SOFTWARE, reason phrases, and the
/// step details and TLS errors quoting them) is escaped, so a hostile server can neither reach
/// the terminal with control sequences nor forge an `ok` line.
fn render(r: &UriResult, user: Option<&str>, out: &mut String) {
    use std::fmt::Write;
    let uri = Escaped(&r.uri);
    let Some(rep) = &r.report else {
        let _ = writeln!(
            out,
            "{uri}\n  not checked: {}\n",
            Escaped(r.skipped.as_deref().unwrap_or(""))
        );
        return;
    };
    let transport = match rep.transport {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
        Transport::Tls => "tls",
    };
    let _ = writeln!(
        out,
        "{uri}  ({transport} {})  {} in {:.0} ms",
        rep.server,
        if rep.success { "OK" } else { "FAILED" },
        rep.duration_ms
    );
    if let (Some(u), true) = (user, r.uri.starts_with("turn")) {
        let _ = writeln!(out, "  username            {}", Escaped(u));
    }
    if let Some(realm) = &rep.realm {
        let _ = writeln!(out, "  realm               {}", Escaped(realm));
    }
    if let Some(s) = &rep.software {
        let _ = writeln!(out, "  server software     {}", Escaped(s));
    }
    if let Some(t) = &rep.tls {
        if let (Some(v), Some(c)) = (&t.version, &t.cipher_suite) {
            let took = t
                .handshake_ms
                .map(|m| format!(", handshake {m:.1} ms"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  tls                 {}, {}{took}",
                Escaped(v),
                Escaped(c)
            );
        }
    }
    for s in &rep.steps {
        let rtt = s
            .rtt_ms
            .map(|m| format!("{m:6.1} ms"))
            .unwrap_or_else(|| "         ".into());
        let _ = writeln!(
            out,
            "  {} {:<28} {rtt}  {}",
            if s.ok { "ok  " } else { "FAIL" },
            Escaped(&s.name),
            Escaped(&s.detail)
        );
    }
    if rep.srflx.is_some() || rep.relayed.is_some() {
        let _ = writeln!(out, "  candidates:");
    }
    if let Some(x) = rep.srflx {
        let _ = writeln!(out, "    srflx  {x}");
    }
    if let Some(x) = rep.relayed {
        let _ = writeln!(
            out,
            "    relay  {x}  (lifetime {} s)",
            rep.lifetime
                .map(|l| l.to_string())
                .unwrap_or_else(|| "?".into())
        );
    }
    if let Some(e) = &rep.error {
        // Code 0: no STUN error code (a timeout, a connection or TLS failure).
        let code = if e.code == 0 {
            String::new()
        } else {
            format!("{} ", e.code)
        };
        let _ = writeln!(
            out,
            "  error: {} failed with {code}{}: {}",
            Escaped(&e.request),
            Escaped(&e.reason),
            Escaped(&e.explanation)
        );
    }
    if !rep.echo_rtt_ms.is_empty() {
        let mut v = rep.echo_rtt_ms.clone();
        v.sort_by(f64::total_cmp);
        let _ = writeln!(
            out,
            "  relay round trips   min {:.1} ms, median {:.1} ms, max {:.1} ms",
            v[0],
            v[v.len() / 2],
            v[v.len() - 1]
        );
    }
    // Whether the allocation was released, when there was one.
    if r.uri.starts_with("turn") && (rep.relayed.is_some() || rep.released) {
        let _ = writeln!(
            out,
            "  released            {}",
            if rep.released {
                "yes (Refresh with LIFETIME 0)"
            } else {
                "no"
            }
        );
    }
    out.push('\n');
}

/// `HOST:PORT` (or `[v6]:PORT`) for `--peer-stun`, resolved to its first address.
fn resolve_peer_stun(s: &str) -> Result<std::net::SocketAddr> {
    use std::net::ToSocketAddrs;
    s.to_socket_addrs()
        .with_context(|| format!("--peer-stun {s}: not HOST:PORT, or the name does not resolve"))?
        .next()
        .with_context(|| format!("--peer-stun {s}: the name has no address"))
}
