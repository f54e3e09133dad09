//! False positives of the invariant checker seen against a real, OpenID-certified server
//! (node-oidc-provider), each with the RFC sentence that settles it. Every test feeds the checker
//! the requests and the answers a real server sends — built by hand, as they come over HTTP — and
//! shows both that the conforming answer is no longer flagged and that a real violation of the
//! same rule still is.
#![allow(clippy::unwrap_used)]

mod common;

use common::VERIFIER;
use common::answers::{has, json_out, out, pairs, random, redirect, tokens};
use common::checked::{Checked, expectations};

use oauth_oracle::invariant::Expectations;
use oauth_oracle::{Event, IntrospectRequest, Output, RevokeRequest, TokenRequest, s256_challenge};
use serde_json::json;

const ISSUER: &str = "https://op.example";

impl Checked {
    /// Tokens for `code` (public client `client`, no redirect_uri at /token).
    fn redeem(&mut self, client: &str, code: &str, access: &str, refresh: &str) {
        let v = self.token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("client_id", client),
                ("code_verifier", VERIFIER),
            ],
            json_out(
                200,
                json!({"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                       "expires_in": 3600, "scope": "read"}),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}

/// Item 1. RFC 6749 §10.10: "The probability of an attacker guessing generated tokens [...]
/// MUST be less than or equal to 2^(-128)". A 43-character base64url value carries 258 bits
/// whatever its last `_` is followed by; a short one still falls short.
#[test]
fn entropy_is_estimated_from_the_whole_value() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
    // 43 characters, the last `_` three from the end (the old estimate: 3 × 6 = 18 bits).
    let code = "N3kq7XbV0yPz2LmQ4wRt8UaE6sDf1GhJk9_ZcB-o_Xa";
    assert_eq!(code.len(), 43);
    let v = run.code("c1", None, code);
    assert!(!has(&v, "issued-values-entropy"), "{v:?}");
    let (access, refresh) = (random("at"), random("rt"));
    run.redeem("c1", code, &access, &refresh);
    assert!(run.checks("issued-values-entropy") >= 3);
    // 19 characters of base64url: at most 114 bits.
    let v = run.code(
        "c1",
        Some("http://127.0.0.1:8080/cb"),
        "op_a1B2c3D4e5F6g7H8",
    );
    assert!(has(&v, "issued-values-entropy"), "{v:?}");
    // 30 hex digits: 120 bits.
    let v = run.code(
        "c1",
        Some("http://127.0.0.1:8080/cb"),
        "0123456789abcdef0123456789abcd",
    );
    assert!(has(&v, "issued-values-entropy"), "{v:?}");
}

/// Item 2. RFC 6749 §4.1.2: state is "REQUIRED if the "state" parameter was present in the
/// client authorization request. The exact value received from the client." With
/// response_mode=fragment the response parameters, state and iss (RFC 9207 §2) included, are in
/// the fragment. A request that repeats state (RFC 6749 §3.1: "Request and response parameters
/// MUST NOT be included more than once") is refused, with no one value to echo.
#[test]
fn state_and_iss_are_read_from_the_fragment_and_a_repeated_state_has_nothing_to_echo() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
    let challenge = s256_challenge(VERIFIER);
    let request = |state: &[&str]| {
        let mut p = vec![
            ("response_type", "code"),
            ("client_id", "c1"),
            ("redirect_uri", "http://127.0.0.1:8080/cb"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("response_mode", "fragment"),
        ];
        p.extend(state.iter().map(|s| ("state", *s)));
        pairs(&p)
    };
    let code = random("cd");
    let v = run.authorize(
        request(&["xyz"]),
        redirect(&format!(
            "http://127.0.0.1:8080/cb#code={code}&state=xyz&iss=https%3A%2F%2Fop.example"
        )),
    );
    assert!(!has(&v, "state-echoed"), "{v:?}");
    assert!(!has(&v, "iss-in-authorization-response"), "{v:?}");
    // A repeated state, refused with an error redirect that echoes none.
    let v = run.authorize(
        request(&["a", "b"]),
        redirect(
            "http://127.0.0.1:8080/cb#error=invalid_request&error_description=state%20repeated\
             &iss=https%3A%2F%2Fop.example",
        ),
    );
    assert!(!has(&v, "state-echoed"), "{v:?}");
    // Still caught: a fragment echoing another state, or none, or no iss.
    let v = run.authorize(
        request(&["xyz"]),
        redirect(&format!(
            "http://127.0.0.1:8080/cb#code={}&state=other",
            random("c2")
        )),
    );
    assert!(has(&v, "state-echoed"), "{v:?}");
    assert!(has(&v, "iss-in-authorization-response"), "{v:?}");
    let v = run.authorize(
        request(&["xyz"]),
        redirect("http://127.0.0.1:8080/cb#error=access_denied&iss=https%3A%2F%2Fop.example"),
    );
    assert!(has(&v, "state-echoed"), "{v:?}");
}

/// Item 3. RFC 8252 §7.3 (OAuth 2.1 §8.4.2): "The authorization server MUST allow any port to be
/// specified at the time of the request for loopback IP redirect URIs"; and "While redirect URIs
/// using the name `localhost` [...] function similarly to loopback IP redirects, the use of
/// `localhost` is NOT RECOMMENDED." A server holding `localhost` to its registered port breaks
/// no MUST; refusing another port on 127.0.0.1 or [::1] does.
#[test]
fn any_port_is_owed_to_loopback_ip_literals_only() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    let challenge = s256_challenge(VERIFIER);
    let refused = || {
        json_out(
            400,
            json!({"error": "invalid_redirect_uri", "error_description": "redirect_uri did not match any of the client's registered redirect_uris"}),
        )
    };
    // OAuth 2.1 §4.1.1: the exception is for "native apps", which §8.1.1 classifies as public
    // clients; a confidential client's loopback URI is matched exactly (Authlib's real answer:
    // 400 invalid_request "Redirect URI http://127.0.0.1:1234/cb is not supported by client."),
    // and so is that of a public client the server registered as a web application.
    for (host, method, owed) in [
        ("localhost", "none", false),
        ("127.0.0.1", "none", true),
        ("[::1]", "none", true),
        ("127.0.0.1", "client_secret_post", false),
        ("127.0.0.1", "web", false),
    ] {
        let client = format!("client-{host}-{method}");
        // "web": a public client registered as node-oidc-provider does, `application_type`
        // `web` in the answer (OpenID Connect Dynamic Client Registration §2).
        if method == "web" {
            run.register_web(&client, &format!("http://{host}:8080/cb"));
        } else {
            run.register(&client, &[&format!("http://{host}:8080/cb")], method);
        }
        let other_port = format!("http://{host}:51004/cb");
        let params = pairs(&[
            ("response_type", "code"),
            ("client_id", &client),
            ("redirect_uri", &other_port),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "st"),
        ]);
        let before = run.checks("loopback-any-port");
        let v = run.authorize(params, refused());
        assert_eq!(has(&v, "loopback-any-port"), owed, "{host} {method}: {v:?}");
        assert_eq!(
            run.checks("loopback-any-port") - before,
            u64::from(owed),
            "{host} {method}"
        );
    }
}

/// Item 4. RFC 6749 §4.1.3: redirect_uri is "REQUIRED, if the "redirect_uri" parameter was
/// included in the authorization request as described in Section 4.1.1, and their values MUST
/// be identical."
#[test]
fn redirect_uri_at_token_is_required_only_when_sent_at_authorize() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
    // No redirect_uri at /authorize: none at /token is fine, and so is the registered one.
    let (c1, c2, c3) = (random("k1"), random("k2"), random("k3"));
    run.code("c1", None, &c1);
    let exchange = |code: &str, redirect_uri: Option<&str>| {
        let mut f = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", "c1"),
            ("code_verifier", VERIFIER),
        ];
        f.extend(redirect_uri.map(|r| ("redirect_uri", r)));
        f.into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect::<Vec<_>>()
    };
    let send = |run: &mut Checked, form: Vec<(String, String)>, answer: Output| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run.token(&form, answer)
    };
    let v = send(&mut run, exchange(&c1, None), tokens("1"));
    assert!(!has(&v, "redirect-uri-bound-to-code"), "{v:?}");
    run.code("c1", None, &c2);
    let v = send(
        &mut run,
        exchange(&c2, Some("http://127.0.0.1:8080/cb")),
        tokens("2"),
    );
    assert!(!has(&v, "redirect-uri-bound-to-code"), "{v:?}");
    // Still caught: sent at /authorize, missing at /token.
    run.code("c1", Some("http://127.0.0.1:8080/cb"), &c3);
    let v = send(&mut run, exchange(&c3, None), tokens("3"));
    assert!(has(&v, "redirect-uri-bound-to-code"), "{v:?}");
}

