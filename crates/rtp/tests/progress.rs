//! Progress as an invariant (issue #16): every loop over input bytes consumes at least one byte
//! per step or ends. The tests feed input crafted to stall each walk (zero lengths, lengths
//! smaller than a header, maximal lengths) and check that it ends within as many steps as its
//! input has bytes; in fact within as many as its smallest element fits in those bytes (a
//! 4-byte RTCP header, a 2-byte extension element, ...), then at most one error. The walks also `debug_assert!` their progress, which these tests (built with
//! debug assertions) exercise.
//!
//! The one walk that is not bounded by bytes is the transport-cc per-packet iterator: a 2-byte
//! run-length chunk stands for up to 8191 packets. It is bounded by the status count instead.

use proptest::collection::vec;
use proptest::prelude::*;
use rtcscope_rtp::rtcp::feedback::FeedbackKind;
use rtcscope_rtp::rtcp::xr::XrBlockKind;
use rtcscope_rtp::rtcp::{Compound, RtcpBody};
use rtcscope_rtp::rtp::ExtensionBlock;
use rtcscope_testkit::progress::{lax_steps, steps};

/// Walks an extension block with both walkers: an element is at least two bytes.
fn walk_extensions(block: &[u8]) {
    let Ok(b) = ExtensionBlock::new_checked(block, 0) else {
        return;
    };
    let len = b.data().len();
    lax_steps(b.iter(), len / 2, "ExtensionBlock::iter");
    let mut visited = 0;
    let _ = b.visit(|_, _| visited += 1);
    assert!(
        visited <= len / 2,
        "ExtensionBlock::visit: {visited} over {len}"
    );
}

/// Walks every packet of a compound and every list inside, each bounded by the bytes it walks
/// divided by the size of its smallest element.
fn walk_compound(buf: &[u8]) {
    let c = Compound::new(buf);
    lax_steps(c.iter(), buf.len() / 4, "CompoundIter");
    let _ = c.check(true);
    for p in c.iter().map_while(Result::ok) {
        let Ok(body) = p.body() else { continue };
        let len = p.payload().len();
        match body {
            RtcpBody::SenderReport(sr) => {
                lax_steps(sr.report_blocks(), len / 24, "ReportBlocks (SR)");
            }
            RtcpBody::ReceiverReport(rr) => {
                lax_steps(rr.report_blocks(), len / 24, "ReportBlocks (RR)");
            }
            RtcpBody::Sdes(s) => {
                lax_steps(s.chunks(), len / 8, "SdesChunks");
                for ch in s.chunks().map_while(Result::ok) {
                    steps(ch.items(), (ch.len() - 4) / 2, "SdesItems");
                }
            }
            RtcpBody::Bye(b) => {
                steps(b.sources(), len / 4, "Sources (BYE)");
            }
            RtcpBody::ExtendedReport(x) => {
                lax_steps(x.blocks(), len / 4, "XrBlocks");
                for b in x.blocks().map_while(Result::ok) {
                    let clen = b.contents.len();
                    match b.kind() {
                        Ok(XrBlockKind::Dlrr(items)) => {
                            steps(items, clen / 12, "DlrrItems");
                        }
                        Ok(XrBlockKind::LossRle(r) | XrBlockKind::DuplicateRle(r)) => {
                            steps(r.chunks(), clen / 2, "RLE chunks");
                        }
                        Ok(XrBlockKind::PacketReceiptTimes(t)) => {
                            steps(t.times(), clen / 4, "receipt times");
                        }
                        _ => {}
                    }
                }
            }
            RtcpBody::Feedback(f) => walk_feedback(f.kind(), len),
            RtcpBody::App(_) | RtcpBody::Unknown(_) => {}
        }
    }
}

