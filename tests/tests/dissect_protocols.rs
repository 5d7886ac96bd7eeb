//! `rtcscope dissect` on RTP, RTCP, DTLS and SCTP, as a user runs it: a real Chromium call
//! (ICE, DTLS 1.3, SRTP, SRTCP), an OpenSSL DTLS 1.2 handshake, and corpus RTP captures checked
//! field by field against tshark.

use rtcscope_testkit::{corpus, fixtures, require_tool, tshark};
use rtcscope_tests::{run, stderr, stdout};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const CALL: &str = "fixtures/webrtc/direct/capture.pcapng";

fn json_of(args: &[&str]) -> Vec<Value> {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    v.as_array().expect("an array of packets").clone()
}

/// Every node labelled `label` below `v` (a `--json` packet or tree node), depth first.
fn nodes<'a>(v: &'a Value, label: &str, out: &mut Vec<&'a Value>) {
    if v["label"].as_str() == Some(label) {
        out.push(v);
    }
    for key in ["layers", "children"] {
        if let Some(children) = v[key].as_array() {
            for c in children {
                nodes(c, label, out);
            }
        }
    }
}

fn first_value<'a>(v: &'a Value, label: &str) -> Option<&'a str> {
    let mut found = Vec::new();
    nodes(v, label, &mut found);
    found.first().and_then(|n| n["value"].as_str())
}

