//! Per-SSRC RTP streams and what RTCP says about them.
//!
//! Sequence accounting follows RFC 3550 Appendix A.1 (extended sequence numbers across
//! wrap-around, with a probation of two in-order packets before a new SSRC counts) and A.8
//! (interarrival jitter). Loss is `expected - received` over unique sequence numbers, so
//! duplicates never hide loss; a 1024-packet window tells duplicates from late (reordered)
//! packets.
//!
//! Clock rates come from the SDP when one is given, else the static payload-type table of
//! RFC 3551, else they are inferred from RTP timestamps against arrival times after at least a
//! second of media and snapped to the usual rates; jitter is computed once the rate is known.

use crate::flow::FlowKey;
use crate::quality::{PacketQuality, QualitySeries};
use crate::series::Series;
use crate::table::LruMap;
use crate::Map;
use rtcscope_rtp::rtp::extmap::{ExtensionMap, ExtensionValue};
use rtcscope_rtp::rtp::infer::{ExtmapInference, InferredExtmap};
use rtcscope_rtp::rtp::RtpPacket;
use serde::Serialize;

/// Distinct payload types remembered per stream.
pub const MAX_PAYLOAD_TYPES: usize = 8;
/// Streams kept; beyond this new SSRCs are counted only.
pub const MAX_STREAMS: usize = 10_000;
const WINDOW: u32 = 1024;
/// How long an inferred clock rate keeps being refined.
const INFER_REFINE_NS: i64 = 10_000_000_000;
const MAX_DROPOUT: u32 = 3000;
const MAX_MISORDER: u32 = 100;

/// Where a stream's clock rate came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockSource {
    /// The SDP's rtpmap.
    Sdp,
    /// RFC 3551's static payload types.
    StaticTable,
    /// Inferred from timestamps against arrival times.
    Inferred,
}

/// Media kind, from the SDP or the clock rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// Audio.
    Audio,
    /// Video.
    Video,
    /// Not known.
    Unknown,
}

/// A codec as the SDP names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Codec {
    /// Encoding name (`opus`, `VP8`, `rtx`).
    pub name: String,
    /// Clock rate.
    pub clock_rate: u32,
    /// For RTX: the payload type it repairs.
    pub apt: Option<u8>,
    /// For RED (RFC 2198): the payload type most likely carried inside, and how the SDP tells
    /// it (`a=fmtp:<red> <pt>/<pt>`, else the first media codec of the m-line).
    pub red_inner: Option<(u8, CodecSource)>,
}

impl Codec {
    /// RFC 4588 retransmission (`rtx`).
    pub fn is_rtx(&self) -> bool {
        self.name.eq_ignore_ascii_case("rtx")
    }

    /// RFC 2198 redundancy (`red`).
    pub fn is_red(&self) -> bool {
        self.name.eq_ignore_ascii_case("red")
    }

    /// Not a media codec of its own: RTX, RED, FEC (ulpfec, flexfec) or comfort noise and DTMF,
    /// which a sender never picks as the media it encodes.
    pub fn is_repair_or_aux(&self) -> bool {
        is_repair_or_aux(&self.name)
    }
}

/// Whether an encoding name is RTX, RED, FEC, comfort noise or DTMF rather than a media codec.
/// Whether an encoding name is a forward error correction format (ULPFEC, FlexFEC).
pub(crate) fn is_fec(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "ulpfec" || n.starts_with("flexfec")
}

pub(crate) fn is_repair_or_aux(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "rtx" | "red" | "ulpfec" | "flexfec" | "flexfec-03" | "cn" | "telephone-event"
    )
}

/// The video codec of a payload of codec `c` and the codec payload itself: `c`'s own, or inside
/// RED the primary block's when the SDP names its payload type; none for audio, RTX or FEC.
fn video_of<'a>(
    c: &Codec,
    payload: &'a [u8],
    hints: &MediaHints,
) -> Option<(rtcscope_rtp::codec::VideoCodec, &'a [u8])> {
    let (name, data) = if c.is_red() {
        let (inner, data) = rtcscope_rtp::codec::red_primary(payload)?;
        (hints.codecs.get(&inner)?.name.as_str(), data)
    } else {
        (c.name.as_str(), payload)
    };
    Some((
        rtcscope_rtp::codec::VideoCodec::from_encoding_name(name)?,
        data,
    ))
}

/// An RTX payload (after the original sequence number) repairing payload type `pt`, read: the
/// video codec the SDP names for `pt` (inside RED too) and what the payload says of its frame
/// (`None` inside: unreadable); none when `pt` is not video the SDP names.
fn read_repair(
    pt: u8,
    payload: &[u8],
    hints: &MediaHints,
) -> Option<(
    rtcscope_rtp::codec::VideoCodec,
    Option<rtcscope_rtp::codec::FrameInfo>,
)> {
    let (vc, data) = video_of(hints.codecs.get(&pt)?, payload, hints)?;
    Some((vc, rtcscope_rtp::codec::frame_info(vc, data).ok()))
}

/// How a stream's media is wrapped in its RTP payloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encapsulation {
    /// RFC 2198 redundant data: block headers, the last naming the primary encoding's payload
    /// type (encrypted under SRTP).
    Red,
    /// RFC 4588 retransmission: the original sequence number, then the repaired payload.
    Rtx,
}

/// How a stream's codec was told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodecSource {
    /// The SDP's rtpmap of the stream's own payload type.
    Sdp,
    /// RFC 3551's static payload types.
    StaticTable,
    /// RED: the SDP's `a=fmtp:<red pt> <pt>/<pt>` names the payload type inside.
    SdpRedFmtp,
    /// RED: no fmtp; the first media codec of the m-line, the one a sender encodes with.
    SdpCodecOrder,
    /// RTX: the codec of the payload type its `apt=` repairs.
    SdpApt,
    /// RED: read from the (cleartext or decrypted) RED block header, exact.
    RedHeader,
    /// No SDP named the payload type: the video codec (and RED around it) was inferred from
    /// the packets (crate::codec_inference; the stream's `codec_inference` says how).
    Inferred,
}

/// Where the SRTP authentication tag length used for the byte figures came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TagLenSource {
    /// Set by the caller from the negotiated SRTP profile (DTLS-SRTP in clear, SDES).
    Profile,
    /// Inferred from libwebrtc's padding-only probes (255 or 224 bytes of padding + the tag).
    PaddingProbes,
    /// Assumed: the 10 bytes of SRTP_AES128_CM_HMAC_SHA1_80, WebRTC's usual profile.
    Assumed,
}

/// RFC 2198 §3: the payload type of the primary encoding of a RED payload, which is the
/// last block header (F bit clear); every earlier header (F bit set) is 4 bytes. `None` when
/// the headers run past the payload. Give it a cleartext (or decrypted) payload only.
pub fn red_primary_payload_type(payload: &[u8]) -> Option<u8> {
    let mut at = 0;
    loop {
        let b = *payload.get(at)?;
        if b & 0x80 == 0 {
            return Some(b & 0x7f);
        }
        at += 4;
    }
}

/// What an SDP says about media, as the engine uses it (filled from the SDPs by
/// [`crate::sdp_hints::load`]; the engine itself never parses SDP).
#[derive(Clone, Debug, Default)]
pub struct MediaHints {
    /// Payload type → codec.
    pub codecs: Map<u8, Codec>,
    /// Header-extension ids.
    pub extmap: Option<ExtensionMap>,
    /// (media SSRC, RTX SSRC) from `a=ssrc-group:FID`.
    pub fid: Vec<(u32, u32)>,
    /// SSRC → mid, from `a=ssrc` lines in media sections.
    pub ssrc_mid: Map<u32, String>,
    /// mid → kind.
    pub mid_kind: Map<String, MediaKind>,
}

/// RFC 3551 static payload types with their clock rates.
pub fn static_clock_rate(pt: u8) -> Option<(u32, &'static str, MediaKind)> {
    Some(match pt {
        0 => (8000, "PCMU", MediaKind::Audio),
        3 => (8000, "GSM", MediaKind::Audio),
        4 => (8000, "G723", MediaKind::Audio),
        8 => (8000, "PCMA", MediaKind::Audio),
        9 => (8000, "G722", MediaKind::Audio),
        13 => (8000, "CN", MediaKind::Audio),
        18 => (8000, "G729", MediaKind::Audio),
        26 => (90000, "JPEG", MediaKind::Video),
        31 => (90000, "H261", MediaKind::Video),
        32 => (90000, "MPV", MediaKind::Video),
        34 => (90000, "H263", MediaKind::Video),
        _ => return None,
    })
}

/// Snaps an estimated rate to the nearest of the common RTP clock rates (within 5 %): 44100
/// and 48000 are both within 5 % of 46000, and the nearer one is the better guess.
fn snap_rate(est: f64) -> Option<u32> {
    [8000u32, 16000, 24000, 32000, 44100, 48000, 90000]
        .into_iter()
        .filter(|&r| (est - f64::from(r)).abs() <= f64::from(r) * 0.05)
        .min_by(|&a, &b| {
            let d = |r: u32| (est - f64::from(r)).abs();
            d(a).total_cmp(&d(b))
        })
}

/// A stretch of time without a packet of a stream, between two of its packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ArrivalGap {
    /// The packet before the gap.
    pub from_ns: i64,
    /// The packet after it.
    pub to_ns: i64,
    /// Its sequence number less the highest before the gap (mod 2^16): 1 when the sender
    /// paused, more when the packets sent meanwhile were lost before the capture point.
    pub seq_step: u16,
}

