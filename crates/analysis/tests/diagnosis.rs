//! Findings (crates/analysis/src/diagnosis.rs) from scripted packets: each failure the engine
//! must explain, built the way it shows on the wire, and the negatives: a healthy exchange and
//! the real browser calls in fixtures/ raise no failure.

use rtcscope_analysis::diagnosis::{Evidence, Finding, Severity};
use rtcscope_analysis::report::Report;
use rtcscope_analysis::Engine;
use rtcscope_stun::{
    Attribute, Credentials, ErrorCode, MessageBuilder, Method, PasswordPrep, TransactionId,
    TransportProtocol,
};
use rtcscope_testkit::frames::{ipv4, ipv4_udp};
use std::borrow::Cow;
use std::net::SocketAddrV4;

const T0: i128 = 1_700_000_000_000_000_000;
const A: &str = "10.0.0.2:50000";
const B: &str = "203.0.113.7:60000";
const CLIENT: &str = "10.0.0.2:40000";
const SERVER: &str = "198.51.100.1:3478";

struct Script {
    engine: Engine,
    n: u64,
    /// The capture's time origin (ns since the epoch).
    t0: i128,
}

impl Script {
    fn new() -> Self {
        Script::from(T0)
    }

    /// A script whose time starts at `t0`.
    fn from(t0: i128) -> Self {
        Script {
            engine: Engine::default(),
            n: 0,
            t0,
        }
    }

    /// Feeds a raw IPv4 packet at `t_ms` milliseconds; returns its packet number.
    fn ip(&mut self, t_ms: i128, frame: &[u8]) -> u64 {
        self.n += 1;
        self.engine.feed_frame(
            self.n,
            self.t0 + t_ms * 1_000_000,
            rtcscope_capture::LinkType::RAW,
            frame,
            frame.len() as u32,
        );
        self.n
    }

    fn udp(&mut self, t_ms: i128, from: &str, to: &str, payload: &[u8]) -> u64 {
        let f = ipv4_udp(v4(from), v4(to), payload);
        self.ip(t_ms, &f)
    }

    fn findings(&self) -> Vec<Finding> {
        Report::new(&self.engine).findings
    }
}

fn v4(s: &str) -> SocketAddrV4 {
    s.parse().unwrap()
}

fn tid(i: u32) -> TransactionId {
    let mut t = [7u8; 12];
    t[..4].copy_from_slice(&i.to_be_bytes());
    TransactionId::Rfc5389(t)
}

/// An ICE connectivity check from the agent with ufrag `mine` to the one with `theirs`.
fn check(i: u32, mine: &str, theirs: &str, controlling: bool, nominate: bool) -> Vec<u8> {
    let mut m = MessageBuilder::request(Method::BINDING, tid(i));
    let user = format!("{theirs}:{mine}");
    m.add(&Attribute::Username(Cow::Borrowed(&user)))
        .add(&Attribute::Priority(1_853_817_087));
    if controlling {
        m.add(&Attribute::IceControlling(42));
    } else {
        m.add(&Attribute::IceControlled(42));
    }
    if nominate {
        m.add(&Attribute::UseCandidate);
    }
    m.finish().unwrap()
}

fn check_ok(i: u32, mapped: &str) -> Vec<u8> {
    let mut m = MessageBuilder::success(Method::BINDING, tid(i));
    m.add(&Attribute::XorMappedAddress(mapped.parse().unwrap()));
    m.finish().unwrap()
}

fn turn_request(method: Method, i: u32, attrs: &[Attribute<'_>]) -> Vec<u8> {
    let mut m = MessageBuilder::request(method, tid(i));
    for a in attrs {
        m.add(a);
    }
    m.finish().unwrap()
}

fn turn_error(method: Method, i: u32, code: u16, reason: &str) -> Vec<u8> {
    let mut m = MessageBuilder::error(method, tid(i));
    m.add(&Attribute::ErrorCode {
        code: ErrorCode::from(code),
        reason: Cow::Borrowed(reason),
    });
    m.finish().unwrap()
}

fn allocate_ok(i: u32, lifetime: u32) -> Vec<u8> {
    let mut m = MessageBuilder::success(Method::ALLOCATE, tid(i));
    m.add(&Attribute::XorRelayedAddress(
        "198.51.100.1:50000".parse().unwrap(),
    ))
    .add(&Attribute::XorMappedAddress(CLIENT.parse().unwrap()))
    .add(&Attribute::Lifetime(lifetime));
    m.finish().unwrap()
}

/// An ICMP port unreachable from `from`'s host quoting the UDP datagram `quoted` sent to it.
fn port_unreachable(quoted: &[u8], reporter: [u8; 4], to: [u8; 4]) -> Vec<u8> {
    let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&quoted[..quoted.len().min(28 + 20)]);
    ipv4(reporter, to, 1, 9, &icmp)
}

/// An RTP packet (Opus-like, PT 111) of `ssrc` with sequence number `seq`.
fn rtp(ssrc: u32, seq: u16, ts: u32) -> Vec<u8> {
    let mut p = vec![0x80, 111];
    p.extend(seq.to_be_bytes());
    p.extend(ts.to_be_bytes());
    p.extend(ssrc.to_be_bytes());
    p.extend([0x5a; 80]);
    p
}

fn ids(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.id).collect()
}

fn find<'a>(f: &'a [Finding], id: &str) -> &'a Finding {
    f.iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id} in {:#?}", ids(f)))
}

#[test]
fn checks_refused_by_icmp_are_the_evidence() {
    let mut s = Script::new();
    let mut first_icmp = None;
    for i in 0..8u32 {
        let t = i128::from(i) * 500;
        let c = check(i, "aaaa", "bbbb", true, false);
        let quoted = ipv4_udp(v4(A), v4(B), &c);
        s.udp(t, A, B, &c);
        let n = s.ip(
            t + 1,
            &port_unreachable(&quoted, [203, 0, 113, 7], [10, 0, 0, 2]),
        );
        first_icmp.get_or_insert(n);
    }
    let f = s.findings();
    let ice = find(&f, "ice.no-pair-succeeded");
    assert_eq!(ice.severity, Severity::Failure);
    assert!(ice.verdict.contains("ICMP"), "{}", ice.verdict);
    assert!(
        ice.evidence
            .iter()
            .any(|e| e.packet == first_icmp && e.what.contains("port unreachable")),
        "{:#?}",
        ice.evidence
    );
    assert_eq!(ice.at_ns, Some((T0) as i64));
}

#[test]
fn checks_never_answered_from_one_side_only() {
    let mut s = Script::new();
    for i in 0..6u32 {
        s.udp(
            i128::from(i) * 400,
            A,
            B,
            &check(i, "aaaa", "bbbb", true, false),
        );
    }
    let f = s.findings();
    let ice = find(&f, "ice.no-pair-succeeded");
    assert!(
        ice.verdict.contains("no check was ever answered")
            && ice.verdict.contains("only one agent's checks"),
        "{}",
        ice.verdict
    );
    assert!(!ice.verdict.contains("ICMP"));
}

/// An Allocate that answers a challenge: USERNAME, REALM, NONCE and MESSAGE-INTEGRITY with
/// the long-term key of a (wrong) password, as a browser sends it.
fn allocate_with_credentials(i: u32, user: &str) -> Vec<u8> {
    let creds = Credentials::long_term(
        user,
        "example.org",
        "nonce-1",
        "not-the-password",
        None,
        PasswordPrep::default(),
    )
    .unwrap();
    let mut m = MessageBuilder::request(Method::ALLOCATE, tid(i));
    m.add(&Attribute::RequestedTransport(TransportProtocol::UDP))
        .credentials(&creds)
        .sign(&creds);
    m.finish().unwrap()
}

