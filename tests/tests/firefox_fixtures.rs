//! `rtcscope analyze` on the Firefox recordings of fixtures/webrtc (record.sh firefox-direct,
//! firefox-relay, firefox-chromium): a first check that the engine sees the calls the browsers
//! describe in their `getStats()`. Not the field-by-field comparison (see ground_truth.rs for the
//! Chromium one); just the skeleton every later comparison stands on:
//! * one ICE session holding both peers' ufrags, in which each agent's selected pair has the
//!   addresses of the pair getStats marks selected;
//! * a DTLS 1.3 handshake (getStats `tlsVersion` "FEFC") with getStats' `dtlsCipher`;
//! * RTP streams whose SSRCs, RTX aside, are exactly the `outbound-rtp` SSRCs of both peers
//!   (Firefox's outbound-rtp has no `rtxSsrc`: every RTX stream must repair one of them);
//! * the key log beside the capture holds the DTLS 1.3 secrets the decryption stage needs.

use rtcscope_testkit::fixtures;
use rtcscope_tests::{run, stderr};
use serde_json::Value;
use std::collections::BTreeSet;

struct Recording {
    name: &'static str,
    stats: [Vec<Value>; 2],
    ufrags: [String; 2],
    report: Value,
}

fn ufrag_of(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=ice-ufrag:"))
        .expect("an ice-ufrag")
        .trim()
        .to_owned()
}

fn load(name: &'static str) -> Recording {
    let base = fixtures().join("webrtc").join(name);
    let read = |f: &str| {
        std::fs::read_to_string(base.join(f)).unwrap_or_else(|e| panic!("{name}/{f}: {e}"))
    };
    let stats = |f: &str| -> Vec<Value> {
        let v: Value = serde_json::from_str(&read(f)).unwrap();
        v.as_array().expect("getStats as an array").clone()
    };
    let dir = format!("fixtures/webrtc/{name}");
    let out = run(&[
        "analyze",
        "--json",
        "--sdp",
        &format!("{dir}/offer.sdp"),
        "--sdp",
        &format!("{dir}/answer.sdp"),
        &format!("{dir}/capture.pcapng"),
    ]);
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    Recording {
        name,
        // Peer A made the offer, B the answer (fixtures/webrtc/README.md).
        stats: [stats("stats-a.json"), stats("stats-b.json")],
        ufrags: [ufrag_of(&read("offer.sdp")), ufrag_of(&read("answer.sdp"))],
        report: serde_json::from_slice(&out.stdout).expect("analyze --json prints JSON"),
    }
}

fn of_type<'a>(stats: &'a [Value], t: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    stats.iter().filter(move |s| s["type"] == t)
}

fn by_id<'a>(stats: &'a [Value], id: &Value) -> &'a Value {
    stats
        .iter()
        .find(|s| s["id"] == *id)
        .unwrap_or_else(|| panic!("no stats entry {id}"))
}

fn transport(stats: &[Value]) -> &Value {
    of_type(stats, "transport")
        .next()
        .expect("a transport stats entry")
}

fn check_ice(r: &Recording) {
    let sessions = r.report["ice_sessions"].as_array().unwrap();
    let session = sessions
        .iter()
        .find(|s| {
            r.ufrags
                .iter()
                .all(|u| s["ufrags"].as_array().unwrap().iter().any(|x| x == u))
        })
        .unwrap_or_else(|| {
            panic!(
                "{}: no ICE session with ufrags {:?}: {sessions:?}",
                r.name, r.ufrags
            )
        });
    for (stats, ufrag) in r.stats.iter().zip(&r.ufrags) {
        let t = transport(stats);
        let pair = by_id(stats, &t["selectedCandidatePairId"]);
        let addr = |c: &Value| format!("{}:{}", c["address"].as_str().unwrap(), c["port"]);
        let local = addr(by_id(stats, &pair["localCandidateId"]));
        let remote = addr(by_id(stats, &pair["remoteCandidateId"]));
        let sel = session["selected"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["ufrag"] == ufrag.as_str())
            .unwrap_or_else(|| panic!("{}: no selected pair for {ufrag}", r.name));
        let ours = session["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == sel["pair"])
            .unwrap();
        assert_eq!(ours["local"], local.as_str(), "{}: {ufrag} local", r.name);
        assert_eq!(
            ours["remote"],
            remote.as_str(),
            "{}: {ufrag} remote",
            r.name
        );
    }
}

fn check_dtls(r: &Recording) {
    let dtls = r.report["dtls"].as_array().unwrap();
    assert!(!dtls.is_empty(), "{}: no DTLS handshake", r.name);
    for stats in &r.stats {
        let t = transport(stats);
        assert_eq!(
            t["tlsVersion"], "FEFC",
            "{}: getStats says DTLS 1.3",
            r.name
        );
        for d in dtls {
            assert_eq!(d["version"], "DTLS 1.3", "{}", r.name);
            assert_eq!(d["cipher_suite"], t["dtlsCipher"], "{}", r.name);
        }
    }
}

fn check_ssrcs(r: &Recording) {
    let outbound: BTreeSet<u64> = r
        .stats
        .iter()
        .flat_map(|s| of_type(s, "outbound-rtp"))
        .map(|o| o["ssrc"].as_u64().unwrap())
        .collect();
    let video: BTreeSet<u64> = r
        .stats
        .iter()
        .flat_map(|s| of_type(s, "outbound-rtp"))
        .filter(|o| o["kind"] == "video")
        .map(|o| o["ssrc"].as_u64().unwrap())
        .collect();
    assert_eq!(
        outbound.len(),
        4,
        "{}: audio and video from each peer",
        r.name
    );
    let streams = r.report["streams"].as_array().unwrap();
    let (rtx, media): (Vec<&Value>, Vec<&Value>) =
        streams.iter().partition(|s| s["encapsulation"] == "rtx");
    // A relayed call shows a stream once per leg: compare sets.
    let ours: BTreeSet<u64> = media.iter().map(|s| s["ssrc"].as_u64().unwrap()).collect();
    assert_eq!(ours, outbound, "{}: media SSRCs vs outbound-rtp", r.name);
    for s in rtx {
        let of = s["rtx_of"].as_u64();
        assert!(
            of.is_some_and(|o| video.contains(&o)),
            "{}: RTX stream {} repairs {of:?}, not a video outbound-rtp SSRC",
            r.name,
            s["ssrc"]
        );
    }
}

fn check_keylog(r: &Recording) {
    let keylog = std::fs::read_to_string(fixtures().join("webrtc").join(r.name).join("keylog.txt"))
        .unwrap_or_else(|e| panic!("{}/keylog.txt: {e}", r.name));
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ] {
        assert!(
            keylog.lines().any(|l| l.starts_with(&format!("{label} "))),
            "{}: keylog.txt has no {label}",
            r.name
        );
    }
}

fn check(name: &'static str) {
    let r = load(name);
    check_ice(&r);
    check_dtls(&r);
    check_ssrcs(&r);
    check_keylog(&r);
}

#[test]
fn firefox_direct_call_is_seen_as_getstats_describes_it() {
    check("firefox-direct");
}

#[test]
fn firefox_relayed_call_is_seen_as_getstats_describes_it() {
    check("firefox-relay");
}

#[test]
fn firefox_call_relayed_over_tcp_is_seen_as_getstats_describes_it() {
    check("firefox-relay-tcp");
}

#[test]
fn firefox_chromium_call_is_seen_as_getstats_describes_it() {
    check("firefox-chromium");
}
