//! Master keys, the MKI, and the RFC 3711 §4.3 key derivation to session keys.
//!
//! Key bytes are never printed: the `Debug` and `Display` forms of [`MasterKey`] and
//! [`SessionKeys`] show the first two bytes in hex and the length, nothing more.

use crate::error::KeyError;
use aes::{Aes128, Aes256};
use cipher::{KeyIvInit, StreamCipher};
use core::fmt;
use rtcscope_rtp::srtp::SrtpProfile;

type Aes128Ctr = ctr::Ctr128BE<Aes128>;
type Aes256Ctr = ctr::Ctr128BE<Aes256>;

/// Longest master or session key (AEAD_AES_256_GCM).
pub(crate) const MAX_KEY_LEN: usize = 32;
/// Longest master or session salt (the AES-CM profiles).
pub(crate) const MAX_SALT_LEN: usize = 14;
/// HMAC-SHA1 session authentication key length (RFC 3711 §4.2.1: n_a = 160).
pub const AUTH_KEY_LEN: usize = 20;
/// Longest MKI accepted (RFC 4568 §6.1: the MKI length is 1 to 128 bytes).
pub const MAX_MKI_LEN: usize = 128;

/// Key and salt lengths of a profile (kept here rather than on `rtcscope-rtp`'s
/// [`SrtpProfile`], which describes framing only).
pub trait ProfileKeyLengths {
    /// Master (and session) key length in bytes (RFC 5764 §4.1.2, RFC 7714 §12): 32 for
    /// AEAD_AES_256_GCM, 16 for the others.
    fn master_key_len(self) -> usize;
    /// Master (and session) salt length in bytes: 12 for the AEAD profiles (RFC 7714 §12), 14
    /// for the others (RFC 3711 §8.2).
    fn master_salt_len(self) -> usize;
}

impl ProfileKeyLengths for SrtpProfile {
    fn master_key_len(self) -> usize {
        match self {
            SrtpProfile::AeadAes256Gcm => 32,
            _ => 16,
        }
    }
    fn master_salt_len(self) -> usize {
        if self.is_aead() {
            12
        } else {
            14
        }
    }
}

/// `ab12…(16 bytes)`: at most the first two bytes of a secret, and its length.
pub(crate) fn redacted(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(2)];
    format!("{}…({} bytes)", hex::encode(shown), bytes.len())
}

/// A master key identifier (RFC 3711 §3.1): sent in clear in every packet when the key
/// management (SDES `|value:length`) says so. Not a secret, so it prints in full.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mki {
    bytes: Box<[u8]>,
}

impl Mki {
    /// An MKI of exactly these bytes (1 to [`MAX_MKI_LEN`]).
    pub fn new(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.is_empty() || bytes.len() > MAX_MKI_LEN {
            return Err(KeyError::BadMki("the MKI length must be 1 to 128 bytes"));
        }
        Ok(Mki {
            bytes: bytes.into(),
        })
    }

    /// The SDES form `value:length` (RFC 4568 §6.1): `value` as a big-endian integer in
    /// `length` bytes.
    pub fn from_value(value: u64, len: usize) -> Result<Self, KeyError> {
        if len == 0 || len > MAX_MKI_LEN {
            return Err(KeyError::BadMki("the MKI length must be 1 to 128 bytes"));
        }
        if len < 8 && value >> (8 * len) != 0 {
            return Err(KeyError::BadMki("the MKI value does not fit its length"));
        }
        let mut bytes = vec![0u8; len];
        let be = value.to_be_bytes();
        let n = len.min(8);
        bytes[len - n..].copy_from_slice(&be[8 - n..]);
        Ok(Mki {
            bytes: bytes.into(),
        })
    }

    /// The MKI bytes as they appear in packets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The MKI length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false (an MKI has at least one byte); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl fmt::Debug for Mki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mki({})", hex::encode(&self.bytes))
    }
}

/// An SRTP master key and master salt for one profile, and the MKI that tags packets protected
/// with it (when the key management uses one).
///
/// Its `Debug`/`Display` show the profile, the first two key bytes and the lengths only.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    profile: SrtpProfile,
    key: [u8; MAX_KEY_LEN],
    salt: [u8; MAX_SALT_LEN],
    mki: Option<Mki>,
}

impl MasterKey {
    /// A master key from separate key and salt bytes, checked against the profile's lengths
    /// ([`SrtpProfile::master_key_len`], [`SrtpProfile::master_salt_len`]).
    pub fn new(profile: SrtpProfile, key: &[u8], salt: &[u8]) -> Result<Self, KeyError> {
        if key.len() != profile.master_key_len() || salt.len() != profile.master_salt_len() {
            return Err(KeyError::WrongLength {
                profile,
                got: key.len() + salt.len(),
            });
        }
        let mut k = [0u8; MAX_KEY_LEN];
        k[..key.len()].copy_from_slice(key);
        let mut s = [0u8; MAX_SALT_LEN];
        s[..salt.len()].copy_from_slice(salt);
        Ok(MasterKey {
            profile,
            key: k,
            salt: s,
            mki: None,
        })
    }

