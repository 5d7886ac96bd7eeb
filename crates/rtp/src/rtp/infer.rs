//! Header-extension ids inferred from what the packets carry, for captures without an SDP.
//!
//! The id → extension mapping is negotiated (`a=extmap`), and senders differ: libwebrtc puts
//! sdes:mid on 4 and abs-send-time on 2 in its default offer, Firefox puts mid on 3 and
//! abs-send-time on 4. Decoding one sender's packets with the other's ids gives wrong values
//! (a 3-byte send time read as a mid "-Tf", a 1-byte level as a "bad length" mid). So without an
//! SDP nothing is assumed: [`ExtmapInference`] watches the elements of every packet and names
//! an id only when its values behave like one extension and nothing else:
//!
//! | extension | what its elements show |
//! |---|---|
//! | sdes:mid | a short token (letters, digits, `-`, `_`) constant per SSRC, on more SSRCs than any other token |
//! | abs-send-time | 3 bytes that advance with the arrival time (6.18 fixed-point seconds) per SSRC |
//! | transport-wide-cc | 2 bytes that grow by a few per packet of an SSRC (the counter is shared by the sender's SSRCs) |
//! | ssrc-audio-level | 1 byte taking many values |
//!
//! Anything else (another token id, which could be rid or repaired-rid; a constant 3-byte
//! value; elements whose length changes) stays unknown, and an id whose elements contradict
//! each other is unknown whatever it looked like before. Only ids 1–14 are inferred.

use super::ext::Extension;
use super::extmap::{ExtensionKind, ExtensionMap};
use super::RtpPacket;

/// SSRCs followed per id.
const MAX_SSRCS: usize = 32;
/// The share of consistent steps a counter or clock needs (per mille).
const CONSISTENT_PER_MILLE: u32 = 900;
/// Consistent steps a counter or clock needs at least.
const MIN_STEPS: u32 = 8;
/// Packets a token needs at least (per id, over all SSRCs).
const MIN_TOKEN_PACKETS: u32 = 3;
/// Distinct values a 1-byte audio level needs at least.
const MIN_LEVELS: u32 = 8;
/// How far (ns) abs-send-time may drift from the arrival clock between two packets.
const SEND_TIME_SLACK_NS: i64 = 100_000_000;

/// How sure an inference is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// The evidence passed the thresholds, with a few contradicting steps at most.
    Likely,
    /// Ten times the thresholds' evidence and not one contradiction.
    Strong,
}

/// What one id was inferred to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InferredId {
    /// The id.
    pub id: u8,
    /// The extension, or `None`: unknown.
    pub kind: Option<ExtensionKind>,
    /// How sure (for a known kind).
    pub confidence: Option<Confidence>,
    /// Packets that carried the id.
    pub packets: u32,
    /// Why, in words.
    pub evidence: &'static str,
}

/// The inferred mapping of every id seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InferredExtmap {
    /// Every id seen, in order; unknown ones included.
    pub ids: Vec<InferredId>,
}

impl InferredExtmap {
    /// The known ids as a map to decode with (unknown ids stay unmapped, so their elements
    /// decode as raw bytes).
    pub fn map(&self) -> ExtensionMap {
        let mut m = ExtensionMap::empty();
        for i in &self.ids {
            if let Some(k) = i.kind {
                m.set(i.id, k);
            }
        }
        m
    }

