//! The defects of issue 13 item 3 that an audit used to pass or never reach, each fed to the
//! checker as a real server would answer — the violating answer is caught, the conforming one is
//! not — and the generator's probes for them: every client-binding rule gets each kind of value
//! (code, access token, refresh token, rotated refresh token) from another client.
#![allow(clippy::unwrap_used)]

mod common;

use common::VERIFIER;
use common::answers::{has, json_out, out, pairs, random, tokens};
use common::checked::{self, Checked, LOOPBACK_CB as CB};
use std::collections::BTreeMap;

use oauth_oracle::generate::Generator;
use oauth_oracle::invariant::Violation;
use oauth_oracle::{Config, Event, Output, Params, Profile, RevokeRequest, Seed, s256_challenge};
use serde_json::{Value, json};

const ISSUER: &str = "https://as.example";

/// A checker at `ISSUER` whose clock moves 100 ms a step.
fn start() -> Checked {
    Checked::new(checked::expectations(ISSUER, Some(86_400), true)).ticking(100)
}

/// The requests of these tests: each client sends its credentials in the form.
impl Checked {
    /// `client`'s form credentials: its secret (`client_secret_post`), a wrong one, or none.
    fn creds(&self, client: &str, secret: Option<&str>) -> Vec<(String, String)> {
        let mut f = vec![("client_id".to_owned(), client.to_owned())];
        if let Some(s) = secret {
            f.push(("client_secret".to_owned(), s.to_owned()));
        }
        f
    }

    fn right(&self, client: &str) -> Vec<(String, String)> {
        self.creds(client, self.secret(client))
    }

    /// An S256 authorization request of `client` with `state`, answered with a 302 to
    /// `location`.
    fn authorize_state(&mut self, client: &str, state: &str, location: &str) -> Vec<Violation> {
        let challenge = s256_challenge(VERIFIER);
        let params = pairs(&[
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", CB),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", state),
        ]);
        self.authorize(params, out(302, &[("location", location)], Value::Null))
    }

    /// A token request with `creds` and `extra` in the form.
    fn token_as(
        &mut self,
        creds: Vec<(String, String)>,
        extra: &[(&str, &str)],
        answer: Output,
    ) -> Vec<Violation> {
        let mut form: Vec<(&str, &str)> = creds
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        form.extend(extra);
        self.token(&form, answer)
    }

    fn exchange(
        &mut self,
        creds: Vec<(String, String)>,
        code: &str,
        answer: Output,
    ) -> Vec<Violation> {
        let extra = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ];
        self.token_as(creds, &extra, answer)
    }

    fn refresh(
        &mut self,
        creds: Vec<(String, String)>,
        rt: &str,
        answer: Output,
    ) -> Vec<Violation> {
        self.token_as(
            creds,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
            answer,
        )
    }

    fn revoke(
        &mut self,
        creds: Vec<(String, String)>,
        token: &str,
        answer: Output,
    ) -> Vec<Violation> {
        let mut form = creds;
        form.push(("token".to_owned(), token.to_owned()));
        let form = Params::from_pairs(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.send(
            Event::Revoke(RevokeRequest {
                form,
                authorization: None,
            }),
            answer,
        )
    }

    /// `client` gets a code and a token pair; returns (access, refresh).
    fn pair(&mut self, client: &str, tag: &str) -> (String, String) {
        let code = random(&format!("c{tag}"));
        let v = self.code(client, Some(CB), &code);
        assert!(v.is_empty(), "{v:?}");
        let v = self.exchange(self.right(client), &code, tokens(tag));
        assert!(v.is_empty(), "{v:?}");
        (random(&format!("a{tag}")), random(&format!("r{tag}")))
    }
}

fn invalid_grant() -> Output {
    json_out(400, json!({"error": "invalid_grant"}))
}

fn invalid_client() -> Output {
    json_out(401, json!({"error": "invalid_client"}))
}

fn ok_empty() -> Output {
    out(200, &[("cache-control", "no-store")], Value::Null)
}

fn bearer_401() -> Output {
    out(
        401,
        &[("www-authenticate", "Bearer error=\"invalid_token\"")],
        Value::Null,
    )
}

fn resource_200() -> Output {
    json_out(200, json!({"ok": true}))
}

