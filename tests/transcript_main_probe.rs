//! Fidelity: the live main probe against FastMCP 4.2.3 + MCP Python SDK 2.3.0
//! (`docs/transcripts.md` §4.1, rows 1–88), replayed through the model.
//!
//! The probe is one stateful sequence, so it is replayed once, in order and with the probe's
//! clients and tokens (client A = confidential `client_secret_post`, scope `read write`; P =
//! public `none`, scope `read`; B = `client_secret_basic`, scope `read`; CODE1 issued at row 17,
//! failed attempts 18–21, redeemed at 22, …), and every test below asserts the rows that pin one
//! rule. Random values are compared by shape; bodies are compared exactly after replacing them
//! with the table's placeholders (`<uuid>`, `<64hex>`, `test_auth_code_<32hex>`, …).
//!
//! Rows 2, 3, 5 and 87 are HTTP routing (a path or method no endpoint event names): each is
//! replayed on its own as an `Event::Unrouted`, which the router answers without state.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use common::shapes::{is_access, is_code, is_hex, is_refresh, is_uuid4, normalize};
use common::{CB, Harness, TestClient, VERIFIER, basic_header, bearer, body_str, location_param};
use oauth_oracle::{AuthorizeMethod, Output, s256_challenge};

// ---------------------------------------------------------------------------------------------
// Shapes and placeholders

#[test]
fn shape_checker_and_normalizer_follow_the_table_conventions() {
    assert!(is_uuid4("1b4e28ba-2fa1-41d2-883f-0016d3cca427"));
    assert!(!is_uuid4("1b4e28ba-2fa1-11d2-883f-0016d3cca427"));
    assert!(!is_uuid4("1B4E28BA-2FA1-41D2-883F-0016D3CCA427"));
    assert!(is_code(&format!("test_auth_code_{}", "0a".repeat(16))));
    assert!(!is_code(&format!("test_auth_code_{}", "0a".repeat(17))));
    assert!(is_access(&format!("test_access_token_{}", "f".repeat(64))));
    assert!(is_refresh(&format!(
        "test_refresh_token_{}",
        "9".repeat(64)
    )));
    assert_eq!(
        normalize(&format!(
            r#"{{"client_id":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","client_secret":"{}","n":1795680120}}"#,
            "ab".repeat(32)
        )),
        r#"{"client_id":"<uuid>","client_secret":"<64hex>","n":1795680120}"#
    );
    assert_eq!(
        normalize(&format!(
            "cb?code=test_auth_code_{}&state=s",
            "1".repeat(32)
        )),
        "cb?code=test_auth_code_<32hex>&state=s"
    );
}

// ---------------------------------------------------------------------------------------------
// Expected texts from the transcript

const AS_METADATA: &str = r#"{"issuer":"http://127.0.0.1:8765/","authorization_endpoint":"http://127.0.0.1:8765/authorize","token_endpoint":"http://127.0.0.1:8765/token","registration_endpoint":"http://127.0.0.1:8765/register","scopes_supported":["read","write"],"response_types_supported":["code"],"grant_types_supported":["authorization_code","refresh_token"],"token_endpoint_auth_methods_supported":["client_secret_post","client_secret_basic"],"revocation_endpoint":"http://127.0.0.1:8765/revoke","revocation_endpoint_auth_methods_supported":["client_secret_post","client_secret_basic"],"code_challenge_methods_supported":["S256"]}"#;

const PR_METADATA: &str = r#"{"resource":"http://127.0.0.1:8765/mcp","authorization_servers":["http://127.0.0.1:8765/"],"scopes_supported":["read","write"],"bearer_methods_supported":["header"]}"#;

const BARE_CHALLENGE: &str =
    r#"Bearer resource_metadata="http://127.0.0.1:8765/.well-known/oauth-protected-resource/mcp""#;

const INVALID_TOKEN_DESCRIPTION: &str = "Authentication failed. The provided bearer token is invalid, expired, or no longer recognized by the server. To resolve: clear authentication tokens in your MCP client and reconnect. Your client should automatically re-register and obtain new tokens.";

fn invalid_token_challenge() -> String {
    format!(
        r#"Bearer error="invalid_token", error_description="{INVALID_TOKEN_DESCRIPTION}", resource_metadata="http://127.0.0.1:8765/.well-known/oauth-protected-resource/mcp""#
    )
}

/// FastMCP's `RequireAuthMiddleware` body: `json.dumps` with its default separators.
fn invalid_token_body() -> String {
    format!(r#"{{"error": "invalid_token", "error_description": "{INVALID_TOKEN_DESCRIPTION}"}}"#)
}

fn token_body(scope: &str) -> String {
    format!(
        r#"{{"access_token":"test_access_token_<64hex>","token_type":"Bearer","expires_in":3600,"scope":"{scope}","refresh_token":"test_refresh_token_<64hex>"}}"#
    )
}

fn error_body(error: &str, description: &str) -> String {
    serde_json::json!({"error": error, "error_description": description}).to_string()
}

/// Headers of a `/token` answer (success and error alike).
const TOKEN_HEADERS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    ("pragma", "no-cache"),
    ("content-type", "application/json"),
];
/// Headers of a `/revoke` 200.
const REVOKE_OK_HEADERS: &[(&str, &str)] = &[("cache-control", "no-store"), ("pragma", "no-cache")];
/// Headers of `/register` answers and `/revoke` errors: JSON, nothing else.
const JSON_ONLY: &[(&str, &str)] = &[("content-type", "application/json")];
/// Headers of a direct 400 JSON from `/authorize`.
const AUTHORIZE_JSON_HEADERS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    ("content-type", "application/json"),
];

/// The headers the transcript shows and the model answers (lower-case names).
const MODELLED_HEADERS: [&str; 5] = [
    "content-type",
    "cache-control",
    "pragma",
    "location",
    "www-authenticate",
];

/// Status, the key headers exactly (a header the table does not show was absent), and the body
/// exactly; random values are compared as placeholders.
fn assert_row(row: u32, out: &Output, status: u16, headers: &[(&str, &str)], body: &str) {
    assert_eq!(out.status, status, "row {row}: status; body {}", out.body);
    assert_headers(row, out, headers);
    assert_eq!(normalize(&out.body), body, "row {row}: body");
}

