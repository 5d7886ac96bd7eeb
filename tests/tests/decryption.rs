//! `rtcscope analyze` with keys, end to end through the binary: `--keylog`, the key log of a
//! pcapng Decryption Secrets Block (written by `editcap --inject-secrets`), `--srtp-key` with
//! its errors, and no key or secret ever in the text or JSON output.
//! (The engine's figures against getStats: crates/analysis/tests/decryption.rs.)

use rtcscope_testkit::{fixtures, require_tool};
use rtcscope_tests::{bin, stderr, stdout};
use std::process::Command;

fn analyze(args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .arg("analyze")
        .args(args)
        .output()
        .unwrap()
}

fn secrets(keylog: &str) -> Vec<String> {
    keylog
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|s| s.len() >= 32)
        .map(|s| s[..16].to_ascii_lowercase())
        .collect()
}

fn assert_no_secret(out: &str, secrets: &[String]) {
    let low = out.to_ascii_lowercase();
    for s in secrets {
        assert!(
            !low.contains(s.as_str()),
            "a secret prefix {s}… in the output"
        );
    }
}

#[test]
fn keylog_shows_the_data_channel_and_authenticated_media() {
    let dir = fixtures().join("webrtc/firefox-direct");
    let cap = dir.join("capture.pcapng");
    let keylog = dir.join("keylog.txt");
    let out = analyze(&[cap.to_str().unwrap(), "--keylog", keylog.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("keys found in the key log"), "{text}");
    assert!(text.contains("SRTP profile (srtpCipher): SRTP_AEAD_AES_128_GCM"));
    assert!(
        text.contains("authenticated and decrypted, 0 failed"),
        "{text}"
    );
    assert!(text.contains("stream 1 \"chat\" PPID 51, 49 B: \"message 1 from peer A"));
    assert!(text.contains("data-channel messages: 6"));
    let secrets = secrets(&std::fs::read_to_string(&keylog).unwrap());
    assert_no_secret(&text, &secrets);
    let json = analyze(&[
        cap.to_str().unwrap(),
        "--keylog",
        keylog.to_str().unwrap(),
        "--json",
    ]);
    assert!(json.status.success());
    assert_no_secret(&stdout(&json), &secrets);

    // Without keys the data channel is still there, as encrypted records.
    let plain = stdout(&analyze(&[cap.to_str().unwrap()]));
    assert!(
        plain.contains("27 application-data records inside DTLS (data channel, encrypted)"),
        "{plain}"
    );
}

#[test]
fn a_decryption_secrets_block_is_used_without_keylog() {
    let Some(editcap) = require_tool(
        "a_decryption_secrets_block_is_used_without_keylog",
        "editcap",
    ) else {
        return;
    };
    let dir = fixtures().join("webrtc/firefox-relay");
    let tmp = std::env::temp_dir().join(format!("rtcscope-dsb-{}.pcapng", std::process::id()));
    let st = Command::new(editcap)
        .arg("--inject-secrets")
        .arg(format!("tls,{}", dir.join("keylog.txt").display()))
        .arg(dir.join("capture.pcapng"))
        .arg(&tmp)
        .status()
        .unwrap();
    assert!(st.success());
    let out = analyze(&[tmp.to_str().unwrap()]);
    let _ = std::fs::remove_file(&tmp);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("keys found in the key log"), "{text}");
    assert!(
        text.contains("authenticated and decrypted, 0 failed"),
        "{text}"
    );
    assert!(text.contains("[inside TURN #"), "{text}");
    assert_no_secret(
        &text,
        &secrets(&std::fs::read_to_string(dir.join("keylog.txt")).unwrap()),
    );
}

#[test]
fn srtp_key_mistakes_are_explained_without_echoing_the_key() {
    let cap = fixtures().join("webrtc/firefox-direct/capture.pcapng");
    let cap = cap.to_str().unwrap();
    for (spec, expect) in [
        // A certificate fingerprint is not a key.
        (
            "sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B",
            "fingerprint",
        ),
        // Too short for AES_CM_128 key||salt.
        ("AES_CM_128_HMAC_SHA1_80:PS1uQCVeeCFCanVm", "--srtp-key #1"),
        // A scope that is neither an SSRC nor an address.
        (
            "nowhere@AES_CM_128_HMAC_SHA1_80:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
            "neither an SSRC",
        ),
    ] {
        let out = analyze(&[cap, "--srtp-key", spec]);
        assert!(!out.status.success(), "{spec}");
        let err = stderr(&out);
        assert!(err.contains(expect), "{spec}: {err}");
        assert!(!err.contains("PS1uQCVe") && !err.contains("4A:AD:B9"), "{err}");
    }
}

