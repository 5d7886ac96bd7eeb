//! The capture reader against tshark, and on damaged files.

use rtcscope_capture::file::{CaptureError, CaptureReader, Format};
use rtcscope_capture::link::{decode, Transport};
use rtcscope_testkit::{corpus, files_under, fixtures, require_tool, tshark};
use std::path::{Path, PathBuf};

/// UDP/TCP payloads by packet number.
type Payloads = Vec<(u64, Vec<u8>)>;

/// Reads a whole capture: (packet count, payloads, final error).
fn read_all(bytes: &[u8]) -> (u64, Payloads, Option<CaptureError>) {
    let mut r = match CaptureReader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (0, Vec::new(), Some(e)),
    };
    let mut payloads = Vec::new();
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                if let Ok(Ok(d)) = decode(p.link_type, p.data) {
                    if !d.payload.is_empty() {
                        payloads.push((p.number, d.payload.to_vec()));
                    }
                }
            }
            Ok(None) => return (r.packets_read(), payloads, None),
            Err(e) => return (r.packets_read(), payloads, Some(e)),
        }
    }
}

fn captures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = files_under(&fixtures())
        .into_iter()
        .filter(|p| is_capture(p))
        .collect();
    if let Some(c) = corpus("capture::file::captures") {
        out.extend(files_under(&c).into_iter().filter(|p| is_capture(p)));
    }
    out
}

/// True when tshark's layers show an IPv4 fragment (more-fragments set or a non-zero offset)
/// or an IPv6 Fragment header.
fn is_ip_fragment(layers: &serde_json::Value) -> bool {
    let mut v = Vec::new();
    rtcscope_testkit::tshark::all_values(layers, "ip.flags.mf", &mut v);
    rtcscope_testkit::tshark::all_values(layers, "ip.frag_offset", &mut v);
    let v4 = v
        .iter()
        .any(|x| x.as_str().is_some_and(|s| s != "0" && s != "False"));
    let mut v6 = Vec::new();
    rtcscope_testkit::tshark::all_values(layers, "ipv6.fraghdr.offset", &mut v6);
    v4 || !v6.is_empty()
}

fn is_capture(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("pcap" | "pcapng")
    )
}

#[test]
fn every_payload_agrees_with_tshark() {
    let Some(tshark) = require_tool("capture::file::every_payload_agrees_with_tshark", "tshark")
    else {
        return;
    };
    let files = captures();
    assert!(!files.is_empty());
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let (count, ours, err) = read_all(&bytes);
        assert!(err.is_none(), "{}: {}", path.display(), err.unwrap());
        // Reassembly off: we compare what each frame carries, not reassembled streams.
        let frames = tshark::frames(
            &tshark,
            &path,
            &[
                "-o",
                "tcp.desegment_tcp_streams:FALSE",
                "-o",
                "ip.defragment:FALSE",
            ],
        );
        assert_eq!(
            count,
            frames.len() as u64,
            "{}: packet count",
            path.display()
        );
        // IP fragments: tshark (defragmentation off) shows the first one's partial UDP payload;
        // the reader hands fragments to reassembly instead, so they are compared there
        // (tests/reassembly.rs), not here.
        let theirs: Payloads = frames
            .into_iter()
            .filter(|f| !f.payload.is_empty() && !is_ip_fragment(&f.layers))
            .map(|f| (f.number, f.payload))
            .collect();
        assert_eq!(
            ours.len(),
            theirs.len(),
            "{}: frames with a UDP/TCP payload",
            path.display()
        );
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a, b, "{}: packet {}", path.display(), a.0);
        }
    }
}

fn bundled() -> Vec<u8> {
    std::fs::read(fixtures().join("captures/turn-udp.pcapng")).unwrap()
}

#[test]
fn bundled_capture_reads_with_interfaces_and_times() {
    let bytes = bundled();
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    let mut last = 0;
    let mut n = 0;
    while let Some(p) = r.next_packet().unwrap() {
        assert!(p.ts_nanos >= last, "packet {} goes back in time", p.number);
        last = p.ts_nanos;
        n += 1;
    }
    assert_eq!(r.format(), Format::PcapNg);
    assert_eq!(r.interfaces().len(), 1);
    // dumpcap records nanosecond timestamps (if_tsresol = 9).
    assert_eq!(r.interfaces()[0].ts_resolution, 1_000_000_000);
    // dumpcap writes an Interface Statistics Block with the kernel's drop count at the end.
    assert_eq!(r.interfaces()[0].dropped, Some(0));
    assert!(n > 400);
    // A time in 2026, not a misread resolution.
    let secs = last / 1_000_000_000;
    assert!((1_700_000_000..2_100_000_000).contains(&secs), "{secs}");
}

