//! Handshake fragments and messages (RFC 6347 §4.2.2, RFC 9147 §5.2, RFC 5246 §7.4).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   msg_type    |               length (of the whole message)   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          message_seq          |     fragment_offset ...       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  ...          |            fragment_length                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 body (fragment_length bytes) ...              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! A record may hold several fragments ([`HandshakeFragments`]); a message may span several
//! records ([`crate::reassembly::Reassembler`]). Message bodies are parsed by [`Message::parse`]
//! from a *complete* body, whatever its source (one whole fragment, reassembly, decryption).

use crate::enums::{
    CipherSuite, ClientCertificateType, CompressionMethod, ExtensionType, HandshakeType,
    KeyExchange, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::ext::{ExtensionBody, ExtensionContext, ExtensionRepr, Extensions, U16List};
use crate::Span;
use rtcscope_wire::{Error, Field, Layer, Reader, Result};

/// Field offsets of the handshake header, relative to its start.
pub mod field {
    use rtcscope_wire::Field;
    /// msg_type.
    pub const MSG_TYPE: Field = 0..1;
    /// length (of the reassembled message).
    pub const LENGTH: Field = 1..4;
    /// message_seq.
    pub const MESSAGE_SEQ: Field = 4..6;
    /// fragment_offset.
    pub const FRAGMENT_OFFSET: Field = 6..9;
    /// fragment_length.
    pub const FRAGMENT_LENGTH: Field = 9..12;
    /// Header length.
    pub const HEADER_LEN: usize = 12;
}

/// One handshake fragment (a checked view).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandshakeFragment<'a> {
    /// Message type.
    pub msg_type: HandshakeType,
    /// Length of the whole message.
    pub length: u32,
    /// Message sequence number.
    pub message_seq: u16,
    /// Offset of this fragment in the message.
    pub fragment_offset: u32,
    /// The fragment bytes (`fragment_length` of them).
    pub body: Span<'a>,
    /// Absolute offset of the header.
    pub offset: usize,
}

impl<'a> HandshakeFragment<'a> {
    /// fragment_length.
    pub fn fragment_length(&self) -> u32 {
        self.body.bytes.len() as u32
    }

    /// True when this fragment is the whole message.
    pub fn is_complete(&self) -> bool {
        self.fragment_offset == 0 && self.fragment_length() == self.length
    }

    /// Absolute range of header and body.
    pub fn range(&self) -> Field {
        self.offset..self.body.range().end
    }

    /// Parses one fragment from `r`.
    pub fn read(r: &mut Reader<'a>) -> Result<Self> {
        let offset = r.offset();
        let msg_type = HandshakeType(r.u8("msg_type")?);
        let length = r.u24("length")?;
        let message_seq = r.u16("message_seq")?;
        let fragment_offset = r.u24("fragment_offset")?;
        let fl_at = r.offset();
        let fragment_length = r.u24("fragment_length")?;
        if fragment_offset as u64 + fragment_length as u64 > length as u64 {
            return Err(Error::bad_length(
                Layer::DtlsHandshake,
                fl_at,
                "fragment_length",
                "fragment_offset + fragment_length <= length",
                (fragment_offset + fragment_length) as usize,
            ));
        }
        let body = Span::of(&r.sub(fragment_length as usize, "fragment")?);
        Ok(HandshakeFragment {
            msg_type,
            length,
            message_seq,
            fragment_offset,
            body,
            offset,
        })
    }

    /// Appends the wire form of a fragment.
    pub fn emit(
        msg_type: HandshakeType,
        length: u32,
        message_seq: u16,
        fragment_offset: u32,
        body: &[u8],
        out: &mut Vec<u8>,
    ) {
        out.push(msg_type.0);
        out.extend_from_slice(&length.to_be_bytes()[1..]);
        out.extend_from_slice(&message_seq.to_be_bytes());
        out.extend_from_slice(&fragment_offset.to_be_bytes()[1..]);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(body);
    }
}

/// Lax iterator over the handshake fragments in one plaintext handshake record.
#[derive(Clone, Debug)]
pub struct HandshakeFragments<'a> {
    r: Reader<'a>,
}

