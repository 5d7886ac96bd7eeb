//! Parser tests: line bookkeeping, typed attributes, lossless emission, truncation sweeps,
//! property tests, JSON input and the report.

use proptest::prelude::*;
use rtcscope_sdp::{
    analyze, documents, fuzzing, AddressKind, Attribute, Candidate, CandidateType, Direction,
    FileReport, InputError, LineEnding, LineKind, RidDirection, Sdp, SdpType, Setup, SimulcastId,
};

const OFFER: &str = include_str!("data/chrome-offer.sdp");

#[test]
fn lines_keep_numbers_offsets_and_endings() {
    let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\ns=-\r\nt=0 0";
    let sdp = Sdp::parse(text);
    assert_eq!(sdp.line_ending, LineEnding::Mixed);
    let lines: Vec<_> = sdp.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!((lines[1].number, lines[1].offset), (2, 5));
    assert_eq!(lines[1].ending, "\n");
    assert_eq!(lines[3].ending, "");
    assert_eq!(&text[lines[2].offset..lines[2].offset + 3], "s=-");
    assert!(matches!(lines[0].kind, LineKind::Version(0)));
    assert_eq!(Sdp::parse("v=0\r\n").line_ending, LineEnding::Crlf);
    assert_eq!(Sdp::parse("v=0\n").line_ending, LineEnding::Lf);
    assert_eq!(Sdp::parse("v=0").line_ending, LineEnding::None);
    assert_eq!(Sdp::parse("").lines().count(), 0);
}

#[test]
fn malformed_lines_are_located_and_kept() {
    let text = "v=0\r\nm=audio port UDP/TLS/RTP/SAVPF 111\r\n";
    let sdp = Sdp::parse(text);
    let m = &sdp.session.lines[1];
    let LineKind::Malformed(e) = &m.kind else {
        panic!("{:?}", m.kind)
    };
    assert_eq!(e.error.layer, rtcscope_wire::Layer::Sdp);
    assert_eq!(e.error.offset, text.find("port").unwrap());
    assert_eq!(e.error.field, "media port");
    assert_eq!(e.token, "port");
    assert_eq!(sdp.emit("\r\n"), text);
    // The malformed m= line does not open a section.
    assert!(sdp.media.is_empty());
}

#[test]
fn sections_and_typed_attributes() {
    let sdp = Sdp::parse(OFFER);
    assert_eq!(sdp.media.len(), 3);
    assert_eq!(sdp.bundle_groups(), vec![&["0", "1", "2"][..]]);
    let audio = &sdp.media[0];
    let (_, ml) = audio.media_line().unwrap();
    assert_eq!(
        (ml.media, ml.port, ml.proto),
        ("audio", 9, "UDP/TLS/RTP/SAVPF")
    );
    assert!(ml.is_rtp() && ml.is_dtls() && !ml.is_sctp());
    assert_eq!(audio.mid(), Some("0"));
    assert_eq!(audio.ice_ufrag(), Some("EsAw"));
    assert_eq!(audio.setup(), Some(Setup::Actpass));
    assert_eq!(audio.direction(), Some(Direction::SendRecv));
    let c: Vec<_> = audio.candidates().collect();
    assert_eq!(c.len(), 4);
    assert_eq!(c[0].extension("network-cost"), Some("10"));
    assert_eq!(c[1].tcptype, Some("active"));
    assert_eq!(c[2].typ, CandidateType::Srflx);
    assert_eq!(
        (c[2].raddr, c[2].rport),
        (Some("192.168.0.196"), Some(46243))
    );
    assert_eq!(c[3].address_kind(), AddressKind::Mdns);
    let video = &sdp.media[1];
    let sim = video
        .find(|a| matches!(a, Attribute::Simulcast { .. }).then_some(a))
        .unwrap();
    assert_eq!(
        sim,
        &Attribute::Simulcast {
            send: Some(vec![
                vec![SimulcastId {
                    rid: "h",
                    paused: false
                }],
                vec![SimulcastId {
                    rid: "m",
                    paused: false
                }],
                vec![SimulcastId {
                    rid: "l",
                    paused: true
                }],
            ]),
            recv: None
        }
    );
    assert!(video.attributes().any(|(_, a)| a
        == &Attribute::SsrcGroup {
            semantics: "FID",
            ssrcs: vec![2001, 2002]
        }));
    assert!(video.attributes().any(|(_, a)| matches!(
        a,
        Attribute::Rid {
            id: "h",
            direction: RidDirection::Send,
            params: None
        }
    )));
    // Unknown attributes are kept verbatim with name and value.
    assert!(sdp.session.attributes().any(|(l, a)| a
        == &Attribute::Unknown {
            name: "x-custom",
            value: Some("keep me: 1")
        }
        && l.raw == "a=x-custom:keep me: 1"));
}

