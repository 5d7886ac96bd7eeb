//! The binding lifetime (optional, `--lifetime`): one binding per wait, each probed later by a
//! request from another socket with RESPONSE-PORT pointing at it; the longest wait a binding
//! survived and the shortest it did not bracket the lifetime.

use super::requests::{Kind, Outcome};
use super::NatCheck;
use crate::msg;
use crate::report::{Lifetime, Mapping};
use std::time::{Duration, Instant};

/// Lifetime probe waits, in seconds.
pub(super) const LIFETIME_STEPS: [u64; 17] = [
    1, 2, 3, 4, 6, 8, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300,
];

impl NatCheck {
    /// Makes the bindings, schedules their RESPONSE-PORT probes and brackets the lifetime.
    pub(super) fn step_lifetime(&mut self, now: Instant) {
        let Some(max) = self.cfg.lifetime else {
            self.lifetime = Some(None);
            return;
        };
        let Some(h) = self.helper_server() else {
            self.lifetime = Some(Some(Lifetime::Unsupported {
                reason: "no server answered".into(),
            }));
            return;
        };
        // After the port probes, so no lifetime flow takes a port of their sequence.
        if !self.mapping_done || self.port_allocation.is_none() {
            return;
        }
        if self.mapping == Mapping::NoNat {
            self.lifetime = Some(Some(Lifetime::Unsupported {
                reason: "no NAT: there is no binding to time out".into(),
            }));
            return;
        }
        let s = self.cfg.servers[h];
        let steps: Vec<u64> = LIFETIME_STEPS
            .iter()
            .copied()
            .filter(|t| Duration::from_secs(*t) <= max)
            .collect();
        if !self.life_started {
            // Step 0 checks RESPONSE-PORT support right away; the others wait their turn.
            self.life_started = true;
            self.life_y = Some(self.open());
            for i in 0..=steps.len() {
                let x = self.open();
                self.life_socks.push(x);
                self.request(now, Kind::LifeBase(i), x, s, (false, false), s);
            }
            return;
        }
        let y = self.life_y.unwrap_or(0);
        // Bases answered: schedule the probes from the time the bindings were made.
        if self.life_t0.is_none() {
            if !(0..=steps.len()).all(|i| self.done(Kind::LifeBase(i))) {
                return;
            }
            self.life_t0 = Some(now);
            for i in 0..=steps.len() {
                let Some(x) = self.mapped(Kind::LifeBase(i)) else {
                    continue;
                };
                let id = self.ids.transaction_id();
                let payload = msg::binding_request(id, false, false, Some(x.port()));
                self.add_txn(now, Kind::LifeProbe(i), y, s, Some(s), payload, id);
                let wait = if i == 0 { 0 } else { steps[i - 1] };
                if let Some(t) = self.txns.last_mut() {
                    t.receiver = self.life_socks[i];
                    t.tx.schedule.not_before = Some(now + Duration::from_secs(wait));
                }
            }
            return;
        }
        let ok = |c: &Self, i: usize| match c.outcome(Kind::LifeProbe(i)) {
            Some(Outcome::Response { resp, .. }) if resp.success => Some(true),
            Some(_) => Some(false),
            None if c.txn(Kind::LifeProbe(i)).is_none() => Some(false),
            None => None,
        };
        match ok(self, 0) {
            None => return,
            Some(false) => {
                let reason = match self.outcome(Kind::LifeProbe(0)) {
                    Some(Outcome::WrongReceiver) => {
                        "the server ignores RESPONSE-PORT (answered the sending socket)".into()
                    }
                    Some(Outcome::Response { resp, .. }) => format!(
                        "the server refused RESPONSE-PORT with error {}",
                        resp.error_code().unwrap_or(0)
                    ),
                    _ => "no answer to a RESPONSE-PORT request".into(),
                };
                self.cancel_life();
                self.lifetime = Some(Some(Lifetime::Unsupported { reason }));
                return;
            }
            Some(true) => {}
        }
        let mut alive = 0.0;
        for (i, secs) in steps.iter().enumerate() {
            match ok(self, i + 1) {
                None => return,
                Some(true) => alive = *secs as f64,
                Some(false) => {
                    self.cancel_life();
                    self.lifetime = Some(Some(Lifetime::Between {
                        alive_s: alive,
                        dead_s: *secs as f64,
                    }));
                    return;
                }
            }
        }
        self.lifetime = Some(Some(Lifetime::AtLeast { alive_s: alive }));
    }

    /// Stops the lifetime probes still waiting.
    pub(super) fn cancel_life(&mut self) {
        for t in self
            .txns
            .iter_mut()
            .filter(|t| matches!(t.tx.request, Kind::LifeProbe(_)) && t.outcome.is_none())
        {
            t.outcome = Some(Outcome::Timeout);
        }
    }
}
