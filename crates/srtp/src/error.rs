//! Errors: why a packet did not decrypt, and why a key string was refused.
//!
//! No error carries key bytes or echoes the key text it was given.

use crate::keys::ProfileKeyLengths;
use core::fmt;
use rtcscope_rtp::srtp::SrtpProfile;

/// Why an authentication tag did not verify: the likely cause, from what the context knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthFailure {
    /// Nothing has authenticated under this key yet, and no rollover counter in
    /// `roc_min..=roc_max` verifies: most likely the wrong key or profile (or a key for the
    /// other direction), less likely a capture that starts more than `roc_max` wraps into the
    /// stream.
    WrongKey {
        /// Lowest rollover counter tried (SRTP; 0 for SRTCP).
        roc_min: u32,
        /// Highest rollover counter tried.
        roc_max: u32,
    },
    /// Other SSRCs authenticate under this key but this SSRC never has: it is protected with
    /// another key (another sender or direction, an SDES key for another SSRC), or its rollover
    /// counter lies outside `roc_min..=roc_max`.
    SsrcNotUnderThisKey {
        /// Lowest rollover counter tried (SRTP; 0 for SRTCP).
        roc_min: u32,
        /// Highest rollover counter tried.
        roc_max: u32,
    },
    /// The SSRC is established, and this packet's sequence number is far (2^14 or more) from
    /// the highest seen; the estimated rollover counter and its neighbours all failed: the
    /// rollover counter is likely out of step after a long gap in the capture.
    RocOutOfSync {
        /// The rollover counter the RFC 3711 §3.3.1 estimate gave.
        estimated_roc: u32,
    },
    /// The SSRC is established and the packet fits its sequence: the packet was altered or
    /// truncated in transit or in the capture, or is not from this sender.
    Corrupted,
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AuthFailure::WrongKey { roc_min, roc_max } => write!(
                f,
                "wrong key or profile (nothing has authenticated with this key; rollover \
                 counters {roc_min}..={roc_max} tried)"
            ),
            AuthFailure::SsrcNotUnderThisKey { roc_min, roc_max } => write!(
                f,
                "this SSRC is not protected with this key (other SSRCs are; rollover counters \
                 {roc_min}..={roc_max} tried)"
            ),
            AuthFailure::RocOutOfSync { estimated_roc } => write!(
                f,
                "rollover counter out of step after a long gap (estimated {estimated_roc}, \
                 neighbours tried)"
            ),
            AuthFailure::Corrupted => {
                f.write_str("packet altered or truncated, or not from this sender")
            }
        }
    }
}

/// Why [`crate::SrtpContext`] refused a packet. A refused packet's plaintext is never returned
/// (the output buffer is zeroed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SrtpError {
    /// Not an SRTP/SRTCP packet of this profile: too short for the header and trailer, or not
    /// RTP version 2.
    NotSrtp(rtcscope_wire::Error),
    /// The packet's MKI is not the one of this context's key (another key, or a wrong MKI
    /// length setting).
    MkiMismatch,
    /// The authentication tag did not verify.
    AuthFailed {
        /// The packet's SSRC (SRTCP: the sender SSRC).
        ssrc: u32,
        /// The likely cause.
        reason: AuthFailure,
    },
    /// The packet authenticated, but the context already tracks its cap of SSRCs
    /// ([`crate::ContextConfig::max_ssrcs`]); counted in [`crate::ContextStats::refused_ssrcs`].
    TooManySsrcs {
        /// The refused SSRC.
        ssrc: u32,
        /// The cap.
        cap: usize,
    },
    /// The output buffer is too small.
    OutputTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}

impl fmt::Display for SrtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SrtpError::NotSrtp(e) => write!(f, "not SRTP/SRTCP of this profile: {e}"),
            SrtpError::MkiMismatch => f.write_str("the packet's MKI is not this key's MKI"),
            SrtpError::AuthFailed { ssrc, reason } => {
                write!(f, "authentication failed for SSRC {ssrc:#010x}: {reason}")
            }
            SrtpError::TooManySsrcs { ssrc, cap } => write!(
                f,
                "SSRC {ssrc:#010x} authenticated but the context already tracks {cap} SSRCs"
            ),
            SrtpError::OutputTooSmall { needed, available } => write!(
                f,
                "output buffer too small: {needed} bytes needed, {available} available"
            ),
        }
    }
}

impl std::error::Error for SrtpError {}

