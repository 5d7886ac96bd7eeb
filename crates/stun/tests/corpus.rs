//! Conformance on every STUN/TURN sample of the shared corpus: each must parse fully (header,
//! every attribute decoded, attribute order, FINGERPRINT verified where present) and survive
//! a round trip through the owned representation, or be listed in
//! `tests/expected-failures.tsv` (suite `stun-corpus`) with the reason.

mod common;

use rtcscope_stun::{
    classify, ChannelData, ChannelDataRepr, Check, Flavor, Kind, Message, MessageRepr,
};
use rtcscope_testkit::Expectations;
use rtcscope_wire::{Error, ErrorKind};

/// The variant name of an error kind, as the expected-failures file keys it.
pub fn kind_name(k: &ErrorKind) -> &'static str {
    match k {
        ErrorKind::Truncated { .. } => "Truncated",
        ErrorKind::BadValue { .. } => "BadValue",
        ErrorKind::BadLength { .. } => "BadLength",
        ErrorKind::TrailingBytes { .. } => "TrailingBytes",
        ErrorKind::Mismatch { .. } => "Mismatch",
        ErrorKind::BadText => "BadText",
        _ => "Other",
    }
}

#[derive(Default, Debug)]
struct Stats {
    stun: usize,
    classic: usize,
    channel_data: usize,
    fingerprints: usize,
    failures: usize,
}

fn fail(exp: &Expectations, stats: &mut Stats, name: &str, e: Error) {
    stats.failures += 1;
    let reason = exp.failure(name, e.field, kind_name(&e.kind), &e.to_string());
    eprintln!(
        "{name}: {e} -> {}",
        reason.as_deref().unwrap_or("UNEXPECTED")
    );
}

fn check_stun(exp: &Expectations, stats: &mut Stats, name: &str, bytes: &[u8]) {
    let msg = match Message::parse(bytes) {
        Ok(m) => m,
        Err(e) => return fail(exp, stats, name, e),
    };
    match msg.flavor() {
        Flavor::Rfc5389 => stats.stun += 1,
        Flavor::Rfc3489 => stats.classic += 1,
    }
    match MessageRepr::parse(&msg) {
        Ok(repr) => {
            let again = repr.emit().expect("re-encodes");
            assert_eq!(
                MessageRepr::from_bytes(&again).expect("re-encoded message parses"),
                repr,
                "{name}: round trip"
            );
        }
        Err(e) => return fail(exp, stats, name, e),
    }
    if let Err(e) = msg.check_order() {
        return fail(exp, stats, name, e);
    }
    match msg.verify_fingerprint() {
        Ok(Check::Valid) => stats.fingerprints += 1,
        Ok(Check::Absent) => {}
        Err(e) => fail(exp, stats, name, e),
    }
}

fn check_sample(exp: &Expectations, stats: &mut Stats, s: &common::Sample) {
    if !matches!(s.bytes.first(), Some(0x40..=0x7f)) {
        return check_stun(exp, stats, &s.name, &s.bytes);
    }
    let parsed = if s.stream {
        ChannelData::parse_prefix(&s.bytes).map(|(c, rest)| {
            assert!(
                rest.is_empty(),
                "{}: samples are split by frame_len",
                s.name
            );
            c
        })
    } else {
        ChannelData::parse(&s.bytes)
    };
    let c = match parsed {
        Ok(c) => c,
        Err(e) => return fail(exp, stats, &s.name, e),
    };
    stats.channel_data += 1;
    let repr = ChannelDataRepr::parse(&c);
    let wire = repr.emit(s.stream).unwrap();
    assert_eq!(&wire[..c.as_bytes().len()], c.as_bytes());
    // A STUN message relayed in a channel (e.g. an ICE check through TURN) is checked too.
    if classify(c.data()) == Some(Kind::Stun) {
        check_stun(exp, stats, &format!("{}/channel-data", s.name), c.data());
    }
}

#[test]
fn every_corpus_sample_parses_or_is_expected_to_fail() {
    let Some(corpus) = rtcscope_testkit::corpus("stun corpus conformance") else {
        return;
    };
    let exp = Expectations::load("stun-corpus");
    let mut stats = Stats::default();
    let files = common::file_samples(&corpus);
    assert!(files.len() >= 45, "found only {} file samples", files.len());
    for s in &files {
        check_sample(&exp, &mut stats, s);
    }
    let file_stats = format!("{stats:?}");
    if let Some(tshark) =
        rtcscope_testkit::require_tool("stun corpus conformance (captures)", "tshark")
    {
        for pcap in common::pcaps(&corpus) {
            let frames = common::frames(&tshark, &pcap);
            let samples = common::pcap_samples(&corpus, &frames, &pcap);
            assert!(!samples.is_empty(), "{}: no STUN found", pcap.display());
            for s in &samples {
                check_sample(&exp, &mut stats, s);
            }
        }
        // The captures hold thousands of TURN messages (see MANIFEST.md); a collapse of these
        // numbers means the extraction broke, not that the parser got better.
        assert!(stats.stun > 1500, "{stats:?}");
        assert!(stats.channel_data > 15_000, "{stats:?}");
    }
    eprintln!("files: {file_stats}\nall: {stats:?}");
    assert!(
        stats.classic >= 1,
        "mediasoup 9.stun is classic STUN: {stats:?}"
    );
    assert!(stats.fingerprints > 20, "{stats:?}");
    exp.finish();
}
