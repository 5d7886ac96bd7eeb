//! Live capture without the privilege to capture: a clear message naming the fix, exit status 2,
//! no panic. As root the test drops to `nobody` with setpriv (util-linux); as a normal user it
//! runs as is, so it needs no skip either way.

use rtcscope_tests::bin;
use std::process::Command;

fn unprivileged(args: &[&str]) -> std::process::Output {
    let is_root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    let mut cmd = if is_root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(bin());
        c
    } else {
        Command::new(bin())
    };
    cmd.args(args).output().expect("rtcscope runs")
}

#[test]
fn analyze_live_without_privileges_explains_the_fix() {
    let out = unprivileged(&["analyze", "-i", "lo", "-c", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no permission to capture on lo"), "{err}");
    assert!(
        err.contains("setcap cap_net_raw,cap_net_admin=eip"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn listing_interfaces_works_without_privileges() {
    let out = unprivileged(&["analyze", "-D"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.lines().any(|l| l.contains(". lo")), "{text}");
}