/// A client's Allocate: challenged, then refused twice with credentials.
fn refused_allocation(s: &mut Script, client: &str, first: u32, t0: i128) -> [u64; 2] {
    s.udp(
        t0,
        client,
        SERVER,
        &turn_request(Method::ALLOCATE, first, &[]),
    );
    s.udp(
        t0 + 5,
        SERVER,
        client,
        &turn_error(Method::ALLOCATE, first, 401, "Unauthorized"),
    );
    let mut refusals = [0; 2];
    for (k, i) in (first + 1..first + 3).enumerate() {
        let t = t0 + i128::from(i - first) * 100;
        s.udp(t, client, SERVER, &allocate_with_credentials(i, "alice"));
        refusals[k] = s.udp(
            t + 5,
            SERVER,
            client,
            &turn_error(Method::ALLOCATE, i, 401, "Unauthorized"),
        );
    }
    refusals
}

#[test]
fn repeated_401_after_credentials_is_wrong_credentials() {
    let mut s = Script::new();
    let refusals = refused_allocation(&mut s, CLIENT, 1, 0);
    let f = s.findings();
    let w = find(&f, "turn.wrong-credentials");
    assert_eq!(w.severity, Severity::Failure);
    assert!(
        w.verdict.contains("2 requests carrying them") && w.verdict.contains("\"alice\""),
        "{}",
        w.verdict
    );
    // The evidence is the refusals, not the challenge, with their packet numbers.
    let packets: Vec<Option<u64>> = w.evidence.iter().map(|e| e.packet).collect();
    assert_eq!(packets, refusals.map(Some));
    let report = Report::new(&s.engine);
    let errors = &report.turn_allocations[0].errors;
    assert_eq!(
        errors
            .iter()
            .map(|e| e.after_credentials)
            .collect::<Vec<_>>(),
        [false, true, true]
    );
}

#[test]
fn refusals_on_many_allocations_are_one_finding_per_server() {
    // A browser allocates from every local address: one wrong password, four allocations.
    let mut s = Script::new();
    let clients = [
        "10.0.0.2:40000",
        "10.0.0.2:40002",
        "10.0.0.3:40000",
        "10.0.0.4:40000",
    ];
    let mut refusals = Vec::new();
    for (k, c) in clients.iter().enumerate() {
        let k = u32::try_from(k).unwrap();
        refusals.extend(refused_allocation(
            &mut s,
            c,
            10 * k + 1,
            i128::from(k) * 1000,
        ));
    }
    let f = s.findings();
    let wrong: Vec<&Finding> = f
        .iter()
        .filter(|f| f.id == "turn.wrong-credentials")
        .collect();
    assert_eq!(wrong.len(), 1, "{wrong:#?}");
    let w = wrong[0];
    assert!(
        w.verdict.contains("8 requests")
            && w.verdict.contains("4 allocations")
            && w.verdict.contains("10.0.0.2, 10.0.0.3, 10.0.0.4"),
        "{}",
        w.verdict
    );
    // The first three refusals in time (each client's exchange ends before the next one's
    // begins, so packet order is time order), then a count of the rest.
    let shown: Vec<u64> = w.evidence.iter().filter_map(|e| e.packet).collect();
    assert_eq!(shown, refusals[..3]);
    assert_eq!(w.evidence[3].what, "and 5 more");
}

#[test]
fn a_single_401_challenge_is_normal() {
    let mut s = Script::new();
    s.udp(0, CLIENT, SERVER, &turn_request(Method::ALLOCATE, 1, &[]));
    s.udp(
        5,
        SERVER,
        CLIENT,
        &turn_error(Method::ALLOCATE, 1, 401, "Unauthorized"),
    );
    s.udp(10, CLIENT, SERVER, &turn_request(Method::ALLOCATE, 2, &[]));
    s.udp(15, SERVER, CLIENT, &allocate_ok(2, 600));
    assert_eq!(ids(&s.findings()), Vec::<&str>::new());
}

#[test]
fn forbidden_permission_is_named() {
    let mut s = Script::new();
    s.udp(0, CLIENT, SERVER, &turn_request(Method::ALLOCATE, 1, &[]));
    s.udp(5, SERVER, CLIENT, &allocate_ok(1, 600));
    let peer = [Attribute::XorPeerAddress("10.9.9.9:1".parse().unwrap())];
    s.udp(
        100,
        CLIENT,
        SERVER,
        &turn_request(Method::CREATE_PERMISSION, 2, &peer),
    );
    s.udp(
        105,
        SERVER,
        CLIENT,
        &turn_error(Method::CREATE_PERMISSION, 2, 403, "Forbidden IP"),
    );
    let f = s.findings();
    let x = find(&f, "turn.forbidden");
    assert_eq!(x.severity, Severity::Failure);
    assert!(
        x.verdict
            .contains("answered 403 Forbidden to CreatePermission for peer 10.9.9.9 (1 time"),
        "{}",
        x.verdict
    );
    assert!(
        x.evidence[0].what.ends_with("for peer 10.9.9.9:1"),
        "{:?}",
        x.evidence
    );
    assert_eq!(x.at_ns, Some((T0 + 105_000_000) as i64));
}

#[test]
fn an_allocation_never_refreshed_expires() {
    let mut s = Script::new();
    s.udp(0, CLIENT, SERVER, &turn_request(Method::ALLOCATE, 1, &[]));
    s.udp(5, SERVER, CLIENT, &allocate_ok(1, 60));
    // Traffic goes on to the server for two minutes, with no Refresh.
    for i in 0..12u32 {
        let t = 10_000 * i128::from(i + 1);
        s.udp(
            t,
            CLIENT,
            SERVER,
            &turn_request(Method::BINDING, 100 + i, &[]),
        );
    }
    let f = s.findings();
    let x = find(&f, "turn.allocation-expired");
    assert_eq!(x.at_ns, Some((T0 + 5_000_000 + 60_000_000_000) as i64));
}

/// A call whose selected pair works for 10 s, then its consent checks go unanswered.
fn consent_script(answer_until_ms: i128) -> Script {
    let mut s = Script::new();
    let mut i = 0u32;
    let mut t = 0i128;
    while t <= 20_000 {
        i += 1;
        s.udp(t, A, B, &check(i, "aaaa", "bbbb", true, true));
        if t <= answer_until_ms {
            s.udp(t + 20, B, A, &check_ok(i, A));
        }
        i += 1;
        s.udp(t + 30, B, A, &check(i, "bbbb", "aaaa", false, false));
        if t <= answer_until_ms {
            s.udp(t + 50, A, B, &check_ok(i, B));
        }
        t += 1_000;
    }
    s
}

#[test]
fn consent_lost_midcall_is_a_failure_at_the_last_answer() {
    let s = consent_script(10_000);
    let f = s.findings();
    let x = find(&f, "ice.consent-lost");
    assert_eq!(x.severity, Severity::Failure);
    // The last answer to A's checks came at 10.020 s.
    assert!(
        f.iter()
            .filter(|f| f.id == "ice.consent-lost")
            .any(|f| f.at_ns == Some((T0 + 10_020_000_000) as i64)),
        "{f:#?}"
    );
}

/// Consent answered to the end: no consent finding. (Nothing but ICE ran on the path, which
/// is its own finding, once for the path both agents selected.)
#[test]
fn consent_answered_throughout_is_not_lost() {
    let s = consent_script(i128::MAX);
    assert_eq!(ids(&s.findings()), ["dtls.no-handshake"]);
}

#[test]
fn media_one_way_while_the_other_side_answers() {
    let mut s = Script::new();
    for i in 0..200u16 {
        let t = i128::from(i) * 20;
        s.udp(t, A, B, &rtp(0x1111, 1000 + i, 960 * u32::from(i)));
        if i % 20 == 0 {
            // B is there: it answers A's checks on the same path.
            let id = u32::from(i);
            s.udp(t + 1, A, B, &check(id, "aaaa", "bbbb", true, false));
            s.udp(t + 2, B, A, &check_ok(id, A));
        }
    }
    let f = s.findings();
    let x = find(&f, "media.one-way");
    assert_eq!(x.severity, Severity::Failure);
    assert!(x.verdict.contains("10.0.0.2:50000 sends"), "{}", x.verdict);
}

