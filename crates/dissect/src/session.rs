//! What `dissect` remembers across packets, bounded: IP fragment reassembly, DTLS handshake
//! reassembly per direction and TURN channel bindings.
//!
//! [`crate::dissect_frame_with`] stays stateless; [`crate::Dissector`] owns a [`State`] and
//! hands it to the dissectors, which then
//!
//! * feed every IP fragment to one [`IpReassembler`] (the one `analyze` uses, with the same
//!   default [`IpLimits`]: 1024 datagrams pending, 8 MiB buffered, 30 s from a datagram's first
//!   fragment to its last, 128 fragments a datagram, overlapping fragments refused), and
//!   dissect the whole datagram on the frame that completes it, with the frames it came from
//!   (tshark's "reassembled from frames"); the frame numbers of each pending datagram are
//!   kept for as many datagrams as the reassembler keeps, [`MAX_FRAMES_LISTED`] each;
//! * feed every fragment of a handshake message (a message not complete in one record) to a
//!   [`rtcscope_dtls::Reassembler`] of its direction, and show the message whole, parsed, on
//!   the packet that completes it, with the frames it came from (tshark's "Reassembled");
//! * remember ChannelBind requests (client, server, channel → peer), so that ChannelData
//!   names the peer it is relayed to or from, and `--host`/`--port` can match it;
//! * reassemble each TCP direction with the stream cutter `analyze` uses
//!   ([`rtcscope_capture::reassembly::TcpStream`], its framings, limits and resynchronisation),
//!   so that a message split over segments is dissected whole on the segment that completes it
//!   (with the frames it came from), the segments before it say so, and a retransmission or a
//!   segment held after a gap is named as such: `dissect` then labels TCP as the engine does;
//! * remember the TCP connections that carried TLS records and those that carried STUN: on a
//!   TLS connection, 4 bytes starting 0x40–0x7f in the middle of the stream read as
//!   ChannelData only once the connection carried STUN or for a channel bound on it, so a TLS
//!   segment is not shown as TURN (a capture that starts in the middle of TURN over TCP, with
//!   neither seen, keeps its ChannelData);
//! * remember the flows (both directions, and the relay) that carried DTLS: a DTLS 1.3
//!   unified-header record, whose first byte is all there is to check, is believed only there
//!   or after a plain record in the same datagram, as in the engine, so that other protocols
//!   whose first byte starts 001 (OpenVPN's P_ACK_V1, 0x28) are not called DTLS.
//!
//! Caps: [`MAX_TCP_DIRECTIONS`] TCP directions at once and [`MAX_TCP_BYTES`] held by all of them
//! (the least recently used direction dropped first, with what it held; its next segment starts
//! it again, resynchronising as a capture that starts mid-stream does), each with the engine's
//! default [`TcpLimits`](rtcscope_capture::reassembly::TcpLimits), and
//! [`TCP_SEGMENTS_REMEMBERED`] segments remembered per direction to list a message's frames;
//! [`MAX_DTLS_DIRECTIONS`] directions reassembled at once (the least recently used one is
//! dropped, with its partial messages), each with [`dtls_limits`] (16 pending messages, 256 KiB
//! buffered, a message at most 128 KiB), and at most [`MAX_DTLS_BYTES`] buffered over all of
//! them (least recently used directions dropped until under it); at most
//! [`MAX_FRAMES_LISTED`] frame numbers listed per message; [`MAX_CHANNELS`] channel bindings
//! (the oldest forgotten first); [`MAX_DTLS_FLOWS`] flows remembered as carrying DTLS (the
//! oldest forgotten first).

use rtcscope_capture::link::Fragment;
use rtcscope_capture::reassembly::{IpLimits, IpReassembler, Reassembled, TcpStream};
use rtcscope_dtls::{
    CipherSuite, HandshakeFragment, Limits, Outcome, ProtocolVersion, Reassembler,
};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};

