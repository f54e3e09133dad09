//! Errors for misuse, configuration and I/O. Protocol failures are never errors: they are
//! [`crate::Output`]s.

use thiserror::Error;

/// A configuration the model refuses to start with.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// `base_url` fails the SDK's issuer checks (FastMCP raises `ValueError` in `get_routes`, D-9).
    #[error("invalid base_url: {0}")]
    BaseUrl(String),
    /// The resource path must start with `/`.
    #[error("invalid mcp_path {0:?}: must start with '/'")]
    McpPath(String),
    /// No profile of that name.
    #[error("unknown profile {0:?} (known: {known})", known = crate::profile::Profile::names().join(", "))]
    UnknownProfile(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_profile_names_every_profile() {
        let message = ConfigError::UnknownProfile("nope".into()).to_string();
        assert!(message.starts_with("unknown profile \"nope\" (known: fastmcp, oauth21, "));
        for profile in crate::Profile::all() {
            assert!(message.contains(&*profile.name), "{message}");
        }
    }
}
