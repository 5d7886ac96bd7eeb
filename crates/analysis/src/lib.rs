//! rtcscope's analysis engine: packets in, WebRTC sessions out.
//!
//! The engine is *sans-IO* (after str0m and quinn-proto): it is fed frames with their capture
//! time and never reads a clock or a socket, so a pcap file, a live capture and a test all
//! drive it the same way, and its results are reproducible.
//!
//! ```text
//! frame ─ link/IP/UDP/TCP (rtcscope-capture) ─ IP reassembly ─ TCP framing
//!       └ flow (5-tuple) ─ RFC 7983 demux + structural checks
//!            ├ STUN ─ ICE checks (sessions, pairs, RTT, nomination, consent)
//!            │      └ TURN (allocations, permissions, channels)
//!            ├ ChannelData / Send / Data indications ─ inner flow relayed ↔ peer ─ (again)
//!            ├ DTLS, RTP, RTCP ─ counted per flow
//!            └ unknown ─ counted per flow, never dropped silently
//! ```
//!
//! Memory is bounded by flows, sessions and allocations, never by packets: per-flow bandwidth
//! series coarsen instead of growing, timelines are capped with counters beyond, transaction
//! tables are pruned, and reassembly buffers have hard limits.
#![forbid(unsafe_code)]

mod buckets;
pub mod candidates;
pub mod codec_inference;
pub mod datachannels;
pub mod decrypt;
pub mod demux;
pub mod diagnosis;
pub mod dtls;
pub mod flow;
pub mod fmt;
pub mod frames;
pub mod ice;
pub mod nat;
pub mod quality;
pub mod relay;
pub mod report;
pub mod sdp_hints;
pub mod series;
pub mod snapshot;
pub mod streams;
pub mod table;
pub mod turn;
pub mod twcc;

/// The engine's hash maps: foldhash is several times faster than the standard SipHash on the
/// small keys used here (5-tuples, SSRCs) and is seeded randomly per process, so a crafted
/// capture cannot aim many flows at one bucket.
pub type Map<K, V> = std::collections::HashMap<K, V, HashState>;

/// The hasher of [`Map`]: seeded randomly per process, except in fuzzing builds (cargo-fuzz's
/// `--cfg fuzzing`), where a fixed seed makes a run replayable: the same input then meets the
/// same hash order, so a finding in CI's fixed-seed run reproduces on another machine.
#[cfg(not(fuzzing))]
pub type HashState = foldhash::fast::RandomState;
/// The hasher of [`Map`]: fixed in fuzzing builds, so that a finding replays exactly.
#[cfg(fuzzing)]
pub type HashState = foldhash::fast::FixedState;

use demux::Kind;
use flow::{Flow, FlowKey, Transport};
use ice::{Check, IceTable, Role};
use rtcscope_capture::link::{decode, decode_transport, LinkType, NotTransport};
use rtcscope_capture::reassembly::{IpReassembler, Message as TcpMessage, TcpStream};
use rtcscope_stun::{self as stun, Attribute, Class, Method};
use serde::Serialize;
use std::net::SocketAddr;
use turn::{AllocationState, ErrorSeen, TurnTable};

/// Damaged packets kept with their description; later ones are only counted.
pub const MAX_DAMAGE_RECORDS: usize = 1000;

/// The damage entry of a STUN message whose length is not a multiple of four (an unpadded last
/// attribute): RFC 8489 forbids it, real clients send it, the engine reads it.
pub const MALFORMED_STUN_LENGTH: &str =
    "STUN length not a multiple of 4 (accepted, as real clients send it)";
/// Flows kept; beyond this the flow used least recently is evicted (its counts stay in the
/// totals).
pub const DEFAULT_MAX_FLOWS: usize = 100_000;
/// Transactions older than this are forgotten (responses come within seconds).
const TRANSACTION_TTL_NS: i64 = 60_000_000_000;

/// Engine settings: the caps that bound its memory whatever a capture holds.
///
/// Every table is capped and evicts (or stops tracking) in O(1) once full, and what it drops
/// is counted ([`Counters`], [`report::Report::over_limits`]). The caps' worst-case cost, added up, is
/// what [`Config::worst_case_bytes`] states; [`Config::with_memory_budget`] scales the caps to
/// fit a budget.
#[derive(Clone, Debug)]
pub struct Config {
    /// Flows held at once (least recently used evicted).
    pub max_flows: usize,
    /// RTP streams held at once (least recently used evicted).
    pub max_streams: usize,
    /// STUN transactions awaiting a response (least recently used forgotten).
    pub max_transactions: usize,
    /// Bandwidth-series buckets held across all flows and streams (half each; a stream's
    /// stored quality entry counts as [`quality::BUDGET_UNITS`]); beyond it the series being
    /// written halves its resolution, down to [`series::Series::MIN_KEEP`] buckets, so the bound
    /// is this plus that many per flow and stream (and per stream's quality series, for its
    /// packet counters and its RTT samples each).
    pub max_series_buckets: usize,
}

/// Worst-case bytes per entry of each table (used by [`Config::worst_case_bytes`]): the
/// entry in its table's vector, which may hold up to twice its length, and its hash index
/// entry; checked against the types' sizes by a test.
mod entry_cost {
    /// A flow without its series (TCP buffers, bounded per TCP flow by `TcpLimits`, apart).
    pub const FLOW: usize = 784;
    /// A stream without its series (its few short strings included, the byte sums behind
    /// getStats' figures, its quality series' header, the boxes of its codec inference, and
    /// an RTX stream's boxed repair memory, `RtxRepairs`).
    pub const STREAM: usize = 2560 + 528;
    /// A pending transaction (where its response was handled included).
    pub const TRANSACTION: usize = 416;
    /// One stored series bucket (index and counters).
    pub const BUCKET: usize = 64;
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_flows: DEFAULT_MAX_FLOWS,
            max_streams: streams::MAX_STREAMS,
            max_transactions: 100_000,
            max_series_buckets: 1_000_000,
        }
    }
}

impl Config {
    /// Caps scaled from the defaults so that [`Config::worst_case_bytes`] fits in `bytes`
    /// (never below a floor that keeps a few calls analysable).
    pub fn with_memory_budget(bytes: usize) -> Self {
        let d = Config::default();
        let scale = |n: usize, floor: usize| {
            ((n as u128 * bytes as u128 / d.worst_case_bytes().max(1) as u128) as usize).max(floor)
        };
        Config {
            max_flows: scale(d.max_flows, 64),
            max_streams: scale(d.max_streams, 64),
            max_transactions: scale(d.max_transactions, 256),
            max_series_buckets: scale(d.max_series_buckets, 4096),
        }
    }

    /// An upper bound of the memory the capped tables can hold (flows, streams, transactions,
    /// series: about 309 MB with the defaults), excluding the fixed-size tables (ICE, TURN, DTLS,
    /// SCTP, transport-wide feedback: [`twcc::WORST_CASE_BYTES`]) whose caps are constants, and
    /// TCP/IP reassembly buffers, bounded by their own limits.
    pub fn worst_case_bytes(&self) -> usize {
        self.max_flows * entry_cost::FLOW
            + self.max_streams * (entry_cost::STREAM + frames::TRACKER_BYTES)
            + codec_inference::MAX_INFERRING * codec_inference::INFERENCE_BYTES
            + self.max_transactions * entry_cost::TRANSACTION
            + (self.max_series_buckets
                + series::Series::MIN_KEEP
                    * (self.max_flows + (1 + 2 * quality::BUDGET_UNITS) * self.max_streams))
                * entry_cost::BUCKET
    }
}

/// A damaged packet: its number and what was wrong, located.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Damage {
    /// Packet number in the capture.
    pub packet: u64,
    /// What was wrong (layer, byte offset, field, expected/found).
    pub what: String,
}

/// Capture-wide counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Frames fed.
    pub packets: u64,
    /// Bytes fed (captured lengths).
    pub bytes: u64,
    /// Frames that were not IP.
    pub not_ip: u64,
    /// IP packets of other protocols than UDP/TCP.
    pub other_ip: u64,
    /// IP fragments seen.
    pub fragments: u64,
    /// Datagrams reassembled from fragments.
    pub reassembled: u64,
    /// Frames cut by the snapshot length.
    pub cut: u64,
    /// Damaged frames (see [`Engine::damage`]).
    pub damaged: u64,
    /// Flows evicted under [`Config::max_flows`].
    pub flows_evicted: u64,
    /// STUN transactions forgotten unanswered under [`Config::max_transactions`] (a response
    /// arriving later is then not matched).
    pub transactions_evicted: u64,
    /// TCP gaps declared lost (segments missing from the capture): the messages they held are
    /// missing from the analysis.
    pub tcp_gaps: u64,
    /// Bytes lost in those gaps.
    pub tcp_gap_bytes: u64,
    /// TCP bytes skipped while finding message boundaries again (after a gap, a mid-stream
    /// start, or bytes that are not STUN, ChannelData or RFC 4571 framing).
    pub tcp_skipped_bytes: u64,
    /// Packets lost before the capture (pcapng statistics or the kernel's counters).
    pub capture_drops: Option<u64>,
    /// Packets stamped more than [`CLOCK_BACK_NS`] before the latest timestamp seen (a clock
    /// set back, files merged out of order, or a damaged timestamp).
    pub clock_back: u64,
    /// Packets stamped more than [`CLOCK_LEAP_NS`] after the latest timestamp seen (a clock
    /// set forward, or a damaged timestamp): the capture's span includes the leap.
    pub clock_leaps: u64,
    /// The first packet (its number) of either kind.
    pub first_clock_anomaly: Option<u64>,
}

