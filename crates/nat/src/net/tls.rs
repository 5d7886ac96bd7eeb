//! TLS for `turns:` and `stuns:` (RFC 7065): the client configuration (rustls with the ring
//! provider; trust roots from the system store and `--ca`, or none with `--insecure`), the
//! facts a handshake established, and plain-language explanations of TLS failures.
//!
//! The TLS session itself is driven by [`super::turn`]: bytes in from the socket, plaintext
//! out to the STUN framing, and back; the TURN check never sees TLS.

use crate::turn::TlsInfo;
use rtcscope_dtls::fingerprint::Fingerprint;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, Error,
    ProtocolVersion, RootCertStore, SignatureScheme,
};
use std::io;
use std::path::Path;
use std::sync::Arc;

/// How `turns:` and `stuns:` servers are reached: a rustls client configuration built once and
/// shared by every TLS check of a run.
pub struct TlsClient {
    config: Arc<ClientConfig>,
    /// The verifier of the trust roots, for the after-the-fact check under `--insecure`
    /// (None when there are no roots at all).
    verifier: Option<Arc<WebPkiServerVerifier>>,
    /// What the certificate is verified against, in words.
    trust: String,
    insecure: bool,
}

impl core::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsClient")
            .field("trust", &self.trust)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

/// A verifier that verifies no certificate: it accepts every chain (`--insecure`) or rejects
/// every chain as issued by an unknown CA (no trust roots at all). Handshake signatures are
/// still checked, with the provider's algorithms.
#[derive(Debug)]
struct Fixed {
    accept: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Fixed {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.accept {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Reads every PEM certificate in `path`.
fn read_ca_file(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    let pem = std::fs::read(path)
        .map_err(|e| io::Error::new(e.kind(), format!("reading {}: {e}", path.display())))?;
    let mut certs = Vec::new();
    for c in CertificateDer::pem_slice_iter(&pem) {
        certs.push(c.map_err(|e| bad(format!("{}: bad PEM: {e}", path.display())))?);
    }
    if certs.is_empty() {
        return Err(bad(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            path.display()
        )));
    }
    Ok(certs)
}

impl TlsClient {
    /// Builds the client: trust roots from the system store (`rustls-native-certs`: on Debian
    /// /etc/ssl/certs; `SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured) plus every certificate
    /// in the PEM file `ca_file`. With `insecure`, the server's certificate is not verified
    /// (the report says so). Fails on an unreadable or certificate-less `ca_file`, or a
    /// certificate in it that cannot be a trust anchor.
    pub fn new(ca_file: Option<&Path>, insecure: bool) -> io::Result<TlsClient> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for e in &native.errors {
            tracing::debug!("system certificate store: {e}");
        }
        let (system, _ignored) = roots.add_parsable_certificates(native.certs);
        let mut trust = format!("the system store ({})", plural(system, "certificate"));
        if let Some(path) = ca_file {
            let certs = read_ca_file(path)?;
            let n = certs.len();
            for (i, c) in certs.into_iter().enumerate() {
                roots.add(c).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{}: certificate {} cannot be a trust anchor: {e}",
                            path.display(),
                            i + 1
                        ),
                    )
                })?;
            }
            trust.push_str(&format!(
                " and --ca {} ({})",
                path.display(),
                plural(n, "certificate")
            ));
        }
        let verifier = if roots.is_empty() {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| io::Error::other(format!("TLS certificate verifier: {e}")))?,
            )
        };
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| io::Error::other(format!("TLS configuration: {e}")))?;
        let algorithms = provider.signature_verification_algorithms;
        let builder = match (&verifier, insecure) {
            (Some(v), false) => builder.with_webpki_verifier(v.clone()),
            (_, accept) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Fixed { accept, algorithms })),
        };
        if verifier.is_none() {
            trust = "no certificate at all: the system store is empty or missing (install \
                     ca-certificates)"
                .into();
        }
        Ok(TlsClient {
            config: Arc::new(builder.with_no_client_auth()),
            verifier,
            trust,
            insecure,
        })
    }

    /// What certificates are verified against, in words (`the system store (146 certificates)
    /// and --ca ca.pem (1 certificate)`).
    pub fn trust(&self) -> &str {
        &self.trust
    }

    /// True with `--insecure`: certificates are not verified.
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    /// A new client session for `host` (the name sent as SNI and verified; an IP literal is
    /// verified against the certificate's IP addresses).
    pub(crate) fn connect(&self, host: &str) -> Result<ClientConnection, String> {
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| format!("{host:?} is not a valid TLS server name: {e}"))?;
        ClientConnection::new(self.config.clone(), name)
            .map_err(|e| format!("starting TLS for {host}: {e}"))
    }

    /// The facts of a session whose handshake finished or failed: version, cipher, the
    /// certificate's fingerprint and how it was verified. `failed` is the handshake error.
    pub(crate) fn facts(
        &self,
        conn: &ClientConnection,
        host: &str,
        failed: Option<&Error>,
        handshake_ms: Option<f64>,
    ) -> TlsInfo {
        let certs = conn.peer_certificates().unwrap_or(&[]);
        let verified = failed.is_none() && !self.insecure;
        let verification = if self.insecure {
            format!(
                "certificate not verified (--insecure); {}",
                self.verify_afterwards(certs, host)
            )
        } else if let Some(e) = failed.filter(|e| matches!(e, Error::InvalidCertificate(_))) {
            format!("not trusted: {e} (checked against {})", self.trust)
        } else if verified {
            format!("valid for {host}, verified against {}", self.trust)
        } else {
            format!("not verified: the handshake failed (trust: {})", self.trust)
        };
        TlsInfo {
            server_name: host.to_string(),
            version: conn.protocol_version().map(version_name),
            cipher_suite: conn
                .negotiated_cipher_suite()
                .map(|s| suite_name(s.suite())),
            certificate_verified: verified,
            verification,
            certificate_sha256: certs.first().map(|c| Fingerprint::sha256(c).hex()),
            certificates: certs.len(),
            handshake_ms,
        }
    }

    /// Under `--insecure`: what verifying the certificate against the trust roots would have
    /// said, in words.
    fn verify_afterwards(&self, certs: &[CertificateDer<'static>], host: &str) -> String {
        let (Some(v), Some((leaf, rest))) = (&self.verifier, certs.split_first()) else {
            return format!("it could not be checked afterwards either ({})", self.trust);
        };
        let Ok(name) = ServerName::try_from(host.to_string()) else {
            return "it could not be checked afterwards either (bad server name)".into();
        };
        match v.verify_server_cert(leaf, rest, &name, &[], UnixTime::now()) {
            Ok(_) => format!(
                "checked afterwards, it would have been trusted for {host} by {}",
                self.trust
            ),
            Err(e) => format!(
                "checked afterwards, it would NOT have been trusted: {e} (against {})",
                self.trust
            ),
        }
    }
}

