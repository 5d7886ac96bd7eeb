//! Checksums (CRC32c placement, RFC 9653 zero checksum), every chunk type from hand-made and
//! corpus vectors, truncation sweeps, round trips and property tests.

use proptest::prelude::*;
use rtcscope_sctp::chunk::{chunks, ChunkBody};
use rtcscope_sctp::dcep::{DataChannelOpenRepr, DcepMessage};
use rtcscope_sctp::enums::Reliability;
use rtcscope_sctp::param::ParamBody;
use rtcscope_sctp::*;

fn corpus_packets() -> Vec<(String, Vec<u8>)> {
    let Some(root) = rtcscope_testkit::corpus("sctp vectors (corpus part)") else {
        return Vec::new();
    };
    rtcscope_testkit::files_under(&root.join("aiortc"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("sctp_")
        })
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

fn build(chunks: Vec<ChunkRepr>) -> Vec<u8> {
    PacketRepr {
        src_port: 5000,
        dst_port: 5000,
        verification_tag: 0x11223344,
        chunks,
    }
    .to_bytes(false)
}

#[test]
fn checksum_is_crc32c_little_endian_and_zero_checksum_needs_negotiation() {
    // RFC 3720 B.4 CRC32c test vector: 32 zero bytes give 0x8a9136aa.
    assert_eq!(crc32c::crc32c(&[0u8; 32]), 0x8a9136aa);
    let mut p = build(vec![ChunkRepr::Raw {
        ctype: ChunkType::COOKIE_ACK,
        flags: 0,
        value: vec![],
    }]);
    let pk = Packet::new_checked(&p).unwrap();
    assert_eq!(
        pk.checksum_status(ZeroChecksum::NotNegotiated),
        ChecksumStatus::Valid
    );
    assert_eq!(&p[8..12], &checksum(&p).to_le_bytes());
    // One flipped bit anywhere is a mismatch, located at the checksum field.
    p[13] ^= 0x40;
    let e = Packet::new_checked(&p)
        .unwrap()
        .verify_checksum(ZeroChecksum::NotNegotiated)
        .unwrap_err();
    assert_eq!(e.offset, 8);
    p[13] ^= 0x40;
    // RFC 9653: zero is accepted only when negotiated, and labelled.
    p[8..12].fill(0);
    let pk = Packet::new_checked(&p).unwrap();
    assert!(matches!(
        pk.checksum_status(ZeroChecksum::NotNegotiated),
        ChecksumStatus::Mismatch { found: 0, .. }
    ));
    assert_eq!(
        pk.checksum_status(ZeroChecksum::Acceptable),
        ChecksumStatus::ZeroAccepted
    );
    // A wrong non-zero checksum stays a mismatch even when zero is acceptable.
    p[8] = 1;
    assert!(!Packet::new_checked(&p)
        .unwrap()
        .checksum_status(ZeroChecksum::Acceptable)
        .is_ok());
    // The tracker learns the negotiation from both INITs' Zero Checksum Acceptable.
    let init = |ack| ChunkRepr::Init {
        ack,
        initiate_tag: 7,
        a_rwnd: 1 << 20,
        outbound_streams: 2,
        inbound_streams: 2,
        initial_tsn: 1,
        params: vec![
            ParamRepr::zero_checksum_acceptable(1),
            ParamRepr::forward_tsn_supported(),
        ],
    };
    let mut t = channels::DataChannels::default();
    t.feed(
        channels::Side::A,
        &PacketRepr {
            src_port: 1,
            dst_port: 2,
            verification_tag: 0,
            chunks: vec![init(false)],
        }
        .to_bytes(false),
    );
    assert_eq!(t.zero_checksum(), ZeroChecksum::NotNegotiated);
    t.feed(
        channels::Side::B,
        &PacketRepr {
            src_port: 2,
            dst_port: 1,
            verification_tag: 7,
            chunks: vec![init(true)],
        }
        .to_bytes(false),
    );
    assert_eq!(t.zero_checksum(), ZeroChecksum::Acceptable);
    let data = ChunkRepr::Data {
        flags: 3,
        tsn: 1,
        stream_id: 1,
        ssn: 0,
        ppid: Ppid::WEBRTC_STRING,
        user_data: b"hi".to_vec(),
    };
    t.feed(
        channels::Side::A,
        &PacketRepr {
            src_port: 1,
            dst_port: 2,
            verification_tag: 7,
            chunks: vec![data],
        }
        .to_bytes(true),
    );
    assert_eq!((t.zero_checksums, t.bad_checksums), (1, 0));
}

#[test]
fn init_parameters_and_unknown_chunks() {
    let p = build(vec![ChunkRepr::Init {
        ack: false,
        initiate_tag: 0xdeadbeef,
        a_rwnd: 131072,
        outbound_streams: 1024,
        inbound_streams: 1024,
        initial_tsn: 42,
        params: vec![
            ParamRepr {
                ptype: ParamType::IPV4_ADDRESS,
                value: vec![192, 0, 2, 1],
            },
            ParamRepr {
                ptype: ParamType::SUPPORTED_ADDRESS_TYPES,
                value: vec![0, 5, 0, 6],
            },
            ParamRepr::zero_checksum_acceptable(1),
            ParamRepr::supported_extensions(&[
                ChunkType::RE_CONFIG,
                ChunkType::FORWARD_TSN,
                ChunkType::I_DATA,
            ]),
            ParamRepr {
                ptype: ParamType::RANDOM,
                value: vec![9; 32],
            },
            ParamRepr {
                ptype: ParamType::CHUNK_LIST,
                value: vec![0xc1, 0x80],
            },
            ParamRepr {
                ptype: ParamType::REQUESTED_HMAC_ALGORITHM,
                value: vec![0, 1, 0, 3],
            },
            ParamRepr {
                ptype: ParamType::ECN_CAPABLE,
                value: vec![],
            },
            ParamRepr {
                ptype: ParamType(0x4321),
                value: vec![1, 2, 3],
            },
        ],
    }]);
    let pk = Packet::new_checked(&p).unwrap();
    assert!(
        pk.check_rules().is_err(),
        "INIT with a non-zero verification tag"
    );
    let c = pk.chunks().next().unwrap().unwrap();
    let ChunkBody::Init(init) = c.body().unwrap() else {
        panic!()
    };
    assert_eq!(
        (init.initiate_tag, init.outbound_streams, init.initial_tsn),
        (0xdeadbeef, 1024, 42)
    );
    let bodies: Vec<_> = init.params.map(|p| p.unwrap().body().unwrap()).collect();
    assert!(matches!(bodies[0], ParamBody::Ipv4(a) if a.octets() == [192, 0, 2, 1]));
    assert_eq!(bodies[1].u16s().unwrap().collect::<Vec<_>>(), vec![5, 6]);
    assert!(matches!(
        bodies[2],
        ParamBody::ZeroChecksumAcceptable { edmid: 1 }
    ));
    assert_eq!(
        bodies[3].chunk_types().unwrap().collect::<Vec<_>>(),
        vec![
            ChunkType::RE_CONFIG,
            ChunkType::FORWARD_TSN,
            ChunkType::I_DATA
        ]
    );
    assert_eq!(
        bodies[6].hmac_ids().unwrap().collect::<Vec<_>>(),
        vec![HmacId::SHA1, HmacId::SHA256]
    );
    assert!(matches!(bodies[7], ParamBody::EcnCapable));
    assert!(matches!(&bodies[8], ParamBody::Unknown(s) if s.bytes == [1, 2, 3]));
    assert_eq!(PacketRepr::from_packet(&pk).unwrap().to_bytes(false), p);

    // Unknown chunk types keep their bytes and the action of their upper two bits.
    for (t, action) in [
        (0x3f, UnknownAction::Stop),
        (0x7f, UnknownAction::StopAndReport),
        (0xbf, UnknownAction::Skip),
        (0xff, UnknownAction::SkipAndReport),
    ] {
        let b = [t, 0x5a, 0, 6, 0xab, 0xcd, 0, 0];
        let c = chunks(&b).next().unwrap().unwrap();
        assert!(
            matches!(c.body().unwrap(), ChunkBody::Unknown { action: a, value } if a == action && value.bytes == [0xab, 0xcd])
        );
        assert_eq!(c.flags, 0x5a);
    }
}

#[test]
fn reconfig_sack_forward_tsn_and_causes() {
    let p = build(vec![
        ChunkRepr::ReConfig(vec![
            ParamRepr::outgoing_ssn_reset(7, 6, 100, &[1, 3]),
            ParamRepr::reconfig_response(5, ReconfigResult::PERFORMED),
        ]),
        ChunkRepr::Sack {
            cum_tsn_ack: 99,
            a_rwnd: 5000,
            gaps: vec![(2, 3), (5, 5)],
            duplicates: vec![97],
        },
        ChunkRepr::ForwardTsn {
            new_cum_tsn: 120,
            streams: vec![(1, 4)],
        },
        ChunkRepr::Raw {
            ctype: ChunkType::ABORT,
            flags: 1,
            value: vec![0, 12, 0, 9, b'b', b'y', b'e', b'!', b'!', 0, 0, 0],
        },
        ChunkRepr::Raw {
            ctype: ChunkType::ECNE,
            flags: 0,
            value: vec![0, 0, 0, 9, 0, 0, 0, 2],
        },
    ]);
    let pk = Packet::new_checked(&p).unwrap();
    pk.check_rules().unwrap();
    let b: Vec<_> = pk.chunks().map(|c| c.unwrap().body().unwrap()).collect();
    let ChunkBody::ReConfig(params) = &b[0] else {
        panic!()
    };
    let ps: Vec<_> = params.clone().map(|p| p.unwrap().body().unwrap()).collect();
    assert!(matches!(
        ps[0],
        ParamBody::OutgoingSsnReset {
            request_seq: 7,
            response_seq: 6,
            last_tsn: 100,
            ..
        }
    ));
    assert_eq!(ps[0].u16s().unwrap().collect::<Vec<_>>(), vec![1, 3]);
    assert!(matches!(
        ps[1],
        ParamBody::ReconfigResponse {
            response_seq: 5,
            result: ReconfigResult::PERFORMED,
            next_tsns: None
        }
    ));
    let ChunkBody::Sack(s) = &b[1] else { panic!() };
    assert_eq!(s.gaps().collect::<Vec<_>>(), vec![(2, 3), (5, 5)]);
    assert_eq!(s.duplicates().collect::<Vec<_>>(), vec![97]);
    assert_eq!(
        b[2].forward_tsn_streams().unwrap().collect::<Vec<_>>(),
        vec![(1, 4)]
    );
    let ChunkBody::Abort { t: true, causes } = &b[3] else {
        panic!()
    };
    let cause = causes.clone().next().unwrap().unwrap();
    assert_eq!(cause.code, CauseCode::USER_INITIATED_ABORT);
    assert_eq!(cause.info.bytes, b"bye!!");
    assert!(matches!(
        b[4],
        ChunkBody::Ecne {
            lowest_tsn: 9,
            marked_packets: Some(2)
        }
    ));
    assert_eq!(PacketRepr::from_packet(&pk).unwrap().to_bytes(false), p);
}

#[test]
fn dcep_open_ack_and_legacy() {
    for (ct, param, rel) in [
        (ChannelType::RELIABLE, 0, Reliability::Reliable),
        (
            ChannelType::PARTIAL_RELIABLE_REXMIT_UNORDERED,
            3,
            Reliability::MaxRetransmits(3),
        ),
        (
            ChannelType::PARTIAL_RELIABLE_TIMED,
            1500,
            Reliability::MaxLifetimeMs(1500),
        ),
    ] {
        let repr = DataChannelOpenRepr {
            channel_type: ct,
            priority: 256,
            reliability_parameter: param,
            label: "chat ✓".as_bytes().to_vec(),
            protocol: b"".to_vec(),
        };
        let bytes = repr.to_bytes();
        let Ok(DcepMessage::Open(o)) = DcepMessage::parse(&bytes, 0) else {
            panic!()
        };
        assert_eq!(o.reliability(), rel);
        assert_eq!(o.channel_type.unordered(), ct.0 & 0x80 != 0);
        assert_eq!(o.label_str().unwrap(), "chat ✓");
        assert_eq!(DataChannelOpenRepr::from_view(&o), repr);
        for cut in 0..bytes.len() {
            assert!(
                DcepMessage::parse(&bytes[..cut], 0).is_err(),
                "prefix {cut}"
            );
        }
    }
    // Legacy draft: open request with out-of-order flag and NUL-terminated label.
    let legacy = [
        0x00, 0x01, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00, b'a', b'b', 0,
    ];
    let Ok(DcepMessage::LegacyOpenRequest(o)) = DcepMessage::parse(&legacy, 0) else {
        panic!()
    };
    assert!(o.unordered());
    assert_eq!((o.label_str().unwrap(), o.reliability_parameter), ("ab", 5));
    assert!(DcepMessage::parse(&[0x04], 0).is_err());
    // The channel tracker: OPEN on stream 1 from A, ACK from B, then string messages.
    let open = DataChannelOpenRepr {
        channel_type: ChannelType::RELIABLE,
        priority: 256,
        reliability_parameter: 0,
        label: b"chat".to_vec(),
        protocol: b"xmpp".to_vec(),
    }
    .to_bytes();
    let data = |tsn, ppid, d: &[u8]| {
        build(vec![ChunkRepr::Data {
            flags: 3,
            tsn,
            stream_id: 1,
            ssn: 0,
            ppid,
            user_data: d.to_vec(),
        }])
    };
    let mut t = channels::DataChannels::default();
    t.feed(channels::Side::A, &data(1, Ppid::WEBRTC_DCEP, &open));
    t.feed(channels::Side::B, &data(1, Ppid::WEBRTC_DCEP, &[2]));
    t.feed(channels::Side::A, &data(2, Ppid::WEBRTC_STRING, b"hello"));
    let ch = &t.channels[&1];
    assert_eq!(
        (
            ch.label.as_str(),
            ch.protocol.as_str(),
            ch.acked,
            ch.opened_by
        ),
        ("chat", "xmpp", true, Some(channels::Side::A))
    );
    assert_eq!(ch.messages.get(&51), Some(&1));
    assert_eq!(ch.bytes, 5);
    assert_eq!(t.errors, vec![]);
}

#[test]
fn sctp_over_udp_is_the_udp_payload() {
    // RFC 6951: no extra header, the UDP payload is the SCTP packet (ports included), so a UDP
    // datagram's payload goes straight into Packet::new_checked.
    let sctp = build(vec![ChunkRepr::Raw {
        ctype: ChunkType::HEARTBEAT,
        flags: 0,
        value: vec![0, 1, 0, 8, 1, 2, 3, 4],
    }]);
    let mut udp = vec![0x26, 0xab, 0x26, 0xab, 0, 0, 0, 0];
    udp[4..6].copy_from_slice(&((8 + sctp.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&sctp);
    let pk = Packet::with_base(&udp[8..], 8).unwrap();
    assert_eq!(
        pk.verify_checksum(ZeroChecksum::NotNegotiated).unwrap(),
        ChecksumStatus::Valid
    );
    let c = pk.chunks().next().unwrap().unwrap();
    assert_eq!(
        c.offset, 20,
        "offsets are located in the enclosing datagram"
    );
}

#[test]
fn every_prefix_of_every_chunk_fails_cleanly() {
    let mut n = 0;
    for (name, p) in corpus_packets() {
        let Ok(pk) = Packet::new_checked(&p) else {
            continue;
        };
        for c in pk.chunks().map_while(Result::ok) {
            let whole = &p[c.offset..c.offset + c.length()];
            if c.body().is_err() {
                continue;
            }
            n += 1;
            for cut in 0..whole.len() {
                let r = chunks(&whole[..cut]).next();
                match r {
                    None => assert_eq!(cut, 0),
                    Some(r) => assert!(r.is_err(), "{name}: prefix {cut} of {:?} parsed", c.ctype),
                }
            }
        }
        for cut in 0..12.min(p.len()) {
            assert!(Packet::new_checked(&p[..cut]).is_err());
        }
    }
    if n > 0 {
        assert!(n >= 12, "{n} chunks swept");
    }
}

fn chunk_strategy() -> impl Strategy<Value = ChunkRepr> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..40);
    prop_oneof![
        (
            any::<u8>(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 1..40)
        )
            .prop_map(
                |(flags, tsn, stream_id, ssn, ppid, user_data)| ChunkRepr::Data {
                    flags: flags & 0x0f,
                    tsn,
                    stream_id,
                    ssn,
                    ppid: Ppid(ppid),
                    user_data
                }
            ),
        (
            any::<bool>(),
            any::<u32>(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            any::<u32>(),
            proptest::collection::vec((any::<u16>(), bytes()), 0..4)
        )
            .prop_map(
                |(
                    ack,
                    initiate_tag,
                    a_rwnd,
                    outbound_streams,
                    inbound_streams,
                    initial_tsn,
                    ps,
                )| ChunkRepr::Init {
                    ack,
                    initiate_tag,
                    a_rwnd,
                    outbound_streams,
                    inbound_streams,
                    initial_tsn,
                    params: ps
                        .into_iter()
                        .map(|(t, v)| ParamRepr {
                            ptype: ParamType(t),
                            value: v
                        })
                        .collect()
                }
            ),
        (
            any::<u32>(),
            any::<u32>(),
            proptest::collection::vec((any::<u16>(), any::<u16>()), 0..5),
            proptest::collection::vec(any::<u32>(), 0..5)
        )
            .prop_map(|(cum_tsn_ack, a_rwnd, gaps, duplicates)| ChunkRepr::Sack {
                cum_tsn_ack,
                a_rwnd,
                gaps,
                duplicates
            }),
        (
            any::<u32>(),
            proptest::collection::vec((any::<u16>(), any::<u16>()), 0..5)
        )
            .prop_map(|(new_cum_tsn, streams)| ChunkRepr::ForwardTsn {
                new_cum_tsn,
                streams
            }),
        proptest::collection::vec((any::<u16>(), bytes()), 1..3).prop_map(
            |ps| ChunkRepr::ReConfig(
                ps.into_iter()
                    .map(|(t, v)| ParamRepr {
                        ptype: ParamType(t),
                        value: v
                    })
                    .collect()
            )
        ),
        (
            prop_oneof![
                Just(ChunkType::COOKIE_ECHO),
                Just(ChunkType::PAD),
                Just(ChunkType(0x55)),
                Just(ChunkType(0xf0))
            ],
            any::<u8>(),
            bytes()
        )
            .prop_map(|(ctype, flags, value)| ChunkRepr::Raw {
                ctype,
                flags,
                value
            }),
    ]
}

proptest! {
    #[test]
    fn packet_round_trip(src in any::<u16>(), dst in any::<u16>(), vtag in any::<u32>(), cs in proptest::collection::vec(chunk_strategy(), 1..5)) {
        let repr = PacketRepr { src_port: src, dst_port: dst, verification_tag: vtag, chunks: cs };
        let bytes = repr.to_bytes(false);
        prop_assert_eq!(bytes.len() % 4, 0);
        let pk = Packet::new_checked(&bytes).unwrap();
        prop_assert_eq!(pk.checksum_status(ZeroChecksum::NotNegotiated), ChecksumStatus::Valid);
        prop_assert_eq!(PacketRepr::from_packet(&pk).unwrap(), repr);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        rtcscope_sctp::fuzzing::sctp(&data);
    }
}

/// DATA chunks of one string message and of a second one, as a sender fragments a message
/// larger than its path MTU: flags B (2) on the first fragment, E (1) on the last, neither in
/// between.
fn fragment(tsn: u32, flags: u8, ssn: u16, d: &[u8]) -> Vec<u8> {
    build(vec![ChunkRepr::Data {
        flags,
        tsn,
        stream_id: 3,
        ssn,
        ppid: Ppid::WEBRTC_STRING,
        user_data: d.to_vec(),
    }])
}

#[test]
fn a_fragmented_message_counts_once_and_a_retransmission_not_at_all() {
    let mut t = channels::DataChannels::default();
    // Message 1 in three fragments (B, middle, E), message 2 whole.
    t.feed(channels::Side::A, &fragment(10, 2, 0, &[b'a'; 1000]));
    t.feed(channels::Side::A, &fragment(11, 0, 0, &[b'b'; 1000]));
    // The middle fragment again (a retransmission after a lost SACK): same TSN.
    t.feed(channels::Side::A, &fragment(11, 0, 0, &[b'b'; 1000]));
    t.feed(channels::Side::A, &fragment(12, 1, 0, &[b'c'; 500]));
    t.feed(channels::Side::A, &fragment(13, 3, 1, b"second"));
    // The other side's TSNs are its own: TSN 10 from B is new.
    t.feed(channels::Side::B, &fragment(10, 3, 0, b"reply"));
    let ch = &t.channels[&3];
    assert_eq!(ch.messages.get(&51), Some(&3), "{ch:?}");
    assert_eq!(ch.bytes, 2500 + 6 + 5);
    assert_eq!(t.retransmitted_chunks, [1, 0]);
}

#[test]
fn tsns_far_apart_and_wrapping_are_new_not_retransmissions() {
    let mut t = channels::DataChannels::default();
    // Across the 32-bit wrap, a jump beyond the window, and back to an old TSN outside it
    // (which cannot be told from a new one, so it counts as new).
    for (k, tsn) in [u32::MAX - 1, u32::MAX, 0, 1, 5000, 5001, 1]
        .into_iter()
        .enumerate()
    {
        t.feed(channels::Side::A, &fragment(tsn, 3, k as u16, b"x"));
    }
    assert_eq!(t.retransmitted_chunks, [0, 0]);
    assert_eq!(t.channels[&3].messages.get(&51), Some(&7));
    // 5001 again: inside the window, a retransmission.
    t.feed(channels::Side::A, &fragment(5001, 3, 9, b"x"));
    assert_eq!(t.retransmitted_chunks, [1, 0]);
}
