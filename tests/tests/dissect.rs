//! `rtcscope dissect` on the bundled captures, as a user runs it.

use rtcscope_testkit::{fixtures, require_tool};
use rtcscope_tests::{run, run_with_stdin, stderr, stdout};
use serde_json::Value;

const UDP: &str = "fixtures/captures/turn-udp.pcapng";
const TCP: &str = "fixtures/captures/turn-tcp.pcap";

/// Counts of STUN messages and ChannelData messages tshark finds (all occurrences per frame).
fn tshark_counts(file: &str) -> Option<(usize, usize)> {
    let tshark = require_tool("dissect::tshark_counts", "tshark")?;
    let v = rtcscope_testkit::tshark::field_values(
        &tshark,
        &fixtures().join(file.trim_start_matches("fixtures/")),
        &[],
        &["stun.type", "stun.channel"],
    );
    Some((v[0].len(), v[1].len()))
}

/// Counts what `rtcscope dissect --json` found.
fn our_counts(file: &str) -> (usize, usize, usize) {
    let out = run(&["dissect", "--json", file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let packets = v.as_array().unwrap();
    let mut stun = 0;
    let mut chan = 0;
    for p in packets {
        for proto in p["protocols"].as_array().unwrap() {
            match proto.as_str().unwrap() {
                "STUN" => stun += 1,
                "ChannelData" => chan += 1,
                _ => {}
            }
        }
    }
    (packets.len(), stun, chan)
}

#[test]
fn udp_capture_agrees_with_tshark() {
    let (packets, stun, chan) = our_counts(UDP);
    assert_eq!(packets, 522);
    assert!(stun > 50 && chan >= 200, "{stun} {chan}");
    if let Some((ts, tc)) = tshark_counts(UDP) {
        // Both count the STUN quoted inside the 4 ICMP port-unreachable errors (the JSON
        // `protocols` lists what an ICMP error quotes after "ICMP").
        assert_eq!((stun, chan), (ts, tc));
    }
}

#[test]
fn tcp_capture_agrees_with_tshark() {
    let (_, stun, chan) = our_counts(TCP);
    if let Some(expected) = tshark_counts(TCP) {
        assert_eq!((stun, chan), expected);
    }
}

#[test]
fn verbose_tree_shows_offsets_and_checks() {
    let out = run(&["dissect", "-V", "-c", "6", UDP]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Allocate Error Response"), "{text}");
    assert!(text.contains("ERROR-CODE: 401 Unauthorized"), "{text}");
    assert!(text.contains("REALM: rtcscope.test"), "{text}");
    assert!(
        text.contains("Message Type: Allocate Request (0x0003)  [42..44]"),
        "{text}"
    );
    assert!(text.contains("FINGERPRINT check: valid"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("Frame ")).count(), 6);
}

#[test]
fn filters_count_and_stdin() {
    let out = run(&["dissect", "--proto", "turn", "-c", "5", TCP]);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(text
        .lines()
        .all(|l| l.contains("STUN") || l.contains("ChannelData")));
    let bytes = std::fs::read(fixtures().join("captures/turn-udp.pcapng")).unwrap();
    let piped = run_with_stdin(&["dissect", "-r", "-"], &bytes);
    let direct = run(&["dissect", UDP]);
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(stdout(&piped), stdout(&direct));
    let none = run(&["dissect", "--host", "203.0.113.9", UDP]);
    assert!(stdout(&none).is_empty());
}

#[test]
fn a_truncated_capture_is_reported_and_the_rest_is_shown() {
    let bytes = std::fs::read(fixtures().join("captures/turn-udp.pcapng")).unwrap();
    let cut = &bytes[..bytes.len() * 2 / 3];
    let out = run_with_stdin(&["dissect", "-"], cut);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("file ends inside a record at byte"), "{err}");
    assert!(stdout(&out).lines().count() > 300);
}

#[test]
fn garbage_and_missing_files_give_clear_errors() {
    let out = run_with_stdin(
        &["dissect", "-"],
        b"this is not a capture at all, just text\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a pcap or pcapng file"),
        "{}",
        stderr(&out)
    );
    let out = run(&["dissect", "fixtures/no-such-file.pcap"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot open fixtures/no-such-file.pcap"),
        "{}",
        stderr(&out)
    );
}

/// Captures of other protocols (TLS, XMPP, DNS, NTP, mDNS, SSDP, QUIC-like) that no packet of
/// may be shown as a WebRTC protocol: a TLS record once framed as "classic STUN 0x1603".
#[test]
fn other_protocols_are_not_labelled_webrtc() {
    const WEBRTC: [&str; 7] = [
        "STUN",
        "STUN(3489)",
        "ChannelData",
        "DTLS",
        "RTP",
        "RTCP",
        "SCTP",
    ];
    for name in [
        "tls-443",
        "xmpp-5222",
        "dns-53",
        "ntp-123",
        "mdns-5353",
        "ssdp-1900",
        "quic-like-443",
    ] {
        let file = format!("fixtures/captures/nonwebrtc/{name}.pcap");
        let out = run(&["dissect", "--json", &file]);
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
        let packets = v.as_array().unwrap();
        assert!(!packets.is_empty(), "{file}: no packets");
        for p in packets {
            for proto in p["protocols"].as_array().unwrap() {
                let proto = proto.as_str().unwrap();
                assert!(
                    !WEBRTC.contains(&proto),
                    "{file}: packet {} shown as {proto}",
                    p["number"]
                );
            }
        }
    }
}
