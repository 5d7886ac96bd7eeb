//! MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, and the keys
//! they use (RFC 8489 §9, §14.5-14.7; RFC 5389 §15.4; RFC 3489 §11.2.8).
//!
//! # Keys
//!
//! * Short-term credentials (ICE, RFC 8489 §9.1.1): key = OpaqueString(password). ICE
//!   passwords are ASCII, for which every preparation is the identity.
//! * Long-term credentials (TURN, RFC 8489 §9.2.2):
//!   `key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))`, or SHA-256 of
//!   the same string when PASSWORD-ALGORITHM is SHA-256. RFC 5389 §15.4 used
//!   `SASLprep(password)` instead, and the published test vectors (RFC 5769 §2.4 and
//!   RFC 8489 Appendix B.1) were computed that way: their password `The<U+00AD>M<U+00AA>tr<U+2168>`
//!   becomes `TheMatrIX` only under SASLprep (OpaqueString keeps `ª` and `Ⅸ`, which are not
//!   changed by NFC, and rejects the soft hyphen). [`PasswordPrep`] chooses.
//!
//! # What is hashed
//!
//! The HMAC (and the CRC of FINGERPRINT) covers the message up to the attribute, with the
//! header's length field set as if the message ended right after that attribute. All helpers
//! here feed the parts to the hash without copying the message.

use crate::types::PasswordAlgorithm;
use hmac::{Hmac, Mac};
use rtcscope_wire::{Error, ErrorKind, Layer, Result};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::borrow::Cow;

pub use crate::message::Check;

/// The XOR constant of FINGERPRINT: "STUN" in ASCII (RFC 8489 §14.7).
pub const FINGERPRINT_XOR: u32 = 0x5354_554E;

/// How a password (and, for OpaqueString, the realm) is prepared before it is hashed into a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PasswordPrep {
    /// SASLprep (RFC 4013), as RFC 5389 §15.4 and the RFC 5769 / RFC 8489 test vectors use.
    #[default]
    SaslPrep,
    /// The OpaqueString profile (RFC 8265 §4.2), as RFC 8489 §9.2.2 prescribes; applied to the
    /// realm and the password.
    OpaqueString,
    /// No preparation: the bytes as given (what many deployed servers do).
    None,
}

/// A password, username or realm that the chosen preparation rejects (prohibited or
/// unassigned code points, an empty OpaqueString...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrepError {
    /// Which input was rejected.
    pub input: &'static str,
    /// Which preparation rejected it.
    pub prep: PasswordPrep,
}

impl core::fmt::Display for PrepError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?} rejects the {}", self.prep, self.input)
    }
}

impl std::error::Error for PrepError {}

/// Prepares `s` with `prep`; `input` names it in the error.
pub fn prepare<'s>(
    s: &'s str,
    prep: PasswordPrep,
    input: &'static str,
) -> core::result::Result<Cow<'s, str>, PrepError> {
    let err = PrepError { input, prep };
    match prep {
        PasswordPrep::None => Ok(Cow::Borrowed(s)),
        PasswordPrep::SaslPrep => stringprep::saslprep(s).map_err(|_| err),
        PasswordPrep::OpaqueString => {
            use precis_core::profile::Profile;
            precis_profiles::OpaqueString::new()
                .enforce(s)
                .map_err(|_| err)
        }
    }
}

/// The short-term key (RFC 8489 §9.1.1): the prepared password.
pub fn short_term_key(
    password: &str,
    prep: PasswordPrep,
) -> core::result::Result<Vec<u8>, PrepError> {
    Ok(prepare(password, prep, "password")?.as_bytes().to_vec())
}

/// The long-term key (RFC 8489 §9.2.2): `H(username ":" realm ":" password)` with `H` MD5 or
/// SHA-256 after the preparation `prep` (SASLprep applies to the password only, as in
/// RFC 5389; OpaqueString to realm and password, as in RFC 8489).
///
/// Algorithms other than MD5 and SHA-256 are unknown and give `None` inside the `Ok`.
pub fn long_term_key(
    username: &str,
    realm: &str,
    password: &str,
    algorithm: PasswordAlgorithm,
    prep: PasswordPrep,
) -> core::result::Result<Option<Vec<u8>>, PrepError> {
    let realm = match prep {
        PasswordPrep::OpaqueString => prepare(realm, prep, "realm")?,
        _ => Cow::Borrowed(realm),
    };
    let password = prepare(password, prep, "password")?;
    let parts: [&[u8]; 5] = [
        username.as_bytes(),
        b":",
        realm.as_bytes(),
        b":",
        password.as_bytes(),
    ];
    Ok(match algorithm {
        PasswordAlgorithm::MD5 => {
            let mut h = md5::Md5::new();
            parts.iter().for_each(|p| h.update(p));
            Some(h.finalize().to_vec())
        }
        PasswordAlgorithm::SHA256 => {
            let mut h = Sha256::new();
            parts.iter().for_each(|p| h.update(p));
            Some(h.finalize().to_vec())
        }
        _ => None,
    })
}

