//! The probes of the grant-store, token-endpoint, authorization and registration knobs that
//! Cloudflare's workers-oauth-provider made necessary (`docs/cloudflare-behaviour.md` §9): a new
//! authorization ending earlier grants, the refresh grace, revocation at the token endpoint, a
//! client named by `Basic` alone, and the rest.

use serde_json::json;

use super::{Candidates, Client, REDIRECT, Script, VERIFIER, View, is, kv, r, token};
use crate::event::RegisterRequest;
use crate::trace::{EventExpr, Field};

/// Every probe of this module, added with `add`.
pub(super) fn probes(
    add: &mut impl FnMut(
        &'static str,
        &'static str,
        &'static str,
        Candidates,
        View,
        &dyn Fn(&mut Script) -> usize,
    ),
) {
    use Candidates::{Bool, ErrorCode as Err};
    use View::{Error, Outcome, StatusAndError};
    add(
        "wire-unknown-client",
        "wire",
        "exchange a code as a client that was never registered and read the error_description",
        Candidates::Wire,
        View::Description,
        &|s| {
            let form = vec![
                kv("grant_type", "authorization_code"),
                kv("client_id", "oauth-oracle-fingerprint-unknown-client"),
                kv("code", "oauth-oracle-fingerprint-code"),
            ];
            s.push(0, token(form, None))
        },
    );
    add(
        "reauthorize",
        "reauthorization_revokes_grants",
        "get tokens, authorize the same client again, then use the first access token",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            s.authorize(c);
            s.resource(0, pair)
        },
    );
    add(
        "refresh-grace",
        "refresh_grace",
        "refresh, then refresh again with the same refresh token",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            s.refresh(c, pair);
            s.refresh(c, pair)
        },
    );
    add(
        "refresh-keeps-access",
        "refresh_keeps_access",
        "refresh, then use the access token issued before",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            s.refresh(c, pair);
            s.resource(0, pair)
        },
    );
    add(
        "refresh-scope-narrowed",
        "refresh_downscopes",
        "refresh asking for scope \"read admin\" (the grant has read and write)",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            let (mut form, authorization) = Script::auth(c, None);
            form.insert(0, kv("grant_type", "refresh_token"));
            form.push(kv("refresh_token", r(pair, Field::RefreshToken)));
            form.push(kv("scope", "read admin"));
            s.push(0, token(form, authorization))
        },
    );
    add(
        "revoke-kept-grant",
        "refresh_revocation_revokes_grant",
        "refresh, revoke the new refresh token, then use the access token issued before \
         (observable where a refresh keeps earlier access tokens)",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            let next = s.refresh(c, pair);
            s.revoke_refresh(c, next);
            s.resource(0, pair)
        },
    );
    add(
        "revoke-grace-grant",
        "refresh_revocation_revokes_grant",
        "refresh, revoke the first refresh token, then use the new access token (observable \
         where the presented refresh token stays usable)",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            let next = s.refresh(c, pair);
            s.revoke_refresh(c, pair);
            s.resource(0, next)
        },
    );
    add(
        "revoke-at-token",
        "revocation_at_token_endpoint",
        "post token= and no grant_type to /token",
        Bool,
        StatusAndError,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            let (mut form, authorization) = Script::auth(c, None);
            form.push(kv("token", r(pair, Field::AccessToken)));
            s.push(0, token(form, authorization))
        },
    );
    add(
        "basic-alone",
        "basic_names_client",
        "a Basic client exchanges a code with its id in the Authorization header alone",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_basic", REDIRECT);
            let code = s.authorize(c);
            s.exchange_basic_alone(c, code)
        },
    );
    add(
        "unnamed-basic-alone",
        "unnamed_method_any_secret",
        "a client registered without naming its method exchanges a code with Basic alone",
        Bool,
        Outcome,
        &|s| {
            let c = s.register_unnamed();
            let code = s.authorize(c);
            s.exchange_basic_alone(c, code)
        },
    );
    add(
        "unnamed-basic-and-id",
        "unnamed_method_any_secret",
        "a client registered without naming its method exchanges a code with Basic and its id \
         in the form",
        Bool,
        Outcome,
        &|s| {
            let c = s.register_unnamed();
            let code = s.authorize(c);
            s.exchange(c, code)
        },
    );
    add(
        "unnamed-grant-types",
        "default_grant_types_include_refresh",
        "register without grant_types and read the grant types granted",
        Bool,
        View::GrantTypes,
        &|s| s.register_unnamed().step,
    );
    add(
        "basic-and-form-id",
        "multiple_auth_methods_refused",
        "a Basic client names itself in the header and the form",
        Bool,
        Outcome,
        &|s| s.pair("client_secret_basic").1,
    );
    add(
        "refresh-unregistered",
        "refresh_grant_implied",
        "refresh as a client registered for authorization_code alone",
        Bool,
        Outcome,
        &refresh_unregistered,
    );
    add(
        "refresh-unregistered-error",
        "unregistered_grant_error",
        "refresh as a client registered for authorization_code alone (where that is refused)",
        Err,
        Error,
        &refresh_unregistered,
    );
    add(
        "no-pkce-confidential",
        "pkce_optional_for_confidential",
        "a confidential client authorizes without code_challenge",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            s.authorize_with(c, REDIRECT, |p| {
                p.retain(|kv| !is(kv, "code_challenge") && !is(kv, "code_challenge_method"));
            })
        },
    );
    add(
        "pkce-no-redirect",
        "redirect_uri_optional_with_pkce",
        "exchange a PKCE code without the redirect_uri /authorize named",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            let code = s.authorize(c);
            s.exchange_with(c, code, |f| f.retain(|kv| !is(kv, "redirect_uri")))
        },
    );
    add(
        "authorize-unregistered-scope",
        "authorize_checks_scope",
        "authorize with scope=admin, which the client did not register",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            s.authorize_with(c, REDIRECT, |p| {
                p.retain(|kv| !is(kv, "scope"));
                p.push(kv("scope", "admin"));
            })
        },
    );
    add(
        "authorize-unknown-client",
        "authorize_errors_json",
        "authorize as a client never registered",
        Bool,
        Error,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            s.authorize_with(c, REDIRECT, |p| {
                p.retain(|kv| !is(kv, "client_id"));
                p.push(kv("client_id", "fingerprint-unknown-client"));
            })
        },
    );
    add(
        "repeated-redirect",
        "authorize_first_value_wins",
        "authorize with redirect_uri sent twice, the registered one first",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            s.authorize_with(c, REDIRECT, |p| {
                p.push(kv("redirect_uri", format!("{REDIRECT}/other")));
            })
        },
    );
    add(
        "redirect-case-port",
        "redirect_loopback_parsed",
        "register http://localhost:9999/cb, authorize with HTTP://LOCALHOST:1234/cb",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            s.authorize_with(c, "HTTP://LOCALHOST:1234/cb", |_| {})
        },
    );
    add(
        "register-fragment-error",
        "registration_redirect_error",
        "register a redirect URI with a fragment (where that is refused)",
        Err,
        Error,
        &|s| s.register("none", "http://localhost:9999/cb#frag").step,
    );
    add(
        "register-unknown-scope",
        "registration_checks_scope",
        "register with scope \"read admin\" (admin is no valid scope)",
        Bool,
        Outcome,
        &|s| {
            let body = json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none",
                "scope": "read admin"});
            s.push(
                0,
                EventExpr::Register(RegisterRequest {
                    body: body.to_string().into(),
                }),
            )
        },
    );
    add(
        "register-bad-json",
        "registration_bad_json_error",
        "register with a body that is not JSON",
        Err,
        Error,
        &|s| {
            s.push(
                0,
                EventExpr::Register(RegisterRequest {
                    body: r#"{"redirect_uris":"#.to_owned().into(),
                }),
            )
        },
    );
    add(
        "replay-wrong-verifier",
        "code_replay_revokes_unverified",
        "exchange a code, replay it with a wrong code_verifier, then use the first access token \
         (observable where a replay revokes)",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            let code = s.authorize(c);
            let first = s.exchange(c, code);
            s.exchange_with(c, code, |f| {
                f.retain(|kv| !is(kv, "code_verifier"));
                f.push(kv("code_verifier", format!("{VERIFIER}x")));
            });
            s.resource(0, first)
        },
    );
}

/// A client registered for `authorization_code` alone gets tokens, then refreshes.
fn refresh_unregistered(s: &mut Script) -> usize {
    let body = json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post",
        "scope": "read write", "grant_types": ["authorization_code"]});
    let step = s.push(
        0,
        EventExpr::Register(RegisterRequest {
            body: body.to_string().into(),
        }),
    );
    let c = Client {
        step,
        method: "client_secret_post",
    };
    let code = s.authorize(c);
    let pair = s.exchange(c, code);
    s.refresh(c, pair)
}
