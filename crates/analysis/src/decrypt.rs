//! Decryption inside the engine (issue #11): DTLS from NSS key logs, SRTP/SRTCP from the
//! DTLS-SRTP exporter or from SDES / `--srtp-key` keys, and the data channels inside DTLS.
//!
//! ```text
//! DTLS datagram ─ DtlsDecryptor (rtcscope-dtls, keys by client random)
//!     ├ handshake: version, suite, use_srtp profile → exporter → SrtpContext × 2
//!     └ application data → SCTP → DCEP / messages (datachannels.rs model, samples kept here)
//! SRTP / SRTCP on the same flow ─ SrtpContext of the sender's side → plaintext in a reused
//!     buffer → the engine's clear RTP / RTCP paths (streams.rs)
//! SRTP / SRTCP on a flow without DTLS ─ SDES (`a=crypto`) and `--srtp-key` keys
//! ```
//!
//! A packet that fails authentication is counted with its likely reason and goes on through
//! the encrypted path: its plaintext is never used. Keys never print: reports say where a key
//! came from and its length, never its bytes.
//!
//! State is bounded: at most [`MAX_ASSOCIATIONS`] DTLS associations are followed (beyond
//! it associations are counted, not decrypted), each with two SRTP contexts (their SSRC
//! tables are capped by rtcscope-srtp), at most [`MAX_MESSAGES`] data-channel message samples
//! of [`MAX_SAMPLE_BYTES`] bytes, and [`MAX_REASONS`] distinct failure reasons. SRTP and
//! SRTCP decrypt into one buffer reused for every packet.

use crate::datachannels;
use crate::flow::FlowKey;
use crate::Map;
use rtcscope_dtls::decrypt::{DtlsDecryptor, KeyLogIndex};
use rtcscope_dtls::record::{RecordHeader, Records};
use rtcscope_dtls::{ContentType, Side};
use rtcscope_sctp::chunk::{flags, ChunkBody};
use rtcscope_sctp::packet::Packet;
use rtcscope_sctp::Ppid;
use rtcscope_srtp::{ContextConfig, MasterKey, SrtpContext, SrtpError, SrtpProfile};
use serde::Serialize;
use std::net::SocketAddr;

/// DTLS associations followed for decryption (and counted without keys).
pub const MAX_ASSOCIATIONS: usize = 256;
/// Data-channel message samples kept per association (all are counted).
pub const MAX_MESSAGES: usize = 64;
/// Bytes of a message kept for display.
pub const MAX_SAMPLE_BYTES: usize = 256;
/// Distinct failure reasons kept per association or key set (all failures are counted).
pub const MAX_REASONS: usize = 8;
/// Streams (direction and SSRC) remembered with the SDES / `--srtp-key` key that opened them.
pub const MAX_SDES_STREAMS: usize = 4096;
/// The largest datagram decrypted (larger ones cannot be SRTP over UDP; over TCP framing
/// caps a message at 65535 bytes).
const BUFFER: usize = 65_536;

/// Which packets a `--srtp-key` key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyScope {
    /// Any packet that authenticates with it.
    Any,
    /// Packets of this SSRC (SRTCP: of this sender SSRC).
    Ssrc(u32),
    /// Packets sent from this address.
    Sender(SocketAddr),
}

impl std::fmt::Display for KeyScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyScope::Any => f.write_str("any SSRC"),
            KeyScope::Ssrc(s) => write!(f, "SSRC {s:#010x}"),
            KeyScope::Sender(a) => write!(f, "sender {a}"),
        }
    }
}

/// Parses a `--srtp-key` argument: `[SCOPE@]KEY`, where KEY is what rtcscope-srtp's
/// [`rtcscope_srtp::parse_srtp_key`] reads (`PROFILE:base64-or-hex key||salt`, or a whole
/// `a=crypto:` line) and SCOPE is an SSRC (`0x20c23467` or decimal) or the sender's
/// `IP:PORT` (`[v6]:port`). Errors never repeat the key text.
pub fn parse_scoped_key(spec: &str) -> Result<(KeyScope, MasterKey), String> {
    let (scope, key) = match spec.split_once('@') {
        Some((s, k)) => {
            let s = s.trim();
            let scope = if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                u32::from_str_radix(hex, 16).map(KeyScope::Ssrc).ok()
            } else if let Ok(n) = s.parse::<u32>() {
                Some(KeyScope::Ssrc(n))
            } else {
                s.parse::<SocketAddr>().map(KeyScope::Sender).ok()
            };
            let scope = scope.ok_or_else(|| {
                format!(
                    "the part before '@' ({} characters) is neither an SSRC (0x20c23467 or \
                     decimal) nor a sender IP:PORT",
                    s.chars().count()
                )
            })?;
            (scope, k)
        }
        None => (KeyScope::Any, spec),
    };
    let key = rtcscope_srtp::parse_srtp_key(key).map_err(|e| e.to_string())?;
    Ok((scope, key))
}

/// Where an SDES or `--srtp-key` key came from (for the report; never the key itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeySource {
    /// `--srtp-key #1`, `a=crypto tag 1 in offer.sdp`.
    pub source: String,
    /// The profile (SDES name).
    pub profile: &'static str,
    /// Which packets it is for.
    pub scope: String,
    /// Master key and salt lengths in bytes.
    pub key_len: usize,
    /// Salt length in bytes.
    pub salt_len: usize,
}

/// Keys given to the engine before packets (see [`crate::Engine::set_keys`]).
#[derive(Default)]
pub struct KeyStore {
    /// NSS key log lines (files and pcapng Decryption Secrets Blocks).
    pub keylog: KeyLogIndex,
    /// SDES and `--srtp-key` keys, with where they came from and their scope.
    pub srtp: Vec<(KeySource, KeyScope, MasterKey)>,
}

impl KeyStore {
    /// Adds an SRTP key (`source` names it in reports).
    pub fn add_srtp_key(&mut self, source: String, scope: KeyScope, key: MasterKey) {
        let p = key.profile();
        self.srtp.push((
            KeySource {
                source,
                profile: p.sdes_name(),
                scope: scope.to_string(),
                key_len: key.key().len(),
                salt_len: key.salt().len(),
            },
            scope,
            key,
        ));
    }

