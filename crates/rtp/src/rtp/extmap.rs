//! Header extension identification and typed decoding.
//!
//! An RFC 8285 element carries only a local ID; what it means is negotiated in SDP
//! (`a=extmap:<id> <uri>`, RFC 8285 §5). [`ExtensionMap`] holds that id → extension mapping;
//! [`ExtensionKind`] names the extensions WebRTC uses and knows their URIs; [`ExtensionValue`] is
//! the decoded value. Without SDP, [`ExtensionMap::libwebrtc_default`] gives the IDs Chrome's
//! default offer uses.

use crate::bytes::{u16_at, u24_at, u64_at, u8_at};
use rtcscope_wire::{Error, ErrorKind, Layer, Result};

use super::ext::Extension;

/// Well-known header extension URIs (the `a=extmap` values).
pub mod uri {
    /// RFC 6464 client-to-mixer audio level.
    pub const SSRC_AUDIO_LEVEL: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    /// RFC 6465 mixer-to-client audio levels.
    pub const CSRC_AUDIO_LEVEL: &str = "urn:ietf:params:rtp-hdrext:csrc-audio-level";
    /// RFC 5450 transmission time offset.
    pub const TOFFSET: &str = "urn:ietf:params:rtp-hdrext:toffset";
    /// libwebrtc absolute send time (6.18 fixed-point seconds).
    pub const ABS_SEND_TIME: &str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    /// libwebrtc absolute capture time.
    pub const ABS_CAPTURE_TIME: &str =
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
    /// Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01).
    pub const TRANSPORT_CC_01: &str =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    /// Transport-wide sequence number with feedback request (libwebrtc "-02").
    pub const TRANSPORT_CC_02: &str =
        "http://www.webrtc.org/experiments/rtp-hdrext/transport-wide-cc-02";
    /// RFC 9143 / RFC 8843 media identification.
    pub const MID: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
    /// RFC 8852 RtpStreamId.
    pub const RID: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    /// RFC 8852 RepairedRtpStreamId.
    pub const REPAIRED_RID: &str = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    /// 3GPP TS 26.114 coordination of video orientation.
    pub const VIDEO_ORIENTATION: &str = "urn:3gpp:video-orientation";
    /// libwebrtc playout delay.
    pub const PLAYOUT_DELAY: &str = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
    /// libwebrtc video content type.
    pub const VIDEO_CONTENT_TYPE: &str =
        "http://www.webrtc.org/experiments/rtp-hdrext/video-content-type";
    /// libwebrtc video timing.
    pub const VIDEO_TIMING: &str = "http://www.webrtc.org/experiments/rtp-hdrext/video-timing";
    /// libwebrtc color space.
    pub const COLOR_SPACE: &str = "http://www.webrtc.org/experiments/rtp-hdrext/color-space";
    /// AV1 RTP specification dependency descriptor.
    pub const DEPENDENCY_DESCRIPTOR: &str =
        "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";
    /// libwebrtc video layers allocation.
    pub const VIDEO_LAYERS_ALLOCATION: &str =
        "http://www.webrtc.org/experiments/rtp-hdrext/video-layers-allocation00";
    /// libwebrtc generic frame descriptor 00.
    pub const GENERIC_FRAME_DESCRIPTOR: &str =
        "http://www.webrtc.org/experiments/rtp-hdrext/generic-frame-descriptor-00";
    /// libwebrtc video frame tracking id.
    pub const VIDEO_FRAME_TRACKING_ID: &str =
        "http://www.webrtc.org/experiments/rtp-hdrext/video-frame-tracking-id";
    /// libwebrtc inband comfort noise.
    pub const INBAND_CN: &str = "http://www.webrtc.org/experiments/rtp-hdrext/inband-cn";
    /// RFC 6904 encrypted header extension (the extmap value is this URI, a space, then the URI
    /// of the extension being encrypted).
    pub const ENCRYPT: &str = "urn:ietf:params:rtp-hdrext:encrypt";
}

