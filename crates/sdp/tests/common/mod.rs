//! Shared by the corpus and differential tests: which corpus files are SDP, and their type.
#![allow(dead_code)]

use rtcscope_sdp::SdpType;
use std::path::{Path, PathBuf};

/// Corpus folders holding SDP files (every file in them is an SDP).
pub const SDP_DIRS: &[&str] = &[
    "mediasoup-webrtc-fuzzer-corpora/sdp-corpus",
    "mozilla-webrtc-sdp",
    "sdp-transform",
    "jitsi-sdp-interop",
    "medooze-sdp-cpp",
    "aiortc/sdp",
    "rfc-vectors/sdp-rfc-examples",
    "janus-gateway-fuzzer-corpora/sdp_fuzzer",
];

/// Folders where only `*.sdp` files are SDP.
pub const SDP_FILES_IN: &[&str] = &["veondigital-srtp_decoder", "rfc-vectors/jsep-rfc8829bis"];

/// Every SDP file of the corpus, as (corpus-relative name, path), sorted.
pub fn sdp_files(corpus: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for d in SDP_DIRS {
        for p in rtcscope_testkit::files_under(&corpus.join(d)) {
            out.push(p);
        }
    }
    for d in SDP_FILES_IN {
        for p in rtcscope_testkit::files_under(&corpus.join(d)) {
            if p.extension().is_some_and(|e| e == "sdp") {
                out.push(p);
            }
        }
    }
    let mut v: Vec<(String, PathBuf)> = out
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(corpus)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            (rel, p)
        })
        .collect();
    v.sort();
    v
}

/// The trickled candidate tables of the JSEP examples (`attr  candidate:…` lines).
pub fn candidate_files(corpus: &Path) -> Vec<(String, PathBuf)> {
    let dir = corpus.join("rfc-vectors/jsep-rfc8829bis");
    rtcscope_testkit::files_under(&dir)
        .into_iter()
        .filter(|p| {
            p.to_string_lossy().ends_with(".txt") && p.to_string_lossy().contains("candidate")
        })
        .map(|p| {
            let rel = p
                .strip_prefix(corpus)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            (rel, p)
        })
        .collect()
}

/// Offer or answer, when the file name says so (JSEP examples, jitsi playbook steps).
pub fn type_from_name(name: &str) -> Option<SdpType> {
    let base = name.rsplit('/').next().unwrap_or(name);
    if base.starts_with("offer-") || base.contains("_offer_") {
        Some(SdpType::Offer)
    } else if base.starts_with("answer-") || base.contains("_answer_") {
        Some(SdpType::Answer)
    } else {
        None
    }
}