/// Item 5. RFC 7009 §2.1: "The authorization server first validates the client credentials (in
/// case of a confidential client) and then verifies whether the token was issued to the client
/// making the revocation request. If this validation fails, the request is refused and the
/// client is informed of the error". §2.2's 200 "if the client submitted an invalid token" is
/// for tokens never issued.
#[test]
fn another_clients_token_may_be_refused_at_revoke() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    run.register("owner", &["http://127.0.0.1:8080/cb"], "none");
    let post_secret = run
        .register(
            "poster",
            &["http://127.0.0.1:8080/cb"],
            "client_secret_post",
        )
        .unwrap();
    run.register("public", &["http://127.0.0.1:8080/cb"], "none");
    let code = random("cd");
    run.code("owner", Some("http://127.0.0.1:8080/cb"), &code);
    let (access, refresh) = (random("at"), random("rt"));
    let v = run.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "owner"),
            ("code_verifier", VERIFIER),
            ("redirect_uri", "http://127.0.0.1:8080/cb"),
        ],
        json_out(
            200,
            json!({"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                   "expires_in": 3600, "scope": "read"}),
        ),
    );
    assert!(v.is_empty(), "{v:?}");
    let refused = || {
        json_out(
            400,
            json!({"error": "invalid_request", "error_description": "client is not authorized to revoke the presented token"}),
        )
    };
    let mut revoke = |client: &str, token: &str| {
        let mut form = vec![("token", token), ("client_id", client)];
        if client == "poster" {
            form.push(("client_secret", post_secret.as_str()));
        }
        run.send(
            Event::Revoke(RevokeRequest {
                form: pairs(&form),
                authorization: None,
            }),
            refused(),
        )
    };
    let rules = [
        "revocation-unknown-token-200",
        "revocation-public-and-basic-clients",
    ];
    for client in ["poster", "public"] {
        for token in [&access, &refresh] {
            let v = revoke(client, token);
            assert!(!rules.iter().any(|r| has(&v, r)), "{client}: {v:?}");
        }
    }
    // Still caught: a token never issued, refused.
    let v = revoke("poster", "never-issued-token-0123456789abcdef");
    assert!(has(&v, "revocation-unknown-token-200"), "{v:?}");
    let v = revoke("public", "never-issued-token-0123456789abcdef");
    assert!(has(&v, "revocation-public-and-basic-clients"), "{v:?}");
}