fn walk_feedback(kind: rtcscope_rtp::Result<FeedbackKind<'_>>, len: usize) {
    match kind {
        Ok(FeedbackKind::Nack(n)) => {
            steps(n.iter(), len / 4, "EntryIter (NACK)");
            // Each 4-byte entry names at most 17 sequence numbers.
            steps(n.lost_sequences(), 17 * len / 4, "NACK lost sequences");
        }
        Ok(FeedbackKind::Tmmbr(t) | FeedbackKind::Tmmbn(t)) => {
            steps(t.iter(), len / 8, "EntryIter (TMMB)");
        }
        Ok(FeedbackKind::Fir(f)) => {
            steps(f.iter(), len / 8, "EntryIter (FIR)");
        }
        Ok(FeedbackKind::Sli(s)) => {
            steps(s.iter(), len / 4, "EntryIter (SLI)");
        }
        Ok(FeedbackKind::Remb(r)) => {
            steps(r.ssrcs(), len / 4, "Sources (REMB)");
        }
        Ok(FeedbackKind::TransportCc(t)) => {
            lax_steps(t.chunks(), len / 2, "TwccChunks");
            // A packet per step, never more than the status count.
            lax_steps(t.packets(), usize::from(t.status_count()), "TwccPackets");
        }
        Ok(FeedbackKind::Ccfb(c)) => {
            lax_steps(c.streams(), len / 8, "CcfbStreams");
            for s in c.streams().map_while(Result::ok) {
                steps(s.reports(), len / 2, "CCFB metric blocks");
            }
        }
        _ => {}
    }
}

/// An RTCP packet: header (with `count`, `pt` and a length field matching `body`) and body.
fn rtcp(count: u8, pt: u8, body: &[u8]) -> Vec<u8> {
    assert_eq!(body.len() % 4, 0);
    let words = (body.len() / 4) as u16;
    let mut p = vec![0x80 | count, pt];
    p.extend_from_slice(&words.to_be_bytes());
    p.extend_from_slice(body);
    p
}

/// A feedback packet: sender and media SSRC, then `fci`.
fn feedback(fmt: u8, pt: u8, fci: &[u8]) -> Vec<u8> {
    rtcp(fmt, pt, &[&[1u8, 1, 1, 1, 2, 2, 2, 2][..], fci].concat())
}

/// An extension block with `profile` over `data` (a whole number of words).
fn ext_block(profile: u16, data: &[u8]) -> Vec<u8> {
    let mut b = profile.to_be_bytes().to_vec();
    b.extend_from_slice(&((data.len() / 4) as u16).to_be_bytes());
    b.extend_from_slice(data);
    b
}

#[test]
fn extension_walks_end() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("one-byte, all padding", ext_block(0xbede, &[0; 64])),
        (
            "one-byte, length nibble 0 (1 data byte)",
            ext_block(0xbede, &[0x10, 0xaa].repeat(32)),
        ),
        (
            "one-byte, reserved ID 0 with a length",
            ext_block(0xbede, &[0x01, 0, 0, 0].repeat(4)),
        ),
        (
            "one-byte, maximal length at the end",
            ext_block(0xbede, &[0, 0, 0, 0x1f]),
        ),
        ("one-byte, ID 15 stop", ext_block(0xbede, &[0xf0; 8])),
        ("two-byte, all padding", ext_block(0x1000, &[0; 64])),
        (
            "two-byte, zero-length elements",
            ext_block(0x1000, &[1, 0].repeat(32)),
        ),
        (
            "two-byte, maximal length",
            ext_block(0x1000, &[1, 255, 0, 0].repeat(4)),
        ),
        (
            "two-byte, header cut at the end",
            ext_block(0x1000, &[0, 0, 0, 7]),
        ),
        ("other profile", ext_block(0x1234, &[0; 16])),
        ("empty", ext_block(0xbede, &[])),
    ];
    for (name, block) in &cases {
        ExtensionBlock::new_checked(block, 0).unwrap_or_else(|e| panic!("{name}: {e}"));
        walk_extensions(block);
    }
    // Zero-length two-byte elements: one per two bytes, exactly.
    let b = ext_block(0x1000, &[1, 0].repeat(32));
    let b = ExtensionBlock::new_checked(&b, 0).unwrap();
    assert_eq!(lax_steps(b.iter(), 64, "two-byte"), 32);
}