/// One RTP stream: an SSRC in one direction of one flow.
#[derive(Clone, Debug, Serialize)]
pub struct Stream {
    /// The SSRC.
    pub ssrc: u32,
    /// The flow (direction: `forward` = a → b of the flow), transport included.
    pub flow: FlowKey,
    /// Sender address.
    pub src: std::net::SocketAddr,
    /// Receiver address.
    pub dst: std::net::SocketAddr,
    /// Inside TURN allocation, when unwrapped from a relay.
    pub relay: Option<u32>,
    /// For a stream inside a relay: whose leg it was counted on, `sender` (the sender's own
    /// allocation, its leg to the TURN server: where a capture of both legs counts it) or
    /// `receiver` (the leg from the server to the receiver, when only that one is captured).
    pub leg: Option<&'static str>,
    /// For a stream inside a relay: the path and the leg it was counted on (once, however
    /// many legs the capture sees), set by the report.
    pub counted_on: Option<crate::relay::CountedOn>,
    /// First packet.
    pub first_ns: i64,
    /// Last packet.
    pub last_ns: i64,
    /// The longest time without a packet between two of the stream's packets, and what the
    /// sequence numbers did across it (kept once, constant size).
    pub longest_gap: Option<ArrivalGap>,
    /// Packets received (including duplicates).
    pub packets: u64,
    /// Bytes (whole RTP packets).
    pub bytes: u64,
    /// RTP header bytes (fixed header, CSRCs, extensions).
    pub header_bytes: u64,
    /// Payload bytes as getStats' `bytesSent`/`bytesReceived` count them: the RTP payload
    /// without header, padding or SRTP tag, RTX payloads (their original sequence number
    /// included) counted, padding-only packets not (filled in snapshots; see
    /// [`Stream::finish_bytes`]).
    pub payload_bytes: u64,
    /// Padding bytes, where they can be told: every padding byte of cleartext packets, and the
    /// padding of padding-only SRTP packets (their whole payload less the tag).
    pub padding_bytes: u64,
    /// The padding of padding-only packets alone (getStats counts it in `headerBytesSent`).
    pub padding_only_bytes: u64,
    /// SRTP authentication tag bytes (packets × [`Stream::srtp_tag_len`]).
    pub srtp_tag_bytes: u64,
    /// The SRTP tag length used for these figures, when the stream is SRTP.
    pub srtp_tag_len: Option<u8>,
    /// Where that length came from.
    pub srtp_tag_len_source: Option<TagLenSource>,
    /// Payload types seen with their counts.
    pub payload_types: Vec<(u8, u64)>,
    /// The media codec, when known (of the dominant payload type): for RED the codec inside
    /// (see [`Stream::codec_source`]), for RTX the codec it repairs.
    pub codec: Option<String>,
    /// How the codec was told.
    pub codec_source: Option<CodecSource>,
    /// RED or RTX wrapping, when the SDP says so.
    pub encapsulation: Option<Encapsulation>,
    /// The payload type inside the wrapping: RED's inner type, RTX's `apt`.
    pub inner_payload_type: Option<u8>,
    /// What a display shows as the codec ([`Stream::codec_label`]), filled in snapshots.
    pub codec_label: String,
    #[serde(skip)]
    codec_pt: Option<u8>,
    /// Clock rate, when known.
    pub clock_rate: Option<u32>,
    /// Where the clock rate came from.
    pub clock_source: Option<ClockSource>,
    /// Audio or video.
    pub kind: MediaKind,
    /// Packets with the marker bit.
    pub markers: u64,
    /// Packets with the padding bit.
    pub padded: u64,
    /// Packets whose payload is nothing but padding: read in cleartext; for SRTP inferred
    /// from the size (P bit, a video or RTX stream, at most 255 padding bytes + a 16-byte tag
    /// after the header), which is what libwebrtc's bandwidth probes look like.
    pub padding_only: u64,
    /// RTX packets with a payload (not padding-only): retransmissions and "payload padding"
    /// probes together.
    pub rtx_payload: u64,
    /// RTX packets that repair a loss: in cleartext (or decrypted), their original sequence
    /// number was NACKed, or is a gap in the media stream (a number the capture never saw
    /// between the media's first and highest, settled once the media has passed it and while
    /// it is within the last 1024 numbers; counted once per number: a second RTX packet with
    /// it and no NACK is a probe); under SRTCP without keys, a NACK (the clear first RTCP
    /// header says RTPFB FMT 1) came from the receiver within the second before. NACKs inside
    /// an encrypted compound packet are invisible, so this can undercount there, and a
    /// retransmission lost before the capture point is not seen at all.
    pub retransmissions: u64,
    /// Payload bytes of those retransmissions (as getStats' `retransmittedBytesSent`).
    pub retransmitted_bytes: u64,
    /// RTX packets with a payload that answered no NACK seen: bandwidth probes that repeat
    /// earlier media ("payload padding").
    pub rtx_probes: u64,
    /// FEC packets (ULPFEC, FlexFEC) as the SDP names their payload type: on their own
    /// payload type, or, read in clear or decrypted, as the primary block of a RED packet.
    /// Not media: they count in neither the codec nor the frames.
    pub fec_packets: u64,
    #[serde(skip)]
    raw: RawBytes,
    #[serde(skip)]
    repairs: Option<Box<RtxRepairs>>,
    /// Whether payloads are SRTP ciphertext.
    pub encrypted: bool,
    /// Unique sequence numbers received.
    pub unique: u64,
    /// Duplicates.
    pub duplicates: u64,
    /// Packets that arrived after a later sequence number (reordered).
    pub reordered: u64,
    /// Packets expected from the sequence numbers (filled in snapshots; see [`Stream::expected`]).
    pub expected: u64,
    /// Packets lost: expected − unique (filled in snapshots; see [`Stream::lost`]).
    pub lost: u64,
    /// Highest extended sequence number.
    pub max_ext_seq: u64,
    /// First extended sequence number.
    pub base_ext_seq: u64,
    /// Sequence jumps larger than RFC 3550's MAX_DROPOUT (restarts).
    pub seq_jumps: u64,
    /// Interarrival jitter (RFC 3550 A.8) in milliseconds, once the clock rate is known.
    pub jitter_ms: Option<f64>,
    /// sdes:mid seen in a header extension (without an SDP, from the id the packets show is
    /// the mid: [`Streams::inferred_extmap`]).
    pub mid: Option<String>,
    /// Without an SDP: token values by extension id, until the ids are known.
    #[serde(skip)]
    ext_tokens: Vec<(u8, String)>,
    /// rtp-stream-id.
    pub rid: Option<String>,
    /// repaired-rtp-stream-id (this stream repairs `rid`).
    pub repaired_rid: Option<String>,
    /// The SSRC this stream retransmits for (RTX), when known.
    pub rtx_of: Option<u32>,
    /// Why this stream is thought to be RTX or padding.
    pub rtx_reason: Option<&'static str>,
    /// Loss figures may be the capture's own (the capture dropped packets).
    pub loss_uncertain: bool,
    /// Passed RFC 3550 A.1 probation (two packets in sequence); unconfirmed "streams" are
    /// other traffic that happened to look like an RTP header and are not reported.
    pub confirmed: bool,
    /// Bandwidth over time (forward = this stream's direction).
    pub series: Series,
    /// Loss, jitter and RTCP RTT over time, on the grid of [`Stream::series`]
    /// (crate::quality).
    pub quality: QualitySeries,
    /// RTCP sender reports for this SSRC.
    pub sender_reports: u64,
    /// Packet count in the last SR.
    pub sr_packet_count: Option<u32>,
    /// What the receiver reported (last RR block about this SSRC).
    pub receiver_report: Option<ReceiverView>,
    /// Round-trip time from LSR/DLSR (ms), last computed.
    pub rtcp_rtt_ms: Option<f64>,
    /// Video frames read from the payload descriptors (VP8, VP9, H.264, AV1; frames.rs),
    /// filled in snapshots. `None` when no payload of a video codec the SDP names was read:
    /// SRTP without its key, no SDP, or another codec.
    pub frames: Option<Box<crate::frames::FrameReport>>,
    /// Without an SDP naming the payload type: which video codec the packets show
    /// (crate::codec_inference), filled in snapshots; `None` when it was not tried (an SDP
    /// named the codec, encrypted or RTX payloads, or too many streams inferring at once).
    pub codec_inference: Option<Box<crate::codec_inference::InferenceReport>>,
    #[serde(skip)]
    frame_tracker: Option<Box<crate::frames::FrameTracker>>,
    #[serde(skip)]
    inference: Option<Box<crate::codec_inference::CodecInference>>,
    #[serde(skip)]
    seq: SeqState,
    #[serde(skip)]
    jitter: JitterState,
    #[serde(skip)]
    infer: Option<(i64, u32)>,
}

/// Byte sums kept per packet, turned into getStats' figures once the tag length is known.
#[derive(Clone, Copy, Debug, Default)]
struct RawBytes {
    /// Bytes after the RTP header (payload, padding and, for SRTP, the tag).
    body: u64,
    /// SRTP packets (each carries a tag).
    srtp: u64,
    /// Padding read from cleartext packets.
    clear_padding: u64,
    /// Of which in padding-only packets.
    clear_padding_only: u64,
    /// Bodies of padding-only SRTP packets (padding + tag), and their number.
    srtp_padding_only_body: u64,
    srtp_padding_only: u64,
    /// The last padding-only SRTP body length (for the tag-length inference).
    probe_body: Option<u64>,
    /// Bodies of retransmissions (payload + tag when SRTP), and how many were SRTP.
    retransmitted_body: u64,
    retransmitted_srtp: u64,
}

/// Original sequence numbers remembered per RTX stream (see [`RtxRepairs`]).
const REPAIRED_KEPT: usize = 16;

/// What an RTX stream remembers to tell repairs from probes without a NACK (boxed: only RTX
/// streams with readable payloads have one; counted in the stream's entry cost).
#[derive(Clone, Debug, Default)]
struct RtxRepairs {
    /// The last original sequence numbers this RTX stream repaired without a NACK (gaps in
    /// its media stream): a second RTX packet with one of them is a probe, not a new repair.
    repaired: [Option<u16>; REPAIRED_KEPT],
    repaired_next: usize,
    /// Readable RTX payloads answering no NACK, counted as probes until their media stream
    /// shows whether the original arrived: (original sequence number, payload bytes). A
    /// repair often arrives before the next media packet, so it cannot be told at once.
    pending: [Option<(u16, u32)>; REPAIRED_KEPT],
    pending_next: usize,
    /// Readable repairs that came before any packet of their media stream (a sender
    /// retransmits a first key frame lost before the capture point, often several times, as
    /// probes): distinct ones, kept until the media stream's first packet, to count its frames.
    early: [Option<EarlyRepair>; EARLY_KEPT],
}

/// Repairs kept per RTX stream for a media stream not seen yet (see `RtxRepairs::early`).
const EARLY_KEPT: usize = 8;

/// One RTX payload for a media stream not seen yet, read: arrival, RTP timestamp, marker bit,
/// the codec and what the payload says of its frame (`None`: unreadable).
#[derive(Clone, Copy, Debug, PartialEq)]
struct EarlyRepair {
    now: i64,
    ts: u32,
    marker: bool,
    codec: rtcscope_rtp::codec::VideoCodec,
    info: Option<rtcscope_rtp::codec::FrameInfo>,
}

/// Heap bytes of an RTX stream's [`RtxRepairs`] (in the stream's entry cost).
#[cfg(test)]
pub(crate) const RTX_REPAIRS_BYTES: usize = std::mem::size_of::<RtxRepairs>();

impl RtxRepairs {
    /// True the first time `osn` is repaired (then remembered), false for a repeat.
    fn first_repair(&mut self, osn: u16) -> bool {
        if self.repaired.contains(&Some(osn)) {
            return false;
        }
        self.repaired[self.repaired_next] = Some(osn);
        self.repaired_next = (self.repaired_next + 1) % REPAIRED_KEPT;
        true
    }

