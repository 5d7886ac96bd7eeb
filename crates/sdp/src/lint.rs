//! A linter for RFC 8866 syntax and WebRTC/JSEP rules (RFC 9429/8829, RFC 8839 ICE, RFC 8842
//! DTLS, RFC 8843 BUNDLE, RFC 8285 extmap, RFC 5576 ssrc, RFC 8851/8853 rid/simulcast, RFC 8841
//! SCTP).
//!
//! Every rule has a stable id (see [`RULES`]), a fixed severity and the RFC it comes from. Each
//! [`Finding`] names its rule and, when it is about one line, the 1-based line number. The linter
//! is linear in the size of the description (hash maps, no pairwise scans), and reports at most
//! [`MAX_PER_RULE`] findings per rule so a fuzzer's 250 000-line input stays readable.

use crate::attr::{fingerprint_digest_len, fmtp_params, Attribute, CandidateType, RidDirection};
use crate::input::SdpType;
use crate::parse::{LineKind, MediaLine, Sdp, Section};
use crate::text::{is_ice_chars, Clip};
use std::collections::{HashMap, HashSet};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum Severity {
    /// Violates a MUST of an RFC or makes browsers reject the description.
    Error,
    /// Violates a SHOULD, or is very likely a mistake.
    Warning,
    /// Worth knowing (legacy syntax, keys in the clear, rejected sections).
    Info,
}

impl Severity {
    /// `"error"`, `"warning"` or `"info"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A lint rule: stable id, severity, what it checks and where the rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, used in reports and in `tests/expected-failures.tsv`.
    pub id: &'static str,
    /// Severity of every finding of this rule.
    pub severity: Severity,
    /// One-line description.
    pub summary: &'static str,
    /// The specification section it enforces.
    pub reference: &'static str,
}

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Finding {
    /// The rule id.
    pub rule: &'static str,
    /// The rule's severity.
    pub severity: Severity,
    /// The 1-based line it is about, if any.
    pub line: Option<usize>,
    /// What is wrong, in words.
    pub message: String,
}

/// What the linter needs besides the description.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// Offer or answer, when known (from signalling JSON or a command-line flag).
    pub sdp_type: Option<SdpType>,
    /// Byte offset of invalid UTF-8 in the original input, if any (see
    /// [`Document::invalid_utf8_at`](crate::Document::invalid_utf8_at)).
    pub invalid_utf8_at: Option<usize>,
}

/// At most this many findings are reported per rule; the last one says how many were dropped.
pub const MAX_PER_RULE: usize = 50;

