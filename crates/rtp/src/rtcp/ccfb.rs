//! RTP congestion control feedback (RFC 8888 §3.1), RTPFB FMT 11.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P| FMT=11  |   PT = 205    |          length               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 SSRC of RTCP packet sender                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   SSRC of 1st RTP Stream                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          begin_seq            |          num_reports          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |R|ECN|  Arrival time offset    | ...                           .
//! .                       (16 zero bits if num_reports is odd)    .
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   SSRC of nth RTP Stream                      |
//! .                              ...                              .
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Report Timestamp (32 bits)                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The view starts at "SSRC of 1st RTP Stream" (where other feedback has its media SSRC).
//! Arrival time offsets are in 1/1024 s before the report timestamp (NTP middle 32 bits).

use super::put_u32;
use crate::bytes::{slice, u16_at, u32_at};
use rtcscope_wire::{Error, Field, Layer, Result};

/// An RFC 8888 feedback view (from the first stream block to the report timestamp).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ccfb<'a> {
    buf: &'a [u8],
    base: usize,
}

impl<'a> Ccfb<'a> {
    /// Checks that the report timestamp fits; stream blocks are checked as iterated.
    #[inline]
    pub fn new_checked(buf: &'a [u8], base: usize) -> Result<Self> {
        if buf.len() < 4 {
            return Err(Error::truncated(
                Layer::Rtcp,
                base,
                "CCFB report timestamp",
                4,
                buf.len(),
            ));
        }
        Ok(Ccfb { buf, base })
    }
    /// The report timestamp (middle 32 bits of NTP).
    #[inline]
    pub fn report_timestamp(&self) -> u32 {
        u32_at(self.buf, self.buf.len() - 4)
    }
    /// Range of the report timestamp.
    #[inline]
    pub fn report_timestamp_range(&self) -> Field {
        self.base + self.buf.len() - 4..self.base + self.buf.len()
    }
    /// The per-stream blocks (lax).
    #[inline]
    pub fn streams(&self) -> CcfbStreams<'a> {
        CcfbStreams {
            buf: slice(self.buf, 0..self.buf.len() - 4),
            base: self.base,
            pos: 0,
            done: false,
        }
    }
}

/// One stream's block in an RFC 8888 report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CcfbStream<'a> {
    /// SSRC of the RTP stream.
    pub ssrc: u32,
    /// First sequence number reported.
    pub begin_seq: u16,
    /// Number of metric blocks.
    pub num_reports: u16,
    metrics: &'a [u8],
    /// Range of the block (including padding).
    pub range: Field,
}

/// One packet's metric block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CcfbMetric {
    /// Sequence number (begin_seq + index).
    pub sequence: u16,
    /// R: received.
    pub received: bool,
    /// ECN bits.
    pub ecn: u8,
    /// Arrival time offset (13 bits, 1/1024 s; 0x1FFF = over-range).
    pub arrival_time_offset: u16,
}

impl<'a> CcfbStream<'a> {
    /// The metric blocks.
    #[inline]
    pub fn reports(&self) -> impl Iterator<Item = CcfbMetric> + 'a {
        let begin = self.begin_seq;
        self.metrics.chunks_exact(2).enumerate().map(move |(i, m)| {
            let v = u16_at(m, 0);
            CcfbMetric {
                sequence: begin.wrapping_add(i as u16),
                received: v & 0x8000 != 0,
                ecn: ((v >> 13) & 3) as u8,
                arrival_time_offset: v & 0x1fff,
            }
        })
    }
    /// The raw 16-bit metric blocks.
    #[inline]
    pub fn raw_reports(&self) -> impl Iterator<Item = u16> + 'a {
        self.metrics.chunks_exact(2).map(|m| u16_at(m, 0))
    }
}

/// Lax iterator over RFC 8888 stream blocks.
#[derive(Clone, Debug)]
pub struct CcfbStreams<'a> {
    buf: &'a [u8],
    base: usize,
    pos: usize,
    done: bool,
}

