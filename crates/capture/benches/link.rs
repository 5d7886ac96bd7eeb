//! The hand-written link/IP/transport decoder (`rtcscope_capture::link::decode_hand_written`)
//! against etherparse 0.21 (`SlicedPacket::from_ethernet`) on the same frames, and
//! `rtcscope_capture::decode` as it now is (etherparse for the common case, the hand-written
//! path for the rest), doing equal work: each validates
//! the headers down to UDP or TCP and yield the addresses, the ports and the payload, which
//! the benchmark reads (a sum over them, so neither side's work can be optimised away). The
//! benchmark checks first that both give the same sum.
//!
//! Inputs: every IPv4 frame of the real Chromium call `fixtures/webrtc/direct` (Ethernet,
//! IPv4, UDP: STUN, DTLS, SRTP, SRTCP; 1,778 frames), and frames built with etherparse's
//! `PacketBuilder`: Ethernet/VLAN/IPv4/UDP, Ethernet/IPv6/UDP, Ethernet/IPv6 with a hop-by-hop
//! and a destination options header/UDP, and Ethernet/IPv4/TCP, each with a 160-byte payload.
//!
//! `cargo bench -p rtcscope-capture --bench link`; the figures are in docs/benchmarks.md.

use criterion::{criterion_group, Criterion, Throughput};
use etherparse::{NetSlice, PacketBuilder, SlicedPacket, TransportSlice};
use rtcscope_capture::link::decode_hand_written;
use rtcscope_capture::{decode, CaptureReader, LinkType};
use std::hint::black_box;
use std::net::{IpAddr, SocketAddr};

const PAYLOAD: [u8; 160] = [0x80; 160];
const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 2];
const V6_A: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V6_B: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

fn build(b: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = Vec::new();
    b(&mut v);
    v
}

/// An IPv6/UDP Ethernet frame with a hop-by-hop and a destination options header (8 bytes
/// each, PadN) spliced in before the UDP header.
fn ipv6_with_extensions() -> Vec<u8> {
    let plain = build(|v| {
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv6(V6_A, V6_B, 64)
            .udp(50000, 3478)
            .write(v, &PAYLOAD)
            .unwrap()
    });
    let (eth_ip, udp) = plain.split_at(14 + 40);
    let mut f = eth_ip.to_vec();
    f[14 + 6] = 0; // next header: hop-by-hop
    let len = u16::from_be_bytes([f[14 + 4], f[14 + 5]]) + 16;
    f[14 + 4..14 + 6].copy_from_slice(&len.to_be_bytes());
    f.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]); // hop-by-hop -> destination options
    f.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]); // destination options -> UDP
    f.extend_from_slice(udp);
    f
}

fn built_frames() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "vlan-ipv4-udp",
            build(|v| {
                PacketBuilder::ethernet2(MAC_A, MAC_B)
                    .single_vlan(100.try_into().unwrap())
                    .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                    .udp(50000, 3478)
                    .write(v, &PAYLOAD)
                    .unwrap()
            }),
        ),
        (
            "ipv6-udp",
            build(|v| {
                PacketBuilder::ethernet2(MAC_A, MAC_B)
                    .ipv6(V6_A, V6_B, 64)
                    .udp(50000, 3478)
                    .write(v, &PAYLOAD)
                    .unwrap()
            }),
        ),
        ("ipv6-ext-udp", ipv6_with_extensions()),
        (
            "ipv4-tcp",
            build(|v| {
                PacketBuilder::ethernet2(MAC_A, MAC_B)
                    .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                    .tcp(50000, 443, 1_000_000, 65535)
                    .ack(7)
                    .write(v, &PAYLOAD)
                    .unwrap()
            }),
        ),
    ]
}

/// The IPv4 frames of the direct call.
fn real_frames() -> Vec<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/webrtc/direct/capture.pcapng"
    );
    let bytes = std::fs::read(path).expect("fixture");
    let mut r = CaptureReader::new(&bytes[..]).expect("pcapng");
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().expect("record") {
        // The frames both decoders take to a UDP or TCP payload (not ARP, not ICMP).
        if matches!(decode(LinkType::ETHERNET, p.data), Ok(Ok(_))) {
            out.push(p.data.to_vec());
        }
    }
    out
}

