//! SRTP / SRTCP awareness (RFC 3711, RFC 7714, RFC 9335): which bytes are clear, which are
//! ciphertext, and where the trailer fields are. Nothing here decrypts.
//!
//! The trailer does not describe itself, so the caller (the analysis engine, from SDP `a=crypto`
//! or the DTLS `use_srtp` extension) says whether a flow is protected and with which profile:
//! [`Protection`].
//!
//! SRTP (RFC 3711 §3.1; RFC 7714 §8 for AEAD):
//!
//! ```text
//! AES-CM / NULL:  | RTP header + extensions (clear) | payload (encrypted) | MKI? | auth tag (10|4) |
//! AEAD-GCM:       | RTP header + extensions (clear) | ciphertext | AEAD tag (16) | MKI? |
//! ```
//!
//! SRTCP (RFC 3711 §3.4; RFC 7714 §9 for AEAD): only the first 8 bytes (the first header and the
//! sender SSRC) are clear.
//!
//! ```text
//! AES-CM / NULL:  | hdr + SSRC (8) | encrypted rest | E | SRTCP index (31) | MKI? | auth tag (10) |
//! AEAD-GCM:       | hdr + SSRC (8) | ciphertext | AEAD tag (16) | E | SRTCP index (31) | MKI? |
//! ```
//!
//! With E = 0 the SRTCP payload is clear (only authenticated) and [`SrtcpPacket::clear_compound`]
//! exposes it to the ordinary parser. Header extensions of SRTP are clear unless RFC 9335
//! "cryptex" is in use (profile `0xC0DE`/`0xC2DE`: CSRCs and extensions are then encrypted), or
//! individual elements are RFC 6904-encrypted (their data is opaque; the extension map marks them
//! [`crate::rtp::ExtensionKind::Encrypted`]).
//!
//! Decrypted packets re-enter through the clear parsers: [`crate::rtp::RtpPacket::new_checked`]
//! and [`crate::rtcp::Compound::new`] over the plaintext are all that is needed.

use crate::bytes::{slice, u16_at, u32_at, u8_at};
use crate::rtcp::{Compound, PacketType};
use crate::rtp::{ExtensionBlock, RtpPacket};
use rtcscope_wire::{Error, Field, Layer, Result};

/// An SRTP protection profile (RFC 5764 §4.1.2, RFC 7714 §14.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SrtpProfile {
    /// SRTP_AES128_CM_HMAC_SHA1_80 / AES_CM_128_HMAC_SHA1_80.
    Aes128CmHmacSha1_80,
    /// SRTP_AES128_CM_HMAC_SHA1_32 / AES_CM_128_HMAC_SHA1_32 (SRTCP still uses an 80-bit tag).
    Aes128CmHmacSha1_32,
    /// SRTP_AEAD_AES_128_GCM.
    AeadAes128Gcm,
    /// SRTP_AEAD_AES_256_GCM.
    AeadAes256Gcm,
    /// SRTP_NULL_HMAC_SHA1_80 (authenticated, not encrypted).
    NullHmacSha1_80,
    /// SRTP_NULL_HMAC_SHA1_32 (authenticated, not encrypted; SRTCP tag 80 bits).
    NullHmacSha1_32,
}

impl SrtpProfile {
    /// Every profile.
    pub const ALL: [SrtpProfile; 6] = [
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::Aes128CmHmacSha1_32,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm,
        SrtpProfile::NullHmacSha1_80,
        SrtpProfile::NullHmacSha1_32,
    ];

    /// SRTP authentication tag length (for AEAD: the GCM tag).
    #[inline]
    pub const fn srtp_tag_len(self) -> usize {
        match self {
            SrtpProfile::Aes128CmHmacSha1_80 | SrtpProfile::NullHmacSha1_80 => 10,
            SrtpProfile::Aes128CmHmacSha1_32 | SrtpProfile::NullHmacSha1_32 => 4,
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm => 16,
        }
    }

    /// SRTCP authentication tag length (RFC 5764 §4.1.2: 80 bits for both HMAC profiles).
    #[inline]
    pub const fn srtcp_tag_len(self) -> usize {
        match self {
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm => 16,
            _ => 10,
        }
    }

    /// True for the AEAD (GCM) profiles, whose tag precedes the MKI / SRTCP index.
    #[inline]
    pub const fn is_aead(self) -> bool {
        matches!(
            self,
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm
        )
    }