/// Why a key, `a=crypto` line or `--srtp-key` string was refused. Never contains key text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// Nothing was given.
    Empty,
    /// The profile / crypto-suite name is not one this crate supports.
    UnknownProfile {
        /// The name given.
        name: String,
    },
    /// No profile was given where one is needed.
    MissingProfile,
    /// The text is a certificate fingerprint (`a=fingerprint`), not a key.
    Fingerprint,
    /// Key and salt do not have the profile's length.
    WrongLength {
        /// The profile.
        profile: SrtpProfile,
        /// Bytes given (key and salt together).
        got: usize,
    },
    /// The DTLS-SRTP keying material does not have the profile's length.
    WrongExporterLength {
        /// The profile.
        profile: SrtpProfile,
        /// Bytes given.
        got: usize,
    },
    /// Raw session keys do not have the profile's lengths.
    WrongSessionKeyLength {
        /// The profile.
        profile: SrtpProfile,
    },
    /// A KDF input of a length no profile uses.
    BadKdfInput,
    /// Neither valid base64 nor valid hex.
    BadEncoding(&'static str),
    /// A malformed MKI.
    BadMki(&'static str),
    /// A malformed key lifetime.
    BadLifetime,
    /// A malformed `a=crypto` attribute.
    BadAttribute(&'static str),
    /// Valid, but a feature this crate does not implement.
    Unsupported(&'static str),
}

/// `16-byte key + 14-byte salt`.
fn layout(p: SrtpProfile) -> String {
    format!(
        "{}-byte key + {}-byte salt",
        p.master_key_len(),
        p.master_salt_len()
    )
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => f.write_str("no key given"),
            KeyError::UnknownProfile { name } => {
                write!(
                    f,
                    "unknown or unsupported SRTP profile {name:?}; supported: "
                )?;
                for (i, p) in SrtpProfile::ALL.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{}", p.sdes_name())?;
                }
                Ok(())
            }
            KeyError::MissingProfile => f.write_str(
                "no SRTP profile given: write it before the key, e.g. \
                 AES_CM_128_HMAC_SHA1_80:BASE64KEYANDSALT",
            ),
            KeyError::Fingerprint => f.write_str(
                "this is a certificate fingerprint (a=fingerprint), not an SRTP key: DTLS-SRTP \
                 keys come from the DTLS handshake, so give the DTLS key log (SSLKEYLOGFILE) \
                 instead; SDES keys are the inline: part of an a=crypto line",
            ),
            KeyError::WrongLength { profile, got } => {
                let total = profile.master_key_len() + profile.master_salt_len();
                write!(
                    f,
                    "{} needs {total} bytes ({}), got {got}",
                    profile.sdes_name(),
                    layout(*profile)
                )?;
                // Which other layout the length matches: the usual mix-ups.
                let other = SrtpProfile::ALL.into_iter().find(|o| {
                    o.master_key_len() + o.master_salt_len() == *got
                        && o.is_aead() != profile.is_aead()
                });
                if let Some(o) = other {
                    write!(
                        f,
                        ": {got} bytes is the {} layout of {}, so the key is probably for that \
                         profile",
                        layout(o),
                        o.sdes_name()
                    )?;
                } else if *got == profile.master_key_len() {
                    write!(
                        f,
                        ": that is the key alone, the {}-byte salt is missing (SDES and \
                         --srtp-key take key||salt)",
                        profile.master_salt_len()
                    )?;
                }
                Ok(())
            }
            KeyError::WrongExporterLength { profile, got } => write!(
                f,
                "DTLS-SRTP keying material for {} is {} bytes (2 × ({})), got {got}",
                profile.sdes_name(),
                2 * (profile.master_key_len() + profile.master_salt_len()),
                layout(*profile)
            ),
            KeyError::WrongSessionKeyLength { profile } => write!(
                f,
                "session keys for {} are a {}-byte key, {} authentication key and {}-byte salt",
                profile.sdes_name(),
                profile.master_key_len(),
                if profile.is_aead() { "no" } else { "a 20-byte" },
                profile.master_salt_len()
            ),
            KeyError::BadKdfInput => {
                f.write_str("KDF input: master key must be 16 or 32 bytes, salt 12 or 14")
            }
            KeyError::BadEncoding(why) => write!(f, "key is not valid base64 or hex: {why}"),
            KeyError::BadMki(why) => write!(f, "bad MKI: {why}"),
            KeyError::BadLifetime => {
                f.write_str("bad key lifetime: expected a number or 2^N (e.g. 2^31)")
            }
            KeyError::BadAttribute(why) => write!(f, "bad a=crypto attribute: {why}"),
            KeyError::Unsupported(what) => write!(f, "not supported: {what}"),
        }
    }
}

impl std::error::Error for KeyError {}
