//! DTLS decryption from NSS key logs, and the DTLS-SRTP key exporter.
//!
//! * [`DtlsDecryptor`]: one per association (5-tuple, also through TURN or over TCP: the
//!   caller hands it the DTLS datagrams). Feed datagrams in capture order with their sender;
//!   it reads the hellos, finds the association's secrets in a [`KeyLogIndex`] by client
//!   random, and returns each protected record's plaintext ([`DecryptedRecord`]) or a
//!   [`DecryptError`] that says why not. What the plaintext reveals (the use_srtp profile of
//!   1.3's EncryptedExtensions, certificates with their `a=fingerprint`, Finished, alerts) is
//!   collected in [`Revealed`]; [`DtlsDecryptor::srtp_keying_material`] gives the SRTP master
//!   keys and salts ([`SrtpKeyingMaterial`]).
//! * DTLS 1.0 and 1.2 ([`tls12`]): AES-GCM (128/256), ChaCha20-Poly1305, AES-CBC with
//!   HMAC-SHA1/SHA256/SHA384, MAC-then-encrypt or encrypt-then-MAC (RFC 7366), epoch 1.
//! * DTLS 1.3 ([`tls13`]): AEAD suites, record-number decryption, sequence-number
//!   reconstruction, epochs 2 (handshake), 3 and key updates.
//! * [`keys`]: the TLS 1.0 and 1.2 PRFs, `HKDF-Expand-Label`, suite parameters;
//!   [`exporter`]: RFC 5705 / RFC 8446 §7.5 exporters and the RFC 5764 split.
//!
//! Why this lives in the parser crate rather than a crate of its own: decryption needs the
//! record views, the handshake parsers, the reassembler and the key log of this crate, and
//! what it reveals is parsed by them again; a separate crate would have to re-export most of
//! this one. The parsers themselves stay crypto-free (only this module and the fingerprints
//! use hashes), and every primitive comes from RustCrypto (`aes`, `aes-gcm`, `cbc`,
//! `chacha20`, `chacha20poly1305`, `hmac`, `hkdf`, `md-5`, `sha1`, `sha2`); the TLS PRFs are
//! the RFC's composition of HMAC.
//!
//! Keys and secrets never print in full ([`Secret`]).
//!
//! # Use
//!
//! One [`KeyLogIndex`] for the whole capture (every `--keylog` file and the capture's own
//! Decryption Secrets Blocks, `rtcscope_capture::CaptureReader::tls_key_logs`), one
//! [`DtlsDecryptor`] per association, fed in capture order with the DTLS payload (unwrapped
//! from TURN ChannelData or Send/Data indications, or cut from a TCP stream, by the caller)
//! and a [`Side`](crate::Side) label that stays the same for each endpoint:
//!
//! ```
//! use rtcscope_dtls::decrypt::{DtlsDecryptor, KeyLogIndex};
//! use rtcscope_dtls::{ContentType, Side};
//!
//! let mut keys = KeyLogIndex::new();
//! keys.add_text("sslkeys.log", "# no secrets yet\n");
//! let datagrams: Vec<(Side, Vec<u8>)> = Vec::new(); // the association's payloads
//! let mut d = DtlsDecryptor::default();
//! let mut offset = 0;
//! for (side, payload) in &datagrams {
//!     for record in d.feed(&keys, *side, payload, offset) {
//!         match record {
//!             Ok(r) if r.content_type == ContentType::APPLICATION_DATA => {
//!                 // r.plaintext: SCTP for a WebRTC data channel
//!             }
//!             Ok(_) => {} // handshake, alerts, ACKs: already summarised in d.revealed()
//!             Err(e) => eprintln!("{e}"), // says why: no key, wrong key, truncated, ...
//!         }
//!     }
//!     offset += payload.len();
//! }
//! // Per sender: the SRTP master key and salt for the SRTP stage.
//! assert!(d.srtp_master_of(Side::A).is_none()); // nothing fed, nothing known
//! ```
//!
//! Decrypted handshake content can also go to [`crate::DtlsSession::handshake_content`],
//! which then shows DTLS 1.3's encrypted choices (use_srtp, certificates) in clear.

mod association;
mod cipher;
mod error;
pub mod exporter;
pub mod keys;
mod secret;
pub mod tls12;
pub mod tls13;

pub use association::{DecryptedRecord, DtlsDecryptor, Revealed, MAX_ALERTS};
pub use error::DecryptError;
pub use exporter::{SrtpKeyingMaterial, DTLS_SRTP_LABEL};
pub use secret::Secret;

pub use crate::keylog::{KeyLogIndex, Secrets};
