//! SCTP associations and their WebRTC data channels (RFC 8831/8832), when SCTP is in clear:
//! over UDP (RFC 6951) today; SCTP from decrypted DTLS will enter through the same
//! [`Association::feed`].

use crate::flow::FlowKey;
use rtcscope_sctp::channels::{AssociationState, DataChannels, SackFigures, Side};
use rtcscope_sctp::packet::{ChecksumStatus, Packet, ZeroChecksum};
use serde::Serialize;
use std::net::SocketAddr;

/// True when `payload` is an SCTP packet: the common header and at least one chunk parse, and,
/// to recognise a new association (`known` is `None`), the CRC32c matches. On a flow already
/// known to carry SCTP (`known` holds its zero-checksum policy) the structure is enough: a bad
/// checksum there is corruption, which the association counts, not another protocol.
pub fn is_sctp(payload: &[u8], known: Option<ZeroChecksum>) -> bool {
    if payload.len() < 16 {
        return false;
    }
    let Ok(p) = Packet::new_checked(payload) else {
        return false;
    };
    if !p.chunks().any(|c| c.is_ok()) {
        return false;
    }
    known.is_some()
        || matches!(
            p.checksum_status(ZeroChecksum::NotNegotiated),
            ChecksumStatus::Valid
        )
}

/// One SCTP association on a flow.
pub struct Association {
    flow: FlowKey,
    channels: DataChannels,
    first_ns: i64,
    last_ns: i64,
    packets: [u64; 2],
}

impl Association {
    /// A new association on `flow`.
    pub fn new(flow: FlowKey, now: i64) -> Self {
        Association {
            flow,
            channels: DataChannels::default(),
            first_ns: now,
            last_ns: now,
            packets: [0; 2],
        }
    }

    /// The zero-checksum policy negotiated so far.
    pub fn zero_checksum(&self) -> ZeroChecksum {
        self.channels.zero_checksum()
    }

    /// Feeds one SCTP packet sent by `src`.
    pub fn feed(&mut self, now: i64, src: SocketAddr, packet: &[u8]) {
        let side = if src == self.flow.lo {
            Side::A
        } else {
            Side::B
        };
        self.packets[usize::from(side == Side::B)] += 1;
        self.last_ns = self.last_ns.max(now);
        self.channels.tag = now;
        self.channels.feed(side, packet);
    }

    /// The summary.
    pub fn report(&self) -> AssociationReport {
        let addr = |s: Side| match s {
            Side::A => self.flow.lo,
            Side::B => self.flow.hi,
        };
        AssociationReport {
            flow: self.flow,
            a: self.flow.lo,
            b: self.flow.hi,
            relay: self.flow.relay,
            first_ns: self.first_ns,
            last_ns: self.last_ns,
            packets: self.packets,
            bad_checksums: self.channels.bad_checksums,
            retransmitted_chunks: self.channels.retransmitted_chunks,
            zero_checksums: self.channels.zero_checksums,
            parse_errors: self.channels.error_count,
            state: match self.channels.state {
                AssociationState::Unknown => "unknown".to_owned(),
                AssociationState::Establishing => "establishing (INIT, no COOKIE ACK)".to_owned(),
                AssociationState::Established => "established".to_owned(),
                AssociationState::EstablishedBeforeCapture => {
                    "established before the capture (data both ways, no handshake seen)".to_owned()
                }
                AssociationState::ShuttingDown => "shutting down (SHUTDOWN)".to_owned(),
                AssociationState::Closed => "closed (SHUTDOWN COMPLETE)".to_owned(),
                AssociationState::Aborted(side) => format!("aborted by {}", addr(side)),
            },
            sacks: self.channels.sacks.map(SackReport::from),
            channels: self
                .channels
                .channels
                .iter()
                .map(|(&stream, c)| ChannelReport {
                    stream,
                    label: c.label.clone(),
                    protocol: c.protocol.clone(),
                    channel_type: format!("{:?}", c.channel_type),
                    priority: c.priority,
                    reliability_parameter: c.reliability_parameter,
                    opened_by: c.opened_by.map(addr),
                    opened_ns: c.opened_at,
                    acked: c.acked,
                    legacy: c.legacy,
                    messages: c.messages.iter().map(|(&ppid, &n)| (ppid, n)).collect(),
                    bytes: c.bytes,
                })
                .collect(),
        }
    }
}

/// A data channel in the report.
#[derive(Clone, Debug, Serialize)]
pub struct ChannelReport {
    /// SCTP stream identifier.
    pub stream: u16,
    /// Label.
    pub label: String,
    /// Sub-protocol.
    pub protocol: String,
    /// Reliability type (reliable, partial reliable by retransmissions or time; ordered or not).
    pub channel_type: String,
    /// Priority.
    pub priority: u16,
    /// Retransmissions or milliseconds for partially reliable channels.
    pub reliability_parameter: u32,
    /// Who sent DATA_CHANNEL_OPEN.
    pub opened_by: Option<SocketAddr>,
    /// When (ns since the epoch).
    pub opened_ns: Option<i64>,
    /// A DATA_CHANNEL_ACK was seen.
    pub acked: bool,
    /// Opened with the pre-RFC draft protocol.
    pub legacy: bool,
    /// Messages per PPID (51 string, 53 binary, 56/57 empty …), DCEP excluded; a fragmented
    /// message counts once, a retransmitted chunk not at all.
    pub messages: Vec<(u32, u64)>,
    /// User bytes.
    pub bytes: u64,
}

/// An SCTP association in the report.
#[derive(Clone, Debug, Serialize)]
pub struct AssociationReport {
    /// The flow carrying it (transport included).
    pub flow: FlowKey,
    /// Lower endpoint.
    pub a: SocketAddr,
    /// Higher endpoint.
    pub b: SocketAddr,
    /// TURN allocation when inside a relay.
    pub relay: Option<u32>,
    /// First packet.
    pub first_ns: i64,
    /// Last packet.
    pub last_ns: i64,
    /// Packets a → b, b → a.
    pub packets: [u64; 2],
    /// Packets whose CRC32c did not match (after the association was recognised).
    pub bad_checksums: u64,
    /// DATA / I-DATA chunks sent again with a TSN already seen, a → b and b → a.
    pub retransmitted_chunks: [u64; 2],
    /// Zero checksums accepted under RFC 9653.
    pub zero_checksums: u64,
    /// Chunk parse errors.
    pub parse_errors: u64,
    /// Where the association stands, from its control chunks: "established", "closed
    /// (SHUTDOWN COMPLETE)", "aborted by ADDR", …
    pub state: String,
    /// The SACKs a → b and b → a: what each receiver reported missing (gap blocks) and
    /// received twice.
    pub sacks: [SackReport; 2],
    /// Data channels by stream.
    pub channels: Vec<ChannelReport>,
}

/// The SACKs one side sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SackReport {
    /// SACK and NR-SACK chunks.
    pub sacks: u64,
    /// Of which with gap ack blocks (TSNs missing at the receiver when it was sent).
    pub with_gaps: u64,
    /// Gap ack blocks, summed.
    pub gap_blocks: u64,
    /// Duplicate TSNs reported, summed.
    pub duplicate_tsns: u64,
}

impl From<SackFigures> for SackReport {
    fn from(f: SackFigures) -> Self {
        SackReport {
            sacks: f.sacks,
            with_gaps: f.with_gaps,
            gap_blocks: f.gap_blocks,
            duplicate_tsns: f.duplicate_tsns,
        }
    }
}
