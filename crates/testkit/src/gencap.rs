//! Large benchmark captures made from the real recordings in `fixtures/webrtc/` (feature
//! `capture`; the `gen-capture` binary is its command line, `scripts/bench.sh` its user).
//!
//! Each recording is replayed as many distinct sessions: session `k` gets its own IPv4
//! addresses, UDP/TCP ports, SSRCs and ICE ufrags, and starts `k × span / concurrency` after the
//! first, so that about `concurrency` calls run at once; the sessions are merged in time order
//! into one pcapng. The packet mix and sizes are those of the real calls: STUN checks, DTLS,
//! SRTP and SRTCP, and for the relayed recording TURN (Allocate, ChannelBind, Send/Data
//! indications, ChannelData).
//!
//! What is rewritten, consistently within a session:
//! * IPv4 addresses, in IP headers, in the IP header an ICMP error quotes, and in STUN address
//!   attributes (XOR-MAPPED-, XOR-PEER-, XOR-RELAYED-ADDRESS, MAPPED-ADDRESS, RESPONSE-ORIGIN,
//!   OTHER-ADDRESS). A private address (10/8, 172.16/12, 192.168/16) stays in its block and any
//!   other keeps its first octet; the rest of the address numbers the session and the original
//!   address, so no two sessions share an address;
//! * ports of 1024 and above (except 3478 and 5349, the STUN/TURN ports), shifted by a
//!   per-session amount within their half of the port space (the recordings' own ports are
//!   all ephemeral, 32768 and above, and stay there);
//! * SSRCs: the RTP header's, and the sender SSRC of the first RTCP packet of a (S)RTCP
//!   compound (the rest of SRTCP is encrypted), XORed with a per-session key from the seed;
//! * STUN transaction IDs (their last eight bytes XORed with a per-session key);
//! * ICE ufrags in the USERNAME of Binding requests (`remote:local`): the last four characters
//!   of each ufrag number the session and the ufrag, so the length does not change;
//! * the IPv4 header, UDP, TCP and ICMP checksums, and STUN FINGERPRINT, recomputed after the
//!   rewrite. MESSAGE-INTEGRITY is **not** recomputed (the ICE passwords and TURN credentials
//!   are not in the capture): in generated files it no longer verifies.
//!
//! Packets inside ChannelData and inside a Send or Data indication's DATA attribute are
//! rewritten the same way as top-level ones. Frames that are not IPv4 (ARP) are copied as they
//! are. The audio-only variant keeps everything but the RTP packets whose payload type is not
//! listed on the recording's `m=audio` line (offer.sdp), and the RTCP packets sent by the SSRCs
//! of those video packets.
//!
//! The output depends on the sources, the options and the seed only: the same arguments give
//! the same bytes.

use rtcscope_capture::writer::PcapNgWriter;
use rtcscope_capture::{CaptureReader, LinkType};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 0x7274_6373_636f_7065; // "rtcscope"

/// The number of calls running at once when none is given.
pub const DEFAULT_CONCURRENCY: u32 = 32;

/// What can go wrong while loading a recording.
#[derive(Debug)]
pub enum GenError {
    /// Reading a file failed.
    Io(io::Error),
    /// The capture could not be read.
    Capture(String),
    /// The recording has something the generator cannot rewrite (e.g. IPv6).
    Unsupported(String),
}

impl std::fmt::Display for GenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GenError::Io(e) => write!(f, "{e}"),
            GenError::Capture(e) => write!(f, "capture: {e}"),
            GenError::Unsupported(e) => write!(f, "unsupported source: {e}"),
        }
    }
}

impl std::error::Error for GenError {}

impl From<io::Error> for GenError {
    fn from(e: io::Error) -> Self {
        GenError::Io(e)
    }
}

