//! A capture with damage the reader can skip, for the tests of every front door that reads
//! files (`rtcscope analyze`, `rtcscope dissect`, the TUI's loaders). Needs the `capture`
//! feature (it reads and writes pcapng with rtcscope-capture).

use rtcscope_capture::writer::PcapNgWriter;
use rtcscope_capture::CaptureReader;

/// The bundled TURN capture (`fixtures/captures/turn-udp.pcapng`) rewritten as pcapng, with a
/// record on interface 7, which the file never declares, before each packet number in
/// `bad_before`. Returns the file and its number of good packets.
pub fn turn_capture_with_undeclared_interfaces(bad_before: &[u64]) -> (Vec<u8>, u64) {
    let path = crate::fixtures().join("captures/turn-udp.pcapng");
    let original = std::fs::read(path).expect("the bundled capture");
    let mut reader = CaptureReader::new(&original[..]).expect("a capture");
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    let mut interface = None;
    let mut good = 0;
    while let Some(p) = reader.next_packet().expect("the fixture is whole") {
        let i = match interface {
            Some(i) => i,
            None => *interface.insert(w.add_interface(p.link_type, 262_144, "lo").unwrap()),
        };
        if bad_before.contains(&p.number) {
            w.write_packet(7, p.ts_nanos, p.data, p.orig_len).unwrap();
        }
        w.write_packet(i, p.ts_nanos, p.data, p.orig_len).unwrap();
        good += 1;
    }
    (w.finish().unwrap(), good)
}
