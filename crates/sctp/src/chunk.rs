//! Chunks (RFC 9260 §3.2, §3.3 and the extensions).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Chunk Type  | Chunk  Flags  |        Chunk Length           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                  Chunk Value (Length - 4 bytes)               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Chunks are padded to four bytes; the length does not count the padding. Missing padding
//! after the *last* chunk is tolerated, as Linux and usrsctp do.

use crate::enums::{ChunkType, HmacId, Ppid, UnknownAction};
use crate::param::{Causes, Params};
use crate::Span;
use rtcscope_wire::{Error, Field, Layer, Reader, Result};

/// One chunk (a checked view): type, flags and value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// Type.
    pub ctype: ChunkType,
    /// Flags byte.
    pub flags: u8,
    /// Value (without header and padding).
    pub value: Span<'a>,
    /// Absolute offset of the header.
    pub offset: usize,
}

/// Lax iterator over chunks: chunks until the first error, which it yields and then stops.
#[derive(Clone, Debug)]
pub struct Chunks<'a> {
    r: Reader<'a>,
}

impl<'a> Chunks<'a> {
    /// Chunks of `bytes` whose first byte is at absolute offset `base`.
    pub const fn with_base(bytes: &'a [u8], base: usize) -> Self {
        Chunks {
            r: Reader::with_base(bytes, base, Layer::Sctp),
        }
    }
}

/// Iterates chunks of a buffer that has no common header (e.g. the usrsctp fuzzer corpus
/// after its control byte); offsets start at 0.
pub const fn chunks(bytes: &[u8]) -> Chunks<'_> {
    Chunks::with_base(bytes, 0)
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Result<Chunk<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        let before = self.r.offset();
        let c = (|| {
            let offset = self.r.offset();
            let ctype = ChunkType(self.r.u8("chunk type")?);
            let flags = self.r.u8("chunk flags")?;
            let len_at = self.r.offset();
            let len = self.r.u16("chunk length")? as usize;
            if len < 4 {
                return Err(Error::bad_length(
                    Layer::Sctp,
                    len_at,
                    "chunk length",
                    "at least 4",
                    len,
                ));
            }
            let value = Span::of(&self.r.sub(len - 4, "chunk value")?);
            let pad = rtcscope_wire::pad4(len) - len;
            self.r.skip(pad.min(self.r.remaining()), "chunk padding")?;
            Ok(Chunk {
                ctype,
                flags,
                value,
                offset,
            })
        })();
        if c.is_err() {
            self.r.take_rest();
        } else {
            // Progress: a length below 4 is an error, so a chunk is at least its header.
            debug_assert!(
                self.r.offset() >= before + 4,
                "Chunks::next did not advance past a chunk header"
            );
        }
        Some(c)
    }
}

/// DATA chunk (RFC 9260 §3.3.1).
///
/// ```text
/// | Type = 0 | Res |I|U|B|E|            Length                     |
/// |                              TSN                               |
/// |   Stream Identifier S        |   Stream Sequence Number n      |
/// |                  Payload Protocol Identifier                   |
/// \                   User Data (seq n of Stream S)                \
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataChunk<'a> {
    /// Flags (see the accessors).
    pub flags: u8,
    /// TSN.
    pub tsn: u32,
    /// Stream identifier.
    pub stream_id: u16,
    /// Stream sequence number.
    pub ssn: u16,
    /// Payload protocol identifier.
    pub ppid: Ppid,
    /// User data.
    pub user_data: Span<'a>,
}

/// The DATA / I-DATA flag bits.
pub mod flags {
    /// E: ending fragment.
    pub const END: u8 = 0x01;
    /// B: beginning fragment.
    pub const BEGIN: u8 = 0x02;
    /// U: unordered.
    pub const UNORDERED: u8 = 0x04;
    /// I: immediate SACK requested (RFC 7053).
    pub const IMMEDIATE: u8 = 0x08;
    /// T (ABORT, SHUTDOWN COMPLETE): the verification tag is reflected.
    pub const T: u8 = 0x01;
}

/// I-DATA chunk (RFC 8260 §2.1): the SSN is replaced by a 32-bit message identifier, and the
/// PPID only rides in the first fragment; later fragments carry the fragment sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IDataChunk<'a> {
    /// Flags.
    pub flags: u8,
    /// TSN.
    pub tsn: u32,
    /// Stream identifier.
    pub stream_id: u16,
    /// Message identifier.
    pub mid: u32,
    /// PPID (B flag set) or fragment sequence number (otherwise).
    pub ppid_or_fsn: u32,
    /// User data.
    pub user_data: Span<'a>,
}

