//! The live-capture rate benchmark's parts (issue #14): the RTP generator `rtp-flood`
//! (crates/testkit) sends what it says at the rate it says, says so when it cannot, and
//! `scripts/bench-live.sh` (as root) counts every packet with zero drops at a low rate
//! (2,000 packets/s, well within what even a debug build keeps up with).

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// The `rtp-flood` binary of this build profile, built once.
fn flood() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| rtcscope_tests::build_bin(Some("rtcscope-testkit"), "rtp-flood"))
        .clone()
}

/// `key=value` from the generator's summary line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}

#[test]
fn the_generator_sends_rtp_streams_at_the_rate_it_reports() {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let port = rx.local_addr().unwrap().port();
    let child = Command::new(flood())
        .args(["--dst", &format!("127.0.0.1:{port}")])
        .args([
            "--rate",
            "400",
            "--duration",
            "0.5",
            "--payload",
            "100",
            "--ssrcs",
            "3",
        ])
        .args(["--batch", "8"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("rtp-flood runs");
    // 200 datagrams: fewer than the socket's default buffer holds (about 270 of this size), so
    // none is lost however late this thread gets the CPU on a loaded machine.

    // Every datagram: RTP v2, PT 111, a 12-byte header and 100 bytes; three SSRCs in turn,
    // each with its sequence number +1 and timestamp +960 per packet.
    let mut last: Vec<(u32, u16, u32)> = Vec::new();
    let mut buf = [0u8; 2048];
    for i in 0..200 {
        let n = rx
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("datagram {i}: {e}"));
        assert_eq!(n, 112, "datagram {i}");
        assert_eq!(buf[0], 0x80, "datagram {i}");
        assert_eq!(buf[1], 111, "datagram {i}");
        let seq = u16::from_be_bytes([buf[2], buf[3]]);
        let ts = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let ssrc = u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
        if i < 3 {
            assert!(last.iter().all(|l| l.0 != ssrc), "SSRC repeated at {i}");
        } else {
            let (s, q, t) = last[i % 3];
            assert_eq!(ssrc, s, "round-robin over the SSRCs at {i}");
            assert_eq!(seq, q.wrapping_add(1), "sequence at {i}");
            assert_eq!(ts, t.wrapping_add(960), "timestamp at {i}");
        }
        if i < 3 {
            last.push((ssrc, seq, ts));
        } else {
            last[i % 3] = (ssrc, seq, ts);
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(field(&line, "sent"), "200", "{line}");
    assert_eq!(field(&line, "reached"), "yes", "{line}");
    let elapsed: f64 = field(&line, "elapsed").parse().unwrap();
    // 200 packets at 400/s: paced over about half a second, not sent in one burst.
    assert!((0.45..1.5).contains(&elapsed), "{line}");
    // No more than it said.
    rx.set_nonblocking(true).unwrap();
    assert!(rx.recv(&mut buf).is_err(), "a datagram beyond the 200 sent");
}

#[test]
fn the_generator_says_when_it_cannot_reach_the_rate() {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = rx.local_addr().unwrap().port();
    // 90M packets/s is out of reach of any sender through the socket layer.
    let out = Command::new(flood())
        .args(["--dst", &format!("127.0.0.1:{port}")])
        .args(["--rate", "90000000", "--duration", "0.3", "--strict"])
        .output()
        .expect("rtp-flood runs");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(field(&line, "reached"), "no", "{line}");
    let rate: f64 = field(&line, "rate").parse().unwrap();
    let sent: f64 = field(&line, "sent").parse().unwrap();
    let elapsed: f64 = field(&line, "elapsed").parse().unwrap();
    assert!(rate < 90e6 * 0.99 && rate > 0.0, "{line}");
    // The rate reported is the rate sent, not the target.
    assert!((sent / elapsed - rate).abs() <= rate * 0.01 + 1.0, "{line}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NOT reached"),
        "{out:?}"
    );
}

#[test]
fn bench_live_counts_every_packet_without_drops_at_a_low_rate() {
    if !rtcscope_testkit::require_root("live_rate::bench_live_counts_every_packet") {
        return;
    }
    for tool in ["ip", "nft", "taskset", "python3"] {
        if rtcscope_testkit::require_tool("live_rate::bench_live_counts_every_packet", tool)
            .is_none()
        {
            return;
        }
    }
    let root = rtcscope_testkit::workspace_root();
    let prefix = format!("rtl{}", std::process::id() % 100_000);
    // Both generators: whole frames on a packet socket (the default) from one CPU, and UDP
    // datagrams from two generators side by side (each sends half, on its own SSRCs; the row
    // adds them up).
    for (generator, cpus) in [("raw", "0"), ("udp", "0 1")] {
        let out_file = std::env::temp_dir().join(format!(
            "rtcscope-live-rate-{}-{generator}.tsv",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&out_file);
        let out = Command::new(root.join("scripts/bench-live.sh"))
            .arg("2000")
            .env("DURATION", "2")
            .env("CAPTURERS", "analyze")
            .env("GEN", generator)
            .env("GEN_CPU", cpus)
            .env("NS_PREFIX", &prefix)
            .env("RTCSCOPE", rtcscope_tests::bin())
            .env("RTP_FLOOD", flood())
            .env("OUT", &out_file)
            .current_dir(&root)
            .output()
            .expect("bench-live.sh runs");
        let table = std::fs::read_to_string(&out_file).unwrap_or_default();
        let _ = std::fs::remove_file(&out_file);
        assert!(out.status.success(), "{generator}: {out:?}\n{table}");
        assert!(
            table.contains(&format!("generator {generator} on CPU {cpus}")),
            "{table}"
        );
        let row: Vec<&str> = table
            .lines()
            .find(|l| l.starts_with("2000\tanalyze\t"))
            .unwrap_or_else(|| panic!("{generator}: no result row in:\n{table}\n{out:?}"))
            .split('\t')
            .collect();
        // target capturer sent achieved reached counted kernel_drops veth softnet ok
        assert_eq!(row[2], "4000", "{generator}: {row:?}");
        assert_eq!(row[4], "yes", "{generator}: {row:?}");
        assert_eq!(row[5], "4000", "{generator}: every packet counted: {row:?}");
        assert_eq!(row[6], "0", "{generator}: {row:?}");
        assert_eq!(row[9], "yes", "{generator}: {row:?}");
    }
    // The namespaces are gone afterwards.
    let ns = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&ns.stdout).contains(&prefix),
        "{ns:?}"
    );
}
