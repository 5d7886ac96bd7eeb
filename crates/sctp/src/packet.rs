//! The SCTP common header and packet checks (RFC 9260 §3.1, §6.8, §8.5, App. B; RFC 9653).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Source Port Number        |     Destination Port Number   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Verification Tag                         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           Checksum                            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    chunks ...                                 |
//! ```
//!
//! The same packet appears wherever SCTP is carried: directly over IP (protocol 132), as the
//! payload of a UDP datagram (RFC 6951: SCTP over UDP, no extra header), and as the
//! application data of DTLS in WebRTC (RFC 8261: the decrypted DTLS record content is a plain
//! SCTP packet, no IP header). [`Packet::new_checked`] takes that packet, whatever carried it.
//!
//! The checksum is CRC32c over the whole packet with the checksum field set to zero; the
//! 32-bit result is stored in the field in little-endian byte order (RFC 9260 App. B: the CRC
//! bit order makes the value land "reflected"; every implementation writes
//! `crc.to_le_bytes()`). RFC 9653 lets endpoints that negotiated "Zero Checksum Acceptable"
//! (typically SCTP over DTLS, where DTLS already protects integrity) send 0 instead.

use crate::chunk::{ChunkBody, Chunks};
use crate::enums::ChunkType;
use rtcscope_wire::{Error, ErrorKind, Layer, Reader, Result};

/// Field offsets of the common header.
pub mod field {
    use rtcscope_wire::Field;
    /// Source port.
    pub const SRC_PORT: Field = 0..2;
    /// Destination port.
    pub const DST_PORT: Field = 2..4;
    /// Verification tag.
    pub const VERIFICATION_TAG: Field = 4..8;
    /// Checksum.
    pub const CHECKSUM: Field = 8..12;
    /// Header length.
    pub const HEADER_LEN: usize = 12;
}

/// Whether RFC 9653 zero checksums are acceptable on this association: the caller knows from
/// the INIT / INIT ACK exchange (both sent [`crate::enums::ParamType::ZERO_CHECKSUM_ACCEPTABLE`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ZeroChecksum {
    /// Not negotiated: a zero checksum is a mismatch like any other.
    #[default]
    NotNegotiated,
    /// Negotiated: a zero checksum is accepted and labelled.
    Acceptable,
}

/// The result of checking the checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// The CRC32c matches.
    Valid,
    /// The field is zero and zero checksums were negotiated (RFC 9653): not corruption.
    ZeroAccepted,
    /// The CRC32c does not match (a zero checksum without negotiation included).
    Mismatch {
        /// The CRC32c computed over the packet.
        computed: u32,
        /// The value in the checksum field (read little-endian).
        found: u32,
    },
}

impl ChecksumStatus {
    /// True unless it is a mismatch.
    pub const fn is_ok(self) -> bool {
        !matches!(self, ChecksumStatus::Mismatch { .. })
    }
}

/// CRC32c of `packet` with its checksum field taken as zero (no copy, no allocation).
pub fn checksum(packet: &[u8]) -> u32 {
    if packet.len() < field::HEADER_LEN {
        return crc32c::crc32c(packet);
    }
    let c = crc32c::crc32c(&packet[..8]);
    let c = crc32c::crc32c_append(c, &[0; 4]);
    crc32c::crc32c_append(c, &packet[12..])
}

/// Writes the CRC32c of `packet` into its checksum field.
pub fn fill_checksum(packet: &mut [u8]) {
    if packet.len() >= field::HEADER_LEN {
        let c = checksum(packet);
        packet[field::CHECKSUM].copy_from_slice(&c.to_le_bytes());
    }
}

/// An SCTP packet (checked view): the common header is present; chunks are parsed lazily.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    bytes: &'a [u8],
    base: usize,
}

impl<'a> Packet<'a> {
    /// Checks that the 12-byte common header is there.
    pub fn new_checked(bytes: &'a [u8]) -> Result<Self> {
        Self::with_base(bytes, 0)
    }

    /// As [`Packet::new_checked`], for a packet at absolute offset `base` (e.g. in a frame).
    pub fn with_base(bytes: &'a [u8], base: usize) -> Result<Self> {
        Reader::with_base(bytes, base, Layer::Sctp).skip(field::HEADER_LEN, "common header")?;
        Ok(Packet { bytes, base })
    }