#[test]
fn a_stream_that_stops_while_its_path_goes_on() {
    let mut s = Script::new();
    for i in 0..500u16 {
        let t = i128::from(i) * 20;
        s.udp(t, A, B, &rtp(0x2222, i, 960 * u32::from(i)));
        if i < 100 {
            s.udp(t + 5, B, A, &rtp(0x3333, i, 960 * u32::from(i)));
        }
    }
    let f = s.findings();
    let x = find(&f, "media.stream-stopped");
    assert!(x.verdict.contains("0x00003333"), "{}", x.verdict);
    assert_eq!(x.at_ns, Some((T0 + 99 * 20_000_000 + 5_000_000) as i64));
}

#[test]
fn loss_is_graded_by_its_share() {
    let mut s = Script::new();
    // 1000 packets sent, every 10th missing from the capture: 10 % loss.
    for i in 0..1000u16 {
        if i % 10 == 5 {
            continue;
        }
        s.udp(
            i128::from(i) * 20,
            A,
            B,
            &rtp(0x4444, i, 960 * u32::from(i)),
        );
    }
    let f = s.findings();
    let x = find(&f, "media.loss");
    assert_eq!(x.severity, Severity::Degraded);
    assert!(x.verdict.contains("10.0 %"), "{}", x.verdict);
}

/// Loss and jitter say when: a burst of loss from 5 s to 7 s of a 20 s stream is the one
/// time range of the loss finding, which starts there; jitter likewise.
#[test]
fn loss_and_jitter_findings_give_their_time_ranges() {
    let mut s = Script::new();
    for i in 0..1000u16 {
        let t = i128::from(i) * 20;
        // Every other packet lost between 5 s and 7 s: 50 of 1000 (5 %).
        if (5_000..7_000).contains(&t) && i % 2 == 1 {
            continue;
        }
        // From 12 s to 14 s, packets arrive in bursts (late by up to 180 ms, then together).
        let late = if (12_000..14_000).contains(&t) {
            180 - (t % 200)
        } else {
            0
        };
        s.udp(t + late, A, B, &rtp(0x5555, i, 960 * u32::from(i)));
    }
    let f = s.findings();
    let loss = find(&f, "media.loss");
    let timed: Vec<&Evidence> = loss.evidence.iter().filter(|e| e.at_ns.is_some()).collect();
    assert_eq!(timed.len(), 1, "{:#?}", loss.evidence);
    let start = timed[0].at_ns.unwrap() as i128 - T0;
    assert!(
        (4_900_000_000..=5_100_000_000).contains(&start),
        "loss starts at {start} ns: {}",
        timed[0].what
    );
    assert_eq!(loss.at_ns, timed[0].at_ns);
    assert!(timed[0].what.contains("lost over"), "{}", timed[0].what);
    // The jitter has settled by the end, but the burst is found, with its time.
    let j = find(&f, "media.jitter");
    let first = j.at_ns.unwrap() as i128 - T0;
    assert!(
        (11_900_000_000..=14_000_000_000).contains(&first),
        "jitter from {first} ns: {:#?}",
        j.evidence
    );
    assert!(j.verdict.contains("settled by the end"), "{}", j.verdict);
}

#[test]
fn not_webrtc_says_what_is_there() {
    let mut s = Script::new();
    for i in 0..5 {
        s.udp(
            i,
            "10.0.0.2:5353",
            "10.0.0.3:53",
            b"\x12\x34\x01\x00\x00\x01\x00\x00",
        );
    }
    let f = s.findings();
    let x = find(&f, "capture.no-webrtc");
    assert_eq!(x.severity, Severity::Notice);
    assert!(x.evidence[0].what.contains("5 packets"), "{:?}", x.evidence);
}

/// The real Chromium calls of fixtures/webrtc (healthy, both peers' getStats say connected):
/// no failure and no degradation.
#[test]
fn healthy_browser_calls_raise_no_failure() {
    let root = rtcscope_testkit::fixtures().join("webrtc");
    for call in ["direct", "relay"] {
        let bytes = std::fs::read(root.join(call).join("capture.pcapng")).unwrap();
        let reader = rtcscope_capture::CaptureReader::new(&bytes[..]).unwrap();
        let mut e = Engine::default();
        e.feed_all(&mut rtcscope_capture::PacketSource::from_reader(reader));
        let f = Report::new(&e).findings;
        assert!(
            f.iter().all(|f| f.severity == Severity::Notice),
            "{call}: {f:#?}"
        );
    }
}

/// Live: packets stop, the clock goes on (`Engine::advance_clock`, as the live loops call it
/// while the interface is idle), and the call is found silent at its last packet.
#[test]
fn a_call_that_goes_silent_is_seen_when_the_clock_moves_on() {
    let mut s = Script::new();
    for i in 0..100u16 {
        let t = i128::from(i) * 20;
        s.udp(t, A, B, &rtp(0x5555, i, 960 * u32::from(i)));
        s.udp(t + 5, B, A, &rtp(0x6666, i, 960 * u32::from(i)));
    }
    let last = (T0 + 99 * 20_000_000 + 5_000_000) as i64;
    assert!(
        !ids(&s.findings()).contains(&"call.went-silent"),
        "not silent before the clock moves"
    );
    s.engine.advance_clock(last + 4_000_000_000);
    assert!(!ids(&s.findings()).contains(&"call.went-silent"));
    s.engine.advance_clock(last + 6_000_000_000);
    let f = s.findings();
    let x = find(&f, "call.went-silent");
    assert_eq!((x.severity, x.at_ns), (Severity::Failure, Some(last)));
    // The clock never goes back.
    s.engine.advance_clock(last);
    assert_eq!(
        s.engine.time_span().unwrap().1,
        last + 6_000_000_000,
        "time went back"
    );
}

/// A (controlling) and B both send media; B's media stops at `b_stops_ms` while A's goes on
/// to 8 s; B answers A's consent checks (one a second) until `b_answers_ms`.
fn midcall_script(b_stops_ms: i128, b_answers_ms: i128) -> Script {
    let mut s = Script::new();
    for i in 0..400u16 {
        let t = i128::from(i) * 20;
        s.udp(t, A, B, &rtp(0x7777, i, 960 * u32::from(i)));
        if t < b_stops_ms {
            s.udp(t + 5, B, A, &rtp(0x8888, i, 960 * u32::from(i)));
        }
        if i % 50 == 0 {
            let id = u32::from(i) + 1;
            s.udp(t + 1, A, B, &check(id, "aaaa", "bbbb", true, true));
            if t <= b_answers_ms {
                s.udp(t + 2, B, A, &check_ok(id, A));
            }
        }
    }
    s
}

/// Media blocked from one side mid-call while its consent answers still come (what
/// fixtures/webrtc/fail-one-way recorded): one-way media from the moment it stopped, and no
/// "the sender stopped the track" finding for the same streams.
#[test]
fn media_one_way_from_midcall_while_consent_goes_on() {
    let s = midcall_script(3_000, i128::MAX);
    let f = s.findings();
    let x = find(&f, "media.one-way");
    assert_eq!(x.severity, Severity::Failure);
    // B's last packet: t = 2.980 s + 5 ms.
    assert_eq!(x.at_ns, Some((T0 + 2_985_000_000) as i64), "{x:#?}");
    assert!(
        x.verdict.contains("from 203.0.113.7:60000 stopped"),
        "{}",
        x.verdict
    );
    assert!(!ids(&f).contains(&"media.stream-stopped"), "{f:#?}");
}

