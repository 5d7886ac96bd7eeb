//! Relay paths: one logical path per relayed association (client ↔ TURN server ↔ peer), its
//! legs, and the relay's own contribution (packets, loss and delay *between* the legs).
//!
//! A datagram relayed by TURN is captured once on the leg it entered the relay by (the
//! sender's allocation: ChannelData or a Send indication from its client) and, when the
//! capture also sees the other side, once more on the leg it left by (the receiver's
//! allocation: ChannelData or a Data indication to its client). The engine names the inner
//! datagram by its endpoints (the relayed address and the peer), so both sightings carry the
//! same inner flow; this table pairs them by the bytes of the inner datagram, within a short
//! window, so that each is analysed once (on the leg seen first, its *ingress*) and the second
//! sighting (its *egress*) only adds to the leg's figures:
//!
//! * packets on each leg, per direction;
//! * lost between the legs: seen on the ingress leg, never on the egress leg within
//!   [`WINDOW_NS`] (only when the path has two legs: with one leg in the capture nothing can
//!   be said);
//! * duplicated: the same bytes twice on the ingress leg (each copy is analysed, and matched
//!   on the egress leg in turn);
//! * the relay's added delay (egress time − ingress time), min / median / max.
//!
//! Two allocations form one path when the relayed transport address of one is the peer
//! address (XOR-PEER-ADDRESS of its permission, channel or indication) of the other.
//!
//! **Bounds.** At most [`MAX_PATHS`] paths (beyond, relayed datagrams are analysed per
//! allocation as before, and counted in [`RelayTable::dropped`]); per path a matching window
//! of at most [`WINDOW_ENTRIES`] datagrams in flight (an entry leaves when matched, after
//! [`WINDOW_NS`], or when the window is full, then counted in
//! [`DirectionFigures::window_overflow`]); at most [`DELAY_SAMPLES`] delay samples per
//! direction (beyond, a systematic sample: every 2nd, then every 4th… sample is kept). The
//! worst case, every path full, is about `MAX_PATHS × (WINDOW_ENTRIES × 160 + 2 ×
//! DELAY_SAMPLES × 4)` bytes: 58 MB.

use crate::demux::Kind;
use crate::flow::{AddrKey, Transport};
use crate::table::LruMap;
use crate::turn::TurnTable;
use crate::Map;
use serde::Serialize;
use std::hash::BuildHasher;
use std::net::SocketAddr;

/// Relay paths kept; beyond, relayed datagrams are analysed per allocation, unmatched.
pub const MAX_PATHS: usize = 2048;
/// Inner datagrams awaiting their second sighting, per path.
pub const WINDOW_ENTRIES: usize = 128;
/// How long a datagram seen on one leg waits for its copy on the other (1 s: a relay forwards
/// within milliseconds); unmatched beyond, it was lost between the legs.
pub const WINDOW_NS: i64 = 1_000_000_000;
/// Delay samples kept per direction of a path.
pub const DELAY_SAMPLES: usize = 1024;

/// What a sighting of a relayed datagram is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sighting {
    /// First seen: analyse it (streams, DTLS, ICE count it here, once). `token` names it so
    /// the engine can record what it was ([`RelayTable::classified`]).
    Counted {
        /// The path.
        path: u32,
        /// Its entry in the path's window.
        token: (u8, u64),
    },
    /// The copy of a datagram already counted on the path's other leg: not analysed again.
    Copy {
        /// The path.
        path: u32,
        /// What the first sighting was.
        kind: Option<Kind>,
    },
}

/// One leg of a path: a TURN allocation that carried its datagrams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Leg {
    /// The allocation ([`crate::turn::Allocation::id`]).
    pub allocation: u32,
    /// Datagrams of the path seen on this leg, per direction of the path (`from` → `to` of
    /// [`RelayPath::directions`]).
    pub packets: [u64; 2],
}

