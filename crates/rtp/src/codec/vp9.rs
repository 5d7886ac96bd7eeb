//! VP9 RTP payloads: the payload descriptor of RFC 9628 §4.2 with its scalability structure
//! (§4.2.1), and the start of the VP9 uncompressed header (VP9 bitstream specification
//! §6.2) for a key frame's size.
//!
//! ```text
//!        0 1 2 3 4 5 6 7
//!       +-+-+-+-+-+-+-+-+
//!       |I|P|L|F|B|E|V|Z| (required)
//!       +-+-+-+-+-+-+-+-+
//!  I:   |M| PICTURE ID  | (M=1: a second byte, 15-bit picture id)
//!       +-+-+-+-+-+-+-+-+
//!  L:   | TID |U| SID |D| (layer indices)
//!       +-+-+-+-+-+-+-+-+
//!       |   TL0PICIDX   | (L and F=0: non-flexible mode only)
//!       +-+-+-+-+-+-+-+-+
//!  P,F: | P_DIFF      |N| (flexible mode: up to 3 reference indices, N = another follows)
//!       +-+-+-+-+-+-+-+-+
//!  V:   | SS .......... | (scalability structure, below)
//!       +-+-+-+-+-+-+-+-+
//!
//!  SS:  | N_S |Y|G|-|-|-|
//!  Y:   | WIDTH (16) | HEIGHT (16) |   × (N_S + 1), one per spatial layer
//!  G:   |      N_G      |
//!       | TID |U| R |-|-|  then R × P_DIFF (8)   × N_G
//! ```
//!
//! A key frame is a frame that starts (B=1) without inter-picture prediction (P=0) in the base
//! spatial layer (SID 0, or no layer indices). Its size comes from the scalability structure
//! (the largest spatial layer, which is what a receiver decodes when it gets every layer) or,
//! failing that, from the key frame's uncompressed header, which follows the descriptor in the
//! packet that starts the frame.

use super::{BitReader, FrameInfo, Resolution};
use rtcscope_wire::{Error, Layer, Reader, Result};

/// The RFC 9628 payload descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Descriptor {
    /// P: the frame is predicted from an earlier picture.
    pub inter_predicted: bool,
    /// F: flexible mode.
    pub flexible: bool,
    /// B: start of a (layer) frame.
    pub begin: bool,
    /// E: end of a (layer) frame.
    pub end: bool,
    /// Z: not a reference for upper spatial layers.
    pub not_ref_for_upper: bool,
    /// I: the picture id with its width in bits (7 or 15).
    pub picture_id: Option<(u16, u8)>,
    /// L: (TID, U, SID, D).
    pub layer: Option<LayerIndices>,
    /// TL0PICIDX (non-flexible mode with L).
    pub tl0_pic_idx: Option<u8>,
    /// Flexible mode's reference indices (P_DIFF), the first `ref_count`.
    pub p_diff: [u8; 3],
    /// How many P_DIFF values there are.
    pub ref_count: u8,
    /// Descriptor length in bytes, the scalability structure included.
    pub len: usize,
}

/// The layer indices byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayerIndices {
    /// TID: temporal layer.
    pub tid: u8,
    /// U: switching up point.
    pub switching_up: bool,
    /// SID: spatial layer.
    pub sid: u8,
    /// D: inter-layer dependency.
    pub inter_layer_dependency: bool,
}

/// The scalability structure (RFC 9628 §4.2.1), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalabilityStructure<'a> {
    /// Spatial layers (N_S + 1).
    pub spatial_layers: u8,
    /// Y: the per-layer sizes, 4 bytes per layer.
    sizes: Option<&'a [u8]>,
    /// G: the number of pictures in the group (N_G).
    pub pictures_in_group: Option<u8>,
}

impl<'a> ScalabilityStructure<'a> {
    /// Each spatial layer's size, lowest first (empty without Y).
    pub fn resolutions(&self) -> impl Iterator<Item = Resolution> + 'a {
        self.sizes
            .unwrap_or(&[])
            .chunks_exact(4)
            .map(|c| Resolution {
                width: u32::from(u16::from_be_bytes([c[0], c[1]])),
                height: u32::from(u16::from_be_bytes([c[2], c[3]])),
            })
    }
}