/// The header extensions this crate knows by URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ExtensionKind {
    /// [`uri::SSRC_AUDIO_LEVEL`].
    AudioLevel,
    /// [`uri::CSRC_AUDIO_LEVEL`].
    CsrcAudioLevel,
    /// [`uri::TOFFSET`].
    TransmissionOffset,
    /// [`uri::ABS_SEND_TIME`].
    AbsSendTime,
    /// [`uri::ABS_CAPTURE_TIME`].
    AbsCaptureTime,
    /// [`uri::TRANSPORT_CC_01`].
    TransportCc,
    /// [`uri::TRANSPORT_CC_02`].
    TransportCc02,
    /// [`uri::MID`].
    Mid,
    /// [`uri::RID`].
    Rid,
    /// [`uri::REPAIRED_RID`].
    RepairedRid,
    /// [`uri::VIDEO_ORIENTATION`].
    VideoOrientation,
    /// [`uri::PLAYOUT_DELAY`].
    PlayoutDelay,
    /// [`uri::VIDEO_CONTENT_TYPE`].
    VideoContentType,
    /// [`uri::VIDEO_TIMING`].
    VideoTiming,
    /// [`uri::COLOR_SPACE`].
    ColorSpace,
    /// [`uri::DEPENDENCY_DESCRIPTOR`] (kept raw: decoding needs the template structure from an
    /// earlier packet).
    DependencyDescriptor,
    /// [`uri::VIDEO_LAYERS_ALLOCATION`] (kept raw).
    VideoLayersAllocation,
    /// [`uri::GENERIC_FRAME_DESCRIPTOR`] (kept raw).
    GenericFrameDescriptor,
    /// [`uri::VIDEO_FRAME_TRACKING_ID`].
    VideoFrameTrackingId,
    /// [`uri::INBAND_CN`] (kept raw).
    InbandCn,
    /// An RFC 6904 encrypted extension ([`uri::ENCRYPT`]): the data is ciphertext.
    Encrypted,
}

impl ExtensionKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ExtensionKind] = &[
        ExtensionKind::AudioLevel,
        ExtensionKind::CsrcAudioLevel,
        ExtensionKind::TransmissionOffset,
        ExtensionKind::AbsSendTime,
        ExtensionKind::AbsCaptureTime,
        ExtensionKind::TransportCc,
        ExtensionKind::TransportCc02,
        ExtensionKind::Mid,
        ExtensionKind::Rid,
        ExtensionKind::RepairedRid,
        ExtensionKind::VideoOrientation,
        ExtensionKind::PlayoutDelay,
        ExtensionKind::VideoContentType,
        ExtensionKind::VideoTiming,
        ExtensionKind::ColorSpace,
        ExtensionKind::DependencyDescriptor,
        ExtensionKind::VideoLayersAllocation,
        ExtensionKind::GenericFrameDescriptor,
        ExtensionKind::VideoFrameTrackingId,
        ExtensionKind::InbandCn,
        ExtensionKind::Encrypted,
    ];

    /// The URI that names this extension in `a=extmap`.
    #[inline]
    pub const fn uri(self) -> &'static str {
        match self {
            ExtensionKind::AudioLevel => uri::SSRC_AUDIO_LEVEL,
            ExtensionKind::CsrcAudioLevel => uri::CSRC_AUDIO_LEVEL,
            ExtensionKind::TransmissionOffset => uri::TOFFSET,
            ExtensionKind::AbsSendTime => uri::ABS_SEND_TIME,
            ExtensionKind::AbsCaptureTime => uri::ABS_CAPTURE_TIME,
            ExtensionKind::TransportCc => uri::TRANSPORT_CC_01,
            ExtensionKind::TransportCc02 => uri::TRANSPORT_CC_02,
            ExtensionKind::Mid => uri::MID,
            ExtensionKind::Rid => uri::RID,
            ExtensionKind::RepairedRid => uri::REPAIRED_RID,
            ExtensionKind::VideoOrientation => uri::VIDEO_ORIENTATION,
            ExtensionKind::PlayoutDelay => uri::PLAYOUT_DELAY,
            ExtensionKind::VideoContentType => uri::VIDEO_CONTENT_TYPE,
            ExtensionKind::VideoTiming => uri::VIDEO_TIMING,
            ExtensionKind::ColorSpace => uri::COLOR_SPACE,
            ExtensionKind::DependencyDescriptor => uri::DEPENDENCY_DESCRIPTOR,
            ExtensionKind::VideoLayersAllocation => uri::VIDEO_LAYERS_ALLOCATION,
            ExtensionKind::GenericFrameDescriptor => uri::GENERIC_FRAME_DESCRIPTOR,
            ExtensionKind::VideoFrameTrackingId => uri::VIDEO_FRAME_TRACKING_ID,
            ExtensionKind::InbandCn => uri::INBAND_CN,
            ExtensionKind::Encrypted => uri::ENCRYPT,
        }
    }

    /// Looks an extmap URI up (surrounding whitespace ignored; an RFC 6904 `encrypt` URI
    /// followed by the inner URI maps to [`ExtensionKind::Encrypted`]).
    #[inline]
    pub fn from_uri(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix(uri::ENCRYPT) {
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                return Some(ExtensionKind::Encrypted);
            }
        }
        ExtensionKind::ALL.iter().copied().find(|k| k.uri() == s)
    }

    /// Decodes an element's data as this extension.
    #[inline]
    pub fn decode<'a>(self, ext: &Extension<'a>) -> Result<ExtensionValue<'a>> {
        decode(self, ext)
    }
}

