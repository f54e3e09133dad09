//! `POST /token`: FastMCP's `TokenHandler` around the SDK's (`token.py`)
//! ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3), §6, §5.2).
//!
//! Every answer carries `Cache-Control: no-store` and `Pragma: no-cache`
//! ([RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1)). `invalid_grant` is
//! answered with the profile's status (FastMCP: 401, D-17). Failed checks leave the code
//! unconsumed (D-20).

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::Ctx;
use super::client_auth::authenticate;
use super::validate::{
    Errors, PKCE_SYNTAX, first_repeated, foreign_resource, is_pkce_syntax, py_repr_list,
};
use crate::ErrorCode;
use crate::compat::pyjson::CompactObject;
use crate::compat::url_model::any_url;
use crate::event::{RevokeRequest, TokenRequest};
use crate::output::{JSON, NO_CACHE, NO_STORE, Output, Reason, error_json};
use crate::provider::{OAuthToken, ProviderError};

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A token-endpoint error with the SDK's status (FastMCP's 401 rewrite of `invalid_grant` is the
/// profile's `invalid_grant_status`).
fn token_error(
    ctx: &Ctx<'_>,
    status: u16,
    error: ErrorCode,
    description: &str,
    reason: Reason,
) -> Output {
    let status = if error == ErrorCode::InvalidGrant {
        ctx.profile.invalid_grant_status
    } else {
        status
    };
    Output::new(
        status,
        &[JSON, NO_STORE, NO_CACHE],
        error_json(error, description),
    )
    .because(reason)
}

/// The `OAuthToken` body as pydantic dumps it (field order of the model).
fn token_success(token: &OAuthToken) -> Output {
    let mut o = CompactObject::with_capacity(
        96 + token.access_token.len() + token.refresh_token.len() + token.scope.len(),
    );
    o.member_str("access_token", &token.access_token);
    o.member_str("token_type", token.token_type);
    o.member("expires_in", &token.expires_in);
    o.member_str("scope", &token.scope);
    o.member_str("refresh_token", &token.refresh_token);
    Output::new(200, &[JSON, NO_STORE, NO_CACHE], o.finish())
}

/// The answer to a provider's `TokenError` (anything else it raises is a 500).
fn provider_error(ctx: &Ctx<'_>, e: &ProviderError) -> Output {
    match e {
        ProviderError::Protocol {
            error,
            description,
            reason,
        } => token_error(ctx, 400, *error, description, *reason),
        ProviderError::Absent(_) | ProviderError::Value(_) => super::internal_error(e.reason()),
    }
}

/// `BASE64URL-NOPAD(SHA256(verifier))` ([RFC 7636 §4.2](https://www.rfc-editor.org/rfc/rfc7636#section-4.2)).
pub fn s256_challenge(verifier: &str) -> String {
    String::from_utf8_lossy(&s256_text(verifier)).into_owned()
}

/// The 43 characters of [`s256_challenge`], on the stack.
fn s256_text(verifier: &str) -> [u8; 43] {
    let mut text = [0u8; 43];
    // 32 bytes always encode to exactly 43 characters, so the slice is always large enough.
    let _ = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode_slice(Sha256::digest(verifier.as_bytes()), &mut text);
    text
}

/// Whether `challenge == s256_challenge(verifier)`, without allocating.
fn s256_matches(verifier: &str, challenge: &str) -> bool {
    s256_text(verifier) == challenge.as_bytes()
}