    /// Keeps a repair for a media stream not seen yet, unless one like it is kept (probes
    /// repeat the same packet) or every slot is taken.
    fn keep_early(&mut self, r: EarlyRepair) {
        let same = |e: &EarlyRepair| (e.ts, e.marker, e.info) == (r.ts, r.marker, r.info);
        if self.early.iter().flatten().any(same) {
            return;
        }
        if let Some(slot) = self.early.iter_mut().find(|e| e.is_none()) {
            *slot = Some(r);
        }
    }

    /// Remembers a probe that may turn out to be a repair (the oldest is forgotten: it stays
    /// a probe).
    fn defer(&mut self, osn: u16, bytes: u32) {
        self.pending[self.pending_next] = Some((osn, bytes));
        self.pending_next = (self.pending_next + 1) % REPAIRED_KEPT;
    }
}

/// The receiver's view from an RTCP report block.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ReceiverView {
    /// Fraction lost since the previous report (0–1).
    pub fraction_lost: f64,
    /// Cumulative packets lost.
    pub cumulative_lost: i32,
    /// Interarrival jitter in RTP timestamp units.
    pub jitter: u32,
}

#[derive(Clone, Debug, Default)]
struct SeqState {
    started: bool,
    max_seq: u16,
    cycles: u64,
    window: [u64; (WINDOW / 64) as usize],
}

#[derive(Clone, Copy, Debug, Default)]
struct JitterState {
    prev_transit: Option<f64>,
    jitter: f64,
}

