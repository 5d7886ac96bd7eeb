//! `rtcscope analyze --json` findings against real failing calls: fixtures/webrtc/fail-*,
//! recorded by `fixtures/webrtc/record.sh fail-NAME` with a fault injected by nftables at a
//! known time (meta.json `fault`), and each browser's own timeline of what it saw
//! (meta.json `call.events`, epoch milliseconds on the capture's clock).
//!
//! For each recording: the expected finding id and severity; its time within [`TOLERANCE_MS`]
//! of the fault's injection (when the fault was injected during the call) and in a stated
//! relation to the browser's own state change; and the negative, that findings never
//! contradict the browser: where neither browser ever left `connected`, no ICE, DTLS or
//! call-level failure is claimed, and where a browser saw the call fail, a failure is found.
//! The healthy recordings (direct, relay, firefox-*) raise no failure at all.

use rtcscope_testkit::fixtures;
use rtcscope_tests::{run, stderr};
use serde_json::Value;

/// How far a finding's time may be from the moment the fault was injected.
const TOLERANCE_MS: f64 = 1500.0;

struct Recording {
    name: &'static str,
    meta: Value,
    findings: Vec<Value>,
}

impl Recording {
    fn open(name: &'static str) -> Recording {
        Recording::open_with(name, false)
    }

    /// `keylog`: give rtcscope the recording's keylog.txt (Firefox's DTLS secrets).
    fn open_with(name: &'static str, keylog: bool) -> Recording {
        let dir = fixtures().join("webrtc").join(name);
        let meta: Value =
            serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
        let capture = dir.join("capture.pcapng");
        let keys = dir.join("keylog.txt");
        let mut args = vec!["analyze", "--json", capture.to_str().unwrap()];
        if keylog {
            args.extend(["--keylog", keys.to_str().unwrap()]);
        }
        let out = run(&args);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let findings = report["findings"].as_array().unwrap().clone();
        Recording {
            name,
            meta,
            findings,
        }
    }

    /// The one finding with this id and severity (the first, when a fault raises one per
    /// allocation or path); panics with every finding when there is none.
    fn finding(&self, id: &str, severity: &str) -> &Value {
        self.findings
            .iter()
            .find(|f| f["id"] == id && f["severity"] == severity)
            .unwrap_or_else(|| {
                panic!(
                    "{}: no {severity} {id} in {:#}",
                    self.name,
                    Value::from(self.findings.clone())
                )
            })
    }

    /// The finding's time, epoch milliseconds.
    fn at_ms(&self, f: &Value) -> f64 {
        f["at_ns"]
            .as_i64()
            .unwrap_or_else(|| panic!("{}: {f:#} has no time", self.name)) as f64
            / 1e6
    }

    /// When the fault was injected (epoch ms): right after nft returned.
    fn injected_ms(&self) -> f64 {
        self.meta["fault"]["injected_at_ms"].as_f64().unwrap()
    }

    /// Every page event whose `what` matches, as (peer, epoch ms).
    fn browser_saw(&self, what: &str) -> Vec<(String, f64)> {
        let mut v = Vec::new();
        for peer in ["A", "B"] {
            for e in self.meta["call"]["events"][peer].as_array().unwrap() {
                if e["what"] == what {
                    v.push((peer.to_owned(), e["at"].as_f64().unwrap()));
                }
            }
        }
        v
    }

    fn first_saw(&self, what: &str) -> f64 {
        self.browser_saw(what)
            .iter()
            .map(|(_, t)| *t)
            .reduce(f64::min)
            .unwrap_or_else(|| panic!("{}: no browser saw {what:?}", self.name))
    }

    /// True when some page left `connected` (ICE or the connection) or never reached it
    /// (firefox-janus has one page: Janus's end is not a browser).
    fn browser_saw_trouble(&self) -> bool {
        ["A", "B"].iter().any(|peer| {
            let Some(events) = self.meta["call"]["events"][peer].as_array() else {
                return false;
            };
            let bad = events.iter().any(|e| {
                let w = e["what"].as_str().unwrap();
                matches!(
                    w,
                    "ice disconnected" | "ice failed" | "connection failed" | "dtls failed"
                ) || w.starts_with("icecandidateerror")
            });
            let connected = events.iter().any(|e| e["what"] == "connection connected");
            bad || !connected
        })
    }

