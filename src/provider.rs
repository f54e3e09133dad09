//! The provider layer: FastMCP's `InMemoryOAuthProvider` (`in_memory.py`), method for method.
//!
//! The stores and their side effects are exact: a successful exchange deletes the code; loading an
//! expired code deletes it; loading an expired access token deletes it *and its paired refresh
//! token* (D-1, a profile knob); rotation deletes the old pair; revoking either token of a pair
//! removes both; a foreign code or refresh token looks absent and stays usable by its owner.
//!
//! Every lookup is one hash probe on compact random keys, so a step costs the same with 10^2 or
//! 10^6 live records. The maps are never iterated.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::config::Lifetimes;
use crate::keys::{ClientKey, CodeKey, TokenKey, parse_prefixed, render};
use crate::profile::Profile;
use crate::rng::DrawRng;
use crate::secret::ClientSecret;
use crate::time::UnixMillis;

/// An ordered scope list, duplicates kept (FastMCP stores Python lists), shared between the
/// records issued from one grant.
pub type Scopes = Arc<[String]>;

/// A registered client (`OAuthClientInformationFull`), as the handlers need it.
#[derive(Debug, Clone)]
pub struct Client {
    /// `client_id`.
    pub key: ClientKey,
    /// `client_secret`, unless the method is `none`.
    pub secret: Option<ClientSecret>,
    /// `client_secret_expires_at` (`Some(0)`: never).
    pub secret_expires_at: Option<u64>,
    /// `token_endpoint_auth_method`.
    pub auth_method: Option<String>,
    /// `grant_types`.
    pub grant_types: Vec<String>,
    /// `scope` (space separated), if any.
    pub scope: Option<String>,
    /// `redirect_uris`, as pydantic serializes them (empty paths preserved).
    pub redirect_uris: Option<Vec<String>>,
    /// The record as the registration response shows it (compact JSON).
    pub record_json: String,
}

/// A stored authorization code (`AuthorizationCode`).
#[derive(Debug, Clone)]
pub struct AuthorizationCode {
    /// The code's random bytes.
    pub key: CodeKey,
    /// The client it was issued to.
    pub client: ClientKey,
    /// Granted scopes.
    pub scopes: Scopes,
    /// `expires_at = time.time() + code lifetime` (kept in milliseconds, not truncated).
    pub expires_at: UnixMillis,
    /// The PKCE `code_challenge`, verbatim.
    pub code_challenge: String,
    /// The redirect URI the code was issued for (as serialized by pydantic).
    pub redirect_uri: String,
    /// Whether `/authorize` named the redirect URI explicitly.
    pub redirect_uri_provided_explicitly: bool,
}

/// A stored access token (`AccessToken`).
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token's random bytes.
    pub key: TokenKey,
    /// Owner.
    pub client: ClientKey,
    /// Scopes.
    pub scopes: Scopes,
    /// `int(time.time() + access lifetime)`, whole seconds.
    pub expires_at: u64,
}

/// A stored refresh token (`RefreshToken`).
#[derive(Debug, Clone)]
pub struct RefreshToken {
    /// The token's random bytes.
    pub key: TokenKey,
    /// Owner.
    pub client: ClientKey,
    /// Scopes.
    pub scopes: Scopes,
    /// `int(time.time() + refresh lifetime)`, or `None` (never expires).
    pub expires_at: Option<u64>,
}

/// Either kind of token, as `revoke_token` takes it.
#[derive(Debug, Clone)]
pub enum AnyToken {
    /// An access token.
    Access(AccessToken),
    /// A refresh token.
    Refresh(RefreshToken),
}

impl AnyToken {
    /// The owner.
    pub fn client(&self) -> ClientKey {
        match self {
            Self::Access(t) => t.client,
            Self::Refresh(t) => t.client,
        }
    }
}

#[derive(Debug, Clone)]
struct AccessRecord {
    token: AccessToken,
    refresh: Option<TokenKey>,
}

#[derive(Debug, Clone)]
struct RefreshRecord {
    token: RefreshToken,
    access: Option<TokenKey>,
}

/// `OAuthToken`: the token response, serialized in the SDK's field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthToken {
    /// The new access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// The configured access lifetime.
    pub expires_in: u64,
    /// Granted scopes joined by spaces (`""` when none, D-22).
    pub scope: String,
    /// The new refresh token.
    pub refresh_token: String,
}

/// `AuthorizeError` / `TokenError`: a protocol error raised by the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// The OAuth error code.
    pub error: &'static str,
    /// Its description.
    pub description: String,
}

