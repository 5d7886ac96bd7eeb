//! Dissection trees of every protocol: fields, SRTP awareness, and byte ranges (every node
//! inside its parent, every range inside the frame), on built packets and real captures.

use rtcscope_capture::link::LinkType;
use rtcscope_capture::CaptureReader;
use rtcscope_dissect::{
    dissect_frame, dissect_frame_with, DissectOptions, ExtensionMap, Frame, Protection, Protocol,
    SrtpProfile, INFERRED_EXTMAP_NOTE, MAX_LISTED, NO_EXTMAP_NOTE,
};
use rtcscope_rtp::rtcp::feedback::{FciRepr, FeedbackRepr, NackRepr};
use rtcscope_rtp::rtcp::twcc::{TwccChunk, TwccRepr};
use rtcscope_rtp::rtcp::{CompoundRepr, ReceiverReportRepr, RtcpPacketRepr, RtcpRepr};
use rtcscope_rtp::rtp::{ExtensionBlockRepr, ExtensionKind, ExtensionRepr, RtpRepr};
use rtcscope_sctp::{ChunkRepr, PacketRepr, Ppid};
use rtcscope_wire::tree::Node;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A raw-IPv4 frame (link type RAW) carrying `payload` in UDP from port `sport` to `dport`.
fn udp_frame(payload: &[u8], sport: u16, dport: u16) -> Vec<u8> {
    rtcscope_testkit::frames::ipv4_udp(
        SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), sport),
        SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), dport),
        payload,
    )
}

fn frame(payload: &[u8], opts: &DissectOptions) -> Frame {
    let f = udp_frame(payload, 40000, 50000);
    let out = dissect_frame_with(1, 0, LinkType::RAW, &f, f.len() as u32, opts);
    check_frame(&out, f.len());
    out
}

/// Every node lies inside its parent, and every tree inside the frame.
fn check_node(n: &Node, outer: &Range<usize>, path: &str) {
    let here = format!("{path}/{}", n.label);
    assert!(
        n.range.start <= n.range.end && n.range.start >= outer.start && n.range.end <= outer.end,
        "{here}: {:?} not inside {outer:?}",
        n.range
    );
    for c in &n.children {
        check_node(c, &n.range, &here);
    }
}

fn check_frame(f: &Frame, len: usize) {
    check_node(&f.frame, &(0..len), "");
    for l in &f.layers {
        check_node(l, &(0..len), "");
    }
    for m in &f.messages {
        check_node(&m.tree, &(0..len), "");
    }
}

fn find<'a>(n: &'a Node, label: &str) -> Option<&'a Node> {
    if n.label == label {
        return Some(n);
    }
    n.children.iter().find_map(|c| find(c, label))
}

fn find_all<'a>(n: &'a Node, label: &str, out: &mut Vec<&'a Node>) {
    if n.label.starts_with(label) {
        out.push(n);
    }
    for c in &n.children {
        find_all(c, label, out);
    }
}

fn value<'a>(n: &'a Node, label: &str) -> &'a str {
    find(n, label)
        .and_then(|n| n.value.as_deref())
        .unwrap_or_else(|| panic!("no {label} in {n:#?}"))
}

fn audio_packet(padding: u8) -> Vec<u8> {
    RtpRepr {
        marker: true,
        payload_type: 111,
        sequence_number: 7,
        timestamp: 48_000,
        ssrc: 0xdead_beef,
        csrcs: vec![1, 2],
        extension: Some(ExtensionBlockRepr::OneByte(vec![
            ExtensionRepr {
                id: 1,
                data: vec![0x9a],
            },
            ExtensionRepr {
                id: 3,
                data: vec![0x01, 0x02],
            },
            ExtensionRepr {
                id: 4,
                data: b"0".to_vec(),
            },
        ])),
        payload: vec![0x5a; 20],
        padding,
    }
    .to_bytes()
    .unwrap()
}