/// Item 6. RFC 6749 §5.2: invalid_request is for a request that "is missing a required
/// parameter, includes an unsupported parameter value (other than grant type), repeats a
/// parameter, [...] or is otherwise malformed"; invalid_grant for a grant that "does not match
/// the redirection URI used in the authorization request". A request with a wrong redirect_uri
/// and a malformed code_verifier, or no redirect_uri, is both.
#[test]
fn a_malformed_or_missing_parameter_may_be_invalid_request_before_the_redirect_check() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
    let code = random("cd");
    run.code("c1", Some("http://127.0.0.1:8080/cb"), &code);
    let invalid_request = || json_out(400, json!({"error": "invalid_request"}));
    let exchange = |redirect_uri: Option<&str>, verifier: &str| {
        let mut f = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", "c1"),
        ];
        f.extend(redirect_uri.map(|r| ("redirect_uri", r)));
        f.push(("code_verifier", verifier));
        f.into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect::<Vec<(String, String)>>()
    };
    let send = |run: &mut Checked, form: Vec<(String, String)>| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run.token(&form, invalid_request())
    };
    let wrong = Some("http://127.0.0.1:8080/other");
    let v = send(&mut run, exchange(wrong, "short"));
    assert!(!has(&v, "redirect-mismatch-is-invalid-grant"), "{v:?}");
    let v = send(&mut run, exchange(None, VERIFIER));
    assert!(!has(&v, "redirect-mismatch-is-invalid-grant"), "{v:?}");
    // Still caught: a well-formed request whose redirect_uri does not match.
    let v = send(&mut run, exchange(wrong, VERIFIER));
    assert!(has(&v, "redirect-mismatch-is-invalid-grant"), "{v:?}");
}

/// Item 7. RFC 9700 §4.14.2 / OAuth 2.1 §4.3.3: refresh tokens SHOULD expire. One answer does
/// not show whether they do: without a configured or stated lifetime the rule is not evaluated.
#[test]
fn refresh_expires_is_judged_only_with_a_known_lifetime() {
    let refresh_once = |exp: Expectations, stated: bool| {
        let mut run = Checked::new(exp);
        run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
        let code = random("cd");
        run.code("c1", None, &code);
        let (access, refresh) = (random("at"), random("rt"));
        run.redeem("c1", &code, &access, &refresh);
        let mut body = json!({"access_token": random("a2"), "refresh_token": random("r2"),
                              "token_type": "Bearer", "expires_in": 3600, "scope": "read"});
        if stated {
            body["refresh_token_expires_in"] = json!(1_209_600);
        }
        let v = run.token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", "c1"),
            ],
            json_out(200, body),
        );
        (run.checks("refresh-expires"), has(&v, "refresh-expires"))
    };
    let live = Expectations::for_live(&oauth_oracle::Config::default());
    assert!(!live.refresh_lifetime_known);
    assert_eq!(refresh_once(live.clone(), false), (0, false));
    assert_eq!(refresh_once(live, true), (1, false));
    assert_eq!(
        refresh_once(expectations(ISSUER, Some(86_400), true), false),
        (1, false)
    );
    // Still caught: a server known to issue refresh tokens that never expire.
    assert_eq!(
        refresh_once(expectations(ISSUER, None, true), false),
        (1, true)
    );
}