fn assert_headers(row: u32, out: &Output, headers: &[(&str, &str)]) {
    for name in MODELLED_HEADERS {
        let expected = headers.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let actual = out.header(name).map(normalize);
        assert_eq!(
            actual.as_deref(),
            expected,
            "row {row}: header {name} (all headers: {:?})",
            out.headers
        );
    }
}

/// A 302 from `/authorize`: `Cache-Control: no-store`, the `Location`, an empty body.
fn assert_redirect(row: u32, out: &Output, location: &str) {
    assert_row(
        row,
        out,
        302,
        &[("cache-control", "no-store"), ("location", location)],
        "",
    );
}

fn assert_token_ok(row: u32, out: &Output, scope: &str) {
    assert_row(row, out, 200, TOKEN_HEADERS, &token_body(scope));
    assert!(
        is_access(&body_str(out, "access_token").unwrap()),
        "row {row}"
    );
    assert!(
        is_refresh(&body_str(out, "refresh_token").unwrap()),
        "row {row}"
    );
}

fn assert_token_error(row: u32, out: &Output, status: u16, error: &str, description: &str) {
    assert_row(
        row,
        out,
        status,
        TOKEN_HEADERS,
        &error_body(error, description),
    );
}

/// 401 `invalid_token` at `/mcp`.
fn assert_bearer_rejected(row: u32, out: &Output) {
    let challenge = invalid_token_challenge();
    assert_row(
        row,
        out,
        401,
        &[
            ("content-type", "application/json"),
            ("www-authenticate", challenge.as_str()),
        ],
        &invalid_token_body(),
    );
}

/// 200 at `/mcp`: the bearer check let the request through (the MCP answer itself is checked
/// in `mcp_initialize_success_is_an_sse_message_with_no_cache_no_transform`).
fn assert_bearer_accepted(row: u32, out: &Output) {
    assert_eq!(out.status, 200, "row {row}: body {}", out.body);
    assert_eq!(out.header("www-authenticate"), None, "row {row}");
}

// ---------------------------------------------------------------------------------------------
// The probe, replayed

/// The probe's first registration happened at 1795680120 (its `client_id_issued_at`).
const PROBE_START_MS: u64 = 1_795_680_120_000;
/// Row 85 registered at 1795680122.
const ROW_85_MS: u64 = 1_795_680_122_000;
/// Wall time between two probe requests.
const STEP_MS: u64 = 10;

const WRONG_SECRET: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const MCP_RESOURCE: &str = "http://127.0.0.1:8765/mcp";

/// Everything the probe answered, by row, and the values the rows passed along.
struct Probe {
    rows: BTreeMap<u32, Output>,
    a: TestClient,
    p: TestClient,
    b: TestClient,
    code1: String,
    at1: String,
}

impl Probe {
    fn row(&self, n: u32) -> &Output {
        self.rows
            .get(&n)
            .unwrap_or_else(|| panic!("row {n} not replayed"))
    }
}

struct Driver {
    h: Harness,
    rows: BTreeMap<u32, Output>,
}

impl Driver {
    fn record(&mut self, row: u32, out: Output) -> &Output {
        assert!(self.rows.insert(row, out).is_none(), "row {row} twice");
        &self.rows[&row]
    }

    fn tick(&mut self) {
        self.h.advance(STEP_MS);
    }

    fn register(&mut self, row: u32, body: serde_json::Value) -> &Output {
        self.tick();
        let out = self.h.register_raw(&body.to_string());
        self.record(row, out)
    }

    fn register_raw(&mut self, row: u32, body: &str) -> &Output {
        self.tick();
        let out = self.h.register_raw(body);
        self.record(row, out)
    }

    fn authorize(&mut self, row: u32, method: AuthorizeMethod, params: &[(&str, &str)]) -> &Output {
        self.tick();
        let out = self.h.authorize(method, params);
        self.record(row, out)
    }

    fn token(&mut self, row: u32, form: &[(&str, &str)], authorization: Option<&str>) -> &Output {
        self.tick();
        let out = self.h.token(form, authorization);
        self.record(row, out)
    }

    fn revoke(&mut self, row: u32, form: &[(&str, &str)], authorization: Option<&str>) -> &Output {
        self.tick();
        let out = self.h.revoke(form, authorization);
        self.record(row, out)
    }

    fn resource(&mut self, row: u32, authorization: &[&str]) -> &Output {
        self.tick();
        let out = self.h.resource(authorization);
        self.record(row, out)
    }

    fn send(&mut self, row: u32, event: oauth_oracle::Event) -> &Output {
        self.tick();
        let out = self.h.send(event);
        self.record(row, out)
    }
}

fn client_of(out: &Output, method: &str) -> TestClient {
    assert_eq!(out.status, 201, "{}", out.body);
    TestClient {
        id: body_str(out, "client_id").unwrap(),
        secret: body_str(out, "client_secret"),
        method: method.to_owned(),
    }
}

fn code_of(out: &Output) -> String {
    location_param(out, "code").unwrap_or_else(|| panic!("no code in {:?}", out.headers))
}

fn token_of(out: &Output, name: &str) -> String {
    body_str(out, name).unwrap_or_else(|| panic!("no {name} in {}", out.body))
}

