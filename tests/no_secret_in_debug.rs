//! `Debug` never shows secret material: after a full flow (a confidential client registered,
//! authorized, its code exchanged, its refresh token used), formatting the server and every
//! type that remembers what it issued, with `{:?}` and `{:#?}`, shows none of the client
//! secrets, codes, access or refresh tokens (nor the random hex inside them, nor the code
//! verifier). The events and outputs themselves are the trace's content and carry them by
//! design; they are not formatted here.
#![allow(clippy::unwrap_used)]

mod common;

use common::{CB, Harness, TestClient, VERIFIER, body_str, location_param};
use oauth_oracle::invariant::{Checker, Expectations};
use oauth_oracle::provider::OAuthToken;
use oauth_oracle::summary::Redactor;
use oauth_oracle::trace::Resolver;
use oauth_oracle::{AuthorizeMethod, Output};

/// A server after a full flow for a `client_secret_post` and a `client_secret_basic` client,
/// and every secret value it issued (with the hex part of each prefixed value).
fn full_flow() -> (Harness, Vec<TestClient>, Vec<String>) {
    let mut h = Harness::new();
    let mut secrets = Vec::new();
    let mut clients = Vec::new();
    for method in ["client_secret_post", "client_secret_basic"] {
        let client = h.register(method, Some("read write"));
        secrets.push(client.secret.clone().unwrap());
        let code = h.code_for(&client, Some("read write"));
        secrets.push(code.clone());
        let tokens = h.exchange(&client, &code);
        assert_eq!(tokens.status, 200, "{}", tokens.body);
        let refresh = body_str(&tokens, "refresh_token").unwrap();
        secrets.push(body_str(&tokens, "access_token").unwrap());
        secrets.push(refresh.clone());
        let rotated = h.refresh(&client, &refresh, Some("read"));
        assert_eq!(rotated.status, 200, "{}", rotated.body);
        secrets.push(body_str(&rotated, "access_token").unwrap());
        secrets.push(body_str(&rotated, "refresh_token").unwrap());
        // A code left unredeemed stays in the store.
        let pending = h.authorize(
            AuthorizeMethod::Get,
            &[
                ("response_type", "code"),
                ("client_id", client.id.as_str()),
                ("redirect_uri", CB),
                ("code_challenge", &oauth_oracle::s256_challenge(VERIFIER)),
            ],
        );
        secrets.push(location_param(&pending, "code").unwrap());
        clients.push(client);
    }
    // The random part of each prefixed value (`test_access_token_<hex>`, …) is as secret.
    let hex: Vec<String> = secrets
        .iter()
        .filter_map(|s| s.rsplit('_').next().filter(|h| h.len() >= 32))
        .map(str::to_owned)
        .collect();
    secrets.extend(hex);
    secrets.push(VERIFIER.to_owned());
    (h, clients, secrets)
}

/// Panic if `text` (the `Debug` of `what`) shows any of `secrets`.
fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    assert!(!text.is_empty(), "{what}: empty Debug");
    for s in secrets {
        assert!(
            !text.contains(s.as_str()),
            "{what}: Debug shows the secret value {s:?}:\n{text}"
        );
    }
}

/// Both `{:?}` and `{:#?}` of `value`.
fn assert_debug_clean(what: &str, value: &impl std::fmt::Debug, secrets: &[String]) {
    assert_clean(what, &format!("{value:?}"), secrets);
    assert_clean(&format!("{what} (pretty)"), &format!("{value:#?}"), secrets);
}

#[test]
fn server_debug_shows_no_secret() {
    let (mut h, clients, secrets) = full_flow();
    let server = h.server.as_mut().unwrap();
    assert_debug_clean("AuthServer", server, &secrets);
    assert_debug_clean("Provider", server.provider(), &secrets);
    for client in &clients {
        let record = server.provider().get_client(&client.id).unwrap();
        // The record is there (the registration JSON holds the secret)...
        assert!(
            record
                .record_json
                .contains(client.secret.as_deref().unwrap())
        );
        // ...and its `Debug` does not show it.
        assert_debug_clean("Client", &record, &secrets);
    }
}

