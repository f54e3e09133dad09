//! A slot index: from a token's hash to the slab slot holding it, where one probe reads one
//! cache line.
//!
//! # Layout
//!
//! The table is a `Vec` of [`Bucket`]s, each 64 bytes and 64-byte aligned (one cache line):
//! eight 32-bit *tags* followed by the eight 32-bit *slot numbers* they belong to. A key's hash
//! (64 uniformly random bits: the token's first 8 bytes) picks its *home bucket* with its low bits
//! and its tag with its high 32 bits, so the two are independent. Tag values 0 and 1 are reserved
//! for an empty lane and a tombstone; a hash whose high half is 0 or 1 gets tag 2.
//!
//! A lookup reads the home bucket, compares the eight tags at once, and for each equal tag asks
//! the caller whether that slot holds the key (the caller compares the full 32-byte key in the
//! slab, so correctness never rests on tags: an equal tag only costs one more comparison). A
//! bucket with an empty lane ends the search; a full bucket passes it on to the next one (linear
//! probing over buckets, wrapping at the end).
//!
//! # Why
//!
//! A general hash table (hashbrown's) keeps its control bytes and its entries in two arrays, so at
//! 10^6 entries a lookup misses the cache (and often the TLB) twice before it reaches the slab
//! record. Here tags and slots share the line: one miss per probe, and at the load this table
//! keeps almost every lookup is a single probe. The price is memory: 8 bytes per lane, and while
//! tokens only accumulate between 7/16 and 7/8 of the lanes are in use (hashbrown: 5 bytes per
//! bucket, between 7/16 and 7/8 in use).
//!
//! # Deletion and growth
//!
//! A bucket that has once been full never gets an empty lane back until the table is rebuilt:
//! removing an entry from a full bucket leaves a tombstone, which ends no search and is reused by
//! the next insertion that reaches it. So a bucket that still has an empty lane has never been
//! full, no probe sequence runs through it, and removing an entry from it simply empties the lane.
//!
//! When entries plus tombstones would pass 7/8 of the lanes, the table is rebuilt at the smallest
//! power-of-two size that holds the entries at a load of at most 7/16 (usually twice the size;
//! the same size, or a smaller one, when tombstones made up much of the load), recomputing each
//! entry's hash from its key in the slab. Every step is a function of the sequence of insertions and removals, never of
//! addresses; the table is never iterated for outputs.

/// Entries per bucket: eight (tag, slot) pairs fill a 64-byte cache line.
const LANES: usize = 8;
/// The tag of an empty lane.
const EMPTY: u32 = 0;
/// The tag of a lane whose entry was removed from a bucket that has been full.
const TOMB: u32 = 1;

/// One cache line of the table: tags first, so the eight comparisons read 32 contiguous bytes.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Bucket {
    tags: [u32; LANES],
    slots: [u32; LANES],
}

const EMPTY_BUCKET: Bucket = Bucket {
    tags: [EMPTY; LANES],
    slots: [0; LANES],
};

impl Bucket {
    /// A bit per lane whose tag satisfies `pred`.
    fn lanes_where(&self, pred: impl Fn(u32) -> bool) -> u32 {
        let mut bits = 0;
        for (i, &t) in self.tags.iter().enumerate() {
            bits |= u32::from(pred(t)) << i;
        }
        bits
    }

    /// A bit per lane whose tag is `tag`.
    fn lanes_tagged(&self, tag: u32) -> u32 {
        self.lanes_where(|t| t == tag)
    }

    /// A bit per lane that is empty or a tombstone.
    fn free_lanes(&self) -> u32 {
        self.lanes_where(|t| t <= TOMB)
    }
}

/// The tag of a hash: its high 32 bits, moved off the two reserved values.
fn tag(hash: u64) -> u32 {
    ((hash >> 32) as u32).max(TOMB + 1)
}

/// A position in the table: (bucket, lane).
type Pos = (usize, usize);

/// A set of slot numbers, each found by its key's hash. See the module documentation.
#[derive(Clone, Default)]
pub(super) struct SlotIndex {
    buckets: Vec<Bucket>,
    len: usize,
    tombs: usize,
}

impl std::fmt::Debug for SlotIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotIndex")
            .field("buckets", &self.buckets.len())
            .field("len", &self.len)
            .field("tombs", &self.tombs)
            .finish()
    }
}

