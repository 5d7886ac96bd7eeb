//! Evaluation: any-value semantics, as in Wireshark.
//!
//! A comparison is true when some value of the field in the frame satisfies it (`rtp.ssrc ==
//! X` matches a frame whose second RTP packet has SSRC X); `!=` is exactly the negation of
//! `==`, so `ip.addr != X` means "X is in no IP header" (Wireshark 3.6 and later). A field the
//! frame lacks satisfies no comparison. Nothing here allocates, and recursion is bounded by
//! the parser's [`crate::MAX_DEPTH`].

use crate::ast::{stun_method, stun_type, CmpOp, Expr, Field, Value};
use crate::fields::Fields;

impl Expr {
    /// Whether the frame described by `f` matches.
    pub fn matches(&self, f: &Fields) -> bool {
        match self {
            Expr::Proto(p) => f.protocols.contains(*p),
            Expr::Has(field) => has(*field, f),
            Expr::Cmp(field, CmpOp::Ne, value) => !any(*field, CmpOp::Eq, value, f),
            Expr::Cmp(field, op, value) => any(*field, *op, value, f),
            Expr::Not(e) => !e.matches(f),
            Expr::And(v) => v.iter().all(|e| e.matches(f)),
            Expr::Or(v) => v.iter().any(|e| e.matches(f)),
        }
    }
}

fn has(field: Field, f: &Fields) -> bool {
    match field {
        Field::IpAddr | Field::IpSrc | Field::IpDst => !f.ip.is_empty(),
        Field::UdpPort | Field::UdpSrcport | Field::UdpDstport => !f.udp.is_empty(),
        Field::TcpPort | Field::TcpSrcport | Field::TcpDstport => !f.tcp.is_empty(),
        Field::FrameLen => f.frame_len.is_some(),
        Field::FrameNumber => f.frame_number.is_some(),
        Field::RtpSsrc | Field::RtpPt | Field::RtpSeq | Field::RtpMarker => !f.rtp.is_empty(),
        Field::RtcpPt => !f.rtcp_pt.is_empty(),
        Field::RtcpSsrc => !f.rtcp_ssrc.is_empty(),
        Field::StunType | Field::StunTransaction => !f.stun_type.is_empty(),
        Field::DtlsContentType => !f.dtls_content_type.is_empty(),
        Field::DtlsHandshakeType => !f.dtls_handshake_type.is_empty(),
        Field::SctpPpid => !f.sctp_ppid.is_empty(),
        Field::TurnPeer => !f.turn_peer.is_empty(),
    }
}

fn int_cmp(op: CmpOp, a: u64, b: u64) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

/// Some value of `field` satisfies `op value` (`op` is never `Ne` here but handled anyway).
fn any(field: Field, op: CmpOp, value: &Value, f: &Fields) -> bool {
    let int = |v: u64| match *value {
        Value::Int(x) => int_cmp(op, v, x),
        _ => false,
    };
    let eq = |b: bool| if op == CmpOp::Ne { !b } else { b };
    match field {
        Field::IpAddr => {
            f.ip.iter()
                .any(|(s, d)| eq(value.contains(s)) || eq(value.contains(d)))
        }
        Field::IpSrc => f.ip.iter().any(|(s, _)| eq(value.contains(s))),
        Field::IpDst => f.ip.iter().any(|(_, d)| eq(value.contains(d))),
        Field::TurnPeer => f.turn_peer.iter().any(|p| eq(value.contains(p))),
        Field::UdpPort => f
            .udp
            .iter()
            .any(|(s, d)| int(u64::from(s)) || int(u64::from(d))),
        Field::UdpSrcport => f.udp.iter().any(|(s, _)| int(u64::from(s))),
        Field::UdpDstport => f.udp.iter().any(|(_, d)| int(u64::from(d))),
        Field::TcpPort => f
            .tcp
            .iter()
            .any(|(s, d)| int(u64::from(s)) || int(u64::from(d))),
        Field::TcpSrcport => f.tcp.iter().any(|(s, _)| int(u64::from(s))),
        Field::TcpDstport => f.tcp.iter().any(|(_, d)| int(u64::from(d))),
        Field::FrameLen => f.frame_len.is_some_and(|l| int(u64::from(l))),
        Field::FrameNumber => f.frame_number.is_some_and(int),
        Field::RtpSsrc => f.rtp.iter().any(|h| int(u64::from(h.ssrc))),
        Field::RtpPt => f.rtp.iter().any(|h| int(u64::from(h.pt))),
        Field::RtpSeq => f.rtp.iter().any(|h| int(u64::from(h.seq))),
        Field::RtpMarker => f.rtp.iter().any(|h| match *value {
            Value::Bool(b) => eq(h.marker == b),
            _ => false,
        }),
        Field::RtcpPt => f.rtcp_pt.iter().any(|p| int(u64::from(p))),
        Field::RtcpSsrc => f.rtcp_ssrc.iter().any(|s| int(u64::from(s))),
        Field::StunType => f.stun_type.iter().any(|t| match *value {
            Value::Int(x) => eq(u64::from(t) == x),
            Value::StunName {
                method,
                class: None,
            } => eq(stun_method(t) == method),
            Value::StunName {
                method,
                class: Some(c),
            } => eq(t == stun_type(method, c)),
            _ => false,
        }),
        Field::StunTransaction => f.stun_transaction.iter().any(|t| match value {
            Value::Bytes { bytes, len } => {
                eq(t.as_bytes() == &bytes[..usize::from((*len).min(16))])
            }
            _ => false,
        }),
        Field::DtlsContentType => f.dtls_content_type.iter().any(|c| int(u64::from(c))),
        Field::DtlsHandshakeType => f.dtls_handshake_type.iter().any(|c| int(u64::from(c))),
        Field::SctpPpid => f.sctp_ppid.iter().any(|p| int(u64::from(p))),
    }
}
