//! NSS key log files (`SSLKEYLOGFILE`), the format Wireshark reads for (D)TLS decryption.
//!
//! One secret a line: `LABEL <client_random hex> <secret hex>`; `#` starts a comment.
//! ≤ 1.2 uses `CLIENT_RANDOM` (the 48-byte master secret) and `RSA`; 1.3 uses the traffic
//! secrets (`CLIENT_HANDSHAKE_TRAFFIC_SECRET`, `SERVER_TRAFFIC_SECRET_0`, ...). Labels this
//! module does not know are kept as [`KeyLogLabel::Other`], since implementations add their own
//! (wolfSSL writes `CLIENT_TRAFFIC_SECRET` without the `_0`).
//!
//! [`KeyLog`] parses one text; [`KeyLogIndex`] merges any number of texts (files, pcapng
//! Decryption Secrets Blocks) into a map from client random to [`Secrets`], which the
//! decryptor ([`crate::decrypt`]) looks up once per association.

use core::fmt;

/// The label of a key log line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyLogLabel {
    /// `CLIENT_RANDOM`: ≤ 1.2 master secret.
    ClientRandom,
    /// `RSA`: first 8 bytes of the encrypted premaster secret, then the premaster secret.
    Rsa,
    /// `CLIENT_EARLY_TRAFFIC_SECRET`.
    ClientEarlyTrafficSecret,
    /// `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    ClientHandshakeTrafficSecret,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    ServerHandshakeTrafficSecret,
    /// `CLIENT_TRAFFIC_SECRET_0`.
    ClientTrafficSecret0,
    /// `SERVER_TRAFFIC_SECRET_0`.
    ServerTrafficSecret0,
    /// `EARLY_EXPORTER_SECRET`.
    EarlyExporterSecret,
    /// `EXPORTER_SECRET`.
    ExporterSecret,
    /// Any other label, verbatim.
    Other(String),
}

impl KeyLogLabel {
    fn from_str(s: &str) -> Self {
        match s {
            "CLIENT_RANDOM" => KeyLogLabel::ClientRandom,
            "RSA" => KeyLogLabel::Rsa,
            "CLIENT_EARLY_TRAFFIC_SECRET" => KeyLogLabel::ClientEarlyTrafficSecret,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => KeyLogLabel::ClientHandshakeTrafficSecret,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => KeyLogLabel::ServerHandshakeTrafficSecret,
            "CLIENT_TRAFFIC_SECRET_0" => KeyLogLabel::ClientTrafficSecret0,
            "SERVER_TRAFFIC_SECRET_0" => KeyLogLabel::ServerTrafficSecret0,
            "EARLY_EXPORTER_SECRET" => KeyLogLabel::EarlyExporterSecret,
            "EXPORTER_SECRET" => KeyLogLabel::ExporterSecret,
            other => KeyLogLabel::Other(other.to_owned()),
        }
    }
}

/// One secret. `Debug` shows only a prefix and the length of the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyLogEntry {
    /// Label.
    pub label: KeyLogLabel,
    /// The ClientHello random (32 bytes), or for `RSA` the first 8 bytes of the encrypted
    /// premaster secret.
    pub client_random: Vec<u8>,
    /// The secret.
    pub secret: Vec<u8>,
    /// 1-based line number.
    pub line: usize,
}

impl fmt::Debug for KeyLogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyLogEntry")
            .field("label", &self.label)
            .field("client_random", &rtcscope_wire::Hex(&self.client_random))
            .field("secret", &crate::decrypt::Secret::from_slice(&self.secret))
            .field("line", &self.line)
            .finish()
    }
}

/// A malformed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLogError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl fmt::Display for KeyLogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key log line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for KeyLogError {}

