//! A bounded map that evicts its least recently used entry in O(1).
//!
//! Every table the engine keeps per flow, stream, session or transaction is fed by untrusted
//! input: a capture can hold a million flows or a million SSRCs. Scanning a table for its
//! oldest entry whenever it is full makes such a capture quadratic (a million evictions times a
//! hundred thousand entries), so the tables here keep their entries on a recency list instead.
//!
//! The entries live in one dense vector, linked in order of use by indices (no allocation per
//! entry beyond the vector's growth); a hash map finds an entry's index. Touching an entry moves
//! it to the tail of the list, evicting takes the head, removing swaps the last element into the
//! hole: all O(1).

use crate::Map;
use std::hash::Hash;

const NONE: u32 = u32::MAX;

/// Where an entry of an [`LruMap`] is, until the next insertion or removal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(u32);

#[derive(Clone)]
struct Node<K, V> {
    key: K,
    value: V,
    prev: u32,
    next: u32,
}

/// A map of at most `cap` entries evicting the least recently used one.
#[derive(Clone)]
pub struct LruMap<K, V> {
    index: Map<K, u32>,
    nodes: Vec<Node<K, V>>,
    head: u32,
    tail: u32,
    cap: usize,
    evicted: u64,
}

impl<K: Copy + Eq + Hash, V> LruMap<K, V> {
    /// An empty map holding at most `cap` entries (at least one, at most `u32::MAX - 1`).
    pub fn new(cap: usize) -> Self {
        LruMap {
            index: Map::default(),
            nodes: Vec::new(),
            head: NONE,
            tail: NONE,
            cap: cap.clamp(1, NONE as usize - 1),
            evicted: 0,
        }
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Entries evicted so far to keep within the cap.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// True when `key` is held.
    pub fn contains_key(&self, key: &K) -> bool {
        self.index.contains_key(key)
    }

    /// Reads an entry without touching it.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.index.get(key).map(|&i| &self.nodes[i as usize].value)
    }

