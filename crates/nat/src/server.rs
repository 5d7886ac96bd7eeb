//! The STUN server as a sans-IO request handler: RFC 5780 behaviour discovery (OTHER-ADDRESS,
//! RESPONSE-ORIGIN, CHANGE-REQUEST, RESPONSE-PORT), plain RFC 5389/8489 Binding, and classic
//! RFC 3489 Binding (MAPPED-ADDRESS, SOURCE-ADDRESS, CHANGED-ADDRESS).
//!
//! # What it never does (amplification safeguards)
//!
//! * It answers only Binding requests; indications, responses, other methods, garbage,
//!   truncated and malformed datagrams, and datagrams over [`MAX_REQUEST_BYTES`] are dropped
//!   without a word, and counted ([`Stats`]).
//! * It answers only what was asked. Every answer carries the reflexive address
//!   (XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS for a classic RFC 3489 request) and FINGERPRINT when
//!   the request had one. The server's other address (OTHER-ADDRESS, CHANGED-ADDRESS), which a
//!   client needs to start behaviour discovery, is added when the request asks for behaviour
//!   discovery (CHANGE-REQUEST, RESPONSE-PORT or PADDING) or has room for it. Everything else
//!   (RESPONSE-ORIGIN, SOURCE-ADDRESS, MAPPED-ADDRESS beside XOR-MAPPED-ADDRESS, error reason
//!   phrases) is added only while the response stays no larger than the request: a client that
//!   wants it all pads its request (PADDING, or a SOFTWARE attribute, as `rtcscope nat` does).
//!   So a response is at most [`MAX_RATIO`] times its request and at most [`MAX_EXTRA_BYTES`]
//!   longer; nothing the requester sent (PADDING, RESPONSE-PORT, unknown attributes' values) is
//!   echoed.
//! * A response goes only to the IP address the request came from: RESPONSE-ADDRESS (RFC 3489)
//!   is ignored, and RESPONSE-PORT only changes the port, never to one below 1024.
//! * Rate limits a spoofed flood cannot turn against real clients: each source IP address that
//!   has a table entry has its own token bucket ([`ServerConfig::rate`],
//!   [`ServerConfig::burst`]); a source without one is answered only from a global budget for
//!   new sources ([`ServerConfig::new_source_rate`]), and gets an entry only while the table
//!   has room ([`ServerConfig::max_sources`]). Entries are never evicted while in use: the
//!   table keeps two generations and drops, in O(1) amortised time, only entries idle long
//!   enough for their bucket to be full again (forgetting them loses nothing). A flood of
//!   spoofed sources therefore spends only the new-source budget: clients already known keep
//!   their buckets, and at the default settings the flood cannot even fill the table.
//! * Datagrams from port 0, or from one of the server's own addresses, are dropped (no loops).

use rtcscope_stun::{
    Attribute, AttributeList, AttributeType, Check, Class, ErrorCode, Flavor, Message,
    MessageBuilder, Method, MAGIC_COOKIE,
};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The largest request answered: anything longer is dropped unread (a Binding request, even
/// padded for a path MTU test, is smaller).
pub const MAX_REQUEST_BYTES: usize = 2048;

/// A response is never more than this many bytes longer than its request (the IPv6
/// XOR-MAPPED-ADDRESS and OTHER-ADDRESS in answer to a minimal CHANGE-REQUEST: 40 bytes).
pub const MAX_EXTRA_BYTES: usize = 48;

/// A response is never more than this many times as large as its request (measured worst
/// case: 2.43, an IPv6 answer to a 28-byte CHANGE-REQUEST; `crates/nat/tests/server_abuse.rs`).
pub const MAX_RATIO: f64 = 2.5;

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
    /// Responses per second per known source IP address.
    pub rate: f64,
    /// Burst size per known source IP address.
    pub burst: f64,
    /// Most source addresses tracked at once.
    pub max_sources: usize,
    /// Answers per second, all together, to sources without a table entry (their first
    /// request, or every request while the table is full).
    pub new_source_rate: f64,
    /// Burst of the new-source budget.
    pub new_source_burst: f64,
}

