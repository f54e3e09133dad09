//! Events: the inputs of [`crate::AuthServer::step`], one per HTTP request a client sends.
//!
//! Requests carry what the client put on the wire, already split into parameters the way
//! Starlette splits them (query string or form body, in order, duplicates kept), but otherwise
//! raw: values may be missing, repeated, malformed or hostile. (Outputs are never called events.)
//!
//! One tree for every use: an [`Event`] holds `String`s when the model answers it, and
//! [`ValueExpr`](crate::trace::ValueExpr)s (`Event<ValueExpr>`, a trace's event) where a string
//! refers to a value an earlier step produced. The trace layer resolves the one into the other.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::{MaybeSecret, is_secret_param};

mod read;

mod sealed {
    pub trait Sealed {}
    impl Sealed for String {}
    impl Sealed for crate::trace::ValueExpr {}
}

/// The strings of an [`Event`]: `String` in a request the model answers, a
/// [`ValueExpr`](crate::trace::ValueExpr) in a trace's event. Sealed: only these two.
pub trait EventStr: sealed::Sealed + Clone + PartialEq + Eq + Default {
    /// The literal text, if this string is one.
    fn literal(&self) -> Option<&str>;

    /// `Debug` of this string: shown, or its secret text redacted.
    fn fmt_debug(&self, secret: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl EventStr for String {
    fn literal(&self) -> Option<&str> {
        Some(self)
    }

    fn fmt_debug(&self, secret: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(
            &MaybeSecret {
                value: self,
                secret,
            },
            f,
        )
    }
}

/// `Debug` of an event string through [`EventStr::fmt_debug`].
struct Shown<'a, S>(&'a S, bool);

impl<S: EventStr> fmt::Debug for Shown<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_debug(self.1, f)
    }
}

/// Whether `s` is the empty literal (an absent query is written as none).
fn is_blank<S: EventStr>(s: &S) -> bool {
    s.literal() == Some("")
}

/// Where a string sits in an event: a trace's error names it (`event.form[1][1]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// A register body.
    Body,
    /// Pair `.1`, name (`.2 == 0`) or value (`1`), of the list named `.0` (`params`, `form`,
    /// `headers`).
    Pair(&'static str, usize, usize),
    /// The `Authorization` header; `Some(i)`: the `i`-th of a resource request's.
    Authorization(Option<usize>),
    /// An unrouted request's method.
    Method,
    /// An unrouted request's path.
    Path,
    /// An unrouted request's query.
    Query,
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Body => f.write_str("body"),
            Self::Pair(list, i, j) => write!(f, "{list}[{i}][{j}]"),
            Self::Authorization(None) => f.write_str("authorization"),
            Self::Authorization(Some(i)) => write!(f, "authorization[{i}]"),
            Self::Method => f.write_str("method"),
            Self::Path => f.write_str("path"),
            Self::Query => f.write_str("query"),
        }
    }
}

/// Request parameters in wire order. Lookups follow Starlette's multidict: the last value wins.
///
/// `Debug` redacts the values of credential parameters (`client_secret`, `code`,
/// `code_verifier`, tokens, …); traces, which are written by serde, keep them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params<S = String>(pub Vec<(S, S)>);

impl<S> Default for Params<S> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<S: EventStr> fmt::Debug for Params<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self(pairs) = self;
        let shown: Vec<(Shown<'_, S>, Shown<'_, S>)> = pairs
            .iter()
            .map(|(k, v)| {
                let secret = k.literal().is_some_and(is_secret_param);
                (Shown(k, false), Shown(v, secret))
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

impl<S> Params<S> {
    /// Every name and value through `f`, told its [`Site`] in the list `list`.
    fn try_map<T, E>(
        self,
        list: &'static str,
        f: &mut impl FnMut(Site, S) -> Result<T, E>,
    ) -> Result<Params<T>, E> {
        // A new vector of the final size: collecting in place would reuse the source's larger
        // allocation and then shrink it (a `realloc` per list).
        let mut out = Vec::with_capacity(self.0.len());
        for (i, (k, v)) in self.0.into_iter().enumerate() {
            out.push((f(Site::Pair(list, i, 0), k)?, f(Site::Pair(list, i, 1), v)?));
        }
        Ok(Params(out))
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest<S = String> {
    /// The raw request body (meant to be JSON client metadata).
    pub body: S,
}

impl<S: EventStr> fmt::Debug for RegisterRequest<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { body } = self;
        // Client metadata, which holds no secret (a client secret is issued, not sent).
        f.debug_struct("RegisterRequest")
            .field("body", &Shown(body, false))
            .finish()
    }
}

/// `GET|POST /authorize` ([RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest<S = String> {
    /// Query or form.
    pub method: AuthorizeMethod,
    /// The parameters.
    pub params: Params<S>,
}

impl<S: EventStr> fmt::Debug for AuthorizeRequest<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { method, params } = self;
        f.debug_struct("AuthorizeRequest")
            .field("method", method)
            .field("params", params)
            .finish()
    }
}