/// One change to a packet, at a byte offset in the frame.
#[derive(Clone, Copy, Debug)]
enum Patch {
    /// An IPv4 address (4 bytes), the `idx`-th distinct one.
    Addr4 { off: u32, idx: u32 },
    /// A port (2 bytes).
    Port { off: u32 },
    /// A STUN XOR address attribute's value (family IPv4): port at `off`, address at `off + 2`.
    XorAddr4 { off: u32, idx: u32 },
    /// A plain STUN address attribute's value (family IPv4).
    PlainAddr4 { off: u32, idx: u32 },
    /// An SSRC (4 bytes).
    Ssrc { off: u32 },
    /// A STUN transaction ID (12 bytes).
    TxId { off: u32 },
    /// The last four characters of a ufrag ending at `end`, the `idx`-th distinct ufrag.
    Ufrag { end: u32, idx: u32 },
    /// The IPv4 header checksum of the header at `off`.
    Ipv4Sum { off: u32, len: u32 },
    /// A UDP or TCP checksum: pseudo-header from the IPv4 header at `ip`, segment at `l4`.
    L4Sum {
        ip: u32,
        l4: u32,
        len: u32,
        proto: u8,
    },
    /// An ICMP checksum over `len` bytes at `off`.
    IcmpSum { off: u32, len: u32 },
    /// A STUN FINGERPRINT: message at `msg`, the attribute (header included) at `attr`.
    Fingerprint { msg: u32, attr: u32 },
}

/// One packet of a recording with the places to rewrite.
#[derive(Clone, Debug)]
struct Template {
    /// Time since the recording's first packet (ns).
    ts: i128,
    data: Vec<u8>,
    orig_len: u32,
    /// In the order they are applied: rewrites first, then checksums inner to outer.
    patches: Vec<Patch>,
}

/// A recording prepared for replay.
#[derive(Clone, Debug)]
pub struct Source {
    /// A name for messages (the folder it came from).
    pub name: String,
    link: LinkType,
    templates: Vec<Template>,
    /// First to last packet (ns).
    span: i128,
    /// Absolute time of the first packet (ns since the epoch).
    start: i128,
}

impl Source {
    /// Packets one session of this recording writes.
    pub fn packets(&self) -> usize {
        self.templates.len()
    }
}

/// Distinct IPv4 addresses and ufrags over all sources, numbered in the order first seen.
#[derive(Default, Debug)]
pub struct Tables {
    addrs: HashMap<[u8; 4], u32>,
    ufrags: HashMap<Vec<u8>, u32>,
}

impl Tables {
    fn addr(&mut self, a: [u8; 4]) -> u32 {
        let n = self.addrs.len() as u32;
        *self.addrs.entry(a).or_insert(n)
    }
    fn ufrag(&mut self, u: &[u8]) -> u32 {
        let n = self.ufrags.len() as u32;
        *self.ufrags.entry(u.to_vec()).or_insert(n)
    }
}

/// Loads `dir/capture.pcapng` (and, for `audio_only`, the audio payload types from
/// `dir/offer.sdp`), numbering its addresses and ufrags in `tables`.
pub fn load_source(dir: &Path, audio_only: bool, tables: &mut Tables) -> Result<Source, GenError> {
    let bytes = std::fs::read(dir.join("capture.pcapng"))?;
    let audio_pts = if audio_only {
        let sdp = std::fs::read_to_string(dir.join("offer.sdp"))?;
        let line = sdp
            .lines()
            .find(|l| l.starts_with("m=audio "))
            .ok_or_else(|| GenError::Unsupported(format!("{}: no m=audio", dir.display())))?;
        Some(
            line.split_whitespace()
                .skip(3)
                .filter_map(|f| f.parse::<u8>().ok())
                .collect::<HashSet<u8>>(),
        )
    } else {
        None
    };
    let mut reader =
        CaptureReader::new(&bytes[..]).map_err(|e| GenError::Capture(e.to_string()))?;
    let mut raw = Vec::new();
    let mut link = None;
    while let Some(p) = reader
        .next_packet()
        .map_err(|e| GenError::Capture(e.to_string()))?
    {
        if *link.get_or_insert(p.link_type) != p.link_type {
            return Err(GenError::Unsupported(format!(
                "{}: more than one link type",
                dir.display()
            )));
        }
        raw.push((p.ts_nanos, p.data.to_vec(), p.orig_len));
    }
    let link = link.ok_or_else(|| GenError::Capture(format!("{}: no packets", dir.display())))?;
    // Video SSRCs: those of RTP packets whose payload type is not an audio one.
    let mut templates = Vec::with_capacity(raw.len());
    let mut video_ssrcs = HashSet::new();
    let mut kinds = Vec::with_capacity(raw.len());
    for (ts, data, orig_len) in raw {
        let mut t = Template {
            ts,
            data,
            orig_len,
            patches: Vec::new(),
        };
        let mut media = Vec::new();
        scan_frame(link, &t.data, tables, &mut t.patches, &mut media)?;
        if let Some(pts) = &audio_pts {
            for m in &media {
                if let Media::Rtp { pt, ssrc } = *m {
                    if !pts.contains(&pt) {
                        video_ssrcs.insert(ssrc);
                    }
                }
            }
        }
        kinds.push(media);
        templates.push(t);
    }
    if audio_pts.is_some() {
        let keep = |media: &[Media]| {
            media.iter().all(|m| match *m {
                Media::Rtp { ssrc, .. } | Media::Rtcp { ssrc } => !video_ssrcs.contains(&ssrc),
            })
        };
        templates = templates
            .into_iter()
            .zip(&kinds)
            .filter(|(_, m)| keep(m))
            .map(|(t, _)| t)
            .collect();
    }
    let start = templates
        .first()
        .map(|t| t.ts)
        .ok_or_else(|| GenError::Capture(format!("{}: nothing left", dir.display())))?;
    for t in &mut templates {
        t.ts -= start;
    }
    let span = templates.last().map_or(0, |t| t.ts);
    Ok(Source {
        name: dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        link,
        templates,
        span,
        start,
    })
}

