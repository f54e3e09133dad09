//! The endpoint layer: the MCP SDK's HTTP handlers as FastMCP mounts them (`shared/spec/fastmcp.md`
//! §5), sans I/O. Each handler runs its checks in the SDK's order, with its exact error codes and
//! descriptions, and calls the [`crate::provider`] layer as the SDK does.

pub(crate) mod authorize;
pub(crate) mod client_auth;
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

/// What every handler works with: read-only configuration, the mutable stores, and the time.
pub(crate) struct Ctx<'a> {
    pub(crate) config: &'a Config,
    pub(crate) profile: &'a Profile,
    pub(crate) provider: &'a mut Provider,
    pub(crate) now: UnixMillis,
}
