//! Data channels over SCTP over UDP (RFC 6951, RFC 8832): recognised by checksum with no port
//! configuration, channels opened, acknowledged and used, corruption counted.

use rtcscope_analysis::report::Report;
use rtcscope_analysis::Engine;
use rtcscope_capture::LinkType;
use rtcscope_sctp::enums::{ChunkType, Ppid};
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

fn packet(chunks: Vec<ChunkRepr>) -> Vec<u8> {
    PacketRepr {
        src_port: 5000,
        dst_port: 5000,
        verification_tag: 0x1234_5678,
        chunks,
    }
    .to_bytes(false)
}

fn raw(ctype: ChunkType, value: &[u8]) -> ChunkRepr {
    ChunkRepr::Raw {
        ctype,
        flags: 0,
        value: value.to_vec(),
    }
}

fn init(ack: bool) -> ChunkRepr {
    ChunkRepr::Init {
        ack,
        initiate_tag: 0x1234_5678,
        a_rwnd: 65536,
        outbound_streams: 16,
        inbound_streams: 16,
        initial_tsn: 1,
        params: Vec::new(),
    }
}

/// Feeds scripted packets (a → b when `true`) to a new engine and returns its one association.
fn association(
    packets: Vec<(bool, Vec<u8>)>,
) -> rtcscope_analysis::datachannels::AssociationReport {
    let mut e = Engine::default();
    for (n, (a_to_b, p)) in packets.into_iter().enumerate() {
        let f = frame(a_to_b, &p);
        e.feed_frame(
            n as u64 + 1,
            n as i128 * 1_000_000,
            LinkType::RAW,
            &f,
            f.len() as u32,
        );
    }
    let r = Report::new(&e);
    assert_eq!(r.data_channels.len(), 1);
    r.data_channels[0].clone()
}

/// The association's state follows its control chunks (RFC 9260 §4): the four-way handshake
/// establishes it, the shutdown closes it; each receiver's SACKs are counted with their gap
/// blocks (TSNs it was missing) and duplicate TSNs; a retransmitted chunk is counted apart.
#[test]
fn state_and_sacks_of_a_scripted_association() {
    let a = association(vec![
        (true, packet(vec![init(false)])),
        (false, packet(vec![init(true)])),
        (
            true,
            packet(vec![raw(ChunkType::COOKIE_ECHO, &[1, 2, 3, 4])]),
        ),
        (false, packet(vec![raw(ChunkType::COOKIE_ACK, &[])])),
        (true, data(1, 1, 51, b"one")),
        // TSN 2 is lost: b holds 3 and 4 above its cumulative ack 1.
        (true, data(3, 1, 51, b"three")),
        (true, data(4, 1, 51, b"four")),
        (
            false,
            packet(vec![ChunkRepr::Sack {
                cum_tsn_ack: 1,
                a_rwnd: 65536,
                gaps: vec![(2, 3)],
                duplicates: vec![],
            }]),
        ),
        (true, data(2, 1, 51, b"two")),
        // TSN 4 again: a retransmission, reported by b as a duplicate.
        (true, data(4, 1, 51, b"four")),
        (
            false,
            packet(vec![ChunkRepr::Sack {
                cum_tsn_ack: 4,
                a_rwnd: 65536,
                gaps: vec![],
                duplicates: vec![4],
            }]),
        ),
        (
            true,
            packet(vec![raw(ChunkType::SHUTDOWN, &4u32.to_be_bytes())]),
        ),
        (false, packet(vec![raw(ChunkType::SHUTDOWN_ACK, &[])])),
        (true, packet(vec![raw(ChunkType::SHUTDOWN_COMPLETE, &[])])),
    ]);
    assert_eq!(a.state, "closed (SHUTDOWN COMPLETE)");
    let from_b = a.sacks[1];
    assert_eq!(
        (
            from_b.sacks,
            from_b.with_gaps,
            from_b.gap_blocks,
            from_b.duplicate_tsns
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(a.sacks[0].sacks, 0);
    assert_eq!(a.retransmitted_chunks, [1, 0]);
    assert_eq!(a.channels[0].messages, vec![(51, 4)]);
}

/// Without the handshake in the capture, data both ways says the association was already
/// up; an ABORT names who sent it; an INIT alone is an association being set up.
#[test]
fn mid_capture_aborted_and_half_open_associations() {
    let a = association(vec![
        (true, data(10, 1, 51, b"x")),
        (false, data(20, 1, 51, b"y")),
    ]);
    assert_eq!(
        a.state,
        "established before the capture (data both ways, no handshake seen)"
    );
    let a = association(vec![
        (true, data(10, 1, 51, b"x")),
        (false, data(20, 1, 51, b"y")),
        (false, packet(vec![raw(ChunkType::ABORT, &[])])),
    ]);
    assert_eq!(a.state, "aborted by 10.0.0.2:6000");
    let a = association(vec![(true, packet(vec![init(false)]))]);
    assert_eq!(a.state, "establishing (INIT, no COOKIE ACK)");
}
