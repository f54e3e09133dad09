//! What the test controls ([`crate::Control`]) do to the stores: expire or revoke one token or
//! code, everything of one client, or everything. Not protocol steps: a client under test asks
//! for them through `serve`'s control routes, and they are recorded in the session like any other
//! event, so a session with faults replays byte for byte.
//!
//! Selecting by client or everything costs O(live pairs + codes); a protocol step never does.

use super::grants::Expiring;
use super::store::SlotId;
use super::{Provider, ProviderError, Reason};
use crate::keys::{ClientKey, CodeKey, TokenKey};
use crate::time::UnixMillis;

/// What a control acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope<'a> {
    /// One access token, refresh token or authorization code, by its text.
    Token(&'a str),
    /// Every live token and code of a client.
    Client(ClientKey),
    /// Every live token and code.
    All,
}

/// How many records a control changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Affected {
    /// Access tokens.
    pub(crate) access: u64,
    /// Refresh tokens.
    pub(crate) refresh: u64,
    /// Authorization codes.
    pub(crate) codes: u64,
}

/// One token or code named by its text.
enum Named {
    Access(SlotId),
    Refresh(SlotId),
    Code(CodeKey),
}

impl Provider {
    fn named(&self, text: &str) -> Option<Named> {
        if let Some(slot) = self
            .profile
            .access_format
            .parse_prefixed(&self.profile.access_prefix, text)
            .and_then(|k| self.tokens.find_access(&TokenKey(k)))
        {
            return Some(Named::Access(slot));
        }
        if let Some(slot) = self
            .profile
            .refresh_format
            .parse_prefixed(&self.profile.refresh_prefix, text)
            .and_then(|k| self.tokens.find_refresh(&TokenKey(k)))
        {
            return Some(Named::Refresh(slot));
        }
        self.profile
            .code_format
            .parse_prefixed(&self.profile.code_prefix, text)
            .map(CodeKey)
            .filter(|k| self.codes.contains_key(k))
            .map(Named::Code)
    }

    /// The codes of `client` (or all), sorted, so what a control does never depends on map order.
    #[allow(clippy::disallowed_methods)] // iterated once, then sorted: no map order escapes
    fn codes_of(&self, client: Option<ClientKey>) -> Vec<CodeKey> {
        let mut keys: Vec<CodeKey> = self
            .codes
            .iter()
            .filter(|(_, c)| client.is_none_or(|k| c.client == k))
            .map(|(k, _)| *k)
            .collect();
        keys.sort_unstable_by_key(|k| k.0);
        keys
    }

    /// Expire the selection now: from the next step on, each token or code is expired, exactly
    /// as if its lifetime had run out (the profile decides what an expired token does, e.g. D-1).
    /// Unknown token text changes nothing (absent: [`Reason::BearerUnknown`]).
    pub(crate) fn expire_now(
        &mut self,
        scope: Scope<'_>,
        now: UnixMillis,
    ) -> Result<Affected, ProviderError> {
        let past_s = now.whole_seconds().saturating_sub(1);
        let past_ms = UnixMillis(now.0.saturating_sub(1));
        let mut n = Affected::default();
        let (slots, codes) = match scope {
            Scope::Token(text) => match self.named(text).ok_or(Reason::BearerUnknown)? {
                Named::Access(slot) => {
                    self.expire_access(slot, past_s);
                    n.access += 1;
                    return Ok(n);
                }
                Named::Refresh(slot) => {
                    self.expire_refresh(slot, past_s);
                    n.refresh += 1;
                    return Ok(n);
                }
                Named::Code(key) => (Vec::new(), vec![key]),
            },
            Scope::Client(c) => (self.tokens.live_slots(Some(c)), self.codes_of(Some(c))),
            Scope::All => (self.tokens.live_slots(None), self.codes_of(None)),
        };
        for slot in slots {
            if self.tokens.access_live(slot) {
                self.expire_access(slot, past_s);
                n.access += 1;
            }
            if self.tokens.refresh_live(slot) {
                self.expire_refresh(slot, past_s);
                n.refresh += 1;
            }
        }
        for key in codes {
            if let Some(code) = self.codes.get_mut(&key) {
                code.expires_at = past_ms;
                n.codes += 1;
                self.schedule(past_ms.0, Expiring::Code(key));
            }
        }
        Ok(n)
    }

    fn expire_access(&mut self, slot: SlotId, past_s: u64) {
        self.tokens.set_access_expires(slot, past_s);
        let key = self.tokens.access_token(slot).key;
        self.schedule(past_s * 1000, Expiring::Access(key));
    }

    fn expire_refresh(&mut self, slot: SlotId, past_s: u64) {
        self.tokens.set_refresh_expires(slot, past_s);
        let key = self.tokens.refresh_token(slot).key;
        self.schedule(past_s * 1000, Expiring::Refresh(key));
    }

    /// Revoke the selection now, as the revocation endpoint would (a token takes its pair, and
    /// its grant family with it); `grant` also revokes every token of the token's grant family
    /// where the profile tracks families. Unknown token text changes nothing
    /// (absent: [`Reason::BearerUnknown`]).
    pub(crate) fn revoke_now(
        &mut self,
        scope: Scope<'_>,
        grant: bool,
    ) -> Result<Affected, ProviderError> {
        let mut n = Affected::default();
        let mut family = None;
        let (slots, codes) = match scope {
            Scope::Token(text) => match self.named(text).ok_or(Reason::BearerUnknown)? {
                Named::Access(slot) | Named::Refresh(slot) => {
                    family = grant.then(|| self.tokens.family(slot));
                    (vec![slot], Vec::new())
                }
                Named::Code(key) => (Vec::new(), vec![key]),
            },
            Scope::Client(c) => (self.tokens.live_slots(Some(c)), self.codes_of(Some(c))),
            Scope::All => (self.tokens.live_slots(None), self.codes_of(None)),
        };
        for slot in slots {
            n.access += u64::from(self.tokens.access_live(slot));
            n.refresh += u64::from(self.tokens.refresh_live(slot));
            self.revoke_slot(slot);
        }
        for key in codes {
            if self.codes.remove(&key).is_some() {
                n.codes += 1;
            }
        }
        if let Some(f) = family {
            self.revoke_family(f);
        }
        Ok(n)
    }
}
