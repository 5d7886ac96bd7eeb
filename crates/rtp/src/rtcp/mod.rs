//! RTCP (RFC 3550 §6) compound packets and the packet types WebRTC uses.
//!
//! Every RTCP packet starts with the same 4-byte header (RFC 3550 §6.4.1):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|  count  |      PT       |     length (words − 1)        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    packet body …                              |
//! |                               |  padding …    | padding count |  ← if P
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! `count` is the report count (SR, RR), source count (SDES, BYE), subtype (APP) or feedback
//! message type FMT (RFC 4585 §6.1). Packets are stacked into a compound packet (§6.1) that must
//! begin with an SR or RR, unless reduced-size RTCP (RFC 5506 §3) was negotiated.
//!
//! * [`Compound`] iterates the packets of a datagram (lax: until the first framing error).
//! * [`RtcpPacket`] is one packet's checked header; [`RtcpPacket::body`] gives the typed view
//!   ([`RtcpBody`]).
//! * [`CompoundRepr`] / [`RtcpPacketRepr`] / [`RtcpRepr`] are the owned forms (strict parse, emit).

mod app_bye;
pub mod ccfb;
pub mod feedback;
pub mod report;
pub mod sdes;
pub mod twcc;
pub mod xr;

use crate::bytes::{slice, u16_at, u32_at, u8_at};
use rtcscope_wire::{Error, Field, Layer, Result};

pub use app_bye::{App, AppRepr, Bye, ByeRepr, Sources};
pub use ccfb::{Ccfb, CcfbRepr};
pub use feedback::{FciRepr, Feedback, FeedbackKind, FeedbackRepr, PsfbFmt, RtpfbFmt};
pub use report::{
    ReceiverReport, ReceiverReportRepr, ReportBlock, ReportBlocks, SenderReport, SenderReportRepr,
};
pub use sdes::{Sdes, SdesChunkRepr, SdesItemRepr, SdesItemType, SdesRepr};
pub use twcc::{TransportCc, TwccRepr};
pub use xr::{ExtendedReport, XrBlockType, XrRepr};

/// Length of the common RTCP header.
pub const HEADER_LEN: usize = 4;

/// Field offsets of the common header, relative to the start of a packet.
pub mod field {
    use rtcscope_wire::Field;
    /// V(2) P(1) count(5).
    pub const FLAGS: usize = 0;
    /// Packet type.
    pub const PACKET_TYPE: usize = 1;
    /// Length in 32-bit words minus one.
    pub const LENGTH: Field = 2..4;
    /// The first field of most bodies: the SSRC of the packet sender.
    pub const SENDER_SSRC: Field = 4..8;
}

rtcscope_wire::wire_enum! {
    /// RTCP packet type (IANA "RTP Control Protocol (RTCP) Control Packet Types").
    pub struct PacketType(u8) {
        /// SMPTE time-code mapping (RFC 5484).
        SMPTETC = 194 => "SMPTETC",
        /// Extended inter-arrival jitter report (RFC 5450).
        IJ = 195 => "IJ",
        /// Sender report (RFC 3550 §6.4.1).
        SR = 200 => "SR",
        /// Receiver report (RFC 3550 §6.4.2).
        RR = 201 => "RR",
        /// Source description (RFC 3550 §6.5).
        SDES = 202 => "SDES",
        /// Goodbye (RFC 3550 §6.6).
        BYE = 203 => "BYE",
        /// Application-defined (RFC 3550 §6.7).
        APP = 204 => "APP",
        /// Generic RTP feedback (RFC 4585 §6.2).
        RTPFB = 205 => "RTPFB",
        /// Payload-specific feedback (RFC 4585 §6.3).
        PSFB = 206 => "PSFB",
        /// Extended report (RFC 3611).
        XR = 207 => "XR",
        /// AVB RTCP (IEEE 1733).
        AVB = 208 => "AVB",
        /// Receiver summary information (RFC 5760).
        RSI = 209 => "RSI",
        /// Port mapping (RFC 6284).
        TOKEN = 210 => "TOKEN",
        /// IDMS settings (RFC 7272).
        IDMS = 211 => "IDMS",
        /// Reporting group reporting sources (RFC 8861).
        RGRS = 212 => "RGRS",
        /// Splicing notification (RFC 8286).
        SNM = 213 => "SNM",
    }
}

