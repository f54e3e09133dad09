//! The invariant catalogue: every server-side requirement a server's behaviour can show
//! (`docs/invariants.md`, whose table lists this file), with its level, citation, and — where
//! FastMCP breaks it — the documented deviation (a D-n row of `docs/fastmcp-behaviour.md` §8).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Invariant, Level};

/// The catalogue, once: each entry is `Variant("id", Level, "citation", "summary", deviation)`.
/// It defines [`CATALOG`] and [`InvariantId`] (one variant per entry, in catalogue order), so an
/// id the checker uses is a catalogue id or does not compile.
macro_rules! catalog {
    ($(
        $variant:ident($id:literal, $level:ident, $cite:literal, $summary:literal, $dev:expr $(,)?)
    ),* $(,)?) => {
        /// The identifier of an invariant of [`CATALOG`] (its variants are the catalogue's ids,
        /// in catalogue order). Written, compared and ordered as its text (`as_str`), so that
        /// reports list ids alphabetically.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum InvariantId {
            $(
                #[doc = concat!("`", $id, "`: ", $summary)]
                // A summary's brackets (`[::1]`) are text, not links.
                #[allow(rustdoc::broken_intra_doc_links)]
                $variant,
            )*
        }

        impl InvariantId {
            /// Every id, in catalogue order.
            pub const ALL: &'static [InvariantId] = &[$(InvariantId::$variant),*];

            /// The id as the catalogue and the reports spell it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( InvariantId::$variant => $id, )*
                }
            }

            /// The id spelled `text`, if the catalogue has it.
            pub fn from_id(text: &str) -> Option<Self> {
                match text {
                    $( $id => Some(InvariantId::$variant), )*
                    _ => None,
                }
            }

            /// Whether only a live target can show it: the model (FastMCP's server) has no
            /// endpoint the invariant is about, so `check` never evaluates it.
            pub const fn live_only(self) -> bool {
                matches!(self, InvariantId::IntrospectionRequiresAuthentication)
            }

            /// Its catalogue entry.
            pub const fn invariant(self) -> &'static Invariant {
                &CATALOG[self as usize]
            }
        }

        /// Every invariant the checker knows, in catalogue order.
        pub const CATALOG: &[Invariant] = &[
            $(
                Invariant {
                    id: InvariantId::$variant,
                    level: Level::$level,
                    citation: $cite,
                    summary: $summary,
                    fastmcp_deviation: $dev,
                },
            )*
        ];
    };
}