impl<'a> HandshakeFragments<'a> {
    /// Fragments of `content` (a record fragment or decrypted content) at absolute `base`.
    pub const fn new(content: &'a [u8], base: usize) -> Self {
        HandshakeFragments {
            r: Reader::with_base(content, base, Layer::DtlsHandshake),
        }
    }
}

impl<'a> Iterator for HandshakeFragments<'a> {
    type Item = Result<HandshakeFragment<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        let before = self.r.offset();
        let f = HandshakeFragment::read(&mut self.r);
        if f.is_err() {
            self.r.take_rest();
        } else {
            // Progress: a fragment is at least its 12-byte header, even with fragment_length 0.
            debug_assert!(
                self.r.offset() >= before + field::HEADER_LEN,
                "HandshakeFragments::next did not advance past a fragment header"
            );
        }
        Some(f)
    }
}

/// What the body parsers need from the session: the negotiated version (1.0 has no signature
/// algorithm field in DigitallySigned and no signature list in CertificateRequest) and the
/// cipher suite (which decides the key exchange layouts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageContext {
    /// Negotiated version; `DTLS1_2` by default.
    pub version: ProtocolVersion,
    /// Negotiated cipher suite, when known.
    pub cipher_suite: Option<CipherSuite>,
}

impl Default for MessageContext {
    fn default() -> Self {
        MessageContext {
            version: ProtocolVersion::DTLS1_2,
            cipher_suite: None,
        }
    }
}

impl MessageContext {
    fn has_sig_alg(&self) -> bool {
        !matches!(
            self.version,
            ProtocolVersion::DTLS1_0 | ProtocolVersion::DTLS1_BAD
        )
    }
    fn is_tls13(&self) -> bool {
        self.version == ProtocolVersion::DTLS1_3
    }
}

