//! What the engine decrypted in each packet (with the user's keys: `--keylog`, `--srtp-key`,
//! SDES), kept beside the packet store so the packet view and the ladder show what is inside:
//! the list's info column ends with `[decrypted: …]` as `rtcscope dissect --keylog` prints it,
//! the field tree gains the decrypted content, and the ladder draws what decryption reveals of
//! the call's signalling (DTLS 1.3's encrypted handshake, alerts, the SCTP association's
//! set-up and shutdown, data-channel opens, RTCP BYE inside SRTCP).
//!
//! Kept: DTLS record contents and SRTCP (small and few); never SRTP media, which the engine
//! decrypts for its figures without copying. The plaintext is held within
//! [`MAX_DECRYPTED_BYTES`]: a file keeps the first packets' (its set-up) and counts the rest
//! as not kept; a live capture forgets the oldest, as its packet ring does.

use rtcscope_analysis::decrypt::{PlainKind, Plaintext};
use rtcscope_dissect::{dissect_decrypted, Decrypted, DissectOptions};
use rtcscope_rtp::rtcp::{Compound, PacketType};
use rtcscope_sctp::{ChunkBody, ChunkType, DcepMessageType, Packet, Ppid};
use std::collections::VecDeque;

/// Plaintext bytes kept at most, across packets.
pub const MAX_DECRYPTED_BYTES: usize = 16 << 20;

/// Bytes a note costs besides its plaintext and text (its record, the vectors' headers).
const NOTE_OVERHEAD: usize = 96;

/// What was decrypted in one packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The packet's number.
    pub number: u64,
    /// The pieces of plaintext, in the order the engine decrypted them.
    pub pieces: Vec<Plaintext>,
    /// What each piece is, joined with ` ; ` as `dissect` writes it (wire text, not escaped).
    pub info: String,
    /// The signalling inside, for the ladder (`DATA_CHANNEL_OPEN "chat"`, `SCTP INIT`,
    /// `Finished`, `RTCP BYE`); `None` for data, media reports and feedback.
    pub signalling: Option<String>,
}

impl Note {
    fn cost(&self) -> usize {
        NOTE_OVERHEAD
            + self.info.len()
            + self.signalling.as_ref().map_or(0, String::len)
            + self
                .pieces
                .iter()
                .map(|p| p.bytes.len() + std::mem::size_of::<Plaintext>())
                .sum::<usize>()
    }
}

/// Which piece kind the dissector reads a plaintext as.
pub fn decrypted_kind(kind: PlainKind) -> Decrypted {
    match kind {
        PlainKind::Srtp => Decrypted::Srtp,
        PlainKind::Srtcp => Decrypted::Srtcp,
        PlainKind::Dtls {
            epoch,
            sequence,
            content_type,
        } => Decrypted::Dtls {
            epoch,
            sequence,
            content_type,
        },
    }
}

/// DTLS content types (RFC 9147 §4): handshake and alert are signalling, application data is
/// SCTP.
const APPLICATION_DATA: u8 = 23;

/// The signalling an SCTP packet (the content of a DTLS application-data record) carries:
/// association set-up and shutdown chunks, and DCEP messages (data-channel opens).
fn sctp_signalling(plaintext: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(packet) = Packet::new_checked(plaintext) else {
        return out;
    };
    // The iterator is lax: it ends at the first damaged chunk; each chunk is at least its
    // 4-byte header, so it makes progress.
    for chunk in packet.chunks().flatten() {
        let user = match chunk.body() {
            Ok(ChunkBody::Data(d)) if d.ppid == Ppid::WEBRTC_DCEP => Some(d.user_data.bytes),
            Ok(ChunkBody::IData(d)) if d.ppid() == Some(Ppid::WEBRTC_DCEP) => {
                Some(d.user_data.bytes)
            }
            Ok(ChunkBody::Data(_) | ChunkBody::IData(_)) => None,
            _ => {
                let t = chunk.ctype;
                if [
                    ChunkType::INIT,
                    ChunkType::INIT_ACK,
                    ChunkType::COOKIE_ECHO,
                    ChunkType::COOKIE_ACK,
                    ChunkType::ABORT,
                    ChunkType::SHUTDOWN,
                    ChunkType::SHUTDOWN_ACK,
                    ChunkType::SHUTDOWN_COMPLETE,
                    ChunkType::RE_CONFIG,
                ]
                .contains(&t)
                {
                    out.push(format!("SCTP {}", t.name().unwrap_or("chunk")));
                }
                None
            }
        };
        if let Some(&kind) = user.and_then(|u| u.first()) {
            let t = DcepMessageType(kind);
            out.push(t.name().map_or_else(
                || format!("DCEP message type {kind}"),
                |n| dcep_name(n, user.unwrap_or_default()),
            ));
        }
    }
    out
}