#[test]
fn rtp_without_known_protection_shows_the_clear_header_only() {
    let pkt = audio_packet(4);
    let f = frame(&pkt, &DissectOptions::default());
    assert_eq!(f.messages.len(), 1);
    let d = &f.messages[0];
    assert_eq!(d.protocol, Protocol::Rtp);
    assert_eq!(d.info, "PT=111, SSRC=0xDEADBEEF, Seq=7, Time=48000, Mark");
    let t = &d.tree;
    assert_eq!(value(t, "Sequence number"), "7");
    assert_eq!(value(t, "CSRC count"), "2");
    // 20 bytes of payload and 4 of padding: nothing after the header is interpreted.
    assert_eq!(
        value(t, "Payload"),
        "possibly SRTP ciphertext; 24 bytes incl. auth tag"
    );
    assert!(value(t, "Padding").contains("not read"));
    // Without a map no id is assumed: every element is raw bytes, said to be unknown.
    let ext1 = find(t, "Extension 1").unwrap();
    assert_eq!(ext1.value.as_deref(), Some("9a"));
    assert_eq!(value(ext1, "Extension"), NO_EXTMAP_NOTE);
    assert_eq!(
        find(t, "Extension 3").unwrap().value.as_deref(),
        Some("0102")
    );
    assert_eq!(find(t, "Extension 4").unwrap().value.as_deref(), Some("30"));
    // With ids inferred from the packets, elements decode and say where the ids came from.
    let mut inferred = ExtensionMap::empty();
    inferred.set(1, ExtensionKind::AudioLevel);
    inferred.set(4, ExtensionKind::Mid);
    let opts = DissectOptions {
        extmap: Some(inferred),
        extmap_inferred: true,
        ..DissectOptions::default()
    };
    let fi = frame(&pkt, &opts);
    let ti = &fi.messages[0].tree;
    let ext1 = find(ti, "Extension 1").unwrap();
    assert_eq!(
        ext1.value.as_deref(),
        Some("ssrc-audio-level: -26 dBov, voice activity yes")
    );
    assert_eq!(
        value(ext1, "Extension"),
        format!("ssrc-audio-level {INFERRED_EXTMAP_NOTE}")
    );
    assert_eq!(
        find(ti, "Extension 4").unwrap().value.as_deref(),
        Some("sdes:mid: \"0\"")
    );
    assert_eq!(
        value(find(ti, "Extension 3").unwrap(), "Extension"),
        "unmapped ID"
    );
    // The element ranges: IPv4 20 + UDP 8, then 12 header + 8 CSRC + 4 extension header.
    assert_eq!(find(t, "Extension 1").unwrap().range, 52..54);
    assert_eq!(find(t, "Header extension").unwrap().range, 48..60);
}

#[test]
fn rtp_cleartext_and_srtp_with_a_profile() {
    let pkt = audio_packet(4);
    let clear = DissectOptions {
        protection: Some(Protection::Clear),
        ..DissectOptions::default()
    };
    let f = frame(&pkt, &clear);
    let t = &f.messages[0].tree;
    assert_eq!(value(t, "Payload"), "20 bytes");
    let end = 28 + pkt.len();
    assert_eq!(find(t, "Padding").unwrap().range, end - 4..end);

    let mut srtp = audio_packet(0);
    srtp.extend_from_slice(&[0xaa; 10]);
    let opts = DissectOptions {
        protection: Some(Protection::srtp(SrtpProfile::Aes128CmHmacSha1_80)),
        ..DissectOptions::default()
    };
    let f = frame(&srtp, &opts);
    let t = &f.messages[0].tree;
    let end = 28 + srtp.len();
    assert_eq!(find(t, "Authentication tag").unwrap().range, end - 10..end);
    assert_eq!(value(t, "Payload"), "encrypted payload, 20 bytes");

    // An SDP's extmap replaces the guess, and the note goes away.
    let mut map = ExtensionMap::empty();
    map.set(3, ExtensionKind::Mid);
    let opts = DissectOptions {
        extmap: Some(map),
        ..DissectOptions::default()
    };
    let f = frame(&pkt, &opts);
    let t = &f.messages[0].tree;
    assert_eq!(value(t, "Extension 1"), "9a");
    assert_eq!(
        find(t, "Extension 3").unwrap().value.as_deref(),
        Some("sdes:mid: \"\\u{1}\\u{2}\"")
    );
    let mut labels = Vec::new();
    find_all(t, "Extension", &mut labels);
    assert!(labels.iter().all(|n| !n
        .value
        .as_deref()
        .unwrap_or("")
        .contains(INFERRED_EXTMAP_NOTE)));
}