    fn failures(&self) -> Vec<&str> {
        self.findings
            .iter()
            .filter(|f| f["severity"] == "failure")
            .map(|f| f["id"].as_str().unwrap())
            .collect()
    }

    /// Findings never contradict the browser (see the module's comment).
    fn agrees_with_browser(&self) {
        let failures = self.failures();
        if self.browser_saw_trouble() {
            assert!(
                !failures.is_empty(),
                "{}: the browser saw the call fail, rtcscope found no failure",
                self.name
            );
        } else {
            let claims: Vec<&&str> = failures
                .iter()
                .filter(|id| {
                    id.starts_with("ice.") || id.starts_with("dtls.") || id.starts_with("call.")
                })
                .collect();
            assert!(
                claims.is_empty(),
                "{}: both browsers stayed connected, yet rtcscope claims {claims:?}",
                self.name
            );
        }
    }
}

fn close(what: &str, a: f64, b: f64, tolerance: f64) {
    assert!(
        (a - b).abs() <= tolerance,
        "{what}: {a:.1} vs {b:.1} ms, {:.1} ms apart (tolerance {tolerance} ms)",
        a - b
    );
}

/// Relay-only, wrong password: every Allocate is refused 401 after the credentials were sent;
/// the browsers report icecandidateerror 401 at that moment and ICE never starts.
#[test]
fn wrong_turn_credentials() {
    let r = Recording::open("fail-turn-credentials");
    let f = r.finding("turn.wrong-credentials", "failure");
    close(
        "turn.wrong-credentials vs the browser's first icecandidateerror 401",
        r.at_ms(f),
        r.first_saw("icecandidateerror 401"),
        TOLERANCE_MS,
    );
    assert!(r.browser_saw("connection connected").is_empty());
    // Relay-only: with no allocation ICE had nothing to check, and the finding says why.
    let x = r.finding("ice.relay-only-no-allocation", "failure");
    assert!(
        x["verdict"]
            .as_str()
            .unwrap()
            .contains("refused the credentials (401)"),
        "{x:#}"
    );
    r.agrees_with_browser();
}

/// With the call's SDPs (`--sdp`), which announce no candidate at all, relay-only is no longer
/// a guess: the finding says the client is configured so, with the SDPs as evidence.
#[test]
fn wrong_turn_credentials_with_the_sdps() {
    let dir = fixtures().join("webrtc").join("fail-turn-credentials");
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let (cap, offer, answer) = (p("capture.pcapng"), p("offer.sdp"), p("answer.sdp"));
    let out = run(&["analyze", "--json", &cap, "--sdp", &offer, "--sdp", &answer]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sdp_candidate_types"], serde_json::json!([]));
    let x = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "ice.relay-only-no-allocation")
        .expect("the relay-only finding");
    assert!(
        x["verdict"]
            .as_str()
            .unwrap()
            .contains("is configured relay-only"),
        "{x:#}"
    );
    assert!(
        x["evidence"].to_string().contains("announce no candidate"),
        "{x:#}"
    );
}

/// Relay-only, the TURN port dropped before the call: Allocate requests never answered; the
/// browser reports icecandidateerror 701 (no answer).
#[test]
fn turn_server_unreachable() {
    let r = Recording::open("fail-turn-unreachable");
    r.finding("turn.no-answer", "failure");
    let x = r.finding("ice.relay-only-no-allocation", "failure");
    assert!(
        x["verdict"].as_str().unwrap().contains("never answered"),
        "{x:#}"
    );
    assert!(!r.browser_saw("icecandidateerror 701").is_empty());
    r.agrees_with_browser();
}

