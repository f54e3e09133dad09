#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

/// A stand-in for the slab: slot `i` holds a key (`keys[i].1`, compared in full) filed under a
/// hash (`keys[i].0`), which the tests choose freely so that keys can share hashes and tags.
#[derive(Default)]
struct Slab {
    keys: Vec<(u64, u64)>,
    index: SlotIndex,
}

impl Slab {
    fn insert(&mut self, hash: u64, key: u64) -> u32 {
        let slot = u32::try_from(self.keys.len()).unwrap();
        self.keys.push((hash, key));
        let keys = &self.keys;
        self.index.insert(hash, slot, |s| keys[s as usize].0);
        slot
    }

    fn find(&self, hash: u64, key: u64) -> Option<u32> {
        self.index.find(hash, |s| self.keys[s as usize].1 == key)
    }

    fn remove(&mut self, slot: u32) -> bool {
        self.index.remove(self.keys[slot as usize].0, slot)
    }

    fn integrity(&self) {
        self.index.integrity(|s| self.keys[s as usize].0).unwrap();
    }
}

#[test]
fn buckets_are_one_cache_line() {
    assert_eq!(size_of::<Bucket>(), 64);
    assert_eq!(align_of::<Bucket>(), 64);
}

#[test]
fn insert_find_remove() {
    let mut t = Slab::default();
    assert_eq!(t.find(7, 7), None, "an empty index finds nothing");
    assert!(!t.index.remove(7, 0));
    let a = t.insert(0x1234_5678_9abc_def0, 1);
    let b = t.insert(0x0fed_cba9_8765_4321, 2);
    assert_eq!(t.find(0x1234_5678_9abc_def0, 1), Some(a));
    assert_eq!(t.find(0x0fed_cba9_8765_4321, 2), Some(b));
    assert_eq!(
        t.find(0x1234_5678_9abc_def0, 3),
        None,
        "same hash, other key"
    );
    assert_eq!(t.index.len(), 2);
    t.integrity();
    assert!(t.remove(a));
    assert!(!t.remove(a), "already gone");
    assert_eq!(t.find(0x1234_5678_9abc_def0, 1), None);
    assert_eq!(t.find(0x0fed_cba9_8765_4321, 2), Some(b));
    assert_eq!(
        (t.index.len(), t.index.tombs),
        (1, 0),
        "a bucket with room empties its lane"
    );
    t.integrity();
}

#[test]
fn reserved_tags_are_told_apart() {
    // High halves 0, 1 and 2 all become tag 2: the full key tells them apart.
    let mut t = Slab::default();
    let s: Vec<u32> = (0..3).map(|hi| t.insert((hi << 32) | 5, hi)).collect();
    for hi in 0..3 {
        assert_eq!(t.find((hi << 32) | 5, hi), Some(s[hi as usize]));
    }
    t.integrity();
}

#[test]
fn tombstones_are_left_in_full_buckets_and_reused() {
    let mut t = Slab::default();
    // Twenty keys with one hash: they fill the home bucket and spill into the next ones.
    let slots: Vec<u32> = (0..20).map(|k| t.insert(3, k)).collect();
    t.integrity();
    let buckets = t.index.buckets.len();
    assert!(t.remove(slots[2]), "from the full home bucket");
    assert_eq!(t.index.tombs, 1);
    assert_eq!(t.find(3, 2), None);
    assert_eq!(
        t.find(3, 19),
        Some(slots[19]),
        "the spilled keys stay reachable"
    );
    t.integrity();
    let again = t.insert(3, 100);
    assert_eq!(t.index.tombs, 0, "the tombstone is reused");
    assert_eq!(t.index.buckets.len(), buckets);
    assert_eq!(t.find(3, 100), Some(again));
    t.integrity();
}

#[test]
fn growth_keeps_every_entry() {
    let mut t = Slab::default();
    let mut sizes = vec![];
    for k in 0..20_000u64 {
        // A cheap mix so the hashes spread like random token bytes.
        let h = k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        t.insert(h, k);
        if sizes.last() != Some(&t.index.buckets.len()) {
            sizes.push(t.index.buckets.len());
        }
    }
    assert!(sizes.windows(2).all(|w| w[1] == 2 * w[0]), "{sizes:?}");
    assert_eq!(
        t.index.buckets.len(),
        4096,
        "20,000 entries at most 7/8 of the lanes"
    );
    t.integrity();
    for k in 0..20_000u64 {
        assert_eq!(
            t.find(k.wrapping_mul(0x9e37_79b9_7f4a_7c15), k),
            Some(k as u32)
        );
    }
}