/// The id → extension mapping negotiated in SDP.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtensionMap {
    kinds: [Option<ExtensionKind>; 256],
}

impl Default for ExtensionMap {
    fn default() -> Self {
        Self::empty()
    }
}

impl ExtensionMap {
    /// A map with no IDs.
    #[inline]
    pub const fn empty() -> Self {
        ExtensionMap { kinds: [None; 256] }
    }

    /// The IDs of Chrome's (libwebrtc's) default offer, for captures without SDP:
    ///
    /// | id | extension | | id | extension |
    /// |---|---|---|---|---|
    /// | 1 | ssrc-audio-level | | 8 | color-space |
    /// | 2 | abs-send-time | | 10 | sdes:rtp-stream-id |
    /// | 3 | transport-wide-cc-01 | | 11 | sdes:repaired-rtp-stream-id |
    /// | 4 | sdes:mid | | 13 | urn:3gpp:video-orientation |
    /// | 5 | playout-delay | | 14 | toffset |
    /// | 6 | video-content-type | | | |
    /// | 7 | video-timing | | | |
    ///
    /// Other senders (Firefox, str0m, mediasoup) use other IDs; prefer the SDP when there is
    /// one.
    #[inline]
    pub fn libwebrtc_default() -> Self {
        let mut m = Self::empty();
        for (id, k) in [
            (1, ExtensionKind::AudioLevel),
            (2, ExtensionKind::AbsSendTime),
            (3, ExtensionKind::TransportCc),
            (4, ExtensionKind::Mid),
            (5, ExtensionKind::PlayoutDelay),
            (6, ExtensionKind::VideoContentType),
            (7, ExtensionKind::VideoTiming),
            (8, ExtensionKind::ColorSpace),
            (10, ExtensionKind::Rid),
            (11, ExtensionKind::RepairedRid),
            (13, ExtensionKind::VideoOrientation),
            (14, ExtensionKind::TransmissionOffset),
        ] {
            m.set(id, k);
        }
        m
    }

