//! RFC 7983 demultiplexing, confirmed by structural checks: one set of rules for the analysis
//! engine (`rtcscope-analysis`, which adds what it knows of the flow) and the per-packet
//! dissector (`rtcscope-dissect`, which knows one packet), so that `analyze`, `dissect` and the
//! terminal UI call the same packet the same thing.
//!
//! The first byte only pre-filters: ordinary LAN traffic falls into the same ranges (mDNS
//! starts like STUN, NTP like DTLS, SSDP like ChannelData). A payload is called STUN only when
//! the cookie, the length and the attribute layout agree; ChannelData only on a flow where a
//! ChannelBind for that channel succeeded; DTLS only with a DTLS version and record lengths that
//! tile the datagram; RTP/RTCP only with version 2 and consistent lengths. And on the ports of
//! well-known LAN protocols (DNS, mDNS, NTP, SSDP, DHCP, ...: [`reserved_port`]) only STUN with
//! its cookie is believed, as tshark lets a port's own dissector win over its heuristics.

#![forbid(unsafe_code)]

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

/// What the caller knows of the datagram's flow.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Whether a TURN channel number is bound on this flow (ChannelData is only accepted then).
    pub channel_bound: &'a dyn Fn(u16) -> bool,
    /// Whether the flow already carried plain DTLS records: a DTLS 1.3 unified header, which
    /// has no version field to check, is only accepted then (or after a plain record in the
    /// same datagram).
    pub dtls_seen: bool,
    /// The UDP or TCP ports, when known.
    pub ports: Option<(u16, u16)>,
}

impl Context<'_> {
    /// What a dissector knows of one packet alone: any channel may be bound, DTLS may have
    /// been seen before, and the ports.
    pub fn one_packet(ports: Option<(u16, u16)>) -> Context<'static> {
        Context {
            channel_bound: &|_| true,
            dtls_seen: true,
            ports,
        }
    }
}

/// Ports of LAN protocols whose payloads fall into RFC 7983's ranges by accident: DNS (53),
/// DHCP (67, 68), NTP (123), NetBIOS (137, 138), SNMP (161, 162), syslog (514), SSDP (1900),
/// mDNS (5353), LLMNR (5355). WebRTC never uses them (browsers gather no candidates there).
pub fn reserved_port(port: u16) -> bool {
    matches!(
        port,
        53 | 67 | 68 | 123 | 137 | 138 | 161 | 162 | 514 | 1900 | 5353 | 5355
    )
}

/// Classifies one datagram (or one message cut from a TCP stream) in `ctx`.
pub fn classify(buf: &[u8], ctx: &Context<'_>) -> Kind {
    let kind = classify_bytes(buf, ctx.channel_bound, ctx.dtls_seen);
    match ctx.ports {
        Some((a, b)) if kind != Kind::Stun && (reserved_port(a) || reserved_port(b)) => {
            Kind::Unknown
        }
        _ => kind,
    }
}

