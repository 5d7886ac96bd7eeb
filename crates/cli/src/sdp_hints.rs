//! What `--sdp FILE` gives the analysis: the SDP offers and answers of a call (raw, or inside
//! signalling JSON) turned into the engine's terms (`MediaHints`, certificate fingerprints,
//! the SDES flag) and, for the terminal UI, the candidates they announce. Shared by
//! `rtcscope analyze`, `rtcscope open` and `rtcscope live`.

use anyhow::{bail, Context as _};
use rtcscope_analysis::streams::{Codec, MediaHints, MediaKind};
use rtcscope_rtp::rtp::extmap::ExtensionMap;
use rtcscope_tui::model::SdpCandidate;
use std::net::{IpAddr, SocketAddr};

/// Everything the SDPs say that rtcscope uses.
pub(crate) struct SdpKnowledge {
    /// Codecs, clock rates, header-extension ids, RTX groups, mid → kind, SSRC → mid.
    pub(crate) hints: MediaHints,
    /// Certificate fingerprints, `HASH DIGEST`.
    pub(crate) fingerprints: Vec<String>,
    /// True when an SDP offers SDES crypto suites (SRTP keyed in the SDP, not by DTLS).
    pub(crate) sdes: bool,
    /// `a=candidate` lines with an IP address (mDNS and FQDN names cannot be matched).
    pub(crate) candidates: Vec<SdpCandidate>,
}

/// Reads every SDP in `paths` (each file raw SDP or signalling JSON, possibly with several
/// SDPs); `None` when no path is given.
pub(crate) fn load(paths: &[String]) -> anyhow::Result<Option<SdpKnowledge>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut hints = MediaHints::default();
    let mut fingerprints = Vec::new();
    let mut sdes = false;
    let mut candidates = Vec::new();
    let mut extmap = ExtensionMap::empty();
    let mut any_extmap = false;
    for path in paths {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read SDP {path}"))?;
        let reports =
            rtcscope_sdp::analyze(&bytes, None).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        if reports.is_empty() {
            bail!("{path}: no SDP found");
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
                        hints.codecs.insert(
                            c.pt,
                            Codec {
                                name: name.clone(),
                                clock_rate: rate,
                                apt: c.apt,
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
                    let candidate = SdpCandidate {
                        addr: SocketAddr::new(ip, c.port),
                        typ: c.typ.clone(),
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
        candidates,
    }))
}

/// What the SDPs in `paths` say, in the engine's terms: media hints, certificate fingerprints
/// and whether SDES keys SRTP; `None` when no path is given.
pub(crate) fn load_sdps(
    paths: &[String],
) -> anyhow::Result<Option<(MediaHints, Vec<String>, bool)>> {
    Ok(load(paths)?.map(|k| (k.hints, k.fingerprints, k.sdes)))
}
