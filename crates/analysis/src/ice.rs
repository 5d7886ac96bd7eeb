//! ICE: sessions keyed by the ufrag pair, candidate pairs, connectivity and consent checks.
//!
//! Each side's checks make its own pairs (local = the requester), as each browser's
//! `getStats()` reports them, so a call shows two views of the same path.

use crate::flow::{AddrKey, Transport};
use crate::Map;
use serde::Serialize;
use std::net::SocketAddr;

/// Timeline events kept per pair; later events are only counted.
pub const MAX_EVENTS: usize = 64;
/// Seconds without an answer after which checks of a pair count as timed out (RFC 8445's
/// default Rc/Rm retransmission schedule gives up after 39.5 s; browsers give up on a pair far
/// sooner, and a capture usually ends before 39.5 s have passed).
pub const TIMEOUT_NS: i64 = 5_000_000_000;

/// The role an agent claimed in its checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// ICE-CONTROLLING.
    Controlling,
    /// ICE-CONTROLLED.
    Controlled,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Role::Controlling => "controlling",
            Role::Controlled => "controlled",
        })
    }
}

/// A pair's state, named as RFC 8445 §6.1.2.6 and `RTCStatsIceCandidatePairState` name it
/// (`in-progress`, `succeeded`, `failed`), plus `timed-out` for checks a capture shows
/// unanswered for longer than [`TIMEOUT_NS`] (RFC 8445 calls that `failed` as well; the
/// report keeps the reason apart). The JSON and the text both use these names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairState {
    /// Checks sent, no answer yet.
    InProgress,
    /// A check succeeded.
    Succeeded,
    /// Checks were answered with an error only.
    Failed,
    /// Checks went unanswered for longer than [`TIMEOUT_NS`].
    TimedOut,
}

impl PairState {
    /// The state's name: `in-progress`, `succeeded`, `failed`, `timed-out` (the JSON's).
    pub const fn name(self) -> &'static str {
        match self {
            PairState::InProgress => "in-progress",
            PairState::Succeeded => "succeeded",
            PairState::Failed => "failed",
            PairState::TimedOut => "timed-out",
        }
    }
}

impl std::fmt::Display for PairState {
    /// Words for a reader: `in progress`, `succeeded`, `failed`, `timed out`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            PairState::InProgress => "in progress",
            PairState::Succeeded => "succeeded",
            PairState::Failed => "failed",
            PairState::TimedOut => "timed out",
        })
    }
}

/// One event on a pair's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PairEvent {
    /// A check (request) was sent.
    Request {
        /// Time (ns since the epoch).
        at_ns: i64,
        /// Same transaction sent again.
        retransmit: bool,
        /// Carried USE-CANDIDATE.
        use_candidate: bool,
    },
    /// A success response arrived.
    Success {
        /// Time.
        at_ns: i64,
        /// Round-trip time from the (only) request, when it was not retransmitted.
        rtt_ns: Option<i64>,
        /// The capture's packet number of the response.
        packet: u64,
    },
    /// An error response arrived.
    Error {
        /// Time.
        at_ns: i64,
        /// The error code.
        code: u16,
    },
}