    /// Adds the keys of an SDP `a=crypto:` line from `file` (they protect what that SDP's
    /// sender sends; which sender that is the packets tell, so the scope is any SSRC).
    /// Returns how many keys it held.
    pub fn add_sdes(&mut self, file: &str, line: &str) -> Result<usize, String> {
        let c = rtcscope_srtp::parse_crypto_attribute(line.trim()).map_err(|e| e.to_string())?;
        let n = c.keys.len();
        for k in c.keys {
            self.add_srtp_key(
                format!("a=crypto tag {} in {file}", c.tag),
                KeyScope::Any,
                k.key,
            );
        }
        Ok(n)
    }

    /// True when no key of any kind was given.
    pub fn is_empty(&self) -> bool {
        self.keylog.is_empty() && self.srtp.is_empty()
    }
}

/// Failures counted by reason (the first [`MAX_REASONS`] reasons kept, the rest summed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Failures {
    /// All failures.
    pub count: u64,
    /// Reasons with their counts.
    pub reasons: Vec<(String, u64)>,
    /// Failures whose reason was not kept (beyond [`MAX_REASONS`] distinct reasons).
    pub other: u64,
}

impl Failures {
    fn add(&mut self, reason: String) {
        self.count += 1;
        if let Some(r) = self.reasons.iter_mut().find(|(s, _)| *s == reason) {
            r.1 += 1;
        } else if self.reasons.len() < MAX_REASONS {
            self.reasons.push((reason, 1));
        } else {
            self.other += 1;
        }
    }
}

/// SRTP figures of one key set (one DTLS association's two directions, or the SDES keys).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SrtpFigures {
    /// SRTP packets that authenticated and were decrypted.
    pub rtp_decrypted: u64,
    /// SRTCP packets that authenticated (and were decrypted unless sent with E = 0).
    pub rtcp_decrypted: u64,
    /// Authenticated packets seen before (replays or capture duplicates; still used once
    /// more, as the network delivered them).
    pub duplicates: u64,
    /// Packets refused, by likely reason: their plaintext is never used.
    pub failures: Failures,
    /// What the decrypted RTCP held.
    pub rtcp: RtcpFigures,
}

/// Media SSRCs whose feedback is counted per association or key set.
pub const MAX_FEEDBACK_SSRCS: usize = 32;
/// CNAMEs kept per association or key set.
pub const MAX_CNAMES: usize = 16;

/// Feedback about one media SSRC, from decrypted RTCP: what getStats counts on the sender's
/// `outbound-rtp` (`nackCount`, `pliCount`, `firCount`) and more.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FeedbackFigures {
    /// The media SSRC the feedback is about.
    pub media_ssrc: u32,
    /// Generic NACK packets (RFC 4585 §6.2.1).
    pub nack_packets: u64,
    /// Sequence numbers those NACKs asked for.
    pub nacked_sequences: u64,
    /// Picture loss indications.
    pub pli: u64,
    /// Full intra requests (FCI entries for this SSRC).
    pub fir: u64,
}

/// What decrypted RTCP held (all compound packets of a key set).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RtcpFigures {
    /// Sender reports.
    pub sender_reports: u64,
    /// Receiver reports.
    pub receiver_reports: u64,
    /// SDES packets.
    pub sdes: u64,
    /// `[ssrc, CNAME]` pairs (the first [`MAX_CNAMES`]).
    pub cnames: Vec<(u32, String)>,
    /// BYE packets.
    pub bye: u64,
    /// APP packets.
    pub app: u64,
    /// Extended reports (RFC 3611).
    pub xr: u64,
    /// Transport-wide congestion control feedback packets (draft-holmer-rmcat-transport-wide-cc).
    pub transport_cc: u64,
    /// Packets those reported on (status count), and of them reported received.
    pub transport_cc_packets: u64,
    /// Of which reported received.
    pub transport_cc_received: u64,
    /// RFC 8888 congestion control feedback packets.
    pub ccfb: u64,
    /// REMB packets and the last estimate (bit/s).
    pub remb: u64,
    /// The last REMB estimate in bit/s.
    pub remb_last_bps: Option<u64>,
    /// Other feedback (TMMBR/TMMBN, SLI, RPSI, other FMTs).
    pub other_feedback: u64,
    /// Per media SSRC: NACK, PLI, FIR (the first [`MAX_FEEDBACK_SSRCS`] SSRCs).
    pub feedback: Vec<FeedbackFigures>,
    /// Compound packets whose decrypted content did not parse to the end.
    pub parse_errors: u64,
    /// The receive rate the transport-cc feedback shows, per media direction of the
    /// association's flow (SDES keys: of the flows without a DTLS association); filled by
    /// the report from the engine's [`crate::twcc::TransportFeedback`].
    pub receive_rate: Vec<crate::twcc::ReceiveRate>,
}

impl RtcpFigures {
    fn for_media(&mut self, ssrc: u32) -> Option<&mut FeedbackFigures> {
        let i = match self.feedback.iter().position(|f| f.media_ssrc == ssrc) {
            Some(i) => i,
            None if self.feedback.len() < MAX_FEEDBACK_SSRCS => {
                self.feedback.push(FeedbackFigures {
                    media_ssrc: ssrc,
                    ..FeedbackFigures::default()
                });
                self.feedback.len() - 1
            }
            None => return None,
        };
        self.feedback.get_mut(i)
    }