/// webrtc-rs's RR + SDES + BYE + PLI + RTPFB compound (as in the rtp crate's tests).
const COMPOUND: [u8; 116] = [
    0x81, 0xc9, 0x00, 0x07, 0x90, 0x2f, 0x9e, 0x2e, 0xbc, 0x5e, 0x9a, 0x40, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x46, 0xe1, 0x00, 0x00, 0x01, 0x11, 0x09, 0xf3, 0x64, 0x32, 0x00, 0x02, 0x4a, 0x79,
    0x81, 0xca, 0x00, 0x0c, 0x90, 0x2f, 0x9e, 0x2e, 0x01, 0x26, 0x7b, 0x39, 0x63, 0x30, 0x30, 0x65,
    0x62, 0x39, 0x32, 0x2d, 0x31, 0x61, 0x66, 0x62, 0x2d, 0x39, 0x64, 0x34, 0x39, 0x2d, 0x61, 0x34,
    0x37, 0x64, 0x2d, 0x39, 0x31, 0x66, 0x36, 0x34, 0x65, 0x65, 0x65, 0x36, 0x39, 0x66, 0x35, 0x7d,
    0x00, 0x00, 0x00, 0x00, 0x81, 0xcb, 0x00, 0x01, 0x90, 0x2f, 0x9e, 0x2e, 0x81, 0xce, 0x00, 0x02,
    0x90, 0x2f, 0x9e, 0x2e, 0x90, 0x2f, 0x9e, 0x2e, 0x85, 0xcd, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e,
    0x90, 0x2f, 0x9e, 0x2e,
];

#[test]
fn rtcp_compound_that_tiles_is_cleartext() {
    let f = frame(&COMPOUND, &DissectOptions::default());
    let d = &f.messages[0];
    assert_eq!(d.protocol, Protocol::Rtcp);
    assert_eq!(
        d.info,
        "Receiver Report, Source Description, Goodbye, PLI, RTCP-SR-REQ"
    );
    let t = &d.tree;
    assert_eq!(
        value(t, "Report block"),
        "SSRC 0xbc5e9a40, lost 0 (0.0% recently)"
    );
    assert_eq!(
        value(t, "CNAME"),
        "\"{9c00eb92-1afb-9d49-a47d-91f64eee69f5}\""
    );
    // The report block sits after IPv4 + UDP (28), the RTCP header and the sender SSRC.
    assert_eq!(find(t, "Report block").unwrap().range, 36..60);
}

#[test]
fn srtcp_is_never_parsed_past_the_sender_ssrc() {
    // An RR with one report block, then an SRTCP index (E = 1) and an 80-bit tag: 14 bytes
    // that break the tiling.
    let rr = &COMPOUND[..32];
    let mut srtcp = rr.to_vec();
    srtcp.extend_from_slice(&[0x80, 0, 0, 5]);
    srtcp.extend_from_slice(&[0xbb; 10]);
    let f = frame(&srtcp, &DissectOptions::default());
    let d = &f.messages[0];
    assert_eq!(d.protocol, Protocol::Rtcp);
    assert_eq!(
        d.info,
        "Receiver Report (SSRC 0x902F9E2E), encrypted (SRTCP)"
    );
    assert!(find(&d.tree, "Report block").is_none());
    assert_eq!(
        find(&d.tree, "Encrypted (SRTCP)").unwrap().range,
        36..28 + srtcp.len()
    );

    let opts = DissectOptions {
        protection: Some(Protection::srtp(SrtpProfile::Aes128CmHmacSha1_80)),
        ..DissectOptions::default()
    };
    let f = frame(&srtcp, &opts);
    let t = &f.messages[0].tree;
    assert_eq!(value(t, "SRTCP index"), "5");
    assert_eq!(value(t, "E (encrypted)"), "yes");
    let end = 28 + srtcp.len();
    assert_eq!(find(t, "Authentication tag").unwrap().range, end - 10..end);
    assert_eq!(find(t, "Encrypted (SRTCP)").unwrap().range, 36..28 + 32);

    // E = 0: authenticated only, so the compound packet is shown.
    srtcp[32] = 0;
    let f = frame(&srtcp, &opts);
    assert!(find(&f.messages[0].tree, "Report block").is_some());
}