    /// Maps `id` to `kind`.
    #[inline]
    pub fn set(&mut self, id: u8, kind: ExtensionKind) {
        self.kinds[usize::from(id)] = Some(kind);
    }

    /// Maps `id` to the extension named by `uri`; returns the kind, or `None` (and leaves the ID
    /// unmapped, so its elements decode as raw) when the URI is not known.
    #[inline]
    pub fn insert_uri(&mut self, id: u8, uri: &str) -> Option<ExtensionKind> {
        let k = ExtensionKind::from_uri(uri);
        self.kinds[usize::from(id)] = k;
        k
    }

    /// Removes a mapping.
    #[inline]
    pub fn remove(&mut self, id: u8) {
        self.kinds[usize::from(id)] = None;
    }

    /// The extension mapped to `id`.
    #[inline]
    pub fn get(&self, id: u8) -> Option<ExtensionKind> {
        self.kinds[usize::from(id)]
    }

    /// The ID mapped to `kind` (the lowest, if several).
    #[inline]
    pub fn id_of(&self, kind: ExtensionKind) -> Option<u8> {
        (0..=255u8).find(|&id| self.get(id) == Some(kind))
    }

    /// Decodes an element according to this map; unmapped IDs give [`ExtensionValue::Raw`].
    #[inline]
    pub fn decode<'a>(&self, ext: &Extension<'a>) -> Result<ExtensionValue<'a>> {
        match self.get(ext.id) {
            Some(k) => decode(k, ext),
            None => Ok(ExtensionValue::Raw {
                kind: None,
                data: ext.data,
            }),
        }
    }
}

impl core::fmt::Debug for ExtensionMap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map()
            .entries(
                self.kinds
                    .iter()
                    .enumerate()
                    .filter_map(|(i, k)| k.map(|k| (i, k))),
            )
            .finish()
    }
}

/// The feedback request of the transport-wide-cc-02 extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FeedbackRequest {
    /// T bit: the feedback should include timestamps.
    pub include_timestamps: bool,
    /// Number of sequence numbers the feedback should cover (15 bits).
    pub sequence_count: u16,
}

