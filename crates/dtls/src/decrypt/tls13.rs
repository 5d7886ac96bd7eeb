//! DTLS 1.3 record protection (RFC 9147 §4): traffic keys from the key log's traffic
//! secrets, record-number decryption, sequence-number reconstruction, AEAD, inner content
//! type.
//!
//! Epochs: 2 carries the handshake (keys from `*_HANDSHAKE_TRAFFIC_SECRET`), 3 the first
//! application traffic (`*_TRAFFIC_SECRET_0`), and every KeyUpdate moves to the next epoch with
//! `secret_{n+1} = HKDF-Expand-Label(secret_n, "traffic upd", "", Hash.length)` (RFC 8446
//! §7.2). Epoch 1 (0-RTT) is not decrypted. Per direction this keeps the handshake epoch, the
//! current application epoch and its successor once seen: bounded, whatever the record count.

use super::cipher::{Aead, SnMask, TAG_LEN};
use super::error::DecryptError;
use super::keys::{hkdf_expand_label, AeadAlg, BulkCipher, HashAlg, LabelPrefix, SuiteParams};
use super::secret::Secret;
use crate::enums::ContentType;
use crate::record::{InnerPlaintext, Record, RecordHeader, SequenceNumber};

/// The keys of one epoch and direction: `key`, `iv` and `sn` from a traffic secret
/// (RFC 9147 §4.2.3, RFC 8446 §7.3).
#[derive(Clone)]
pub struct TrafficKeys {
    aead: Aead,
    iv: [u8; 12],
    sn: SnMask,
    /// The traffic secret the keys come from (for the next epoch's).
    secret: Secret,
}

impl core::fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TrafficKeys")
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// The raw key, IV and sequence-number key of a traffic secret, for tests and tools.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficKeyBytes {
    /// `HKDF-Expand-Label(secret, "key", "", key_len)`.
    pub key: Secret,
    /// `HKDF-Expand-Label(secret, "iv", "", 12)`.
    pub iv: Secret,
    /// `HKDF-Expand-Label(secret, "sn", "", key_len)`.
    pub sn: Secret,
}

/// Derives key, IV and sn key of `secret` for an AEAD with `prefix` (`Dtls13` for DTLS;
/// `Tls13` only to check against TLS 1.3 vectors). `None` for a secret shorter than the hash.
pub fn traffic_key_bytes(
    hash: HashAlg,
    alg: AeadAlg,
    prefix: LabelPrefix,
    secret: &[u8],
) -> Option<TrafficKeyBytes> {
    let n = alg.key_len();
    Some(TrafficKeyBytes {
        key: hkdf_expand_label(hash, prefix, secret, "key", b"", n)?,
        iv: hkdf_expand_label(hash, prefix, secret, "iv", b"", 12)?,
        sn: hkdf_expand_label(hash, prefix, secret, "sn", b"", n)?,
    })
}

/// The next traffic secret after a KeyUpdate: `HKDF-Expand-Label(secret, "traffic upd", "",
/// Hash.length)`.
pub fn next_traffic_secret(hash: HashAlg, prefix: LabelPrefix, secret: &[u8]) -> Option<Secret> {
    hkdf_expand_label(hash, prefix, secret, "traffic upd", b"", hash.output_len())
}

impl TrafficKeys {
    /// Keys of a traffic secret for `suite` (a 1.3 AEAD suite). `None` when the suite is not
    /// an AEAD or the secret is too short.
    pub fn new(suite: &SuiteParams, secret: &[u8]) -> Option<Self> {
        let BulkCipher::Aead(alg) = suite.cipher else {
            return None;
        };
        let b = traffic_key_bytes(suite.hash, alg, LabelPrefix::Dtls13, secret)?;
        let mut iv = [0u8; 12];
        iv.copy_from_slice(b.iv.bytes());
        Some(TrafficKeys {
            aead: Aead::new(alg, b.key.bytes())?,
            iv,
            sn: SnMask::new(alg, b.sn.bytes())?,
            secret: Secret::from_slice(secret),
        })
    }
}

/// One epoch's keys and how far its sequence numbers have come.
#[derive(Clone, Debug)]
struct EpochKeys {
    epoch: u64,
    keys: TrafficKeys,
    /// Highest sequence number that authenticated.
    highest: Option<u64>,
}

impl EpochKeys {
    fn new(epoch: u64, keys: TrafficKeys) -> Self {
        EpochKeys {
            epoch,
            keys,
            highest: None,
        }
    }
}

/// A record decrypted under 1.3 protection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened13 {
    /// The full epoch.
    pub epoch: u64,
    /// The reconstructed 48-bit sequence number.
    pub sequence: u64,
    /// The real content type (from the inner plaintext).
    pub content_type: ContentType,
    /// The content, padding removed.
    pub content: Vec<u8>,
    /// Zero padding bytes that followed the content type.
    pub padding: usize,
}

/// Reconstructs a full sequence number from its low `bits` bits: the value closest to
/// `expected` (the one after the highest seen), as RFC 9147 §4.2.2 asks.
pub fn reconstruct_sequence(expected: u64, low: u64, bits: u8) -> u64 {
    let win = 1u64 << bits;
    let hwin = win / 2;
    let mask = win - 1;
    let cand = (expected & !mask) | (low & mask);
    if cand + hwin <= expected && cand + win < (1u64 << 48) {
        cand + win
    } else if cand > expected + hwin && cand >= win {
        cand - win
    } else {
        cand
    }
}

