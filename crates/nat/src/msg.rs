//! STUN messages as the NAT check, the TURN check and the server use them: building Binding
//! requests and reading the addresses out of a response, on top of `rtcscope-stun`.

use rtcscope_stun::{
    Attribute, Class, ErrorCode, Flavor, Message, MessageBuilder, Method, TransactionId,
};
use std::net::SocketAddr;

/// What a Binding response (or any STUN response) says, decoded once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The transaction ID bytes (12, or 16 for classic STUN).
    pub transaction_id: Vec<u8>,
    /// True for a success response, false for an error response.
    pub success: bool,
    /// ERROR-CODE, for an error response.
    pub error: Option<(u16, String)>,
    /// XOR-MAPPED-ADDRESS (or the pre-RFC 5389 0x8020 code point).
    pub xor_mapped: Option<SocketAddr>,
    /// MAPPED-ADDRESS.
    pub mapped: Option<SocketAddr>,
    /// OTHER-ADDRESS (RFC 5780).
    pub other_address: Option<SocketAddr>,
    /// CHANGED-ADDRESS (RFC 3489), which older servers send instead of OTHER-ADDRESS.
    pub changed_address: Option<SocketAddr>,
    /// RESPONSE-ORIGIN (RFC 5780).
    pub response_origin: Option<SocketAddr>,
    /// SOURCE-ADDRESS (RFC 3489).
    pub source_address: Option<SocketAddr>,
    /// XOR-RELAYED-ADDRESS (TURN).
    pub relayed: Option<SocketAddr>,
    /// LIFETIME (TURN).
    pub lifetime: Option<u32>,
    /// REALM.
    pub realm: Option<String>,
    /// NONCE.
    pub nonce: Option<String>,
    /// SOFTWARE.
    pub software: Option<String>,
    /// The method of the response.
    pub method: u16,
}

impl Response {
    /// The reflexive address: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS.
    pub fn reflexive(&self) -> Option<SocketAddr> {
        self.xor_mapped.or(self.mapped)
    }

    /// The server's other address: OTHER-ADDRESS, else CHANGED-ADDRESS.
    pub fn other(&self) -> Option<SocketAddr> {
        self.other_address.or(self.changed_address)
    }

    /// True when MAPPED-ADDRESS and XOR-MAPPED-ADDRESS are both present and differ: something
    /// on the path (an application-level gateway) rewrote the plain address.
    pub fn alg_rewrite(&self) -> bool {
        matches!((self.mapped, self.xor_mapped), (Some(m), Some(x)) if m != x)
    }

    /// The error code number, if an error response.
    pub fn error_code(&self) -> Option<u16> {
        self.error.as_ref().map(|e| e.0)
    }
}

/// Parses a datagram as a STUN response (success or error); `None` for anything else,
/// including requests, indications and malformed messages.
pub fn parse_response(buf: &[u8]) -> Option<Response> {
    let msg = Message::parse(buf).ok()?;
    let class = msg.class();
    if class != Class::SUCCESS && class != Class::ERROR {
        return None;
    }
    let mut r = Response {
        transaction_id: msg.transaction_id().as_bytes().to_vec(),
        success: class == Class::SUCCESS,
        method: msg.method().0,
        ..Response::default()
    };
    for a in msg.attributes() {
        let Ok(a) = a.and_then(|a| a.decode()) else {
            // A malformed attribute: keep what came before it (lax, like the views).
            break;
        };
        match a {
            Attribute::XorMappedAddress(x) | Attribute::XorMappedAddressDraft(x) => {
                r.xor_mapped.get_or_insert(x);
            }
            Attribute::MappedAddress(x) => {
                r.mapped.get_or_insert(x);
            }
            Attribute::OtherAddress(x) => r.other_address = Some(x),
            Attribute::ChangedAddress(x) => r.changed_address = Some(x),
            Attribute::ResponseOrigin(x) => r.response_origin = Some(x),
            Attribute::SourceAddress(x) => r.source_address = Some(x),
            Attribute::XorRelayedAddress(x) => {
                r.relayed.get_or_insert(x);
            }
            Attribute::Lifetime(l) => r.lifetime = Some(l),
            Attribute::Realm(s) => r.realm = Some(s.into_owned()),
            Attribute::Nonce(s) => r.nonce = Some(s.into_owned()),
            Attribute::Software(s) => r.software = Some(s.into_owned()),
            Attribute::ErrorCode { code, reason } => r.error = Some((code.0, reason.into_owned())),
            _ => {}
        }
    }
    Some(r)
}

