//! Certificate fingerprints in the form of SDP's `a=fingerprint` (RFC 8122 §5):
//! `sha-256 AB:CD:...` (hash function name in lowercase, digest as uppercase hex pairs
//! separated by colons).
//!
//! In DTLS ≤ 1.2 the Certificate message travels in clear, so the fingerprint of the first
//! certificate (the peer's own) can be compared with the one the SDP announced. In DTLS 1.3 the
//! certificate is encrypted and no fingerprint can be computed without decryption.

use core::fmt;
use sha1::Digest as _;

/// Hash function of a fingerprint (the ones WebRTC stacks use; RFC 8122 allows more).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1 (`sha-1`), still seen from old endpoints.
    Sha1,
    /// SHA-256 (`sha-256`), what browsers announce.
    Sha256,
}

impl HashAlgorithm {
    /// The SDP token (`sha-1`, `sha-256`).
    pub const fn sdp_name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "sha-1",
            HashAlgorithm::Sha256 => "sha-256",
        }
    }
}

/// A certificate fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// Hash function.
    pub algorithm: HashAlgorithm,
    /// Digest bytes (20 for SHA-1, 32 for SHA-256).
    pub digest: Vec<u8>,
}

impl Fingerprint {
    /// SHA-256 of a DER certificate.
    pub fn sha256(der: &[u8]) -> Self {
        Fingerprint {
            algorithm: HashAlgorithm::Sha256,
            digest: sha2::Sha256::digest(der).to_vec(),
        }
    }

    /// SHA-1 of a DER certificate.
    pub fn sha1(der: &[u8]) -> Self {
        Fingerprint {
            algorithm: HashAlgorithm::Sha1,
            digest: sha1::Sha1::digest(der).to_vec(),
        }
    }

    /// The digest as uppercase colon-separated hex (`AB:CD:...`), as `openssl x509
    /// -fingerprint` and SDP print it.
    pub fn hex(&self) -> String {
        let mut s = String::with_capacity(self.digest.len() * 3);
        for (i, b) in self.digest.iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            s.push_str(&format!("{b:02X}"));
        }
        s
    }

    /// Parses the value of an SDP `a=fingerprint:` attribute (`sha-256 AB:CD:...`); the hash
    /// name and the hex digits are matched case-insensitively. `None` for other hash functions
    /// or malformed digests.
    pub fn parse_sdp(value: &str) -> Option<Self> {
        let (name, hex) = value.trim().split_once(' ')?;
        let algorithm = if name.eq_ignore_ascii_case("sha-256") {
            HashAlgorithm::Sha256
        } else if name.eq_ignore_ascii_case("sha-1") {
            HashAlgorithm::Sha1
        } else {
            return None;
        };
        let digest = hex
            .trim()
            .split(':')
            .map(|p| {
                if p.len() == 2 {
                    u8::from_str_radix(p, 16).ok()
                } else {
                    None
                }
            })
            .collect::<Option<Vec<u8>>>()?;
        let want = match algorithm {
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha256 => 32,
        };
        (digest.len() == want).then_some(Fingerprint { algorithm, digest })
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.algorithm.sdp_name(), self.hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_sdp_and_parses_back() {
        // SHA-256 of the empty string, a well-known value.
        let fp = Fingerprint::sha256(b"");
        let s = fp.to_string();
        assert!(s.starts_with("sha-256 E3:B0:C4:42:98:FC:1C:14:"), "{s}");
        assert_eq!(s.len(), "sha-256 ".len() + 32 * 3 - 1);
        assert_eq!(Fingerprint::parse_sdp(&s.to_lowercase()), Some(fp));
        assert_eq!(
            Fingerprint::sha1(b"abc").to_string(),
            "sha-1 A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D"
        );
        assert_eq!(Fingerprint::parse_sdp("sha-256 AB:CD"), None);
        assert_eq!(Fingerprint::parse_sdp("md5 AB"), None);
    }
}