fn as_refs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Replay rows 1–88 (except the routing rows 2, 3, 5, 87) in the probe's order.
fn run_probe() -> Probe {
    use oauth_oracle::Event;
    use serde_json::json;

    let mut d = Driver {
        h: Harness::new(),
        rows: BTreeMap::new(),
    };
    d.h.now = PROBE_START_MS;
    let challenge = s256_challenge(VERIFIER);
    let challenge = challenge.as_str();
    let get = AuthorizeMethod::Get;

    // 1–4: metadata (2, 3: routing).
    d.send(1, Event::AuthorizationServerMetadata);
    d.send(4, Event::ProtectedResourceMetadata);

    // 6–16: registration.
    let out = d.register(
        6,
        json!({"client_name": "probe", "redirect_uris": [CB], "scope": "read write",
               "token_endpoint_auth_method": "client_secret_post",
               "grant_types": ["authorization_code", "refresh_token"]}),
    );
    let a = client_of(out, "client_secret_post");
    let out = d.register(
        7,
        json!({"redirect_uris": [CB], "scope": "read", "token_endpoint_auth_method": "none",
               "grant_types": ["authorization_code", "refresh_token"]}),
    );
    let p = client_of(out, "none");
    let out = d.register(
        8,
        json!({"redirect_uris": [CB], "scope": "read",
               "token_endpoint_auth_method": "client_secret_basic"}),
    );
    let b = client_of(out, "client_secret_basic");
    d.register(9, json!({"redirect_uris": [CB]}));
    d.register_raw(10, r#"{"redirect_uris": ["#);
    d.register(11, json!({"client_name": "no redirect uris"}));
    d.register(12, json!({"redirect_uris": [CB], "scope": "read admin"}));
    d.register(
        13,
        json!({"redirect_uris": [CB], "grant_types": ["refresh_token"]}),
    );
    d.register(
        14,
        json!({"redirect_uris": ["myapp://cb"], "token_endpoint_auth_method": "none"}),
    );
    d.register(
        15,
        json!({"redirect_uris": ["javascript:alert(1)"], "token_endpoint_auth_method": "none"}),
    );
    d.register(
        16,
        json!({"redirect_uris": ["http://evil.example/cb"], "token_endpoint_auth_method": "none"}),
    );

    let a_id = a.id.as_str();
    let a_secret = a.secret.clone().unwrap();
    let a_secret = a_secret.as_str();

    // 17–24: CODE1, failed attempts, redemption, replay.
    let out = d.authorize(
        17,
        get,
        &[
            ("response_type", "code"),
            ("client_id", a_id),
            ("redirect_uri", CB),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("state", "st123"),
            ("scope", "read write"),
        ],
    );
    let code1 = code_of(out);
    let code_form = |code: &str, redirect: Option<&str>, verifier: Option<&str>| {
        let mut f: Vec<(String, String)> = vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), code.into()),
        ];
        if let Some(r) = redirect {
            f.push(("redirect_uri".into(), r.into()));
        }
        if let Some(v) = verifier {
            f.push(("code_verifier".into(), v.into()));
        }
        f
    };
    let with_a = |mut f: Vec<(String, String)>| {
        f.push(("client_id".into(), a_id.into()));
        f.push(("client_secret".into(), a_secret.into()));
        f
    };

    let f = with_a(code_form(
        &code1,
        Some(CB),
        Some("wrong-verifier-wrong-verifier-wrong-verifier"),
    ));
    d.token(18, &as_refs(&f), None);
    let f = with_a(code_form(
        &code1,
        Some("http://localhost:9999/other"),
        Some(VERIFIER),
    ));
    d.token(19, &as_refs(&f), None);
    let f = with_a(code_form(&code1, None, Some(VERIFIER)));
    d.token(20, &as_refs(&f), None);
    let f = with_a(code_form(&code1, Some(CB), None));
    d.token(21, &as_refs(&f), None);
    let f = with_a(code_form(&code1, Some(CB), Some(VERIFIER)));
    let out = d.token(22, &as_refs(&f), None);
    let at1 = token_of(out, "access_token");
    let rt1 = token_of(out, "refresh_token");
    d.token(23, &as_refs(&f), None);
    d.resource(24, &[&bearer(&at1)]);

    // 25–28: the bearer check.
    d.resource(25, &[]);
    d.resource(26, &[&bearer("garbage-token")]);
    d.resource(27, &[&basic_header(&b).unwrap()]);
    d.resource(28, &[&format!("bearer {at1}")]);

    // 29–35: refresh rotation and scopes.
    let refresh_form = |rt: &str, scope: Option<&str>| {
        let mut f: Vec<(String, String)> = vec![
            ("grant_type".into(), "refresh_token".into()),
            ("refresh_token".into(), rt.into()),
        ];
        if let Some(s) = scope {
            f.push(("scope".into(), s.into()));
        }
        f
    };
    let f = with_a(refresh_form(&rt1, None));
    let out = d.token(29, &as_refs(&f), None);
    let at2 = token_of(out, "access_token");
    let rt2 = token_of(out, "refresh_token");
    d.token(30, &as_refs(&f), None);
    d.resource(31, &[&bearer(&at1)]);
    d.resource(32, &[&bearer(&at2)]);
    let f = with_a(refresh_form(&rt2, Some("read")));
    let out = d.token(33, &as_refs(&f), None);
    let at3 = token_of(out, "access_token");
    let rt3 = token_of(out, "refresh_token");
    let f = with_a(refresh_form(&rt3, Some("read write")));
    d.token(34, &as_refs(&f), None);
    let mut f = refresh_form(&rt3, None);
    f.push(("client_id".into(), a_id.into()));
    f.push(("client_secret".into(), WRONG_SECRET.into()));
    d.token(35, &as_refs(&f), None);

    // 36–42: revocation.
    let revoke_a = [
        ("token", at3.as_str()),
        ("client_id", a_id),
        ("client_secret", a_secret),
    ];
    d.revoke(36, &revoke_a, None);
    d.resource(37, &[&bearer(&at3)]);
    let f = with_a(refresh_form(&rt3, None));
    d.token(38, &as_refs(&f), None);
    d.revoke(39, &revoke_a, None);
    d.revoke(
        40,
        &[
            ("token", "no-such-token"),
            ("client_id", a_id),
            ("client_secret", a_secret),
        ],
        None,
    );
    d.revoke(
        41,
        &[
            ("token", at3.as_str()),
            ("client_id", a_id),
            ("client_secret", WRONG_SECRET),
        ],
        None,
    );
    d.revoke(
        42,
        &[("client_id", a_id), ("client_secret", a_secret)],
        None,
    );

    // 43–46: no scope at /authorize; revoking the refresh token.
    let out = d.authorize(
        43,
        get,
        &[
            ("response_type", "code"),
            ("client_id", a_id),
            ("redirect_uri", CB),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("state", "s2"),
        ],
    );
    let code2 = code_of(out);
    let f = with_a(code_form(&code2, Some(CB), Some(VERIFIER)));
    let out = d.token(44, &as_refs(&f), None);
    let at4 = token_of(out, "access_token");
    let rt4 = token_of(out, "refresh_token");
    d.revoke(
        45,
        &[
            ("token", rt4.as_str()),
            ("token_type_hint", "refresh_token"),
            ("client_id", a_id),
            ("client_secret", a_secret),
        ],
        None,
    );
    d.resource(46, &[&bearer(&at4)]);

    // 47–51: the public client.
    let p_id = p.id.as_str();
    let out = d.authorize(
        47,
        get,
        &[
            ("response_type", "code"),
            ("client_id", p_id),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let code_p = code_of(out);
    let mut f = code_form(&code_p, None, Some(VERIFIER));
    f.push(("client_id".into(), p_id.into()));
    let out = d.token(48, &as_refs(&f), None);
    let at5 = token_of(out, "access_token");
    d.revoke(49, &[("token", at5.as_str()), ("client_id", p_id)], None);
    d.revoke(
        50,
        &[
            ("token", at5.as_str()),
            ("client_id", p_id),
            ("client_secret", ""),
        ],
        None,
    );
    d.resource(51, &[&bearer(&at5)]);

    // 52–58: the Basic client.
    let b_id = b.id.as_str();
    let b_secret = b.secret.clone().unwrap();
    let b_basic = basic_header(&b).unwrap();
    let out = d.authorize(
        52,
        get,
        &[
            ("response_type", "code"),
            ("client_id", b_id),
            ("redirect_uri", CB),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("state", "b"),
        ],
    );
    let code_b = code_of(out);
    let mut f = code_form(&code_b, Some(CB), Some(VERIFIER));
    f.push(("client_id".into(), b_id.into()));
    f.push(("client_secret".into(), b_secret.clone()));
    d.token(53, &as_refs(&f), None);
    let f = code_form(&code_b, Some(CB), Some(VERIFIER));
    d.token(54, &as_refs(&f), Some(&b_basic));
    let mut f = code_form(&code_b, Some(CB), Some(VERIFIER));
    f.push(("client_id".into(), b_id.into()));
    let a_as_basic = basic_header(&TestClient {
        method: "client_secret_basic".into(),
        ..a.clone()
    })
    .unwrap();
    d.token(55, &as_refs(&f), Some(&a_as_basic));
    let out = d.token(56, &as_refs(&f), Some(&b_basic));
    let rt6 = token_of(out, "refresh_token");
    let mut f = refresh_form(&rt6, None);
    f.push(("client_id".into(), b_id.into()));
    let out = d.token(57, &as_refs(&f), Some(&b_basic));
    let at7 = token_of(out, "access_token");
    d.revoke(
        58,
        &[("token", at7.as_str()), ("client_id", b_id)],
        Some(&b_basic),
    );

    // 59–64: PKCE details.
    let short_challenge = s256_challenge("short");
    let out = d.authorize(
        59,
        get,
        &[
            ("response_type", "code"),
            ("client_id", a_id),
            ("redirect_uri", CB),
            ("code_challenge", short_challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    );
    let code_short = code_of(out);
    let f = with_a(code_form(&code_short, Some(CB), Some("short")));
    d.token(60, &as_refs(&f), None);
    let base = |state: &'static str| -> Vec<(&str, &str)> {
        vec![
            ("response_type", "code"),
            ("client_id", a_id),
            ("redirect_uri", CB),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("state", state),
        ]
    };
    let mut q = base("s3");
    q.retain(|(k, _)| *k != "code_challenge");
    d.authorize(61, get, &q);
    let mut q = base("s4");
    q.retain(|(k, _)| *k != "code_challenge_method");
    q.push(("code_challenge_method", "plain"));
    d.authorize(62, get, &q);
    let mut q = base("s5");
    q.retain(|(k, _)| *k != "code_challenge_method");
    d.authorize(63, get, &q);
    let mut q = base("s5b");
    q.retain(|(k, _)| *k != "code_challenge");
    q.push(("code_challenge", "abc"));
    d.authorize(64, get, &q);

    // 65–71: authorize errors.
    let mut q = base("s6");
    q.retain(|(k, _)| *k != "client_id");
    q.push(("client_id", "no-such-client"));
    d.authorize(65, get, &q);
    for (row, state, uri) in [
        (66, "s7", "http://evil.example/cb"),
        (67, "s7b", "http://localhost:9999/cb/"),
        (68, "s7c", "http://localhost:1234/cb"),
    ] {
        let mut q = base(state);
        q.retain(|(k, _)| *k != "redirect_uri");
        q.push(("redirect_uri", uri));
        d.authorize(row, get, &q);
    }
    let mut q = base("s8");
    q.retain(|(k, _)| *k != "response_type");
    q.push(("response_type", "token"));
    d.authorize(69, get, &q);
    let mut q = base("s9");
    q.push(("scope", "admin"));
    d.authorize(70, get, &q);
    let mut q = base("s10");
    q.retain(|(k, _)| *k != "client_id");
    d.authorize(71, get, &q);

    // 72–74: more successful authorizations.
    d.authorize(72, AuthorizeMethod::Post, &base("s11"));
    let mut q = base("s12");
    q.push(("resource", MCP_RESOURCE));
    d.authorize(73, get, &q);
    let out = d.authorize(
        74,
        get,
        &[
            ("response_type", "code"),
            ("client_id", a_id),
            ("redirect_uri", CB),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let code_x = code_of(out);

    // 75–84: /token errors.
    let mut f = code_form(&code_x, Some(CB), Some(VERIFIER));
    f.push(("client_id".into(), p_id.into()));
    d.token(75, &as_refs(&f), None);
    let mut f = code_form(&code_x, Some(CB), Some(VERIFIER));
    f.push(("client_id".into(), "no-such-client".into()));
    f.push(("client_secret".into(), a_secret.into()));
    d.token(76, &as_refs(&f), None);
    let mut f = code_form(&code_x, Some(CB), Some(VERIFIER));
    f.push(("client_id".into(), a_id.into()));
    f.push(("client_secret".into(), WRONG_SECRET.into()));
    d.token(77, &as_refs(&f), None);
    let mut f = code_form(&code_x, Some(CB), Some(VERIFIER));
    f.push(("client_id".into(), a_id.into()));
    d.token(78, &as_refs(&f), None);
    let f = code_form(&code_x, Some(CB), Some(VERIFIER));
    d.token(79, &as_refs(&f), None);
    d.token(
        80,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", a_id),
            ("client_secret", a_secret),
        ],
        None,
    );
    d.token(
        81,
        &[
            ("grant_type", "password"),
            ("username", "u"),
            ("password", "p"),
            ("client_id", a_id),
            ("client_secret", a_secret),
        ],
        None,
    );
    d.token(
        82,
        &[
            ("code", code_x.as_str()),
            ("client_id", a_id),
            ("client_secret", a_secret),
        ],
        None,
    );
    // A JSON body is not a form: Starlette's form parser sees no fields.
    d.token(83, &[], None);
    let f = with_a(refresh_form("garbage-refresh-token", None));
    d.token(84, &as_refs(&f), None);

    // 85–86: a client without the refresh_token grant (registered at 1795680122).
    d.h.now = d.h.now.max(ROW_85_MS);
    let out = d.register(
        85,
        json!({"redirect_uris": [CB], "token_endpoint_auth_method": "none",
               "grant_types": ["authorization_code"]}),
    );
    let c85 = client_of(out, "none");
    d.token(
        86,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "garbage-refresh-token"),
            ("client_id", c85.id.as_str()),
        ],
        None,
    );

    // 88: the owner redeems the code the public client failed to steal at 75.
    let f = with_a(code_form(&code_x, Some(CB), Some(VERIFIER)));
    d.token(88, &as_refs(&f), None);

    Probe {
        rows: d.rows,
        a,
        p,
        b,
        code1,
        at1,
    }
}

fn probe() -> &'static Probe {
    static PROBE: OnceLock<Probe> = OnceLock::new();
    PROBE.get_or_init(run_probe)
}

