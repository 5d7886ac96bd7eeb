//! Proof that the view parse paths do not allocate: record iteration and a ClientHello
//! extension walk, counted with rtcscope_testkit::CountingAlloc.

use rtcscope_testkit::capture_frames as capture;

use rtcscope_dtls::ext::{ExtensionBody, ExtensionContext};
use rtcscope_dtls::handshake::{HandshakeFragments, Message, MessageContext};
use rtcscope_dtls::record::{RecordOptions, Records};
use rtcscope_testkit::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Walks every record, fragment, hello and extension body; returns a checksum of what it saw
/// so the work cannot be optimised away.
fn walk(datagram: &[u8]) -> usize {
    let mut seen = 0;
    let ctx = MessageContext::default();
    for rec in Records::new(datagram, RecordOptions::default()) {
        let Ok(rec) = rec else { break };
        seen += rec.range().len();
        for f in HandshakeFragments::new(rec.fragment(), rec.fragment_range().start) {
            let Ok(f) = f else { break };
            if !f.is_complete() {
                continue;
            }
            if let Ok(Message::ClientHello(ch)) =
                Message::parse(f.msg_type, f.body.bytes, f.body.offset, &ctx)
            {
                seen += ch.cipher_suites.iter().count();
                for e in ch.extensions() {
                    let Ok(e) = e else { break };
                    seen += e.range().len();
                    match e.body(ExtensionContext::ClientHello) {
                        Ok(ExtensionBody::UseSrtp(u)) => seen += u.profiles.iter().count() * 100,
                        Ok(ExtensionBody::SupportedGroups(g)) => seen += g.iter().count(),
                        Ok(ExtensionBody::SignatureAlgorithms(g)) => seen += g.iter().count(),
                        Ok(ExtensionBody::KeyShareClient(k)) => seen += k.count(),
                        Ok(_) => seen += 1,
                        Err(_) => {}
                    }
                }
            }
        }
    }
    seen
}

#[test]
fn record_iteration_and_client_hello_walk_do_not_allocate() {
    let pkts = capture::packets(&rtcscope_testkit::fixtures().join("dtls/dtls12-srtp.pcapng"));
    assert!(!pkts.is_empty());
    let mut total = 0;
    for p in &pkts {
        let mut seen = 0;
        let n = CountingAlloc::count(|| seen = walk(&p.payload));
        assert_eq!(n, 0, "frame {} allocated {n} times", p.number);
        total += seen;
    }
    // The first ClientHello offers two SRTP profiles: the walk really reached use_srtp.
    assert!(total > 200, "{total}");
}
