//! Flows: a 5-tuple seen in both directions, with what it carries.

use crate::series::Series;
use rtcscope_capture::reassembly::TcpStream;
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// Transport of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
}

/// A flow's identity: transport, its two endpoints in a canonical order, and whether it was
/// unwrapped from a TURN allocation (then the endpoints are the relayed address and the peer).
///
/// Hashed by hand ([`hash_addr`]): the derived hash of two `SocketAddr`s made a dozen hasher
/// calls per key and was the engine's costliest function after the RTP path (8.9 % of
/// `analyze`'s samples on a 1M-packet capture), for keys looked up several times per packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FlowKey {
    /// UDP or TCP.
    pub transport: Transport,
    /// The lower endpoint.
    pub lo: SocketAddr,
    /// The higher endpoint.
    pub hi: SocketAddr,
    /// The TURN allocation this flow was unwrapped from, if any.
    pub relay: Option<u32>,
}

/// Feeds `addr` to `state` in one or two words: an IPv4 address and port as one `u64`, an IPv6
/// address as a `u128` and its port. Equal addresses give equal words (IPv6 flow information
/// and scope, which `Eq` also compares, are left out, which keeps that true).
pub fn hash_addr<H: std::hash::Hasher>(addr: &SocketAddr, state: &mut H) {
    match addr {
        SocketAddr::V4(a) => {
            state.write_u64(u64::from(a.ip().to_bits()) << 16 | u64::from(a.port()));
        }
        SocketAddr::V6(a) => {
            state.write_u128(a.ip().to_bits());
            state.write_u16(a.port());
        }
    }
}

/// A socket address as a hash-map key, hashed by [`hash_addr`] (one or two words) instead of
/// `SocketAddr`'s derived hash; for the tables looked up per packet by address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrKey(pub SocketAddr);

impl std::hash::Hash for AddrKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        hash_addr(&self.0, state);
    }
}

impl std::hash::Hash for FlowKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Transport and relay in one word: bit 0 the transport, bit 1 "relayed", above it the
        // allocation.
        let relay = self.relay.map_or(0, |r| u64::from(r) << 2 | 2);
        state.write_u64(relay | self.transport as u64);
        hash_addr(&self.lo, state);
        hash_addr(&self.hi, state);
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        })
    }
}

impl FlowKey {
    /// The key of a packet from `src` to `dst`, and whether it goes lo → hi.
    pub fn of(
        transport: Transport,
        src: SocketAddr,
        dst: SocketAddr,
        relay: Option<u32>,
    ) -> (Self, bool) {
        if src <= dst {
            (
                FlowKey {
                    transport,
                    lo: src,
                    hi: dst,
                    relay,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    transport,
                    lo: dst,
                    hi: src,
                    relay,
                },
                false,
            )
        }
    }
}

/// Per-protocol message counts on a flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProtocolCounts {
    /// STUN messages (RFC 5389/8489).
    pub stun: u64,
    /// Classic STUN (RFC 3489).
    pub classic_stun: u64,
    /// TURN ChannelData messages.
    pub channel_data: u64,
    /// DTLS datagrams.
    pub dtls: u64,
    /// RTP packets.
    pub rtp: u64,
    /// RTCP packets.
    pub rtcp: u64,
    /// SCTP packets (over UDP, RFC 6951).
    pub sctp: u64,
    /// Payloads no structural check accepted.
    pub unknown: u64,
}

impl ProtocolCounts {
    /// True when anything WebRTC-related was confirmed (any count but `unknown`): the one
    /// definition of "a WebRTC flow" that the report, the diagnosis and the TUI's snapshot use.
    pub fn is_webrtc(&self) -> bool {
        self.stun
            + self.classic_stun
            + self.channel_data
            + self.dtls
            + self.rtp
            + self.rtcp
            + self.sctp
            > 0
    }
}

/// A flow.
pub struct Flow {
    /// Its key.
    pub key: FlowKey,
    /// First packet time (ns since the epoch).
    pub first_ns: i64,
    /// Last packet time.
    pub last_ns: i64,
    /// Packets lo → hi and hi → lo.
    pub packets: [u64; 2],
    /// Transport payload bytes lo → hi and hi → lo.
    pub bytes: [u64; 2],
    /// What it carried.
    pub counts: ProtocolCounts,
    /// Bandwidth over time (forward = lo → hi).
    pub series: Series,
    /// TCP reassembly, one per direction (TCP flows only).
    pub tcp: Option<Box<[TcpStream; 2]>>,
    /// ICMP errors that quoted one of its datagrams (port unreachable after a peer closed, ...),
    /// one entry per kind and unreachable endpoint, at most [`MAX_ICMP_KINDS`]; allocated only
    /// for a flow that received one (boxed: a flow without stays 8 bytes larger, not 24).
    #[allow(clippy::box_collection)]
    pub icmp_errors: Option<Box<Vec<IcmpErrors>>>,
}

