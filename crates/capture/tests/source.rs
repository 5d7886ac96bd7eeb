//! The one damaged-record policy: skippable records skipped and counted (their messages kept up
//! to a cap), a fatal error ending the stream with every packet before it returned.

use rtcscope_capture::link::LinkType;
use rtcscope_capture::source::{Next, PacketSource};
use rtcscope_capture::writer::PcapNgWriter;
use rtcscope_capture::CaptureError;

/// A minimal IPv4 packet.
const PKT: [u8; 20] = [
    0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
];

/// A pcapng file with `good` packets, and a record on the undeclared interface 7 before each
/// good packet whose index (0-based) `bad_before` accepts.
fn capture(good: u64, bad_before: impl Fn(u64) -> bool) -> Vec<u8> {
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    let i = w.add_interface(LinkType::RAW, 0, "x").unwrap();
    for n in 0..good {
        if bad_before(n) {
            w.write_packet(7, i128::from(n), &PKT, 20).unwrap();
        }
        w.write_packet(i, i128::from(n), &PKT, 20).unwrap();
    }
    w.finish().unwrap()
}

/// Reads everything: the numbers of the packets returned.
fn numbers(source: &mut PacketSource<'_>) -> Vec<u64> {
    let mut out = Vec::new();
    while let Some(p) = source.next_packet() {
        out.push(p.number);
    }
    out
}

#[test]
fn damaged_records_are_skipped_and_counted() {
    let bytes = capture(5, |n| n == 1 || n == 3);
    let mut source = PacketSource::new(&bytes[..]).unwrap();
    // Records 2 and 5 are the damaged ones (record numbers count them, as Wireshark would).
    assert_eq!(numbers(&mut source), [1, 3, 4, 6, 7]);
    assert!(source.is_ended());
    assert!(source.fatal().is_none());
    assert_eq!(source.skipped(), 2);
    assert_eq!(source.unlisted(), 0);
    assert_eq!(
        source.skipped_messages(),
        [
            "packet 2 names interface 7, which the file never declared",
            "packet 5 names interface 7, which the file never declared",
        ]
    );
    assert_eq!(source.packets_read(), 7);
    assert_eq!(source.bytes_read(), bytes.len() as u64);
    // The end is sticky.
    assert!(source.next_packet().is_none());
}

#[test]
fn each_skipped_record_is_shown_to_an_observer() {
    let bytes = capture(3, |_| true);
    let mut source = PacketSource::new(&bytes[..]).unwrap();
    let mut seen = Vec::new();
    let mut good = 0;
    while let Next::Packet(_) = source.next_observing(|e| {
        assert!(!e.is_fatal());
        seen.push(e.to_string());
    }) {
        good += 1;
    }
    assert_eq!(good, 3);
    assert_eq!(seen, source.skipped_messages());
}

#[test]
fn messages_are_capped_but_every_skip_is_counted() {
    let bytes = capture(50, |n| n % 2 == 0);
    let mut source = PacketSource::new(&bytes[..]).unwrap();
    assert_eq!(numbers(&mut source).len(), 50);
    assert_eq!(source.skipped(), 25);
    assert_eq!(source.skipped_messages().len(), PacketSource::LISTED);
    assert_eq!(source.unlisted(), 25 - PacketSource::LISTED as u64);
    assert!(source.skipped_messages()[0].starts_with("packet 1 names interface 7"));
    assert!(source.fatal().is_none());
}

#[test]
fn a_fatal_error_ends_the_stream_and_keeps_what_came_before() {
    let whole = capture(6, |n| n == 2);
    // Cut the file inside its last record.
    let bytes = &whole[..whole.len() - 10];
    let mut source = PacketSource::new(bytes).unwrap();
    assert_eq!(numbers(&mut source), [1, 2, 4, 5, 6]);
    assert!(source.is_ended());
    assert!(
        matches!(
            source.fatal(),
            Some(CaptureError::TruncatedRecord {
                after_packet: 6,
                ..
            })
        ),
        "{:?}",
        source.fatal()
    );
    assert!(source.fatal().unwrap().is_fatal());
    assert_eq!(source.skipped(), 1);
    assert!(source.next_packet().is_none());
}

#[test]
fn drop_counts_come_from_the_file() {
    use rtcscope_capture::writer::InterfaceStats;
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    let i = w.add_interface(LinkType::RAW, 0, "x").unwrap();
    w.write_packet(i, 1, &PKT, 20).unwrap();
    w.write_stats(
        i,
        2,
        InterfaceStats {
            received: 10,
            if_dropped: 2,
            os_dropped: 3,
        },
    )
    .unwrap();
    let bytes = w.finish().unwrap();
    let mut source = PacketSource::new(&bytes[..]).unwrap();
    assert_eq!(numbers(&mut source), [1]);
    assert_eq!(source.dropped(), Some(5));

    let plain = capture(1, |_| false);
    let mut source = PacketSource::new(&plain[..]).unwrap();
    numbers(&mut source);
    assert_eq!(source.dropped(), None);
}

#[test]
fn not_a_capture_fails_to_open() {
    assert!(matches!(
        PacketSource::new(&b"definitely not a capture file"[..]),
        Err(CaptureError::NotACapture)
    ));
}

#[test]
fn a_limit_counts_skipped_records_too() {
    // Records: 1 good, 2 damaged, 3 good, 4 good.
    let bytes = capture(3, |n| n == 1);
    let mut source = PacketSource::new(&bytes[..]).unwrap().with_limit(Some(2));
    assert_eq!(numbers(&mut source), [1]);
    assert_eq!((source.skipped(), source.packets_read()), (1, 2));
    assert!(source.is_ended() && source.fatal().is_none());

    let mut source = PacketSource::new(&bytes[..]).unwrap().with_limit(Some(3));
    assert_eq!(numbers(&mut source), [1, 3]);
    let mut source = PacketSource::new(&bytes[..]).unwrap().with_limit(None);
    assert_eq!(numbers(&mut source), [1, 3, 4]);
}
