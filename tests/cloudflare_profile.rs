//! The `cloudflare` profile's grant store and token endpoint, each behaviour as Cloudflare's
//! workers-oauth-provider 1.2.3 shows it over HTTP (`docs/cloudflare-behaviour.md`, the exchange
//! named in each test), against the `oauth21` profile where the two differ.
#![allow(clippy::unwrap_used)]

mod common;

use common::{CB, Harness, TestClient, VERIFIER, basic_header, bearer, body_str, error_of};
use oauth_oracle::{AuthorizeMethod, Event, Output, Profile, s256_challenge};
use serde_json::Value;

/// An S256 authorization for `client` at `redirect`, with `extra` parameters.
fn authorize(
    h: &mut Harness,
    client: &TestClient,
    redirect: &str,
    extra: &[(&str, &str)],
) -> Output {
    let challenge = s256_challenge(VERIFIER);
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", redirect),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    p.extend_from_slice(extra);
    h.authorize(AuthorizeMethod::Get, &p)
}

/// The code of a successful authorization.
fn code(h: &mut Harness, client: &TestClient) -> String {
    let out = authorize(h, client, CB, &[("scope", "read write")]);
    common::location_param(&out, "code").unwrap_or_else(|| panic!("no code: {out:?}"))
}

/// `(access, refresh)` of a 200 token answer.
fn pair(out: &Output) -> (String, String) {
    assert_eq!(out.status, 200, "{}", out.body);
    (
        body_str(out, "access_token").unwrap(),
        body_str(out, "refresh_token").unwrap(),
    )
}

/// Tokens for a new authorization of `client`.
fn tokens(h: &mut Harness, client: &TestClient) -> (String, String) {
    let c = code(h, client);
    let out = h.exchange(client, &c);
    pair(&out)
}

fn accepted(h: &mut Harness, access: &str) -> bool {
    let out = h.resource(&[&bearer(access)]);
    assert!(matches!(out.status, 200 | 401), "{}", out.status);
    out.status == 200
}

fn refresh_error(out: &Output) -> String {
    assert_eq!(out.status, 400, "{}", out.body);
    error_of(out).0
}

/// A `cloudflare` server whose access tokens live `access` and grants `refresh` seconds.
fn with_lifetimes(access: u64, refresh: u64) -> Harness {
    let profile = Profile::cloudflare();
    let mut config = oauth_oracle::Config::for_profile(&profile);
    config.lifetimes.access = access;
    config.lifetimes.refresh = Some(refresh);
    Harness {
        server: Some(oauth_oracle::AuthServer::new(config, profile).unwrap()),
        now: common::T0,
        log: Vec::new(),
    }
}

fn public(h: &mut Harness) -> TestClient {
    h.register("none", Some("read write"))
}

/// Revocation as Cloudflare serves it: `POST /token` with `token=` and no `grant_type`.
fn revoke_at_token_endpoint(h: &mut Harness, client: &TestClient, token: &str) -> Output {
    h.token(&[("client_id", client.id.as_str()), ("token", token)], None)
}

/// S-42 … S-44: a second authorization of the same client revokes its earlier grants with their
/// tokens, and an unused code with them; another client's grant lives on. `oauth21` keeps them.
#[test]
fn a_new_authorization_revokes_the_clients_earlier_grants() {
    let mut h = Harness::with_profile(Profile::cloudflare());
    let c = public(&mut h);
    let other = public(&mut h);
    let (a1, r1) = tokens(&mut h, &c);
    let (a_other, _) = tokens(&mut h, &other);
    let unused = code(&mut h, &c);
    assert!(
        !accepted(&mut h, &a1),
        "the first grant's access token died"
    );
    let out = h.refresh(&c, &r1, None);
    assert_eq!(refresh_error(&out), "invalid_grant");
    let (a2, _) = tokens(&mut h, &c);
    let out = h.exchange(&c, &unused);
    assert_eq!(refresh_error(&out), "invalid_grant", "the unused code died");
    assert!(accepted(&mut h, &a2));
    assert!(
        accepted(&mut h, &a_other),
        "another client's grant lives on"
    );

    let mut strict = Harness::with_profile(Profile::oauth21());
    let c = public(&mut strict);
    let (a1, _) = tokens(&mut strict, &c);
    let _ = code(&mut strict, &c);
    assert!(accepted(&mut strict, &a1));
}