impl SlotIndex {
    /// Entries held.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The first entry on `hash`'s probe sequence whose tag matches and for which `eq` holds.
    fn locate(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<Pos> {
        if self.buckets.is_empty() {
            return None;
        }
        let (tag, mask) = (tag(hash), self.buckets.len() - 1);
        let mut b = hash as usize & mask;
        // Ends: the load limit keeps at least one empty lane in the table.
        loop {
            let bucket = &self.buckets[b];
            let mut hits = bucket.lanes_tagged(tag);
            while hits != 0 {
                let lane = hits.trailing_zeros() as usize;
                if eq(bucket.slots[lane]) {
                    return Some((b, lane));
                }
                hits &= hits - 1;
            }
            if bucket.lanes_tagged(EMPTY) != 0 {
                return None;
            }
            b = (b + 1) & mask;
        }
    }

    /// The slot, among those filed under `hash`, for which `eq` holds (`eq` confirms the key).
    pub(super) fn find(&self, hash: u64, eq: impl FnMut(u32) -> bool) -> Option<u32> {
        self.locate(hash, eq)
            .map(|(b, lane)| self.buckets[b].slots[lane])
    }

    /// File `slot` under `hash`. The caller guarantees no live entry has the same key;
    /// `rehash` gives the hash of any slot already filed (it is called only when the table is
    /// rebuilt).
    pub(super) fn insert(&mut self, hash: u64, slot: u32, rehash: impl Fn(u32) -> u64) {
        if (self.len + self.tombs + 1) * 8 > self.buckets.len() * LANES * 7 {
            self.rebuild(rehash);
        }
        let (b, lane) = free_lane(&self.buckets, hash);
        let bucket = &mut self.buckets[b];
        if bucket.tags[lane] == TOMB {
            self.tombs -= 1;
        }
        bucket.tags[lane] = tag(hash);
        bucket.slots[lane] = slot;
        self.len += 1;
    }

    /// Remove the entry for `slot` filed under `hash`; false if there is none.
    pub(super) fn remove(&mut self, hash: u64, slot: u32) -> bool {
        let Some((b, lane)) = self.locate(hash, |s| s == slot) else {
            return false;
        };
        let bucket = &mut self.buckets[b];
        if bucket.lanes_tagged(EMPTY) != 0 {
            bucket.tags[lane] = EMPTY;
        } else {
            bucket.tags[lane] = TOMB;
            self.tombs += 1;
        }
        self.len -= 1;
        true
    }

    /// Re-file every entry in a fresh table, the smallest that holds them at a load of at most
    /// 7/16, dropping the tombstones.
    fn rebuild(&mut self, rehash: impl Fn(u32) -> u64) {
        let mut n = 1;
        while self.len * 16 > n * LANES * 7 {
            n *= 2;
        }
        let mut fresh = vec![EMPTY_BUCKET; n];
        for bucket in &self.buckets {
            for lane in 0..LANES {
                if bucket.tags[lane] > TOMB {
                    let slot = bucket.slots[lane];
                    let hash = rehash(slot);
                    let (nb, nl) = free_lane(&fresh, hash);
                    fresh[nb].tags[nl] = tag(hash);
                    fresh[nb].slots[nl] = slot;
                }
            }
        }
        self.buckets = fresh;
        self.tombs = 0;
    }

    /// The counts match the lanes, the load is within its limit, and every entry carries its
    /// hash's tag and is reachable from its home bucket (no bucket before it on its probe
    /// sequence has an empty lane). Returns the first broken rule. Costs O(buckets).
    pub(super) fn integrity(&self, rehash: impl Fn(u32) -> u64) -> Result<(), String> {
        let n = self.buckets.len();
        let (mut len, mut tombs) = (0, 0);
        for (b, bucket) in self.buckets.iter().enumerate() {
            for lane in 0..LANES {
                match bucket.tags[lane] {
                    EMPTY => {}
                    TOMB => tombs += 1,
                    t => {
                        len += 1;
                        let hash = rehash(bucket.slots[lane]);
                        if t != tag(hash) {
                            return Err("an index entry's tag is not its key's".into());
                        }
                        let mut home = hash as usize & (n - 1);
                        while home != b {
                            if self.buckets[home].lanes_tagged(EMPTY) != 0 {
                                return Err("an index entry is cut off from its home".into());
                            }
                            home = (home + 1) & (n - 1);
                        }
                    }
                }
            }
        }
        if (len, tombs) != (self.len, self.tombs) {
            return Err("the index counts do not match its lanes".into());
        }
        if n > 0 && (len + tombs) * 8 > n * LANES * 7 {
            return Err("the index is over its load limit".into());
        }
        Ok(())
    }
}

/// The first empty or tombstone lane on `hash`'s probe sequence.
fn free_lane(buckets: &[Bucket], hash: u64) -> Pos {
    let mask = buckets.len() - 1;
    let mut b = hash as usize & mask;
    loop {
        let free = buckets[b].free_lanes();
        if free != 0 {
            return (b, free.trailing_zeros() as usize);
        }
        b = (b + 1) & mask;
    }
}

#[cfg(test)]
mod tests;
