//! The NAT check run from inside the UI, through `rtcscope-nat`'s socket edge.

use rtcscope_nat::{net, CheckConfig, Report};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// Resolves `HOST:PORT`, `HOST` (port 3478) or `stun:HOST[:PORT]`.
pub fn resolve(spec: &str) -> Result<Vec<SocketAddr>, String> {
    let s = spec.strip_prefix("stun:").unwrap_or(spec);
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(vec![a]);
    }
    let with_port = if s
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && !h.ends_with(':') && p.parse::<u16>().is_ok())
    {
        s.to_owned()
    } else {
        format!("{s}:3478")
    };
    let addrs: Vec<SocketAddr> = with_port
        .to_socket_addrs()
        .map_err(|e| format!("resolving {spec}: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{spec} has no address"));
    }
    Ok(addrs)
}

/// Runs the check against `servers`, one address family at a time in parallel (as
/// `rtcscope nat` does); returns the reports and the errors.
pub fn run_check(servers: &[String]) -> (Vec<Report>, Vec<String>) {
    let mut errors = Vec::new();
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    for spec in servers {
        match resolve(spec) {
            Ok(addrs) => {
                if let Some(a) = addrs.iter().find(|a| a.is_ipv4()) {
                    v4.push(*a);
                }
                if let Some(a) = addrs.iter().find(|a| a.is_ipv6()) {
                    v6.push(*a);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    let seed = match net::random_seed() {
        Ok(s) => s,
        Err(e) => {
            errors.push(format!("random transaction IDs: {e}"));
            return (Vec::new(), errors);
        }
    };
    let jobs: Vec<_> = [v4, v6]
        .into_iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| {
            let mut cfg = CheckConfig::new(s, seed.wrapping_add(i as u64));
            cfg.deadline = Duration::from_secs(5);
            std::thread::spawn(move || net::run_check(cfg, None))
        })
        .collect();
    let mut reports = Vec::new();
    for j in jobs {
        match j.join() {
            Ok(Ok(r)) => reports.push(r),
            Ok(Err(e)) => errors.push(e.to_string()),
            Err(_) => errors.push("the check thread panicked".into()),
        }
    }
    (reports, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_specs() {
        assert_eq!(
            resolve("127.0.0.1:3479").unwrap(),
            ["127.0.0.1:3479".parse().unwrap()]
        );
        assert_eq!(
            resolve("stun:127.0.0.1:5").unwrap(),
            ["127.0.0.1:5".parse().unwrap()]
        );
        assert_eq!(
            resolve("[::1]:3478").unwrap(),
            ["[::1]:3478".parse().unwrap()]
        );
        assert!(resolve("localhost")
            .unwrap()
            .iter()
            .all(|a| a.port() == 3478));
    }
}
