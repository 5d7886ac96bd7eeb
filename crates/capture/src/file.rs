//! pcap and pcapng files, read through a bounded buffer.

use crate::link::LinkType;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::fmt;
use std::io::Read;

/// Initial read buffer; it grows (up to [`MAX_BUFFER`]) only for records larger than this.
const INITIAL_BUFFER: usize = 256 * 1024;
/// The largest record accepted (a pcapng block can in theory be 4 GiB; a real packet is not).
pub const MAX_BUFFER: usize = 16 * 1024 * 1024;

/// A capture interface, as declared by a pcap header or a pcapng Interface Description Block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Link type of the frames on this interface.
    pub link_type: LinkType,
    /// Snapshot length (0 = unlimited).
    pub snaplen: u32,
    /// Timestamp units per second (1_000_000 for classic microsecond pcap).
    pub ts_resolution: u64,
    /// Timestamp offset in seconds (pcapng `if_tsoffset`).
    pub ts_offset: i64,
    /// Packets lost before they reached the capture file, from the last pcapng Interface
    /// Statistics Block (`isb_ifdrop` + `isb_osdrop`), when the file carried one.
    pub dropped: Option<u64>,
}

/// One captured packet, borrowed from the reader's buffer until the next call.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// 1-based packet number in the file (counting packet records only, like Wireshark).
    pub number: u64,
    /// Capture time in nanoseconds since the Unix epoch.
    pub ts_nanos: i128,
    /// Index of the interface in [`CaptureReader::interfaces`].
    pub interface: u32,
    /// Link type of `data`.
    pub link_type: LinkType,
    /// The captured bytes (possibly cut by the snapshot length).
    pub data: &'a [u8],
    /// The packet's length on the wire.
    pub orig_len: u32,
    /// Where `data` starts in the stream, counted from its first byte (none for a live
    /// capture): with [`data`](Self::data)'s length it finds the packet again in the file,
    /// which is how a viewer indexes a capture without keeping its packets.
    pub stream_offset: Option<u64>,
}

impl Packet<'_> {
    /// True when the snapshot length cut this packet.
    pub fn is_cut(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.orig_len)
    }
}

/// Something that stopped or damaged reading, with where it happened.
#[derive(Debug)]
pub enum CaptureError {
    /// The file is neither pcap nor pcapng.
    NotACapture,
    /// Reading from the underlying file or stream failed.
    Io(std::io::Error),
    /// A record could not be parsed; reading cannot continue past it.
    Corrupt {
        /// Byte offset of the record in the file.
        offset: u64,
        /// Number of the last packet read before the damage.
        after_packet: u64,
        /// What was wrong.
        what: String,
    },
    /// The file ends in the middle of a record (the rest of the capture was read).
    TruncatedRecord {
        /// Byte offset of the incomplete record.
        offset: u64,
        /// Number of the last complete packet.
        after_packet: u64,
    },
    /// A record is larger than [`MAX_BUFFER`].
    RecordTooLarge {
        /// Byte offset of the record.
        offset: u64,
    },
    /// A pcapng packet names an interface that no Interface Description Block declared.
    UnknownInterface {
        /// Packet number.
        packet: u64,
        /// The interface id it named.
        interface: u32,
    },
    /// A live capture failed while running (the interface went away, libpcap gave up); the
    /// packets before it were returned.
    #[cfg(feature = "live")]
    Live(crate::live::LiveError),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::NotACapture => {
                f.write_str("not a pcap or pcapng file (unrecognised magic number)")
            }
            CaptureError::Io(e) => write!(f, "read error: {e}"),
            CaptureError::Corrupt {
                offset,
                after_packet,
                what,
            } => write!(
                f,
                "corrupt record at byte {offset} (after packet {after_packet}): {what}"
            ),
            CaptureError::TruncatedRecord {
                offset,
                after_packet,
            } => write!(
                f,
                "file ends inside a record at byte {offset} (after packet {after_packet}); \
                 everything before it was read"
            ),
            CaptureError::RecordTooLarge { offset } => write!(
                f,
                "record at byte {offset} is larger than {} MiB",
                MAX_BUFFER >> 20
            ),
            CaptureError::UnknownInterface { packet, interface } => write!(
                f,
                "packet {packet} names interface {interface}, which the file never declared"
            ),
            #[cfg(feature = "live")]
            CaptureError::Live(e) => write!(f, "live capture stopped: {e}"),
        }
    }
}

