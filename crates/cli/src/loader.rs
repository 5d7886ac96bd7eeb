//! What `analyze` and `report` share to turn a capture file into the engine's report: the
//! SDP knowledge and keys given on the command line (`--sdp`, `--keylog`, `--srtp-key`), the
//! pcapng Decryption Secrets Blocks, and the reading loop with its damaged-record policy.
//! One copy, so the HTML report shows exactly what `analyze --json` prints.

use crate::input;
use anyhow::Context as _;
use rtcscope_analysis::Engine;
use rtcscope_capture::source::{Next, PacketSource};

/// Feeds the SDPs' codecs, extension ids, fingerprints and candidates to the engine.
pub fn apply_sdp(engine: &mut Engine, sdp: &[String]) -> anyhow::Result<()> {
    if let Some(k) = rtcscope_analysis::sdp_hints::load(sdp)? {
        engine.set_media_hints(k.hints, k.srtp);
        engine.set_sdp_fingerprints(k.fingerprints);
        engine.set_sdp_candidates(k.candidates);
    }
    Ok(())
}

/// The key options of every command that reads packets and decrypts (`analyze`, `report`,
/// `dissect`): one definition, so they are spelled and explained alike.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct KeyArgs {
    /// NSS key log (SSLKEYLOGFILE of Firefox, NSS, OpenSSL, BoringSSL) to decrypt DTLS, the
    /// data channels and, through the DTLS-SRTP exporter, SRTP/SRTCP; repeatable. Key logs
    /// in the capture's pcapng Decryption Secrets Blocks are used as well.
    #[arg(long = "keylog", value_name = "FILE")]
    pub keylog: Vec<String>,
    /// SRTP master key for SRTP/SRTCP not keyed by DTLS: `[SCOPE@]PROFILE:KEY` with KEY as
    /// base64 key||salt (as in a=crypto) or hex, or a whole `a=crypto:` line; an MKI follows
    /// the key as in a=crypto (`KEY|2^31|1:4`: lifetime, then MKI value:length); SCOPE is an
    /// SSRC (`0x20c23467`) or the sender's IP:PORT; repeatable. SDES keys in `--sdp` are used
    /// too.
    #[arg(long = "srtp-key", value_name = "SPEC")]
    pub srtp_key: Vec<String>,
}

impl KeyArgs {
    /// These keys and the `a=crypto` lines of `sdp` ([`load_keys`]).
    pub fn load(&self, sdp: &[String]) -> anyhow::Result<rtcscope_analysis::decrypt::KeyStore> {
        load_keys(&self.keylog, &self.srtp_key, sdp)
    }
}

/// The keys of `--keylog`, `--srtp-key` and the `a=crypto` lines of `--sdp`. Errors name the
/// file or argument and never repeat key text.
pub fn load_keys(
    keylog: &[String],
    srtp_key: &[String],
    sdp: &[String],
) -> anyhow::Result<rtcscope_analysis::decrypt::KeyStore> {
    use rtcscope_analysis::decrypt::{parse_scoped_key, KeyStore};
    let mut keys = KeyStore::default();
    for path in keylog {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read key log {path}"))?;
        keys.keylog.add_text(path, &String::from_utf8_lossy(&bytes));
        if keys.keylog.is_empty() {
            anyhow::bail!(
                "--keylog {path}: no usable key log line (expected NSS key log lines such as \
                 CLIENT_RANDOM or EXPORTER_SECRET; {} malformed)",
                keys.keylog.error_count
            );
        }
    }
    for (i, spec) in srtp_key.iter().enumerate() {
        let (scope, key) =
            parse_scoped_key(spec).map_err(|e| anyhow::anyhow!("--srtp-key #{}: {e}", i + 1))?;
        keys.add_srtp_key(format!("--srtp-key #{}", i + 1), scope, key);
    }
    for path in sdp {
        let text = std::fs::read(path).with_context(|| format!("cannot read SDP {path}"))?;
        let text = String::from_utf8_lossy(&text);
        // Raw SDP, or a signalling JSON blob whose SDP string escapes its line ends.
        for (n, start) in text.match_indices("a=crypto:").map(|(i, _)| i).enumerate() {
            let line: String = text[start..]
                .split(['\r', '\n', '"'])
                .next()
                .unwrap_or_default()
                .split("\\r")
                .next()
                .unwrap_or_default()
                .split("\\n")
                .next()
                .unwrap_or_default()
                .to_owned();
            keys.add_sdes(path, &line)
                .map_err(|e| anyhow::anyhow!("{path}: a=crypto line {}: {e}", n + 1))?;
        }
    }
    Ok(keys)
}

/// Adds the Decryption Secrets Block key logs from index `from` on; returns how many there are.
pub fn add_dsbs(engine: &mut Engine, logs: &[String], from: usize) -> usize {
    for (i, text) in logs.iter().enumerate().skip(from) {
        engine.add_secrets_block(i, text);
    }
    logs.len()
}

/// The key logs of the Decryption Secrets Blocks a pcapng file holds before its first packet
/// (read ahead, on a second handle: the engine needs them before the handshakes); none when
/// the file cannot be read (its reader reports that).
pub fn leading_dsbs(name: &str) -> Vec<String> {
    input::open(name)
        .ok()
        .and_then(|f| rtcscope_capture::file::CaptureReader::new(f).ok())
        .map(|mut r| {
            let _ = r.next_packet();
            r.tls_key_logs().to_vec()
        })
        .unwrap_or_default()
}

/// Reads a capture file's packets into the engine: key logs in pcapng Decryption Secrets
/// Blocks before the first packet first (the engine needs them before the handshakes), later
/// ones as they come; damaged records are named on standard error as they are skipped, every
/// one of them (the source keeps only the first few); a fatal error ends the file, and the
/// caller reads it from `source.fatal()`.
pub fn feed_file(engine: &mut Engine, source: &mut PacketSource<'_>, name: &str) {
    let mut dsbs = 0;
    if name != "-" {
        dsbs = add_dsbs(engine, &leading_dsbs(name), 0);
    }
    feed_file_from(engine, source, name, dsbs);
}

/// [`feed_file`] once the first `dsbs` Decryption Secrets Blocks have been given to the engine.
pub fn feed_file_from(
    engine: &mut Engine,
    source: &mut PacketSource<'_>,
    name: &str,
    mut dsbs: usize,
) {
    loop {
        match source.next_observing(|e| eprintln!("rtcscope: {name}: {e} (skipped)")) {
            Next::Packet(p) => {
                engine.feed_packet(&p);
            }
            Next::Idle => {}
            Next::End => break,
        }
        if let Some(r) = source.reader() {
            if r.tls_key_logs().len() > dsbs {
                dsbs = add_dsbs(engine, r.tls_key_logs(), dsbs);
            }
        }
    }
}
