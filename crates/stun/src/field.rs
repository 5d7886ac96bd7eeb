//! Field offsets, in one place (after smoltcp's `mod field`).
//!
//! Every accessor of the views reads through these ranges, so the wire layout is written down
//! exactly once. Offsets are relative to the start of the structure they describe.

use rtcscope_wire::Field;

/// The STUN message header (RFC 8489 §5, RFC 3489 §11.1).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0|     STUN Message Type     |         Message Length        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Magic Cookie                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                                                               |
/// |                     Transaction ID (96 bits)                  |
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// RFC 3489 has no magic cookie: bytes 4..20 are a 128-bit transaction ID.
pub mod header {
    use super::Field;
    /// Message type: two zero bits, then method and class bits interleaved.
    pub const MESSAGE_TYPE: Field = 0..2;
    /// Length of the attributes, excluding the 20-byte header.
    pub const LENGTH: Field = 2..4;
    /// The magic cookie 0x2112A442 (RFC 5389 and later).
    pub const MAGIC_COOKIE: Field = 4..8;
    /// The 96-bit transaction ID (RFC 5389 and later).
    pub const TRANSACTION_ID: Field = 8..20;
    /// The 128-bit transaction ID of RFC 3489 (classic STUN).
    pub const CLASSIC_TRANSACTION_ID: Field = 4..20;
    /// The bytes an XOR-encoded address is XORed with (cookie, then transaction ID).
    pub const XOR_KEY: Field = 4..20;
    /// Length of the header; attributes start here.
    pub const LEN: usize = 20;
}

/// A STUN attribute's type-length-value header (RFC 8489 §14).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Type                  |            Length             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Value (variable)                ....
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
pub mod attribute {
    use super::Field;
    /// Attribute type.
    pub const TYPE: Field = 0..2;
    /// Value length before padding.
    pub const LENGTH: Field = 2..4;
    /// Length of the TLV header; the value starts here.
    pub const LEN: usize = 4;
}

/// An (XOR-)address value (RFC 8489 §14.1, §14.2).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0 0 0 0 0 0 0|    Family     |         (X-)Port              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 (X-)Address (32 bits or 128 bits)             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
pub mod address {
    use super::Field;
    /// Reserved byte (zero).
    pub const RESERVED: usize = 0;
    /// Address family: 0x01 IPv4, 0x02 IPv6.
    pub const FAMILY: usize = 1;
    /// Port, XORed with the top 16 bits of the magic cookie in XOR- attributes.
    pub const PORT: Field = 2..4;
    /// Start of the address.
    pub const ADDRESS: usize = 4;
    /// Value length of an IPv4 address attribute.
    pub const LEN_V4: usize = 8;
    /// Value length of an IPv6 address attribute.
    pub const LEN_V6: usize = 20;
}

/// An ERROR-CODE value (RFC 8489 §14.8); ADDRESS-ERROR-CODE (RFC 8656 §18.12) has the same
/// layout with the address family in the first byte.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Reserved, should be 0  (or Family) |Class|     Number    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |      Reason Phrase (variable)                                ..
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
pub mod error_code {
    use super::Field;
    /// Family (ADDRESS-ERROR-CODE only; reserved in ERROR-CODE).
    pub const FAMILY: usize = 0;
    /// The byte whose low 3 bits are the class (hundreds digit).
    pub const CLASS: usize = 2;
    /// The number (0..=99).
    pub const NUMBER: usize = 3;
    /// The UTF-8 reason phrase starts here.
    pub const REASON: usize = 4;
    /// Fixed part.
    pub const FIXED: Field = 0..4;
}

/// A PASSWORD-ALGORITHM value, also one entry of PASSWORD-ALGORITHMS (RFC 8489 §14.11-14.12).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          Algorithm            |  Algorithm Parameters Length  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Algorithm Parameters (variable)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
pub mod password_algorithm {
    use super::Field;
    /// Algorithm number.
    pub const ALGORITHM: Field = 0..2;
    /// Length of the parameters (before padding).
    pub const PARAMS_LENGTH: Field = 2..4;
    /// Parameters start here.
    pub const PARAMS: usize = 4;
}

/// A TURN ChannelData message (RFC 8656 §12.4).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Channel Number        |            Length             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                                                               |
/// /                       Application Data                        /
/// /                                                               /
/// |                                                               |
/// |                               +-------------------------------+
/// |                               |
/// +-------------------------------+
/// ```
pub mod channel_data {
    use super::Field;
    /// Channel number, 0x4000..=0x7FFF (RFC 5766; RFC 8656 narrows it to 0x4000..=0x4FFF).
    pub const CHANNEL: Field = 0..2;
    /// Length of the application data, excluding header and padding.
    pub const LENGTH: Field = 2..4;
    /// The application data starts here.
    pub const DATA: usize = 4;
}
