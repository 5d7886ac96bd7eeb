//! Hairpinning (RFC 4787 §6): a second socket learns its public address, then each socket
//! sends to the other's public address; a negative result is re-checked on a fresh socket.

use super::requests::{Kind, Outcome};
use super::{NatCheck, SocketId};
use crate::msg;
use crate::report::Mapping;
use std::time::Instant;

impl NatCheck {
    /// Opens hairpin socket `h_round` and learns its public address.
    pub(super) fn start_hairpin_round(&mut self, now: Instant) {
        let Some(h) = self.helper_server() else {
            return;
        };
        let s = self.cfg.servers[h];
        let sock = self.open();
        self.h_socks.push(sock);
        self.hairpin_probes_started = [false; 2];
        let round = self.h_round;
        self.request(now, Kind::HairpinBase { round }, sock, s, (false, false), s);
    }

    /// Sends each socket's probe to the other's public address and decides hairpinning.
    pub(super) fn step_hairpin(&mut self, now: Instant, m: SocketId) {
        let Some(h) = self.helper_server() else {
            self.hairpin = Some(None);
            return;
        };
        if !self.mapping_done {
            return;
        }
        if self.mapping == Mapping::NoNat || self.no_nat() {
            self.hairpin = Some(None); // Nothing to hairpin without a NAT.
            return;
        }
        // Send to the public addresses only after the mapping tests are over.
        if self.primary.is_some()
            && !(self.done(Kind::MapAp) && self.done(Kind::MapAa) && self.done(Kind::MapPa))
        {
            return;
        }
        let r = self.h_round;
        let Some(x_m) = self.mapped(self.bind_kind(h)) else {
            self.hairpin = Some(None);
            return;
        };
        if !self.done(Kind::HairpinBase { round: r }) {
            return;
        }
        let hs = self.h_socks[r as usize];
        let Some(x_h) = self.mapped(Kind::HairpinBase { round: r }) else {
            if r == 0 {
                self.h_round = 1;
                self.start_hairpin_round(now);
            } else {
                self.hairpin = Some(None);
            }
            return;
        };
        if !self.hairpin_probes_started[0] {
            self.hairpin_probes_started = [true, true];
            for (kind, from, to, dst) in [
                (Kind::HairpinToM { round: r }, hs, m, x_m),
                (Kind::HairpinToH { round: r }, m, hs, x_h),
            ] {
                let id = self.ids.transaction_id();
                let payload = msg::binding_request(id, false, false, None);
                self.add_txn(now, kind, from, dst, None, payload, id);
                if let Some(t) = self.txns.last_mut() {
                    t.receiver = to;
                }
            }
            return;
        }
        let a = self.outcome(Kind::HairpinToM { round: r }).cloned();
        let b = self.outcome(Kind::HairpinToH { round: r }).cloned();
        let arrived = |o: &Option<Outcome>| matches!(o, Some(Outcome::Arrived));
        if arrived(&a) || arrived(&b) {
            self.hairpin = Some(Some(true));
            // The other direction may still be waiting: stop it.
            for t in self.txns.iter_mut().filter(|t| {
                matches!(
                    t.tx.request,
                    Kind::HairpinToM { .. } | Kind::HairpinToH { .. }
                ) && t.outcome.is_none()
            }) {
                t.outcome = Some(Outcome::Timeout);
            }
        } else if a.is_some() && b.is_some() {
            if r == 0 {
                self.notes.push(
                    "hairpin probes went unanswered; re-checked once on a fresh socket".into(),
                );
                self.h_round = 1;
                self.start_hairpin_round(now);
            } else {
                self.hairpin = Some(Some(false));
            }
        }
    }
}
