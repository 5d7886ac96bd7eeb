//! The owned summary of a description, for people (text) and programs (JSON with the `serde`
//! feature). This is also the owned form other crates consume: codecs with clock rates and
//! RTX pairings, header extensions, SSRCs with their groups, mids, rids and fingerprints.

use crate::attr::{fmtp_params, Attribute, Direction};
use crate::input::SdpType;
use crate::lint::{lint, Finding, LintOptions, Severity};
use crate::parse::{LineEnding, LineKind, Sdp, Section};
use crate::text::Clip;
use core::fmt::{self, Write};

/// Everything worth knowing about one description.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Report {
    /// Where the description came from: a JSON path (`$[0].sdp`) or empty for raw text.
    pub path: String,
    /// Offer/answer, when known.
    pub sdp_type: Option<SdpType>,
    /// Line terminators seen.
    pub line_ending: LineEnding,
    /// Number of lines.
    pub lines: usize,
    /// `o=` as written.
    pub origin: Option<String>,
    /// `s=`.
    pub session_name: Option<String>,
    /// `a=group` lines (BUNDLE, LS, …).
    pub groups: Vec<Group>,
    /// `a=ice-lite` at session level.
    pub ice_lite: bool,
    /// Session-level `a=ice-options`.
    pub ice_options: Vec<String>,
    /// Session-level transport (ICE credentials, fingerprints, setup).
    pub transport: Transport,
    /// `a=msid-semantic` as written.
    pub msid_semantic: Option<String>,
    /// `a=extmap-allow-mixed` at session level.
    pub extmap_allow_mixed: bool,
    /// Media sections.
    pub media: Vec<MediaReport>,
    /// Lint findings.
    pub findings: Vec<Finding>,
    /// Number of error-severity findings.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
}

/// An `a=group` line.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Group {
    /// Semantics (`BUNDLE`, `LS`).
    pub semantics: String,
    /// Mids.
    pub mids: Vec<String>,
}

/// Transport attributes of a section (or the session).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Transport {
    /// `a=ice-ufrag`.
    pub ice_ufrag: Option<String>,
    /// Length of `a=ice-pwd` (the password itself is not repeated in reports).
    pub ice_pwd_len: Option<usize>,
    /// `a=fingerprint` values.
    pub fingerprints: Vec<Fingerprint>,
    /// `a=setup`.
    pub setup: Option<String>,
}

/// An `a=fingerprint`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Fingerprint {
    /// Hash function.
    pub hash: String,
    /// Hex digest with colons.
    pub digest: String,
}

/// One payload type of an RTP section.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Codec {
    /// Payload type.
    pub pt: u8,
    /// Encoding name (from `a=rtpmap`, or the RFC 3551 table for static types).
    pub name: Option<String>,
    /// Clock rate in Hz.
    pub clock_rate: Option<u32>,
    /// Channels.
    pub channels: Option<u32>,
    /// `a=fmtp` parameters, verbatim.
    pub fmtp: Option<String>,
    /// `a=rtcp-fb` values for this type (and `*`).
    pub rtcp_fb: Vec<String>,
    /// For `rtx`: the payload type it repairs (`apt=`, RFC 4588 §8.6).
    pub apt: Option<u8>,
    /// For a media codec: the `rtx` payload type that repairs it.
    pub rtx: Option<u8>,
}

/// An `a=extmap`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Extmap {
    /// Id.
    pub id: u16,
    /// URI.
    pub uri: String,
    /// Direction, if given.
    pub direction: Option<Direction>,
}

/// One SSRC and its source attributes (RFC 5576).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Ssrc {
    /// The SSRC.
    pub ssrc: u32,
    /// `cname`.
    pub cname: Option<String>,
    /// `msid` (Plan B style `a=ssrc:N msid:stream track`).
    pub msid: Option<String>,
    /// Other source attributes as `name:value`.
    pub other: Vec<String>,
}