/// RTP or RTCP seen in a packet, for the audio-only filter.
#[derive(Clone, Copy, Debug)]
enum Media {
    Rtp { pt: u8, ssrc: u32 },
    Rtcp { ssrc: u32 },
}

fn be16(d: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(off..off + 2)?.try_into().ok()?))
}

fn be32(d: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(off..off + 4)?.try_into().ok()?))
}

fn unsupported(what: &str) -> GenError {
    GenError::Unsupported(what.to_string())
}

fn scan_frame(
    link: LinkType,
    d: &[u8],
    tables: &mut Tables,
    patches: &mut Vec<Patch>,
    media: &mut Vec<Media>,
) -> Result<(), GenError> {
    let ip = match link {
        LinkType::ETHERNET => {
            let mut off = 12;
            let mut ethertype = be16(d, off);
            while matches!(ethertype, Some(0x8100 | 0x88a8)) {
                off += 4;
                ethertype = be16(d, off);
            }
            match ethertype {
                Some(0x0800) => off + 2,
                Some(0x86dd) => return Err(unsupported("IPv6 packets")),
                _ => return Ok(()), // ARP and the like: copied as they are
            }
        }
        LinkType::RAW | LinkType::RAW_OPENBSD | LinkType::IPV4 => 0,
        other => return Err(GenError::Unsupported(format!("link type {other:?}"))),
    };
    scan_ipv4(d, ip, tables, patches, media, false)
}

/// An IPv4 packet at `ip`; `quoted` for the packet an ICMP error quotes (cut after the UDP
/// header, so no transport checksum and no payload).
fn scan_ipv4(
    d: &[u8],
    ip: usize,
    tables: &mut Tables,
    patches: &mut Vec<Patch>,
    media: &mut Vec<Media>,
    quoted: bool,
) -> Result<(), GenError> {
    let Some(&vihl) = d.get(ip) else {
        return Ok(());
    };
    if vihl >> 4 != 4 {
        return Err(unsupported("IP version other than 4"));
    }
    let ihl = usize::from(vihl & 0x0f) * 4;
    let (Some(total), Some(&proto)) = (be16(d, ip + 2), d.get(ip + 9)) else {
        return Ok(());
    };
    if ihl < 20 || d.len() < ip + ihl {
        return Ok(());
    }
    for off in [ip + 12, ip + 16] {
        let a: [u8; 4] = d[off..off + 4].try_into().unwrap_or_default();
        patches.push(Patch::Addr4 {
            off: off as u32,
            idx: tables.addr(a),
        });
    }
    let frag = be16(d, ip + 6).unwrap_or(0);
    let first_fragment = frag & 0x1fff == 0;
    let whole = first_fragment && frag & 0x2000 == 0;
    let l4 = ip + ihl;
    let end = (ip + usize::from(total)).min(d.len());
    let mut sums = Vec::new();
    if first_fragment && end >= l4 + 4 {
        match proto {
            17 | 6 => {
                patches.push(Patch::Port { off: l4 as u32 });
                patches.push(Patch::Port { off: l4 as u32 + 2 });
                if !quoted && whole && end == ip + usize::from(total) {
                    if proto == 17 && end >= l4 + 8 {
                        scan_payload(d, l4 + 8, end, tables, patches, media, 0)?;
                        if be16(d, l4 + 6) != Some(0) {
                            sums.push(Patch::L4Sum {
                                ip: ip as u32,
                                l4: l4 as u32,
                                len: (end - l4) as u32,
                                proto,
                            });
                        }
                    } else if proto == 6 {
                        sums.push(Patch::L4Sum {
                            ip: ip as u32,
                            l4: l4 as u32,
                            len: (end - l4) as u32,
                            proto,
                        });
                    }
                }
            }
            1 if !quoted && whole && end >= l4 + 8 => {
                // Destination unreachable, time exceeded: the quoted packet's headers.
                if matches!(d[l4], 3 | 11) && end >= l4 + 8 + 20 {
                    scan_ipv4(&d[..end], l4 + 8, tables, patches, media, true)?;
                }
                sums.push(Patch::IcmpSum {
                    off: l4 as u32,
                    len: (end - l4) as u32,
                });
            }
            _ => {}
        }
    }
    patches.extend(sums);
    patches.push(Patch::Ipv4Sum {
        off: ip as u32,
        len: ihl as u32,
    });
    Ok(())
}

