#![no_main]
//! Fuzzes the display-filter parser (`rtcscope_filter::parse`) with arbitrary text.
//!
//! Asserted for every input:
//! * parsing never panics; an error's offsets lie on character boundaries inside the text and
//!   its column is the character position of its offset;
//! * a filter that parses prints a canonical form that parses back to the same tree;
//! * evaluating it on an empty record and on a record with every field set terminates
//!   (nesting is capped, so the recursion is bounded) and `!e` is its negation.
use libfuzzer_sys::fuzz_target;
use rtcscope_filter::{parse, Expr, Fields, RtpHeader};

fn full() -> Fields {
    let mut f = Fields::new();
    f.set_frame_len(200);
    f.add_flow(
        "10.0.0.1:5000".parse().unwrap(),
        "[2001:db8::1]:3478".parse().unwrap(),
        false,
    );
    f.add_tcp(443, 50000);
    f.add_stun(0x0113, &[1; 12]);
    f.add_channel_data();
    f.add_turn_peer("192.0.2.7".parse().unwrap());
    f.add_rtp(RtpHeader {
        ssrc: 0x1234,
        pt: 96,
        seq: 1,
        marker: true,
    });
    f.add_rtcp(200, Some(0x1234));
    f.add_dtls_record(Some(22));
    f.add_dtls_handshake(1);
    f.add_sctp_data(50);
    f
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Ok(e) => {
            let printed = e.to_string();
            let back = parse(&printed)
                .unwrap_or_else(|err| panic!("{text:?} printed as {printed:?}: {err}"));
            assert_eq!(back, e, "{text:?} printed as {printed:?}");
            for f in [Fields::new(), full()] {
                let m = e.matches(&f);
                assert_eq!(Expr::Not(Box::new(e.clone())).matches(&f), !m);
            }
        }
        Err(err) => {
            assert!(
                err.offset <= err.end && err.end <= text.len(),
                "{text:?}: {err:?}"
            );
            assert!(text.is_char_boundary(err.offset) && text.is_char_boundary(err.end));
            assert_eq!(err.column, text[..err.offset].chars().count() + 1);
        }
    }
});
