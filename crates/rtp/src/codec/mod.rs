//! Video payload formats: the RTP payload descriptors of VP8, VP9, H.264 and AV1, and the few
//! bits of each codec's own bitstream that say "key frame" and "this big".
//!
//! Each module parses one payload format into a borrowed view (no allocation, no `unsafe`, no
//! panic on any input; every loop consumes input or ends):
//!
//! * [`vp8`]: RFC 7741 §4.2 payload descriptor and the VP8 payload header (RFC 6386 §9.1):
//!   key frames, and on a key frame the width, height and scaling of its 10-byte header.
//! * [`vp9`]: RFC 9628 §4.2 payload descriptor with its scalability structure (the resolution
//!   of each spatial layer), and the VP9 uncompressed header (VP9 bitstream specification
//!   §6.2) of a key frame for its frame size.
//! * [`h264`]: RFC 6184 packetisation (single NAL unit, STAP-A, FU-A; the others are named),
//!   IDR slices (NAL type 5) and the sequence parameter set's picture size (ITU-T H.264
//!   §7.3.2.1.1, with frame cropping, field coding and emulation-prevention bytes).
//! * [`av1`]: the AV1 RTP payload format's aggregation header (Z, Y, W, N) and OBU elements,
//!   and the sequence header OBU's maximum frame size (AV1 specification §5.5).
//!
//! [`frame_info`] runs the right one and returns what a frame tracker needs from one packet:
//! whether it begins a frame, whether the frame is a key frame, and a resolution when the
//! packet carries one.

pub mod av1;
pub mod h264;
pub mod vp8;
pub mod vp9;

use rtcscope_wire::{Error, Layer, Result};

/// A video codec whose RTP payload format this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VideoCodec {
    /// VP8 (RFC 7741).
    Vp8,
    /// VP9 (RFC 9628).
    Vp9,
    /// H.264 (RFC 6184).
    H264,
    /// AV1 (AOM's "RTP Payload Format For AV1").
    Av1,
}

impl VideoCodec {
    /// The codec an SDP `a=rtpmap` encoding name stands for (case-insensitive), if this crate
    /// reads its payloads.
    pub fn from_encoding_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("VP8") {
            Some(VideoCodec::Vp8)
        } else if name.eq_ignore_ascii_case("VP9") {
            Some(VideoCodec::Vp9)
        } else if name.eq_ignore_ascii_case("H264") {
            Some(VideoCodec::H264)
        } else if name.eq_ignore_ascii_case("AV1") || name.eq_ignore_ascii_case("AV1X") {
            Some(VideoCodec::Av1)
        } else {
            None
        }
    }

    /// The usual encoding name.
    pub const fn name(self) -> &'static str {
        match self {
            VideoCodec::Vp8 => "VP8",
            VideoCodec::Vp9 => "VP9",
            VideoCodec::H264 => "H264",
            VideoCodec::Av1 => "AV1",
        }
    }
}

/// A frame size in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Resolution {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl core::fmt::Display for Resolution {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}×{}", self.width, self.height)
    }
}

/// What one RTP payload says about the video frame it belongs to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameInfo {
    /// The payload begins a frame (VP8 S=1 and partition 0, VP9 B=1, an AV1 packet that does
    /// not continue an OBU, an H.264 payload that does not continue a fragmented NAL unit).
    pub starts_frame: bool,
    /// The payload shows its frame is a key frame (VP8 key frame bit, VP9 non-predicted base
    /// layer, H.264 IDR slice, AV1 N bit). `false` also when this packet cannot tell (a
    /// continuation); the first packet of a frame tells.
    pub key_frame: bool,
    /// A frame size carried by this payload (VP8 key frame header, VP9 scalability structure or
    /// key frame header, H.264 SPS, AV1 sequence header).
    pub resolution: Option<Resolution>,
}

