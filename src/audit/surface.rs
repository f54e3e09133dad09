//! What the provider offers to test: the endpoints its metadata named and how its protected
//! resource answered; and, per invariant, what it needs of them.

use serde::Serialize;

use crate::invariant::{Expectations, InvariantId};
use crate::output::Output;
use crate::target::{Endpoint, EndpointKind, ResourceAnswer, resource_answer};

/// How the protected resource answered the requests an audit sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResourceProbes {
    /// The resource's URL.
    pub url: String,
    /// Answers 2xx (the token accepted).
    pub accepted: u64,
    /// Answers 401, or 403 with a Bearer challenge (the token rejected).
    pub rejected: u64,
    /// Every other answer, by status: it says nothing about the token and checks nothing.
    pub unusable: std::collections::BTreeMap<u16, u64>,
}

impl ResourceProbes {
    /// Count one answer of the resource.
    pub fn observe(&mut self, o: &Output) {
        if o.status == 0 {
            // Not answered (see `target::unanswered`): the coverage's `not sent` says why.
            return;
        }
        match resource_answer(o) {
            ResourceAnswer::Accepted => self.accepted += 1,
            ResourceAnswer::Rejected => self.rejected += 1,
            ResourceAnswer::Unusable(_) => *self.unusable.entry(o.status).or_default() += 1,
        }
    }

    /// Why the resource checked nothing, if it did not: the reason its most frequent answer gives
    /// (`resource endpoint answered 404: not a protected resource`), with every answer counted.
    pub fn why_untested(&self) -> Option<String> {
        if self.accepted + self.rejected > 0 {
            return None;
        }
        let hint = "; to test tokens, pass --resource URL (a protected resource) or \
                    --introspection ID:SECRET (RFC 7662)";
        let Some((&status, _)) = self
            .unusable
            .iter()
            .max_by_key(|&(s, n)| (*n, std::cmp::Reverse(*s)))
        else {
            return Some(format!(
                "no request reached the resource {} (not sent or no answer){hint}",
                self.url
            ));
        };
        let why = match resource_answer(&Output::new(status, &[], String::new())) {
            ResourceAnswer::Unusable(why) => why,
            ResourceAnswer::Accepted | ResourceAnswer::Rejected => String::new(),
        };
        let answers: Vec<String> = self
            .unusable
            .iter()
            .map(|(status, n)| format!("{status} ×{n}"))
            .collect();
        Some(format!(
            "{why} ({}: {}; never 2xx or 401){hint}",
            self.url,
            answers.join(", ")
        ))
    }
}

/// What the audit knows of the provider's surface: where its endpoints came from, each endpoint
/// (or its absence), and how its protected resource answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Surface {
    /// Where the endpoints came from (`RFC 8414 metadata at URL`, `OpenID discovery at URL`,
    /// or `no metadata (...): FastMCP's paths assumed`).
    pub metadata: String,
    /// Whether a metadata document was found.
    pub discovered: bool,
    /// Every endpoint kind: its URL, or `None` when the metadata names none.
    pub endpoints: Vec<Endpoint>,
    /// The protected resource's answers (`None`: not known).
    pub resource: Option<ResourceProbes>,
    /// Invariants whose rule applies only to a server that says it supports something, with
    /// why this one does not (see [`Surface::conditions`]).
    #[serde(skip)]
    pub conditional: Vec<(InvariantId, String)>,
    /// Clients were registered beforehand (`audit --client`): no invariant needs the
    /// registration endpoint.
    #[serde(skip)]
    pub pre_registered: bool,
}

impl Surface {
    /// Why invariant `id` cannot be tested: an endpoint it needs is missing from the metadata.
    pub(super) fn missing_for(&self, id: InvariantId) -> Option<String> {
        let needed = needs(id).0.iter();
        needed
            .filter(|k| !(self.pre_registered && **k == EndpointKind::Registration))
            .find_map(|kind| {
                self.endpoints
                    .iter()
                    .any(|e| e.kind == *kind && e.url.is_none())
                    .then(|| {
                        format!(
                            "no {} in metadata: the steps that need it were not sent",
                            kind.field()
                        )
                    })
            })
    }

