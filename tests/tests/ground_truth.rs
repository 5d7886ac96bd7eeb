//! `rtcscope analyze` against the browser's own view: real Chromium calls recorded by
//! fixtures/webrtc/record.sh, with both peers' `getStats()` taken after the media stopped.
//!
//! How getStats maps onto packets (fixtures/webrtc/README.md has the observations):
//! * an `outbound-rtp` entry's `packetsSent` counts every packet of its SSRC **plus every packet
//!   of its `rtxSsrc`** (retransmissions and padding-only probes alike); the RTX SSRC has no
//!   entry of its own;
//! * a candidate pair's `requestsSent` counts every check sent, consent checks and
//!   retransmissions included, `responsesReceived` every success response;
//! * the transport's `tlsVersion` is the DTLS version (`FEFD` 1.2, `FEFC` 1.3) and `dtlsCipher`
//!   the IANA cipher-suite name.
//!
//! In the relayed call each datagram crosses the capture twice (each peer's leg to the TURN
//! server): the engine merges the legs into one relay path and counts every stream, handshake
//! and check once, on the sender's own leg; the second sighting only adds to the path's figures
//! (packets per leg, loss and delay between the legs).

use rtcscope_testkit::fixtures;
use rtcscope_tests::{run, stderr};
use serde_json::Value;
use std::collections::HashMap;

struct Peer {
    ufrag: String,
    stats: HashMap<String, Value>,
}

impl Peer {
    fn by_type<'a>(&'a self, t: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.stats.values().filter(move |s| s["type"] == t)
    }
    fn transport(&self) -> &Value {
        self.by_type("transport")
            .next()
            .expect("a transport stats entry")
    }
    /// (local address:port, remote address:port, candidate type) of a candidate pair.
    fn pair_ends(&self, pair: &Value) -> (String, String, String) {
        let l = &self.stats[pair["localCandidateId"].as_str().unwrap()];
        let r = &self.stats[pair["remoteCandidateId"].as_str().unwrap()];
        let addr = |c: &Value| {
            let ip = c["address"]
                .as_str()
                .or(c["ip"].as_str())
                .unwrap()
                .to_owned();
            if ip.contains(':') {
                format!("[{ip}]:{}", c["port"])
            } else {
                format!("{ip}:{}", c["port"])
            }
        };
        (
            addr(l),
            addr(r),
            l["candidateType"].as_str().unwrap().to_owned(),
        )
    }
}

fn ufrag_of(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=ice-ufrag:"))
        .expect("an ice-ufrag")
        .trim()
        .to_owned()
}

fn load(dir: &str) -> (Peer, Peer, Value) {
    load_with(dir, false)
}

/// `load`, and with `keylog` the call's DTLS key log too (`analyze --keylog`), so SRTP and
/// SRTCP are decrypted: RTX original sequence numbers and NACKs become readable.
fn load_with(dir: &str, keylog: bool) -> (Peer, Peer, Value) {
    let (a, report) = load_one(dir, keylog);
    let base = fixtures().join("webrtc").join(dir);
    // A made the offer, B the answer (fixtures/webrtc/README.md).
    let b = peer(&base, "answer.sdp", "stats-b.json");
    (a, b, report)
}

/// One peer's getStats and its ufrag (from the SDP it sent).
fn peer(base: &std::path::Path, sdp: &str, stats: &str) -> Peer {
    let read = |f: &str| std::fs::read_to_string(base.join(f)).unwrap();
    let v: Value = serde_json::from_str(&read(stats)).unwrap();
    Peer {
        ufrag: ufrag_of(&read(sdp)),
        stats: v
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["id"].as_str().unwrap().to_owned(), s.clone()))
            .collect(),
    }
}

/// Peer A (the offerer) and the report, for a recording whose other end is not a browser
/// (fixtures/webrtc/firefox-janus: no stats-b.json).
fn load_one(dir: &str, keylog: bool) -> (Peer, Value) {
    let base = fixtures().join("webrtc").join(dir);
    let a = peer(&base, "offer.sdp", "stats-a.json");
    let dir_path = format!("fixtures/webrtc/{dir}");
    let (offer, answer, capture, keys) = (
        format!("{dir_path}/offer.sdp"),
        format!("{dir_path}/answer.sdp"),
        format!("{dir_path}/capture.pcapng"),
        format!("{dir_path}/keylog.txt"),
    );
    let mut args = vec!["analyze", "--json", "--sdp", &offer, "--sdp", &answer];
    if keylog {
        args.extend(["--keylog", &keys]);
    }
    args.push(&capture);
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    (a, report)
}

/// Our stream for an SSRC: exactly one, relayed or not (a relayed call's two legs are one
/// path), and when relayed, counted on the sender's own leg.
fn stream_of(report: &Value, ssrc: u64) -> &Value {
    let streams: Vec<&Value> = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["ssrc"] == ssrc)
        .collect();
    let [s] = streams.as_slice() else {
        panic!("SSRC {ssrc:#x}: {} streams, not one", streams.len());
    };
    if !s["relay"].is_null() {
        assert_eq!(
            s["leg"], "sender",
            "SSRC {ssrc:#x}: counted on the sender's leg"
        );
        assert_eq!(s["counted_on"]["both_legs"], true);
        assert_eq!(s["flow"]["transport"], "udp");
    }
    s
}

fn n(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} missing in {v}"))
}

