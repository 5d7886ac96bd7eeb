//! Typed `a=` attributes used by WebRTC.
//!
//! [`Attribute::parse`] never fails: a known attribute whose value does not follow its grammar
//! becomes [`Attribute::Invalid`] (kept verbatim, with a located error), and any other attribute
//! becomes [`Attribute::Unknown`] (kept verbatim with its name and value, as str0m does), so no
//! line is ever lost. Every typed variant writes itself back with `Display` in the canonical form
//! of its RFC (`a=` prefix excluded); parsing that text again gives the same value.

use crate::text::{bad, decimal, is_token, missing, num, FieldError, PResult, Toks};
use core::fmt;

/// `a=sendrecv` / `sendonly` / `recvonly` / `inactive` (RFC 8866 §6.7, RFC 3264 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum Direction {
    /// `sendrecv` (the default when no direction attribute is present).
    SendRecv,
    /// `sendonly`.
    SendOnly,
    /// `recvonly`.
    RecvOnly,
    /// `inactive`.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction named `s`, if it is one.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=setup` roles (RFC 4145 §4, RFC 8842 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum Setup {
    /// `active`: this endpoint initiates the DTLS/TCP connection.
    Active,
    /// `passive`: this endpoint waits for the connection.
    Passive,
    /// `actpass`: either; only allowed in an offer (RFC 8842 §5.2).
    Actpass,
    /// `holdconn`: do not connect yet.
    Holdconn,
}

impl Setup {
    /// The value as written in SDP.
    pub const fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::Actpass => "actpass",
            Setup::Holdconn => "holdconn",
        }
    }
}

/// Candidate types (RFC 8839 §5.1 `candidate-types`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum CandidateType<'a> {
    /// `host`.
    Host,
    /// `srflx` (server reflexive).
    Srflx,
    /// `prflx` (peer reflexive).
    Prflx,
    /// `relay`.
    Relay,
    /// Any other `token` (RFC 8839 allows extension types).
    Other(&'a str),
}

impl<'a> CandidateType<'a> {
    fn from_str(s: &'a str) -> Self {
        match s {
            "host" => CandidateType::Host,
            "srflx" => CandidateType::Srflx,
            "prflx" => CandidateType::Prflx,
            "relay" => CandidateType::Relay,
            other => CandidateType::Other(other),
        }
    }

    /// The value as written in SDP.
    pub const fn as_str(&self) -> &'a str {
        match self {
            CandidateType::Host => "host",
            CandidateType::Srflx => "srflx",
            CandidateType::Prflx => "prflx",
            CandidateType::Relay => "relay",
            CandidateType::Other(s) => s,
        }
    }
}

/// What kind of address a candidate carries (RFC 8839 §5.1 `connection-address`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum AddressKind {
    /// A dotted-quad IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// An mDNS name ending in `.local` (draft-ietf-mmusic-mdns-ice-candidates), used by browsers
    /// to hide host addresses.
    Mdns,
    /// Any other host name.
    Fqdn,
}

impl AddressKind {
    /// Classifies an address string.
    pub fn of(addr: &str) -> Self {
        if addr.parse::<std::net::Ipv4Addr>().is_ok() {
            AddressKind::Ipv4
        } else if addr.parse::<std::net::Ipv6Addr>().is_ok() {
            AddressKind::Ipv6
        } else if addr.len() > 6
            && addr.is_char_boundary(addr.len() - 6)
            && addr[addr.len() - 6..].eq_ignore_ascii_case(".local")
        {
            AddressKind::Mdns
        } else {
            AddressKind::Fqdn
        }
    }
}

/// `a=candidate` (RFC 8839 §5.1).
///
/// ```text
/// candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
///           [raddr <addr>] [rport <port>] *(<ext-name> <ext-value>)
/// ```
/// `tcptype` (RFC 6544 §4.5) is pulled out of the extensions; the others (`generation`, `ufrag`,
/// `network-id`, `network-cost`, …) stay in [`extensions`](Self::extensions) in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Candidate<'a> {
    /// 1 to 32 `ice-char`s.
    pub foundation: &'a str,
    /// Component id: 1 for RTP, 2 for RTCP (RFC 8445 §5.1.1.1).
    pub component: u32,
    /// Transport, usually `udp`/`UDP` or `tcp`/`TCP` (case-insensitive).
    pub transport: &'a str,
    /// Priority (RFC 8445 §5.1.2); the grammar allows 10 digits, the value must fit 31 bits.
    pub priority: u64,
    /// IP address, mDNS `.local` name or FQDN.
    pub address: &'a str,
    /// Port.
    pub port: u16,
    /// Candidate type.
    pub typ: CandidateType<'a>,
    /// `raddr`.
    pub raddr: Option<&'a str>,
    /// `rport`.
    pub rport: Option<u16>,
    /// `tcptype` (`active`, `passive`, `so`).
    pub tcptype: Option<&'a str>,
    /// Other extension name/value pairs, in order.
    pub extensions: Vec<(&'a str, &'a str)>,
}

