//! From a snapshot to what the views list: WebRTC sessions (an ICE session with every flow it
//! used) and the stray flows no session claims. Pure functions of the snapshot.

use rtcscope_analysis::flow::{FlowKey, ProtocolCounts, Transport};
use rtcscope_analysis::ice::{PairState, Role};
use rtcscope_analysis::snapshot::{SessionSnapshot, Snapshot};
use rtcscope_analysis::turn::AllocationState;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

/// What a row of the Sessions view stands for; selection follows the key, not the position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowKey {
    /// An ICE session (its id).
    Session(u32),
    /// A flow no session claims.
    Flow(FlowKey),
}

/// The state column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowState {
    /// ICE checks under way, nothing succeeded yet.
    Checking,
    /// A pair succeeded (and, when `nominated`, was nominated).
    Connected {
        /// A USE-CANDIDATE check succeeded.
        nominated: bool,
    },
    /// Every pair failed or timed out.
    Failed,
    /// A TURN allocation flow, with the allocation's state.
    Turn(AllocationState),
    /// A flow without ICE.
    Flow,
}

impl RowState {
    /// The text shown.
    pub fn label(self) -> &'static str {
        match self {
            RowState::Checking => "checking",
            RowState::Connected { nominated: true } => "connected",
            RowState::Connected { nominated: false } => "succeeded",
            RowState::Failed => "failed",
            RowState::Turn(AllocationState::Requested) => "turn: asked",
            RowState::Turn(AllocationState::Challenged) => "turn: auth",
            RowState::Turn(AllocationState::Allocated) => "turn: alloc",
            RowState::Turn(AllocationState::Failed) => "turn: failed",
            RowState::Turn(AllocationState::Released) => "turn: freed",
            RowState::Flow => "-",
        }
    }
}

/// One row of the Sessions view.
#[derive(Clone, Debug)]
pub struct Row {
    /// What it stands for.
    pub key: RowKey,
    /// Side A (the controlling agent's address for a session; the lower address of a flow).
    pub a: SocketAddr,
    /// Side B.
    pub b: SocketAddr,
    /// UDP or TCP (of the selected pair, for a session).
    pub transport: Transport,
    /// Protocols seen on its flows.
    pub counts: ProtocolCounts,
    /// True when it went through TURN.
    pub turn: bool,
    /// The state.
    pub state: RowState,
    /// True when the path is a TURN relay.
    pub relayed: bool,
    /// Media-path flows, with `true` when the flow's lo → hi is B → A.
    pub flows: Vec<(FlowKey, bool)>,
    /// Address pairs as they appear on the wire (for filtering packets): media-path flows and
    /// the TURN client-server flows they ride on.
    pub wire: Vec<(SocketAddr, SocketAddr)>,
    /// Packets over all flows.
    pub packets: u64,
    /// Bytes A → B and B → A over the media-path flows.
    pub bytes: [u64; 2],
    /// Recent bit rate A → B, B → A.
    pub recent_bps: [u64; 2],
    /// Mean bit rate A → B, B → A.
    pub mean_bps: [u64; 2],
    /// First and last packet.
    pub first_ns: i64,
    /// Last packet.
    pub last_ns: i64,
}

impl Row {
    /// The protocols column: `STUN TURN DTLS RTP RTCP SCTP`, those seen.
    pub fn protocols(&self) -> String {
        let c = &self.counts;
        let mut v = Vec::new();
        if c.stun + c.classic_stun > 0 {
            v.push("STUN");
        }
        if self.turn || c.channel_data > 0 {
            v.push("TURN");
        }
        if c.dtls > 0 {
            v.push("DTLS");
        }
        if c.rtp > 0 {
            v.push("RTP");
        }
        if c.rtcp > 0 {
            v.push("RTCP");
        }
        if c.sctp > 0 {
            v.push("SCTP");
        }
        if v.is_empty() {
            v.push(if c.unknown > 0 { "other" } else { "-" });
        }
        v.join(" ")
    }

    /// Text the filter matches against.
    pub fn haystack(&self) -> String {
        format!(
            "{} {} {} {} {} {}",
            self.a,
            self.b,
            self.transport,
            self.protocols(),
            self.state.label(),
            if self.relayed { "relayed" } else { "direct" }
        )
        .to_ascii_lowercase()
    }
}

