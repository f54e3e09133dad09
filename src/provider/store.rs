//! The token store: one slab record per issued access/refresh pair, two index tables from token
//! bytes to the record, and the pairs' scope lists interned once.
//!
//! A record lives while either of its halves does: a profile whose revocation kills one token
//! (or an access token that expires alone) leaves the other half usable. A record whose halves
//! are both dead goes on a free list and is reused by the next pair, in event order, so the
//! layout is a pure function of the events.
//!
//! The index tables ([`SlotIndex`], `index.rs`: one cache line per probe) hold only slot numbers
//! (`u32`): the hash of a token is its first 8 bytes (uniformly random, drawn by the server), and
//! every candidate is confirmed by comparing the full 32-byte key in the slab. Two live tokens
//! sharing 8 bytes simply share a probe sequence; correctness never rests on chance. The tables
//! are never iterated.

use rustc_hash::FxHashMap;

use super::index::SlotIndex;
use super::{AccessToken, RefreshToken, Scopes};
use crate::keys::{ClientKey, TokenKey};

/// Which halves of a pair a record still holds.
const ACCESS_LIVE: u8 = 1;
const REFRESH_LIVE: u8 = 2;
/// Whether `refresh_expires` is meaningful (the refresh token has an expiry).
const REFRESH_EXPIRES: u8 = 4;

/// One issued pair. No key is repeated elsewhere; the index tables name the slot. `Debug`
/// shows the keys redacted.
#[derive(Clone)]
struct Slot {
    access: TokenKey,
    refresh: TokenKey,
    /// The owner, as its number in [`ClientIds`] (4 bytes, not a 48-byte key per pair).
    client: u32,
    access_expires: u64,
    refresh_expires: u64,
    family: u64,
    scopes: u32,
    flags: u8,
}

/// What a new pair is made of. `Debug` shows the keys redacted.
pub(super) struct NewPair {
    pub(super) access: TokenKey,
    pub(super) refresh: TokenKey,
    pub(super) client: ClientKey,
    pub(super) scopes: Scopes,
    pub(super) access_expires: u64,
    pub(super) refresh_expires: Option<u64>,
    pub(super) family: u64,
}

// Every field named: a new one does not compile until its `Debug` is decided.
impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self {
            access,
            refresh,
            client,
            access_expires,
            refresh_expires,
            family,
            scopes,
            flags,
        } = self;
        f.debug_struct("Slot")
            .field("access", access)
            .field("refresh", refresh)
            .field("client", client)
            .field("access_expires", access_expires)
            .field("refresh_expires", refresh_expires)
            .field("family", family)
            .field("scopes", scopes)
            .field("flags", flags)
            .finish()
    }
}

impl std::fmt::Debug for NewPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self {
            access,
            refresh,
            client,
            scopes,
            access_expires,
            refresh_expires,
            family,
        } = self;
        f.debug_struct("NewPair")
            .field("access", access)
            .field("refresh", refresh)
            .field("client", client)
            .field("scopes", scopes)
            .field("access_expires", access_expires)
            .field("refresh_expires", refresh_expires)
            .field("family", family)
            .finish()
    }
}

/// The clients that own pairs, each numbered once (a client outlives its tokens: the numbers are
/// never reused).
#[derive(Debug, Clone, Default)]
struct ClientIds {
    keys: Vec<ClientKey>,
    ids: FxHashMap<ClientKey, u32>,
}

impl ClientIds {
    /// The number of `client`, given it on first use.
    fn intern(&mut self, client: ClientKey) -> u32 {
        if let Some(&id) = self.ids.get(&client) {
            return id;
        }
        let id = slot_number(self.keys.len());
        self.keys.push(client);
        self.ids.insert(client, id);
        id
    }

    /// The client numbered `id`.
    fn key(&self, id: u32) -> ClientKey {
        self.keys[id as usize]
    }
}

/// Scope lists, interned with the number of live records using each.
#[derive(Debug, Clone, Default)]
struct ScopeSets {
    sets: Vec<(Option<Scopes>, u32)>,
    ids: FxHashMap<Scopes, u32>,
    free: Vec<u32>,
}