    /// Counts what a decrypted compound RTCP packet holds.
    fn read(&mut self, compound: &[u8]) {
        use rtcscope_rtp::rtcp::feedback::FeedbackKind;
        use rtcscope_rtp::rtcp::{Compound, RtcpBody};
        for p in Compound::new(compound).iter() {
            let body = match p.and_then(|p| p.body()) {
                Ok(b) => b,
                Err(_) => {
                    self.parse_errors += 1;
                    break;
                }
            };
            match body {
                RtcpBody::SenderReport(_) => self.sender_reports += 1,
                RtcpBody::ReceiverReport(_) => self.receiver_reports += 1,
                RtcpBody::Sdes(sd) => {
                    self.sdes += 1;
                    for c in sd.chunks().map_while(Result::ok) {
                        for it in c.items() {
                            if it.item_type.0 != 1 {
                                continue;
                            }
                            let known = self.cnames.iter().any(|(x, _)| *x == c.ssrc());
                            if let (false, true, Ok(t)) =
                                (known, self.cnames.len() < MAX_CNAMES, it.text())
                            {
                                self.cnames.push((c.ssrc(), t.to_owned()));
                            }
                        }
                    }
                }
                RtcpBody::Bye(_) => self.bye += 1,
                RtcpBody::App(_) => self.app += 1,
                RtcpBody::ExtendedReport(_) => self.xr += 1,
                RtcpBody::Feedback(fb) => {
                    let media = fb.media_ssrc();
                    match fb.kind() {
                        Ok(FeedbackKind::Nack(e)) => {
                            let n = e.lost_sequences().count() as u64;
                            if let Some(f) = self.for_media(media) {
                                f.nack_packets += 1;
                                f.nacked_sequences += n;
                            }
                        }
                        Ok(FeedbackKind::Pli) => {
                            if let Some(f) = self.for_media(media) {
                                f.pli += 1;
                            }
                        }
                        Ok(FeedbackKind::Fir(e)) => {
                            // RFC 5104 §4.3.1: the media SSRC word is unused; each FCI entry
                            // names its SSRC.
                            for x in e.iter() {
                                if let Some(f) = self.for_media(x.ssrc) {
                                    f.fir += 1;
                                }
                            }
                        }
                        Ok(FeedbackKind::TransportCc(t)) => {
                            self.transport_cc += 1;
                            self.transport_cc_packets += u64::from(t.status_count());
                            self.transport_cc_received +=
                                t.packets()
                                    .map_while(Result::ok)
                                    .filter(|p| p.arrival_us.is_some())
                                    .count() as u64;
                        }
                        Ok(FeedbackKind::Ccfb(_)) => self.ccfb += 1,
                        Ok(FeedbackKind::Remb(r)) => {
                            self.remb += 1;
                            self.remb_last_bps = Some(r.bitrate());
                        }
                        Ok(_) => self.other_feedback += 1,
                        Err(_) => self.parse_errors += 1,
                    }
                }
                RtcpBody::Unknown(_) => self.other_feedback += 1,
            }
        }
    }
}

/// Why an SRTP or DTLS failure happened, in words (never a key).
fn srtp_reason(e: &SrtpError) -> String {
    match e {
        SrtpError::AuthFailed { reason, .. } => format!("authentication failed: {reason}"),
        SrtpError::NotSrtp(_) => "not SRTP/SRTCP of this profile".to_owned(),
        other => other.to_string(),
    }
}

/// A data-channel message read from decrypted SCTP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageSample {
    /// Capture time (ns since the epoch).
    pub at_ns: i64,
    /// Sender.
    pub from: SocketAddr,
    /// SCTP stream (the channel id).
    pub stream: u16,
    /// PPID (51 string, 53 binary, 56/57 empty string/binary).
    pub ppid: u32,
    /// Message size in bytes.
    pub len: usize,
    /// The text, when the message is a string (PPID 51) or valid UTF-8, cut at
    /// [`MAX_SAMPLE_BYTES`].
    pub text: Option<String>,
    /// Otherwise the first [`MAX_SAMPLE_BYTES`] bytes as hex.
    pub hex: Option<String>,
    /// The shown content is cut.
    pub truncated: bool,
}

/// The decryption of one DTLS association.
pub struct Association {
    flow: FlowKey,
    dtls: DtlsDecryptor,
    /// Boxed: most associations of a capture have no keys, and the two contexts are most of
    /// an association's size.
    srtp: Option<Box<(SrtpProfile, [SrtpContext; 2])>>,
    srtp_figures: SrtpFigures,
    /// Why SRTP keys could not be derived, once the handshake should have given them.
    srtp_missing: Option<&'static str>,
    records_decrypted: u64,
    record_failures: Failures,
    /// Application-data records seen (without keys: by header, see the report field).
    app_records: u64,
    app_bytes: u64,
    sctp: datachannels::Association,
    sctp_seen: bool,
    /// Decrypted application-data records that parsed as SCTP packets.
    sctp_records: u64,
    messages: Vec<MessageSample>,
    messages_total: u64,
    /// Recent DATA TSNs per side (retransmissions are not new messages).
    tsns: [[u32; 16]; 2],
    tsn_pos: [usize; 2],
    tsn_len: [usize; 2],
    /// A message whose first fragment was seen and whose last was not yet, per side.
    partial: [Option<Partial>; 2],
}

/// A fragmented data-channel message being put together (its first [`MAX_SAMPLE_BYTES`]
/// bytes are enough for the sample; the size counts all of it).
struct Partial {
    at_ns: i64,
    stream: u16,
    ppid: u32,
    len: usize,
    head: Vec<u8>,
}

impl Association {
    fn new(flow: FlowKey, now: i64) -> Self {
        Association {
            flow,
            dtls: DtlsDecryptor::default(),
            srtp: None,
            srtp_figures: SrtpFigures::default(),
            srtp_missing: None,
            records_decrypted: 0,
            record_failures: Failures::default(),
            app_records: 0,
            app_bytes: 0,
            sctp: datachannels::Association::new(flow, now),
            sctp_seen: false,
            sctp_records: 0,
            messages: Vec::new(),
            messages_total: 0,
            tsns: [[0; 16]; 2],
            tsn_pos: [0; 2],
            tsn_len: [0; 2],
            partial: [None, None],
        }
    }

    fn side(&self, src: SocketAddr) -> Side {
        if src == self.flow.lo {
            Side::A
        } else {
            Side::B
        }
    }

    fn addr(&self, side: Side) -> SocketAddr {
        match side {
            Side::A => self.flow.lo,
            Side::B => self.flow.hi,
        }
    }

    fn feed(
        &mut self,
        keys: &KeyLogIndex,
        now: i64,
        src: SocketAddr,
        datagram: &[u8],
        kept: &mut Kept,
    ) {
        let side = self.side(src);
        if keys.is_empty() {
            // No key log: count what is there from the headers alone.
            self.count_by_header(datagram);
            return;
        }
        let results = self.dtls.feed(keys, side, datagram, 0);
        if !self.dtls.is_keyed() {
            // Not keyed (yet, or the key log lacks this association): counted by header.
            self.count_by_header(datagram);
        }
        for r in results {
            match r {
                Ok(rec) => {
                    self.records_decrypted += 1;
                    if rec.content_type == ContentType::APPLICATION_DATA {
                        self.app_records += 1;
                        self.app_bytes += rec.plaintext.len() as u64;
                        self.sctp_packet(now, rec.from, &rec.plaintext);
                    }
                    let kind = PlainKind::Dtls {
                        epoch: rec.epoch,
                        sequence: rec.sequence,
                        content_type: rec.content_type.0,
                    };
                    kept.push(kind, self.addr(rec.from), &rec.plaintext);
                }
                Err(e) => {
                    if self.dtls.is_keyed() {
                        self.record_failures.add(e.to_string());
                    }
                }
            }
        }
    }

