//! The event as it may be logged: secrets replaced by labels.
//!
//! The trace keeps events literally (it must replay), but a log line is read by whoever reads
//! stderr: on a model panic `serve` logs the event with every credential replaced by a label
//! (`<client_secret>`, `<authorization>`, ...), keeping what helps to reproduce the bug (the
//! endpoint, which parameters were sent, the rest of their values).

use crate::event::{Event, Params, RegisterRequest};
use crate::secret::is_secret_param;

fn label(name: &str) -> String {
    format!("<{name}>")
}

fn params(p: &Params) -> Params {
    Params(
        p.0.iter()
            .map(|(k, v)| {
                let v = if is_secret_param(k) {
                    label(k)
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect(),
    )
}

/// A raw query string with the values of secret parameters replaced.
fn query(q: &str) -> String {
    q.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_param(k) => format!("{k}={}", label(k)),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A JSON body with the values of secret members replaced, at any depth; a body that is not
/// JSON is replaced whole (it may hold anything).
fn json_body(body: &str) -> String {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    if is_secret_param(k) {
                        *v = serde_json::Value::String(label(k));
                    } else {
                        walk(v);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
            serde_json::Value::Null
            | serde_json::Value::Bool(_)
            | serde_json::Value::Number(_)
            | serde_json::Value::String(_) => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut v) => {
            walk(&mut v);
            v.to_string()
        }
        Err(_) => format!("<body that is not JSON, {} bytes>", body.len()),
    }
}

/// `event` with its credentials replaced by labels.
pub(crate) fn redacted(event: &Event) -> Event {
    let auth = || label("authorization");
    let mut e = event.clone();
    match &mut e {
        Event::AuthorizationServerMetadata | Event::ProtectedResourceMetadata => {}
        Event::Register(RegisterRequest { body }) => *body = json_body(body),
        Event::Authorize(a) => a.params = params(&a.params),
        Event::Token(t) => {
            t.form = params(&t.form);
            t.authorization = t.authorization.as_ref().map(|_| auth());
        }
        Event::Revoke(r) => {
            r.form = params(&r.form);
            r.authorization = r.authorization.as_ref().map(|_| auth());
        }
        Event::Introspect(r) => {
            r.form = params(&r.form);
            r.authorization = r.authorization.as_ref().map(|_| auth());
        }
        Event::Resource(r) => r.authorization.iter_mut().for_each(|a| *a = auth()),
        Event::Control(crate::control::Control::Expire(s) | crate::control::Control::Revoke(s)) => {
            s.token = s.token.as_ref().map(|_| label("token"));
        }
        Event::Control(_) | Event::ClientDocument(_) => {}
        Event::Unrouted(u) => {
            u.query = query(&u.query);
            u.headers = Params(
                u.headers
                    .0
                    .iter()
                    .map(|(k, v)| {
                        let secret = k.eq_ignore_ascii_case("authorization")
                            || k.eq_ignore_ascii_case("cookie");
                        (k.clone(), if secret { label(k) } else { v.clone() })
                    })
                    .collect(),
            );
        }
    }
    e
}

/// The line `serve` logs when the model panics on `event`.
pub(crate) fn panic_message(event: &Event) -> String {
    format!(
        "oauth-oracle serve: the model panicked on {:?}: this is a bug",
        redacted(event)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{
        AuthorizeMethod, AuthorizeRequest, IntrospectRequest, ResourceRequest, RevokeRequest,
        TokenRequest, UnroutedRequest,
    };

    const SECRETS: &[&str] = &["s3cr3t-SECRET", "c0de-CODE", "v3rifier-VER", "t0ken-TOK"];

    fn leaks(text: &str) -> Vec<&'static str> {
        SECRETS
            .iter()
            .copied()
            .filter(|s| text.contains(s))
            .collect()
    }

    #[test]
    fn the_panic_log_line_names_no_secret_of_any_event() {
        let form = Params::from_pairs([
            ("grant_type", "authorization_code"),
            ("client_id", "client-1"),
            ("client_secret", "s3cr3t-SECRET"),
            ("code", "c0de-CODE"),
            ("code_verifier", "v3rifier-VER"),
            ("refresh_token", "t0ken-TOK"),
        ]);
        let events = [
            Event::Token(TokenRequest {
                form: form.clone(),
                authorization: Some("Basic s3cr3t-SECRET".into()),
            }),
            Event::Revoke(RevokeRequest {
                form: Params::from_pairs([("token", "t0ken-TOK"), ("client_secret", "s3cr3t-SECRET")]),
                authorization: Some("Basic s3cr3t-SECRET".into()),
            }),
            Event::Introspect(IntrospectRequest {
                form: Params::from_pairs([("token", "t0ken-TOK"), ("client_secret", "s3cr3t-SECRET")]),
                authorization: Some("Basic s3cr3t-SECRET".into()),
            }),
            Event::Resource(ResourceRequest {
                authorization: vec!["Bearer t0ken-TOK".into(), "Bearer c0de-CODE".into()],
            }),
            Event::Authorize(AuthorizeRequest {
                method: AuthorizeMethod::Post,
                params: form,
            }),
            Event::Register(RegisterRequest {
                body: r#"{"client_name":"x","client_secret":"s3cr3t-SECRET","nested":[{"token":"t0ken-TOK"}]}"#.into(),
            }),
            Event::Register(RegisterRequest {
                body: "client_secret=s3cr3t-SECRET".into(),
            }),
            Event::Unrouted(UnroutedRequest {
                method: "GET".into(),
                path: "/token".into(),
                query: "client_id=a&client_secret=s3cr3t-SECRET&code=c0de-CODE".into(),
                headers: Params::from_pairs([("authorization", "Bearer t0ken-TOK")]),
                body: None,
            }),
        ];
        for event in &events {
            // Each event holds secrets, as its trace line does: the test would catch a log line
            // that showed them.
            let line = serde_json::to_string(event).unwrap_or_default();
            assert!(!leaks(&line).is_empty(), "{line}");
            let line = panic_message(event);
            assert_eq!(leaks(&line), Vec::<&str>::new(), "{line}");
        }
        let token = panic_message(&events[0]);
        // What helps to reproduce the bug stays: the endpoint, the parameter names, the client.
        assert!(
            token.contains("Token(") && token.contains("client_secret"),
            "{token}"
        );
        assert!(token.contains("authorization"), "{token}");
        assert!(token.contains(r#"("client_id", "client-1")"#), "{token}");
        assert!(panic_message(&events[7]).contains("client_id=a&client_secret=<client_secret>"));
    }
}