/// A checked view of one RTCP packet: header validated, length within the datagram, padding
/// count sane. The body is validated by [`RtcpPacket::body`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RtcpPacket<'a> {
    buf: &'a [u8],
    base: usize,
    padding: usize,
}

impl<'a> RtcpPacket<'a> {
    /// Checks the packet at the start of `buf` and returns it with the number of bytes it
    /// occupies. `base` is the offset of `buf` in the datagram (for errors and ranges).
    #[inline]
    pub fn new_checked(buf: &'a [u8], base: usize) -> Result<Self> {
        if buf.len() < HEADER_LEN {
            return Err(Error::truncated(
                Layer::Rtcp,
                base,
                "RTCP header",
                HEADER_LEN,
                buf.len(),
            ));
        }
        let b0 = buf[field::FLAGS];
        if b0 >> 6 != 2 {
            return Err(Error::bad_value(
                Layer::Rtcp,
                base,
                "version",
                "version 2",
                u64::from(b0 >> 6),
            ));
        }
        let len = 4 * (usize::from(u16_at(buf, field::LENGTH.start)) + 1);
        if len > buf.len() {
            return Err(Error::truncated(
                Layer::Rtcp,
                base + field::LENGTH.start,
                "RTCP packet (length field)",
                len,
                buf.len(),
            ));
        }
        let mut padding = 0;
        if b0 & 0x20 != 0 {
            padding = usize::from(buf[len - 1]);
            if padding == 0 || padding > len - HEADER_LEN {
                return Err(Error::bad_length(
                    Layer::Rtcp,
                    base + len - 1,
                    "padding count",
                    "1 up to the body length (the count includes itself)",
                    padding,
                ));
            }
        }
        Ok(RtcpPacket {
            buf: &buf[..len],
            base,
            padding,
        })
    }

    /// The whole packet (header, body, padding).
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Range of the packet in the datagram.
    #[inline]
    pub fn range(&self) -> Field {
        self.base..self.base + self.buf.len()
    }

    /// Length in bytes (4 × (length field + 1)).
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Always false (a packet has at least its header).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The P bit.
    #[inline]
    pub fn has_padding(&self) -> bool {
        u8_at(self.buf, field::FLAGS) & 0x20 != 0
    }

    /// The 5-bit count / FMT / subtype field.
    #[inline]
    pub fn count(&self) -> u8 {
        u8_at(self.buf, field::FLAGS) & 0x1f
    }

    /// The packet type.
    #[inline]
    pub fn packet_type(&self) -> PacketType {
        PacketType(u8_at(self.buf, field::PACKET_TYPE))
    }

    /// The length field (32-bit words minus one).
    #[inline]
    pub fn length_field(&self) -> u16 {
        u16_at(self.buf, field::LENGTH.start)
    }

