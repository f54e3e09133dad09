//! `@cloudflare/workers-oauth-provider` 1.2.3's wire (`dist/oauth-provider.js`): every error of
//! its endpoints is `createErrorResponse`'s `{"error", "error_description"}` with
//! `Cache-Control: no-store` and `Pragma: no-cache`; successes are `JSON.stringify` of objects
//! built in a fixed key order. The descriptions are the library's, chosen by the rule the model
//! applied and, where the library tells apart what the model's rule does not, by the request
//! and by what the stores hold after the step (whether a grant still lives).

use serde_json::{Map, Value};

use crate::endpoint::Fixed;
use crate::event::{Event, FormRequest, Params};
use crate::output::{Output, Reason};
use crate::provider::Provider;
use crate::time::UnixMillis;

const JSON: (&str, &str) = ("content-type", "application/json");
const NO_STORE: (&str, &str) = ("cache-control", "no-store");
const NO_CACHE: (&str, &str) = ("pragma", "no-cache");
/// workerd's `Content-Type` of a `Response` built from a string.
const TEXT: (&str, &str) = ("content-type", "text/plain;charset=UTF-8");

/// `out` as the library writes it.
pub(super) fn write(
    fixed: &Fixed,
    provider: &Provider,
    now: UnixMillis,
    event: &Event,
    out: Output,
) -> Output {
    match event {
        Event::Register(_) => register(out),
        Event::Token(t) | Event::Revoke(t) => token_endpoint(fixed, provider, now, t, out),
        Event::AuthorizationServerMetadata => as_metadata(fixed, out),
        Event::ProtectedResourceMetadata => pr_metadata(out),
        Event::Resource(_) => resource(fixed, out),
        Event::Authorize(a) => authorize(provider, &a.params, out),
        Event::Introspect(_)
        | Event::Unrouted(_)
        | Event::Control(_)
        | Event::ClientDocument(_) => out,
    }
}

/// An answer in place of `out`, keeping the rule that decided it.
fn reply(
    out: &Output,
    status: u16,
    headers: &[(&'static str, &'static str)],
    body: String,
) -> Output {
    let mut o = Output::new(status, headers, body);
    o.reason = out.reason;
    o
}