/// The same stop with B's consent answers stopping too is a dead path, not one-way media:
/// consent lost, timed at B's last media packet (closer than its last answer), and B's
/// stopped stream is part of it, not a finding of its own.
#[test]
fn consent_lost_is_timed_at_the_silent_sides_last_media() {
    let s = midcall_script(3_000, 1_500);
    let f = s.findings();
    assert!(!ids(&f).contains(&"media.one-way"), "{f:#?}");
    assert!(!ids(&f).contains(&"media.stream-stopped"), "{f:#?}");
    let x = find(&f, "ice.consent-lost");
    assert_eq!(x.at_ns, Some((T0 + 2_985_000_000) as i64), "{x:#?}");
    assert_eq!(
        x.evidence[0].at_ns,
        Some((T0 + 1_002_000_000) as i64),
        "the last answer stays in the evidence"
    );
    // With its packet number: B's answer at 1.002 s ends round 50; rounds 0 to 50 carry two
    // RTP packets each, rounds 0 and 50 a check and its answer too.
    assert_eq!(
        x.evidence[0].packet,
        Some(2 * 51 + 2 + 2),
        "{:#?}",
        x.evidence
    );
}

/// Both sides' media stop together (the end of a call), consent answered: no one-way media.
#[test]
fn media_stopping_on_both_sides_is_not_one_way() {
    let mut s = midcall_script(8_000, i128::MAX);
    // Nothing after 8 s but consent: both stopped at the same time.
    for k in 0..5u32 {
        let t = 8_000 + i128::from(k) * 1_000;
        s.udp(t, A, B, &check(1000 + k, "aaaa", "bbbb", true, false));
        s.udp(t + 1, B, A, &check_ok(1000 + k, A));
    }
    let f = s.findings();
    assert!(!ids(&f).contains(&"media.one-way"), "{f:#?}");
}

/// A STUN Binding request without credentials (server-reflexive discovery).
fn binding(i: u32) -> Vec<u8> {
    MessageBuilder::request(Method::BINDING, tid(i))
        .finish()
        .unwrap()
}

/// Both peers learn a server-reflexive address from a STUN server, the other peer's checks go
/// to it, and unanswered; each peer's own checks leave from another port (a NAT that maps each
/// destination anew), as in fixtures/webrtc/fail-symmetric-nat. `a_keeps_port`: A's NAT maps
/// endpoint-independently instead (its checks leave from its reflexive address).
fn symmetric_script(a_keeps_port: bool) -> Vec<Finding> {
    const STUN: &str = "198.51.100.10:3478";
    const A_SEEN: &str = "198.51.100.21:25388";
    const B_SEEN: &str = "198.51.100.22:62282";
    let a_from = if a_keeps_port {
        A_SEEN
    } else {
        "198.51.100.21:41774"
    };
    let b_from = "198.51.100.22:22849";
    let mut s = Script::new();
    s.udp(0, A_SEEN, STUN, &binding(900));
    s.udp(1, STUN, A_SEEN, &check_ok(900, A_SEEN));
    s.udp(2, B_SEEN, STUN, &binding(901));
    s.udp(3, STUN, B_SEEN, &check_ok(901, B_SEEN));
    for k in 0..10u32 {
        let t = 100 + i128::from(k) * 500;
        s.udp(
            t,
            a_from,
            B_SEEN,
            &check(10 + 2 * k, "aaaa", "bbbb", true, false),
        );
        s.udp(
            t + 5,
            b_from,
            A_SEEN,
            &check(11 + 2 * k, "bbbb", "aaaa", false, false),
        );
    }
    s.findings()
}

#[test]
fn symmetric_nats_on_both_sides_are_named() {
    let f = symmetric_script(false);
    let x = find(&f, "ice.no-pair-succeeded");
    assert!(
        x.verdict
            .contains("both sides look to be behind NATs whose mapping depends"),
        "{}",
        x.verdict
    );
    assert!(
        x.evidence.iter().any(|e| e.what.contains(
            "198.51.100.10:3478 saw 198.51.100.22 as 198.51.100.22:62282, the peer's checks went \
             there, but 198.51.100.22's own checks to 198.51.100.21:25388 left from \
             198.51.100.22:22849, a port no server ever saw"
        )),
        "{:#?}",
        x.evidence
    );
}

#[test]
fn a_nat_that_keeps_its_port_is_not_called_symmetric() {
    let f = symmetric_script(true);
    let x = find(&f, "ice.no-pair-succeeded");
    assert!(x.verdict.contains("one side looks to be"), "{}", x.verdict);
    assert!(
        !x.evidence
            .iter()
            .any(|e| e.what.contains("saw 198.51.100.21 as")),
        "{:#?}",
        x.evidence
    );
}

/// `n` packets of `ssrc` from A to B, 20 ms apart, with the pairs at `swap(i)` sent the other
/// way round (i + 1 before i: one late packet each).
fn reordered_script(n: u16, swap: impl Fn(u16) -> bool) -> Vec<Finding> {
    let mut s = Script::new();
    let mut i = 0u16;
    while i < n {
        let t = i128::from(i) * 20;
        let (x, y) = (
            rtp(0x9999, i, 960 * u32::from(i)),
            rtp(0x9999, i + 1, 960 * u32::from(i + 1)),
        );
        if swap(i) {
            s.udp(t, A, B, &y);
            s.udp(t + 20, A, B, &x);
        } else {
            s.udp(t, A, B, &x);
            s.udp(t + 20, A, B, &y);
        }
        i += 2;
    }
    s.findings()
}

#[test]
fn reordering_is_graded_by_its_share() {
    // 1000 packets, one pair in five swapped: 100 late packets, 10 %.
    let f = reordered_script(1000, |i| i % 10 == 0);
    let x = find(&f, "media.reordering");
    assert_eq!(x.severity, Severity::Degraded);
    assert!(
        x.verdict.contains("10.0 % of its packets (100 of 1000)"),
        "{}",
        x.verdict
    );
    assert!(
        x.evidence[0]
            .what
            .starts_with("100 late, 0 duplicate(s), 0 lost"),
        "{:?}",
        x.evidence
    );
    // One pair in 25 swapped: 2 %, a notice.
    let f = reordered_script(1000, |i| i % 50 == 0);
    assert_eq!(find(&f, "media.reordering").severity, Severity::Notice);
    // In order, or one late packet in 500: nothing.
    assert!(!ids(&reordered_script(1000, |_| false)).contains(&"media.reordering"));
    assert!(!ids(&reordered_script(1000, |i| i == 500)).contains(&"media.reordering"));
}

/// Reordering says when: every pair swapped from 4 s to 6 s of a 20 s stream (50 late of
/// 1000) is one time range starting at 4 s, and the finding starts there.
#[test]
fn reordering_gives_its_time_range() {
    let f = reordered_script(1000, |i| (200..300).contains(&i));
    let x = find(&f, "media.reordering");
    let timed: Vec<&Evidence> = x.evidence.iter().filter(|e| e.at_ns.is_some()).collect();
    assert_eq!(timed.len(), 1, "{:#?}", x.evidence);
    let start = timed[0].at_ns.unwrap() as i128 - T0;
    assert!(
        (3_900_000_000..=4_100_000_000).contains(&start),
        "{start}: {}",
        timed[0].what
    );
    assert!(
        timed[0].what.contains("packets late over 2.00 s"),
        "{}",
        timed[0].what
    );
    assert_eq!(x.at_ns, timed[0].at_ns);
}

/// An RTCP sender report from `ssrc` (no report blocks).
fn sender_report(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend(ssrc.to_be_bytes());
    p.extend([0u8; 20]);
    p
}

/// An RTCP receiver report from `sender` with one block about `about`.
fn receiver_report(sender: u32, about: u32) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7];
    p.extend(sender.to_be_bytes());
    p.extend(about.to_be_bytes());
    p.extend([0u8; 20]);
    p
}

