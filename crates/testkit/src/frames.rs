//! Hand-made frames and capture files for tests: raw IPv4 (link type RAW) around UDP or another
//! protocol, Ethernet around IPv4, and classic pcap files holding them.

use std::net::SocketAddrV4;

/// Link type of an Ethernet frame (pcap `LINKTYPE_ETHERNET`).
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Link type of a raw IP packet (pcap `LINKTYPE_RAW`).
pub const LINKTYPE_RAW: u32 = 101;
/// IP protocol number of UDP.
pub const PROTO_UDP: u8 = 17;
/// IP protocol number of SCTP.
pub const PROTO_SCTP: u8 = 132;

/// An IPv4 packet from `src` to `dst`: a 20-byte header without options (TTL 64, no flags,
/// identification `id`, the header checksum filled in), then `body` as protocol `proto`.
pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, id: u16, body: &[u8]) -> Vec<u8> {
    let total = u16::try_from(20 + body.len()).expect("an IPv4 packet fits 65535 bytes");
    let mut p = Vec::with_capacity(usize::from(total));
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0, 0, 64, proto, 0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    let mut sum: u32 = p
        .chunks_exact(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    p[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    p.extend_from_slice(body);
    p
}

/// A UDP datagram with checksum 0 (none, which UDP over IPv4 allows).
pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(8 + payload.len()).expect("a UDP datagram fits 65535 bytes");
    let mut d = Vec::with_capacity(usize::from(len));
    d.extend_from_slice(&sport.to_be_bytes());
    d.extend_from_slice(&dport.to_be_bytes());
    d.extend_from_slice(&len.to_be_bytes());
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(payload);
    d
}

/// Raw IPv4 and UDP around `payload`, from `src` to `dst` (a frame of link type RAW).
pub fn ipv4_udp(src: SocketAddrV4, dst: SocketAddrV4, payload: &[u8]) -> Vec<u8> {
    let datagram = udp(src.port(), dst.port(), payload);
    ipv4(
        src.ip().octets(),
        dst.ip().octets(),
        PROTO_UDP,
        0,
        &datagram,
    )
}

/// An Ethernet II frame (made-up addresses, EtherType IPv4) around an IPv4 packet.
pub fn ethernet(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00];
    f.extend_from_slice(ip);
    f
}

/// A classic pcap file (little-endian, microsecond times, snapshot length 65535) of `frames`
/// with link type `link`; frame `i` is stamped `i` seconds after the epoch.
pub fn pcap(link: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&link.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        let len = u32::try_from(f.len()).expect("a frame fits 4 GiB");
        out.extend_from_slice(&u32::try_from(i).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1071's checksum over the header, checksum included, is zero.
    #[test]
    fn ipv4_header_checksum_verifies() {
        let p = ipv4(
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            PROTO_UDP,
            7,
            &udp(1, 2, b"abc"),
        );
        let mut sum: u32 = p[..20]
            .chunks_exact(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        assert_eq!(sum, 0xffff);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 20 + 8 + 3);
        assert_eq!(&p[20..], &[0, 1, 0, 2, 0, 11, 0, 0, b'a', b'b', b'c']);
    }

    #[test]
    fn pcap_records_every_frame() {
        let file = pcap(LINKTYPE_RAW, &[vec![1, 2], vec![3]]);
        assert_eq!(file.len(), 24 + (16 + 2) + (16 + 1));
        assert_eq!(&file[20..24], &101u32.to_le_bytes());
        assert_eq!(&file[24 + 16 + 2..24 + 16 + 2 + 4], &1u32.to_le_bytes());
    }
}
