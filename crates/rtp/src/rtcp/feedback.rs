//! RTP/AVPF feedback messages (RFC 4585 §6): transport-layer (RTPFB, PT 205) and
//! payload-specific (PSFB, PT 206).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|   FMT   |       PT      |          length               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  SSRC of packet sender                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  SSRC of media source                         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! :            Feedback Control Information (FCI)                 :
//! ```
//!
//! FCI formats decoded here:
//!
//! * Generic NACK (RFC 4585 §6.2.1): `PID(16) BLP(16)` entries.
//! * TMMBR / TMMBN (RFC 5104 §4.2.1/§4.2.2): `SSRC(32) MxTBR Exp(6) Mantissa(17) Overhead(9)`.
//! * RTCP-SR-REQ (RFC 6051 §3.3): no FCI.
//! * Transport-wide CC (FMT 15): see [`super::twcc`]; RFC 8888 CCFB (FMT 11): see
//!   [`super::ccfb`].
//! * PLI (RFC 4585 §6.3.1): no FCI.
//! * SLI (§6.3.2): `First(13) Number(13) PictureID(6)` entries.
//! * RPSI (§6.3.3): `PB(8) 0 PT(7)` then the native bit string, padded to 32 bits.
//! * FIR (RFC 5104 §4.3.1): `SSRC(32) Seq nr(8) Reserved(24)` entries.
//! * REMB (draft-alvestrand-rmcat-remb-03 §2.2), an AFB (FMT 15):
//!
//! ```text
//! |  Unique identifier 'R' 'E' 'M' 'B'                            |
//! |  Num SSRC     | BR Exp    |  BR Mantissa                      |
//! |   SSRC feedback                                               |
//! ```

use super::ccfb::Ccfb;
use super::twcc::{TransportCc, TwccRepr};
use super::{bad_emit, put_u16, put_u32, PacketType};
use crate::bytes::{shift, slice_from, u16_at, u24_at, u32_at, u8_at};
use rtcscope_wire::{Error, ErrorKind, Field, Layer, Result};

rtcscope_wire::wire_enum! {
    /// RTPFB feedback message type (IANA "FMT Values for RTPFB Payload Types").
    pub struct RtpfbFmt(u8) {
        /// Generic NACK (RFC 4585).
        NACK = 1 => "Generic NACK",
        /// Temporary maximum media stream bit rate request (RFC 5104).
        TMMBR = 3 => "TMMBR",
        /// Temporary maximum media stream bit rate notification (RFC 5104).
        TMMBN = 4 => "TMMBN",
        /// Rapid resynchronisation request (RFC 6051).
        SR_REQ = 5 => "RTCP-SR-REQ",
        /// Rapid acquisition of multicast sessions (RFC 6285).
        RAMS = 6 => "RAMS",
        /// Transport-layer third-party loss early indication (RFC 6642).
        TLLEI = 7 => "TLLEI",
        /// ECN feedback (RFC 6679).
        ECN = 8 => "RTCP-ECN-FB",
        /// Media pause/resume (RFC 7728).
        PAUSE_RESUME = 9 => "PAUSE-RESUME",
        /// Delay budget information (3GPP).
        DBI = 10 => "DBI",
        /// RTP congestion control feedback (RFC 8888).
        CCFB = 11 => "CCFB",
        /// Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions).
        TRANSPORT_CC = 15 => "transport-cc",
    }
}

rtcscope_wire::wire_enum! {
    /// PSFB feedback message type (IANA "FMT Values for PSFB Payload Types").
    pub struct PsfbFmt(u8) {
        /// Picture loss indication (RFC 4585).
        PLI = 1 => "PLI",
        /// Slice loss indication (RFC 4585).
        SLI = 2 => "SLI",
        /// Reference picture selection indication (RFC 4585).
        RPSI = 3 => "RPSI",
        /// Full intra request (RFC 5104).
        FIR = 4 => "FIR",
        /// Temporal-spatial trade-off request (RFC 5104).
        TSTR = 5 => "TSTR",
        /// Temporal-spatial trade-off notification (RFC 5104).
        TSTN = 6 => "TSTN",
        /// Video back channel message (RFC 5104).
        VBCM = 7 => "VBCM",
        /// Payload-specific third-party loss early indication (RFC 6642).
        PSLEI = 8 => "PSLEI",
        /// Region of interest (3GPP).
        ROI = 9 => "ROI",
        /// Layer refresh request (RFC 9614 draft).
        LRR = 10 => "LRR",
        /// Application layer feedback (RFC 4585; REMB lives here).
        AFB = 15 => "AFB",
    }
}

