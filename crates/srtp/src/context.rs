//! One receiving context per master key: per-SSRC rollover counters and replay windows,
//! `unprotect` for SRTP and SRTCP, and `protect` for tests and fuzzing.

use crate::crypto::{Crypto, SrtcpLayout, SrtpLayout, GCM_TAG_LEN};
use crate::error::{AuthFailure, SrtpError};
use crate::keys::{MasterKey, Mki, SessionKeys};
use rtcscope_rtp::rtp::RtpPacket;
use rtcscope_rtp::srtp::{SrtcpPacket, SrtpPacket, SrtpProfile};
use rtcscope_wire::{Error, Layer};
use std::collections::HashMap;

/// Width of the replay window in packets (RFC 3711 §3.3.2 asks for at least 64).
pub const REPLAY_WINDOW: u64 = 128;

/// How a context searches for an unknown rollover counter and how much state it keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextConfig {
    /// Most SSRCs tracked, for SRTP and for SRTCP each (default 64). An SSRC beyond the cap
    /// is refused ([`SrtpError::TooManySsrcs`], counted), never evicted: the state is
    /// `max_ssrcs` × about 40 bytes, allocated when the context is made.
    pub max_ssrcs: usize,
    /// The rollover counter a new SSRC is tried with first (default 0: the capture starts at
    /// the start of the call). Set it when the key management says (RFC 4568 has no field for
    /// it; some signalling does).
    pub initial_roc: u32,
    /// How far from `initial_roc` the first packet of a new SSRC may search when it fails at
    /// `initial_roc` (default 64: tried in order `initial_roc`, +1, −1, +2, −2, …, never below
    /// 0). A capture that starts mid-call has an unknown ROC; at a video rate of 1000 packets/s
    /// the ROC grows by one a minute, so 64 covers a capture started an hour into a call.
    pub roc_search: u32,
    /// How many full searches (ones that find nothing) the context makes in all before new
    /// SSRCs are tried only at `initial_roc` and its neighbours (default 32): a wrong key makes
    /// every packet fail, and the search must not multiply the cost of every packet.
    pub search_budget: u32,
}

impl Default for ContextConfig {
    fn default() -> Self {
        ContextConfig {
            max_ssrcs: 64,
            initial_roc: 0,
            roc_search: 64,
            search_budget: 32,
        }
    }
}

/// Counters of what a context has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContextStats {
    /// SRTP packets that authenticated (replays included).
    pub rtp_authenticated: u64,
    /// SRTCP packets that authenticated (replays included).
    pub rtcp_authenticated: u64,
    /// Packets (SRTP or SRTCP) whose tag did not verify.
    pub auth_failures: u64,
    /// Packets refused as not SRTP/SRTCP, or with another MKI.
    pub malformed: u64,
    /// Authenticated packets seen before (same index): duplicates.
    pub duplicates: u64,
    /// Authenticated packets older than the replay window: not checkable for replay.
    pub too_old: u64,
    /// Authenticated packets of a new SSRC refused because the context was full.
    pub refused_ssrcs: u64,
    /// Rollover-counter searches made for new SSRCs (successful or not).
    pub roc_searches: u64,
    /// Packets of an established SSRC that authenticated only at the estimated ROC ± 1
    /// (after a gap of 2^15 packets or more).
    pub roc_corrections: u64,
}

/// What the replay window says about an authenticated packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Replay {
    /// Not seen before.
    Fresh,
    /// Seen before (same SRTP/SRTCP index): a duplicate in the capture or a replay. The
    /// packet authenticated and its plaintext is returned.
    Duplicate,
    /// Older than the replay window ([`REPLAY_WINDOW`] packets behind the highest index): it
    /// authenticated but whether it is a duplicate cannot be told.
    TooOld,
}