/// Handle `POST /token`: a token request, or a revocation request where the profile serves
/// revocation here (`revocation_at_token_endpoint`: no `grant_type` and a non-empty `token`).
pub(crate) fn handle_token(ctx: &mut Ctx<'_>, req: &TokenRequest) -> Output {
    if ctx.profile.revocation_at_token_endpoint
        && req.form.get("grant_type").is_none()
        && req.form.get("token").is_some_and(|t| !t.is_empty())
    {
        let revocation = RevokeRequest {
            form: req.form.clone(),
            authorization: req.authorization.clone(),
        };
        return super::revoke::handle_revoke(ctx, &revocation);
    }
    if let Some(out) = multiple_methods_refused(ctx, &req.form, req.authorization.as_deref()) {
        return out;
    }
    // A. Client authentication: any failure is 401 invalid_client.
    let client = match authenticate(
        ctx.provider,
        &req.form,
        req.authorization.as_deref(),
        ctx.now,
        ctx.profile.basic_names_client,
    ) {
        Ok(c) => c,
        Err((description, reason)) => {
            let out = token_error(ctx, 401, ErrorCode::InvalidClient, description, reason);
            return challenge_basic(ctx, out, req.authorization.as_deref());
        }
    };
    let form = &req.form;
    if ctx.profile.reject_repeated_params
        && let Some(name) = first_repeated(form)
    {
        let description = format!("parameter '{name}' must not be repeated");
        return token_error(
            ctx,
            400,
            ErrorCode::InvalidRequest,
            &description,
            Reason::ParameterRepeated,
        );
    }
    // B. The discriminated union on grant_type.
    let grant_type = match form.get("grant_type") {
        None => {
            return token_error(
                ctx,
                400,
                ErrorCode::InvalidRequest,
                ": Unable to extract tag using discriminator 'grant_type'",
                Reason::RequestInvalid,
            );
        }
        Some(g @ ("authorization_code" | "refresh_token")) => g,
        Some(g) if g == JWT_BEARER => g,
        Some(other) if ctx.profile.unknown_grant_is_unsupported => {
            let description = format!("grant_type '{other}' is not supported");
            return token_error(
                ctx,
                400,
                ErrorCode::UnsupportedGrantType,
                &description,
                Reason::GrantTypeUnsupported,
            );
        }
        Some(other) => {
            let description = format!(
                ": Input tag '{other}' found using 'grant_type' does not match any of the expected tags: 'authorization_code', 'refresh_token', '{JWT_BEARER}'"
            );
            return token_error(
                ctx,
                400,
                ErrorCode::InvalidRequest,
                &description,
                Reason::RequestInvalid,
            );
        }
    };
    let mut errors = Errors::default();
    let mut redirect_uri = None;
    match grant_type {
        "authorization_code" => {
            if form.get("code").is_none() {
                errors.add("authorization_code.code", "Field required");
            }
            if let Some(raw) = form.get("redirect_uri") {
                match any_url(raw, false) {
                    Ok(u) => redirect_uri = Some(u),
                    Err(msg) => errors.add("authorization_code.redirect_uri", &msg),
                }
            }
            if form.get("code_verifier").is_none() && !ctx.profile.pkce_optional_for_confidential {
                errors.add("authorization_code.code_verifier", "Field required");
            }
        }
        "refresh_token" => {
            if form.get("refresh_token").is_none() {
                errors.add("refresh_token.refresh_token", "Field required");
            }
        }
        _ => {
            if form.get("assertion").is_none() {
                errors.add(&format!("{JWT_BEARER}.assertion"), "Field required");
            }
        }
    }
    if !errors.is_empty() {
        return token_error(
            ctx,
            400,
            ErrorCode::InvalidRequest,
            &errors.describe(),
            Reason::RequestInvalid,
        );
    }
    // C. The grant must be registered for the client (a refresh may be implied by the code
    //    grant).
    let implied = ctx.profile.refresh_grant_implied
        && grant_type == "refresh_token"
        && client.grant_types.iter().any(|g| g == "authorization_code");
    if !implied && !client.grant_types.iter().any(|g| g == grant_type) {
        let description = format!(
            "Unsupported grant type (supported grant types are {})",
            py_repr_list(&client.grant_types)
        );
        return token_error(
            ctx,
            400,
            ctx.profile.unregistered_grant_error,
            &description,
            Reason::GrantTypeNotRegistered,
        );
    }
    // D. The resource, where the profile honours it, before the code or refresh token is
    //    looked at: every grant is bound to the server's one, and nothing is consumed.
    if grant_type != JWT_BEARER
        && let Some(out) = resource_refused(ctx, req)
    {
        return out;
    }
    match grant_type {
        "authorization_code" => authorization_code(ctx, client.key, req, redirect_uri),
        "refresh_token" => refresh(ctx, client.key, req),
        _ => token_error(
            ctx,
            400,
            ErrorCode::UnsupportedGrantType,
            "The JWT bearer grant is not supported by this authorization server",
            Reason::JwtBearerUnsupported,
        ),
    }
}

