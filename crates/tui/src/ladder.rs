//! The ladder (key 9): the call's signalling as a time-ordered diagram between its hosts, as
//! sngrep draws a SIP call: STUN checks and their answers, TURN requests and errors, DTLS
//! handshake flights and alerts, RTCP BYE and ICMP errors; and, with the user's keys, what
//! decryption reveals of the signalling ([`crate::decrypted`]): DTLS 1.3's encrypted
//! handshake, the SCTP association's set-up and shutdown, data-channel opens and acks, RTCP BYE
//! inside SRTCP. Media (RTP, RTCP reports, ChannelData
//! carrying media, DTLS application data) is left out. The rows are packets of the store,
//! found by the same incremental scan as the packet list, so the ladder covers the whole file.
//!
//! **Zoom** (`+`/`-`): at the first level every message is a row; at the others a row stands
//! for one kind of message between two hosts within a slice of time (100 ms, 1 s, 10 s,
//! 1 min): `Binding Request ×12`. Zoomed out, an hour of consent checks folds onto a screen;
//! zoomed in, each retransmission is there. The groups of every level are made as the scan
//! finds the packets, once, in constant time each (a bounded look back within the slice).

use crate::scan::{Matcher, Scan, ScanKey};
use crate::store::PacketStore;
use rtcscope_dissect::filter::{self, Expr};
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;

/// What the ladder shows, as a display filter (`dissect -Y` shows the same packets).
pub const LADDER_FILTER: &str = "(stun && !rtp && !rtcp && !dtls && !sctp) \
     || dtls.content_type == handshake || dtls.content_type == alert \
     || dtls.content_type == change_cipher_spec || rtcp.pt == bye || icmp";

/// Hosts drawn as columns; packets between other hosts go to the last column, `…`.
pub const MAX_COLUMNS: usize = 8;

fn ladder_filter() -> &'static Expr {
    static EXPR: OnceLock<Expr> = OnceLock::new();
    EXPR.get_or_init(|| filter::parse(LADDER_FILTER).expect("the ladder's filter parses"))
}

/// The time a row covers at each zoom level; 0: every message is a row.
pub const ZOOMS: [i64; 5] = [
    0,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    60_000_000_000,
];

/// Rows a zoom level groups at most; later messages are still listed at the first level.
pub const MAX_GROUPS: usize = 100_000;

/// Groups of a time slice looked back at for one of the same kind (a bound, not a limit in
/// practice: a slice holds few kinds of signalling between few hosts).
const LOOK_BACK: usize = 64;

/// What kind of message a summary's info names, for grouping: its words up to the first that
/// holds a value (`user=…`, `(fragment …)`, a size, an address), so that `Binding Request
/// user=a:b` and `Allocate Error Response error=401 …` group by request and by error; what a
/// relay carries (`Channel 0x4000, 96 bytes [STUN Binding Request …]`) adds the kind of the
/// message inside (`Channel 0x4000 [STUN Binding Request]`).
pub fn message_kind(info: &str) -> String {
    fn words(text: &str) -> String {
        let mut out: Vec<&str> = Vec::new();
        for w in text.split_whitespace() {
            let t = w.trim_end_matches(',');
            let value = t.contains('=')
                || t.starts_with('(')
                || t.starts_with('[')
                || t.contains(':')
                || t == "bytes"
                || (t.chars().all(|c| c.is_ascii_digit()) && !out.is_empty() && t.len() > 3);
            if value {
                break;
            }
            out.push(t);
        }
        // "Channel 0x4000, 96 bytes": the size went, the channel stays.
        if out
            .last()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()))
        {
            out.pop();
        }
        out.join(" ")
    }
    let outer = words(info);
    match (info.find('['), info.rfind(']')) {
        (Some(a), Some(b)) if a < b => format!("{outer} [{}]", words(&info[a + 1..b])),
        _ => outer,
    }
}

/// The kind of a ladder row's message ([`message_kind`]), with the signalling decryption
/// revealed in it (`Encrypted [DATA_CHANNEL_OPEN "chat"]`).
fn row_kind(info: &crate::store::RowInfo) -> String {
    let captured = info
        .summary
        .info
        .split(" [decrypted: ")
        .next()
        .unwrap_or_default();
    let kind = message_kind(captured);
    match &info.signalling {
        Some(s) => format!("{kind} [{s}]"),
        None => kind,
    }
}

/// Messages of one kind between two endpoints within one time slice.
#[derive(Clone, Debug)]
struct Group {
    // A group of one shows its whole info; a larger one its kind and count.
    /// The first message's number.
    number: u64,
    /// The last message's number.
    last_number: u64,
    ts_ns: i64,
    slice: i64,
    src: SocketAddr,
    dst: SocketAddr,
    protocol: &'static str,
    /// The message kind, then (for a group of one) the whole info.
    kind: String,
    info: String,
    count: u32,
}

