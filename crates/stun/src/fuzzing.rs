//! The body of the `stun` cargo-fuzz target, kept here so that an ordinary `cargo test`
//! compiles and runs it (the fuzz workspace only calls [`run`]).

use crate::{
    classify, ChannelData, ChannelDataRepr, Frame, Kind, Message, MessageRepr, StreamFrames,
};

/// The fixed key integrity checks are tried with (the RFC 5769 short-term password).
pub const KEY: &[u8] = b"VOkJxbRl1RmTxUk/WvJxBt";

/// Drives every parser of the crate over `data`; panics only on a broken invariant:
/// a message that parsed and decoded must re-encode and parse back to the same
/// representation, and likewise for ChannelData.
pub fn run(data: &[u8]) {
    let _ = classify(data);
    if let Ok(msg) = Message::parse(data) {
        exercise(&msg);
    }
    // Lax parsing (an unpadded last attribute): the views must hold up, and the classifier
    // must agree where RFC 7983 lets it call a datagram STUN at all (a first byte of 0 to 3;
    // the parser itself accepts any message type with the two top bits zero). No round trip:
    // re-encoding pads, on purpose.
    if let Ok(msg) = Message::parse_lax(data) {
        if msg.malformed_length() && data[0] <= 3 {
            assert_eq!(
                classify(data),
                Some(Kind::Stun),
                "classify agrees with parse_lax"
            );
            assert!(msg.length_warning().is_some());
            walk(&msg);
        }
    }
    for frame in StreamFrames::new(data) {
        match frame {
            Ok(Frame::Stun(m)) => exercise(&m),
            Ok(Frame::ChannelData(c)) => exercise_channel(&c),
            Err(_) => break,
        }
    }
    if let Ok(c) = ChannelData::parse(data) {
        exercise_channel(&c);
    }
}

fn exercise(msg: &Message<'_>) {
    walk(msg);
    if let Ok(repr) = MessageRepr::parse(msg) {
        let bytes = repr
            .emit()
            .expect("a parsed message re-encodes within the length limits");
        assert_eq!(bytes.len(), repr.buffer_len());
        let again = MessageRepr::from_bytes(&bytes).expect("a re-encoded message parses");
        assert_eq!(
            again, repr,
            "re-encoded message decodes to the same representation"
        );
    }
}

/// Every accessor and check of a message view.
fn walk(msg: &Message<'_>) {
    let _ = (
        msg.message_type(),
        msg.transaction_id(),
        msg.flavor(),
        msg.length(),
    );
    for attr in msg.attributes() {
        let Ok(attr) = attr else { break };
        let _ = (attr.range(), attr.value_range(), attr.padding());
        let _ = attr.decode();
    }
    let _ = msg.scan();
    let _ = msg.check_order();
    let _ = msg.verify_integrity(KEY);
    let _ = msg.verify_integrity_sha256(KEY);
    let _ = msg.verify_fingerprint();
}

fn exercise_channel(c: &ChannelData<'_>) {
    let repr = ChannelDataRepr::parse(c);
    for pad in [false, true] {
        let bytes = repr.emit(pad).expect("a parsed ChannelData re-encodes");
        let view = ChannelData::parse(&bytes).expect("a re-encoded ChannelData parses");
        assert_eq!(ChannelDataRepr::parse(&view), repr);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_on_edge_inputs() {
        for input in [
            &[][..],
            &[
                0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ][..],
            &[0x40, 0x00, 0x00, 0x01, 0xff, 0, 0, 0][..],
            &[
                0x00, 0x01, 0x00, 0x04, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0x00, 0x20, 0x00, 0x08,
            ][..],
            // Found by the fuzzer: an unpadded message whose first byte (0x10) RFC 7983 does
            // not give to STUN; the lax parser reads it, the classifier rightly does not.
            &[
                16, 1, 0, 13, 33, 18, 164, 66, 227, 169, 70, 225, 98, 84, 124, 0, 40, 194, 8, 1, 0,
                64, 10, 0, 6, 0, 1, 16, 0, 171, 12, 190, 239,
            ][..],
        ] {
            super::run(input);
        }
    }
}
