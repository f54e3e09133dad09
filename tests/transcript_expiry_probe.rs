//! Fidelity: the live expiry probe (`docs/transcripts.md` §4.2, rows E1–E8, code TTL 2 s,
//! access TTL 2 s, refresh TTL 6 s) and the exact expiry boundaries of
//! `docs/fastmcp-behaviour.md` §6 (strict `expires_at < now`; codes keep milliseconds, access
//! tokens are truncated to whole seconds; an expired access token takes its refresh token with
//! it, D-1).
#![allow(clippy::unwrap_used)]

mod common;

use common::shapes::normalize;
use common::{Harness, TestClient, bearer, body_str};
use oauth_oracle::output::Reason;
use oauth_oracle::provider::ClientKey;
use oauth_oracle::{Config, Lifetimes, Output, UnixMillis};

// ---------------------------------------------------------------------------------------------
// Shapes and placeholders

// ---------------------------------------------------------------------------------------------
// Expected answers

const INVALID_TOKEN_DESCRIPTION: &str = "Authentication failed. The provided bearer token is invalid, expired, or no longer recognized by the server. To resolve: clear authentication tokens in your MCP client and reconnect. Your client should automatically re-register and obtain new tokens.";

const MODELLED_HEADERS: [&str; 5] = [
    "content-type",
    "cache-control",
    "pragma",
    "location",
    "www-authenticate",
];

const TOKEN_HEADERS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    ("pragma", "no-cache"),
    ("content-type", "application/json"),
];

fn assert_row(row: &str, out: &Output, status: u16, headers: &[(&str, &str)], body: &str) {
    assert_eq!(out.status, status, "{row}: status; body {}", out.body);
    for name in MODELLED_HEADERS {
        let expected = headers.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        assert_eq!(
            out.header(name),
            expected,
            "{row}: header {name} (all: {:?})",
            out.headers
        );
    }
    assert_eq!(normalize(&out.body), body, "{row}: body");
}

fn assert_token_ok(row: &str, out: &Output, expires_in: u64, scope: &str) {
    let body = format!(
        r#"{{"access_token":"test_access_token_<64hex>","token_type":"Bearer","expires_in":{expires_in},"scope":"{scope}","refresh_token":"test_refresh_token_<64hex>"}}"#
    );
    assert_row(row, out, 200, TOKEN_HEADERS, &body);
}

fn assert_invalid_grant(row: &str, out: &Output, description: &str) {
    let body = serde_json::json!({"error": "invalid_grant", "error_description": description});
    assert_row(row, out, 401, TOKEN_HEADERS, &body.to_string());
}

fn assert_bearer_rejected(row: &str, out: &Output, base: &str) {
    let challenge = format!(
        r#"Bearer error="invalid_token", error_description="{INVALID_TOKEN_DESCRIPTION}", resource_metadata="{base}/.well-known/oauth-protected-resource/mcp""#
    );
    let body = format!(
        r#"{{"error": "invalid_token", "error_description": "{INVALID_TOKEN_DESCRIPTION}"}}"#
    );
    assert_row(
        row,
        out,
        401,
        &[
            ("content-type", "application/json"),
            ("www-authenticate", challenge.as_str()),
        ],
        &body,
    );
}

fn access_of(out: &Output) -> String {
    body_str(out, "access_token").unwrap_or_else(|| panic!("no access_token in {}", out.body))
}

fn refresh_of(out: &Output) -> String {
    body_str(out, "refresh_token").unwrap_or_else(|| panic!("no refresh_token in {}", out.body))
}

fn client_key(c: &TestClient) -> ClientKey {
    ClientKey(oauth_oracle::ValueFormat::Uuid4.parse(&c.id).unwrap())
}

/// A copy of the server's provider layer, to call FastMCP's in-process API on without changing
/// the server (a load deletes an expired record).
fn provider(h: &Harness) -> oauth_oracle::provider::Provider {
    h.server.as_ref().unwrap().provider().clone()
}

// ---------------------------------------------------------------------------------------------
// §4.2: the expiry probe (port 8766: CODE_TTL=2 ACCESS_TTL=2 REFRESH_TTL=6)

const SECOND: u64 = 1000;
/// Wall time between two requests of the probe that do not wait.
const STEP_MS: u64 = 10;

fn expiry_config() -> Config {
    Config {
        base_url: "http://127.0.0.1:8766".to_owned(),
        lifetimes: Lifetimes {
            code: 2,
            access: 2,
            refresh: Some(6),
        },
        ..Config::default()
    }
}

