//! Owned chunks and packets, with encoders that pad and checksum correctly.

use crate::chunk::{Chunk, ChunkBody};
use crate::enums::{ChunkType, ParamType, Ppid, ReconfigResult};
use crate::packet::fill_checksum;
use crate::param::Params;
use rtcscope_wire::Result;

/// An owned parameter (type and raw value); also used for error causes (code and info).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamRepr {
    /// Type (or cause code).
    pub ptype: ParamType,
    /// Value (or cause information), without padding.
    pub value: Vec<u8>,
}

impl ParamRepr {
    /// Zero Checksum Acceptable (RFC 9653) with an error detection method (1 = SCTP over DTLS).
    pub fn zero_checksum_acceptable(edmid: u32) -> Self {
        ParamRepr {
            ptype: ParamType::ZERO_CHECKSUM_ACCEPTABLE,
            value: edmid.to_be_bytes().to_vec(),
        }
    }

    /// Forward-TSN-Supported.
    pub fn forward_tsn_supported() -> Self {
        ParamRepr {
            ptype: ParamType::FORWARD_TSN_SUPPORTED,
            value: Vec::new(),
        }
    }

    /// Supported Extensions.
    pub fn supported_extensions(types: &[ChunkType]) -> Self {
        ParamRepr {
            ptype: ParamType::SUPPORTED_EXTENSIONS,
            value: types.iter().map(|t| t.0).collect(),
        }
    }

    /// Outgoing SSN Reset Request (RFC 6525 §4.1).
    pub fn outgoing_ssn_reset(
        request_seq: u32,
        response_seq: u32,
        last_tsn: u32,
        streams: &[u16],
    ) -> Self {
        let mut v = Vec::with_capacity(12 + 2 * streams.len());
        v.extend_from_slice(&request_seq.to_be_bytes());
        v.extend_from_slice(&response_seq.to_be_bytes());
        v.extend_from_slice(&last_tsn.to_be_bytes());
        for s in streams {
            v.extend_from_slice(&s.to_be_bytes());
        }
        ParamRepr {
            ptype: ParamType::OUTGOING_SSN_RESET,
            value: v,
        }
    }

    /// Re-configuration Response (RFC 6525 §4.4) without next TSNs.
    pub fn reconfig_response(response_seq: u32, result: ReconfigResult) -> Self {
        let mut v = response_seq.to_be_bytes().to_vec();
        v.extend_from_slice(&result.0.to_be_bytes());
        ParamRepr {
            ptype: ParamType::RECONFIG_RESPONSE,
            value: v,
        }
    }

    /// Appends header, value and zero padding.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ptype.0.to_be_bytes());
        out.extend_from_slice(&((self.value.len() + 4) as u16).to_be_bytes());
        out.extend_from_slice(&self.value);
        out.resize(
            out.len() + rtcscope_wire::pad4(self.value.len()) - self.value.len(),
            0,
        );
    }

    fn collect(params: Params<'_>) -> Result<Vec<ParamRepr>> {
        params
            .map(|p| {
                p.map(|p| ParamRepr {
                    ptype: p.ptype,
                    value: p.value.bytes.to_vec(),
                })
            })
            .collect()
    }
}

/// An owned chunk. The common WebRTC chunks are typed; the others are kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkRepr {
    /// DATA.
    Data {
        /// Flags (U, B, E, I).
        flags: u8,
        /// TSN.
        tsn: u32,
        /// Stream identifier.
        stream_id: u16,
        /// Stream sequence number.
        ssn: u16,
        /// PPID.
        ppid: Ppid,
        /// User data.
        user_data: Vec<u8>,
    },
    /// INIT (`ack` false) or INIT ACK (`ack` true).
    Init {
        /// INIT ACK when true.
        ack: bool,
        /// Initiate tag.
        initiate_tag: u32,
        /// a_rwnd.
        a_rwnd: u32,
        /// Outbound streams.
        outbound_streams: u16,
        /// Inbound streams.
        inbound_streams: u16,
        /// Initial TSN.
        initial_tsn: u32,
        /// Parameters.
        params: Vec<ParamRepr>,
    },
    /// SACK.
    Sack {
        /// Cumulative TSN ack.
        cum_tsn_ack: u32,
        /// a_rwnd.
        a_rwnd: u32,
        /// Gap blocks.
        gaps: Vec<(u16, u16)>,
        /// Duplicate TSNs.
        duplicates: Vec<u32>,
    },
    /// FORWARD-TSN.
    ForwardTsn {
        /// New cumulative TSN.
        new_cum_tsn: u32,
        /// (stream, ssn) pairs.
        streams: Vec<(u16, u16)>,
    },
    /// RE-CONFIG.
    ReConfig(Vec<ParamRepr>),
    /// Any chunk, verbatim.
    Raw {
        /// Type.
        ctype: ChunkType,
        /// Flags.
        flags: u8,
        /// Value.
        value: Vec<u8>,
    },
}