    /// False for the NULL cipher profiles (payload is authenticated but clear).
    #[inline]
    pub const fn encrypts(self) -> bool {
        !matches!(
            self,
            SrtpProfile::NullHmacSha1_80 | SrtpProfile::NullHmacSha1_32
        )
    }

    /// The DTLS-SRTP protection profile identifier (`use_srtp` extension).
    #[inline]
    pub const fn dtls_id(self) -> u16 {
        match self {
            SrtpProfile::Aes128CmHmacSha1_80 => 0x0001,
            SrtpProfile::Aes128CmHmacSha1_32 => 0x0002,
            SrtpProfile::NullHmacSha1_80 => 0x0005,
            SrtpProfile::NullHmacSha1_32 => 0x0006,
            SrtpProfile::AeadAes128Gcm => 0x0007,
            SrtpProfile::AeadAes256Gcm => 0x0008,
        }
    }

    /// The profile with this DTLS-SRTP identifier.
    #[inline]
    pub fn from_dtls_id(id: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.dtls_id() == id)
    }

    /// The SDES (`a=crypto`, RFC 4568 / RFC 7714 §14.1) crypto-suite name.
    #[inline]
    pub const fn sdes_name(self) -> &'static str {
        match self {
            SrtpProfile::Aes128CmHmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            SrtpProfile::Aes128CmHmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            SrtpProfile::AeadAes128Gcm => "AEAD_AES_128_GCM",
            SrtpProfile::AeadAes256Gcm => "AEAD_AES_256_GCM",
            SrtpProfile::NullHmacSha1_80 => "NULL_HMAC_SHA1_80",
            SrtpProfile::NullHmacSha1_32 => "NULL_HMAC_SHA1_32",
        }
    }

    /// The DTLS-SRTP profile name (RFC 5764 §4.1.2).
    #[inline]
    pub const fn dtls_name(self) -> &'static str {
        match self {
            SrtpProfile::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_HMAC_SHA1_80",
            SrtpProfile::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_HMAC_SHA1_32",
            SrtpProfile::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            SrtpProfile::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
            SrtpProfile::NullHmacSha1_80 => "SRTP_NULL_HMAC_SHA1_80",
            SrtpProfile::NullHmacSha1_32 => "SRTP_NULL_HMAC_SHA1_32",
        }
    }

    /// Looks a profile up by its SDES or DTLS-SRTP name.
    #[inline]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.sdes_name() == name || p.dtls_name() == name)
    }
}

/// Whether a flow's RTP/RTCP is protected, as set by whoever knows (SDP, DTLS handshake).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Protection {
    /// Cleartext RTP/RTCP (or already decrypted).
    #[default]
    Clear,
    /// SRTP/SRTCP with a known profile.
    Srtp {
        /// The protection profile.
        profile: SrtpProfile,
        /// MKI length in bytes (0 when no MKI is used, as in DTLS-SRTP).
        mki_len: u8,
    },
    /// SRTP/SRTCP with an unknown profile: only the clear header can be shown.
    SrtpUnknownProfile,
}

impl Protection {
    /// SRTP with `profile` and no MKI.
    #[inline]
    pub const fn srtp(profile: SrtpProfile) -> Self {
        Protection::Srtp {
            profile,
            mki_len: 0,
        }
    }
}

fn short(layer: Layer, what: &'static str, needed: usize, available: usize) -> Error {
    Error::truncated(layer, 0, what, needed, available)
}

/// A checked SRTP packet: the clear header and extensions, the opaque payload, and the trailer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrtpPacket<'a> {
    buf: &'a [u8],
    header: RtpPacket<'a>,
    profile: Option<SrtpProfile>,
    encrypted: Field,
    mki: Option<Field>,
    tag: Option<Field>,
}