#[test]
fn rtcp_walks_end() {
    let twcc_fixed = |count: u16| {
        let mut f = vec![0, 1];
        f.extend_from_slice(&count.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 0]);
        f
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // Compound framing.
        (
            "header-only packets (length 0 words)",
            rtcp(0, 201, &[]).repeat(16),
        ),
        ("all zero (version 0)", vec![0; 64]),
        ("maximal length field", [0x80, 200, 0xff, 0xff].repeat(4)),
        ("short header", vec![0x80, 200]),
        ("padding bit, padding 0", vec![0xa0, 201, 0, 1, 0, 0, 0, 0]),
        // Report blocks: the count promises more than the body holds.
        ("RR with RC 31 and no blocks", rtcp(31, 201, &[0; 4])),
        ("SR with RC 31 and one block", rtcp(31, 200, &[0; 48])),
        // SDES: empty chunks, empty items, maximal item length, no END.
        ("SDES, SC 31, empty chunks", rtcp(31, 202, &[0; 64])),
        (
            "SDES, zero-length items",
            rtcp(
                1,
                202,
                &[&[9u8; 4][..], &[1, 0].repeat(10), &[0; 4]].concat(),
            ),
        ),
        (
            "SDES, maximal item length",
            rtcp(1, 202, &[9, 9, 9, 9, 1, 255, 0, 0]),
        ),
        ("SDES, no END", rtcp(1, 202, &[9, 9, 9, 9, 1, 2, 3, 4])),
        ("SDES, SC 0 with bytes", rtcp(0, 202, &[0; 16])),
        // BYE.
        ("BYE, SC 31 and no sources", rtcp(31, 203, &[])),
        (
            "BYE, maximal reason",
            rtcp(1, 203, &[1, 1, 1, 1, 255, 0, 0, 0]),
        ),
        // XR: zero-length blocks, maximal block length, DLRR with no items.
        (
            "XR, zero-length blocks",
            rtcp(
                0,
                207,
                &[&[1u8, 1, 1, 1][..], &[9, 0, 0, 0].repeat(15)].concat(),
            ),
        ),
        (
            "XR, maximal block length",
            rtcp(0, 207, &[1, 1, 1, 1, 5, 0, 0xff, 0xff]),
        ),
        (
            "XR, empty DLRR and RLE blocks",
            rtcp(
                0,
                207,
                &[&[1u8, 1, 1, 1][..], &[5, 0, 0, 0], &[1, 0, 0, 2], &[0; 8]].concat(),
            ),
        ),
        (
            "XR, DLRR items",
            rtcp(
                0,
                207,
                &[&[1u8, 1, 1, 1][..], &[5, 0, 0, 6], &[0; 24]].concat(),
            ),
        ),
        // Feedback FCIs.
        ("NACK, many entries", feedback(1, 205, &[0xff; 64])),
        ("NACK, no entries", feedback(1, 205, &[])),
        ("TMMBN, empty", feedback(4, 205, &[])),
        ("FIR, entries", feedback(4, 206, &[0; 48])),
        ("SLI, entries", feedback(2, 206, &[0; 16])),
        (
            "REMB, no SSRCs",
            feedback(15, 206, &[b'R', b'E', b'M', b'B', 0, 0, 0, 0]),
        ),
        (
            "REMB, SSRC count larger than the list",
            feedback(
                15,
                206,
                &[b'R', b'E', b'M', b'B', 0xff, 0, 0, 0, 1, 2, 3, 4],
            ),
        ),
        // transport-cc: runs of 0 describe no packet but still take two bytes.
        (
            "transport-cc, runs of 0, maximal status count",
            feedback(15, 205, &[twcc_fixed(0xffff), vec![0; 24]].concat()),
        ),
        (
            "transport-cc, one maximal run",
            feedback(
                15,
                205,
                &[twcc_fixed(0x1fff), vec![0x1f, 0xff, 0, 0]].concat(),
            ),
        ),
        (
            "transport-cc, maximal run of received small deltas",
            feedback(
                15,
                205,
                &[twcc_fixed(0x1fff), vec![0x3f, 0xff, 0, 0]].concat(),
            ),
        ),
        (
            "transport-cc, status count 0",
            feedback(15, 205, &[twcc_fixed(0), vec![0; 8]].concat()),
        ),
        // CCFB: stream blocks without metric blocks, maximal num_reports.
        ("CCFB, empty stream blocks", rtcp(11, 205, &[0; 44])),
        (
            "CCFB, maximal num_reports",
            rtcp(
                11,
                205,
                &[1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0xff, 0xff, 0, 0, 0, 0],
            ),
        ),
    ];
    for (name, buf) in &cases {
        eprintln!("{name}");
        walk_compound(buf);
        let _ = rtcscope_rtp::fuzzing::walk_compound(buf);
    }
    // Header-only packets: exactly one per four bytes.
    let b = rtcp(0, 201, &[]).repeat(16);
    assert_eq!(lax_steps(Compound::new(&b).iter(), 64, "header-only"), 16);
}