/// A sends 15 s of audio to B; once a second, `rtcp()` gives what RTCP to send (from, to,
/// packet), and (`b_answers`) B answers a STUN check of A's, so the capture shows B's side.
fn rtcp_script(
    b_answers: bool,
    rtcp: impl Fn() -> Option<(&'static str, &'static str, Vec<u8>)>,
) -> Vec<Finding> {
    let mut s = Script::new();
    for i in 0..750u16 {
        let t = i128::from(i) * 20;
        s.udp(t, A, B, &rtp(0xaaaa, i, 960 * u32::from(i)));
        if i % 50 == 25 {
            if let Some((from, to, p)) = rtcp() {
                s.udp(t + 1, from, to, &p);
            }
            if b_answers {
                let id = 5000 + u32::from(i);
                s.udp(t + 2, A, B, &check(id, "aaaa", "bbbb", true, false));
                s.udp(t + 3, B, A, &check_ok(id, A));
            }
        }
    }
    s.findings()
}

#[test]
fn a_stream_without_rtcp_is_degraded() {
    let f = rtcp_script(true, || None);
    let x = find(&f, "media.no-rtcp");
    assert_eq!(x.severity, Severity::Degraded);
    assert!(
        x.verdict.contains("ran 15.0 s without RTCP")
            && x.verdict
                .contains("no RTCP at all passed between the two hosts"),
        "{}",
        x.verdict
    );
    assert_eq!(x.at_ns, Some(T0 as i64));
    // B reports, but on another stream only: still nothing about this one, either way.
    let f = rtcp_script(true, || Some((B, A, receiver_report(0xbbbb, 0x1234))));
    let x = find(&f, "media.no-rtcp");
    assert_eq!(x.severity, Severity::Degraded);
    assert!(!x.verdict.contains("no RTCP at all"), "{}", x.verdict);
    // Nothing at all from B in the capture: only the sender's silence is known.
    let f = rtcp_script(false, || None);
    let x = find(&f, "media.no-rtcp");
    assert_eq!(x.severity, Severity::Notice);
    assert!(
        x.verdict.contains("holds nothing from 203.0.113.7"),
        "{}",
        x.verdict
    );
}

#[test]
fn rtcp_from_the_sender_or_the_receiver_is_enough() {
    // The sender's reports.
    assert!(
        !ids(&rtcp_script(true, || Some((A, B, sender_report(0xaaaa))))).contains(&"media.no-rtcp")
    );
    // The receiver's reports about it.
    let f = rtcp_script(true, || Some((B, A, receiver_report(0xbbbb, 0xaaaa))));
    assert!(!ids(&f).contains(&"media.no-rtcp"));
    // A stream shorter than the threshold is not judged.
    let mut s = Script::new();
    for i in 0..400u16 {
        s.udp(
            i128::from(i) * 20,
            A,
            B,
            &rtp(0xaaaa, i, 960 * u32::from(i)),
        );
    }
    assert!(!ids(&s.findings()).contains(&"media.no-rtcp"));
}

const PEER: &str = "203.0.113.9:7000";

/// A Send (`to_peer`) or Data indication between the client and PEER.
fn indication(i: u32, to_peer: bool) -> Vec<u8> {
    let method = if to_peer { Method::SEND } else { Method::DATA };
    let mut m = MessageBuilder::indication(method, tid(i));
    m.add(&Attribute::XorPeerAddress(PEER.parse().unwrap()))
        .add(&Attribute::Data(Cow::Borrowed(&[0x5a; 40])));
    m.finish().unwrap()
}

/// An allocation (600 s, refreshed at 280 s and 560 s) with a permission for PEER installed at
/// 100 ms and refreshed at each of `refresh_s`; the client sends to the peer every 10 s for
/// 400 s, and the peer's data comes back until `peer_until_s`. Returns the findings and the
/// packet number of the first Send after 300.1 s.
fn permission_script(refresh_s: &[i128], peer_until_s: i128) -> (Vec<Finding>, Option<u64>) {
    let mut s = Script::new();
    s.udp(0, CLIENT, SERVER, &turn_request(Method::ALLOCATE, 1, &[]));
    s.udp(5, SERVER, CLIENT, &allocate_ok(1, 600));
    let peer = [Attribute::XorPeerAddress(PEER.parse().unwrap())];
    let permit = |s: &mut Script, t_ms: i128, i: u32| {
        s.udp(
            t_ms,
            CLIENT,
            SERVER,
            &turn_request(Method::CREATE_PERMISSION, i, &peer),
        );
        let ok = MessageBuilder::success(Method::CREATE_PERMISSION, tid(i))
            .finish()
            .unwrap();
        s.udp(t_ms + 5, SERVER, CLIENT, &ok);
    };
    permit(&mut s, 100, 2);
    let mut i = 10;
    let mut first_late = None;
    for k in 1..=40i128 {
        let t = k * 10_000;
        if refresh_s.contains(&(t / 1000)) {
            permit(&mut s, t - 50, i);
            i += 1;
        }
        if t == 280_000 {
            let refresh = turn_request(Method::REFRESH, i, &[Attribute::Lifetime(600)]);
            s.udp(t - 40, CLIENT, SERVER, &refresh);
            let ok = MessageBuilder::success(Method::REFRESH, tid(i))
                .finish()
                .unwrap();
            s.udp(t - 35, SERVER, CLIENT, &ok);
            i += 1;
        }
        let n = s.udp(t, CLIENT, SERVER, &indication(i, true));
        if t > 300_100 {
            first_late.get_or_insert(n);
        }
        i += 1;
        if t / 1000 <= peer_until_s {
            s.udp(t + 20, SERVER, CLIENT, &indication(i, false));
            i += 1;
        }
    }
    (s.findings(), first_late)
}

#[test]
fn a_permission_that_lapses_while_data_flows() {
    let (f, first_late) = permission_script(&[], 300);
    let x = find(&f, "turn.permission-expired");
    assert_eq!(x.severity, Severity::Failure);
    assert_eq!(x.at_ns, Some((T0 + 300_105_000_000) as i64));
    assert!(
        x.verdict.contains("for 203.0.113.9 expired")
            && x.verdict.contains("10 messages after expiry"),
        "{}",
        x.verdict
    );
    assert!(
        x.evidence
            .iter()
            .any(|e| e.packet == first_late && first_late.is_some()),
        "{:#?}",
        x.evidence
    );
    assert!(!ids(&f).contains(&"turn.allocation-expired"), "{f:#?}");
}

#[test]
fn a_permission_refreshed_in_time_does_not_lapse() {
    let (f, _) = permission_script(&[240], i128::MAX);
    assert!(!ids(&f).contains(&"turn.permission-expired"), "{f:#?}");
    // Refreshed too late (just before 350 s): the sends at 310 to 340 s went into the gap.
    let (f, _) = permission_script(&[350], 300);
    let x = find(&f, "turn.permission-expired");
    assert!(
        x.verdict.contains("4 messages after expiry"),
        "{}",
        x.verdict
    );
}

/// The peer's data still relayed after the computed expiry: the server kept the permission (a
/// refresh the capture missed), so no failure is claimed.
#[test]
fn data_still_relayed_from_the_peer_means_the_permission_held() {
    let (f, _) = permission_script(&[], i128::MAX);
    let x = find(&f, "turn.permission-expired");
    assert_eq!(x.severity, Severity::Notice);
    assert!(
        x.verdict.contains("went on relaying data from the peer"),
        "{}",
        x.verdict
    );
}

/// Agent `mine` (controlling, nominating) checks `from` → `to` once a second over
/// [`t0_ms`, `t1_ms`), each answered; returns the packet number of the first answer.
fn nominated_checks(
    s: &mut Script,
    ids: &mut u32,
    (mine, theirs): (&str, &str),
    (from, to): (&str, &str),
    (t0_ms, t1_ms): (i128, i128),
) -> u64 {
    let mut first = None;
    let mut t = t0_ms;
    while t < t1_ms {
        *ids += 1;
        s.udp(t, from, to, &check(*ids, mine, theirs, true, true));
        let n = s.udp(t + 10, to, from, &check_ok(*ids, from));
        first.get_or_insert(n);
        t += 1_000;
    }
    first.unwrap()
}

