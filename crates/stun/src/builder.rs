//! The encoder: a builder that appends attributes and finalizes with MESSAGE-INTEGRITY,
//! MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (RFC 8489 §14.5-14.7).

use crate::attr::Attribute;
use crate::field;
use crate::integrity::{self, PasswordPrep, PrepError};
use crate::types::{AttributeType, Class, MessageType, Method, PasswordAlgorithm, TransactionId};
use rtcscope_wire::pad4;

/// The message would not fit: an attribute value or the whole attribute section is longer than
/// the 16-bit length fields allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLong {
    /// The length that did not fit.
    pub length: usize,
}

impl core::fmt::Display for TooLong {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "STUN length {} exceeds 65535", self.length)
    }
}

impl std::error::Error for TooLong {}

/// Credentials for signing requests: what identifies the user and the key of the HMAC.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Short-term (ICE, RFC 8489 §9.1): USERNAME and an HMAC-SHA1 keyed with the password.
    ShortTerm {
        /// USERNAME to send (for ICE, "remote-ufrag:local-ufrag").
        username: String,
        /// The key (the prepared password).
        key: Vec<u8>,
    },
    /// Long-term (TURN, RFC 8489 §9.2).
    LongTerm {
        /// USERNAME to send.
        username: String,
        /// REALM to echo.
        realm: String,
        /// NONCE to echo.
        nonce: String,
        /// The key, MD5 or SHA-256 of `username:realm:password`.
        key: Vec<u8>,
        /// PASSWORD-ALGORITHM to send (RFC 8489 §9.2.4), `None` for the RFC 5389 behaviour
        /// (MD5, no PASSWORD-ALGORITHM, MESSAGE-INTEGRITY).
        algorithm: Option<PasswordAlgorithm>,
        /// Send USERHASH instead of USERNAME (RFC 8489 §9.2.4, username anonymity).
        userhash: Option<[u8; 32]>,
    },
}

impl Credentials {
    /// Short-term credentials.
    pub fn short_term(
        username: &str,
        password: &str,
        prep: PasswordPrep,
    ) -> Result<Self, PrepError> {
        Ok(Credentials::ShortTerm {
            username: username.to_owned(),
            key: integrity::short_term_key(password, prep)?,
        })
    }

    /// Long-term credentials; `algorithm` `None` means RFC 5389 MD5 without
    /// PASSWORD-ALGORITHM. An algorithm other than MD5 and SHA-256 is rejected as a
    /// [`PrepError`] on the `"algorithm"` input.
    pub fn long_term(
        username: &str,
        realm: &str,
        nonce: &str,
        password: &str,
        algorithm: Option<PasswordAlgorithm>,
        prep: PasswordPrep,
    ) -> Result<Self, PrepError> {
        let alg = algorithm.unwrap_or(PasswordAlgorithm::MD5);
        let key =
            integrity::long_term_key(username, realm, password, alg, prep)?.ok_or(PrepError {
                input: "algorithm",
                prep,
            })?;
        Ok(Credentials::LongTerm {
            username: username.to_owned(),
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            key,
            algorithm,
            userhash: None,
        })
    }

    /// Switches long-term credentials to USERHASH (RFC 8489 §14.4) instead of USERNAME.
    pub fn with_userhash(mut self) -> Result<Self, PrepError> {
        if let Credentials::LongTerm {
            username,
            realm,
            userhash,
            ..
        } = &mut self
        {
            *userhash = Some(integrity::userhash(username, realm)?);
        }
        Ok(self)
    }

    /// The HMAC key.
    pub fn key(&self) -> &[u8] {
        match self {
            Credentials::ShortTerm { key, .. } | Credentials::LongTerm { key, .. } => key,
        }
    }

    /// Whether [`MessageBuilder::sign`] uses MESSAGE-INTEGRITY-SHA256.
    pub fn uses_sha256(&self) -> bool {
        matches!(
            self,
            Credentials::LongTerm {
                algorithm: Some(PasswordAlgorithm::SHA256),
                ..
            }
        )
    }
}

impl core::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print keys.
        match self {
            Credentials::ShortTerm { username, .. } => f
                .debug_struct("ShortTerm")
                .field("username", username)
                .finish_non_exhaustive(),
            Credentials::LongTerm {
                username,
                realm,
                algorithm,
                ..
            } => f
                .debug_struct("LongTerm")
                .field("username", username)
                .field("realm", realm)
                .field("algorithm", algorithm)
                .finish_non_exhaustive(),
        }
    }
}