/// The random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A parsed handshake message body.
#[derive(Clone, Debug)]
pub enum Message<'a> {
    /// hello_request (empty).
    HelloRequest,
    /// client_hello.
    ClientHello(ClientHello<'a>),
    /// server_hello (or HelloRetryRequest: see [`ServerHello::is_hello_retry_request`]).
    ServerHello(ServerHello<'a>),
    /// hello_verify_request.
    HelloVerifyRequest(HelloVerifyRequest<'a>),
    /// new_session_ticket.
    NewSessionTicket(NewSessionTicket<'a>),
    /// certificate.
    Certificate(Certificate<'a>),
    /// server_key_exchange.
    ServerKeyExchange(ServerKeyExchange<'a>),
    /// certificate_request.
    CertificateRequest(CertificateRequest<'a>),
    /// server_hello_done (empty).
    ServerHelloDone,
    /// certificate_verify.
    CertificateVerify(DigitallySigned<'a>),
    /// client_key_exchange.
    ClientKeyExchange(ClientKeyExchange<'a>),
    /// finished: verify_data.
    Finished(Span<'a>),
    /// encrypted_extensions (1.3, only ever seen after decryption).
    EncryptedExtensions(Extensions<'a>),
    /// key_update (1.3): request_update (0 = not requested, 1 = requested).
    KeyUpdate(u8),
    /// Any other type: the raw body.
    Other(HandshakeType, Span<'a>),
}

impl<'a> Message<'a> {
    /// Parses a complete message body of type `msg_type`, located at absolute `base`.
    pub fn parse(
        msg_type: HandshakeType,
        body: &'a [u8],
        base: usize,
        ctx: &MessageContext,
    ) -> Result<Self> {
        let mut r = Reader::with_base(body, base, Layer::DtlsHandshake);
        let m = match msg_type {
            HandshakeType::HELLO_REQUEST => Message::HelloRequest,
            HandshakeType::CLIENT_HELLO => Message::ClientHello(ClientHello::read(&mut r)?),
            HandshakeType::SERVER_HELLO => Message::ServerHello(ServerHello::read(&mut r)?),
            HandshakeType::HELLO_VERIFY_REQUEST => {
                let server_version = ProtocolVersion(r.u16("server_version")?);
                let cookie = Span::of(&r.sub_u8("cookie")?);
                Message::HelloVerifyRequest(HelloVerifyRequest {
                    server_version,
                    cookie,
                })
            }
            HandshakeType::NEW_SESSION_TICKET => {
                Message::NewSessionTicket(NewSessionTicket::read(&mut r, ctx)?)
            }
            HandshakeType::CERTIFICATE => Message::Certificate(Certificate::read(&mut r, ctx)?),
            HandshakeType::SERVER_KEY_EXCHANGE => {
                Message::ServerKeyExchange(ServerKeyExchange::read(&mut r, ctx)?)
            }
            HandshakeType::CERTIFICATE_REQUEST => {
                Message::CertificateRequest(CertificateRequest::read(&mut r, ctx)?)
            }
            HandshakeType::SERVER_HELLO_DONE => Message::ServerHelloDone,
            HandshakeType::CERTIFICATE_VERIFY => {
                Message::CertificateVerify(DigitallySigned::read(&mut r, ctx.has_sig_alg())?)
            }
            HandshakeType::CLIENT_KEY_EXCHANGE => {
                Message::ClientKeyExchange(ClientKeyExchange::read(&mut r, ctx)?)
            }
            HandshakeType::FINISHED => {
                Message::Finished(Span::of(&r.sub(r.remaining(), "verify_data")?))
            }
            HandshakeType::ENCRYPTED_EXTENSIONS => {
                Message::EncryptedExtensions(Extensions::new(r.sub_u16("extensions")?))
            }
            HandshakeType::KEY_UPDATE => Message::KeyUpdate(r.u8("request_update")?),
            other => Message::Other(other, Span::of(&r.sub(r.remaining(), "body")?)),
        };
        r.expect_end("message body")?;
        Ok(m)
    }
}

/// ClientHello (RFC 6347 §4.2.1; the cookie field is DTLS-specific; in 1.3 it is
/// `legacy_cookie`, empty).
///
/// ```text
/// ProtocolVersion client_version;  Random random (32);
/// SessionID session_id<0..32>;     opaque cookie<0..2^8-1>;
/// CipherSuite cipher_suites<2..2^16-2>;  CompressionMethod compression_methods<1..2^8-1>;
/// Extension extensions<0..2^16-1>  (optional)
/// ```
#[derive(Clone, Debug)]
pub struct ClientHello<'a> {
    /// client_version (0xfefd even when offering 1.3, which goes in supported_versions).
    pub client_version: ProtocolVersion,
    /// random.
    pub random: Span<'a>,
    /// session_id.
    pub session_id: Span<'a>,
    /// The DTLS cookie (echoed from HelloVerifyRequest; empty on the first hello).
    pub cookie: Span<'a>,
    /// cipher_suites.
    pub cipher_suites: U16List<'a, CipherSuite>,
    /// compression_methods (one byte each, [`CompressionMethod`]).
    pub compression_methods: Span<'a>,
    /// extensions, when the block is present.
    pub extensions: Option<Extensions<'a>>,
}

impl<'a> ClientHello<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        let client_version = ProtocolVersion(r.u16("client_version")?);
        let random = Span::of(&r.sub(32, "random")?);
        let session_id = Span::of(&r.sub_u8("session_id")?);
        let cookie = Span::of(&r.sub_u8("cookie")?);
        let cipher_suites = U16List::new(r.sub_u16("cipher_suites")?, "cipher_suites")?;
        let compression_methods = Span::of(&r.sub_u8("compression_methods")?);
        let extensions = if r.is_empty() {
            None
        } else {
            Some(Extensions::new(r.sub_u16("extensions")?))
        };
        Ok(ClientHello {
            client_version,
            random,
            session_id,
            cookie,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }

    /// The compression methods.
    pub fn compression(&self) -> impl Iterator<Item = CompressionMethod> + 'a {
        self.compression_methods
            .bytes
            .iter()
            .map(|&b| CompressionMethod(b))
    }

    /// The extensions (empty iterator when absent).
    pub fn extensions(&self) -> Extensions<'a> {
        self.extensions
            .clone()
            .unwrap_or_else(|| Extensions::new(Reader::new(&[], Layer::DtlsHandshake)))
    }

    /// The parsed body of the first extension of type `t`, if present and well formed.
    pub fn extension(&self, t: ExtensionType) -> Option<Result<ExtensionBody<'a>>> {
        self.extensions()
            .find(t)
            .map(|e| e.body(ExtensionContext::ClientHello))
    }

    /// True when the client offers DTLS 1.3 in supported_versions.
    pub fn offers_dtls13(&self) -> bool {
        matches!(
            self.extension(ExtensionType::SUPPORTED_VERSIONS),
            Some(Ok(ExtensionBody::SupportedVersions(v))) if v.iter().any(|v| v == ProtocolVersion::DTLS1_3)
        )
    }
}

/// ServerHello (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3). With the special random it is a
/// HelloRetryRequest.
#[derive(Clone, Debug)]
pub struct ServerHello<'a> {
    /// server_version (legacy_version in 1.3: 0xfefd).
    pub server_version: ProtocolVersion,
    /// random.
    pub random: Span<'a>,
    /// session_id (legacy_session_id_echo in 1.3).
    pub session_id: Span<'a>,
    /// The selected cipher suite.
    pub cipher_suite: CipherSuite,
    /// Offset of the cipher suite field.
    pub cipher_suite_offset: usize,
    /// The selected compression method.
    pub compression_method: CompressionMethod,
    /// extensions, when present.
    pub extensions: Option<Extensions<'a>>,
}

impl<'a> ServerHello<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        let server_version = ProtocolVersion(r.u16("server_version")?);
        let random = Span::of(&r.sub(32, "random")?);
        let session_id = Span::of(&r.sub_u8("session_id")?);
        let cipher_suite_offset = r.offset();
        let cipher_suite = CipherSuite(r.u16("cipher_suite")?);
        let compression_method = CompressionMethod(r.u8("compression_method")?);
        let extensions = if r.is_empty() {
            None
        } else {
            Some(Extensions::new(r.sub_u16("extensions")?))
        };
        Ok(ServerHello {
            server_version,
            random,
            session_id,
            cipher_suite,
            cipher_suite_offset,
            compression_method,
            extensions,
        })
    }

    /// True when this is a HelloRetryRequest (RFC 8446 §4.1.3: random = SHA-256 of
    /// "HelloRetryRequest").
    pub fn is_hello_retry_request(&self) -> bool {
        self.random.bytes == HELLO_RETRY_REQUEST_RANDOM
    }

    /// The extension context of this message.
    pub fn context(&self) -> ExtensionContext {
        if self.is_hello_retry_request() {
            ExtensionContext::HelloRetryRequest
        } else {
            ExtensionContext::ServerHello
        }
    }

    /// The extensions (empty iterator when absent).
    pub fn extensions(&self) -> Extensions<'a> {
        self.extensions
            .clone()
            .unwrap_or_else(|| Extensions::new(Reader::new(&[], Layer::DtlsHandshake)))
    }

    /// The parsed body of the first extension of type `t`.
    pub fn extension(&self, t: ExtensionType) -> Option<Result<ExtensionBody<'a>>> {
        self.extensions().find(t).map(|e| e.body(self.context()))
    }

    /// The negotiated version: supported_versions when present (1.3), else server_version.
    pub fn negotiated_version(&self) -> ProtocolVersion {
        match self.extension(ExtensionType::SUPPORTED_VERSIONS) {
            Some(Ok(ExtensionBody::SelectedVersion(v))) => v,
            _ => self.server_version,
        }
    }
}

/// HelloVerifyRequest (RFC 6347 §4.2.1).
#[derive(Clone, Copy, Debug)]
pub struct HelloVerifyRequest<'a> {
    /// server_version.
    pub server_version: ProtocolVersion,
    /// The cookie the client must echo.
    pub cookie: Span<'a>,
}

/// NewSessionTicket (RFC 5077 §3.3 for ≤ 1.2; RFC 8446 §4.6.1 for 1.3).
#[derive(Clone, Debug)]
pub struct NewSessionTicket<'a> {
    /// ticket_lifetime_hint (≤ 1.2) or ticket_lifetime (1.3), seconds.
    pub lifetime: u32,
    /// 1.3 only: ticket_age_add and ticket_nonce.
    pub tls13: Option<(u32, Span<'a>)>,
    /// The ticket.
    pub ticket: Span<'a>,
    /// 1.3 only: extensions.
    pub extensions: Option<Extensions<'a>>,
}

impl<'a> NewSessionTicket<'a> {
    fn read(r: &mut Reader<'a>, ctx: &MessageContext) -> Result<Self> {
        let lifetime = r.u32("ticket_lifetime")?;
        if ctx.is_tls13() {
            let age_add = r.u32("ticket_age_add")?;
            let nonce = Span::of(&r.sub_u8("ticket_nonce")?);
            let ticket = Span::of(&r.sub_u16("ticket")?);
            let extensions = Some(Extensions::new(r.sub_u16("extensions")?));
            Ok(NewSessionTicket {
                lifetime,
                tls13: Some((age_add, nonce)),
                ticket,
                extensions,
            })
        } else {
            let ticket = Span::of(&r.sub_u16("ticket")?);
            Ok(NewSessionTicket {
                lifetime,
                tls13: None,
                ticket,
                extensions: None,
            })
        }
    }
}

/// Certificate (RFC 5246 §7.4.2 for ≤ 1.2: a list of DER certificates; RFC 8446 §4.4.2 for 1.3,
/// where it only exists after decryption).
#[derive(Clone, Debug)]
pub struct Certificate<'a> {
    /// 1.3 certificate_request_context.
    pub request_context: Option<Span<'a>>,
    list: Reader<'a>,
    tls13: bool,
}