/// Authlib 1.9.10 (`CodeChallenge(required=True)`) issues a code without `code_challenge` to a
/// confidential client (seen live, `audit` of scripts/providers/authlib, 2026-12-01). OAuth 2.1
/// (draft-ietf-oauth-v2-1-08, "Countermeasures" to code injection): enforcing the challenge "is
/// REQUIRED for clients, and authorization servers MUST enforce their use, unless ... The client
/// is a confidential client" — then only RECOMMENDED. A public client still must send one.
#[test]
fn pkce_is_required_of_public_clients_only() {
    let cb = "http://localhost:9999/cb";
    for (method, flagged) in [("client_secret_post", false), ("none", true)] {
        let mut run = Checked::new(expectations(ISSUER, None, false));
        run.register("c1", &[cb], method);
        let v = run.authorize(
            pairs(&[
                ("response_type", "code"),
                ("client_id", "c1"),
                ("redirect_uri", cb),
                ("state", "st"),
            ]),
            redirect(&format!(
                "{cb}?code=abcdefghijklmnopqrstuvwxyzABCDEFGHIJ&state=st&iss={ISSUER}"
            )),
        );
        assert_eq!(has(&v, "pkce-required"), flagged, "{method}: {v:?}");
    }
}

/// RFC 6749 §6: "If a new refresh token is issued, the refresh token scope MUST be identical to
/// that of the refresh token included by the client in the request." node-oidc-provider's real
/// answers: a refresh asking for `read` alone gets an access token for `read` and a new refresh
/// token that still carries `read write`, so the next refresh without `scope` gets `read write`
/// back. The checker once took the response's `scope` for the new refresh token's and called
/// that a widening. A refresh granting a scope the grant never had is still one.
#[test]
fn a_rotated_refresh_token_keeps_the_scope_of_the_one_presented() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    let secret = run
        .register("owner", &["http://127.0.0.1:8080/cb"], "client_secret_post")
        .unwrap();
    let code = random("cd");
    run.code("owner", Some("http://127.0.0.1:8080/cb"), &code);
    let pair = |scope: &str, tag: &str| {
        json_out(
            200,
            json!({"access_token": random(&format!("a{tag}")), "refresh_token": random(&format!("r{tag}")),
                   "token_type": "Bearer", "expires_in": 3600, "scope": scope}),
        )
    };
    let client = [("client_id", "owner"), ("client_secret", secret.as_str())];
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", VERIFIER),
        ("redirect_uri", "http://127.0.0.1:8080/cb"),
    ];
    form.extend(client);
    assert!(run.token(&form, pair("read write", "1")).is_empty());
    let rt1 = random("r1");
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", rt1.as_str()),
        ("scope", "read"),
    ];
    form.extend(client);
    let v = run.token(&form, pair("read", "2"));
    assert!(v.is_empty(), "{v:?}");
    let rt2 = random("r2");
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", rt2.as_str()),
    ];
    form.extend(client);
    let v = run.token(&form, pair("read write", "3"));
    assert!(!has(&v, "refresh-scope-no-widening"), "{v:?}");
    assert!(run.checks("refresh-scope-no-widening") >= 2);
    // Still caught: a refresh granting what the grant never had.
    let rt3 = random("r3");
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", rt3.as_str()),
    ];
    form.extend(client);
    let v = run.token(&form, pair("read write admin", "4"));
    assert!(has(&v, "refresh-scope-no-widening"), "{v:?}");
}