    /// The body: after the 4-byte header, without padding.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        slice(self.buf, HEADER_LEN..self.buf.len() - self.padding)
    }

    /// Range of the body in the datagram.
    #[inline]
    pub fn payload_range(&self) -> Field {
        self.base + HEADER_LEN..self.base + self.buf.len() - self.padding
    }

    /// Padding length including the count byte (0 without the P bit).
    #[inline]
    pub fn padding_len(&self) -> usize {
        self.padding
    }

    /// Range of the padding in the datagram.
    #[inline]
    pub fn padding_range(&self) -> Field {
        self.base + self.buf.len() - self.padding..self.base + self.buf.len()
    }

    /// The SSRC of the packet sender (the first body word of SR, RR, APP, RTPFB, PSFB and XR;
    /// the first chunk's SSRC in SDES and the first source in BYE), when the body has it.
    #[inline]
    pub fn sender_ssrc(&self) -> Option<u32> {
        (self.payload().len() >= 4).then(|| u32_at(self.buf, field::SENDER_SSRC.start))
    }

    /// True when the packet is an SR or RR (the required first packet of a compound).
    #[inline]
    pub fn is_report(&self) -> bool {
        matches!(self.packet_type(), PacketType::SR | PacketType::RR)
    }

    /// The typed body view.
    #[inline]
    pub fn body(&self) -> Result<RtcpBody<'a>> {
        let body = self.payload();
        let at = self.base + HEADER_LEN;
        let count = self.count();
        Ok(match self.packet_type() {
            PacketType::SR => RtcpBody::SenderReport(SenderReport::new_checked(body, at, count)?),
            PacketType::RR => {
                RtcpBody::ReceiverReport(ReceiverReport::new_checked(body, at, count)?)
            }
            PacketType::SDES => RtcpBody::Sdes(Sdes::new_checked(body, at, count)?),
            PacketType::BYE => RtcpBody::Bye(Bye::new_checked(body, at, count)?),
            PacketType::APP => RtcpBody::App(App::new_checked(body, at, count)?),
            PacketType::RTPFB | PacketType::PSFB => {
                RtcpBody::Feedback(Feedback::new_checked(body, at, self.packet_type(), count)?)
            }
            PacketType::XR => RtcpBody::ExtendedReport(ExtendedReport::new_checked(body, at)?),
            _ => RtcpBody::Unknown(body),
        })
    }
}

impl core::fmt::Debug for RtcpPacket<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RtcpPacket")
            .field("packet_type", &self.packet_type())
            .field("count", &self.count())
            .field("range", &self.range())
            .field("padding", &self.padding)
            .finish()
    }
}

