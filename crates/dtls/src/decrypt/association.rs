//! One decryptor per DTLS association: feed every datagram of the association in capture
//! order (both directions), get each protected record's plaintext or the reason it has none.
//!
//! The decryptor reads the hellos itself (client random, server random, version, suite,
//! encrypt_then_mac, use_srtp), looks the keys up in a [`KeyLogIndex`] once the ServerHello
//! is seen, and parses what decryption reveals (EncryptedExtensions' use_srtp, certificates
//! and their fingerprints, Finished, alerts) into [`Revealed`]. Its state is fixed per
//! association: keys for at most three epochs per direction, the crate's bounded handshake
//! reassembly, and a capped alert list.

use super::error::DecryptError;
use super::exporter::{srtp_keys_tls12, srtp_keys_tls13, SrtpKeyingMaterial};
use super::keys::SuiteParams;
use super::secret::Secret;
use super::tls12::{KeyBlock, RecordDecryptor12, Tls12Params};
use super::tls13::Direction13;
use crate::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType, HandshakeType,
    ProtocolVersion, SrtpProtectionProfile,
};
use crate::ext::ExtensionBody;
use crate::fingerprint::Fingerprint;
use crate::handshake::{HandshakeFragments, Message, MessageContext};
use crate::keylog::KeyLogIndex;
use crate::reassembly::{Limits, Outcome, Reassembler};
use crate::record::{Alert, Protection, Record, RecordHeader, RecordOptions, Records};
use crate::session::{CertificateInfo, Side};
use rtcscope_wire::Field;

/// A record's decrypted content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecryptedRecord {
    /// Who sent it.
    pub from: Side,
    /// Absolute range of the whole record (in the numbering of the `base` given to
    /// [`DtlsDecryptor::feed`]).
    pub range: Field,
    /// Full epoch.
    pub epoch: u64,
    /// Full sequence number (reconstructed in 1.3).
    pub sequence: u64,
    /// The real content type (from the header in ≤ 1.2, from the inner plaintext in 1.3).
    pub content_type: ContentType,
    /// The plaintext content.
    pub plaintext: Vec<u8>,
}

/// What decryption revealed about the handshake.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revealed {
    /// The negotiated version.
    pub version: Option<ProtocolVersion>,
    /// The negotiated suite.
    pub cipher_suite: Option<CipherSuite>,
    /// The side that sent the ClientHello.
    pub client: Option<Side>,
    /// RFC 7366 encrypt_then_mac was negotiated (≤ 1.2; it changes CBC records only).
    pub encrypt_then_mac: bool,
    /// The selected SRTP profile (ServerHello in ≤ 1.2, EncryptedExtensions in 1.3).
    pub srtp_profile: Option<SrtpProtectionProfile>,
    /// The MKI of the selected use_srtp (empty when none).
    pub srtp_mki: Vec<u8>,
    /// The certificate chains sent by side A and side B, sender's own first.
    pub certificates: [Vec<CertificateInfo>; 2],
    /// CertificateVerify messages seen from A and B.
    pub certificate_verify: [u32; 2],
    /// The Finished verify_data of A and B (the last one seen).
    pub finished: [Option<Vec<u8>>; 2],
    /// Alerts, in order (the first [`MAX_ALERTS`]).
    pub alerts: Vec<(Side, AlertLevel, AlertDescription)>,
    /// Decrypted application-data records and bytes, from A and B.
    pub application_data: [(u64, u64); 2],
    /// DTLS 1.3 KeyUpdate messages (RFC 9147 §8) from A and B: each moves its sender to the
    /// next epoch.
    pub key_updates: [u32; 2],
    /// The highest epoch of a record decrypted from A and from B (1.3: 2 is the handshake,
    /// 3 the first application epoch, each key update one more; ≤ 1.2: 1).
    pub last_epoch: [u64; 2],
    /// Handshake messages that failed to parse after decryption (count).
    pub parse_errors: u64,
}

/// Alerts kept in [`Revealed::alerts`].
pub const MAX_ALERTS: usize = 16;

