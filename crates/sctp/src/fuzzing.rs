//! Fuzzing entry points (used by `fuzz/fuzz_targets/sctp.rs` and exercised by unit tests).

use crate::channels::{DataChannels, Side};
use crate::chunk::{chunks, Chunk, ChunkBody};
use crate::dcep::{DataChannelOpenRepr, DcepMessage};
use crate::packet::{Packet, ZeroChecksum};
use crate::param::{CauseBody, ParamBody, Params};
use crate::repr::{ChunkRepr, PacketRepr};
use crate::Ppid;

/// Parses `data` as an SCTP packet and as a bare chunk list, walks every chunk, parameter,
/// cause and DCEP message, feeds the channel tracker and round-trips the owned forms,
/// panicking on any inconsistency.
pub fn sctp(data: &[u8]) {
    if let Ok(p) = Packet::new_checked(data) {
        let _ = p.checksum_status(ZeroChecksum::Acceptable);
        let _ = p.verify_checksum(ZeroChecksum::NotNegotiated);
        let _ = p.check_rules();
        for c in p.chunks().map_while(Result::ok) {
            walk_chunk(&c, data.len());
        }
        if let Ok(repr) = PacketRepr::from_packet(&p) {
            let bytes = repr.to_bytes(false);
            let again = Packet::new_checked(&bytes).expect("emitted packet has a header");
            assert!(again.verify_checksum(ZeroChecksum::NotNegotiated).is_ok());
            assert_eq!(
                PacketRepr::from_packet(&again).expect("emitted packet parses"),
                repr
            );
        }
        let mut t = DataChannels::default();
        t.feed(Side::A, data);
        t.feed(Side::B, data);
    }
    for c in chunks(data).map_while(Result::ok) {
        walk_chunk(&c, data.len());
    }
    if let Ok(DcepMessage::Open(o)) = DcepMessage::parse(data, 0) {
        assert_eq!(DataChannelOpenRepr::from_view(&o).to_bytes(), data);
    }
}

fn walk_params(params: Params<'_>) {
    for p in params.map_while(Result::ok) {
        match p.body() {
            Ok(ParamBody::AddressRequest { address, .. }) => walk_params(address),
            Ok(ParamBody::ErrorCauseIndication { causes, .. }) => {
                for c in causes.map_while(Result::ok) {
                    let _ = c.body();
                }
            }
            Ok(b) => {
                let _ = b.chunk_types().map(Iterator::count);
                let _ = b.u16s().map(Iterator::count);
            }
            Err(_) => {}
        }
    }
}

fn walk_chunk(c: &Chunk<'_>, len: usize) {
    assert!(c.range().end <= len + 12);
    let Ok(body) = c.body() else { return };
    match &body {
        ChunkBody::Data(d) => {
            if d.ppid == Ppid::WEBRTC_DCEP {
                let _ = DcepMessage::parse(d.user_data.bytes, d.user_data.offset);
            }
        }
        ChunkBody::Init(i) | ChunkBody::InitAck(i) => walk_params(i.params.clone()),
        ChunkBody::Heartbeat(p) | ChunkBody::HeartbeatAck(p) | ChunkBody::ReConfig(p) => {
            walk_params(p.clone())
        }
        ChunkBody::Asconf { params, .. } | ChunkBody::AsconfAck { params, .. } => {
            walk_params(params.clone())
        }
        ChunkBody::Abort { causes, .. } | ChunkBody::Error(causes) => {
            for cause in causes.clone().map_while(Result::ok) {
                if let Ok(CauseBody::UnrecognizedParameters(p)) = cause.body() {
                    walk_params(p);
                }
            }
        }
        ChunkBody::Sack(s) | ChunkBody::NrSack(s) => {
            let _ = s.gaps().count() + s.nr_gaps().count() + s.duplicates().count();
        }
        other => {
            let _ = other.forward_tsn_streams().map(Iterator::count);
            let _ = other.i_forward_tsn_entries().map(Iterator::count);
        }
    }
    if let Ok(repr) = ChunkRepr::from_chunk(c) {
        let mut out = Vec::new();
        repr.emit(&mut out);
        let back = chunks(&out)
            .next()
            .expect("one chunk")
            .expect("emitted chunk parses");
        assert_eq!(ChunkRepr::from_chunk(&back).expect("typed again"), repr);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fuzz_body_survives_odd_inputs() {
        super::sctp(&[]);
        super::sctp(&[0; 12]);
        super::sctp(&[0; 16]);
        super::sctp(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
        super::sctp(&[3, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0]);
        super::sctp(&[
            1, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 1, 0, 4,
        ]);
    }
}
