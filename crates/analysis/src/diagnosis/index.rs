//! The report's tables keyed the way the findings look them up, built once per report.
//!
//! A finding that asks "the flows of this pair", "the media streams on this path" or "the
//! allocation with this id" once per session, pair, stream or allocation used to scan the
//! whole table each time: a crafted capture of 100,000 flows and 10,000 streams (or 50,000
//! unanswered ICE pairs on flows of their own) took 14 to 17 s where a real call of the same
//! size takes 0.3 s (`stream-flows` and `ice-flows` in scripts/bench-adversarial.sh). With the
//! index every such question costs what its answer holds (and a bisection), so diagnosing
//! takes time about linear in the report.
//!
//! The index is each table's rows sorted by the key asked (four bytes a row), searched by
//! bisection; the rows of one key keep the report's order, so a lookup yields what the scan it
//! replaces yielded, in the same order: the findings are unchanged.

use crate::dtls::DtlsReport;
use crate::report::{FlowReport, PairReport, Report};
use crate::streams::Stream;
use crate::turn::Allocation;
use crate::HashState;
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

/// The two ends of a path, lower first: the same key either way round.
pub(super) type Path = (SocketAddr, SocketAddr);

/// The key of the path between `x` and `y` (addresses, or hosts), either way round.
pub(super) fn path<T: Ord>(x: T, y: T) -> (T, T) {
    if x <= y {
        (x, y)
    } else {
        (y, x)
    }
}

/// A set with the engine's hasher.
pub(super) type Set<T> = HashSet<T, HashState>;

/// A table's rows sorted by a key, then by their place: the rows of one key are a run, found
/// by binary search, in the table's order. Four bytes a row (a hash map of lists took about
/// 140 bytes a row, 30 MB more at the end of a capture of 100,000 flows).
struct ByKey {
    rows: Vec<u32>,
}

impl ByKey {
    fn new<T, K: Ord>(table: &[T], key: impl Fn(&T) -> K) -> ByKey {
        // A table longer than u32 rows cannot come from the engine's capped tables; its rows
        // beyond are left out of the index rather than wrapped.
        let n = u32::try_from(table.len()).unwrap_or(u32::MAX);
        let mut rows: Vec<u32> = (0..n).collect();
        rows.sort_unstable_by(|&a, &b| {
            key(&table[a as usize])
                .cmp(&key(&table[b as usize]))
                .then(a.cmp(&b))
        });
        ByKey { rows }
    }

    /// The rows whose key is `k`, in the table's order.
    fn get<'t, T, K: Ord + 't>(
        &'t self,
        table: &'t [T],
        key: impl Fn(&T) -> K + 't,
        k: K,
    ) -> impl Iterator<Item = &'t T> + 't {
        let start = self.rows.partition_point(|&i| key(&table[i as usize]) < k);
        self.rows[start..]
            .iter()
            .map(move |&i| &table[i as usize])
            .take_while(move |t| key(t) == k)
    }
}

fn flow_path(f: &&FlowReport) -> Path {
    path(f.a, f.b)
}

fn flow_hosts(f: &&FlowReport) -> (IpAddr, IpAddr) {
    path(f.a.ip(), f.b.ip())
}

fn stream_path(s: &&Stream) -> Path {
    path(s.src, s.dst)
}

fn stream_ssrc(s: &&Stream) -> u32 {
    s.ssrc
}

fn pair_path(p: &&PairReport) -> Path {
    path(p.local, p.remote)
}

fn dtls_path(d: &&DtlsReport) -> Path {
    path(d.a, d.b)
}

fn allocation_id(a: &&Allocation) -> u32 {
    a.id
}

/// See the module documentation.
pub(super) struct Index<'a> {
    flows: Vec<&'a FlowReport>,
    /// Flows by their two addresses.
    flows_by_path: ByKey,
    /// Flows by their two IP addresses (any ports).
    flows_by_hosts: ByKey,
    /// The media streams ([`super::media_streams`]).
    media: Vec<&'a Stream>,
    /// Media streams by their two addresses.
    media_by_path: ByKey,
    /// Media streams by SSRC.
    media_by_ssrc: ByKey,
    /// Every session's ICE pairs.
    pairs: Vec<&'a PairReport>,
    /// ICE pairs by their two addresses.
    pairs_by_path: ByKey,
    dtls: Vec<&'a DtlsReport>,
    /// DTLS associations by their two addresses.
    dtls_by_path: ByKey,
    allocations: Vec<&'a Allocation>,
    /// TURN allocations by id.
    allocations_by_id: ByKey,
    /// The SSRCs that sent RTCP, sorted.
    rtcp_senders: Vec<u32>,
}