/// RFC 6749 §4.1.2: on a code used twice the server "SHOULD revoke (when possible) all tokens
/// previously issued based on that authorization code", and nothing stops it revoking more:
/// node-oidc-provider revokes its whole grant, which spans every code the same user authorized
/// for the same client. Its real answers: after a replay of the first code, the tokens of the
/// second are dead too, and another client's revocation request for one of them answers 200 (a
/// token it no longer knows). The checker once blamed that request for the death
/// (`revocation-owner-only`). Without the replay, a token that dies after another client's
/// request is still flagged.
#[test]
fn after_a_code_replay_the_clients_other_tokens_may_be_dead_for_that_reason() {
    for replay in [true, false] {
        let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
        run.register("owner", &["http://127.0.0.1:8080/cb"], "none");
        run.register("other", &["http://127.0.0.1:8080/cb"], "none");
        let (c1, c2) = (random("c1"), random("c2"));
        run.code("owner", None, &c1);
        run.redeem("owner", &c1, &random("a1"), &random("r1"));
        run.code("owner", None, &c2);
        let a2 = random("a2");
        run.redeem("owner", &c2, &a2, &random("r2"));
        if replay {
            let v = run.token(
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &c1),
                    ("client_id", "owner"),
                    ("code_verifier", VERIFIER),
                ],
                json_out(
                    400,
                    json!({"error": "invalid_grant", "error_description": "grant request is invalid"}),
                ),
            );
            assert!(v.is_empty(), "{v:?}");
        }
        let v = run.send(
            Event::Revoke(RevokeRequest {
                form: pairs(&[("client_id", "other"), ("token", &a2)]),
                authorization: None,
            }),
            out(200, &[], serde_json::Value::Null),
        );
        assert!(!has(&v, "revocation-owner-only"), "{v:?}");
        let v = run.resource(
            &a2,
            out(
                401,
                &[("www-authenticate", "Bearer error=\"invalid_token\"")],
                json!({"active": false}),
            ),
        );
        assert_eq!(
            has(&v, "revocation-owner-only"),
            !replay,
            "replay {replay}: {v:?}"
        );
    }
}

/// Authlib's real answers. RFC 9207 §2: "an authorization server supporting this specification
/// MUST indicate its identity by including the iss parameter in the response"; §3: if
/// `authorization_response_iss_parameter_supported` is omitted, "the default value is false".
/// Authlib's metadata does not advertise it, and its code redirect carries no `iss`: no FAIL.
/// Advertised and missing, or sent and wrong, it still is one.
#[test]
fn iss_is_owed_only_by_a_server_that_advertises_rfc_9207() {
    let cb = "http://localhost:9999/cb";
    let authlib = json!({"issuer": ISSUER, "code_challenge_methods_supported": ["S256"]});
    let advertised =
        json!({"issuer": ISSUER, "authorization_response_iss_parameter_supported": true});
    let cases = [
        (
            &authlib,
            format!("{cb}?code={}&state=st", random("c")),
            false,
        ),
        (
            &advertised,
            format!("{cb}?code={}&state=st", random("c")),
            true,
        ),
        (
            &authlib,
            format!(
                "{cb}?code={}&state=st&iss=https%3A%2F%2Fevil.example",
                random("c")
            ),
            true,
        ),
    ];
    for (metadata, location, flagged) in cases {
        let exp = expectations(ISSUER, None, false).with_metadata(metadata);
        let mut run = Checked::new(exp);
        run.register("c1", &[cb], "none");
        let challenge = s256_challenge(VERIFIER);
        let v = run.authorize(
            pairs(&[
                ("response_type", "code"),
                ("client_id", "c1"),
                ("redirect_uri", cb),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("state", "st"),
            ]),
            redirect(&location),
        );
        assert_eq!(
            has(&v, "iss-in-authorization-response"),
            flagged,
            "{location}: {v:?}"
        );
    }
}

/// RFC 7636 §4.3: an absent code_challenge_method "defaults to "plain""; §4.4.1: a server that
/// does not support the requested transformation MUST refuse it. Authlib advertises `["S256"]`,
/// refuses an explicit `plain`, and issues a code for a challenge without a method: a FAIL. But
/// a request with no challenge at all (a confidential client skipping PKCE, which OAuth 2.1
/// allows) has no method to default, and a server advertising `plain` may take one: no FAIL.
#[test]
fn an_absent_challenge_method_is_judged_only_with_a_challenge_at_a_server_without_plain() {
    let cb = "http://localhost:9999/cb";
    let s256_only = json!({"issuer": ISSUER, "code_challenge_methods_supported": ["S256"]});
    let with_plain =
        json!({"issuer": ISSUER, "code_challenge_methods_supported": ["plain", "S256"]});
    let challenge = s256_challenge(VERIFIER);
    let cases = [
        (&s256_only, "none", true, true),
        (&s256_only, "client_secret_basic", false, false),
        (&with_plain, "none", true, false),
    ];
    for (metadata, method, with_challenge, flagged) in cases {
        let mut run = Checked::new(expectations(ISSUER, None, false).with_metadata(metadata));
        run.register("c1", &[cb], method);
        let mut p = vec![
            ("response_type", "code"),
            ("client_id", "c1"),
            ("redirect_uri", cb),
            ("state", "s1"),
        ];
        if with_challenge {
            p.push(("code_challenge", challenge.as_str()));
        }
        let v = run.authorize(
            pairs(&p),
            redirect(&format!(
                "{cb}?code=BzNOFkXqP3SIjiZodzbcPDHfkB7BX5MBVm8WRML3gzuLzdEK&state=s1&iss={ISSUER}"
            )),
        );
        assert_eq!(
            has(&v, "pkce-absent-method-is-plain"),
            flagged,
            "{metadata} {method} challenge {with_challenge}: {v:?}"
        );
    }
}

