//! RTCP extended reports (RFC 3611).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|reserved |   PT=XR=207   |             length            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              SSRC                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      BT       | type-specific |  block length (words, − hdr)  |  ← §3, each block
//! :             type-specific block contents                      :
//! ```
//!
//! Blocks decoded: Loss RLE (§4.1) and Duplicate RLE (§4.2), Packet Receipt Times (§4.3),
//! Receiver Reference Time (§4.4), DLRR (§4.5), Statistics Summary (§4.6), VoIP Metrics (§4.7).
//! Other block types are kept raw.

use super::{bad_emit, put_u16, put_u32};
use crate::bytes::{shift, slice, slice_from, u16_at, u32_at, u64_at, u8_at};
use rtcscope_wire::{Error, ErrorKind, Field, Layer, Result};

rtcscope_wire::wire_enum! {
    /// XR block type (IANA "RTCP XR Block Type").
    pub struct XrBlockType(u8) {
        /// Loss RLE report block (RFC 3611 §4.1).
        LOSS_RLE = 1 => "Loss RLE",
        /// Duplicate RLE report block (§4.2).
        DUPLICATE_RLE = 2 => "Duplicate RLE",
        /// Packet receipt times (§4.3).
        PACKET_RECEIPT_TIMES = 3 => "Packet Receipt Times",
        /// Receiver reference time (§4.4).
        RRTR = 4 => "Receiver Reference Time",
        /// DLRR (§4.5).
        DLRR = 5 => "DLRR",
        /// Statistics summary (§4.6).
        STATISTICS_SUMMARY = 6 => "Statistics Summary",
        /// VoIP metrics (§4.7).
        VOIP_METRICS = 7 => "VoIP Metrics",
    }
}

/// An XR packet view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtendedReport<'a> {
    body: &'a [u8],
    base: usize,
}

impl<'a> ExtendedReport<'a> {
    /// Checks the SSRC; blocks are checked as they are iterated.
    #[inline]
    pub fn new_checked(body: &'a [u8], base: usize) -> Result<Self> {
        if body.len() < 4 {
            return Err(Error::truncated(
                Layer::Rtcp,
                base,
                "XR SSRC",
                4,
                body.len(),
            ));
        }
        Ok(ExtendedReport { body, base })
    }
    /// SSRC of the packet sender.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.body, 0)
    }
    /// The report blocks (lax).
    #[inline]
    pub fn blocks(&self) -> XrBlocks<'a> {
        XrBlocks {
            body: self.body,
            base: self.base,
            pos: 4,
            done: false,
        }
    }
}

/// One XR report block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XrBlock<'a> {
    /// Block type.
    pub block_type: XrBlockType,
    /// The type-specific header byte.
    pub type_specific: u8,
    /// Block contents after the 4-byte block header.
    pub contents: &'a [u8],
    /// Range of the block (header and contents).
    pub range: Field,
}

/// Lax iterator over XR blocks.
#[derive(Clone, Debug)]
pub struct XrBlocks<'a> {
    body: &'a [u8],
    base: usize,
    pos: usize,
    done: bool,
}

impl<'a> Iterator for XrBlocks<'a> {
    type Item = Result<XrBlock<'a>>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.body.len() {
            return None;
        }
        let at = self.pos;
        let avail = self.body.len() - at;
        if avail < 4 {
            self.done = true;
            return Some(Err(Error::truncated(
                Layer::Rtcp,
                self.base + at,
                "XR block header",
                4,
                avail,
            )));
        }
        let len = 4 * usize::from(u16_at(self.body, at + 2));
        if len > avail - 4 {
            self.done = true;
            return Some(Err(Error::truncated(
                Layer::Rtcp,
                self.base + at + 2,
                "XR block (block length)",
                len,
                avail - 4,
            )));
        }
        // Progress: a block is at least its 4-byte header, even with block length 0.
        self.pos += 4 + len;
        debug_assert!(
            self.pos >= at + 4,
            "XrBlocks::next did not advance past a block header"
        );
        Some(Ok(XrBlock {
            block_type: XrBlockType(u8_at(self.body, at)),
            type_specific: u8_at(self.body, at + 1),
            contents: slice(self.body, at + 4..at + 4 + len),
            range: self.base + at..self.base + at + 4 + len,
        }))
    }
}