    /// Counts application-data records by their headers: ≤ 1.2 records of content type 23;
    /// DTLS 1.3 unified-header records outside epoch 2 (application data, and the few ACKs,
    /// alerts and key updates that only keys tell apart).
    fn count_by_header(&mut self, datagram: &[u8]) {
        for rec in Records::new(datagram, Default::default()).map_while(Result::ok) {
            let app = match *rec.header() {
                RecordHeader::Plaintext { content_type, .. } => {
                    content_type == ContentType::APPLICATION_DATA
                }
                // RFC 9146 hides the real type inside; after the handshake it is data.
                RecordHeader::Cid12 { epoch, .. } => epoch > 0,
                RecordHeader::Unified { flags, .. } => flags & 0x03 != 2,
            };
            if app {
                self.app_records += 1;
                self.app_bytes += rec.fragment().len() as u64;
            }
        }
    }

    fn seen_tsn(&mut self, side: usize, tsn: u32) -> bool {
        let n = self.tsn_len[side];
        if self.tsns[side][..n].contains(&tsn) {
            return true;
        }
        let pos = self.tsn_pos[side];
        self.tsns[side][pos] = tsn;
        self.tsn_pos[side] = (pos + 1) % 16;
        self.tsn_len[side] = (n + 1).min(16);
        false
    }

    fn sctp_packet(&mut self, now: i64, from: Side, plaintext: &[u8]) {
        let src = self.addr(from);
        // WebRTC carries SCTP in DTLS; anything else (a DTLS test tool's text) is counted only.
        // The first packet must check out with its CRC32c (an INIT never has a zero checksum).
        let known = self.sctp_seen.then(|| self.sctp.zero_checksum());
        if !datachannels::is_sctp(plaintext, known) {
            return;
        }
        let Ok(p) = Packet::new_checked(plaintext) else {
            return;
        };
        self.sctp_seen = true;
        self.sctp_records += 1;
        self.sctp.feed(now, src, plaintext);
        let si = usize::from(from == Side::B);
        for c in p.chunks() {
            let Ok(body) = c.and_then(|c| c.body()) else {
                break;
            };
            let (tsn, stream, ppid, data, fl) = match body {
                ChunkBody::Data(d) => {
                    (d.tsn, d.stream_id, Some(d.ppid), d.user_data.bytes, d.flags)
                }
                ChunkBody::IData(d) => (d.tsn, d.stream_id, d.ppid(), d.user_data.bytes, d.flags),
                _ => continue,
            };
            // DCEP is the channel's set-up; a retransmitted chunk is no new data.
            if ppid == Some(Ppid::WEBRTC_DCEP) || self.seen_tsn(si, tsn) {
                continue;
            }
            let (first, last) = (fl & flags::BEGIN != 0, fl & flags::END != 0);
            // A message in several chunks (larger than the path MTU allows) is put together:
            // its size from every fragment, its sample from the first bytes.
            let cap = |v: &mut Vec<u8>, more: &[u8]| {
                let room = MAX_SAMPLE_BYTES.saturating_sub(v.len());
                v.extend_from_slice(&more[..more.len().min(room)]);
            };
            let whole = match (first, last) {
                // Past the sample cap a whole message is only counted (no copy made).
                (true, true) if self.messages.len() >= MAX_MESSAGES => {
                    self.messages_total += 1;
                    continue;
                }
                (true, true) => Partial {
                    at_ns: now,
                    stream,
                    ppid: ppid.map_or(0, |p| p.0),
                    len: data.len(),
                    head: data[..data.len().min(MAX_SAMPLE_BYTES)].to_vec(),
                },
                (true, false) => {
                    let mut head = Vec::new();
                    if self.messages.len() < MAX_MESSAGES {
                        cap(&mut head, data);
                    }
                    self.partial[si] = Some(Partial {
                        at_ns: now,
                        stream,
                        ppid: ppid.map_or(0, |p| p.0),
                        len: data.len(),
                        head,
                    });
                    continue;
                }
                (false, _) => {
                    let Some(mut m) = self.partial[si].take().filter(|m| m.stream == stream) else {
                        // Its first fragment was not seen: a message all the same.
                        if last {
                            self.messages_total += 1;
                        }
                        continue;
                    };
                    m.len += data.len();
                    cap(&mut m.head, data);
                    if !last {
                        self.partial[si] = Some(m);
                        continue;
                    }
                    m
                }
            };
            self.messages_total += 1;
            if self.messages.len() >= MAX_MESSAGES {
                continue;
            }
            let Partial {
                at_ns,
                stream,
                ppid,
                len,
                head: shown,
            } = whole;
            // A string cut inside a character keeps the valid prefix.
            let text = match std::str::from_utf8(&shown) {
                Ok(t) => Some(t.to_owned()),
                Err(e) if e.valid_up_to() > 0 && len > MAX_SAMPLE_BYTES => {
                    Some(String::from_utf8_lossy(&shown[..e.valid_up_to()]).into_owned())
                }
                Err(_) => None,
            };
            // Binary PPIDs (53, 57) show as hex even when the bytes happen to be UTF-8.
            let text = text.filter(|_| ppid != 53 && ppid != 57);
            let hex = text.is_none().then(|| hex::encode(&shown));
            self.messages.push(MessageSample {
                at_ns,
                from: src,
                stream,
                ppid,
                len,
                text,
                hex,
                truncated: len > MAX_SAMPLE_BYTES,
            });
        }
    }

