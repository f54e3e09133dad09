//! Profiles: the policy knobs that make one server differ from another, as data.
//!
//! Handlers read these values; none of them asks which profile is running. A new profile is a
//! new value of [`Profile`], not a new code path.

use crate::error::ConfigError;

/// The policy values of one server behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile's name, as written in traces.
    pub name: &'static str,
    /// Prefix of authorization codes (`test_auth_code_`), followed by 32 hex digits.
    pub code_prefix: &'static str,
    /// Prefix of access tokens (`test_access_token_`), followed by 64 hex digits.
    pub access_prefix: &'static str,
    /// Prefix of refresh tokens (`test_refresh_token_`), followed by 64 hex digits.
    pub refresh_prefix: &'static str,
    /// HTTP status of `invalid_grant` at `/token`. FastMCP rewrites it to 401 (D-17);
    /// [RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2) says 400.
    pub invalid_grant_status: u16,
    /// Whether loading an expired access token also deletes its refresh token (D-1).
    pub expired_access_revokes_refresh: bool,
    /// Whether `/revoke` requires a `client_secret` form field even from public and Basic
    /// clients (D-14; [RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1) does not).
    pub revocation_requires_secret_field: bool,
    /// Error code of a client-authentication failure at `/revoke` (`unauthorized_client`, D-15;
    /// [RFC 7009 §2.2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1) points to `invalid_client`).
    pub revocation_auth_error: &'static str,
}

impl Profile {
    /// FastMCP 4.2.3 + MCP Python SDK 2.3.0, quirks included (`shared/spec/fastmcp.md`).
    pub fn fastmcp() -> Self {
        Self {
            name: "fastmcp",
            code_prefix: "test_auth_code_",
            access_prefix: "test_access_token_",
            refresh_prefix: "test_refresh_token_",
            invalid_grant_status: 401,
            expired_access_revokes_refresh: true,
            revocation_requires_secret_field: true,
            revocation_auth_error: "unauthorized_client",
        }
    }

    /// The profile called `name`.
    pub fn by_name(name: &str) -> Result<Self, ConfigError> {
        match name {
            "fastmcp" => Ok(Self::fastmcp()),
            other => Err(ConfigError::UnknownProfile(other.to_owned())),
        }
    }
}
