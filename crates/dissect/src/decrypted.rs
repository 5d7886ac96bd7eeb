//! Plaintext that the analysis engine decrypted with the user's keys (`rtcscope dissect
//! --keylog`, `--srtp-key`, SDES), dissected as what it is: SRTP becomes RTP with its payload
//! in clear, SRTCP a compound RTCP packet read to its end (reports, feedback, SDES), a DTLS
//! record's content SCTP with the data-channel messages (application data) or the handshake
//! messages DTLS 1.3 encrypts. As Wireshark shows decrypted data as a data source of its own,
//! the byte offsets in these trees are into the plaintext, not into the frame: the top node
//! says so.
//!
//! A decrypted video packet whose payload type the SDP maps to VP8, VP9, H.264 or AV1
//! (directly or inside RED) also shows its payload descriptor
//! ([`dissect_decrypted_with`]): "VP8 payload descriptor: S=1 PID=0 picture id 1234, key
//! frame 320×240".

use crate::datagram::{Dissected, Protocol};
use crate::DissectOptions;
use rtcscope_rtp::codec::{self, av1, h264, vp8, vp9, VideoCodec};
use rtcscope_rtp::rtp::RtpPacket;
use rtcscope_rtp::srtp::Protection;
use rtcscope_wire::tree::Node;

/// What a piece of plaintext is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decrypted {
    /// A decrypted SRTP packet (RTP header and payload, no tag).
    Srtp,
    /// A decrypted SRTCP packet (the compound RTCP packet, no index or tag).
    Srtcp,
    /// The decrypted content of a DTLS record.
    Dtls {
        /// The record's epoch.
        epoch: u64,
        /// The record's sequence number.
        sequence: u64,
        /// Its real content type (22 handshake, 21 alert, 23 application data, 26 ACK).
        content_type: u8,
    },
}

/// DTLS content type of application data (SCTP in WebRTC).
const APPLICATION_DATA: u8 = 23;

/// What an RTP payload type carries, as far as the payload descriptor is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadFormat {
    /// A video codec's payload format.
    Video(VideoCodec),
    /// RFC 2198 RED: the primary block's payload type says what is inside.
    Red,
}

/// Dissects `plaintext` as `what`. `opts` gives the session's knowledge (header-extension
/// ids); the protection is ignored (the plaintext is clear).
pub fn dissect_decrypted(what: Decrypted, plaintext: &[u8], opts: &DissectOptions) -> Dissected {
    dissect_decrypted_with(what, plaintext, opts, &|_| None)
}

/// As [`dissect_decrypted`], and for decrypted SRTP whose payload type `format` maps to a
/// video codec (the SDP's rtpmap, as the engine knows it), the payload descriptor.
pub fn dissect_decrypted_with(
    what: Decrypted,
    plaintext: &[u8],
    opts: &DissectOptions,
    format: &dyn Fn(u8) -> Option<PayloadFormat>,
) -> Dissected {
    let mut d = dissect_plain(what, plaintext, opts);
    if what == Decrypted::Srtp {
        if let Some((node, summary)) = video_descriptor(plaintext, format) {
            d.info = format!("{}, {summary}", d.info);
            d.tree.push(node);
        }
    }
    d
}

/// The payload-descriptor node of a cleartext RTP packet of a video payload format, with a
/// one-line summary; `None` when the payload type is not one.
pub fn video_descriptor(
    rtp: &[u8],
    format: &dyn Fn(u8) -> Option<PayloadFormat>,
) -> Option<(Node, String)> {
    let p = RtpPacket::new_checked(rtp).ok()?;
    let mut at = p.payload_range().start;
    let mut payload = p.payload();
    let codec = match format(p.payload_type())? {
        PayloadFormat::Video(c) => c,
        PayloadFormat::Red => {
            let (inner, data) = codec::red_primary(payload)?;
            at += payload.len() - data.len();
            payload = data;
            match format(inner)? {
                PayloadFormat::Video(c) => c,
                PayloadFormat::Red => return None,
            }
        }
    };
    let range = at..at + payload.len();
    let label = format!("{} payload descriptor", codec.name());
    let (node, summary) = match describe(codec, payload, at) {
        Ok((summary, fields)) => {
            let mut n = Node::new(label, range).with_value(&summary);
            for f in fields {
                n.push(f);
            }
            (n, summary)
        }
        Err(e) => {
            let mut n = Node::new(label, range).with_value("unreadable");
            n.warn(format!("{} payload: {e}", codec.name()));
            (n, "unreadable".to_owned())
        }
    };
    Some((node, format!("{} {summary}", codec.name())))
}

