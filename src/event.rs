//! Events: the inputs of [`crate::AuthServer::step`], one per HTTP request a client sends.
//!
//! Requests carry what the client put on the wire, already split into parameters the way
//! Starlette splits them (query string or form body, in order, duplicates kept), but otherwise
//! raw: values may be missing, repeated, malformed or hostile. (Outputs are never called events.)

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::{MaybeSecret, RedactedList, is_secret_param, redacted_opt};

/// Request parameters in wire order. Lookups follow Starlette's multidict: the last value wins.
///
/// `Debug` redacts the values of credential parameters (`client_secret`, `code`,
/// `code_verifier`, tokens, …); traces, which are written by serde, keep them.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params(pub Vec<(String, String)>);

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self(pairs) = self;
        let shown: Vec<(&str, MaybeSecret<'_>)> = pairs
            .iter()
            .map(|(k, v)| {
                let secret = is_secret_param(k);
                (k.as_str(), MaybeSecret { value: v, secret })
            })
            .collect();
        f.debug_tuple("Params").field(&shown).finish()
    }
}

impl Params {
    /// The last value sent for `key` (`params.get(key)`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `key` was sent at all (`key in params`).
    pub fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// Parameters from `(name, value)` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }
}

/// How `/authorize` was called: the query (`GET`) or a form body (`POST`, and `HEAD`, which
/// Starlette routes like `POST` with an empty form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AuthorizeMethod {
    /// Parameters from the query string.
    Get,
    /// Parameters from the form body.
    Post,
}

/// `POST /register` ([RFC 7591 §3.1](https://www.rfc-editor.org/rfc/rfc7591#section-3.1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    /// The raw request body (meant to be JSON client metadata).
    pub body: String,
}

/// `GET|POST /authorize` ([RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    /// Query or form.
    pub method: AuthorizeMethod,
    /// The parameters.
    pub params: Params,
}

/// `Debug` of a form request: the form (its credentials redacted by [`Params`]' own `Debug`) and
/// the `Authorization` header redacted.
fn debug_form(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    form: &Params,
    authorization: &Option<String>,
) -> fmt::Result {
    f.debug_struct(name)
        .field("form", form)
        .field("authorization", &redacted_opt(authorization))
        .finish()
}

/// `POST /token` ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3), §6).
///
/// `Debug` redacts the `Authorization` header and the credential parameters of the form.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// The form body (empty when the body was not `application/x-www-form-urlencoded`).
    pub form: Params,
    /// The first `Authorization` header, if any.
    pub authorization: Option<String>,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            form,
            authorization,
        } = self;
        debug_form(f, "TokenRequest", form, authorization)
    }
}

/// `POST /revoke` ([RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1)).
///
/// `Debug` redacts the `Authorization` header and the credential parameters of the form.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeRequest {
    /// The form body.
    pub form: Params,
    /// The first `Authorization` header, if any.
    pub authorization: Option<String>,
}

impl fmt::Debug for RevokeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            form,
            authorization,
        } = self;
        debug_form(f, "RevokeRequest", form, authorization)
    }
}

/// `POST` to the introspection endpoint ([RFC 7662 §2.1](https://www.rfc-editor.org/rfc/rfc7662#section-2.1)),
/// as a caller sends it: with credentials, wrong ones or none. FastMCP's in-memory server has
/// no such endpoint (the model answers it as an unknown path); a live target sends it to the
/// `introspection_endpoint` its metadata names.
///
/// `Debug` redacts the `Authorization` header and the credential parameters of the form.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntrospectRequest {
    /// The form body (`token`, `token_type_hint`, credentials).
    pub form: Params,
    /// The first `Authorization` header, if any.
    pub authorization: Option<String>,
}

impl fmt::Debug for IntrospectRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            form,
            authorization,
        } = self;
        debug_form(f, "IntrospectRequest", form, authorization)
    }
}

/// A request to the protected MCP resource ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)).
///
/// `Debug` redacts the `Authorization` headers.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRequest {
    /// Every `Authorization` header value, in order.
    pub authorization: Vec<String>,
}

impl fmt::Debug for ResourceRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { authorization } = self;
        f.debug_struct("ResourceRequest")
            .field("authorization", &RedactedList(authorization))
            .finish()
    }
}

/// Why a request's body was not read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyFault {
    /// Longer than the route's limit (the SDK's `RequestBodyLimitMiddleware`: 4 MiB).
    TooLarge,
    /// The client stopped sending before the body was complete (disconnect or timeout).
    Incomplete,
    /// A form with more than 1000 fields (Starlette's `max_fields`).
    TooManyFields,
    /// A form field whose name and value exceed 1 MiB (Starlette's `max_part_size`).
    FieldTooLarge,
}

/// A request that is none of the endpoint events: an unknown path, a method the route does not
/// allow, a CORS preflight, a trailing-slash redirect, or a body the server would not read
/// ([RFC 9110 §15.5](https://www.rfc-editor.org/rfc/rfc9110#section-15.5)). It carries only what
/// decides Starlette's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnroutedRequest {
    /// The method, as sent (case-sensitive).
    pub method: String,
    /// The percent-decoded path (ASGI `scope["path"]`).
    pub path: String,
    /// The raw query string, without `?` (empty when absent).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// The request headers the answer depends on (lower-case names, wire order): `host` for a
    /// redirect; `origin` and the `access-control-request-*` headers for CORS.
    #[serde(default, skip_serializing_if = "is_empty_params")]
    pub headers: Params,
    /// Set when the body was not read whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyFault>,
}

fn is_empty_params(p: &Params) -> bool {
    p.0.is_empty()
}

/// One input to the model: an HTTP request to one of the server's endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// `GET /.well-known/oauth-authorization-server` ([RFC 8414 §3](https://www.rfc-editor.org/rfc/rfc8414#section-3)).
    AuthorizationServerMetadata,
    /// `GET /.well-known/oauth-protected-resource/mcp` ([RFC 9728 §3](https://www.rfc-editor.org/rfc/rfc9728#section-3)).
    ProtectedResourceMetadata,
    /// `POST /register`.
    Register(RegisterRequest),
    /// `GET|POST /authorize`.
    Authorize(AuthorizeRequest),
    /// `POST /token`.
    Token(TokenRequest),
    /// `POST /revoke`.
    Revoke(RevokeRequest),
    /// `POST` to the introspection endpoint (a live target's; the model has none).
    Introspect(IntrospectRequest),
    /// A request to the protected resource.
    Resource(ResourceRequest),
    /// Any other request: answered by the router and middleware, not by an endpoint.
    Unrouted(UnroutedRequest),
    /// A test control (`serve`'s fault routes, `POST /_oracle/...`): not a protocol request, but
    /// stepped and recorded like one so that a session with faults replays.
    Control(crate::control::Control),
}

impl Event {
    /// A short name of the endpoint, for summaries.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AuthorizationServerMetadata => "as_metadata",
            Self::ProtectedResourceMetadata => "pr_metadata",
            Self::Register(_) => "register",
            Self::Authorize(_) => "authorize",
            Self::Token(_) => "token",
            Self::Revoke(_) => "revoke",
            Self::Introspect(_) => "introspect",
            Self::Resource(_) => "resource",
            Self::Unrouted(_) => "unrouted",
            Self::Control(_) => "control",
        }
    }
}
