//! Where the packet view finds packets: a capture file is indexed (where each packet's bytes
//! are in the file, [`INDEX_ENTRY_BYTES`] a packet) and read back for the rows on screen, so
//! every packet of a capture of millions can be browsed; a live capture or standard input,
//! which cannot be read twice, keeps the most recent packets in a [`PacketRing`].
//!
//! Packets are addressed by their *position*: 0 for the first packet the store was given,
//! counting on for each one after. A ring forgets its oldest positions
//! ([`PacketStore::first`]); an index never does.

use crate::decrypted::DecryptedNotes;
use crate::ring::{endpoints, PacketRing, Summary};
use crate::streams::StreamFrames;
use rtcscope_capture::link::LinkType;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::Path;

/// Bytes the index holds per packet.
pub const INDEX_ENTRY_BYTES: usize = std::mem::size_of::<Entry>();

/// Rows whose dissection is kept for redrawing; the oldest half goes when it is full.
const ROW_CACHE: usize = 4096;

/// Bits of an entry's offset word that hold the file offset; the link type's slot is above.
const OFFSET_BITS: u32 = 48;

/// One packet of an indexed file.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// File offset of the packet's bytes (low 48 bits) and its link type's slot (high 16).
    at: u64,
    ts_nanos: i64,
    number: u64,
    /// Captured length (low 31 bits) and whether the engine found no DTLS in the packet (the
    /// top bit, [`NO_DTLS_BIT`]).
    caplen: u32,
    orig_len: u32,
}

/// The bit of [`Entry::caplen`] that says the engine found no DTLS in the packet.
const NO_DTLS_BIT: u32 = 1 << 31;

impl Entry {
    fn caplen(&self) -> u32 {
        self.caplen & !NO_DTLS_BIT
    }
}

/// A packet read back: its record and its bytes.
#[derive(Clone, Copy, Debug)]
pub struct PacketRef<'a> {
    /// Packet number in the capture.
    pub number: u64,
    /// Capture time (ns since the epoch).
    pub ts_nanos: i128,
    /// Link type of `data`.
    pub link: LinkType,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Length on the wire.
    pub orig_len: u32,
    /// The analysis engine classified this UDP or TCP frame and found no DTLS in it (directly
    /// or inside a TURN relay): a DTLS 1.3 unified header is then not believed, as the engine
    /// does not believe it ([`Summary::of`]).
    pub no_dtls: bool,
}

/// What a row shows of a packet besides its record: addresses and the dissector's summary.
#[derive(Clone, Debug)]
pub struct RowInfo {
    /// Source and destination, when the frame is UDP or TCP.
    pub endpoints: Option<(SocketAddr, SocketAddr)>,
    /// Protocol, info and the filter's fields. The info ends with `[decrypted: …]` when the
    /// engine decrypted something in the packet, as `rtcscope dissect --keylog` writes it (the
    /// fields are the packet's as captured: a display filter matches what `dissect -Y` does).
    pub summary: Summary,
    /// The signalling that decryption revealed inside (for the ladder): a data-channel open,
    /// the SCTP association's set-up, DTLS 1.3's encrypted handshake, an RTCP BYE.
    pub signalling: Option<String>,
}

impl RowInfo {
    fn of(p: &PacketRef<'_>, decrypted: &DecryptedNotes, streams: &StreamFrames) -> Self {
        let summary = match streams.get(p.number) {
            Some(f) => Summary::of_frame(f),
            None => Summary::of(p),
        };
        let mut row = RowInfo {
            endpoints: endpoints(p.link, p.data),
            summary,
            signalling: None,
        };
        row.add_decrypted(p.number, decrypted);
        row
    }

    /// Shows packet `number` as TCP stream reassembly shows it, when that differs from the
    /// packet read alone ([`StreamFrames`]).
    fn add_stream(&mut self, number: u64, streams: &StreamFrames) {
        if let Some(f) = streams.get(number) {
            self.summary = Summary::of_frame(f);
        }
    }

    /// Appends what was decrypted in packet `number`, when anything was.
    fn add_decrypted(&mut self, number: u64, decrypted: &DecryptedNotes) {
        if let Some(n) = decrypted.get(number) {
            self.summary.info = format!("{} [decrypted: {}]", self.summary.info, n.info);
            self.signalling.clone_from(&n.signalling);
        }
    }

    /// True when the packet travels between `a` and `b`, either way.
    pub fn between(&self, a: SocketAddr, b: SocketAddr) -> bool {
        self.endpoints
            .is_some_and(|(s, d)| (s == a && d == b) || (s == b && d == a))
    }
}

/// A capture file's packets, indexed as the loader reads them and read back on demand.
pub struct FileIndex {
    reader: BufReader<File>,
    /// Where the reader stands in the file.
    pos: u64,
    entries: Vec<Entry>,
    links: Vec<LinkType>,
    buf: Vec<u8>,
    rows: HashMap<u64, RowInfo>,
    error: Option<String>,
}