impl<'a> Candidate<'a> {
    /// Parses a candidate value (after `candidate:`), whose first byte is at offset `base`.
    pub fn parse_value(value: &'a str, base: usize) -> PResult<'a, Self> {
        let mut t = Toks::new(value, base);
        let f = t.need("candidate foundation")?;
        if f.1.len() > 32 || !crate::text::is_ice_chars(f.1) {
            return Err(bad(f.0, f.1, "candidate foundation", "1-32 ice-chars"));
        }
        let component = num(
            t.need("candidate component")?,
            "candidate component",
            "a component id (1-3 digits)",
        )?;
        let tr = t.need("candidate transport")?;
        if !is_token(tr.1) {
            return Err(bad(tr.0, tr.1, "candidate transport", "a transport token"));
        }
        let priority = num(
            t.need("candidate priority")?,
            "candidate priority",
            "a priority (1-10 digits)",
        )?;
        let address = t.need("candidate address")?.1;
        let port = num(
            t.need("candidate port")?,
            "candidate port",
            "a port 0-65535",
        )?;
        let typ_kw = t.need("candidate typ")?;
        if typ_kw.1 != "typ" {
            return Err(bad(typ_kw.0, typ_kw.1, "candidate typ", "`typ`"));
        }
        let typ = CandidateType::from_str(t.need("candidate type")?.1);
        let mut c = Candidate {
            foundation: f.1,
            component,
            transport: tr.1,
            priority,
            address,
            port,
            typ,
            raddr: None,
            rport: None,
            tcptype: None,
            extensions: Vec::new(),
        };
        while let Some((off, name)) = t.next_tok() {
            let val = t.need("candidate extension value")?;
            match name {
                "raddr" => c.raddr = Some(val.1),
                "rport" => c.rport = Some(num(val, "candidate rport", "a port 0-65535")?),
                "tcptype" => c.tcptype = Some(val.1),
                _ if is_token(name) => c.extensions.push((name, val.1)),
                _ => return Err(bad(off, name, "candidate extension", "a token")),
            }
        }
        Ok(c)
    }

    /// Parses a candidate line as trickled in signalling: with or without `a=` and `candidate:`.
    pub fn parse(s: &'a str) -> PResult<'a, Self> {
        let s = s.trim_end_matches(['\r', '\n']);
        let mut v = s.strip_prefix("a=").unwrap_or(s);
        v = v.strip_prefix("candidate:").unwrap_or(v);
        Self::parse_value(v, s.len() - v.len())
    }

    /// The value of extension `name` (e.g. `generation`, `ufrag`, `network-id`, `network-cost`).
    pub fn extension(&self, name: &str) -> Option<&'a str> {
        self.extensions
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// What kind of address this is (IPv4, IPv6, mDNS `.local` name, FQDN).
    pub fn address_kind(&self) -> AddressKind {
        AddressKind::of(self.address)
    }
}

impl fmt::Display for Candidate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "candidate:{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.transport,
            self.priority,
            self.address,
            self.port,
            self.typ.as_str()
        )?;
        if let Some(a) = self.raddr {
            write!(f, " raddr {a}")?;
        }
        if let Some(p) = self.rport {
            write!(f, " rport {p}")?;
        }
        if let Some(t) = self.tcptype {
            write!(f, " tcptype {t}")?;
        }
        for (n, v) in &self.extensions {
            write!(f, " {n} {v}")?;
        }
        Ok(())
    }
}

/// One stream id in an `a=simulcast` list, possibly paused (`~`) (RFC 8853 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SimulcastId<'a> {
    /// The rid.
    pub rid: &'a str,
    /// True when written with a leading `~`.
    pub paused: bool,
}

/// A simulcast stream list: streams separated by `;`, each a `,`-separated list of alternatives.
pub type SimulcastList<'a> = Vec<Vec<SimulcastId<'a>>>;

/// `a=rid` direction (RFC 8851 §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum RidDirection {
    /// `send`.
    Send,
    /// `recv`.
    Recv,
}

impl RidDirection {
    /// The value as written in SDP.
    pub const fn as_str(self) -> &'static str {
        match self {
            RidDirection::Send => "send",
            RidDirection::Recv => "recv",
        }
    }
}