/// UDP dropped both ways 3 s after connected: consent lost, timed within the tolerance of the
/// drop; the browsers' own "ice disconnected" comes later (Chromium waits a few seconds
/// without answers: 6.9 s in this recording), never before the finding.
#[test]
fn udp_blocked_midcall() {
    let r = Recording::open("fail-udp-blocked");
    let f = r.finding("ice.consent-lost", "failure");
    let at = r.at_ms(f);
    close(
        "ice.consent-lost vs the nftables drop",
        at,
        r.injected_ms(),
        TOLERANCE_MS,
    );
    let disconnected = r.first_saw("ice disconnected");
    assert!(
        disconnected > at && disconnected - at < 10_000.0,
        "the browser's disconnected at {disconnected}, the finding at {at}"
    );
    // The streams that died with the path are part of the consent finding.
    assert!(
        !r.findings.iter().any(|f| f["id"] == "media.stream-stopped"),
        "{:#?}",
        r.findings
    );
    r.agrees_with_browser();
}

/// The same between two Firefox peers, which check consent only about every 5 s: the last
/// answered check came 3.3 s before the drop, so only the silent side's last media packet
/// times the finding within the tolerance.
#[test]
fn udp_blocked_midcall_firefox() {
    let r = Recording::open("fail-firefox-udp-blocked");
    let f = r.finding("ice.consent-lost", "failure");
    let at = r.at_ms(f);
    close(
        "ice.consent-lost vs the nftables drop",
        at,
        r.injected_ms(),
        TOLERANCE_MS,
    );
    let last_answer = f["evidence"][0]["at_ns"].as_i64().unwrap() as f64 / 1e6;
    assert!(
        r.injected_ms() - last_answer > TOLERANCE_MS,
        "the recording no longer shows why the last answer is not the time"
    );
    let disconnected = r.first_saw("ice disconnected");
    assert!(
        disconnected > at && disconnected - at < 10_000.0,
        "the browser's disconnected at {disconnected}, the finding at {at}"
    );
    r.agrees_with_browser();
}

/// One hex digit of B's a=fingerprint changed before A applied the answer: DTLS 1.3 finishes
/// on the wire, A refuses B's certificate with an (encrypted) alert, both browsers report
/// DTLS failed within the tolerance of the finding.
#[test]
fn munged_fingerprint() {
    let r = Recording::open("fail-fingerprint");
    let f = r.finding("dtls.ended-after-handshake", "failure");
    close(
        "dtls.ended-after-handshake vs the browser's dtls failed",
        r.at_ms(f),
        r.first_saw("dtls failed"),
        TOLERANCE_MS,
    );
    r.agrees_with_browser();
}

/// The same munged fingerprint between two Firefox peers: the same shape on the wire (A's one
/// encrypted record right after B's Finished), and with Firefox's key log the alert itself,
/// bad_certificate from A (the side given the wrong fingerprint).
#[test]
fn munged_fingerprint_firefox() {
    let r = Recording::open("fail-firefox-fingerprint");
    let f = r.finding("dtls.ended-after-handshake", "failure");
    close(
        "dtls.ended-after-handshake vs the browser's connection failed",
        r.at_ms(f),
        r.first_saw("connection failed"),
        TOLERANCE_MS,
    );
    r.agrees_with_browser();
    let k = Recording::open_with("fail-firefox-fingerprint", true);
    let f = k.finding("dtls.alert", "failure");
    let a = k.meta["peers"]["A"]["address"].as_str().unwrap();
    let verdict = f["verdict"].as_str().unwrap();
    assert!(
        verdict.contains(&format!("fatal from {a}:")) && verdict.contains("bad_certificate"),
        "{verdict}"
    );
    assert!(
        !k.findings
            .iter()
            .any(|f| f["id"] == "dtls.ended-after-handshake"),
        "the alert replaces the shape: {:#?}",
        k.findings
    );
    k.agrees_with_browser();
}

/// SRTP/SRTCP from B to A dropped 3 s after connected, STUN and DTLS let through: one-way
/// media from the drop, seen by A's getStats (inbound packets stop) within the tolerance, and
/// both browsers stay connected, so no ICE or DTLS failure may be claimed.
#[test]
fn media_blocked_one_way() {
    let r = Recording::open("fail-one-way");
    let f = r.finding("media.one-way", "failure");
    let at = r.at_ms(f);
    close(
        "media.one-way vs the nftables drop",
        at,
        r.injected_ms(),
        TOLERANCE_MS,
    );
    let saw = r.browser_saw("inbound media stopped");
    assert_eq!(saw.len(), 1, "only A stops receiving: {saw:?}");
    assert_eq!(saw[0].0, "A");
    close(
        "media.one-way vs A's getStats (sampled every 500 ms)",
        at,
        saw[0].1,
        TOLERANCE_MS + 500.0,
    );
    assert!(r.browser_saw("ice disconnected").is_empty());
    r.agrees_with_browser();
}