#[test]
fn protocol_counts_agree_with_analyze() {
    let packets = json_of(&["dissect", "--json", CALL]);
    let mut ours: BTreeMap<String, u64> = BTreeMap::new();
    // What an ICMP error quotes (the call's last DTLS record, after close()) is listed after
    // "ICMP" but is no packet of the flow: the engine counts it as an ICMP error instead.
    for p in packets.iter().filter(|p| p["protocols"][0] != "ICMP") {
        for proto in p["protocols"].as_array().unwrap() {
            *ours.entry(proto.as_str().unwrap().to_owned()).or_default() += 1;
        }
    }
    let out = run(&["analyze", "--json", CALL]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut theirs: BTreeMap<&str, u64> = BTreeMap::new();
    for f in report["flows"].as_array().unwrap() {
        for (k, v) in f["counts"].as_object().unwrap() {
            *theirs.entry(k.as_str()).or_default() += v.as_u64().unwrap();
        }
    }
    for (ours_name, theirs_name) in [
        ("STUN", "stun"),
        ("DTLS", "dtls"),
        ("RTP", "rtp"),
        ("RTCP", "rtcp"),
    ] {
        let (a, b) = (
            ours.get(ours_name).copied().unwrap_or(0),
            theirs.get(theirs_name).copied().unwrap_or(0),
        );
        assert_eq!(a, b, "{ours_name}: dissect {a}, analyze {b}");
        assert!(a > 0, "{ours_name}");
    }
    // Nothing on the call's flow is left undissected.
    let data_on_call = packets
        .iter()
        .filter(|p| p["src"].is_string() && p["protocols"][0] == "Data")
        .count();
    assert_eq!(data_on_call, 0);
}

#[test]
fn dtls13_client_hello_offers_use_srtp_and_protected_records_stay_encrypted() {
    let packets = json_of(&["dissect", "--json", "--proto", "dtls", CALL]);
    let hello = packets
        .iter()
        .find(|p| p["info"].as_str().unwrap().starts_with("Client Hello"))
        .expect("a ClientHello");
    let offered =
        first_value(hello, "Extension: use_srtp").expect("use_srtp in the first fragment");
    assert_eq!(
        offered,
        "SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_256_GCM, SRTP_AEAD_AES_128_GCM"
    );
    // analyze (the same parser, with reassembly) reports the same offer.
    let out = run(&["analyze", "--json", CALL]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<&str> = report["dtls"][0]["offered_srtp_profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(offered, listed.join(", "));
    assert_eq!(
        first_value(hello, "Extension: supported_versions"),
        Some("DTLS 1.3, DTLS 1.2")
    );
    let server_hello = packets
        .iter()
        .find(|p| p["info"] == "Server Hello")
        .expect("a ServerHello");
    assert_eq!(
        first_value(server_hello, "Selected version"),
        Some("DTLS 1.3")
    );
    // Everything after the ServerHello is a 1.3 unified-header record: encrypted, never read.
    let unified: Vec<&Value> = packets
        .iter()
        .filter(|p| p["info"].as_str().unwrap().contains("1.3 unified header"))
        .collect();
    assert!(unified.len() >= 20, "{}", unified.len());
    for p in &unified {
        let mut recs = Vec::new();
        nodes(p, "Encrypted record", &mut recs);
        assert!(!recs.is_empty(), "{p}");
        let mut hs = Vec::new();
        nodes(p, "Handshake type", &mut hs);
        assert!(hs.is_empty(), "a protected record was parsed: {p}");
    }
}

#[test]
fn rtp_summaries_show_the_ssrcs_getstats_reports() {
    let out = run(&["dissect", "--proto", "rtp", CALL]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let seen: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.split("SSRC=").nth(1))
        .map(|s| s.split(',').next().unwrap().to_owned())
        .collect();
    let mut wanted = Vec::new();
    for side in ["a", "b"] {
        let path = fixtures().join(format!("webrtc/direct/stats-{side}.json"));
        let stats: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        for s in stats.as_array().unwrap() {
            if s["type"] == "outbound-rtp" {
                wanted.push(s["ssrc"].as_u64().unwrap());
                if let Some(rtx) = s["rtxSsrc"].as_u64() {
                    wanted.push(rtx);
                }
            }
        }
    }
    assert_eq!(wanted.len(), 6);
    for ssrc in wanted {
        let hex = format!("0x{ssrc:08X}");
        assert!(seen.contains(&hex), "{hex} not in {seen:?}");
    }
    // Every line is RTP, and the payload is never called cleartext.
    assert!(text.lines().all(|l| l.contains(" RTP ")));
    let tree = stdout(&run(&["dissect", "-V", "--proto", "rtp", "-c", "20", CALL]));
    assert!(tree.contains("Payload: possibly SRTP ciphertext;"));
    // Without an SDP the ids are inferred from the capture (as analyze does) and said to be.
    assert!(
        tree.contains("sdes:mid (id inferred from the packets"),
        "{tree}"
    );
    assert!(!tree.contains("default extmap"));
    // With the call's SDP the extension IDs are the negotiated ones: no guess is marked.
    let with_sdp = stdout(&run(&[
        "dissect",
        "-V",
        "--proto",
        "rtp",
        "-c",
        "20",
        "--sdp",
        "fixtures/webrtc/direct/offer.sdp",
        CALL,
    ]));
    assert!(with_sdp.contains("sdes:mid"), "{with_sdp}");
    assert!(!with_sdp.contains("inferred from the packets"));
}

#[test]
fn rtcp_filter_and_srtcp_in_the_call() {
    let out = run(&["dissect", "--proto", "rtcp", CALL]);
    let text = stdout(&out);
    assert!(text.lines().count() > 100);
    assert!(text.lines().all(|l| l.contains(" RTCP ")));
    // Chromium protects RTCP: every compound packet is SRTCP, shown clear to the sender SSRC.
    assert!(
        text.lines().all(|l| l.ends_with("encrypted (SRTCP)")),
        "{text}"
    );
    let tree = stdout(&run(&[
        "dissect", "-V", "--proto", "rtcp", "-c", "30", CALL,
    ]));
    assert!(tree.contains("Encrypted (SRTCP)"));
    assert!(!tree.contains("Report block"));
    // Given a profile (DTLS 1.3 hides the negotiated one; this is Chromium's first choice), the
    // SRTCP trailer is located: E flag, index and tag.
    let tree = stdout(&run(&[
        "dissect",
        "-V",
        "--proto",
        "rtcp",
        "-c",
        "5",
        "--srtp",
        "AES_CM_128_HMAC_SHA1_80",
        CALL,
    ]));
    assert!(tree.contains("SRTCP index"), "{tree}");
    assert!(tree.contains("E (encrypted): yes"), "{tree}");
    let bad = run(&["dissect", "--srtp", "ROT13", CALL]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("unknown SRTP profile"));
}

#[test]
fn dtls12_certificate_fingerprint_matches_the_handshake_ground_truth() {
    let expected = std::fs::read_to_string(fixtures().join("dtls/dtls12-srtp.expected")).unwrap();
    let want = expected
        .lines()
        .find_map(|l| l.strip_prefix("server_fingerprint="))
        .unwrap();
    let text = stdout(&run(&["dissect", "-V", "fixtures/dtls/dtls12-srtp.pcapng"]));
    let got: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Fingerprint (a=fingerprint): "))
        .map(|l| l.rsplit_once("  [").map_or(l, |(v, _)| v))
        .collect();
    assert!(got.contains(&want), "{got:?} lacks {want}");
    let summary = stdout(&run(&["dissect", "fixtures/dtls/dtls12-srtp.pcapng"]));
    assert!(summary.contains("Server Hello, Certificate"), "{summary}");
}

/// One RTP header as a map of field → value.
type Fields = BTreeMap<&'static str, u64>;

fn our_rtp_fields(pcap: &Path, extra: &[&str]) -> BTreeMap<u64, Fields> {
    let path = pcap.to_str().unwrap();
    let mut args = vec!["dissect", "--json", "--proto", "rtp"];
    args.extend_from_slice(extra);
    args.push(path);
    let mut out = BTreeMap::new();
    for p in json_of(&args) {
        let n = p["number"].as_u64().unwrap();
        // The first message after the frame and its link, IP and UDP headers.
        let tree = p["layers"]
            .as_array()
            .unwrap()
            .iter()
            .skip(1)
            .find(|l| {
                let label = l["label"].as_str().unwrap_or_default();
                ![
                    "Ethernet II",
                    "802.1Q",
                    "Internet Protocol",
                    "User Datagram",
                    "Linux cooked",
                ]
                .iter()
                .any(|h| label.starts_with(h))
            })
            .unwrap_or_else(|| panic!("no message in {p}"));
        let num = |label: &str| -> u64 {
            let v = first_value(tree, label).unwrap_or_else(|| panic!("{label} in {p}"));
            v.split_whitespace().next().unwrap().parse().unwrap()
        };
        let ssrc = first_value(tree, "SSRC").unwrap();
        let ssrc = u64::from_str_radix(
            ssrc.split_whitespace()
                .next()
                .unwrap()
                .trim_start_matches("0x"),
            16,
        )
        .unwrap();
        let marker = u64::from(first_value(tree, "Marker") == Some("yes"));
        out.insert(
            n,
            BTreeMap::from([
                ("ssrc", ssrc),
                ("seq", num("Sequence number")),
                ("timestamp", num("Timestamp")),
                ("pt", num("Payload type")),
                ("marker", marker),
            ]),
        );
    }
    out
}

fn tshark_rtp_fields(tshark_bin: &Path, pcap: &Path) -> BTreeMap<u64, Fields> {
    let mut out = BTreeMap::new();
    for f in tshark::frames(tshark_bin, pcap, &["-o", "rtp.heuristic_rtp:TRUE"]) {
        let rtp = &f.layers["rtp"];
        if !rtp.is_object() {
            continue;
        }
        let field = |k: &str| {
            tshark::str_field(rtp, k).unwrap_or_else(|| panic!("{k} in frame {}", f.number))
        };
        let dec = |k: &str| -> u64 {
            let s = field(k);
            match s.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).unwrap(),
                None => s.parse().unwrap(),
            }
        };
        out.insert(
            f.number,
            BTreeMap::from([
                ("ssrc", dec("rtp.ssrc")),
                ("seq", dec("rtp.seq")),
                ("timestamp", dec("rtp.timestamp")),
                ("pt", dec("rtp.p_type")),
                ("marker", dec("rtp.marker")),
            ]),
        );
    }
    out
}

#[test]
fn rtp_header_fields_agree_with_tshark_on_corpus_captures() {
    let Some(dir) = corpus("dissect_protocols::rtp_vs_tshark") else {
        return;
    };
    let Some(tshark_bin) = require_tool("dissect_protocols::rtp_vs_tshark", "tshark") else {
        return;
    };
    for (file, extra) in [
        ("str0m/vp8.pcap", &[][..]),
        ("sipp/g711a.pcap", &["--srtp", "none"][..]),
        (
            "membrane_rtp_plugin/srtp.pcap",
            &["--srtp", "AES_CM_128_HMAC_SHA1_80"][..],
        ),
    ] {
        let pcap = dir.join(file);
        let ours = our_rtp_fields(&pcap, extra);
        let theirs = tshark_rtp_fields(&tshark_bin, &pcap);
        assert!(ours.len() > 50, "{file}: {} RTP packets", ours.len());
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{file}: the same frames are RTP"
        );
        for (n, fields) in &ours {
            assert_eq!(fields, &theirs[n], "{file} frame {n}");
        }
    }
}