#[test]
fn every_truncation_keeps_the_packets_before_it() {
    let bytes = bundled();
    let (full, full_payloads, _) = read_all(&bytes);
    let step = (bytes.len() / 300).max(1);
    for cut in (1..bytes.len()).step_by(step) {
        let (count, payloads, err) = read_all(&bytes[..cut]);
        assert!(count <= full);
        // Everything read before the cut is identical to the full read.
        assert_eq!(&payloads[..], &full_payloads[..payloads.len()], "cut {cut}");
        if cut > 28 {
            // Past the section header, a cut file reads the complete packets before the cut
            // and then says where it ended (or ends cleanly at a block boundary).
            if let Some(e) = err {
                assert!(
                    matches!(
                        e,
                        CaptureError::TruncatedRecord { .. } | CaptureError::Corrupt { .. }
                    ),
                    "cut {cut}: {e}"
                );
                assert!(e.to_string().contains("byte"), "{e}");
            }
        }
    }
}

#[test]
fn corrupt_block_length_is_located() {
    let mut bytes = bundled();
    // Walk the pcapng blocks to the 10th and give it an impossible length.
    let mut off = 0usize;
    for _ in 0..10 {
        let len = u32::from_le_bytes(bytes[off + 4..off + 8].try_into().unwrap()) as usize;
        off += len;
    }
    bytes[off + 4..off + 8].copy_from_slice(&7u32.to_le_bytes());
    let (count, _, err) = read_all(&bytes);
    let err = err.expect("an error");
    assert!(count < 10, "{count}");
    let text = err.to_string();
    assert!(text.contains(&format!("byte {off}")), "{text}");
}

#[test]
fn garbage_is_not_a_capture() {
    let (_, _, err) = read_all(b"GET / HTTP/1.1\r\nHost: example\r\n\r\n");
    assert!(matches!(err, Some(CaptureError::NotACapture)), "{err:?}");
}

/// A classic pcap with nanosecond timestamps (magic a1b23c4d), raw IPv4 link type, one UDP packet.
#[test]
fn nanosecond_pcap_and_raw_ip() {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&101u32.to_le_bytes()); // LINKTYPE_RAW
    let pkt = [
        0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x13, 0x88, 0x13, 0x89,
        0, 10, 0, 0, b'h', b'i',
    ];
    f.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    f.extend_from_slice(&123_456_789u32.to_le_bytes());
    f.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
    f.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
    f.extend_from_slice(&pkt);
    let mut r = CaptureReader::new(&f[..]).unwrap();
    let p = r.next_packet().unwrap().unwrap();
    assert_eq!(p.ts_nanos, 1_700_000_000_123_456_789);
    let d = decode(p.link_type, p.data).unwrap().unwrap();
    assert_eq!(d.payload, b"hi");
    assert_eq!(d.transport, Transport::Udp);
    assert!(r.next_packet().unwrap().is_none());
    assert_eq!(r.format(), Format::Pcap);
}

