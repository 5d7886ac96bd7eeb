//! The packet list shows TCP as `rtcscope dissect` does: a STUN message split over three
//! segments is listed whole on the last, the segments before it say they hold its start, a
//! retransmission says so, and the field tree of the last segment holds the whole message. In a
//! ring (live capture) and in a file's index alike.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use rtcscope_analysis::Config;
use rtcscope_capture::LinkType;
use rtcscope_dissect::Dissector;
use rtcscope_testkit::frames::{ipv4, pcap, LINKTYPE_RAW};
use rtcscope_tui::ring::PacketRing;
use rtcscope_tui::store::FileIndex;
use rtcscope_tui::{App, CaptureState, Mode, Progress};

/// A TCP segment (no options, checksum 0) from 10.0.0.2:40000 to 10.0.0.1:3478.
fn segment(seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&40000u16.to_be_bytes());
    t.extend_from_slice(&3478u16.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(&[5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    ipv4([10, 0, 0, 2], [10, 0, 0, 1], 6, 1, &t)
}

/// SYN, a STUN Binding request in three segments, then the second segment again.
fn capture() -> Vec<Vec<u8>> {
    let text = "a STUN message split over three TCP segments";
    let mut attr = 0x8022u16.to_be_bytes().to_vec();
    attr.extend_from_slice(&(text.len() as u16).to_be_bytes());
    attr.extend_from_slice(text.as_bytes());
    while attr.len() % 4 != 0 {
        attr.push(0);
    }
    let mut stun = 0x0001u16.to_be_bytes().to_vec();
    stun.extend_from_slice(&(attr.len() as u16).to_be_bytes());
    stun.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
    stun.extend_from_slice(b"tui-tcp-rows");
    stun.extend_from_slice(&attr);
    let isn = 7_000u32;
    vec![
        segment(isn, 0x02, &[]),
        segment(isn + 1, 0x18, &stun[..20]),
        segment(isn + 21, 0x18, &stun[20..50]),
        segment(isn + 51, 0x18, &stun[50..]),
        segment(isn + 21, 0x18, &stun[20..50]),
    ]
}

/// The rows as `rtcscope dissect` (a dissector with state) lists them.
fn dissect_rows(frames: &[Vec<u8>]) -> Vec<(String, String)> {
    let mut d = Dissector::default();
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let f = d.frame(i as u64 + 1, 0, LinkType::RAW, f, f.len() as u32);
            let p = match f.protocol() {
                "" => f.transport.unwrap_or("?"),
                p => p,
            };
            (p.to_owned(), f.info())
        })
        .collect()
}

fn rows(state: &mut CaptureState, n: u64) -> Vec<(String, String)> {
    (0..n)
        .map(|pos| {
            let r = state.store.row(pos).expect("held");
            (r.summary.protocol.to_owned(), r.summary.info)
        })
        .collect()
}

#[test]
fn tcp_rows_are_dissect_s_in_a_ring_and_in_a_file() {
    let frames = capture();
    let expected = dissect_rows(&frames);
    assert_eq!(
        expected[1].1,
        "[TCP segment of a reassembled message] 20 bytes"
    );
    assert_eq!(
        expected[2].1,
        "[TCP segment of a reassembled message] 30 bytes"
    );
    assert!(
        expected[3].0 == "STUN" && expected[3].1.ends_with("[reassembled from frames 2, 3, 4]"),
        "{expected:?}"
    );
    assert_eq!(expected[4].1, "[TCP retransmission] 30 bytes seen before");
    let file = pcap(LINKTYPE_RAW, &frames);

    let mut ring = CaptureState::new(Config::default(), PacketRing::default(), Progress::Loaded);
    ring.load(std::io::Cursor::new(file.clone())).unwrap();
    assert_eq!(rows(&mut ring, 5), expected, "ring");

    let path = std::env::temp_dir().join(format!("rtcscope-tcp-rows-{}.pcap", std::process::id()));
    std::fs::write(&path, &file).unwrap();
    let index = FileIndex::open(&path).unwrap();
    let mut state = CaptureState::new(Config::default(), index, Progress::Loaded);
    state.load(std::fs::File::open(&path).unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(rows(&mut state, 5), expected, "file");

    // The field tree of the fourth packet holds the whole message, with its frames.
    let mut app = App::new(
        Mode::File {
            path: "split.pcap".into(),
        },
        120,
        40,
    );
    app.scan_budget = std::time::Duration::MAX;
    for c in [KeyCode::Char('5'), KeyCode::Char('g')] {
        app.handle(&Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
        app.update_view(&mut state);
    }
    for _ in 0..3 {
        app.handle(&Event::Key(KeyEvent::new(
            KeyCode::Down,
            KeyModifiers::NONE,
        )));
        app.update_view(&mut state);
    }
    let detail = app.packets.detail.as_ref().expect("a selected packet");
    assert_eq!(detail.number, 4);
    let lines: Vec<String> = (0..detail.tree.len())
        .filter_map(|v| detail.tree.line(v).map(|l| l.text.clone()))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Reassembled TCP message") && l.contains("from frames 2, 3, 4")),
        "{lines:#?}"
    );
}