/// Every outbound-rtp entry against the streams of its SSRC and its `rtxSsrc`, field by field.
/// All of these are exact on these calls (every count is a sum over packets the capture
/// holds, and the stats were taken after the media stopped):
/// * `packetsSent` = packets of the SSRC + packets of the RTX SSRC;
/// * `bytesSent` = our `payload_bytes` of both (payload without header, padding or SRTP tag;
///   the 10-byte tag is inferred from the padding probes' size and agrees with `srtpCipher`);
/// * `headerBytesSent` = our `header_bytes` of both + the padding of padding-only packets
///   (libwebrtc counts a probe's padding as header);
/// * `retransmittedPacketsSent`/`retransmittedBytesSent` = our `retransmissions` and
///   `retransmitted_bytes` (RTX answering a NACK; the probes are counted apart);
/// * the codec's `mimeType` = our codec (for RED, the codec inside that the SDP suggests; the
///   RED header that would tell it exactly is encrypted); `mid` = the mid extension.
fn check_rtp(peer: &Peer, report: &Value) -> usize {
    let mut checked = 0;
    for out in peer.by_type("outbound-rtp") {
        let ssrc = out["ssrc"].as_u64().unwrap();
        let what = format!("SSRC {ssrc:#x} ({})", out["kind"]);
        let media = stream_of(report, ssrc);
        let mut parts = vec![media];
        // Chromium names the RTX SSRC (`rtxSsrc`); Firefox does not, and counts its packets
        // all the same: ours is the stream whose FID says it repairs this SSRC.
        let rtx = out["rtxSsrc"].as_u64().or_else(|| {
            report["streams"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["rtx_of"] == ssrc)
                .and_then(|s| s["ssrc"].as_u64())
        });
        if let Some(rtx) = rtx {
            let r = stream_of(report, rtx);
            assert_eq!(r["rtx_of"], ssrc, "{what}: its RTX stream's rtx_of");
            assert_eq!(r["encapsulation"], "rtx", "{what}: RTX stream");
            parts.push(r);
        }
        let sum = |f: &str| parts.iter().map(|s| n(s, f)).sum::<u64>();
        // Packets lost before the capture point (firefox-lossy: dropped on the sender's
        // egress) were sent but are not in the capture: the gaps in the media and RTX
        // sequence numbers count them, except one lost before the first packet of its SSRC
        // that the capture holds (firefox-lossy A's video: sequence number 13929, its first,
        // which only its RTX probes name). Their bytes are unknown: the sums are bounds then.
        let lost = sum("lost");
        let sent = n(out, "packetsSent");
        let on_wire = sum("packets");
        if lost == 0 {
            assert_eq!(on_wire, sent, "{what}: packetsSent");
            assert_eq!(
                sum("payload_bytes"),
                n(out, "bytesSent"),
                "{what}: bytesSent"
            );
            assert_eq!(
                sum("header_bytes") + sum("padding_only_bytes"),
                n(out, "headerBytesSent"),
                "{what}: headerBytesSent"
            );
        } else {
            assert!(
                on_wire + lost <= sent && sent <= on_wire + lost + 1,
                "{what}: packetsSent {sent}, captured {on_wire} + {lost} lost before the capture"
            );
            assert!(
                sum("payload_bytes") < n(out, "bytesSent"),
                "{what}: bytesSent"
            );
            assert!(
                sum("header_bytes") + sum("padding_only_bytes") < n(out, "headerBytesSent"),
                "{what}: headerBytesSent"
            );
        }
        // Retransmissions: RTX packets that repair a loss (their original sequence number was
        // NACKed, or is a gap in the media stream), not the probes. Exact when no RTX packet
        // was lost before the capture; else a retransmission that never reached the wire, or
        // that repaired the packet before the first one captured, is the browser's alone.
        let (ours, theirs) = (sum("retransmissions"), n(out, "retransmittedPacketsSent"));
        let rtx_lost = parts[1..].iter().map(|p| n(p, "lost")).sum::<u64>();
        if lost == 0 {
            assert_eq!(ours, theirs, "{what}: retransmittedPacketsSent");
            assert_eq!(
                sum("retransmitted_bytes"),
                n(out, "retransmittedBytesSent"),
                "{what}: retransmittedBytesSent"
            );
        } else if parts[1..].iter().all(|p| p["encrypted"] == false) {
            assert!(
                ours <= theirs && theirs <= ours + rtx_lost + 1,
                "{what}: retransmittedPacketsSent {theirs}, ours {ours} ({rtx_lost} RTX lost before the capture)"
            );
        } else {
            // Encrypted RTX (no key log: Chromium): a retransmission is known only as an RTX
            // packet within a second after a NACK's clear first header, so ours is a lower
            // bound; a repair sent without a NACK (lossy: 2 of Chromium's 8) looks like a
            // payload probe. The browser's count cannot exceed the RTX payload packets.
            let payloads = parts[1..].iter().map(|p| n(p, "rtx_payload")).sum::<u64>();
            assert!(
                ours <= theirs && theirs <= payloads + rtx_lost,
                "{what}: retransmittedPacketsSent {theirs}, ours {ours}, RTX payloads {payloads} + {rtx_lost} lost"
            );
            assert!(
                sum("retransmitted_bytes") <= n(out, "retransmittedBytesSent"),
                "{what}: retransmittedBytesSent"
            );
        }
        // Every other RTX packet is a bandwidth probe: padding-only or payload padding.
        for p in &parts[1..] {
            assert_eq!(
                n(p, "padding_only") + n(p, "rtx_probes") + n(p, "retransmissions"),
                n(p, "packets"),
                "{what}: RTX probes"
            );
            assert!(n(p, "padding_only") > 0, "{what}: padding-only probes");
        }
        let tag = match peer.transport()["srtpCipher"].as_str() {
            Some("SRTP_AES128_CM_HMAC_SHA1_80") => Some(10),
            Some("SRTP_AES128_CM_HMAC_SHA1_32") => Some(4),
            Some(c) if c.contains("GCM") => Some(16),
            _ => None,
        };
        // (Decrypted with a key log, a stream is cleartext: no tag left to infer.)
        for p in parts.iter().filter(|p| p["encrypted"] == true) {
            if let Some(t) = tag {
                assert_eq!(p["srtp_tag_len"], t, "{what}: SRTP tag vs srtpCipher");
            }
        }
        let codec = &peer.stats[out["codecId"].as_str().unwrap()];
        let mime = codec["mimeType"].as_str().unwrap();
        let ours = media["codec"].as_str().unwrap_or("-");
        assert!(
            mime.eq_ignore_ascii_case(&format!("{}/{ours}", out["kind"].as_str().unwrap())),
            "{what}: codec {mime} vs ours {ours}"
        );
        assert_eq!(media["mid"], out["mid"], "{what}: mid");
        checked += 1;
    }
    checked
}

/// Every inbound-rtp entry against the stream of its SSRC.
/// * Chromium counts its RTX SSRC in `packetsReceived`, `bytesReceived` and
///   `headerBytesReceived` (and every RTX packet, probes included, in
///   `retransmittedPacketsReceived`; their payload in `retransmittedBytesReceived`); Firefox
///   names no `rtxSsrc` and counts the media SSRC only.
/// * Exact, except that a receiver that took its stats while the other side's last packet was
///   in flight counted one packet fewer than the capture holds (firefox-chromium: one 3-byte
///   Opus packet): one packet more, and then at least as many bytes, is tolerated.
/// * Jitter within 1 ms: the capture point is not the receiver (a router or the TURN bridge,
///   before the receiver's socket), and Chromium reports jitter in whole milliseconds.
fn check_inbound(peer: &Peer, report: &Value) -> usize {
    check_inbound_with(peer, report, false)
}