/// An outage of A's media (fixtures/webrtc/firefox-outage: every RTP packet A sent during a
/// 3-second window of wall-clock time dropped before the capture point): both of A's media
/// streams are told interrupted, with the packets lost meanwhile, the gap framing the window
/// the nftables rule dropped (`meta hour "HH:MM:SS"-"HH:MM:SS"`, inclusive, UTC).
#[test]
fn outage_of_one_side_is_an_interruption() {
    for keylog in [false, true] {
        let r = Recording::open_with("firefox-outage", keylog);
        let rules = r.meta["impairment"]["nftables"]["ruleset"]
            .as_str()
            .unwrap();
        let hours: Vec<&str> = rules
            .split("meta hour ")
            .nth(1)
            .unwrap()
            .split('"')
            .filter(|x| x.contains(':'))
            .take(2)
            .collect();
        let secs = |hms: &str| -> i64 {
            let v: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
            v[0] * 3600 + v[1] * 60 + v[2]
        };
        let applied = r.meta["impairment"]["applied_at_ms"].as_i64().unwrap();
        let midnight_ms = applied - applied.rem_euclid(86_400_000);
        let start = midnight_ms + secs(hours[0]) * 1000;
        let end = midnight_ms + (secs(hours[1]) + 1) * 1000;
        let told: Vec<&Value> = r
            .findings
            .iter()
            .filter(|f| f["id"] == "media.interrupted")
            .collect();
        assert_eq!(told.len(), 2, "A's audio and video: {told:#?}");
        for f in told {
            assert_eq!(f["severity"], "degraded");
            let verdict = f["verdict"].as_str().unwrap();
            assert!(
                verdict.contains("never reached the capture point"),
                "{verdict}"
            );
            // The last packet before the gap at most a video frame interval (plus pacing)
            // before the window, the first after it within as much after its end; the
            // kernel's clock for the rule and the capture's stamps may differ by a few ms
            // (measured: the last audio packet 3 ms after the window opened).
            let at = r.at_ms(f) as i64;
            assert!(
                at - start <= 20 && start - at <= 150,
                "{verdict}: {at} vs window {start}..{end}"
            );
            let after = f["evidence"][1]["at_ns"].as_i64().unwrap() / 1_000_000;
            assert!(
                end - after <= 20 && after - end <= 400,
                "{verdict}: {after} vs window end {end}"
            );
        }
        assert!(r.failures().is_empty(), "{:?}", r.failures());
    }
}

/// Both peers behind address-and-port-dependent NATs (masquerade random), a STUN server, no
/// TURN: no pair succeeds; a browser reports failed.
#[test]
fn symmetric_nats_without_turn() {
    let r = Recording::open("fail-symmetric-nat");
    let f = r.finding("ice.no-pair-succeeded", "failure");
    // Read from the reflexive addresses and the checks' sources (the wire, after the NATs).
    assert!(
        f["verdict"]
            .as_str()
            .unwrap()
            .contains("both sides look to be behind NATs whose mapping depends on the destination"),
        "{f:#}"
    );
    assert!(!r.browser_saw("connection failed").is_empty());
    r.agrees_with_browser();
}

/// UDP blocked at both NATs, TURN over TCP: the call works (both browsers connected to the
/// end): no failure and no degradation.
#[test]
fn udp_blocked_turn_over_tcp_works() {
    let r = Recording::open("fail-tcp-turn");
    let bad: Vec<&Value> = r
        .findings
        .iter()
        .filter(|f| f["severity"] != "notice")
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    for s in r.meta["call"]["final_states"].as_array().unwrap() {
        assert_eq!(s["connectionState"], "connected", "{s}");
    }
    r.agrees_with_browser();
}

