//! DTLS handshakes per flow: timeline, duration, roles, and the certificate check against SDP.

use crate::flow::FlowKey;
use rtcscope_dtls::handshake::{HandshakeFragment, HandshakeFragments, Message, MessageContext};
use rtcscope_dtls::record::{RecordHeader, Records};
use rtcscope_dtls::{ContentType, DtlsSession, HandshakeType, Seen, Side};
use serde::Serialize;
use std::borrow::Cow;
use std::net::SocketAddr;

/// Timeline events kept per handshake.
pub const MAX_EVENTS: usize = 48;

/// One step of a handshake as the capture shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DtlsEvent {
    /// Time (ns since the epoch).
    pub at_ns: i64,
    /// Sender.
    pub from: SocketAddr,
    /// What it was: a handshake message name, `change_cipher_spec`, `encrypted`, `alert`...
    /// (a name known in advance is not copied into every event: thousands of handshakes).
    pub what: Cow<'static, str>,
}

/// A DTLS association on one flow.
pub struct DtlsFlow {
    /// The flow.
    pub flow: FlowKey,
    session: DtlsSession,
    /// First DTLS record.
    pub first_ns: i64,
    /// First ClientHello.
    pub client_hello_ns: Option<i64>,
    /// When the handshake was over: in DTLS ≤ 1.2 the second side's ChangeCipherSpec (its
    /// Finished follows in the same flight); in DTLS 1.3 the client's last epoch-2 record (its
    /// Finished) before the first epoch-3 record, as the unified header's clear epoch bits
    /// show; failing both, the first application-data record or the first SRTP packet.
    pub done_ns: Option<i64>,
    /// How [`DtlsFlow::done_ns`] was found.
    pub done_by: Option<DoneBy>,
    /// Last DTLS record.
    pub last_ns: i64,
    /// Datagrams carrying DTLS from lo and hi.
    pub datagrams: [u64; 2],
    /// Timeline (capped).
    pub timeline: Vec<DtlsEvent>,
    /// Events beyond the cap.
    pub events_dropped: u64,
    /// ChangeCipherSpec seen from lo and hi (≤ 1.2).
    ccs: [bool; 2],
    /// DTLS 1.3: the last epoch-2 (handshake) record of the side that sent the ClientHello,
    /// while no epoch-3 record has been seen.
    client_epoch2_ns: Option<i64>,
    /// DTLS 1.3: an epoch-3 (application data) record was seen.
    epoch3_seen: bool,
}

/// What marked the end of a handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DoneBy {
    /// DTLS ≤ 1.2: the second side's ChangeCipherSpec (its Finished follows it).
    ChangeCipherSpec,
    /// DTLS 1.3: the client's last epoch-2 record (its Finished), confirmed by the first
    /// epoch-3 record (an ACK or application data).
    ClientFinished,
    /// DTLS 1.3 without a client epoch-2 record in the capture: the first epoch-3 record.
    FirstEpoch3,
    /// The first application-data record (≤ 1.2 headers).
    ApplicationData,
    /// The first SRTP packet on the flow (nothing in the DTLS records marked the end).
    FirstMedia,
}

impl std::fmt::Display for DoneBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DoneBy::ChangeCipherSpec => "to the second ChangeCipherSpec",
            DoneBy::ClientFinished => "to the client's Finished",
            DoneBy::FirstEpoch3 => "to the first epoch-3 record",
            DoneBy::ApplicationData => "to the first application data",
            DoneBy::FirstMedia => "to the first SRTP packet",
        })
    }
}

impl DtlsFlow {
    /// A new association on `flow`.
    pub fn new(flow: FlowKey, now: i64) -> Self {
        DtlsFlow {
            flow,
            session: DtlsSession::default(),
            first_ns: now,
            client_hello_ns: None,
            done_ns: None,
            done_by: None,
            last_ns: now,
            datagrams: [0; 2],
            timeline: Vec::new(),
            events_dropped: 0,
            ccs: [false; 2],
            client_epoch2_ns: None,
            epoch3_seen: false,
        }
    }

    /// Marks the handshake over at `at` (the first mark wins), once a ClientHello was seen.
    fn done(&mut self, at: i64, by: DoneBy) {
        if self.client_hello_ns.is_some() && self.done_ns.is_none() {
            self.done_ns = Some(at);
            self.done_by = Some(by);
        }
    }