/// S-31 … S-37: two refresh tokens are usable per grant, the last one presented and the newest
/// one issued; earlier access tokens survive a refresh; a dead refresh token revokes nothing.
#[test]
fn a_refresh_leaves_the_presented_token_usable_until_the_new_one_is_used() {
    let mut h = Harness::with_profile(Profile::cloudflare());
    let c = public(&mut h);
    let (a1, r1) = tokens(&mut h, &c);
    let (a2, r2) = pair(&h.refresh(&c, &r1, None));
    let (a3, r3) = pair(&h.refresh(&c, &r1, None));
    assert_eq!(refresh_error(&h.refresh(&c, &r2, None)), "invalid_grant");
    for a in [&a1, &a2, &a3] {
        assert!(accepted(&mut h, a), "earlier access tokens survive");
    }
    let (a4, _) = pair(&h.refresh(&c, &r3, None));
    assert_eq!(refresh_error(&h.refresh(&c, &r1, None)), "invalid_grant");
    assert!(
        accepted(&mut h, &a4),
        "a dead refresh token revokes nothing"
    );

    let mut strict = Harness::with_profile(Profile::oauth21());
    let c = public(&mut strict);
    let (a1, r1) = tokens(&mut strict, &c);
    let _ = pair(&strict.refresh(&c, &r1, None));
    assert_eq!(
        refresh_error(&strict.refresh(&c, &r1, None)),
        "invalid_grant"
    );
    assert!(!accepted(&mut strict, &a1));
}

/// S-50 … S-58: revocation is served at the token endpoint; an access token dies alone, a
/// refresh token (the previous one too) takes its whole grant; another client's token is
/// answered 200 and left alone.
#[test]
fn revocation_at_the_token_endpoint_ends_one_access_token_or_a_whole_grant() {
    let mut h = Harness::with_profile(Profile::cloudflare());
    let meta = h.send(Event::AuthorizationServerMetadata);
    let meta: Value = serde_json::from_str(&meta.body).unwrap();
    assert_eq!(meta["revocation_endpoint"], meta["token_endpoint"]);
    let c = public(&mut h);
    let other = public(&mut h);
    let (a1, r1) = tokens(&mut h, &c);
    let out = revoke_at_token_endpoint(&mut h, &other, &a1);
    assert_eq!(out.status, 200);
    assert!(accepted(&mut h, &a1), "another client revokes nothing");
    let out = revoke_at_token_endpoint(&mut h, &c, &a1);
    assert_eq!((out.status, out.body.as_str()), (200, ""));
    assert!(!accepted(&mut h, &a1));
    let (a2, r2) = pair(&h.refresh(&c, &r1, None));
    assert!(revoke_at_token_endpoint(&mut h, &c, &r1).status == 200);
    assert!(
        !accepted(&mut h, &a2),
        "the grant died with its previous refresh token"
    );
    assert_eq!(refresh_error(&h.refresh(&c, &r2, None)), "invalid_grant");
    let out = revoke_at_token_endpoint(&mut h, &c, "never-issued");
    assert_eq!(out.status, 200);
}

/// S-26 … S-28, S-67: a replay of a used code by its own client revokes the grant, even with a
/// wrong verifier; `oauth21` revokes only on a replay with the right one.
#[test]
fn a_replay_by_its_client_revokes_the_grant_whatever_its_verifier() {
    for (profile, revoked) in [(Profile::cloudflare(), true), (Profile::oauth21(), false)] {
        let name = profile.name.clone();
        let mut h = Harness::with_profile(profile);
        let c = public(&mut h);
        let code = code(&mut h, &c);
        let (a1, _) = pair(&h.exchange(&c, &code));
        let replay = h.token(
            &[
                ("grant_type", "authorization_code"),
                ("client_id", c.id.as_str()),
                ("code", code.as_str()),
                ("redirect_uri", CB),
                (
                    "code_verifier",
                    "a-wrong-verifier-a-wrong-verifier-a-wrong-verifier",
                ),
            ],
            None,
        );
        assert_eq!(refresh_error(&replay), "invalid_grant", "{name}");
        assert_eq!(accepted(&mut h, &a1), !revoked, "{name}");
    }
}