/// One direction of a path, as the relay handled it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DirectionFigures {
    /// Sender (inner address).
    pub from: Option<SocketAddr>,
    /// Receiver (inner address).
    pub to: Option<SocketAddr>,
    /// The allocation of the leg this direction entered the relay by (seen first).
    pub ingress: Option<u32>,
    /// Datagrams counted (analysed), on their first sighting.
    pub counted: u64,
    /// Second sightings matched to a counted datagram (on the other leg).
    pub matched: u64,
    /// The same bytes seen again on the leg that counted them.
    pub duplicated: u64,
    /// Counted datagrams never seen on the other leg within [`WINDOW_NS`].
    pub expired_unmatched: u64,
    /// Datagrams first seen on the egress leg that no ingress sighting preceded, unmatched
    /// (a relay-made duplicate, or an ingress copy the capture lost).
    pub egress_only: u64,
    /// Window entries pushed out by [`WINDOW_ENTRIES`] before their time (not judged).
    pub window_overflow: u64,
    /// Smallest relay delay (ns).
    pub delay_min_ns: Option<i64>,
    /// Largest relay delay (ns).
    pub delay_max_ns: Option<i64>,
}

/// A window entry: a datagram counted on one leg, awaiting its copy.
#[derive(Clone, Copy, Debug)]
struct Pending {
    leg: u32,
    first_ns: i64,
    last_ns: i64,
    unmatched: u32,
    kind: Option<Kind>,
}

/// Delay samples of one direction, bounded by [`DELAY_SAMPLES`].
#[derive(Clone, Debug, Default)]
struct Delays {
    samples: Vec<u32>,
    /// Keep one sample in `stride`.
    stride: u32,
    seen: u64,
}

impl Delays {
    fn add(&mut self, ns: i64) {
        let stride = u64::from(self.stride.max(1));
        self.seen += 1;
        if (self.seen - 1) % stride != 0 {
            return;
        }
        if self.samples.len() >= DELAY_SAMPLES {
            // Keep every other sample, and from now on one in twice as many.
            let mut i = 0;
            self.samples.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.stride = self.stride.max(1).saturating_mul(2);
        }
        self.samples
            .push(u32::try_from(ns.max(0)).unwrap_or(u32::MAX));
    }

    fn median_ns(&self) -> Option<i64> {
        let mut v = self.samples.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        Some(i64::from(v[v.len() / 2]))
    }
}

/// A relayed association: its two inner endpoints, the legs that carried it, and per
/// direction what the relay did.
#[derive(Clone)]
pub struct RelayPath {
    /// Identifier within this analysis.
    pub id: u32,
    /// The inner endpoints (relayed address, peer), lower first.
    pub ends: (SocketAddr, SocketAddr),
    /// The allocations that carried it: one (one leg seen), or two (both legs seen, the
    /// relayed address of each being the peer of the other).
    pub legs: Vec<Leg>,
    /// Per direction: lower → higher end, higher → lower.
    pub directions: [DirectionFigures; 2],
    /// First and last sighting.
    pub first_ns: i64,
    /// Last sighting.
    pub last_ns: i64,
    window: LruMap<(u8, u64), Pending>,
    delays: [Delays; 2],
    /// Per direction, when the latest datagram matched on the other leg was sent.
    last_matched_sent: [Option<i64>; 2],
}

impl RelayPath {
    /// The allocation whose key names the path's inner flow ([`crate::flow::FlowKey::relay`]):
    /// its first leg.
    pub fn allocation(&self) -> u32 {
        self.legs[0].allocation
    }

    /// Whether both legs are in the capture.
    pub fn both_legs(&self) -> bool {
        self.legs.len() == 2
    }

