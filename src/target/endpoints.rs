//! A live server's endpoints, as its metadata names them: RFC 8414
//! (`/.well-known/oauth-authorization-server`) first, then OpenID discovery
//! (`/.well-known/openid-configuration`); FastMCP's paths only where there is no metadata at all.

use serde::Serialize;
use serde_json::Value;
use url::Url;

use super::TargetError;
use crate::event::Event;
use crate::http::Routes;

/// The endpoints a metadata document names that oauth-oracle knows of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum EndpointKind {
    /// `registration_endpoint` (RFC 7591).
    #[serde(rename = "registration_endpoint")]
    Registration,
    /// `authorization_endpoint`.
    #[serde(rename = "authorization_endpoint")]
    Authorization,
    /// `token_endpoint`.
    #[serde(rename = "token_endpoint")]
    Token,
    /// `revocation_endpoint` (RFC 7009).
    #[serde(rename = "revocation_endpoint")]
    Revocation,
    /// `introspection_endpoint` (RFC 7662): with `--introspection`, `Resource` events' tokens
    /// are shown to it; otherwise only discovered and reported.
    #[serde(rename = "introspection_endpoint")]
    Introspection,
}

impl EndpointKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 5] = [
        Self::Registration,
        Self::Authorization,
        Self::Token,
        Self::Revocation,
        Self::Introspection,
    ];

    /// The metadata field that names it.
    pub fn field(self) -> &'static str {
        match self {
            Self::Registration => "registration_endpoint",
            Self::Authorization => "authorization_endpoint",
            Self::Token => "token_endpoint",
            Self::Revocation => "revocation_endpoint",
            Self::Introspection => "introspection_endpoint",
        }
    }

    /// What a report says of this endpoint when the metadata does not name it.
    pub fn when_missing(self) -> &'static str {
        match self {
            Self::Introspection => {
                "not named: no introspection step was sent (nor --introspection)"
            }
            Self::Registration | Self::Authorization | Self::Token | Self::Revocation => {
                "missing: the steps that need it were not sent"
            }
        }
    }

    /// The endpoint an event is sent to, if it is one a metadata document names.
    pub fn of(event: &Event) -> Option<Self> {
        match event {
            Event::Register(_) => Some(Self::Registration),
            Event::Authorize(_) => Some(Self::Authorization),
            Event::Token(_) => Some(Self::Token),
            Event::Revoke(_) => Some(Self::Revocation),
            Event::Introspect(_) => Some(Self::Introspection),
            Event::AuthorizationServerMetadata
            | Event::ProtectedResourceMetadata
            | Event::Resource(_)
            | Event::Unrouted(_)
            | Event::Control(_)
            | Event::ClientDocument(_) => None,
        }
    }
}

/// One endpoint: its URL, or `None` when the metadata names none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Which.
    pub kind: EndpointKind,
    /// The absolute URL requests are sent to.
    pub url: Option<String>,
}

/// Where a provider's endpoints came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum MetadataSource {
    /// RFC 8414 authorization-server metadata at `url`.
    Rfc8414 {
        /// The metadata URL.
        url: String,
    },
    /// OpenID Connect discovery at `url` (the RFC 8414 document was absent or not JSON).
    OpenidConfiguration {
        /// The metadata URL.
        url: String,
        /// What the RFC 8414 URL answered.
        rfc8414: String,
    },
    /// No metadata: FastMCP's paths are assumed.
    None {
        /// What the two metadata URLs answered.
        why: String,
    },
}

/// A provider's endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoints {
    /// Where they came from.
    pub source: MetadataSource,
    /// One entry per [`EndpointKind::ALL`], in that order.
    pub endpoints: Vec<Endpoint>,
}

impl Endpoints {
    /// FastMCP's endpoints below `base` (no metadata was found: `why` says what was asked).
    pub fn fastmcp(base: &str, why: String) -> Self {
        let routes = Routes::fastmcp(base, "/mcp");
        let url = |kind: EndpointKind| match kind {
            EndpointKind::Registration => Some(routes.register.clone()),
            EndpointKind::Authorization => Some(routes.authorize.clone()),
            EndpointKind::Token => Some(routes.token.clone()),
            EndpointKind::Revocation => Some(routes.revoke.clone()),
            EndpointKind::Introspection => None,
        };
        Self {
            source: MetadataSource::None { why },
            endpoints: EndpointKind::ALL
                .iter()
                .map(|&kind| Endpoint {
                    kind,
                    url: url(kind),
                })
                .collect(),
        }
    }