/// An unprotected SRTP packet: the plaintext RTP packet is `out[..len]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unprotected {
    /// Length of the plaintext RTP packet in the output buffer.
    pub len: usize,
    /// SSRC.
    pub ssrc: u32,
    /// Sequence number.
    pub seq: u16,
    /// Rollover counter the packet authenticated with.
    pub roc: u32,
    /// The 48-bit SRTP packet index (ROC·2^16 + SEQ).
    pub index: u64,
    /// Replay status.
    pub replay: Replay,
    /// True when this packet established the SSRC (its first authenticated packet; the ROC
    /// came from the search when it is not [`ContextConfig::initial_roc`]).
    pub new_ssrc: bool,
}

/// An unprotected SRTCP packet: the plaintext compound RTCP packet is `out[..len]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnprotectedRtcp {
    /// Length of the plaintext compound RTCP packet in the output buffer.
    pub len: usize,
    /// Sender SSRC (from the clear first header).
    pub ssrc: u32,
    /// The 31-bit SRTCP index.
    pub index: u32,
    /// The E flag: the compound packet was encrypted (false: authenticated only).
    pub encrypted: bool,
    /// Replay status.
    pub replay: Replay,
}

/// Highest index and the bitmap of the [`REPLAY_WINDOW`] indices below it.
#[derive(Clone, Copy, Debug)]
struct Window {
    highest: u64,
    /// Bit n set: index `highest - n` seen.
    seen: u128,
}

impl Window {
    fn new(index: u64) -> Self {
        Window {
            highest: index,
            seen: 1,
        }
    }

    /// Records an authenticated index and says whether it was seen before.
    fn record(&mut self, index: u64) -> Replay {
        if index > self.highest {
            let shift = index - self.highest;
            self.seen = if shift >= REPLAY_WINDOW {
                0
            } else {
                self.seen << shift
            };
            self.seen |= 1;
            self.highest = index;
            Replay::Fresh
        } else {
            let back = self.highest - index;
            if back >= REPLAY_WINDOW {
                Replay::TooOld
            } else if self.seen & (1 << back) != 0 {
                Replay::Duplicate
            } else {
                self.seen |= 1 << back;
                Replay::Fresh
            }
        }
    }
}

/// RFC 3711 §3.3.1 (Appendix A): the ROC `v` of a packet with sequence number `seq` given the
/// stream's ROC and highest sequence number `s_l`. Wrapping: a ROC of 0 estimated "one back"
/// gives `u32::MAX`, which never authenticates.
fn estimate_roc(roc: u32, s_l: u16, seq: u16) -> u32 {
    if s_l < 0x8000 {
        if seq > s_l && seq - s_l > 0x8000 {
            roc.wrapping_sub(1)
        } else {
            roc
        }
    } else if s_l - 0x8000 > seq {
        roc.wrapping_add(1)
    } else {
        roc
    }
}

/// RFC 5761 §4: payload-type values 192–223 (64–95 with the marker bit) are RTCP's.
fn not_rtcp(packet: &[u8]) -> Result<(), Error> {
    match packet.get(1) {
        Some(&pt) if (192..=223).contains(&pt) => Err(Error::bad_value(
            Layer::Rtp,
            1,
            "payload type",
            "not 64-95 with the marker bit set (that is RTCP: use unprotect_rtcp)",
            u64::from(pt),
        )),
        _ => Ok(()),
    }
}

/// The first packet type of an RTCP compound is in 192–223.
fn rtcp_type(packet: &[u8]) -> Result<(), Error> {
    match packet.get(1) {
        Some(&pt) if !(192..=223).contains(&pt) => Err(Error::bad_value(
            Layer::Rtcp,
            1,
            "packet type",
            "an RTCP packet type, 192-223 (this looks like RTP: use unprotect_rtp)",
            u64::from(pt),
        )),
        _ => Ok(()),
    }
}

/// The order a ROC search tries: `hint`, `hint+1`, `hint-1`, `hint+2`, … within `radius`,
/// never below 0 nor above `u32::MAX`.
fn search_order(hint: u32, radius: u32) -> impl Iterator<Item = u32> {
    std::iter::once(hint).chain((1..=radius).flat_map(move |d| {
        [hint.checked_add(d), hint.checked_sub(d)]
            .into_iter()
            .flatten()
    }))
}

