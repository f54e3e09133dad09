//! Outputs: the HTTP-level answer to one event — status, the headers that matter, the exact body —
//! plus the internal [`Reason`] (for debugging and snapshots; never compared with a live server).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// The rule that decided an answer. Several reasons share one wire error (FastMCP answers
/// "authorization code does not exist" for unknown, used, foreign and expired codes); the reason
/// keeps them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The endpoint is not mounted (registration or revocation disabled): 404.
    EndpointDisabled,
    /// The request failed the SDK's pydantic model validation.
    RequestInvalid,
    /// `response_type` other than `code` ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1)).
    ResponseTypeUnsupported,
    /// Registration metadata failed validation ([RFC 7591 §3.2.2](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2)).
    MetadataInvalid,
    /// `token_endpoint_auth_method=private_key_jwt` is refused.
    AuthMethodUnsupported,
    /// Requested scope outside `valid_scopes`.
    ScopeNotValid,
    /// `grant_types` lacks `authorization_code`.
    GrantTypesLackAuthorizationCode,
    /// `grant_types` includes the JWT-bearer grant.
    GrantTypesIncludeJwtBearer,
    /// `response_types` lacks `code`.
    ResponseTypesLackCode,
    /// The provider raised a plain `ValueError` (D-8): HTTP 500.
    ProviderValueError,
    /// No client with that id.
    ClientNotFound,
    /// `redirect_uri` not among the registered ones ([RFC 9700 §4.1.3](https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3)).
    RedirectUriNotRegistered,
    /// `redirect_uri` omitted but the client has several (or none) registered.
    RedirectUriAmbiguous,
    /// Requested scope not registered for the client.
    ScopeNotRegistered,
    /// No `client_id` in the form ([RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1)).
    ClientIdMissing,
    /// `client_secret_basic` client without a usable `Basic` header.
    BasicAuthMissing,
    /// The `Basic` header does not decode.
    BasicAuthMalformed,
    /// The `Basic` client id differs from the form's.
    BasicClientIdMismatch,
    /// Secret-based method but no stored secret.
    SecretNotStored,
    /// The client has a secret and none was sent.
    SecretMissing,
    /// The secret sent is wrong.
    SecretMismatch,
    /// The client's secret has expired.
    SecretExpired,
    /// The client's registered auth method is not one the server knows.
    AuthMethodUnknown,
    /// The grant type is not among the client's `grant_types`.
    GrantTypeNotRegistered,
    /// The JWT-bearer grant is not enabled.
    JwtBearerUnsupported,
    /// No such code (never issued, or already exchanged).
    CodeUnknown,
    /// The code belongs to another client ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3)).
    CodeForeign,
    /// The code has expired (and is now deleted).
    CodeExpired,
    /// `redirect_uri` at `/token` differs from the one at `/authorize`.
    RedirectUriMismatch,
    /// `BASE64URL(SHA256(code_verifier)) != code_challenge` ([RFC 7636 §4.6](https://www.rfc-editor.org/rfc/rfc7636#section-4.6)).
    PkceVerifierMismatch,
    /// The code vanished between load and exchange.
    CodeAlreadyRedeemed,
    /// No such refresh token (never issued, rotated, revoked, or killed with its access token).
    RefreshTokenUnknown,
    /// A rotated refresh token was presented again: its family is revoked
    /// ([RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)).
    RefreshTokenReused,
    /// A used code was presented again with valid credentials: the tokens issued from it are
    /// revoked ([RFC 6749 §4.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2)).
    CodeReplayed,
    /// A request parameter was sent more than once ([RFC 6749 §3.1](https://www.rfc-editor.org/rfc/rfc6749#section-3.1)).
    ParameterRepeated,
    /// `code_challenge_method` absent (meaning `plain`) or `plain`, which is refused
    /// ([RFC 7636 §4.3](https://www.rfc-editor.org/rfc/rfc7636#section-4.3)).
    PkceMethodRefused,
    /// Challenge or verifier not 43–128 unreserved characters ([RFC 7636 §4.1](https://www.rfc-editor.org/rfc/rfc7636#section-4.1)).
    PkceSyntax,
    /// A registered redirect URI is refused ([RFC 7591 §3.2.2](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2)).
    RedirectUriRefused,
    /// The grant type is not one the server supports ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)).
    GrantTypeUnsupported,
    /// The refresh token belongs to another client.
    RefreshTokenForeign,
    /// The refresh token has expired (and is now deleted with its access token).
    RefreshTokenExpired,
    /// A refresh asked for a scope its refresh token does not carry ([RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749#section-6)).
    ScopeNotInRefreshToken,
    /// A `resource` parameter names no protected resource of this server, or another one than
    /// the grant's ([RFC 8707 §2](https://www.rfc-editor.org/rfc/rfc8707#section-2)).
    ResourceInvalid,
    /// A client ID metadata document is refused: not fetched, malformed, or naming another
    /// `client_id` than its URL (the MCP authorization specification, "Client ID Metadata
    /// Documents").
    ClientDocumentInvalid,
    /// No bearer credentials at the resource.
    BearerMissing,
    /// The bearer token is unknown.
    BearerUnknown,
    /// The bearer token has expired (and is now deleted with its refresh token, D-1).
    BearerExpired,
    /// The token lacks a required scope ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)).
    InsufficientScope,
    /// Revocation of an unknown or foreign token: a silent no-op.
    RevokeNoop,
    /// A scripted failure answered instead ([`crate::Control::Fail`]).
    Scripted,
    /// The authorization was denied by a test control ([`crate::Control::DenyConsent`]).
    ConsentDenied,
}

