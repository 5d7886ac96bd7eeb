//! One packet source with one damaged-record policy, for every front door that reads a capture
//! file or standard input (`rtcscope analyze`, `rtcscope dissect`, the TUI's loaders).
//!
//! The policy: a record the reader can skip ([`CaptureError::is_fatal`] is false, e.g. a packet
//! on an interface the file never declared) is counted, its message kept (the first
//! [`PacketSource::LISTED`] of them: memory stays bounded however damaged the file is), and
//! reading goes on; a fatal error (a truncated or corrupt record) ends the stream, is kept in
//! [`PacketSource::fatal`], and every packet before it has been returned.
//!
//! ```no_run
//! use rtcscope_capture::source::PacketSource;
//! let file = std::fs::File::open("call.pcapng")?;
//! let mut source = PacketSource::new(file)?;
//! while let Some(packet) = source.next_packet() {
//!     println!("{} {} bytes", packet.number, packet.data.len());
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
use std::io::Read;

/// Packets from a pcap or pcapng stream (a file, standard input, a pipe), with damaged records
/// skipped and counted and a fatal error kept; see the [module documentation](self).
pub struct PacketSource<'r> {
    reader: CaptureReader<'r>,
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
        PacketSource {
            reader,
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

    /// The next packet; `None` at the end of the capture or after a fatal error
    /// ([`fatal`](Self::fatal) says which). Damaged records the reader can skip are skipped.
    pub fn next_packet(&mut self) -> Option<Packet<'_>> {
        self.next_packet_observing(|_| {})
    }

    /// As [`next_packet`](Self::next_packet), and shows each skipped record to `on_skip` as it
    /// is skipped (for a caller that names every one, beyond the [`LISTED`](Self::LISTED)
    /// kept here).
    pub fn next_packet_observing(
        &mut self,
        mut on_skip: impl FnMut(&CaptureError),
    ) -> Option<Packet<'_>> {
        let limit = self.limit.unwrap_or(u64::MAX);
        if self.ended || self.reader.packets_read() >= limit {
            self.ended = true;
            return None;
        }
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
        match self.reader.read_packet(Some(&mut skip)) {
            Ok(Some(p)) => Some(p),
            Ok(None) => {
                self.ended = true;
                None
            }
            Err(e) => {
                // With a skip sink the reader returns only fatal errors.
                debug_assert!(e.is_fatal());
                self.ended = true;
                self.fatal = Some(e);
                None
            }
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

    /// Packets the capturing kernel dropped, from the file's pcapng Interface Statistics
    /// Blocks (see [`CaptureReader::dropped`]); `None` when the file does not say.
    pub fn dropped(&self) -> Option<u64> {
        self.reader.dropped()
    }

    /// Packet records read so far, skipped ones included (see
    /// [`CaptureReader::packets_read`]).
    pub fn packets_read(&self) -> u64 {
        self.reader.packets_read()
    }

    /// Bytes of the stream consumed so far (for progress indicators).
    pub fn bytes_read(&self) -> u64 {
        self.reader.bytes_read()
    }

    /// The underlying reader (interfaces, format).
    pub fn reader(&self) -> &CaptureReader<'r> {
        &self.reader
    }
}
