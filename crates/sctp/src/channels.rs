//! A sans-IO view of the data channels of one SCTP association (RFC 8831, RFC 8832).
//!
//! Feed every SCTP packet with the side it came from; read the channels by stream ID with
//! their label, protocol, type, priority, who opened them, whether they were acknowledged, and
//! message counts per PPID. A message fragmented over several DATA (or I-DATA) chunks counts
//! once, at its last fragment; a chunk retransmitted with a TSN already seen counts as a
//! retransmission, not as more data.

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
    /// The caller's tag of the packet that carried the OPEN ([`DataChannels::tag`]: a time,
    /// a packet number).
    pub opened_at: Option<i64>,
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
    /// Messages per PPID (DCEP excluded), counted at each message's last fragment.
    pub messages: BTreeMap<u32, u64>,
    /// User bytes (retransmissions excluded).
    pub bytes: u64,
    /// The PPID of an I-DATA message whose first fragment was seen (later fragments carry a
    /// fragment sequence number in its place), per side.
    pending_ppid: [Option<u32>; 2],
}

/// TSNs remembered per side to recognise a retransmitted chunk.
pub const TSN_WINDOW: u32 = 1024;

/// The TSNs seen lately from one side ([`TSN_WINDOW`] of them, a bitmap below the highest).
#[derive(Clone, Debug, Default)]
struct TsnWindow {
    highest: Option<u32>,
    bits: [u64; (TSN_WINDOW / 64) as usize],
}

impl TsnWindow {
    fn bit(&mut self, tsn: u32) -> (&mut u64, u64) {
        let i = tsn % TSN_WINDOW;
        (&mut self.bits[(i / 64) as usize], 1 << (i % 64))
    }

    /// Marks `tsn` seen; false when it already was (a retransmission). A TSN older than the
    /// window cannot be told and counts as new.
    fn insert(&mut self, tsn: u32) -> bool {
        let Some(h) = self.highest else {
            self.highest = Some(tsn);
            let (w, m) = self.bit(tsn);
            *w |= m;
            return true;
        };
        let ahead = tsn.wrapping_sub(h);
        if ahead != 0 && ahead < 1 << 31 {
            // Newer: the TSNs between leave the window's far end (serial arithmetic, RFC 1982).
            if ahead >= TSN_WINDOW {
                self.bits = Default::default();
            } else {
                for t in 1..=ahead {
                    let (w, m) = self.bit(h.wrapping_add(t));
                    *w &= !m;
                }
            }
            self.highest = Some(tsn);
            let (w, m) = self.bit(tsn);
            *w |= m;
            return true;
        }
        if h.wrapping_sub(tsn) >= TSN_WINDOW {
            return true;
        }
        let (w, m) = self.bit(tsn);
        let seen = *w & m != 0;
        *w |= m;
        !seen
    }
}

/// Where an association stands, from the control chunks seen (RFC 9260 §4), as far as a
/// capture can tell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AssociationState {
    /// Nothing that tells yet.
    #[default]
    Unknown,
    /// INIT seen, no COOKIE ACK yet.
    Establishing,
    /// COOKIE ACK seen.
    Established,
    /// Data flowed both ways without the handshake in the capture (it began earlier).
    EstablishedBeforeCapture,
    /// SHUTDOWN seen, not SHUTDOWN COMPLETE.
    ShuttingDown,
    /// SHUTDOWN COMPLETE seen.
    Closed,
    /// ABORT sent by this side.
    Aborted(Side),
}

/// What the SACKs one side sent say about what it received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SackFigures {
    /// SACK and NR-SACK chunks sent.
    pub sacks: u64,
    /// Of which reporting gap ack blocks (TSNs missing at the receiver).
    pub with_gaps: u64,
    /// Gap ack blocks reported, summed over the SACKs.
    pub gap_blocks: u64,
    /// Duplicate TSNs reported (received more than once), summed over the SACKs.
    pub duplicate_tsns: u64,
}

