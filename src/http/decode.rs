//! HTTP request → [`Event`], as FastMCP's Starlette app routes and parses it.

use super::form::{is_form_content_type, latin1, parse_form, parse_query};
use super::{HttpRequest, RequestBody};
use crate::compat::pyurl::unquote;
use crate::config::Config;
use crate::endpoint::routing::{MAX_BODY_BYTES, Route, is_preflight, route_for, slash_redirect};
use crate::event::{
    AuthorizeMethod, AuthorizeRequest, BodyFault, Event, Params, RegisterRequest, ResourceRequest,
    RevokeRequest, TokenRequest, UnroutedRequest,
};

/// The CORS request headers a preflight answer depends on.
const PREFLIGHT_HEADERS: [&str; 4] = [
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "access-control-request-private-network",
];

/// Split a request target into raw path and raw query (an absolute-form target loses its
/// scheme and authority, as every HTTP/1.1 server does).
fn split_target(target: &str) -> (&str, &str) {
    let rest = ["http://", "https://"]
        .iter()
        .find_map(|s| target.strip_prefix(s))
        .map_or(target, |after| after.find('/').map_or("/", |i| &after[i..]));
    rest.split_once('?').unwrap_or((rest, ""))
}

/// The first value of each of `names` that the request carries, in wire order, as latin-1.
fn first_headers(req: &HttpRequest, names: &[&str]) -> Params {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in &req.headers {
        if names.contains(&k.as_str()) && !out.iter().any(|(seen, _)| seen == k) {
            out.push((k.clone(), latin1(v)));
        }
    }
    Params(out)
}

/// The body an endpoint reads, or why it cannot.
fn body_bytes(req: &HttpRequest) -> Result<&[u8], BodyFault> {
    match &req.body {
        RequestBody::Bytes(b) if b.len() > MAX_BODY_BYTES => Err(BodyFault::TooLarge),
        RequestBody::Bytes(b) => Ok(b),
        RequestBody::Oversized => Err(BodyFault::TooLarge),
        RequestBody::Incomplete => Err(BodyFault::Incomplete),
    }
}

/// `await request.form()`: the form of a urlencoded body, empty for any other content type.
fn form(req: &HttpRequest, body: &[u8]) -> Result<Params, BodyFault> {
    if is_form_content_type(req.header("content-type")) {
        parse_form(body)
    } else {
        Ok(Params::default())
    }
}

