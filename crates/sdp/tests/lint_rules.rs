//! One test per lint rule: each mutates a clean Chrome-style offer so that the rule fires, and
//! the clean offer (which has no findings at all) proves it does not fire otherwise.

use rtcscope_sdp::{lint, LintOptions, Sdp, SdpType, RULES};

const CLEAN: &str = "v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1 2
a=extmap-allow-mixed
a=msid-semantic: WMS stream1
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 network-id 1 network-cost 10
a=candidate:435653019 1 tcp 1845501695 192.168.0.196 9 typ host tcptype active generation 0 network-id 1
a=candidate:2846264543 1 udp 1686052607 203.0.113.7 46243 typ srflx raddr 192.168.0.196 rport 46243 generation 0
a=ice-ufrag:EsAw
a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y
a=ice-options:trickle
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:stream1 audiotrack1
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:1001 cname:abcdefgh
a=ssrc:1001 msid:stream1 audiotrack1
m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:EsAw
a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y
a=ice-options:trickle
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:1
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
a=sendonly
a=msid:stream1 videotrack1
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:98 H264/90000
a=fmtp:98 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rid:h send
a=rid:m send
a=rid:l send
a=simulcast:send h;m;l
a=ssrc-group:FID 2001 2002
a=ssrc:2001 cname:abcdefgh
a=ssrc:2002 cname:abcdefgh
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:EsAw
a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y
a=ice-options:trickle
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:2
a=sctp-port:5000
a=max-message-size:262144
";

/// The clean offer with CRLF line ends.
pub fn clean() -> String {
    CLEAN.replace('\n', "\r\n")
}

fn rules_fired(text: &str, sdp_type: Option<SdpType>) -> Vec<&'static str> {
    let sdp = Sdp::parse(text);
    let findings = lint(
        &sdp,
        &LintOptions {
            sdp_type,
            invalid_utf8_at: None,
        },
    );
    findings.iter().map(|f| f.rule).collect()
}

/// Replaces `from` (in CRLF form) with `to`, insisting that it was there.
fn mutate(text: &str, from: &str, to: &str) -> String {
    let from = from.replace('\n', "\r\n");
    assert!(
        text.contains(&from),
        "mutation target `{from}` not in the SDP"
    );
    text.replace(&from, &to.replace('\n', "\r\n"))
}

fn assert_fires(rule: &str, text: &str, sdp_type: Option<SdpType>) {
    assert!(RULES.iter().any(|r| r.id == rule), "unknown rule {rule}");
    let base = clean();
    let clean_fired = rules_fired(&base, sdp_type);
    assert!(
        !clean_fired.contains(&rule),
        "{rule} fires on the clean SDP"
    );
    let fired = rules_fired(text, sdp_type);
    assert!(
        fired.contains(&rule),
        "{rule} did not fire; fired: {fired:?}"
    );
}

#[test]
fn clean_offer_has_no_findings() {
    let text = clean();
    let sdp = Sdp::parse(&text);
    let f = lint(&sdp, &LintOptions::default());
    assert!(f.is_empty(), "{f:#?}");
    let f = lint(
        &sdp,
        &LintOptions {
            sdp_type: Some(SdpType::Offer),
            invalid_utf8_at: None,
        },
    );
    assert!(f.is_empty(), "{f:#?}");
}

macro_rules! rule_tests {
    ($( $test:ident: $rule:literal => |$s:ident| $mutation:expr; )*) => {
        $(
            #[test]
            fn $test() {
                let $s = clean();
                let text: String = $mutation;
                assert_fires($rule, &text, None);
            }
        )*
        /// Every rule tested by this macro.
        const TESTED: &[&str] = &[$($rule),*];
    };
}