/// The members of a JSON object body, in order, or none.
fn members(body: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// `createErrorResponse(code, {description, statusCode})`: the body and its headers, plus the
/// model's `WWW-Authenticate` (the `Basic` challenge of `createInvalidClientResponse`).
fn error_response(out: &Output, description: &str) -> Output {
    let m = members(&out.body);
    let code = m.get("error").and_then(Value::as_str).unwrap_or("");
    let mut body = Map::new();
    body.insert("error".into(), Value::from(code));
    body.insert("error_description".into(), Value::from(description));
    let mut o = reply(
        out,
        out.status,
        &[JSON, NO_STORE, NO_CACHE],
        Value::Object(body).to_string(),
    );
    if let Some(www) = out.header("www-authenticate") {
        // `BASIC_AUTH_CHALLENGE`.
        let www = if www.starts_with("Basic ") {
            "Basic realm=\"OAuth\"".to_owned()
        } else {
            www.to_owned()
        };
        o = o.with_header("www-authenticate", www);
    }
    o
}

/// `POST /register` (`handleClientRegistration`): the client's record in the library's order,
/// with `client_secret_issued_at` after the secret's expiry.
fn register(out: Output) -> Output {
    if out.status != 201 {
        let m = members(&out.body);
        if m.contains_key("error") {
            let model = m
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("");
            let description = match out.reason {
                Some(Reason::RedirectUriRefused) => "Invalid redirect URI",
                _ if model == "redirect_uris: Field required" => {
                    "redirect_uris is required and must not be empty"
                }
                _ => model,
            };
            return error_response(&out, description);
        }
        return out;
    }
    let m = members(&out.body);
    let mut r = Map::new();
    for key in [
        "client_id",
        "redirect_uris",
        "client_name",
        "logo_uri",
        "client_uri",
        "policy_uri",
        "tos_uri",
        "jwks_uri",
        "contacts",
        "grant_types",
        "response_types",
        "token_endpoint_auth_method",
        "client_id_issued_at",
    ] {
        if let Some(v) = m.get(key) {
            r.insert(key.into(), v.clone());
        }
    }
    if let Some(secret) = m.get("client_secret") {
        r.insert("client_secret".into(), secret.clone());
        let issued = m.get("client_id_issued_at").cloned().unwrap_or(Value::Null);
        let expires = m
            .get("client_secret_expires_at")
            .cloned()
            .unwrap_or(Value::from(0));
        r.insert("client_secret_expires_at".into(), expires);
        r.insert("client_secret_issued_at".into(), issued);
    }
    reply(
        &out,
        201,
        &[JSON, NO_STORE, NO_CACHE],
        Value::Object(r).to_string(),
    )
}

/// Whether a form is the library's revocation request: `token` and no `grant_type`.
fn is_revocation(form: &Params) -> bool {
    form.get("grant_type").is_none_or(str::is_empty)
        && form.get("token").is_some_and(|t| !t.is_empty())
}

/// The token endpoint: token responses, revocations and their errors.
fn token_endpoint(
    fixed: &Fixed,
    provider: &Provider,
    now: UnixMillis,
    req: &FormRequest,
    out: Output,
) -> Output {
    if out.status == 200 {
        if is_revocation(&req.form) {
            return reply(&out, 200, &[TEXT], String::new());
        }
        return token_response(fixed, &req.form, out);
    }
    if !members(&out.body).contains_key("error") {
        return out;
    }
    let description = token_description(provider, now, req, &out);
    error_response(&out, &description)
}

/// `handleAuthorizationCodeGrant`'s and `handleRefreshTokenGrant`'s `tokenResponse`.
fn token_response(fixed: &Fixed, form: &Params, out: Output) -> Output {
    let m = members(&out.body);
    let get = |k: &str| m.get(k).cloned();
    let mut r = Map::new();
    if let Some(a) = get("access_token") {
        r.insert("access_token".into(), a);
    }
    r.insert("token_type".into(), Value::from("bearer"));
    if let Some(e) = get("expires_in") {
        r.insert("expires_in".into(), e);
    }
    let scope = get("scope").unwrap_or(Value::from(""));
    let audience = Value::from(fixed.resource.as_str());
    if form.get("grant_type") == Some("refresh_token") {
        if let Some(rt) = get("refresh_token") {
            r.insert("refresh_token".into(), rt);
        }
        r.insert("scope".into(), scope);
        r.insert("resource".into(), audience);
    } else {
        r.insert("scope".into(), scope);
        r.insert("resource".into(), audience);
        if let Some(rt) = get("refresh_token") {
            r.insert("refresh_token".into(), rt);
        }
    }
    reply(
        &out,
        200,
        &[JSON, NO_STORE, NO_CACHE],
        Value::Object(r).to_string(),
    )
}

/// The first parameter sent twice, as `parseTokenEndpointRequest` finds it: in the form's
/// order, `resource` exempt, empty client credentials not counted.
fn repeated_parameter(form: &Params) -> Option<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for (k, _) in &form.0 {
        let k = k.as_str();
        if seen.contains(&k) {
            continue;
        }
        seen.push(k);
        let credential = matches!(
            k,
            "client_id" | "client_secret" | "client_assertion" | "client_assertion_type"
        );
        let n = form
            .0
            .iter()
            .filter(|(k2, v)| k2 == k && !(credential && v.is_empty()))
            .count();
        if k != "resource" && n > 1 {
            return Some(k);
        }
    }
    None
}

/// The client a token-endpoint request names: the form's `client_id`, else `Basic`'s.
fn client_of(req: &FormRequest) -> Option<String> {
    match req.form.get("client_id").filter(|c| !c.is_empty()) {
        Some(c) => Some(c.to_owned()),
        None => req
            .authorization
            .as_deref()
            .and_then(crate::endpoint::client_auth::basic_credentials)
            .map(|(id, _)| id),
    }
}

