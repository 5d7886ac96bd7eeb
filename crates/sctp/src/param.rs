//! Parameters (RFC 9260 §3.2.1) and error causes (RFC 9260 §3.3.10): both are TLVs padded to
//! four bytes, whose length counts the four header bytes but not the padding.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Parameter Type / Cause    |   Parameter / Cause Length    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                      Value (Length - 4 bytes)                 \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::enums::{CauseCode, ChunkType, HmacId, ParamType, ReconfigResult};
use crate::Span;
use core::net::{Ipv4Addr, Ipv6Addr};
use rtcscope_wire::{Error, Field, Layer, Reader, Result};

/// Reads one TLV: type, value span, offset of the header. Padding is skipped; missing padding
/// at the very end of the container is tolerated (as Linux and usrsctp do).
pub(crate) fn read_tlv<'a>(
    r: &mut Reader<'a>,
    what: &'static str,
) -> Result<(u16, Span<'a>, usize)> {
    let offset = r.offset();
    let t = r.u16(what)?;
    let len_at = r.offset();
    let len = r.u16("length")? as usize;
    if len < 4 {
        return Err(Error::bad_length(
            r.layer(),
            len_at,
            "length",
            "at least 4 (the header)",
            len,
        ));
    }
    let value = Span::of(&r.sub(len - 4, "value")?);
    let pad = rtcscope_wire::pad4(len) - len;
    r.skip(pad.min(r.remaining()), "padding")?;
    Ok((t, value, offset))
}

/// One parameter, located.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    /// Type.
    pub ptype: ParamType,
    /// Value (without header or padding).
    pub value: Span<'a>,
    /// Absolute offset of the header.
    pub offset: usize,
}

/// Lax iterator over a parameter list: parameters until the first error.
#[derive(Clone, Debug)]
pub struct Params<'a> {
    r: Reader<'a>,
}

impl<'a> Params<'a> {
    pub(crate) fn new(r: Reader<'a>) -> Self {
        Params { r }
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = Result<Param<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        let before = self.r.offset();
        let p = read_tlv(&mut self.r, "parameter type").map(|(t, value, offset)| Param {
            ptype: ParamType(t),
            value,
            offset,
        });
        if p.is_err() {
            self.r.take_rest();
        } else {
            // Progress: `read_tlv` refuses a length below 4, so a parameter is at least its
            // header.
            debug_assert!(
                self.r.offset() >= before + 4,
                "Params::next did not advance past a parameter header"
            );
        }
        Some(p)
    }
}