impl std::fmt::Debug for FileIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileIndex")
            .field("packets", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl FileIndex {
    /// Opens `path` a second time, for reading packets back while the loader reads it.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        Ok(FileIndex {
            reader: BufReader::with_capacity(64 << 10, File::open(path)?),
            pos: 0,
            entries: Vec::new(),
            links: Vec::new(),
            buf: Vec::new(),
            rows: HashMap::new(),
            error: None,
        })
    }

    fn push(&mut self, p: &PacketRef<'_>, offset: u64) {
        let slot = match self.links.iter().position(|&l| l == p.link) {
            Some(i) => i,
            None if self.links.len() < 1 << (64 - OFFSET_BITS) => {
                self.links.push(p.link);
                self.links.len() - 1
            }
            // More link types than the slot holds (a crafted file): the last slot's.
            None => self.links.len() - 1,
        };
        if offset >> OFFSET_BITS != 0 {
            self.error
                .get_or_insert_with(|| format!("packet {} lies beyond 256 TiB", p.number));
            return;
        }
        self.entries.push(Entry {
            at: offset | (slot as u64) << OFFSET_BITS,
            ts_nanos: rtcscope_analysis::timestamp_ns(p.ts_nanos),
            number: p.number,
            // A frame is at most a few hundred KiB: far below the top bit.
            caplen: (p.data.len() as u32 & !NO_DTLS_BIT) | if p.no_dtls { NO_DTLS_BIT } else { 0 },
            orig_len: p.orig_len,
        });
    }

    /// Reads the packet at `pos` into the buffer; false when the file no longer holds it.
    fn read(&mut self, pos: u64) -> Option<Entry> {
        let e = *self.entries.get(usize::try_from(pos).ok()?)?;
        let offset = e.at & ((1 << OFFSET_BITS) - 1);
        // Forward jumps within the buffer keep it; anything else seeks.
        let moved = match offset.checked_sub(self.pos) {
            Some(0) => Ok(()),
            Some(d) if d < 64 << 10 => self.reader.seek_relative(d as i64),
            _ => self.reader.seek(SeekFrom::Start(offset)).map(|_| ()),
        };
        self.buf.resize(e.caplen() as usize, 0);
        match moved.and_then(|()| self.reader.read_exact(&mut self.buf)) {
            Ok(()) => {
                self.pos = offset + u64::from(e.caplen());
                Some(e)
            }
            Err(err) => {
                // Re-seek next time from a known place.
                self.pos = u64::MAX;
                self.error.get_or_insert_with(|| {
                    format!("reading packet {} back from the file: {err}", e.number)
                });
                None
            }
        }
    }

    fn packet(&self, e: &Entry) -> PacketRef<'_> {
        PacketRef {
            number: e.number,
            ts_nanos: i128::from(e.ts_nanos),
            link: self.links[(e.at >> OFFSET_BITS) as usize],
            data: &self.buf,
            orig_len: e.orig_len,
            no_dtls: e.caplen & NO_DTLS_BIT != 0,
        }
    }
}

/// Where the packets are.
#[derive(Debug)]
enum Held {
    /// The most recent packets of a live capture or a stream.
    Ring(PacketRing),
    /// Every packet of a capture file.
    File(FileIndex),
}

/// The packet view's store: an index of a file, or a ring of recent packets; with what the
/// engine decrypted in them ([`DecryptedNotes`]), which their rows show.
#[derive(Debug)]
pub struct PacketStore {
    held: Held,
    /// What the engine decrypted, by packet number (empty without keys).
    pub decrypted: DecryptedNotes,
    /// TCP frames as the stream's reassembly shows them, where that differs.
    pub streams: StreamFrames,
}

impl From<PacketRing> for PacketStore {
    fn from(r: PacketRing) -> Self {
        PacketStore {
            held: Held::Ring(r),
            decrypted: DecryptedNotes::new(true),
            streams: StreamFrames::default(),
        }
    }
}

impl From<FileIndex> for PacketStore {
    fn from(i: FileIndex) -> Self {
        PacketStore {
            held: Held::File(i),
            decrypted: DecryptedNotes::new(false),
            streams: StreamFrames::default(),
        }
    }
}

impl PacketStore {
    /// Takes a packet: a copy into a ring, or its place in the file (`stream_offset`) into an
    /// index. An index given a packet without an offset keeps nothing of it.
    pub fn push(&mut self, p: &PacketRef<'_>, stream_offset: Option<u64>) {
        match &mut self.held {
            Held::Ring(r) => r.push(p),
            Held::File(i) => match stream_offset {
                Some(o) => i.push(p, o),
                None => {
                    i.error
                        .get_or_insert_with(|| "a packet without a place in the file".into());
                }
            },
        }
    }

    /// The oldest position still held.
    pub fn first(&self) -> u64 {
        match &self.held {
            Held::Ring(r) => r.evicted(),
            Held::File(_) => 0,
        }
    }

    /// One past the newest position.
    pub fn end(&self) -> u64 {
        match &self.held {
            Held::Ring(r) => r.evicted() + r.len() as u64,
            Held::File(i) => i.entries.len() as u64,
        }
    }

    /// Packets held.
    pub fn len(&self) -> usize {
        (self.end() - self.first()) as usize
    }

