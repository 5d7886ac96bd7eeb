//! Differential test against webrtc-rs's `rtp` and `rtcp` crates on every corpus sample:
//! both sides are normalized into `key=value` lines (header fields, CSRCs, extension IDs and
//! values, padding; RTCP packet types, report blocks, SDES items, NACK lost lists, TWCC
//! per-packet statuses and deltas, REMB bitrate …) and compared line by line. Disagreements are
//! listed in tests/expected-failures.tsv (suite `rtp-vs-webrtc-rs`) with who is right.

mod common;

use bytes::Bytes;
use common::{Kind, Sample};
use rtcscope_rtp::rtcp::feedback::FciRepr;
use rtcscope_rtp::rtcp::xr::XrBlockRepr;
use rtcscope_rtp::rtcp::{CompoundRepr, RtcpRepr};
use rtcscope_rtp::rtp::{ExtensionBlockRepr, RtpRepr};
use rtcscope_testkit::{corpus, require_tool, Expectations};
use std::panic::{catch_unwind, AssertUnwindSafe};
use webrtc_util::marshal::Unmarshal;

fn ours_rtp(r: &RtpRepr) -> Vec<String> {
    let mut v = vec![
        format!("marker={}", r.marker),
        format!("payload_type={}", r.payload_type),
        format!("sequence_number={}", r.sequence_number),
        format!("timestamp={}", r.timestamp),
        format!("ssrc={}", r.ssrc),
        format!("csrcs={:?}", r.csrcs),
        format!("padding={}", r.padding > 0),
        format!("extension={}", r.extension.is_some()),
    ];
    match &r.extension {
        Some(ExtensionBlockRepr::Other { profile, data }) => {
            v.push(format!("extension_profile={profile:#x}"));
            v.push(format!("extensions={:?}", [(0u8, data.clone())]));
        }
        Some(e) => {
            let profile = match e {
                ExtensionBlockRepr::TwoByte { appbits, .. } => 0x1000 | u16::from(*appbits),
                _ => 0xbede,
            };
            v.push(format!("extension_profile={profile:#x}"));
            let els: Vec<(u8, Vec<u8>)> = e
                .elements()
                .iter()
                .map(|e| (e.id, e.data.clone()))
                .collect();
            v.push(format!("extensions={els:?}"));
        }
        None => {}
    }
    v.push(format!("payload={}", hex::encode(&r.payload)));
    v
}

fn theirs_rtp(p: &rtp::packet::Packet) -> Vec<String> {
    let h = &p.header;
    let mut v = vec![
        format!("marker={}", h.marker),
        format!("payload_type={}", h.payload_type),
        format!("sequence_number={}", h.sequence_number),
        format!("timestamp={}", h.timestamp),
        format!("ssrc={}", h.ssrc),
        format!("csrcs={:?}", h.csrc),
        format!("padding={}", h.padding),
        format!("extension={}", h.extension),
    ];
    if h.extension {
        v.push(format!("extension_profile={:#x}", h.extension_profile));
        let els: Vec<(u8, Vec<u8>)> = h
            .extensions
            .iter()
            .map(|e| (e.id, e.payload.to_vec()))
            .collect();
        v.push(format!("extensions={els:?}"));
    }
    v.push(format!("payload={}", hex::encode(&p.payload)));
    v
}

fn block_lines(v: &mut Vec<String>, i: usize, b: &rtcscope_rtp::rtcp::report::ReportBlockRepr) {
    v.push(format!(
        "p{i}.block={} {} {} {} {} {} {}",
        b.ssrc,
        b.fraction_lost,
        (b.cumulative_lost as u32) & 0xff_ffff,
        b.highest_sequence,
        b.jitter,
        b.last_sr,
        b.delay_since_last_sr
    ));
}