/// E. `grant_type=authorization_code`.
fn authorization_code(
    ctx: &mut Ctx<'_>,
    client: crate::keys::ClientKey,
    req: &TokenRequest,
    redirect_uri: Option<String>,
) -> Output {
    let form = &req.form;
    let code_text = form.get("code").unwrap_or_default();
    let verifier = form.get("code_verifier").unwrap_or_default();
    // 1. The code must load for this client (unknown, used, foreign and expired look alike).
    let code = match ctx
        .provider
        .load_authorization_code(client, code_text, ctx.now)
    {
        Ok(c) => c,
        Err(ProviderError::Absent(Reason::CodeUnknown))
            if is_valid_replay(ctx, client, code_text, verifier) =>
        {
            ctx.provider.revoke_code_grant(code_text);
            let description = "authorization code does not exist";
            return token_error(
                ctx,
                400,
                ErrorCode::InvalidGrant,
                description,
                Reason::CodeReplayed,
            );
        }
        Err(e) => {
            let description = "authorization code does not exist";
            return token_error(ctx, 400, ErrorCode::InvalidGrant, description, e.reason());
        }
    };
    // 2. redirect_uri present and equal iff it was explicit at /authorize (D-19); the exact
    //    policy compares the strings as sent.
    let expected = code
        .redirect_uri_provided_explicitly
        .then_some(code.redirect_uri.as_str());
    let given = if ctx.profile.redirect_exact_match {
        form.get("redirect_uri")
    } else {
        redirect_uri.as_deref()
    };
    let pkce = !code.code_challenge.is_empty();
    let optional = pkce && ctx.profile.redirect_uri_optional_with_pkce;
    if given.is_none() && !pkce && ctx.profile.pkce_optional_for_confidential {
        return token_error(
            ctx,
            400,
            ErrorCode::InvalidRequest,
            "redirect_uri is required when not using PKCE",
            Reason::RequestInvalid,
        );
    }
    if given != expected && !(optional && given.is_none()) {
        return token_error(
            ctx,
            400,
            ctx.profile.redirect_mismatch_error,
            "redirect_uri did not match the one used when creating auth code",
            Reason::RedirectUriMismatch,
        );
    }
    // 3. PKCE S256 (with the verifier's syntax where the profile checks it); a code issued
    //    without a challenge takes no verifier, one issued with one needs it.
    if ctx.profile.pkce_optional_for_confidential {
        let sent = form.get("code_verifier").is_some();
        let refused = match (pkce, sent) {
            (false, true) => Some("code_verifier provided for a flow that did not use PKCE"),
            (true, false) => Some("code_verifier is required for PKCE"),
            _ => None,
        };
        if let Some(description) = refused {
            return token_error(
                ctx,
                400,
                ErrorCode::InvalidRequest,
                description,
                Reason::RequestInvalid,
            );
        }
        if !pkce {
            return exchange(ctx, client, &code);
        }
    }
    if ctx.profile.pkce_syntax_checked && !is_pkce_syntax(verifier) {
        let description = format!("code_verifier {PKCE_SYNTAX}");
        return token_error(
            ctx,
            400,
            ErrorCode::InvalidGrant,
            &description,
            Reason::PkceSyntax,
        );
    }
    if ctx.profile.pkce_checked && !s256_matches(verifier, &code.code_challenge) {
        return token_error(
            ctx,
            400,
            ErrorCode::InvalidGrant,
            "incorrect code_verifier",
            Reason::PkceVerifierMismatch,
        );
    }
    exchange(ctx, client, &code)
}

/// 4. The exchange itself.
fn exchange(
    ctx: &mut Ctx<'_>,
    client: crate::keys::ClientKey,
    code: &crate::provider::AuthorizationCode,
) -> Output {
    match ctx
        .provider
        .exchange_authorization_code(client, code, ctx.now)
    {
        Ok(token) => token_success(&token),
        Err(e) => provider_error(ctx, &e),
    }
}

/// F. `grant_type=refresh_token`.
fn refresh(ctx: &mut Ctx<'_>, client: crate::keys::ClientKey, req: &TokenRequest) -> Output {
    let form = &req.form;
    let token_text = form.get("refresh_token").unwrap_or_default();
    let token = match ctx.provider.load_refresh_token(client, token_text, ctx.now) {
        Ok(t) => t,
        Err(ProviderError::Absent(Reason::RefreshTokenUnknown))
            if ctx.profile.refresh_reuse_revokes_family
                && ctx.provider.detect_refresh_reuse(client, token_text) =>
        {
            let description = "refresh token does not exist";
            return token_error(
                ctx,
                400,
                ErrorCode::InvalidGrant,
                description,
                Reason::RefreshTokenReused,
            );
        }
        Err(e) => {
            return token_error(
                ctx,
                400,
                ErrorCode::InvalidGrant,
                "refresh token does not exist",
                e.reason(),
            );
        }
    };
    let mut scopes: Vec<String> = match form.get("scope").filter(|s| !s.is_empty()) {
        Some(s) => s.split(' ').map(str::to_owned).collect(),
        None => token.scopes.to_vec(),
    };
    if ctx.profile.refresh_downscopes {
        let asked = !scopes.is_empty();
        scopes.retain(|s| token.scopes.contains(s));
        if asked && scopes.is_empty() {
            return token_error(
                ctx,
                400,
                ErrorCode::InvalidScope,
                "None of the requested scopes were granted",
                Reason::ScopeNotInRefreshToken,
            );
        }
    }
    if let Some(bad) = scopes.iter().find(|s| !token.scopes.contains(s)) {
        let description = format!("cannot request scope `{bad}` not provided by refresh token");
        return token_error(
            ctx,
            400,
            ErrorCode::InvalidScope,
            &description,
            Reason::ScopeNotInRefreshToken,
        );
    }
    match ctx
        .provider
        .exchange_refresh_token(client, &token, scopes, ctx.now)
    {
        Ok(t) => token_success(&t),
        Err(e) => provider_error(ctx, &e),
    }
}

