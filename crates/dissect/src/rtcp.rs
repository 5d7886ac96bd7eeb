//! RTCP compound packets (RFC 3550 §6) with every body the rtp crate decodes, and SRTCP
//! (RFC 3711 §3.4): only the first header and the sender SSRC of an SRTCP packet are clear.
//!
//! Without a known protection the choice is structural: a compound packet whose packet lengths
//! tile the datagram exactly ([`Compound::check`]) is cleartext; anything else whose first
//! packet fits is SRTCP, whose trailer (SRTCP index and authentication tag, 14 bytes for the
//! HMAC-SHA1 profiles) breaks the tiling. Encrypted bytes are never parsed as report blocks.

use crate::datagram::{Dissected, Protocol};
use crate::util::{bytes, hex_preview, text_or_hex, yes_no};
use crate::DissectOptions;
use rtcscope_rtp::rtcp::ccfb::Ccfb;
use rtcscope_rtp::rtcp::feedback::Entries;
use rtcscope_rtp::rtcp::twcc::{ChunkKind, TransportCc};
use rtcscope_rtp::rtcp::xr::{RleChunk, XrBlock, XrBlockKind};
use rtcscope_rtp::rtcp::{
    Compound, ExtendedReport, Feedback, FeedbackKind, PacketType, PsfbFmt, ReportBlock, RtcpBody,
    RtcpPacket, RtpfbFmt,
};
use rtcscope_rtp::srtp::{Protection, SrtcpPacket, SRTCP_CLEAR_LEN};
use rtcscope_wire::tree::Node;
use rtcscope_wire::Error;

/// At most this many per-packet nodes are listed in a transport-cc or CCFB report.
pub const MAX_LISTED: usize = 64;

/// Error text with the offset made absolute in the frame.
struct Ctx {
    base: usize,
}

impl Ctx {
    fn err(&self, e: Error) -> String {
        e.shifted(self.base).to_string()
    }
}

/// Dissects an RTCP or SRTCP datagram at `base`; `None` when not even the first packet's
/// header fits.
pub(crate) fn rtcp(buf: &[u8], base: usize, opts: &DissectOptions) -> Option<Dissected> {
    let first_len = 4 * (usize::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?])) + 1);
    if buf.len() < 4 || buf[0] >> 6 != 2 || first_len > buf.len() {
        return None;
    }
    let ctx = Ctx { base };
    let compound = Compound::new(buf);
    let clear = match opts.protection {
        Some(Protection::Clear) => true,
        Some(_) => false,
        None => compound.check(true).is_ok(),
    };
    let (mut tree, info) = if clear {
        clear_compound(buf, &ctx)
    } else {
        if buf.len() < SRTCP_CLEAR_LEN {
            return None;
        }
        srtcp(buf, &ctx, opts.protection)?
    };
    tree.shift(base);
    Some(Dissected {
        protocol: Protocol::Rtcp,
        turn: false,
        inner: None,
        info,
        tree,
    })
}

fn clear_compound(buf: &[u8], ctx: &Ctx) -> (Node, String) {
    let mut tree = Node::new("Real-time Transport Control Protocol", 0..buf.len());
    let mut names = Vec::new();
    let compound = Compound::new(buf);
    for p in compound.iter() {
        match p {
            Ok(p) => {
                names.push(short_name(&p));
                tree.push(packet(&p, ctx));
            }
            Err(e) => {
                tree.warn(ctx.err(e));
                names.push("[malformed]".to_owned());
                break;
            }
        }
    }
    if let Err(e) = compound.check(true) {
        if !tree.has_warnings() {
            tree.warn(ctx.err(e));
        }
    }
    (tree, names.join(", "))
}

