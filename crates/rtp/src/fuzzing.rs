//! Fuzz target bodies and full walks (hidden from docs; used by `fuzz/`, tests and benches).
//!
//! The walks read every field of every view through the public API and fold them into a
//! checksum, so that an optimizer cannot skip work and a benchmark does the same work as a
//! parser that materializes everything.

use crate::rtcp::feedback::FeedbackKind;
use crate::rtcp::xr::XrBlockKind;
use crate::rtcp::{Compound, CompoundRepr, RtcpBody, RtcpPacket};
use crate::rtp::{ExtensionKind, ExtensionMap, ExtensionValue, RtpPacket, RtpRepr};
use crate::srtp::{SrtcpPacket, SrtpPacket, SrtpProfile};
use rtcscope_wire::Result;

/// Folds a field into the checksum. A plain add keeps the dependency chain at one cycle per
/// field (a multiplicative hash made the benchmark measure the hash, not the parser).
#[inline]
fn mix(h: u64, v: u64) -> u64 {
    h.wrapping_add(v)
}

/// The checksum start of both RTP walks: every fixed header field and the CSRCs.
#[inline(always)]
fn header_sum(p: &RtpPacket<'_>) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325;
    h = mix(h, u64::from(p.version()));
    h = mix(h, u64::from(p.marker()));
    h = mix(h, u64::from(p.payload_type()));
    h = mix(h, u64::from(p.sequence_number()));
    h = mix(h, u64::from(p.timestamp()));
    h = mix(h, u64::from(p.ssrc()));
    p.csrcs().fold(h, |h, c| mix(h, u64::from(c)))
}

/// The end of both RTP walks: payload and padding lengths.
#[inline(always)]
fn payload_sum(p: &RtpPacket<'_>, h: u64) -> u64 {
    mix(mix(h, p.payload().len() as u64), p.padding_len() as u64)
}

/// Reads exactly what webrtc-rs's `Packet::unmarshal` produces — every header field, the
/// CSRCs, each extension element's id and bytes, the payload and padding — for the
/// equal-work benchmark. Fails on the first malformed extension element.
#[inline(always)]
pub fn walk_rtp_fields(p: &RtpPacket<'_>) -> Result<u64> {
    let mut h = header_sum(p);
    if let Some(b) = p.extension() {
        h = mix(h, u64::from(b.profile()));
        b.visit(|id, data| {
            h = mix(h, u64::from(id));
            h = mix(h, data.as_ptr() as u64 ^ data.len() as u64);
        })?;
    }
    Ok(payload_sum(p, h))
}

/// Reads every header field and every extension element (with typed decoding under `map`).
/// Fails on the first malformed extension element.
#[inline]
pub fn walk_rtp(p: &RtpPacket<'_>, map: &ExtensionMap) -> Result<u64> {
    let mut h = header_sum(p);
    if let Some(b) = p.extension() {
        h = mix(h, u64::from(b.profile()));
        for e in b.iter() {
            let e = e?;
            h = mix(h, u64::from(e.id));
            h = mix(h, e.data.len() as u64);
            if let Ok(v) = map.decode(&e) {
                h = mix(h, value_word(&v));
            }
        }
    }
    Ok(payload_sum(p, h))
}

#[inline]
fn value_word(v: &ExtensionValue<'_>) -> u64 {
    match *v {
        ExtensionValue::AudioLevel { level, .. } => level.into(),
        ExtensionValue::AbsSendTime(t) => t.into(),
        ExtensionValue::TransportSequence { sequence, .. } => sequence.into(),
        ExtensionValue::Mid(s) | ExtensionValue::Rid(s) | ExtensionValue::RepairedRid(s) => {
            s.len() as u64
        }
        ExtensionValue::AbsCaptureTime { timestamp, .. } => timestamp,
        ExtensionValue::TransmissionOffset(o) => o as u64,
        ExtensionValue::PlayoutDelay { min, max } => u64::from(min) << 16 | u64::from(max),
        ExtensionValue::VideoTiming { encode_start, .. } => encode_start.into(),
        ExtensionValue::Raw { data, .. } | ExtensionValue::CsrcAudioLevels(data) => {
            data.len() as u64
        }
        _ => 1,
    }
}

