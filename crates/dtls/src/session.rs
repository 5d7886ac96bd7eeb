//! A sans-IO summary of one DTLS association, for the analysis engine.
//!
//! Feed every UDP payload of the flow with the side it came from; read the [`Handshake`]
//! summary: version, cipher suite, use_srtp offer and choice, certificates and their
//! fingerprints, alerts, retransmissions, HelloVerifyRequest/HelloRetryRequest.
//!
//! What DTLS 1.3 encrypts is reported as [`Seen::Encrypted`], never guessed: in 1.3 only the
//! ClientHello, ServerHello/HelloRetryRequest (version, cipher suite, offered SRTP profiles,
//! key shares) and the record epochs are in clear; the selected SRTP profile travels in
//! EncryptedExtensions and the certificates in an encrypted Certificate message. Handshake
//! content a decryptor ([`crate::decrypt::DtlsDecryptor`]) recovers goes in through
//! [`DtlsSession::handshake_content`] and turns those into [`Seen::Clear`].

use crate::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType, HandshakeType,
    NamedGroup, ProtocolVersion, SrtpProtectionProfile,
};
use crate::ext::ExtensionBody;
use crate::fingerprint::Fingerprint;
use crate::handshake::{HandshakeFragments, Message, MessageContext};
use crate::reassembly::{Limits, Outcome, Reassembler, RecordTracker};
use crate::record::{Alert, Protection, RecordOptions, Records};
use rtcscope_wire::Error;

/// One of the two endpoints of a flow, as the caller labels them (e.g. by address order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The first endpoint.
    A,
    /// The second endpoint.
    B,
}

impl Side {
    const fn idx(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }
    /// The other endpoint.
    pub const fn peer(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// Whether a value was observed, and how.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Seen<T> {
    /// Not (yet) observed.
    #[default]
    NotSeen,
    /// Observed in clear.
    Clear(T),
    /// Exists but travels encrypted: it cannot be known without decryption.
    Encrypted,
}

impl<T> Seen<T> {
    /// The clear value, if any.
    pub fn clear(&self) -> Option<&T> {
        match self {
            Seen::Clear(v) => Some(v),
            _ => None,
        }
    }
}

/// A certificate seen in clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Length of the DER encoding.
    pub der_len: usize,
    /// SHA-256 fingerprint (`a=fingerprint` form).
    pub sha256: Fingerprint,
    /// SHA-1 fingerprint.
    pub sha1: Fingerprint,
}

/// An alert and who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertEvent {
    /// Sender.
    pub from: Side,
    /// Level and description, or `Encrypted` for an alert record after ChangeCipherSpec.
    pub alert: Seen<(AlertLevel, AlertDescription)>,
}

/// What is known about one handshake.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Handshake {
    /// The side that sent the ClientHello.
    pub client: Option<Side>,
    /// ClientHello messages seen (2 with a cookie exchange or HelloRetryRequest), not counting
    /// retransmissions.
    pub client_hellos: u32,
    /// Versions the client offered (supported_versions, else client_version).
    pub offered_versions: Vec<ProtocolVersion>,
    /// Cipher suites the client offered.
    pub offered_cipher_suites: Vec<CipherSuite>,
    /// The negotiated version (ServerHello: in clear in every version).
    pub version: Option<ProtocolVersion>,
    /// The selected cipher suite (ServerHello).
    pub cipher_suite: Option<CipherSuite>,
    /// SRTP profiles the client offered in use_srtp.
    pub offered_srtp_profiles: Vec<SrtpProtectionProfile>,
    /// The selected SRTP profile: ServerHello use_srtp in ≤ 1.2, encrypted in 1.3.
    pub srtp_profile: Seen<SrtpProtectionProfile>,
    /// The MKI of the server's use_srtp (empty when none).
    pub srtp_mki: Vec<u8>,
    /// Key share groups the client offered (1.3).
    pub offered_key_shares: Vec<NamedGroup>,
    /// A HelloVerifyRequest (cookie exchange) was seen.
    pub hello_verify_request: bool,
    /// A HelloRetryRequest was seen.
    pub hello_retry_request: bool,
    /// Certificates sent by side A then side B (the sender's own certificate first).
    pub certificates: [Seen<Vec<CertificateInfo>>; 2],
    /// Alerts in order.
    pub alerts: Vec<AlertEvent>,
    /// Handshake message retransmissions sent by A and B (same message_seq again).
    pub handshake_retransmissions: [u64; 2],
    /// Records seen twice (same epoch and sequence number) from A and B.
    pub duplicate_records: [u64; 2],
    /// Records parsed.
    pub records: u64,
    /// Records whose fragment is protected.
    pub protected_records: u64,
    /// Parse errors (the first 16).
    pub errors: Vec<Error>,
    /// Total parse errors.
    pub error_count: u64,
}