/// What the start of a frame's uncompressed header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UncompressedHeader {
    /// Profile 0–3.
    pub profile: u8,
    /// show_existing_frame: the packet repeats an earlier frame (nothing more is read).
    pub show_existing_frame: bool,
    /// frame_type is KEY_FRAME.
    pub key_frame: bool,
    /// show_frame.
    pub show_frame: bool,
    /// On a key frame: frame_width_minus_1 + 1 and frame_height_minus_1 + 1.
    pub size: Option<Resolution>,
}

/// One VP9 RTP payload, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vp9Payload<'a> {
    /// The descriptor.
    pub descriptor: Descriptor,
    /// V: the scalability structure.
    pub ss: Option<ScalabilityStructure<'a>>,
    /// B=1: the uncompressed header, when it reads (None when it does not: a packet is not
    /// rejected for what the codec layer below the descriptor holds).
    pub header: Option<UncompressedHeader>,
    /// The VP9 bytes after the descriptor.
    pub data: &'a [u8],
}

impl<'a> Vp9Payload<'a> {
    /// Parses a payload. Errors when the descriptor or its scalability structure is cut short
    /// or nothing follows it.
    pub fn parse(payload: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(payload, Layer::Rtp);
        let b0 = r.u8("VP9 descriptor")?;
        let mut d = Descriptor {
            inter_predicted: b0 & 0x40 != 0,
            flexible: b0 & 0x10 != 0,
            begin: b0 & 0x08 != 0,
            end: b0 & 0x04 != 0,
            not_ref_for_upper: b0 & 0x01 != 0,
            ..Descriptor::default()
        };
        if b0 & 0x80 != 0 {
            let p = r.u8("VP9 picture id")?;
            d.picture_id = Some(if p & 0x80 != 0 {
                let lo = r.u8("VP9 picture id")?;
                ((u16::from(p & 0x7f) << 8) | u16::from(lo), 15)
            } else {
                (u16::from(p), 7)
            });
        }
        if b0 & 0x20 != 0 {
            let l = r.u8("VP9 layer indices")?;
            d.layer = Some(LayerIndices {
                tid: l >> 5,
                switching_up: l & 0x10 != 0,
                sid: (l >> 1) & 7,
                inter_layer_dependency: l & 1 != 0,
            });
            if !d.flexible {
                d.tl0_pic_idx = Some(r.u8("VP9 TL0PICIDX")?);
            }
        }
        if d.flexible && d.inter_predicted {
            // Up to three P_DIFF bytes, each with N saying whether another follows.
            loop {
                let b = r.u8("VP9 P_DIFF")?;
                if d.ref_count == 3 {
                    return Err(r.bad_value_at(1, "VP9 P_DIFF", "at most 3 reference indices", 4));
                }
                d.p_diff[usize::from(d.ref_count)] = b >> 1;
                d.ref_count += 1;
                if b & 1 == 0 {
                    break;
                }
            }
        }
        let ss = if b0 & 0x02 != 0 {
            Some(scalability_structure(&mut r)?)
        } else {
            None
        };
        d.len = r.position();
        let data = r.rest();
        if data.is_empty() {
            return Err(Error::truncated(
                Layer::Rtp,
                d.len,
                "VP9 payload after the descriptor",
                1,
                0,
            ));
        }
        let header = if d.begin {
            uncompressed_header(data, d.len).ok()
        } else {
            None
        };
        Ok(Vp9Payload {
            descriptor: d,
            ss,
            header,
            data,
        })
    }

    /// Whether this packet starts a key frame: B=1, P=0, base spatial layer.
    pub fn starts_key_frame(&self) -> bool {
        let d = &self.descriptor;
        d.begin && !d.inter_predicted && d.layer.is_none_or(|l| l.sid == 0)
    }

    /// What this packet says about its frame. A picture of several spatial layers starts with
    /// the base layer's first packet.
    pub fn frame_info(&self) -> FrameInfo {
        let d = &self.descriptor;
        let key = self.starts_key_frame();
        let from_ss = self.ss.and_then(|s| s.resolutions().last());
        let from_header = self
            .header
            .filter(|h| h.key_frame)
            .and_then(|h| h.size)
            .filter(|_| key);
        FrameInfo {
            starts_frame: d.begin && d.layer.is_none_or(|l| l.sid == 0),
            key_frame: key,
            resolution: from_ss.or(from_header),
        }
    }
}