impl std::error::Error for CaptureError {}

impl CaptureError {
    /// False when reading can go on after this error (the damaged record was skipped).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, CaptureError::UnknownInterface { .. })
    }
}

/// Reads packets from a pcap or pcapng stream.
///
/// ```no_run
/// let file = std::fs::File::open("call.pcapng")?;
/// let mut reader = rtcscope_capture::CaptureReader::new(file)?;
/// while let Some(packet) = reader.next_packet()? {
///     println!("{} {} bytes", packet.number, packet.data.len());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CaptureReader<'r> {
    inner: Box<dyn PcapReaderIterator + Send + 'r>,
    interfaces: Vec<Interface>,
    pending_consume: usize,
    file_offset: u64,
    packets: u64,
    format: Format,
    /// The byte order of the current pcapng section (`Some(true)` for big-endian), read from
    /// its Section Header Block; `None` before one is seen (and for classic pcap).
    section_big_endian: Option<bool>,
    /// The texts of the TLS key log Decryption Secrets Blocks read so far.
    tls_key_logs: Vec<String>,
    /// Bytes in `tls_key_logs`, and bytes of further blocks left out past the cap.
    tls_key_log_bytes: usize,
    tls_key_log_dropped: usize,
}

/// At most this many bytes of Decryption Secrets Block text are kept (a key log line is about
/// 180 bytes: tens of thousands of associations).
pub const MAX_TLS_KEY_LOG_BYTES: usize = 16 << 20;

/// `secrets_type` of a pcapng Decryption Secrets Block holding an NSS key log ("TLSK").
const DSB_TLS_KEY_LOG: u32 = 0x544c_534b;

/// The container format of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic libpcap format.
    Pcap,
    /// pcapng.
    PcapNg,
}

