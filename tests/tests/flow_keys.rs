//! Every report item names its flow, transport included (issue #10): in `analyze --json` on
//! the recordings, each stream, DTLS association, ICE pair, RTCP sender and data-channel
//! association carries a flow key `{transport, lo, hi, relay}`, and each reflexive address the
//! transport of its exchange.

use rtcscope_tests::run;
use serde_json::Value;

fn has_flow(v: &Value) -> bool {
    let f = &v["flow"];
    matches!(f["transport"].as_str(), Some("udp" | "tcp"))
        && f["lo"].is_string()
        && f["hi"].is_string()
}

#[test]
fn every_item_carries_its_flow_key() {
    let mut seen = [0usize; 6];
    for rec in [
        "direct",
        "relay",
        "fail-tcp-turn",
        "firefox-direct",
        "firefox-relay",
    ] {
        let dir = rtcscope_testkit::fixtures().join("webrtc").join(rec);
        let cap = dir.join("capture.pcapng");
        let mut args = vec![
            "analyze".to_owned(),
            "--json".to_owned(),
            cap.to_string_lossy().into(),
        ];
        let keylog = dir.join("keylog.txt");
        if keylog.exists() {
            args.extend(["--keylog".into(), keylog.to_string_lossy().into()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        assert!(out.status.success(), "{rec}");
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let lists = [
            ("streams", &r["streams"]),
            ("dtls", &r["dtls"]),
            ("rtcp_senders", &r["rtcp_senders"]),
            ("data_channels", &r["data_channels"]),
        ];
        for (i, (name, list)) in lists.iter().enumerate() {
            for item in list.as_array().into_iter().flatten() {
                assert!(
                    has_flow(item),
                    "{rec}: {name} item without a flow key: {item}"
                );
                seen[i] += 1;
            }
        }
        for s in r["ice_sessions"].as_array().into_iter().flatten() {
            for p in s["pairs"].as_array().into_iter().flatten() {
                assert!(has_flow(p), "{rec}: pair without a flow key: {p}");
                seen[4] += 1;
            }
        }
        for x in r["reflexive"].as_array().into_iter().flatten() {
            assert!(
                matches!(x["transport"].as_str(), Some("udp" | "tcp")),
                "{rec}: {x}"
            );
            seen[5] += 1;
        }
    }
    // Each kind of item was there to check.
    assert!(
        seen.iter().all(|&n| n > 0),
        "items checked per kind: {seen:?}"
    );
}
