//! DTLS 1.0/1.2/1.3 (RFC 6347, RFC 9147): every record of a datagram, the handshake messages of
//! epoch-0 records with their fields, alerts, and "encrypted" for protected records (epoch ≥ 1,
//! tls12_cid, and every DTLS 1.3 unified-header record).
//!
//! Dissection is per datagram, so what a session would know is limited to the datagram: the
//! cipher suite a ServerHello selects is used for a ServerKeyExchange or ClientKeyExchange in
//! the same datagram; otherwise their layout is unknown and they are shown raw. The connection
//! ID length (negotiated in the handshake) is unknown, so a record with a CID cannot be walked.

use crate::datagram::{Dissected, Protocol};
use crate::session::Cx;
use crate::util::{bytes, hex, hex_preview, text_or_hex};
use rtcscope_dtls::ext::U16List;
use rtcscope_dtls::handshake::{
    Certificate, ClientHello, ClientKeyExchange, ServerHello, ServerKeyExchange,
};
use rtcscope_dtls::record::Ack;
use rtcscope_dtls::{
    Alert, ContentType, Epoch, Extension, ExtensionBody, ExtensionContext, Extensions, Fingerprint,
    HandshakeFragment, HandshakeFragments, HandshakeType, Message, MessageContext, Outcome,
    Protection, Record, RecordHeader, RecordOptions, Records, SequenceNumber,
};
use rtcscope_wire::tree::Node;
use rtcscope_wire::Field;

/// Dissects the DTLS records of a datagram at `base`; `None` when the first record cannot even
/// be framed (then the payload is not DTLS).
pub(crate) fn dtls(buf: &[u8], base: usize, cx: &mut Cx<'_>) -> Option<Dissected> {
    let mut records = Records::with_base(buf, base, RecordOptions::default()).peekable();
    if !matches!(records.peek(), Some(Ok(_))) {
        return None;
    }
    let mut tree = Node::new("Datagram Transport Layer Security", base..base + buf.len());
    let mut info: Vec<String> = Vec::new();
    let mut ctx = MessageContext::default();
    if let Some((version, suite)) = cx.negotiated() {
        ctx.version = version;
        ctx.cipher_suite = Some(suite);
    }
    for rec in records {
        match rec {
            Ok(rec) => tree.push(record(&rec, &mut ctx, &mut info, cx)),
            Err(e) => {
                tree.warn(e.to_string());
                break;
            }
        };
    }
    Some(Dissected {
        protocol: Protocol::Dtls,
        turn: false,
        inner: None,
        info: info.join(", "),
        tree,
    })
}