/// A decoded XR block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XrBlockKind<'a> {
    /// Loss RLE (§4.1).
    LossRle(RleBlock<'a>),
    /// Duplicate RLE (§4.2).
    DuplicateRle(RleBlock<'a>),
    /// Packet receipt times (§4.3).
    PacketReceiptTimes(ReceiptTimes<'a>),
    /// Receiver reference time (§4.4): NTP timestamp.
    Rrtr(u64),
    /// DLRR (§4.5): sub-blocks.
    Dlrr(DlrrItems<'a>),
    /// Statistics summary (§4.6).
    StatisticsSummary(StatisticsSummary),
    /// VoIP metrics (§4.7).
    VoipMetrics(VoipMetrics),
    /// Another block type.
    Unknown(&'a [u8]),
}

impl<'a> XrBlock<'a> {
    fn contents_at(&self) -> usize {
        self.range.start + 4
    }

    fn exact(&self, n: usize, what: &'static str) -> Result<()> {
        if self.contents.len() == n {
            Ok(())
        } else {
            Err(Error::bad_length(
                Layer::Rtcp,
                self.range.start + 2,
                what,
                "the block type's fixed size",
                self.contents.len(),
            ))
        }
    }

    /// Decodes the block contents.
    #[inline]
    pub fn kind(&self) -> Result<XrBlockKind<'a>> {
        let c = self.contents;
        Ok(match self.block_type {
            XrBlockType::LOSS_RLE | XrBlockType::DUPLICATE_RLE => {
                if c.len() < 8 {
                    return Err(Error::truncated(
                        Layer::Rtcp,
                        self.contents_at(),
                        "RLE block SSRC and sequence range",
                        8,
                        c.len(),
                    ));
                }
                let b = RleBlock {
                    thinning: self.type_specific & 0x0f,
                    ssrc: u32_at(c, 0),
                    begin_seq: u16_at(c, 4),
                    end_seq: u16_at(c, 6),
                    chunks: slice_from(c, 8),
                    base: self.contents_at() + 8,
                };
                if self.block_type == XrBlockType::LOSS_RLE {
                    XrBlockKind::LossRle(b)
                } else {
                    XrBlockKind::DuplicateRle(b)
                }
            }
            XrBlockType::PACKET_RECEIPT_TIMES => {
                if c.len() < 8 {
                    return Err(Error::truncated(
                        Layer::Rtcp,
                        self.contents_at(),
                        "receipt times SSRC and sequence range",
                        8,
                        c.len(),
                    ));
                }
                XrBlockKind::PacketReceiptTimes(ReceiptTimes {
                    thinning: self.type_specific & 0x0f,
                    ssrc: u32_at(c, 0),
                    begin_seq: u16_at(c, 4),
                    end_seq: u16_at(c, 6),
                    times: slice_from(c, 8),
                })
            }
            XrBlockType::RRTR => {
                self.exact(8, "RRTR block length")?;
                XrBlockKind::Rrtr(u64_at(c, 0))
            }
            XrBlockType::DLRR => {
                if c.len() % 12 != 0 {
                    return Err(Error::bad_length(
                        Layer::Rtcp,
                        self.range.start + 2,
                        "DLRR block length",
                        "a multiple of 3 words",
                        c.len() / 4,
                    ));
                }
                XrBlockKind::Dlrr(DlrrItems { buf: c, pos: 0 })
            }
            XrBlockType::STATISTICS_SUMMARY => {
                self.exact(36, "statistics summary block length")?;
                XrBlockKind::StatisticsSummary(StatisticsSummary::from_bytes(self.type_specific, c))
            }
            XrBlockType::VOIP_METRICS => {
                self.exact(32, "VoIP metrics block length")?;
                XrBlockKind::VoipMetrics(VoipMetrics::from_bytes(c))
            }
            _ => XrBlockKind::Unknown(c),
        })
    }
}

/// A Loss RLE or Duplicate RLE block (§4.1, §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RleBlock<'a> {
    /// Thinning T (4 bits).
    pub thinning: u8,
    /// SSRC of the source.
    pub ssrc: u32,
    /// First sequence number covered.
    pub begin_seq: u16,
    /// One past the last sequence number covered.
    pub end_seq: u16,
    chunks: &'a [u8],
    base: usize,
}

/// An RLE chunk (§4.1.1–§4.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RleChunk {
    /// Run length chunk: `length` packets, received/duplicated when `run_type` is true.
    Run {
        /// R: the run's type (1 = received / duplicated).
        run_type: bool,
        /// Run length (14 bits).
        length: u16,
    },
    /// Bit vector chunk: 15 bits, most significant first.
    BitVector(u16),
    /// Terminating null chunk.
    Null,
}

impl RleChunk {
    /// Decodes 16 bits.
    #[inline]
    pub const fn from_u16(v: u16) -> Self {
        if v == 0 {
            RleChunk::Null
        } else if v & 0x8000 == 0 {
            RleChunk::Run {
                run_type: v & 0x4000 != 0,
                length: v & 0x3fff,
            }
        } else {
            RleChunk::BitVector(v & 0x7fff)
        }
    }
}

impl<'a> RleBlock<'a> {
    /// The chunks with their ranges (a trailing odd byte is ignored; block lengths are words).
    #[inline]
    pub fn chunks(&self) -> impl Iterator<Item = (RleChunk, Field)> + 'a {
        let base = self.base;
        self.chunks.chunks_exact(2).enumerate().map(move |(i, c)| {
            (
                RleChunk::from_u16(u16_at(c, 0)),
                shift(2 * i..2 * i + 2, base),
            )
        })
    }
    /// The raw 16-bit chunks.
    #[inline]
    pub fn raw_chunks(&self) -> impl Iterator<Item = u16> + 'a {
        self.chunks.chunks_exact(2).map(|c| u16_at(c, 0))
    }
}