/// A candidate pair, from the requester's point of view.
#[derive(Clone, Debug, Serialize)]
pub struct CandidatePair {
    /// Identifier within this analysis.
    pub id: u32,
    /// The ICE session.
    pub session: u32,
    /// The requester's address (its local candidate as it appears on the wire).
    pub local: SocketAddr,
    /// The responder's address.
    pub remote: SocketAddr,
    /// UDP or TCP.
    pub transport: Transport,
    /// Set when the local candidate is a TURN relayed address (the checks travelled inside
    /// this allocation).
    pub relay: Option<u32>,
    /// The requester's ufrag.
    pub local_ufrag: String,
    /// The responder's ufrag.
    pub remote_ufrag: String,
    /// PRIORITY of the last check.
    pub priority: Option<u32>,
    /// The role the requester claimed last.
    pub role: Option<Role>,
    /// Distinct checks (transactions) sent.
    pub requests: u32,
    /// Retransmissions of those checks.
    pub retransmissions: u32,
    /// Success responses.
    pub responses: u32,
    /// Error responses, by code.
    pub errors: Vec<(u16, u32)>,
    /// Round-trip times of checks that were not retransmitted (ns).
    pub rtt_min_ns: Option<i64>,
    /// Maximum RTT.
    pub rtt_max_ns: Option<i64>,
    /// Sum of RTTs (for the mean).
    #[serde(skip)]
    pub rtt_sum_ns: i64,
    /// Number of RTT samples.
    pub rtt_samples: u32,
    /// A check with USE-CANDIDATE was sent.
    pub use_candidate_sent: bool,
    /// A check with USE-CANDIDATE succeeded: the pair is nominated (by this agent, the
    /// controlling one; the controlled agent's view is [`Engine::session_view`]'s).
    ///
    /// [`Engine::session_view`]: crate::Engine::session_view
    pub nominated: bool,
    /// Consent freshness checks (RFC 7675): checks sent on the pair once it had succeeded and
    /// was nominated, by either agent: the controlling agent's pair is nominated by its own
    /// USE-CANDIDATE check, the controlled agent's by the controlling agent's nomination of
    /// the reverse pair (RFC 8445 §7.3.1.5).
    pub consent_checks: u32,
    /// The last consent check answered.
    pub last_consent_ns: Option<i64>,
    /// First check.
    pub first_ns: i64,
    /// Last activity.
    pub last_ns: i64,
    /// First success.
    pub succeeded_ns: Option<i64>,
    /// Last request sent.
    pub last_request_ns: i64,
    /// Last response of any kind.
    pub last_response_ns: Option<i64>,
    /// The requester's address as the responder saw it (XOR-MAPPED-ADDRESS of the success):
    /// differs from `local` behind a NAT between them (a peer-reflexive candidate).
    pub mapped: Option<SocketAddr>,
    /// Timeline (first [`MAX_EVENTS`] events).
    pub timeline: Vec<PairEvent>,
    /// Events beyond the timeline's cap.
    pub events_dropped: u64,
}

impl CandidatePair {
    /// Mean RTT.
    pub fn rtt_mean_ns(&self) -> Option<i64> {
        (self.rtt_samples > 0).then(|| self.rtt_sum_ns / i64::from(self.rtt_samples))
    }

    /// The pair's state at `now` (the end of the capture for a report).
    pub fn state(&self, now: i64) -> PairState {
        if self.responses > 0 {
            PairState::Succeeded
        } else if !self.errors.is_empty() {
            PairState::Failed
        } else if now - self.last_request_ns > TIMEOUT_NS {
            PairState::TimedOut
        } else {
            PairState::InProgress
        }
    }

    fn event(&mut self, e: PairEvent) {
        if self.timeline.len() < MAX_EVENTS {
            self.timeline.push(e);
        } else {
            self.events_dropped += 1;
        }
    }
}

/// An ICE session: the two agents identified by their ufrags.
#[derive(Clone, Debug, Serialize)]
pub struct IceSession {
    /// Identifier within this analysis.
    pub id: u32,
    /// The two ufrags, sorted.
    pub ufrags: (String, String),
    /// Its candidate pairs (ids).
    pub pairs: Vec<u32>,
    /// 487 Role Conflict responses seen.
    pub role_conflicts: u32,
    /// First check.
    pub first_ns: i64,
    /// Last check or response.
    pub last_ns: i64,
}

/// Pairs kept per session, beyond which new pairs are counted only.
pub const MAX_PAIRS_PER_SESSION: usize = 512;
/// Pairs kept across all sessions (so the per-session cap cannot multiply: 10,000 sessions ×
/// 512 pairs reached 7.5 GB on a crafted capture).
pub const MAX_PAIRS: usize = 50_000;
/// Sessions kept, beyond which new sessions are counted only (a live capture running for
/// hours must not grow without bound).
pub const MAX_SESSIONS: usize = 10_000;