impl<'a> SrtpPacket<'a> {
    /// Checks an SRTP packet. With a known profile the trailer (tag, MKI) is located and
    /// stripped; without one, everything after the header is opaque.
    #[inline]
    pub fn new_checked(
        buf: &'a [u8],
        profile: Option<SrtpProfile>,
        mki_len: usize,
    ) -> Result<Self> {
        let (body_end, mki, tag) = match profile {
            None => (buf.len(), None, None),
            Some(p) => {
                let trailer = p.srtp_tag_len() + mki_len;
                if buf.len() < crate::rtp::HEADER_LEN + trailer {
                    return Err(short(
                        Layer::Rtp,
                        "SRTP header and trailer",
                        crate::rtp::HEADER_LEN + trailer,
                        buf.len(),
                    ));
                }
                let end = buf.len() - trailer;
                let t = p.srtp_tag_len();
                let mki = (mki_len > 0).then(|| {
                    if p.is_aead() {
                        buf.len() - mki_len..buf.len()
                    } else {
                        end..end + mki_len
                    }
                });
                let tag = if p.is_aead() {
                    end..end + t
                } else {
                    buf.len() - t..buf.len()
                };
                (end, mki, Some(tag))
            }
        };
        let header = RtpPacket::new_checked_opaque(slice(buf, 0..body_end))?;
        Ok(SrtpPacket {
            buf,
            header,
            profile,
            encrypted: header.payload_range(),
            mki,
            tag,
        })
    }

    /// The whole packet.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
    /// The clear RTP header view. Its payload is the ciphertext; its padding is not
    /// interpreted (the count is encrypted).
    #[inline]
    pub fn header(&self) -> &RtpPacket<'a> {
        &self.header
    }
    /// The profile, when known.
    #[inline]
    pub fn profile(&self) -> Option<SrtpProfile> {
        self.profile
    }
    /// True when RFC 9335 cryptex protects the CSRCs and header extension (profile 0xC0DE or
    /// 0xC2DE).
    #[inline]
    pub fn is_cryptex(&self) -> bool {
        self.header
            .extension()
            .is_some_and(|e| matches!(e.profile(), 0xC0DE | 0xC2DE))
    }
    /// The header extension, when present and in clear (not cryptex).
    #[inline]
    pub fn clear_extension(&self) -> Option<ExtensionBlock<'a>> {
        if self.is_cryptex() {
            None
        } else {
            self.header.extension()
        }
    }
    /// The opaque payload: ciphertext (or, for NULL profiles, authenticated clear bytes that
    /// still include the RTP padding). Without a profile this includes the trailer.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        slice(self.buf, self.encrypted.clone())
    }
    /// Range of the opaque payload.
    #[inline]
    pub fn payload_range(&self) -> Field {
        self.encrypted.clone()
    }
    /// Range of the MKI, when used.
    #[inline]
    pub fn mki_range(&self) -> Option<Field> {
        self.mki.clone()
    }
    /// The authentication tag (AEAD: the GCM tag), when the profile is known.
    #[inline]
    pub fn auth_tag(&self) -> Option<&'a [u8]> {
        self.tag.clone().map(|r| slice(self.buf, r))
    }
    /// Range of the authentication tag.
    #[inline]
    pub fn auth_tag_range(&self) -> Option<Field> {
        self.tag.clone()
    }
}

/// A checked SRTCP packet: the clear first header and sender SSRC, the opaque rest, and the
/// trailer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrtcpPacket<'a> {
    buf: &'a [u8],
    profile: Option<SrtpProfile>,
    encrypted: Field,
    index: Option<Field>,
    mki: Option<Field>,
    tag: Option<Field>,
}

/// Length of the clear part of an SRTCP packet (first header and sender SSRC).
pub const SRTCP_CLEAR_LEN: usize = 8;

