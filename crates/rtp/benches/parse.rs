//! rtcscope's views against webrtc-rs's `rtp` / `rtcp` unmarshal on the same inputs.
//!
//! Equal work: the rtcscope side validates the header, the CSRC list, the padding and every
//! RFC 8285 extension element, and reads every field webrtc-rs materializes (header fields,
//! CSRCs, extension IDs and data, payload, padding; for RTCP every report block, SDES item,
//! NACK pair, TWCC chunk, status and delta, REMB bitrate and SSRC). The `+typed` variant also
//! decodes every extension value (abs-send-time, transport-cc, audio level, mid), which
//! webrtc-rs does not do.

mod common;

use bytes::Bytes;
use common::{audio_packet, video_packet};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rtcscope_rtp::fuzzing::{walk_compound, walk_rtp, walk_rtp_fields};
use rtcscope_rtp::rtcp::feedback::{FciRepr, FeedbackRepr, NackRepr};
use rtcscope_rtp::rtcp::report::{ReportBlockRepr, SenderReportRepr};
use rtcscope_rtp::rtcp::twcc::{TwccChunk, TwccRepr};
use rtcscope_rtp::rtcp::{
    CompoundRepr, RtcpPacketRepr, RtcpRepr, SdesChunkRepr, SdesItemRepr, SdesItemType, SdesRepr,
};
use rtcscope_rtp::rtp::{ExtensionMap, RtpPacket};
use std::hint::black_box;
use webrtc_util::marshal::Unmarshal;

/// SR with two report blocks + SDES CNAME, then NACK and a 60-packet TWCC feedback.
fn rtcp_compound() -> Vec<u8> {
    let p = |body| RtcpPacketRepr { body, padding: 0 };
    let statuses = 60u16;
    CompoundRepr {
        packets: vec![
            p(RtcpRepr::SenderReport(SenderReportRepr {
                ssrc: 1,
                ntp_timestamp: 0xe000_0000_8000_0000,
                rtp_timestamp: 90_000,
                packet_count: 100,
                octet_count: 100_000,
                reports: vec![
                    ReportBlockRepr {
                        ssrc: 2,
                        cumulative_lost: 3,
                        jitter: 20,
                        ..Default::default()
                    };
                    2
                ],
                profile_extensions: vec![],
            })),
            p(RtcpRepr::Sdes(SdesRepr {
                chunks: vec![SdesChunkRepr {
                    ssrc: 1,
                    items: vec![SdesItemRepr {
                        item_type: SdesItemType::CNAME,
                        value: b"0123456789abcdef".to_vec(),
                    }],
                }],
            })),
            p(RtcpRepr::Feedback(FeedbackRepr {
                sender_ssrc: 1,
                media_ssrc: 2,
                fci: FciRepr::Nack(vec![
                    NackRepr {
                        pid: 100,
                        blp: 0x8001,
                    },
                    NackRepr { pid: 200, blp: 0 },
                ]),
            })),
            p(RtcpRepr::Feedback(FeedbackRepr {
                sender_ssrc: 1,
                media_ssrc: 2,
                fci: FciRepr::TransportCc(TwccRepr {
                    base_sequence: 1000,
                    status_count: statuses,
                    reference_time: 12345,
                    fb_pkt_count: 9,
                    // 40 small deltas (run), then 20 in 2-bit vectors with one loss and a large delta.
                    chunks: vec![
                        TwccChunk(0x2000 | 40),
                        TwccChunk(0xc000 | 0b01_01_00_01_10_01_01),
                        TwccChunk(0xc000 | 0b01_01_01_01_01_01_01),
                        TwccChunk(0x2000 | 6),
                    ],
                    deltas: std::iter::repeat_n(4, 40)
                        .chain([5, 6, 7, -200, 8, 9])
                        .chain(std::iter::repeat_n(3, 13))
                        .collect(),
                }),
            })),
        ],
    }
    .to_bytes()
    .unwrap()
}

