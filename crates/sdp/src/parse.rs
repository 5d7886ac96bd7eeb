//! The line parser (RFC 8866 §5) and the session/media structure built on it.

use crate::attr::{Attribute, Candidate, Direction, Setup};
use crate::text::{bad, missing, num, FieldError, PResult, Toks};
use core::fmt;

/// Line terminators seen in the input (RFC 8866 §5: CRLF, but parsers SHOULD accept LF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum LineEnding {
    /// Every line ends in CRLF.
    Crlf,
    /// Every line ends in a bare LF.
    Lf,
    /// Both were seen.
    Mixed,
    /// No terminator at all (empty input, or one line without an end).
    None,
}

impl LineEnding {
    /// `"CRLF"`, `"LF"`, `"mixed"` or `"none"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LineEnding::Crlf => "CRLF",
            LineEnding::Lf => "LF",
            LineEnding::Mixed => "mixed",
            LineEnding::None => "none",
        }
    }
}

/// `o=` (RFC 8866 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Origin<'a> {
    /// `<username>` (`-` when none).
    pub username: &'a str,
    /// `<sess-id>` (numeric string; kept as text since some stacks exceed 64 bits).
    pub session_id: &'a str,
    /// `<sess-version>`.
    pub session_version: &'a str,
    /// `<nettype>` (`IN`).
    pub nettype: &'a str,
    /// `<addrtype>` (`IP4`/`IP6`).
    pub addrtype: &'a str,
    /// `<unicast-address>`.
    pub address: &'a str,
}

/// `c=` (RFC 8866 §5.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Connection<'a> {
    /// `<nettype>` (`IN`).
    pub nettype: &'a str,
    /// `<addrtype>` (`IP4`/`IP6`).
    pub addrtype: &'a str,
    /// `<connection-address>`, including any `/ttl/count` suffix.
    pub address: &'a str,
}

/// `m=` (RFC 8866 §5.14): `<media> <port>[/<number of ports>] <proto> <fmt> ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MediaLine<'a> {
    /// `audio`, `video`, `application`, `text`, `message`, …
    pub media: &'a str,
    /// Transport port; 0 rejects the section unless it is `bundle-only` (RFC 8843 §6).
    pub port: u16,
    /// Number of ports, if given.
    pub port_count: Option<u16>,
    /// Transport protocol (`UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`, `RTP/AVP`, …).
    pub proto: &'a str,
    /// Formats: payload types for RTP, `webrtc-datachannel` or the SCTP port otherwise.
    pub formats: Vec<&'a str>,
}

impl MediaLine<'_> {
    /// True for RTP-based protocols (`RTP/…`, `…/RTP/…`), whose formats are payload types.
    pub fn is_rtp(&self) -> bool {
        self.proto.split('/').any(|p| p == "RTP")
    }

    /// True for protocols secured with DTLS (`UDP/TLS/RTP/SAVP[F]`, `…/DTLS/…`): they need
    /// `a=fingerprint` (RFC 8842 §5, RFC 5763 §5).
    pub fn is_dtls(&self) -> bool {
        self.proto.split('/').any(|p| p == "TLS" || p == "DTLS")
    }

    /// True for SCTP data channels (`UDP/DTLS/SCTP`, `TCP/DTLS/SCTP`, old `DTLS/SCTP`).
    pub fn is_sctp(&self) -> bool {
        self.proto.ends_with("SCTP")
    }
}

/// `b=` (RFC 8866 §5.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Bandwidth<'a> {
    /// `CT`, `AS`, `TIAS`, …
    pub bwtype: &'a str,
    /// Value (kbit/s for CT/AS, bit/s for TIAS).
    pub value: u64,
}