    /// The SRTP contexts, made once the exporter can give keys.
    fn contexts(&mut self) -> Option<&mut (SrtpProfile, [SrtpContext; 2])> {
        if self.srtp.is_none() {
            if !self.dtls.is_keyed() {
                return None;
            }
            let r = self.dtls.revealed();
            let Some(profile_id) = r.srtp_profile else {
                self.srtp_missing = Some("the SRTP profile is unknown (no use_srtp seen)");
                return None;
            };
            let Some(profile) = SrtpProfile::from_dtls_id(profile_id.0) else {
                self.srtp_missing = Some("the use_srtp profile is not one rtcscope decrypts");
                return None;
            };
            let Some(client) = r.client else {
                self.srtp_missing = Some("the DTLS client is unknown (no ClientHello seen)");
                return None;
            };
            let Some(m) = self.dtls.srtp_keying_material() else {
                self.srtp_missing =
                    Some("the key log lacks the secret the exporter needs (EXPORTER_SECRET)");
                return None;
            };
            let (Ok(ck), Ok(sk)) = (
                MasterKey::new(profile, m.client_key.bytes(), m.client_salt.bytes()),
                MasterKey::new(profile, m.server_key.bytes(), m.server_salt.bytes()),
            ) else {
                self.srtp_missing = Some("the exported keying material has the wrong length");
                return None;
            };
            let ctx = |k: &MasterKey| SrtpContext::new(k, ContextConfig::default());
            // Index by sender side: what the DTLS client sends is under the client key.
            let pair = match client {
                Side::A => [ctx(&ck), ctx(&sk)],
                Side::B => [ctx(&sk), ctx(&ck)],
            };
            self.srtp_missing = None;
            self.srtp = Some(Box::new((profile, pair)));
        }
        self.srtp.as_deref_mut()
    }
}

/// A key set without DTLS: every SDES / `--srtp-key` key in a context of its own.
struct SdesKeys {
    keys: Vec<(KeySource, KeyScope, SrtpContext)>,
    /// Which key opened a stream: (flow, sender, SSRC, rtcp) → key index.
    opened: Map<(FlowKey, SocketAddr, u32, bool), usize>,
    figures: SrtpFigures,
    /// Packets per key index that authenticated.
    per_key: Vec<u64>,
}

/// What a piece of plaintext kept for the caller was ([`Plaintext`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlainKind {
    /// An SRTP packet, decrypted: the RTP header and the payload in clear (no tag, no MKI).
    Srtp,
    /// An SRTCP packet, decrypted: the whole compound RTCP packet in clear (no index, no tag).
    Srtcp,
    /// The content of one DTLS record, decrypted.
    Dtls {
        /// The record's full epoch.
        epoch: u64,
        /// The record's full sequence number (reconstructed in DTLS 1.3).
        sequence: u64,
        /// The real content type (inside the plaintext in DTLS 1.3): 22 handshake, 21 alert,
        /// 23 application data (SCTP in WebRTC), 26 ACK.
        content_type: u8,
    },
}

/// Plaintext decrypted while the engine was fed one frame, kept for a caller that shows it
/// (`rtcscope dissect --keylog`); see [`crate::Engine::keep_plaintext`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plaintext {
    /// What it is.
    pub kind: PlainKind,
    /// Who sent it.
    pub from: SocketAddr,
    /// The plaintext.
    pub bytes: Vec<u8>,
}

/// At most this many pieces of plaintext are kept per frame (a datagram of many tiny DTLS
/// records, or a TCP segment completing many messages); the rest are counted in
/// [`Decryption::plaintext_beyond_cap`].
pub const MAX_PLAINTEXTS_PER_FRAME: usize = 64;

/// Where plaintext is kept for the frame at hand, when it is kept at all.
#[derive(Default)]
struct Kept {
    on: bool,
    /// SRTP media is not kept (a caller that keeps plaintext for the whole capture wants the
    /// signalling and the reports, not every video packet).
    skip_srtp: bool,
    items: Vec<Plaintext>,
    beyond_cap: u64,
}

impl Kept {
    fn push(&mut self, kind: PlainKind, from: SocketAddr, bytes: &[u8]) {
        if !self.on || (self.skip_srtp && kind == PlainKind::Srtp) {
            return;
        }
        if self.items.len() < MAX_PLAINTEXTS_PER_FRAME {
            self.items.push(Plaintext {
                kind,
                from,
                bytes: bytes.to_vec(),
            });
        } else {
            self.beyond_cap += 1;
        }
    }
}

/// The decryption state of the engine.
pub struct Decryption {
    keylog: KeyLogIndex,
    /// Boxed: an association is about 2 KB, and a table that doubles its buckets would hold
    /// up to twice as many of them as there are associations.
    assocs: Map<FlowKey, Box<Association>>,
    /// DTLS associations beyond [`MAX_ASSOCIATIONS`] (not followed).
    pub associations_beyond_cap: u64,
    sdes: Option<SdesKeys>,
    buf: Vec<u8>,
    /// Keys were given at all (key log, SDES or `--srtp-key`).
    keys_given: bool,
    kept: Kept,
}

impl Default for Decryption {
    fn default() -> Self {
        Decryption {
            keylog: KeyLogIndex::new(),
            assocs: Map::default(),
            associations_beyond_cap: 0,
            sdes: None,
            buf: Vec::new(),
            keys_given: false,
            kept: Kept::default(),
        }
    }
}

impl Decryption {
    /// Keys were given at all (key log, SDES or `--srtp-key`, a pcapng Decryption Secrets
    /// Block): SRTCP may be read.
    pub fn keys_given(&self) -> bool {
        self.keys_given
    }

    /// Takes the keys (replacing any given before).
    pub fn set_keys(&mut self, keys: KeyStore) {
        self.keys_given = !keys.is_empty();
        self.keylog = keys.keylog;
        self.sdes = (!keys.srtp.is_empty()).then(|| SdesKeys {
            per_key: vec![0; keys.srtp.len()],
            keys: keys
                .srtp
                .into_iter()
                .map(|(src, scope, k)| (src, scope, SrtpContext::new(&k, ContextConfig::default())))
                .collect(),
            opened: Map::default(),
            figures: SrtpFigures::default(),
        });
    }

    /// Adds key log text found while reading (a pcapng Decryption Secrets Block).
    pub fn add_key_log(&mut self, source: &str, text: &str) {
        self.keylog.add_text(source, text);
        self.keys_given |= !self.keylog.is_empty();
    }

    /// The key log (lines used, malformed lines).
    pub fn key_log(&self) -> &KeyLogIndex {
        &self.keylog
    }

    /// Keeps (or stops keeping) the plaintext of each frame for [`Self::plaintexts`].
    pub fn keep_plaintext(&mut self, on: bool) {
        self.kept.on = on;
        self.kept.items.clear();
    }

    /// With plaintext kept, leaves out decrypted SRTP (media); SRTCP and DTLS are still kept.
    pub fn skip_srtp_plaintext(&mut self, skip: bool) {
        self.kept.skip_srtp = skip;
    }

    /// Forgets the previous frame's plaintext (called as each frame is fed).
    pub fn start_frame(&mut self) {
        self.kept.items.clear();
    }

