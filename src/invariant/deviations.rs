//! The invariants each built-in server profile breaks on purpose, because the server it
//! reproduces does: FastMCP's are in the catalogue ([`super::Invariant::fastmcp_deviation`]),
//! Cloudflare's here, each with the behaviour that breaks it (`docs/cloudflare-behaviour.md` §7,
//! where each was observed on the running library).

use super::{CATALOG, InvariantId};

/// What Cloudflare's `@cloudflare/workers-oauth-provider` 1.2.3 does that breaks each of these
/// invariants, as the `cloudflare` profile reproduces it.
pub const CLOUDFLARE_DEVIATIONS: &[(InvariantId, &str)] = &[
    (
        InvariantId::RedirectExactMatch,
        "loopback redirect URIs are compared as parsed URLs: a case variant of the scheme or host gets a code",
    ),
    (
        InvariantId::RepeatedParametersRefused,
        "/authorize takes the first value of a repeated parameter",
    ),
    (
        InvariantId::PkceChallengeSyntax,
        "the code_challenge's syntax is not checked",
    ),
    (
        InvariantId::PkceVerifierSyntax,
        "the code_verifier's syntax is not checked",
    ),
    (
        InvariantId::RedirectUriBoundToCode,
        "with PKCE, redirect_uri may be left out at /token even when /authorize named it",
    ),
    (
        InvariantId::RefreshRotatedDead,
        "a refresh leaves the presented refresh token usable until the new one is used (a grace of one)",
    ),
    (
        InvariantId::RefreshReuseRevokesFamily,
        "a refresh token two rotations old is refused and its grant lives on",
    ),
];

/// The invariants the built-in profile `name` is documented to break (`fastmcp`: its D-n;
/// `cloudflare`: [`CLOUDFLARE_DEVIATIONS`]; `oauth21`: none); `None` for any other name.
pub fn documented_deviations(name: &str) -> Option<Vec<InvariantId>> {
    match name {
        "fastmcp" => Some(
            CATALOG
                .iter()
                .filter(|i| i.fastmcp_deviation.is_some())
                .map(|i| i.id)
                .collect(),
        ),
        "cloudflare" => Some(CLOUDFLARE_DEVIATIONS.iter().map(|(id, _)| *id).collect()),
        "oauth21" => Some(Vec::new()),
        _ => None,
    }
}