#[test]
fn attribute_examples_round_trip_exactly() {
    for text in [
        "candidate:1 1 udp 2113929471 203.0.113.100 10100 typ host",
        "candidate:842163049 1 udp 1677729535 198.51.100.7 3478 typ srflx raddr 10.0.0.2 rport 53711 generation 0 ufrag EsAw network-id 1 network-cost 10",
        "candidate:3 1 tcp 1518280447 192.168.1.2 9 typ host tcptype active",
        "candidate:4 1 udp 2122262783 2001:db8::1 50000 typ host",
        "fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F",
        "group:BUNDLE 0 1 2",
        "group:LS a1 v1",
        "rtcp:9 IN IP4 0.0.0.0",
        "rtpmap:111 opus/48000/2",
        "fmtp:97 apt=96",
        "rtcp-fb:96 nack pli",
        "rtcp-fb:* trr-int 100",
        "extmap:3/sendonly urn:ietf:params:rtp-hdrext:encrypt urn:ietf:params:rtp-hdrext:smpte-tc 25@600/24",
        "ssrc:1001 cname:abcdefgh",
        "ssrc:1001 msid:stream1 track1",
        "ssrc-group:FEC-FR 1 2",
        "msid:stream1 track1",
        "rid:h send pt=96;max-width=1280",
        "simulcast:send 1,~4;2;3 recv c",
        "sctp-port:5000",
        "max-message-size:262144",
        "sctpmap:5000 webrtc-datachannel 1024",
        "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32",
        "ice-options:trickle renomination",
        "ptime:20",
        "maxptime:0.5",
        "framerate:29.97",
        "identity:eyJpZHAiOnsiZG9tYWluIjoiZXhhbXBsZS5vcmcifX0=",
        "setup:holdconn",
        "extmap-allow-mixed",
        "rtcp-mux-only",
        "bundle-only",
        "end-of-candidates",
        "ice-lite",
        "inactive",
    ] {
        let a = Attribute::parse_text(text);
        assert!(!a.is_verbatim(), "{text} did not type: {a:?}");
        assert_eq!(a.to_string(), text);
    }
}

#[test]
fn invalid_known_attributes_keep_their_text() {
    for (text, field) in [
        ("rtpmap:abc opus/48000", "rtpmap payload type"),
        (
            "candidate:1 1 udp 1 1.2.3.4 99999 typ host",
            "candidate port",
        ),
        ("candidate:1 1 udp 1 1.2.3.4 9 host", "candidate typ"),
        ("setup:sometimes", "setup"),
        ("fingerprint:sha-256 XYZ", "fingerprint digest"),
        ("simulcast:sideways 1", "simulcast direction"),
        ("rid:1 both", "rid direction"),
        ("extmap:1/up urn:x", "extmap direction"),
        ("rtcp-mux:yes", "flag attribute"),
    ] {
        let a = Attribute::parse_text(text);
        let Attribute::Invalid { error, .. } = &a else {
            panic!("{text} typed as {a:?}")
        };
        assert_eq!(error.error.field, field, "{text}");
        assert_eq!(a.to_string(), text, "verbatim");
    }
}