/// A typed `a=` attribute. Names follow the IANA "att-field" registry.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "attribute", rename_all = "kebab-case")
)]
pub enum Attribute<'a> {
    /// `a=candidate` (RFC 8839 §5.1).
    Candidate(Candidate<'a>),
    /// `a=ice-ufrag` (RFC 8839 §5.4).
    IceUfrag(&'a str),
    /// `a=ice-pwd` (RFC 8839 §5.4).
    IcePwd(&'a str),
    /// `a=ice-options` (RFC 8839 §5.6), e.g. `trickle`, `renomination`.
    IceOptions(Vec<&'a str>),
    /// `a=ice-lite` (RFC 8839 §5.3).
    IceLite,
    /// `a=end-of-candidates` (RFC 8840 §8.2).
    EndOfCandidates,
    /// `a=fingerprint` (RFC 8122 §5): hash function and colon-separated hex digest.
    Fingerprint {
        /// Hash function name (`sha-256`, …).
        hash: &'a str,
        /// Upper-case hex bytes separated by `:`.
        digest: &'a str,
    },
    /// `a=setup` (RFC 4145 §4, RFC 8842).
    Setup(Setup),
    /// `a=mid` (RFC 5888 §4).
    Mid(&'a str),
    /// `a=group` (RFC 5888 §5), e.g. `BUNDLE` (RFC 8843), `LS`.
    Group {
        /// Semantics (`BUNDLE`, `LS`, `FID`, …).
        semantics: &'a str,
        /// The mids, in order; for BUNDLE the first is the offerer's tag.
        mids: Vec<&'a str>,
    },
    /// `a=rtcp` (RFC 3605 §2.1).
    Rtcp {
        /// RTCP port.
        port: u16,
        /// Optional `<nettype> <addrtype> <address>`.
        address: Option<(&'a str, &'a str, &'a str)>,
    },
    /// `a=rtcp-mux` (RFC 5761 §5.1.1).
    RtcpMux,
    /// `a=rtcp-mux-only` (RFC 8858 §3).
    RtcpMuxOnly,
    /// `a=rtcp-rsize` (RFC 5506 §5).
    RtcpRsize,
    /// `a=rtpmap` (RFC 8866 §6.6).
    Rtpmap {
        /// Payload type.
        pt: u8,
        /// Encoding name as written (`opus`, `VP8`, `rtx`, …).
        encoding: &'a str,
        /// Clock rate in Hz.
        clock_rate: u32,
        /// Encoding parameters (audio channels).
        channels: Option<u32>,
    },
    /// `a=fmtp` (RFC 8866 §6.15).
    Fmtp {
        /// The format (a payload type for RTP).
        format: &'a str,
        /// Format parameters, verbatim (`;`-separated `key=value` for most codecs).
        params: &'a str,
    },
    /// `a=rtcp-fb` (RFC 4585 §4.2).
    RtcpFb {
        /// Payload type or `*`.
        pt: &'a str,
        /// Feedback type (`nack`, `ccm`, `goog-remb`, `transport-cc`, `trr-int`, …).
        kind: &'a str,
        /// Parameter (`pli`, `fir`, …), verbatim.
        param: Option<&'a str>,
    },
    /// `a=extmap` (RFC 8285 §8).
    Extmap {
        /// Local identifier (1-14 one-byte, 1-255 two-byte, 4096-4351 in answers).
        id: u16,
        /// Optional direction.
        direction: Option<Direction>,
        /// Extension URI.
        uri: &'a str,
        /// Extension attributes, verbatim.
        attributes: Option<&'a str>,
    },
    /// `a=extmap-allow-mixed` (RFC 8285 §6).
    ExtmapAllowMixed,
    /// `a=ssrc` (RFC 5576 §4.1): `<ssrc> <attribute>[:<value>]`.
    Ssrc {
        /// The SSRC.
        ssrc: u32,
        /// Source attribute name (`cname`, `msid`, `mslabel`, `label`, …).
        name: &'a str,
        /// Source attribute value.
        value: Option<&'a str>,
    },
    /// `a=ssrc-group` (RFC 5576 §4.2), e.g. `FID` (RFC 5576), `SIM`, `FEC-FR` (RFC 5956).
    SsrcGroup {
        /// Semantics.
        semantics: &'a str,
        /// SSRCs, in order (for FID: primary then RTX).
        ssrcs: Vec<u32>,
    },
    /// `a=msid` (RFC 8830 §2): stream id and optional track id.
    Msid {
        /// Stream id (`-` for none).
        stream: &'a str,
        /// Track id (application data).
        track: Option<&'a str>,
    },
    /// `a=msid-semantic` (draft-ietf-mmusic-msid, used by Chrome): `WMS` and stream ids.
    MsidSemantic {
        /// Semantic token (`WMS`).
        semantic: &'a str,
        /// Stream ids (`*` for all).
        ids: Vec<&'a str>,
    },
    /// `a=rid` (RFC 8851 §10).
    Rid {
        /// The rid.
        id: &'a str,
        /// `send` or `recv`.
        direction: RidDirection,
        /// Restrictions (`pt=…;max-width=…`), verbatim.
        params: Option<&'a str>,
    },
    /// `a=simulcast` (RFC 8853 §5.1).
    Simulcast {
        /// Send streams.
        send: Option<SimulcastList<'a>>,
        /// Receive streams.
        recv: Option<SimulcastList<'a>>,
    },
    /// `a=sctp-port` (RFC 8841 §5).
    SctpPort(u16),
    /// `a=max-message-size` (RFC 8841 §6).
    MaxMessageSize(u64),
    /// `a=sctpmap` (draft-ietf-mmusic-sctp-sdp-05, pre-RFC 8841).
    Sctpmap {
        /// SCTP port (the m= format).
        port: u16,
        /// Application protocol (`webrtc-datachannel`).
        protocol: &'a str,
        /// Number of streams.
        streams: Option<u32>,
    },
    /// `a=crypto` (RFC 4568 §9.1, SDES).
    Crypto {
        /// Tag.
        tag: u32,
        /// Crypto suite (`AES_CM_128_HMAC_SHA1_80`, …).
        suite: &'a str,
        /// Key parameters (`inline:<key||salt>[|lifetime][|MKI:len]`), verbatim.
        key_params: &'a str,
        /// Session parameters, verbatim.
        session_params: Option<&'a str>,
    },
    /// A direction attribute (RFC 8866 §6.7).
    Direction(Direction),
    /// `a=bundle-only` (RFC 8843 §6).
    BundleOnly,
    /// `a=identity` (RFC 8827 §5), verbatim base64 assertion and extensions.
    Identity(&'a str),
    /// `a=ptime` in milliseconds (RFC 8866 §6.4).
    Ptime(f64),
    /// `a=maxptime` in milliseconds (RFC 8866 §6.5).
    MaxPtime(f64),
    /// `a=framerate` in frames per second (RFC 8866 §6.8).
    Framerate(f64),
    /// A known attribute whose value does not follow its grammar, kept verbatim.
    Invalid {
        /// Attribute name.
        name: &'a str,
        /// Value after `:`, verbatim.
        value: Option<&'a str>,
        /// Where and why it failed.
        #[cfg_attr(feature = "serde", serde(skip))]
        error: FieldError<'a>,
    },
    /// Any other attribute, kept verbatim.
    Unknown {
        /// Attribute name.
        name: &'a str,
        /// Value after `:`, verbatim.
        value: Option<&'a str>,
    },
}

fn flag<'a>(value: Option<&'a str>, off: usize, a: Attribute<'a>) -> PResult<'a, Attribute<'a>> {
    match value {
        Some(v) if !v.trim().is_empty() => Err(bad(off, v, "flag attribute", "no value")),
        _ => Ok(a),
    }
}

fn one_token<'a>(value: &'a str, off: usize, field: &'static str) -> PResult<'a, &'a str> {
    let mut t = Toks::new(value, off);
    let v = t.need(field)?;
    t.end(field)?;
    Ok(v.1)
}

fn simulcast_list<'a>((off, s): (usize, &'a str)) -> PResult<'a, SimulcastList<'a>> {
    let mut out = Vec::new();
    for stream in s.split(';') {
        let mut alts = Vec::new();
        for alt in stream.split(',') {
            let (paused, rid) = match alt.strip_prefix('~') {
                Some(r) => (true, r),
                None => (false, alt),
            };
            // RFC 8851 §10: rid-id = 1*(alpha-numeric / "-" / "_")
            if rid.is_empty()
                || !rid
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(bad(
                    off,
                    s,
                    "simulcast stream list",
                    "rid ids separated by `;` and `,`",
                ));
            }
            alts.push(SimulcastId { rid, paused });
        }
        out.push(alts);
    }
    Ok(out)
}

fn write_simulcast_list(f: &mut fmt::Formatter<'_>, l: &SimulcastList<'_>) -> fmt::Result {
    for (i, stream) in l.iter().enumerate() {
        if i > 0 {
            f.write_str(";")?;
        }
        for (j, a) in stream.iter().enumerate() {
            if j > 0 {
                f.write_str(",")?;
            }
            if a.paused {
                f.write_str("~")?;
            }
            f.write_str(a.rid)?;
        }
    }
    Ok(())
}

impl<'a> Attribute<'a> {
    /// Parses attribute `name` with its value (the text after the first `:`), whose first byte is
    /// at absolute offset `value_offset`. Never fails; see [`Attribute::Invalid`].
    pub fn parse(name: &'a str, value: Option<&'a str>, value_offset: usize) -> Self {
        match Self::parse_known(name, value, value_offset) {
            Ok(Some(a)) => a,
            Ok(None) => Attribute::Unknown { name, value },
            Err(error) => Attribute::Invalid { name, value, error },
        }
    }

    /// Parses the text after `a=` (e.g. `rtpmap:111 opus/48000/2`).
    pub fn parse_text(text: &'a str) -> Self {
        match text.split_once(':') {
            Some((n, v)) => Self::parse(n, Some(v), n.len() + 1),
            None => Self::parse(text, None, text.len()),
        }
    }

    fn parse_known(name: &'a str, value: Option<&'a str>, off: usize) -> PResult<'a, Option<Self>> {
        use Attribute as A;
        let need = |field: &'static str| value.ok_or_else(|| missing(off, field));
        Ok(Some(match name {
            "candidate" => A::Candidate(Candidate::parse_value(need("candidate")?, off)?),
            "ice-ufrag" => A::IceUfrag(one_token(need("ice-ufrag")?, off, "ice-ufrag")?),
            "ice-pwd" => A::IcePwd(one_token(need("ice-pwd")?, off, "ice-pwd")?),
            "ice-options" => {
                let v: Vec<&str> = need("ice-options")?.split_whitespace().collect();
                if v.is_empty() {
                    return Err(missing(off, "ice-options"));
                }
                A::IceOptions(v)
            }
            "ice-lite" => flag(value, off, A::IceLite)?,
            "end-of-candidates" => flag(value, off, A::EndOfCandidates)?,
            "fingerprint" => {
                let mut t = Toks::new(need("fingerprint")?, off);
                let hash = t.need("fingerprint hash function")?;
                if !is_token(hash.1) {
                    return Err(bad(hash.0, hash.1, "fingerprint hash function", "a token"));
                }
                let digest = t.need("fingerprint digest")?;
                let ok = digest
                    .1
                    .split(':')
                    .all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit()));
                if !ok {
                    return Err(bad(
                        digest.0,
                        digest.1,
                        "fingerprint digest",
                        "hex bytes separated by `:`",
                    ));
                }
                t.end("fingerprint")?;
                A::Fingerprint {
                    hash: hash.1,
                    digest: digest.1,
                }
            }
            "setup" => {
                let v = one_token(need("setup")?, off, "setup")?;
                A::Setup(match v {
                    "active" => Setup::Active,
                    "passive" => Setup::Passive,
                    "actpass" => Setup::Actpass,
                    "holdconn" => Setup::Holdconn,
                    _ => return Err(bad(off, v, "setup", "active, passive, actpass or holdconn")),
                })
            }
            "mid" => {
                let v = one_token(need("mid")?, off, "mid")?;
                if !is_token(v) {
                    return Err(bad(off, v, "mid", "an identification-tag token"));
                }
                A::Mid(v)
            }
            "group" => {
                let mut t = Toks::new(need("group")?, off);
                let sem = t.need("group semantics")?;
                if !is_token(sem.1) {
                    return Err(bad(sem.0, sem.1, "group semantics", "a token"));
                }
                let mut mids = Vec::new();
                while let Some(m) = t.next_tok() {
                    mids.push(m.1);
                }
                A::Group {
                    semantics: sem.1,
                    mids,
                }
            }
            "rtcp" => {
                let mut t = Toks::new(need("rtcp")?, off);
                let port = num(t.need("rtcp port")?, "rtcp port", "a port 0-65535")?;
                let address = match t.next_tok() {
                    None => None,
                    Some(n) => {
                        let a = t.need("rtcp addrtype")?;
                        let c = t.need("rtcp address")?;
                        t.end("rtcp")?;
                        Some((n.1, a.1, c.1))
                    }
                };
                A::Rtcp { port, address }
            }
            "rtcp-mux" => flag(value, off, A::RtcpMux)?,
            "rtcp-mux-only" => flag(value, off, A::RtcpMuxOnly)?,
            "rtcp-rsize" => flag(value, off, A::RtcpRsize)?,
            "rtpmap" => {
                let mut t = Toks::new(need("rtpmap")?, off);
                let pt = num(
                    t.need("rtpmap payload type")?,
                    "rtpmap payload type",
                    "a payload type 0-127",
                )?;
                if pt > 127 {
                    return Err(bad(
                        off,
                        need("rtpmap")?,
                        "rtpmap payload type",
                        "a payload type 0-127",
                    ));
                }
                let (eoff, enc) = t.need("rtpmap encoding")?;
                t.end("rtpmap")?;
                let mut parts = enc.split('/');
                let encoding = parts.next().unwrap_or("");
                if encoding.is_empty() {
                    return Err(bad(eoff, enc, "rtpmap encoding name", "a name"));
                }
                let rate_s = parts
                    .next()
                    .ok_or_else(|| missing(eoff + enc.len(), "rtpmap clock rate"))?;
                let clock_rate = num((eoff, rate_s), "rtpmap clock rate", "a clock rate in Hz")?;
                let channels = match parts.next() {
                    Some(c) => Some(num(
                        (eoff, c),
                        "rtpmap encoding parameters",
                        "a channel count",
                    )?),
                    None => None,
                };
                if parts.next().is_some() {
                    return Err(bad(
                        eoff,
                        enc,
                        "rtpmap",
                        "<encoding>/<clock rate>[/<channels>]",
                    ));
                }
                A::Rtpmap {
                    pt,
                    encoding,
                    clock_rate,
                    channels,
                }
            }
            "fmtp" => {
                let v = need("fmtp")?;
                let mut t = Toks::new(v, off);
                let format = t.need("fmtp format")?.1;
                let params = t.rest().map_or("", |r| r.1);
                A::Fmtp { format, params }
            }
            "rtcp-fb" => {
                let mut t = Toks::new(need("rtcp-fb")?, off);
                let pt = t.need("rtcp-fb payload type")?;
                if pt.1 != "*" && pt.1.parse::<u8>().is_err() {
                    return Err(bad(
                        pt.0,
                        pt.1,
                        "rtcp-fb payload type",
                        "a payload type or `*`",
                    ));
                }
                let kind = t.need("rtcp-fb type")?.1;
                A::RtcpFb {
                    pt: pt.1,
                    kind,
                    param: t.rest().map(|r| r.1),
                }
            }
            "extmap" => {
                let mut t = Toks::new(need("extmap")?, off);
                let (ioff, idtok) = t.need("extmap id")?;
                let (id_s, dir) = match idtok.split_once('/') {
                    Some((i, d)) => (i, Some(d)),
                    None => (idtok, None),
                };
                let id = num((ioff, id_s), "extmap id", "an id 1-4351")?;
                let direction = match dir {
                    None => None,
                    Some(d) => Some(Direction::from_name(d).ok_or_else(|| {
                        bad(
                            ioff,
                            idtok,
                            "extmap direction",
                            "sendrecv, sendonly, recvonly or inactive",
                        )
                    })?),
                };
                let uri = t.need("extmap URI")?.1;
                A::Extmap {
                    id,
                    direction,
                    uri,
                    attributes: t.rest().map(|r| r.1),
                }
            }
            "extmap-allow-mixed" => flag(value, off, A::ExtmapAllowMixed)?,
            "ssrc" => {
                let v = need("ssrc")?;
                let mut t = Toks::new(v, off);
                let ssrc = num(t.need("ssrc id")?, "ssrc id", "an SSRC 0-4294967295")?;
                let (aoff, attr) = t
                    .rest()
                    .ok_or_else(|| missing(off + v.len(), "ssrc attribute"))?;
                let (name, value) = match attr.split_once(':') {
                    Some((n, v)) => (n, Some(v)),
                    None => (attr, None),
                };
                if !is_token(name) {
                    return Err(bad(aoff, attr, "ssrc attribute", "a source attribute name"));
                }
                A::Ssrc { ssrc, name, value }
            }
            "ssrc-group" => {
                let mut t = Toks::new(need("ssrc-group")?, off);
                let sem = t.need("ssrc-group semantics")?;
                if !is_token(sem.1) {
                    return Err(bad(sem.0, sem.1, "ssrc-group semantics", "a token"));
                }
                let mut ssrcs = Vec::new();
                while let Some(s) = t.next_tok() {
                    ssrcs.push(num(s, "ssrc-group ssrc", "an SSRC 0-4294967295")?);
                }
                A::SsrcGroup {
                    semantics: sem.1,
                    ssrcs,
                }
            }
            "msid" => {
                let mut t = Toks::new(need("msid")?, off);
                let stream = t.need("msid stream id")?.1;
                let track = t.next_tok().map(|x| x.1);
                t.end("msid")?;
                A::Msid { stream, track }
            }
            "msid-semantic" => {
                let mut t = Toks::new(need("msid-semantic")?, off);
                let semantic = t.need("msid-semantic token")?.1;
                let mut ids = Vec::new();
                while let Some(s) = t.next_tok() {
                    ids.push(s.1);
                }
                A::MsidSemantic { semantic, ids }
            }
            "rid" => {
                let mut t = Toks::new(need("rid")?, off);
                let id = t.need("rid id")?;
                if !id
                    .1
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(bad(id.0, id.1, "rid id", "alpha-numeric, `-` or `_`"));
                }
                let d = t.need("rid direction")?;
                let direction = match d.1 {
                    "send" => RidDirection::Send,
                    "recv" => RidDirection::Recv,
                    _ => return Err(bad(d.0, d.1, "rid direction", "send or recv")),
                };
                let params = t.next_tok().map(|x| x.1);
                t.end("rid")?;
                A::Rid {
                    id: id.1,
                    direction,
                    params,
                }
            }
            "simulcast" => {
                let mut t = Toks::new(need("simulcast")?, off);
                let (mut send, mut recv) = (None, None);
                let first = t.need("simulcast direction")?;
                let mut dir = Some(first);
                while let Some((doff, d)) = dir {
                    let list = simulcast_list(t.need("simulcast stream list")?)?;
                    let slot = match d {
                        "send" => &mut send,
                        "recv" => &mut recv,
                        _ => return Err(bad(doff, d, "simulcast direction", "send or recv")),
                    };
                    if slot.is_some() {
                        return Err(bad(
                            doff,
                            d,
                            "simulcast direction",
                            "each direction at most once",
                        ));
                    }
                    *slot = Some(list);
                    dir = t.next_tok();
                }
                A::Simulcast { send, recv }
            }
            "sctp-port" => A::SctpPort(num(
                (off, one_token(need("sctp-port")?, off, "sctp-port")?),
                "sctp-port",
                "a port 0-65535",
            )?),
            "max-message-size" => A::MaxMessageSize(num(
                (
                    off,
                    one_token(need("max-message-size")?, off, "max-message-size")?,
                ),
                "max-message-size",
                "a size in bytes",
            )?),
            "sctpmap" => {
                let mut t = Toks::new(need("sctpmap")?, off);
                let port = num(t.need("sctpmap port")?, "sctpmap port", "a port 0-65535")?;
                let protocol = t.need("sctpmap protocol")?.1;
                let streams = match t.next_tok() {
                    Some(s) => Some(num(s, "sctpmap streams", "a stream count")?),
                    None => None,
                };
                t.end("sctpmap")?;
                A::Sctpmap {
                    port,
                    protocol,
                    streams,
                }
            }
            "crypto" => {
                let mut t = Toks::new(need("crypto")?, off);
                let tag = num(t.need("crypto tag")?, "crypto tag", "a tag (1-9 digits)")?;
                let suite = t.need("crypto suite")?.1;
                let key = t.need("crypto key params")?;
                if !key.1.starts_with("inline:") {
                    return Err(bad(key.0, key.1, "crypto key params", "inline:<key||salt>"));
                }
                A::Crypto {
                    tag,
                    suite,
                    key_params: key.1,
                    session_params: t.rest().map(|r| r.1),
                }
            }
            "sendrecv" | "sendonly" | "recvonly" | "inactive" => flag(
                value,
                off,
                A::Direction(Direction::from_name(name).unwrap_or(Direction::SendRecv)),
            )?,
            "bundle-only" => flag(value, off, A::BundleOnly)?,
            "identity" => A::Identity(need("identity")?),
            "ptime" => A::Ptime(decimal(
                (off, one_token(need("ptime")?, off, "ptime")?),
                "ptime",
            )?),
            "maxptime" => A::MaxPtime(decimal(
                (off, one_token(need("maxptime")?, off, "maxptime")?),
                "maxptime",
            )?),
            "framerate" => A::Framerate(decimal(
                (off, one_token(need("framerate")?, off, "framerate")?),
                "framerate",
            )?),
            _ => return Ok(None),
        }))
    }

    /// The attribute name (`rtpmap`, `candidate`, …).
    pub fn name(&self) -> &'a str {
        use Attribute as A;
        match self {
            A::Candidate(_) => "candidate",
            A::IceUfrag(_) => "ice-ufrag",
            A::IcePwd(_) => "ice-pwd",
            A::IceOptions(_) => "ice-options",
            A::IceLite => "ice-lite",
            A::EndOfCandidates => "end-of-candidates",
            A::Fingerprint { .. } => "fingerprint",
            A::Setup(_) => "setup",
            A::Mid(_) => "mid",
            A::Group { .. } => "group",
            A::Rtcp { .. } => "rtcp",
            A::RtcpMux => "rtcp-mux",
            A::RtcpMuxOnly => "rtcp-mux-only",
            A::RtcpRsize => "rtcp-rsize",
            A::Rtpmap { .. } => "rtpmap",
            A::Fmtp { .. } => "fmtp",
            A::RtcpFb { .. } => "rtcp-fb",
            A::Extmap { .. } => "extmap",
            A::ExtmapAllowMixed => "extmap-allow-mixed",
            A::Ssrc { .. } => "ssrc",
            A::SsrcGroup { .. } => "ssrc-group",
            A::Msid { .. } => "msid",
            A::MsidSemantic { .. } => "msid-semantic",
            A::Rid { .. } => "rid",
            A::Simulcast { .. } => "simulcast",
            A::SctpPort(_) => "sctp-port",
            A::MaxMessageSize(_) => "max-message-size",
            A::Sctpmap { .. } => "sctpmap",
            A::Crypto { .. } => "crypto",
            A::Direction(d) => d.as_str(),
            A::BundleOnly => "bundle-only",
            A::Identity(_) => "identity",
            A::Ptime(_) => "ptime",
            A::MaxPtime(_) => "maxptime",
            A::Framerate(_) => "framerate",
            A::Invalid { name, .. } | A::Unknown { name, .. } => name,
        }
    }

    /// True for [`Attribute::Unknown`] and [`Attribute::Invalid`] (kept verbatim, not typed).
    pub fn is_verbatim(&self) -> bool {
        matches!(self, Attribute::Invalid { .. } | Attribute::Unknown { .. })
    }
}