/// An `a=ssrc-group`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SsrcGroup {
    /// `FID`, `SIM`, `FEC-FR`, …
    pub semantics: String,
    /// SSRCs in order.
    pub ssrcs: Vec<u32>,
}

/// An `a=rid`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Rid {
    /// The rid.
    pub id: String,
    /// `send` or `recv`.
    pub direction: String,
    /// Restrictions, verbatim.
    pub params: Option<String>,
}

/// An `a=candidate`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CandidateRow {
    /// Foundation.
    pub foundation: String,
    /// Component.
    pub component: u32,
    /// Transport.
    pub transport: String,
    /// Priority.
    pub priority: u64,
    /// Address.
    pub address: String,
    /// `ipv4`, `ipv6`, `mdns` or `fqdn`.
    pub address_kind: crate::attr::AddressKind,
    /// Port.
    pub port: u16,
    /// Type.
    pub typ: String,
    /// `raddr:rport`.
    pub related: Option<String>,
    /// tcptype.
    pub tcptype: Option<String>,
    /// Other extensions (`generation 0`, `network-id 1`, …).
    pub extensions: Vec<String>,
}

/// One media section.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MediaReport {
    /// 0-based index.
    pub index: usize,
    /// Line of the `m=`.
    pub line: usize,
    /// `audio`, `video`, `application`, …
    pub kind: String,
    /// `a=mid`.
    pub mid: Option<String>,
    /// Port.
    pub port: u16,
    /// Protocol.
    pub proto: String,
    /// Formats of the m= line.
    pub formats: Vec<String>,
    /// Direction (`sendrecv` when not written).
    pub direction: Direction,
    /// `a=bundle-only`.
    pub bundle_only: bool,
    /// `c=` address, if any.
    pub connection: Option<String>,
    /// rtcp-mux / rtcp-mux-only / rtcp-rsize present.
    pub rtcp_mux: bool,
    /// `a=rtcp-mux-only`.
    pub rtcp_mux_only: bool,
    /// `a=rtcp-rsize`.
    pub rtcp_rsize: bool,
    /// Transport attributes of this section.
    pub transport: Transport,
    /// Codecs (RTP sections).
    pub codecs: Vec<Codec>,
    /// Header extensions.
    pub extmaps: Vec<Extmap>,
    /// SSRCs.
    pub ssrcs: Vec<Ssrc>,
    /// SSRC groups.
    pub ssrc_groups: Vec<SsrcGroup>,
    /// `a=msid` values.
    pub msid: Vec<String>,
    /// rids.
    pub rids: Vec<Rid>,
    /// `a=simulcast` as written (canonical form).
    pub simulcast: Option<String>,
    /// Candidates.
    pub candidates: Vec<CandidateRow>,
    /// `a=end-of-candidates`.
    pub end_of_candidates: bool,
    /// `a=sctp-port` (or the `a=sctpmap` port).
    pub sctp_port: Option<u16>,
    /// `a=max-message-size`.
    pub max_message_size: Option<u64>,
    /// SDES crypto suites offered.
    pub crypto_suites: Vec<String>,
    /// Names of attributes kept verbatim because they are not typed here.
    pub other_attributes: Vec<String>,
}

/// Name and clock rate of the static payload types of RFC 3551 §6.
pub fn static_payload_type(pt: u8) -> Option<(&'static str, u32, Option<u32>)> {
    Some(match pt {
        0 => ("PCMU", 8000, Some(1)),
        3 => ("GSM", 8000, Some(1)),
        4 => ("G723", 8000, Some(1)),
        5 => ("DVI4", 8000, Some(1)),
        6 => ("DVI4", 16000, Some(1)),
        7 => ("LPC", 8000, Some(1)),
        8 => ("PCMA", 8000, Some(1)),
        9 => ("G722", 8000, Some(1)),
        10 => ("L16", 44100, Some(2)),
        11 => ("L16", 44100, Some(1)),
        12 => ("QCELP", 8000, Some(1)),
        13 => ("CN", 8000, Some(1)),
        14 => ("MPA", 90000, None),
        15 => ("G728", 8000, Some(1)),
        16 => ("DVI4", 11025, Some(1)),
        17 => ("DVI4", 22050, Some(1)),
        18 => ("G729", 8000, Some(1)),
        25 => ("CelB", 90000, None),
        26 => ("JPEG", 90000, None),
        28 => ("nv", 90000, None),
        31 => ("H261", 90000, None),
        32 => ("MPV", 90000, None),
        33 => ("MP2T", 90000, None),
        34 => ("H263", 90000, None),
        _ => return None,
    })
}