#[test]
fn trickled_candidates_with_or_without_prefix() {
    for s in [
        "candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host",
        "a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host\r\n",
    ] {
        let c = Candidate::parse(s).unwrap();
        assert_eq!((c.port, c.transport), (8998, "UDP"));
    }
    let e = Candidate::parse("candidate:1 1 UDP").unwrap_err();
    assert_eq!(e.error.field, "candidate priority");
}

#[test]
fn emit_reproduces_input_modulo_line_endings() {
    for text in [
        OFFER.to_owned(),
        OFFER.replace('\n', "\r\n"),
        "v=0\r\nx\n\n a=odd\r\nt=0 0".to_owned(),
    ] {
        let sdp = Sdp::parse(&text);
        assert_eq!(sdp.emit("\n"), text.replace("\r\n", "\n"));
        assert_eq!(
            Sdp::parse(&sdp.emit("\r\n")).lines().count(),
            sdp.lines().count()
        );
    }
    // Canonical emission of the offer reparses to the same typed lines.
    let sdp = Sdp::parse(OFFER);
    let canon = sdp.emit_canonical("\r\n");
    let again = Sdp::parse(&canon);
    for (a, b) in sdp.lines().zip(again.lines()) {
        assert_eq!(a.kind, b.kind, "line {}", a.number);
    }
}

#[test]
fn truncation_sweep_never_panics() {
    let corpus: Vec<String> = [
        "aiortc/sdp/test_video_chrome.sdp",
        "rfc-vectors/jsep-rfc8829bis/offer-B2.sdp",
        "mediasoup-webrtc-fuzzer-corpora/sdp-corpus/opera-1.sdp",
    ]
    .iter()
    .filter_map(|p| {
        let dir = rtcscope_testkit::corpus("sdp truncation_sweep_never_panics")?;
        std::fs::read_to_string(dir.join(p)).ok()
    })
    .collect();
    for text in std::iter::once(OFFER.to_owned()).chain(corpus) {
        for end in 0..=text.len() {
            fuzzing::run(&text.as_bytes()[..end]);
        }
    }
}

#[test]
fn json_signalling_inputs() {
    let offer = OFFER.replace('\n', "\r\n");
    let one = serde_json::json!({"type": "offer", "sdp": offer}).to_string();
    let d = documents(one.as_bytes()).unwrap();
    assert_eq!(
        (d.len(), d[0].sdp_type, d[0].path.as_str()),
        (1, Some(SdpType::Offer), "$.sdp")
    );
    assert_eq!(d[0].text, offer);
    let nested = serde_json::json!([
        {"sdp": {"type": "answer", "sdp": "v=0\r\n"}},
        {"offer": {"sdp": "v=0\n"}},
        {"answer": "v=0\r\n"},
        {"ignored": 1}
    ])
    .to_string();
    let d = documents(nested.as_bytes()).unwrap();
    let got: Vec<_> = d.iter().map(|x| (x.path.as_str(), x.sdp_type)).collect();
    assert_eq!(
        got,
        [
            ("$[0].sdp.sdp", Some(SdpType::Answer)),
            ("$[1].offer.sdp", Some(SdpType::Offer)),
            ("$[2].answer", Some(SdpType::Answer)),
        ]
    );
    assert!(matches!(documents(b"{\"sdp\": "), Err(InputError::Json(_))));
    assert!(matches!(documents(b"[1, 2]"), Err(InputError::NoSdpInJson)));
    // Raw text is one document; a type override applies to JSON documents too.
    let r = analyze(one.as_bytes(), Some(SdpType::Answer)).unwrap();
    assert_eq!(r[0].sdp_type, Some(SdpType::Answer));
    assert!(r[0]
        .findings
        .iter()
        .any(|f| f.rule == "setup-actpass-in-answer"));
}

