//! H.264 RTP payloads (RFC 6184 §5.6–5.8): single NAL unit packets, STAP-A aggregates and
//! FU-A fragments are read; STAP-B, MTAP16/24 and FU-B (interleaved mode, which WebRTC never
//! negotiates) are named but not walked. IDR slices (NAL unit type 5) mark key frames; a
//! sequence parameter set (type 7) gives the picture size (ITU-T H.264 §7.3.2.1.1 and the
//! cropping rectangle of §7.4.2.1.1), read in place with emulation-prevention bytes skipped.
//!
//! ```text
//!  NAL unit header / payload header:   FU-A (type 28):
//!  +-+-+-+-+-+-+-+-+                   +---------------+---------------+
//!  |F|NRI|  Type   |                   | FU indicator  |S|E|R|  Type   |  fragment ...
//!  +-+-+-+-+-+-+-+-+                   +---------------+---------------+
//!
//!  STAP-A (type 24): header, then (16-bit NAL unit size, NAL unit) repeated.
//! ```

use super::{BitReader, FrameInfo, Resolution};
use rtcscope_wire::{Error, Layer, Reader, Result};

/// NAL unit type of a coded slice of an IDR picture.
pub const NAL_IDR: u8 = 5;
/// NAL unit type of a sequence parameter set.
pub const NAL_SPS: u8 = 7;
/// NAL unit type of a picture parameter set.
pub const NAL_PPS: u8 = 8;
/// Packetisation type STAP-A.
pub const STAP_A: u8 = 24;
/// Packetisation type FU-A.
pub const FU_A: u8 = 28;

/// NAL units of an aggregate looked at for key frames and sizes; beyond this a packet is only
/// walked for its structure.
const MAX_LOOKED_AT: usize = 64;

/// How the payload packs NAL units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packetization {
    /// One whole NAL unit (types 1–23).
    Single,
    /// STAP-A: whole NAL units, each with a 16-bit size.
    StapA {
        /// How many.
        units: u16,
    },
    /// A fragment of one NAL unit.
    FuA {
        /// S: the first fragment.
        start: bool,
        /// E: the last fragment.
        end: bool,
    },
    /// STAP-B, MTAP16, MTAP24 or FU-B (interleaved mode): the type, not walked.
    Interleaved(u8),
}

/// A sequence parameter set's picture size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpsSize {
    /// profile_idc.
    pub profile_idc: u8,
    /// level_idc.
    pub level_idc: u8,
    /// The decoded picture size after cropping.
    pub resolution: Resolution,
    /// frame_mbs_only_flag (false: the stream may code fields).
    pub frame_mbs_only: bool,
}

/// One H.264 RTP payload, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct H264Payload<'a> {
    /// The payload header's type (1–23 a NAL unit type, 24–29 a packetisation).
    pub packet_type: u8,
    /// NRI of the payload header.
    pub nri: u8,
    /// How NAL units are packed.
    pub packetization: Packetization,
    /// The NAL unit type inside a FU-A, or of a single NAL unit; for STAP-A the first unit's.
    pub nal_type: u8,
    /// An IDR slice is in this payload (a whole one, or a FU-A's first fragment).
    pub idr: bool,
    /// An SPS is in this payload, and what it says when it reads.
    pub sps: Option<core::result::Result<SpsSize, Error>>,
    /// The bytes after the payload header.
    pub data: &'a [u8],
}