/// Packet receipt times (§4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptTimes<'a> {
    /// Thinning T.
    pub thinning: u8,
    /// SSRC of the source.
    pub ssrc: u32,
    /// First sequence number.
    pub begin_seq: u16,
    /// One past the last sequence number.
    pub end_seq: u16,
    times: &'a [u8],
}

impl<'a> ReceiptTimes<'a> {
    /// The receipt times (RTP timestamp units).
    #[inline]
    pub fn times(&self) -> impl Iterator<Item = u32> + 'a {
        self.times.chunks_exact(4).map(|c| u32_at(c, 0))
    }
}

/// One DLRR sub-block (§4.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DlrrItem {
    /// SSRC of the receiver.
    pub ssrc: u32,
    /// Last RR (middle 32 bits of the RRTR NTP timestamp).
    pub last_rr: u32,
    /// Delay since last RR (1/65536 s).
    pub delay_since_last_rr: u32,
}

/// Iterator over DLRR sub-blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DlrrItems<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Iterator for DlrrItems<'_> {
    type Item = DlrrItem;
    #[inline]
    fn next(&mut self) -> Option<DlrrItem> {
        let b = self.buf.get(self.pos..self.pos + 12)?;
        let before = self.pos;
        self.pos += 12;
        debug_assert!(self.pos > before, "DlrrItems::next did not advance");
        Some(DlrrItem {
            ssrc: u32_at(b, 0),
            last_rr: u32_at(b, 4),
            delay_since_last_rr: u32_at(b, 8),
        })
    }
}

/// Statistics summary (§4.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StatisticsSummary {
    /// The type-specific byte: L, D, J flags, ToH (2 bits), reserved.
    pub flags: u8,
    /// SSRC of the source.
    pub ssrc: u32,
    /// First sequence number.
    pub begin_seq: u16,
    /// One past the last sequence number.
    pub end_seq: u16,
    /// Lost packets.
    pub lost_packets: u32,
    /// Duplicate packets.
    pub dup_packets: u32,
    /// Minimum jitter.
    pub min_jitter: u32,
    /// Maximum jitter.
    pub max_jitter: u32,
    /// Mean jitter.
    pub mean_jitter: u32,
    /// Jitter standard deviation.
    pub dev_jitter: u32,
    /// Minimum TTL or hop limit.
    pub min_ttl: u8,
    /// Maximum TTL or hop limit.
    pub max_ttl: u8,
    /// Mean TTL or hop limit.
    pub mean_ttl: u8,
    /// TTL or hop limit standard deviation.
    pub dev_ttl: u8,
}

