//! The protected resource's bearer check: the SDK's `BearerAuthBackend` behind FastMCP's
//! `RequireAuthMiddleware` ([RFC 6750 §2.1, §3](https://www.rfc-editor.org/rfc/rfc6750#section-3)).
//!
//! No credentials: 401 with a bare challenge (§3.1: no `error`). Bad credentials: 401
//! `invalid_token`. Missing required scope: 403 `insufficient_scope`. No audience check (D-24).

use super::Ctx;
use crate::ErrorCode;
use crate::compat::pyjson::py_json_object;
use crate::config::Config;
use crate::event::ResourceRequest;
use crate::output::{Output, Reason};

const INVALID_TOKEN_DESCRIPTION: &str = "Authentication failed. The provided bearer token is invalid, expired, or no longer recognized by the server. To resolve: clear authentication tokens in your MCP client and reconnect. Your client should automatically re-register and obtain new tokens.";

/// The literal behind [`MCP_INITIALIZE_RESULT`], as a macro so that [`INITIALIZE_SSE`] can be
/// built from it at compile time.
macro_rules! initialize_result {
    () => {
        r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"logging":{},"prompts":{"listChanged":true},"resources":{"subscribe":false,"listChanged":true},"tools":{"listChanged":true}},"serverInfo":{"name":"oauth-oracle","version":"4.2.3"}}}"#
    };
}

/// The JSON-RPC result of a successful MCP `initialize`, with FastMCP 4.2.3's capabilities.
pub const MCP_INITIALIZE_RESULT: &str = initialize_result!();

/// [`MCP_INITIALIZE_RESULT`] framed as FastMCP's streamable HTTP sends it: one SSE message.
const INITIALIZE_SSE: &str = concat!("event: message\r\ndata: ", initialize_result!(), "\r\n\r\n");

fn starts_with_bearer(value: &str) -> bool {
    value.len() >= 7 && value.as_bytes()[..7].eq_ignore_ascii_case(b"bearer ")
}

/// `scope="..."` and `resource_metadata="..."`, as FastMCP's `_challenge_context` builds them.
fn challenge_context(config: &Config) -> Vec<String> {
    let mut parts = Vec::new();
    if !config.required_scopes.is_empty() {
        parts.push(format!("scope=\"{}\"", config.required_scopes.join(" ")));
    }
    parts.push(format!(
        "resource_metadata=\"{}\"",
        config.resource_metadata_url()
    ));
    parts
}

/// The `WWW-Authenticate` value of an error answer ([RFC 6750 §3](https://www.rfc-editor.org/rfc/rfc6750#section-3)).
fn error_challenge(config: &Config, error: ErrorCode, description: &str) -> String {
    let mut parts = vec![
        format!("error=\"{error}\""),
        format!("error_description=\"{description}\""),
    ];
    parts.extend(challenge_context(config));
    format!("Bearer {}", parts.join(", "))
}

/// The challenge of a request without a bearer token ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)).
pub(crate) fn bearer_missing_challenge(config: &Config) -> String {
    let parts = challenge_context(config);
    if parts.is_empty() {
        "Bearer".to_owned()
    } else {
        format!("Bearer {}", parts.join(", "))
    }
}

/// The challenge of a request whose token is invalid, expired or revoked.
pub(crate) fn invalid_token_challenge(config: &Config) -> String {
    error_challenge(config, ErrorCode::InvalidToken, INVALID_TOKEN_DESCRIPTION)
}

/// The body of a request whose token is invalid, expired or revoked.
pub(crate) fn invalid_token_body() -> String {
    py_json_object(&[
        ("error", ErrorCode::InvalidToken.as_str()),
        ("error_description", INVALID_TOKEN_DESCRIPTION),
    ])
}

fn auth_error(status: u16, challenge: String, body: String, reason: Reason) -> Output {
    Output::new(status, &[("content-type", "application/json")], body)
        .with_header("www-authenticate", challenge)
        .because(reason)
}

/// Handle a request to the protected resource.
pub(crate) fn handle_resource(ctx: &mut Ctx<'_>, req: &ResourceRequest) -> Output {
    if !req.authorization.iter().any(|v| starts_with_bearer(v)) {
        return Output::new(401, &[], String::new())
            .with_header("www-authenticate", ctx.fixed.bearer_missing.clone())
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
        Err(Reason::BearerUnknown.into())
    };
    let token = match verified {
        Ok(t) => t,
        Err(e) => {
            return auth_error(
                401,
                ctx.fixed.invalid_token.clone(),
                ctx.fixed.invalid_token_body.clone(),
                e.reason(),
            );
        }
    };
    for required in &ctx.config.required_scopes {
        if !token.scopes.contains(required) {
            let description = format!("Required scope: {required}");
            return auth_error(
                403,
                error_challenge(ctx.config, ErrorCode::InsufficientScope, &description),
                py_json_object(&[
                    ("error", ErrorCode::InsufficientScope.as_str()),
                    ("error_description", &description),
                ]),
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
        INITIALIZE_SSE.to_owned(),
    )
}