impl IDataChunk<'_> {
    /// The PPID, present in the first fragment.
    pub const fn ppid(&self) -> Option<Ppid> {
        if self.flags & flags::BEGIN != 0 {
            Some(Ppid(self.ppid_or_fsn))
        } else {
            None
        }
    }
    /// The fragment sequence number (0 in the first fragment).
    pub const fn fsn(&self) -> u32 {
        if self.flags & flags::BEGIN != 0 {
            0
        } else {
            self.ppid_or_fsn
        }
    }
}

/// INIT / INIT ACK fixed part (RFC 9260 §3.3.2, §3.3.3).
#[derive(Clone, Debug)]
pub struct InitChunk<'a> {
    /// Initiate tag.
    pub initiate_tag: u32,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    /// Number of outbound streams.
    pub outbound_streams: u16,
    /// Number of inbound streams.
    pub inbound_streams: u16,
    /// Initial TSN.
    pub initial_tsn: u32,
    /// Optional/variable-length parameters.
    pub params: Params<'a>,
}

/// SACK (RFC 9260 §3.3.4) and NR-SACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SackChunk<'a> {
    /// Cumulative TSN ack.
    pub cum_tsn_ack: u32,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    /// Gap ack blocks (start, end offsets), 4 bytes each.
    pub gap_blocks: Span<'a>,
    /// NR gap ack blocks (NR-SACK only).
    pub nr_gap_blocks: Span<'a>,
    /// Duplicate TSNs, 4 bytes each.
    pub duplicate_tsns: Span<'a>,
}

impl<'a> SackChunk<'a> {
    /// Gap ack blocks as (start, end) offsets from the cumulative TSN ack.
    pub fn gaps(&self) -> impl Iterator<Item = (u16, u16)> + 'a {
        pairs(self.gap_blocks)
    }
    /// NR gap ack blocks.
    pub fn nr_gaps(&self) -> impl Iterator<Item = (u16, u16)> + 'a {
        pairs(self.nr_gap_blocks)
    }
    /// Duplicate TSNs.
    pub fn duplicates(&self) -> impl Iterator<Item = u32> + 'a {
        self.duplicate_tsns
            .bytes
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
}