fn srtcp(buf: &[u8], ctx: &Ctx, protection: Option<Protection>) -> Option<(Node, String)> {
    let (profile, mki_len) = match protection {
        Some(Protection::Srtp { profile, mki_len }) => (Some(profile), usize::from(mki_len)),
        _ => (None, 0),
    };
    let title = match profile {
        Some(p) => format!(
            "Secure Real-time Transport Control Protocol ({})",
            p.sdes_name()
        ),
        None => "Secure Real-time Transport Control Protocol (profile unknown)".to_owned(),
    };
    let mut tree = Node::new(title, 0..buf.len());
    let s = match SrtcpPacket::new_checked(buf, profile, mki_len) {
        Ok(s) => s,
        Err(e) => {
            // The profile's trailer does not fit: show what is certainly clear.
            tree.warn(ctx.err(e));
            SrtcpPacket::new_checked(buf, None, 0).ok()?
        }
    };
    let pt = s.packet_type();
    let first = format!("{} (first packet)", type_name(pt, s.count()));
    let mut head = Node::new(first, 0..SRTCP_CLEAR_LEN);
    head.add("Version", 2, 0..1);
    head.add("Padding (P)", yes_no(s.has_padding()), 0..1);
    head.add(count_label(pt), s.count(), 0..1);
    head.add("Packet type", format!("{pt:?} ({})", pt.0), 1..2);
    head.add(
        "Length",
        format!(
            "{} (first packet {} bytes)",
            s.length_field(),
            4 * (usize::from(s.length_field()) + 1)
        ),
        2..4,
    );
    head.add(
        "Sender SSRC",
        format!("0x{:08x} ({})", s.sender_ssrc(), s.sender_ssrc()),
        4..8,
    );
    tree.push(head);
    let mut info = format!(
        "{} (SSRC 0x{:08X}), encrypted (SRTCP)",
        short_type(pt, s.count()),
        s.sender_ssrc()
    );
    match s.clear_compound() {
        Some(c) => {
            // E = 0 or a NULL cipher: the compound packet is readable.
            let mut clear = Node::new(
                "Unencrypted compound packet (E = 0 or NULL cipher)",
                0..s.payload_range().end,
            );
            let mut names = Vec::new();
            for p in c.iter() {
                match p {
                    Ok(p) => {
                        names.push(short_name(&p));
                        clear.push(packet(&p, ctx));
                    }
                    Err(e) => {
                        clear.warn(ctx.err(e));
                        break;
                    }
                }
            }
            info = format!("{} (SRTCP, not encrypted)", names.join(", "));
            tree.push(clear);
        }
        None => {
            let r = s.payload_range();
            let what = if profile.is_some() {
                format!("{}: the rest of the compound packet", bytes(r.len()))
            } else {
                format!(
                    "{}: the rest of the compound packet, SRTCP index and authentication tag",
                    bytes(r.len())
                )
            };
            tree.add("Encrypted (SRTCP)", what, r);
        }
    }
    if let (Some(r), Some(e), Some(i)) = (s.index_range(), s.e_flag(), s.index()) {
        let mut n = Node::new("SRTCP index", r.clone()).with_value(i);
        n.add("E (encrypted)", yes_no(e), r.start..r.start + 1);
        n.add("Index", i, r);
        tree.push(n);
    }
    if let Some(r) = s.mki_range() {
        tree.add("MKI", hex_preview(&buf[r.clone()]), r);
    }
    if let (Some(r), Some(tag)) = (s.auth_tag_range(), s.auth_tag()) {
        tree.add("Authentication tag", hex_preview(tag), r);
    }
    Some((tree, info))
}

fn type_name(pt: PacketType, count: u8) -> String {
    match pt {
        PacketType::SR => "Sender Report".to_owned(),
        PacketType::RR => "Receiver Report".to_owned(),
        PacketType::SDES => "Source Description".to_owned(),
        PacketType::BYE => "Goodbye".to_owned(),
        PacketType::APP => "Application-defined".to_owned(),
        PacketType::RTPFB => format!("Generic RTP Feedback: {:?}", RtpfbFmt(count)),
        PacketType::PSFB => format!("Payload-specific Feedback: {:?}", PsfbFmt(count)),
        PacketType::XR => "Extended Report".to_owned(),
        other => format!("RTCP packet type {other:?}"),
    }
}

fn short_type(pt: PacketType, count: u8) -> String {
    match pt {
        PacketType::RTPFB => format!("{:?}", RtpfbFmt(count)),
        PacketType::PSFB => format!("{:?}", PsfbFmt(count)),
        _ => type_name(pt, count),
    }
}

fn short_name(p: &RtcpPacket<'_>) -> String {
    // REMB rides in PSFB AFB: name it by its identifier.
    if p.packet_type() == PacketType::PSFB
        && PsfbFmt(p.count()) == PsfbFmt::AFB
        && p.payload().get(8..12) == Some(b"REMB")
    {
        return "REMB".to_owned();
    }
    short_type(p.packet_type(), p.count())
}