/// `client_hello` → `Client Hello`.
fn title(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn handshake_title(t: HandshakeType) -> String {
    match t.name() {
        Some(n) => title(n),
        None => format!("Handshake type {}", t.0),
    }
}

fn record(
    rec: &Record<'_>,
    ctx: &mut MessageContext,
    info: &mut Vec<String>,
    cx: &mut Cx<'_>,
) -> Node {
    let r = rec.range();
    let s = r.start;
    let frag = rec.fragment_range();
    let mut node = Node::new("Record", r.clone());
    match *rec.header() {
        RecordHeader::Plaintext {
            content_type,
            version,
            epoch,
            sequence,
        } => {
            node.value = Some(format!(
                "{content_type:?}, {version:?}, epoch {epoch}, seq {sequence}, {}",
                bytes(frag.len())
            ));
            node.add(
                "Content type",
                format!("{content_type:?} ({})", content_type.0),
                s..s + 1,
            );
            node.add(
                "Version",
                format!("{version:?} (0x{:04x})", version.0),
                s + 1..s + 3,
            );
            node.add("Epoch", epoch, s + 3..s + 5);
            node.add("Sequence number", sequence, s + 5..s + 11);
            node.add("Length", frag.len(), s + 11..s + 13);
            if rec.protection() == Protection::Plaintext {
                plaintext(&mut node, rec, content_type, ctx, info, cx);
            } else {
                let what = match content_type {
                    ContentType::HANDSHAKE => "Encrypted Handshake Message".to_owned(),
                    ContentType::ALERT => "Encrypted Alert".to_owned(),
                    ContentType::APPLICATION_DATA => "Application Data".to_owned(),
                    other => format!("Encrypted {other:?}"),
                };
                node.add("Encrypted content", bytes(frag.len()), frag);
                info.push(what);
            }
        }
        RecordHeader::Cid12 {
            version,
            epoch,
            sequence,
            cid,
        } => {
            node.value = Some(format!(
                "tls12_cid, {version:?}, epoch {epoch}, seq {sequence}, CID {}",
                hex(cid)
            ));
            node.add("Content type", "tls12_cid (25)", s..s + 1);
            node.add(
                "Version",
                format!("{version:?} (0x{:04x})", version.0),
                s + 1..s + 3,
            );
            node.add("Epoch", epoch, s + 3..s + 5);
            node.add("Sequence number", sequence, s + 5..s + 11);
            if let Some(cr) = rec.cid_range() {
                node.add("Connection ID", hex(cid), cr.clone());
                node.add("Length", frag.len(), cr.end..cr.end + 2);
            }
            node.add(
                "Encrypted content",
                format!(
                    "{} (real content type inside; CID length assumed {})",
                    bytes(frag.len()),
                    cid.len()
                ),
                frag,
            );
            info.push("Encrypted record (tls12_cid)".to_owned());
        }
        RecordHeader::Unified {
            flags,
            cid,
            sequence,
            length_present,
        } => {
            let epoch = match rec.epoch() {
                Epoch::LowBits(b) => b,
                Epoch::Full(e) => (e & 3) as u8,
            };
            node.value = Some(format!(
                "DTLS 1.3 unified header, encrypted, epoch ≡ {epoch} (mod 4), {}",
                bytes(frag.len())
            ));
            let mut f =
                Node::new("Flags", s..s + 1).with_value(format!("0x{flags:02x} ({flags:08b})"));
            f.add("Fixed bits", "001", s..s + 1);
            f.add("C (connection ID present)", flags & 0x10 != 0, s..s + 1);
            f.add("S (16-bit sequence number)", flags & 0x08 != 0, s..s + 1);
            f.add("L (length present)", length_present, s..s + 1);
            f.add("Epoch (low 2 bits)", epoch, s..s + 1);
            node.push(f);
            let mut at = s + 1;
            if let (Some(c), Some(cr)) = (cid, rec.cid_range()) {
                node.add("Connection ID", hex(c), cr.clone());
                at = cr.end;
            }
            if let SequenceNumber::Encrypted { bits, raw } = sequence {
                let n = usize::from(bits / 8);
                node.add(
                    "Encrypted sequence number",
                    format!(
                        "0x{raw:0w$x} ({bits} bits, masked: not the sequence number)",
                        w = n * 2
                    ),
                    at..at + n,
                );
                at += n;
            }
            if length_present {
                node.add("Length", frag.len(), at..at + 2);
            }
            node.add(
                "Encrypted record",
                format!(
                    "{} (content type, content and tag inside)",
                    bytes(frag.len())
                ),
                frag,
            );
            info.push("Encrypted (1.3 unified header)".to_owned());
        }
    }
    node
}

fn plaintext(
    node: &mut Node,
    rec: &Record<'_>,
    ct: ContentType,
    ctx: &mut MessageContext,
    info: &mut Vec<String>,
    cx: &mut Cx<'_>,
) {
    content(
        node,
        rec.fragment(),
        rec.fragment_range(),
        ct,
        ctx,
        info,
        cx,
    );
}

/// The content of a record decrypted with the user's keys (`dissect --keylog`): handshake
/// messages (DTLS 1.3's EncryptedExtensions, Certificate, CertificateVerify, Finished), an
/// alert, an ACK; application data is left to the caller (SCTP in WebRTC). Offsets are into
/// the plaintext. Returns the tree's children and the info words.
pub(crate) fn decrypted_content(bytes: &[u8], content_type: u8) -> (Node, Vec<String>) {
    let mut node = Node::new("Content", 0..bytes.len());
    let mut info = Vec::new();
    let mut ctx = MessageContext::default();
    content(
        &mut node,
        bytes,
        0..bytes.len(),
        ContentType(content_type),
        &mut ctx,
        &mut info,
        &mut Cx::stateless(),
    );
    (node, info)
}

fn content(
    node: &mut Node,
    content: &[u8],
    frag: Field,
    ct: ContentType,
    ctx: &mut MessageContext,
    info: &mut Vec<String>,
    cx: &mut Cx<'_>,
) {
    match ct {
        ContentType::HANDSHAKE => {
            for f in HandshakeFragments::new(content, frag.start) {
                match f {
                    Ok(f) => node.push(handshake(&f, ctx, info, cx)),
                    Err(e) => {
                        node.warn(e.to_string());
                        info.push("[malformed handshake]".to_owned());
                        break;
                    }
                };
            }
        }
        ContentType::ALERT => match Alert::parse(content, frag.start) {
            Ok(a) => {
                let mut n = Node::new("Alert", a.range.clone())
                    .with_value(format!("{:?}: {:?}", a.level, a.description));
                n.add(
                    "Level",
                    format!("{:?} ({})", a.level, a.level.0),
                    a.range.start..a.range.start + 1,
                );
                n.add(
                    "Description",
                    format!("{:?} ({})", a.description, a.description.0),
                    a.range.start + 1..a.range.end,
                );
                node.push(n);
                info.push(format!("Alert ({:?}: {:?})", a.level, a.description));
            }
            Err(e) => {
                node.add("Alert", hex_preview(content), frag);
                node.warn(e.to_string());
                info.push("Alert".to_owned());
            }
        },
        ContentType::CHANGE_CIPHER_SPEC => {
            node.add("Change cipher spec message", hex(content), frag);
            info.push("Change Cipher Spec".to_owned());
        }
        ContentType::ACK => match Ack::parse(content, frag.start) {
            Ok(ack) => {
                let mut n =
                    Node::new("ACK", frag.clone()).with_value(format!("{} records", ack.len()));
                for (i, rn) in ack.record_numbers().enumerate() {
                    let at = frag.start + 2 + 16 * i;
                    n.add(
                        "Record number",
                        format!("epoch {}, seq {}", rn.epoch, rn.sequence),
                        at..at + 16,
                    );
                }
                node.push(n);
                info.push("ACK".to_owned());
            }
            Err(e) => {
                node.add("ACK", hex_preview(content), frag);
                node.warn(e.to_string());
                info.push("ACK".to_owned());
            }
        },
        ContentType::APPLICATION_DATA => {
            node.add(
                "Application data (epoch 0, unprotected)",
                bytes(content.len()),
                frag,
            );
            info.push("Application Data".to_owned());
        }
        other => {
            node.add("Content", hex_preview(content), frag);
            info.push(format!("{other:?}"));
        }
    }
}

fn handshake(
    f: &HandshakeFragment<'_>,
    ctx: &mut MessageContext,
    info: &mut Vec<String>,
    cx: &mut Cx<'_>,
) -> Node {
    let s = f.offset;
    let mut name = handshake_title(f.msg_type);
    let mut node = Node::new(format!("Handshake: {name}"), f.range());
    node.add(
        "Handshake type",
        format!("{:?} ({})", f.msg_type, f.msg_type.0),
        s..s + 1,
    );
    node.add("Length", f.length, s + 1..s + 4);
    node.add("Message sequence", f.message_seq, s + 4..s + 6);
    node.add("Fragment offset", f.fragment_offset, s + 6..s + 9);
    node.add("Fragment length", f.fragment_length(), s + 9..s + 12);
    if !f.is_complete() {
        let end = f.fragment_offset + f.fragment_length();
        node.add(
            "Fragment",
            format!(
                "bytes {}..{} of {} (reassembly needs the other fragments)",
                f.fragment_offset, end, f.length
            ),
            f.body.range(),
        );
        if f.fragment_offset == 0 && f.msg_type == HandshakeType::CLIENT_HELLO {
            partial_client_hello(&mut node, f);
        }
        let fragment = format!("fragment {}..{end} of {}", f.fragment_offset, f.length);
        match cx.reassemble(f) {
            // Stateless: the fragment alone.
            None => info.push(format!("{name} ({fragment})")),
            Some(Ok((Outcome::Complete(m), frames, more))) => {
                let list = frame_list(&frames, more);
                node.push(reassembled(&m, &name, &list, f.range(), ctx, cx));
                info.push(format!("{name} (reassembled from frames {list})"));
            }
            Some(Ok((Outcome::Pending, frames, more))) => {
                node.add(
                    "Reassembly",
                    format!(
                        "pending: fragments so far in frames {}",
                        frame_list(&frames, more)
                    ),
                    f.range(),
                );
                info.push(format!("{name} ({fragment})"));
            }
            Some(Ok((Outcome::Retransmission { .. }, _, _))) => {
                node.add(
                    "Reassembly",
                    "retransmission of a message already reassembled",
                    f.range(),
                );
                info.push(format!("{name} ({fragment}, retransmission)"));
            }
            Some(Ok((Outcome::Duplicate, _, _))) => {
                node.add("Reassembly", "duplicate: no new bytes", f.range());
                info.push(format!("{name} ({fragment}, duplicate)"));
            }
            Some(Err(e)) => {
                node.warn(format!("reassembly: {e}"));
                info.push(format!("{name} ({fragment})"));
            }
        }
        return node;
    }
    match Message::parse(f.msg_type, f.body.bytes, f.body.offset, ctx) {
        Ok(m) => {
            if let Message::ServerHello(sh) = &m {
                if sh.is_hello_retry_request() {
                    name = "Hello Retry Request".to_owned();
                    node.label = format!("Handshake: {name}");
                }
                negotiated(ctx, cx, sh);
            }
            message(&mut node, &m, f.body.range());
        }
        Err(e) => {
            node.add("Body", hex_preview(f.body.bytes), f.body.range());
            node.warn(e.to_string());
        }
    }
    info.push(name);
    node
}

/// What a ServerHello selected shapes the messages after it: the cipher suite (the key
/// exchange's layout) and the version (DTLS 1.0 signatures carry no algorithm). DTLS 1.3's
/// ServerHello says 1.2 (its real version is in an extension), and its later messages are
/// encrypted, so 1.2 is right for what can be read.
fn negotiated(ctx: &mut MessageContext, cx: &mut Cx<'_>, sh: &ServerHello<'_>) {
    ctx.cipher_suite = Some(sh.cipher_suite);
    if !sh.is_hello_retry_request() {
        ctx.version = sh.server_version;
        cx.set_negotiated(sh.server_version, sh.cipher_suite);
    }
}

/// `4, 5, 6` (and `… and N more`).
pub(crate) fn frame_list(frames: &[u64], more: usize) -> String {
    let mut s = frames
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// A message reassembled from fragments, parsed. Its bytes are not in this frame as one
/// piece, so every node of it spans the fragment that completed it (`at`); offsets inside the
/// message are given in the labels' stead by the message's own structure.
fn reassembled(
    m: &rtcscope_dtls::reassembly::CompleteMessage<'_>,
    name: &str,
    frames: &str,
    at: rtcscope_wire::Field,
    ctx: &mut MessageContext,
    cx: &mut Cx<'_>,
) -> Node {
    let body: &[u8] = &m.body;
    let mut node =
        Node::new(format!("Reassembled Handshake: {name}"), at.clone()).with_value(format!(
            "{} (message_seq {}), reassembled from frames {frames}",
            bytes(body.len()),
            m.message_seq
        ));
    node.add("Reassembled length", body.len(), at.clone());
    match Message::parse(m.msg_type, body, 0, ctx) {
        Ok(msg) => {
            if let Message::ServerHello(sh) = &msg {
                negotiated(ctx, cx, sh);
            }
            message(&mut node, &msg, 0..body.len());
        }
        Err(e) => {
            node.add("Body", hex_preview(body), 0..body.len());
            node.warn(e.to_string());
        }
    }
    for c in &mut node.children {
        set_range(c, &at);
    }
    node
}

fn set_range(n: &mut Node, at: &rtcscope_wire::Field) {
    n.range = at.clone();
    for c in &mut n.children {
        set_range(c, at);
    }
}

/// The first fragment of a ClientHello: its fixed fields and every extension that is complete
/// in this fragment (a WebRTC ClientHello with a post-quantum key share is larger than one
/// datagram, so the first fragment is all a single packet shows).
fn partial_client_hello(node: &mut Node, f: &HandshakeFragment<'_>) {
    let b = f.body.bytes;
    let at = f.body.offset;
    let u8_at = |i: usize| b.get(i).copied().map(usize::from);
    let u16_at = |i: usize| {
        Some(usize::from(u16::from_be_bytes([
            *b.get(i)?,
            *b.get(i + 1)?,
        ])))
    };
    let mut part = Node::new("Partial ClientHello (first fragment)", f.body.range());
    let Some(v) = u16_at(0) else {
        node.push(part);
        return;
    };
    part.add(
        "Client version",
        format!("{:?}", rtcscope_dtls::ProtocolVersion(v as u16)),
        at..at + 2,
    );
    let mut pos = 2;
    if b.len() < pos + 32 {
        node.push(part);
        return;
    }
    part.add("Random", hex(&b[pos..pos + 32]), at + pos..at + pos + 32);
    pos += 32;
    for (label, width) in [
        ("Session ID", 1),
        ("Cookie", 1),
        ("Cipher suites", 2),
        ("Compression methods", 1),
    ] {
        let len = if width == 1 { u8_at(pos) } else { u16_at(pos) };
        let Some(len) = len.filter(|l| pos + width + l <= b.len()) else {
            node.push(part);
            return;
        };
        let body = &b[pos + width..pos + width + len];
        let value = if label == "Cipher suites" {
            body.chunks_exact(2)
                .map(|c| {
                    format!(
                        "{:?}",
                        rtcscope_dtls::CipherSuite(u16::from_be_bytes([c[0], c[1]]))
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            hex_preview(body)
        };
        part.add(label, value, at + pos..at + pos + width + len);
        pos += width + len;
    }
    if u16_at(pos).is_none() {
        node.push(part);
        return;
    }
    pos += 2;
    let mut list = Node::new(
        "Extensions (complete in this fragment)",
        at + pos..at + b.len(),
    );
    while let (Some(t), Some(len)) = (u16_at(pos), u16_at(pos + 2)) {
        if pos + 4 + len > b.len() {
            list.add(
                "…",
                format!(
                    "continues in the next fragment ({} of this extension here)",
                    bytes(b.len() - pos)
                ),
                at + pos..at + b.len(),
            );
            break;
        }
        let e = Extension {
            ext_type: rtcscope_dtls::ExtensionType(t as u16),
            data: rtcscope_dtls::Span {
                bytes: &b[pos + 4..pos + 4 + len],
                offset: at + pos + 4,
            },
            offset: at + pos,
        };
        list.push(extension(&e, ExtensionContext::ClientHello));
        let before = pos;
        pos += 4 + len;
        debug_assert!(
            pos >= before + 4,
            "partial_client_hello: extension walk did not advance past a header"
        );
    }
    part.push(list);
    node.push(part);
}

fn span_leaf(node: &mut Node, label: &str, bytes_: &[u8], range: Field) {
    node.add(
        label,
        format!("{} ({})", hex_preview(bytes_), bytes(bytes_.len())),
        range,
    );
}

/// The vector's length prefix sits just before its body.
fn with_prefix(body: Field, prefix: usize) -> Field {
    body.start.saturating_sub(prefix)..body.end
}

fn message(node: &mut Node, m: &Message<'_>, body: Field) {
    match m {
        Message::ClientHello(ch) => client_hello(node, ch),
        Message::ServerHello(sh) => server_hello(node, sh),
        Message::HelloVerifyRequest(h) => {
            node.add(
                "Server version",
                format!("{:?}", h.server_version),
                body.start..body.start + 2,
            );
            span_leaf(
                node,
                "Cookie",
                h.cookie.bytes,
                with_prefix(h.cookie.range(), 1),
            );
        }
        Message::Certificate(c) => certificate(node, c),
        Message::ServerKeyExchange(k) => server_key_exchange(node, k, body),
        Message::ClientKeyExchange(k) => client_key_exchange(node, k, body),
        Message::CertificateRequest(cr) => {
            let types: Vec<String> = cr.types().map(|t| format!("{t:?}")).collect();
            node.add(
                "Certificate types",
                types.join(", "),
                with_prefix(cr.certificate_types.range(), 1),
            );
            if let Some(algs) = &cr.signature_algorithms {
                node.push(u16_list("Signature algorithms", algs, 2));
            }
            node.add(
                "Certificate authorities",
                bytes(cr.certificate_authorities.len()),
                with_prefix(cr.certificate_authorities.range(), 2),
            );
        }
        Message::CertificateVerify(ds) => {
            if let Some(a) = ds.algorithm {
                node.add(
                    "Signature algorithm",
                    format!("{a:?}"),
                    body.start..body.start + 2,
                );
            }
            span_leaf(
                node,
                "Signature",
                ds.signature.bytes,
                with_prefix(ds.signature.range(), 2),
            );
        }
        Message::Finished(v) => span_leaf(node, "Verify data", v.bytes, v.range()),
        Message::NewSessionTicket(t) => {
            node.add(
                "Lifetime",
                format!("{} s", t.lifetime),
                body.start..body.start + 4,
            );
            span_leaf(
                node,
                "Ticket",
                t.ticket.bytes,
                with_prefix(t.ticket.range(), 2),
            );
        }
        Message::EncryptedExtensions(e) => {
            extensions(node, e.clone(), ExtensionContext::EncryptedExtensions);
        }
        Message::KeyUpdate(u) => node.add("Request update", u, body),
        Message::HelloRequest | Message::ServerHelloDone => {}
        Message::Other(_, s) => span_leaf(node, "Body", s.bytes, s.range()),
    }
}

fn u16_list<T: From<u16> + core::fmt::Debug>(
    label: &str,
    l: &U16List<'_, T>,
    prefix: usize,
) -> Node {
    let mut n =
        Node::new(label, with_prefix(l.range(), prefix)).with_value(format!("{} entries", l.len()));
    for (i, v) in l.iter().enumerate() {
        n.add(
            label.trim_end_matches('s'),
            format!("{v:?}"),
            l.entry_range(i),
        );
    }
    n
}

fn client_hello(node: &mut Node, ch: &ClientHello<'_>) {
    let r = ch.random.range();
    node.add(
        "Client version",
        format!("{:?} (0x{:04x})", ch.client_version, ch.client_version.0),
        r.start.saturating_sub(2)..r.start,
    );
    node.add("Random", hex(ch.random.bytes), r);
    span_leaf(
        node,
        "Session ID",
        ch.session_id.bytes,
        with_prefix(ch.session_id.range(), 1),
    );
    span_leaf(
        node,
        "Cookie",
        ch.cookie.bytes,
        with_prefix(ch.cookie.range(), 1),
    );
    node.push(u16_list("Cipher suites", &ch.cipher_suites, 2));
    let methods: Vec<String> = ch.compression().map(|c| format!("{c:?}")).collect();
    node.add(
        "Compression methods",
        methods.join(", "),
        with_prefix(ch.compression_methods.range(), 1),
    );
    if let Some(e) = &ch.extensions {
        extensions(node, e.clone(), ExtensionContext::ClientHello);
    }
}

fn server_hello(node: &mut Node, sh: &ServerHello<'_>) {
    let r = sh.random.range();
    node.add(
        "Server version",
        format!("{:?} (0x{:04x})", sh.server_version, sh.server_version.0),
        r.start.saturating_sub(2)..r.start,
    );
    node.add("Random", hex(sh.random.bytes), r);
    span_leaf(
        node,
        "Session ID",
        sh.session_id.bytes,
        with_prefix(sh.session_id.range(), 1),
    );
    let c = sh.cipher_suite_offset;
    node.add(
        "Cipher suite",
        format!("{:?} (0x{:04x})", sh.cipher_suite, sh.cipher_suite.0),
        c..c + 2,
    );
    node.add(
        "Compression method",
        format!("{:?}", sh.compression_method),
        c + 2..c + 3,
    );
    node.add(
        "Negotiated version",
        format!("{:?}", sh.negotiated_version()),
        node.range.clone(),
    );
    if let Some(e) = &sh.extensions {
        extensions(node, e.clone(), sh.context());
    }
}

fn extensions(node: &mut Node, exts: Extensions<'_>, ctx: ExtensionContext) {
    let mut list = Node::new("Extensions", with_prefix(exts.range(), 2));
    let mut n = 0;
    for e in exts {
        match e {
            Ok(e) => {
                n += 1;
                list.push(extension(&e, ctx));
            }
            Err(err) => {
                list.warn(err.to_string());
                break;
            }
        }
    }
    list.value = Some(format!("{n} extensions"));
    node.push(list);
}

fn extension(e: &Extension<'_>, ctx: ExtensionContext) -> Node {
    let r = e.range();
    let s = r.start;
    let name = match e.ext_type.name() {
        Some(n) => n.to_owned(),
        None => format!("unknown 0x{:04x}", e.ext_type.0),
    };
    let mut n = Node::new(format!("Extension: {name}"), r.clone());
    n.add(
        "Type",
        format!("{:?} ({})", e.ext_type, e.ext_type.0),
        s..s + 2,
    );
    n.add("Length", e.data.len(), s + 2..s + 4);
    let d = e.data.range();
    match e.body(ctx) {
        Ok(body) => {
            let v = ext_body(&mut n, &body, d.clone());
            if let Some(v) = v {
                n.value = Some(v);
            }
        }
        Err(err) => {
            n.add("Data", hex_preview(e.data.bytes), d);
            n.warn(err.to_string());
        }
    }
    n
}

/// Adds the body's fields under `n` and returns a one-line summary for the extension node.
fn ext_body(n: &mut Node, body: &ExtensionBody<'_>, d: Field) -> Option<String> {
    let names = |it: &mut dyn Iterator<Item = String>| it.collect::<Vec<_>>().join(", ");
    match body {
        ExtensionBody::UseSrtp(u) => {
            n.push(u16_list("Protection profiles", &u.profiles, 2));
            span_leaf(n, "MKI", u.mki.bytes, with_prefix(u.mki.range(), 1));
            Some(names(&mut u.profiles.iter().map(|p| format!("{p:?}"))))
        }
        ExtensionBody::SupportedVersions(v) => {
            n.push(u16_list("Versions", v, 1));
            Some(names(&mut v.iter().map(|p| format!("{p:?}"))))
        }
        ExtensionBody::SelectedVersion(v) => {
            n.add("Selected version", format!("{v:?}"), d);
            Some(format!("{v:?}"))
        }
        ExtensionBody::SupportedGroups(g) => {
            n.push(u16_list("Groups", g, 2));
            Some(names(&mut g.iter().map(|p| format!("{p:?}"))))
        }
        ExtensionBody::SignatureAlgorithms(a) => {
            n.push(u16_list("Signature algorithms", a, 2));
            Some(format!("{} algorithms", a.len()))
        }
        ExtensionBody::Empty => None,
        ExtensionBody::RenegotiationInfo(s) => {
            span_leaf(
                n,
                "Renegotiated connection",
                s.bytes,
                with_prefix(s.range(), 1),
            );
            None
        }
        ExtensionBody::ConnectionId(c) => {
            n.add("Connection ID", hex(c.bytes), with_prefix(c.range(), 1));
            Some(if c.is_empty() {
                "zero-length (supports CIDs, wants none)".to_owned()
            } else {
                hex(c.bytes)
            })
        }
        ExtensionBody::KeyShareClient(shares) => {
            let mut groups = Vec::new();
            for ks in shares.clone() {
                match ks {
                    Ok(ks) => {
                        let kr = ks.key_exchange.range();
                        groups.push(format!("{:?}", ks.group));
                        n.add(
                            "Key share",
                            format!("{:?}, {} key", ks.group, bytes(ks.key_exchange.len())),
                            kr.start.saturating_sub(4)..kr.end,
                        );
                    }
                    Err(e) => {
                        n.warn(e.to_string());
                        break;
                    }
                }
            }
            Some(groups.join(", "))
        }
        ExtensionBody::KeyShareServer(ks) => {
            n.add(
                "Key share",
                format!("{:?}, {} key", ks.group, bytes(ks.key_exchange.len())),
                d,
            );
            Some(format!("{:?}", ks.group))
        }
        ExtensionBody::KeyShareRetry(g) => {
            n.add("Selected group", format!("{g:?}"), d);
            Some(format!("{g:?}"))
        }
        ExtensionBody::Alpn(protos) => {
            let mut v = Vec::new();
            for p in protos.clone() {
                match p {
                    Ok(p) => {
                        v.push(text_or_hex(p.bytes));
                        n.add("Protocol", text_or_hex(p.bytes), with_prefix(p.range(), 1));
                    }
                    Err(e) => {
                        n.warn(e.to_string());
                        break;
                    }
                }
            }
            Some(v.join(", "))
        }
        ExtensionBody::EcPointFormats(_) | ExtensionBody::PskKeyExchangeModes(_) => {
            let v = if let Some(f) = body.ec_point_formats() {
                names(&mut f.map(|x| format!("{x:?}")))
            } else if let Some(m) = body.psk_modes() {
                names(&mut m.map(|x| format!("{x:?}")))
            } else {
                String::new()
            };
            n.add("Values", &v, d);
            Some(v)
        }
        ExtensionBody::SessionTicket(s) | ExtensionBody::Padding(s) | ExtensionBody::Unknown(s) => {
            if !s.is_empty() {
                span_leaf(n, "Data", s.bytes, s.range());
            }
            None
        }
        ExtensionBody::Cookie(c) => {
            span_leaf(n, "Cookie", c.bytes, with_prefix(c.range(), 2));
            None
        }
        ExtensionBody::ServerName(names_) => {
            let mut v = Vec::new();
            for sn in names_.clone() {
                match sn {
                    Ok((t, name)) => {
                        v.push(text_or_hex(name.bytes));
                        n.add(
                            format!("Server name (type {t})"),
                            text_or_hex(name.bytes),
                            with_prefix(name.range(), 3),
                        );
                    }
                    Err(e) => {
                        n.warn(e.to_string());
                        break;
                    }
                }
            }
            Some(v.join(", "))
        }
        ExtensionBody::RecordSizeLimit(l) => {
            n.add("Record size limit", l, d);
            Some(l.to_string())
        }
        ExtensionBody::MaxFragmentLength(c) => {
            n.add("Max fragment length code", c, d);
            Some(c.to_string())
        }
    }
}

fn certificate(node: &mut Node, c: &Certificate<'_>) {
    if let Some(ctxt) = &c.request_context {
        span_leaf(
            node,
            "Request context",
            ctxt.bytes,
            with_prefix(ctxt.range(), 1),
        );
    }
    let mut list = Node::new("Certificates", with_prefix(c.list_range(), 3));
    let mut n = 0;
    for e in c.entries() {
        match e {
            Ok(e) => {
                n += 1;
                let fp = Fingerprint::sha256(e.der.bytes);
                let mut cert = Node::new("Certificate", with_prefix(e.der.range(), 3))
                    .with_value(format!("{} DER, {fp}", bytes(e.der.len())));
                cert.add("Length", e.der.len(), cert.range.start..e.der.range().start);
                cert.add("Fingerprint (a=fingerprint)", fp.to_string(), e.der.range());
                cert.add("DER", hex_preview(e.der.bytes), e.der.range());
                list.push(cert);
            }
            Err(err) => {
                list.warn(err.to_string());
                break;
            }
        }
    }
    list.value = Some(format!("{n} certificates"));
    node.push(list);
}

fn server_key_exchange(node: &mut Node, k: &ServerKeyExchange<'_>, body: Field) {
    match k {
        ServerKeyExchange::Ecdhe {
            psk_identity_hint,
            group,
            public,
            signature,
        } => {
            if let Some(h) = psk_identity_hint {
                span_leaf(
                    node,
                    "PSK identity hint",
                    h.bytes,
                    with_prefix(h.range(), 2),
                );
            }
            let pr = public.range();
            node.add(
                "Named curve",
                format!("{group:?}"),
                pr.start.saturating_sub(3)..pr.start - 1,
            );
            span_leaf(node, "Public key", public.bytes, with_prefix(pr, 1));
            if let Some(sig) = signature {
                let sr = sig.signature.range();
                if let Some(a) = sig.algorithm {
                    node.add(
                        "Signature algorithm",
                        format!("{a:?}"),
                        sr.start.saturating_sub(4)..sr.start - 2,
                    );
                }
                span_leaf(node, "Signature", sig.signature.bytes, with_prefix(sr, 2));
            }
        }
        ServerKeyExchange::Dhe {
            p,
            g,
            ys,
            signature,
        } => {
            span_leaf(node, "p", p.bytes, with_prefix(p.range(), 2));
            span_leaf(node, "g", g.bytes, with_prefix(g.range(), 2));
            span_leaf(node, "Ys", ys.bytes, with_prefix(ys.range(), 2));
            span_leaf(
                node,
                "Signature",
                signature.signature.bytes,
                with_prefix(signature.signature.range(), 2),
            );
        }
        ServerKeyExchange::Psk { psk_identity_hint } => {
            span_leaf(
                node,
                "PSK identity hint",
                psk_identity_hint.bytes,
                with_prefix(psk_identity_hint.range(), 2),
            );
        }
        ServerKeyExchange::Unknown(s) => node.add(
            "Parameters",
            format!(
                "{} (layout depends on the cipher suite, not in this datagram)",
                bytes(s.len())
            ),
            body,
        ),
    }
}

fn client_key_exchange(node: &mut Node, k: &ClientKeyExchange<'_>, body: Field) {
    match k {
        ClientKeyExchange::Ecdhe {
            psk_identity,
            public,
        } => {
            if let Some(i) = psk_identity {
                span_leaf(node, "PSK identity", i.bytes, with_prefix(i.range(), 2));
            }
            span_leaf(
                node,
                "Public key",
                public.bytes,
                with_prefix(public.range(), 1),
            );
        }
        ClientKeyExchange::Dhe(s) => span_leaf(node, "Yc", s.bytes, with_prefix(s.range(), 2)),
        ClientKeyExchange::Rsa(s) => span_leaf(
            node,
            "Encrypted premaster secret",
            s.bytes,
            with_prefix(s.range(), 2),
        ),
        ClientKeyExchange::Psk(s) => {
            span_leaf(node, "PSK identity", s.bytes, with_prefix(s.range(), 2))
        }
        ClientKeyExchange::Unknown(s) => node.add(
            "Exchange keys",
            format!(
                "{} (layout depends on the cipher suite, not in this datagram)",
                bytes(s.len())
            ),
            body,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(title("client_hello"), "Client Hello");
        assert_eq!(title("server_hello_done"), "Server Hello Done");
    }
}