impl<'a> Index<'a> {
    /// Indexes `r`: a sort of each of its tables.
    pub(super) fn new(r: &'a Report) -> Index<'a> {
        let flows: Vec<&FlowReport> = r.flows.iter().collect();
        let media: Vec<&Stream> = super::media_streams(r).collect();
        let pairs: Vec<&PairReport> = r.ice_sessions.iter().flat_map(|s| &s.pairs).collect();
        let dtls: Vec<&DtlsReport> = r.dtls.iter().collect();
        let allocations: Vec<&Allocation> = r.turn_allocations.iter().collect();
        let mut rtcp_senders: Vec<u32> = r.rtcp_senders.iter().map(|s| s.ssrc).collect();
        rtcp_senders.sort_unstable();
        Index {
            flows_by_path: ByKey::new(&flows, flow_path),
            flows_by_hosts: ByKey::new(&flows, flow_hosts),
            media_by_path: ByKey::new(&media, stream_path),
            media_by_ssrc: ByKey::new(&media, stream_ssrc),
            pairs_by_path: ByKey::new(&pairs, pair_path),
            dtls_by_path: ByKey::new(&dtls, dtls_path),
            allocations_by_id: ByKey::new(&allocations, allocation_id),
            flows,
            media,
            pairs,
            dtls,
            allocations,
            rtcp_senders,
        }
    }

    /// The flows between `x` and `y` (either way round), in the report's order.
    pub(super) fn flows_on(
        &self,
        x: SocketAddr,
        y: SocketAddr,
    ) -> impl Iterator<Item = &'a FlowReport> + '_ {
        self.flows_by_path
            .get(&self.flows, flow_path, path(x, y))
            .copied()
    }

    /// The flows between the hosts `x` and `y` on any ports (either way round), in the
    /// report's order.
    pub(super) fn flows_between_hosts(
        &self,
        x: IpAddr,
        y: IpAddr,
    ) -> impl Iterator<Item = &'a FlowReport> + '_ {
        self.flows_by_hosts
            .get(&self.flows, flow_hosts, path(x, y))
            .copied()
    }

    /// The media streams between `x` and `y` (either direction), in the report's order.
    pub(super) fn media_on(
        &self,
        x: SocketAddr,
        y: SocketAddr,
    ) -> impl Iterator<Item = &'a Stream> + '_ {
        self.media_by_path
            .get(&self.media, stream_path, path(x, y))
            .copied()
    }

    /// The media streams of an SSRC, in the report's order.
    pub(super) fn media_of_ssrc(&self, ssrc: u32) -> impl Iterator<Item = &'a Stream> + '_ {
        self.media_by_ssrc
            .get(&self.media, stream_ssrc, ssrc)
            .copied()
    }

    /// The ICE pairs between `x` and `y` (either way round), in the report's order.
    pub(super) fn pairs_on(
        &self,
        x: SocketAddr,
        y: SocketAddr,
    ) -> impl Iterator<Item = &'a PairReport> + '_ {
        self.pairs_by_path
            .get(&self.pairs, pair_path, path(x, y))
            .copied()
    }

    /// The DTLS associations between `x` and `y` (either way round), in the report's order.
    pub(super) fn dtls_on(
        &self,
        x: SocketAddr,
        y: SocketAddr,
    ) -> impl Iterator<Item = &'a DtlsReport> + '_ {
        self.dtls_by_path
            .get(&self.dtls, dtls_path, path(x, y))
            .copied()
    }

    /// The TURN allocation `id` (the first of that id).
    pub(super) fn allocation(&self, id: u32) -> Option<&'a Allocation> {
        self.allocations_by_id
            .get(&self.allocations, allocation_id, id)
            .next()
            .copied()
    }

