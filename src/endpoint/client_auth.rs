//! The SDK's `ClientAuthenticator` (`client_auth.py`), shared by `/token` and `/revoke`
//! ([RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1)).

use std::borrow::Cow;
use std::sync::Arc;

use crate::compat::b64::b64decode;
use crate::compat::pyurl::unquote;
use crate::event::Params;
use crate::output::Reason;
use crate::provider::{Client, Provider};
use crate::time::UnixMillis;

/// A failed authentication: the `error_description` and the rule broken.
pub(crate) type AuthFailure = (&'static str, Reason);

/// Whether a request names its client in `Authorization: Basic` and in the form too (a
/// non-empty `client_id` or `client_secret`): two authentication methods, which
/// [RFC 6749 §2.3](https://www.rfc-editor.org/rfc/rfc6749#section-2.3) forbids ("The client
/// MUST NOT use more than one authentication method in each request").
pub(crate) fn multiple_methods(form: &Params, authorization: Option<&str>) -> bool {
    authorization.is_some_and(|h| h.starts_with("Basic "))
        && ["client_id", "client_secret"]
            .iter()
            .any(|k| form.get(k).is_some_and(|v| !v.is_empty()))
}

/// Authenticate the client of a form request, in the SDK's order of checks; with
/// `basic_names_client` (the profile's knob) an `Authorization: Basic` header names the client
/// itself when the form names none, as [RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1)
/// has it, and only a `client_secret_basic` client may use it.
pub(crate) fn authenticate(
    provider: &Provider,
    form: &Params,
    authorization: Option<&str>,
    now: UnixMillis,
    basic_names_client: bool,
) -> Result<Arc<Client>, AuthFailure> {
    if basic_names_client
        && form.get("client_id").is_none_or(str::is_empty)
        && let Some(encoded) = authorization.and_then(|h| h.strip_prefix("Basic "))
    {
        let (id, secret) = decode_basic(encoded)?;
        let client = provider
            .get_client(&id)
            .ok_or(("Invalid client_id", Reason::ClientNotFound))?;
        if !matches!(
            client.auth_method.as_deref(),
            Some("client_secret_basic") | None
        ) {
            return Err(("Unsupported auth method", Reason::AuthMethodUnknown));
        }
        return check_secret(client, Some(Cow::Owned(secret)), now);
    }
    // 1. client_id from the form; missing or empty fails (even with HTTP Basic, D-18).
    let client_id = form
        .get("client_id")
        .filter(|id| !id.is_empty())
        .ok_or(("Missing client_id", Reason::ClientIdMissing))?;
    // 2. The client must exist.
    let client = provider
        .get_client(client_id)
        .ok_or(("Invalid client_id", Reason::ClientNotFound))?;
    // 3. The credential, by the registered method.
    // Borrowed from the form; only a decoded `Basic` header makes a new string.
    let presented: Option<Cow<'_, str>> = match client.auth_method.as_deref() {
        Some("client_secret_basic") => Some(Cow::Owned(basic_secret(authorization, client_id)?)),
        Some("client_secret_post") => form.get("client_secret").map(Cow::Borrowed),
        Some("none") => None,
        // No method named at registration (`unnamed_method_any_secret`): either secret method.
        None if authorization.is_some_and(|h| h.starts_with("Basic ")) => {
            Some(Cow::Owned(basic_secret(authorization, client_id)?))
        }
        None => form.get("client_secret").map(Cow::Borrowed),
        _ => return Err(("Unsupported auth method", Reason::AuthMethodUnknown)),
    };
    check_secret(client, presented, now)
}

/// Steps 4 and 5: the stored secret against the one presented.
fn check_secret(
    client: Arc<Client>,
    presented: Option<Cow<'_, str>>,
    now: UnixMillis,
) -> Result<Arc<Client>, AuthFailure> {
    // 4. A secret-based method needs a stored secret.
    if client.auth_method.as_deref() != Some("none") && client.secret.is_none() {
        return Err((
            "Client is registered for secret-based authentication but has no stored secret",
            Reason::SecretNotStored,
        ));
    }
    // 5. The stored secret must be presented, match (constant time), and not have expired.
    if let Some(secret) = &client.secret {
        let presented = presented
            .filter(|p| !p.is_empty())
            .ok_or(("Client secret is required", Reason::SecretMissing))?;
        if !secret.matches(&presented) {
            return Err(("Invalid client_secret", Reason::SecretMismatch));
        }
        if let Some(exp) = client.secret_expires_at
            && exp != 0
            && exp < now.whole_seconds()
        {
            return Err(("Client secret has expired", Reason::SecretExpired));
        }
    }
    Ok(client)
}

/// The secret of an `Authorization: Basic` header whose id must equal `client_id`.
fn basic_secret(authorization: Option<&str>, client_id: &str) -> Result<String, AuthFailure> {
    let encoded = authorization
        .and_then(|h| h.strip_prefix("Basic "))
        .ok_or((
            "Missing or invalid Basic authentication in Authorization header",
            Reason::BasicAuthMissing,
        ))?;
    let (id, secret) = decode_basic(encoded)?;
    if id != client_id {
        return Err((
            "Client ID mismatch in Basic auth",
            Reason::BasicClientIdMismatch,
        ));
    }
    Ok(secret)
}

/// The client id and secret of an `Authorization: Basic` header, if it decodes.
pub(crate) fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    decode_basic(authorization.strip_prefix("Basic ")?).ok()
}

/// The client id and secret of a `Basic` header's credentials, each percent-decoded.
fn decode_basic(encoded: &str) -> Result<(String, String), AuthFailure> {
    let malformed = (
        "Invalid Basic authentication header",
        Reason::BasicAuthMalformed,
    );
    let bytes = b64decode(encoded).map_err(|_| malformed)?;
    let decoded = String::from_utf8(bytes).map_err(|_| malformed)?;
    let (id, secret) = decoded.split_once(':').ok_or(malformed)?;
    Ok((unquote(id), unquote(secret)))
}