impl Handshake {
    /// The certificates `side` sent.
    pub fn certificates_of(&self, side: Side) -> &Seen<Vec<CertificateInfo>> {
        &self.certificates[side.idx()]
    }
}

/// The tracker. See the module docs.
#[derive(Debug)]
pub struct DtlsSession {
    hs: Handshake,
    reassembly: [Reassembler; 2],
    records: [RecordTracker; 2],
    /// CID each side asked to receive (connection_id extension).
    cid_wanted: [usize; 2],
    ctx: MessageContext,
}

impl Default for DtlsSession {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl DtlsSession {
    /// A tracker with the given reassembly limits.
    pub fn new(limits: Limits) -> Self {
        DtlsSession {
            hs: Handshake::default(),
            reassembly: [Reassembler::new(limits), Reassembler::new(limits)],
            records: [RecordTracker::default(), RecordTracker::default()],
            cid_wanted: [0, 0],
            ctx: MessageContext::default(),
        }
    }

    /// The summary so far.
    pub fn handshake(&self) -> &Handshake {
        &self.hs
    }

    /// The record options for datagrams sent by `from` (CID length the receiver asked for).
    pub fn record_options(&self, from: Side) -> RecordOptions {
        RecordOptions {
            cid_len: self.cid_wanted[from.peer().idx()],
        }
    }

    fn error(&mut self, e: Error) {
        self.hs.error_count += 1;
        if self.hs.errors.len() < 16 {
            self.hs.errors.push(e);
        }
    }