/// Field offsets relative to the feedback body.
pub mod field {
    use rtcscope_wire::Field;
    /// SSRC of the packet sender.
    pub const SENDER_SSRC: Field = 0..4;
    /// SSRC of the media source.
    pub const MEDIA_SSRC: Field = 4..8;
    /// Start of the FCI.
    pub const FCI: usize = 8;
}

/// A feedback message view (RTPFB or PSFB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feedback<'a> {
    body: &'a [u8],
    base: usize,
    packet_type: PacketType,
    fmt: u8,
}

/// The decoded FCI of a feedback message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedbackKind<'a> {
    /// RTPFB generic NACK.
    Nack(Entries<'a, NackPair>),
    /// RTPFB TMMBR.
    Tmmbr(Entries<'a, TmmbItem>),
    /// RTPFB TMMBN.
    Tmmbn(Entries<'a, TmmbItem>),
    /// RTPFB RTCP-SR-REQ (no FCI).
    SrReq,
    /// RTPFB transport-wide congestion control feedback.
    TransportCc(TransportCc<'a>),
    /// RTPFB RFC 8888 congestion control feedback (its "media SSRC" word is the first report's
    /// SSRC).
    Ccfb(Ccfb<'a>),
    /// PSFB picture loss indication (no FCI).
    Pli,
    /// PSFB slice loss indication.
    Sli(Entries<'a, SliEntry>),
    /// PSFB reference picture selection indication.
    Rpsi(Rpsi<'a>),
    /// PSFB full intra request.
    Fir(Entries<'a, FirEntry>),
    /// PSFB AFB receiver estimated maximum bitrate.
    Remb(Remb<'a>),
    /// PSFB AFB with another identifier: raw FCI.
    Afb(&'a [u8]),
    /// Another FMT: raw FCI.
    Other(&'a [u8]),
}

impl<'a> Feedback<'a> {
    /// Checks the two SSRCs (8 bytes).
    #[inline]
    pub fn new_checked(
        body: &'a [u8],
        base: usize,
        packet_type: PacketType,
        fmt: u8,
    ) -> Result<Self> {
        if body.len() < field::FCI {
            return Err(Error::truncated(
                Layer::Rtcp,
                base,
                "feedback sender and media SSRC",
                field::FCI,
                body.len(),
            ));
        }
        Ok(Feedback {
            body,
            base,
            packet_type,
            fmt,
        })
    }
    /// RTPFB or PSFB.
    #[inline]
    pub fn packet_type(&self) -> PacketType {
        self.packet_type
    }
    /// The FMT field.
    #[inline]
    pub fn fmt(&self) -> u8 {
        self.fmt
    }
    /// SSRC of the packet sender.
    #[inline]
    pub fn sender_ssrc(&self) -> u32 {
        u32_at(self.body, field::SENDER_SSRC.start)
    }
    /// SSRC of the media source.
    #[inline]
    pub fn media_ssrc(&self) -> u32 {
        u32_at(self.body, field::MEDIA_SSRC.start)
    }
    /// The FCI.
    #[inline]
    pub fn fci(&self) -> &'a [u8] {
        slice_from(self.body, field::FCI)
    }
    /// Range of the FCI.
    #[inline]
    pub fn fci_range(&self) -> Field {
        self.base + field::FCI..self.base + self.body.len()
    }

    /// Decodes the FCI.
    #[inline]
    pub fn kind(&self) -> Result<FeedbackKind<'a>> {
        let fci = self.fci();
        let at = self.base + field::FCI;
        Ok(if self.packet_type == PacketType::RTPFB {
            match RtpfbFmt(self.fmt) {
                RtpfbFmt::NACK => FeedbackKind::Nack(Entries::new_checked(fci, at, "NACK FCI")?),
                RtpfbFmt::TMMBR => FeedbackKind::Tmmbr(Entries::new_checked(fci, at, "TMMBR FCI")?),
                // RFC 5104 §4.2.2.2: a TMMBN may carry an empty bounding set.
                RtpfbFmt::TMMBN => {
                    FeedbackKind::Tmmbn(Entries::new_checked_allow_empty(fci, at, "TMMBN FCI")?)
                }
                RtpfbFmt::SR_REQ => {
                    expect_empty(fci, at, "RTCP-SR-REQ FCI")?;
                    FeedbackKind::SrReq
                }
                RtpfbFmt::TRANSPORT_CC => {
                    FeedbackKind::TransportCc(TransportCc::new_checked(fci, at)?)
                }
                RtpfbFmt::CCFB => FeedbackKind::Ccfb(Ccfb::new_checked(
                    slice_from(self.body, field::MEDIA_SSRC.start),
                    self.base + field::MEDIA_SSRC.start,
                )?),
                _ => FeedbackKind::Other(fci),
            }
        } else {
            match PsfbFmt(self.fmt) {
                PsfbFmt::PLI => {
                    expect_empty(fci, at, "PLI FCI")?;
                    FeedbackKind::Pli
                }
                PsfbFmt::SLI => FeedbackKind::Sli(Entries::new_checked(fci, at, "SLI FCI")?),
                PsfbFmt::RPSI => FeedbackKind::Rpsi(Rpsi::new_checked(fci, at)?),
                PsfbFmt::FIR => FeedbackKind::Fir(Entries::new_checked(fci, at, "FIR FCI")?),
                PsfbFmt::AFB if fci.starts_with(b"REMB") => {
                    FeedbackKind::Remb(Remb::new_checked(fci, at)?)
                }
                PsfbFmt::AFB => FeedbackKind::Afb(fci),
                _ => FeedbackKind::Other(fci),
            }
        })
    }
}

fn expect_empty(fci: &[u8], at: usize, what: &'static str) -> Result<()> {
    if fci.is_empty() {
        Ok(())
    } else {
        Err(Error::new(
            Layer::Rtcp,
            at,
            what,
            ErrorKind::TrailingBytes { count: fci.len() },
        ))
    }
}

/// A fixed-size FCI entry type.
pub trait FciEntry<'a>: Sized {
    /// Entry length in bytes; at least 1 (the iterators step by it, so 0 is a compile error
    /// where they are used).
    const LEN: usize;
    /// Builds the entry from exactly `LEN` bytes located at `base`.
    fn from_bytes(b: &'a [u8], base: usize) -> Self;
}

/// A list of fixed-size FCI entries whose total length was checked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Entries<'a, T> {
    buf: &'a [u8],
    base: usize,
    _t: core::marker::PhantomData<T>,
}

impl<'a, T: FciEntry<'a>> Entries<'a, T> {
    /// Checks that the FCI is a non-empty multiple of the entry length.
    #[inline]
    pub fn new_checked(buf: &'a [u8], base: usize, what: &'static str) -> Result<Self> {
        const { assert!(T::LEN > 0, "an FCI entry has at least one byte") };
        if buf.is_empty() || buf.len() % T::LEN != 0 {
            return Err(Error::bad_length(
                Layer::Rtcp,
                base,
                what,
                "a non-empty multiple of the entry size",
                buf.len(),
            ));
        }
        Ok(Entries {
            buf,
            base,
            _t: core::marker::PhantomData,
        })
    }
    /// Checks that the FCI is a (possibly empty) multiple of the entry length.
    #[inline]
    pub fn new_checked_allow_empty(buf: &'a [u8], base: usize, what: &'static str) -> Result<Self> {
        if buf.is_empty() {
            return Ok(Entries {
                buf,
                base,
                _t: core::marker::PhantomData,
            });
        }
        Self::new_checked(buf, base, what)
    }
    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len() / T::LEN
    }
    /// True when there are no entries (only possible for an empty TMMBN).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    /// Iterates the entries.
    #[inline]
    pub fn iter(&self) -> EntryIter<'a, T> {
        EntryIter {
            buf: self.buf,
            base: self.base,
            pos: 0,
            _t: core::marker::PhantomData,
        }
    }
}

impl<'a, T: FciEntry<'a> + core::fmt::Debug> core::fmt::Debug for Entries<'a, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: FciEntry<'a>> IntoIterator for Entries<'a, T> {
    type Item = T;
    type IntoIter = EntryIter<'a, T>;
    fn into_iter(self) -> EntryIter<'a, T> {
        self.iter()
    }
}

/// Iterator over fixed-size FCI entries.
#[derive(Clone, Debug)]
pub struct EntryIter<'a, T> {
    buf: &'a [u8],
    base: usize,
    pos: usize,
    _t: core::marker::PhantomData<T>,
}

impl<'a, T: FciEntry<'a>> Iterator for EntryIter<'a, T> {
    type Item = T;
    #[inline]
    fn next(&mut self) -> Option<T> {
        // Progress: an entry type of length 0 would yield forever; it does not compile.
        const { assert!(T::LEN > 0, "an FCI entry has at least one byte") };
        let b = self.buf.get(self.pos..self.pos + T::LEN)?;
        let e = T::from_bytes(b, self.base + self.pos);
        let before = self.pos;
        self.pos += T::LEN;
        debug_assert!(self.pos > before, "EntryIter::next did not advance");
        Some(e)
    }
}