const A2: &str = "10.0.0.3:50002";

#[test]
fn a_renomination_is_told_with_both_pairs() {
    let mut s = Script::new();
    let mut i = 0;
    nominated_checks(&mut s, &mut i, ("aaaa", "bbbb"), (A, B), (0, 10_000));
    let n = nominated_checks(&mut s, &mut i, ("aaaa", "bbbb"), (A2, B), (10_000, 20_000));
    let f = s.findings();
    let x = find(&f, "ice.selected-pair-changed");
    assert_eq!(x.severity, Severity::Notice);
    assert_eq!(x.at_ns, Some((T0 + 10_010_000_000) as i64));
    assert!(
        x.verdict.contains(
            "changed at +10.010 s from 10.0.0.2:50000 → 203.0.113.7:60000 to 10.0.0.3:50002 → \
             203.0.113.7:60000 (renomination"
        ),
        "{}",
        x.verdict
    );
    assert_eq!(x.evidence[1].packet, Some(n), "{:#?}", x.evidence);
    assert_eq!(x.evidence[0].at_ns, Some((T0 + 10_000_000) as i64));
}

/// Aggressive nomination: two pairs nominated within the first moments, then the call stays
/// on one: no change of path.
#[test]
fn nominations_together_at_the_start_are_one_choice() {
    let mut s = Script::new();
    let mut i = 0;
    nominated_checks(&mut s, &mut i, ("aaaa", "bbbb"), (A2, B), (0, 1));
    nominated_checks(&mut s, &mut i, ("aaaa", "bbbb"), (A, B), (300, 20_000));
    let f = s.findings();
    assert!(!ids(&f).contains(&"ice.selected-pair-changed"), "{f:#?}");
}

#[test]
fn an_ice_restart_is_told_with_the_old_and_new_pair() {
    let mut s = Script::new();
    let mut i = 0;
    nominated_checks(&mut s, &mut i, ("aaaa", "bbbb"), (A, B), (0, 10_000));
    // New ufrags on both sides, from another local port, 2 s after the old session's last
    // check (which now goes unanswered).
    i += 1;
    s.udp(10_000, A, B, &check(i, "aaaa", "bbbb", true, true));
    let n = nominated_checks(
        &mut s,
        &mut i,
        ("cccc", "dddd"),
        ("10.0.0.2:50004", B),
        (12_000, 20_000),
    );
    let f = s.findings();
    let x = find(&f, "ice.selected-pair-changed");
    assert_eq!(x.at_ns, Some((T0 + 12_010_000_000) as i64));
    assert!(
        x.verdict.contains(
            "from 10.0.0.2:50000 → 203.0.113.7:60000 to 10.0.0.2:50004 → 203.0.113.7:60000 (ICE \
             restart: new ufrags cccc / dddd replaced aaaa / bbbb)"
        ),
        "{}",
        x.verdict
    );
    assert_eq!(x.evidence.last().unwrap().packet, Some(n));
    assert_eq!(x.evidence[0].at_ns, Some((T0 + 9_010_000_000) as i64));
}

/// Two sessions side by side (no BUNDLE: one per m-line) or between other hosts are not a
/// restart.
#[test]
fn parallel_or_unrelated_sessions_are_not_a_restart() {
    let mut s = Script::new();
    let mut i = 0;
    nominated_checks(&mut s, &mut i, ("aaaa", "bbbb"), (A, B), (0, 20_000));
    nominated_checks(
        &mut s,
        &mut i,
        ("cccc", "dddd"),
        ("10.0.0.2:50004", B),
        (100, 20_000),
    );
    nominated_checks(
        &mut s,
        &mut i,
        ("eeee", "ffff"),
        ("10.9.0.2:50004", "192.0.2.9:4000"),
        (15_000, 30_000),
    );
    let f = s.findings();
    assert!(!ids(&f).contains(&"ice.selected-pair-changed"), "{f:#?}");
}

const USER: &str = "alice";
const OLD: &str = "192.0.2.50:40000";
const NEW: &str = "192.0.2.50:41234";