impl Stream {
    /// Why the stream is thought to be RTX or padding: the reason found as it was fed, else
    /// (three packets or more, every one padded) bandwidth probing. The one rule that the
    /// report (at the end) and the TUI's snapshot (live) both read.
    pub fn rtx_or_padding_reason(&self) -> Option<&'static str> {
        self.rtx_reason.or_else(|| {
            (self.packets >= 3 && self.padded == self.packets)
                .then_some("every packet padded (bandwidth probing / RTX padding)")
        })
    }

    fn new(
        ssrc: u32,
        flow: FlowKey,
        src: std::net::SocketAddr,
        dst: std::net::SocketAddr,
        now: i64,
    ) -> Self {
        Stream {
            ssrc,
            flow,
            src,
            dst,
            relay: flow.relay,
            leg: None,
            counted_on: None,
            first_ns: now,
            last_ns: now,
            longest_gap: None,
            packets: 0,
            bytes: 0,
            header_bytes: 0,
            payload_bytes: 0,
            padding_bytes: 0,
            padding_only_bytes: 0,
            srtp_tag_bytes: 0,
            srtp_tag_len: None,
            srtp_tag_len_source: None,
            payload_types: Vec::new(),
            codec: None,
            codec_source: None,
            encapsulation: None,
            inner_payload_type: None,
            codec_label: String::new(),
            codec_pt: None,
            clock_rate: None,
            clock_source: None,
            kind: MediaKind::Unknown,
            markers: 0,
            padded: 0,
            padding_only: 0,
            rtx_payload: 0,
            retransmissions: 0,
            retransmitted_bytes: 0,
            rtx_probes: 0,
            fec_packets: 0,
            raw: RawBytes::default(),
            repairs: None,
            encrypted: false,
            unique: 0,
            duplicates: 0,
            reordered: 0,
            expected: 0,
            lost: 0,
            max_ext_seq: 0,
            base_ext_seq: 0,
            seq_jumps: 0,
            jitter_ms: None,
            mid: None,
            ext_tokens: Vec::new(),
            rid: None,
            repaired_rid: None,
            rtx_of: None,
            rtx_reason: None,
            loss_uncertain: false,
            confirmed: false,
            series: Series::one_way(now),
            quality: QualitySeries::new(now),
            sender_reports: 0,
            sr_packet_count: None,
            receiver_report: None,
            rtcp_rtt_ms: None,
            frames: None,
            codec_inference: None,
            frame_tracker: None,
            inference: None,
            seq: SeqState::default(),
            jitter: JitterState::default(),
            infer: None,
        }
    }

    /// Halves the resolution of the bandwidth and quality series together (one grid) when
    /// either holds more than [`Series::MIN_KEEP`] buckets; returns the budget units freed
    /// (a quality bucket counts [`crate::quality::BUDGET_UNITS`]).
    fn shrink_buckets(&mut self) -> usize {
        let keep = Series::MIN_KEEP;
        if self.series.stored_buckets() <= keep && self.quality.stored_buckets() <= keep {
            return 0;
        }
        let width = self
            .series
            .bucket_ns
            .max(self.quality.bucket_ns)
            .saturating_mul(2);
        self.series.coarsen_to(width)
            + crate::quality::BUDGET_UNITS * self.quality.coarsen_to(width)
    }

    /// Packets expected from the sequence numbers (highest − first + 1).
    pub fn expected(&self) -> u64 {
        if self.unique == 0 {
            0
        } else {
            self.max_ext_seq - self.base_ext_seq + 1
        }
    }
    /// Mean payload bit rate over the stream's life, over one second at least (so a few
    /// packets do not read as a huge rate): payload bytes as getStats' `bytesSent` /
    /// `bytesReceived` count them (no RTP header, padding or SRTP tag).
    pub fn mean_payload_bps(&self) -> u64 {
        self.mean_bps_of(self.payload_bytes)
    }

    /// [`Stream::mean_payload_bps`] of a stream still receiving packets, with an SRTP tag of
    /// `tag` bytes ([`Stream::payload_bytes_with_tag`]).
    pub fn mean_payload_bps_with_tag(&self, tag: u8) -> u64 {
        self.mean_bps_of(self.payload_bytes_with_tag(tag))
    }

    fn mean_bps_of(&self, bytes: u64) -> u64 {
        let span = (self.last_ns - self.first_ns).max(1_000_000_000) as u128;
        (u128::from(bytes) * 8 * 1_000_000_000 / span) as u64
    }

    /// Packets lost: expected − unique received (never negative).
    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.unique)
    }

    /// What a display shows as the codec: `opus/48000`; `RED (VP8 per SDP)` when the SDP
    /// says RED and suggests the codec inside, `RED (VP8)` when the RED header said it,
    /// `RED (inner codec encrypted)` when nothing tells it; `RTX of VP8/90000`; `PT96/90000`
    /// or `PT97,119` without an SDP.
    pub fn codec_label(&self) -> String {
        let rate = self.clock_rate.map(|r| format!("/{r}")).unwrap_or_default();
        match (self.encapsulation, &self.codec) {
            (Some(Encapsulation::Red), Some(c)) => match self.codec_source {
                Some(CodecSource::RedHeader) => format!("RED ({c})"),
                Some(CodecSource::Inferred) => format!("RED ({c}, inferred)"),
                _ => format!("RED ({c} per SDP)"),
            },
            (Some(Encapsulation::Red), None) if self.encrypted => {
                "RED (inner codec encrypted)".to_owned()
            }
            (Some(Encapsulation::Red), None) => "RED (inner codec unknown)".to_owned(),
            (Some(Encapsulation::Rtx), Some(c)) => format!("RTX of {c}{rate}"),
            (Some(Encapsulation::Rtx), None) => format!("RTX{rate}"),
            (None, Some(c)) if self.codec_source == Some(CodecSource::Inferred) => {
                format!("{c}{rate} (inferred)")
            }
            (None, Some(c)) => format!("{c}{rate}"),
            (None, None) => {
                let pts: Vec<String> = self
                    .payload_types
                    .iter()
                    .map(|(p, _)| p.to_string())
                    .collect();
                format!("PT{}{rate}", pts.join(","))
            }
        }
    }

    /// Turns the per-packet sums into getStats' byte figures with an SRTP tag of `tag` bytes
    /// (and says where that length came from); also fills [`Stream::codec_label`].
    pub fn finish_bytes(&mut self, tag: u8, source: TagLenSource) {
        let r = self.raw;
        let t = u64::from(tag);
        if r.srtp > 0 {
            self.srtp_tag_len = Some(tag);
            self.srtp_tag_len_source = Some(source);
        }
        self.srtp_tag_bytes = r.srtp * t;
        let probe_padding = r
            .srtp_padding_only_body
            .saturating_sub(r.srtp_padding_only * t);
        self.padding_only_bytes = r.clear_padding_only + probe_padding;
        self.padding_bytes = r.clear_padding + probe_padding;
        self.payload_bytes = self.payload_bytes_with_tag(tag);
        self.retransmitted_bytes = r
            .retransmitted_body
            .saturating_sub(r.retransmitted_srtp * t);
        self.codec_label = self.codec_label();
    }

    /// Payload bytes as getStats counts them (no header, padding or SRTP tag) with an SRTP tag
    /// of `tag` bytes: what [`Stream::finish_bytes`] stores in [`Stream::payload_bytes`], for a
    /// stream still receiving packets.
    pub fn payload_bytes_with_tag(&self, tag: u8) -> u64 {
        let r = self.raw;
        let t = u64::from(tag);
        let probe_padding = r
            .srtp_padding_only_body
            .saturating_sub(r.srtp_padding_only * t);
        r.body
            .saturating_sub(r.srtp * t)
            .saturating_sub(r.clear_padding + probe_padding)
    }

    /// The tag length that libwebrtc's padding-only probes on this stream imply: their
    /// padding is 255 bytes (224 in older versions), so body − padding is the tag, when that
    /// is one of SRTP's tag lengths (4, 10, 16).
    fn probe_tag_len(&self) -> Option<u8> {
        let b = self.raw.probe_body?;
        [255u64, 224].into_iter().find_map(|pad| {
            let t = b.checked_sub(pad)?;
            matches!(t, 4 | 10 | 16).then_some(t as u8)
        })
    }

    /// Applies the SDP's codec for payload type `pt`: name, clock rate, RED/RTX wrapping.
    fn apply_codec(&mut self, pt: u8, hints: &MediaHints) {
        if let Some(c) = hints.codecs.get(&pt) {
            if self.clock_source != Some(ClockSource::Inferred) || self.clock_rate.is_none() {
                self.clock_rate = Some(c.clock_rate);
                self.clock_source = Some(ClockSource::Sdp);
            }
            if c.is_rtx() {
                self.encapsulation = Some(Encapsulation::Rtx);
                self.inner_payload_type = c.apt;
                self.rtx_reason.get_or_insert("SDP payload type is rtx");
                // The codec it repairs (through RED to the codec inside, when it repairs RED).
                let target = c.apt.and_then(|a| hints.codecs.get(&a));
                self.codec = target.and_then(|t| {
                    if t.is_red() {
                        t.red_inner
                            .and_then(|(i, _)| hints.codecs.get(&i))
                            .map(|i| i.name.clone())
                    } else {
                        Some(t.name.clone())
                    }
                });
                self.codec_source = self.codec.as_ref().map(|_| CodecSource::SdpApt);
            } else if c.is_red() {
                self.encapsulation = Some(Encapsulation::Red);
                if self.codec_source != Some(CodecSource::RedHeader) {
                    let inner = c
                        .red_inner
                        .and_then(|(i, how)| hints.codecs.get(&i).map(|x| (i, x, how)));
                    self.inner_payload_type = inner.map(|(i, _, _)| i);
                    self.codec = inner.map(|(_, x, _)| x.name.clone());
                    self.codec_source = inner.map(|(_, _, how)| how);
                }
            } else {
                self.encapsulation = None;
                self.inner_payload_type = None;
                self.codec = Some(c.name.clone());
                self.codec_source = Some(CodecSource::Sdp);
            }
        } else if let Some((rate, name, kind)) = static_clock_rate(pt) {
            self.codec = Some(name.to_owned());
            self.codec_source = Some(CodecSource::StaticTable);
            self.clock_rate = Some(rate);
            self.clock_source = Some(ClockSource::StaticTable);
            self.kind = kind;
        }
    }

    /// The hook for decrypted (or cleartext) RED payloads: the first block header names the
    /// exact codec inside, which replaces the SDP's suggestion. Returns whether it did.
    pub fn red_payload(&mut self, payload: &[u8], hints: &MediaHints) -> bool {
        if self.encapsulation != Some(Encapsulation::Red) {
            return false;
        }
        let Some(pt) = red_primary_payload_type(payload) else {
            return false;
        };
        let Some(c) = hints.codecs.get(&pt) else {
            return false;
        };
        // A FEC block protects the media; it does not name the codec.
        if is_fec(&c.name) {
            self.fec_packets += 1;
            return false;
        }
        if c.is_repair_or_aux() {
            return false;
        }
        self.inner_payload_type = Some(pt);
        self.codec = Some(c.name.clone());
        self.codec_source = Some(CodecSource::RedHeader);
        true
    }

    /// The frame-tracking hook: a cleartext or decrypted payload of a media (not RTX or FEC)
    /// packet whose payload type the SDP maps to VP8, VP9, H.264 or AV1, directly or inside
    /// RED.
    fn video_payload(
        &mut self,
        now: i64,
        p: &RtpPacket<'_>,
        hints: &MediaHints,
        inferring: &mut usize,
    ) {
        let Some(c) = hints.codecs.get(&p.payload_type()) else {
            self.infer_codec(now, p, inferring);
            return;
        };
        if let Some((vc, payload)) = video_of(c, p.payload(), hints) {
            let t = self
                .frame_tracker
                .get_or_insert_with(|| Box::new(crate::frames::FrameTracker::new(vc)));
            // One SSRC carries one codec; a switch mid-stream keeps the first one's figures.
            if t.codec() == vc {
                t.packet(now, p.timestamp(), p.marker(), payload);
            }
        }
    }

    /// The frame-tracking hook of an RFC 4588 retransmission of this stream, from its RTX
    /// SSRC, read by [`read_repair`] (now, or kept from before this stream's first packet).
    fn track_repair(
        &mut self,
        now: i64,
        vc: rtcscope_rtp::codec::VideoCodec,
        ts: u32,
        marker: bool,
        info: Option<rtcscope_rtp::codec::FrameInfo>,
    ) {
        let t = self
            .frame_tracker
            .get_or_insert_with(|| Box::new(crate::frames::FrameTracker::new(vc)));
        if t.codec() == vc {
            t.repair_read(now, ts, marker, info);
        }
    }

    /// No SDP names this payload type: the codec is inferred from the packets
    /// (crate::codec_inference); once decided, the frames are tracked as if named.
    /// `inferring` counts the streams holding candidates ([`crate::codec_inference::MAX_INFERRING`]).
    fn infer_codec(&mut self, now: i64, p: &RtpPacket<'_>, inferring: &mut usize) {
        use crate::codec_inference::{CodecInference, Step, MAX_INFERRING};
        let pt = p.payload_type();
        if static_clock_rate(pt).is_some() || self.encapsulation == Some(Encapsulation::Rtx) {
            return;
        }
        if self.inference.is_none() {
            if self.frame_tracker.is_some()
                || *inferring >= MAX_INFERRING
                || self.clock_rate.is_some_and(|r| r != 90000)
            {
                return;
            }
            *inferring += 1;
            self.inference = Some(Box::new(CodecInference::new(pt)));
        }
        let Some(inf) = self.inference.as_mut() else {
            return;
        };
        let was_open = inf.is_open();
        if self.clock_rate.is_some_and(|r| r != 90000) {
            inf.not_video_clock();
        } else {
            match inf.packet(
                now,
                pt,
                p.sequence_number(),
                p.timestamp(),
                p.marker(),
                p.payload(),
            ) {
                Step::Nothing => {}
                Step::Decided(t) => {
                    let r = inf.report();
                    self.codec = r.codec.map(str::to_owned);
                    self.codec_source = Some(CodecSource::Inferred);
                    if r.inside_red {
                        self.encapsulation = Some(Encapsulation::Red);
                        self.inner_payload_type = r.red_inner_payload_type;
                    }
                    if self.kind == MediaKind::Unknown {
                        self.kind = MediaKind::Video;
                    }
                    self.frame_tracker = Some(t);
                }
                Step::Track(media) => {
                    if let Some(t) = self.frame_tracker.as_mut() {
                        t.packet(now, p.timestamp(), p.marker(), media);
                    }
                }
                Step::Withdrawn => {
                    self.frame_tracker = None;
                    if self.codec_source == Some(CodecSource::Inferred) {
                        self.codec = None;
                        self.codec_source = None;
                        self.encapsulation = None;
                        self.inner_payload_type = None;
                    }
                }
            }
        }
        if was_open && !inf.is_open() {
            *inferring = inferring.saturating_sub(1);
        }
    }

    fn bit(&mut self, ext: u64) -> bool {
        let i = (ext % u64::from(WINDOW)) as usize;
        let (w, b) = (i / 64, i % 64);
        let was = self.seq.window[w] & (1 << b) != 0;
        self.seq.window[w] |= 1 << b;
        was
    }

    /// Whether `seq` is a gap of this stream: `Some(true)` when it lies between the first and
    /// the highest sequence number seen (within the window) and was never seen (lost before
    /// the capture point, or still late), `Some(false)` when it was seen or cannot be told
    /// (before the first number, or out of the window), `None` while it is ahead of the
    /// highest number seen.
    fn gap(&self, seq: u16) -> Option<bool> {
        if !self.seq.started {
            return None;
        }
        let ahead = seq.wrapping_sub(self.seq.max_seq);
        if ahead != 0 && ahead < 0x8000 {
            return None;
        }
        let back = u64::from(self.seq.max_seq.wrapping_sub(seq));
        if back == 0 || back >= u64::from(WINDOW) || back > self.max_ext_seq - self.base_ext_seq {
            return Some(false);
        }
        let i = ((self.max_ext_seq - back) % u64::from(WINDOW)) as usize;
        Some(self.seq.window[i / 64] & (1 << (i % 64)) == 0)
    }

    fn clear_bit(&mut self, ext: u64) {
        let i = (ext % u64::from(WINDOW)) as usize;
        self.seq.window[i / 64] &= !(1 << (i % 64));
    }

    /// RFC 3550 A.1-style sequence update.
    fn sequence(&mut self, seq: u16) {
        if !self.seq.started {
            self.seq.started = true;
            self.seq.max_seq = seq;
            self.base_ext_seq = u64::from(seq);
            self.max_ext_seq = u64::from(seq);
            self.unique = 1;
            self.bit(u64::from(seq));
            return;
        }
        let delta = seq.wrapping_sub(self.seq.max_seq);
        if delta == 0 {
            self.duplicates += 1;
            return;
        }
        if u32::from(delta) < MAX_DROPOUT {
            // In order, possibly with a gap.
            if seq < self.seq.max_seq {
                self.seq.cycles += 1 << 16;
            }
            let new_ext = self.seq.cycles + u64::from(seq);
            // Clear window bits for the skipped numbers so late arrivals are not duplicates.
            let skipped = (new_ext - self.max_ext_seq).min(u64::from(WINDOW));
            for k in 1..skipped {
                self.clear_bit(new_ext - k);
            }
            self.seq.max_seq = seq;
            self.max_ext_seq = new_ext;
            self.bit(new_ext);
            self.unique += 1;
        } else if u32::from(delta) <= 65536 - MAX_MISORDER {
            // A large jump: a restart of the sender's sequence. Start a new base.
            self.seq_jumps += 1;
            let lost_before = self.lost();
            self.seq.cycles = 0;
            self.seq.max_seq = seq;
            self.seq.window = Default::default();
            // Keep the loss seen so far by shifting the base.
            self.max_ext_seq = u64::from(seq) + (1 << 32);
            self.base_ext_seq = self.max_ext_seq - (self.unique + lost_before);
            self.seq.cycles = 1 << 32;
            self.bit(self.max_ext_seq);
            self.unique += 1;
        } else {
            // Late: within MAX_MISORDER behind.
            let back = u64::from(self.seq.max_seq.wrapping_sub(seq));
            if back > self.max_ext_seq - self.base_ext_seq {
                // Earlier than the first packet seen: extends the base.
                self.base_ext_seq -= back - (self.max_ext_seq - self.base_ext_seq);
                let ext = self.base_ext_seq;
                self.bit(ext);
                self.unique += 1;
                self.reordered += 1;
                return;
            }
            let ext = self.max_ext_seq - back;
            if self.bit(ext) {
                self.duplicates += 1;
            } else {
                self.unique += 1;
                self.reordered += 1;
            }
        }
    }

    fn update_jitter(&mut self, now: i64, ts: u32) {
        let Some(rate) = self.clock_rate else {
            return;
        };
        // Transit in timestamp units; the constant offset cancels in the differences.
        let arrival = now as f64 * f64::from(rate) / 1e9;
        let transit = arrival - f64::from(ts);
        if let Some(prev) = self.jitter.prev_transit {
            let mut d = (transit - prev).abs();
            // Timestamps wrap at 2^32 units.
            if d > 2f64.powi(31) {
                d = (d - 2f64.powi(32)).abs();
            }
            self.jitter.jitter += (d - self.jitter.jitter) / 16.0;
            self.jitter_ms = Some(self.jitter.jitter * 1000.0 / f64::from(rate));
        }
        self.jitter.prev_transit = Some(transit);
    }

    fn infer_rate(&mut self, now: i64, ts: u32) {
        // An inferred rate is refined over the first ten seconds: a sender's first second
        // can be irregular enough to put 48 kHz audio nearer 44.1 kHz.
        let refining = self.clock_source == Some(ClockSource::Inferred);
        if self.clock_rate.is_some() && !refining {
            return;
        }
        match self.infer {
            None => self.infer = Some((now, ts)),
            Some((t0, _)) if refining && now - t0 > INFER_REFINE_NS => {}
            Some((t0, ts0)) => {
                let dt = now - t0;
                if dt >= 1_000_000_000 && self.packets >= 20 {
                    let dts = ts.wrapping_sub(ts0);
                    let est = f64::from(dts) / (dt as f64 / 1e9);
                    if let Some(r) = snap_rate(est) {
                        if self.clock_rate.is_some_and(|c| c != r) {
                            // Jitter measured at the wrong rate is meaningless: start again.
                            self.jitter = JitterState::default();
                            self.jitter_ms = None;
                        }
                        self.clock_rate = Some(r);
                        self.clock_source = Some(ClockSource::Inferred);
                        if self.kind == MediaKind::Unknown {
                            self.kind = if r == 90000 {
                                MediaKind::Video
                            } else {
                                MediaKind::Audio
                            };
                        }
                    } else if dt >= 5_000_000_000 {
                        // No consistent rate (RTX, FEC, irregular senders): stop trying.
                        self.infer = Some((i64::MAX, 0));
                    }
                }
            }
        }
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Default for Streams {
    fn default() -> Self {
        Self::with_cap(MAX_STREAMS)
    }
}

impl Streams {
    /// An empty table holding at most `max_streams` streams.
    pub fn with_cap(max_streams: usize) -> Self {
        Streams {
            map: LruMap::new(max_streams),
            by_ssrc: Map::default(),
            series_buckets: 0,
            max_series_buckets: usize::MAX,
            hints: MediaHints::default(),
            dropped: 0,
            sr_seen: LruMap::new(max_streams),
            extmap_inference: ExtmapInference::default(),
            inferring: 0,
            rtcp_senders: LruMap::new(MAX_RTCP_SENDERS),
            nacks: LruMap::new(MAX_NACK_FLOWS),
            srtp_tag_len: None,
            twcc: crate::twcc::TransportFeedback::default(),
            twcc_id: None,
            twcc_probe: 0,
        }
    }
}

/// The largest body (after the RTP header) of an SRTP packet taken for padding-only: 255
/// padding bytes and the longest tag (16).
const MAX_PADDING_ONLY_BODY: u64 = 255 + 16;
/// How long after a NACK an RTX packet counts as its answer (under SRTCP, where the NACK's
/// sequence numbers are encrypted).
const NACK_WINDOW_NS: i64 = 1_000_000_000;
/// NACKed sequence numbers remembered per flow direction (cleartext RTCP).
const MAX_NACKED: usize = 512;
/// Flow directions whose NACKs are remembered.
const MAX_NACK_FLOWS: usize = 10_000;

/// NACKs seen in one direction of a flow.
#[derive(Clone, Debug, Default)]
struct NacksSeen {
    /// When the last one was seen.
    last_ns: i64,
    /// (media SSRC, sequence number) NACKed, most recent last (cleartext RTCP only).
    seqs: std::collections::VecDeque<(u32, u16)>,
}

/// Packets of a stream whose header extensions are read for mid/rid/repaired-rid; senders put
/// them in the first packets (libwebrtc stops once the receiver has seen them).
const EXTENSION_SCAN_PACKETS: u64 = 200;
/// Token-valued header-extension elements kept per stream (by id) while the ids are unknown.
const MAX_EXT_TOKENS: usize = 4;

/// Key of a stream: flow, direction, SSRC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamKey {
    /// The flow.
    pub flow: FlowKey,
    /// Direction on the flow (a → b).
    pub forward: bool,
    /// SSRC.
    pub ssrc: u32,
}

