//! AV1 RTP payloads (AOM "RTP Payload Format For AV1", v1.0.0, §4.4–4.5): the aggregation
//! header and the OBU elements after it, and the maximum frame size of a sequence header OBU
//! (AV1 bitstream specification §5.5).
//!
//! ```text
//!   0 1 2 3 4 5 6 7
//!  +-+-+-+-+-+-+-+-+
//!  |Z|Y| W |N|-|-|-|   aggregation header
//!  +-+-+-+-+-+-+-+-+
//!  Z: the first OBU element continues an OBU of the previous packet
//!  Y: the last OBU element continues in the next packet
//!  W: the number of OBU elements (1-3; the last has no length field), 0 = every element
//!     carries a LEB128 length
//!  N: the first packet of a coded video sequence (a key frame starts here)
//!
//!  OBU header: |F|type(4)|X|S|R|  and, with X, |tid(3)|sid(2)|-(3)|
//! ```
//!
//! A key frame is told by N. The size is the sequence header's `max_frame_width_minus_1 + 1`
//! × `max_frame_height_minus_1 + 1`: the largest frame the sequence may hold, which is the frame
//! size unless the encoder overrides it per frame (`frame_size_override_flag`) or scales
//! spatial layers below it. Reading the frame header for the exact size would need the whole
//! sequence header state and most of the frame header; it is not done, so an AV1 resolution
//! here is the sequence's maximum.

use super::{BitReader, FrameInfo, Resolution};
use rtcscope_wire::{Error, Layer, Reader, Result};

/// OBU type of a sequence header.
pub const OBU_SEQUENCE_HEADER: u8 = 1;
/// OBU type of a temporal delimiter.
pub const OBU_TEMPORAL_DELIMITER: u8 = 2;
/// OBU type of a frame header.
pub const OBU_FRAME_HEADER: u8 = 3;
/// OBU type of a frame (header and tile group).
pub const OBU_FRAME: u8 = 6;

/// OBU elements looked at per packet; a packet is walked to its end regardless.
const MAX_LOOKED_AT: usize = 64;

/// The aggregation header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AggregationHeader {
    /// Z: the first element continues an OBU from the previous packet.
    pub continues: bool,
    /// Y: the last element continues in the next packet.
    pub will_continue: bool,
    /// W: element count (0 = all length-prefixed).
    pub w: u8,
    /// N: the first packet of a coded video sequence.
    pub new_sequence: bool,
}

/// One AV1 RTP payload, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Av1Payload<'a> {
    /// The aggregation header.
    pub header: AggregationHeader,
    /// OBU elements in the packet.
    pub elements: u16,
    /// The OBU type of the first element that starts an OBU here (not a continuation).
    pub first_obu_type: Option<u8>,
    /// A whole sequence header OBU in this packet, and what it says when it reads.
    pub sequence_header: Option<core::result::Result<SequenceSize, Error>>,
    /// The bytes after the aggregation header.
    pub data: &'a [u8],
}

/// What a sequence header says about frame sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SequenceSize {
    /// seq_profile.
    pub profile: u8,
    /// max_frame_width_minus_1 + 1 × max_frame_height_minus_1 + 1.
    pub max_resolution: Resolution,
}