/// Authlib's real answer to a revocation with a bogus `token_type_hint` from a Basic client that
/// authenticated: `401 {"error": "unsupported_token_type"}`, no `WWW-Authenticate`. That is no
/// client-authentication failure (RFC 6749 §5.2's invalid_client and its challenge are about
/// one), and the refusal is the hint's doing (RFC 7009 §2.2: "An invalid token type hint value
/// is ignored by the authorization server and does not influence the revocation response"), not
/// a refusal of Basic clients. A wrong secret answered 401 invalid_client without a challenge is
/// still flagged, and so is a Basic client's hint-free revocation refused.
#[test]
fn a_refused_bogus_hint_is_judged_by_the_hint_rule_alone() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    let secret = run
        .register("c1", &["http://127.0.0.1:8080/cb"], "client_secret_basic")
        .unwrap();
    let code = random("cd");
    run.code("c1", None, &code);
    let access = random("at");
    let basic = |secret: &str| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("c1:{secret}"))
        )
    };
    let v = run.send(
        Event::Token(TokenRequest {
            form: pairs(&[
                ("grant_type", "authorization_code"),
                ("client_id", "c1"),
                ("code", &code),
                ("code_verifier", VERIFIER),
            ]),
            authorization: Some(basic(&secret)),
        }),
        json_out(
            200,
            json!({"access_token": access, "refresh_token": random("rt"), "token_type": "Bearer",
                   "expires_in": 3600, "scope": "read"}),
        ),
    );
    assert!(v.is_empty(), "{v:?}");
    let mut revoke = |form: &[(&str, &str)], secret: &str, answer: Output| {
        run.send(
            Event::Revoke(RevokeRequest {
                form: pairs(form),
                authorization: Some(basic(secret)),
            }),
            answer,
        )
    };
    let unsupported = || json_out(401, json!({"error": "unsupported_token_type"}));
    let v = revoke(
        &[
            ("client_id", "c1"),
            ("token", &access),
            ("token_type_hint", "bogus"),
        ],
        &secret,
        unsupported(),
    );
    for id in [
        "invalid-client-challenge",
        "revocation-auth-error-code",
        "revocation-public-and-basic-clients",
    ] {
        assert!(!has(&v, id), "{id}: {v:?}");
    }
    assert!(has(&v, "revocation-hint-ignored"), "{v:?}");
    // Still caught: a wrong secret answered 401 invalid_client without a challenge.
    let v = revoke(
        &[("client_id", "c1"), ("token", &access)],
        "wrong",
        json_out(401, json!({"error": "invalid_client"})),
    );
    assert!(has(&v, "invalid-client-challenge"), "{v:?}");
    // And a Basic client's plain revocation refused.
    let v = revoke(
        &[("client_id", "c1"), ("token", &access)],
        &secret,
        unsupported(),
    );
    assert!(has(&v, "revocation-public-and-basic-clients"), "{v:?}");
}

/// RFC 7009 §2.1: "If the particular token is a refresh token and the authorization server
/// supports the revocation of access tokens, then the authorization server SHOULD also
/// invalidate all access tokens based on the same authorization grant [...] If the token passed
/// to the request is an access token, the server MAY revoke the respective refresh token as
/// well." Authlib's real answers: its access token revoked (200), the refresh token still
/// refreshes (200): no FAIL. A refresh token revoked whose access token is still accepted is
/// one.
#[test]
fn revoking_an_access_token_may_leave_its_refresh_token_alive() {
    for revoke_refresh in [false, true] {
        let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
        run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
        let code = random("cd");
        run.code("c1", None, &code);
        let (access, refresh) = (random("at"), random("rt"));
        run.redeem("c1", &code, &access, &refresh);
        let revoked = if revoke_refresh { &refresh } else { &access };
        let v = run.send(
            Event::Revoke(RevokeRequest {
                form: pairs(&[("client_id", "c1"), ("token", revoked)]),
                authorization: None,
            }),
            out(200, &[], json!({})),
        );
        assert!(v.is_empty(), "{v:?}");
        let v = if revoke_refresh {
            run.resource(&access, json_out(200, json!({"sub": "alice"})))
        } else {
            run.token(
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", "c1"),
                    ("refresh_token", &refresh),
                ],
                json_out(
                    200,
                    json!({"access_token": random("a2"), "refresh_token": random("r2"),
                           "token_type": "Bearer", "expires_in": 3600, "scope": "read"}),
                ),
            )
        };
        assert_eq!(
            has(&v, "revocation-cascades"),
            revoke_refresh,
            "refresh revoked {revoke_refresh}: {v:?}"
        );
    }
}