catalog! {
    // A. Authorization endpoint
    RedirectExactMatch(
        "redirect-exact-match",
        Must,
        "RFC 9700 §4.1.3; OAuth 2.1 §4.1.1",
        "A code is only issued for a redirect URI string-equal to a registered one (loopback ports aside).",
        Some("D-12")
    ),
    LoopbackAnyPort(
        "loopback-any-port",
        Must,
        "RFC 8252 §7.3; OAuth 2.1 §8.4.2",
        "A public (native) client's registered loopback IP redirect URI (127.0.0.1, [::1]) is accepted with any port.",
        Some("D-12")
    ),
    NoRedirectToUnvalidatedUri(
        "no-redirect-to-unvalidated-uri",
        Must,
        "RFC 6749 §4.1.2.1; OAuth 2.1 §4.1.2.1",
        "The server never redirects to a URI not registered for the client.",
        None
    ),
    PkceRequired(
        "pkce-required",
        Must,
        "OAuth 2.1 §4.1.1; RFC 9700 §2.1.1",
        "No code is issued to a public client without a code_challenge (confidential clients: RECOMMENDED only).",
        None
    ),
    PkcePlainRefused(
        "pkce-plain-refused",
        Must,
        "OAuth 2.1 §4.1.1; RFC 9700 §2.1.1",
        "code_challenge_method=plain is refused (S256 only).",
        None
    ),
    PkceAbsentMethodIsPlain(
        "pkce-absent-method-is-plain",
        Must,
        "RFC 7636 §4.3",
        "An absent code_challenge_method means plain, so it is refused too.",
        Some("D-20")
    ),
    PkceChallengeSyntax(
        "pkce-challenge-syntax",
        Must,
        "RFC 7636 §4.2; OAuth 2.1 §4.1.1",
        "The code_challenge is 43-128 unreserved characters.",
        Some("D-20")
    ),
    StateEchoed(
        "state-echoed",
        Must,
        "RFC 6749 §4.1.2, §4.1.2.1",
        "Authorization responses echo state verbatim.",
        None
    ),
    IssInAuthorizationResponse(
        "iss-in-authorization-response",
        Should,
        "RFC 9207 §2; RFC 9700 §4.4.2",
        "Authorization responses carry iss, equal to the metadata issuer.",
        Some("D-24")
    ),
    // SHOULD, not MUST: "Request and response parameters MUST NOT be included more than once"
    // (RFC 6749 §3.1, §3.2) binds the client that sends them; the server side is only the error
    // to use when it refuses (`invalid_request`, §4.1.2.1, §5.2). No sentence makes accepting
    // such a request a MUST violation.
    RepeatedParametersRefused(
        "repeated-parameters-refused",
        Should,
        "RFC 6749 §3.1, §3.2",
        "A request with a repeated parameter does not succeed.",
        Some("D-21")
    ),
    // B. Token endpoint: authorization_code
    CodeSingleUse(
        "code-single-use",
        Must,
        "RFC 6749 §4.1.2, §10.5; OAuth 2.1 §4.1.3",
        "A code yields tokens at most once.",
        None
    ),
    CodeReplayRevokesTokens(
        "code-replay-revokes-tokens",
        Should,
        "RFC 6749 §4.1.2; OAuth 2.1 §4.1.3",
        "After a valid replay of a used code, the tokens issued from it no longer work.",
        Some("D-3")
    ),
    CodeClientBinding(
        "code-client-binding",
        Must,
        "RFC 6749 §4.1.3; OAuth 2.1 §4.1.3",
        "Only the client a code was issued to can redeem it.",
        None
    ),
    CodeExpires(
        "code-expires",
        Must,
        "RFC 6749 §4.1.2; OAuth 2.1 §4.1.2",
        "An expired code never yields tokens.",
        None
    ),
    PkceVerified(
        "pkce-verified",
        Must,
        "RFC 7636 §4.6",
        "BASE64URL(SHA256(code_verifier)) must equal the challenge.",
        None
    ),
    PkceVerifierSyntax(
        "pkce-verifier-syntax",
        Must,
        "RFC 7636 §4.1; OAuth 2.1 §4.1.1",
        "The code_verifier is 43-128 unreserved characters.",
        Some("D-20")
    ),
    RedirectUriBoundToCode(
        "redirect-uri-bound-to-code",
        Must,
        "RFC 6749 §4.1.3",
        "A redirect_uri sent at /authorize is sent identical at /token.",
        Some("D-12")
    ),
    ClientAuthentication(
        "client-authentication",
        Must,
        "RFC 6749 §3.2.1; OAuth 2.1 §3.2.1",
        "A confidential client gets tokens only with its exact secret by its registered method.",
        None
    ),
    TokenResponseNoStore(
        "token-response-no-store",
        Must,
        "RFC 6749 §5.1; OAuth 2.1 §3.2.3",
        "Token responses carry Cache-Control: no-store.",
        None
    ),
    TokenErrorStatus(
        "token-error-status",
        Must,
        "RFC 6749 §5.2; OAuth 2.1 §3.2.4",
        "Token endpoint errors are 400, except invalid_client which may be 401.",
        Some("D-17")
    ),
    InvalidClientChallenge(
        "invalid-client-challenge",
        Must,
        "RFC 6749 §5.2",
        "A 401 invalid_client to a client that used the Authorization header carries WWW-Authenticate.",
        Some("D-29")
    ),
    UnsupportedGrantTypeError(
        "unsupported-grant-type-error",
        Must,
        "RFC 6749 §5.2",
        "An unknown grant_type is answered with unsupported_grant_type.",
        Some("D-30")
    ),
    RedirectMismatchIsInvalidGrant(
        "redirect-mismatch-is-invalid-grant",
        Must,
        "RFC 6749 §5.2",
        "A redirect_uri that does not match the authorization request is invalid_grant (or invalid_request if a parameter is also missing or malformed).",
        Some("D-31")
    ),
    IssuedValuesUnique(
        "issued-values-unique",
        Must,
        "RFC 6749 §10.10; OAuth 2.1 §7.7",
        "Every issued client id, secret, code and token is distinct.",
        None
    ),
    IssuedValuesEntropy(
        "issued-values-entropy",
        Must,
        "RFC 6749 §10.10; OAuth 2.1 §7.7",
        "Codes and tokens carry at least 128 bits of randomness.",
        None
    ),
    // C. Refresh tokens
    RefreshClientBinding(
        "refresh-client-binding",
        Must,
        "RFC 6749 §6; OAuth 2.1 §4.3.1",
        "Only the client a refresh token was issued to can use it.",
        None
    ),
    RefreshScopeNoWidening(
        "refresh-scope-no-widening",
        Must,
        "RFC 6749 §6; OAuth 2.1 §4.3.1",
        "A refresh never grants a scope the refresh token does not carry.",
        None
    ),
    RefreshRotatedDead(
        "refresh-rotated-dead",
        Must,
        "OAuth 2.1 §4.3.1; RFC 9700 §4.14.2",
        "A rotated refresh token never works again.",
        None
    ),
    RefreshReuseRevokesFamily(
        "refresh-reuse-revokes-family",
        Should,
        "RFC 9700 §4.14.2; OAuth 2.1 §4.3.1",
        "Reuse of a rotated refresh token revokes the live tokens of its grant.",
        Some("D-4")
    ),
    RefreshExpires(
        "refresh-expires",
        Should,
        "RFC 9700 §4.14.2; OAuth 2.1 §4.3.3",
        "Refresh tokens have a finite lifetime (judged when it is configured or stated).",
        Some("D-5")
    ),
    ExpiredRefreshDead(
        "expired-refresh-dead",
        Must,
        "OAuth 2.1 §4.3.1",
        "An expired refresh token never works.",
        None
    ),
    ExpiredAccessKeepsRefresh(
        "expired-access-keeps-refresh",
        Should,
        "OAuth 2.1 §4.3; RFC 6749 §1.5",
        "Presenting an expired access token does not destroy its refresh token.",
        Some("D-1")
    ),
    // D. Revocation
    RevokedStaysDead(
        "revoked-stays-dead",
        Must,
        "RFC 7009 §2.1, §2.2",
        "A token revoked by its owner never works again.",
        None
    ),
    RevocationCascades(
        "revocation-cascades",
        Should,
        "RFC 7009 §2.1",
        "Revoking a refresh token kills its access token (revoking an access token MAY kill the refresh token).",
        None
    ),
    RevocationOwnerOnly(
        "revocation-owner-only",
        Must,
        "RFC 7009 §2.1",
        "No client can revoke or destroy another client's tokens.",
        Some("D-2")
    ),
    RevocationClientAuthenticated(
        "revocation-client-authenticated",
        Must,
        "RFC 7009 §2.1",
        "A confidential client's revocation request without its valid credentials is refused.",
        None
    ),
    RevocationUnknownToken200(
        "revocation-unknown-token-200",
        Must,
        "RFC 7009 §2.2",
        "Revoking a token that was never issued answers 200.",
        None
    ),
    RevocationPublicAndBasicClients(
        "revocation-public-and-basic-clients",
        Must,
        "RFC 7009 §2.1; RFC 6749 §2.3.1",
        "Public clients (client_id only) and Basic clients can revoke.",
        Some("D-14")
    ),
    RevocationAuthErrorCode(
        "revocation-auth-error-code",
        Must,
        "RFC 7009 §2.2.1; RFC 6749 §5.2",
        "A client-authentication failure at /revoke is invalid_client.",
        Some("D-15")
    ),
    RevocationHintIgnored(
        "revocation-hint-ignored",
        Should,
        "RFC 7009 §2.1",
        "An unknown token_type_hint does not fail the request.",
        Some("D-16")
    ),
    // D'. Introspection (live targets only: FastMCP, and so the model, has no such endpoint)
    IntrospectionRequiresAuthentication(
        "introspection-requires-authentication",
        Must,
        "RFC 7662 §2.1",
        "The introspection endpoint tells no unauthenticated caller that a token is active.",
        None
    ),
    // E. Bearer verification
    ExpiredAccessRejected(
        "expired-access-rejected",
        Must,
        "RFC 6750 §3.1; OAuth 2.1 §5.2",
        "An expired access token is never accepted.",
        None
    ),
    UnknownTokenRejected(
        "unknown-token-rejected",
        Must,
        "RFC 6750 §3.1",
        "A token that was never issued is never accepted.",
        None
    ),
    InsufficientScope403(
        "insufficient-scope-403",
        Must,
        "RFC 6750 §3.1",
        "A token without a required scope is refused with 403.",
        None
    ),
    BearerChallenge(
        "bearer-challenge",
        Must,
        "RFC 6750 §3",
        "A 401 from the resource carries a Bearer WWW-Authenticate challenge.",
        None
    ),
    // "MCP servers MUST validate that access tokens were issued specifically for them as the
    // intended audience, according to RFC 8707 Section 2." (MCP authorization 2025-11-25, Token
    // Handling). Judged only for a token every resource indication of which named other
    // resources: one requested for none may carry a default audience (RFC 8707 §2.1).
    TokenAudience(
        "token-audience",
        Must,
        "MCP authorization 2025-11-25 §Token Handling; RFC 8707 §2",
        "An access token requested only for other resources is not accepted.",
        Some("D-24")
    ),
    // RFC 8707 §2: "The authorization server SHOULD audience-restrict issued access tokens to
    // the resource(s) indicated by the "resource" parameter." A token requested for another
    // resource than its grant's, accepted by the grant's: either it was restricted as asked and
    // the resource did not check its audience (the MUST above), or it was not restricted to the
    // resource indicated (this SHOULD). §2.2 lets the server refuse the change instead.
    ResourceFixed(
        "resource-fixed",
        Should,
        "RFC 8707 §2, §2.2",
        "A token requested for another resource than its grant's is not accepted by the grant's resource.",
        Some("D-24")
    ),
    // F. Registration
    RegistrationRedirectPolicy(
        "registration-redirect-policy",
        Must,
        "RFC 6749 §3.1.2; OAuth 2.1 §2.3.1",
        "No javascript:/data:/vbscript:, fragment or non-loopback http redirect URI is registered.",
        Some("D-11")
    ),
    RegistrationNoStore(
        "registration-no-store",
        Should,
        "RFC 6749 §5.1; RFC 7591 §3.2.1",
        "A registration response carrying a secret is not cacheable.",
        Some("D-11")
    ),
    PublicClientsGetNoSecret(
        "public-clients-get-no-secret",
        Must,
        "RFC 7591 §2",
        "A client registered with method none gets no secret.",
        None
    ),
    SecretExpiryPresent(
        "secret-expiry-present",
        Must,
        "RFC 7591 §3.2.1",
        "A registration response with a secret states client_secret_expires_at.",
        None
    ),
    // The MCP authorization specification 2025-11-25, "Client ID Metadata Documents": "For
    // Authorization Servers: ... MUST validate that the fetched document's `client_id` matches
    // the URL exactly"; the draft it defers to: the `client_id` "MUST match the URL of the
    // document using simple string comparison".
    ClientDocumentIdIsUrl(
        "client-document-id-is-url",
        Must,
        "MCP authorization 2025-11-25 §Client ID Metadata Documents",
        "A code is issued to a client ID metadata document's URL only if the document's client_id is that URL.",
        None
    ),
    // G. Metadata
    IssuerIdentity(
        "issuer-identity",
        Must,
        "RFC 8414 §3.3",
        "The metadata issuer equals the issuer the well-known URL was built from.",
        Some("D-25")
    ),
    MetadataTruthfulAuthMethods(
        "metadata-truthful-auth-methods",
        Should,
        "RFC 8414 §2",
        "Client authentication methods that work are advertised.",
        Some("D-18")
    ),
    // Internal (the model's own stores; docs/fastmcp-behaviour.md §7)
    StorePairsConsistent(
        "store-pairs-consistent",
        Must,
        "docs/fastmcp-behaviour.md §7.7",
        "Access and refresh tokens are paired consistently in the stores.",
        None
    ),
}

