//! Resource indicators ([RFC 8707](https://www.rfc-editor.org/rfc/rfc8707)): the model binds a
//! grant to the server's one protected resource where the profile says so (`oauth21`), and the
//! checker's `token-audience` and `resource-fixed` judge what a resource accepts.
#![allow(clippy::unwrap_used)]

mod common;

use common::VERIFIER;
use common::answers::{has, json_out, random, tokens};
use common::checked::{Checked, expectations};
use oauth_oracle::invariant::Violation;
use oauth_oracle::{
    AuthServer, AuthorizeMethod, AuthorizeRequest, Config, Event, Output, Params, Profile,
    RegisterRequest, TokenRequest, UnixMillis, s256_challenge,
};
use serde_json::{Value, json};

const ISSUER: &str = "http://127.0.0.1:28800";
const MCP: &str = "http://127.0.0.1:28800/mcp";
const OTHER: &str = "https://other.example/mcp";
const CB: &str = "http://localhost:9999/cb";

// --- The checker ---------------------------------------------------------------------------

/// A checker whose tokens are shown to [`MCP`].
fn checked() -> Checked {
    Checked::new(expectations(ISSUER, Some(86_400), true).with_resource(Some(MCP.to_owned())))
}

/// An authorization of public client `c1` naming `resources`, answered with the code
/// `random(code)`.
fn authorize(run: &mut Checked, resources: &[&str], code: &str) -> Vec<Violation> {
    let extra: Vec<(&str, &str)> = resources.iter().map(|r| ("resource", *r)).collect();
    run.code_with("c1", Some(CB), &random(code), &extra)
}

/// A code and tokens (tagged `tag`) requested for `resource` at both steps; the violations of
/// showing the access token to the protected resource, which accepts it.
fn shown_when_issued_for(run: &mut Checked, resource: &str, tag: &str) -> Vec<Violation> {
    let code = format!("code{tag}");
    assert!(authorize(run, &[resource], &code).is_empty());
    assert!(exchange(run, &code, &[resource], tokens(tag)).is_empty());
    run.resource(&access(tag), accepted())
}

/// The exchange of the code `random(code)` naming `resources`, answered with `answer`.
fn exchange(run: &mut Checked, code: &str, resources: &[&str], answer: Output) -> Vec<Violation> {
    let code = random(code);
    let code = code.as_str();
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", "c1"),
        ("code", code),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
    ];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    run.token(&form, answer)
}

