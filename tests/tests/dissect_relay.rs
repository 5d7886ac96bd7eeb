//! `rtcscope dissect` through TURN and across packets, compared with tshark: a real relayed
//! Chromium call (Send/Data indications, then ChannelData, DTLS 1.3 and SRTP inside, ICMP port
//! unreachables after close()), and OpenSSL's fragmented DTLS 1.0 handshake.

use rtcscope_testkit::{fixtures, require_tool, tshark};
use rtcscope_tests::{run, stderr, stdout};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const RELAY: &str = "fixtures/webrtc/relay/capture.pcapng";
const DIRECT: &str = "fixtures/webrtc/direct/capture.pcapng";
const DTLS10: &str = "fixtures/dtls/dtls10-srtp.pcapng";

/// tshark reads TURN on 3478 only when told, and looks inside ChannelData and indications only
/// with its (off by default) heuristics.
const TSHARK_TURN: [&str; 8] = [
    "-d",
    "udp.port==3478,stun",
    "--enable-heuristic",
    "dtls_stun",
    "--enable-heuristic",
    "rtp_stun",
    "--enable-heuristic",
    "rtcp_stun",
];

fn json_of(args: &[&str]) -> Vec<Value> {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    v.as_array().expect("an array of packets").clone()
}

fn numbers(packets: &[Value]) -> BTreeSet<u64> {
    packets
        .iter()
        .map(|p| p["number"].as_u64().unwrap())
        .collect()
}