/// The floor for equal work: a hand-written walk with the same checks and reads as the view
/// (version, CSRCs, extension bounds, every one-byte element's ID and data, padding), and the
/// same one-byte loop, but no error locations, no ranges and no two-byte form. Not a parser
/// anyone should use: it says how much of the view's time is the work itself.
#[inline]
fn floor_walk(b: &[u8]) -> Option<u64> {
    let (&[b0, b1, s0, s1, t0, t1, t2, t3, r0, r1, r2, r3], rest) = b.split_first_chunk()?;
    if b0 >> 6 != 2 {
        return None;
    }
    let (csrcs, mut rest) = rest.split_at_checked(4 * usize::from(b0 & 15))?;
    let mut h = u64::from(b0 >> 6)
        + u64::from(b1 >> 7)
        + u64::from(b1 & 0x7f)
        + u64::from(u16::from_be_bytes([s0, s1]))
        + u64::from(u32::from_be_bytes([t0, t1, t2, t3]))
        + u64::from(u32::from_be_bytes([r0, r1, r2, r3]));
    for c in csrcs.chunks_exact(4) {
        h += u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
    }
    if b0 & 0x10 != 0 {
        let (&[p0, p1, w0, w1], tail) = rest.split_first_chunk()?;
        let (mut d, tail) = tail.split_at_checked(4 * usize::from(u16::from_be_bytes([w0, w1])))?;
        h += u64::from(u16::from_be_bytes([p0, p1]));
        // As the view: the zeros ending the last word at once, one comparison for the rare bytes.
        let trailing_zeros = d
            .last_chunk::<4>()
            .map_or(0, |&w| (u32::from_le_bytes(w).leading_zeros() / 8) as usize);
        while d.len() > trailing_zeros {
            let x = d[0];
            if x.wrapping_sub(0x10) >= 0xe0 {
                match x {
                    0 => {
                        d = &d[1..];
                        continue;
                    }
                    0xf0.. => break,
                    _ => return None,
                }
            }
            let (element, r) = d.split_at_checked(usize::from(x & 15) + 2)?;
            let data = &element[1..];
            h += u64::from(x >> 4) + (data.as_ptr() as u64 ^ data.len() as u64);
            d = r;
        }
        rest = tail;
    }
    let pad = if b0 & 0x20 != 0 {
        let c = usize::from(*rest.last()?);
        if c == 0 || c > rest.len() {
            return None;
        }
        c
    } else {
        0
    };
    Some(h + (rest.len() - pad) as u64 + pad as u64)
}

fn rtp_bench(c: &mut Criterion) {
    let mut typed = ExtensionMap::libwebrtc_default();
    typed.remove(5);
    for (name, pkt) in [
        ("rtp video 1100B", video_packet()),
        ("rtp audio", audio_packet()),
    ] {
        let bytes = Bytes::from(pkt.clone());
        // Equal work: the floor reads the same fields into the same sum as the view's walk.
        let view = walk_rtp_fields(&RtpPacket::new_checked(&pkt).unwrap()).unwrap();
        let floor = floor_walk(&pkt).unwrap();
        assert_eq!(view, floor.wrapping_add(0xcbf2_9ce4_8422_2325), "{name}");
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(1));
        g.bench_function("rtcscope view", |b| {
            b.iter(|| {
                let p = RtpPacket::new_checked(black_box(&pkt)).unwrap();
                black_box(walk_rtp_fields(&p).unwrap())
            })
        });
        g.bench_function("rtcscope view+typed", |b| {
            b.iter(|| {
                let p = RtpPacket::new_checked(black_box(&pkt)).unwrap();
                black_box(walk_rtp(&p, &typed).unwrap())
            })
        });
        g.bench_function("hand-written floor", |b| {
            b.iter(|| black_box(floor_walk(black_box(&pkt)).unwrap()))
        });
        g.bench_function("webrtc-rs unmarshal", |b| {
            b.iter(|| {
                let mut buf = black_box(&bytes).clone();
                black_box(rtp::packet::Packet::unmarshal(&mut buf).unwrap())
            })
        });
        g.finish();
    }
}

fn rtcp_bench(c: &mut Criterion) {
    let pkt = rtcp_compound();
    let bytes = Bytes::from(pkt.clone());
    let mut g = c.benchmark_group("rtcp SR+SDES+NACK+TWCC");
    g.throughput(Throughput::Elements(1));
    g.bench_function("rtcscope walk", |b| {
        b.iter(|| black_box(walk_compound(black_box(&pkt)).unwrap()))
    });
    g.bench_function("webrtc-rs unmarshal", |b| {
        b.iter(|| {
            let mut buf = black_box(&bytes).clone();
            black_box(rtcp::packet::unmarshal(&mut buf).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, rtp_bench, rtcp_bench);
criterion_main!(benches);
