//! The echoes: ChannelData client → relay → peer, the peer sends it back, relay → client; each
//! round trip timed.

use super::{Endpoint, Phase, Transmit, TurnCheck, CHANNEL};
use rtcscope_stun::ChannelData;
use std::net::SocketAddr;
use std::time::Instant;

impl TurnCheck {
    /// ChannelData at the client: an echo back through the relay.
    pub(super) fn on_channel_data(&mut self, now: Instant, data: &[u8]) {
        let Ok(cd) =
            ChannelData::parse(data).or_else(|_| ChannelData::parse_prefix(data).map(|(c, _)| c))
        else {
            self.report.not_stun += 1;
            return;
        };
        if let (Phase::Echo, Some((payload, schedule))) = (self.phase, self.probe.clone()) {
            if cd.channel_number() == CHANNEL && cd.data() == payload.as_slice() {
                let rtt = schedule.since_first(now);
                self.report.echo_rtt_ms.push(rtt.as_secs_f64() * 1000.0);
                self.echo_n += 1;
                if self.echo_n >= self.cfg.echoes {
                    self.probe = None;
                    let rtts = &self.report.echo_rtt_ms;
                    let min = rtts.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = rtts.iter().copied().fold(0.0, f64::max);
                    let detail = format!(
                        "{} echoes client → relay → peer → relay → client over channel 0x{CHANNEL:04X}, RTT {min:.1} to {max:.1} ms",
                        rtts.len()
                    );
                    self.step("ChannelData echo", true, None, detail);
                    self.release(now);
                } else {
                    self.start_probe(now, format!("rtcscope-echo-{}", self.echo_n).into_bytes());
                }
            }
        }
    }

    /// The peer sends an echo it got back through the relay.
    pub(super) fn echo_back(&mut self, src: SocketAddr, data: &[u8]) {
        // The peer echoes what it got back through the relay.
        self.out.push(Transmit {
            from: Endpoint::Peer,
            dst: src,
            payload: data.to_vec(),
        });
    }
}