fn transport(s: &Section<'_>) -> Transport {
    Transport {
        ice_ufrag: s.ice_ufrag().map(str::to_owned),
        ice_pwd_len: s.ice_pwd().map(str::len),
        fingerprints: s
            .fingerprints()
            .map(|(h, d)| Fingerprint {
                hash: h.to_owned(),
                digest: d.to_owned(),
            })
            .collect(),
        setup: s.setup().map(|x| x.as_str().to_owned()),
    }
}

fn media_report(index: usize, m: &Section<'_>) -> Option<MediaReport> {
    let (line, ml) = m.media_line()?;
    let mut codecs: Vec<Codec> = Vec::new();
    if ml.is_rtp() {
        for f in &ml.formats {
            let Ok(pt) = f.parse::<u8>() else { continue };
            if codecs.iter().any(|c| c.pt == pt) {
                continue;
            }
            let st = static_payload_type(pt);
            codecs.push(Codec {
                pt,
                name: st.map(|s| s.0.to_owned()),
                clock_rate: st.map(|s| s.1),
                channels: st.and_then(|s| s.2),
                fmtp: None,
                rtcp_fb: Vec::new(),
                apt: None,
                rtx: None,
            });
        }
    }
    let mut r = MediaReport {
        index,
        line: line.number,
        kind: ml.media.to_owned(),
        mid: m.mid().map(str::to_owned),
        port: ml.port,
        proto: ml.proto.to_owned(),
        formats: ml.formats.iter().map(|s| (*s).to_owned()).collect(),
        direction: m.direction().unwrap_or(Direction::SendRecv),
        bundle_only: m.has("bundle-only"),
        connection: m.connection().map(|c| c.address.to_owned()),
        rtcp_mux: m.has("rtcp-mux"),
        rtcp_mux_only: m.has("rtcp-mux-only"),
        rtcp_rsize: m.has("rtcp-rsize"),
        transport: transport(m),
        codecs: Vec::new(),
        extmaps: Vec::new(),
        ssrcs: Vec::new(),
        ssrc_groups: Vec::new(),
        msid: Vec::new(),
        rids: Vec::new(),
        simulcast: None,
        candidates: Vec::new(),
        end_of_candidates: m.has("end-of-candidates"),
        sctp_port: None,
        max_message_size: None,
        crypto_suites: Vec::new(),
        other_attributes: Vec::new(),
    };
    let mut star_fb: Vec<String> = Vec::new();
    let mut ssrc_index: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    let mut other_seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (_, a) in m.attributes() {
        match a {
            Attribute::Rtpmap {
                pt,
                encoding,
                clock_rate,
                channels,
            } => {
                if let Some(c) = codecs.iter_mut().find(|c| c.pt == *pt) {
                    c.name = Some((*encoding).to_owned());
                    c.clock_rate = Some(*clock_rate);
                    c.channels = *channels;
                }
            }
            Attribute::Fmtp { format, params } => {
                if let Some(c) = codecs.iter_mut().find(|c| format.parse() == Ok(c.pt)) {
                    c.fmtp = Some((*params).to_owned());
                    c.apt = fmtp_params(params)
                        .find(|(k, _)| *k == "apt")
                        .and_then(|(_, v)| v?.parse().ok());
                }
            }
            Attribute::RtcpFb { pt, kind, param } => {
                let fb = match param {
                    Some(p) => format!("{kind} {p}"),
                    None => (*kind).to_owned(),
                };
                if *pt == "*" {
                    star_fb.push(fb);
                } else if let Some(c) = codecs.iter_mut().find(|c| pt.parse() == Ok(c.pt)) {
                    c.rtcp_fb.push(fb);
                }
            }
            Attribute::Extmap {
                id, uri, direction, ..
            } => r.extmaps.push(Extmap {
                id: *id,
                uri: (*uri).to_owned(),
                direction: *direction,
            }),
            Attribute::Ssrc { ssrc, name, value } => {
                let i = *ssrc_index.entry(*ssrc).or_insert_with(|| {
                    r.ssrcs.push(Ssrc {
                        ssrc: *ssrc,
                        cname: None,
                        msid: None,
                        other: Vec::new(),
                    });
                    r.ssrcs.len() - 1
                });
                let s = &mut r.ssrcs[i];
                let v = value.map(str::to_owned);
                match *name {
                    "cname" => s.cname = v,
                    "msid" => s.msid = v,
                    n => s.other.push(match value {
                        Some(v) => format!("{n}:{v}"),
                        None => n.to_owned(),
                    }),
                }
            }
            Attribute::SsrcGroup { semantics, ssrcs } => r.ssrc_groups.push(SsrcGroup {
                semantics: (*semantics).to_owned(),
                ssrcs: ssrcs.clone(),
            }),
            Attribute::Msid { stream, track } => r.msid.push(match track {
                Some(t) => format!("{stream} {t}"),
                None => (*stream).to_owned(),
            }),
            Attribute::Rid {
                id,
                direction,
                params,
            } => r.rids.push(Rid {
                id: (*id).to_owned(),
                direction: direction.as_str().to_owned(),
                params: params.map(str::to_owned),
            }),
            Attribute::Simulcast { .. } => {
                let s = a.to_string();
                r.simulcast = Some(s.strip_prefix("simulcast:").unwrap_or(&s).to_owned());
            }
            Attribute::Candidate(c) => r.candidates.push(CandidateRow {
                foundation: c.foundation.to_owned(),
                component: c.component,
                transport: c.transport.to_owned(),
                priority: c.priority,
                address: c.address.to_owned(),
                address_kind: c.address_kind(),
                port: c.port,
                typ: c.typ.as_str().to_owned(),
                related: match (c.raddr, c.rport) {
                    (None, None) => None,
                    (a, p) => Some(format!(
                        "{}:{}",
                        a.unwrap_or("?"),
                        p.map_or_else(|| "?".to_owned(), |p| p.to_string())
                    )),
                },
                tcptype: c.tcptype.map(str::to_owned),
                extensions: c
                    .extensions
                    .iter()
                    .map(|(n, v)| format!("{n} {v}"))
                    .collect(),
            }),
            Attribute::SctpPort(p) => r.sctp_port = Some(*p),
            Attribute::Sctpmap { port, .. } => r.sctp_port = r.sctp_port.or(Some(*port)),
            Attribute::MaxMessageSize(s) => r.max_message_size = Some(*s),
            Attribute::Crypto { suite, .. } => r.crypto_suites.push((*suite).to_owned()),
            Attribute::Unknown { name, .. } | Attribute::Invalid { name, .. }
                if other_seen.insert(name) =>
            {
                r.other_attributes.push((*name).to_owned());
            }
            _ => {}
        }
    }
    // RTX pairings: each rtx's apt points at the codec it repairs.
    let pairs: Vec<(u8, u8)> = codecs
        .iter()
        .filter(|c| {
            c.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case("rtx"))
        })
        .filter_map(|c| Some((c.apt?, c.pt)))
        .collect();
    for (apt, rtx) in pairs {
        if let Some(c) = codecs.iter_mut().find(|c| c.pt == apt) {
            c.rtx = Some(rtx);
        }
    }
    if !star_fb.is_empty() {
        for c in &mut codecs {
            c.rtcp_fb.extend(star_fb.iter().map(|f| format!("{f} (*)")));
        }
    }
    r.codecs = codecs;
    Some(r)
}