    /// A master key from `key || salt` as SDES `inline:` carries it (RFC 4568 §6.1,
    /// RFC 7714 §14.1). A wrong length is an error that says which layout it matches (a GCM
    /// key with a 12-byte salt given for an AES-CM profile, a key without its salt…).
    pub fn from_key_salt(profile: SrtpProfile, key_salt: &[u8]) -> Result<Self, KeyError> {
        let k = profile.master_key_len();
        if key_salt.len() != k + profile.master_salt_len() {
            return Err(KeyError::WrongLength {
                profile,
                got: key_salt.len(),
            });
        }
        Self::new(profile, &key_salt[..k], &key_salt[k..])
    }

    /// Bytes of DTLS-SRTP keying material for `profile` (RFC 5764 §4.2): two keys and two
    /// salts.
    pub fn dtls_exporter_len(profile: SrtpProfile) -> usize {
        2 * (profile.master_key_len() + profile.master_salt_len())
    }

    /// Splits the RFC 5764 §4.2 exporter output (label "EXTRACTOR-dtls_srtp",
    /// [`Self::dtls_exporter_len`] bytes) into `(client_write, server_write)` master keys:
    /// `client_key | server_key | client_salt | server_salt`. The DTLS client protects what it
    /// sends with the first, the server with the second.
    pub fn pair_from_dtls_exporter(
        profile: SrtpProfile,
        material: &[u8],
    ) -> Result<(MasterKey, MasterKey), KeyError> {
        let (k, s) = (profile.master_key_len(), profile.master_salt_len());
        if material.len() != 2 * (k + s) {
            return Err(KeyError::WrongExporterLength {
                profile,
                got: material.len(),
            });
        }
        let client = Self::new(profile, &material[..k], &material[2 * k..2 * k + s])?;
        let server = Self::new(profile, &material[k..2 * k], &material[2 * k + s..])?;
        Ok((client, server))
    }

    /// The same key, tagged with an MKI (every packet then carries it).
    pub fn with_mki(mut self, mki: Mki) -> Self {
        self.mki = Some(mki);
        self
    }

    /// The profile.
    pub fn profile(&self) -> SrtpProfile {
        self.profile
    }

    /// The master key bytes.
    pub fn key(&self) -> &[u8] {
        &self.key[..self.profile.master_key_len()]
    }

    /// The master salt bytes.
    pub fn salt(&self) -> &[u8] {
        &self.salt[..self.profile.master_salt_len()]
    }

    /// The MKI, when packets carry one.
    pub fn mki(&self) -> Option<&Mki> {
        self.mki.as_ref()
    }

    /// Derives the six session keys (RFC 3711 §4.3 with a key derivation rate of 0, the only
    /// rate WebRTC and RFC 7714 use; the AES-256 PRF of RFC 6188 §3 for 256-bit master keys).
    pub fn derive(&self) -> SessionKeys {
        let p = self.profile;
        let (key, salt) = (self.key(), self.salt());
        let mut out = SessionKeys {
            profile: p,
            srtp: SessionKeySet::default(),
            srtcp: SessionKeySet::default(),
        };
        for (set, base) in [(&mut out.srtp, 0u8), (&mut out.srtcp, 3u8)] {
            kdf(key, salt, base, &mut set.key[..p.master_key_len()]);
            if !p.is_aead() {
                kdf(key, salt, base + 1, &mut set.auth);
            }
            kdf(key, salt, base + 2, &mut set.salt[..p.master_salt_len()]);
        }
        out
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("profile", &self.profile.sdes_name())
            .field("key", &redacted(self.key()))
            .field("salt", &format_args!("({} bytes)", self.salt().len()))
            .field("mki", &self.mki)
            .finish()
    }
}

impl fmt::Display for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} key {} salt ({} bytes)",
            self.profile.sdes_name(),
            redacted(self.key()),
            self.salt().len()
        )?;
        if let Some(m) = &self.mki {
            write!(f, " MKI {}", hex::encode(m.as_bytes()))?;
        }
        Ok(())
    }
}

