//! Sends RTP over UDP at a fixed packet rate, for measuring live capture (`scripts/bench-live.sh`).
//!
//! ```text
//! rtp-flood --dst IP:PORT --rate PPS --duration SECONDS
//!           [--payload BYTES] [--ssrcs N] [--batch N] [--src IP:PORT]
//!           [--first-stream K] [--raw IFACE --dst-mac MAC]
//! ```
//! Each datagram is a 12-byte RTP header (version 2, payload type 111, marker clear) and
//! `--payload` bytes (default 160); the packets go round-robin over `--ssrcs` streams (default
//! 4), each with its own sequence number (+1) and timestamp (+960, 20 ms of Opus at 48 kHz).
//! Streams are numbered from `--first-stream` (default 0), so generators run side by side (one
//! per core) send distinct SSRCs when each starts where the one before ends.
//! Packets leave in `sendmmsg(2)` batches of `--batch` (default 32), each batch sent when the
//! clock reaches its due time (`start + index / rate`): the rate is exact on average and bursty
//! within a batch. When the sender falls behind it sends at once, without sleeping.
//!
//! With `--raw IFACE` (Linux, root) the datagrams are written as whole Ethernet/IPv4/UDP frames
//! to an `AF_PACKET` socket bound to `IFACE`, with `PACKET_QDISC_BYPASS`: the sender's kernel
//! then runs no UDP, IP, routing, neighbour or queueing code per packet, only the driver's
//! transmit (for a veth, the hand-over to its peer), which is what lets one core of a small VM
//! offer several times the rate of the UDP socket path. `--src` (an IPv4 address and port) and
//! `--dst-mac` (the receiving interface's MAC address) are then required; the IPv4 header's
//! checksum is computed once (every frame's header is the same), the UDP checksum is 0 (none,
//! as IPv4 allows).
//!
//! At the end it prints one line (to standard output)
//! `sent=N elapsed=S rate=PPS target=PPS send_errors=E reached=yes|no`; `reached=no` (and a
//! warning on standard error) when the achieved rate is below 99 % of the target, so a sender
//! that cannot keep up says so. Exit status 0 unless the socket cannot be opened or
//! `--strict` is given and the rate was not reached (status 3).
//!
//! `cargo build --release -p rtcscope-testkit --bin rtp-flood`

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::OwnedFd;
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
    first_stream: u32,
    batch: usize,
    strict: bool,
    /// `--raw IFACE` and `--dst-mac`: whole frames on a packet socket.
    raw: Option<(String, [u8; 6])>,
}

