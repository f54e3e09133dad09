//! How a live run learns whether the provider accepts a token: the `Resource` event's bearer
//! token is shown to a protected resource (the MCP endpoint below the target, or `--resource URL`
//! on any origin: 2xx accepted, 401 rejected, see [`super::resource_answer`]), or to the
//! provider's introspection endpoint (`--introspection ID:SECRET`,
//! [RFC 7662 §2.1](https://www.rfc-editor.org/rfc/rfc7662#section-2.1), the caller authenticated
//! with `client_secret_basic`): `"active": true` is an acceptance, `false` a rejection
//! ([RFC 7662 §2.2](https://www.rfc-editor.org/rfc/rfc7662#section-2.2): "active" is REQUIRED),
//! anything else says nothing about the token and is left unanswered with the raw answer shown.

use base64::Engine as _;

use super::NOTE_HEADER;
use crate::diff::abbreviate;
use crate::http::{HttpRequest, RequestBody};
use crate::output::Output;

/// Where the `Resource` event's token is shown.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ResourceProbe {
    /// The MCP endpoint below the target (`--mcp-path`).
    #[default]
    Mcp,
    /// `--resource URL`: any protected resource, on any origin.
    Url(String),
    /// `--introspection ID:SECRET`: the provider's introspection endpoint, with these
    /// resource-server credentials.
    Introspection {
        /// The caller's client id.
        id: String,
        /// The caller's secret (never shown by `Debug`).
        secret: String,
    },
}

impl std::fmt::Debug for ResourceProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Mcp => f.write_str("Mcp"),
            Self::Url(u) => f.debug_tuple("Url").field(u).finish(),
            Self::Introspection { id, .. } => f
                .debug_struct("Introspection")
                .field("id", id)
                .field("secret", &"<redacted>")
                .finish(),
        }
    }
}

/// Parse `--introspection ID:SECRET` (the id has no `:`; the secret may).
pub fn parse_introspection(s: &str) -> Result<ResourceProbe, String> {
    match s.split_once(':') {
        Some((id, secret)) if !id.is_empty() && !secret.is_empty() => {
            Ok(ResourceProbe::Introspection {
                id: id.to_owned(),
                secret: secret.to_owned(),
            })
        }
        _ => Err("expected ID:SECRET (the resource server's client id and secret)".to_owned()),
    }
}

/// The bearer token of a `Resource` event's `Authorization` headers (the first `Bearer` one).
pub(crate) fn bearer(authorization: &[String]) -> Option<&str> {
    authorization.iter().find_map(|a| {
        let (scheme, token) = a.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim())
            .filter(|t| !t.is_empty())
    })
}

/// The RFC 7662 introspection request for `token` to `endpoint`, authenticated as `id`/`secret`
/// with HTTP Basic ([RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1):
/// both form-urlencoded first).
pub(crate) fn introspection_request(
    endpoint: &str,
    id: &str,
    secret: &str,
    token: &str,
) -> HttpRequest {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token)
        .append_pair("token_type_hint", "access_token")
        .finish();
    HttpRequest {
        method: "POST".to_owned(),
        target: endpoint.to_owned(),
        headers: vec![
            (
                "content-type".to_owned(),
                b"application/x-www-form-urlencoded".to_vec(),
            ),
            ("accept".to_owned(), b"application/json".to_vec()),
            (
                "authorization".to_owned(),
                format!("Basic {basic}").into_bytes(),
            ),
        ],
        body: RequestBody::Bytes(body.into_bytes()),
    }
}

/// The introspection endpoint's answer as a resource's: `active: true` → 200, `active: false` →
/// 401 with a `Bearer` challenge, each with the raw answer as its body and a note; anything else
/// → unanswered (status 0) with the raw answer in the note.
pub(crate) fn introspection_output(answer: &Output) -> Output {
    let active = (answer.status == 200)
        .then(|| serde_json::from_str::<serde_json::Value>(&answer.body).ok())
        .flatten()
        .and_then(|v| v.get("active").and_then(serde_json::Value::as_bool));
    match active {
        Some(true) => Output::new(
            200,
            &[("content-type", "application/json")],
            answer.body.clone(),
        )
        .with_header(NOTE_HEADER, "introspection: active true"),
        Some(false) => Output::new(
            401,
            &[
                ("content-type", "application/json"),
                ("www-authenticate", "Bearer error=\"invalid_token\""),
            ],
            answer.body.clone(),
        )
        .with_header(NOTE_HEADER, "introspection: active false"),
        None => Output::new(0, &[], String::new()).with_header(
            NOTE_HEADER,
            format!(
                "no answer: introspection answered {} {}: neither \"active\": true nor false",
                answer.status,
                abbreviate(&answer.body)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{ResourceAnswer, resource_answer, unanswered};

    #[test]
    fn active_maps_to_accepted_and_rejected_and_anything_else_to_no_answer() {
        let ans = |status, body: &str| Output::new(status, &[], body.to_owned());
        let yes = introspection_output(&ans(200, r#"{"active":true,"client_id":"c"}"#));
        assert_eq!(resource_answer(&yes), ResourceAnswer::Accepted);
        assert!(yes.body.contains("client_id"), "the raw answer is kept");
        let no = introspection_output(&ans(200, r#"{"active":false}"#));
        assert_eq!(resource_answer(&no), ResourceAnswer::Rejected);
        for (status, body) in [
            (401, r#"{"error":"invalid_client"}"#),
            (200, r#"{"active":"yes"}"#),
            (200, "not json"),
            (500, ""),
        ] {
            let o = introspection_output(&ans(status, body));
            let why = unanswered(&o).unwrap_or_default();
            assert!(
                why.contains(&format!("introspection answered {status}")),
                "{why}"
            );
            assert!(why.contains(body), "{why}");
        }
    }

    #[test]
    fn the_request_is_basic_authenticated_and_the_secret_not_in_debug() {
        let r = introspection_request("http://as/introspect", "rs", "s:e cret", "tok");
        assert_eq!(r.method, "POST");
        let auth = r
            .header("authorization")
            .map(|a| String::from_utf8_lossy(a).into_owned());
        // base64("rs:s%3Ae+cret")
        assert_eq!(auth.as_deref(), Some("Basic cnM6cyUzQWUrY3JldA=="));
        let p = parse_introspection("rs:s:e").unwrap_or_default();
        assert!(!format!("{p:?}").contains("s:e"));
        assert!(parse_introspection("nosecret").is_err());
        assert_eq!(
            bearer(&["Basic x".to_owned(), "bearer  t1".to_owned()]),
            Some("t1")
        );
        assert_eq!(bearer(&["Bearer ".to_owned()]), None);
    }
}