/// Kinds of ICMP error kept per flow; later kinds are counted in the last entry's
/// [`IcmpErrors::other_kinds`].
pub const MAX_ICMP_KINDS: usize = 4;

/// ICMP errors of one kind (type and code) about one flow's datagrams to one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct IcmpErrors {
    /// `"icmp"` or `"icmpv6"`.
    pub family: &'static str,
    /// ICMP type (3 destination unreachable, 11 time exceeded; ICMPv6 1, 3).
    #[serde(rename = "type")]
    pub icmp_type: u8,
    /// ICMP code (ICMPv4 3 and ICMPv6 4: port unreachable).
    pub code: u8,
    /// The endpoint the quoted datagram could not reach (its destination).
    pub unreachable: SocketAddr,
    /// Who sent the first error (the unreachable host itself, or a router).
    pub reported_by: IpAddr,
    /// How many.
    pub count: u64,
    /// Packet number of the first.
    pub first_packet: u64,
    /// Time of the first (ns since the epoch).
    pub first_ns: i64,
    /// Time of the last.
    pub last_ns: i64,
    /// Errors of further kinds once [`MAX_ICMP_KINDS`] were listed (counted here, on the
    /// last entry).
    pub other_kinds: u64,
}

impl Flow {
    /// A new flow first seen at `now`.
    pub fn new(key: FlowKey, now: i64) -> Self {
        Flow {
            key,
            first_ns: now,
            last_ns: now,
            packets: [0; 2],
            bytes: [0; 2],
            counts: ProtocolCounts::default(),
            series: Series::new(now),
            tcp: (key.transport == Transport::Tcp).then(Default::default),
            icmp_errors: None,
        }
    }

    /// Records an ICMP error about one of its datagrams: ICMPv6 when `v6`, of `icmp_type` and
    /// `code`, about a datagram to `unreachable`, sent by `reported_by`, in packet `number`.
    pub fn icmp_error(
        &mut self,
        now: i64,
        number: u64,
        v6: bool,
        (icmp_type, code): (u8, u8),
        unreachable: SocketAddr,
        reported_by: IpAddr,
    ) {
        let family = if v6 { "icmpv6" } else { "icmp" };
        let list = self.icmp_errors.get_or_insert_with(Default::default);
        if let Some(e) = list.iter_mut().find(|e| {
            (e.family, e.icmp_type, e.code, e.unreachable) == (family, icmp_type, code, unreachable)
        }) {
            e.count += 1;
            e.first_ns = e.first_ns.min(now);
            e.last_ns = e.last_ns.max(now);
            return;
        }
        if list.len() >= MAX_ICMP_KINDS {
            if let Some(last) = list.last_mut() {
                last.other_kinds += 1;
            }
            return;
        }
        // One kind is the rule (a closed port at the end of a call): room for exactly one, not
        // the four a first push reserves, in every flow of thousands of calls.
        list.reserve_exact(1);
        list.push(IcmpErrors {
            family,
            icmp_type,
            code,
            unreachable,
            reported_by,
            count: 1,
            first_packet: number,
            first_ns: now,
            last_ns: now,
            other_kinds: 0,
        });
    }

    /// Counts a packet; returns the change in its series' stored buckets.
    pub fn account(&mut self, now: i64, bytes: usize, forward: bool) -> isize {
        let d = usize::from(!forward);
        self.packets[d] += 1;
        self.bytes[d] += bytes as u64;
        self.first_ns = self.first_ns.min(now);
        self.last_ns = self.last_ns.max(now);
        self.series.add(now, bytes as u64, forward)
    }

    /// True when anything WebRTC-related was confirmed on the flow.
    pub fn is_webrtc(&self) -> bool {
        self.counts.is_webrtc()
    }
}

#[cfg(test)]
mod tests {
    use super::ProtocolCounts;

    #[test]
    fn a_webrtc_flow_is_one_with_any_recognised_message() {
        let none = ProtocolCounts::default();
        assert!(!none.is_webrtc());
        assert!(!ProtocolCounts { unknown: 9, ..none }.is_webrtc());
        for one in [
            ProtocolCounts { stun: 1, ..none },
            ProtocolCounts {
                classic_stun: 1,
                ..none
            },
            ProtocolCounts {
                channel_data: 1,
                ..none
            },
            ProtocolCounts { dtls: 1, ..none },
            ProtocolCounts { rtp: 1, ..none },
            ProtocolCounts { rtcp: 1, ..none },
            ProtocolCounts { sctp: 1, ..none },
        ] {
            assert!(one.is_webrtc(), "{one:?}");
        }
    }
}