impl StatisticsSummary {
    fn from_bytes(flags: u8, c: &[u8]) -> Self {
        StatisticsSummary {
            flags,
            ssrc: u32_at(c, 0),
            begin_seq: u16_at(c, 4),
            end_seq: u16_at(c, 6),
            lost_packets: u32_at(c, 8),
            dup_packets: u32_at(c, 12),
            min_jitter: u32_at(c, 16),
            max_jitter: u32_at(c, 20),
            mean_jitter: u32_at(c, 24),
            dev_jitter: u32_at(c, 28),
            min_ttl: u8_at(c, 32),
            max_ttl: u8_at(c, 33),
            mean_ttl: u8_at(c, 34),
            dev_ttl: u8_at(c, 35),
        }
    }
    fn emit(&self, out: &mut Vec<u8>) {
        put_u32(out, self.ssrc);
        put_u16(out, self.begin_seq);
        put_u16(out, self.end_seq);
        for v in [
            self.lost_packets,
            self.dup_packets,
            self.min_jitter,
            self.max_jitter,
            self.mean_jitter,
            self.dev_jitter,
        ] {
            put_u32(out, v);
        }
        out.extend_from_slice(&[self.min_ttl, self.max_ttl, self.mean_ttl, self.dev_ttl]);
    }
}

/// VoIP metrics (§4.7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VoipMetrics {
    /// SSRC of the source.
    pub ssrc: u32,
    /// Loss rate (/256).
    pub loss_rate: u8,
    /// Discard rate (/256).
    pub discard_rate: u8,
    /// Burst density (/256).
    pub burst_density: u8,
    /// Gap density (/256).
    pub gap_density: u8,
    /// Burst duration (ms).
    pub burst_duration: u16,
    /// Gap duration (ms).
    pub gap_duration: u16,
    /// Round-trip delay (ms).
    pub round_trip_delay: u16,
    /// End system delay (ms).
    pub end_system_delay: u16,
    /// Signal level (dBm0, signed).
    pub signal_level: u8,
    /// Noise level (dBm0, signed).
    pub noise_level: u8,
    /// Residual echo return loss (dB).
    pub rerl: u8,
    /// Gap threshold.
    pub gmin: u8,
    /// R factor.
    pub r_factor: u8,
    /// External R factor.
    pub ext_r_factor: u8,
    /// MOS-LQ (×10).
    pub mos_lq: u8,
    /// MOS-CQ (×10).
    pub mos_cq: u8,
    /// Receiver configuration byte.
    pub rx_config: u8,
    /// The reserved byte after RX config.
    pub reserved: u8,
    /// Jitter buffer nominal delay (ms).
    pub jb_nominal: u16,
    /// Jitter buffer maximum delay (ms).
    pub jb_maximum: u16,
    /// Jitter buffer absolute maximum delay (ms).
    pub jb_abs_max: u16,
}

impl VoipMetrics {
    fn from_bytes(c: &[u8]) -> Self {
        VoipMetrics {
            ssrc: u32_at(c, 0),
            loss_rate: u8_at(c, 4),
            discard_rate: u8_at(c, 5),
            burst_density: u8_at(c, 6),
            gap_density: u8_at(c, 7),
            burst_duration: u16_at(c, 8),
            gap_duration: u16_at(c, 10),
            round_trip_delay: u16_at(c, 12),
            end_system_delay: u16_at(c, 14),
            signal_level: u8_at(c, 16),
            noise_level: u8_at(c, 17),
            rerl: u8_at(c, 18),
            gmin: u8_at(c, 19),
            r_factor: u8_at(c, 20),
            ext_r_factor: u8_at(c, 21),
            mos_lq: u8_at(c, 22),
            mos_cq: u8_at(c, 23),
            rx_config: u8_at(c, 24),
            reserved: u8_at(c, 25),
            jb_nominal: u16_at(c, 26),
            jb_maximum: u16_at(c, 28),
            jb_abs_max: u16_at(c, 30),
        }
    }
    fn emit(&self, out: &mut Vec<u8>) {
        put_u32(out, self.ssrc);
        out.extend_from_slice(&[
            self.loss_rate,
            self.discard_rate,
            self.burst_density,
            self.gap_density,
        ]);
        for v in [
            self.burst_duration,
            self.gap_duration,
            self.round_trip_delay,
            self.end_system_delay,
        ] {
            put_u16(out, v);
        }
        out.extend_from_slice(&[
            self.signal_level,
            self.noise_level,
            self.rerl,
            self.gmin,
            self.r_factor,
            self.ext_r_factor,
            self.mos_lq,
            self.mos_cq,
            self.rx_config,
            self.reserved,
        ]);
        for v in [self.jb_nominal, self.jb_maximum, self.jb_abs_max] {
            put_u16(out, v);
        }
    }
}

