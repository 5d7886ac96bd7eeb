//! The STUN server as a sans-IO request handler: RFC 5780 behaviour discovery (OTHER-ADDRESS,
//! RESPONSE-ORIGIN, CHANGE-REQUEST, RESPONSE-PORT), plain RFC 5389/8489 Binding, and classic
//! RFC 3489 Binding (MAPPED-ADDRESS, SOURCE-ADDRESS, CHANGED-ADDRESS).
//!
//! # What it never does (amplification safeguards)
//!
//! * It answers only Binding requests; indications, responses, other methods and malformed
//!   datagrams are dropped without a word.
//! * A response is never larger than the request plus [`MAX_EXTRA_BYTES`]; PADDING is not
//!   echoed.
//! * A response goes only to the IP address the request came from: RESPONSE-ADDRESS (RFC 3489)
//!   is ignored, and RESPONSE-PORT only changes the port, never to one below 1024.
//! * Each source IP address has a token bucket ([`ServerConfig::rate`], [`ServerConfig::burst`]);
//!   the table of sources is bounded ([`ServerConfig::max_sources`]), and when it is full new
//!   sources are dropped rather than older ones forgotten early.
//! * Datagrams from port 0, or from one of the server's own addresses, are dropped (no loops).

use rtcscope_stun::{
    Attribute, AttributeList, AttributeType, Check, Class, ErrorCode, Flavor, Message,
    MessageBuilder, Method,
};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// A response is never more than this many bytes longer than its request.
pub const MAX_EXTRA_BYTES: usize = 128;

/// One of the (up to four) sockets: which address and which port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// On the alternate IP address.
    pub alt_ip: bool,
    /// On the alternate port.
    pub alt_port: bool,
}

impl Endpoint {
    /// The primary address and port.
    pub const PRIMARY: Endpoint = Endpoint {
        alt_ip: false,
        alt_port: false,
    };
}

/// Server settings for one address family.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Primary IP address.
    pub primary_ip: IpAddr,
    /// Alternate IP address (RFC 5780 needs one).
    pub alternate_ip: Option<IpAddr>,
    /// Primary port (3478).
    pub port: u16,
    /// Alternate port (RFC 5780 needs one).
    pub alternate_port: Option<u16>,
    /// Responses per second per source IP address.
    pub rate: f64,
    /// Burst size per source IP address.
    pub burst: f64,
    /// Most source addresses tracked at once.
    pub max_sources: usize,
}

impl ServerConfig {
    /// A server on `primary_ip:port`, with defaults for the safeguards (500 responses per
    /// second per source, bursts of 1000, 65536 sources).
    pub fn new(primary_ip: IpAddr, port: u16) -> Self {
        ServerConfig {
            primary_ip,
            alternate_ip: None,
            port,
            alternate_port: None,
            rate: 500.0,
            burst: 1000.0,
            max_sources: 65536,
        }
    }

    /// True when both an alternate address and an alternate port are set (RFC 5780 mode).
    pub fn rfc5780(&self) -> bool {
        self.alternate_ip.is_some() && self.alternate_port.is_some()
    }

    /// The sockets to open: every combination of the configured addresses and ports.
    pub fn endpoints(&self) -> Vec<(Endpoint, SocketAddr)> {
        let mut v = Vec::new();
        for alt_ip in [false, true] {
            for alt_port in [false, true] {
                let e = Endpoint { alt_ip, alt_port };
                if let Some(a) = self.address(e) {
                    v.push((e, a));
                }
            }
        }
        v
    }

    /// The socket address of an endpoint, if configured.
    pub fn address(&self, e: Endpoint) -> Option<SocketAddr> {
        let ip = if e.alt_ip {
            self.alternate_ip?
        } else {
            self.primary_ip
        };
        let port = if e.alt_port {
            self.alternate_port?
        } else {
            self.port
        };
        Some(SocketAddr::new(ip, port))
    }
}

/// A response to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The socket to send from.
    pub from: Endpoint,
    /// The destination.
    pub to: SocketAddr,
    /// The response.
    pub payload: Vec<u8>,
}

/// Why a datagram got no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// Not a well-formed STUN message.
    Malformed,
    /// Not a Binding request.
    NotBindingRequest,
    /// FINGERPRINT present and wrong.
    BadFingerprint,
    /// Source port 0 or one of the server's own addresses.
    BadSource,
    /// The source is over its rate.
    RateLimited,
    /// The response would have been too large.
    TooLarge,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Counters for the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Responses sent (success and error).
    pub answered: u64,
    /// Datagrams dropped as malformed or not a Binding request.
    pub malformed: u64,
    /// Dropped by the rate limit.
    pub rate_limited: u64,
    /// Classic RFC 3489 requests answered.
    pub classic: u64,
}