/// A packet naming an undeclared interface is reported with its number and skipped; the
/// packets after it are still read.
#[test]
fn unknown_interface_is_skipped_not_fatal() {
    use rtcscope_capture::link::LinkType;
    use rtcscope_capture::writer::PcapNgWriter;
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    let i = w.add_interface(LinkType::RAW, 0, "x").unwrap();
    let pkt = [
        0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    w.write_packet(i, 1, &pkt, 20).unwrap();
    w.write_packet(7, 2, &pkt, 20).unwrap();
    w.write_packet(i, 3, &pkt, 20).unwrap();
    let bytes = w.finish().unwrap();
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    assert_eq!(r.next_packet().unwrap().unwrap().number, 1);
    let e = r.next_packet().unwrap_err();
    assert!(!e.is_fatal());
    assert!(e.to_string().contains("packet 2 names interface 7"), "{e}");
    let p = r.next_packet().unwrap().unwrap();
    assert_eq!((p.number, p.ts_nanos), (3, 3));
    assert!(r.next_packet().unwrap().is_none());
}

/// A pcapng file in either byte order: Section Header, one RAW interface, one packet, then a
/// block of `block_type` declaring `total` bytes (its body is 64 bytes of 0xd5 whatever it
/// says, so the reader has something to misread).
fn pcapng_with_block(big_endian: bool, block_type: u32, total: u32) -> (Vec<u8>, usize) {
    let w = |f: &mut Vec<u8>, v: u32| {
        f.extend_from_slice(&if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    let mut f = Vec::new();
    // Section Header Block: type, length, byte-order magic, version 1.0, section length -1.
    w(&mut f, 0x0a0d_0d0a);
    w(&mut f, 28);
    w(&mut f, 0x1a2b_3c4d);
    w(&mut f, if big_endian { 0x0001_0000 } else { 1 });
    f.extend_from_slice(&[0xff; 8]);
    w(&mut f, 28);
    // Interface Description Block: LINKTYPE_RAW, snaplen 0.
    w(&mut f, 1);
    w(&mut f, 20);
    w(&mut f, if big_endian { 101 << 16 } else { 101 });
    w(&mut f, 0);
    w(&mut f, 20);
    // Enhanced Packet Block with a 20-byte IPv4 header.
    let pkt = [
        0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    w(&mut f, 6);
    w(&mut f, 32 + pkt.len() as u32);
    for v in [0, 0, 1, pkt.len() as u32, pkt.len() as u32] {
        w(&mut f, v);
    }
    f.extend_from_slice(&pkt);
    w(&mut f, 32 + pkt.len() as u32);
    let at = f.len();
    w(&mut f, block_type);
    w(&mut f, total);
    f.extend_from_slice(&[0xd5; 64]);
    (f, at)
}

/// pcap-parser 0.17 computes `block_len - 12` unchecked for some blocks (a Process
/// Information Block of length 4 overflowed it: `fuzz/regressions/dissect/
/// pcapng-pib-length-underflow`). Every block type, every short or unaligned length, both byte
/// orders: the packet before it is read, and the block is reported at its offset, never a
/// panic (this test runs with overflow checks).
#[test]
fn impossible_pcapng_block_lengths_are_corrupt_blocks() {
    let types = [
        0x0000_0002, // obsolete Packet Block
        0x0000_0003, // Simple Packet Block
        0x0000_0004, // Name Resolution Block
        0x0000_0005, // Interface Statistics Block
        0x0000_0006, // Enhanced Packet Block
        0x0000_000a, // Decryption Secrets Block
        0x0000_0bad, // custom
        0x4000_0bad, // custom, not to be copied
        0x8000_0001, // Darwin Process Information Block
        0x1234_5678, // unknown
    ];
    for big_endian in [false, true] {
        for &t in &types {
            // The block whole, and cut by the end of the file 0 to 3 bytes after its length
            // word (a fuzzed file whose last block held 9 bytes overflowed pcap-parser while
            // the check wanted 12 before it looked).
            for (total, cut) in
                (0..=44u32).flat_map(|t| [(t, None), (t, Some(0)), (t, Some(1)), (t, Some(3))])
            {
                let (mut bytes, at) = pcapng_with_block(big_endian, t, total);
                if let Some(cut) = cut {
                    bytes.truncate(at + 8 + cut);
                }
                let (count, _, err) = read_all(&bytes);
                assert!(count >= 1, "{t:#x} len {total}: the packet before was lost");
                if total < 12 || total % 4 != 0 {
                    let text = err.map(|e| e.to_string()).unwrap_or_default();
                    assert!(
                        text.contains(&format!("byte {at}"))
                            && text.contains(&format!("total length of {total} bytes")),
                        "{t:#x} len {total} cut {cut:?} (big-endian {big_endian}): {text}"
                    );
                }
            }
        }
    }
}

/// The committed fuzz finding itself, through the reader.
#[test]
fn process_information_block_of_length_4() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions/dissect/pcapng-pib-length-underflow");
    let bytes = std::fs::read(&path).unwrap();
    let (_, _, err) = read_all(&bytes);
    let text = err.expect("an error").to_string();
    assert!(
        text.contains("byte 108") && text.contains("type 0x80000001"),
        "{text}"
    );
}

/// A classic pcap whose record header happens to start with the pcapng section magic is not
/// mistaken for pcapng by the block-length check.
#[test]
fn pcap_record_with_section_magic_is_still_pcap() {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&101u32.to_le_bytes());
    let pkt = [
        0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    for _ in 0..2 {
        f.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes()); // ts_sec
        f.extend_from_slice(&3u32.to_le_bytes()); // ts_usec: not a valid block length
        f.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        f.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        f.extend_from_slice(&pkt);
    }
    let (count, _, err) = read_all(&f);
    assert_eq!((count, err.map(|e| e.to_string())), (2, None));
}

/// Every packet's `stream_offset` finds its bytes again in the file (how `rtcscope open`
/// indexes a capture instead of keeping its packets), in pcap and pcapng, little- and
/// big-endian, with every block kind the fixtures and the corpus hold between the packets.
#[test]
fn every_packet_is_found_again_at_its_stream_offset() {
    let mut checked = 0u64;
    for path in captures() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(mut r) = CaptureReader::new(&bytes[..]) else {
            continue;
        };
        while let Ok(Some(p)) = r.next_packet() {
            let at = p.stream_offset.expect("a file knows where its packets are") as usize;
            assert_eq!(
                bytes.get(at..at + p.data.len()),
                Some(p.data),
                "{}: packet {} at byte {at}",
                path.display(),
                p.number
            );
            checked += 1;
        }
    }
    assert!(checked > 10_000, "only {checked} packets checked");
}
