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

use super::{AccessToken, OAuthToken, Provider, RefreshToken, Scopes};
use crate::keys::{ClientKey, CodeKey, TokenKey};
use crate::time::UnixMillis;

/// A live access token and its partner.
#[derive(Debug, Clone)]
pub(super) struct AccessRecord {
    pub(super) token: AccessToken,
    pub(super) refresh: Option<TokenKey>,
    pub(super) family: u64,
}

/// A live refresh token and its partner.
#[derive(Debug, Clone)]
pub(super) struct RefreshRecord {
    pub(super) token: RefreshToken,
    pub(super) access: Option<TokenKey>,
    pub(super) family: u64,
}

/// A grant family: its live pair and the tombstones that point at it.
#[derive(Debug, Clone, Default)]
pub(super) struct Family {
    live: Option<(TokenKey, TokenKey)>,
    code: Option<CodeKey>,
    rotated: Vec<TokenKey>,
}

/// What a used code remembers, to recognise a valid replay.
#[derive(Debug, Clone)]
pub(super) struct UsedCode {
    pub(super) client: ClientKey,
    pub(super) code_challenge: String,
    pub(super) family: u64,
}

/// What a rotated refresh token remembers, to recognise reuse.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rotated {
    pub(super) client: ClientKey,
    pub(super) family: u64,
}

/// A record queued for sweeping.
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
                    self.access.remove(&k);
                }
                Expiring::Refresh(k) => {
                    if let Some(rec) = self.refresh.remove(&k) {
                        self.end_family(rec.family);
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
        let a = TokenKey(self.rng.bytes());
        let r = TokenKey(self.rng.bytes());
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
        let access = AccessToken {
            key: a,
            client,
            scopes: scopes.clone(),
            expires_at: access_expires,
        };
        let refresh = RefreshToken {
            key: r,
            client,
            scopes,
            expires_at: refresh_expires,
        };
        self.access.insert(
            a,
            AccessRecord {
                token: access,
                refresh: Some(r),
                family,
            },
        );
        self.refresh.insert(
            r,
            RefreshRecord {
                token: refresh,
                access: Some(a),
                family,
            },
        );
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
        let rec = self.refresh.remove(&refresh)?;
        if let Some(a) = rec.access {
            self.access.remove(&a);
        }
        if self.profile.refresh_reuse_revokes_family {
            self.rotated.insert(
                refresh,
                Rotated {
                    client: rec.token.client,
                    family: rec.family,
                },
            );
            self.families
                .entry(rec.family)
                .or_default()
                .rotated
                .push(refresh);
        }
        Some(rec.family)
    }

    /// `_revoke_internal`: given either member, both tokens disappear, and with them the family.
    pub(super) fn revoke_pair(&mut self, access: Option<TokenKey>, refresh: Option<TokenKey>) {
        if let Some(a) = access
            && let Some(rec) = self.access.remove(&a)
        {
            if let Some(r) = rec.refresh {
                self.refresh.remove(&r);
            }
            self.end_family(rec.family);
        }
        if let Some(r) = refresh
            && let Some(rec) = self.refresh.remove(&r)
        {
            if let Some(a) = rec.access {
                self.access.remove(&a);
            }
            self.end_family(rec.family);
        }
    }

    /// Revoke the family's live pair and forget its tombstones.
    pub(super) fn revoke_family(&mut self, family: u64) {
        if let Some(f) = self.families.get(&family)
            && let Some((a, r)) = f.live
        {
            self.access.remove(&a);
            self.refresh.remove(&r);
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

    /// Internal invariants of the stores (`shared/spec/fastmcp.md` §7.7): pairs are mutual, and
    /// every tombstone belongs to a live family. Returns the first broken rule.
    pub fn check_consistency(&self) -> Result<(), String> {
        #[allow(clippy::disallowed_methods)] // a check, not an output: order does not matter
        for (k, rec) in self.access.iter() {
            if let Some(r) = rec.refresh
                && let Some(rr) = self.refresh.get(&r)
                && rr.access != Some(*k)
            {
                return Err(
                    "an access token's refresh token points at another access token".into(),
                );
            }
        }
        #[allow(clippy::disallowed_methods)]
        for (k, rec) in self.refresh.iter() {
            if let Some(a) = rec.access
                && let Some(ar) = self.access.get(&a)
                && ar.refresh != Some(*k)
            {
                return Err(
                    "a refresh token's access token points at another refresh token".into(),
                );
            }
        }
        if !self.profile.expired_access_revokes_refresh || self.profile.sweep_expired {
            return Ok(());
        }
        if self.access.len() != self.refresh.len() {
            return Err(format!(
                "{} access tokens but {} refresh tokens: pairs are created and destroyed together",
                self.access.len(),
                self.refresh.len()
            ));
        }
        Ok(())
    }
}
