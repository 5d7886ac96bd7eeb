//! Unprotect throughput per profile: a 1200-byte SRTP video packet (12-byte header, 8-byte
//! one-byte-form header extension, 1180 bytes of payload), authenticated and decrypted into a
//! reused buffer. Throughput counts the SRTP bytes in, so it compares with
//! `openssl speed -evp aes-128-gcm` at a 1024- or 8192-byte block size.
//!
//! The same packets are fed again and again: after the first round each is a replay, which the
//! context still authenticates and decrypts in full (replays are reported, not dropped), so
//! the work per packet is that of a fresh one.
//!
//! `cargo bench -p rtcscope-srtp --bench unprotect`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rtcscope_srtp::{ContextConfig, MasterKey, ProfileKeyLengths, SrtpContext, SrtpProfile};
use std::hint::black_box;

const PACKET_LEN: usize = 1200;

fn rtp_packet(seq: u16, plain_len: usize) -> Vec<u8> {
    let mut p = vec![0x90, 96, 0, 0, 0, 1, 0x5f, 0x90, 0x12, 0x34, 0x56, 0x78];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0]);
    let mut x = 0x9e37_79b9u32;
    while p.len() < plain_len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p.push(x as u8);
    }
    p
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("unprotect_rtp_1200");
    g.throughput(Throughput::Bytes(PACKET_LEN as u64));
    for profile in SrtpProfile::ALL {
        let n = profile.master_key_len() + profile.master_salt_len();
        let bytes: Vec<u8> = (0..n as u8).collect();
        let key = MasterKey::from_key_salt(profile, &bytes).unwrap();
        let mut ctx = SrtpContext::new(&key, ContextConfig::default());
        let plain_len = PACKET_LEN - profile.srtp_tag_len();
        let packets: Vec<Vec<u8>> = (0..64u16)
            .map(|seq| {
                let mut out = vec![0u8; PACKET_LEN];
                let len = ctx
                    .protect_rtp(&rtp_packet(seq, plain_len), 0, &mut out)
                    .unwrap();
                assert_eq!(len, PACKET_LEN);
                out
            })
            .collect();
        let mut out = vec![0u8; PACKET_LEN];
        let mut i = 0;
        g.bench_function(BenchmarkId::from_parameter(profile.sdes_name()), |b| {
            b.iter(|| {
                i = (i + 1) % packets.len();
                let r = ctx.unprotect_rtp(black_box(&packets[i]), &mut out).unwrap();
                black_box(r.len)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