/// What one line is.
#[derive(Clone, Debug, PartialEq)]
pub enum LineKind<'a> {
    /// An empty line (not allowed by RFC 8866; tolerated and reported by the linter).
    Blank,
    /// `v=` (RFC 8866 §5.1).
    Version(u32),
    /// `o=`.
    Origin(Origin<'a>),
    /// `c=`.
    Connection(Connection<'a>),
    /// `b=`.
    Bandwidth(Bandwidth<'a>),
    /// `t=` (RFC 8866 §5.9): start and stop times (NTP seconds, 0 = unbounded).
    Timing {
        /// Start time.
        start: u64,
        /// Stop time.
        stop: u64,
    },
    /// `m=`.
    Media(MediaLine<'a>),
    /// `a=`.
    Attribute(Attribute<'a>),
    /// Any other type letter (`s`, `i`, `u`, `e`, `p`, `r`, `z`, `k` and unknown letters), kept
    /// verbatim.
    Text {
        /// The type letter.
        kind: char,
        /// The value after `=`.
        value: &'a str,
    },
    /// A line that does not parse; its raw text is kept on the [`Line`].
    Malformed(FieldError<'a>),
}

/// One line of the description, with where it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: usize,
    /// Byte offset of the line's first byte in the parsed text.
    pub offset: usize,
    /// The line without its terminator.
    pub raw: &'a str,
    /// The terminator: `"\r\n"`, `"\n"` or `""` (last line without one).
    pub ending: &'a str,
    /// The parsed content.
    pub kind: LineKind<'a>,
}

impl<'a> Line<'a> {
    /// The attribute on this line, if it is an `a=` line.
    pub fn attribute(&self) -> Option<&Attribute<'a>> {
        match &self.kind {
            LineKind::Attribute(a) => Some(a),
            _ => None,
        }
    }

    /// The type letter (`'v'`, `'a'`, …), if the line has one.
    pub fn type_letter(&self) -> Option<char> {
        let b = self.raw.as_bytes();
        (b.len() >= 2 && b[1] == b'=' && b[0].is_ascii()).then(|| b[0] as char)
    }

    /// Parses one line (without terminator) found at `offset`.
    pub fn parse(raw: &'a str, offset: usize, number: usize, ending: &'a str) -> Self {
        let kind = parse_kind(raw, offset).unwrap_or_else(LineKind::Malformed);
        Line {
            number,
            offset,
            raw,
            ending,
            kind,
        }
    }
}

impl fmt::Display for LineKind<'_> {
    /// Writes the line canonically (single spaces), without terminator. Blank and malformed lines
    /// cannot be written from their kind: use [`Line::raw`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineKind::Blank | LineKind::Malformed(_) => Ok(()),
            LineKind::Version(v) => write!(f, "v={v}"),
            LineKind::Origin(o) => write!(
                f,
                "o={} {} {} {} {} {}",
                o.username, o.session_id, o.session_version, o.nettype, o.addrtype, o.address
            ),
            LineKind::Connection(c) => write!(f, "c={} {} {}", c.nettype, c.addrtype, c.address),
            LineKind::Bandwidth(b) => write!(f, "b={}:{}", b.bwtype, b.value),
            LineKind::Timing { start, stop } => write!(f, "t={start} {stop}"),
            LineKind::Media(m) => {
                write!(f, "m={} {}", m.media, m.port)?;
                if let Some(n) = m.port_count {
                    write!(f, "/{n}")?;
                }
                write!(f, " {}", m.proto)?;
                m.formats.iter().try_for_each(|x| write!(f, " {x}"))
            }
            LineKind::Attribute(a) => write!(f, "a={a}"),
            LineKind::Text { kind, value } => write!(f, "{kind}={value}"),
        }
    }
}

