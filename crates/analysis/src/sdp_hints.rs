//! What `--sdp FILE` gives the analysis: the SDP offers and answers of a call (raw, or inside
//! signalling JSON) turned into the engine's terms ([`MediaHints`], certificate fingerprints,
//! the SDES flag) and, for the terminal UI, the candidates they announce. Shared by
//! `rtcscope analyze`, `rtcscope open` and `rtcscope live`.

use crate::flow::Transport;
use crate::streams::{Codec, CodecSource, MediaHints, MediaKind};
use rtcscope_rtp::rtp::extmap::ExtensionMap;
use std::net::{IpAddr, SocketAddr};

/// A candidate an SDP announced (`a=candidate`): its transport address and its type, which
/// the capture alone cannot tell (a public host address and a server-reflexive one look the
/// same on the wire, a peer-reflexive one is never announced).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdpCandidate {
    /// The candidate's address and port.
    pub addr: SocketAddr,
    /// `host`, `srflx`, `prflx`, `relay` or an extension type, as the SDP wrote it.
    pub typ: String,
    /// The candidate's foundation (RFC 8445 §5.1.1.3): candidates of one type, base and
    /// server share it, and the frozen algorithm groups checks by it.
    pub foundation: String,
    /// UDP, or TCP for an ICE-TCP candidate (RFC 6544).
    pub transport: Transport,
    /// An ICE-TCP candidate's `tcptype` (`active`, `passive`, `so`); `None` for UDP.
    pub tcptype: Option<String>,
}

impl SdpCandidate {
    /// A UDP candidate (the common case; for tests and callers that build candidates).
    pub fn udp(addr: SocketAddr, typ: &str, foundation: &str) -> Self {
        SdpCandidate {
            addr,
            typ: typ.to_owned(),
            foundation: foundation.to_owned(),
            transport: Transport::Udp,
            tcptype: None,
        }
    }

    /// The candidate among `candidates` that is the endpoint `addr` of a pair over
    /// `transport`: the one announced at that very address first; else an active ICE-TCP
    /// candidate of that IP (see [`Self::matches`]). A host that offers a passive and an active
    /// TCP candidate on one IP (Janus does) is its passive one on the passive port.
    pub fn find(
        candidates: &[SdpCandidate],
        addr: SocketAddr,
        transport: Transport,
    ) -> Option<&SdpCandidate> {
        candidates
            .iter()
            .find(|c| c.transport == transport && c.addr == addr)
            .or_else(|| candidates.iter().find(|c| c.matches(addr, transport)))
    }

    /// True when this candidate is the endpoint `addr` of a pair over `transport`. An active
    /// ICE-TCP candidate announces port 9 (RFC 6544 §4.5) and connects from a port its
    /// operating system picks, so it stands for every port of its address on TCP.
    pub fn matches(&self, addr: SocketAddr, transport: Transport) -> bool {
        if self.transport != transport {
            return false;
        }
        if transport == Transport::Tcp
            && self
                .tcptype
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("active"))
        {
            return self.addr.ip() == addr.ip();
        }
        self.addr == addr
    }
}

/// Everything the SDPs say that rtcscope uses.
#[derive(Clone, Debug, Default)]
pub struct SdpKnowledge {
    /// Codecs, clock rates, header-extension ids, RTX groups, mid → kind, SSRC → mid.
    pub hints: MediaHints,
    /// Certificate fingerprints, `HASH DIGEST`.
    pub fingerprints: Vec<String>,
    /// True when an SDP offers SDES crypto suites (SRTP keyed in the SDP, not by DTLS).
    pub sdes: bool,
    /// True when a media section's profile is a secure one (`RTP/SAVP`, `RTP/SAVPF`,
    /// `UDP/TLS/RTP/SAVPF`, ...): its RTP is SRTP, keyed by SDES or by DTLS, even where the
    /// capture holds no DTLS handshake (it started mid-call) and no `a=crypto`.
    pub srtp: bool,
    /// `a=candidate` lines with an IP address (mDNS and FQDN names cannot be matched).
    pub candidates: Vec<SdpCandidate>,
}

/// Why an SDP file could not be used.
#[derive(Debug)]
pub enum SdpError {
    /// The file could not be read.
    Read {
        /// The path given.
        path: String,
        /// What reading it said.
        source: std::io::Error,
    },
    /// The file is not SDP (or signalling JSON holding SDP).
    Parse {
        /// The path given.
        path: String,
        /// What the SDP parser said.
        reason: String,
    },
    /// The file holds no SDP.
    Empty {
        /// The path given.
        path: String,
    },
}

impl std::fmt::Display for SdpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SdpError::Read { path, .. } => write!(f, "cannot read SDP {path}"),
            SdpError::Parse { path, reason } => write!(f, "{path}: {reason}"),
            SdpError::Empty { path } => write!(f, "{path}: no SDP found"),
        }
    }
}

