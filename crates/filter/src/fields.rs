//! The per-packet record a filter is evaluated on.
//!
//! A dissector fills one [`Fields`] per frame from the layers it decoded (the link, IP and
//! transport headers, and every message, those inside a TURN relay or an ICMP error's quote
//! included). It is a plain value of fixed size: filling and evaluating it never allocates.
//! Each field keeps a few values (a frame can hold several RTP packets, RTCP packets, DTLS
//! records, STUN messages); beyond [`Multi`]'s capacity further values are dropped and
//! [`Fields::truncated`] says so.

use crate::ast::Proto;
use std::net::{IpAddr, SocketAddr};

/// A set of [`Proto`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Protocols(u16);

impl Protocols {
    /// The empty set.
    pub const EMPTY: Protocols = Protocols(0);

    /// Adds `p`.
    pub fn insert(&mut self, p: Proto) {
        self.0 |= p.bit();
    }

    /// Whether `p` is in the set.
    pub const fn contains(self, p: Proto) -> bool {
        self.0 & p.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Up to `N` values of one field, in the order they were added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Multi<T: Copy, const N: usize> {
    items: [Option<T>; N],
    len: u8,
}

impl<T: Copy, const N: usize> Default for Multi<T, N> {
    fn default() -> Self {
        Multi {
            items: [None; N],
            len: 0,
        }
    }
}

impl<T: Copy, const N: usize> Multi<T, N> {
    /// Adds `v`; false (and `v` dropped) when already full.
    pub fn push(&mut self, v: T) -> bool {
        match self.items.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = Some(v);
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// The values.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.items[..usize::from(self.len)]
            .iter()
            .flatten()
            .copied()
    }

    /// How many there are.
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are none.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One RTP header's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    /// SSRC.
    pub ssrc: u32,
    /// Payload type (7 bits).
    pub pt: u8,
    /// Sequence number.
    pub seq: u16,
    /// Marker bit.
    pub marker: bool,
}

/// A transaction ID: 12 bytes (RFC 5389/8489) or 16 (classic STUN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransactionId {
    /// The bytes, zero after `len`.
    pub bytes: [u8; 16],
    /// 12 or 16.
    pub len: u8,
}

impl TransactionId {
    /// From 12 or 16 bytes (longer input is cut to 16).
    pub fn new(b: &[u8]) -> Self {
        let mut bytes = [0; 16];
        let n = b.len().min(16);
        bytes[..n].copy_from_slice(&b[..n]);
        TransactionId {
            bytes,
            len: n as u8,
        }
    }

    /// The used bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len.min(16))]
    }
}

/// What a filter can see of one frame. Filled by a dissector, read by
/// [`crate::Expr::matches`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    pub(crate) protocols: Protocols,
    pub(crate) frame_len: Option<u32>,
    pub(crate) frame_number: Option<u64>,
    pub(crate) ip: Multi<(IpAddr, IpAddr), 4>,
    pub(crate) udp: Multi<(u16, u16), 4>,
    pub(crate) tcp: Multi<(u16, u16), 4>,
    pub(crate) rtp: Multi<RtpHeader, 8>,
    pub(crate) rtcp_pt: Multi<u8, 16>,
    pub(crate) rtcp_ssrc: Multi<u32, 16>,
    pub(crate) stun_type: Multi<u16, 8>,
    pub(crate) stun_transaction: Multi<TransactionId, 8>,
    pub(crate) dtls_content_type: Multi<u8, 16>,
    pub(crate) dtls_handshake_type: Multi<u8, 16>,
    pub(crate) sctp_ppid: Multi<u32, 16>,
    pub(crate) turn_peer: Multi<IpAddr, 4>,
    truncated: bool,
}

impl Fields {
    /// An empty record.
    pub fn new() -> Self {
        Fields::default()
    }

    fn note(&mut self, kept: bool) {
        self.truncated |= !kept;
    }

    /// Whether some value did not fit (a frame with more than 8 RTP packets, 16 RTCP
    /// packets, …): a filter on it may then miss.
    pub const fn truncated(&self) -> bool {
        self.truncated
    }

    /// The protocols seen.
    pub const fn protocols(&self) -> Protocols {
        self.protocols
    }

    /// Marks `p` as present.
    pub fn add_protocol(&mut self, p: Proto) {
        self.protocols.insert(p);
    }

    /// The frame's length on the wire.
    pub fn set_frame_len(&mut self, len: u32) {
        self.frame_len = Some(len);
    }

    /// The frame's number in the capture.
    pub fn set_frame_number(&mut self, number: u64) {
        self.frame_number = Some(number);
    }

