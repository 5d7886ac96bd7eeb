//! One packet source with one damaged-record policy, for every front door that reads packets:
//! a capture file or standard input (`rtcscope analyze -r`, `rtcscope dissect`, the TUI's
//! loader) and a live capture (`rtcscope analyze -i`, `rtcscope live`).
//!
//! The policy: a record the reader can skip ([`CaptureError::is_fatal`] is false, e.g. a packet
//! on an interface the file never declared) is counted, its message kept (the first
//! [`PacketSource::LISTED`] of them: memory stays bounded however damaged the file is), and
//! reading goes on; a fatal error (a truncated or corrupt record, a live capture that fails)
//! ends the stream, is kept in [`PacketSource::fatal`], and every packet before it has been
//! returned. A record limit (`-c`) ends either kind of source the same way, and
//! [`PacketSource::dropped`] is what the capture itself lost, from the file's Interface
//! Statistics Blocks or the kernel's counters.
//!
//! [`PacketSource::next`] is the one way to read: it also says when a live source had nothing
//! for a while ([`Next::Idle`], about every 100 ms), so a caller can look at its clock and its
//! stop flag; a file never idles.
//!
//! ```no_run
//! use rtcscope_capture::source::{Next, PacketSource};
//! let file = std::fs::File::open("call.pcapng")?;
//! let mut source = PacketSource::new(file)?;
//! loop {
//!     match source.next() {
//!         Next::Packet(packet) => println!("{} {} bytes", packet.number, packet.data.len()),
//!         Next::Idle => continue,
//!         Next::End => break,
//!     }
//! }
//! for what in source.skipped_messages() {
//!     eprintln!("{what} (skipped)");
//! }
//! if let Some(e) = source.fatal() {
//!     eprintln!("{e}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::file::{CaptureError, CaptureReader, Packet};
#[cfg(feature = "live")]
use crate::live::{LiveCapture, LiveStats};
use std::io::Read;

/// What [`PacketSource::next`] found.
pub enum Next<'a> {
    /// A packet.
    Packet(Packet<'a>),
    /// A live source had no packet within its poll interval (about 100 ms); call again.
    Idle,
    /// The stream has ended: its end, the record limit, or a fatal error
    /// ([`PacketSource::fatal`]).
    End,
}

enum Inner<'r> {
    File(CaptureReader<'r>),
    #[cfg(feature = "live")]
    Live {
        capture: LiveCapture,
        /// The kernel's counters when last asked ([`PacketSource::refresh_stats`]).
        stats: Option<LiveStats>,
    },
}

/// Packets from a pcap or pcapng stream (a file, standard input, a pipe) or a live capture,
/// with damaged records skipped and counted and a fatal error kept; see the
/// [module documentation](self).
pub struct PacketSource<'r> {
    inner: Inner<'r>,
    skipped: u64,
    skipped_messages: Vec<String>,
    fatal: Option<CaptureError>,
    ended: bool,
    limit: Option<u64>,
}

impl<'r> PacketSource<'r> {
    /// How many skipped records are kept by message; the rest are only counted.
    pub const LISTED: usize = 20;