/// OAuth 2.1 §4.1.3: "If a second valid token request is made with the same authorization code
/// as a previously successful token request, the authorization server MUST deny the request and
/// SHOULD revoke (when possible) all access tokens and refresh tokens previously issued based on
/// that authorization code." node-oidc-provider's real answer to a replay without the
/// redirect_uri its authorization request named: 400 invalid_request "missing required
/// parameter 'redirect_uri'", and the tokens live on. No valid second request, no FAIL; a valid
/// replay refused with invalid_grant whose tokens live on is still one.
#[test]
fn only_a_valid_code_replay_owes_revocation() {
    let cb = "http://127.0.0.1:8080/cb";
    for valid in [false, true] {
        let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
        run.register("c1", &[cb], "none");
        let code = random("cd");
        run.code("c1", Some(cb), &code);
        let (access, refresh) = (random("at"), random("rt"));
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", "c1"),
            ("code_verifier", VERIFIER),
            ("redirect_uri", cb),
        ];
        let v = run.token(
            &form,
            json_out(
                200,
                json!({"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                       "expires_in": 3600, "scope": "read"}),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
        let answer = if valid {
            json_out(
                400,
                json!({"error": "invalid_grant", "error_description": "grant request is invalid"}),
            )
        } else {
            form.pop();
            json_out(
                400,
                json!({"error": "invalid_request", "error_description": "missing required parameter 'redirect_uri'"}),
            )
        };
        let v = run.token(&form, answer);
        assert!(v.is_empty(), "{v:?}");
        let v = run.resource(&access, json_out(200, json!({"active": true})));
        assert_eq!(
            has(&v, "code-replay-revokes-tokens"),
            valid,
            "valid {valid}: {v:?}"
        );
    }
}

/// RFC 9700 §4.14.2: a rotated refresh token presented again "will inform the authorization
/// server of the breach", which then revokes the family (SHOULD). node-oidc-provider's real
/// answer to a rotated refresh token presented with a scope it never had: 400 invalid_scope
/// "refresh token missing requested scope", before it looks at the rotation; the family lives
/// on. No FAIL. Refused as invalid_grant (the token itself) with the family still alive is one.
#[test]
fn only_a_reuse_refused_for_the_token_owes_the_family_revocation() {
    for (answer, flagged) in [
        (
            json!({"error": "invalid_scope", "error_description": "refresh token missing requested scope"}),
            false,
        ),
        (
            json!({"error": "invalid_grant", "error_description": "grant request is invalid"}),
            true,
        ),
    ] {
        let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
        run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
        let code = random("cd");
        run.code("c1", None, &code);
        let (rt1, rt2, at2) = (random("r1"), random("r2"), random("a2"));
        run.redeem("c1", &code, &random("a1"), &rt1);
        let v = run.token(
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "c1"),
                ("refresh_token", &rt1),
            ],
            json_out(
                200,
                json!({"access_token": at2, "refresh_token": rt2, "token_type": "Bearer",
                       "expires_in": 3600, "scope": "read"}),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
        let v = run.token(
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "c1"),
                ("refresh_token", &rt1),
                ("scope", "admin"),
            ],
            json_out(400, answer.clone()),
        );
        assert!(v.is_empty(), "{v:?}");
        let v = run.resource(&at2, json_out(200, json!({"active": true})));
        assert_eq!(
            has(&v, "refresh-reuse-revokes-family"),
            flagged,
            "{answer}: {v:?}"
        );
    }
}

/// Seen against FastMCP with its state pasted into the redirect unencoded (`BUG=raw_state`):
/// `?code=REAL&state=a&code=OLD` for the state `a&code=OLD`, where OLD is a code issued earlier.
/// RFC 6749 §4.1.2 makes that a `state-echoed` violation; it is not the server issuing OLD a
/// second time (`issued-values-unique`) nor a short code (`issued-values-entropy`): a redirect
/// that names `code` twice (RFC 6749 §3.1: "Request and response parameters MUST NOT be
/// included more than once") does not say which code was issued.
#[test]
fn a_redirect_naming_code_twice_is_a_state_finding_not_an_issued_value() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
    let old = random("cd");
    assert!(run.code("c1", None, &old).is_empty());
    let challenge = s256_challenge(VERIFIER);
    let injected = format!("a&code={old}");
    let params = pairs(&[
        ("response_type", "code"),
        ("client_id", "c1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", injected.as_str()),
    ]);
    let location = format!(
        "http://127.0.0.1:8080/cb?code={}&state=a&code={old}&iss=https%3A%2F%2Fop.example",
        random("c2")
    );
    let v = run.authorize(params.clone(), redirect(&location));
    assert!(has(&v, "state-echoed"), "{v:?}");
    assert!(!has(&v, "issued-values-unique"), "{v:?}");
    assert!(!has(&v, "issued-values-entropy"), "{v:?}");
    // The same state, encoded as it must be: echoed, and a code issued once.
    let encoded = format!(
        "http://127.0.0.1:8080/cb?code={}&state=a%26code%3D{old}&iss=https%3A%2F%2Fop.example",
        random("c3")
    );
    assert!(run.authorize(params, redirect(&encoded)).is_empty());
    // A code really issued twice is still caught.
    let v = run.code("c1", None, &old);
    assert!(has(&v, "issued-values-unique"), "{v:?}");
}