/// An owned RLE block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RleRepr {
    /// Thinning (0–15).
    pub thinning: u8,
    /// SSRC.
    pub ssrc: u32,
    /// begin_seq.
    pub begin_seq: u16,
    /// end_seq.
    pub end_seq: u16,
    /// Raw chunks (an even count to be emitted, e.g. ending with a null chunk).
    pub chunks: Vec<u16>,
}

/// An owned XR block.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum XrBlockRepr {
    /// Loss RLE.
    LossRle(RleRepr),
    /// Duplicate RLE.
    DuplicateRle(RleRepr),
    /// Packet receipt times.
    PacketReceiptTimes {
        /// Thinning (0–15).
        thinning: u8,
        /// SSRC.
        ssrc: u32,
        /// begin_seq.
        begin_seq: u16,
        /// end_seq.
        end_seq: u16,
        /// Receipt times.
        times: Vec<u32>,
    },
    /// Receiver reference time.
    Rrtr(u64),
    /// DLRR.
    Dlrr(Vec<DlrrItem>),
    /// Statistics summary.
    StatisticsSummary(StatisticsSummary),
    /// VoIP metrics.
    VoipMetrics(VoipMetrics),
    /// Another block type.
    Unknown {
        /// Block type.
        block_type: XrBlockType,
        /// Type-specific byte.
        type_specific: u8,
        /// Contents (a multiple of 4 bytes).
        contents: Vec<u8>,
    },
}

/// An owned XR packet body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct XrRepr {
    /// SSRC of the packet sender.
    pub ssrc: u32,
    /// Report blocks.
    pub blocks: Vec<XrBlockRepr>,
}