impl ServerConfig {
    /// A server on `primary_ip:port`, with defaults for the safeguards: 500 responses per
    /// second per source, bursts of 1000, 65536 sources, and 10000 new sources per second
    /// (bursts of 10000). At these settings the table cannot fill with sources that sent
    /// once: entries idle for 2 s (the time a bucket takes to fill) are dropped within 4 s, and
    /// in 4 s at most 50000 new sources get in.
    pub fn new(primary_ip: IpAddr, port: u16) -> Self {
        ServerConfig {
            primary_ip,
            alternate_ip: None,
            port,
            alternate_port: None,
            rate: 500.0,
            burst: 1000.0,
            max_sources: 65536,
            new_source_rate: 10_000.0,
            new_source_burst: 10_000.0,
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
    /// Not STUN at all (no STUN header).
    NotStun,
    /// A STUN header announcing more bytes than the datagram has, or a cut-off header.
    Truncated,
    /// Longer than [`MAX_REQUEST_BYTES`].
    Oversized,
    /// A STUN header, but the message is not well formed.
    Malformed,
    /// Not a Binding request.
    NotBindingRequest,
    /// FINGERPRINT present and wrong.
    BadFingerprint,
    /// Source port 0 or one of the server's own addresses.
    BadSource,
    /// A known source over its rate.
    RateLimited,
    /// A source without a table entry while the new-source budget is spent.
    NewSourceLimited,
    /// The response would have been too large.
    TooLarge,
}

/// Counters for the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Responses sent (success and error).
    pub answered: u64,
    /// Every datagram dropped for what it was (not for a rate limit): the sum of the five
    /// counters below, bad sources and over-large responses.
    pub malformed: u64,
    /// Dropped as not STUN.
    pub not_stun: u64,
    /// Dropped as truncated.
    pub truncated: u64,
    /// Dropped as longer than [`MAX_REQUEST_BYTES`].
    pub oversized: u64,
    /// Dropped as malformed STUN (a wrong FINGERPRINT included).
    pub malformed_stun: u64,
    /// Dropped as STUN but not a Binding request.
    pub not_binding_request: u64,
    /// Dropped by a rate limit: a known source's bucket, or the new-source budget.
    pub rate_limited: u64,
    /// Of those, dropped because the new-source budget was spent.
    pub new_source_limited: u64,
    /// New sources answered without a table entry (the table was full).
    pub untracked: u64,
    /// Classic RFC 3489 requests answered.
    pub classic: u64,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(burst: f64, now: Instant) -> Self {
        Bucket {
            tokens: burst,
            last: now,
        }
    }

    /// Refills for the time since the last use and takes a token if there is one.
    fn take(&mut self, now: Instant, rate: f64, burst: f64) -> bool {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * rate).min(burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Per-source token buckets in two generations, and the global new-source budget.
///
/// A generation lasts `span` (the time an empty bucket takes to fill, 1 to 60 s). A source
/// seen in the current generation is in `current`; one last seen in the previous is moved
/// back to `current` when it sends again. When a generation ends, `previous` is dropped
/// whole: its entries have been idle for at least `span`, so their buckets are full and a
/// fresh one is the same. Each entry is inserted once and dropped once: O(1) amortised, and
/// no entry in use is ever evicted.
#[derive(Debug)]
struct Limiter {
    current: HashMap<IpAddr, Bucket>,
    previous: HashMap<IpAddr, Bucket>,
    generation: Option<Instant>,
    newcomers: Option<Bucket>,
}

enum Admit {
    /// A known source with a token.
    Known,
    /// A new source, answered from the global budget, now in the table.
    New,
    /// A new source answered from the global budget, without an entry (the table is full).
    Untracked,
}

impl Limiter {
    fn new() -> Self {
        Limiter {
            current: HashMap::new(),
            previous: HashMap::new(),
            generation: None,
            newcomers: None,
        }
    }

    fn span(cfg: &ServerConfig) -> Duration {
        Duration::from_secs_f64((cfg.burst / cfg.rate.max(1e-9)).clamp(1.0, 60.0))
    }

    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    fn rotate(&mut self, now: Instant, span: Duration) {
        let start = *self.generation.get_or_insert(now);
        let age = now.saturating_duration_since(start);
        if age >= span * 2 {
            // Everything is idle for a whole generation at least.
            self.current = HashMap::new();
            self.previous = HashMap::new();
            self.generation = Some(now);
        } else if age >= span {
            self.previous = std::mem::take(&mut self.current);
            self.generation = Some(now);
        }
    }

    fn admit(&mut self, cfg: &ServerConfig, now: Instant, ip: IpAddr) -> Result<Admit, Dropped> {
        self.rotate(now, Self::span(cfg));
        if let Some(b) = self.current.get_mut(&ip) {
            return if b.take(now, cfg.rate, cfg.burst) {
                Ok(Admit::Known)
            } else {
                Err(Dropped::RateLimited)
            };
        }
        if let Some(mut b) = self.previous.remove(&ip) {
            let ok = b.take(now, cfg.rate, cfg.burst);
            self.current.insert(ip, b);
            return if ok {
                Ok(Admit::Known)
            } else {
                Err(Dropped::RateLimited)
            };
        }
        let budget = self
            .newcomers
            .get_or_insert_with(|| Bucket::full(cfg.new_source_burst, now));
        if !budget.take(now, cfg.new_source_rate, cfg.new_source_burst) {
            return Err(Dropped::NewSourceLimited);
        }
        if self.len() >= cfg.max_sources {
            return Ok(Admit::Untracked);
        }
        let mut b = Bucket::full(cfg.burst, now);
        b.tokens -= 1.0;
        self.current.insert(ip, b);
        Ok(Admit::New)
    }
}

/// The request handler; see the [module docs](self).
#[derive(Debug)]
pub struct StunServer {
    cfg: ServerConfig,
    limiter: Limiter,
    stats: Stats,
}

/// Whether the datagram starts like an RFC 5389 STUN message (two zero bits, then the magic
/// cookie at offset 4).
fn stun_like(data: &[u8]) -> bool {
    data.len() >= 8
        && data[0] & 0xC0 == 0
        && u32::from_be_bytes([data[4], data[5], data[6], data[7]]) == MAGIC_COOKIE
}

/// The bytes an attribute with a value of `value_len` bytes takes in a message.
fn attr_size(value_len: usize) -> usize {
    4 + value_len.div_ceil(4) * 4
}

/// The bytes an address attribute for `a` takes.
fn addr_size(a: SocketAddr) -> usize {
    attr_size(if a.is_ipv4() { 8 } else { 20 })
}

impl StunServer {
    /// A handler for `cfg`.
    pub fn new(cfg: ServerConfig) -> Self {
        StunServer {
            cfg,
            limiter: Limiter::new(),
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

    /// Source addresses with a table entry now (at most [`ServerConfig::max_sources`]).
    pub fn tracked_sources(&self) -> usize {
        self.limiter.len()
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
        let s = &mut self.stats;
        match &r {
            Ok(_) => s.answered += 1,
            Err(Dropped::RateLimited) => s.rate_limited += 1,
            Err(Dropped::NewSourceLimited) => {
                s.rate_limited += 1;
                s.new_source_limited += 1;
            }
            Err(why) => {
                s.malformed += 1;
                match why {
                    Dropped::NotStun => s.not_stun += 1,
                    Dropped::Truncated => s.truncated += 1,
                    Dropped::Oversized => s.oversized += 1,
                    Dropped::Malformed | Dropped::BadFingerprint => s.malformed_stun += 1,
                    Dropped::NotBindingRequest => s.not_binding_request += 1,
                    _ => {}
                }
            }
        }
        r
    }

    /// Parses a datagram as a message, or says why it is not one.
    fn parse(data: &[u8]) -> Result<Message<'_>, Dropped> {
        if data.len() > MAX_REQUEST_BYTES {
            return Err(Dropped::Oversized);
        }
        match Message::parse(data) {
            Ok(m) => Ok(m),
            Err(_) if !stun_like(data) => Err(Dropped::NotStun),
            Err(_) if data.len() < 20 => Err(Dropped::Truncated),
            Err(_) => {
                let len = usize::from(u16::from_be_bytes([data[2], data[3]]));
                if 20 + len > data.len() {
                    Err(Dropped::Truncated)
                } else {
                    Err(Dropped::Malformed)
                }
            }
        }
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
        let msg = Self::parse(data)?;
        if msg.class() != Class::REQUEST || msg.method() != Method::BINDING {
            return Err(Dropped::NotBindingRequest);
        }
        let mut change = None;
        let mut response_port = None;
        let mut padded = false;
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
                } => change = Some((change_ip, change_port)),
                Attribute::ResponsePort(p) => response_port = Some(p),
                Attribute::Padding(_) => padded = true,
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
        match self.limiter.admit(&self.cfg, now, src.ip())? {
            Admit::Untracked => self.stats.untracked += 1,
            Admit::Known | Admit::New => {}
        }
        let discovery = change.is_some() || response_port.is_some() || padded;
        let change = change.unwrap_or((false, false));
        let tid = msg.transaction_id();
        let classic = msg.flavor() == Flavor::Rfc3489;
        // The response may grow up to the request's size with what was not asked for.
        let budget = data.len();
        let tail = if fingerprint { 8 } else { 0 };
        let fits = |b: &MessageBuilder, extra: usize| b.as_bytes().len() + extra + tail <= budget;
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
            let list = if unknown.is_empty() {
                0
            } else {
                attr_size(2 * unknown.len())
            };
            // The reason phrase only where it fits in the request's size.
            let reason = if fits(&b, attr_size(4 + reason.len()) + list) {
                reason
            } else {
                ""
            };
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
                error(ErrorCode::BAD_REQUEST, "RESPONSE-PORT below 1024", &[])?,
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
                b.add(&Attribute::MappedAddress(src));
                // Classic clients send CHANGE-REQUEST in every request of their test.
                if let Some(o) = other.filter(|o| discovery || fits(&b, addr_size(*o))) {
                    b.add(&Attribute::ChangedAddress(o));
                }
                if fits(&b, addr_size(origin)) {
                    b.add(&Attribute::SourceAddress(origin));
                }
            } else {
                b.add(&Attribute::XorMappedAddress(src));
                if self.cfg.rfc5780() {
                    if let Some(o) = other.filter(|o| discovery || fits(&b, addr_size(*o))) {
                        b.add(&Attribute::OtherAddress(o));
                    }
                    if fits(&b, addr_size(origin)) {
                        b.add(&Attribute::ResponseOrigin(origin));
                    }
                }
                // The plain copy lets a client see an ALG that rewrites addresses.
                if fits(&b, addr_size(src)) {
                    b.add(&Attribute::MappedAddress(src));
                }
                if fingerprint {
                    b.fingerprint();
                }
            }
            (from, to, b.finish().map_err(|_| Dropped::TooLarge)?)
        };
        if payload.len() > data.len() + MAX_EXTRA_BYTES
            || payload.len() as f64 > data.len() as f64 * MAX_RATIO
        {
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
    fn binding_answer_has_rfc5780_attributes_when_padded() {
        let mut s = StunServer::new(cfg());
        let req = msg::padded_binding_request([1; 12], msg::PADDED_BINDING_BYTES);
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
        assert!(
            r.payload.len() <= req.len(),
            "no larger than a padded request"
        );
        // SOFTWARE is not echoed either.
        assert_eq!(resp.software, None);
    }

    #[test]
    fn a_small_request_gets_only_what_it_asked_for() {
        let mut s = StunServer::new(cfg());
        let now = Instant::now();
        // The smallest Binding request: a bare header.
        let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389([2; 12]));
        let bare = b.as_bytes().to_vec();
        let r = s.handle(now, Endpoint::PRIMARY, client(), &bare).unwrap();
        let resp = msg::parse_response(&r.payload).unwrap();
        assert_eq!(resp.xor_mapped, Some(client()));
        assert_eq!(
            (resp.mapped, resp.other_address, resp.response_origin),
            (None, None, None)
        );
        assert_eq!(r.payload.len(), 32);
        // With FINGERPRINT, FINGERPRINT back, still nothing else.
        b.fingerprint();
        let req = b.finish().unwrap();
        let r = s.handle(now, Endpoint::PRIMARY, client(), &req).unwrap();
        let m = Message::parse(&r.payload).unwrap();
        assert_eq!(m.verify_fingerprint(), Ok(Check::Valid));
        assert_eq!(r.payload.len(), 40);
        // A CHANGE-REQUEST asks for behaviour discovery: OTHER-ADDRESS comes with it.
        let mut b = MessageBuilder::request(Method::BINDING, TransactionId::Rfc5389([3; 12]));
        b.add(&Attribute::ChangeRequest {
            change_ip: false,
            change_port: false,
        });
        let cr = b.finish().unwrap();
        let r = s.handle(now, Endpoint::PRIMARY, client(), &cr).unwrap();
        let resp = msg::parse_response(&r.payload).unwrap();
        assert_eq!(
            resp.other_address,
            Some("198.51.100.3:3479".parse().unwrap())
        );
        assert_eq!(resp.response_origin, None);
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
        assert_eq!(resp.xor_mapped, Some(client()));
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
            resp.changed_address,
            Some("198.51.100.3:3479".parse().unwrap())
        );
        // SOURCE-ADDRESS does not fit in the 28 bytes of the request.
        assert_eq!(resp.source_address, None);
        assert!(r.payload.len() <= 44, "{}", r.payload.len());
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
            assert_eq!(
                s.handle(now, Endpoint::PRIMARY, client(), bad),
                Err(Dropped::NotStun)
            );
        }
        assert_eq!(s.stats().not_stun, 4);
        // Every truncation of a valid request is dropped, never answered or panicking.
        let req = msg::binding_request([8; 12], true, true, Some(40000));
        for n in 0..req.len() {
            let r = s.handle(now, Endpoint::PRIMARY, client(), &req[..n]);
            let want = if n < 8 {
                Dropped::NotStun
            } else {
                Dropped::Truncated
            };
            assert_eq!(r, Err(want), "{n} bytes");
        }
        // A request with bytes after its end is malformed; one over 2048 bytes is dropped
        // unread, even when it is a well-formed request.
        let mut long = req.clone();
        long.extend_from_slice(&[0; 4]);
        assert_eq!(
            s.handle(now, Endpoint::PRIMARY, client(), &long),
            Err(Dropped::Malformed)
        );
        let big = msg::padded_binding_request([9; 12], MAX_REQUEST_BYTES + 4);
        assert!(Message::parse(&big).is_ok());
        assert_eq!(
            s.handle(now, Endpoint::PRIMARY, client(), &big),
            Err(Dropped::Oversized)
        );
        let st = s.stats();
        assert_eq!(
            (st.truncated, st.malformed_stun, st.oversized, st.answered),
            (req.len() as u64 - 8, 1, 1, 0)
        );
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
    fn a_spoofed_flood_neither_evicts_nor_blocks_known_clients() {
        let mut c = cfg();
        c.rate = 10.0;
        c.burst = 20.0;
        c.max_sources = 1000;
        c.new_source_rate = 100.0;
        c.new_source_burst = 100.0;
        let mut s = StunServer::new(c);
        let t0 = Instant::now();
        let req = msg::binding_request([1; 12], false, false, None);
        let legit = client();
        assert!(s.handle(t0, Endpoint::PRIMARY, legit, &req).is_ok());
        // Ten seconds of a flood from 100000 spoofed sources, 10000 a second, while the
        // known client asks five times a second: it is always answered.
        let mut spoofed_answered = 0u64;
        for ms in 0..10_000u64 {
            let now = t0 + Duration::from_millis(ms);
            for k in 0..10u64 {
                let n = ms * 10 + k;
                let a = SocketAddr::new(
                    IpAddr::from([10, (n >> 16) as u8, (n >> 8) as u8, n as u8]),
                    1000,
                );
                if s.handle(now, Endpoint::PRIMARY, a, &req).is_ok() {
                    spoofed_answered += 1;
                }
            }
            if ms % 200 == 0 {
                assert!(
                    s.handle(now, Endpoint::PRIMARY, legit, &req).is_ok(),
                    "the known client was refused at {ms} ms"
                );
            }
            assert!(s.tracked_sources() <= 1000);
        }
        // The flood got the new-source budget and no more: 100 + 100 per second.
        assert!(spoofed_answered <= 100 + 10 * 100 + 1, "{spoofed_answered}");
        assert!(s.stats().new_source_limited > 90_000);
        // A new client after the flood gets in at once.
        let later = t0 + Duration::from_secs(11);
        let fresh: SocketAddr = "203.0.113.77:5000".parse().unwrap();
        assert!(s.handle(later, Endpoint::PRIMARY, fresh, &req).is_ok());
    }

    #[test]
    fn a_full_table_serves_new_sources_from_the_budget_without_evicting() {
        let mut c = cfg();
        c.max_sources = 4;
        c.new_source_burst = 6.0;
        c.new_source_rate = 1.0;
        let mut s = StunServer::new(c);
        let now = Instant::now();
        let req = msg::binding_request([1; 12], false, false, None);
        for i in 0..4u8 {
            let a = SocketAddr::new(IpAddr::from([203, 0, 113, i + 1]), 1000);
            assert!(s.handle(now, Endpoint::PRIMARY, a, &req).is_ok());
        }
        assert_eq!(s.tracked_sources(), 4);
        // A fifth source: answered from the budget, no entry, and no one evicted.
        let a5 = SocketAddr::new(IpAddr::from([203, 0, 113, 99]), 1000);
        assert!(s.handle(now, Endpoint::PRIMARY, a5, &req).is_ok());
        assert!(s.handle(now, Endpoint::PRIMARY, a5, &req).is_ok());
        assert_eq!(s.tracked_sources(), 4);
        assert_eq!(s.stats().untracked, 2);
        // Its next request finds the budget spent (four went to the first four sources).
        assert_eq!(
            s.handle(now, Endpoint::PRIMARY, a5, &req),
            Err(Dropped::NewSourceLimited)
        );
        // The known sources keep their own buckets.
        let a1 = SocketAddr::new(IpAddr::from([203, 0, 113, 1]), 1000);
        assert!(s.handle(now, Endpoint::PRIMARY, a1, &req).is_ok());
        // Idle entries go once their buckets are full again (2 s here, gone within 4 s).
        let later = now + Duration::from_secs(5);
        assert!(s.handle(later, Endpoint::PRIMARY, a5, &req).is_ok());
        assert_eq!(s.tracked_sources(), 1);
    }
}
