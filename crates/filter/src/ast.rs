//! The syntax tree a filter parses into, and its printer.
//!
//! [`Expr`]'s `Display` prints the canonical form: canonical field names (aliases such as
//! `stun.id` print as `stun.transaction`), symbolic operators, and only the parentheses the
//! grammar needs, so that parsing the printed text gives the same tree back.

use core::fmt;
use std::net::IpAddr;

/// A protocol name that can stand alone (`stun`, `rtp`, …): true when the packet carries it,
/// directly or inside a TURN relay or an ICMP error's quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    /// STUN messages (RFC 5389/8489 and classic RFC 3489), TURN ones included, and TURN
    /// ChannelData (as Wireshark's STUN dissector shows it).
    Stun,
    /// TURN: ChannelData, and STUN messages of TURN methods (everything but Binding).
    Turn,
    /// DTLS records.
    Dtls,
    /// RTP (or SRTP) packets.
    Rtp,
    /// RTCP (or SRTCP) packets.
    Rtcp,
    /// SCTP packets (over UDP, RFC 6951).
    Sctp,
    /// DCEP messages (RFC 8832): SCTP DATA with PPID 50.
    Dcep,
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// IPv4.
    Ip,
    /// IPv6.
    Ipv6,
    /// ICMP or ICMPv6.
    Icmp,
}

impl Proto {
    /// Every protocol, in the order of their bits in [`crate::Protocols`].
    pub const ALL: [Proto; 12] = [
        Proto::Stun,
        Proto::Turn,
        Proto::Dtls,
        Proto::Rtp,
        Proto::Rtcp,
        Proto::Sctp,
        Proto::Dcep,
        Proto::Udp,
        Proto::Tcp,
        Proto::Ip,
        Proto::Ipv6,
        Proto::Icmp,
    ];

    /// The name a filter writes.
    pub const fn name(self) -> &'static str {
        match self {
            Proto::Stun => "stun",
            Proto::Turn => "turn",
            Proto::Dtls => "dtls",
            Proto::Rtp => "rtp",
            Proto::Rtcp => "rtcp",
            Proto::Sctp => "sctp",
            Proto::Dcep => "dcep",
            Proto::Udp => "udp",
            Proto::Tcp => "tcp",
            Proto::Ip => "ip",
            Proto::Ipv6 => "ipv6",
            Proto::Icmp => "icmp",
        }
    }

    /// Its bit in [`crate::Protocols`].
    pub const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The kind of value a field holds, which decides the literals and operators it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An IPv4 or IPv6 address; compared with `==`/`!=` against an address or a CIDR block.
    Addr,
    /// An unsigned integer no larger than the given maximum; every operator.
    Int(u64),
    /// A flag; `==`/`!=` against `0`, `1`, `true` or `false`.
    Bool,
    /// A STUN message type: a name (`allocate`, `binding_request`, …) or a number.
    StunType,
    /// A byte string (a transaction ID); `==`/`!=` against hex bytes.
    Bytes,
}

/// A field a filter can test (`ip.addr`, `rtp.ssrc`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// Either address of an IP header (IPv4 or IPv6).
    IpAddr,
    /// The source address of an IP header.
    IpSrc,
    /// The destination address of an IP header.
    IpDst,
    /// Either UDP port.
    UdpPort,
    /// The UDP source port.
    UdpSrcport,
    /// The UDP destination port.
    UdpDstport,
    /// Either TCP port.
    TcpPort,
    /// The TCP source port.
    TcpSrcport,
    /// The TCP destination port.
    TcpDstport,
    /// The frame's length on the wire.
    FrameLen,
    /// The frame's number in the capture (from 1).
    FrameNumber,
    /// An RTP packet's SSRC.
    RtpSsrc,
    /// An RTP packet's payload type.
    RtpPt,
    /// An RTP packet's sequence number.
    RtpSeq,
    /// An RTP packet's marker bit.
    RtpMarker,
    /// An RTCP packet's type (200 SR, 201 RR, …).
    RtcpPt,
    /// An RTCP packet's sender SSRC.
    RtcpSsrc,
    /// A STUN message's type.
    StunType,
    /// A STUN message's transaction ID (12 bytes; 16 in classic STUN).
    StunTransaction,
    /// A DTLS record's content type (20 change_cipher_spec, 21 alert, 22 handshake, …).
    DtlsContentType,
    /// A cleartext DTLS handshake fragment's message type (1 client_hello, …).
    DtlsHandshakeType,
    /// An SCTP DATA (or I-DATA) chunk's payload protocol identifier.
    SctpPpid,
    /// The peer a TURN relay carries data to or from (XOR-PEER-ADDRESS of a Send or Data
    /// indication, or the peer a ChannelData channel was bound to).
    TurnPeer,
}

