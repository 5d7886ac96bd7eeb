//! The STUN transaction layer shared by the NAT check ([`crate::check`]) and the TURN check
//! ([`crate::turn`]): one request in flight ([`Transaction`]), when it is sent again
//! ([`Pacing`], [`Schedule`]) and the round-trip time estimate that paces it
//! ([`RttEstimator`], RFC 6298's smoothing).
//!
//! Sans-IO like the checks: a transaction never sends anything itself. A check asks it with
//! [`Schedule::poll`] whether it is due, and transmits the payload when told to; it matches
//! answers with [`Transaction::matches`] and takes the round-trip time from
//! [`Schedule::rtt_sample`] (Karn: only an answer to a request sent once is timed).
//!
//! The two checks pace differently, and say so through [`Pacing`]: the NAT check doubles its
//! interval until a round-trip time is known and allows fewer transmissions then; the TURN
//! check keeps a steady interval. Both wait twice the interval after the last transmission.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A smoothed round-trip time and its variation (RFC 6298 §2: gains 1/8 and 1/4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
}

/// How a retransmission interval follows from the estimate: `srtt × srtt_factor + rttvar ×
/// rttvar_factor`, clamped to `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtoRule {
    /// Multiplier of the smoothed round-trip time.
    pub srtt_factor: u32,
    /// Multiplier of the round-trip time variation.
    pub rttvar_factor: u32,
    /// Lower bound.
    pub min: Duration,
    /// Upper bound.
    pub max: Duration,
}

impl RttEstimator {
    /// An estimator with no sample yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The smoothed round-trip time, once a sample came.
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// True once a sample came.
    pub fn is_known(&self) -> bool {
        self.srtt.is_some()
    }

    /// Takes a round-trip time sample: the first sets the estimate (variation half of it),
    /// later ones move it by 1/8 (the variation by 1/4).
    pub fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(s) => {
                let diff = s.abs_diff(r);
                self.rttvar = (self.rttvar * 3 + diff) / 4;
                self.srtt = Some((s * 7 + r) / 8);
            }
        }
    }

    /// The retransmission interval: `unmeasured` until a sample came, then by `rule`.
    pub fn rto(&self, unmeasured: Duration, rule: RtoRule) -> Duration {
        match self.srtt {
            None => unmeasured,
            Some(s) => {
                (s * rule.srtt_factor + self.rttvar * rule.rttvar_factor).clamp(rule.min, rule.max)
            }
        }
    }
}

/// How transmissions are spaced at the moment: computed by a check from its estimate each
/// time it polls its transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pacing {
    /// The retransmission interval.
    pub rto: Duration,
    /// `Some(cap)`: the interval doubles after each transmission, up to `cap` (at least
    /// `rto`); `None`: it stays `rto`.
    pub backoff_cap: Option<Duration>,
    /// `Some(n)`: no transaction gets more than `n` transmissions (the NAT check before any
    /// round-trip time is known, so that silence is told in bounded time).
    pub attempt_cap: Option<u32>,
    /// Whether the wait after the last transmission is twice the interval (true for STUN
    /// requests, whose answer may take a round trip more; false for the TURN check's data
    /// probes).
    pub double_last: bool,
}

impl Pacing {
    /// A steady interval, the last wait doubled, no cap on transmissions.
    pub fn steady(rto: Duration) -> Self {
        Pacing {
            rto,
            backoff_cap: None,
            attempt_cap: None,
            double_last: true,
        }
    }

    /// How many transmissions a transaction allowed `attempts` gets under this pacing.
    pub fn limit(&self, attempts: u32) -> u32 {
        self.attempt_cap.map_or(attempts, |c| attempts.min(c))
    }

    /// How long to wait for an answer after the `sent`-th transmission (`sent` ≥ 1) of a
    /// transaction limited to `limit` transmissions: with backoff the interval doubles each
    /// time up to the cap, else it is steady; the last transmission waits twice as long (when
    /// `double_last`).
    pub fn wait_after(&self, sent: u32, limit: u32) -> Duration {
        let interval = match self.backoff_cap {
            None => self.rto,
            Some(cap) => (self.rto * (1 << sent.saturating_sub(1).min(16))).min(cap.max(self.rto)),
        };
        if self.double_last && sent >= limit {
            interval * 2
        } else {
            interval
        }
    }
}

/// What [`Schedule::poll`] says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// Not due yet (or held back).
    Wait,
    /// Transmit the payload now (the transmission is already counted).
    Transmit,
    /// Every transmission went out and the last wait is over: no answer.
    Exhausted,
}

/// When a request (or any datagram sent until something comes back) is sent and sent again:
/// its transmissions so far and when it is due next.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// Transmissions it may have (before [`Pacing::attempt_cap`]).
    pub attempts: u32,
    /// Transmissions so far.
    pub sent: u32,
    /// When it was first sent.
    pub first_sent: Option<Instant>,
    /// When it was last sent.
    pub last_sent: Option<Instant>,
    /// When it is due next: the next transmission, or the end of the last wait.
    pub next: Instant,
    /// Not sent before this instant (a request scheduled for later).
    pub not_before: Option<Instant>,
}

impl Schedule {
    /// A schedule due at `now`, nothing sent yet.
    pub fn new(now: Instant, attempts: u32) -> Self {
        Schedule {
            attempts,
            sent: 0,
            first_sent: None,
            last_sent: None,
            next: now,
            not_before: None,
        }
    }

