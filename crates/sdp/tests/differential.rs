//! Differential tests against Mozilla's `webrtc-sdp` (Firefox's parser) and webrtc-rs's `sdp`
//! crate on every SDP of the corpus. Both sides are reduced to the same [`Summary`] (media
//! sections with kind/port/proto/formats, mids, ICE credentials, fingerprints, rtpmaps, extmaps,
//! SSRCs, candidate counts); every difference, and every "they reject, we accept" or the reverse,
//! must be listed in `tests/expected-failures.tsv` (suites `sdp-vs-webrtc-sdp`,
//! `sdp-vs-sdp-crate`) with who is right.

mod common;

use rtcscope_sdp::{Attribute, LintOptions, Sdp, Severity};
use rtcscope_testkit::{corpus, Expectations};
use std::collections::BTreeSet;
use std::fmt::Debug;

#[derive(Debug, Default, PartialEq, Eq)]
struct Media {
    kind: String,
    port: u32,
    proto: String,
    formats: Vec<String>,
    mid: Option<String>,
    ufrag: Option<String>,
    pwd: Option<String>,
    fingerprints: Vec<(String, String)>,
    rtpmaps: Vec<(u8, String, u32, Option<u32>)>,
    extmaps: Vec<(u16, String)>,
    ssrcs: BTreeSet<u32>,
    candidates: usize,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Summary {
    ufrag: Option<String>,
    pwd: Option<String>,
    fingerprints: Vec<(String, String)>,
    media: Vec<Media>,
}

/// Rules whose findings mean "this is not a valid SDP" (as opposed to a WebRTC policy problem).
const SYNTAX_RULES: &[&str] = &[
    "empty",
    "malformed-line",
    "malformed-attribute",
    "version-not-first",
    "version-value",
    "required-line-missing",
    "line-order",
];

/// Our side: the summary, and whether our linter calls the text syntactically invalid.
fn ours(text: &str) -> (Summary, Option<String>) {
    let sdp = Sdp::parse(text);
    let findings = rtcscope_sdp::lint(&sdp, &LintOptions::default());
    let invalid = findings
        .iter()
        .find(|f| f.severity == Severity::Error && SYNTAX_RULES.contains(&f.rule))
        .map(|f| format!("{}: {}", f.rule, f.message));
    let mut s = Summary {
        ufrag: sdp.session.ice_ufrag().map(str::to_owned),
        pwd: sdp.session.ice_pwd().map(str::to_owned),
        fingerprints: sdp
            .session
            .fingerprints()
            .map(|(h, d)| (h.to_ascii_lowercase(), d.to_ascii_uppercase()))
            .collect(),
        media: Vec::new(),
    };
    for m in &sdp.media {
        let Some((_, ml)) = m.media_line() else {
            continue;
        };
        let mut out = Media {
            kind: ml.media.to_owned(),
            port: u32::from(ml.port),
            proto: ml.proto.to_owned(),
            formats: ml.formats.iter().map(|f| (*f).to_owned()).collect(),
            mid: m.mid().map(str::to_owned),
            ufrag: m.ice_ufrag().map(str::to_owned),
            pwd: m.ice_pwd().map(str::to_owned),
            fingerprints: m
                .fingerprints()
                .map(|(h, d)| (h.to_ascii_lowercase(), d.to_ascii_uppercase()))
                .collect(),
            ..Media::default()
        };
        for (_, a) in m.attributes() {
            match a {
                Attribute::Rtpmap {
                    pt,
                    encoding,
                    clock_rate,
                    channels,
                } => out
                    .rtpmaps
                    .push((*pt, (*encoding).to_owned(), *clock_rate, *channels)),
                Attribute::Extmap { id, uri, .. } => out.extmaps.push((*id, (*uri).to_owned())),
                Attribute::Ssrc { ssrc, .. } => {
                    out.ssrcs.insert(*ssrc);
                }
                Attribute::Candidate(_) => out.candidates += 1,
                _ => {}
            }
        }
        s.media.push(out);
    }
    (s, invalid)
}

fn mozilla(text: &str) -> Result<Summary, String> {
    use webrtc_sdp::attribute_type::SdpAttribute as A;
    let session = webrtc_sdp::parse_sdp(text, false).map_err(|e| e.to_string())?;
    let fp = |f: &webrtc_sdp::attribute_type::SdpAttributeFingerprint| {
        let hex: Vec<String> = f.fingerprint.iter().map(|b| format!("{b:02X}")).collect();
        (f.hash_algorithm.to_string(), hex.join(":"))
    };
    let mut s = Summary::default();
    for a in &session.attribute {
        match a {
            A::IceUfrag(u) => s.ufrag = Some(u.clone()),
            A::IcePwd(p) => s.pwd = Some(p.clone()),
            A::Fingerprint(f) => s.fingerprints.push(fp(f)),
            _ => {}
        }
    }
    for m in &session.media {
        let mut out = Media {
            kind: m.get_type().to_string(),
            port: m.get_port(),
            proto: m.get_proto().to_string(),
            formats: m
                .get_formats()
                .to_string()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            ..Media::default()
        };
        for a in m.get_attributes() {
            match a {
                A::Mid(x) => out.mid = Some(x.clone()),
                A::IceUfrag(u) => out.ufrag = Some(u.clone()),
                A::IcePwd(p) => out.pwd = Some(p.clone()),
                A::Fingerprint(f) => out.fingerprints.push(fp(f)),
                A::Rtpmap(r) => out.rtpmaps.push((
                    r.payload_type,
                    r.codec_name.clone(),
                    r.frequency,
                    r.channels,
                )),
                A::Extmap(e) => out.extmaps.push((e.id, e.url.clone())),
                A::Ssrc(x) => {
                    out.ssrcs.insert(x.id);
                }
                A::Candidate(_) => out.candidates += 1,
                _ => {}
            }
        }
        s.media.push(out);
    }
    Ok(s)
}

fn webrtc_rs(text: &str) -> Result<Summary, String> {
    let mut cur = std::io::Cursor::new(text.as_bytes());
    let parsed = std::panic::catch_unwind(move || sdp::SessionDescription::unmarshal(&mut cur))
        .map_err(|_| "panicked".to_owned())?;
    let sd = parsed.map_err(|e| e.to_string())?;
    let mut s = Summary::default();
    let fp = |v: &str| {
        let (h, d) = v.split_once(' ').unwrap_or((v, ""));
        (h.to_ascii_lowercase(), d.trim().to_ascii_uppercase())
    };
    for a in &sd.attributes {
        let v = a.value.clone().unwrap_or_default();
        match a.key.as_str() {
            "ice-ufrag" => s.ufrag = Some(v),
            "ice-pwd" => s.pwd = Some(v),
            "fingerprint" => s.fingerprints.push(fp(&v)),
            _ => {}
        }
    }
    for m in &sd.media_descriptions {
        let mut out = Media {
            kind: m.media_name.media.clone(),
            port: m.media_name.port.value as u32,
            proto: m.media_name.protos.join("/"),
            formats: m.media_name.formats.clone(),
            ..Media::default()
        };
        for a in &m.attributes {
            let v = a.value.clone().unwrap_or_default();
            match a.key.as_str() {
                "mid" => out.mid = Some(v),
                "ice-ufrag" => out.ufrag = Some(v),
                "ice-pwd" => out.pwd = Some(v),
                "fingerprint" => out.fingerprints.push(fp(&v)),
                // The sdp crate keeps attribute values as text; type them the RFC 8866 way:
                // `<pt> <name>/<rate>[/<channels>]`, `<id>[/<dir>] <uri>`, `<ssrc> ...`.
                "rtpmap" => {
                    let (pt, rest) = v.split_once(' ').unwrap_or((&v, ""));
                    let mut p = rest.trim().split('/');
                    let name = p.next().unwrap_or("").to_owned();
                    let rate = p.next().and_then(|r| r.parse().ok());
                    let ch = p.next().and_then(|c| c.parse().ok());
                    if let (Ok(pt), Some(rate)) = (pt.parse(), rate) {
                        out.rtpmaps.push((pt, name, rate, ch));
                    }
                }
                "extmap" => {
                    let mut p = v.split_whitespace();
                    let id = p.next().unwrap_or("").split('/').next().unwrap_or("");
                    if let (Ok(id), Some(uri)) = (id.parse(), p.next()) {
                        out.extmaps.push((id, uri.to_owned()));
                    }
                }
                "ssrc" => {
                    if let Some(Ok(id)) = v.split_whitespace().next().map(str::parse) {
                        out.ssrcs.insert(id);
                    }
                }
                "candidate" => out.candidates += 1,
                _ => {}
            }
        }
        s.media.push(out);
    }
    Ok(s)
}

/// Compares field by field and reports each differing field once per sample.
fn compare(exp: &Expectations, name: &str, us: &Summary, them: &Summary) -> usize {
    let mut n = 0;
    let mut diff = |field: &str, a: &dyn Debug, b: &dyn Debug| {
        n += 1;
        let detail = format!("ours {a:?} / theirs {b:?}");
        exp.failure(
            name,
            field,
            "disagree",
            &detail.chars().take(300).collect::<String>(),
        );
    };
    if us.media.len() != them.media.len() {
        diff("media-count", &us.media.len(), &them.media.len());
        return n;
    }
    macro_rules! field {
        ($label:literal, $a:expr, $b:expr) => {
            if $a != $b {
                diff($label, &$a, &$b);
            }
        };
    }
    field!(
        "session-ice",
        (&us.ufrag, &us.pwd),
        (&them.ufrag, &them.pwd)
    );
    field!("session-fingerprint", us.fingerprints, them.fingerprints);
    let (mut kinds, mut mids, mut ice, mut fps, mut rtpmaps, mut extmaps, mut ssrcs, mut cands) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    for (a, b) in us.media.iter().zip(&them.media) {
        kinds.push((
            (&a.kind, a.port, &a.proto, &a.formats),
            (&b.kind, b.port, &b.proto, &b.formats),
        ));
        mids.push((&a.mid, &b.mid));
        ice.push(((&a.ufrag, &a.pwd), (&b.ufrag, &b.pwd)));
        fps.push((&a.fingerprints, &b.fingerprints));
        rtpmaps.push((&a.rtpmaps, &b.rtpmaps));
        extmaps.push((&a.extmaps, &b.extmaps));
        ssrcs.push((&a.ssrcs, &b.ssrcs));
        cands.push((a.candidates, b.candidates));
    }
    fn split<A: Clone, B: Clone>(v: &[(A, B)]) -> (Vec<A>, Vec<B>) {
        v.iter().cloned().unzip()
    }
    let (a, b) = split(&kinds);
    field!("media-line", a, b);
    let (a, b) = split(&mids);
    field!("mid", a, b);
    let (a, b) = split(&ice);
    field!("ice", a, b);
    let (a, b) = split(&fps);
    field!("fingerprint", a, b);
    let (a, b) = split(&rtpmaps);
    field!("rtpmap", a, b);
    let (a, b) = split(&extmaps);
    field!("extmap", a, b);
    let (a, b) = split(&ssrcs);
    field!("ssrc", a, b);
    let (a, b) = split(&cands);
    field!("candidate-count", a, b);
    n
}

fn run(suite: &str, other: fn(&str) -> Result<Summary, String>) {
    let Some(dir) = corpus(suite) else { return };
    let exp = Expectations::load(suite);
    let (mut both, mut agree) = (0, 0);
    for (name, path) in common::sdp_files(&dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let (us, invalid) = ours(&text);
        match (other(&text), invalid) {
            (Ok(them), None) => {
                both += 1;
                if compare(&exp, &name, &us, &them) == 0 {
                    agree += 1;
                }
            }
            (Ok(them), Some(why)) => {
                exp.failure(&name, "verdict", "we-reject", &why);
                // Still compare what both extracted.
                compare(&exp, &name, &us, &them);
            }
            (Err(e), None) => {
                exp.failure(&name, "verdict", "they-reject", &e);
            }
            (Err(_), Some(_)) => {} // both reject: agreement
        }
    }
    eprintln!("{suite}: {both} files accepted by both, {agree} identical summaries");
    exp.finish();
}

#[test]
fn versus_webrtc_sdp() {
    run("sdp-vs-webrtc-sdp", mozilla);
}

#[test]
fn versus_sdp_crate() {
    run("sdp-vs-sdp-crate", webrtc_rs);
}
