//! The data paths through the relay, before any channel: the peer sends to the relayed address
//! (a Data indication must reach the client), then the client sends a Send indication (the
//! data must reach the peer). Each probe is retransmitted until it arrives.

use super::{Endpoint, Phase, Transmit, TurnCheck, ATTEMPTS, CHANNEL};
use crate::transaction::{Poll, Schedule};
use rtcscope_stun::{Attribute, Message, MessageBuilder, Method, TransactionId};
use std::net::SocketAddr;
use std::time::Instant;

impl TurnCheck {
    /// Sends `payload` through the relay (as the phase asks), retransmitted until it arrives.
    pub(super) fn start_probe(&mut self, now: Instant, payload: Vec<u8>) {
        let mut schedule = Schedule::new(now, ATTEMPTS);
        let first = schedule.poll(now, &self.probe_pacing());
        debug_assert_eq!(first, Poll::Transmit);
        self.probe = Some((payload.clone(), schedule));
        self.send_probe(payload);
    }

    /// Sends what the current data-path phase needs for `payload`.
    pub(super) fn send_probe(&mut self, payload: Vec<u8>) {
        let (Some(relayed), Some(peer)) = (self.report.relayed, self.peer_srflx) else {
            return;
        };
        match self.phase {
            Phase::DataPaths if !self.peer_to_client => {
                // The peer sends first: it opens the peer's own NAT toward the relay, and the
                // relay must forward it to the client as a Data indication.
                self.out.push(Transmit {
                    from: Endpoint::Peer,
                    dst: relayed,
                    payload,
                });
            }
            Phase::DataPaths => {
                let id = self.ids.transaction_id();
                let mut b = MessageBuilder::indication(Method::SEND, TransactionId::Rfc5389(id));
                b.add(&Attribute::XorPeerAddress(peer))
                    .add(&Attribute::Data(payload.into()));
                self.out.push(Transmit {
                    from: Endpoint::Client,
                    dst: self.cfg.server,
                    payload: b.finish().expect("small"),
                });
            }
            Phase::Echo => {
                let mut cd = Vec::with_capacity(4 + payload.len() + 3);
                cd.extend_from_slice(&CHANNEL.to_be_bytes());
                cd.extend_from_slice(&(payload.len() as u16).to_be_bytes());
                cd.extend_from_slice(&payload);
                if self.cfg.transport.is_stream() {
                    cd.resize(cd.len().div_ceil(4) * 4, 0);
                }
                self.out.push(Transmit {
                    from: Endpoint::Client,
                    dst: self.cfg.server,
                    payload: cd,
                });
            }
            _ => {}
        }
    }

    /// A Data indication at the client: the peer's datagram relayed to it.
    pub(super) fn on_data_indication(&mut self, now: Instant, msg: &Message<'_>) {
        let d = msg
            .attributes()
            .map_while(Result::ok)
            .find_map(|a| match a.decode() {
                Ok(Attribute::Data(d)) => Some(d.into_owned()),
                _ => None,
            });
        if let (Phase::DataPaths, Some((payload, schedule)), Some(d)) =
            (self.phase, self.probe.clone(), d)
        {
            if !self.peer_to_client && d == payload {
                self.peer_to_client = true;
                self.step(
                    "Data indication",
                    true,
                    Some(schedule.since_first(now)),
                    "the relay forwarded the peer's datagram to the client".into(),
                );
                self.start_probe(now, b"rtcscope-send-indication".to_vec());
            }
        }
    }

    /// The client's Send indication arrived at the peer from the relayed address: both data
    /// paths work, ChannelBind is next.
    pub(super) fn on_send_indication_arrived(
        &mut self,
        now: Instant,
        src: SocketAddr,
        schedule: &Schedule,
    ) {
        self.client_to_peer = true;
        self.probe = None;
        self.step(
            "Send indication",
            true,
            Some(schedule.since_first(now)),
            format!("the peer received the client's data from the relayed address {src}"),
        );
        self.phase = Phase::ChannelBind;
        self.channel_bind(now);
    }
}