fn ours_rtcp(c: &CompoundRepr, raw: &[u8]) -> Vec<String> {
    let mut v = vec![format!("packets={}", c.packets.len())];
    let mut at = 0;
    for (i, p) in c.packets.iter().enumerate() {
        let len = 4 * (usize::from(u16::from_be_bytes([raw[at + 2], raw[at + 3]])) + 1);
        let bytes = &raw[at..at + len];
        at += len;
        v.push(format!("p{i}.type={}", bytes[1]));
        match &p.body {
            RtcpRepr::SenderReport(sr) => {
                v.push(format!(
                    "p{i}.sr={} {} {} {} {}",
                    sr.ssrc, sr.ntp_timestamp, sr.rtp_timestamp, sr.packet_count, sr.octet_count
                ));
                v.push(format!("p{i}.blocks={}", sr.reports.len()));
                sr.reports.iter().for_each(|b| block_lines(&mut v, i, b));
                v.push(format!(
                    "p{i}.profile_ext={}",
                    hex::encode(&sr.profile_extensions)
                ));
            }
            RtcpRepr::ReceiverReport(rr) => {
                v.push(format!("p{i}.rr={}", rr.ssrc));
                v.push(format!("p{i}.blocks={}", rr.reports.len()));
                rr.reports.iter().for_each(|b| block_lines(&mut v, i, b));
                v.push(format!(
                    "p{i}.profile_ext={}",
                    hex::encode(&rr.profile_extensions)
                ));
            }
            RtcpRepr::Sdes(s) => {
                for c in &s.chunks {
                    let items: Vec<(u8, String)> = c
                        .items
                        .iter()
                        .map(|i| (i.item_type.0, hex::encode(&i.value)))
                        .collect();
                    v.push(format!("p{i}.sdes={} {items:?}", c.ssrc));
                }
            }
            RtcpRepr::Bye(b) => {
                v.push(format!("p{i}.bye={:?}", b.sources));
                v.push(format!(
                    "p{i}.reason={}",
                    hex::encode(b.reason.clone().unwrap_or_default())
                ));
            }
            RtcpRepr::Feedback(f) => {
                let ss = format!("p{i}.fb={} {}", f.sender_ssrc, f.media_ssrc);
                match &f.fci {
                    FciRepr::Nack(n) => {
                        v.push(ss);
                        let lost: Vec<u16> = n
                            .iter()
                            .flat_map(|p| {
                                std::iter::once(p.pid).chain(
                                    (0..16)
                                        .filter(move |b| p.blp & (1 << b) != 0)
                                        .map(move |b| p.pid.wrapping_add(b + 1)),
                                )
                            })
                            .collect();
                        v.push(format!("p{i}.nack={lost:?}"));
                    }
                    FciRepr::SrReq | FciRepr::Pli => v.push(ss),
                    FciRepr::Sli(s) => {
                        v.push(ss);
                        let e: Vec<_> = s
                            .iter()
                            .map(|s| (s.first, s.number, s.picture_id))
                            .collect();
                        v.push(format!("p{i}.sli={e:?}"));
                    }
                    FciRepr::Fir(s) => {
                        v.push(ss);
                        let e: Vec<_> = s.iter().map(|s| (s.ssrc, s.seq)).collect();
                        v.push(format!("p{i}.fir={e:?}"));
                    }
                    FciRepr::Remb {
                        exp,
                        mantissa,
                        ssrcs,
                    } => {
                        v.push(format!("p{i}.fb={}", f.sender_ssrc));
                        let bitrate = (u64::from(*mantissa) << exp) as f32;
                        v.push(format!("p{i}.remb={bitrate} {ssrcs:?}"));
                    }
                    FciRepr::TransportCc(t) => {
                        v.push(ss);
                        v.push(format!(
                            "p{i}.twcc={} {} {} {}",
                            t.base_sequence, t.status_count, t.reference_time, t.fb_pkt_count
                        ));
                        let statuses: Vec<u8> = t.statuses().map(|s| s.0).collect();
                        v.push(format!("p{i}.twcc_statuses={statuses:?}"));
                        let deltas: Vec<i64> =
                            t.deltas.iter().map(|&d| i64::from(d) * 250).collect();
                        v.push(format!("p{i}.twcc_deltas_us={deltas:?}"));
                    }
                    _ => v.push(format!("p{i}.raw={}", hex::encode(bytes))),
                }
            }
            RtcpRepr::ExtendedReport(x) => {
                v.push(format!("p{i}.xr={} blocks={}", x.ssrc, x.blocks.len()));
                for b in &x.blocks {
                    match b {
                        XrBlockRepr::Rrtr(ntp) => v.push(format!("p{i}.rrtr={ntp}")),
                        XrBlockRepr::Dlrr(items) => {
                            let e: Vec<_> = items
                                .iter()
                                .map(|d| (d.ssrc, d.last_rr, d.delay_since_last_rr))
                                .collect();
                            v.push(format!("p{i}.dlrr={e:?}"));
                        }
                        XrBlockRepr::VoipMetrics(m) => v.push(format!(
                            "p{i}.voip={} {} {} {}",
                            m.ssrc, m.loss_rate, m.round_trip_delay, m.jb_abs_max
                        )),
                        _ => {}
                    }
                }
            }
            _ => v.push(format!("p{i}.raw={}", hex::encode(bytes))),
        }
    }
    v
}