    /// Writes an entry and marks it used.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = *self.index.get(key)?;
        self.move_to_tail(i);
        Some(&mut self.nodes[i as usize].value)
    }

    /// Writes an entry without marking it used (for bookkeeping that is not activity).
    pub fn peek_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = *self.index.get(key)?;
        Some(&mut self.nodes[i as usize].value)
    }

    /// The entry for `key`, created with `make` when absent. When the map is full, the least
    /// recently used entry is evicted first and handed to `evict`.
    pub fn get_or_insert_with(
        &mut self,
        key: K,
        make: impl FnOnce() -> V,
        evict: impl FnOnce(K, V),
    ) -> &mut V {
        let slot = self.get_or_insert_slot(key, make, evict);
        self.at_mut(slot)
    }

    /// [`LruMap::get_or_insert_with`] that returns where the entry is: [`LruMap::at_mut`]
    /// reaches it again without a lookup, for a caller that must let go of it to read other
    /// entries in between.
    pub fn get_or_insert_slot(
        &mut self,
        key: K,
        make: impl FnOnce() -> V,
        evict: impl FnOnce(K, V),
    ) -> Slot {
        if let Some(&i) = self.index.get(&key) {
            self.move_to_tail(i);
            return Slot(i);
        }
        if self.nodes.len() >= self.cap {
            if let Some((k, v)) = self.pop_lru() {
                self.evicted += 1;
                evict(k, v);
            }
        }
        let i = self.nodes.len() as u32;
        self.nodes.push(Node {
            key,
            value: make(),
            prev: NONE,
            next: NONE,
        });
        self.index.insert(key, i);
        self.link_tail(i);
        Slot(i)
    }

    /// The entry at `slot`, from [`LruMap::get_or_insert_slot`] on this map with no insertion
    /// or removal since (which move entries; reading, touching and writing do not).
    ///
    /// # Panics
    /// When the slot is past the entries: a slot kept across a removal.
    pub fn at_mut(&mut self, slot: Slot) -> &mut V {
        &mut self.nodes[slot.0 as usize].value
    }

    /// Removes an entry.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.index.remove(key)?;
        Some(self.take(i))
    }

    /// Removes and returns the least recently used entry.
    pub fn pop_lru(&mut self) -> Option<(K, V)> {
        if self.head == NONE {
            return None;
        }
        let i = self.head;
        let key = self.nodes[i as usize].key;
        self.index.remove(&key);
        Some((key, self.take(i)))
    }

    /// The least recently used entry.
    pub fn peek_lru(&self) -> Option<(&K, &V)> {
        self.nodes
            .get(self.head as usize)
            .map(|n| (&n.key, &n.value))
    }

    /// Removes least recently used entries while `expired` says so; returns how many.
    pub fn expire_lru(&mut self, mut expired: impl FnMut(&V) -> bool) -> usize {
        let mut n = 0;
        while self.peek_lru().is_some_and(|(_, v)| expired(v)) {
            self.pop_lru();
            n += 1;
        }
        n
    }

    /// Calls `f` on the values from the least recently used on, without touching them, until
    /// it returns false or every value was seen; returns how many it was called on.
    pub fn walk_lru_mut(&mut self, mut f: impl FnMut(&mut V) -> bool) -> usize {
        let (mut i, mut n) = (self.head, 0);
        while let Some(node) = self.nodes.get_mut(i as usize) {
            n += 1;
            if !f(&mut node.value) {
                break;
            }
            i = node.next;
        }
        n
    }

    /// Iterates over the entries (in no particular order).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.nodes.iter().map(|n| (&n.key, &n.value))
    }

    /// Iterates over the values.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.nodes.iter().map(|n| &n.value)
    }

    /// The values, consuming the map.
    pub fn into_values(self) -> impl Iterator<Item = V> {
        self.nodes.into_iter().map(|n| n.value)
    }

    /// The values that `keep` keeps, consuming the map, in the map's own allocation where
    /// the standard library can collect in place (a node's alignment is its value's): at the
    /// end of a capture of thousands of streams the table and a second vector of its values
    /// side by side were the peak of memory. The vector is shrunk to its length.
    pub fn into_values_where(self, keep: impl FnMut(&V) -> bool) -> Vec<V> {
        let LruMap { index, nodes, .. } = self;
        drop(index);
        let mut out: Vec<V> = nodes.into_iter().map(|n| n.value).filter(keep).collect();
        out.shrink_to_fit();
        out
    }

    /// Iterates over the values, mutably, without touching them.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.nodes.iter_mut().map(|n| &mut n.value)
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = {
            let n = &self.nodes[i as usize];
            (n.prev, n.next)
        };
        match prev {
            NONE => self.head = next,
            p => self.nodes[p as usize].next = next,
        }
        match next {
            NONE => self.tail = prev,
            n => self.nodes[n as usize].prev = prev,
        }
    }

    fn link_tail(&mut self, i: u32) {
        let tail = self.tail;
        {
            let n = &mut self.nodes[i as usize];
            n.prev = tail;
            n.next = NONE;
        }
        match tail {
            NONE => self.head = i,
            t => self.nodes[t as usize].next = i,
        }
        self.tail = i;
    }

    fn move_to_tail(&mut self, i: u32) {
        if self.tail != i {
            self.unlink(i);
            self.link_tail(i);
        }
    }

    /// Unlinks node `i` (already gone from the index) and fills its hole with the last node.
    fn take(&mut self, i: u32) -> V {
        self.unlink(i);
        let last = self.nodes.len() as u32 - 1;
        if i != last {
            // The last node moves to `i`: its neighbours and its index entry follow.
            let (prev, next, key) = {
                let n = &self.nodes[last as usize];
                (n.prev, n.next, n.key)
            };
            match prev {
                NONE => self.head = i,
                p => self.nodes[p as usize].next = i,
            }
            match next {
                NONE => self.tail = i,
                n => self.nodes[n as usize].prev = i,
            }
            self.index.insert(key, i);
        }
        self.nodes.swap_remove(i as usize).value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn evicts_the_least_recently_used() {
        let mut m = LruMap::new(3);
        let mut gone = Vec::new();
        for k in 0..3 {
            m.get_or_insert_with(k, || k * 10, |k, _| gone.push(k));
        }
        m.get_mut(&0);
        m.get_or_insert_with(3, || 30, |k, _| gone.push(k));
        assert_eq!(gone, vec![1]);
        m.get_mut(&2);
        m.get_or_insert_with(4, || 40, |k, _| gone.push(k));
        assert_eq!(gone, vec![1, 0]);
        assert_eq!(m.len(), 3);
        assert_eq!(m.evicted(), 2);
    }

    #[test]
    fn a_million_keys_through_a_small_table_cost_linear_work() {
        // Quadratic eviction (a scan per insert) would take minutes here.
        let mut m = LruMap::new(100_000);
        for k in 0..1_000_000u32 {
            m.get_or_insert_with(k, || (), |_, _| {});
            if k % 3 == 0 {
                m.get_mut(&(k / 2));
            }
        }
        assert_eq!(m.len(), 100_000);
        assert_eq!(m.evicted(), 900_000);
    }

    #[test]
    fn expire_lru_stops_at_the_first_live_entry() {
        let mut m = LruMap::new(10);
        for k in 0..5u32 {
            m.get_or_insert_with(k, || i64::from(k), |_, _| {});
        }
        m.get_mut(&0);
        assert_eq!(m.expire_lru(|&t| t < 3), 2);
        assert!(m.contains_key(&0) && !m.contains_key(&1) && !m.contains_key(&2));
    }

    proptest! {
        /// Against a model: the cap holds and the entry evicted is the one used least recently.
        #[test]
        fn behaves_like_an_lru(ops in proptest::collection::vec((0u8..3, 0u16..40), 1..400),
                               cap in 1usize..12) {
            let mut m = LruMap::new(cap);
            let mut last_use: std::collections::HashMap<u16, u64> = Default::default();
            let mut t = 0u64;
            for (op, k) in ops {
                t += 1;
                match op {
                    0 => {
                        let mut gone = None;
                        m.get_or_insert_with(k, || k, |k, _| gone = Some(k));
                        if let Some(g) = gone {
                            let oldest = last_use.iter().filter(|(x, _)| **x != k)
                                .map(|(_, &u)| u).min().unwrap();
                            prop_assert_eq!(last_use[&g], oldest);
                            last_use.remove(&g);
                        }
                        last_use.insert(k, t);
                    }
                    1 => {
                        if m.get_mut(&k).is_some() {
                            last_use.insert(k, t);
                        }
                    }
                    _ => {
                        prop_assert_eq!(m.remove(&k).is_some(), last_use.remove(&k).is_some());
                    }
                }
                prop_assert!(m.len() <= cap);
                prop_assert_eq!(m.len(), last_use.len());
                let mut keys: Vec<u16> = m.iter().map(|(k, _)| *k).collect();
                keys.sort_unstable();
                let mut model: Vec<u16> = last_use.keys().copied().collect();
                model.sort_unstable();
                prop_assert_eq!(keys, model);
            }
        }
    }
}
