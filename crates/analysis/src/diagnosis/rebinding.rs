//! Which earlier allocation of the same username a TURN allocation took over from, for
//! [`super::nat_rebinding`]: the search, apart from the finding it feeds.
//!
//! An allocation `y` takes over from `x` (both of one username, realms equal when both are
//! known, `x` granted before `y`'s flow began and not released then) in one of two shapes:
//! * `y` is an *orphan* (requests on a 5-tuple that never sent an Allocate and got no
//!   allocation): any such `x` whose flow began before `y`'s;
//! * `y` sent a fresh Allocate: `x` was used, all its traffic stopped at most
//!   [`super::REBIND_GAP_NS`] before `y` began while its lifetime still ran, and `y` is the
//!   only fresh Allocate of the username in that gap after `x` went quiet.
//!
//! Among several, the one from the same client IP first, then the one whose traffic stopped
//! last, then the last in the group's order.
//!
//! Compared pair by pair that is (allocations of one username)² comparisons: 10,000
//! allocations of one shared username (static TURN credentials an app gives all its users)
//! took 3 s, 86 % of a whole `analyze`. Here it is sorts and binary searches:
//! * a fresh Allocate looks only at the allocations whose traffic stopped in the gap before it
//!   and that have exactly one fresh Allocate in the gap after them: each such allocation is
//!   in the gap of that one Allocate (or is it), so the lookups together hold at most twice the
//!   allocations;
//! * orphans are taken in time order while the allocations they may take over from join and
//!   leave ordered sets (by client IP and realm), so each asks the best of two or four sets.

use super::{allocated, REBIND_GAP_NS};
use crate::turn::Allocation;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// One allocation of the username, with the first and last packet times of its flow (the
/// client's 5-tuple with the server).
#[derive(Clone, Copy)]
pub(super) struct Candidate<'a> {
    pub(super) a: &'a Allocation,
    pub(super) first_ns: i64,
    pub(super) last_ns: i64,
}

/// Requests on a 5-tuple that never sent an Allocate and got no allocation there: a client
/// that thinks its allocation is still there.
pub(super) fn orphan(a: &Allocation) -> bool {
    a.allocate_requests == 0 && !allocated(a)
}

/// An allocation the client used (not one set up and left at once, as a probe or a gathering
/// burst leaves).
fn in_use(x: &Allocation) -> bool {
    !x.permissions.is_empty()
        || !x.channels.is_empty()
        || x.send_indications + x.data_indications > 0
        || x.refreshes > 0
}

/// When `x`'s lifetime ran out, counted from its grant (no refresh seen extends it).
fn valid_until(x: &Allocation) -> i64 {
    x.allocated_ns
        .unwrap_or(0)
        .saturating_add(i64::from(x.lifetime_s.unwrap_or(0)).saturating_mul(1_000_000_000))
}

/// Granted before `t` and not released by then.
fn live_at(x: &Allocation, t: i64) -> bool {
    x.allocated_ns.is_some_and(|a| a < t) && x.released_ns.is_none_or(|rel| rel > t)
}