/// One certificate of a Certificate message.
#[derive(Clone, Debug)]
pub struct CertificateEntry<'a> {
    /// The DER certificate.
    pub der: Span<'a>,
    /// 1.3 per-certificate extensions.
    pub extensions: Option<Extensions<'a>>,
}

impl<'a> Certificate<'a> {
    fn read(r: &mut Reader<'a>, ctx: &MessageContext) -> Result<Self> {
        let tls13 = ctx.is_tls13();
        let request_context = if tls13 {
            Some(Span::of(&r.sub_u8("certificate_request_context")?))
        } else {
            None
        };
        let list = r.sub_u24("certificate_list")?;
        Ok(Certificate {
            request_context,
            list,
            tls13,
        })
    }

    /// The certificates, sender's own first (lax: stops after an error).
    pub fn entries(&self) -> CertificateEntries<'a> {
        CertificateEntries {
            r: self.list.clone(),
            tls13: self.tls13,
        }
    }

    /// Absolute range of the certificate list body.
    pub fn list_range(&self) -> Field {
        let b = self.list.offset();
        b..b + self.list.remaining()
    }
}

/// Iterator over certificate entries.
#[derive(Clone, Debug)]
pub struct CertificateEntries<'a> {
    r: Reader<'a>,
    tls13: bool,
}