/// A UDP payload (or the packet inside ChannelData or a DATA attribute) at `start..end`.
fn scan_payload(
    d: &[u8],
    start: usize,
    end: usize,
    tables: &mut Tables,
    patches: &mut Vec<Patch>,
    media: &mut Vec<Media>,
    depth: u8,
) -> Result<(), GenError> {
    let p = &d[start..end];
    let Some(&b0) = p.first() else {
        return Ok(());
    };
    if depth > 2 {
        return Ok(());
    }
    match b0 {
        0..=3 if p.len() >= 20 && be32(p, 4) == Some(0x2112_a442) => {
            scan_stun(d, start, end, tables, patches, media, depth)
        }
        0x40..=0x7f if p.len() >= 4 => {
            let len = usize::from(be16(p, 2).unwrap_or(0));
            if 4 + len <= p.len() {
                scan_payload(
                    d,
                    start + 4,
                    start + 4 + len,
                    tables,
                    patches,
                    media,
                    depth + 1,
                )?;
            }
            Ok(())
        }
        128..=191 if p.len() >= 12 => {
            let pt = p[1] & 0x7f;
            if (72..=79).contains(&pt) {
                // RTCP (types 200–207 with the marker bit): the first packet's sender SSRC.
                patches.push(Patch::Ssrc {
                    off: start as u32 + 4,
                });
                media.push(Media::Rtcp {
                    ssrc: be32(p, 4).unwrap_or(0),
                });
            } else {
                patches.push(Patch::Ssrc {
                    off: start as u32 + 8,
                });
                media.push(Media::Rtp {
                    pt,
                    ssrc: be32(p, 8).unwrap_or(0),
                });
            }
            Ok(())
        }
        128..=191 if p.len() >= 8 && (200..=207).contains(&p[1]) => {
            patches.push(Patch::Ssrc {
                off: start as u32 + 4,
            });
            media.push(Media::Rtcp {
                ssrc: be32(p, 4).unwrap_or(0),
            });
            Ok(())
        }
        _ => Ok(()), // DTLS and anything else: as it is
    }
}