/// Directions (one 5-tuple one way, and for relayed DTLS the relay's peer or channel) whose
/// handshake is reassembled at once.
pub const MAX_DTLS_DIRECTIONS: usize = 256;
/// Bytes buffered by all DTLS reassemblers together.
pub const MAX_DTLS_BYTES: usize = 16 * 1024 * 1024;
/// Frame numbers listed for one reassembled message (more are counted).
pub const MAX_FRAMES_LISTED: usize = 64;
/// Channel bindings remembered.
pub const MAX_CHANNELS: usize = 4096;
/// TCP connections remembered as carrying TLS or STUN (the oldest forgotten first).
pub const MAX_STREAM_MARKS: usize = 4096;
/// Flows remembered as carrying DTLS (the oldest forgotten first).
pub const MAX_DTLS_FLOWS: usize = 4096;
/// TCP directions reassembled at once.
pub const MAX_TCP_DIRECTIONS: usize = 256;
/// Bytes held by all TCP directions together (partial messages and segments after a gap).
pub const MAX_TCP_BYTES: usize = 16 * 1024 * 1024;
/// Segments remembered per TCP direction, to list the frames a reassembled message came from.
pub const TCP_SEGMENTS_REMEMBERED: usize = 64;

/// The limits of each direction's reassembler.
pub const fn dtls_limits() -> Limits {
    Limits {
        max_message_len: 128 * 1024,
        max_pending: 16,
        max_buffered: 256 * 1024,
        max_remembered: 64,
        max_fragments: 256,
    }
}

/// How a message travelled inside a relay, when it did (part of the reassembly key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Via {
    /// Not relayed.
    Direct,
    /// In a Send or Data indication to or from this peer, or ChannelData bound to it.
    Peer(SocketAddr),
    /// In ChannelData on a channel whose binding was not seen.
    Channel(u16),
}

/// Per-packet context handed down the dissectors.
pub(crate) struct Cx<'s> {
    /// Frame number.
    pub frame: u64,
    /// The outer flow, source then destination.
    pub flow: Option<(SocketAddr, SocketAddr)>,
    /// Inside which relay the current payload is.
    pub via: Via,
    /// State across packets (`None`: stateless dissection).
    pub state: Option<&'s mut State>,
    /// What a display filter sees of the frame, filled as it is dissected.
    pub fields: rtcscope_filter::Fields,
}