/// How far behind the latest timestamp a packet is counted in [`Counters::clock_back`]: more
/// than the reordering of interfaces merged into one file.
pub const CLOCK_BACK_NS: i64 = 1_000_000_000;
/// How far after the latest timestamp a packet is counted in [`Counters::clock_leaps`]: a day,
/// longer than any pause of a capture that is one recording.
pub const CLOCK_LEAP_NS: i64 = 86_400 * 1_000_000_000;

/// The latest timestamp the engine takes (about the year 2116, half of i64's nanoseconds):
/// a packet stamped later is taken as stamped then, and one stamped before 1970 as stamped at
/// 1970, so that the difference of any two timestamps fits an `i64`.
pub const MAX_TIMESTAMP_NS: i64 = i64::MAX / 2;

/// A record's timestamp as the engine takes it: clamped to 1970..2116
/// (`0..=`[`MAX_TIMESTAMP_NS`]), so that no interval the engine works out can overflow,
/// whatever a crafted file (a pcapng's if_tsoffset, a 64-bit timestamp) claims. Views of
/// single packets (the TUI's packet list, the Parquet packets table) take it too, so that
/// their times meet the report's.
pub fn timestamp_ns(ts_nanos: i128) -> i64 {
    i64::try_from(ts_nanos.clamp(0, i128::from(MAX_TIMESTAMP_NS))).unwrap_or(MAX_TIMESTAMP_NS)
}

/// What the engine made of one frame, as [`Engine::feed_frame`] returns it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The flow of its UDP datagram or TCP segment (`None`: not UDP or TCP, damaged, or an IP
    /// fragment whose datagram is not complete yet).
    pub flow: Option<FlowKey>,
    /// What the payload is, by the same rules as the engine's counts (for a TCP segment: the
    /// first message cut from it; `None` when it completed no message).
    pub kind: Option<Kind>,
    /// What a TURN relay carried inside it (ChannelData, Send or Data indication), and the
    /// inner flow (relayed address ↔ peer).
    pub inner: Option<(Kind, FlowKey)>,
    /// The SSRC, for RTP (outer or inner).
    pub ssrc: Option<u32>,
    /// The ICE session, for a connectivity check.
    pub ice_session: Option<u32>,
    /// The relay path, when this frame carried the second sighting of a relayed datagram (its
    /// copy on the path's other leg, matched and not analysed again: `inner` says what the
    /// first sighting was).
    pub relay_copy: Option<u32>,
}

impl Verdict {
    fn note(&mut self, depth: u8, key: FlowKey, kind: Kind, payload: &[u8]) {
        if depth == 0 {
            if self.kind.is_none() {
                self.flow = Some(key);
                self.kind = Some(kind);
            }
        } else if self.inner.is_none() {
            self.inner = Some((kind, key));
        }
        if kind == Kind::Rtp && self.ssrc.is_none() && payload.len() >= 12 {
            self.ssrc = Some(u32::from_be_bytes([
                payload[8],
                payload[9],
                payload[10],
                payload[11],
            ]));
        }
    }
}

/// The engine's conclusions about an ICE session ([`Engine::session_view`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionView {
    /// The session's pair ids, in order.
    pub pairs: Vec<u32>,
    /// Effective nomination of each of those pairs (the reverse direction's included).
    pub nominated: Vec<bool>,
    /// The selected pair per agent: (the agent's ufrag, pair id).
    pub selected: Vec<(String, u32)>,
}

impl SessionView {
    /// Effective nomination of pair `id`.
    pub fn is_nominated(&self, id: u32) -> bool {
        self.pairs
            .iter()
            .position(|&p| p == id)
            .is_some_and(|i| self.nominated[i])
    }
}

/// What a pending transaction was.
#[derive(Clone, Copy, Debug)]
enum TxKind {
    /// An ICE connectivity check on a pair.
    Ice { pair: u32, use_candidate: bool },
    /// A plain Binding request to a STUN server.
    Binding {
        local: SocketAddr,
        server: SocketAddr,
    },
    /// A TURN request on an allocation.
    Turn {
        alloc: u32,
        method: Method,
        lifetime: Option<u32>,
        channel: Option<u16>,
        peer: Option<SocketAddr>,
        /// The request carried MESSAGE-INTEGRITY: it answered a challenge, so a 401 to it
        /// means the credentials were refused.
        authenticated: bool,
    },
}

/// A STUN transaction, tied to the flow where its request was first seen. A capture taken at
/// a TURN server or between two NATs sees the same message twice (on the client's leg and on
/// the peer's leg); only sightings on that first flow count, so such a second sighting is
/// neither a retransmission nor a second response.
#[derive(Clone, Copy, Debug)]
struct Tx {
    kind: TxKind,
    first_ns: i64,
    sends: u32,
    flow: FlowKey,
    /// A response was handled: on the request's flow, or (a TURN request only) on another
    /// 5-tuple; after the latter, copies on the request's flow are not handled again.
    answered: Answered,
}

/// Whether a transaction's response was handled, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answered {
    No,
    OnItsFlow,
    Elsewhere,
}

/// A server-reflexive address learned from a plain Binding exchange with a STUN server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reflexive {
    /// Transport of the exchange.
    pub transport: Transport,
    /// The client's address as captured.
    pub local: SocketAddr,
    /// The STUN server asked.
    pub server: SocketAddr,
    /// The address the server saw.
    pub mapped: SocketAddr,
    /// When it was learned.
    pub at_ns: i64,
}

/// DTLS associations tracked.
pub const MAX_DTLS_FLOWS: usize = 10_000;

/// Reflexive addresses kept.
pub const MAX_REFLEXIVE: usize = 1024;

/// Where a packet is, for handlers.
#[derive(Clone, Copy)]
struct Ctx {
    number: u64,
    now: i64,
    transport: Transport,
    src: SocketAddr,
    dst: SocketAddr,
    relay: Option<u32>,
    depth: u8,
    /// Whether this sighting is where the receiver gets the packet (its own leg of a relay
    /// path, the only leg seen, or not relayed at all).
    at_receiver: bool,
    /// Whether this sighting is where the sender sent it (likewise).
    at_sender: bool,
}

/// The analysis engine.
pub struct Engine {
    config: Config,
    flows: table::LruMap<FlowKey, Flow>,
    ip: IpReassembler,
    turn: TurnTable,
    relay: relay::RelayTable,
    ice: IceTable,
    transactions: table::LruMap<[u8; 16], Tx>,
    reflexive: Vec<Reflexive>,
    streams: streams::Streams,
    /// Boxed: a handshake tracker is about 1 KB, and a table that doubles its buckets would
    /// hold up to twice as many of them as there are handshakes.
    dtls: Map<FlowKey, Box<dtls::DtlsFlow>>,
    sctp: Map<FlowKey, datachannels::Association>,
    decrypt: decrypt::Decryption,
    sdp_fingerprints: Vec<String>,
    sdp_candidates: Vec<sdp_hints::SdpCandidate>,
    /// Whether SDPs were given at all (their candidates may be none).
    sdp_given: bool,
    tcp_messages: Vec<(usize, usize)>,
    tcp_scratch: Vec<u8>,
    hints_srtp: bool,
    counters: Counters,
    /// What the frame being fed turned out to be.
    verdict: Verdict,
    /// Series buckets stored across the flows (under [`Config::max_series_buckets`]).
    series_buckets: usize,
    damage: Vec<Damage>,
    first_ns: Option<i64>,
    last_ns: i64,
    /// Number of the last frame fed (where [`Engine::finish`] locates what it finds).
    last_number: u64,
    /// When the quiet streams' and flows' series are packed next ([`Engine::pack_quiet`]).
    quiet: QuietPacking,
}

/// A stream or flow without a packet for this long (capture time) has its series packed: at
/// the end of a capture of many calls most series belong to calls that ended long before.
#[cfg(not(fuzzing))]
const QUIET_NS: i64 = 5_000_000_000;
/// In fuzzing builds: a millisecond, so that short inputs reach packing and unpacking too.
#[cfg(fuzzing)]
const QUIET_NS: i64 = 1_000_000;