/// Writes the attribute without the `a=` prefix, canonically (single spaces).
impl fmt::Display for Attribute<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Attribute as A;
        let name = self.name();
        match self {
            A::Candidate(c) => write!(f, "{c}"),
            A::IceUfrag(v) | A::IcePwd(v) | A::Mid(v) | A::Identity(v) => write!(f, "{name}:{v}"),
            A::IceOptions(v) => write!(f, "{name}:{}", v.join(" ")),
            A::IceLite
            | A::EndOfCandidates
            | A::RtcpMux
            | A::RtcpMuxOnly
            | A::RtcpRsize
            | A::ExtmapAllowMixed
            | A::BundleOnly
            | A::Direction(_) => f.write_str(name),
            A::Fingerprint { hash, digest } => write!(f, "{name}:{hash} {digest}"),
            A::Setup(s) => write!(f, "{name}:{}", s.as_str()),
            A::Group { semantics, mids } => {
                write!(f, "{name}:{semantics}")?;
                mids.iter().try_for_each(|m| write!(f, " {m}"))
            }
            A::Rtcp { port, address } => {
                write!(f, "{name}:{port}")?;
                match address {
                    Some((n, t, a)) => write!(f, " {n} {t} {a}"),
                    None => Ok(()),
                }
            }
            A::Rtpmap {
                pt,
                encoding,
                clock_rate,
                channels,
            } => {
                write!(f, "{name}:{pt} {encoding}/{clock_rate}")?;
                match channels {
                    Some(c) => write!(f, "/{c}"),
                    None => Ok(()),
                }
            }
            A::Fmtp { format, params } => {
                write!(f, "{name}:{format}")?;
                if params.is_empty() {
                    Ok(())
                } else {
                    write!(f, " {params}")
                }
            }
            A::RtcpFb { pt, kind, param } => {
                write!(f, "{name}:{pt} {kind}")?;
                match param {
                    Some(p) => write!(f, " {p}"),
                    None => Ok(()),
                }
            }
            A::Extmap {
                id,
                direction,
                uri,
                attributes,
            } => {
                write!(f, "{name}:{id}")?;
                if let Some(d) = direction {
                    write!(f, "/{d}")?;
                }
                write!(f, " {uri}")?;
                match attributes {
                    Some(a) => write!(f, " {a}"),
                    None => Ok(()),
                }
            }
            A::Ssrc {
                ssrc,
                name: n,
                value,
            } => {
                write!(f, "{name}:{ssrc} {n}")?;
                match value {
                    Some(v) => write!(f, ":{v}"),
                    None => Ok(()),
                }
            }
            A::SsrcGroup { semantics, ssrcs } => {
                write!(f, "{name}:{semantics}")?;
                ssrcs.iter().try_for_each(|s| write!(f, " {s}"))
            }
            A::Msid { stream, track } => {
                write!(f, "{name}:{stream}")?;
                match track {
                    Some(t) => write!(f, " {t}"),
                    None => Ok(()),
                }
            }
            A::MsidSemantic { semantic, ids } => {
                write!(f, "{name}:{semantic}")?;
                ids.iter().try_for_each(|s| write!(f, " {s}"))
            }
            A::Rid {
                id,
                direction,
                params,
            } => {
                write!(f, "{name}:{id} {}", direction.as_str())?;
                match params {
                    Some(p) => write!(f, " {p}"),
                    None => Ok(()),
                }
            }
            A::Simulcast { send, recv } => {
                write!(f, "{name}:")?;
                let mut first = true;
                for (d, l) in [("send", send), ("recv", recv)] {
                    if let Some(l) = l {
                        if !first {
                            f.write_str(" ")?;
                        }
                        first = false;
                        write!(f, "{d} ")?;
                        write_simulcast_list(f, l)?;
                    }
                }
                Ok(())
            }
            A::SctpPort(p) => write!(f, "{name}:{p}"),
            A::MaxMessageSize(s) => write!(f, "{name}:{s}"),
            A::Sctpmap {
                port,
                protocol,
                streams,
            } => {
                write!(f, "{name}:{port} {protocol}")?;
                match streams {
                    Some(s) => write!(f, " {s}"),
                    None => Ok(()),
                }
            }
            A::Crypto {
                tag,
                suite,
                key_params,
                session_params,
            } => {
                write!(f, "{name}:{tag} {suite} {key_params}")?;
                match session_params {
                    Some(p) => write!(f, " {p}"),
                    None => Ok(()),
                }
            }
            A::Ptime(v) | A::MaxPtime(v) | A::Framerate(v) => write!(f, "{name}:{v}"),
            A::Invalid { value, .. } | A::Unknown { value, .. } => match value {
                Some(v) => write!(f, "{name}:{v}"),
                None => f.write_str(name),
            },
        }
    }
}

/// Digest length in bytes of the hash functions of the IANA "Hash Function Textual Names"
/// registry (RFC 8122 §5; `md2`/`md5` are listed but MUST NOT be used).
pub fn fingerprint_digest_len(hash: &str) -> Option<usize> {
    Some(match hash.to_ascii_lowercase().as_str() {
        "sha-1" => 20,
        "sha-224" => 28,
        "sha-256" => 32,
        "sha-384" => 48,
        "sha-512" => 64,
        "md5" | "md2" => 16,
        _ => return None,
    })
}

/// Iterates `key=value` pairs of an `a=fmtp` parameter string (`;`-separated, RFC 8866 §6.15
/// leaves the syntax to the codec; all WebRTC codecs use this form).
pub fn fmtp_params(params: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    params
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (p, None),
        })
}
