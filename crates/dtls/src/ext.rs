//! Hello extensions (RFC 5246 §7.4.1.4, RFC 8446 §4.2) and the ones WebRTC cares about.
//!
//! ```text
//! struct {
//!     ExtensionType extension_type;            // u16
//!     opaque extension_data<0..2^16-1>;        // u16 length + data
//! } Extension;
//! Extension extensions<0..2^16-1>;             // u16 length of the whole list
//! ```

use crate::enums::{
    EcPointFormat, ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode, SignatureScheme,
    SrtpProtectionProfile,
};
use crate::Span;
use core::marker::PhantomData;
use rtcscope_wire::{Error, Field, Layer, Reader, Result};

/// A list of 16-bit wire values (cipher suites, groups, signature schemes, SRTP profiles,
/// versions), checked to be a whole number of entries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct U16List<'a, T> {
    span: Span<'a>,
    _t: PhantomData<T>,
}

impl<'a, T: From<u16>> U16List<'a, T> {
    /// Wraps the list body (without its length prefix).
    pub(crate) fn new(r: Reader<'a>, field: &'static str) -> Result<Self> {
        if r.remaining() % 2 != 0 {
            return Err(Error::bad_length(
                r.layer(),
                r.offset(),
                field,
                "an even number of bytes",
                r.remaining(),
            ));
        }
        Ok(U16List {
            span: Span::of(&r),
            _t: PhantomData,
        })
    }

    /// The values in wire order.
    pub fn iter(&self) -> impl Iterator<Item = T> + 'a {
        self.span
            .bytes
            .chunks_exact(2)
            .map(|c| T::from(u16::from_be_bytes([c[0], c[1]])))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.span.bytes.len() / 2
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.span.bytes.is_empty()
    }

    /// Absolute range of the list body.
    pub fn range(&self) -> Field {
        self.span.range()
    }

    /// Absolute range of the `i`-th entry.
    pub fn entry_range(&self, i: usize) -> Field {
        let s = self.span.offset + 2 * i;
        s..s + 2
    }
}

impl<T: From<u16> + core::fmt::Debug> core::fmt::Debug for U16List<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Where an extension block sits; some extensions have different bodies per message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtensionContext {
    /// In a ClientHello.
    ClientHello,
    /// In a ServerHello (not a HelloRetryRequest).
    ServerHello,
    /// In a HelloRetryRequest (a ServerHello with the special random).
    HelloRetryRequest,
    /// In EncryptedExtensions (1.3, after decryption).
    EncryptedExtensions,
    /// Anywhere else (CertificateRequest, Certificate entries, NewSessionTicket).
    Other,
}

/// One extension: type and raw data, located.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extension<'a> {
    /// Extension type.
    pub ext_type: ExtensionType,
    /// The extension_data (without its length).
    pub data: Span<'a>,
    /// Absolute offset of the type field.
    pub offset: usize,
}

impl<'a> Extension<'a> {
    /// Absolute range of the whole extension (type, length, data).
    pub fn range(&self) -> Field {
        self.offset..self.data.range().end
    }