/// The engine looks for quiet series at most this often (capture time).
#[cfg(not(fuzzing))]
const QUIET_EVERY_NS: i64 = 2_000_000_000;
/// In fuzzing builds: a microsecond.
#[cfg(fuzzing)]
const QUIET_EVERY_NS: i64 = 1_000;

/// Packets between two looks for quiet series, at least.
#[cfg(not(fuzzing))]
const QUIET_MIN_PACKETS: usize = 1024;
/// In fuzzing builds: a look every few packets.
#[cfg(fuzzing)]
const QUIET_MIN_PACKETS: usize = 4;

/// When the next look for quiet series is due: after `due_packets` more packets (so that the
/// look's cost, the entries walked and the bytes packed, is paid for by the packets between
/// looks, whatever the timestamps) and at capture time `due_ns` or later.
#[derive(Clone, Copy, Debug, Default)]
struct QuietPacking {
    packets: u64,
    due_packets: u64,
    due_ns: i64,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl Engine {
    /// A new engine.
    pub fn new(config: Config) -> Self {
        // Flows and streams share the series budget half and half.
        let mut streams = streams::Streams::with_cap(config.max_streams);
        streams.max_series_buckets = config.max_series_buckets / 2;
        Engine {
            flows: table::LruMap::new(config.max_flows),
            transactions: table::LruMap::new(config.max_transactions),
            config,
            ip: IpReassembler::default(),
            turn: TurnTable::default(),
            relay: relay::RelayTable::default(),
            ice: IceTable::default(),
            reflexive: Vec::new(),
            streams,
            dtls: Map::default(),
            sctp: Map::default(),
            decrypt: decrypt::Decryption::default(),
            sdp_fingerprints: Vec::new(),
            sdp_candidates: Vec::new(),
            sdp_given: false,
            tcp_messages: Vec::new(),
            tcp_scratch: Vec::new(),
            hints_srtp: false,
            counters: Counters::default(),
            verdict: Verdict::default(),
            series_buckets: 0,
            damage: Vec::new(),
            first_ns: None,
            quiet: QuietPacking::default(),
            last_ns: 0,
            last_number: 0,
        }
    }

    /// Keeps the plaintext the engine decrypts (SRTP, SRTCP, DTLS records) for the frame at
    /// hand, for a caller that shows it, as `rtcscope dissect --keylog` does; off by default
    /// (`analyze` never copies plaintext).
    pub fn keep_plaintext(&mut self, on: bool) {
        self.decrypt.keep_plaintext(on);
    }

    /// With [`Self::keep_plaintext`] on, leaves out decrypted SRTP packets (media) and keeps
    /// the rest (SRTCP, DTLS records): what a viewer that keeps plaintext for a whole capture
    /// can afford (the TUI's packet view).
    pub fn skip_srtp_plaintext(&mut self, skip: bool) {
        self.decrypt.skip_srtp_plaintext(skip);
    }

    /// What was decrypted while the last frame was fed (with [`Self::keep_plaintext`] on),
    /// at most [`decrypt::MAX_PLAINTEXTS_PER_FRAME`] pieces.
    pub fn plaintexts(&self) -> &[decrypt::Plaintext] {
        self.decrypt.plaintexts()
    }

    /// Feeds one captured frame; returns what the engine made of it (the seam through which a
    /// packet list, a per-packet export or a decryptor learn the engine's view of a packet).
    pub fn feed_frame(
        &mut self,
        number: u64,
        ts_nanos: i128,
        link: LinkType,
        frame: &[u8],
        orig_len: u32,
    ) -> Verdict {
        self.feed_frame_decoded(number, ts_nanos, link, frame, orig_len, None)
    }

    /// [`Self::feed_frame`] for a packet as a capture reader returns it.
    pub fn feed_packet(&mut self, p: &rtcscope_capture::Packet<'_>) -> Verdict {
        self.feed_frame(p.number, p.ts_nanos, p.link_type, p.data, p.orig_len)
    }

    /// Feeds every packet of `source` (its damaged records skipped and counted there, as
    /// `rtcscope analyze` skips them; a fatal error ends it, and `source` keeps the error),
    /// records the drops the capture states, and ends the input ([`Self::finish`]): a whole
    /// capture analysed on this thread. `rtcscope analyze` does this, plus progress, the
    /// key logs of pcapng Decryption Secrets Blocks, and a second thread when the file is
    /// large.
    pub fn feed_all(&mut self, source: &mut rtcscope_capture::PacketSource<'_>) {
        while let Some(p) = source.next_packet() {
            self.feed_packet(&p);
        }
        if let Some(d) = source.dropped() {
            self.set_capture_drops(d);
        }
        self.finish();
    }

    /// [`Self::feed_frame`] for a frame another thread has decoded already: `decoded`, when
    /// given, is what [`rtcscope_capture::decode`] makes of `frame` (detached from it with
    /// [`rtcscope_capture::Decoded::detach`]), and the engine does not decode it again. The
    /// result is the same as [`Self::feed_frame`]'s.
    pub fn feed_frame_decoded(
        &mut self,
        number: u64,
        ts_nanos: i128,
        link: LinkType,
        frame: &[u8],
        orig_len: u32,
        decoded: Option<&rtcscope_capture::DecodedAt>,
    ) -> Verdict {
        self.verdict = Verdict::default();
        self.decrypt.start_frame();
        let now = timestamp_ns(ts_nanos);
        if self.first_ns.is_some() {
            let back = now < self.last_ns.saturating_sub(CLOCK_BACK_NS);
            let leap = now > self.last_ns.saturating_add(CLOCK_LEAP_NS);
            self.counters.clock_back += u64::from(back);
            self.counters.clock_leaps += u64::from(leap);
            if back || leap {
                self.counters.first_clock_anomaly.get_or_insert(number);
            }
        }
        self.first_ns.get_or_insert(now);
        self.last_ns = self.last_ns.max(now);
        self.last_number = number;
        self.counters.packets += 1;
        self.counters.bytes += frame.len() as u64;
        if (frame.len() as u64) < u64::from(orig_len) {
            self.counters.cut += 1;
        }
        let result = match decoded.and_then(|d| d.attach(frame)) {
            Some(d) => Ok(Ok(d)),
            None => decode(link, frame),
        };
        match result {
            Ok(Ok(d)) => self.decoded(number, now, &d),
            Ok(Err(NotTransport::Fragment(f))) => {
                self.counters.fragments += 1;
                if let Some(r) = self.ip.push(&f, i128::from(now)) {
                    self.counters.reassembled += 1;
                    match decode_transport(r.protocol, r.src, r.dst, &r.payload) {
                        Ok(Ok(d)) => self.decoded(number, now, &d),
                        Ok(Err(_)) => self.counters.other_ip += 1,
                        Err(e) => self.damaged(number, e.to_string()),
                    }
                }
            }
            Ok(Err(NotTransport::NotIp(_))) => self.counters.not_ip += 1,
            Ok(Err(NotTransport::OtherProtocol(_))) => self.counters.other_ip += 1,
            Ok(Err(NotTransport::IcmpError(e))) => {
                self.counters.other_ip += 1;
                // Attributed to the quoted datagram's flow when the engine knows it (an error
                // about a flow never seen creates none).
                let (key, _) = FlowKey::of(Transport::Udp, e.quoted_src, e.quoted_dst, None);
                if let Some(f) = self.flows.get_mut(&key) {
                    f.icmp_error(
                        now,
                        number,
                        e.v6,
                        (e.icmp_type, e.code),
                        e.quoted_dst,
                        e.from,
                    );
                }
            }
            Err(e) => self.damaged(number, e.to_string()),
        }
        self.quiet.packets += 1;
        if self.quiet.packets >= self.quiet.due_packets && self.last_ns >= self.quiet.due_ns {
            self.pack_quiet();
        }
        self.verdict
    }

    /// Packs the series of the streams and flows without a packet for [`QUIET_NS`]
    /// ([`series::Series::pack`]: the same buckets in about a quarter of the memory; a later
    /// packet unpacks them). Each table is walked from its least recently used entry and the
    /// walk stops at the first one not quiet.
    fn pack_quiet(&mut self) {
        let cutoff = self.last_ns.saturating_sub(QUIET_NS);
        let (mut walked, mut saved) = self.streams.pack_quiet(cutoff);
        walked += self.flows.walk_lru_mut(|f| {
            if f.last_ns >= cutoff {
                return false;
            }
            saved += f.series.pack();
            true
        });
        // A walked entry costs about a cache miss, a packed byte a few instructions: four
        // packets per entry and one per 64 bytes keep the looks a small part of the work.
        self.quiet = QuietPacking {
            packets: 0,
            due_packets: (4 * walked + saved / 64).max(QUIET_MIN_PACKETS) as u64,
            due_ns: self.last_ns.saturating_add(QUIET_EVERY_NS),
        };
    }

    /// Hands a UDP or TCP packet (directly decoded or reassembled from fragments) to its flow.
    fn decoded(&mut self, number: u64, now: i64, d: &rtcscope_capture::Decoded<'_>) {
        let (transport, tcp) = match d.transport {
            rtcscope_capture::Transport::Udp => (Transport::Udp, None),
            rtcscope_capture::Transport::Tcp { seq, flags } => (Transport::Tcp, Some((seq, flags))),
        };
        let ctx = Ctx {
            number,
            now,
            transport,
            src: d.src,
            dst: d.dst,
            relay: None,
            depth: 0,
            at_receiver: true,
            at_sender: true,
        };
        self.transport_payload(ctx, tcp, d.payload);
    }

    /// Records what a capture lost before analysis (pcapng ISB or the kernel's counters).
    pub fn set_capture_drops(&mut self, dropped: u64) {
        self.counters.capture_drops = Some(dropped);
    }

    fn damaged(&mut self, packet: u64, what: String) {
        self.counters.damaged += 1;
        if self.damage.len() < MAX_DAMAGE_RECORDS {
            self.damage.push(Damage { packet, what });
        }
    }

    /// The flow of `key`, created at `now` when new; a full table first evicts the flow used
    /// least recently (its packets stay in the capture-wide counters).
    fn flow(&mut self, key: FlowKey, now: i64) -> &mut Flow {
        let evicted = &mut self.counters.flows_evicted;
        let buckets = &mut self.series_buckets;
        self.flows.get_or_insert_with(
            key,
            || Flow::new(key, now),
            |_, f| {
                *evicted += 1;
                *buckets -= f.series.stored_buckets();
            },
        )
    }

    fn transport_payload(&mut self, ctx: Ctx, tcp: Option<(u32, u8)>, payload: &[u8]) {
        let (key, forward) = FlowKey::of(ctx.transport, ctx.src, ctx.dst, ctx.relay);
        if ctx.depth == 0 {
            self.verdict.flow.get_or_insert(key);
        }
        let flow = self.flow(key, ctx.now);
        let grown = flow.account(ctx.now, payload.len(), forward);
        self.series_buckets = self.series_buckets.saturating_add_signed(grown);
        if self.series_buckets > self.config.max_series_buckets / 2 {
            // Over the budget: the series being written gives back half its buckets.
            if let Some(f) = self.flows.peek_mut(&key) {
                self.series_buckets -= f.series.shrink(series::Series::MIN_KEEP);
            }
        }
        match tcp {
            None => {
                if !payload.is_empty() {
                    self.datagram(ctx, key, payload);
                }
            }
            Some((seq, flags)) => {
                let dir = usize::from(!forward);
                self.tcp_step(ctx, key, dir, |stream, bound, emit| {
                    stream.push(seq, flags, payload, bound, emit);
                });
            }
        }
    }

    fn datagram(&mut self, ctx: Ctx, key: FlowKey, payload: &[u8]) {
        let (dtls_seen, media_seen) = self.flows.get(&key).map_or((false, false), |f| {
            (f.counts.dtls > 0, f.counts.rtp > 0 || f.counts.dtls > 0)
        });
        let kind = {
            let turn = &self.turn;
            demux::classify(
                payload,
                &demux::Context {
                    channel_bound: &|ch| channel_bound(turn, ctx.transport, ctx.src, ctx.dst, ch),
                    dtls_seen,
                    ports: Some((ctx.src.port(), ctx.dst.port())),
                },
            )
        };
        // RTCP needs context: a flow that already carries RTP or DTLS (SRTCP's encrypted tail
        // cannot be checked), or a cleartext compound packet whose lengths tile the datagram.
        let kind = match kind {
            Kind::Rtcp => {
                if media_seen
                    || rtcscope_rtp::rtcp::Compound::new(payload)
                        .check(true)
                        .is_ok()
                {
                    Kind::Rtcp
                } else {
                    Kind::Unknown
                }
            }
            k => k,
        };
        // SCTP over UDP (RFC 6951) has no first-byte signature: a payload nothing else claimed
        // is SCTP when its common header and chunks parse and its CRC32c matches (or, on an
        // association that negotiated RFC 9653, is zero).
        let kind = match kind {
            Kind::Unknown
                if datachannels::is_sctp(
                    payload,
                    self.sctp.get(&key).map(|a| a.zero_checksum()),
                ) =>
            {
                Kind::Sctp
            }
            k => k,
        };
        self.verdict.note(ctx.depth, key, kind, payload);
        // RTP is counted once its stream passes probation (below).
        if let Some(f) = self.flows.get_mut(&key) {
            let c = &mut f.counts;
            match kind {
                Kind::Stun => c.stun += 1,
                Kind::ClassicStun => c.classic_stun += 1,
                Kind::ChannelData => c.channel_data += 1,
                Kind::Dtls => c.dtls += 1,
                Kind::Rtcp => c.rtcp += 1,
                Kind::Sctp => c.sctp += 1,
                Kind::Rtp | Kind::Unknown => c.unknown += 1,
            }
        }
        match kind {
            // Lax: WhatsApp, Microsoft Teams and MS-TURN send messages whose last attribute is
            // not padded; they are analysed, and flagged.
            Kind::Stun | Kind::ClassicStun => match stun::Message::parse_lax(payload) {
                Ok(m) => {
                    if m.malformed_length() {
                        self.damaged(ctx.number, MALFORMED_STUN_LENGTH.to_owned());
                    }
                    self.stun(ctx, &m)
                }
                Err(e) => self.damaged(ctx.number, e.to_string()),
            },
            Kind::ChannelData => self.channel_data(ctx, payload),
            Kind::Rtp => {
                let forward = key.lo == ctx.src && key.hi == ctx.dst;
                // Its size by transport-wide number, for the receive rate (twcc.rs): the
                // packet as sent, before decryption. Only where the feedback can be read:
                // cleartext RTCP, or SRTCP with keys (4,096 sizes a direction otherwise kept
                // for nothing).
                if !(self.hints_srtp || dtls_seen) || self.decrypt.keys_given() {
                    self.streams.transport_sent(ctx.now, key, forward, payload);
                }
                // SRTP that authenticates under a key goes on as cleartext RTP (decrypt.rs).
                let (payload, encrypted) =
                    match self.decrypt.unprotect(key, ctx.src, payload, false) {
                        Some(plain) => (plain, false),
                        None => (payload, self.hints_srtp || dtls_seen),
                    };
                let confirmed = self
                    .streams
                    .rtp(ctx.now, key, forward, ctx.src, ctx.dst, payload, encrypted);
                if let Some(f) = self.flows.get_mut(&key) {
                    // Packets held in probation move from "unknown" to RTP.
                    f.counts.unknown -= confirmed.min(f.counts.unknown);
                    f.counts.rtp += confirmed;
                }
                if confirmed > 0 {
                    if let Some(d) = self.dtls.get_mut(&key) {
                        d.media_seen(ctx.now);
                    }
                }
            }
            Kind::Sctp if self.sctp.contains_key(&key) || self.sctp.len() < MAX_DTLS_FLOWS => {
                self.sctp
                    .entry(key)
                    .or_insert_with(|| datachannels::Association::new(key, ctx.now))
                    .feed(ctx.now, ctx.src, payload);
            }
            Kind::Dtls => {
                if !self.dtls.contains_key(&key) && self.dtls.len() >= MAX_DTLS_FLOWS {
                    return;
                }
                self.dtls
                    .entry(key)
                    .or_insert_with(|| Box::new(dtls::DtlsFlow::new(key, ctx.now)))
                    .feed(ctx.now, ctx.src, payload);
                self.decrypt.dtls(ctx.now, key, ctx.src, payload);
            }
            Kind::Rtcp => {
                let forward = key.lo == ctx.src && key.hi == ctx.dst;
                use streams::RtcpProtection;
                let (buf, protection) = match self.decrypt.unprotect(key, ctx.src, payload, true) {
                    Some(plain) => (plain, RtcpProtection::Authenticated),
                    None if self.hints_srtp || dtls_seen => (payload, RtcpProtection::Srtcp),
                    None => (payload, RtcpProtection::Unknown),
                };
                self.streams.rtcp(ctx.now, key, forward, buf, protection);
            }
            _ => {}
        }
    }

    /// Data channels of SCTP associations seen in clear.
    pub fn data_channels(&self) -> Vec<datachannels::AssociationReport> {
        let mut v: Vec<_> = self
            .sctp
            .values()
            .map(datachannels::Association::report)
            .chain(self.decrypt.data_channels())
            .collect();
        v.sort_by_key(|a| a.first_ns);
        v
    }

    /// Gives the engine its keys (NSS key log, SDES and `--srtp-key` SRTP keys) before
    /// packets: DTLS, SRTP/SRTCP and the data channels are then decrypted (decrypt.rs).
    pub fn set_keys(&mut self, keys: decrypt::KeyStore) {
        self.decrypt.set_keys(keys);
    }

    /// Adds key log text met while reading (a pcapng Decryption Secrets Block); `source`
    /// names it in errors.
    pub fn add_key_log(&mut self, source: &str, text: &str) {
        self.decrypt.add_key_log(source, text);
    }

    /// Adds the key log of a capture file's Decryption Secrets Block number `index` (from 0,
    /// in file order), named as errors name it: `pcapng Decryption Secrets Block #1`.
    pub fn add_secrets_block(&mut self, index: usize, text: &str) {
        self.add_key_log(
            &format!("pcapng Decryption Secrets Block #{}", index + 1),
            text,
        );
    }

    /// What decryption did, per DTLS association and for the SDES keys.
    pub fn decryption(&self) -> decrypt::DecryptionReport {
        self.decrypt.report(&self.streams.twcc)
    }

    /// Fingerprints (`sha-256 AB:…`) from SDPs, for the certificate check.
    pub fn set_sdp_fingerprints(&mut self, fingerprints: Vec<String>) {
        self.sdp_fingerprints = fingerprints;
    }

    /// DTLS associations with their summaries.
    pub fn dtls(&self) -> Vec<dtls::DtlsReport> {
        let mut v: Vec<_> = self
            .dtls
            .values()
            .map(|d| {
                let mut r = d.report(&self.sdp_fingerprints);
                // DTLS 1.3 hides the SRTP profile and certificates; decryption shows them.
                self.decrypt.reveal(&mut r, &self.sdp_fingerprints);
                // Inside a relay: counted on the leg the ClientHello entered it by.
                r.counted_on = self.counted_on(&r.flow, r.client.unwrap_or(r.flow.lo));
                r
            })
            .collect();
        v.sort_by_key(|d| d.first_ns);
        v
    }

    /// [`Engine::dtls`] for an engine that is done: each handshake's timeline is moved into
    /// its report, not copied (at the end of a capture of thousands of calls both copies were
    /// part of the peak of memory).
    pub(crate) fn take_dtls(&mut self) -> Vec<dtls::DtlsReport> {
        let mut timelines: Map<FlowKey, Vec<dtls::DtlsEvent>> = self
            .dtls
            .iter_mut()
            .map(|(k, d)| {
                let mut t = std::mem::take(&mut d.timeline);
                // Its growth's spare room goes back before the report's own lists are made.
                t.shrink_to_fit();
                (*k, t)
            })
            .collect();
        let mut v = self.dtls();
        for r in &mut v {
            if let Some(t) = timelines.remove(&r.flow) {
                r.timeline = t;
            }
        }
        v
    }

    /// Gives the engine what SDPs say about the media (codecs, clock rates, extension ids,
    /// RTX groups), and whether their RTP is SRTP (`srtp`: a secure profile such as
    /// `UDP/TLS/RTP/SAVPF`, or `a=crypto`; [`sdp_hints::SdpKnowledge::srtp`]), so that a
    /// capture which starts after the DTLS handshake still reads RTP payloads as ciphertext.
    pub fn set_media_hints(&mut self, hints: streams::MediaHints, srtp: bool) {
        self.streams.hints = hints;
        self.hints_srtp = srtp;
    }

    fn channel_data(&mut self, ctx: Ctx, payload: &[u8]) {
        let Ok(c) = stun::ChannelData::parse(payload) else {
            return;
        };
        let ch = c.channel_number();
        // Client → server: the client's allocation; server → client: the reverse.
        let (alloc_id, to_peer) = match (
            self.turn.find(ctx.transport, ctx.src, ctx.dst),
            self.turn.find(ctx.transport, ctx.dst, ctx.src),
        ) {
            (Some(a), _) => (a.id, true),
            (None, Some(a)) => (a.id, false),
            _ => return,
        };
        let Some(alloc) = self.turn.by_id(alloc_id) else {
            return;
        };
        let Some(binding) = alloc.channels.iter_mut().find(|b| b.channel == ch) else {
            return;
        };
        binding.messages += 1;
        let lapsed = ctx.now.saturating_sub(binding.refreshed_ns) > turn::CHANNEL_LIFETIME_NS;
        if to_peer && lapsed {
            binding.sent_after_expiry += 1;
            binding
                .first_after_expiry
                .get_or_insert((ctx.number, ctx.now));
        }
        let peer = binding.peer;
        // Through a channel still bound, the peer's permission (5 minutes, where the
        // channel's binding lasts 10) can lapse on its own.
        if !lapsed {
            alloc.relayed_data(peer.ip(), to_peer, ctx.now, ctx.number);
        }
        let Some(relayed) = alloc.relayed else {
            return;
        };
        self.inner(ctx, alloc_id, relayed, peer, to_peer, c.data());
    }

    /// Feeds a datagram unwrapped from TURN as a flow between the relayed address and the peer.
    fn inner(
        &mut self,
        ctx: Ctx,
        alloc: u32,
        relayed: SocketAddr,
        peer: SocketAddr,
        to_peer: bool,
        data: &[u8],
    ) {
        if ctx.depth >= 2 {
            return;
        }
        let (src, dst) = if to_peer {
            (relayed, peer)
        } else {
            (peer, relayed)
        };
        // One logical path per relayed association (relay.rs): a datagram is analysed on its
        // first sighting, under the path's inner flow; its copy on the path's other leg only
        // adds to the legs' figures.
        let sighting = self.relay.sight(&self.turn, alloc, src, dst, ctx.now, data);
        let (named, both_legs) = match sighting {
            Some(relay::Sighting::Counted { path, .. } | relay::Sighting::Copy { path, .. }) => {
                let p = &self.relay.paths[path as usize];
                (p.allocation(), p.both_legs())
            }
            None => (alloc, false),
        };
        let inner = Ctx {
            transport: Transport::Udp,
            src,
            dst,
            relay: Some(named),
            depth: ctx.depth + 1,
            // Client → server is the sender's own leg (its relayed address is the source),
            // server → client the receiver's.
            at_sender: !both_legs || to_peer,
            at_receiver: !both_legs || !to_peer,
            ..ctx
        };
        match sighting {
            Some(relay::Sighting::Copy { path, kind }) => {
                let (key, _) = FlowKey::of(Transport::Udp, src, dst, Some(named));
                self.verdict.relay_copy = Some(path);
                if let Some(k) = kind {
                    self.verdict.note(inner.depth, key, k, data);
                }
                if kind == Some(Kind::Stun) {
                    self.stun_copy(inner, data);
                }
            }
            Some(relay::Sighting::Counted { path, token }) => {
                let before = self.verdict.inner;
                self.transport_payload(inner, None, data);
                if let (None, Some((k, _))) = (before, self.verdict.inner) {
                    self.relay.classified(path, token, k);
                }
            }
            None => self.transport_payload(inner, None, data),
        }
    }

    /// The copy of a relayed STUN message on the path's other leg: not a new check or
    /// response, but where the receiver got a check and where the responder sent its answer
    /// (getStats' `requestsReceived` and `responsesSent`).
    fn stun_copy(&mut self, ctx: Ctx, data: &[u8]) {
        let Ok(m) = stun::Message::parse_lax(data) else {
            return;
        };
        if m.class() == Class::REQUEST && m.method() == Method::BINDING && ctx.at_receiver {
            let mut username = None;
            let mut ice = false;
            for a in m.attributes().map_while(Result::ok) {
                match a.decode() {
                    Ok(Attribute::Username(u)) => username = Some(u),
                    Ok(
                        Attribute::Priority(_)
                        | Attribute::IceControlling(_)
                        | Attribute::IceControlled(_)
                        | Attribute::UseCandidate,
                    ) => ice = true,
                    _ => {}
                }
            }
            if let (true, Some(u)) = (ice, username) {
                if u.contains(':') {
                    self.ice.request_received(&u, ctx.src, ctx.dst, ctx.relay);
                }
            }
        } else if m.class() == Class::SUCCESS && ctx.at_sender {
            let mut id = [0u8; 16];
            let tb = m.transaction_id();
            let tb = tb.as_bytes();
            id[..tb.len()].copy_from_slice(tb);
            if let Some(TxKind::Ice { pair, .. }) = self.transactions.get(&id).map(|t| t.kind) {
                self.ice.response_sent(pair, ctx.src, ctx.dst, ctx.relay);
            }
        }
    }

    /// Marks transaction `id` answered.
    fn answered(&mut self, id: &[u8; 16], how: Answered) {
        if let Some(t) = self.transactions.peek_mut(id) {
            if t.answered == Answered::No {
                t.answered = how;
            }
        }
    }

    fn remember(&mut self, id: [u8; 16], kind: TxKind, now: i64, flow: FlowKey) -> bool {
        // Transactions answered long ago are forgotten from the least recently used end: O(1)
        // amortised, and the table never holds more than its cap.
        self.transactions
            .expire_lru(|t| now - t.first_ns >= TRANSACTION_TTL_NS);
        match self.transactions.get_mut(&id) {
            Some(t) => {
                if t.flow == flow {
                    t.sends += 1;
                }
                true
            }
            None => {
                let evicted = &mut self.counters.transactions_evicted;
                self.transactions.get_or_insert_with(
                    id,
                    || Tx {
                        kind,
                        first_ns: now,
                        sends: 1,
                        flow,
                        answered: Answered::No,
                    },
                    |_, _| *evicted += 1,
                );
                false
            }
        }
    }

    fn stun(&mut self, ctx: Ctx, m: &stun::Message<'_>) {
        let flow = FlowKey::of(ctx.transport, ctx.src, ctx.dst, ctx.relay).0;
        let mut id = [0u8; 16];
        let tid = m.transaction_id();
        let tb = tid.as_bytes();
        id[..tb.len()].copy_from_slice(tb);
        let method = m.method();
        match m.class() {
            Class::REQUEST => self.stun_request(ctx, m, id, method, flow),
            Class::INDICATION => self.stun_indication(ctx, m, method),
            Class::SUCCESS | Class::ERROR => {
                let Some(tx) = self.transactions.get(&id).copied() else {
                    return;
                };
                if let (TxKind::Ice { pair, .. }, Class::SUCCESS) = (tx.kind, m.class()) {
                    // Counted where the responder sends it: its own leg of a relay path.
                    if ctx.at_sender {
                        self.ice.response_sent(pair, ctx.src, ctx.dst, ctx.relay);
                    }
                }
                if tx.flow != flow {
                    // The same response seen at another vantage point, unless it answers a
                    // TURN request not answered yet: a server replying from another address,
                    // or the client's NAT rebinding, changes the 5-tuple, not the
                    // transaction id (RFC 8489 §6.3.1 matches on it alone). The server's
                    // address family must agree.
                    let TxKind::Turn { alloc, method, .. } = tx.kind else {
                        return;
                    };
                    let Some(a) = self.turn.by_id(alloc) else {
                        return;
                    };
                    if tx.answered != Answered::No
                        || ctx.depth > 0
                        || a.server.is_ipv4() != ctx.src.is_ipv4()
                    {
                        return;
                    }
                    if a.elsewhere.len() < turn::MAX_ERRORS {
                        a.elsewhere.push(turn::AnsweredElsewhere {
                            at_ns: ctx.now,
                            method: format!("{method:?}"),
                            from: ctx.src,
                            to: ctx.dst,
                        });
                    }
                    self.answered(&id, Answered::Elsewhere);
                } else if tx.answered == Answered::Elsewhere {
                    return;
                } else {
                    self.answered(&id, Answered::OnItsFlow);
                }
                self.stun_response(ctx, m, tx, m.class() == Class::SUCCESS);
            }
            _ => {}
        }
    }

    fn stun_request(
        &mut self,
        ctx: Ctx,
        m: &stun::Message<'_>,
        id: [u8; 16],
        method: Method,
        flow: FlowKey,
    ) {
        if method == Method::BINDING {
            let mut username = None;
            let mut priority = None;
            let mut role = None;
            let mut use_candidate = false;
            for a in m.attributes().map_while(Result::ok) {
                match a.decode() {
                    Ok(Attribute::Username(u)) => username = Some(u),
                    Ok(Attribute::Priority(p)) => priority = Some(p),
                    Ok(Attribute::IceControlling(_)) => role = Some(Role::Controlling),
                    Ok(Attribute::IceControlled(_)) => role = Some(Role::Controlled),
                    Ok(Attribute::UseCandidate) => use_candidate = true,
                    _ => {}
                }
            }
            let is_ice = username.as_deref().is_some_and(|u| u.contains(':'))
                && (priority.is_some() || role.is_some() || use_candidate);
            if is_ice {
                let username = username.unwrap_or_default();
                if let Some(tx) = self.transactions.get_mut(&id) {
                    // A retransmission only on the same flow; elsewhere it is the same request
                    // seen at another vantage point.
                    let same_flow = tx.flow == flow;
                    if same_flow {
                        tx.sends += 1;
                    }
                    if let TxKind::Ice {
                        pair,
                        use_candidate,
                    } = tx.kind
                    {
                        if same_flow {
                            self.ice.retransmission(pair, ctx.now, use_candidate);
                        }
                        // A retransmitted check (or the same check seen again elsewhere)
                        // belongs to its pair's session as much as the first sending.
                        self.verdict.ice_session =
                            self.ice.pairs.get(pair as usize).map(|p| p.session);
                    }
                    if ctx.at_receiver {
                        self.ice
                            .request_received(&username, ctx.src, ctx.dst, ctx.relay);
                    }
                    return;
                }
                let check = Check {
                    at_ns: ctx.now,
                    src: ctx.src,
                    dst: ctx.dst,
                    transport: ctx.transport,
                    relay: ctx.relay,
                    username: &username,
                    priority,
                    role,
                    use_candidate,
                };
                if let Some(pair) = self.ice.request(&check) {
                    self.verdict.ice_session = self.ice.pairs.get(pair as usize).map(|p| p.session);
                    self.remember(
                        id,
                        TxKind::Ice {
                            pair,
                            use_candidate,
                        },
                        ctx.now,
                        flow,
                    );
                }
                if ctx.at_receiver {
                    self.ice
                        .request_received(&username, ctx.src, ctx.dst, ctx.relay);
                }
            } else {
                self.remember(
                    id,
                    TxKind::Binding {
                        local: ctx.src,
                        server: ctx.dst,
                    },
                    ctx.now,
                    flow,
                );
            }
            return;
        }
        // TURN requests go to the server; the allocation is keyed by the client's 5-tuple.
        let mut lifetime = None;
        let mut channel = None;
        let mut peer = None;
        let mut username = None;
        let mut authenticated = false;
        for a in m.attributes().map_while(Result::ok) {
            match a.decode() {
                Ok(Attribute::Lifetime(l)) => lifetime = Some(l),
                Ok(Attribute::ChannelNumber(c)) => channel = Some(c),
                Ok(Attribute::XorPeerAddress(p)) => peer = peer.or(Some(p)),
                Ok(Attribute::Username(u)) => username = Some(u.into_owned()),
                Ok(Attribute::MessageIntegrity(_) | Attribute::MessageIntegritySha256(_)) => {
                    authenticated = true;
                }
                _ => {}
            }
        }
        let Some(alloc) = self.turn.get_or_create(ctx.transport, ctx.src, ctx.dst) else {
            return;
        };
        if username.is_some() {
            alloc.username = username;
        }
        if method == Method::ALLOCATE {
            alloc.allocate_requests += 1;
        }
        let alloc = alloc.id;
        self.remember(
            id,
            TxKind::Turn {
                alloc,
                method,
                lifetime,
                channel,
                peer,
                authenticated,
            },
            ctx.now,
            flow,
        );
    }

    fn stun_indication(&mut self, ctx: Ctx, m: &stun::Message<'_>, method: Method) {
        let (to_peer, alloc) = if method == Method::SEND {
            (true, self.turn.find(ctx.transport, ctx.src, ctx.dst))
        } else if method == Method::DATA {
            (false, self.turn.find(ctx.transport, ctx.dst, ctx.src))
        } else {
            return;
        };
        let Some(alloc) = alloc else {
            return;
        };
        let (id, relayed) = (alloc.id, alloc.relayed);
        let mut peer = None;
        let mut data = None;
        for a in m.attributes().map_while(Result::ok) {
            match a.decode() {
                Ok(Attribute::XorPeerAddress(p)) => peer = Some(p),
                Ok(Attribute::Data(_)) => data = Some(a.value()),
                _ => {}
            }
        }
        if let Some(a) = self.turn.by_id(id) {
            if to_peer {
                a.send_indications += 1;
            } else {
                a.data_indications += 1;
            }
            if let Some(p) = peer {
                a.relayed_data(p.ip(), to_peer, ctx.now, ctx.number);
            }
        }
        if let (Some(peer), Some(data), Some(relayed)) = (peer, data, relayed) {
            self.inner(ctx, id, relayed, peer, to_peer, data);
        }
    }

    fn stun_response(&mut self, ctx: Ctx, m: &stun::Message<'_>, tx: Tx, success: bool) {
        let mut mapped = None;
        let mut legacy_mapped = None;
        let mut relayed = None;
        let mut lifetime = None;
        let mut error = None;
        let mut realm = None;
        for a in m.attributes().map_while(Result::ok) {
            match a.decode() {
                Ok(Attribute::XorMappedAddress(s)) => mapped = Some(s),
                Ok(Attribute::MappedAddress(s)) => legacy_mapped = Some(s),
                Ok(Attribute::XorRelayedAddress(s)) => relayed = relayed.or(Some(s)),
                Ok(Attribute::Lifetime(l)) => lifetime = Some(l),
                Ok(Attribute::ErrorCode { code, reason }) => {
                    error = Some((code.0, reason.into_owned()));
                }
                Ok(Attribute::Realm(r)) => realm = Some(r.into_owned()),
                _ => {}
            }
        }
        let mapped = mapped.or(legacy_mapped);
        match tx.kind {
            TxKind::Ice {
                pair,
                use_candidate,
            } => {
                if success {
                    self.ice.success(
                        pair,
                        ctx.now,
                        ctx.number,
                        tx.first_ns,
                        tx.sends == 1,
                        use_candidate,
                        mapped,
                    );
                } else if let Some((code, _)) = error {
                    self.ice.error(pair, ctx.now, code);
                }
            }
            TxKind::Binding { local, server } => {
                if let (true, Some(mapped)) = (success, mapped) {
                    let known = self
                        .reflexive
                        .iter()
                        .any(|r| r.local == local && r.server == server && r.mapped == mapped);
                    if !known && self.reflexive.len() < MAX_REFLEXIVE {
                        self.reflexive.push(Reflexive {
                            transport: ctx.transport,
                            local,
                            server,
                            mapped,
                            at_ns: ctx.now,
                        });
                    }
                }
            }
            TxKind::Turn {
                alloc,
                method,
                lifetime: requested,
                channel,
                peer,
                authenticated,
            } => {
                // Permissions and channels are capped per allocation and across them all.
                let room = self.turn.peers_held < turn::MAX_PEERS_TOTAL;
                let mut added = 0;
                let mut granted = None;
                let Some(a) = self.turn.by_id(alloc) else {
                    return;
                };
                if let Some(r) = realm {
                    a.realm = Some(r);
                }
                if !success {
                    let (code, reason) = error.unwrap_or((0, String::new()));
                    if method == Method::ALLOCATE {
                        // 401 is the first challenge, 438 (Stale Nonce) a new nonce to retry
                        // with: neither is a failure.
                        a.state = if a.state == AllocationState::Allocated {
                            a.state
                        } else if matches!(code, 401 | 438) {
                            AllocationState::Challenged
                        } else {
                            AllocationState::Failed
                        };
                    }
                    if a.errors.len() < turn::MAX_ERRORS {
                        a.errors.push(ErrorSeen {
                            at_ns: ctx.now,
                            packet: ctx.number,
                            method: format!("{method:?}"),
                            code,
                            reason,
                            after_credentials: authenticated,
                            peer,
                        });
                    }
                    return;
                }
                match method {
                    Method::ALLOCATE => {
                        a.state = AllocationState::Allocated;
                        granted = relayed;
                        a.mapped = mapped.or(a.mapped);
                        a.lifetime_s = lifetime.or(a.lifetime_s);
                        a.allocated_ns.get_or_insert(ctx.now);
                    }
                    Method::REFRESH => {
                        if requested == Some(0) || lifetime == Some(0) {
                            // The lifetime granted before stays: "lifetime 0 s" would hide it.
                            a.state = AllocationState::Released;
                            a.released_ns.get_or_insert(ctx.now);
                        } else {
                            a.refreshes += 1;
                            a.lifetime_s = lifetime.or(a.lifetime_s);
                        }
                    }
                    Method::CREATE_PERMISSION => {
                        if let Some(p) = peer {
                            added += usize::from(a.permit(p.ip(), ctx.now, room));
                        }
                    }
                    Method::CHANNEL_BIND => {
                        if let (Some(ch), Some(p)) = (channel, peer) {
                            // A ChannelBind installs or refreshes the peer's permission too.
                            added += usize::from(a.permit(p.ip(), ctx.now, room));
                            let full = !room || a.channels.len() >= turn::MAX_PEERS;
                            match a.channels.iter_mut().find(|c| c.channel == ch) {
                                Some(c) => {
                                    c.peer = p;
                                    c.refreshed_ns = ctx.now;
                                }
                                None if !full => {
                                    a.channels.push(turn::ChannelBinding {
                                        channel: ch,
                                        peer: p,
                                        bound_ns: ctx.now,
                                        refreshed_ns: ctx.now,
                                        messages: 0,
                                        sent_after_expiry: 0,
                                        first_after_expiry: None,
                                    });
                                    added += 1;
                                }
                                None => {}
                            }
                        }
                    }
                    _ => {}
                }
                self.turn.peers_held += added;
                if let Some(r) = granted {
                    self.turn.set_relayed(alloc, r);
                }
            }
        }
    }

    /// Capture-wide counters.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Damaged packets (the first [`MAX_DAMAGE_RECORDS`]).
    pub fn damage(&self) -> &[Damage] {
        &self.damage
    }

    /// All flows, in no particular order.
    pub fn flows(&self) -> impl Iterator<Item = &Flow> {
        self.flows.values()
    }

    /// TURN allocations.
    pub fn turn(&self) -> &TurnTable {
        &self.turn
    }

    /// Relay paths: each relayed association once, with its legs' figures.
    pub fn relay_paths(&self) -> &relay::RelayTable {
        &self.relay
    }

    /// Where an item of the flow `flow` sent by `src` was counted, when the flow is inside a
    /// relay: its path, and the leg its datagrams entered the relay by.
    pub fn counted_on(&self, flow: &FlowKey, src: SocketAddr) -> Option<relay::CountedOn> {
        self.relay
            .counted_on(&self.turn, flow.relay?, flow.lo, flow.hi, src)
    }

    /// ICE sessions and pairs.
    pub fn ice(&self) -> &IceTable {
        &self.ice
    }

    /// Server-reflexive addresses learned from STUN servers.
    pub fn reflexive(&self) -> &[Reflexive] {
        &self.reflexive
    }

    /// First and last packet times.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        self.first_ns.map(|f| (f, self.last_ns))
    }

