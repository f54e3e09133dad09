//! What answers before any endpoint runs: Starlette's router (404, 405 with `Allow`, the
//! trailing-slash redirect) and the middleware FastMCP wraps its routes in (the SDK's CORS
//! preflight and its 4 MiB `RequestBodyLimitMiddleware`), `docs/fastmcp-behaviour.md` §5.0.
//!
//! The route table is the one FastMCP 4.2.3 mounts for a base URL without a path (probed on the
//! live server, Starlette 1.10.0): method lists in the order Starlette prints them in `Allow`.

use crate::ErrorCode;
use crate::compat::pyurl::starlette_location;
use crate::config::Config;
use crate::event::{BodyFault, UnroutedRequest};
use crate::output::{JSON, NO_STORE, Output, error_json};

/// The SDK's `DEFAULT_MAX_REQUEST_BODY_SIZE`: longer bodies get 413
/// ([RFC 9110 §15.5.14](https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14)).
#[cfg_attr(not(feature = "http"), allow(dead_code))] // read by the HTTP mapping
pub(crate) const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// `Vary` of every preflight answer (Starlette's `CORSMiddleware`).
const PREFLIGHT_VARY: &str = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network";
/// `sorted(SAFELISTED_HEADERS | {"mcp-protocol-version"})`.
const ALLOW_HEADERS: &str =
    "Accept, Accept-Language, Content-Language, Content-Type, mcp-protocol-version";
const TEXT: (&str, &str) = ("content-type", "text/plain; charset=utf-8");

/// A route FastMCP mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/.well-known/oauth-authorization-server`.
    AuthorizationServerMetadata,
    /// `/authorize`.
    Authorize,
    /// `/token`.
    Token,
    /// `/register` (when registration is enabled).
    Register,
    /// `/revoke` (when revocation is enabled).
    Revoke,
    /// `/.well-known/oauth-protected-resource<resource path>`.
    ProtectedResourceMetadata,
    /// The MCP endpoint (`/mcp`).
    Resource,
}

impl Route {
    /// The methods the route accepts, in Starlette's `Allow` order (`HEAD` follows `GET`).
    pub(crate) fn methods(self) -> &'static [&'static str] {
        match self {
            Self::AuthorizationServerMetadata | Self::ProtectedResourceMetadata => {
                &["GET", "HEAD", "OPTIONS"]
            }
            Self::Authorize => &["GET", "HEAD", "POST"],
            Self::Token | Self::Register | Self::Revoke => &["POST", "OPTIONS"],
            Self::Resource => &["GET", "HEAD", "DELETE", "POST"],
        }
    }

    /// The `allow_methods` of the CORS middleware around the route, if it has one.
    pub(crate) fn cors_methods(self) -> Option<&'static [&'static str]> {
        match self {
            Self::AuthorizationServerMetadata | Self::ProtectedResourceMetadata => {
                Some(&["GET", "OPTIONS"])
            }
            Self::Token | Self::Register | Self::Revoke => Some(&["POST", "OPTIONS"]),
            Self::Authorize | Self::Resource => None,
        }
    }

    /// Whether the handler reads the request body (and the body limit applies). FastMCP's own
    /// `/token` route has no limit; this model applies the SDK's to it too.
    #[cfg_attr(not(feature = "http"), allow(dead_code))] // read by the HTTP mapping
    pub(crate) fn reads_body(self) -> bool {
        match self {
            Self::Authorize | Self::Token | Self::Register | Self::Revoke => true,
            Self::AuthorizationServerMetadata
            | Self::ProtectedResourceMetadata
            | Self::Resource => false,
        }
    }

    /// The path the route is mounted at.
    pub(crate) fn path(self, config: &Config) -> String {
        match self {
            Self::AuthorizationServerMetadata => "/.well-known/oauth-authorization-server".into(),
            Self::Authorize => "/authorize".into(),
            Self::Token => "/token".into(),
            Self::Register => "/register".into(),
            Self::Revoke => "/revoke".into(),
            Self::ProtectedResourceMetadata => {
                let resource = config.resource_url();
                let path = url::Url::parse(&resource)
                    .map(|u| u.path().to_owned())
                    .unwrap_or_else(|_| config.mcp_path.clone());
                format!("/.well-known/oauth-protected-resource{path}")
            }
            Self::Resource => config.mcp_path.clone(),
        }
    }
}

