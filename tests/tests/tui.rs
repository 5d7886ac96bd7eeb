//! End-to-end tests of the terminal UI: the real `rtcscope` binary driven in tmux, on a
//! recording and (as root) on a live capture inside network namespaces.

use rtcscope_tests::{bin, Tmux};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn tmux_available(test: &str) -> bool {
    rtcscope_testkit::require_tool(test, "tmux").is_some()
}

/// A free UDP port on loopback (bound then released).
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn open_recording_through_every_view() {
    if !tmux_available("open_recording_through_every_view") {
        return;
    }
    let port = free_udp_port();
    let alt = free_udp_port();
    let _server = Kill(
        Command::new(bin())
            .args(["stun-server", "--primary", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg("--alt-port")
            .arg(alt.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("stun server starts"),
    );
    let cmd = format!(
        "{} open -r fixtures/webrtc/direct/capture.pcapng --nat-server 127.0.0.1:{port}; echo EXITED $?",
        bin().display()
    );
    let t = Tmux::start(&cmd, 120, 40);
    // Sessions: the call, connected, direct, with its protocols.
    // The file loads on its own thread while the UI already shows what is known: wait for the
    // final packet count before reading the rest of the screen.
    let s = t.wait_for(
        &[
            "10.20.1.2:34409 ⇄ 10.20.2.2:52231",
            "connected",
            "1783 pkts",
        ],
        20,
    );
    assert!(s.contains("STUN DTLS RTP RTCP"), "{s}");
    // ICE: both agents' pairs, host candidates, the nominated one.
    t.keys(&["2"]);
    let s = t.wait_for(&["Candidate pairs", "10.20.2.2:52231", "★"], 5);
    assert!(s.contains("succeeded"), "{s}");
    assert!(s.contains("Checks over time"), "{s}");
    // DTLS: version, cipher, timing.
    t.keys(&["3"]);
    let s = t.wait_for(&["DTLS 1.3", "TLS_AES_128_GCM_SHA256", "client_hello"], 5);
    assert!(s.contains("server_hello"), "{s}");
    // Streams: the call's SSRCs.
    t.keys(&["4"]);
    t.wait_for(&["0xde5af8f2", "0xe41eb112", "0x28cea191", "0x590c4668"], 5);
    // Packets: the list, the tree with offsets, the hex dump.
    t.keys(&["5"]);
    let s = t.wait_for(&["Binding Request", "Fields of packet", "0000  "], 5);
    assert!(s.contains("[62..64]"), "byte offsets in the tree:\n{s}");
    // Help overlay, then close it.
    t.keys(&["?"]);
    t.wait_for(&["Keys", "pause / resume"], 5);
    t.keys(&["?"]);
    // NAT check against the local STUN server: no NAT on loopback.
    t.keys(&["6"]);
    t.wait_for(&["Press r"], 5);
    t.keys(&["r"]);
    let s = t.wait_for(&["NAT type", "public address"], 20);
    assert!(s.contains(&format!("127.0.0.1:{port}")), "{s}");
    // Quit: the terminal is restored and the exit status is 0.
    t.keys(&["q"]);
    let s = t.wait_for(&["EXITED 0"], 10);
    assert!(
        !s.contains("Candidate pairs"),
        "alternate screen left:\n{s}"
    );
}

#[test]
fn open_with_sdp_names_codecs_and_candidate_types() {
    if !tmux_available("open_with_sdp_names_codecs_and_candidate_types") {
        return;
    }
    let cmd = format!(
        "{} open fixtures/webrtc/direct/capture.pcapng --sdp fixtures/webrtc/direct/offer.sdp \
         --sdp fixtures/webrtc/direct/answer.sdp; echo EXITED $?",
        bin().display()
    );
    let t = Tmux::start(&cmd, 120, 40);
    t.wait_for(&["10.20.1.2:34409 ⇄ 10.20.2.2:52231", "1783 pkts"], 20);
    // ICE: the types come from the SDPs' candidates.
    t.keys(&["2"]);
    let s = t.wait_for(&["Candidate pairs", "from the SDPs' candidates"], 5);
    assert!(!s.contains("host?"), "{s}");
    // Streams: codec names and clock rates from the SDPs' rtpmaps; RED named with the codec
    // the SDP suggests inside, never as the codec.
    t.keys(&["4"]);
    let s = t.wait_for(&["opus/48000", "RED (VP8 per SDP)"], 5);
    assert!(!s.contains("red/90000"), "{s}");
    assert!(!s.contains("pt 111"), "{s}");
    t.keys(&["q"]);
    t.wait_for(&["EXITED 0"], 10);
}

#[test]
fn ctrl_c_restores_the_terminal() {
    if !tmux_available("ctrl_c_restores_the_terminal") {
        return;
    }
    let cmd = format!(
        "{} open fixtures/webrtc/relay/capture.pcapng; echo EXITED $?",
        bin().display()
    );
    let t = Tmux::start(&cmd, 80, 24);
    t.wait_for(&["relayed", "connected"], 20);
    // Resizing redraws the whole frame at the new size (the wider layout shows sparklines'
    // column title).
    t.resize(120, 30);
    t.wait_for(&["activity"], 5);
    t.keys(&["C-c"]);
    t.wait_for(&["EXITED 0"], 10);
}

/// Input that is not a capture (text, an empty file, a directory) is refused before the screen
/// switches, with the message `analyze` gives and its exit status, in a real terminal: never an
/// empty UI that says "0 pkts" and fails only after `q`.
#[test]
fn unreadable_input_is_refused_before_the_ui() {
    if !tmux_available("unreadable_input_is_refused_before_the_ui") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("rtcscope-open-refused-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not a capture\n").expect("a text file");
    let empty = dir.join("empty.pcap");
    std::fs::write(&empty, b"").expect("an empty file");
    for input in [&text, &empty, &dir] {
        let path = input.display().to_string();
        let analyze = rtcscope_tests::run(&["analyze", &path]);
        let expected = rtcscope_tests::stderr(&analyze);
        let expected = expected.trim();
        assert!(
            expected.contains("cannot read capture"),
            "analyze {path}: {expected}"
        );
        let cmd = format!("{} open {path}; echo EXITED $?", bin().display());
        let t = Tmux::start(&cmd, 100, 24);
        let status = format!("EXITED {}", analyze.status.code().unwrap_or(-1));
        let s = t.wait_for(&[status.as_str()], 10);
        // The pane wraps long lines, and a wrap at a space loses the space: compare with all
        // whitespace taken out of both.
        let squeeze = |t: &str| t.split_whitespace().collect::<String>();
        assert!(
            squeeze(&s).contains(&squeeze(expected)),
            "open {path} said:\n{s}\nanalyze said: {expected}"
        );
        assert!(!s.contains("Sessions"), "the UI started for {path}:\n{s}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGTERM (a `kill`, a closing session manager) ends the UI with the terminal restored: no
/// alternate screen, no raw mode left behind for the shell.
#[test]
fn sigterm_restores_the_terminal() {
    if !tmux_available("sigterm_restores_the_terminal") {
        return;
    }
    // A ring size no other test uses marks this process for pkill.
    let cmd = format!(
        "{} open fixtures/webrtc/relay/capture.pcapng --ring 43217; echo EXITED $?; \
         stty -a | grep -q -- -icanon && echo RAW-MODE-LEFT || echo COOKED",
        bin().display()
    );
    let t = Tmux::start(&cmd, 80, 24);
    t.wait_for(&["relayed", "connected"], 20);
    // Anchored at the binary, so the shell whose command line holds the same words is spared.
    let pattern = format!(
        "^{} open fixtures/webrtc/relay/capture.pcapng --ring 43217",
        bin().display()
    );
    let status = Command::new("pkill")
        .args(["-TERM", "-f", &pattern])
        .status()
        .expect("pkill runs");
    assert!(status.success(), "the UI process was not found");
    let s = t.wait_for(&["EXITED 143"], 10);
    let s = if s.contains("COOKED") || s.contains("RAW-MODE-LEFT") {
        s
    } else {
        t.wait_for(&["COOKED"], 5)
    };
    assert!(s.contains("COOKED"), "{s}");
    assert!(!t.alternate_screen(), "still on the alternate screen:\n{s}");
}

/// Two network namespaces joined by a veth pair (10.77.0.1 in A on `rtcs0`, 10.77.0.2 in B
/// on `rtcs1`) with rtcscope's STUN server in B; deleted when dropped.
struct Veth {
    a: String,
    b: String,
    _server: Option<Kill>,
}

impl Drop for Veth {
    fn drop(&mut self) {
        self._server.take();
        for n in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", n]).status();
        }
    }
}

impl Veth {
    fn up(tag: &str) -> Veth {
        let id = std::process::id();
        let (a, b) = (format!("rtcs-{tag}a-{id}"), format!("rtcs-{tag}b-{id}"));
        let ip = |args: &[&str]| {
            let st = Command::new("ip").args(args).status().expect("ip runs");
            assert!(st.success(), "ip {args:?} failed");
        };
        ip(&["netns", "add", &a]);
        let mut veth = Veth {
            a: a.clone(),
            b: b.clone(),
            _server: None,
        };
        ip(&["netns", "add", &b]);
        ip(&[
            "link", "add", "rtcs0", "netns", &a, "type", "veth", "peer", "name", "rtcs1", "netns",
            &b,
        ]);
        ip(&["-n", &a, "addr", "add", "10.77.0.1/24", "dev", "rtcs0"]);
        ip(&["-n", &b, "addr", "add", "10.77.0.2/24", "dev", "rtcs1"]);
        for (ns, dev) in [(&a, "rtcs0"), (&b, "rtcs1")] {
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        veth._server = Some(Kill(
            Command::new("ip")
                .args(["netns", "exec", &b])
                .arg(bin())
                .args(["stun-server", "--primary", "10.77.0.2"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("stun server starts"),
        ));
        veth
    }

    /// The NAT check from A against the server in B: STUN Binding requests and responses.
    fn nat_check(&self) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.a])
            .arg(bin())
            .args(["nat", "--json", "--timeout", "2", "10.77.0.2:3478"])
            .output()
            .expect("nat check runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// What `analyze --json` makes of a saved capture: its packet count and how many STUN
/// messages its flows carried.
fn saved_counts(path: &std::path::Path) -> (u64, u64) {
    let out = rtcscope_tests::run(&["analyze", "--json", &path.display().to_string()]);
    assert!(
        out.status.success(),
        "analyze {}: {}",
        path.display(),
        rtcscope_tests::stderr(&out)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("analyze --json prints JSON");
    let packets = v["counters"]["packets"].as_u64().expect("counters.packets");
    let stun = v["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .map(|f| f["counts"]["stun"].as_u64().unwrap_or(0))
        .sum();
    (packets, stun)
}

/// The pcapng block types in `path`, in order (a saved live capture ends with its
/// Interface Statistics Block, type 5).
fn pcapng_blocks(path: &std::path::Path) -> Vec<u32> {
    let bytes = std::fs::read(path).expect("the saved capture");
    let mut types = Vec::new();
    let mut at = 0usize;
    while at + 12 <= bytes.len() {
        let word = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let (kind, len) = (word(at), word(at + 4) as usize);
        assert!(len >= 12 && len % 4 == 0, "block at {at}: length {len}");
        types.push(kind);
        at += len;
    }
    assert_eq!(at, bytes.len(), "the file ends inside a block");
    types
}

#[test]
fn live_capture_in_network_namespaces() {
    if !rtcscope_testkit::require_root("live_capture_in_network_namespaces")
        || !tmux_available("live_capture_in_network_namespaces")
    {
        return;
    }
    let veth = Veth::up("l");
    let saved = std::env::temp_dir().join(format!("rtcscope-live-{}.pcapng", std::process::id()));
    let cmd = format!(
        "ip netns exec {} {} live -i rtcs0 -f udp -w {}; echo EXITED $?",
        veth.a,
        bin().display(),
        saved.display()
    );
    let t = Tmux::start(&cmd, 120, 40);
    t.wait_for(&["LIVE", "rtcs0", "kernel drops", "→ rtcscope-live-"], 20);
    // STUN Binding requests from namespace A to the server in B: the NAT check's traffic.
    std::thread::sleep(Duration::from_millis(300));
    veth.nat_check();
    let s = t.wait_for(&["10.77.0.2:3478", "STUN", "kernel drops 0"], 10);
    // The selected flow's detail counts its STUN messages.
    let stun = s
        .lines()
        .find_map(|l| l.split("STUN ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok());
    assert!(
        stun.is_some_and(|n| n >= 2),
        "no STUN count on screen:\n{s}"
    );
    // Pause freezes the display; resume.
    t.keys(&["p"]);
    t.wait_for(&["PAUSED"], 5);
    t.keys(&["p"]);
    // The status bar's packet count, once the NAT check is over.
    std::thread::sleep(Duration::from_millis(600));
    let s = t.screen();
    let shown = s
        .split(" pkts")
        .next()
        .and_then(|before| before.split_whitespace().last())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no packet count on screen:\n{s}"));
    t.keys(&["q"]);
    t.wait_for(&["EXITED 0"], 10);
    // Quitting closed the saved file: every packet the screen counted is in it, STUN
    // included, and the kernel's counters are at its end.
    let (saved_packets, saved_stun) = saved_counts(&saved);
    assert!(
        saved_packets >= shown && saved_stun >= 2,
        "saved {saved_packets} packets ({saved_stun} STUN), the screen counted {shown}"
    );
    assert_eq!(
        pcapng_blocks(&saved).last(),
        Some(&5),
        "no statistics block"
    );
    let _ = std::fs::remove_file(&saved);
}

/// `live -c N` and `live -a duration:S` stop the capture and keep the UI open on what was
/// captured, with `-w` holding exactly those packets, as `analyze -i` does.
#[test]
fn live_stops_at_count_and_duration_and_saves() {
    if !rtcscope_testkit::require_root("live_stops_at_count_and_duration_and_saves")
        || !tmux_available("live_stops_at_count_and_duration_and_saves")
    {
        return;
    }
    let veth = Veth::up("s");
    let dir = std::env::temp_dir();
    let counted = dir.join(format!("rtcscope-live-c-{}.pcapng", std::process::id()));
    let cmd = format!(
        "ip netns exec {} {} live -i rtcs0 -f udp -c 5 -w {}; echo EXITED $?",
        veth.a,
        bin().display(),
        counted.display()
    );
    let t = Tmux::start(&cmd, 120, 40);
    t.wait_for(&["LIVE", "rtcs0"], 20);
    std::thread::sleep(Duration::from_millis(300));
    veth.nat_check();
    // The capture stops at five packets (the NAT check sends more); the UI stays.
    t.wait_for(&["stopped", " 5 pkts"], 10);
    t.keys(&["q"]);
    t.wait_for(&["EXITED 0"], 10);
    let (packets, stun) = saved_counts(&counted);
    assert_eq!((packets, stun), (5, 5), "{}", counted.display());
    assert_eq!(
        pcapng_blocks(&counted).last(),
        Some(&5),
        "no statistics block"
    );

    let timed = dir.join(format!("rtcscope-live-a-{}.pcapng", std::process::id()));
    let cmd = format!(
        "ip netns exec {} {} live -i rtcs0 -f udp -a duration:1 -w {}; echo EXITED $?",
        veth.a,
        bin().display(),
        timed.display()
    );
    let t = Tmux::start(&cmd, 120, 40);
    t.wait_for(&["LIVE", "rtcs0"], 20);
    // Stopped after a second on a silent interface: the capture polls every 100 ms and the
    // clock is checked at each wake-up, packet or not.
    t.wait_for(&["stopped"], 10);
    // Traffic after the stop is not captured.
    veth.nat_check();
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["q"]);
    t.wait_for(&["EXITED 0"], 10);
    let (packets, _) = saved_counts(&timed);
    assert_eq!(packets, 0, "{}", timed.display());
    assert_eq!(pcapng_blocks(&timed), [0x0A0D_0D0A, 1, 5]);
    let _ = std::fs::remove_file(&counted);
    let _ = std::fs::remove_file(&timed);
}

/// The TUI issue's walk-through, as a new user does it: open a long relayed call (the relayed
/// recording replayed as four calls, 14,696 packets: past the 10,000 a ring would keep),
/// scroll to its first packet, filter by a stream's SSRC, save the filtered packets; at 80×24
/// and at full screen.
#[test]
fn long_call_first_packet_filter_and_save() {
    if !tmux_available("long_call_first_packet_filter_and_save") {
        return;
    }
    use rtcscope_testkit::gencap::{self, Options, Tables};
    let dir = std::env::temp_dir().join(format!("rtcscope-tui-long-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("long-relay.pcapng");
    let mut tables = Tables::default();
    let source = gencap::load_source(
        &rtcscope_testkit::fixtures().join("webrtc").join("relay"),
        false,
        &mut tables,
    )
    .unwrap();
    let opts = Options {
        sessions: 4,
        concurrency: 1,
        seed: 7,
    };
    let out = std::io::BufWriter::new(std::fs::File::create(&capture).unwrap());
    let written = gencap::generate(&[source], &tables, opts, out).unwrap();
    // The first call's first video stream, as `analyze --json` names it.
    let json = rtcscope_tests::run(&["analyze", "--json", capture.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let first = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["packets"].as_u64().unwrap_or(0) > 200)
        .min_by_key(|s| s["first_ns"].as_i64().unwrap_or(i64::MAX))
        .expect("a stream")
        .clone();
    let ssrc = first["ssrc"].as_u64().unwrap();
    let filter = format!("rtp.ssrc == {ssrc:#010x}");
    let listed = rtcscope_tests::run(&["dissect", "-Y", &filter, capture.to_str().unwrap()]);
    let want = rtcscope_tests::stdout(&listed).lines().count();
    assert!(want > 200, "{filter}: {want} packets in dissect");
    for (w, h, name) in [(80u16, 24u16, "small"), (200, 60, "full")] {
        let cmd = format!(
            "cd {} && {} open long-relay.pcapng; echo EXITED $?",
            dir.display(),
            bin().display()
        );
        let t = Tmux::start(&cmd, w, h);
        t.wait_for(&[&format!("{} pkts", written.packets)], 30);
        t.keys(&["5", "a", "g"]);
        // The first packet of the file, not of the last 10,000.
        let s = t.wait_for(&["Fields of packet 1 "], 10);
        assert!(!s.contains("last 10000"), "{s}");
        t.keys(&["/"]);
        t.keys(&["-l", &filter]);
        t.keys(&["Enter"]);
        t.wait_for(&[&format!("/{want} ")], 20);
        t.keys(&["g"]);
        t.keys(&["w"]);
        t.wait_for(&[&format!("save {want} listed packets to")], 10);
        // The offered name, replaced by one of ours.
        for _ in 0.."long-relay-packets.pcapng".len() {
            t.keys(&["BSpace"]);
        }
        let saved = format!("{name}.pcapng");
        t.keys(&["-l", &saved]);
        t.keys(&["Enter"]);
        t.wait_for(&[&format!("saved {want} packets to {saved}")], 20);
        // The TURN view: the four calls' allocations, user and realm, the 401 challenge.
        t.keys(&["8"]);
        let s = t.wait_for(&["TURN allocations", "released", "rtcscope @ realm"], 10);
        if h >= 40 {
            assert!(s.contains("(challenge: realm and nonce)"), "{s}");
        }
        // The ladder of the selected call: its TURN and ICE signalling between the hosts.
        t.keys(&["9"]);
        t.wait_for(&["Ladder", "Allocate Request", "▶", "◀"], 10);
        t.keys(&["q"]);
        t.wait_for(&["EXITED 0"], 10);
        let out = rtcscope_tests::run(&["dissect", dir.join(&saved).to_str().unwrap()]);
        assert!(out.status.success());
        assert_eq!(rtcscope_tests::stdout(&out).lines().count(), want, "{name}");
        let again =
            rtcscope_tests::run(&["dissect", "-Y", &filter, dir.join(&saved).to_str().unwrap()]);
        assert_eq!(
            rtcscope_tests::stdout(&again).lines().count(),
            want,
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `open --keylog --sdp` on a Firefox call: the Streams view shows what decryption reveals
/// (video frames and size, the receiver's reports, RTT), as `analyze --keylog` does.
#[test]
fn open_with_keylog_shows_decrypted_figures() {
    if !tmux_available("open_with_keylog_shows_decrypted_figures") {
        return;
    }
    let d = "fixtures/webrtc/firefox-direct";
    let cmd = format!(
        "{} open {d}/capture.pcapng --keylog {d}/keylog.txt --sdp {d}/offer.sdp --sdp {d}/answer.sdp; echo EXITED $?",
        bin().display()
    );
    let t = Tmux::start(&cmd, 160, 48);
    t.wait_for(&["1702 pkts"], 20);
    t.keys(&["4"]);
    t.wait_for(&["RTP streams", "SSRC 0x"], 10);
    // Down to a VP8 stream that is not RTX.
    let mut found = false;
    for _ in 0..8 {
        let s = t.screen();
        if s.contains("Frames    140 (1 key)") {
            assert!(s.contains("320×240"), "{s}");
            assert!(s.contains("ms (LSR/DLSR)"), "{s}");
            found = true;
            break;
        }
        t.keys(&["Down"]);
        std::thread::sleep(Duration::from_millis(400));
    }
    assert!(found, "no video stream showed its frames:\n{}", t.screen());
    t.keys(&["q"]);
    t.wait_for(&["EXITED 0"], 10);
}
