//! The provider layer: FastMCP's `InMemoryOAuthProvider` (`in_memory.py`), method for method.
//!
//! The stores and their side effects are exact: a successful exchange deletes the code; loading an
//! expired code deletes it; loading an expired access token deletes it *and its paired refresh
//! token* (D-1, a profile knob); rotation deletes the old pair; revoking either token of a pair
//! removes both; a foreign code or refresh token looks absent and stays usable by its owner.
//!
//! Every lookup is a constant number of hash probes on compact random keys: the work of a step
//! does not grow with the number of unrelated records (its time does, by the cache and TLB misses
//! of probing large tables; BENCHMARKS.md measures it). Tokens live in a slab of pair records
//! with two slot indexes (`store.rs`, `index.rs`). The maps are never iterated.

mod controls;
mod documents;
mod grants;
mod index;
mod records;
mod store;

use std::sync::Arc;

use rustc_hash::FxHashMap;

/// The stored form of client ids, codes and tokens: their bytes, parsed from and written in the
/// profile's value formats.
pub use crate::keys::{ClientKey, CodeKey, TokenKey};
pub use records::{
    AccessToken, AnyToken, AuthorizationCode, AuthorizationParams, Client, OAuthToken,
    ProviderError, RefreshToken, Scopes,
};

pub(crate) use controls::{Affected, Scope};
pub(crate) use documents::document_key;
use grants::{Expiring, ExpiryQueue, Family, GrantRef, Rotated, UsedCode};
use store::TokenStore;

use crate::ErrorCode;
use crate::config::Lifetimes;
use crate::output::Reason;
use crate::profile::Profile;
use crate::rng::DrawRng;
use crate::time::UnixMillis;

/// The provider's stores and its random stream.
#[derive(Debug, Clone)]
pub struct Provider {
    clients: FxHashMap<ClientKey, Arc<Client>>,
    /// Client ID metadata document URLs → their clients' keys (`documents.rs`).
    documents: std::collections::BTreeMap<String, ClientKey>,
    /// Client ID metadata document URLs → why their last document was refused.
    document_refusals: std::collections::BTreeMap<String, String>,
    codes: FxHashMap<CodeKey, AuthorizationCode>,
    tokens: TokenStore,
    families: FxHashMap<u64, Family>,
    used_codes: FxHashMap<CodeKey, UsedCode>,
    rotated: FxHashMap<TokenKey, Rotated>,
    /// Each client's grants, for `reauthorization_revokes_grants` (`grants.rs`).
    /// Each with the redirect URI of its authorization request.
    client_grants: FxHashMap<ClientKey, Vec<(GrantRef, String)>>,
    /// Families by the grant id their values share (a `grant` value format, `grants.rs`).
    grant_ids: FxHashMap<grants::GrantId, u64>,
    expiry: ExpiryQueue,
    seq: u64,
    rng: DrawRng,
    lifetimes: Lifetimes,
    profile: Profile,
}

impl Provider {
    /// Empty stores drawing from `rng`.
    pub fn new(rng: DrawRng, lifetimes: Lifetimes, profile: Profile) -> Self {
        Self {
            clients: FxHashMap::default(),
            documents: std::collections::BTreeMap::new(),
            document_refusals: std::collections::BTreeMap::new(),
            codes: FxHashMap::default(),
            tokens: TokenStore::default(),
            families: FxHashMap::default(),
            used_codes: FxHashMap::default(),
            rotated: FxHashMap::default(),
            client_grants: FxHashMap::default(),
            grant_ids: FxHashMap::default(),
            expiry: ExpiryQueue::new(),
            seq: 0,
            rng,
            lifetimes,
            profile,
        }
    }

    /// The random stream (the registration handler draws client ids and secrets from it).
    pub(crate) fn rng(&mut self) -> &mut DrawRng {
        &mut self.rng
    }

    /// Position of the random stream, in 32-bit words.
    pub fn rng_word_pos(&self) -> u128 {
        self.rng.word_pos()
    }

    /// Sizes of the stores: (clients, codes, access tokens, refresh tokens).
    pub fn sizes(&self) -> (usize, usize, usize, usize) {
        let (access, refresh) = self.tokens.len();
        (self.clients.len(), self.codes.len(), access, refresh)
    }

    /// The profile's text of an access token.
    pub fn access_text(&self, key: &TokenKey) -> String {
        self.profile
            .access_format
            .render(&self.profile.access_prefix, &key.0)
    }