impl Cx<'_> {
    /// A context without state.
    pub fn stateless() -> Cx<'static> {
        Cx {
            frame: 0,
            flow: None,
            via: Via::Direct,
            state: None,
            fields: rtcscope_filter::Fields::default(),
        }
    }

    fn key(&self) -> Option<DirKey> {
        self.flow.map(|(src, dst)| DirKey {
            src,
            dst,
            via: self.via,
        })
    }

    /// Both directions of the association (the endpoints in order, and the relay).
    fn association(&self) -> Option<AssocKey> {
        self.flow.map(|(a, b)| (a.min(b), a.max(b), self.via))
    }

    /// The version and cipher suite a ServerHello of this association selected earlier (for
    /// a later ServerKeyExchange, CertificateRequest or CertificateVerify, whose layout
    /// depends on them).
    pub fn negotiated(&self) -> Option<(ProtocolVersion, CipherSuite)> {
        let key = self.association()?;
        self.state.as_ref()?.negotiated.get(&key).copied()
    }

    /// Remembers what a ServerHello selected.
    pub fn set_negotiated(&mut self, version: ProtocolVersion, suite: CipherSuite) {
        let Some(key) = self.association() else {
            return;
        };
        if let Some(st) = self.state.as_deref_mut() {
            if !st.negotiated.contains_key(&key) && st.negotiated.len() >= MAX_DTLS_DIRECTIONS {
                // Forget an arbitrary one: it only refines how later messages are parsed.
                if let Some(k) = st.negotiated.keys().next().copied() {
                    st.negotiated.remove(&k);
                }
            }
            st.negotiated.insert(key, (version, suite));
        }
    }

    /// Feeds a fragment of an incomplete message; `None` without state. The outcome comes with
    /// the frames that carried the message's fragments (this one included) and how many more
    /// there were than listed.
    pub fn reassemble<'f>(
        &mut self,
        frag: &HandshakeFragment<'f>,
    ) -> Option<rtcscope_wire::Result<(Outcome<'f>, Vec<u64>, usize)>> {
        let key = self.key()?;
        let frame = self.frame;
        let st = self.state.as_deref_mut()?;
        let d = st.direction(key, frame);
        let result = d.reassembler.feed(frag).map(|outcome| {
            let seq = frag.message_seq;
            let listed = match d.frames.iter().position(|(s, _, _)| *s == seq) {
                Some(i) => i,
                None => {
                    // As many lists as the reassembler keeps pending messages.
                    if d.frames.len() >= dtls_limits().max_pending {
                        d.frames.pop_front();
                    }
                    d.frames.push_back((seq, Vec::new(), 0));
                    d.frames.len() - 1
                }
            };
            let (_, frames, more) = &mut d.frames[listed];
            if matches!(outcome, Outcome::Complete(_) | Outcome::Pending)
                && frames.last() != Some(&frame)
            {
                if frames.len() < MAX_FRAMES_LISTED {
                    frames.push(frame);
                } else {
                    *more += 1;
                }
            }
            let (list, more) = (frames.clone(), *more);
            if matches!(outcome, Outcome::Complete(_)) {
                d.frames.remove(listed);
            }
            (outcome, list, more)
        });
        st.enforce_bytes();
        Some(result)
    }

    /// Remembers a ChannelBind request from the outer source (the client) to the outer
    /// destination (the server).
    pub fn bind_channel(&mut self, channel: u16, peer: SocketAddr) {
        let (Some((client, server)), frame) = (self.flow, self.frame) else {
            return;
        };
        if let Some(st) = self.state.as_deref_mut() {
            st.bind(client, server, channel, peer, frame);
        }
    }

    fn connection(&self) -> Option<(SocketAddr, SocketAddr)> {
        let (a, b) = self.flow?;
        Some(if a <= b { (a, b) } else { (b, a) })
    }

    /// Whether a DTLS 1.3 unified header is believable here: the flow (both directions, inside
    /// the same relay) carried DTLS before. Without state, or without a flow, one packet
    /// cannot tell, and it is.
    pub fn dtls_seen(&self) -> bool {
        match (self.state.as_ref(), self.association()) {
            (Some(st), Some(key)) => st.dtls_flows.contains(&key),
            _ => true,
        }
    }

    /// Remembers that the flow carried DTLS.
    pub fn mark_dtls(&mut self) {
        let Some(key) = self.association() else {
            return;
        };
        if let Some(st) = self.state.as_deref_mut() {
            if st.dtls_flows.insert(key) {
                st.dtls_flow_order.push_back(key);
                if st.dtls_flow_order.len() > MAX_DTLS_FLOWS {
                    if let Some(old) = st.dtls_flow_order.pop_front() {
                        st.dtls_flows.remove(&old);
                    }
                }
            }
        }
    }

    /// Remembers what the outer TCP connection carried: a TLS record, or STUN.
    pub fn mark_stream(&mut self, mark: StreamMark) {
        let Some(key) = self.connection() else {
            return;
        };
        if let Some(st) = self.state.as_deref_mut() {
            let entry = st.stream_marks.entry(key).or_insert_with(|| {
                st.stream_order.push_back(key);
                StreamMarks::default()
            });
            match mark {
                StreamMark::Tls => entry.tls = true,
                StreamMark::Stun => entry.stun = true,
            }
            if st.stream_order.len() > MAX_STREAM_MARKS {
                if let Some(old) = st.stream_order.pop_front() {
                    st.stream_marks.remove(&old);
                }
            }
        }
    }

    /// Whether the outer TCP connection carried a STUN message (then a ChannelData start on any
    /// channel is believed in its stream, as the engine does).
    pub fn stream_carried_stun(&self) -> bool {
        let (Some(st), Some(key)) = (self.state.as_ref(), self.connection()) else {
            return false;
        };
        st.stream_marks.get(&key).is_some_and(|m| m.stun)
    }

    /// Whether ChannelData on `channel` is believable on the outer TCP connection: false only
    /// on a connection that carried TLS and neither STUN nor this channel's ChannelBind.
    pub fn channel_believable_on_stream(&self, channel: u16) -> bool {
        let (Some(st), Some(key)) = (self.state.as_ref(), self.connection()) else {
            return true;
        };
        let Some(m) = st.stream_marks.get(&key) else {
            return true;
        };
        !m.tls || m.stun || self.channel_peer(channel).is_some()
    }

    /// The peer of `channel` on the outer flow, in either direction, and the frame of its
    /// ChannelBind.
    pub fn channel_peer(&self, channel: u16) -> Option<(SocketAddr, u64)> {
        let (src, dst) = self.flow?;
        let st = self.state.as_ref()?;
        st.channels
            .get(&(src, dst, channel))
            .or_else(|| st.channels.get(&(dst, src, channel)))
            .copied()
    }
}

