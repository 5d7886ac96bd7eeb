//! Corpus conformance (suite `sctp-corpus`): aiortc packets, the usrsctp fuzzer corpus
//! (chunks without a common header), pion's DCEP vectors and zeek's SCTP capture. Every
//! failure must be listed in tests/expected-failures.tsv with its reason.

use rtcscope_testkit::capture_frames as capture;

use rtcscope_sctp::chunk::{chunks, ChunkBody, Chunks};
use rtcscope_sctp::dcep::DcepMessage;
use rtcscope_sctp::param::{CauseBody, ParamBody, Params};
use rtcscope_sctp::{ChannelType, ChunkType, Packet, Ppid, ZeroChecksum};
use rtcscope_testkit::{corpus, files_under, Expectations};
use rtcscope_wire::{Error, ErrorKind};
use std::collections::BTreeMap;

fn kind(e: &Error) -> &'static str {
    match e.kind {
        ErrorKind::Truncated { .. } => "truncated",
        ErrorKind::BadValue { .. } => "bad-value",
        ErrorKind::BadLength { .. } => "bad-length",
        ErrorKind::TrailingBytes { .. } => "trailing-bytes",
        ErrorKind::Mismatch { .. } => "mismatch",
        _ => "other",
    }
}

#[derive(Default)]
struct Tally {
    chunk_types: BTreeMap<String, usize>,
    dcep: Vec<String>,
}

fn walk_params(p: Params<'_>) -> Result<(), Error> {
    for prm in p {
        let prm = prm?;
        if let ParamBody::AddressRequest { address, .. } = prm.body()? {
            walk_params(address)?;
        }
    }
    Ok(())
}

