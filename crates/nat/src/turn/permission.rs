//! CreatePermission for the peer's reflexive address, once both the allocation and the peer's
//! Binding answered.

use super::{Phase, Request, TurnCheck};
use rtcscope_stun::{Attribute, MessageBuilder, Method, TransactionId};
use std::time::{Duration, Instant};

impl TurnCheck {
    /// Sends CreatePermission once the allocation is made and the peer's address known.
    pub(super) fn maybe_permission(&mut self, now: Instant) {
        if self.phase != Phase::Permission || self.client_req.is_some() {
            return;
        }
        let Some(peer) = self.peer_srflx else { return };
        let id = self.ids.transaction_id();
        let mut b = MessageBuilder::request(Method::CREATE_PERMISSION, TransactionId::Rfc5389(id));
        b.add(&Attribute::XorPeerAddress(peer));
        self.send_client(now, id, b, Request::CreatePermission, true);
    }

    /// CreatePermission succeeded: the data paths are next.
    pub(super) fn on_permission(&mut self, now: Instant, rtt: Option<Duration>) {
        self.step(
            "CreatePermission",
            true,
            rtt,
            format!(
                "permission for {}",
                self.peer_srflx
                    .map(|a| a.ip().to_string())
                    .unwrap_or_default()
            ),
        );
        self.phase = Phase::DataPaths;
        self.start_probe(now, b"rtcscope-peer-punch".to_vec());
    }
}