#[test]
fn churn_fills_full_buckets_with_tombstones_until_a_rebuild_in_place() {
    // A sliding window of 200 live keys, eight per home bucket, homes moving forward: the
    // oldest key leaves a bucket that has been full (a tombstone), the newest lands ahead of it,
    // so tombstones pile up behind the window until the load limit rebuilds the table at the
    // same size (200 entries fit its 7/16 load).
    let hash = |k: u64| (k << 32) | (k / 8);
    let mut t = Slab::default();
    // 230 keys grow the table to 64 buckets; the window then keeps the newest 200.
    let mut live: std::collections::VecDeque<(u32, u64)> =
        (0..230).map(|k| (t.insert(hash(k), k), k)).collect();
    for _ in 0..30 {
        assert!(t.remove(live.pop_front().unwrap().0));
    }
    let size = t.index.buckets.len();
    assert_eq!(size, 64);
    let (mut most_tombs, mut rebuilds) = (0, 0);
    for k in 230..2_000u64 {
        let (slot, _) = live.pop_front().unwrap();
        assert!(t.remove(slot));
        let before = t.index.tombs;
        live.push_back((t.insert(hash(k), k), k));
        most_tombs = most_tombs.max(before);
        if before > 0 && t.index.tombs == 0 {
            rebuilds += 1;
        }
        assert_eq!(t.index.buckets.len(), size, "same live count, same size");
        if k % 97 == 0 {
            t.integrity();
        }
    }
    assert!(
        most_tombs > 100,
        "tombstones piled up: at most {most_tombs}"
    );
    assert!(rebuilds > 0, "a rebuild cleared them");
    t.integrity();
    for &(slot, k) in &live {
        assert_eq!(t.find(hash(k), k), Some(slot));
    }
    assert_eq!(t.find(hash(5), 5), None, "a removed key");
}

#[test]
fn mass_removal_leaves_tombstones_that_refill_without_growth() {
    // Sixteen homes for 5,000 keys: every bucket fills, so removals leave tombstones.
    let mut t = Slab::default();
    let hash = |k: u64| (k.wrapping_mul(0x9e37_79b9_7f4a_7c15) << 8) | (k % 16);
    let slots: Vec<u32> = (0..5_000).map(|k| t.insert(hash(k), k)).collect();
    let size = t.index.buckets.len();
    for &s in &slots[10..] {
        assert!(t.remove(s));
    }
    assert!(t.index.tombs > 4_000, "{}", t.index.tombs);
    t.integrity();
    for k in 10..5_000 {
        assert_eq!(t.find(hash(k), k), None);
    }
    // The same homes again: the new keys take the tombstones' lanes.
    for k in 5_000..9_990 {
        t.insert(hash(k), k);
    }
    assert_eq!((t.index.buckets.len(), t.index.tombs), (size, 0));
    t.integrity();
    for k in (0..10).chain(5_000..9_990) {
        assert_eq!(t.find(hash(k), k), Some(k as u32));
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// A new key under the hash built from these two small numbers.
    Insert(u64, u64),
    /// Remove the n-th live key (modulo the live count).
    Remove(usize),
    /// Look up a key by number (live, removed or never issued).
    Find(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4u64, 0..40u64).prop_map(|(hi, lo)| Op::Insert(hi, lo)),
        3 => any::<usize>().prop_map(Op::Remove),
        2 => (0..600u64).prop_map(Op::Find),
    ]
}

proptest! {
    /// The index agrees with a `HashMap` from key to slot under inserts, removals and lookups,
    /// with hashes drawn from a small set so that homes, tags and reserved tags collide often.
    #[test]
    fn agrees_with_a_hash_map(ops in proptest::collection::vec(op(), 1..600)) {
        let mut t = Slab::default();
        let mut model: HashMap<u64, u32> = HashMap::new();
        let mut live: Vec<u64> = vec![];
        for op in ops {
            match op {
                Op::Insert(hi, lo) => {
                    let key = t.keys.len() as u64;
                    let slot = t.insert((hi << 32) | lo, key);
                    model.insert(key, slot);
                    live.push(key);
                }
                Op::Remove(n) => {
                    if !live.is_empty() {
                        let key = live.swap_remove(n % live.len());
                        let slot = model.remove(&key).unwrap();
                        prop_assert!(t.remove(slot));
                        prop_assert!(!t.remove(slot));
                    }
                }
                Op::Find(key) => {
                    let hash = t.keys.get(key as usize).map_or(key, |k| k.0);
                    prop_assert_eq!(t.find(hash, key), model.get(&key).copied());
                }
            }
            prop_assert_eq!(t.index.len(), model.len());
        }
        t.integrity();
        for (&key, &slot) in &model {
            prop_assert_eq!(t.find(t.keys[key as usize].0, key), Some(slot));
        }
    }
}