    /// The plaintext decrypted since the current frame was fed, in the order it was decrypted
    /// (empty unless [`Self::keep_plaintext`] is on).
    pub fn plaintexts(&self) -> &[Plaintext] {
        &self.kept.items
    }

    /// Pieces of plaintext not kept because a frame had more than
    /// [`MAX_PLAINTEXTS_PER_FRAME`].
    pub fn plaintext_beyond_cap(&self) -> u64 {
        self.kept.beyond_cap
    }

    /// Feeds a DTLS datagram of `flow` sent by `src`.
    pub fn dtls(&mut self, now: i64, flow: FlowKey, src: SocketAddr, datagram: &[u8]) {
        if !self.assocs.contains_key(&flow) && self.assocs.len() >= MAX_ASSOCIATIONS {
            self.associations_beyond_cap += 1;
            return;
        }
        let keylog = &self.keylog;
        self.assocs
            .entry(flow)
            .or_insert_with(|| Box::new(Association::new(flow, now)))
            .feed(keylog, now, src, datagram, &mut self.kept);
    }

    /// Verifies and decrypts an SRTP (`rtcp` false) or SRTCP packet of `flow` sent by `src`.
    /// Returns the plaintext (in a buffer reused for every packet), or `None` when there is no
    /// key for it or it failed (counted with its reason; never used).
    pub fn unprotect(
        &mut self,
        flow: FlowKey,
        src: SocketAddr,
        packet: &[u8],
        rtcp: bool,
    ) -> Option<&[u8]> {
        if !self.keys_given || packet.len() > BUFFER || packet.len() < 12 {
            return None;
        }
        if self.buf.len() < BUFFER {
            self.buf.resize(BUFFER, 0);
        }
        let out = &mut self.buf[..packet.len()];
        if let Some(a) = self.assocs.get_mut(&flow) {
            let side = usize::from(a.side(src) == Side::B);
            if let Some((_, ctxs)) = a.contexts() {
                let r = if rtcp {
                    ctxs[side]
                        .unprotect_rtcp(packet, out)
                        .map(|u| (u.len, u.replay))
                } else {
                    ctxs[side]
                        .unprotect_rtp(packet, out)
                        .map(|u| (u.len, u.replay))
                };
                let f = &mut a.srtp_figures;
                return match r {
                    Ok((len, replay)) => {
                        if rtcp {
                            f.rtcp_decrypted += 1;
                            f.rtcp.read(&self.buf[..len]);
                        } else {
                            f.rtp_decrypted += 1;
                        }
                        if replay == rtcscope_srtp::Replay::Duplicate {
                            f.duplicates += 1;
                        }
                        let kind = if rtcp {
                            PlainKind::Srtcp
                        } else {
                            PlainKind::Srtp
                        };
                        self.kept.push(kind, src, &self.buf[..len]);
                        Some(&self.buf[..len])
                    }
                    Err(e) => {
                        f.failures.add(srtp_reason(&e));
                        None
                    }
                };
            }
            if a.dtls.is_keyed() {
                return None;
            }
        }
        let s = self.sdes.as_mut()?;
        // SRTCP: the sender SSRC of the first (clear) header; SRTP: the header's SSRC.
        let at = if rtcp { 4 } else { 8 };
        let ssrc = u32::from_be_bytes([packet[at], packet[at + 1], packet[at + 2], packet[at + 3]]);
        let known = s.opened.get(&(flow, src, ssrc, rtcp)).copied();
        let mut first_err = None;
        for i in 0..s.keys.len() {
            let fits = match known {
                Some(k) => k == i,
                None => match s.keys[i].1 {
                    KeyScope::Any => true,
                    KeyScope::Ssrc(x) => x == ssrc,
                    KeyScope::Sender(a) => a == src,
                },
            };
            if !fits {
                continue;
            }
            let ctx = &mut s.keys[i].2;
            let r = if rtcp {
                ctx.unprotect_rtcp(packet, out).map(|u| (u.len, u.replay))
            } else {
                ctx.unprotect_rtp(packet, out).map(|u| (u.len, u.replay))
            };
            match r {
                Ok((len, replay)) => {
                    if known.is_none() && s.opened.len() < MAX_SDES_STREAMS {
                        s.opened.insert((flow, src, ssrc, rtcp), i);
                    }
                    s.per_key[i] += 1;
                    if rtcp {
                        s.figures.rtcp_decrypted += 1;
                        s.figures.rtcp.read(&self.buf[..len]);
                    } else {
                        s.figures.rtp_decrypted += 1;
                    }
                    if replay == rtcscope_srtp::Replay::Duplicate {
                        s.figures.duplicates += 1;
                    }
                    let kind = if rtcp {
                        PlainKind::Srtcp
                    } else {
                        PlainKind::Srtp
                    };
                    self.kept.push(kind, src, &self.buf[..len]);
                    return Some(&self.buf[..len]);
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(e) => s.figures.failures.add(srtp_reason(&e)),
            None => s
                .figures
                .failures
                .add(format!("no key given for SSRC {ssrc:#010x} from {src}")),
        }
        None
    }

    /// Data channels of SCTP read from decrypted DTLS.
    pub fn data_channels(&self) -> impl Iterator<Item = datachannels::AssociationReport> + '_ {
        self.assocs
            .values()
            .filter(|a| a.sctp_seen)
            .map(|a| a.sctp.report())
    }

    /// Fills in what decryption revealed of a DTLS 1.3 handshake that the clear records hide
    /// (the chosen SRTP profile, both certificate chains) and checks the certificates against
    /// the SDPs' fingerprints again.
    pub fn reveal(&self, r: &mut crate::dtls::DtlsReport, sdp_fingerprints: &[String]) {
        use crate::dtls::{check_fingerprints, CertFingerprints, CertView, SeenText};
        let Some(a) = self.assocs.get(&r.flow).filter(|a| a.dtls.is_keyed()) else {
            return;
        };
        let rev = a.dtls.revealed();
        if let (SeenText::Encrypted, Some(p)) = (&r.srtp_profile, rev.srtp_profile) {
            r.srtp_profile = SeenText::Clear(format!("{p:?}"));
        }
        let Some(client) = rev.client else {
            return;
        };
        let view = |side: Side| {
            CertView::Clear(
                rev.certificates_of(side)
                    .iter()
                    .map(|c| CertFingerprints {
                        der_len: c.der_len,
                        sha256: c.sha256.to_string(),
                        sha1: c.sha1.to_string(),
                    })
                    .collect(),
            )
        };
        let mut changed = false;
        for (cert, side) in [
            (&mut r.client_certificates, client),
            (&mut r.server_certificates, client.peer()),
        ] {
            if *cert == CertView::Encrypted && !rev.certificates_of(side).is_empty() {
                *cert = view(side);
                changed = true;
            }
        }
        if changed {
            r.fingerprint_check = check_fingerprints(
                sdp_fingerprints,
                &r.client_certificates,
                &r.server_certificates,
            );
        }
    }

    /// The report of every association and of the SDES keys, with the receive rates `twcc`
    /// derived from the transport-cc feedback of their flows.
    pub fn report(&self, twcc: &crate::twcc::TransportFeedback) -> DecryptionReport {
        let mut associations: Vec<AssociationReport> = self
            .assocs
            .values()
            .map(|a| {
                let mut r = self.association_report(a);
                r.srtp.rtcp.receive_rate = twcc.for_flow(&a.flow);
                r
            })
            .collect();
        associations.sort_by_key(|a| (a.a, a.b, a.relay));
        DecryptionReport {
            key_log: KeyLogSummary {
                associations: self.keylog.len(),
                lines_used: self.keylog.used,
                lines_ignored: self.keylog.ignored,
                malformed_lines: self.keylog.error_count,
                first_errors: self
                    .keylog
                    .errors
                    .iter()
                    .take(4)
                    .map(|(src, e)| format!("{src}: {e}"))
                    .collect(),
            },
            associations,
            associations_beyond_cap: self.associations_beyond_cap,
            sdes: self.sdes.as_ref().map(|s| SdesReport {
                keys: s
                    .keys
                    .iter()
                    .zip(&s.per_key)
                    .map(|((src, _, _), n)| (src.clone(), *n))
                    .collect(),
                srtp: {
                    let mut f = s.figures.clone();
                    f.rtcp.receive_rate = twcc.all(|flow| !self.assocs.contains_key(flow));
                    f
                },
            }),
        }
    }

    fn association_report(&self, a: &Association) -> AssociationReport {
        let r = a.dtls.revealed();
        let keys = if self.keylog.is_empty() {
            KeyStatus::NoKeyLog
        } else if a.dtls.is_keyed() {
            KeyStatus::Found
        } else if let Some(e) = a.dtls.key_error() {
            KeyStatus::Missing(e.to_string())
        } else if a.dtls.client_random().is_none() {
            KeyStatus::Missing(
                "no ClientHello in the capture (it started after the handshake)".to_owned(),
            )
        } else {
            KeyStatus::Missing("the handshake did not reach the ServerHello".to_owned())
        };
        let labels: Vec<(u16, String)> = a
            .sctp
            .report()
            .channels
            .into_iter()
            .map(|c| (c.stream, c.label))
            .collect();
        AssociationReport {
            a: a.flow.lo,
            b: a.flow.hi,
            relay: a.flow.relay,
            transport: a.flow.transport.to_string(),
            client: r.client.map(|s| a.addr(s)),
            version: r.version.map(|v| {
                v.name()
                    .map_or_else(|| format!("{:#06x}", v.0), str::to_owned)
            }),
            cipher_suite: r.cipher_suite.map(|c| {
                c.name()
                    .map_or_else(|| format!("{:#06x}", c.0), str::to_owned)
            }),
            srtp_profile: r.srtp_profile.map(|p| {
                p.name()
                    .map_or_else(|| format!("{:#06x}", p.0), str::to_owned)
            }),
            keys,
            records_decrypted: a.records_decrypted,
            record_failures: a.record_failures.clone(),
            application_data_records: a.app_records,
            application_data_bytes: a.app_bytes,
            application_data_decrypted: a.dtls.is_keyed(),
            application_data_sctp: a.sctp_records,
            key_updates: [Side::A, Side::B]
                .into_iter()
                .map(|side| (side, usize::from(side == Side::B)))
                .filter(|(_, i)| r.key_updates[*i] > 0)
                .map(|(side, i)| KeyUpdates {
                    from: a.addr(side),
                    count: r.key_updates[i],
                    last_epoch: r.last_epoch[i],
                })
                .collect(),
            srtp_keys: a.srtp.is_some(),
            srtp_missing: if a.srtp.is_none() && a.dtls.is_keyed() {
                Some(
                    a.srtp_missing
                        .unwrap_or("no SRTP packet on this flow after the handshake")
                        .to_owned(),
                )
            } else {
                None
            },
            srtp: a.srtp_figures.clone(),
            messages: a
                .messages
                .iter()
                .map(|m| MessageReport {
                    label: labels
                        .iter()
                        .find(|(s, _)| *s == m.stream)
                        .map(|(_, l)| l.clone()),
                    message: m.clone(),
                })
                .collect(),
            messages_total: a.messages_total,
            alerts: r
                .alerts
                .iter()
                .map(|(s, level, d)| {
                    format!(
                        "{} from {}: {}",
                        level.name().unwrap_or("alert"),
                        a.addr(*s),
                        d.name().map_or_else(|| format!("{}", d.0), str::to_owned)
                    )
                })
                .collect(),
        }
    }
}

/// Whether an association's keys were found, and why not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "reason")]
pub enum KeyStatus {
    /// No key log was given (nor found in the capture).
    NoKeyLog,
    /// The key log has this association's secrets.
    Found,
    /// Keys were given but not for this association: why.
    Missing(String),
}

/// A data-channel message with its channel's label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageReport {
    /// The channel label (from DATA_CHANNEL_OPEN), when the capture has it.
    pub label: Option<String>,
    /// The message.
    #[serde(flatten)]
    pub message: MessageSample,
}