    /// The profile's text of a refresh token.
    pub fn refresh_text(&self, key: &TokenKey) -> String {
        self.profile
            .refresh_format
            .render(&self.profile.refresh_prefix, &key.0)
    }

    /// `get_client(client_id)` (L70): a plain lookup.
    pub fn get_client(&self, client_id: &str) -> Option<Arc<Client>> {
        if !self.documents.is_empty()
            && client_id.starts_with("https://")
            && let Some(client) = self.document_client(client_id)
        {
            return Some(client);
        }
        let key = ClientKey(self.profile.client_id_format.parse(client_id)?);
        self.clients.get(&key).cloned()
    }

    /// `register_client(client_info)` (L73-95): re-checks `scope` against `valid_scopes` with a
    /// plain `ValueError` (D-8), then stores (silently overwriting an existing id).
    pub fn register_client(
        &mut self,
        client: Client,
        valid_scopes: Option<&[String]>,
    ) -> Result<(), ProviderError> {
        if let (Some(scope), Some(valid)) = (&client.scope, valid_scopes) {
            let mut invalid: Vec<&str> = Vec::new();
            for s in scope.split_whitespace() {
                if !valid.iter().any(|v| v == s) && !invalid.contains(&s) {
                    invalid.push(s);
                }
            }
            if !invalid.is_empty() {
                return Err(ProviderError::Value(format!(
                    "Requested scopes are not valid: {}",
                    invalid.join(", ")
                )));
            }
        }
        self.clients.insert(client.key, Arc::new(client));
        Ok(())
    }

    /// `authorize(client, params)` (L97-152): draws a code, stores it, and returns the success
    /// redirect URL. Does not check the redirect URI (D-6); filters scopes to the client's.
    pub fn authorize(
        &mut self,
        client: &Client,
        params: AuthorizationParams,
        now: UnixMillis,
    ) -> Result<String, ProviderError> {
        if !self.clients.contains_key(&client.key) {
            return Err(ProviderError::Protocol {
                error: ErrorCode::UnauthorizedClient,
                description: format!(
                    "Client '{}' not registered.",
                    self.profile.client_id_format.render("", &client.key.0)
                ),
                reason: Reason::ClientNotFound,
            });
        }
        let key = CodeKey(self.profile.code_format.draw(&mut self.rng));
        let mut scopes = params.scopes.unwrap_or_default();
        if self.profile.authorize_checks_scope
            && let Some(allowed) = client.scope.as_deref().filter(|s| !s.is_empty())
        {
            let allowed: Vec<&str> = allowed.split_whitespace().collect();
            scopes.retain(|s| allowed.contains(&s.as_str()));
        }
        let code_text = self
            .profile
            .code_format
            .render(&self.profile.code_prefix, &key.0);
        let mut query: Vec<(&str, &str)> = vec![("code", code_text.as_str())];
        if let Some(state) = params.state.as_deref() {
            query.push(("state", state));
        }
        if let Some(iss) = params.issuer.as_deref() {
            query.push(("iss", iss));
        }
        let redirect = crate::compat::pyurl::construct_redirect_uri(&params.redirect_uri, &query);
        let expires_at = now.plus_seconds(self.lifetimes.code);
        self.schedule(expires_at.0, Expiring::Code(key));
        self.replace_grants(client.key, key, &params.redirect_uri);
        self.codes.insert(
            key,
            AuthorizationCode {
                key,
                client: client.key,
                scopes: scopes.into(),
                expires_at,
                code_challenge: params.code_challenge,
                redirect_uri: params.redirect_uri,
                redirect_uri_provided_explicitly: params.redirect_uri_provided_explicitly,
            },
        );
        Ok(redirect)
    }

    /// `load_authorization_code(client, code)` (L154-165): `None` for unknown or foreign codes
    /// (a foreign code is neither deleted nor expiry-checked); an expired code is deleted.
    pub fn load_authorization_code(
        &mut self,
        client: ClientKey,
        code: &str,
        now: UnixMillis,
    ) -> Result<AuthorizationCode, ProviderError> {
        let key = self
            .profile
            .code_format
            .parse_prefixed(&self.profile.code_prefix, code)
            .map(CodeKey)
            .ok_or(Reason::CodeUnknown)?;
        let stored = self.codes.get(&key).ok_or(Reason::CodeUnknown)?;
        if stored.client != client && self.profile.code_client_bound {
            return Err(Reason::CodeForeign.into());
        }
        if stored.expires_at < now {
            self.codes.remove(&key);
            return Err(Reason::CodeExpired.into());
        }
        Ok(stored.clone())
    }