/// For each candidate (all of one username, in the group's order), the place of the one it
/// took over from, if any: see the module documentation.
pub(super) fn predecessors(c: &[Candidate<'_>]) -> Vec<Option<usize>> {
    let mut out = vec![None; c.len()];
    fresh_allocates(c, &mut out);
    orphans(c, &mut out);
    out
}

/// The fresh Allocates' predecessors.
fn fresh_allocates(c: &[Candidate<'_>], out: &mut [Option<usize>]) {
    // The start of every fresh Allocate's flow, sorted.
    let mut starts: Vec<i64> = c
        .iter()
        .filter(|x| x.a.allocate_requests > 0)
        .map(|x| x.first_ns)
        .collect();
    starts.sort_unstable();
    // How many fresh Allocates other than `x` start in the gap after `x` went quiet.
    let fresh_after = |x: &Candidate<'_>| {
        let t = x.last_ns;
        let from = starts.partition_point(|&s| s < t);
        let to = starts.partition_point(|&s| s < t || s.saturating_sub(t) <= REBIND_GAP_NS);
        let itself = x.a.allocate_requests > 0
            && x.first_ns >= t
            && x.first_ns.saturating_sub(t) <= REBIND_GAP_NS;
        to - from - usize::from(itself)
    };
    // The allocations a fresh Allocate can take over from, by when their traffic stopped.
    let mut quiet: Vec<usize> = (0..c.len())
        .filter(|&i| {
            let x = &c[i];
            in_use(x.a) && x.last_ns < valid_until(x.a) && fresh_after(x) == 1
        })
        .collect();
    quiet.sort_unstable_by_key(|&i| (c[i].last_ns, i));
    for (k, y) in c.iter().enumerate() {
        if y.a.allocate_requests == 0 {
            continue;
        }
        let t = y.first_ns;
        // Traffic stopped at most the gap before `t`, and not after it.
        let from = quiet.partition_point(|&i| t.saturating_sub(c[i].last_ns) > REBIND_GAP_NS);
        let to = quiet.partition_point(|&i| c[i].last_ns <= t);
        out[k] = quiet[from..to.max(from)]
            .iter()
            .copied()
            .filter(|&i| {
                let x = c[i].a;
                x.id != y.a.id && realms_agree(x, y.a) && live_at(x, t)
            })
            .max_by_key(|&i| (c[i].a.client.ip() == y.a.client.ip(), c[i].last_ns, i));
    }
}

/// Realms equal when both are known.
fn realms_agree(x: &Allocation, y: &Allocation) -> bool {
    match (&x.realm, &y.realm) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// The orphans' predecessors: a sweep through time.
fn orphans(c: &[Candidate<'_>], out: &mut [Option<usize>]) {
    let mut ys: Vec<usize> = (0..c.len()).filter(|&k| orphan(c[k].a)).collect();
    if ys.is_empty() {
        return;
    }
    ys.sort_unstable_by_key(|&k| (c[k].first_ns, k));
    // An allocation can be taken over from after it was granted and its flow began (both
    // strictly before the orphan began), until it was released.
    let mut opens: Vec<(i64, usize)> = c
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.a.allocated_ns.map(|g| (g.max(x.first_ns), i)))
        .collect();
    opens.sort_unstable();
    let mut closes: Vec<(i64, usize)> = opens
        .iter()
        .filter_map(|&(_, i)| c[i].a.released_ns.map(|r| (r, i)))
        .collect();
    closes.sort_unstable();
    let mut live = Live::default();
    let (mut o, mut z) = (0, 0);
    for k in ys {
        let t = c[k].first_ns;
        while let Some(&(_, i)) = opens.get(o).filter(|(open, _)| *open < t) {
            if c[i].a.released_ns.is_none_or(|r| r > t) {
                live.change(&c[i], i, true);
            }
            o += 1;
        }
        while let Some(&(_, i)) = closes.get(z).filter(|(r, _)| *r <= t) {
            live.change(&c[i], i, false);
            z += 1;
        }
        out[k] = live.best(c, k);
    }
}

/// Which realms a set holds.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Realms<'a> {
    /// Any realm.
    Any,
    /// This realm (`None`: allocations whose realm the capture does not show).
    Is(Option<&'a str>),
}

/// The allocations an orphan can take over from at a moment, in ordered sets by (when their
/// traffic stopped, place): all of them, by client IP, by realm, and by both.
#[derive(Default)]
struct Live<'a> {
    sets: crate::Map<SetKey<'a>, BTreeSet<(i64, usize)>>,
}

/// A set of [`Live`]: one client IP (`None`: any) and the realms it holds.
type SetKey<'a> = (Option<IpAddr>, Realms<'a>);

impl<'a> Live<'a> {
    /// Adds (`join`) or removes candidate `i`.
    fn change(&mut self, x: &Candidate<'a>, i: usize, join: bool) {
        let ip = x.a.client.ip();
        let realm = Realms::Is(x.a.realm.as_deref());
        for key in [
            (None, Realms::Any),
            (None, realm),
            (Some(ip), Realms::Any),
            (Some(ip), realm),
        ] {
            let set = self.sets.entry(key).or_default();
            if join {
                set.insert((x.last_ns, i));
            } else {
                set.remove(&(x.last_ns, i));
            }
        }
    }