fn size(r: codec::Resolution) -> String {
    r.to_string()
}

/// The summary and field nodes of one video payload at plaintext offset `at`.
fn describe(
    codec: VideoCodec,
    b: &[u8],
    at: usize,
) -> Result<(String, Vec<Node>), rtcscope_wire::Error> {
    let mut fields = Vec::new();
    let summary = match codec {
        VideoCodec::Vp8 => {
            let p = vp8::Vp8Payload::parse(b)?;
            let d = p.descriptor;
            let mut s = format!("S={} PID={}", u8::from(d.start), d.partition_id);
            fields.push(Node::leaf("Start of partition (S)", d.start, at..at + 1));
            fields.push(Node::leaf(
                "Partition index (PID)",
                d.partition_id,
                at..at + 1,
            ));
            fields.push(Node::leaf(
                "Non-reference frame (N)",
                d.non_reference,
                at..at + 1,
            ));
            if let Some((id, bits)) = d.picture_id {
                s += &format!(" picture id {id}");
                fields.push(Node::leaf(
                    "Picture id",
                    format!("{id} ({bits} bits)"),
                    at..at + d.len,
                ));
            }
            if let Some(t) = d.tl0_pic_idx {
                fields.push(Node::leaf("TL0PICIDX", t, at..at + d.len));
            }
            if let Some(t) = d.tid {
                s += &format!(" TID {t}");
                fields.push(Node::leaf("Temporal layer (TID)", t, at..at + d.len));
            }
            if let Some(k) = d.key_idx {
                fields.push(Node::leaf("KEYIDX", k, at..at + d.len));
            }
            if let Some(h) = p.header {
                let hr = at + d.len..at + d.len + 3;
                fields.push(Node::leaf("Key frame (P=0)", h.key_frame, hr.clone()));
                fields.push(Node::leaf("Version", h.version, hr.clone()));
                fields.push(Node::leaf("Show frame", h.show_frame, hr.clone()));
                fields.push(Node::leaf(
                    "First partition size",
                    h.first_partition_size,
                    hr,
                ));
                match h.key_frame_header {
                    Some(k) => {
                        s += &format!(", key frame {}×{}", k.width, k.height);
                        fields.push(Node::leaf(
                            "Key frame size",
                            format!(
                                "{}×{} (scale {}, {})",
                                k.width, k.height, k.horizontal_scale, k.vertical_scale
                            ),
                            at + d.len + 6..at + d.len + 10,
                        ));
                    }
                    None => s += ", inter frame",
                }
            }
            s
        }
        VideoCodec::Vp9 => {
            let p = vp9::Vp9Payload::parse(b)?;
            let d = p.descriptor;
            let r = at..at + d.len;
            let mut s = format!(
                "B={} E={} P={}",
                u8::from(d.begin),
                u8::from(d.end),
                u8::from(d.inter_predicted)
            );
            fields.push(Node::leaf("Start of frame (B)", d.begin, at..at + 1));
            fields.push(Node::leaf("End of frame (E)", d.end, at..at + 1));
            fields.push(Node::leaf(
                "Inter-picture predicted (P)",
                d.inter_predicted,
                at..at + 1,
            ));
            fields.push(Node::leaf("Flexible mode (F)", d.flexible, at..at + 1));
            if let Some((id, bits)) = d.picture_id {
                s += &format!(" picture id {id}");
                fields.push(Node::leaf(
                    "Picture id",
                    format!("{id} ({bits} bits)"),
                    r.clone(),
                ));
            }
            if let Some(l) = d.layer {
                s += &format!(" SID {} TID {}", l.sid, l.tid);
                fields.push(Node::leaf("Spatial layer (SID)", l.sid, r.clone()));
                fields.push(Node::leaf("Temporal layer (TID)", l.tid, r.clone()));
            }
            if d.ref_count > 0 {
                let refs: Vec<String> = d.p_diff[..usize::from(d.ref_count)]
                    .iter()
                    .map(u8::to_string)
                    .collect();
                fields.push(Node::leaf("Reference P_DIFF", refs.join(", "), r.clone()));
            }
            if let Some(ss) = p.ss {
                let sizes: Vec<String> = ss.resolutions().map(size).collect();
                fields.push(Node::leaf(
                    "Scalability structure",
                    format!(
                        "{} spatial layer{}{}{}",
                        ss.spatial_layers,
                        if ss.spatial_layers == 1 { "" } else { "s" },
                        if sizes.is_empty() { "" } else { ": " },
                        sizes.join(", ")
                    ),
                    r.clone(),
                ));
            }
            let f = p.frame_info();
            if f.key_frame {
                s += ", key frame";
            }
            if let Some(res) = f.resolution {
                s += &format!(" {res}");
            }
            s
        }
        VideoCodec::H264 => {
            let p = h264::H264Payload::parse(b)?;
            let mut s = match p.packetization {
                h264::Packetization::Single => format!("single NAL unit type {}", p.nal_type),
                h264::Packetization::StapA { units } => {
                    format!("STAP-A of {units} NAL units")
                }
                h264::Packetization::FuA { start, end } => format!(
                    "FU-A{}{} of NAL type {}",
                    if start { " start" } else { "" },
                    if end { " end" } else { "" },
                    p.nal_type
                ),
                h264::Packetization::Interleaved(t) => format!("packetisation type {t} (not read)"),
            };
            fields.push(Node::leaf("NRI", p.nri, at..at + 1));
            fields.push(Node::leaf("Type", p.packet_type, at..at + 1));
            if p.idr {
                s += ", IDR (key frame)";
            }
            match p.sps {
                Some(Ok(sps)) => {
                    s += &format!(", SPS {}", sps.resolution);
                    fields.push(Node::leaf(
                        "SPS",
                        format!(
                            "profile_idc {} level_idc {}, {}{}",
                            sps.profile_idc,
                            sps.level_idc,
                            sps.resolution,
                            if sps.frame_mbs_only { "" } else { " (fields)" }
                        ),
                        at..at + b.len(),
                    ));
                }
                Some(Err(e)) => {
                    let mut n = Node::leaf("SPS", "unreadable", at..at + b.len());
                    n.warn(e.to_string());
                    fields.push(n);
                }
                None => {}
            }
            s
        }
        VideoCodec::Av1 => {
            let p = av1::Av1Payload::parse(b)?;
            let h = p.header;
            let mut s = format!(
                "Z={} Y={} W={} N={}, {} OBU element{}",
                u8::from(h.continues),
                u8::from(h.will_continue),
                h.w,
                u8::from(h.new_sequence),
                p.elements,
                if p.elements == 1 { "" } else { "s" }
            );
            fields.push(Node::leaf("Continues an OBU (Z)", h.continues, at..at + 1));
            fields.push(Node::leaf("OBU continues (Y)", h.will_continue, at..at + 1));
            fields.push(Node::leaf("OBU element count (W)", h.w, at..at + 1));
            fields.push(Node::leaf(
                "New coded video sequence (N)",
                h.new_sequence,
                at..at + 1,
            ));
            if h.new_sequence {
                s += ", key frame";
            }
            match p.sequence_header {
                Some(Ok(sh)) => {
                    s += &format!(", sequence header max {}", sh.max_resolution);
                    fields.push(Node::leaf(
                        "Sequence header",
                        format!(
                            "profile {}, maximum frame size {}",
                            sh.profile, sh.max_resolution
                        ),
                        at + 1..at + b.len(),
                    ));
                }
                Some(Err(e)) => {
                    let mut n = Node::leaf("Sequence header", "unreadable", at + 1..at + b.len());
                    n.warn(e.to_string());
                    fields.push(n);
                }
                None => {}
            }
            s
        }
    };
    Ok((summary, fields))
}