#[test]
fn feedback_bodies_expand_and_transport_cc_is_capped() {
    let p = |body| RtcpPacketRepr { body, padding: 0 };
    let bytes = CompoundRepr {
        packets: vec![
            p(RtcpRepr::ReceiverReport(ReceiverReportRepr {
                ssrc: 1,
                reports: vec![],
                profile_extensions: vec![],
            })),
            p(RtcpRepr::Feedback(FeedbackRepr {
                sender_ssrc: 1,
                media_ssrc: 2,
                fci: FciRepr::Nack(vec![NackRepr {
                    pid: 100,
                    blp: 0x8001,
                }]),
            })),
            p(RtcpRepr::Feedback(FeedbackRepr {
                sender_ssrc: 1,
                media_ssrc: 2,
                fci: FciRepr::TransportCc(TwccRepr {
                    base_sequence: 1000,
                    status_count: 100,
                    reference_time: 12345,
                    fb_pkt_count: 9,
                    chunks: vec![TwccChunk(0x2000 | 100)],
                    deltas: vec![4; 100],
                }),
            })),
        ],
    }
    .to_bytes()
    .unwrap();
    let f = frame(&bytes, &DissectOptions::default());
    let d = &f.messages[0];
    assert_eq!(d.info, "Receiver Report, Generic NACK, transport-cc");
    assert_eq!(value(&d.tree, "Lost sequence numbers"), "100, 101, 116");
    let packets = find(&d.tree, "Packets").unwrap();
    let listed = packets
        .children
        .iter()
        .filter(|c| c.label.starts_with("Seq "))
        .count();
    assert_eq!(listed, MAX_LISTED);
    assert_eq!(value(packets, "…"), "36 more packets");
    assert_eq!(
        packets.value.as_deref(),
        Some("100 received, 0 not received")
    );
    assert_eq!(
        value(packets, "Seq 1001"),
        "received (small delta), delta +1.00 ms, arrival 790082.00 ms"
    );
}

#[test]
fn sctp_on_a_named_port_with_dcep() {
    let open = rtcscope_sctp::dcep::DataChannelOpenRepr {
        channel_type: rtcscope_sctp::ChannelType::RELIABLE,
        priority: 256,
        reliability_parameter: 0,
        label: b"chat".to_vec(),
        protocol: vec![],
    };
    let pkt = PacketRepr {
        src_port: 5000,
        dst_port: 5000,
        verification_tag: 0x1234_5678,
        chunks: vec![ChunkRepr::Data {
            flags: 0x03,
            tsn: 1,
            stream_id: 0,
            ssn: 0,
            ppid: Ppid::WEBRTC_DCEP,
            user_data: open.to_bytes(),
        }],
    }
    .to_bytes(false);
    let f = udp_frame(&pkt, 9899, 9899);
    // Without the option the payload is data: SCTP has no first-byte signature.
    let plain = dissect_frame(1, 0, LinkType::RAW, &f, f.len() as u32);
    assert_eq!(plain.messages[0].protocol, Protocol::Data);
    let opts = DissectOptions {
        sctp_ports: vec![9899],
        ..DissectOptions::default()
    };
    let out = dissect_frame_with(1, 0, LinkType::RAW, &f, f.len() as u32, &opts);
    check_frame(&out, f.len());
    let d = &out.messages[0];
    assert_eq!(d.protocol, Protocol::Sctp);
    assert_eq!(
        d.info,
        "DATA (TSN 1, stream 0) DATA_CHANNEL_OPEN label=\"chat\""
    );
    assert_eq!(value(&d.tree, "CRC32c check"), "valid");
    assert_eq!(
        value(&d.tree, "Payload protocol identifier"),
        "WebRTC DCEP (50)"
    );
    assert_eq!(value(&d.tree, "Label"), "\"chat\"");
    let mut bad = f.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let out = dissect_frame_with(1, 0, LinkType::RAW, &bad, bad.len() as u32, &opts);
    assert!(value(&out.messages[0].tree, "CRC32c check").starts_with("mismatch"));
    assert!(out.messages[0].tree.has_warnings());
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// (link type, bytes, original length) of every frame of a capture.
fn frames_of(path: &Path) -> Vec<(LinkType, Vec<u8>, u32)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut r = CaptureReader::new(file).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        out.push((p.link_type, p.data.to_vec(), p.orig_len));
    }
    out
}