/// zeek's SCTP capture (SCTP directly over IPv4) re-carried in UDP port 9899 (RFC 6951), as a
/// pcapng written to `out`. Returns the number of frames.
fn sctp_over_udp(src: &Path, out: &Path) -> usize {
    use rtcscope_capture::writer::PcapNgWriter;
    use rtcscope_capture::{CaptureReader, LinkType};
    use rtcscope_testkit::frames;
    let mut reader = CaptureReader::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut w = PcapNgWriter::new(std::fs::File::create(out).unwrap()).unwrap();
    let iface = w
        .add_interface(LinkType::RAW, 65535, "sctp-over-udp")
        .unwrap();
    let mut n = 0;
    while let Some(p) = reader.next_packet().unwrap() {
        // Ethernet, then IPv4 with protocol 132.
        let ip = &p.data[14..];
        assert_eq!((ip[0] >> 4, ip[9]), (4, 132), "frame {}", p.number);
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        let sctp = &ip[ihl..total];
        let (src, dst) = (
            ip[12..16].try_into().unwrap(),
            ip[16..20].try_into().unwrap(),
        );
        let udp = frames::udp(9899, 9899, sctp);
        let f = frames::ipv4(src, dst, frames::PROTO_UDP, 0, &udp);
        w.write_packet(iface, p.ts_nanos, &f, f.len() as u32)
            .unwrap();
        n += 1;
    }
    w.finish().unwrap();
    n
}

