//! Why a record did not decrypt.

use crate::enums::CipherSuite;
use core::fmt;

/// A decryption failure, with what and where (`offset` is the absolute offset of the record,
/// in the numbering the caller gave to the datagram).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecryptError {
    /// The key log has no secret for this association's ClientHello random.
    NoKey {
        /// The first 8 bytes of the client random, in hex (enough to find the line).
        client_random: String,
        /// The key log label that was looked for.
        wanted: &'static str,
    },
    /// A protected record arrived before the hellos that say which keys apply (the capture
    /// started mid-association, or the hellos were lost).
    NoHandshake {
        /// Record offset.
        offset: usize,
    },
    /// The negotiated cipher suite is not one this crate decrypts (3DES, CCM, NULL, unknown).
    UnsupportedCipherSuite(CipherSuite),
    /// A key-log secret has an impossible length for its use.
    BadSecret {
        /// The label.
        label: &'static str,
        /// Its length.
        len: usize,
    },
    /// A record of an epoch with no keys (1.3 early data, a key update beyond the next, or a
    /// ≤ 1.2 renegotiation).
    UnknownEpoch {
        /// Record offset.
        offset: usize,
        /// The epoch (for 1.3: the low two bits from the header when nothing matched).
        epoch: u64,
    },
    /// The record is too short for its protection.
    Truncated {
        /// Record offset.
        offset: usize,
        /// What was missing.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// The AEAD tag or the HMAC did not verify: wrong key, or a damaged record.
    Authentication {
        /// Record offset.
        offset: usize,
        /// Epoch.
        epoch: u64,
        /// Sequence number (for 1.3 as reconstructed).
        sequence: u64,
    },
    /// CBC padding is malformed (MAC-then-encrypt: also the symptom of a wrong key).
    BadPadding {
        /// Record offset.
        offset: usize,
    },
    /// A record form this crate does not decrypt.
    Unsupported {
        /// Record offset.
        offset: usize,
        /// What it is.
        what: &'static str,
    },
    /// A 1.3 record's inner plaintext is all zeros (no content type).
    NoInnerContentType {
        /// Record offset.
        offset: usize,
    },
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecryptError::NoKey {
                client_random,
                wanted,
            } => write!(
                f,
                "no {wanted} in the key log for client random {client_random}…"
            ),
            DecryptError::NoHandshake { offset } => write!(
                f,
                "protected record at offset {offset} before the hellos (capture started mid-association?)"
            ),
            DecryptError::UnsupportedCipherSuite(s) => {
                write!(f, "cipher suite {s} is not decrypted (3DES, CCM, NULL or unknown)")
            }
            DecryptError::BadSecret { label, len } => {
                write!(f, "key log secret {label} has {len} bytes, not usable")
            }
            DecryptError::UnknownEpoch { offset, epoch } => {
                write!(f, "record at offset {offset}: no keys for epoch {epoch}")
            }
            DecryptError::Truncated {
                offset,
                what,
                need,
                have,
            } => write!(
                f,
                "record at offset {offset}: {what} needs {need} bytes, {have} present"
            ),
            DecryptError::Authentication {
                offset,
                epoch,
                sequence,
            } => write!(
                f,
                "record at offset {offset} (epoch {epoch}, sequence {sequence}): authentication failed (wrong key or damaged record)"
            ),
            DecryptError::BadPadding { offset } => write!(
                f,
                "record at offset {offset}: bad CBC padding (wrong key or damaged record)"
            ),
            DecryptError::Unsupported { offset, what } => {
                write!(f, "record at offset {offset}: {what} is not decrypted")
            }
            DecryptError::NoInnerContentType { offset } => write!(
                f,
                "record at offset {offset}: decrypted content has no inner content type"
            ),
        }
    }
}

impl std::error::Error for DecryptError {}