    /// The endpoints `metadata` (fetched from `source`) names for the target at `base`. Every
    /// named endpoint must be an absolute `http://` URL on the target's host (any path or port):
    /// otherwise an error names the field and the URL.
    pub fn from_metadata(
        base: &str,
        source: MetadataSource,
        metadata: &Value,
    ) -> Result<Self, TargetError> {
        let metadata_url = match &source {
            MetadataSource::Rfc8414 { url } | MetadataSource::OpenidConfiguration { url, .. } => {
                url.clone()
            }
            MetadataSource::None { .. } => base.to_owned(),
        };
        let fail = |message: String| TargetError::Discovery {
            url: metadata_url.clone(),
            message,
        };
        let host = Url::parse(base)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let mut endpoints = Vec::new();
        for kind in EndpointKind::ALL {
            let field = kind.field();
            let url = match metadata.get(field) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(checked_endpoint(field, s, &host).map_err(&fail)?),
                Some(other) => {
                    return Err(fail(format!(
                        "{field} is {}, not a URL string",
                        json_kind(other)
                    )));
                }
            };
            endpoints.push(Endpoint { kind, url });
        }
        Ok(Self { source, endpoints })
    }

    /// The URL of `kind`, if known.
    pub fn url(&self, kind: EndpointKind) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|e| e.kind == kind)
            .and_then(|e| e.url.as_deref())
    }

    /// Why requests to `kind` are not sent (`no revocation_endpoint in metadata`), if they are not.
    pub fn missing(&self, kind: EndpointKind) -> Option<String> {
        self.url(kind)
            .is_none()
            .then(|| format!("no {} in metadata", kind.field()))
    }

    /// Whether the endpoints came from a metadata document (not FastMCP's assumed paths).
    pub fn discovered(&self) -> bool {
        !matches!(self.source, MetadataSource::None { .. })
    }

    /// One line for a report: where the endpoints came from.
    pub fn describe_source(&self) -> String {
        match &self.source {
            MetadataSource::Rfc8414 { url } => format!("RFC 8414 metadata at {url}"),
            MetadataSource::OpenidConfiguration { url, rfc8414 } => {
                format!("OpenID discovery at {url} (RFC 8414 metadata: {rfc8414})")
            }
            MetadataSource::None { why } => {
                format!("no metadata ({why}): FastMCP's paths assumed")
            }
        }
    }

    /// The metadata URL the endpoints came from, if any.
    pub fn metadata_url(&self) -> Option<&str> {
        match &self.source {
            MetadataSource::Rfc8414 { url } | MetadataSource::OpenidConfiguration { url, .. } => {
                Some(url)
            }
            MetadataSource::None { .. } => None,
        }
    }

    /// `routes` with every known endpoint in place of FastMCP's path (a missing endpoint keeps
    /// FastMCP's, never used: such requests are not sent).
    pub fn apply(&self, routes: &mut Routes) {
        if let Some(u) = self.metadata_url() {
            routes.metadata = u.to_owned();
        }
        let slots = [
            (EndpointKind::Registration, &mut routes.register),
            (EndpointKind::Authorization, &mut routes.authorize),
            (EndpointKind::Token, &mut routes.token),
            (EndpointKind::Revocation, &mut routes.revoke),
            (EndpointKind::Introspection, &mut routes.introspect),
        ];
        for (kind, slot) in slots {
            if let Some(u) = self.url(kind) {
                u.clone_into(slot);
            }
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `value` of metadata field `field` as an endpoint URL on `host`, or why it cannot be one.
fn checked_endpoint(field: &str, value: &str, host: &str) -> Result<String, String> {
    let url =
        Url::parse(value).map_err(|e| format!("{field} {value:?} is not an absolute URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(format!(
                "{field} {value:?} uses scheme {other}, which is not supported: use http:// or \
                 https://"
            ));
        }
    }
    let named = url.host_str().unwrap_or_default();
    if !named.eq_ignore_ascii_case(host) {
        return Err(format!(
            "{field} {value:?} is on host {named:?}, not the target's host {host:?}: requests \
             are only sent to the target's host (pass --target with the host the metadata names)"
        ));
    }
    if url.fragment().is_some() {
        return Err(format!(
            "{field} {value:?} has a fragment, which an endpoint cannot have"
        ));
    }
    Ok(url.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn source() -> MetadataSource {
        MetadataSource::Rfc8414 {
            url: "http://h:1/.well-known/oauth-authorization-server".into(),
        }
    }

    #[test]
    fn named_endpoints_are_used_and_absent_ones_are_missing() {
        let m = serde_json::json!({
            "issuer": "http://h:1",
            "registration_endpoint": "http://h:1/reg",
            "token_endpoint": "http://h:2/oauth/token",
        });
        let e = Endpoints::from_metadata("http://h:1", source(), &m).unwrap();
        assert_eq!(e.url(EndpointKind::Registration), Some("http://h:1/reg"));
        assert_eq!(e.url(EndpointKind::Token), Some("http://h:2/oauth/token"));
        assert_eq!(
            e.missing(EndpointKind::Revocation).as_deref(),
            Some("no revocation_endpoint in metadata")
        );
        assert!(e.missing(EndpointKind::Registration).is_none());
    }

    #[test]
    fn unusable_endpoints_are_errors_naming_field_and_url() {
        for (value, says) in [
            (serde_json::json!("ftp://h:1/token"), "uses scheme ftp"),
            (
                serde_json::json!("http://evil.example/token"),
                "not the target's host",
            ),
            (serde_json::json!("/token"), "not an absolute URL"),
            (serde_json::json!(7), "is a number"),
        ] {
            let m = serde_json::json!({ "issuer": "http://h:1", "token_endpoint": value });
            let err = Endpoints::from_metadata("http://h:1", source(), &m)
                .unwrap_err()
                .to_string();
            assert!(err.contains("token_endpoint"), "{err}");
            assert!(err.contains(says), "{err}");
            assert!(
                err.contains("/.well-known/oauth-authorization-server"),
                "{err}"
            );
        }
    }
}