fn scalability_structure<'a>(r: &mut Reader<'a>) -> Result<ScalabilityStructure<'a>> {
    let v = r.u8("VP9 scalability structure")?;
    let layers = (v >> 5) + 1;
    let sizes = if v & 0x10 != 0 {
        Some(r.bytes(usize::from(layers) * 4, "VP9 SS layer sizes")?)
    } else {
        None
    };
    let pictures = if v & 0x08 != 0 {
        let n = r.u8("VP9 SS N_G")?;
        for _ in 0..n {
            let g = r.u8("VP9 SS picture group entry")?;
            let refs = (g >> 2) & 3;
            r.skip(usize::from(refs), "VP9 SS P_DIFF")?;
        }
        Some(n)
    } else {
        None
    };
    Ok(ScalabilityStructure {
        spatial_layers: layers,
        sizes,
        pictures_in_group: pictures,
    })
}

/// Reads the uncompressed header up to the frame size (VP9 spec §6.2, §6.2.2 color_config,
/// §6.2.3 frame_size). `base` locates errors.
pub fn uncompressed_header(data: &[u8], base: usize) -> Result<UncompressedHeader> {
    let mut b = BitReader::new(data, base);
    let marker = b.bits(2, "VP9 frame_marker")?;
    if marker != 2 {
        return Err(Error::bad_value(
            Layer::Rtp,
            base,
            "VP9 frame_marker",
            "2",
            u64::from(marker),
        ));
    }
    let low = b.bits(1, "VP9 profile_low_bit")?;
    let high = b.bits(1, "VP9 profile_high_bit")?;
    let profile = ((high << 1) | low) as u8;
    if profile == 3 {
        b.bit("VP9 reserved_zero")?;
    }
    let mut h = UncompressedHeader {
        profile,
        show_existing_frame: b.bit("VP9 show_existing_frame")?,
        key_frame: false,
        show_frame: true,
        size: None,
    };
    if h.show_existing_frame {
        return Ok(h);
    }
    h.key_frame = !b.bit("VP9 frame_type")?;
    h.show_frame = b.bit("VP9 show_frame")?;
    b.bit("VP9 error_resilient_mode")?;
    if !h.key_frame {
        return Ok(h);
    }
    let sync = b.bits(24, "VP9 frame_sync_code")?;
    if sync != 0x49_83_42 {
        return Err(Error::bad_value(
            Layer::Rtp,
            base + 1,
            "VP9 frame_sync_code",
            "0x498342",
            u64::from(sync),
        ));
    }
    if profile >= 2 {
        b.bit("VP9 ten_or_twelve_bit")?;
    }
    let color_space = b.bits(3, "VP9 color_space")?;
    if color_space != 7 {
        b.bit("VP9 color_range")?;
        if profile == 1 || profile == 3 {
            b.bits(3, "VP9 subsampling and reserved bit")?;
        }
    } else if profile == 1 || profile == 3 {
        b.bit("VP9 reserved_zero")?;
    }
    let w = b.bits(16, "VP9 frame_width_minus_1")? + 1;
    let hgt = b.bits(16, "VP9 frame_height_minus_1")? + 1;
    h.size = Some(Resolution {
        width: w,
        height: hgt,
    });
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The uncompressed header of a profile-0 key frame, 640×360, as libvpx writes it:
    /// frame_marker 10, profile 0 (0 0), show_existing 0, frame_type 0 (key), show_frame 1,
    /// error_resilient 0 → `1000 0010` = 0x82; sync code 0x49 0x83 0x42; color_space 3 bits
    /// (BT.601 = 1: `001`), color_range 0, then width−1 = 639 and height−1 = 359 as 16 bits
    /// each: `0010` + 0x027f + 0x0167 + `0000` padding.
    const KEY_HEADER: [u8; 9] = [0x82, 0x49, 0x83, 0x42, 0x20, 0x27, 0xf0, 0x16, 0x70];

    #[test]
    fn a_key_frame_header_gives_the_frame_size() {
        let h = uncompressed_header(&KEY_HEADER, 0).unwrap();
        assert!(h.key_frame && h.show_frame && !h.show_existing_frame);
        assert_eq!(h.profile, 0);
        assert_eq!(
            h.size,
            Some(Resolution {
                width: 640,
                height: 360
            })
        );
    }

    /// A non-flexible key frame's first packet with an SS, as libwebrtc sends one spatial
    /// layer: I=1 P=0 L=1 F=0 B=1 E=0 V=1 Z=0 → 0xaa; 15-bit picture id 0x1234 (0x92 0x34);
    /// layer indices TID 0 U 0 SID 0 D 0 (0x00); TL0PICIDX 5; SS: N_S=0 Y=1 G=1 (0x18),
    /// 320×240 (01 40 00 f0), N_G=1, one group entry TID 0 U 0 R=1 (0x04) with P_DIFF 1;
    /// then the key frame header above.
    fn key_packet() -> Vec<u8> {
        let mut v = vec![
            0xaa, 0x92, 0x34, 0x00, 0x05, 0x18, 0x01, 0x40, 0x00, 0xf0, 0x01, 0x04, 0x01,
        ];
        v.extend_from_slice(&KEY_HEADER);
        v
    }

    #[test]
    fn rfc_9628_descriptor_with_scalability_structure() {
        let b = key_packet();
        let p = Vp9Payload::parse(&b).unwrap();
        let d = p.descriptor;
        assert!(d.begin && !d.end && !d.inter_predicted && !d.flexible);
        assert_eq!(d.picture_id, Some((0x1234, 15)));
        assert_eq!(d.layer.unwrap().sid, 0);
        assert_eq!(d.tl0_pic_idx, Some(5));
        assert_eq!(d.len, 13);
        let ss = p.ss.unwrap();
        assert_eq!(ss.spatial_layers, 1);
        assert_eq!(ss.pictures_in_group, Some(1));
        let res: Vec<_> = ss.resolutions().collect();
        assert_eq!(
            res,
            [Resolution {
                width: 320,
                height: 240
            }]
        );
        let f = p.frame_info();
        assert!(f.starts_frame && f.key_frame);
        // The SS (what the receiver decodes) wins over the uncompressed header.
        assert_eq!(f.resolution, Some(res[0]));
        assert_eq!(p.header.unwrap().size.unwrap().width, 640);
    }

    #[test]
    fn a_key_frame_without_ss_takes_its_size_from_the_header() {
        // I=0 P=0 L=0 F=0 B=1 E=1 V=0 Z=0 → 0x0c.
        let mut b = vec![0x0c];
        b.extend_from_slice(&KEY_HEADER);
        let f = Vp9Payload::parse(&b).unwrap().frame_info();
        assert!(f.key_frame);
        assert_eq!(f.resolution.unwrap().height, 360);
    }

    #[test]
    fn flexible_mode_reference_indices() {
        // I=0 P=1 L=1 F=1 B=0 E=1 → 0x74; layer TID 1 U 1 SID 1 D 1 (0b001_1_001_1 = 0x33);
        // P_DIFF 1 with N=1 (0x03), P_DIFF 2 with N=0 (0x04); then data.
        let b = [0x74, 0x33, 0x03, 0x04, 0xab];
        let p = Vp9Payload::parse(&b).unwrap();
        let d = p.descriptor;
        assert!(d.inter_predicted && d.flexible && d.end && !d.begin);
        let l = d.layer.unwrap();
        assert_eq!(
            (l.tid, l.switching_up, l.sid, l.inter_layer_dependency),
            (1, true, 1, true)
        );
        assert_eq!(d.tl0_pic_idx, None);
        assert_eq!(&d.p_diff[..usize::from(d.ref_count)], &[1, 2]);
        assert_eq!(p.frame_info(), FrameInfo::default());
        // A fourth reference index is an error.
        assert!(Vp9Payload::parse(&[0x74, 0x33, 0x03, 0x03, 0x03, 0x03, 0xab]).is_err());
    }

    #[test]
    fn every_prefix_parses_or_errors() {
        let b = key_packet();
        for n in 0..=b.len() {
            // The descriptor with its SS is 13 bytes; after that the uncompressed header is
            // read when whole and left out when not.
            let r = Vp9Payload::parse(&b[..n]);
            assert_eq!(r.is_ok(), n > 13, "{n}");
            if let Ok(p) = r {
                assert_eq!(p.header.is_some_and(|h| h.size.is_some()), n == b.len());
            }
        }
    }
}
