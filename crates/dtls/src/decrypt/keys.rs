//! Key derivation: the TLS PRFs (RFC 2246 §5 for DTLS 1.0, RFC 5246 §5 for DTLS 1.2), the
//! DTLS 1.3 `HKDF-Expand-Label` (RFC 8446 §7.1 with the `"dtls13"` prefix of RFC 9147 §5.9),
//! and what a cipher suite needs (key lengths, MAC, PRF hash).
//!
//! The primitives come from libraries: rustls' TLS 1.2 PRF (`PrfUsingHmac`) computes P_hash
//! over RustCrypto's `hmac`, and `hkdf` does HKDF-Expand.

use super::secret::Secret;
use crate::enums::CipherSuite;
use core::marker::PhantomData;
use hmac::digest::core_api::BlockSizeUser;
use hmac::digest::{Digest, KeyInit};
use hmac::{Mac, SimpleHmac};
use rustls::crypto::tls12::{Prf as _, PrfUsingHmac};
use sha2::{Sha256, Sha384};

/// The hash a PRF or key schedule runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl HashAlg {
    /// Output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }

    /// The hash of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        match self {
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
        }
    }
}

/// The PRF of a ≤ 1.2 association.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prf {
    /// TLS 1.0/1.1 PRF, used by DTLS 1.0 (RFC 2246 §5): `P_MD5(S1) XOR P_SHA1(S2)`.
    Tls10,
    /// TLS 1.2 PRF (RFC 5246 §5): `P_<hash>`, with the suite's hash.
    Tls12(HashAlg),
}

/// The MAC of a CBC suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlg {
    /// HMAC-SHA1 (20 bytes).
    Sha1,
    /// HMAC-SHA256 (32 bytes).
    Sha256,
    /// HMAC-SHA384 (48 bytes).
    Sha384,
}

impl MacAlg {
    /// Key and output length.
    pub const fn output_len(self) -> usize {
        match self {
            MacAlg::Sha1 => 20,
            MacAlg::Sha256 => 32,
            MacAlg::Sha384 => 48,
        }
    }
}

/// An AEAD algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AeadAlg {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 8439).
    ChaCha20Poly1305,
}

impl AeadAlg {
    /// Key length.
    pub const fn key_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm => 16,
            AeadAlg::Aes256Gcm | AeadAlg::ChaCha20Poly1305 => 32,
        }
    }
}

/// The record protection of a cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BulkCipher {
    /// An AEAD (GCM with a 4-byte implicit salt and 8-byte explicit nonce in ≤ 1.2; ChaCha20
    /// with a 12-byte implicit IV, RFC 7905; the 12-byte IV in 1.3).
    Aead(AeadAlg),
    /// AES-CBC with an HMAC (MAC-then-encrypt, or encrypt-then-MAC when RFC 7366 was
    /// negotiated).
    AesCbc {
        /// 16 (AES-128) or 32 (AES-256).
        key_len: usize,
        /// The MAC.
        mac: MacAlg,
    },
}

/// What decryption needs to know about a cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SuiteParams {
    /// The suite.
    pub suite: CipherSuite,
    /// Record protection.
    pub cipher: BulkCipher,
    /// The hash of the PRF (≤ 1.2, from DTLS 1.2 on) or of the key schedule (1.3).
    pub hash: HashAlg,
}

impl SuiteParams {
    /// The parameters of `suite`, or `None` for suites this module does not decrypt (3DES,
    /// CCM, NULL, unknown numbers). Read from the registered name, never guessed.
    pub fn of(suite: CipherSuite) -> Option<Self> {
        let name = suite.name()?;
        let hash = if name.ends_with("_SHA384") {
            HashAlg::Sha384
        } else {
            HashAlg::Sha256
        };
        let cipher = if name.contains("_AES_128_GCM_") {
            BulkCipher::Aead(AeadAlg::Aes128Gcm)
        } else if name.contains("_AES_256_GCM_") {
            BulkCipher::Aead(AeadAlg::Aes256Gcm)
        } else if name.contains("_CHACHA20_POLY1305_") {
            BulkCipher::Aead(AeadAlg::ChaCha20Poly1305)
        } else if let Some(rest) = name
            .split_once("_AES_128_CBC_")
            .map(|(_, r)| (16, r))
            .or_else(|| name.split_once("_AES_256_CBC_").map(|(_, r)| (32, r)))
        {
            let (key_len, mac) = rest;
            let mac = match mac {
                "SHA" => MacAlg::Sha1,
                "SHA256" => MacAlg::Sha256,
                "SHA384" => MacAlg::Sha384,
                _ => return None,
            };
            BulkCipher::AesCbc { key_len, mac }
        } else {
            return None;
        };
        Some(SuiteParams {
            suite,
            cipher,
            hash,
        })
    }

    /// True for a TLS/DTLS 1.3 suite (0x1301..=0x1305).
    pub fn is_tls13(&self) -> bool {
        (0x1301..=0x1305).contains(&self.suite.0)
    }
}

