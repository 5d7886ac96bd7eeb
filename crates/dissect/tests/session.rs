//! The dissector's state across packets: DTLS handshake reassembly (in order, out of order,
//! duplicates, retransmissions, refused messages) and its caps.

use rtcscope_capture::link::LinkType;
use rtcscope_dissect::session::{dtls_limits, MAX_DTLS_BYTES, MAX_DTLS_DIRECTIONS};
use rtcscope_dissect::{dissect_frame, Dissector, Frame};
use rtcscope_testkit::frames::ipv4_udp;
use rtcscope_wire::tree::Node;
use std::net::{Ipv4Addr, SocketAddrV4};

/// A NewSessionTicket body: lifetime 7200 s and a `ticket_len`-byte ticket.
fn ticket(ticket_len: usize) -> Vec<u8> {
    let mut b = 7200u32.to_be_bytes().to_vec();
    b.extend_from_slice(&u16::try_from(ticket_len).unwrap().to_be_bytes());
    b.extend((0..ticket_len).map(|i| i as u8));
    b
}

/// One epoch-0 DTLS 1.2 record holding one handshake fragment `body[from..to]` of a message of
/// type `msg_type` and sequence `seq`.
fn record(msg_type: u8, seq: u16, body: &[u8], from: usize, to: usize, total: usize) -> Vec<u8> {
    let frag = &body[from..to];
    let mut hs = vec![msg_type];
    hs.extend_from_slice(&u32::try_from(total).unwrap().to_be_bytes()[1..]);
    hs.extend_from_slice(&seq.to_be_bytes());
    hs.extend_from_slice(&u32::try_from(from).unwrap().to_be_bytes()[1..]);
    hs.extend_from_slice(&u32::try_from(frag.len()).unwrap().to_be_bytes()[1..]);
    hs.extend_from_slice(frag);
    let mut r = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, seq as u8];
    r.extend_from_slice(&u16::try_from(hs.len()).unwrap().to_be_bytes());
    r.extend_from_slice(&hs);
    r
}

fn frame(port: u16, dtls: &[u8]) -> Vec<u8> {
    ipv4_udp(
        SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), port),
        SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 4433),
        dtls,
    )
}

fn feed(d: &mut Dissector, n: u64, f: &[u8]) -> Frame {
    d.frame(n, 0, LinkType::RAW, f, f.len() as u32)
}

fn find<'a>(n: &'a Node, prefix: &str) -> Option<&'a Node> {
    if n.label.starts_with(prefix) {
        return Some(n);
    }
    n.children.iter().find_map(|c| find(c, prefix))
}

fn reassembled(f: &Frame) -> Option<&Node> {
    f.messages
        .iter()
        .find_map(|m| find(&m.tree, "Reassembled Handshake"))
}

#[test]
fn a_message_in_three_fragments_is_shown_whole_on_the_last() {
    let body = ticket(300);
    let n = body.len();
    let parts = [(0, 100), (100, 200), (200, n)];
    let mut d = Dissector::default();
    for (i, &(a, b)) in parts.iter().enumerate() {
        let f = feed(
            &mut d,
            10 + i as u64,
            &frame(5000, &record(4, 3, &body, a, b, n)),
        );
        let info = f.info();
        if i < 2 {
            assert!(reassembled(&f).is_none());
            assert!(
                info.contains(&format!("New Session Ticket (fragment {a}..{b} of {n})")),
                "{info}"
            );
        } else {
            assert_eq!(
                info,
                "New Session Ticket (reassembled from frames 10, 11, 12)"
            );
            let r = reassembled(&f).unwrap();
            assert_eq!(
                r.value.as_deref(),
                Some("306 bytes (message_seq 3), reassembled from frames 10, 11, 12")
            );
            let lifetime = find(r, "Lifetime").unwrap();
            assert_eq!(lifetime.value.as_deref(), Some("7200 s"));
            assert!(!r.has_warnings());
        }
    }
    // The same fragments again (a retransmitted flight) are named as such.
    let f = feed(&mut d, 13, &frame(5000, &record(4, 3, &body, 0, 100, n)));
    assert!(f.info().contains("retransmission"), "{}", f.info());
    // Stateless dissection shows each fragment alone.
    let raw = frame(5000, &record(4, 3, &body, 200, n, n));
    let f = dissect_frame(1, 0, LinkType::RAW, &raw, raw.len() as u32);
    assert!(reassembled(&f).is_none());
    assert!(f.info().contains("(fragment 200..306 of 306)"));
}

#[test]
fn out_of_order_and_duplicate_fragments() {
    let body = ticket(300);
    let n = body.len();
    let mut d = Dissector::default();
    let f = feed(&mut d, 1, &frame(5001, &record(4, 0, &body, 200, n, n)));
    assert!(f.info().contains("fragment 200..306"));
    let f = feed(&mut d, 2, &frame(5001, &record(4, 0, &body, 200, n, n)));
    assert!(f.info().contains("duplicate"), "{}", f.info());
    // Another direction's fragments do not mix in.
    let f = feed(&mut d, 3, &frame(5002, &record(4, 0, &body, 0, 200, n)));
    assert!(reassembled(&f).is_none());
    let f = feed(&mut d, 4, &frame(5001, &record(4, 0, &body, 0, 200, n)));
    assert_eq!(
        f.info(),
        "New Session Ticket (reassembled from frames 1, 4)"
    );
}

#[test]
fn a_message_over_the_length_cap_is_refused_not_buffered() {
    let limit = dtls_limits().max_message_len;
    let body = vec![0u8; 64];
    let mut d = Dissector::default();
    let f = feed(
        &mut d,
        1,
        &frame(5003, &record(11, 1, &body, 0, 64, limit + 1)),
    );
    let warning = f.messages[0].tree.has_warnings();
    assert!(warning, "refused with a warning");
    assert_eq!(d.state().buffered(), 0);
}

#[test]
fn state_stays_under_its_caps() {
    // More directions than the cap, each leaving an incomplete message behind: the least
    // recently used are dropped.
    let body = vec![0x5a; 100];
    let mut d = Dissector::default();
    let flows = MAX_DTLS_DIRECTIONS + 44;
    for i in 0..flows {
        let port = 10_000 + i as u16;
        feed(
            &mut d,
            i as u64,
            &frame(port, &record(11, 1, &body, 0, 100, 1000)),
        );
    }
    assert_eq!(d.state().evicted(), 44);
    assert_eq!(d.state().buffered(), MAX_DTLS_DIRECTIONS * 1000);
    // Messages of 100 KiB each: the byte cap binds first (a pending message holds its whole
    // announced length).
    let total = 100 * 1024;
    let mut d = Dissector::default();
    for i in 0..flows {
        let port = 20_000 + i as u16;
        feed(
            &mut d,
            i as u64,
            &frame(port, &record(11, 1, &body, 0, 100, total)),
        );
        assert!(d.state().buffered() <= MAX_DTLS_BYTES);
    }
    assert_eq!(d.state().buffered(), MAX_DTLS_BYTES / total * total);
    assert_eq!(d.state().evicted(), (flows - MAX_DTLS_BYTES / total) as u64);
}