/// An SRTP/SRTCP receiving context for one master key (one direction of one association, or
/// one SDES `a=crypto` key): all SSRCs protected with that key.
///
/// Feed it packets in capture order with [`Self::unprotect_rtp`] / [`Self::unprotect_rtcp`];
/// the plaintext goes into a buffer the caller owns (no allocation per packet). Per-SSRC state
/// (rollover counter, highest sequence number, a [`REPLAY_WINDOW`]-packet replay window) is
/// created only by a packet that authenticates, and bounded by [`ContextConfig::max_ssrcs`].
///
/// **Unknown initial rollover counter** (a capture that starts mid-call): the first packet of
/// an SSRC is tried at [`ContextConfig::initial_roc`], then at the ROCs around it
/// ([`ContextConfig::roc_search`]); the first ROC that authenticates is the stream's. With
/// HMAC-SHA1 each try is one HMAC; with GCM one GHASH pass. A context makes at most
/// [`ContextConfig::search_budget`] fruitless searches, then tries new SSRCs only at the
/// initial ROC and its neighbours. After that, the ROC follows RFC 3711 §3.3.1 through loss,
/// reordering and wraps; a packet of an established SSRC that fails at the estimate is tried
/// at the estimate ± 1 (a gap of 2^15 packets or more).
pub struct SrtpContext {
    profile: SrtpProfile,
    crypto: Crypto,
    mki: Option<Mki>,
    config: ContextConfig,
    rtp: HashMap<u32, Window>,
    rtcp: HashMap<u32, Window>,
    searches_left: u32,
    stats: ContextStats,
}

