//! `audit` against real authorization servers that are not FastMCP-shaped, with no proxy or
//! shim: node-oidc-provider 9 (303 redirects through its interaction, cookies, introspection as
//! the token probe), an Authlib server (a login form filled with `--login-field`, `/api/me` as
//! the protected resource) and Cloudflare's workers-oauth-provider 1.2.3 (revocation at the token
//! endpoint, tokens bound to their resource). `scripts/test.sh` starts them (lifetimes 2 s / 2 s /
//! 6 s; Cloudflare's own defaults, its minimum being 60 s) and runs these tests with `--ignored`.
//!
//! Each audit runs 100 flows. `audit` draws every step from the target's own answers, so no step
//! refers to a value the server never issued: each test asserts that at least 90 % of the
//! generated steps ran, that every invariant was exercised but the ones named (with why), and
//! that every FAIL is one triaged as a real violation, named below with the server's behaviour
//! and the RFC sentence that makes it one. A FAIL not in the list fails the test: check it
//! against the RFC text first (a false positive is the worst bug) and, if it is one, fix the
//! checker with a regression test built from the real answer (`tests/checker_rules.rs`,
//! `tests/checker_cloudflare.rs`).
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};

use common::live::url;

/// The lifetimes (code, access, refresh; seconds) `scripts/test.sh` starts node-oidc-provider and
/// Authlib with.
const SHORT: [&str; 3] = ["2", "2", "6"];

/// Run `audit` of `cases` flows against `base`, whose lifetimes are `ttls` (code, access,
/// refresh), with `extra` flags; the exit code and stdout + stderr.
fn audit(name: &str, base: &str, cases: &str, ttls: [&str; 3], extra: &[&str]) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("oauth-oracle-live-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec![
        "audit",
        "--target",
        base,
        "--code-ttl",
        ttls[0],
        "--access-ttl",
        ttls[1],
        "--refresh-ttl",
        ttls[2],
        "--cases",
        cases,
        "--steps",
        "20",
        "--shrink-budget",
        "4",
        "--out-dir",
    ];
    let out_dir = dir.join("report");
    let out_dir = out_dir.to_string_lossy().into_owned();
    args.push(&out_dir);
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
        .args(&args)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The invariants the report lists with `status` (`FAIL`, `NOT TESTED`).
fn with_status(report: &str, status: &str) -> Vec<String> {
    report
        .lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let name = cols.next()?;
            let level = cols.next()?;
            if !matches!(level, "MUST" | "SHOULD") {
                return None;
            }
            let rest = l.split_once(level)?.1.trim_start();
            rest.starts_with(status).then(|| name.to_owned())
        })
        .collect()
}

