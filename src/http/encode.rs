//! [`Event`] → HTTP request: what a client puts on the wire to send an event, for drivers of
//! real servers (the differential runner). The inverse of [`super::decode`].

use super::{HttpRequest, RequestBody};
use crate::compat::pyurl::{quote, urlencode};
use crate::event::{AuthorizeMethod, BodyFault, Event, Params};

/// The body sent with a resource request: a minimal MCP `initialize` (a live FastMCP answers it
/// once the bearer check passes).
pub(crate) const MCP_INITIALIZE_REQUEST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"oauth-oracle","version":"0.1.0"}}}"#;

const FORM: &str = "application/x-www-form-urlencoded";

/// A header value's bytes: latin-1 when every character fits (what Starlette decodes back),
/// UTF-8 otherwise (what a client would send; the server then reads it as latin-1).
fn header_bytes(value: &str) -> Vec<u8> {
    value
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u8>>>()
        .unwrap_or_else(|| value.as_bytes().to_vec())
}

fn form_body(params: &Params) -> Vec<u8> {
    urlencode(params.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))).into_bytes()
}

/// The request carrying `event` to a server at `base_url` whose MCP resource is at `/mcp`.
///
/// `decode(&to_request(e, base), config) == e` for every event a request can carry: header values
/// without control characters or surrounding blanks (HTTP strips or refuses them), characters up
/// to U+00FF in headers, forms of at most 1000 fields, paths starting with `/`, and unrouted
/// requests shaped as [`super::decode`] makes them.
#[cfg(test)]
pub(crate) fn to_request(event: &Event, base_url: &str) -> HttpRequest {
    to_request_for(event, base_url, "/mcp")
}

/// [`to_request`] for a server whose MCP resource is at `mcp_path`.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn to_request_for(event: &Event, base_url: &str, mcp_path: &str) -> HttpRequest {
    to_request_at(event, &Routes::fastmcp(base_url, mcp_path))
}

/// Where each kind of request goes: absolute URLs (`http://host[:port]/path`), as an
/// authorization server's metadata names them or as FastMCP mounts them ([`Routes::fastmcp`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    /// The base URL (no trailing slash): unrouted requests and the protected-resource metadata
    /// are sent below it.
    pub base: String,
    /// The authorization-server metadata document.
    pub metadata: String,
    /// Dynamic client registration (`registration_endpoint`).
    pub register: String,
    /// The authorization endpoint (`authorization_endpoint`); may carry a query of its own.
    pub authorize: String,
    /// The token endpoint (`token_endpoint`).
    pub token: String,
    /// The revocation endpoint (`revocation_endpoint`).
    pub revoke: String,
    /// The introspection endpoint (`introspection_endpoint`; FastMCP has none: a path it does
    /// not serve).
    pub introspect: String,
    /// The protected MCP resource.
    pub resource: String,
    /// The protected-resource metadata document.
    pub resource_metadata: String,
}

impl Routes {
    /// FastMCP's routes below `base_url`, its MCP resource at `mcp_path`.
    pub fn fastmcp(base_url: &str, mcp_path: &str) -> Self {
        let base = base_url.trim_end_matches('/').to_owned();
        let at = |path: &str| format!("{base}{path}");
        Self {
            metadata: at("/.well-known/oauth-authorization-server"),
            register: at("/register"),
            authorize: at("/authorize"),
            token: at("/token"),
            revoke: at("/revoke"),
            introspect: at("/introspect"),
            resource: at(mcp_path),
            resource_metadata: at(&format!("/.well-known/oauth-protected-resource{mcp_path}")),
            base,
        }
    }
}