/// A DCEP message's name, with the channel's label for an OPEN.
fn dcep_name(name: &str, user: &[u8]) -> String {
    match rtcscope_sctp::DcepMessage::parse(user, 0) {
        Ok(rtcscope_sctp::DcepMessage::Open(o)) => {
            format!("{name} {:?}", String::from_utf8_lossy(o.label.bytes))
        }
        _ => name.to_owned(),
    }
}

/// The signalling in one piece of plaintext, for the ladder.
fn signalling(piece: &Plaintext, info: &str) -> Vec<String> {
    match piece.kind {
        PlainKind::Dtls {
            content_type: APPLICATION_DATA,
            ..
        } => sctp_signalling(&piece.bytes),
        // Handshake (DTLS 1.3 encrypts all but its hellos), alert, ACK: the dissector's
        // names of the messages, without their values.
        PlainKind::Dtls { .. } => vec![crate::ladder::message_kind(info)],
        PlainKind::Srtcp => Compound::new(&piece.bytes)
            .iter()
            .map_while(Result::ok)
            .filter(|p| p.packet_type() == PacketType::BYE)
            .map(|_| "RTCP BYE".to_owned())
            .take(1)
            .collect(),
        PlainKind::Srtp => Vec::new(),
    }
}

/// The decrypted content of packets, by packet number, within [`MAX_DECRYPTED_BYTES`].
#[derive(Debug, Default)]
pub struct DecryptedNotes {
    notes: VecDeque<Note>,
    bytes: usize,
    /// Forget the oldest when full (a live capture), rather than keep them (a file).
    evict_oldest: bool,
    not_kept: u64,
    cap: usize,
}

impl DecryptedNotes {
    /// Notes for a file (`evict_oldest` false: the first packets are kept, later ones counted
    /// as not kept once full) or a live capture (true: the oldest are forgotten).
    pub fn new(evict_oldest: bool) -> Self {
        Self::with_cap(evict_oldest, MAX_DECRYPTED_BYTES)
    }

    /// As [`Self::new`] with another byte budget.
    pub fn with_cap(evict_oldest: bool, cap: usize) -> Self {
        DecryptedNotes {
            evict_oldest,
            cap,
            ..Default::default()
        }
    }

    /// Keeps what was decrypted in packet `number` (the engine's [`Plaintext`]s for it; SRTP
    /// media is left out). Packets come in increasing number.
    pub fn push(&mut self, number: u64, pieces: &[Plaintext]) {
        let pieces: Vec<Plaintext> = pieces
            .iter()
            .filter(|p| p.kind != PlainKind::Srtp)
            .cloned()
            .collect();
        if pieces.is_empty() {
            return;
        }
        if self.notes.back().is_some_and(|n| n.number >= number) {
            // Out of order (cannot happen with one source): keep the search sorted.
            self.not_kept += 1;
            return;
        }
        let opts = DissectOptions::default();
        let mut infos = Vec::with_capacity(pieces.len());
        let mut signals = Vec::new();
        for p in &pieces {
            let d = dissect_decrypted(decrypted_kind(p.kind), &p.bytes, &opts);
            signals.extend(signalling(p, &d.info));
            infos.push(d.info);
        }
        signals.retain(|s| !s.is_empty());
        let note = Note {
            number,
            pieces,
            info: infos.join(" ; "),
            signalling: (!signals.is_empty()).then(|| signals.join(", ")),
        };
        let cost = note.cost();
        if self.evict_oldest {
            while self.bytes + cost > self.cap {
                let Some(old) = self.notes.pop_front() else {
                    break;
                };
                self.bytes -= old.cost();
                self.not_kept += 1;
            }
        }
        if self.bytes + cost > self.cap {
            self.not_kept += 1;
            return;
        }
        self.bytes += cost;
        self.notes.push_back(note);
    }

