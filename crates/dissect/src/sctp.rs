//! SCTP (RFC 9260) carried directly in UDP (RFC 6951), with DCEP (RFC 8832) and the WebRTC
//! payload protocol identifiers.
//!
//! Nothing in the first byte says "SCTP" (the source port comes first), so a UDP payload is
//! dissected as SCTP only on the ports the user names ([`crate::DissectOptions::sctp_ports`]).
//! In WebRTC, SCTP travels inside DTLS and is encrypted; this path is for RFC 6951 deployments,
//! test set-ups and decrypted captures.

use crate::datagram::{Dissected, Protocol};
use crate::util::{bytes, hex_preview, text_or_hex, yes_no};
use rtcscope_sctp::chunk::{flags, DataChunk, IDataChunk, InitChunk, SackChunk};
use rtcscope_sctp::{
    CauseBody, Causes, ChecksumStatus, Chunk, ChunkBody, DcepMessage, Packet, ParamBody, Params,
    Ppid, ZeroChecksum,
};
use rtcscope_wire::tree::Node;

/// Dissects an SCTP packet at `base`; `None` when the common header does not fit.
pub(crate) fn sctp(buf: &[u8], base: usize) -> Option<Dissected> {
    let p = Packet::with_base(buf, base).ok()?;
    let mut tree = Node::new(
        "Stream Control Transmission Protocol",
        base..base + buf.len(),
    );
    tree.add("Source port", p.src_port(), base..base + 2);
    tree.add("Destination port", p.dst_port(), base + 2..base + 4);
    tree.add(
        "Verification tag",
        format!("0x{:08x}", p.verification_tag()),
        base + 4..base + 8,
    );
    let status = p.checksum_status(ZeroChecksum::NotNegotiated);
    let mut ck = Node::leaf(
        "Checksum",
        format!("0x{:08x} (CRC32c, little-endian)", p.checksum_field()),
        base + 8..base + 12,
    );
    match status {
        ChecksumStatus::Valid => ck.add("CRC32c check", "valid", base + 8..base + 12),
        ChecksumStatus::ZeroAccepted => {
            ck.add("CRC32c check", "zero (RFC 9653)", base + 8..base + 12)
        }
        ChecksumStatus::Mismatch { computed, found: 0 } => {
            ck.add(
                "CRC32c check",
                format!("zero: fine only if RFC 9653 zero checksums were negotiated (computed 0x{computed:08x})"),
                base + 8..base + 12,
            );
        }
        ChecksumStatus::Mismatch { computed, .. } => {
            ck.add(
                "CRC32c check",
                format!("mismatch, computed 0x{computed:08x}"),
                base + 8..base + 12,
            );
            ck.warn(format!("CRC32c mismatch (computed 0x{computed:08x})"));
        }
    }
    tree.push(ck);
    let mut info = Vec::new();
    for c in p.chunks() {
        match c {
            Ok(c) => tree.push(chunk(&c, &mut info)),
            Err(e) => {
                tree.warn(e.to_string());
                break;
            }
        };
    }
    if info.is_empty() {
        info.push("no chunks".to_owned());
    }
    Some(Dissected {
        protocol: Protocol::Sctp,
        turn: false,
        inner: None,
        info: info.join(", "),
        tree,
    })
}

