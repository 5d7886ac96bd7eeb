//! Sender and receiver reports (RFC 3550 §6.4).
//!
//! ```text
//!         0                   1                   2                   3
//!         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! header |V=2|P|    RC   |   PT=SR=200   |             length            |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                         SSRC of sender                        |
//!        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! sender |              NTP timestamp, most significant word             |
//! info   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |             NTP timestamp, least significant word             |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                         RTP timestamp                         |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                     sender's packet count                     |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                      sender's octet count                     |
//!        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! report |                 SSRC_1 (SSRC of first source)                 |
//! block  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!   1    | fraction lost |       cumulative number of packets lost       |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |           extended highest sequence number received           |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                      interarrival jitter                      |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                         last SR (LSR)                         |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                   delay since last SR (DLSR)                  |
//!        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//!        |                  profile-specific extensions                  |
//! ```
//!
//! An RR (§6.4.2) is the same without the sender info. Offsets below are relative to the body
//! (after the 4-byte common header).

use super::{bad_emit, put_u32};
use crate::bytes::{shift, sign_extend_24, slice, slice_from, u24_at, u32_at, u64_at, u8_at};
use rtcscope_wire::{Error, Field, Layer, Result};

/// Field offsets, relative to the body.
pub mod field {
    use rtcscope_wire::Field;
    /// SSRC of the sender.
    pub const SSRC: Field = 0..4;
    /// SR: NTP timestamp (64 bits).
    pub const NTP: Field = 4..12;
    /// SR: RTP timestamp.
    pub const RTP_TS: Field = 12..16;
    /// SR: sender's packet count.
    pub const PACKET_COUNT: Field = 16..20;
    /// SR: sender's octet count.
    pub const OCTET_COUNT: Field = 20..24;
    /// Start of the report blocks in an SR.
    pub const SR_BLOCKS: usize = 24;
    /// Start of the report blocks in an RR.
    pub const RR_BLOCKS: usize = 4;
    /// Length of a report block.
    pub const BLOCK_LEN: usize = 24;
    /// Report block: SSRC of the source.
    pub const BLOCK_SSRC: Field = 0..4;
    /// Report block: fraction lost.
    pub const BLOCK_FRACTION: usize = 4;
    /// Report block: cumulative packets lost (signed 24 bits).
    pub const BLOCK_CUMULATIVE: Field = 5..8;
    /// Report block: extended highest sequence number received.
    pub const BLOCK_HIGHEST: Field = 8..12;
    /// Report block: interarrival jitter.
    pub const BLOCK_JITTER: Field = 12..16;
    /// Report block: last SR.
    pub const BLOCK_LSR: Field = 16..20;
    /// Report block: delay since last SR (1/65536 s).
    pub const BLOCK_DLSR: Field = 20..24;
}

/// A sender report view (RFC 3550 §6.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SenderReport<'a> {
    body: &'a [u8],
    base: usize,
    count: u8,
}

/// A receiver report view (RFC 3550 §6.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    body: &'a [u8],
    base: usize,
    count: u8,
}

fn need(body: &[u8], base: usize, n: usize, what: &'static str) -> Result<()> {
    if body.len() < n {
        Err(Error::truncated(Layer::Rtcp, base, what, n, body.len()))
    } else {
        Ok(())
    }
}

fn extensions_after(body: &[u8], base: usize, start: usize, count: u8) -> Result<&[u8]> {
    let end = start + field::BLOCK_LEN * usize::from(count);
    if body.len() < end {
        let at = start.min(body.len());
        return Err(Error::truncated(
            Layer::Rtcp,
            base + at,
            "report blocks (RC)",
            end - start,
            body.len() - at,
        ));
    }
    Ok(slice_from(body, end))
}

impl<'a> SenderReport<'a> {
    /// Checks the sender info (24 bytes); report blocks are checked as they are iterated.
    #[inline]
    pub fn new_checked(body: &'a [u8], base: usize, count: u8) -> Result<Self> {
        need(body, base, field::SR_BLOCKS, "sender info")?;
        Ok(SenderReport { body, base, count })
    }
    /// SSRC of the sender.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.body, field::SSRC.start)
    }
    /// NTP timestamp (64-bit, 32.32 seconds since 1900).
    #[inline]
    pub fn ntp_timestamp(&self) -> u64 {
        u64_at(self.body, field::NTP.start)
    }
    /// RTP timestamp matching the NTP timestamp.
    #[inline]
    pub fn rtp_timestamp(&self) -> u32 {
        u32_at(self.body, field::RTP_TS.start)
    }
    /// Sender's packet count.
    #[inline]
    pub fn packet_count(&self) -> u32 {
        u32_at(self.body, field::PACKET_COUNT.start)
    }
    /// Sender's octet count.
    #[inline]
    pub fn octet_count(&self) -> u32 {
        u32_at(self.body, field::OCTET_COUNT.start)
    }
    /// The report count (RC).
    #[inline]
    pub fn report_count(&self) -> u8 {
        self.count
    }
    /// The report blocks (lax).
    #[inline]
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        ReportBlocks::new(self.body, self.base, field::SR_BLOCKS, self.count)
    }
    /// Profile-specific extensions after the report blocks (errors when RC blocks do not fit).
    #[inline]
    pub fn profile_extensions(&self) -> Result<&'a [u8]> {
        extensions_after(self.body, self.base, field::SR_BLOCKS, self.count)
    }
    /// Absolute range of a body field (e.g. `field::NTP`).
    #[inline]
    pub fn range_of(&self, f: Field) -> Field {
        shift(f, self.base)
    }
}

