//! The keyed primitives of one context and the per-packet transforms, stateless: given the
//! rollover counter (SRTP) or the SRTCP index, seal or open one packet. Every primitive comes
//! from RustCrypto (aes, ctr, hmac, sha1, aes-gcm); tags are compared in constant time by
//! `hmac::Mac::verify_truncated_left` and aes-gcm.

use crate::keys::ProfileKeyLengths;
use crate::keys::{SessionKeySet, SessionKeys};
use aes::Aes128;
use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit};
use cipher::{InnerIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use rtcscope_rtp::srtp::SrtpProfile;
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;
type Aes128Ctr = ctr::Ctr128BE<Aes128>;

/// GCM tag length (RFC 7714 §12: 16 octets for both AEAD profiles).
pub(crate) const GCM_TAG_LEN: usize = 16;

// One per context, never per packet: the AES-CM key schedule stays inline (no indirection on
// the hot path) even though it makes the enum large.
#[allow(clippy::large_enum_variant)]
enum Cipher {
    /// AES-128 in counter mode (RFC 3711 §4.1.1), the key schedule kept.
    AesCm(Aes128),
    /// NULL cipher: authentication only.
    Null,
    /// AEAD_AES_128_GCM.
    Gcm128(Box<Aes128Gcm>),
    /// AEAD_AES_256_GCM.
    Gcm256(Box<Aes256Gcm>),
}

/// The keyed primitives of SRTP or of SRTCP.
struct Keyed {
    cipher: Cipher,
    salt: [u8; 14],
    /// HMAC-SHA1 already keyed (cloned per packet: no re-keying cost).
    mac: Option<HmacSha1>,
}

impl Keyed {
    fn new(profile: SrtpProfile, set: &SessionKeySet) -> Self {
        let key = &set.key[..profile.master_key_len()];
        let cipher = match profile {
            SrtpProfile::Aes128CmHmacSha1_80 | SrtpProfile::Aes128CmHmacSha1_32 => {
                Cipher::AesCm(Aes128::new(key.into()))
            }
            SrtpProfile::NullHmacSha1_80 | SrtpProfile::NullHmacSha1_32 => Cipher::Null,
            SrtpProfile::AeadAes128Gcm => Cipher::Gcm128(Box::new(Aes128Gcm::new(key.into()))),
            SrtpProfile::AeadAes256Gcm => Cipher::Gcm256(Box::new(Aes256Gcm::new(key.into()))),
        };
        let mac = (!profile.is_aead()).then(|| {
            <HmacSha1 as Mac>::new_from_slice(&set.auth).expect("HMAC takes keys of any length")
        });
        Keyed {
            cipher,
            salt: set.salt,
            mac,
        }
    }

    /// AES-CM keystream XOR (RFC 3711 §4.1.1): IV = (salt·2^16) ⊕ (SSRC·2^64) ⊕ (index·2^16).
    fn ctr_apply(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        if let Cipher::AesCm(aes) = &self.cipher {
            let mut iv = [0u8; 16];
            iv[..14].copy_from_slice(&self.salt);
            for (b, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
                *b ^= s;
            }
            for (b, i) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
                *b ^= i;
            }
            let core = ctr::CtrCore::<Aes128, ctr::flavors::Ctr128BE>::inner_iv_init(
                aes.clone(),
                &iv.into(),
            );
            Aes128Ctr::from_core(core).apply_keystream(data);
        }
    }

    /// HMAC-SHA1 over the parts, checked against a truncated tag in constant time.
    fn mac_verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        let Some(mac) = &self.mac else {
            return false;
        };
        let mut m = mac.clone();
        for p in parts {
            m.update(p);
        }
        m.verify_truncated_left(tag).is_ok()
    }

    /// HMAC-SHA1 over the parts, truncated into `out`.
    fn mac_tag(&self, parts: &[&[u8]], out: &mut [u8]) {
        if let Some(mac) = &self.mac {
            let mut m = mac.clone();
            for p in parts {
                m.update(p);
            }
            let full = m.finalize().into_bytes();
            out.copy_from_slice(&full[..out.len()]);
        }
    }

    /// The RFC 7714 §8.1 / §9.1 IV: the 12-byte block XOR the session salt.
    fn gcm_nonce(&self, mut block: [u8; 12]) -> [u8; 12] {
        for (b, s) in block.iter_mut().zip(&self.salt[..12]) {
            *b ^= s;
        }
        block
    }

    fn gcm_open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> bool {
        if tag.len() != GCM_TAG_LEN {
            return false;
        }
        let n = nonce.into();
        let t = tag.into();
        match &self.cipher {
            Cipher::Gcm128(c) => c.decrypt_in_place_detached(n, aad, buf, t).is_ok(),
            Cipher::Gcm256(c) => c.decrypt_in_place_detached(n, aad, buf, t).is_ok(),
            _ => false,
        }
    }

    fn gcm_seal(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &mut [u8]) {
        let n = nonce.into();
        let t = match &self.cipher {
            Cipher::Gcm128(c) => c.encrypt_in_place_detached(n, aad, buf),
            Cipher::Gcm256(c) => c.encrypt_in_place_detached(n, aad, buf),
            _ => return,
        };
        // Only fails beyond GCM's length limits (2^36 bytes), which no packet reaches.
        if let Ok(t) = t {
            tag.copy_from_slice(&t);
        }
    }
}