/// The request carrying `event` to the server whose routes are `routes`. Unrouted requests keep
/// their own path, below [`Routes::base`].
pub(crate) fn to_request_at(event: &Event, routes: &Routes) -> HttpRequest {
    let base = routes.base.as_str();
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    let mut header = |name: &str, value: &str| headers.push((name.to_owned(), header_bytes(value)));
    let (method, target, body) = match event {
        Event::AuthorizationServerMetadata => ("GET", routes.metadata.clone(), Vec::new()),
        Event::ProtectedResourceMetadata => ("GET", routes.resource_metadata.clone(), Vec::new()),
        Event::Register(r) => {
            header("content-type", "application/json");
            ("POST", routes.register.clone(), r.body.as_bytes().to_vec())
        }
        Event::Authorize(a) if a.method == AuthorizeMethod::Get => {
            let query = String::from_utf8_lossy(&form_body(&a.params)).into_owned();
            // An endpoint's own query is kept (RFC 6749 §3.1); the parameters follow it.
            let target = match (query.is_empty(), routes.authorize.contains('?')) {
                (true, _) => routes.authorize.clone(),
                (false, false) => format!("{}?{query}", routes.authorize),
                (false, true) => format!("{}&{query}", routes.authorize),
            };
            ("GET", target, Vec::new())
        }
        Event::Authorize(a) => {
            header("content-type", FORM);
            ("POST", routes.authorize.clone(), form_body(&a.params))
        }
        Event::Token(t) => {
            header("content-type", FORM);
            if let Some(auth) = &t.authorization {
                header("authorization", auth);
            }
            ("POST", routes.token.clone(), form_body(&t.form))
        }
        Event::Revoke(r) => {
            header("content-type", FORM);
            if let Some(auth) = &r.authorization {
                header("authorization", auth);
            }
            ("POST", routes.revoke.clone(), form_body(&r.form))
        }
        Event::Introspect(r) => {
            header("content-type", FORM);
            if let Some(auth) = &r.authorization {
                header("authorization", auth);
            }
            ("POST", routes.introspect.clone(), form_body(&r.form))
        }
        Event::Resource(r) => {
            for auth in &r.authorization {
                header("authorization", auth);
            }
            header("content-type", "application/json");
            header("accept", "application/json, text/event-stream");
            (
                "POST",
                routes.resource.clone(),
                MCP_INITIALIZE_REQUEST.as_bytes().to_vec(),
            )
        }
        // No request of the client's: a live server fetches its own documents, so a target
        // never gets it sent (`HttpTarget` refuses it); were it sent, to the control routes.
        Event::ClientDocument(d) => {
            header("content-type", "application/json");
            let body = serde_json::json!({"url": d.url, "status": d.status, "body": d.body});
            (
                "POST",
                format!("{base}/_oracle/client-document"),
                body.to_string().into_bytes(),
            )
        }
        Event::Control(c) => {
            header("content-type", "application/json");
            (
                "POST",
                format!("{base}/_oracle/{}", c.route()),
                c.body().to_string().into_bytes(),
            )
        }
        Event::Unrouted(u) => {
            for (k, v) in &u.headers.0 {
                header(k, v);
            }
            let mut target = quote(&u.path, "/");
            if !u.query.is_empty() {
                target.push('?');
                target.push_str(&u.query);
            }
            let body = match u.body {
                None => RequestBody::Bytes(Vec::new()),
                Some(BodyFault::TooLarge) => RequestBody::Oversized,
                Some(BodyFault::Incomplete) => RequestBody::Incomplete,
                Some(BodyFault::TooManyFields) => {
                    header("content-type", FORM);
                    let fields: Vec<String> = (0..1001).map(|i| format!("f{i}=")).collect();
                    RequestBody::Bytes(fields.join("&").into_bytes())
                }
                Some(BodyFault::FieldTooLarge) => {
                    header("content-type", FORM);
                    let mut b = b"f=".to_vec();
                    b.resize(2 + 1024 * 1024, b'x');
                    RequestBody::Bytes(b)
                }
            };
            return HttpRequest {
                method: u.method.clone(),
                target: format!("{base}{target}"),
                headers,
                body,
            };
        }
    };
    HttpRequest {
        method: method.to_owned(),
        target,
        headers,
        body: RequestBody::Bytes(body),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::config::Config;
    use crate::event::{
        AuthorizeRequest, RegisterRequest, ResourceRequest, RevokeRequest, TokenRequest,
        UnroutedRequest,
    };
    use crate::http::decode;

    const BASE: &str = "http://127.0.0.1:8765";

    /// Any text, including `&`, `=`, `+`, `%`, `;`, spaces and non-ASCII.
    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-Z0-9 &=+%;#?/.~_é€\u{FFFD}-]{0,12}").unwrap()
    }

    /// A header value HTTP carries unchanged: latin-1, no controls, no surrounding blanks.
    fn header_value() -> impl Strategy<Value = String> {
        proptest::string::string_regex("([!-~¡-ÿ]([ -~¡-ÿ]{0,20}[!-~¡-ÿ])?)?").unwrap()
    }

    fn params() -> impl Strategy<Value = Params> {
        proptest::collection::vec((text(), text()), 0..6).prop_map(Params)
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(Event::AuthorizationServerMetadata),
            Just(Event::ProtectedResourceMetadata),
            text().prop_map(|body| Event::Register(RegisterRequest { body })),
            (any::<bool>(), params()).prop_map(|(get, params)| {
                let method = if get {
                    AuthorizeMethod::Get
                } else {
                    AuthorizeMethod::Post
                };
                Event::Authorize(AuthorizeRequest { method, params })
            }),
            (params(), proptest::option::of(header_value())).prop_map(|(form, authorization)| {
                Event::Token(TokenRequest {
                    form,
                    authorization,
                })
            }),
            (params(), proptest::option::of(header_value())).prop_map(|(form, authorization)| {
                Event::Revoke(RevokeRequest {
                    form,
                    authorization,
                })
            }),
            proptest::collection::vec(header_value(), 0..3)
                .prop_map(|authorization| Event::Resource(ResourceRequest { authorization })),
            unrouted(),
        ]
    }

    /// Unrouted requests of the shapes decode produces.
    fn unrouted() -> impl Strategy<Value = Event> {
        let path = proptest::string::string_regex("/[a-z/é %]{0,10}").unwrap();
        let query = || proptest::string::string_regex("([a-z=&%0-9]{1,8})?").unwrap();
        prop_oneof![
            // Unknown path (never one that redirects).
            (path, query()).prop_filter_map(
                "mounted or redirecting",
                |(path, query): (String, String)| {
                    let config = Config::default();
                    (crate::endpoint::routing::route_for(&config, &path).is_none()
                        && crate::endpoint::routing::slash_redirect(&config, &path).is_none())
                    .then(|| unrouted_event("GET", &path, &query, &[], None))
                }
            ),
            (header_value(), query()).prop_map(|(host, query): (String, String)| unrouted_event(
                "PUT",
                "/token/",
                &query,
                &[("host", &host)],
                None
            )),
            Just(unrouted_event("DELETE", "/token", "", &[], None)),
            (header_value(), header_value()).prop_map(|(origin, method)| unrouted_event(
                "OPTIONS",
                "/register",
                "",
                &[
                    ("origin", &origin),
                    ("access-control-request-method", &method)
                ],
                None
            )),
            (
                header_value(),
                prop::sample::select(vec![
                    BodyFault::TooLarge,
                    BodyFault::Incomplete,
                    BodyFault::TooManyFields,
                    BodyFault::FieldTooLarge
                ])
            )
                .prop_map(|(origin, fault)| unrouted_event(
                    "POST",
                    "/revoke",
                    "",
                    &[("origin", &origin)],
                    Some(fault)
                )),
        ]
    }

    fn unrouted_event(
        method: &str,
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: Option<BodyFault>,
    ) -> Event {
        Event::Unrouted(UnroutedRequest {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers: Params::from_pairs(headers.iter().copied()),
            body,
        })
    }

    proptest! {
        #[test]
        fn decode_inverts_to_request(e in event()) {
            let req = to_request(&e, BASE);
            prop_assert_eq!(decode(&req, &Config::default()), e);
        }
    }

    #[test]
    fn resource_request_is_an_mcp_initialize_post() {
        let e = Event::Resource(ResourceRequest {
            authorization: vec!["Bearer t".into()],
        });
        let req = to_request(&e, "http://h:1/");
        assert_eq!(req.method, "POST");
        assert_eq!(req.target, "http://h:1/mcp");
        assert_eq!(req.header("authorization"), Some(&b"Bearer t"[..]));
        assert_eq!(req.body.to_bytes(), MCP_INITIALIZE_REQUEST.as_bytes());
    }

    #[test]
    fn authorize_get_puts_params_in_the_query_with_plus_for_space() {
        let e = Event::Authorize(AuthorizeRequest {
            method: AuthorizeMethod::Get,
            params: Params::from_pairs([("scope", "read write"), ("state", "a&b")]),
        });
        assert_eq!(
            to_request(&e, BASE).target,
            "http://127.0.0.1:8765/authorize?scope=read+write&state=a%26b"
        );
    }

    #[test]
    fn routes_from_metadata_carry_each_event_to_its_endpoint() {
        let routes = Routes {
            register: "http://h:1/reg".into(),
            authorize: "http://h:1/auth?tenant=a".into(),
            token: "http://h:2/oauth/token".into(),
            introspect: "http://h:2/oauth/introspect".into(),
            ..Routes::fastmcp("http://h:1", "/mcp")
        };
        let get = Event::Authorize(AuthorizeRequest {
            method: AuthorizeMethod::Get,
            params: Params::from_pairs([("state", "s")]),
        });
        assert_eq!(
            to_request_at(&get, &routes).target,
            "http://h:1/auth?tenant=a&state=s"
        );
        let reg = Event::Register(RegisterRequest { body: "{}".into() });
        assert_eq!(to_request_at(&reg, &routes).target, "http://h:1/reg");
        let token = Event::Token(TokenRequest {
            form: Params::default(),
            authorization: None,
        });
        assert_eq!(
            to_request_at(&token, &routes).target,
            "http://h:2/oauth/token"
        );
        let introspect = Event::Introspect(crate::event::IntrospectRequest {
            form: Params::from_pairs([("token", "t")]),
            authorization: Some("Basic eA==".into()),
        });
        let req = to_request_at(&introspect, &routes);
        assert_eq!(
            (req.method.as_str(), req.target.as_str()),
            ("POST", "http://h:2/oauth/introspect")
        );
        assert!(
            req.headers
                .iter()
                .any(|(k, v)| k == "authorization" && v == b"Basic eA==")
        );
    }

    #[test]
    fn non_latin1_header_values_are_sent_as_utf8() {
        assert_eq!(header_bytes("é"), vec![0xe9]);
        assert_eq!(header_bytes("€"), "€".as_bytes().to_vec());
    }
}