/// Parses a datagram as a STUN request of any method; returns its transaction ID bytes.
pub fn request_id(buf: &[u8]) -> Option<Vec<u8>> {
    let msg = Message::parse(buf).ok()?;
    (msg.class() == Class::REQUEST).then(|| msg.transaction_id().as_bytes().to_vec())
}

/// Builds a Binding request with FINGERPRINT, optionally with CHANGE-REQUEST and RESPONSE-PORT.
pub fn binding_request(
    id: [u8; 12],
    change_ip: bool,
    change_port: bool,
    response_port: Option<u16>,
) -> Vec<u8> {
    let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389(id));
    if change_ip || change_port {
        b.add(&Attribute::ChangeRequest {
            change_ip,
            change_port,
        });
    }
    if let Some(p) = response_port {
        b.add(&Attribute::ResponsePort(p));
    }
    b.fingerprint();
    b.finish()
        .expect("a Binding request is a few dozen bytes long")
}

/// The size `rtcscope nat` pads its first Binding request of each server to: room for every
/// attribute an RFC 5780 server may answer with over IPv6 (XOR-MAPPED-ADDRESS,
/// MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS and FINGERPRINT), so that a server that
/// answers small requests with only the reflexive address (as `rtcscope stun-server` does)
/// still advertises its other address.
pub const PADDED_BINDING_BYTES: usize = 20 + 4 * 24 + 8;

/// Builds a Binding request with FINGERPRINT, padded to `size` bytes (rounded up to four, at
/// least 36) with a SOFTWARE attribute. SOFTWARE, unlike RFC 5780's PADDING, is
/// comprehension-optional: a plain RFC 5389 server ignores it instead of answering 420.
pub fn padded_binding_request(id: [u8; 12], size: usize) -> Vec<u8> {
    const NAME: &str = "rtcscope NAT check";
    let value = size.saturating_sub(20 + 8 + 4).max(NAME.len()).div_ceil(4) * 4;
    let mut software = String::with_capacity(value);
    software.push_str(NAME);
    while software.len() < value {
        software.push(' ');
    }
    let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389(id));
    b.add(&Attribute::Software(software.into()));
    b.fingerprint();
    b.finish()
        .expect("a padded Binding request is at most a few kilobytes")
}

/// What a datagram that came from a server is, for telling a broken server from silence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Datagram {
    /// A well-formed STUN response (success or error).
    Response(Box<Response>),
    /// A well-formed STUN request; its transaction ID.
    Request(Vec<u8>),
    /// A well-formed STUN indication.
    Indication,
    /// A STUN header (two zero bits, the magic cookie) on a message that does not parse:
    /// truncated, bad lengths, bad attributes.
    Malformed,
    /// Not STUN at all.
    NotStun,
}

/// Sorts a datagram into a [`Datagram`].
pub fn classify(buf: &[u8]) -> Datagram {
    match Message::parse(buf) {
        Ok(m) if m.class() == Class::REQUEST => {
            Datagram::Request(m.transaction_id().as_bytes().to_vec())
        }
        Ok(m) if m.class() == Class::INDICATION => Datagram::Indication,
        Ok(_) => match parse_response(buf) {
            Some(r) => Datagram::Response(Box::new(r)),
            None => Datagram::Malformed,
        },
        Err(_) if looks_like_stun(buf) => Datagram::Malformed,
        Err(_) => Datagram::NotStun,
    }
}

/// True when `buf` starts like a STUN message (two zero bits, the magic cookie), whether or not
/// the rest parses: a malformed message, not some other protocol.
pub fn looks_like_stun(buf: &[u8]) -> bool {
    buf.len() >= 8 && buf[0] & 0xC0 == 0 && buf[4..8] == rtcscope_stun::MAGIC_COOKIE.to_be_bytes()
}

/// The flavor of a STUN transaction ID.
pub fn flavor_of(id: &[u8]) -> Flavor {
    if id.len() == 16 {
        Flavor::Rfc3489
    } else {
        Flavor::Rfc5389
    }
}

