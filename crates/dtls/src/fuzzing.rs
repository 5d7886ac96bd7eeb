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

#[cfg(test)]
mod tests {
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