fn chunk(c: &Chunk<'_>, info: &mut Vec<String>) -> Node {
    let r = c.range();
    let s = r.start;
    let name = match c.ctype.name() {
        Some(n) => n.to_owned(),
        None => format!("chunk type {}", c.ctype.0),
    };
    let mut n = Node::new(name.clone(), r.clone());
    n.add("Type", format!("{:?} ({})", c.ctype, c.ctype.0), s..s + 1);
    n.add("Flags", format!("0x{:02x}", c.flags), s + 1..s + 2);
    n.add("Length", c.length(), s + 2..s + 4);
    let v = c.value.offset;
    let mut summary = name;
    match c.body() {
        Ok(body) => match body {
            ChunkBody::Data(d) => {
                let (extra, node) = data(&d, v);
                summary.push_str(&extra);
                n.value = node.value.clone();
                n.children.extend(node.children);
            }
            ChunkBody::IData(d) => {
                let (extra, node) = idata(&d, v);
                summary.push_str(&extra);
                n.value = node.value.clone();
                n.children.extend(node.children);
            }
            ChunkBody::Init(i) | ChunkBody::InitAck(i) => init(&mut n, &i, v),
            ChunkBody::Sack(sk) | ChunkBody::NrSack(sk) => {
                n.value = Some(format!("cumulative TSN ack {}", sk.cum_tsn_ack));
                sack(&mut n, &sk, v);
            }
            ChunkBody::Heartbeat(p) | ChunkBody::HeartbeatAck(p) => params(&mut n, p),
            ChunkBody::Abort { t, causes } => {
                n.add("T (tag reflected)", yes_no(t), s + 1..s + 2);
                self::causes(&mut n, causes);
            }
            ChunkBody::Shutdown(tsn) => n.add("Cumulative TSN ack", tsn, v..v + 4),
            ChunkBody::ShutdownComplete { t } => {
                n.add("T (tag reflected)", yes_no(t), s + 1..s + 2)
            }
            ChunkBody::Error(cs) => causes(&mut n, cs),
            ChunkBody::CookieEcho(ck) => n.add("Cookie", bytes(ck.len()), ck.range()),
            ChunkBody::Ecne {
                lowest_tsn,
                marked_packets,
            } => {
                n.add("Lowest TSN", lowest_tsn, v..v + 4);
                if let Some(m) = marked_packets {
                    n.add("Marked packets", m, v + 4..v + 8);
                }
            }
            ChunkBody::Cwr(tsn) => n.add("Lowest TSN", tsn, v..v + 4),
            ChunkBody::ForwardTsn {
                new_cum_tsn,
                streams,
            } => {
                n.add("New cumulative TSN", new_cum_tsn, v..v + 4);
                for (i, (sid, ssn)) in streams
                    .bytes
                    .chunks_exact(4)
                    .map(|c| {
                        (
                            u16::from_be_bytes([c[0], c[1]]),
                            u16::from_be_bytes([c[2], c[3]]),
                        )
                    })
                    .enumerate()
                {
                    let at = streams.offset + 4 * i;
                    n.add("Stream", format!("{sid}, SSN {ssn}"), at..at + 4);
                }
            }
            ChunkBody::IForwardTsn {
                new_cum_tsn,
                entries,
            } => {
                n.add("New cumulative TSN", new_cum_tsn, v..v + 4);
                n.add("Entries", bytes(entries.len()), entries.range());
            }
            ChunkBody::ReConfig(p) => params(&mut n, p),
            ChunkBody::Auth {
                shared_key_id,
                hmac_id,
                hmac,
            } => {
                n.add("Shared key identifier", shared_key_id, v..v + 2);
                n.add("HMAC identifier", format!("{hmac_id:?}"), v + 2..v + 4);
                n.add("HMAC", hex_preview(hmac.bytes), hmac.range());
            }
            ChunkBody::Asconf { serial, params: p }
            | ChunkBody::AsconfAck { serial, params: p } => {
                n.add("Serial number", serial, v..v + 4);
                params(&mut n, p);
            }
            ChunkBody::Pad(p) => n.add("Padding", bytes(p.len()), p.range()),
            ChunkBody::CookieAck | ChunkBody::ShutdownAck => {}
            ChunkBody::Unknown { action, value } => {
                n.add("Unknown chunk action", format!("{action:?}"), s..s + 1);
                n.add("Value", hex_preview(value.bytes), value.range());
            }
        },
        Err(e) => {
            n.add("Value", hex_preview(c.value.bytes), c.value.range());
            n.warn(e.to_string());
        }
    }
    info.push(summary);
    n
}

fn data_flags(f: u8) -> String {
    let mut v = Vec::new();
    for (bit, name) in [
        (flags::IMMEDIATE, "I"),
        (flags::UNORDERED, "U"),
        (flags::BEGIN, "B"),
        (flags::END, "E"),
    ] {
        if f & bit != 0 {
            v.push(name);
        }
    }
    v.join("")
}

fn ppid_text(p: Ppid) -> String {
    match p.name() {
        Some(n) => format!("{n} ({})", p.0),
        None => p.0.to_string(),
    }
}

