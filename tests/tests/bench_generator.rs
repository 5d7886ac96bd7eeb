//! The benchmark capture generator (`rtcscope_testkit::gencap`, `gen-capture`, used by
//! scripts/bench.sh): the same arguments give the same bytes, and `rtcscope analyze` finds in
//! a file of K sessions K times what it finds in the recording.

use rtcscope_capture::{decode, CaptureReader, Transport};
use rtcscope_testkit::gencap::{self, Options, Source, Tables};
use serde_json::Value;
use std::path::{Path, PathBuf};

const SESSIONS: u32 = 3;

fn load(names: &[&str], audio_only: bool) -> (Vec<Source>, Tables) {
    let mut tables = Tables::default();
    let sources = names
        .iter()
        .map(|n| {
            let dir = rtcscope_testkit::fixtures().join("webrtc").join(n);
            gencap::load_source(&dir, audio_only, &mut tables).expect("recording loads")
        })
        .collect();
    (sources, tables)
}

fn generate(sources: &[Source], tables: &Tables, sessions: u32, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let opts = Options {
        sessions,
        concurrency: 2,
        seed,
    };
    let w = gencap::generate(sources, tables, opts, &mut out).expect("generates");
    let per_round: usize = sources.iter().map(Source::packets).sum();
    assert_eq!(
        w.packets as usize,
        per_round * sessions as usize / sources.len()
    );
    out
}

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rtcscope-gencap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write capture");
    path
}

fn analyze(path: &Path) -> Value {
    let out = rtcscope_tests::run(&["analyze", "--json", path.to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "analyze {}: {}",
        path.display(),
        rtcscope_tests::stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn len(report: &Value, key: &str) -> usize {
    report[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is a list"))
        .len()
}

/// Packet counts of the streams, sorted.
fn stream_packets(report: &Value) -> Vec<u64> {
    let mut v: Vec<u64> = report["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|s| s["packets"].as_u64().expect("packets"))
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn same_arguments_same_bytes_and_the_seed_matters() {
    let (sources, tables) = load(&["direct", "relay"], false);
    let a = generate(&sources, &tables, 4, gencap::DEFAULT_SEED);
    let b = generate(&sources, &tables, 4, gencap::DEFAULT_SEED);
    assert!(a == b, "two runs with the same seed differ");
    let c = generate(&sources, &tables, 4, gencap::DEFAULT_SEED + 1);
    assert_eq!(a.len(), c.len());
    assert!(a != c, "the seed changes nothing");
    // And a fresh load numbers addresses and ufrags the same way.
    let (sources2, tables2) = load(&["direct", "relay"], false);
    assert!(a == generate(&sources2, &tables2, 4, gencap::DEFAULT_SEED));
}

#[test]
fn k_sessions_report_k_times_the_recording() {
    for name in ["direct", "relay"] {
        let (sources, tables) = load(&[name], false);
        let bytes = generate(&sources, &tables, SESSIONS, gencap::DEFAULT_SEED);
        let generated = analyze(&temp(&format!("{name}.pcapng"), &bytes));
        let recording = analyze(
            &rtcscope_testkit::fixtures()
                .join("webrtc")
                .join(name)
                .join("capture.pcapng"),
        );
        let k = SESSIONS as usize;
        assert_eq!(
            generated["counters"]["packets"].as_u64(),
            recording["counters"]["packets"]
                .as_u64()
                .map(|p| p * k as u64),
            "{name}: packets"
        );
        for key in [
            "streams",
            "ice_sessions",
            "dtls",
            "turn_allocations",
            "relay_paths",
            "rtcp_senders",
            "flows",
        ] {
            assert_eq!(
                len(&generated, key),
                k * len(&recording, key),
                "{name}: {key}"
            );
        }
        assert!(len(&recording, "streams") > 0, "{name}: no streams at all");
        let mut expected: Vec<u64> = stream_packets(&recording)
            .into_iter()
            .flat_map(|p| std::iter::repeat_n(p, k))
            .collect();
        expected.sort_unstable();
        assert_eq!(stream_packets(&generated), expected, "{name}: stream sizes");
        assert_eq!(
            len(&generated, "findings"),
            len(&recording, "findings"),
            "{name}: the rewrite made something look wrong"
        );
    }
}

#[test]
fn audio_variant_has_only_the_audio_streams() {
    let (sources, tables) = load(&["direct", "relay"], true);
    let bytes = generate(&sources, &tables, 2 * SESSIONS, gencap::DEFAULT_SEED);
    let report = analyze(&temp("audio.pcapng", &bytes));
    // Each Chromium call sends one Opus stream each way (PT 111 on the m=audio line).
    let streams = report["streams"].as_array().expect("streams");
    assert_eq!(streams.len(), 2 * 2 * SESSIONS as usize);
    for s in streams {
        let pts: Vec<u64> = s["payload_types"]
            .as_array()
            .expect("payload types")
            .iter()
            .map(|p| p[0].as_u64().expect("pt"))
            .collect();
        assert_eq!(pts, [111], "a stream that is not Opus: {s}");
    }
    assert_eq!(len(&report, "ice_sessions"), 2 * SESSIONS as usize);
}

#[test]
fn rewritten_stun_fingerprints_verify() {
    let (sources, tables) = load(&["direct", "relay"], false);
    let bytes = generate(&sources, &tables, 2, gencap::DEFAULT_SEED);
    let mut reader = CaptureReader::new(&bytes[..]).expect("pcapng");
    let mut checked = 0;
    while let Some(p) = reader.next_packet().expect("record") {
        let Ok(Ok(d)) = decode(p.link_type, p.data) else {
            continue;
        };
        if d.transport != Transport::Udp {
            continue;
        }
        // Top-level STUN, and STUN inside ChannelData.
        let mut msg = d.payload;
        if msg.len() >= 4 && (0x40..=0x7f).contains(&msg[0]) {
            msg = &msg[4..];
        }
        checked += check_fingerprints(msg, p.number);
    }
    assert!(checked > 100, "only {checked} fingerprints checked");
}

/// Checks the FINGERPRINT of the STUN message at the start of `msg`, and of a message inside
/// its DATA attribute (a Send or Data indication); returns how many it checked.
fn check_fingerprints(msg: &[u8], number: u64) -> usize {
    if msg.len() < 20 || msg[0] > 3 || msg[4..8] != [0x21, 0x12, 0xa4, 0x42] {
        return 0;
    }
    let end = 20 + usize::from(u16::from_be_bytes([msg[2], msg[3]]));
    let Some(msg) = msg.get(..end) else { return 0 };
    let mut checked = 0;
    let mut off = 20;
    while off + 4 <= end {
        let kind = u16::from_be_bytes([msg[off], msg[off + 1]]);
        let len = usize::from(u16::from_be_bytes([msg[off + 2], msg[off + 3]]));
        let Some(value) = msg.get(off + 4..off + 4 + len) else {
            break;
        };
        match kind {
            0x8028 => {
                let carried = u32::from_be_bytes(value.try_into().expect("4 bytes"));
                assert_eq!(
                    carried,
                    rtcscope_stun::integrity::fingerprint(&msg[..off]),
                    "packet {number}: FINGERPRINT does not verify"
                );
                checked += 1;
            }
            0x0013 => checked += check_fingerprints(value, number),
            _ => {}
        }
        off += 4 + len.next_multiple_of(4);
    }
    checked
}
