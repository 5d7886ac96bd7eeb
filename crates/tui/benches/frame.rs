//! Snapshot + sort + render of one frame with 10,000 flows and 1,000 RTP streams, on a
//! 200×60 TestBackend. The target is 10 ms for the whole tick.

use criterion::{criterion_group, criterion_main, Criterion};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rtcscope_analysis::Config;
use rtcscope_capture::LinkType;
use rtcscope_tui::ring::PacketRing;
use rtcscope_tui::{ui, App, CaptureState, Mode, Progress};
use std::hint::black_box;

const FLOWS: u32 = 10_000;
const STREAM_FLOWS: u32 = 1_000;

/// Ethernet + IPv4 + UDP around `payload`.
fn frame(src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(42 + payload.len());
    f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
    let total = (20 + 8 + payload.len()) as u16;
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src.0);
    ip[16..20].copy_from_slice(&dst.0);
    let mut sum: u32 = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&src.1.to_be_bytes());
    f.extend_from_slice(&dst.1.to_be_bytes());
    f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

fn rtp(seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 111];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0x42; 100]);
    p
}

/// 10,000 flows over a minute: 1,000 carry an RTP stream (60 packets each), the others a few
/// datagrams of something else.
fn state() -> CaptureState {
    let mut s = CaptureState::new(Config::default(), PacketRing::default(), Progress::Loaded);
    let t0: i128 = 1_700_000_000_000_000_000;
    let mut n = 0u64;
    let host = |i: u32| [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
    for round in 0..60u32 {
        for i in 0..FLOWS {
            let ts = t0 + i128::from(round) * 1_000_000_000 + i128::from(i) * 50_000;
            let (src, dst) = (
                (host(i), 40_000 + (i % 20_000) as u16),
                ([192, 0, 2, 1], 3478),
            );
            let payload = if i < STREAM_FLOWS {
                rtp(round as u16, round * 960, 0x1000_0000 + i)
            } else if round % 20 == 0 {
                vec![0x55; 64]
            } else {
                continue;
            };
            n += 1;
            let f = frame(src, dst, &payload);
            s.feed(n, ts, LinkType::ETHERNET, &f, f.len() as u32, None);
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let mut st = state();
    {
        let mut app = App::new(
            Mode::File {
                path: "bench".into(),
            },
            200,
            60,
        );
        app.refresh(&mut st);
        assert_eq!(app.snap.flows.len(), FLOWS as usize);
        assert_eq!(app.snap.streams.len(), STREAM_FLOWS as usize);
    }
    let mut group = c.benchmark_group("tick_10k_flows_1k_streams");
    for (name, key) in [("sessions", '1'), ("streams", '4'), ("packets", '5')] {
        let mut app = App::new(
            Mode::File {
                path: "bench".into(),
            },
            200,
            60,
        );
        app.handle(&Event::Key(KeyEvent::new(
            KeyCode::Char(key),
            KeyModifiers::NONE,
        )));
        let mut term = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
        group.bench_function(name, |b| {
            b.iter(|| {
                app.refresh(&mut st);
                term.draw(|f| ui::render(f, &app)).expect("draw");
                black_box(term.backend().buffer().area);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