fn theirs_rtcp(ps: &[Box<dyn rtcp::packet::Packet + Send + Sync>]) -> Vec<String> {
    use rtcp::extended_report::{dlrr::DLRRReportBlock, rrt::ReceiverReferenceTimeReportBlock};
    use rtcp::extended_report::{vm::VoIPMetricsReportBlock, ExtendedReport};
    use rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
    use rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
    use rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
    use rtcp::payload_feedbacks::slice_loss_indication::SliceLossIndication;
    use rtcp::transport_feedbacks::rapid_resynchronization_request::RapidResynchronizationRequest;
    use rtcp::transport_feedbacks::transport_layer_cc::{PacketStatusChunk, TransportLayerCc};
    use rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
    use rtcp::{goodbye::Goodbye, raw_packet::RawPacket, receiver_report::ReceiverReport};
    use rtcp::{sender_report::SenderReport, source_description::SourceDescription};
    let mut v = vec![format!("packets={}", ps.len())];
    for (i, p) in ps.iter().enumerate() {
        let a = p.as_any();
        if let Some(r) = a.downcast_ref::<RawPacket>() {
            v.push(format!("p{i}.type={}", r.0.get(1).copied().unwrap_or(0)));
            v.push(format!("p{i}.raw={}", hex::encode(&r.0)));
            continue;
        }
        v.push(format!("p{i}.type={}", p.header().packet_type as u8));
        let blocks = |v: &mut Vec<String>, rs: &[rtcp::reception_report::ReceptionReport]| {
            v.push(format!("p{i}.blocks={}", rs.len()));
            for b in rs {
                v.push(format!(
                    "p{i}.block={} {} {} {} {} {} {}",
                    b.ssrc,
                    b.fraction_lost,
                    b.total_lost,
                    b.last_sequence_number,
                    b.jitter,
                    b.last_sender_report,
                    b.delay
                ));
            }
        };
        if let Some(sr) = a.downcast_ref::<SenderReport>() {
            v.push(format!(
                "p{i}.sr={} {} {} {} {}",
                sr.ssrc, sr.ntp_time, sr.rtp_time, sr.packet_count, sr.octet_count
            ));
            blocks(&mut v, &sr.reports);
            v.push(format!(
                "p{i}.profile_ext={}",
                hex::encode(&sr.profile_extensions)
            ));
        } else if let Some(rr) = a.downcast_ref::<ReceiverReport>() {
            v.push(format!("p{i}.rr={}", rr.ssrc));
            blocks(&mut v, &rr.reports);
            v.push(format!(
                "p{i}.profile_ext={}",
                hex::encode(&rr.profile_extensions)
            ));
        } else if let Some(s) = a.downcast_ref::<SourceDescription>() {
            for c in &s.chunks {
                let items: Vec<(u8, String)> = c
                    .items
                    .iter()
                    .map(|i| (i.sdes_type as u8, hex::encode(&i.text)))
                    .collect();
                v.push(format!("p{i}.sdes={} {items:?}", c.source));
            }
        } else if let Some(b) = a.downcast_ref::<Goodbye>() {
            v.push(format!("p{i}.bye={:?}", b.sources));
            v.push(format!("p{i}.reason={}", hex::encode(&b.reason)));
        } else if let Some(n) = a.downcast_ref::<TransportLayerNack>() {
            v.push(format!("p{i}.fb={} {}", n.sender_ssrc, n.media_ssrc));
            let lost: Vec<u16> = n.nacks.iter().flat_map(|p| p.packet_list()).collect();
            v.push(format!("p{i}.nack={lost:?}"));
        } else if let Some(r) = a.downcast_ref::<RapidResynchronizationRequest>() {
            v.push(format!("p{i}.fb={} {}", r.sender_ssrc, r.media_ssrc));
        } else if let Some(r) = a.downcast_ref::<PictureLossIndication>() {
            v.push(format!("p{i}.fb={} {}", r.sender_ssrc, r.media_ssrc));
        } else if let Some(r) = a.downcast_ref::<SliceLossIndication>() {
            v.push(format!("p{i}.fb={} {}", r.sender_ssrc, r.media_ssrc));
            let e: Vec<_> = r
                .sli_entries
                .iter()
                .map(|s| (s.first, s.number, s.picture))
                .collect();
            v.push(format!("p{i}.sli={e:?}"));
        } else if let Some(r) = a.downcast_ref::<FullIntraRequest>() {
            v.push(format!("p{i}.fb={} {}", r.sender_ssrc, r.media_ssrc));
            let e: Vec<_> = r.fir.iter().map(|s| (s.ssrc, s.sequence_number)).collect();
            v.push(format!("p{i}.fir={e:?}"));
        } else if let Some(r) = a.downcast_ref::<ReceiverEstimatedMaximumBitrate>() {
            v.push(format!("p{i}.fb={}", r.sender_ssrc));
            v.push(format!("p{i}.remb={} {:?}", r.bitrate, r.ssrcs));
        } else if let Some(t) = a.downcast_ref::<TransportLayerCc>() {
            v.push(format!("p{i}.fb={} {}", t.sender_ssrc, t.media_ssrc));
            v.push(format!(
                "p{i}.twcc={} {} {} {}",
                t.base_sequence_number, t.packet_status_count, t.reference_time, t.fb_pkt_count
            ));
            let mut statuses = Vec::new();
            for c in &t.packet_chunks {
                match c {
                    PacketStatusChunk::RunLengthChunk(r) => statuses.extend(std::iter::repeat_n(
                        r.packet_status_symbol as u8,
                        r.run_length.into(),
                    )),
                    PacketStatusChunk::StatusVectorChunk(s) => {
                        statuses.extend(s.symbol_list.iter().map(|s| *s as u8))
                    }
                }
            }
            statuses.truncate(t.packet_status_count.into());
            v.push(format!("p{i}.twcc_statuses={statuses:?}"));
            let deltas: Vec<i64> = t.recv_deltas.iter().map(|d| d.delta).collect();
            v.push(format!("p{i}.twcc_deltas_us={deltas:?}"));
        } else if let Some(x) = a.downcast_ref::<ExtendedReport>() {
            v.push(format!(
                "p{i}.xr={} blocks={}",
                x.sender_ssrc,
                x.reports.len()
            ));
            for b in &x.reports {
                let b = b.as_any();
                if let Some(r) = b.downcast_ref::<ReceiverReferenceTimeReportBlock>() {
                    v.push(format!("p{i}.rrtr={}", r.ntp_timestamp));
                } else if let Some(d) = b.downcast_ref::<DLRRReportBlock>() {
                    let e: Vec<_> = d
                        .reports
                        .iter()
                        .map(|d| (d.ssrc, d.last_rr, d.dlrr))
                        .collect();
                    v.push(format!("p{i}.dlrr={e:?}"));
                } else if let Some(m) = b.downcast_ref::<VoIPMetricsReportBlock>() {
                    v.push(format!(
                        "p{i}.voip={} {} {} {}",
                        m.ssrc, m.loss_rate, m.round_trip_delay, m.jb_abs_max
                    ));
                }
            }
        } else {
            v.push(format!("p{i}.unhandled={p:?}"));
        }
    }
    v
}

