//! False positives of the invariant checker seen against a real, OpenID-certified server
//! (node-oidc-provider), each with the RFC sentence that settles it. Every test feeds the checker
//! the requests and the answers a real server sends — built by hand, as they come over HTTP — and
//! shows both that the conforming answer is no longer flagged and that a real violation of the
//! same rule still is.
#![allow(clippy::unwrap_used)]

use std::borrow::Cow;

use oauth_oracle::invariant::{Checker, Expectations, Violation};
use oauth_oracle::{
    AuthorizeMethod, AuthorizeRequest, Event, Lifetimes, Output, Params, RegisterRequest,
    RevokeRequest, TokenRequest, UnixMillis, s256_challenge,
};
use serde_json::json;

const ISSUER: &str = "https://op.example";
const START: u64 = 1_800_000_000_000;
/// A 43-character verifier (RFC 7636 §4.1 syntax).
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn expectations(refresh: Option<u64>, known: bool) -> Expectations {
    Expectations {
        issuer: ISSUER.to_owned(),
        lifetimes: Lifetimes {
            code: 60,
            access: 3600,
            refresh,
        },
        required_scopes: vec![],
        refresh_lifetime_known: known,
    }
}

/// A checker fed one step at a time, at a clock the test moves.
struct Run {
    checker: Checker,
    step: usize,
    now: u64,
}

fn out(status: u16, headers: &[(&'static str, String)], body: serde_json::Value) -> Output {
    Output {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), Cow::Owned(v.clone())))
            .collect(),
        body: if body.is_null() {
            String::new()
        } else {
            body.to_string()
        },
        reason: None,
    }
}

/// A JSON answer with `Cache-Control: no-store`, as node-oidc-provider sends from /token.
fn json_out(status: u16, body: serde_json::Value) -> Output {
    out(
        status,
        &[
            ("content-type", "application/json".into()),
            ("cache-control", "no-store".into()),
        ],
        body,
    )
}

fn redirect(location: &str) -> Output {
    out(
        302,
        &[("location", location.to_owned())],
        serde_json::Value::Null,
    )
}

fn pairs(p: &[(&str, &str)]) -> Params {
    Params::from_pairs(p.iter().copied())
}

fn has(v: &[Violation], id: &str) -> bool {
    v.iter().any(|v| v.invariant == id)
}

impl Run {
    fn new(exp: Expectations) -> Self {
        Self {
            checker: Checker::new(exp),
            step: 0,
            now: START,
        }
    }

    fn send(&mut self, event: Event, output: Output) -> Vec<Violation> {
        self.step += 1;
        self.checker
            .observe(self.step, UnixMillis(self.now), &event, &output)
    }

    fn checks(&self, id: &str) -> u64 {
        self.checker.tallies().get(id).map_or(0, |t| t.checks)
    }

    /// Register a client with `redirect_uris` by `method`; returns its id and secret.
    fn register(&mut self, id: &str, redirect_uris: &[&str], method: &str) -> Option<String> {
        let secret = (method != "none").then(|| format!("secret-of-{id}-{}", "s".repeat(40)));
        let mut body = json!({
            "client_id": id,
            "redirect_uris": redirect_uris,
            "token_endpoint_auth_method": method,
            "scope": "read",
        });
        if let Some(s) = &secret {
            body["client_secret"] = json!(s);
            body["client_secret_expires_at"] = json!(0);
        }
        let request = json!({"redirect_uris": redirect_uris, "token_endpoint_auth_method": method});
        let v = self.send(
            Event::Register(RegisterRequest {
                body: request.to_string(),
            }),
            json_out(201, body),
        );
        assert!(v.is_empty(), "{v:?}");
        secret
    }

    fn authorize(&mut self, params: Params, answer: Output) -> Vec<Violation> {
        self.send(
            Event::Authorize(AuthorizeRequest {
                method: AuthorizeMethod::Get,
                params,
            }),
            answer,
        )
    }

    fn token(&mut self, form: &[(&str, &str)], answer: Output) -> Vec<Violation> {
        self.send(
            Event::Token(TokenRequest {
                form: pairs(form),
                authorization: None,
            }),
            answer,
        )
    }

    /// An authorization request of public client `client` and the code redirect a real server
    /// answers (query response mode, `state` and `iss` echoed).
    fn code(&mut self, client: &str, redirect_uri: Option<&str>, code: &str) -> Vec<Violation> {
        let challenge = s256_challenge(VERIFIER);
        let mut p = vec![
            ("response_type", "code"),
            ("client_id", client),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", "st"),
        ];
        if let Some(r) = redirect_uri {
            p.push(("redirect_uri", r));
        }
        let base = redirect_uri.unwrap_or("http://127.0.0.1:8080/cb");
        let location = format!("{base}?code={code}&state=st&iss=https%3A%2F%2Fop.example");
        self.authorize(pairs(&p), redirect(&location))
    }