impl fmt::Display for InvariantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`: a width in the format string (`{:<38}`) applies.
        f.pad(self.as_str())
    }
}

impl InvariantId {
    /// Its place in the alphabetical order of the ids' texts: a comparison of two ids is a
    /// comparison of two numbers (reports keep their tallies and failures in maps ordered by id).
    fn text_rank(self) -> u8 {
        static RANKS: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let ranks = RANKS.get_or_init(|| {
            let mut ranks = vec![0; Self::ALL.len()];
            for (rank, id) in Self::in_text_order().iter().enumerate() {
                ranks[*id as usize] = u8::try_from(rank).unwrap_or(u8::MAX);
            }
            ranks
        });
        ranks[self as usize]
    }

    /// Every id, in the alphabetical order of their texts.
    pub(crate) fn in_text_order() -> &'static [Self] {
        static ORDER: std::sync::OnceLock<Vec<InvariantId>> = std::sync::OnceLock::new();
        ORDER.get_or_init(|| {
            let mut by_text = Self::ALL.to_vec();
            by_text.sort_unstable_by_key(|id| id.as_str());
            by_text
        })
    }
}

impl Ord for InvariantId {
    /// As their texts compare ([`InvariantId::as_str`]).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text_rank().cmp(&other.text_rank())
    }
}

impl PartialOrd for InvariantId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for InvariantId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An id of the catalogue, read from its text (a report's, a shard's); any other text is an
/// error naming it.
impl<'de> Deserialize<'de> for InvariantId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::from_id(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "{text:?} is not an invariant of the catalogue"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_catalogue_in_order() {
        assert_eq!(InvariantId::ALL.len(), CATALOG.len());
        for (&id, inv) in InvariantId::ALL.iter().zip(CATALOG) {
            assert_eq!(id, inv.id);
            assert_eq!(id.invariant(), inv);
            assert_eq!(InvariantId::from_id(inv.id.as_str()), Some(id));
        }
        assert_eq!(InvariantId::from_id("no-such-invariant"), None);
    }

    #[test]
    fn ids_order_as_their_texts() {
        for a in InvariantId::ALL {
            for b in InvariantId::ALL {
                assert_eq!(a.cmp(b), a.as_str().cmp(b.as_str()), "{a} against {b}");
            }
        }
    }
}
