//! Property tests: arbitrary valid owned packets round-trip through emit and parse; arbitrary
//! bytes (and arbitrary bodies behind plausible RTCP headers) never panic the parsers; raw
//! extension blocks, valid or not, walk the same in `ExtensionBlock::visit` and `iter`.

use proptest::collection::vec;
use proptest::prelude::*;
use rtcscope_rtp::fuzzing::{fuzz_rtcp, fuzz_rtp};
use rtcscope_rtp::rtcp::ccfb::CcfbStreamRepr;
use rtcscope_rtp::rtcp::feedback::{FciRepr, FeedbackRepr, FirRepr, NackRepr, SliRepr, TmmbRepr};
use rtcscope_rtp::rtcp::report::{ReceiverReportRepr, ReportBlockRepr, SenderReportRepr};
use rtcscope_rtp::rtcp::twcc::{TwccChunk, TwccRepr};
use rtcscope_rtp::rtcp::xr::{
    DlrrItem, RleRepr, StatisticsSummary, VoipMetrics, XrBlockRepr, XrBlockType, XrRepr,
};
use rtcscope_rtp::rtcp::{
    AppRepr, ByeRepr, CcfbRepr, CompoundRepr, PacketType, RtcpPacketRepr, RtcpRepr, SdesChunkRepr,
    SdesItemRepr, SdesItemType, SdesRepr,
};
use rtcscope_rtp::rtp::{ExtensionBlockRepr, ExtensionRepr, RtpRepr};

fn ext_block() -> impl Strategy<Value = ExtensionBlockRepr> {
    prop_oneof![
        vec((1u8..=14, vec(any::<u8>(), 1..=16)), 0..6).prop_map(|v| ExtensionBlockRepr::OneByte(
            v.into_iter()
                .map(|(id, data)| ExtensionRepr { id, data })
                .collect()
        )),
        (0u8..16, vec((1u8..=255, vec(any::<u8>(), 0..=24)), 0..6)).prop_map(|(appbits, v)| {
            ExtensionBlockRepr::TwoByte {
                appbits,
                elements: v
                    .into_iter()
                    .map(|(id, data)| ExtensionRepr { id, data })
                    .collect(),
            }
        }),
        (any::<u16>(), vec(any::<u32>(), 0..4))
            .prop_filter("not an RFC 8285 profile", |(p, _)| *p != 0xbede
                && p & 0xfff0 != 0x1000)
            .prop_map(|(profile, words)| ExtensionBlockRepr::Other {
                profile,
                data: words.iter().flat_map(|w| w.to_be_bytes()).collect(),
            }),
    ]
}

fn rtp_repr() -> impl Strategy<Value = RtpRepr> {
    (
        any::<bool>(),
        0u8..128,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        vec(any::<u32>(), 0..=15),
        proptest::option::of(ext_block()),
        vec(any::<u8>(), 0..64),
        any::<u8>(),
    )
        .prop_map(
            |(
                marker,
                payload_type,
                sequence_number,
                timestamp,
                ssrc,
                csrcs,
                extension,
                payload,
                padding,
            )| {
                RtpRepr {
                    marker,
                    payload_type,
                    sequence_number,
                    timestamp,
                    ssrc,
                    csrcs,
                    extension,
                    payload,
                    padding,
                }
            },
        )
}

fn words() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u32>(), 0..3).prop_map(|w| w.iter().flat_map(|w| w.to_be_bytes()).collect())
}

fn block() -> impl Strategy<Value = ReportBlockRepr> {
    (
        any::<u32>(),
        any::<u8>(),
        -(1i32 << 23)..(1 << 23),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(
                ssrc,
                fraction_lost,
                cumulative_lost,
                highest_sequence,
                jitter,
                last_sr,
                delay_since_last_sr,
            )| {
                ReportBlockRepr {
                    ssrc,
                    fraction_lost,
                    cumulative_lost,
                    highest_sequence,
                    jitter,
                    last_sr,
                    delay_since_last_sr,
                }
            },
        )
}