/// The tracker.
#[derive(Clone, Debug, Default)]
pub struct DataChannels {
    /// Where the association stands.
    pub state: AssociationState,
    /// SACKs sent by each side.
    pub sacks: [SackFigures; 2],
    /// DATA/I-DATA chunks sent by each side (for telling an association already running).
    data_seen: [bool; 2],
    /// Channels by stream identifier.
    pub channels: BTreeMap<u16, Channel>,
    /// Zero Checksum Acceptable seen in INIT from each side (RFC 9653 needs both).
    pub zero_checksum_offered: [bool; 2],
    /// Packets whose checksum did not match.
    pub bad_checksums: u64,
    /// DATA and I-DATA chunks sent again with a TSN already seen, per side.
    pub retransmitted_chunks: [u64; 2],
    tsns: [TsnWindow; 2],
    /// Packets with a zero checksum accepted under RFC 9653.
    pub zero_checksums: u64,
    /// Parse errors (first 16) and their count.
    pub errors: Vec<Error>,
    /// Total parse errors.
    pub error_count: u64,
    /// The caller's label for the packet being fed (a time, a packet number), kept as a
    /// channel's [`Channel::opened_at`] when it carries an OPEN.
    pub tag: i64,
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
            use AssociationState as St;
            match &body {
                ChunkBody::Init(_) | ChunkBody::InitAck(_) if self.state == St::Unknown => {
                    self.state = St::Establishing;
                }
                ChunkBody::CookieAck if matches!(self.state, St::Unknown | St::Establishing) => {
                    self.state = St::Established;
                }
                ChunkBody::Shutdown(_) | ChunkBody::ShutdownAck
                    if !matches!(self.state, St::Closed | St::Aborted(_)) =>
                {
                    self.state = St::ShuttingDown;
                }
                ChunkBody::ShutdownComplete { .. } => self.state = AssociationState::Closed,
                ChunkBody::Abort { .. } => self.state = AssociationState::Aborted(from),
                ChunkBody::Sack(sack) | ChunkBody::NrSack(sack) => {
                    let f = &mut self.sacks[idx];
                    f.sacks += 1;
                    let gaps = sack.gaps().count() as u64;
                    if gaps > 0 {
                        f.with_gaps += 1;
                    }
                    f.gap_blocks += gaps;
                    f.duplicate_tsns += sack.duplicates().count() as u64;
                }
                ChunkBody::Data(_) | ChunkBody::IData(_) => {
                    self.data_seen[idx] = true;
                    if self.state == AssociationState::Unknown && self.data_seen == [true, true] {
                        self.state = AssociationState::EstablishedBeforeCapture;
                    }
                }
                _ => {}
            }
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
                    if !self.tsns[idx].insert(d.tsn) {
                        self.retransmitted_chunks[idx] += 1;
                        continue;
                    }
                    self.message(
                        from,
                        d.stream_id,
                        Some(d.ppid),
                        d.user_data.bytes,
                        d.user_data.offset,
                        d.flags,
                    );
                }
                ChunkBody::IData(d) => {
                    if !self.tsns[idx].insert(d.tsn) {
                        self.retransmitted_chunks[idx] += 1;
                        continue;
                    }
                    self.message(
                        from,
                        d.stream_id,
                        d.ppid(),
                        d.user_data.bytes,
                        d.user_data.offset,
                        d.flags,
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
        chunk_flags: u8,
    ) {
        let whole = chunk_flags & (flags::BEGIN | flags::END) == flags::BEGIN | flags::END;
        if ppid == Some(Ppid::WEBRTC_DCEP) {
            if !whole {
                return;
            }
            match DcepMessage::parse(data, base) {
                Ok(DcepMessage::Open(o)) => {
                    let ch = self.channels.entry(stream).or_default();
                    ch.opened_by = Some(from);
                    ch.opened_at = Some(self.tag);
                    ch.label = String::from_utf8_lossy(o.label.bytes).into_owned();
                    ch.protocol = String::from_utf8_lossy(o.protocol.bytes).into_owned();
                    ch.channel_type = o.channel_type;
                    ch.priority = o.priority;
                    ch.reliability_parameter = o.reliability_parameter;
                }
                Ok(DcepMessage::LegacyOpenRequest(o)) => {
                    let ch = self.channels.entry(stream).or_default();
                    ch.opened_by = Some(from);
                    ch.opened_at = Some(self.tag);
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
        let side = from as usize;
        if chunk_flags & flags::BEGIN != 0 {
            ch.pending_ppid[side] = ppid.map(|p| p.0);
        }
        // The message is whole at its last fragment; its PPID is the first fragment's (I-DATA
        // carries it there only) or, failing that, this chunk's.
        if chunk_flags & flags::END != 0 {
            if let Some(p) = ch.pending_ppid[side].take().or(ppid.map(|p| p.0)) {
                *ch.messages.entry(p).or_default() += 1;
            }
        }
        ch.bytes += data.len() as u64;
    }
}