/// Parses every chunk, its parameters, causes and DCEP payloads; returns the first error.
fn walk(cs: Chunks<'_>, t: &mut Tally) -> Result<(), Error> {
    for c in cs {
        let c = c?;
        *t.chunk_types.entry(c.ctype.to_string()).or_default() += 1;
        match c.body()? {
            ChunkBody::Data(d) if d.ppid == Ppid::WEBRTC_DCEP => {
                let m = DcepMessage::parse(d.user_data.bytes, d.user_data.offset)?;
                t.dcep.push(format!("{m:?}"));
            }
            ChunkBody::Init(i) | ChunkBody::InitAck(i) => walk_params(i.params)?,
            ChunkBody::Heartbeat(p) | ChunkBody::HeartbeatAck(p) | ChunkBody::ReConfig(p) => {
                walk_params(p)?
            }
            ChunkBody::Asconf { params, .. } | ChunkBody::AsconfAck { params, .. } => {
                walk_params(params)?
            }
            ChunkBody::Abort { causes, .. } | ChunkBody::Error(causes) => {
                for cause in causes {
                    if let CauseBody::UnrecognizedParameters(p) = cause?.body()? {
                        walk_params(p)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[test]
fn sctp_corpus() {
    let Some(root) = corpus("sctp_corpus") else {
        return;
    };
    let exp = Expectations::load("sctp-corpus");
    let fail = |rel: &str, e: &Error| {
        exp.failure(rel, e.field, kind(e), &e.to_string());
    };

    // aiortc: whole packets as carried inside DTLS. Each must pass the checksum, the packet
    // rules and the chunk walk; the negative samples must fail (listed in the TSV).
    let mut tally = Tally::default();
    let mut n = 0;
    for path in files_under(&root.join("aiortc")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("sctp_") {
            continue;
        }
        n += 1;
        let rel = format!("aiortc/{name}");
        let bytes = std::fs::read(&path).unwrap();
        let p = match Packet::new_checked(&bytes) {
            Ok(p) => p,
            Err(e) => {
                fail(&rel, &e);
                continue;
            }
        };
        assert_eq!((p.src_port(), p.dst_port()), (5000, 5000), "{rel}");
        if let Err(e) = p.verify_checksum(ZeroChecksum::NotNegotiated) {
            fail(&rel, &e);
        }
        if let Err(e) = p.check_rules().and_then(|()| walk(p.chunks(), &mut tally)) {
            fail(&rel, &e);
        }
    }
    assert_eq!(n, 17);
    for t in [
        "DATA",
        "INIT",
        "SACK",
        "HEARTBEAT",
        "ABORT",
        "ERROR",
        "COOKIE ECHO",
        "FORWARD-TSN",
        "RE-CONFIG",
        "SHUTDOWN",
        "SHUTDOWN ACK",
    ] {
        assert!(
            tally.chunk_types.contains_key(t),
            "aiortc {t}: {:?}",
            tally.chunk_types
        );
    }

    // usrsctp: chunks without a common header. In CORPUS_CONNECT byte 0 is the fuzzer's
    // stage byte (fuzzer_connect.c injects `data + 1` after its own common header); the
    // CORPUS_LISTEN and CORPUS_FRAGMENT seeds start with the first chunk.
    let mut usrsctp = Tally::default();
    let mut n = 0;
    for path in files_under(&root.join("usrsctp-fuzzer-corpus")) {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(&path).unwrap();
        n += 1;
        // The older `*-1.bin` seeds have no stage byte: their first chunk length equals the
        // file length (init-ack-1.bin: INIT ACK of 444 bytes in a 444-byte file).
        let skip = usize::from(rel.contains("CORPUS_CONNECT/") && !rel.ends_with("-1.bin"));
        if let Err(e) = walk(chunks(&bytes[skip..]), &mut usrsctp) {
            fail(&rel, &e.shifted(skip));
        }
    }
    assert!(n >= 100, "{n} usrsctp files");
    let tally = usrsctp;
    for t in [
        "INIT",
        "INIT ACK",
        "COOKIE ECHO",
        "COOKIE ACK",
        "DATA",
        "I-DATA",
        "SACK",
        "NR-SACK",
        "RE-CONFIG",
        "ASCONF",
        "ASCONF-ACK",
        "ECNE",
        "CWR",
        "I-FORWARD-TSN",
        "HEARTBEAT ACK",
        "SHUTDOWN COMPLETE",
    ] {
        assert!(
            tally.chunk_types.contains_key(t),
            "usrsctp {t}: {:?}",
            tally.chunk_types
        );
    }
    // The rtcweb demo speaks the old draft DCEP: open request, response and ack.
    assert!(
        tally
            .dcep
            .iter()
            .any(|d| d.starts_with("LegacyOpenRequest")),
        "{:?}",
        tally.dcep
    );
    assert!(tally
        .dcep
        .iter()
        .any(|d| d.starts_with("LegacyOpenResponse")));
    assert!(tally.dcep.iter().any(|d| d.starts_with("Ack")));

    // pion: RFC 8832 OPEN and the two ACK forms.
    let dir = root.join("pion-datachannel");
    let open = std::fs::read(dir.join("dcep_open_reliable_label-foo_protocol-bar.bin")).unwrap();
    match DcepMessage::parse(&open, 0) {
        Ok(DcepMessage::Open(o)) => {
            assert_eq!(o.channel_type, ChannelType::RELIABLE);
            assert_eq!(
                (o.label_str().unwrap(), o.protocol_str().unwrap()),
                ("foo", "bar")
            );
            assert_eq!(o.label.range(), 12..15);
        }
        other => panic!("{other:?}"),
    }
    let ack1 = std::fs::read(dir.join("dcep_ack_1byte.bin")).unwrap();
    assert!(
        matches!(DcepMessage::parse(&ack1, 0), Ok(DcepMessage::Ack { trailing }) if trailing.is_empty())
    );
    // pion marshals the ACK as four bytes; RFC 8832 §5.2 defines one. Parsed, with the three
    // extra bytes visible rather than hidden or rejected.
    let ack4 = std::fs::read(dir.join("dcep_ack_pion_marshal_4bytes.bin")).unwrap();
    assert!(
        matches!(DcepMessage::parse(&ack4, 0), Ok(DcepMessage::Ack { trailing }) if trailing.bytes == [0, 0, 0])
    );

    // zeek: plain SCTP over IPv4 (not WebRTC), checksums computed by the kernel.
    let rel = "zeek/sctp.pcap";
    let mut tally = Tally::default();
    let mut packets = 0;
    for pk in capture::packets(&root.join(rel)) {
        if pk.proto != 132 {
            continue;
        }
        packets += 1;
        let sample = format!("{rel}#{}", pk.number);
        let p = match Packet::new_checked(&pk.payload) {
            Ok(p) => p,
            Err(e) => {
                fail(&sample, &e);
                continue;
            }
        };
        if let Err(e) = p.verify_checksum(ZeroChecksum::NotNegotiated) {
            fail(&sample, &e);
        }
        if let Err(e) = p.check_rules().and_then(|()| walk(p.chunks(), &mut tally)) {
            fail(&sample, &e);
        }
    }
    assert_eq!(packets, 74);
    assert_eq!(tally.chunk_types.get("DATA"), Some(&120));
    assert_eq!(tally.chunk_types.get("SACK"), Some(&49));
    assert_eq!(
        tally.chunk_types.get(&ChunkType::INIT.to_string()),
        Some(&1)
    );

    exp.finish();
}