    /// Counted datagrams lost between the legs, as of `end` (the capture's last packet time):
    /// `None` with one leg seen. A datagram still waiting is lost once [`WINDOW_NS`] passed,
    /// or once one sent after it came out of the relay (a relay forwards an allocation's
    /// datagrams in order; this judges the last second of a capture).
    pub fn lost_between(&self, dir: usize, end: i64) -> Option<u64> {
        if !self.both_legs() {
            return None;
        }
        let d = &self.directions[dir];
        let pending: u64 = self
            .window
            .iter()
            .filter(|((k, _), p)| {
                usize::from(*k) == dir
                    && Some(p.leg) == d.ingress
                    && (end - p.first_ns >= WINDOW_NS
                        || self.last_matched_sent[dir].is_some_and(|l| l > p.first_ns))
            })
            .map(|(_, p)| u64::from(p.unmatched))
            .sum();
        Some(d.expired_unmatched + pending)
    }

    /// Median relay delay of direction `dir` (ns), over the kept samples.
    pub fn delay_median_ns(&self, dir: usize) -> Option<i64> {
        self.delays[dir].median_ns()
    }

    /// Delay samples taken in direction `dir` (all matches, kept or not).
    pub fn delay_count(&self, dir: usize) -> u64 {
        self.delays[dir].seen
    }

    fn leg_mut(&mut self, allocation: u32) -> Option<&mut Leg> {
        self.legs.iter_mut().find(|l| l.allocation == allocation)
    }

    fn expire(&mut self, now: i64) {
        while let Some((_, p)) = self.window.peek_lru() {
            if now - p.first_ns < WINDOW_NS {
                break;
            }
            let Some(((dir, _), p)) = self.window.pop_lru() else {
                break;
            };
            self.judge(dir, p, false);
        }
    }

    /// An entry leaves the window unmatched (expired, or pushed out).
    fn judge(&mut self, dir: u8, p: Pending, overflow: bool) {
        let d = &mut self.directions[usize::from(dir)];
        if overflow {
            d.window_overflow += u64::from(p.unmatched);
        } else if d.ingress == Some(p.leg) {
            d.expired_unmatched += u64::from(p.unmatched);
        } else {
            d.egress_only += u64::from(p.unmatched);
        }
    }
}

/// Every relay path of a capture.
#[derive(Debug, Default)]
pub struct RelayTable {
    by_ends: Map<(AddrKey, AddrKey), u32>,
    /// Paths in order of appearance.
    pub paths: Vec<RelayPath>,
    /// Relayed datagrams not matched because of [`MAX_PATHS`].
    pub dropped: u64,
    hasher: crate::HashState,
}

impl std::fmt::Debug for RelayPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayPath")
            .field("id", &self.id)
            .field("ends", &self.ends)
            .field("legs", &self.legs)
            .field("directions", &self.directions)
            .field("in_window", &self.window.len())
            .finish()
    }
}

