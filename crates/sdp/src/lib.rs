//! SDP (RFC 8866) for WebRTC: a lossless line parser, typed WebRTC attributes, a JSEP linter and
//! a report.
//!
//! * [`Sdp::parse`] splits the text into [`Line`]s (1-based number, byte offset, raw text,
//!   terminator) grouped into the session part and media [`Section`]s. It borrows from the input
//!   (zero-copy), never fails, never panics and is linear in the input: malformed lines become
//!   [`LineKind::Malformed`] with a located [`rtcscope_wire::Error`] (`Layer::Sdp`), unknown
//!   attributes [`Attribute::Unknown`] kept verbatim. [`Sdp::emit`] writes the input back.
//! * [`Attribute`] types the attributes WebRTC uses: ICE (RFC 8839), DTLS (RFC 8842/8122),
//!   BUNDLE (RFC 8843), RTP (rtpmap/fmtp/rtcp-fb/extmap/ssrc/msid/rid/simulcast), SCTP
//!   (RFC 8841) and SDES (RFC 4568). Each writes itself back with `Display`.
//! * [`documents`] takes SDP out of raw text or signalling JSON (`{"type":"offer","sdp":…}`,
//!   nested or in arrays) and remembers the offer/answer type.
//! * [`lint`] checks RFC 8866 syntax and WebRTC/JSEP rules; every [`Finding`] has a stable rule
//!   id (see [`RULES`]), a [`Severity`] and a line number.
//! * [`Report`] is the owned summary (codecs, RTX pairings, header extensions, SSRCs, rids,
//!   candidates, fingerprints, findings) with a text rendering, serializable with the `serde`
//!   feature.
//!
//! ```
//! use rtcscope_sdp::{analyze, Severity};
//! let offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
//!              m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n";
//! let reports = analyze(offer.as_bytes(), None).unwrap();
//! assert_eq!(reports[0].media[0].codecs[0].pt, 111);
//! assert!(reports[0].findings.iter().any(|f| f.rule == "rtpmap-missing"));
//! assert!(reports[0].findings.iter().any(|f| f.severity == Severity::Error));
//! ```
#![forbid(unsafe_code)]

mod attr;
mod input;
mod lint;
mod parse;
mod report;
mod text;

pub use attr::{
    fingerprint_digest_len, fmtp_params, AddressKind, Attribute, Candidate, CandidateType,
    Direction, RidDirection, Setup, SimulcastId, SimulcastList,
};
pub use input::{documents, Document, InputError, SdpType};
pub use lint::{lint, rule, Finding, LintOptions, Rule, Severity, MAX_PER_RULE, RULES};
pub use parse::{
    Bandwidth, Connection, Line, LineEnding, LineKind, MediaLine, Origin, Sdp, Section,
};
pub use report::{
    static_payload_type, CandidateRow, Codec, Extmap, FileReport, Fingerprint, Group, MediaReport,
    Report, Rid, Ssrc, SsrcGroup, Transport,
};
pub use text::FieldError;

/// Finds every SDP in `input` (raw or JSON), parses, lints and summarises each.
///
/// `sdp_type` overrides the type found in JSON (e.g. from a `--type answer` flag).
pub fn analyze(input: &[u8], sdp_type: Option<SdpType>) -> Result<Vec<Report>, InputError> {
    Ok(documents(input)?
        .iter()
        .map(|d| {
            let sdp = Sdp::parse(&d.text);
            let opts = LintOptions {
                sdp_type: sdp_type.or(d.sdp_type),
                invalid_utf8_at: d.invalid_utf8_at,
            };
            Report::new(&sdp, &d.path, &opts)
        })
        .collect())
}

/// Entry points for the cargo-fuzz target (`fuzz/fuzz_targets/sdp.rs`); not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// Parses, lints and renders `data` as raw SDP and as input (JSON or raw), and checks the
    /// round trips: verbatim emission reproduces the text, and every typed attribute reparses
    /// from its `Display` form to the same value. Panics only when one of those breaks.
    pub fn run(data: &[u8]) {
        let _ = analyze(data, None).map(|rs| rs.iter().map(Report::to_text).count());
        let text = String::from_utf8_lossy(data);
        let sdp = Sdp::parse(&text);
        let _ = lint(&sdp, &LintOptions::default());
        let emitted = sdp.emit("\n");
        let expected: String = normalize_endings(&text);
        assert_eq!(emitted, expected, "verbatim emission lost text");
        for l in sdp.lines() {
            if let Some(a) = l.attribute() {
                if !a.is_verbatim() {
                    let written = a.to_string();
                    let again = Attribute::parse_text(&written);
                    assert_eq!(&again, a, "typed round trip of `{}` via `{written}`", l.raw);
                }
            }
        }
        let canon = sdp.emit_canonical("\r\n");
        let reparsed = Sdp::parse(&canon);
        assert_eq!(
            reparsed.lines().count(),
            sdp.lines().count(),
            "canonical emission changed the line count"
        );
    }

    /// The text with every CRLF turned into LF (what [`Sdp::emit`] with `"\n"` must give back).
    pub fn normalize_endings(text: &str) -> String {
        text.replace("\r\n", "\n")
    }
}

#[cfg(test)]
mod tests {
    use super::fuzzing;

    /// The fuzz target's body on a few seeds: a valid offer, garbage, JSON, invalid UTF-8.
    #[test]
    fn fuzz_body_runs_on_seeds() {
        for seed in [
            &b"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"[..],
            b"a=candidate:1 1 udp 1 ::1 9 typ host\na=simulcast:send ~a;b,c\n",
            br#"[{"type":"answer","sdp":"v=0\r\na=setup:actpass\r\n"}]"#,
            b"\xff\xfe=\r\r\n\n",
            b"",
        ] {
            fuzzing::run(seed);
        }
    }
}