/// Reads a LEB128 value of at most 8 bytes (AV1 §4.10.5).
fn leb128(r: &mut Reader<'_>, field: &'static str) -> Result<u64> {
    let mut v = 0u64;
    for i in 0..8 {
        let b = r.u8(field)?;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(r.bad_value_at(1, field, "a LEB128 value of at most 8 bytes", 8))
}

impl<'a> Av1Payload<'a> {
    /// Parses a payload. Errors when the aggregation header is missing or its reserved bits are
    /// set, an element length runs past the end, an element is empty, or W names more elements
    /// than there are bytes for.
    pub fn parse(payload: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(payload, Layer::Rtp);
        let h = r.u8("AV1 aggregation header")?;
        let header = AggregationHeader {
            continues: h & 0x80 != 0,
            will_continue: h & 0x40 != 0,
            w: (h >> 4) & 3,
            new_sequence: h & 0x08 != 0,
        };
        let mut p = Av1Payload {
            header,
            elements: 0,
            first_obu_type: None,
            sequence_header: None,
            data: r.rest(),
        };
        if r.is_empty() {
            return Err(Error::truncated(Layer::Rtp, 1, "AV1 OBU element", 1, 0));
        }
        let mut index = 0usize;
        while !r.is_empty() {
            let last_by_w = header.w != 0 && index + 1 == usize::from(header.w);
            let (at, element) = if last_by_w {
                (r.position(), r.take_rest())
            } else {
                let len = leb128(&mut r, "AV1 OBU element length")?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                let at = r.position();
                (at, r.bytes(len, "AV1 OBU element")?)
            };
            if element.is_empty() {
                return Err(Error::bad_length(
                    Layer::Rtp,
                    at,
                    "AV1 OBU element",
                    "a non-empty element",
                    0,
                ));
            }
            let continuation = index == 0 && header.continues;
            let continued = r.is_empty() && header.will_continue;
            if !continuation && index < MAX_LOOKED_AT {
                let obu_type = (element[0] >> 3) & 0x0f;
                p.first_obu_type.get_or_insert(obu_type);
                if obu_type == OBU_SEQUENCE_HEADER && !continued && p.sequence_header.is_none() {
                    p.sequence_header = Some(sequence_header_obu(element, at));
                }
            }
            index += 1;
            if header.w != 0 && index > usize::from(header.w) {
                return Err(Error::bad_value(
                    Layer::Rtp,
                    at,
                    "AV1 OBU elements",
                    "as many as W says",
                    index as u64,
                ));
            }
        }
        p.elements = u16::try_from(index).unwrap_or(u16::MAX);
        Ok(p)
    }

    /// What this packet says about its frame.
    pub fn frame_info(&self) -> FrameInfo {
        FrameInfo {
            starts_frame: !self.header.continues,
            key_frame: self.header.new_sequence,
            resolution: match self.sequence_header {
                Some(Ok(s)) => Some(s.max_resolution),
                _ => None,
            },
        }
    }
}

/// Reads a whole sequence header OBU (its OBU header, an optional size field, the payload) up
/// to the maximum frame size. `base` locates errors.
pub fn sequence_header_obu(obu: &[u8], base: usize) -> Result<SequenceSize> {
    let mut r = Reader::with_base(obu, base, Layer::Rtp);
    let h = r.u8("AV1 OBU header")?;
    if h & 0x80 != 0 {
        return Err(r.bad_value_at(1, "AV1 obu_forbidden_bit", "0", 1));
    }
    if h & 0x04 != 0 {
        r.u8("AV1 OBU extension header")?;
    }
    if h & 0x02 != 0 {
        let len = leb128(&mut r, "AV1 obu_size")?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        r = r.sub(len, "AV1 OBU payload")?;
    }
    let mut b = BitReader::new(r.rest(), r.offset());
    let profile = b.bits(3, "AV1 seq_profile")? as u8;
    b.bit("AV1 still_picture")?;
    let reduced = b.bit("AV1 reduced_still_picture_header")?;
    if reduced {
        b.bits(5, "AV1 seq_level_idx")?;
    } else {
        let mut decoder_model = false;
        let mut buffer_delay_bits = 0u8;
        if b.bit("AV1 timing_info_present_flag")? {
            b.bits(32, "AV1 num_units_in_display_tick")?;
            b.bits(32, "AV1 time_scale")?;
            if b.bit("AV1 equal_picture_interval")? {
                b.uvlc("AV1 num_ticks_per_picture_minus_1")?;
            }
            decoder_model = b.bit("AV1 decoder_model_info_present_flag")?;
            if decoder_model {
                buffer_delay_bits = b.bits(5, "AV1 buffer_delay_length_minus_1")? as u8 + 1;
                b.bits(32, "AV1 num_units_in_decoding_tick")?;
                b.bits(5, "AV1 buffer_removal_time_length_minus_1")?;
                b.bits(5, "AV1 frame_presentation_time_length_minus_1")?;
            }
        }
        let initial_display_delay = b.bit("AV1 initial_display_delay_present_flag")?;
        let points = b.bits(5, "AV1 operating_points_cnt_minus_1")? + 1;
        for _ in 0..points {
            b.bits(12, "AV1 operating_point_idc")?;
            let level = b.bits(5, "AV1 seq_level_idx")?;
            if level > 7 {
                b.bit("AV1 seq_tier")?;
            }
            if decoder_model && b.bit("AV1 decoder_model_present_for_this_op")? {
                b.bits(buffer_delay_bits, "AV1 decoder_buffer_delay")?;
                b.bits(buffer_delay_bits, "AV1 encoder_buffer_delay")?;
                b.bit("AV1 low_delay_mode_flag")?;
            }
            if initial_display_delay && b.bit("AV1 initial_display_delay_present_for_this_op")? {
                b.bits(4, "AV1 initial_display_delay_minus_1")?;
            }
        }
    }
    let wbits = b.bits(4, "AV1 frame_width_bits_minus_1")? as u8 + 1;
    let hbits = b.bits(4, "AV1 frame_height_bits_minus_1")? as u8 + 1;
    let w = u64::from(b.bits(wbits, "AV1 max_frame_width_minus_1")?) + 1;
    let hgt = u64::from(b.bits(hbits, "AV1 max_frame_height_minus_1")?) + 1;
    Ok(SequenceSize {
        profile,
        max_resolution: Resolution {
            width: u32::try_from(w).unwrap_or(u32::MAX),
            height: u32::try_from(hgt).unwrap_or(u32::MAX),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sequence header OBU as libaom writes it for 640×480 in real time: OBU header type 1,
    /// no extension, no size field (RTP strips it) → 0x08; then seq_profile 0 (`000`),
    /// still 0, reduced 0, timing_info 0, initial_display_delay 0, operating points 1
    /// (`00000`), operating_point_idc 0 (12 bits), seq_level_idx 8 (`01000`) → tier bit 0,
    /// frame_width_bits_minus_1 9 (`1001`), frame_height_bits_minus_1 8 (`1000`),
    /// max_frame_width_minus_1 639 (10 bits `1001111111`), max_frame_height_minus_1 479
    /// (9 bits `111011111`), then the rest of the header (not read) as zeros.
    fn sequence_header() -> Vec<u8> {
        let bits = "000".to_owned()
            + "0"
            + "0"
            + "0"
            + "0"
            + "00000"
            + "000000000000"
            + "01000"
            + "0"
            + "1001"
            + "1000"
            + "1001111111"
            + "111011111";
        let mut v = vec![0x08];
        let mut byte = 0u8;
        let mut n = 0;
        for c in bits.chars() {
            byte = (byte << 1) | u8::from(c == '1');
            n += 1;
            if n == 8 {
                v.push(byte);
                byte = 0;
                n = 0;
            }
        }
        v.push(byte << (8 - n));
        v.extend_from_slice(&[0, 0]);
        v
    }

    #[test]
    fn a_new_sequence_with_its_sequence_header() {
        // Z=0 Y=0 W=2 N=1 → 0x28; element 1 with a LEB128 length: the sequence header; element
        // 2 (last, no length): a frame OBU header (type 6 → 0x30) and a byte.
        let sh = sequence_header();
        let mut b = vec![0x28, sh.len() as u8];
        b.extend_from_slice(&sh);
        b.extend_from_slice(&[0x30, 0x10]);
        let p = Av1Payload::parse(&b).unwrap();
        assert!(p.header.new_sequence && !p.header.continues);
        assert_eq!(p.elements, 2);
        assert_eq!(p.first_obu_type, Some(OBU_SEQUENCE_HEADER));
        let f = p.frame_info();
        assert!(f.starts_frame && f.key_frame);
        assert_eq!(
            f.resolution,
            Some(Resolution {
                width: 640,
                height: 480
            })
        );
    }

    #[test]
    fn continuations_and_length_prefixed_elements() {
        // Z=1 Y=1 W=0 → 0xc0; two length-prefixed elements: the first continues an OBU from
        // the last packet (not looked at), the second starts a frame OBU and continues.
        let b = [0xc0, 0x02, 0xaa, 0xbb, 0x02, 0x30, 0x11];
        let p = Av1Payload::parse(&b).unwrap();
        assert_eq!(p.elements, 2);
        assert_eq!(p.first_obu_type, Some(OBU_FRAME));
        let f = p.frame_info();
        assert!(!f.starts_frame && !f.key_frame && f.resolution.is_none());
        // A length past the end and an empty element are errors; so is a LEB128 of 9 bytes.
        assert!(Av1Payload::parse(&[0x00, 0x05, 0x30]).is_err());
        assert!(Av1Payload::parse(&[0x00, 0x00]).is_err());
        assert!(
            Av1Payload::parse(&[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
                .is_err()
        );
    }

    #[test]
    fn a_sequence_header_that_continues_is_not_read() {
        // Y=1 W=1 N=1: the only element is a sequence header cut by the packet boundary.
        let sh = sequence_header();
        let mut b = vec![0x58];
        b.extend_from_slice(&sh[..3]);
        let p = Av1Payload::parse(&b).unwrap();
        assert_eq!(p.sequence_header, None);
        assert!(p.frame_info().key_frame);
    }

    #[test]
    fn every_prefix_parses_or_errors() {
        let sh = sequence_header();
        // W=1: one element without a length, so every prefix past the header is a packet.
        let mut b = vec![0x18];
        b.extend_from_slice(&sh);
        for n in 0..=b.len() {
            let r = Av1Payload::parse(&b[..n]);
            assert_eq!(r.is_ok(), n >= 2, "{n}");
            if let Ok(p) = r {
                // The fields up to the maximum height are 57 bits: 8 bytes after the OBU
                // header, which is the packet's second byte; so the size reads from 10 bytes.
                let whole = matches!(p.sequence_header, Some(Ok(_)));
                assert_eq!(whole, n >= 10, "{n}");
            }
        }
    }
}
