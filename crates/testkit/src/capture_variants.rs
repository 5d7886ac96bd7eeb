//! Every capture the project can reach, and damaged variants of each, for the every-capture
//! tests of the CLI (tests/tests/every_capture.rs) and of the TUI's loader
//! (crates/tui/tests/every_capture.rs).
//!
//! Variants of one capture, all made here and deterministic (a seeded generator per capture):
//! * `clean`: the file as it is;
//! * truncations: right after the file header, at a record boundary half way, in the middle of
//!   a record a third of the way, and one byte short of the end;
//! * `data-flip-N`: bytes flipped only inside packet data (never in a file or record header),
//!   so every record stays readable and a report must still count every one of them;
//! * `header-flip-N`: bytes flipped in the file header and record headers (the magic number
//!   excepted), which may make records unreadable, huge, or on unknown interfaces.

use rtcscope_capture::CaptureReader;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A capture file read into memory, with the name tests print.
pub struct Capture {
    /// `fixtures/...` or `corpus/...`.
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What a variant is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The file as it is.
    Clean,
    /// Cut short.
    Truncated,
    /// Bytes flipped inside packet data only: every record is intact as a record.
    DataFlip,
    /// Bytes flipped in headers.
    HeaderFlip,
}

/// One damaged (or clean) version of a capture.
pub struct Variant {
    /// `clean`, `cut-mid-record`, `data-flip-1`, ...
    pub label: String,
    /// What was done.
    pub kind: Kind,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Variant {
    /// True when the variant holds every record of the file (clean or flipped in packet data
    /// only), so a report must count exactly the file's records.
    pub fn whole(&self) -> bool {
        matches!(self.kind, Kind::Clean | Kind::DataFlip)
    }
}

fn is_capture(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("pcap" | "pcapng")
    )
}

fn read_all(root: &Path, prefix: &str) -> Vec<Capture> {
    crate::files_under(root)
        .into_iter()
        .filter(|p| is_capture(p))
        .map(|path| {
            let rel = path.strip_prefix(root).unwrap_or(&path).display();
            Capture {
                name: format!("{prefix}/{rel}"),
                bytes: std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("reading {}: {e}", path.display())),
                path,
            }
        })
        .collect()
}

/// Every capture below `fixtures/`.
pub fn fixture_captures() -> Vec<Capture> {
    read_all(&crate::fixtures(), "fixtures")
}

/// Every capture of the shared corpus; `None` (after a visible SKIPPED line, or a failure when
/// `RTCSCOPE_REQUIRE_CORPUS=1`) when the corpus is absent.
pub fn corpus_captures(test: &str) -> Option<Vec<Capture>> {
    crate::corpus(test).map(|dir| read_all(&dir, "corpus"))
}

/// Packets the capture reader returns from `bytes`, reading past the records it can skip and
/// stopping at the first it cannot, as `rtcscope analyze` and the TUI's loaders read.
pub fn readable_records(bytes: &[u8]) -> u64 {
    let Ok(mut reader) = CaptureReader::new(bytes) else {
        return 0;
    };
    let mut n = 0;
    loop {
        match reader.next_packet() {
            Ok(Some(_)) => n += 1,
            Ok(None) => return n,
            Err(e) if !e.is_fatal() => {}
            Err(_) => return n,
        }
    }
}

/// Where a capture's records are: the packet data of each packet record, and every other
/// byte's range (file header, block and record headers, non-packet blocks).
#[derive(Default)]
pub struct Layout {
    /// Packet data of each packet record, in file order.
    pub data: Vec<Range<usize>>,
    /// Header bytes: the file header (magic number excluded) and each record's or block's
    /// header and trailer, and whole non-packet blocks.
    pub headers: Vec<Range<usize>>,
    /// Where each record or block starts, and where the file header ends.
    pub boundaries: Vec<usize>,
}

fn u32_at(b: &[u8], at: usize, big: bool) -> Option<u32> {
    let w: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(w)
    } else {
        u32::from_le_bytes(w)
    })
}

/// Walks a pcap or pcapng file's records (independently of the reader under test).
pub fn layout(b: &[u8]) -> Layout {
    let mut l = Layout::default();
    let Some(magic) = b.get(..4) else {
        return l;
    };
    let pcap_big = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => Some(false),
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => Some(true),
        _ => None,
    };
    if let Some(big) = pcap_big {
        l.headers.push(4..24.min(b.len()));
        let mut pos = 24;
        while let Some(incl) = u32_at(b, pos + 8, big) {
            let end = pos + 16 + incl as usize;
            if end > b.len() {
                break;
            }
            l.boundaries.push(pos);
            l.headers.push(pos..pos + 16);
            l.data.push(pos + 16..end);
            pos = end;
        }
        l.boundaries.push(pos);
        return l;
    }
    // pcapng: the Section Header Block's byte-order magic says the endianness.
    let mut big = false;
    let mut pos = 0;
    while pos + 12 <= b.len() {
        if b[pos..pos + 4] == [0x0a, 0x0d, 0x0d, 0x0a] {
            big = b.get(pos + 8..pos + 12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d][..]);
        }
        let (Some(kind), Some(len)) = (u32_at(b, pos, big), u32_at(b, pos + 4, big)) else {
            break;
        };
        let len = len as usize;
        if len < 12 || pos + len > b.len() {
            break;
        }
        l.boundaries.push(pos);
        let skip_magic = if pos == 0 { 4 } else { 0 };
        match kind {
            // Enhanced Packet Block: 28 bytes of header, the data, options and the trailer.
            6 if len >= 32 => {
                let caplen = u32_at(b, pos + 20, big).unwrap_or(0) as usize;
                let data_end = (pos + 28 + caplen).min(pos + len - 4);
                l.headers.push(pos..pos + 28);
                l.data.push(pos + 28..data_end);
                l.headers.push(pos + len - 4..pos + len);
            }
            // Simple Packet Block: 12 bytes of header, the (padded) data, the trailer.
            3 if len >= 16 => {
                l.headers.push(pos..pos + 12);
                l.data.push(pos + 12..pos + len - 4);
                l.headers.push(pos + len - 4..pos + len);
            }
            _ => l.headers.push(pos + skip_magic..pos + len),
        }
        pos += len;
    }
    l.boundaries.push(pos);
    l
}