/// The access token of [`tokens`]`(tag)`.
fn access(tag: &str) -> String {
    let out = tokens(tag);
    let v: Value = serde_json::from_str(&out.body).unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

fn accepted() -> Output {
    json_out(200, json!({"ok": true}))
}

fn refused() -> Output {
    let mut o = json_out(401, json!({"error": "invalid_token"}));
    o.headers.push((
        "www-authenticate".into(),
        "Bearer error=\"invalid_token\"".into(),
    ));
    o
}

/// MCP authorization 2025-11-25, Token Handling: "MCP servers MUST validate that access tokens
/// were issued specifically for them as the intended audience, according to RFC 8707 Section 2."
/// A token requested only for another server's resource, accepted, is a FAIL; refused, a check
/// kept.
#[test]
fn a_token_requested_for_another_resource_must_not_be_accepted() {
    let mut run = checked();
    run.register("c1", &[CB], "none");
    assert!(authorize(&mut run, &[OTHER], "code1").is_empty());
    assert!(exchange(&mut run, "code1", &[OTHER], tokens("1")).is_empty());
    let v = run.resource(&access("1"), accepted());
    assert!(has(&v, "token-audience"), "{v:?}");
    assert!(!has(&v, "resource-fixed"), "{v:?}");
    // Requested at /authorize only: the token request named none, the grant's counts.
    assert!(authorize(&mut run, &[OTHER], "code2").is_empty());
    assert!(exchange(&mut run, "code2", &[], tokens("2")).is_empty());
    assert!(has(
        &run.resource(&access("2"), accepted()),
        "token-audience"
    ));
    let before = run.checks("token-audience");
    let v = run.resource(&access("2"), refused());
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(run.checks("token-audience"), before + 1);
}

/// RFC 8707 §2.1: without `resource` the server "MAY process the request with no specific
/// resource or by using a predefined default resource value": such a token is not judged. One
/// requested for this resource (in another spelling of its scheme and host, or for the base URI
/// it lies under: §2, "SHOULD use the base URI of the API") is accepted rightly.
#[test]
fn a_token_for_this_resource_or_for_none_is_no_violation() {
    let mut run = checked();
    run.register("c1", &[CB], "none");
    assert!(authorize(&mut run, &[], "code0").is_empty());
    assert!(exchange(&mut run, "code0", &[], tokens("0")).is_empty());
    assert!(run.resource(&access("0"), accepted()).is_empty());
    assert_eq!(run.checks("token-audience"), 0);
    for (i, resource) in [
        MCP,
        "HTTP://127.0.0.1:28800/mcp",
        "http://127.0.0.1:28800/",
        "http://127.0.0.1:28800",
        "http://127.0.0.1:28800/mcp?tenant=a",
    ]
    .into_iter()
    .enumerate()
    {
        let v = shown_when_issued_for(&mut run, resource, &format!("{i}x"));
        assert!(v.is_empty(), "{resource}: {v:?}");
    }
    assert_eq!(run.checks("token-audience"), 5);
    // Another path on the same origin, or the same path elsewhere, is another resource.
    for (i, resource) in [
        "http://127.0.0.1:28800/other",
        "http://127.0.0.1:28800/mcpx",
        "http://127.0.0.1:28801/mcp",
        "https://127.0.0.1:28800/mcp",
        "not a url",
    ]
    .into_iter()
    .enumerate()
    {
        let v = shown_when_issued_for(&mut run, resource, &format!("{i}y"));
        assert!(has(&v, "token-audience"), "{resource}: {v:?}");
    }
}

/// RFC 8707 §2: "The authorization server SHOULD audience-restrict issued access tokens to the
/// resource(s) indicated by the "resource" parameter." A grant for this resource refreshed for
/// another: the new token, accepted here, breaks `resource-fixed` (not `token-audience`, whose
/// MUST may not be the one broken); refused as `invalid_target`, it counts as kept.
#[test]
fn a_refresh_for_another_resource_than_its_grants_is_resource_fixed() {
    let mut run = checked();
    run.register("c1", &[CB], "none");
    assert!(authorize(&mut run, &[MCP], "code1").is_empty());
    assert!(exchange(&mut run, "code1", &[], tokens("1")).is_empty());
    let rt = serde_json::from_str::<Value>(&tokens("1").body).unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", "c1"),
        ("refresh_token", rt.as_str()),
        ("resource", OTHER),
    ];
    let v = run.token(&refresh, json_out(400, json!({"error": "invalid_target"})));
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(run.checks("resource-fixed"), 1);
    assert!(run.token(&refresh, tokens("2")).is_empty());
    let v = run.resource(&access("2"), accepted());
    assert!(has(&v, "resource-fixed"), "{v:?}");
    assert!(!has(&v, "token-audience"), "{v:?}");
    // The same change at the code exchange.
    assert!(authorize(&mut run, &[MCP], "code3").is_empty());
    assert!(exchange(&mut run, "code3", &[OTHER], tokens("3")).is_empty());
    assert!(has(
        &run.resource(&access("3"), accepted()),
        "resource-fixed"
    ));
}

/// Tokens shown to an introspection endpoint (`audit --introspection`) say nothing of an
/// audience: neither rule is judged.
#[test]
fn without_a_protected_resource_no_audience_is_judged() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    run.register("c1", &[CB], "none");
    assert!(authorize(&mut run, &[OTHER], "code1").is_empty());
    assert!(exchange(&mut run, "code1", &[OTHER], tokens("1")).is_empty());
    assert!(run.resource(&access("1"), accepted()).is_empty());
    assert_eq!(run.checks("token-audience"), 0);
}

// --- The model -----------------------------------------------------------------------------

const AT: UnixMillis = UnixMillis(1_795_680_000_000);

