//! `GET|POST /authorize`: the SDK's `AuthorizationHandler` (`authorize.py`)
//! ([RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)).
//!
//! Errors before the client and redirect URI are validated are answered directly (400 JSON);
//! later ones are redirected with `error`, `error_description` and `state`
//! ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1)). No consent step
//! (D-13); `code_challenge_method` absent means S256 (D-20).

use std::sync::Arc;

use super::Ctx;
use super::redirect::{exact_match, loopback_parsed_match};
use super::validate::{Errors, PKCE_SYNTAX, first_repeated, foreign_resource, is_pkce_syntax};
use crate::ErrorCode;
use crate::compat::pyjson::CompactObject;
use crate::compat::pyurl::{construct_redirect_uri, starlette_location};
use crate::compat::url_model::any_url;
use crate::event::Params;
use crate::output::{JSON, NO_STORE, Output, Reason};
use crate::profile::Profile;
use crate::provider::{AuthorizationParams, Client, ProviderError};

/// The validated `AuthorizationRequest`.
struct Request<'a> {
    client_id: &'a str,
    redirect_uri: Option<String>,
    code_challenge: &'a str,
    state: Option<&'a str>,
    scope: Option<&'a str>,
}

/// `AuthorizationRequest.model_validate(params)`; on failure the error code and description.
fn validate<'a>(
    params: &'a Params,
    profile: &Profile,
    challenge_optional: bool,
) -> Result<Request<'a>, (ErrorCode, String)> {
    let mut errors = Errors::default();
    let mut unsupported_response_type = false;
    let client_id = params.get("client_id");
    if client_id.is_none() {
        errors.add("client_id", "Field required");
    }
    let redirect_uri = match params.get("redirect_uri") {
        None => None,
        Some(raw) => match any_url(raw, false) {
            Ok(_) if profile.redirect_exact_match => Some(raw.to_owned()),
            Ok(u) => Some(u),
            Err(msg) => {
                errors.add("redirect_uri", &msg);
                None
            }
        },
    };
    match params.get("response_type") {
        None => errors.add("response_type", "Field required"),
        Some("code") => {}
        Some(_) => {
            unsupported_response_type = true;
            errors.add("response_type", "Input should be 'code'");
        }
    }
    let code_challenge = params.get("code_challenge");
    match code_challenge {
        None if challenge_optional => {}
        None => errors.add("code_challenge", "Field required"),
        Some(c) if profile.pkce_syntax_checked && !is_pkce_syntax(c) => {
            errors.add("code_challenge", PKCE_SYNTAX)
        }
        Some(_) => {}
    }
    match params.get("code_challenge_method") {
        None if challenge_optional => {}
        Some("S256") => {}
        None if profile.absent_challenge_method_is_s256 => {}
        None => errors.add(
            "code_challenge_method",
            "Field required: an absent method means 'plain', which is not supported; use 'S256'",
        ),
        Some(_) => errors.add("code_challenge_method", "Input should be 'S256'"),
    }
    if !errors.is_empty() {
        let error = if unsupported_response_type {
            ErrorCode::UnsupportedResponseType
        } else {
            ErrorCode::InvalidRequest
        };
        return Err((error, errors.describe()));
    }
    Ok(Request {
        client_id: client_id.unwrap_or_default(),
        redirect_uri,
        code_challenge: code_challenge.unwrap_or_default(),
        state: params.get("state"),
        scope: params.get("scope"),
    })
}

/// `client.validate_redirect_uri(uri)`.
fn validate_redirect_uri(
    client: &Client,
    uri: Option<&str>,
    profile: &Profile,
) -> Result<String, String> {
    let matches = |r: &String, uri: &str| {
        if profile.redirect_loopback_parsed && loopback_parsed_match(r, uri) {
            true
        } else if profile.redirect_exact_match {
            exact_match(r, uri)
        } else {
            r == uri
        }
    };
    match (uri, client.redirect_uris.as_deref()) {
        (Some(uri), Some(registered)) if registered.iter().any(|r| matches(r, uri)) => {
            Ok(uri.to_owned())
        }
        (Some(uri), _) => Err(format!("Redirect URI '{uri}' not registered for client")),
        (None, Some([only])) => Ok(only.clone()),
        (None, _) => Err(
            "redirect_uri must be specified unless the client has exactly one registered URI"
                .to_owned(),
        ),
    }
}

