//! Fuzzing entry points (used by `fuzz/fuzz_targets/dtls.rs` and exercised by unit tests).

use crate::ext::ExtensionContext;
use crate::handshake::{
    ClientHelloRepr, HandshakeFragments, Message, MessageContext, ServerHelloRepr,
};
use crate::reassembly::{Limits, Reassembler};
use crate::record::{Ack, Alert, InnerPlaintext, PlaintextRecordRepr, RecordOptions, Records};
use crate::session::{DtlsSession, Side};
use crate::{looks_like_dtls, CipherSuite, ContentType, ProtocolVersion};

/// Parses everything reachable from `data`, walks it, feeds the reassembler and the session
/// tracker, and round-trips the owned forms, panicking on any inconsistency.
///
/// The first byte chooses the CID length (0..=7) and the message context; the rest is a
/// datagram.
pub fn dtls(data: &[u8]) {
    let Some((&ctl, datagram)) = data.split_first() else {
        return;
    };
    let opts = RecordOptions {
        cid_len: (ctl & 0x07) as usize,
    };
    let ctx = MessageContext {
        version: if ctl & 0x08 != 0 {
            ProtocolVersion::DTLS1_0
        } else if ctl & 0x10 != 0 {
            ProtocolVersion::DTLS1_3
        } else {
            ProtocolVersion::DTLS1_2
        },
        cipher_suite: [
            Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
            Some(CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256),
            Some(CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA),
            Some(CipherSuite::TLS_PSK_WITH_AES_128_CCM_8),
            Some(CipherSuite::TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA),
            Some(CipherSuite::TLS_AES_128_GCM_SHA256),
            Some(CipherSuite(0xeeee)),
            None,
        ][usize::from(ctl >> 5)],
    };
    let _ = looks_like_dtls(datagram);
    let mut reasm = Reassembler::new(Limits {
        max_message_len: 4096,
        max_pending: 4,
        max_buffered: 8192,
        max_remembered: 16,
        max_fragments: 64,
    });
    for rec in Records::new(datagram, opts) {
        let Ok(rec) = rec else { break };
        assert!(rec.range().end <= datagram.len());
        assert_eq!(&datagram[rec.range()], rec.bytes());
        if let Some(repr) = PlaintextRecordRepr::from_view(&rec) {
            let mut out = Vec::new();
            repr.emit(&mut out).expect("a parsed record fits");
            assert_eq!(out, rec.bytes());
        }
        let base = rec.fragment_range().start;
        let content = rec.fragment();
        walk_content(rec.content_type(), content, base, &ctx, &mut reasm);
        if let Ok(inner) = InnerPlaintext::parse(content, base) {
            walk_content(
                Some(inner.content_type),
                inner.content,
                base,
                &ctx,
                &mut reasm,
            );
        }
    }
    let mut s = DtlsSession::default();
    s.feed(Side::A, datagram);
    s.feed(Side::B, datagram);
    let _ = s.handshake();
}

fn walk_content(
    ct: Option<ContentType>,
    content: &[u8],
    base: usize,
    ctx: &MessageContext,
    reasm: &mut Reassembler,
) {
    match ct {
        Some(ContentType::HANDSHAKE) => {
            for frag in HandshakeFragments::new(content, base) {
                let Ok(frag) = frag else { break };
                assert!(frag.fragment_offset + frag.fragment_length() <= frag.length);
                walk_message(frag.msg_type, frag.body.bytes, frag.body.offset, ctx);
                if let Ok(crate::Outcome::Complete(m)) = reasm.feed(&frag) {
                    assert_eq!(m.body.len(), frag.length as usize);
                    walk_message(m.msg_type, &m.body, 0, ctx);
                }
            }
        }
        Some(ContentType::ALERT) => {
            if let Ok(a) = Alert::parse(content, base) {
                assert_eq!(a.to_bytes(), content);
            }
        }
        Some(ContentType::ACK) => {
            if let Ok(a) = Ack::parse(content, base) {
                assert_eq!(a.record_numbers().count(), a.len());
            }
        }
        _ => {}
    }
}

