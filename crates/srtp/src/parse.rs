//! Key input: SDES `a=crypto` attributes (RFC 4568 §9, RFC 7714 §14.1) and `--srtp-key`
//! strings.
//!
//! `--srtp-key` takes `PROFILE:KEY` (or `PROFILE KEY`), where KEY is key||salt as
//! - base64, as in `a=crypto` (`inline:` and `|lifetime|mki:len` allowed), or
//! - hex (`0x` allowed; `hex:` or `base64:` force the reading),
//!
//! or a whole `a=crypto:` attribute. The usual mistakes get an error that says what was
//! expected: a certificate fingerprint given as a key, a GCM key + 12-byte salt for an AES-CM
//! profile (and the reverse), a key without its salt, any other wrong length.

use crate::error::KeyError;
use crate::keys::ProfileKeyLengths;
use crate::keys::{MasterKey, Mki};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use rtcscope_rtp::srtp::SrtpProfile;

const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One key of an `a=crypto` attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdesKey {
    /// The master key (with its MKI when the attribute gives one).
    pub key: MasterKey,
    /// The key lifetime in packets, when given (`|2^31|`).
    pub lifetime: Option<u64>,
}

/// A parsed `a=crypto` attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdesCrypto {
    /// The attribute tag (which the answer echoes).
    pub tag: u32,
    /// The crypto suite.
    pub profile: SrtpProfile,
    /// The keys (usually one; several are told apart by their MKI).
    pub keys: Vec<SdesKey>,
    /// SRTCP is sent unencrypted (`UNENCRYPTED_SRTCP`): E = 0, which the receiver handles by
    /// itself; kept for display.
    pub unencrypted_srtcp: bool,
}

/// The profile of this name. An unknown name is echoed in the error only when it looks like a
/// profile name (letters, digits and `_`, with a `_`): text in the profile's place may be a
/// misplaced key, which must not be printed.
fn profile_named(name: &str) -> Result<SrtpProfile, KeyError> {
    SrtpProfile::from_name(name).ok_or_else(|| {
        let named = name.contains('_')
            && name.len() <= 40
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if named {
            KeyError::UnknownProfile {
                name: name.to_string(),
            }
        } else {
            KeyError::MissingProfile
        }
    })
}