fn classify_bytes(buf: &[u8], channel_bound: &dyn Fn(u16) -> bool, dtls_seen: bool) -> Kind {
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

/// DTLS 1.0/1.2 records (content type 20–26, version 0xfeff/0xfefd/0xfefc or 0x0100) that tile the
/// datagram; DTLS 1.3 unified-header records (first bits 001) only after a plain record in the
/// same datagram or on a flow that had DTLS before (`dtls_seen`).
pub fn dtls_plausible(buf: &[u8], dtls_seen: bool) -> bool {
    let mut rest = buf;
    let mut records = 0;
    while !rest.is_empty() {
        let first = rest[0];
        if (20..=26).contains(&first) {
            // DTLS 1.0, 1.2, 1.3 (which writes 1.2), and the pre-standard 0x0100 of OpenSSL
            // before 0.9.8f, which tshark and `rtcscope dissect` read as DTLS too.
            let version = (rest.get(1), rest.get(2));
            if rest.len() < 13
                || !matches!(
                    version,
                    (Some(0xfe), Some(0xff | 0xfd | 0xfc)) | (Some(0x01), Some(0x00))
                )
            {
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
                // A connection ID of unknown length: the rest cannot be walked, but it holds at
                // least the header byte, a CID byte, the sequence number, the length when the
                // L bit says so, and a 16-byte AEAD tag (as below).
                let length_len = if first & 0x04 != 0 { 2 } else { 0 };
                return rest.len() >= 2 + seq_len + length_len + 16;
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

/// RTP or RTCP, split by [`rtcscope_rtp::classify`](fn@rtcscope_rtp::classify) (version 2; RFC 5761: a second byte of
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

#[cfg(test)]
mod tests {
    use super::*;

    fn stun_binding() -> Vec<u8> {
        let mut m = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
        m.extend_from_slice(&[7; 12]);
        m
    }

    fn rtp() -> Vec<u8> {
        let mut p = vec![0x80, 0x6f, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
        p.extend_from_slice(&[0; 20]);
        p
    }

    #[test]
    fn lan_protocol_ports_hold_no_webrtc_but_stun() {
        // A DNS query whose id starts 0x80 reads as RTP; on port 53 it is not.
        let any = Context::one_packet(Some((40000, 53)));
        assert_eq!(classify(&rtp(), &any), Kind::Unknown);
        assert_eq!(
            classify(&rtp(), &Context::one_packet(Some((40000, 40002)))),
            Kind::Rtp
        );
        assert_eq!(classify(&stun_binding(), &any), Kind::Stun);
        // NTP (first byte 0x23: a DTLS 1.3 unified header by its bits) on port 123.
        let mut ntp = vec![0x23, 0, 6, 0xec];
        ntp.extend_from_slice(&[0; 44]);
        assert_eq!(
            classify(&ntp, &Context::one_packet(Some((123, 123)))),
            Kind::Unknown
        );
    }

    /// RFC 7983 §7's first-byte ranges, each confirmed by its structural check, at and around
    /// their boundaries, with and without what the flow knows.
    #[test]
    fn first_byte_ranges_and_their_checks() {
        let none = Context {
            channel_bound: &|_| false,
            dtls_seen: false,
            ports: Some((40000, 40002)),
        };
        let bound = Context {
            channel_bound: &|ch| ch == 0x4000 || ch == 0x4fff,
            dtls_seen: true,
            ports: Some((40000, 40002)),
        };
        let record = |ct: u8, v: [u8; 2], body: usize| {
            let mut r = vec![ct, v[0], v[1], 0, 0, 0, 0, 0, 0, 0, 1];
            r.extend_from_slice(&u16::try_from(body).unwrap().to_be_bytes());
            r.extend(std::iter::repeat_n(7u8, body));
            r
        };
        let channel = |ch: u16, len: u16| {
            let mut c = ch.to_be_bytes().to_vec();
            c.extend_from_slice(&len.to_be_bytes());
            c.extend(std::iter::repeat_n(1u8, usize::from(len)));
            c
        };
        // A unified header: 001 0 1 1 11 (2-byte sequence, length), 32 bytes of ciphertext.
        let mut unified = vec![0x2f, 0, 1, 0, 32];
        unified.extend_from_slice(&[0xa5; 32]);
        let mut classic = stun_binding();
        classic[4..8].copy_from_slice(&[1, 2, 3, 4]);
        let mut sr = vec![0x80, 200, 0, 6];
        sr.extend_from_slice(&[0; 24]);
        let mut two_records = record(22, [0xfe, 0xfd], 12);
        two_records.extend_from_slice(&record(23, [0xfe, 0xfd], 40));
        let mut plain_then_unified = record(22, [0xfe, 0xfd], 12);
        plain_then_unified.extend_from_slice(&unified);
        let cases: Vec<(&str, Vec<u8>, &Context<'_>, Kind)> = vec![
            ("empty", vec![], &bound, Kind::Unknown),
            ("STUN 0x00", stun_binding(), &none, Kind::Stun),
            ("classic STUN", classic, &none, Kind::ClassicStun),
            (
                "STUN with a wrong length",
                stun_binding()[..19].to_vec(),
                &none,
                Kind::Unknown,
            ),
            (
                "4..=19 (ZRTP 16..=19 too)",
                vec![16; 40],
                &bound,
                Kind::Unknown,
            ),
            (
                "DTLS 1.2 record",
                record(22, [0xfe, 0xfd], 12),
                &none,
                Kind::Dtls,
            ),
            (
                "DTLS 1.0 record",
                record(22, [0xfe, 0xff], 12),
                &none,
                Kind::Dtls,
            ),
            (
                "content type 20",
                record(20, [0xfe, 0xfd], 1),
                &none,
                Kind::Dtls,
            ),
            (
                "content type 27",
                record(27, [0xfe, 0xfd], 12),
                &bound,
                Kind::Unknown,
            ),
            ("two records tile", two_records, &none, Kind::Dtls),
            (
                "record longer than the datagram",
                record(22, [0xfe, 0xfd], 12)[..20].to_vec(),
                &bound,
                Kind::Unknown,
            ),
            (
                "TLS version",
                record(22, [0x03, 0x03], 12),
                &bound,
                Kind::Unknown,
            ),
            (
                "unified header, new flow",
                unified.clone(),
                &none,
                Kind::Unknown,
            ),
            (
                "unified header, DTLS flow",
                unified.clone(),
                &bound,
                Kind::Dtls,
            ),
            (
                "unified header after a record",
                plain_then_unified,
                &none,
                Kind::Dtls,
            ),
            (
                "unified header cut short",
                unified[..20].to_vec(),
                &bound,
                Kind::Unknown,
            ),
            (
                "a lone 0x3f byte on a DTLS flow (CID bit)",
                vec![0x3f],
                &bound,
                Kind::Unknown,
            ),
            (
                "CID header, too short for a tag",
                vec![0x3f, 1, 2, 3, 4, 5, 6],
                &bound,
                Kind::Unknown,
            ),
            (
                "ChannelData 0x4000 bound",
                channel(0x4000, 8),
                &bound,
                Kind::ChannelData,
            ),
            (
                "ChannelData 0x4fff bound",
                channel(0x4fff, 8),
                &bound,
                Kind::ChannelData,
            ),
            (
                "ChannelData unbound",
                channel(0x4000, 8),
                &none,
                Kind::Unknown,
            ),
            (
                "ChannelData with a wrong length",
                channel(0x4000, 8)[..9].to_vec(),
                &bound,
                Kind::Unknown,
            ),
            ("RTP", rtp(), &none, Kind::Rtp),
            ("RTCP SR", sr.clone(), &none, Kind::Rtcp),
            ("RTCP SR cut short", sr[..20].to_vec(), &none, Kind::Unknown),
            (
                "RTP version 3 (0xc0)",
                vec![0xc0; 40],
                &bound,
                Kind::Unknown,
            ),
            ("0xff", vec![0xff; 40], &bound, Kind::Unknown),
        ];
        for (name, buf, ctx, want) in cases {
            assert_eq!(classify(&buf, ctx), want, "{name}: {buf:02x?}");
        }
    }

    #[test]
    fn pre_standard_dtls_version_is_dtls() {
        // A ClientHello record of OpenSSL's pre-RFC DTLS (version 0x0100).
        let mut rec = vec![22, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4];
        rec.extend_from_slice(&[1, 0, 0, 0]);
        assert!(dtls_plausible(&rec, false));
        assert_eq!(classify(&rec, &Context::one_packet(None)), Kind::Dtls);
    }
}