/// The library's `error_description` for a refused token-endpoint request.
fn token_description(
    provider: &Provider,
    now: UnixMillis,
    req: &FormRequest,
    out: &Output,
) -> String {
    let form = &req.form;
    let basic = req
        .authorization
        .as_deref()
        .is_some_and(|a| a.len() >= 6 && a.as_bytes()[..6].eq_ignore_ascii_case(b"basic "));
    let model = || {
        members(&out.body)
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let three_parts = |v: Option<&str>| v.is_some_and(|v| v.split(':').count() == 3);
    let text = match out.reason {
        Some(Reason::ParameterRepeated) => {
            return repeated_parameter(form).map_or_else(model, |k| {
                format!("Request parameter \"{k}\" must not be repeated")
            });
        }
        Some(Reason::ClientIdMissing) => "Client ID is required",
        Some(Reason::ClientNotFound) => "Client not found",
        Some(Reason::BasicAuthMalformed) => {
            "Client authentication failed: invalid Basic credentials"
        }
        Some(Reason::SecretMismatch) => "Client authentication failed: invalid client_secret",
        Some(Reason::SecretMissing | Reason::BasicAuthMissing | Reason::AuthMethodUnknown) => {
            let empty_basic_secret = basic
                && req
                    .authorization
                    .as_deref()
                    .and_then(crate::endpoint::client_auth::basic_credentials)
                    .is_some_and(|(_, s)| s.is_empty());
            if empty_basic_secret {
                "Client authentication failed: missing client_secret"
            } else {
                "Client authentication failed"
            }
        }
        Some(Reason::GrantTypeUnsupported) => "Grant type not supported",
        Some(Reason::GrantTypeNotRegistered) => "The client is not registered for this grant type",
        Some(Reason::ResourceInvalid) => {
            "The resource parameter must name exactly one configured protected resource"
        }
        Some(Reason::CodeUnknown | Reason::CodeExpired) => match form.get("code") {
            // A used code of a grant that lives, presented by another client (its own client's
            // presentation is a replay).
            Some(c) if provider.grant_alive(c, now) => "Client ID mismatch",
            c if three_parts(c) => "Grant not found or authorization code expired",
            _ => "Invalid authorization code format",
        },
        Some(Reason::CodeReplayed) => "Authorization code already used",
        Some(Reason::CodeForeign | Reason::RefreshTokenForeign) => "Client ID mismatch",
        Some(Reason::PkceVerifierMismatch) => "Invalid PKCE code_verifier",
        Some(Reason::RedirectUriMismatch) => {
            // `isValidRedirectUri` against the client's URIs first.
            let uri = form.get("redirect_uri").unwrap_or_default();
            let registered = client_of(req)
                .and_then(|id| provider.get_client(&id))
                .and_then(|c| c.redirect_uris.clone())
                .unwrap_or_default();
            if registered
                .iter()
                .any(|r| r == uri || crate::endpoint::redirect::loopback_parsed_match(r, uri))
            {
                "redirect_uri does not match the authorization request"
            } else {
                "Invalid redirect URI"
            }
        }
        Some(Reason::RefreshTokenUnknown | Reason::RefreshTokenReused) => {
            match form.get("refresh_token") {
                Some(t) if provider.grant_alive(t, now) => "Invalid refresh token",
                t if three_parts(t) => "Grant not found",
                _ => "Invalid token format",
            }
        }
        // Within its last minute the grant's record is still there; past its expiry, gone.
        Some(Reason::RefreshTokenExpired) => match form.get("refresh_token") {
            Some(t) if !provider.grant_alive(t, now) => "Grant not found",
            _ => "Refresh token has expired",
        },
        Some(Reason::ScopeNotInRefreshToken) => "None of the requested scopes were granted",
        Some(Reason::RequestInvalid) => match form.get("grant_type") {
            Some("authorization_code") if form.get("code").is_none_or(str::is_empty) => {
                "Authorization code is required"
            }
            Some("refresh_token") if form.get("refresh_token").is_none_or(str::is_empty) => {
                "Refresh token is required"
            }
            _ => return model(),
        },
        _ => return model(),
    };
    text.to_owned()
}

/// The protected resource (`handleApiRequest`): `Bearer realm="OAuth"` challenges naming the
/// resource's metadata; `invalid_token` answers with a body.
fn resource(fixed: &Fixed, out: Output) -> Output {
    if out.status != 401 {
        return out;
    }
    let metadata = format!(
        "Bearer realm=\"OAuth\", resource_metadata=\"{}\"",
        fixed.resource_metadata
    );
    let mut o = match out.reason {
        Some(Reason::BearerMissing) => Output::new(401, &[NO_STORE, NO_CACHE], String::new())
            .with_header("www-authenticate", metadata),
        _ => {
            let description = match out.reason {
                Some(Reason::BearerExpired) => "Access token expired",
                _ => "Invalid access token",
            };
            let mut body = Map::new();
            body.insert("error".into(), Value::from("invalid_token"));
            body.insert("error_description".into(), Value::from(description));
            Output::new(
                401,
                &[JSON, NO_STORE, NO_CACHE],
                Value::Object(body).to_string(),
            )
            .with_header(
                "www-authenticate",
                format!("{metadata}, error=\"invalid_token\""),
            )
        }
    };
    o.reason = out.reason;
    o
}

/// `/authorize`: the worker's `Response.redirect(url, 302)`, a `Location` alone, built by
/// `new URL(redirectUri)` and `searchParams.set` (the whole query written again as a form,
/// the host in lower case); a refusal without a redirect is the worker's `text/plain` page.
fn authorize(provider: &Provider, params: &Params, out: Output) -> Output {
    let mut o = match out.status {
        302 => {
            let loc = out.header("location").unwrap_or_default();
            let error = out.error_code();
            let loc = match url::Url::parse(loc) {
                Ok(mut url) => {
                    let pairs: Vec<(String, String)> = url
                        .query_pairs()
                        .map(|(k, v)| {
                            let v = match (k.as_ref(), error.as_deref()) {
                                ("error_description", Some(e)) => {
                                    authorize_description(e, params).unwrap_or(v.into_owned())
                                }
                                _ => v.into_owned(),
                            };
                            (k.into_owned(), v)
                        })
                        .collect();
                    url.query_pairs_mut().clear().extend_pairs(pairs);
                    url.to_string()
                }
                Err(_) => loc.to_owned(),
            };
            Output::new(302, &[], String::new()).with_header("location", loc)
        }
        400 if out
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain")) =>
        {
            // `parseAuthRequest`'s order: the client id, the client, then the redirect URI.
            let text = match params.get("client_id").filter(|c| !c.is_empty()) {
                None => "client_id is required",
                Some(_) if out.reason == Some(Reason::ClientDocumentInvalid) => {
                    "This app could not be verified."
                }
                // A client ID metadata document URL whose document was not taken: the
                // worker's `CimdFetchError` page.
                Some(id)
                    if provider.get_client(id).is_none()
                        && crate::endpoint::client_document::is_document_url(id) =>
                {
                    "This app could not be verified."
                }
                Some(id) if provider.get_client(id).is_none() => "Invalid client_id",
                Some(_) => "Invalid redirect URI",
            };
            Output::new(
                400,
                &[("content-type", "text/plain; charset=utf-8")],
                text.to_owned(),
            )
        }
        _ => return out,
    };
    o.reason = out.reason;
    o
}

/// `parseAuthRequest`'s description of a refusal it redirects with `error`: the checks of
/// `validateAuthorizationResponseType` and `validateAuthorizationPkce`, in their order.
fn authorize_description(error: &str, params: &Params) -> Option<String> {
    let response_type = params.get("response_type").unwrap_or_default();
    let text = match error {
        "invalid_target" => {
            "The resource parameter must name exactly one configured protected resource".to_owned()
        }
        "unsupported_response_type" => {
            format!("The authorization server does not support response_type {response_type}")
        }
        "unauthorized_client" => {
            format!("The client is not registered for response_type {response_type}")
        }
        "invalid_request" if response_type.is_empty() => "response_type is required".to_owned(),
        "invalid_request" => {
            let challenge = params.get("code_challenge").filter(|c| !c.is_empty());
            let method = params
                .get("code_challenge_method")
                .filter(|m| !m.is_empty());
            match (challenge, method) {
                (Some(_), Some(m)) if m != "plain" && m != "S256" => {
                    format!("Unsupported PKCE code_challenge_method: {m}")
                }
                (Some(_), _) => {
                    "The plain PKCE method is not allowed. Use S256 instead.".to_owned()
                }
                (None, Some(_)) => {
                    "PKCE code_challenge is required when code_challenge_method is provided."
                        .to_owned()
                }
                (None, None) => {
                    "Public clients must use PKCE with the authorization code flow.".to_owned()
                }
            }
        }
        _ => return None,
    };
    Some(text)
}

/// The authorization server metadata (`handleMetadataDiscovery`): the library's keys in its
/// order, no caching headers. It names `private_key_jwt` (with its signing algorithms) for
/// client ID metadata documents that publish keys, which the model does not take.
fn as_metadata(fixed: &Fixed, out: Output) -> Output {
    if out.status != 200 {
        return out;
    }
    let m = members(&out.body);
    let strs = |v: &[&str]| Value::from(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    let mut r = Map::new();
    let copy = |r: &mut Map<String, Value>, k: &str| {
        if let Some(v) = m.get(k) {
            r.insert(k.into(), v.clone());
        }
    };
    copy(&mut r, "issuer");
    copy(&mut r, "authorization_endpoint");
    copy(&mut r, "token_endpoint");
    r.insert(
        "protected_resources".into(),
        strs(&[fixed.resource.as_str()]),
    );
    copy(&mut r, "registration_endpoint");
    copy(&mut r, "scopes_supported");
    copy(&mut r, "response_types_supported");
    r.insert("response_modes_supported".into(), strs(&["query"]));
    copy(&mut r, "grant_types_supported");
    r.insert(
        "token_endpoint_auth_methods_supported".into(),
        strs(&[
            "client_secret_basic",
            "client_secret_post",
            "none",
            "private_key_jwt",
        ]),
    );
    r.insert(
        "token_endpoint_auth_signing_alg_values_supported".into(),
        strs(&["RS256", "ES256"]),
    );
    copy(&mut r, "revocation_endpoint");
    copy(&mut r, "code_challenge_methods_supported");
    copy(&mut r, "authorization_response_iss_parameter_supported");
    copy(&mut r, "client_id_metadata_document_supported");
    reply(&out, 200, &[JSON], Value::Object(r).to_string())
}

/// The protected resource metadata: `resource`, `authorization_servers`,
/// `bearer_methods_supported` (the worker configures no scopes for it); no caching headers.
fn pr_metadata(out: Output) -> Output {
    if out.status != 200 {
        return out;
    }
    let mut m = members(&out.body);
    m.shift_remove("scopes_supported");
    reply(&out, 200, &[JSON], Value::Object(m).to_string())
}
