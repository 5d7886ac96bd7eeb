//! Refresh with LIFETIME 0: the allocation released, at the end or after a failure.

use super::{Phase, Request, TurnCheck};
use rtcscope_stun::{Attribute, MessageBuilder, Method, TransactionId};
use std::time::{Duration, Instant};

impl TurnCheck {
    /// Releases the allocation: Refresh with LIFETIME 0, signed.
    pub(super) fn release(&mut self, now: Instant) {
        self.phase = Phase::Release;
        // A data probe still waiting is over: left in place, its exhausted schedule would be
        // reported as silence a second time and end the check before the Refresh is answered.
        self.probe = None;
        let id = self.ids.transaction_id();
        let mut b = MessageBuilder::request(Method::REFRESH, TransactionId::Rfc5389(id));
        b.add(&Attribute::Lifetime(0));
        self.send_client(now, id, b, Request::Refresh, true);
    }

    /// The Refresh to LIFETIME 0 succeeded: the allocation is released.
    pub(super) fn on_released(&mut self, now: Instant, what: Request, rtt: Option<Duration>) {
        self.report.released = true;
        self.step(what.name(), true, rtt, "allocation released".into());
        self.finish(now);
    }
}