    /// Starts reading a capture from `source`. Fails when the stream is not a capture at all
    /// (nothing to read, or an unknown magic number).
    pub fn new<R: Read + Send + 'r>(source: R) -> Result<Self, CaptureError> {
        CaptureReader::new(source).map(Self::from_reader)
    }

    /// Applies the policy to a reader already opened.
    pub fn from_reader(reader: CaptureReader<'r>) -> Self {
        Self::with_inner(Inner::File(reader))
    }

    /// Reads a running live capture, under the same policy (a record limit, a fatal error).
    #[cfg(feature = "live")]
    pub fn live(capture: LiveCapture) -> Self {
        Self::with_inner(Inner::Live {
            capture,
            stats: None,
        })
    }

    fn with_inner(inner: Inner<'r>) -> Self {
        PacketSource {
            inner,
            skipped: 0,
            skipped_messages: Vec::new(),
            fatal: None,
            ended: false,
            limit: None,
        }
    }

    /// Ends the stream once `records` packet records have been read, skipped ones included
    /// (as [`packets_read`](Self::packets_read) counts them; `-c` in `rtcscope analyze`).
    pub fn with_limit(mut self, records: Option<u64>) -> Self {
        self.limit = records;
        self
    }

    /// The next packet, an idle live source, or the end; damaged records the reader can skip
    /// are skipped (and counted).
    #[allow(clippy::should_implement_trait)] // lends packets from its buffer: not an Iterator
    pub fn next(&mut self) -> Next<'_> {
        self.next_observing(|_| {})
    }

    /// As [`next`](Self::next), and shows each skipped record to `on_skip` as it is skipped
    /// (for a caller that names every one, beyond the [`LISTED`](Self::LISTED) kept here).
    pub fn next_observing(&mut self, mut on_skip: impl FnMut(&CaptureError)) -> Next<'_> {
        let limit = self.limit.unwrap_or(u64::MAX);
        if self.ended || self.packets_read() >= limit {
            self.ended = true;
            return Next::End;
        }
        let result = match &mut self.inner {
            Inner::File(reader) => {
                let skipped = &mut self.skipped;
                let messages = &mut self.skipped_messages;
                let mut skip = |e: CaptureError, records_read: u64| {
                    on_skip(&e);
                    *skipped += 1;
                    if messages.len() < Self::LISTED {
                        messages.push(e.to_string());
                    }
                    records_read < limit
                };
                match reader.read_packet(Some(&mut skip)) {
                    Ok(Some(p)) => Ok(Next::Packet(p)),
                    Ok(None) => Ok(Next::End),
                    // With a skip sink the reader returns only fatal errors.
                    Err(e) => Err(e),
                }
            }
            #[cfg(feature = "live")]
            Inner::Live { capture, .. } => match capture.next_packet() {
                Ok(Some(p)) => Ok(Next::Packet(p)),
                Ok(None) => Ok(Next::Idle),
                Err(e) => Err(CaptureError::Live(e)),
            },
        };
        match result {
            Ok(Next::End) => {
                self.ended = true;
                Next::End
            }
            Ok(next) => next,
            Err(e) => {
                debug_assert!(e.is_fatal());
                self.ended = true;
                self.fatal = Some(e);
                Next::End
            }
        }
    }

    /// The next packet of a file or standard input; `None` at the end of the capture or after
    /// a fatal error ([`fatal`](Self::fatal) says which). A live source returns `None` also
    /// while idle ([`is_ended`](Self::is_ended) tells the two apart); live loops use
    /// [`next`](Self::next).
    pub fn next_packet(&mut self) -> Option<Packet<'_>> {
        match self.next() {
            Next::Packet(p) => Some(p),
            Next::Idle | Next::End => None,
        }
    }

    /// True once the stream has ended (its end, or a fatal error).
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// What ended the stream early, if anything did; the packets before it were returned.
    pub fn fatal(&self) -> Option<&CaptureError> {
        self.fatal.as_ref()
    }

    /// Damaged records skipped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The messages of the first [`LISTED`](Self::LISTED) skipped records, in file order.
    pub fn skipped_messages(&self) -> &[String] {
        &self.skipped_messages
    }

    /// Skipped records beyond those kept by message.
    pub fn unlisted(&self) -> u64 {
        self.skipped - self.skipped_messages.len() as u64
    }

    /// Packets the capture lost before they reached it: a file's pcapng Interface Statistics
    /// Blocks (see [`CaptureReader::dropped`]), or a live capture's kernel and interface drops
    /// as of the last [`refresh_stats`](Self::refresh_stats); `None` when nothing says.
    pub fn dropped(&self) -> Option<u64> {
        match &self.inner {
            Inner::File(reader) => reader.dropped(),
            #[cfg(feature = "live")]
            Inner::Live { stats, .. } => stats.map(|s| s.dropped + s.if_dropped),
        }
    }

    /// Asks a live capture's kernel for its counters now (libpcap's `pcap_stats`) and keeps
    /// them for [`dropped`](Self::dropped); `None` for a file, or when the kernel does not
    /// answer.
    #[cfg(feature = "live")]
    pub fn refresh_stats(&mut self) -> Option<LiveStats> {
        match &mut self.inner {
            Inner::File(_) => None,
            Inner::Live { capture, stats } => {
                if let Ok(s) = capture.stats() {
                    *stats = Some(s);
                }
                *stats
            }
        }
    }

    /// Packet records read so far, skipped ones included (see
    /// [`CaptureReader::packets_read`]).
    pub fn packets_read(&self) -> u64 {
        match &self.inner {
            Inner::File(reader) => reader.packets_read(),
            #[cfg(feature = "live")]
            Inner::Live { capture, .. } => capture.packets(),
        }
    }

    /// Bytes of the stream consumed so far (for progress indicators; 0 for a live capture).
    pub fn bytes_read(&self) -> u64 {
        match &self.inner {
            Inner::File(reader) => reader.bytes_read(),
            #[cfg(feature = "live")]
            Inner::Live { .. } => 0,
        }
    }

    /// The underlying file reader (interfaces, format); `None` for a live capture.
    pub fn reader(&self) -> Option<&CaptureReader<'r>> {
        match &self.inner {
            Inner::File(reader) => Some(reader),
            #[cfg(feature = "live")]
            Inner::Live { .. } => None,
        }
    }

    /// The live capture being read (interface, link type); `None` for a file.
    #[cfg(feature = "live")]
    pub fn live_capture(&self) -> Option<&LiveCapture> {
        match &self.inner {
            Inner::File(_) => None,
            Inner::Live { capture, .. } => Some(capture),
        }
    }
}
