//! The handshake reassembler's cost is bounded per fragment, whatever the fragments are:
//! interleaved one-byte fragments of the longest message a capture may announce used to cost
//! a check of every byte against every received range (about 10^10 steps).

use rtcscope_dtls::handshake::HandshakeFragments;
use rtcscope_dtls::reassembly::{Limits, Outcome, Reassembler};

/// One handshake fragment (DTLS 1.2 header, RFC 6347 §4.2.2) of a Certificate message.
fn fragment(length: u32, seq: u16, offset: u32, body: &[u8]) -> Vec<u8> {
    let mut f = vec![11];
    f.extend_from_slice(&length.to_be_bytes()[1..]);
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&offset.to_be_bytes()[1..]);
    f.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    f.extend_from_slice(body);
    f
}

fn feed<'a>(r: &mut Reassembler, bytes: &'a [u8]) -> Result<Outcome<'a>, String> {
    let f = HandshakeFragments::new(bytes, 0).next().unwrap().unwrap();
    r.feed(&f).map_err(|e| e.to_string())
}

#[test]
fn one_byte_fragments_are_capped_per_message() {
    let limits = Limits::default();
    let len = limits.max_message_len as u32;
    let mut r = Reassembler::new(limits);
    let (mut stored, mut refused) = (0u32, 0u32);
    // Every other byte, so that no two received ranges ever merge.
    for off in (0..len).step_by(2).take(5_000) {
        match feed(&mut r, &fragment(len, 1, off, &[off as u8])) {
            Ok(Outcome::Pending) => stored += 1,
            Err(e) => {
                assert!(e.contains("max_fragments"), "{e}");
                refused += 1;
            }
            Ok(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(stored, limits.max_fragments);
    assert_eq!(refused, 5_000 - limits.max_fragments);
}

#[test]
fn overlaps_keep_the_first_bytes_and_count_conflicts() {
    let body: Vec<u8> = (0..100u8).collect();
    let mut r = Reassembler::default();
    assert!(matches!(
        feed(&mut r, &fragment(100, 2, 10, &body[10..30])),
        Ok(Outcome::Pending)
    ));
    assert!(matches!(
        feed(&mut r, &fragment(100, 2, 50, &body[50..60])),
        Ok(Outcome::Pending)
    ));
    // Overlaps both earlier ranges, with a disagreeing byte inside the first overlap.
    let mut forged = body[0..70].to_vec();
    forged[15] ^= 0xff;
    assert!(matches!(
        feed(&mut r, &fragment(100, 2, 0, &forged)),
        Ok(Outcome::Pending)
    ));
    assert_eq!(r.stats().conflicts, 1);
    // A fragment wholly inside received bytes adds nothing.
    assert!(matches!(
        feed(&mut r, &fragment(100, 2, 20, &body[20..25])),
        Ok(Outcome::Duplicate)
    ));
    match feed(&mut r, &fragment(100, 2, 70, &body[70..])) {
        Ok(Outcome::Complete(m)) => assert_eq!(&m.body[..], &body[..]),
        other => panic!("{other:?}"),
    }
}