impl std::hash::Hash for StreamKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.flow.hash(state);
        state.write_u64(u64::from(self.ssrc) << 1 | u64::from(self.forward));
    }
}

/// All streams.
pub struct Streams {
    /// Streams by key; beyond [`MAX_STREAMS`] the stream used least recently is evicted.
    pub map: LruMap<StreamKey, Stream>,
    /// The stream most recently created for an SSRC, for RTCP that travels on another flow
    /// than its media (no rtcp-mux). Entries leave with their stream.
    by_ssrc: Map<u32, StreamKey>,
    /// Series buckets stored across the streams.
    series_buckets: usize,
    /// Budget of the series buckets stored across the streams; beyond it the series being written halves its
    /// resolution.
    pub max_series_buckets: usize,
    /// Media hints from SDPs.
    pub hints: MediaHints,
    /// Streams evicted because of [`MAX_STREAMS`] (their packets stay in the flows' counts).
    pub dropped: u64,
    /// Last SR seen per SSRC: middle 32 bits of its NTP time → capture time (for RTT).
    sr_seen: LruMap<u32, (u32, i64)>,
    /// Header-extension ids inferred from the packets, used when no SDP gave any.
    extmap_inference: ExtmapInference,
    /// Streams holding video-codec candidates now (at most
    /// [`crate::codec_inference::MAX_INFERRING`]).
    inferring: usize,
    /// RTCP datagrams per sender SSRC (the first packet's SSRC, which SRTCP leaves clear).
    pub rtcp_senders: LruMap<u32, RtcpSender>,
    /// NACKs per (flow, direction the NACK travelled).
    nacks: LruMap<(FlowKey, bool), NacksSeen>,
    /// The SRTP tag length of the negotiated profile, when the caller knows it; else it is
    /// inferred from padding probes or assumed (see [`TagLenSource`]).
    pub srtp_tag_len: Option<u8>,
    /// Packet sizes by transport-wide sequence number and the receive rate their
    /// transport-cc feedback shows (twcc.rs).
    pub twcc: crate::twcc::TransportFeedback,
    /// Without an SDP: the id inferred for the transport-wide sequence number, and packets
    /// since it was last asked for.
    twcc_id: Option<u8>,
    twcc_probe: u32,
}

/// One header-extension id as inferred from the packets (see
/// [`rtcscope_rtp::rtp::infer`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InferredExtensionReport {
    /// The id.
    pub id: u8,
    /// The extension's URI, or `None`: unknown.
    pub uri: Option<&'static str>,
    /// `likely` or `strong`, for a known one.
    pub confidence: Option<&'static str>,
    /// Packets that carried the id.
    pub packets: u32,
    /// Why, in words.
    pub evidence: &'static str,
}

impl From<&rtcscope_rtp::rtp::infer::InferredId> for InferredExtensionReport {
    fn from(i: &rtcscope_rtp::rtp::infer::InferredId) -> Self {
        use rtcscope_rtp::rtp::infer::Confidence;
        InferredExtensionReport {
            id: i.id,
            uri: i.kind.map(|k| k.uri()),
            confidence: i.confidence.map(|c| match c {
                Confidence::Likely => "likely",
                Confidence::Strong => "strong",
            }),
            packets: i.packets,
            evidence: i.evidence,
        }
    }
}

/// RTCP seen from one sender SSRC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RtcpSender {
    /// The sender SSRC.
    pub ssrc: u32,
    /// The flow its first RTCP came on (transport included).
    pub flow: FlowKey,
    /// Datagrams read as cleartext RTCP.
    pub clear: u64,
    /// Datagrams counted as SRTCP (only the first header and sender SSRC are clear).
    pub encrypted: u64,
}

/// Distinct RTCP senders kept.
pub const MAX_RTCP_SENDERS: usize = 10_000;