/// a. RFC 6749 §6: the server MUST "ensure that the refresh token was issued to the
/// authenticated client". A refresh token, live or rotated out, redeemed by another client.
#[test]
fn a_refresh_token_redeemed_by_another_client_is_caught() {
    let mut run = start();
    run.register("a", &[CB], "none");
    run.register("b", &[CB], "client_secret_post");
    let (_, rt) = run.pair("a", "1");
    // Refused: no violation.
    let v = run.refresh(run.right("b"), &rt, invalid_grant());
    assert!(v.is_empty(), "{v:?}");
    // Served to b: caught.
    let v = run.refresh(run.right("b"), &rt, tokens("2"));
    assert!(has(&v, "refresh-client-binding"), "{v:?}");
    // A rotated-out refresh token of a, served to b: caught twice over.
    let (_, rt3) = run.pair("a", "3");
    let v = run.refresh(run.right("a"), &rt3, tokens("4"));
    assert!(v.is_empty(), "{v:?}");
    let v = run.refresh(run.right("b"), &rt3, tokens("5"));
    assert!(has(&v, "refresh-client-binding"), "{v:?}");
    assert!(has(&v, "refresh-rotated-dead"), "{v:?}");
}

/// b. RFC 7009 §2.1: "The authorization server first validates the client credentials (in case
/// of a confidential client) and then verifies whether the token was issued to the client
/// making the revocation request. If this validation fails, the request is refused".
#[test]
fn a_confidential_clients_revocation_without_credentials_must_be_refused() {
    let mut run = start();
    run.register("p", &[CB], "client_secret_post");
    let (access, refresh) = run.pair("p", "1");
    let wrong = run.creds("p", Some("not-the-secret"));
    let none = run.creds("p", None);
    // Refused with invalid_client: kept.
    for creds in [wrong.clone(), none.clone()] {
        let v = run.revoke(creds, &access, invalid_client());
        assert!(v.is_empty(), "{v:?}");
    }
    assert_eq!(run.checks("revocation-client-authenticated"), 2);
    // Answered 200 (the token revoked or not, a token never issued included): broken.
    for (creds, token) in [
        (wrong, access.as_str()),
        (none, refresh.as_str()),
        (run.creds("p", None), "never-issued-0123456789abcdef0123"),
    ] {
        let v = run.revoke(creds, token, ok_empty());
        assert!(has(&v, "revocation-client-authenticated"), "{v:?}");
    }
    // With its credentials, a 200 is what §2.2 asks for.
    let v = run.revoke(run.right("p"), &refresh, ok_empty());
    assert!(!has(&v, "revocation-client-authenticated"), "{v:?}");
}

/// b. RFC 7009 §2.1 again: a request from another client, or naming no client, must not revoke
/// the token. The 200 itself is allowed (§2.2 lets a server answer 200 and do nothing); the
/// destruction shows when the owner next uses the token or its partner.
#[test]
fn a_foreign_or_anonymous_revocation_that_destroys_the_token_is_caught() {
    let mut run = start();
    run.register("a", &[CB], "none");
    run.register("b", &[CB], "client_secret_post");
    // Another client's request, a no-op: the owner's refresh works, a positive check.
    let (_, rt1) = run.pair("a", "1");
    let v = run.revoke(run.right("b"), &rt1, ok_empty());
    assert!(v.is_empty(), "{v:?}");
    let v = run.refresh(run.right("a"), &rt1, tokens("2"));
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(run.checks("revocation-owner-only"), 1);
    // Another client without credentials revoked the refresh token: the owner's refresh fails.
    let (_, rt3) = run.pair("a", "3");
    let v = run.revoke(run.creds("b", None), &rt3, ok_empty());
    assert!(has(&v, "revocation-client-authenticated"), "{v:?}");
    let v = run.refresh(run.right("a"), &rt3, invalid_grant());
    assert!(has(&v, "revocation-owner-only"), "{v:?}");
    // A request naming no client revoked the access token: the resource refuses it.
    let (at4, _) = run.pair("a", "4");
    let v = run.revoke(Vec::new(), &at4, ok_empty());
    assert!(v.is_empty(), "{v:?}");
    let v = run.resource(&at4, bearer_401());
    assert!(has(&v, "revocation-owner-only"), "{v:?}");
    // Kept: the same anonymous request, the token still accepted.
    let (at5, _) = run.pair("a", "5");
    run.revoke(Vec::new(), &at5, invalid_client());
    let v = run.resource(&at5, resource_200());
    assert!(!has(&v, "revocation-owner-only"), "{v:?}");
    // A 403 (a live token lacking scope, RFC 6750 §3.1) is no sign of a destroyed token.
    let (at7, _) = run.pair("a", "7");
    run.revoke(Vec::new(), &at7, invalid_client());
    let forbidden = out(
        403,
        &[("www-authenticate", "Bearer error=\"insufficient_scope\"")],
        json!({"error": "insufficient_scope"}),
    );
    let v = run.resource(&at7, forbidden);
    assert!(!has(&v, "revocation-owner-only"), "{v:?}");
    // The owner's own revocation is no foreign one.
    let (at6, rt6) = run.pair("a", "6");
    run.revoke(run.right("a"), &at6, ok_empty());
    let v = run.refresh(run.right("a"), &rt6, invalid_grant());
    assert!(!has(&v, "revocation-owner-only"), "{v:?}");
}