impl<'a> Entries<'a, NackPair> {
    /// Every sequence number reported lost, in order (PID, then each BLP bit from the least
    /// significant).
    #[inline]
    pub fn lost_sequences(&self) -> impl Iterator<Item = u16> + 'a {
        self.iter().flat_map(|p| p.lost())
    }
}

/// A generic NACK entry (RFC 4585 §6.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NackPair {
    /// PID: a lost packet's sequence number.
    pub pid: u16,
    /// BLP: bit i set means PID + i + 1 is lost too.
    pub blp: u16,
    /// Range of the entry.
    pub range: Field,
}

impl NackPair {
    /// The lost sequence numbers this entry reports.
    #[inline]
    pub fn lost(&self) -> NackLost {
        NackLost {
            pid: self.pid,
            blp: self.blp,
            next: 0,
        }
    }
}

impl FciEntry<'_> for NackPair {
    const LEN: usize = 4;
    fn from_bytes(b: &[u8], base: usize) -> Self {
        NackPair {
            pid: u16_at(b, 0),
            blp: u16_at(b, 2),
            range: base..base + 4,
        }
    }
}

/// Iterator over the sequence numbers of one NACK entry.
#[derive(Clone, Debug)]
pub struct NackLost {
    pid: u16,
    blp: u16,
    next: u8,
}