    fn event(&mut self, at_ns: i64, from: SocketAddr, what: Cow<'static, str>) {
        // Collapse retransmitted or repeated encrypted records into one line per burst.
        if let Some(last) = self.timeline.last() {
            if last.from == from && last.what == what && what.starts_with("encrypted") {
                return;
            }
        }
        if self.timeline.len() < MAX_EVENTS {
            self.timeline.push(DtlsEvent { at_ns, from, what });
        } else {
            self.events_dropped += 1;
        }
    }

    /// Feeds one datagram sent by `src`.
    pub fn feed(&mut self, now: i64, src: SocketAddr, datagram: &[u8]) {
        let side = if src == self.flow.lo {
            Side::A
        } else {
            Side::B
        };
        self.datagrams[usize::from(side == Side::B)] += 1;
        self.last_ns = self.last_ns.max(now);
        let opts = self.session.record_options(side);
        let mut events: Vec<Cow<'static, str>> = Vec::new();
        for rec in Records::new(datagram, opts).map_while(Result::ok) {
            let what = match *rec.header() {
                RecordHeader::Plaintext {
                    content_type,
                    epoch,
                    ..
                } => {
                    if content_type == ContentType::HANDSHAKE && epoch == 0 {
                        match HandshakeFragments::new(rec.fragment(), 0).next() {
                            Some(Ok(f)) => {
                                let t = f.msg_type;
                                if t == HandshakeType::CLIENT_HELLO {
                                    self.client_hello_ns.get_or_insert(now);
                                }
                                if is_hello_retry_request(&f) {
                                    Cow::Borrowed("hello_retry_request")
                                } else {
                                    t.name()
                                        .map_or_else(|| Cow::Owned(format!("{t:?}")), Cow::Borrowed)
                                }
                            }
                            Some(Err(_)) | None => Cow::Borrowed("handshake"),
                        }
                    } else if content_type == ContentType::APPLICATION_DATA {
                        self.done(now, DoneBy::ApplicationData);
                        Cow::Borrowed("application_data")
                    } else if content_type == ContentType::CHANGE_CIPHER_SPEC {
                        // In DTLS ≤ 1.2 the handshake ends with each side's ChangeCipherSpec
                        // and (encrypted) Finished; the second side's marks the end.
                        self.ccs[usize::from(side == Side::B)] = true;
                        if self.ccs == [true, true] {
                            self.done(now, DoneBy::ChangeCipherSpec);
                        }
                        Cow::Borrowed("change_cipher_spec")
                    } else if content_type == ContentType::ALERT {
                        Cow::Borrowed("alert")
                    } else if epoch > 0 {
                        Cow::Borrowed("encrypted")
                    } else {
                        content_type
                            .name()
                            .map_or_else(|| Cow::Owned(format!("{content_type:?}")), Cow::Borrowed)
                    }
                }
                RecordHeader::Unified { flags, .. } => {
                    // RFC 9147 §4: the low two bits of the epoch are in clear. Epoch 2 carries
                    // the encrypted handshake, epoch 3 the first application traffic keys (the
                    // server's ACK of the client's Finished, data). Later epochs wrap to 0 and
                    // 1 again only after the handshake.
                    let client = self.session.handshake().client;
                    let bits = flags & 0x03;
                    match bits {
                        2 if !self.epoch3_seen && client == Some(side) => {
                            self.client_epoch2_ns = Some(now);
                        }
                        3 if !self.epoch3_seen => {
                            self.epoch3_seen = true;
                            match self.client_epoch2_ns {
                                Some(at) => self.done(at, DoneBy::ClientFinished),
                                None => self.done(now, DoneBy::FirstEpoch3),
                            }
                        }
                        _ => {}
                    }
                    if bits == 2 && !self.epoch3_seen {
                        Cow::Borrowed("encrypted handshake")
                    } else {
                        Cow::Borrowed("encrypted")
                    }
                }
                RecordHeader::Cid12 { .. } => Cow::Borrowed("encrypted"),
            };
            if events.last() != Some(&what) {
                events.push(what);
            }
        }
        for e in events {
            self.event(now, src, e);
        }
        self.session.feed(side, datagram);
    }

    /// Media (SRTP) started on the flow: the handshake is over if it was not marked already
    /// (at the client's last epoch-2 record in DTLS 1.3: SRTP needs the exporter keys, which
    /// exist once the client's Finished is sent).
    pub fn media_seen(&mut self, now: i64) {
        match self.client_epoch2_ns {
            Some(at) => self.done(at, DoneBy::ClientFinished),
            None => self.done(now, DoneBy::FirstMedia),
        }
    }