/// Percent-encode every byte but the unreserved ones (what `urlencode` does, `%20` for space).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// c. RFC 6749 §4.1.2: state is "REQUIRED if the "state" parameter was present in the client
/// authorization request. The exact value received from the client." A state holding `&`, `=`,
/// `%`, `#`, `+`, a space or a newline is echoed encoded, and decodes to the exact value; a server
/// that pastes it raw into the redirect (parameter injection) or decodes it twice is caught.
#[test]
fn a_state_with_reserved_characters_must_come_back_exact() {
    let mut run = start();
    run.register("a", &[CB], "none");
    let iss = "iss=https%3A%2F%2Fas.example";
    let states = [
        "a&code=injected",
        "x=1&y=2#frag",
        "100%25+%zz",
        "line\nbreak and space",
    ];
    for (i, state) in states.iter().enumerate() {
        let code = random(&format!("k{i}"));
        let good = format!("{CB}?code={code}&state={}&{iss}", encode(state));
        let v = run.authorize_state("a", state, &good);
        assert!(!has(&v, "state-echoed"), "{state:?}: {v:?}");
        let plus = format!(
            "{CB}?code={}&state={}&{iss}",
            random(&format!("p{i}")),
            encode(state).replace("%20", "+")
        );
        let v = run.authorize_state("a", state, &plus);
        assert!(!has(&v, "state-echoed"), "{state:?}: {v:?}");
    }
    // Pasted raw, or decoded twice, or cut at the newline: caught.
    let bad = [
        (
            "a&code=injected",
            format!("{CB}?code={}&state=a&code=injected&{iss}", random("b1")),
        ),
        (
            "x=1&y=2#frag",
            format!("{CB}?code={}&{iss}&state=x=1&y=2#frag", random("b2")),
        ),
        (
            "100%25+%zz",
            format!("{CB}?code={}&state=100%25%2B%25zz&{iss}", random("b3")),
        ),
        (
            "line\nbreak and space",
            format!("{CB}?code={}&state=line&{iss}", random("b4")),
        ),
    ];
    for (state, location) in bad {
        let v = run.authorize_state("a", state, &location);
        assert!(has(&v, "state-echoed"), "{state:?}: {v:?}");
    }
}

/// f. RFC 6749 §3.2.1: "Confidential clients [...] MUST authenticate with the authorization
/// server" at the token endpoint. A token endpoint that ignores client credentials serves a
/// code exchange or a refresh with a wrong secret or none.
#[test]
fn a_token_endpoint_that_ignores_client_credentials_is_caught() {
    let mut run = start();
    run.register("p", &[CB], "client_secret_post");
    for (i, creds) in [run.creds("p", Some("not-the-secret")), run.creds("p", None)]
        .into_iter()
        .enumerate()
    {
        let code = random(&format!("c{i}"));
        let v = run.code("p", Some(CB), &code);
        assert!(v.is_empty(), "{v:?}");
        let v = run.exchange(creds.clone(), &code, invalid_client());
        assert!(!has(&v, "client-authentication"), "{v:?}");
        let v = run.exchange(creds.clone(), &code, tokens(&format!("x{i}")));
        assert!(has(&v, "client-authentication"), "{v:?}");
        let (_, rt) = run.pair("p", &format!("y{i}"));
        let v = run.refresh(creds.clone(), &rt, invalid_client());
        assert!(!has(&v, "client-authentication"), "{v:?}");
        let v = run.refresh(creds, &rt, tokens(&format!("z{i}")));
        assert!(has(&v, "client-authentication"), "{v:?}");
    }
}