/// `check_inbound`; with `audio_restarts`, an audio stream whose loss is one outage longer
/// than libwebrtc's reordering threshold for audio (5 packets) has getStats `packetsLost` 0:
/// libwebrtc's receive statistics take a sequence jump of more than 5 that the next packet
/// confirms for a restart of the stream and count none of it (ReceiveStatistics'
/// `UpdateOutOfOrder`; video with NACK allows 450). The capture's count is the wire's truth.
fn check_inbound_with(peer: &Peer, report: &Value, audio_restarts: bool) -> usize {
    let mut checked = 0;
    for inb in peer.by_type("inbound-rtp") {
        let ssrc = inb["ssrc"].as_u64().unwrap();
        let what = format!("inbound SSRC {ssrc:#x} ({})", inb["kind"]);
        let media = stream_of(report, ssrc);
        let mut parts = vec![media];
        if let Some(rtx) = inb["rtxSsrc"].as_u64() {
            let r = stream_of(report, rtx);
            assert_eq!(
                n(r, "packets"),
                n(inb, "retransmittedPacketsReceived"),
                "{what}: retransmittedPacketsReceived"
            );
            assert_eq!(
                n(r, "payload_bytes"),
                n(inb, "retransmittedBytesReceived"),
                "{what}: retransmittedBytesReceived"
            );
            parts.push(r);
        }
        let sum = |f: &str| parts.iter().map(|s| n(s, f)).sum::<u64>();
        let (ours, theirs) = (sum("packets"), n(inb, "packetsReceived"));
        assert!(
            ours == theirs || ours == theirs + 1,
            "{what}: packetsReceived {theirs}, ours {ours}"
        );
        let bytes = sum("payload_bytes");
        let header = sum("header_bytes") + sum("padding_only_bytes");
        if ours == theirs {
            assert_eq!(bytes, n(inb, "bytesReceived"), "{what}: bytesReceived");
            assert_eq!(
                header,
                n(inb, "headerBytesReceived"),
                "{what}: headerBytesReceived"
            );
        } else {
            assert!(bytes >= n(inb, "bytesReceived"), "{what}: bytesReceived");
        }
        // Loss: the receiver's `packetsLost` (expected from its first to its highest sequence
        // number, less what arrived; RTX repairs not counted as arrived) is the capture's gap
        // count on the media SSRC, exactly: every loss of these calls happened before the
        // capture point (firefox-lossy: on the sender's egress), and a packet in flight at the
        // stats' timestamp is neither expected nor lost yet.
        if audio_restarts && inb["kind"] == "audio" && n(media, "lost") > 5 {
            assert_eq!(n(inb, "packetsLost"), 0, "{what}: packetsLost");
        } else {
            assert_eq!(
                n(media, "lost"),
                n(inb, "packetsLost"),
                "{what}: packetsLost"
            );
        }
        let jitter = inb["jitter"].as_f64().unwrap() * 1000.0;
        let our_jitter = media["jitter_ms"].as_f64().unwrap();
        // Video whose frames span packets (firefox-vp9: 640x480): libwebrtc updates its jitter
        // only on the first packet of each RTP timestamp, RFC 3550 (and rtcscope) on every
        // packet, and a frame's later packets, paced out behind its first, arrive "late" for
        // the same timestamp. Measured on firefox-vp9 from the same capture's RTP headers:
        // per packet 1.24 and 2.33 ms (ours), first packet per timestamp 2.07 and 3.19 ms,
        // getStats 2.4 and 3.4 ms. So there ours is lower, by at most 1.5 ms.
        let multi_packet_frames =
            media["frames"].is_object() && n(media, "packets") > n(&media["frames"], "frames");
        if multi_packet_frames {
            assert!(
                our_jitter <= jitter + 0.1 && jitter - our_jitter <= 1.5,
                "{what}: jitter {jitter} ms, ours {our_jitter} ms (frames span packets)"
            );
        } else {
            assert!(
                (jitter - our_jitter).abs() <= 1.0,
                "{what}: jitter {jitter} ms, ours {our_jitter} ms"
            );
        }
        checked += 1;
    }
    checked
}

fn check_ice(peer: &Peer, report: &Value, path: &str) {
    check_ice_over(peer, report, path, "udp");
}