/// S-46, S-70, X-7: a client named in `Basic` and in the form is refused as two authentication
/// methods; `Basic` alone names the client.
#[test]
fn basic_alone_names_the_client_and_basic_with_a_form_id_is_refused() {
    let mut h = Harness::with_profile(Profile::cloudflare());
    let c = h.register("client_secret_basic", Some("read write"));
    let basic = basic_header(&c);
    let code = code(&mut h, &c);
    let form = |with_id: bool| {
        let mut f = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ];
        if with_id {
            f.push(("client_id", c.id.as_str()));
        }
        f
    };
    let twice = h.token(&form(true), basic.as_deref());
    assert_eq!(twice.status, 400);
    assert_eq!(error_of(&twice).0, "invalid_request");
    let alone = h.token(&form(false), basic.as_deref());
    let _ = pair(&alone);
}

/// S-36, S-39: a refresh's scope narrows the new access token to the requested scopes the grant
/// has; only a request for none of them is `invalid_scope`; the grant keeps its scope.
#[test]
fn a_refresh_scope_narrows_the_answer_and_the_grant_keeps_its_scope() {
    let mut h = Harness::with_profile(Profile::cloudflare());
    let c = public(&mut h);
    let (_, r1) = tokens(&mut h, &c);
    let out = h.refresh(&c, &r1, Some("read admin"));
    assert_eq!(body_str(&out, "scope").as_deref(), Some("read"));
    let (_, r2) = pair(&out);
    let out = h.refresh(&c, &r2, None);
    assert_eq!(body_str(&out, "scope").as_deref(), Some("read write"));
    let (_, r3) = pair(&out);
    let out = h.refresh(&c, &r3, Some("admin"));
    assert_eq!(out.status, 400);
    assert_eq!(error_of(&out).0, "invalid_scope");
}

/// S-61, S-76, S-85 and the live diff's redirect class: a loopback redirect URI matches as a
/// parsed URL (case of scheme and host, any port), not `localhost` for `127.0.0.1`; a
/// confidential client may leave PKCE out, then needs `redirect_uri` at the token endpoint.
#[test]
fn loopback_uris_match_as_parsed_urls_and_confidential_clients_may_skip_pkce() {
    let mut h = Harness::with_profile(Profile::cloudflare());
    let c = public(&mut h);
    for (uri, issued) in [
        ("HTTP://LOCALHOST:1234/cb", true),
        ("http://localhost/cb", true),
        ("http://localhost:9999/CB", false),
        ("http://127.0.0.1:9999/cb", false),
    ] {
        let out = authorize(&mut h, &c, uri, &[]);
        assert_eq!(
            common::location_param(&out, "code").is_some(),
            issued,
            "{uri}"
        );
    }
    let secret = h.register("client_secret_post", Some("read"));
    let s = secret.secret.clone().unwrap();
    let out = h.authorize(
        AuthorizeMethod::Get,
        &[
            ("response_type", "code"),
            ("client_id", secret.id.as_str()),
            ("redirect_uri", CB),
        ],
    );
    let code = common::location_param(&out, "code").expect("a code without PKCE");
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", secret.id.as_str()),
        ("client_secret", s.as_str()),
        ("code", code.as_str()),
    ];
    let out = h.token(&form, None);
    assert_eq!(
        error_of(&out).0,
        "invalid_request",
        "redirect_uri required without PKCE"
    );
    form.push(("redirect_uri", CB));
    let _ = pair(&h.token(&form, None));
    // A public client still needs a challenge.
    let out = h.authorize(
        AuthorizeMethod::Get,
        &[
            ("response_type", "code"),
            ("client_id", c.id.as_str()),
            ("redirect_uri", CB),
        ],
    );
    assert_eq!(
        common::location_param(&out, "error").as_deref(),
        Some("invalid_request")
    );
}

