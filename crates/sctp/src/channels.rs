//! A sans-IO view of the data channels of one SCTP association (RFC 8831, RFC 8832).
//!
//! Feed every SCTP packet with the side it came from; read the channels by stream ID with
//! their label, protocol, type, priority, who opened them, whether they were acknowledged, and
//! message counts per PPID.

use crate::chunk::{flags, ChunkBody};
use crate::dcep::DcepMessage;
use crate::enums::{ChannelType, ParamType, Ppid};
use crate::packet::{ChecksumStatus, Packet, ZeroChecksum};
use crate::param::ParamBody;
use rtcscope_wire::Error;
use std::collections::BTreeMap;

/// One of the two endpoints, as the caller labels them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The first endpoint.
    A,
    /// The second endpoint.
    B,
}

/// One data channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Channel {
    /// Who sent the OPEN.
    pub opened_by: Option<Side>,
    /// Label (lossy UTF-8).
    pub label: String,
    /// Protocol (lossy UTF-8).
    pub protocol: String,
    /// Channel type.
    pub channel_type: ChannelType,
    /// Priority (legacy: the signed priority as u16).
    pub priority: u16,
    /// Reliability parameter.
    pub reliability_parameter: u32,
    /// A DATA_CHANNEL_ACK (or legacy OPEN_RESPONSE) was seen.
    pub acked: bool,
    /// Opened with the legacy draft protocol.
    pub legacy: bool,
    /// Messages per PPID (DCEP excluded).
    pub messages: BTreeMap<u32, u64>,
    /// User bytes.
    pub bytes: u64,
}

/// The tracker.
#[derive(Clone, Debug, Default)]
pub struct DataChannels {
    /// Channels by stream identifier.
    pub channels: BTreeMap<u16, Channel>,
    /// Zero Checksum Acceptable seen in INIT from each side (RFC 9653 needs both).
    pub zero_checksum_offered: [bool; 2],
    /// Packets whose checksum did not match.
    pub bad_checksums: u64,
    /// Packets with a zero checksum accepted under RFC 9653.
    pub zero_checksums: u64,
    /// Parse errors (first 16) and their count.
    pub errors: Vec<Error>,
    /// Total parse errors.
    pub error_count: u64,
}

impl DataChannels {
    fn error(&mut self, e: Error) {
        self.error_count += 1;
        if self.errors.len() < 16 {
            self.errors.push(e);
        }
    }

    /// The zero-checksum policy learnt from the INIT exchange.
    pub fn zero_checksum(&self) -> ZeroChecksum {
        if self.zero_checksum_offered == [true, true] {
            ZeroChecksum::Acceptable
        } else {
            ZeroChecksum::NotNegotiated
        }
    }

    /// Feeds one SCTP packet (from DTLS application data, UDP, or IP) sent by `from`.
    pub fn feed(&mut self, from: Side, bytes: &[u8]) {
        let p = match Packet::new_checked(bytes) {
            Ok(p) => p,
            Err(e) => return self.error(e),
        };
        // A receiver discards a packet whose checksum fails (RFC 9260 §6.8): count it, and do
        // not count its messages as delivered.
        match p.checksum_status(self.zero_checksum()) {
            ChecksumStatus::Valid => {}
            ChecksumStatus::ZeroAccepted => self.zero_checksums += 1,
            ChecksumStatus::Mismatch { .. } => {
                self.bad_checksums += 1;
                return;
            }
        }
        let idx = from as usize;
        for c in p.chunks() {
            let body = match c.and_then(|c| c.body()) {
                Ok(b) => b,
                Err(e) => {
                    self.error(e);
                    break;
                }
            };
            match body {
                ChunkBody::Init(i) | ChunkBody::InitAck(i) => {
                    for prm in i.params.map_while(Result::ok) {
                        if prm.ptype == ParamType::ZERO_CHECKSUM_ACCEPTABLE
                            && matches!(prm.body(), Ok(ParamBody::ZeroChecksumAcceptable { .. }))
                        {
                            self.zero_checksum_offered[idx] = true;
                        }
                    }
                }
                ChunkBody::Data(d) => {
                    let whole = d.flags & (flags::BEGIN | flags::END) == flags::BEGIN | flags::END;
                    self.message(
                        from,
                        d.stream_id,
                        Some(d.ppid),
                        d.user_data.bytes,
                        d.user_data.offset,
                        whole,
                    );
                }
                ChunkBody::IData(d) => {
                    let whole = d.flags & (flags::BEGIN | flags::END) == flags::BEGIN | flags::END;
                    self.message(
                        from,
                        d.stream_id,
                        d.ppid(),
                        d.user_data.bytes,
                        d.user_data.offset,
                        whole,
                    );
                }
                _ => {}
            }
        }
    }

    fn message(
        &mut self,
        from: Side,
        stream: u16,
        ppid: Option<Ppid>,
        data: &[u8],
        base: usize,
        whole: bool,
    ) {
        if ppid == Some(Ppid::WEBRTC_DCEP) {
            if !whole {
                return;
            }
            match DcepMessage::parse(data, base) {
                Ok(DcepMessage::Open(o)) => {
                    let ch = self.channels.entry(stream).or_default();
                    ch.opened_by = Some(from);
                    ch.label = String::from_utf8_lossy(o.label.bytes).into_owned();
                    ch.protocol = String::from_utf8_lossy(o.protocol.bytes).into_owned();
                    ch.channel_type = o.channel_type;
                    ch.priority = o.priority;
                    ch.reliability_parameter = o.reliability_parameter;
                }
                Ok(DcepMessage::LegacyOpenRequest(o)) => {
                    let ch = self.channels.entry(stream).or_default();
                    ch.opened_by = Some(from);
                    ch.legacy = true;
                    ch.label = o
                        .label_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|_| String::from_utf8_lossy(o.label.bytes).into_owned());
                    ch.channel_type =
                        ChannelType(o.channel_type.0 | if o.unordered() { 0x80 } else { 0 });
                    ch.priority = o.priority as u16;
                    ch.reliability_parameter = o.reliability_parameter.into();
                }
                Ok(DcepMessage::Ack { .. } | DcepMessage::LegacyOpenResponse { .. }) => {
                    self.channels.entry(stream).or_default().acked = true;
                }
                Err(e) => self.error(e),
            }
            return;
        }
        let ch = self.channels.entry(stream).or_default();
        if let Some(p) = ppid {
            *ch.messages.entry(p.0).or_default() += 1;
        }
        ch.bytes += data.len() as u64;
    }
}
