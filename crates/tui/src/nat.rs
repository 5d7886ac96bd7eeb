//! The NAT check run from inside the UI, through `rtcscope-nat`'s socket edge.

use rtcscope_nat::{net, CheckConfig, Report};
use std::time::Duration;

/// Runs the check against `servers`, one address family at a time in parallel (as
/// `rtcscope nat` does); returns the reports and the errors.
pub fn run_check(servers: &[String]) -> (Vec<Report>, Vec<String>) {
    let net::ServersByFamily { v4, v6, mut errors } = net::servers_by_family(servers);
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