    /// Parses the body according to the type and context. Unknown types give
    /// [`ExtensionBody::Unknown`].
    pub fn body(&self, ctx: ExtensionContext) -> Result<ExtensionBody<'a>> {
        let mut r = self.data.reader(Layer::DtlsHandshake);
        let body = match self.ext_type {
            ExtensionType::USE_SRTP => {
                let profiles = U16List::new(
                    r.sub_u16("SRTPProtectionProfiles")?,
                    "SRTPProtectionProfiles",
                )?;
                let mki = Span::of(&r.sub_u8("srtp_mki")?);
                ExtensionBody::UseSrtp(UseSrtp { profiles, mki })
            }
            ExtensionType::SUPPORTED_VERSIONS => match ctx {
                ExtensionContext::ClientHello => ExtensionBody::SupportedVersions(U16List::new(
                    r.sub_u8("versions")?,
                    "versions",
                )?),
                _ => ExtensionBody::SelectedVersion(ProtocolVersion(r.u16("selected_version")?)),
            },
            ExtensionType::SUPPORTED_GROUPS => ExtensionBody::SupportedGroups(U16List::new(
                r.sub_u16("named_group_list")?,
                "named_group_list",
            )?),
            ExtensionType::SIGNATURE_ALGORITHMS | ExtensionType::SIGNATURE_ALGORITHMS_CERT => {
                ExtensionBody::SignatureAlgorithms(U16List::new(
                    r.sub_u16("supported_signature_algorithms")?,
                    "supported_signature_algorithms",
                )?)
            }
            ExtensionType::EXTENDED_MASTER_SECRET
            | ExtensionType::ENCRYPT_THEN_MAC
            | ExtensionType::POST_HANDSHAKE_AUTH => ExtensionBody::Empty,
            ExtensionType::RENEGOTIATION_INFO => {
                ExtensionBody::RenegotiationInfo(Span::of(&r.sub_u8("renegotiated_connection")?))
            }
            ExtensionType::CONNECTION_ID | ExtensionType::CONNECTION_ID_DRAFT => {
                ExtensionBody::ConnectionId(Span::of(&r.sub_u8("cid")?))
            }
            ExtensionType::KEY_SHARE => match ctx {
                ExtensionContext::ClientHello => ExtensionBody::KeyShareClient(KeyShares {
                    r: r.sub_u16("client_shares")?,
                }),
                ExtensionContext::HelloRetryRequest => {
                    ExtensionBody::KeyShareRetry(NamedGroup(r.u16("selected_group")?))
                }
                _ => ExtensionBody::KeyShareServer(KeyShareEntry::read(&mut r)?),
            },
            ExtensionType::ALPN => ExtensionBody::Alpn(ProtocolNames {
                r: r.sub_u16("protocol_name_list")?,
            }),
            ExtensionType::EC_POINT_FORMATS => {
                ExtensionBody::EcPointFormats(Span::of(&r.sub_u8("ec_point_format_list")?))
            }
            ExtensionType::SESSION_TICKET => ExtensionBody::SessionTicket(Span::of(&r)),
            ExtensionType::PSK_KEY_EXCHANGE_MODES => {
                ExtensionBody::PskKeyExchangeModes(Span::of(&r.sub_u8("ke_modes")?))
            }
            ExtensionType::COOKIE => ExtensionBody::Cookie(Span::of(&r.sub_u16("cookie")?)),
            ExtensionType::SERVER_NAME => {
                if r.is_empty() {
                    // The server's acknowledgement is empty (RFC 6066 §3).
                    ExtensionBody::Empty
                } else {
                    ExtensionBody::ServerName(ServerNames {
                        r: r.sub_u16("server_name_list")?,
                    })
                }
            }
            ExtensionType::RECORD_SIZE_LIMIT => {
                ExtensionBody::RecordSizeLimit(r.u16("record_size_limit")?)
            }
            ExtensionType::MAX_FRAGMENT_LENGTH => {
                ExtensionBody::MaxFragmentLength(r.u8("max_fragment_length")?)
            }
            ExtensionType::PADDING => ExtensionBody::Padding(Span::of(&r)),
            _ => {
                r.take_rest();
                ExtensionBody::Unknown(self.data)
            }
        };
        if !matches!(
            body,
            ExtensionBody::SessionTicket(_) | ExtensionBody::Padding(_) | ExtensionBody::Unknown(_)
        ) {
            r.expect_end(ext_name(self.ext_type))?;
        }
        Ok(body)
    }
}

fn ext_name(t: ExtensionType) -> &'static str {
    t.name().unwrap_or("extension")
}