/// What one agent received and answered on a pair (its local address is the pair's local).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Received {
    /// Checks that reached the agent on the pair's path (retransmissions included), as
    /// getStats' `requestsReceived` counts them.
    pub requests: u32,
    /// Success responses the agent sent back on that path (getStats' `responsesSent`).
    pub responses: u32,
}

/// A pair's identity: session, local (requester) and remote address, TURN allocation.
pub type PairKey = (u32, SocketAddr, SocketAddr, Option<u32>);

/// Every ICE session of a capture.
#[derive(Debug, Default)]
pub struct IceTable {
    sessions_by_ufrags: Map<(String, String), u32>,
    pairs_by_key: Map<PairKey, u32>,
    /// The first pair of each (session, local, remote), whatever its relay: how the reverse
    /// of a pair is found.
    pairs_by_addrs: Map<(u32, AddrKey, AddrKey), u32>,
    /// Checks received and answered, by the receiving agent's pair key (a pair it may not
    /// have checked itself yet, so kept apart from [`IceTable::pairs`]).
    received: Map<PairKey, Received>,
    /// Sessions in order of appearance.
    pub sessions: Vec<IceSession>,
    /// Pairs in order of appearance.
    pub pairs: Vec<CandidatePair>,
    /// Pairs not tracked because a session hit [`MAX_PAIRS_PER_SESSION`].
    pub pairs_dropped: u64,
    /// Checks of sessions not tracked because of [`MAX_SESSIONS`].
    pub sessions_dropped: u64,
}

/// What a check request says.
pub struct Check<'a> {
    /// Time.
    pub at_ns: i64,
    /// Requester address.
    pub src: SocketAddr,
    /// Responder address.
    pub dst: SocketAddr,
    /// UDP or TCP.
    pub transport: Transport,
    /// TURN allocation the check travelled in.
    pub relay: Option<u32>,
    /// USERNAME: "responder-ufrag:requester-ufrag" (RFC 8445 §7.2.2).
    pub username: &'a str,
    /// PRIORITY.
    pub priority: Option<u32>,
    /// Claimed role.
    pub role: Option<Role>,
    /// USE-CANDIDATE present.
    pub use_candidate: bool,
}