/// The typed body of an RTCP packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtcpBody<'a> {
    /// SR.
    SenderReport(SenderReport<'a>),
    /// RR.
    ReceiverReport(ReceiverReport<'a>),
    /// SDES.
    Sdes(Sdes<'a>),
    /// BYE.
    Bye(Bye<'a>),
    /// APP.
    App(App<'a>),
    /// RTPFB or PSFB (see [`Feedback::kind`]).
    Feedback(Feedback<'a>),
    /// XR.
    ExtendedReport(ExtendedReport<'a>),
    /// A packet type this crate does not decode: its body.
    Unknown(&'a [u8]),
}

/// A compound RTCP packet (a datagram of stacked RTCP packets, RFC 3550 §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compound<'a> {
    buf: &'a [u8],
}

impl<'a> Compound<'a> {
    /// Wraps a datagram; nothing is checked until iteration or [`check`](Self::check).
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        Compound { buf }
    }

    /// Iterates the packets (lax: the first framing error is yielded, then iteration stops).
    #[inline]
    pub fn iter(&self) -> CompoundIter<'a> {
        CompoundIter {
            buf: self.buf,
            pos: 0,
            done: false,
        }
    }

    /// True when the first packet is an SR or RR (RFC 3550 §6.1). When false, the datagram is
    /// only valid as reduced-size RTCP (RFC 5506).
    #[inline]
    pub fn first_is_report(&self) -> bool {
        matches!(
            self.buf.get(1).copied().map(PacketType),
            Some(PacketType::SR | PacketType::RR)
        )
    }

    /// Checks the framing of every packet (not the bodies) and the compound rule: the first
    /// packet must be an SR or RR unless `rsize` (RFC 5506 reduced-size RTCP was negotiated), in
    /// which case a datagram with a single non-report packet is also accepted.
    #[inline]
    pub fn check(&self, rsize: bool) -> Result<()> {
        let mut n = 0;
        for p in self.iter() {
            p?;
            n += 1;
        }
        if n == 0 {
            return Err(Error::truncated(
                Layer::Rtcp,
                0,
                "RTCP header",
                HEADER_LEN,
                0,
            ));
        }
        if !(self.first_is_report() || (rsize && n == 1)) {
            return Err(Error::bad_value(
                Layer::Rtcp,
                field::PACKET_TYPE,
                "first packet type",
                if rsize {
                    "SR or RR first in a compound packet (reduced-size RTCP is one packet)"
                } else {
                    "SR or RR (reduced-size RTCP not negotiated)"
                },
                u8_at(self.buf, field::PACKET_TYPE).into(),
            ));
        }
        Ok(())
    }
}

impl<'a> IntoIterator for Compound<'a> {
    type Item = Result<RtcpPacket<'a>>;
    type IntoIter = CompoundIter<'a>;
    fn into_iter(self) -> CompoundIter<'a> {
        self.iter()
    }
}

/// Iterator over the packets of a compound packet.
#[derive(Clone, Debug)]
pub struct CompoundIter<'a> {
    buf: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Iterator for CompoundIter<'a> {
    type Item = Result<RtcpPacket<'a>>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.buf.len() {
            return None;
        }
        match RtcpPacket::new_checked(&self.buf[self.pos..], self.pos) {
            Ok(p) => {
                // Progress: the length field counts words minus one, so a packet is at least
                // its 4-byte header.
                let before = self.pos;
                self.pos += p.len();
                debug_assert!(
                    self.pos >= before + HEADER_LEN,
                    "CompoundIter::next did not advance past an RTCP header"
                );
                Some(Ok(p))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Parses a reduced-size-capable datagram and returns its compound view after checking framing
/// (see [`Compound::check`]).
pub fn parse_compound(buf: &[u8], rsize: bool) -> Result<Compound<'_>> {
    let c = Compound::new(buf);
    c.check(rsize)?;
    Ok(c)
}

/// The owned body of one RTCP packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtcpRepr {
    /// SR.
    SenderReport(SenderReportRepr),
    /// RR.
    ReceiverReport(ReceiverReportRepr),
    /// SDES.
    Sdes(SdesRepr),
    /// BYE.
    Bye(ByeRepr),
    /// APP.
    App(AppRepr),
    /// RTPFB / PSFB with sender and media SSRC.
    Feedback(FeedbackRepr),
    /// RFC 8888 congestion control feedback (RTPFB FMT 11, which has no media SSRC field).
    Ccfb(CcfbRepr),
    /// XR.
    ExtendedReport(XrRepr),
    /// A packet type not decoded here.
    Unknown {
        /// Packet type.
        packet_type: PacketType,
        /// The count field.
        count: u8,
        /// The body (a multiple of 4 bytes when emitted without padding).
        payload: Vec<u8>,
    },
}

/// An owned RTCP packet: body and padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtcpPacketRepr {
    /// The body.
    pub body: RtcpRepr,
    /// Padding length including the count byte (0: no P bit).
    pub padding: u8,
}

/// An owned compound packet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompoundRepr {
    /// The packets in order.
    pub packets: Vec<RtcpPacketRepr>,
}

impl RtcpRepr {
    /// Parses a packet's body completely (strict: every item, every sub-iterator).
    pub fn parse(p: &RtcpPacket<'_>) -> Result<Self> {
        Ok(match p.body()? {
            RtcpBody::SenderReport(v) => RtcpRepr::SenderReport(SenderReportRepr::parse(&v)?),
            RtcpBody::ReceiverReport(v) => RtcpRepr::ReceiverReport(ReceiverReportRepr::parse(&v)?),
            RtcpBody::Sdes(v) => RtcpRepr::Sdes(SdesRepr::parse(&v)?),
            RtcpBody::Bye(v) => RtcpRepr::Bye(ByeRepr::parse(&v)?),
            RtcpBody::App(v) => RtcpRepr::App(AppRepr::parse(&v)),
            RtcpBody::Feedback(v) => match v.kind()? {
                FeedbackKind::Ccfb(c) => RtcpRepr::Ccfb(CcfbRepr::parse(v.sender_ssrc(), &c)?),
                _ => RtcpRepr::Feedback(FeedbackRepr::parse(&v)?),
            },
            RtcpBody::ExtendedReport(v) => RtcpRepr::ExtendedReport(XrRepr::parse(&v)?),
            RtcpBody::Unknown(b) => RtcpRepr::Unknown {
                packet_type: p.packet_type(),
                count: p.count(),
                payload: b.to_vec(),
            },
        })
    }