/// The generator's probes: over 200 flows of the strict profile, another client presents each
/// kind of value where a client-binding rule judges it — a code at /token, an access token at
/// /revoke, a live and a rotated-out refresh token at /token and at /revoke — and a confidential
/// client revokes without credentials, a request names no client at all, a state holds
/// reserved characters, and the authorization, the code exchange and the refresh each name
/// another server's resource (RFC 8707).
#[test]
fn the_generator_probes_every_client_binding_with_every_kind_of_value() {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for case in 0..200u8 {
        let config = Config {
            seed: Seed([case; 32]),
            ..Config::default()
        };
        let trace = Generator::new(Profile::oauth21(), config).unwrap().run(60);
        let events: Vec<Value> = trace
            .steps
            .iter()
            .map(|s| serde_json::to_value(&s.event).unwrap())
            .collect();
        // The client id reference (its registration step) of the request at `step`.
        let client_of = |step: usize| -> Option<Value> {
            let e = &events[step - 1];
            let list = e.get("form").or_else(|| e.get("params"))?.as_array()?;
            list.iter()
                .find(|p| p[0] == "client_id")
                .map(|p| p[1].clone())
        };
        let mut used_refresh: Vec<Value> = Vec::new();
        for (i, (e, s)) in events.iter().zip(&trace.steps).enumerate() {
            let kind = e["kind"].as_str().unwrap_or_default();
            let list = e
                .get("form")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let field = |name: &str| list.iter().find(|p| p[0] == name).map(|p| p[1].clone());
            let me = client_of(i + 1);
            // A value reference: (field, owner's client id).
            let owner = |v: &Value| {
                let step = v.get("ref")?.as_u64()? as usize;
                let origin = client_of(step)?;
                Some((v["field"].as_str()?.to_owned(), origin))
            };
            let value = match kind {
                "token" => field("code").or_else(|| field("refresh_token")),
                "revoke" => field("token"),
                "authorize" => {
                    let params = e["params"].as_array().cloned().unwrap_or_default();
                    if params.iter().any(|p| {
                        p[0] == "state"
                            && p[1].as_str().is_some_and(|s| s.contains(['&', '#', '\n']))
                    }) {
                        *seen.entry("reserved state").or_default() += 1;
                    }
                    None
                }
                _ => None,
            };
            let params = e
                .get("params")
                .or_else(|| e.get("form"))
                .and_then(Value::as_array);
            if params.is_some_and(|l| {
                l.iter()
                    .any(|p| p[0] == "resource" && p[1] == "https://other.example/mcp")
            }) {
                let grant = field("grant_type");
                let label = match (kind, grant.as_ref().and_then(Value::as_str)) {
                    ("authorize", _) => "foreign resource at /authorize",
                    ("token", Some("authorization_code")) => "foreign resource at code exchange",
                    ("token", Some("refresh_token")) => "foreign resource at refresh",
                    _ => "foreign resource elsewhere",
                };
                *seen.entry(label).or_default() += 1;
            }
            if kind == "revoke" && me.is_none() {
                *seen.entry("revoke naming no client").or_default() += 1;
            }
            let Some((what, origin)) = value.as_ref().and_then(owner) else {
                continue;
            };
            let rotated = what == "refresh_token" && used_refresh.contains(value.as_ref().unwrap());
            if kind == "token" && what == "refresh_token" && s.output.status == 200 {
                used_refresh.push(value.clone().unwrap());
            }
            if me.as_ref().is_some_and(|m| *m != origin) {
                let label = match (kind, what.as_str(), rotated) {
                    ("token", "code", _) => "code at /token",
                    ("token", "refresh_token", false) => "refresh token at /token",
                    ("token", "refresh_token", true) => "rotated refresh token at /token",
                    ("revoke", "access_token", _) => "access token at /revoke",
                    ("revoke", "refresh_token", false) => "refresh token at /revoke",
                    ("revoke", "refresh_token", true) => "rotated refresh token at /revoke",
                    _ => continue,
                };
                *seen.entry(label).or_default() += 1;
            }
        }
    }
    for label in [
        "code at /token",
        "refresh token at /token",
        "rotated refresh token at /token",
        "access token at /revoke",
        "refresh token at /revoke",
        "rotated refresh token at /revoke",
        "revoke naming no client",
        "reserved state",
        "foreign resource at /authorize",
        "foreign resource at code exchange",
        "foreign resource at refresh",
    ] {
        assert!(
            seen.get(label).is_some_and(|&n| n >= 3),
            "{label}: {seen:?}"
        );
    }
}