/// Where the parts of an SRTP packet are (from `rtcscope_rtp::srtp::SrtpPacket`).
pub(crate) struct SrtpLayout<'a> {
    pub buf: &'a [u8],
    /// End of the clear header (RTP header, CSRCs, extension).
    pub header_end: usize,
    /// End of the encrypted payload.
    pub body_end: usize,
    pub tag: &'a [u8],
    pub ssrc: u32,
    pub seq: u16,
}

/// Where the parts of an SRTCP packet are (from `rtcscope_rtp::srtp::SrtcpPacket`).
pub(crate) struct SrtcpLayout<'a> {
    pub buf: &'a [u8],
    /// End of the (encrypted) compound packet.
    pub body_end: usize,
    /// The 4 bytes of E flag and index.
    pub e_index: [u8; 4],
    /// End of the E flag and index (AES-CM: the authenticated portion ends here).
    pub e_index_end: usize,
    pub tag: &'a [u8],
    pub ssrc: u32,
}

/// The keyed primitives of one master key: SRTP and SRTCP.
pub(crate) struct Crypto {
    profile: SrtpProfile,
    rtp: Keyed,
    rtcp: Keyed,
}

impl Crypto {
    pub(crate) fn new(keys: &SessionKeys) -> Self {
        let p = keys.profile();
        Crypto {
            profile: p,
            rtp: Keyed::new(p, &keys.srtp),
            rtcp: Keyed::new(p, &keys.srtcp),
        }
    }

    /// Verifies and decrypts an SRTP packet under rollover counter `roc`; on success the
    /// plaintext RTP packet is `out[..l.body_end]`. `out` must hold `l.body_end` bytes.
    pub(crate) fn srtp_open(&self, l: &SrtpLayout<'_>, roc: u32, out: &mut [u8]) -> bool {
        let index = (u64::from(roc) << 16) | u64::from(l.seq);
        let plain = &mut out[..l.body_end];
        if self.profile.is_aead() {
            plain.copy_from_slice(&l.buf[..l.body_end]);
            let nonce = self.rtp.gcm_nonce(rtp_iv(l.ssrc, roc, l.seq));
            let (aad, body) = plain.split_at_mut(l.header_end);
            self.rtp.gcm_open(&nonce, aad, body, l.tag)
        } else {
            let authed = &l.buf[..l.body_end];
            if !self.rtp.mac_verify(&[authed, &roc.to_be_bytes()], l.tag) {
                return false;
            }
            plain.copy_from_slice(authed);
            self.rtp
                .ctr_apply(l.ssrc, index, &mut plain[l.header_end..]);
            true
        }
    }