/// One arrow of the ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LadderRow {
    /// Packet number (the first of a group).
    pub number: u64,
    /// The last packet of a group (the same as `number` for one message).
    pub last_number: u64,
    /// Messages the row stands for.
    pub count: u32,
    /// Time since the capture's start.
    pub offset_ns: i64,
    /// Sender and receiver.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Their columns.
    pub from: usize,
    /// The receiver's column.
    pub to: usize,
    /// Protocol column of the packet list.
    pub protocol: &'static str,
    /// The packet list's info text, escaped for the terminal.
    pub info: String,
}

/// The ladder's state.
#[derive(Clone, Debug, Default)]
pub struct Ladder {
    scan: Scan,
    /// The hosts, in the order they first appear (at most [`MAX_COLUMNS`]; the last one is
    /// `None`, "other hosts", once there are more).
    pub columns: Vec<Option<IpAddr>>,
    /// The arrows on screen.
    pub rows: Vec<LadderRow>,
    /// Scroll and selection.
    pub nav: crate::app::Nav,
    /// Arrows in the whole ladder.
    pub matched: usize,
    /// While the scan has not reached the end: packets looked at, packets held.
    pub scanning: Option<(u64, u64)>,
    /// The zoom level, an index into [`ZOOMS`].
    pub zoom: usize,
    /// The groups of each zoom level above the first.
    groups: [Vec<Group>; ZOOMS.len() - 1],
    /// A level stopped grouping at [`MAX_GROUPS`].
    pub groups_full: bool,
    /// A message to select once the first level's rows are laid out (after zooming in).
    pending_select: Option<u64>,
}

impl Ladder {
    fn column(&mut self, ip: IpAddr) -> usize {
        if let Some(i) = self.columns.iter().position(|c| *c == Some(ip)) {
            return i;
        }
        if self.columns.len() + 1 < MAX_COLUMNS {
            self.columns.push(Some(ip));
            return self.columns.len() - 1;
        }
        if self.columns.last() != Some(&None) {
            self.columns.push(None);
        }
        self.columns.len() - 1
    }

    /// Looks further for the ladder's packets among the selection's (`wire`), and lays out the
    /// `height` rows from the scroll position.
    pub fn update(
        &mut self,
        store: &mut PacketStore,
        wire: Vec<(SocketAddr, SocketAddr)>,
        frozen: Option<u64>,
        budget: Duration,
        height: usize,
        start_ns: i64,
    ) {
        let key = ScanKey {
            filter: LADDER_FILTER.into(),
            wire,
            frozen,
        };
        if self.scan.key() != Some(&key) {
            self.columns.clear();
            self.nav = Default::default();
            self.groups.iter_mut().for_each(Vec::clear);
            self.groups_full = false;
        }
        let m = Matcher {
            expr: Some(ladder_filter()),
            words: &[],
            decrypted_signalling: true,
        };
        let mut scan = std::mem::take(&mut self.scan);
        self.scanning = scan.advance(store, key, &m, budget, |_, p, info| {
            if let Some((s, d)) = info.endpoints {
                self.column(s.ip());
                self.column(d.ip());
                let ts = rtcscope_analysis::timestamp_ns(p.ts_nanos);
                self.group(p.number, ts, s, d, info);
            }
        });
        self.scan = scan;
        if self.zoom > 0 {
            self.layout_groups(height, start_ns);
            return;
        }
        self.matched = self.scan.len(store);
        if let Some(n) = self.pending_select.take() {
            let i = self.scan.find(store, n);
            self.nav = crate::app::Nav {
                sel: i,
                offset: i.saturating_sub(3),
            };
        }
        self.nav.fit(self.matched, height);
        let end = (self.nav.offset + height).min(self.matched);
        let mut rows = Vec::with_capacity(end - self.nav.offset);
        for i in self.nav.offset..end {
            let Some(pos) = self.scan.get(store, i) else {
                break;
            };
            let Some(info) = store.row(pos) else {
                continue;
            };
            let Some((src, dst)) = info.endpoints else {
                continue;
            };
            let Some((number, ts)) = store.with_packet(pos, |p| (p.number, p.ts_nanos)) else {
                continue;
            };
            rows.push(LadderRow {
                number,
                last_number: number,
                count: 1,
                offset_ns: i64::try_from(ts).unwrap_or(i64::MAX) - start_ns,
                src,
                dst,
                from: self.column(src.ip()),
                to: self.column(dst.ip()),
                protocol: info.summary.protocol,
                info: rtcscope_wire::text::escape(&info.summary.info).into_owned(),
            });
        }
        self.rows = rows;
    }