/// The parsed body of a known extension.
#[derive(Clone, Debug)]
pub enum ExtensionBody<'a> {
    /// use_srtp (RFC 5764 §4.1.1).
    UseSrtp(UseSrtp<'a>),
    /// supported_versions in a ClientHello: offered versions.
    SupportedVersions(U16List<'a, ProtocolVersion>),
    /// supported_versions in a ServerHello/HRR: the selected version.
    SelectedVersion(ProtocolVersion),
    /// supported_groups.
    SupportedGroups(U16List<'a, NamedGroup>),
    /// signature_algorithms or signature_algorithms_cert.
    SignatureAlgorithms(U16List<'a, SignatureScheme>),
    /// An extension whose body must be empty (extended_master_secret, encrypt_then_mac,
    /// post_handshake_auth, server_name acknowledgement).
    Empty,
    /// renegotiation_info: renegotiated_connection (empty on an initial handshake).
    RenegotiationInfo(Span<'a>),
    /// connection_id: the CID the sender wants to receive (RFC 9146 §3).
    ConnectionId(Span<'a>),
    /// key_share in a ClientHello.
    KeyShareClient(KeyShares<'a>),
    /// key_share in a ServerHello.
    KeyShareServer(KeyShareEntry<'a>),
    /// key_share in a HelloRetryRequest: only the group the server wants.
    KeyShareRetry(NamedGroup),
    /// ALPN protocol names.
    Alpn(ProtocolNames<'a>),
    /// ec_point_formats: one byte each ([`EcPointFormat`]).
    EcPointFormats(Span<'a>),
    /// session_ticket: the ticket (empty to ask for one).
    SessionTicket(Span<'a>),
    /// psk_key_exchange_modes: one byte each ([`PskKeyExchangeMode`]).
    PskKeyExchangeModes(Span<'a>),
    /// cookie (1.3).
    Cookie(Span<'a>),
    /// server_name list.
    ServerName(ServerNames<'a>),
    /// record_size_limit.
    RecordSizeLimit(u16),
    /// max_fragment_length code.
    MaxFragmentLength(u8),
    /// padding bytes.
    Padding(Span<'a>),
    /// Not interpreted; the raw data.
    Unknown(Span<'a>),
}

impl ExtensionBody<'_> {
    /// EC point formats, when this is ec_point_formats.
    pub fn ec_point_formats(&self) -> Option<impl Iterator<Item = EcPointFormat> + '_> {
        match self {
            ExtensionBody::EcPointFormats(s) => Some(s.bytes.iter().map(|&b| EcPointFormat(b))),
            _ => None,
        }
    }

    /// PSK modes, when this is psk_key_exchange_modes.
    pub fn psk_modes(&self) -> Option<impl Iterator<Item = PskKeyExchangeMode> + '_> {
        match self {
            ExtensionBody::PskKeyExchangeModes(s) => {
                Some(s.bytes.iter().map(|&b| PskKeyExchangeMode(b)))
            }
            _ => None,
        }
    }
}

/// use_srtp (RFC 5764 §4.1.1):
///
/// ```text
/// uint8 SRTPProtectionProfile[2];
/// struct {
///    SRTPProtectionProfiles SRTPProtectionProfiles;   // <2..2^16-1>
///    opaque srtp_mki<0..255>;
/// } UseSRTPData;
/// ```
///
/// In a ServerHello the list holds exactly the one selected profile (RFC 5764 §4.1.1).
#[derive(Clone, Copy, Debug)]
pub struct UseSrtp<'a> {
    /// Offered (ClientHello) or selected (ServerHello) profiles.
    pub profiles: U16List<'a, SrtpProtectionProfile>,
    /// The MKI (usually empty).
    pub mki: Span<'a>,
}

/// key_share entry (RFC 8446 §4.2.8): group and key exchange bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyShareEntry<'a> {
    /// Group.
    pub group: NamedGroup,
    /// Public key bytes (their length identifies e.g. x25519: 32, P-256: 65).
    pub key_exchange: Span<'a>,
}

impl<'a> KeyShareEntry<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        let group = NamedGroup(r.u16("group")?);
        let key_exchange = Span::of(&r.sub_u16("key_exchange")?);
        Ok(KeyShareEntry {
            group,
            key_exchange,
        })
    }
}

/// The client_shares list of a ClientHello key_share.
#[derive(Clone, Debug)]
pub struct KeyShares<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for KeyShares<'a> {
    type Item = Result<KeyShareEntry<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        let before = self.r.offset();
        let e = KeyShareEntry::read(&mut self.r);
        if e.is_err() {
            self.r.take_rest();
        } else {
            // Progress: group and length, even for an empty key.
            debug_assert!(
                self.r.offset() >= before + 4,
                "KeyShares::next did not advance past an entry header"
            );
        }
        Some(e)
    }
}

/// ALPN protocol names (RFC 7301 §3.1).
#[derive(Clone, Debug)]
pub struct ProtocolNames<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for ProtocolNames<'a> {
    type Item = Result<Span<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        let before = self.r.offset();
        let e = self.r.sub_u8("ProtocolName").map(|s| Span::of(&s));
        if e.is_err() {
            self.r.take_rest();
        } else {
            // Progress: the length byte, even for an empty name.
            debug_assert!(
                self.r.offset() > before,
                "ProtocolNames::next did not advance"
            );
        }
        Some(e)
    }
}

/// server_name list (RFC 6066 §3): name type and name.
#[derive(Clone, Debug)]
pub struct ServerNames<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for ServerNames<'a> {
    type Item = Result<(u8, Span<'a>)>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        let before = self.r.offset();
        let e = (|| {
            let t = self.r.u8("name_type")?;
            Ok((t, Span::of(&self.r.sub_u16("HostName")?)))
        })();
        if e.is_err() {
            self.r.take_rest();
        } else {
            // Progress: name type and length, even for an empty name.
            debug_assert!(
                self.r.offset() >= before + 3,
                "ServerNames::next did not advance past an entry header"
            );
        }
        Some(e)
    }
}

/// Lax iterator over an extension list body: extensions until the first error.
#[derive(Clone, Debug)]
pub struct Extensions<'a> {
    r: Reader<'a>,
}

impl<'a> Extensions<'a> {
    /// Iterates the list body (after its u16 length).
    pub(crate) fn new(r: Reader<'a>) -> Self {
        Extensions { r }
    }

    /// Absolute range of the list body.
    pub fn range(&self) -> Field {
        let b = self.r.offset();
        b..b + self.r.remaining()
    }

    /// The first extension of type `t` (lax: stops at a malformed entry).
    pub fn find(&self, t: ExtensionType) -> Option<Extension<'a>> {
        self.clone().map_while(Result::ok).find(|e| e.ext_type == t)
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Result<Extension<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        let offset = self.r.offset();
        let e = (|| {
            let ext_type = ExtensionType(self.r.u16("extension_type")?);
            let data = Span::of(&self.r.sub_u16("extension_data")?);
            Ok(Extension {
                ext_type,
                data,
                offset,
            })
        })();
        if e.is_err() {
            self.r.take_rest();
        } else {
            // Progress: type and length, even for empty extension_data.
            debug_assert!(
                self.r.offset() >= offset + 4,
                "Extensions::next did not advance past an extension header"
            );
        }
        Some(e)
    }
}

/// Owned extension (type and raw data), for building hellos in tests and round trips.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionRepr {
    /// Type.
    pub ext_type: ExtensionType,
    /// Raw extension_data.
    pub data: Vec<u8>,
}

impl ExtensionRepr {
    /// A use_srtp extension with the given profiles and MKI.
    pub fn use_srtp(profiles: &[SrtpProtectionProfile], mki: &[u8]) -> Self {
        let mut data = Vec::with_capacity(3 + 2 * profiles.len() + mki.len());
        data.extend_from_slice(&((profiles.len() * 2) as u16).to_be_bytes());
        for p in profiles {
            data.extend_from_slice(&p.0.to_be_bytes());
        }
        data.push(mki.len() as u8);
        data.extend_from_slice(mki);
        ExtensionRepr {
            ext_type: ExtensionType::USE_SRTP,
            data,
        }
    }

    /// Appends type, length and data.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ext_type.0.to_be_bytes());
        out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.data);
    }
}

/// Emits an extension list with its u16 length prefix.
pub fn emit_extensions(exts: &[ExtensionRepr], out: &mut Vec<u8>) {
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    for e in exts {
        e.emit(out);
    }
    let len = (out.len() - at - 2) as u16;
    out[at..at + 2].copy_from_slice(&len.to_be_bytes());
}