/// Parses one message body and walks every extension; round-trips hellos.
pub fn walk_message(t: crate::HandshakeType, body: &[u8], base: usize, ctx: &MessageContext) {
    let Ok(m) = Message::parse(t, body, base, ctx) else {
        return;
    };
    match m {
        Message::ClientHello(ch) => {
            for e in ch.extensions().map_while(Result::ok) {
                let _ = e
                    .body(ExtensionContext::ClientHello)
                    .map(|b| format!("{b:?}"));
            }
            if let Ok(repr) = ClientHelloRepr::from_view(&ch) {
                let mut out = Vec::new();
                repr.emit_body(&mut out);
                assert_eq!(out, body);
            }
        }
        Message::ServerHello(sh) => {
            for e in sh.extensions().map_while(Result::ok) {
                let _ = e.body(sh.context()).map(|b| format!("{b:?}"));
            }
            let _ = sh.negotiated_version();
            if let Ok(repr) = ServerHelloRepr::from_view(&sh) {
                let mut out = Vec::new();
                repr.emit_body(&mut out);
                assert_eq!(out, body);
            }
        }
        Message::Certificate(c) => {
            for e in c.entries().map_while(Result::ok) {
                let _ = crate::Fingerprint::sha256(e.der.bytes).to_string();
            }
        }
        Message::EncryptedExtensions(exts) => {
            for e in exts.map_while(Result::ok) {
                let _ = e.body(ExtensionContext::EncryptedExtensions);
            }
        }
        other => {
            let _ = format!("{other:?}");
        }
    }
}

/// The suites [`dtls_decrypt`] keys the decryptor for, by the control byte's low three bits:
/// (suite, version, encrypt_then_mac).
const DECRYPT_SETUPS: [(CipherSuite, ProtocolVersion, bool); 8] = [
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ProtocolVersion::DTLS1_2,
        false,
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ProtocolVersion::DTLS1_2,
        false,
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ProtocolVersion::DTLS1_2,
        false,
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        ProtocolVersion::DTLS1_2,
        false,
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
        ProtocolVersion::DTLS1_2,
        true,
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        ProtocolVersion::DTLS1_0,
        true,
    ),
    (
        CipherSuite::TLS_AES_128_GCM_SHA256,
        ProtocolVersion::DTLS1_3,
        false,
    ),
    (
        CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        ProtocolVersion::DTLS1_3,
        false,
    ),
];

/// A plaintext epoch-0 handshake record holding one unfragmented message.
fn handshake_record(msg_type: u8, message_seq: u16, body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_be_bytes();
    let mut out = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, message_seq as u8];
    out.extend_from_slice(&((body.len() + 12) as u16).to_be_bytes());
    out.push(msg_type);
    out.extend_from_slice(&len[1..]);
    out.extend_from_slice(&message_seq.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&len[1..]);
    out.extend_from_slice(body);
    out
}

/// The hellos that key a decryptor for `setup` (client random 0x11…, server random 0x22…).
pub fn decrypt_hellos(setup: usize) -> [Vec<u8>; 2] {
    let (suite, version, etm) = DECRYPT_SETUPS[setup % DECRYPT_SETUPS.len()];
    let mut ch = vec![0xfe, 0xfd];
    ch.extend_from_slice(&[0x11; 32]);
    ch.extend_from_slice(&[0, 0, 0, 2]);
    ch.extend_from_slice(&suite.0.to_be_bytes());
    ch.extend_from_slice(&[1, 0]);
    let mut exts = Vec::new();
    if version == ProtocolVersion::DTLS1_3 {
        exts.extend_from_slice(&[0x00, 0x2b, 0, 2]);
        exts.extend_from_slice(&version.0.to_be_bytes());
    }
    if etm {
        exts.extend_from_slice(&[0x00, 0x16, 0, 0]);
    }
    // use_srtp: SRTP_AEAD_AES_128_GCM, no MKI.
    exts.extend_from_slice(&[0x00, 0x0e, 0, 5, 0, 2, 0, 7, 0]);
    let legacy = if version == ProtocolVersion::DTLS1_0 {
        [0xfe, 0xff]
    } else {
        [0xfe, 0xfd]
    };
    let mut sh = legacy.to_vec();
    sh.extend_from_slice(&[0x22; 32]);
    sh.push(0);
    sh.extend_from_slice(&suite.0.to_be_bytes());
    sh.push(0);
    sh.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    sh.extend_from_slice(&exts);
    [handshake_record(1, 0, &ch), handshake_record(2, 0, &sh)]
}

/// The key log [`dtls_decrypt`] uses: every secret for client random 0x11….
pub fn decrypt_key_log() -> crate::keylog::KeyLogIndex {
    let r = "11".repeat(32);
    let mut text = format!("CLIENT_RANDOM {r} {}\n", "33".repeat(48));
    for (label, b) in [
        ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "44"),
        ("SERVER_HANDSHAKE_TRAFFIC_SECRET", "55"),
        ("CLIENT_TRAFFIC_SECRET_0", "66"),
        ("SERVER_TRAFFIC_SECRET_0", "77"),
        ("EXPORTER_SECRET", "88"),
    ] {
        text.push_str(&format!("{label} {r} {}\n", b.repeat(48)));
    }
    crate::keylog::KeyLogIndex::parse(&text)
}