/// E-4, B: refresh tokens share the grant's expiry, fixed at the exchange; a refresh is refused
/// as expired once fewer than 60 s are left (whole seconds), with nothing revoked; the access
/// token a refresh issues lives no longer than what is left, the exchange's is not capped.
/// Access tokens 100 s, grants 120 s.
#[test]
fn a_grant_expires_as_a_whole_and_refuses_refreshes_in_its_last_minute() {
    let mut h = with_lifetimes(100, 120);
    let c = public(&mut h);
    let c0 = code(&mut h, &c);
    let out = h.exchange(&c, &c0);
    let expires_in =
        |out: &Output| serde_json::from_str::<Value>(&out.body).unwrap()["expires_in"].as_u64();
    assert_eq!(
        expires_in(&out),
        Some(100),
        "the exchange's access token is not capped"
    );
    let (a0, r0) = pair(&out);
    h.advance(35_000);
    let out = h.refresh(&c, &r0, None);
    assert_eq!(expires_in(&out), Some(85), "85 s of the grant left");
    let (_, r1) = pair(&out);
    h.advance(25_000);
    let out = h.refresh(&c, &r1, None);
    assert_eq!(expires_in(&out), Some(60), "60 s left: still refreshed");
    let (_, r2) = pair(&out);
    h.advance(1_000);
    let out = h.refresh(&c, &r2, None);
    assert_eq!(refresh_error(&out), "invalid_grant", "59 s left: expired");
    assert!(
        accepted(&mut h, &a0),
        "nothing revoked: the first access token lives 100 s"
    );
}

/// A registration that names no method (the library's `authMethodExplicit` unset): the answer
/// says `client_secret_basic` (RFC 7591 §2's default) and `authorization_code` alone, and the
/// secret works in the header or in the form. FastMCP registers it as `client_secret_post`.
#[test]
fn a_client_that_names_no_method_may_use_either_secret_method() {
    let body = r#"{"redirect_uris":["http://localhost:9999/cb"]}"#;
    let mut h = Harness::with_profile(Profile::cloudflare());
    let out = h.register_raw(body);
    let v: Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(v["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(v["grant_types"], serde_json::json!(["authorization_code"]));
    let id = v["client_id"].as_str().unwrap().to_owned();
    let secret = v["client_secret"].as_str().unwrap().to_owned();
    let basic = {
        use base64::Engine as _;
        let raw = format!("{id}:{secret}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    };
    for (form, header) in [
        (
            vec![
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
            ],
            None,
        ),
        (vec![], Some(basic.as_str())),
    ] {
        let mut f = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", "user:x:y"),
        ];
        f.extend(form);
        let out = h.token(&f, header);
        // Authenticated: the refusal is about the refresh token, not the client.
        assert_eq!(error_of(&out).0, "invalid_grant", "{}", out.body);
    }
    let out = h.token(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "user:x:y"),
            ("client_id", id.as_str()),
            ("client_secret", "wrong"),
        ],
        None,
    );
    assert_eq!(error_of(&out).0, "invalid_client", "{}", out.body);
    let mut h = Harness::new();
    let v: Value = serde_json::from_str(&h.register_raw(body).body).unwrap();
    assert_eq!(v["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(
        v["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
}

/// A refresh token in its grant's last minute is refused for a refresh ("Refresh token has
/// expired") but still revoked with its grant at the token endpoint, and past the grant's
/// expiry the grant is gone ("Grant not found"): found by `diff` at the 60 s minimum
/// lifetimes (`docs/cloudflare-behaviour.md` §9).
#[test]
fn a_refresh_token_in_its_last_minute_is_still_revoked_with_its_grant() {
    let mut h = with_lifetimes(60, 120);
    let c = public(&mut h);
    let other = public(&mut h);
    let c0 = code(&mut h, &c);
    let (_, r0) = pair(&h.exchange(&c, &c0));
    let c1 = code(&mut h, &other);
    let (_, r1) = pair(&h.exchange(&other, &c1));
    h.advance(61_500);
    let description = |o: &Output| error_of(o).1;
    assert_eq!(
        description(&h.refresh(&c, &r0, None)),
        "Refresh token has expired"
    );
    assert_eq!(revoke_at_token_endpoint(&mut h, &c, &r0).status, 200);
    assert_eq!(description(&h.refresh(&c, &r0, None)), "Grant not found");
    // The other grant, not revoked, outlives its expiry by nothing.
    assert_eq!(
        description(&h.refresh(&other, &r1, None)),
        "Refresh token has expired"
    );
    h.advance(60_000);
    assert_eq!(
        description(&h.refresh(&other, &r1, None)),
        "Grant not found"
    );
}
