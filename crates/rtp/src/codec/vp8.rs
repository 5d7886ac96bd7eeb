//! VP8 RTP payloads: the payload descriptor of RFC 7741 §4.2 and the VP8 payload header of
//! §4.3 (the first three bytes of a VP8 frame, RFC 6386 §9.1), with the key frame's start code
//! and frame size (RFC 6386 §9.2).
//!
//! ```text
//!        0 1 2 3 4 5 6 7
//!       +-+-+-+-+-+-+-+-+
//!       |X|R|N|S|R| PID | (required)
//!       +-+-+-+-+-+-+-+-+
//!  X:   |I|L|T|K| RSV   | (optional)
//!       +-+-+-+-+-+-+-+-+
//!  I:   |M| PictureID   | (optional; M=1: 15-bit picture id over two bytes)
//!       +-+-+-+-+-+-+-+-+
//!  L:   |   TL0PICIDX   | (optional)
//!       +-+-+-+-+-+-+-+-+
//!  T/K: |TID|Y| KEYIDX  | (optional)
//!       +-+-+-+-+-+-+-+-+
//! ```
//!
//! When S=1 and PID=0 the VP8 frame begins right after the descriptor with its 3-byte frame
//! tag (little-endian: bit 0 is the *inverse* key-frame flag P, bits 1–3 the version, bit 4
//! show_frame, bits 5–23 the first partition's size); a key frame (P=0) continues with the
//! start code `9d 01 2a` and two little-endian 16-bit words: 14 bits of width and 2 bits of
//! horizontal scale, then the same for the height.

use super::{FrameInfo, Resolution};
use rtcscope_wire::{Error, Layer, Reader, Result};

/// The key frame start code (RFC 6386 §9.1).
pub const START_CODE: [u8; 3] = [0x9d, 0x01, 0x2a];

/// The RFC 7741 payload descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Descriptor {
    /// N: a non-reference frame (may be discarded).
    pub non_reference: bool,
    /// S: start of a VP8 partition.
    pub start: bool,
    /// PID: the partition index.
    pub partition_id: u8,
    /// I: the picture id (7 or 15 bits), with its width in bits.
    pub picture_id: Option<(u16, u8)>,
    /// L: TL0PICIDX.
    pub tl0_pic_idx: Option<u8>,
    /// T: the temporal layer index TID.
    pub tid: Option<u8>,
    /// Y: layer sync (meaningful when T or K is set).
    pub layer_sync: bool,
    /// K: the key index KEYIDX.
    pub key_idx: Option<u8>,
    /// Descriptor length in bytes.
    pub len: usize,
}

/// The VP8 payload header, present at the start of the first partition (S=1, PID=0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadHeader {
    /// The frame is a key frame (P bit clear).
    pub key_frame: bool,
    /// VER: the version (profile) number.
    pub version: u8,
    /// H: show_frame.
    pub show_frame: bool,
    /// The first partition's size in bytes.
    pub first_partition_size: u32,
    /// On a key frame whose 10-byte header is in this packet: its size.
    pub key_frame_header: Option<KeyFrameHeader>,
}

/// The size part of a key frame's header (RFC 6386 §9.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyFrameHeader {
    /// Width in pixels (14 bits).
    pub width: u16,
    /// Horizontal scale (2 bits: none, 5/4, 5/3, 2).
    pub horizontal_scale: u8,
    /// Height in pixels (14 bits).
    pub height: u16,
    /// Vertical scale.
    pub vertical_scale: u8,
}

/// One VP8 RTP payload, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vp8Payload<'a> {
    /// The payload descriptor.
    pub descriptor: Descriptor,
    /// The payload header, when this packet starts the first partition and carries it whole.
    pub header: Option<PayloadHeader>,
    /// The VP8 bytes after the descriptor.
    pub data: &'a [u8],
}

impl<'a> Vp8Payload<'a> {
    /// Parses a payload. Errors when the descriptor is cut short, the payload is empty after
    /// it, or a packet starting partition 0 is too short for the 3-byte frame tag or claims a
    /// key frame without the start code.
    pub fn parse(payload: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(payload, Layer::Rtp);
        let b0 = r.u8("VP8 descriptor")?;
        let mut d = Descriptor {
            non_reference: b0 & 0x20 != 0,
            start: b0 & 0x10 != 0,
            partition_id: b0 & 0x07,
            ..Descriptor::default()
        };
        if b0 & 0x80 != 0 {
            let x = r.u8("VP8 descriptor extension (X)")?;
            if x & 0x80 != 0 {
                let p = r.u8("VP8 picture id")?;
                d.picture_id = Some(if p & 0x80 != 0 {
                    let lo = r.u8("VP8 picture id")?;
                    ((u16::from(p & 0x7f) << 8) | u16::from(lo), 15)
                } else {
                    (u16::from(p), 7)
                });
            }
            if x & 0x40 != 0 {
                d.tl0_pic_idx = Some(r.u8("VP8 TL0PICIDX")?);
            }
            if x & 0x30 != 0 {
                let t = r.u8("VP8 TID/Y/KEYIDX")?;
                if x & 0x20 != 0 {
                    d.tid = Some(t >> 6);
                }
                d.layer_sync = t & 0x20 != 0;
                if x & 0x10 != 0 {
                    d.key_idx = Some(t & 0x1f);
                }
            }
        }
        d.len = r.position();
        let data = r.rest();
        if data.is_empty() {
            return Err(Error::truncated(
                Layer::Rtp,
                d.len,
                "VP8 payload after the descriptor",
                1,
                0,
            ));
        }
        let header = if d.start && d.partition_id == 0 {
            Some(payload_header(&mut r)?)
        } else {
            None
        };
        Ok(Vp8Payload {
            descriptor: d,
            header,
            data,
        })
    }