/// Frame numbers of the lines `rtcscope dissect ARGS` prints.
fn printed(args: &[&str]) -> BTreeSet<u64> {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

fn tshark_frames(tshark_bin: &Path, pcap: &Path, args: &[&str], filter: &str) -> BTreeSet<u64> {
    let mut all = args.to_vec();
    all.extend(["-Y", filter]);
    tshark::frame_fields(tshark_bin, pcap, &all, "frame.len")
        .into_keys()
        .collect()
}

#[test]
fn relayed_protocols_are_filtered_and_listed() {
    // --proto dtls: the handshake inside Send/Data indications and ChannelData.
    let dtls = json_of(&["dissect", "--json", "--proto", "dtls", RELAY]);
    assert!(!dtls.is_empty(), "--proto dtls finds the relayed handshake");
    for p in &dtls {
        let protocols: Vec<&str> = p["protocols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            matches!(
                protocols[..],
                ["STUN", "DTLS"] | ["ChannelData", "DTLS"] | ["ICMP", "ChannelData", "DTLS"]
            ),
            "packet {}: {protocols:?}",
            p["number"]
        );
    }
    // The ClientHello crossed the relay in two Send indications from one client and two Data
    // indications to the other, and was reassembled on the second of each.
    let info = |n: u64| {
        dtls.iter()
            .find(|p| p["number"] == n)
            .map(|p| p["info"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(info(50).contains("Send Indication peer=198.51.100.10:50017"));
    assert!(info(50).contains("[DTLS Client Hello (fragment 0..1175 of 1413)]"));
    assert!(info(51).contains("[DTLS Client Hello (reassembled from frames 50, 51)]"));
    assert!(info(53).contains("Data Indication"));
    assert!(info(53).contains("[DTLS Client Hello (reassembled from frames 52, 53)]"));
    // ChannelData names the peer of its ChannelBind.
    assert!(info(58).contains("peer=198.51.100.10:50017 [DTLS Server Hello]"));

    // --host and --port match the relayed peer (XOR-PEER-ADDRESS, or a bound channel's peer),
    // which is never an outer address of these packets.
    let by_port = printed(&["dissect", "--port", "50017", "--proto", "dtls", RELAY]);
    let by_host_port: BTreeSet<u64> = json_of(&["dissect", "--json", "--proto", "dtls", RELAY])
        .iter()
        .filter(|p| {
            p.to_string().contains("198.51.100.10:50017")
                && p["src"].as_str() != Some("198.51.100.10:50017")
        })
        .map(|p| p["number"].as_u64().unwrap())
        .collect();
    assert!(
        by_port.contains(&50) && by_port.contains(&58),
        "{by_port:?}"
    );
    assert_eq!(by_port, by_host_port);
    let rtp = printed(&["dissect", "--proto", "rtp", "--port", "50008", RELAY]);
    assert!(!rtp.is_empty());

    let Some(tshark_bin) = require_tool("dissect_relay::vs_tshark", "tshark") else {
        return;
    };
    let pcap = fixtures().join("webrtc/relay/capture.pcapng");
    // RTP inside the relay: the same frames.
    let ours_rtp = printed(&["dissect", "--proto", "rtp", RELAY]);
    let theirs_rtp = tshark_frames(&tshark_bin, &pcap, &TSHARK_TURN, "rtp");
    assert!(theirs_rtp.len() > 2000);
    assert_eq!(ours_rtp, theirs_rtp);
    // DTLS: tshark 4.0 decodes the records with a DTLS 1.2 header (the ClientHello and
    // ServerHello); the DTLS 1.3 unified-header records it leaves as data. Every frame it calls
    // DTLS is DTLS for us, and every other frame we call DTLS holds only unified-header
    // records.
    let theirs = tshark_frames(&tshark_bin, &pcap, &TSHARK_TURN, "dtls");
    let ours = numbers(&dtls);
    assert!(!theirs.is_empty());
    assert!(theirs.is_subset(&ours), "{theirs:?} ⊄ {ours:?}");
    let handshake_types =
        tshark::frame_fields(&tshark_bin, &pcap, &TSHARK_TURN, "dtls.handshake.type");
    for p in &dtls {
        let n = p["number"].as_u64().unwrap();
        let text = p["info"].as_str().unwrap();
        if theirs.contains(&n) {
            let t = &handshake_types[&n];
            let name = if t[0] == "1" {
                "Client Hello"
            } else {
                "Server Hello"
            };
            assert!(text.contains(name), "frame {n}: {t:?} vs {text}");
        } else {
            assert!(
                text.matches("[DTLS ").count() == text.matches("[DTLS Encrypted (1.3").count(),
                "frame {n}: {text}"
            );
        }
    }
}

#[test]
fn dtls_handshake_reassembly_agrees_with_tshark() {
    let packets = json_of(&["dissect", "--json", DTLS10]);
    let out = run(&["dissect", DTLS10]);
    assert!(
        !stderr(&out).contains("problems"),
        "with the ServerHello's version remembered, the DTLS 1.0 messages parse: {}",
        stderr(&out)
    );
    // Ours: per frame, the frames each reassembled message came from, and its length.
    let mut ours: BTreeMap<u64, Vec<(String, u64)>> = BTreeMap::new();
    fn walk(v: &Value, out: &mut Vec<(String, u64)>) {
        if let Some(label) = v["label"].as_str() {
            if label.starts_with("Reassembled Handshake") {
                let value = v["value"].as_str().unwrap();
                let frames = value.split("reassembled from frames ").nth(1).unwrap();
                let len = v["children"][0]["value"].as_str().unwrap().parse().unwrap();
                out.push((frames.replace(' ', ""), len));
            }
        }
        for key in ["layers", "children"] {
            if let Some(c) = v[key].as_array() {
                for x in c {
                    walk(x, out);
                }
            }
        }
    }
    for p in &packets {
        let mut found = Vec::new();
        walk(p, &mut found);
        if !found.is_empty() {
            ours.insert(p["number"].as_u64().unwrap(), found);
        }
    }
    assert_eq!(ours.len(), 3, "{ours:?}");
    let Some(tshark_bin) = require_tool("dissect_relay::dtls_reassembly", "tshark") else {
        return;
    };
    let pcap = fixtures().join("dtls/dtls10-srtp.pcapng");
    let frags = tshark::frame_fields(&tshark_bin, &pcap, &[], "dtls.fragment");
    let lens = tshark::frame_fields(&tshark_bin, &pcap, &[], "dtls.reassembled.length");
    let mut theirs: BTreeMap<u64, Vec<(String, u64)>> = BTreeMap::new();
    for (n, f) in &frags {
        if f.is_empty() {
            continue;
        }
        theirs.insert(*n, vec![(f.join(","), lens[n][0].parse().unwrap())]);
    }
    assert_eq!(ours, theirs);
    // The fragments before are shown as fragments, as tshark's info column has them.
    let info = |n: u64| packets[n as usize - 1]["info"].as_str().unwrap().to_owned();
    assert!(info(4).contains("Certificate (fragment 0..104 of 418)"));
    assert!(info(5).contains("Certificate (fragment 104..307 of 418)"));
    assert!(info(10).contains("New Session Ticket (fragment 203..406 of 598)"));
}

#[test]
fn icmp_errors_are_attributed_to_the_flows_tshark_names() {
    let Some(tshark_bin) = require_tool("dissect_relay::icmp", "tshark") else {
        return;
    };
    for file in [RELAY, DIRECT] {
        let pcap = fixtures().join(file.trim_start_matches("fixtures/"));
        // tshark: per ICMP error, the quoted (last) UDP ports and IP addresses.
        let out = std::process::Command::new(&tshark_bin)
            .arg("-r")
            .arg(&pcap)
            .args([
                "-Y",
                "icmp.type==3",
                "-T",
                "fields",
                "-E",
                "occurrence=l",
                "-e",
                "frame.number",
                "-e",
                "ip.src",
                "-e",
                "udp.srcport",
                "-e",
                "ip.dst",
                "-e",
                "udp.dstport",
                "-e",
                "icmp.code",
            ])
            .output()
            .unwrap();
        let mut theirs: BTreeMap<(String, String), (u64, u64, String)> = BTreeMap::new();
        for l in String::from_utf8_lossy(&out.stdout).lines() {
            let c: Vec<&str> = l.split('\t').collect();
            let (a, b) = (format!("{}:{}", c[1], c[2]), format!("{}:{}", c[3], c[4]));
            let key = if a < b { (a, b) } else { (b, a) };
            let e = theirs
                .entry(key)
                .or_insert((0, c[0].parse().unwrap(), c[5].to_owned()));
            e.0 += 1;
        }
        assert!(!theirs.is_empty(), "{file} has ICMP port unreachables");
        let out = run(&["analyze", "--json", file]);
        assert!(out.status.success(), "{}", stderr(&out));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ours: BTreeMap<(String, String), (u64, u64, String)> = BTreeMap::new();
        for f in report["flows"].as_array().unwrap() {
            for e in f["icmp_errors"].as_array().unwrap() {
                let (a, b) = (f["a"].as_str().unwrap(), f["b"].as_str().unwrap());
                let key = if a < b {
                    (a.to_owned(), b.to_owned())
                } else {
                    (b.to_owned(), a.to_owned())
                };
                ours.insert(
                    key,
                    (
                        e["count"].as_u64().unwrap(),
                        e["first_packet"].as_u64().unwrap(),
                        e["code"].to_string(),
                    ),
                );
            }
        }
        assert_eq!(ours, theirs, "{file}");
        // dissect shows the quoted datagram, and --proto icmp finds them all.
        let icmp = printed(&["dissect", "--proto", "icmp", file]);
        assert_eq!(
            icmp.len() as u64,
            theirs.values().map(|v| v.0).sum::<u64>(),
            "{file}"
        );
    }
    // The text report says it briefly.
    let out = run(&["analyze", RELAY]);
    assert!(
        stdout(&out).contains("ICMP port unreachable"),
        "{}",
        stdout(&out)
    );
}