#[test]
fn sctp_over_udp_chunks_agree_with_tshark() {
    let Some(dir) = corpus("dissect_protocols::sctp_over_udp") else {
        return;
    };
    let Some(tshark_bin) = require_tool("dissect_protocols::sctp_over_udp", "tshark") else {
        return;
    };
    let src = dir.join("zeek/sctp.pcap");
    let tmp = std::env::temp_dir().join(format!("rtcscope-sctp-udp-{}.pcapng", std::process::id()));
    let frames = sctp_over_udp(&src, &tmp);
    let path = tmp.to_str().unwrap();
    // Without --sctp-port nothing is SCTP: no first-byte signature to go by.
    let plain = json_of(&["dissect", "--json", "--proto", "sctp", path]);
    assert!(plain.is_empty());
    let packets = json_of(&["dissect", "--json", "--sctp-port", "9899", path]);
    let filtered = json_of(&[
        "dissect",
        "--json",
        "--sctp-port",
        "9899",
        "--proto",
        "sctp",
        path,
    ]);
    std::fs::remove_file(&tmp).ok();
    assert_eq!((packets.len(), filtered.len()), (frames, frames));
    let out = std::process::Command::new(tshark_bin)
        .arg("-r")
        .arg(&src)
        .args([
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-e",
            "sctp.chunk_type",
        ])
        .output()
        .unwrap();
    let theirs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(theirs.len(), frames);
    let mut dcep = 0;
    for (p, want) in packets.iter().zip(&theirs) {
        assert_eq!(p["protocols"][0], "SCTP", "{p}");
        let mut types = Vec::new();
        nodes(p, "Type", &mut types);
        // Chunk types read `NAME (N)`; parameter types are bare hex.
        let ours: Vec<String> = types
            .iter()
            .filter_map(|t| t["value"].as_str())
            .filter_map(|v| v.strip_suffix(')').and_then(|v| v.rsplit_once(" (")))
            .map(|(_, n)| n.to_owned())
            .collect();
        assert_eq!(ours.join(","), *want, "frame {}", p["number"]);
        assert_eq!(
            first_value(p, "CRC32c check"),
            Some("valid"),
            "frame {}",
            p["number"]
        );
        dcep += usize::from(p["info"].as_str().unwrap().contains("DATA_CHANNEL"));
    }
    // zeek's capture is plain SCTP traffic, not WebRTC: no DCEP in it.
    assert_eq!(dcep, 0);
}