/// Decrypts the records one side sends, across its epochs.
#[derive(Clone, Debug)]
pub struct Direction13 {
    suite: SuiteParams,
    handshake: Option<EpochKeys>,
    application: Option<EpochKeys>,
    /// The epoch after `application`, derived on first need.
    next: Option<EpochKeys>,
}

impl Direction13 {
    /// Keys for one side: `handshake_secret` (epoch 2) and `traffic_secret_0` (epoch 3), each
    /// optional (a key log may hold only one of them).
    pub fn new(
        suite: SuiteParams,
        handshake_secret: Option<&[u8]>,
        traffic_secret_0: Option<&[u8]>,
    ) -> Self {
        Direction13 {
            suite,
            handshake: handshake_secret
                .and_then(|s| TrafficKeys::new(&suite, s))
                .map(|k| EpochKeys::new(2, k)),
            application: traffic_secret_0
                .and_then(|s| TrafficKeys::new(&suite, s))
                .map(|k| EpochKeys::new(3, k)),
            next: None,
        }
    }

    /// True when some epoch has keys.
    pub fn has_keys(&self) -> bool {
        self.handshake.is_some() || self.application.is_some()
    }

    /// Decrypts one unified-header record (offset `record.range().start`).
    pub fn decrypt(&mut self, record: &Record<'_>) -> Result<Opened13, DecryptError> {
        let offset = record.range().start;
        let RecordHeader::Unified {
            flags,
            cid,
            sequence: SequenceNumber::Encrypted { bits, raw },
            ..
        } = *record.header()
        else {
            return Err(DecryptError::UnknownEpoch { offset, epoch: 0 });
        };
        let ct = record.fragment();
        if ct.len() < 16.max(TAG_LEN + 1) {
            return Err(DecryptError::Truncated {
                offset,
                what: "ciphertext sample for the record-number mask and AEAD tag",
                need: 17,
                have: ct.len(),
            });
        }
        let low = u64::from(flags & 0x03);
        if self.next.is_none() {
            if let Some(app) = &self.application {
                if let Some(s) = next_traffic_secret(
                    self.suite.hash,
                    LabelPrefix::Dtls13,
                    app.keys.secret.bytes(),
                ) {
                    self.next = TrafficKeys::new(&self.suite, s.bytes())
                        .map(|k| EpochKeys::new(app.epoch + 1, k));
                }
            }
        }
        let mut sample = [0u8; 16];
        sample.copy_from_slice(&ct[..16]);
        let seq_at = 1 + cid.map_or(0, <[u8]>::len);
        let header = record.header_bytes();
        let mut last_err = None;
        let mut opened = None;
        for i in 0..3 {
            let slot = match i {
                0 => &mut self.handshake,
                1 => &mut self.application,
                _ => &mut self.next,
            };
            let Some(ek) = slot.as_mut() else { continue };
            if ek.epoch & 0x03 != low {
                continue;
            }
            let Some(mask) = ek.keys.sn.mask(&sample) else {
                last_err = Some(DecryptError::Unsupported {
                    offset,
                    what: "a ChaCha20 record-number mask at block counter 2^32-1",
                });
                continue;
            };
            let mut aad = header.to_vec();
            let seq_low = if bits == 16 {
                let v = raw ^ u16::from_be_bytes([mask[0], mask[1]]);
                aad[seq_at..seq_at + 2].copy_from_slice(&v.to_be_bytes());
                u64::from(v)
            } else {
                let v = (raw as u8) ^ mask[0];
                aad[seq_at] = v;
                u64::from(v)
            };
            let expected = ek.highest.map_or(0, |h| h + 1);
            let sequence = reconstruct_sequence(expected, seq_low, bits);
            let mut nonce = ek.keys.iv;
            for (n, s) in nonce[4..].iter_mut().zip(sequence.to_be_bytes()) {
                *n ^= s;
            }
            match ek.keys.aead.open(&nonce, &aad, ct) {
                Some(plain) => {
                    ek.highest = Some(ek.highest.map_or(sequence, |h| h.max(sequence)));
                    opened = Some((i, ek.epoch, sequence, plain));
                    break;
                }
                None => {
                    last_err = Some(DecryptError::Authentication {
                        offset,
                        epoch: ek.epoch,
                        sequence,
                    })
                }
            }
        }
        let Some((slot, epoch, sequence, plain)) = opened else {
            return Err(last_err.unwrap_or(DecryptError::UnknownEpoch { offset, epoch: low }));
        };
        if slot == 2 {
            // A key update took effect: the next epoch becomes the current one (the old one's
            // late records no longer decrypt, which keeps the state bounded).
            self.application = self.next.take();
        }
        let inner = InnerPlaintext::parse(&plain, 0)
            .map_err(|_| DecryptError::NoInnerContentType { offset })?;
        Ok(Opened13 {
            epoch,
            sequence,
            content_type: inner.content_type,
            content: inner.content.to_vec(),
            padding: inner.padding,
        })
    }
}
