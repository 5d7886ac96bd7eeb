//! SRTP and SRTCP for rtcscope: key derivation, decryption and authentication.
//!
//! * **Keys** ([`MasterKey`], [`SessionKeys`]): a master key and salt per profile, from SDES
//!   `a=crypto` ([`parse_crypto_attribute`]), a `--srtp-key` string ([`parse_srtp_key`]) or the
//!   DTLS-SRTP exporter ([`MasterKey::pair_from_dtls_exporter`], RFC 5764 §4.2), derived to
//!   session keys by the RFC 3711 §4.3 KDF (AES-CM PRF; AES-256 PRF for 256-bit keys, RFC 6188).
//!   Keys never print in full: `Debug`/`Display` show two bytes and the length.
//! * **Profiles** (the [`SrtpProfile`] of `rtcscope-rtp`): AES_CM_128_HMAC_SHA1_80 and _32
//!   (RFC 3711 §4.1.1, §4.2.1), NULL_HMAC_SHA1_80 and _32, AEAD_AES_128_GCM and
//!   AEAD_AES_256_GCM (RFC 7714, IVs of §8.1 and §9.1). SRTP and SRTCP, MKI of any length,
//!   SRTCP with E = 0 (authenticated only).
//! * **Contexts** ([`SrtpContext`]): one per master key, i.e. per direction of a DTLS-SRTP
//!   association or per SDES key; every SSRC protected with that key. A context verifies
//!   before it decrypts, tracks each SSRC's rollover counter (RFC 3711 §3.3.1) through loss,
//!   reordering and wraps, finds the rollover counter of a capture that starts mid-call by
//!   authentication, and keeps a 128-packet replay window. The plaintext goes into the
//!   caller's buffer; a failure returns an [`SrtpError`] with the likely reason
//!   ([`AuthFailure`]) and never a plaintext.
//!
//! The trailer layout (where the tag, MKI and SRTCP index are) is `rtcscope-rtp`'s
//! ([`rtcscope_rtp::srtp::SrtpPacket`], [`rtcscope_rtp::srtp::SrtcpPacket`]); the plaintext
//! re-enters through its clear parsers.
//!
//! Every primitive comes from RustCrypto (`aes`, `ctr`, `hmac`, `sha1`, `aes-gcm`); tags are
//! compared in constant time by those crates.
//!
//! # Use from an analysis engine
//!
//! * One [`SrtpContext`] per master key and transport direction. DTLS-SRTP: the profile is
//!   `SrtpProfile::from_dtls_id(use_srtp id)`; rtcscope-dtls's `SrtpKeyingMaterial` gives
//!   `client_key`/`client_salt` (what the DTLS client sends) and `server_key`/`server_salt`
//!   → [`MasterKey::new`] each (or [`MasterKey::pair_from_dtls_exporter`] over the exported
//!   bytes). SDES: the `a=crypto` of an SDP protects what *that SDP's sender* sends; the
//!   answer's accepted tag picks the line.
//! * RTP or RTCP first (RFC 5761 / rtcscope-rtp's `classify`), then
//!   [`SrtpContext::unprotect_rtp`] or [`SrtpContext::unprotect_rtcp`] into one reused
//!   scratch buffer, then rtcscope-rtp's clear parsers over `out[..len]`.
//! * Report [`ContextStats`] per context and each [`SrtpError`] with its [`AuthFailure`] reason;
//!   a [`Replay::Duplicate`] packet is genuine (it authenticated) but seen before.
//! * Unsupported: a key derivation rate other than 0, RFC 9335 cryptex and RFC 6904 encrypted
//!   header extensions (their packets fail to authenticate or keep opaque extension data),
//!   key lifetimes (parsed, not enforced), and several keys per context (one MKI per context:
//!   make one context per MKI and pick by the packet's MKI).
//!
//! ```
//! use rtcscope_srtp::{parse_srtp_key, ContextConfig, SrtpContext};
//!
//! let key = parse_srtp_key("AES_CM_128_HMAC_SHA1_80:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")?;
//! let mut ctx = SrtpContext::new(&key, ContextConfig::default());
//! let rtp = [0x80, 0, 0, 7, 0, 0, 0, 1, 0xca, 0xfe, 0, 1, b'h', b'i'];
//! let mut srtp = [0u8; 64];
//! let n = ctx.protect_rtp(&rtp, 0, &mut srtp)?;
//! let mut plain = [0u8; 64];
//! let got = ctx.unprotect_rtp(&srtp[..n], &mut plain)?;
//! assert_eq!(&plain[..got.len], &rtp);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod context;
mod crypto;
mod error;
mod keys;
mod parse;

#[doc(hidden)]
pub mod fuzzing;

pub use context::{
    ContextConfig, ContextStats, Replay, SrtpContext, Unprotected, UnprotectedRtcp, REPLAY_WINDOW,
};
pub use error::{AuthFailure, KeyError, SrtpError};
pub use keys::{
    derive_session_key, MasterKey, Mki, ProfileKeyLengths, RawSessionKeys, SessionKeys,
    AUTH_KEY_LEN, MAX_MKI_LEN,
};
pub use parse::{parse_crypto_attribute, parse_srtp_key, SdesCrypto, SdesKey};
pub use rtcscope_rtp::srtp::{Protection, SrtpProfile};