/// Reads one RTP payload of `codec` for what it says about its frame.
pub fn frame_info(codec: VideoCodec, payload: &[u8]) -> Result<FrameInfo> {
    match codec {
        VideoCodec::Vp8 => vp8::Vp8Payload::parse(payload).map(|p| p.frame_info()),
        VideoCodec::Vp9 => vp9::Vp9Payload::parse(payload).map(|p| p.frame_info()),
        VideoCodec::H264 => h264::H264Payload::parse(payload).map(|p| p.frame_info()),
        VideoCodec::Av1 => av1::Av1Payload::parse(payload).map(|p| p.frame_info()),
    }
}

/// RFC 2198 §3: the primary block of a RED payload: the payload type of the last block header
/// (F bit clear) and its data, which follows every header and the redundant blocks (whose
/// 10-bit lengths the 4-byte headers give). `None` when the headers or lengths run past the
/// payload.
///
/// ```text
///  |F|  block PT  |  timestamp offset (14)  |  block length (10)  |   F=1: 4 bytes
///  |0|  block PT  |                                                 F=0: 1 byte, the last
/// ```
pub fn red_primary(payload: &[u8]) -> Option<(u8, &[u8])> {
    let mut at = 0usize;
    let mut redundant = 0usize;
    loop {
        let b = *payload.get(at)?;
        if b & 0x80 == 0 {
            let data = payload.get(at + 1..)?;
            return Some((b & 0x7f, data.get(redundant..)?));
        }
        let h = payload.get(at..at + 4)?;
        redundant += usize::from(u16::from_be_bytes([h[2], h[3]]) & 0x03ff);
        at += 4;
    }
}

/// An MSB-first bit reader over borrowed bytes, optionally dropping H.264/H.265
/// emulation-prevention bytes (a 0x03 after two zero bytes) as it goes, so an RBSP is read in
/// place without copying. Every read is bounded; past the end it returns an error.
#[derive(Clone, Debug)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Next byte to load.
    pos: usize,
    /// Bits of `cur` not read yet (0..=8).
    left: u8,
    cur: u8,
    /// Zero bytes in a row just loaded (for emulation prevention).
    zeros: u8,
    rbsp: bool,
    field_base: usize,
}

impl<'a> BitReader<'a> {
    /// Bits of `data`, read as they are.
    pub(crate) fn new(data: &'a [u8], base: usize) -> Self {
        BitReader {
            data,
            pos: 0,
            left: 0,
            cur: 0,
            zeros: 0,
            rbsp: false,
            field_base: base,
        }
    }

    /// Bits of a NAL unit payload with its emulation-prevention bytes dropped.
    pub(crate) fn rbsp(data: &'a [u8], base: usize) -> Self {
        BitReader {
            rbsp: true,
            ..Self::new(data, base)
        }
    }

    fn load(&mut self, field: &'static str) -> Result<()> {
        if self.rbsp && self.zeros >= 2 && self.data.get(self.pos) == Some(&3) {
            self.pos += 1;
            self.zeros = 0;
        }
        let Some(&b) = self.data.get(self.pos) else {
            return Err(Error::truncated(
                Layer::Rtp,
                self.field_base + self.pos,
                field,
                1,
                0,
            ));
        };
        self.pos += 1;
        self.zeros = if b == 0 {
            self.zeros.saturating_add(1)
        } else {
            0
        };
        self.cur = b;
        self.left = 8;
        Ok(())
    }

    /// One bit.
    pub(crate) fn bit(&mut self, field: &'static str) -> Result<bool> {
        if self.left == 0 {
            self.load(field)?;
        }
        self.left -= 1;
        Ok((self.cur >> self.left) & 1 == 1)
    }

    /// `n` bits (at most 32), most significant first.
    pub(crate) fn bits(&mut self, n: u8, field: &'static str) -> Result<u32> {
        let mut v: u32 = 0;
        for _ in 0..n.min(32) {
            v = (v << 1) | u32::from(self.bit(field)?);
        }
        Ok(v)
    }

