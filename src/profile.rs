//! Profiles: the policy knobs that make one server differ from another, as data.
//!
//! Handlers read these values; none of them asks which profile is running. A new profile is a
//! new value of [`Profile`], not a new code path. Each knob names the RFC section it is about and
//! the FastMCP deviation (D-n, `docs/fastmcp-behaviour.md` §8) it reproduces when set the FastMCP
//! way ("no deviation" when FastMCP follows the RFC there).
//!
//! A profile is also a file (TOML, [`Profile::to_toml`], [`Profile::from_toml`]):
//!
//! ```toml
//! format = "oauth-oracle-profile"
//! version = 1
//!
//! [profile]
//! name = "fastmcp"
//! invalid_grant_status = 401
//! # ... every knob, each once
//! ```
//!
//! Every knob must be given (a file says everything about the server it describes); an unknown
//! key, a missing one or a value of the wrong type is an error naming the key and the line. The
//! same knobs, under the same names, are the `profile` object of a version-2 trace header.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::ErrorCode;
use crate::ValueFormat;
use crate::keys::KEY_BYTES;
use crate::wire::Wire;

/// The most bytes a client secret's [`ValueFormat`] may draw (128 `base64url` characters).
pub(crate) const SECRET_BYTES: usize = 128;
use crate::error::ConfigError;
use crate::invariant::InvariantId;

/// The `format` value of every profile file.
pub const FILE_FORMAT: &str = "oauth-oracle-profile";
/// The profile file version this crate reads and writes.
pub const FILE_VERSION: u32 = 1;

/// One knob of [`Profile`]: its key (the field's name, in files and trace headers) and its
/// documentation (the field's doc comment, one entry per line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Knob {
    /// The key.
    pub key: &'static str,
    /// The doc comment's lines.
    pub doc: &'static [&'static str],
}

