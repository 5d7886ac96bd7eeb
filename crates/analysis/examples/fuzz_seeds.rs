//! Writes fuzzing seeds from real captures: every UDP (and TCP) payload the demultiplexer
//! recognises goes to the directory of the fuzz target for its protocol, deduplicated by
//! content and thinned to a few of each shape (first byte, second byte, size bucket), so the
//! seed set stays small and varied. `scripts/fuzz.sh` runs it over the fixtures and, when
//! present, the shared corpus.
//!
//! For the whole-pipeline targets it also writes windows of consecutive records as small pcap
//! files (`pipeline`, `dissect`): libFuzzer reads only the first `-max_len` bytes of a seed, so
//! the whole captures `scripts/fuzz.sh` copies would otherwise only ever show their beginnings.
//! For `tcp_framing` it writes each TCP direction's segments in that target's input layout
//! (fuzz/fuzz_targets/tcp_framing.rs): a few windows per direction, from the start (with the
//! SYN when captured) and from the middle (a capture that starts mid-stream), each also with
//! one segment lost, one reordered and one duplicated, and with the target's small limits.
//!
//! `cargo run --release -p rtcscope-analysis --example fuzz_seeds -- OUT_DIR CAPTURE...`
//!
//! A capture that cannot be read is reported and skipped; the others are still used.

use rtcscope_analysis::demux::{classify, Context, Kind};
use rtcscope_capture::file::CaptureReader;
use rtcscope_capture::link::decode;
use rtcscope_capture::link::{LinkType, Transport};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Seeds kept per shape; shapes are (fuzz target, first byte, second byte, size / 64).
const PER_SHAPE: usize = 2;
/// Record windows written per capture, and the most bytes of records in one.
const WINDOWS: usize = 4;
const WINDOW_BYTES: usize = 16 * 1024;
/// Segment windows written per TCP direction, and their limits (the target's layout allows
/// 255 segments over 64 KiB of stream).
const TCP_WINDOWS: usize = 3;
const TCP_SEGMENTS: usize = 48;
const TCP_SPAN: usize = 12 * 1024;
/// TCP directions used per capture (those with the most payload).
const TCP_DIRECTIONS: usize = 4;

/// One record of a capture, owned.
struct Record {
    ts_nanos: i128,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

/// One TCP segment: sequence number, flags, payload.
type Segment = (u32, u8, Vec<u8>);

fn target(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Stun | Kind::ClassicStun | Kind::ChannelData => "stun",
        Kind::Dtls => "dtls",
        Kind::Rtp => "rtp",
        Kind::Rtcp => "rtcp",
        Kind::Sctp => "sctp",
        Kind::Unknown => return None,
    })
}

/// FNV-1a, for file names and deduplication (no cryptographic need).
fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3)
    })
}

#[derive(Default)]
struct Seeds {
    seen: HashSet<u64>,
    shapes: HashMap<(&'static str, u8, u8, usize), usize>,
    written: HashMap<&'static str, usize>,
}

impl Seeds {
    fn offer(&mut self, out: &Path, t: &'static str, payload: &[u8]) -> std::io::Result<()> {
        let shape = (
            t,
            payload.first().copied().unwrap_or(0),
            payload.get(1).copied().unwrap_or(0),
            payload.len() / 64,
        );
        let n = self.shapes.entry(shape).or_default();
        let h = fnv(payload);
        if *n >= PER_SHAPE || !self.seen.insert(h) {
            return Ok(());
        }
        *n += 1;
        *self.written.entry(t).or_default() += 1;
        let dir = out.join(t);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{h:016x}")), payload)
    }

    /// Writes a seed that is kept whatever its shape (deduplicated by content only).
    fn write(&mut self, out: &Path, t: &'static str, bytes: &[u8]) -> std::io::Result<()> {
        let h = fnv(bytes);
        if !self.seen.insert(h ^ fnv(t.as_bytes())) {
            return Ok(());
        }
        *self.written.entry(t).or_default() += 1;
        let dir = out.join(t);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{h:016x}")), bytes)
    }