#[test]
fn a_file_that_is_not_a_key_log_is_refused() {
    let dir = fixtures().join("webrtc/firefox-direct");
    let cap = dir.join("capture.pcapng");
    let sdp = dir.join("offer.sdp");
    let out = analyze(&[cap.to_str().unwrap(), "--keylog", sdp.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("no usable key log line"), "{err}");
    let out = analyze(&[cap.to_str().unwrap(), "--keylog", "/nonexistent/keylog.txt"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot read key log"),
        "{}",
        stderr(&out)
    );
}

/// `export --keylog --sdp` reveals what `analyze --keylog --sdp` reveals: the SRTP profile DTLS
/// 1.3 encrypts, and the certificate fingerprint checked against the SDP; without keys the
/// profile is unknown, as in analyze.
#[test]
fn export_with_keys_reveals_what_analyze_reveals() {
    let dir = fixtures().join("webrtc/firefox-direct");
    let cap = dir.join("capture.pcapng").display().to_string();
    let keylog = dir.join("keylog.txt").display().to_string();
    let offer = dir.join("offer.sdp").display().to_string();
    let answer = dir.join("answer.sdp").display().to_string();
    let tmp = std::env::temp_dir().join(format!("rtcscope-export-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let dtls_row = |out: &str, keys: &[&str]| -> serde_json::Value {
        let o = Command::new(bin())
            .args(["export", "--format", "jsonl", "-o", out])
            .args(keys)
            .arg(&cap)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let dtls = std::path::Path::new(out).join("dtls/capture=capture");
        let file = std::fs::read_dir(&dtls)
            .expect("the dtls table")
            .next()
            .expect("a part file")
            .unwrap()
            .path();
        let text = std::fs::read_to_string(file).unwrap();
        serde_json::from_str(text.lines().next().expect("one handshake")).unwrap()
    };
    let with = tmp.join("with").display().to_string();
    let keys = ["--keylog", &keylog, "--sdp", &offer, "--sdp", &answer];
    let row = dtls_row(&with, &keys);
    let report: serde_json::Value = serde_json::from_slice(
        &analyze(&[
            "--json", &cap, "--keylog", &keylog, "--sdp", &offer, "--sdp", &answer,
        ])
        .stdout,
    )
    .unwrap();
    let d = &report["dtls"][0];
    assert_eq!(row["srtp_profile"], d["srtp_profile"]["value"], "{row}");
    assert_eq!(row["srtp_profile"], "SRTP_AEAD_AES_128_GCM");
    assert_eq!(row["fingerprint_check"], "match", "{row}");
    let without = tmp.join("without").display().to_string();
    let row = dtls_row(&without, &[]);
    assert!(row["srtp_profile"].is_null(), "{row}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn keylog_and_sdp_show_the_video_frames_in_text_and_json() {
    // firefox-chromium: Chromium's outbound-rtp says 138 frames sent, 1 key frame encoded,
    // 320×240 (crates/analysis/tests/frames.rs compares every figure with getStats).
    let dir = fixtures().join("webrtc/firefox-chromium");
    let p = |f: &str| dir.join(f).display().to_string();
    let (cap, keylog, offer, answer) = (
        p("capture.pcapng"),
        p("keylog.txt"),
        p("offer.sdp"),
        p("answer.sdp"),
    );
    let base = [
        cap.as_str(),
        "--sdp",
        offer.as_str(),
        "--sdp",
        answer.as_str(),
    ];
    let out = analyze(&[&base[..], &["--keylog", keylog.as_str()]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("VP8 frames: 138 (1 key, 138 complete), 320×240"),
        "{text}"
    );
    assert!(text.contains("VP8 frames: 139 (1 key, 139 complete), 320×240"));
    let json = analyze(&[&base[..], &["--keylog", keylog.as_str(), "--json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let chromium = v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["ssrc"] == 1441010317u32)
        .unwrap();
    let f = &chromium["frames"];
    assert_eq!(f["frames"], 138);
    assert_eq!(f["key_frames"], 1);
    assert_eq!(f["resolution"]["width"], 320);
    assert_eq!(f["codec"], "VP8");
    // Decrypted without the SDP, no SDP names PT 122: the packets show VP8 inside RED
    // (crates/analysis/src/codec_inference.rs), the same frames are read, and the text says
    // the codec was inferred.
    let out = analyze(&[cap.as_str(), "--keylog", keylog.as_str()]);
    let text = stdout(&out);
    let inferred = "VP8 frames inside RED, primary PT 120 (codec inferred from the packets; \
                    the SDP may say otherwise)";
    assert!(
        text.contains(&format!("{inferred}: 138 (1 key, 138 complete), 320×240")),
        "{text}"
    );
    assert!(text.contains(&format!("{inferred}: 139 (1 key, 139 complete), 320×240")));
    assert_eq!(text.matches("RED (VP8, inferred)").count(), 2, "{text}");
    assert!(!text.contains("frames: not known"), "{text}");
    // Without keys nothing is known: no frame line, null in JSON.
    let out = analyze(&base);
    let text = stdout(&out);
    assert!(!text.contains("VP8 frames"), "{text}");
    assert!(text.contains("frames: not known (SRTP"), "{text}");
    let json = analyze(&[&base[..], &["--json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["frames"].is_null()));
}
