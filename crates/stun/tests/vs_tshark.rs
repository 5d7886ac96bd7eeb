//! Differential test against tshark (Wireshark 4.0) on the corpus captures: per STUN message,
//! message type, transaction ID, attribute count and types in order, XOR-MAPPED /
//! XOR-PEER / XOR-RELAYED addresses and error codes must agree. Disagreements are listed in
//! `tests/expected-failures.tsv` (suite `stun-vs-tshark`), each with who is right.

mod common;

use rtcscope_stun::{
    classify, Attribute, AttributeType, Flavor, Frame, Kind, Message, StreamFrames,
};
use rtcscope_testkit::{tshark, Expectations};
use serde_json::Value;

/// A value that tshark writes once as a string or several times as an array.
fn many(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    }
}

fn hex_u16(s: &str) -> Option<u16> {
    u16::from_str_radix(s.trim_start_matches("0x"), 16).ok()
}

/// The STUN messages tshark dissected in a frame (ChannelData entries left out), in order.
fn tshark_messages(layers: &Value) -> Vec<&Value> {
    many(&layers["stun"])
        .into_iter()
        .filter(|m| !m["stun.type"].is_null())
        .collect()
}

/// Our STUN messages in a transport payload, in order. STUN relayed inside ChannelData is left
/// out: tshark 4.0 shows ChannelData payloads as `data` and dissects nothing in them (the corpus
/// test checks those messages).
fn our_messages(payload: &[u8], tcp: bool) -> Option<Vec<Message<'_>>> {
    let mut out = Vec::new();
    if tcp {
        let mut frames = StreamFrames::new(payload);
        for f in frames.by_ref() {
            match f.ok()? {
                Frame::Stun(m) => out.push(m),
                Frame::ChannelData(_) => {}
            }
        }
        // Only segments made of whole messages are comparable one to one.
        if frames.consumed() != payload.len() {
            return None;
        }
    } else {
        match classify(payload)? {
            Kind::Stun | Kind::ClassicStun => out.push(Message::parse(payload).ok()?),
            Kind::ChannelData => {}
        }
    }
    Some(out)
}

fn is_retransmission(layers: &Value) -> bool {
    let mut found = Vec::new();
    for key in [
        "tcp.analysis.retransmission",
        "tcp.analysis.fast_retransmission",
        "tcp.analysis.spurious_retransmission",
    ] {
        tshark::all_values(&layers["tcp"], key, &mut found);
    }
    !found.is_empty()
}

#[derive(Default, Debug)]
struct Counts {
    frames: usize,
    icmp_quotes: usize,
    tcp_retransmissions: usize,
    messages: usize,
    attributes: usize,
    addresses: usize,
    error_codes: usize,
    disagreements: usize,
}

fn compare_message(
    report: &mut dyn FnMut(&str, String),
    counts: &mut Counts,
    ours: &Message<'_>,
    theirs: &Value,
) {
    let ttype = tshark::str_field(theirs, "stun.type").and_then(hex_u16);
    if ttype != Some(ours.raw_type()) {
        return report(
            "type",
            format!("ours 0x{:04x} theirs {ttype:?}", ours.raw_type()),
        );
    }
    let tid = tshark::str_field(theirs, "stun.id")
        .unwrap_or_default()
        .replace(':', "");
    if tid != hex::encode(ours.transaction_id().as_bytes()) {
        return report("transaction id", format!("theirs {tid}"));
    }
    let attrs = &theirs["stun.attributes"];
    let ttypes: Vec<Option<u16>> = many(&attrs["stun.attribute"])
        .into_iter()
        .map(|v| v.as_str().and_then(hex_u16))
        .collect();
    let raws: Vec<_> = ours.attributes().map_while(Result::ok).collect();
    let otypes: Vec<Option<u16>> = raws.iter().map(|a| Some(a.attribute_type().0)).collect();
    if ttypes.len() != otypes.len() {
        return report(
            "attribute count",
            format!(
                "ours {} {otypes:x?} theirs {} {ttypes:x?}",
                otypes.len(),
                ttypes.len()
            ),
        );
    }
    if ttypes != otypes {
        return report(
            "attribute types",
            format!("ours {otypes:x?} theirs {ttypes:x?}"),
        );
    }
    counts.attributes += raws.len();
    let trees = many(&attrs["stun.attribute_tree"]);
    for (raw, tree) in raws.iter().zip(trees) {
        let t = raw.attribute_type();
        let Ok(decoded) = raw.decode() else {
            return report(&format!("{t:?}"), "we fail to decode".into());
        };
        match (t, &decoded) {
            (
                AttributeType::XOR_MAPPED_ADDRESS
                | AttributeType::XOR_PEER_ADDRESS
                | AttributeType::XOR_RELAYED_ADDRESS,
                a,
            ) => {
                let addr = a.address().unwrap();
                let ip = tshark::str_field(tree, "stun.att.ipv4")
                    .or_else(|| tshark::str_field(tree, "stun.att.ipv6"))
                    .and_then(|s| s.parse::<std::net::IpAddr>().ok());
                let port =
                    tshark::str_field(tree, "stun.att.port").and_then(|s| s.parse::<u16>().ok());
                counts.addresses += 1;
                if ip != Some(addr.ip()) || port != Some(addr.port()) {
                    report(
                        &format!("{t:?}"),
                        format!("ours {addr} theirs {ip:?}:{port:?}"),
                    );
                }
            }
            (AttributeType::ERROR_CODE, Attribute::ErrorCode { code, .. }) => {
                let class = tshark::str_field(tree, "stun.att.error.class")
                    .and_then(|s| s.parse::<u16>().ok());
                let number =
                    tshark::str_field(tree, "stun.att.error").and_then(|s| s.parse::<u16>().ok());
                counts.error_codes += 1;
                if class.zip(number).map(|(c, n)| c * 100 + n) != Some(code.0) {
                    report(
                        "ERROR-CODE",
                        format!("ours {} theirs {class:?}/{number:?}", code.0),
                    );
                }
            }
            _ => {}
        }
    }
}