/// The healthy recordings: both browsers connected throughout, and no failure found.
#[test]
fn healthy_recordings_raise_no_failure() {
    for name in [
        "direct",
        "relay",
        "firefox-direct",
        "firefox-relay",
        "firefox-relay-tcp",
        "firefox-chromium",
        "firefox-janus",
    ] {
        // The Firefox calls also with their key logs (decrypted alerts: only close_notify).
        let keylog = name.starts_with("firefox");
        for r in [Recording::open(name), Recording::open_with(name, keylog)] {
            assert!(
                !r.browser_saw_trouble(),
                "{name}: {:#}",
                r.meta["call"]["events"]
            );
            assert_eq!(r.failures(), Vec::<&str>::new(), "{name}");
            r.agrees_with_browser();
        }
    }
}

/// `ice.over-tcp` against the browser's own selected pair (meta.json's getStats summary of
/// peer A: the local candidate's `protocol`, and `relayProtocol` for a relay candidate): told
/// once for each recording whose call ran over TCP (ICE-TCP to Janus; TURN over TCP from
/// Chromium and from Firefox), never for one over UDP; with the unanswered UDP checks as its
/// evidence where they crossed the capture point (firefox-janus), and saying the capture
/// holds none where the NATs dropped them before it.
#[test]
fn calls_over_tcp_are_told_as_the_browser_selected() {
    let mut tcp_calls = 0;
    for name in [
        "direct",
        "relay",
        "lossy",
        "firefox-direct",
        "firefox-relay",
        "firefox-relay-tcp",
        "firefox-chromium",
        "firefox-janus",
        "fail-tcp-turn",
        "fail-udp-blocked",
        "fail-one-way",
    ] {
        let r = Recording::open(name);
        let local = &r.meta["summary"]["A"]["selectedPair"]["local"];
        let tcp = local["protocol"] == "tcp" || local["relayProtocol"] == "tcp";
        let told: Vec<&Value> = r
            .findings
            .iter()
            .filter(|f| f["id"] == "ice.over-tcp")
            .collect();
        assert_eq!(told.len(), usize::from(tcp), "{name}: {told:#?}");
        if let Some(f) = told.first() {
            tcp_calls += 1;
            assert_eq!(f["severity"], "notice", "{name}");
            let evidence = f["evidence"].to_string();
            if name == "firefox-janus" {
                assert!(evidence.contains("no answer"), "{name}: {evidence}");
            } else {
                assert!(evidence.contains("no UDP check"), "{name}: {evidence}");
            }
        }
    }
    assert_eq!(tcp_calls, 3);
}

/// Where a browser's getStats counts its selected pair changes (`transport` stats'
/// `selectedCandidatePairChanges`: 1 for the first selection), `ice.selected-pair-changed` is
/// told exactly once per change after the first: never when the browsers kept their first
/// pair (every recording so far), so the finding cannot contradict them.
#[test]
fn selected_pair_changes_agree_with_get_stats() {
    let root = fixtures().join("webrtc");
    let mut checked = 0;
    for name in [
        "direct",
        "relay",
        "firefox-chromium",
        "fail-fingerprint",
        "fail-one-way",
        "fail-symmetric-nat",
        "fail-tcp-turn",
        "fail-turn-credentials",
        "fail-turn-unreachable",
        "fail-udp-blocked",
    ] {
        let mut changes: Option<u64> = None;
        for peer in ["a", "b"] {
            let Ok(bytes) = std::fs::read(root.join(name).join(format!("stats-{peer}.json")))
            else {
                continue;
            };
            let stats: Value = serde_json::from_slice(&bytes).unwrap();
            for s in stats.as_array().unwrap() {
                if let Some(n) = s["selectedCandidatePairChanges"].as_u64() {
                    changes = Some(changes.unwrap_or(0).max(n));
                }
            }
        }
        let Some(changes) = changes else {
            panic!("{name}: no selectedCandidatePairChanges in its getStats");
        };
        let r = Recording::open(name);
        let told = r
            .findings
            .iter()
            .filter(|f| f["id"] == "ice.selected-pair-changed")
            .count() as u64;
        assert_eq!(told, changes.saturating_sub(1), "{name}: {:#?}", r.findings);
        checked += 1;
    }
    assert_eq!(checked, 10);
}
