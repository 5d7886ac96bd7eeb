//! Two threads for a capture file (issue #14): one reads records (pcap/pcapng parsing, the
//! damaged-record policy of [`PacketSource`]) and copies the packets into batches, the other
//! feeds them to the engine.
//!
//! The reader also decodes each packet's link, IP and transport headers (9 % of the engine
//! thread's instructions, measured in docs/benchmarks.md, "Two cores"), and the engine takes
//! the result instead of decoding again.
//!
//! The batches are a fixed pool ([`Batching::batches`] of them) that goes round between the
//! two threads over two bounded channels: the reader fills an empty batch with up to
//! [`Batching::packets`] packets (or until it holds [`Batching::bytes`] bytes), sends it to the
//! engine, and takes the next empty one; the engine feeds every packet of a batch, in order,
//! and sends it back. A batch keeps its buffers when it is emptied, so once the pool has grown
//! to its working size no packet allocates, and memory stays bounded by the pool whatever the
//! size of the file. One reader and one consumer on first-in-first-out channels: the engine
//! sees the packets in file order, exactly as [`loader::feed_file`] feeds them, so the report
//! is the same (tests/tests/analyze_threads.rs compares them byte for byte).
//!
//! Everything [`loader::feed_file`] does happens here in the same order: the key logs of the
//! Decryption Secrets Blocks before the first packet are given to the engine first, later ones
//! right after the packet whose reading brought them (they travel in the batch with that
//! packet's position), and each skipped record is named on standard error as the reader skips
//! it. The counters (records read, skipped, the fatal error, the file's drop counts) stay in
//! the [`PacketSource`], which the caller reads once this returns.

use crate::loader;
use rtcscope_analysis::Engine;
use rtcscope_capture::link::{decode, DecodedAt, LinkType};
use rtcscope_capture::source::{Next, PacketSource};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// The size of the batch pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batching {
    /// Packets a batch holds at most.
    pub packets: usize,
    /// A batch is sent once its packet bytes reach this (a batch holds at least one packet,
    /// however large).
    pub bytes: usize,
    /// Batches in the pool: how far the reader may run ahead of the engine.
    pub batches: usize,
}

impl Batching {
    /// What `analyze` uses: 4 batches of 1,024 packets or 256 KiB, about 1.2 MiB in all
    /// (packet bytes and their records). A batch is about a millisecond of engine work, so
    /// handing one over (a few microseconds) costs nothing measurable, and the pool is small
    /// enough to stay in the shared cache between the two cores.
    pub const DEFAULT: Batching = Batching {
        packets: 1024,
        bytes: 256 * 1024,
        batches: 4,
    };
}

/// What is kept of a packet in a batch; its bytes are `data[previous end..end]`.
struct Record {
    number: u64,
    ts_nanos: i128,
    link_type: LinkType,
    orig_len: u32,
    /// Where its bytes end in [`Batch::data`].
    end: usize,
    /// What the reader decoded of it (its link, IP and transport headers), so that the engine
    /// does not: `None` for anything [`rtcscope_capture::Decoded::detach`] leaves to the engine
    /// (tunnels, fragments, non-IP, damaged headers).
    decoded: Option<DecodedAt>,
}

/// Decryption Secrets Block key logs that reading a packet brought: given to the engine right
/// after that packet.
struct KeyLogs {
    /// How many packets of the batch come before them.
    after: usize,
    /// The index of the first of them among the file's blocks (for its name).
    first: usize,
    /// Their texts.
    texts: Vec<String>,
}

/// A batch of packets, in file order.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    records: Vec<Record>,
    key_logs: Vec<KeyLogs>,
}