#[test]
fn agrees_with_tshark() {
    let Some(corpus) = rtcscope_testkit::corpus("stun vs tshark") else {
        return;
    };
    let Some(tshark_bin) = rtcscope_testkit::require_tool("stun vs tshark", "tshark") else {
        return;
    };
    let exp = Expectations::load("stun-vs-tshark");
    let mut counts = Counts::default();
    for pcap in common::pcaps(&corpus) {
        let name = pcap.strip_prefix(&corpus).unwrap().display().to_string();
        for f in common::frames(&tshark_bin, &pcap) {
            // ICMP errors quote the UDP datagram that caused them; tshark dissects the STUN
            // in the quote, but it is not a transport payload of this capture.
            if !f.layers["icmp"].is_null() || !f.layers["icmpv6"].is_null() {
                counts.icmp_quotes += 1;
                continue;
            }
            let tcp = f.layers["udp"].is_null();
            // tshark does not dissect the payload of a segment it marks as a retransmission.
            if tcp && is_retransmission(&f.layers) {
                counts.tcp_retransmissions += 1;
                continue;
            }
            let theirs = tshark_messages(&f.layers);
            let Some(ours) = our_messages(&f.payload, tcp) else {
                if !theirs.is_empty() && !tcp {
                    counts.disagreements += 1;
                    exp.failure(
                        &format!("{name}#{}", f.number),
                        "message count",
                        "value",
                        "we see no STUN",
                    );
                }
                continue;
            };
            // Classic STUN is the `classicstun` dissector in tshark; not compared here.
            let ours: Vec<_> = ours
                .into_iter()
                .filter(|m| m.flavor() == Flavor::Rfc5389)
                .collect();
            if ours.is_empty() && theirs.is_empty() {
                continue;
            }
            counts.frames += 1;
            let sample = format!("{name}#{}", f.number);
            if ours.len() != theirs.len() {
                counts.disagreements += 1;
                let detail = format!("ours {} theirs {}", ours.len(), theirs.len());
                let r = exp.failure(&sample, "message count", "value", &detail);
                eprintln!("{sample}: message count: {detail} -> {r:?}");
                continue;
            }
            for (k, (o, t)) in ours.iter().zip(&theirs).enumerate() {
                counts.messages += 1;
                let sample = if ours.len() > 1 {
                    format!("{sample}.{}", k + 1)
                } else {
                    sample.clone()
                };
                let report = |field: &str, detail: String| {
                    let r = exp.failure(&sample, field, "value", &detail);
                    eprintln!(
                        "{sample}: {field}: {detail} -> {}",
                        r.as_deref().unwrap_or("UNEXPECTED")
                    );
                };
                let before = counts.disagreements;
                let mut n = 0;
                compare_message(
                    &mut |field, detail| {
                        n += 1;
                        report(field, detail)
                    },
                    &mut counts,
                    o,
                    t,
                );
                counts.disagreements = before + n;
            }
        }
    }
    eprintln!("{counts:?}");
    assert!(counts.messages > 1000, "{counts:?}");
    assert!(counts.addresses > 300, "{counts:?}");
    assert!(counts.error_codes > 10, "{counts:?}");
    exp.finish();
}