fn parse_kind(raw: &str, offset: usize) -> PResult<'_, LineKind<'_>> {
    if raw.trim().is_empty() {
        return Ok(LineKind::Blank);
    }
    let b = raw.as_bytes();
    if b.len() < 2 || b[1] != b'=' {
        return Err(bad(offset, raw, "line", "<type>=<value>"));
    }
    if !b[0].is_ascii_alphabetic() {
        return Err(bad(offset, raw, "line type", "a letter"));
    }
    let value = &raw[2..];
    let voff = offset + 2;
    let mut t = Toks::new(value, voff);
    Ok(match b[0] {
        b'v' => {
            let v = num(t.need("version")?, "version", "0")?;
            t.end("version")?;
            LineKind::Version(v)
        }
        b'o' => {
            let o = Origin {
                username: t.need("origin username")?.1,
                session_id: t.need("origin sess-id")?.1,
                session_version: t.need("origin sess-version")?.1,
                nettype: t.need("origin nettype")?.1,
                addrtype: t.need("origin addrtype")?.1,
                address: t.need("origin address")?.1,
            };
            t.end("origin")?;
            LineKind::Origin(o)
        }
        b'c' => {
            let c = Connection {
                nettype: t.need("connection nettype")?.1,
                addrtype: t.need("connection addrtype")?.1,
                address: t.need("connection address")?.1,
            };
            t.end("connection")?;
            LineKind::Connection(c)
        }
        b'b' => {
            let (bt, v) = value
                .split_once(':')
                .ok_or_else(|| bad(voff, value, "bandwidth", "<bwtype>:<bandwidth>"))?;
            let n = num(
                (voff + bt.len() + 1, v.trim()),
                "bandwidth value",
                "a number",
            )?;
            LineKind::Bandwidth(Bandwidth {
                bwtype: bt,
                value: n,
            })
        }
        b't' => {
            let start = num(t.need("timing start")?, "timing start", "NTP seconds")?;
            let stop = num(t.need("timing stop")?, "timing stop", "NTP seconds")?;
            t.end("timing")?;
            LineKind::Timing { start, stop }
        }
        b'm' => {
            let media = t.need("media type")?.1;
            let (poff, ptok) = t.need("media port")?;
            let (port_s, count_s) = match ptok.split_once('/') {
                Some((p, c)) => (p, Some(c)),
                None => (ptok, None),
            };
            let port = num((poff, port_s), "media port", "a port 0-65535")?;
            let port_count = match count_s {
                Some(c) => Some(num((poff, c), "media port count", "a number of ports")?),
                None => None,
            };
            let proto = t.need("media proto")?.1;
            let mut formats = Vec::new();
            while let Some(f) = t.next_tok() {
                formats.push(f.1);
            }
            LineKind::Media(MediaLine {
                media,
                port,
                port_count,
                proto,
                formats,
            })
        }
        b'a' => {
            if value.is_empty() {
                return Err(missing(voff, "attribute name"));
            }
            let (name, v) = match value.split_once(':') {
                Some((n, v)) => (n, Some(v)),
                None => (value, None),
            };
            LineKind::Attribute(Attribute::parse(name, v, voff + name.len() + 1))
        }
        k => LineKind::Text {
            kind: k as char,
            value,
        },
    })
}

/// A run of lines: the session part (before the first `m=`) or one media section.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Section<'a> {
    /// Every line of the section in order; a media section starts with its `m=` line.
    pub lines: Vec<Line<'a>>,
}

impl<'a> Section<'a> {
    /// The `m=` line and its line, for a media section.
    pub fn media_line(&self) -> Option<(&Line<'a>, &MediaLine<'a>)> {
        let l = self.lines.first()?;
        match &l.kind {
            LineKind::Media(m) => Some((l, m)),
            _ => None,
        }
    }

    /// Every attribute with its line.
    pub fn attributes(&self) -> impl Iterator<Item = (&Line<'a>, &Attribute<'a>)> {
        self.lines
            .iter()
            .filter_map(|l| l.attribute().map(|a| (l, a)))
    }

    /// The first attribute for which `f` returns something.
    pub fn find<'s, T>(&'s self, f: impl FnMut(&'s Attribute<'a>) -> Option<T>) -> Option<T> {
        self.attributes().map(|(_, a)| a).find_map(f)
    }

    /// `a=mid`.
    pub fn mid(&self) -> Option<&'a str> {
        self.find(|a| match a {
            Attribute::Mid(m) => Some(*m),
            _ => None,
        })
    }

    /// `a=ice-ufrag`.
    pub fn ice_ufrag(&self) -> Option<&'a str> {
        self.find(|a| match a {
            Attribute::IceUfrag(m) => Some(*m),
            _ => None,
        })
    }

    /// `a=ice-pwd`.
    pub fn ice_pwd(&self) -> Option<&'a str> {
        self.find(|a| match a {
            Attribute::IcePwd(m) => Some(*m),
            _ => None,
        })
    }

    /// `a=setup`.
    pub fn setup(&self) -> Option<Setup> {
        self.find(|a| match a {
            Attribute::Setup(s) => Some(*s),
            _ => None,
        })
    }

    /// The direction attribute, if any (RFC 8866 §6.7: default is `sendrecv`).
    pub fn direction(&self) -> Option<Direction> {
        self.find(|a| match a {
            Attribute::Direction(d) => Some(*d),
            _ => None,
        })
    }

    /// `a=fingerprint` values as (hash, digest).
    pub fn fingerprints(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.attributes().filter_map(|(_, a)| match a {
            Attribute::Fingerprint { hash, digest } => Some((*hash, *digest)),
            _ => None,
        })
    }

    /// `a=candidate` values.
    pub fn candidates(&self) -> impl Iterator<Item = &Candidate<'a>> + '_ {
        self.attributes().filter_map(|(_, a)| match a {
            Attribute::Candidate(c) => Some(c),
            _ => None,
        })
    }

    /// The `c=` line of this section.
    pub fn connection(&self) -> Option<&Connection<'a>> {
        self.lines.iter().find_map(|l| match &l.kind {
            LineKind::Connection(c) => Some(c),
            _ => None,
        })
    }

    /// True when the section carries attribute `name` (typed or not).
    pub fn has(&self, name: &str) -> bool {
        self.attributes().any(|(_, a)| a.name() == name)
    }
}