/// True for `sha-256 AB:CD:…`, `AB:CD:EF:…` (16 or more colon-separated hex pairs) and
/// `a=fingerprint:` lines.
fn looks_like_fingerprint(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    if l.starts_with("a=fingerprint") || l.starts_with("fingerprint:") {
        return true;
    }
    let body = [
        "sha-1 ", "sha-224 ", "sha-256 ", "sha-384 ", "sha-512 ", "md5 ", "md2 ",
    ]
    .iter()
    .find_map(|h| l.strip_prefix(h))
    .map(str::trim);
    if body.is_some() {
        return true;
    }
    let pairs: Vec<&str> = l.split(':').collect();
    pairs.len() >= 16
        && pairs
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `2^31` or `1000`.
fn parse_lifetime(s: &str) -> Result<u64, KeyError> {
    if let Some(exp) = s.strip_prefix("2^") {
        let e: u32 = exp.parse().map_err(|_| KeyError::BadLifetime)?;
        1u64.checked_shl(e)
            .filter(|_| e < 64)
            .ok_or(KeyError::BadLifetime)
    } else {
        s.parse().map_err(|_| KeyError::BadLifetime)
    }
}

/// `value:length` (RFC 4568 §6.1).
fn parse_mki(s: &str) -> Result<Mki, KeyError> {
    let (v, l) = s
        .split_once(':')
        .ok_or(KeyError::BadMki("expected value:length"))?;
    let value: u64 = v
        .parse()
        .map_err(|_| KeyError::BadMki("the value is not a decimal number"))?;
    let len: usize = l
        .parse()
        .map_err(|_| KeyError::BadMki("the length is not a decimal number"))?;
    Mki::from_value(value, len)
}

/// Decodes key||salt: base64, or hex when the text is hex of the profile's length (or is
/// marked `hex:` / `0x`).
fn decode_material(profile: SrtpProfile, text: &str) -> Result<Vec<u8>, KeyError> {
    let want = profile.master_key_len() + profile.master_salt_len();
    let is_hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(h) = text
        .strip_prefix("hex:")
        .or_else(|| text.strip_prefix("0x"))
    {
        return hex::decode(h).map_err(|_| KeyError::BadEncoding("bad hex digits"));
    }
    if let Some(b) = text.strip_prefix("base64:") {
        return B64
            .decode(b)
            .map_err(|_| KeyError::BadEncoding("bad base64"));
    }
    // Hex of a length some key layout has (the profile's, or a mistaken one the length check
    // explains). Base64 of those lengths is never 2× them, so the readings cannot collide
    // except for an all-hex-digit base64 string, which a random key never is.
    let hex_len = [want, 16, 28, 30, 32, 44, 46].contains(&(text.len() / 2));
    if is_hex(text) && text.len() % 2 == 0 && hex_len {
        return hex::decode(text).map_err(|_| KeyError::BadEncoding("bad hex digits"));
    }
    match B64.decode(text) {
        Ok(v) => Ok(v),
        Err(_) if is_hex(text) && text.len() % 2 == 0 => {
            hex::decode(text).map_err(|_| KeyError::BadEncoding("bad hex digits"))
        }
        Err(_) => Err(KeyError::BadEncoding(
            "expected base64 (as in a=crypto inline:) or hex",
        )),
    }
}

/// `KEY[|lifetime][|mki:len]` → key, lifetime.
fn parse_key_info(profile: SrtpProfile, info: &str) -> Result<SdesKey, KeyError> {
    let mut parts = info.split('|');
    let material = parts.next().unwrap_or_default().trim();
    if material.is_empty() {
        return Err(KeyError::Empty);
    }
    if looks_like_fingerprint(material) {
        return Err(KeyError::Fingerprint);
    }
    let bytes = decode_material(profile, material)?;
    let mut key = MasterKey::from_key_salt(profile, &bytes)?;
    let mut lifetime = None;
    for p in parts {
        if p.contains(':') {
            key = key.with_mki(parse_mki(p)?);
        } else {
            lifetime = Some(parse_lifetime(p)?);
        }
    }
    Ok(SdesKey { key, lifetime })
}

/// Parses an SDES crypto attribute: `a=crypto:1 AES_CM_128_HMAC_SHA1_80
/// inline:BASE64|2^31|1:1`, with or without the `a=crypto:` prefix. Several `inline:` keys
/// (separated by `;`) are all returned. Session parameters: `KDR=0` and `WSH=`, `FEC_ORDER=`,
/// `FEC_KEY=` are accepted, `UNENCRYPTED_SRTCP` is noted, and a non-zero `KDR`,
/// `UNENCRYPTED_SRTP` and `UNAUTHENTICATED_SRTP` are refused as unsupported.
pub fn parse_crypto_attribute(line: &str) -> Result<SdesCrypto, KeyError> {
    let line = line.trim();
    if line.is_empty() {
        return Err(KeyError::Empty);
    }
    if looks_like_fingerprint(line) {
        return Err(KeyError::Fingerprint);
    }
    let body = line
        .strip_prefix("a=crypto:")
        .or_else(|| line.strip_prefix("crypto:"))
        .unwrap_or(line);
    let mut fields = body.split_ascii_whitespace();
    let tag = fields
        .next()
        .ok_or(KeyError::BadAttribute("no tag"))?
        .parse::<u32>()
        .map_err(|_| KeyError::BadAttribute("the tag is not a decimal number"))?;
    let profile = profile_named(
        fields
            .next()
            .ok_or(KeyError::BadAttribute("no crypto suite"))?,
    )?;
    let params = fields
        .next()
        .ok_or(KeyError::BadAttribute("no key parameters"))?;
    let mut keys = Vec::new();
    for kp in params.split(';') {
        let info = kp
            .strip_prefix("inline:")
            .ok_or(KeyError::Unsupported("key methods other than inline:"))?;
        keys.push(parse_key_info(profile, info)?);
    }
    let mut unencrypted_srtcp = false;
    for sp in fields {
        match sp.split_once('=').map_or((sp, ""), |(k, v)| (k, v)) {
            ("KDR", "0") => {}
            ("KDR", _) => {
                return Err(KeyError::Unsupported(
                    "a non-zero key derivation rate (KDR)",
                ))
            }
            ("UNENCRYPTED_SRTCP", _) => unencrypted_srtcp = true,
            ("UNENCRYPTED_SRTP", _) => return Err(KeyError::Unsupported("UNENCRYPTED_SRTP")),
            ("UNAUTHENTICATED_SRTP", _) => {
                return Err(KeyError::Unsupported("UNAUTHENTICATED_SRTP"))
            }
            _ => {} // WSH, FEC_ORDER, FEC_KEY and extensions: no effect on decryption
        }
    }
    if keys.len() > 1 && keys.iter().any(|k| k.key.mki().is_none()) {
        return Err(KeyError::BadAttribute(
            "several keys need an MKI each to be told apart",
        ));
    }
    Ok(SdesCrypto {
        tag,
        profile,
        keys,
        unencrypted_srtcp,
    })
}

/// Parses a `--srtp-key` string: `PROFILE:KEY`, `PROFILE KEY` or a whole `a=crypto:` line
/// (its first key). See the module documentation for KEY.
pub fn parse_srtp_key(spec: &str) -> Result<MasterKey, KeyError> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Err(KeyError::Empty);
    }
    if looks_like_fingerprint(spec) {
        return Err(KeyError::Fingerprint);
    }
    if spec.starts_with("a=crypto:") {
        let c = parse_crypto_attribute(spec)?;
        return c
            .keys
            .into_iter()
            .next()
            .map(|k| k.key)
            .ok_or(KeyError::Empty);
    }
    let split = spec
        .find(|c: char| c == ':' || c.is_ascii_whitespace())
        .ok_or(KeyError::MissingProfile)?;
    let (name, rest) = spec.split_at(split);
    let rest = rest[1..].trim_start();
    if SrtpProfile::from_name(name).is_none() {
        // `BASE64KEY` alone, or `hex:…`, `inline:…`: a key with no profile in front.
        if name.len() >= 20 || matches!(name, "inline" | "hex" | "base64") {
            return Err(KeyError::MissingProfile);
        }
    }
    let profile = profile_named(name)?;
    let info = rest.strip_prefix("inline:").unwrap_or(rest);
    Ok(parse_key_info(profile, info)?.key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SrtpProfile::*;

    #[test]
    fn crypto_attribute_with_lifetime_and_mki() {
        // The inline key of RFC 4568 §9.1's example.
        let c = parse_crypto_attribute(
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
        )
        .unwrap();
        assert_eq!((c.tag, c.profile), (1, Aes128CmHmacSha1_80));
        let k = &c.keys[0];
        assert_eq!(k.lifetime, Some(1 << 20));
        assert_eq!(k.key.mki().unwrap().as_bytes(), [0, 0, 0, 1]);
        assert_eq!(&k.key.key()[..4], b"=-n@");
        // MKI without lifetime; no prefix.
        let c = parse_crypto_attribute(
            "2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:1 KDR=0",
        )
        .unwrap();
        assert_eq!(c.keys[0].lifetime, None);
        assert_eq!(c.keys[0].key.mki().unwrap().as_bytes(), [1]);
    }

    #[test]
    fn crypto_attribute_refusals() {
        let k = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
        for (line, want) in [
            (
                format!("1 AES_256_CM_HMAC_SHA1_80 {k}"),
                "unknown or unsupported SRTP profile",
            ),
            (
                format!("1 AES_CM_128_HMAC_SHA1_80 {k} KDR=20"),
                "key derivation rate",
            ),
            (
                format!("1 AES_CM_128_HMAC_SHA1_80 {k} UNENCRYPTED_SRTP"),
                "UNENCRYPTED_SRTP",
            ),
            (format!("1 AES_CM_128_HMAC_SHA1_80 {k};{k}"), "MKI each"),
            (format!("x AES_CM_128_HMAC_SHA1_80 {k}"), "tag"),
            ("1 AES_CM_128_HMAC_SHA1_80 uri:x".to_string(), "inline"),
            (format!("1 AES_CM_128_HMAC_SHA1_80 {k}|2^x"), "lifetime"),
            (format!("1 AES_CM_128_HMAC_SHA1_80 {k}|300:1"), "MKI"),
        ] {
            let e = parse_crypto_attribute(&line).unwrap_err().to_string();
            assert!(e.contains(want), "{line}: {e}");
        }
        let c = parse_crypto_attribute(&format!("1 AES_CM_128_HMAC_SHA1_80 {k} UNENCRYPTED_SRTCP"))
            .unwrap();
        assert!(c.unencrypted_srtcp);
    }

    #[test]
    fn srtp_key_forms() {
        let b64 = "AES_CM_128_HMAC_SHA1_80:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
        let k = parse_srtp_key(b64).unwrap();
        for alt in [
            "AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
            "SRTP_AES128_CM_HMAC_SHA1_80:inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^31",
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
        ] {
            assert_eq!(parse_srtp_key(alt).unwrap(), k, "{alt}");
        }
        let mut hexkey = hex::encode(k.key());
        hexkey.push_str(&hex::encode(k.salt()));
        for alt in [
            format!("AES_CM_128_HMAC_SHA1_80:{hexkey}"),
            format!("AES_CM_128_HMAC_SHA1_80:0x{hexkey}"),
            format!("AES_CM_128_HMAC_SHA1_80:hex:{}", hexkey.to_uppercase()),
        ] {
            assert_eq!(parse_srtp_key(&alt).unwrap(), k, "{alt}");
        }
        // GCM: 28 bytes, base64 with padding and without.
        let g =
            parse_srtp_key("AEAD_AES_128_GCM:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==").unwrap();
        assert_eq!((g.key().len(), g.salt().len()), (16, 12));
        assert_eq!(g.salt()[11], 27);
        let g2 = parse_srtp_key("AEAD_AES_128_GCM:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw").unwrap();
        assert_eq!(g, g2);
    }

    #[test]
    fn srtp_key_common_mistakes() {
        let fp = "sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3E:4B:\
                  65:70:5B:7E:8C:26:9A:D3:60:75";
        for s in [
            fp.to_string(),
            format!("AES_CM_128_HMAC_SHA1_80:{fp}"),
            format!("AES_CM_128_HMAC_SHA1_80:{}", &fp[8..]),
            format!("a=fingerprint:{fp}"),
        ] {
            assert_eq!(parse_srtp_key(&s), Err(KeyError::Fingerprint), "{s}");
        }
        let e = parse_srtp_key(fp).unwrap_err().to_string();
        assert!(e.contains("fingerprint") && e.contains("key log"), "{e}");

        // A GCM key + 12-byte salt (28 bytes) for AES-CM.
        let gcm28 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==";
        let e = parse_srtp_key(&format!("AES_CM_128_HMAC_SHA1_80:{gcm28}")).unwrap_err();
        let t = e.to_string();
        assert!(
            t.contains("needs 30 bytes (16-byte key + 14-byte salt), got 28"),
            "{t}"
        );
        assert!(t.contains("AEAD_AES_128_GCM"), "{t}");
        // An AES-CM key + 14-byte salt (30 bytes) for GCM.
        let cm30 = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
        let t = parse_srtp_key(&format!("AEAD_AES_128_GCM:{cm30}"))
            .unwrap_err()
            .to_string();
        assert!(
            t.contains("needs 28 bytes (16-byte key + 12-byte salt), got 30"),
            "{t}"
        );
        assert!(t.contains("AES_CM_128_HMAC_SHA1_80"), "{t}");
        // 256-bit GCM wants 44.
        let t = parse_srtp_key(&format!("AEAD_AES_256_GCM:{cm30}"))
            .unwrap_err()
            .to_string();
        assert!(
            t.contains("needs 44 bytes (32-byte key + 12-byte salt), got 30"),
            "{t}"
        );
        // The key without its salt.
        let t = parse_srtp_key("AES_CM_128_HMAC_SHA1_80:00112233445566778899aabbccddeeff")
            .unwrap_err()
            .to_string();
        assert!(t.contains("salt is missing"), "{t}");
        // No profile; unknown profile; bad encoding.
        assert_eq!(parse_srtp_key(cm30), Err(KeyError::MissingProfile));
        assert_eq!(
            parse_srtp_key(&format!("inline:{cm30}")),
            Err(KeyError::MissingProfile)
        );
        let t = parse_srtp_key(&format!("AES_CM_256:{cm30}"))
            .unwrap_err()
            .to_string();
        assert!(
            t.contains("AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32"),
            "{t}"
        );
        assert!(matches!(
            parse_srtp_key("AES_CM_128_HMAC_SHA1_80:not*base64"),
            Err(KeyError::BadEncoding(_))
        ));
        assert_eq!(parse_srtp_key("  "), Err(KeyError::Empty));
    }

    #[test]
    fn errors_never_echo_key_text() {
        let key = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
        // The key where the crypto suite belongs.
        for line in [format!("1 inline:{key}"), format!("1 {key}|2^31")] {
            let e = parse_crypto_attribute(&line).unwrap_err();
            assert_eq!(e, KeyError::MissingProfile, "{line}");
        }
        for s in [format!("{}:{key}", &key[..12]), format!("{key}:hex")] {
            let e = parse_srtp_key(&s).unwrap_err();
            assert!(!format!("{e} {e:?}").contains(&key[..8]), "{e:?}");
        }
        // Parsed keys print redacted wherever they are nested.
        let c = parse_crypto_attribute(&format!("1 AES_CM_128_HMAC_SHA1_80 inline:{key}")).unwrap();
        let hex_key = hex::encode(c.keys[0].key.key());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains(&hex_key[..8]) && !shown.contains(&key[..8]),
            "{shown}"
        );
        for s in [
            format!("AEAD_AES_128_GCM:{key}"),
            format!("AES_CM_128_HMAC_SHA1_80:{key}xx"),
            format!("AES_CM_128_HMAC_SHA1_80:{key}|2^x"),
        ] {
            let e = parse_srtp_key(&s).unwrap_err();
            let text = format!("{e} {e:?}");
            assert!(!text.contains(&key[..8]), "{text}");
        }
    }
}