/// A parsed key log: the good lines and the malformed ones (lax, like Wireshark, which skips
/// lines it cannot use).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyLog {
    /// Well-formed entries in file order.
    pub entries: Vec<KeyLogEntry>,
    /// Malformed lines.
    pub errors: Vec<KeyLogError>,
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.is_empty() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl KeyLog {
    /// Parses the text of a key log file.
    pub fn parse(text: &str) -> KeyLog {
        let mut log = KeyLog::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let mut parts = l.split_ascii_whitespace();
            let (Some(label), Some(random), Some(secret), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                log.errors.push(KeyLogError {
                    line,
                    reason: "expected three fields: LABEL CLIENT_RANDOM SECRET",
                });
                continue;
            };
            let label = KeyLogLabel::from_str(label);
            let (Some(client_random), Some(secret)) = (unhex(random), unhex(secret)) else {
                log.errors.push(KeyLogError {
                    line,
                    reason: "client random and secret must be hex",
                });
                continue;
            };
            let want = if label == KeyLogLabel::Rsa { 8 } else { 32 };
            if client_random.len() != want {
                log.errors.push(KeyLogError {
                    line,
                    reason: "the client random must be 32 bytes (8 for RSA)",
                });
                continue;
            }
            log.entries.push(KeyLogEntry {
                label,
                client_random,
                secret,
                line,
            });
        }
        log
    }

    /// The entries for one ClientHello random.
    pub fn for_client_random<'s>(
        &'s self,
        client_random: &'s [u8],
    ) -> impl Iterator<Item = &'s KeyLogEntry> + 's {
        self.entries
            .iter()
            .filter(move |e| e.client_random == client_random)
    }

    /// The secret with `label` for `client_random`, if logged.
    pub fn secret(&self, label: &KeyLogLabel, client_random: &[u8]) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|e| &e.label == label && e.client_random == client_random)
            .map(|e| e.secret.as_slice())
    }
}

/// The secrets of one association (one ClientHello random), by what they are for.
/// Keys print as a short prefix and their length ([`crate::decrypt::Secret`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    /// `CLIENT_RANDOM`: the ≤ 1.2 master secret.
    pub master_secret: Option<crate::decrypt::Secret>,
    /// `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    pub client_handshake: Option<crate::decrypt::Secret>,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    pub server_handshake: Option<crate::decrypt::Secret>,
    /// `CLIENT_TRAFFIC_SECRET_0` (wolfSSL writes `CLIENT_TRAFFIC_SECRET`, taken as the same).
    pub client_traffic_0: Option<crate::decrypt::Secret>,
    /// `SERVER_TRAFFIC_SECRET_0` (or wolfSSL's `SERVER_TRAFFIC_SECRET`).
    pub server_traffic_0: Option<crate::decrypt::Secret>,
    /// `EXPORTER_SECRET`.
    pub exporter: Option<crate::decrypt::Secret>,
}

/// At most this many malformed lines are kept with their line numbers; all are counted.
pub const MAX_KEPT_ERRORS: usize = 32;

/// Key log lines from any number of sources, indexed by client random. Bounded by the key log
/// size (one entry per association), not by the capture.
#[derive(Clone, Debug, Default)]
pub struct KeyLogIndex {
    map: std::collections::HashMap<[u8; 32], Secrets>,
    /// The first [`MAX_KEPT_ERRORS`] malformed lines, each with its source and line number.
    pub errors: Vec<(String, KeyLogError)>,
    /// All malformed lines.
    pub error_count: usize,
    /// Lines used.
    pub used: usize,
    /// Well-formed lines with a label decryption does not use (`RSA`, early secrets, ...).
    pub ignored: usize,
}

