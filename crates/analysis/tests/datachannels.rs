//! Data channels over SCTP over UDP (RFC 6951, RFC 8832): recognised by checksum with no port
//! configuration, channels opened, acknowledged and used, corruption counted.

use rtcscope_analysis::report::Report;
use rtcscope_analysis::Engine;
use rtcscope_capture::LinkType;
use rtcscope_sctp::enums::Ppid;
use rtcscope_sctp::repr::{ChunkRepr, PacketRepr};
use std::net::{Ipv4Addr, SocketAddrV4};

/// Raw IPv4 + UDP around `payload`, from 10.0.0.1:5000 (`a_to_b`) or 10.0.0.2:6000.
fn frame(a_to_b: bool, payload: &[u8]) -> Vec<u8> {
    let a = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 5000);
    let b = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 6000);
    let (src, dst) = if a_to_b { (a, b) } else { (b, a) };
    rtcscope_testkit::frames::ipv4_udp(src, dst, payload)
}

fn data(tsn: u32, stream: u16, ppid: u32, bytes: &[u8]) -> Vec<u8> {
    PacketRepr {
        src_port: 5000,
        dst_port: 5000,
        verification_tag: 0x1234_5678,
        chunks: vec![ChunkRepr::Data {
            flags: 0x03,
            tsn,
            stream_id: stream,
            ssn: 0,
            ppid: Ppid(ppid),
            user_data: bytes.to_vec(),
        }],
    }
    .to_bytes(false)
}

/// RFC 8832 §5.1 DATA_CHANNEL_OPEN: reliable, priority 256, label "chat", protocol "json".
fn open() -> Vec<u8> {
    let mut m = vec![0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 4, 0, 4];
    m.extend_from_slice(b"chat");
    m.extend_from_slice(b"json");
    m
}

#[test]
fn channels_over_sctp_over_udp() {
    let mut e = Engine::default();
    let mut n = 0u64;
    let mut feed = |e: &mut Engine, a_to_b: bool, payload: Vec<u8>| {
        n += 1;
        let f = frame(a_to_b, &payload);
        e.feed_frame(
            n,
            i128::from(n) * 1_000_000,
            LinkType::RAW,
            &f,
            f.len() as u32,
        );
    };
    feed(&mut e, true, data(1, 1, 50, &open()));
    feed(&mut e, false, data(1, 1, 50, &[0x02]));
    feed(&mut e, true, data(2, 1, 51, b"hello"));
    feed(&mut e, false, data(2, 1, 51, b"world!"));
    feed(&mut e, false, data(3, 1, 53, &[1, 2, 3]));
    // A corrupted packet on the association: still SCTP, counted as a bad checksum.
    let mut bad = data(4, 1, 51, b"x");
    bad[8] ^= 0xff;
    feed(&mut e, true, bad);
    // Random bytes on another flow with the same shape are not SCTP (no matching CRC32c).
    let mut noise = data(5, 1, 51, b"y");
    noise[8] ^= 0x55;
    let f = frame(true, &noise);
    let mut other = f.clone();
    other[20..22].copy_from_slice(&7000u16.to_be_bytes());
    e.feed_frame(99, 99_000_000, LinkType::RAW, &other, other.len() as u32);

    let r = Report::new(&e);
    assert_eq!(r.data_channels.len(), 1);
    let a = &r.data_channels[0];
    assert_eq!(a.packets, [3, 3]);
    assert_eq!(a.bad_checksums, 1);
    let c = &a.channels[0];
    assert_eq!(
        (c.stream, c.label.as_str(), c.protocol.as_str()),
        (1, "chat", "json")
    );
    assert_eq!(c.opened_by, Some("10.0.0.1:5000".parse().unwrap()));
    assert!(c.acked);
    assert_eq!(c.priority, 256);
    assert_eq!(c.messages, vec![(51, 2), (53, 1)]);
    assert_eq!(c.bytes, 5 + 6 + 3);
    let flow = r.flows.iter().find(|f| f.b.port() == 6000).unwrap();
    assert_eq!(flow.counts.sctp, 6);
    let noise_flow = r
        .flows
        .iter()
        .find(|f| f.a.port() == 7000 || f.b.port() == 7000)
        .unwrap();
    assert_eq!((noise_flow.counts.sctp, noise_flow.counts.unknown), (0, 1));
}
