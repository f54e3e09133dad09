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
    /// Access tokens of earlier pairs that a refresh left alive (`refresh_keeps_access`).
    kept_access: Vec<TokenKey>,
    /// The refresh token presented last, usable until the live one is (`refresh_grace`).
    previous: Option<TokenKey>,
    /// When the grant's refresh tokens expire, fixed at the code exchange
    /// (`refresh_expiry_per_grant`), whole seconds.
    expires: Option<u64>,
    /// The grant id its values' text shares (a `grant` value format), the key of
    /// [`Provider::grant_ids`].
    grant_id: Option<GrantId>,
}

/// The grant id part of a `grant` value format's key ([`crate::ValueFormat::Grant`]): its
/// first bytes, the rest zero.
pub(super) type GrantId = [u8; crate::keys::KEY_BYTES];

/// The grant id of a key of a value in `format`, if the format has one.
pub(super) fn grant_id(format: crate::ValueFormat, key: &[u8]) -> Option<GrantId> {
    let crate::ValueFormat::Grant(g, _) = format else {
        return None;
    };
    let id = key.get(..usize::from(g))?;
    let mut out = [0u8; crate::keys::KEY_BYTES];
    out.get_mut(..id.len())?.copy_from_slice(id);
    Some(out)
}

/// One of a client's grants, as a new authorization finds it (`reauthorization_revokes_grants`):
/// a code not yet exchanged, or the family its exchange started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GrantRef {
    Code(CodeKey),
    Family(u64),
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
            kept_access,
            previous,
            expires,
            grant_id,
        } = self;
        f.debug_struct("Family")
            .field("live", live)
            .field("code", code)
            .field("rotated", rotated)
            .field("kept_access", kept_access)
            .field("previous", previous)
            .field("expires", expires)
            .field("grant_id", &grant_id.map(|_| "<redacted>"))
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
        let p = &self.profile;
        p.code_replay_revokes_grant
            || p.refresh_reuse_revokes_family
            || p.reauthorization_revokes_grants
            || p.refresh_grace
            || p.refresh_keeps_access
            || p.refresh_revocation_revokes_grant
            || p.refresh_expiry_per_grant
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
                        if !self.family_refreshable(family) {
                            self.end_family(family);
                        }
                    }
                }
            }
        }
    }

    /// Issue a new pair in `family` (a new family when `None`), in the grant of `parent` (the
    /// key of the code exchanged or the refresh token presented; a `grant` value format takes
    /// its grant id from it).
    pub(super) fn issue_pair(
        &mut self,
        client: ClientKey,
        scopes: Scopes,
        now: UnixMillis,
        family: Option<u64>,
        parent: &[u8],
    ) -> (OAuthToken, u64) {
        let a = TokenKey(self.profile.access_format.draw_in(&mut self.rng, parent));
        let r = TokenKey(self.profile.refresh_format.draw_in(&mut self.rng, parent));
        // A refresh in a grant whose expiry is fixed: the new pair lives no longer than it.
        let grant_expires = family
            .filter(|_| self.profile.refresh_expiry_per_grant)
            .and_then(|f| self.families.get(&f))
            .and_then(|f| f.expires);
        let family = family.unwrap_or_else(|| {
            self.seq += 1;
            self.seq
        });
        let expires_in = grant_expires.map_or(self.lifetimes.access, |g| {
            self.lifetimes
                .access
                .min(g.saturating_sub(now.whole_seconds()))
        });
        let access_expires = now.plus_seconds(expires_in).whole_seconds();
        let refresh_expires = grant_expires.or_else(|| {
            self.lifetimes
                .refresh
                .map(|s| now.plus_seconds(s).whole_seconds())
        });
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
            let keep = self.profile.refresh_keeps_access;
            let per_grant = self.profile.refresh_expiry_per_grant;
            let grant = grant_id(self.profile.refresh_format, &r.0);
            if let Some(g) = grant {
                self.grant_ids.insert(g, family);
            }
            let f = self.families.entry(family).or_default();
            f.grant_id = grant;
            if per_grant && f.expires.is_none() {
                f.expires = refresh_expires;
            }
            if let Some((old, _)) = f.live.replace((a, r))
                && keep
            {
                f.kept_access.push(old);
            }
            if keep {
                // Forget the kept tokens that died since (expired or revoked one by one).
                let tokens = &self.tokens;
                f.kept_access.retain(|k| tokens.find_access(k).is_some());
            }
        }
        let token = OAuthToken {
            access_token: self.access_text(&a),
            token_type: "Bearer",
            expires_in,
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

    /// Retire what a refresh with `refresh` replaces; the family lives on. The pair dies, unless
    /// the profile keeps earlier access tokens (`refresh_keeps_access`) or the presented refresh
    /// token (`refresh_grace`: then the family's other refresh tokens die instead, so that the
    /// presented one and the next one issued are the only two usable). A refresh token that dies
    /// leaves a tombstone (when reuse revokes families).
    pub(super) fn retire_pair(&mut self, refresh: TokenKey) -> Option<u64> {
        let slot = self.tokens.find_refresh(&refresh)?;
        let (client, family) = (self.tokens.client(slot), self.tokens.family(slot));
        if !self.profile.refresh_keeps_access {
            self.tokens.kill_access(slot);
        }
        if self.profile.refresh_grace {
            let f = self.families.entry(family).or_default();
            let others = [f.live.map(|(_, r)| r), f.previous.replace(refresh)];
            for other in others.into_iter().flatten().filter(|r| *r != refresh) {
                if let Some(s) = self.tokens.find_refresh(&other) {
                    self.tokens.kill_refresh(s);
                    self.bury_refresh(other, client, family);
                }
            }
            return Some(family);
        }
        self.tokens.kill_refresh(slot);
        self.bury_refresh(refresh, client, family);
        Some(family)
    }

    /// Leave a tombstone for a refresh token rotated away (when reuse revokes families).
    fn bury_refresh(&mut self, refresh: TokenKey, client: ClientKey, family: u64) {
        if self.profile.refresh_reuse_revokes_family {
            self.rotated.insert(refresh, Rotated { client, family });
            self.families
                .entry(family)
                .or_default()
                .rotated
                .push(refresh);
        }
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

    /// Revoke every token of the family (its live pair, the access tokens a refresh kept, the
    /// refresh token a grace kept) and forget its tombstones.
    pub(super) fn revoke_family(&mut self, family: u64) {
        if let Some(f) = self.families.get(&family) {
            let access = f
                .live
                .map(|(a, _)| a)
                .into_iter()
                .chain(f.kept_access.iter().copied());
            for a in access {
                if let Some(slot) = self.tokens.find_access(&a) {
                    self.tokens.kill_access(slot);
                }
            }
            for r in [f.live.map(|(_, r)| r), f.previous].into_iter().flatten() {
                if let Some(slot) = self.tokens.find_refresh(&r) {
                    self.tokens.kill_refresh(slot);
                }
            }
        }
        self.end_family(family);
    }

    /// Whether a refresh token of `family` is still usable.
    fn family_refreshable(&self, family: u64) -> bool {
        self.families.get(&family).is_some_and(|f| {
            [f.live.map(|(_, r)| r), f.previous]
                .into_iter()
                .flatten()
                .any(|r| self.tokens.find_refresh(&r).is_some())
        })
    }

    /// A new code for `client`, asked for `redirect`: with `reauthorization_revokes_grants`,
    /// the client's earlier grants die (unused codes, and every token of the families their
    /// exchanges started); a client ID metadata document's client only loses those asked for
    /// the same redirect URI (one document may serve several installations).
    pub(super) fn replace_grants(&mut self, client: ClientKey, code: CodeKey, redirect: &str) {
        if !self.profile.reauthorization_revokes_grants {
            return;
        }
        let per_redirect = super::documents::is_document_key(&client);
        let grants = self.client_grants.remove(&client).unwrap_or_default();
        let (ended, kept): (Vec<_>, Vec<_>) = grants
            .into_iter()
            .partition(|(_, r)| !per_redirect || r == redirect);
        for (grant, _) in ended {
            match grant {
                GrantRef::Code(k) => {
                    self.codes.remove(&k);
                }
                GrantRef::Family(f) => self.revoke_family(f),
            }
        }
        let list = self.client_grants.entry(client).or_default();
        list.extend(kept);
        list.push((GrantRef::Code(code), redirect.to_owned()));
    }

    /// The exchange of `code` (issued to `client`) started `family`.
    pub(super) fn grant_exchanged(&mut self, client: ClientKey, code: CodeKey, family: u64) {
        if let Some(grants) = self.client_grants.get_mut(&client)
            && let Some((g, _)) = grants.iter_mut().find(|(g, _)| *g == GrantRef::Code(code))
        {
            *g = GrantRef::Family(family);
        }
    }

    /// Whether the grant that a code's or refresh token's text names (a `grant` value format)
    /// was exchanged and still lives at `now` (not revoked, not past its fixed expiry), whether
    /// or not that value does.
    pub(crate) fn grant_alive(&self, text: &str, now: UnixMillis) -> bool {
        let p = &self.profile;
        let key = p
            .refresh_format
            .parse_prefixed::<{ crate::keys::KEY_BYTES }>(&p.refresh_prefix, text)
            .and_then(|k| grant_id(p.refresh_format, &k))
            .or_else(|| {
                p.code_format
                    .parse_prefixed::<{ crate::keys::KEY_BYTES }>(&p.code_prefix, text)
                    .and_then(|k| grant_id(p.code_format, &k))
            });
        key.and_then(|g| self.grant_ids.get(&g))
            .and_then(|f| self.families.get(f))
            .is_some_and(|f| f.expires.is_none_or(|e| now.0 < e * 1000))
    }

    fn end_family(&mut self, family: u64) {
        if let Some(f) = self.families.remove(&family) {
            if let Some(g) = f.grant_id {
                self.grant_ids.remove(&g);
            }
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
