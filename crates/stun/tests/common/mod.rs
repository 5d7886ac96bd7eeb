//! Loading the corpus's STUN/TURN samples, shared by the conformance and differential tests.
#![allow(dead_code)] // each test binary uses a different part

use base64::Engine;
use rtcscope_stun::{classify, frame_len, ChannelData, Message};
use rtcscope_testkit::tshark;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One message (STUN or ChannelData) from the corpus.
pub struct Sample {
    /// Corpus-relative path, with `#N` (N-th line, or frame number in a capture, plus `.k` for
    /// the k-th message completed in that frame).
    pub name: String,
    /// The message bytes (for a stream, exactly one frame with its padding).
    pub bytes: Vec<u8>,
    /// True when the message came from a TCP stream (ChannelData padding is then required).
    pub stream: bool,
}

fn rel(corpus: &Path, p: &Path) -> String {
    p.strip_prefix(corpus).unwrap().display().to_string()
}

/// Every sample that is a file or a line of a file (no captures).
pub fn file_samples(corpus: &Path) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut whole = |p: PathBuf| {
        out.push(Sample {
            name: rel(corpus, &p),
            bytes: std::fs::read(&p).unwrap(),
            stream: false,
        })
    };
    for dir in ["rfc-vectors/rfc5769", "aioice"] {
        for p in rtcscope_testkit::files_under(&corpus.join(dir)) {
            if p.extension().is_some_and(|e| e == "bin") {
                whole(p);
            }
        }
    }
    whole(corpus.join("pion-stun/ex1_chrome.stun"));
    for p in
        rtcscope_testkit::files_under(&corpus.join("mediasoup-webrtc-fuzzer-corpora/stun-corpus"))
    {
        whole(p);
    }
    let csv = corpus.join("pion-stun/frombrowsers.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut n = 0;
    for line in text.lines() {
        if line.starts_with('#') || line.starts_with("ip,") || line.trim().is_empty() {
            continue;
        }
        n += 1;
        let b64 = line.split(',').nth(1).unwrap();
        out.push(Sample {
            name: format!("{}#{n}", rel(corpus, &csv)),
            bytes: base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
            stream: false,
        });
    }
    for p in rtcscope_testkit::files_under(&corpus.join("pion-turn")) {
        if p.extension().is_some_and(|e| e == "hex") {
            for (i, bytes) in rtcscope_testkit::hex_lines(&p).into_iter().enumerate() {
                out.push(Sample {
                    name: format!("{}#{}", rel(corpus, &p), i + 1),
                    bytes,
                    stream: false,
                });
            }
        }
    }
    out
}

/// The captures holding STUN/TURN traffic.
pub fn pcaps(corpus: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        rtcscope_testkit::files_under(&corpus.join("veondigital-srtp_decoder"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
            .collect();
    v.push(corpus.join("zeek/webrtc-stun.pcap"));
    v
}

/// The capture's frames as tshark sees them, TCP not reassembled (each segment on its own).
pub fn frames(tshark_bin: &Path, pcap: &Path) -> Vec<tshark::Frame> {
    tshark::frames(
        tshark_bin,
        pcap,
        &[
            "-o",
            "tcp.desegment_tcp_streams:FALSE",
            "-Y",
            "udp || tcp.len > 0",
        ],
    )
}

/// True when tshark dissected STUN (or ChannelData) in this frame.
pub fn tshark_says_stun(f: &tshark::Frame) -> bool {
    !f.layers["stun"].is_null()
}

fn num(v: &serde_json::Value, layer: &str, key: &str) -> Option<u64> {
    tshark::str_field(&v[layer], key).and_then(|s| s.parse().ok())
}

/// A STUN or ChannelData frame starts the buffer (used to find message boundaries in a TCP
/// stream captured mid-way).
fn starts_frame(p: &[u8]) -> bool {
    match p.first() {
        Some(0x00..=0x3f) => Message::parse_prefix(p).is_ok() && rtcscope_stun::has_magic_cookie(p),
        Some(0x40..=0x7f) => ChannelData::parse_prefix(p).is_ok(),
        _ => false,
    }
}

#[derive(Default)]
struct Direction {
    buf: Vec<u8>,
    next_seq: Option<u32>,
    synced: bool,
}

/// Every STUN/ChannelData message of a capture: UDP datagrams that tshark dissects as STUN or
/// that classify as STUN/ChannelData, and the messages of TCP streams to or from port 3478
/// (TURN over TCP, RFC 8656 §12.5), reassembled by sequence number and split by the framing.
/// A stream framing error (bytes that are neither STUN nor ChannelData) is returned as a
/// sample holding the offending bytes, so that it fails visibly.
pub fn pcap_samples(corpus: &Path, frames: &[tshark::Frame], pcap: &Path) -> Vec<Sample> {
    let name = rel(corpus, pcap);
    let mut out = Vec::new();
    let mut dirs: HashMap<(u64, u64), Direction> = HashMap::new();
    for f in frames {
        if f.payload.is_empty() {
            continue;
        }
        if !f.layers["udp"].is_null() {
            if tshark_says_stun(f) || classify(&f.payload).is_some() {
                out.push(Sample {
                    name: format!("{name}#{}", f.number),
                    bytes: f.payload.clone(),
                    stream: false,
                });
            }
            continue;
        }
        let (Some(stream), Some(sport), Some(dport), Some(seq)) = (
            num(&f.layers, "tcp", "tcp.stream"),
            num(&f.layers, "tcp", "tcp.srcport"),
            num(&f.layers, "tcp", "tcp.dstport"),
            num(&f.layers, "tcp", "tcp.seq_raw"),
        ) else {
            continue;
        };
        if sport != 3478 && dport != 3478 {
            continue;
        }
        let seq = seq as u32;
        let d = dirs.entry((stream, sport)).or_default();
        let mut payload = &f.payload[..];
        match d.next_seq {
            Some(n) if d.synced && seq == n => {}
            Some(n) if d.synced && seq.wrapping_sub(n) > u32::MAX / 2 => {
                // Retransmission: keep only what is new.
                let old = n.wrapping_sub(seq) as usize;
                if old >= payload.len() {
                    continue;
                }
                payload = &payload[old..];
            }
            _ => {
                // First segment or a gap: start again at a segment that begins with a message.
                d.buf.clear();
                d.synced = starts_frame(payload);
                if !d.synced {
                    d.next_seq = Some(seq.wrapping_add(payload.len() as u32));
                    continue;
                }
            }
        }
        d.next_seq = Some(seq.wrapping_add(f.payload.len() as u32));
        d.buf.extend_from_slice(payload);
        let mut k = 0;
        loop {
            let n = match frame_len(&d.buf) {
                None => break,
                Some(Ok(n)) => n,
                Some(Err(_)) => {
                    k += 1;
                    out.push(Sample {
                        name: format!("{name}#{}.{k}", f.number),
                        bytes: std::mem::take(&mut d.buf),
                        stream: true,
                    });
                    d.synced = false;
                    break;
                }
            };
            if d.buf.len() < n {
                break;
            }
            k += 1;
            out.push(Sample {
                name: format!("{name}#{}.{k}", f.number),
                bytes: d.buf.drain(..n).collect(),
                stream: true,
            });
        }
    }
    out
}