/// `TLS 1.3`, `TLS 1.2`.
fn version_name(v: ProtocolVersion) -> String {
    match v {
        ProtocolVersion::TLSv1_3 => "TLS 1.3".into(),
        ProtocolVersion::TLSv1_2 => "TLS 1.2".into(),
        other => format!("{other:?}"),
    }
}

/// The IANA name of a cipher suite (rustls spells the TLS 1.3 ones `TLS13_…`).
fn suite_name(s: rustls::CipherSuite) -> String {
    match s.as_str() {
        Some(n) => match n.strip_prefix("TLS13_") {
            Some(rest) => format!("TLS_{rest}"),
            None => n.to_string(),
        },
        None => format!("0x{:04X}", u16::from(s)),
    }
}

/// A TLS failure explained: a short reason and what it means for `host` at `server`.
pub(crate) fn explain(e: &Error, host: &str, trust: &str) -> (String, String) {
    let fix = "if the server uses a private CA or a self-signed certificate, give it with --ca \
               FILE (PEM), or use --insecure to check the server without verifying its \
               certificate";
    match e {
        Error::InvalidCertificate(c) => {
            let why = match c {
                CertificateError::UnknownIssuer => {
                    format!("it was not issued by a trusted CA (checked against {trust}); {fix}")
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    format!(
                        "it was not issued for {host}: put a name the certificate is valid for \
                         in the URI, or have the server's certificate include {host}"
                    )
                }
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. } => {
                    "it is outside its validity period (or this machine's clock is wrong)".into()
                }
                CertificateError::Revoked => "it has been revoked".into(),
                _ => format!("checked against {trust}; {fix}"),
            };
            (
                "certificate not trusted".into(),
                format!("the server's TLS certificate for {host} is not trusted ({e}): {why}"),
            )
        }
        Error::AlertReceived(a) => (
            "handshake failure".into(),
            format!("the server ended the TLS handshake with the alert {a:?}"),
        ),
        Error::PeerIncompatible(p) => (
            "handshake failure".into(),
            format!(
                "the server and rtcscope have no TLS version or cipher suite in common ({p:?})"
            ),
        ),
        Error::InvalidMessage(_)
        | Error::InappropriateMessage { .. }
        | Error::InappropriateHandshakeMessage { .. } => (
            "not TLS".into(),
            format!(
                "the server did not answer with TLS ({e}): is TLS enabled on this port? \
                 (coturn serves TLS on 5349 when given --cert and --pkey)"
            ),
        ),
        _ => (
            "handshake failure".into(),
            format!("the TLS handshake failed: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_and_suite_names() {
        assert_eq!(
            suite_name(rustls::CipherSuite::TLS13_AES_256_GCM_SHA384),
            "TLS_AES_256_GCM_SHA384"
        );
        assert_eq!(
            suite_name(rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        );
        assert_eq!(version_name(ProtocolVersion::TLSv1_3), "TLS 1.3");
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_an_error() {
        let e = TlsClient::new(Some(Path::new("/nonexistent/ca.pem")), false).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
        let dir = std::env::temp_dir().join(format!("rtcscope-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("empty.pem");
        std::fs::write(&f, "not a certificate\n").unwrap();
        let e = TlsClient::new(Some(&f), false).unwrap_err();
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn certificate_errors_say_not_trusted_and_why() {
        let (reason, text) = explain(
            &Error::InvalidCertificate(CertificateError::UnknownIssuer),
            "198.51.100.2",
            "the system store (0 certificates)",
        );
        assert_eq!(reason, "certificate not trusted");
        assert!(
            text.contains("198.51.100.2") && text.contains("--ca"),
            "{text}"
        );
        let (_, text) = explain(
            &Error::InvalidCertificate(CertificateError::NotValidForName),
            "turn.example.org",
            "x",
        );
        assert!(text.contains("not issued for turn.example.org"), "{text}");
    }
}