/// splitmix64: a small deterministic generator, seeded per capture.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from `name` and `salt`.
    pub fn new(name: &str, salt: u64) -> Self {
        let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, x| {
            (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3)
        });
        Rng(h ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Flips `count` bytes (XOR with a non-zero byte) at positions drawn from `ranges`, each range
/// weighted by its length.
fn flip(bytes: &mut [u8], ranges: &[Range<usize>], count: usize, rng: &mut Rng) -> usize {
    let total: usize = ranges.iter().map(|r| r.len()).sum();
    if total == 0 {
        return 0;
    }
    for _ in 0..count {
        let mut at = rng.below(total);
        for r in ranges {
            if at < r.len() {
                bytes[r.start + at] ^= 1 + (rng.next_u64() % 255) as u8;
                break;
            }
            at -= r.len();
        }
    }
    count
}

/// How many of each kind of variant to make.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Truncations (up to 4: after the header, half way at a boundary, mid-record a third of
    /// the way, one byte short).
    pub truncations: usize,
    /// Variants with flips in packet data.
    pub data_flips: usize,
    /// Variants with flips in headers.
    pub header_flips: usize,
}

/// The full plan: four truncations, three data-flip variants, two header-flip variants.
pub const FULL: Plan = Plan {
    truncations: 4,
    data_flips: 3,
    header_flips: 2,
};

/// The clean file and its variants under `plan`.
pub fn variants(c: &Capture, plan: Plan) -> Vec<Variant> {
    let b = &c.bytes;
    let l = layout(b);
    let mut out = vec![Variant {
        label: "clean".into(),
        kind: Kind::Clean,
        bytes: b.clone(),
    }];
    let records = l.boundaries.len().saturating_sub(1);
    let mut cuts: Vec<(String, usize)> = Vec::new();
    if let Some(&first) = l.boundaries.first() {
        // After the file header (pcap) or the first block (pcapng's section header).
        let after_header = if first == 0 {
            l.boundaries.get(1).copied().unwrap_or(b.len())
        } else {
            first
        };
        cuts.push(("cut-after-header".into(), after_header));
    }
    if records >= 2 {
        cuts.push(("cut-half-at-boundary".into(), l.boundaries[records / 2]));
        let r = records / 3;
        let (s, e) = (l.boundaries[r], l.boundaries[r + 1]);
        cuts.push(("cut-mid-record".into(), s + (e - s) / 2));
    }
    cuts.push(("cut-one-byte-short".into(), b.len().saturating_sub(1)));
    for (label, at) in cuts.into_iter().take(plan.truncations) {
        out.push(Variant {
            label,
            kind: Kind::Truncated,
            bytes: b[..at.min(b.len())].to_vec(),
        });
    }
    for i in 0..plan.data_flips {
        let mut rng = Rng::new(&c.name, 1 + i as u64);
        let mut bytes = b.clone();
        // 8 bytes, then one in 256, then one in 32 of the packet data.
        let data: usize = l.data.iter().map(|r| r.len()).sum();
        let count = match i {
            0 => 8,
            1 => (data / 256).max(8),
            _ => (data / 32).max(8),
        };
        flip(&mut bytes, &l.data, count, &mut rng);
        out.push(Variant {
            label: format!("data-flip-{}", i + 1),
            kind: Kind::DataFlip,
            bytes,
        });
    }
    for i in 0..plan.header_flips {
        let mut rng = Rng::new(&c.name, 100 + i as u64);
        let mut bytes = b.clone();
        flip(&mut bytes, &l.headers, 1 + 2 * i, &mut rng);
        out.push(Variant {
            label: format!("header-flip-{}", i + 1),
            kind: Kind::HeaderFlip,
            bytes,
        });
    }
    out
}

/// Runs `jobs` on `workers` threads (the every-capture tests keep the two cores busy without
/// oversubscribing them).
pub fn parallel<T: Send>(workers: usize, jobs: Vec<T>, work: impl Fn(T) + Sync) {
    let queue = std::sync::Mutex::new(jobs);
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                let Some(job) = queue.lock().unwrap().pop() else {
                    return;
                };
                work(job);
            });
        }
    });
}