fn dissect_plain(what: Decrypted, plaintext: &[u8], opts: &DissectOptions) -> Dissected {
    let clear = DissectOptions {
        protection: Some(Protection::Clear),
        ..opts.clone()
    };
    let whole = 0..plaintext.len();
    let (title, protocol, inner, info) = match what {
        Decrypted::Srtp => {
            let d = crate::rtp::rtp(plaintext, 0, &clear)
                .unwrap_or_else(|| Dissected::data(plaintext, 0));
            ("Decrypted SRTP".to_owned(), Protocol::Rtp, d.tree, d.info)
        }
        Decrypted::Srtcp => {
            let d = crate::rtcp::rtcp(plaintext, 0, &clear)
                .unwrap_or_else(|| Dissected::data(plaintext, 0));
            ("Decrypted SRTCP".to_owned(), Protocol::Rtcp, d.tree, d.info)
        }
        Decrypted::Dtls {
            epoch,
            sequence,
            content_type,
        } => {
            let title = format!("Decrypted DTLS record (epoch {epoch}, seq {sequence})");
            let not_sctp = (content_type == APPLICATION_DATA).then(|| not_sctp(plaintext));
            if not_sctp == Some(None) {
                let mut d = crate::datagram::dissect_sctp(plaintext, 0);
                let d = d.swap_remove(0);
                (title, Protocol::Sctp, d.tree, d.info)
            } else if let Some(Some(why)) = not_sctp {
                // Not a WebRTC data channel (DTLS-SRTP outside WebRTC, or another protocol
                // over DTLS): the bytes as they are, as text when they are text.
                let shown = crate::util::text_or_hex(plaintext);
                let tree = Node::leaf(
                    "Application data",
                    format!("{shown} (not SCTP: {why})"),
                    0..plaintext.len(),
                );
                let info = format!(
                    "Application Data ({}: {shown})",
                    crate::util::bytes(plaintext.len())
                );
                (title, Protocol::Data, tree, info)
            } else {
                let (node, info) = crate::dtls::decrypted_content(plaintext, content_type);
                (title, Protocol::Dtls, node, info.join(", "))
            }
        }
    };
    let tree = Node::new(title, whole)
        .with_value(format!(
            "{} bytes of plaintext; offsets in this tree are into the plaintext",
            plaintext.len()
        ))
        .child(inner);
    Dissected {
        protocol,
        turn: false,
        info,
        tree,
        inner: None,
    }
}