/// Builds one STUN message by appending attributes and finalizing with MESSAGE-INTEGRITY,
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (RFC 8489 §14.5-14.7).
///
/// ```
/// use rtcscope_stun::{Attribute, Credentials, Message, MessageBuilder, Method, PasswordAlgorithm,
///     PasswordPrep, TransactionId, TransportProtocol};
/// // A TURN Allocate request with long-term credentials (RFC 8656 §7.1).
/// let creds = Credentials::long_term("user", "example.org", "nonce123", "secret",
///     None, PasswordPrep::SaslPrep)?;
/// let mut b = MessageBuilder::request(Method::ALLOCATE, TransactionId::Rfc5389([7; 12]));
/// b.add(&Attribute::RequestedTransport(TransportProtocol::UDP))
///     .add(&Attribute::Lifetime(600))
///     .credentials(&creds)
///     .sign(&creds)
///     .fingerprint();
/// let bytes = b.finish()?;
/// let msg = Message::parse(&bytes)?;
/// assert!(msg.verify_integrity(creds.key()).is_ok());
/// assert!(msg.verify_fingerprint().is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The header's length field is kept current after every append, so MESSAGE-INTEGRITY and
/// FINGERPRINT are computed over exactly what precedes them. Attributes appended after
/// MESSAGE-INTEGRITY or FINGERPRINT are written as asked (a test tool may want that);
/// [`crate::Message::check_order`] flags them.
#[derive(Clone, Debug)]
pub struct MessageBuilder {
    buf: Vec<u8>,
    xor_key: [u8; 16],
    too_long: Option<usize>,
}

