//! The DTLS-SRTP key exporter (RFC 5764 §4.2): the keying material the SRTP stage needs.
//!
//! * ≤ 1.2 (RFC 5705 §4): `PRF(master_secret, "EXTRACTOR-dtls_srtp", client_random +
//!   server_random)`, with the association's PRF (TLS 1.0's for DTLS 1.0).
//! * 1.3 (RFC 8446 §7.5): `HKDF-Expand-Label(Derive-Secret(exporter_master_secret, label, ""),
//!   "exporter", Hash(""), length)`, from the key log's `EXPORTER_SECRET`. The label prefix of
//!   DTLS 1.3 is `"dtls13"` (RFC 9147 §5.9).
//!
//! The material is `client key | server key | client salt | server salt`, lengths by profile.

use super::keys::{hkdf_expand_label, prf, HashAlg, LabelPrefix, Prf};
use super::secret::Secret;
use crate::enums::SrtpProtectionProfile;

/// The exporter label of DTLS-SRTP.
pub const DTLS_SRTP_LABEL: &str = "EXTRACTOR-dtls_srtp";

/// SRTP master key and salt lengths of a protection profile (RFC 5764 §4.1.2, RFC 7714 §12,
/// RFC 8723 §10.1), or `None` for a profile this crate does not know.
pub const fn srtp_key_salt_len(profile: SrtpProtectionProfile) -> Option<(usize, usize)> {
    match profile.0 {
        0x0001 | 0x0002 | 0x0005 | 0x0006 => Some((16, 14)),
        0x0007 => Some((16, 12)),
        0x0008 => Some((32, 12)),
        0x0009 => Some((32, 24)),
        0x000a => Some((64, 24)),
        _ => None,
    }
}

/// SRTP master keys and salts of both directions, for one protection profile. Keys print as
/// a short prefix and their length only (see [`Secret`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrtpKeyingMaterial {
    /// The negotiated profile.
    pub profile: SrtpProtectionProfile,
    /// The master key of what the DTLS client sends.
    pub client_key: Secret,
    /// The master salt of what the DTLS client sends.
    pub client_salt: Secret,
    /// The master key of what the DTLS server sends.
    pub server_key: Secret,
    /// The master salt of what the DTLS server sends.
    pub server_salt: Secret,
}

impl SrtpKeyingMaterial {
    /// Splits exported bytes (`2 * (key + salt)` long) by the profile's lengths; `None` for an
    /// unknown profile or the wrong length.
    pub fn split(profile: SrtpProtectionProfile, material: &[u8]) -> Option<Self> {
        let (k, s) = srtp_key_salt_len(profile)?;
        if material.len() != 2 * (k + s) {
            return None;
        }
        Some(SrtpKeyingMaterial {
            profile,
            client_key: Secret::from_slice(&material[..k]),
            server_key: Secret::from_slice(&material[k..2 * k]),
            client_salt: Secret::from_slice(&material[2 * k..2 * k + s]),
            server_salt: Secret::from_slice(&material[2 * k + s..]),
        })
    }

    /// The exported bytes in their wire order (client key, server key, client salt, server
    /// salt), e.g. to compare with `openssl s_server -keymatexport`.
    pub fn to_exported(&self) -> Vec<u8> {
        [
            self.client_key.bytes(),
            self.server_key.bytes(),
            self.client_salt.bytes(),
            self.server_salt.bytes(),
        ]
        .concat()
    }
}

/// The ≤ 1.2 exporter with no context (RFC 5705 §4), `len` bytes.
pub fn export_tls12(
    prf_kind: Prf,
    master_secret: &[u8],
    client_random: &[u8],
    server_random: &[u8],
    label: &str,
    len: usize,
) -> Secret {
    prf(
        prf_kind,
        master_secret,
        label,
        &[client_random, server_random],
        len,
    )
}

/// The (D)TLS 1.3 exporter (RFC 8446 §7.5) with `context` (empty for DTLS-SRTP, which uses
/// none: in 1.3 "no context" and "empty context" are the same), `len` bytes. `None` when the
/// secret is shorter than the hash.
pub fn export_tls13(
    hash: HashAlg,
    prefix: LabelPrefix,
    exporter_secret: &[u8],
    label: &str,
    context: &[u8],
    len: usize,
) -> Option<Secret> {
    let empty_hash = hash.digest(b"");
    let derived = hkdf_expand_label(
        hash,
        prefix,
        exporter_secret,
        label,
        &empty_hash,
        hash.output_len(),
    )?;
    hkdf_expand_label(
        hash,
        prefix,
        derived.bytes(),
        "exporter",
        &hash.digest(context),
        len,
    )
}

/// DTLS-SRTP keying material of a ≤ 1.2 association.
pub fn srtp_keys_tls12(
    prf_kind: Prf,
    master_secret: &[u8],
    client_random: &[u8],
    server_random: &[u8],
    profile: SrtpProtectionProfile,
) -> Option<SrtpKeyingMaterial> {
    let (k, s) = srtp_key_salt_len(profile)?;
    let m = export_tls12(
        prf_kind,
        master_secret,
        client_random,
        server_random,
        DTLS_SRTP_LABEL,
        2 * (k + s),
    );
    SrtpKeyingMaterial::split(profile, m.bytes())
}

/// DTLS-SRTP keying material of a 1.3 association from its `EXPORTER_SECRET`.
pub fn srtp_keys_tls13(
    hash: HashAlg,
    exporter_secret: &[u8],
    profile: SrtpProtectionProfile,
) -> Option<SrtpKeyingMaterial> {
    let (k, s) = srtp_key_salt_len(profile)?;
    let m = export_tls13(
        hash,
        LabelPrefix::Dtls13,
        exporter_secret,
        DTLS_SRTP_LABEL,
        b"",
        2 * (k + s),
    )?;
    SrtpKeyingMaterial::split(profile, m.bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_by_profile_and_debug_hides_keys() {
        let material: Vec<u8> = (0u8..60).collect();
        let m = SrtpKeyingMaterial::split(SrtpProtectionProfile::AES128_CM_HMAC_SHA1_80, &material)
            .unwrap();
        assert_eq!(m.client_key.bytes(), &material[..16]);
        assert_eq!(m.server_key.bytes(), &material[16..32]);
        assert_eq!(m.client_salt.bytes(), &material[32..46]);
        assert_eq!(m.server_salt.bytes(), &material[46..]);
        assert_eq!(m.to_exported(), material);
        let shown = format!("{m:?}");
        assert!(shown.contains("000102…(16 bytes)"), "{shown}");
        assert!(shown.contains("202122…(14 bytes)"), "{shown}");
        assert!(!shown.contains("03"), "{shown}");
        let gcm: Vec<u8> = (0u8..56).collect();
        let m = SrtpKeyingMaterial::split(SrtpProtectionProfile::AEAD_AES_128_GCM, &gcm).unwrap();
        assert_eq!(m.server_salt.bytes(), &gcm[44..]);
        assert!(SrtpKeyingMaterial::split(SrtpProtectionProfile::AEAD_AES_256_GCM, &gcm).is_none());
        assert_eq!(
            srtp_key_salt_len(SrtpProtectionProfile::AEAD_AES_256_GCM),
            Some((32, 12))
        );
        assert_eq!(srtp_key_salt_len(SrtpProtectionProfile(0x0042)), None);
    }
}