    /// `exchange_authorization_code(client, code)` (L167-218): re-checks existence only, deletes
    /// the code, issues a pair to `client` (not to the code's owner).
    pub fn exchange_authorization_code(
        &mut self,
        client: ClientKey,
        code: &AuthorizationCode,
        now: UnixMillis,
    ) -> Result<OAuthToken, ProviderError> {
        let present = if self.profile.codes_single_use {
            self.codes.remove(&code.key).is_some()
        } else {
            self.codes.contains_key(&code.key)
        };
        if !present {
            return Err(ProviderError::Protocol {
                error: ErrorCode::InvalidGrant,
                description: "Authorization code not found or already used.".to_owned(),
                reason: Reason::CodeAlreadyRedeemed,
            });
        }
        let (token, family) = self.issue_pair(client, code.scopes.clone(), now, None, &code.key.0);
        let used = UsedCode {
            client: code.client,
            code_challenge: code.code_challenge.clone(),
            family,
        };
        self.bury_code(code.key, used);
        if self.profile.reauthorization_revokes_grants {
            self.grant_exchanged(code.client, code.key, family);
        }
        Ok(token)
    }

    /// The owner and PKCE challenge of a code that was already exchanged, when the profile
    /// remembers used codes (to tell a valid replay from a guess).
    pub fn used_code(&self, code: &str) -> Option<(ClientKey, &str)> {
        let key = self
            .profile
            .code_format
            .parse_prefixed(&self.profile.code_prefix, code)
            .map(CodeKey)?;
        self.used_codes
            .get(&key)
            .map(|u| (u.client, u.code_challenge.as_str()))
    }

    /// Revoke every token issued from a used code (a valid replay,
    /// [RFC 6749 §4.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2)).
    pub fn revoke_code_grant(&mut self, code: &str) {
        let family = self
            .profile
            .code_format
            .parse_prefixed(&self.profile.code_prefix, code)
            .map(CodeKey)
            .and_then(|k| self.used_codes.get(&k))
            .map(|u| u.family);
        if let Some(f) = family {
            self.revoke_family(f);
        }
    }

    /// `load_refresh_token(client, token)` (L220-233), for a refresh: a token with fewer than
    /// [`Profile::refresh_expiry_margin`] seconds left counts as expired.
    pub fn load_refresh_token(
        &mut self,
        client: ClientKey,
        token: &str,
        now: UnixMillis,
    ) -> Result<RefreshToken, ProviderError> {
        self.load_refresh(client, token, now, self.profile.refresh_expiry_margin)
    }

    /// [`Provider::load_refresh_token`] for a revocation: the token counts as expired only
    /// past its expiry (Cloudflare revokes a grant whose refresh token is in its last minute).
    pub(crate) fn load_refresh_token_to_revoke(
        &mut self,
        client: ClientKey,
        token: &str,
        now: UnixMillis,
    ) -> Result<RefreshToken, ProviderError> {
        self.load_refresh(client, token, now, 0)
    }

    fn load_refresh(
        &mut self,
        client: ClientKey,
        token: &str,
        now: UnixMillis,
        margin: u64,
    ) -> Result<RefreshToken, ProviderError> {
        let key = self
            .profile
            .refresh_format
            .parse_prefixed(&self.profile.refresh_prefix, token)
            .map(TokenKey)
            .ok_or(Reason::RefreshTokenUnknown)?;
        let slot = self
            .tokens
            .find_refresh(&key)
            .ok_or(Reason::RefreshTokenUnknown)?;
        if self.tokens.client(slot) != client {
            return Err(Reason::RefreshTokenForeign.into());
        }
        let expired = self.tokens.refresh_expires(slot).is_some_and(|e| {
            if margin == 0 {
                now.is_after_seconds(e)
            } else {
                // Whole seconds, as `expiresAt - now < margin` compares them.
                now.whole_seconds() + margin > e
            }
        });
        if expired {
            // Where a refresh keeps earlier access tokens, an expired refresh token does not
            // take them with it (Cloudflare: refused, nothing else changes).
            if !self.profile.refresh_keeps_access {
                self.revoke_slot(slot);
            }
            return Err(Reason::RefreshTokenExpired.into());
        }
        Ok(self.tokens.refresh_token(slot))
    }