    /// The summary.
    pub fn report(&self, sdp_fingerprints: &[String]) -> DtlsReport {
        let hs = self.session.handshake();
        let addr = |s: Side| match s {
            Side::A => self.flow.lo,
            Side::B => self.flow.hi,
        };
        let certs = |s: Side| -> CertView {
            match hs.certificates_of(s) {
                Seen::NotSeen => CertView::NotSeen,
                Seen::Encrypted => CertView::Encrypted,
                Seen::Clear(list) => CertView::Clear(
                    list.iter()
                        .map(|c| CertFingerprints {
                            der_len: c.der_len,
                            sha256: c.sha256.to_string(),
                            sha1: c.sha1.to_string(),
                        })
                        .collect(),
                ),
            }
        };
        let client = hs.client.map(addr);
        let server = hs.client.map(|c| addr(c.peer()));
        let (client_certs, server_certs) = match hs.client {
            Some(c) => (certs(c), certs(c.peer())),
            None => (CertView::NotSeen, CertView::NotSeen),
        };
        let fingerprint_check = check_fingerprints(sdp_fingerprints, &client_certs, &server_certs);
        DtlsReport {
            a: self.flow.lo,
            b: self.flow.hi,
            relay: self.flow.relay,
            flow: self.flow,
            counted_on: None,
            client,
            server,
            version: hs.version.map(|v| format!("{v:?}")),
            offered_versions: hs
                .offered_versions
                .iter()
                .map(|v| format!("{v:?}"))
                .collect(),
            cipher_suite: hs.cipher_suite.map(|c| format!("{c:?}")),
            offered_srtp_profiles: hs
                .offered_srtp_profiles
                .iter()
                .map(|p| format!("{p:?}"))
                .collect(),
            srtp_profile: match &hs.srtp_profile {
                Seen::Clear(p) => SeenText::Clear(format!("{p:?}")),
                Seen::Encrypted => SeenText::Encrypted,
                Seen::NotSeen => SeenText::NotSeen,
            },
            hello_verify_request: hs.hello_verify_request,
            hello_retry_request: hs.hello_retry_request,
            client_certificates: client_certs,
            server_certificates: server_certs,
            fingerprint_check,
            alerts: hs
                .alerts
                .iter()
                .map(|a| match &a.alert {
                    Seen::Clear((level, desc)) => format!("{} {level:?} {desc:?}", addr(a.from)),
                    _ => format!("{} encrypted alert", addr(a.from)),
                })
                .collect(),
            handshake_retransmissions: hs.handshake_retransmissions[0]
                + hs.handshake_retransmissions[1],
            duplicate_records: hs.duplicate_records[0] + hs.duplicate_records[1],
            records: hs.records,
            parse_errors: hs.error_count,
            first_ns: self.first_ns,
            client_hello_ns: self.client_hello_ns,
            done_ns: self.done_ns,
            done_by: self.done_by,
            duration_ms: match (self.client_hello_ns, self.done_ns) {
                (Some(a), Some(b)) => Some((b - a) as f64 / 1e6),
                _ => None,
            },
            timeline: self.timeline.clone(),
            events_dropped: self.events_dropped,
        }
    }
}

/// A whole ServerHello whose random is RFC 8446 §4.1.3's HelloRetryRequest value, as the
/// dtls crate parses it (a fragment of one cannot be told apart until it is reassembled).
fn is_hello_retry_request(f: &HandshakeFragment<'_>) -> bool {
    f.msg_type == HandshakeType::SERVER_HELLO
        && f.is_complete()
        && matches!(
            Message::parse(f.msg_type, f.body.bytes, 0, &MessageContext::default()),
            Ok(Message::ServerHello(sh)) if sh.is_hello_retry_request()
        )
}

