//! Writes a large benchmark capture from the real recordings in `fixtures/webrtc/`
//! (`rtcscope_testkit::gencap` says what is rewritten).
//!
//! ```text
//! gen-capture [--variant mixed|direct|relay|audio] (--packets N | --sessions K)
//!             [--concurrency C] [--seed S] -o OUT.pcapng
//! ```
//! * `mixed` (default): the Chromium direct and relayed calls, alternately;
//! * `direct`, `relay`: one of them;
//! * `audio`: both, audio only (Opus RTP, its RTCP, ICE, DTLS, TURN).
//!
//! `--packets N` takes the fewest whole sessions holding at least N packets.
//!
//! `cargo run --release -p rtcscope-testkit --features capture --bin gen-capture -- …`

use rtcscope_testkit::gencap::{self, Options, Tables};
use std::io::BufWriter;

fn main() {
    if let Err(e) = run() {
        eprintln!("gen-capture: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut variant = "mixed".to_string();
    let mut packets = None;
    let mut sessions = None;
    let mut concurrency = gencap::DEFAULT_CONCURRENCY;
    let mut seed = gencap::DEFAULT_SEED;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--variant" => variant = value()?,
            "--packets" => packets = Some(value()?.parse::<u64>()?),
            "--sessions" => sessions = Some(value()?.parse::<u32>()?),
            "--concurrency" => concurrency = value()?.parse()?,
            "--seed" => seed = value()?.parse()?,
            "-o" | "--output" => out = Some(value()?),
            "-h" | "--help" => {
                println!(
                    "usage: gen-capture [--variant mixed|direct|relay|audio] \
                     (--packets N | --sessions K) [--concurrency C] [--seed S] -o OUT.pcapng"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    let out = out.ok_or("-o OUT.pcapng is required")?;
    let (dirs, audio_only): (&[&str], bool) = match variant.as_str() {
        "mixed" => (&["direct", "relay"], false),
        "direct" => (&["direct"], false),
        "relay" => (&["relay"], false),
        "audio" => (&["direct", "relay"], true),
        other => return Err(format!("unknown variant {other:?}").into()),
    };
    let mut tables = Tables::default();
    let sources = dirs
        .iter()
        .map(|d| {
            let dir = rtcscope_testkit::fixtures().join("webrtc").join(d);
            gencap::load_source(&dir, audio_only, &mut tables)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sessions = match (sessions, packets) {
        (Some(k), None) => k,
        (None, Some(n)) => gencap::sessions_for(&sources, n),
        _ => return Err("give one of --packets N and --sessions K".into()),
    };
    let file = std::fs::File::create(&out)?;
    let opts = Options {
        sessions,
        concurrency,
        seed,
    };
    let started = std::time::Instant::now();
    let w = gencap::generate(
        &sources,
        &tables,
        opts,
        BufWriter::with_capacity(1 << 20, file),
    )?;
    eprintln!(
        "gen-capture: {out}: {} sessions ({variant}), {} packets, {} bytes of packet data, {:.1} s",
        sessions,
        w.packets,
        w.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
