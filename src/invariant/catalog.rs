//! The invariant catalogue: every server-side requirement a server's behaviour can show
//! (`docs/invariants.md`, whose table lists this file), with its level, citation, and — where
//! FastMCP breaks it — the documented deviation (a D-n row of `docs/fastmcp-behaviour.md` §8).

use super::{Invariant, Level};

macro_rules! inv {
    ($id:literal, $level:ident, $cite:literal, $summary:literal, $dev:expr) => {
        Invariant {
            id: $id,
            level: Level::$level,
            citation: $cite,
            summary: $summary,
            fastmcp_deviation: $dev,
        }
    };
}

/// Every invariant the checker knows, in catalogue order.
pub const CATALOG: &[Invariant] = &[
    // A. Authorization endpoint
    inv!(
        "redirect-exact-match",
        Must,
        "RFC 9700 §4.1.3; OAuth 2.1 §4.1.1",
        "A code is only issued for a redirect URI string-equal to a registered one (loopback ports aside).",
        Some("D-12")
    ),
    inv!(
        "loopback-any-port",
        Must,
        "RFC 8252 §7.3; OAuth 2.1 §8.4.2",
        "A registered loopback IP redirect URI (127.0.0.1, [::1]) is accepted with any port.",
        Some("D-12")
    ),
    inv!(
        "no-redirect-to-unvalidated-uri",
        Must,
        "RFC 6749 §4.1.2.1; OAuth 2.1 §4.1.2.1",
        "The server never redirects to a URI not registered for the client.",
        None
    ),
    inv!(
        "pkce-required",
        Must,
        "OAuth 2.1 §4.1.1; RFC 9700 §2.1.1",
        "No code is issued without a code_challenge.",
        None
    ),
    inv!(
        "pkce-plain-refused",
        Must,
        "OAuth 2.1 §4.1.1; RFC 9700 §2.1.1",
        "code_challenge_method=plain is refused (S256 only).",
        None
    ),
    inv!(
        "pkce-absent-method-is-plain",
        Must,
        "RFC 7636 §4.3",
        "An absent code_challenge_method means plain, so it is refused too.",
        Some("D-20")
    ),
    inv!(
        "pkce-challenge-syntax",
        Must,
        "RFC 7636 §4.2; OAuth 2.1 §4.1.1",
        "The code_challenge is 43-128 unreserved characters.",
        Some("D-20")
    ),
    inv!(
        "state-echoed",
        Must,
        "RFC 6749 §4.1.2, §4.1.2.1",
        "Authorization responses echo state verbatim.",
        None
    ),
    inv!(
        "iss-in-authorization-response",
        Should,
        "RFC 9207 §2; RFC 9700 §4.4.2",
        "Authorization responses carry iss, equal to the metadata issuer.",
        Some("D-24")
    ),
    inv!(
        "repeated-parameters-refused",
        Must,
        "RFC 6749 §3.1, §3.2",
        "A request with a repeated parameter does not succeed.",
        Some("D-21")
    ),
    // B. Token endpoint: authorization_code
    inv!(
        "code-single-use",
        Must,
        "RFC 6749 §4.1.2, §10.5; OAuth 2.1 §4.1.3",
        "A code yields tokens at most once.",
        None
    ),
    inv!(
        "code-replay-revokes-tokens",
        Should,
        "RFC 6749 §4.1.2; OAuth 2.1 §4.1.3",
        "After a valid replay of a used code, the tokens issued from it no longer work.",
        Some("D-3")
    ),
    inv!(
        "code-client-binding",
        Must,
        "RFC 6749 §4.1.3; OAuth 2.1 §4.1.3",
        "Only the client a code was issued to can redeem it.",
        None
    ),
    inv!(
        "code-expires",
        Must,
        "RFC 6749 §4.1.2; OAuth 2.1 §4.1.2",
        "An expired code never yields tokens.",
        None
    ),
    inv!(
        "pkce-verified",
        Must,
        "RFC 7636 §4.6",
        "BASE64URL(SHA256(code_verifier)) must equal the challenge.",
        None
    ),
    inv!(
        "pkce-verifier-syntax",
        Must,
        "RFC 7636 §4.1; OAuth 2.1 §4.1.1",
        "The code_verifier is 43-128 unreserved characters.",
        Some("D-20")
    ),
    inv!(
        "redirect-uri-bound-to-code",
        Must,
        "RFC 6749 §4.1.3",
        "A redirect_uri sent at /authorize is sent identical at /token.",
        Some("D-12")
    ),
    inv!(
        "client-authentication",
        Must,
        "RFC 6749 §3.2.1; OAuth 2.1 §3.2.1",
        "A confidential client gets tokens only with its exact secret by its registered method.",
        None
    ),
    inv!(
        "token-response-no-store",
        Must,
        "RFC 6749 §5.1; OAuth 2.1 §3.2.3",
        "Token responses carry Cache-Control: no-store.",
        None
    ),
    inv!(
        "token-error-status",
        Must,
        "RFC 6749 §5.2; OAuth 2.1 §3.2.4",
        "Token endpoint errors are 400, except invalid_client which may be 401.",
        Some("D-17")
    ),
    inv!(
        "invalid-client-challenge",
        Must,
        "RFC 6749 §5.2",
        "A 401 invalid_client to a client that used the Authorization header carries WWW-Authenticate.",
        Some("D-29")
    ),
    inv!(
        "unsupported-grant-type-error",
        Must,
        "RFC 6749 §5.2",
        "An unknown grant_type is answered with unsupported_grant_type.",
        Some("D-30")
    ),
    inv!(
        "redirect-mismatch-is-invalid-grant",
        Must,
        "RFC 6749 §5.2",
        "A redirect_uri that does not match the authorization request is invalid_grant (or invalid_request if a parameter is also missing or malformed).",
        Some("D-31")
    ),
    inv!(
        "issued-values-unique",
        Must,
        "RFC 6749 §10.10; OAuth 2.1 §7.7",
        "Every issued client id, secret, code and token is distinct.",
        None
    ),
    inv!(
        "issued-values-entropy",
        Must,
        "RFC 6749 §10.10; OAuth 2.1 §7.7",
        "Codes and tokens carry at least 128 bits of randomness.",
        None
    ),
    // C. Refresh tokens
    inv!(
        "refresh-client-binding",
        Must,
        "RFC 6749 §6; OAuth 2.1 §4.3.1",
        "Only the client a refresh token was issued to can use it.",
        None
    ),
    inv!(
        "refresh-scope-no-widening",
        Must,
        "RFC 6749 §6; OAuth 2.1 §4.3.1",
        "A refresh never grants a scope the refresh token does not carry.",
        None
    ),
    inv!(
        "refresh-rotated-dead",
        Must,
        "OAuth 2.1 §4.3.1; RFC 9700 §4.14.2",
        "A rotated refresh token never works again.",
        None
    ),
    inv!(
        "refresh-reuse-revokes-family",
        Should,
        "RFC 9700 §4.14.2; OAuth 2.1 §4.3.1",
        "Reuse of a rotated refresh token revokes the live tokens of its grant.",
        Some("D-4")
    ),
    inv!(
        "refresh-expires",
        Should,
        "RFC 9700 §4.14.2; OAuth 2.1 §4.3.3",
        "Refresh tokens have a finite lifetime (judged when it is configured or stated).",
        Some("D-5")
    ),
    inv!(
        "expired-refresh-dead",
        Must,
        "OAuth 2.1 §4.3.1",
        "An expired refresh token never works.",
        None
    ),
    inv!(
        "expired-access-keeps-refresh",
        Should,
        "OAuth 2.1 §4.3; RFC 6749 §1.5",
        "Presenting an expired access token does not destroy its refresh token.",
        Some("D-1")
    ),
    // D. Revocation
    inv!(
        "revoked-stays-dead",
        Must,
        "RFC 7009 §2.1, §2.2",
        "A token revoked by its owner never works again.",
        None
    ),
    inv!(
        "revocation-cascades",
        Should,
        "RFC 7009 §2.1",
        "Revoking either token of a pair kills both.",
        None
    ),
    inv!(
        "revocation-owner-only",
        Must,
        "RFC 7009 §2.1",
        "No client can revoke or destroy another client's tokens.",
        Some("D-2")
    ),
    inv!(
        "revocation-unknown-token-200",
        Must,
        "RFC 7009 §2.2",
        "Revoking a token that was never issued answers 200.",
        None
    ),
    inv!(
        "revocation-public-and-basic-clients",
        Must,
        "RFC 7009 §2.1; RFC 6749 §2.3.1",
        "Public clients (client_id only) and Basic clients can revoke.",
        Some("D-14")
    ),
    inv!(
        "revocation-auth-error-code",
        Must,
        "RFC 7009 §2.2.1; RFC 6749 §5.2",
        "A client-authentication failure at /revoke is invalid_client.",
        Some("D-15")
    ),
    inv!(
        "revocation-hint-ignored",
        Should,
        "RFC 7009 §2.1",
        "An unknown token_type_hint does not fail the request.",
        Some("D-16")
    ),
    // E. Bearer verification
    inv!(
        "expired-access-rejected",
        Must,
        "RFC 6750 §3.1; OAuth 2.1 §5.2",
        "An expired access token is never accepted.",
        None
    ),
    inv!(
        "unknown-token-rejected",
        Must,
        "RFC 6750 §3.1",
        "A token that was never issued is never accepted.",
        None
    ),
    inv!(
        "insufficient-scope-403",
        Must,
        "RFC 6750 §3.1",
        "A token without a required scope is refused with 403.",
        None
    ),
    inv!(
        "bearer-challenge",
        Must,
        "RFC 6750 §3",
        "A 401 from the resource carries a Bearer WWW-Authenticate challenge.",
        None
    ),
    // F. Registration
    inv!(
        "registration-redirect-policy",
        Must,
        "RFC 6749 §3.1.2; OAuth 2.1 §2.3.1",
        "No javascript:/data:/vbscript:, fragment or non-loopback http redirect URI is registered.",
        Some("D-11")
    ),
    inv!(
        "registration-no-store",
        Should,
        "RFC 6749 §5.1; RFC 7591 §3.2.1",
        "A registration response carrying a secret is not cacheable.",
        Some("D-11")
    ),
    inv!(
        "public-clients-get-no-secret",
        Must,
        "RFC 7591 §2",
        "A client registered with method none gets no secret.",
        None
    ),
    inv!(
        "secret-expiry-present",
        Must,
        "RFC 7591 §3.2.1",
        "A registration response with a secret states client_secret_expires_at.",
        None
    ),
    // G. Metadata
    inv!(
        "issuer-identity",
        Must,
        "RFC 8414 §3.3",
        "The metadata issuer equals the issuer the well-known URL was built from.",
        Some("D-25")
    ),
    inv!(
        "metadata-truthful-auth-methods",
        Should,
        "RFC 8414 §2",
        "Client authentication methods that work are advertised.",
        Some("D-18")
    ),
    // Internal (the model's own stores; docs/fastmcp-behaviour.md §7)
    inv!(
        "store-pairs-consistent",
        Must,
        "docs/fastmcp-behaviour.md §7.7",
        "Access and refresh tokens are paired consistently in the stores.",
        None
    ),
];