impl core::fmt::Debug for SrtpContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SrtpContext")
            .field("profile", &self.profile.sdes_name())
            .field("mki", &self.mki)
            .field("rtp_ssrcs", &self.rtp.len())
            .field("rtcp_ssrcs", &self.rtcp.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl SrtpContext {
    /// A context for `key` (session keys derived by RFC 3711 §4.3).
    pub fn new(key: &MasterKey, config: ContextConfig) -> Self {
        Self::from_session_keys(&key.derive(), key.mki().cloned(), config)
    }

    /// A context from session keys given directly (RFC 7714's examples), with an optional MKI.
    pub fn from_session_keys(keys: &SessionKeys, mki: Option<Mki>, config: ContextConfig) -> Self {
        SrtpContext {
            profile: keys.profile(),
            crypto: Crypto::new(keys),
            mki,
            config,
            rtp: HashMap::with_capacity(config.max_ssrcs),
            rtcp: HashMap::with_capacity(config.max_ssrcs),
            searches_left: config.search_budget,
            stats: ContextStats::default(),
        }
    }

    /// The profile.
    pub fn profile(&self) -> SrtpProfile {
        self.profile
    }

    /// The MKI packets under this context's key carry, when there is one (to pick the context
    /// of a packet when several keys with MKIs share a direction).
    pub fn mki(&self) -> Option<&Mki> {
        self.mki.as_ref()
    }

    /// The counters so far.
    pub fn stats(&self) -> ContextStats {
        self.stats
    }

    /// The SSRCs that have authenticated SRTP packets, with their current rollover counter and
    /// highest sequence number.
    pub fn rtp_streams(&self) -> impl Iterator<Item = (u32, u32, u16)> + '_ {
        self.rtp
            .iter()
            .map(|(&ssrc, w)| (ssrc, (w.highest >> 16) as u32, w.highest as u16))
    }

    fn mki_len(&self) -> usize {
        self.mki.as_ref().map_or(0, Mki::len)
    }

    fn check_mki(&mut self, buf: &[u8], range: Option<rtcscope_wire::Field>) -> bool {
        match (&self.mki, range) {
            (Some(m), Some(r)) => buf.get(r) == Some(m.as_bytes()),
            (None, None) => true,
            _ => false,
        }
    }

    fn fail(&mut self, out: &mut [u8], e: SrtpError) -> SrtpError {
        out.fill(0);
        match e {
            SrtpError::AuthFailed { .. } => self.stats.auth_failures += 1,
            SrtpError::TooManySsrcs { .. } => self.stats.refused_ssrcs += 1,
            SrtpError::NotSrtp(_) | SrtpError::MkiMismatch => self.stats.malformed += 1,
            SrtpError::OutputTooSmall { .. } => {}
        }
        e
    }

    fn count_replay(&mut self, r: Replay) {
        match r {
            Replay::Fresh => {}
            Replay::Duplicate => self.stats.duplicates += 1,
            Replay::TooOld => self.stats.too_old += 1,
        }
    }

    /// Verifies and decrypts one SRTP packet into `out` (which must hold at least
    /// `packet.len()` bytes); the plaintext RTP packet is `out[..result.len]`.
    ///
    /// On error nothing of the packet is usable and `out` is zeroed; the error says why
    /// ([`SrtpError`], [`AuthFailure`]). Replays are not errors: they authenticate and come
    /// back with [`Replay::Duplicate`] or [`Replay::TooOld`].
    pub fn unprotect_rtp(
        &mut self,
        packet: &[u8],
        out: &mut [u8],
    ) -> Result<Unprotected, SrtpError> {
        if out.len() < packet.len() {
            return Err(SrtpError::OutputTooSmall {
                needed: packet.len(),
                available: out.len(),
            });
        }
        if let Err(e) = not_rtcp(packet) {
            return Err(self.fail(out, SrtpError::NotSrtp(e)));
        }
        let view = match SrtpPacket::new_checked(packet, Some(self.profile), self.mki_len()) {
            Ok(v) => v,
            Err(e) => return Err(self.fail(out, SrtpError::NotSrtp(e))),
        };
        if !self.check_mki(packet, view.mki_range()) {
            return Err(self.fail(out, SrtpError::MkiMismatch));
        }
        let header = view.header();
        let body = view.payload_range();
        let layout = SrtpLayout {
            buf: packet,
            header_end: body.start,
            body_end: body.end,
            tag: view.auth_tag().unwrap_or(&[]),
            ssrc: header.ssrc(),
            seq: header.sequence_number(),
        };
        let (ssrc, seq) = (layout.ssrc, layout.seq);

        let found = match self.rtp.get(&ssrc).copied() {
            Some(w) => {
                let v = estimate_roc((w.highest >> 16) as u32, w.highest as u16, seq);
                let hit = [v, v.wrapping_add(1), v.wrapping_sub(1)]
                    .into_iter()
                    .find(|&roc| self.crypto.srtp_open(&layout, roc, out));
                match hit {
                    Some(roc) => {
                        if roc != v {
                            self.stats.roc_corrections += 1;
                        }
                        Ok((roc, false))
                    }
                    None => {
                        let dist = seq.wrapping_sub(w.highest as u16) as i16;
                        let reason = if dist.unsigned_abs() >= 0x4000 {
                            AuthFailure::RocOutOfSync { estimated_roc: v }
                        } else {
                            AuthFailure::Corrupted
                        };
                        Err(reason)
                    }
                }
            }
            None => {
                let hint = self.config.initial_roc;
                let radius = if self.searches_left > 0 {
                    self.config.roc_search
                } else {
                    1
                };
                self.stats.roc_searches += 1;
                let hit = search_order(hint, radius)
                    .find(|&roc| self.crypto.srtp_open(&layout, roc, out));
                match hit {
                    Some(roc) => Ok((roc, true)),
                    None => {
                        if radius > 1 {
                            self.searches_left -= 1;
                        }
                        let (roc_min, roc_max) =
                            (hint.saturating_sub(radius), hint.saturating_add(radius));
                        Err(if self.rtp.is_empty() && self.rtcp.is_empty() {
                            AuthFailure::WrongKey { roc_min, roc_max }
                        } else {
                            AuthFailure::SsrcNotUnderThisKey { roc_min, roc_max }
                        })
                    }
                }
            }
        };
        let (roc, new_ssrc) = match found {
            Ok(x) => x,
            Err(reason) => return Err(self.fail(out, SrtpError::AuthFailed { ssrc, reason })),
        };
        let index = (u64::from(roc) << 16) | u64::from(seq);
        let replay = if new_ssrc {
            if self.rtp.len() >= self.config.max_ssrcs {
                let cap = self.config.max_ssrcs;
                return Err(self.fail(out, SrtpError::TooManySsrcs { ssrc, cap }));
            }
            self.rtp.insert(ssrc, Window::new(index));
            Replay::Fresh
        } else {
            self.rtp
                .get_mut(&ssrc)
                .map_or(Replay::Fresh, |w| w.record(index))
        };
        self.stats.rtp_authenticated += 1;
        self.count_replay(replay);
        Ok(Unprotected {
            len: layout.body_end,
            ssrc,
            seq,
            roc,
            index,
            replay,
            new_ssrc,
        })
    }

    /// Verifies and decrypts one SRTCP packet into `out` (which must hold at least
    /// `packet.len()` bytes); the plaintext compound RTCP packet is `out[..result.len]`. With
    /// E = 0 the packet is authenticated only and the compound comes back as it was.
    pub fn unprotect_rtcp(
        &mut self,
        packet: &[u8],
        out: &mut [u8],
    ) -> Result<UnprotectedRtcp, SrtpError> {
        if out.len() < packet.len() {
            return Err(SrtpError::OutputTooSmall {
                needed: packet.len(),
                available: out.len(),
            });
        }
        if let Err(e) = rtcp_type(packet) {
            return Err(self.fail(out, SrtpError::NotSrtp(e)));
        }
        let view = match SrtcpPacket::new_checked(packet, Some(self.profile), self.mki_len()) {
            Ok(v) => v,
            Err(e) => return Err(self.fail(out, SrtpError::NotSrtp(e))),
        };
        if !self.check_mki(packet, view.mki_range()) {
            return Err(self.fail(out, SrtpError::MkiMismatch));
        }
        let (Some(ir), Some(tag)) = (view.index_range(), view.auth_tag()) else {
            let e = Error::truncated(Layer::Rtcp, 0, "SRTCP trailer", 0, packet.len());
            return Err(self.fail(out, SrtpError::NotSrtp(e)));
        };
        let mut e_index = [0u8; 4];
        e_index.copy_from_slice(&packet[ir.clone()]);
        let layout = SrtcpLayout {
            buf: packet,
            body_end: view.payload_range().end,
            e_index,
            e_index_end: ir.end,
            tag,
            ssrc: view.sender_ssrc(),
        };
        let ssrc = layout.ssrc;
        if !self.crypto.srtcp_open(&layout, out) {
            let reason = if self.rtcp.contains_key(&ssrc) || self.rtp.contains_key(&ssrc) {
                AuthFailure::Corrupted
            } else if self.rtp.is_empty() && self.rtcp.is_empty() {
                AuthFailure::WrongKey {
                    roc_min: 0,
                    roc_max: 0,
                }
            } else {
                AuthFailure::SsrcNotUnderThisKey {
                    roc_min: 0,
                    roc_max: 0,
                }
            };
            return Err(self.fail(out, SrtpError::AuthFailed { ssrc, reason }));
        }
        let index = u32::from_be_bytes(e_index) & 0x7fff_ffff;
        let replay = match self.rtcp.get_mut(&ssrc) {
            Some(w) => w.record(u64::from(index)),
            None => {
                if self.rtcp.len() >= self.config.max_ssrcs {
                    let cap = self.config.max_ssrcs;
                    return Err(self.fail(out, SrtpError::TooManySsrcs { ssrc, cap }));
                }
                self.rtcp.insert(ssrc, Window::new(u64::from(index)));
                Replay::Fresh
            }
        };
        self.stats.rtcp_authenticated += 1;
        self.count_replay(replay);
        Ok(UnprotectedRtcp {
            len: layout.body_end,
            ssrc,
            index,
            encrypted: e_index[0] & 0x80 != 0,
            replay,
        })
    }

    /// Length of the SRTP packet [`Self::protect_rtp`] makes of an RTP packet of `plain_len`
    /// bytes.
    pub fn protected_rtp_len(&self, plain_len: usize) -> usize {
        plain_len + self.profile.srtp_tag_len() + self.mki_len()
    }

    /// Length of the SRTCP packet [`Self::protect_rtcp`] makes of `plain_len` bytes of RTCP.
    pub fn protected_rtcp_len(&self, plain_len: usize) -> usize {
        plain_len + self.profile.srtcp_tag_len() + 4 + self.mki_len()
    }

    /// Protects an RTP packet as its sender would with rollover counter `roc` (for tests,
    /// fuzzing and re-encryption; it does not touch the receiving state). Returns the SRTP
    /// length written to `out` ([`Self::protected_rtp_len`] bytes needed).
    pub fn protect_rtp(&self, packet: &[u8], roc: u32, out: &mut [u8]) -> Result<usize, SrtpError> {
        not_rtcp(packet).map_err(SrtpError::NotSrtp)?;
        let rtp = RtpPacket::new_checked_opaque(packet).map_err(SrtpError::NotSrtp)?;
        let needed = self.protected_rtp_len(packet.len());
        if out.len() < needed {
            return Err(SrtpError::OutputTooSmall {
                needed,
                available: out.len(),
            });
        }
        let mki = self.mki.as_ref().map_or(&[][..], Mki::as_bytes);
        Ok(self
            .crypto
            .srtp_seal(packet, rtp.payload_range().start, roc, mki, out))
    }

    /// Protects a compound RTCP packet with SRTCP index `index` (31 bits), encrypted when
    /// `encrypt` (the E flag). Returns the SRTCP length written to `out`
    /// ([`Self::protected_rtcp_len`] bytes needed).
    pub fn protect_rtcp(
        &self,
        packet: &[u8],
        index: u32,
        encrypt: bool,
        out: &mut [u8],
    ) -> Result<usize, SrtpError> {
        if packet.len() < 8 || packet[0] >> 6 != 2 {
            let e = Error::truncated(
                Layer::Rtcp,
                0,
                "RTCP header and sender SSRC",
                8,
                packet.len(),
            );
            return Err(SrtpError::NotSrtp(e));
        }
        rtcp_type(packet).map_err(SrtpError::NotSrtp)?;
        let needed = self.protected_rtcp_len(packet.len());
        if out.len() < needed {
            return Err(SrtpError::OutputTooSmall {
                needed,
                available: out.len(),
            });
        }
        let mki = self.mki.as_ref().map_or(&[][..], Mki::as_bytes);
        Ok(self.crypto.srtcp_seal(packet, index, encrypt, mki, out))
    }
}