/// A decoded header extension value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionValue<'a> {
    /// RFC 6464 §3: `V` flag and level in −dBov (0–127).
    AudioLevel {
        /// Voice activity flag.
        voice_activity: bool,
        /// Level in −dBov (0 is loudest, 127 silence).
        level: u8,
    },
    /// RFC 6465 §3: one level byte per CSRC (`0` bit, then 7-bit −dBov).
    CsrcAudioLevels(&'a [u8]),
    /// RFC 5450 §3: transmission offset in RTP timestamp units (signed 24-bit).
    TransmissionOffset(i32),
    /// abs-send-time: 24-bit 6.18 fixed-point seconds.
    AbsSendTime(u32),
    /// abs-capture-time: NTP UQ32.32 capture time, optional Q32.32 clock offset.
    AbsCaptureTime {
        /// Absolute capture timestamp (UQ32.32 NTP format).
        timestamp: u64,
        /// Estimated capture clock offset (signed Q32.32), when present.
        estimated_capture_clock_offset: Option<i64>,
    },
    /// Transport-wide sequence number (-01), and for -02 an optional feedback request.
    TransportSequence {
        /// The transport-wide sequence number.
        sequence: u16,
        /// The -02 feedback request, when the element has 4 bytes.
        feedback_request: Option<FeedbackRequest>,
    },
    /// sdes:mid.
    Mid(&'a str),
    /// sdes:rtp-stream-id.
    Rid(&'a str),
    /// sdes:repaired-rtp-stream-id.
    RepairedRid(&'a str),
    /// 3GPP CVO: `0 0 0 0 C F R1 R0`.
    VideoOrientation {
        /// C: back-facing camera.
        camera_back: bool,
        /// F: horizontal flip.
        flip: bool,
        /// Rotation in degrees (0, 90, 180, 270).
        rotation: u16,
    },
    /// playout-delay: minimum and maximum in units of 10 ms (12 bits each).
    PlayoutDelay {
        /// Minimum delay, 10 ms units.
        min: u16,
        /// Maximum delay, 10 ms units.
        max: u16,
    },
    /// video-content-type (bit 0: screenshare).
    VideoContentType(u8),
    /// video-timing: deltas in milliseconds from the capture time.
    VideoTiming {
        /// Flags byte (absent in the deprecated 12-byte form).
        flags: Option<u8>,
        /// Encode start.
        encode_start: u16,
        /// Encode finish.
        encode_finish: u16,
        /// Packetization finish.
        packetization_finish: u16,
        /// Pacer exit.
        pacer_exit: u16,
        /// Network timestamp (set by an SFU).
        network: u16,
        /// Second network timestamp.
        network2: u16,
    },
    /// color-space: H.273 code points, range and chroma siting; optional HDR metadata raw.
    ColorSpace {
        /// Colour primaries.
        primaries: u8,
        /// Transfer characteristics.
        transfer: u8,
        /// Matrix coefficients.
        matrix: u8,
        /// Range (2 bits).
        range: u8,
        /// Horizontal chroma siting (2 bits).
        chroma_siting_horizontal: u8,
        /// Vertical chroma siting (2 bits).
        chroma_siting_vertical: u8,
        /// The 24 bytes of HDR metadata, when present.
        hdr_metadata: Option<&'a [u8]>,
    },
    /// video-frame-tracking-id.
    VideoFrameTrackingId(u16),
    /// A known or unknown extension kept as raw bytes (dependency descriptor, VLA, RFC 6904
    /// ciphertext, unmapped IDs).
    Raw {
        /// The kind, when the ID was mapped.
        kind: Option<ExtensionKind>,
        /// The element data.
        data: &'a [u8],
    },
}

fn wrong_len(ext: &Extension<'_>, expected: &'static str) -> Error {
    Error::bad_length(
        Layer::RtpExtension,
        ext.data_range().start,
        "extension data",
        expected,
        ext.data.len(),
    )
}

fn text<'a>(ext: &Extension<'a>) -> Result<&'a str> {
    // libwebrtc treats a NUL as the end of the string (BaseRtpStringExtension::Parse).
    let end = ext
        .data
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(ext.data.len());
    if end == 0 {
        return Err(wrong_len(ext, "a non-empty identifier"));
    }
    core::str::from_utf8(&ext.data[..end]).map_err(|_| {
        Error::new(
            Layer::RtpExtension,
            ext.data_range().start,
            "identifier",
            ErrorKind::BadText,
        )
    })
}

fn decode<'a>(kind: ExtensionKind, ext: &Extension<'a>) -> Result<ExtensionValue<'a>> {
    let d = ext.data;
    let n = d.len();
    Ok(match kind {
        ExtensionKind::AudioLevel => {
            if n != 1 {
                return Err(wrong_len(ext, "1 byte"));
            }
            ExtensionValue::AudioLevel {
                voice_activity: d[0] & 0x80 != 0,
                level: d[0] & 0x7f,
            }
        }
        ExtensionKind::CsrcAudioLevel => ExtensionValue::CsrcAudioLevels(d),
        ExtensionKind::TransmissionOffset => {
            if n != 3 {
                return Err(wrong_len(ext, "3 bytes"));
            }
            ExtensionValue::TransmissionOffset(crate::bytes::sign_extend_24(u24_at(d, 0)))
        }
        ExtensionKind::AbsSendTime => {
            if n != 3 {
                return Err(wrong_len(ext, "3 bytes"));
            }
            ExtensionValue::AbsSendTime(u24_at(d, 0))
        }
        ExtensionKind::AbsCaptureTime => match n {
            8 => ExtensionValue::AbsCaptureTime {
                timestamp: u64_at(d, 0),
                estimated_capture_clock_offset: None,
            },
            16 => ExtensionValue::AbsCaptureTime {
                timestamp: u64_at(d, 0),
                estimated_capture_clock_offset: Some(u64_at(d, 8) as i64),
            },
            _ => return Err(wrong_len(ext, "8 or 16 bytes")),
        },
        ExtensionKind::TransportCc => {
            if n != 2 {
                return Err(wrong_len(ext, "2 bytes"));
            }
            ExtensionValue::TransportSequence {
                sequence: u16_at(d, 0),
                feedback_request: None,
            }
        }
        ExtensionKind::TransportCc02 => match n {
            2 => ExtensionValue::TransportSequence {
                sequence: u16_at(d, 0),
                feedback_request: None,
            },
            4 => {
                let r = u16_at(d, 2);
                ExtensionValue::TransportSequence {
                    sequence: u16_at(d, 0),
                    feedback_request: Some(FeedbackRequest {
                        include_timestamps: r & 0x8000 != 0,
                        sequence_count: r & 0x7fff,
                    }),
                }
            }
            _ => return Err(wrong_len(ext, "2 or 4 bytes")),
        },
        ExtensionKind::Mid => ExtensionValue::Mid(text(ext)?),
        ExtensionKind::Rid => ExtensionValue::Rid(text(ext)?),
        ExtensionKind::RepairedRid => ExtensionValue::RepairedRid(text(ext)?),
        ExtensionKind::VideoOrientation => {
            if n != 1 {
                return Err(wrong_len(ext, "1 byte"));
            }
            ExtensionValue::VideoOrientation {
                camera_back: d[0] & 0x08 != 0,
                flip: d[0] & 0x04 != 0,
                rotation: u16::from(d[0] & 0x03) * 90,
            }
        }
        ExtensionKind::PlayoutDelay => {
            if n != 3 {
                return Err(wrong_len(ext, "3 bytes"));
            }
            let v = u24_at(d, 0);
            ExtensionValue::PlayoutDelay {
                min: (v >> 12) as u16,
                max: (v & 0x0fff) as u16,
            }
        }
        ExtensionKind::VideoContentType => {
            if n != 1 {
                return Err(wrong_len(ext, "1 byte"));
            }
            ExtensionValue::VideoContentType(d[0])
        }
        ExtensionKind::VideoTiming => {
            let (flags, at) = match n {
                13 => (Some(d[0]), 1),
                12 => (None, 0),
                _ => return Err(wrong_len(ext, "13 (or deprecated 12) bytes")),
            };
            ExtensionValue::VideoTiming {
                flags,
                encode_start: u16_at(d, at),
                encode_finish: u16_at(d, at + 2),
                packetization_finish: u16_at(d, at + 4),
                pacer_exit: u16_at(d, at + 6),
                network: u16_at(d, at + 8),
                network2: u16_at(d, at + 10),
            }
        }
        ExtensionKind::ColorSpace => {
            if n != 4 && n != 28 {
                return Err(wrong_len(ext, "4 or 28 bytes"));
            }
            let rc = u8_at(d, 3);
            ExtensionValue::ColorSpace {
                primaries: d[0],
                transfer: d[1],
                matrix: d[2],
                range: (rc >> 4) & 0x03,
                chroma_siting_horizontal: (rc >> 2) & 0x03,
                chroma_siting_vertical: rc & 0x03,
                hdr_metadata: (n == 28).then(|| &d[4..]),
            }
        }
        ExtensionKind::VideoFrameTrackingId => {
            if n != 2 {
                return Err(wrong_len(ext, "2 bytes"));
            }
            ExtensionValue::VideoFrameTrackingId(u16_at(d, 0))
        }
        ExtensionKind::DependencyDescriptor
        | ExtensionKind::VideoLayersAllocation
        | ExtensionKind::GenericFrameDescriptor
        | ExtensionKind::InbandCn
        | ExtensionKind::Encrypted => ExtensionValue::Raw {
            kind: Some(kind),
            data: d,
        },
    })
}

