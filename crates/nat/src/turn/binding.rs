//! The Binding requests: the STUN check's one request from the client, and the peer socket's,
//! which learns the reflexive address the client then permits on the relay.

use super::TurnCheck;
use rtcscope_stun::{Attribute, Class, Message};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

impl TurnCheck {
    /// The STUN check's Binding answered.
    pub(super) fn on_binding(
        &mut self,
        now: Instant,
        rtt: Option<Duration>,
        attrs: &[Attribute<'static>],
    ) {
        let x = attrs.iter().find_map(|a| match a {
            Attribute::XorMappedAddress(x) | Attribute::MappedAddress(x) => Some(*x),
            _ => None,
        });
        self.report.srflx = x;
        self.step(
            "Binding",
            x.is_some(),
            rtt,
            format!(
                "server-reflexive candidate {}",
                x.map(|a| a.to_string()).unwrap_or_else(|| "missing".into())
            ),
        );
        self.finish(now);
    }

    /// An answer at the peer from its STUN server: the peer's reflexive address, which the
    /// client then permits on the relay.
    pub(super) fn on_peer_binding(&mut self, now: Instant, src: SocketAddr, data: &[u8]) {
        let Ok(msg) = Message::parse(data) else {
            self.junk(src, data);
            return;
        };
        let Some(p) = &self.peer_req else { return };
        if !p.matches(msg.transaction_id().as_bytes()) || msg.class() != Class::SUCCESS {
            self.late_or_wrong(src, &msg);
            return;
        }
        let rtt = p.schedule.rtt_sample(now);
        let mapped = msg
            .attributes()
            .map_while(Result::ok)
            .find_map(|a| match a.decode() {
                Ok(Attribute::XorMappedAddress(x)) => Some(x),
                _ => None,
            });
        self.peer_req = None;
        self.peer_srflx = mapped;
        self.step(
            "peer Binding",
            mapped.is_some(),
            rtt,
            format!(
                "the peer socket's reflexive address is {}",
                mapped
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "missing".into())
            ),
        );
        self.maybe_permission(now);
    }
}