impl Field {
    /// Every field, canonical names first.
    pub const ALL: [Field; 23] = [
        Field::IpAddr,
        Field::IpSrc,
        Field::IpDst,
        Field::UdpPort,
        Field::UdpSrcport,
        Field::UdpDstport,
        Field::TcpPort,
        Field::TcpSrcport,
        Field::TcpDstport,
        Field::FrameLen,
        Field::FrameNumber,
        Field::RtpSsrc,
        Field::RtpPt,
        Field::RtpSeq,
        Field::RtpMarker,
        Field::RtcpPt,
        Field::RtcpSsrc,
        Field::StunType,
        Field::StunTransaction,
        Field::DtlsContentType,
        Field::DtlsHandshakeType,
        Field::SctpPpid,
        Field::TurnPeer,
    ];

    /// Other names accepted for a field (Wireshark's own names where ours differ).
    pub const ALIASES: [(&'static str, Field); 4] = [
        ("stun.id", Field::StunTransaction),
        ("rtcp.senderssrc", Field::RtcpSsrc),
        ("dtls.record.content_type", Field::DtlsContentType),
        ("sctp.data_payload_proto_id", Field::SctpPpid),
    ];

    /// The canonical name.
    pub const fn name(self) -> &'static str {
        match self {
            Field::IpAddr => "ip.addr",
            Field::IpSrc => "ip.src",
            Field::IpDst => "ip.dst",
            Field::UdpPort => "udp.port",
            Field::UdpSrcport => "udp.srcport",
            Field::UdpDstport => "udp.dstport",
            Field::TcpPort => "tcp.port",
            Field::TcpSrcport => "tcp.srcport",
            Field::TcpDstport => "tcp.dstport",
            Field::FrameLen => "frame.len",
            Field::FrameNumber => "frame.number",
            Field::RtpSsrc => "rtp.ssrc",
            Field::RtpPt => "rtp.pt",
            Field::RtpSeq => "rtp.seq",
            Field::RtpMarker => "rtp.marker",
            Field::RtcpPt => "rtcp.pt",
            Field::RtcpSsrc => "rtcp.ssrc",
            Field::StunType => "stun.type",
            Field::StunTransaction => "stun.transaction",
            Field::DtlsContentType => "dtls.content_type",
            Field::DtlsHandshakeType => "dtls.handshake.type",
            Field::SctpPpid => "sctp.ppid",
            Field::TurnPeer => "turn.peer",
        }
    }