    /// The flow between an allocation's client and its server (the client's 5-tuple): the
    /// first in the report's order.
    pub(super) fn allocation_flow(&self, a: &Allocation) -> Option<&'a FlowReport> {
        self.flows_on(a.client, a.server)
            .find(|f| f.relay.is_none() && f.transport == a.transport)
    }

    /// True when the SSRC sent RTCP.
    pub(super) fn sent_rtcp(&self, ssrc: u32) -> bool {
        self.rtcp_senders.binary_search(&ssrc).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;
    use rtcscope_capture::CaptureReader;

    fn same<T>(a: impl Iterator<Item = T>, b: impl Iterator<Item = T>) -> bool
    where
        T: PartialEq,
    {
        a.eq(b)
    }

    /// Every lookup against the scan it replaced, on the report of every recording of the
    /// project: the same rows (the same references), in the same order.
    #[test]
    fn lookups_yield_what_the_scans_did() {
        let mut looked_up = 0usize;
        for file in rtcscope_testkit::captures_under(&rtcscope_testkit::fixtures()) {
            let bytes = std::fs::read(&file).unwrap();
            let Ok(reader) = CaptureReader::new(&bytes[..]) else {
                continue;
            };
            let mut engine = Engine::default();
            engine.feed_all(&mut rtcscope_capture::PacketSource::from_reader(reader));
            let r = crate::report::Report::from_engine(engine);
            let ix = Index::new(&r);
            let media: Vec<&Stream> = super::super::media_streams(&r).collect();
            let pairs: Vec<&PairReport> = r.ice_sessions.iter().flat_map(|s| &s.pairs).collect();
            // Every address pair the report holds, each way round, and a few it does not.
            let mut ends: Vec<(SocketAddr, SocketAddr)> = Vec::new();
            ends.extend(r.flows.iter().map(|f| (f.a, f.b)));
            ends.extend(media.iter().map(|s| (s.src, s.dst)));
            ends.extend(pairs.iter().map(|p| (p.local, p.remote)));
            ends.extend(r.dtls.iter().map(|d| (d.a, d.b)));
            ends.extend(r.turn_allocations.iter().map(|a| (a.client, a.server)));
            let nowhere: SocketAddr = "203.0.113.9:9".parse().unwrap();
            ends.extend(r.flows.iter().map(|f| (f.a, nowhere)));
            for &(x, y) in &ends {
                for (x, y) in [(x, y), (y, x)] {
                    let joins =
                        |a: SocketAddr, b: SocketAddr| (a == x && b == y) || (a == y && b == x);
                    let name = || format!("{} {x} {y}", file.display());
                    assert!(
                        same(
                            ix.flows_on(x, y).map(std::ptr::from_ref),
                            r.flows
                                .iter()
                                .filter(|f| joins(f.a, f.b))
                                .map(std::ptr::from_ref)
                        ),
                        "flows {}",
                        name()
                    );
                    let hosts = |f: &&FlowReport| {
                        (f.a.ip() == x.ip() && f.b.ip() == y.ip())
                            || (f.a.ip() == y.ip() && f.b.ip() == x.ip())
                    };
                    assert!(
                        same(
                            ix.flows_between_hosts(x.ip(), y.ip())
                                .map(std::ptr::from_ref),
                            r.flows.iter().filter(hosts).map(std::ptr::from_ref)
                        ),
                        "hosts {}",
                        name()
                    );
                    assert!(
                        same(
                            ix.media_on(x, y).map(std::ptr::from_ref),
                            media
                                .iter()
                                .copied()
                                .filter(|s| joins(s.src, s.dst))
                                .map(std::ptr::from_ref)
                        ),
                        "media {}",
                        name()
                    );
                    assert!(
                        same(
                            ix.pairs_on(x, y).map(std::ptr::from_ref),
                            pairs
                                .iter()
                                .copied()
                                .filter(|p| joins(p.local, p.remote))
                                .map(std::ptr::from_ref)
                        ),
                        "pairs {}",
                        name()
                    );
                    assert!(
                        same(
                            ix.dtls_on(x, y).map(std::ptr::from_ref),
                            r.dtls
                                .iter()
                                .filter(|d| joins(d.a, d.b))
                                .map(std::ptr::from_ref)
                        ),
                        "dtls {}",
                        name()
                    );
                    looked_up += 1;
                }
            }
            for s in &media {
                assert!(same(
                    ix.media_of_ssrc(s.ssrc).map(std::ptr::from_ref),
                    media
                        .iter()
                        .copied()
                        .filter(|m| m.ssrc == s.ssrc)
                        .map(std::ptr::from_ref)
                ));
                assert_eq!(
                    ix.sent_rtcp(s.ssrc),
                    r.rtcp_senders.iter().any(|x| x.ssrc == s.ssrc)
                );
            }
            for a in &r.turn_allocations {
                assert_eq!(
                    ix.allocation(a.id).map(std::ptr::from_ref),
                    r.turn_allocations
                        .iter()
                        .find(|b| b.id == a.id)
                        .map(std::ptr::from_ref)
                );
                let scan = r.flows.iter().find(|f| {
                    f.relay.is_none()
                        && f.transport == a.transport
                        && ((f.a == a.client && f.b == a.server)
                            || (f.a == a.server && f.b == a.client))
                });
                assert_eq!(
                    ix.allocation_flow(a).map(std::ptr::from_ref),
                    scan.map(std::ptr::from_ref)
                );
            }
        }
        assert!(looked_up >= 500, "{looked_up} address pairs looked up");
    }
}