impl XrRepr {
    /// Parses every block.
    pub fn parse(v: &ExtendedReport<'_>) -> Result<Self> {
        let mut blocks = Vec::new();
        for b in v.blocks() {
            let b = b?;
            let rle = |r: &RleBlock<'_>| RleRepr {
                thinning: r.thinning,
                ssrc: r.ssrc,
                begin_seq: r.begin_seq,
                end_seq: r.end_seq,
                chunks: r.raw_chunks().collect(),
            };
            blocks.push(match b.kind()? {
                XrBlockKind::LossRle(r) => XrBlockRepr::LossRle(rle(&r)),
                XrBlockKind::DuplicateRle(r) => XrBlockRepr::DuplicateRle(rle(&r)),
                XrBlockKind::PacketReceiptTimes(t) => XrBlockRepr::PacketReceiptTimes {
                    thinning: t.thinning,
                    ssrc: t.ssrc,
                    begin_seq: t.begin_seq,
                    end_seq: t.end_seq,
                    times: t.times().collect(),
                },
                XrBlockKind::Rrtr(ntp) => XrBlockRepr::Rrtr(ntp),
                XrBlockKind::Dlrr(items) => XrBlockRepr::Dlrr(items.collect()),
                XrBlockKind::StatisticsSummary(s) => XrBlockRepr::StatisticsSummary(s),
                XrBlockKind::VoipMetrics(m) => XrBlockRepr::VoipMetrics(m),
                XrBlockKind::Unknown(c) => XrBlockRepr::Unknown {
                    block_type: b.block_type,
                    type_specific: b.type_specific,
                    contents: c.to_vec(),
                },
            });
        }
        Ok(XrRepr {
            ssrc: v.ssrc(),
            blocks,
        })
    }

    /// Appends the body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        put_u32(out, self.ssrc);
        for b in &self.blocks {
            let start = out.len();
            out.extend_from_slice(&[0; 4]);
            let (bt, ts) = match b {
                XrBlockRepr::LossRle(r) | XrBlockRepr::DuplicateRle(r) => {
                    if r.thinning > 15 || r.chunks.len() % 2 != 0 {
                        return Err(bad_emit(
                            "RLE block",
                            "thinning < 16 and an even number of chunks",
                            r.chunks.len() as u64,
                        ));
                    }
                    put_u32(out, r.ssrc);
                    put_u16(out, r.begin_seq);
                    put_u16(out, r.end_seq);
                    for c in &r.chunks {
                        put_u16(out, *c);
                    }
                    let bt = if matches!(b, XrBlockRepr::LossRle(_)) {
                        XrBlockType::LOSS_RLE
                    } else {
                        XrBlockType::DUPLICATE_RLE
                    };
                    (bt, r.thinning)
                }
                XrBlockRepr::PacketReceiptTimes {
                    thinning,
                    ssrc,
                    begin_seq,
                    end_seq,
                    times,
                } => {
                    if *thinning > 15 {
                        return Err(bad_emit("thinning", "0..=15", (*thinning).into()));
                    }
                    put_u32(out, *ssrc);
                    put_u16(out, *begin_seq);
                    put_u16(out, *end_seq);
                    for t in times {
                        put_u32(out, *t);
                    }
                    (XrBlockType::PACKET_RECEIPT_TIMES, *thinning)
                }
                XrBlockRepr::Rrtr(ntp) => {
                    out.extend_from_slice(&ntp.to_be_bytes());
                    (XrBlockType::RRTR, 0)
                }
                XrBlockRepr::Dlrr(items) => {
                    for i in items {
                        put_u32(out, i.ssrc);
                        put_u32(out, i.last_rr);
                        put_u32(out, i.delay_since_last_rr);
                    }
                    (XrBlockType::DLRR, 0)
                }
                XrBlockRepr::StatisticsSummary(s) => {
                    s.emit(out);
                    (XrBlockType::STATISTICS_SUMMARY, s.flags)
                }
                XrBlockRepr::VoipMetrics(m) => {
                    m.emit(out);
                    (XrBlockType::VOIP_METRICS, 0)
                }
                XrBlockRepr::Unknown {
                    block_type,
                    type_specific,
                    contents,
                } => {
                    if (1..=7).contains(&block_type.0) || contents.len() % 4 != 0 {
                        return Err(bad_emit(
                            "XR block type",
                            "an undecoded type with word-aligned contents",
                            block_type.0.into(),
                        ));
                    }
                    out.extend_from_slice(contents);
                    (*block_type, *type_specific)
                }
            };
            let words = (out.len() - start - 4) / 4;
            if words > usize::from(u16::MAX) {
                return Err(Error::new(
                    Layer::Rtcp,
                    0,
                    "XR block length",
                    ErrorKind::BadLength {
                        expected: "at most 65535 words",
                        found: words,
                    },
                ));
            }
            out[start] = bt.0;
            out[start + 1] = ts;
            out[start + 2..start + 4].copy_from_slice(&(words as u16).to_be_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrtr_dlrr_and_unknown() {
        // RFC 3611 §4.4 RRTR (BT 4, length 2) + §4.5 DLRR (BT 5, length 3) + unknown BT 42.
        let body = [
            0, 0, 0, 1, // SSRC
            4, 0, 0, 2, 0xe0, 0, 0, 1, 0x80, 0, 0, 0, // RRTR
            5, 0, 0, 3, 0, 0, 0, 9, 0, 1, 2, 3, 0, 0, 0x10, 0, // DLRR
            42, 7, 0, 1, 1, 2, 3, 4, // unknown
        ];
        let xr = ExtendedReport::new_checked(&body, 4).unwrap();
        let blocks: Vec<_> = xr.blocks().map(Result::unwrap).collect();
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0].range, 8..20);
        assert_eq!(
            blocks[0].kind().unwrap(),
            XrBlockKind::Rrtr(0xe000_0001_8000_0000)
        );
        let XrBlockKind::Dlrr(items) = blocks[1].kind().unwrap() else {
            panic!()
        };
        let items: Vec<_> = items.collect();
        assert_eq!(
            items,
            [DlrrItem {
                ssrc: 9,
                last_rr: 0x10203,
                delay_since_last_rr: 0x1000
            }]
        );
        assert_eq!(
            blocks[2].kind().unwrap(),
            XrBlockKind::Unknown(&[1, 2, 3, 4])
        );
        let r = XrRepr::parse(&xr).unwrap();
        let mut out = Vec::new();
        r.emit(&mut out).unwrap();
        assert_eq!(out, body);
        // A block length overrunning the packet.
        let e = ExtendedReport::new_checked(&body[..30], 4)
            .unwrap()
            .blocks()
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert_eq!((e.offset, e.field), (22, "XR block (block length)"));
    }

    #[test]
    fn rle_chunks() {
        assert_eq!(
            RleChunk::from_u16(0x4005),
            RleChunk::Run {
                run_type: true,
                length: 5
            }
        );
        assert_eq!(RleChunk::from_u16(0x8001), RleChunk::BitVector(1));
        assert_eq!(RleChunk::from_u16(0), RleChunk::Null);
    }
}
