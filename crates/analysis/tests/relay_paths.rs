//! Relay paths on real captures taken where both legs of every relayed datagram pass (the
//! TURN lab's loopback captures and the relayed Chromium call): each datagram is counted once.

use rtcscope_analysis::report::Report;
use rtcscope_analysis::Engine;
use rtcscope_capture::{CaptureReader, PacketSource};

fn report_of(file: &str) -> Report {
    let path = rtcscope_testkit::fixtures().join(file);
    let bytes = std::fs::read(&path).unwrap();
    let reader = CaptureReader::new(&bytes[..]).unwrap();
    let mut engine = Engine::default();
    engine.feed_all(&mut PacketSource::from_reader(reader));
    Report::new(&engine)
}

/// The inner flows hold each relayed datagram once: their packets are the datagrams the
/// allocations carried (ChannelData, Send and Data indications, counted per allocation, so
/// once per leg) less the second sightings matched on the other leg. In the lab captures
/// nothing is lost between the legs, so that is exactly half; in the Chromium call one check
/// never left the relay (fixtures/webrtc/README.md).
#[test]
fn every_relayed_datagram_is_counted_once() {
    for (file, paths, lost) in [
        ("captures/turn-udp.pcapng", 2, 0),
        ("captures/turn-tcp.pcap", 2, 0),
        ("webrtc/relay/capture.pcapng", 1, 1),
    ] {
        let r = report_of(file);
        assert_eq!(r.relay_paths.len(), paths, "{file}: relay paths");
        let carried: u64 = r
            .turn_allocations
            .iter()
            .map(|a| {
                a.channels.iter().map(|c| c.messages).sum::<u64>()
                    + a.send_indications
                    + a.data_indications
            })
            .sum();
        let inner: Vec<_> = r.flows.iter().filter(|f| f.relay.is_some()).collect();
        assert_eq!(inner.len(), paths, "{file}: one inner flow per path");
        let inner_packets: u64 = inner.iter().map(|f| f.packets[0] + f.packets[1]).sum();
        let (mut counted, mut matched, mut lost_seen) = (0, 0, 0);
        for p in &r.relay_paths {
            assert_eq!(p.legs_seen, "both", "{file}");
            for d in &p.directions {
                counted += d.counted;
                matched += d.matched;
                lost_seen += d.lost_between_legs.unwrap();
                assert_eq!(
                    d.counted,
                    d.matched + d.lost_between_legs.unwrap(),
                    "{file}"
                );
                let delay = d.delay_us.unwrap();
                assert!(delay.min > 0 && delay.max < 50_000, "{file}: {delay:?}");
            }
            // Each leg's own count of the path's datagrams, per direction.
            let legs: u64 = p.legs.iter().map(|l| l.packets[0] + l.packets[1]).sum();
            let dirs: u64 = p.directions.iter().map(|d| d.counted + d.matched).sum();
            assert_eq!(legs, dirs, "{file}: every sighting on a leg");
        }
        assert_eq!(inner_packets, counted, "{file}");
        assert_eq!(inner_packets, carried - matched, "{file}");
        assert_eq!(lost_seen, lost, "{file}: lost between the legs");
    }
}