/// Reads every field of one RTCP packet's body, walking every nested list. Fails on the first
/// malformed item.
#[inline]
pub fn walk_rtcp_packet(p: &RtcpPacket<'_>) -> Result<u64> {
    let mut h = mix(0xcbf2_9ce4_8422_2325, u64::from(p.packet_type().0));
    h = mix(h, u64::from(p.count()));
    match p.body()? {
        RtcpBody::SenderReport(sr) => {
            h = mix(h, u64::from(sr.ssrc()));
            h = mix(h, sr.ntp_timestamp());
            h = mix(h, u64::from(sr.rtp_timestamp()));
            h = mix(h, u64::from(sr.packet_count()));
            h = mix(h, u64::from(sr.octet_count()));
            for b in sr.report_blocks() {
                h = walk_block(h, &b?);
            }
            h = mix(h, sr.profile_extensions()?.len() as u64);
        }
        RtcpBody::ReceiverReport(rr) => {
            h = mix(h, u64::from(rr.ssrc()));
            for b in rr.report_blocks() {
                h = walk_block(h, &b?);
            }
            h = mix(h, rr.profile_extensions()?.len() as u64);
        }
        RtcpBody::Sdes(s) => {
            for c in s.chunks() {
                let c = c?;
                h = mix(h, u64::from(c.ssrc()));
                for i in c.items() {
                    h = mix(h, u64::from(i.item_type.0));
                    h = mix(h, i.value.len() as u64);
                }
            }
        }
        RtcpBody::Bye(b) => {
            b.validate()?;
            for s in b.sources() {
                h = mix(h, u64::from(s));
            }
            h = mix(h, b.reason().map_or(0, |r| r.len() as u64));
        }
        RtcpBody::App(a) => {
            h = mix(h, u64::from(a.ssrc()));
            h = mix(h, u64::from(u32::from_be_bytes(a.name())));
            h = mix(h, a.data().len() as u64);
        }
        RtcpBody::Feedback(f) => {
            h = mix(h, u64::from(f.sender_ssrc()));
            h = mix(h, u64::from(f.media_ssrc()));
            h = walk_feedback(h, f.kind()?)?;
        }
        RtcpBody::ExtendedReport(x) => {
            h = mix(h, u64::from(x.ssrc()));
            for b in x.blocks() {
                let b = b?;
                h = mix(h, u64::from(b.block_type.0));
                h = match b.kind()? {
                    XrBlockKind::LossRle(r) | XrBlockKind::DuplicateRle(r) => r
                        .raw_chunks()
                        .fold(mix(h, u64::from(r.ssrc)), |h, c| mix(h, c.into())),
                    XrBlockKind::PacketReceiptTimes(t) => t
                        .times()
                        .fold(mix(h, u64::from(t.ssrc)), |h, c| mix(h, c.into())),
                    XrBlockKind::Rrtr(ntp) => mix(h, ntp),
                    XrBlockKind::Dlrr(items) => {
                        items.fold(h, |h, i| mix(mix(h, i.ssrc.into()), i.last_rr.into()))
                    }
                    XrBlockKind::StatisticsSummary(s) => mix(h, s.lost_packets.into()),
                    XrBlockKind::VoipMetrics(m) => mix(h, m.round_trip_delay.into()),
                    XrBlockKind::Unknown(c) => mix(h, c.len() as u64),
                };
            }
        }
        RtcpBody::Unknown(b) => h = mix(h, b.len() as u64),
    }
    Ok(h)
}

#[inline]
fn walk_block(h: u64, b: &crate::rtcp::ReportBlock<'_>) -> u64 {
    let mut h = mix(h, u64::from(b.ssrc()));
    h = mix(h, u64::from(b.fraction_lost()));
    h = mix(h, b.cumulative_lost() as u64);
    h = mix(h, u64::from(b.highest_sequence()));
    h = mix(h, u64::from(b.jitter()));
    h = mix(h, u64::from(b.last_sr()));
    mix(h, u64::from(b.delay_since_last_sr()))
}