impl<'r> CaptureReader<'r> {
    /// Starts reading a capture from `source` (a file, standard input, a pipe).
    pub fn new<R: Read + Send + 'r>(source: R) -> Result<Self, CaptureError> {
        let inner = pcap_parser::create_reader(INITIAL_BUFFER, source).map_err(|e| match e {
            PcapError::Eof => CaptureError::Corrupt {
                offset: 0,
                after_packet: 0,
                what: "empty input".into(),
            },
            PcapError::ReadError => CaptureError::Io(std::io::Error::other("read failed")),
            _ => CaptureError::NotACapture,
        })?;
        Ok(CaptureReader {
            inner,
            interfaces: Vec::new(),
            pending_consume: 0,
            file_offset: 0,
            packets: 0,
            format: Format::Pcap,
            section_big_endian: None,
            tls_key_logs: Vec::new(),
            tls_key_log_bytes: 0,
            tls_key_log_dropped: 0,
        })
    }

    /// The interfaces declared so far.
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// Packets the capturing kernel dropped, summed over the interfaces' statistics (pcapng
    /// Interface Statistics Blocks); `None` when any interface does not say.
    pub fn dropped(&self) -> Option<u64> {
        self.interfaces
            .iter()
            .map(|i| i.dropped)
            .try_fold(0u64, |acc, d| d.map(|d| acc + d))
    }

    /// The NSS key logs (SSLKEYLOGFILE text) of the pcapng Decryption Secrets Blocks
    /// (secrets type `TLSK`, as `editcap --inject-secrets tls,FILE` writes) read so far, in
    /// file order. Such blocks precede the packets they decrypt, so a reader sees them in time.
    /// Kept up to [`MAX_TLS_KEY_LOG_BYTES`] in total (see [`Self::tls_key_log_bytes_dropped`]).
    pub fn tls_key_logs(&self) -> &[String] {
        &self.tls_key_logs
    }

    /// Bytes of Decryption Secrets Block text left out because the cap was reached.
    pub fn tls_key_log_bytes_dropped(&self) -> usize {
        self.tls_key_log_dropped
    }

    /// The container format (known after the first block).
    pub fn format(&self) -> Format {
        self.format
    }

    /// Packets returned so far.
    pub fn packets_read(&self) -> u64 {
        self.packets
    }

    /// Bytes of the file consumed so far (for progress indicators).
    pub fn bytes_read(&self) -> u64 {
        self.file_offset + self.pending_consume as u64
    }

    /// The next packet, `Ok(None)` at the end of the capture.
    ///
    /// After a fatal error ([`CaptureError::is_fatal`]) the reader is at the end: pcap and
    /// pcapng have no resynchronisation marks, so a corrupt record ends the readable part of the
    /// file. After a non-fatal one the damaged record was skipped and reading can go on. Packets
    /// already returned stay valid for analysis.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        self.read_packet(None)
    }

    /// The next packet; with `on_skip`, records the reader can skip (non-fatal errors) are
    /// handed to it with the number of records read so far, and reading goes on while it
    /// returns true (`Ok(None)` when it returns false), so only fatal errors are returned.
    /// (Skipping happens here, not in a caller's loop, because a loop that returns a borrowed
    /// packet from one iteration cannot call the reader again in the next.)
    pub(crate) fn read_packet(
        &mut self,
        mut on_skip: Option<&mut dyn FnMut(CaptureError, u64) -> bool>,
    ) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.pending_consume > 0 {
            self.inner.consume_noshift(self.pending_consume);
            self.file_offset += self.pending_consume as u64;
            self.pending_consume = 0;
        }
        loop {
            if let Some(what) = self.check_pcapng_block_length() {
                return Err(CaptureError::Corrupt {
                    offset: self.file_offset,
                    after_packet: self.packets,
                    what,
                });
            }
            // Classify the next block without holding the borrow across refill/grow.
            let step = match self.inner.next() {
                Ok((len, block)) => match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        self.format = Format::Pcap;
                        let ts_resolution = if h.is_nanosecond_precision() {
                            1_000_000_000
                        } else {
                            1_000_000
                        };
                        self.interfaces.push(Interface {
                            link_type: LinkType(h.network.0 as u32),
                            snaplen: h.snaplen,
                            ts_resolution,
                            ts_offset: 0,
                            dropped: None,
                        });
                        Step::Skip(len)
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        self.format = Format::PcapNg;
                        // A new section starts a new interface numbering.
                        self.interfaces.clear();
                        Step::Skip(len)
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let ts_resolution = idb.ts_resolution().unwrap_or(1_000_000);
                        self.interfaces.push(Interface {
                            link_type: LinkType(idb.linktype.0 as u32),
                            snaplen: idb.snaplen,
                            ts_resolution,
                            ts_offset: idb.ts_offset(),
                            dropped: None,
                        });
                        Step::Skip(len)
                    }
                    PcapBlockOwned::NG(Block::InterfaceStatistics(isb)) => {
                        let ifdrop = isb.isb_ifdrop().and_then(Result::ok);
                        let osdrop = isb.isb_osdrop().and_then(Result::ok);
                        let drop = match (ifdrop, osdrop) {
                            (None, None) => None,
                            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
                        };
                        if let (Some(iface), Some(d)) =
                            (self.interfaces.get_mut(isb.if_id as usize), drop)
                        {
                            iface.dropped = Some(d);
                        }
                        Step::Skip(len)
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let res = self
                            .interfaces
                            .first()
                            .map_or(1_000_000, |i| i.ts_resolution);
                        let ts = i128::from(b.ts_sec) * 1_000_000_000
                            + i128::from(b.ts_usec) * 1_000_000_000 / i128::from(res);
                        let caplen = (b.caplen as usize).min(b.data.len());
                        Step::Packet(len, Found::new(0, ts, &b.data[..caplen], b.origlen))
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        match self.interfaces.get(epb.if_id as usize) {
                            None => Step::UnknownInterface(len, epb.if_id),
                            Some(iface) => {
                                let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                                let res = i128::from(iface.ts_resolution.max(1));
                                let ts = i128::from(iface.ts_offset) * 1_000_000_000
                                    + i128::from(raw) * 1_000_000_000 / res;
                                let caplen = (epb.caplen as usize).min(epb.data.len());
                                Step::Packet(
                                    len,
                                    Found::new(epb.if_id, ts, &epb.data[..caplen], epb.origlen),
                                )
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => match self.interfaces.first() {
                        None => Step::UnknownInterface(len, 0),
                        Some(iface) => {
                            let snap = iface.snaplen as usize;
                            let caplen = if snap == 0 {
                                spb.data.len()
                            } else {
                                snap.min(spb.data.len())
                            };
                            let caplen = caplen.min(spb.origlen as usize);
                            Step::Packet(len, Found::new(0, 0, &spb.data[..caplen], spb.origlen))
                        }
                    },
                    PcapBlockOwned::NG(Block::DecryptionSecrets(dsb))
                        if dsb.secrets_type.0 == DSB_TLS_KEY_LOG =>
                    {
                        let n = (dsb.secrets_len as usize).min(dsb.data.len());
                        if self.tls_key_log_bytes + n <= MAX_TLS_KEY_LOG_BYTES {
                            self.tls_key_log_bytes += n;
                            self.tls_key_logs
                                .push(String::from_utf8_lossy(&dsb.data[..n]).into_owned());
                        } else {
                            self.tls_key_log_dropped += n;
                        }
                        Step::Skip(len)
                    }
                    PcapBlockOwned::NG(_) => Step::Skip(len),
                },
                Err(PcapError::Eof) => return Ok(None),
                Err(PcapError::Incomplete(_)) => Step::Refill,
                Err(PcapError::UnexpectedEof) => {
                    return Err(CaptureError::TruncatedRecord {
                        offset: self.file_offset,
                        after_packet: self.packets,
                    })
                }
                Err(PcapError::BufferTooSmall) => Step::Grow,
                Err(PcapError::ReadError) => {
                    return Err(CaptureError::Io(std::io::Error::other("read failed")))
                }
                Err(e) => {
                    return Err(CaptureError::Corrupt {
                        offset: self.file_offset,
                        after_packet: self.packets,
                        // Words, not pcap-parser's Debug text ("NomError([], Verify)").
                        what: match &e {
                            PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
                                format!("its fields do not parse ({})", kind.description())
                            }
                            other => other.to_string(),
                        },
                    });
                }
            };
            match step {
                Step::Skip(len) => {
                    self.inner.consume_noshift(len);
                    self.file_offset += len as u64;
                }
                Step::Refill => {
                    if self.inner.reader_exhausted() {
                        return Err(CaptureError::TruncatedRecord {
                            offset: self.file_offset,
                            after_packet: self.packets,
                        });
                    }
                    self.inner.refill().map_err(|_| CaptureError::Corrupt {
                        offset: self.file_offset,
                        after_packet: self.packets,
                        what: "refill failed".into(),
                    })?;
                }
                Step::Grow => {
                    let size = self.inner.data().len().max(INITIAL_BUFFER) * 2;
                    if size > MAX_BUFFER || !self.inner.grow(size) {
                        return Err(CaptureError::RecordTooLarge {
                            offset: self.file_offset,
                        });
                    }
                }
                Step::UnknownInterface(len, interface) => {
                    // Skip the block so reading can go on, and say which packet it was.
                    self.inner.consume_noshift(len);
                    self.file_offset += len as u64;
                    self.packets += 1;
                    let e = CaptureError::UnknownInterface {
                        packet: self.packets,
                        interface,
                    };
                    match on_skip.as_mut() {
                        Some(skip) => {
                            if !skip(e, self.packets) {
                                return Ok(None);
                            }
                        }
                        None => return Err(e),
                    }
                }
                Step::Packet(len, found) => {
                    self.pending_consume = len;
                    self.packets += 1;
                    // The packet's bytes are where the parser found them in the reader's
                    // buffer, which stays untouched until the next call consumes the block.
                    let buf = self.inner.data();
                    let base = buf.as_ptr() as usize;
                    let start = found.data_addr.wrapping_sub(base);
                    let data = buf.get(start..start + found.data_len).unwrap_or(&[]);
                    let link_type = self
                        .interfaces
                        .get(found.interface as usize)
                        .map_or(LinkType::ETHERNET, |i| i.link_type);
                    return Ok(Some(Packet {
                        number: self.packets,
                        ts_nanos: found.ts_nanos,
                        interface: found.interface,
                        link_type,
                        data,
                        orig_len: found.orig_len,
                        stream_offset: Some(self.file_offset + start as u64),
                    }));
                }
            }
        }
    }
}

