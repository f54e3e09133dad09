//! The `cloudflare` profile's wire: what workers-oauth-provider 1.2.3 writes, byte for byte, as
//! `diff --compare exact` read it from the library (`docs/cloudflare-behaviour.md` §9); each
//! test fails with the dialect set back to the Python SDK's.
#![allow(clippy::unwrap_used)]

mod common;

use common::{CB, Harness, VERIFIER, bearer};
use oauth_oracle::{AuthorizeMethod, Output, Profile, Wire, s256_challenge};

fn cloudflare() -> Harness {
    Harness::with_profile(Profile::cloudflare())
}

/// The code of an S256 authorization of `client` for `scope`.
fn code_for(h: &mut Harness, client: &common::TestClient, scope: &str) -> String {
    let challenge = s256_challenge(VERIFIER);
    let out = h.authorize(
        AuthorizeMethod::Get,
        &[
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("redirect_uri", CB),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("scope", scope),
        ],
    );
    common::location_param(&out, "code").unwrap_or_else(|| panic!("no code: {out:?}"))
}

/// Codes and tokens are `userId:grantId:secret`, and the tokens of a grant share its code's
/// grant id; a refresh keeps it.
#[test]
fn codes_and_tokens_share_their_grant_id() {
    let mut h = cloudflare();
    let c = h.register("none", Some("read write"));
    let code = code_for(&mut h, &c, "read");
    let parts: Vec<&str> = code.split(':').collect();
    assert_eq!(parts.len(), 3, "{code}");
    assert_eq!((parts[0], parts[1].len(), parts[2].len()), ("user", 16, 32));
    let out = h.exchange(&c, &code);
    let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    let grant = |t: &str| t.split(':').nth(1).unwrap().to_owned();
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();
    assert_eq!(grant(access), parts[1]);
    assert_eq!(grant(refresh), parts[1]);
    assert_ne!(access, refresh);
    let out = h.refresh(&c, refresh, None);
    let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(grant(body["refresh_token"].as_str().unwrap()), parts[1]);
}

/// The token response: `JSON.stringify` of `tokenResponse`, `token_type` `bearer`, the
/// audience as `resource`; the refresh token last on an exchange, fourth on a refresh.
#[test]
fn token_responses_are_the_librarys_objects() {
    let mut h = cloudflare();
    let c = h.register("none", Some("read write"));
    let code = code_for(&mut h, &c, "read");
    let out = h.exchange(&c, &code);
    let keys = |o: &Output| -> Vec<String> {
        let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&o.body).unwrap();
        v.keys().cloned().collect()
    };
    assert_eq!(
        keys(&out),
        [
            "access_token",
            "token_type",
            "expires_in",
            "scope",
            "resource",
            "refresh_token"
        ]
    );
    assert!(
        out.body.contains(r#""token_type":"bearer""#),
        "{}",
        out.body
    );
    assert!(
        out.body
            .contains(r#""resource":"http://127.0.0.1:8765/mcp""#),
        "{}",
        out.body
    );
    assert_eq!(out.header("pragma"), Some("no-cache"));
    let v: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    let out = h.refresh(&c, v["refresh_token"].as_str().unwrap(), None);
    assert_eq!(
        keys(&out),
        [
            "access_token",
            "token_type",
            "expires_in",
            "refresh_token",
            "scope",
            "resource"
        ]
    );
}

/// Registration: the record in the library's order, `client_secret_issued_at` after the
/// expiry, `no-store` and `no-cache`.
#[test]
fn registration_answers_the_librarys_record() {
    let mut h = cloudflare();
    let out = h.register_raw(
        r#"{"redirect_uris":["http://localhost:9999/cb"],"token_endpoint_auth_method":"client_secret_basic","grant_types":["authorization_code","refresh_token"]}"#,
    );
    assert_eq!(out.status, 201);
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&out.body).unwrap();
    assert_eq!(
        v.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "client_id",
            "redirect_uris",
            "grant_types",
            "response_types",
            "token_endpoint_auth_method",
            "client_id_issued_at",
            "client_secret",
            "client_secret_expires_at",
            "client_secret_issued_at"
        ]
    );
    assert_eq!(v["client_secret_issued_at"], v["client_id_issued_at"]);
    let out = h.register_raw(r#"{"redirect_uris":["http://example.com/cb"]}"#);
    assert_eq!(
        out.body,
        r#"{"error":"invalid_client_metadata","error_description":"Invalid redirect URI"}"#
    );
}