/// The answers of E1–E8, in order.
struct ExpiryProbe {
    e: [Output; 8],
    issued_at: u64,
}

fn run_expiry_probe() -> ExpiryProbe {
    let mut h = Harness::with(expiry_config());
    let issued_at = h.now / 1000;

    // E1: register (client_secret_post, scope read).
    let e1 = h.register_raw(
        r#"{"redirect_uris":["http://localhost:9999/cb"],"scope":"read","token_endpoint_auth_method":"client_secret_post"}"#,
    );
    let c = TestClient {
        id: body_str(&e1, "client_id").unwrap(),
        secret: body_str(&e1, "client_secret"),
        method: "client_secret_post".to_owned(),
    };

    // E2: a code exchanged 3 s after it was issued (code TTL 2 s).
    h.advance(STEP_MS);
    let code = h.code_for(&c, None);
    h.advance(3 * SECOND);
    let e2 = h.exchange(&c, &code);

    // E3: a fresh code, exchanged at once.
    h.advance(STEP_MS);
    let code = h.code_for(&c, None);
    h.advance(STEP_MS);
    let e3 = h.exchange(&c, &code);
    let (at3, rt3) = (access_of(&e3), refresh_of(&e3));

    // E4: the access token presented 3 s later (access TTL 2 s).
    h.advance(3 * SECOND);
    let e4 = h.resource(&[&bearer(&at3)]);

    // E5: refresh after the expired access token was presented.
    h.advance(STEP_MS);
    let e5 = h.refresh(&c, &rt3, None);

    // E6: another fresh code, exchanged at once.
    h.advance(STEP_MS);
    let code = h.code_for(&c, None);
    h.advance(STEP_MS);
    let e6 = h.exchange(&c, &code);
    let rt6 = refresh_of(&e6);

    // E7: refresh 3 s later; the access token expired but was never presented.
    h.advance(3 * SECOND);
    let e7 = h.refresh(&c, &rt6, None);
    let rt7 = refresh_of(&e7);

    // E8: refresh 7 s later (refresh TTL 6 s).
    h.advance(7 * SECOND);
    let e8 = h.refresh(&c, &rt7, None);

    ExpiryProbe {
        e: [e1, e2, e3, e4, e5, e6, e7, e8],
        issued_at,
    }
}

#[test]
fn e1_registration_under_short_lifetimes_is_unchanged() {
    let p = run_expiry_probe();
    let body = format!(
        r#"{{"response_types":["code"],"scope":"read","redirect_uris":["http://localhost:9999/cb"],"token_endpoint_auth_method":"client_secret_post","grant_types":["authorization_code","refresh_token"],"application_type":"native","client_id":"<uuid>","client_secret":"<64hex>","client_id_issued_at":{},"client_secret_expires_at":0}}"#,
        p.issued_at
    );
    assert_row(
        "E1",
        &p.e[0],
        201,
        &[("content-type", "application/json")],
        &body,
    );
}

#[test]
fn e2_code_past_its_lifetime_is_invalid_grant_does_not_exist() {
    let p = run_expiry_probe();
    assert_invalid_grant("E2", &p.e[1], "authorization code does not exist");
}

#[test]
fn e3_token_response_expires_in_is_the_configured_access_lifetime() {
    let p = run_expiry_probe();
    assert_token_ok("E3", &p.e[2], 2, "");
}

#[test]
fn e4_e5_presenting_an_expired_access_token_destroys_its_refresh_token() {
    let p = run_expiry_probe();
    assert_bearer_rejected("E4", &p.e[3], "http://127.0.0.1:8766");
    assert_invalid_grant("E5", &p.e[4], "refresh token does not exist");
}

#[test]
fn e6_e7_refresh_works_while_the_expired_access_token_is_never_presented() {
    let p = run_expiry_probe();
    assert_token_ok("E6", &p.e[5], 2, "");
    assert_token_ok("E7", &p.e[6], 2, "");
}

#[test]
fn e8_refresh_token_past_its_lifetime_is_invalid_grant_does_not_exist() {
    let p = run_expiry_probe();
    assert_invalid_grant("E8", &p.e[7], "refresh token does not exist");
}

// ---------------------------------------------------------------------------------------------
// docs/fastmcp-behaviour.md §6: exact boundaries with the default lifetimes

#[test]
fn code_redeemed_at_exactly_issued_plus_300_s_succeeds() {
    let mut h = Harness::new();
    let c = h.register("client_secret_post", Some("read"));
    h.advance(SECOND);
    let issued = h.now;
    let code = h.code_for(&c, Some("read"));
    h.now = issued + 300 * SECOND;
    assert_token_ok("code at +300.000 s", &h.exchange(&c, &code), 3600, "read");
}