/// `AuthorizationParams`: what `/authorize` hands the provider.
#[derive(Debug, Clone)]
pub struct AuthorizationParams {
    /// `state`, echoed in the redirect.
    pub state: Option<String>,
    /// Validated scopes, or `None` when `scope` was absent.
    pub scopes: Option<Vec<String>>,
    /// The PKCE challenge.
    pub code_challenge: String,
    /// The validated redirect URI.
    pub redirect_uri: String,
    /// Whether the request named it.
    pub redirect_uri_provided_explicitly: bool,
}

/// The provider's stores and its random stream.
#[derive(Debug, Clone)]
pub struct Provider {
    clients: FxHashMap<ClientKey, Arc<Client>>,
    codes: FxHashMap<CodeKey, AuthorizationCode>,
    access: FxHashMap<TokenKey, AccessRecord>,
    refresh: FxHashMap<TokenKey, RefreshRecord>,
    rng: DrawRng,
    lifetimes: Lifetimes,
    profile: Profile,
}

impl Provider {
    /// Empty stores drawing from `rng`.
    pub fn new(rng: DrawRng, lifetimes: Lifetimes, profile: Profile) -> Self {
        Self {
            clients: FxHashMap::default(),
            codes: FxHashMap::default(),
            access: FxHashMap::default(),
            refresh: FxHashMap::default(),
            rng,
            lifetimes,
            profile,
        }
    }

    /// The random stream (the registration handler draws client ids and secrets from it).
    pub fn rng(&mut self) -> &mut DrawRng {
        &mut self.rng
    }

    /// Position of the random stream, in 32-bit words.
    pub fn rng_word_pos(&self) -> u128 {
        self.rng.word_pos()
    }

    /// Sizes of the stores: (clients, codes, access tokens, refresh tokens).
    pub fn sizes(&self) -> (usize, usize, usize, usize) {
        (
            self.clients.len(),
            self.codes.len(),
            self.access.len(),
            self.refresh.len(),
        )
    }

    /// The profile's text of an access token.
    pub fn access_text(&self, key: &TokenKey) -> String {
        render(self.profile.access_prefix, &key.0)
    }

    /// The profile's text of a refresh token.
    pub fn refresh_text(&self, key: &TokenKey) -> String {
        render(self.profile.refresh_prefix, &key.0)
    }

    /// `get_client(client_id)` (L70): a plain lookup.
    pub fn get_client(&self, client_id: &str) -> Option<Arc<Client>> {
        let key = ClientKey::parse(client_id)?;
        self.clients.get(&key).cloned()
    }