/// `check_ice` for a selected pair over `over` (`udp`, or `tcp` for ICE-TCP).
fn check_ice_over(peer: &Peer, report: &Value, path: &str, over: &str) {
    let session = &report["ice_sessions"][0];
    let transport = peer.transport();
    let selected = &peer.stats[transport["selectedCandidatePairId"].as_str().unwrap()];
    let (local, remote, ctype) = peer.pair_ends(selected);
    // Our selected pair for this agent (keyed by its ufrag).
    let sel = session["selected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["ufrag"] == peer.ufrag.as_str())
        .unwrap_or_else(|| panic!("no selected pair for {}", peer.ufrag));
    let pair = session["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == sel["pair"])
        .unwrap();
    assert_eq!(pair["local"], local.as_str(), "selected pair local");
    assert_eq!(pair["remote"], remote.as_str(), "selected pair remote");
    assert_eq!(pair["path"], path);
    assert_eq!(ctype, if path == "relayed" { "relay" } else { "host" });
    // Candidate types of the selected pair, as the SDPs (given with --sdp) announced them.
    let remote_type = &peer.stats[selected["remoteCandidateId"].as_str().unwrap()]["candidateType"];
    assert_eq!(
        pair["local_type"]["type"],
        ctype.as_str(),
        "selected local type"
    );
    assert_eq!(
        pair["remote_type"]["type"], *remote_type,
        "selected remote type"
    );
    assert_eq!(pair["local_type"]["inferred"], false);
    assert_eq!(pair["flow"]["transport"], over, "the pair's flow key");
    assert_eq!(pair["transport"], over, "the pair's transport");
    assert_eq!(pair["nominated"].as_bool(), selected["nominated"].as_bool());
    // The agent's ICE role (RFC 8445 §6.1.1), as its transport's `iceRole` names it.
    assert_eq!(
        sel["role"], transport["iceRole"],
        "{}: ICE role",
        peer.ufrag
    );
    // Check counts: every candidate pair that sent checks, ours by local/remote address.
    for p in peer.by_type("candidate-pair") {
        let sent = p["requestsSent"].as_u64().unwrap_or(0);
        if sent == 0 {
            continue;
        }
        let (l, r, _) = peer.pair_ends(p);
        let ours = session["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["local"] == l.as_str() && q["remote"] == r.as_str())
            .unwrap_or_else(|| panic!("pair {l} → {r} not found"));
        let our_sent =
            ours["requests"].as_u64().unwrap() + ours["retransmissions"].as_u64().unwrap();
        assert_eq!(our_sent, sent, "{l} → {r}: requestsSent");
        assert_eq!(
            ours["responses"].as_u64(),
            p["responsesReceived"].as_u64(),
            "{l} → {r}: responsesReceived"
        );
        // What reached this agent on the pair's path (in relay/, after the TURN server
        // dropped the unpermitted first check) and what it answered.
        assert_eq!(
            ours["requests_received"].as_u64(),
            p["requestsReceived"].as_u64(),
            "{l} → {r}: requestsReceived"
        );
        assert_eq!(
            ours["responses_sent"].as_u64(),
            p["responsesSent"].as_u64(),
            "{l} → {r}: responsesSent"
        );
        // Consent freshness (RFC 7675), the controlled agent's included: Chromium counts every
        // request after the pair's first success; with its nomination on every check that is
        // every check once the pair is nominated, which is what rtcscope counts.
        if let Some(consent) = p["consentRequestsSent"].as_u64() {
            assert_eq!(
                ours["consent_checks"].as_u64(),
                Some(consent),
                "{l} → {r}: consentRequestsSent"
            );
        }
    }
}

/// Version, cipher suite and role of every handshake against both transports' `tlsVersion`,
/// `dtlsCipher` and `dtlsRole`: the peer whose `dtlsRole` is `client` sent the ClientHello
/// from its selected pair's local candidate (the relayed address when relayed), the other
/// answered from its own.
fn check_dtls(a: &Peer, b: &Peer, report: &Value) {
    check_dtls_of(&[a, b], report);
}

/// `check_dtls` for the peers whose getStats the recording has.
fn check_dtls_of(peers: &[&Peer], report: &Value) {
    let dtls = report["dtls"].as_array().unwrap();
    let decrypted = report["decryption"]["associations"]
        .as_array()
        .is_some_and(|x| x.iter().any(|a| a["keys"]["status"] == "found"));
    assert!(!dtls.is_empty());
    for &peer in peers {
        let t = peer.transport();
        let selected = &peer.stats[t["selectedCandidatePairId"].as_str().unwrap()];
        let (local, _, _) = peer.pair_ends(selected);
        let side = match t["dtlsRole"].as_str() {
            Some("client") => "client",
            Some("server") => "server",
            other => panic!("{}: dtlsRole {other:?}", peer.ufrag),
        };
        assert!(
            dtls.iter().any(|d| d[side] == local.as_str()),
            "{}: DTLS {side} at {local}, ours: {:?}",
            peer.ufrag,
            dtls.iter()
                .map(|d| (&d["client"], &d["server"]))
                .collect::<Vec<_>>()
        );
        let version = match t["tlsVersion"].as_str().unwrap() {
            "FEFC" => "DTLS 1.3",
            "FEFD" => "DTLS 1.2",
            "FEFF" => "DTLS 1.0",
            other => panic!("tlsVersion {other}"),
        };
        for d in dtls {
            assert_eq!(d["version"], version);
            assert_eq!(d["cipher_suite"], t["dtlsCipher"]);
            if version == "DTLS 1.3" && !decrypted {
                // The chosen SRTP profile travels encrypted: reported as such, not guessed.
                assert_eq!(d["srtp_profile"]["seen"], "encrypted");
                assert_eq!(d["fingerprint_check"], "encrypted");
            } else {
                // DTLS 1.2 (ServerHello and certificates in the clear), or DTLS 1.3 decrypted
                // with the key log (EncryptedExtensions, Certificate): the server's use_srtp
                // answer is getStats' srtpCipher, both certificates match the SDP.
                assert_eq!(d["srtp_profile"]["value"], t["srtpCipher"]);
                assert_eq!(d["fingerprint_check"], "match");
            }
        }
    }
}

#[test]
fn direct_call_matches_get_stats() {
    let (a, b, report) = load("direct");
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    assert_eq!(check_inbound(&a, &report) + check_inbound(&b, &report), 4);
    check_ice(&a, &report, "direct");
    check_ice(&b, &report, "direct");
    check_dtls(&a, &b, &report);
    assert!(report["turn_allocations"].as_array().unwrap().is_empty());
}

/// A Firefox call (fixtures/webrtc/firefox-direct, recorded by record.sh's Firefox variant):
/// other extension ids than Chromium's, no `rtxSsrc`, AES-GCM SRTP (16-byte tags). The
/// per-SSRC figures must agree as exactly as Chromium's.
#[test]
fn firefox_call_matches_get_stats() {
    let dir = fixtures().join("webrtc").join("firefox-direct");
    if !dir.join("stats-a.json").exists() {
        eprintln!("SKIPPED: {} not recorded", dir.display());
        return;
    }
    let (a, b, report) = load("firefox-direct");
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    assert_eq!(check_inbound(&a, &report) + check_inbound(&b, &report), 4);
    // The selected pair and its candidate types (Firefox's getStats has no per-pair request
    // counts, so check_ice compares those only where they exist).
    check_ice(&a, &report, "direct");
    check_ice(&b, &report, "direct");
    check_dtls(&a, &b, &report);
}

/// A Firefox (offerer) ↔ Chromium call (fixtures/webrtc/firefox-chromium): each browser's
/// per-SSRC figures, Chromium sending on the extension ids Firefox offered.
#[test]
fn firefox_chromium_call_matches_get_stats() {
    let dir = fixtures().join("webrtc").join("firefox-chromium");
    if !dir.join("stats-a.json").exists() {
        eprintln!("SKIPPED: {} not recorded", dir.display());
        return;
    }
    let (a, b, report) = load("firefox-chromium");
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    assert_eq!(check_inbound(&a, &report) + check_inbound(&b, &report), 4);
    // Selected pairs and candidate types on both sides; the Chromium side's per-pair request,
    // response and consent counts (Firefox keeps none).
    check_ice(&a, &report, "direct");
    check_ice(&b, &report, "direct");
    check_dtls(&a, &b, &report);
}

/// A real ICE-TCP call (fixtures/webrtc/firefox-janus): Firefox calls Janus's echo test with
/// every UDP packet between them dropped, so the call runs RFC 4571-framed on one TCP
/// connection from Firefox's active candidate (announced on port 9) to Janus's passive one.
/// Against Firefox's getStats, with its key log: every outbound and inbound stream field by
/// field (Janus echoes A's media on its own SSRCs), the selected pair over TCP with both
/// candidate types as the SDPs announced them (the active candidate matched whatever port
/// it connected from), the DTLS 1.2 handshake with Firefox as DTLS server, NACK/PLI/FIR
/// counts and the pair's bytes; and the diagnosis says the call runs over TCP because the
/// UDP checks went unanswered.
#[test]
fn firefox_janus_call_over_ice_tcp_matches_get_stats() {
    let (a, report) = load_one("firefox-janus", true);
    assert_eq!(check_rtp(&a, &report), 2);
    assert_eq!(check_inbound(&a, &report), 2);
    check_ice_over(&a, &report, "direct", "tcp");
    check_dtls_of(&[&a], &report);
    assert_eq!(a.transport()["dtlsRole"], "server");
    check_feedback(&a, &report);
    check_pair_bytes(&a, &report);
    // The UDP pair Firefox tried first: checks on the wire, no answer.
    let udp: Vec<&Value> = report["ice_sessions"][0]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["transport"] == "udp")
        .collect();
    assert!(!udp.is_empty());
    for p in &udp {
        assert_eq!(n(p, "responses"), 0, "{p}");
    }
    let over_tcp: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "ice.over-tcp")
        .collect();
    assert_eq!(over_tcp.len(), 1, "{:#}", report["findings"]);
    assert_eq!(over_tcp[0]["severity"], "notice");
    assert!(
        over_tcp[0]["verdict"]
            .as_str()
            .unwrap()
            .contains("UDP looks blocked"),
        "{}",
        over_tcp[0]
    );
}

/// NACK, PLI and FIR counts (getStats `nackCount`, `pliCount`, `firCount`) against the
/// decrypted SRTCP feedback (`analyze --keylog`): an outbound-rtp entry counts the feedback
/// packets it received about its SSRC, an inbound-rtp entry those it sent about the remote
/// SSRC; both are the feedback packets on the wire naming that media SSRC (every RTCP packet
/// of these calls reached the capture). Returns the NACK packets seen about `peer`'s
/// outbound SSRCs.
fn check_feedback(peer: &Peer, report: &Value) -> u64 {
    let assoc = &report["decryption"]["associations"][0];
    assert_eq!(n(&assoc["srtp"]["failures"], "count"), 0, "SRTP failures");
    let feedback = assoc["srtp"]["rtcp"]["feedback"].as_array().unwrap();
    let of = |ssrc: u64, f: &str| {
        feedback
            .iter()
            .find(|x| x["media_ssrc"] == ssrc)
            .map_or(0, |x| n(x, f))
    };
    let mut nacks = 0;
    for (t, outbound) in [("outbound-rtp", true), ("inbound-rtp", false)] {
        for e in peer.by_type(t) {
            let ssrc = n(e, "ssrc");
            let what = format!("{t} SSRC {ssrc:#x} ({})", e["kind"]);
            for (field, ours) in [
                ("nackCount", "nack_packets"),
                ("pliCount", "pli"),
                ("firCount", "fir"),
            ] {
                if let Some(theirs) = e[field].as_u64() {
                    assert_eq!(of(ssrc, ours), theirs, "{what}: {field}");
                }
            }
            if outbound {
                nacks += of(ssrc, "nack_packets");
            }
        }
    }
    nacks
}

/// The selected pair's `bytesSent` (Firefox's transport has none) against the capture: it is
/// the UDP payload of every non-STUN datagram the peer sent up to the stats' timestamp;
/// rtcscope's flow bytes per direction are the UDP payload of every datagram, STUN and the
/// packets `close()` sends after the stats included, so they are at least as many. Not equal
/// by definition: firefox-lossy measured 288901 vs 288005 (A) and 293073 vs 292181 (B).
fn check_pair_bytes(peer: &Peer, report: &Value) {
    check_pair_bytes_with(peer, report, 0);
}

/// `check_pair_bytes` for a peer that also sent `unseen` bytes (UDP payload) that were dropped
/// on its own egress, after its socket counted them and before the capture point.
fn check_pair_bytes_with(peer: &Peer, report: &Value, unseen: u64) {
    let t = peer.transport();
    let pair = &peer.stats[t["selectedCandidatePairId"].as_str().unwrap()];
    let (local, remote, _) = peer.pair_ends(pair);
    let flow = report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            (f["a"] == local.as_str() && f["b"] == remote.as_str())
                || (f["b"] == local.as_str() && f["a"] == remote.as_str())
        })
        .unwrap_or_else(|| panic!("no flow {local} ⇄ {remote}"));
    let from_a = usize::from(flow["a"] != local.as_str());
    let (sent, received) = (n(pair, "bytesSent"), n(pair, "bytesReceived"));
    let ours_sent = flow["bytes"][from_a].as_u64().unwrap();
    let ours_received = flow["bytes"][1 - from_a].as_u64().unwrap();
    assert!(
        ours_sent + unseen >= sent,
        "{local}: bytesSent {sent}, flow {ours_sent} (+ {unseen} dropped before the capture)"
    );
    assert!(
        ours_received >= received,
        "{local}: bytesReceived {received}, flow {ours_received}"
    );
}

