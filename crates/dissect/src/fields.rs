//! Filling the display filter's per-frame record ([`rtcscope_filter::Fields`]) as a frame is
//! dissected, so that a filter sees what the tree shows: the same demultiplexing, the messages
//! inside TURN relays and ICMP quotes, the reassembled datagram on the frame that completes it.
//!
//! The dissectors call these with the bytes they have just recognised; each re-reads only
//! headers through the parsers' checked views (no allocation).

use crate::DissectOptions;
use rtcscope_dtls::{ContentType, HandshakeFragments, Protection, RecordHeader, Records};
use rtcscope_filter::{Fields, RtpHeader};
use rtcscope_rtp::rtcp::Compound;
use rtcscope_rtp::rtp::RtpPacket;
use rtcscope_sctp::{ChunkBody, Packet};

/// An RTP packet the dissector accepted.
pub(crate) fn rtp(buf: &[u8], f: &mut Fields) {
    if let Ok(p) = RtpPacket::new_checked_opaque(buf) {
        f.add_rtp(RtpHeader {
            ssrc: p.ssrc(),
            pt: p.payload_type(),
            seq: p.sequence_number(),
            marker: p.marker(),
        });
    }
}

/// An RTCP compound the dissector accepted: every packet's type when it is cleartext (by the
/// dissector's rule), else the first packet's, the only one SRTCP leaves clear.
pub(crate) fn rtcp(buf: &[u8], opts: &DissectOptions, f: &mut Fields) {
    let compound = Compound::new(buf);
    let clear = match opts.protection {
        Some(rtcscope_rtp::srtp::Protection::Clear) => true,
        Some(_) => false,
        None => compound.check(true).is_ok(),
    };
    if clear {
        for p in compound.iter() {
            let Ok(p) = p else { break };
            f.add_rtcp(p.packet_type().0, p.sender_ssrc());
        }
    } else if let (Some(&pt), Some(ssrc)) = (buf.get(1), buf.get(4..8)) {
        f.add_rtcp(
            pt,
            Some(u32::from_be_bytes([ssrc[0], ssrc[1], ssrc[2], ssrc[3]])),
        );
    }
}

/// DTLS records: content types where the header shows them, and the type of every cleartext
/// handshake fragment (as tshark lists one per fragment).
pub(crate) fn dtls(buf: &[u8], f: &mut Fields) {
    for rec in Records::with_base(buf, 0, Default::default()) {
        let Ok(rec) = rec else { break };
        match *rec.header() {
            RecordHeader::Plaintext { content_type, .. } => {
                f.add_dtls_record(Some(content_type.0));
                if content_type == ContentType::HANDSHAKE
                    && rec.protection() == Protection::Plaintext
                {
                    for h in HandshakeFragments::new(rec.fragment(), 0) {
                        let Ok(h) = h else { break };
                        f.add_dtls_handshake(h.msg_type.0);
                    }
                }
            }
            RecordHeader::Cid12 { .. } => f.add_dtls_record(Some(ContentType::TLS12_CID.0)),
            RecordHeader::Unified { .. } => f.add_dtls_record(None),
        }
    }
}

/// An SCTP packet: its DATA and I-DATA chunks' payload protocols (an I-DATA chunk names it
/// only on a message's first fragment).
pub(crate) fn sctp(buf: &[u8], f: &mut Fields) {
    let Ok(p) = Packet::with_base(buf, 0) else {
        return;
    };
    f.add_sctp();
    for c in p.chunks() {
        let Ok(c) = c else { break };
        match c.body() {
            Ok(ChunkBody::Data(d)) => f.add_sctp_data(d.ppid.0),
            Ok(ChunkBody::IData(d)) if d.flags & rtcscope_sctp::chunk::flags::BEGIN != 0 => {
                f.add_sctp_data(d.ppid_or_fsn)
            }
            _ => {}
        }
    }
}
