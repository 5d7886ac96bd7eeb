//! ChannelBind of the check's channel to the peer.

use super::{Phase, Request, TurnCheck, CHANNEL};
use rtcscope_stun::{Attribute, MessageBuilder, Method, TransactionId};
use std::time::{Duration, Instant};

impl TurnCheck {
    /// Sends ChannelBind of [`CHANNEL`] to the peer's reflexive address.
    pub(super) fn channel_bind(&mut self, now: Instant) {
        let id = self.ids.transaction_id();
        let mut b = MessageBuilder::request(Method::CHANNEL_BIND, TransactionId::Rfc5389(id));
        if let Some(peer) = self.peer_srflx {
            b.add(&Attribute::ChannelNumber(CHANNEL))
                .add(&Attribute::XorPeerAddress(peer));
        }
        self.send_client(now, id, b, Request::ChannelBind, true);
    }

    /// ChannelBind succeeded: the echoes are next.
    pub(super) fn on_channel_bound(&mut self, now: Instant, rtt: Option<Duration>) {
        self.step(
            "ChannelBind",
            true,
            rtt,
            format!("channel 0x{CHANNEL:04X} bound to the peer"),
        );
        self.phase = Phase::Echo;
        self.start_probe(now, b"rtcscope-echo-0".to_vec());
    }
}