#[test]
fn report_summarises_codecs_rtx_ssrcs_and_transport() {
    let r = &analyze(OFFER.as_bytes(), None).unwrap()[0];
    assert_eq!(r.line_ending, LineEnding::Lf);
    assert_eq!(r.groups[0].mids, ["0", "1", "2"]);
    let audio = &r.media[0];
    let pcmu = audio.codecs.iter().find(|c| c.pt == 0).unwrap();
    assert_eq!(
        (pcmu.name.as_deref(), pcmu.clock_rate),
        (Some("PCMU"), Some(8000))
    );
    let opus = audio.codecs.iter().find(|c| c.pt == 111).unwrap();
    assert_eq!((opus.clock_rate, opus.channels), (Some(48000), Some(2)));
    assert_eq!(opus.fmtp.as_deref(), Some("minptime=10;useinbandfec=1"));
    let video = &r.media[1];
    let vp8 = video.codecs.iter().find(|c| c.pt == 96).unwrap();
    assert_eq!(vp8.rtx, Some(97));
    assert!(vp8.rtcp_fb.contains(&"nack pli".to_owned()));
    assert_eq!(
        video.codecs.iter().find(|c| c.pt == 97).unwrap().apt,
        Some(96)
    );
    assert_eq!(video.extmaps.len(), 5);
    assert_eq!(video.ssrc_groups[0].semantics, "FID");
    assert_eq!(video.ssrcs[0].cname.as_deref(), Some("abcdefgh"));
    assert_eq!(video.rids.len(), 3);
    assert_eq!(video.simulcast.as_deref(), Some("send h;m;~l"));
    assert_eq!(audio.transport.ice_ufrag.as_deref(), Some("EsAw"));
    assert_eq!(audio.transport.fingerprints[0].hash, "sha-256");
    assert_eq!(r.media[2].sctp_port, Some(5000));
    let text = r.to_text();
    for needle in [
        "line endings LF",
        "group BUNDLE: 0 1 2",
        "96 VP8/90000  rtx 97",
        "97 rtx/90000  repairs 96",
        "ssrc-group FID: 2001 2002",
        "simulcast send h;m;~l",
        "candidate-mdns",
        "fingerprint sha-256 D2:FA",
        "setup actpass",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in\n{text}");
    }
}

#[cfg(feature = "serde")]
#[test]
fn report_serializes_to_json() {
    let f = FileReport::new("offer.sdp", OFFER.as_bytes(), Some(SdpType::Offer));
    let v = serde_json::to_value(&f).unwrap();
    assert_eq!(v["file"], "offer.sdp");
    let d = &v["documents"][0];
    assert_eq!(d["sdp_type"], "offer");
    assert_eq!(d["line_ending"], "lf");
    assert_eq!(d["media"][1]["codecs"][0]["name"], "VP8");
    assert_eq!(d["media"][0]["candidates"][3]["address_kind"], "mdns");
    assert_eq!(d["findings"][0]["rule"], "candidate-mdns");
    assert_eq!(d["findings"][0]["severity"], "info");
    assert_eq!(f.errors(), 0);
}

#[test]
fn file_report_text_and_errors() {
    let bad = FileReport::new("x.json", b"{\"nope\": 1}", None);
    assert!(bad.error.is_some() && bad.documents.is_empty());
    let q = FileReport::new("o.sdp", b"v=0\r\nbogus\r\n", None).to_text(true);
    assert!(q.contains("o.sdp:2: error [malformed-line]"), "{q}");
}