impl Iterator for NackLost {
    type Item = u16;
    #[inline]
    fn next(&mut self) -> Option<u16> {
        if self.next == 0 {
            self.next = 1;
            return Some(self.pid);
        }
        while self.next <= 16 {
            let bit = self.next - 1;
            self.next += 1;
            if self.blp & (1 << bit) != 0 {
                return Some(self.pid.wrapping_add(u16::from(bit) + 1));
            }
        }
        None
    }
}

/// A TMMBR/TMMBN entry (RFC 5104 §4.2.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TmmbItem {
    /// SSRC the request applies to.
    pub ssrc: u32,
    /// MxTBR exponent (6 bits).
    pub exp: u8,
    /// MxTBR mantissa (17 bits).
    pub mantissa: u32,
    /// Measured overhead (9 bits).
    pub overhead: u16,
    /// Range of the entry.
    pub range: Field,
}

impl TmmbItem {
    /// The maximum total media bit rate in bit/s (mantissa · 2^exp, saturating).
    #[inline]
    pub fn bitrate(&self) -> u64 {
        exp_mantissa(self.exp, self.mantissa)
    }
}

fn exp_mantissa(exp: u8, mantissa: u32) -> u64 {
    let v = u128::from(mantissa) << exp;
    u64::try_from(v).unwrap_or(u64::MAX)
}

impl FciEntry<'_> for TmmbItem {
    const LEN: usize = 8;
    fn from_bytes(b: &[u8], base: usize) -> Self {
        let w = u32_at(b, 4);
        TmmbItem {
            ssrc: u32_at(b, 0),
            exp: (w >> 26) as u8,
            mantissa: (w >> 9) & 0x1_ffff,
            overhead: (w & 0x1ff) as u16,
            range: base..base + 8,
        }
    }
}

/// A FIR entry (RFC 5104 §4.3.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirEntry {
    /// SSRC of the media sender that should send a decoder refresh point.
    pub ssrc: u32,
    /// Command sequence number.
    pub seq: u8,
    /// The reserved 24 bits (should be 0).
    pub reserved: u32,
    /// Range of the entry.
    pub range: Field,
}