fn main() {
    let opts = match parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("rtp-flood: {e}");
            eprintln!(
                "usage: rtp-flood --dst IP:PORT --rate PPS --duration SECONDS \
                 [--payload BYTES] [--ssrcs N] [--batch N] [--src IP:PORT] [--strict] \
                 [--first-stream K] [--raw IFACE --dst-mac MAC]"
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
    let mut first_stream = 0u32;
    let mut batch = 32usize;
    let mut strict = false;
    let mut raw_iface = None;
    let mut dst_mac = None;
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--dst" => dst = Some(value("--dst")?),
            "--src" => src = Some(value("--src")?),
            "--rate" => rate = Some(value("--rate")?),
            "--duration" => duration = Some(value("--duration")?),
            "--payload" => payload = number(&value("--payload")?, "--payload")?,
            "--ssrcs" => ssrcs = number(&value("--ssrcs")?, "--ssrcs")?,
            "--first-stream" => first_stream = number(&value("--first-stream")?, "--first-stream")?,
            "--batch" => batch = number(&value("--batch")?, "--batch")?,
            "--strict" => strict = true,
            "--raw" => raw_iface = Some(value("--raw")?),
            "--dst-mac" => dst_mac = Some(mac(&value("--dst-mac")?)?),
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
    let raw = match (raw_iface, dst_mac) {
        (None, None) => None,
        (Some(iface), Some(mac)) => {
            if !(src.is_ipv4() && dst.is_ipv4()) || src.ip().is_unspecified() || src.port() == 0 {
                return Err("--raw needs IPv4 --dst and --src with an address and a port".into());
            }
            if payload > 1500 - 28 - HEADER {
                return Err(format!(
                    "--raw: --payload must be at most {}",
                    1500 - 28 - HEADER
                ));
            }
            Some((iface, mac))
        }
        (Some(_), None) => return Err("--raw needs --dst-mac".into()),
        (None, Some(_)) => return Err("--dst-mac is only for --raw".into()),
    };
    Ok(Options {
        raw,
        dst,
        src,
        rate,
        duration,
        payload,
        ssrcs,
        first_stream,
        batch,
        strict,
    })
}

/// `aa:bb:cc:dd:ee:ff`.
fn mac(s: &str) -> Result<[u8; 6], String> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut out {
        let p = parts
            .next()
            .ok_or(format!("--dst-mac: not a MAC address: {s:?}"))?;
        *b = u8::from_str_radix(p, 16)
            .map_err(|_| format!("--dst-mac: not a MAC address: {s:?}"))?;
    }
    if parts.next().is_some() {
        return Err(format!("--dst-mac: not a MAC address: {s:?}"));
    }
    Ok(out)
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

    let (sock, prefix): (OwnedFd, Vec<u8>) = match &o.raw {
        Some((iface, dst_mac)) => (packet::open(iface)?, frame_prefix(o, iface, dst_mac)?),
        None => {
            let sock = UdpSocket::bind(o.src)?;
            // Connected, which spares a route lookup per datagram. An ICMP port unreachable
            // from a receiver with no listener makes a later send fail with ECONNREFUSED:
            // counted below as a send error (scripts/bench-live.sh drops the packets at the
            // receiver's ingress, after the capture taps, so no ICMP comes back).
            sock.connect(o.dst)?;
            (sock.into(), Vec::new())
        }
    };
    let off = prefix.len();

    let mut streams: Vec<Stream> = (o.first_stream..o.first_stream.saturating_add(o.ssrcs))
        .map(|i| Stream {
            ssrc: 0x5254_5000 ^ i.wrapping_mul(0x9E37_79B9),
            seq: (i as u16).wrapping_mul(7919),
            ts: i.wrapping_mul(104_729),
        })
        .collect();
    let size = off + HEADER + o.payload;
    let mut bufs: Vec<Vec<u8>> = (0..o.batch)
        .map(|i| {
            let mut b = vec![0u8; size];
            b[..off].copy_from_slice(&prefix);
            // A payload that is not all zeros (some analyzers treat zeros as padding).
            for (j, x) in b[off + HEADER..].iter_mut().enumerate() {
                *x = (i + j) as u8 | 1;
            }
            b[off] = 0x80;
            b[off + 1] = 111;
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
            let rtp = &mut b[off..];
            rtp[2..4].copy_from_slice(&s.seq.to_be_bytes());
            rtp[4..8].copy_from_slice(&s.ts.to_be_bytes());
            rtp[8..12].copy_from_slice(&s.ssrc.to_be_bytes());
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

/// The Ethernet, IPv4 and UDP headers every `--raw` frame starts with (42 bytes).
fn frame_prefix(o: &Options, iface: &str, dst_mac: &[u8; 6]) -> std::io::Result<Vec<u8>> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    let path = format!("/sys/class/net/{iface}/address");
    let text = std::fs::read_to_string(&path).map_err(|e| invalid(format!("{path}: {e}")))?;
    let src_mac = mac(text.trim()).map_err(|e| invalid(format!("{path}: {e}")))?;
    let (IpAddr::V4(src), IpAddr::V4(dst)) = (o.src.ip(), o.dst.ip()) else {
        return Err(invalid("--raw sends IPv4 only".into()));
    };
    let udp_len = 8 + HEADER + o.payload;
    let ip_len = 20 + udp_len;
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&0x0800u16.to_be_bytes());
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
    ip[6] = 0x40; // don't fragment
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    ip[12..16].copy_from_slice(&src.octets());
    ip[16..20].copy_from_slice(&dst.octets());
    let sum: u32 = ip
        .chunks_exact(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    let folded = (sum & 0xffff) + (sum >> 16);
    let checksum = !((folded & 0xffff) + (folded >> 16)) as u16;
    ip[10..12].copy_from_slice(&checksum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&o.src.port().to_be_bytes());
    f.extend_from_slice(&o.dst.port().to_be_bytes());
    f.extend_from_slice(&(udp_len as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    Ok(f)
}

/// The `AF_PACKET` socket of `--raw`: the only code here that calls the C library directly,
/// as rustix has no link-layer socket address.
#[allow(unsafe_code)]
mod packet {
    use std::io::{Error, Result};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    /// A raw packet socket bound to `iface` for sending only (protocol 0: it receives
    /// nothing), with `PACKET_QDISC_BYPASS` set.
    pub fn open(iface: &str) -> Result<OwnedFd> {
        let name = std::ffi::CString::new(iface).map_err(|_| {
            Error::new(
                std::io::ErrorKind::InvalidInput,
                "--raw: bad interface name",
            )
        })?;
        // SAFETY: `name` is a NUL-terminated string that outlives the call.
        let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if index == 0 {
            let e = Error::last_os_error();
            return Err(Error::new(e.kind(), format!("--raw {iface}: {e}")));
        }
        // SAFETY: plain system call; the result is checked before use.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            let e = Error::last_os_error();
            return Err(Error::new(
                e.kind(),
                format!("--raw: packet socket (root needed): {e}"),
            ));
        }
        // SAFETY: `fd` was just returned by socket(2) and is owned by nothing else.
        let sock = unsafe { OwnedFd::from_raw_fd(fd) };
        let one: libc::c_int = 1;
        // SAFETY: the option value points to a c_int that outlives the call, its size given.
        let r = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_QDISC_BYPASS,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(Error::last_os_error());
        }
        // SAFETY: sockaddr_ll is plain old data, for which all zeros is a valid value.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_ifindex = index as libc::c_int;
        // SAFETY: `sll` is a sockaddr_ll that outlives the call, its size given.
        let r = unsafe {
            libc::bind(
                sock.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if r != 0 {
            let e = Error::last_os_error();
            return Err(Error::new(e.kind(), format!("--raw {iface}: bind: {e}")));
        }
        Ok(sock)
    }
}