fn scan_stun(
    d: &[u8],
    start: usize,
    end: usize,
    tables: &mut Tables,
    patches: &mut Vec<Patch>,
    media: &mut Vec<Media>,
    depth: u8,
) -> Result<(), GenError> {
    let p = &d[start..end];
    let msg_type = be16(p, 0).unwrap_or(0);
    let method = (msg_type & 0x000f) | ((msg_type & 0x00e0) >> 1) | ((msg_type & 0x3e00) >> 2);
    let class = ((msg_type >> 4) & 1) | ((msg_type >> 7) & 2);
    let binding_request = method == 1 && class == 0;
    let msg_end = (20 + usize::from(be16(p, 2).unwrap_or(0))).min(p.len());
    patches.push(Patch::TxId {
        off: start as u32 + 8,
    });
    let mut off = 20;
    let mut fingerprint = None;
    while off + 4 <= msg_end {
        let (Some(kind), Some(len)) = (be16(p, off), be16(p, off + 2)) else {
            break;
        };
        let len = usize::from(len);
        let v = off + 4;
        if v + len > msg_end {
            break;
        }
        let abs = (start + v) as u32;
        match kind {
            // USERNAME of an ICE check: "remote:local".
            0x0006 if binding_request => {
                let value = &p[v..v + len];
                if let Some(colon) = value.iter().position(|&c| c == b':') {
                    for (a, b) in [(0, colon), (colon + 1, len)] {
                        if b - a >= 4 {
                            patches.push(Patch::Ufrag {
                                end: abs + b as u32,
                                idx: tables.ufrag(&value[a..b]),
                            });
                        }
                    }
                }
            }
            0x0020 | 0x0012 | 0x0016 | 0x0001 | 0x802b | 0x802c if len == 8 && p[v + 1] == 1 => {
                let xor = matches!(kind, 0x0020 | 0x0012 | 0x0016);
                let mut a: [u8; 4] = p[v + 4..v + 8].try_into().unwrap_or_default();
                if xor {
                    for (x, m) in a.iter_mut().zip(0x2112_a442u32.to_be_bytes()) {
                        *x ^= m;
                    }
                }
                let idx = tables.addr(a);
                patches.push(if xor {
                    Patch::XorAddr4 { off: abs + 2, idx }
                } else {
                    Patch::PlainAddr4 { off: abs + 2, idx }
                });
            }
            0x0013 => scan_payload(
                d,
                start + v,
                start + v + len,
                tables,
                patches,
                media,
                depth + 1,
            )?,
            0x8028 if len == 4 => {
                fingerprint = Some(Patch::Fingerprint {
                    msg: start as u32,
                    attr: (start + off) as u32,
                });
            }
            _ => {}
        }
        off = v + len.next_multiple_of(4);
    }
    patches.extend(fingerprint);
    Ok(())
}

/// How sessions are laid out.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Number of sessions; session `k` replays source `k % sources.len()`.
    pub sessions: u32,
    /// About this many sessions run at once.
    pub concurrency: u32,
    /// Seed of the per-session SSRC keys.
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Packets.
    pub packets: u64,
    /// Bytes of packet data (captured lengths).
    pub bytes: u64,
}

/// The fewest sessions (cycling through `sources`) holding at least `packets` packets.
pub fn sessions_for(sources: &[Source], packets: u64) -> u32 {
    let mut total = 0u64;
    let mut k = 0u32;
    while total < packets && !sources.is_empty() {
        total += sources[k as usize % sources.len()].packets() as u64;
        k += 1;
    }
    k
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The per-session values every patch of a session uses.
struct Session {
    /// Added to an address's number within the session: `k × distinct addresses + 1`.
    addr_base: u32,
    ufrag_base: u32,
    port_shift: u32,
    ssrc_key: u32,
    txid_key: u64,
}

impl Session {
    fn new(k: u32, tables: &Tables, seed: u64) -> Session {
        Session {
            addr_base: k.wrapping_mul(tables.addrs.len() as u32).wrapping_add(1),
            ufrag_base: k.wrapping_mul(tables.ufrags.len().max(1) as u32),
            port_shift: k.wrapping_mul(7919) % 31744,
            ssrc_key: splitmix(seed ^ u64::from(k)) as u32,
            txid_key: splitmix(!seed ^ u64::from(k)),
        }
    }

    fn addr(&self, orig: [u8; 4], idx: u32) -> [u8; 4] {
        let n = self.addr_base.wrapping_add(idx);
        let (keep_mask, ours) = match orig {
            [10, ..] => (0xff00_0000u32, n),
            [172, b, ..] if b & 0xf0 == 16 => (0xfff0_0000, n),
            [192, 168, ..] => (0xffff_0000, n),
            _ => (0xff00_0000, n),
        };
        let a = u32::from_be_bytes(orig);
        ((a & keep_mask) | (ours & !keep_mask)).to_be_bytes()
    }

    /// Ports below 1024 and the STUN/TURN ports stay; the others move within their half of
    /// the port space (1024–32767, or the ephemeral 32768–65535 where browsers and TURN
    /// servers take theirs), so a port never lands on one the demultiplexer reserves for
    /// another protocol (DNS, SSDP, mDNS…), all of which are below 32768.
    fn port(&self, p: u16) -> u16 {
        if p < 1024 || p == 3478 || p == 5349 {
            return p;
        }
        let (base, size) = if p >= 32768 {
            (32768, 32768)
        } else {
            (1024, 31744)
        };
        ((u32::from(p) - base + self.port_shift) % size + base) as u16
    }
}

const UFRAG_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn put16(d: &mut [u8], off: usize, v: u16) {
    d[off..off + 2].copy_from_slice(&v.to_be_bytes());
}

fn get4(d: &[u8], off: usize) -> [u8; 4] {
    [d[off], d[off + 1], d[off + 2], d[off + 3]]
}

/// The Internet checksum's one's-complement sum of `data` added to `sum`.
fn ones_sum(mut sum: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let (s, carry) = sum.overflowing_add(w);
        sum = s + u64::from(carry);
    }
    for c in chunks.remainder().chunks(2) {
        let w = u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]);
        let (s, carry) = sum.overflowing_add(u64::from(w));
        sum = s + u64::from(carry);
    }
    sum
}