fn with_user(method: Method, i: u32, extra: &[Attribute<'_>]) -> Vec<u8> {
    let mut attrs = vec![Attribute::Username(Cow::Borrowed(USER))];
    attrs.extend(extra.iter().cloned());
    turn_request(method, i, &attrs)
}

/// An allocation from `from` at `t_ms` (lifetime 600 s) with a permission for PEER, then a
/// Send indication a second for `seconds`.
fn allocation_in_use(s: &mut Script, from: &str, t_ms: i128, seconds: i128, i: &mut u32) {
    *i += 1;
    s.udp(t_ms, from, SERVER, &with_user(Method::ALLOCATE, *i, &[]));
    s.udp(t_ms + 5, SERVER, from, &allocate_ok(*i, 600));
    *i += 1;
    let peer = [Attribute::XorPeerAddress(PEER.parse().unwrap())];
    s.udp(
        t_ms + 10,
        from,
        SERVER,
        &with_user(Method::CREATE_PERMISSION, *i, &peer),
    );
    let ok = MessageBuilder::success(Method::CREATE_PERMISSION, tid(*i))
        .finish()
        .unwrap();
    s.udp(t_ms + 15, SERVER, from, &ok);
    for k in 1..=seconds {
        *i += 1;
        s.udp(t_ms + k * 1000, from, SERVER, &indication(*i, true));
    }
}

/// Seen outside the client's NAT: the allocation's traffic stops at 30 s, and at 60 s the
/// client's Refresh arrives from a new port and is answered 437.
#[test]
fn a_refresh_from_a_new_port_is_a_nat_rebinding() {
    let mut s = Script::new();
    let mut i = 0;
    allocation_in_use(&mut s, OLD, 0, 30, &mut i);
    i += 1;
    s.udp(
        60_000,
        NEW,
        SERVER,
        &with_user(Method::REFRESH, i, &[Attribute::Lifetime(600)]),
    );
    let mismatch = s.udp(
        60_005,
        SERVER,
        NEW,
        &turn_error(Method::REFRESH, i, 437, "Allocation Mismatch"),
    );
    let f = s.findings();
    let x = find(&f, "turn.nat-rebinding");
    assert_eq!(x.severity, Severity::Degraded);
    assert_eq!(x.at_ns, Some((T0 + 60_000_000_000) as i64));
    assert!(
        x.verdict.contains(
            "source port changed under the TURN server 198.51.100.1:3478: the allocation of \
             192.0.2.50:40000 (username \"alice\") went quiet at +30.000 s and the same client \
             came back from 192.0.2.50:41234 at +60.000 s"
        ) && x.verdict.contains("(1 answer 437 Allocation Mismatch)"),
        "{}",
        x.verdict
    );
    assert!(
        x.evidence.iter().any(|e| e.packet == Some(mismatch)),
        "{:#?}",
        x.evidence
    );
    // The 437 is told here, not again on its own.
    assert!(!ids(&f).contains(&"turn.allocation-mismatch"), "{f:#?}");
}

/// A fresh Allocate from a new port 20 s after the old allocation went quiet: a notice (a
/// client with a new socket looks the same).
#[test]
fn a_fresh_allocation_from_a_new_port_after_silence_is_a_notice() {
    let mut s = Script::new();
    let mut i = 0;
    allocation_in_use(&mut s, OLD, 0, 30, &mut i);
    allocation_in_use(&mut s, NEW, 50_000, 10, &mut i);
    let f = s.findings();
    let x = find(&f, "turn.nat-rebinding");
    assert_eq!(x.severity, Severity::Notice);
    assert!(x.verdict.contains("allocating afresh"), "{}", x.verdict);
}

/// A browser allocates from several ports at once, or releases one before the next: no
/// rebinding.
#[test]
fn parallel_or_released_allocations_are_not_a_rebinding() {
    let mut s = Script::new();
    let mut i = 0;
    allocation_in_use(&mut s, OLD, 0, 30, &mut i);
    allocation_in_use(&mut s, NEW, 20, 30, &mut i);
    assert!(!ids(&s.findings()).contains(&"turn.nat-rebinding"));
    let mut s = Script::new();
    let mut i = 100;
    allocation_in_use(&mut s, OLD, 0, 30, &mut i);
    i += 1;
    s.udp(
        30_500,
        OLD,
        SERVER,
        &with_user(Method::REFRESH, i, &[Attribute::Lifetime(0)]),
    );
    let ok = MessageBuilder::success(Method::REFRESH, tid(i))
        .finish()
        .unwrap();
    s.udp(30_505, SERVER, OLD, &ok);
    allocation_in_use(&mut s, NEW, 40_000, 10, &mut i);
    assert!(!ids(&s.findings()).contains(&"turn.nat-rebinding"));
}

/// Seen on the client's side of the NAT: its own 5-tuple never changes, but the server
/// answers a Refresh of the allocation it granted with 437.
#[test]
fn a_437_to_a_refresh_of_a_granted_allocation_is_a_rebinding() {
    let mut s = Script::new();
    let mut i = 0;
    allocation_in_use(&mut s, CLIENT, 0, 30, &mut i);
    i += 1;
    s.udp(
        60_000,
        CLIENT,
        SERVER,
        &with_user(Method::REFRESH, i, &[Attribute::Lifetime(600)]),
    );
    s.udp(
        60_005,
        SERVER,
        CLIENT,
        &turn_error(Method::REFRESH, i, 437, "Allocation Mismatch"),
    );
    let f = s.findings();
    let x = find(&f, "turn.nat-rebinding");
    assert_eq!(x.at_ns, Some((T0 + 60_005_000_000) as i64));
    assert!(
        x.verdict
            .contains("no longer knows the allocation of 10.0.0.2:40000"),
        "{}",
        x.verdict
    );
    assert!(!ids(&f).contains(&"turn.allocation-mismatch"), "{f:#?}");
    // A 437 to an Allocate (a 5-tuple that already has an allocation) stays what it is.
    let mut s = Script::new();
    s.udp(0, CLIENT, SERVER, &with_user(Method::ALLOCATE, 1, &[]));
    s.udp(
        5,
        SERVER,
        CLIENT,
        &turn_error(Method::ALLOCATE, 1, 437, "Allocation Mismatch"),
    );
    let f = s.findings();
    assert!(ids(&f).contains(&"turn.allocation-mismatch"), "{f:#?}");
    assert!(!ids(&f).contains(&"turn.nat-rebinding"), "{f:#?}");
}

/// The SDPs settle the configuration: with no candidate (relay-only gathering found none) the
/// finding says the client is configured relay-only, with the SDPs as evidence; with a host
/// candidate in them the client was not relay-only, and the finding is not made.
#[test]
fn relay_only_is_sharpened_or_ruled_out_by_the_sdps() {
    use rtcscope_analysis::sdp_hints::SdpCandidate;
    let run = |cands: Vec<SdpCandidate>| {
        let mut s = Script::new();
        s.engine.set_sdp_candidates(cands);
        s.udp(0, CLIENT, SERVER, &binding(500));
        s.udp(1, SERVER, CLIENT, &check_ok(500, CLIENT));
        refused_allocation(&mut s, CLIENT, 1, 2);
        s.findings()
    };
    let f = run(Vec::new());
    let x = find(&f, "ice.relay-only-no-allocation");
    assert!(
        x.verdict.contains("is configured relay-only"),
        "{}",
        x.verdict
    );
    assert!(
        x.evidence
            .iter()
            .any(|e| e.what.contains("announce no candidate")),
        "{:#?}",
        x.evidence
    );
    let host = SdpCandidate::udp("10.1.1.1:40000".parse().unwrap(), "host", "1");
    assert!(!ids(&run(vec![host])).contains(&"ice.relay-only-no-allocation"));
}

/// Relay-only with a wrong password: nothing but refused Allocates (and libwebrtc's Binding on
/// the same socket, which is not STUN gathering).
#[test]
fn relay_only_without_an_allocation_never_starts_ice() {
    let mut s = Script::new();
    s.udp(0, CLIENT, SERVER, &binding(500));
    s.udp(1, SERVER, CLIENT, &check_ok(500, CLIENT));
    refused_allocation(&mut s, CLIENT, 1, 2);
    let f = s.findings();
    let x = find(&f, "ice.relay-only-no-allocation");
    assert_eq!(x.severity, Severity::Failure);
    // Settled at the last refusal (t = 2 + 200 + 5 ms), after the TURN finding's first.
    assert_eq!(x.at_ns, Some((T0 + 207_000_000) as i64));
    let order = ids(&f);
    let pos = |id: &str| order.iter().position(|x| *x == id).unwrap();
    assert!(
        pos("turn.wrong-credentials") < pos("ice.relay-only-no-allocation"),
        "{order:?}"
    );
    // The refusals are the evidence, not the first challenge.
    assert!(
        x.evidence
            .iter()
            .filter(|e| e.packet.is_some())
            .all(|e| e.what.starts_with("Allocate error 401") && e.packet != Some(4)),
        "{:#?}",
        x.evidence
    );
    assert!(
        x.verdict
            .contains("198.51.100.1:3478 over UDP refused the credentials (401)"),
        "{}",
        x.verdict
    );
    // A server that never answers.
    let mut s = Script::new();
    for i in 0..5u32 {
        s.udp(
            i128::from(i) * 500,
            CLIENT,
            SERVER,
            &turn_request(Method::ALLOCATE, i, &[]),
        );
    }
    let f = s.findings();
    let x = find(&f, "ice.relay-only-no-allocation");
    assert!(x.verdict.contains("never answered"), "{}", x.verdict);
}

/// Not relay-only: the agent also checks host candidates, or gathers from a STUN server of
/// its own; or the allocation was granted.
#[test]
fn other_candidates_or_a_granted_allocation_are_not_relay_only() {
    let mut s = Script::new();
    refused_allocation(&mut s, CLIENT, 1, 0);
    for i in 0..4u32 {
        s.udp(
            500 + i128::from(i) * 100,
            A,
            B,
            &check(100 + i, "aaaa", "bbbb", true, false),
        );
    }
    assert!(!ids(&s.findings()).contains(&"ice.relay-only-no-allocation"));
    let mut s = Script::new();
    s.udp(0, "10.0.0.2:40500", "198.51.100.77:3478", &binding(500));
    s.udp(
        1,
        "198.51.100.77:3478",
        "10.0.0.2:40500",
        &check_ok(500, "192.0.2.1:40500"),
    );
    refused_allocation(&mut s, CLIENT, 1, 2);
    assert!(!ids(&s.findings()).contains(&"ice.relay-only-no-allocation"));
    let mut s = Script::new();
    s.udp(0, CLIENT, SERVER, &turn_request(Method::ALLOCATE, 1, &[]));
    s.udp(5, SERVER, CLIENT, &allocate_ok(1, 600));
    assert!(!ids(&s.findings()).contains(&"ice.relay-only-no-allocation"));
    // Media from the client's host anyway (its checks ran where the capture does not see).
    let mut s = Script::new();
    refused_allocation(&mut s, CLIENT, 1, 0);
    for k in 0..100u16 {
        s.udp(
            500 + i128::from(k) * 20,
            A,
            B,
            &rtp(0x1212, k, 960 * u32::from(k)),
        );
    }
    assert!(!ids(&s.findings()).contains(&"ice.relay-only-no-allocation"));
}

/// A DTLS 1.2 plaintext handshake record (epoch 0, sequence `seq`) holding one message of
/// type `msg_type` with `body`.
fn dtls_handshake(seq: u8, msg_type: u8, msg_seq: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let mut hs = vec![msg_type, len[1], len[2], len[3], 0, msg_seq, 0, 0, 0];
    hs.extend([len[1], len[2], len[3]]);
    hs.extend(body);
    let mut r = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, seq];
    r.extend(u16::try_from(hs.len()).unwrap().to_be_bytes());
    r.extend(hs);
    r
}

