//! Running tshark for differential tests.
//!
//! Always with `--no-duplicate-keys`: plain `-T json` repeats keys such as `stun.attribute`, and a
//! JSON parser keeps only the last one, which would hide attributes from the comparison.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// One captured frame as tshark sees it: its number, the transport payload, and tshark's layers.
pub struct Frame {
    /// 1-based frame number.
    pub number: u64,
    /// The UDP payload, or the TCP payload, as carried in this frame (hex-decoded).
    pub payload: Vec<u8>,
    /// `_source.layers` of tshark's JSON for this frame (keys de-duplicated into arrays).
    pub layers: Value,
}

/// Runs `tshark -r pcap ARGS…` and returns its standard output; panics (naming the file) when
/// tshark cannot run or fails.
fn run(tshark: &Path, pcap: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(tshark)
        .arg("-r")
        .arg(pcap)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running tshark: {e}"));
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        pcap.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `tshark -r pcap -T json --no-duplicate-keys -x` plus `args` and returns one [`Frame`] a
/// packet. `-x` makes tshark include raw bytes (`udp.payload` / `tcp.payload`).
pub fn frames(tshark: &Path, pcap: &Path, args: &[&str]) -> Vec<Frame> {
    let mut all = vec!["-T", "json", "--no-duplicate-keys"];
    all.extend_from_slice(args);
    let v: Value = serde_json::from_slice(&run(tshark, pcap, &all)).expect("tshark printed JSON");
    let Value::Array(packets) = v else {
        panic!("tshark JSON is not an array")
    };
    packets
        .into_iter()
        .map(|mut p| {
            let layers = p["_source"]["layers"].take();
            let number = str_field(&layers["frame"], "frame.number")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let payload = ["udp", "tcp"]
                .iter()
                .find_map(|l| str_field(&layers[*l], &format!("{l}.payload")))
                .map(|h| hex::decode(h.replace(':', "")).unwrap_or_default())
                .unwrap_or_default();
            Frame {
                number,
                payload,
                layers,
            }
        })
        .collect()
}

/// A string field of a tshark layer object (the first one, when the key was de-duplicated into
/// an array).
pub fn str_field<'a>(layer: &'a Value, key: &str) -> Option<&'a str> {
    match &layer[key] {
        Value::String(s) => Some(s),
        Value::Array(a) => a.first().and_then(Value::as_str),
        _ => None,
    }
}

/// Every value of `key` anywhere below `v` (tshark nests attribute trees), in document order.
pub fn all_values<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if k == key {
                    match child {
                        Value::Array(a) => out.extend(a.iter()),
                        other => out.push(other),
                    }
                }
                all_values(child, key, out);
            }
        }
        Value::Array(a) => {
            for child in a {
                all_values(child, key, out);
            }
        }
        _ => {}
    }
}

/// Runs `tshark -r pcap ARGS -T fields -E occurrence=a -e F1 -e F2 …` and returns, per field,
/// every occurrence in every frame (a frame can carry several messages, e.g. STUN messages
/// back to back in one TCP segment).
pub fn field_values(
    tshark: &Path,
    pcap: &Path,
    args: &[&str],
    fields: &[&str],
) -> Vec<Vec<String>> {
    let mut all = args.to_vec();
    all.extend(["-T", "fields", "-E", "occurrence=a"]);
    for f in fields {
        all.extend(["-e", f]);
    }
    let out = run(tshark, pcap, &all);
    let mut values = vec![Vec::new(); fields.len()];
    for line in String::from_utf8_lossy(&out).lines() {
        for (col, text) in line.split('\t').enumerate().take(fields.len()) {
            values[col].extend(text.split(',').filter(|s| !s.is_empty()).map(str::to_owned));
        }
    }
    values
}

/// Values of `field` per frame number in wire order, from `tshark -T fields` (tshark's JSON
/// gives distinct sibling keys such as "Extension: use_srtp" / "DATA chunk(...)", which the JSON
/// map sorts alphabetically, so order-sensitive lists come from here).
pub fn frame_fields(
    tshark: &Path,
    pcap: &Path,
    args: &[&str],
    field: &str,
) -> BTreeMap<u64, Vec<String>> {
    let mut all = args.to_vec();
    all.extend([
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        field,
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    String::from_utf8_lossy(&run(tshark, pcap, &all))
        .lines()
        .filter_map(|l| {
            let (n, v) = l.split_once('\t')?;
            let vals = if v.is_empty() {
                Vec::new()
            } else {
                v.split(',').map(str::to_owned).collect()
            };
            Some((n.parse().ok()?, vals))
        })
        .collect()
}