/// Audit `name` and hold it to the triage: exit 0 or 1 (never "unusable"), at least 90 % of the
/// generated steps executed, NOT TESTED only for `untested` (and `client-document-id-is-url`,
/// which no live audit tests), FAIL only for `real`.
fn check(
    name: &str,
    base: &str,
    ttls: [&str; 3],
    extra: &[&str],
    untested: &[&str],
    real: &[(&str, &str)],
) {
    let (code, report) = audit(name, base, "100", ttls, extra);
    println!("{report}");
    assert!(
        code == 0 || code == 1,
        "the audit of {name} exited {code}:\n{report}"
    );
    assert!(
        !report.contains("login page at"),
        "the user agent stopped at a login page:\n{report}"
    );
    let coverage = report
        .lines()
        .find(|l| l.starts_with("coverage: "))
        .unwrap_or_else(|| panic!("no coverage line in the report of {name}:\n{report}"));
    let percent: f64 = coverage
        .split_once('(')
        .and_then(|(_, r)| r.split_once('%'))
        .and_then(|(p, _)| p.parse().ok())
        .unwrap_or_else(|| panic!("{coverage}"));
    assert!(percent >= 90.0, "{name}: {coverage}");
    let not_tested = with_status(&report, "NOT TESTED");
    // A live server fetches its own client ID metadata documents: unless the audit was told
    // which (--client-document), none is used, and the report says so.
    let documents = extra.contains(&"--client-document");
    assert!(
        documents || report.contains("a live server fetches its own client ID metadata documents"),
        "{name}: client-document-id-is-url without its reason:\n{report}"
    );
    let unexpected: Vec<_> = not_tested
        .iter()
        .filter(|i| {
            !untested.contains(&i.as_str()) && (documents || *i != "client-document-id-is-url")
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "{name}: not exercised in 100 flows: {unexpected:?}"
    );
    let fails = with_status(&report, "FAIL");
    let untriaged: Vec<_> = fails
        .iter()
        .filter(|f| !real.iter().any(|(id, _)| id == f))
        .collect();
    assert!(
        untriaged.is_empty(),
        "{name}: a FAIL not triaged (check it against the RFC text: a false positive is the worst bug): {untriaged:?}"
    );
    println!("FAILs of {name}: {fails:?}");
}

#[test]
#[ignore = "needs the live servers started by scripts/test.sh"]
fn audit_of_node_oidc_provider_runs_through_its_interaction() {
    let base = url("OAUTH_ORACLE_NODE_OIDC_URL");
    check(
        "node-oidc",
        &base,
        SHORT,
        &["--introspection", "oauth-oracle-rs:oauth-oracle-rs-secret"],
        &[
            // It registers no loopback IP redirect URI for these clients (application_type web).
            "loopback-any-port",
            // Needs real-time waits past an access token's expiry (--jump-percent).
            "expired-access-keeps-refresh",
            // Tokens are shown to its introspection endpoint, which judges no audience.
            "token-audience",
            "resource-fixed",
        ],
        &[(
            "redirect-uri-bound-to-code",
            // Tokens for a code whose authorization request named redirect_uri, exchanged
            // without one. OAuth 2.1 dropped the parameter from the token request; this is a
            // violation of OAuth 2.0 as written.
            "RFC 6749 §4.1.3: redirect_uri is \"REQUIRED, if the \"redirect_uri\" parameter was \
             included in the authorization request as described in Section 4.1.1, and their \
             values MUST be identical.\"",
        )],
    );
}

#[test]
#[ignore = "needs the live servers started by scripts/test.sh"]
fn audit_of_the_authlib_server_fills_its_login_form() {
    let base = url("OAUTH_ORACLE_AUTHLIB_URL");
    let access = authlib_access(&base);
    let extra: Vec<&str> = access.iter().map(String::as_str).collect();
    check(
        "authlib",
        &base,
        SHORT,
        &extra,
        &[
            // Its metadata does not advertise RFC 9207, so only a sent iss is checked; it sends
            // none.
            "iss-in-authorization-response",
            // Needs real-time waits past an access token's expiry (--jump-percent).
            "expired-access-keeps-refresh",
            // Needs an authorization naming the resource, then a token request naming another
            // (RFC 8707), then the token shown: rare in 100 short flows.
            "resource-fixed",
        ],
        &[
            (
                "token-audience",
                // It ignores resource indicators: a token requested for
                // https://other.example/mcp is accepted by its protected resource /api/me.
                "MCP authorization 2025-11-25, Token Handling: \"MCP servers MUST validate that \
                 access tokens were issued specifically for them as the intended audience, \
                 according to RFC 8707 Section 2.\"",
            ),
            (
                "loopback-any-port",
                // A public client's 127.0.0.1 redirect URI with another port: 400
                // invalid_request "Redirect URI ... is not supported by client."
                "OAuth 2.1 §4.1.1: \"The only exception is native apps using a localhost URI: \
                 In this case, the authorization server MUST allow variable port numbers\"",
            ),
            (
                "pkce-required",
                // A public client's authorization request without code_challenge gets a code
                // (Authlib's CodeChallenge enforces PKCE at the token endpoint only).
                "OAuth 2.1 §4.1.2.1: \"An authorization server MUST reject requests without a \
                 code_challenge from public clients\"",
            ),
            (
                "pkce-absent-method-is-plain",
                // It advertises and accepts S256 only, yet takes a challenge without a method
                // and verifies it as plain.
                "RFC 7636 §4.4.1: \"If the server supporting PKCE does not support the \
                 requested transformation, the authorization endpoint MUST return the \
                 authorization error response with \"error\" value set to \"invalid_request\"\"",
            ),
            (
                "repeated-parameters-refused",
                // SHOULD: a code for a request with state repeated (the first one echoed).
                "RFC 6749 §3.1: \"Request and response parameters MUST NOT be included more than \
                 once\" (the server side: §4.1.2.1 invalid_request)",
            ),
            (
                "code-replay-revokes-tokens",
                // SHOULD: a replayed code refused, the tokens it gave still accepted.
                "RFC 6749 §4.1.2: the server \"MUST deny the request and SHOULD revoke (when \
                 possible) all tokens previously issued based on that authorization code\"",
            ),
            (
                "revocation-hint-ignored",
                // SHOULD: token_type_hint=bogus answered 401 unsupported_token_type.
                "RFC 7009 §2.2: \"An invalid token type hint value is ignored by the \
                 authorization server and does not influence the revocation response.\"",
            ),
        ],
    );
}

/// Cloudflare's workers-oauth-provider 1.2.3 in Miniflare (`scripts/providers/cloudflare`), as
/// remote MCP servers on Workers run it: its lifetimes are the library's defaults (codes 600 s,
/// access tokens 3600 s, grants 30 days), its `iss` is on every redirect, its token endpoint also
/// revokes. The triage is docs/cloudflare-behaviour.md §7.
#[test]
#[ignore = "needs the live servers started by scripts/test.sh"]
fn audit_of_cloudflares_workers_oauth_provider() {
    let base = url("OAUTH_ORACLE_CLOUDFLARE_URL");
    let documents = cloudflare_documents();
    let extra: Vec<&str> = documents.iter().map(String::as_str).collect();
    check(
        "cloudflare",
        &base,
        ["600", "3600", "2592000"],
        &extra,
        &[
            // Needs real-time waits past an access token's expiry (an hour here).
            "expired-access-keeps-refresh",
            // It has no introspection endpoint.
            "introspection-requires-authentication",
        ],
        &[
            (
                "redirect-exact-match",
                // HTTP://LOCALHOST:9999/cb gets a code for the registered
                // http://localhost:9999/cb (compared after URL normalisation).
                "RFC 9700 §2.1: \"When comparing client redirection URIs against pre-registered \
                 URIs, authorization servers MUST utilize exact string matching except for port \
                 numbers in localhost redirection URIs of native apps\"",
            ),
            (
                "pkce-challenge-syntax",
                // A code for the challenge "abc": the challenge's syntax is not checked.
                "RFC 7636 §4.2 / OAuth 2.1 §4.1.1: code_challenge is 43 to 128 unreserved \
                 characters",
            ),
            (
                "pkce-verifier-syntax",
                // Tokens for the verifier "short", whose S256 challenge the code was issued for.
                "RFC 7636 §4.1: code_verifier has \"a minimum length of 43 characters and a \
                 maximum length of 128 characters\"",
            ),
            (
                "repeated-parameters-refused",
                // SHOULD: a code for a request with state repeated (the first one echoed).
                "RFC 6749 §3.1: \"Request and response parameters MUST NOT be included more than \
                 once\" (the server side: §4.1.2.1 invalid_request)",
            ),
            (
                "redirect-uri-bound-to-code",
                // With PKCE, tokens for a code whose authorization request named redirect_uri,
                // exchanged without one (OAuth 2.1's reading; OAuth 2.0 as written forbids it).
                "RFC 6749 §4.1.3: redirect_uri is \"REQUIRED, if the \"redirect_uri\" parameter was \
                 included in the authorization request as described in Section 4.1.1, and their \
                 values MUST be identical.\"",
            ),
            (
                "refresh-rotated-dead",
                // By design: the refresh token last presented keeps working until the newer one
                // is used (a grace of one rotation).
                "RFC 9700 §4.14.2: with rotation \"the authorization server issues a new refresh \
                 token with every access token refresh response. The previous refresh token is \
                 invalidated\"",
            ),
            (
                "refresh-reuse-revokes-family",
                // SHOULD: a refresh token two rotations old is refused, and the grant's tokens
                // live on (not at seed 0; seen at --seed 5).
                "RFC 9700 §4.14.2: the server \"cannot determine which party submitted the \
                 invalid refresh token, but it will revoke the active refresh token\"; OAuth 2.1 \
                 §4.3.1 adds \"as well as the access authorization grant associated with it\"",
            ),
        ],
    );
}

/// `diff --profile cloudflare --compare semantic` against the library: every step of 300 flows
/// agrees with the model in outcome (status, `error` code, which secrets were issued, and so
/// which tokens work when later steps present them), with nothing skipped. The flows reach
/// every endpoint, second authorizations, code replays, the refresh grace, revocation at the
/// token endpoint and resource binding (`docs/cloudflare-behaviour.md` §9).
#[test]
#[ignore = "needs the live servers started by scripts/test.sh"]
fn diff_of_the_cloudflare_profile_against_the_library_agrees_in_outcome() {
    let out = diff_cloudflare(
        "cfdiff",
        &["--compare", "semantic", "--cases", "300"],
        Vec::new(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["steps_agree"], 300 * 25, "{stdout}");
    assert_eq!(report["divergent_flows"], 0);
    let basic_alone = report["fitted"].as_array().unwrap().iter().any(|n| {
        n.as_str().unwrap().starts_with(
            "fitted: client_secret_basic clients send their id in the Authorization header alone",
        )
    });
    assert!(basic_alone, "{}", report["fitted"]);
    // The paths the agreement covers: successes and refusals at every endpoint, replays,
    // revocations of known and unknown tokens, resource binding both ways.
    for path in [
        "register ok",
        "authorize ok",
        "authorize resource_invalid",
        "token ok",
        "token code_replayed",
        "token refresh_token_unknown",
        "token resource_invalid",
        "token scope_not_in_refresh_token",
        "revoke ok",
        "revoke revoke_noop",
        "resource ok",
        "resource bearer_unknown",
    ] {
        let n = report["agreed"][path].as_u64().unwrap_or(0);
        assert!(n > 0, "no agreeing step on {path}: {}", report["agreed"]);
    }
}

/// `diff --profile cloudflare --json` of 25-step flows against the library at its default
/// lifetimes, with `args` and `more` added, run in a fresh directory named by `tag`.
fn diff_cloudflare(tag: &str, args: &[&str], more: Vec<String>) -> std::process::Output {
    let base = url("OAUTH_ORACLE_CLOUDFLARE_URL");
    let dir = std::env::temp_dir().join(format!("oauth-oracle-live-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
        .args(["diff", "--target", &base, "--profile", "cloudflare"])
        .args(["--code-ttl", "600", "--access-ttl", "3600"])
        .args(["--refresh-ttl", "2592000", "--steps", "25", "--json"])
        .args(args)
        .args(more)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `diff --profile cloudflare` in the exact mode (status, headers, bodies byte for byte up to
/// the random values; an accepted `/mcp` call by its status) against the library, client ID
/// metadata documents included: every step of 100 flows agrees (`docs/cloudflare-behaviour.md`
/// §9).
#[test]
#[ignore = "needs the live servers started by scripts/test.sh"]
fn exact_diff_of_the_cloudflare_profile_against_the_library_agrees_byte_for_byte() {
    let out = diff_cloudflare(
        "cfexact",
        &[
            "--client-secret-ttl",
            "7776000",
            "--cases",
            "100",
            "--keep-going",
        ],
        cloudflare_documents(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(report["classes"], serde_json::json!([]), "{stdout}");
    // Every step agrees but the documents handed to the model, which the library fetches itself.
    let skipped = report["steps_skip"].as_u64().unwrap();
    assert!(
        skipped > 0,
        "no client ID metadata document in 100 flows: {stdout}"
    );
    assert_eq!(
        report["steps_agree"].as_u64().unwrap() + skipped,
        100 * 25,
        "{stdout}"
    );
    let reasons = report["skip_reasons"].as_object().unwrap();
    assert!(
        reasons.keys().all(|k| k.contains("--client-document")),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// `--client-document` flags for two of the documents the library's outbound fetches get
/// (`scripts/providers/cloudflare/cimd-documents.mjs`): a valid public client, and one whose
/// `client_id` is another URL, which the library must refuse (the MCP authorization
/// specification: the server "MUST validate that the fetched document's `client_id` matches the
/// URL exactly").
fn cloudflare_documents() -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "oauth-oracle-test-{}-cloudflare-documents",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut flags = Vec::new();
    for (url, client_id) in [
        (
            "https://client.example/oauth/metadata.json",
            "https://client.example/oauth/metadata.json",
        ),
        (
            "https://mismatch.example/oauth/metadata.json",
            "https://other.example/oauth/metadata.json",
        ),
    ] {
        let body = serde_json::json!({
            "client_id": client_id,
            "client_name": "oauth-oracle CIMD test client",
            "redirect_uris": ["http://127.0.0.1:9999/cb", "http://localhost:9999/cb"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        });
        let file = dir.join(format!("{}.json", flags.len()));
        std::fs::write(&file, body.to_string()).unwrap();
        flags.push("--client-document".to_owned());
        flags.push(format!("{url}={}", file.display()));
    }
    flags
}

/// The Authlib server's flags: its login form, its protected resource.
fn authlib_access(base: &str) -> Vec<String> {
    [
        "--login-field",
        "username=alice",
        "--login-field",
        "password=wonderland",
        "--resource",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([format!("{base}/api/me")])
    .collect()
}

/// The same Authlib server with an introspection endpoint that answers every caller
/// (`BUG=open_introspection`): the one defect of issue 13's list that a FastMCP variant cannot
/// have (FastMCP has no introspection endpoint). The audit introspects the tokens it was issued
/// without authenticating and reports the FAIL with the sentence that makes it one: RFC 7662
/// §2.1, "To prevent token scanning attacks, the endpoint MUST also require some form of
/// authorization to access this endpoint".
#[test]
#[ignore = "needs the live servers started by scripts/test.sh"]
fn audit_fails_an_introspection_endpoint_that_answers_unauthenticated_callers() {
    let base = url("OAUTH_ORACLE_AUTHLIB_OPEN_INTROSPECTION_URL");
    let access = authlib_access(&base);
    let extra: Vec<&str> = access.iter().map(String::as_str).collect();
    let (code, report) = audit("authlib-open-introspection", &base, "40", SHORT, &extra);
    assert_eq!(code, 1, "{report}");
    assert!(
        with_status(&report, "FAIL").contains(&"introspection-requires-authentication".to_owned()),
        "{report}"
    );
    assert!(
        report.contains("RFC 7662 §2.1"),
        "the FAIL cites its sentence:\n{report}"
    );
}