impl Report {
    /// Summarises and lints a parsed description.
    pub fn new(sdp: &Sdp<'_>, path: &str, opts: &LintOptions) -> Self {
        let findings = lint(sdp, opts);
        let s = &sdp.session;
        let text = |c: char| {
            s.lines.iter().find_map(|l| match &l.kind {
                LineKind::Text { kind, value } if *kind == c => Some((*value).to_owned()),
                _ => None,
            })
        };
        Report {
            path: path.to_owned(),
            sdp_type: opts.sdp_type,
            line_ending: sdp.line_ending,
            lines: sdp.lines().count(),
            origin: s
                .lines
                .iter()
                .find(|l| matches!(l.kind, LineKind::Origin(_)))
                .map(|l| l.raw.get(2..).unwrap_or("").to_owned()),
            session_name: text('s'),
            groups: s
                .attributes()
                .filter_map(|(_, a)| match a {
                    Attribute::Group { semantics, mids } => Some(Group {
                        semantics: (*semantics).to_owned(),
                        mids: mids.iter().map(|m| (*m).to_owned()).collect(),
                    }),
                    _ => None,
                })
                .collect(),
            ice_lite: s.has("ice-lite"),
            ice_options: s
                .find(|a| match a {
                    Attribute::IceOptions(o) => Some(o.iter().map(|x| (*x).to_owned()).collect()),
                    _ => None,
                })
                .unwrap_or_default(),
            transport: transport(s),
            msid_semantic: s.find(|a| match a {
                Attribute::MsidSemantic { .. } => {
                    let t = a.to_string();
                    Some(t.strip_prefix("msid-semantic:").unwrap_or(&t).to_owned())
                }
                _ => None,
            }),
            extmap_allow_mixed: s.has("extmap-allow-mixed"),
            media: sdp
                .media
                .iter()
                .enumerate()
                .filter_map(|(i, m)| media_report(i, m))
                .collect(),
            errors: findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count(),
            warnings: findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count(),
            findings,
        }
    }