impl Batch {
    fn with_capacity(b: Batching) -> Self {
        Batch {
            data: Vec::with_capacity(b.bytes + 2048),
            records: Vec::with_capacity(b.packets),
            key_logs: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.data.clear();
        self.records.clear();
        self.key_logs.clear();
    }

    fn is_full(&self, b: Batching) -> bool {
        self.records.len() >= b.packets || self.data.len() >= b.bytes
    }

    /// Feeds the batch's packets, and the key logs between them, to the engine.
    fn feed(&self, engine: &mut Engine) {
        let mut start = 0;
        let mut logs = self.key_logs.iter().peekable();
        for (i, r) in self.records.iter().enumerate() {
            let frame = &self.data[start..r.end];
            start = r.end;
            engine.feed_frame_decoded(
                r.number,
                r.ts_nanos,
                r.link_type,
                frame,
                r.orig_len,
                r.decoded.as_ref(),
            );
            while let Some(k) = logs.next_if(|k| k.after == i + 1) {
                for (j, text) in k.texts.iter().enumerate() {
                    engine.add_secrets_block(k.first + j, text);
                }
            }
        }
    }
}

/// Reads `source` (a capture file or standard input named `name`, `-` for standard input) into
/// `engine` on two threads, with `batching`'s pool; what it leaves in the engine and in the
/// source is what [`loader::feed_file`] leaves.
pub fn feed_file(
    engine: &mut Engine,
    source: &mut PacketSource<'_>,
    name: &str,
    batching: Batching,
) {
    let batching = Batching {
        packets: batching.packets.max(1),
        bytes: batching.bytes.max(1),
        batches: batching.batches.max(1),
    };
    let dsbs = if name == "-" {
        0
    } else {
        loader::add_dsbs(engine, &loader::leading_dsbs(name), 0)
    };
    let (full_tx, full_rx) = sync_channel::<Batch>(batching.batches);
    let (empty_tx, empty_rx) = sync_channel::<Batch>(batching.batches);
    for _ in 0..batching.batches {
        // Cannot fail: the receiver is here and the channel holds the whole pool.
        let _ = empty_tx.send(Batch::with_capacity(batching));
    }
    let reading = &mut *source;
    let started = std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("rtcscope-reader".into())
            .spawn_scoped(scope, move || {
                read(reading, name, dsbs, batching, &full_tx, &empty_rx);
                // `full_tx` drops here: the engine's loop below ends after the last batch.
            });
        let Ok(reader) = reader else {
            return false;
        };
        // The engine's side: every batch in order, each sent back to be filled again (a
        // reader that has finished no longer listens, hence the ignored error).
        for batch in &full_rx {
            batch.feed(engine);
            let _ = empty_tx.send(batch);
        }
        // The channels close before the join, so a reader waiting on them returns.
        drop(empty_tx);
        drop(full_rx);
        if let Err(panic) = reader.join() {
            std::panic::resume_unwind(panic);
        }
        true
    });
    if !started {
        // No thread to be had (the closure, and nothing read, went with the failure): read on
        // this one, as `--threads 1` does.
        eprintln!("rtcscope: cannot start a reader thread; reading on one thread");
        loader::feed_file_from(engine, source, name, dsbs);
    }
}

