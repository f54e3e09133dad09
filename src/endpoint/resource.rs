//! The protected resource's bearer check: the SDK's `BearerAuthBackend` behind FastMCP's
//! `RequireAuthMiddleware` ([RFC 6750 §2.1, §3](https://www.rfc-editor.org/rfc/rfc6750#section-3)).
//!
//! No credentials: 401 with a bare challenge (§3.1: no `error`). Bad credentials: 401
//! `invalid_token`. Missing required scope: 403 `insufficient_scope`. No audience check (D-24).

use super::Ctx;
use crate::compat::pyjson::py_json_object;
use crate::event::ResourceRequest;
use crate::output::{Output, Reason};

const INVALID_TOKEN_DESCRIPTION: &str = "Authentication failed. The provided bearer token is invalid, expired, or no longer recognized by the server. To resolve: clear authentication tokens in your MCP client and reconnect. Your client should automatically re-register and obtain new tokens.";

/// The JSON-RPC result of a successful MCP `initialize`, with FastMCP 4.2.3's capabilities.
pub const MCP_INITIALIZE_RESULT: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"logging":{},"prompts":{"listChanged":true},"resources":{"subscribe":false,"listChanged":true},"tools":{"listChanged":true}},"serverInfo":{"name":"oauth-oracle","version":"4.2.3"}}}"#;

fn starts_with_bearer(value: &str) -> bool {
    value.len() >= 7 && value.as_bytes()[..7].eq_ignore_ascii_case(b"bearer ")
}

/// `scope="..."` and `resource_metadata="..."`, as FastMCP's `_challenge_context` builds them.
fn challenge_context(ctx: &Ctx<'_>) -> Vec<String> {
    let mut parts = Vec::new();
    if !ctx.config.required_scopes.is_empty() {
        parts.push(format!(
            "scope=\"{}\"",
            ctx.config.required_scopes.join(" ")
        ));
    }
    parts.push(format!(
        "resource_metadata=\"{}\"",
        ctx.config.resource_metadata_url()
    ));
    parts
}

fn auth_error(
    ctx: &Ctx<'_>,
    status: u16,
    error: &str,
    description: &str,
    reason: Reason,
) -> Output {
    let mut parts = vec![
        format!("error=\"{error}\""),
        format!("error_description=\"{description}\""),
    ];
    parts.extend(challenge_context(ctx));
    let challenge = format!("Bearer {}", parts.join(", "));
    Output::new(
        status,
        &[
            ("content-type", "application/json"),
            ("www-authenticate", &challenge),
        ],
        py_json_object(&[("error", error), ("error_description", description)]),
    )
    .because(reason)
}

/// Handle a request to the protected resource.
pub(crate) fn handle_resource(ctx: &mut Ctx<'_>, req: &ResourceRequest) -> Output {
    if !req.authorization.iter().any(|v| starts_with_bearer(v)) {
        let parts = challenge_context(ctx);
        let challenge = if parts.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", parts.join(", "))
        };
        return Output::new(401, &[("www-authenticate", &challenge)], String::new())
            .because(Reason::BearerMissing);
    }
    // The backend reads the first Authorization header only.
    let first = req
        .authorization
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    let verified = if starts_with_bearer(first) {
        ctx.provider.load_access_token(&first[7..], ctx.now)
    } else {
        Err(Reason::BearerUnknown)
    };
    let token = match verified {
        Ok(t) => t,
        Err(reason) => {
            return auth_error(ctx, 401, "invalid_token", INVALID_TOKEN_DESCRIPTION, reason);
        }
    };
    for required in &ctx.config.required_scopes {
        if !token.scopes.contains(required) {
            let description = format!("Required scope: {required}");
            return auth_error(
                ctx,
                403,
                "insufficient_scope",
                &description,
                Reason::InsufficientScope,
            );
        }
    }
    // The streamable-HTTP answer to `initialize`, as FastMCP frames it (one SSE message). The
    // `mcp-session-id` header FastMCP adds is random and belongs to the MCP layer: not modelled.
    Output::new(
        200,
        &[
            ("cache-control", "no-cache, no-transform"),
            ("content-type", "text/event-stream"),
        ],
        format!("event: message\r\ndata: {MCP_INITIALIZE_RESULT}\r\n\r\n"),
    )
}