    /// The field named `name` (canonical or alias), case-insensitively.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(name))
            .or_else(|| {
                Field::ALIASES
                    .iter()
                    .find(|(a, _)| a.eq_ignore_ascii_case(name))
                    .map(|&(_, f)| f)
            })
    }

    /// What kind of value it holds.
    pub const fn kind(self) -> Kind {
        match self {
            Field::IpAddr | Field::IpSrc | Field::IpDst | Field::TurnPeer => Kind::Addr,
            Field::UdpPort
            | Field::UdpSrcport
            | Field::UdpDstport
            | Field::TcpPort
            | Field::TcpSrcport
            | Field::TcpDstport
            | Field::RtpSeq => Kind::Int(0xFFFF),
            Field::FrameLen | Field::RtpSsrc | Field::RtcpSsrc | Field::SctpPpid => {
                Kind::Int(0xFFFF_FFFF)
            }
            Field::FrameNumber => Kind::Int(u64::MAX),
            Field::RtpPt => Kind::Int(127),
            Field::RtcpPt | Field::DtlsContentType | Field::DtlsHandshakeType => Kind::Int(255),
            Field::RtpMarker => Kind::Bool,
            Field::StunType => Kind::StunType,
            Field::StunTransaction => Kind::Bytes,
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==` (`eq`): some value of the field equals.
    Eq,
    /// `!=` (`ne`): no value of the field equals, exactly `!(field == value)` (as in
    /// Wireshark 3.6 and later).
    Ne,
    /// `<` (`lt`).
    Lt,
    /// `<=` (`le`).
    Le,
    /// `>` (`gt`).
    Gt,
    /// `>=` (`ge`).
    Ge,
}

impl CmpOp {
    /// The symbol the printer writes.
    pub const fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// STUN methods by the names a filter writes, with their 12-bit codes.
pub const STUN_METHODS: [(&str, u16); 12] = [
    ("binding", 0x001),
    ("sharedsecret", 0x002),
    ("allocate", 0x003),
    ("refresh", 0x004),
    ("send", 0x006),
    ("data", 0x007),
    ("createpermission", 0x008),
    ("channelbind", 0x009),
    ("connect", 0x00A),
    ("connectionbind", 0x00B),
    ("connectionattempt", 0x00C),
    ("goog_ping", 0x080),
];

/// STUN classes by the suffix a filter writes (`allocate_error`), with their 2-bit codes.
pub const STUN_CLASSES: [(&str, u8); 4] = [
    ("request", 0b00),
    ("indication", 0b01),
    ("success", 0b10),
    ("error", 0b11),
];

/// The 16-bit STUN message type of a method and class (RFC 8489 §5).
pub const fn stun_type(method: u16, class: u8) -> u16 {
    let m = method & 0x0FFF;
    let c = (class as u16) & 0b11;
    (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
}

/// The method of a 16-bit STUN message type.
pub const fn stun_method(typ: u16) -> u16 {
    (typ & 0x000F) | ((typ & 0x00E0) >> 1) | ((typ & 0x3E00) >> 2)
}

/// A literal, already checked against its field's [`Kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// An address, or a CIDR block when `prefix` is shorter than the address.
    Net {
        /// The address as written.
        addr: IpAddr,
        /// Prefix length (32 or 128 for a single address).
        prefix: u8,
    },
    /// An integer (written in decimal, `0x` hex, or a registered name).
    Int(u64),
    /// A flag.
    Bool(bool),
    /// A STUN method by name, of any class (`None`) or of one class.
    StunName {
        /// The 12-bit method.
        method: u16,
        /// The 2-bit class, when named.
        class: Option<u8>,
    },
    /// Bytes (at most 16), written as `0x…` hex or colon-separated hex bytes.
    Bytes {
        /// The bytes, zero after `len`.
        bytes: [u8; 16],
        /// How many are used.
        len: u8,
    },
}

impl Value {
    /// Whether `addr` falls in this block (false for non-address values and for a family
    /// that differs). A prefix longer than the address counts as the whole address.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let Value::Net { addr: net, prefix } = *self else {
            return false;
        };
        match (net, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32u32.saturating_sub(u32::from(prefix)))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128u32.saturating_sub(u32::from(prefix)))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }

    fn fmt_for(&self, field: Field, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::Net { addr, prefix } => {
                let full = if addr.is_ipv4() { 32 } else { 128 };
                if prefix == full {
                    write!(f, "{addr}")
                } else {
                    write!(f, "{addr}/{prefix}")
                }
            }
            Value::Int(v) => match field {
                Field::RtpSsrc | Field::RtcpSsrc => write!(f, "0x{v:08x}"),
                Field::StunType => write!(f, "0x{v:04x}"),
                _ => write!(f, "{v}"),
            },
            Value::Bool(b) => write!(f, "{b}"),
            Value::StunName { method, class } => {
                let name = STUN_METHODS
                    .iter()
                    .find(|(_, m)| *m == method)
                    .map_or("?", |(n, _)| n);
                f.write_str(name)?;
                if let Some(c) = class {
                    let suffix = STUN_CLASSES
                        .iter()
                        .find(|(_, k)| *k == c)
                        .map_or("?", |(n, _)| n);
                    write!(f, "_{suffix}")?;
                }
                Ok(())
            }
            Value::Bytes { bytes, len } => {
                f.write_str("0x")?;
                for b in &bytes[..usize::from(len.min(16))] {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

/// A filter expression.
///
/// `And` and `Or` hold two or more operands, in order; `a && b && c` is one `And` of three,
/// `(a && b) && c` an `And` whose first operand is an `And`. Trees built by [`crate::parse`]
/// are at most [`crate::MAX_DEPTH`] levels deep.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    /// A bare protocol name: the packet carries it.
    Proto(Proto),
    /// A bare field name: the packet has the field.
    Has(Field),
    /// `field op value`.
    Cmp(Field, CmpOp, Value),
    /// `!expr`.
    Not(Box<Expr>),
    /// `a && b && …`.
    And(Vec<Expr>),
    /// `a || b || …`.
    Or(Vec<Expr>),
}

impl Expr {
    fn is_atom(&self) -> bool {
        matches!(self, Expr::Proto(_) | Expr::Has(_) | Expr::Cmp(..))
    }

    fn fmt_operands(
        f: &mut fmt::Formatter<'_>,
        operands: &[Expr],
        op: &str,
        needs_parens: impl Fn(&Expr) -> bool,
    ) -> fmt::Result {
        for (i, e) in operands.iter().enumerate() {
            if i > 0 {
                write!(f, " {op} ")?;
            }
            if needs_parens(e) {
                write!(f, "({e})")?;
            } else {
                write!(f, "{e}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Proto(p) => f.write_str(p.name()),
            Expr::Has(field) => f.write_str(field.name()),
            Expr::Cmp(field, op, value) => {
                write!(f, "{} {} ", field.name(), op.symbol())?;
                value.fmt_for(*field, f)
            }
            Expr::Not(e) if e.is_atom() || matches!(**e, Expr::Not(_)) => write!(f, "!{e}"),
            Expr::Not(e) => write!(f, "!({e})"),
            Expr::And(v) => {
                Expr::fmt_operands(f, v, "&&", |e| matches!(e, Expr::And(_) | Expr::Or(_)))
            }
            Expr::Or(v) => Expr::fmt_operands(f, v, "||", |e| matches!(e, Expr::Or(_))),
        }
    }
}