/// A parsed session description: every line, grouped into the session part and media sections.
///
/// Borrowed from the input (zero-copy). Nothing is dropped: [`Sdp::emit`] writes the exact input
/// back (with the chosen line terminator).
#[derive(Clone, Debug, PartialEq)]
pub struct Sdp<'a> {
    /// The parsed text.
    pub text: &'a str,
    /// The terminators seen.
    pub line_ending: LineEnding,
    /// Lines before the first `m=`.
    pub session: Section<'a>,
    /// One section per `m=` line.
    pub media: Vec<Section<'a>>,
}

impl<'a> Sdp<'a> {
    /// Parses `text`. Never fails and never panics; malformed lines become
    /// [`LineKind::Malformed`], which the linter reports. Linear in the input size.
    pub fn parse(text: &'a str) -> Self {
        let mut session = Section::default();
        let mut media: Vec<Section<'a>> = Vec::new();
        let (mut crlf, mut lf) = (false, false);
        let mut offset = 0;
        let mut number = 0;
        let mut rest = text;
        while !rest.is_empty() {
            number += 1;
            let (line, ending) = match rest.find('\n') {
                Some(i) => {
                    if i > 0 && rest.as_bytes()[i - 1] == b'\r' {
                        crlf = true;
                        (&rest[..i - 1], &rest[i - 1..=i])
                    } else {
                        lf = true;
                        (&rest[..i], &rest[i..=i])
                    }
                }
                None => (rest, ""),
            };
            let l = Line::parse(line, offset, number, ending);
            if matches!(l.kind, LineKind::Media(_)) {
                media.push(Section { lines: vec![l] });
            } else if let Some(m) = media.last_mut() {
                m.lines.push(l);
            } else {
                session.lines.push(l);
            }
            let used = line.len() + ending.len();
            // Progress: a line is its terminator or, at the end, the non-empty rest.
            debug_assert!(used > 0, "Sdp::parse line loop did not advance");
            offset += used;
            rest = &rest[used..];
        }
        let line_ending = match (crlf, lf) {
            (true, true) => LineEnding::Mixed,
            (true, false) => LineEnding::Crlf,
            (false, true) => LineEnding::Lf,
            (false, false) => LineEnding::None,
        };
        Sdp {
            text,
            line_ending,
            session,
            media,
        }
    }

    /// Every line in input order.
    pub fn lines(&self) -> impl Iterator<Item = &Line<'a>> {
        self.session
            .lines
            .iter()
            .chain(self.media.iter().flat_map(|m| m.lines.iter()))
    }

    /// Every section: the session part first, then media sections.
    pub fn sections(&self) -> impl Iterator<Item = &Section<'a>> {
        core::iter::once(&self.session).chain(self.media.iter())
    }

    /// Writes every line back verbatim, each ended by `ending` (`"\r\n"` or `"\n"`); a last line
    /// that had no terminator gets none.
    pub fn emit(&self, ending: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 64);
        for l in self.lines() {
            out.push_str(l.raw);
            if !l.ending.is_empty() {
                out.push_str(ending);
            }
        }
        out
    }

    /// Writes every line from its typed form where it has one (canonical spacing), verbatim
    /// otherwise, each ended by `ending`.
    pub fn emit_canonical(&self, ending: &str) -> String {
        use core::fmt::Write;
        let mut out = String::with_capacity(self.text.len() + 64);
        for l in self.lines() {
            match &l.kind {
                LineKind::Blank | LineKind::Malformed(_) => out.push_str(l.raw),
                k => {
                    let _ = write!(out, "{k}");
                }
            }
            out.push_str(ending);
        }
        out
    }

    /// The BUNDLE groups (RFC 8843): each a list of mids.
    pub fn bundle_groups(&self) -> Vec<&[&'a str]> {
        self.session
            .attributes()
            .filter_map(|(_, a)| match a {
                Attribute::Group { semantics, mids }
                    if semantics.eq_ignore_ascii_case("BUNDLE") =>
                {
                    Some(mids.as_slice())
                }
                _ => None,
            })
            .collect()
    }
}