    /// True when no packet is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Packets a ring forgot (0 for an index).
    pub fn evicted(&self) -> u64 {
        self.first()
    }

    /// A ring's packet limit; none for an index.
    pub fn capacity(&self) -> Option<usize> {
        match &self.held {
            Held::Ring(r) => Some(r.capacity()),
            Held::File(_) => None,
        }
    }

    /// Bytes held for the packets: the ring's copies, or the index.
    pub fn bytes(&self) -> usize {
        match &self.held {
            Held::Ring(r) => r.bytes(),
            Held::File(i) => i.entries.capacity() * INDEX_ENTRY_BYTES,
        }
    }

    /// True for an index of a file.
    pub fn is_index(&self) -> bool {
        matches!(self.held, Held::File(_))
    }

    /// The first problem reading packets back (the file shrank or went away), for the status
    /// line.
    pub fn error(&self) -> Option<&str> {
        match &self.held {
            Held::Ring(_) => None,
            Held::File(i) => i.error.as_deref(),
        }
    }

    /// The packet number at `pos`, without reading it.
    pub fn number(&self, pos: u64) -> Option<u64> {
        match &self.held {
            Held::Ring(r) => r
                .get(usize::try_from(pos.checked_sub(r.evicted())?).ok()?)
                .map(|p| p.number),
            Held::File(i) => i.entries.get(usize::try_from(pos).ok()?).map(|e| e.number),
        }
    }

    /// The packet at `pos`, read back if need be, handed to `f`.
    pub fn with_packet<R>(&mut self, pos: u64, f: impl FnOnce(&PacketRef<'_>) -> R) -> Option<R> {
        match &mut self.held {
            Held::Ring(r) => {
                let p = r.get(usize::try_from(pos.checked_sub(r.evicted())?).ok()?)?;
                Some(f(&PacketRef {
                    number: p.number,
                    ts_nanos: p.ts_nanos,
                    link: p.link,
                    data: &p.data,
                    orig_len: p.orig_len,
                    no_dtls: p.no_dtls,
                }))
            }
            Held::File(i) => {
                let e = i.read(pos)?;
                Some(f(&i.packet(&e)))
            }
        }
    }

    /// A row's addresses and summary, dissected the first time (a ring keeps them with the
    /// packet; an index keeps the last few thousand rows shown).
    pub fn row(&mut self, pos: u64) -> Option<RowInfo> {
        let decrypted = &self.decrypted;
        let streams = &self.streams;
        match &mut self.held {
            Held::Ring(r) => {
                let p = r.get_mut(usize::try_from(pos.checked_sub(r.evicted())?).ok()?)?;
                let mut row = RowInfo {
                    endpoints: p.endpoints,
                    summary: p.summary().clone(),
                    signalling: None,
                };
                row.add_stream(p.number, streams);
                row.add_decrypted(p.number, decrypted);
                Some(row)
            }
            Held::File(i) => {
                if let Some(r) = i.rows.get(&pos) {
                    return Some(r.clone());
                }
                let e = i.read(pos)?;
                let row = RowInfo::of(&i.packet(&e), decrypted, streams);
                if i.rows.len() >= ROW_CACHE {
                    // Rows are shown near each other: keep the half nearest this one.
                    i.rows
                        .retain(|&k, _| k.abs_diff(pos) < ROW_CACHE as u64 / 2);
                }
                i.rows.insert(pos, row.clone());
                Some(row)
            }
        }
    }

    /// Visits positions `from..` up to `budget` packets with each one's record, addresses and
    /// dissected fields (a file is read forward, in order); returns the position after the
    /// last one visited.
    pub fn scan(
        &mut self,
        from: u64,
        budget: u64,
        mut visit: impl FnMut(u64, &PacketRef<'_>, &RowInfo),
    ) -> u64 {
        let from = from.max(self.first());
        let to = self.end().min(from.saturating_add(budget));
        let decrypted = &self.decrypted;
        let streams = &self.streams;
        for pos in from..to {
            match &mut self.held {
                Held::Ring(r) => {
                    let Some(p) = r.get_mut((pos - r.evicted()) as usize) else {
                        break;
                    };
                    let mut info = RowInfo {
                        endpoints: p.endpoints,
                        summary: p.summary().clone(),
                        signalling: None,
                    };
                    info.add_stream(p.number, streams);
                    info.add_decrypted(p.number, decrypted);
                    visit(
                        pos,
                        &PacketRef {
                            number: p.number,
                            ts_nanos: p.ts_nanos,
                            link: p.link,
                            data: &p.data,
                            orig_len: p.orig_len,
                            no_dtls: p.no_dtls,
                        },
                        &info,
                    );
                }
                Held::File(i) => {
                    let Some(e) = i.read(pos) else {
                        return to;
                    };
                    let p = i.packet(&e);
                    let info = RowInfo::of(&p, decrypted, streams);
                    visit(pos, &p, &info);
                }
            }
        }
        to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_small() {
        assert_eq!(INDEX_ENTRY_BYTES, 32);
    }
}