    /// Adds a matched message to its group at every zoom level above the first.
    fn group(
        &mut self,
        number: u64,
        ts_ns: i64,
        src: SocketAddr,
        dst: SocketAddr,
        info: &crate::store::RowInfo,
    ) {
        let kind = row_kind(info);
        let kind = kind.as_str();
        for (level, groups) in self.groups.iter_mut().enumerate() {
            let slice = ts_ns.div_euclid(ZOOMS[level + 1]);
            let same = groups
                .iter_mut()
                .rev()
                .take(LOOK_BACK)
                .take_while(|g| g.slice == slice)
                .find(|g| {
                    g.src == src
                        && g.dst == dst
                        && g.protocol == info.summary.protocol
                        && g.kind == kind
                });
            if let Some(g) = same {
                g.count = g.count.saturating_add(1);
                g.last_number = number;
                continue;
            }
            if groups.len() >= MAX_GROUPS {
                self.groups_full = true;
                continue;
            }
            groups.push(Group {
                number,
                last_number: number,
                ts_ns,
                slice,
                src,
                dst,
                protocol: info.summary.protocol,
                kind: kind.to_owned(),
                info: rtcscope_wire::text::escape(&info.summary.info).into_owned(),
                count: 1,
            });
        }
    }

    /// The rows of the current zoom level above the first.
    fn layout_groups(&mut self, height: usize, start_ns: i64) {
        let level = self.zoom - 1;
        self.matched = self.groups[level].len();
        self.nav.fit(self.matched, height);
        let end = (self.nav.offset + height).min(self.matched);
        let rows: Vec<LadderRow> = (self.nav.offset..end)
            .map(|i| {
                let g = self.groups[level][i].clone();
                LadderRow {
                    number: g.number,
                    last_number: g.last_number,
                    count: g.count,
                    offset_ns: g.ts_ns.saturating_sub(start_ns),
                    src: g.src,
                    dst: g.dst,
                    from: self.column(g.src.ip()),
                    to: self.column(g.dst.ip()),
                    protocol: g.protocol,
                    info: if g.count > 1 {
                        format!("{} ×{}", rtcscope_wire::text::escape(&g.kind), g.count)
                    } else {
                        g.info
                    },
                }
            })
            .collect();
        self.rows = rows;
    }

    /// Zooms out (`+1`: a row covers more time) or in (`-1`), keeping the selected message
    /// (the first of its group) selected.
    pub fn zoom_by(&mut self, delta: isize) {
        let to = self.zoom.saturating_add_signed(delta).min(ZOOMS.len() - 1);
        if to == self.zoom {
            return;
        }
        let number = self.selected().map(|r| r.number);
        self.zoom = to;
        // The new level's row holding that message: the last whose first message is not
        // after it (rows are in time order at every level). At the first level the rows are
        // the scan's, found when laid out; the group's first message stands in.
        let sel = match (number, to) {
            (Some(n), 1..) => self.groups[to - 1]
                .partition_point(|g| g.number <= n)
                .saturating_sub(1),
            _ => 0,
        };
        self.pending_select = number.filter(|_| to == 0);
        self.nav = crate::app::Nav {
            sel,
            offset: sel.saturating_sub(3),
        };
    }

    /// The groups of zoom `level` (1 and up): first and last packet number, messages, the
    /// first message's capture time (ns since the epoch).
    pub fn groups(&self, level: usize) -> Vec<(u64, u64, u32, i64)> {
        level
            .checked_sub(1)
            .and_then(|l| self.groups.get(l))
            .map(|g| {
                g.iter()
                    .map(|g| (g.number, g.last_number, g.count, g.ts_ns))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The selected arrow, when it is on screen.
    pub fn selected(&self) -> Option<&LadderRow> {
        self.rows.get(self.nav.sel.checked_sub(self.nav.offset)?)
    }

    /// Moves the selection.
    pub fn step(&mut self, delta: isize) {
        self.nav.step(delta, self.matched);
    }
}

#[cfg(test)]
mod tests {
    use super::message_kind;

    #[test]
    fn kinds_drop_values_and_keep_what_a_relay_carries() {
        for (info, kind) in [
            (
                "Binding Request user=fSlR:caKh controlled",
                "Binding Request",
            ),
            (
                "Allocate Error Response error=401 Unauthorized realm=x",
                "Allocate Error Response",
            ),
            ("Client Hello (fragment 0..1175 of 1413)", "Client Hello"),
            (
                "Channel 0x4000, 96 bytes [STUN Binding Request user=RR3Y:Cukq]",
                "Channel 0x4000 [STUN Binding Request]",
            ),
            (
                "Channel 0x4000, 1199 bytes [DTLS Server Hello]",
                "Channel 0x4000 [DTLS Server Hello]",
            ),
            (
                "Send Indication peer=198.51.100.10:50017 [STUN Binding Request user=a:b]",
                "Send Indication [STUN Binding Request]",
            ),
            ("Destination unreachable (port)", "Destination unreachable"),
        ] {
            assert_eq!(message_kind(info), kind, "{info}");
        }
    }
}