/// A parsed parameter value.
#[derive(Clone, Debug)]
pub enum ParamBody<'a> {
    /// Heartbeat Info: opaque sender data.
    HeartbeatInfo(Span<'a>),
    /// IPv4 Address.
    Ipv4(Ipv4Addr),
    /// IPv6 Address.
    Ipv6(Ipv6Addr),
    /// State Cookie: opaque.
    StateCookie(Span<'a>),
    /// Unrecognized Parameter: the offending parameter TLV.
    UnrecognizedParameter(Span<'a>),
    /// Cookie Preservative: suggested lifespan increment in ms.
    CookiePreservative(u32),
    /// Host Name Address (deprecated): the name bytes.
    HostName(Span<'a>),
    /// Supported Address Types: parameter types (5, 6, 11).
    SupportedAddressTypes(Span<'a>),
    /// Outgoing SSN Reset Request (RFC 6525 §4.1).
    OutgoingSsnReset {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
        /// Re-configuration Response Sequence Number.
        response_seq: u32,
        /// Sender's Last Assigned TSN.
        last_tsn: u32,
        /// Stream numbers (u16 each; none = all streams).
        streams: Span<'a>,
    },
    /// Incoming SSN Reset Request (RFC 6525 §4.2).
    IncomingSsnReset {
        /// Request sequence number.
        request_seq: u32,
        /// Stream numbers.
        streams: Span<'a>,
    },
    /// SSN/TSN Reset Request (RFC 6525 §4.3).
    SsnTsnReset {
        /// Request sequence number.
        request_seq: u32,
    },
    /// Re-configuration Response (RFC 6525 §4.4).
    ReconfigResponse {
        /// Response sequence number.
        response_seq: u32,
        /// Result.
        result: ReconfigResult,
        /// Sender's and receiver's next TSN, when present (SSN/TSN reset answers).
        next_tsns: Option<(u32, u32)>,
    },
    /// Add Outgoing Streams Request (RFC 6525 §4.5).
    AddOutgoingStreams {
        /// Request sequence number.
        request_seq: u32,
        /// Number of new streams.
        new_streams: u16,
    },
    /// Add Incoming Streams Request (RFC 6525 §4.6).
    AddIncomingStreams {
        /// Request sequence number.
        request_seq: u32,
        /// Number of new streams.
        new_streams: u16,
    },
    /// ECN Capable (empty).
    EcnCapable,
    /// Zero Checksum Acceptable (RFC 9653 §4): the Error Detection Method Identifier
    /// (1 = SCTP over DTLS).
    ZeroChecksumAcceptable {
        /// EDMID.
        edmid: u32,
    },
    /// Random (RFC 4895).
    Random(Span<'a>),
    /// Chunk List (RFC 4895): chunk types that must be authenticated, one byte each.
    ChunkList(Span<'a>),
    /// Requested HMAC Algorithm (RFC 4895): HMAC identifiers, u16 each.
    RequestedHmacAlgorithm(Span<'a>),
    /// Padding (RFC 4820).
    Padding(Span<'a>),
    /// Supported Extensions (RFC 5061): chunk types, one byte each.
    SupportedExtensions(Span<'a>),
    /// Forward-TSN-Supported (empty).
    ForwardTsnSupported,
    /// Add IP Address / Delete IP Address / Set Primary Address (RFC 5061 §4.2): correlation
    /// ID and the address parameter.
    AddressRequest {
        /// ASCONF-Request Correlation ID.
        correlation_id: u32,
        /// The nested address parameter.
        address: Params<'a>,
    },
    /// Error Cause Indication (RFC 5061 §4.2.5).
    ErrorCauseIndication {
        /// Correlation ID.
        correlation_id: u32,
        /// Causes.
        causes: Causes<'a>,
    },
    /// Success Indication (RFC 5061 §4.2.6).
    SuccessIndication {
        /// Correlation ID.
        correlation_id: u32,
    },
    /// Adaptation Layer Indication (RFC 5061 §4.2.7).
    AdaptationLayerIndication(u32),
    /// Not interpreted.
    Unknown(Span<'a>),
}

impl<'a> Param<'a> {
    /// Absolute range of the parameter (header and value, not padding).
    pub fn range(&self) -> Field {
        self.offset..self.value.range().end
    }

    /// Parses the value according to the type.
    pub fn body(&self) -> Result<ParamBody<'a>> {
        let mut r = self.value.reader(Layer::Sctp);
        let b = match self.ptype {
            ParamType::HEARTBEAT_INFO => ParamBody::HeartbeatInfo(self.value),
            ParamType::IPV4_ADDRESS => {
                ParamBody::Ipv4(Ipv4Addr::from(r.array::<4>("IPv4 address")?))
            }
            ParamType::IPV6_ADDRESS => {
                ParamBody::Ipv6(Ipv6Addr::from(r.array::<16>("IPv6 address")?))
            }
            ParamType::STATE_COOKIE => ParamBody::StateCookie(self.value),
            ParamType::UNRECOGNIZED_PARAMETER => ParamBody::UnrecognizedParameter(self.value),
            ParamType::COOKIE_PRESERVATIVE => {
                ParamBody::CookiePreservative(r.u32("life-span increment")?)
            }
            ParamType::HOST_NAME_ADDRESS => ParamBody::HostName(self.value),
            ParamType::SUPPORTED_ADDRESS_TYPES => {
                ParamBody::SupportedAddressTypes(even(self.value, "address types")?)
            }
            ParamType::OUTGOING_SSN_RESET => {
                let request_seq = r.u32("request sequence number")?;
                let response_seq = r.u32("response sequence number")?;
                let last_tsn = r.u32("sender's last assigned TSN")?;
                let streams = even(Span::of(&r), "stream numbers")?;
                r.take_rest();
                ParamBody::OutgoingSsnReset {
                    request_seq,
                    response_seq,
                    last_tsn,
                    streams,
                }
            }
            ParamType::INCOMING_SSN_RESET => {
                let request_seq = r.u32("request sequence number")?;
                let streams = even(Span::of(&r), "stream numbers")?;
                r.take_rest();
                ParamBody::IncomingSsnReset {
                    request_seq,
                    streams,
                }
            }
            ParamType::SSN_TSN_RESET => ParamBody::SsnTsnReset {
                request_seq: r.u32("request sequence number")?,
            },
            ParamType::RECONFIG_RESPONSE => {
                let response_seq = r.u32("response sequence number")?;
                let result = ReconfigResult(r.u32("result")?);
                let next_tsns = if r.is_empty() {
                    None
                } else {
                    Some((r.u32("sender's next TSN")?, r.u32("receiver's next TSN")?))
                };
                ParamBody::ReconfigResponse {
                    response_seq,
                    result,
                    next_tsns,
                }
            }
            ParamType::ADD_OUTGOING_STREAMS | ParamType::ADD_INCOMING_STREAMS => {
                let request_seq = r.u32("request sequence number")?;
                let new_streams = r.u16("number of new streams")?;
                r.u16("reserved")?;
                if self.ptype == ParamType::ADD_OUTGOING_STREAMS {
                    ParamBody::AddOutgoingStreams {
                        request_seq,
                        new_streams,
                    }
                } else {
                    ParamBody::AddIncomingStreams {
                        request_seq,
                        new_streams,
                    }
                }
            }
            ParamType::ECN_CAPABLE => ParamBody::EcnCapable,
            ParamType::ZERO_CHECKSUM_ACCEPTABLE => ParamBody::ZeroChecksumAcceptable {
                edmid: r.u32("error detection method identifier")?,
            },
            ParamType::RANDOM => ParamBody::Random(self.value),
            ParamType::CHUNK_LIST => ParamBody::ChunkList(self.value),
            ParamType::REQUESTED_HMAC_ALGORITHM => {
                ParamBody::RequestedHmacAlgorithm(even(self.value, "HMAC identifiers")?)
            }
            ParamType::PADDING => ParamBody::Padding(self.value),
            ParamType::SUPPORTED_EXTENSIONS => ParamBody::SupportedExtensions(self.value),
            ParamType::FORWARD_TSN_SUPPORTED => ParamBody::ForwardTsnSupported,
            ParamType::ADD_IP_ADDRESS
            | ParamType::DELETE_IP_ADDRESS
            | ParamType::SET_PRIMARY_ADDRESS => {
                let correlation_id = r.u32("correlation ID")?;
                let base = r.offset();
                ParamBody::AddressRequest {
                    correlation_id,
                    address: Params::new(Reader::with_base(r.take_rest(), base, Layer::Sctp)),
                }
            }
            ParamType::ERROR_CAUSE_INDICATION => {
                let correlation_id = r.u32("correlation ID")?;
                let base = r.offset();
                ParamBody::ErrorCauseIndication {
                    correlation_id,
                    causes: Causes::new(Reader::with_base(r.take_rest(), base, Layer::Sctp)),
                }
            }
            ParamType::SUCCESS_INDICATION => ParamBody::SuccessIndication {
                correlation_id: r.u32("correlation ID")?,
            },
            ParamType::ADAPTATION_LAYER_INDICATION => {
                ParamBody::AdaptationLayerIndication(r.u32("adaptation code point")?)
            }
            _ => return Ok(ParamBody::Unknown(self.value)),
        };
        if !matches!(
            b,
            ParamBody::HeartbeatInfo(_)
                | ParamBody::StateCookie(_)
                | ParamBody::UnrecognizedParameter(_)
                | ParamBody::HostName(_)
                | ParamBody::SupportedAddressTypes(_)
                | ParamBody::Random(_)
                | ParamBody::ChunkList(_)
                | ParamBody::RequestedHmacAlgorithm(_)
                | ParamBody::Padding(_)
                | ParamBody::SupportedExtensions(_)
        ) {
            r.expect_end(self.ptype.name().unwrap_or("parameter"))?;
        }
        Ok(b)
    }
}

fn even<'a>(s: Span<'a>, field: &'static str) -> Result<Span<'a>> {
    if s.bytes.len() % 2 == 0 {
        Ok(s)
    } else {
        Err(Error::bad_length(
            Layer::Sctp,
            s.offset,
            field,
            "an even number of bytes",
            s.bytes.len(),
        ))
    }
}

impl ParamBody<'_> {
    /// Chunk types of a Supported Extensions or Chunk List parameter.
    pub fn chunk_types(&self) -> Option<impl Iterator<Item = ChunkType> + '_> {
        match self {
            ParamBody::SupportedExtensions(s) | ParamBody::ChunkList(s) => {
                Some(s.bytes.iter().map(|&b| ChunkType(b)))
            }
            _ => None,
        }
    }

    /// u16 values of stream lists, address types and HMAC lists.
    pub fn u16s(&self) -> Option<impl Iterator<Item = u16> + '_> {
        match self {
            ParamBody::OutgoingSsnReset { streams: s, .. }
            | ParamBody::IncomingSsnReset { streams: s, .. }
            | ParamBody::SupportedAddressTypes(s)
            | ParamBody::RequestedHmacAlgorithm(s) => Some(
                s.bytes
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]])),
            ),
            _ => None,
        }
    }

    /// HMAC identifiers of a Requested HMAC Algorithm parameter.
    pub fn hmac_ids(&self) -> Option<impl Iterator<Item = HmacId> + '_> {
        match self {
            ParamBody::RequestedHmacAlgorithm(_) => self.u16s().map(|i| i.map(HmacId)),
            _ => None,
        }
    }
}

/// One error cause, located.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cause<'a> {
    /// Cause code.
    pub code: CauseCode,
    /// Cause-specific information.
    pub info: Span<'a>,
    /// Absolute offset of the header.
    pub offset: usize,
}