fn count_label(pt: PacketType) -> &'static str {
    match pt {
        PacketType::SR | PacketType::RR => "Reception report count",
        PacketType::SDES | PacketType::BYE => "Source count",
        PacketType::APP => "Subtype",
        PacketType::RTPFB | PacketType::PSFB => "Feedback message type (FMT)",
        _ => "Count",
    }
}

fn packet(p: &RtcpPacket<'_>, ctx: &Ctx) -> Node {
    let r = p.range();
    let s = r.start;
    let pt = p.packet_type();
    let mut node = Node::new(type_name(pt, p.count()), r.clone());
    node.add("Version", 2, s..s + 1);
    node.add("Padding (P)", yes_no(p.has_padding()), s..s + 1);
    node.add(count_label(pt), p.count(), s..s + 1);
    node.add("Packet type", format!("{pt:?} ({})", pt.0), s + 1..s + 2);
    node.add(
        "Length",
        format!("{} ({} bytes)", p.length_field(), p.len()),
        s + 2..s + 4,
    );
    let b = p.payload_range().start;
    match p.body() {
        Ok(RtcpBody::SenderReport(sr)) => {
            node.add("Sender SSRC", ssrc(sr.ssrc()), b..b + 4);
            let ntp = sr.ntp_timestamp();
            node.add(
                "NTP timestamp",
                format!(
                    "0x{ntp:016x} ({:.6} s since 1900; LSR key 0x{:08x})",
                    ntp_seconds(ntp),
                    (ntp >> 16) as u32
                ),
                b + 4..b + 12,
            );
            node.add("RTP timestamp", sr.rtp_timestamp(), b + 12..b + 16);
            node.add("Sender's packet count", sr.packet_count(), b + 16..b + 20);
            node.add("Sender's octet count", sr.octet_count(), b + 20..b + 24);
            for blk in sr.report_blocks() {
                match blk {
                    Ok(blk) => node.push(report_block(&blk)),
                    Err(e) => {
                        node.warn(ctx.err(e));
                        break;
                    }
                };
            }
            profile_extensions(&mut node, sr.profile_extensions(), p, ctx);
        }
        Ok(RtcpBody::ReceiverReport(rr)) => {
            node.add("Sender SSRC", ssrc(rr.ssrc()), b..b + 4);
            for blk in rr.report_blocks() {
                match blk {
                    Ok(blk) => node.push(report_block(&blk)),
                    Err(e) => {
                        node.warn(ctx.err(e));
                        break;
                    }
                };
            }
            profile_extensions(&mut node, rr.profile_extensions(), p, ctx);
        }
        Ok(RtcpBody::Sdes(sdes)) => {
            for c in sdes.chunks() {
                match c {
                    Ok(c) => {
                        let cr = c.range();
                        let mut chunk = Node::new("Chunk", cr.clone()).with_value(ssrc(c.ssrc()));
                        chunk.add("SSRC/CSRC", ssrc(c.ssrc()), cr.start..cr.start + 4);
                        for item in c.items() {
                            let ir = item.range.clone();
                            let value = match item.priv_prefix() {
                                Some((prefix, v)) => {
                                    format!("prefix {}, {}", text_or_hex(prefix), text_or_hex(v))
                                }
                                None => text_or_hex(item.value),
                            };
                            let mut n = Node::new(format!("{:?}", item.item_type), ir.clone())
                                .with_value(&value);
                            n.add("Type", item.item_type.0, ir.start..ir.start + 1);
                            n.add("Length", item.value.len(), ir.start + 1..ir.start + 2);
                            n.add("Text", value, ir.start + 2..ir.end);
                            chunk.push(n);
                        }
                        node.push(chunk);
                    }
                    Err(e) => {
                        node.warn(ctx.err(e));
                        break;
                    }
                }
            }
        }
        Ok(RtcpBody::Bye(bye)) => {
            for (i, src) in bye.sources().enumerate() {
                node.add("SSRC/CSRC", ssrc(src), b + 4 * i..b + 4 * i + 4);
            }
            if let (Some(reason), Some(rr)) = (bye.reason(), bye.reason_range()) {
                node.add(
                    "Reason",
                    text_or_hex(reason),
                    rr.start.saturating_sub(1)..rr.end,
                );
            }
        }
        Ok(RtcpBody::App(app)) => {
            node.add("SSRC/CSRC", ssrc(app.ssrc()), b..b + 4);
            node.add("Name", text_or_hex(&app.name()), b + 4..b + 8);
            node.add(
                "Application data",
                hex_preview(app.data()),
                app.data_range(),
            );
        }
        Ok(RtcpBody::Feedback(f)) => feedback(&mut node, &f, b, ctx),
        Ok(RtcpBody::ExtendedReport(xr)) => extended_report(&mut node, &xr, b, ctx),
        Ok(RtcpBody::Unknown(body)) => {
            node.add("Body", hex_preview(body), p.payload_range());
        }
        Err(e) => {
            node.add("Body", hex_preview(p.payload()), p.payload_range());
            node.warn(ctx.err(e));
        }
    }
    if p.has_padding() {
        node.add("Padding", bytes(p.padding_len()), p.padding_range());
    }
    node
}