/// `client.validate_scope(scope)`: single-space split, every part registered (D-23).
fn validate_scope(client: &Client, scope: Option<&str>) -> Result<Option<Vec<String>>, String> {
    let Some(scope) = scope else { return Ok(None) };
    let allowed: Vec<&str> = client
        .scope
        .as_deref()
        .map(|s| s.split(' ').collect())
        .unwrap_or_default();
    let requested: Vec<String> = scope.split(' ').map(str::to_owned).collect();
    if let Some(bad) = requested.iter().find(|s| !allowed.contains(&s.as_str())) {
        return Err(format!("Client was not registered with scope {bad}"));
    }
    Ok(Some(requested))
}

/// The state of `error_response`: what is known when an error is answered.
struct Known {
    client: Option<Arc<Client>>,
    redirect_uri: Option<String>,
    state: Option<String>,
}

/// `error_response(error, description, attempt_load_client)`: redirect when both client and
/// redirect URI can be established, else 400 JSON.
fn error_response(
    ctx: &Ctx<'_>,
    params: &Params,
    mut known: Known,
    error: ErrorCode,
    description: &str,
    attempt_load_client: bool,
    reason: Reason,
) -> Output {
    if known.client.is_none() && attempt_load_client {
        known.client = params
            .get("client_id")
            .filter(|id| !id.is_empty())
            .and_then(|id| ctx.provider.get_client(id));
    }
    if known.redirect_uri.is_none()
        && let Some(client) = &known.client
    {
        let raw = if params.contains("redirect_uri") {
            match params.get("redirect_uri").map(|u| (u, any_url(u, false))) {
                Some((raw, Ok(_))) if ctx.profile.redirect_exact_match => {
                    Some(Some(raw.to_owned()))
                }
                Some((_, Ok(u))) => Some(Some(u)),
                _ => None,
            }
        } else {
            Some(None)
        };
        if let Some(raw) = raw {
            known.redirect_uri = validate_redirect_uri(client, raw.as_deref(), ctx.profile).ok();
        }
    }
    if known.state.is_none() {
        known.state = params.get("state").map(str::to_owned);
    }
    match (&known.redirect_uri, &known.client) {
        (Some(uri), Some(_)) => {
            let mut q: Vec<(&str, &str)> = vec![
                ("error", error.as_str()),
                ("error_description", description),
            ];
            if let Some(s) = &known.state {
                q.push(("state", s));
            }
            if ctx.profile.authorization_response_iss {
                q.push(("iss", &ctx.fixed.issuer));
            }
            redirect(&construct_redirect_uri(uri, &q)).because(reason)
        }
        _ if !ctx.profile.authorize_errors_json => Output::new(
            400,
            &[("content-type", "text/plain; charset=utf-8")],
            description.to_owned(),
        )
        .because(reason),
        _ => {
            let mut body = CompactObject::with_capacity(64 + description.len());
            body.member_str("error", error.as_str());
            body.member_str("error_description", description);
            if let Some(s) = &known.state {
                body.member_str("state", s);
            }
            Output::new(400, &[JSON, NO_STORE], body.finish()).because(reason)
        }
    }
}

/// A 302 as Starlette's `RedirectResponse` sends it.
fn redirect(url: &str) -> Output {
    Output::new(302, &[], String::new())
        .with_header("location", starlette_location(url))
        .with_header(NO_STORE.0, NO_STORE.1)
}

/// Handle `/authorize` with the given parameters.
pub(crate) fn handle_authorize(ctx: &mut Ctx<'_>, params: &Params) -> Output {
    if ctx.profile.authorize_first_value_wins && first_repeated(params).is_some() {
        // `URLSearchParams.get`: the first value of each parameter (every `resource` is kept).
        let mut firsts: Vec<(String, String)> = Vec::with_capacity(params.0.len());
        for (k, v) in &params.0 {
            if k == "resource" || !firsts.iter().any(|(seen, _)| seen == k) {
                firsts.push((k.clone(), v.clone()));
            }
        }
        return authorize(ctx, &Params(firsts));
    }
    authorize(ctx, params)
}

