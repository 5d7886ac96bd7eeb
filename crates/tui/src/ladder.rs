//! The ladder (key 9): the call's signalling as a time-ordered diagram between its hosts, as
//! sngrep draws a SIP call: STUN checks and their answers, TURN requests and errors, DTLS
//! handshake flights and alerts, RTCP BYE and ICMP errors. Media (RTP, RTCP reports, ChannelData
//! carrying media, DTLS application data) is left out. The rows are packets of the store,
//! found by the same incremental scan as the packet list, so the ladder covers the whole file.

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

/// One arrow of the ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LadderRow {
    /// Packet number.
    pub number: u64,
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
        }
        let m = Matcher {
            expr: Some(ladder_filter()),
            words: &[],
        };
        let mut scan = std::mem::take(&mut self.scan);
        self.scanning = scan.advance(store, key, &m, budget, |_, info| {
            if let Some((s, d)) = info.endpoints {
                self.column(s.ip());
                self.column(d.ip());
            }
        });
        self.scan = scan;
        self.matched = self.scan.len(store);
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

    /// The selected arrow, when it is on screen.
    pub fn selected(&self) -> Option<&LadderRow> {
        self.rows.get(self.nav.sel.checked_sub(self.nav.offset)?)
    }

    /// Moves the selection.
    pub fn step(&mut self, delta: isize) {
        self.nav.step(delta, self.matched);
    }
}