impl KeyLogIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// An index of one text.
    pub fn parse(text: &str) -> Self {
        let mut i = Self::new();
        i.add_text("key log", text);
        i
    }

    /// Adds the lines of `text`; `source` (a file name, "pcapng DSB #2") names it in errors.
    /// A later line for the same client random and label replaces an earlier one.
    pub fn add_text(&mut self, source: &str, text: &str) {
        let log = KeyLog::parse(text);
        for e in log.errors {
            self.error_count += 1;
            if self.errors.len() < MAX_KEPT_ERRORS {
                self.errors.push((source.to_owned(), e));
            }
        }
        for e in log.entries {
            let Ok(random) = <[u8; 32]>::try_from(e.client_random.as_slice()) else {
                self.ignored += 1;
                continue;
            };
            let secret = Some(crate::decrypt::Secret::new(e.secret));
            let s = self.map.entry(random).or_default();
            match &e.label {
                KeyLogLabel::ClientRandom => s.master_secret = secret,
                KeyLogLabel::ClientHandshakeTrafficSecret => s.client_handshake = secret,
                KeyLogLabel::ServerHandshakeTrafficSecret => s.server_handshake = secret,
                KeyLogLabel::ClientTrafficSecret0 => s.client_traffic_0 = secret,
                KeyLogLabel::ServerTrafficSecret0 => s.server_traffic_0 = secret,
                KeyLogLabel::ExporterSecret => s.exporter = secret,
                KeyLogLabel::Other(o) if o == "CLIENT_TRAFFIC_SECRET" => {
                    s.client_traffic_0 = secret
                }
                KeyLogLabel::Other(o) if o == "SERVER_TRAFFIC_SECRET" => {
                    s.server_traffic_0 = secret
                }
                _ => {
                    self.ignored += 1;
                    continue;
                }
            }
            self.used += 1;
        }
    }

    /// The secrets logged for `client_random`.
    pub fn get(&self, client_random: &[u8]) -> Option<&Secrets> {
        self.map.get(<&[u8; 32]>::try_from(client_random).ok()?)
    }

    /// Number of associations (client randoms) with at least one secret.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no secret was read.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_labels_and_reports_bad_lines() {
        let r = "00".repeat(32);
        let text = format!(
            "# comment\n\nCLIENT_RANDOM {r} {ms}\nSERVER_TRAFFIC_SECRET_0 {r} {s}\nWOLF_X {r} 01\nCLIENT_RANDOM zz {s}\nRSA 0011 22\nCLIENT_RANDOM {r}\n",
            ms = "ab".repeat(48),
            s = "cd".repeat(32)
        );
        let log = KeyLog::parse(&text);
        assert_eq!(log.entries.len(), 3);
        assert_eq!(log.entries[0].label, KeyLogLabel::ClientRandom);
        assert_eq!(log.entries[0].secret.len(), 48);
        assert_eq!(log.entries[0].line, 3);
        assert_eq!(log.entries[2].label, KeyLogLabel::Other("WOLF_X".into()));
        assert_eq!(
            log.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![6, 7, 8]
        );
        let random = vec![0u8; 32];
        assert_eq!(
            log.secret(&KeyLogLabel::ServerTrafficSecret0, &random),
            Some(&[0xcd; 32][..])
        );
        assert_eq!(log.secret(&KeyLogLabel::ExporterSecret, &random), None);
        // Secrets never print in full.
        let shown = format!("{log:?}");
        assert!(shown.contains("ababab…(48 bytes)"), "{shown}");
        assert!(!shown.contains(&"ab".repeat(4)), "{shown}");
    }

    #[test]
    fn index_merges_sources_and_counts_junk_with_line_numbers() {
        let a = "11".repeat(32);
        let b = "22".repeat(32);
        let mut idx = KeyLogIndex::new();
        idx.add_text(
            "one.txt",
            &format!(
                "CLIENT_RANDOM {a} {}\njunk\nRSA 0011223344556677 00\n",
                "aa".repeat(48)
            ),
        );
        idx.add_text(
            "two.txt",
            &format!(
                "# c\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {b} {s}\nCLIENT_TRAFFIC_SECRET {b} {s}\nEXPORTER_SECRET {b} {s}\nEXPORTER_SECRET {b} zz\n",
                s = "bb".repeat(32)
            ),
        );
        assert_eq!(idx.len(), 2);
        assert_eq!(idx.used, 4);
        assert_eq!(idx.ignored, 1);
        assert_eq!(idx.error_count, 2);
        assert_eq!(idx.errors[0].0, "one.txt");
        assert_eq!(idx.errors[0].1.line, 2);
        assert_eq!(idx.errors[1].0, "two.txt");
        assert_eq!(idx.errors[1].1.line, 5);
        let sa = idx.get(&[0x11; 32]).unwrap();
        assert_eq!(sa.master_secret.as_ref().unwrap().len(), 48);
        let sb = idx.get(&[0x22; 32]).unwrap();
        assert!(sb.client_traffic_0.is_some() && sb.exporter.is_some());
        assert!(sb.master_secret.is_none());
        assert!(idx.get(&[0x33; 32]).is_none());
        assert!(idx.get(&[0x11; 5]).is_none());
        // Secrets never print in full.
        assert!(!format!("{idx:?}").contains(&"aa".repeat(4)));
    }
}
