//! Where packets come from: a capture file loaded on its own thread, or a live capture on its
//! own thread. Both feed the engine and the packet store inside a [`Shared`] state that the UI
//! locks briefly each tick to take its snapshot.

use crate::store::{PacketRef, PacketStore};
use rtcscope_analysis::streams::MediaHints;
use rtcscope_analysis::{Config, Engine};
use rtcscope_capture::live::LiveStats;
use rtcscope_capture::source::{Next, PacketSource};
use rtcscope_capture::writer::{InterfaceStats, PcapNgWriter};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Packets fed per lock while loading a file (the UI gets the lock between batches).
const FILE_BATCH: usize = 512;

/// How far a source has got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Reading a file: bytes read and the file's size when known.
    Loading {
        /// Bytes consumed.
        read: u64,
        /// File size (none for standard input).
        total: Option<u64>,
    },
    /// The whole file was read.
    Loaded,
    /// Capturing live.
    Live,
    /// The live capture stopped (error or end).
    Stopped,
}

/// Everything the capture side produces.
pub struct CaptureState {
    /// The analysis engine.
    pub engine: Engine,
    /// The packets the packet view shows: a file's index, or a live capture's recent ones.
    pub store: PacketStore,
    /// Loading or capturing.
    pub progress: Progress,
    /// Kernel counters of a live capture.
    pub kernel: Option<LiveStats>,
    /// The first problem with the source: what stopped it early (a damaged file, a capture
    /// error), or else the first damaged record that was skipped.
    pub error: Option<String>,
    /// Damaged records skipped while reading a file (the rest of the file is still read).
    pub skipped: u64,
    /// Decryption Secrets Blocks of the file given to the engine so far.
    dsbs: usize,
}

impl CaptureState {
    /// A fresh state.
    pub fn new(config: Config, store: impl Into<PacketStore>, progress: Progress) -> Self {
        let mut engine = Engine::new(config);
        // What the engine decrypts with the user's keys is kept for the packet view and the
        // ladder (DTLS records and SRTCP; not SRTP media). Without keys nothing is decrypted.
        engine.keep_plaintext(true);
        engine.skip_srtp_plaintext(true);
        CaptureState {
            engine,
            store: store.into(),
            progress,
            kernel: None,
            error: None,
            skipped: 0,
            dsbs: 0,
        }
    }

    /// Tells the engine what the SDPs of the call say, before any packet is fed, as
    /// `rtcscope analyze --sdp` does: payload types, clock rates, header-extension ids, RTX
    /// groups and media kinds (`hints`), whether the RTP is SRTP (`srtp`: a secure profile or
    /// `a=crypto`), and the certificate fingerprints DTLS is checked against (`fingerprints`,
    /// `HASH DIGEST`).
    pub fn set_sdp(&mut self, hints: MediaHints, fingerprints: Vec<String>, srtp: bool) {
        self.engine.set_media_hints(hints, srtp);
        self.engine.set_sdp_fingerprints(fingerprints);
    }

    /// Gives the engine the key logs of a file's Decryption Secrets Blocks, `logs` being all
    /// of them so far in file order (those already given are skipped).
    pub fn add_key_logs(&mut self, logs: &[String]) {
        for (i, text) in logs.iter().enumerate().skip(self.dsbs) {
            self.engine.add_secrets_block(i, text);
        }
        self.dsbs = self.dsbs.max(logs.len());
    }