impl Revealed {
    /// The certificate chain `side` sent.
    pub fn certificates_of(&self, side: Side) -> &[CertificateInfo] {
        &self.certificates[idx(side)]
    }

    /// The SHA-256 fingerprint (`a=fingerprint` form) of the leaf certificate `side` sent.
    pub fn leaf_fingerprint(&self, side: Side) -> Option<&Fingerprint> {
        self.certificates[idx(side)].first().map(|c| &c.sha256)
    }
}

const fn idx(s: Side) -> usize {
    match s {
        Side::A => 0,
        Side::B => 1,
    }
}

enum Keys {
    /// Waiting for the hellos.
    Pending,
    /// Keys could not be set up; every protected record gets this error.
    Failed(DecryptError),
    Tls12 {
        params: Tls12Params,
        master: Secret,
        /// Decryptors for epoch 1, by side.
        dirs: [RecordDecryptor12; 2],
    },
    Tls13 {
        suite: SuiteParams,
        dirs: Box<[Direction13; 2]>,
        exporter: Option<Secret>,
        /// Why a direction has no keys, when it has none.
        missing: Option<DecryptError>,
    },
}

/// The decryptor of one association. See the module docs.
pub struct DtlsDecryptor {
    limits: Limits,
    keys: Keys,
    client_random: Option<[u8; 32]>,
    server_random: Option<[u8; 32]>,
    encrypt_then_mac: bool,
    ctx: MessageContext,
    reassembly: [Reassembler; 2],
    revealed: Revealed,
    cid_len: [usize; 2],
}

impl core::fmt::Debug for DtlsDecryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DtlsDecryptor")
            .field("revealed", &self.revealed)
            .field("keyed", &self.is_keyed())
            .finish_non_exhaustive()
    }
}

impl Default for DtlsDecryptor {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl DtlsDecryptor {
    /// A decryptor with the given handshake reassembly limits.
    pub fn new(limits: Limits) -> Self {
        DtlsDecryptor {
            limits,
            keys: Keys::Pending,
            client_random: None,
            server_random: None,
            encrypt_then_mac: false,
            ctx: MessageContext::default(),
            reassembly: [Reassembler::new(limits), Reassembler::new(limits)],
            revealed: Revealed::default(),
            cid_len: [0, 0],
        }
    }

    /// What has been revealed so far.
    pub fn revealed(&self) -> &Revealed {
        &self.revealed
    }

    /// True once keys for this association were found and set up.
    pub fn is_keyed(&self) -> bool {
        matches!(self.keys, Keys::Tls12 { .. } | Keys::Tls13 { .. })
    }

    /// Why the association has no keys, once that is known (no key-log entry for its client
    /// random, an unsupported cipher suite).
    pub fn key_error(&self) -> Option<&DecryptError> {
        match &self.keys {
            Keys::Failed(e) => Some(e),
            Keys::Tls13 { missing, .. } => missing.as_ref(),
            _ => None,
        }
    }

    /// The ClientHello random, once seen.
    pub fn client_random(&self) -> Option<&[u8; 32]> {
        self.client_random.as_ref()
    }

    /// The DTLS-SRTP keying material (RFC 5764 §4.2) once keys and the selected profile are
    /// known: from the master secret in ≤ 1.2, from `EXPORTER_SECRET` in 1.3. `None` before
    /// that, or when the key log lacks the exporter secret (1.3) or the profile is unknown.
    pub fn srtp_keying_material(&self) -> Option<SrtpKeyingMaterial> {
        let profile = self.revealed.srtp_profile?;
        match &self.keys {
            Keys::Tls12 { params, master, .. } => srtp_keys_tls12(
                params.prf(),
                master.bytes(),
                self.client_random.as_ref()?,
                self.server_random.as_ref()?,
                profile,
            ),
            Keys::Tls13 {
                suite, exporter, ..
            } => srtp_keys_tls13(suite.hash, exporter.as_ref()?.bytes(), profile),
            _ => None,
        }
    }