fn add_counts(into: &mut ProtocolCounts, c: &ProtocolCounts) {
    into.stun += c.stun;
    into.classic_stun += c.classic_stun;
    into.channel_data += c.channel_data;
    into.dtls += c.dtls;
    into.rtp += c.rtp;
    into.rtcp += c.rtcp;
    into.sctp += c.sctp;
    into.unknown += c.unknown;
}

/// The ufrag of the agent shown as side A: the controlling one when known.
pub fn side_a_ufrag(s: &SessionSnapshot) -> &str {
    s.pairs
        .iter()
        .find(|p| p.pair.role == Some(Role::Controlling))
        .or_else(|| s.pairs.first())
        .map_or(s.session.ufrags.0.as_str(), |p| p.pair.local_ufrag.as_str())
}

/// The pair a session is shown by: the side-A agent's selected pair, else any selected, else
/// the first.
pub fn shown_pair(s: &SessionSnapshot) -> Option<&rtcscope_analysis::snapshot::PairSnapshot> {
    let a = side_a_ufrag(s);
    let sel = |p: &&rtcscope_analysis::snapshot::PairSnapshot| s.selected.contains(&p.pair.id);
    s.pairs
        .iter()
        .filter(sel)
        .find(|p| p.pair.local_ufrag == a)
        .or_else(|| s.pairs.iter().find(sel))
        .or_else(|| s.pairs.first())
}