#[inline]
fn walk_feedback(mut h: u64, k: FeedbackKind<'_>) -> Result<u64> {
    match k {
        FeedbackKind::Nack(n) => {
            for s in n.lost_sequences() {
                h = mix(h, s.into());
            }
        }
        FeedbackKind::Tmmbr(t) | FeedbackKind::Tmmbn(t) => {
            for i in t.iter() {
                h = mix(mix(h, i.ssrc.into()), i.bitrate());
            }
        }
        FeedbackKind::TransportCc(t) => {
            h = mix(h, t.base_sequence().into());
            h = mix(h, t.reference_time() as u64);
            h = mix(h, t.fb_pkt_count().into());
            for p in t.packets() {
                let p = p?;
                h = mix(h, u64::from(p.sequence) ^ u64::from(p.status.0));
                h = mix(h, p.delta.map_or(u64::MAX, |d| d as u64));
            }
        }
        FeedbackKind::Ccfb(c) => {
            h = mix(h, c.report_timestamp().into());
            for s in c.streams() {
                let s = s?;
                h = mix(h, s.ssrc.into());
                for m in s.reports() {
                    h = mix(h, m.arrival_time_offset.into());
                }
            }
        }
        FeedbackKind::Sli(s) => {
            for e in s.iter() {
                h = mix(h, e.first.into());
            }
        }
        FeedbackKind::Rpsi(r) => h = mix(h, r.bit_len() as u64),
        FeedbackKind::Fir(f) => {
            for e in f.iter() {
                h = mix(mix(h, e.ssrc.into()), e.seq.into());
            }
        }
        FeedbackKind::Remb(r) => {
            h = mix(h, r.bitrate());
            for s in r.ssrcs() {
                h = mix(h, s.into());
            }
        }
        FeedbackKind::Afb(d) | FeedbackKind::Other(d) => h = mix(h, d.len() as u64),
        FeedbackKind::SrReq | FeedbackKind::Pli => h = mix(h, 1),
    }
    Ok(h)
}

/// Walks every packet of a compound packet completely.
#[inline]
pub fn walk_compound(buf: &[u8]) -> Result<u64> {
    if buf.is_empty() {
        return Err(rtcscope_wire::Error::truncated(
            rtcscope_wire::Layer::Rtcp,
            0,
            "RTCP header",
            crate::rtcp::HEADER_LEN,
            0,
        ));
    }
    let mut h = 0;
    for p in Compound::new(buf) {
        h = mix(h, walk_rtcp_packet(&p?)?);
    }
    Ok(h)
}

/// The RTP fuzz target: classify, check, walk with every decoder, repr round trip, SRTP views.
pub fn fuzz_rtp(data: &[u8]) {
    let _ = crate::classify(data);
    let map = ExtensionMap::libwebrtc_default();
    if let Ok(p) = RtpPacket::new_checked(data) {
        let walked = walk_rtp(&p, &map);
        let _ = format!("{p:?}");
        if let Some(b) = p.extension() {
            for e in b.iter().map_while(|e| e.ok()) {
                for &k in ExtensionKind::ALL {
                    let _ = k.decode(&e);
                }
            }
            // The range-free fast path sees exactly the elements and the error the iterator does.
            let mut seen = Vec::new();
            let visited = b.visit(|id, d| seen.push((id, d)));
            let mut iter = b.iter();
            let listed: Vec<_> = iter.by_ref().map_while(|e| e.ok()).collect();
            assert_eq!(
                seen.len(),
                listed.len(),
                "visit and iter disagree on the count"
            );
            for ((id, d), e) in seen.iter().zip(&listed) {
                assert_eq!((*id, *d), (e.id, e.data), "visit and iter disagree");
                assert_eq!(&data[e.data_range()], e.data, "element range");
            }
            assert_eq!(
                visited.err(),
                b.iter().find_map(|e| e.err()),
                "visit and iter errors"
            );
        }
        match RtpRepr::parse(&p) {
            Ok(r) => {
                assert!(walked.is_ok(), "repr parsed but walk failed");
                let bytes = r.to_bytes().expect("a parsed repr re-encodes");
                let again = RtpRepr::parse_bytes(&bytes).expect("re-encoded packet parses");
                assert_eq!(r, again, "RTP repr round trip");
            }
            Err(_) => assert!(walked.is_err(), "walk passed but repr failed"),
        }
    }
    for profile in SrtpProfile::ALL.into_iter().map(Some).chain([None]) {
        for mki in [0, 4] {
            if let Ok(s) = SrtpPacket::new_checked(data, profile, mki) {
                let _ = walk_rtp(s.header(), &map);
                let _ = (
                    s.payload(),
                    s.auth_tag(),
                    s.clear_extension(),
                    s.mki_range(),
                );
            }
        }
    }
}