/// A form `POST` with its first `Authorization` header: a token, revocation or introspection
/// request ([`TokenRequest`], [`RevokeRequest`], [`IntrospectRequest`] name it by endpoint).
///
/// `Debug` redacts the `Authorization` header and the credential parameters of the form.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormRequest<S = String> {
    /// The form body (empty when the body was not `application/x-www-form-urlencoded`).
    pub form: Params<S>,
    /// The first `Authorization` header, if any.
    pub authorization: Option<S>,
}

impl<S: EventStr> fmt::Debug for FormRequest<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            form,
            authorization,
        } = self;
        f.debug_struct("FormRequest")
            .field("form", form)
            .field(
                "authorization",
                &authorization.as_ref().map(|a| Shown(a, true)),
            )
            .finish()
    }
}

impl<S> FormRequest<S> {
    /// Its strings through `f`.
    fn try_map<T, E>(
        self,
        f: &mut impl FnMut(Site, S) -> Result<T, E>,
    ) -> Result<FormRequest<T>, E> {
        let Self {
            form,
            authorization,
        } = self;
        Ok(FormRequest {
            form: form.try_map("form", f)?,
            authorization: match authorization {
                Some(a) => Some(f(Site::Authorization(None), a)?),
                None => None,
            },
        })
    }
}

/// `POST /token` ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3), §6).
pub type TokenRequest<S = String> = FormRequest<S>;

/// `POST /revoke` ([RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1)).
pub type RevokeRequest<S = String> = FormRequest<S>;

/// `POST` to the introspection endpoint ([RFC 7662 §2.1](https://www.rfc-editor.org/rfc/rfc7662#section-2.1)),
/// as a caller sends it: with credentials, wrong ones or none. FastMCP's in-memory server has
/// no such endpoint (the model answers it as an unknown path); a live target sends it to the
/// `introspection_endpoint` its metadata names.
pub type IntrospectRequest<S = String> = FormRequest<S>;

/// A request to the protected MCP resource ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)).
///
/// `Debug` redacts the `Authorization` headers.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceRequest<S = String> {
    /// Every `Authorization` header value, in order.
    pub authorization: Vec<S>,
}

impl<S: EventStr> fmt::Debug for ResourceRequest<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { authorization } = self;
        f.debug_struct("ResourceRequest")
            .field(
                "authorization",
                &authorization
                    .iter()
                    .map(|a| Shown(a, true))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// What the server's fetch of a client ID metadata document returned (the MCP authorization
/// specification's CIMD; [draft-ietf-oauth-client-id-metadata-document-00](https://datatracker.ietf.org/doc/html/draft-ietf-oauth-client-id-metadata-document-00)):
/// a `client_id` that is an `https` URL names a JSON document of client metadata, which the
/// server fetches. The model fetches nothing: its caller fetched `url` (or plays the client
/// that hosts it) and hands over the answer, which the model validates and caches. A trace
/// carries it, so a replay needs no network. Its strings are always literal.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientDocument {
    /// The document's URL: the client id it describes.
    pub url: String,
    /// The HTTP status of the fetch (0: no answer).
    pub status: u16,
    /// The body fetched, as text.
    pub body: String,
}

impl fmt::Debug for ClientDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { url, status, body } = self;
        // Public client metadata: no secret (a document client authenticates with none).
        f.debug_struct("ClientDocument")
            .field("url", url)
            .field("status", status)
            .field("body", body)
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    bound(
        serialize = "S: Serialize + EventStr",
        deserialize = "S: Deserialize<'de> + EventStr"
    )
)]
pub struct UnroutedRequest<S = String> {
    /// The method, as sent (case-sensitive).
    pub method: S,
    /// The percent-decoded path (ASGI `scope["path"]`).
    pub path: S,
    /// The raw query string, without `?` (empty when absent).
    #[serde(default, skip_serializing_if = "is_blank")]
    pub query: S,
    /// The request headers the answer depends on (lower-case names, wire order): `host` for a
    /// redirect; `origin` and the `access-control-request-*` headers for CORS.
    #[serde(default, skip_serializing_if = "is_empty_params")]
    pub headers: Params<S>,
    /// Set when the body was not read whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyFault>,
}

impl<S: EventStr> fmt::Debug for UnroutedRequest<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            method,
            path,
            query,
            headers,
            body,
        } = self;
        f.debug_struct("UnroutedRequest")
            .field("method", &Shown(method, false))
            .field("path", &Shown(path, false))
            .field("query", &Shown(query, false))
            .field("headers", headers)
            .field("body", body)
            .finish()
    }
}

fn is_empty_params<S>(p: &Params<S>) -> bool {
    p.0.is_empty()
}