impl Streams {
    /// Feeds one RTP packet. Returns what probation decided: how many packets of this SSRC
    /// (this one included) now count as RTP, or none while the stream is unconfirmed or the
    /// packet does not parse.
    #[allow(clippy::too_many_arguments)]
    pub fn rtp(
        &mut self,
        now: i64,
        flow: FlowKey,
        forward: bool,
        src: std::net::SocketAddr,
        dst: std::net::SocketAddr,
        buf: &[u8],
        encrypted: bool,
    ) -> u64 {
        // A cleartext parse reads the padding count; when that fails the payload may be
        // ciphertext after all (SDES-SRTP without an SDP), so the header alone is read.
        let parsed = if encrypted {
            RtpPacket::new_checked_opaque(buf)
        } else {
            RtpPacket::new_checked(buf).or_else(|_| RtpPacket::new_checked_opaque(buf))
        };
        let Ok(p) = parsed else {
            return 0;
        };
        let key = StreamKey {
            flow,
            forward,
            ssrc: p.ssrc(),
        };
        let (dropped, by_ssrc, inferring) =
            (&mut self.dropped, &mut self.by_ssrc, &mut self.inferring);
        let buckets = &mut self.series_buckets;
        let slot = self.map.get_or_insert_slot(
            key,
            || Stream::new(p.ssrc(), flow, src, dst, now),
            |k, old| {
                *dropped += 1;
                if old.inference.as_ref().is_some_and(|i| i.is_open()) {
                    *inferring = inferring.saturating_sub(1);
                }
                *buckets -= old.series.stored_buckets()
                    + crate::quality::BUDGET_UNITS * old.quality.stored_buckets();
                if by_ssrc.get(&k.ssrc) == Some(&k) {
                    by_ssrc.remove(&k.ssrc);
                }
            },
        );
        // The rare cases that need other streams first: RTX payloads that were waiting for
        // their media stream to show whether the original arrived (see
        // `RtxRepairs::pending`) are settled; a new media stream takes the repairs its RTX
        // stream kept for it (`RtxRepairs::early`). Neither inserts nor removes a stream.
        let s = self.map.at_mut(slot);
        let mut early = None;
        if s.packets == 0 {
            self.by_ssrc.insert(key.ssrc, key);
            early = self.take_early(key);
        } else if s
            .repairs
            .as_ref()
            .is_some_and(|r| r.pending.iter().any(Option::is_some))
        {
            self.settle(key);
        }
        let s = self.map.at_mut(slot);
        let hints = &self.hints;
        let buckets = &mut self.series_buckets;
        s.encrypted |= encrypted;
        if s.packets > 0 && now - s.last_ns > s.longest_gap.map_or(0, |g| g.to_ns - g.from_ns) {
            s.longest_gap = Some(ArrivalGap {
                from_ns: s.last_ns,
                to_ns: now,
                seq_step: p.sequence_number().wrapping_sub(s.seq.max_seq),
            });
        }
        s.packets += 1;
        s.bytes += buf.len() as u64;
        s.header_bytes += p.header_len() as u64;
        s.last_ns = s.last_ns.max(now);
        *buckets = buckets.saturating_add_signed(s.series.add(now, buf.len() as u64, true));
        if *buckets > self.max_series_buckets {
            *buckets -= s.series.shrink(Series::MIN_KEEP);
        }
        if p.marker() {
            s.markers += 1;
        }
        let pt = p.payload_type();
        let full = s.payload_types.len() >= MAX_PAYLOAD_TYPES;
        match s.payload_types.iter_mut().find(|(t, _)| *t == pt) {
            Some((_, n)) => *n += 1,
            None if !full => s.payload_types.push((pt, 1)),
            None => {}
        }
        // The codec follows the dominant payload type (a video stream also carries RED/FEC
        // payload types now and then).
        let dominant = s
            .payload_types
            .iter()
            .max_by_key(|(_, n)| *n)
            .map_or(pt, |(t, _)| *t);
        if s.codec_pt != Some(dominant) {
            s.codec_pt = Some(dominant);
            s.apply_codec(dominant, hints);
        }
        if s.kind == MediaKind::Unknown {
            if let Some(mid) = hints.ssrc_mid.get(&s.ssrc).or(s.mid.as_ref()) {
                if let Some(k) = hints.mid_kind.get(mid) {
                    s.kind = *k;
                }
            }
        }
        if let Some(&(media, _)) = hints.fid.iter().find(|(_, rtx)| *rtx == s.ssrc) {
            s.rtx_of = Some(media);
            s.rtx_reason.get_or_insert("SDP ssrc-group FID");
        }
        if hints.codecs.get(&pt).is_some_and(|c| is_fec(&c.name)) {
            s.fec_packets += 1;
        }
        // Bytes as getStats counts them, and padding-only probes apart from retransmissions.
        let opaque = p.is_payload_opaque();
        let body = (buf.len() - p.header_len()) as u64;
        s.raw.body += body;
        if opaque {
            s.raw.srtp += 1;
        } else {
            s.raw.clear_padding += p.padding_len() as u64;
        }
        // libwebrtc probes only with video (on the RTX SSRC when there is one).
        let video = s.kind == MediaKind::Video
            || s.encapsulation == Some(Encapsulation::Rtx)
            || s.rtx_of.is_some()
            || (s.kind == MediaKind::Unknown && s.clock_rate == Some(90000));
        // A padded SRTP packet exactly as long as a libwebrtc probe (255 or 224 bytes of
        // padding and a 4-, 10- or 16-byte tag) is one whatever the stream is known to be.
        let probe_sized = [255u64, 224]
            .iter()
            .any(|pad| [4u64, 10, 16].iter().any(|tag| body == pad + tag));
        let padding_only = p.has_padding()
            && if opaque {
                (video && body <= MAX_PADDING_ONLY_BODY) || probe_sized
            } else {
                p.payload().is_empty()
            };
        if p.has_padding() {
            s.padded += 1;
        }
        if padding_only {
            s.padding_only += 1;
            if opaque {
                s.raw.srtp_padding_only += 1;
                s.raw.srtp_padding_only_body += body;
                s.raw.probe_body = Some(body);
            } else {
                s.raw.clear_padding_only += p.padding_len() as u64;
            }
        } else if hints.codecs.get(&pt).is_some_and(Codec::is_rtx)
            || s.rtx_of.is_some()
            || s.repaired_rid.is_some()
        {
            s.rtx_payload += 1;
            let nacked = match self.nacks.get(&(flow, !forward)) {
                None => false,
                Some(n) if opaque => now - n.last_ns <= NACK_WINDOW_NS,
                Some(n) => p.payload().get(..2).is_some_and(|osn| {
                    let osn = u16::from_be_bytes([osn[0], osn[1]]);
                    n.seqs
                        .iter()
                        .any(|&(m, q)| q == osn && s.rtx_of.is_none_or(|x| x == m))
                }),
            };
            if nacked {
                s.retransmissions += 1;
                if opaque {
                    s.raw.retransmitted_body += body;
                    s.raw.retransmitted_srtp += 1;
                } else {
                    s.raw.retransmitted_body += p.payload().len() as u64;
                }
            } else {
                s.rtx_probes += 1;
                // A readable payload answering no NACK: a repair if its original sequence
                // number turns out to be a gap in the media stream (Firefox also retransmits
                // what the receiver's transport-wide feedback reported missing, with no NACK
                // on the wire); settled once the media stream has passed that number.
                if let (false, Some(o)) = (opaque, p.payload().get(..2)) {
                    if s.rtx_of.is_some() {
                        let bytes = u32::try_from(p.payload().len()).unwrap_or(u32::MAX);
                        s.repairs
                            .get_or_insert_with(Box::default)
                            .defer(u16::from_be_bytes([o[0], o[1]]), bytes);
                    }
                }
            }
        }
        if !opaque && s.encapsulation == Some(Encapsulation::Red) {
            s.red_payload(p.payload(), hints);
        }
        for e in early.iter().flatten().flatten() {
            s.track_repair(e.now, e.codec, e.ts, e.marker, e.info);
        }
        if !opaque && !padding_only && s.rtx_of.is_none() && s.repaired_rid.is_none() {
            s.video_payload(now, &p, hints, &mut self.inferring);
        }
        // A readable RTX payload goes to its media stream's frames (below, once this stream is
        // let go): (media SSRC, repaired payload type, payload after the original number).
        let repair = match (opaque || padding_only, s.rtx_of, p.payload().get(2..)) {
            (false, Some(media), Some(data)) => {
                Some((media, hints.codecs.get(&pt).and_then(|c| c.apt), data))
            }
            _ => None,
        };
        let want_ids = s.packets <= EXTENSION_SCAN_PACKETS
            && (s.mid.is_none() || s.rid.is_none() || s.repaired_rid.is_none());
        if hints.extmap.is_none() {
            // No SDP: the ids are inferred from the packets (never assumed); tokens are kept
            // per id until the inference says which one is the mid.
            self.extmap_inference.observe(now, &p);
            if let (true, Some(ext)) = (want_ids, p.extension()) {
                for e in ext.iter().map_while(Result::ok) {
                    let known = s.ext_tokens.iter().any(|(id, _)| *id == e.id);
                    if let (false, true, Ok(t)) = (
                        known,
                        s.ext_tokens.len() < MAX_EXT_TOKENS,
                        std::str::from_utf8(e.data),
                    ) {
                        if is_token(t) {
                            s.ext_tokens.push((e.id, t.to_owned()));
                        }
                    }
                }
            }
        } else if let (true, Some(ext), Some(map)) = (want_ids, p.extension(), &hints.extmap) {
            for e in ext.iter().map_while(Result::ok) {
                // Keep only values that are valid tokens (RFC 8843 mid, RFC 8851 rid:
                // alphanumerics, '-' and '_').
                match map.decode(&e) {
                    Ok(ExtensionValue::Mid(m)) if s.mid.is_none() && is_token(m) => {
                        s.mid = Some(m.to_owned());
                    }
                    Ok(ExtensionValue::Rid(r)) if s.rid.is_none() && is_token(r) => {
                        s.rid = Some(r.to_owned());
                    }
                    Ok(ExtensionValue::RepairedRid(r))
                        if s.repaired_rid.is_none() && is_token(r) =>
                    {
                        s.repaired_rid = Some(r.to_owned());
                        s.rtx_reason
                            .get_or_insert("repaired-rtp-stream-id extension");
                    }
                    _ => {}
                }
            }
        }
        let before = s.max_ext_seq;
        let had = s.unique;
        let reordered_before = s.reordered;
        let expected_before = s.expected();
        s.sequence(p.sequence_number());
        s.infer_rate(now, p.timestamp());
        let jitter_ms = if s.rtx_reason.is_none() {
            s.update_jitter(now, p.timestamp());
            s.jitter_ms
        } else {
            None
        };
        // On the bandwidth series' grid: it coarsened first (above) if it had to. Quality
        // buckets count in the same budget (at their size in series buckets).
        const UNITS: usize = crate::quality::BUDGET_UNITS;
        let freed = s.quality.coarsen_to(s.series.bucket_ns);
        let grown = s.quality.packet(
            now,
            PacketQuality {
                expected: s.expected() - expected_before,
                duplicate: s.unique == had,
                late: s.reordered > reordered_before,
                jitter_ms,
            },
        );
        let buckets = &mut self.series_buckets;
        *buckets = buckets.saturating_sub(UNITS * freed);
        *buckets = buckets.saturating_add_signed(UNITS as isize * grown);
        if *buckets > self.max_series_buckets {
            *buckets = buckets.saturating_sub(s.shrink_buckets());
        }
        let counted = if s.confirmed {
            1
        } else if had > 0 && s.max_ext_seq == before + 1 {
            // RFC 3550 A.1 probation: the next packet in sequence confirms the source.
            s.confirmed = true;
            s.packets
        } else {
            0
        };
        if let Some((ssrc, apt, data)) = repair {
            let (ts, marker) = (p.timestamp(), p.marker());
            match self.map.peek_mut(&StreamKey { ssrc, ..key }) {
                Some(media) => {
                    let read = apt
                        .or(media.codec_pt)
                        .and_then(|pt| read_repair(pt, data, &self.hints));
                    if let Some((codec, info)) = read {
                        media.track_repair(now, codec, ts, marker, info);
                    }
                }
                None => {
                    // No packet of the media stream yet: kept (on this RTX stream, still at
                    // its slot) for its first one.
                    if let Some((codec, info)) =
                        apt.and_then(|pt| read_repair(pt, data, &self.hints))
                    {
                        self.map
                            .at_mut(slot)
                            .repairs
                            .get_or_insert_with(Box::default)
                            .keep_early(EarlyRepair {
                                now,
                                ts,
                                marker,
                                codec,
                                info,
                            });
                    }
                }
            }
        }
        counted
    }