    /// Appends the body; returns (packet type, count field).
    fn emit_body(&self, out: &mut Vec<u8>) -> Result<(PacketType, u8)> {
        match self {
            RtcpRepr::SenderReport(r) => r.emit(out).map(|c| (PacketType::SR, c)),
            RtcpRepr::ReceiverReport(r) => r.emit(out).map(|c| (PacketType::RR, c)),
            RtcpRepr::Sdes(r) => r.emit(out).map(|c| (PacketType::SDES, c)),
            RtcpRepr::Bye(r) => r.emit(out).map(|c| (PacketType::BYE, c)),
            RtcpRepr::App(r) => r.emit(out).map(|c| (PacketType::APP, c)),
            RtcpRepr::Feedback(r) => r.emit(out),
            RtcpRepr::Ccfb(r) => r.emit(out).map(|()| (PacketType::RTPFB, RtpfbFmt::CCFB.0)),
            RtcpRepr::ExtendedReport(r) => r.emit(out).map(|()| (PacketType::XR, 0)),
            RtcpRepr::Unknown {
                packet_type,
                count,
                payload,
            } => {
                if *count > 31 {
                    return Err(bad_emit("count", "0..=31", (*count).into()));
                }
                out.extend_from_slice(payload);
                Ok((*packet_type, *count))
            }
        }
    }
}

#[inline]
pub(crate) fn bad_emit(field: &'static str, expected: &'static str, found: u64) -> Error {
    Error::bad_value(Layer::Rtcp, 0, field, expected, found)
}

impl RtcpPacketRepr {
    /// Parses one packet completely.
    pub fn parse(p: &RtcpPacket<'_>) -> Result<Self> {
        Ok(RtcpPacketRepr {
            body: RtcpRepr::parse(p)?,
            // Checked: padding is 0..=255.
            padding: p.padding_len() as u8,
        })
    }

    /// Appends the packet (header, body, padding). An unaligned body is zero-padded: to a
    /// multiple of 4 bytes without padding, and so that body plus padding align with it.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(&[0; HEADER_LEN]);
        let (pt, count) = match self.body.emit_body(out) {
            Ok(v) => v,
            Err(e) => {
                out.truncate(start);
                return Err(e);
            }
        };
        if self.padding > 0 {
            // A body that ends unaligned (a transport-cc FCI whose repr dropped the FCI's own
            // trailing zeros) gets zeros before the padding, so body plus padding align.
            let unaligned = (out.len() - start + usize::from(self.padding)) % 4;
            out.resize(out.len() + (4 - unaligned) % 4, 0);
            out.extend(core::iter::repeat_n(0, usize::from(self.padding) - 1));
            out.push(self.padding);
        } else {
            // Bodies that end unaligned (a transport-cc FCI) get zero padding (draft-holmer
            // §3.1: "zero padding"); with the P bit the padding itself aligns them.
            pad_from(out, start);
        }
        let len = out.len() - start;
        if len % 4 != 0 || (len / 4 - 1) > usize::from(u16::MAX) {
            out.truncate(start);
            return Err(Error::bad_length(
                Layer::Rtcp,
                2,
                "RTCP packet length",
                "a multiple of 4 bytes, at most 262144",
                len,
            ));
        }
        out[start] = 0x80 | u8::from(self.padding > 0) << 5 | (count & 0x1f);
        out[start + 1] = pt.0;
        out[start + 2..start + 4].copy_from_slice(&((len / 4 - 1) as u16).to_be_bytes());
        Ok(())
    }
}

impl CompoundRepr {
    /// Parses every packet of a datagram completely (framing, bodies, every item). The compound
    /// rule (SR/RR first) is not applied here; see [`Compound::check`].
    pub fn parse(buf: &[u8]) -> Result<Self> {
        let mut packets = Vec::new();
        for p in Compound::new(buf) {
            packets.push(RtcpPacketRepr::parse(&p?)?);
        }
        if packets.is_empty() {
            return Err(Error::truncated(
                Layer::Rtcp,
                0,
                "RTCP header",
                HEADER_LEN,
                0,
            ));
        }
        Ok(CompoundRepr { packets })
    }