/// The decryption summary of one DTLS association.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AssociationReport {
    /// Lower endpoint.
    pub a: SocketAddr,
    /// Higher endpoint.
    pub b: SocketAddr,
    /// TURN allocation when inside a relay.
    pub relay: Option<u32>,
    /// `udp` or `tcp`.
    pub transport: String,
    /// The DTLS client (sent the ClientHello).
    pub client: Option<SocketAddr>,
    /// Negotiated version (from the hellos).
    pub version: Option<String>,
    /// Negotiated cipher suite.
    pub cipher_suite: Option<String>,
    /// The use_srtp profile chosen (getStats' `srtpCipher`); in DTLS 1.3 only decryption shows it.
    pub srtp_profile: Option<String>,
    /// Keys found, or why not.
    pub keys: KeyStatus,
    /// Protected DTLS records decrypted.
    pub records_decrypted: u64,
    /// Protected DTLS records that failed with keys present, by reason.
    pub record_failures: Failures,
    /// Application-data records (decrypted: exact; without keys: ≤ 1.2 records of type 23,
    /// DTLS 1.3 records outside epoch 2, which also holds the few ACKs and alerts).
    pub application_data_records: u64,
    /// Their bytes (plaintext when decrypted, protected fragments otherwise).
    pub application_data_bytes: u64,
    /// The application data was decrypted (the counts above are exact).
    pub application_data_decrypted: bool,
    /// Decrypted application-data records that were SCTP packets (data channels).
    pub application_data_sctp: u64,
    /// DTLS 1.3 key updates (RFC 9147 §8), by the side that sent them (sides that sent none
    /// are left out).
    pub key_updates: Vec<KeyUpdates>,
    /// SRTP keys were derived from the exporter.
    pub srtp_keys: bool,
    /// Why not, when the DTLS keys were found but SRTP keys were not derived.
    pub srtp_missing: Option<String>,
    /// SRTP/SRTCP figures.
    pub srtp: SrtpFigures,
    /// Data-channel messages (the first [`MAX_MESSAGES`]).
    pub messages: Vec<MessageReport>,
    /// All data-channel messages (DCEP and retransmissions excluded).
    pub messages_total: u64,
    /// Alerts revealed by decryption.
    pub alerts: Vec<String>,
}