impl<'a> H264Payload<'a> {
    /// Parses a payload. Errors when it is empty, F is set, a FU-A header or a STAP-A unit size
    /// runs past the end, or a STAP-A unit is empty. An SPS that does not read leaves the
    /// packet readable, with the SPS's error in [`H264Payload::sps`].
    pub fn parse(payload: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(payload, Layer::Rtp);
        let h = r.u8("H.264 payload header")?;
        if h & 0x80 != 0 {
            return Err(r.bad_value_at(1, "H.264 forbidden_zero_bit", "0", 1));
        }
        let t = h & 0x1f;
        let mut p = H264Payload {
            packet_type: t,
            nri: (h >> 5) & 3,
            packetization: Packetization::Single,
            nal_type: t,
            idr: false,
            sps: None,
            data: r.rest(),
        };
        match t {
            0 | 30 | 31 => {
                return Err(r.bad_value_at(
                    1,
                    "H.264 payload type",
                    "a NAL unit type 1-23 or packetisation 24-29",
                    u64::from(t),
                ));
            }
            1..=23 => p.look_at(t, payload, 1),
            STAP_A => {
                let mut units = 0u16;
                while !r.is_empty() {
                    let size = usize::from(r.u16("STAP-A NAL unit size")?);
                    if size == 0 {
                        return Err(r.bad_value_at(
                            2,
                            "STAP-A NAL unit size",
                            "a non-empty NAL unit",
                            0,
                        ));
                    }
                    let at = r.position();
                    let nal = r.bytes(size, "STAP-A NAL unit")?;
                    let nt = nal.first().map_or(0, |b| b & 0x1f);
                    if units == 0 {
                        p.nal_type = nt;
                    }
                    if usize::from(units) < MAX_LOOKED_AT {
                        p.look_at(nt, nal, at + 1);
                    }
                    units = units.saturating_add(1);
                }
                if units == 0 {
                    return Err(Error::truncated(
                        Layer::Rtp,
                        1,
                        "STAP-A NAL unit size",
                        2,
                        0,
                    ));
                }
                p.packetization = Packetization::StapA { units };
            }
            FU_A => {
                let fu = r.u8("FU-A header")?;
                let (start, end) = (fu & 0x80 != 0, fu & 0x40 != 0);
                p.nal_type = fu & 0x1f;
                p.packetization = Packetization::FuA { start, end };
                if r.is_empty() {
                    return Err(Error::truncated(Layer::Rtp, 2, "FU-A payload", 1, 0));
                }
                if start {
                    // The first fragment carries the start of the NAL unit's payload.
                    p.look_at(p.nal_type, r.rest(), 2);
                }
            }
            _ => p.packetization = Packetization::Interleaved(t),
        }
        Ok(p)
    }

    /// Notes an IDR slice or an SPS. `nal` is the whole NAL unit for a single or aggregated
    /// one, the fragment after the FU header for a FU-A; `payload_at` is where its NAL payload
    /// (after the one-byte header) starts within `nal`'s packet, for error offsets.
    fn look_at(&mut self, nal_type: u8, nal: &[u8], payload_at: usize) {
        match nal_type {
            NAL_IDR => self.idr = true,
            NAL_SPS if self.sps.is_none() => {
                // A FU-A fragment has no NAL header byte; a whole unit does.
                let body = if matches!(self.packet_type, FU_A) {
                    nal
                } else {
                    nal.get(1..).unwrap_or(&[])
                };
                self.sps = Some(parse_sps(body, payload_at));
            }
            _ => {}
        }
    }

    /// What this packet says about its frame. Every H.264 payload but a FU-A continuation
    /// starts a NAL unit; a frame's first packet is told by its new RTP timestamp.
    pub fn frame_info(&self) -> FrameInfo {
        let resolution = match self.sps {
            Some(Ok(s)) => Some(s.resolution),
            _ => None,
        };
        FrameInfo {
            starts_frame: !matches!(
                self.packetization,
                Packetization::FuA { start: false, .. } | Packetization::Interleaved(_)
            ),
            key_frame: self.idr,
            resolution,
        }
    }
}

/// Profiles whose SPS carries chroma format, bit depth and scaling lists (H.264 §7.3.2.1.1).
fn high_profile(profile_idc: u8) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    )
}