    /// The SRTP master key and salt for what `sender` sends (its write key: the client's or
    /// the server's half of [`Self::srtp_keying_material`]), with the profile.
    pub fn srtp_master_of(&self, sender: Side) -> Option<(SrtpProtectionProfile, Secret, Secret)> {
        let m = self.srtp_keying_material()?;
        if Some(sender) == self.revealed.client {
            Some((m.profile, m.client_key, m.client_salt))
        } else if self.revealed.client.is_some() {
            Some((m.profile, m.server_key, m.server_salt))
        } else {
            None
        }
    }

    /// Feeds one datagram sent by `from`, whose first byte is at absolute offset `base`.
    /// Returns one entry per protected record: its plaintext, or why it has none. Clear
    /// records return nothing (their hellos are read here; the caller dissects them as
    /// usual). A datagram that is not DTLS ends the iteration at its first bad record.
    pub fn feed(
        &mut self,
        keys: &KeyLogIndex,
        from: Side,
        datagram: &[u8],
        base: usize,
    ) -> Vec<Result<DecryptedRecord, DecryptError>> {
        let opts = RecordOptions {
            cid_len: self.cid_len[idx(from.peer())],
        };
        let mut out = Vec::new();
        for rec in Records::with_base(datagram, base, opts) {
            let Ok(rec) = rec else { break };
            if rec.protection() == Protection::Plaintext {
                match rec.content_type() {
                    Some(ContentType::HANDSHAKE) => {
                        if self.is_new_handshake(rec.fragment()) {
                            // The association starts over (a peer restarted on the same
                            // 5-tuple): forget the old keys, reassembly and findings.
                            *self = DtlsDecryptor::new(self.limits);
                        }
                        self.handshake_content(from, rec.fragment());
                        if matches!(self.keys, Keys::Pending) && self.server_random.is_some() {
                            self.set_up_keys(keys);
                        }
                    }
                    Some(ContentType::ALERT) => self.alert(from, rec.fragment()),
                    _ => {}
                }
                continue;
            }
            let r = self.decrypt(from, &rec);
            if let Ok(d) = &r {
                self.reveal(d);
            }
            out.push(r);
        }
        out
    }

    /// True when `content` starts a ClientHello with another random than the one this
    /// association was keyed for (retransmissions and the cookie exchange repeat the random).
    fn is_new_handshake(&self, content: &[u8]) -> bool {
        let Some(current) = &self.client_random else {
            return false;
        };
        HandshakeFragments::new(content, 0)
            .map_while(Result::ok)
            .any(|f| {
                f.msg_type == HandshakeType::CLIENT_HELLO
                    && f.fragment_offset == 0
                    && f.body.bytes.get(2..34).is_some_and(|r| r != current)
            })
    }

    fn decrypt(&mut self, from: Side, rec: &Record<'_>) -> Result<DecryptedRecord, DecryptError> {
        let offset = rec.range().start;
        let client = self.revealed.client;
        match &mut self.keys {
            Keys::Pending => Err(DecryptError::NoHandshake { offset }),
            Keys::Failed(e) => Err(e.clone()),
            Keys::Tls12 { dirs, .. } => {
                let RecordHeader::Plaintext {
                    content_type,
                    version,
                    epoch,
                    sequence,
                } = *rec.header()
                else {
                    return Err(DecryptError::Unsupported {
                        offset,
                        what: "DTLS 1.2 connection-ID records (RFC 9146)",
                    });
                };
                if epoch != 1 {
                    return Err(DecryptError::UnknownEpoch {
                        offset,
                        epoch: u64::from(epoch),
                    });
                }
                let Some(client) = client else {
                    return Err(DecryptError::NoHandshake { offset });
                };
                let d = &dirs[usize::from(from != client)];
                let plaintext = d.decrypt(
                    content_type,
                    version,
                    epoch,
                    sequence,
                    rec.fragment(),
                    offset,
                )?;
                Ok(DecryptedRecord {
                    from,
                    range: rec.range(),
                    epoch: u64::from(epoch),
                    sequence,
                    content_type,
                    plaintext,
                })
            }
            Keys::Tls13 { dirs, missing, .. } => {
                if !rec.is_unified() {
                    return Err(DecryptError::Unsupported {
                        offset,
                        what: "a protected DTLS 1.3 record with the full header",
                    });
                }
                let Some(client) = client else {
                    return Err(DecryptError::NoHandshake { offset });
                };
                let d = &mut dirs[usize::from(from != client)];
                if !d.has_keys() {
                    return Err(missing
                        .clone()
                        .unwrap_or(DecryptError::NoHandshake { offset }));
                }
                let o = d.decrypt(rec)?;
                Ok(DecryptedRecord {
                    from,
                    range: rec.range(),
                    epoch: o.epoch,
                    sequence: o.sequence,
                    content_type: o.content_type,
                    plaintext: o.content,
                })
            }
        }
    }