/// A Firefox call with 5 % of A's RTP dropped on A's egress, before the capture point
/// (fixtures/webrtc/firefox-lossy, nftables numgen random): real loss, B's NACK, and A's
/// RTX retransmissions, against both peers' getStats, decrypted with the call's key log.
/// * B's inbound `packetsLost` equals the capture's sequence gaps exactly (35 audio, 8
///   video here), A's outbound `packetsSent` the captured packets plus those gaps;
/// * A's `retransmittedPacketsSent` (10) is bounded by ours (the RTX packets on the wire that
///   repair a gap or answer a NACK: 8) plus the RTX packets lost before the capture (3) and
///   one for the packet lost before the first one captured; on B's side (no loss) exact;
/// * `nackCount`/`pliCount` equal the decrypted SRTCP feedback on both sides (1 NACK);
/// * Firefox 153 repaired every loss but one without a NACK on the wire: its first
///   retransmission left < 1 ms after a transport-cc feedback from B, so counting only
///   RTX that answers a NACK (as rtcscope did) found 1 retransmission where getStats has 10.
#[test]
fn firefox_lossy_call_matches_get_stats() {
    let dir = fixtures().join("webrtc").join("firefox-lossy");
    if !dir.join("stats-a.json").exists() {
        eprintln!("SKIPPED: {} not recorded", dir.display());
        return;
    }
    let (a, b, report) = load_with("firefox-lossy", true);
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    assert_eq!(check_inbound(&a, &report) + check_inbound(&b, &report), 4);
    check_ice(&a, &report, "direct");
    check_ice(&b, &report, "direct");
    check_dtls(&a, &b, &report);
    assert_eq!(check_feedback(&a, &report), 1, "B NACKed A's video once");
    assert_eq!(check_feedback(&b, &report), 0);
    check_pair_bytes(&a, &report);
    check_pair_bytes(&b, &report);
    // The loss is real and was repaired: B lost some of A's packets, A retransmitted.
    let lost: u64 = b.by_type("inbound-rtp").map(|i| n(i, "packetsLost")).sum();
    assert!(lost > 10, "B lost {lost} packets");
    let retransmitted: u64 = a
        .by_type("outbound-rtp")
        .map(|o| n(o, "retransmittedPacketsSent"))
        .sum();
    assert!(retransmitted > 1, "A retransmitted {retransmitted}");
}

/// A Firefox call whose A stops reaching B for 3 s (fixtures/webrtc/firefox-outage: every RTP
/// packet A sent in that window dropped on A's egress, before the capture point), against both
/// peers' getStats, decrypted with the key log: B's one key-frame request (PLI) and its NACKs
/// equal A's pliCount and nackCount, the packets sent and the inbound figures as in every call.
#[test]
fn firefox_outage_call_matches_get_stats() {
    // check_feedback compares nackCount, pliCount and firCount of every sender and receiver
    // with the decrypted SRTCP (and returns the NACKs: none here, Firefox repaired the outage
    // from the transport-wide feedback alone).
    let (a, _, _) = check_outage_call("firefox-outage", 0);
    let pli: u64 = a
        .by_type("outbound-rtp")
        .filter_map(|o| o["pliCount"].as_u64())
        .sum();
    assert_eq!(pli, 1, "getStats: B asked A for one key frame");
}

/// The checks of a call with firefox-outage's outage of A's media: per-SSRC figures, receiver
/// views (B's audio under libwebrtc's restart rule), ICE, DTLS, the NACK/PLI/FIR counts
/// (`nacks`: A's outbound NACKs) and the pair bytes against getStats; what the capture counts
/// lost on A's media SSRCs is exactly what the nftables rule dropped (meta.json: its counter;
/// no RTX was sent during the outage).
fn check_outage_call(name: &str, nacks: u64) -> (Peer, Peer, Value) {
    let (a, b, report) = load_with(name, true);
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    assert_eq!(
        check_inbound(&a, &report) + check_inbound_with(&b, &report, true),
        4
    );
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("webrtc").join(name).join("meta.json")).unwrap(),
    )
    .unwrap();
    let lost: u64 = b
        .by_type("inbound-rtp")
        .map(|i| n(stream_of(&report, i["ssrc"].as_u64().unwrap()), "lost"))
        .sum();
    let dropped = &meta["impairment"]["dropped"];
    assert_eq!(lost, n(dropped, "packets"));
    check_ice(&a, &report, "direct");
    check_ice(&b, &report, "direct");
    check_dtls(&a, &b, &report);
    assert_eq!(check_feedback(&a, &report), nacks);
    assert_eq!(check_feedback(&b, &report), 0);
    // A's socket counted what its egress then dropped: the rule's IP bytes less 28 bytes of
    // IPv4 and UDP header per packet.
    check_pair_bytes_with(
        &a,
        &report,
        n(dropped, "bytes") - 28 * n(dropped, "packets"),
    );
    check_pair_bytes(&b, &report);
    (a, b, report)
}

/// firefox-outage without transport-cc and PLI (fixtures/webrtc/firefox-remb-fir: the offer B
/// applied lost both, so the peers negotiated REMB and FIR): the same figures against getStats,
/// and B's key-frame request is a FIR (A outbound and B inbound `firCount` 1, `pliCount` 0)
/// preceded by a NACK of the lost video (`nackCount` 1), both equal in the decrypted SRTCP.
#[test]
fn firefox_remb_fir_call_matches_get_stats() {
    let (a, _, report) = check_outage_call("firefox-remb-fir", 1);
    let (fir, pli): (u64, u64) = a
        .by_type("outbound-rtp")
        .map(|o| {
            let count = |f: &str| o[f].as_u64().unwrap_or(0);
            (count("firCount"), count("pliCount"))
        })
        .fold((0, 0), |(f, p), (x, y)| (f + x, p + y));
    assert_eq!(
        (fir, pli),
        (1, 0),
        "getStats: B asked A for one key frame, with FIR"
    );
    let rtcp = &report["decryption"]["associations"][0]["srtp"]["rtcp"];
    assert!(n(rtcp, "remb") > 10, "REMB all along the call");
    assert_eq!(n(rtcp, "transport_cc"), 0);
}