impl FciEntry<'_> for FirEntry {
    const LEN: usize = 8;
    fn from_bytes(b: &[u8], base: usize) -> Self {
        FirEntry {
            ssrc: u32_at(b, 0),
            seq: u8_at(b, 4),
            reserved: u24_at(b, 5),
            range: base..base + 8,
        }
    }
}

/// An SLI entry (RFC 4585 §6.3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SliEntry {
    /// First lost macroblock (13 bits).
    pub first: u16,
    /// Number of lost macroblocks (13 bits).
    pub number: u16,
    /// Picture ID (6 bits).
    pub picture_id: u8,
    /// Range of the entry.
    pub range: Field,
}

impl FciEntry<'_> for SliEntry {
    const LEN: usize = 4;
    fn from_bytes(b: &[u8], base: usize) -> Self {
        let w = u32_at(b, 0);
        SliEntry {
            first: (w >> 19) as u16,
            number: ((w >> 6) & 0x1fff) as u16,
            picture_id: (w & 0x3f) as u8,
            range: base..base + 4,
        }
    }
}

/// RPSI (RFC 4585 §6.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rpsi<'a> {
    buf: &'a [u8],
    base: usize,
}

impl<'a> Rpsi<'a> {
    /// Checks PB and PT fit and PB does not exceed the bit string.
    #[inline]
    pub fn new_checked(buf: &'a [u8], base: usize) -> Result<Self> {
        if buf.len() < 2 {
            return Err(Error::truncated(
                Layer::Rtcp,
                base,
                "RPSI PB and payload type",
                2,
                buf.len(),
            ));
        }
        let pb = usize::from(buf[0]);
        if pb > 8 * (buf.len() - 2) {
            return Err(Error::bad_value(
                Layer::Rtcp,
                base,
                "RPSI PB",
                "at most the bits of the FCI",
                pb as u64,
            ));
        }
        Ok(Rpsi { buf, base })
    }
    /// PB: padding bits at the end of the bit string.
    #[inline]
    pub fn padding_bits(&self) -> u8 {
        u8_at(self.buf, 0)
    }
    /// Payload type the bit string is defined for.
    #[inline]
    pub fn payload_type(&self) -> u8 {
        u8_at(self.buf, 1) & 0x7f
    }
    /// The bytes holding the native RPSI bit string (including PB padding bits).
    #[inline]
    pub fn bit_string(&self) -> &'a [u8] {
        slice_from(self.buf, 2)
    }
    /// Number of meaningful bits.
    #[inline]
    pub fn bit_len(&self) -> usize {
        8 * self.bit_string().len() - usize::from(self.padding_bits())
    }
    /// Range of the bit string.
    #[inline]
    pub fn bit_string_range(&self) -> Field {
        self.base + 2..self.base + self.buf.len()
    }
}

/// REMB (draft-alvestrand-rmcat-remb-03).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remb<'a> {
    buf: &'a [u8],
    base: usize,
}

impl<'a> Remb<'a> {
    /// Checks the identifier, and that exactly Num SSRC SSRCs follow.
    #[inline]
    pub fn new_checked(buf: &'a [u8], base: usize) -> Result<Self> {
        if buf.len() < 8 {
            return Err(Error::truncated(
                Layer::Rtcp,
                base,
                "REMB identifier and bitrate",
                8,
                buf.len(),
            ));
        }
        if &buf[..4] != b"REMB" {
            return Err(Error::bad_value(
                Layer::Rtcp,
                base,
                "AFB identifier",
                "\"REMB\"",
                u32_at(buf, 0).into(),
            ));
        }
        let n = usize::from(buf[4]);
        if buf.len() != 8 + 4 * n {
            return Err(Error::bad_length(
                Layer::Rtcp,
                base + 4,
                "REMB Num SSRC",
                "the number of SSRCs that follow",
                n,
            ));
        }
        Ok(Remb { buf, base })
    }
    /// Num SSRC.
    #[inline]
    pub fn num_ssrc(&self) -> u8 {
        u8_at(self.buf, 4)
    }
    /// BR Exp (6 bits).
    #[inline]
    pub fn exp(&self) -> u8 {
        u8_at(self.buf, 5) >> 2
    }
    /// BR Mantissa (18 bits).
    #[inline]
    pub fn mantissa(&self) -> u32 {
        u24_at(self.buf, 5) & 0x3_ffff
    }
    /// The estimated maximum bitrate in bit/s (mantissa · 2^exp, saturating).
    #[inline]
    pub fn bitrate(&self) -> u64 {
        exp_mantissa(self.exp(), self.mantissa())
    }
    /// The SSRCs the estimate applies to.
    #[inline]
    pub fn ssrcs(&self) -> super::Sources<'a> {
        super::Sources::new(slice_from(self.buf, 8))
    }
    /// Range of the SSRC list.
    #[inline]
    pub fn ssrcs_range(&self) -> Field {
        shift(8..self.buf.len(), self.base)
    }
}