/// Puts a bare transport-cc FCI (membrane's twcc_*.hex) into an RTPFB FMT 15 packet with zero
/// SSRCs, zero-padded to 32 bits, so both parsers see a whole RTCP packet.
fn wrap_twcc_fci(fci: &[u8]) -> Vec<u8> {
    let mut body = vec![0u8; 8];
    body.extend_from_slice(fci);
    body.resize(body.len().div_ceil(4) * 4, 0);
    let words = (body.len() / 4) as u16;
    let mut v = vec![0x8f, 205];
    v.extend_from_slice(&words.to_be_bytes());
    v.extend_from_slice(&body);
    v
}

enum Theirs {
    Ok(Vec<String>),
    Err(String),
    Panic,
}

fn first_diff(a: &[String], b: &[String]) -> Option<(String, String)> {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            let key = x.split('=').next().unwrap_or("").to_owned();
            // Strip the packet index so keys are stable names ("p1.nack" -> "nack").
            let key = key
                .split_once('.')
                .map_or(key.clone(), |(_, k)| k.to_owned());
            return Some((key, format!("ours {x} / webrtc-rs {y}")));
        }
    }
    (a.len() != b.len()).then(|| ("length".into(), format!("{} vs {} lines", a.len(), b.len())))
}

fn compare(s: &Sample, exp: &Expectations) -> bool {
    let (ours, theirs) = match s.kind {
        Kind::Rtp => {
            let ours = RtpRepr::parse_bytes(&s.bytes).map(|r| ours_rtp(&r));
            let theirs = catch_unwind(AssertUnwindSafe(|| {
                rtp::packet::Packet::unmarshal(&mut Bytes::copy_from_slice(&s.bytes))
            }));
            let theirs = match theirs {
                Ok(Ok(p)) => Theirs::Ok(theirs_rtp(&p)),
                Ok(Err(e)) => Theirs::Err(e.to_string()),
                Err(_) => Theirs::Panic,
            };
            (ours, theirs)
        }
        Kind::Rtcp | Kind::TwccFci => {
            let bytes = if s.kind == Kind::TwccFci {
                wrap_twcc_fci(&s.bytes)
            } else {
                s.bytes.clone()
            };
            let ours = CompoundRepr::parse(&bytes).map(|r| ours_rtcp(&r, &bytes));
            let theirs = catch_unwind(AssertUnwindSafe(|| {
                rtcp::packet::unmarshal(&mut Bytes::copy_from_slice(&bytes))
            }));
            let theirs = match theirs {
                Ok(Ok(p)) => Theirs::Ok(theirs_rtcp(&p)),
                Ok(Err(e)) => Theirs::Err(e.to_string()),
                Err(_) => Theirs::Panic,
            };
            (ours, theirs)
        }
        _ => return false,
    };
    let report = |field: &str, kind: &str, detail: &str| {
        exp.failure(&s.name, field, kind, detail);
    };
    match (ours, theirs) {
        (_, Theirs::Panic) => report("packet", "webrtc-rs-panics", "webrtc-rs panicked"),
        (Ok(_), Theirs::Err(e)) => report("packet", "webrtc-rs-rejects", &e),
        (Err(e), Theirs::Ok(_)) => report(e.field, "webrtc-rs-accepts", &e.to_string()),
        (Err(_), Theirs::Err(_)) => {}
        (Ok(a), Theirs::Ok(b)) => {
            if let Some((field, detail)) = first_diff(&a, &b) {
                report(&field, "mismatch", &detail);
            }
        }
    }
    true
}

#[test]
fn differential_vs_webrtc_rs() {
    let Some(dir) = corpus("rtp vs webrtc-rs") else {
        return;
    };
    // webrtc-rs panics on some malformed inputs; keep the test output readable.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let exp = Expectations::load("rtp-vs-webrtc-rs");
    let mut samples = common::file_samples(&dir);
    if let Some(tshark) = require_tool("rtp vs webrtc-rs (pcaps)", "tshark") {
        samples.extend(common::pcap_samples(&dir, &tshark));
    }
    let compared = samples.iter().filter(|s| compare(s, &exp)).count();
    std::panic::set_hook(hook);
    eprintln!("compared {compared} samples with webrtc-rs");
    assert!(compared > 3000);
    exp.finish();
}