    /// Protects an RTP packet (`plain`, checked, header ending at `header_end`) under `roc`:
    /// writes the SRTP packet to `out` and returns its length. `out` is large enough
    /// (checked by the caller).
    pub(crate) fn srtp_seal(
        &self,
        plain: &[u8],
        header_end: usize,
        roc: u32,
        mki: &[u8],
        out: &mut [u8],
    ) -> usize {
        let n = plain.len();
        let seq = u16::from_be_bytes([plain[2], plain[3]]);
        let ssrc = u32::from_be_bytes([plain[8], plain[9], plain[10], plain[11]]);
        out[..n].copy_from_slice(plain);
        if self.profile.is_aead() {
            let nonce = self.rtp.gcm_nonce(rtp_iv(ssrc, roc, seq));
            let (body, rest) = out.split_at_mut(n);
            let (aad, payload) = body.split_at_mut(header_end);
            self.rtp
                .gcm_seal(&nonce, aad, payload, &mut rest[..GCM_TAG_LEN]);
            rest[GCM_TAG_LEN..GCM_TAG_LEN + mki.len()].copy_from_slice(mki);
            n + GCM_TAG_LEN + mki.len()
        } else {
            let index = (u64::from(roc) << 16) | u64::from(seq);
            self.rtp.ctr_apply(ssrc, index, &mut out[header_end..n]);
            out[n..n + mki.len()].copy_from_slice(mki);
            let t = self.profile.srtp_tag_len();
            let (authed, rest) = out.split_at_mut(n);
            self.rtp.mac_tag(
                &[authed, &roc.to_be_bytes()],
                &mut rest[mki.len()..mki.len() + t],
            );
            n + mki.len() + t
        }
    }

    /// Verifies and decrypts an SRTCP packet; on success the plaintext compound RTCP packet is
    /// `out[..l.body_end]`. `out` must hold `l.body_end + 4` bytes.
    pub(crate) fn srtcp_open(&self, l: &SrtcpLayout<'_>, out: &mut [u8]) -> bool {
        let encrypted = l.e_index[0] & 0x80 != 0;
        let index = u32::from_be_bytes(l.e_index) & 0x7fff_ffff;
        if self.profile.is_aead() {
            let nonce = self.rtcp.gcm_nonce(rtcp_iv(l.ssrc, index));
            if encrypted {
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&l.buf[..8]);
                aad[8..].copy_from_slice(&l.e_index);
                let plain = &mut out[..l.body_end];
                plain.copy_from_slice(&l.buf[..l.body_end]);
                self.rtcp.gcm_open(&nonce, &aad, &mut plain[8..], l.tag)
            } else {
                // RFC 7714 §9.3: the whole clear compound and the E flag and index are AAD.
                out[..l.body_end].copy_from_slice(&l.buf[..l.body_end]);
                out[l.body_end..l.body_end + 4].copy_from_slice(&l.e_index);
                self.rtcp
                    .gcm_open(&nonce, &out[..l.body_end + 4], &mut [], l.tag)
            }
        } else {
            if !self.rtcp.mac_verify(&[&l.buf[..l.e_index_end]], l.tag) {
                return false;
            }
            let plain = &mut out[..l.body_end];
            plain.copy_from_slice(&l.buf[..l.body_end]);
            if encrypted {
                self.rtcp
                    .ctr_apply(l.ssrc, u64::from(index), &mut plain[8..]);
            }
            true
        }
    }

    /// Protects a compound RTCP packet with SRTCP index `index` (31 bits), encrypting it when
    /// `encrypt` (E flag); returns the SRTCP length.
    pub(crate) fn srtcp_seal(
        &self,
        plain: &[u8],
        index: u32,
        encrypt: bool,
        mki: &[u8],
        out: &mut [u8],
    ) -> usize {
        let n = plain.len();
        let ssrc = u32::from_be_bytes([plain[4], plain[5], plain[6], plain[7]]);
        let index = index & 0x7fff_ffff;
        let e_index = (index | if encrypt { 0x8000_0000 } else { 0 }).to_be_bytes();
        out[..n].copy_from_slice(plain);
        if self.profile.is_aead() {
            let nonce = self.rtcp.gcm_nonce(rtcp_iv(ssrc, index));
            let mut tag = [0u8; GCM_TAG_LEN];
            if encrypt {
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&plain[..8]);
                aad[8..].copy_from_slice(&e_index);
                self.rtcp.gcm_seal(&nonce, &aad, &mut out[8..n], &mut tag);
            } else {
                out[n..n + 4].copy_from_slice(&e_index);
                self.rtcp.gcm_seal(&nonce, &out[..n + 4], &mut [], &mut tag);
            }
            out[n..n + GCM_TAG_LEN].copy_from_slice(&tag);
            out[n + GCM_TAG_LEN..n + GCM_TAG_LEN + 4].copy_from_slice(&e_index);
            let m = n + GCM_TAG_LEN + 4;
            out[m..m + mki.len()].copy_from_slice(mki);
            m + mki.len()
        } else {
            if encrypt {
                self.rtcp.ctr_apply(ssrc, u64::from(index), &mut out[8..n]);
            }
            out[n..n + 4].copy_from_slice(&e_index);
            out[n + 4..n + 4 + mki.len()].copy_from_slice(mki);
            let t = self.profile.srtcp_tag_len();
            let m = n + 4 + mki.len();
            let (authed, rest) = out.split_at_mut(m);
            self.rtcp.mac_tag(&[&authed[..n + 4]], &mut rest[..t]);
            m + t
        }
    }
}

