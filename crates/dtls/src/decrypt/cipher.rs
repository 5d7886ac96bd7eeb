//! Keyed ciphers, built once per epoch and direction from RustCrypto: AES-GCM and
//! ChaCha20-Poly1305 for AEAD records, AES-CBC for the CBC suites, and the record-number
//! masks of DTLS 1.3 (AES-ECB of a ciphertext sample, or ChaCha20 keyed by the sample).

use super::keys::AeadAlg;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;

/// A keyed AEAD.
#[derive(Clone)]
pub(crate) enum Aead {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

/// The AEAD tag length of every supported AEAD.
pub(crate) const TAG_LEN: usize = 16;

impl Aead {
    /// `None` when the key has the wrong length.
    pub(crate) fn new(alg: AeadAlg, key: &[u8]) -> Option<Self> {
        Some(match alg {
            AeadAlg::Aes128Gcm => Aead::Aes128(Box::new(Aes128Gcm::new_from_slice(key).ok()?)),
            AeadAlg::Aes256Gcm => Aead::Aes256(Box::new(Aes256Gcm::new_from_slice(key).ok()?)),
            AeadAlg::ChaCha20Poly1305 => {
                Aead::ChaCha(Box::new(ChaCha20Poly1305::new_from_slice(key).ok()?))
            }
        })
    }

    /// Opens `ciphertext || tag`; `None` when the tag does not verify or the input is shorter
    /// than a tag.
    pub(crate) fn open(&self, nonce: &[u8; 12], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let ct_len = sealed.len().checked_sub(TAG_LEN)?;
        let mut buf = sealed[..ct_len].to_vec();
        let tag = GenericArray::from_slice(&sealed[ct_len..]);
        let nonce = GenericArray::from_slice(nonce);
        let ok = match self {
            Aead::Aes128(c) => c.decrypt_in_place_detached(nonce, aad, &mut buf, tag),
            Aead::Aes256(c) => c.decrypt_in_place_detached(nonce, aad, &mut buf, tag),
            Aead::ChaCha(c) => c.decrypt_in_place_detached(nonce, aad, &mut buf, tag),
        };
        ok.ok().map(|()| buf)
    }
}

/// AES-CBC decryption of whole blocks (no padding removal: TLS padding is checked by the
/// caller). `None` for a bad key or IV length or a partial block.
pub(crate) fn aes_cbc_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    use cbc::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit};
    if data.len() % 16 != 0 {
        return None;
    }
    let mut buf = data.to_vec();
    let n = match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .ok()?
            .len(),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .ok()?
            .len(),
        _ => return None,
    };
    buf.truncate(n);
    Some(buf)
}

/// The DTLS 1.3 record-number mask generator (RFC 9147 §4.2.3), keyed with `sn_key`.
#[derive(Clone)]
pub(crate) enum SnMask {
    Aes128(Box<aes::Aes128>),
    Aes256(Box<aes::Aes256>),
    ChaCha(Box<[u8; 32]>),
}

impl SnMask {
    pub(crate) fn new(alg: AeadAlg, key: &[u8]) -> Option<Self> {
        Some(match alg {
            AeadAlg::Aes128Gcm => SnMask::Aes128(Box::new(aes::Aes128::new_from_slice(key).ok()?)),
            AeadAlg::Aes256Gcm => SnMask::Aes256(Box::new(aes::Aes256::new_from_slice(key).ok()?)),
            AeadAlg::ChaCha20Poly1305 => SnMask::ChaCha(Box::new(key.try_into().ok()?)),
        })
    }

    /// The 16-byte mask for a ciphertext sample (the first 16 bytes of the record's
    /// ciphertext): `AES-ECB(sn_key, sample)`, or for ChaCha20 the key stream with the first
    /// four sample bytes as the (little-endian) block counter and the other twelve as the nonce.
    /// `None` for a ChaCha20 sample whose counter is 2^32 - 1: the `chacha20` crate refuses to
    /// produce that last block of its 32-bit counter space (one record in 2^32).
    pub(crate) fn mask(&self, sample: &[u8; 16]) -> Option<[u8; 16]> {
        use aes::cipher::BlockEncrypt;
        let mut block = GenericArray::clone_from_slice(sample);
        match self {
            SnMask::Aes128(c) => c.encrypt_block(&mut block),
            SnMask::Aes256(c) => c.encrypt_block(&mut block),
            SnMask::ChaCha(key) => {
                use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
                let counter = u32::from_le_bytes([sample[0], sample[1], sample[2], sample[3]]);
                let mut c = chacha20::ChaCha20::new(
                    GenericArray::from_slice(&key[..]),
                    GenericArray::from_slice(&sample[4..]),
                );
                c.try_seek(u64::from(counter) * 64).ok()?;
                let mut out = [0u8; 16];
                c.try_apply_keystream(&mut out).ok()?;
                return Some(out);
            }
        }
        let mut out = [0u8; 16];
        out.copy_from_slice(&block);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ChaCha20 mask against python3-cryptography (OpenSSL's ChaCha20, whose 16-byte nonce
    /// is the little-endian counter then the 96-bit nonce, i.e. the sample as is):
    /// `Cipher(algorithms.ChaCha20(key, sample), None).encryptor().update(bytes(16))`.
    #[test]
    fn chacha20_mask_matches_an_independent_chacha20() {
        let key: Vec<u8> = (0u8..32).collect();
        let m = SnMask::new(AeadAlg::ChaCha20Poly1305, &key).unwrap();
        let sample: [u8; 16] = core::array::from_fn(|i| 0x40 + i as u8);
        assert_eq!(
            hex::encode(m.mask(&sample).unwrap()),
            "6593a8522aca6a37a21d7a99bd755e37"
        );
        let mut sample2 = sample;
        sample2[..4].copy_from_slice(&[2, 0, 0, 0]);
        assert_eq!(
            hex::encode(m.mask(&sample2).unwrap()),
            "572134b04e299479d84b23913580e350"
        );
        let mut last = sample;
        last[..4].copy_from_slice(&[0xff; 4]);
        assert_eq!(m.mask(&last), None);
    }
}