    /// What this packet says about its frame.
    pub fn frame_info(&self) -> FrameInfo {
        let h = self.header;
        FrameInfo {
            starts_frame: h.is_some(),
            key_frame: h.is_some_and(|h| h.key_frame),
            resolution: h.and_then(|h| h.key_frame_header).map(|k| Resolution {
                width: u32::from(k.width),
                height: u32::from(k.height),
            }),
        }
    }
}

fn payload_header(r: &mut Reader<'_>) -> Result<PayloadHeader> {
    let tag = r.array::<3>("VP8 frame tag")?;
    let key_frame = tag[0] & 1 == 0;
    let mut h = PayloadHeader {
        key_frame,
        version: (tag[0] >> 1) & 7,
        show_frame: tag[0] & 0x10 != 0,
        first_partition_size: u32::from(tag[0] >> 5)
            | (u32::from(tag[1]) << 3)
            | (u32::from(tag[2]) << 11),
        key_frame_header: None,
    };
    if key_frame {
        let at = r.offset();
        let code = r.array::<3>("VP8 key frame start code")?;
        if code != START_CODE {
            return Err(Error::bad_value(
                Layer::Rtp,
                at,
                "VP8 key frame start code",
                "9d 01 2a",
                u64::from(u32::from_be_bytes([0, code[0], code[1], code[2]])),
            ));
        }
        let w = u16::from_le_bytes(r.array::<2>("VP8 key frame width")?);
        let hgt = u16::from_le_bytes(r.array::<2>("VP8 key frame height")?);
        h.key_frame_header = Some(KeyFrameHeader {
            width: w & 0x3fff,
            horizontal_scale: (w >> 14) as u8,
            height: hgt & 0x3fff,
            vertical_scale: (hgt >> 14) as u8,
        });
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key frame's first packet as libwebrtc sends it: X=1 S=1 PID=0 (0x90), then I=1 (0x80)
    /// with a 15-bit picture id 0x04d2 = 1234 (M=1: 0x84 0xd2), then the frame tag
    /// `50 42 00`: P=0 (key), VER=0, show_frame=1, first partition size
    /// (0x50>>5) | 0x42<<3 = 2 + 528 = 530; the start code; width 320 = 0x0140 and height
    /// 240 = 0x00f0, little-endian, no scaling.
    const KEY: [u8; 14] = [
        0x90, 0x80, 0x84, 0xd2, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00,
    ];

    #[test]
    fn a_key_frame_with_picture_id_and_size() {
        let p = Vp8Payload::parse(&KEY).unwrap();
        assert!(p.descriptor.start);
        assert_eq!(p.descriptor.partition_id, 0);
        assert_eq!(p.descriptor.picture_id, Some((1234, 15)));
        assert_eq!(p.descriptor.len, 4);
        let h = p.header.unwrap();
        assert!(h.key_frame && h.show_frame);
        assert_eq!(h.version, 0);
        assert_eq!(h.first_partition_size, 530);
        let k = h.key_frame_header.unwrap();
        assert_eq!((k.width, k.height, k.horizontal_scale), (320, 240, 0));
        let f = p.frame_info();
        assert!(f.starts_frame && f.key_frame);
        assert_eq!(
            f.resolution,
            Some(Resolution {
                width: 320,
                height: 240
            })
        );
    }

    #[test]
    fn rfc_7741_descriptor_fields() {
        // X=1 N=1 S=0 PID=3; I L T K all set; 7-bit picture id 0x11; TL0PICIDX 7;
        // TID=2 Y=1 KEYIDX=5 (0b10_1_00101); then one byte of partition data.
        let b = [0xa3, 0xf0, 0x11, 0x07, 0xa5, 0xee];
        let p = Vp8Payload::parse(&b).unwrap();
        let d = p.descriptor;
        assert!(d.non_reference && !d.start);
        assert_eq!(d.partition_id, 3);
        assert_eq!(d.picture_id, Some((0x11, 7)));
        assert_eq!(d.tl0_pic_idx, Some(7));
        assert_eq!(d.tid, Some(2));
        assert!(d.layer_sync);
        assert_eq!(d.key_idx, Some(5));
        assert_eq!(p.data, &[0xee]);
        assert!(p.header.is_none());
        assert_eq!(p.frame_info(), FrameInfo::default());
    }

    #[test]
    fn an_interframe_has_no_size() {
        // Minimal descriptor S=1 PID=0 (0x10), frame tag with P=1 (inter frame).
        let p = Vp8Payload::parse(&[0x10, 0x31, 0x01, 0x00, 0xaa]).unwrap();
        let h = p.header.unwrap();
        assert!(!h.key_frame && h.show_frame);
        assert!(h.key_frame_header.is_none());
        let f = p.frame_info();
        assert!(f.starts_frame && !f.key_frame && f.resolution.is_none());
    }

    #[test]
    fn a_key_frame_without_its_start_code_is_an_error() {
        let mut b = KEY;
        b[8] = 0x02;
        let e = Vp8Payload::parse(&b).unwrap_err();
        assert_eq!(e.offset, 7);
    }

    #[test]
    fn every_prefix_parses_or_errors() {
        for n in 0..=KEY.len() {
            let r = Vp8Payload::parse(&KEY[..n]);
            // The descriptor is 4 bytes; the frame tag needs 3 more and the key header 7 more.
            assert_eq!(r.is_ok(), n == KEY.len(), "{n}");
        }
    }
}
