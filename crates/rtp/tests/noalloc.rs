//! Proof that parsing allocates nothing: the RTP view with its extension block validated and
//! every element decoded, and RTCP compound iteration with report blocks, SDES items, NACK
//! expansion, TWCC per-packet iteration, REMB and XR, all under a counting global allocator.

use rtcscope_rtp::fuzzing::{walk_compound, walk_rtp, walk_rtp_fields};
use rtcscope_rtp::rtcp::feedback::{FciRepr, FeedbackRepr, NackRepr};
use rtcscope_rtp::rtcp::report::{ReportBlockRepr, SenderReportRepr};
use rtcscope_rtp::rtcp::twcc::{TwccChunk, TwccRepr};
use rtcscope_rtp::rtcp::xr::{DlrrItem, XrBlockRepr, XrRepr};
use rtcscope_rtp::rtcp::{
    CompoundRepr, RtcpPacketRepr, RtcpRepr, SdesChunkRepr, SdesItemRepr, SdesItemType, SdesRepr,
};
use rtcscope_rtp::rtp::{ExtensionBlockRepr, ExtensionMap, ExtensionRepr, RtpPacket, RtpRepr};
use rtcscope_rtp::srtp::{SrtpPacket, SrtpProfile};
use rtcscope_testkit::CountingAlloc;
use std::hint::black_box;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn rtp_packet() -> Vec<u8> {
    RtpRepr {
        marker: true,
        payload_type: 111,
        sequence_number: 7,
        timestamp: 1234,
        ssrc: 0xabc,
        csrcs: vec![1, 2],
        extension: Some(ExtensionBlockRepr::OneByte(vec![
            ExtensionRepr {
                id: 1,
                data: vec![0x85],
            },
            ExtensionRepr {
                id: 2,
                data: vec![1, 2, 3],
            },
            ExtensionRepr {
                id: 3,
                data: vec![0, 9],
            },
            ExtensionRepr {
                id: 4,
                data: b"0".to_vec(),
            },
        ])),
        payload: vec![0x55; 160],
        padding: 4,
    }
    .to_bytes()
    .unwrap()
}

fn rtcp_compound() -> Vec<u8> {
    let p = |body| RtcpPacketRepr { body, padding: 0 };
    CompoundRepr {
        packets: vec![
            p(RtcpRepr::SenderReport(SenderReportRepr {
                ssrc: 1,
                reports: vec![
                    ReportBlockRepr {
                        ssrc: 2,
                        cumulative_lost: -3,
                        ..Default::default()
                    };
                    3
                ],
                ..Default::default()
            })),
            p(RtcpRepr::Sdes(SdesRepr {
                chunks: vec![SdesChunkRepr {
                    ssrc: 1,
                    items: vec![SdesItemRepr {
                        item_type: SdesItemType::CNAME,
                        value: b"cname".to_vec(),
                    }],
                }],
            })),
            p(RtcpRepr::Feedback(FeedbackRepr {
                sender_ssrc: 1,
                media_ssrc: 2,
                fci: FciRepr::Nack(vec![NackRepr {
                    pid: 100,
                    blp: 0xffff,
                }]),
            })),
            p(RtcpRepr::Feedback(FeedbackRepr {
                sender_ssrc: 1,
                media_ssrc: 2,
                fci: FciRepr::TransportCc(TwccRepr {
                    base_sequence: 10,
                    status_count: 20,
                    reference_time: 5,
                    fb_pkt_count: 1,
                    chunks: vec![
                        TwccChunk(0x2000 | 13),
                        TwccChunk(0xc000 | 0b01_10_00_01_00_01_01),
                    ],
                    deltas: vec![4; 13].into_iter().chain([4, -300, 1, 2, 3]).collect(),
                }),
            })),
            p(RtcpRepr::Feedback(FeedbackRepr {
                sender_ssrc: 1,
                media_ssrc: 0,
                fci: FciRepr::Remb {
                    exp: 4,
                    mantissa: 1000,
                    ssrcs: vec![2, 3],
                },
            })),
            p(RtcpRepr::ExtendedReport(XrRepr {
                ssrc: 1,
                blocks: vec![
                    XrBlockRepr::Rrtr(42),
                    XrBlockRepr::Dlrr(vec![DlrrItem {
                        ssrc: 2,
                        last_rr: 3,
                        delay_since_last_rr: 4,
                    }]),
                ],
            })),
        ],
    }
    .to_bytes()
    .unwrap()
}

#[test]
fn rtp_view_does_not_allocate() {
    let bytes = rtp_packet();
    let map = ExtensionMap::libwebrtc_default();
    let n = CountingAlloc::count(|| {
        let p = RtpPacket::new_checked(black_box(&bytes)).unwrap();
        p.validate_extensions().unwrap();
        black_box(walk_rtp(&p, &map).unwrap());
        // The benchmark's equal-work walk, through `ExtensionBlock::visit`.
        black_box(walk_rtp_fields(&p).unwrap());
        let s =
            SrtpPacket::new_checked(black_box(&bytes), Some(SrtpProfile::Aes128CmHmacSha1_80), 0)
                .unwrap();
        black_box(walk_rtp(s.header(), &map).unwrap());
    });
    assert_eq!(n, 0, "RTP parse allocated {n} times");
    // The counter works: building the packet allocates.
    assert!(CountingAlloc::count(|| black_box(rtp_packet())) > 0);
}

#[test]
fn rtcp_walk_does_not_allocate() {
    let bytes = rtcp_compound();
    let n = CountingAlloc::count(|| black_box(walk_compound(black_box(&bytes)).unwrap()));
    assert_eq!(n, 0, "RTCP walk allocated {n} times");
    // Errors are Copy values: a failing parse does not allocate either.
    let n = CountingAlloc::count(|| {
        black_box(walk_compound(black_box(&bytes[..bytes.len() - 3])).is_err())
    });
    assert_eq!(n, 0);
}

#[test]
fn corpus_walks_do_not_allocate() {
    let Some(dir) = rtcscope_testkit::corpus("rtp noalloc corpus") else {
        return;
    };
    let map = ExtensionMap::libwebrtc_default();
    let mut walked = 0;
    for f in rtcscope_testkit::files_under(&dir.join("mediasoup-webrtc-fuzzer-corpora/rtcp-corpus"))
        .into_iter()
        .chain(rtcscope_testkit::files_under(
            &dir.join("janus-gateway-fuzzer-corpora"),
        ))
    {
        let b = std::fs::read(&f).unwrap();
        let n = CountingAlloc::count(|| {
            black_box(walk_compound(&b).ok());
            if let Ok(p) = RtpPacket::new_checked(&b) {
                black_box(walk_rtp(&p, &map).ok());
                black_box(walk_rtp_fields(&p).ok());
            }
        });
        assert_eq!(n, 0, "{} allocated", f.display());
        walked += 1;
    }
    assert!(walked > 100);
}