#[test]
fn code_redeemed_at_issued_plus_300_001_s_fails_and_is_deleted() {
    let mut h = Harness::new();
    let c = h.register("client_secret_post", Some("read"));
    h.advance(SECOND);
    let issued = h.now;
    let code = h.code_for(&c, Some("read"));
    assert_eq!(provider(&h).sizes().1, 1, "one code stored");

    h.now = issued + 300 * SECOND + 1;
    assert_invalid_grant(
        "code at +300.001 s",
        &h.exchange(&c, &code),
        "authorization code does not exist",
    );

    // Deleted, not merely expired: the store is empty and the code is unknown even at a time
    // when it would still have been valid.
    assert_eq!(provider(&h).sizes().1, 0, "expired code deleted on load");
    let key = client_key(&c);
    assert_eq!(
        provider(&h)
            .load_authorization_code(key, &code, UnixMillis(issued + SECOND))
            .unwrap_err()
            .reason(),
        Reason::CodeUnknown
    );
    h.now = issued + SECOND;
    assert_invalid_grant(
        "deleted code replayed at +1 s",
        &h.exchange(&c, &code),
        "authorization code does not exist",
    );
}

/// The access token of `docs/fastmcp-behaviour.md` §6: issued at t = 1800000600.251 s.
const ISSUED_MS: u64 = 1_800_000_600_251;
/// `int(t + 3600)`.
const ACCESS_EXPIRES_AT: u64 = 1_800_004_200;

/// A client and a token pair issued at exactly [`ISSUED_MS`].
fn pair_issued_at_1800000600_251() -> (Harness, TestClient, String, String) {
    let mut h = Harness::new();
    h.now = ISSUED_MS - 2 * SECOND;
    let c = h.register("client_secret_post", Some("read"));
    h.advance(SECOND);
    let code = h.code_for(&c, Some("read"));
    h.now = ISSUED_MS;
    let out = h.exchange(&c, &code);
    assert_token_ok("exchange at t", &out, 3600, "read");
    (h, c, access_of(&out), refresh_of(&out))
}

#[test]
fn access_token_expires_at_is_issue_time_plus_3600_truncated_to_whole_seconds() {
    let (h, c, at, _rt) = pair_issued_at_1800000600_251();
    let token = provider(&h)
        .load_access_token(&at, UnixMillis(ISSUED_MS))
        .unwrap();
    assert_eq!(token.expires_at, ACCESS_EXPIRES_AT);
    assert_eq!(token.client, client_key(&c));
    assert_eq!(&token.scopes[..], ["read".to_owned()]);
    // Real lifetime 3599.749 s < expires_in 3600.
    assert_eq!(ACCESS_EXPIRES_AT * 1000 - ISSUED_MS, 3_599_749);
}

#[test]
fn access_token_verifies_at_exactly_expires_at() {
    let (mut h, _c, at, _rt) = pair_issued_at_1800000600_251();
    h.now = ACCESS_EXPIRES_AT * 1000;
    let out = h.resource(&[&bearer(&at)]);
    assert_eq!(out.status, 200, "{}", out.body);
}

#[test]
fn access_token_fails_half_a_second_after_expires_at_and_its_refresh_token_is_gone() {
    let (mut h, c, at, rt) = pair_issued_at_1800000600_251();
    h.now = ACCESS_EXPIRES_AT * 1000;
    assert_eq!(h.resource(&[&bearer(&at)]).status, 200);
    h.now = ACCESS_EXPIRES_AT * 1000 + 500;
    assert_bearer_rejected(
        "/mcp at expires_at+0.5 s",
        &h.resource(&[&bearer(&at)]),
        "http://127.0.0.1:8765",
    );
    let (_, _, access, refresh) = provider(&h).sizes();
    assert_eq!(
        (access, refresh),
        (0, 0),
        "expired access token and its refresh token deleted (D-1)"
    );
    h.advance(STEP_MS);
    assert_invalid_grant(
        "refresh after the expired access token was presented",
        &h.refresh(&c, &rt, None),
        "refresh token does not exist",
    );
}

#[test]
fn refresh_token_without_expiry_outlives_its_unpresented_access_token() {
    let (mut h, c, _at, rt) = pair_issued_at_1800000600_251();
    h.now = ACCESS_EXPIRES_AT * 1000 + 500;
    assert_token_ok(
        "refresh after access expiry",
        &h.refresh(&c, &rt, None),
        3600,
        "read",
    );
}