    /// The whole packet.
    pub const fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    fn u16_at(&self, at: usize) -> u16 {
        u16::from_be_bytes([self.bytes[at], self.bytes[at + 1]])
    }

    fn u32_at(&self, at: usize) -> u32 {
        u32::from_be_bytes([
            self.bytes[at],
            self.bytes[at + 1],
            self.bytes[at + 2],
            self.bytes[at + 3],
        ])
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        self.u16_at(0)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        self.u16_at(2)
    }

    /// Verification tag.
    pub fn verification_tag(&self) -> u32 {
        self.u32_at(4)
    }

    /// The checksum field as the CRC32c value (little-endian on the wire).
    pub fn checksum_field(&self) -> u32 {
        u32::from_le_bytes([self.bytes[8], self.bytes[9], self.bytes[10], self.bytes[11]])
    }

    /// Checks the checksum under the given zero-checksum policy.
    pub fn checksum_status(&self, zero: ZeroChecksum) -> ChecksumStatus {
        let found = self.checksum_field();
        let computed = checksum(self.bytes);
        if found == computed {
            ChecksumStatus::Valid
        } else if found == 0 && zero == ZeroChecksum::Acceptable {
            ChecksumStatus::ZeroAccepted
        } else {
            ChecksumStatus::Mismatch { computed, found }
        }
    }

    /// [`Packet::checksum_status`] as a located error on mismatch.
    pub fn verify_checksum(&self, zero: ZeroChecksum) -> Result<ChecksumStatus> {
        match self.checksum_status(zero) {
            ChecksumStatus::Mismatch { computed, found } => Err(Error::new(
                Layer::Sctp,
                self.base + field::CHECKSUM.start,
                "checksum",
                ErrorKind::Mismatch {
                    computed: computed as u64,
                    found: found as u64,
                },
            )),
            ok => Ok(ok),
        }
    }

    /// The chunks (lax).
    pub fn chunks(&self) -> Chunks<'a> {
        Chunks::with_base(
            &self.bytes[field::HEADER_LEN..],
            self.base + field::HEADER_LEN,
        )
    }

    /// Checks the packet-level rules a receiver enforces, returning the first violation:
    /// at least one chunk (§3), INIT, INIT ACK and SHUTDOWN COMPLETE not bundled (§6.10), a
    /// packet with INIT has verification tag 0 (§8.5.1), and DATA/I-DATA carry user data (§6.2:
    /// "No User Data"). Chunk parse errors are returned too.
    pub fn check_rules(&self) -> Result<()> {
        let mut count = 0;
        let mut lonely = None;
        for c in self.chunks() {
            let c = c?;
            count += 1;
            match c.ctype {
                ChunkType::INIT | ChunkType::INIT_ACK | ChunkType::SHUTDOWN_COMPLETE => {
                    lonely = Some(c)
                }
                _ => {}
            }
            if c.ctype == ChunkType::INIT && self.verification_tag() != 0 {
                return Err(Error::bad_value(
                    Layer::Sctp,
                    self.base + field::VERIFICATION_TAG.start,
                    "verification tag",
                    "0 in a packet carrying INIT (RFC 9260 §8.5.1)",
                    self.verification_tag() as u64,
                ));
            }
            match c.body()? {
                ChunkBody::Data(d) if d.user_data.bytes.is_empty() => {
                    return Err(Error::bad_length(
                        Layer::Sctp,
                        c.offset + 2,
                        "chunk length",
                        "user data in a DATA chunk (RFC 9260 §6.2, No User Data)",
                        c.length(),
                    ));
                }
                ChunkBody::IData(d) if d.user_data.bytes.is_empty() => {
                    return Err(Error::bad_length(
                        Layer::Sctp,
                        c.offset + 2,
                        "chunk length",
                        "user data in an I-DATA chunk",
                        c.length(),
                    ));
                }
                _ => {}
            }
        }
        if count == 0 {
            return Err(Error::truncated(
                Layer::Sctp,
                self.base + field::HEADER_LEN,
                "chunk",
                4,
                0,
            ));
        }
        if let (Some(c), true) = (lonely, count > 1) {
            return Err(Error::bad_value(
                Layer::Sctp,
                c.offset,
                "chunk type",
                "INIT, INIT ACK and SHUTDOWN COMPLETE alone in their packet (RFC 9260 §6.10)",
                c.ctype.0 as u64,
            ));
        }
        Ok(())
    }
}