impl IceTable {
    /// Records a check request (not a retransmission); returns the pair id.
    pub fn request(&mut self, c: &Check<'_>) -> Option<u32> {
        let (remote_ufrag, local_ufrag) = c.username.split_once(':')?;
        let mut key = (local_ufrag.to_owned(), remote_ufrag.to_owned());
        if key.0 > key.1 {
            key = (key.1, key.0);
        }
        let next = self.sessions.len() as u32;
        if self.sessions.len() >= MAX_SESSIONS && !self.sessions_by_ufrags.contains_key(&key) {
            self.sessions_dropped += 1;
            return None;
        }
        let sid = *self.sessions_by_ufrags.entry(key.clone()).or_insert(next);
        if sid == next {
            self.sessions.push(IceSession {
                id: sid,
                ufrags: key,
                pairs: Vec::new(),
                role_conflicts: 0,
                first_ns: c.at_ns,
                last_ns: c.at_ns,
            });
        }
        let pk = (sid, c.src, c.dst, c.relay);
        let pid = match self.pairs_by_key.get(&pk) {
            Some(&p) => p,
            None => {
                let session = &mut self.sessions[sid as usize];
                if session.pairs.len() >= MAX_PAIRS_PER_SESSION || self.pairs.len() >= MAX_PAIRS {
                    self.pairs_dropped += 1;
                    return None;
                }
                let pid = self.pairs.len() as u32;
                session.pairs.push(pid);
                self.pairs_by_key.insert(pk, pid);
                self.pairs_by_addrs
                    .entry((sid, AddrKey(c.src), AddrKey(c.dst)))
                    .or_insert(pid);
                self.pairs.push(CandidatePair {
                    id: pid,
                    session: sid,
                    local: c.src,
                    remote: c.dst,
                    transport: c.transport,
                    relay: c.relay,
                    local_ufrag: local_ufrag.to_owned(),
                    remote_ufrag: remote_ufrag.to_owned(),
                    priority: None,
                    role: None,
                    requests: 0,
                    retransmissions: 0,
                    responses: 0,
                    errors: Vec::new(),
                    rtt_min_ns: None,
                    rtt_max_ns: None,
                    rtt_sum_ns: 0,
                    rtt_samples: 0,
                    use_candidate_sent: false,
                    nominated: false,
                    consent_checks: 0,
                    last_consent_ns: None,
                    first_ns: c.at_ns,
                    last_ns: c.at_ns,
                    succeeded_ns: None,
                    last_request_ns: c.at_ns,
                    last_response_ns: None,
                    mapped: None,
                    timeline: Vec::new(),
                    events_dropped: 0,
                });
                pid
            }
        };
        self.sessions[sid as usize].last_ns = c.at_ns;
        let consent = self.consent_due(pid);
        let p = &mut self.pairs[pid as usize];
        p.requests += 1;
        if consent {
            p.consent_checks += 1;
        }
        p.priority = c.priority.or(p.priority);
        p.role = c.role.or(p.role);
        p.use_candidate_sent |= c.use_candidate;
        p.last_ns = c.at_ns;
        p.last_request_ns = c.at_ns;
        p.event(PairEvent::Request {
            at_ns: c.at_ns,
            retransmit: false,
            use_candidate: c.use_candidate,
        });
        Some(pid)
    }

    /// The reverse of pair `id`: the other agent's pair between the same two addresses (its
    /// first one, whatever TURN allocation it went through).
    pub fn reverse_of(&self, id: u32) -> Option<&CandidatePair> {
        let p = self.pairs.get(id as usize)?;
        let r = *self
            .pairs_by_addrs
            .get(&(p.session, AddrKey(p.remote), AddrKey(p.local)))?;
        self.pairs.get(r as usize)
    }

    /// Whether pair `id` is nominated as its agent knows at this point: by its own
    /// USE-CANDIDATE check (the controlling agent), or, once it succeeded, by the other
    /// agent's nomination of the reverse pair (the controlled agent, RFC 8445 §7.3.1.5).
    pub fn nominated_now(&self, id: u32) -> bool {
        let Some(p) = self.pairs.get(id as usize) else {
            return false;
        };
        p.nominated
            || (p.succeeded_ns.is_some() && self.reverse_of(id).is_some_and(|q| q.nominated))
    }

    /// A check on pair `id` now is a consent check: the pair succeeded and is nominated.
    fn consent_due(&self, id: u32) -> bool {
        self.pairs
            .get(id as usize)
            .is_some_and(|p| p.succeeded_ns.is_some())
            && self.nominated_now(id)
    }

    /// A check from `src` reached `dst` on the path of `relay` (any sighting, retransmissions
    /// included): counted for the receiving agent's pair (`dst` → `src`). Only sessions
    /// already known (a check's USERNAME) are counted.
    pub fn request_received(
        &mut self,
        username: &str,
        src: SocketAddr,
        dst: SocketAddr,
        relay: Option<u32>,
    ) {
        if let Some(key) = self.received_key(username, src, dst, relay) {
            self.received.entry(key).or_default().requests += 1;
        }
    }

    /// A success response from `src` (the responder) to `dst` on the path of `relay`, to a
    /// check of pair `answered`'s session: counted as sent by the responder's pair.
    pub fn response_sent(
        &mut self,
        answered: u32,
        src: SocketAddr,
        dst: SocketAddr,
        relay: Option<u32>,
    ) {
        let Some(p) = self.pairs.get(answered as usize) else {
            return;
        };
        let key = (p.session, src, dst, relay);
        if self.received.contains_key(&key) || self.received.len() < MAX_PAIRS {
            self.received.entry(key).or_default().responses += 1;
        }
    }