    /// The human-readable summary.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = self.write_text(&mut o);
        o
    }

    fn write_text(&self, o: &mut String) -> fmt::Result {
        if !self.path.is_empty() {
            writeln!(o, "== {}", self.path)?;
        }
        write!(
            o,
            "session: {} lines, line endings {}",
            self.lines,
            self.line_ending.as_str()
        )?;
        if let Some(t) = self.sdp_type {
            write!(o, ", type {t}")?;
        }
        writeln!(o)?;
        if let Some(origin) = &self.origin {
            writeln!(o, "  origin: {}", Clip(origin))?;
        }
        for g in &self.groups {
            writeln!(o, "  group {}: {}", g.semantics, g.mids.join(" "))?;
        }
        let mut flags = Vec::new();
        if self.ice_lite {
            flags.push("ice-lite".to_owned());
        }
        if !self.ice_options.is_empty() {
            flags.push(format!("ice-options {}", self.ice_options.join(" ")));
        }
        if self.extmap_allow_mixed {
            flags.push("extmap-allow-mixed".to_owned());
        }
        if let Some(m) = &self.msid_semantic {
            flags.push(format!("msid-semantic {m}"));
        }
        if !flags.is_empty() {
            writeln!(o, "  {}", flags.join(", "))?;
        }
        write_transport(o, "  ", &self.transport)?;
        for m in &self.media {
            write_media(o, m)?;
        }
        if self.findings.is_empty() {
            writeln!(o, "findings: none")?;
        } else {
            writeln!(
                o,
                "findings: {} error(s), {} warning(s), {} info",
                self.errors,
                self.warnings,
                self.findings.len() - self.errors - self.warnings
            )?;
            for f in &self.findings {
                let line = f.line.map_or_else(|| "-".to_owned(), |l| l.to_string());
                writeln!(
                    o,
                    "  {:<7} line {:>5}  [{}] {}",
                    f.severity.as_str(),
                    line,
                    f.rule,
                    f.message
                )?;
            }
        }
        Ok(())
    }
}