    /// The best of the live allocations for orphan `k`, itself aside.
    fn best(&self, c: &[Candidate<'a>], k: usize) -> Option<usize> {
        let y = c[k].a;
        let realms: &[Realms<'_>] = match y.realm.as_deref() {
            None => &[Realms::Any],
            Some(r) => &[Realms::Is(None), Realms::Is(Some(r))],
        };
        [Some(y.client.ip()), None].into_iter().find_map(|ip| {
            realms
                .iter()
                .filter_map(|&realm| {
                    self.sets
                        .get(&(ip, realm))?
                        .iter()
                        .rev()
                        .find(|&&(_, i)| c[i].a.id != y.id)
                        .copied()
                })
                .max()
                .map(|(_, i)| i)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Transport;
    use crate::turn::AllocationState;
    use proptest::prelude::*;

    /// The search as it was first written: every pair compared.
    fn predecessors_scan(c: &[Candidate<'_>]) -> Vec<Option<usize>> {
        let fresh_after = |t: i64, x: &Candidate<'_>| {
            c.iter()
                .filter(|z| z.a.id != x.a.id && z.a.allocate_requests > 0)
                .filter(|z| z.first_ns >= t && z.first_ns.saturating_sub(t) <= REBIND_GAP_NS)
                .count()
        };
        c.iter()
            .map(|y| {
                let t = y.first_ns;
                (0..c.len())
                    .filter(|&i| {
                        let x = &c[i];
                        x.a.id != y.a.id
                            && realms_agree(x.a, y.a)
                            && live_at(x.a, t)
                            && if orphan(y.a) {
                                x.first_ns < t
                            } else {
                                y.a.allocate_requests > 0
                                    && in_use(x.a)
                                    && x.last_ns <= t
                                    && t.saturating_sub(x.last_ns) <= REBIND_GAP_NS
                                    && x.last_ns < valid_until(x.a)
                                    && fresh_after(x.last_ns, x) == 1
                            }
                    })
                    .max_by_key(|&i| (c[i].a.client.ip() == y.a.client.ip(), c[i].last_ns))
            })
            .collect()
    }

    /// Seconds, in steps of 20 (a third of the gap), so that times tie and gaps meet.
    fn at(step: u8) -> i64 {
        i64::from(step) * 20_000_000_000
    }

    prop_compose! {
        fn allocation()(
            ip in 0u8..3,
            realm in 0u8..3,
            state in 0u8..4,
            granted in proptest::option::of(0u8..20),
            released in proptest::option::of(0u8..20),
            lifetime in proptest::option::of(0u32..400),
            used in any::<bool>(),
            allocates in 0u32..3,
            first in 0u8..20,
            len in 0u8..6,
        ) -> (Allocation, i64, i64) {
            let mut a = Allocation::new(
                0,
                std::net::SocketAddr::from(([10, 0, 0, ip], 5000)),
                "198.51.100.1:3478".parse().unwrap(),
                Transport::Udp,
            );
            a.state = [
                AllocationState::Allocated,
                AllocationState::Released,
                AllocationState::Failed,
                AllocationState::Requested,
            ][usize::from(state)];
            a.username = Some("u".into());
            a.realm = [None, Some("a"), Some("b")][usize::from(realm)].map(str::to_owned);
            a.lifetime_s = lifetime;
            a.allocated_ns = granted.map(at);
            a.released_ns = released.map(at);
            a.refreshes = u32::from(used);
            a.allocate_requests = allocates;
            (a, at(first), at(first.saturating_add(len)))
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The sorted search finds what comparing every pair finds, on groups small enough to
        /// hold every shape: ties in time, realms known and not, orphans, several fresh
        /// Allocates in one gap, allocations released before or after.
        #[test]
        fn the_search_finds_what_the_scan_finds(
            mut group in proptest::collection::vec(allocation(), 0..24)
        ) {
            for (i, (a, _, _)) in group.iter_mut().enumerate() {
                a.id = i as u32;
            }
            let c: Vec<Candidate<'_>> = group
                .iter()
                .map(|(a, first_ns, last_ns)| Candidate { a, first_ns: *first_ns, last_ns: *last_ns })
                .collect();
            prop_assert_eq!(predecessors(&c), predecessors_scan(&c));
        }
    }
}