    /// The rules a server's metadata decides (`exp` as [`Expectations::with_metadata`] read
    /// it), and why each does not apply to this one: RFC 9207's `iss` binds a server that
    /// advertises it; PKCE's absent-method rule binds one that does not support `plain`.
    /// With `pre_registered` clients (`audit --client`) no registration was sent, so the
    /// registration invariants are not tested either; without `documents` the target fetches
    /// (`audit --client-document`) no client ID metadata document was used.
    pub fn conditions(
        exp: &Expectations,
        pre_registered: bool,
        documents: bool,
    ) -> Vec<(InvariantId, String)> {
        let mut out = Vec::new();
        if pre_registered {
            for id in [
                InvariantId::RegistrationRedirectPolicy,
                InvariantId::RegistrationNoStore,
                InvariantId::PublicClientsGetNoSecret,
                InvariantId::SecretExpiryPresent,
            ] {
                out.push((
                    id,
                    "no registration sent: pre-registered clients (--client)".to_owned(),
                ));
            }
        }
        if !exp.iss_parameter_supported {
            out.push((
                InvariantId::IssInAuthorizationResponse,
                "only a sent iss is checked: the metadata does not advertise \
                 authorization_response_iss_parameter_supported (RFC 9207 §3: omitted means false)"
                    .to_owned(),
            ));
        }
        if !documents {
            out.push((
                InvariantId::ClientDocumentIdIsUrl,
                "a live server fetches its own client ID metadata documents: none was named \
                 (--client-document URL=FILE)"
                    .to_owned(),
            ));
        }
        if exp.resource.is_none() {
            for id in [InvariantId::TokenAudience, InvariantId::ResourceFixed] {
                out.push((
                    id,
                    "tokens are shown to an introspection endpoint, not to a protected resource \
                     whose audience they name (RFC 8707 §2)"
                        .to_owned(),
                ));
            }
        }
        if exp.pkce_plain_supported != Some(false) {
            out.push((
                InvariantId::PkceAbsentMethodIsPlain,
                "the server may support plain: code_challenge_methods_supported names it or is \
                 missing (RFC 7636 §4.4.1 binds a server without plain)"
                    .to_owned(),
            ));
        }
        out
    }

    /// Why an invariant with no check ran was not tested.
    pub(super) fn why_untested(&self, id: InvariantId) -> String {
        let (_, resource) = needs(id);
        if let Some((_, why)) = self.conditional.iter().find(|(c, _)| *c == id) {
            return why.clone();
        }
        if let Some(why) = self.missing_for(id) {
            return why;
        }
        if id == InvariantId::IssuerIdentity && !self.endpoints.is_empty() && !self.discovered {
            return "no authorization-server metadata to check".to_owned();
        }
        if resource
            && let Some(why) = self
                .resource
                .as_ref()
                .and_then(ResourceProbes::why_untested)
        {
            return why;
        }
        "no check ran: no flow reached a step that checks it".to_owned()
    }
}

/// What the checks of invariant `id` need: the endpoints (all of them) and whether answers of the
/// protected resource.
fn needs(id: InvariantId) -> (&'static [EndpointKind], bool) {
    use EndpointKind::{Authorization, Introspection, Registration, Revocation, Token};
    use InvariantId::*;
    match id {
        RegistrationRedirectPolicy
        | RegistrationNoStore
        | PublicClientsGetNoSecret
        | SecretExpiryPresent => (&[Registration], false),
        ClientDocumentIdIsUrl => (&[Authorization], false),
        IssuerIdentity => (&[], false),
        RedirectExactMatch
        | LoopbackAnyPort
        | NoRedirectToUnvalidatedUri
        | PkceRequired
        | PkcePlainRefused
        | PkceAbsentMethodIsPlain
        | PkceChallengeSyntax
        | StateEchoed
        | IssInAuthorizationResponse => (&[Registration, Authorization], false),
        RevokedStaysDead
        | RevocationCascades
        | RevocationOwnerOnly
        | RevocationClientAuthenticated
        | RevocationUnknownToken200
        | RevocationPublicAndBasicClients
        | RevocationAuthErrorCode
        | RevocationHintIgnored => (&[Registration, Revocation], false),
        IntrospectionRequiresAuthentication => {
            (&[Registration, Authorization, Token, Introspection], false)
        }
        UnknownTokenRejected | BearerChallenge => (&[], true),
        ExpiredAccessRejected | InsufficientScope403 | TokenAudience | ResourceFixed => {
            (&[Registration, Authorization, Token], true)
        }
        RepeatedParametersRefused
        | CodeSingleUse
        | CodeReplayRevokesTokens
        | CodeClientBinding
        | CodeExpires
        | PkceVerified
        | PkceVerifierSyntax
        | RedirectUriBoundToCode
        | ClientAuthentication
        | TokenResponseNoStore
        | TokenErrorStatus
        | InvalidClientChallenge
        | UnsupportedGrantTypeError
        | RedirectMismatchIsInvalidGrant
        | IssuedValuesUnique
        | IssuedValuesEntropy
        | RefreshClientBinding
        | RefreshScopeNoWidening
        | RefreshRotatedDead
        | RefreshReuseRevokesFamily
        | RefreshExpires
        | ExpiredRefreshDead
        | ExpiredAccessKeepsRefresh
        | MetadataTruthfulAuthMethods
        | StorePairsConsistent => (&[Registration, Authorization, Token], false),
    }
}