    /// An IP header (an ICMP error's quoted header too): marks `ip` or `ipv6`.
    pub fn add_ip(&mut self, src: IpAddr, dst: IpAddr) {
        self.add_protocol(if src.is_ipv4() {
            Proto::Ip
        } else {
            Proto::Ipv6
        });
        if self.ip.iter().any(|p| p == (src, dst)) {
            return;
        }
        let kept = self.ip.push((src, dst));
        self.note(kept);
    }

    /// A UDP header: marks `udp`.
    pub fn add_udp(&mut self, src: u16, dst: u16) {
        self.add_protocol(Proto::Udp);
        let kept = self.udp.push((src, dst));
        self.note(kept);
    }

    /// A TCP header: marks `tcp`.
    pub fn add_tcp(&mut self, src: u16, dst: u16) {
        self.add_protocol(Proto::Tcp);
        let kept = self.tcp.push((src, dst));
        self.note(kept);
    }

    /// An IP packet with a UDP or TCP header: [`Self::add_ip`] and [`Self::add_udp`] or
    /// [`Self::add_tcp`].
    pub fn add_flow(&mut self, src: SocketAddr, dst: SocketAddr, tcp: bool) {
        self.add_ip(src.ip(), dst.ip());
        if tcp {
            self.add_tcp(src.port(), dst.port());
        } else {
            self.add_udp(src.port(), dst.port());
        }
    }

    /// An RTP packet: marks `rtp`.
    pub fn add_rtp(&mut self, h: RtpHeader) {
        self.add_protocol(Proto::Rtp);
        let kept = self.rtp.push(h);
        self.note(kept);
    }

    /// An RTCP packet of type `pt`, with its sender SSRC when it has one: marks `rtcp`.
    pub fn add_rtcp(&mut self, pt: u8, sender_ssrc: Option<u32>) {
        self.add_protocol(Proto::Rtcp);
        let kept = self.rtcp_pt.push(pt);
        self.note(kept);
        if let Some(s) = sender_ssrc {
            let kept = self.rtcp_ssrc.push(s);
            self.note(kept);
        }
    }

    /// A STUN message of 16-bit type `typ` (its method decides `turn`): marks `stun`, and
    /// `turn` unless the method is Binding.
    pub fn add_stun(&mut self, typ: u16, transaction: &[u8]) {
        self.add_protocol(Proto::Stun);
        if crate::ast::stun_method(typ) != 0x001 {
            self.add_protocol(Proto::Turn);
        }
        let kept = self.stun_type.push(typ);
        self.note(kept);
        let kept = self.stun_transaction.push(TransactionId::new(transaction));
        self.note(kept);
    }

    /// TURN ChannelData: marks `stun` (as Wireshark shows it) and `turn`.
    pub fn add_channel_data(&mut self) {
        self.add_protocol(Proto::Stun);
        self.add_protocol(Proto::Turn);
    }

    /// The peer a relayed payload goes to or comes from.
    pub fn add_turn_peer(&mut self, peer: IpAddr) {
        if !self.turn_peer.iter().any(|p| p == peer) {
            let kept = self.turn_peer.push(peer);
            self.note(kept);
        }
    }

    /// A DTLS record; `content_type` when the header shows one (not in a DTLS 1.3 unified
    /// header): marks `dtls`.
    pub fn add_dtls_record(&mut self, content_type: Option<u8>) {
        self.add_protocol(Proto::Dtls);
        if let Some(c) = content_type {
            let kept = self.dtls_content_type.push(c);
            self.note(kept);
        }
    }

    /// A cleartext DTLS handshake fragment of type `msg_type`.
    pub fn add_dtls_handshake(&mut self, msg_type: u8) {
        let kept = self.dtls_handshake_type.push(msg_type);
        self.note(kept);
    }

    /// An SCTP packet: marks `sctp`.
    pub fn add_sctp(&mut self) {
        self.add_protocol(Proto::Sctp);
    }

    /// An SCTP DATA or I-DATA chunk with payload protocol `ppid`: marks `dcep` for PPID 50.
    pub fn add_sctp_data(&mut self, ppid: u32) {
        self.add_sctp();
        if ppid == 50 {
            self.add_protocol(Proto::Dcep);
        }
        let kept = self.sctp_ppid.push(ppid);
        self.note(kept);
    }

    /// The frame's length on the wire, when set.
    pub const fn frame_len(&self) -> Option<u32> {
        self.frame_len
    }

    /// The IP headers' (source, destination) pairs.
    pub fn ips(&self) -> impl Iterator<Item = (IpAddr, IpAddr)> + '_ {
        self.ip.iter()
    }

    /// The RTP headers.
    pub fn rtp(&self) -> impl Iterator<Item = RtpHeader> + '_ {
        self.rtp.iter()
    }

    /// The STUN message types.
    pub fn stun_types(&self) -> impl Iterator<Item = u16> + '_ {
        self.stun_type.iter()
    }
}