fn client_hello(seq: u8) -> Vec<u8> {
    let mut b = vec![0xfe, 0xfd];
    b.extend([0x11; 32]);
    b.extend([0, 0, 0, 2, 0xc0, 0x2b, 1, 0, 0, 0]);
    dtls_handshake(seq, 1, 0, &b)
}

fn server_hello() -> Vec<u8> {
    let mut b = vec![0xfe, 0xfd];
    b.extend([0x22; 32]);
    b.extend([0, 0xc0, 0x2b, 0, 0, 0]);
    dtls_handshake(0, 2, 0, &b)
}

/// A handshake that stops is told by its flight, its side, how often it was sent and who
/// never answered.
#[test]
fn a_stalled_dtls_handshake_names_the_flight_and_the_silent_side() {
    let mut s = Script::new();
    for (k, t) in [0, 1_000, 3_000].into_iter().enumerate() {
        s.udp(t, A, B, &client_hello(u8::try_from(k).unwrap()));
    }
    let f = s.findings();
    let x = find(&f, "dtls.handshake-incomplete");
    assert!(
        x.verdict.contains(
            "the last message was client_hello from the client 10.0.0.2:50000, flight 1 \
             (ClientHello), sent 3 times, and 203.0.113.7:60000 never answered it"
        ),
        "{}",
        x.verdict
    );
    // The server answers once, then nothing: its flight is where it stopped.
    let mut s = Script::new();
    s.udp(0, A, B, &client_hello(0));
    s.udp(10, B, A, &server_hello());
    let f = s.findings();
    let x = find(&f, "dtls.handshake-incomplete");
    assert!(
        x.verdict
            .contains("server_hello from the server 203.0.113.7:60000, the server's flight")
            && !x.verdict.contains("times")
            && x.verdict.contains("10.0.0.2:50000 never answered it"),
        "{}",
        x.verdict
    );
}

/// Allocate requests refused by ICMP port unreachable: the TURN finding says so, with the
/// ICMP packet, and is timed at the first request.
#[test]
fn an_unanswered_turn_server_refused_by_icmp_says_so() {
    let mut s = Script::new();
    let mut first_icmp = None;
    for i in 0..4u32 {
        let t = 100 + i128::from(i) * 500;
        let req = turn_request(Method::ALLOCATE, i, &[]);
        let quoted = ipv4_udp(v4(CLIENT), v4(SERVER), &req);
        s.udp(t, CLIENT, SERVER, &req);
        let n = s.ip(
            t + 1,
            &port_unreachable(&quoted, [198, 51, 100, 1], [10, 0, 0, 2]),
        );
        first_icmp.get_or_insert(n);
    }
    let f = s.findings();
    let x = find(&f, "turn.no-answer");
    assert_eq!(x.at_ns, Some((T0 + 100_000_000) as i64));
    assert!(
        x.verdict
            .contains("; ICMP port unreachable came back from 198.51.100.1"),
        "{}",
        x.verdict
    );
    assert!(
        x.evidence.iter().any(|e| e.packet == first_icmp),
        "{:#?}",
        x.evidence
    );
    // Silence alone says nothing of ICMP.
    let mut s = Script::new();
    for i in 0..4u32 {
        s.udp(
            i128::from(i) * 500,
            CLIENT,
            SERVER,
            &turn_request(Method::ALLOCATE, i, &[]),
        );
    }
    let f = s.findings();
    assert!(!find(&f, "turn.no-answer").verdict.contains("ICMP"));
}

/// A probe allocation set up and left, then several fresh allocations from other ports at once
/// (fixtures/captures/turn-udp.pcapng has this shape): gathering, not a rebinding; nor is an
/// allocation in use followed by two fresh ones.
#[test]
fn allocations_opened_together_after_a_probe_are_not_a_rebinding() {
    let mut s = Script::new();
    s.udp(0, OLD, SERVER, &with_user(Method::ALLOCATE, 1, &[]));
    s.udp(1, SERVER, OLD, &allocate_ok(1, 600));
    let mut i = 10;
    for (k, port) in [41000, 41002, 41004, 41006].into_iter().enumerate() {
        let from = format!("192.0.2.50:{port}");
        let from: &'static str = Box::leak(from.into_boxed_str());
        allocation_in_use(&mut s, from, 3 + i128::try_from(k).unwrap(), 10, &mut i);
    }
    assert!(!ids(&s.findings()).contains(&"turn.nat-rebinding"));
    let mut s = Script::new();
    let mut i = 0;
    allocation_in_use(&mut s, OLD, 0, 30, &mut i);
    allocation_in_use(&mut s, NEW, 40_000, 10, &mut i);
    allocation_in_use(&mut s, "192.0.2.50:41236", 40_010, 10, &mut i);
    assert!(!ids(&s.findings()).contains(&"turn.nat-rebinding"));
}

/// A second call between the same hosts soon after the first: a new DTLS handshake on the new
/// path, so not an ICE restart (which keeps the DTLS association).
#[test]
fn a_new_call_with_its_own_handshake_is_not_a_restart() {
    let mut s = Script::new();
    let mut i = 0;
    nominated_checks(&mut s, &mut i, ("aaaa", "bbbb"), (A, B), (0, 10_000));
    s.udp(12_500, "10.0.0.2:50004", B, &client_hello(0));
    nominated_checks(
        &mut s,
        &mut i,
        ("cccc", "dddd"),
        ("10.0.0.2:50004", B),
        (12_000, 20_000),
    );
    let f = s.findings();
    assert!(!ids(&f).contains(&"ice.selected-pair-changed"), "{f:#?}");
}

/// Timestamps at the end of the engine's range (a pcapng with wrong timestamp units is clamped
/// to `MAX_TIMESTAMP_NS`): every new finding's time arithmetic holds instead of overflowing.
#[test]
fn new_findings_survive_clamped_timestamps() {
    let mut s = Script::from(i128::from(rtcscope_analysis::MAX_TIMESTAMP_NS) - 20_000_000_000);
    let mut i = 0;
    allocation_in_use(&mut s, OLD, 0, 30, &mut i);
    allocation_in_use(&mut s, NEW, 31_000, 5, &mut i);
    i += 1;
    s.udp(
        40_000,
        "192.0.2.50:41500",
        SERVER,
        &with_user(Method::REFRESH, i, &[]),
    );
    s.udp(
        40_001,
        SERVER,
        "192.0.2.50:41500",
        &turn_error(Method::REFRESH, i, 437, "Allocation Mismatch"),
    );
    nominated_checks(&mut s, &mut i, ("aaaa", "bbbb"), (A, B), (0, 10_000));
    nominated_checks(&mut s, &mut i, ("aaaa", "bbbb"), (A2, B), (10_000, 25_000));
    nominated_checks(
        &mut s,
        &mut i,
        ("cccc", "dddd"),
        ("10.0.0.2:50004", B),
        (26_000, 30_000),
    );
    for k in 0..800u16 {
        s.udp(
            i128::from(k) * 20,
            A,
            B,
            &rtp(0xabab, k ^ u16::from(k % 7 == 0), 0),
        );
    }
    s.udp(41_000, A, B, &client_hello(0));
    // Times clamp to MAX_TIMESTAMP_NS from 20 s on: the findings are computed, none panics.
    let f = s.findings();
    for id in [
        "turn.nat-rebinding",
        "ice.selected-pair-changed",
        "media.no-rtcp",
        "dtls.handshake-incomplete",
    ] {
        assert!(ids(&f).contains(&id), "{id}: {f:#?}");
    }
    assert!(f.iter().all(|x| x.at_ns.is_none_or(|t| t > 0)), "{f:#?}");
}