    /// Feeds one packet to the engine and the store (`stream_offset`: where its bytes are in
    /// the file, for an index).
    pub fn feed(
        &mut self,
        number: u64,
        ts_nanos: i128,
        link: rtcscope_capture::LinkType,
        data: &[u8],
        orig_len: u32,
        stream_offset: Option<u64>,
    ) {
        let verdict = self
            .engine
            .feed_frame(number, ts_nanos, link, data, orig_len);
        // The engine's verdict on a UDP or TCP frame: whether it found DTLS in it (directly or
        // inside a TURN relay). Frames it does not classify (ICMP quoting a datagram, damaged
        // ones) are left to the dissector alone.
        let dtls = verdict.kind == Some(rtcscope_analysis::demux::Kind::Dtls)
            || verdict
                .inner
                .is_some_and(|(k, _)| k == rtcscope_analysis::demux::Kind::Dtls);
        let no_dtls = verdict.flow.is_some() && !dtls;
        let plain = self.engine.plaintexts();
        if !plain.is_empty() {
            self.store.decrypted.push(number, plain);
        }
        // TCP goes through a dissector with state too, so the list shows what `dissect` does
        // of segments that split, repeat or follow a gap (crate::streams).
        if verdict
            .flow
            .is_some_and(|k| k.transport == rtcscope_analysis::flow::Transport::Tcp)
        {
            self.store
                .streams
                .feed(number, ts_nanos, link, data, orig_len);
        }
        let p = PacketRef {
            number,
            ts_nanos,
            link,
            data,
            orig_len,
            no_dtls,
        };
        self.store.push(&p, stream_offset);
    }

    /// Reads a whole capture synchronously (for tests and benchmarks).
    pub fn load<R: Read + Send>(&mut self, source: R) -> Result<(), String> {
        let mut source = PacketSource::new(source).map_err(|e| e.to_string())?;
        while self.read_batch(&mut source, usize::MAX) {}
        finish_file(self, &source);
        Ok(())
    }

    /// Feeds up to `budget` packets from `source`; false once the capture has ended or a
    /// fatal error stopped it. A damaged record that the reader could skip (a packet on an
    /// interface the file never declared) is counted and the reading goes on, as
    /// `rtcscope analyze` does (the source applies that policy); the first problem is kept for
    /// the status line.
    fn read_batch(&mut self, source: &mut PacketSource<'_>, budget: usize) -> bool {
        let skipped_before = source.skipped();
        let mut more = true;
        for _ in 0..budget {
            // A pcapng Decryption Secrets Block (`editcap --inject-secrets`) read so far: its
            // key log goes to the engine (those before the first packet were given to
            // [`Self::add_key_logs`] by the caller, which read them ahead).
            if let Some(logs) = source.reader().map(|r| r.tls_key_logs()) {
                self.add_key_logs(logs);
            }
            match source.next() {
                Next::Packet(p) => self.feed(
                    p.number,
                    p.ts_nanos,
                    p.link_type,
                    p.data,
                    p.orig_len,
                    p.stream_offset,
                ),
                Next::Idle => break,
                Next::End => {
                    more = false;
                    break;
                }
            }
        }
        self.skipped += source.skipped() - skipped_before;
        if let Some(e) = source.fatal() {
            // A fatal error ends the file; it matters more than a skipped record.
            self.error = Some(e.to_string());
        } else if let Some(first) = source.skipped_messages().first() {
            self.error
                .get_or_insert_with(|| format!("{first} (skipped)"));
        }
        more
    }
}

fn finish_file(state: &mut CaptureState, source: &PacketSource<'_>) {
    // TCP gaps still open at the end of the file are declared lost, and what they held analysed.
    state.engine.finish();
    if let Some(d) = source.dropped() {
        state.engine.set_capture_drops(d);
    }
    state.progress = Progress::Loaded;
}

/// The state shared between the capture thread and the UI.
#[derive(Clone)]
pub struct Shared(Arc<Mutex<CaptureState>>);

impl Shared {
    /// Wraps a state.
    pub fn new(state: CaptureState) -> Self {
        Shared(Arc::new(Mutex::new(state)))
    }

    /// Locks the state. A panic on the capture thread poisons the lock; the data is still
    /// consistent packet by packet, so the UI keeps showing it.
    pub fn lock(&self) -> MutexGuard<'_, CaptureState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state, when no one else holds it now.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, CaptureState>> {
        match self.0.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

/// Packets a live capture has read and not yet given to the engine: copied out of libpcap's
/// ring so the kernel's ring keeps draining while the UI holds the state (drawing, a
/// snapshot); fed in one go under one lock.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    packets: Vec<(
        u64,
        i128,
        rtcscope_capture::LinkType,
        std::ops::Range<usize>,
        u32,
    )>,
}

