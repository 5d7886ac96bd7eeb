//! Live capture through libpcap on loopback (root only), saved as pcapng and read back.

#![cfg(feature = "live")]

use rtcscope_capture::file::CaptureReader;
use rtcscope_capture::link::decode;
use rtcscope_capture::live::{list_interfaces, LiveCapture, LiveError, DEFAULT_BUFFER_BYTES};
use rtcscope_capture::writer::{InterfaceStats, PcapNgWriter};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

#[test]
fn captures_loopback_udp_with_a_filter_and_saves_pcapng() {
    if !rtcscope_testkit::require_root("capture::live::captures_loopback_udp") {
        return;
    }
    let names: Vec<String> = list_interfaces()
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert!(names.iter().any(|n| n == "lo"), "{names:?}");

    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = rx.local_addr().unwrap().port();
    let filter = format!("udp and dst port {port}");
    let mut cap = LiveCapture::open("lo", Some(&filter), 0, DEFAULT_BUFFER_BYTES).unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Also traffic the filter must keep out.
    let noise = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..5u8 {
        tx.send_to(&[b'r', b't', b'c', i], ("127.0.0.1", port))
            .unwrap();
        noise.send_to(b"noise", tx.local_addr().unwrap()).unwrap();
    }
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    let iface = w.add_interface(cap.link_type(), 0, "lo").unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last_ts = 0;
    while got.len() < 5 && Instant::now() < deadline {
        if let Some(p) = cap.next_packet().unwrap() {
            let d = decode(p.link_type, p.data).unwrap().unwrap();
            assert_eq!(d.dst.port(), port, "the filter let other traffic in");
            got.push(d.payload.to_vec());
            w.write_packet(iface, p.ts_nanos, p.data, p.orig_len)
                .unwrap();
            last_ts = p.ts_nanos;
        }
    }
    let expected: Vec<Vec<u8>> = (0..5u8).map(|i| vec![b'r', b't', b'c', i]).collect();
    assert_eq!(got, expected);
    let s = cap.stats().unwrap();
    assert!(s.received >= 5, "{s:?}");
    w.write_stats(
        iface,
        last_ts,
        InterfaceStats {
            received: s.received,
            if_dropped: s.if_dropped,
            os_dropped: s.dropped,
        },
    )
    .unwrap();
    let file = w.finish().unwrap();
    let mut r = CaptureReader::new(&file[..]).unwrap();
    let mut n = 0;
    while r.next_packet().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 5);
    assert_eq!(r.interfaces()[0].dropped, Some(s.dropped + s.if_dropped));
}

#[test]
fn bad_filter_and_missing_interface_are_explained() {
    if !rtcscope_testkit::require_root("capture::live::bad_filter_and_missing_interface") {
        return;
    }
    match LiveCapture::open("lo", Some("udp and and port"), 0, DEFAULT_BUFFER_BYTES) {
        Err(e @ LiveError::BadFilter { .. }) => assert!(e.to_string().contains("BPF"), "{e}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a broken filter compiled"),
    }
    match LiveCapture::open("rtcscope-no-such0", None, 0, DEFAULT_BUFFER_BYTES) {
        Err(e) => assert!(
            e.to_string().contains("rtcscope-no-such0"),
            "error does not name the interface: {e}"
        ),
        Ok(_) => panic!("opened a missing interface"),
    }
}

/// On an idle interface (a filter nothing matches) the read comes back empty instead of
/// blocking, so callers can react to Ctrl-C and stop conditions. A liveness check, not a speed
/// test: the bound is generous.
#[test]
fn idle_capture_returns_instead_of_blocking() {
    if !rtcscope_testkit::require_root("capture::live::idle_capture_returns") {
        return;
    }
    let mut cap = LiveCapture::open(
        "lo",
        Some("udp and host 203.0.113.77"),
        0,
        DEFAULT_BUFFER_BYTES,
    )
    .unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        assert!(cap.next_packet().unwrap().is_none());
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A live capture read through the one packet source that files use: packets in order, idle
/// turns while nothing arrives, the record limit (`-c`) ending it like a file, and the
/// kernel's counters as its drop count.
#[test]
fn live_capture_through_the_packet_source() {
    use rtcscope_capture::source::{Next, PacketSource};
    if !rtcscope_testkit::require_root("capture::live::live_capture_through_the_packet_source") {
        return;
    }
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = rx.local_addr().unwrap().port();
    let filter = format!("udp and dst port {port}");
    let cap = LiveCapture::open("lo", Some(&filter), 0, DEFAULT_BUFFER_BYTES).unwrap();
    let mut source = PacketSource::live(cap).with_limit(Some(3));
    assert_eq!(source.dropped(), None, "no counters asked for yet");
    // Nothing sent yet: the source idles instead of blocking or ending.
    assert!(matches!(source.next(), Next::Idle));
    assert!(!source.is_ended());
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..5u8 {
        tx.send_to(&[i], ("127.0.0.1", port)).unwrap();
    }
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match source.next() {
            Next::Packet(p) => {
                let d = decode(p.link_type, p.data).unwrap().unwrap();
                got.push((p.number, d.payload.to_vec()));
            }
            Next::Idle => {}
            Next::End => break,
        }
    }
    assert_eq!(got, [(1, vec![0]), (2, vec![1]), (3, vec![2])]);
    assert!(source.is_ended() && source.fatal().is_none());
    assert_eq!(source.packets_read(), 3);
    let stats = source.refresh_stats().expect("the kernel's counters");
    assert!(stats.received >= 3, "{stats:?}");
    assert_eq!(source.dropped(), Some(stats.dropped + stats.if_dropped));
    assert!(source.reader().is_none() && source.live_capture().is_some());
}
