//! The DTLS certificate check against the SDP's `a=fingerprint` and the SRTP profile from
//! use_srtp, on DTLS 1.2 recordings made with openssl (fixtures/dtls) and a browser's DTLS
//! handshake from the corpus. (Browsers now negotiate DTLS 1.3, where both travel encrypted:
//! tests/tests/ground_truth.rs checks that they are reported as such.)

use rtcscope_testkit::{corpus, fixtures};
use rtcscope_tests::{run, stderr};
use serde_json::Value;

fn expected(key: &str) -> String {
    let text = std::fs::read_to_string(fixtures().join("dtls/dtls12-srtp.expected")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} in dtls12-srtp.expected"))
        .to_owned()
}

/// A minimal offer/answer pair carrying the two fingerprints, as a signalling would.
fn sdp_with(fingerprint: &str) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\n\
         a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n\
         a=fingerprint:{fingerprint}\r\na=setup:actpass\r\na=rtcp-mux\r\n\
         a=rtpmap:111 opus/48000/2\r\n"
    )
}

fn analyze_with(sdps: &[String]) -> Value {
    let dir =
        std::env::temp_dir().join(format!("rtcscope-fp-{}-{}", std::process::id(), sdps.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec!["analyze".to_owned(), "--json".to_owned()];
    for (i, s) in sdps.iter().enumerate() {
        let p = dir.join(format!("{i}.sdp"));
        std::fs::write(&p, s).unwrap();
        args.push("--sdp".into());
        args.push(p.display().to_string());
    }
    args.push("fixtures/dtls/dtls12-srtp.pcapng".into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&argv);
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn certificates_match_the_sdp_fingerprints() {
    let server = expected("server_fingerprint");
    let client = expected("client_fingerprint");
    let r = analyze_with(&[sdp_with(&server), sdp_with(&client)]);
    let d = &r["dtls"][0];
    assert_eq!(d["version"], "DTLS 1.2");
    assert_eq!(d["fingerprint_check"], "match", "{d:#}");
    assert_eq!(
        d["server_certificates"]["value"][0]["sha256"],
        server.as_str()
    );
    assert_eq!(
        d["client_certificates"]["value"][0]["sha256"],
        client.as_str()
    );
    // openssl's name for the profile is SRTP_AES128_CM_SHA1_80 (RFC 5764's SRTP_AES128_CM_HMAC_SHA1_80).
    assert_eq!(expected("srtp_profile"), "SRTP_AES128_CM_SHA1_80");
    assert_eq!(d["srtp_profile"]["seen"], "clear");
    assert_eq!(d["srtp_profile"]["value"], "SRTP_AES128_CM_HMAC_SHA1_80");
    assert_eq!(d["hello_verify_request"], true);
}

#[test]
fn a_changed_fingerprint_is_a_mismatch() {
    let server = expected("server_fingerprint");
    let client = expected("client_fingerprint");
    // Flip the last hex digit of the server's fingerprint: what a man in the middle, or the
    // wrong SDP, looks like.
    let mut forged = server.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let r = analyze_with(&[sdp_with(&forged), sdp_with(&client)]);
    assert_eq!(r["dtls"][0]["fingerprint_check"], "mismatch");
    // Without any SDP the check says so instead of guessing.
    let r = analyze_with(&[]);
    assert_eq!(r["dtls"][0]["fingerprint_check"], "no_sdp");
}

#[test]
fn a_browser_handshake_from_the_corpus() {
    let Some(c) = corpus("dtls_fingerprint::a_browser_handshake") else {
        return;
    };
    let path = c.join("zeek/webrtc-stun.pcap");
    let out = run(&["analyze", "--json", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &r["dtls"][0];
    assert_eq!(d["version"], "DTLS 1.0");
    assert_eq!(d["srtp_profile"]["value"], "SRTP_AES128_CM_HMAC_SHA1_80");
    assert_eq!(d["client_certificates"]["seen"], "clear");
    assert_eq!(d["server_certificates"]["seen"], "clear");
    assert!(d["duration_ms"].as_f64().unwrap() > 0.0);
    // The same flow carried the ICE checks: one session, the selected pair on this flow.
    assert_eq!(r["ice_sessions"].as_array().unwrap().len(), 1);
}