    fn capture(&mut self, out: &Path, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let bytes = std::fs::read(path)?;
        let mut reader = CaptureReader::new(&bytes[..])?;
        let mut records = Vec::new();
        let mut tcp: HashMap<(SocketAddr, SocketAddr), Vec<Segment>> = HashMap::new();
        // A damaged record ends the capture here, as it ends `rtcscope analyze`'s reading.
        while let Ok(Some(p)) = reader.next_packet() {
            records.push(Record {
                ts_nanos: p.ts_nanos,
                link: p.link_type,
                data: p.data.to_vec(),
                orig_len: p.orig_len,
            });
            let Ok(Ok(d)) = decode(p.link_type, p.data) else {
                continue;
            };
            if let Transport::Tcp { seq, flags } = d.transport {
                tcp.entry((d.src, d.dst))
                    .or_default()
                    .push((seq, flags, d.payload.to_vec()));
            }
            // Any channel counts as bound and DTLS as seen: this is about shapes, not flows.
            if let Some(t) = target(classify(d.payload, &Context::one_packet(None))) {
                self.offer(out, t, d.payload)?;
            }
        }
        for start in window_starts(records.len(), WINDOWS) {
            let pcap = pcap_window(&records[start..]);
            self.write(out, "pipeline", &pcap)?;
            self.write(out, "dissect", &pcap)?;
        }
        // The directions that carry the most payload.
        let mut directions: Vec<_> = tcp.into_iter().collect();
        directions.sort_by_key(|(k, segments)| {
            let bytes: usize = segments.iter().map(|(_, _, p)| p.len()).sum();
            (std::cmp::Reverse(bytes), *k)
        });
        for (_, segments) in directions.into_iter().take(TCP_DIRECTIONS) {
            for start in window_starts(segments.len(), TCP_WINDOWS) {
                let window = tcp_window(&segments[start..]);
                if window.is_empty() || window.iter().all(|(_, _, p)| p.is_empty()) {
                    continue;
                }
                self.write(out, "tcp_framing", &tcp_seed(&window, 0x00))?;
                self.write(out, "tcp_framing", &tcp_seed(&damaged(&window), 0x00))?;
                // Small limits: max_out_of_order 16 × 4, max_message 64 × 8 (see the target).
                self.write(out, "tcp_framing", &tcp_seed(&damaged(&window), 0x3f))?;
            }
        }
        Ok(())
    }
}

/// Up to `n` distinct starting points spread over `len` items: the start, then evenly apart.
fn window_starts(len: usize, n: usize) -> Vec<usize> {
    let mut starts: Vec<usize> = (0..n).map(|i| len * i / n).filter(|&s| s < len).collect();
    starts.dedup();
    starts
}

/// Consecutive records from the start of `records` as a classic pcap file with nanosecond
/// timestamps, up to [`WINDOW_BYTES`] of records and while the link type stays the same.
fn pcap_window(records: &[Record]) -> Vec<u8> {
    let link = records[0].link;
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_3c4d_u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&link.0.to_le_bytes());
    for r in records.iter().take_while(|r| r.link == link) {
        if out.len() + 16 + r.data.len() > WINDOW_BYTES + 24 && out.len() > 24 {
            break;
        }
        let ts = r.ts_nanos.max(0);
        out.extend_from_slice(&((ts / 1_000_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((ts % 1_000_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(r.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&r.orig_len.to_le_bytes());
        out.extend_from_slice(&r.data);
    }
    out
}

/// Consecutive segments from the start of `segments`, up to [`TCP_SEGMENTS`] of them and
/// [`TCP_SPAN`] bytes of stream after the first.
fn tcp_window(segments: &[Segment]) -> Vec<Segment> {
    let base = segments[0].0;
    segments
        .iter()
        .take(TCP_SEGMENTS)
        .take_while(|(seq, _, p)| seq.wrapping_sub(base) as usize + p.len() <= TCP_SPAN)
        .cloned()
        .collect()
}

/// The window with its second quarter's segment lost, the middle one swapped with the next,
/// and the third quarter's one sent twice.
fn damaged(window: &[Segment]) -> Vec<Segment> {
    let n = window.len();
    let mut out: Vec<Segment> = window.to_vec();
    if n >= 4 {
        out.swap(n / 2, n / 2 + 1);
        out.insert(3 * n / 4, window[3 * n / 4].clone());
        out.remove(n / 4);
    }
    out
}

/// Encodes segments in the `tcp_framing` target's layout: limits byte, known-channels byte
/// (all bound), initial sequence number, count, (position, flags, length) each, then the stream
/// with every segment's payload at its position.
fn tcp_seed(window: &[Segment], limits: u8) -> Vec<u8> {
    const SYN: u8 = 0x02;
    // Stream positions count from the first payload byte after the first segment's sequence
    // number (a SYN takes one sequence number).
    let (seq0, flags0, _) = &window[0];
    let isn = seq0.wrapping_add(u32::from(flags0 & SYN != 0));
    let mut stream = Vec::new();
    let mut descriptors = Vec::new();
    for (seq, flags, payload) in window.iter().take(255) {
        let pos = seq
            .wrapping_add(u32::from(flags & SYN != 0))
            .wrapping_sub(isn) as usize;
        let Ok(pos16) = u16::try_from(pos) else {
            continue;
        };
        let len = payload.len().min(usize::from(u16::MAX));
        if stream.len() < pos + len {
            stream.resize(pos + len, 0);
        }
        stream[pos..pos + len].copy_from_slice(&payload[..len]);
        descriptors.extend_from_slice(&pos16.to_be_bytes());
        descriptors.push(*flags);
        descriptors.extend_from_slice(&(len as u16).to_be_bytes());
    }
    let mut out = vec![limits, 0xff];
    out.extend_from_slice(&isn.to_be_bytes());
    out.push((descriptors.len() / 5) as u8);
    out.extend_from_slice(&descriptors);
    out.extend_from_slice(&stream);
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        return Err("usage: fuzz_seeds OUT_DIR CAPTURE...".into());
    };
    let mut seeds = Seeds::default();
    for path in args.map(PathBuf::from) {
        if let Err(e) = seeds.capture(&out, &path) {
            eprintln!("fuzz_seeds: skipping {}: {e}", path.display());
        }
    }
    let mut written: Vec<_> = seeds.written.into_iter().collect();
    written.sort();
    let summary: Vec<_> = written.iter().map(|(t, n)| format!("{t} {n}")).collect();
    eprintln!("fuzz_seeds: {}", summary.join(", "));
    Ok(())
}
