//! The end of input (`Engine::finish`): a TCP segment lost near the end of a connection is
//! followed by too few segments to be given up while the capture lasts; ending the input
//! declares the gap and analyses the messages held after it.

use rtcscope_analysis::flow::Transport;
use rtcscope_analysis::Engine;
use rtcscope_capture::link::{decode, Transport as Wire};
use rtcscope_capture::reassembly::TcpStream;
use rtcscope_testkit::owned_frames::{owned_frames as frames, OwnedFrame as Frame};
use std::net::SocketAddr;

/// One direction of a connection.
type Dir = (SocketAddr, SocketAddr);
/// A data segment: the index of its frame and its payload.
type Segment = (usize, Vec<u8>);

/// Messages framed on the TCP connections themselves (not what TURN relays inside them).
fn tcp_messages(e: &Engine) -> u64 {
    e.flows()
        .filter(|f| f.key.transport == Transport::Tcp && f.key.relay.is_none())
        .map(|f| {
            let c = &f.counts;
            c.stun + c.classic_stun + c.channel_data + c.dtls + c.rtp + c.rtcp + c.sctp + c.unknown
        })
        .sum()
}

fn feed(frames: &[Frame], skip: Option<usize>) -> Engine {
    let mut e = Engine::default();
    for (i, f) in frames.iter().enumerate() {
        if Some(i) != skip {
            e.feed_frame(f.number, f.ts, f.link, &f.data, f.len);
        }
    }
    e
}

#[test]
fn a_gap_open_at_the_end_of_a_turn_over_tcp_capture_is_declared_and_what_follows_analysed() {
    let frames = frames("captures/turn-tcp.pcap");
    // The data segments of every direction, in capture order.
    let mut by_dir: Vec<(Dir, Vec<Segment>)> = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let Ok(Ok(d)) = decode(f.link, &f.data) else {
            continue;
        };
        if !matches!(d.transport, Wire::Tcp { .. }) || d.payload.is_empty() {
            continue;
        }
        let dir = (d.src, d.dst);
        match by_dir.iter_mut().find(|(k, _)| *k == dir) {
            Some((_, v)) => v.push((i, d.payload.to_vec())),
            None => by_dir.push((dir, vec![(i, d.payload.to_vec())])),
        }
    }
    // The busiest direction loses its third-last data segment: two more follow, far fewer
    // than the 16 after which a gap is given up while the input lasts.
    let (_, segs) = by_dir.iter().max_by_key(|(_, v)| v.len()).unwrap();
    assert!(segs.len() > 20, "{} data segments", segs.len());
    let (victim, lost) = &segs[segs.len() - 3];
    let mut lost_messages = 0u64;
    let mut alone = TcpStream::default();
    let any_channel = |c: u16| (0x4000..0x8000).contains(&c);
    alone.push(1, 0x18, lost, &any_channel, &mut |_| lost_messages += 1);
    assert!(lost_messages > 0, "the lost segment holds whole messages");

    let mut full = feed(&frames, None);
    full.finish();
    assert_eq!(full.counters().tcp_gaps, 0, "the original loses nothing");

    let mut e = feed(&frames, Some(*victim));
    let before = e.counters();
    assert_eq!(
        before.tcp_gaps, 0,
        "the gap is still open when the frames end"
    );
    let held = tcp_messages(&e);
    e.finish();
    let after = e.counters();
    assert_eq!(after.tcp_gaps, 1, "{after:?}");
    assert_eq!(after.tcp_gap_bytes, lost.len() as u64, "{after:?}");
    assert_eq!(after.tcp_skipped_bytes, before.tcp_skipped_bytes);
    assert_eq!(after.packets, before.packets, "finish feeds no frame");
    // Every message after the hole was analysed: exactly the lost segment's are missing.
    let got = tcp_messages(&e);
    assert!(got > held, "the messages held after the gap were analysed");
    assert_eq!(got + lost_messages, tcp_messages(&full));

    // The input has ended: a second call changes nothing.
    e.finish();
    assert_eq!(e.counters(), after);
    assert_eq!(tcp_messages(&e), got);
}
