//! `POST /revoke`: the SDK's `RevocationHandler` (`revoke.py`)
//! ([RFC 7009 §2](https://www.rfc-editor.org/rfc/rfc7009#section-2)).
//!
//! Unknown and foreign tokens get 200 and change nothing (RFC 7009 §2.2). FastMCP's quirks are
//! profile knobs: the required `client_secret` field (D-14) and `unauthorized_client` on
//! authentication failure (D-15); its error answers carry no `Cache-Control`.

use super::Ctx;
use super::client_auth::authenticate;
use super::token::{challenge_basic, multiple_methods_refused};
use super::validate::{Errors, first_repeated};
use crate::ErrorCode;
use crate::event::RevokeRequest;
use crate::output::{JSON, NO_CACHE, NO_STORE, Output, Reason, error_json};
use crate::provider::AnyToken;

/// Handle `POST /revoke`.
pub(crate) fn handle_revoke(ctx: &mut Ctx<'_>, req: &RevokeRequest) -> Output {
    if !ctx.config.revocation_enabled {
        return Output::not_found();
    }
    if let Some(out) = multiple_methods_refused(ctx, &req.form, req.authorization.as_deref()) {
        return out;
    }
    let client = match authenticate(
        ctx.provider,
        &req.form,
        req.authorization.as_deref(),
        ctx.now,
        ctx.profile.basic_names_client,
    ) {
        Ok(c) => c,
        Err((description, reason)) => {
            let body = error_json(ctx.profile.revocation_auth_error, description);
            let out = Output::new(401, &[JSON], body).because(reason);
            return challenge_basic(ctx, out, req.authorization.as_deref());
        }
    };
    // `RevocationRequest.model_validate(dict(form))`.
    let form = &req.form;
    let mut errors = Errors::default();
    if ctx.profile.reject_repeated_params
        && let Some(name) = first_repeated(form)
    {
        errors.add(name, "must not be repeated");
    }
    if form.get("token").is_none() {
        errors.add("token", "Field required");
    }
    let mut hint = form.get("token_type_hint");
    if ctx.profile.revocation_ignores_unknown_hint {
        hint = hint.filter(|h| matches!(*h, "access_token" | "refresh_token"));
    }
    if !matches!(hint, None | Some("access_token" | "refresh_token")) {
        errors.add(
            "token_type_hint",
            "Input should be 'access_token' or 'refresh_token'",
        );
    }
    if ctx.profile.revocation_requires_secret_field && !form.contains("client_secret") {
        errors.add("client_secret", "Field required");
    }
    if !errors.is_empty() {
        return Output::new(
            400,
            &[JSON],
            error_json(ErrorCode::InvalidRequest, &errors.describe()),
        )
        .because(Reason::RequestInvalid);
    }
    let token = form.get("token").unwrap_or_default();
    // Loaders in order (reversed for a refresh hint); their side effects apply (D-2).
    let found = if hint == Some("refresh_token") {
        ctx.provider
            .load_refresh_token_to_revoke(client.key, token, ctx.now)
            .map(AnyToken::Refresh)
            .or_else(|_| {
                ctx.provider
                    .load_access_token(token, ctx.now)
                    .map(AnyToken::Access)
            })
    } else {
        ctx.provider
            .load_access_token(token, ctx.now)
            .map(AnyToken::Access)
            .or_else(|_| {
                ctx.provider
                    .load_refresh_token_to_revoke(client.key, token, ctx.now)
                    .map(AnyToken::Refresh)
            })
    };
    let mut out = Output::new(200, &[NO_STORE, NO_CACHE], String::new());
    match found {
        Ok(t) if t.client() == client.key => ctx.provider.revoke_token(&t),
        Ok(_) | Err(_) => out = out.because(Reason::RevokeNoop),
    }
    out
}