/// Encodes statuses into chunks, choosing run-length, 1-bit or 2-bit vectors by `choices`.
fn encode_chunks(statuses: &[u8], choices: &[u8]) -> Vec<TwccChunk> {
    let (mut i, mut k, mut out) = (0, 0, Vec::new());
    while i < statuses.len() {
        let c = choices.get(k % choices.len().max(1)).copied().unwrap_or(0);
        k += 1;
        if c == 0 {
            let s = statuses[i];
            let n = statuses[i..]
                .iter()
                .take(8191)
                .take_while(|&&x| x == s)
                .count();
            out.push(TwccChunk(u16::from(s) << 13 | n as u16));
            i += n;
        } else if c == 1 && statuses[i..].iter().take(14).all(|&s| s < 2) {
            let bits = (0..14).fold(0u16, |b, j| {
                b | u16::from(*statuses.get(i + j).unwrap_or(&0)) << (13 - j)
            });
            out.push(TwccChunk(0x8000 | bits));
            i += 14;
        } else {
            let bits = (0..7).fold(0u16, |b, j| {
                b | u16::from(*statuses.get(i + j).unwrap_or(&0)) << (12 - 2 * j)
            });
            out.push(TwccChunk(0xc000 | bits));
            i += 7;
        }
    }
    out
}

fn twcc() -> impl Strategy<Value = TwccRepr> {
    (
        any::<u16>(),
        vec(0u8..3, 0..60),
        vec(0u8..3, 1..8),
        vec(any::<i16>(), 60),
        0u32..1 << 24,
        any::<u8>(),
    )
        .prop_map(
            |(base_sequence, statuses, choices, raw, reference_time, fb_pkt_count)| {
                let chunks = encode_chunks(&statuses, &choices);
                let deltas = statuses
                    .iter()
                    .zip(raw)
                    .filter(|(s, _)| **s != 0)
                    .map(|(s, d)| if *s == 1 { (d as u16 % 256) as i16 } else { d })
                    .collect();
                TwccRepr {
                    base_sequence,
                    status_count: statuses.len() as u16,
                    reference_time,
                    fb_pkt_count,
                    chunks,
                    deltas,
                }
            },
        )
}

fn fci() -> impl Strategy<Value = FciRepr> {
    prop_oneof![
        vec((any::<u16>(), any::<u16>()), 1..5).prop_map(|v| FciRepr::Nack(
            v.into_iter()
                .map(|(pid, blp)| NackRepr { pid, blp })
                .collect()
        )),
        vec((any::<u32>(), 0u8..64, 0u32..1 << 17, 0u16..512), 1..3).prop_map(|v| FciRepr::Tmmbr(
            v.into_iter()
                .map(|(ssrc, exp, mantissa, overhead)| TmmbRepr {
                    ssrc,
                    exp,
                    mantissa,
                    overhead
                })
                .collect()
        )),
        vec((any::<u32>(), 0u8..64, 0u32..1 << 17, 0u16..512), 0..3).prop_map(|v| FciRepr::Tmmbn(
            v.into_iter()
                .map(|(ssrc, exp, mantissa, overhead)| TmmbRepr {
                    ssrc,
                    exp,
                    mantissa,
                    overhead
                })
                .collect()
        )),
        Just(FciRepr::SrReq),
        Just(FciRepr::Pli),
        twcc().prop_map(FciRepr::TransportCc),
        vec((0u16..8192, 0u16..8192, 0u8..64), 1..3).prop_map(|v| FciRepr::Sli(
            v.into_iter()
                .map(|(first, number, picture_id)| SliRepr {
                    first,
                    number,
                    picture_id
                })
                .collect()
        )),
        (vec(any::<u8>(), 0..3), 0u8..128).prop_map(|(b, payload_type)| {
            let mut bit_string = b;
            bit_string.resize(2 + 4 * bit_string.len(), 0);
            FciRepr::Rpsi {
                padding_bits: 0,
                payload_type,
                bit_string,
            }
        }),
        vec((any::<u32>(), any::<u8>()), 1..3).prop_map(|v| FciRepr::Fir(
            v.into_iter()
                .map(|(ssrc, seq)| FirRepr { ssrc, seq })
                .collect()
        )),
        (0u8..64, 0u32..1 << 18, vec(any::<u32>(), 0..4)).prop_map(|(exp, mantissa, ssrcs)| {
            FciRepr::Remb {
                exp,
                mantissa,
                ssrcs,
            }
        }),
        words()
            .prop_filter("not REMB", |w| !w.starts_with(b"REMB"))
            .prop_map(FciRepr::Afb),
        (
            prop_oneof![Just(PacketType::RTPFB), Just(PacketType::PSFB)],
            16u8..31,
            words()
        )
            .prop_map(|(packet_type, fmt, data)| FciRepr::Other {
                packet_type,
                fmt,
                data
            }),
    ]
}