/// Declares [`Profile`] and [`KNOBS`] from one list, so that the documentation `profile show`
/// prints is the fields' doc comments.
macro_rules! profile_knobs {
    ($(
        $(#[doc = $doc:literal])*
        $(#[serde($($serde:tt)*)])*
        pub $key:ident: $ty:ty,
    )*) => {
        /// The policy values of one server behaviour.
        ///
        /// Text knobs are [`Cow`]s: borrowed for the built-in profiles, owned when read from a
        /// file or a trace header; handlers read every knob by reference.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Profile {
            $(
                $(#[doc = $doc])*
                $(#[serde($($serde)*)])*
                pub $key: $ty,
            )*
        }

        /// Every knob of [`Profile`], in field order (the order of files and trace headers).
        pub const KNOBS: &[Knob] = &[$(Knob {
            key: stringify!($key),
            doc: &[$($doc),*],
        }),*];
    };
}

profile_knobs! {
    /// The profile's name, as written in traces and in the names of saved files: letters,
    /// digits, `-`, `_` and `.` (no RFC section; no deviation).
    #[serde(deserialize_with = "name")]
    pub name: Cow<'static, str>,
    /// Prefix of authorization codes, followed by 32 hex digits: FastMCP's `test_auth_code_`
    /// ([RFC 6749 §4.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2) leaves the
    /// format to the server; no deviation). Unreserved URL characters and `:` only.
    #[serde(deserialize_with = "prefix")]
    pub code_prefix: Cow<'static, str>,
    /// The text of an authorization code after its prefix (`"hex N"`, `"base64url N"` or
    /// `"alnum N"`, `"grant N M"` or `"uuid4"`; at most 96 hex digits or 48 characters): FastMCP `"hex 32"`, `secrets.token_hex(16)`
    /// ([RFC 6749 §10.10](https://www.rfc-editor.org/rfc/rfc6749#section-10.10): guessing
    /// must be infeasible; no deviation). Absent from files and headers written before it
    /// existed: FastMCP's.
    #[serde(default = "code_format_default", deserialize_with = "format_key")]
    pub code_format: ValueFormat,
    /// Prefix of access tokens, followed by 64 hex digits: FastMCP's `test_access_token_`
    /// ([RFC 6749 §1.4](https://www.rfc-editor.org/rfc/rfc6749#section-1.4): opaque to the
    /// client; no deviation). Unreserved URL characters and `:` only.
    #[serde(deserialize_with = "prefix")]
    pub access_prefix: Cow<'static, str>,
    /// The text of an access token after its prefix (at most 96 hex digits or 48 characters): FastMCP
    /// `"hex 64"`, `secrets.token_hex(32)` ([RFC 6750 §5.2](https://www.rfc-editor.org/rfc/rfc6750#section-5.2);
    /// no deviation). Absent from files and headers written before it existed: FastMCP's.
    #[serde(default = "token_format_default", deserialize_with = "format_key")]
    pub access_format: ValueFormat,
    /// Prefix of refresh tokens, followed by 64 hex digits: FastMCP's `test_refresh_token_`
    /// ([RFC 6749 §1.5](https://www.rfc-editor.org/rfc/rfc6749#section-1.5); no deviation).
    /// Unreserved URL characters and `:` only.
    #[serde(deserialize_with = "prefix")]
    pub refresh_prefix: Cow<'static, str>,
    /// The text of a refresh token after its prefix (at most 96 hex digits or 48 characters): FastMCP
    /// `"hex 64"` ([RFC 6749 §10.10](https://www.rfc-editor.org/rfc/rfc6749#section-10.10);
    /// no deviation). Absent from files and headers written before it existed: FastMCP's.
    #[serde(default = "token_format_default", deserialize_with = "format_key")]
    pub refresh_format: ValueFormat,
    /// The text of a client id (no prefix; at most 96 hex digits or 48 characters): FastMCP `"uuid4"`
    /// ([RFC 7591 §3.2.1](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1): a unique
    /// string; no deviation). Absent from files and headers written before it existed:
    /// FastMCP's.
    #[serde(default = "client_id_format_default", deserialize_with = "format_key")]
    pub client_id_format: ValueFormat,
    /// The text of a client secret (no prefix; at most 256 hex digits or 128 characters): FastMCP `"hex 64"`,
    /// `secrets.token_hex(32)` ([RFC 6749 §10.10](https://www.rfc-editor.org/rfc/rfc6749#section-10.10);
    /// no deviation). Absent from files and headers written before it existed: FastMCP's.
    #[serde(default = "token_format_default", deserialize_with = "format_secret")]
    pub client_secret_format: ValueFormat,
    /// HTTP status of `invalid_grant` at `/token`: FastMCP 401 (D-17),
    /// [RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2) 400.
    #[serde(deserialize_with = "status")]
    pub invalid_grant_status: u16,
    /// Whether loading an expired access token also deletes its refresh token (D-1, and D-2
    /// through it; [RFC 6749 §1.5](https://www.rfc-editor.org/rfc/rfc6749#section-1.5), §6).
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
    /// Whether a replay of a used code by its own client revokes the grant whatever the
    /// `code_verifier` it carries (Cloudflare; [RFC 6749 §4.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2)
    /// asks to revoke the tokens issued from a code used more than once; the strict profile
    /// revokes only on a replay with the right verifier, which a guesser cannot send; FastMCP
    /// never revokes, D-3). Only read when `code_replay_revokes_grant` is set. Absent from files
    /// and headers written before it existed: FastMCP's.
    #[serde(default)]
    pub code_replay_revokes_unverified: bool,
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
    /// Whether the registration response (it carries a secret) has `Cache-Control: no-store`
    /// (D-11; [RFC 7591 §3.2.1](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1)).
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
    /// Whether expired records are garbage-collected as time passes (D-5;
    /// [RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)).
    pub sweep_expired: bool,
    /// Whether repeated request parameters are refused (D-21;
    /// [RFC 6749 §3.1](https://www.rfc-editor.org/rfc/rfc6749#section-3.1)).
    pub reject_repeated_params: bool,
    /// Whether an unknown `grant_type` is `unsupported_grant_type`
    /// ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)) rather than FastMCP's
    /// pydantic `invalid_request` (D-30).
    pub unknown_grant_is_unsupported: bool,
    /// Error code when `redirect_uri` at `/token` differs from `/authorize`: FastMCP
    /// `invalid_request` (D-31); [RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)
    /// `invalid_grant`.
    pub redirect_mismatch_error: ErrorCode,
    /// Whether the issuer gets pydantic's trailing slash (D-25;
    /// [RFC 8414 §3.3](https://www.rfc-editor.org/rfc/rfc8414#section-3.3)).
    pub issuer_trailing_slash: bool,
    /// Whether metadata advertises the `none` client authentication method public clients use
    /// (D-18; [RFC 8414 §2](https://www.rfc-editor.org/rfc/rfc8414#section-2)).
    pub advertise_none_auth_method: bool,
    /// Whether a successful exchange consumes the code. Only a deliberately broken profile clears
    /// this ([RFC 6749 §4.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2); no deviation).
    pub codes_single_use: bool,
    /// Whether revoking one token of a pair removes both (FastMCP's `_revoke_internal`;
    /// [RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1); no deviation).
    pub revocation_kills_pair: bool,
    /// Whether a refresh retires the presented refresh token and its pair
    /// ([RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2); no deviation).
    pub refresh_rotates: bool,
    /// Whether the PKCE verifier is checked at all
    /// ([RFC 7636 §4.6](https://www.rfc-editor.org/rfc/rfc7636#section-4.6); no deviation).
    pub pkce_checked: bool,
    /// Whether a code only loads for the client it was issued to
    /// ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3); no deviation).
    pub code_client_bound: bool,
    /// Whether an access token's expiry is enforced
    /// ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1); no deviation).
    pub access_expiry_enforced: bool,
    /// Refresh-token lifetime of the profile's default configuration, in seconds, or `"never"`
    /// (FastMCP: never expires, D-5; [RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)).
    #[serde(serialize_with = "lifetime_out", deserialize_with = "lifetime")]
    pub default_refresh_lifetime: Option<u64>,
    /// Whether resource indicators are honoured: every `resource` sent to `/authorize` or
    /// `/token` (either grant) must name this server's protected resource, else `invalid_target`,
    /// so a grant and its tokens are bound to it ([RFC 8707 §2](https://www.rfc-editor.org/rfc/rfc8707#section-2));
    /// FastMCP ignores `resource` (D-24). Absent from files and headers written before it
    /// existed: FastMCP's.
    #[serde(default)]
    pub resource_indicators: bool,
    /// Whether `https` client ids name client ID metadata documents, validated and cached as the
    /// caller fetched them (`client_document` events) and advertised as
    /// `client_id_metadata_document_supported` (the MCP authorization specification 2025-11-25:
    /// servers SHOULD support them, and MUST validate that "the fetched document's `client_id`
    /// matches the URL exactly"; [RFC 7591 §2](https://www.rfc-editor.org/rfc/rfc7591#section-2)
    /// for the metadata; FastMCP has none, no deviation). Absent from files and headers written
    /// before it existed: FastMCP's.
    #[serde(default)]
    pub client_id_metadata_documents: bool,
    /// Whether a new authorization code for a client revokes that client's earlier grants: its
    /// unused codes and every token issued from its earlier codes; a client ID metadata
    /// document's client only those asked for the same redirect URI (Cloudflare's
    /// `completeAuthorization`; no RFC asks for it; FastMCP keeps every grant, no deviation).
    /// Absent from files and headers written before it existed: FastMCP's.
    #[serde(default)]
    pub reauthorization_revokes_grants: bool,
    /// Whether two loopback redirect URIs (`localhost`, `127.0.0.0/8`, `[::1]`, any scheme) are
    /// compared as parsed URLs ([WHATWG URL](https://url.spec.whatwg.org/): scheme and host
    /// case-insensitive, path and query as parsed), any port, rather than as strings
    /// (Cloudflare's `isValidRedirectUri`; [RFC 9700 §2.1](https://www.rfc-editor.org/rfc/rfc9700#section-2.1):
    /// "exact string matching except for port numbers in localhost redirection URIs";
    /// FastMCP, D-12). Absent from files and headers written before it existed: FastMCP's.
    #[serde(default)]
    pub redirect_loopback_parsed: bool,
    /// Whether a refresh leaves the presented refresh token usable until the newly issued one is
    /// used: two refresh tokens per grant, the last one presented and the newest one (Cloudflare;
    /// [RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2) rotation
    /// invalidates the previous one; FastMCP does, no deviation). Absent from files and headers
    /// written before it existed: FastMCP's.
    #[serde(default)]
    pub refresh_grace: bool,
    /// Whether a refresh leaves the access tokens issued earlier in the grant alive (Cloudflare;
    /// [RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749#section-6) allows either; FastMCP
    /// retires the old pair, no deviation). Absent from files and headers written before it
    /// existed: FastMCP's.
    #[serde(default)]
    pub refresh_keeps_access: bool,
    /// Whether a refresh's `scope` narrows the new access token only: the requested scopes the
    /// grant has are granted (in request order), `invalid_scope` only when none is, and the grant
    /// keeps its whole scope for later refreshes (Cloudflare's `downscope`;
    /// [RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749#section-6): the scope "MUST NOT
    /// include any scope not originally granted", and omitted it is "treated as equal to the
    /// scope originally granted"; FastMCP refuses any scope outside the refresh token's and
    /// narrows the new refresh token too, no deviation). The narrowed scope is the response's;
    /// the stored pair keeps the grant's. Absent from files and headers written before it
    /// existed: FastMCP's.
    #[serde(default)]
    pub refresh_downscopes: bool,
    /// Whether refresh tokens share their grant's expiry, fixed at the code exchange: a refresh
    /// token issued by a refresh expires when the grant does, and an access token issued by a
    /// refresh lives no longer than what is left of it (Cloudflare: `expiresAt` is not moved by
    /// a refresh, `expires_in = min(accessTokenTTL, expiresAt - now)`;
    /// [RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2) allows either;
    /// FastMCP's never expire, no deviation). Absent from files and headers written before it
    /// existed: FastMCP's.
    #[serde(default)]
    pub refresh_expiry_per_grant: bool,
    /// Seconds before its expiry from which a refresh token is refused as expired, comparing
    /// whole seconds as the library does (`expiresAt - now < 60` at Cloudflare, which keeps a
    /// KV entry at least 60 s; [RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749#section-6)
    /// leaves lifetimes to the server; FastMCP 0, no deviation). Absent from files and headers
    /// written before it existed: FastMCP's (0).
    #[serde(default)]
    pub refresh_expiry_margin: u64,
    /// Whether revoking a refresh token revokes its whole grant, every access token and refresh
    /// token issued in it ([RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1):
    /// revocation invalidates, "if applicable, other tokens based on the same authorization
    /// grant"; FastMCP revokes the pair, no deviation). Absent from files and headers written
    /// before it existed: FastMCP's.
    #[serde(default)]
    pub refresh_revocation_revokes_grant: bool,
    /// Whether revocation is served by the token endpoint: a form without `grant_type` and with
    /// a non-empty `token` is a revocation request, and metadata names the token endpoint as
    /// `revocation_endpoint` (Cloudflare; [RFC 7009 §2](https://www.rfc-editor.org/rfc/rfc7009#section-2)
    /// leaves the location to the server; FastMCP mounts `/revoke`, no deviation). Absent from
    /// files and headers written before it existed: FastMCP's.
    #[serde(default)]
    pub revocation_at_token_endpoint: bool,
    /// Whether `Authorization: Basic` alone names the client of a token or revocation request
    /// ([RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1): a
    /// `client_secret_basic` client's credentials are in the header), rather than FastMCP's
    /// `client_id` required in the form too ("Missing client_id", D-18). Absent from files and
    /// headers written before it existed: FastMCP's.
    #[serde(default)]
    pub basic_names_client: bool,
    /// Whether a token or revocation request that names its client both in `Authorization:
    /// Basic` and in the form is refused first, `invalid_request`
    /// ([RFC 6749 §2.3](https://www.rfc-editor.org/rfc/rfc6749#section-2.3): "The client MUST
    /// NOT use more than one authentication method in each request"; FastMCP reads the header
    /// and ignores the form's id, no deviation). Absent from files and headers written before it
    /// existed: FastMCP's.
    #[serde(default)]
    pub multiple_auth_methods_refused: bool,
    /// Whether a client registered for `authorization_code` may use `refresh_token` without
    /// registering it (Cloudflare; [RFC 7591 §2](https://www.rfc-editor.org/rfc/rfc7591#section-2)
    /// names the grant types a client will restrict itself to; FastMCP requires it,
    /// no deviation). Absent from files and headers written before it existed: FastMCP's.
    #[serde(default)]
    pub refresh_grant_implied: bool,
    /// Error code for a grant type the client did not register: FastMCP
    /// `unsupported_grant_type`; [RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)
    /// `unauthorized_client` ("not authorized to use this authorization grant type"; FastMCP's
    /// answer is no deviation in `docs/fastmcp-behaviour.md`). Absent from files and headers
    /// written before it existed: FastMCP's.
    #[serde(default = "unsupported_grant_type")]
    pub unregistered_grant_error: ErrorCode,
    /// Whether a confidential client may leave PKCE out: no `code_challenge` at `/authorize`, and
    /// then no `code_verifier` at `/token` (Cloudflare; [RFC 9700 §2.1.1](https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1)
    /// requires PKCE of public clients, RECOMMENDS it of confidential ones; FastMCP requires
    /// it of every client, no deviation). Absent from files and headers written before it
    /// existed: FastMCP's.
    #[serde(default)]
    pub pkce_optional_for_confidential: bool,
    /// Whether a code issued with PKCE may be exchanged without `redirect_uri` even when
    /// `/authorize` named one (Cloudflare; [RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3)
    /// requires it; FastMCP requires it, no deviation). Absent from files and headers written
    /// before it existed: FastMCP's.
    #[serde(default)]
    pub redirect_uri_optional_with_pkce: bool,
    /// Whether `/authorize` refuses a scope the client did not register, `invalid_scope`
    /// ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1); FastMCP
    /// does, no deviation; Cloudflare leaves scopes to the application, which grants what is
    /// asked). Absent from files and headers written before it existed: FastMCP's (`true`).
    #[serde(default = "yes")]
    pub authorize_checks_scope: bool,
    /// Whether an authorization error that cannot be redirected is a JSON body with `error`
    /// (FastMCP's `400`), rather than a plain-text page (Cloudflare's worker;
    /// [RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1) only says the
    /// server informs the resource owner; no deviation). Absent from files and headers written
    /// before it existed: FastMCP's (`true`).
    #[serde(default = "yes")]
    pub authorize_errors_json: bool,
    /// Whether `/authorize` takes the first value of a repeated parameter (Cloudflare's
    /// `URLSearchParams.get`), whatever `reject_repeated_params` says there
    /// ([RFC 6749 §3.1](https://www.rfc-editor.org/rfc/rfc6749#section-3.1): parameters "MUST NOT
    /// be included more than once"; FastMCP takes the last, D-21). Absent from files and headers
    /// written before it existed: FastMCP's.
    #[serde(default)]
    pub authorize_first_value_wins: bool,
    /// Error code of a refused redirect URI at registration: `invalid_redirect_uri`
    /// ([RFC 7591 §3.2.2](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2); FastMCP's,
    /// no deviation) or Cloudflare's `invalid_client_metadata`. Only read when
    /// `registration_strict_redirects` is set. Absent from files and headers written before it
    /// existed: FastMCP's.
    #[serde(default = "invalid_redirect_uri")]
    pub registration_redirect_error: ErrorCode,
    /// Whether registration refuses a `scope` outside the server's valid scopes,
    /// `invalid_client_metadata` (FastMCP; [RFC 7591 §2](https://www.rfc-editor.org/rfc/rfc7591#section-2)
    /// lets the server ignore or refuse it, no deviation; Cloudflare ignores `scope`). Absent
    /// from files and headers written before it existed: FastMCP's (`true`).
    #[serde(default = "yes")]
    pub registration_checks_scope: bool,
    /// Error code of a registration body that is not JSON: FastMCP `invalid_client_metadata`,
    /// Cloudflare `invalid_request` ([RFC 7591 §3.2.2](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2)
    /// allows either; no deviation). Absent from files and headers written before it existed:
    /// FastMCP's.
    #[serde(default = "invalid_client_metadata")]
    pub registration_bad_json_error: ErrorCode,
    /// How answers are written: error descriptions, body key order and the headers around them
    /// (`"mcp-python-sdk"`, FastMCP's; `"workers-oauth-provider"`, Cloudflare's library's). No
    /// RFC prescribes texts or key order ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2):
    /// `error_description` is human-readable; no deviation). Absent from files and headers
    /// written before it existed: FastMCP's.
    #[serde(default)]
    pub wire: Wire,
    /// A client whose registration names no `token_endpoint_auth_method` is registered as
    /// `client_secret_basic`, [RFC 7591 §2](https://www.rfc-editor.org/rfc/rfc7591#section-2)'s
    /// default, and may authenticate by either secret method (Cloudflare's `authMethodExplicit`
    /// rule; RFC 6749 §2.3.1 lets a server take the secret in the body too); `false`: it is
    /// `client_secret_post`, the SDK's default, and only that method works (FastMCP, no deviation:
    /// the default binds a server that does not say, and the answer says). Absent from files and
    /// headers written before it existed: FastMCP's.
    #[serde(default)]
    pub unnamed_method_any_secret: bool,
    /// Whether a registration that names no `grant_types` gets `refresh_token` beside
    /// `authorization_code`: the SDK's default (FastMCP, `true`); [RFC 7591 §2](https://www.rfc-editor.org/rfc/rfc7591#section-2)'s
    /// default is `authorization_code` alone (Cloudflare, `false`; its refresh grant is implied,
    /// `refresh_grant_implied`), no deviation: the answer names the grant types. Absent from
    /// files and headers written before it existed: FastMCP's.
    #[serde(default = "yes")]
    pub default_grant_types_include_refresh: bool,
}

impl Profile {
    /// FastMCP 4.2.3 + MCP Python SDK 2.3.0, quirks included (`docs/fastmcp-behaviour.md`).
    pub fn fastmcp() -> Self {
        Self {
            name: Cow::Borrowed("fastmcp"),
            code_prefix: Cow::Borrowed("test_auth_code_"),
            access_prefix: Cow::Borrowed("test_access_token_"),
            refresh_prefix: Cow::Borrowed("test_refresh_token_"),
            code_format: ValueFormat::FASTMCP_CODE,
            access_format: ValueFormat::FASTMCP_TOKEN,
            refresh_format: ValueFormat::FASTMCP_TOKEN,
            client_id_format: ValueFormat::Uuid4,
            client_secret_format: ValueFormat::FASTMCP_TOKEN,
            invalid_grant_status: 401,
            expired_access_revokes_refresh: true,
            revocation_requires_secret_field: true,
            revocation_auth_error: ErrorCode::UnauthorizedClient,
            code_replay_revokes_grant: false,
            code_replay_revokes_unverified: false,
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
            resource_indicators: false,
            client_id_metadata_documents: false,
            reauthorization_revokes_grants: false,
            redirect_loopback_parsed: false,
            refresh_grace: false,
            refresh_keeps_access: false,
            refresh_downscopes: false,
            refresh_expiry_per_grant: false,
            refresh_expiry_margin: 0,
            refresh_revocation_revokes_grant: false,
            revocation_at_token_endpoint: false,
            basic_names_client: false,
            multiple_auth_methods_refused: false,
            refresh_grant_implied: false,
            unregistered_grant_error: ErrorCode::UnsupportedGrantType,
            pkce_optional_for_confidential: false,
            redirect_uri_optional_with_pkce: false,
            authorize_checks_scope: true,
            authorize_errors_json: true,
            authorize_first_value_wins: false,
            registration_redirect_error: ErrorCode::InvalidRedirectUri,
            registration_checks_scope: true,
            registration_bad_json_error: ErrorCode::InvalidClientMetadata,
            wire: Wire::PythonSdk,
            unnamed_method_any_secret: false,
            default_grant_types_include_refresh: true,
        }
    }

    /// The strict server the RFCs ask for (`docs/invariants.md`): the same handlers with
    /// every knob set the RFC way.
    pub fn oauth21() -> Self {
        Self {
            name: Cow::Borrowed("oauth21"),
            code_prefix: Cow::Borrowed("test_auth_code_"),
            access_prefix: Cow::Borrowed("test_access_token_"),
            refresh_prefix: Cow::Borrowed("test_refresh_token_"),
            code_format: ValueFormat::FASTMCP_CODE,
            access_format: ValueFormat::FASTMCP_TOKEN,
            refresh_format: ValueFormat::FASTMCP_TOKEN,
            client_id_format: ValueFormat::Uuid4,
            client_secret_format: ValueFormat::FASTMCP_TOKEN,
            invalid_grant_status: 400,
            expired_access_revokes_refresh: false,
            revocation_requires_secret_field: false,
            revocation_auth_error: ErrorCode::InvalidClient,
            code_replay_revokes_grant: true,
            code_replay_revokes_unverified: false,
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
            resource_indicators: true,
            client_id_metadata_documents: true,
            reauthorization_revokes_grants: false,
            redirect_loopback_parsed: false,
            refresh_grace: false,
            refresh_keeps_access: false,
            refresh_downscopes: false,
            refresh_expiry_per_grant: false,
            refresh_expiry_margin: 0,
            refresh_revocation_revokes_grant: true,
            revocation_at_token_endpoint: false,
            basic_names_client: true,
            multiple_auth_methods_refused: false,
            refresh_grant_implied: false,
            unregistered_grant_error: ErrorCode::UnsupportedGrantType,
            pkce_optional_for_confidential: false,
            redirect_uri_optional_with_pkce: false,
            authorize_checks_scope: true,
            authorize_errors_json: true,
            authorize_first_value_wins: false,
            registration_redirect_error: ErrorCode::InvalidRedirectUri,
            registration_checks_scope: true,
            registration_bad_json_error: ErrorCode::InvalidClientMetadata,
            wire: Wire::PythonSdk,
            unnamed_method_any_secret: false,
            default_grant_types_include_refresh: true,
        }
    }

    /// Cloudflare's `@cloudflare/workers-oauth-provider` 1.2.3, as an MCP server on Workers runs
    /// it (`docs/cloudflare-behaviour.md`): grants that a new authorization replaces, refresh
    /// with a grace of one token, revocation at the token endpoint, resource binding and client
    /// ID metadata documents. Exact in outcome (status, `error` code, which secrets are issued
    /// and which tokens work: `diff --compare semantic`), in its value formats
    /// (`userId:grantId:secret` codes and tokens) and, through its wire dialect, in its texts,
    /// body shapes and headers (`docs/cloudflare-behaviour.md` §9 lists what is not yet).
    pub fn cloudflare() -> Self {
        Self {
            name: Cow::Borrowed("cloudflare"),
            // `generateRandomString`: characters of A-Z a-z 0-9 - _, 16 for a client id, 32 for
            // a secret; codes and tokens are `userId:grantId:secret`, the user the worker of
            // `scripts/providers/cloudflare/` completes every authorization for.
            code_prefix: Cow::Borrowed("user:"),
            code_format: ValueFormat::Grant(16, 32),
            access_prefix: Cow::Borrowed("user:"),
            access_format: ValueFormat::Grant(16, 32),
            refresh_prefix: Cow::Borrowed("user:"),
            refresh_format: ValueFormat::Grant(16, 32),
            client_id_format: ValueFormat::Base64Url(16),
            client_secret_format: ValueFormat::Base64Url(32),
            invalid_grant_status: 400,
            expired_access_revokes_refresh: false,
            revocation_requires_secret_field: false,
            revocation_auth_error: ErrorCode::InvalidClient,
            code_replay_revokes_grant: true,
            code_replay_revokes_unverified: true,
            refresh_reuse_revokes_family: false,
            absent_challenge_method_is_s256: false,
            pkce_syntax_checked: false,
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
            revocation_kills_pair: false,
            default_refresh_lifetime: Some(2_592_000),
            reauthorization_revokes_grants: true,
            redirect_loopback_parsed: true,
            refresh_grace: true,
            refresh_keeps_access: true,
            refresh_downscopes: true,
            refresh_expiry_per_grant: true,
            refresh_expiry_margin: 60,
            refresh_revocation_revokes_grant: true,
            revocation_at_token_endpoint: true,
            basic_names_client: true,
            multiple_auth_methods_refused: true,
            refresh_grant_implied: true,
            unregistered_grant_error: ErrorCode::UnauthorizedClient,
            pkce_optional_for_confidential: true,
            redirect_uri_optional_with_pkce: true,
            authorize_checks_scope: false,
            authorize_errors_json: false,
            authorize_first_value_wins: true,
            registration_redirect_error: ErrorCode::InvalidClientMetadata,
            registration_checks_scope: false,
            registration_bad_json_error: ErrorCode::InvalidRequest,
            wire: Wire::WorkersOauthProvider,
            unnamed_method_any_secret: true,
            default_grant_types_include_refresh: false,
            ..Self::oauth21()
        }
    }

    /// Every built-in profile, the deliberately broken variants last.
    pub fn all() -> Vec<Self> {
        let mut all = vec![Self::fastmcp(), Self::oauth21(), Self::cloudflare()];
        all.extend(Self::broken_variants().into_iter().map(|(_, p)| p));
        all
    }

    /// The names of every built-in profile, in [`Profile::all`]'s order.
    pub fn names() -> Vec<&'static str> {
        // Built-in profiles borrow their names.
        Self::all()
            .into_iter()
            .filter_map(|p| match p.name {
                Cow::Borrowed(name) => Some(name),
                Cow::Owned(_) => None,
            })
            .collect()
    }

    /// Deliberately broken variants of `fastmcp`, one bug each, with the invariant that must
    /// catch it: proof that the checks bite.
    pub fn broken_variants() -> Vec<(InvariantId, Self)> {
        let base = Self::fastmcp();
        vec![
            (
                InvariantId::CodeSingleUse,
                Self {
                    name: Cow::Borrowed("broken-code-reuse"),
                    codes_single_use: false,
                    ..base.clone()
                },
            ),
            (
                InvariantId::RevocationCascades,
                Self {
                    name: Cow::Borrowed("broken-revoke-one"),
                    revocation_kills_pair: false,
                    ..base.clone()
                },
            ),
            (
                InvariantId::RefreshRotatedDead,
                Self {
                    name: Cow::Borrowed("broken-no-rotation"),
                    refresh_rotates: false,
                    ..base.clone()
                },
            ),
            (
                InvariantId::PkceVerified,
                Self {
                    name: Cow::Borrowed("broken-no-pkce"),
                    pkce_checked: false,
                    ..base.clone()
                },
            ),
            (
                InvariantId::CodeClientBinding,
                Self {
                    name: Cow::Borrowed("broken-foreign-code"),
                    code_client_bound: false,
                    ..base.clone()
                },
            ),
            (
                InvariantId::ExpiredAccessRejected,
                Self {
                    name: Cow::Borrowed("broken-access-outlives"),
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

    /// The profile as a profile file: `format` and `version`, then every knob under
    /// `[profile]`, each preceded by its documentation as comments. [`Profile::from_toml`]
    /// reads it back as this profile.
    pub fn to_toml(&self) -> String {
        let mut out = format!(
            "# The `{name}` server profile of oauth-oracle: every knob, each once.\n\
             # Edit the values, then pass the file with `--profile-file`.\n\
             format = \"{FILE_FORMAT}\"\nversion = {FILE_VERSION}\n\n[profile]\n",
            name = self.name
        );
        // The JSON form of each knob is its TOML form: booleans, integers, and basic strings
        // whose escapes (`\"`, `\\`, `\n`, `\u00XX`, ...) TOML shares.
        let Ok(serde_json::Value::Object(values)) = serde_json::to_value(self) else {
            return out;
        };
        for (i, knob) in KNOBS.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            for line in knob.doc {
                out.push('#');
                out.push_str(line.trim_end());
                out.push('\n');
            }
            let value = values.get(knob.key).map(ToString::to_string);
            out.push_str(&format!("{} = {}\n", knob.key, value.unwrap_or_default()));
        }
        out
    }

    /// Read a profile file (see the module docs). Errors name the line and the key.
    pub fn from_toml(text: &str) -> Result<Self, ProfileFileError> {
        /// `format` and `version`, checked before the rest is read.
        #[derive(Deserialize)]
        struct Head {
            format: Option<toml::Spanned<toml::Value>>,
            version: Option<toml::Spanned<toml::Value>>,
        }
        /// The whole file.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[allow(dead_code)]
            format: String,
            #[allow(dead_code)]
            version: u32,
            profile: Profile,
        }
        let head: Head = toml::from_str(text).map_err(|e| file_error(text, &e))?;
        let line_of = |span: std::ops::Range<usize>| line_at(text, span.start);
        match head.format {
            Some(f) if f.get_ref().as_str() == Some(FILE_FORMAT) => {}
            Some(f) => {
                return Err(ProfileFileError {
                    line: line_of(f.span()),
                    key: "format".to_owned(),
                    message: format!("expected \"{FILE_FORMAT}\", found {}", shown(f.get_ref())),
                });
            }
            None => return Err(missing(text, "format")),
        }
        match head.version {
            Some(v) if v.get_ref().as_integer() == Some(i64::from(FILE_VERSION)) => {}
            Some(v) => {
                return Err(ProfileFileError {
                    line: line_of(v.span()),
                    key: "version".to_owned(),
                    message: format!(
                        "unsupported version {} (this build reads {FILE_VERSION})",
                        shown(v.get_ref())
                    ),
                });
            }
            None => return Err(missing(text, "version")),
        }
        let file: File = toml::from_str(text).map_err(|e| file_error(text, &e))?;
        Ok(file.profile)
    }
}

/// A profile file that cannot be read: names the line and the key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {key}: {message}")]
pub struct ProfileFileError {
    /// 1-based line number.
    pub line: usize,
    /// The offending key (`format`, `version`, `profile`, or a knob's key).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// A TOML value for an error message: a string quoted, an integer, else its type.
fn shown(v: &toml::Value) -> String {
    if let Some(s) = v.as_str() {
        format!("{s:?}")
    } else if let Some(n) = v.as_integer() {
        n.to_string()
    } else {
        format!("a {}", v.type_str())
    }
}

/// The 1-based line holding byte `at` of `text`.
fn line_at(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    1 + text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// The error for a missing top-level `key`.
fn missing(text: &str, key: &str) -> ProfileFileError {
    ProfileFileError {
        line: line_at(text, text.len()),
        key: key.to_owned(),
        message: "missing".to_owned(),
    }
}

/// `err` (from reading `text`) with its line and key: the key serde names (an unknown or missing
/// one), else the key written on the line the error points at.
fn file_error(text: &str, err: &toml::de::Error) -> ProfileFileError {
    let start = err.span().map_or(0, |s| s.start);
    let line = line_at(text, start);
    let message = err.message().trim_end().to_owned();
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|marker| message.split(marker).nth(1)?.split('`').next());
    let key = named.map(str::to_owned).or_else(|| {
        let line_text = text.lines().nth(line - 1)?;
        let (key, _) = line_text.split_once('=')?;
        Some(key.trim().trim_matches(['"', '\'']).to_owned())
    });
    let key = key.or_else(|| {
        let line_text = text.lines().nth(line - 1)?.trim();
        let table = line_text.strip_prefix('[')?.strip_suffix(']')?;
        Some(table.trim().to_owned())
    });
    ProfileFileError {
        line,
        key: key.unwrap_or_else(|| "file".to_owned()),
        message,
    }
}

/// A profile name: 1–64 letters, digits, `-`, `_`, `.` (it names saved files).
fn name<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'static, str>, D::Error> {
    let s = String::deserialize(d)?;
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        return Err(serde::de::Error::custom(format!(
            "invalid profile name {s:?}: 1 to 64 letters, digits, '-', '_' or '.'"
        )));
    }
    Ok(Cow::Owned(s))
}

fn yes() -> bool {
    true
}

fn unsupported_grant_type() -> ErrorCode {
    ErrorCode::UnsupportedGrantType
}

fn invalid_redirect_uri() -> ErrorCode {
    ErrorCode::InvalidRedirectUri
}

fn invalid_client_metadata() -> ErrorCode {
    ErrorCode::InvalidClientMetadata
}

fn code_format_default() -> ValueFormat {
    ValueFormat::FASTMCP_CODE
}

fn token_format_default() -> ValueFormat {
    ValueFormat::FASTMCP_TOKEN
}

fn client_id_format_default() -> ValueFormat {
    ValueFormat::Uuid4
}

/// A value format whose values hold at most `MAX` random bytes (the size of the model's key).
fn format_at_most<'de, D: Deserializer<'de>, const MAX: usize>(
    d: D,
) -> Result<ValueFormat, D::Error> {
    ValueFormat::deserialize(d)?
        .at_most(MAX)
        .map_err(serde::de::Error::custom)
}

/// A format for a stored value: at most [`KEY_BYTES`] bytes of key.
fn format_key<'de, D: Deserializer<'de>>(d: D) -> Result<ValueFormat, D::Error> {
    format_at_most::<D, KEY_BYTES>(d)
}

/// A format for client secrets, which are only written: at most [`SECRET_BYTES`].
fn format_secret<'de, D: Deserializer<'de>>(d: D) -> Result<ValueFormat, D::Error> {
    format_at_most::<D, SECRET_BYTES>(d)
}

/// A token prefix: at most 64 unreserved URL characters (RFC 3986 §2.3).
fn prefix<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'static, str>, D::Error> {
    let s = String::deserialize(d)?;
    let ok = s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':'));
    if !ok {
        return Err(serde::de::Error::custom(format!(
            "invalid prefix {s:?}: at most 64 letters, digits, '-', '.', '_', '~' or ':'"
        )));
    }
    Ok(Cow::Owned(s))
}