/// RFC 7714 §8.1: 00 00 | SSRC | ROC | SEQ (before the XOR with the salt).
fn rtp_iv(ssrc: u32, roc: u32, seq: u16) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[2..6].copy_from_slice(&ssrc.to_be_bytes());
    b[6..10].copy_from_slice(&roc.to_be_bytes());
    b[10..12].copy_from_slice(&seq.to_be_bytes());
    b
}

/// RFC 7714 §9.1: 00 00 | SSRC | 00 00 | 0 + SRTCP index (before the XOR with the salt).
fn rtcp_iv(ssrc: u32, index: u32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[2..6].copy_from_slice(&ssrc.to_be_bytes());
    b[8..12].copy_from_slice(&(index & 0x7fff_ffff).to_be_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::RawSessionKeys;

    /// RFC 3711 Appendix B.2 (AES-CM test vectors): session key 2B7E…, salt F0F1…FD, SSRC 0,
    /// index 0; the keystream for counters 0000, 0001, 0002 is what encrypting zeros gives.
    #[test]
    fn rfc3711_b2_aes_cm_keystream() {
        let key = hex::decode("2B7E151628AED2A6ABF7158809CF4F3C").unwrap();
        let salt = hex::decode("F0F1F2F3F4F5F6F7F8F9FAFBFCFD").unwrap();
        let raw = RawSessionKeys {
            key: &key,
            auth: &[0; 20],
            salt: &salt,
        };
        let keys = SessionKeys::from_raw(SrtpProfile::Aes128CmHmacSha1_80, raw, raw).unwrap();
        let c = Crypto::new(&keys);
        let mut data = [0u8; 48];
        c.rtp.ctr_apply(0, 0, &mut data);
        assert_eq!(
            hex::encode_upper(data),
            "E03EAD0935C95E80E166B16DD92B4EB4\
             D23513162B02D0F72A43A2FE4A5F97AB\
             41E95B3BB0A2E8DD477901E4FCA894C0"
        );
    }
}