/// The user data as what its PPID says: DCEP, a string, or binary.
fn user_data(node: &mut Node, ppid: Option<Ppid>, d: &rtcscope_sctp::Span<'_>) -> String {
    match ppid {
        Some(Ppid::WEBRTC_DCEP) => match DcepMessage::parse(d.bytes, d.offset) {
            Ok(m) => {
                let (text, sub) = dcep(&m, d);
                node.push(sub);
                format!(" {text}")
            }
            Err(e) => {
                let mut u = Node::leaf("User data", hex_preview(d.bytes), d.range());
                u.warn(e.to_string());
                node.push(u);
                " DCEP (malformed)".to_owned()
            }
        },
        Some(Ppid::WEBRTC_STRING) | Some(Ppid::WEBRTC_STRING_PARTIAL) => {
            node.add("User data (string)", text_or_hex(d.bytes), d.range());
            format!(" {}", text_or_hex(d.bytes))
        }
        _ => {
            node.add(
                "User data",
                format!("{}: {}", bytes(d.len()), hex_preview(d.bytes)),
                d.range(),
            );
            format!(" {}", bytes(d.len()))
        }
    }
}

fn dcep(m: &DcepMessage<'_>, d: &rtcscope_sctp::Span<'_>) -> (String, Node) {
    let r = d.range();
    let s = r.start;
    let mut n = Node::new("Data Channel Establishment Protocol", r.clone());
    let text = match m {
        DcepMessage::Open(o) => {
            n.add("Message type", "DATA_CHANNEL_OPEN (0x03)", s..s + 1);
            n.add(
                "Channel type",
                format!("{:?}", o.channel_type),
                s + 1..s + 2,
            );
            n.add("Priority", o.priority, s + 2..s + 4);
            n.add(
                "Reliability parameter",
                format!("{} ({:?})", o.reliability_parameter, o.reliability()),
                s + 4..s + 8,
            );
            n.add("Label length", o.label.len(), s + 8..s + 10);
            n.add("Protocol length", o.protocol.len(), s + 10..s + 12);
            n.add("Label", text_or_hex(o.label.bytes), o.label.range());
            n.add(
                "Protocol",
                text_or_hex(o.protocol.bytes),
                o.protocol.range(),
            );
            format!("DATA_CHANNEL_OPEN label={}", text_or_hex(o.label.bytes))
        }
        DcepMessage::Ack { trailing } => {
            n.add("Message type", "DATA_CHANNEL_ACK (0x02)", s..s + 1);
            if !trailing.is_empty() {
                n.add(
                    "Trailing bytes",
                    hex_preview(trailing.bytes),
                    trailing.range(),
                );
            }
            "DATA_CHANNEL_ACK".to_owned()
        }
        DcepMessage::LegacyOpenRequest(o) => {
            n.add(
                "Message type",
                "DATA_CHANNEL_OPEN_REQUEST (legacy, 0x00)",
                s..s + 1,
            );
            n.add(
                "Channel type",
                format!("{:?}", o.channel_type),
                s + 1..s + 2,
            );
            n.add("Flags", format!("0x{:04x}", o.flags), s + 2..s + 4);
            n.add(
                "Reliability parameter",
                o.reliability_parameter,
                s + 4..s + 6,
            );
            n.add("Priority", o.priority, s + 6..s + 8);
            n.add("Label", text_or_hex(o.label.bytes), o.label.range());
            format!(
                "DATA_CHANNEL_OPEN_REQUEST label={}",
                text_or_hex(o.label.bytes)
            )
        }
        DcepMessage::LegacyOpenResponse {
            error,
            flags,
            reverse_stream,
        } => {
            n.add(
                "Message type",
                "DATA_CHANNEL_OPEN_RESPONSE (legacy, 0x01)",
                s..s + 1,
            );
            n.add("Error", error, s + 1..s + 2);
            n.add("Flags", format!("0x{flags:04x}"), s + 2..s + 4);
            n.add("Reverse stream", reverse_stream, s + 4..r.end);
            "DATA_CHANNEL_OPEN_RESPONSE".to_owned()
        }
    };
    n.value = Some(text.clone());
    (text, n)
}

