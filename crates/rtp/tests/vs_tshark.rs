//! Differential test against tshark 4.0: per RTP packet in the corpus pcaps (SSRC, sequence
//! number, timestamp, PT, marker, extension presence and element IDs), and per RTCP sample
//! (written into a temporary pcap) the packet types and report counts of every packet.
//! Disagreements are listed in tests/expected-failures.tsv (suite `rtp-vs-tshark`).

mod common;

use common::{Kind, PCAPS};
use rtcscope_rtp::rtcp::Compound;
use rtcscope_rtp::rtp::RtpPacket;
use rtcscope_rtp::srtp::SrtpPacket;
use rtcscope_testkit::{corpus, frames, require_tool, Expectations};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::process::Command;

fn tshark_fields(tshark: &Path, pcap: &Path, extra: &[&str], fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new(tshark);
    cmd.arg("-r").arg(pcap).args(extra).args([
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("running tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn rtp_line(h: &RtpPacket<'_>) -> Vec<String> {
    let ids: Vec<String> = h
        .extension()
        .map(|b| {
            b.iter()
                .map_while(|e| e.ok())
                .map(|e| e.id.to_string())
                .collect()
        })
        .unwrap_or_default();
    vec![
        format!("{:#010x}", h.ssrc()),
        h.sequence_number().to_string(),
        h.timestamp().to_string(),
        h.payload_type().to_string(),
        u8::from(h.marker()).to_string(),
        u8::from(h.has_extension()).to_string(),
        ids.join(","),
    ]
}

const RTP_FIELDS: [&str; 7] = [
    "rtp.ssrc",
    "rtp.seq",
    "rtp.timestamp",
    "rtp.p_type",
    "rtp.marker",
    "rtp.ext",
    "rtp.ext.rfc5285.id",
];
const RTP_NAMES: [&str; 7] = [
    "ssrc",
    "sequence",
    "timestamp",
    "payload type",
    "marker",
    "extension",
    "extension ids",
];

/// One test for the whole suite: the expectations of `rtp-vs-tshark` are checked once.
#[test]
fn differential_vs_tshark() {
    let Some(dir) = corpus("rtp vs tshark") else {
        return;
    };
    let Some(tshark) = require_tool("rtp vs tshark", "tshark") else {
        return;
    };
    let exp = Expectations::load("rtp-vs-tshark");
    rtp_pcaps_vs_tshark(&dir, &tshark, &exp);
    rtcp_samples_vs_tshark(&dir, &tshark, &exp);
    exp.finish();
}

fn rtp_pcaps_vs_tshark(dir: &Path, tshark: &Path, exp: &Expectations) {
    let tshark = tshark.to_path_buf();
    let mut compared = 0;
    for &(name, profile) in PCAPS {
        let pcap = dir.join(name);
        let payloads = common::udp_payloads(&tshark, &pcap);
        let mut fields = vec!["frame.number"];
        fields.extend(RTP_FIELDS);
        let rows = tshark_fields(&tshark, &pcap, &["-o", "rtp.heuristic_rtp:TRUE"], &fields);
        assert_eq!(rows.len(), payloads.len(), "{name}: one row per UDP frame");
        for ((n, bytes), row) in payloads.iter().zip(&rows) {
            let sample = format!("{name}#{n}");
            let ours = match profile {
                None => RtpPacket::new_checked(bytes).map(|p| rtp_line(&p)),
                Some(p) => SrtpPacket::new_checked(bytes, Some(p), 0).map(|s| rtp_line(s.header())),
            };
            let theirs: Vec<String> = row[1..]
                .iter()
                .map(|s| s.replace("True", "1").replace("False", "0"))
                .collect();
            match ours {
                Err(e) => {
                    exp.failure(&sample, e.field, "rtcscope-rejects", &e.to_string());
                }
                Ok(ours) => {
                    if theirs[0].is_empty() {
                        exp.failure(
                            &sample,
                            "packet",
                            "tshark-not-rtp",
                            "tshark's heuristic did not take it",
                        );
                    } else if let Some(i) = (0..ours.len()).find(|&i| ours[i] != theirs[i]) {
                        exp.failure(
                            &sample,
                            RTP_NAMES[i],
                            "mismatch",
                            &format!("ours {} / tshark {}", ours[i], theirs[i]),
                        );
                    }
                }
            }
            compared += 1;
        }
    }
    eprintln!("compared {compared} RTP packets with tshark");
    assert!(compared > 3900);
}

/// Writes one Ethernet/IPv4/UDP frame per payload (UDP 5004 -> 5005).
fn write_pcap(path: &Path, payloads: &[&[u8]]) {
    let src = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 5004);
    let dst = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 5005);
    let frames: Vec<_> = payloads
        .iter()
        .map(|p| frames::ethernet(&frames::ipv4_udp(src, dst, p)))
        .collect();
    std::fs::write(path, frames::pcap(frames::LINKTYPE_ETHERNET, &frames)).unwrap();
}

fn rtcp_samples_vs_tshark(dir: &Path, tshark: &Path, exp: &Expectations) {
    // Samples whose framing rtcscope accepts (tshark has no notion of rejecting a packet).
    let samples: Vec<_> = common::file_samples(dir)
        .into_iter()
        .filter(|s| {
            s.kind == Kind::Rtcp
                && Compound::new(&s.bytes).iter().all(|p| p.is_ok())
                && !s.bytes.is_empty()
        })
        .collect();
    let tmp = std::env::temp_dir().join(format!("rtcscope-rtcp-{}.pcap", std::process::id()));
    write_pcap(
        &tmp,
        &samples.iter().map(|s| &s.bytes[..]).collect::<Vec<_>>(),
    );
    let rows = tshark_fields(
        tshark,
        &tmp,
        &["-d", "udp.port==5005,rtcp"],
        &["frame.number", "rtcp.pt", "rtcp.rc"],
    );
    let _ = std::fs::remove_file(&tmp);
    assert_eq!(rows.len(), samples.len());
    for (s, row) in samples.iter().zip(&rows) {
        let packets: Vec<_> = Compound::new(&s.bytes).iter().map(Result::unwrap).collect();
        let pts: Vec<String> = packets
            .iter()
            .map(|p| p.packet_type().0.to_string())
            .collect();
        let rcs: Vec<String> = packets
            .iter()
            .filter(|p| p.is_report())
            .map(|p| p.count().to_string())
            .collect();
        if pts.join(",") != row[1] {
            exp.failure(
                &s.name,
                "packet types",
                "mismatch",
                &format!("ours {pts:?} / tshark {}", row[1]),
            );
        } else if rcs.join(",") != row[2] {
            exp.failure(
                &s.name,
                "report counts",
                "mismatch",
                &format!("ours {rcs:?} / tshark {}", row[2]),
            );
        }
    }
    eprintln!("compared {} RTCP samples with tshark", samples.len());
    assert!(samples.len() > 80);
}
