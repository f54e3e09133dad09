//! Events: the inputs of [`crate::AuthServer::step`], one per HTTP request a client sends.
//!
//! Requests carry what the client put on the wire, already split into parameters the way
//! Starlette splits them (query string or form body, in order, duplicates kept), but otherwise
//! raw: values may be missing, repeated, malformed or hostile. (Outputs are never called events.)

use serde::{Deserialize, Serialize};

/// Request parameters in wire order. Lookups follow Starlette's multidict: the last value wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params(pub Vec<(String, String)>);

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

/// `POST /token` ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3), §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// The form body (empty when the body was not `application/x-www-form-urlencoded`).
    pub form: Params,
    /// The first `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// `POST /revoke` ([RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeRequest {
    /// The form body.
    pub form: Params,
    /// The first `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// A request to the protected MCP resource ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRequest {
    /// Every `Authorization` header value, in order.
    pub authorization: Vec<String>,
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
    /// A request to the protected resource.
    Resource(ResourceRequest),
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
            Self::Resource(_) => "resource",
        }
    }
}