fn write_transport(o: &mut String, ind: &str, t: &Transport) -> fmt::Result {
    if let Some(u) = &t.ice_ufrag {
        write!(o, "{ind}ice-ufrag {}", Clip(u))?;
        if let Some(n) = t.ice_pwd_len {
            write!(o, " (ice-pwd {n} chars)")?;
        }
        writeln!(o)?;
    } else if let Some(n) = t.ice_pwd_len {
        writeln!(o, "{ind}ice-pwd {n} chars (no ice-ufrag)")?;
    }
    for f in &t.fingerprints {
        writeln!(o, "{ind}fingerprint {} {}", Clip(&f.hash), f.digest)?;
    }
    if let Some(s) = &t.setup {
        writeln!(o, "{ind}setup {s}")?;
    }
    Ok(())
}

fn write_media(o: &mut String, m: &MediaReport) -> fmt::Result {
    write!(
        o,
        "media #{} (line {}): {}",
        m.index + 1,
        m.line,
        Clip(&m.kind)
    )?;
    if let Some(mid) = &m.mid {
        write!(o, " mid={}", Clip(mid))?;
    }
    write!(o, " {} port {} {}", m.direction, m.port, Clip(&m.proto))?;
    if m.bundle_only {
        write!(o, " bundle-only")?;
    }
    if m.port == 0 && !m.bundle_only {
        write!(o, " (rejected)")?;
    }
    writeln!(o)?;
    let mut flags = Vec::new();
    if let Some(c) = &m.connection {
        flags.push(format!("c={c}"));
    }
    for (on, name) in [
        (m.rtcp_mux, "rtcp-mux"),
        (m.rtcp_mux_only, "rtcp-mux-only"),
        (m.rtcp_rsize, "rtcp-rsize"),
        (m.end_of_candidates, "end-of-candidates"),
    ] {
        if on {
            flags.push(name.to_owned());
        }
    }
    if let Some(p) = m.sctp_port {
        flags.push(format!("sctp-port {p}"));
    }
    if let Some(s) = m.max_message_size {
        flags.push(format!("max-message-size {s}"));
    }
    if !flags.is_empty() {
        writeln!(o, "    {}", flags.join(", "))?;
    }
    write_transport(o, "    ", &m.transport)?;
    if !m.codecs.is_empty() {
        writeln!(o, "    codecs:")?;
        for c in &m.codecs {
            write!(o, "      {:>3} {}", c.pt, c.name.as_deref().unwrap_or("?"))?;
            if let Some(r) = c.clock_rate {
                write!(o, "/{r}")?;
            }
            if let Some(ch) = c.channels {
                write!(o, "/{ch}")?;
            }
            if let Some(apt) = c.apt {
                write!(o, "  repairs {apt}")?;
            }
            if let Some(rtx) = c.rtx {
                write!(o, "  rtx {rtx}")?;
            }
            if let Some(f) = &c.fmtp {
                write!(o, "  fmtp {}", Clip(f))?;
            }
            if !c.rtcp_fb.is_empty() {
                write!(o, "  fb [{}]", c.rtcp_fb.join(", "))?;
            }
            writeln!(o)?;
        }
    } else if !m.formats.is_empty() {
        writeln!(o, "    formats: {}", m.formats.join(" "))?;
    }
    if !m.extmaps.is_empty() {
        writeln!(o, "    header extensions:")?;
        for e in &m.extmaps {
            write!(o, "      {:>4} {}", e.id, e.uri)?;
            if let Some(d) = e.direction {
                write!(o, " ({d})")?;
            }
            writeln!(o)?;
        }
    }
    if !m.msid.is_empty() {
        writeln!(o, "    msid: {}", m.msid.join("; "))?;
    }
    if !m.ssrcs.is_empty() {
        writeln!(o, "    ssrcs:")?;
        for s in &m.ssrcs {
            write!(o, "      {:>10}", s.ssrc)?;
            if let Some(c) = &s.cname {
                write!(o, " cname {}", Clip(c))?;
            }
            if let Some(ms) = &s.msid {
                write!(o, " msid {}", Clip(ms))?;
            }
            writeln!(o)?;
        }
    }
    for g in &m.ssrc_groups {
        let ids: Vec<String> = g.ssrcs.iter().map(u32::to_string).collect();
        writeln!(o, "    ssrc-group {}: {}", g.semantics, ids.join(" "))?;
    }
    for r in &m.rids {
        write!(o, "    rid {} {}", r.id, r.direction)?;
        if let Some(p) = &r.params {
            write!(o, " {p}")?;
        }
        writeln!(o)?;
    }
    if let Some(s) = &m.simulcast {
        writeln!(o, "    simulcast {s}")?;
    }
    if !m.crypto_suites.is_empty() {
        writeln!(o, "    SDES crypto: {}", m.crypto_suites.join(", "))?;
    }
    if !m.candidates.is_empty() {
        writeln!(o, "    candidates:")?;
        writeln!(
            o,
            "      {:<10} {:>4} {:<5} {:>10} {:<40} {:>5} {:<6} extra",
            "foundation", "comp", "proto", "priority", "address", "port", "type"
        )?;
        for c in &m.candidates {
            let mut extra: Vec<String> = Vec::new();
            if let Some(r) = &c.related {
                extra.push(format!("raddr {r}"));
            }
            if let Some(t) = &c.tcptype {
                extra.push(format!("tcptype {t}"));
            }
            extra.extend(c.extensions.iter().cloned());
            let row = format!(
                "      {:<10} {:>4} {:<5} {:>10} {:<40} {:>5} {:<6} {}",
                Clip(&c.foundation).to_string(),
                c.component,
                Clip(&c.transport).to_string(),
                c.priority,
                Clip(&c.address).to_string(),
                c.port,
                Clip(&c.typ).to_string(),
                extra.join(", ")
            );
            writeln!(o, "{}", row.trim_end())?;
        }
    }
    if !m.other_attributes.is_empty() {
        writeln!(o, "    other attributes: {}", m.other_attributes.join(", "))?;
    }
    Ok(())
}