fn ssrc(v: u32) -> String {
    format!("0x{v:08x} ({v})")
}

fn ntp_seconds(ntp: u64) -> f64 {
    (ntp >> 32) as f64 + (ntp & 0xffff_ffff) as f64 / 4_294_967_296.0
}

fn profile_extensions(
    node: &mut Node,
    ext: rtcscope_wire::Result<&[u8]>,
    p: &RtcpPacket<'_>,
    ctx: &Ctx,
) {
    match ext {
        Ok(e) if !e.is_empty() => {
            let end = p.payload_range().end;
            node.add(
                "Profile-specific extensions",
                hex_preview(e),
                end - e.len()..end,
            );
        }
        Ok(_) => {}
        Err(e) => node.warn(ctx.err(e)),
    }
}

fn report_block(blk: &ReportBlock<'_>) -> Node {
    let r = blk.range();
    let s = r.start;
    let mut n = Node::new("Report block", r).with_value(format!(
        "SSRC 0x{:08x}, lost {} ({:.1}% recently)",
        blk.ssrc(),
        blk.cumulative_lost(),
        f64::from(blk.fraction_lost()) * 100.0 / 256.0
    ));
    n.add("SSRC", ssrc(blk.ssrc()), s..s + 4);
    n.add(
        "Fraction lost",
        format!("{}/256", blk.fraction_lost()),
        s + 4..s + 5,
    );
    n.add("Cumulative lost", blk.cumulative_lost(), s + 5..s + 8);
    let h = blk.highest_sequence();
    n.add(
        "Extended highest sequence number",
        format!("{h} (cycles {}, seq {})", h >> 16, h & 0xffff),
        s + 8..s + 12,
    );
    n.add("Interarrival jitter", blk.jitter(), s + 12..s + 16);
    n.add(
        "Last SR (LSR)",
        format!("0x{:08x}", blk.last_sr()),
        s + 16..s + 20,
    );
    let dlsr = blk.delay_since_last_sr();
    n.add(
        "Delay since last SR (DLSR)",
        format!("{dlsr} ({:.3} s)", f64::from(dlsr) / 65536.0),
        s + 20..s + 24,
    );
    n
}