    fn set_up_keys(&mut self, log: &KeyLogIndex) {
        let (Some(cr), Some(version), Some(suite)) = (
            self.client_random,
            self.revealed.version,
            self.revealed.cipher_suite,
        ) else {
            return;
        };
        let short = hex8(&cr);
        let Some(params) = SuiteParams::of(suite) else {
            self.keys = Keys::Failed(DecryptError::UnsupportedCipherSuite(suite));
            return;
        };
        let secrets = log.get(&cr);
        if version == ProtocolVersion::DTLS1_3 {
            let Some(s) = secrets else {
                self.keys = Keys::Failed(DecryptError::NoKey {
                    client_random: short,
                    wanted: "CLIENT_HANDSHAKE_TRAFFIC_SECRET or CLIENT_TRAFFIC_SECRET_0",
                });
                return;
            };
            let b = |x: &Option<Secret>| x.as_ref().map(|s| s.bytes().to_vec());
            let (ch, ct, sh, st) = (
                b(&s.client_handshake),
                b(&s.client_traffic_0),
                b(&s.server_handshake),
                b(&s.server_traffic_0),
            );
            let client = Direction13::new(params, ch.as_deref(), ct.as_deref());
            let server = Direction13::new(params, sh.as_deref(), st.as_deref());
            let missing = if ch.is_none() || sh.is_none() {
                Some(DecryptError::NoKey {
                    client_random: short.clone(),
                    wanted: "CLIENT/SERVER_HANDSHAKE_TRAFFIC_SECRET",
                })
            } else if ct.is_none() || st.is_none() {
                Some(DecryptError::NoKey {
                    client_random: short.clone(),
                    wanted: "CLIENT/SERVER_TRAFFIC_SECRET_0",
                })
            } else {
                None
            };
            self.keys = Keys::Tls13 {
                suite: params,
                dirs: Box::new([client, server]),
                exporter: s.exporter.clone(),
                missing,
            };
            return;
        }
        let Some(sr) = self.server_random else { return };
        let Some(master) = secrets.and_then(|s| s.master_secret.clone()) else {
            self.keys = Keys::Failed(DecryptError::NoKey {
                client_random: short,
                wanted: "CLIENT_RANDOM",
            });
            return;
        };
        if master.len() != 48 {
            self.keys = Keys::Failed(DecryptError::BadSecret {
                label: "CLIENT_RANDOM",
                len: master.len(),
            });
            return;
        }
        let params = Tls12Params {
            version,
            suite: params,
            encrypt_then_mac: self.encrypt_then_mac,
        };
        let kb = KeyBlock::derive(&params, master.bytes(), &cr, &sr);
        match (
            RecordDecryptor12::new(params, kb.client),
            RecordDecryptor12::new(params, kb.server),
        ) {
            (Some(c), Some(s)) => {
                self.keys = Keys::Tls12 {
                    params,
                    master,
                    dirs: [c, s],
                }
            }
            _ => self.keys = Keys::Failed(DecryptError::UnsupportedCipherSuite(suite)),
        }
    }

    fn alert(&mut self, from: Side, content: &[u8]) {
        if let Ok(a) = Alert::parse(content, 0) {
            if self.revealed.alerts.len() < MAX_ALERTS {
                self.revealed.alerts.push((from, a.level, a.description));
            }
        }
    }