fn data(d: &DataChunk<'_>, v: usize) -> (String, Node) {
    let mut n = Node::new("", 0..0);
    n.add("TSN", d.tsn, v..v + 4);
    n.add("Stream identifier", d.stream_id, v + 4..v + 6);
    n.add("Stream sequence number", d.ssn, v + 6..v + 8);
    n.add(
        "Payload protocol identifier",
        ppid_text(d.ppid),
        v + 8..v + 12,
    );
    n.add(
        "Flags (I U B E)",
        data_flags(d.flags),
        v.saturating_sub(3)..v.saturating_sub(2),
    );
    let extra = user_data(&mut n, Some(d.ppid), &d.user_data);
    n.value = Some(format!(
        "TSN {}, stream {}, SSN {}, PPID {}",
        d.tsn,
        d.stream_id,
        d.ssn,
        ppid_text(d.ppid)
    ));
    (
        format!(" (TSN {}, stream {}){extra}", d.tsn, d.stream_id),
        n,
    )
}

fn idata(d: &IDataChunk<'_>, v: usize) -> (String, Node) {
    let mut n = Node::new("", 0..0);
    n.add("TSN", d.tsn, v..v + 4);
    n.add("Stream identifier", d.stream_id, v + 4..v + 6);
    n.add("Message identifier", d.mid, v + 8..v + 12);
    match d.ppid() {
        Some(p) => n.add("Payload protocol identifier", ppid_text(p), v + 12..v + 16),
        None => n.add("Fragment sequence number", d.fsn(), v + 12..v + 16),
    }
    let extra = user_data(&mut n, d.ppid(), &d.user_data);
    n.value = Some(format!(
        "TSN {}, stream {}, MID {}",
        d.tsn, d.stream_id, d.mid
    ));
    (
        format!(" (TSN {}, stream {}){extra}", d.tsn, d.stream_id),
        n,
    )
}

fn init(n: &mut Node, i: &InitChunk<'_>, v: usize) {
    n.add(
        "Initiate tag",
        format!("0x{:08x}", i.initiate_tag),
        v..v + 4,
    );
    n.add("Advertised receiver window", i.a_rwnd, v + 4..v + 8);
    n.add("Outbound streams", i.outbound_streams, v + 8..v + 10);
    n.add("Inbound streams", i.inbound_streams, v + 10..v + 12);
    n.add("Initial TSN", i.initial_tsn, v + 12..v + 16);
    params(n, i.params.clone());
}

fn sack(n: &mut Node, s: &SackChunk<'_>, v: usize) {
    n.add("Cumulative TSN ack", s.cum_tsn_ack, v..v + 4);
    n.add("Advertised receiver window", s.a_rwnd, v + 4..v + 8);
    for (i, (a, b)) in s.gaps().enumerate() {
        let at = s.gap_blocks.offset + 4 * i;
        n.add(
            "Gap ack block",
            format!(
                "{a}..{b} (TSN {}..{})",
                s.cum_tsn_ack.wrapping_add(a.into()),
                s.cum_tsn_ack.wrapping_add(b.into())
            ),
            at..at + 4,
        );
    }
    for (i, (a, b)) in s.nr_gaps().enumerate() {
        let at = s.nr_gap_blocks.offset + 4 * i;
        n.add("NR gap ack block", format!("{a}..{b}"), at..at + 4);
    }
    for (i, d) in s.duplicates().enumerate() {
        let at = s.duplicate_tsns.offset + 4 * i;
        n.add("Duplicate TSN", d, at..at + 4);
    }
}

fn params(n: &mut Node, ps: Params<'_>) {
    for p in ps {
        match p {
            Ok(p) => {
                let r = p.range();
                let name = match p.ptype.name() {
                    Some(x) => x.to_owned(),
                    None => format!("parameter 0x{:04x}", p.ptype.0),
                };
                let mut pn = Node::new(format!("Parameter: {name}"), r.clone());
                pn.add("Type", format!("0x{:04x}", p.ptype.0), r.start..r.start + 2);
                pn.add("Length", p.value.len() + 4, r.start + 2..r.start + 4);
                match p.body() {
                    Ok(b) => {
                        let text = param_text(&b);
                        pn.add("Value", &text, p.value.range());
                        pn.value = Some(text);
                    }
                    Err(e) => {
                        pn.add("Value", hex_preview(p.value.bytes), p.value.range());
                        pn.warn(e.to_string());
                    }
                }
                n.push(pn);
            }
            Err(e) => {
                n.warn(e.to_string());
                break;
            }
        }
    }
}