    fn received_key(
        &self,
        username: &str,
        src: SocketAddr,
        dst: SocketAddr,
        relay: Option<u32>,
    ) -> Option<PairKey> {
        let (remote_ufrag, local_ufrag) = username.split_once(':')?;
        let mut key = (local_ufrag.to_owned(), remote_ufrag.to_owned());
        if key.0 > key.1 {
            key = (key.1, key.0);
        }
        let sid = *self.sessions_by_ufrags.get(&key)?;
        let key = (sid, dst, src, relay);
        (self.received.contains_key(&key) || self.received.len() < MAX_PAIRS).then_some(key)
    }

    /// What the agent of pair `id` received and answered on the pair's path.
    pub fn received(&self, id: u32) -> Received {
        self.pairs
            .get(id as usize)
            .and_then(|p| {
                self.received
                    .get(&(p.session, p.local, p.remote, p.relay))
                    .copied()
            })
            .unwrap_or_default()
    }

    /// Records a retransmission of a check on `pair`.
    pub fn retransmission(&mut self, pair: u32, at_ns: i64, use_candidate: bool) {
        if let Some(p) = self.pairs.get_mut(pair as usize) {
            p.retransmissions += 1;
            p.last_ns = at_ns;
            p.last_request_ns = at_ns;
            p.event(PairEvent::Request {
                at_ns,
                retransmit: true,
                use_candidate,
            });
        }
    }

    /// Records a success response (packet `packet`) to a check sent at `sent_ns` (`rtt_valid`
    /// when it was sent once, per Karn's rule).
    #[allow(clippy::too_many_arguments)]
    pub fn success(
        &mut self,
        pair: u32,
        at_ns: i64,
        packet: u64,
        sent_ns: i64,
        rtt_valid: bool,
        use_candidate: bool,
        mapped: Option<SocketAddr>,
    ) {
        let consent = self.consent_due(pair);
        let Some(p) = self.pairs.get_mut(pair as usize) else {
            return;
        };
        // A response stamped before its request (interfaces merged out of order, a clock
        // stepped back) gives no round-trip time.
        let rtt = Some(at_ns.saturating_sub(sent_ns)).filter(|r| rtt_valid && *r >= 0);
        if let Some(r) = rtt {
            p.rtt_min_ns = Some(p.rtt_min_ns.map_or(r, |m| m.min(r)));
            p.rtt_max_ns = Some(p.rtt_max_ns.map_or(r, |m| m.max(r)));
            p.rtt_sum_ns = p.rtt_sum_ns.saturating_add(r);
            p.rtt_samples += 1;
        }
        if consent {
            p.last_consent_ns = Some(at_ns);
        }
        p.responses += 1;
        p.nominated |= use_candidate;
        p.succeeded_ns.get_or_insert(at_ns);
        p.mapped = mapped.or(p.mapped);
        p.last_ns = at_ns;
        p.last_response_ns = Some(at_ns);
        p.event(PairEvent::Success {
            at_ns,
            rtt_ns: rtt,
            packet,
        });
        let sid = p.session as usize;
        self.sessions[sid].last_ns = at_ns;
    }

    /// Records an error response.
    pub fn error(&mut self, pair: u32, at_ns: i64, code: u16) {
        let Some(p) = self.pairs.get_mut(pair as usize) else {
            return;
        };
        match p.errors.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => p.errors.push((code, 1)),
        }
        p.last_ns = at_ns;
        p.last_response_ns = Some(at_ns);
        p.event(PairEvent::Error { at_ns, code });
        let sid = p.session as usize;
        if code == 487 {
            self.sessions[sid].role_conflicts += 1;
        }
        self.sessions[sid].last_ns = at_ns;
    }
}