impl ExtensionValue<'_> {
    /// abs-send-time in microseconds within its 64-second wrap.
    #[inline]
    pub fn abs_send_time_micros(&self) -> Option<u64> {
        match *self {
            ExtensionValue::AbsSendTime(v) => Some((u64::from(v) * 1_000_000) >> 18),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ext::ExtensionForm;
    use super::*;

    fn el(id: u8, data: &[u8]) -> Extension<'_> {
        Extension {
            id,
            data,
            range: 16..17 + data.len(),
            form: ExtensionForm::OneByte,
        }
    }

    #[test]
    fn uris_round_trip() {
        for &k in ExtensionKind::ALL {
            assert_eq!(ExtensionKind::from_uri(k.uri()), Some(k));
        }
        assert_eq!(
            ExtensionKind::from_uri(
                "urn:ietf:params:rtp-hdrext:encrypt urn:ietf:params:rtp-hdrext:ssrc-audio-level"
            ),
            Some(ExtensionKind::Encrypted)
        );
        assert_eq!(ExtensionKind::from_uri("urn:example:nope"), None);
        let mut m = ExtensionMap::empty();
        assert_eq!(m.insert_uri(5, uri::MID), Some(ExtensionKind::Mid));
        assert_eq!(m.id_of(ExtensionKind::Mid), Some(5));
        assert_eq!(m.insert_uri(6, "urn:x"), None);
        assert_eq!(m.get(6), None);
    }

    #[test]
    fn typed_values() {
        let m = ExtensionMap::libwebrtc_default();
        // RFC 6464 §3 example-like: V=1, level 42.
        assert_eq!(
            m.decode(&el(1, &[0x80 | 42])).unwrap(),
            ExtensionValue::AudioLevel {
                voice_activity: true,
                level: 42
            }
        );
        let ast = m.decode(&el(2, &[0x40, 0, 0])).unwrap();
        assert_eq!(ast, ExtensionValue::AbsSendTime(0x400000));
        assert_eq!(ast.abs_send_time_micros(), Some(16_000_000));
        assert_eq!(
            m.decode(&el(3, &[0x12, 0x34])).unwrap(),
            ExtensionValue::TransportSequence {
                sequence: 0x1234,
                feedback_request: None
            }
        );
        assert!(m.decode(&el(3, &[0x12])).is_err());
        assert_eq!(
            m.decode(&el(4, b"a1\0")).unwrap(),
            ExtensionValue::Mid("a1")
        );
        assert!(m.decode(&el(4, b"\0")).is_err());
        assert!(m.decode(&el(10, &[0xff, 0xfe])).is_err());
        assert_eq!(
            m.decode(&el(5, &[0x00, 0x10, 0x64])).unwrap(),
            ExtensionValue::PlayoutDelay { min: 1, max: 100 }
        );
        assert_eq!(
            m.decode(&el(13, &[0x0d])).unwrap(),
            ExtensionValue::VideoOrientation {
                camera_back: true,
                flip: true,
                rotation: 90
            }
        );
        assert_eq!(
            m.decode(&el(14, &[0xff, 0xff, 0xfe])).unwrap(),
            ExtensionValue::TransmissionOffset(-2)
        );
        let tcc2 = ExtensionKind::TransportCc02
            .decode(&el(9, &[0, 7, 0x80, 0x05]))
            .unwrap();
        assert_eq!(
            tcc2,
            ExtensionValue::TransportSequence {
                sequence: 7,
                feedback_request: Some(FeedbackRequest {
                    include_timestamps: true,
                    sequence_count: 5
                })
            }
        );
        assert_eq!(
            m.decode(&el(12, &[1, 2])).unwrap(),
            ExtensionValue::Raw {
                kind: None,
                data: &[1, 2]
            }
        );
    }
}
