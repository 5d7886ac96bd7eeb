//! Decoded attribute values: one [`Attribute`] variant per attribute the crate understands,
//! [`Attribute::Other`] for everything else (unknown or vendor types, kept with their bytes).
//!
//! [`Attribute<'a>`] borrows text and byte values from the message (`Cow::Borrowed`), so
//! decoding a view allocates nothing; [`Attribute::into_owned`] turns it into an
//! `Attribute<'static>` for the owned representation.

use crate::field;
use crate::types::{AddressFamily, AttributeType, ErrorCode, PasswordAlgorithm, TransportProtocol};
use rtcscope_wire::{pad4, Error, ErrorKind, Layer, Reader, Result};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A list of attribute types, the value of UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
///
/// Stored as the raw big-endian bytes so that a borrowed list needs no allocation.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AttributeList<'a>(Cow<'a, [u8]>);

impl<'a> AttributeList<'a> {
    /// Wraps raw bytes; fails unless the length is even.
    pub fn from_bytes(bytes: &'a [u8]) -> Option<Self> {
        (bytes.len() % 2 == 0).then_some(AttributeList(Cow::Borrowed(bytes)))
    }

    /// Builds a list from types.
    pub fn from_types(types: &[AttributeType]) -> AttributeList<'static> {
        AttributeList(Cow::Owned(
            types.iter().flat_map(|t| t.0.to_be_bytes()).collect(),
        ))
    }

    /// The types, in wire order.
    pub fn iter(&self) -> impl Iterator<Item = AttributeType> + '_ {
        self.0
            .chunks_exact(2)
            .map(|c| AttributeType(u16::from_be_bytes([c[0], c[1]])))
    }

    /// Number of types listed.
    pub fn len(&self) -> usize {
        self.0.len() / 2
    }

    /// True when the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The raw value bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// An owned copy.
    pub fn into_owned(self) -> AttributeList<'static> {
        AttributeList(Cow::Owned(self.0.into_owned()))
    }
}

impl core::fmt::Debug for AttributeList<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The value of PASSWORD-ALGORITHMS (RFC 8489 §14.11): algorithms with their parameters,
/// each padded to four bytes.
///
/// Stored as validated raw bytes; [`PasswordAlgorithms::iter`] decodes entries lazily.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PasswordAlgorithms<'a>(Cow<'a, [u8]>);

impl<'a> PasswordAlgorithms<'a> {
    /// Validates and wraps a PASSWORD-ALGORITHMS value located at `offset`.
    pub fn parse(bytes: &'a [u8], offset: usize) -> Result<Self> {
        let mut r = Reader::with_base(bytes, offset, Layer::Stun);
        while !r.is_empty() {
            let before = r.position();
            r.skip(2, "PASSWORD-ALGORITHMS algorithm")?;
            let len = r.u16("PASSWORD-ALGORITHMS parameters length")? as usize;
            r.skip(pad4(len), "PASSWORD-ALGORITHMS parameters")?;
            debug_assert!(
                r.position() >= before + 4,
                "PasswordAlgorithms::parse did not advance past an entry header"
            );
        }
        Ok(PasswordAlgorithms(Cow::Borrowed(bytes)))
    }

    /// Builds the value from algorithms and their parameters.
    pub fn from_entries(entries: &[(PasswordAlgorithm, &[u8])]) -> PasswordAlgorithms<'static> {
        let mut out = Vec::new();
        for (alg, params) in entries {
            out.extend_from_slice(&alg.0.to_be_bytes());
            out.extend_from_slice(&(params.len() as u16).to_be_bytes());
            out.extend_from_slice(params);
            out.resize(pad4(out.len()), 0);
        }
        PasswordAlgorithms(Cow::Owned(out))
    }

    /// The entries: algorithm and parameters.
    pub fn iter(&self) -> impl Iterator<Item = (PasswordAlgorithm, &[u8])> + '_ {
        let mut rest: &[u8] = &self.0;
        core::iter::from_fn(move || {
            if rest.len() < 4 {
                return None;
            }
            let alg = PasswordAlgorithm(u16::from_be_bytes([rest[0], rest[1]]));
            let len = u16::from_be_bytes([rest[2], rest[3]]) as usize;
            let params = rest.get(4..4 + len)?;
            let before = rest.len();
            rest = rest.get(4 + pad4(len)..).unwrap_or(&[]);
            debug_assert!(
                rest.len() < before,
                "PasswordAlgorithms::iter did not advance"
            );
            Some((alg, params))
        })
    }

    /// The raw value bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// An owned copy.
    pub fn into_owned(self) -> PasswordAlgorithms<'static> {
        PasswordAlgorithms(Cow::Owned(self.0.into_owned()))
    }
}

impl core::fmt::Debug for PasswordAlgorithms<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter().map(|(a, _)| a)).finish()
    }
}