/// Decode one HTTP request into the event the model answers, under `config`'s routes.
///
/// Never fails: a request no endpoint would see becomes [`Event::Unrouted`] carrying what
/// decides its answer (the `Host` for a redirect, the CORS headers for a preflight or a refused
/// body at a CORS route).
pub(crate) fn decode(req: &HttpRequest, config: &Config) -> Event {
    let (raw_path, raw_query) = split_target(&req.target);
    let path = unquote(raw_path);
    let unrouted = |headers: Params, body: Option<BodyFault>| {
        Event::Unrouted(UnroutedRequest {
            method: req.method.clone(),
            path: path.clone(),
            query: raw_query.to_owned(),
            headers,
            body,
        })
    };
    let Some(route) = route_for(config, &path) else {
        let headers = if slash_redirect(config, &path).is_some() {
            first_headers(req, &["host"])
        } else {
            Params::default()
        };
        return unrouted(headers, None);
    };
    let method = req.method.as_str();
    if !route.methods().contains(&method) {
        return unrouted(Params::default(), None);
    }
    let has = |name: &str| req.header(name).is_some();
    if is_preflight(
        route,
        method,
        has("origin"),
        has("access-control-request-method"),
    ) {
        return unrouted(first_headers(req, &PREFLIGHT_HEADERS), None);
    }
    let cors = if route.cors_methods().is_some() {
        first_headers(req, &["origin"])
    } else {
        Params::default()
    };
    let body = if route.reads_body() {
        match body_bytes(req) {
            Ok(b) => b,
            Err(fault) => return unrouted(cors, Some(fault)),
        }
    } else {
        &[]
    };
    let authorization = || req.header("authorization").map(latin1);
    match route {
        Route::AuthorizationServerMetadata => Event::AuthorizationServerMetadata,
        Route::ProtectedResourceMetadata => Event::ProtectedResourceMetadata,
        Route::Authorize if method == "GET" => Event::Authorize(AuthorizeRequest {
            method: AuthorizeMethod::Get,
            params: parse_query(raw_query.as_bytes()),
        }),
        Route::Authorize => match form(req, body) {
            Ok(params) => Event::Authorize(AuthorizeRequest {
                method: AuthorizeMethod::Post,
                params,
            }),
            Err(fault) => unrouted(cors, Some(fault)),
        },
        Route::Token => match form(req, body) {
            Ok(form) => Event::Token(TokenRequest {
                form,
                authorization: authorization(),
            }),
            Err(fault) => unrouted(cors, Some(fault)),
        },
        Route::Revoke => match form(req, body) {
            Ok(form) => Event::Revoke(RevokeRequest {
                form,
                authorization: authorization(),
            }),
            Err(fault) => unrouted(cors, Some(fault)),
        },
        Route::Register => Event::Register(RegisterRequest {
            body: String::from_utf8_lossy(body).into_owned(),
        }),
        Route::Resource => Event::Resource(ResourceRequest {
            authorization: req.headers_named("authorization").map(latin1).collect(),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(method: &str, target: &str, headers: &[(&str, &[u8])], body: &[u8]) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
                .collect(),
            body: RequestBody::Bytes(body.to_vec()),
        }
    }

    const FORM: (&str, &[u8]) = ("content-type", b"application/x-www-form-urlencoded");

    #[test]
    fn json_body_at_token_reads_as_an_empty_form() {
        let req = request(
            "POST",
            "/token",
            &[("content-type", b"application/json")],
            br#"{"client_id":"x"}"#,
        );
        let Event::Token(t) = decode(&req, &Config::default()) else {
            panic!("not a token event")
        };
        assert!(t.form.0.is_empty());
    }

    #[test]
    fn token_reads_the_first_authorization_header_and_resource_reads_all() {
        let headers: &[(&str, &[u8])] = &[
            FORM,
            ("authorization", b"Basic first"),
            ("authorization", b"Bearer second"),
        ];
        let Event::Token(t) = decode(
            &request("POST", "/token", headers, b"a=1"),
            &Config::default(),
        ) else {
            panic!("not a token event")
        };
        assert_eq!(t.authorization.as_deref(), Some("Basic first"));
        let Event::Resource(r) = decode(&request("POST", "/mcp", headers, b""), &Config::default())
        else {
            panic!("not a resource event")
        };
        assert_eq!(r.authorization, vec!["Basic first", "Bearer second"]);
    }

    #[test]
    fn percent_encoded_path_matches_the_route() {
        let e = decode(
            &request("POST", "/%74oken", &[FORM], b""),
            &Config::default(),
        );
        assert!(matches!(e, Event::Token(_)));
    }

    #[test]
    fn head_authorize_is_a_post_with_its_form() {
        let e = decode(
            &request("HEAD", "/authorize?client_id=ignored", &[], b""),
            &Config::default(),
        );
        assert_eq!(
            e,
            Event::Authorize(AuthorizeRequest {
                method: AuthorizeMethod::Post,
                params: Params::default()
            })
        );
    }

    #[test]
    fn options_token_without_preflight_headers_runs_the_handler() {
        let plain = decode(&request("OPTIONS", "/token", &[], b""), &Config::default());
        assert!(matches!(plain, Event::Token(_)));
        let preflight = decode(
            &request(
                "OPTIONS",
                "/token",
                &[
                    ("origin", b"http://app"),
                    ("access-control-request-method", b"POST"),
                    ("cookie", b"ignored"),
                ],
                b"",
            ),
            &Config::default(),
        );
        let Event::Unrouted(u) = preflight else {
            panic!("not unrouted")
        };
        assert_eq!(
            u.headers,
            Params::from_pairs([
                ("origin", "http://app"),
                ("access-control-request-method", "POST")
            ])
        );
    }

    #[test]
    fn oversized_and_overfull_bodies_become_body_faults() {
        let big = vec![b'x'; MAX_BODY_BYTES + 1];
        let e = decode(&request("GET", "/authorize", &[], &big), &Config::default());
        assert!(matches!(
            e,
            Event::Unrouted(UnroutedRequest {
                body: Some(BodyFault::TooLarge),
                ..
            })
        ));
        let many: Vec<String> = (0..1001).map(|i| format!("f{i}=")).collect();
        let e = decode(
            &request("POST", "/revoke", &[FORM], many.join("&").as_bytes()),
            &Config::default(),
        );
        assert!(matches!(
            e,
            Event::Unrouted(UnroutedRequest {
                body: Some(BodyFault::TooManyFields),
                ..
            })
        ));
        // The metadata handler never reads its body.
        let e = decode(
            &request("GET", "/.well-known/oauth-authorization-server", &[], &big),
            &Config::default(),
        );
        assert_eq!(e, Event::AuthorizationServerMetadata);
    }

    #[test]
    fn invalid_utf8_register_body_is_read_lossily() {
        let e = decode(
            &request("POST", "/register", &[], b"{\"a\":\"\xff\"}"),
            &Config::default(),
        );
        assert_eq!(
            e,
            Event::Register(RegisterRequest {
                body: "{\"a\":\"\u{FFFD}\"}".into()
            })
        );
    }

    #[test]
    fn absolute_form_target_loses_scheme_and_authority() {
        assert_eq!(split_target("http://h:1/token?x=1"), ("/token", "x=1"));
        assert_eq!(split_target("http://h:1"), ("/", ""));
        assert_eq!(split_target("/a?b?c"), ("/a", "b?c"));
    }

    #[test]
    fn unknown_path_records_host_only_when_it_redirects() {
        let host: &[(&str, &[u8])] = &[("host", b"h:1")];
        let Event::Unrouted(u) = decode(&request("GET", "/nope", host, b""), &Config::default())
        else {
            panic!("not unrouted")
        };
        assert!(u.headers.0.is_empty());
        let Event::Unrouted(u) = decode(&request("GET", "/token/", host, b""), &Config::default())
        else {
            panic!("not unrouted")
        };
        assert_eq!(u.headers, Params::from_pairs([("host", "h:1")]));
    }
}