macro_rules! rules {
    ($( $(#[$m:meta])* $konst:ident = $id:literal, $sev:ident, $summary:literal, $reference:literal; )*) => {
        /// The rules, as constants.
        pub mod rule {
            use super::{Rule, Severity};
            $( $(#[$m])* #[doc = $summary] pub const $konst: Rule = Rule {
                id: $id, severity: Severity::$sev, summary: $summary, reference: $reference,
            }; )*
        }
        /// Every rule, in the order they are documented.
        pub const RULES: &[Rule] = &[$(rule::$konst),*];
    };
}

rules! {
    EMPTY = "empty", Error, "the description has no lines", "RFC 8866 §5";
    MALFORMED_LINE = "malformed-line", Error, "a line does not follow `<type>=<value>` or its field grammar", "RFC 8866 §5, §9";
    MALFORMED_ATTRIBUTE = "malformed-attribute", Error, "a known attribute's value does not follow its grammar", "RFC 8866 §6 and the attribute's RFC";
    BLANK_LINE = "blank-line", Warning, "an empty line inside the description", "RFC 8866 §5";
    NOT_UTF8 = "not-utf8", Warning, "the input is not valid UTF-8", "RFC 8866 §5 (charset)";
    VERSION_NOT_FIRST = "version-not-first", Error, "the first line is not `v=`", "RFC 8866 §5";
    VERSION_VALUE = "version-value", Error, "`v=` is not 0", "RFC 8866 §5.1";
    REQUIRED_LINE_MISSING = "required-line-missing", Error, "the session part lacks `o=`, `s=` or `t=`", "RFC 8866 §5";
    LINE_ORDER = "line-order", Error, "lines are not in the order RFC 8866 prescribes (a MUST)", "RFC 8866 §5";
    UNKNOWN_LINE_TYPE = "unknown-line-type", Warning, "a type letter RFC 8866 does not define", "RFC 8866 §5";
    CONNECTION_MISSING = "connection-missing", Error, "a media section without `c=` and no session-level `c=`", "RFC 8866 §5.7";
    FINGERPRINT_MISSING = "fingerprint-missing", Error, "a DTLS media section without `a=fingerprint` (media, session or BUNDLE tag)", "RFC 8842 §5, RFC 5763 §5";
    FINGERPRINT_HASH_UNKNOWN = "fingerprint-hash-unknown", Warning, "a fingerprint hash function not in the IANA registry", "RFC 8122 §5";
    FINGERPRINT_HASH_WEAK = "fingerprint-hash-weak", Warning, "a fingerprint with md2/md5, which MUST NOT be used", "RFC 8122 §5";
    FINGERPRINT_DIGEST_LENGTH = "fingerprint-digest-length", Error, "the digest length does not match the hash function", "RFC 8122 §5";
    ICE_CREDENTIALS_MISSING = "ice-credentials-missing", Error, "an ICE media section without `a=ice-ufrag`/`a=ice-pwd` (media, session or BUNDLE tag)", "RFC 8839 §5.4";
    ICE_UFRAG_LENGTH = "ice-ufrag-length", Error, "ice-ufrag is not 4 to 256 characters", "RFC 8839 §5.4";
    ICE_PWD_LENGTH = "ice-pwd-length", Error, "ice-pwd is not 22 to 256 characters", "RFC 8839 §5.4";
    ICE_CHAR = "ice-char", Error, "ice-ufrag/ice-pwd has characters outside ALPHA / DIGIT / `+` / `/`", "RFC 8839 §5.4";
    SETUP_ACTPASS_IN_ANSWER = "setup-actpass-in-answer", Error, "`a=setup:actpass` in an answer", "RFC 8842 §5.3, RFC 5763 §5";
    SETUP_MISSING = "setup-missing", Warning, "a DTLS media section without `a=setup`", "RFC 8842 §5.1";
    BUNDLE_UNKNOWN_MID = "bundle-unknown-mid", Error, "a BUNDLE group names a mid no media section has", "RFC 8843 §7.2, RFC 5888 §5";
    MID_MISSING = "mid-missing", Error, "a media section without `a=mid` while a BUNDLE group exists", "RFC 8843 §7.1, RFC 5888 §4";
    DUPLICATE_MID = "duplicate-mid", Error, "two media sections share a mid", "RFC 5888 §4";
    BUNDLE_ONLY_NOT_BUNDLED = "bundle-only-not-bundled", Error, "`a=bundle-only` on a section that is in no BUNDLE group", "RFC 8843 §6";
    BUNDLE_ONLY_NONZERO_PORT = "bundle-only-nonzero-port", Warning, "`a=bundle-only` with a non-zero port", "RFC 8843 §7.2";
    BUNDLE_TAG_BUNDLE_ONLY = "bundle-tag-bundle-only", Error, "the BUNDLE tag (first mid) is `bundle-only`", "RFC 8843 §7.2.1";
    PORT_ZERO = "port-zero", Info, "a media section with port 0 and no `bundle-only` (rejected or disabled)", "RFC 3264 §6, RFC 8843 §6";
    RTCP_MUX_MISSING = "rtcp-mux-missing", Error, "a WebRTC RTP section without `a=rtcp-mux` (media or BUNDLE tag)", "RFC 9429 §5.2.1, RFC 8843 §9.3";
    RTCP_MUX_ONLY_WITHOUT_MUX = "rtcp-mux-only-without-rtcp-mux", Warning, "`a=rtcp-mux-only` without `a=rtcp-mux`", "RFC 8858 §4.2";
    RTPMAP_MISSING = "rtpmap-missing", Error, "a non-static payload type without `a=rtpmap`", "RFC 8866 §6.6, RFC 3551 §6";
    PAYLOAD_TYPE_INVALID = "payload-type-invalid", Error, "an RTP format that is not a payload type 0-127", "RFC 8866 §5.14, RFC 3550 §5.1";
    PAYLOAD_TYPE_DUPLICATE = "payload-type-duplicate", Error, "a payload type listed twice or mapped twice", "RFC 8866 §6.6";
    PAYLOAD_TYPE_UNLISTED = "payload-type-unlisted", Warning, "rtpmap/fmtp/rtcp-fb for a payload type not in the m= line", "RFC 8866 §6.6, §6.15";
    RTX_APT_MISSING = "rtx-apt-missing", Error, "an `rtx` payload type without `apt=`", "RFC 4588 §8.6";
    RTX_APT_DANGLING = "rtx-apt-dangling", Error, "an `rtx` `apt=` names a payload type the section does not have", "RFC 4588 §8.6";
    EXTMAP_ID_OUT_OF_RANGE = "extmap-id-out-of-range", Error, "an extmap id outside 1-14, 16-255 and 4096-4351", "RFC 8285 §5, §7";
    EXTMAP_TWO_BYTE_ID = "extmap-two-byte-id", Info, "extmap ids above 14 need two-byte headers; no `a=extmap-allow-mixed`", "RFC 8285 §4.3, §6";
    EXTMAP_ID_COLLISION = "extmap-id-collision", Error, "one extmap id names two URIs in a section or BUNDLE group", "RFC 8285 §5, RFC 8843 §9.1.2";
    EXTMAP_URI_DUPLICATE = "extmap-uri-duplicate", Warning, "one URI mapped to two ids in a section", "RFC 8285 §5";
    SSRC_GROUP_UNKNOWN_SSRC = "ssrc-group-unknown-ssrc", Error, "an ssrc-group names an SSRC without `a=ssrc` lines", "RFC 5576 §4.2";
    SSRC_GROUP_SIZE = "ssrc-group-size", Warning, "FID/FEC-FR groups need 2 SSRCs, SIM at least 2", "RFC 5576 §4.2, RFC 5956 §4.3";
    SSRC_CNAME_MISSING = "ssrc-cname-missing", Warning, "an SSRC without `cname`", "RFC 5576 §6.1";
    SSRC_DUPLICATE = "ssrc-duplicate", Error, "one SSRC described in two media sections", "RFC 3550 §8, RFC 8843 §9.2";
    CANDIDATE_COMPONENT = "candidate-component", Error, "a candidate component id outside 1-256", "RFC 8445 §5.1.1.1, RFC 8839 §5.1";
    CANDIDATE_PRIORITY = "candidate-priority", Error, "a candidate priority outside 1 to 2^31-1", "RFC 8445 §5.1.2";
    CANDIDATE_RADDR_MISSING = "candidate-raddr-missing", Warning, "a srflx/prflx/relay candidate without raddr/rport", "RFC 8839 §5.1";
    CANDIDATE_TCPTYPE_MISSING = "candidate-tcptype-missing", Warning, "a TCP candidate without tcptype", "RFC 6544 §4.5";
    CANDIDATE_RTCP_WITH_MUX_ONLY = "candidate-rtcp-with-mux-only", Warning, "an RTCP (component 2) candidate in an `rtcp-mux-only` section", "RFC 8858 §4.2";
    CANDIDATE_MDNS = "candidate-mdns", Info, "a host candidate hidden behind an mDNS `.local` name", "draft-ietf-mmusic-mdns-ice-candidates §3";
    SIMULCAST_RID_UNDECLARED = "simulcast-rid-undeclared", Error, "a simulcast rid without a matching `a=rid` of that direction", "RFC 8853 §5.1";
    RID_PT_UNKNOWN = "rid-pt-unknown", Error, "an `a=rid` pt= restriction names a payload type not in the m= line", "RFC 8851 §4";
    SCTP_PORT_MISSING = "sctp-port-missing", Warning, "an SCTP-over-DTLS section without `a=sctp-port`", "RFC 8841 §5, RFC 9429 §5.2.1";
    MAX_MESSAGE_SIZE_MISSING = "max-message-size-missing", Info, "an SCTP section without `a=max-message-size` (64 KiB assumed)", "RFC 8841 §6";
    SCTPMAP_LEGACY = "sctpmap-legacy", Info, "pre-RFC 8841 data channel syntax (`a=sctpmap`, `DTLS/SCTP`)", "draft-ietf-mmusic-sctp-sdp-05";
    SDES_CRYPTO = "sdes-crypto", Info, "SRTP keys in the description (SDES)", "RFC 4568 §8, RFC 8827 §6.5";
    ATTRIBUTE_DUPLICATE = "attribute-duplicate", Warning, "a single-instance attribute appears twice in a section", "RFC 8859 (multiplexing categories)";
    ATTRIBUTE_LEVEL = "attribute-level", Warning, "a media-level attribute at session level, or a session-level one in a media section", "RFC 8866 §6, the attribute's RFC";
    DIRECTION_CONFLICT = "direction-conflict", Error, "more than one direction attribute in a section", "RFC 8866 §6.7";
}

struct Ctx {
    out: Vec<Finding>,
    counts: HashMap<&'static str, usize>,
}

impl Ctx {
    fn push(&mut self, rule: Rule, line: Option<usize>, message: String) {
        let n = self.counts.entry(rule.id).or_insert(0);
        *n += 1;
        if *n <= MAX_PER_RULE {
            self.out.push(Finding {
                rule: rule.id,
                severity: rule.severity,
                line,
                message,
            });
        }
    }
}

/// Lints a parsed description. Findings come in line order within each rule group.
pub fn lint(sdp: &Sdp<'_>, opts: &LintOptions) -> Vec<Finding> {
    let mut cx = Ctx {
        out: Vec::new(),
        counts: HashMap::new(),
    };
    syntax(sdp, opts, &mut cx);
    let ctx = Context::new(sdp);
    for (i, m) in sdp.media.iter().enumerate() {
        media_section(&ctx, i, m, opts, &mut cx);
    }
    session_wide(sdp, &ctx, opts, &mut cx);
    // Say how many were suppressed, on the last kept finding of each capped rule.
    for (id, n) in &cx.counts {
        if *n > MAX_PER_RULE {
            if let Some(f) = cx.out.iter_mut().rev().find(|f| f.rule == *id) {
                f.message
                    .push_str(&format!(" ({} more like this not shown)", n - MAX_PER_RULE));
            }
        }
    }
    cx.out
}

fn rank(session: bool, c: char) -> Option<u8> {
    let order: &[&[char]] = if session {
        &[
            &['v'],
            &['o'],
            &['s'],
            &['i'],
            &['u'],
            &['e'],
            &['p'],
            &['c'],
            &['b'],
            &['t', 'r'],
            &['z'],
            &['k'],
            &['a'],
        ]
    } else {
        &[&['m'], &['i'], &['c'], &['b'], &['k'], &['a']]
    };
    order.iter().position(|g| g.contains(&c)).map(|p| p as u8)
}

fn syntax(sdp: &Sdp<'_>, opts: &LintOptions, cx: &mut Ctx) {
    if let Some(at) = opts.invalid_utf8_at {
        cx.push(
            rule::NOT_UTF8,
            None,
            format!("invalid UTF-8 at byte {at}; replaced with U+FFFD"),
        );
    }
    let first_number = sdp
        .lines()
        .find(|l| !matches!(l.kind, LineKind::Blank))
        .map(|l| l.number);
    match sdp.lines().find(|l| !matches!(l.kind, LineKind::Blank)) {
        None => cx.push(rule::EMPTY, None, "no lines".into()),
        Some(first) => match first.kind {
            LineKind::Version(0) => {}
            LineKind::Version(v) => cx.push(
                rule::VERSION_VALUE,
                Some(first.number),
                format!("v={v}; only version 0 exists"),
            ),
            _ => cx.push(
                rule::VERSION_NOT_FIRST,
                Some(first.number),
                format!("first line is `{}`, not `v=0`", Clip(first.raw)),
            ),
        },
    }
    if sdp.lines().next().is_some() {
        for (letter, what) in [
            ('o', "o= (origin)"),
            ('s', "s= (session name)"),
            ('t', "t= (timing)"),
        ] {
            if !sdp
                .session
                .lines
                .iter()
                .any(|l| l.type_letter() == Some(letter))
            {
                cx.push(
                    rule::REQUIRED_LINE_MISSING,
                    None,
                    format!("session part has no {what}"),
                );
            }
        }
    }
    for (si, section) in sdp.sections().enumerate() {
        let mut max_rank = 0u8;
        let mut order_reported = false;
        for l in &section.lines {
            match &l.kind {
                LineKind::Blank => cx.push(rule::BLANK_LINE, Some(l.number), "empty line".into()),
                LineKind::Malformed(e) => cx.push(
                    rule::MALFORMED_LINE,
                    Some(l.number),
                    format!("{e} in `{}`", Clip(l.raw)),
                ),
                LineKind::Attribute(Attribute::Invalid { error, .. }) => cx.push(
                    rule::MALFORMED_ATTRIBUTE,
                    Some(l.number),
                    format!("{error} in `{}`", Clip(l.raw)),
                ),
                LineKind::Version(_) if Some(l.number) != first_number => cx.push(
                    rule::VERSION_NOT_FIRST,
                    Some(l.number),
                    "a second `v=` line".into(),
                ),
                _ => {}
            }
            if let Some(c) = l.type_letter() {
                match rank(si == 0, c) {
                    Some(r) if r < max_rank && !order_reported => {
                        order_reported = true;
                        cx.push(
                            rule::LINE_ORDER,
                            Some(l.number),
                            format!("`{c}=` after a line that must follow it"),
                        );
                    }
                    Some(r) => max_rank = max_rank.max(r),
                    None if "visuepcbtrzkam".contains(c) => {} // valid letter, other level
                    None => cx.push(
                        rule::UNKNOWN_LINE_TYPE,
                        Some(l.number),
                        format!("unknown type letter `{c}`"),
                    ),
                }
            }
        }
    }
}

/// Per-section transport facts, computed once (so BUNDLE lookups stay linear).
#[derive(Clone, Copy, Default)]
struct Facts {
    fingerprint: bool,
    setup: bool,
    ufrag: bool,
    pwd: bool,
    rtcp_mux: bool,
    connection: bool,
}

impl Facts {
    fn of(s: &Section<'_>) -> Self {
        let mut f = Facts::default();
        for l in &s.lines {
            match &l.kind {
                LineKind::Connection(_) => f.connection = true,
                LineKind::Attribute(a) => match a {
                    Attribute::Fingerprint { .. } => f.fingerprint = true,
                    Attribute::Setup(_) => f.setup = true,
                    Attribute::IceUfrag(_) => f.ufrag = true,
                    Attribute::IcePwd(_) => f.pwd = true,
                    Attribute::RtcpMux => f.rtcp_mux = true,
                    _ => {}
                },
                _ => {}
            }
        }
        f
    }
}

/// Cross-section facts computed once.
struct Context<'a> {
    /// mid -> media index.
    mid_index: HashMap<&'a str, usize>,
    /// media index -> index of its BUNDLE group.
    group_of: HashMap<usize, usize>,
    /// BUNDLE groups as media indices (unknown mids skipped); first is the tag.
    groups: Vec<Vec<usize>>,
    bundle_present: bool,
    /// True when anything ICE-related appears anywhere.
    uses_ice: bool,
    session: Facts,
    media: Vec<Facts>,
    session_allow_mixed: bool,
}

impl<'a> Context<'a> {
    fn new(sdp: &Sdp<'a>) -> Self {
        let mut mid_index = HashMap::new();
        for (i, m) in sdp.media.iter().enumerate() {
            if let Some(mid) = m.mid() {
                mid_index.entry(mid).or_insert(i);
            }
        }
        let bundles = sdp.bundle_groups();
        let mut group_of = HashMap::new();
        let mut groups = Vec::new();
        for (gi, g) in bundles.iter().enumerate() {
            let idx: Vec<usize> = g.iter().filter_map(|m| mid_index.get(m).copied()).collect();
            for &i in &idx {
                group_of.entry(i).or_insert(gi);
            }
            groups.push(idx);
        }
        let session = Facts::of(&sdp.session);
        let media: Vec<Facts> = sdp.media.iter().map(Facts::of).collect();
        let uses_ice = sdp.sections().any(|s| {
            s.attributes().any(|(_, a)| {
                matches!(
                    a,
                    Attribute::IceUfrag(_) | Attribute::IcePwd(_) | Attribute::Candidate(_)
                )
            })
        });
        Context {
            mid_index,
            group_of,
            groups,
            bundle_present: !bundles.is_empty(),
            uses_ice,
            session,
            media,
            session_allow_mixed: sdp.session.has("extmap-allow-mixed"),
        }
    }

    /// True when `f` holds for the section, the session level, or the section's BUNDLE tag.
    fn resolve(&self, i: usize, f: impl Fn(&Facts) -> bool) -> bool {
        self.media.get(i).is_some_and(&f)
            || f(&self.session)
            || self
                .group_of
                .get(&i)
                .and_then(|g| self.groups.get(*g)?.first())
                .and_then(|tag| self.media.get(*tag))
                .is_some_and(&f)
    }
}

fn is_static_pt(pt: u8) -> bool {
    matches!(pt, 0 | 3..=18 | 25 | 26 | 28 | 31..=34)
}

fn media_section(ctx: &Context<'_>, i: usize, m: &Section<'_>, opts: &LintOptions, cx: &mut Ctx) {
    let Some((mline, media)) = m.media_line() else {
        return;
    };
    let ln = Some(mline.number);
    let bundle_only = m.has("bundle-only");
    let rejected = media.port == 0 && !bundle_only;
    let label = m.mid().map_or_else(
        || format!("m-section {}", i + 1),
        |mid| format!("mid {mid}"),
    );
    if rejected {
        cx.push(
            rule::PORT_ZERO,
            ln,
            format!("{label} ({}) has port 0: rejected or disabled", media.media),
        );
    }
    if bundle_only {
        if media.port != 0 {
            cx.push(
                rule::BUNDLE_ONLY_NONZERO_PORT,
                ln,
                format!("{label} is bundle-only but has port {}", media.port),
            );
        }
        if !ctx.group_of.contains_key(&i) {
            cx.push(
                rule::BUNDLE_ONLY_NOT_BUNDLED,
                ln,
                format!("{label} is bundle-only but in no BUNDLE group"),
            );
        }
    }
    if ctx.bundle_present && m.mid().is_none() {
        cx.push(
            rule::MID_MISSING,
            ln,
            format!(
                "m-section {} has no a=mid but the description uses BUNDLE",
                i + 1
            ),
        );
    }

    // Transport-level checks skip rejected sections.
    if !rejected {
        if !ctx.media[i].connection && !ctx.session.connection {
            cx.push(
                rule::CONNECTION_MISSING,
                ln,
                format!("{label} has no c= line and there is none at session level"),
            );
        }
        if media.is_dtls() {
            if !ctx.resolve(i, |f| f.fingerprint) {
                cx.push(
                    rule::FINGERPRINT_MISSING,
                    ln,
                    format!("{label} uses {} but has no a=fingerprint", media.proto),
                );
            }
            if !ctx.resolve(i, |f| f.setup) {
                cx.push(rule::SETUP_MISSING, ln, format!("{label} has no a=setup"));
            }
        }
        if media.is_dtls() || ctx.uses_ice {
            let u = ctx.resolve(i, |f| f.ufrag);
            let p = ctx.resolve(i, |f| f.pwd);
            let missing: Vec<&str> = [("a=ice-ufrag", !u), ("a=ice-pwd", !p)]
                .iter()
                .filter(|x| x.1)
                .map(|x| x.0)
                .collect();
            if !missing.is_empty() {
                cx.push(
                    rule::ICE_CREDENTIALS_MISSING,
                    ln,
                    format!("{label} has no {}", missing.join(" or ")),
                );
            }
        }
        let jsep_rtp = media.is_rtp() && media.is_dtls() && media.proto.ends_with("SAVPF");
        if jsep_rtp && !ctx.resolve(i, |f| f.rtcp_mux) {
            cx.push(
                rule::RTCP_MUX_MISSING,
                ln,
                format!("{label} ({}) has no a=rtcp-mux", media.proto),
            );
        }
        if media.is_sctp() && media.is_dtls() {
            let legacy = m.has("sctpmap") || media.proto == "DTLS/SCTP";
            if legacy {
                cx.push(
                    rule::SCTPMAP_LEGACY,
                    ln,
                    format!("{label} uses the pre-RFC 8841 data channel syntax"),
                );
            } else {
                if !m.has("sctp-port") {
                    cx.push(
                        rule::SCTP_PORT_MISSING,
                        ln,
                        format!("{label} has no a=sctp-port (5000 assumed)"),
                    );
                }
                if !m.has("max-message-size") {
                    cx.push(
                        rule::MAX_MESSAGE_SIZE_MISSING,
                        ln,
                        format!("{label} has no a=max-message-size (65536 assumed)"),
                    );
                }
            }
        }
    }
    if m.has("rtcp-mux-only") && !m.has("rtcp-mux") {
        cx.push(
            rule::RTCP_MUX_ONLY_WITHOUT_MUX,
            ln,
            format!("{label} has a=rtcp-mux-only without a=rtcp-mux"),
        );
    }
    if media.is_rtp() {
        rtp_checks(m, media, &label, cx);
    }
    attribute_checks(m, &label, opts, ctx.session_allow_mixed, cx);
}

fn rtp_checks(m: &Section<'_>, media: &MediaLine<'_>, label: &str, cx: &mut Ctx) {
    let ln = m.lines.first().map(|l| l.number);
    let mut listed: HashSet<u8> = HashSet::new();
    for f in &media.formats {
        match f.parse::<u8>() {
            Ok(pt) if pt <= 127 && f.bytes().all(|b| b.is_ascii_digit()) => {
                if !listed.insert(pt) {
                    cx.push(
                        rule::PAYLOAD_TYPE_DUPLICATE,
                        ln,
                        format!("{label}: payload type {pt} listed twice on the m= line"),
                    );
                }
            }
            _ => cx.push(
                rule::PAYLOAD_TYPE_INVALID,
                ln,
                format!("{label}: format `{}` is not an RTP payload type", Clip(f)),
            ),
        }
    }
    let mut rtpmaps: HashMap<u8, (&str, usize)> = HashMap::new();
    let mut apts: HashMap<&str, (&str, usize)> = HashMap::new();
    for (l, a) in m.attributes() {
        match a {
            Attribute::Rtpmap { pt, encoding, .. } => {
                if rtpmaps.insert(*pt, (encoding, l.number)).is_some() {
                    cx.push(
                        rule::PAYLOAD_TYPE_DUPLICATE,
                        Some(l.number),
                        format!("{label}: payload type {pt} has a second a=rtpmap"),
                    );
                }
                if !listed.contains(pt) {
                    cx.push(
                        rule::PAYLOAD_TYPE_UNLISTED,
                        Some(l.number),
                        format!("{label}: a=rtpmap for {pt}, which the m= line does not list"),
                    );
                }
            }
            Attribute::Fmtp { format, params } => {
                if format.parse::<u8>().is_ok_and(|pt| !listed.contains(&pt)) {
                    cx.push(
                        rule::PAYLOAD_TYPE_UNLISTED,
                        Some(l.number),
                        format!("{label}: a=fmtp for {format}, which the m= line does not list"),
                    );
                }
                if let Some(apt) = fmtp_params(params)
                    .find(|(k, _)| *k == "apt")
                    .and_then(|x| x.1)
                {
                    apts.insert(format, (apt, l.number));
                }
            }
            Attribute::RtcpFb { pt, .. }
                if pt.parse::<u8>().is_ok_and(|p| !listed.contains(&p)) =>
            {
                cx.push(
                    rule::PAYLOAD_TYPE_UNLISTED,
                    Some(l.number),
                    format!("{label}: a=rtcp-fb for {pt}, which the m= line does not list"),
                );
            }
            Attribute::Rid {
                id,
                params: Some(p),
                ..
            } => {
                for (k, v) in fmtp_params(p) {
                    if k == "pt" {
                        for pt in v.unwrap_or("").split(',') {
                            if !pt.parse::<u8>().is_ok_and(|p| listed.contains(&p)) {
                                cx.push(
                                    rule::RID_PT_UNKNOWN,
                                    Some(l.number),
                                    format!("{label}: rid {id} restricts to payload type `{}`, not on the m= line", Clip(pt)),
                                );
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for f in &media.formats {
        let Ok(pt) = f.parse::<u8>() else { continue };
        if pt > 127 {
            continue;
        }
        match rtpmaps.get(&pt) {
            None if !is_static_pt(pt) => cx.push(
                rule::RTPMAP_MISSING,
                ln,
                format!("{label}: payload type {pt} is not static and has no a=rtpmap"),
            ),
            Some((enc, rl)) if enc.eq_ignore_ascii_case("rtx") => match apts.get(f) {
                None => cx.push(
                    rule::RTX_APT_MISSING,
                    Some(*rl),
                    format!("{label}: rtx payload type {pt} has no a=fmtp apt="),
                ),
                Some((apt, al)) => {
                    if !apt.parse::<u8>().is_ok_and(|a| listed.contains(&a)) {
                        cx.push(
                            rule::RTX_APT_DANGLING,
                            Some(*al),
                            format!("{label}: rtx payload type {pt} has apt={} which the section does not offer", Clip(apt)),
                        );
                    }
                }
            },
            _ => {}
        }
    }
}

/// Attributes that may appear at most once per section (RFC 8859 categories: NORMAL single
/// instance and TRANSPORT).
const SINGLE: &[&str] = &[
    "mid",
    "ice-ufrag",
    "ice-pwd",
    "setup",
    "rtcp",
    "sctp-port",
    "max-message-size",
    "ptime",
    "maxptime",
    "framerate",
    "msid-semantic",
    "ice-lite",
    "rtcp-mux",
    "rtcp-mux-only",
    "rtcp-rsize",
    "bundle-only",
    "extmap-allow-mixed",
    "end-of-candidates",
    "simulcast",
];

/// Attributes registered for media level only (IANA att-field registry, RFC 8866 §6 and the
/// attributes' RFCs).
const MEDIA_ONLY: &[&str] = &[
    "mid",
    "rtpmap",
    "fmtp",
    "rtcp-fb",
    "rtcp",
    "rtcp-mux",
    "rtcp-mux-only",
    "rtcp-rsize",
    "ssrc",
    "ssrc-group",
    "msid",
    "candidate",
    "remote-candidates",
    "ice-mismatch",
    "bundle-only",
    "ptime",
    "maxptime",
    "framerate",
    "label",
    "imageattr",
    "rid",
    "simulcast",
    "sctp-port",
    "max-message-size",
    "sctpmap",
    "crypto",
];

/// Attributes registered for session level only.
const SESSION_ONLY: &[&str] = &["group", "ice-lite", "msid-semantic"];

fn attribute_checks(
    m: &Section<'_>,
    label: &str,
    opts: &LintOptions,
    session_allow_mixed: bool,
    cx: &mut Ctx,
) {
    let session_level = m.media_line().is_none();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut direction: Option<usize> = None;
    let mut ext_ids: HashMap<u16, &str> = HashMap::new();
    let mut ext_uris: HashMap<&str, u16> = HashMap::new();
    let allow_mixed = session_allow_mixed || m.has("extmap-allow-mixed");
    let mut ssrcs: HashMap<u32, bool> = HashMap::new(); // ssrc -> has cname
    let mut rids: HashSet<(&str, RidDirection)> = HashSet::new();
    let mux_only = m.has("rtcp-mux-only");
    for (l, a) in m.attributes() {
        let n = Some(l.number);
        let name = a.name();
        let wrong_level = if session_level {
            MEDIA_ONLY.contains(&name)
        } else {
            SESSION_ONLY.contains(&name)
        };
        if wrong_level {
            cx.push(
                rule::ATTRIBUTE_LEVEL,
                n,
                format!(
                    "a={name} is a {}-level attribute",
                    if session_level { "media" } else { "session" }
                ),
            );
        }
        if SINGLE.contains(&name) {
            if let Some(prev) = seen.insert(name, l.number) {
                cx.push(
                    rule::ATTRIBUTE_DUPLICATE,
                    n,
                    format!("{label}: a second a={name} (first on line {prev})"),
                );
            }
        }
        match a {
            Attribute::Direction(d) => {
                if let Some(prev) = direction {
                    cx.push(
                        rule::DIRECTION_CONFLICT,
                        n,
                        format!("{label}: a={d} but line {prev} already set a direction"),
                    );
                }
                direction = Some(l.number);
            }
            Attribute::IceUfrag(u) => {
                if !(4..=256).contains(&u.chars().count()) {
                    cx.push(
                        rule::ICE_UFRAG_LENGTH,
                        n,
                        format!(
                            "{label}: ice-ufrag `{}` has {} characters (4-256)",
                            Clip(u),
                            u.chars().count()
                        ),
                    );
                }
                if !is_ice_chars(u) {
                    cx.push(
                        rule::ICE_CHAR,
                        n,
                        format!(
                            "{label}: ice-ufrag `{}` has characters outside ice-char",
                            Clip(u)
                        ),
                    );
                }
            }
            Attribute::IcePwd(p) => {
                if !(22..=256).contains(&p.chars().count()) {
                    cx.push(
                        rule::ICE_PWD_LENGTH,
                        n,
                        format!(
                            "{label}: ice-pwd has {} characters (22-256)",
                            p.chars().count()
                        ),
                    );
                }
                if !is_ice_chars(p) {
                    cx.push(
                        rule::ICE_CHAR,
                        n,
                        format!("{label}: ice-pwd has characters outside ice-char"),
                    );
                }
            }
            Attribute::Fingerprint { hash, digest } => match fingerprint_digest_len(hash) {
                None => cx.push(
                    rule::FINGERPRINT_HASH_UNKNOWN,
                    n,
                    format!("{label}: hash function `{}` is not registered", Clip(hash)),
                ),
                Some(len) => {
                    if hash.eq_ignore_ascii_case("md5") || hash.eq_ignore_ascii_case("md2") {
                        cx.push(
                            rule::FINGERPRINT_HASH_WEAK,
                            n,
                            format!("{label}: {hash} MUST NOT be used"),
                        );
                    }
                    let got = digest.split(':').count();
                    if got != len {
                        cx.push(
                            rule::FINGERPRINT_DIGEST_LENGTH,
                            n,
                            format!("{label}: {hash} digest has {got} bytes, expected {len}"),
                        );
                    }
                }
            },
            Attribute::Setup(crate::attr::Setup::Actpass)
                if opts.sdp_type.is_some_and(|t| t.is_answer()) =>
            {
                cx.push(
                    rule::SETUP_ACTPASS_IN_ANSWER,
                    n,
                    format!("{label}: an answer must choose active or passive, not actpass"),
                );
            }
            Attribute::Extmap { id, uri, .. } => {
                let id = *id;
                if !(matches!(id, 1..=14 | 16..=255 | 4096..=4351)) {
                    cx.push(
                        rule::EXTMAP_ID_OUT_OF_RANGE,
                        n,
                        format!("{label}: extmap id {id} for {uri}"),
                    );
                } else if (16..=255).contains(&id) && !allow_mixed {
                    cx.push(
                        rule::EXTMAP_TWO_BYTE_ID,
                        n,
                        format!("{label}: extmap id {id} needs the two-byte header form"),
                    );
                }
                if let Some(prev) = ext_ids.insert(id, uri) {
                    if prev != *uri {
                        cx.push(
                            rule::EXTMAP_ID_COLLISION,
                            n,
                            format!("{label}: extmap id {id} is both {prev} and {uri}"),
                        );
                    }
                }
                if let Some(prev) = ext_uris.insert(uri, id) {
                    if prev != id {
                        cx.push(
                            rule::EXTMAP_URI_DUPLICATE,
                            n,
                            format!("{label}: {uri} mapped to ids {prev} and {id}"),
                        );
                    }
                }
            }
            Attribute::Ssrc { ssrc, name, .. } => {
                let e = ssrcs.entry(*ssrc).or_insert(false);
                *e |= *name == "cname";
            }
            Attribute::Rid { id, direction, .. } => {
                rids.insert((id, *direction));
            }
            Attribute::Crypto { suite, .. } => cx.push(
                rule::SDES_CRYPTO,
                n,
                format!("{label}: SDES key for {suite} in the clear"),
            ),
            Attribute::Candidate(c) => {
                if !(1..=256).contains(&c.component) {
                    cx.push(
                        rule::CANDIDATE_COMPONENT,
                        n,
                        format!("{label}: candidate component {}", c.component),
                    );
                }
                if c.priority == 0 || c.priority >= 1 << 31 {
                    cx.push(
                        rule::CANDIDATE_PRIORITY,
                        n,
                        format!("{label}: candidate priority {}", c.priority),
                    );
                }
                if matches!(
                    c.typ,
                    CandidateType::Srflx | CandidateType::Prflx | CandidateType::Relay
                ) && (c.raddr.is_none() || c.rport.is_none())
                {
                    cx.push(
                        rule::CANDIDATE_RADDR_MISSING,
                        n,
                        format!("{label}: {} candidate without raddr/rport", c.typ.as_str()),
                    );
                }
                if c.transport.eq_ignore_ascii_case("tcp") && c.tcptype.is_none() {
                    cx.push(
                        rule::CANDIDATE_TCPTYPE_MISSING,
                        n,
                        format!("{label}: TCP candidate without tcptype"),
                    );
                }
                if mux_only && c.component == 2 {
                    cx.push(
                        rule::CANDIDATE_RTCP_WITH_MUX_ONLY,
                        n,
                        format!("{label}: RTCP candidate although a=rtcp-mux-only"),
                    );
                }
                if c.typ == CandidateType::Host
                    && c.address_kind() == crate::attr::AddressKind::Mdns
                {
                    cx.push(
                        rule::CANDIDATE_MDNS,
                        n,
                        format!("{label}: host candidate {}", c.address),
                    );
                }
            }
            _ => {}
        }
    }
    for (l, a) in m.attributes() {
        match a {
            Attribute::SsrcGroup {
                semantics,
                ssrcs: members,
            } => {
                for s in members {
                    if !ssrcs.contains_key(s) {
                        cx.push(
                            rule::SSRC_GROUP_UNKNOWN_SSRC,
                            Some(l.number),
                            format!(
                                "{label}: ssrc-group {semantics} names {s}, which has no a=ssrc"
                            ),
                        );
                    }
                }
                let ok = match *semantics {
                    "FID" | "FEC-FR" | "FEC" => members.len() == 2,
                    "SIM" => members.len() >= 2,
                    _ => true,
                };
                if !ok {
                    cx.push(
                        rule::SSRC_GROUP_SIZE,
                        Some(l.number),
                        format!(
                            "{label}: ssrc-group {semantics} with {} SSRCs",
                            members.len()
                        ),
                    );
                }
            }
            Attribute::Simulcast { send, recv } => {
                for (dir, list) in [(RidDirection::Send, send), (RidDirection::Recv, recv)] {
                    for alt in list.iter().flatten().flatten() {
                        if !rids.contains(&(alt.rid, dir)) {
                            cx.push(
                                rule::SIMULCAST_RID_UNDECLARED,
                                Some(l.number),
                                format!(
                                    "{label}: simulcast {} rid {} has no a=rid:{} {}",
                                    dir.as_str(),
                                    alt.rid,
                                    alt.rid,
                                    dir.as_str()
                                ),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut missing_cname: Vec<u32> = ssrcs
        .iter()
        .filter(|(_, c)| !**c)
        .map(|(s, _)| *s)
        .collect();
    missing_cname.sort_unstable();
    for s in missing_cname {
        cx.push(
            rule::SSRC_CNAME_MISSING,
            m.lines.first().map(|l| l.number),
            format!("{label}: ssrc {s} has no cname"),
        );
    }
}

fn session_wide(sdp: &Sdp<'_>, ctx: &Context<'_>, opts: &LintOptions, cx: &mut Ctx) {
    // Session-level attributes get the per-section checks too (ICE, fingerprint, setup, …).
    attribute_checks(&sdp.session, "session", opts, true, cx);
    // BUNDLE groups.
    for (l, a) in sdp.session.attributes() {
        if let Attribute::Group { semantics, mids } = a {
            if !semantics.eq_ignore_ascii_case("BUNDLE") {
                continue;
            }
            for mid in mids {
                if !ctx.mid_index.contains_key(mid) {
                    cx.push(
                        rule::BUNDLE_UNKNOWN_MID,
                        Some(l.number),
                        format!("BUNDLE names mid {mid}, which no media section has"),
                    );
                }
            }
            if let Some(tag) = mids.first().and_then(|m| ctx.mid_index.get(m)) {
                if sdp.media[*tag].has("bundle-only") {
                    cx.push(
                        rule::BUNDLE_TAG_BUNDLE_ONLY,
                        Some(l.number),
                        format!("BUNDLE tag {} is bundle-only", mids[0]),
                    );
                }
            }
        }
    }
    // Duplicate mids.
    let mut mids: HashMap<&str, usize> = HashMap::new();
    for m in &sdp.media {
        for (l, a) in m.attributes() {
            if let Attribute::Mid(mid) = a {
                if let Some(prev) = mids.insert(mid, l.number) {
                    cx.push(
                        rule::DUPLICATE_MID,
                        Some(l.number),
                        format!("mid {mid} already used on line {prev}"),
                    );
                }
            }
        }
    }
    // extmap ids across each BUNDLE group (collisions inside one section are reported above).
    for g in &ctx.groups {
        let mut ids: HashMap<u16, (&str, usize, usize)> = HashMap::new();
        for &i in g {
            for (l, a) in sdp.media[i].attributes() {
                if let Attribute::Extmap { id, uri, .. } = a {
                    match ids.get(id) {
                        Some((u, first, section)) if u != uri && *section != i => cx.push(
                            rule::EXTMAP_ID_COLLISION,
                            Some(l.number),
                            format!("extmap id {id} is {uri} here but {u} on line {first}, in the same BUNDLE group"),
                        ),
                        Some(_) => {}
                        None => {
                            ids.insert(*id, (uri, l.number, i));
                        }
                    }
                }
            }
        }
    }
    // SSRCs described in two sections.
    let mut owner: HashMap<u32, usize> = HashMap::new();
    for (i, m) in sdp.media.iter().enumerate() {
        let mut here: HashSet<u32> = HashSet::new();
        for (l, a) in m.attributes() {
            if let Attribute::Ssrc { ssrc, .. } = a {
                if here.insert(*ssrc) {
                    if let Some(prev) = owner.insert(*ssrc, i) {
                        if prev != i {
                            cx.push(
                                rule::SSRC_DUPLICATE,
                                Some(l.number),
                                format!("ssrc {ssrc} is also described in m-section {}", prev + 1),
                            );
                        }
                    }
                }
            }
        }
    }
}