/// The request handler; see the [module docs](self).
#[derive(Debug)]
pub struct StunServer {
    cfg: ServerConfig,
    buckets: HashMap<IpAddr, Bucket>,
    stats: Stats,
}

impl StunServer {
    /// A handler for `cfg`.
    pub fn new(cfg: ServerConfig) -> Self {
        StunServer {
            cfg,
            buckets: HashMap::new(),
            stats: Stats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.cfg
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    fn allow(&mut self, now: Instant, ip: IpAddr) -> bool {
        if !self.buckets.contains_key(&ip) && self.buckets.len() >= self.cfg.max_sources {
            // Forget sources idle long enough to have a full bucket again, then retry.
            let full = Duration::from_secs_f64(self.cfg.burst / self.cfg.rate.max(1e-9));
            self.buckets
                .retain(|_, b| now.saturating_duration_since(b.last) < full);
            if self.buckets.len() >= self.cfg.max_sources {
                return false;
            }
        }
        let b = self.buckets.entry(ip).or_insert(Bucket {
            tokens: self.cfg.burst,
            last: now,
        });
        let dt = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + dt * self.cfg.rate).min(self.cfg.burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn is_own(&self, a: SocketAddr) -> bool {
        self.cfg.endpoints().iter().any(|(_, s)| *s == a)
    }

    /// Handles one datagram that arrived on endpoint `at` from `src`.
    pub fn handle(
        &mut self,
        now: Instant,
        at: Endpoint,
        src: SocketAddr,
        data: &[u8],
    ) -> Result<Reply, Dropped> {
        let r = self.handle_inner(now, at, src, data);
        match &r {
            Ok(_) => self.stats.answered += 1,
            Err(Dropped::RateLimited) => self.stats.rate_limited += 1,
            Err(_) => self.stats.malformed += 1,
        }
        r
    }

    fn handle_inner(
        &mut self,
        now: Instant,
        at: Endpoint,
        src: SocketAddr,
        data: &[u8],
    ) -> Result<Reply, Dropped> {
        if src.port() == 0 || self.is_own(src) {
            return Err(Dropped::BadSource);
        }
        let msg = Message::parse(data).map_err(|_| Dropped::Malformed)?;
        if msg.class() != Class::REQUEST || msg.method() != Method::BINDING {
            return Err(Dropped::NotBindingRequest);
        }
        let mut change = (false, false);
        let mut response_port = None;
        let mut unknown = Vec::new();
        for a in msg.attributes() {
            let raw = a.map_err(|_| Dropped::Malformed)?;
            let Ok(attr) = raw.decode() else {
                return Err(Dropped::Malformed);
            };
            match attr {
                Attribute::ChangeRequest {
                    change_ip,
                    change_port,
                } => change = (change_ip, change_port),
                Attribute::ResponsePort(p) => response_port = Some(p),
                // At most eight listed: an error response stays small.
                Attribute::Other { typ, .. }
                    if typ.is_comprehension_required() && unknown.len() < 8 =>
                {
                    unknown.push(typ)
                }
                _ => {}
            }
        }
        if msg.flavor() == Flavor::Rfc5389 && msg.verify_fingerprint().is_err() {
            return Err(Dropped::BadFingerprint);
        }
        let fingerprint = msg.verify_fingerprint() == Ok(Check::Valid);
        if !self.allow(now, src.ip()) {
            return Err(Dropped::RateLimited);
        }
        let tid = msg.transaction_id();
        let classic = msg.flavor() == Flavor::Rfc3489;
        // A change the server cannot make is reported like an unknown CHANGE-REQUEST.
        let cannot_change = (change.0 && self.cfg.alternate_ip.is_none())
            || (change.1 && self.cfg.alternate_port.is_none());
        if cannot_change {
            unknown.push(AttributeType::CHANGE_REQUEST);
        }
        if response_port.is_some() && !self.cfg.rfc5780() {
            unknown.push(AttributeType::RESPONSE_PORT);
        }
        let error = |code: ErrorCode, reason: &str, unknown: &[AttributeType]| {
            let mut b = MessageBuilder::error(Method::BINDING, tid);
            b.add(&Attribute::ErrorCode {
                code,
                reason: reason.into(),
            });
            if !unknown.is_empty() {
                b.add(&Attribute::UnknownAttributes(AttributeList::from_types(
                    unknown,
                )));
            }
            if fingerprint {
                b.fingerprint();
            }
            b.finish().map_err(|_| Dropped::TooLarge)
        };
        let (from, to, payload) = if !unknown.is_empty() {
            (
                at,
                src,
                error(ErrorCode::UNKNOWN_ATTRIBUTE, "Unknown Attribute", &unknown)?,
            )
        } else if response_port.is_some_and(|p| p < 1024) {
            (
                at,
                src,
                error(
                    ErrorCode::BAD_REQUEST,
                    "RESPONSE-PORT below 1024 refused",
                    &[],
                )?,
            )
        } else {
            let from = Endpoint {
                alt_ip: at.alt_ip ^ change.0,
                alt_port: at.alt_port ^ change.1,
            };
            let origin = self.cfg.address(from).ok_or(Dropped::TooLarge)?;
            let other = self.cfg.address(Endpoint {
                alt_ip: !at.alt_ip,
                alt_port: !at.alt_port,
            });
            let to = SocketAddr::new(src.ip(), response_port.unwrap_or(src.port()));
            let mut b = MessageBuilder::success(Method::BINDING, tid);
            if classic {
                self.stats.classic += 1;
                b.add(&Attribute::MappedAddress(src))
                    .add(&Attribute::SourceAddress(origin));
                if let Some(o) = other {
                    b.add(&Attribute::ChangedAddress(o));
                }
            } else {
                b.add(&Attribute::XorMappedAddress(src))
                    .add(&Attribute::MappedAddress(src));
                if self.cfg.rfc5780() {
                    b.add(&Attribute::ResponseOrigin(origin));
                    if let Some(o) = other {
                        b.add(&Attribute::OtherAddress(o));
                    }
                }
                if fingerprint {
                    b.fingerprint();
                }
            }
            (from, to, b.finish().map_err(|_| Dropped::TooLarge)?)
        };
        if payload.len() > data.len() + MAX_EXTRA_BYTES {
            return Err(Dropped::TooLarge);
        }
        Ok(Reply { from, to, payload })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg;
    use rtcscope_stun::TransactionId;

    fn cfg() -> ServerConfig {
        let mut c = ServerConfig::new("198.51.100.2".parse().unwrap(), 3478);
        c.alternate_ip = Some("198.51.100.3".parse().unwrap());
        c.alternate_port = Some(3479);
        c
    }

    fn client() -> SocketAddr {
        "203.0.113.1:40000".parse().unwrap()
    }

    #[test]
    fn binding_answer_has_rfc5780_attributes() {
        let mut s = StunServer::new(cfg());
        let req = msg::binding_request([1; 12], false, false, None);
        let r = s
            .handle(Instant::now(), Endpoint::PRIMARY, client(), &req)
            .unwrap();
        assert_eq!(r.from, Endpoint::PRIMARY);
        assert_eq!(r.to, client());
        let resp = msg::parse_response(&r.payload).unwrap();
        assert_eq!(resp.xor_mapped, Some(client()));
        assert_eq!(resp.mapped, Some(client()));
        assert_eq!(
            resp.response_origin,
            Some("198.51.100.2:3478".parse().unwrap())
        );
        assert_eq!(
            resp.other_address,
            Some("198.51.100.3:3479".parse().unwrap())
        );
        assert!(r.payload.len() <= req.len() + MAX_EXTRA_BYTES);
    }

    #[test]
    fn change_request_picks_the_socket() {
        let mut s = StunServer::new(cfg());
        let now = Instant::now();
        let req = msg::binding_request([2; 12], true, true, None);
        let r = s.handle(now, Endpoint::PRIMARY, client(), &req).unwrap();
        assert_eq!(
            r.from,
            Endpoint {
                alt_ip: true,
                alt_port: true
            }
        );
        let resp = msg::parse_response(&r.payload).unwrap();
        assert_eq!(
            resp.response_origin,
            Some("198.51.100.3:3479".parse().unwrap())
        );
        let req = msg::binding_request([3; 12], false, true, None);
        let r = s.handle(now, Endpoint::PRIMARY, client(), &req).unwrap();
        assert_eq!(
            r.from,
            Endpoint {
                alt_ip: false,
                alt_port: true
            }
        );
    }

    #[test]
    fn plain_server_refuses_change_request_and_omits_other_address() {
        let mut s = StunServer::new(ServerConfig::new("198.51.100.130".parse().unwrap(), 3478));
        let now = Instant::now();
        let r = s
            .handle(
                now,
                Endpoint::PRIMARY,
                client(),
                &msg::binding_request([4; 12], false, false, None),
            )
            .unwrap();
        let resp = msg::parse_response(&r.payload).unwrap();
        assert!(resp.other().is_none() && resp.response_origin.is_none());
        let r = s
            .handle(
                now,
                Endpoint::PRIMARY,
                client(),
                &msg::binding_request([5; 12], true, false, None),
            )
            .unwrap();
        assert_eq!(
            msg::parse_response(&r.payload).unwrap().error_code(),
            Some(420)
        );
    }

    #[test]
    fn response_port_changes_only_the_port() {
        let mut s = StunServer::new(cfg());
        let now = Instant::now();
        let r = s
            .handle(
                now,
                Endpoint::PRIMARY,
                client(),
                &msg::binding_request([6; 12], false, false, Some(50000)),
            )
            .unwrap();
        assert_eq!(r.to, "203.0.113.1:50000".parse().unwrap());
        let r = s
            .handle(
                now,
                Endpoint::PRIMARY,
                client(),
                &msg::binding_request([7; 12], false, false, Some(53)),
            )
            .unwrap();
        assert_eq!(r.to, client());
        assert_eq!(
            msg::parse_response(&r.payload).unwrap().error_code(),
            Some(400)
        );
    }

    #[test]
    fn classic_request_gets_classic_answer() {
        let mut s = StunServer::new(cfg());
        let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc3489([9; 16]));
        b.add(&Attribute::ChangeRequest {
            change_ip: false,
            change_port: true,
        });
        let req = b.finish().unwrap();
        let r = s
            .handle(Instant::now(), Endpoint::PRIMARY, client(), &req)
            .unwrap();
        let resp = msg::parse_response(&r.payload).unwrap();
        assert_eq!(resp.transaction_id, vec![9; 16]);
        assert_eq!(resp.mapped, Some(client()));
        assert_eq!(resp.xor_mapped, None);
        assert_eq!(
            resp.source_address,
            Some("198.51.100.2:3479".parse().unwrap())
        );
        assert_eq!(
            resp.changed_address,
            Some("198.51.100.3:3479".parse().unwrap())
        );
        assert_eq!(s.stats().classic, 1);
    }

    #[test]
    fn garbage_and_non_requests_are_dropped() {
        let mut s = StunServer::new(cfg());
        let now = Instant::now();
        for bad in [
            &b""[..],
            &[0u8; 19][..],
            &[0xff; 64][..],
            b"GET / HTTP/1.1\r\n\r\n",
        ] {
            assert!(s.handle(now, Endpoint::PRIMARY, client(), bad).is_err());
        }
        // Every truncation of a valid request is dropped, never answered or panicking.
        let req = msg::binding_request([8; 12], true, true, Some(40000));
        for n in 0..req.len() {
            assert!(s
                .handle(now, Endpoint::PRIMARY, client(), &req[..n])
                .is_err());
        }
        // A response is not answered (no reflection loops).
        let resp = s.handle(now, Endpoint::PRIMARY, client(), &req).unwrap();
        assert_eq!(
            s.handle(now, Endpoint::PRIMARY, client(), &resp.payload),
            Err(Dropped::NotBindingRequest)
        );
        // Port 0 and the server's own address are not answered.
        let zero: SocketAddr = "203.0.113.1:0".parse().unwrap();
        assert_eq!(
            s.handle(now, Endpoint::PRIMARY, zero, &req),
            Err(Dropped::BadSource)
        );
        let own: SocketAddr = "198.51.100.3:3479".parse().unwrap();
        assert_eq!(
            s.handle(now, Endpoint::PRIMARY, own, &req),
            Err(Dropped::BadSource)
        );
    }

    #[test]
    fn rate_limit_per_source_refills_over_time() {
        let mut c = cfg();
        c.rate = 10.0;
        c.burst = 5.0;
        let mut s = StunServer::new(c);
        let t0 = Instant::now();
        let req = msg::binding_request([1; 12], false, false, None);
        let ok = (0..20)
            .filter(|_| s.handle(t0, Endpoint::PRIMARY, client(), &req).is_ok())
            .count();
        assert_eq!(ok, 5, "the burst");
        // Another source is not affected.
        let other: SocketAddr = "203.0.113.9:1000".parse().unwrap();
        assert!(s.handle(t0, Endpoint::PRIMARY, other, &req).is_ok());
        // Half a second later, five more.
        let t1 = t0 + Duration::from_millis(500);
        let ok = (0..20)
            .filter(|_| s.handle(t1, Endpoint::PRIMARY, client(), &req).is_ok())
            .count();
        assert_eq!(ok, 5);
        assert!(s.stats().rate_limited >= 30);
    }

    #[test]
    fn source_table_is_bounded() {
        let mut c = cfg();
        c.max_sources = 4;
        let mut s = StunServer::new(c);
        let now = Instant::now();
        let req = msg::binding_request([1; 12], false, false, None);
        for i in 0..4u8 {
            let a = SocketAddr::new(IpAddr::from([203, 0, 113, i + 1]), 1000);
            assert!(s.handle(now, Endpoint::PRIMARY, a, &req).is_ok());
        }
        let a5 = SocketAddr::new(IpAddr::from([203, 0, 113, 99]), 1000);
        assert_eq!(
            s.handle(now, Endpoint::PRIMARY, a5, &req),
            Err(Dropped::RateLimited)
        );
        // Once the others are idle long enough, the new source gets in.
        let later = now + Duration::from_secs(10);
        assert!(s.handle(later, Endpoint::PRIMARY, a5, &req).is_ok());
    }
}