    /// `register_client(client_info)` (L73-95): re-checks `scope` against `valid_scopes` with a
    /// plain `ValueError` (D-8), then stores (silently overwriting an existing id).
    pub fn register_client(
        &mut self,
        client: Client,
        valid_scopes: Option<&[String]>,
    ) -> Result<(), String> {
        if let (Some(scope), Some(valid)) = (&client.scope, valid_scopes) {
            let mut invalid: Vec<&str> = Vec::new();
            for s in scope.split_whitespace() {
                if !valid.iter().any(|v| v == s) && !invalid.contains(&s) {
                    invalid.push(s);
                }
            }
            if !invalid.is_empty() {
                return Err(format!(
                    "Requested scopes are not valid: {}",
                    invalid.join(", ")
                ));
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
            return Err(ProviderError {
                error: "unauthorized_client",
                description: format!("Client '{}' not registered.", client.key),
            });
        }
        let key = CodeKey(self.rng.bytes());
        let mut scopes = params.scopes.unwrap_or_default();
        if let Some(allowed) = client.scope.as_deref().filter(|s| !s.is_empty()) {
            let allowed: Vec<&str> = allowed.split_whitespace().collect();
            scopes.retain(|s| allowed.contains(&s.as_str()));
        }
        let code_text = render(self.profile.code_prefix, &key.0);
        let redirect = crate::compat::pyurl::construct_redirect_uri(
            &params.redirect_uri,
            &[("code", code_text.as_str())]
                .into_iter()
                .chain(params.state.as_deref().map(|s| ("state", s)))
                .collect::<Vec<_>>(),
        );
        self.codes.insert(
            key,
            AuthorizationCode {
                key,
                client: client.key,
                scopes: scopes.into(),
                expires_at: now.plus_seconds(self.lifetimes.code),
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
    ) -> Result<AuthorizationCode, crate::output::Reason> {
        use crate::output::Reason;
        let key = parse_prefixed::<16>(self.profile.code_prefix, code)
            .map(CodeKey)
            .ok_or(Reason::CodeUnknown)?;
        let stored = self.codes.get(&key).ok_or(Reason::CodeUnknown)?;
        if stored.client != client {
            return Err(Reason::CodeForeign);
        }
        if stored.expires_at < now {
            self.codes.remove(&key);
            return Err(Reason::CodeExpired);
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
        if self.codes.remove(&code.key).is_none() {
            return Err(ProviderError {
                error: "invalid_grant",
                description: "Authorization code not found or already used.".to_owned(),
            });
        }
        Ok(self.issue_pair(client, code.scopes.clone(), now))
    }

    /// `load_refresh_token(client, token)` (L220-233).
    pub fn load_refresh_token(
        &mut self,
        client: ClientKey,
        token: &str,
        now: UnixMillis,
    ) -> Result<RefreshToken, crate::output::Reason> {
        use crate::output::Reason;
        let key = parse_prefixed::<32>(self.profile.refresh_prefix, token)
            .map(TokenKey)
            .ok_or(Reason::RefreshTokenUnknown)?;
        let rec = self.refresh.get(&key).ok_or(Reason::RefreshTokenUnknown)?;
        if rec.token.client != client {
            return Err(Reason::RefreshTokenForeign);
        }
        if rec
            .token
            .expires_at
            .is_some_and(|e| now.is_after_seconds(e))
        {
            self.revoke_internal(None, Some(key));
            return Err(Reason::RefreshTokenExpired);
        }
        Ok(rec.token.clone())
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
            return Err(ProviderError {
                error: "invalid_scope",
                description: "Requested scopes exceed those authorized by the refresh token."
                    .to_owned(),
            });
        }
        self.revoke_internal(None, Some(token.key));
        Ok(self.issue_pair(client, scopes.into(), now))
    }

    /// `load_access_token(token)` (L292-301) = `verify_token`: no client check; an expired token
    /// is deleted, with its refresh token when the profile says so (D-1).
    pub fn load_access_token(
        &mut self,
        token: &str,
        now: UnixMillis,
    ) -> Result<AccessToken, crate::output::Reason> {
        use crate::output::Reason;
        let key = parse_prefixed::<32>(self.profile.access_prefix, token)
            .map(TokenKey)
            .ok_or(Reason::BearerUnknown)?;
        let rec = self.access.get(&key).ok_or(Reason::BearerUnknown)?;
        if now.is_after_seconds(rec.token.expires_at) {
            if self.profile.expired_access_revokes_refresh {
                self.revoke_internal(Some(key), None);
            } else {
                self.access.remove(&key);
            }
            return Err(Reason::BearerExpired);
        }
        Ok(rec.token.clone())
    }

    /// `revoke_token(token)` (L360-369): removes the token and its partner.
    pub fn revoke_token(&mut self, token: &AnyToken) {
        match token {
            AnyToken::Access(t) => self.revoke_internal(Some(t.key), None),
            AnyToken::Refresh(t) => self.revoke_internal(None, Some(t.key)),
        }
    }

    /// `_revoke_internal` (L318-358): given either member, both tokens disappear.
    fn revoke_internal(&mut self, access: Option<TokenKey>, refresh: Option<TokenKey>) {
        if let Some(a) = access
            && let Some(rec) = self.access.remove(&a)
            && let Some(r) = rec.refresh
        {
            self.refresh.remove(&r);
        }
        if let Some(r) = refresh
            && let Some(rec) = self.refresh.remove(&r)
            && let Some(a) = rec.access
        {
            self.access.remove(&a);
        }
    }

    fn issue_pair(&mut self, client: ClientKey, scopes: Scopes, now: UnixMillis) -> OAuthToken {
        let a = TokenKey(self.rng.bytes());
        let r = TokenKey(self.rng.bytes());
        let access_expires = now.plus_seconds(self.lifetimes.access).whole_seconds();
        let refresh_expires = self
            .lifetimes
            .refresh
            .map(|s| now.plus_seconds(s).whole_seconds());
        let scope = scopes.join(" ");
        self.access.insert(
            a,
            AccessRecord {
                token: AccessToken {
                    key: a,
                    client,
                    scopes: scopes.clone(),
                    expires_at: access_expires,
                },
                refresh: Some(r),
            },
        );
        self.refresh.insert(
            r,
            RefreshRecord {
                token: RefreshToken {
                    key: r,
                    client,
                    scopes,
                    expires_at: refresh_expires,
                },
                access: Some(a),
            },
        );
        OAuthToken {
            access_token: self.access_text(&a),
            token_type: "Bearer",
            expires_in: self.lifetimes.access,
            scope,
            refresh_token: self.refresh_text(&r),
        }
    }
}
