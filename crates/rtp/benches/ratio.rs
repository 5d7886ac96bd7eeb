//! The RTP speed goal measured side by side: `cargo bench -p rtcscope-rtp --bench ratio`.
//!
//! Criterion (`--bench parse`) times rtcscope's view and webrtc-rs's unmarshal one after the
//! other, so the machine's drift between the two measurements (±10 % on this virtual machine)
//! lands on the ratio. Here each round times both on the same packet back to back, the same
//! work as in `parse` (the view checks the packet and reads every field webrtc-rs produces),
//! and the ratio is taken per round: drift falls on both sides of it alike. Prints, per
//! packet, the median ratio over the rounds, its range and the median times.
//!
//! Without `--bench` (as `cargo test --benches` runs it) it does one short round, as a smoke
//! test.

mod common;

use bytes::Bytes;
use common::{audio_packet, video_packet};
use rtcscope_rtp::fuzzing::walk_rtp_fields;
use rtcscope_rtp::rtp::RtpPacket;
use std::hint::black_box;
use std::time::Instant;
use webrtc_util::marshal::Unmarshal;

/// Nanoseconds per call of `f` over `iters` calls.
fn per_call(iters: u32, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_nanos() as f64 / f64::from(iters)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (rounds, view_iters, webrtc_iters) = if full {
        (41, 2_000_000, 200_000)
    } else {
        (1, 1_000, 100)
    };
    println!("RTP, rtcscope view vs webrtc-rs unmarshal, {rounds} interleaved rounds");
    for (name, pkt) in [("video", video_packet()), ("audio", audio_packet())] {
        let bytes = Bytes::from(pkt.clone());
        let view = || {
            let p = RtpPacket::new_checked(black_box(&pkt)).unwrap();
            black_box(walk_rtp_fields(&p).unwrap());
        };
        let webrtc = || {
            let mut buf = black_box(&bytes).clone();
            black_box(rtp::packet::Packet::unmarshal(&mut buf).unwrap());
        };
        // Warm up both (caches, branch predictors, the allocator).
        per_call(view_iters, view);
        per_call(webrtc_iters, webrtc);
        let (mut ratios, mut views, mut webrtcs) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let v = per_call(view_iters, view);
            let w = per_call(webrtc_iters, webrtc);
            ratios.push(w / v);
            views.push(v);
            webrtcs.push(w);
        }
        let (v, w) = (median(&mut views), median(&mut webrtcs));
        let r = median(&mut ratios);
        println!(
            "{name:6} view {v:6.2} ns  webrtc-rs {w:7.2} ns  ratio median {r:5.1}x  (rounds {:.1}x to {:.1}x)",
            ratios[0],
            ratios[ratios.len() - 1],
        );
    }
}
