//! False positives of the invariant checker seen against Cloudflare's workers-oauth-provider
//! 1.2.3 (`audit` of `scripts/providers/cloudflare`, 2026-12-02), each with the sentence that
//! settles it. Every test feeds the checker the requests and the answers the library sent —
//! built by hand, as they came over HTTP — and shows both that the conforming answer is no longer
//! flagged and that a real violation of the same rule still is.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use common::VERIFIER;
use common::answers::{has, json_out, out, pairs, random};
use common::checked::{Checked, expectations};

use oauth_oracle::invariant::Violation;
use oauth_oracle::{Event, Output, RevokeRequest, TokenRequest};
use serde_json::json;

const ISSUER: &str = "http://127.0.0.1:28800";
const CB: &str = "http://localhost:9999/cb";

/// Cloudflare's answer to a token request that names its client in `Basic` and in the form.
fn two_methods() -> Output {
    json_out(
        400,
        json!({"error": "invalid_request",
               "error_description": "Client must not use multiple authentication methods"}),
    )
}

impl Checked {
    /// A token request with `form` and `Basic client:secret`, answered with `answer`.
    fn token_basic(
        &mut self,
        form: &[(&str, &str)],
        client: &str,
        answer: Output,
    ) -> Vec<Violation> {
        let secret = self.secret(client).unwrap().to_owned();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client}:{secret}"));
        self.send(
            Event::Token(TokenRequest {
                form: pairs(form),
                authorization: Some(format!("Basic {basic}")),
            }),
            answer,
        )
    }
}

/// RFC 6749 §5.2: `invalid_request` is for a request that "is missing a required parameter,
/// includes an unsupported parameter value (other than grant type), repeats a parameter,
/// includes multiple credentials, utilizes more than one mechanism for authenticating the
/// client, or is otherwise malformed". A `grant_type=password` request naming its client in
/// `Basic` and in the form may be refused for the second before its grant type is looked at.
/// Without the `Authorization` header, `invalid_request` for an unknown grant type is still a
/// FAIL.
#[test]
fn an_unknown_grant_with_credentials_twice_may_be_invalid_request() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    run.register("c1", &[CB], "client_secret_basic");
    let v = run.token_basic(
        &[("grant_type", "password"), ("client_id", "c1")],
        "c1",
        two_methods(),
    );
    assert!(!has(&v, "unsupported-grant-type-error"), "{v:?}");
    let secret = run.secret("c1").unwrap().to_owned();
    let v = run.token(
        &[
            ("grant_type", "password"),
            ("client_id", "c1"),
            ("client_secret", &secret),
        ],
        json_out(400, json!({"error": "invalid_request"})),
    );
    assert!(has(&v, "unsupported-grant-type-error"), "{v:?}");
}

/// The same sentence for a code exchange whose `redirect_uri` does not match: with the client
/// named in `Basic` and in the form, `invalid_request` is allowed; named in the form alone, it is
/// still `invalid_grant` that RFC 6749 §5.2 asks for ("does not match the redirection URI used
/// in the authorization request").
#[test]
fn a_redirect_mismatch_with_credentials_twice_may_be_invalid_request() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    run.register("c1", &[CB], "client_secret_basic");
    let code = random("cd");
    run.code("c1", Some(CB), &code);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", "c1"),
        ("redirect_uri", "http://localhost:9999/cb/"),
        ("code_verifier", VERIFIER),
    ];
    let v = run.token_basic(&form, "c1", two_methods());
    assert!(!has(&v, "redirect-mismatch-is-invalid-grant"), "{v:?}");
    let v = run.token(&form, json_out(400, json!({"error": "invalid_request"})));
    assert!(has(&v, "redirect-mismatch-is-invalid-grant"), "{v:?}");
}

