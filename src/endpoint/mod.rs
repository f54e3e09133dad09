//! The endpoint layer: the MCP SDK's HTTP handlers as FastMCP mounts them
//! (`docs/fastmcp-behaviour.md` §5), sans I/O. Each handler runs its checks in the SDK's order, with its exact error codes and
//! descriptions, and calls the [`crate::provider`] layer as the SDK does.

pub(crate) mod authorize;
pub(crate) mod client_auth;
pub(crate) mod client_document;
pub(crate) mod metadata;
pub(crate) mod redirect;
pub(crate) mod register;
pub(crate) mod resource;
pub(crate) mod revoke;
pub(crate) mod routing;
pub(crate) mod token;
pub(crate) mod validate;

use crate::config::Config;
use crate::profile::Profile;
use crate::provider::Provider;
use crate::time::UnixMillis;

/// Answers and texts that depend only on the configuration and the profile, built once per
/// server instead of once per request: when the server is made, or (the metadata documents,
/// which few flows fetch) on first use.
#[derive(Debug, Clone)]
pub(crate) struct Fixed {
    /// The issuer as the profile announces it (`iss` of RFC 9207, metadata `issuer`).
    pub(crate) issuer: String,
    /// The protected resource's URL, the one `resource` value the server accepts
    /// ([`Config::resource_url`]).
    pub(crate) resource: String,
    /// The protected resource metadata's URL ([`Config::resource_metadata_url`]).
    pub(crate) resource_metadata: String,
    /// The authorization server metadata body ([`Fixed::as_metadata`]).
    as_metadata: std::sync::OnceLock<String>,
    /// The protected resource metadata body ([`Fixed::pr_metadata`]).
    pr_metadata: std::sync::OnceLock<String>,
    /// `WWW-Authenticate` of a resource call without a bearer token.
    pub(crate) bearer_missing: String,
    /// `WWW-Authenticate` of a resource call with an invalid token.
    pub(crate) invalid_token: String,
    /// The body of a resource call with an invalid token.
    pub(crate) invalid_token_body: String,
}

impl Fixed {
    /// Build every constant answer for `config` under `profile`.
    pub(crate) fn new(config: &Config, profile: &Profile) -> Self {
        Self {
            issuer: config.issuer_for(profile),
            resource: config.resource_url(),
            resource_metadata: config.resource_metadata_url(),
            as_metadata: std::sync::OnceLock::new(),
            pr_metadata: std::sync::OnceLock::new(),
            bearer_missing: resource::bearer_missing_challenge(config),
            invalid_token: resource::invalid_token_challenge(config),
            invalid_token_body: resource::invalid_token_body(),
        }
    }

    /// The authorization server metadata body for `config` and `profile` (the server's own).
    pub(crate) fn as_metadata(&self, config: &Config, profile: &Profile) -> &str {
        self.as_metadata
            .get_or_init(|| metadata::as_metadata_body(config, profile))
    }

    /// The protected resource metadata body for `config` and `profile` (the server's own).
    pub(crate) fn pr_metadata(&self, config: &Config, profile: &Profile) -> &str {
        self.pr_metadata
            .get_or_init(|| metadata::pr_metadata_body(config, profile))
    }
}

/// Starlette's 500 for an exception the SDK does not handle (the provider's plain `ValueError`,
/// D-8).
pub(crate) fn internal_error(reason: crate::output::Reason) -> crate::output::Output {
    crate::output::Output::new(
        500,
        &[("content-type", "text/plain; charset=utf-8")],
        "Internal Server Error".to_owned(),
    )
    .because(reason)
}

/// What every handler works with: read-only configuration, the mutable stores, and the time.
pub(crate) struct Ctx<'a> {
    pub(crate) config: &'a Config,
    pub(crate) fixed: &'a Fixed,
    pub(crate) profile: &'a Profile,
    pub(crate) provider: &'a mut Provider,
    pub(crate) now: UnixMillis,
}