    /// Feeds one RTCP datagram. Cleartext compound packets are read fully; SRTCP (or anything
    /// whose compound structure does not check out) is counted by its clear sender SSRC only.
    ///
    /// Report blocks and sender reports update the streams of their SSRC on `flow` (either
    /// direction), or, when that flow carries none (RTCP on its own port), the stream last
    /// created for that SSRC: a constant number of lookups per block, whatever the table holds.
    /// NACKs are remembered per direction (`forward`: a → b of the flow) so that RTX packets
    /// answering them count as retransmissions; under SRTCP only a NACK that comes first in
    /// its datagram shows (its header is the clear part).
    pub fn rtcp(
        &mut self,
        now: i64,
        flow: FlowKey,
        forward: bool,
        buf: &[u8],
        protection: RtcpProtection,
    ) -> RtcpSeen {
        use rtcscope_rtp::rtcp::feedback::FeedbackKind;
        use rtcscope_rtp::rtcp::{Compound, RtcpBody};
        if buf.len() < 8 {
            return RtcpSeen::Malformed;
        }
        let sender = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let clear = match protection {
            RtcpProtection::Authenticated => true,
            RtcpProtection::Srtcp => false,
            RtcpProtection::Unknown => Compound::new(buf).check(true).is_ok(),
        };
        let seen = if clear {
            RtcpSeen::Clear { sender }
        } else {
            RtcpSeen::Encrypted { sender }
        };
        let e = self.rtcp_senders.get_or_insert_with(
            sender,
            || RtcpSender {
                ssrc: sender,
                flow,
                clear: 0,
                encrypted: 0,
            },
            |_, _| {},
        );
        match seen {
            RtcpSeen::Clear { .. } => e.clear += 1,
            _ => e.encrypted += 1,
        }
        if matches!(seen, RtcpSeen::Encrypted { .. }) {
            // RTPFB (205) with FMT 1: a generic NACK.
            if buf[1] == 205 && buf[0] & 0x1f == 1 {
                self.nack_seen(now, flow, forward);
            }
            return seen;
        }
        let compound = Compound::new(buf);
        for p in compound.iter().map_while(Result::ok) {
            match p.body() {
                Ok(RtcpBody::SenderReport(sr)) => {
                    let mid32 = (sr.ntp_timestamp() >> 16) as u32;
                    *self
                        .sr_seen
                        .get_or_insert_with(sr.ssrc(), || (mid32, now), |_, _| {}) = (mid32, now);
                    self.for_ssrc(flow, sr.ssrc(), |s| {
                        s.sender_reports += 1;
                        s.sr_packet_count = Some(sr.packet_count());
                    });
                    for b in sr.report_blocks().map_while(Result::ok) {
                        self.report_block(now, flow, &b);
                    }
                }
                Ok(RtcpBody::ReceiverReport(rr)) => {
                    for b in rr.report_blocks().map_while(Result::ok) {
                        self.report_block(now, flow, &b);
                    }
                }
                Ok(RtcpBody::Feedback(fb)) => match fb.kind() {
                    Ok(FeedbackKind::Nack(e)) => {
                        let n = self.nack_seen(now, flow, forward);
                        for q in e.lost_sequences() {
                            if n.seqs.len() >= MAX_NACKED {
                                n.seqs.pop_front();
                            }
                            n.seqs.push_back((fb.media_ssrc(), q));
                        }
                    }
                    Ok(FeedbackKind::TransportCc(t)) => self.twcc.feedback(now, flow, forward, &t),
                    _ => {}
                },
                _ => {}
            }
        }
        RtcpSeen::Clear { sender }
    }

    fn nack_seen(&mut self, now: i64, flow: FlowKey, forward: bool) -> &mut NacksSeen {
        let n = self
            .nacks
            .get_or_insert_with((flow, forward), NacksSeen::default, |_, _| {});
        n.last_ns = now;
        n
    }

    /// Applies `f` to the streams of `ssrc` on `flow`, or else to the stream last created for it.
    fn for_ssrc(&mut self, flow: FlowKey, ssrc: u32, mut f: impl FnMut(&mut Stream)) {
        let mut found = false;
        for forward in [true, false] {
            if let Some(s) = self.map.peek_mut(&StreamKey {
                flow,
                forward,
                ssrc,
            }) {
                f(s);
                found = true;
            }
        }
        if !found {
            if let Some(s) = self.by_ssrc.get(&ssrc).and_then(|k| self.map.peek_mut(k)) {
                f(s);
            }
        }
    }

    fn report_block(
        &mut self,
        now: i64,
        flow: FlowKey,
        b: &rtcscope_rtp::rtcp::report::ReportBlock<'_>,
    ) {
        let view = ReceiverView {
            fraction_lost: f64::from(b.fraction_lost()) / 256.0,
            cumulative_lost: b.cumulative_lost(),
            jitter: b.jitter(),
        };
        // RTT at the capture point: (arrival of this RR) − (arrival of the SR it echoes) −
        // DLSR. Units of LSR/DLSR are 1/65536 s.
        let rtt = self.sr_seen.get(&b.ssrc()).and_then(|&(mid, seen)| {
            (b.last_sr() == mid && mid != 0).then(|| {
                let dlsr_ns = i64::from(b.delay_since_last_sr()) * 1_000_000_000 / 65536;
                (now - seen - dlsr_ns) as f64 / 1e6
            })
        });
        // The change in budgeted buckets (crate::quality::BUDGET_UNITS per quality bucket).
        let mut delta = 0isize;
        let (used, max) = (self.series_buckets, self.max_series_buckets);
        self.for_ssrc(flow, b.ssrc(), |s| {
            s.receiver_report = Some(view);
            if let Some(r) = rtt {
                const UNITS: isize = crate::quality::BUDGET_UNITS as isize;
                s.rtcp_rtt_ms = Some(r);
                delta -= UNITS * s.quality.coarsen_to(s.series.bucket_ns) as isize;
                delta += UNITS * s.quality.rtt(now, r);
                // A report after the stream's last packet may have coarsened the quality
                // series on its own: the bandwidth series follows, to keep one grid.
                delta -= s.series.coarsen_to(s.quality.bucket_ns) as isize;
                if used.saturating_add_signed(delta) > max {
                    delta -= s.shrink_buckets() as isize;
                }
            }
        });
        self.series_buckets = self.series_buckets.saturating_add_signed(delta);
    }

    /// Packs the series of the streams quiet since before `cutoff_ns` ([`Series::pack`]),
    /// from the least recently used on, stopping at the first stream that is not; returns the
    /// streams looked at and the heap bytes saved.
    pub(crate) fn pack_quiet(&mut self, cutoff_ns: i64) -> (usize, usize) {
        let mut saved = 0;
        let walked = self.map.walk_lru_mut(|s| {
            if s.last_ns >= cutoff_ns {
                return false;
            }
            saved += s.series.pack() + s.quality.pack();
            true
        });
        (walked, saved)
    }

    /// A snapshot of every stream with the end-of-capture conclusions applied: without SDP,
    /// streams whose packets all carry the padding bit look like padding probes or RTX, and
    /// repaired-rid streams are paired with the stream carrying that rid.
    pub fn clone_finished(&self) -> Vec<Stream> {
        self.finished(self.map.clone())
    }

    /// [`Streams::clone_finished`] for an engine that is done: the streams are moved out, not
    /// copied (at the end of a capture of thousands of calls the copy was the peak of memory).
    /// The streams are empty afterwards; what else they hold (the inferred header-extension
    /// ids, the RTCP senders, the counters) stays.
    pub fn take_finished(&mut self) -> Vec<Stream> {
        let map = std::mem::replace(&mut self.map, Streams::with_cap(1).map);
        self.finished(map)
    }

    fn finished(&self, map: LruMap<StreamKey, Stream>) -> Vec<Stream> {
        let mut copy = Streams {
            map,
            srtp_tag_len: self.srtp_tag_len,
            ..Streams::with_cap(1)
        };
        let mid_id = self.inferred_mid_id();
        for s in copy.map.values_mut() {
            if s.mid.is_none() {
                s.mid = self.mid_of(s, mid_id);
            }
        }
        copy.finish();
        // In the table's own allocation where it can be: the table and a second vector of
        // its streams side by side were the report's peak of memory.
        copy.map.into_values_where(|s| s.confirmed)
    }

    /// One stream as it stands now, with its video frames' report filled in (what a live view
    /// of the selected stream shows); none when the stream is not held.
    pub fn current(&self, key: &StreamKey) -> Option<Stream> {
        let mut s = self.map.get(key)?.clone();
        s.frames = s.frame_tracker.as_ref().map(|t| Box::new(t.report()));
        s.codec_inference = s.inference.as_ref().map(|i| Box::new(i.report()));
        Some(s)
    }

    /// The decryption seam for RED: the decrypted payload of one RTP packet of stream `key`.
    /// Its RED block header names the codec inside exactly, which then replaces the SDP's
    /// suggestion ([`CodecSource::RedHeader`]). Returns whether it did.
    pub fn red_payload_decrypted(&mut self, key: &StreamKey, payload: &[u8]) -> bool {
        let hints = &self.hints;
        self.map
            .peek_mut(key)
            .is_some_and(|s| s.red_payload(payload, hints))
    }

    /// Remembers the size of an RTP packet (`wire`: as sent, SRTP with its tag) that carries a
    /// transport-wide sequence number, for the receive rate of its transport-cc feedback. The
    /// id is the SDP's (`a=extmap`), or without an SDP the one the packets show
    /// ([`Streams::inferred_extmap`], asked at each of the first 256 packets with extensions,
    /// then every 1,024 until it names one; then it stays).
    pub fn transport_sent(&mut self, now: i64, flow: FlowKey, forward: bool, wire: &[u8]) {
        use rtcscope_rtp::rtp::ExtensionKind;
        let Ok(p) = RtpPacket::new_checked_opaque(wire) else {
            return;
        };
        if p.extension().is_none() {
            return;
        }
        let id = match &self.hints.extmap {
            Some(m) => m
                .id_of(ExtensionKind::TransportCc)
                .or_else(|| m.id_of(ExtensionKind::TransportCc02)),
            None => {
                // Every packet at first (sizes are lost until the id is known), then
                // sparingly (a capture may carry extensions and never this one; the inference's
                // answer is a small vector); once known, the id stays.
                if self.twcc_id.is_none() && (self.twcc_probe < 256 || self.twcc_probe % 1024 == 0)
                {
                    self.twcc_id = self
                        .extmap_inference
                        .result()
                        .id_of(ExtensionKind::TransportCc);
                }
                self.twcc_probe = self.twcc_probe.wrapping_add(1);
                self.twcc_id
            }
        };
        if let Some(seq) = id.and_then(|id| crate::twcc::transport_sequence(&p, id)) {
            self.twcc.sent(now, flow, forward, seq, wire.len());
        }
    }

    /// Without an SDP: what the packets show about the header-extension ids (`None` when an
    /// SDP gave them). `dissect` decodes with the same inference.
    pub fn inferred_extmap(&self) -> Option<InferredExtmap> {
        self.hints
            .extmap
            .is_none()
            .then(|| self.extmap_inference.result())
    }

    /// The id inferred to carry the mid (`None` with an SDP or when it cannot be told).
    pub fn inferred_mid_id(&self) -> Option<u8> {
        self.inferred_extmap()
            .and_then(|m| m.id_of(rtcscope_rtp::rtp::ExtensionKind::Mid))
    }