rule_tests! {
    empty: "empty" => |_s| String::new();
    malformed_line: "malformed-line" => |s| mutate(&s, "s=-\n", "s=-\nbogus\n");
    malformed_attribute: "malformed-attribute" => |s| mutate(&s, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus");
    blank_line: "blank-line" => |s| mutate(&s, "s=-\n", "s=-\n\n");
    version_not_first: "version-not-first" => |s| format!("s=x\r\n{s}");
    version_value: "version-value" => |s| mutate(&s, "v=0", "v=1");
    required_line_missing: "required-line-missing" => |s| mutate(&s, "t=0 0\n", "");
    line_order: "line-order" => |s| mutate(&s, "s=-\nt=0 0\n", "t=0 0\ns=-\n");
    unknown_line_type: "unknown-line-type" => |s| mutate(&s, "t=0 0\n", "t=0 0\nf=foo\n");
    connection_missing: "connection-missing" => |s| mutate(&s, "c=IN IP4 0.0.0.0\n", "");
    fingerprint_missing: "fingerprint-missing" => |s| {
        s.lines().filter(|l| !l.starts_with("a=fingerprint")).map(|l| format!("{l}\n")).collect()
    };
    fingerprint_hash_unknown: "fingerprint-hash-unknown" => |s| mutate(&s, "sha-256 D2", "sha-999 D2");
    fingerprint_hash_weak: "fingerprint-hash-weak" => |s| mutate(&s, "a=mid:0\n", "a=mid:0\na=fingerprint:md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n");
    fingerprint_digest_length: "fingerprint-digest-length" => |s| mutate(&s, "E6:0F\n", "E6\n");
    ice_credentials_missing: "ice-credentials-missing" => |s| mutate(&s, "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\n", "");
    ice_ufrag_length: "ice-ufrag-length" => |s| mutate(&s, "a=ice-ufrag:EsAw", "a=ice-ufrag:EsA");
    ice_pwd_length: "ice-pwd-length" => |s| mutate(&s, "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y", "a=ice-pwd:short");
    ice_char: "ice-char" => |s| mutate(&s, "a=ice-ufrag:EsAw", "a=ice-ufrag:Es_w");
    setup_missing: "setup-missing" => |s| mutate(&s, "a=setup:actpass\n", "");
    bundle_unknown_mid: "bundle-unknown-mid" => |s| mutate(&s, "BUNDLE 0 1 2", "BUNDLE 0 1 2 7");
    mid_missing: "mid-missing" => |s| mutate(&s, "a=mid:2\n", "");
    duplicate_mid: "duplicate-mid" => |s| mutate(&s, "a=mid:2", "a=mid:1");
    bundle_only_not_bundled: "bundle-only-not-bundled" => |s| {
        mutate(&mutate(&s, "a=mid:2\n", "a=mid:2\na=bundle-only\n"), "BUNDLE 0 1 2", "BUNDLE 0 1")
    };
    bundle_only_nonzero_port: "bundle-only-nonzero-port" => |s| mutate(&s, "a=mid:2\n", "a=mid:2\na=bundle-only\n");
    bundle_tag_bundle_only: "bundle-tag-bundle-only" => |s| mutate(&s, "a=mid:0\n", "a=mid:0\na=bundle-only\n");
    port_zero: "port-zero" => |s| mutate(&s, "m=application 9", "m=application 0");
    rtcp_mux_missing: "rtcp-mux-missing" => |s| mutate(&s, "a=rtcp-mux\n", "");
    rtcp_mux_only_without_rtcp_mux: "rtcp-mux-only-without-rtcp-mux" => |s| mutate(&s, "a=rtcp-mux\na=rtcp-rsize", "a=rtcp-mux-only\na=rtcp-rsize");
    rtpmap_missing: "rtpmap-missing" => |s| mutate(&s, "a=rtpmap:126 telephone-event/8000\n", "");
    payload_type_invalid: "payload-type-invalid" => |s| mutate(&s, "110 126\n", "110 126 300\n");
    payload_type_duplicate: "payload-type-duplicate" => |s| mutate(&s, "110 126\n", "110 126 126\n");
    payload_type_unlisted: "payload-type-unlisted" => |s| mutate(&s, "a=rtpmap:9 G722/8000\n", "a=rtpmap:9 G722/8000\na=rtpmap:100 foo/90000\n");
    rtx_apt_missing: "rtx-apt-missing" => |s| mutate(&s, "a=fmtp:97 apt=96\n", "");
    rtx_apt_dangling: "rtx-apt-dangling" => |s| mutate(&s, "apt=96", "apt=95");
    extmap_id_out_of_range: "extmap-id-out-of-range" => |s| mutate(&s, "a=extmap:1 urn", "a=extmap:15 urn");
    extmap_two_byte_id: "extmap-two-byte-id" => |s| mutate(&mutate(&s, "a=extmap-allow-mixed\n", ""), "a=extmap:10 ", "a=extmap:20 ");
    extmap_id_collision: "extmap-id-collision" => |s| mutate(&s, "a=extmap:10 ", "a=extmap:1 ");
    extmap_uri_duplicate: "extmap-uri-duplicate" => |s| mutate(&s, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\na=sendrecv", "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\na=extmap:5 urn:ietf:params:rtp-hdrext:sdes:mid\na=sendrecv");
    ssrc_group_unknown_ssrc: "ssrc-group-unknown-ssrc" => |s| mutate(&s, "FID 2001 2002", "FID 2001 2003");
    ssrc_group_size: "ssrc-group-size" => |s| mutate(&s, "FID 2001 2002", "FID 2001");
    ssrc_cname_missing: "ssrc-cname-missing" => |s| mutate(&s, "a=ssrc:1001 cname:abcdefgh\n", "");
    ssrc_duplicate: "ssrc-duplicate" => |s| mutate(&s, "a=ssrc:2002 cname", "a=ssrc:1001 cname");
    candidate_component: "candidate-component" => |s| mutate(&s, "1467250027 1 udp", "1467250027 0 udp");
    candidate_priority: "candidate-priority" => |s| mutate(&s, "udp 2122260223", "udp 0");
    candidate_raddr_missing: "candidate-raddr-missing" => |s| mutate(&s, " raddr 192.168.0.196 rport 46243", "");
    candidate_tcptype_missing: "candidate-tcptype-missing" => |s| mutate(&s, " tcptype active", "");
    candidate_rtcp_with_mux_only: "candidate-rtcp-with-mux-only" => |s| {
        mutate(&mutate(&s, "a=rtcp-mux\na=rtpmap:111", "a=rtcp-mux\na=rtcp-mux-only\na=rtpmap:111"), "1467250027 1 udp", "1467250027 2 udp")
    };
    candidate_mdns: "candidate-mdns" => |s| mutate(&s, "192.168.0.196 46243 typ host", "4b5e7f2c-1d6a-4d0e-9c1e-5c2b0f0a7e11.local 46243 typ host");
    simulcast_rid_undeclared: "simulcast-rid-undeclared" => |s| mutate(&s, "a=rid:l send\n", "");
    rid_pt_unknown: "rid-pt-unknown" => |s| mutate(&s, "a=rid:h send", "a=rid:h send pt=120");
    sctp_port_missing: "sctp-port-missing" => |s| mutate(&s, "a=sctp-port:5000\n", "");
    max_message_size_missing: "max-message-size-missing" => |s| mutate(&s, "a=max-message-size:262144\n", "");
    sctpmap_legacy: "sctpmap-legacy" => |s| {
        mutate(&mutate(&s, "UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5000"), "a=sctp-port:5000", "a=sctpmap:5000 webrtc-datachannel 1024")
    };
    sdes_crypto: "sdes-crypto" => |s| mutate(&s, "a=mid:0\n", "a=mid:0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\n");
    attribute_duplicate: "attribute-duplicate" => |s| mutate(&s, "a=rtcp-rsize\n", "a=rtcp-rsize\na=rtcp-rsize\n");
    attribute_level: "attribute-level" => |s| mutate(&s, "a=extmap-allow-mixed\n", "a=extmap-allow-mixed\na=rtcp-mux\n");
    direction_conflict: "direction-conflict" => |s| mutate(&s, "a=sendonly\n", "a=sendonly\na=recvonly\n");
}

#[test]
fn setup_actpass_in_answer() {
    let offer = clean();
    assert!(!rules_fired(&offer, Some(SdpType::Offer)).contains(&"setup-actpass-in-answer"));
    assert!(rules_fired(&offer, Some(SdpType::Answer)).contains(&"setup-actpass-in-answer"));
    assert!(rules_fired(&offer, Some(SdpType::Pranswer)).contains(&"setup-actpass-in-answer"));
    let answer = offer.replace("a=setup:actpass", "a=setup:active");
    assert!(!rules_fired(&answer, Some(SdpType::Answer)).contains(&"setup-actpass-in-answer"));
}

#[test]
fn not_utf8() {
    let mut bytes = clean().into_bytes();
    let at = bytes.windows(3).position(|w| w == b"s=-").unwrap() + 2;
    bytes[at] = 0xff;
    let reports = rtcscope_sdp::analyze(&bytes, None).unwrap();
    let f: Vec<_> = reports[0].findings.iter().map(|f| f.rule).collect();
    assert_eq!(f, ["not-utf8"], "only the encoding is wrong");
    let clean = rtcscope_sdp::analyze(clean().as_bytes(), None).unwrap();
    assert!(clean[0].findings.is_empty());
}

#[test]
fn every_rule_has_a_test() {
    let mut tested: Vec<&str> = TESTED.to_vec();
    tested.extend(["setup-actpass-in-answer", "not-utf8"]);
    for r in RULES {
        assert!(tested.contains(&r.id), "rule {} has no test", r.id);
    }
    assert_eq!(tested.len(), RULES.len());
}

#[test]
fn findings_carry_line_numbers_and_severity() {
    let text = mutate(&clean(), "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus");
    let sdp = Sdp::parse(&text);
    let f = lint(&sdp, &LintOptions::default());
    let m = f.iter().find(|f| f.rule == "malformed-attribute").unwrap();
    assert_eq!(m.line, Some(27));
    assert_eq!(m.severity, rtcscope_sdp::Severity::Error);
    assert!(m.message.contains("clock rate"), "{}", m.message);
}

#[test]
fn per_rule_cap_keeps_huge_inputs_readable() {
    let mut text = clean();
    for _ in 0..1000 {
        text.push_str("bogus\r\n");
    }
    let sdp = Sdp::parse(&text);
    let f = lint(&sdp, &LintOptions::default());
    let n = f.iter().filter(|f| f.rule == "malformed-line").count();
    assert_eq!(n, rtcscope_sdp::MAX_PER_RULE);
    assert!(f.iter().any(|f| f.message.contains("950 more")));
}