type AssocKey = (SocketAddr, SocketAddr, Via);

/// What a TCP connection was seen to carry.
#[derive(Clone, Copy, Debug)]
pub(crate) enum StreamMark {
    /// A segment that starts with a TLS record header.
    Tls,
    /// A STUN message.
    Stun,
}

#[derive(Clone, Copy, Debug, Default)]
struct StreamMarks {
    tls: bool,
    stun: bool,
}

/// An IP datagram being reassembled: addresses, protocol, identification.
type IpKey = (IpAddr, IpAddr, u8, u32);

/// The frames that carried a pending datagram's fragments.
struct IpFrames {
    /// Capture time of the first of them (lists older than the reassembler's timeout are
    /// stale: that datagram was dropped, and a new one reuses its identification).
    first_ts: i128,
    frames: Vec<u64>,
    /// Frames beyond [`MAX_FRAMES_LISTED`].
    more: usize,
}

/// What became of an IP fragment.
pub(crate) enum IpOutcome {
    /// Kept (or refused, counted in [`State::ip_stats`]); the datagram is not complete.
    Pending,
    /// The datagram is complete: it, the frames of its fragments (this one last), and how
    /// many more there were than listed.
    Complete(Reassembled, Vec<u64>, usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct DirKey {
    src: SocketAddr,
    dst: SocketAddr,
    via: Via,
}

/// One TCP direction being reassembled.
pub(crate) struct TcpDirection {
    /// The engine's stream cutter.
    pub stream: TcpStream,
    /// The latest segments with payload: their stream offsets (start, end) and frame.
    pub segments: VecDeque<(i64, i64, u64)>,
    /// Stream ranges already shown by reading their segment alone (so the messages the cutter
    /// later emits from them are not shown twice), the latest [`TCP_SEGMENTS_REMEMBERED`].
    pub shown: VecDeque<(i64, i64)>,
    last_used: u64,
}

struct Direction {
    reassembler: Reassembler,
    /// Per pending message_seq: the frames of its fragments, and how many more were not listed.
    frames: VecDeque<(u16, Vec<u64>, usize)>,
    last_used: u64,
}

/// State across packets, bounded (see the module documentation for the caps).
#[derive(Default)]
pub struct State {
    dtls: HashMap<DirKey, Direction>,
    /// What each association's ServerHello selected (at most [`MAX_DTLS_DIRECTIONS`]).
    negotiated: HashMap<AssocKey, (ProtocolVersion, CipherSuite)>,
    channels: HashMap<(SocketAddr, SocketAddr, u16), (SocketAddr, u64)>,
    channel_order: VecDeque<(SocketAddr, SocketAddr, u16)>,
    /// What TCP connections (ends in order) carried, at most [`MAX_STREAM_MARKS`].
    stream_marks: HashMap<(SocketAddr, SocketAddr), StreamMarks>,
    stream_order: VecDeque<(SocketAddr, SocketAddr)>,
    /// Flows (ends in order, and the relay) that carried DTLS, at most [`MAX_DTLS_FLOWS`].
    dtls_flows: HashSet<AssocKey>,
    dtls_flow_order: VecDeque<AssocKey>,
    /// Directions dropped to stay under the caps.
    evicted: u64,
    /// IP fragments, under [`IpLimits::default`].
    ip: IpReassembler,
    /// The frames of each datagram `ip` holds (at most [`IpLimits::default`]'s `max_pending`,
    /// the oldest forgotten first).
    ip_frames: HashMap<IpKey, IpFrames>,
    ip_order: VecDeque<IpKey>,
    /// TCP directions (source, destination), at most [`MAX_TCP_DIRECTIONS`].
    tcp: HashMap<(SocketAddr, SocketAddr), TcpDirection>,
    /// TCP directions dropped to stay under the caps.
    tcp_evicted: u64,
    /// Whether the frame being dissected showed what TCP stream state made of it (see
    /// [`crate::Dissector::used_stream_state`]).
    pub(crate) tcp_stateful: bool,
}

impl State {
    /// What became of the IP fragments so far (fragments, datagrams reassembled, dropped).
    pub fn ip_stats(&self) -> rtcscope_capture::reassembly::IpStats {
        self.ip.stats()
    }

    /// Feeds an IP fragment seen in `frame` at `ts` (nanoseconds).
    pub(crate) fn ip_fragment(&mut self, f: &Fragment<'_>, frame: u64, ts: i128) -> IpOutcome {
        let limits = IpLimits::default();
        let key = (f.src, f.dst, f.protocol, f.id);
        let fresh = |ts0: i128| ts - ts0 <= limits.timeout_nanos;
        match self.ip_frames.get_mut(&key) {
            Some(e) if fresh(e.first_ts) => {
                if e.frames.len() < MAX_FRAMES_LISTED {
                    e.frames.push(frame);
                } else {
                    e.more += 1;
                }
            }
            Some(e) => {
                *e = IpFrames {
                    first_ts: ts,
                    frames: vec![frame],
                    more: 0,
                };
            }
            None => {
                while self.ip_frames.len() >= limits.max_pending {
                    match self.ip_order.pop_front() {
                        Some(old) => {
                            self.ip_frames.remove(&old);
                        }
                        None => break,
                    }
                }
                self.ip_frames.insert(
                    key,
                    IpFrames {
                        first_ts: ts,
                        frames: vec![frame],
                        more: 0,
                    },
                );
                self.ip_order.push_back(key);
            }
        }
        let refused_before = self.ip.stats().bad_fragments;
        let outcome = self.ip.push(f, ts);
        if self.ip.stats().bad_fragments > refused_before {
            // Refused (overlapping, beyond 65535 bytes, cut): not one of the datagram's frames.
            if let Some(e) = self.ip_frames.get_mut(&key) {
                if e.more > 0 {
                    e.more -= 1;
                } else if e.frames.last() == Some(&frame) {
                    e.frames.pop();
                }
            }
        }
        match outcome {
            Some(datagram) => {
                let listed = self.ip_frames.remove(&key);
                if let Some(i) = self.ip_order.iter().position(|k| *k == key) {
                    self.ip_order.remove(i);
                }
                let (frames, more) = listed.map_or((vec![frame], 0), |l| (l.frames, l.more));
                IpOutcome::Complete(datagram, frames, more)
            }
            None => IpOutcome::Pending,
        }
    }

    /// Takes the TCP direction `src` → `dst` out of the state (a new one if it is not there,
    /// making room under [`MAX_TCP_DIRECTIONS`]); [`State::put_tcp`] gives it back.
    pub(crate) fn take_tcp(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        frame: u64,
    ) -> TcpDirection {
        if let Some(mut d) = self.tcp.remove(&(src, dst)) {
            d.last_used = frame;
            return d;
        }
        while self.tcp.len() >= MAX_TCP_DIRECTIONS {
            self.evict_tcp();
        }
        TcpDirection {
            stream: TcpStream::default(),
            segments: VecDeque::new(),
            shown: VecDeque::new(),
            last_used: frame,
        }
    }

    /// Gives back a direction [`State::take_tcp`] took, then keeps what all directions hold
    /// under [`MAX_TCP_BYTES`] (this one is dropped last).
    pub(crate) fn put_tcp(&mut self, src: SocketAddr, dst: SocketAddr, mut d: TcpDirection) {
        while d.segments.len() > TCP_SEGMENTS_REMEMBERED {
            d.segments.pop_front();
        }
        while d.shown.len() > TCP_SEGMENTS_REMEMBERED {
            d.shown.pop_front();
        }
        let mine = d.stream.buffered_bytes();
        while !self.tcp.is_empty()
            && mine
                + self
                    .tcp
                    .values()
                    .map(|d| d.stream.buffered_bytes())
                    .sum::<usize>()
                > MAX_TCP_BYTES
        {
            self.evict_tcp();
        }
        if mine > MAX_TCP_BYTES {
            // Cannot happen with the default limits (a few hundred KiB a direction).
            self.tcp_evicted += 1;
            return;
        }
        self.tcp.insert((src, dst), d);
    }

    /// Remembers that the stream range `start..end` of `src` → `dst` was shown read alone.
    pub(crate) fn tcp_shown(&mut self, src: SocketAddr, dst: SocketAddr, start: i64, end: i64) {
        if let Some(d) = self.tcp.get_mut(&(src, dst)) {
            d.shown.push_back((start, end));
            if d.shown.len() > TCP_SEGMENTS_REMEMBERED {
                d.shown.pop_front();
            }
        }
    }

    /// Drops the least recently used TCP direction (at most [`MAX_TCP_DIRECTIONS`] looked at).
    fn evict_tcp(&mut self) {
        if let Some(k) = self
            .tcp
            .iter()
            .min_by_key(|(_, d)| d.last_used)
            .map(|(k, _)| *k)
        {
            self.tcp.remove(&k);
            self.tcp_evicted += 1;
        }
    }

    /// TCP directions dropped (with what they held) to stay under the caps.
    pub fn tcp_evicted(&self) -> u64 {
        self.tcp_evicted
    }

    /// DTLS directions dropped (with their partial messages) to stay under the caps.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Bytes held by the DTLS reassemblers.
    pub fn buffered(&self) -> usize {
        self.dtls.values().map(|d| d.reassembler.buffered()).sum()
    }

    fn direction(&mut self, key: DirKey, frame: u64) -> &mut Direction {
        if !self.dtls.contains_key(&key) && self.dtls.len() >= MAX_DTLS_DIRECTIONS {
            self.evict_lru();
        }
        let d = self.dtls.entry(key).or_insert_with(|| Direction {
            reassembler: Reassembler::new(dtls_limits()),
            frames: VecDeque::new(),
            last_used: frame,
        });
        d.last_used = frame;
        d
    }

    fn evict_lru(&mut self) {
        if let Some(k) = self
            .dtls
            .iter()
            .min_by_key(|(_, d)| d.last_used)
            .map(|(k, _)| *k)
        {
            self.dtls.remove(&k);
            self.evicted += 1;
        }
    }

    fn enforce_bytes(&mut self) {
        while self.buffered() > MAX_DTLS_BYTES && !self.dtls.is_empty() {
            self.evict_lru();
        }
    }

    fn bind(
        &mut self,
        client: SocketAddr,
        server: SocketAddr,
        channel: u16,
        peer: SocketAddr,
        frame: u64,
    ) {
        let key = (client, server, channel);
        if self.channels.insert(key, (peer, frame)).is_none() {
            self.channel_order.push_back(key);
            if self.channel_order.len() > MAX_CHANNELS {
                if let Some(old) = self.channel_order.pop_front() {
                    self.channels.remove(&old);
                }
            }
        }
    }
}