    /// Tokens for `code` (public client `client`, no redirect_uri at /token).
    fn tokens(&mut self, client: &str, code: &str, access: &str, refresh: &str) {
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

fn random(tag: &str) -> String {
    // 43 base64url characters (256 bits), as node-oidc-provider issues them.
    let mut s = format!("{tag}Qx7vN2pLk9R4sT8wYb3Hc6Dm1Fg5Jz0Ke");
    s.truncate(36);
    format!("{s:Z<36}A_b-C_d")
}

/// Item 1. RFC 6749 §10.10: "The probability of an attacker guessing generated tokens [...]
/// MUST be less than or equal to 2^(-128)". A 43-character base64url value carries 258 bits
/// whatever its last `_` is followed by; a short one still falls short.
#[test]
fn entropy_is_estimated_from_the_whole_value() {
    let mut run = Run::new(expectations(Some(86_400), true));
    run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
    // 43 characters, the last `_` three from the end (the old estimate: 3 × 6 = 18 bits).
    let code = "N3kq7XbV0yPz2LmQ4wRt8UaE6sDf1GhJk9_ZcB-o_Xa";
    assert_eq!(code.len(), 43);
    let v = run.code("c1", None, code);
    assert!(!has(&v, "issued-values-entropy"), "{v:?}");
    let (access, refresh) = (random("at"), random("rt"));
    run.tokens("c1", code, &access, &refresh);
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
    let mut run = Run::new(expectations(Some(86_400), true));
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
    let mut run = Run::new(expectations(Some(86_400), true));
    let challenge = s256_challenge(VERIFIER);
    let refused = || {
        json_out(
            400,
            json!({"error": "invalid_redirect_uri", "error_description": "redirect_uri did not match any of the client's registered redirect_uris"}),
        )
    };
    for (host, owed) in [("localhost", false), ("127.0.0.1", true), ("[::1]", true)] {
        let client = format!("client-{host}");
        run.register(&client, &[&format!("http://{host}:8080/cb")], "none");
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
        assert_eq!(has(&v, "loopback-any-port"), owed, "{host}: {v:?}");
        assert_eq!(
            run.checks("loopback-any-port") - before,
            u64::from(owed),
            "{host}"
        );
    }
}

/// Item 4. RFC 6749 §4.1.3: redirect_uri is "REQUIRED, if the "redirect_uri" parameter was
/// included in the authorization request as described in Section 4.1.1, and their values MUST
/// be identical."
#[test]
fn redirect_uri_at_token_is_required_only_when_sent_at_authorize() {
    let mut run = Run::new(expectations(Some(86_400), true));
    run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
    let ok = |tag: &str| {
        json_out(
            200,
            json!({"access_token": random(&format!("a{tag}")), "refresh_token": random(&format!("r{tag}")),
                   "token_type": "Bearer", "expires_in": 3600, "scope": "read"}),
        )
    };
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
    let send = |run: &mut Run, form: Vec<(String, String)>, answer: Output| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run.token(&form, answer)
    };
    let v = send(&mut run, exchange(&c1, None), ok("1"));
    assert!(!has(&v, "redirect-uri-bound-to-code"), "{v:?}");
    run.code("c1", None, &c2);
    let v = send(
        &mut run,
        exchange(&c2, Some("http://127.0.0.1:8080/cb")),
        ok("2"),
    );
    assert!(!has(&v, "redirect-uri-bound-to-code"), "{v:?}");
    // Still caught: sent at /authorize, missing at /token.
    run.code("c1", Some("http://127.0.0.1:8080/cb"), &c3);
    let v = send(&mut run, exchange(&c3, None), ok("3"));
    assert!(has(&v, "redirect-uri-bound-to-code"), "{v:?}");
}

/// Item 5. RFC 7009 §2.1: "The authorization server first validates the client credentials (in
/// case of a confidential client) and then verifies whether the token was issued to the client
/// making the revocation request. If this validation fails, the request is refused and the
/// client is informed of the error". §2.2's 200 "if the client submitted an invalid token" is
/// for tokens never issued.
#[test]
fn another_clients_token_may_be_refused_at_revoke() {
    let mut run = Run::new(expectations(Some(86_400), true));
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
    let mut run = Run::new(expectations(Some(86_400), true));
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
    let send = |run: &mut Run, form: Vec<(String, String)>| {
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
        let mut run = Run::new(exp);
        run.register("c1", &["http://127.0.0.1:8080/cb"], "none");
        let code = random("cd");
        run.code("c1", None, &code);
        let (access, refresh) = (random("at"), random("rt"));
        run.tokens("c1", &code, &access, &refresh);
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
        refresh_once(expectations(Some(86_400), true), false),
        (1, false)
    );
    // Still caught: a server known to issue refresh tokens that never expire.
    assert_eq!(refresh_once(expectations(None, true), false), (1, true));
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
        let mut run = Run::new(expectations(None, false));
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