#[test]
fn pathological_inputs_stay_linear_and_round_trip() {
    // A huge ptime must not become infinity (which would not write back as a number).
    let big = format!("ptime:{}", "9".repeat(400));
    assert!(matches!(
        Attribute::parse_text(&big),
        Attribute::Invalid { .. }
    ));
    fuzzing::run(format!("a={big}\n").as_bytes());
    // 40 000 colliding extmap lines in one bundled section: linear, one finding per line capped.
    let mut text =
        String::from("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n");
    text.push_str("m=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=extmap:1 urn:a\r\n");
    text.push_str("m=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n");
    for i in 0..40_000 {
        text.push_str(&format!("a=extmap:1 urn:b{i}\r\n"));
    }
    let t = std::time::Instant::now();
    let sdp = Sdp::parse(&text);
    let f = rtcscope_sdp::lint(&sdp, &rtcscope_sdp::LintOptions::default());
    assert!(
        t.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        t.elapsed()
    );
    let n = f.iter().filter(|f| f.rule == "extmap-id-collision").count();
    assert_eq!(n, rtcscope_sdp::MAX_PER_RULE);
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+/]{1,12}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        fuzzing::run(s.as_bytes());
    }

    #[test]
    fn arbitrary_sdp_like_lines_never_panic(lines in proptest::collection::vec(
        "[vosictbmazk]=[ -~]{0,40}|a=(candidate|rtpmap|fmtp|extmap|ssrc|ssrc-group|simulcast|rid|group|fingerprint|setup|crypto|sctpmap|rtcp):[ -~]{0,40}",
        0..30,
    )) {
        fuzzing::run(lines.join("\r\n").as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        fuzzing::run(&b);
    }

    #[test]
    fn candidates_round_trip(
        foundation in token(), component in 1u32..=256, tcp in any::<bool>(), priority in 1u64..(1 << 31),
        a in any::<[u8; 4]>(), port in any::<u16>(), typ in 0usize..4, rport in any::<Option<u16>>(),
        exts in proptest::collection::vec(("[a-z][a-z-]{0,10}", "[A-Za-z0-9]{1,8}"), 0..4),
    ) {
        let typ = [CandidateType::Host, CandidateType::Srflx, CandidateType::Prflx, CandidateType::Relay][typ];
        let addr = format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
        let exts: Vec<(&str, &str)> = exts.iter()
            .filter(|(n, _)| !matches!(n.as_str(), "raddr" | "rport" | "tcptype"))
            .map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let c = Candidate {
            foundation: &foundation, component, transport: if tcp { "tcp" } else { "udp" }, priority,
            address: &addr, port, typ, raddr: rport.map(|_| "10.0.0.1"), rport,
            tcptype: tcp.then_some("passive"), extensions: exts,
        };
        let text = c.to_string();
        prop_assert_eq!(Attribute::parse_text(&text), Attribute::Candidate(c));
    }

    #[test]
    fn rtp_attributes_round_trip(
        pt in 0u8..=127, enc in "[A-Za-z][A-Za-z0-9-]{0,10}", rate in any::<u32>(), ch in any::<Option<u32>>(),
        id in 1u16..=14, dir in proptest::option::of(0usize..4), uri in "urn:[a-z:-]{1,30}",
        ssrcs in proptest::collection::vec(any::<u32>(), 0..4), sem in "(FID|SIM|FEC-FR)",
        digest in proptest::collection::vec(any::<u8>(), 1..64),
        rids in proptest::collection::vec(proptest::collection::vec(("[a-z0-9]{1,4}", any::<bool>()), 1..3), 1..4),
    ) {
        let dirs = [Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive];
        let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
        let hex = hex.join(":");
        let list: Vec<Vec<SimulcastId<'_>>> = rids.iter()
            .map(|alts| alts.iter().map(|(r, p)| SimulcastId { rid: r, paused: *p }).collect())
            .collect();
        for a in [
            Attribute::Rtpmap { pt, encoding: &enc, clock_rate: rate, channels: ch },
            Attribute::Extmap { id, direction: dir.map(|d| dirs[d]), uri: &uri, attributes: None },
            Attribute::SsrcGroup { semantics: &sem, ssrcs: ssrcs.clone() },
            Attribute::Fingerprint { hash: "sha-256", digest: &hex },
            Attribute::Simulcast { send: Some(list.clone()), recv: Some(list.clone()) },
            Attribute::Ssrc { ssrc: ssrcs.first().copied().unwrap_or(7), name: "cname", value: Some(&enc) },
        ] {
            let text = a.to_string();
            prop_assert_eq!(Attribute::parse_text(&text), a);
        }
    }
}