impl<'a> ReceiverReport<'a> {
    /// Checks the SSRC; report blocks are checked as they are iterated.
    #[inline]
    pub fn new_checked(body: &'a [u8], base: usize, count: u8) -> Result<Self> {
        need(body, base, field::RR_BLOCKS, "receiver SSRC")?;
        Ok(ReceiverReport { body, base, count })
    }
    /// SSRC of the packet sender.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.body, field::SSRC.start)
    }
    /// The report count (RC).
    #[inline]
    pub fn report_count(&self) -> u8 {
        self.count
    }
    /// The report blocks (lax).
    #[inline]
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        ReportBlocks::new(self.body, self.base, field::RR_BLOCKS, self.count)
    }
    /// Profile-specific extensions after the report blocks.
    #[inline]
    pub fn profile_extensions(&self) -> Result<&'a [u8]> {
        extensions_after(self.body, self.base, field::RR_BLOCKS, self.count)
    }
}

/// A reception report block.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock<'a> {
    buf: &'a [u8],
    base: usize,
}

impl<'a> ReportBlock<'a> {
    /// Checks a 24-byte report block at `base`.
    #[inline]
    pub fn new_checked(buf: &'a [u8], base: usize) -> Result<Self> {
        need(buf, base, field::BLOCK_LEN, "report block")?;
        Ok(ReportBlock {
            buf: slice(buf, 0..field::BLOCK_LEN),
            base,
        })
    }
    /// SSRC of the source reported on.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.buf, field::BLOCK_SSRC.start)
    }
    /// Fraction lost (fixed point /256).
    #[inline]
    pub fn fraction_lost(&self) -> u8 {
        u8_at(self.buf, field::BLOCK_FRACTION)
    }
    /// Cumulative number of packets lost (signed 24-bit, RFC 3550 §6.4.1).
    #[inline]
    pub fn cumulative_lost(&self) -> i32 {
        sign_extend_24(self.cumulative_lost_raw())
    }
    /// The raw 24-bit cumulative-lost field.
    #[inline]
    pub fn cumulative_lost_raw(&self) -> u32 {
        u24_at(self.buf, field::BLOCK_CUMULATIVE.start)
    }
    /// Extended highest sequence number received.
    #[inline]
    pub fn highest_sequence(&self) -> u32 {
        u32_at(self.buf, field::BLOCK_HIGHEST.start)
    }
    /// Interarrival jitter (timestamp units).
    #[inline]
    pub fn jitter(&self) -> u32 {
        u32_at(self.buf, field::BLOCK_JITTER.start)
    }
    /// Last SR timestamp (middle 32 bits of its NTP timestamp).
    #[inline]
    pub fn last_sr(&self) -> u32 {
        u32_at(self.buf, field::BLOCK_LSR.start)
    }
    /// Delay since last SR (1/65536 s).
    #[inline]
    pub fn delay_since_last_sr(&self) -> u32 {
        u32_at(self.buf, field::BLOCK_DLSR.start)
    }
    /// Range of the block.
    #[inline]
    pub fn range(&self) -> Field {
        self.base..self.base + field::BLOCK_LEN
    }
}

impl core::fmt::Debug for ReportBlock<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        ReportBlockRepr::from_view(self).fmt(f)
    }
}

/// Lax iterator over report blocks.
#[derive(Clone, Debug)]
pub struct ReportBlocks<'a> {
    body: &'a [u8],
    base: usize,
    pos: usize,
    left: u8,
}

impl<'a> ReportBlocks<'a> {
    fn new(body: &'a [u8], base: usize, start: usize, count: u8) -> Self {
        ReportBlocks {
            body,
            base,
            pos: start,
            left: count,
        }
    }
}

impl<'a> Iterator for ReportBlocks<'a> {
    type Item = Result<ReportBlock<'a>>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let r = ReportBlock::new_checked(slice_from(self.body, self.pos), self.base + self.pos);
        if r.is_ok() {
            let before = self.pos;
            self.left -= 1;
            self.pos += field::BLOCK_LEN;
            debug_assert!(self.pos > before, "ReportBlocks::next did not advance");
        } else {
            self.left = 0;
        }
        Some(r)
    }
}