/// Parsed cause information for the causes with structure.
#[derive(Clone, Debug)]
pub enum CauseBody<'a> {
    /// Invalid Stream Identifier (and 2 reserved bytes).
    InvalidStreamIdentifier(u16),
    /// Missing Mandatory Parameter: the parameter types (u16 each after a u32 count).
    MissingMandatoryParameter(Span<'a>),
    /// Stale Cookie: measure of staleness in µs.
    StaleCookie(u32),
    /// No User Data: the TSN of the empty DATA chunk.
    NoUserData(u32),
    /// Unrecognized Chunk Type: the offending chunk.
    UnrecognizedChunk(Span<'a>),
    /// Unrecognized Parameters: the offending parameters.
    UnrecognizedParameters(Params<'a>),
    /// A cause whose information is text for humans or opaque (User-Initiated Abort, Protocol
    /// Violation, Unresolvable Address, Restart with New Addresses, ...).
    Raw(Span<'a>),
}

impl<'a> Cause<'a> {
    /// Absolute range (header and info, not padding).
    pub fn range(&self) -> Field {
        self.offset..self.info.range().end
    }

    /// Parses the information according to the code.
    pub fn body(&self) -> Result<CauseBody<'a>> {
        let mut r = self.info.reader(Layer::Sctp);
        Ok(match self.code {
            CauseCode::INVALID_STREAM_IDENTIFIER => {
                let s = r.u16("stream identifier")?;
                r.u16("reserved")?;
                r.expect_end("Invalid Stream Identifier")?;
                CauseBody::InvalidStreamIdentifier(s)
            }
            CauseCode::MISSING_MANDATORY_PARAMETER => {
                let n = r.u32("number of missing params")? as usize;
                let list = r.sub(n.saturating_mul(2), "missing param types")?;
                CauseBody::MissingMandatoryParameter(Span::of(&list))
            }
            CauseCode::STALE_COOKIE => CauseBody::StaleCookie(r.u32("measure of staleness")?),
            CauseCode::NO_USER_DATA => CauseBody::NoUserData(r.u32("TSN")?),
            CauseCode::UNRECOGNIZED_CHUNK_TYPE => CauseBody::UnrecognizedChunk(self.info),
            CauseCode::UNRECOGNIZED_PARAMETERS => CauseBody::UnrecognizedParameters(Params::new(r)),
            _ => CauseBody::Raw(self.info),
        })
    }
}

/// Lax iterator over error causes.
#[derive(Clone, Debug)]
pub struct Causes<'a> {
    r: Reader<'a>,
}

impl<'a> Causes<'a> {
    pub(crate) fn new(r: Reader<'a>) -> Self {
        Causes { r }
    }
}

impl<'a> Iterator for Causes<'a> {
    type Item = Result<Cause<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        let before = self.r.offset();
        let c = read_tlv(&mut self.r, "cause code").map(|(t, info, offset)| Cause {
            code: CauseCode(t),
            info,
            offset,
        });
        if c.is_err() {
            self.r.take_rest();
        } else {
            // Progress: `read_tlv` refuses a length below 4, so a cause is at least its header.
            debug_assert!(
                self.r.offset() >= before + 4,
                "Causes::next did not advance past a cause header"
            );
        }
        Some(c)
    }
}
