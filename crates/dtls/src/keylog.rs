//! NSS key log files (`SSLKEYLOGFILE`), the format Wireshark reads for (D)TLS decryption.
//!
//! One secret a line: `LABEL <client_random hex> <secret hex>`; `#` starts a comment.
//! ≤ 1.2 uses `CLIENT_RANDOM` (the 48-byte master secret) and `RSA`; 1.3 uses the traffic
//! secrets (`CLIENT_HANDSHAKE_TRAFFIC_SECRET`, `SERVER_TRAFFIC_SECRET_0`, ...). Labels this
//! module does not know are kept as [`KeyLogLabel::Other`], since implementations add their own
//! (wolfSSL writes `CLIENT_TRAFFIC_SECRET` without the `_0`).
//!
//! This module only parses; decryption is a later stage (see the seam described in
//! [`crate::record`]).

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

/// One secret.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    }
}