    /// Moves the engine's clock to `now_ns` (ns since the epoch) without a packet. A live
    /// capture calls it while the interface is idle, so the report's end, and what ages with it
    /// (idle flows, consent, the findings), follows the clock rather than stopping at the last
    /// packet: a call that dies looks dead, not frozen. Time never goes back, and an engine
    /// that has seen no packet has no clock to move.
    pub fn advance_clock(&mut self, now_ns: i64) {
        if self.first_ns.is_some() {
            self.last_ns = self.last_ns.max(now_ns);
        }
    }

    /// Ends the input (a file read to its end, a live capture stopped): every TCP stream gives
    /// up the gaps still open ([`rtcscope_capture::reassembly::TcpStream::finish`]), counted as
    /// the segments' own give-ups are, and the messages held after them are analysed like any
    /// other, at the flow's last packet time and the last frame fed. Without it a segment lost
    /// near the end of a connection is never counted and the bytes after it never analysed.
    /// Calling it again does nothing (nothing is held any more).
    pub fn finish(&mut self) {
        let keys: Vec<FlowKey> = self
            .flows
            .iter()
            .filter(|(_, f)| f.tcp.is_some())
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            for dir in 0..2 {
                let Some(now) = self.flows.get(&key).map(|f| f.last_ns) else {
                    break;
                };
                let (src, dst) = if dir == 0 {
                    (key.lo, key.hi)
                } else {
                    (key.hi, key.lo)
                };
                let ctx = Ctx {
                    number: self.last_number,
                    now,
                    transport: key.transport,
                    src,
                    dst,
                    relay: key.relay,
                    depth: 0,
                    at_receiver: true,
                    at_sender: true,
                };
                self.tcp_step(ctx, key, dir, |stream, bound, emit| {
                    stream.finish(bound, emit);
                });
            }
        }
    }

    /// One step of the TCP stream of direction `dir` of `key`'s flow (a segment pushed, or the
    /// end of input): the step frames messages, the gaps it declared and the bytes it skipped
    /// are counted, and each message is analysed as a datagram of `ctx`. The one path of
    /// `transport_payload` and [`finish`](Self::finish).
    fn tcp_step(
        &mut self,
        ctx: Ctx,
        key: FlowKey,
        dir: usize,
        step: impl FnOnce(&mut TcpStream, &dyn Fn(u16) -> bool, &mut dyn FnMut(TcpMessage<'_>)),
    ) {
        // Take the streams out of the flow so messages can be handled with `self`.
        let Some(flow) = self.flows.peek_mut(&key) else {
            return;
        };
        // A ChannelData start is believed only for a channel bound on this stream, or, once
        // STUN has been seen on the connection (TURN over TCP whose ChannelBind the capture
        // missed), for any channel number. Without that, ordinary TLS or XMPP bytes from 0x40
        // to 0x7f would read as channels.
        let turn_seen = flow.counts.stun + flow.counts.classic_stun > 0;
        let Some(mut streams) = flow.tcp.take() else {
            return;
        };
        let turn = &self.turn;
        // The allocation is looked up once per step, not once per byte scanned.
        let alloc = turn
            .find(ctx.transport, ctx.src, ctx.dst)
            .or_else(|| turn.find(ctx.transport, ctx.dst, ctx.src));
        let bound = |ch: u16| {
            (turn_seen && (0x4000..0x8000).contains(&ch))
                || alloc.is_some_and(|a| a.peer_of(ch).is_some())
        };
        // Messages are copied into reusable buffers (no allocation per segment once they have
        // grown), then handled with `self` available again.
        let mut messages = std::mem::take(&mut self.tcp_messages);
        let mut scratch = std::mem::take(&mut self.tcp_scratch);
        messages.clear();
        scratch.clear();
        let before = streams[dir].stats();
        step(&mut streams[dir], &bound, &mut |m| {
            let start = scratch.len();
            scratch.extend_from_slice(m.bytes);
            messages.push((start, scratch.len()));
        });
        let after = streams[dir].stats();
        self.counters.tcp_gaps += after.gaps - before.gaps;
        self.counters.tcp_gap_bytes += after.gap_bytes - before.gap_bytes;
        self.counters.tcp_skipped_bytes += after.skipped_bytes - before.skipped_bytes;
        if let Some(f) = self.flows.peek_mut(&key) {
            f.tcp = Some(streams);
        }
        for &(s, e) in &messages {
            self.datagram(ctx, key, &scratch[s..e]);
        }
        self.tcp_messages = messages;
        self.tcp_scratch = scratch;
    }

    /// RTP streams.
    pub fn streams(&self) -> &streams::Streams {
        &self.streams
    }

    /// What the engine concludes about one ICE session, derived here once for every front end
    /// (the text and JSON reports, the TUI): each pair's effective nomination and the selected
    /// pair per agent.
    ///
    /// RFC 8445 §8: nomination belongs to the pair, which each agent sees from its own side, so
    /// the controlled agent's view of a pair the controlling agent nominated (the reverse
    /// direction), once it succeeded, is nominated too. The selected pair of an agent is its
    /// succeeded pair that is nominated, then carries the most bytes on its own flow (its
    /// transport, UDP or TCP, and relay included), then was active last.
    pub fn session_view(&self, session: &ice::IceSession, end: i64) -> SessionView {
        let pairs: Vec<&ice::CandidatePair> = session
            .pairs
            .iter()
            .filter_map(|&p| self.ice.pairs.get(p as usize))
            .collect();
        let succeeded: Vec<bool> = pairs
            .iter()
            .map(|p| p.state(end) == ice::PairState::Succeeded)
            .collect();
        // The same rule the consent count applies as packets arrive (ice::IceTable::nominated_now).
        let nominated: Vec<bool> = pairs.iter().map(|p| self.ice.nominated_now(p.id)).collect();
        let flow_bytes = |p: &ice::CandidatePair| -> u64 {
            let (key, _) = FlowKey::of(p.transport, p.local, p.remote, p.relay);
            self.flows.get(&key).map_or(0, |f| f.bytes[0] + f.bytes[1])
        };
        let mut selected = Vec::new();
        for ufrag in [&session.ufrags.0, &session.ufrags.1] {
            let best = (0..pairs.len())
                .filter(|&i| &pairs[i].local_ufrag == ufrag && succeeded[i])
                .max_by_key(|&i| (nominated[i], flow_bytes(pairs[i]), pairs[i].last_ns));
            if let Some(i) = best {
                selected.push((ufrag.clone(), pairs[i].id));
            }
        }
        SessionView {
            pairs: pairs.iter().map(|p| p.id).collect(),
            nominated,
            selected,
        }
    }

    /// Transactions currently remembered (for memory-bound tests).
    pub fn pending_transactions(&self) -> usize {
        self.transactions.len()
    }
}

/// Whether `ch` is bound on the client/server pair of this packet, in either direction.
fn channel_bound(
    turn: &TurnTable,
    transport: Transport,
    src: SocketAddr,
    dst: SocketAddr,
    ch: u16,
) -> bool {
    turn.find(transport, src, dst)
        .or_else(|| turn.find(transport, dst, src))
        .is_some_and(|a| a.peer_of(ch).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// Packing quiet series changes no figure: every recording of the project, analysed with
    /// every stream's and flow's series packed after each packet (so that each next packet
    /// unpacks its own), gives the same JSON report, byte for byte, as with packing never done.
    #[test]
    fn packed_series_give_the_same_report() {
        use rtcscope_capture::CaptureReader;
        let (mut compared, mut saved) = (0, 0);
        for path in &rtcscope_testkit::captures_under(&rtcscope_testkit::fixtures()) {
            let bytes = std::fs::read(path).unwrap();
            let Ok(mut reader) = CaptureReader::new(&bytes[..]) else {
                continue;
            };
            let mut never = Engine::default();
            never.quiet.due_packets = u64::MAX;
            let mut always = Engine::default();
            while let Ok(Some(p)) = reader.next_packet() {
                never.feed_packet(&p);
                always.feed_packet(&p);
                saved += always.streams.pack_quiet(i64::MAX).1;
                always.flows.walk_lru_mut(|f| {
                    saved += f.series.pack();
                    true
                });
            }
            for e in [&mut never, &mut always] {
                e.finish();
            }
            let json = |e| serde_json::to_string(&report::Report::from_engine(e)).unwrap();
            assert_eq!(json(never), json(always), "{}", path.display());
            compared += 1;
        }
        assert!(compared >= 20, "{compared} captures");
        assert!(saved > 1_000_000, "{saved} bytes saved by packing");
    }

    /// No timestamp a file can hold overflows an interval (test builds check overflow): every
    /// recording of the project, fed with its packets stamped at the extremes (before 1970,
    /// at and past the engine's latest, i64's and i128's limits, in turns that leap and step
    /// back), and once shifted to just before the engine's latest timestamp so that its
    /// intervals straddle it, gives a report, and its times stay in the engine's range.
    /// (A fuzzed capture stamped a check at 0 and its answers near i64::MAX: the ICE pair's sum
    /// of round-trip times overflowed.)
    #[test]
    fn timestamps_at_the_extremes_overflow_nothing() {
        use rtcscope_capture::CaptureReader;
        let extremes: [i128; 8] = [
            i128::MIN,
            -1,
            0,
            1_000_000_000,
            i128::from(MAX_TIMESTAMP_NS) - 1,
            i128::from(MAX_TIMESTAMP_NS) + 1,
            i128::from(i64::MAX),
            i128::MAX,
        ];
        let mut fed = 0;
        for path in &rtcscope_testkit::captures_under(&rtcscope_testkit::fixtures()) {
            let bytes = std::fs::read(path).unwrap();
            for shifted in [false, true] {
                let Ok(mut reader) = CaptureReader::new(&bytes[..]) else {
                    continue;
                };
                let mut engine = Engine::default();
                let mut first = None;
                while let Ok(Some(p)) = reader.next_packet() {
                    let ts = if shifted {
                        let t0 = *first.get_or_insert(p.ts_nanos);
                        i128::from(MAX_TIMESTAMP_NS) - 10_000_000_000 + (p.ts_nanos - t0)
                    } else {
                        extremes[(p.number * 5 % 8) as usize]
                    };
                    engine.feed_frame(p.number, ts, p.link_type, p.data, p.orig_len);
                    fed += 1;
                }
                engine.finish();
                let report = report::Report::from_engine(engine);
                serde_json::to_string(&report).unwrap();
                for t in [report.start_ns, report.end_ns].into_iter().flatten() {
                    assert!((0..=MAX_TIMESTAMP_NS).contains(&t), "{}", path.display());
                }
            }
        }
        assert!(fed > 60_000, "{fed} packets fed");
    }

    /// The figure the docs give (`Config::worst_case_bytes`, `analyze --memory`'s help).
    #[test]
    fn the_documented_worst_case_is_the_computed_one() {
        let mb = Config::default().worst_case_bytes() as f64 / 1e6;
        assert!(
            (mb - 309.0).abs() < 0.5,
            "worst case {mb:.1} MB, documented as 309"
        );
    }

    /// The stated per-entry costs cover the types: a node (key, value, two links) in a vector
    /// that may be up to twice its length, plus the index entry (key, position, control byte)
    /// in a hash table at its 7/8 maximum load, rounded up.
    #[test]
    fn entry_costs_cover_the_types() {
        let lru = |k: usize, v: usize| 2 * (k + v + 8) + (k + 4 + 1) * 8 / 7 + 8;
        let flow = lru(size_of::<FlowKey>(), size_of::<Flow>());
        let stream = lru(
            size_of::<streams::StreamKey>(),
            size_of::<streams::Stream>(),
        );
        let tx = lru(16, size_of::<Tx>());
        assert!(flow <= entry_cost::FLOW, "flow {flow}");
        // An RTX stream's boxed repair memory comes on top of the entry.
        let stream = stream + streams::RTX_REPAIRS_BYTES;
        assert!(stream <= entry_cost::STREAM, "stream {stream}");
        assert!(tx <= entry_cost::TRANSACTION, "transaction {tx}");
        assert!(2 * size_of::<(u32, series::Bucket)>() <= entry_cost::BUCKET);
        // A stored quality entry counts as BUDGET_UNITS series buckets in the shared budget.
        const { assert!(2 * quality::STORED_ENTRY_BYTES <= quality::BUDGET_UNITS * entry_cost::BUCKET) };
    }
}
