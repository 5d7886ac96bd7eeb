//! `rtcscope turn` against coturn in the NAT lab: good and bad long-term credentials, TURN REST
//! credentials minted from a shared secret, UDP, TCP and TLS (`turns:`, `stuns:` with a
//! throwaway CA made by `openssl`), and the password kept out of output.

use rtcscope_testkit::{require_root, require_tool};
use rtcscope_tests::natlab::{CoturnAuth, Lab};
use rtcscope_tests::{stderr, stdout};
use serde_json::Value;

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}\n{}", stdout(out), stderr(out)))
}

fn step_names(r: &Value) -> Vec<String> {
    r["steps"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|s| s["ok"] == true)
                .map(|s| s["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A TURN check that went all the way through coturn in the lab: relayed on the server's
/// primary address, reflexive on the NAT's outside address, five echoes, released, and every
/// step of the flow (after `first_steps`) in the report.
fn assert_full_turn_flow(r: &Value, first_steps: &[&str]) {
    assert_eq!(r["success"], true, "{r:#}");
    assert_eq!(r["realm"], "lab.example");
    let relayed = r["relayed"].as_str().unwrap_or("");
    assert!(relayed.starts_with("198.51.100.2:"), "{r:#}");
    let srflx = r["srflx"].as_str().unwrap_or("");
    assert!(srflx.starts_with("203.0.113.1:"), "{r:#}");
    assert_eq!(r["lifetime"], 600);
    assert_eq!(r["released"], true);
    assert_eq!(r["echo_rtt_ms"].as_array().map(Vec::len), Some(5));
    let names = step_names(r);
    let flow = [
        "Allocate (unauthenticated)",
        "Allocate (authenticated)",
        "CreatePermission",
        "Data indication",
        "Send indication",
        "ChannelBind",
        "ChannelData echo",
        "Refresh (LIFETIME 0)",
    ];
    for want in first_steps.iter().chain(&flow) {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
}

#[test]
fn turn_check_against_coturn_with_long_term_credentials() {
    if !require_root("nat_turn::long_term") || require_tool("nat_turn", "turnserver").is_none() {
        return;
    }
    let mut lab = Lab::up("port-restricted", None);
    lab.start_coturn(
        4,
        &CoturnAuth {
            users: vec!["alice:correct-horse-battery".into()],
            ..CoturnAuth::default()
        },
    );
    let dir = std::env::temp_dir().join(format!("rtcscope-turn-{}", lab.name));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pass = dir.join("pass");
    std::fs::write(&pass, "correct-horse-battery\n").expect("write pass file");
    let pass = pass.to_string_lossy().into_owned();
    let (out, _) = lab.rtcscope(&[
        "turn",
        "--json",
        "--user",
        "alice",
        "--pass-file",
        &pass,
        "turn:198.51.100.2:3478",
        "turn:198.51.100.2:3478?transport=tcp",
        "stun:198.51.100.2",
    ]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("correct-horse") && !stderr(&out).contains("correct-horse"));
    let v = json(&out);
    for (i, transport) in [(0, "udp"), (1, "tcp")] {
        let r = &v[i];
        assert_eq!(r["transport"], transport, "{r:#}");
        assert_full_turn_flow(r, &[]);
    }
    assert_eq!(v[2]["success"], true);
    assert!(v[2]["srflx"]
        .as_str()
        .unwrap_or("")
        .starts_with("203.0.113.1:"));

    // Wrong password, from the environment this time: 401 explained, exit status 1, and the
    // password appears nowhere.
    let (out, _) = lab.exec(
        lab.get("client_ns"),
        &rtcscope_tests::bin().to_string_lossy(),
        &["turn", "--user", "alice", "turn:198.51.100.2"],
        &[("RTCSCOPE_TURN_PASSWORD", "wrong-password-1234")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("401") && text.contains("credentials were rejected"),
        "{text}"
    );
    assert!(!text.contains("wrong-password-1234") && !stderr(&out).contains("wrong-password-1234"));

    // There is no --pass option to leak a password into the process list.
    let (out, _) = lab.rtcscope(&[
        "turn",
        "--user",
        "alice",
        "--pass",
        "x",
        "turn:198.51.100.2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn turn_rest_credentials_from_a_shared_secret() {
    if !require_root("nat_turn::rest") || require_tool("nat_turn", "turnserver").is_none() {
        return;
    }
    let mut lab = Lab::up("full-cone", None);
    lab.start_coturn(
        4,
        &CoturnAuth {
            secret: Some("lab-shared-secret".into()),
            ..CoturnAuth::default()
        },
    );
    let dir = std::env::temp_dir().join(format!("rtcscope-turn-{}", lab.name));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let secret = dir.join("secret");
    std::fs::write(&secret, "lab-shared-secret\n").expect("write secret");
    let secret = secret.to_string_lossy().into_owned();
    let (out, _) = lab.rtcscope(&[
        "turn",
        "--json",
        "--user",
        "bob",
        "--secret-file",
        &secret,
        "turn:198.51.100.2?transport=udp",
    ]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let v = json(&out);
    assert_eq!(v[0]["success"], true, "{v:#}");
    // The same from the environment, and a wrong secret refused with 401.
    let bin = rtcscope_tests::bin().to_string_lossy().into_owned();
    let (out, _) = lab.exec(
        lab.get("client_ns"),
        &bin,
        &["turn", "--json", "--user", "bob", "turn:198.51.100.2"],
        &[("RTCSCOPE_TURN_SECRET", "lab-shared-secret")],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let (out, _) = lab.exec(
        lab.get("client_ns"),
        &bin,
        &["turn", "--json", "--user", "bob", "turn:198.51.100.2"],
        &[("RTCSCOPE_TURN_SECRET", "not-the-secret")],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v[0]["error"]["code"], 401, "{v:#}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn turns_and_stuns_over_tls_against_coturn() {
    if !require_root("nat_turn::tls")
        || require_tool("nat_turn", "turnserver").is_none()
        || require_tool("nat_turn", "openssl").is_none()
    {
        return;
    }
    let mut lab = Lab::up("port-restricted", None);
    let tls = lab.tls_certificates("198.51.100.2");
    lab.start_coturn(
        4,
        &CoturnAuth {
            users: vec!["alice:correct-horse-battery".into()],
            tls: Some(tls.clone()),
            ..CoturnAuth::default()
        },
    );
    let pass = lab.temp_dir().join("pass");
    std::fs::write(&pass, "correct-horse-battery\n").expect("write pass file");
    let pass = pass.to_string_lossy().into_owned();
    let ca = tls.ca.to_string_lossy().into_owned();
    // The fingerprint as openssl computes it, to compare with the one rtcscope reports.
    let fp = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&tls.cert)
        .output()
        .expect("openssl runs");
    let fp = stdout(&fp);
    let fp = fp.trim().rsplit('=').next().unwrap_or("").to_string();
    assert_eq!(fp.len(), 95, "openssl fingerprint: {fp}");
    let uris = ["turns:198.51.100.2:5349", "stuns:198.51.100.2:5349"];
    let turn = |extra: &[&str]| {
        let mut args = vec!["turn", "--user", "alice", "--pass-file", &pass];
        args.extend_from_slice(extra);
        args.extend_from_slice(&uris);
        lab.rtcscope(&args)
    };

    // 1. The CA given with --ca: the whole TURN flow over TLS, and a Binding over TLS.
    let (out, _) = turn(&["--json", "--ca", &ca]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("correct-horse") && !stderr(&out).contains("correct-horse"));
    let v = json(&out);
    assert_full_turn_flow(&v[0], &["TLS handshake", "certificate"]);
    for r in [&v[0], &v[1]] {
        let t = &r["tls"];
        assert_eq!(r["transport"], "tls", "{r:#}");
        assert_eq!(r["success"], true, "{r:#}");
        assert!(
            matches!(t["version"].as_str(), Some("TLS 1.3" | "TLS 1.2")),
            "{t:#}"
        );
        assert!(
            t["cipher_suite"].as_str().unwrap_or("").starts_with("TLS_"),
            "{t:#}"
        );
        assert_eq!(t["server_name"], "198.51.100.2");
        assert_eq!(t["certificate_verified"], true, "{t:#}");
        assert!(
            t["verification"].as_str().unwrap_or("").contains(&ca),
            "{t:#}"
        );
        assert_eq!(t["certificate_sha256"], fp.as_str(), "{t:#}");
        assert!(t["handshake_ms"].as_f64().is_some_and(|m| m > 0.0), "{t:#}");
    }
    assert!(v[1]["srflx"]
        .as_str()
        .unwrap_or("")
        .starts_with("203.0.113.1:"));
    assert!(v[1]["relayed"].is_null());

    // 2. Without --ca the throwaway CA is not trusted: a clear failure, exit status 1.
    let (out, _) = turn(&["--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let v = json(&out);
    for r in [&v[0], &v[1]] {
        assert_eq!(r["success"], false, "{r:#}");
        assert_eq!(r["tls"]["certificate_verified"], false, "{r:#}");
        let e = &r["error"];
        assert_eq!(e["request"], "TLS handshake", "{r:#}");
        assert_eq!(e["reason"], "certificate not trusted", "{r:#}");
        let why = e["explanation"].as_str().unwrap_or("");
        assert!(
            why.contains("not trusted") && why.contains("198.51.100.2") && why.contains("--ca"),
            "{why}"
        );
        assert!(r["relayed"].is_null(), "{r:#}");
    }
    // The same, as a person reads it.
    let (out, _) = turn(&[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("FAILED") && text.contains("is not trusted"),
        "{text}"
    );

    // 3. --insecure: the check runs, and the report says plainly the certificate was not
    // verified.
    let (out, _) = turn(&["--json", "--insecure"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let v = json(&out);
    for r in [&v[0], &v[1]] {
        assert_eq!(r["success"], true, "{r:#}");
        let t = &r["tls"];
        assert_eq!(t["certificate_verified"], false, "{t:#}");
        assert!(
            t["verification"]
                .as_str()
                .unwrap_or("")
                .starts_with("certificate not verified (--insecure)"),
            "{t:#}"
        );
    }
    assert_eq!(v[0]["released"], true);
    let (out, _) = turn(&["--insecure"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("certificate not verified (--insecure)") && text.contains("tls "),
        "{text}"
    );
    assert!(!text.contains("correct-horse") && !stderr(&out).contains("correct-horse"));
}