/// The reports of one input file (which may hold several SDPs when it is signalling JSON).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FileReport {
    /// The file name as given (`-` for standard input).
    pub file: String,
    /// One report per SDP found.
    pub documents: Vec<Report>,
    /// Why no SDP could be taken from the file (JSON that does not parse, JSON without `sdp`).
    pub error: Option<String>,
}

impl FileReport {
    /// Analyzes the contents of one file; `sdp_type` overrides any type found in JSON.
    pub fn new(file: &str, bytes: &[u8], sdp_type: Option<SdpType>) -> Self {
        match crate::analyze(bytes, sdp_type) {
            Ok(documents) => FileReport {
                file: file.to_owned(),
                documents,
                error: None,
            },
            Err(e) => FileReport {
                file: file.to_owned(),
                documents: Vec::new(),
                error: Some(e.to_string()),
            },
        }
    }

    /// Number of error-severity findings over all documents.
    pub fn errors(&self) -> usize {
        self.documents.iter().map(|d| d.errors).sum()
    }

    /// The text rendering: a header per file, then each document's summary and findings
    /// (`findings_only` leaves the summaries out).
    pub fn to_text(&self, findings_only: bool) -> String {
        let mut o = format!("### {}\n", self.file);
        if let Some(e) = &self.error {
            let _ = writeln!(o, "error: {e}");
        }
        for d in &self.documents {
            if findings_only {
                if !d.path.is_empty() {
                    let _ = writeln!(o, "== {}", d.path);
                }
                for f in &d.findings {
                    let line = f.line.map_or_else(|| "-".to_owned(), |l| l.to_string());
                    let _ = writeln!(
                        o,
                        "{}:{line}: {} [{}] {}",
                        self.file,
                        f.severity.as_str(),
                        f.rule,
                        f.message
                    );
                }
            } else {
                o.push_str(&d.to_text());
            }
        }
        o
    }
}