fn all_opts() -> Vec<DissectOptions> {
    vec![
        DissectOptions::default(),
        DissectOptions {
            protection: Some(Protection::Clear),
            ..DissectOptions::default()
        },
        DissectOptions {
            protection: Some(Protection::srtp(SrtpProfile::AeadAes128Gcm)),
            extmap: Some(ExtensionMap::empty()),
            ..DissectOptions::default()
        },
    ]
}

#[test]
fn dtls12_handshake_fields_and_certificate_fingerprint() {
    let frames = frames_of(&fixtures().join("dtls/dtls12-srtp.pcapng"));
    let expected = std::fs::read_to_string(fixtures().join("dtls/dtls12-srtp.expected")).unwrap();
    let server_fp = expected
        .lines()
        .find_map(|l| l.strip_prefix("server_fingerprint="))
        .unwrap();
    let mut fingerprints = Vec::new();
    let mut saw_hello = false;
    for (link, data, len) in &frames {
        let f = dissect_frame(1, 0, *link, data, *len);
        check_frame(&f, data.len());
        for m in f.messages.iter().filter(|m| m.protocol == Protocol::Dtls) {
            if m.info.starts_with("Client Hello") {
                saw_hello = true;
                let srtp = find(&m.tree, "Extension: use_srtp").unwrap();
                assert!(
                    srtp.value
                        .as_deref()
                        .unwrap()
                        .contains("SRTP_AES128_CM_HMAC_SHA1_80"),
                    "{srtp:#?}"
                );
            }
            let mut certs = Vec::new();
            find_all(&m.tree, "Fingerprint (a=fingerprint)", &mut certs);
            fingerprints.extend(certs.iter().filter_map(|n| n.value.clone()));
        }
    }
    assert!(saw_hello);
    assert!(
        fingerprints.iter().any(|f| f == server_fp),
        "{fingerprints:?} lacks {server_fp}"
    );
}

/// Every prefix of real frames: no panic, every range inside the (cut) frame.
#[test]
fn truncation_sweep_over_real_frames() {
    let mut picked: Vec<(LinkType, Vec<u8>)> = Vec::new();
    let webrtc = frames_of(&fixtures().join("webrtc/direct/capture.pcapng"));
    // One frame of each protocol and size class the default options find.
    let mut seen = std::collections::BTreeSet::new();
    for (link, data, len) in &webrtc {
        let f = dissect_frame(1, 0, *link, data, *len);
        let key = (
            f.messages.first().map(|m| m.protocol.name()).unwrap_or(""),
            data.len() / 400,
            f.info().split(',').next().unwrap_or("").to_owned(),
        );
        if seen.insert(key) {
            picked.push((*link, data.clone()));
        }
    }
    for (link, data, _) in frames_of(&fixtures().join("dtls/dtls12-srtp.pcapng"))
        .into_iter()
        .take(12)
    {
        picked.push((link, data));
    }
    assert!(picked.len() >= 10, "{}", picked.len());
    let opts = all_opts();
    for (link, data) in &picked {
        for cut in 0..=data.len() {
            let part = &data[..cut];
            for o in &opts {
                let f = dissect_frame_with(1, 0, *link, part, data.len() as u32, o);
                check_frame(&f, part.len());
            }
        }
    }
}

#[test]
fn stun_with_an_unpadded_last_attribute_is_dissected_and_flagged() {
    // A Binding request whose last attribute, USERNAME "abc", is not padded (length 7), as
    // WhatsApp, Microsoft Teams and MS-TURN send.
    let bytes = [
        0x00, 0x01, 0x00, 0x07, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        0x00, 0x06, 0x00, 0x03, b'a', b'b', b'c',
    ];
    let f = frame(&bytes, &DissectOptions::default());
    assert_eq!(f.messages.len(), 1);
    let m = &f.messages[0];
    assert_eq!(m.protocol, Protocol::Stun);
    assert_eq!(value(&m.tree, "USERNAME"), "abc");
    assert!(
        m.tree
            .warnings
            .iter()
            .any(|w| w.contains("multiple of 4") && w.contains("not padded")),
        "{:?}",
        m.tree.warnings
    );
}