/// The AES-CM PRF of RFC 3711 §4.3.3 with r = 0 (key derivation rate 0): the keystream of
/// AES counter mode under the master key, starting at `(master_salt XOR (label << 48)) * 2^16`.
///
/// A 12-byte (AEAD) master salt is padded with zero bytes to the 112 bits the PRF takes, as
/// libsrtp and pion do (RFC 7714 §11 keeps the RFC 3711 KDF for the AEAD profiles).
///
/// The PRF is the `ctr` crate's AES-CTR keystream; only the IV is built here. Checked by RFC
/// 3711 B.3 below and byte for byte against libsrtp in `tests/libsrtp.rs`.
fn kdf(master_key: &[u8], master_salt: &[u8], label: u8, out: &mut [u8]) {
    let mut iv = [0u8; 16];
    iv[..master_salt.len()].copy_from_slice(master_salt);
    // key_id = label || r (56 bits) sits in the low 56 bits of the 112-bit salt: byte 7.
    iv[7] ^= label;
    out.fill(0);
    if master_key.len() == 32 {
        Aes256Ctr::new(master_key.into(), &iv.into()).apply_keystream(out);
    } else {
        Aes128Ctr::new(master_key.into(), &iv.into()).apply_keystream(out);
    }
}

/// The three session keys of one direction of one protocol (SRTP or SRTCP).
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct SessionKeySet {
    pub(crate) key: [u8; MAX_KEY_LEN],
    pub(crate) auth: [u8; AUTH_KEY_LEN],
    pub(crate) salt: [u8; MAX_SALT_LEN],
}

/// The session keys derived from a [`MasterKey`] (or given directly, as RFC 7714's examples
/// do): encryption key, authentication key (HMAC profiles only) and salt, for SRTP and for
/// SRTCP.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    profile: SrtpProfile,
    pub(crate) srtp: SessionKeySet,
    pub(crate) srtcp: SessionKeySet,
}

/// Raw session key bytes for [`SessionKeys::from_raw`].
#[derive(Clone, Copy)]
pub struct RawSessionKeys<'a> {
    /// Session encryption key (16 or 32 bytes; unused by the NULL profiles but still derived).
    pub key: &'a [u8],
    /// Session authentication key (20 bytes for the HMAC profiles, empty for AEAD).
    pub auth: &'a [u8],
    /// Session salt (14 bytes, 12 for AEAD).
    pub salt: &'a [u8],
}

impl fmt::Debug for RawSessionKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawSessionKeys")
            .field("key", &redacted(self.key))
            .field("auth", &redacted(self.auth))
            .field("salt", &format_args!("({} bytes)", self.salt.len()))
            .finish()
    }
}

impl SessionKeys {
    /// Session keys given directly (test vectors, or key management that hands out session
    /// keys), checked against the profile's lengths.
    pub fn from_raw(
        profile: SrtpProfile,
        srtp: RawSessionKeys<'_>,
        srtcp: RawSessionKeys<'_>,
    ) -> Result<Self, KeyError> {
        let auth_len = if profile.is_aead() { 0 } else { AUTH_KEY_LEN };
        let set = |raw: RawSessionKeys<'_>| {
            if raw.key.len() != profile.master_key_len()
                || raw.salt.len() != profile.master_salt_len()
                || raw.auth.len() != auth_len
            {
                return Err(KeyError::WrongSessionKeyLength { profile });
            }
            let mut s = SessionKeySet::default();
            s.key[..raw.key.len()].copy_from_slice(raw.key);
            s.auth[..raw.auth.len()].copy_from_slice(raw.auth);
            s.salt[..raw.salt.len()].copy_from_slice(raw.salt);
            Ok(s)
        };
        Ok(SessionKeys {
            profile,
            srtp: set(srtp)?,
            srtcp: set(srtcp)?,
        })
    }

    /// The profile.
    pub fn profile(&self) -> SrtpProfile {
        self.profile
    }
    fn auth_len(&self) -> usize {
        if self.profile.is_aead() {
            0
        } else {
            AUTH_KEY_LEN
        }
    }
    /// SRTP session encryption key (label 0x00).
    pub fn srtp_key(&self) -> &[u8] {
        &self.srtp.key[..self.profile.master_key_len()]
    }
    /// SRTP session authentication key (label 0x01); empty for AEAD.
    pub fn srtp_auth_key(&self) -> &[u8] {
        &self.srtp.auth[..self.auth_len()]
    }
    /// SRTP session salt (label 0x02).
    pub fn srtp_salt(&self) -> &[u8] {
        &self.srtp.salt[..self.profile.master_salt_len()]
    }
    /// SRTCP session encryption key (label 0x03).
    pub fn srtcp_key(&self) -> &[u8] {
        &self.srtcp.key[..self.profile.master_key_len()]
    }
    /// SRTCP session authentication key (label 0x04); empty for AEAD.
    pub fn srtcp_auth_key(&self) -> &[u8] {
        &self.srtcp.auth[..self.auth_len()]
    }
    /// SRTCP session salt (label 0x05).
    pub fn srtcp_salt(&self) -> &[u8] {
        &self.srtcp.salt[..self.profile.master_salt_len()]
    }
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKeys")
            .field("profile", &self.profile.sdes_name())
            .field("srtp_key", &redacted(self.srtp_key()))
            .field("srtcp_key", &redacted(self.srtcp_key()))
            .finish_non_exhaustive()
    }
}

