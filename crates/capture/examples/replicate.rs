//! Writes a capture N times in a row, shifted in time, as one pcapng: a long, realistic input
//! for whole-command benchmarks (`scripts/bench-analyze.sh`).
//!
//! `cargo run --release -p rtcscope-capture --example replicate -- IN OUT N`

use rtcscope_capture::file::CaptureReader;
use rtcscope_capture::writer::PcapNgWriter;
use std::io::BufWriter;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output, n] = args.as_slice() else {
        return Err("usage: replicate IN OUT N".into());
    };
    let n: u32 = n.parse()?;
    let bytes = std::fs::read(input)?;
    let mut packets = Vec::new();
    let mut reader = CaptureReader::new(&bytes[..])?;
    while let Some(p) = reader.next_packet()? {
        packets.push((p.ts_nanos, p.link_type, p.data.to_vec(), p.orig_len));
    }
    let (first, last) = (packets[0].0, packets[packets.len() - 1].0);
    let span = last - first + 20_000_000;
    let out = BufWriter::with_capacity(1 << 20, std::fs::File::create(output)?);
    let mut w = PcapNgWriter::new(out)?;
    let iface = w.add_interface(packets[0].1, 262_144, "replicated")?;
    for round in 0..n {
        let shift = i128::from(round) * span;
        for (ts, _, data, len) in &packets {
            w.write_packet(iface, ts + shift, data, *len)?;
        }
    }
    w.finish()?;
    eprintln!(
        "wrote {} packets to {output}",
        packets.len() as u64 * u64::from(n)
    );
    Ok(())
}