fn fold(mut sum: u64) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Applies the patches of `t` for `s` to `buf` (a copy of `t.data`).
fn apply(t: &Template, s: &Session, buf: &mut [u8]) {
    for p in &t.patches {
        match *p {
            Patch::Addr4 { off, idx } => {
                let off = off as usize;
                let a = s.addr(get4(buf, off), idx);
                buf[off..off + 4].copy_from_slice(&a);
            }
            Patch::Port { off } => {
                let off = off as usize;
                let v = s.port(u16::from_be_bytes([buf[off], buf[off + 1]]));
                put16(buf, off, v);
            }
            Patch::XorAddr4 { off, idx } => {
                let off = off as usize;
                let port = u16::from_be_bytes([buf[off], buf[off + 1]]) ^ 0x2112;
                put16(buf, off, s.port(port) ^ 0x2112);
                let orig = (u32::from_be_bytes(get4(buf, off + 2)) ^ 0x2112_a442).to_be_bytes();
                let a = u32::from_be_bytes(s.addr(orig, idx)) ^ 0x2112_a442;
                buf[off + 2..off + 6].copy_from_slice(&a.to_be_bytes());
            }
            Patch::PlainAddr4 { off, idx } => {
                let off = off as usize;
                let port = u16::from_be_bytes([buf[off], buf[off + 1]]);
                put16(buf, off, s.port(port));
                let a = s.addr(get4(buf, off + 2), idx);
                buf[off + 2..off + 6].copy_from_slice(&a);
            }
            Patch::Ssrc { off } => {
                let off = off as usize;
                let v = u32::from_be_bytes(get4(buf, off)) ^ s.ssrc_key;
                buf[off..off + 4].copy_from_slice(&v.to_be_bytes());
            }
            Patch::TxId { off } => {
                let off = off as usize + 4;
                for (b, m) in buf[off..off + 8].iter_mut().zip(s.txid_key.to_be_bytes()) {
                    *b ^= m;
                }
            }
            Patch::Ufrag { end, idx } => {
                let mut n = s.ufrag_base.wrapping_add(idx);
                for i in 1..=4 {
                    buf[end as usize - i] = UFRAG_CHARS[(n & 63) as usize];
                    n >>= 6;
                }
            }
            Patch::Ipv4Sum { off, len } => {
                let (off, len) = (off as usize, len as usize);
                put16(buf, off + 10, 0);
                let sum = fold(ones_sum(0, &buf[off..off + len]));
                put16(buf, off + 10, sum);
            }
            Patch::L4Sum { ip, l4, len, proto } => {
                let (ip, l4, len) = (ip as usize, l4 as usize, len as usize);
                let sum_off = if proto == 17 { l4 + 6 } else { l4 + 16 };
                if sum_off + 2 > l4 + len {
                    continue;
                }
                put16(buf, sum_off, 0);
                let mut sum = ones_sum(0, &buf[ip + 12..ip + 20]);
                sum = ones_sum(sum, &[0, proto]);
                sum = ones_sum(sum, &(len as u16).to_be_bytes());
                let mut v = fold(ones_sum(sum, &buf[l4..l4 + len]));
                if v == 0 && proto == 17 {
                    v = 0xffff; // 0 means "no checksum" in UDP over IPv4
                }
                put16(buf, sum_off, v);
            }
            Patch::IcmpSum { off, len } => {
                let (off, len) = (off as usize, len as usize);
                put16(buf, off + 2, 0);
                let sum = fold(ones_sum(0, &buf[off..off + len]));
                put16(buf, off + 2, sum);
            }
            Patch::Fingerprint { msg, attr } => {
                let (msg, attr) = (msg as usize, attr as usize);
                let crc = crc32fast::hash(&buf[msg..attr]) ^ 0x5354_554e;
                buf[attr + 4..attr + 8].copy_from_slice(&crc.to_be_bytes());
            }
        }
    }
}