/// Builds the rows: sessions by first activity, then stray flows (WebRTC ones first, then by
/// bytes).
pub fn rows(snap: &Snapshot) -> Vec<Row> {
    // Flows sessions and TURN allocations refer to (few); one pass over all flows finds them.
    let mut wanted: HashSet<FlowKey> = HashSet::new();
    for s in &snap.sessions {
        for p in &s.pairs {
            wanted
                .insert(FlowKey::of(p.pair.transport, p.pair.local, p.pair.remote, p.pair.relay).0);
        }
    }
    for al in &snap.allocations {
        wanted.insert(FlowKey::of(al.transport, al.client, al.server, None).0);
    }
    let flows: HashMap<FlowKey, usize> = if wanted.is_empty() {
        HashMap::new()
    } else {
        snap.flows
            .iter()
            .enumerate()
            .filter(|(_, f)| wanted.contains(&f.key))
            .map(|(i, f)| (f.key, i))
            .collect()
    };
    let mut claimed: HashSet<FlowKey> = HashSet::new();
    let mut out = Vec::new();
    let mut sessions: Vec<&SessionSnapshot> = snap.sessions.iter().collect();
    sessions.sort_by_key(|s| (s.session.first_ns, s.session.id));
    for s in sessions {
        let Some(shown) = shown_pair(s) else {
            continue;
        };
        let a_ufrag = side_a_ufrag(s);
        let mut row = Row {
            key: RowKey::Session(s.session.id),
            a: shown.pair.local,
            b: shown.pair.remote,
            transport: shown.pair.transport,
            counts: ProtocolCounts::default(),
            turn: false,
            state: RowState::Checking,
            relayed: shown.pair.relay.is_some(),
            flows: Vec::new(),
            wire: Vec::new(),
            packets: 0,
            bytes: [0; 2],
            recent_bps: [0; 2],
            mean_bps: [0; 2],
            first_ns: s.session.first_ns,
            last_ns: s.session.last_ns,
        };
        if shown.pair.local_ufrag != a_ufrag {
            std::mem::swap(&mut row.a, &mut row.b);
        }
        let mut allocs: Vec<u32> = Vec::new();
        for p in &s.pairs {
            let (key, _) = FlowKey::of(p.pair.transport, p.pair.local, p.pair.remote, p.pair.relay);
            // The flow's lo → hi is A → B when lo is the side-A agent's address on this pair.
            let a_addr = if p.pair.local_ufrag == a_ufrag {
                p.pair.local
            } else {
                p.pair.remote
            };
            let swap = key.lo != a_addr;
            if !row.flows.iter().any(|(k, _)| *k == key) {
                row.flows.push((key, swap));
                row.wire.push((key.lo, key.hi));
            }
            if let Some(r) = p.pair.relay {
                row.turn = true;
                if !allocs.contains(&r) {
                    allocs.push(r);
                }
            }
        }
        // A relay path seen on both legs: the other leg's allocation carries the session too.
        for p in &snap.relay_paths {
            if allocs.contains(&p.allocation) {
                for l in &p.legs {
                    if !allocs.contains(&l.allocation) {
                        allocs.push(l.allocation);
                    }
                }
            }
        }
        for r in allocs {
            if let Some(al) = snap.allocations.iter().find(|al| al.id == r) {
                let (key, _) = FlowKey::of(al.transport, al.client, al.server, None);
                row.wire.push((key.lo, key.hi));
                if let Some(&i) = flows.get(&key) {
                    let f = &snap.flows[i];
                    add_counts(&mut row.counts, &f.counts);
                    row.packets += f.packets[0] + f.packets[1];
                    claimed.insert(key);
                }
            }
        }
        for (key, swap) in &row.flows {
            claimed.insert(*key);
            let Some(&i) = flows.get(key) else {
                continue;
            };
            let f = &snap.flows[i];
            add_counts(&mut row.counts, &f.counts);
            row.packets += f.packets[0] + f.packets[1];
            let o = |v: [u64; 2]| if *swap { [v[1], v[0]] } else { v };
            let (b, r) = (o(f.bytes), o(f.recent_bps));
            for d in 0..2 {
                row.bytes[d] += b[d];
                row.recent_bps[d] += r[d];
            }
            row.first_ns = row.first_ns.min(f.first_ns);
            row.last_ns = row.last_ns.max(f.last_ns);
        }
        let span = (row.last_ns - row.first_ns).max(1_000_000_000) as u128;
        row.mean_bps = row
            .bytes
            .map(|b| (u128::from(b) * 8 * 1_000_000_000 / span) as u64);
        let states: Vec<PairState> = s.pairs.iter().map(|p| p.state).collect();
        row.state = if states.contains(&PairState::Succeeded) {
            RowState::Connected {
                nominated: s.pairs.iter().any(|p| p.pair.nominated),
            }
        } else if !states.is_empty()
            && states
                .iter()
                .all(|st| matches!(st, PairState::Failed | PairState::TimedOut))
        {
            RowState::Failed
        } else {
            RowState::Checking
        };
        out.push(row);
    }
    let turn_flows: HashMap<FlowKey, AllocationState> = snap
        .allocations
        .iter()
        .map(|al| {
            (
                FlowKey::of(al.transport, al.client, al.server, None).0,
                al.state,
            )
        })
        .collect();
    // Sort indices by a compact key, then build the rows in order (rows are large to move).
    let mut order: Vec<(bool, u64, usize)> = snap
        .flows
        .iter()
        .enumerate()
        .filter(|(_, f)| !flows.contains_key(&f.key) || !claimed.contains(&f.key))
        .map(|(i, f)| {
            let packets = f.packets[0] + f.packets[1];
            (
                f.counts.unknown >= packets,
                u64::MAX - (f.bytes[0] + f.bytes[1]),
                i,
            )
        })
        .collect();
    order.sort_unstable_by(|x, y| {
        (x.0, x.1).cmp(&(y.0, y.1)).then_with(|| {
            let (a, b) = (&snap.flows[x.2].key, &snap.flows[y.2].key);
            (a.lo, a.hi).cmp(&(b.lo, b.hi))
        })
    });
    let stray = order.into_iter().map(|(_, _, i)| {
        let f = &snap.flows[i];
        let turn = if turn_flows.is_empty() {
            None
        } else {
            turn_flows.get(&f.key).copied()
        };
        Row {
            key: RowKey::Flow(f.key),
            a: f.key.lo,
            b: f.key.hi,
            transport: f.key.transport,
            counts: f.counts,
            turn: turn.is_some() || f.key.relay.is_some(),
            state: turn.map_or(RowState::Flow, RowState::Turn),
            relayed: f.key.relay.is_some(),
            flows: vec![(f.key, false)],
            wire: vec![(f.key.lo, f.key.hi)],
            packets: f.packets[0] + f.packets[1],
            bytes: f.bytes,
            recent_bps: f.recent_bps,
            mean_bps: f.mean_bps(),
            first_ns: f.first_ns,
            last_ns: f.last_ns,
        }
    });
    out.reserve(snap.flows.len());
    out.extend(stray);
    out
}