/// Packets held before the capture thread waits for the state rather than reading on.
const PENDING_PACKETS: usize = 1 << 18;
/// Bytes held before the capture thread waits for the state rather than reading on.
const PENDING_BYTES: usize = 64 << 20;
/// Packets fed per lock when the state is free.
const FEED_BATCH: usize = 256;

impl Pending {
    fn push(&mut self, p: &rtcscope_capture::Packet<'_>) {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(p.data);
        self.packets.push((
            p.number,
            p.ts_nanos,
            p.link_type,
            at..self.bytes.len(),
            p.orig_len,
        ));
    }

    fn full(&self) -> bool {
        self.packets.len() >= PENDING_PACKETS || self.bytes.len() >= PENDING_BYTES
    }

    /// Feeds everything held to the state (the buffers are kept for reuse).
    fn feed(&mut self, s: &mut CaptureState) {
        for (number, ts, link, r, orig) in self.packets.drain(..) {
            s.feed(number, ts, link, &self.bytes[r], orig, None);
        }
        self.bytes.clear();
    }
}

/// Loads a capture on its own thread, in batches, updating [`Progress::Loading`]; `stop`
/// ends it early. Input that is not a capture at all ends the load with an error in the state;
/// callers that must refuse such input before the screen switches open the source first and
/// use [`spawn_source_loader`].
pub fn spawn_file_loader<R: Read + Send + 'static>(
    shared: Shared,
    source: R,
    total: Option<u64>,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    match PacketSource::new(source) {
        Ok(source) => spawn_source_loader(shared, source, total, stop),
        Err(e) => {
            let mut s = shared.lock();
            s.error = Some(format!("not a capture: {e}"));
            s.progress = Progress::Loaded;
            drop(s);
            std::thread::spawn(|| {})
        }
    }
}

/// Loads an opened capture on its own thread, in batches, updating [`Progress::Loading`];
/// `stop` ends it early.
pub fn spawn_source_loader(
    shared: Shared,
    mut source: PacketSource<'static>,
    total: Option<u64>,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("rtcscope-load".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut s = shared.lock();
                if !s.read_batch(&mut source, FILE_BATCH) {
                    break;
                }
                s.progress = Progress::Loading {
                    read: source.bytes_read(),
                    total,
                };
            }
            finish_file(&mut shared.lock(), &source);
        })
        .expect("spawning the loader thread")
}

/// Where a live capture is saved (`live -w FILE`): a pcapng writer shared by the capture thread,
/// which appends every packet, and the caller, which closes it with the kernel's counters when
/// the UI ends (the capture thread may be waiting for a packet then).
pub type LiveWriter = Arc<Mutex<Option<PcapNgWriter<Box<dyn Write + Send>>>>>;

/// How a live capture ends besides `stop`, and where it is saved.
#[derive(Default)]
pub struct LiveOptions {
    /// Stop capturing after this long (`-a duration:S`); the UI stays open on what was
    /// captured.
    pub autostop: Option<Duration>,
    /// Save every packet here (`-w FILE`), interface 0.
    pub writer: Option<LiveWriter>,
}

/// Closes a live capture's pcapng file: the kernel's counters in an Interface Statistics
/// Block stamped `last_ts`, then a flush. The first caller closes it; later calls do nothing.
pub fn close_live_writer(
    writer: &LiveWriter,
    stats: Option<LiveStats>,
    last_ts: i128,
) -> std::io::Result<()> {
    let taken = writer.lock().unwrap_or_else(|e| e.into_inner()).take();
    let Some(mut w) = taken else {
        return Ok(());
    };
    if let Some(st) = stats {
        w.write_stats(
            0,
            last_ts,
            InterfaceStats {
                received: st.received,
                if_dropped: st.if_dropped,
                os_dropped: st.dropped,
            },
        )?;
    }
    w.finish()?.flush()
}