impl<'a> Iterator for CcfbStreams<'a> {
    type Item = Result<CcfbStream<'a>>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.buf.len() {
            return None;
        }
        let at = self.pos;
        let avail = self.buf.len() - at;
        if avail < 8 {
            self.done = true;
            return Some(Err(Error::truncated(
                Layer::Rtcp,
                self.base + at,
                "CCFB stream header",
                8,
                avail,
            )));
        }
        let n = usize::from(u16_at(self.buf, at + 6));
        let len = 8 + rtcscope_wire::pad4(2 * n);
        if len > avail {
            self.done = true;
            return Some(Err(Error::truncated(
                Layer::Rtcp,
                self.base + at + 8,
                "CCFB metric blocks (num_reports)",
                len - 8,
                avail - 8,
            )));
        }
        // Progress: a stream block is at least its 8-byte header, even with no metric blocks.
        self.pos += len;
        debug_assert!(
            self.pos >= at + 8,
            "CcfbStreams::next did not advance past a stream header"
        );
        Some(Ok(CcfbStream {
            ssrc: u32_at(self.buf, at),
            begin_seq: u16_at(self.buf, at + 4),
            num_reports: n as u16,
            metrics: slice(self.buf, at + 8..at + 8 + 2 * n),
            range: self.base + at..self.base + at + len,
        }))
    }
}

/// An owned RFC 8888 stream block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CcfbStreamRepr {
    /// SSRC.
    pub ssrc: u32,
    /// begin_seq.
    pub begin_seq: u16,
    /// Raw metric blocks (`R|ECN|ATO`).
    pub metrics: Vec<u16>,
}

/// An owned RFC 8888 feedback packet body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CcfbRepr {
    /// SSRC of the RTCP packet sender.
    pub sender_ssrc: u32,
    /// Stream blocks.
    pub streams: Vec<CcfbStreamRepr>,
    /// Report timestamp.
    pub report_timestamp: u32,
}

impl CcfbRepr {
    /// Parses every block.
    pub fn parse(sender_ssrc: u32, v: &Ccfb<'_>) -> Result<Self> {
        let mut streams = Vec::new();
        for s in v.streams() {
            let s = s?;
            streams.push(CcfbStreamRepr {
                ssrc: s.ssrc,
                begin_seq: s.begin_seq,
                metrics: s.raw_reports().collect(),
            });
        }
        Ok(CcfbRepr {
            sender_ssrc,
            streams,
            report_timestamp: v.report_timestamp(),
        })
    }
    /// Appends the body (sender SSRC onwards).
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        put_u32(out, self.sender_ssrc);
        for s in &self.streams {
            if s.metrics.len() > usize::from(u16::MAX) {
                return Err(super::bad_emit(
                    "CCFB num_reports",
                    "at most 65535",
                    s.metrics.len() as u64,
                ));
            }
            put_u32(out, s.ssrc);
            out.extend_from_slice(&s.begin_seq.to_be_bytes());
            out.extend_from_slice(&(s.metrics.len() as u16).to_be_bytes());
            for m in &s.metrics {
                out.extend_from_slice(&m.to_be_bytes());
            }
            if s.metrics.len() % 2 == 1 {
                out.extend_from_slice(&[0, 0]);
            }
        }
        put_u32(out, self.report_timestamp);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_stream() {
        // RFC 8888 §3.1 layout: stream 0x1234, begin 100, 3 reports (received ECT(0) ATO 5,
        // lost, received CE ATO 0x1fff), padding, report timestamp 0xabcdef01.
        let b = [
            0, 0, 0x12, 0x34, 0, 100, 0, 3, 0xa0, 5, 0, 0, 0xff, 0xff, 0, 0, 0xab, 0xcd, 0xef, 1,
        ];
        let c = Ccfb::new_checked(&b, 8).unwrap();
        assert_eq!(c.report_timestamp(), 0xabcdef01);
        let s: Vec<_> = c.streams().map(Result::unwrap).collect();
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].ssrc, s[0].begin_seq, s[0].range.clone()),
            (0x1234, 100, 8..24)
        );
        let m: Vec<_> = s[0].reports().collect();
        assert_eq!(
            (
                m[0].received,
                m[0].ecn,
                m[0].arrival_time_offset,
                m[0].sequence
            ),
            (true, 1, 5, 100)
        );
        assert!(!m[1].received);
        assert_eq!((m[2].ecn, m[2].arrival_time_offset), (3, 0x1fff));
        let r = CcfbRepr::parse(7, &c).unwrap();
        let mut out = Vec::new();
        r.emit(&mut out).unwrap();
        assert_eq!(out[4..], b);
        // num_reports overrunning the packet is located at the metrics.
        let e = Ccfb::new_checked(&b[..16], 8)
            .unwrap()
            .streams()
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.offset, 16);
    }
}