fn param_text(b: &ParamBody<'_>) -> String {
    match b {
        ParamBody::HeartbeatInfo(s) | ParamBody::StateCookie(s) => bytes(s.len()),
        ParamBody::Ipv4(a) => a.to_string(),
        ParamBody::Ipv6(a) => a.to_string(),
        ParamBody::CookiePreservative(ms) => format!("{ms} ms"),
        ParamBody::HostName(s) => text_or_hex(s.bytes),
        ParamBody::EcnCapable => "ECN capable".to_owned(),
        ParamBody::ForwardTsnSupported => "Forward-TSN supported".to_owned(),
        ParamBody::ZeroChecksumAcceptable { edmid } => format!("EDMID {edmid}"),
        ParamBody::SupportedExtensions(_) | ParamBody::ChunkList(_) => b
            .chunk_types()
            .map(|it| it.map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", "))
            .unwrap_or_default(),
        ParamBody::Random(s) | ParamBody::Padding(s) | ParamBody::Unknown(s) => {
            hex_preview(s.bytes)
        }
        ParamBody::UnrecognizedParameter(s)
        | ParamBody::SupportedAddressTypes(s)
        | ParamBody::RequestedHmacAlgorithm(s) => hex_preview(s.bytes),
        ParamBody::OutgoingSsnReset {
            request_seq,
            response_seq,
            last_tsn,
            streams,
        } => format!(
            "request {request_seq}, response {response_seq}, last TSN {last_tsn}, {}",
            stream_list(streams.bytes)
        ),
        ParamBody::IncomingSsnReset {
            request_seq,
            streams,
        } => format!("request {request_seq}, {}", stream_list(streams.bytes)),
        ParamBody::SsnTsnReset { request_seq } => format!("request {request_seq}"),
        ParamBody::ReconfigResponse {
            response_seq,
            result,
            next_tsns,
        } => match next_tsns {
            Some((sender, receiver)) => format!(
                "response {response_seq}: {result}, next TSN sender {sender}, receiver {receiver}"
            ),
            None => format!("response {response_seq}: {result}"),
        },
        ParamBody::AddOutgoingStreams {
            request_seq,
            new_streams,
        }
        | ParamBody::AddIncomingStreams {
            request_seq,
            new_streams,
        } => format!("request {request_seq}, {new_streams} new streams"),
        ParamBody::AddressRequest { correlation_id, .. }
        | ParamBody::ErrorCauseIndication { correlation_id, .. }
        | ParamBody::SuccessIndication { correlation_id } => {
            format!("correlation ID {correlation_id}")
        }
        ParamBody::AdaptationLayerIndication(i) => format!("0x{i:08x}"),
    }
}

/// The information of an error cause (`info`: its bytes), as text.
fn cause_text(b: &CauseBody<'_>, info: &[u8]) -> String {
    match b {
        CauseBody::InvalidStreamIdentifier(id) => format!("stream {id}"),
        CauseBody::StaleCookie(us) => format!("staleness {us} µs"),
        CauseBody::NoUserData(tsn) => format!("TSN {tsn}"),
        CauseBody::MissingMandatoryParameter(s)
        | CauseBody::UnrecognizedChunk(s)
        | CauseBody::Raw(s) => hex_preview(s.bytes),
        CauseBody::UnrecognizedParameters(_) => hex_preview(info),
    }
}

/// Stream identifiers of a reset request (16 bits each); "all streams" when there are none.
fn stream_list(b: &[u8]) -> String {
    if b.len() < 2 {
        return "all streams".to_owned();
    }
    let ids: Vec<String> = b
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]).to_string())
        .collect();
    format!("streams {}", ids.join(", "))
}

fn causes(n: &mut Node, cs: Causes<'_>) {
    for c in cs {
        match c {
            Ok(c) => {
                let r = c.range();
                let name = match c.code.name() {
                    Some(x) => x.to_owned(),
                    None => format!("cause {}", c.code.0),
                };
                let mut cn = Node::new(format!("Cause: {name}"), r.clone());
                cn.add("Code", c.code.0, r.start..r.start + 2);
                cn.add("Length", c.info.len() + 4, r.start + 2..r.start + 4);
                match c.body() {
                    Ok(b) => cn.add("Information", cause_text(&b, c.info.bytes), c.info.range()),
                    Err(e) => {
                        cn.add("Information", hex_preview(c.info.bytes), c.info.range());
                        cn.warn(e.to_string());
                    }
                }
                n.push(cn);
            }
            Err(e) => {
                n.warn(e.to_string());
                break;
            }
        }
    }
}