    /// Appends every packet.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        for p in &self.packets {
            let at = out.len() - start;
            if let Err(e) = p.emit(out) {
                out.truncate(start);
                return Err(e.shifted(at));
            }
        }
        Ok(())
    }

    /// Emits into a new vector.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.emit(&mut v)?;
        Ok(v)
    }
}

/// Pushes a big-endian u32.
#[inline]
pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Pushes a big-endian u16.
#[inline]
pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Pads `out` with zeros so that the bytes since `start` are a multiple of 4.
#[inline]
pub(crate) fn pad_from(out: &mut Vec<u8>, start: usize) {
    let n = out.len() - start;
    out.resize(start + rtcscope_wire::pad4(n), 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    // webrtc-rs rtcp packet.rs test vector layout (RR + SDES + BYE + PLI + RRR), assembled per
    // RFC 3550 §6.4.2, §6.5, §6.6 and RFC 4585 §6.3.1.
    const COMPOUND: [u8; 116] = [
        0x81, 0xc9, 0x00, 0x07, 0x90, 0x2f, 0x9e, 0x2e, 0xbc, 0x5e, 0x9a, 0x40, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x46, 0xe1, 0x00, 0x00, 0x01, 0x11, 0x09, 0xf3, 0x64, 0x32, 0x00, 0x02,
        0x4a, 0x79, 0x81, 0xca, 0x00, 0x0c, 0x90, 0x2f, 0x9e, 0x2e, 0x01, 0x26, 0x7b, 0x39, 0x63,
        0x30, 0x30, 0x65, 0x62, 0x39, 0x32, 0x2d, 0x31, 0x61, 0x66, 0x62, 0x2d, 0x39, 0x64, 0x34,
        0x39, 0x2d, 0x61, 0x34, 0x37, 0x64, 0x2d, 0x39, 0x31, 0x66, 0x36, 0x34, 0x65, 0x65, 0x65,
        0x36, 0x39, 0x66, 0x35, 0x7d, 0x00, 0x00, 0x00, 0x00, 0x81, 0xcb, 0x00, 0x01, 0x90, 0x2f,
        0x9e, 0x2e, 0x81, 0xce, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e, 0x90, 0x2f, 0x9e, 0x2e, 0x85,
        0xcd, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e, 0x90, 0x2f, 0x9e, 0x2e,
    ];

    #[test]
    fn compound_walk() {
        let c = Compound::new(&COMPOUND);
        assert!(c.first_is_report());
        c.check(false).unwrap();
        let types: Vec<_> = c.iter().map(|p| p.unwrap().packet_type()).collect();
        assert_eq!(
            types,
            [
                PacketType::RR,
                PacketType::SDES,
                PacketType::BYE,
                PacketType::PSFB,
                PacketType::RTPFB
            ]
        );
        let ranges: Vec<_> = c.iter().map(|p| p.unwrap().range()).collect();
        assert_eq!(ranges, [0..32, 32..84, 84..92, 92..104, 104..116]);
        let repr = CompoundRepr::parse(&COMPOUND).unwrap();
        assert_eq!(repr.to_bytes().unwrap(), COMPOUND);
    }

    #[test]
    fn rsize_rule() {
        let pli = &COMPOUND[92..104];
        let c = Compound::new(pli);
        assert!(!c.first_is_report());
        assert!(c.check(false).is_err());
        c.check(true).unwrap();
        // Two feedback packets without SR/RR are not reduced-size RTCP either.
        let two = [pli, pli].concat();
        assert!(Compound::new(&two).check(true).is_err());
    }

    #[test]
    fn framing_errors_are_located() {
        let mut v = COMPOUND.to_vec();
        v.truncate(100);
        let res: Vec<_> = Compound::new(&v).iter().collect();
        assert_eq!(res.len(), 4);
        let e = res[3].as_ref().unwrap_err();
        assert_eq!((e.offset, e.field), (94, "RTCP packet (length field)"));
        v[84] = 0x41;
        let e = Compound::new(&v).iter().nth(2).unwrap().unwrap_err();
        assert_eq!((e.offset, e.field), (84, "version"));
    }
}