/// Captures live on its own thread until `stop`, the source's record limit (`-c`) or
/// `options.autostop`, through the same [`PacketSource`] policy as a file (a capture error ends
/// it and is shown); kernel counters are refreshed twice a second; with a writer, every packet
/// is saved as it is fed.
pub fn spawn_live(
    shared: Shared,
    mut source: PacketSource<'static>,
    options: LiveOptions,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("rtcscope-capture".into())
        .spawn(move || {
            let started = Instant::now();
            let mut last_ts = 0i128;
            // Read the kernel's counters right away, so the drop line shows from the start.
            let mut last_stats = Instant::now()
                .checked_sub(Duration::from_secs(1))
                .unwrap_or_else(Instant::now);
            // The capture stops (`-a`, `-c` or a capture error): the saved file gets the
            // kernel's last counters and is closed, and the UI is told why.
            let stop_capture = |source: &mut PacketSource<'static>, last_ts: i128| {
                let stats = source.refresh_stats();
                let closed = options
                    .writer
                    .as_ref()
                    .map_or(Ok(()), |w| close_live_writer(w, stats, last_ts));
                let error = source
                    .fatal()
                    .map(ToString::to_string)
                    .or(closed.err().map(|e| format!("saving: {e}")));
                let mut s = shared.lock();
                if let Some(st) = stats {
                    s.kernel = Some(st);
                }
                s.error = s.error.take().or(error);
                s.progress = Progress::Stopped;
            };
            let mut pending = Pending::default();
            let mut save_error: Option<String> = None;
            loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                if options.autostop.is_some_and(|d| started.elapsed() >= d) {
                    pending.feed(&mut shared.lock());
                    stop_capture(&mut source, last_ts);
                    return;
                }
                // Packets are copied out of libpcap's ring into `pending` and fed under one
                // lock a batch at a time; while the UI holds the state the thread reads on
                // (up to PENDING_BYTES), so the kernel's ring does not overflow behind a slow
                // frame. The lock is never held across the source's wait for a packet.
                match source.next() {
                    Next::Packet(p) => {
                        last_ts = p.ts_nanos;
                        if let Some(w) = &options.writer {
                            if let Some(w) = w.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                                if let Err(e) = w.write_packet(0, p.ts_nanos, p.data, p.orig_len) {
                                    // The disk is full or gone: keep analysing, say so once.
                                    save_error.get_or_insert(format!("saving the capture: {e}"));
                                }
                            }
                        }
                        pending.push(&p);
                        if pending.full() {
                            pending.feed(&mut shared.lock());
                        } else if pending.packets.len() >= FEED_BATCH {
                            if let Some(mut s) = shared.try_lock() {
                                pending.feed(&mut s);
                            }
                        }
                    }
                    // Nothing arrived: time still passes for the sessions, so a call that
                    // dies shows idle and failed instead of frozen.
                    Next::Idle => {
                        let mut s = shared.lock();
                        pending.feed(&mut s);
                        s.engine.advance_clock(rtcscope_capture::live::clock_ns());
                    }
                    Next::End => {
                        // A capture error, or the record limit (`-c`) reached.
                        pending.feed(&mut shared.lock());
                        stop_capture(&mut source, last_ts);
                        return;
                    }
                }
                if let Some(e) = save_error.take() {
                    let mut s = shared.lock();
                    if s.error.is_none() {
                        s.error = Some(e);
                    }
                }
                if last_stats.elapsed() >= Duration::from_millis(500) {
                    last_stats = Instant::now();
                    if let Some(st) = source.refresh_stats() {
                        let mut s = shared.lock();
                        // What was read by now is shown with the counters.
                        pending.feed(&mut s);
                        s.engine.set_capture_drops(st.dropped + st.if_dropped);
                        s.kernel = Some(st);
                    }
                }
            }
        })
        .expect("spawning the capture thread")
}
