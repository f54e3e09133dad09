//! Resource indicators ([RFC 8707](https://www.rfc-editor.org/rfc/rfc8707)): what a token was
//! requested for, and the rules that judge where it is accepted (`token-audience`,
//! `resource-fixed`).

use std::sync::Arc;

use super::InvariantId;
use super::ledger::Checker;
use crate::event::Params;

/// The `resource` values a token was requested for: its grant's, named at `/authorize`
/// ([RFC 8707 §2.1](https://www.rfc-editor.org/rfc/rfc8707#section-2.1)), and those of the
/// token request that issued it (§2.2). A refresh token is "bound to the full original grant"
/// (§2.2): the refresh it serves starts from the grant's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Audience {
    pub(super) grant: Arc<[String]>,
    pub(super) request: Vec<String>,
}

/// What an access token's resource indicators say of a protected resource (`own`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AudienceVerdict {
    /// No `resource` was named: the server may use a default (RFC 8707 §2.1); nothing to judge.
    Unnamed,
    /// The token was requested for `own` (or a resource `own` lies under).
    Own,
    /// Requested only for other resources, from a grant that never named `own`.
    Foreign,
    /// Requested only for other resources by its token request, from a grant that named `own`:
    /// the resource changed on the way.
    Changed,
}

impl Audience {
    /// The verdict for a protected resource at `own`.
    pub(super) fn verdict(&self, own: &url::Url) -> AudienceVerdict {
        let requested: &[String] = if self.request.is_empty() {
            &self.grant
        } else {
            &self.request
        };
        if requested.is_empty() {
            AudienceVerdict::Unnamed
        } else if requested.iter().any(|r| covers(r, own)) {
            AudienceVerdict::Own
        } else if self.grant.iter().any(|r| covers(r, own)) {
            AudienceVerdict::Changed
        } else {
            AudienceVerdict::Foreign
        }
    }
}

/// Whether a token requested for `resource` may be used at `own`: same scheme, host and port
/// (as a URL parser normalises them: case, default port), and `own`'s path is `resource`'s or
/// lies under it. RFC 8707 §2: the client "SHOULD use the base URI of the API as the resource
/// parameter value", and the server "may use the exact "resource" value as the audience or it
/// may map from that value to a more general URI": a query or fragment does not make `resource`
/// another one here. A `resource` that is no absolute URL covers nothing.
fn covers(resource: &str, o: &url::Url) -> bool {
    let Ok(r) = url::Url::parse(resource) else {
        return false;
    };
    if r.scheme() != o.scheme()
        || r.host_str() != o.host_str()
        || r.port_or_known_default() != o.port_or_known_default()
    {
        return false;
    }
    let (rp, op) = (r.path(), o.path());
    rp == op
        || rp.ends_with('/') && op.starts_with(rp)
        || op
            .strip_prefix(rp)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The `resource` values of a request ([RFC 8707 §2](https://www.rfc-editor.org/rfc/rfc8707#section-2)), in order.
pub(super) fn resources(params: &Params) -> Vec<String> {
    params
        .0
        .iter()
        .filter(|(k, _)| k == "resource")
        .map(|(_, v)| v.clone())
        .collect()
}

impl Checker {
    /// A request for tokens of `audience` refused as `invalid_target` (RFC 8707 §2): a negative
    /// probe of the rule that would have judged the tokens at the protected resource.
    pub(super) fn resource_refused(&mut self, audience: &Audience) {
        let Some(own) = &self.own_resource else {
            return;
        };
        match audience.verdict(own) {
            AudienceVerdict::Foreign => self.check(InvariantId::TokenAudience, true, String::new),
            AudienceVerdict::Changed => self.check(InvariantId::ResourceFixed, true, String::new),
            AudienceVerdict::Own | AudienceVerdict::Unnamed => {}
        }
    }

    /// `token-audience` and `resource-fixed` for a token carrying `audience`, shown alone to the
    /// protected resource at `own` and `accepted` or not.
    pub(super) fn audience_rules(&mut self, audience: &Audience, own: &url::Url, accepted: bool) {
        let requested = || {
            let r = if audience.request.is_empty() {
                &audience.grant[..]
            } else {
                &audience.request[..]
            };
            format!("{r:?}")
        };
        match audience.verdict(own) {
            AudienceVerdict::Unnamed => {}
            AudienceVerdict::Own => {
                if accepted {
                    self.check(InvariantId::TokenAudience, true, String::new);
                }
            }
            AudienceVerdict::Foreign => self.check(InvariantId::TokenAudience, !accepted, || {
                format!(
                    "{own} accepted an access token requested for {}",
                    requested()
                )
            }),
            AudienceVerdict::Changed => self.check(InvariantId::ResourceFixed, !accepted, || {
                format!(
                    "{own} accepted an access token requested for {} from a grant for {:?}",
                    requested(),
                    audience.grant
                )
            }),
        }
    }
}