// ---------------------------------------------------------------------------------------------
// Rows 1–5: metadata and routing

#[test]
fn as_metadata_has_trailing_slash_issuer_and_omits_none_auth_method() {
    assert_row(
        1,
        probe().row(1),
        200,
        &[
            ("cache-control", "public, max-age=3600"),
            ("content-type", "application/json"),
        ],
        AS_METADATA,
    );
}

/// Expected answer of a routing row the model has no event for.
/// A row the probe recorded for a path or method no endpoint event names, replayed as an
/// `Event::Unrouted` through a fresh model (the router's answer depends on no state): its status,
/// the recorded headers, and its body.
fn assert_routed(
    row: u32,
    (method, path, request_headers): (&str, &str, &[(&str, &str)]),
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) {
    let server = oauth_oracle::AuthServer::new(
        oauth_oracle::Config::default(),
        oauth_oracle::Profile::fastmcp(),
    )
    .unwrap();
    let event = oauth_oracle::Event::Unrouted(oauth_oracle::UnroutedRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: String::new(),
        headers: oauth_oracle::Params::from_pairs(request_headers.iter().copied()),
        body: None,
    });
    let (_, out) = server.step(oauth_oracle::UnixMillis(1_795_680_120_000), event);
    assert_eq!(out.status, status, "row {row}: {out:?}");
    for (name, value) in headers {
        assert_eq!(out.header(name), Some(*value), "row {row}: {name}");
    }
    assert_eq!(out.body, body, "row {row}");
}