fn feedback(node: &mut Node, f: &Feedback<'_>, b: usize, ctx: &Ctx) {
    node.add("Sender SSRC", ssrc(f.sender_ssrc()), b..b + 4);
    let fci = f.fci_range();
    let kind = match f.kind() {
        Ok(k) => k,
        Err(e) => {
            node.add("Media source SSRC", ssrc(f.media_ssrc()), b + 4..b + 8);
            node.add("FCI", hex_preview(f.fci()), fci);
            node.warn(ctx.err(e));
            return;
        }
    };
    if !matches!(kind, FeedbackKind::Ccfb(_)) {
        node.add("Media source SSRC", ssrc(f.media_ssrc()), b + 4..b + 8);
    }
    match kind {
        FeedbackKind::Nack(entries) => {
            let lost: Vec<u16> = entries.lost_sequences().collect();
            node.value = Some(format!("{} lost", lost.len()));
            for pair in entries.iter() {
                let r = pair.range.clone();
                let seqs: Vec<String> = pair.lost().map(|s| s.to_string()).collect();
                let mut n = Node::new("NACK", r.clone()).with_value(seqs.join(", "));
                n.add("Packet ID (PID)", pair.pid, r.start..r.start + 2);
                n.add(
                    "Bitmask of following lost packets (BLP)",
                    format!("0x{:04x}", pair.blp),
                    r.start + 2..r.end,
                );
                node.push(n);
            }
            let all: Vec<String> = lost.iter().map(u16::to_string).collect();
            node.add("Lost sequence numbers", all.join(", "), fci);
        }
        FeedbackKind::Tmmbr(entries) | FeedbackKind::Tmmbn(entries) => tmmb(node, &entries),
        FeedbackKind::SrReq => {}
        FeedbackKind::TransportCc(t) => transport_cc(node, &t, fci, ctx),
        FeedbackKind::Ccfb(c) => ccfb(node, &c, ctx),
        FeedbackKind::Pli => {}
        FeedbackKind::Sli(entries) => {
            for e in entries.iter() {
                let mut n = Node::new("SLI", e.range.clone()).with_value(format!(
                    "first {}, number {}, picture ID {}",
                    e.first, e.number, e.picture_id
                ));
                n.add("First", e.first, e.range.clone());
                n.add("Number", e.number, e.range.clone());
                n.add("PictureID", e.picture_id, e.range.clone());
                node.push(n);
            }
        }
        FeedbackKind::Rpsi(r) => {
            let s = fci.start;
            node.add("Padding bits (PB)", r.padding_bits(), s..s + 1);
            node.add("Payload type", r.payload_type(), s + 1..s + 2);
            node.add(
                "Native RPSI bit string",
                format!("{} bits: {}", r.bit_len(), hex_preview(r.bit_string())),
                r.bit_string_range(),
            );
        }
        FeedbackKind::Fir(entries) => {
            for e in entries.iter() {
                let r = e.range.clone();
                let mut n = Node::new("FIR", r.clone())
                    .with_value(format!("SSRC 0x{:08x}, seq {}", e.ssrc, e.seq));
                n.add("SSRC", ssrc(e.ssrc), r.start..r.start + 4);
                n.add("Command sequence number", e.seq, r.start + 4..r.start + 5);
                n.add("Reserved", e.reserved, r.start + 5..r.end);
                node.push(n);
            }
        }
        FeedbackKind::Remb(remb) => {
            let s = fci.start;
            node.value = Some(format!("{} bit/s", remb.bitrate()));
            node.add("Unique identifier", "REMB", s..s + 4);
            node.add("Num SSRC", remb.num_ssrc(), s + 4..s + 5);
            node.add("BR Exp", remb.exp(), s + 5..s + 6);
            node.add("BR Mantissa", remb.mantissa(), s + 5..s + 8);
            node.add(
                "Maximum bitrate",
                format!("{} bit/s", remb.bitrate()),
                s + 4..s + 8,
            );
            let sr = remb.ssrcs_range();
            for (i, x) in remb.ssrcs().enumerate() {
                node.add(
                    "SSRC feedback",
                    ssrc(x),
                    sr.start + 4 * i..sr.start + 4 * i + 4,
                );
            }
        }
        FeedbackKind::Afb(data) => node.add("Application layer feedback", hex_preview(data), fci),
        FeedbackKind::Other(data) => node.add("FCI", hex_preview(data), fci),
    }
}

fn tmmb(node: &mut Node, entries: &Entries<'_, rtcscope_rtp::rtcp::feedback::TmmbItem>) {
    for e in entries.iter() {
        let r = e.range.clone();
        let mut n = Node::new("TMMB item", r.clone()).with_value(format!(
            "SSRC 0x{:08x}, {} bit/s, overhead {}",
            e.ssrc,
            e.bitrate(),
            e.overhead
        ));
        n.add("SSRC", ssrc(e.ssrc), r.start..r.start + 4);
        n.add("MxTBR Exp", e.exp, r.start + 4..r.start + 5);
        n.add("MxTBR Mantissa", e.mantissa, r.start + 4..r.start + 7);
        n.add(
            "Maximum total media bit rate",
            format!("{} bit/s", e.bitrate()),
            r.start + 4..r.end,
        );
        n.add("Measured overhead", e.overhead, r.start + 6..r.end);
        node.push(n);
    }
}

