//! RTP and SRTP (RFC 3550 §5.1, RFC 8285 header extensions, RFC 3711 / RFC 7714 SRTP).
//!
//! WebRTC media is SRTP, and nothing in a packet says so: the header and the header extension
//! are clear, the payload (with the padding count at its end) is ciphertext, and an
//! authentication tag follows. Unless [`DissectOptions::protection`] says otherwise, the tree
//! shows the clear header and calls the rest "possibly SRTP ciphertext", never reading the
//! padding count out of it.

use crate::datagram::{Dissected, Protocol};
use crate::util::{bytes, hex_preview, yes_no};
use crate::DissectOptions;
use rtcscope_rtp::rtp::{
    Extension, ExtensionBlock, ExtensionForm, ExtensionKind, ExtensionMap, ExtensionValue,
    RtpPacket,
};
use rtcscope_rtp::srtp::{Protection, SrtpPacket};
use rtcscope_wire::tree::Node;
use std::sync::OnceLock;

/// The note on every element decoded with ids inferred from the packets
/// ([`DissectOptions::extmap_inferred`]).
pub const INFERRED_EXTMAP_NOTE: &str = "(id inferred from the packets; the SDP may say otherwise)";
/// What an element is called when no map was given: ids differ between senders (libwebrtc,
/// Firefox), so none is assumed.
pub const NO_EXTMAP_NOTE: &str = "unknown ID (no SDP: IDs are not assumed)";

fn empty_map() -> &'static ExtensionMap {
    static MAP: OnceLock<ExtensionMap> = OnceLock::new();
    MAP.get_or_init(ExtensionMap::empty)
}

/// How the elements' ids were learnt.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdSource {
    Sdp,
    Inferred,
    None,
}

/// Dissects an RTP packet at `base`; `None` when the header is not valid RTP (version 2, CSRC
/// list and header extension inside the datagram), so the caller shows it as data.
pub(crate) fn rtp(buf: &[u8], base: usize, opts: &DissectOptions) -> Option<Dissected> {
    let header = RtpPacket::new_checked_opaque(buf).ok()?;
    let protection = opts.protection.unwrap_or(Protection::SrtpUnknownProfile);
    let title = match protection {
        Protection::Clear => "Real-time Transport Protocol".to_owned(),
        Protection::Srtp { profile, .. } => {
            format!(
                "Secure Real-time Transport Protocol ({})",
                profile.sdes_name()
            )
        }
        Protection::SrtpUnknownProfile => {
            "Real-time Transport Protocol (SRTP unless the session says otherwise)".to_owned()
        }
    };
    let mut tree = Node::new(title, 0..buf.len());
    header_fields(&mut tree, &header);
    let cryptex = header
        .extension()
        .is_some_and(|e| matches!(e.profile(), 0xC0DE | 0xC2DE));
    if header.csrc_count() > 0 {
        let mut list = Node::new("Contributing sources", header.csrc_range());
        if cryptex && protection != Protection::Clear {
            list.value = Some("encrypted (RFC 9335 cryptex)".to_owned());
        } else {
            for (i, c) in header.csrcs().enumerate() {
                let at = header.csrc_range().start + 4 * i;
                list.add("CSRC", format!("0x{c:08x}"), at..at + 4);
            }
        }
        tree.push(list);
    }
    if let Some(block) = header.extension() {
        let (map, source) = match &opts.extmap {
            Some(m) if opts.extmap_inferred => (m, IdSource::Inferred),
            Some(m) => (m, IdSource::Sdp),
            None => (empty_map(), IdSource::None),
        };
        tree.push(extension_block(
            &block,
            map,
            source,
            cryptex && protection != Protection::Clear,
            base,
        ));
    }
    let payload = header.payload_range();
    match protection {
        Protection::SrtpUnknownProfile => {
            tree.add(
                "Payload",
                format!(
                    "possibly SRTP ciphertext; {} incl. auth tag",
                    bytes(payload.len())
                ),
                payload.clone(),
            );
            if header.has_padding() {
                tree.add(
                    "Padding",
                    "P bit set; the padding count is inside the (possibly encrypted) payload, not read",
                    buf.len()..buf.len(),
                );
            }
        }
        Protection::Clear => match RtpPacket::new_checked(buf) {
            Ok(p) => {
                tree.add("Payload", bytes(p.payload().len()), p.payload_range());
                if p.has_padding() {
                    tree.add(
                        "Padding",
                        format!(
                            "{} (count byte {})",
                            bytes(p.padding_len()),
                            p.padding_len()
                        ),
                        p.padding_range(),
                    );
                }
            }
            Err(e) => {
                tree.add("Payload", bytes(payload.len()), payload.clone());
                tree.warn(e.shifted(base).to_string());
            }
        },
        Protection::Srtp { profile, mki_len } => {
            match SrtpPacket::new_checked(buf, Some(profile), mki_len.into()) {
                Ok(s) => {
                    let what = if profile.encrypts() {
                        "encrypted payload"
                    } else {
                        "authenticated payload (NULL cipher: clear, padding included)"
                    };
                    tree.add(
                        "Payload",
                        format!("{what}, {}", bytes(s.payload().len())),
                        s.payload_range(),
                    );
                    if header.has_padding() {
                        tree.add(
                            "Padding",
                            "P bit set; the padding count is the last byte of the decrypted payload",
                            s.payload_range().end..s.payload_range().end,
                        );
                    }
                    if let Some(r) = s.mki_range() {
                        tree.add("MKI", hex_preview(&buf[r.clone()]), r);
                    }
                    if let (Some(r), Some(tag)) = (s.auth_tag_range(), s.auth_tag()) {
                        let label = if profile.is_aead() {
                            "AEAD authentication tag"
                        } else {
                            "Authentication tag"
                        };
                        tree.add(label, hex_preview(tag), r);
                    }
                }
                Err(e) => {
                    tree.add("Payload", bytes(payload.len()), payload.clone());
                    tree.warn(e.shifted(base).to_string());
                }
            }
        }
    }
    let mut info = format!(
        "PT={}, SSRC=0x{:08X}, Seq={}, Time={}",
        header.payload_type(),
        header.ssrc(),
        header.sequence_number(),
        header.timestamp()
    );
    if header.marker() {
        info.push_str(", Mark");
    }
    tree.shift(base);
    Some(Dissected {
        protocol: Protocol::Rtp,
        turn: false,
        inner: None,
        info,
        tree,
    })
}