impl MessageBuilder {
    /// Starts a message of type `message_type` with `transaction_id` (an RFC 3489 ID makes a
    /// classic message without magic cookie).
    pub fn new(message_type: MessageType, transaction_id: TransactionId) -> Self {
        let xor_key = transaction_id.header_bytes();
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&message_type.to_u16().to_be_bytes());
        buf.extend_from_slice(&[0, 0]);
        buf.extend_from_slice(&xor_key);
        MessageBuilder {
            buf,
            xor_key,
            too_long: None,
        }
    }

    /// A request of `method`.
    pub fn request(method: Method, transaction_id: TransactionId) -> Self {
        Self::new(MessageType::new(method, Class::REQUEST), transaction_id)
    }

    /// An indication of `method`.
    pub fn indication(method: Method, transaction_id: TransactionId) -> Self {
        Self::new(MessageType::new(method, Class::INDICATION), transaction_id)
    }

    /// A success response of `method`.
    pub fn success(method: Method, transaction_id: TransactionId) -> Self {
        Self::new(MessageType::new(method, Class::SUCCESS), transaction_id)
    }

    /// An error response of `method`.
    pub fn error(method: Method, transaction_id: TransactionId) -> Self {
        Self::new(MessageType::new(method, Class::ERROR), transaction_id)
    }

    fn set_length(&mut self) {
        let len = self.buf.len() - field::header::LEN;
        if len > usize::from(u16::MAX) {
            self.too_long.get_or_insert(len);
        }
        self.buf[field::header::LENGTH].copy_from_slice(&(len as u16).to_be_bytes());
    }

    /// Appends an attribute with a raw value (zero-padded to four bytes).
    pub fn add_raw(&mut self, typ: AttributeType, value: &[u8]) -> &mut Self {
        if value.len() > usize::from(u16::MAX) {
            self.too_long.get_or_insert(value.len());
        }
        self.buf.extend_from_slice(&typ.0.to_be_bytes());
        self.buf
            .extend_from_slice(&(value.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(value);
        self.buf.resize(pad4(self.buf.len()), 0);
        self.set_length();
        self
    }

    /// Appends a decoded attribute, encoding its value (XOR- addresses with this message's
    /// cookie and transaction ID).
    pub fn add(&mut self, attr: &Attribute<'_>) -> &mut Self {
        let len = attr.value_len();
        if len > usize::from(u16::MAX) {
            self.too_long.get_or_insert(len);
        }
        self.buf
            .extend_from_slice(&attr.attribute_type().0.to_be_bytes());
        self.buf.extend_from_slice(&(len as u16).to_be_bytes());
        let before = self.buf.len();
        attr.encode_value(&self.xor_key, &mut self.buf);
        debug_assert_eq!(self.buf.len() - before, len, "value_len of {attr:?}");
        self.buf.resize(pad4(self.buf.len()), 0);
        self.set_length();
        self
    }

    /// Appends the identifying attributes of `creds`: USERNAME for short-term; USERNAME (or
    /// USERHASH), NONCE, REALM and PASSWORD-ALGORITHM (when set) for long-term.
    pub fn credentials(&mut self, creds: &Credentials) -> &mut Self {
        match creds {
            Credentials::ShortTerm { username, .. } => {
                self.add(&Attribute::Username(username.as_str().into()));
            }
            Credentials::LongTerm {
                username,
                realm,
                nonce,
                algorithm,
                userhash,
                ..
            } => {
                match userhash {
                    Some(h) => self.add(&Attribute::Userhash(*h)),
                    None => self.add(&Attribute::Username(username.as_str().into())),
                };
                // NONCE before REALM, the order of RFC 5769 §2.4 and RFC 8489 Appendix B.1.
                self.add(&Attribute::Nonce(nonce.as_str().into()));
                self.add(&Attribute::Realm(realm.as_str().into()));
                if let Some(a) = algorithm {
                    self.add(&Attribute::PasswordAlgorithm {
                        algorithm: *a,
                        params: (&[][..]).into(),
                    });
                }
            }
        }
        self
    }

    /// Appends MESSAGE-INTEGRITY (HMAC-SHA1 keyed with `key`) over everything so far. For an
    /// RFC 3489 transaction ID the RFC 3489 §11.2.8 computation (64-byte zero padding) is used.
    pub fn message_integrity(&mut self, key: &[u8]) -> &mut Self {
        let classic = self.buf[field::header::MAGIC_COOKIE] != crate::MAGIC_COOKIE.to_be_bytes();
        let mac = if classic {
            // RFC 3489: the length field already counts the MESSAGE-INTEGRITY attribute.
            let len = self.buf.len() - field::header::LEN + 24;
            self.buf[field::header::LENGTH].copy_from_slice(&(len as u16).to_be_bytes());
            integrity::hmac_sha1_classic(key, &self.buf)
        } else {
            integrity::hmac_sha1(key, &self.buf, 20)
        };
        self.add_raw(AttributeType::MESSAGE_INTEGRITY, &mac)
    }

    /// Appends MESSAGE-INTEGRITY-SHA256 (full 32 bytes) over everything so far.
    pub fn message_integrity_sha256(&mut self, key: &[u8]) -> &mut Self {
        self.message_integrity_sha256_truncated(key, 32)
    }

    /// Appends MESSAGE-INTEGRITY-SHA256 truncated to `len` bytes (RFC 8489 §14.6 allows 16 to
    /// 32, a multiple of 4; other values are clamped down to the nearest allowed one).
    pub fn message_integrity_sha256_truncated(&mut self, key: &[u8], len: usize) -> &mut Self {
        let len = (len.clamp(16, 32) / 4) * 4;
        let mac = integrity::hmac_sha256(key, &self.buf, len);
        self.add_raw(AttributeType::MESSAGE_INTEGRITY_SHA256, &mac[..len])
    }

    /// Appends the integrity attribute `creds` call for: MESSAGE-INTEGRITY-SHA256 for
    /// long-term credentials with PASSWORD-ALGORITHM SHA-256, MESSAGE-INTEGRITY otherwise.
    pub fn sign(&mut self, creds: &Credentials) -> &mut Self {
        if creds.uses_sha256() {
            self.message_integrity_sha256(creds.key())
        } else {
            self.message_integrity(creds.key())
        }
    }

    /// Appends FINGERPRINT over everything so far.
    pub fn fingerprint(&mut self) -> &mut Self {
        let crc = integrity::fingerprint(&self.buf);
        self.add_raw(AttributeType::FINGERPRINT, &crc.to_be_bytes())
    }

    /// The bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The finished message, or [`TooLong`] when a length did not fit 16 bits.
    pub fn finish(self) -> Result<Vec<u8>, TooLong> {
        match self.too_long {
            Some(length) => Err(TooLong { length }),
            None => Ok(self.buf),
        }
    }
}