impl<'a> Iterator for CertificateEntries<'a> {
    type Item = Result<CertificateEntry<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        let before = self.r.offset();
        let e = (|| {
            let der = Span::of(&self.r.sub_u24("ASN.1Cert")?);
            let extensions = if self.tls13 {
                Some(Extensions::new(self.r.sub_u16("extensions")?))
            } else {
                None
            };
            Ok(CertificateEntry { der, extensions })
        })();
        if e.is_err() {
            self.r.take_rest();
        } else {
            // Progress: an entry is at least its 3-byte length, even for an empty certificate.
            debug_assert!(
                self.r.offset() >= before + 3,
                "CertificateEntries::next did not advance past a length"
            );
        }
        Some(e)
    }
}

/// A signature with its algorithm (RFC 5246 §4.7; the algorithm field is absent in DTLS 1.0).
#[derive(Clone, Copy, Debug)]
pub struct DigitallySigned<'a> {
    /// SignatureAndHashAlgorithm (1.2) / SignatureScheme (1.3); `None` in 1.0.
    pub algorithm: Option<SignatureScheme>,
    /// The signature.
    pub signature: Span<'a>,
}

impl<'a> DigitallySigned<'a> {
    fn read(r: &mut Reader<'a>, has_alg: bool) -> Result<Self> {
        let algorithm = if has_alg {
            Some(SignatureScheme(r.u16("signature_algorithm")?))
        } else {
            None
        };
        let signature = Span::of(&r.sub_u16("signature")?);
        Ok(DigitallySigned {
            algorithm,
            signature,
        })
    }
}