/// Compares each side's own (first) certificate with the SDPs' `a=fingerprint` values.
pub fn check_fingerprints(
    sdp_fingerprints: &[String],
    client_certs: &CertView,
    server_certs: &CertView,
) -> FingerprintCheck {
    if sdp_fingerprints.is_empty() {
        return FingerprintCheck::NoSdp;
    }
    let own = |v: &CertView| match v {
        CertView::Clear(list) => list.first().map(|c| {
            sdp_fingerprints
                .iter()
                .any(|f| f.eq_ignore_ascii_case(&c.sha256) || f.eq_ignore_ascii_case(&c.sha1))
        }),
        _ => None,
    };
    match (
        own(client_certs),
        own(server_certs),
        client_certs,
        server_certs,
    ) {
        (_, _, CertView::Encrypted, _) | (_, _, _, CertView::Encrypted) => {
            FingerprintCheck::Encrypted
        }
        (Some(true), Some(true), _, _) => FingerprintCheck::Match,
        (Some(false), _, _, _) | (_, Some(false), _, _) => FingerprintCheck::Mismatch,
        _ => FingerprintCheck::NotSeen,
    }
}

/// A value that is known, encrypted, or not seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "seen", content = "value", rename_all = "snake_case")]
pub enum SeenText {
    /// Not seen in the capture.
    NotSeen,
    /// Seen in clear.
    Clear(String),
    /// Exists, but travels encrypted (DTLS 1.3): cannot be known without decryption.
    Encrypted,
}

/// Certificate fingerprints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertFingerprints {
    /// DER length.
    pub der_len: usize,
    /// `sha-256 AB:CD:…` as in SDP.
    pub sha256: String,
    /// `sha-1 …`.
    pub sha1: String,
}

/// A side's certificates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "seen", content = "value", rename_all = "snake_case")]
pub enum CertView {
    /// Not seen.
    NotSeen,
    /// In clear (DTLS ≤ 1.2), the sender's own certificate first.
    Clear(Vec<CertFingerprints>),
    /// Encrypted (DTLS 1.3).
    Encrypted,
}

/// Result of comparing certificates with the SDP's `a=fingerprint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FingerprintCheck {
    /// No SDP was given.
    NoSdp,
    /// Both sides' certificates match fingerprints in the SDP(s).
    Match,
    /// A certificate matches no fingerprint in the SDP(s): a man in the middle, or the wrong SDP.
    Mismatch,
    /// The certificates travel encrypted (DTLS 1.3): nothing to check without decryption.
    Encrypted,
    /// Certificates not (completely) in the capture.
    NotSeen,
}

/// A DTLS association in the report.
#[derive(Clone, Debug, Serialize)]
pub struct DtlsReport {
    /// Lower endpoint of the flow.
    pub a: SocketAddr,
    /// Higher endpoint.
    pub b: SocketAddr,
    /// TURN allocation when inside a relay.
    pub relay: Option<u32>,
    /// The flow, transport included.
    pub flow: crate::flow::FlowKey,
    /// Inside a relay: the path and the leg the handshake was counted on (set by the report).
    pub counted_on: Option<crate::relay::CountedOn>,
    /// The side that sent the ClientHello.
    pub client: Option<SocketAddr>,
    /// The other side.
    pub server: Option<SocketAddr>,
    /// Negotiated version (ServerHello).
    pub version: Option<String>,
    /// Versions offered.
    pub offered_versions: Vec<String>,
    /// Negotiated cipher suite.
    pub cipher_suite: Option<String>,
    /// SRTP profiles the client offered.
    pub offered_srtp_profiles: Vec<String>,
    /// The selected SRTP profile (in clear only up to DTLS 1.2).
    pub srtp_profile: SeenText,
    /// Cookie exchange.
    pub hello_verify_request: bool,
    /// HelloRetryRequest.
    pub hello_retry_request: bool,
    /// Client certificates.
    pub client_certificates: CertView,
    /// Server certificates.
    pub server_certificates: CertView,
    /// Check against the SDP.
    pub fingerprint_check: FingerprintCheck,
    /// Alerts, with sender.
    pub alerts: Vec<String>,
    /// Handshake message retransmissions.
    pub handshake_retransmissions: u64,
    /// Records seen twice.
    pub duplicate_records: u64,
    /// Records parsed.
    pub records: u64,
    /// Parse errors.
    pub parse_errors: u64,
    /// First DTLS record.
    pub first_ns: i64,
    /// First ClientHello.
    pub client_hello_ns: Option<i64>,
    /// Handshake over.
    pub done_ns: Option<i64>,
    /// What marked the end.
    pub done_by: Option<DoneBy>,
    /// ClientHello to done, milliseconds.
    pub duration_ms: Option<f64>,
    /// Timeline.
    pub timeline: Vec<DtlsEvent>,
    /// Events beyond the cap.
    pub events_dropped: u64,
}
