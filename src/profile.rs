//! Profiles: the policy knobs that make one server differ from another, as data.
//!
//! Handlers read these values; none of them asks which profile is running. A new profile is a
//! new value of [`Profile`], not a new code path. Each knob names the FastMCP deviation (D-n,
//! `docs/fastmcp-behaviour.md` §8) it reproduces when set the FastMCP way.

use crate::ErrorCode;
use crate::error::ConfigError;
use crate::invariant::InvariantId;

/// The policy values of one server behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile's name, as written in traces.
    pub name: &'static str,
    /// Prefix of authorization codes, followed by 32 hex digits.
    pub code_prefix: &'static str,
    /// Prefix of access tokens, followed by 64 hex digits.
    pub access_prefix: &'static str,
    /// Prefix of refresh tokens, followed by 64 hex digits.
    pub refresh_prefix: &'static str,
    /// HTTP status of `invalid_grant` at `/token`: FastMCP 401 (D-17),
    /// [RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2) 400.
    pub invalid_grant_status: u16,
    /// Whether loading an expired access token also deletes its refresh token (D-1).
    pub expired_access_revokes_refresh: bool,
    /// Whether `/revoke` requires a `client_secret` form field even from public and Basic
    /// clients (D-14; [RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1)).
    pub revocation_requires_secret_field: bool,
    /// Error code of a client-authentication failure at `/revoke`: FastMCP `unauthorized_client`
    /// (D-15); [RFC 7009 §2.2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1) `invalid_client`.
    pub revocation_auth_error: ErrorCode,
    /// Whether a valid replay of a used code revokes the tokens issued from it (D-3;
    /// [RFC 6749 §4.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2) SHOULD).
    pub code_replay_revokes_grant: bool,
    /// Whether presenting a rotated refresh token revokes its family's live pair (D-4;
    /// [RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)).
    pub refresh_reuse_revokes_family: bool,
    /// Whether an absent `code_challenge_method` means S256 (FastMCP, D-20) rather than `plain`
    /// ([RFC 7636 §4.3](https://www.rfc-editor.org/rfc/rfc7636#section-4.3)), which is refused.
    pub absent_challenge_method_is_s256: bool,
    /// Whether challenge and verifier must be 43–128 unreserved characters
    /// ([RFC 7636 §4.1, §4.2](https://www.rfc-editor.org/rfc/rfc7636#section-4.1); D-20).
    pub pkce_syntax_checked: bool,
    /// Exact string matching of redirect URIs with any port for loopback hosts
    /// ([RFC 9700 §4.1.3](https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3),
    /// [RFC 8252 §7.3](https://www.rfc-editor.org/rfc/rfc8252#section-7.3)) instead of FastMCP's
    /// URL-normalised equality without the port exception (D-12).
    pub redirect_exact_match: bool,
    /// Whether registration refuses `javascript:`/`data:`/`vbscript:` URIs, fragments and
    /// non-loopback `http` (D-11; [RFC 6749 §3.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2)).
    pub registration_strict_redirects: bool,
    /// Whether the registration response (it carries a secret) has `Cache-Control: no-store` (D-11).
    pub registration_no_store: bool,
    /// Whether a 401 `invalid_client` to a client that used the `Authorization` header carries
    /// `WWW-Authenticate` (D-29; [RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)).
    pub invalid_client_challenge: bool,
    /// Whether `/revoke` ignores an unknown `token_type_hint` (D-16;
    /// [RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1)).
    pub revocation_ignores_unknown_hint: bool,
    /// Whether authorization responses carry `iss` (D-24;
    /// [RFC 9207 §2](https://www.rfc-editor.org/rfc/rfc9207#section-2)).
    pub authorization_response_iss: bool,
    /// Whether expired records are garbage-collected as time passes (D-5).
    pub sweep_expired: bool,
    /// Whether repeated request parameters are refused (D-21;
    /// [RFC 6749 §3.1](https://www.rfc-editor.org/rfc/rfc6749#section-3.1)).
    pub reject_repeated_params: bool,
    /// Whether an unknown `grant_type` is `unsupported_grant_type`
    /// ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)) rather than FastMCP's
    /// pydantic `invalid_request` (D-30).
    pub unknown_grant_is_unsupported: bool,
    /// Error code when `redirect_uri` at `/token` differs from `/authorize`: FastMCP
    /// `invalid_request` (D-31); RFC 6749 §5.2 `invalid_grant`.
    pub redirect_mismatch_error: ErrorCode,
    /// Whether the issuer gets pydantic's trailing slash (D-25;
    /// [RFC 8414 §3.3](https://www.rfc-editor.org/rfc/rfc8414#section-3.3)).
    pub issuer_trailing_slash: bool,
    /// Whether metadata advertises the `none` client authentication method public clients use (D-18).
    pub advertise_none_auth_method: bool,
    /// Whether a successful exchange consumes the code. Only a deliberately broken profile clears
    /// this ([RFC 6749 §4.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2)).
    pub codes_single_use: bool,
    /// Whether revoking one token of a pair removes both (FastMCP's `_revoke_internal`).
    pub revocation_kills_pair: bool,
    /// Whether a refresh retires the presented refresh token and its pair.
    pub refresh_rotates: bool,
    /// Whether the PKCE verifier is checked at all ([RFC 7636 §4.6](https://www.rfc-editor.org/rfc/rfc7636#section-4.6)).
    pub pkce_checked: bool,
    /// Whether a code only loads for the client it was issued to.
    pub code_client_bound: bool,
    /// Whether an access token's expiry is enforced.
    pub access_expiry_enforced: bool,
    /// Refresh-token lifetime of the profile's default configuration, in seconds (`None`: never
    /// expires, D-5; [RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)).
    pub default_refresh_lifetime: Option<u64>,
}