    /// What was decrypted in packet `number`, when it was kept.
    pub fn get(&self, number: u64) -> Option<&Note> {
        let i = self.notes.partition_point(|n| n.number < number);
        self.notes.get(i).filter(|n| n.number == number)
    }

    /// Packets held.
    pub fn len(&self) -> usize {
        self.notes.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    /// Bytes held (plaintext, text and records).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Packets whose decrypted content was not kept (the budget was full) or was forgotten.
    pub fn not_kept(&self) -> u64 {
        self.not_kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtcscope_sctp::{ChunkRepr, PacketRepr};
    use std::net::SocketAddr;

    fn from() -> SocketAddr {
        "10.0.0.1:5000".parse().unwrap()
    }

    fn dtls(content_type: u8, bytes: Vec<u8>) -> Plaintext {
        Plaintext {
            kind: PlainKind::Dtls {
                epoch: 3,
                sequence: 1,
                content_type,
            },
            from: from(),
            bytes,
        }
    }

    /// An SCTP packet with one DATA chunk of `ppid` carrying `user`.
    fn sctp_data(ppid: u32, user: &[u8]) -> Vec<u8> {
        PacketRepr {
            src_port: 5000,
            dst_port: 5000,
            verification_tag: 1,
            chunks: vec![ChunkRepr::Data {
                flags: 0x03,
                tsn: 1,
                stream_id: 1,
                ssn: 0,
                ppid: Ppid(ppid),
                user_data: user.to_vec(),
            }],
        }
        .to_bytes(false)
    }

    #[test]
    fn a_data_channel_open_is_signalling_and_its_label_shows() {
        // DATA_CHANNEL_OPEN (RFC 8832 §5.1): type 3, reliable ordered, priority 0, label "chat".
        let mut open = vec![0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0];
        open.extend_from_slice(b"chat");
        let mut n = DecryptedNotes::new(false);
        n.push(7, &[dtls(APPLICATION_DATA, sctp_data(50, &open))]);
        let note = n.get(7).expect("kept");
        assert_eq!(
            note.signalling.as_deref(),
            Some("DATA_CHANNEL_OPEN \"chat\"")
        );
        assert!(note.info.contains("DATA_CHANNEL_OPEN"), "{}", note.info);
        // A text message on the channel is data, not signalling.
        n.push(9, &[dtls(APPLICATION_DATA, sctp_data(51, b"hello"))]);
        assert_eq!(n.get(9).unwrap().signalling, None);
        assert_eq!(n.get(8), None);
    }

    #[test]
    fn srtp_is_never_kept_and_srtcp_bye_is_signalling() {
        let mut n = DecryptedNotes::new(false);
        let srtp = Plaintext {
            kind: PlainKind::Srtp,
            from: from(),
            bytes: vec![0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 9, 9],
        };
        n.push(1, std::slice::from_ref(&srtp));
        assert!(n.is_empty(), "SRTP media is not kept");
        // RR with no block, then BYE of one source.
        let rtcp = vec![
            0x80, 201, 0, 1, 0, 0, 0, 1, // RR
            0x81, 203, 0, 1, 0, 0, 0, 1, // BYE
        ];
        n.push(
            2,
            &[
                srtp,
                Plaintext {
                    kind: PlainKind::Srtcp,
                    from: from(),
                    bytes: rtcp,
                },
            ],
        );
        let note = n.get(2).expect("SRTCP kept");
        assert_eq!(note.pieces.len(), 1);
        assert_eq!(note.signalling.as_deref(), Some("RTCP BYE"));
    }

    #[test]
    fn the_budget_holds_a_file_keeps_its_first_and_live_its_last() {
        let piece = dtls(APPLICATION_DATA, sctp_data(51, &[b'x'; 1000]));
        let one = {
            let mut n = DecryptedNotes::new(false);
            n.push(1, std::slice::from_ref(&piece));
            n.bytes()
        };
        for evict in [false, true] {
            let mut n = DecryptedNotes::with_cap(evict, one * 10);
            for number in 1..=100 {
                n.push(number, std::slice::from_ref(&piece));
                assert!(n.bytes() <= one * 10);
            }
            assert_eq!(n.len(), 10);
            assert_eq!(n.not_kept(), 90);
            if evict {
                assert!(n.get(100).is_some() && n.get(90).is_none());
            } else {
                assert!(n.get(1).is_some() && n.get(11).is_none());
            }
        }
    }
}