    /// A stream's mid: read with the SDP's ids, or, without an SDP, the token it carried on
    /// the id inferred to be the mid (`mid_id`, from [`Streams::inferred_mid_id`]).
    pub fn mid_of(&self, s: &Stream, mid_id: Option<u8>) -> Option<String> {
        s.mid.clone().or_else(|| {
            let id = mid_id?;
            s.ext_tokens
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, t)| t.clone())
        })
    }

    /// The SRTP tag length each flow's padding probes imply ([`Streams::tag_of`]).
    pub(crate) fn probed_tags(&self) -> Map<FlowKey, u8> {
        let mut probed: Map<FlowKey, u8> = Map::default();
        for s in self.map.values() {
            if let Some(t) = s.probe_tag_len() {
                probed.entry(s.flow).or_insert(t);
            }
        }
        probed
    }

    /// The SRTP tag length of a stream: the caller's (the negotiated profile), else what
    /// padding probes on its flow imply (`probed`, [`Streams::probed_tags`]), else WebRTC's
    /// usual 10 bytes.
    pub(crate) fn tag_of(&self, probed: &Map<FlowKey, u8>, s: &Stream) -> (u8, TagLenSource) {
        tag_for(self.srtp_tag_len, probed, &s.flow)
    }

    /// The repairs kept for the media stream `key` by its RTX stream (the SDP's FID pair on the
    /// same flow and direction), taken.
    fn take_early(&mut self, key: StreamKey) -> Option<[Option<EarlyRepair>; EARLY_KEPT]> {
        let &(_, rtx) = self.hints.fid.iter().find(|(m, _)| *m == key.ssrc)?;
        let r = self
            .map
            .peek_mut(&StreamKey { ssrc: rtx, ..key })?
            .repairs
            .as_mut()?;
        r.early
            .iter()
            .any(Option::is_some)
            .then(|| std::mem::take(&mut r.early))
    }

    /// Settles the pending RTX payloads of the RTX stream `key` against its media stream: an
    /// original sequence number the media stream has passed without ever carrying is a repair
    /// (a retransmission, once per number); one it carried, or that fell out of its window,
    /// stays a probe; one still ahead stays pending.
    fn settle(&mut self, key: StreamKey) {
        let Some(rtx) = self.map.get(&key) else {
            return;
        };
        let Some(pending) = rtx
            .repairs
            .as_ref()
            .map(|r| r.pending)
            .filter(|p| p.iter().any(Option::is_some))
        else {
            return;
        };
        let Some(media) = rtx
            .rtx_of
            .and_then(|ssrc| self.map.get(&StreamKey { ssrc, ..key }))
        else {
            return;
        };
        let verdicts = pending.map(|p| p.and_then(|(osn, _)| media.gap(osn)));
        let Some(s) = self.map.peek_mut(&key) else {
            return;
        };
        let Some(r) = s.repairs.as_mut() else {
            return;
        };
        // Every slot taken: the next payload to wait overwrites the oldest (the slot at
        // `pending_next`). An original sequence number the media stream has not reached yet was
        // sent and never captured: lost before the capture point, so its RTX copy is a repair
        // (after an outage Firefox retransmits dozens before the next media packet).
        let full = pending.iter().all(Option::is_some);
        for (i, verdict) in verdicts.into_iter().enumerate() {
            let Some((osn, bytes)) = r.pending[i] else {
                continue;
            };
            let repair = match verdict {
                Some(gap) => gap,
                None if full && i == r.pending_next => true,
                None => continue,
            };
            r.pending[i] = None;
            if repair && r.first_repair(osn) {
                s.retransmissions += 1;
                s.rtx_probes -= 1;
                s.raw.retransmitted_body += u64::from(bytes);
            }
        }
    }

    fn finish(&mut self) {
        let rtx: Vec<StreamKey> = self
            .map
            .iter()
            .filter(|(_, s)| {
                s.repairs
                    .as_ref()
                    .is_some_and(|r| r.pending.iter().any(Option::is_some))
            })
            .map(|(k, _)| *k)
            .collect();
        for key in rtx {
            self.settle(key);
        }
        let probed = self.probed_tags();
        let own_tag = self.srtp_tag_len;
        for s in self.map.values_mut() {
            s.expected = s.expected();
            s.lost = s.lost();
            s.frames = s.frame_tracker.as_ref().map(|t| Box::new(t.report()));
            s.codec_inference = s.inference.as_ref().map(|i| Box::new(i.report()));
            s.rtx_reason = s.rtx_or_padding_reason();
            let (tag, source) = tag_for(own_tag, &probed, &s.flow);
            s.finish_bytes(tag, source);
        }
        // Pair repaired-rid streams with the stream carrying that rid on the same flow.
        let rids: Vec<(FlowKey, bool, String, u32)> = self
            .map
            .values()
            .filter_map(|s| s.rid.clone().map(|r| (s.flow, s.src < s.dst, r, s.ssrc)))
            .collect();
        for s in self.map.values_mut() {
            if let (Some(rr), None) = (&s.repaired_rid, s.rtx_of) {
                if let Some((_, _, _, media)) = rids
                    .iter()
                    .find(|(f, d, r, _)| *f == s.flow && *d == (s.src < s.dst) && r == rr)
                {
                    s.rtx_of = Some(*media);
                }
            }
        }
    }
}

/// An SRTP tag length: the negotiated profile's (`own`), else what padding probes on the flow
/// imply (`probed`), else WebRTC's usual 10 bytes.
fn tag_for(own: Option<u8>, probed: &Map<FlowKey, u8>, flow: &FlowKey) -> (u8, TagLenSource) {
    match (own, probed.get(flow)) {
        (Some(t), _) => (t, TagLenSource::Profile),
        (None, Some(&t)) => (t, TagLenSource::PaddingProbes),
        (None, None) => (10, TagLenSource::Assumed),
    }
}

/// What is known of an RTCP datagram's protection when [`Streams::rtcp`] is given it, which
/// decides how much of it is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtcpProtection {
    /// Nothing says it is SRTCP: read fully when its compound structure checks out (RFC 3550
    /// §6.1), else counted as SRTCP by its clear sender SSRC.
    Unknown,
    /// SRTCP that was not decrypted (the SDP or a DTLS handshake on the flow says so): only the
    /// clear sender SSRC and first header are read.
    Srtcp,
    /// The plaintext of an SRTCP packet that authenticated: read fully whatever its compound
    /// structure (Firefox closes with a reduced-size REMB + BYE, two packets and no report,
    /// which the compound check would take for ciphertext).
    Authenticated,
}

/// What an RTCP datagram turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtcpSeen {
    /// Cleartext RTCP, fully read.
    Clear {
        /// Sender SSRC of the first packet.
        sender: u32,
    },
    /// SRTCP (or not checkable): only the sender SSRC is clear.
    Encrypted {
        /// Sender SSRC.
        sender: u32,
    },
    /// Too short to be RTCP.
    Malformed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Transport;

    fn key() -> FlowKey {
        FlowKey::of(
            Transport::Udp,
            "10.0.0.1:1".parse().unwrap(),
            "10.0.0.2:2".parse().unwrap(),
            None,
        )
        .0
    }

    fn rtp(seq: u16, ts: u32, pt: u8) -> Vec<u8> {
        let mut p = vec![0x80, pt, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34];
        p[2..4].copy_from_slice(&seq.to_be_bytes());
        p[4..8].copy_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&[0xaa; 20]);
        p
    }

    fn feed(seqs: &[u16]) -> Stream {
        let mut s = Streams::default();
        let a = "10.0.0.1:1".parse().unwrap();
        let b = "10.0.0.2:2".parse().unwrap();
        for (i, &q) in seqs.iter().enumerate() {
            // (probation returns are checked in `probation_rejects_noise`)
            s.rtp(
                i as i64 * 20_000_000,
                key(),
                true,
                a,
                b,
                &rtp(q, i as u32 * 160, 0),
                false,
            );
        }
        s.map.into_values().next().unwrap()
    }

    #[test]
    fn loss_duplicates_reordering_and_wrap() {
        let s = feed(&[65533, 65534, 65535, 0, 2, 1, 1, 5]);
        // Expected 65533..=5 (extended) = 9; unique 7 (3 and 4 missing); 1 duplicate; 1 late.
        assert_eq!(s.expected(), 9);
        assert_eq!(s.unique, 7);
        assert_eq!(s.lost(), 2);
        assert_eq!(s.duplicates, 1);
        assert_eq!(s.reordered, 1);
        assert_eq!(s.codec.as_deref(), Some("PCMU"));
    }

    #[test]
    fn probation_rejects_noise_and_confirms_in_sequence() {
        let mut s = Streams::default();
        let a = "10.0.0.1:1".parse().unwrap();
        let b = "10.0.0.2:2".parse().unwrap();
        // Two packets of one SSRC with unrelated sequence numbers: noise.
        assert_eq!(s.rtp(0, key(), true, a, b, &rtp(100, 0, 12), false), 0);
        assert_eq!(s.rtp(1, key(), true, a, b, &rtp(9000, 0, 12), false), 0);
        assert!(s.clone_finished().is_empty());
        // A real stream: the second packet in sequence confirms both.
        let mut s = Streams::default();
        assert_eq!(s.rtp(0, key(), true, a, b, &rtp(7, 0, 0), false), 0);
        assert_eq!(s.rtp(1, key(), true, a, b, &rtp(8, 160, 0), false), 2);
        assert_eq!(s.rtp(2, key(), true, a, b, &rtp(9, 320, 0), false), 1);
        assert_eq!(s.clone_finished().len(), 1);
    }

    #[test]
    fn jitter_of_a_steady_stream_is_zero_and_grows_with_delay_variation() {
        let steady = feed(&(0..100).collect::<Vec<_>>());
        assert!(steady.jitter_ms.unwrap() < 0.01);
        let mut s = Streams::default();
        let a = "10.0.0.1:1".parse().unwrap();
        let b = "10.0.0.2:2".parse().unwrap();
        for i in 0..200u16 {
            // Alternate 0 and 10 ms of extra delay: |D| = 10 ms each step, J -> 10 ms.
            let extra = if i % 2 == 0 { 0 } else { 10_000_000 };
            s.rtp(
                i64::from(i) * 20_000_000 + extra,
                key(),
                true,
                a,
                b,
                &rtp(i, u32::from(i) * 160, 0),
                false,
            );
        }
        let j = s.map.values().next().unwrap().jitter_ms.unwrap();
        assert!((9.0..=10.5).contains(&j), "{j}");
    }

    #[test]
    fn snaps_to_the_nearest_common_rate() {
        // Both 44100 and 48000 are within 5 % of these; the nearer one wins.
        assert_eq!(snap_rate(46_500.0), Some(48000));
        assert_eq!(snap_rate(45_000.0), Some(44100));
        assert_eq!(snap_rate(70_000.0), None);
    }

    #[test]
    fn infers_90k_for_dynamic_video() {
        let mut s = Streams::default();
        let a = "10.0.0.1:1".parse().unwrap();
        let b = "10.0.0.2:2".parse().unwrap();
        for i in 0..60u16 {
            s.rtp(
                i64::from(i) * 33_333_333,
                key(),
                true,
                a,
                b,
                &rtp(i, u32::from(i) * 3000, 96),
                true,
            );
        }
        let st = s.map.values().next().unwrap();
        assert_eq!(st.clock_rate, Some(90000));
        assert_eq!(st.clock_source, Some(ClockSource::Inferred));
        assert_eq!(st.kind, MediaKind::Video);
    }
}