impl<'a> SrtcpPacket<'a> {
    /// Checks an SRTCP packet (version 2 in the clear header; room for the trailer).
    #[inline]
    pub fn new_checked(
        buf: &'a [u8],
        profile: Option<SrtpProfile>,
        mki_len: usize,
    ) -> Result<Self> {
        if buf.len() < SRTCP_CLEAR_LEN {
            return Err(short(
                Layer::Rtcp,
                "SRTCP header and sender SSRC",
                8,
                buf.len(),
            ));
        }
        if buf[0] >> 6 != 2 {
            return Err(Error::bad_value(
                Layer::Rtcp,
                0,
                "version",
                "version 2",
                u64::from(buf[0] >> 6),
            ));
        }
        let (enc_end, index, mki, tag) = match profile {
            None => (buf.len(), None, None, None),
            Some(p) => {
                let t = p.srtcp_tag_len();
                let trailer = t + 4 + mki_len;
                if buf.len() < SRTCP_CLEAR_LEN + trailer {
                    return Err(short(
                        Layer::Rtcp,
                        "SRTCP header and trailer",
                        SRTCP_CLEAR_LEN + trailer,
                        buf.len(),
                    ));
                }
                let end = buf.len() - trailer;
                let mki = (mki_len > 0).then(|| {
                    let m = buf.len() - mki_len - if p.is_aead() { 0 } else { t };
                    m..m + mki_len
                });
                if p.is_aead() {
                    // ciphertext | tag | E+index | MKI
                    (end, Some(end + t..end + t + 4), mki, Some(end..end + t))
                } else {
                    // ciphertext | E+index | MKI | tag
                    (end, Some(end..end + 4), mki, Some(buf.len() - t..buf.len()))
                }
            }
        };
        Ok(SrtcpPacket {
            buf,
            profile,
            encrypted: SRTCP_CLEAR_LEN..enc_end,
            index,
            mki,
            tag,
        })
    }
    /// The whole packet.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
    /// The profile, when known.
    #[inline]
    pub fn profile(&self) -> Option<SrtpProfile> {
        self.profile
    }
    /// The first packet's P bit.
    #[inline]
    pub fn has_padding(&self) -> bool {
        u8_at(self.buf, 0) & 0x20 != 0
    }
    /// The first packet's count field.
    #[inline]
    pub fn count(&self) -> u8 {
        u8_at(self.buf, 0) & 0x1f
    }
    /// The first packet's type.
    #[inline]
    pub fn packet_type(&self) -> PacketType {
        PacketType(u8_at(self.buf, 1))
    }
    /// The first packet's length field.
    #[inline]
    pub fn length_field(&self) -> u16 {
        u16_at(self.buf, 2)
    }
    /// The sender SSRC (bytes 4–8).
    #[inline]
    pub fn sender_ssrc(&self) -> u32 {
        u32_at(self.buf, 4)
    }
    /// The E flag (payload encrypted), when the profile is known.
    #[inline]
    pub fn e_flag(&self) -> Option<bool> {
        self.index
            .clone()
            .map(|r| u8_at(self.buf, r.start) & 0x80 != 0)
    }
    /// The 31-bit SRTCP index, when the profile is known.
    #[inline]
    pub fn index(&self) -> Option<u32> {
        self.index
            .clone()
            .map(|r| u32_at(self.buf, r.start) & 0x7fff_ffff)
    }
    /// Range of the E flag and index.
    #[inline]
    pub fn index_range(&self) -> Option<Field> {
        self.index.clone()
    }
    /// The opaque part after the first 8 bytes (without the trailer when the profile is known).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        slice(self.buf, self.encrypted.clone())
    }
    /// Range of the opaque part.
    #[inline]
    pub fn payload_range(&self) -> Field {
        self.encrypted.clone()
    }
    /// Range of the MKI.
    #[inline]
    pub fn mki_range(&self) -> Option<Field> {
        self.mki.clone()
    }
    /// The authentication tag (AEAD: the GCM tag).
    #[inline]
    pub fn auth_tag(&self) -> Option<&'a [u8]> {
        self.tag.clone().map(|r| slice(self.buf, r))
    }
    /// Range of the authentication tag.
    #[inline]
    pub fn auth_tag_range(&self) -> Option<Field> {
        self.tag.clone()
    }
    /// When E = 0 (RFC 3711 §3.4: not encrypted) with a non-AEAD profile, or with a NULL profile,
    /// the compound packet is clear: it can be parsed as ordinary RTCP. `None` otherwise (never
    /// parse ciphertext). For AEAD with E = 0 (RFC 7714 §9.2) the payload is clear too.
    #[inline]
    pub fn clear_compound(&self) -> Option<Compound<'a>> {
        let p = self.profile?;
        let clear = self.e_flag() == Some(false) || !p.encrypts();
        clear.then(|| Compound::new(slice(self.buf, 0..self.encrypted.end)))
    }
}

/// An RTP packet as the protection setting says to read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtpView<'a> {
    /// Clear RTP.
    Clear(RtpPacket<'a>),
    /// SRTP.
    Srtp(SrtpPacket<'a>),
}

impl<'a> RtpView<'a> {
    /// Parses `buf` as RTP under `protection`.
    pub fn parse(buf: &'a [u8], protection: &Protection) -> Result<Self> {
        Ok(match *protection {
            Protection::Clear => RtpView::Clear(RtpPacket::new_checked(buf)?),
            Protection::Srtp { profile, mki_len } => {
                RtpView::Srtp(SrtpPacket::new_checked(buf, Some(profile), mki_len.into())?)
            }
            Protection::SrtpUnknownProfile => RtpView::Srtp(SrtpPacket::new_checked(buf, None, 0)?),
        })
    }
    /// The clear header fields (for SRTP: with an opaque payload).
    #[inline]
    pub fn header(&self) -> &RtpPacket<'a> {
        match self {
            RtpView::Clear(p) => p,
            RtpView::Srtp(s) => s.header(),
        }
    }
}