/// The KeyUpdate messages one side of a DTLS 1.3 association sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyUpdates {
    /// The sender.
    pub from: SocketAddr,
    /// KeyUpdate messages decrypted from it (each moves it to the next epoch).
    pub count: u32,
    /// The highest epoch of its records decrypted (3 is the first application epoch).
    pub last_epoch: u64,
}

/// What the key log held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyLogSummary {
    /// Associations (client randoms) with secrets.
    pub associations: usize,
    /// Lines used.
    pub lines_used: usize,
    /// Well-formed lines not used for DTLS.
    pub lines_ignored: usize,
    /// Malformed lines.
    pub malformed_lines: usize,
    /// The first few malformed lines (source, line number, what is wrong; never a secret).
    pub first_errors: Vec<String>,
}

/// SDES and `--srtp-key` keys and what they decrypted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SdesReport {
    /// The keys (source, profile, scope, lengths) with the packets each authenticated.
    pub keys: Vec<(KeySource, u64)>,
    /// SRTP/SRTCP figures over all of them.
    pub srtp: SrtpFigures,
}

/// The decryption report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecryptionReport {
    /// The key log.
    pub key_log: KeyLogSummary,
    /// DTLS associations, decrypted or not.
    pub associations: Vec<AssociationReport>,
    /// DTLS associations beyond [`MAX_ASSOCIATIONS`], not followed.
    pub associations_beyond_cap: u64,
    /// SDES / `--srtp-key` keys, when given.
    pub sdes: Option<SdesReport>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtcscope_sctp::repr::{ChunkRepr, PacketRepr};

    /// An SCTP packet of one DATA chunk (string PPID 51, stream 1), checksum filled in.
    fn data(tsn: u32, chunk_flags: u8, bytes: &[u8]) -> Vec<u8> {
        PacketRepr {
            src_port: 5000,
            dst_port: 5000,
            verification_tag: 1,
            chunks: vec![ChunkRepr::Data {
                flags: chunk_flags,
                tsn,
                stream_id: 1,
                ssn: 0,
                ppid: Ppid::WEBRTC_STRING,
                user_data: bytes.to_vec(),
            }],
        }
        .to_bytes(false)
    }

    /// Decrypted SCTP as `sctp_packet` receives it: a message larger than one chunk (B, middle,
    /// E) becomes one message of its whole size with its first bytes shown; a retransmitted
    /// middle fragment adds nothing; a last fragment whose start was missed still counts.
    #[test]
    fn fragmented_data_channel_messages_are_put_together() {
        let flow = FlowKey {
            transport: crate::flow::Transport::Udp,
            lo: "10.0.0.1:5000".parse().unwrap(),
            hi: "10.0.0.2:5000".parse().unwrap(),
            relay: None,
        };
        let mut a = Association::new(flow, 0);
        a.sctp_packet(1, Side::A, &data(1, 3, b"hello"));
        a.sctp_packet(2, Side::A, &data(2, 2, &[b'x'; 1100]));
        a.sctp_packet(3, Side::A, &data(3, 0, &[b'y'; 1100]));
        a.sctp_packet(4, Side::A, &data(3, 0, &[b'y'; 1100]));
        a.sctp_packet(5, Side::A, &data(4, 1, &[b'z'; 300]));
        a.sctp_packet(6, Side::B, &data(9, 1, b"tail"));
        assert_eq!(a.messages_total, 3);
        assert_eq!(a.messages.len(), 2);
        assert_eq!(a.messages[0].text.as_deref(), Some("hello"));
        let big = &a.messages[1];
        assert_eq!((big.len, big.at_ns, big.truncated), (2500, 2, true));
        assert_eq!(big.text.as_deref(), Some(&"x".repeat(MAX_SAMPLE_BYTES)[..]));
    }

    #[test]
    fn scoped_keys_parse_and_never_echo_the_key() {
        let k = "AES_CM_128_HMAC_SHA1_80:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
        assert_eq!(parse_scoped_key(k).unwrap().0, KeyScope::Any);
        assert_eq!(
            parse_scoped_key(&format!("0x20c23467@{k}")).unwrap().0,
            KeyScope::Ssrc(0x20c2_3467)
        );
        assert_eq!(
            parse_scoped_key(&format!("10.0.0.1:5000@{k}")).unwrap().0,
            KeyScope::Sender("10.0.0.1:5000".parse().unwrap())
        );
        let e = parse_scoped_key("nonsense@AES_CM_128_HMAC_SHA1_80:PS1uQCVe").unwrap_err();
        assert!(!e.contains("PS1uQCVe") && !e.contains("nonsense"), "{e}");
        let e = parse_scoped_key("AES_CM_128_HMAC_SHA1_80:PS1uQCVeeCFC").unwrap_err();
        assert!(!e.contains("PS1uQCVeeCFC"), "{e}");
    }
}