/// RustCrypto's HMAC behind rustls' [`Hmac`](rustls::crypto::hmac::Hmac) trait, so that
/// rustls' TLS 1.2 PRF ([`PrfUsingHmac`](rustls::crypto::tls12::PrfUsingHmac)) computes
/// P_hash. rustls is used without a crypto provider here: the hashes stay RustCrypto's.
struct RustCryptoHmac<D>(PhantomData<fn() -> D>);

impl<D> RustCryptoHmac<D> {
    const NEW: Self = RustCryptoHmac(PhantomData);
}

impl<D> rustls::crypto::hmac::Hmac for RustCryptoHmac<D>
where
    D: Digest + BlockSizeUser + Clone + Send + Sync + 'static,
{
    fn with_key(&self, key: &[u8]) -> Box<dyn rustls::crypto::hmac::Key> {
        // SimpleHmac takes a key of any length (longer ones are hashed, RFC 2104 §2), so
        // `new_from_slice` cannot fail; the zero-key fallback only keeps this free of panics.
        let mac = <SimpleHmac<D> as KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| <SimpleHmac<D> as KeyInit>::new(&Default::default()));
        Box::new(HmacKey(mac))
    }

    fn hash_output_len(&self) -> usize {
        <D as Digest>::output_size()
    }
}

/// One keyed HMAC; every tag starts from a clone of it.
struct HmacKey<D: Digest + BlockSizeUser>(SimpleHmac<D>);

impl<D> rustls::crypto::hmac::Key for HmacKey<D>
where
    D: Digest + BlockSizeUser + Clone + Send + Sync + 'static,
{
    fn sign_concat(
        &self,
        first: &[u8],
        middle: &[&[u8]],
        last: &[u8],
    ) -> rustls::crypto::hmac::Tag {
        let mut mac = self.0.clone();
        mac.update(first);
        for m in middle {
            mac.update(m);
        }
        mac.update(last);
        rustls::crypto::hmac::Tag::new(&mac.finalize().into_bytes())
    }

    fn tag_len(&self) -> usize {
        <D as Digest>::output_size()
    }
}

/// P_hash(secret, label + seed) of RFC 5246 §5, computed by rustls' PRF, XORed into `out`.
fn p_hash<D>(secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8])
where
    D: Digest + BlockSizeUser + Clone + Send + Sync + 'static,
{
    let hmac = RustCryptoHmac::<D>::NEW;
    let mut block = vec![0u8; out.len()];
    PrfUsingHmac(&hmac).for_secret(&mut block, secret, label, seed);
    for (o, b) in out.iter_mut().zip(&block) {
        *o ^= b;
    }
}

/// `PRF(secret, label, seed)` of `prf`, `len` bytes; `seeds` are concatenated.
///
/// P_hash is rustls' ([`PrfUsingHmac`]) over RustCrypto's HMAC; what is left here is the
/// RFC 2246 §5 split of the secret and XOR of P_MD5 and P_SHA-1 for DTLS 1.0.
pub fn prf(prf: Prf, secret: &[u8], label: &str, seeds: &[&[u8]], len: usize) -> Secret {
    let mut out = vec![0u8; len];
    let seed = seeds.concat();
    let label = label.as_bytes();
    match prf {
        Prf::Tls10 => {
            // S1 and S2 are the two halves of the secret, sharing the middle byte when its
            // length is odd (RFC 2246 §5).
            let half = secret.len().div_ceil(2);
            let s1 = &secret[..half];
            let s2 = &secret[secret.len() - half..];
            p_hash::<md5::Md5>(s1, label, &seed, &mut out);
            p_hash::<sha1::Sha1>(s2, label, &seed, &mut out);
        }
        Prf::Tls12(HashAlg::Sha256) => p_hash::<Sha256>(secret, label, &seed, &mut out),
        Prf::Tls12(HashAlg::Sha384) => p_hash::<Sha384>(secret, label, &seed, &mut out),
    }
    Secret::new(out)
}

/// The label prefix of `HKDF-Expand-Label`: `"tls13 "` in TLS 1.3 (RFC 8446 §7.1), `"dtls13"`
/// in DTLS 1.3 (RFC 9147 §5.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabelPrefix {
    /// `"tls13 "`.
    Tls13,
    /// `"dtls13"`.
    Dtls13,
}

impl LabelPrefix {
    const fn bytes(self) -> &'static [u8] {
        match self {
            LabelPrefix::Tls13 => b"tls13 ",
            LabelPrefix::Dtls13 => b"dtls13",
        }
    }
}

