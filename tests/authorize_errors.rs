//! Where `/authorize` sends an error: to the client's redirect URI when the client and that URI
//! are established ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1)),
//! else a 400 to the user agent.
#![allow(clippy::unwrap_used)]

use oauth_oracle::{
    AuthServer, AuthorizeMethod, AuthorizeRequest, Config, Event, Output, Params, Profile,
    RegisterRequest, UnixMillis,
};

const AT: UnixMillis = UnixMillis(1_795_680_000_000);
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn server_with_client(profile: Profile, redirect: &str) -> (AuthServer, String) {
    let server = AuthServer::new(Config::for_profile(&profile), profile).unwrap();
    let body =
        serde_json::json!({"redirect_uris": [redirect], "token_endpoint_auth_method": "none"});
    let (server, out) = server.step(
        AT,
        Event::Register(RegisterRequest {
            body: body.to_string(),
        }),
    );
    assert_eq!(out.status, 201, "{}", out.body);
    let v: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    (server, v["client_id"].as_str().unwrap().to_owned())
}

fn authorize(server: AuthServer, params: &[(&str, &str)]) -> Output {
    let event = Event::Authorize(AuthorizeRequest {
        method: AuthorizeMethod::Get,
        params: Params::from_pairs(params.iter().copied()),
    });
    server.step(AT, event).1
}

/// A request that fails validation (no `code_challenge`) from a client registered with
/// `http://localhost:3000/cb`, naming that URI in another spelling.
fn respelled_request_without_challenge(profile: Profile) -> Output {
    let (server, id) = server_with_client(profile, "http://localhost:3000/cb");
    authorize(
        server,
        &[
            ("response_type", "code"),
            ("client_id", &id),
            ("redirect_uri", "HTTP://LOCALHOST:3000/cb"),
            ("state", "s"),
        ],
    )
}

/// Under `fastmcp` the redirect URI of a failed request is compared after pydantic's `AnyUrl`
/// normalisation (D-27), so a request naming the registered URI in another spelling still gets
/// its error by redirect, to the registered spelling.
#[test]
fn fastmcp_error_redirect_uses_the_normalised_redirect_uri() {
    let out = respelled_request_without_challenge(Profile::fastmcp());
    assert_eq!(out.status, 302, "{}", out.body);
    let location = out.header("location").unwrap();
    assert!(
        location.starts_with("http://localhost:3000/cb?error=invalid_request"),
        "{location}"
    );
}

/// Under `oauth21` a repeated parameter is refused; the error goes by redirect unless the
/// repeated parameter is one that identifies the client or its redirect URI.
#[test]
fn oauth21_repeated_parameters_redirect_unless_they_identify_the_client() {
    let cb = "http://localhost:3000/cb";
    for (repeated, redirected) in [
        ("state", true),
        ("client_id", false),
        ("redirect_uri", false),
    ] {
        let (server, id) = server_with_client(Profile::oauth21(), cb);
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", cb),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "s"),
        ];
        // The same parameter sent twice.
        let again = *pairs.iter().find(|(k, _)| *k == repeated).unwrap();
        pairs.push(again);
        let out = authorize(server, &pairs);
        if redirected {
            assert_eq!(out.status, 302, "{repeated}: {}", out.body);
            let location = out.header("location").unwrap();
            assert!(
                location.starts_with(&format!("{cb}?error=invalid_request")),
                "{location}"
            );
        } else {
            assert_eq!(out.status, 400, "{repeated}: {:?}", out.headers);
            assert!(out.body.contains("must not be repeated"), "{}", out.body);
        }
    }
}

/// Under `oauth21` redirect URIs match as exact strings, also for errors: a request naming the
/// registered URI in another spelling gets a 400, not a redirect to a URI it did not register
/// ([OAuth 2.1 §4.1.2.1](https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-4.1.2.1)).
#[test]
fn oauth21_error_for_a_respelled_redirect_uri_is_not_redirected() {
    let out = respelled_request_without_challenge(Profile::oauth21());
    assert_eq!(out.status, 400, "{:?}", out.headers);
    assert!(out.header("location").is_none());
}
