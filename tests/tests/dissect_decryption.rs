//! `rtcscope dissect --keylog`: what DTLS records, SRTP and SRTCP hold, packet by packet, on
//! the Firefox recordings with their key logs. The engine that `analyze` runs decrypts beside
//! the dissector, so the packets `dissect` shows decrypted must be exactly the ones `analyze`
//! counts as decrypted, and every data-channel message `analyze` lists must be readable in
//! `dissect`'s lines.

use rtcscope_testkit::fixtures;
use rtcscope_tests::{run, stderr, stdout};
use serde_json::Value;

const RECORDINGS: [&str; 5] = [
    "firefox-direct",
    "firefox-relay",
    "firefox-relay-tcp",
    "firefox-chromium",
    "firefox-janus",
];

fn json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn paths(name: &str) -> (String, String) {
    let dir = fixtures().join("webrtc").join(name);
    (
        dir.join("capture.pcapng").display().to_string(),
        dir.join("keylog.txt").display().to_string(),
    )
}

/// Sums an association figure of `analyze --json`'s decryption report.
fn sum(report: &Value, path: &[&str]) -> u64 {
    report["decryption"]["associations"]
        .as_array()
        .expect("associations")
        .iter()
        .map(|a| path.iter().fold(a, |v, k| &v[*k]).as_u64().unwrap_or(0))
        .sum()
}

#[test]
fn dissect_decrypts_the_packets_analyze_decrypts() {
    for name in RECORDINGS {
        let (cap, keylog) = paths(name);
        let report = json(&["analyze", "--json", "--keylog", &keylog, &cap]);
        let packets = json(&["dissect", "--json", "--keylog", &keylog, &cap]);
        let packets = packets.as_array().expect("an array of packets");
        let mut by_protocol = std::collections::BTreeMap::<String, u64>::new();
        for p in packets {
            for d in p["decrypted"].as_array().into_iter().flatten() {
                *by_protocol
                    .entry(d["protocol"].as_str().unwrap_or_default().to_owned())
                    .or_default() += 1;
                // Every decrypted tree says its offsets are into the plaintext.
                let top = d["tree"]["value"].as_str().unwrap_or_default();
                assert!(
                    top.contains("offsets in this tree are into the plaintext"),
                    "{d}"
                );
            }
        }
        let got = |p: &str| by_protocol.get(p).copied().unwrap_or(0);
        let rtp = sum(&report, &["srtp", "rtp_decrypted"]);
        let rtcp = sum(&report, &["srtp", "rtcp_decrypted"]);
        let records = sum(&report, &["records_decrypted"]);
        assert!(
            rtp > 100 && rtcp > 10 && records > 10,
            "{name}: {by_protocol:?}"
        );
        assert_eq!(got("RTP"), rtp, "{name}: decrypted SRTP packets");
        assert_eq!(got("RTCP"), rtcp, "{name}: decrypted SRTCP packets");
        assert_eq!(
            got("SCTP") + got("DTLS"),
            records,
            "{name}: decrypted DTLS records"
        );
        assert_eq!(
            got("SCTP"),
            sum(&report, &["application_data_sctp"]),
            "{name}: application data read as SCTP"
        );
    }
}

#[test]
fn data_channel_messages_and_rtcp_are_readable_in_the_lines() {
    let (cap, keylog) = paths("firefox-direct");
    let report = json(&["analyze", "--json", "--keylog", &keylog, &cap]);
    let out = run(&["dissect", "--keylog", &keylog, &cap]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let messages: Vec<&str> = report["decryption"]["associations"][0]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(messages.len(), 6, "the recording's six chat messages");
    for m in &messages {
        assert!(
            text.lines()
                .any(|l| l.contains("[decrypted: ") && l.contains(&format!("\"{m}\""))),
            "message {m:?} not shown decrypted"
        );
    }
    assert!(
        text.contains("DATA_CHANNEL_OPEN label=\"chat\""),
        "no DCEP open"
    );
    // DTLS 1.3 encrypts the certificates; decrypted, the handshake is readable.
    assert!(text.contains("[decrypted: Certificate ; Certificate Verify ; Finished]"));
    // SRTCP read to its end: the sender reports behind the first packet's header.
    let verbose = stdout(&run(&[
        "dissect", "-V", "--keylog", &keylog, "--proto", "rtcp", "-c", "400", &cap,
    ]));
    assert!(verbose.contains("Decrypted SRTCP: "), "no decrypted SRTCP");
    assert!(
        verbose.contains("Sender Report"),
        "no sender report inside SRTCP"
    );
    // `--proto sctp` finds the data channel inside the encrypted records.
    let sctp = stdout(&run(&[
        "dissect", "--proto", "sctp", "--keylog", &keylog, &cap,
    ]));
    assert_eq!(
        sctp.lines().count() as u64,
        report["decryption"]["associations"][0]["application_data_sctp"]
            .as_u64()
            .unwrap(),
        "{sctp}"
    );
    // No key, nothing decrypted, and nothing claims to be.
    let plain = stdout(&run(&["dissect", &cap]));
    assert!(!plain.contains("[decrypted"), "decrypted without a key");
    let plain = json(&["dissect", "--json", &cap]);
    assert!(plain
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p.get("decrypted").is_none()));
}

#[test]
fn another_calls_key_log_decrypts_nothing_and_says_no_secret() {
    let (cap, _) = paths("firefox-direct");
    let (_, other) = paths("firefox-chromium");
    let out = run(&["dissect", "--keylog", &other, &cap]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains("[decrypted"),
        "decrypted with the wrong keys"
    );
    let keylog = std::fs::read_to_string(&other).unwrap();
    for secret in keylog.lines().filter_map(|l| l.split_whitespace().nth(2)) {
        assert!(!text.contains(&secret[..16.min(secret.len())]));
    }
    // A file that is not a key log is refused by name, as analyze refuses it.
    let out = run(&["dissect", "--keylog", &cap, &cap]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no usable key log line"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn dissect_v_shows_the_vp8_descriptor_of_decrypted_video() {
    // With the SDPs (RED 122 around VP8 120) each decrypted video packet shows its VP8
    // payload descriptor; key frames say their size. Counted over the whole capture, the
    // key-frame first packets are the 2 key frames analyze reports (one each way).
    let dir = fixtures().join("webrtc").join("firefox-chromium");
    let (cap, keylog) = paths("firefox-chromium");
    let offer = dir.join("offer.sdp").display().to_string();
    let answer = dir.join("answer.sdp").display().to_string();
    let args = [
        "dissect", "-r", &cap, "--keylog", &keylog, "--sdp", &offer, "--sdp", &answer,
    ];
    let out = run(&[&args[..], &["-V"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("    VP8 payload descriptor: S=1 PID=0 picture id "),
        "{text}"
    );
    assert!(text.contains("        Key frame size: 320×240 (scale 0, 0)"));
    let out = run(&args);
    let lines = stdout(&out);
    let keys = lines
        .lines()
        .filter(|l| l.contains(", key frame 320×240]"))
        .count();
    assert_eq!(keys, 2, "{lines}");
    // 139 + 138 frames, each starting with one S=1 PID=0 packet.
    let starts = lines
        .lines()
        .filter(|l| l.contains("VP8 S=1 PID=0"))
        .count();
    assert_eq!(starts, 139 + 138);
    // Without the SDP nothing claims to know the codec.
    let out = run(&["dissect", "-r", &cap, "--keylog", &keylog]);
    assert!(!stdout(&out).contains("VP8 S="));
}