/// A Chromium call with the loss of firefox-lossy (fixtures/webrtc/lossy: 5 % of A's RTP
/// dropped at A's device egress, before the capture point; 23 packets). No key log exists for
/// Chromium, so this is what rtcscope can say of an encrypted call: B's `packetsLost` (15
/// audio, 7 video) are the capture's gaps exactly, A's `packetsSent` the captured packets plus
/// the gaps, B's `retransmittedPacketsReceived` every RTX packet; A's
/// `retransmittedPacketsSent` (8) is bounded below by the RTX packets that followed a NACK's
/// clear header (5) and above by every RTX payload packet plus the RTX gaps.
#[test]
fn lossy_chromium_call_matches_get_stats() {
    let dir = fixtures().join("webrtc").join("lossy");
    if !dir.join("stats-a.json").exists() {
        eprintln!("SKIPPED: {} not recorded", dir.display());
        return;
    }
    let (a, b, report) = load("lossy");
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    assert_eq!(check_inbound(&a, &report) + check_inbound(&b, &report), 4);
    check_ice(&a, &report, "direct");
    check_ice(&b, &report, "direct");
    check_dtls(&a, &b, &report);
    let lost: u64 = b.by_type("inbound-rtp").map(|i| n(i, "packetsLost")).sum();
    assert!(lost > 10, "B lost {lost} packets");
}

/// A Firefox call capped at DTLS 1.2 (fixtures/webrtc/firefox-dtls12, pref
/// `media.peerconnection.dtls.version.max` 771): getStats' `tlsVersion` FEFD and ECDHE cipher
/// suite are the handshake's; its use_srtp answer and certificates are in the clear (profile
/// = `srtpCipher`, both fingerprints match the SDP); the key log's CLIENT_RANDOM master secret
/// decrypts the DTLS records and, through the RFC 5764 exporter (TLS 1.2 PRF), every SRTP and
/// SRTCP packet; the per-SSRC figures agree as on the DTLS 1.3 calls.
#[test]
fn firefox_dtls12_call_matches_get_stats() {
    let dir = fixtures().join("webrtc").join("firefox-dtls12");
    if !dir.join("stats-a.json").exists() {
        eprintln!("SKIPPED: {} not recorded", dir.display());
        return;
    }
    let (a, b, report) = load_with("firefox-dtls12", true);
    assert_eq!(a.transport()["tlsVersion"], "FEFD");
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    assert_eq!(check_inbound(&a, &report) + check_inbound(&b, &report), 4);
    check_ice(&a, &report, "direct");
    check_ice(&b, &report, "direct");
    check_dtls(&a, &b, &report);
    check_feedback(&a, &report);
    check_feedback(&b, &report);
    check_pair_bytes(&a, &report);
    check_pair_bytes(&b, &report);
    let assoc = &report["decryption"]["associations"][0];
    assert_eq!(assoc["version"], "DTLS 1.2");
    assert_eq!(assoc["keys"]["status"], "found");
    assert_eq!(assoc["cipher_suite"], a.transport()["dtlsCipher"]);
    assert_eq!(assoc["srtp_profile"], a.transport()["srtpCipher"]);
    let rtp: u64 = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| n(s, "packets"))
        .sum();
    assert_eq!(
        n(&assoc["srtp"], "rtp_decrypted"),
        rtp,
        "every SRTP packet decrypted"
    );
    assert!(n(&assoc["srtp"], "rtcp_decrypted") > 0);
    assert_eq!(
        assoc["messages_total"], 6,
        "3 data-channel messages each way"
    );
}

/// The video frames `analyze --keylog` reads from the decrypted payload descriptors, against
/// both browsers' getStats: for each video sender, our frames (one per RTP timestamp) equal its
/// outbound `framesSent` and the receiver's `framesReceived`, every frame is complete (its
/// marker bit seen), our key frames equal the receiver's `keyFramesDecoded` (and the sender's
/// `keyFramesEncoded` where it has one: Chromium), our last resolution is the sender's and the
/// receiver's `frameWidth` × `frameHeight`, no frame is a `hugeFramesSent` one, and our freezes
/// are the receiver's `freezeCount`, their length its `totalFreezesDuration` within 20 ms (the
/// receiver measures between rendered frames, we between arrivals on the wire; the fake camera
/// pauses for ~1 s, a frame interval is 66 ms). Exact otherwise: the stats were taken after the
/// media stopped and the capture holds every packet (these calls lose none). The receiver's
/// `framesAssembledFromMultiplePackets` is at most our packets less our frames (a frame of k
/// packets adds k - 1). Returns the video senders compared and those extra packets, summed.
fn check_video_frames(a: &Peer, b: &Peer, report: &Value, codec: &str) -> (usize, u64) {
    let mut compared = 0;
    let mut extra_packets = 0;
    for (sender, receiver) in [(a, b), (b, a)] {
        for out in sender
            .by_type("outbound-rtp")
            .filter(|o| o["kind"] == "video")
        {
            let ssrc = n(out, "ssrc");
            let what = format!("video SSRC {ssrc:#x}");
            let inb = receiver
                .by_type("inbound-rtp")
                .find(|i| i["ssrc"] == ssrc)
                .unwrap_or_else(|| panic!("{what}: no inbound-rtp at the receiver"));
            let media = stream_of(report, ssrc);
            let f = &media["frames"];
            assert_eq!(f["codec"], codec, "{what}: the SDP's rtpmap (inside RED)");
            let frames = n(f, "frames");
            eprintln!(
                "{what}: {frames} frames ({} key, {} complete, last {}x{}, {} freezes, {:.1} ms) \
                 in {} packets; getStats framesSent {} framesReceived {} keyFramesDecoded {} \
                 frameWidth/Height {}x{} (receiver {}x{}) hugeFramesSent {} \
                 framesAssembledFromMultiplePackets {} freezeCount {} totalFreezesDuration {}",
                f["key_frames"],
                f["complete_frames"],
                f["resolution"]["width"],
                f["resolution"]["height"],
                f["freezes"],
                f["freeze_total_ms"].as_f64().unwrap(),
                media["packets"],
                out["framesSent"],
                inb["framesReceived"],
                inb["keyFramesDecoded"],
                out["frameWidth"],
                out["frameHeight"],
                inb["frameWidth"],
                inb["frameHeight"],
                out["hugeFramesSent"],
                inb["framesAssembledFromMultiplePackets"],
                inb["freezeCount"],
                inb["totalFreezesDuration"],
            );
            assert_eq!(frames, n(out, "framesSent"), "{what}: framesSent");
            assert_eq!(frames, n(inb, "framesReceived"), "{what}: framesReceived");
            assert_eq!(n(f, "complete_frames"), frames, "{what}: complete frames");
            assert_eq!(
                n(f, "unreadable_payloads") + n(f, "late_packets"),
                0,
                "{what}: every payload read"
            );
            assert_eq!(
                n(f, "key_frames"),
                n(inb, "keyFramesDecoded"),
                "{what}: keyFramesDecoded"
            );
            if out["keyFramesEncoded"].is_u64() {
                assert_eq!(
                    n(f, "key_frames"),
                    n(out, "keyFramesEncoded"),
                    "{what}: keyFramesEncoded"
                );
            }
            for st in [out, inb] {
                assert_eq!(
                    (n(&f["resolution"], "width"), n(&f["resolution"], "height")),
                    (n(st, "frameWidth"), n(st, "frameHeight")),
                    "{what}: frameWidth x frameHeight of {}",
                    st["type"]
                );
            }
            assert_eq!(n(out, "hugeFramesSent"), 0, "{what}: hugeFramesSent");
            assert_eq!(
                n(f, "freezes"),
                n(inb, "freezeCount"),
                "{what}: freezeCount"
            );
            let want = inb["totalFreezesDuration"].as_f64().unwrap() * 1000.0;
            let ours = f["freeze_total_ms"].as_f64().unwrap();
            assert!(
                (ours - want).abs() <= 20.0,
                "{what}: freezes {ours} ms, getStats {want} ms"
            );
            let extra = n(media, "packets") - frames;
            if let Some(assembled) = inb["framesAssembledFromMultiplePackets"].as_u64() {
                assert!(
                    extra >= assembled,
                    "{what}: {extra} packets beyond one per frame, \
                     framesAssembledFromMultiplePackets {assembled}"
                );
            }
            extra_packets += extra;
            compared += 1;
        }
    }
    (compared, extra_packets)
}