    /// Whether `token` is a refresh token of `client` that was rotated away; if so its family's
    /// live pair is revoked (reuse detection at the token endpoint,
    /// [RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)).
    pub fn detect_refresh_reuse(&mut self, client: ClientKey, token: &str) -> bool {
        let Some(key) = self
            .profile
            .refresh_format
            .parse_prefixed(&self.profile.refresh_prefix, token)
            .map(TokenKey)
        else {
            return false;
        };
        match self.rotated.get(&key).copied() {
            Some(r) if r.client == client => {
                self.revoke_family(r.family);
                true
            }
            Some(_) | None => false,
        }
    }

    /// `exchange_refresh_token(client, refresh_token, scopes)` (L235-290): subset check, then
    /// rotation (the old pair dies) and a new pair with exactly `scopes`. No existence or
    /// ownership re-check (D-10).
    pub fn exchange_refresh_token(
        &mut self,
        client: ClientKey,
        token: &RefreshToken,
        scopes: Vec<String>,
        now: UnixMillis,
    ) -> Result<OAuthToken, ProviderError> {
        if !scopes.iter().all(|s| token.scopes.contains(s)) {
            return Err(ProviderError::Protocol {
                error: ErrorCode::InvalidScope,
                description: "Requested scopes exceed those authorized by the refresh token."
                    .to_owned(),
                reason: Reason::ScopeNotInRefreshToken,
            });
        }
        let family = if self.profile.refresh_rotates {
            self.retire_pair(token.key)
        } else {
            None
        };
        if self.profile.refresh_downscopes {
            // The grant keeps its scope; only the answer is narrowed.
            let (mut issued, _) =
                self.issue_pair(client, token.scopes.clone(), now, family, &token.key.0);
            issued.scope = scopes.join(" ");
            return Ok(issued);
        }
        Ok(self
            .issue_pair(client, scopes.into(), now, family, &token.key.0)
            .0)
    }

    /// `load_access_token(token)` (L292-301) = `verify_token`: no client check; an expired token
    /// is deleted, with its refresh token when the profile says so (D-1).
    pub fn load_access_token(
        &mut self,
        token: &str,
        now: UnixMillis,
    ) -> Result<AccessToken, ProviderError> {
        let key = self
            .profile
            .access_format
            .parse_prefixed(&self.profile.access_prefix, token)
            .map(TokenKey)
            .ok_or(Reason::BearerUnknown)?;
        let slot = self.tokens.find_access(&key).ok_or(Reason::BearerUnknown)?;
        if now.is_after_seconds(self.tokens.access_expires(slot))
            && self.profile.access_expiry_enforced
        {
            if self.profile.expired_access_revokes_refresh {
                self.revoke_slot(slot);
            } else {
                self.tokens.kill_access(slot);
            }
            return Err(Reason::BearerExpired.into());
        }
        Ok(self.tokens.access_token(slot))
    }

    /// `revoke_token(token)` (L360-369): removes the token and its partner; a refresh token
    /// takes its whole grant with it where the profile says so.
    pub fn revoke_token(&mut self, token: &AnyToken) {
        if let AnyToken::Refresh(t) = token
            && self.profile.refresh_revocation_revokes_grant
            && let Some(slot) = self.tokens.find_refresh(&t.key)
        {
            let family = self.tokens.family(slot);
            self.tokens.kill_pair(slot);
            self.revoke_family(family);
            return;
        }
        match (token, self.profile.revocation_kills_pair) {
            (AnyToken::Access(t), true) => self.revoke_pair(Some(t.key), None),
            (AnyToken::Refresh(t), true) => self.revoke_pair(None, Some(t.key)),
            (AnyToken::Access(t), false) => {
                if let Some(slot) = self.tokens.find_access(&t.key) {
                    self.tokens.kill_access(slot);
                }
            }
            (AnyToken::Refresh(t), false) => {
                if let Some(slot) = self.tokens.find_refresh(&t.key) {
                    self.tokens.kill_refresh(slot);
                }
            }
        }
    }
}

#[cfg(test)]
mod in_process_tests;
#[cfg(test)]
mod tests;