/// ServerKeyExchange (RFC 5246 §7.4.3, RFC 8422 §5.4, RFC 4279 §2), laid out by the key
/// exchange of the negotiated suite.
#[derive(Clone, Debug)]
pub enum ServerKeyExchange<'a> {
    /// ECDHE with a named curve (curve_type 3) and its signature. For ECDHE_PSK the
    /// `psk_identity_hint` comes first and there is no signature.
    Ecdhe {
        /// PSK identity hint (ECDHE_PSK only).
        psk_identity_hint: Option<Span<'a>>,
        /// The curve.
        group: NamedGroup,
        /// The server's ephemeral public key.
        public: Span<'a>,
        /// The signature over the parameters (absent for ECDHE_PSK).
        signature: Option<DigitallySigned<'a>>,
    },
    /// Finite-field DHE: p, g, Ys and the signature.
    Dhe {
        /// Prime.
        p: Span<'a>,
        /// Generator.
        g: Span<'a>,
        /// Server public value.
        ys: Span<'a>,
        /// Signature.
        signature: DigitallySigned<'a>,
    },
    /// Plain PSK: the identity hint.
    Psk {
        /// psk_identity_hint.
        psk_identity_hint: Span<'a>,
    },
    /// The suite is unknown (or not in the context), so the layout is unknown: raw bytes.
    Unknown(Span<'a>),
}

impl<'a> ServerKeyExchange<'a> {
    fn read(r: &mut Reader<'a>, ctx: &MessageContext) -> Result<Self> {
        let kx = ctx.cipher_suite.map(CipherSuite::key_exchange);
        let is_psk = ctx
            .cipher_suite
            .and_then(CipherSuite::name)
            .is_some_and(|n| n.contains("_PSK_"));
        match kx {
            Some(KeyExchange::Ecdhe) => {
                let psk_identity_hint = if is_psk {
                    Some(Span::of(&r.sub_u16("psk_identity_hint")?))
                } else {
                    None
                };
                let ct = r.u8("curve_type")?;
                if ct != 3 {
                    return Err(r.bad_value_at(1, "curve_type", "named_curve (3)", ct as u64));
                }
                let group = NamedGroup(r.u16("namedcurve")?);
                let public = Span::of(&r.sub_u8("public")?);
                let signature = if is_psk {
                    None
                } else {
                    Some(DigitallySigned::read(r, ctx.has_sig_alg())?)
                };
                Ok(ServerKeyExchange::Ecdhe {
                    psk_identity_hint,
                    group,
                    public,
                    signature,
                })
            }
            Some(KeyExchange::Dhe) => {
                let p = Span::of(&r.sub_u16("dh_p")?);
                let g = Span::of(&r.sub_u16("dh_g")?);
                let ys = Span::of(&r.sub_u16("dh_Ys")?);
                let signature = DigitallySigned::read(r, ctx.has_sig_alg())?;
                Ok(ServerKeyExchange::Dhe {
                    p,
                    g,
                    ys,
                    signature,
                })
            }
            Some(KeyExchange::Psk) => Ok(ServerKeyExchange::Psk {
                psk_identity_hint: Span::of(&r.sub_u16("psk_identity_hint")?),
            }),
            _ => Ok(ServerKeyExchange::Unknown(Span::of(
                &r.sub(r.remaining(), "params")?,
            ))),
        }
    }
}