/// The routes mounted under `config`, in Starlette's matching order.
pub(crate) fn mounted(config: &Config) -> Vec<Route> {
    let mut routes = vec![
        Route::AuthorizationServerMetadata,
        Route::Authorize,
        Route::Token,
    ];
    if config.registration_enabled {
        routes.push(Route::Register);
    }
    if config.revocation_enabled {
        routes.push(Route::Revoke);
    }
    routes.extend([Route::ProtectedResourceMetadata, Route::Resource]);
    routes
}

/// The route whose path is exactly `path` (percent-decoded), if one is mounted.
pub(crate) fn route_for(config: &Config, path: &str) -> Option<Route> {
    mounted(config).into_iter().find(|r| r.path(config) == path)
}

/// Whether a request to `route` is a CORS preflight: `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`, on a route wrapped in the CORS middleware.
pub(crate) fn is_preflight(route: Route, method: &str, has_origin: bool, has_acrm: bool) -> bool {
    route.cors_methods().is_some() && method == "OPTIONS" && has_origin && has_acrm
}

/// The first value of header `name` (Starlette's `headers.get`).
fn first<'a>(req: &'a UnroutedRequest, name: &str) -> Option<&'a str> {
    req.headers
        .0
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Answer a request that reaches no endpoint.
pub(crate) fn handle_unrouted(config: &Config, req: &UnroutedRequest) -> Output {
    let Some(route) = route_for(config, &req.path) else {
        return redirect_slashes(config, req).unwrap_or_else(Output::not_found);
    };
    if !route.methods().contains(&req.method.as_str()) {
        return Output::new(405, &[], "Method Not Allowed".to_owned())
            .with_header("allow", route.methods().join(", "))
            .with_header(TEXT.0, TEXT.1);
    }
    if let Some(allowed) = route.cors_methods()
        && is_preflight(
            route,
            &req.method,
            first(req, "origin").is_some(),
            first(req, "access-control-request-method").is_some(),
        )
    {
        return preflight(allowed, req);
    }
    let (status, body) = match req.body {
        Some(BodyFault::TooLarge) => (413, "Request body too large"),
        Some(BodyFault::Incomplete) => (408, "Request Timeout"),
        Some(fault @ (BodyFault::TooManyFields | BodyFault::FieldTooLarge)) => {
            if route == Route::Authorize {
                // `request.form()` raised inside the handler's catch-all: no params, no client.
                return Output::new(
                    400,
                    &[JSON, NO_STORE],
                    error_json(ErrorCode::ServerError, "An unexpected error occurred"),
                );
            }
            let text = if fault == BodyFault::TooManyFields {
                "Too many fields. Maximum number of fields is 1000."
            } else {
                "Field exceeded maximum size of 1024KB."
            };
            (400, text)
        }
        // Only a hand-written trace holds an unrouted request that an endpoint would answer.
        None => (400, "Bad Request"),
    };
    // `Response(text, status_code=413)`: no media type, so no Content-Type.
    let mut headers: Vec<(&str, &str)> = if status == 413 { vec![] } else { vec![TEXT] };
    if route.cors_methods().is_some() {
        // The CORS middleware is the outermost wrapper: its `send` decorates the answer.
        if first(req, "origin").is_some() {
            headers.push(("access-control-allow-origin", "*"));
        }
        headers.push(("vary", "Origin"));
    }
    Output::new(status, &headers, body.to_owned())
}

/// The mounted path an unmatched `path` redirects to (Starlette's `redirect_slashes`: add or
/// strip the trailing slashes), if any.
pub(crate) fn slash_redirect(config: &Config, path: &str) -> Option<String> {
    if path == "/" {
        return None;
    }
    let other = if path.ends_with('/') {
        path.trim_end_matches('/').to_owned()
    } else {
        format!("{path}/")
    };
    route_for(config, &other).map(|_| other)
}

/// A 307 to the [`slash_redirect`] path, built from the `Host` header and the query.
fn redirect_slashes(config: &Config, req: &UnroutedRequest) -> Option<Output> {
    let other = slash_redirect(config, &req.path)?;
    let mut url = match first(req, "host") {
        Some(host) => format!("http://{host}{other}"),
        None => format!("{}{other}", config.endpoint_base()),
    };
    if !req.query.is_empty() {
        url.push('?');
        url.push_str(&req.query);
    }
    Some(Output::new(307, &[], String::new()).with_header("location", starlette_location(&url)))
}