fn transport_cc(node: &mut Node, t: &TransportCc<'_>, fci: rtcscope_wire::Field, ctx: &Ctx) {
    let s = fci.start;
    node.add("Base sequence number", t.base_sequence(), s..s + 2);
    node.add("Packet status count", t.status_count(), s + 2..s + 4);
    node.add(
        "Reference time",
        format!(
            "{} (× 64 ms = {} ms)",
            t.reference_time(),
            t.reference_time_us() / 1000
        ),
        s + 4..s + 7,
    );
    node.add("Feedback packet count", t.fb_pkt_count(), s + 7..s + 8);
    let mut chunks = Node::new("Packet chunks", s + 8..s + 8);
    let mut spans: Vec<(usize, rtcscope_wire::Field)> = Vec::new();
    for c in t.chunks() {
        match c {
            Ok((chunk, r)) => {
                let v = match chunk.kind() {
                    ChunkKind::RunLength { status, length } => {
                        format!("run length: {length} × {status:?}")
                    }
                    ChunkKind::OneBit(bits) => format!("status vector (1 bit): {bits:014b}"),
                    ChunkKind::TwoBit(bits) => format!("status vector (2 bits): {bits:014b}"),
                };
                chunks.range.end = r.end;
                spans.push((chunk.capacity(), r.clone()));
                chunks.add("Chunk", v, r);
            }
            Err(e) => {
                chunks.warn(ctx.err(e));
                break;
            }
        }
    }
    let chunks_end = chunks.range.end;
    node.push(chunks);
    let mut list = Node::new("Packets", s + 8..fci.end);
    let (mut received, mut lost, mut listed, mut more) = (0usize, 0usize, 0usize, 0usize);
    let (mut chunk_idx, mut used) = (0usize, 0usize);
    for p in t.packets() {
        match p {
            Ok(p) => {
                // The chunk this status came from (for the byte range of lost packets).
                while chunk_idx < spans.len() && used >= spans[chunk_idx].0 {
                    chunk_idx += 1;
                    used = 0;
                }
                let chunk_range = spans
                    .get(chunk_idx)
                    .map_or(s + 8..chunks_end, |c| c.1.clone());
                used += 1;
                if p.status.is_received() {
                    received += 1;
                } else {
                    lost += 1;
                }
                if listed >= MAX_LISTED {
                    more += 1;
                    continue;
                }
                listed += 1;
                let (value, range) = match (p.delta_us(), p.delta_range.clone(), p.arrival_us) {
                    (Some(d), Some(r), Some(a)) => (
                        format!(
                            "{:?}, delta {:+.2} ms, arrival {:.2} ms",
                            p.status,
                            d as f64 / 1000.0,
                            a as f64 / 1000.0
                        ),
                        r,
                    ),
                    _ => (format!("{:?}", p.status), chunk_range),
                };
                list.add(format!("Seq {}", p.sequence), value, range);
            }
            Err(e) => {
                list.warn(ctx.err(e));
                break;
            }
        }
    }
    if more > 0 {
        list.add("…", format!("{more} more packets"), s + 8..fci.end);
    }
    list.value = Some(format!("{received} received, {lost} not received"));
    node.value = Some(format!(
        "{} packets from seq {}: {received} received",
        t.status_count(),
        t.base_sequence()
    ));
    node.push(list);
}

