//! Token pairs, grant families, tombstones and expiry sweeping.
//!
//! FastMCP keeps one access/refresh pair per grant and forgets a code or a rotated refresh token
//! the moment it is used. Stricter profiles remember more, each behind its own knob:
//! - a *family* is every pair descended from one code exchange; at most one pair of a family is
//!   live at a time (rotation replaces it);
//! - a used code leaves a tombstone so that a valid replay can revoke its family
//!   ([RFC 6749 §4.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2));
//! - a rotated refresh token leaves a tombstone so that its reuse can revoke the family
//!   ([RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2));
//! - with sweeping on, every record with an expiry is queued by time and dropped once expired, so
//!   memory holds only what can still be observed. Tombstones die with their family.

use std::collections::BTreeMap;

use super::store::{NewPair, SlotId};
use super::{OAuthToken, Provider, Scopes};
use crate::keys::{ClientKey, CodeKey, TokenKey};
use crate::time::UnixMillis;

/// A grant family: its live pair and the tombstones that point at it. `Debug` shows the keys
/// redacted.
#[derive(Clone, Default)]
pub(super) struct Family {
    live: Option<(TokenKey, TokenKey)>,
    code: Option<CodeKey>,
    rotated: Vec<TokenKey>,
}

/// What a used code remembers, to recognise a valid replay.
#[derive(Clone)]
pub(super) struct UsedCode {
    pub(super) client: ClientKey,
    pub(super) code_challenge: String,
    pub(super) family: u64,
}

// Every field named: a new one does not compile until its `Debug` is decided.
impl std::fmt::Debug for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self {
            live,
            code,
            rotated,
        } = self;
        f.debug_struct("Family")
            .field("live", live)
            .field("code", code)
            .field("rotated", rotated)
            .finish()
    }
}

impl std::fmt::Debug for UsedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self {
            client,
            code_challenge,
            family,
        } = self;
        f.debug_struct("UsedCode")
            .field("client", client)
            .field("code_challenge", code_challenge)
            .field("family", family)
            .finish()
    }
}

/// What a rotated refresh token remembers, to recognise reuse.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rotated {
    pub(super) client: ClientKey,
    pub(super) family: u64,
}

/// A record queued for sweeping. Tokens are named by their key, not their slab slot: a slot may
/// be reused by a new pair before its old entries come due, and a key is never reissued.
#[derive(Debug, Clone, Copy)]
pub(super) enum Expiring {
    Code(CodeKey),
    Access(TokenKey),
    Refresh(TokenKey),
}

/// The expiry queue: (instant after which the record is dead, sequence number) → record.
pub(super) type ExpiryQueue = BTreeMap<(u64, u64), Expiring>;

impl Provider {
    fn tracks_families(&self) -> bool {
        self.profile.code_replay_revokes_grant || self.profile.refresh_reuse_revokes_family
    }

    /// Queue `what` to be swept once `dead_after` (ms) lies strictly in the past.
    pub(super) fn schedule(&mut self, dead_after: u64, what: Expiring) {
        if self.profile.sweep_expired {
            self.seq += 1;
            self.expiry.insert((dead_after, self.seq), what);
        }
    }

    /// Drop every queued record that has expired by `now`. Costs O(expired records).
    pub fn sweep(&mut self, now: UnixMillis) {
        while let Some(entry) = self.expiry.first_entry() {
            if entry.key().0 >= now.0 {
                break;
            }
            match entry.remove() {
                Expiring::Code(k) => {
                    self.codes.remove(&k);
                }
                Expiring::Access(k) => {
                    if let Some(slot) = self.tokens.find_access(&k) {
                        self.tokens.kill_access(slot);
                    }
                }
                Expiring::Refresh(k) => {
                    if let Some(slot) = self.tokens.find_refresh(&k) {
                        let family = self.tokens.family(slot);
                        self.tokens.kill_refresh(slot);
                        self.end_family(family);
                    }
                }
            }
        }
    }

