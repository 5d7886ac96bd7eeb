//! A tiny pcap/pcapng reader for the parser crates' tests: frames down to UDP and SCTP-over-IP
//! payloads, and a writer of raw-IPv4 pcaps. The DTLS and SCTP tests read their fixtures and
//! the corpus with it; the real capture stack is crates/capture, which those parser crates must
//! not depend on.

use crate::frames;
use std::path::Path;

/// One frame's transport payload.
#[derive(Clone, Debug)]
pub struct Packet {
    /// 1-based frame number.
    pub number: usize,
    /// Source address and port.
    pub src: (String, u16),
    /// Destination address and port.
    pub dst: (String, u16),
    /// IP protocol: 17 UDP, 132 SCTP.
    pub proto: u8,
    /// UDP payload, or for SCTP the whole SCTP packet (ports included).
    pub payload: Vec<u8>,
}

fn u16e(b: &[u8], le: bool) -> u16 {
    let a = [b[0], b[1]];
    if le {
        u16::from_le_bytes(a)
    } else {
        u16::from_be_bytes(a)
    }
}
fn u32e(b: &[u8], le: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    }
}

/// Every frame of a pcap or pcapng file with its link type, in order.
pub fn frames(path: &Path) -> Vec<(u32, Vec<u8>)> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let magic = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
    match magic {
        0xa1b2c3d4 | 0xa1b23c4d | 0xd4c3b2a1 | 0x4d3cb2a1 => {
            let le = matches!(magic, 0xa1b2c3d4 | 0xa1b23c4d);
            let link = u32e(&data[20..24], le);
            let mut p = 24;
            while p + 16 <= data.len() {
                let caplen = u32e(&data[p + 8..p + 12], le) as usize;
                let end = (p + 16 + caplen).min(data.len());
                out.push((link, data[p + 16..end].to_vec()));
                p += 16 + caplen;
            }
        }
        0x0a0d0d0a => {
            let mut le = true;
            let mut links = Vec::new();
            let mut p = 0;
            while p + 12 <= data.len() {
                if u32::from_le_bytes([data[p], data[p + 1], data[p + 2], data[p + 3]])
                    == 0x0a0d0d0a
                {
                    le = u32::from_le_bytes([data[p + 8], data[p + 9], data[p + 10], data[p + 11]])
                        == 0x1a2b3c4d;
                    links.clear();
                }
                let btype = u32e(&data[p..p + 4], le);
                let blen = u32e(&data[p + 4..p + 8], le) as usize;
                if blen < 12 || p + blen > data.len() {
                    break;
                }
                let body = &data[p + 8..p + blen - 4];
                match btype {
                    1 => links.push(u16e(&body[0..2], le) as u32),
                    6 => {
                        let iface = u32e(&body[0..4], le) as usize;
                        let caplen = u32e(&body[12..16], le) as usize;
                        out.push((links[iface], body[20..20 + caplen].to_vec()));
                    }
                    3 => {
                        let len = u32e(&body[0..4], le) as usize;
                        out.push((links[0], body[4..(4 + len).min(body.len())].to_vec()));
                    }
                    _ => {}
                }
                p += blen;
            }
        }
        m => panic!("{}: not a capture file (magic {m:08x})", path.display()),
    }
    out
}

/// The UDP and SCTP payloads of a capture (other frames are skipped but keep their number).
pub fn packets(path: &Path) -> Vec<Packet> {
    let mut out = Vec::new();
    for (i, (link, f)) in frames(path).into_iter().enumerate() {
        let ip = match link {
            0 => f.get(4..),
            1 => {
                let mut p = 12;
                let mut et = u16::from_be_bytes([f[p], f[p + 1]]);
                while et == 0x8100 || et == 0x88a8 {
                    p += 4;
                    et = u16::from_be_bytes([f[p], f[p + 1]]);
                }
                if et == 0x0800 || et == 0x86dd {
                    f.get(p + 2..)
                } else {
                    None
                }
            }
            101 | 228 | 229 | 12 | 14 => Some(&f[..]),
            113 => f.get(16..),
            276 => f.get(20..),
            _ => None,
        };
        let Some(ip) = ip else { continue };
        if let Some(p) = transport(ip, i + 1) {
            out.push(p);
        }
    }
    out
}

fn transport(ip: &[u8], number: usize) -> Option<Packet> {
    let (proto, src, dst, l4) = match ip.first()? >> 4 {
        4 => {
            let ihl = ((ip[0] & 0x0f) as usize) * 4;
            let total = (u16::from_be_bytes([ip[2], ip[3]]) as usize).min(ip.len());
            let frag = u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff;
            if frag != 0 {
                return None;
            }
            let a = |o: usize| format!("{}.{}.{}.{}", ip[o], ip[o + 1], ip[o + 2], ip[o + 3]);
            (ip[9], a(12), a(16), ip.get(ihl..total)?)
        }
        6 => {
            let plen = u16::from_be_bytes([ip[4], ip[5]]) as usize;
            let a = |o: usize| {
                (0..8)
                    .map(|k| {
                        format!(
                            "{:x}",
                            u16::from_be_bytes([ip[o + 2 * k], ip[o + 2 * k + 1]])
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(":")
            };
            (ip[6], a(8), a(24), ip.get(40..(40 + plen).min(ip.len()))?)
        }
        _ => return None,
    };
    if l4.len() < 8 {
        return None;
    }
    let sport = u16::from_be_bytes([l4[0], l4[1]]);
    let dport = u16::from_be_bytes([l4[2], l4[3]]);
    let payload = match proto {
        17 => {
            let ulen = (u16::from_be_bytes([l4[4], l4[5]]) as usize).clamp(8, l4.len());
            l4[8..ulen].to_vec()
        }
        132 => l4.to_vec(),
        _ => return None,
    };
    Some(Packet {
        number,
        src: (src, sport),
        dst: (dst, dport),
        proto,
        payload,
    })
}

/// Writes a pcap (LINKTYPE_RAW = IPv4) with one IPv4 packet per payload; `proto` 17 wraps each
/// payload in UDP with the given ports, 132 puts it right after the IP header (an SCTP packet
/// with its own ports).
pub fn write_ipv4_pcap(path: &Path, proto: u8, ports: (u16, u16), payloads: &[Vec<u8>]) {
    let frames: Vec<_> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let l4 = if proto == frames::PROTO_UDP {
                frames::udp(ports.0, ports.1, p)
            } else {
                p.clone()
            };
            frames::ipv4([10, 0, 0, 1], [10, 0, 0, 2], proto, i as u16, &l4)
        })
        .collect();
    std::fs::write(path, frames::pcap(frames::LINKTYPE_RAW, &frames)).unwrap();
}
