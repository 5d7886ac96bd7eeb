//! Writes the adversarial captures of `scripts/bench-adversarial.sh`: inputs crafted to make a
//! capture analyser slow or large, each of about a million packets (or a gigabyte).
//!
//! `cargo run --release -p rtcscope-analysis --example adversarial -- KIND OUT [N]`
//!
//! | KIND | what |
//! |---|---|
//! | `flows` | N RTP packets, each on its own UDP flow |
//! | `ssrcs` | N SSRCs on one flow, two packets each |
//! | `ufrags` | N ICE Binding requests, each with its own ufrag pair, on one flow |
//! | `stun-flows` | N STUN Binding requests, each on its own flow (N pending transactions) |
//! | `channels` | N TURN ChannelBind request/success pairs over N/16 allocations |
//! | `stream-flows` | N/2 RTP streams of two packets, each on its own UDP flow |
//! | `ice-flows` | N ICE checks never answered, each on its own flow, over 10,000 ufrag pairs |
//! | `turn-users` | N/4 TURN allocations of one username, one after another, each granted and given a permission |
//! | `turn-held` | 10,000 TURN allocations of one username (the allocation cap), one after another, each granted and given a permission, then one RTP stream up to N packets: every allocation's flow is held |
//! | `sparse-flows` | N/2 flows of two STUN packets 51 s apart |
//! | `fragments` | N first fragments of datagrams that never complete |
//! | `tcp` | one TCP stream of N 1,400-byte segments of bytes with no framing (N = 750,000: 1 GB) |
//!
//! Frames are raw IPv4 (link type 228/RAW) in pcapng, written as they are made, so memory stays
//! flat whatever N is. Addresses are in 10.0.0.0/8 and 198.51.100.0/24; nothing is sent.

use rtcscope_capture::writer::PcapNgWriter;
use rtcscope_capture::LinkType;
use rtcscope_stun::{Attribute, MessageBuilder, Method, TransactionId};
use rtcscope_testkit::frames::{ipv4, udp};
use std::io::{BufWriter, Write};

type Out = PcapNgWriter<BufWriter<std::fs::File>>;

struct Gen {
    w: Out,
    iface: u32,
    t: i128,
    n: u64,
}

impl Gen {
    fn udp(&mut self, src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) {
        let frame = ipv4(src, dst, 17, self.n as u16, &udp(sport, dport, payload));
        self.frame(&frame);
    }

    /// An Allocate request from `client:port` to [`SERVER`]:3478 (with a USERNAME when given)
    /// and its success: relayed address 198.51.100.2 on a port chosen by `alloc`, lifetime
    /// 600 s. `i` and `salt` make the transaction ID.
    fn allocate(
        &mut self,
        client: [u8; 4],
        port: u16,
        alloc: u64,
        i: u64,
        salt: u8,
        username: Option<&str>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let mut req = MessageBuilder::request(Method::ALLOCATE, tid(i, salt));
        if let Some(u) = username {
            req.add(&Attribute::Username(u.into()));
        }
        self.udp(client, port, SERVER, 3478, &stun(req));
        let mut ok = MessageBuilder::success(Method::ALLOCATE, tid(i, salt));
        ok.add(&Attribute::XorRelayedAddress(
            format!("198.51.100.2:{}", 30_000 + (alloc % 30_000)).parse()?,
        ))
        .add(&Attribute::Lifetime(600));
        self.udp(SERVER, 3478, client, port, &stun(ok));
        Ok(())
    }

    /// Allocation `i` of username "shared", from 10.x.y.z:20000+ (four packets): the
    /// Allocate exchange, then a CreatePermission for 203.0.113.7 and its success.
    fn shared_allocation(&mut self, i: u64) -> Result<(), Box<dyn std::error::Error>> {
        let (client, port) = (ip(i), 20_000 + (i % 40_000) as u16);
        self.allocate(client, port, i, i, 8, Some("shared"))?;
        let mut perm = MessageBuilder::request(Method::CREATE_PERMISSION, tid(i, 9));
        perm.add(&Attribute::Username("shared".into()))
            .add(&Attribute::XorPeerAddress("203.0.113.7:9".parse()?));
        self.udp(client, port, SERVER, 3478, &stun(perm));
        let ok = MessageBuilder::success(Method::CREATE_PERMISSION, tid(i, 9));
        self.udp(SERVER, 3478, client, port, &stun(ok));
        Ok(())
    }