fn xr_block() -> impl Strategy<Value = XrBlockRepr> {
    prop_oneof![
        any::<u64>().prop_map(XrBlockRepr::Rrtr),
        vec((any::<u32>(), any::<u32>(), any::<u32>()), 0..3).prop_map(|v| XrBlockRepr::Dlrr(
            v.into_iter()
                .map(|(ssrc, last_rr, delay_since_last_rr)| DlrrItem {
                    ssrc,
                    last_rr,
                    delay_since_last_rr
                })
                .collect()
        )),
        (
            0u8..16,
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            vec(any::<u16>(), 0..3)
        )
            .prop_map(|(thinning, ssrc, begin_seq, end_seq, c)| {
                let mut chunks = c;
                if chunks.len() % 2 == 1 {
                    chunks.push(0);
                }
                XrBlockRepr::LossRle(RleRepr {
                    thinning,
                    ssrc,
                    begin_seq,
                    end_seq,
                    chunks,
                })
            }),
        (0u8..16, any::<u32>(), any::<u16>(), vec(any::<u32>(), 0..3)).prop_map(
            |(thinning, ssrc, begin_seq, times)| XrBlockRepr::PacketReceiptTimes {
                thinning,
                ssrc,
                begin_seq,
                end_seq: begin_seq,
                times
            }
        ),
        (any::<u8>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
            |(flags, ssrc, lost_packets, mean_jitter)| XrBlockRepr::StatisticsSummary(
                StatisticsSummary {
                    flags,
                    ssrc,
                    lost_packets,
                    mean_jitter,
                    ..Default::default()
                }
            )
        ),
        (any::<u32>(), any::<u8>(), any::<u16>()).prop_map(|(ssrc, r_factor, jb_abs_max)| {
            XrBlockRepr::VoipMetrics(VoipMetrics {
                ssrc,
                r_factor,
                jb_abs_max,
                ..Default::default()
            })
        }),
        (8u8..=255, any::<u8>(), words()).prop_map(|(bt, type_specific, contents)| {
            XrBlockRepr::Unknown {
                block_type: XrBlockType(bt),
                type_specific,
                contents,
            }
        }),
    ]
}

fn rtcp_repr() -> impl Strategy<Value = RtcpRepr> {
    prop_oneof![
        (
            any::<u32>(),
            any::<u64>(),
            any::<u32>(),
            vec(block(), 0..3),
            words()
        )
            .prop_map(
                |(ssrc, ntp_timestamp, rtp_timestamp, reports, profile_extensions)| {
                    RtcpRepr::SenderReport(SenderReportRepr {
                        ssrc,
                        ntp_timestamp,
                        rtp_timestamp,
                        packet_count: 3,
                        octet_count: 4,
                        reports,
                        profile_extensions,
                    })
                }
            ),
        (any::<u32>(), vec(block(), 0..3), words()).prop_map(
            |(ssrc, reports, profile_extensions)| RtcpRepr::ReceiverReport(ReceiverReportRepr {
                ssrc,
                reports,
                profile_extensions
            })
        ),
        vec(
            (any::<u32>(), vec((1u8..=15, vec(any::<u8>(), 0..12)), 0..3)),
            0..3
        )
        .prop_map(|c| RtcpRepr::Sdes(SdesRepr {
            chunks: c
                .into_iter()
                .map(|(ssrc, items)| SdesChunkRepr {
                    ssrc,
                    items: items
                        .into_iter()
                        .map(|(t, value)| SdesItemRepr {
                            item_type: SdesItemType(t),
                            value
                        })
                        .collect()
                })
                .collect(),
        })),
        (
            vec(any::<u32>(), 0..4),
            proptest::option::of(vec(any::<u8>(), 0..20))
        )
            .prop_map(|(sources, reason)| RtcpRepr::Bye(ByeRepr { sources, reason })),
        (0u8..32, any::<u32>(), any::<[u8; 4]>(), words()).prop_map(
            |(subtype, ssrc, name, data)| RtcpRepr::App(AppRepr {
                subtype,
                ssrc,
                name,
                data
            })
        ),
        (any::<u32>(), any::<u32>(), fci()).prop_map(|(sender_ssrc, media_ssrc, fci)| {
            RtcpRepr::Feedback(FeedbackRepr {
                sender_ssrc,
                media_ssrc,
                fci,
            })
        }),
        (
            any::<u32>(),
            vec((any::<u32>(), any::<u16>(), vec(any::<u16>(), 0..5)), 0..3),
            any::<u32>()
        )
            .prop_map(
                |(sender_ssrc, s, report_timestamp)| RtcpRepr::Ccfb(CcfbRepr {
                    sender_ssrc,
                    streams: s
                        .into_iter()
                        .map(|(ssrc, begin_seq, metrics)| CcfbStreamRepr {
                            ssrc,
                            begin_seq,
                            metrics
                        })
                        .collect(),
                    report_timestamp,
                })
            ),
        (any::<u32>(), vec(xr_block(), 0..3))
            .prop_map(|(ssrc, blocks)| RtcpRepr::ExtendedReport(XrRepr { ssrc, blocks })),
        (214u8..=255, 0u8..32, words()).prop_map(|(pt, count, payload)| RtcpRepr::Unknown {
            packet_type: PacketType(pt),
            count,
            payload
        }),
    ]
}

