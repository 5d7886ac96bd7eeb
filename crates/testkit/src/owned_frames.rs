//! A whole capture read into memory, frame by frame, for tests that replay it (several times,
//! or with frames removed) through the engine. Needs the `capture` feature.

use rtcscope_capture::{CaptureReader, LinkType};
use std::path::Path;

/// One captured frame, owned.
pub struct OwnedFrame {
    /// Packet number in the capture.
    pub number: u64,
    /// Capture time (ns since the epoch).
    pub ts: i128,
    /// Link type of its interface.
    pub link: LinkType,
    /// The captured bytes.
    pub data: Vec<u8>,
    /// Its length on the wire.
    pub len: u32,
}

/// Every frame of the capture at `path` under fixtures/ (panics on a damaged file: fixtures
/// are whole).
pub fn owned_frames(path: &str) -> Vec<OwnedFrame> {
    let path = crate::fixtures().join(Path::new(path));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        out.push(OwnedFrame {
            number: p.number,
            ts: p.ts_nanos,
            link: p.link_type,
            data: p.data.to_vec(),
            len: p.orig_len,
        });
    }
    out
}