impl ScopeSets {
    fn acquire(&mut self, scopes: Scopes) -> u32 {
        if let Some(&id) = self.ids.get(&*scopes) {
            self.sets[id as usize].1 += 1;
            return id;
        }
        let id = match self.free.pop() {
            Some(id) => {
                self.sets[id as usize] = (Some(scopes.clone()), 1);
                id
            }
            None => {
                self.sets.push((Some(scopes.clone()), 1));
                slot_number(self.sets.len() - 1)
            }
        };
        self.ids.insert(scopes, id);
        id
    }

    fn release(&mut self, id: u32) {
        let entry = &mut self.sets[id as usize];
        entry.1 -= 1;
        if entry.1 == 0
            && let Some(scopes) = entry.0.take()
        {
            self.ids.remove(&*scopes);
            self.free.push(id);
        }
    }

    fn get(&self, id: u32) -> Scopes {
        match &self.sets[id as usize].0 {
            Some(s) => s.clone(),
            None => unreachable!("a live record's scope set is interned"),
        }
    }
}

fn slot_number(n: usize) -> u32 {
    u32::try_from(n).unwrap_or_else(|_| panic!("more than 2^32 token pairs"))
}

/// The hash of a token, from its first 16 bytes. Not every bit of them is random: a `base64url`
/// or `alnum` key holds one symbol (0–63) per byte, so bits 6 and 7 of each byte are 0. The
/// bytes are mixed (a multiply, then the high half folded down) so that the bucket index (low
/// bits) and the tag (high bits) both depend on every random bit.
fn hash(key: &TokenKey) -> u64 {
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&key.0[8 * i..8 * i + 8]);
        u64::from_le_bytes(b)
    };
    let h = (word(0) ^ word(1).rotate_left(32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 32)
}

/// The live access and refresh tokens, one slab record per pair.
#[derive(Debug, Clone, Default)]
pub(super) struct TokenStore {
    slots: Vec<Slot>,
    free: Vec<u32>,
    by_access: SlotIndex,
    by_refresh: SlotIndex,
    scopes: ScopeSets,
    clients: ClientIds,
}

/// A slab position, as the index tables return it.
pub(super) type SlotId = u32;

impl TokenStore {
    /// Live (access, refresh) tokens.
    pub(super) fn len(&self) -> (usize, usize) {
        (self.by_access.len(), self.by_refresh.len())
    }