/// The reader's side: fills empty batches from `source` and sends them on, until the source
/// ends or the engine's side has gone.
fn read(
    source: &mut PacketSource<'_>,
    name: &str,
    mut dsbs: usize,
    batching: Batching,
    full: &SyncSender<Batch>,
    empty: &Receiver<Batch>,
) {
    let Ok(mut batch) = empty.recv() else {
        return;
    };
    loop {
        match source.next_observing(|e| eprintln!("rtcscope: {name}: {e} (skipped)")) {
            Next::Packet(p) => {
                batch.data.extend_from_slice(p.data);
                let decoded = match decode(p.link_type, p.data) {
                    Ok(Ok(d)) => d.detach(p.data),
                    _ => None,
                };
                batch.records.push(Record {
                    number: p.number,
                    ts_nanos: p.ts_nanos,
                    link_type: p.link_type,
                    orig_len: p.orig_len,
                    end: batch.data.len(),
                    decoded,
                });
            }
            Next::Idle => continue,
            Next::End => break,
        }
        // As the one-thread loop does: key logs that reading this packet brought follow it.
        if let Some(r) = source.reader() {
            let logs = r.tls_key_logs();
            if logs.len() > dsbs {
                batch.key_logs.push(KeyLogs {
                    after: batch.records.len(),
                    first: dsbs,
                    texts: logs[dsbs..].to_vec(),
                });
                dsbs = logs.len();
            }
        }
        if batch.is_full(batching) {
            if full.send(batch).is_err() {
                return;
            }
            batch = match empty.recv() {
                Ok(mut b) => {
                    b.clear();
                    b
                }
                Err(_) => return,
            };
        }
    }
    if !batch.records.is_empty() {
        let _ = full.send(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtcscope_analysis::report::Report;
    use std::path::{Path, PathBuf};

    fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                captures(&p, out);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("pcap" | "pcapng")
            ) {
                out.push(p);
            }
        }
    }

    /// The engine's JSON report and the source's counters after reading `bytes` (named
    /// `name`) on one thread, or on two with `batching`.
    fn run(bytes: &[u8], name: &str, batching: Option<Batching>) -> Option<String> {
        let mut engine = Engine::default();
        let mut source = PacketSource::new(bytes).ok()?.with_limit(None);
        match batching {
            None => loader::feed_file(&mut engine, &mut source, name),
            Some(b) => feed_file(&mut engine, &mut source, name, b),
        }
        engine.finish();
        if let Some(d) = source.dropped() {
            engine.set_capture_drops(d);
        }
        let report = serde_json::to_string(&Report::new(&engine)).expect("a report serializes");
        Some(format!(
            "{report}\nread {} skipped {} {:?} fatal {:?}",
            source.packets_read(),
            source.skipped(),
            source.skipped_messages(),
            source.fatal().map(ToString::to_string)
        ))
    }

    /// Every fixture capture, whole and cut short, gives the same report and counters on two
    /// threads as on one, with batches small enough that every capture spans many of them
    /// (and a pool of one and of two, so the reader waits for the engine), and with the
    /// batches `analyze` uses.
    #[test]
    fn two_threads_report_what_one_thread_reports() {
        let mut files = Vec::new();
        captures(&rtcscope_testkit::fixtures(), &mut files);
        files.sort();
        assert!(files.len() >= 10, "fixtures found: {files:?}");
        let pools = [
            Batching {
                packets: 1,
                bytes: 1 << 20,
                batches: 1,
            },
            Batching {
                packets: 7,
                bytes: 600,
                batches: 2,
            },
            Batching::DEFAULT,
        ];
        let mut packets_seen = 0;
        for path in &files {
            let bytes = std::fs::read(path).expect("fixture reads");
            let name = path.to_str().expect("a UTF-8 path");
            for (label, cut, name) in [
                ("whole", bytes.len(), name),
                ("half", bytes.len() / 2, "-"),
                ("one byte short", bytes.len().saturating_sub(1), "-"),
            ] {
                let Some(one) = run(&bytes[..cut], name, None) else {
                    continue;
                };
                packets_seen += 1;
                for b in pools {
                    let two = run(&bytes[..cut], name, Some(b)).expect("opens as before");
                    assert!(
                        one == two,
                        "{} ({label}) with {b:?}: the reports differ",
                        path.display()
                    );
                }
            }
        }
        assert!(packets_seen > 20, "only {packets_seen} captures opened");
    }

    /// `capture` (a little-endian pcapng) with a Decryption Secrets Block holding `key_log`
    /// inserted after its `after`-th packet block.
    fn with_dsb(capture: &[u8], key_log: &[u8], after: usize) -> Vec<u8> {
        let mut dsb = Vec::new();
        let padded = key_log.len().div_ceil(4) * 4;
        let total = (20 + padded) as u32;
        dsb.extend_from_slice(&0x0000_000A_u32.to_le_bytes());
        dsb.extend_from_slice(&total.to_le_bytes());
        dsb.extend_from_slice(&0x544c_534b_u32.to_le_bytes());
        dsb.extend_from_slice(&(key_log.len() as u32).to_le_bytes());
        dsb.extend_from_slice(key_log);
        dsb.resize(16 + padded, 0);
        dsb.extend_from_slice(&total.to_le_bytes());
        let (mut at, mut packets) = (0, 0);
        while packets < after && at + 8 <= capture.len() {
            let kind = u32::from_le_bytes(capture[at..at + 4].try_into().unwrap());
            let len = u32::from_le_bytes(capture[at + 4..at + 8].try_into().unwrap()) as usize;
            at += len;
            packets += usize::from(kind == 6 || kind == 3);
        }
        // Before the first packet: after the section and interface blocks.
        if after == 0 {
            while at + 8 <= capture.len() {
                let kind = u32::from_le_bytes(capture[at..at + 4].try_into().unwrap());
                if kind == 6 || kind == 3 {
                    break;
                }
                at += u32::from_le_bytes(capture[at + 4..at + 8].try_into().unwrap()) as usize;
            }
        }
        [&capture[..at], &dsb, &capture[at..]].concat()
    }

    /// Key logs in Decryption Secrets Blocks reach the engine at the same point among the
    /// packets on two threads as on one: before the first packet (read ahead from the file,
    /// or, from standard input, with the first packet), and after the packet whose reading
    /// brought them, wherever that falls in a batch. Where it falls matters (keys given after
    /// the handshake decrypt nothing), so a block handed over at the wrong place would show.
    #[test]
    fn key_logs_in_the_capture_arrive_where_they_do_on_one_thread() {
        let dir = rtcscope_testkit::fixtures().join("dtls");
        let capture = std::fs::read(dir.join("dtls12-aes128gcm.pcapng")).expect("fixture");
        let keys = std::fs::read(dir.join("dtls12-aes128gcm.keys")).expect("key log");
        let file =
            std::env::temp_dir().join(format!("rtcscope-pipeline-{}.pcapng", std::process::id()));
        let mut reports = Vec::new();
        for after in [0, 1, 2, 3, 5, 8, 15, 16] {
            let bytes = with_dsb(&capture, &keys, after);
            std::fs::write(&file, &bytes).expect("temporary file");
            let path = file.to_str().expect("UTF-8");
            for name in [path, "-"] {
                let one = run(&bytes, name, None).expect("a capture");
                // (A block after the last packet is never read: nothing follows to use it.)
                assert!(
                    after == 16 || one.contains("\"lines_used\":1"),
                    "block after packet {after}: key log unused"
                );
                for packets in [1, 2, 3, 1024] {
                    let b = Batching {
                        packets,
                        bytes: 1 << 20,
                        batches: 2,
                    };
                    let two = run(&bytes, name, Some(b)).expect("a capture");
                    assert!(
                        one == two,
                        "block after packet {after}, {name}, {b:?}: reports differ"
                    );
                }
                reports.push(one);
            }
        }
        let _ = std::fs::remove_file(&file);
        reports.sort();
        reports.dedup();
        assert!(
            reports.len() >= 3,
            "the block's place changes nothing: {} reports",
            reports.len()
        );
    }

    #[global_allocator]
    static ALLOC: rtcscope_testkit::CountingAlloc = rtcscope_testkit::CountingAlloc;

    /// Once the pool has grown to its working size, the reader allocates nothing per packet:
    /// reading a capture of thousands of packets through a pool of small batches costs the
    /// reader's thread a fixed handful of allocations (the file reader's own), not one a
    /// packet or a batch.
    #[test]
    fn the_reader_does_not_allocate_per_packet() {
        let path = rtcscope_testkit::fixtures().join("webrtc/relay/capture.pcapng");
        let bytes = std::fs::read(&path).expect("fixture reads");
        let b = Batching {
            packets: 16,
            bytes: 64 * 1024,
            batches: 2,
        };
        let (full_tx, full_rx) = sync_channel::<Batch>(b.batches);
        let (empty_tx, empty_rx) = sync_channel::<Batch>(b.batches);
        for _ in 0..b.batches {
            empty_tx.send(Batch::with_capacity(b)).expect("pool");
        }
        // The engine's side, on its own thread: counts and returns the batches.
        let consumer = std::thread::spawn(move || {
            let (mut packets, mut batches) = (0, 0);
            for batch in &full_rx {
                packets += batch.records.len();
                batches += 1;
                let _ = empty_tx.send(batch);
            }
            (packets, batches)
        });
        let mut source = PacketSource::new(&bytes[..]).expect("a capture");
        // The file reader's buffers were made as it opened, before the count.
        let allocations = rtcscope_testkit::CountingAlloc::count(|| {
            read(&mut source, "-", 0, b, &full_tx, &empty_rx);
        });
        drop(full_tx);
        let (packets, batches) = consumer.join().expect("consumer");
        assert_eq!(packets as u64, source.packets_read());
        assert!(
            packets > 3000 && batches > 200,
            "{packets} packets, {batches} batches"
        );
        assert!(
            allocations < 20,
            "{allocations} allocations for {packets} packets in {batches} batches"
        );
    }
}