    /// Unsigned exp-Golomb `ue(v)` (H.264 §9.1), up to 32 leading zeros.
    pub(crate) fn ue(&mut self, field: &'static str) -> Result<u32> {
        let mut zeros = 0u8;
        while !self.bit(field)? {
            zeros += 1;
            if zeros > 31 {
                return Err(Error::bad_value(
                    Layer::Rtp,
                    self.offset(),
                    field,
                    "an exp-Golomb code of at most 31 leading zeros",
                    u64::from(zeros),
                ));
            }
        }
        let rest = self.bits(zeros, field)?;
        // (1 << zeros) - 1 + rest, which fits u32 for zeros <= 31.
        Ok(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }

    /// Signed exp-Golomb `se(v)` (H.264 §9.1.1).
    pub(crate) fn se(&mut self, field: &'static str) -> Result<i64> {
        let k = i64::from(self.ue(field)?);
        Ok(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }

    /// AV1's `uvlc()` (AV1 §4.10.3): like `ue(v)`, 32 or more leading zeros mean 2^32 − 1.
    pub(crate) fn uvlc(&mut self, field: &'static str) -> Result<u32> {
        let mut zeros = 0u8;
        while !self.bit(field)? {
            zeros += 1;
            if zeros >= 32 {
                return Ok(u32::MAX);
            }
        }
        let rest = self.bits(zeros, field)?;
        Ok(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }

    /// The offset of the byte being read, from the base given at construction.
    pub(crate) fn offset(&self) -> usize {
        self.field_base + self.pos.saturating_sub(usize::from(self.left > 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb_codes_of_h264_table_9_2() {
        // 1 → 0; 010 → 1; 011 → 2; 00100 → 3; 00111 → 6; then se of 010 → +1, 011 → −1:
        // `1010011 00100 00111 010011` packed as a6 43 a6.
        let bits = [0xa6, 0x43, 0xa6];
        let mut r = BitReader::new(&bits, 0);
        assert_eq!(r.ue("a").unwrap(), 0);
        assert_eq!(r.ue("b").unwrap(), 1);
        assert_eq!(r.ue("c").unwrap(), 2);
        assert_eq!(r.ue("d").unwrap(), 3);
        assert_eq!(r.ue("e").unwrap(), 6);
        assert_eq!(r.se("f").unwrap(), 1);
        assert_eq!(r.se("g").unwrap(), -1);
        assert!(r.bits(8, "past the end").is_err());
    }

    #[test]
    fn rbsp_drops_emulation_prevention_bytes_only_after_two_zeros() {
        // 00 00 03 01 reads as 00 00 01; a 03 after one zero stays.
        let mut r = BitReader::rbsp(&[0, 0, 3, 1, 0, 3], 0);
        assert_eq!(r.bits(24, "x").unwrap(), 1);
        assert_eq!(r.bits(16, "y").unwrap(), 3);
        assert!(r.bit("end").is_err());
    }

    #[test]
    fn a_run_of_zeros_longer_than_32_bits_is_an_error_not_a_loop() {
        let zeros = [0u8; 8];
        assert!(BitReader::new(&zeros, 0).ue("x").is_err());
        assert_eq!(BitReader::new(&zeros, 0).uvlc("x").unwrap(), u32::MAX);
    }

    #[test]
    fn red_primary_block() {
        // One redundant block (pt 120, ts offset, length 2) and the primary (pt 120).
        let p = [0xf8, 0x00, 0x04, 0x02, 0x78, 0xaa, 0xbb, 0x10, 0x31];
        assert_eq!(red_primary(&p), Some((120, &[0x10, 0x31][..])));
        assert_eq!(red_primary(&[0x78, 0x10]), Some((120, &[0x10][..])));
        assert_eq!(red_primary(&[0xf8, 0x00, 0x04, 0x09, 0x78]), None);
        assert_eq!(red_primary(&[0xf8, 0x00]), None);
    }

    #[test]
    fn encoding_names() {
        assert_eq!(VideoCodec::from_encoding_name("vp8"), Some(VideoCodec::Vp8));
        assert_eq!(
            VideoCodec::from_encoding_name("H264"),
            Some(VideoCodec::H264)
        );
        assert_eq!(VideoCodec::from_encoding_name("opus"), None);
    }
}