fn header_fields(tree: &mut Node, h: &RtpPacket<'_>) {
    tree.add("Version", h.version(), 0..1);
    tree.add("Padding (P)", yes_no(h.has_padding()), 0..1);
    tree.add("Extension (X)", yes_no(h.has_extension()), 0..1);
    tree.add("CSRC count", h.csrc_count(), 0..1);
    tree.add("Marker", yes_no(h.marker()), 1..2);
    tree.add("Payload type", h.payload_type(), 1..2);
    tree.add("Sequence number", h.sequence_number(), 2..4);
    tree.add("Timestamp", h.timestamp(), 4..8);
    tree.add("SSRC", format!("0x{:08x} ({})", h.ssrc(), h.ssrc()), 8..12);
}

fn extension_block(
    block: &ExtensionBlock<'_>,
    map: &ExtensionMap,
    source: IdSource,
    encrypted: bool,
    base: usize,
) -> Node {
    let range = block.range();
    let form = match block.form() {
        ExtensionForm::OneByte => "RFC 8285 one-byte".to_owned(),
        ExtensionForm::TwoByte { appbits } => format!("RFC 8285 two-byte, appbits {appbits}"),
        ExtensionForm::Other(p) if encrypted => format!("RFC 9335 cryptex 0x{p:04X}"),
        ExtensionForm::Other(p) => format!("profile-specific 0x{p:04X}"),
    };
    let mut node = Node::new("Header extension", range.clone())
        .with_value(format!("{form}, {}", bytes(block.data().len())));
    node.add(
        "Defined by profile",
        format!("0x{:04X}", block.profile()),
        range.start..range.start + 2,
    );
    node.add(
        "Length",
        format!("{} (32-bit words)", block.length_words()),
        range.start + 2..range.start + 4,
    );
    if encrypted {
        node.add(
            "Extension data",
            format!(
                "encrypted (RFC 9335 cryptex), {}",
                bytes(block.data().len())
            ),
            block.data_range(),
        );
        return node;
    }
    if matches!(block.form(), ExtensionForm::Other(_)) {
        node.add(
            "Extension data",
            hex_preview(block.data()),
            block.data_range(),
        );
        return node;
    }
    for e in block.iter() {
        match e {
            Ok(ext) => node.push(element(&ext, map, source, base)),
            Err(err) => {
                node.warn(err.shifted(base).to_string());
                break;
            }
        };
    }
    node
}

fn element(ext: &Extension<'_>, map: &ExtensionMap, source: IdSource, base: usize) -> Node {
    let kind = map.get(ext.id);
    let name = match kind {
        Some(k) if source == IdSource::Inferred => {
            format!("{} {INFERRED_EXTMAP_NOTE}", short_name(k))
        }
        Some(k) => short_name(k).to_owned(),
        None if source == IdSource::None => NO_EXTMAP_NOTE.to_owned(),
        None => "unmapped ID".to_owned(),
    };
    let mut node = Node::new(format!("Extension {}", ext.id), ext.range.clone());
    let s = ext.range.start;
    match ext.form {
        ExtensionForm::TwoByte { .. } => {
            node.add("ID", ext.id, s..s + 1);
            node.add("Length", ext.data.len(), s + 1..s + 2);
        }
        _ => {
            node.add("ID", ext.id, s..s + 1);
            node.add(
                "Length",
                format!(
                    "{} (L field {})",
                    ext.data.len(),
                    ext.data.len().saturating_sub(1)
                ),
                s..s + 1,
            );
        }
    }
    node.add("Extension", &name, s..s + 1);
    match map.decode(ext) {
        Ok(v) => {
            let text = describe(&v);
            node.value = Some(match kind {
                Some(k) => format!("{}: {text}", short_name(k)),
                None => text.clone(),
            });
            node.add("Value", text, ext.data_range());
        }
        Err(e) => {
            node.add("Value", hex_preview(ext.data), ext.data_range());
            node.warn(e.shifted(base).to_string());
        }
    }
    node
}