    /// The id inferred for `kind`.
    pub fn id_of(&self, kind: ExtensionKind) -> Option<u8> {
        self.ids.iter().find(|i| i.kind == Some(kind)).map(|i| i.id)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Len {
    #[default]
    None,
    Const(u8),
    Varies,
}

#[derive(Clone, Copy, Debug)]
struct PerSsrc {
    ssrc: u32,
    last: u32,
    last_ns: i64,
    token: [u8; 16],
    token_len: u8,
}

#[derive(Clone, Debug, Default)]
struct IdState {
    packets: u32,
    len: Len,
    ssrcs: Vec<PerSsrc>,
    /// A bit per hashed SSRC of `ssrcs` ([`ssrc_bit`]): an SSRC whose bit is clear is not
    /// there, without a search (once `ssrcs` is full, most of a capture's packets are such).
    tracked: [u64; 4],
    /// Counter steps of 1..=64 / other steps.
    counter: (u32, u32),
    /// Clock steps matching arrival times / not.
    clock: (u32, u32),
    /// Every value so far a token constant per SSRC.
    token: bool,
    /// Values of 1-byte elements seen (a bit set).
    levels: [u64; 4],
    /// Any non-zero value.
    nonzero: bool,
}

/// Watches header-extension elements and infers what their ids are.
#[derive(Clone, Debug)]
pub struct ExtmapInference {
    ids: [IdState; 15],
}

impl Default for ExtmapInference {
    fn default() -> Self {
        ExtmapInference {
            ids: std::array::from_fn(|_| IdState {
                token: true,
                ..IdState::default()
            }),
        }
    }
}

fn is_token(b: &[u8]) -> bool {
    !b.is_empty()
        && b.len() <= 16
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

/// The bit of `ssrc` in an id's `tracked` filter (Fibonacci hashing to 8 bits: SSRCs are
/// random, but a crafted capture's need not be).
fn ssrc_bit(ssrc: u32) -> usize {
    (ssrc.wrapping_mul(0x9e37_79b9) >> 24) as usize
}

impl ExtmapInference {
    /// Watches one RTP packet that arrived at `at_ns`.
    pub fn observe(&mut self, at_ns: i64, packet: &RtpPacket<'_>) {
        let Some(block) = packet.extension() else {
            return;
        };
        let ssrc = packet.ssrc();
        for e in block.iter().map_while(Result::ok) {
            self.element(at_ns, ssrc, &e);
        }
    }

    fn element(&mut self, at_ns: i64, ssrc: u32, e: &Extension<'_>) {
        let Some(st) = self.ids.get_mut(usize::from(e.id)) else {
            return;
        };
        if e.id == 0 {
            return;
        }
        st.packets = st.packets.saturating_add(1);
        let len = u8::try_from(e.data.len()).unwrap_or(u8::MAX);
        st.len = match st.len {
            Len::None => Len::Const(len),
            Len::Const(l) if l == len => Len::Const(l),
            _ => Len::Varies,
        };
        st.nonzero |= e.data.iter().any(|&b| b != 0);
        if len == 1 {
            let v = e.data[0];
            st.levels[usize::from(v / 64)] |= 1 << (v % 64);
        }
        let value = match e.data.len() {
            2 => u32::from(u16::from_be_bytes([e.data[0], e.data[1]])),
            3 => u32::from_be_bytes([0, e.data[0], e.data[1], e.data[2]]),
            _ => 0,
        };
        let tokenish = is_token(e.data);
        let mut token = [0u8; 16];
        if tokenish {
            token[..e.data.len()].copy_from_slice(e.data);
        }
        let bit = ssrc_bit(ssrc);
        let tracked = st.tracked[bit / 64] & 1 << (bit % 64) != 0;
        let found = if tracked {
            st.ssrcs.iter_mut().find(|s| s.ssrc == ssrc)
        } else {
            None
        };
        match found {
            Some(s) => {
                match e.data.len() {
                    2 => {
                        let step = (value as u16).wrapping_sub(s.last as u16);
                        if (1..=64).contains(&step) {
                            st.counter.0 += 1;
                        } else {
                            st.counter.1 += 1;
                        }
                    }
                    3 => {
                        // 6.18 fixed-point seconds, wrapping at 64 s.
                        let step = value.wrapping_sub(s.last) & 0xff_ffff;
                        let step_ns = i64::from(step) * 1_000_000_000 / (1 << 18);
                        let arrival = at_ns - s.last_ns;
                        if step_ns > 0 && (step_ns - arrival).abs() <= SEND_TIME_SLACK_NS {
                            st.clock.0 += 1;
                        } else if step != 0 {
                            st.clock.1 += 1;
                        }
                    }
                    _ => {}
                }
                if !tokenish || s.token_len != len || s.token[..usize::from(len)] != e.data[..] {
                    st.token = false;
                }
                s.last = value;
                s.last_ns = at_ns;
            }
            None => {
                st.token &= tokenish;
                if st.ssrcs.len() < MAX_SSRCS {
                    st.tracked[bit / 64] |= 1 << (bit % 64);
                    st.ssrcs.push(PerSsrc {
                        ssrc,
                        last: value,
                        last_ns: at_ns,
                        token,
                        token_len: len,
                    });
                }
            }
        }
    }

    /// What the packets so far say about each id.
    pub fn result(&self) -> InferredExtmap {
        let consistent = |(good, bad): (u32, u32)| -> Option<Confidence> {
            if good < MIN_STEPS || good * 1000 < (good + bad) * CONSISTENT_PER_MILLE {
                None
            } else if bad == 0 && good >= 10 * MIN_STEPS {
                Some(Confidence::Strong)
            } else {
                Some(Confidence::Likely)
            }
        };
        // The token id on the most SSRCs is the mid; a tie names none.
        let tokens: Vec<(u8, usize)> = (1..15u8)
            .filter_map(|id| {
                let st = &self.ids[usize::from(id)];
                (st.token && st.packets >= MIN_TOKEN_PACKETS).then_some((id, st.ssrcs.len()))
            })
            .collect();
        let most = tokens.iter().map(|t| t.1).max().unwrap_or(0);
        let mid = match tokens.iter().filter(|t| t.1 == most).collect::<Vec<_>>()[..] {
            [only] => Some(only.0),
            _ => None,
        };
        let mut ids: Vec<InferredId> = Vec::new();
        for id in 1..15u8 {
            let st = &self.ids[usize::from(id)];
            if st.packets == 0 {
                continue;
            }
            let (kind, confidence, evidence) = match st.len {
                _ if Some(id) == mid => (
                    Some(ExtensionKind::Mid),
                    Some(if st.packets >= 10 * MIN_TOKEN_PACKETS {
                        Confidence::Strong
                    } else {
                        Confidence::Likely
                    }),
                    "a token constant per SSRC, on the most SSRCs",
                ),
                _ if st.token && st.packets >= MIN_TOKEN_PACKETS => (
                    None,
                    None,
                    "a token constant per SSRC but not the mid (rid or repaired-rid?)",
                ),
                Len::Const(2) => match consistent(st.counter) {
                    Some(c) => (
                        Some(ExtensionKind::TransportCc),
                        Some(c),
                        "2 bytes counting up by a few per packet",
                    ),
                    None => (None, None, "2 bytes that do not count packets"),
                },
                Len::Const(3) => match consistent(st.clock) {
                    Some(c) => (
                        Some(ExtensionKind::AbsSendTime),
                        Some(c),
                        "3 bytes advancing with the arrival time (6.18 seconds)",
                    ),
                    None if !st.nonzero => (None, None, "3 bytes, always zero"),
                    None => (None, None, "3 bytes that do not follow the clock"),
                },
                Len::Const(1) => {
                    let distinct: u32 = st.levels.iter().map(|w| w.count_ones()).sum();
                    if distinct >= MIN_LEVELS {
                        (
                            Some(ExtensionKind::AudioLevel),
                            Some(if distinct >= 4 * MIN_LEVELS {
                                Confidence::Strong
                            } else {
                                Confidence::Likely
                            }),
                            "1 byte taking many values",
                        )
                    } else {
                        (None, None, "1 byte with few values")
                    }
                }
                Len::Varies => (None, None, "elements of changing length"),
                _ => (None, None, "nothing it could be told from"),
            };
            ids.push(InferredId {
                id,
                kind,
                confidence,
                packets: st.packets,
                evidence,
            });
        }
        // Two ids that look like the same extension: neither is named.
        for k in [
            ExtensionKind::TransportCc,
            ExtensionKind::AbsSendTime,
            ExtensionKind::AudioLevel,
        ] {
            if ids.iter().filter(|i| i.kind == Some(k)).count() > 1 {
                for i in ids.iter_mut().filter(|i| i.kind == Some(k)) {
                    i.kind = None;
                    i.confidence = None;
                    i.evidence = "looks like another id's extension too";
                }
            }
        }
        InferredExtmap { ids }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RTP packet with one-byte-form elements `(id, data)`.
    fn packet(ssrc: u32, seq: u16, elements: &[(u8, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (id, d) in elements {
            body.push((id << 4) | (d.len() as u8 - 1));
            body.extend_from_slice(d);
        }
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let mut p = vec![0x90, 96];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0]);
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(&[0xbe, 0xde]);
        p.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
        p.extend_from_slice(&body);
        p.extend_from_slice(&[0; 20]);
        p
    }

    /// A sender's packets with `ids` = (mid, abs-send-time, transport-cc, audio level): two
    /// SSRCs (audio with the level, video) every 10 ms, one shared transport counter.
    fn call(ids: (u8, u8, u8, u8), n: u16) -> ExtmapInference {
        let mut inf = ExtmapInference::default();
        for i in 0..n {
            let t = i64::from(i) * 10_000_000;
            let ast = ((t as u64 * (1 << 18) / 1_000_000_000) as u32 & 0xff_ffff).to_be_bytes();
            let tcc = i.to_be_bytes();
            let level = [(i * 7 % 100) as u8];
            let (ssrc, mid): (u32, &[u8]) = if i % 2 == 0 { (1, b"0") } else { (2, b"1") };
            let mut el: Vec<(u8, &[u8])> = vec![(ids.0, mid), (ids.1, &ast[1..]), (ids.2, &tcc)];
            if ssrc == 1 {
                el.push((ids.3, &level));
            }
            let p = packet(ssrc, i, &el);
            inf.observe(t, &RtpPacket::new_checked_opaque(&p).unwrap());
        }
        inf
    }

    #[test]
    fn chromium_and_firefox_ids_are_both_found() {
        for ids in [(4, 2, 3, 1), (3, 4, 7, 1)] {
            let r = call(ids, 200).result();
            assert_eq!(r.id_of(ExtensionKind::Mid), Some(ids.0), "{r:?}");
            assert_eq!(r.id_of(ExtensionKind::AbsSendTime), Some(ids.1), "{r:?}");
            assert_eq!(r.id_of(ExtensionKind::TransportCc), Some(ids.2), "{r:?}");
            assert_eq!(r.id_of(ExtensionKind::AudioLevel), Some(ids.3), "{r:?}");
            assert!(r
                .ids
                .iter()
                .all(|i| i.confidence == Some(Confidence::Strong)));
        }
    }

    #[test]
    fn too_few_packets_or_contradictions_leave_ids_unknown() {
        // Two packets: nothing can be told.
        let r = call((3, 4, 7, 1), 2).result();
        assert!(r.ids.iter().all(|i| i.kind.is_none()), "{r:?}");
        // Two senders whose ids disagree in one capture: id 3 is a token for one and a
        // counter for the other, id 4 a send time and a token: neither is named.
        let mut inf = call((3, 4, 7, 1), 100);
        // Feed the second sender's packets into the same inference.
        for i in 0..100u16 {
            let t = i64::from(i) * 10_000_000;
            let ast = ((t as u64 * (1 << 18) / 1_000_000_000) as u32 & 0xff_ffff).to_be_bytes();
            let p = packet(
                7,
                i,
                &[(4, b"0"), (2, &ast[1..]), (3, &i.to_be_bytes()), (1, &[9])],
            );
            inf.observe(t, &RtpPacket::new_checked_opaque(&p).unwrap());
        }
        let r = inf.result();
        for id in [3u8, 4] {
            let x = r.ids.iter().find(|i| i.id == id).unwrap();
            assert_eq!(x.kind, None, "id {id}: {x:?}");
        }
        assert_eq!(r.map().get(3), None);
    }
}