    fn reveal(&mut self, d: &DecryptedRecord) {
        let e = &mut self.revealed.last_epoch[idx(d.from)];
        *e = (*e).max(d.epoch);
        match d.content_type {
            ContentType::HANDSHAKE => self.handshake_content(d.from, &d.plaintext),
            ContentType::ALERT => self.alert(d.from, &d.plaintext),
            ContentType::APPLICATION_DATA => {
                let a = &mut self.revealed.application_data[idx(d.from)];
                a.0 += 1;
                a.1 += d.plaintext.len() as u64;
            }
            _ => {}
        }
    }

    fn handshake_content(&mut self, from: Side, content: &[u8]) {
        for frag in HandshakeFragments::new(content, 0) {
            let Ok(frag) = frag else {
                self.revealed.parse_errors += 1;
                return;
            };
            match self.reassembly[idx(from)].feed(&frag) {
                Ok(Outcome::Complete(m)) => {
                    let body = m.body.into_owned();
                    self.message(from, m.msg_type, &body);
                }
                Ok(_) => {}
                Err(_) => self.revealed.parse_errors += 1,
            }
        }
    }

    fn message(&mut self, from: Side, t: HandshakeType, body: &[u8]) {
        let Ok(msg) = Message::parse(t, body, 0, &self.ctx) else {
            self.revealed.parse_errors += 1;
            return;
        };
        let r = &mut self.revealed;
        match msg {
            Message::ClientHello(ch) => {
                r.client = Some(from);
                self.client_random = ch.random.bytes.try_into().ok();
                if let Some(Ok(ExtensionBody::ConnectionId(c))) =
                    ch.extension(ExtensionType::CONNECTION_ID)
                {
                    self.cid_len[idx(from)] = c.bytes.len();
                }
            }
            Message::ServerHello(sh) if !sh.is_hello_retry_request() => {
                if r.client.is_none() {
                    r.client = Some(from.peer());
                }
                let v = sh.negotiated_version();
                r.version = Some(v);
                r.cipher_suite = Some(sh.cipher_suite);
                self.server_random = sh.random.bytes.try_into().ok();
                self.ctx = MessageContext {
                    version: v,
                    cipher_suite: Some(sh.cipher_suite),
                };
                self.encrypt_then_mac = sh
                    .extensions()
                    .find(ExtensionType::ENCRYPT_THEN_MAC)
                    .is_some();
                r.encrypt_then_mac = self.encrypt_then_mac;
                if let Some(Ok(ExtensionBody::UseSrtp(u))) = sh.extension(ExtensionType::USE_SRTP) {
                    r.srtp_profile = u.profiles.iter().next();
                    r.srtp_mki = u.mki.bytes.to_vec();
                }
                if let Some(Ok(ExtensionBody::ConnectionId(c))) =
                    sh.extension(ExtensionType::CONNECTION_ID)
                {
                    self.cid_len[idx(from)] = c.bytes.len();
                }
            }
            Message::EncryptedExtensions(exts) => {
                if let Some(e) = exts.clone().find(ExtensionType::USE_SRTP) {
                    if let Ok(ExtensionBody::UseSrtp(u)) =
                        e.body(crate::ext::ExtensionContext::EncryptedExtensions)
                    {
                        r.srtp_profile = u.profiles.iter().next();
                        r.srtp_mki = u.mki.bytes.to_vec();
                    }
                }
            }
            Message::Certificate(c) => {
                r.certificates[idx(from)] = c
                    .entries()
                    .map_while(Result::ok)
                    .map(|e| CertificateInfo {
                        der_len: e.der.bytes.len(),
                        sha256: Fingerprint::sha256(e.der.bytes),
                        sha1: Fingerprint::sha1(e.der.bytes),
                    })
                    .collect();
            }
            Message::CertificateVerify(_) => r.certificate_verify[idx(from)] += 1,
            Message::KeyUpdate(_) => r.key_updates[idx(from)] += 1,
            Message::Finished(v) => r.finished[idx(from)] = Some(v.bytes.to_vec()),
            _ => {}
        }
    }
}

fn hex8(b: &[u8]) -> String {
    b.iter().take(8).map(|x| format!("{x:02x}")).collect()
}