fn pairs(s: Span<'_>) -> impl Iterator<Item = (u16, u16)> + '_ {
    s.bytes.chunks_exact(4).map(|c| {
        (
            u16::from_be_bytes([c[0], c[1]]),
            u16::from_be_bytes([c[2], c[3]]),
        )
    })
}

/// A parsed chunk.
#[derive(Clone, Debug)]
pub enum ChunkBody<'a> {
    /// DATA.
    Data(DataChunk<'a>),
    /// I-DATA.
    IData(IDataChunk<'a>),
    /// INIT.
    Init(InitChunk<'a>),
    /// INIT ACK.
    InitAck(InitChunk<'a>),
    /// SACK.
    Sack(SackChunk<'a>),
    /// NR-SACK.
    NrSack(SackChunk<'a>),
    /// HEARTBEAT: Heartbeat Info parameter(s).
    Heartbeat(Params<'a>),
    /// HEARTBEAT ACK.
    HeartbeatAck(Params<'a>),
    /// ABORT: T flag and causes.
    Abort {
        /// T bit.
        t: bool,
        /// Causes.
        causes: Causes<'a>,
    },
    /// SHUTDOWN: cumulative TSN ack.
    Shutdown(u32),
    /// SHUTDOWN ACK.
    ShutdownAck,
    /// SHUTDOWN COMPLETE: T flag.
    ShutdownComplete {
        /// T bit.
        t: bool,
    },
    /// ERROR: causes.
    Error(Causes<'a>),
    /// COOKIE ECHO: the cookie.
    CookieEcho(Span<'a>),
    /// COOKIE ACK.
    CookieAck,
    /// ECNE (RFC 9260 §3.3.11): lowest TSN number, and the number of CE-marked packets since
    /// the last CWR when the 12-byte form of draft-stewart-tsvwg-sctpecn is used (usrsctp
    /// sends it).
    Ecne {
        /// Lowest TSN number.
        lowest_tsn: u32,
        /// Packets marked since the last CWR (12-byte form only).
        marked_packets: Option<u32>,
    },
    /// CWR: lowest TSN number.
    Cwr(u32),
    /// FORWARD-TSN (RFC 3758 §3.2): new cumulative TSN and (stream, SSN) pairs.
    ForwardTsn {
        /// New cumulative TSN.
        new_cum_tsn: u32,
        /// (stream, ssn) pairs, 4 bytes each.
        streams: Span<'a>,
    },
    /// I-FORWARD-TSN (RFC 8260 §2.3.1): new cumulative TSN and (stream, U, MID) entries.
    IForwardTsn {
        /// New cumulative TSN.
        new_cum_tsn: u32,
        /// Entries, 8 bytes each.
        entries: Span<'a>,
    },
    /// RE-CONFIG (RFC 6525 §3.1): one or two parameters.
    ReConfig(Params<'a>),
    /// AUTH (RFC 4895 §4.1).
    Auth {
        /// Shared key identifier.
        shared_key_id: u16,
        /// HMAC identifier.
        hmac_id: HmacId,
        /// The HMAC.
        hmac: Span<'a>,
    },
    /// ASCONF (RFC 5061 §4.1.1): serial number, address parameter, ASCONF parameters.
    Asconf {
        /// Sequence number.
        serial: u32,
        /// Parameters (the address parameter first).
        params: Params<'a>,
    },
    /// ASCONF-ACK (RFC 5061 §4.1.2).
    AsconfAck {
        /// Sequence number.
        serial: u32,
        /// Response parameters.
        params: Params<'a>,
    },
    /// PAD (RFC 4820).
    Pad(Span<'a>),
    /// A chunk type this crate does not know, with the action its high bits ask for.
    Unknown {
        /// What a receiver must do.
        action: UnknownAction,
        /// The value.
        value: Span<'a>,
    },
}

impl<'a> Chunk<'a> {
    /// Absolute range of header and value (not padding).
    pub fn range(&self) -> Field {
        self.offset..self.value.range().end
    }

    /// The chunk length field (header + value).
    pub fn length(&self) -> usize {
        self.value.bytes.len() + 4
    }

    /// Parses the value according to the type.
    pub fn body(&self) -> Result<ChunkBody<'a>> {
        let mut r = self.value.reader(Layer::Sctp);
        let name = self.ctype.name().unwrap_or("chunk");
        let t = self.flags & flags::T != 0;
        let b = match self.ctype {
            ChunkType::DATA => {
                let tsn = r.u32("TSN")?;
                let stream_id = r.u16("stream identifier")?;
                let ssn = r.u16("stream sequence number")?;
                let ppid = Ppid(r.u32("payload protocol identifier")?);
                ChunkBody::Data(DataChunk {
                    flags: self.flags,
                    tsn,
                    stream_id,
                    ssn,
                    ppid,
                    user_data: Span::of(&r),
                })
            }
            ChunkType::I_DATA => {
                let tsn = r.u32("TSN")?;
                let stream_id = r.u16("stream identifier")?;
                r.u16("reserved")?;
                let mid = r.u32("message identifier")?;
                let ppid_or_fsn = r.u32("PPID / FSN")?;
                ChunkBody::IData(IDataChunk {
                    flags: self.flags,
                    tsn,
                    stream_id,
                    mid,
                    ppid_or_fsn,
                    user_data: Span::of(&r),
                })
            }
            ChunkType::INIT | ChunkType::INIT_ACK => {
                let init = InitChunk {
                    initiate_tag: r.u32("initiate tag")?,
                    a_rwnd: r.u32("a_rwnd")?,
                    outbound_streams: r.u16("number of outbound streams")?,
                    inbound_streams: r.u16("number of inbound streams")?,
                    initial_tsn: r.u32("initial TSN")?,
                    params: Params::new(r.clone()),
                };
                if self.ctype == ChunkType::INIT {
                    ChunkBody::Init(init)
                } else {
                    ChunkBody::InitAck(init)
                }
            }
            ChunkType::SACK | ChunkType::NR_SACK => {
                let nr = self.ctype == ChunkType::NR_SACK;
                let cum_tsn_ack = r.u32("cumulative TSN ack")?;
                let a_rwnd = r.u32("a_rwnd")?;
                let gaps = r.u16("number of gap ack blocks")? as usize;
                let nr_gaps = if nr {
                    r.u16("number of NR gap ack blocks")? as usize
                } else {
                    0
                };
                let dups = r.u16("number of duplicate TSNs")? as usize;
                if nr {
                    r.u16("reserved")?;
                }
                let gap_blocks = Span::of(&r.sub(gaps * 4, "gap ack blocks")?);
                let nr_gap_blocks = Span::of(&r.sub(nr_gaps * 4, "NR gap ack blocks")?);
                let duplicate_tsns = Span::of(&r.sub(dups * 4, "duplicate TSNs")?);
                let s = SackChunk {
                    cum_tsn_ack,
                    a_rwnd,
                    gap_blocks,
                    nr_gap_blocks,
                    duplicate_tsns,
                };
                if nr {
                    ChunkBody::NrSack(s)
                } else {
                    ChunkBody::Sack(s)
                }
            }
            ChunkType::HEARTBEAT => ChunkBody::Heartbeat(Params::new(r.clone())),
            ChunkType::HEARTBEAT_ACK => ChunkBody::HeartbeatAck(Params::new(r.clone())),
            ChunkType::ABORT => ChunkBody::Abort {
                t,
                causes: Causes::new(r.clone()),
            },
            ChunkType::SHUTDOWN => ChunkBody::Shutdown(r.u32("cumulative TSN ack")?),
            ChunkType::SHUTDOWN_ACK => ChunkBody::ShutdownAck,
            ChunkType::SHUTDOWN_COMPLETE => ChunkBody::ShutdownComplete { t },
            ChunkType::ERROR => ChunkBody::Error(Causes::new(r.clone())),
            ChunkType::COOKIE_ECHO => ChunkBody::CookieEcho(self.value),
            ChunkType::COOKIE_ACK => ChunkBody::CookieAck,
            ChunkType::ECNE => ChunkBody::Ecne {
                lowest_tsn: r.u32("lowest TSN number")?,
                marked_packets: if r.is_empty() {
                    None
                } else {
                    Some(r.u32("number of packets")?)
                },
            },
            ChunkType::CWR => ChunkBody::Cwr(r.u32("lowest TSN number")?),
            ChunkType::FORWARD_TSN | ChunkType::I_FORWARD_TSN => {
                let new_cum_tsn = r.u32("new cumulative TSN")?;
                let unit = if self.ctype == ChunkType::FORWARD_TSN {
                    4
                } else {
                    8
                };
                if r.remaining() % unit != 0 {
                    return Err(Error::bad_length(
                        Layer::Sctp,
                        r.offset(),
                        "stream entries",
                        "a whole number of entries",
                        r.remaining(),
                    ));
                }
                let s = Span::of(&r);
                if unit == 4 {
                    ChunkBody::ForwardTsn {
                        new_cum_tsn,
                        streams: s,
                    }
                } else {
                    ChunkBody::IForwardTsn {
                        new_cum_tsn,
                        entries: s,
                    }
                }
            }
            ChunkType::RE_CONFIG => ChunkBody::ReConfig(Params::new(r.clone())),
            ChunkType::AUTH => {
                let shared_key_id = r.u16("shared key identifier")?;
                let hmac_id = HmacId(r.u16("HMAC identifier")?);
                ChunkBody::Auth {
                    shared_key_id,
                    hmac_id,
                    hmac: Span::of(&r),
                }
            }
            ChunkType::ASCONF => {
                let serial = r.u32("sequence number")?;
                ChunkBody::Asconf {
                    serial,
                    params: Params::new(r.clone()),
                }
            }
            ChunkType::ASCONF_ACK => {
                let serial = r.u32("sequence number")?;
                ChunkBody::AsconfAck {
                    serial,
                    params: Params::new(r.clone()),
                }
            }
            ChunkType::PAD => ChunkBody::Pad(self.value),
            _ => ChunkBody::Unknown {
                action: self.ctype.unknown_action(),
                value: self.value,
            },
        };
        // Fixed-size chunks must not carry extra bytes.
        if matches!(
            b,
            ChunkBody::Shutdown(_)
                | ChunkBody::ShutdownAck
                | ChunkBody::ShutdownComplete { .. }
                | ChunkBody::CookieAck
                | ChunkBody::Ecne { .. }
                | ChunkBody::Cwr(_)
                | ChunkBody::Sack(_)
                | ChunkBody::NrSack(_)
        ) {
            r.expect_end(name)?;
        }
        Ok(b)
    }
}

impl ChunkBody<'_> {
    /// (stream, ssn) pairs of a FORWARD-TSN.
    pub fn forward_tsn_streams(&self) -> Option<impl Iterator<Item = (u16, u16)> + '_> {
        match self {
            ChunkBody::ForwardTsn { streams, .. } => Some(pairs(*streams)),
            _ => None,
        }
    }

    /// (stream, unordered, mid) entries of an I-FORWARD-TSN.
    pub fn i_forward_tsn_entries(&self) -> Option<impl Iterator<Item = (u16, bool, u32)> + '_> {
        match self {
            ChunkBody::IForwardTsn { entries, .. } => {
                Some(entries.bytes.chunks_exact(8).map(|c| {
                    (
                        u16::from_be_bytes([c[0], c[1]]),
                        c[3] & 1 != 0,
                        u32::from_be_bytes([c[4], c[5], c[6], c[7]]),
                    )
                }))
            }
            _ => None,
        }
    }
}