#[test]
fn oidc_discovery_alias_is_not_mounted() {
    assert_routed(
        2,
        ("GET", "/.well-known/openid-configuration", &[]),
        404,
        &[],
        "Not Found",
    );
}

#[test]
fn root_protected_resource_metadata_is_not_mounted() {
    assert_routed(
        3,
        ("GET", "/.well-known/oauth-protected-resource", &[]),
        404,
        &[],
        "Not Found",
    );
}

#[test]
fn protected_resource_metadata_names_the_trailing_slash_issuer() {
    assert_row(
        4,
        probe().row(4),
        200,
        &[
            ("cache-control", "public, max-age=3600"),
            ("content-type", "application/json"),
        ],
        PR_METADATA,
    );
}

#[test]
fn token_cors_preflight_allows_any_origin_and_mcp_protocol_version() {
    assert_routed(
        5,
        (
            "OPTIONS",
            "/token",
            &[
                ("origin", "http://localhost:9999"),
                ("access-control-request-method", "POST"),
            ],
        ),
        200,
        &[
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "POST, OPTIONS"),
            ("access-control-max-age", "600"),
            (
                "access-control-allow-headers",
                "Accept, Accept-Language, Content-Language, Content-Type, mcp-protocol-version",
            ),
        ],
        "OK",
    );
}

// ---------------------------------------------------------------------------------------------
// Rows 6–16: registration

/// The probe registered at 1795680120 (rows 6–16).
const ISSUED_AT: &str = "1795680120";

#[test]
fn registration_echoes_metadata_with_uuid4_id_and_64hex_secret_that_never_expires() {
    let out = probe().row(6);
    let body = format!(
        r#"{{"response_types":["code"],"scope":"read write","client_name":"probe","redirect_uris":["http://localhost:9999/cb"],"token_endpoint_auth_method":"client_secret_post","grant_types":["authorization_code","refresh_token"],"application_type":"native","client_id":"<uuid>","client_secret":"<64hex>","client_id_issued_at":{ISSUED_AT},"client_secret_expires_at":0}}"#
    );
    assert_row(6, out, 201, JSON_ONLY, &body);
    assert!(is_uuid4(&body_str(out, "client_id").unwrap()));
    assert!(is_hex(&body_str(out, "client_secret").unwrap(), 64));
}

#[test]
fn public_client_registration_has_no_secret_and_no_secret_expiry() {
    let body = format!(
        r#"{{"response_types":["code"],"scope":"read","redirect_uris":["http://localhost:9999/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"application_type":"native","client_id":"<uuid>","client_id_issued_at":{ISSUED_AT}}}"#
    );
    assert_row(7, probe().row(7), 201, JSON_ONLY, &body);
}

#[test]
fn registration_defaults_grant_types_to_authorization_code_and_refresh_token() {
    let body = format!(
        r#"{{"response_types":["code"],"scope":"read","redirect_uris":["http://localhost:9999/cb"],"token_endpoint_auth_method":"client_secret_basic","grant_types":["authorization_code","refresh_token"],"application_type":"native","client_id":"<uuid>","client_secret":"<64hex>","client_id_issued_at":{ISSUED_AT},"client_secret_expires_at":0}}"#
    );
    assert_row(8, probe().row(8), 201, JSON_ONLY, &body);
}

