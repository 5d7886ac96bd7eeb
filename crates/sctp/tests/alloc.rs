//! Proof that chunk iteration (with typed bodies and parameters) and DCEP parsing do not
//! allocate, counted with rtcscope_testkit::CountingAlloc.

use rtcscope_sctp::chunk::ChunkBody;
use rtcscope_sctp::dcep::{DataChannelOpenRepr, DcepMessage};
use rtcscope_sctp::*;
use rtcscope_testkit::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn walk(p: &[u8]) -> usize {
    let mut seen = 0;
    let pk = Packet::new_checked(p).unwrap();
    seen += usize::from(pk.checksum_status(ZeroChecksum::NotNegotiated).is_ok());
    for c in pk.chunks() {
        let c = c.unwrap();
        match c.body().unwrap() {
            ChunkBody::Data(d) => {
                if let Ok(DcepMessage::Open(o)) =
                    DcepMessage::parse(d.user_data.bytes, d.user_data.offset)
                {
                    seen += o.label_str().unwrap().len() + o.protocol_str().unwrap().len();
                }
            }
            ChunkBody::Init(i) => {
                for prm in i.params {
                    let prm = prm.unwrap();
                    seen += prm.range().len();
                    let _ = prm.body().unwrap();
                }
            }
            ChunkBody::Sack(s) => seen += s.gaps().count(),
            _ => seen += 1,
        }
    }
    seen
}

#[test]
fn chunk_iteration_and_dcep_do_not_allocate() {
    let open = DataChannelOpenRepr {
        channel_type: ChannelType::RELIABLE,
        priority: 256,
        reliability_parameter: 0,
        label: b"chat".to_vec(),
        protocol: b"proto".to_vec(),
    }
    .to_bytes();
    let packet = PacketRepr {
        src_port: 5000,
        dst_port: 5000,
        verification_tag: 0,
        chunks: vec![
            ChunkRepr::Data {
                flags: 3,
                tsn: 1,
                stream_id: 0,
                ssn: 0,
                ppid: Ppid::WEBRTC_DCEP,
                user_data: open,
            },
            ChunkRepr::Sack {
                cum_tsn_ack: 1,
                a_rwnd: 100,
                gaps: vec![(1, 2)],
                duplicates: vec![],
            },
        ],
    }
    .to_bytes(false);
    let init = PacketRepr {
        src_port: 5000,
        dst_port: 5000,
        verification_tag: 0,
        chunks: vec![ChunkRepr::Init {
            ack: false,
            initiate_tag: 1,
            a_rwnd: 2,
            outbound_streams: 3,
            inbound_streams: 4,
            initial_tsn: 5,
            params: vec![
                ParamRepr::zero_checksum_acceptable(1),
                ParamRepr::forward_tsn_supported(),
            ],
        }],
    }
    .to_bytes(false);
    for p in [&packet, &init] {
        let mut seen = 0;
        let n = CountingAlloc::count(|| seen = walk(p));
        assert_eq!(n, 0, "allocated {n} times");
        assert!(seen > 1);
    }
    let mut seen = 0;
    assert_eq!(CountingAlloc::count(|| seen = walk(&packet)), 0);
    assert_eq!(
        seen,
        1 + "chat".len() + "proto".len() + 1,
        "the walk reached the DCEP label"
    );
}
