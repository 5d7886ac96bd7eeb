//! DTLS 1.3 handshake duration (#10): from the first ClientHello to the client's Finished,
//! found from the unified header's clear epoch bits (RFC 9147 §4: epoch 2 carries the
//! encrypted handshake, epoch 3 the application traffic), not from the first SRTP packet,
//! which came 42–65 ms after the ClientHello where the handshake took a few milliseconds.

use rtcscope_analysis::dtls::{DoneBy, DtlsReport};
use rtcscope_analysis::Engine;
use rtcscope_capture::CaptureReader;
use rtcscope_testkit::{corpus, fixtures};
use std::path::Path;

/// Each frame's time and bytes.
type Frames = Vec<(i64, Vec<u8>)>;

/// The engine's DTLS reports, the time of each frame, and the earliest RTP stream start.
fn analyze(path: &Path) -> (Vec<DtlsReport>, Frames, Option<i64>) {
    let bytes = std::fs::read(path).unwrap();
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    let mut e = Engine::default();
    let mut frames = Vec::new();
    while let Ok(Some(p)) = r.next_packet() {
        e.feed_packet(&p);
        frames.push((p.ts_nanos as i64, p.data.to_vec()));
    }
    let first_rtp = e.streams().map.values().map(|s| s.first_ns).min();
    (e.dtls(), frames, first_rtp)
}

/// The time of the only frame that ends with `payload` (a UDP payload).
fn time_of(frames: &[(i64, Vec<u8>)], payload: &[u8]) -> i64 {
    let hits: Vec<i64> = frames
        .iter()
        .filter(|(_, f)| f.ends_with(payload))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "frames ending with the {}-byte record",
        payload.len()
    );
    hits[0]
}

/// Checks that `d` ended within the client's last burst of epoch-2 records: at or after its
/// last "encrypted handshake" event (the timeline keeps a burst's first record), and before
/// the first epoch-3 record that follows.
fn ends_in_the_clients_last_epoch2_burst(name: &str, d: &DtlsReport) {
    let done = d.done_ns.unwrap();
    let client = d.client.unwrap();
    let t = &d.timeline;
    let last = t
        .iter()
        .rposition(|e| e.from == client && e.what == "encrypted handshake")
        .unwrap_or_else(|| panic!("{name}: no client epoch-2 record in {t:?}"));
    assert!(
        t[last].at_ns <= done,
        "{name}: done before the client's Finished"
    );
    if let Some(next) = t[last + 1..].iter().find(|e| e.what == "encrypted") {
        assert!(
            done <= next.at_ns,
            "{name}: done after the first epoch-3 record"
        );
    }
}

/// The Illustrated DTLS 1.3 Connection names each datagram: the handshake ends with
/// `07-fin-chs-prot`, the client's Finished, and starts with `01-hello-c`.
#[test]
fn ends_at_the_clients_finished_in_the_illustrated_connection() {
    let Some(c) = corpus("ends_at_the_clients_finished_in_the_illustrated_connection") else {
        return;
    };
    let dir = c.join("illustrated-dtls13");
    let (dtls, frames, _) = analyze(&dir.join("capture.pcap"));
    assert_eq!(dtls.len(), 1);
    let d = &dtls[0];
    let hello = time_of(
        &frames,
        &std::fs::read(dir.join("caps/01-hello-c")).unwrap(),
    );
    let finished = time_of(
        &frames,
        &std::fs::read(dir.join("caps/07-fin-chs-prot")).unwrap(),
    );
    assert_eq!(d.version.as_deref(), Some("DTLS 1.3"));
    assert_eq!(d.client_hello_ns, Some(hello));
    assert_eq!(d.done_ns, Some(finished));
    assert_eq!(d.done_by, Some(DoneBy::ClientFinished));
    // The server's Finished (06) came earlier, its ACK (08, epoch 3) later.
    let server_fin = time_of(
        &frames,
        &std::fs::read(dir.join("caps/06-fin-shs-prot")).unwrap(),
    );
    let ack = time_of(
        &frames,
        &std::fs::read(dir.join("caps/08-ack-sap-prot")).unwrap(),
    );
    assert!(server_fin < finished && finished < ack);
}

/// Third-party DTLS 1.3 handshakes (wolfSSL, with and without connection IDs, and one whose
/// ClientHello was retransmitted for two seconds): every completed one ends at the client's
/// Finished, before any epoch-3 record.
#[test]
fn corpus_handshakes_end_at_the_clients_finished() {
    let Some(c) = corpus("corpus_handshakes_end_at_the_clients_finished") else {
        return;
    };
    for (f, completed) in [
        ("zeek/dtls13-wolfssl.pcap", 1),
        ("zeek/dtls13-cid.pcap", 2),
        ("recordflux/dtls13-1.pcap", 1),
    ] {
        let (dtls, _, _) = analyze(&c.join(f));
        let done: Vec<&DtlsReport> = dtls.iter().filter(|d| d.done_ns.is_some()).collect();
        assert_eq!(done.len(), completed, "{f}: completed handshakes");
        for d in done {
            assert_eq!(d.version.as_deref(), Some("DTLS 1.3"), "{f}");
            assert_eq!(d.done_by, Some(DoneBy::ClientFinished), "{f}");
            ends_in_the_clients_last_epoch2_burst(f, d);
        }
    }
}

/// The browser calls: Chromium (both), Firefox (both) and Firefox with Chromium, direct and
/// relayed. Each handshake ends at the client's Finished, before the first SRTP packet.
#[test]
fn browser_calls_end_before_the_media() {
    let mut seen = 0;
    for f in [
        "direct",
        "relay",
        "firefox-direct",
        "firefox-relay",
        "firefox-chromium",
    ] {
        let p = fixtures().join("webrtc").join(f).join("capture.pcapng");
        if !p.exists() {
            continue;
        }
        seen += 1;
        let (dtls, _, first_rtp) = analyze(&p);
        let first_rtp = first_rtp.expect("media");
        let done: Vec<&DtlsReport> = dtls.iter().filter(|d| d.done_ns.is_some()).collect();
        assert!(!done.is_empty(), "{f}");
        for d in done {
            assert_eq!(d.version.as_deref(), Some("DTLS 1.3"), "{f}");
            assert_eq!(d.done_by, Some(DoneBy::ClientFinished), "{f}");
            assert!(
                d.done_ns.unwrap() < first_rtp,
                "{f}: done after the first SRTP"
            );
            ends_in_the_clients_last_epoch2_burst(f, d);
        }
    }
    assert!(seen >= 2, "the Chromium calls are in fixtures/webrtc");
}