impl RelayTable {
    /// A datagram from `src` to `dst` (inner addresses) seen on the leg of `allocation`.
    /// `None` beyond [`MAX_PATHS`] (analyse it per allocation, as without paths).
    pub fn sight(
        &mut self,
        turn: &TurnTable,
        allocation: u32,
        src: SocketAddr,
        dst: SocketAddr,
        now: i64,
        data: &[u8],
    ) -> Option<Sighting> {
        let ends = if src <= dst { (src, dst) } else { (dst, src) };
        let dir = u8::from(src > dst);
        let id = self.path_for(turn, allocation, ends, now)?;
        let hash = self.hasher.hash_one(data);
        let path = &mut self.paths[id as usize];
        path.first_ns = path.first_ns.min(now);
        path.last_ns = path.last_ns.max(now);
        path.expire(now);
        if let Some(l) = path.leg_mut(allocation) {
            l.packets[usize::from(dir)] += 1;
        }
        let d = &mut path.directions[usize::from(dir)];
        d.from.get_or_insert(src);
        d.to.get_or_insert(dst);
        let key = (dir, hash);
        if let Some(p) = path.window.get_mut(&key) {
            if p.leg != allocation {
                // The copy on the other leg: the relay forwarded it.
                // Copies are matched in order: the next one left is taken as sent last.
                let sent = p.first_ns;
                p.first_ns = p.last_ns;
                p.unmatched -= 1;
                let kind = p.kind;
                if p.unmatched == 0 {
                    path.window.remove(&key);
                }
                let delay = now - sent;
                let last = &mut path.last_matched_sent[usize::from(dir)];
                *last = Some(last.map_or(sent, |l| l.max(sent)));
                let d = &mut path.directions[usize::from(dir)];
                d.matched += 1;
                d.delay_min_ns = Some(d.delay_min_ns.map_or(delay, |m| m.min(delay)));
                d.delay_max_ns = Some(d.delay_max_ns.map_or(delay, |m| m.max(delay)));
                path.delays[usize::from(dir)].add(delay);
                return Some(Sighting::Copy { path: id, kind });
            }
            // The same bytes again on the leg that counted them: a duplicate.
            p.unmatched = p.unmatched.saturating_add(1);
            p.last_ns = now;
            let d = &mut path.directions[usize::from(dir)];
            d.duplicated += 1;
            d.counted += 1;
            return Some(Sighting::Counted {
                path: id,
                token: key,
            });
        }
        let d = &mut path.directions[usize::from(dir)];
        d.ingress.get_or_insert(allocation);
        d.counted += 1;
        if path.legs.len() == 2 {
            // Only a path with two legs can see the copy; a one-leg path keeps no window.
            let mut pushed = None;
            path.window.get_or_insert_with(
                key,
                || Pending {
                    leg: allocation,
                    first_ns: now,
                    last_ns: now,
                    unmatched: 1,
                    kind: None,
                },
                |(dir, _), p| pushed = Some((dir, p)),
            );
            if let Some((dir, p)) = pushed {
                path.judge(dir, p, true);
            }
        }
        Some(Sighting::Counted {
            path: id,
            token: key,
        })
    }

    /// Records what a counted datagram turned out to be, for its copy's verdict.
    pub fn classified(&mut self, path: u32, token: (u8, u64), kind: Kind) {
        if let Some(p) = self
            .paths
            .get_mut(path as usize)
            .and_then(|p| p.window.peek_mut(&token))
        {
            p.kind.get_or_insert(kind);
        }
    }

    /// The path of inner endpoints `ends` seen on `allocation`'s leg, created when new.
    fn path_for(
        &mut self,
        turn: &TurnTable,
        allocation: u32,
        ends: (SocketAddr, SocketAddr),
        now: i64,
    ) -> Option<u32> {
        if let Some(&id) = self.by_ends.get(&(AddrKey(ends.0), AddrKey(ends.1))) {
            let p = &mut self.paths[id as usize];
            if p.legs.iter().any(|l| l.allocation == allocation) {
                return Some(id);
            }
            if p.legs.len() < 2 {
                p.legs.push(Leg {
                    allocation,
                    packets: [0; 2],
                });
                return Some(id);
            }
            // A third allocation on the same endpoints: a relayed address reused after its
            // allocation ended. A new path from here on.
        }
        if self.paths.len() >= MAX_PATHS {
            self.dropped += 1;
            return None;
        }
        let id = self.paths.len() as u32;
        let mut legs = vec![Leg {
            allocation,
            packets: [0; 2],
        }];
        // The other end is the relayed address of another allocation: its leg is the path's
        // second, whether or not the capture sees it carry anything.
        let own = turn
            .allocations
            .get(allocation as usize)
            .and_then(|a| a.relayed);
        let peer = if own == Some(ends.0) { ends.1 } else { ends.0 };
        if let Some(other) = turn.by_relayed(peer) {
            if other != allocation {
                legs.push(Leg {
                    allocation: other,
                    packets: [0; 2],
                });
            }
        }
        self.paths.push(RelayPath {
            id,
            ends,
            legs,
            directions: [DirectionFigures::default(); 2],
            first_ns: now,
            last_ns: now,
            window: LruMap::new(WINDOW_ENTRIES),
            delays: Default::default(),
            last_matched_sent: [None; 2],
        });
        self.by_ends.insert((AddrKey(ends.0), AddrKey(ends.1)), id);
        Some(id)
    }

