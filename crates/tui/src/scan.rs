//! Which packets of the store a list shows (the Packets view, the ladder): a scan that goes on
//! where it stopped as packets arrive, a bounded time per tick, and starts again when what it
//! looks for changes.

use crate::store::{PacketRef, PacketStore, RowInfo};
use rtcscope_dissect::filter::Expr;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Packets a scan looks at before it checks the clock.
const SCAN_CHUNK: u64 = 1024;
/// How long a tick may scan by default (the capture side waits for the lock meanwhile).
pub const SCAN_BUDGET: Duration = Duration::from_millis(30);

/// What a scan looks for.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanKey {
    /// The filter's text (an expression, or words), trimmed.
    pub filter: String,
    /// Address pairs of the selection (empty: every packet).
    pub wire: Vec<(SocketAddr, SocketAddr)>,
    /// While paused: the last packet number shown.
    pub frozen: Option<u64>,
}

/// How a packet is matched: the filter as an expression, or else as words.
pub struct Matcher<'a> {
    /// The filter, when it parses.
    pub expr: Option<&'a Expr>,
    /// Its lower-cased words, when it does not.
    pub words: &'a [String],
    /// Also match packets in which decryption revealed signalling ([`RowInfo::signalling`]):
    /// the ladder's addition to its filter.
    pub decrypted_signalling: bool,
}

impl Matcher<'_> {
    fn matches(&self, key: &ScanKey, p: &PacketRef<'_>, info: &RowInfo) -> bool {
        if key.frozen.is_some_and(|f| p.number > f) {
            return false;
        }
        if !key.wire.is_empty() && !key.wire.iter().any(|&(a, b)| info.between(a, b)) {
            return false;
        }
        if self.decrypted_signalling && info.signalling.is_some() {
            return true;
        }
        if let Some(e) = self.expr {
            return e.matches(&info.summary.fields);
        }
        if self.words.is_empty() {
            return true;
        }
        let ep = info
            .endpoints
            .map(|(s, d)| format!("{s} {d}"))
            .unwrap_or_default();
        let hay = format!(
            "{} {ep} {} {}",
            p.number, info.summary.protocol, info.summary.info
        )
        .to_ascii_lowercase();
        self.words.iter().all(|w| hay.contains(w.as_str()))
    }

    fn everything(&self, key: &ScanKey) -> bool {
        self.expr.is_none() && self.words.is_empty() && key.wire.is_empty() && key.frozen.is_none()
    }
}

/// The matches found so far.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    key: Option<ScanKey>,
    /// The next position to look at.
    next: u64,
    /// The matching positions, or none when every packet matches.
    matched: Option<Vec<u64>>,
}

impl Scan {
    /// Looks further, for at most `budget` (and at least one chunk): from the start when `key`
    /// changed, else from where it stopped; `on_match` sees each new match. Returns how far
    /// it got when it has not reached the end (packets looked at, packets held).
    pub fn advance(
        &mut self,
        store: &mut PacketStore,
        key: ScanKey,
        m: &Matcher<'_>,
        budget: Duration,
        mut on_match: impl FnMut(u64, &PacketRef<'_>, &RowInfo),
    ) -> Option<(u64, u64)> {
        if self.key.as_ref() != Some(&key) {
            *self = Scan {
                next: store.first(),
                matched: (!m.everything(&key)).then(Vec::new),
                key: Some(key),
            };
        }
        let Some(found) = self.matched.as_mut() else {
            self.next = store.end();
            return None;
        };
        // A ring forgets its oldest packets; their matches go with them.
        let first = store.first();
        let gone = found.partition_point(|&p| p < first);
        found.drain(..gone);
        let key = self.key.as_ref().expect("set above");
        let started = Instant::now();
        while self.next < store.end() {
            self.next = store.scan(self.next, SCAN_CHUNK, |pos, p, info| {
                if m.matches(key, p, info) {
                    found.push(pos);
                    on_match(pos, p, info);
                }
            });
            if started.elapsed() >= budget {
                break;
            }
        }
        let first = store.first();
        (self.next < store.end()).then(|| (self.next - first, store.end() - first))
    }

    /// What the scan looks for (none before its first step).
    pub fn key(&self) -> Option<&ScanKey> {
        self.key.as_ref()
    }

    /// Matching packets.
    pub fn len(&self, store: &PacketStore) -> usize {
        match &self.matched {
            Some(m) => m.len(),
            None => store.len(),
        }
    }

    /// True when nothing matches.
    pub fn is_empty(&self, store: &PacketStore) -> bool {
        self.len(store) == 0
    }

    /// The position of the `i`th match.
    pub fn get(&self, store: &PacketStore, i: usize) -> Option<u64> {
        match &self.matched {
            Some(m) => m.get(i).copied(),
            None => (i < store.len()).then(|| store.first() + i as u64),
        }
    }

    /// The index of the first match at or after packet number `n`.
    pub fn find(&self, store: &PacketStore, n: u64) -> usize {
        let (mut lo, mut hi) = (0, self.len(store));
        while lo < hi {
            let mid = (lo + hi) / 2;
            let num = self
                .get(store, mid)
                .and_then(|p| store.number(p))
                .unwrap_or(u64::MAX);
            if num < n {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}