/// An owned NACK entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NackRepr {
    /// PID.
    pub pid: u16,
    /// BLP.
    pub blp: u16,
}

/// An owned TMMBR/TMMBN entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TmmbRepr {
    /// SSRC.
    pub ssrc: u32,
    /// Exponent (0–63).
    pub exp: u8,
    /// Mantissa (< 2^17).
    pub mantissa: u32,
    /// Overhead (< 2^9).
    pub overhead: u16,
}

/// An owned FIR entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FirRepr {
    /// SSRC.
    pub ssrc: u32,
    /// Sequence number.
    pub seq: u8,
}

/// An owned SLI entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SliRepr {
    /// First (< 2^13).
    pub first: u16,
    /// Number (< 2^13).
    pub number: u16,
    /// Picture ID (< 64).
    pub picture_id: u8,
}

/// Owned FCI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FciRepr {
    /// RTPFB generic NACK.
    Nack(Vec<NackRepr>),
    /// RTPFB TMMBR.
    Tmmbr(Vec<TmmbRepr>),
    /// RTPFB TMMBN.
    Tmmbn(Vec<TmmbRepr>),
    /// RTPFB RTCP-SR-REQ.
    SrReq,
    /// RTPFB transport-wide CC.
    TransportCc(TwccRepr),
    /// PSFB PLI.
    Pli,
    /// PSFB SLI.
    Sli(Vec<SliRepr>),
    /// PSFB RPSI.
    Rpsi {
        /// PB.
        padding_bits: u8,
        /// Payload type.
        payload_type: u8,
        /// Bit string bytes (2 + len must be a multiple of 4).
        bit_string: Vec<u8>,
    },
    /// PSFB FIR.
    Fir(Vec<FirRepr>),
    /// PSFB REMB.
    Remb {
        /// Exponent (0–63).
        exp: u8,
        /// Mantissa (< 2^18).
        mantissa: u32,
        /// SSRCs (at most 255).
        ssrcs: Vec<u32>,
    },
    /// PSFB AFB other than REMB.
    Afb(Vec<u8>),
    /// Another FMT.
    Other {
        /// RTPFB or PSFB.
        packet_type: PacketType,
        /// FMT.
        fmt: u8,
        /// Raw FCI.
        data: Vec<u8>,
    },
}

/// An owned feedback message (everything except RFC 8888 CCFB).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackRepr {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source.
    pub media_ssrc: u32,
    /// FCI.
    pub fci: FciRepr,
}

impl FeedbackRepr {
    /// Parses completely (CCFB is rejected here: use [`super::CcfbRepr`]).
    pub fn parse(v: &Feedback<'_>) -> Result<Self> {
        let fci = match v.kind()? {
            FeedbackKind::Nack(e) => FciRepr::Nack(
                e.iter()
                    .map(|p| NackRepr {
                        pid: p.pid,
                        blp: p.blp,
                    })
                    .collect(),
            ),
            FeedbackKind::Tmmbr(e) => FciRepr::Tmmbr(e.iter().map(tmmb_repr).collect()),
            FeedbackKind::Tmmbn(e) => FciRepr::Tmmbn(e.iter().map(tmmb_repr).collect()),
            FeedbackKind::SrReq => FciRepr::SrReq,
            FeedbackKind::TransportCc(t) => FciRepr::TransportCc(TwccRepr::parse(&t)?),
            FeedbackKind::Ccfb(_) => {
                return Err(Error::bad_value(
                    Layer::Rtcp,
                    v.base,
                    "feedback FMT",
                    "not CCFB (parsed by CcfbRepr)",
                    v.fmt.into(),
                ))
            }
            FeedbackKind::Pli => FciRepr::Pli,
            FeedbackKind::Sli(e) => FciRepr::Sli(
                e.iter()
                    .map(|s| SliRepr {
                        first: s.first,
                        number: s.number,
                        picture_id: s.picture_id,
                    })
                    .collect(),
            ),
            FeedbackKind::Rpsi(r) => FciRepr::Rpsi {
                padding_bits: r.padding_bits(),
                payload_type: r.payload_type(),
                bit_string: r.bit_string().to_vec(),
            },
            FeedbackKind::Fir(e) => FciRepr::Fir(
                e.iter()
                    .map(|f| FirRepr {
                        ssrc: f.ssrc,
                        seq: f.seq,
                    })
                    .collect(),
            ),
            FeedbackKind::Remb(r) => FciRepr::Remb {
                exp: r.exp(),
                mantissa: r.mantissa(),
                ssrcs: r.ssrcs().collect(),
            },
            FeedbackKind::Afb(d) => FciRepr::Afb(d.to_vec()),
            FeedbackKind::Other(d) => FciRepr::Other {
                packet_type: v.packet_type,
                fmt: v.fmt,
                data: d.to_vec(),
            },
        };
        Ok(FeedbackRepr {
            sender_ssrc: v.sender_ssrc(),
            media_ssrc: v.media_ssrc(),
            fci,
        })
    }