    /// Feeds one UDP payload sent by `from`. Returns the number of records parsed.
    pub fn feed(&mut self, from: Side, datagram: &[u8]) -> usize {
        let opts = self.record_options(from);
        let mut n = 0;
        for rec in Records::new(datagram, opts) {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    self.error(e);
                    break;
                }
            };
            n += 1;
            self.hs.records += 1;
            if self.records[from.idx()].observe(&rec) == Some(true) {
                self.hs.duplicate_records[from.idx()] += 1;
            }
            if rec.protection() == Protection::Protected {
                self.hs.protected_records += 1;
                if rec.content_type() == Some(ContentType::ALERT) {
                    self.hs.alerts.push(AlertEvent {
                        from,
                        alert: Seen::Encrypted,
                    });
                }
                continue;
            }
            let base = rec.fragment_range().start;
            match rec.content_type() {
                Some(ContentType::HANDSHAKE) => self.handshake_content(from, rec.fragment(), base),
                Some(ContentType::ALERT) => match Alert::parse(rec.fragment(), base) {
                    Ok(a) => self.hs.alerts.push(AlertEvent {
                        from,
                        alert: Seen::Clear((a.level, a.description)),
                    }),
                    Err(e) => self.error(e),
                },
                _ => {}
            }
        }
        n
    }

    /// Feeds plaintext handshake content sent by `from` from any source: a clear record, or a
    /// decryption stage. `base` is the absolute offset for error locations.
    pub fn handshake_content(&mut self, from: Side, content: &[u8], base: usize) {
        for frag in HandshakeFragments::new(content, base) {
            let frag = match frag {
                Ok(f) => f,
                Err(e) => {
                    self.error(e);
                    return;
                }
            };
            let body_base = frag.body.offset;
            match self.reassembly[from.idx()].feed(&frag) {
                Ok(Outcome::Complete(m)) => {
                    // Offsets of a reassembled body are relative to the message.
                    let b = if m.fragments == 1 { body_base } else { 0 };
                    self.message(from, m.msg_type, &m.body, b);
                }
                Ok(Outcome::Retransmission { .. }) => {
                    self.hs.handshake_retransmissions[from.idx()] += 1
                }
                Ok(Outcome::Pending | Outcome::Duplicate) => {}
                Err(e) => self.error(e),
            }
        }
    }

    fn message(&mut self, from: Side, t: HandshakeType, body: &[u8], base: usize) {
        let msg = match Message::parse(t, body, base, &self.ctx) {
            Ok(m) => m,
            Err(e) => {
                self.error(e);
                return;
            }
        };
        match msg {
            Message::ClientHello(ch) => {
                self.hs.client = Some(from);
                self.hs.client_hellos += 1;
                self.hs.offered_cipher_suites = ch.cipher_suites.iter().collect();
                self.hs.offered_versions = match ch.extension(ExtensionType::SUPPORTED_VERSIONS) {
                    Some(Ok(ExtensionBody::SupportedVersions(v))) => v.iter().collect(),
                    _ => vec![ch.client_version],
                };
                if let Some(Ok(ExtensionBody::UseSrtp(u))) = ch.extension(ExtensionType::USE_SRTP) {
                    self.hs.offered_srtp_profiles = u.profiles.iter().collect();
                }
                if let Some(Ok(ExtensionBody::KeyShareClient(ks))) =
                    ch.extension(ExtensionType::KEY_SHARE)
                {
                    self.hs.offered_key_shares =
                        ks.filter_map(Result::ok).map(|k| k.group).collect();
                }
                if let Some(Ok(ExtensionBody::ConnectionId(c))) =
                    ch.extension(ExtensionType::CONNECTION_ID)
                {
                    self.cid_wanted[from.idx()] = c.bytes.len();
                }
            }
            Message::HelloVerifyRequest(_) => self.hs.hello_verify_request = true,
            Message::ServerHello(sh) => {
                if sh.is_hello_retry_request() {
                    self.hs.hello_retry_request = true;
                    return;
                }
                let v = sh.negotiated_version();
                self.hs.version = Some(v);
                self.hs.cipher_suite = Some(sh.cipher_suite);
                self.ctx = MessageContext {
                    version: v,
                    cipher_suite: Some(sh.cipher_suite),
                };
                if let Some(Ok(ExtensionBody::ConnectionId(c))) =
                    sh.extension(ExtensionType::CONNECTION_ID)
                {
                    self.cid_wanted[from.idx()] = c.bytes.len();
                }
                if v == ProtocolVersion::DTLS1_3 {
                    if !self.hs.offered_srtp_profiles.is_empty() {
                        self.hs.srtp_profile = Seen::Encrypted;
                    }
                    self.hs.certificates = [Seen::Encrypted, Seen::Encrypted];
                } else if let Some(Ok(ExtensionBody::UseSrtp(u))) =
                    sh.extension(ExtensionType::USE_SRTP)
                {
                    if let Some(p) = u.profiles.iter().next() {
                        self.hs.srtp_profile = Seen::Clear(p);
                    }
                    self.hs.srtp_mki = u.mki.bytes.to_vec();
                }
            }
            Message::EncryptedExtensions(exts) => {
                // Only ever seen through `handshake_content` from a decryption stage (1.3).
                if let Some(e) = exts.clone().find(ExtensionType::USE_SRTP) {
                    if let Ok(ExtensionBody::UseSrtp(u)) =
                        e.body(crate::ext::ExtensionContext::EncryptedExtensions)
                    {
                        if let Some(p) = u.profiles.iter().next() {
                            self.hs.srtp_profile = Seen::Clear(p);
                        }
                        self.hs.srtp_mki = u.mki.bytes.to_vec();
                    }
                }
            }
            Message::Certificate(c) => {
                let mut list = Vec::new();
                for e in c.entries() {
                    match e {
                        Ok(e) => list.push(CertificateInfo {
                            der_len: e.der.bytes.len(),
                            sha256: Fingerprint::sha256(e.der.bytes),
                            sha1: Fingerprint::sha1(e.der.bytes),
                        }),
                        Err(err) => {
                            self.error(err);
                            break;
                        }
                    }
                }
                self.hs.certificates[from.idx()] = Seen::Clear(list);
            }
            _ => {}
        }
    }
}