/// An HTTP status code, 100 to 599.
fn status<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let n = u16::deserialize(d)?;
    if !(100..=599).contains(&n) {
        return Err(serde::de::Error::custom(format!(
            "invalid HTTP status {n}: expected 100 to 599"
        )));
    }
    Ok(n)
}

/// `"never"` for `None`, else the number of seconds.
fn lifetime_out<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(n) => s.serialize_u64(*n),
        None => s.serialize_str("never"),
    }
}

/// A number of seconds, or `"never"` (`None`).
fn lifetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a number of seconds or \"never\"")
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
            Ok(Some(n))
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
            u64::try_from(n)
                .map(Some)
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            if s == "never" {
                Ok(None)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Str(s), &self))
            }
        }
    }
    d.deserialize_any(Visitor)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_built_in_profile_round_trips_through_its_file() {
        for p in Profile::all() {
            let text = p.to_toml();
            assert_eq!(Profile::from_toml(&text).unwrap(), p, "{text}");
        }
    }

    #[test]
    fn every_built_in_profile_round_trips_through_json() {
        for p in Profile::all() {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Profile>(&json).unwrap(), p, "{json}");
        }
    }

    #[test]
    fn names_are_every_built_in_profile() {
        assert_eq!(Profile::names().len(), Profile::all().len());
    }

    #[test]
    fn every_knob_names_an_rfc_section_and_a_deviation() {
        for knob in KNOBS.iter().filter(|k| k.key != "name") {
            let doc = knob.doc.join("\n");
            assert!(doc.contains("RFC "), "{}: {doc}", knob.key);
            assert!(
                doc.contains("D-") || doc.contains("no deviation"),
                "{}: {doc}",
                knob.key
            );
        }
    }

    #[test]
    fn show_prints_each_knob_once_with_its_documentation_above() {
        let text = Profile::fastmcp().to_toml();
        for knob in KNOBS {
            let at = text.find(&format!("\n{} = ", knob.key)).unwrap();
            let before = &text[..at];
            let last_doc = knob.doc.last().unwrap().trim_end();
            assert!(before.ends_with(&format!("#{last_doc}")), "{}", knob.key);
        }
        assert!(text.contains("\ninvalid_grant_status = 401\n"));
        assert!(text.contains("\ndefault_refresh_lifetime = \"never\"\n"));
    }

    /// `fastmcp`'s file with line `key = ...` replaced by `replacement` (dropped when empty),
    /// and the 1-based line the key was on.
    fn edited(key: &str, replacement: &str) -> (String, usize) {
        let text = Profile::fastmcp().to_toml();
        let mut line = 0;
        let lines: Vec<&str> = text
            .lines()
            .enumerate()
            .filter_map(|(i, l)| {
                if l.starts_with(&format!("{key} = ")) {
                    line = i + 1;
                    return (!replacement.is_empty()).then_some(replacement);
                }
                Some(l)
            })
            .collect();
        assert!(line > 0, "{key}");
        (lines.join("\n") + "\n", line)
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let (text, line) = edited("sweep_expired", "sweep_expird = true");
        let err = Profile::from_toml(&text).unwrap_err();
        assert_eq!(
            (err.line, err.key.as_str()),
            (line, "sweep_expird"),
            "{err}"
        );
        assert!(err.message.contains("unknown field"), "{err}");
    }

    #[test]
    fn a_missing_key_is_named_with_the_line_of_its_table() {
        let (text, _) = edited("sweep_expired", "");
        let err = Profile::from_toml(&text).unwrap_err();
        let table = text.lines().position(|l| l == "[profile]").unwrap() + 1;
        assert_eq!(
            (err.line, err.key.as_str()),
            (table, "sweep_expired"),
            "{err}"
        );
        assert!(err.message.contains("missing field"), "{err}");
    }

    #[test]
    fn a_wrong_type_is_named_with_its_line() {
        for (key, bad) in [
            ("invalid_grant_status", "invalid_grant_status = \"400\""),
            ("invalid_grant_status", "invalid_grant_status = 42"),
            ("sweep_expired", "sweep_expired = 1"),
            (
                "revocation_auth_error",
                "revocation_auth_error = \"a\\\"b\"",
            ),
            (
                "default_refresh_lifetime",
                "default_refresh_lifetime = \"forever\"",
            ),
            ("name", "name = \"../x\""),
        ] {
            let (text, line) = edited(key, bad);
            let err = Profile::from_toml(&text).unwrap_err();
            assert_eq!((err.line, err.key.as_str()), (line, key), "{bad}: {err}");
        }
    }

    #[test]
    fn format_and_version_are_checked_first() {
        let text = Profile::fastmcp().to_toml();
        let err = Profile::from_toml(&text.replace("version = 1", "version = 2")).unwrap_err();
        assert_eq!(err.key, "version", "{err}");
        assert!(err.message.contains("unsupported version 2"), "{err}");
        let err = Profile::from_toml(&text.replace("oauth-oracle-profile", "x")).unwrap_err();
        assert_eq!(err.key, "format", "{err}");
        let err = Profile::from_toml(&text.replace("version = 1\n", "")).unwrap_err();
        assert_eq!(
            (err.key.as_str(), err.message.as_str()),
            ("version", "missing")
        );
    }

    #[test]
    fn a_changed_knob_is_read() {
        let (text, _) = edited("invalid_grant_status", "invalid_grant_status = 400");
        let p = Profile::from_toml(&text).unwrap();
        assert_eq!(p.invalid_grant_status, 400);
        assert_eq!(
            Profile {
                invalid_grant_status: 401,
                ..p
            },
            Profile::fastmcp()
        );
    }
}
