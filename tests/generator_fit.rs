//! `Fit`: flows fitted to what a live target accepts. A fitted generator never sends what the
//! target refused in the probes, and the default fit generates exactly the unfitted flows.
#![allow(clippy::unwrap_used)]

use oauth_oracle::generate::{Fit, Generator};
use oauth_oracle::{Config, Profile, Seed};
use serde_json::Value;

fn flow(seed: u8, fit: Option<Fit>) -> Vec<Value> {
    let config = Config {
        seed: Seed([seed; 32]),
        ..Config::default()
    };
    let g = Generator::new(Profile::fastmcp(), config).unwrap();
    let g = match fit {
        Some(f) => g.with_fit(f),
        None => g,
    };
    g.run(200)
        .steps
        .iter()
        .map(|s| serde_json::to_value(&s.event).unwrap())
        .collect()
}

fn param<'a>(event: &'a Value, name: &str) -> Option<&'a Value> {
    param_of(&event["params"], name)
}

fn param_of<'a>(pairs: &'a Value, name: &str) -> Option<&'a Value> {
    pairs
        .as_array()?
        .iter()
        .find(|p| p[0] == name)
        .map(|p| &p[1])
}

#[test]
fn the_default_fit_changes_nothing() {
    for seed in 0..8 {
        assert_eq!(flow(seed, None), flow(seed, Some(Fit::default())));
    }
}

#[test]
fn a_strict_fit_sends_only_what_the_target_accepts() {
    let strict = Fit {
        authorize_post: false,
        scope_required: true,
        challenge_method_required: true,
        redirect_uri_required: true,
        grant_types_named: true,
        introspection: false,
        pre_registered: false,
        client_documents: false,
        basic_alone: true,
    };
    let (mut authorizations, mut registrations, mut basic_alone) = (0, 0, 0);
    for seed in 0..8 {
        for e in flow(seed, Some(strict)) {
            match e["kind"].as_str() {
                Some("authorize") => {
                    authorizations += 1;
                    assert_eq!(e["method"], "GET", "{e}");
                    // Wrong moves may drop or spoil a part on purpose; a request that sends a
                    // challenge with no method must not be one meant to yield a code.
                    if param(&e, "code_challenge").is_some()
                        && param(&e, "response_type").is_some_and(|r| r == "code")
                    {
                        assert!(param(&e, "redirect_uri").is_some(), "{e}");
                    }
                }
                // `client_secret_basic` clients name themselves in the header alone.
                Some("token" | "revoke") if e["authorization"].get("basic").is_some() => {
                    basic_alone += 1;
                    assert!(param_of(&e["form"], "client_id").is_none(), "{e}");
                }
                // A live server fetches its own client ID metadata documents.
                Some("client_document") => panic!("a document for a live target: {e}"),
                Some("register") => {
                    registrations += 1;
                    let body: Value =
                        serde_json::from_str(e["body"].as_str().unwrap()).unwrap_or(Value::Null);
                    // Registrations meant to succeed (the wrong moves register bad URIs).
                    let good = body["redirect_uris"].as_array().is_some_and(|u| {
                        u.iter().all(|u| {
                            u == "http://localhost:9999/cb" || u == "http://127.0.0.1:9999/cb"
                        })
                    });
                    if good && body.get("token_endpoint_auth_method").is_some() {
                        assert!(body.get("scope").is_some_and(|s| s != ""), "{body}");
                        // RFC 7591 §2: no grant_types means authorization_code only; the
                        // fitted registrations name theirs (one wrong move asks for the code
                        // grant alone on purpose).
                        assert!(body.get("grant_types").is_some(), "{body}");
                    }
                }
                _ => {}
            }
        }
    }
    assert!(
        authorizations > 50 && registrations > 10 && basic_alone > 10,
        "{authorizations} {registrations} {basic_alone}"
    );
}

/// Against a target with an introspection endpoint, flows introspect the tokens it issued as a
/// caller that does not authenticate (RFC 7662 §2.1): no credentials, a confidential client's id
/// without its secret, or a wrong one; never with a right secret.
#[test]
fn an_introspection_fit_introspects_issued_tokens_without_authenticating() {
    let fit = Fit {
        introspection: true,
        ..Fit::default()
    };
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..8 {
        for e in flow(seed, Some(fit)) {
            if e["kind"] != "introspect" {
                continue;
            }
            let form = e["form"].as_array().unwrap();
            assert_eq!(form[0][0], "token", "{e}");
            assert!(
                matches!(
                    form[0][1]["field"].as_str(),
                    Some("access_token" | "refresh_token")
                ),
                "{e}"
            );
            let secret = form.iter().find(|p| p[0] == "client_secret").map(|p| &p[1]);
            let basic = &e["authorization"]["basic"];
            let kind = match (form.len(), secret, basic.is_null()) {
                (1, None, true) => "none",
                (2, None, true) => "id only",
                (_, Some(s), true) => {
                    assert_eq!(s, "not-the-secret", "{e}");
                    "wrong secret"
                }
                (_, None, false) => {
                    assert_eq!(basic[1], "not-the-secret", "{e}");
                    "wrong basic"
                }
                _ => panic!("{e}"),
            };
            seen.insert(kind);
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
}