fn ccfb(node: &mut Node, c: &Ccfb<'_>, ctx: &Ctx) {
    let mut total = 0usize;
    for st in c.streams() {
        match st {
            Ok(st) => {
                let r = st.range.clone();
                let mut n = Node::new("Stream", r.clone()).with_value(format!(
                    "SSRC 0x{:08x}, {} reports from seq {}",
                    st.ssrc, st.num_reports, st.begin_seq
                ));
                n.add("SSRC", ssrc(st.ssrc), r.start..r.start + 4);
                n.add("begin_seq", st.begin_seq, r.start + 4..r.start + 6);
                n.add("num_reports", st.num_reports, r.start + 6..r.start + 8);
                let mut shown = 0usize;
                for (i, m) in st.reports().enumerate() {
                    if total >= MAX_LISTED {
                        continue;
                    }
                    total += 1;
                    shown += 1;
                    let at = r.start + 8 + 2 * i;
                    let v = if m.received {
                        format!(
                            "received, ECN {}, arrival offset {}/1024 s",
                            m.ecn, m.arrival_time_offset
                        )
                    } else {
                        "not received".to_owned()
                    };
                    n.add(format!("Seq {}", m.sequence), v, at..at + 2);
                }
                let n_reports = usize::from(st.num_reports);
                if shown < n_reports {
                    n.add(
                        "…",
                        format!("{} more reports", n_reports - shown),
                        r.start + 8..r.end,
                    );
                }
                node.push(n);
            }
            Err(e) => {
                node.warn(ctx.err(e));
                break;
            }
        }
    }
    node.add(
        "Report timestamp",
        format!("0x{:08x}", c.report_timestamp()),
        c.report_timestamp_range(),
    );
}

fn extended_report(node: &mut Node, xr: &ExtendedReport<'_>, b: usize, ctx: &Ctx) {
    node.add("Sender SSRC", ssrc(xr.ssrc()), b..b + 4);
    for blk in xr.blocks() {
        match blk {
            Ok(blk) => node.push(xr_block(&blk, ctx)),
            Err(e) => {
                node.warn(ctx.err(e));
                break;
            }
        };
    }
}