/// Python's `str.strip()` over the characters a header value can hold.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// `CORSMiddleware.preflight_response` with `allow_origins="*"` and
/// `allow_headers=["mcp-protocol-version"]`.
fn preflight(allowed: &[&str], req: &UnroutedRequest) -> Output {
    let mut failures = Vec::new();
    let method = first(req, "access-control-request-method").unwrap_or_default();
    if !allowed.contains(&method) {
        failures.push("method");
    }
    if let Some(requested) = first(req, "access-control-request-headers") {
        let allow = ALLOW_HEADERS.to_lowercase();
        let allow: Vec<&str> = allow.split(", ").collect();
        if requested
            .split(',')
            .any(|h| !allow.contains(&py_strip(&h.to_lowercase())))
        {
            failures.push("headers");
        }
    }
    if first(req, "access-control-request-private-network").is_some() {
        failures.push("private-network");
    }
    let (status, body) = if failures.is_empty() {
        (200, "OK".to_owned())
    } else {
        (400, format!("Disallowed CORS {}", failures.join(", ")))
    };
    Output::new(
        status,
        &[
            ("vary", PREFLIGHT_VARY),
            ("access-control-allow-origin", "*"),
        ],
        body,
    )
    .with_header("access-control-allow-methods", allowed.join(", "))
    .with_header("access-control-max-age", "600")
    .with_header("access-control-allow-headers", ALLOW_HEADERS)
    .with_header(TEXT.0, TEXT.1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::Params;

    fn unrouted(method: &str, path: &str, headers: &[(&str, &str)]) -> UnroutedRequest {
        UnroutedRequest {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            headers: Params::from_pairs(headers.iter().copied()),
            body: None,
        }
    }

    #[test]
    fn get_token_is_405_with_allow_post_options() {
        let out = handle_unrouted(&Config::default(), &unrouted("GET", "/token", &[]));
        assert_eq!(out.status, 405);
        assert_eq!(out.header("allow"), Some("POST, OPTIONS"));
        assert_eq!(out.body, "Method Not Allowed");
    }

    #[test]
    fn disabled_registration_is_404_and_enabled_is_405() {
        let off = Config {
            registration_enabled: false,
            ..Config::default()
        };
        let req = unrouted("GET", "/register", &[]);
        assert_eq!(handle_unrouted(&off, &req).status, 404);
        assert_eq!(handle_unrouted(&Config::default(), &req).status, 405);
    }

    #[test]
    fn preflight_names_every_failure_in_starlette_order() {
        let req = unrouted(
            "OPTIONS",
            "/revoke",
            &[
                ("origin", "http://x"),
                ("access-control-request-method", "DELETE"),
                ("access-control-request-headers", "authorization"),
            ],
        );
        let out = handle_unrouted(&Config::default(), &req);
        assert_eq!(out.status, 400);
        assert_eq!(out.body, "Disallowed CORS method, headers");
        let ok = unrouted(
            "OPTIONS",
            "/token",
            &[
                ("origin", "http://x"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "Content-Type, MCP-Protocol-Version",
                ),
            ],
        );
        let out = handle_unrouted(&Config::default(), &ok);
        assert_eq!((out.status, out.body.as_str()), (200, "OK"));
        assert_eq!(out.header("access-control-max-age"), Some("600"));
    }

    #[test]
    fn trailing_slash_redirects_to_the_mounted_path_with_the_query() {
        let mut req = unrouted("GET", "/authorize/", &[("host", "127.0.0.1:8765")]);
        req.query = "a=b".into();
        let out = handle_unrouted(&Config::default(), &req);
        assert_eq!(out.status, 307);
        assert_eq!(
            out.header("location"),
            Some("http://127.0.0.1:8765/authorize?a=b")
        );
        assert_eq!(
            handle_unrouted(&Config::default(), &unrouted("GET", "/", &[])).status,
            404
        );
    }

    #[test]
    fn oversized_body_is_413_without_content_type_and_cors_decorated() {
        let mut req = unrouted("POST", "/register", &[("origin", "http://o")]);
        req.body = Some(BodyFault::TooLarge);
        let out = handle_unrouted(&Config::default(), &req);
        assert_eq!(out.status, 413);
        assert_eq!(out.header("content-type"), None);
        assert_eq!(out.header("access-control-allow-origin"), Some("*"));
        assert_eq!(out.header("vary"), Some("Origin"));
    }
}