    /// Appends the body; returns (packet type, FMT).
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(PacketType, u8)> {
        put_u32(out, self.sender_ssrc);
        put_u32(out, self.media_ssrc);
        let rtpfb = |f: RtpfbFmt| Ok((PacketType::RTPFB, f.0));
        let psfb = |f: PsfbFmt| Ok((PacketType::PSFB, f.0));
        match &self.fci {
            FciRepr::Nack(v) => {
                non_empty(v.len())?;
                for n in v {
                    put_u16(out, n.pid);
                    put_u16(out, n.blp);
                }
                rtpfb(RtpfbFmt::NACK)
            }
            FciRepr::Tmmbr(v) | FciRepr::Tmmbn(v) => {
                if matches!(self.fci, FciRepr::Tmmbr(_)) {
                    non_empty(v.len())?;
                }
                for t in v {
                    if t.exp > 63 || t.mantissa >= 1 << 17 || t.overhead >= 1 << 9 {
                        return Err(bad_emit(
                            "TMMB entry",
                            "exp < 64, mantissa < 2^17, overhead < 2^9",
                            t.mantissa.into(),
                        ));
                    }
                    put_u32(out, t.ssrc);
                    put_u32(
                        out,
                        u32::from(t.exp) << 26 | t.mantissa << 9 | u32::from(t.overhead),
                    );
                }
                rtpfb(if matches!(self.fci, FciRepr::Tmmbr(_)) {
                    RtpfbFmt::TMMBR
                } else {
                    RtpfbFmt::TMMBN
                })
            }
            FciRepr::SrReq => rtpfb(RtpfbFmt::SR_REQ),
            FciRepr::TransportCc(t) => {
                t.emit(out)?;
                rtpfb(RtpfbFmt::TRANSPORT_CC)
            }
            FciRepr::Pli => psfb(PsfbFmt::PLI),
            FciRepr::Sli(v) => {
                non_empty(v.len())?;
                for s in v {
                    if s.first >= 1 << 13 || s.number >= 1 << 13 || s.picture_id >= 64 {
                        return Err(bad_emit(
                            "SLI entry",
                            "first, number < 2^13, picture ID < 64",
                            s.first.into(),
                        ));
                    }
                    put_u32(
                        out,
                        u32::from(s.first) << 19
                            | u32::from(s.number) << 6
                            | u32::from(s.picture_id),
                    );
                }
                psfb(PsfbFmt::SLI)
            }
            FciRepr::Rpsi {
                padding_bits,
                payload_type,
                bit_string,
            } => {
                if *payload_type > 127 || usize::from(*padding_bits) > 8 * bit_string.len() {
                    return Err(bad_emit(
                        "RPSI",
                        "PT < 128 and PB within the bit string",
                        (*padding_bits).into(),
                    ));
                }
                out.push(*padding_bits);
                out.push(*payload_type);
                out.extend_from_slice(bit_string);
                psfb(PsfbFmt::RPSI)
            }
            FciRepr::Fir(v) => {
                non_empty(v.len())?;
                for f in v {
                    put_u32(out, f.ssrc);
                    out.extend_from_slice(&[f.seq, 0, 0, 0]);
                }
                psfb(PsfbFmt::FIR)
            }
            FciRepr::Remb {
                exp,
                mantissa,
                ssrcs,
            } => {
                if *exp > 63 || *mantissa >= 1 << 18 || ssrcs.len() > 255 {
                    return Err(bad_emit(
                        "REMB",
                        "exp < 64, mantissa < 2^18, at most 255 SSRCs",
                        (*mantissa).into(),
                    ));
                }
                out.extend_from_slice(b"REMB");
                out.push(ssrcs.len() as u8);
                out.extend_from_slice(&(u32::from(*exp) << 18 | mantissa).to_be_bytes()[1..]);
                for s in ssrcs {
                    put_u32(out, *s);
                }
                psfb(PsfbFmt::AFB)
            }
            FciRepr::Afb(d) => {
                if d.starts_with(b"REMB") {
                    return Err(bad_emit(
                        "AFB identifier",
                        "not REMB (use FciRepr::Remb)",
                        0,
                    ));
                }
                out.extend_from_slice(d);
                psfb(PsfbFmt::AFB)
            }
            FciRepr::Other {
                packet_type,
                fmt,
                data,
            } => {
                let known = if *packet_type == PacketType::RTPFB {
                    matches!(
                        RtpfbFmt(*fmt),
                        RtpfbFmt::NACK
                            | RtpfbFmt::TMMBR
                            | RtpfbFmt::TMMBN
                            | RtpfbFmt::SR_REQ
                            | RtpfbFmt::TRANSPORT_CC
                            | RtpfbFmt::CCFB
                    )
                } else if *packet_type == PacketType::PSFB {
                    matches!(
                        PsfbFmt(*fmt),
                        PsfbFmt::PLI | PsfbFmt::SLI | PsfbFmt::RPSI | PsfbFmt::FIR | PsfbFmt::AFB
                    )
                } else {
                    true
                };
                if known || *fmt > 31 {
                    return Err(bad_emit(
                        "feedback FMT",
                        "an RTPFB/PSFB FMT without a typed FCI",
                        (*fmt).into(),
                    ));
                }
                out.extend_from_slice(data);
                Ok((*packet_type, *fmt))
            }
        }
    }
}