/// [`handle_authorize`] once repeated parameters are settled.
fn authorize(ctx: &mut Ctx<'_>, params: &Params) -> Output {
    let mut known = Known {
        client: None,
        redirect_uri: None,
        state: params.get("state").map(str::to_owned),
    };
    if ctx.profile.reject_repeated_params
        && !ctx.profile.authorize_first_value_wins
        && let Some(name) = first_repeated(params)
    {
        let description = format!("parameter '{name}' must not be repeated");
        let identifies_client = matches!(name, "client_id" | "redirect_uri");
        return error_response(
            ctx,
            params,
            known,
            ErrorCode::InvalidRequest,
            &description,
            !identifies_client,
            Reason::ParameterRepeated,
        );
    }
    let confidential = |ctx: &Ctx<'_>| {
        ctx.profile.pkce_optional_for_confidential
            && params
                .get("client_id")
                .and_then(|id| ctx.provider.get_client(id))
                .is_some_and(|c| c.secret.is_some())
    };
    let challenge_optional = !params.contains("code_challenge")
        && !params.contains("code_challenge_method")
        && confidential(ctx);
    let request = match validate(params, ctx.profile, challenge_optional) {
        Ok(r) => r,
        Err((error, description)) => {
            let reason = if error == ErrorCode::UnsupportedResponseType {
                Reason::ResponseTypeUnsupported
            } else {
                Reason::RequestInvalid
            };
            return error_response(ctx, params, known, error, &description, true, reason);
        }
    };
    known.state = request.state.map(str::to_owned);
    let Some(client) = ctx.provider.get_client(request.client_id) else {
        // A client metadata document refused (not cached) says why; else FastMCP's words.
        let description = match ctx.provider.document_refusal(request.client_id) {
            Some(why) => why.to_owned(),
            None => format!("Client ID '{}' not found", request.client_id),
        };
        return error_response(
            ctx,
            params,
            known,
            ErrorCode::InvalidRequest,
            &description,
            false,
            Reason::ClientNotFound,
        );
    };
    known.client = Some(client.clone());
    let redirect_uri =
        match validate_redirect_uri(&client, request.redirect_uri.as_deref(), ctx.profile) {
            Ok(u) => u,
            Err(description) => {
                let reason = if request.redirect_uri.is_some() {
                    Reason::RedirectUriNotRegistered
                } else {
                    Reason::RedirectUriAmbiguous
                };
                return error_response(
                    ctx,
                    params,
                    known,
                    ErrorCode::InvalidRequest,
                    &description,
                    true,
                    reason,
                );
            }
        };
    known.redirect_uri = Some(redirect_uri.clone());
    let checked = if ctx.profile.authorize_checks_scope {
        validate_scope(&client, request.scope)
    } else {
        // Granted as asked: the space-separated parts, empties dropped.
        Ok(request.scope.map(|s| {
            s.split(' ')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        }))
    };
    let scopes = match checked {
        Ok(s) => s,
        Err(description) => {
            return error_response(
                ctx,
                params,
                known,
                ErrorCode::InvalidScope,
                &description,
                true,
                Reason::ScopeNotRegistered,
            );
        }
    };
    if ctx.profile.resource_indicators
        && let Some(resource) = foreign_resource(params, &ctx.fixed.resource)
    {
        let description =
            format!("resource '{resource}' is not a protected resource of this server");
        return error_response(
            ctx,
            params,
            known,
            ErrorCode::InvalidTarget,
            &description,
            true,
            Reason::ResourceInvalid,
        );
    }
    let auth = AuthorizationParams {
        state: request.state.map(str::to_owned),
        scopes,
        code_challenge: request.code_challenge.to_owned(),
        redirect_uri,
        redirect_uri_provided_explicitly: request.redirect_uri.is_some(),
        issuer: ctx
            .profile
            .authorization_response_iss
            .then(|| ctx.fixed.issuer.clone()),
    };
    match ctx.provider.authorize(&client, auth, ctx.now) {
        Ok(url) => redirect(&url),
        Err(ProviderError::Protocol {
            error,
            description,
            reason,
        }) => error_response(ctx, params, known, error, &description, true, reason),
        Err(e @ (ProviderError::Absent(_) | ProviderError::Value(_))) => {
            super::internal_error(e.reason())
        }
    }
}