/// A server under `profile` with public client `cb`-registered; its id.
fn server(profile: Profile) -> (AuthServer, String, String) {
    let config = Config::for_profile(&profile);
    let own = config.resource_url();
    let server = AuthServer::new(config, profile).unwrap();
    let body = json!({"redirect_uris": [CB], "token_endpoint_auth_method": "none"});
    let (server, out) = server.step(
        AT,
        Event::Register(RegisterRequest {
            body: body.to_string(),
        }),
    );
    let v: Value = serde_json::from_str(&out.body).unwrap();
    (server, v["client_id"].as_str().unwrap().to_owned(), own)
}

fn model_authorize(server: AuthServer, id: &str, resources: &[&str]) -> (AuthServer, Output) {
    let challenge = s256_challenge(VERIFIER);
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", id),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("redirect_uri", CB),
        ("state", "st"),
    ];
    p.extend(resources.iter().map(|r| ("resource", *r)));
    server.step(
        AT,
        Event::Authorize(AuthorizeRequest {
            method: AuthorizeMethod::Get,
            params: Params::from_pairs(p),
        }),
    )
}

fn model_token(server: AuthServer, form: &[(&str, &str)]) -> (AuthServer, Output) {
    server.step(
        AT,
        Event::Token(TokenRequest {
            form: Params::from_pairs(form.iter().copied()),
            authorization: None,
        }),
    )
}

fn query_value(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn member(out: &Output, name: &str) -> String {
    let v: Value = serde_json::from_str(&out.body).unwrap();
    v[name].as_str().unwrap_or_default().to_owned()
}

/// `oauth21` refuses another server's resource with `invalid_target` at each step (by redirect,
/// with `iss`, at `/authorize`: RFC 8707 §2 names it an authorization error too), consumes
/// nothing when it does, and serves its own resource, named once or twice.
#[test]
fn oauth21_binds_every_grant_to_its_resource() {
    let (s, id, own) = server(Profile::oauth21());
    let (s, out) = model_authorize(s, &id, &[OTHER]);
    let location = out.header("location").unwrap().to_owned();
    assert_eq!(out.status, 302);
    assert_eq!(
        query_value(&location, "error").as_deref(),
        Some("invalid_target")
    );
    assert!(query_value(&location, "iss").is_some(), "{location}");
    assert!(query_value(&location, "code").is_none(), "{location}");
    let (s, out) = model_authorize(s, &id, &[&own, &own]);
    let code = query_value(out.header("location").unwrap(), "code").unwrap();
    let (s, out) = model_token(s, &exchange_form(&id, &code, OTHER));
    assert_eq!(
        (out.status, member(&out, "error").as_str()),
        (400, "invalid_target")
    );
    let (s, out) = model_token(s, &exchange_form(&id, &code, &own));
    assert_eq!(
        out.status, 200,
        "the refused exchange consumed the code: {}",
        out.body
    );
    let rt = member(&out, "refresh_token");
    let refresh = |resource: &str| {
        model_token(
            s.clone(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", id.as_str()),
                ("refresh_token", rt.as_str()),
                ("resource", resource),
            ],
        )
        .1
    };
    let out = refresh(OTHER);
    assert_eq!(
        (out.status, member(&out, "error").as_str()),
        (400, "invalid_target")
    );
    assert_eq!(refresh(&own).status, 200);
}

/// FastMCP 4.2.3 ignores `resource` (D-24): another server's resource gets a code and tokens.
#[test]
fn fastmcp_ignores_resource_indicators() {
    let (s, id, _) = server(Profile::fastmcp());
    let (s, out) = model_authorize(s, &id, &[OTHER]);
    let code = query_value(out.header("location").unwrap(), "code").unwrap();
    let (_, out) = model_token(s, &exchange_form(&id, &code, OTHER));
    assert_eq!(out.status, 200, "{}", out.body);
}

/// A code exchange by public client `id` naming `resource`.
fn exchange_form<'a>(id: &'a str, code: &'a str, resource: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("client_id", id),
        ("code", code),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
        ("resource", resource),
    ]
}