/// The first packet's body of a datagram.
fn body(buf: &[u8]) -> RtcpBody<'_> {
    Compound::new(buf)
        .iter()
        .next()
        .unwrap()
        .unwrap()
        .body()
        .unwrap()
}

/// The crafted inputs reach the walks they were written for, and those walks step as expected.
#[test]
fn crafted_inputs_reach_their_walks() {
    let sdes = rtcp(
        1,
        202,
        &[&[9u8; 4][..], &[1, 0].repeat(10), &[0; 4]].concat(),
    );
    let RtcpBody::Sdes(s) = body(&sdes) else {
        panic!()
    };
    let ch = s.chunks().next().unwrap().unwrap();
    assert_eq!(ch.items().count(), 10);

    let xr = rtcp(
        0,
        207,
        &[&[1u8, 1, 1, 1][..], &[9, 0, 0, 0].repeat(15)].concat(),
    );
    let RtcpBody::ExtendedReport(x) = body(&xr) else {
        panic!()
    };
    assert_eq!(x.blocks().map_while(Result::ok).count(), 15);

    let twcc = |count: u16, chunks: &[u8]| {
        let mut fci = vec![0, 1];
        fci.extend_from_slice(&count.to_be_bytes());
        fci.extend_from_slice(&[0, 0, 0, 0]);
        fci.extend_from_slice(chunks);
        feedback(15, 205, &fci)
    };
    let zero_runs = twcc(0xffff, &[0; 24]);
    let RtcpBody::Feedback(f) = body(&zero_runs) else {
        panic!()
    };
    let Ok(FeedbackKind::TransportCc(t)) = f.kind() else {
        panic!()
    };
    let chunks: Vec<_> = t.chunks().collect();
    assert_eq!(chunks.len(), 13, "12 empty runs, then the truncation");
    assert!(chunks[12].is_err());
    assert!(t.packets().next().unwrap().is_err());

    let one_run = twcc(0x1fff, &[0x1f, 0xff, 0, 0]);
    let RtcpBody::Feedback(f) = body(&one_run) else {
        panic!()
    };
    let Ok(FeedbackKind::TransportCc(t)) = f.kind() else {
        panic!()
    };
    assert_eq!(t.packets().map_while(Result::ok).count(), 0x1fff);

    let ccfb = rtcp(11, 205, &[0; 44]);
    let RtcpBody::Feedback(f) = body(&ccfb) else {
        panic!()
    };
    let Ok(FeedbackKind::Ccfb(c)) = f.kind() else {
        panic!()
    };
    assert_eq!(c.streams().map_while(Result::ok).count(), 4);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn extension_walks_bounded_by_length(
        profile in prop_oneof![Just(0xbedeu16), 0x1000u16..0x1010, any::<u16>()],
        words in vec(any::<[u8; 4]>(), 0..24),
    ) {
        walk_extensions(&ext_block(profile, &words.concat()));
    }

    #[test]
    fn compound_walks_bounded_by_length(buf in vec(any::<u8>(), 0..256)) {
        walk_compound(&buf);
    }

    #[test]
    fn rtcp_bodies_walks_bounded_by_length(
        count in 0u8..32,
        pt in prop_oneof![200u8..=207, any::<u8>()],
        words in vec(any::<[u8; 4]>(), 0..48),
    ) {
        // A valid header over a random body, so the body walks run rather than the framing.
        walk_compound(&rtcp(count, pt, &words.concat()));
    }
}