/// `HKDF-Expand-Label(secret, label, context, len)` (RFC 8446 §7.1):
///
/// ```text
/// struct { uint16 length = len; opaque label<7..255> = prefix + label;
///          opaque context<0..255> = context; } HkdfLabel;
/// HKDF-Expand(secret, HkdfLabel, len)
/// ```
///
/// `None` when the secret is shorter than the hash (HKDF refuses such a PRK) or `len` exceeds
/// what HKDF can produce; labels and contexts here are always short.
pub fn hkdf_expand_label(
    hash: HashAlg,
    prefix: LabelPrefix,
    secret: &[u8],
    label: &str,
    context: &[u8],
    len: usize,
) -> Option<Secret> {
    let full_label_len = prefix.bytes().len() + label.len();
    let (Ok(l16), Ok(label_len), Ok(ctx_len)) = (
        u16::try_from(len),
        u8::try_from(full_label_len),
        u8::try_from(context.len()),
    ) else {
        return None;
    };
    let l16 = l16.to_be_bytes();
    let info: [&[u8]; 6] = [
        &l16,
        &[label_len],
        prefix.bytes(),
        label.as_bytes(),
        &[ctx_len],
        context,
    ];
    let mut out = vec![0u8; len];
    let ok = match hash {
        HashAlg::Sha256 => hkdf::Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand_multi_info(&info, &mut out)
            .is_ok(),
        HashAlg::Sha384 => hkdf::Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand_multi_info(&info, &mut out)
            .is_ok(),
    };
    ok.then(|| Secret::new(out))
}

/// An HMAC of `parts` under `key`.
pub(crate) fn hmac(alg: MacAlg, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    fn run<M: hmac::Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match <M as hmac::digest::KeyInit>::new_from_slice(key) {
            Ok(mut m) => {
                for p in parts {
                    m.update(p);
                }
                m.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
    match alg {
        MacAlg::Sha1 => run::<SimpleHmac<sha1::Sha1>>(key, parts),
        MacAlg::Sha256 => run::<SimpleHmac<Sha256>>(key, parts),
        MacAlg::Sha384 => run::<SimpleHmac<Sha384>>(key, parts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    #[test]
    fn suite_params_from_names() {
        let p = SuiteParams::of(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384).unwrap();
        assert_eq!(p.cipher, BulkCipher::Aead(AeadAlg::Aes256Gcm));
        assert_eq!(p.hash, HashAlg::Sha384);
        let p = SuiteParams::of(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA).unwrap();
        assert_eq!(
            p.cipher,
            BulkCipher::AesCbc {
                key_len: 32,
                mac: MacAlg::Sha1
            }
        );
        let p = SuiteParams::of(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256).unwrap();
        assert_eq!(
            p.cipher,
            BulkCipher::AesCbc {
                key_len: 16,
                mac: MacAlg::Sha256
            }
        );
        assert!(SuiteParams::of(CipherSuite::TLS_AES_128_GCM_SHA256)
            .unwrap()
            .is_tls13());
        assert_eq!(
            SuiteParams::of(CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA),
            None
        );
        assert_eq!(SuiteParams::of(CipherSuite::TLS_AES_128_CCM_SHA256), None);
        assert_eq!(SuiteParams::of(CipherSuite(0x1234)), None);
    }

    /// The TLS 1.2 PRF test vector (SHA-256) published on the IETF TLS list and used by
    /// many implementations (www.ietf.org/mail-archive/web/tls/current/msg03416.html).
    #[test]
    fn tls12_prf_sha256_vector() {
        let secret = unhex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
        let seed = unhex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
        let out = prf(
            Prf::Tls12(HashAlg::Sha256),
            &secret,
            "test label",
            &[&seed],
            100,
        );
        let want = unhex(
            "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4
             e6 1e db 5a 6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17
             ab fd 37 97 c0 56 4b ab 4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1
             22 ee 42 c5 a7 2e 5a 51 10 ff f7 01 87 34 7b 66",
        );
        assert_eq!(out.bytes(), &want[..]);
    }

    /// The same list's SHA-384 vector.
    #[test]
    fn tls12_prf_sha384_vector() {
        let secret = unhex("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df");
        let seed = unhex("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65");
        let out = prf(
            Prf::Tls12(HashAlg::Sha384),
            &secret,
            "test label",
            &[&seed],
            148,
        );
        let want = unhex(
            "7b 0c 18 e9 ce d4 10 ed 18 04 f2 cf a3 4a 33 6a 1c 14 df fb 49 00 bb 5f d7 94 21 07
             e8 1c 83 cd e9 ca 0f aa 60 be 9f e3 4f 82 b1 23 3c 91 46 a0 e5 34 cb 40 0f ed 27 00
             88 4f 9d c2 36 f8 0e dd 8b fa 96 11 44 c9 e8 d7 92 ec a7 22 a7 b3 2f c3 d4 16 d4 73
             eb c2 c5 fd 4a bf da d0 5d 91 84 25 9b 5b f8 cd 4d 90 fa 0d 31 e2 de c4 79 e4 f1 a2
             60 66 f2 ee a9 a6 92 36 a3 e5 26 55 c9 e9 ae e6 91 c8 f3 a2 68 54 30 8d 5e aa 3b e8
             5e 09 90 70 3d 73 e5 6f",
        );
        assert_eq!(out.bytes(), &want[..]);
    }
}
