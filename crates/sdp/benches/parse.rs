//! Parse (+ lint) a Chrome-style offer with rtcscope-sdp, Mozilla's webrtc-sdp and webrtc-rs's
//! sdp crate.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const OFFER: &str = include_str!("../tests/data/chrome-offer.sdp");

fn bench(c: &mut Criterion) {
    let offer = OFFER.replace('\n', "\r\n");
    let mut g = c.benchmark_group("chrome-offer");
    g.bench_function("rtcscope-sdp parse", |b| {
        b.iter(|| {
            black_box(rtcscope_sdp::Sdp::parse(black_box(&offer)))
                .media
                .len()
        })
    });
    g.bench_function("rtcscope-sdp parse+lint", |b| {
        b.iter(|| {
            let sdp = rtcscope_sdp::Sdp::parse(black_box(&offer));
            black_box(rtcscope_sdp::lint(
                &sdp,
                &rtcscope_sdp::LintOptions::default(),
            ))
            .len()
        })
    });
    g.bench_function("webrtc-sdp parse", |b| {
        b.iter(|| black_box(webrtc_sdp::parse_sdp(black_box(&offer), false).map(|s| s.media.len())))
    });
    g.bench_function("sdp crate unmarshal", |b| {
        b.iter(|| {
            let mut cur = std::io::Cursor::new(black_box(offer.as_bytes()));
            black_box(
                sdp::SessionDescription::unmarshal(&mut cur).map(|s| s.media_descriptions.len()),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