#[test]
fn token_response_debug_shows_no_token() {
    let (h, _, secrets) = full_flow();
    let (_, _, out) = h
        .log
        .iter()
        .find(|(_, _, out)| out.body.contains("access_token"))
        .unwrap();
    let token = OAuthToken {
        access_token: body_str(out, "access_token").unwrap(),
        token_type: "Bearer",
        expires_in: 3600,
        scope: body_str(out, "scope").unwrap(),
        refresh_token: body_str(out, "refresh_token").unwrap(),
    };
    let text = format!("{token:?}");
    assert_debug_clean("OAuthToken", &token, &secrets);
    assert!(text.contains("expires_in: 3600"), "{text}");
}

#[test]
fn checker_debug_shows_no_secret() {
    let (h, _, secrets) = full_flow();
    let mut checker = Checker::new(Expectations::from_config(
        h.server.as_ref().unwrap().config(),
    ));
    for (i, (at, event, out)) in h.log.iter().enumerate() {
        // FastMCP breaks a SHOULD here (no `no-store` on registration, D-11); the ledger is what
        // matters.
        let _ = checker.observe(i + 1, *at, event, out);
    }
    assert_debug_clean("Checker", &checker, &secrets);
}

#[test]
fn redactor_debug_shows_labels_not_values() {
    let (h, _, secrets) = full_flow();
    let mut redactor = Redactor::new();
    for (_, event, out) in &h.log {
        let _ = redactor.event(event);
        let _ = redactor.output(out);
    }
    let text = format!("{redactor:?}");
    assert!(text.contains("<secret#1>"), "{text}");
    assert_debug_clean("Redactor", &redactor, &secrets);
}

#[test]
fn resolver_debug_shows_no_secret() {
    let (h, _, secrets) = full_flow();
    let outputs: Vec<Output> = h.log.iter().map(|(_, _, out)| out.clone()).collect();
    // Steps 1-5: register, authorize, exchange, refresh, authorize (the first client).
    let refs = serde_json::json!({
        "kind": "token",
        "form": [
            ["grant_type", "refresh_token"],
            ["client_id", {"ref": 1, "field": "client_id"}],
            ["client_secret", {"ref": 1, "field": "client_secret"}],
            ["refresh_token", {"ref": 4, "field": "refresh_token"}],
            ["code", {"ref": 2, "field": "code"}],
            ["access_token", {"ref": 3, "field": "access_token"}]
        ]
    });
    let event: oauth_oracle::trace::EventExpr = serde_json::from_value(refs).unwrap();
    let mut resolver = Resolver::new();
    resolver.resolve(event, &outputs, 7).unwrap();
    assert_debug_clean("Resolver", &resolver, &secrets);
}

#[test]
fn events_debug_shows_no_credential() {
    let (mut h, clients, mut secrets) = full_flow();
    // A bearer request and a revocation, so every event kind that carries credentials is seen.
    let (_, _, tokens) = h
        .log
        .iter()
        .rfind(|(_, _, out)| out.body.contains("access_token"))
        .unwrap()
        .clone();
    let access = body_str(&tokens, "access_token").unwrap();
    let bearer = format!("Bearer {access}");
    assert_eq!(h.resource(&[bearer.as_str()]).status, 200);
    let basic = common::basic_header(&clients[1]).unwrap();
    let revoked = h.revoke(
        &[
            ("client_id", clients[1].id.as_str()),
            ("client_secret", clients[1].secret.as_deref().unwrap()),
            ("token", access.as_str()),
        ],
        Some(basic.as_str()),
    );
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    // The Basic credentials are as secret as the values inside them.
    secrets.push(basic.trim_start_matches("Basic ").to_owned());
    for (i, (_, event, _)) in h.log.iter().enumerate() {
        assert_debug_clean(&format!("event {}", i + 1), event, &secrets);
    }
    // Parameters that are not credentials stay readable.
    let (_, exchange, _) = &h.log[2];
    let text = format!("{exchange:?}");
    assert!(
        text.contains("\"grant_type\", \"authorization_code\""),
        "{text}"
    );
    assert!(text.contains(&clients[0].id), "{text}");
}
