//! DTLS 1.0/1.2 record protection (RFC 6347 §4.1.2, RFC 5246 §6.2.3, RFC 5288, RFC 7905,
//! RFC 7366) keyed from the master secret (RFC 5246 §6.3).
//!
//! The record sequence number in every nonce and MAC is the 64-bit `epoch || sequence_number`
//! of the DTLS header (RFC 6347 §4.1.2.1).

use super::cipher::{aes_cbc_decrypt, Aead, TAG_LEN};
use super::error::DecryptError;
use super::keys::{hmac, prf, BulkCipher, MacAlg, Prf, SuiteParams};
use super::secret::Secret;
use crate::enums::{ContentType, ProtocolVersion};
use crate::session::Side;

/// What decides the keys and record format of a ≤ 1.2 association.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tls12Params {
    /// DTLS 1.0 (TLS 1.0 PRF) or 1.2 (the suite's PRF hash).
    pub version: ProtocolVersion,
    /// The negotiated suite.
    pub suite: SuiteParams,
    /// RFC 7366 encrypt_then_mac was negotiated (matters for CBC suites only).
    pub encrypt_then_mac: bool,
}

impl Tls12Params {
    /// The PRF: TLS 1.0's for DTLS 1.0, the suite's hash for DTLS 1.2.
    pub fn prf(&self) -> Prf {
        if self.version == ProtocolVersion::DTLS1_2 {
            Prf::Tls12(self.suite.hash)
        } else {
            Prf::Tls10
        }
    }
}

/// One direction's keys from the key block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteKeys {
    /// MAC key (empty for AEAD suites).
    pub mac_key: Secret,
    /// Encryption key.
    pub key: Secret,
    /// Implicit IV / salt (4 bytes for GCM, 12 for ChaCha20-Poly1305, empty for CBC, whose IV
    /// is explicit in every record).
    pub iv: Secret,
}

/// The key block split into both directions (RFC 5246 §6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyBlock {
    /// client_write_MAC_key, client_write_key, client_write_IV.
    pub client: WriteKeys,
    /// server_write_MAC_key, server_write_key, server_write_IV.
    pub server: WriteKeys,
}

impl KeyBlock {
    /// `PRF(master_secret, "key expansion", server_random + client_random)`, split in the order
    /// MAC keys, encryption keys, IVs.
    pub fn derive(
        params: &Tls12Params,
        master_secret: &[u8],
        client_random: &[u8],
        server_random: &[u8],
    ) -> Self {
        let (mac_len, key_len, iv_len) = match params.suite.cipher {
            BulkCipher::Aead(a) => (
                0,
                a.key_len(),
                match a {
                    super::keys::AeadAlg::ChaCha20Poly1305 => 12,
                    _ => 4,
                },
            ),
            BulkCipher::AesCbc { key_len, mac } => (mac.output_len(), key_len, 0),
        };
        let block = prf(
            params.prf(),
            master_secret,
            "key expansion",
            &[server_random, client_random],
            2 * (mac_len + key_len + iv_len),
        );
        let b = block.bytes();
        let mut at = 0;
        let mut take = |n: usize| {
            let s = Secret::from_slice(&b[at..at + n]);
            at += n;
            s
        };
        let (cm, sm) = (take(mac_len), take(mac_len));
        let (ck, sk) = (take(key_len), take(key_len));
        let (ci, si) = (take(iv_len), take(iv_len));
        KeyBlock {
            client: WriteKeys {
                mac_key: cm,
                key: ck,
                iv: ci,
            },
            server: WriteKeys {
                mac_key: sm,
                key: sk,
                iv: si,
            },
        }
    }

    /// The keys `side` writes with, when `client` is the client's side.
    pub fn of(&self, side: Side, client: Side) -> &WriteKeys {
        if side == client {
            &self.client
        } else {
            &self.server
        }
    }
}

/// Decrypts the records one side sends under one epoch's keys.
#[derive(Clone)]
pub struct RecordDecryptor12 {
    params: Tls12Params,
    keys: WriteKeys,
    aead: Option<Aead>,
}

impl core::fmt::Debug for RecordDecryptor12 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordDecryptor12")
            .field("params", &self.params)
            .field("keys", &self.keys)
            .finish()
    }
}

const CBC_BLOCK: usize = 16;

impl RecordDecryptor12 {
    /// A decryptor with one direction's keys. `None` when a key has the wrong length for the
    /// suite.
    pub fn new(params: Tls12Params, keys: WriteKeys) -> Option<Self> {
        let aead = match params.suite.cipher {
            BulkCipher::Aead(a) => Some(Aead::new(a, keys.key.bytes())?),
            BulkCipher::AesCbc { key_len, .. } => {
                if keys.key.len() != key_len {
                    return None;
                }
                None
            }
        };
        Some(RecordDecryptor12 { params, keys, aead })
    }