/// `invalid_target` for a `resource` other than the server's, where the profile honours resource
/// indicators: the grant being used is bound to the server's one resource, and RFC 8707 §2.2
/// lets the server "limit the acceptable resources to those that were originally granted by the
/// resource owner" ([RFC 8707 §2.2](https://www.rfc-editor.org/rfc/rfc8707#section-2.2)). Nothing
/// is consumed.
fn resource_refused(ctx: &Ctx<'_>, req: &TokenRequest) -> Option<Output> {
    if !ctx.profile.resource_indicators {
        return None;
    }
    let resource = foreign_resource(&req.form, &ctx.fixed.resource)?;
    let description = format!("resource '{resource}' is not the resource of this grant");
    Some(token_error(
        ctx,
        400,
        ErrorCode::InvalidTarget,
        &description,
        Reason::ResourceInvalid,
    ))
}

/// A replay of a used code by its owner with the right verifier (an invalid replay must not
/// revoke anything, [OAuth 2.1 §7.5.2](https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-7.5.2)).
fn is_valid_replay(
    ctx: &Ctx<'_>,
    client: crate::keys::ClientKey,
    code: &str,
    verifier: &str,
) -> bool {
    ctx.profile.code_replay_revokes_grant
        && ctx
            .provider
            .used_code(code)
            .is_some_and(|(owner, challenge)| {
                owner == client
                    && (ctx.profile.code_replay_revokes_unverified
                        || s256_matches(verifier, challenge))
            })
}

/// `invalid_request` for a request naming its client in `Authorization: Basic` and in the form,
/// where the profile refuses two authentication methods in one request
/// ([RFC 6749 §2.3](https://www.rfc-editor.org/rfc/rfc6749#section-2.3)). Checked first, at the
/// token endpoint and at revocation.
pub(crate) fn multiple_methods_refused(
    ctx: &Ctx<'_>,
    form: &crate::event::Params,
    authorization: Option<&str>,
) -> Option<Output> {
    (ctx.profile.multiple_auth_methods_refused
        && super::client_auth::multiple_methods(form, authorization))
    .then(|| {
        token_error(
            ctx,
            400,
            ErrorCode::InvalidRequest,
            "Client must not use multiple authentication methods",
            Reason::RequestInvalid,
        )
    })
}

/// Add `WWW-Authenticate: Basic` to a 401 `invalid_client` answered to a client that used the
/// `Authorization` header, where the profile does ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)).
pub(crate) fn challenge_basic(
    ctx: &Ctx<'_>,
    mut out: Output,
    authorization: Option<&str>,
) -> Output {
    if ctx.profile.invalid_client_challenge && authorization.is_some() {
        out.headers.push((
            "www-authenticate".into(),
            "Basic realm=\"oauth-oracle\"".into(),
        ));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn token_answer_is_the_models_serde_layout() {
        let t = OAuthToken {
            access_token: "test_access_token_ab".into(),
            token_type: "Bearer",
            expires_in: 3600,
            scope: "read \"w\"".into(),
            refresh_token: "test_refresh_token_cd".into(),
        };
        assert_eq!(token_success(&t).body, serde_json::to_string(&t).unwrap());
    }

    #[test]
    fn s256_match_is_equality_with_the_encoded_challenge() {
        // RFC 7636 Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(s256_challenge(verifier), challenge);
        assert!(s256_matches(verifier, challenge));
        assert!(!s256_matches(verifier, &challenge[..42]));
        assert!(!s256_matches(verifier, &format!("{challenge}A")));
        assert!(!s256_matches("other-verifier", challenge));
        assert!(!s256_matches(verifier, &challenge.to_lowercase()));
    }
}
