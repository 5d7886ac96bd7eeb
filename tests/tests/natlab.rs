//! The NAT lab: every emulated NAT type classified exactly by `rtcscope nat`, against
//! rtcscope's own stun-server and against coturn, with Debian's `stun` client run beside it as
//! a reference. Needs root (network namespaces, nftables); skipped visibly otherwise.

use rtcscope_testkit::{require_root, require_tool};
use rtcscope_tests::natlab::{compare, matrix, CoturnAuth, Expected, Lab, Server};
use std::time::Duration;

fn servers(family: u8) -> [&'static str; 2] {
    if family == 6 {
        ["[2001:db8:2::2]:3478", "[2001:db8:3::2]:3478"]
    } else {
        ["198.51.100.2:3478", "198.51.100.130:3478"]
    }
}

struct Row {
    kind: &'static str,
    server: Server,
    classic: String,
    ms: f64,
    stun: Option<(String, Duration)>,
    diffs: Vec<String>,
}

fn run_type(exp: &Expected) -> Vec<Row> {
    let mut lab = Lab::up(exp.kind, None);
    let mut rows = Vec::new();
    for server in [Server::Rtcscope, Server::Coturn] {
        match server {
            Server::Rtcscope => lab.start_rtcscope_servers(exp.family),
            Server::Coturn => {
                lab.start_coturn(exp.family, &CoturnAuth::default());
                lab.start_second_server(exp.family);
            }
        }
        let (r, _) = lab.nat_json(&servers(exp.family), &[]);
        let mut diffs = compare(exp, &r);
        if exp.family == 4 && exp.classic != "udp-blocked" {
            // The RFC 5780 server must be recognised as such.
            if r["primary"] != "198.51.100.2:3478" {
                diffs.push(format!("primary: {}", r["primary"]));
            }
        }
        let stun = (exp.family == 4).then(|| lab.stun_client("198.51.100.2"));
        rows.push(Row {
            kind: exp.kind,
            server,
            classic: r["classic"].as_str().unwrap_or("?").to_string(),
            ms: r["duration_ms"].as_f64().unwrap_or(f64::NAN),
            stun,
            diffs: diffs
                .into_iter()
                .map(|d| format!("{} with {server}: {d}", exp.kind))
                .collect(),
        });
        lab.stop_servers();
    }
    rows
}

#[test]
fn every_lab_type_is_classified_exactly_by_both_servers() {
    if !require_root("natlab::every_lab_type") {
        return;
    }
    if require_tool("natlab::every_lab_type", "turnserver").is_none()
        || require_tool("natlab::every_lab_type", "nft").is_none()
        || require_tool("natlab::every_lab_type", "stun").is_none()
    {
        return;
    }
    let _ = rtcscope_tests::bin();
    // All types at once: each lab has its own namespaces, so they cannot disturb each other.
    let handles: Vec<_> = matrix()
        .into_iter()
        .map(|exp| std::thread::spawn(move || run_type(&exp)))
        .collect();
    let mut rows = Vec::new();
    for h in handles {
        rows.extend(h.join().expect("a lab thread panicked"));
    }
    eprintln!(
        "{:<26} {:<9} {:<24} {:>8}  stun client (RFC 3489)",
        "lab type", "server", "rtcscope", "ms"
    );
    for r in &rows {
        let stun = r
            .stun
            .as_ref()
            .map(|(v, t)| format!("{:>6.0} ms  {v}", t.as_secs_f64() * 1000.0))
            .unwrap_or_else(|| "-".into());
        eprintln!(
            "{:<26} {:<9} {:<24} {:>8.0}  {stun}",
            r.kind,
            r.server.to_string(),
            r.classic,
            r.ms
        );
    }
    let diffs: Vec<&String> = rows.iter().flat_map(|r| &r.diffs).collect();
    assert!(diffs.is_empty(), "misclassified:\n{diffs:#?}");
}

#[test]
fn loss_on_the_outside_link_changes_no_verdict() {
    if !require_root("natlab::loss") {
        return;
    }
    let _ = rtcscope_tests::bin();
    let handles: Vec<_> = matrix()
        .into_iter()
        .filter(|e| {
            matches!(
                e.kind,
                "restricted" | "port-restricted" | "symmetric-sequential" | "open"
            )
        })
        .map(|exp| {
            std::thread::spawn(move || {
                // Every fifth packet each way is dropped (deterministic).
                let mut lab = Lab::up(exp.kind, Some("every5"));
                lab.start_rtcscope_servers(exp.family);
                let mut diffs = Vec::new();
                for run in 0..3 {
                    let (r, _) = lab.nat_json(&servers(exp.family), &[]);
                    diffs.extend(
                        compare(&exp, &r)
                            .into_iter()
                            .map(|d| format!("{} run {run}: {d}", exp.kind)),
                    );
                }
                diffs
            })
        })
        .collect();
    let diffs: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("lab thread"))
        .collect();
    assert!(diffs.is_empty(), "{diffs:#?}");
}

#[test]
fn plain_servers_compare_mappings_and_leave_filtering_unknown() {
    if !require_root("natlab::plain_servers") {
        return;
    }
    let _ = rtcscope_tests::bin();
    for (kind, mapping, classic) in [
        (
            "port-restricted",
            "endpoint-independent",
            "cone-filtering-unknown",
        ),
        ("symmetric-random", "endpoint-dependent", "symmetric"),
    ] {
        let mut lab = Lab::up(kind, None);
        // Two plain RFC 5389 servers on different hosts: no OTHER-ADDRESS anywhere.
        lab.start_second_server(4);
        let bin = rtcscope_tests::bin().to_string_lossy().into_owned();
        let ns = lab.get("server_ns").to_string();
        let (p, _) = (lab.get("server_primary").to_string(), ());
        let mut child = std::process::Command::new("ip")
            .args(["netns", "exec", &ns, &bin, "stun-server", "--primary", &p])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("server starts");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
            &mut line,
        )
        .expect("ready line");
        let (r, _) = lab.nat_json(&servers(4), &[]);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(r["mapping"], mapping, "{kind}: {r:#}");
        assert_eq!(r["filtering"], "unknown", "{kind}: {r:#}");
        assert_eq!(r["classic"], classic, "{kind}: {r:#}");
        assert!(
            r["filtering_basis"]
                .as_str()
                .unwrap_or("")
                .contains("no OTHER-ADDRESS"),
            "{r:#}"
        );
    }
}

#[test]
fn binding_lifetime_follows_the_conntrack_timeout() {
    if !require_root("natlab::lifetime") {
        return;
    }
    let _ = rtcscope_tests::bin();
    // nf_conntrack_udp_timeout=3 in the router: a binding dies after 3 s of silence.
    let mut lab = Lab::up("short-timeout", None);
    lab.start_rtcscope_servers(4);
    let (r, _) = lab.nat_json(&servers(4), &["--lifetime", "10"]);
    let l = &r["lifetime"];
    assert_eq!(l["result"], "between", "{r:#}");
    let alive = l["alive_s"].as_f64().unwrap_or(-1.0);
    let dead = l["dead_s"].as_f64().unwrap_or(-1.0);
    assert!((2.0..=3.0).contains(&alive), "alive {alive}: {r:#}");
    assert!((3.0..=4.0).contains(&dead), "dead {dead}: {r:#}");
    assert_eq!(r["classic"], "port-restricted-cone");
}