/// A Firefox call whose video is VP9 (fixtures/webrtc/firefox-vp9: both peers put VP9 first
/// with `setCodecPreferences`, 640x480 at up to 1.5 Mbit/s): tshark has no VP9 dissector, so
/// the browsers' getStats are the independent check of the VP9 payload descriptor reading
/// (RFC 9628: B/E bits for frames spanning packets, P for inter frames, the scalability
/// structure's and the uncompressed header's frame size). Frames, key frames (3 per sender:
/// the first, and one at each resolution change Firefox's encoder made, 640x480 to 480x360 and
/// back), resolution and freezes agree as `check_video_frames` says; frames spanning packets
/// are most of them (100 per receiver by getStats).
#[test]
fn firefox_vp9_call_frames_match_get_stats() {
    let dir = fixtures().join("webrtc").join("firefox-vp9");
    if !dir.join("stats-a.json").exists() {
        eprintln!("SKIPPED: {} not recorded", dir.display());
        return;
    }
    let (a, b, report) = load_with("firefox-vp9", true);
    for p in [&a, &b] {
        let mimes: Vec<&str> = p
            .by_type("outbound-rtp")
            .filter(|o| o["kind"] == "video")
            .map(|o| {
                p.stats[o["codecId"].as_str().unwrap()]["mimeType"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(mimes, ["video/VP9"], "getStats: the video went out in VP9");
    }
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    assert_eq!(check_inbound(&a, &report) + check_inbound(&b, &report), 4);
    let (compared, extra) = check_video_frames(&a, &b, &report, "VP9");
    assert_eq!(compared, 2, "one video sender each way");
    assert!(
        extra > 100,
        "frames spanning packets: {extra} extra packets"
    );
    let keys: u64 = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["frames"].is_object())
        .map(|s| n(&s["frames"], "key_frames"))
        .sum();
    assert!(keys > 2, "key frames after the first: {keys} in all");
}

/// The same with AV1 (fixtures/webrtc/firefox-av1: Firefox ESR 153 offers and sends AV1;
/// tshark 4.0 has no AV1 dissector): frames, the key frame (the first; the resolution comes
/// from its sequence header OBU), 640x480 and the freeze agree with both browsers' getStats.
/// Firefox's AV1 encoder fitted every frame of this call in one packet
/// (`framesAssembledFromMultiplePackets` 0), so the Z/Y fragment bits are not exercised here.
#[test]
fn firefox_av1_call_frames_match_get_stats() {
    let dir = fixtures().join("webrtc").join("firefox-av1");
    if !dir.join("stats-a.json").exists() {
        eprintln!("SKIPPED: {} not recorded", dir.display());
        return;
    }
    let (a, b, report) = load_with("firefox-av1", true);
    for p in [&a, &b] {
        let mimes: Vec<&str> = p
            .by_type("outbound-rtp")
            .filter(|o| o["kind"] == "video")
            .map(|o| {
                p.stats[o["codecId"].as_str().unwrap()]["mimeType"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(mimes, ["video/AV1"], "getStats: the video went out in AV1");
    }
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    assert_eq!(check_inbound(&a, &report) + check_inbound(&b, &report), 4);
    let (compared, _) = check_video_frames(&a, &b, &report, "AV1");
    assert_eq!(compared, 2, "one video sender each way");
}

/// Without an SDP the header-extension ids are inferred from the packets (never assumed to be
/// libwebrtc's): on every recorded call each id the inference names is the one the SDP
/// negotiated for that extension, the mid's id is found, and every stream's mid is the one
/// read with the SDP. Exact: an inference that names a wrong id fails here.
#[test]
fn extension_ids_without_an_sdp_match_the_sdp() {
    for dir in [
        "direct",
        "relay",
        "firefox-direct",
        "firefox-relay",
        "firefox-relay-tcp",
        "firefox-chromium",
        "firefox-lossy",
        "firefox-outage",
        "firefox-remb-fir",
        "firefox-dtls12",
        "firefox-vp9",
        "firefox-av1",
        "lossy",
    ] {
        let base = fixtures().join("webrtc").join(dir);
        if !base.join("stats-a.json").exists() {
            eprintln!("SKIPPED: {} not recorded", base.display());
            continue;
        }
        let offer = std::fs::read_to_string(base.join("offer.sdp")).unwrap();
        let negotiated: HashMap<u64, String> = offer
            .lines()
            .filter_map(|l| l.trim().strip_prefix("a=extmap:"))
            .filter_map(|l| {
                let (id, uri) = l.split_once(' ')?;
                let id = id.split('/').next()?.parse().ok()?;
                Some((id, uri.trim().to_owned()))
            })
            .collect();
        let path = format!("fixtures/webrtc/{dir}/capture.pcapng");
        let out = run(&["analyze", "--json", &path]);
        assert!(out.status.success(), "{}", stderr(&out));
        let bare: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ids = bare["header_extensions"].as_array().expect("inferred ids");
        let mut mid = None;
        for i in ids {
            let Some(uri) = i["uri"].as_str() else {
                continue;
            };
            let id = n(i, "id");
            assert_eq!(
                negotiated.get(&id).map(String::as_str),
                Some(uri),
                "{dir}: id {id}"
            );
            if uri == "urn:ietf:params:rtp-hdrext:sdes:mid" {
                mid = Some(id);
            }
        }
        assert!(mid.is_some(), "{dir}: no mid id inferred: {ids:?}");
        let (_, _, with_sdp) = load(dir);
        for s in with_sdp["streams"].as_array().unwrap() {
            let same = bare["streams"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["ssrc"] == s["ssrc"] && x["src"] == s["src"])
                .unwrap_or_else(|| panic!("{dir}: SSRC {} without SDP", s["ssrc"]));
            assert_eq!(same["mid"], s["mid"], "{dir}: SSRC {} mid", s["ssrc"]);
        }
    }
}

#[test]
fn relayed_call_matches_get_stats() {
    let (a, b, report) = load("relay");
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    assert_eq!(check_inbound(&a, &report) + check_inbound(&b, &report), 4);
    check_ice(&a, &report, "relayed");
    check_ice(&b, &report, "relayed");
    check_dtls(&a, &b, &report);
    // Both peers' allocations, authenticated after the 401 challenge and released at the end.
    let allocs = report["turn_allocations"].as_array().unwrap();
    let used: Vec<&Value> = allocs
        .iter()
        .filter(|x| x["channels"].as_array().is_some_and(|c| !c.is_empty()))
        .collect();
    assert_eq!(used.len(), 2, "one allocation per peer carries the call");
    for x in used {
        assert_eq!(x["errors"][0]["code"], 401);
        assert_eq!(x["realm"], "rtcscope.test");
    }
    check_relay_path(&a, &b, &report);
}

/// The relayed Firefox call (fixtures/webrtc/firefox-relay): captured on both legs like
/// Chromium's, counted once. Firefox's getStats has no per-pair request counts, so the relay's
/// loss is checked against its byte counts: what each side's pair sent (DTLS, SRTP, SRTCP) the
/// other received, so nothing but STUN can be lost between the legs.
#[test]
fn firefox_relayed_call_is_counted_once() {
    check_firefox_relayed("firefox-relay");
}

/// The same over TURN over TCP (fixtures/webrtc/firefox-relay-tcp: both NATs drop UDP): each
/// leg is a TCP connection to the server, cut into STUN and Send/Data indications; the call
/// inside is counted once with the browsers' figures, and the legs are named as TCP.
#[test]
fn firefox_call_relayed_over_tcp_is_counted_once() {
    let report = check_firefox_relayed("firefox-relay-tcp");
    for leg in report["relay_paths"][0]["legs"].as_array().unwrap() {
        assert_eq!(leg["transport"], "tcp", "{leg}");
        let alloc = &report["turn_allocations"][n(leg, "allocation") as usize];
        assert_eq!(alloc["transport"], "tcp", "{alloc}");
    }
}

fn check_firefox_relayed(name: &str) -> Value {
    let (a, b, report) = load(name);
    assert_eq!(check_rtp(&a, &report) + check_rtp(&b, &report), 4);
    let paths = report["relay_paths"].as_array().unwrap();
    assert_eq!(paths.len(), 1, "one relay path");
    assert_eq!(paths[0]["legs_seen"], "both");
    assert_eq!(report["dtls"].as_array().unwrap().len(), 1, "one handshake");
    check_dtls(&a, &b, &report);
    let inner = report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["relay"].is_null())
        .count();
    assert_eq!(inner, 1, "one inner flow");
    let selected = |p: &Peer| {
        let id = p.transport()["selectedCandidatePairId"].as_str().unwrap();
        (
            n(&p.stats[id], "bytesSent"),
            n(&p.stats[id], "bytesReceived"),
        )
    };
    let ((a_sent, a_received), (b_sent, b_received)) = (selected(&a), selected(&b));
    assert_eq!(
        (a_sent, b_sent),
        (b_received, a_received),
        "no media lost by the relay"
    );
    for d in paths[0]["directions"].as_array().unwrap() {
        // Every datagram the relay did not deliver is lost, except one still in flight when
        // the capture ends (not judged yet): over TCP, A's last Send indication (frame 4292 of
        // firefox-relay-tcp) follows B's FIN to the server by 1.4 ms.
        let lost = n(d, "lost_between_legs");
        let in_flight = n(d, "counted") - n(d, "matched") - lost;
        assert!(in_flight <= 1, "{name}: {d}");
        let delay = &d["delay_us"];
        assert!(n(delay, "min") > 0 && n(delay, "max") < 50_000, "{delay}");
    }
    report
}

/// The relayed call is one relay path seen on both legs: A's allocation relays to B's relayed
/// address and back. Checked against both browsers:
/// * the legs' relayed addresses are the selected pair's relay candidates, their clients the
///   NATs' public addresses (meta.json);
/// * one inner flow, one DTLS handshake, and the session's packets not doubled: the inner
///   flow's packets from X, less the STUN checks and responses X sent on the pair, are X's
///   transport `packetsSent`, plus the few packets `close()` sends after the stats were taken
///   (a DTLS alert and a last SRTCP packet: at most 4);
/// * lost between the legs, X → Y, is what X sent and Y never received, by the browsers'
///   own counts: (X packetsSent − Y packetsReceived) + (X requestsSent − Y requestsReceived) +
///   (X responsesSent − Y responsesReceived). Here 0 from A, 1 from B (its first check, which
///   coturn dropped: A's allocation had no permission for B yet);
/// * the relay's added delay is positive and small (a server on the same host).
fn check_relay_path(a: &Peer, b: &Peer, report: &Value) {
    let paths = report["relay_paths"].as_array().unwrap();
    assert_eq!(paths.len(), 1, "one relay path");
    let path = &paths[0];
    assert_eq!(path["legs_seen"], "both");
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("webrtc/relay/meta.json")).unwrap(),
    )
    .unwrap();
    let legs = path["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 2);
    let inner = report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["relay"].is_null())
        .collect::<Vec<_>>();
    assert_eq!(inner.len(), 1, "one inner flow, not one per leg");
    let flow = inner[0];
    assert_eq!(report["dtls"].as_array().unwrap().len(), 1, "one handshake");
    fn pair_of(p: &Peer) -> &Value {
        let sel = p.transport()["selectedCandidatePairId"].as_str().unwrap();
        &p.stats[sel]
    }
    for (x, y, name) in [(a, b, "A"), (b, a, "B")] {
        let (local, remote, _) = x.pair_ends(pair_of(x));
        let leg = legs
            .iter()
            .find(|l| l["relayed"] == local.as_str())
            .unwrap_or_else(|| panic!("no leg relaying {local} ({name})"));
        assert_eq!(
            leg["peer"],
            remote.as_str(),
            "{name}'s leg relays to the other's address"
        );
        let public = meta["peers"][name]["public_address"].as_str().unwrap();
        let client = leg["client"].as_str().unwrap();
        assert!(
            client.starts_with(&format!("{public}:")),
            "{name}: {client}"
        );
        assert_eq!(
            leg["mapped"], client,
            "{name}: the server saw the NAT's address"
        );

        let dir = path["directions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["from"] == local.as_str())
            .unwrap();
        assert_eq!(
            dir["ingress"], leg["allocation"],
            "{name}'s packets counted on its leg"
        );
        // Not doubled: this direction of the inner flow against the sender's own count.
        let from_lo = flow["a"] == local.as_str();
        let ours = flow["packets"][usize::from(!from_lo)].as_u64().unwrap();
        let (xp, yp) = (pair_of(x), pair_of(y));
        let stun_sent = n(xp, "requestsSent") + n(xp, "responsesSent");
        let sent = n(x.transport(), "packetsSent");
        let tail = ours - stun_sent - sent;
        assert!(
            ours >= stun_sent + sent && tail <= 4,
            "{name}: inner flow {ours} packets, getStats {sent} + {stun_sent} STUN"
        );
        // The relay's loss, by the browsers' own counts.
        let lost = (sent - n(y.transport(), "packetsReceived"))
            + (n(xp, "requestsSent") - n(yp, "requestsReceived"))
            + (n(xp, "responsesSent") - n(yp, "responsesReceived"));
        assert_eq!(
            dir["lost_between_legs"], lost,
            "{name} → other: lost between the legs"
        );
        assert_eq!(
            n(dir, "counted") - n(dir, "matched"),
            lost,
            "{name}: every counted datagram but the lost ones seen on the other leg"
        );
        let delay = &dir["delay_us"];
        let (min, median, max) = (n(delay, "min"), n(delay, "median"), n(delay, "max"));
        assert!(
            0 < min && min <= median && median <= max && max < 50_000,
            "{name}: relay delay {min}/{median}/{max} µs"
        );
    }
}