impl CaptureReader<'_> {
    /// Checks the total length of the pcapng block at the head of the buffer before
    /// pcap-parser reads it: at least 12 bytes (28 for a Section Header Block), a multiple of 4,
    /// in the section's byte order. pcap-parser 0.17 computes `block_len - 12` unchecked for
    /// some block types (a Process Information Block of length 4 overflows it), so a length it
    /// cannot hold is reported here as the corrupt block it is. Returns what is wrong, if
    /// anything; a head shorter than a block header is left to pcap-parser's refill.
    fn check_pcapng_block_length(&mut self) -> Option<String> {
        const SHB: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
        // Only a pcapng file has blocks: it starts with a Section Header Block, and pcap-parser
        // has said so (`format`) by the time any other block is at the head.
        if self.format != Format::PcapNg && self.file_offset != 0 {
            return None;
        }
        let data = self.inner.data();
        // The type and the total length are all the check needs: a block cut short by the end
        // of the file after its length word still gets its length checked (pcap-parser reads
        // the length of such a tail too).
        let head: &[u8; 8] = data.get(..8)?.try_into().ok()?;
        if head[..4] == SHB {
            // A new section: its byte-order magic (0x1A2B3C4D) says how to read the rest.
            self.section_big_endian = match data.get(8..12)? {
                [0x1a, 0x2b, 0x3c, 0x4d] => Some(true),
                [0x4d, 0x3c, 0x2b, 0x1a] => Some(false),
                _ => return None, // pcap-parser names a bad byte-order magic itself
            };
        }
        let big_endian = self.section_big_endian?;
        let word = |b: [u8; 4]| {
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let block_type = word([head[0], head[1], head[2], head[3]]);
        let total = word([head[4], head[5], head[6], head[7]]);
        let min = if head[..4] == SHB { 28 } else { 12 };
        if total < min || total % 4 != 0 {
            Some(format!(
                "pcapng block of type {block_type:#010x} declares a total length of {total} \
                 bytes (it must be a multiple of 4, at least {min})"
            ))
        } else {
            None
        }
    }
}

/// Where a packet record's bytes are, found while the block was parsed.
struct Found {
    interface: u32,
    ts_nanos: i128,
    data_addr: usize,
    data_len: usize,
    orig_len: u32,
}

impl Found {
    fn new(interface: u32, ts_nanos: i128, data: &[u8], orig_len: u32) -> Self {
        Found {
            interface,
            ts_nanos,
            data_addr: data.as_ptr() as usize,
            data_len: data.len(),
            orig_len,
        }
    }
}

enum Step {
    Skip(usize),
    Packet(usize, Found),
    UnknownInterface(usize, u32),
    Refill,
    Grow,
}