/// Drives a keyed [`crate::decrypt::DtlsDecryptor`] with arbitrary datagrams. The first byte
/// picks the suite and version (low three bits) and whether to skip the hellos (bit 3); the rest
/// is a sequence of datagrams, each a 16-bit length (its top bit: sent by the server) and that
/// many bytes. Asserts that nothing panics, that every decrypted record lies inside its
/// datagram, and that the state stays bounded.
pub fn dtls_decrypt(data: &[u8]) {
    use crate::decrypt::{DtlsDecryptor, MAX_ALERTS};
    let Some((&ctl, mut rest)) = data.split_first() else {
        return;
    };
    let keys = decrypt_key_log();
    let mut d = DtlsDecryptor::new(Limits {
        max_message_len: 4096,
        max_pending: 4,
        max_buffered: 8192,
        max_remembered: 16,
        max_fragments: 64,
    });
    if ctl & 0x08 == 0 {
        let [ch, sh] = decrypt_hellos(usize::from(ctl & 0x07));
        assert!(d.feed(&keys, Side::A, &ch, 0).is_empty());
        assert!(d.feed(&keys, Side::B, &sh, 0).is_empty());
        assert!(d.is_keyed(), "{:?}", d.key_error());
    }
    let mut base = 0usize;
    while rest.len() >= 2 {
        let head = u16::from_be_bytes([rest[0], rest[1]]);
        let len = usize::from(head & 0x7fff).min(rest.len() - 2);
        let (datagram, tail) = rest[2..].split_at(len);
        rest = tail;
        let side = if head & 0x8000 != 0 { Side::B } else { Side::A };
        for r in d.feed(&keys, side, datagram, base) {
            match r {
                Ok(rec) => {
                    assert!(rec.range.start >= base && rec.range.end <= base + datagram.len());
                    assert!(rec.plaintext.len() <= datagram.len());
                    assert!(rec.sequence < 1 << 48);
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
        base += datagram.len();
        assert!(d.revealed().alerts.len() <= MAX_ALERTS);
    }
    let _ = d.srtp_keying_material();
    let _ = format!("{d:?}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn decrypt_fuzz_body_keys_every_setup_and_survives_odd_records() {
        for setup in 0u8..16 {
            super::dtls_decrypt(&[setup]);
            // An epoch-1 record of every short length, a unified header of every flag byte.
            for n in 0u8..40 {
                let mut rec = vec![
                    setup,
                    0,
                    13 + n,
                    23,
                    0xfe,
                    0xfd,
                    0,
                    1,
                    0,
                    0,
                    0,
                    0,
                    0,
                    1,
                    0,
                    n,
                ];
                rec.extend(std::iter::repeat_n(0xa5, usize::from(n)));
                super::dtls_decrypt(&rec);
            }
            for flags in 0x20u8..=0x3f {
                let mut rec = vec![setup, 0x80, 40, flags];
                rec.extend((0u8..39).map(|i| i.wrapping_mul(37)));
                super::dtls_decrypt(&rec);
            }
        }
    }

    /// Found by the dtls_decrypt fuzz target: a DTLS 1.3 ChaCha20 record whose ciphertext
    /// sample starts with ff ff ff ff asked the chacha20 crate for the block after its last
    /// counter value, which panicked.
    #[test]
    fn chacha20_mask_at_the_last_block_counter() {
        let mut input = vec![0xd7u8, 0x00, 0x75, 0x20, 0x13];
        input.extend(std::iter::repeat_n(0xff, 54));
        input.push(0xf9);
        super::dtls_decrypt(&input);
    }

    #[test]
    fn fuzz_body_survives_odd_inputs() {
        super::dtls(&[]);
        super::dtls(&[0]);
        super::dtls(&[0, 0x16, 0xfe, 0xfd]);
        super::dtls(&[3, 0x3f, 1, 2, 3, 4, 5, 6]);
        // A ClientHello record with a fragment whose offset+length exceeds the length.
        let mut rec = vec![0u8, 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 13];
        rec.extend_from_slice(&[1, 0, 0, 4, 0, 0, 0, 0, 2, 0, 0, 3, 0]);
        super::dtls(&rec);
    }
}