/// An owned report block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReportBlockRepr {
    /// SSRC of the source.
    pub ssrc: u32,
    /// Fraction lost.
    pub fraction_lost: u8,
    /// Cumulative packets lost (−2²³ … 2²³−1).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_sequence: u32,
    /// Interarrival jitter.
    pub jitter: u32,
    /// Last SR.
    pub last_sr: u32,
    /// Delay since last SR.
    pub delay_since_last_sr: u32,
}

impl ReportBlockRepr {
    /// Copies a view.
    #[inline]
    pub fn from_view(b: &ReportBlock<'_>) -> Self {
        ReportBlockRepr {
            ssrc: b.ssrc(),
            fraction_lost: b.fraction_lost(),
            cumulative_lost: b.cumulative_lost(),
            highest_sequence: b.highest_sequence(),
            jitter: b.jitter(),
            last_sr: b.last_sr(),
            delay_since_last_sr: b.delay_since_last_sr(),
        }
    }

    fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        if !(-(1 << 23)..(1 << 23)).contains(&self.cumulative_lost) {
            return Err(bad_emit(
                "cumulative lost",
                "a signed 24-bit value",
                self.cumulative_lost as u64,
            ));
        }
        put_u32(out, self.ssrc);
        out.push(self.fraction_lost);
        out.extend_from_slice(&self.cumulative_lost.to_be_bytes()[1..]);
        put_u32(out, self.highest_sequence);
        put_u32(out, self.jitter);
        put_u32(out, self.last_sr);
        put_u32(out, self.delay_since_last_sr);
        Ok(())
    }
}

fn collect_blocks(it: ReportBlocks<'_>) -> Result<Vec<ReportBlockRepr>> {
    it.map(|b| b.map(|b| ReportBlockRepr::from_view(&b)))
        .collect()
}

fn emit_blocks(blocks: &[ReportBlockRepr], out: &mut Vec<u8>) -> Result<u8> {
    if blocks.len() > 31 {
        return Err(bad_emit("report count", "at most 31", blocks.len() as u64));
    }
    for b in blocks {
        b.emit(out)?;
    }
    Ok(blocks.len() as u8)
}

/// An owned sender report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SenderReportRepr {
    /// SSRC of the sender.
    pub ssrc: u32,
    /// NTP timestamp.
    pub ntp_timestamp: u64,
    /// RTP timestamp.
    pub rtp_timestamp: u32,
    /// Packet count.
    pub packet_count: u32,
    /// Octet count.
    pub octet_count: u32,
    /// Report blocks (at most 31).
    pub reports: Vec<ReportBlockRepr>,
    /// Profile-specific extensions (a multiple of 4 bytes to be emitted).
    pub profile_extensions: Vec<u8>,
}

impl SenderReportRepr {
    /// Parses completely.
    pub fn parse(v: &SenderReport<'_>) -> Result<Self> {
        Ok(SenderReportRepr {
            ssrc: v.ssrc(),
            ntp_timestamp: v.ntp_timestamp(),
            rtp_timestamp: v.rtp_timestamp(),
            packet_count: v.packet_count(),
            octet_count: v.octet_count(),
            reports: collect_blocks(v.report_blocks())?,
            profile_extensions: v.profile_extensions()?.to_vec(),
        })
    }
    /// Appends the body; returns the RC.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<u8> {
        put_u32(out, self.ssrc);
        out.extend_from_slice(&self.ntp_timestamp.to_be_bytes());
        put_u32(out, self.rtp_timestamp);
        put_u32(out, self.packet_count);
        put_u32(out, self.octet_count);
        let rc = emit_blocks(&self.reports, out)?;
        out.extend_from_slice(&self.profile_extensions);
        Ok(rc)
    }
}

/// An owned receiver report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiverReportRepr {
    /// SSRC of the packet sender.
    pub ssrc: u32,
    /// Report blocks (at most 31).
    pub reports: Vec<ReportBlockRepr>,
    /// Profile-specific extensions.
    pub profile_extensions: Vec<u8>,
}

impl ReceiverReportRepr {
    /// Parses completely.
    pub fn parse(v: &ReceiverReport<'_>) -> Result<Self> {
        Ok(ReceiverReportRepr {
            ssrc: v.ssrc(),
            reports: collect_blocks(v.report_blocks())?,
            profile_extensions: v.profile_extensions()?.to_vec(),
        })
    }
    /// Appends the body; returns the RC.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<u8> {
        put_u32(out, self.ssrc);
        let rc = emit_blocks(&self.reports, out)?;
        out.extend_from_slice(&self.profile_extensions);
        Ok(rc)
    }
}