/// An RTCP datagram as the protection setting says to read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtcpView<'a> {
    /// Clear RTCP.
    Clear(Compound<'a>),
    /// SRTCP.
    Srtcp(SrtcpPacket<'a>),
}

impl<'a> RtcpView<'a> {
    /// Parses `buf` as RTCP under `protection` (clear: framing checked, reduced-size allowed
    /// when `rsize`).
    pub fn parse(buf: &'a [u8], protection: &Protection, rsize: bool) -> Result<Self> {
        Ok(match *protection {
            Protection::Clear => RtcpView::Clear(crate::rtcp::parse_compound(buf, rsize)?),
            Protection::Srtp { profile, mki_len } => RtcpView::Srtcp(SrtcpPacket::new_checked(
                buf,
                Some(profile),
                mki_len.into(),
            )?),
            Protection::SrtpUnknownProfile => {
                RtcpView::Srtcp(SrtcpPacket::new_checked(buf, None, 0)?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles() {
        for p in SrtpProfile::ALL {
            assert_eq!(SrtpProfile::from_dtls_id(p.dtls_id()), Some(p));
            assert_eq!(SrtpProfile::from_name(p.sdes_name()), Some(p));
            assert_eq!(SrtpProfile::from_name(p.dtls_name()), Some(p));
        }
        assert_eq!(SrtpProfile::Aes128CmHmacSha1_32.srtp_tag_len(), 4);
        assert_eq!(SrtpProfile::Aes128CmHmacSha1_32.srtcp_tag_len(), 10);
    }

    #[test]
    fn srtp_trailer_layouts() {
        let mut v = vec![0x80, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        v.extend_from_slice(&[0xee; 20]); // ciphertext
        v.extend_from_slice(&[0xaa; 2]); // MKI
        v.extend_from_slice(&[0xbb; 10]); // tag
        let s = SrtpPacket::new_checked(&v, Some(SrtpProfile::Aes128CmHmacSha1_80), 2).unwrap();
        assert_eq!(s.payload_range(), 12..32);
        assert_eq!(s.mki_range(), Some(32..34));
        assert_eq!(s.auth_tag(), Some(&[0xbb; 10][..]));
        assert_eq!(s.header().ssrc(), 3);
        // Unknown profile: everything after the header is opaque.
        let s = SrtpPacket::new_checked(&v, None, 0).unwrap();
        assert_eq!(s.payload_range(), 12..44);
        assert!(s.auth_tag().is_none());
        // Too short for the trailer.
        assert!(SrtpPacket::new_checked(&v[..20], Some(SrtpProfile::AeadAes128Gcm), 0).is_err());
    }

    #[test]
    fn srtcp_e_flag() {
        // RR header + SSRC, 4 bytes "encrypted", E=1 index 5, 10-byte tag.
        let mut v = vec![0x80, 201, 0, 2, 0, 0, 0, 9, 1, 2, 3, 4, 0x80, 0, 0, 5];
        v.extend_from_slice(&[0xcc; 10]);
        let s = SrtcpPacket::new_checked(&v, Some(SrtpProfile::Aes128CmHmacSha1_80), 0).unwrap();
        assert_eq!((s.e_flag(), s.index()), (Some(true), Some(5)));
        assert_eq!(s.payload_range(), 8..12);
        assert!(s.clear_compound().is_none());
        v[12] = 0;
        let s = SrtcpPacket::new_checked(&v, Some(SrtpProfile::Aes128CmHmacSha1_80), 0).unwrap();
        let c = s.clear_compound().unwrap();
        c.check(false).unwrap(); // one RR whose 4 payload bytes are a profile extension
        assert_eq!(c.iter().count(), 1);
        let s = SrtcpPacket::new_checked(&v, None, 0).unwrap();
        assert_eq!((s.sender_ssrc(), s.packet_type()), (9, PacketType::RR));
        assert_eq!(s.e_flag(), None);
    }
}
