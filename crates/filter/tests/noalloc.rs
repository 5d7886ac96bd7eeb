//! Proof that filling the per-frame record and evaluating a filter on it allocate nothing
//! (parsing may: it builds the tree once), under a counting global allocator.

use rtcscope_filter::{parse, Fields, RtpHeader};
use rtcscope_testkit::CountingAlloc;
use std::hint::black_box;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn filling_and_matching_allocate_nothing() {
    let filters: Vec<_> = [
        "stun || dtls && !rtp",
        "rtp.ssrc == 0x1234 && rtp.pt < 100 && rtp.marker == 1",
        "ip.addr == 10.0.0.0/8 && !(udp.port == 53 || tcp.port >= 1024)",
        "stun.type == allocate_error || stun.type == binding || stun.type == 0x0101",
        "stun.transaction == 0x0102030405060708090a0b0c || turn.peer == 2001:db8::/32",
        "rtcp.pt == psfb && dtls.handshake.type == client_hello && sctp.ppid == dcep",
        "!!!(frame.len > 100) || rtp.seq",
    ]
    .iter()
    .map(|f| parse(f).unwrap())
    .collect();
    let mut matched = 0u32;
    let n = CountingAlloc::count(|| {
        for i in 0..1000u32 {
            let mut f = Fields::new();
            f.set_frame_len(100 + i);
            f.add_flow(
                "10.0.0.1:5000".parse().unwrap(),
                "[2001:db8::1]:3478".parse().unwrap(),
                i % 2 == 0,
            );
            f.add_stun(0x0113, &[i as u8; 12]);
            f.add_channel_data();
            f.add_turn_peer("2001:db8::7".parse().unwrap());
            for k in 0..10 {
                f.add_rtp(RtpHeader {
                    ssrc: 0x1234 + k,
                    pt: 96,
                    seq: i as u16,
                    marker: k == 0,
                });
                f.add_rtcp(200 + (k % 8) as u8, Some(k));
            }
            f.add_dtls_record(Some(22));
            f.add_dtls_handshake(1);
            f.add_sctp_data(50);
            for e in &filters {
                matched += u32::from(e.matches(black_box(&f)));
            }
        }
    });
    assert_eq!(n, 0, "allocations while filling and matching");
    assert!(matched > 0);
}
