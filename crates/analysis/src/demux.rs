//! RFC 7983 demultiplexing, confirmed by structural checks.
//!
//! The first byte only pre-filters: ordinary LAN traffic falls into the same ranges (mDNS
//! starts like STUN, NTP like DTLS, SSDP like ChannelData). A payload is called STUN only when
//! the cookie, the length and the attribute layout agree; ChannelData only on a flow where a
//! ChannelBind for that channel succeeded; DTLS only with a DTLS version and record lengths that
//! tile the datagram; RTP/RTCP only with version 2 and consistent lengths.

use rtcscope_stun as stun;

/// What a payload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// STUN with the magic cookie.
    Stun,
    /// Classic STUN (RFC 3489).
    ClassicStun,
    /// ChannelData on a bound channel.
    ChannelData,
    /// DTLS records.
    Dtls,
    /// RTP.
    Rtp,
    /// RTCP.
    Rtcp,
    /// SCTP over UDP (recognised by its checksum after the other checks).
    Sctp,
    /// Nothing recognised.
    Unknown,
}

/// Classifies one datagram. `channel_bound` says whether a channel number is bound on this
/// flow (ChannelData is only accepted then); `dtls_seen` whether the flow already carried
/// plain DTLS records (a DTLS 1.3 unified header, which has no version field to check, is only
/// accepted then).
pub fn classify(buf: &[u8], channel_bound: &dyn Fn(u16) -> bool, dtls_seen: bool) -> Kind {
    let Some(&first) = buf.first() else {
        return Kind::Unknown;
    };
    match first {
        0..=3 => match stun::classify(buf) {
            Some(stun::Kind::Stun) => Kind::Stun,
            Some(stun::Kind::ClassicStun) => Kind::ClassicStun,
            _ => Kind::Unknown,
        },
        20..=63 => {
            if dtls_plausible(buf, dtls_seen) {
                Kind::Dtls
            } else {
                Kind::Unknown
            }
        }
        // RFC 5766 allowed channels up to 0x7FFF; RFC 8656 narrowed it to 0x4FFF.
        64..=127 => {
            let ch = u16::from_be_bytes([first, *buf.get(1).unwrap_or(&0)]);
            if channel_bound(ch) && matches!(stun::classify(buf), Some(stun::Kind::ChannelData)) {
                Kind::ChannelData
            } else {
                Kind::Unknown
            }
        }
        128..=191 => rtp_or_rtcp(buf),
        _ => Kind::Unknown,
    }
}

/// DTLS 1.0/1.2 records (content type 20–26, version 0xfeff/0xfefd/0xfefc) that tile the
/// datagram; DTLS 1.3 unified-header records (first bits 001) only after a plain record in the
/// same datagram or on a flow that had DTLS before (`dtls_seen`).
pub fn dtls_plausible(buf: &[u8], dtls_seen: bool) -> bool {
    let mut rest = buf;
    let mut records = 0;
    while !rest.is_empty() {
        let first = rest[0];
        if (20..=26).contains(&first) {
            if rest.len() < 13 || rest[1] != 0xfe || !matches!(rest[2], 0xff | 0xfd | 0xfc) {
                return false;
            }
            let len = usize::from(u16::from_be_bytes([rest[11], rest[12]]));
            if rest.len() < 13 + len {
                return false;
            }
            rest = &rest[13 + len..];
        } else if first & 0xe0 == 0x20 && (dtls_seen || records > 0) {
            // DTLS 1.3 unified header (RFC 9147 §4): 0 0 1 C S L E E. Without the negotiated
            // connection-ID length we cannot walk further; accept when the L bit gives a
            // consistent length or the record runs to the end.
            let seq_len = if first & 0x08 != 0 { 2 } else { 1 };
            if first & 0x10 != 0 {
                // A connection ID of unknown length: the rest cannot be walked.
                return true;
            }
            if first & 0x04 != 0 {
                if rest.len() < 1 + seq_len + 2 {
                    return false;
                }
                let len = usize::from(u16::from_be_bytes([rest[1 + seq_len], rest[2 + seq_len]]));
                let total = 1 + seq_len + 2 + len;
                if rest.len() < total || len < 16 {
                    return false;
                }
                rest = &rest[total..];
            } else {
                return rest.len() > 1 + seq_len + 16;
            }
        } else {
            return false;
        }
        records += 1;
    }
    records > 0
}

/// RTP or RTCP, split by [`rtcscope_rtp::classify`] (version 2; RFC 5761: a second byte of
/// 192–223 is an RTCP packet type) and confirmed by lengths: for RTP the header, CSRC list and
/// extension block fit; for RTCP the first packet fits (SRTCP's encrypted tail may follow it).
pub fn rtp_or_rtcp(buf: &[u8]) -> Kind {
    use rtcscope_rtp::RtpOrRtcp;
    match rtcscope_rtp::classify(buf) {
        // The first packet (header and sender SSRC at least) must fit; an encrypted SRTCP tail
        // may follow it, so the walk stops there.
        Some(RtpOrRtcp::Rtcp)
            if buf.len() >= 8
                && (usize::from(u16::from_be_bytes([buf[2], buf[3]])) + 1) * 4 <= buf.len() =>
        {
            Kind::Rtcp
        }
        // The header, CSRCs and extension block must fit; the payload may be ciphertext.
        Some(RtpOrRtcp::Rtp) if rtcscope_rtp::rtp::RtpPacket::new_checked_opaque(buf).is_ok() => {
            Kind::Rtp
        }
        _ => Kind::Unknown,
    }
}