// Keeps the GCM tag length in one place with the trailer logic of rtcscope-rtp.
const _: () = assert!(GCM_TAG_LEN == SrtpProfile::AeadAes128Gcm.srtp_tag_len());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_estimate_rfc3711_appendix_a() {
        assert_eq!(estimate_roc(5, 100, 101), 5);
        assert_eq!(estimate_roc(5, 100, 65000), 4); // late packet from before the wrap
        assert_eq!(estimate_roc(5, 65000, 10), 6); // after the wrap
        assert_eq!(estimate_roc(5, 65000, 64000), 5);
        assert_eq!(estimate_roc(0, 10, 65530), u32::MAX); // "ROC −1" never authenticates
    }

    #[test]
    fn search_order_stays_in_range() {
        let v: Vec<u32> = search_order(1, 3).collect();
        assert_eq!(v, [1, 2, 0, 3, 4]);
        let v: Vec<u32> = search_order(u32::MAX, 1).collect();
        assert_eq!(v, [u32::MAX, u32::MAX - 1]);
    }

    #[test]
    fn replay_window() {
        let mut w = Window::new(1000);
        assert_eq!(w.record(1000), Replay::Duplicate);
        assert_eq!(w.record(999), Replay::Fresh);
        assert_eq!(w.record(999), Replay::Duplicate);
        assert_eq!(w.record(1000 + 127), Replay::Fresh);
        assert_eq!(w.record(1000), Replay::Duplicate); // 127 back: still in the window
        assert_eq!(w.record(999), Replay::TooOld); // 128 back
        assert_eq!(w.record(5000), Replay::Fresh);
        assert_eq!(w.record(4999), Replay::Fresh);
        assert_eq!(w.record(5000), Replay::Duplicate);
    }
}
