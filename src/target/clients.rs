//! Pre-registered clients (`audit --client ID[:SECRET[:METHOD]]`), for servers without open
//! dynamic client registration: a generated registration meant to yield a usable client is not
//! sent but answered with the next of these clients, as the server would have answered it (RFC
//! 7591 §3.2.1 fields); any other registration is not sent.

use serde_json::json;

use super::{NOTE_HEADER, PRE_REGISTERED_NOTE};
use crate::event::Event;
use crate::output::Output;
use crate::secret::Redacted;

/// The redirect URIs a pre-registered client must have registered: the generator's own.
pub const PRE_REGISTERED_REDIRECTS: [&str; 2] =
    ["http://localhost:9999/cb", "http://127.0.0.1:9999/cb"];

/// One client registered with the server beforehand. `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PreClient {
    /// Its `client_id`.
    pub id: String,
    /// Its `client_secret` (`None`: a public client).
    pub secret: Option<String>,
    /// Its `token_endpoint_auth_method` (`none`, `client_secret_basic`, `client_secret_post`).
    pub method: String,
}

impl std::fmt::Debug for PreClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { id, secret, method } = self;
        f.debug_struct("PreClient")
            .field("id", id)
            .field("secret", &secret.as_deref().map(Redacted))
            .field("method", method)
            .finish()
    }
}

/// Parse `ID[:SECRET[:METHOD]]`: without a secret the client is public (`none`); with one its
/// method defaults to `client_secret_basic` (RFC 6749 §2.3.1: servers MUST support it).
pub fn parse_client(s: &str) -> Result<PreClient, String> {
    let mut parts = s.splitn(3, ':');
    let id = parts.next().unwrap_or_default();
    if id.is_empty() {
        // The value is not echoed: it may hold a secret.
        return Err("expected ID[:SECRET[:METHOD]] with a non-empty ID".to_owned());
    }
    let secret = parts.next().filter(|x| !x.is_empty()).map(str::to_owned);
    let method = match (parts.next(), &secret) {
        (Some(m), _) => m.to_owned(),
        (None, Some(_)) => "client_secret_basic".to_owned(),
        (None, None) => "none".to_owned(),
    };
    match (method.as_str(), &secret) {
        ("none", None) | ("client_secret_basic" | "client_secret_post", Some(_)) => Ok(PreClient {
            id: id.to_owned(),
            secret,
            method,
        }),
        ("none", Some(_)) => Err(format!("client {id:?}: method none takes no secret")),
        ("client_secret_basic" | "client_secret_post", None) => {
            Err(format!("client {id:?}: method {method} needs a secret"))
        }
        _ => Err(format!(
            "client {id:?}: unknown method {method:?} (none, client_secret_basic, client_secret_post)"
        )),
    }
}

/// Whether a generated registration is one meant to yield a usable client (one of the
/// generator's redirect URIs, an auth method named): those get a pre-registered client; the
/// others (wrong moves probing registration policy) are not sent.
pub(super) fn usable_registration(event: &Event) -> bool {
    let Event::Register(r) = event else {
        return false;
    };
    let Ok(body) = serde_json::from_str::<serde_json::Value>(&r.body) else {
        return false;
    };
    let redirects_ok = body
        .get("redirect_uris")
        .and_then(|u| u.as_array())
        .is_some_and(|u| u.len() == 1 && PRE_REGISTERED_REDIRECTS.iter().any(|r| u[0] == *r));
    redirects_ok && body.get("token_endpoint_auth_method").is_some()
}

/// The `token_endpoint_auth_method` a registration asks for.
pub(super) fn requested_method(event: &Event) -> Option<String> {
    let Event::Register(r) = event else {
        return None;
    };
    let body = serde_json::from_str::<serde_json::Value>(&r.body).ok()?;
    Some(body.get("token_endpoint_auth_method")?.as_str()?.to_owned())
}

/// The answer the server would have given to `event` (a usable registration) had it registered
/// `client`: 201 with its id, secret, method, the requested redirect URI, both grant types and
/// the requested scope, marked with [`PRE_REGISTERED_NOTE`].
pub(super) fn answer_with(client: &PreClient, event: &Event) -> Output {
    let requested = if let Event::Register(r) = event {
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap_or_default()
    } else {
        serde_json::Value::Null
    };
    let mut body = json!({
        "client_id": client.id,
        "token_endpoint_auth_method": client.method,
        "redirect_uris": requested.get("redirect_uris").cloned().unwrap_or_else(|| json!([PRE_REGISTERED_REDIRECTS[0]])),
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    });
    if let Some(secret) = &client.secret {
        body["client_secret"] = json!(secret);
        body["client_secret_expires_at"] = json!(0);
    }
    if let Some(scope) = requested.get("scope") {
        body["scope"] = scope.clone();
    }
    Output {
        status: 201,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (NOTE_HEADER.into(), PRE_REGISTERED_NOTE.into()),
        ],
        body: body.to_string(),
        reason: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_parsed_with_its_method_defaulted_and_bad_ones_named() {
        let c = parse_client("abc").unwrap();
        assert_eq!((c.secret, c.method.as_str()), (None, "none"));
        let c = parse_client("abc:s3cret").unwrap();
        assert_eq!(c.method, "client_secret_basic");
        let c = parse_client("abc:s3cret:client_secret_post").unwrap();
        assert_eq!(c.method, "client_secret_post");
        assert!(parse_client("").unwrap_err().contains("non-empty ID"));
        assert!(!parse_client(":s3cret").unwrap_err().contains("s3cret"));
        assert!(
            parse_client("abc::client_secret_post")
                .unwrap_err()
                .contains("needs a secret")
        );
        assert!(
            parse_client("abc:s:none")
                .unwrap_err()
                .contains("takes no secret")
        );
        assert!(
            parse_client("abc:s:private_key_jwt")
                .unwrap_err()
                .contains("unknown method")
        );
        assert!(!format!("{:?}", parse_client("abc:s3cret").unwrap()).contains("s3cret"));
    }
}