fn packet() -> impl Strategy<Value = RtcpPacketRepr> {
    (rtcp_repr(), prop_oneof![Just(0u8), Just(4), Just(8)]).prop_map(|(body, padding)| {
        // A transport-cc body may end unaligned; padding must then complete it, so keep none.
        let twcc = matches!(
            &body,
            RtcpRepr::Feedback(FeedbackRepr {
                fci: FciRepr::TransportCc(_),
                ..
            })
        );
        RtcpPacketRepr {
            body,
            padding: if twcc { 0 } else { padding },
        }
    })
}

proptest! {
    #[test]
    fn rtp_repr_round_trips(r in rtp_repr()) {
        let bytes = r.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), r.buffer_len());
        let back = RtpRepr::parse_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &r);
        fuzz_rtp(&bytes);
    }

    #[test]
    fn rtcp_repr_round_trips(packets in vec(packet(), 1..5)) {
        let c = CompoundRepr { packets };
        let bytes = c.to_bytes().unwrap();
        prop_assert_eq!(CompoundRepr::parse(&bytes).unwrap(), c);
        fuzz_rtcp(&bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in vec(any::<u8>(), 0..300)) {
        fuzz_rtp(&b);
        fuzz_rtcp(&b);
    }

    #[test]
    fn arbitrary_bodies_behind_rtcp_headers_never_panic(
        first in 0x80u8..0xc0, pt in 192u8..214, body in vec(any::<u8>(), 0..120), extra in vec(any::<u8>(), 0..8)
    ) {
        let mut b = vec![first, pt];
        b.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
        b.extend_from_slice(&body[..body.len() / 4 * 4]);
        b.extend_from_slice(&extra);
        fuzz_rtcp(&b);
    }

    /// Raw header-extension data, mostly malformed: bytes weighted towards what the one-byte
    /// fast walk treats specially (padding, the ID 15 stop, the reserved ID 0, lengths that
    /// overrun, zeros that end the last word), under both profiles. `fuzz_rtp` asserts that
    /// `visit` yields the elements and the error that `iter` does.
    #[test]
    fn raw_extension_blocks_visit_as_they_iterate(
        two_byte in any::<bool>(),
        words in vec(vec(prop_oneof![3 => Just(0u8), 1 => 1u8..16, 4 => 0x10u8..0xf0, 1 => 0xf0u8..=0xff], 4), 0..6),
        payload in vec(any::<u8>(), 0..6),
    ) {
        let mut b = vec![0x90, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        b.extend_from_slice(if two_byte { &[0x10, 0x00] } else { &[0xbe, 0xde] });
        b.extend_from_slice(&(words.len() as u16).to_be_bytes());
        b.extend(words.concat());
        b.extend_from_slice(&payload);
        fuzz_rtp(&b);
    }
}