fn fold(acc: u64, src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> u64 {
    let ip = |a: IpAddr| match a {
        IpAddr::V4(v) => u64::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v) as u64,
    };
    acc.wrapping_add(ip(src.ip()) ^ ip(dst.ip()))
        .wrapping_add(u64::from(src.port()) << 16 | u64::from(dst.port()))
        .wrapping_add(payload.len() as u64)
        .wrapping_add(u64::from(payload.first().copied().unwrap_or(0)))
}

#[inline(never)]
fn hand_written(frames: &[Vec<u8>]) -> u64 {
    let mut acc = 0;
    for f in frames {
        if let Ok(Ok(d)) = decode_hand_written(LinkType::ETHERNET, black_box(f)) {
            acc = fold(acc, d.src, d.dst, d.payload);
        }
    }
    acc
}

#[inline(never)]
fn ours(frames: &[Vec<u8>]) -> u64 {
    let mut acc = 0;
    for f in frames {
        if let Ok(Ok(d)) = decode(LinkType::ETHERNET, black_box(f)) {
            acc = fold(acc, d.src, d.dst, d.payload);
        }
    }
    acc
}

#[inline(never)]
fn etherparse(frames: &[Vec<u8>]) -> u64 {
    let mut acc = 0;
    for f in frames {
        let Ok(p) = SlicedPacket::from_ethernet(black_box(f)) else {
            continue;
        };
        let (src, dst): (IpAddr, IpAddr) = match &p.net {
            Some(NetSlice::Ipv4(v4)) => (
                v4.header().source_addr().into(),
                v4.header().destination_addr().into(),
            ),
            Some(NetSlice::Ipv6(v6)) => (
                v6.header().source_addr().into(),
                v6.header().destination_addr().into(),
            ),
            _ => continue,
        };
        let (sp, dp, payload) = match &p.transport {
            Some(TransportSlice::Udp(u)) => (u.source_port(), u.destination_port(), u.payload()),
            Some(TransportSlice::Tcp(t)) => (t.source_port(), t.destination_port(), t.payload()),
            _ => continue,
        };
        acc = fold(
            acc,
            SocketAddr::new(src, sp),
            SocketAddr::new(dst, dp),
            payload,
        );
    }
    acc
}

fn bench(c: &mut Criterion) {
    let mut sets: Vec<(&str, Vec<Vec<u8>>)> = vec![("chromium-call", real_frames())];
    for (name, frame) in built_frames() {
        sets.push((name, vec![frame]));
    }
    for (name, frames) in &sets {
        let (a, b) = (hand_written(frames), etherparse(frames));
        assert_eq!(a, b, "{name}: the decoders disagree");
        assert_eq!(a, ours(frames), "{name}: decode disagrees");
        assert_ne!(a, 0, "{name}: nothing decoded");
        let mut g = c.benchmark_group(format!("link/{name}"));
        g.throughput(Throughput::Elements(frames.len() as u64));
        g.bench_function("hand-written", |b| {
            b.iter(|| hand_written(black_box(frames)))
        });
        g.bench_function("decode", |b| b.iter(|| ours(black_box(frames))));
        g.bench_function("etherparse", |b| b.iter(|| etherparse(black_box(frames))));
        g.finish();
    }
}

criterion_group!(benches, bench);

/// `--instructions`: each decoder over the real call's frames 100 times, nothing else, for
/// `valgrind --tool=callgrind` (instructions per frame, free of the timing noise of a shared
/// machine): `callgrind_annotate --inclusive=yes` then gives each function's total.
fn main() {
    if std::env::args().any(|a| a == "--instructions") {
        let frames = real_frames();
        let mut sum = 0u64;
        for _ in 0..100 {
            sum = sum
                .wrapping_add(hand_written(&frames))
                .wrapping_add(ours(&frames))
                .wrapping_add(etherparse(&frames));
        }
        println!("{} frames, 100 times each (sum {sum})", frames.len());
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
