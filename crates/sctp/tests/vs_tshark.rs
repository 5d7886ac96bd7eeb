//! Differential test against tshark 4.0 (suite `sctp-vs-tshark`): chunk types, DATA TSNs,
//! stream IDs and PPIDs, and the checksum verdict, per packet, on zeek/sctp.pcap and on the
//! aiortc packets written into a temporary pcap, both as SCTP over IPv4 and as SCTP over UDP
//! (RFC 6951, port 9899, which Wireshark decodes as SCTP by default).

use rtcscope_testkit::capture_frames as capture;

use rtcscope_sctp::chunk::ChunkBody;
use rtcscope_sctp::{ChecksumStatus, Packet, ZeroChecksum};
use rtcscope_testkit::tshark::{all_values, frame_fields, frames};
use rtcscope_testkit::{corpus, files_under, require_tool, Expectations};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default, PartialEq)]
struct View {
    chunk_types: Vec<String>,
    tsns: Vec<String>,
    sids: Vec<String>,
    ppids: Vec<String>,
    checksum_ok: Vec<String>,
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    all_values(v, key, &mut out);
    out.iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn theirs(sctp: &Value) -> View {
    View {
        chunk_types: strings(sctp, "sctp.chunk_type"),
        tsns: strings(sctp, "sctp.data_tsn_raw"),
        sids: strings(sctp, "sctp.data_sid")
            .iter()
            .map(|s| {
                u16::from_str_radix(s.trim_start_matches("0x"), 16)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            })
            .collect(),
        ppids: strings(sctp, "sctp.data_payload_proto_id"),
        checksum_ok: strings(sctp, "sctp.checksum.status")
            .iter()
            .map(|s| (s == "1").to_string())
            .collect(),
    }
}

fn ours(bytes: &[u8]) -> View {
    let mut v = View::default();
    let Ok(p) = Packet::new_checked(bytes) else {
        return v;
    };
    v.checksum_ok.push(
        (p.checksum_status(ZeroChecksum::NotNegotiated) == ChecksumStatus::Valid).to_string(),
    );
    for c in p.chunks() {
        let Ok(c) = c else { break };
        v.chunk_types.push(c.ctype.0.to_string());
        if let Ok(ChunkBody::Data(d)) = c.body() {
            v.tsns.push(d.tsn.to_string());
            v.sids.push(d.stream_id.to_string());
            v.ppids.push(d.ppid.0.to_string());
        }
    }
    v
}

fn compare(
    exp: &Expectations,
    tshark: &Path,
    pcap: &Path,
    sample: &dyn Fn(usize) -> String,
    udp: bool,
) -> usize {
    let args = ["-o", "sctp.checksum:CRC-32C"];
    let tf = frames(tshark, pcap, &args);
    let ordered: Vec<BTreeMap<u64, Vec<String>>> = [
        "sctp.chunk_type",
        "sctp.data_tsn_raw",
        "sctp.data_sid",
        "sctp.data_payload_proto_id",
    ]
    .iter()
    .map(|f| frame_fields(tshark, pcap, &args, f))
    .collect();
    let mine = capture::packets(pcap);
    let mut compared = 0;
    for f in tf {
        let Some(p) = mine.iter().find(|p| p.number as u64 == f.number) else {
            continue;
        };
        let bytes = if udp { &f.payload } else { &p.payload };
        let Some(sctp) = f.layers.get("sctp") else {
            exp.failure(
                &sample(f.number as usize),
                "sctp",
                "not-dissected",
                "tshark shows no SCTP layer",
            );
            continue;
        };
        compared += 1;
        let (o, mut t) = (ours(bytes), theirs(sctp));
        let get = |i: usize| ordered[i].get(&f.number).cloned().unwrap_or_default();
        t.chunk_types = get(0);
        t.tsns = get(1);
        t.sids = get(2)
            .iter()
            .map(|s| {
                u16::from_str_radix(s.trim_start_matches("0x"), 16)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            })
            .collect();
        t.ppids = get(3);
        for (field, a, b) in [
            ("chunk types", &o.chunk_types, &t.chunk_types),
            ("tsns", &o.tsns, &t.tsns),
            ("stream ids", &o.sids, &t.sids),
            ("ppids", &o.ppids, &t.ppids),
            ("checksum", &o.checksum_ok, &t.checksum_ok),
        ] {
            if a != b {
                exp.failure(
                    &sample(f.number as usize),
                    field,
                    "differs",
                    &format!("ours {a:?} tshark {b:?}"),
                );
            }
        }
    }
    compared
}

#[test]
fn sctp_vs_tshark() {
    let Some(tshark) = require_tool("sctp_vs_tshark", "tshark") else {
        return;
    };
    let Some(root) = corpus("sctp_vs_tshark") else {
        return;
    };
    let exp = Expectations::load("sctp-vs-tshark");

    let n = compare(
        &exp,
        &tshark,
        &root.join("zeek/sctp.pcap"),
        &|n| format!("zeek/sctp.pcap#{n}"),
        false,
    );
    assert_eq!(n, 74);

    let files: Vec<_> = files_under(&root.join("aiortc"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("sctp_")
        })
        .collect();
    let payloads: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let names: Vec<String> = files
        .iter()
        .map(|p| format!("aiortc/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    let dir = std::env::temp_dir().join(format!("rtcscope-sctp-vs-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (proto, tag) in [(132u8, "ip"), (17, "udp")] {
        let pcap = dir.join(format!("aiortc-{tag}.pcap"));
        capture::write_ipv4_pcap(&pcap, proto, (9899, 9899), &payloads);
        let n = compare(
            &exp,
            &tshark,
            &pcap,
            &|n| format!("{}#{tag}", names[n - 1]),
            proto == 17,
        );
        assert_eq!(n, payloads.len(), "{tag}");
    }
    std::fs::remove_dir_all(&dir).ok();
    exp.finish();
}
