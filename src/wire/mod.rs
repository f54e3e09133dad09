//! Wire dialects: how an answer the handlers decided is written on the wire — its error
//! descriptions, body key order and the headers around it — as one library writes it.
//!
//! The handlers decide *what* happens (status, `error` code, which values are issued, the
//! state change) from the profile's policy knobs, and write it the way the MCP Python SDK does.
//! A profile whose server writes its answers differently names its dialect
//! ([`crate::Profile::wire`]); the answer is then rewritten after the handlers, from the
//! answer, the request and the deciding [`crate::output::Reason`], never from the state. No
//! dialect changes a status, an `error` code or an issued value.

mod workers;

use serde::{Deserialize, Serialize};

use crate::endpoint::Fixed;
use crate::event::Event;
use crate::output::Output;
use crate::provider::Provider;
use crate::time::UnixMillis;

/// The dialect a profile's answers are written in.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Wire {
    /// The MCP Python SDK's auth routes under Starlette, as FastMCP mounts them: pydantic error
    /// texts, Python's JSON layout.
    #[default]
    #[serde(rename = "mcp-python-sdk")]
    PythonSdk,
    /// `@cloudflare/workers-oauth-provider` 1.2.3's (`docs/cloudflare-behaviour.md` §10):
    /// `JSON.stringify` layouts, its own error descriptions, `Cache-Control: no-store` and
    /// `Pragma: no-cache` on every error of its endpoints.
    #[serde(rename = "workers-oauth-provider")]
    WorkersOauthProvider,
}

impl Wire {
    /// The dialect's name in profile files and trace headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PythonSdk => "mcp-python-sdk",
            Self::WorkersOauthProvider => "workers-oauth-provider",
        }
    }
}

/// `out`, the handlers' answer to `event` at `now`, written in `wire`.
pub(crate) fn write(
    wire: Wire,
    fixed: &Fixed,
    provider: &Provider,
    now: UnixMillis,
    event: &Event,
    out: Output,
) -> Output {
    match wire {
        Wire::PythonSdk => out,
        Wire::WorkersOauthProvider => workers::write(fixed, provider, now, event, out),
    }
}