/// The URI without its registry prefix (`abs-send-time`, `sdes:mid`).
fn short_name(k: ExtensionKind) -> &'static str {
    let uri = k.uri();
    for prefix in [
        "urn:ietf:params:rtp-hdrext:",
        "http://www.webrtc.org/experiments/rtp-hdrext/",
        "https://aomediacodec.github.io/av1-rtp-spec/#",
        "http://www.ietf.org/id/draft-holmer-rmcat-",
        "http://www.ietf.org/id/",
        "urn:3gpp:",
    ] {
        if let Some(rest) = uri.strip_prefix(prefix) {
            return rest;
        }
    }
    uri
}

fn describe(v: &ExtensionValue<'_>) -> String {
    match *v {
        ExtensionValue::AudioLevel {
            voice_activity,
            level,
        } => format!("-{level} dBov, voice activity {}", yes_no(voice_activity)),
        ExtensionValue::CsrcAudioLevels(l) => {
            let levels: Vec<String> = l.iter().map(|b| format!("-{} dBov", b & 0x7f)).collect();
            levels.join(", ")
        }
        ExtensionValue::TransmissionOffset(o) => format!("{o} timestamp units"),
        ExtensionValue::AbsSendTime(t) => format!(
            "0x{t:06x} ({:.6} s mod 64)",
            v.abs_send_time_micros().unwrap_or(0) as f64 / 1e6
        ),
        ExtensionValue::AbsCaptureTime {
            timestamp,
            estimated_capture_clock_offset,
        } => {
            let secs = (timestamp >> 32) as f64 + (timestamp & 0xffff_ffff) as f64 / 4_294_967_296.0;
            match estimated_capture_clock_offset {
                Some(o) => format!(
                    "NTP {secs:.6} s, clock offset {:.6} s",
                    o as f64 / 4_294_967_296.0
                ),
                None => format!("NTP {secs:.6} s"),
            }
        }
        ExtensionValue::TransportSequence {
            sequence,
            feedback_request,
        } => match feedback_request {
            Some(r) => format!(
                "seq {sequence}, feedback request for {} packets{}",
                r.sequence_count,
                if r.include_timestamps {
                    " with timestamps"
                } else {
                    ""
                }
            ),
            None => format!("seq {sequence}"),
        },
        ExtensionValue::Mid(s) | ExtensionValue::Rid(s) | ExtensionValue::RepairedRid(s) => {
            format!("{s:?}")
        }
        ExtensionValue::VideoOrientation {
            camera_back,
            flip,
            rotation,
        } => format!(
            "rotation {rotation}°, {} camera{}",
            if camera_back { "back" } else { "front" },
            if flip { ", flipped" } else { "" }
        ),
        ExtensionValue::PlayoutDelay { min, max } => format!(
            "min {} ms, max {} ms",
            u32::from(min) * 10,
            u32::from(max) * 10
        ),
        ExtensionValue::VideoContentType(t) => {
            if t & 1 != 0 {
                format!("0x{t:02x} (screenshare)")
            } else {
                format!("0x{t:02x} (unspecified)")
            }
        }
        ExtensionValue::VideoTiming {
            flags,
            encode_start,
            encode_finish,
            packetization_finish,
            pacer_exit,
            network,
            network2,
        } => format!(
            "{}encode {encode_start}–{encode_finish} ms, packetized {packetization_finish} ms, pacer exit {pacer_exit} ms, network {network}/{network2} ms",
            flags.map(|f| format!("flags 0x{f:02x}, ")).unwrap_or_default()
        ),
        ExtensionValue::ColorSpace {
            primaries,
            transfer,
            matrix,
            range,
            chroma_siting_horizontal,
            chroma_siting_vertical,
            hdr_metadata,
        } => format!(
            "primaries {primaries}, transfer {transfer}, matrix {matrix}, range {range}, chroma siting {chroma_siting_horizontal}/{chroma_siting_vertical}{}",
            if hdr_metadata.is_some() { ", HDR metadata" } else { "" }
        ),
        ExtensionValue::VideoFrameTrackingId(id) => id.to_string(),
        ExtensionValue::Raw { data, .. } => hex_preview(data),
        // A variant added to the RTP crate later: never Debug-printed.
        _ => "(not decoded here)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_strip_registry_prefixes() {
        assert_eq!(short_name(ExtensionKind::AbsSendTime), "abs-send-time");
        assert_eq!(short_name(ExtensionKind::Mid), "sdes:mid");
        assert_eq!(short_name(ExtensionKind::AudioLevel), "ssrc-audio-level");
    }
}