impl Profile {
    /// FastMCP 4.2.3 + MCP Python SDK 2.3.0, quirks included (`docs/fastmcp-behaviour.md`).
    pub fn fastmcp() -> Self {
        Self {
            name: "fastmcp",
            code_prefix: "test_auth_code_",
            access_prefix: "test_access_token_",
            refresh_prefix: "test_refresh_token_",
            invalid_grant_status: 401,
            expired_access_revokes_refresh: true,
            revocation_requires_secret_field: true,
            revocation_auth_error: ErrorCode::UnauthorizedClient,
            code_replay_revokes_grant: false,
            refresh_reuse_revokes_family: false,
            absent_challenge_method_is_s256: true,
            pkce_syntax_checked: false,
            redirect_exact_match: false,
            registration_strict_redirects: false,
            registration_no_store: false,
            invalid_client_challenge: false,
            revocation_ignores_unknown_hint: false,
            authorization_response_iss: false,
            sweep_expired: false,
            reject_repeated_params: false,
            unknown_grant_is_unsupported: false,
            redirect_mismatch_error: ErrorCode::InvalidRequest,
            issuer_trailing_slash: true,
            advertise_none_auth_method: false,
            codes_single_use: true,
            revocation_kills_pair: true,
            refresh_rotates: true,
            pkce_checked: true,
            code_client_bound: true,
            access_expiry_enforced: true,
            default_refresh_lifetime: None,
        }
    }

    /// The strict server the RFCs ask for (`docs/invariants.md`): the same handlers with
    /// every knob set the RFC way.
    pub fn oauth21() -> Self {
        Self {
            name: "oauth21",
            code_prefix: "test_auth_code_",
            access_prefix: "test_access_token_",
            refresh_prefix: "test_refresh_token_",
            invalid_grant_status: 400,
            expired_access_revokes_refresh: false,
            revocation_requires_secret_field: false,
            revocation_auth_error: ErrorCode::InvalidClient,
            code_replay_revokes_grant: true,
            refresh_reuse_revokes_family: true,
            absent_challenge_method_is_s256: false,
            pkce_syntax_checked: true,
            redirect_exact_match: true,
            registration_strict_redirects: true,
            registration_no_store: true,
            invalid_client_challenge: true,
            revocation_ignores_unknown_hint: true,
            authorization_response_iss: true,
            sweep_expired: true,
            reject_repeated_params: true,
            unknown_grant_is_unsupported: true,
            redirect_mismatch_error: ErrorCode::InvalidGrant,
            issuer_trailing_slash: false,
            advertise_none_auth_method: true,
            codes_single_use: true,
            revocation_kills_pair: true,
            refresh_rotates: true,
            pkce_checked: true,
            code_client_bound: true,
            access_expiry_enforced: true,
            default_refresh_lifetime: Some(86_400),
        }
    }

    /// Every built-in profile, the deliberately broken variants last.
    pub fn all() -> Vec<Self> {
        let mut all = vec![Self::fastmcp(), Self::oauth21()];
        all.extend(Self::broken_variants().into_iter().map(|(_, p)| p));
        all
    }

    /// The names of every built-in profile, in [`Profile::all`]'s order.
    pub fn names() -> Vec<&'static str> {
        Self::all().iter().map(|p| p.name).collect()
    }

    /// Deliberately broken variants of `fastmcp`, one bug each, with the invariant that must
    /// catch it: proof that the checks bite.
    pub fn broken_variants() -> Vec<(&'static str, Self)> {
        let base = Self::fastmcp();
        vec![
            (
                InvariantId::CodeSingleUse.as_str(),
                Self {
                    name: "broken-code-reuse",
                    codes_single_use: false,
                    ..base.clone()
                },
            ),
            (
                InvariantId::RevocationCascades.as_str(),
                Self {
                    name: "broken-revoke-one",
                    revocation_kills_pair: false,
                    ..base.clone()
                },
            ),
            (
                InvariantId::RefreshRotatedDead.as_str(),
                Self {
                    name: "broken-no-rotation",
                    refresh_rotates: false,
                    ..base.clone()
                },
            ),
            (
                InvariantId::PkceVerified.as_str(),
                Self {
                    name: "broken-no-pkce",
                    pkce_checked: false,
                    ..base.clone()
                },
            ),
            (
                InvariantId::CodeClientBinding.as_str(),
                Self {
                    name: "broken-foreign-code",
                    code_client_bound: false,
                    ..base.clone()
                },
            ),
            (
                InvariantId::ExpiredAccessRejected.as_str(),
                Self {
                    name: "broken-access-outlives",
                    access_expiry_enforced: false,
                    ..base
                },
            ),
        ]
    }

    /// The profile called `name`.
    pub fn by_name(name: &str) -> Result<Self, ConfigError> {
        Self::all()
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ConfigError::UnknownProfile(name.to_owned()))
    }
}