#[test]
fn registration_defaults_auth_method_to_client_secret_post() {
    let body = format!(
        r#"{{"response_types":["code"],"redirect_uris":["http://localhost:9999/cb"],"token_endpoint_auth_method":"client_secret_post","grant_types":["authorization_code","refresh_token"],"application_type":"native","client_id":"<uuid>","client_secret":"<64hex>","client_id_issued_at":{ISSUED_AT},"client_secret_expires_at":0}}"#
    );
    assert_row(9, probe().row(9), 201, JSON_ONLY, &body);
}

#[test]
fn registration_malformed_json_is_invalid_client_metadata_with_parser_position() {
    assert_row(
        10,
        probe().row(10),
        400,
        JSON_ONLY,
        &error_body(
            "invalid_client_metadata",
            ": Invalid JSON: EOF while parsing a list at line 1 column 19",
        ),
    );
}

#[test]
fn registration_requires_redirect_uris() {
    assert_row(
        11,
        probe().row(11),
        400,
        JSON_ONLY,
        &error_body("invalid_client_metadata", "redirect_uris: Field required"),
    );
}

#[test]
fn registration_scope_outside_valid_scopes_is_invalid_client_metadata() {
    assert_row(
        12,
        probe().row(12),
        400,
        JSON_ONLY,
        &error_body(
            "invalid_client_metadata",
            "Requested scopes are not valid: admin",
        ),
    );
}

#[test]
fn registration_grant_types_must_include_authorization_code() {
    assert_row(
        13,
        probe().row(13),
        400,
        JSON_ONLY,
        &error_body(
            "invalid_client_metadata",
            "grant_types must include 'authorization_code'",
        ),
    );
}

#[test]
fn registration_accepts_custom_scheme_javascript_and_plain_http_redirect_uris() {
    for (row, uri) in [
        (14, "myapp://cb"),
        (15, "javascript:alert(1)"),
        (16, "http://evil.example/cb"),
    ] {
        let body = format!(
            r#"{{"response_types":["code"],"redirect_uris":["{uri}"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"application_type":"native","client_id":"<uuid>","client_id_issued_at":{ISSUED_AT}}}"#
        );
        assert_row(row, probe().row(row), 201, JSON_ONLY, &body);
    }
}

// ---------------------------------------------------------------------------------------------
// Rows 17–24: CODE1

#[test]
fn authorize_valid_s256_redirects_with_code_and_state_and_no_store() {
    let pr = probe();
    assert_redirect(
        17,
        pr.row(17),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>&state=st123",
    );
    assert!(is_code(&pr.code1), "{}", pr.code1);
}

#[test]
fn wrong_code_verifier_is_invalid_grant_401() {
    assert_token_error(
        18,
        probe().row(18),
        401,
        "invalid_grant",
        "incorrect code_verifier",
    );
}

#[test]
fn token_redirect_uri_mismatch_is_invalid_request_400() {
    assert_token_error(
        19,
        probe().row(19),
        400,
        "invalid_request",
        "redirect_uri did not match the one used when creating auth code",
    );
}

#[test]
fn token_redirect_uri_omitted_after_explicit_authorize_redirect_is_invalid_request_400() {
    assert_token_error(
        20,
        probe().row(20),
        400,
        "invalid_request",
        "redirect_uri did not match the one used when creating auth code",
    );
}

#[test]
fn missing_code_verifier_is_invalid_request_field_required() {
    assert_token_error(
        21,
        probe().row(21),
        400,
        "invalid_request",
        "authorization_code.code_verifier: Field required",
    );
}

#[test]
fn failed_redemptions_do_not_consume_the_code() {
    let pr = probe();
    assert_token_ok(22, pr.row(22), "read write");
    assert_eq!(token_of(pr.row(22), "access_token"), pr.at1);
}

#[test]
fn code_reuse_is_invalid_grant_401_and_keeps_first_tokens() {
    let pr = probe();
    assert_token_error(
        23,
        pr.row(23),
        401,
        "invalid_grant",
        "authorization code does not exist",
    );
    assert_bearer_accepted(24, pr.row(24));
}

// ---------------------------------------------------------------------------------------------
// Rows 25–28: the bearer check at /mcp

#[test]
fn mcp_without_credentials_gets_bare_challenge_and_empty_body() {
    assert_row(
        25,
        probe().row(25),
        401,
        &[("www-authenticate", BARE_CHALLENGE)],
        "",
    );
}

#[test]
fn mcp_garbage_bearer_gets_invalid_token_challenge_and_json() {
    assert_bearer_rejected(26, probe().row(26));
}

#[test]
fn mcp_basic_scheme_is_treated_as_missing_credentials() {
    assert_row(
        27,
        probe().row(27),
        401,
        &[("www-authenticate", BARE_CHALLENGE)],
        "",
    );
}

#[test]
fn mcp_bearer_scheme_is_case_insensitive() {
    assert_bearer_accepted(28, probe().row(28));
}