/// USERHASH (RFC 8489 §14.4): SHA-256(OpaqueString(username) ":" OpaqueString(realm)).
pub fn userhash(username: &str, realm: &str) -> core::result::Result<[u8; 32], PrepError> {
    let u = prepare(username, PasswordPrep::OpaqueString, "username")?;
    let r = prepare(realm, PasswordPrep::OpaqueString, "realm")?;
    let mut h = Sha256::new();
    h.update(u.as_bytes());
    h.update(b":");
    h.update(r.as_bytes());
    Ok(h.finalize().into())
}

/// The length field as it must read when hashing `prefix` (the message up to an attribute)
/// followed by an attribute with `value_len` value bytes.
fn adjusted_length(prefix: &[u8], value_len: usize) -> [u8; 2] {
    let len = prefix.len().saturating_sub(20) + 4 + value_len;
    (len as u16).to_be_bytes()
}

/// HMAC-SHA1 over `prefix` (the message up to MESSAGE-INTEGRITY, header included) with the
/// length adjusted to include a MESSAGE-INTEGRITY of `value_len` (20) bytes.
pub fn hmac_sha1(key: &[u8], prefix: &[u8], value_len: usize) -> [u8; 20] {
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(&prefix[..2]);
    mac.update(&adjusted_length(prefix, value_len));
    mac.update(&prefix[4..]);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA1 as RFC 3489 §11.2.8 computes it: over `prefix` as sent, zero-padded to a multiple
/// of 64 bytes.
pub fn hmac_sha1_classic(key: &[u8], prefix: &[u8]) -> [u8; 20] {
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(prefix);
    let pad = (64 - prefix.len() % 64) % 64;
    mac.update(&[0u8; 64][..pad]);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 over `prefix` with the length adjusted to include a MESSAGE-INTEGRITY-SHA256
/// of `value_len` bytes (16 to 32; the caller truncates the result to that).
pub fn hmac_sha256(key: &[u8], prefix: &[u8], value_len: usize) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(&prefix[..2]);
    mac.update(&adjusted_length(prefix, value_len));
    mac.update(&prefix[4..]);
    mac.finalize().into_bytes().into()
}

/// The FINGERPRINT value for `prefix` (the message up to FINGERPRINT), with the length
/// adjusted to include the 8-byte FINGERPRINT attribute.
pub fn fingerprint(prefix: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&prefix[..2]);
    h.update(&adjusted_length(prefix, 4));
    h.update(&prefix[4..]);
    h.finalize() ^ FINGERPRINT_XOR
}

fn head64(b: &[u8]) -> u64 {
    let mut x = [0u8; 8];
    let n = b.len().min(8);
    x[..n].copy_from_slice(&b[..n]);
    u64::from_be_bytes(x)
}

/// Compares a computed MAC with the one found at `offset`, without early exit.
pub(crate) fn compare(
    computed: &[u8],
    found: &[u8],
    offset: usize,
    field: &'static str,
) -> Result<Check> {
    let diff = computed
        .iter()
        .zip(found)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff == 0 && computed.len() == found.len() {
        Ok(Check::Valid)
    } else {
        Err(Error::new(
            Layer::Stun,
            offset,
            field,
            ErrorKind::Mismatch {
                computed: head64(computed),
                found: head64(found),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saslprep_of_the_rfc_password() {
        // RFC 5769 §2.4 / RFC 8489 Appendix B.1: "The<U+00AD>M<U+00AA>tr<U+2168>" -> "TheMatrIX".
        let p = prepare(
            "The\u{00AD}M\u{00AA}tr\u{2168}",
            PasswordPrep::SaslPrep,
            "password",
        );
        assert_eq!(p.unwrap(), "TheMatrIX");
        // OpaqueString does not map it that way.
        let o = prepare(
            "The\u{00AD}M\u{00AA}tr\u{2168}",
            PasswordPrep::OpaqueString,
            "password",
        );
        assert_ne!(o.as_deref().ok(), Some("TheMatrIX"));
        // ASCII passwords are unchanged by all three.
        for prep in [
            PasswordPrep::SaslPrep,
            PasswordPrep::OpaqueString,
            PasswordPrep::None,
        ] {
            assert_eq!(
                prepare("VOkJxbRl1RmTxUk/WvJxBt", prep, "password").unwrap(),
                "VOkJxbRl1RmTxUk/WvJxBt"
            );
        }
        // SASLprep prohibits control characters.
        assert!(prepare("a\u{0007}b", PasswordPrep::SaslPrep, "password").is_err());
    }

    #[test]
    fn md5_long_term_key_of_rfc5769_2_4() {
        // RFC 5769 §2.4: key = MD5("<U+30DE><U+30C8><U+30EA><U+30C3><U+30AF><U+30B9>:example.org:TheMatrIX").
        let k = long_term_key(
            "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}",
            "example.org",
            "The\u{00AD}M\u{00AA}tr\u{2168}",
            PasswordAlgorithm::MD5,
            PasswordPrep::SaslPrep,
        )
        .unwrap()
        .unwrap();
        let direct = md5::Md5::digest(
            "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}:example.org:TheMatrIX".as_bytes(),
        );
        assert_eq!(k, direct.to_vec());
        assert_eq!(
            long_term_key("u", "r", "p", PasswordAlgorithm(7), PasswordPrep::None),
            Ok(None)
        );
    }
}