fn xr_block(blk: &XrBlock<'_>, ctx: &Ctx) -> Node {
    let r = blk.range.clone();
    let s = r.start;
    let c = s + 4;
    let mut n = Node::new(format!("{:?}", blk.block_type), r.clone());
    n.add("Block type", blk.block_type.0, s..s + 1);
    n.add(
        "Type-specific",
        format!("0x{:02x}", blk.type_specific),
        s + 1..s + 2,
    );
    n.add("Block length", blk.contents.len() / 4, s + 2..s + 4);
    let kind = match blk.kind() {
        Ok(k) => k,
        Err(e) => {
            n.add("Contents", hex_preview(blk.contents), c..r.end);
            n.warn(ctx.err(e));
            return n;
        }
    };
    match kind {
        XrBlockKind::LossRle(b) | XrBlockKind::DuplicateRle(b) => {
            n.value = Some(format!(
                "SSRC 0x{:08x}, seq {}..{}",
                b.ssrc, b.begin_seq, b.end_seq
            ));
            n.add("Thinning", b.thinning, s + 1..s + 2);
            n.add("SSRC", ssrc(b.ssrc), c..c + 4);
            n.add("Begin seq", b.begin_seq, c + 4..c + 6);
            n.add("End seq", b.end_seq, c + 6..c + 8);
            for (chunk, cr) in b.chunks().take(MAX_LISTED) {
                let v = match chunk {
                    RleChunk::Run { run_type, length } => {
                        format!("run of {length} {}", if run_type { "1s" } else { "0s" })
                    }
                    RleChunk::BitVector(bits) => format!("bit vector {bits:015b}"),
                    RleChunk::Null => "null".to_owned(),
                };
                n.add("Chunk", v, cr);
            }
        }
        XrBlockKind::PacketReceiptTimes(t) => {
            n.add("SSRC", ssrc(t.ssrc), c..c + 4);
            n.add("Begin seq", t.begin_seq, c + 4..c + 6);
            n.add("End seq", t.end_seq, c + 6..c + 8);
            for (i, time) in t.times().take(MAX_LISTED).enumerate() {
                let at = c + 8 + 4 * i;
                n.add(
                    format!("Seq {}", t.begin_seq.wrapping_add(i as u16)),
                    format!("receipt time {time}"),
                    at..at + 4,
                );
            }
        }
        XrBlockKind::Rrtr(ntp) => {
            n.value = Some(format!("{:.6} s since 1900", ntp_seconds(ntp)));
            n.add(
                "NTP timestamp",
                format!("0x{ntp:016x} (LRR key 0x{:08x})", (ntp >> 16) as u32),
                c..c + 8,
            );
        }
        XrBlockKind::Dlrr(items) => {
            for (i, it) in items.enumerate() {
                let at = c + 12 * i;
                let mut sub = Node::new("DLRR sub-block", at..at + 12)
                    .with_value(format!("SSRC 0x{:08x}", it.ssrc));
                sub.add("SSRC", ssrc(it.ssrc), at..at + 4);
                sub.add(
                    "Last RR (LRR)",
                    format!("0x{:08x}", it.last_rr),
                    at + 4..at + 8,
                );
                sub.add(
                    "Delay since last RR (DLRR)",
                    format!(
                        "{} ({:.3} s)",
                        it.delay_since_last_rr,
                        f64::from(it.delay_since_last_rr) / 65536.0
                    ),
                    at + 8..at + 12,
                );
                n.push(sub);
            }
        }
        XrBlockKind::StatisticsSummary(st) => {
            n.add(
                "Flags (L, D, J, ToH)",
                format!("0x{:02x}", st.flags),
                s + 1..s + 2,
            );
            n.add("SSRC", ssrc(st.ssrc), c..c + 4);
            n.add("Begin seq", st.begin_seq, c + 4..c + 6);
            n.add("End seq", st.end_seq, c + 6..c + 8);
            n.add("Lost packets", st.lost_packets, c + 8..c + 12);
            n.add("Duplicate packets", st.dup_packets, c + 12..c + 16);
            n.add("Minimum jitter", st.min_jitter, c + 16..c + 20);
            n.add("Maximum jitter", st.max_jitter, c + 20..c + 24);
            n.add("Mean jitter", st.mean_jitter, c + 24..c + 28);
            n.add("Jitter deviation", st.dev_jitter, c + 28..c + 32);
            n.add(
                "TTL or hop limit (min/max/mean/dev)",
                format!(
                    "{}/{}/{}/{}",
                    st.min_ttl, st.max_ttl, st.mean_ttl, st.dev_ttl
                ),
                c + 32..c + 36,
            );
        }
        XrBlockKind::VoipMetrics(v) => {
            n.add("SSRC", ssrc(v.ssrc), c..c + 4);
            n.add("Loss rate", format!("{}/256", v.loss_rate), c + 4..c + 5);
            n.add(
                "Discard rate",
                format!("{}/256", v.discard_rate),
                c + 5..c + 6,
            );
            n.add(
                "Burst density",
                format!("{}/256", v.burst_density),
                c + 6..c + 7,
            );
            n.add(
                "Gap density",
                format!("{}/256", v.gap_density),
                c + 7..c + 8,
            );
            n.add(
                "Burst duration",
                format!("{} ms", v.burst_duration),
                c + 8..c + 10,
            );
            n.add(
                "Gap duration",
                format!("{} ms", v.gap_duration),
                c + 10..c + 12,
            );
            n.add(
                "Round-trip delay",
                format!("{} ms", v.round_trip_delay),
                c + 12..c + 14,
            );
            n.add(
                "End system delay",
                format!("{} ms", v.end_system_delay),
                c + 14..c + 16,
            );
            n.add(
                "Signal level",
                format!("{} dBm0", v.signal_level as i8),
                c + 16..c + 17,
            );
            n.add(
                "Noise level",
                format!("{} dBm0", v.noise_level as i8),
                c + 17..c + 18,
            );
            n.add("RERL", format!("{} dB", v.rerl), c + 18..c + 19);
            n.add("Gmin", v.gmin, c + 19..c + 20);
            n.add("R factor", v.r_factor, c + 20..c + 21);
            n.add("External R factor", v.ext_r_factor, c + 21..c + 22);
            n.add(
                "MOS-LQ",
                format!("{:.1}", f64::from(v.mos_lq) / 10.0),
                c + 22..c + 23,
            );
            n.add(
                "MOS-CQ",
                format!("{:.1}", f64::from(v.mos_cq) / 10.0),
                c + 23..c + 24,
            );
            n.add(
                "RX config",
                format!("0x{:02x}", v.rx_config),
                c + 24..c + 25,
            );
            n.add("JB nominal", format!("{} ms", v.jb_nominal), c + 26..c + 28);
            n.add("JB maximum", format!("{} ms", v.jb_maximum), c + 28..c + 30);
            n.add("JB abs max", format!("{} ms", v.jb_abs_max), c + 30..c + 32);
        }
        XrBlockKind::Unknown(data) => n.add("Contents", hex_preview(data), c..r.end),
    }
    n
}