/// Token errors: `createErrorResponse`'s texts, told apart where one model rule covers several
/// (a used code shown by another client is "Client ID mismatch"; a dead refresh token of a
/// live grant "Invalid refresh token", of a revoked one "Grant not found").
#[test]
fn token_errors_carry_the_librarys_descriptions() {
    let mut h = cloudflare();
    let c = h.register("none", Some("read write"));
    let other = h.register("none", Some("read write"));
    let code = code_for(&mut h, &c, "read");
    let out = h.exchange(&c, &code);
    let v: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    let r1 = v["refresh_token"].as_str().unwrap().to_owned();
    let description = |o: &Output| {
        let v: serde_json::Value = serde_json::from_str(&o.body).unwrap();
        v["error_description"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        description(&h.exchange(&other, &code)),
        "Client ID mismatch"
    );
    assert_eq!(
        description(&h.exchange(&c, "not-a-code")),
        "Invalid authorization code format"
    );
    // Two refreshes: the first token is out of the grace, its grant alive.
    let out = h.refresh(&c, &r1, None);
    let r2 = serde_json::from_str::<serde_json::Value>(&out.body).unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = h.refresh(&c, &r2, None);
    assert_eq!(out.status, 200, "{}", out.body);
    let out = h.refresh(&c, &r1, None);
    assert_eq!(description(&out), "Invalid refresh token");
    assert_eq!(out.header("cache-control"), Some("no-store"));
    // A new authorization revokes the grant.
    code_for(&mut h, &c, "read");
    assert_eq!(description(&h.refresh(&c, &r2, None)), "Grant not found");
}

/// `/mcp`: `Bearer realm="OAuth"` challenges; no body without a token.
#[test]
fn resource_challenges_are_the_librarys() {
    let mut h = cloudflare();
    let out = h.resource(&[]);
    assert_eq!(out.status, 401);
    assert_eq!(out.body, "");
    assert_eq!(
        out.header("www-authenticate"),
        Some(
            r#"Bearer realm="OAuth", resource_metadata="http://127.0.0.1:8765/.well-known/oauth-protected-resource/mcp""#
        )
    );
    let out = h.resource(&[&bearer("user:abc:def")]);
    assert_eq!(
        out.body,
        r#"{"error":"invalid_token","error_description":"Invalid access token"}"#
    );
    assert!(
        out.header("www-authenticate")
            .unwrap()
            .ends_with(r#", error="invalid_token""#)
    );
}

/// `/authorize`: the redirect is `new URL(redirectUri)` with its query written again (the host
/// in lower case), and no `Cache-Control`; refusals name the library's reasons.
#[test]
fn authorization_redirects_are_built_as_urls() {
    let mut h = cloudflare();
    let c = h.register("none", Some("read write"));
    let challenge = s256_challenge(VERIFIER);
    let out = h.authorize(
        AuthorizeMethod::Get,
        &[
            ("response_type", "code"),
            ("client_id", c.id.as_str()),
            ("redirect_uri", "http://LOCALHOST:9999/cb"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    );
    assert_eq!(out.status, 302);
    let loc = out.header("location").unwrap();
    assert!(
        loc.starts_with("http://localhost:9999/cb?code=user%3A"),
        "{loc}"
    );
    assert_eq!(out.header("cache-control"), None);
    let out = h.authorize(
        AuthorizeMethod::Get,
        &[
            ("response_type", "token"),
            ("client_id", c.id.as_str()),
            ("redirect_uri", CB),
            ("state", "s"),
        ],
    );
    assert!(
        out.header("location").unwrap().contains(
            "error_description=The+authorization+server+does+not+support+response_type+token"
        ),
        "{out:?}"
    );
    let out = h.authorize(
        AuthorizeMethod::Get,
        &[("response_type", "code"), ("client_id", "nobody")],
    );
    assert_eq!((out.status, out.body.as_str()), (400, "Invalid client_id"));
}

/// The Python SDK's dialect under the same knobs writes FastMCP's texts: the dialect alone
/// makes the difference.
#[test]
fn the_dialect_alone_writes_the_texts() {
    let mut p = Profile::cloudflare();
    p.wire = Wire::PythonSdk;
    let mut h = Harness::with_profile(p);
    let out = h.resource(&[&bearer("user:abc:def")]);
    assert!(!out.body.contains("Invalid access token"), "{}", out.body);
}