    /// The path carrying the inner flow between `a` and `b` named by `allocation`.
    pub fn find(&self, allocation: u32, a: SocketAddr, b: SocketAddr) -> Option<&RelayPath> {
        let ends = if a <= b { (a, b) } else { (b, a) };
        let id = *self.by_ends.get(&(AddrKey(ends.0), AddrKey(ends.1)))?;
        let p = &self.paths[id as usize];
        (p.allocation() == allocation).then_some(p)
    }

    /// Where an item of the inner flow `a` ⇄ `b` named by `allocation`, sent by `src`, was
    /// counted: its path and the leg it entered the relay by.
    pub fn counted_on(
        &self,
        turn: &TurnTable,
        allocation: u32,
        a: SocketAddr,
        b: SocketAddr,
        src: SocketAddr,
    ) -> Option<CountedOn> {
        let p = self.find(allocation, a, b)?;
        let dir = usize::from(src != p.ends.0);
        let leg = p.directions[dir].ingress?;
        let side = match turn.allocations.get(leg as usize).and_then(|x| x.relayed) {
            Some(r) if r == src => LegSide::Sender,
            Some(_) => LegSide::Receiver,
            None => LegSide::Unknown,
        };
        Some(CountedOn {
            path: p.id,
            allocation: leg,
            leg: side,
            both_legs: p.both_legs(),
        })
    }

    /// The report of every path, as of `end` (the capture's last packet time).
    pub fn report(&self, turn: &TurnTable, end: i64) -> Vec<RelayPathReport> {
        self.paths.iter().map(|p| p.report(turn, end)).collect()
    }
}

/// Whose leg an item was counted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegSide {
    /// The sender's own allocation (its leg to the TURN server).
    Sender,
    /// The receiver's allocation (the leg from the TURN server to the receiver).
    Receiver,
    /// The allocation's relayed address is unknown.
    Unknown,
}

impl LegSide {
    /// `sender`, `receiver`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            LegSide::Sender => "sender",
            LegSide::Receiver => "receiver",
            LegSide::Unknown => "unknown",
        }
    }
}

/// Where a stream or handshake inside a relay was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CountedOn {
    /// The relay path ([`RelayPath::id`]).
    pub path: u32,
    /// The allocation of the leg it was counted on (the leg its sender's datagrams entered
    /// the relay by, when the capture sees it).
    pub allocation: u32,
    /// Whose leg that is.
    pub leg: LegSide,
    /// Whether the path's other leg is in the capture too (then its copies were matched, not
    /// counted again).
    pub both_legs: bool,
}

/// A leg in the report, with the addresses its allocation learned.
#[derive(Clone, Debug, Serialize)]
pub struct LegReport {
    /// The allocation.
    pub allocation: u32,
    /// The client's transport address as captured (on the server's side of any NAT when
    /// captured there).
    pub client: SocketAddr,
    /// The client's transport address as the server saw it (XOR-MAPPED-ADDRESS of the
    /// Allocate success).
    pub mapped: Option<SocketAddr>,
    /// The TURN server.
    pub server: SocketAddr,
    /// Transport between the client and the server.
    pub transport: Transport,
    /// XOR-RELAYED-ADDRESS.
    pub relayed: Option<SocketAddr>,
    /// The peer this leg relays to (XOR-PEER-ADDRESS).
    pub peer: SocketAddr,
    /// Datagrams of the path seen on this leg, per direction (as in
    /// [`RelayPathReport::directions`]).
    pub packets: [u64; 2],
}

