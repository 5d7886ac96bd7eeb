//! Sends RTP over UDP at a fixed packet rate, for measuring live capture (`scripts/bench-live.sh`).
//!
//! ```text
//! rtp-flood --dst IP:PORT --rate PPS --duration SECONDS
//!           [--payload BYTES] [--ssrcs N] [--batch N] [--src IP:PORT]
//! ```
//! Each datagram is a 12-byte RTP header (version 2, payload type 111, marker clear) and
//! `--payload` bytes (default 160); the packets go round-robin over `--ssrcs` streams (default
//! 4), each with its own sequence number (+1) and timestamp (+960, 20 ms of Opus at 48 kHz).
//! Packets leave in `sendmmsg(2)` batches of `--batch` (default 32), each batch sent when the
//! clock reaches its due time (`start + index / rate`): the rate is exact on average and bursty
//! within a batch. When the sender falls behind it sends at once, without sleeping.
//!
//! At the end it prints one line (to standard output)
//! `sent=N elapsed=S rate=PPS target=PPS send_errors=E reached=yes|no`; `reached=no` (and a
//! warning on standard error) when the achieved rate is below 99 % of the target, so a sender
//! that cannot keep up says so. Exit status 0 unless the socket cannot be opened or
//! `--strict` is given and the rate was not reached (status 3).
//!
//! `cargo build --release -p rtcscope-testkit --bin rtp-flood`

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// RTP header length.
const HEADER: usize = 12;

struct Options {
    dst: SocketAddr,
    src: SocketAddr,
    rate: f64,
    duration: f64,
    payload: usize,
    ssrcs: u32,
    batch: usize,
    strict: bool,
}