/// A decoded STUN attribute.
///
/// Variants are named after the attribute; the doc of each says where it is defined and what
/// the value holds. Anything the crate does not decode (unknown types, and vendor types known
/// only by name) is [`Attribute::Other`] with its raw value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    MappedAddress(SocketAddr),
    /// RESPONSE-ADDRESS (RFC 3489 §11.2.2).
    ResponseAddress(SocketAddr),
    /// SOURCE-ADDRESS (RFC 3489 §11.2.5).
    SourceAddress(SocketAddr),
    /// CHANGED-ADDRESS (RFC 3489 §11.2.3).
    ChangedAddress(SocketAddr),
    /// REFLECTED-FROM (RFC 3489 §11.2.11).
    ReflectedFrom(SocketAddr),
    /// ALTERNATE-SERVER (RFC 8489 §14.15).
    AlternateServer(SocketAddr),
    /// RESPONSE-ORIGIN (RFC 5780 §7.3).
    ResponseOrigin(SocketAddr),
    /// OTHER-ADDRESS (RFC 5780 §7.4).
    OtherAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2), decoded (un-XORed).
    XorMappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS at the pre-RFC 5389 code point 0x8020, decoded like 0x0020.
    XorMappedAddressDraft(SocketAddr),
    /// XOR-PEER-ADDRESS (RFC 8656 §18.3), decoded.
    XorPeerAddress(SocketAddr),
    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5), decoded.
    XorRelayedAddress(SocketAddr),
    /// USERNAME (RFC 8489 §14.3): UTF-8.
    Username(Cow<'a, str>),
    /// USERHASH (RFC 8489 §14.4): SHA-256(username ":" realm).
    Userhash([u8; 32]),
    /// PASSWORD (RFC 3489 §11.2.7): opaque.
    Password(Cow<'a, [u8]>),
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1.
    MessageIntegrity([u8; 20]),
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6): HMAC-SHA256, possibly truncated (16 to 32
    /// bytes, a multiple of 4).
    MessageIntegritySha256(Cow<'a, [u8]>),
    /// FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message XOR 0x5354554E.
    Fingerprint(u32),
    /// ERROR-CODE (RFC 8489 §14.8).
    ErrorCode {
        /// The code (class * 100 + number).
        code: ErrorCode,
        /// The reason phrase (UTF-8).
        reason: Cow<'a, str>,
    },
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
    UnknownAttributes(AttributeList<'a>),
    /// REALM (RFC 8489 §14.9): UTF-8.
    Realm(Cow<'a, str>),
    /// NONCE (RFC 8489 §14.10): UTF-8.
    Nonce(Cow<'a, str>),
    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11).
    PasswordAlgorithms(PasswordAlgorithms<'a>),
    /// PASSWORD-ALGORITHM (RFC 8489 §14.12).
    PasswordAlgorithm {
        /// The algorithm.
        algorithm: PasswordAlgorithm,
        /// Its parameters (none for MD5 and SHA-256).
        params: Cow<'a, [u8]>,
    },
    /// SOFTWARE (RFC 8489 §14.14): UTF-8.
    Software(Cow<'a, str>),
    /// ALTERNATE-DOMAIN (RFC 8489 §14.16): UTF-8.
    AlternateDomain(Cow<'a, str>),
    /// ORIGIN (0x802F, draft-ietf-tram-stun-origin): UTF-8, e.g. `https://example.org`.
    Origin(Cow<'a, str>),
    /// CHANGE-REQUEST (RFC 5780 §7.2, RFC 3489 §11.2.4). Other flag bits are ignored.
    ChangeRequest {
        /// "A": send the response from a different IP address.
        change_ip: bool,
        /// "B": send the response from a different port.
        change_port: bool,
    },
    /// RESPONSE-PORT (RFC 5780 §7.5).
    ResponsePort(u16),
    /// PADDING (RFC 5780 §7.6): opaque bytes.
    Padding(Cow<'a, [u8]>),
    /// CACHE-TIMEOUT (RFC 5780 §7.7): seconds.
    CacheTimeout(u32),
    /// CHANNEL-NUMBER (RFC 8656 §18.1). The RFFU half is ignored.
    ChannelNumber(u16),
    /// LIFETIME (RFC 8656 §18.2): seconds.
    Lifetime(u32),
    /// DATA (RFC 8656 §18.4).
    Data(Cow<'a, [u8]>),
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).
    RequestedAddressFamily(AddressFamily),
    /// EVEN-PORT (RFC 8656 §18.7).
    EvenPort {
        /// The R bit: reserve the next-higher port too.
        reserve_next: bool,
    },
    /// REQUESTED-TRANSPORT (RFC 8656 §18.8).
    RequestedTransport(TransportProtocol),
    /// DONT-FRAGMENT (RFC 8656 §18.9): no value.
    DontFragment,
    /// RESERVATION-TOKEN (RFC 8656 §18.10).
    ReservationToken([u8; 8]),
    /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11).
    AdditionalAddressFamily(AddressFamily),
    /// ADDRESS-ERROR-CODE (RFC 8656 §18.12).
    AddressErrorCode {
        /// The family the error is about.
        family: AddressFamily,
        /// The code.
        code: ErrorCode,
        /// The reason phrase.
        reason: Cow<'a, str>,
    },
    /// ICMP (RFC 8656 §18.13).
    Icmp {
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        code: u8,
        /// Error data (e.g. the MTU of a "fragmentation needed").
        error_data: u32,
    },
    /// CONNECTION-ID (RFC 6062 §6.2.1).
    ConnectionId(u32),
    /// PRIORITY (RFC 8445 §16.1).
    Priority(u32),
    /// USE-CANDIDATE (RFC 8445 §16.1): no value.
    UseCandidate,
    /// ICE-CONTROLLED (RFC 8445 §16.1): the tie-breaker.
    IceControlled(u64),
    /// ICE-CONTROLLING (RFC 8445 §16.1): the tie-breaker.
    IceControlling(u64),
    /// GOOG-NETWORK-INFO (0xC057, libwebrtc): network ID and network cost.
    GoogNetworkInfo {
        /// The sender's network ID.
        network_id: u16,
        /// The network cost (e.g. 10 low, 900 cellular, 999 max).
        network_cost: u16,
    },
    /// Any other attribute, with its raw value (without padding).
    Other {
        /// Its type (named when it is a known vendor or reserved type).
        typ: AttributeType,
        /// The value bytes.
        value: Cow<'a, [u8]>,
    },
}

fn decode_address(r: &mut Reader<'_>, xor: Option<&[u8; 16]>) -> Result<SocketAddr> {
    let start = r.offset();
    let len = r.remaining();
    r.skip(1, "address reserved byte")?;
    let family = AddressFamily(r.u8("address family")?);
    let mut port = r.u16("port")?;
    if let Some(key) = xor {
        port ^= u16::from_be_bytes([key[0], key[1]]);
    }
    let ip = match family {
        AddressFamily::IPV4 => {
            if len != field::address::LEN_V4 {
                return Err(Error::bad_length(
                    Layer::Stun,
                    start,
                    "IPv4 address",
                    "8 bytes",
                    len,
                ));
            }
            let mut a: [u8; 4] = r.array("IPv4 address")?;
            if let Some(key) = xor {
                for (b, k) in a.iter_mut().zip(&key[..4]) {
                    *b ^= k;
                }
            }
            IpAddr::V4(Ipv4Addr::from(a))
        }
        AddressFamily::IPV6 => {
            if len != field::address::LEN_V6 {
                return Err(Error::bad_length(
                    Layer::Stun,
                    start,
                    "IPv6 address",
                    "20 bytes",
                    len,
                ));
            }
            let mut a: [u8; 16] = r.array("IPv6 address")?;
            if let Some(key) = xor {
                for (b, k) in a.iter_mut().zip(key) {
                    *b ^= k;
                }
            }
            IpAddr::V6(Ipv6Addr::from(a))
        }
        other => {
            return Err(Error::bad_value(
                Layer::Stun,
                start + field::address::FAMILY,
                "address family",
                "0x01 (IPv4) or 0x02 (IPv6)",
                u64::from(other.0),
            ))
        }
    };
    Ok(SocketAddr::new(ip, port))
}

fn encode_address(addr: &SocketAddr, xor: Option<&[u8; 16]>, out: &mut Vec<u8>) {
    let zero = [0u8; 16];
    let key = xor.unwrap_or(&zero);
    out.push(0);
    match addr.ip() {
        IpAddr::V4(ip) => {
            out.push(AddressFamily::IPV4.0);
            out.extend_from_slice(
                &(addr.port() ^ u16::from_be_bytes([key[0], key[1]])).to_be_bytes(),
            );
            out.extend(ip.octets().iter().zip(&key[..4]).map(|(b, k)| b ^ k));
        }
        IpAddr::V6(ip) => {
            out.push(AddressFamily::IPV6.0);
            out.extend_from_slice(
                &(addr.port() ^ u16::from_be_bytes([key[0], key[1]])).to_be_bytes(),
            );
            out.extend(ip.octets().iter().zip(key).map(|(b, k)| b ^ k));
        }
    }
}

fn address_len(addr: &SocketAddr) -> usize {
    match addr {
        SocketAddr::V4(_) => field::address::LEN_V4,
        SocketAddr::V6(_) => field::address::LEN_V6,
    }
}

fn exact_len(
    r: &Reader<'_>,
    want: usize,
    field: &'static str,
    expected: &'static str,
) -> Result<()> {
    if r.remaining() == want {
        Ok(())
    } else {
        Err(Error::bad_length(
            Layer::Stun,
            r.offset(),
            field,
            expected,
            r.remaining(),
        ))
    }
}

fn decode_error_code<'a>(r: &mut Reader<'a>, what: &'static str) -> Result<(ErrorCode, &'a str)> {
    let at = r.offset();
    if r.remaining() < 4 {
        return Err(Error::bad_length(
            Layer::Stun,
            at,
            what,
            "at least 4 bytes",
            r.remaining(),
        ));
    }
    r.skip(2, "error code reserved bits")?;
    let class = r.u8("error class")? & 0x07;
    let number = r.u8("error number")?;
    let code = ErrorCode::from_parts(class, number).ok_or_else(|| {
        Error::bad_value(
            Layer::Stun,
            at + field::error_code::NUMBER,
            "error number",
            "0..=99",
            u64::from(number),
        )
    })?;
    let n = r.remaining();
    let reason = r.str(n, "error reason phrase")?;
    Ok((code, reason))
}

impl<'a> Attribute<'a> {
    /// Decodes the value of an attribute of type `typ` located at absolute offset
    /// `value_offset`. `xor_key` is header bytes 4..20 (magic cookie and transaction ID), used
    /// by the XOR- address attributes.
    ///
    /// Errors are located at the failing byte. Nothing is allocated.
    pub fn decode(
        typ: AttributeType,
        value: &'a [u8],
        value_offset: usize,
        xor_key: &[u8; 16],
    ) -> Result<Self> {
        let mut r = Reader::with_base(value, value_offset, Layer::Stun);
        let r = &mut r;
        let attr = match typ {
            AttributeType::MAPPED_ADDRESS => Attribute::MappedAddress(decode_address(r, None)?),
            AttributeType::RESPONSE_ADDRESS => Attribute::ResponseAddress(decode_address(r, None)?),
            AttributeType::SOURCE_ADDRESS => Attribute::SourceAddress(decode_address(r, None)?),
            AttributeType::CHANGED_ADDRESS => Attribute::ChangedAddress(decode_address(r, None)?),
            AttributeType::REFLECTED_FROM => Attribute::ReflectedFrom(decode_address(r, None)?),
            AttributeType::ALTERNATE_SERVER => Attribute::AlternateServer(decode_address(r, None)?),
            AttributeType::RESPONSE_ORIGIN => Attribute::ResponseOrigin(decode_address(r, None)?),
            AttributeType::OTHER_ADDRESS => Attribute::OtherAddress(decode_address(r, None)?),
            AttributeType::XOR_MAPPED_ADDRESS => {
                Attribute::XorMappedAddress(decode_address(r, Some(xor_key))?)
            }
            AttributeType::XOR_MAPPED_ADDRESS_DRAFT => {
                Attribute::XorMappedAddressDraft(decode_address(r, Some(xor_key))?)
            }
            AttributeType::XOR_PEER_ADDRESS => {
                Attribute::XorPeerAddress(decode_address(r, Some(xor_key))?)
            }
            AttributeType::XOR_RELAYED_ADDRESS => {
                Attribute::XorRelayedAddress(decode_address(r, Some(xor_key))?)
            }
            AttributeType::USERNAME => {
                Attribute::Username(Cow::Borrowed(r.str(value.len(), "USERNAME")?))
            }
            AttributeType::USERHASH => {
                exact_len(r, 32, "USERHASH", "32 bytes")?;
                Attribute::Userhash(r.array("USERHASH")?)
            }
            AttributeType::PASSWORD => Attribute::Password(Cow::Borrowed(value)),
            AttributeType::MESSAGE_INTEGRITY => {
                exact_len(r, 20, "MESSAGE-INTEGRITY", "20 bytes")?;
                Attribute::MessageIntegrity(r.array("MESSAGE-INTEGRITY")?)
            }
            AttributeType::MESSAGE_INTEGRITY_SHA256 => {
                if !(16..=32).contains(&value.len()) || value.len() % 4 != 0 {
                    return Err(Error::bad_length(
                        Layer::Stun,
                        value_offset,
                        "MESSAGE-INTEGRITY-SHA256",
                        "16 to 32 bytes, a multiple of 4",
                        value.len(),
                    ));
                }
                Attribute::MessageIntegritySha256(Cow::Borrowed(value))
            }
            AttributeType::FINGERPRINT => {
                exact_len(r, 4, "FINGERPRINT", "4 bytes")?;
                Attribute::Fingerprint(r.u32("FINGERPRINT")?)
            }
            AttributeType::ERROR_CODE => {
                let (code, reason) = decode_error_code(r, "ERROR-CODE")?;
                Attribute::ErrorCode {
                    code,
                    reason: Cow::Borrowed(reason),
                }
            }
            AttributeType::UNKNOWN_ATTRIBUTES => {
                Attribute::UnknownAttributes(AttributeList::from_bytes(value).ok_or_else(|| {
                    Error::bad_length(
                        Layer::Stun,
                        value_offset,
                        "UNKNOWN-ATTRIBUTES",
                        "an even number of bytes",
                        value.len(),
                    )
                })?)
            }
            AttributeType::REALM => Attribute::Realm(Cow::Borrowed(r.str(value.len(), "REALM")?)),
            AttributeType::NONCE => Attribute::Nonce(Cow::Borrowed(r.str(value.len(), "NONCE")?)),
            AttributeType::PASSWORD_ALGORITHMS => {
                Attribute::PasswordAlgorithms(PasswordAlgorithms::parse(value, value_offset)?)
            }
            AttributeType::PASSWORD_ALGORITHM => {
                let algorithm = PasswordAlgorithm(r.u16("PASSWORD-ALGORITHM algorithm")?);
                let len = r.u16("PASSWORD-ALGORITHM parameters length")? as usize;
                let params = r.bytes(len, "PASSWORD-ALGORITHM parameters")?;
                // RFC 8489 §14.12 pads the parameters inside the value; tolerate a value that
                // ends right after them (the attribute padding then does the job).
                let pad = pad4(len) - len;
                if r.remaining() != 0 && r.remaining() != pad {
                    return Err(r.error(
                        "PASSWORD-ALGORITHM",
                        ErrorKind::TrailingBytes {
                            count: r.remaining(),
                        },
                    ));
                }
                Attribute::PasswordAlgorithm {
                    algorithm,
                    params: Cow::Borrowed(params),
                }
            }
            AttributeType::SOFTWARE => {
                Attribute::Software(Cow::Borrowed(r.str(value.len(), "SOFTWARE")?))
            }
            AttributeType::ALTERNATE_DOMAIN => {
                Attribute::AlternateDomain(Cow::Borrowed(r.str(value.len(), "ALTERNATE-DOMAIN")?))
            }
            AttributeType::ORIGIN => {
                Attribute::Origin(Cow::Borrowed(r.str(value.len(), "ORIGIN")?))
            }
            AttributeType::CHANGE_REQUEST => {
                exact_len(r, 4, "CHANGE-REQUEST", "4 bytes")?;
                let flags = r.u32("CHANGE-REQUEST flags")?;
                Attribute::ChangeRequest {
                    change_ip: flags & 0x4 != 0,
                    change_port: flags & 0x2 != 0,
                }
            }
            AttributeType::RESPONSE_PORT => {
                exact_len(r, 4, "RESPONSE-PORT", "4 bytes")?;
                Attribute::ResponsePort(r.u16("RESPONSE-PORT")?)
            }
            AttributeType::PADDING => Attribute::Padding(Cow::Borrowed(value)),
            AttributeType::CACHE_TIMEOUT => {
                exact_len(r, 4, "CACHE-TIMEOUT", "4 bytes")?;
                Attribute::CacheTimeout(r.u32("CACHE-TIMEOUT")?)
            }
            AttributeType::CHANNEL_NUMBER => {
                exact_len(r, 4, "CHANNEL-NUMBER", "4 bytes")?;
                Attribute::ChannelNumber(r.u16("CHANNEL-NUMBER")?)
            }
            AttributeType::LIFETIME => {
                exact_len(r, 4, "LIFETIME", "4 bytes")?;
                Attribute::Lifetime(r.u32("LIFETIME")?)
            }
            AttributeType::DATA => Attribute::Data(Cow::Borrowed(value)),
            AttributeType::REQUESTED_ADDRESS_FAMILY => {
                exact_len(r, 4, "REQUESTED-ADDRESS-FAMILY", "4 bytes")?;
                Attribute::RequestedAddressFamily(AddressFamily(r.u8("REQUESTED-ADDRESS-FAMILY")?))
            }
            AttributeType::ADDITIONAL_ADDRESS_FAMILY => {
                exact_len(r, 4, "ADDITIONAL-ADDRESS-FAMILY", "4 bytes")?;
                Attribute::AdditionalAddressFamily(AddressFamily(
                    r.u8("ADDITIONAL-ADDRESS-FAMILY")?,
                ))
            }
            AttributeType::EVEN_PORT => {
                exact_len(r, 1, "EVEN-PORT", "1 byte")?;
                Attribute::EvenPort {
                    reserve_next: r.u8("EVEN-PORT")? & 0x80 != 0,
                }
            }
            AttributeType::REQUESTED_TRANSPORT => {
                exact_len(r, 4, "REQUESTED-TRANSPORT", "4 bytes")?;
                Attribute::RequestedTransport(TransportProtocol(r.u8("REQUESTED-TRANSPORT")?))
            }
            AttributeType::DONT_FRAGMENT => {
                exact_len(r, 0, "DONT-FRAGMENT", "0 bytes")?;
                Attribute::DontFragment
            }
            AttributeType::RESERVATION_TOKEN => {
                exact_len(r, 8, "RESERVATION-TOKEN", "8 bytes")?;
                Attribute::ReservationToken(r.array("RESERVATION-TOKEN")?)
            }
            AttributeType::ADDRESS_ERROR_CODE => {
                let family = AddressFamily(r.peek_u8("ADDRESS-ERROR-CODE family")?);
                let (code, reason) = decode_error_code(r, "ADDRESS-ERROR-CODE")?;
                Attribute::AddressErrorCode {
                    family,
                    code,
                    reason: Cow::Borrowed(reason),
                }
            }
            AttributeType::ICMP => {
                exact_len(r, 8, "ICMP", "8 bytes")?;
                r.skip(2, "ICMP reserved")?;
                Attribute::Icmp {
                    icmp_type: r.u8("ICMP type")?,
                    code: r.u8("ICMP code")?,
                    error_data: r.u32("ICMP error data")?,
                }
            }
            AttributeType::CONNECTION_ID => {
                exact_len(r, 4, "CONNECTION-ID", "4 bytes")?;
                Attribute::ConnectionId(r.u32("CONNECTION-ID")?)
            }
            AttributeType::PRIORITY => {
                exact_len(r, 4, "PRIORITY", "4 bytes")?;
                Attribute::Priority(r.u32("PRIORITY")?)
            }
            AttributeType::USE_CANDIDATE => {
                exact_len(r, 0, "USE-CANDIDATE", "0 bytes")?;
                Attribute::UseCandidate
            }
            AttributeType::ICE_CONTROLLED => {
                exact_len(r, 8, "ICE-CONTROLLED", "8 bytes")?;
                Attribute::IceControlled(r.u64("ICE-CONTROLLED")?)
            }
            AttributeType::ICE_CONTROLLING => {
                exact_len(r, 8, "ICE-CONTROLLING", "8 bytes")?;
                Attribute::IceControlling(r.u64("ICE-CONTROLLING")?)
            }
            AttributeType::GOOG_NETWORK_INFO => {
                exact_len(r, 4, "GOOG-NETWORK-INFO", "4 bytes")?;
                Attribute::GoogNetworkInfo {
                    network_id: r.u16("GOOG-NETWORK-INFO network id")?,
                    network_cost: r.u16("GOOG-NETWORK-INFO network cost")?,
                }
            }
            typ => Attribute::Other {
                typ,
                value: Cow::Borrowed(value),
            },
        };
        Ok(attr)
    }

    /// The attribute's type.
    pub fn attribute_type(&self) -> AttributeType {
        use Attribute as A;
        use AttributeType as T;
        match self {
            A::MappedAddress(_) => T::MAPPED_ADDRESS,
            A::ResponseAddress(_) => T::RESPONSE_ADDRESS,
            A::SourceAddress(_) => T::SOURCE_ADDRESS,
            A::ChangedAddress(_) => T::CHANGED_ADDRESS,
            A::ReflectedFrom(_) => T::REFLECTED_FROM,
            A::AlternateServer(_) => T::ALTERNATE_SERVER,
            A::ResponseOrigin(_) => T::RESPONSE_ORIGIN,
            A::OtherAddress(_) => T::OTHER_ADDRESS,
            A::XorMappedAddress(_) => T::XOR_MAPPED_ADDRESS,
            A::XorMappedAddressDraft(_) => T::XOR_MAPPED_ADDRESS_DRAFT,
            A::XorPeerAddress(_) => T::XOR_PEER_ADDRESS,
            A::XorRelayedAddress(_) => T::XOR_RELAYED_ADDRESS,
            A::Username(_) => T::USERNAME,
            A::Userhash(_) => T::USERHASH,
            A::Password(_) => T::PASSWORD,
            A::MessageIntegrity(_) => T::MESSAGE_INTEGRITY,
            A::MessageIntegritySha256(_) => T::MESSAGE_INTEGRITY_SHA256,
            A::Fingerprint(_) => T::FINGERPRINT,
            A::ErrorCode { .. } => T::ERROR_CODE,
            A::UnknownAttributes(_) => T::UNKNOWN_ATTRIBUTES,
            A::Realm(_) => T::REALM,
            A::Nonce(_) => T::NONCE,
            A::PasswordAlgorithms(_) => T::PASSWORD_ALGORITHMS,
            A::PasswordAlgorithm { .. } => T::PASSWORD_ALGORITHM,
            A::Software(_) => T::SOFTWARE,
            A::AlternateDomain(_) => T::ALTERNATE_DOMAIN,
            A::Origin(_) => T::ORIGIN,
            A::ChangeRequest { .. } => T::CHANGE_REQUEST,
            A::ResponsePort(_) => T::RESPONSE_PORT,
            A::Padding(_) => T::PADDING,
            A::CacheTimeout(_) => T::CACHE_TIMEOUT,
            A::ChannelNumber(_) => T::CHANNEL_NUMBER,
            A::Lifetime(_) => T::LIFETIME,
            A::Data(_) => T::DATA,
            A::RequestedAddressFamily(_) => T::REQUESTED_ADDRESS_FAMILY,
            A::EvenPort { .. } => T::EVEN_PORT,
            A::RequestedTransport(_) => T::REQUESTED_TRANSPORT,
            A::DontFragment => T::DONT_FRAGMENT,
            A::ReservationToken(_) => T::RESERVATION_TOKEN,
            A::AdditionalAddressFamily(_) => T::ADDITIONAL_ADDRESS_FAMILY,
            A::AddressErrorCode { .. } => T::ADDRESS_ERROR_CODE,
            A::Icmp { .. } => T::ICMP,
            A::ConnectionId(_) => T::CONNECTION_ID,
            A::Priority(_) => T::PRIORITY,
            A::UseCandidate => T::USE_CANDIDATE,
            A::IceControlled(_) => T::ICE_CONTROLLED,
            A::IceControlling(_) => T::ICE_CONTROLLING,
            A::GoogNetworkInfo { .. } => T::GOOG_NETWORK_INFO,
            A::Other { typ, .. } => *typ,
        }
    }

    /// Length of the encoded value, before padding.
    pub fn value_len(&self) -> usize {
        use Attribute as A;
        match self {
            A::MappedAddress(a)
            | A::ResponseAddress(a)
            | A::SourceAddress(a)
            | A::ChangedAddress(a)
            | A::ReflectedFrom(a)
            | A::AlternateServer(a)
            | A::ResponseOrigin(a)
            | A::OtherAddress(a)
            | A::XorMappedAddress(a)
            | A::XorMappedAddressDraft(a)
            | A::XorPeerAddress(a)
            | A::XorRelayedAddress(a) => address_len(a),
            A::Username(s)
            | A::Realm(s)
            | A::Nonce(s)
            | A::Software(s)
            | A::AlternateDomain(s)
            | A::Origin(s) => s.len(),
            A::Userhash(_) => 32,
            A::Password(b) | A::MessageIntegritySha256(b) | A::Padding(b) | A::Data(b) => b.len(),
            A::MessageIntegrity(_) => 20,
            A::Fingerprint(_) => 4,
            A::ErrorCode { reason, .. } | A::AddressErrorCode { reason, .. } => 4 + reason.len(),
            A::UnknownAttributes(l) => l.as_bytes().len(),
            A::PasswordAlgorithms(p) => p.as_bytes().len(),
            A::PasswordAlgorithm { params, .. } => 4 + pad4(params.len()),
            A::ChangeRequest { .. }
            | A::ResponsePort(_)
            | A::CacheTimeout(_)
            | A::ChannelNumber(_)
            | A::Lifetime(_)
            | A::RequestedAddressFamily(_)
            | A::RequestedTransport(_)
            | A::AdditionalAddressFamily(_)
            | A::ConnectionId(_)
            | A::Priority(_)
            | A::GoogNetworkInfo { .. } => 4,
            A::EvenPort { .. } => 1,
            A::DontFragment | A::UseCandidate => 0,
            A::ReservationToken(_)
            | A::Icmp { .. }
            | A::IceControlled(_)
            | A::IceControlling(_) => 8,
            A::Other { value, .. } => value.len(),
        }
    }

    /// Appends the encoded value (without TLV header or padding). `xor_key` is header bytes
    /// 4..20 of the message being built.
    pub fn encode_value(&self, xor_key: &[u8; 16], out: &mut Vec<u8>) {
        use Attribute as A;
        match self {
            A::MappedAddress(a)
            | A::ResponseAddress(a)
            | A::SourceAddress(a)
            | A::ChangedAddress(a)
            | A::ReflectedFrom(a)
            | A::AlternateServer(a)
            | A::ResponseOrigin(a)
            | A::OtherAddress(a) => encode_address(a, None, out),
            A::XorMappedAddress(a)
            | A::XorMappedAddressDraft(a)
            | A::XorPeerAddress(a)
            | A::XorRelayedAddress(a) => encode_address(a, Some(xor_key), out),
            A::Username(s)
            | A::Realm(s)
            | A::Nonce(s)
            | A::Software(s)
            | A::AlternateDomain(s)
            | A::Origin(s) => out.extend_from_slice(s.as_bytes()),
            A::Userhash(h) => out.extend_from_slice(h),
            A::Password(b) | A::MessageIntegritySha256(b) | A::Padding(b) | A::Data(b) => {
                out.extend_from_slice(b)
            }
            A::MessageIntegrity(h) => out.extend_from_slice(h),
            A::Fingerprint(v)
            | A::CacheTimeout(v)
            | A::Lifetime(v)
            | A::ConnectionId(v)
            | A::Priority(v) => out.extend_from_slice(&v.to_be_bytes()),
            A::ErrorCode { code, reason } => {
                out.extend_from_slice(&[0, 0, code.class(), code.number()]);
                out.extend_from_slice(reason.as_bytes());
            }
            A::AddressErrorCode {
                family,
                code,
                reason,
            } => {
                out.extend_from_slice(&[family.0, 0, code.class(), code.number()]);
                out.extend_from_slice(reason.as_bytes());
            }
            A::UnknownAttributes(l) => out.extend_from_slice(l.as_bytes()),
            A::PasswordAlgorithms(p) => out.extend_from_slice(p.as_bytes()),
            A::PasswordAlgorithm { algorithm, params } => {
                out.extend_from_slice(&algorithm.0.to_be_bytes());
                out.extend_from_slice(&(params.len() as u16).to_be_bytes());
                out.extend_from_slice(params);
                out.extend(core::iter::repeat_n(0, pad4(params.len()) - params.len()));
            }
            A::ChangeRequest {
                change_ip,
                change_port,
            } => {
                let flags = (u32::from(*change_ip) << 2) | (u32::from(*change_port) << 1);
                out.extend_from_slice(&flags.to_be_bytes());
            }
            A::ResponsePort(p) | A::ChannelNumber(p) => {
                out.extend_from_slice(&p.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            A::RequestedAddressFamily(f) | A::AdditionalAddressFamily(f) => {
                out.extend_from_slice(&[f.0, 0, 0, 0])
            }
            A::RequestedTransport(p) => out.extend_from_slice(&[p.0, 0, 0, 0]),
            A::EvenPort { reserve_next } => out.push(if *reserve_next { 0x80 } else { 0 }),
            A::DontFragment | A::UseCandidate => {}
            A::ReservationToken(t) => out.extend_from_slice(t),
            A::Icmp {
                icmp_type,
                code,
                error_data,
            } => {
                out.extend_from_slice(&[0, 0, *icmp_type, *code]);
                out.extend_from_slice(&error_data.to_be_bytes());
            }
            A::IceControlled(v) | A::IceControlling(v) => out.extend_from_slice(&v.to_be_bytes()),
            A::GoogNetworkInfo {
                network_id,
                network_cost,
            } => {
                out.extend_from_slice(&network_id.to_be_bytes());
                out.extend_from_slice(&network_cost.to_be_bytes());
            }
            A::Other { value, .. } => out.extend_from_slice(value),
        }
    }

    /// Converts borrowed text and bytes into owned ones.
    pub fn into_owned(self) -> Attribute<'static> {
        use Attribute as A;
        fn s(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        fn b(c: Cow<'_, [u8]>) -> Cow<'static, [u8]> {
            Cow::Owned(c.into_owned())
        }
        match self {
            A::MappedAddress(a) => A::MappedAddress(a),
            A::ResponseAddress(a) => A::ResponseAddress(a),
            A::SourceAddress(a) => A::SourceAddress(a),
            A::ChangedAddress(a) => A::ChangedAddress(a),
            A::ReflectedFrom(a) => A::ReflectedFrom(a),
            A::AlternateServer(a) => A::AlternateServer(a),
            A::ResponseOrigin(a) => A::ResponseOrigin(a),
            A::OtherAddress(a) => A::OtherAddress(a),
            A::XorMappedAddress(a) => A::XorMappedAddress(a),
            A::XorMappedAddressDraft(a) => A::XorMappedAddressDraft(a),
            A::XorPeerAddress(a) => A::XorPeerAddress(a),
            A::XorRelayedAddress(a) => A::XorRelayedAddress(a),
            A::Username(v) => A::Username(s(v)),
            A::Userhash(h) => A::Userhash(h),
            A::Password(v) => A::Password(b(v)),
            A::MessageIntegrity(h) => A::MessageIntegrity(h),
            A::MessageIntegritySha256(v) => A::MessageIntegritySha256(b(v)),
            A::Fingerprint(v) => A::Fingerprint(v),
            A::ErrorCode { code, reason } => A::ErrorCode {
                code,
                reason: s(reason),
            },
            A::UnknownAttributes(l) => A::UnknownAttributes(l.into_owned()),
            A::Realm(v) => A::Realm(s(v)),
            A::Nonce(v) => A::Nonce(s(v)),
            A::PasswordAlgorithms(p) => A::PasswordAlgorithms(p.into_owned()),
            A::PasswordAlgorithm { algorithm, params } => A::PasswordAlgorithm {
                algorithm,
                params: b(params),
            },
            A::Software(v) => A::Software(s(v)),
            A::AlternateDomain(v) => A::AlternateDomain(s(v)),
            A::Origin(v) => A::Origin(s(v)),
            A::ChangeRequest {
                change_ip,
                change_port,
            } => A::ChangeRequest {
                change_ip,
                change_port,
            },
            A::ResponsePort(v) => A::ResponsePort(v),
            A::Padding(v) => A::Padding(b(v)),
            A::CacheTimeout(v) => A::CacheTimeout(v),
            A::ChannelNumber(v) => A::ChannelNumber(v),
            A::Lifetime(v) => A::Lifetime(v),
            A::Data(v) => A::Data(b(v)),
            A::RequestedAddressFamily(f) => A::RequestedAddressFamily(f),
            A::EvenPort { reserve_next } => A::EvenPort { reserve_next },
            A::RequestedTransport(p) => A::RequestedTransport(p),
            A::DontFragment => A::DontFragment,
            A::ReservationToken(t) => A::ReservationToken(t),
            A::AdditionalAddressFamily(f) => A::AdditionalAddressFamily(f),
            A::AddressErrorCode {
                family,
                code,
                reason,
            } => A::AddressErrorCode {
                family,
                code,
                reason: s(reason),
            },
            A::Icmp {
                icmp_type,
                code,
                error_data,
            } => A::Icmp {
                icmp_type,
                code,
                error_data,
            },
            A::ConnectionId(v) => A::ConnectionId(v),
            A::Priority(v) => A::Priority(v),
            A::UseCandidate => A::UseCandidate,
            A::IceControlled(v) => A::IceControlled(v),
            A::IceControlling(v) => A::IceControlling(v),
            A::GoogNetworkInfo {
                network_id,
                network_cost,
            } => A::GoogNetworkInfo {
                network_id,
                network_cost,
            },
            A::Other { typ, value } => A::Other {
                typ,
                value: b(value),
            },
        }
    }

    /// The address of an (XOR-)address attribute, already decoded.
    pub fn address(&self) -> Option<SocketAddr> {
        use Attribute as A;
        match self {
            A::MappedAddress(a)
            | A::ResponseAddress(a)
            | A::SourceAddress(a)
            | A::ChangedAddress(a)
            | A::ReflectedFrom(a)
            | A::AlternateServer(a)
            | A::ResponseOrigin(a)
            | A::OtherAddress(a)
            | A::XorMappedAddress(a)
            | A::XorMappedAddressDraft(a)
            | A::XorPeerAddress(a)
            | A::XorRelayedAddress(a) => Some(*a),
            _ => None,
        }
    }
}