/// The answer to one event.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// HTTP status code.
    pub status: u16,
    /// The headers that matter, lower-case names, in a fixed order (mostly static text).
    pub headers: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    /// The body, byte for byte.
    pub body: String,
    /// Why a request was refused, or `None` when it did what was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

/// `application/json`.
pub(crate) const JSON: (&str, &str) = ("content-type", "application/json");
/// `Cache-Control: no-store`.
pub(crate) const NO_STORE: (&str, &str) = ("cache-control", "no-store");
/// `Pragma: no-cache`.
pub(crate) const NO_CACHE: (&str, &str) = ("pragma", "no-cache");

impl Output {
    /// A response with the given status, headers and body.
    ///
    /// The names and values are static text (no allocation per answer); a header whose value is
    /// computed is added with [`Output::with_header`].
    pub fn new(status: u16, headers: &[(&'static str, &'static str)], body: String) -> Self {
        let mut list = Vec::with_capacity(headers.len() + 1);
        list.extend(
            headers
                .iter()
                .map(|&(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v))),
        );
        Self {
            status,
            headers: list,
            body,
            reason: None,
        }
    }

    /// Append a header (after those already present: the order is part of the answer).
    pub fn with_header(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Attach the deciding rule.
    pub fn because(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Starlette's 404 `Not Found` for an unmounted route.
    pub fn not_found() -> Self {
        Self::new(
            404,
            &[("content-type", "text/plain; charset=utf-8")],
            "Not Found".to_owned(),
        )
        .because(Reason::EndpointDisabled)
    }

    /// The OAuth `error` code of an answer, if any: the JSON body's `error` (a string member of
    /// an object), else the redirect's `error` parameter (the query's, else the fragment's:
    /// `response_mode=fragment`), else `error="…"` in `WWW-Authenticate`
    /// ([RFC 6750 §3](https://www.rfc-editor.org/rfc/rfc6750#section-3)). Text, not an
    /// [`ErrorCode`]: a live server may answer any code.
    pub fn error_code(&self) -> Option<String> {
        if let Some(e) = crate::answer::AnswerJson::parse(&self.body).error {
            return Some(e);
        }
        if let Some(loc) = self.header("location") {
            let (before, fragment) = loc.split_once('#').unwrap_or((loc, ""));
            let query = before.split_once('?').map_or("", |(_, q)| q);
            let error = [query, fragment].into_iter().find_map(|part| {
                crate::compat::pyurl::parse_qsl(part, true)
                    .into_iter()
                    .find(|(k, _)| k == "error")
                    .map(|(_, v)| v)
            });
            if error.is_some() {
                return error;
            }
        }
        let www = self.header("www-authenticate")?;
        let rest = &www[www.find("error=\"")? + "error=\"".len()..];
        rest.split_once('"').map(|(e, _)| e.to_owned())
    }
}

/// Compact JSON of `{"error": .., "error_description": ..}` in the SDK's field order.
pub(crate) fn error_json(error: ErrorCode, description: &str) -> String {
    let error = error.as_str();
    let mut o =
        crate::compat::pyjson::CompactObject::with_capacity(32 + error.len() + description.len());
    o.member_str("error", error);
    o.member_str("error_description", description);
    o.finish()
}