/// Derives session key `label` of `out.len()` bytes from a master key and salt with the
/// RFC 3711 §4.3 KDF (key derivation rate 0). Exposed for test vectors (RFC 3711 B.3, RFC 6188
/// §7 use 256-bit master keys with profiles this crate does not otherwise offer).
pub fn derive_session_key(
    master_key: &[u8],
    master_salt: &[u8],
    label: u8,
    out: &mut [u8],
) -> Result<(), KeyError> {
    if !matches!(master_key.len(), 16 | 32) || !matches!(master_salt.len(), 12 | 14) {
        return Err(KeyError::BadKdfInput);
    }
    kdf(master_key, master_salt, label, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 3711 Appendix B.3 (key derivation test vectors).
    #[test]
    fn rfc3711_b3_key_derivation() {
        let mk = MasterKey::new(
            SrtpProfile::Aes128CmHmacSha1_80,
            &h("E1F97A0D3E018BE0D64FA32C06DE4139"),
            &h("0EC675AD498AFEEBB6960B3AABE6"),
        )
        .unwrap();
        let s = mk.derive();
        assert_eq!(s.srtp_key(), h("C61E7A93744F39EE10734AFE3FF7A087"));
        assert_eq!(s.srtp_salt(), h("30CBBC08863D8C85D49DB34A9AE1"));
        assert_eq!(
            s.srtp_auth_key(),
            h("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
        );
    }

    /// RFC 6188 §7.1 (AES-256 PRF key derivation): the 256-bit PRF the AEAD_AES_256_GCM
    /// profile's KDF uses.
    #[test]
    fn rfc6188_aes256_kdf() {
        let key = h("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6");
        let salt = h("3b04803de51ee7c96423ab5b78d2");
        let mut out = [0u8; 32];
        derive_session_key(&key, &salt, 0, &mut out).unwrap();
        assert_eq!(
            out.to_vec(),
            h("5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4")
        );
        let mut auth = [0u8; 20];
        derive_session_key(&key, &salt, 1, &mut auth).unwrap();
        assert_eq!(auth.to_vec(), h("fd9c32d39ed5fbb5a9dc96b30818454d1313dc05"));
        let mut s = [0u8; 14];
        derive_session_key(&key, &salt, 2, &mut s).unwrap();
        assert_eq!(s.to_vec(), h("fa31791685ca444a9e07c6c64e93"));
    }

    #[test]
    fn keys_are_redacted() {
        let key = [0x5au8; 16];
        let salt = [0xa5u8; 14];
        let mk = MasterKey::new(SrtpProfile::Aes128CmHmacSha1_80, &key, &salt).unwrap();
        for text in [format!("{mk:?}"), format!("{mk}")] {
            assert!(text.contains("5a5a…(16 bytes)"), "{text}");
            assert!(!text.contains("5a5a5a"), "key leaked: {text}");
            assert!(
                !text.to_ascii_lowercase().contains("a5a5"),
                "salt leaked: {text}"
            );
            assert!(text.len() < 200, "{text}");
        }
        let derived = mk.derive();
        let dbg = format!("{derived:?}");
        let sk = hex::encode(derived.srtp_key());
        assert!(!dbg.contains(&sk[..8]), "session key leaked: {dbg}");
    }

    #[test]
    fn mki_value_length() {
        assert_eq!(Mki::from_value(1, 1).unwrap().as_bytes(), [1]);
        assert_eq!(Mki::from_value(0x102, 4).unwrap().as_bytes(), [0, 0, 1, 2]);
        assert_eq!(Mki::from_value(5, 10).unwrap().as_bytes()[9], 5);
        assert!(Mki::from_value(256, 1).is_err());
        assert!(Mki::from_value(1, 0).is_err());
        assert!(Mki::from_value(1, 129).is_err());
    }

    #[test]
    fn dtls_exporter_split() {
        let p = SrtpProfile::Aes128CmHmacSha1_80;
        let m: Vec<u8> = (0..60).collect();
        let (c, s) = MasterKey::pair_from_dtls_exporter(p, &m).unwrap();
        assert_eq!(c.key(), &m[0..16]);
        assert_eq!(s.key(), &m[16..32]);
        assert_eq!(c.salt(), &m[32..46]);
        assert_eq!(s.salt(), &m[46..60]);
        assert!(MasterKey::pair_from_dtls_exporter(p, &m[..56]).is_err());
        let g = SrtpProfile::AeadAes256Gcm;
        assert_eq!(MasterKey::dtls_exporter_len(g), 88);
    }
}