/// A second authorization of the same client may end its earlier grant: Cloudflare's library
/// "revokes every earlier grant of the same user and client" when it issues the new code
/// (docs/cloudflare-behaviour.md §4.4), and no RFC forbids it. A refresh token that dies after
/// that, and after another client's refused revocation request, died for the first reason as
/// far as anyone can tell. Without the second authorization, its death is still blamed on the
/// other client's request (RFC 7009 §2.1).
#[test]
fn a_new_authorization_may_end_the_clients_earlier_grant() {
    for reauthorize in [true, false] {
        let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
        run.register("owner", &[CB], "none");
        run.register("other", &[CB], "client_secret_basic");
        let code = random("c1");
        run.code("owner", Some(CB), &code);
        let refresh = random("r1");
        let v = run.token(
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "owner"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            json_out(
                200,
                json!({"access_token": random("a1"), "token_type": "bearer", "expires_in": 3600,
                       "scope": "", "refresh_token": refresh}),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
        if reauthorize {
            let v = run.code("owner", Some(CB), &random("c2"));
            assert!(v.is_empty(), "{v:?}");
        }
        let v = run.send(
            Event::Revoke(RevokeRequest {
                form: pairs(&[("client_id", "other"), ("token", &refresh)]),
                authorization: None,
            }),
            out(
                401,
                &[],
                json!({"error": "invalid_client", "error_description": "Client authentication failed"}),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
        let v = run.token(
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "owner"),
                ("refresh_token", &refresh),
            ],
            json_out(
                400,
                json!({"error": "invalid_grant", "error_description": "Grant not found"}),
            ),
        );
        assert_eq!(
            has(&v, "revocation-owner-only"),
            !reauthorize,
            "reauthorize {reauthorize}: {v:?}"
        );
    }
}

/// The same sentence at the revocation endpoint (RFC 7009 §2.1 authenticates the client as
/// RFC 6749 §2.3 does, and §2.2.1 uses RFC 6749 §5.2's errors): a Basic client that also names
/// itself in the form may be refused as `invalid_request`. Any other refusal of a Basic client's
/// well-formed revocation still breaks `revocation-public-and-basic-clients`.
#[test]
fn a_revocation_with_credentials_twice_may_be_invalid_request() {
    let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
    run.register("c1", &[CB], "client_secret_basic");
    let secret = run.secret("c1").unwrap().to_owned();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("c1:{secret}"));
    let mut revoke = |answer: Output| {
        run.send(
            Event::Revoke(RevokeRequest {
                form: pairs(&[
                    ("client_id", "c1"),
                    ("token", "never-issued-0123456789abcdef0123456789abcdef"),
                ]),
                authorization: Some(format!("Basic {basic}")),
            }),
            answer,
        )
    };
    let v = revoke(two_methods());
    assert!(!has(&v, "revocation-public-and-basic-clients"), "{v:?}");
    let v = revoke(json_out(
        401,
        json!({"error": "unauthorized_client", "error_description": "no"}),
    ));
    assert!(has(&v, "revocation-public-and-basic-clients"), "{v:?}");
}

/// The code exchange of public client `c` (tokens tagged `tag`), as Cloudflare answers it.
fn exchanged(run: &mut Checked, c: &str, code: &str, tag: &str) {
    let v = run.token(
        &[
            ("grant_type", "authorization_code"),
            ("client_id", c),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ],
        common::answers::tokens(tag),
    );
    assert!(v.is_empty(), "{v:?}");
}

fn accepted() -> Output {
    json_out(200, json!({"ok": true}))
}

/// RFC 6749 §2.3.1: a `client_secret_basic` client is named by the `Authorization` header, and
/// Cloudflare refuses it in the form beside it (§2.3: one method per request). Tokens issued to
/// a request carrying `Basic` alone are the header's client's: neither `client-authentication`
/// nor `code-client-binding` is broken. Tokens for the same request without the header still
/// break both.
#[test]
fn basic_alone_names_the_client_of_a_token_request() {
    for with_basic in [true, false] {
        let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
        run.register("c1", &[CB], "client_secret_basic");
        let code = random("cd");
        run.code("c1", Some(CB), &code);
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ];
        let v = if with_basic {
            run.token_basic(&form, "c1", common::answers::tokens("1"))
        } else {
            run.token(&form, common::answers::tokens("1"))
        };
        assert_eq!(has(&v, "client-authentication"), !with_basic, "{v:?}");
        assert_eq!(has(&v, "code-client-binding"), !with_basic, "{v:?}");
    }
}

/// RFC 8707 §2: `invalid_target` refuses the request for its resource, which Cloudflare (and
/// `oauth21`) check before the code: a replay refused so never reached the code, and the
/// tokens issued from it may live on (`code-replay-revokes-tokens` is not broken). The same
/// replay refused as `invalid_grant` is one, and tokens that still work after it break it.
#[test]
fn a_replay_refused_for_its_resource_is_no_replay() {
    for (answer, replayed) in [("invalid_target", false), ("invalid_grant", true)] {
        let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
        run.register("c1", &[CB], "none");
        let code = random("cd");
        run.code("c1", Some(CB), &code);
        exchanged(&mut run, "c1", &code, "1");
        let v = run.token(
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "c1"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
                ("resource", "https://other.example/mcp"),
            ],
            json_out(400, json!({"error": answer})),
        );
        assert!(!has(&v, "code-replay-revokes-tokens"), "{v:?}");
        let v = run.resource(&random("a1"), accepted());
        assert_eq!(
            has(&v, "code-replay-revokes-tokens"),
            replayed,
            "{answer}: {v:?}"
        );
    }
}

/// Cloudflare keeps the refresh token last presented usable until the new one is used (a grace
/// of one: `refresh-rotated-dead` is broken, a documented deviation), and presenting it again
/// retires the one issued in between. Revoking that retired token revokes nothing (RFC 7009
/// §2.2: 200 for an invalid token), so the access token issued with it still works:
/// `revocation-cascades` is not broken. Without the grace (no second use of the first refresh
/// token), the same revocation and acceptance still break it.
#[test]
fn after_a_grace_the_retired_refresh_token_takes_nothing_with_it() {
    for grace in [true, false] {
        let mut run = Checked::new(expectations(ISSUER, Some(86_400), true));
        run.register("c1", &[CB], "none");
        let code = random("cd");
        run.code("c1", Some(CB), &code);
        exchanged(&mut run, "c1", &code, "1");
        let refresh = |run: &mut Checked, token: &str, tag: &str| {
            run.token(
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", "c1"),
                    ("refresh_token", token),
                ],
                common::answers::tokens(tag),
            )
        };
        let v = refresh(&mut run, &random("r1"), "2");
        assert!(v.is_empty(), "{v:?}");
        if grace {
            let v = refresh(&mut run, &random("r1"), "3");
            assert!(has(&v, "refresh-rotated-dead"), "{v:?}");
        }
        let v = run.send(
            Event::Revoke(RevokeRequest {
                form: pairs(&[("client_id", "c1"), ("token", &random("r2"))]),
                authorization: None,
            }),
            out(200, &[], json!(null)),
        );
        assert!(v.is_empty(), "{v:?}");
        let v = run.resource(&random("a2"), accepted());
        assert_eq!(
            has(&v, "revocation-cascades"),
            !grace,
            "grace {grace}: {v:?}"
        );
    }
}