fn main() {
    let opts = match parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("rtp-flood: {e}");
            eprintln!(
                "usage: rtp-flood --dst IP:PORT --rate PPS --duration SECONDS \
                 [--payload BYTES] [--ssrcs N] [--batch N] [--src IP:PORT] [--strict]"
            );
            std::process::exit(2);
        }
    };
    match run(&opts) {
        Ok(reached) => {
            if opts.strict && !reached {
                std::process::exit(3);
            }
        }
        Err(e) => {
            eprintln!("rtp-flood: {e}");
            std::process::exit(1);
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut dst = None;
    let mut src = None;
    let mut rate = None;
    let mut duration = None;
    let mut payload = 160usize;
    let mut ssrcs = 4u32;
    let mut batch = 32usize;
    let mut strict = false;
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--dst" => dst = Some(value("--dst")?),
            "--src" => src = Some(value("--src")?),
            "--rate" => rate = Some(value("--rate")?),
            "--duration" => duration = Some(value("--duration")?),
            "--payload" => payload = number(&value("--payload")?, "--payload")?,
            "--ssrcs" => ssrcs = number(&value("--ssrcs")?, "--ssrcs")?,
            "--batch" => batch = number(&value("--batch")?, "--batch")?,
            "--strict" => strict = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let dst: SocketAddr = dst
        .ok_or("--dst is required")?
        .parse()
        .map_err(|e| format!("--dst: {e}"))?;
    let src: SocketAddr = match src {
        Some(s) => s.parse().map_err(|e| format!("--src: {e}"))?,
        None if dst.is_ipv4() => "0.0.0.0:0".parse().map_err(|e| format!("{e}"))?,
        None => "[::]:0".parse().map_err(|e| format!("{e}"))?,
    };
    let rate: f64 = number(&rate.ok_or("--rate is required")?, "--rate")?;
    let duration: f64 = number(&duration.ok_or("--duration is required")?, "--duration")?;
    if !(rate.is_finite() && rate > 0.0 && rate <= 100e6) {
        return Err("--rate must be above 0 and at most 100000000".into());
    }
    if !(duration.is_finite() && duration > 0.0 && duration <= 86_400.0) {
        return Err("--duration must be above 0 and at most 86400 seconds".into());
    }
    if payload > 65_507 - HEADER {
        return Err(format!("--payload must be at most {}", 65_507 - HEADER));
    }
    if ssrcs == 0 || ssrcs > 65_536 {
        return Err("--ssrcs must be 1 to 65536".into());
    }
    if batch == 0 || batch > 1024 {
        return Err("--batch must be 1 to 1024".into());
    }
    Ok(Options {
        dst,
        src,
        rate,
        duration,
        payload,
        ssrcs,
        batch,
        strict,
    })
}

fn number<T: std::str::FromStr>(s: &str, name: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{name}: not a number: {s:?}"))
}

/// One RTP stream's running state.
#[derive(Clone, Copy)]
struct Stream {
    ssrc: u32,
    seq: u16,
    ts: u32,
}

fn run(o: &Options) -> std::io::Result<bool> {
    use rustix::io::Errno;
    use rustix::net::{sendmmsg, MMsgHdr, SendAncillaryBuffer, SendFlags};
    use std::io::IoSlice;

    let sock = UdpSocket::bind(o.src)?;
    // Connected, which spares a route lookup per datagram. An ICMP port unreachable from a
    // receiver with no listener makes a later send fail with ECONNREFUSED: counted below as a
    // send error (scripts/bench-live.sh drops the packets at the receiver's ingress, after the
    // capture taps, so no ICMP comes back).
    sock.connect(o.dst)?;

    let mut streams: Vec<Stream> = (0..o.ssrcs)
        .map(|i| Stream {
            ssrc: 0x5254_5000 ^ i.wrapping_mul(0x9E37_79B9),
            seq: (i as u16).wrapping_mul(7919),
            ts: i.wrapping_mul(104_729),
        })
        .collect();
    let size = HEADER + o.payload;
    let mut bufs: Vec<Vec<u8>> = (0..o.batch)
        .map(|i| {
            let mut b = vec![0u8; size];
            // A payload that is not all zeros (some analyzers treat zeros as padding).
            for (j, x) in b[HEADER..].iter_mut().enumerate() {
                *x = (i + j) as u8 | 1;
            }
            b[0] = 0x80;
            b[1] = 111;
            b
        })
        .collect();

    let total = (o.rate * o.duration).round() as u64;
    let ns_per_packet = 1e9 / o.rate;
    let mut next_stream = 0usize;
    let mut sent: u64 = 0;
    let mut errors: u64 = 0;
    let start = Instant::now();
    // Stop at the deadline even when behind: the rate reported is then what was reached.
    let deadline = start + Duration::from_secs_f64(o.duration);
    while sent + errors < total {
        let due = start + Duration::from_nanos(((sent + errors) as f64 * ns_per_packet) as u64);
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if due > now {
            std::thread::sleep(due - now);
        }
        let n = (total - sent - errors).min(o.batch as u64) as usize;
        for b in bufs.iter_mut().take(n) {
            let s = &mut streams[next_stream];
            b[2..4].copy_from_slice(&s.seq.to_be_bytes());
            b[4..8].copy_from_slice(&s.ts.to_be_bytes());
            b[8..12].copy_from_slice(&s.ssrc.to_be_bytes());
            s.seq = s.seq.wrapping_add(1);
            s.ts = s.ts.wrapping_add(960);
            next_stream = (next_stream + 1) % streams.len();
        }
        let iovs: Vec<[IoSlice<'_>; 1]> = bufs[..n].iter().map(|b| [IoSlice::new(b)]).collect();
        let mut controls: Vec<SendAncillaryBuffer<'_, '_, '_>> =
            (0..n).map(|_| SendAncillaryBuffer::default()).collect();
        let mut msgs: Vec<MMsgHdr<'_>> = iovs
            .iter()
            .zip(controls.iter_mut())
            .map(|(iov, c)| MMsgHdr::new(iov, c))
            .collect();
        let mut done = 0usize;
        while done < n {
            match sendmmsg(&sock, &mut msgs[done..], SendFlags::empty()) {
                Ok(k) => {
                    done += k;
                    sent += k as u64;
                }
                Err(Errno::INTR) => {}
                // A full queue or a refused datagram: count the packet as not sent, go on.
                Err(Errno::NOBUFS | Errno::AGAIN | Errno::CONNREFUSED) => {
                    errors += 1;
                    done += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let achieved = sent as f64 / elapsed;
    let reached = sent >= total && achieved >= 0.99 * o.rate;
    println!(
        "sent={sent} elapsed={elapsed:.3} rate={achieved:.0} target={:.0} send_errors={errors} reached={}",
        o.rate,
        if reached { "yes" } else { "no" }
    );
    if !reached {
        eprintln!(
            "rtp-flood: target rate NOT reached: {achieved:.0} packets/s sent against {:.0} \
             ({sent} of {total} packets, {errors} send errors)",
            o.rate
        );
    }
    Ok(reached)
}