fn non_empty(n: usize) -> Result<()> {
    if n == 0 {
        Err(bad_emit("FCI entries", "at least one", 0))
    } else {
        Ok(())
    }
}

fn tmmb_repr(t: TmmbItem) -> TmmbRepr {
    TmmbRepr {
        ssrc: t.ssrc,
        exp: t.exp,
        mantissa: t.mantissa,
        overhead: t.overhead,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nack_expansion() {
        // PID 100, BLP 0b1000_0000_0000_0101: 100, 101, 103, 116.
        let fci = [0, 100, 0x80, 0x05];
        let e: Entries<'_, NackPair> = Entries::new_checked(&fci, 12, "NACK FCI").unwrap();
        assert_eq!(e.lost_sequences().collect::<Vec<_>>(), [100, 101, 103, 116]);
        // Wrap-around.
        let fci = [0xff, 0xff, 0x00, 0x01];
        let e: Entries<'_, NackPair> = Entries::new_checked(&fci, 12, "NACK FCI").unwrap();
        assert_eq!(e.lost_sequences().collect::<Vec<_>>(), [65535, 0]);
        assert!(Entries::<NackPair>::new_checked(&fci[..3], 12, "NACK FCI").is_err());
    }

    #[test]
    fn remb_bitrate() {
        // draft-alvestrand-rmcat-remb-03 layout: exp 3, mantissa 0x3ffff -> 2097144 bit/s.
        let fci = [b'R', b'E', b'M', b'B', 1, 0x0f, 0xff, 0xff, 0, 0, 0, 7];
        let r = Remb::new_checked(&fci, 12).unwrap();
        assert_eq!((r.exp(), r.mantissa()), (3, 0x3ffff));
        assert_eq!(r.bitrate(), 0x3ffff << 3);
        assert_eq!(r.ssrcs().collect::<Vec<_>>(), [7]);
        let e = Remb::new_checked(&fci[..8], 12).unwrap_err();
        assert_eq!(e.field, "REMB Num SSRC");
        // A 63 exponent saturates instead of overflowing.
        assert_eq!(exp_mantissa(63, 0x3ffff), u64::MAX);
    }
}