/// One direction of a path in the report.
#[derive(Clone, Debug, Serialize)]
pub struct DirectionReport {
    /// Sender.
    pub from: SocketAddr,
    /// Receiver.
    pub to: SocketAddr,
    /// The allocation of the leg it entered the relay by.
    pub ingress: Option<u32>,
    /// The allocation of the leg it left the relay by (`None` with one leg seen).
    pub egress: Option<u32>,
    /// Datagrams counted once (first sighting).
    pub counted: u64,
    /// Their copies matched on the egress leg.
    pub matched: u64,
    /// Lost between the legs: on the ingress leg, never on the egress leg (`None` with one
    /// leg seen).
    pub lost_between_legs: Option<u64>,
    /// The same bytes twice on the ingress leg.
    pub duplicated: u64,
    /// Seen only on the egress leg.
    pub egress_only: u64,
    /// Not judged: pushed out of the matching window.
    pub window_overflow: u64,
    /// The relay's added delay, egress − ingress (µs).
    pub delay_us: Option<DelayStats>,
}

/// Relay delay statistics (µs).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct DelayStats {
    /// Minimum.
    pub min: i64,
    /// Median (of up to [`DELAY_SAMPLES`] samples).
    pub median: i64,
    /// Maximum.
    pub max: i64,
    /// Matches measured.
    pub samples: u64,
}

/// A relay path in the report.
#[derive(Clone, Debug, Serialize)]
pub struct RelayPathReport {
    /// Path id.
    pub id: u32,
    /// The allocation naming its inner flow (`relay` of the flow, streams and DTLS).
    pub allocation: u32,
    /// Inner transport (UDP: TURN relays datagrams).
    pub transport: Transport,
    /// Inner endpoints, lower first.
    pub a: SocketAddr,
    /// Higher endpoint.
    pub b: SocketAddr,
    /// `both` or `one`: whether the capture sees both legs.
    pub legs_seen: &'static str,
    /// The legs.
    pub legs: Vec<LegReport>,
    /// a → b, b → a.
    pub directions: Vec<DirectionReport>,
    /// First sighting.
    pub first_ns: i64,
    /// Last sighting.
    pub last_ns: i64,
}

impl RelayPath {
    fn report(&self, turn: &TurnTable, end: i64) -> RelayPathReport {
        let legs = self
            .legs
            .iter()
            .filter_map(|l| {
                let a = turn.allocations.get(l.allocation as usize)?;
                let peer = if a.relayed == Some(self.ends.0) {
                    self.ends.1
                } else {
                    self.ends.0
                };
                Some(LegReport {
                    allocation: l.allocation,
                    client: a.client,
                    mapped: a.mapped,
                    server: a.server,
                    transport: a.transport,
                    relayed: a.relayed,
                    peer,
                    packets: l.packets,
                })
            })
            .collect();
        let directions = (0..2)
            .map(|dir| {
                let d = &self.directions[dir];
                let (from, to) = if dir == 0 {
                    (self.ends.0, self.ends.1)
                } else {
                    (self.ends.1, self.ends.0)
                };
                let egress = self
                    .legs
                    .iter()
                    .map(|l| l.allocation)
                    .find(|&a| Some(a) != d.ingress && self.both_legs());
                DirectionReport {
                    from,
                    to,
                    ingress: d.ingress,
                    egress: egress.filter(|_| d.ingress.is_some()),
                    counted: d.counted,
                    matched: d.matched,
                    lost_between_legs: self.lost_between(dir, end),
                    duplicated: d.duplicated,
                    egress_only: d.egress_only,
                    window_overflow: d.window_overflow,
                    delay_us: match (d.delay_min_ns, self.delay_median_ns(dir), d.delay_max_ns) {
                        (Some(min), Some(median), Some(max)) => Some(DelayStats {
                            min: min / 1000,
                            median: median / 1000,
                            max: max / 1000,
                            samples: self.delay_count(dir),
                        }),
                        _ => None,
                    },
                }
            })
            .collect();
        RelayPathReport {
            id: self.id,
            allocation: self.allocation(),
            transport: Transport::Udp,
            a: self.ends.0,
            b: self.ends.1,
            legs_seen: if self.both_legs() { "both" } else { "one" },
            legs,
            directions,
            first_ns: self.first_ns,
            last_ns: self.last_ns,
        }
    }
}