/// The RTCP fuzz target: walk, repr round trip, SRTCP views, TWCC FCI directly.
pub fn fuzz_rtcp(data: &[u8]) {
    let c = Compound::new(data);
    let _ = (c.first_is_report(), c.check(true), c.check(false));
    let walked = walk_compound(data);
    for p in c.iter().map_while(|p| p.ok()) {
        let _ = format!("{p:?} {:?}", p.body());
    }
    match CompoundRepr::parse(data) {
        Ok(r) => {
            assert!(walked.is_ok(), "repr parsed but walk failed");
            let bytes = r.to_bytes().expect("a parsed repr re-encodes");
            let again = CompoundRepr::parse(&bytes).expect("re-encoded compound parses");
            assert_eq!(r, again, "RTCP repr round trip");
        }
        Err(_) => assert!(walked.is_err(), "walk passed but repr failed"),
    }
    for profile in SrtpProfile::ALL.into_iter().map(Some).chain([None]) {
        if let Ok(s) = SrtcpPacket::new_checked(data, profile, 0) {
            let _ = (
                s.sender_ssrc(),
                s.e_flag(),
                s.index(),
                s.auth_tag(),
                s.payload(),
            );
            if let Some(c) = s.clear_compound() {
                for p in c.iter().map_while(|p| p.ok()) {
                    let _ = walk_rtcp_packet(&p);
                }
            }
        }
    }
    if let Ok(t) = crate::rtcp::TransportCc::new_checked(data, 0) {
        let _ = t.validate();
        if let Ok(r) = crate::rtcp::TwccRepr::parse(&t) {
            let mut out = Vec::new();
            r.emit(&mut out).expect("a parsed TWCC repr re-encodes");
            let t2 = crate::rtcp::TransportCc::new_checked(&out, 0).expect("fixed part");
            assert_eq!(crate::rtcp::TwccRepr::parse(&t2).as_ref(), Ok(&r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_bodies_run_on_samples() {
        // RFC 3550 §5.1 header with a one-byte extension (RFC 8285 §4.2) and padding.
        let rtp = [
            0xb0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 1, 0x22, 1, 2, 3, 9, 9, 0, 2,
        ];
        fuzz_rtp(&rtp);
        // RR with one block, then PLI.
        let rtcp = [
            0x81, 0xc9, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0,
            6, 0, 0, 0, 7, 0x81, 0xce, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2,
        ];
        fuzz_rtcp(&rtcp);
        assert!(walk_compound(&rtcp).is_ok());
        for n in 0..rtcp.len() {
            fuzz_rtcp(&rtcp[..n]);
        }
        for n in 0..rtp.len() {
            fuzz_rtp(&rtp[..n]);
        }
    }

    /// Inputs the fuzzers found (CI runs, `fuzz/artifacts/`); each once panicked.
    #[test]
    fn fuzz_findings_stay_fixed() {
        // A padded transport-cc feedback (V=2, P=1, FMT=15) whose padding count byte points
        // inside the FCI, followed by a truncated second packet.
        let twcc_padded: &[u8] = &[
            175, 205, 0, 11, 40, 0, 0, 0, 32, 0, 1, 60, 154, 40, 0, 0, 0, 32, 0, 1, 60, 154, 44, 2,
            0, 0, 0, 223, 0, 0, 0, 60, 154, 159, 202, 0, 12, 0, 0, 0, 0, 169, 1, 25, 25, 60, 146,
            25,
        ];
        fuzz_rtcp(twcc_padded);
    }
}
