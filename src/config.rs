//! The server's configuration, mirroring FastMCP's `InMemoryOAuthProvider` constructor and the
//! SDK's `ClientRegistrationOptions` / `RevocationOptions`.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::rng::Seed;

/// Lifetimes of issued values, in whole seconds (FastMCP's module constants
/// `DEFAULT_AUTH_CODE_EXPIRY_SECONDS`, `DEFAULT_ACCESS_TOKEN_EXPIRY_SECONDS`,
/// `DEFAULT_REFRESH_TOKEN_EXPIRY_SECONDS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifetimes {
    /// Authorization code lifetime (300 s).
    pub code: u64,
    /// Access token lifetime (3600 s; also the `expires_in` answered).
    pub access: u64,
    /// Refresh token lifetime (`None`: never expires).
    pub refresh: Option<u64>,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            code: 300,
            access: 3600,
            refresh: None,
        }
    }
}

/// Everything that fixes the model's behaviour apart from the profile and the events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `base_url` of the provider, e.g. `http://127.0.0.1:8765`; the issuer is derived from it.
    pub base_url: String,
    /// Path of the protected MCP resource (`/mcp`).
    pub mcp_path: String,
    /// `ClientRegistrationOptions.valid_scopes`.
    pub valid_scopes: Option<Vec<String>>,
    /// `ClientRegistrationOptions.default_scopes`.
    pub default_scopes: Option<Vec<String>>,
    /// `required_scopes` checked at the resource.
    pub required_scopes: Vec<String>,
    /// `ClientRegistrationOptions.client_secret_expiry_seconds`.
    pub client_secret_expiry_seconds: Option<u64>,
    /// Whether `/register` is mounted.
    pub registration_enabled: bool,
    /// Whether `/revoke` is mounted.
    pub revocation_enabled: bool,
    /// Code and token lifetimes.
    pub lifetimes: Lifetimes,
    /// Seed of the ChaCha20 stream every random value is drawn from.
    pub seed: Seed,
}

impl Default for Config {
    /// The configuration of the recorded live probe: `http://127.0.0.1:8765`, registration and
    /// revocation enabled, valid scopes `read write`, default lifetimes, seed 0.
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8765".to_owned(),
            mcp_path: "/mcp".to_owned(),
            valid_scopes: Some(vec!["read".to_owned(), "write".to_owned()]),
            default_scopes: None,
            required_scopes: Vec::new(),
            client_secret_expiry_seconds: None,
            registration_enabled: true,
            revocation_enabled: true,
            lifetimes: Lifetimes::default(),
            seed: Seed::from_u64(0),
        }
    }
}

impl Config {
    /// The default configuration with the profile's default lifetimes.
    pub fn for_profile(profile: &crate::profile::Profile) -> Self {
        let mut c = Self::default();
        c.lifetimes.refresh = profile.default_refresh_lifetime;
        c
    }

    /// Check the configuration as the SDK's `validate_issuer_url` does when FastMCP builds its
    /// routes: `https`, or `http` on a loopback host; no fragment, no query
    /// ([RFC 8414 §2](https://www.rfc-editor.org/rfc/rfc8414#section-2)).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = url::Url::parse(&self.base_url)
            .map_err(|e| ConfigError::BaseUrl(format!("{}: {e}", self.base_url)))?;
        let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(ConfigError::BaseUrl("Issuer URL must be HTTPS".to_owned()));
        }
        if url.fragment().is_some() {
            return Err(ConfigError::BaseUrl(
                "Issuer URL must not have a fragment".to_owned(),
            ));
        }
        if url.query().is_some() {
            return Err(ConfigError::BaseUrl(
                "Issuer URL must not have a query string".to_owned(),
            ));
        }
        if !self.mcp_path.starts_with('/') {
            return Err(ConfigError::McpPath(self.mcp_path.clone()));
        }
        Ok(())
    }

    /// `str(AnyHttpUrl(base_url))`: the issuer, with the trailing slash pydantic adds (D-25).
    pub fn issuer(&self) -> String {
        crate::compat::url_model::any_http_url(&self.base_url, false)
            .unwrap_or_else(|_| self.base_url.clone())
    }

    /// The issuer as a profile states it: with pydantic's trailing slash, or exactly as the
    /// well-known URL is built ([RFC 8414 §3.3](https://www.rfc-editor.org/rfc/rfc8414#section-3.3)).
    pub fn issuer_for(&self, profile: &crate::profile::Profile) -> String {
        if profile.issuer_trailing_slash {
            self.issuer()
        } else {
            self.endpoint_base()
        }
    }

    /// `str(base_url).rstrip("/")`, the prefix of every endpoint URL.
    pub fn endpoint_base(&self) -> String {
        self.issuer().trim_end_matches('/').to_owned()
    }

    /// The protected resource's URL (`<base>/mcp`).
    pub fn resource_url(&self) -> String {
        format!(
            "{}/{}",
            self.endpoint_base(),
            self.mcp_path.trim_start_matches('/')
        )
    }

    /// The protected-resource metadata URL named in `WWW-Authenticate`.
    pub fn resource_metadata_url(&self) -> String {
        format!(
            "{}/.well-known/oauth-protected-resource/{}",
            self.endpoint_base(),
            self.mcp_path.trim_start_matches('/')
        )
    }
}