impl ChunkRepr {
    /// The owned form of a view (typed where this enum has a variant).
    pub fn from_chunk(c: &Chunk<'_>) -> Result<Self> {
        Ok(match c.body()? {
            ChunkBody::Data(d) => ChunkRepr::Data {
                flags: d.flags,
                tsn: d.tsn,
                stream_id: d.stream_id,
                ssn: d.ssn,
                ppid: d.ppid,
                user_data: d.user_data.bytes.to_vec(),
            },
            ChunkBody::Init(i) | ChunkBody::InitAck(i) if c.flags == 0 => ChunkRepr::Init {
                ack: c.ctype == ChunkType::INIT_ACK,
                initiate_tag: i.initiate_tag,
                a_rwnd: i.a_rwnd,
                outbound_streams: i.outbound_streams,
                inbound_streams: i.inbound_streams,
                initial_tsn: i.initial_tsn,
                params: ParamRepr::collect(i.params)?,
            },
            ChunkBody::Sack(s) if c.flags == 0 => ChunkRepr::Sack {
                cum_tsn_ack: s.cum_tsn_ack,
                a_rwnd: s.a_rwnd,
                gaps: s.gaps().collect(),
                duplicates: s.duplicates().collect(),
            },
            ref b @ ChunkBody::ForwardTsn { new_cum_tsn, .. } if c.flags == 0 => {
                ChunkRepr::ForwardTsn {
                    new_cum_tsn,
                    streams: b.forward_tsn_streams().into_iter().flatten().collect(),
                }
            }
            ChunkBody::ReConfig(p) if c.flags == 0 => ChunkRepr::ReConfig(ParamRepr::collect(p)?),
            _ => ChunkRepr::Raw {
                ctype: c.ctype,
                flags: c.flags,
                value: c.value.bytes.to_vec(),
            },
        })
    }

    /// Appends the chunk with its header and zero padding.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let start = out.len();
        let (ctype, flags) = match self {
            ChunkRepr::Data { flags, .. } => (ChunkType::DATA, *flags),
            ChunkRepr::Init { ack: false, .. } => (ChunkType::INIT, 0),
            ChunkRepr::Init { ack: true, .. } => (ChunkType::INIT_ACK, 0),
            ChunkRepr::Sack { .. } => (ChunkType::SACK, 0),
            ChunkRepr::ForwardTsn { .. } => (ChunkType::FORWARD_TSN, 0),
            ChunkRepr::ReConfig(_) => (ChunkType::RE_CONFIG, 0),
            ChunkRepr::Raw { ctype, flags, .. } => (*ctype, *flags),
        };
        out.extend_from_slice(&[ctype.0, flags, 0, 0]);
        match self {
            ChunkRepr::Data {
                tsn,
                stream_id,
                ssn,
                ppid,
                user_data,
                ..
            } => {
                out.extend_from_slice(&tsn.to_be_bytes());
                out.extend_from_slice(&stream_id.to_be_bytes());
                out.extend_from_slice(&ssn.to_be_bytes());
                out.extend_from_slice(&ppid.0.to_be_bytes());
                out.extend_from_slice(user_data);
            }
            ChunkRepr::Init {
                initiate_tag,
                a_rwnd,
                outbound_streams,
                inbound_streams,
                initial_tsn,
                params,
                ..
            } => {
                out.extend_from_slice(&initiate_tag.to_be_bytes());
                out.extend_from_slice(&a_rwnd.to_be_bytes());
                out.extend_from_slice(&outbound_streams.to_be_bytes());
                out.extend_from_slice(&inbound_streams.to_be_bytes());
                out.extend_from_slice(&initial_tsn.to_be_bytes());
                emit_params(params, out);
            }
            ChunkRepr::Sack {
                cum_tsn_ack,
                a_rwnd,
                gaps,
                duplicates,
            } => {
                out.extend_from_slice(&cum_tsn_ack.to_be_bytes());
                out.extend_from_slice(&a_rwnd.to_be_bytes());
                out.extend_from_slice(&(gaps.len() as u16).to_be_bytes());
                out.extend_from_slice(&(duplicates.len() as u16).to_be_bytes());
                for (s, e) in gaps {
                    out.extend_from_slice(&s.to_be_bytes());
                    out.extend_from_slice(&e.to_be_bytes());
                }
                for d in duplicates {
                    out.extend_from_slice(&d.to_be_bytes());
                }
            }
            ChunkRepr::ForwardTsn {
                new_cum_tsn,
                streams,
            } => {
                out.extend_from_slice(&new_cum_tsn.to_be_bytes());
                for (s, n) in streams {
                    out.extend_from_slice(&s.to_be_bytes());
                    out.extend_from_slice(&n.to_be_bytes());
                }
            }
            ChunkRepr::ReConfig(params) => emit_params(params, out),
            ChunkRepr::Raw { value, .. } => out.extend_from_slice(value),
        }
        // The last parameter's padding is not part of the chunk length (RFC 9260 §3.2).
        let mut len = out.len() - start;
        if let ChunkRepr::Init { params, .. } | ChunkRepr::ReConfig(params) = self {
            if let Some(last) = params.last() {
                len -= rtcscope_wire::pad4(last.value.len()) - last.value.len();
            }
        }
        out[start + 2..start + 4].copy_from_slice(&(len as u16).to_be_bytes());
        out.resize(start + rtcscope_wire::pad4(len), 0);
    }
}

fn emit_params(params: &[ParamRepr], out: &mut Vec<u8>) {
    for p in params {
        p.emit(out);
    }
}

/// An owned packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketRepr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Verification tag.
    pub verification_tag: u32,
    /// Chunks.
    pub chunks: Vec<ChunkRepr>,
}

impl PacketRepr {
    /// The owned form of a packet view.
    pub fn from_packet(p: &crate::Packet<'_>) -> Result<Self> {
        let chunks = p
            .chunks()
            .map(|c| c.and_then(|c| ChunkRepr::from_chunk(&c)))
            .collect::<Result<_>>()?;
        Ok(PacketRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            verification_tag: p.verification_tag(),
            chunks,
        })
    }

    /// The wire form with a correct CRC32c, or with a zero checksum (RFC 9653) when
    /// `zero_checksum` is set.
    pub fn to_bytes(&self, zero_checksum: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&self.src_port.to_be_bytes());
        out.extend_from_slice(&self.dst_port.to_be_bytes());
        out.extend_from_slice(&self.verification_tag.to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        for c in &self.chunks {
            c.emit(&mut out);
        }
        if !zero_checksum {
            fill_checksum(&mut out);
        }
        out
    }
}