impl std::error::Error for SdpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SdpError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads every SDP in `paths` (each file raw SDP or signalling JSON, possibly with several
/// SDPs); `None` when no path is given.
pub fn load(paths: &[String]) -> Result<Option<SdpKnowledge>, SdpError> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut hints = MediaHints::default();
    let mut fingerprints = Vec::new();
    let mut sdes = false;
    let mut srtp = false;
    let mut candidates = Vec::new();
    let mut extmap = ExtensionMap::empty();
    let mut any_extmap = false;
    for path in paths {
        let bytes = std::fs::read(path).map_err(|source| SdpError::Read {
            path: path.clone(),
            source,
        })?;
        let reports = rtcscope_sdp::analyze(&bytes, None).map_err(|e| SdpError::Parse {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if reports.is_empty() {
            return Err(SdpError::Empty { path: path.clone() });
        }
        for r in &reports {
            let fp = |t: &rtcscope_sdp::Transport, out: &mut Vec<String>| {
                for f in &t.fingerprints {
                    out.push(format!("{} {}", f.hash, f.digest));
                }
            };
            fp(&r.transport, &mut fingerprints);
            for m in &r.media {
                fp(&m.transport, &mut fingerprints);
                sdes |= !m.crypto_suites.is_empty();
                srtp |= !m.crypto_suites.is_empty() || secure_profile(&m.proto);
                let kind = match m.kind.as_str() {
                    "audio" => MediaKind::Audio,
                    "video" => MediaKind::Video,
                    _ => MediaKind::Unknown,
                };
                if let Some(mid) = &m.mid {
                    hints.mid_kind.insert(mid.clone(), kind);
                    for s in &m.ssrcs {
                        hints.ssrc_mid.insert(s.ssrc, mid.clone());
                    }
                }
                for c in &m.codecs {
                    if let (Some(name), Some(rate)) = (&c.name, c.clock_rate) {
                        let red_inner = name
                            .eq_ignore_ascii_case("red")
                            .then(|| red_inner(c, &m.codecs))
                            .flatten();
                        hints.codecs.insert(
                            c.pt,
                            Codec {
                                name: name.clone(),
                                clock_rate: rate,
                                apt: c.apt,
                                red_inner,
                            },
                        );
                    }
                }
                for e in &m.extmaps {
                    if let Ok(id) = u8::try_from(e.id) {
                        extmap.insert_uri(id, &e.uri);
                        any_extmap = true;
                    }
                }
                for g in &m.ssrc_groups {
                    if g.semantics.eq_ignore_ascii_case("FID") && g.ssrcs.len() == 2 {
                        hints.fid.push((g.ssrcs[0], g.ssrcs[1]));
                    }
                }
                for c in &m.candidates {
                    let Ok(ip) = c.address.parse::<IpAddr>() else {
                        continue;
                    };
                    let tcp = c.transport.eq_ignore_ascii_case("tcp");
                    let candidate = SdpCandidate {
                        addr: SocketAddr::new(ip, c.port),
                        typ: c.typ.clone(),
                        foundation: c.foundation.clone(),
                        transport: if tcp { Transport::Tcp } else { Transport::Udp },
                        tcptype: c.tcptype.clone().filter(|_| tcp),
                    };
                    // BUNDLE repeats the same candidate in every media section.
                    if !candidates.contains(&candidate) {
                        candidates.push(candidate);
                    }
                }
            }
        }
    }
    if any_extmap {
        hints.extmap = Some(extmap);
    }
    Ok(Some(SdpKnowledge {
        hints,
        fingerprints,
        sdes,
        srtp,
        candidates,
    }))
}

/// True for the SRTP profiles of RFC 3711 and RFC 5124, over any transport (`RTP/SAVP`,
/// `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`, `TCP/DTLS/RTP/SAVPF`).
fn secure_profile(proto: &str) -> bool {
    proto
        .rsplit('/')
        .next()
        .is_some_and(|p| p.eq_ignore_ascii_case("SAVP") || p.eq_ignore_ascii_case("SAVPF"))
}

/// The payload type a RED payload type most likely carries: the first one its
/// `a=fmtp:<red> <pt>/<pt>` names (RFC 2198 §5), else the first media codec of the m-line (a
/// sender encodes with the first codec it can; Chromium's video RED has no fmtp).
fn red_inner(red: &rtcscope_sdp::Codec, all: &[rtcscope_sdp::Codec]) -> Option<(u8, CodecSource)> {
    let from_fmtp = red.fmtp.as_deref().and_then(|f| {
        f.split('/')
            .next()
            .and_then(|pt| pt.trim().parse::<u8>().ok())
            .filter(|pt| all.iter().any(|c| c.pt == *pt))
    });
    if let Some(pt) = from_fmtp {
        return Some((pt, CodecSource::SdpRedFmtp));
    }
    all.iter()
        .find(|c| {
            c.name
                .as_deref()
                .is_some_and(|n| !crate::streams::is_repair_or_aux(n))
        })
        .map(|c| (c.pt, CodecSource::SdpCodecOrder))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6544 §4.5: an active TCP candidate announces port 9 and connects from any port of
    /// its address; every other candidate is its exact address on its own transport.
    #[test]
    fn candidates_match_their_transport_and_active_tcp_any_port() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        let udp = SdpCandidate::udp(at("10.70.1.2:56579"), "host", "0");
        assert!(udp.matches(at("10.70.1.2:56579"), Transport::Udp));
        assert!(!udp.matches(at("10.70.1.2:56580"), Transport::Udp));
        assert!(!udp.matches(at("10.70.1.2:56579"), Transport::Tcp));
        let tcp = |port: u16, tcptype: &str| SdpCandidate {
            transport: Transport::Tcp,
            tcptype: Some(tcptype.into()),
            ..SdpCandidate::udp(SocketAddr::new(at("10.70.1.2:1").ip(), port), "host", "1")
        };
        let active = tcp(9, "active");
        assert!(active.matches(at("10.70.1.2:58070"), Transport::Tcp));
        assert!(!active.matches(at("10.70.1.3:58070"), Transport::Tcp));
        assert!(!active.matches(at("10.70.1.2:58070"), Transport::Udp));
        let passive = tcp(20037, "passive");
        assert!(passive.matches(at("10.70.1.2:20037"), Transport::Tcp));
        assert!(!passive.matches(at("10.70.1.2:58070"), Transport::Tcp));
        // Both on one IP (Janus offers an active candidate with port 0 before its passive
        // one): the passive port is the passive candidate, any other port the active one.
        let both = [tcp(0, "active"), passive.clone(), udp.clone()];
        let found = |a: &str, t| SdpCandidate::find(&both, at(a), t).map(|c| c.addr.port());
        assert_eq!(found("10.70.1.2:20037", Transport::Tcp), Some(20037));
        assert_eq!(found("10.70.1.2:58070", Transport::Tcp), Some(0));
        assert_eq!(found("10.70.1.2:56579", Transport::Udp), Some(56579));
        assert_eq!(found("10.70.1.2:56580", Transport::Udp), None);
    }

    /// The SDP's `tcptype` and transport reach the candidate: Janus's answer in
    /// fixtures/webrtc/firefox-janus (a UDP, an active and a passive TCP candidate, repeated in
    /// each bundled m-line and kept once).
    #[test]
    fn tcp_candidates_keep_their_tcptype() {
        let answer = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/webrtc/firefox-janus/answer.sdp"
        );
        let k = load(&[answer.to_owned()]).unwrap().expect("an SDP");
        // Janus's ports change with every recording: the kinds and the ports' shape are fixed
        // (the active candidate has port 0, the others one of Janus's RTP range).
        let c: Vec<(Transport, Option<&str>, bool)> = k
            .candidates
            .iter()
            .map(|c| {
                let p = c.addr.port();
                (
                    c.transport,
                    c.tcptype.as_deref(),
                    (20000..=20100).contains(&p),
                )
            })
            .collect();
        assert_eq!(
            c,
            [
                (Transport::Udp, None, true),
                (Transport::Tcp, Some("active"), false),
                (Transport::Tcp, Some("passive"), true)
            ]
        );
    }

    #[test]
    fn secure_profiles_mean_srtp() {
        for p in [
            "RTP/SAVP",
            "RTP/SAVPF",
            "UDP/TLS/RTP/SAVPF",
            "TCP/DTLS/RTP/SAVPF",
            "rtp/savp",
        ] {
            assert!(secure_profile(p), "{p}");
        }
        for p in [
            "RTP/AVP",
            "RTP/AVPF",
            "UDP/DTLS/SCTP",
            "webrtc-datachannel",
            "",
        ] {
            assert!(!secure_profile(p), "{p}");
        }
    }

    #[test]
    fn a_browser_offer_is_srtp_without_sdes() {
        let offer = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/webrtc/direct/offer.sdp"
        );
        let k = load(&[offer.into()]).unwrap().unwrap();
        assert!(k.srtp && !k.sdes);
    }

    #[test]
    fn no_path_no_knowledge() {
        assert!(load(&[]).unwrap().is_none());
    }

    #[test]
    fn an_unreadable_file_is_named_with_its_cause() {
        let e = load(&["/nonexistent/offer.sdp".into()]).unwrap_err();
        assert_eq!(e.to_string(), "cannot read SDP /nonexistent/offer.sdp");
        assert!(std::error::Error::source(&e).is_some());
    }
}
