//! The provider's record types, as FastMCP's pydantic models hold them.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::ErrorCode;
use crate::keys::{ClientKey, CodeKey, TokenKey};
use crate::output::Reason;
use crate::secret::{ClientSecret, Redacted};
use crate::time::UnixMillis;

/// An ordered scope list, duplicates kept (FastMCP stores Python lists). The token store interns
/// them: every live pair with the same list shares one.
pub type Scopes = Arc<[String]>;

/// A registered client (`OAuthClientInformationFull`), as the handlers need it.
///
/// `Debug` redacts the secret and the stored registration JSON (which contains it).
#[derive(Clone)]
pub struct Client {
    /// `client_id`.
    pub key: ClientKey,
    /// `client_secret`, unless the method is `none`.
    pub secret: Option<ClientSecret>,
    /// `client_secret_expires_at` (`Some(0)`: never).
    pub secret_expires_at: Option<u64>,
    /// `token_endpoint_auth_method`; `None` for a client whose registration named none under
    /// [`crate::Profile::unnamed_method_any_secret`]: either secret method authenticates it.
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

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            key,
            secret,
            secret_expires_at,
            auth_method,
            grant_types,
            scope,
            redirect_uris,
            record_json,
        } = self;
        f.debug_struct("Client")
            .field("key", key)
            .field("secret", secret)
            .field("secret_expires_at", secret_expires_at)
            .field("auth_method", auth_method)
            .field("grant_types", grant_types)
            .field("scope", scope)
            .field("redirect_uris", redirect_uris)
            .field("record_json", &Redacted(record_json))
            .finish()
    }
}

/// A stored authorization code (`AuthorizationCode`). `Debug` shows the key redacted, as
/// [`CodeKey`] shows itself.
#[derive(Clone)]
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

/// A stored access token (`AccessToken`). `Debug` shows the key redacted.
#[derive(Clone)]
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

/// A stored refresh token (`RefreshToken`). `Debug` shows the key redacted.
#[derive(Clone)]
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

// `Debug` of the records: every field named, so a new one does not compile until its `Debug`
// is decided; keys redact themselves.

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            key,
            client,
            scopes,
            expires_at,
            code_challenge,
            redirect_uri,
            redirect_uri_provided_explicitly,
        } = self;
        f.debug_struct("AuthorizationCode")
            .field("key", key)
            .field("client", client)
            .field("scopes", scopes)
            .field("expires_at", expires_at)
            // A challenge is public (it travels in the authorization request).
            .field("code_challenge", code_challenge)
            .field("redirect_uri", redirect_uri)
            .field(
                "redirect_uri_provided_explicitly",
                redirect_uri_provided_explicitly,
            )
            .finish()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            key,
            client,
            scopes,
            expires_at,
        } = self;
        f.debug_struct("AccessToken")
            .field("key", key)
            .field("client", client)
            .field("scopes", scopes)
            .field("expires_at", expires_at)
            .finish()
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            key,
            client,
            scopes,
            expires_at,
        } = self;
        f.debug_struct("RefreshToken")
            .field("key", key)
            .field("client", client)
            .field("scopes", scopes)
            .field("expires_at", expires_at)
            .finish()
    }
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

/// `OAuthToken`: the token response, serialized in the SDK's field order. `Debug` redacts both
/// tokens.
#[derive(Clone, PartialEq, Eq, Serialize)]
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

impl fmt::Debug for OAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            access_token,
            token_type,
            expires_in,
            scope,
            refresh_token,
        } = self;
        f.debug_struct("OAuthToken")
            .field("access_token", &Redacted(access_token))
            .field("token_type", token_type)
            .field("expires_in", expires_in)
            .field("scope", scope)
            .field("refresh_token", &Redacted(refresh_token))
            .finish()
    }
}

/// Why a provider method did not do what was asked: the one error type of the provider layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderError {
    /// A `load_*` method returned `None`: the record is absent for this caller (unknown, foreign,
    /// expired, used…); the endpoint answers its own error. The reason tells the cases apart.
    Absent(Reason),
    /// `AuthorizeError` / `TokenError`: a protocol error the endpoint answers as raised.
    Protocol {
        /// The OAuth error code.
        error: ErrorCode,
        /// Its description.
        description: String,
        /// The rule that raised it.
        reason: Reason,
    },
    /// A plain `ValueError` (D-8): the endpoint answers HTTP 500.
    Value(String),
}

impl ProviderError {
    /// The rule that decided the failure.
    pub fn reason(&self) -> Reason {
        match self {
            Self::Absent(reason) | Self::Protocol { reason, .. } => *reason,
            Self::Value(_) => Reason::ProviderValueError,
        }
    }
}

impl From<Reason> for ProviderError {
    fn from(reason: Reason) -> Self {
        Self::Absent(reason)
    }
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
    /// `iss` to add to the redirect ([RFC 9207 §2](https://www.rfc-editor.org/rfc/rfc9207#section-2)), if the profile sends it.
    pub issuer: Option<String>,
}