    /// Decrypts and authenticates one record's fragment. `content_type`, `version`, `epoch`
    /// and `sequence` come from the record header; `offset` locates errors.
    pub fn decrypt(
        &self,
        content_type: ContentType,
        version: ProtocolVersion,
        epoch: u16,
        sequence: u64,
        fragment: &[u8],
        offset: usize,
    ) -> Result<Vec<u8>, DecryptError> {
        let mut seq = [0u8; 8];
        seq[..2].copy_from_slice(&epoch.to_be_bytes());
        seq[2..].copy_from_slice(&sequence.to_be_bytes()[2..]);
        let header = |len: usize| -> [u8; 13] {
            let mut h = [0u8; 13];
            h[..8].copy_from_slice(&seq);
            h[8] = content_type.0;
            h[9..11].copy_from_slice(&version.0.to_be_bytes());
            h[11..].copy_from_slice(&(len as u16).to_be_bytes());
            h
        };
        let auth_failed = DecryptError::Authentication {
            offset,
            epoch: u64::from(epoch),
            sequence,
        };
        let truncated = |what, need| DecryptError::Truncated {
            offset,
            what,
            need,
            have: fragment.len(),
        };
        match (self.params.suite.cipher, &self.aead) {
            (BulkCipher::Aead(super::keys::AeadAlg::ChaCha20Poly1305), Some(aead)) => {
                // RFC 7905 §2: nonce = IV XOR (0^32 || seq64); no explicit nonce.
                let plen = fragment
                    .len()
                    .checked_sub(TAG_LEN)
                    .ok_or_else(|| truncated("ChaCha20-Poly1305 tag", TAG_LEN))?;
                let mut nonce = [0u8; 12];
                nonce.copy_from_slice(self.keys.iv.bytes());
                for (n, s) in nonce[4..].iter_mut().zip(seq) {
                    *n ^= s;
                }
                aead.open(&nonce, &header(plen), fragment)
                    .ok_or(auth_failed)
            }
            (BulkCipher::Aead(_), Some(aead)) => {
                // RFC 5288 §3: nonce = salt(4) || explicit nonce(8), carried first.
                let plen = fragment
                    .len()
                    .checked_sub(8 + TAG_LEN)
                    .ok_or_else(|| truncated("GCM explicit nonce and tag", 8 + TAG_LEN))?;
                let mut nonce = [0u8; 12];
                nonce[..4].copy_from_slice(self.keys.iv.bytes());
                nonce[4..].copy_from_slice(&fragment[..8]);
                aead.open(&nonce, &header(plen), &fragment[8..])
                    .ok_or(auth_failed)
            }
            (BulkCipher::AesCbc { mac, .. }, _) => {
                self.decrypt_cbc(mac, &header, fragment, offset, auth_failed)
            }
            (BulkCipher::Aead(_), None) => Err(auth_failed),
        }
    }

    fn decrypt_cbc(
        &self,
        mac: MacAlg,
        header: &dyn Fn(usize) -> [u8; 13],
        fragment: &[u8],
        offset: usize,
        auth_failed: DecryptError,
    ) -> Result<Vec<u8>, DecryptError> {
        let mac_len = mac.output_len();
        let min = if self.params.encrypt_then_mac {
            CBC_BLOCK + CBC_BLOCK + mac_len
        } else {
            CBC_BLOCK + (mac_len + 1).next_multiple_of(CBC_BLOCK)
        };
        if fragment.len() < min {
            return Err(DecryptError::Truncated {
                offset,
                what: "CBC IV, block and MAC",
                need: min,
                have: fragment.len(),
            });
        }
        let (iv, rest) = fragment.split_at(CBC_BLOCK);
        let key = self.keys.key.bytes();
        if self.params.encrypt_then_mac {
            // RFC 7366 §3: MAC(seq || type || version || length || IV || ciphertext).
            let (ct, tag) = fragment.split_at(fragment.len() - mac_len);
            let want = hmac(mac, self.keys.mac_key.bytes(), &[&header(ct.len()), ct]);
            if want != tag {
                return Err(auth_failed);
            }
            let ct = &ct[CBC_BLOCK..];
            let plain = aes_cbc_decrypt(key, iv, ct).ok_or(DecryptError::Truncated {
                offset,
                what: "whole CBC blocks",
                need: ct.len().next_multiple_of(CBC_BLOCK),
                have: ct.len(),
            })?;
            let n = strip_padding(&plain).ok_or(DecryptError::BadPadding { offset })?;
            Ok(plain[..n].to_vec())
        } else {
            let plain = aes_cbc_decrypt(key, iv, rest).ok_or(DecryptError::Truncated {
                offset,
                what: "whole CBC blocks",
                need: rest.len().next_multiple_of(CBC_BLOCK),
                have: rest.len(),
            })?;
            let n = strip_padding(&plain).ok_or(DecryptError::BadPadding { offset })?;
            let content_len = n
                .checked_sub(mac_len)
                .ok_or(DecryptError::BadPadding { offset })?;
            let (content, tag) = plain[..n].split_at(content_len);
            let want = hmac(
                mac,
                self.keys.mac_key.bytes(),
                &[&header(content.len()), content],
            );
            if want != tag {
                return Err(auth_failed);
            }
            Ok(content.to_vec())
        }
    }
}

/// Length before the TLS CBC padding (`padding_length + 1` bytes, each equal to
/// `padding_length`), or `None` when the padding is malformed.
fn strip_padding(plain: &[u8]) -> Option<usize> {
    let pad = usize::from(*plain.last()?);
    let n = plain.len().checked_sub(pad + 1)?;
    plain[n..]
        .iter()
        .all(|&b| usize::from(b) == pad)
        .then_some(n)
}