    /// When it wants to be polled next.
    pub fn due_at(&self) -> Instant {
        self.not_before.map_or(self.next, |nb| nb.max(self.next))
    }

    /// True when every transmission `pacing` allows has gone out.
    pub fn exhausted(&self, pacing: &Pacing) -> bool {
        self.sent >= pacing.limit(self.attempts)
    }

    /// True when it is exhausted and the wait after its last transmission is over.
    pub fn expired(&self, now: Instant, pacing: &Pacing) -> bool {
        self.exhausted(pacing) && now >= self.next
    }

    /// Whether to transmit at `now`; a transmission is counted and the next one scheduled.
    pub fn poll(&mut self, now: Instant, pacing: &Pacing) -> Poll {
        if self.not_before.is_some_and(|nb| now < nb) || now < self.next {
            return Poll::Wait;
        }
        let limit = pacing.limit(self.attempts);
        if self.sent >= limit {
            return Poll::Exhausted;
        }
        self.first_sent.get_or_insert(now);
        self.last_sent = Some(now);
        self.sent += 1;
        self.next = now + pacing.wait_after(self.sent, limit);
        Poll::Transmit
    }

    /// Moves the next transmission up to what `pacing` asks after the last one (when the
    /// pace got faster while it waited).
    pub fn repace(&mut self, pacing: &Pacing) {
        if let Some(last) = self.last_sent {
            let limit = pacing.limit(self.attempts);
            self.next = self.next.min(last + pacing.wait_after(self.sent, limit));
        }
    }

    /// Time from the first transmission to `now` (zero if not sent).
    pub fn since_first(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.first_sent.unwrap_or(now))
    }

    /// The round-trip time an answer at `now` measures: only for something sent once (Karn's
    /// algorithm: an answer to a retransmission is ambiguous).
    pub fn rtt_sample(&self, now: Instant) -> Option<Duration> {
        (self.sent == 1).then(|| self.since_first(now))
    }
}

/// One STUN request in flight: what it is (`K`), from which local endpoint (`E`) to where,
/// its bytes, and its retransmission [`Schedule`].
#[derive(Clone, Debug)]
pub struct Transaction<K, E> {
    /// The transaction ID.
    pub id: [u8; 12],
    /// What the request is, for the check that sent it.
    pub request: K,
    /// The local endpoint it is sent from (a socket number, the client or the peer).
    pub from: E,
    /// Where it is sent.
    pub dst: SocketAddr,
    /// The encoded request.
    pub payload: Vec<u8>,
    /// When it is sent and sent again.
    pub schedule: Schedule,
}

impl<K, E> Transaction<K, E> {
    /// A transaction due at `now`, not sent yet, allowed `attempts` transmissions.
    pub fn new(
        now: Instant,
        id: [u8; 12],
        request: K,
        from: E,
        dst: SocketAddr,
        payload: Vec<u8>,
        attempts: u32,
    ) -> Self {
        Transaction {
            id,
            request,
            from,
            dst,
            payload,
            schedule: Schedule::new(now, attempts),
        }
    }

    /// True when `id` (a response's transaction ID bytes) is this transaction's.
    pub fn matches(&self, id: &[u8]) -> bool {
        self.id[..] == *id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_the_last_wait_is_double() {
        let ms = Duration::from_millis;
        let p = Pacing {
            rto: ms(13),
            backoff_cap: Some(ms(200)),
            attempt_cap: Some(7),
            double_last: true,
        };
        let waits: Vec<_> = (1..=7).map(|s| p.wait_after(s, 7).as_millis()).collect();
        assert_eq!(waits, [13, 26, 52, 104, 200, 200, 400]);
        assert_eq!(p.limit(14), 7);
        assert_eq!(Pacing::steady(ms(200)).wait_after(3, 7), ms(200));
        assert_eq!(Pacing::steady(ms(200)).wait_after(7, 7), ms(400));
    }

    #[test]
    fn a_transaction_is_sent_attempts_times_then_expires() {
        let t0 = Instant::now();
        let p = Pacing::steady(Duration::from_millis(100));
        let mut t = Schedule::new(t0, 3);
        let mut now = t0;
        let mut sent = 0;
        loop {
            match t.poll(now, &p) {
                Poll::Transmit => sent += 1,
                Poll::Exhausted => break,
                Poll::Wait => now = t.due_at(),
            }
        }
        assert_eq!(sent, 3);
        assert_eq!(now - t0, Duration::from_millis(400));
        assert!(t.expired(now, &p));
        assert_eq!(
            t.rtt_sample(now),
            None,
            "Karn: a retransmitted request is not timed"
        );
    }

    #[test]
    fn the_estimate_smooths_like_rfc_6298() {
        let ms = Duration::from_millis;
        let mut e = RttEstimator::new();
        let rule = RtoRule {
            srtt_factor: 2,
            rttvar_factor: 4,
            min: ms(10),
            max: ms(1000),
        };
        assert_eq!(e.rto(ms(100), rule), ms(100));
        e.sample(ms(20));
        assert_eq!(e.srtt(), Some(ms(20)));
        assert_eq!(e.rto(ms(100), rule), ms(80));
        e.sample(ms(28));
        assert_eq!(e.srtt(), Some(ms(21)));
    }
}