    /// Issue a new pair in `family` (a new family when `None`).
    pub(super) fn issue_pair(
        &mut self,
        client: ClientKey,
        scopes: Scopes,
        now: UnixMillis,
        family: Option<u64>,
    ) -> (OAuthToken, u64) {
        let a = TokenKey(self.profile.access_format.draw(&mut self.rng));
        let r = TokenKey(self.profile.refresh_format.draw(&mut self.rng));
        let family = family.unwrap_or_else(|| {
            self.seq += 1;
            self.seq
        });
        let access_expires = now.plus_seconds(self.lifetimes.access).whole_seconds();
        let refresh_expires = self
            .lifetimes
            .refresh
            .map(|s| now.plus_seconds(s).whole_seconds());
        let scope = scopes.join(" ");
        self.tokens.insert(NewPair {
            access: a,
            refresh: r,
            client,
            scopes,
            access_expires,
            refresh_expires,
            family,
        });
        self.schedule(access_expires * 1000, Expiring::Access(a));
        if let Some(e) = refresh_expires {
            self.schedule(e * 1000, Expiring::Refresh(r));
        }
        if self.tracks_families() {
            self.families.entry(family).or_default().live = Some((a, r));
        }
        let token = OAuthToken {
            access_token: self.access_text(&a),
            token_type: "Bearer",
            expires_in: self.lifetimes.access,
            scope,
            refresh_token: self.refresh_text(&r),
        };
        (token, family)
    }

    /// Remember a used code (when replays revoke grants).
    pub(super) fn bury_code(&mut self, code: CodeKey, used: UsedCode) {
        if self.profile.code_replay_revokes_grant {
            self.families.entry(used.family).or_default().code = Some(code);
            self.used_codes.insert(code, used);
        }
    }

    /// Remove a pair on rotation: the family lives on; the old refresh token leaves a tombstone
    /// (when reuse revokes families).
    pub(super) fn retire_pair(&mut self, refresh: TokenKey) -> Option<u64> {
        let slot = self.tokens.find_refresh(&refresh)?;
        let (client, family) = (self.tokens.client(slot), self.tokens.family(slot));
        self.tokens.kill_pair(slot);
        if self.profile.refresh_reuse_revokes_family {
            self.rotated.insert(refresh, Rotated { client, family });
            self.families
                .entry(family)
                .or_default()
                .rotated
                .push(refresh);
        }
        Some(family)
    }

    /// `_revoke_internal`: given either member, both tokens disappear, and with them the family.
    pub(super) fn revoke_pair(&mut self, access: Option<TokenKey>, refresh: Option<TokenKey>) {
        if let Some(slot) = access.and_then(|a| self.tokens.find_access(&a)) {
            self.revoke_slot(slot);
        }
        if let Some(slot) = refresh.and_then(|r| self.tokens.find_refresh(&r)) {
            self.revoke_slot(slot);
        }
    }

    /// Both halves of the pair in `slot` disappear (either may be dead already), and with them
    /// the family.
    pub(super) fn revoke_slot(&mut self, slot: SlotId) {
        let family = self.tokens.family(slot);
        self.tokens.kill_pair(slot);
        self.end_family(family);
    }

    /// Revoke the family's live pair and forget its tombstones.
    pub(super) fn revoke_family(&mut self, family: u64) {
        if let Some(f) = self.families.get(&family)
            && let Some((a, r)) = f.live
        {
            if let Some(slot) = self.tokens.find_access(&a) {
                self.tokens.kill_access(slot);
            }
            if let Some(slot) = self.tokens.find_refresh(&r) {
                self.tokens.kill_refresh(slot);
            }
        }
        self.end_family(family);
    }

    fn end_family(&mut self, family: u64) {
        if let Some(f) = self.families.remove(&family) {
            if let Some(c) = f.code {
                self.used_codes.remove(&c);
            }
            for r in f.rotated {
                self.rotated.remove(&r);
            }
        }
    }

    /// The first internal rule of the stores that does not hold (`docs/fastmcp-behaviour.md`
    /// §7.7): the token indexes match the pair records, and pairs die together when the profile
    /// says so. `None` when every rule holds. A finding of the checker, not an error.
    pub fn inconsistency(&self) -> Option<String> {
        if let Err(broken) = self.tokens.integrity() {
            return Some(broken);
        }
        if !self.profile.expired_access_revokes_refresh || self.profile.sweep_expired {
            return None;
        }
        let (access, refresh) = self.tokens.len();
        (access != refresh).then(|| {
            format!(
                "{access} access tokens but {refresh} refresh tokens: pairs are created and destroyed together"
            )
        })
    }
}
