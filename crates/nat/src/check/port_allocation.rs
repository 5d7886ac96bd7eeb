//! The port allocation pattern of endpoint-dependent mappings: fresh sockets one after
//! another to one server, alone on the wire, so the public ports they get show the NAT's
//! sequence (or its randomness).

use super::requests::Kind;
use super::NatCheck;
use crate::report;
use std::time::Instant;

impl NatCheck {
    /// True while other tests may still open flows (the probes must be alone on the wire).
    pub(super) fn others_busy(&self) -> bool {
        self.filtering.is_none()
            || self.hairpin.is_none()
            || self.txns.iter().any(|t| {
                t.outcome.is_none() && matches!(t.tx.request, Kind::CapBoth | Kind::CapPort)
            })
    }

    /// Sends the port probes one after another and judges the allocation pattern.
    pub(super) fn step_port_probes(&mut self, now: Instant) {
        if !self.mapping_done {
            return;
        }
        let Some(h) = self.helper_server() else {
            self.port_allocation = Some(None);
            return;
        };
        if !self.mapping.is_endpoint_dependent() || self.cfg.port_probes == 0 {
            self.port_allocation = Some(None);
            return;
        }
        // Alone on the wire, so no other new flow takes a port of the sequence.
        if self.others_busy() {
            return;
        }
        let s = self.cfg.servers[h];
        if !self.probes_started {
            self.probes_started = true;
        }
        if self.probes_next > 0 {
            let prev = Kind::PortProbe(self.probes_next - 1);
            if !self.done(prev) {
                return;
            }
            if let (Some(x), Some(t)) = (self.mapped(prev), self.txn(prev)) {
                if let Some(l) = self.socks[t.tx.from].local {
                    self.probe_ports.push((l.port(), x.port()));
                }
            }
        }
        if self.probes_next < self.cfg.port_probes {
            let sock = self.open();
            self.request(
                now,
                Kind::PortProbe(self.probes_next),
                sock,
                s,
                (false, false),
                s,
            );
            self.probes_next += 1;
        } else {
            self.port_allocation = Some(Some(report::port_allocation(&self.probe_ports)));
        }
    }
}