/// Reads a sequence parameter set's RBSP (the NAL unit after its header byte, emulation
/// prevention bytes still in) up to the cropping rectangle. `base` locates errors.
pub fn parse_sps(rbsp: &[u8], base: usize) -> Result<SpsSize> {
    let mut b = BitReader::rbsp(rbsp, base);
    let profile_idc = b.bits(8, "SPS profile_idc")? as u8;
    b.bits(8, "SPS constraint flags")?;
    let level_idc = b.bits(8, "SPS level_idc")? as u8;
    b.ue("SPS seq_parameter_set_id")?;
    let mut chroma_format_idc = 1;
    let mut separate_colour_plane = false;
    if high_profile(profile_idc) {
        chroma_format_idc = b.ue("SPS chroma_format_idc")?;
        if chroma_format_idc == 3 {
            separate_colour_plane = b.bit("SPS separate_colour_plane_flag")?;
        }
        b.ue("SPS bit_depth_luma_minus8")?;
        b.ue("SPS bit_depth_chroma_minus8")?;
        b.bit("SPS qpprime_y_zero_transform_bypass_flag")?;
        if b.bit("SPS seq_scaling_matrix_present_flag")? {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if b.bit("SPS seq_scaling_list_present_flag")? {
                    scaling_list(&mut b, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    b.ue("SPS log2_max_frame_num_minus4")?;
    match b.ue("SPS pic_order_cnt_type")? {
        0 => {
            b.ue("SPS log2_max_pic_order_cnt_lsb_minus4")?;
        }
        1 => {
            b.bit("SPS delta_pic_order_always_zero_flag")?;
            b.se("SPS offset_for_non_ref_pic")?;
            b.se("SPS offset_for_top_to_bottom_field")?;
            let n = b.ue("SPS num_ref_frames_in_pic_order_cnt_cycle")?;
            if n > 255 {
                return Err(Error::bad_value(
                    Layer::Rtp,
                    b.offset(),
                    "SPS num_ref_frames_in_pic_order_cnt_cycle",
                    "at most 255",
                    u64::from(n),
                ));
            }
            for _ in 0..n {
                b.se("SPS offset_for_ref_frame")?;
            }
        }
        _ => {}
    }
    b.ue("SPS max_num_ref_frames")?;
    b.bit("SPS gaps_in_frame_num_value_allowed_flag")?;
    let width_mbs = u64::from(b.ue("SPS pic_width_in_mbs_minus1")?) + 1;
    let height_units = u64::from(b.ue("SPS pic_height_in_map_units_minus1")?) + 1;
    let frame_mbs_only = b.bit("SPS frame_mbs_only_flag")?;
    if !frame_mbs_only {
        b.bit("SPS mb_adaptive_frame_field_flag")?;
    }
    b.bit("SPS direct_8x8_inference_flag")?;
    let mut crop = [0u64; 4];
    if b.bit("SPS frame_cropping_flag")? {
        for c in &mut crop {
            *c = u64::from(b.ue("SPS frame_crop_offset")?);
        }
    }
    let field_factor = if frame_mbs_only { 1 } else { 2 };
    // Table 6-1: SubWidthC/SubHeightC; monochrome or separate planes crop in luma samples.
    let (crop_x, crop_y) = if chroma_format_idc == 0 || separate_colour_plane {
        (1, field_factor)
    } else {
        let (sw, sh) = match chroma_format_idc {
            1 => (2, 2),
            2 => (2, 1),
            _ => (1, 1),
        };
        (sw, sh * field_factor)
    };
    let width = (width_mbs * 16).saturating_sub(crop_x * (crop[0] + crop[1]));
    let height = (field_factor * height_units * 16).saturating_sub(crop_y * (crop[2] + crop[3]));
    let fits = |v: u64| u32::try_from(v).ok().filter(|v| *v > 0);
    match (fits(width), fits(height)) {
        (Some(width), Some(height)) => Ok(SpsSize {
            profile_idc,
            level_idc,
            resolution: Resolution { width, height },
            frame_mbs_only,
        }),
        _ => Err(Error::bad_value(
            Layer::Rtp,
            base,
            "SPS picture size",
            "a positive size after cropping",
            width.min(height),
        )),
    }
}

/// Skips a scaling_list() (H.264 §7.3.2.1.1.1): delta_scale values until the list is full or
/// next_scale becomes 0.
fn scaling_list(b: &mut BitReader<'_>, size: usize) -> Result<()> {
    let mut last = 8i64;
    let mut next = 8i64;
    for _ in 0..size {
        if next != 0 {
            let delta = b.se("SPS delta_scale")?;
            next = (last + delta).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sequence parameter set from str0m's tests/data/h264.pcap (libwebrtc, MIT licence;
    /// shared corpus), frame 140: constrained baseline level 3.0, 40 × 30 macroblocks, no
    /// cropping, as tshark's H.264 dissector decodes it (pic_width_in_mbs_minus1 39,
    /// pic_height_in_map_units_minus1 29, frame_cropping_flag 0): 640×480.
    const SPS_640X480: [u8; 14] = [
        0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d, 0x40, 0x50, 0x1e, 0xd0, 0x0f, 0x08, 0x84, 0x6a,
    ];

    /// The same capture's frame 1: 31 × 24 macroblocks (496×384) cropped by right 1 and
    /// bottom 7 chroma units (tshark: frame_crop_right_offset 1, frame_crop_bottom_offset 7),
    /// × 2 for 4:2:0: 494×370. Its `00 00 03`-free body still runs through the RBSP reader.
    const SPS_494X370: [u8; 16] = [
        0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d, 0x40, 0xf8, 0x63, 0xd4, 0x44, 0x03, 0xc2, 0x21, 0x1a,
        0x80,
    ];

    /// Packs a string of '0'/'1' after `head`, zero-filling the last byte.
    fn pack(head: &[u8], bits: &str) -> Vec<u8> {
        let mut v = head.to_vec();
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
        if n > 0 {
            v.push(byte << (8 - n));
        }
        v
    }

    /// The part of a hand-built SPS after seq_parameter_set_id (and, for High, the chroma
    /// fields): `1` log2_max_frame_num_minus4 0, `011` pic_order_cnt_type 2, `010`
    /// max_num_ref_frames 1, `0` gaps, pic_width_in_mbs_minus1 119 = `0000001111000`,
    /// pic_height_in_map_units_minus1 67 = `0000001000100`, `1` frame_mbs_only, `1`
    /// direct_8x8, `1` frame_cropping, offsets left 0 `1`, right 0 `1`, top 0 `1`, bottom 4
    /// `00101`, then the stop bit `1`. 120 × 68 macroblocks are 1920×1088; 4 × 2 rows
    /// cropped (4:2:0) leave 1920×1080.
    const TAIL_1080P: &str = "1011010000000011110000000001000100111111001011";

    /// Baseline (profile 66, level 40): `1` id 0, then the tail.
    fn sps_1080p() -> Vec<u8> {
        pack(&[0x67, 66, 0, 40], &("1".to_owned() + TAIL_1080P))
    }

    /// High (profile 100): `1` id 0, `010` chroma_format_idc 1, `1` `1` bit depths 8, `0`
    /// qpprime bypass, `1` scaling matrix present with list 0 present (`1`) whose first
    /// delta_scale is −8 (`000010001`: next_scale 0, so the list ends at once) and lists 1–7
    /// absent (`0000000`), then the tail.
    fn sps_high_1080p() -> Vec<u8> {
        let bits = "1".to_owned() + "010" + "1" + "1" + "0" + "1" + "1" + "000010001" + "0000000";
        pack(&[0x67, 100, 0, 40], &(bits + TAIL_1080P))
    }

    fn res(w: u32, h: u32) -> Option<Resolution> {
        Some(Resolution {
            width: w,
            height: h,
        })
    }

    #[test]
    fn sps_sizes() {
        for (nal, want) in [
            (SPS_640X480.to_vec(), res(640, 480)),
            (SPS_494X370.to_vec(), res(494, 370)),
            (sps_1080p(), res(1920, 1080)),
            (sps_high_1080p(), res(1920, 1080)),
        ] {
            let p = H264Payload::parse(&nal).unwrap();
            assert_eq!(p.packetization, Packetization::Single);
            assert_eq!(p.nal_type, NAL_SPS);
            assert_eq!(p.frame_info().resolution, want, "{nal:02x?}");
        }
        let s = parse_sps(&sps_high_1080p()[1..], 1).unwrap();
        assert_eq!(
            (s.profile_idc, s.level_idc, s.frame_mbs_only),
            (100, 40, true)
        );
        // An emulation-prevention byte is skipped: constraint flags 0 and level 0 make two zero
        // bytes, so an encoder must insert 03 before the next byte (≤ 3); the SPS reads as if
        // the 03 were not there.
        let mut epb = vec![0x67, 66, 0, 0, 3];
        epb.extend_from_slice(&pack(&[], &("1".to_owned() + TAIL_1080P)));
        assert_eq!(
            parse_sps(&epb[1..], 1).unwrap().resolution,
            res(1920, 1080).unwrap()
        );
    }

    #[test]
    fn stap_a_with_sps_pps_and_idr_is_a_key_frame_with_its_size() {
        // STAP-A header (NRI 3, type 24 = 0x78), then SPS, PPS (`68 ce 3c 80`) and the start of
        // an IDR slice (`65 88 84`), each with its 16-bit size.
        let mut b = vec![0x78, 0x00, SPS_640X480.len() as u8];
        b.extend_from_slice(&SPS_640X480);
        b.extend_from_slice(&[0x00, 0x04, 0x68, 0xce, 0x3c, 0x80]);
        b.extend_from_slice(&[0x00, 0x03, 0x65, 0x88, 0x84]);
        let p = H264Payload::parse(&b).unwrap();
        assert_eq!(p.packetization, Packetization::StapA { units: 3 });
        assert_eq!(p.nal_type, NAL_SPS);
        let f = p.frame_info();
        assert!(f.key_frame && f.starts_frame);
        assert_eq!(f.resolution, res(640, 480));
        // A unit size past the end, and a zero size, are errors.
        assert!(H264Payload::parse(&b[..b.len() - 1]).is_err());
        assert!(H264Payload::parse(&[0x78, 0x00, 0x00]).is_err());
    }

    #[test]
    fn fu_a_fragments_of_an_idr_slice() {
        // FU indicator NRI 3 type 28 (0x7c); FU header S=1 type 5 (0x85), then E=1 (0x45).
        let first = H264Payload::parse(&[0x7c, 0x85, 0x88, 0x84]).unwrap();
        assert_eq!(
            first.packetization,
            Packetization::FuA {
                start: true,
                end: false
            }
        );
        assert_eq!(first.nal_type, NAL_IDR);
        assert!(first.frame_info().key_frame && first.frame_info().starts_frame);
        let last = H264Payload::parse(&[0x7c, 0x45, 0x00]).unwrap();
        assert!(!last.frame_info().starts_frame && !last.frame_info().key_frame);
        // A non-IDR slice (type 1) starts a frame without a key.
        let p = H264Payload::parse(&[0x41, 0x9a, 0x00]).unwrap();
        assert!(p.frame_info().starts_frame && !p.frame_info().key_frame);
    }

    #[test]
    fn forbidden_bit_and_reserved_types_are_errors() {
        assert!(H264Payload::parse(&[0xe5, 0x00]).is_err());
        assert!(H264Payload::parse(&[0x60]).is_err());
        assert!(H264Payload::parse(&[0x7e]).is_err());
        assert!(matches!(
            H264Payload::parse(&[0x79, 0, 0]).unwrap().packetization,
            Packetization::Interleaved(25)
        ));
    }

    #[test]
    fn every_prefix_of_an_sps_parses_or_errors() {
        for nal in [
            SPS_640X480.to_vec(),
            SPS_494X370.to_vec(),
            sps_1080p(),
            sps_high_1080p(),
        ] {
            for n in 0..=nal.len() {
                let _ = H264Payload::parse(&nal[..n]);
                let _ = parse_sps(nal.get(1..n).unwrap_or(&[]), 1);
            }
        }
        // Cut inside the picture size fields, the SPS reports its error; the packet reads.
        let p = H264Payload::parse(&SPS_640X480[..8]).unwrap();
        assert!(matches!(p.sps, Some(Err(_))));
        assert_eq!(p.frame_info().resolution, None);
    }
}