#[test]
fn a_tls_server_flight_on_tcp_is_not_classic_stun() {
    // A TLS 1.3 server flight in one segment: ServerHello (record 0x16 0x0303, 122 bytes),
    // ChangeCipherSpec, then application data. The first two bits are zero and bytes 2..4 read
    // as a STUN length of 0x0300, a multiple of 4 that fits the segment, so framing alone took
    // it for a "classic STUN 0x1603" message.
    let mut seg = vec![
        0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03,
    ];
    seg.resize(5 + 122, 0x5a);
    seg.extend_from_slice(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
    seg.extend_from_slice(&[0x17, 0x03, 0x03, 0x04, 0x00]);
    seg.resize(seg.len() + 0x400, 0xa5);
    let out = rtcscope_dissect::dissect_stream(&seg, 0);
    assert!(
        out.iter().all(|d| d.protocol == Protocol::Data),
        "{:?}",
        out.iter().map(|d| d.protocol).collect::<Vec<_>>()
    );
}

#[test]
fn a_mid_stream_segment_that_frames_as_channel_data_by_chance_is_data() {
    // The shape of frame 233 of veondigital-srtp_decoder/WebRTC_PCMA_p2p_SDES_Call_1.pcap: a
    // TLS application-data segment on TCP 443 whose first bytes 0x5e26 0x02bf read as channel
    // 0x5e26 with 703 bytes; the byte after them (0xc4 here) cannot start a TURN message, so
    // the segment is not TURN.
    let mut seg = vec![0x5e, 0x26, 0x02, 0xbf];
    seg.resize(4 + 704, 0x33);
    seg.push(0xc4);
    seg.resize(1448, 0x77);
    let out = rtcscope_dissect::dissect_stream(&seg, 0);
    assert!(
        out.iter().all(|d| d.protocol == Protocol::Data),
        "{:?}",
        out.iter().map(|d| d.protocol).collect::<Vec<_>>()
    );
    // Real TURN over TCP: ChannelData (padded to 4 bytes), then a STUN Binding request header
    // cut by the segment's end: both kept.
    let mut turn = vec![0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0];
    turn.extend_from_slice(&[0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]);
    let out = rtcscope_dissect::dissect_stream(&turn, 0);
    assert_eq!(out[0].protocol, Protocol::ChannelData);
}

/// ICE-TCP (fixtures/webrtc/firefox-janus: every packet of the call RFC 4571-framed on one TCP
/// connection): each framed message's tree starts with its 2-byte length, which covers the
/// bytes before the message and agrees with the message's own size, so the hex view explains
/// every byte of the segment. Read alone (stateless) and with the stream's state.
#[test]
fn ice_tcp_frames_show_their_rfc4571_length() {
    let frames = frames_of(&fixtures().join("webrtc/firefox-janus/capture.pcapng"));
    let mut stateful = rtcscope_dissect::Dissector::new(DissectOptions::default());
    let (mut alone, mut with_state) = (0, 0);
    for (n, (link, data, len)) in frames.iter().enumerate() {
        let f = dissect_frame(n as u64 + 1, 0, *link, data, *len);
        check_frame(&f, data.len());
        let g = stateful.frame(n as u64 + 1, 0, *link, data, *len);
        check_frame(&g, data.len());
        for (frame, count) in [(&f, &mut alone), (&g, &mut with_state)] {
            if frame.transport != Some("TCP") {
                continue;
            }
            for m in frame
                .messages
                .iter()
                .filter(|m| m.protocol != Protocol::Data)
            {
                let Some(first) = m.tree.children.first() else {
                    continue;
                };
                if first.label != "RFC 4571 length" {
                    // A message reassembled from earlier segments says so instead.
                    assert_eq!(
                        first.label, "Reassembled TCP message",
                        "{}: {:#?}",
                        m.info, m.tree
                    );
                    continue;
                }
                let framed: usize = value(&m.tree, "RFC 4571 length")
                    .split(' ')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert_eq!(first.range.len(), 2);
                assert_eq!(first.range.start, m.tree.range.start, "{}", m.info);
                assert_eq!(m.tree.range.len(), framed + 2, "{}", m.info);
                let at = first.range.start;
                assert_eq!(
                    usize::from(u16::from_be_bytes([data[at], data[at + 1]])),
                    framed
                );
                *count += 1;
            }
        }
    }
    // STUN, DTLS, SRTP and SRTCP: over 1,500 framed messages in this call.
    assert!(alone > 1400 && with_state > 1400, "{alone} {with_state}");
}