#[test]
fn mcp_initialize_success_is_an_sse_message_with_no_cache_no_transform() {
    // Rows 24, 28, 32: `content-type: text/event-stream`, `cache-control: no-cache,
    // no-transform`, body `event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{...}}`
    // (§4.1 and the note under the metadata bodies). The table folds line ends; the raw capture
    // of the live server (scripts/providers/fastmcp/SMOKE.md, step 8) shows sse-starlette's CRLF.
    const SSE_PREFIX: &str = concat!(
        "event: message\r\n",
        r#"data: {"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"logging":{},"prompts":{"listChanged":true},"resources":{"subscribe":false,"listChanged":true},"tools":{"listChanged":true}},"serverInfo":{"name":""#
    );
    let pr = probe();
    let mut mismatches = Vec::new();
    for row in [24, 28, 32] {
        let out = pr.row(row);
        assert_eq!(out.status, 200, "row {row}");
        for (name, expected) in [
            ("cache-control", "no-cache, no-transform"),
            ("content-type", "text/event-stream"),
        ] {
            if out.header(name) != Some(expected) {
                mismatches.push(format!(
                    "row {row}: {name}: expected {expected:?}, got {:?}",
                    out.header(name)
                ));
            }
        }
        if !out.body.starts_with(SSE_PREFIX) {
            mismatches.push(format!(
                "row {row}: body: expected prefix {SSE_PREFIX:?}, got {:?}",
                out.body
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Rows 29–35: refresh

#[test]
fn refresh_rotates_the_pair_and_keeps_the_scope() {
    let pr = probe();
    assert_token_ok(29, pr.row(29), "read write");
    assert_ne!(token_of(pr.row(29), "access_token"), pr.at1);
    assert_ne!(
        token_of(pr.row(29), "refresh_token"),
        token_of(pr.row(22), "refresh_token")
    );
}

#[test]
fn rotated_refresh_token_and_its_access_token_die_and_the_successor_lives() {
    let pr = probe();
    assert_token_error(
        30,
        pr.row(30),
        401,
        "invalid_grant",
        "refresh token does not exist",
    );
    assert_bearer_rejected(31, pr.row(31));
    assert_bearer_accepted(32, pr.row(32));
}

#[test]
fn replaying_a_rotated_refresh_token_does_not_revoke_the_successor_and_narrowing_works() {
    assert_token_ok(33, probe().row(33), "read");
}

#[test]
fn narrowed_refresh_token_cannot_rewiden_invalid_scope_400() {
    assert_token_error(
        34,
        probe().row(34),
        400,
        "invalid_scope",
        "cannot request scope `write` not provided by refresh token",
    );
}

#[test]
fn refresh_with_wrong_client_secret_is_invalid_client_401() {
    assert_token_error(
        35,
        probe().row(35),
        401,
        "invalid_client",
        "Invalid client_secret",
    );
}

// ---------------------------------------------------------------------------------------------
// Rows 36–46: revocation

#[test]
fn revoking_the_access_token_kills_its_refresh_token() {
    let pr = probe();
    assert_row(36, pr.row(36), 200, REVOKE_OK_HEADERS, "");
    assert_bearer_rejected(37, pr.row(37));
    assert_token_error(
        38,
        pr.row(38),
        401,
        "invalid_grant",
        "refresh token does not exist",
    );
}

#[test]
fn revoking_a_revoked_or_unknown_token_is_200() {
    let pr = probe();
    assert_row(39, pr.row(39), 200, REVOKE_OK_HEADERS, "");
    assert_row(40, pr.row(40), 200, REVOKE_OK_HEADERS, "");
}

#[test]
fn revocation_auth_failure_is_unauthorized_client_401_without_cache_control() {
    assert_row(
        41,
        probe().row(41),
        401,
        JSON_ONLY,
        &error_body("unauthorized_client", "Invalid client_secret"),
    );
}

#[test]
fn revocation_without_token_is_invalid_request_400_without_cache_control() {
    assert_row(
        42,
        probe().row(42),
        400,
        JSON_ONLY,
        &error_body("invalid_request", "token: Field required"),
    );
}

#[test]
fn authorize_without_scope_grants_empty_scope_not_the_registered_one() {
    let pr = probe();
    assert_redirect(
        43,
        pr.row(43),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>&state=s2",
    );
    assert_token_ok(44, pr.row(44), "");
}

#[test]
fn revoking_the_refresh_token_kills_its_access_token() {
    let pr = probe();
    assert_row(45, pr.row(45), 200, REVOKE_OK_HEADERS, "");
    assert_bearer_rejected(46, pr.row(46));
}

// ---------------------------------------------------------------------------------------------
// Rows 47–51: the public client

#[test]
fn single_registered_redirect_uri_may_be_omitted_at_authorize_and_token() {
    let pr = probe();
    assert_redirect(
        47,
        pr.row(47),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>",
    );
    assert_token_ok(48, pr.row(48), "");
    assert_eq!(pr.p.method, "none");
}

#[test]
fn revocation_requires_client_secret_field_even_for_public_clients() {
    let pr = probe();
    assert_row(
        49,
        pr.row(49),
        400,
        JSON_ONLY,
        &error_body("invalid_request", "client_secret: Field required"),
    );
    assert_row(50, pr.row(50), 200, REVOKE_OK_HEADERS, "");
    assert_bearer_rejected(51, pr.row(51));
}

// ---------------------------------------------------------------------------------------------
// Rows 52–58: the Basic client

#[test]
fn basic_client_authorizes_like_any_other() {
    assert_redirect(
        52,
        probe().row(52),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>&state=b",
    );
}

#[test]
fn basic_client_cannot_authenticate_with_client_secret_post() {
    assert_token_error(
        53,
        probe().row(53),
        401,
        "invalid_client",
        "Missing or invalid Basic authentication in Authorization header",
    );
}

#[test]
fn basic_client_must_still_send_client_id_in_the_form() {
    assert_token_error(
        54,
        probe().row(54),
        401,
        "invalid_client",
        "Missing client_id",
    );
}

#[test]
fn basic_header_client_id_must_match_the_form_client_id() {
    assert_token_error(
        55,
        probe().row(55),
        401,
        "invalid_client",
        "Client ID mismatch in Basic auth",
    );
}

#[test]
fn basic_client_redeems_and_refreshes_with_basic_header_plus_client_id() {
    let pr = probe();
    assert_token_ok(56, pr.row(56), "");
    assert_token_ok(57, pr.row(57), "");
    assert_eq!(pr.b.method, "client_secret_basic");
}

#[test]
fn revocation_requires_client_secret_field_even_for_basic_clients() {
    assert_row(
        58,
        probe().row(58),
        400,
        JSON_ONLY,
        &error_body("invalid_request", "client_secret: Field required"),
    );
}

// ---------------------------------------------------------------------------------------------
// Rows 59–73: /authorize details

#[test]
fn pkce_verifier_length_is_not_enforced() {
    let pr = probe();
    assert_redirect(
        59,
        pr.row(59),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>",
    );
    assert_token_ok(60, pr.row(60), "");
}

#[test]
fn authorize_missing_code_challenge_redirects_invalid_request() {
    assert_redirect(
        61,
        probe().row(61),
        "http://localhost:9999/cb?error=invalid_request&error_description=code_challenge%3A+Field+required&state=s3",
    );
}

#[test]
fn authorize_plain_pkce_method_redirects_invalid_request() {
    assert_redirect(
        62,
        probe().row(62),
        "http://localhost:9999/cb?error=invalid_request&error_description=code_challenge_method%3A+Input+should+be+%27S256%27&state=s4",
    );
}

#[test]
fn authorize_omitted_code_challenge_method_defaults_to_s256() {
    assert_redirect(
        63,
        probe().row(63),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>&state=s5",
    );
}

#[test]
fn authorize_code_challenge_length_is_not_enforced() {
    assert_redirect(
        64,
        probe().row(64),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>&state=s5b",
    );
}

#[test]
fn authorize_unknown_client_is_direct_400_json_echoing_state() {
    assert_row(
        65,
        probe().row(65),
        400,
        AUTHORIZE_JSON_HEADERS,
        r#"{"error":"invalid_request","error_description":"Client ID 'no-such-client' not found","state":"s6"}"#,
    );
}

#[test]
fn authorize_redirect_uri_match_is_exact_no_trailing_slash_no_loopback_port_relaxation() {
    let pr = probe();
    for (row, state, uri) in [
        (66, "s7", "http://evil.example/cb"),
        (67, "s7b", "http://localhost:9999/cb/"),
        (68, "s7c", "http://localhost:1234/cb"),
    ] {
        let body = format!(
            r#"{{"error":"invalid_request","error_description":"Redirect URI '{uri}' not registered for client","state":"{state}"}}"#
        );
        assert_row(row, pr.row(row), 400, AUTHORIZE_JSON_HEADERS, &body);
    }
}

#[test]
fn authorize_response_type_token_redirects_unsupported_response_type() {
    assert_redirect(
        69,
        probe().row(69),
        "http://localhost:9999/cb?error=unsupported_response_type&error_description=response_type%3A+Input+should+be+%27code%27&state=s8",
    );
}

#[test]
fn authorize_scope_not_registered_for_client_redirects_invalid_scope() {
    assert_redirect(
        70,
        probe().row(70),
        "http://localhost:9999/cb?error=invalid_scope&error_description=Client+was+not+registered+with+scope+admin&state=s9",
    );
}

#[test]
fn authorize_missing_client_id_is_direct_400_json_echoing_state() {
    assert_row(
        71,
        probe().row(71),
        400,
        AUTHORIZE_JSON_HEADERS,
        r#"{"error":"invalid_request","error_description":"client_id: Field required","state":"s10"}"#,
    );
}

#[test]
fn authorize_by_post_form_works_like_get() {
    assert_redirect(
        72,
        probe().row(72),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>&state=s11",
    );
}

#[test]
fn authorize_accepts_and_ignores_a_resource_indicator() {
    assert_redirect(
        73,
        probe().row(73),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>&state=s12",
    );
}

// ---------------------------------------------------------------------------------------------
// Rows 74–88: cross-client code, client authentication, grant types

#[test]
fn foreign_code_is_invalid_grant_401_and_stays_redeemable_by_its_owner() {
    let pr = probe();
    assert_redirect(
        74,
        pr.row(74),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>",
    );
    assert_token_error(
        75,
        pr.row(75),
        401,
        "invalid_grant",
        "authorization code does not exist",
    );
    assert_token_ok(88, pr.row(88), "");
    assert_eq!(pr.a.method, "client_secret_post");
}

#[test]
fn token_unknown_client_id_is_invalid_client_401() {
    assert_token_error(
        76,
        probe().row(76),
        401,
        "invalid_client",
        "Invalid client_id",
    );
}

#[test]
fn token_wrong_client_secret_is_invalid_client_401() {
    assert_token_error(
        77,
        probe().row(77),
        401,
        "invalid_client",
        "Invalid client_secret",
    );
}

#[test]
fn token_missing_secret_of_confidential_client_is_invalid_client_401() {
    assert_token_error(
        78,
        probe().row(78),
        401,
        "invalid_client",
        "Client secret is required",
    );
}

#[test]
fn token_missing_client_id_is_invalid_client_401() {
    assert_token_error(
        79,
        probe().row(79),
        401,
        "invalid_client",
        "Missing client_id",
    );
}

#[test]
fn unsupported_grant_types_are_invalid_request_discriminator_errors_not_unsupported_grant_type() {
    let pr = probe();
    for (row, grant) in [(80, "client_credentials"), (81, "password")] {
        let description = format!(
            ": Input tag '{grant}' found using 'grant_type' does not match any of the expected tags: 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'"
        );
        assert_token_error(row, pr.row(row), 400, "invalid_request", &description);
    }
}

#[test]
fn missing_grant_type_is_invalid_request_discriminator_error() {
    assert_token_error(
        82,
        probe().row(82),
        400,
        "invalid_request",
        ": Unable to extract tag using discriminator 'grant_type'",
    );
}

#[test]
fn json_body_at_token_is_missing_client_id() {
    assert_token_error(
        83,
        probe().row(83),
        401,
        "invalid_client",
        "Missing client_id",
    );
}

#[test]
fn garbage_refresh_token_is_invalid_grant_401() {
    assert_token_error(
        84,
        probe().row(84),
        401,
        "invalid_grant",
        "refresh token does not exist",
    );
}

#[test]
fn refresh_is_unsupported_grant_type_for_a_client_registered_without_it() {
    let pr = probe();
    assert_row(
        85,
        pr.row(85),
        201,
        JSON_ONLY,
        r#"{"response_types":["code"],"redirect_uris":["http://localhost:9999/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code"],"application_type":"native","client_id":"<uuid>","client_id_issued_at":1795680122}"#,
    );
    assert_token_error(
        86,
        pr.row(86),
        400,
        "unsupported_grant_type",
        "Unsupported grant type (supported grant types are ['authorization_code'])",
    );
}

#[test]
fn get_on_token_is_405_with_allow_post_options() {
    assert_routed(
        87,
        ("GET", "/token", &[]),
        405,
        &[("allow", "POST, OPTIONS")],
        "Method Not Allowed",
    );
}

#[test]
fn every_replayed_row_is_recorded_once() {
    let replayed: Vec<u32> = probe().rows.keys().copied().collect();
    let expected: Vec<u32> = (1..=88).filter(|r| ![2, 3, 5, 87].contains(r)).collect();
    assert_eq!(replayed, expected);
}