/// RFC 7662 §2.1: "To prevent token scanning attacks, the endpoint MUST also require some form
/// of authorization to access this endpoint". The answers are the Authlib server's
/// (scripts/providers/authlib): 401 `invalid_client` to a caller without credentials, and — with
/// `BUG=open_introspection` — `"active": true` and the token's claims to the same caller.
#[test]
fn introspection_must_not_tell_an_unauthenticated_caller_that_a_token_is_active() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    let secret = run
        .register("conf", &["http://127.0.0.1:8080/cb"], "client_secret_post")
        .unwrap();
    run.register("pub", &["http://127.0.0.1:8080/cb"], "none");
    let token = random("at");
    let introspect = |run: &mut Checked, form: &[(&str, &str)], basic: Option<&str>, o: Output| {
        run.send(
            Event::Introspect(IntrospectRequest {
                form: pairs(form),
                authorization: basic.map(str::to_owned),
            }),
            o,
        )
    };
    let active = || {
        json_out(
            200,
            json!({"active": true, "client_id": "conf", "scope": "read", "sub": "alice"}),
        )
    };
    let refused = || {
        json_out(
            401,
            json!({"error": "invalid_client",
                   "error_description": "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post']"}),
        )
    };
    // Refused, or "active": false: kept, whoever asks.
    let v = introspect(&mut run, &[("token", &token)], None, refused());
    assert!(v.is_empty(), "{v:?}");
    let v = introspect(
        &mut run,
        &[("token", &token)],
        None,
        json_out(200, json!({"active": false})),
    );
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(run.checks("introspection-requires-authentication"), 2);
    // Broken: "active": true to no credentials, to a confidential client's id without its
    // secret, to a wrong secret (in the form or in Basic).
    use base64::Engine as _;
    let basic_wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("conf:not-the-secret")
    );
    for (form, basic) in [
        (vec![("token", token.as_str())], None),
        (vec![("token", token.as_str()), ("client_id", "conf")], None),
        (
            vec![
                ("token", token.as_str()),
                ("client_id", "conf"),
                ("client_secret", "not-the-secret"),
            ],
            None,
        ),
        (vec![("token", token.as_str())], Some(basic_wrong.as_str())),
    ] {
        let v = introspect(&mut run, &form, basic, active());
        assert!(
            has(&v, "introspection-requires-authentication"),
            "{form:?}: {v:?}"
        );
    }
    // Not judged: the right secret, a public client's id (how a caller authenticates is out of
    // RFC 7662's scope), a bearer token, an answer that says nothing (404).
    let checks = run.checks("introspection-requires-authentication");
    for (form, basic, o) in [
        (
            vec![
                ("token", token.as_str()),
                ("client_id", "conf"),
                ("client_secret", secret.as_str()),
            ],
            None,
            active(),
        ),
        (
            vec![("token", token.as_str()), ("client_id", "pub")],
            None,
            active(),
        ),
        (
            vec![("token", token.as_str())],
            Some("Bearer rs-token"),
            active(),
        ),
        (
            vec![("token", token.as_str())],
            None,
            out(404, &[], json!("Not Found")),
        ),
    ] {
        let v = introspect(&mut run, &form, basic, o);
        assert!(v.is_empty(), "{form:?}: {v:?}");
    }
    assert_eq!(run.checks("introspection-requires-authentication"), checks);
}