    fn frame(&mut self, frame: &[u8]) {
        self.w
            .write_packet(self.iface, self.t, frame, frame.len() as u32)
            .expect("write");
        self.n += 1;
        // 20 µs apart: a million packets span 20 s, like a busy link.
        self.t += 20_000;
    }
}

/// The server every crafted capture talks to.
const SERVER: [u8; 4] = [198, 51, 100, 1];

fn ip(i: u64) -> [u8; 4] {
    [10, (i >> 16) as u8, (i >> 8) as u8, i as u8]
}

fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 111, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0x5a; 80]);
    p
}

fn tid(i: u64, salt: u8) -> TransactionId {
    let mut t = [salt; 12];
    t[..8].copy_from_slice(&i.to_be_bytes());
    TransactionId::Rfc5389(t)
}

fn stun(b: MessageBuilder) -> Vec<u8> {
    b.finish().expect("small message")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (kind, out, n) = match args.as_slice() {
        [_, k, o] => (k.as_str(), o.as_str(), 1_000_000u64),
        [_, k, o, n] => (k.as_str(), o.as_str(), n.parse()?),
        _ => return Err("usage: adversarial KIND OUT [N]".into()),
    };
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    let mut w = PcapNgWriter::new(file)?;
    let iface = w.add_interface(LinkType::RAW, 65_535, kind)?;
    let mut g = Gen {
        w,
        iface,
        t: 1_700_000_000_000_000_000,
        n: 0,
    };
    let server = SERVER;
    match kind {
        "flows" => {
            for i in 0..n {
                g.udp(
                    ip(i),
                    10_000 + (i % 50_000) as u16,
                    server,
                    40_000,
                    &rtp(1, 7),
                );
            }
        }
        "ssrcs" => {
            for i in 0..n {
                for seq in 0..2 {
                    g.udp(ip(1), 5000, server, 6000, &rtp(seq, i as u32));
                }
            }
        }
        "ufrags" => {
            for i in 0..n {
                let mut b = MessageBuilder::request(Method::BINDING, tid(i, 1));
                b.add(&Attribute::Username(format!("r{i:x}:l{i:x}").into()))
                    .add(&Attribute::Priority(1_853_817_087))
                    .add(&Attribute::IceControlling(i));
                g.udp(ip(1), 5000, server, 6000, &stun(b));
            }
        }
        "stream-flows" => {
            // Every stream is confirmed (two packets in sequence) and every flow carries RTP:
            // what the report's per-flow and per-stream findings look at.
            for i in 0..n / 2 {
                for seq in 0..2 {
                    g.udp(
                        ip(i),
                        10_000 + (i % 50_000) as u16,
                        server,
                        40_000,
                        &rtp(seq, i as u32),
                    );
                }
            }
        }
        "ice-flows" => {
            // Sessions without a single success: each of their pairs is a flow of its own.
            for i in 0..n {
                let pair = i % 10_000;
                let mut b = MessageBuilder::request(Method::BINDING, tid(i, 7));
                b.add(&Attribute::Username(format!("r{pair:x}:l{pair:x}").into()))
                    .add(&Attribute::Priority(1_853_817_087))
                    .add(&Attribute::IceControlling(pair));
                g.udp(ip(i), 10_000 + (i % 50_000) as u16, server, 6000, &stun(b));
            }
        }
        "turn-users" => {
            // One username for every client (static TURN credentials shared by an app's
            // users): each allocation is a candidate predecessor of the next ones.
            for i in 0..n / 4 {
                g.shared_allocation(i)?;
            }
        }
        "turn-held" => {
            // turn-users above the flow cap keeps few allocations' flows, and the findings
            // compare only allocations whose flow they see: here the 10,000 allocations come
            // first, each one's traffic over before the next begins, then one RTP stream.
            let allocations = 10_000u64.min(n / 4);
            for i in 0..allocations {
                g.shared_allocation(i)?;
            }
            for seq in 0..n.saturating_sub(allocations * 4) {
                g.udp(ip(1), 5000, server, 6000, &rtp(seq as u16, 7));
            }
        }
        "stun-flows" => {
            for i in 0..n {
                let b = MessageBuilder::request(Method::BINDING, tid(i, 2));
                g.udp(ip(i), 10_000 + (i % 50_000) as u16, server, 3478, &stun(b));
            }
        }
        "channels" => {
            // Allocations of 16 channels each: Allocate success, then ChannelBind exchanges.
            for i in 0..n {
                let alloc = i / 16;
                let client = ip(alloc);
                let port = 20_000 + (alloc % 40_000) as u16;
                if i % 16 == 0 {
                    g.allocate(client, port, alloc, i, 3, None)?;
                }
                let peer = format!("203.0.113.{}:{}", i % 250 + 1, 1000 + i % 60_000).parse()?;
                let mut req = MessageBuilder::request(Method::CHANNEL_BIND, tid(i, 4));
                req.add(&Attribute::ChannelNumber(0x4000 + (i % 16) as u16))
                    .add(&Attribute::XorPeerAddress(peer));
                g.udp(client, port, server, 3478, &stun(req));
                let ok = MessageBuilder::success(Method::CHANNEL_BIND, tid(i, 4));
                g.udp(server, 3478, client, port, &stun(ok));
            }
        }
        "sparse-flows" => {
            for i in 0..n / 2 {
                let b = MessageBuilder::request(Method::BINDING, tid(i, 5));
                g.udp(ip(i), 7000, server, 3478, &stun(b));
            }
            g.t += 51_000_000_000;
            for i in 0..n / 2 {
                let b = MessageBuilder::request(Method::BINDING, tid(i, 6));
                g.udp(ip(i), 7000, server, 3478, &stun(b));
            }
        }
        "fragments" => {
            for i in 0..n {
                // A first fragment (MF set, offset 0) of a datagram whose rest never comes.
                let body = udp(5000, 6000, &[0xab; 1000]);
                // (The header checksum is left as computed without the flag: not verified.)
                let mut f = ipv4(ip(i % 5000), server, 17, i as u16, &body[..1000]);
                f[6] = 0x20;
                g.frame(&f);
            }
        }
        "tcp" => {
            let mut seq = 1000u32;
            let mut x = 0x9e37_79b9u32;
            let mut seg = vec![0u8; 1400];
            for i in 0..n {
                for b in seg.iter_mut() {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    *b = x as u8;
                }
                let flags = if i == 0 { 0x02 } else { 0x18 };
                let payload = if i == 0 { &[][..] } else { &seg[..] };
                let frame = ipv4(
                    ip(1),
                    server,
                    6,
                    i as u16,
                    &tcp(5000, 443, seq, flags, payload),
                );
                g.frame(&frame);
                seq = seq.wrapping_add(payload.len() as u32 + u32::from(i == 0));
            }
        }
        other => return Err(format!("unknown kind {other}").into()),
    }
    let packets = g.n;
    g.w.finish()?.flush()?;
    eprintln!("wrote {packets} packets to {out}");
    Ok(())
}

/// A TCP header (no options) in front of `payload`; the checksum is left zero (the engine
/// does not verify transport checksums of captured traffic, which offloading leaves wrong).
fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 20];
    h[0..2].copy_from_slice(&sport.to_be_bytes());
    h[2..4].copy_from_slice(&dport.to_be_bytes());
    h[4..8].copy_from_slice(&seq.to_be_bytes());
    h[12] = 5 << 4;
    h[13] = flags;
    h[14..16].copy_from_slice(&65_535u16.to_be_bytes());
    h.extend_from_slice(payload);
    h
}