/// Writes `opts.sessions` sessions of `sources` (session `k` replays `sources[k % len]`) as one
/// pcapng in time order. All sources must share a link type.
pub fn generate<W: Write>(
    sources: &[Source],
    tables: &Tables,
    opts: Options,
    out: W,
) -> io::Result<Written> {
    let Some(first) = sources.first() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no sources"));
    };
    if sources.iter().any(|s| s.link != first.link) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "sources differ in link type",
        ));
    }
    let span = sources.iter().map(|s| s.span).max().unwrap_or(0).max(1);
    let gap = span / i128::from(opts.concurrency.max(1));
    let start = first.start;
    let mut w = PcapNgWriter::new(out)?;
    let iface = w.add_interface(first.link, 262_144, "rtcscope gen-capture")?;
    // The next packet of every session: (time, session, index in its source).
    let mut heap = BinaryHeap::with_capacity(opts.sessions as usize);
    let sessions: Vec<Session> = (0..opts.sessions)
        .map(|k| Session::new(k, tables, opts.seed))
        .collect();
    for k in 0..opts.sessions {
        heap.push(Reverse((start + i128::from(k) * gap, k, 0usize)));
    }
    let mut buf = Vec::with_capacity(2048);
    let mut written = Written::default();
    while let Some(Reverse((ts, k, i))) = heap.pop() {
        let src = &sources[k as usize % sources.len()];
        let t = &src.templates[i];
        buf.clear();
        buf.extend_from_slice(&t.data);
        apply(t, &sessions[k as usize], &mut buf);
        w.write_packet(iface, ts, &buf, t.orig_len)?;
        written.packets += 1;
        written.bytes += buf.len() as u64;
        if let Some(next) = src.templates.get(i + 1) {
            let session_start = ts - t.ts;
            heap.push(Reverse((session_start + next.ts, k, i + 1)));
        }
    }
    w.finish()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_a_known_ipv4_header() {
        // RFC 1071-style example header (from Wikipedia's IPv4 checksum example): 0xb861.
        let h = hex::decode("450000730000400040110000c0a80001c0a800c7").unwrap();
        assert_eq!(fold(ones_sum(0, &h)), 0xb861);
    }

    #[test]
    fn addresses_keep_their_block_and_differ_between_sessions() {
        let mut tables = Tables::default();
        let a = [10, 20, 1, 2];
        let b = [198, 51, 100, 10];
        let (ia, ib) = (tables.addr(a), tables.addr(b));
        let mut seen = HashSet::new();
        for k in 0..1000 {
            let s = Session::new(k, &tables, DEFAULT_SEED);
            let (x, y) = (s.addr(a, ia), s.addr(b, ib));
            assert_eq!(x[0], 10);
            assert_eq!(y[0], 198);
            assert!(
                seen.insert(x) && seen.insert(y),
                "session {k} reuses an address"
            );
        }
    }

    #[test]
    fn ports_shift_per_session_and_keep_stun_ports() {
        let tables = Tables::default();
        let s = Session::new(3, &tables, DEFAULT_SEED);
        assert_eq!(s.port(3478), 3478);
        assert_eq!(s.port(53), 53);
        assert_ne!(s.port(50000), 50000);
        for p in [32768, 50000, 65535] {
            assert!(s.port(p) >= 32768);
        }
    }
}