    /// Store a pair, both halves live, in the most recently freed slot (or a new one).
    pub(super) fn insert(&mut self, pair: NewPair) -> SlotId {
        let scopes = self.scopes.acquire(pair.scopes);
        let slot = Slot {
            access: pair.access,
            refresh: pair.refresh,
            client: self.clients.intern(pair.client),
            access_expires: pair.access_expires,
            refresh_expires: pair.refresh_expires.unwrap_or(0),
            family: pair.family,
            scopes,
            flags: ACCESS_LIVE
                | REFRESH_LIVE
                | if pair.refresh_expires.is_some() {
                    REFRESH_EXPIRES
                } else {
                    0
                },
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                slot_number(self.slots.len() - 1)
            }
        };
        let slots = &self.slots;
        self.by_access
            .insert(hash(&pair.access), id, |s| hash(&slots[s as usize].access));
        self.by_refresh.insert(hash(&pair.refresh), id, |s| {
            hash(&slots[s as usize].refresh)
        });
        id
    }

    /// The slot whose live access token is `key`.
    pub(super) fn find_access(&self, key: &TokenKey) -> Option<SlotId> {
        let slots = &self.slots;
        self.by_access
            .find(hash(key), |s| slots[s as usize].access == *key)
    }

    /// The slot whose live refresh token is `key`.
    pub(super) fn find_refresh(&self, key: &TokenKey) -> Option<SlotId> {
        let slots = &self.slots;
        self.by_refresh
            .find(hash(key), |s| slots[s as usize].refresh == *key)
    }

    /// The access token of `slot` (whether or not it is still live).
    pub(super) fn access_token(&self, slot: SlotId) -> AccessToken {
        let s = &self.slots[slot as usize];
        AccessToken {
            key: s.access,
            client: self.clients.key(s.client),
            scopes: self.scopes.get(s.scopes),
            expires_at: s.access_expires,
        }
    }

    /// The refresh token of `slot` (whether or not it is still live).
    pub(super) fn refresh_token(&self, slot: SlotId) -> RefreshToken {
        let s = &self.slots[slot as usize];
        RefreshToken {
            key: s.refresh,
            client: self.clients.key(s.client),
            scopes: self.scopes.get(s.scopes),
            expires_at: (s.flags & REFRESH_EXPIRES != 0).then_some(s.refresh_expires),
        }
    }

    /// The access token's expiry (whole seconds).
    pub(super) fn access_expires(&self, slot: SlotId) -> u64 {
        self.slots[slot as usize].access_expires
    }

    /// The refresh token's expiry (whole seconds), if it has one.
    pub(super) fn refresh_expires(&self, slot: SlotId) -> Option<u64> {
        let s = &self.slots[slot as usize];
        (s.flags & REFRESH_EXPIRES != 0).then_some(s.refresh_expires)
    }

    /// The pair's owner.
    pub(super) fn client(&self, slot: SlotId) -> ClientKey {
        self.clients.key(self.slots[slot as usize].client)
    }

    /// The pair's grant family.
    pub(super) fn family(&self, slot: SlotId) -> u64 {
        self.slots[slot as usize].family
    }

    /// Move the access token's expiry to `expires_s` (whole seconds): a test control
    /// ([`crate::Control::Expire`]), never a protocol step.
    pub(super) fn set_access_expires(&mut self, slot: SlotId, expires_s: u64) {
        self.slots[slot as usize].access_expires = expires_s;
    }

    /// Move the refresh token's expiry to `expires_s` (whole seconds), giving it one if it had
    /// none: a test control ([`crate::Control::Expire`]).
    pub(super) fn set_refresh_expires(&mut self, slot: SlotId, expires_s: u64) {
        let s = &mut self.slots[slot as usize];
        s.refresh_expires = expires_s;
        s.flags |= REFRESH_EXPIRES;
    }

    /// The slots holding a live half, of `client` or of every client (`None`), in slab order.
    /// Costs O(slots): for test controls only, never on a protocol step.
    pub(super) fn live_slots(&self, client: Option<ClientKey>) -> Vec<SlotId> {
        // A client that owns no pair has no number, and no slot.
        let id = match client {
            Some(c) => match self.clients.ids.get(&c) {
                Some(&id) => Some(id),
                None => return Vec::new(),
            },
            None => None,
        };
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.flags & (ACCESS_LIVE | REFRESH_LIVE) != 0 && id.is_none_or(|c| s.client == c)
            })
            .map(|(i, _)| slot_number(i))
            .collect()
    }

    /// Whether the access half of `slot` is live.
    pub(super) fn access_live(&self, slot: SlotId) -> bool {
        self.slots[slot as usize].flags & ACCESS_LIVE != 0
    }

    /// Whether the refresh half of `slot` is live.
    pub(super) fn refresh_live(&self, slot: SlotId) -> bool {
        self.slots[slot as usize].flags & REFRESH_LIVE != 0
    }

    /// Remove the access half of `slot` (no-op if already dead).
    pub(super) fn kill_access(&mut self, slot: SlotId) {
        self.kill(slot, ACCESS_LIVE);
    }

    /// Remove the refresh half of `slot` (no-op if already dead).
    pub(super) fn kill_refresh(&mut self, slot: SlotId) {
        self.kill(slot, REFRESH_LIVE);
    }

    /// Remove both halves of `slot` (either may already be dead).
    pub(super) fn kill_pair(&mut self, slot: SlotId) {
        self.kill(slot, ACCESS_LIVE | REFRESH_LIVE);
    }

    fn kill(&mut self, slot: SlotId, halves: u8) {
        let s = &mut self.slots[slot as usize];
        let dying = s.flags & halves & (ACCESS_LIVE | REFRESH_LIVE);
        if dying == 0 {
            return;
        }
        s.flags &= !dying;
        let (access, refresh, gone, scopes) = (
            hash(&s.access),
            hash(&s.refresh),
            s.flags & (ACCESS_LIVE | REFRESH_LIVE) == 0,
            s.scopes,
        );
        if dying & ACCESS_LIVE != 0 {
            let removed = self.by_access.remove(access, slot);
            debug_assert!(removed, "a live access token is indexed");
        }
        if dying & REFRESH_LIVE != 0 {
            let removed = self.by_refresh.remove(refresh, slot);
            debug_assert!(removed, "a live refresh token is indexed");
        }
        if gone {
            self.scopes.release(scopes);
            self.free.push(slot);
        }
    }

    /// Every live half is indexed at its own slot, every index entry names a live half, and the
    /// scope counts match the records. Returns the first broken rule. Costs O(slots + index buckets).
    pub(super) fn integrity(&self) -> Result<(), String> {
        let slots = &self.slots;
        self.by_access
            .integrity(|s| hash(&slots[s as usize].access))?;
        self.by_refresh
            .integrity(|s| hash(&slots[s as usize].refresh))?;
        let mut live = (0, 0);
        let mut uses = vec![0u32; self.scopes.sets.len()];
        for (i, s) in self.slots.iter().enumerate() {
            let id = slot_number(i);
            if s.flags & ACCESS_LIVE != 0 {
                live.0 += 1;
                if self.find_access(&s.access) != Some(id) {
                    return Err("a live access token is not indexed at its record".into());
                }
            }
            if s.flags & REFRESH_LIVE != 0 {
                live.1 += 1;
                if self.find_refresh(&s.refresh) != Some(id) {
                    return Err("a live refresh token is not indexed at its record".into());
                }
            }
            if s.flags & (ACCESS_LIVE | REFRESH_LIVE) != 0 {
                uses[s.scopes as usize] += 1;
            }
        }
        if live != self.len() {
            return Err("the token indexes name dead records".into());
        }
        if self.free.len()
            + self
                .slots
                .iter()
                .filter(|s| s.flags & (ACCESS_LIVE | REFRESH_LIVE) != 0)
                .count()
            != self.slots.len()
        {
            return Err("a free slot is in use, or a dead slot is not free".into());
        }
        if uses.iter().zip(&self.scopes.sets).any(|(&n, s)| n != s.1) {
            return Err("scope set use counts do not match the records".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use super::*;
    use crate::keys::KEY_BYTES;

    /// Keys of 43 random base64url symbols (one per byte, each below 64) reach every home
    /// bucket of a 256-bucket table, not only the quarter whose index has bits 6 and 7 clear.
    #[test]
    fn symbol_keys_spread_over_every_bucket() {
        let mut rng = crate::rng::DrawRng::new(crate::rng::Seed([3; 32]));
        let mut homes = std::collections::BTreeSet::new();
        for _ in 0..4096 {
            let k = TokenKey(crate::ValueFormat::Base64Url(43).draw(&mut rng));
            homes.insert(hash(&k) & 255);
        }
        assert!(homes.len() > 250, "{} of 256 buckets", homes.len());
    }

    fn key(first: u8, last: u8) -> TokenKey {
        let mut k = [first; KEY_BYTES];
        k[KEY_BYTES - 1] = last;
        TokenKey(k)
    }

    fn pair(a: TokenKey, r: TokenKey, scopes: &[&str]) -> NewPair {
        NewPair {
            access: a,
            refresh: r,
            client: ClientKey::from_16([9; 16]),
            scopes: scopes
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>()
                .into(),
            access_expires: 100,
            refresh_expires: None,
            family: 1,
        }
    }

    #[test]
    fn slots_are_reused_last_freed_first() {
        let mut st = TokenStore::default();
        let s0 = st.insert(pair(key(1, 0), key(2, 0), &["read"]));
        let s1 = st.insert(pair(key(3, 0), key(4, 0), &["read"]));
        assert_eq!((s0, s1), (0, 1));
        st.kill_pair(s0);
        st.kill_pair(s1);
        assert_eq!(st.len(), (0, 0));
        assert_eq!(st.insert(pair(key(5, 0), key(6, 0), &["read"])), s1);
        assert_eq!(st.insert(pair(key(7, 0), key(8, 0), &["read"])), s0);
        assert_eq!(st.find_access(&key(1, 0)), None, "a freed key stays gone");
        assert_eq!(st.find_refresh(&key(4, 0)), None);
        assert_eq!(st.find_access(&key(7, 0)), Some(s0));
        assert_eq!(st.find_refresh(&key(6, 0)), Some(s1));
        st.integrity().unwrap();
    }

    #[test]
    fn shared_prefix_is_told_apart_by_the_full_key() {
        // Same first 8 bytes (same hash, same probe sequence), different last byte.
        let (a1, a2, a3) = (key(1, 1), key(1, 2), key(1, 3));
        assert_eq!(hash(&a1), hash(&a2));
        let mut st = TokenStore::default();
        let s1 = st.insert(pair(a1, key(1, 11), &[]));
        let s2 = st.insert(pair(a2, key(1, 12), &[]));
        assert_eq!(st.find_access(&a1), Some(s1));
        assert_eq!(st.find_access(&a2), Some(s2));
        assert_eq!(
            st.find_access(&a3),
            None,
            "a crafted key with a live prefix"
        );
        assert_eq!(st.find_refresh(&key(1, 12)), Some(s2));
        st.kill_pair(s1);
        assert_eq!(st.find_access(&a1), None);
        assert_eq!(st.find_access(&a2), Some(s2), "its prefix twin survives");
        let s3 = st.insert(pair(a3, key(1, 13), &[]));
        assert_eq!(s3, s1, "reused slot");
        assert_eq!(st.find_access(&a3), Some(s3));
        assert_eq!(st.find_access(&a2), Some(s2));
        st.integrity().unwrap();
    }

    #[test]
    fn half_dead_pairs_keep_their_slot() {
        let mut st = TokenStore::default();
        let s = st.insert(pair(key(1, 0), key(2, 0), &["a"]));
        st.kill_access(s);
        assert_eq!(st.len(), (0, 1));
        assert_eq!(st.find_access(&key(1, 0)), None);
        assert_eq!(st.find_refresh(&key(2, 0)), Some(s));
        assert_eq!(st.refresh_token(s).key, key(2, 0));
        let t = st.insert(pair(key(3, 0), key(4, 0), &["a"]));
        assert_ne!(t, s, "a half-live record is not reused");
        st.kill_access(s); // already dead: nothing happens
        st.kill_refresh(t);
        assert_eq!(st.len(), (1, 1));
        assert_eq!(
            st.find_access(&key(3, 0)),
            Some(t),
            "an access token outlives its refresh"
        );
        st.integrity().unwrap();
        st.kill_refresh(s);
        assert_eq!(st.len(), (1, 0));
        assert_eq!(st.insert(pair(key(5, 0), key(6, 0), &["b"])), s);
        st.integrity().unwrap();
    }

    #[test]
    fn scope_sets_are_shared_and_released() {
        let mut st = TokenStore::default();
        let s = st.insert(pair(key(1, 0), key(2, 0), &["read", "write"]));
        let t = st.insert(pair(key(3, 0), key(4, 0), &["read", "write"]));
        assert!(Arc::ptr_eq(
            &st.access_token(s).scopes,
            &st.refresh_token(t).scopes
        ));
        assert_eq!(st.scopes.ids.len(), 1);
        st.kill_pair(s);
        assert_eq!(st.scopes.ids.len(), 1);
        st.kill_pair(t);
        assert_eq!(st.scopes.ids.len(), 0, "an unused scope set is dropped");
        let u = st.insert(pair(key(5, 0), key(6, 0), &["read"]));
        assert_eq!(&*st.access_token(u).scopes, ["read".to_owned()]);
        assert_eq!(st.scopes.sets.len(), 1, "its id is reused");
        st.integrity().unwrap();
    }
}
