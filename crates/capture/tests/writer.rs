//! pcapng written by rtcscope reads back identically, with our reader and with tshark.

use rtcscope_capture::file::CaptureReader;
use rtcscope_capture::link::LinkType;
use rtcscope_capture::writer::{InterfaceStats, PcapNgWriter};
use rtcscope_testkit::{fixtures, require_tool};

/// (timestamp, bytes, length on the wire) of each packet.
type Packets = Vec<(i128, Vec<u8>, u32)>;

/// Copies the bundled capture (and two interfaces' worth of stats) through the writer.
fn rewrite() -> (Vec<u8>, Packets) {
    let input = std::fs::read(fixtures().join("captures/turn-tcp.pcap")).unwrap();
    let mut r = CaptureReader::new(&input[..]).unwrap();
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    let eth = w
        .add_interface(LinkType::ETHERNET, 262_144, "rec-c")
        .unwrap();
    let other = w.add_interface(LinkType::RAW, 0, "").unwrap();
    let mut packets = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        w.write_packet(eth, p.ts_nanos, p.data, p.orig_len).unwrap();
        packets.push((p.ts_nanos, p.data.to_vec(), p.orig_len));
    }
    let last = packets.last().unwrap().0;
    let stats = InterfaceStats {
        received: packets.len() as u64 + 7,
        if_dropped: 3,
        os_dropped: 4,
    };
    w.write_stats(eth, last, stats).unwrap();
    w.write_stats(other, last, InterfaceStats::default())
        .unwrap();
    (w.finish().unwrap(), packets)
}

#[test]
fn round_trip_through_our_reader() {
    let (bytes, packets) = rewrite();
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    let mut n = 0;
    while let Some(p) = r.next_packet().unwrap() {
        let (ts, data, orig) = &packets[n];
        assert_eq!((p.ts_nanos, p.data, p.orig_len), (*ts, &data[..], *orig));
        assert_eq!(p.link_type, LinkType::ETHERNET);
        n += 1;
    }
    assert_eq!(n, packets.len());
    assert_eq!(r.interfaces().len(), 2);
    assert_eq!(r.interfaces()[0].dropped, Some(7));
    assert_eq!(r.interfaces()[0].ts_resolution, 1_000_000_000);
    assert_eq!(r.interfaces()[1].dropped, Some(0));
}

#[test]
fn tshark_reads_what_we_write() {
    let Some(_) = require_tool("capture::writer::tshark_reads_what_we_write", "tshark") else {
        return;
    };
    let (bytes, packets) = rewrite();
    let dir = std::env::temp_dir().join(format!("rtcscope-writer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("out.pcapng");
    std::fs::write(&path, &bytes).unwrap();
    let out = std::process::Command::new("capinfos")
        .args(["-M", "-c", "-t", "-i"])
        .arg(&path)
        .output()
        .expect("capinfos (from the tshark package) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("pcapng"), "{text}");
    assert!(
        text.contains(&format!("Number of packets:   {}", packets.len())),
        "{text}"
    );
    let frames = rtcscope_testkit::tshark::frames(
        std::path::Path::new("tshark"),
        &path,
        &["-o", "tcp.desegment_tcp_streams:FALSE"],
    );
    assert_eq!(frames.len(), packets.len());
    std::fs::remove_dir_all(&dir).ok();
}
