//! Writes fuzzing seeds from real captures: every UDP (and TCP) payload the demultiplexer
//! recognises goes to the directory of the fuzz target for its protocol, deduplicated by
//! content and thinned to a few of each shape (first byte, second byte, size bucket), so the
//! seed set stays small and varied. `scripts/fuzz.sh` runs it over the fixtures and, when
//! present, the shared corpus.
//!
//! `cargo run --release -p rtcscope-analysis --example fuzz_seeds -- OUT_DIR CAPTURE...`
//!
//! A capture that cannot be read is reported and skipped; the others are still used.

use rtcscope_analysis::demux::{classify, Kind};
use rtcscope_capture::file::CaptureReader;
use rtcscope_capture::link::decode;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Seeds kept per shape; shapes are (fuzz target, first byte, second byte, size / 64).
const PER_SHAPE: usize = 2;

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

    fn capture(&mut self, out: &Path, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let bytes = std::fs::read(path)?;
        let mut reader = CaptureReader::new(&bytes[..])?;
        while let Some(p) = reader.next_packet()? {
            let Ok(Ok(d)) = decode(p.link_type, p.data) else {
                continue;
            };
            // Any channel counts as bound and DTLS as seen: this is about shapes, not flows.
            if let Some(t) = target(classify(d.payload, &|_| true, true)) {
                self.offer(out, t, d.payload)?;
            }
        }
        Ok(())
    }
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