/// Why decrypted DTLS application data is not an SCTP packet (WebRTC's data channels), or
/// `None` when it is one: its CRC32c matches, or is zero (RFC 9653's zero checksum, which a
/// capture cannot tell was negotiated). Nothing else marks SCTP: its first bytes are ports.
fn not_sctp(b: &[u8]) -> Option<&'static str> {
    use rtcscope_sctp::{ChecksumStatus, Packet, ZeroChecksum};
    let Ok(p) = Packet::new_checked(b) else {
        return Some("shorter than an SCTP common header");
    };
    match p.checksum_status(ZeroChecksum::NotNegotiated) {
        ChecksumStatus::Valid
        | ChecksumStatus::ZeroAccepted
        | ChecksumStatus::Mismatch { found: 0, .. } => None,
        ChecksumStatus::Mismatch { .. } => Some("its CRC32c does not match"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srtcp_plaintext_is_read_to_its_end() {
        // A receiver report (one block) then an SDES CNAME: the whole compound packet.
        let mut p = vec![0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2];
        p.extend_from_slice(&[
            0x05, 0, 0, 3, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        p.extend_from_slice(&[0x81, 202, 0, 3, 0, 0, 0, 1, 1, 3, b'a', b'b', b'c', 0, 0, 0]);
        let d = dissect_decrypted(Decrypted::Srtcp, &p, &DissectOptions::default());
        assert_eq!(d.protocol, Protocol::Rtcp);
        assert_eq!(d.info, "Receiver Report, Source Description");
        let mut text = String::new();
        d.tree.render(0, &mut text);
        assert!(
            text.starts_with("Decrypted SRTCP: 48 bytes of plaintext"),
            "{text}"
        );
        assert!(!text.contains("Encrypted"), "{text}");
    }

    /// A decrypted RTP packet (PT 122 = RED around PT 120 = VP8, as Firefox sends) whose VP8
    /// payload starts a key frame: X=1 S=1 PID=0, 15-bit picture id 1234, the frame tag and a
    /// 320×240 key frame header.
    fn red_vp8_key_frame() -> Vec<u8> {
        let mut p = vec![0x80, 0x80 | 122, 0, 1, 0, 0, 0, 9, 0, 0, 0, 7];
        p.push(120);
        p.extend_from_slice(&[
            0x90, 0x80, 0x84, 0xd2, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00,
        ]);
        p
    }

    fn firefox_formats(pt: u8) -> Option<PayloadFormat> {
        match pt {
            120 => Some(PayloadFormat::Video(VideoCodec::Vp8)),
            122 => Some(PayloadFormat::Red),
            _ => None,
        }
    }

    #[test]
    fn a_decrypted_vp8_key_frame_inside_red_shows_its_descriptor() {
        let p = red_vp8_key_frame();
        let d = dissect_decrypted_with(
            Decrypted::Srtp,
            &p,
            &DissectOptions::default(),
            &firefox_formats,
        );
        let mut text = String::new();
        d.tree.render(0, &mut text);
        assert!(
            text.contains("VP8 payload descriptor: S=1 PID=0 picture id 1234, key frame 320×240"),
            "{text}"
        );
        assert!(
            d.info
                .ends_with("VP8 S=1 PID=0 picture id 1234, key frame 320×240"),
            "{}",
            d.info
        );
        // The descriptor's range starts after the RTP header and RED's one-byte header.
        let node = d.tree.children.last().unwrap();
        assert_eq!(node.range, 13..p.len());
        // Without the SDP's formats, nothing is claimed.
        let plain = dissect_decrypted(Decrypted::Srtp, &p, &DissectOptions::default());
        assert!(!plain.info.contains("VP8"));
    }

    #[test]
    fn a_damaged_descriptor_is_a_warning_not_a_guess() {
        let mut p = red_vp8_key_frame();
        p.truncate(20);
        let d = dissect_decrypted_with(
            Decrypted::Srtp,
            &p,
            &DissectOptions::default(),
            &firefox_formats,
        );
        assert!(d.info.ends_with("VP8 unreadable"), "{}", d.info);
        assert!(d.tree.has_warnings());
        // Every prefix dissects without a panic.
        let whole = red_vp8_key_frame();
        for n in 0..whole.len() {
            let _ = dissect_decrypted_with(
                Decrypted::Srtp,
                &whole[..n],
                &DissectOptions::default(),
                &firefox_formats,
            );
        }
    }

    #[test]
    fn application_data_that_is_not_sctp_is_data() {
        let d = dissect_decrypted(
            Decrypted::Dtls {
                epoch: 1,
                sequence: 4,
                content_type: 23,
            },
            b"hello",
            &DissectOptions::default(),
        );
        assert!(d.info.starts_with("Application Data ("), "{}", d.info);
        assert_eq!(d.tree.range, 0..5);
        // Twelve bytes or more read as an SCTP common header; without a matching CRC32c they
        // stay data, shown as text (wolfSSL's example client over DTLS 1.3).
        let line = b"hello wolfssl!";
        let d = dissect_decrypted(
            Decrypted::Dtls {
                epoch: 4,
                sequence: 0,
                content_type: 23,
            },
            line,
            &DissectOptions::default(),
        );
        assert_eq!(d.protocol, Protocol::Data);
        assert_eq!(d.info, "Application Data (14 bytes: \"hello wolfssl!\")");
        assert!(
            d.tree.children[0]
                .value
                .as_deref()
                .is_some_and(|v| v.ends_with("(not SCTP: its CRC32c does not match)")),
            "{:?}",
            d.tree
        );
    }

    #[test]
    fn decrypted_alert() {
        let d = dissect_decrypted(
            Decrypted::Dtls {
                epoch: 3,
                sequence: 9,
                content_type: 21,
            },
            &[1, 0],
            &DissectOptions::default(),
        );
        assert_eq!(d.protocol, Protocol::Dtls);
        assert!(d.info.contains("Alert"), "{}", d.info);
    }
}