/// One input to the model: an HTTP request to one of the server's endpoints.
///
/// `S` is the type of its strings: `String` (the default) in a request, a
/// [`ValueExpr`](crate::trace::ValueExpr) in a trace's event, which may refer to values earlier
/// steps produced; [`crate::trace::Resolver`] turns the one into the other.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    bound(serialize = "S: Serialize + EventStr")
)]
pub enum Event<S = String> {
    /// `GET /.well-known/oauth-authorization-server` ([RFC 8414 §3](https://www.rfc-editor.org/rfc/rfc8414#section-3)).
    AuthorizationServerMetadata,
    /// `GET /.well-known/oauth-protected-resource/mcp` ([RFC 9728 §3](https://www.rfc-editor.org/rfc/rfc9728#section-3)).
    ProtectedResourceMetadata,
    /// `POST /register`.
    Register(RegisterRequest<S>),
    /// `GET|POST /authorize`.
    Authorize(AuthorizeRequest<S>),
    /// `POST /token`.
    Token(TokenRequest<S>),
    /// `POST /revoke`.
    Revoke(RevokeRequest<S>),
    /// `POST` to the introspection endpoint (a live target's; the model has none).
    Introspect(IntrospectRequest<S>),
    /// A request to the protected resource.
    Resource(ResourceRequest<S>),
    /// Any other request: answered by the router and middleware, not by an endpoint.
    Unrouted(UnroutedRequest<S>),
    /// A test control (`serve`'s fault routes, `POST /_oracle/...`): not a protocol request, but
    /// stepped and recorded like one so that a session with faults replays. Its strings are
    /// always literal.
    Control(crate::control::Control),
    /// A client ID metadata document as the server's fetch of it returned it: no request of the
    /// client's, but an input of the server's all the same.
    ClientDocument(ClientDocument),
}

impl<S: EventStr> fmt::Debug for Event<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AuthorizationServerMetadata => f.write_str("AuthorizationServerMetadata"),
            Self::ProtectedResourceMetadata => f.write_str("ProtectedResourceMetadata"),
            Self::Register(r) => f.debug_tuple("Register").field(r).finish(),
            Self::Authorize(r) => f.debug_tuple("Authorize").field(r).finish(),
            Self::Token(r) => f.debug_tuple("Token").field(r).finish(),
            Self::Revoke(r) => f.debug_tuple("Revoke").field(r).finish(),
            Self::Introspect(r) => f.debug_tuple("Introspect").field(r).finish(),
            Self::Resource(r) => f.debug_tuple("Resource").field(r).finish(),
            Self::Unrouted(r) => f.debug_tuple("Unrouted").field(r).finish(),
            Self::Control(c) => f.debug_tuple("Control").field(c).finish(),
            Self::ClientDocument(d) => f.debug_tuple("ClientDocument").field(d).finish(),
        }
    }
}

impl<S> Event<S> {
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
            Self::ClientDocument(_) => "client_document",
        }
    }

    /// The event's `kind`, as a trace names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AuthorizationServerMetadata => "authorization_server_metadata",
            Self::ProtectedResourceMetadata => "protected_resource_metadata",
            Self::Register(_) => "register",
            Self::Authorize(_) => "authorize",
            Self::Token(_) => "token",
            Self::Revoke(_) => "revoke",
            Self::Introspect(_) => "introspect",
            Self::Resource(_) => "resource",
            Self::Unrouted(_) => "unrouted",
            Self::Control(_) => "control",
            Self::ClientDocument(_) => "client_document",
        }
    }

    /// The same event with every string passed through `f`, told where the string sits; the
    /// first error stops it.
    pub(crate) fn try_map<T, E>(
        self,
        mut f: impl FnMut(Site, S) -> Result<T, E>,
    ) -> Result<Event<T>, E> {
        let f = &mut f;
        Ok(match self {
            Self::AuthorizationServerMetadata => Event::AuthorizationServerMetadata,
            Self::ProtectedResourceMetadata => Event::ProtectedResourceMetadata,
            Self::Register(RegisterRequest { body }) => Event::Register(RegisterRequest {
                body: f(Site::Body, body)?,
            }),
            Self::Authorize(AuthorizeRequest { method, params }) => {
                Event::Authorize(AuthorizeRequest {
                    method,
                    params: params.try_map("params", f)?,
                })
            }
            Self::Token(r) => Event::Token(r.try_map(f)?),
            Self::Revoke(r) => Event::Revoke(r.try_map(f)?),
            Self::Introspect(r) => Event::Introspect(r.try_map(f)?),
            Self::Resource(ResourceRequest { authorization }) => {
                let mut out = Vec::with_capacity(authorization.len());
                for (i, a) in authorization.into_iter().enumerate() {
                    out.push(f(Site::Authorization(Some(i)), a)?);
                }
                Event::Resource(ResourceRequest { authorization: out })
            }
            Self::Unrouted(UnroutedRequest {
                method,
                path,
                query,
                headers,
                body,
            }) => Event::Unrouted(UnroutedRequest {
                method: f(Site::Method, method)?,
                path: f(Site::Path, path)?,
                query: f(Site::Query, query)?,
                headers: headers.try_map("headers", f)?,
                body,
            }),
            Self::Control(c) => Event::Control(c),
            Self::ClientDocument(d) => Event::ClientDocument(d),
        })
    }

    /// The same event with every string passed through `f`.
    pub(crate) fn map<T>(self, mut f: impl FnMut(S) -> T) -> Event<T> {
        match self.try_map(|_, s| Ok::<T, std::convert::Infallible>(f(s))) {
            Ok(event) => event,
            Err(never) => match never {},
        }
    }
}