/// Explains a STUN/TURN error code in plain language.
pub fn explain_error(code: u16) -> &'static str {
    match ErrorCode(code) {
        ErrorCode::TRY_ALTERNATE => "the server redirects to another server (ALTERNATE-SERVER)",
        ErrorCode::BAD_REQUEST => "the server found the request malformed",
        ErrorCode::UNAUTHENTICATED => {
            "authentication failed: wrong username or password, or the credentials expired"
        }
        ErrorCode::FORBIDDEN => "the server forbids this (e.g. the peer address is not allowed)",
        ErrorCode::UNKNOWN_ATTRIBUTE => {
            "the server does not understand a comprehension-required attribute (for a NAT check: it does not support RFC 5780 CHANGE-REQUEST)"
        }
        ErrorCode::ALLOCATION_MISMATCH => {
            "allocation mismatch: an allocation already exists for this 5-tuple, or none exists for a Refresh"
        }
        ErrorCode::STALE_NONCE => "the nonce expired; the client retries with the new one",
        ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED => "the server cannot relay that address family",
        ErrorCode::WRONG_CREDENTIALS => {
            "wrong credentials: the username differs from the one that created the allocation"
        }
        ErrorCode::UNSUPPORTED_TRANSPORT_PROTOCOL => {
            "the server does not relay the requested transport protocol"
        }
        ErrorCode::PEER_ADDRESS_FAMILY_MISMATCH => {
            "the peer address family differs from the relayed address family"
        }
        ErrorCode::ALLOCATION_QUOTA_REACHED => {
            "allocation quota reached: this user has too many allocations on the server"
        }
        ErrorCode::SERVER_ERROR => "the server had a temporary error",
        ErrorCode::INSUFFICIENT_CAPACITY => {
            "the server has no more relay ports or bandwidth (insufficient capacity)"
        }
        _ => "an error the check does not know",
    }
}

/// A small deterministic generator (SplitMix64) for transaction IDs, seeded from the OS at the
/// socket edge and from a constant in tests.
#[derive(Clone, Debug)]
pub struct IdGen(u64);

impl IdGen {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        IdGen(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A fresh 96-bit transaction ID.
    pub fn transaction_id(&mut self) -> [u8; 12] {
        let a = self.next_u64().to_be_bytes();
        let b = self.next_u64().to_be_bytes();
        let mut id = [0u8; 12];
        id[..8].copy_from_slice(&a);
        id[8..].copy_from_slice(&b[..4]);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_request_round_trips_change_request_and_response_port() {
        let req = binding_request([3; 12], true, false, Some(40000));
        let msg = Message::parse(&req).unwrap();
        assert_eq!(msg.method(), Method::BINDING);
        assert_eq!(msg.class(), Class::REQUEST);
        let attrs: Vec<_> = msg
            .attributes()
            .map(|a| a.unwrap().decode().unwrap())
            .collect();
        assert_eq!(
            attrs[0],
            Attribute::ChangeRequest {
                change_ip: true,
                change_port: false
            }
        );
        assert_eq!(attrs[1], Attribute::ResponsePort(40000));
        assert_eq!(request_id(&req).unwrap(), vec![3; 12]);
        assert!(
            parse_response(&req).is_none(),
            "a request is not a response"
        );
    }

    #[test]
    fn response_reports_alg_rewrite() {
        let mut b = MessageBuilder::success(Method::BINDING, TransactionId::Rfc5389([1; 12]));
        b.add(&Attribute::MappedAddress("10.0.0.2:5000".parse().unwrap()))
            .add(&Attribute::XorMappedAddress(
                "203.0.113.1:5000".parse().unwrap(),
            ));
        let r = parse_response(&b.finish().unwrap()).unwrap();
        assert!(r.success);
        assert!(r.alg_rewrite());
        assert_eq!(r.reflexive(), Some("203.0.113.1:5000".parse().unwrap()));
    }

    #[test]
    fn padded_request_has_the_size_asked_and_parses() {
        for size in [0, 36, 76, PADDED_BINDING_BYTES, 125, 2052] {
            let req = padded_binding_request([4; 12], size);
            assert_eq!(req.len(), size.max(52).div_ceil(4) * 4, "{size}");
            let m = Message::parse(&req).unwrap();
            assert_eq!(m.verify_fingerprint(), Ok(rtcscope_stun::Check::Valid));
            assert_eq!(request_id(&req).unwrap(), vec![4; 12]);
        }
    }

    #[test]
    fn datagrams_are_classified() {
        let req = binding_request([5; 12], false, false, None);
        assert_eq!(classify(&req), Datagram::Request(vec![5; 12]));
        let mut b = MessageBuilder::success(Method::BINDING, TransactionId::Rfc5389([6; 12]));
        b.add(&Attribute::XorMappedAddress(
            "203.0.113.1:5".parse().unwrap(),
        ));
        let resp = b.finish().unwrap();
        assert!(matches!(classify(&resp), Datagram::Response(r) if r.transaction_id == [6; 12]));
        assert_eq!(classify(&resp[..resp.len() - 4]), Datagram::Malformed);
        assert_eq!(
            classify(b"HTTP/1.1 400 Bad Request\r\n\r\n"),
            Datagram::NotStun
        );
        assert_eq!(classify(&[]), Datagram::NotStun);
    }

    #[test]
    fn ids_differ() {
        let mut g = IdGen::new(1);
        assert_ne!(g.transaction_id(), g.transaction_id());
    }
}