/// ClientKeyExchange (RFC 5246 §7.4.7, RFC 8422 §5.7), laid out by the suite's key exchange.
#[derive(Clone, Copy, Debug)]
pub enum ClientKeyExchange<'a> {
    /// ECDHE: the client's ephemeral public key (after the PSK identity for ECDHE_PSK).
    Ecdhe {
        /// psk_identity (ECDHE_PSK only).
        psk_identity: Option<Span<'a>>,
        /// Public key.
        public: Span<'a>,
    },
    /// DHE: Yc.
    Dhe(Span<'a>),
    /// RSA: the encrypted premaster secret.
    Rsa(Span<'a>),
    /// PSK: the identity.
    Psk(Span<'a>),
    /// Unknown layout: raw bytes.
    Unknown(Span<'a>),
}

impl<'a> ClientKeyExchange<'a> {
    fn read(r: &mut Reader<'a>, ctx: &MessageContext) -> Result<Self> {
        let is_psk = ctx
            .cipher_suite
            .and_then(CipherSuite::name)
            .is_some_and(|n| n.contains("_PSK_"));
        Ok(match ctx.cipher_suite.map(CipherSuite::key_exchange) {
            Some(KeyExchange::Ecdhe) => {
                let psk_identity = if is_psk {
                    Some(Span::of(&r.sub_u16("psk_identity")?))
                } else {
                    None
                };
                ClientKeyExchange::Ecdhe {
                    psk_identity,
                    public: Span::of(&r.sub_u8("ecdh_Yc")?),
                }
            }
            Some(KeyExchange::Dhe) => ClientKeyExchange::Dhe(Span::of(&r.sub_u16("dh_Yc")?)),
            Some(KeyExchange::Rsa) => {
                ClientKeyExchange::Rsa(Span::of(&r.sub_u16("EncryptedPreMasterSecret")?))
            }
            Some(KeyExchange::Psk) => ClientKeyExchange::Psk(Span::of(&r.sub_u16("psk_identity")?)),
            _ => ClientKeyExchange::Unknown(Span::of(&r.sub(r.remaining(), "exchange_keys")?)),
        })
    }
}

/// CertificateRequest (RFC 5246 §7.4.4 for ≤ 1.2; 1.3's form is encrypted and kept raw as
/// context + extensions).
#[derive(Clone, Debug)]
pub struct CertificateRequest<'a> {
    /// certificate_types (≤ 1.2), one byte each.
    pub certificate_types: Span<'a>,
    /// supported_signature_algorithms (1.2 only).
    pub signature_algorithms: Option<U16List<'a, SignatureScheme>>,
    /// certificate_authorities body (≤ 1.2): DistinguishedName<1..2^16-1> entries.
    pub certificate_authorities: Span<'a>,
    /// 1.3: certificate_request_context and extensions.
    pub tls13: Option<(Span<'a>, Extensions<'a>)>,
}

impl<'a> CertificateRequest<'a> {
    fn read(r: &mut Reader<'a>, ctx: &MessageContext) -> Result<Self> {
        if ctx.is_tls13() {
            let context = Span::of(&r.sub_u8("certificate_request_context")?);
            let exts = Extensions::new(r.sub_u16("extensions")?);
            return Ok(CertificateRequest {
                certificate_types: Span::empty(r.offset()),
                signature_algorithms: None,
                certificate_authorities: Span::empty(r.offset()),
                tls13: Some((context, exts)),
            });
        }
        let certificate_types = Span::of(&r.sub_u8("certificate_types")?);
        let signature_algorithms = if ctx.has_sig_alg() {
            Some(U16List::new(
                r.sub_u16("supported_signature_algorithms")?,
                "supported_signature_algorithms",
            )?)
        } else {
            None
        };
        let certificate_authorities = Span::of(&r.sub_u16("certificate_authorities")?);
        Ok(CertificateRequest {
            certificate_types,
            signature_algorithms,
            certificate_authorities,
            tls13: None,
        })
    }

    /// The requested certificate types.
    pub fn types(&self) -> impl Iterator<Item = ClientCertificateType> + 'a {
        self.certificate_types
            .bytes
            .iter()
            .map(|&b| ClientCertificateType(b))
    }
}

/// Owned ClientHello, enough to build realistic test input and to round-trip views.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHelloRepr {
    /// client_version.
    pub client_version: ProtocolVersion,
    /// random.
    pub random: [u8; 32],
    /// session_id.
    pub session_id: Vec<u8>,
    /// cookie.
    pub cookie: Vec<u8>,
    /// cipher_suites.
    pub cipher_suites: Vec<CipherSuite>,
    /// compression_methods.
    pub compression_methods: Vec<u8>,
    /// extensions; `None` omits the block.
    pub extensions: Option<Vec<ExtensionRepr>>,
}

impl ClientHelloRepr {
    /// Builds the owned form from a view (fails on a malformed extension).
    pub fn from_view(ch: &ClientHello<'_>) -> Result<Self> {
        let mut random = [0u8; 32];
        random.copy_from_slice(ch.random.bytes);
        let extensions = match &ch.extensions {
            None => None,
            Some(e) => Some(
                e.clone()
                    .map(|x| {
                        x.map(|x| ExtensionRepr {
                            ext_type: x.ext_type,
                            data: x.data.bytes.to_vec(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        Ok(ClientHelloRepr {
            client_version: ch.client_version,
            random,
            session_id: ch.session_id.bytes.to_vec(),
            cookie: ch.cookie.bytes.to_vec(),
            cipher_suites: ch.cipher_suites.iter().collect(),
            compression_methods: ch.compression_methods.bytes.to_vec(),
            extensions,
        })
    }

    /// Appends the message body (without the handshake header).
    pub fn emit_body(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.client_version.0.to_be_bytes());
        out.extend_from_slice(&self.random);
        out.push(self.session_id.len() as u8);
        out.extend_from_slice(&self.session_id);
        out.push(self.cookie.len() as u8);
        out.extend_from_slice(&self.cookie);
        out.extend_from_slice(&((self.cipher_suites.len() * 2) as u16).to_be_bytes());
        for c in &self.cipher_suites {
            out.extend_from_slice(&c.0.to_be_bytes());
        }
        out.push(self.compression_methods.len() as u8);
        out.extend_from_slice(&self.compression_methods);
        if let Some(exts) = &self.extensions {
            crate::ext::emit_extensions(exts, out);
        }
    }
}

/// Owned ServerHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHelloRepr {
    /// server_version.
    pub server_version: ProtocolVersion,
    /// random.
    pub random: [u8; 32],
    /// session_id.
    pub session_id: Vec<u8>,
    /// cipher_suite.
    pub cipher_suite: CipherSuite,
    /// compression_method.
    pub compression_method: u8,
    /// extensions; `None` omits the block.
    pub extensions: Option<Vec<ExtensionRepr>>,
}

impl ServerHelloRepr {
    /// Builds the owned form from a view.
    pub fn from_view(sh: &ServerHello<'_>) -> Result<Self> {
        let mut random = [0u8; 32];
        random.copy_from_slice(sh.random.bytes);
        let extensions = match &sh.extensions {
            None => None,
            Some(e) => Some(
                e.clone()
                    .map(|x| {
                        x.map(|x| ExtensionRepr {
                            ext_type: x.ext_type,
                            data: x.data.bytes.to_vec(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        Ok(ServerHelloRepr {
            server_version: sh.server_version,
            random,
            session_id: sh.session_id.bytes.to_vec(),
            cipher_suite: sh.cipher_suite,
            compression_method: sh.compression_method.0,
            extensions,
        })
    }

    /// Appends the message body.
    pub fn emit_body(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.server_version.0.to_be_bytes());
        out.extend_from_slice(&self.random);
        out.push(self.session_id.len() as u8);
        out.extend_from_slice(&self.session_id);
        out.extend_from_slice(&self.cipher_suite.0.to_be_bytes());
        out.push(self.compression_method);
        if let Some(exts) = &self.extensions {
            crate::ext::emit_extensions(exts, out);
        }
    }
}
