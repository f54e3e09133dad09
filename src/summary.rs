//! One readable line per step, with random values replaced by stable labels.
//!
//! Secrets and random values (client ids and secrets, codes, tokens, Basic credentials) become
//! `<client#1>`, `<secret#1>`, `<code#2>`, `<access#3>`, `<refresh#3>`, numbered in order of first
//! appearance, so a summary shows which value is which without showing any of them. Used by
//! snapshots and by every command that prints a trace.

use serde_json::Value;

use crate::event::{Event, Params};
use crate::output::Output;
use crate::time::UnixMillis;

/// Replaces random values with numbered labels, consistently across a whole trace. `Debug`
/// shows the labels, not the values they stand for.
#[derive(Default)]
pub struct Redactor {
    seen: Vec<(String, String)>,
    counts: [usize; 5],
}

fn is_hex(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit() && !c.is_ascii_uppercase()
            }
        })
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self { seen, counts } = self;
        let labels: Vec<&str> = seen.iter().map(|(_, label)| label.as_str()).collect();
        f.debug_struct("Redactor")
            .field("labels", &labels)
            .field("counts", counts)
            .finish()
    }
}

impl Redactor {
    /// A redactor with no labels yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn label(&mut self, value: &str, kind: usize, name: &str) -> String {
        if let Some((_, l)) = self.seen.iter().find(|(v, _)| v == value) {
            return l.clone();
        }
        self.counts[kind] += 1;
        let l = format!("<{name}#{}>", self.counts[kind]);
        self.seen.push((value.to_owned(), l.clone()));
        l
    }

    fn redact_word(&mut self, w: &str) -> String {
        if let Some(rest) = w.strip_prefix("test_auth_code_").filter(|r| is_hex(r, 32)) {
            return self.label(rest, 0, "code");
        }
        if let Some(rest) = w
            .strip_prefix("test_access_token_")
            .filter(|r| is_hex(r, 64))
        {
            return self.label(rest, 1, "access");
        }
        if let Some(rest) = w
            .strip_prefix("test_refresh_token_")
            .filter(|r| is_hex(r, 64))
        {
            return self.label(rest, 2, "refresh");
        }
        if is_uuid(w) {
            return self.label(w, 3, "client");
        }
        if is_hex(w, 64) {
            return self.label(w, 4, "secret");
        }
        w.to_owned()
    }

    /// `text` with every random value replaced by its label.
    pub fn redact(&mut self, text: &str) -> String {
        if let Some(creds) = text.strip_prefix("Basic ") {
            use base64::Engine as _;
            if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(creds)
                && let Ok(raw) = String::from_utf8(raw)
            {
                return format!("Basic({})", self.redact(&raw));
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                word.push(c);
            } else {
                out.push_str(&self.redact_word(&word));
                word.clear();
                out.push(c);
            }
        }
        out.push_str(&self.redact_word(&word));
        out
    }

    fn params(&mut self, p: &Params) -> String {
        let parts: Vec<String> =
            p.0.iter()
                .map(|(k, v)| format!("{k}={}", self.redact(v)))
                .collect();
        parts.join(" ")
    }

    /// `POST PATH form [authorization]`, redacted.
    fn form_post(&mut self, path: &str, form: &Params, authorization: Option<&str>) -> String {
        let auth = authorization
            .map(|a| format!(" [{}]", self.redact(a)))
            .unwrap_or_default();
        format!("POST {path} {}{auth}", self.params(form))
    }

    /// A one-line summary of an event.
    pub fn event(&mut self, e: &Event) -> String {
        match e {
            Event::AuthorizationServerMetadata => "GET as-metadata".to_owned(),
            Event::ProtectedResourceMetadata => "GET pr-metadata".to_owned(),
            Event::Register(r) => format!("POST /register {}", self.redact(&r.body)),
            Event::Authorize(a) => format!("{:?} /authorize {}", a.method, self.params(&a.params))
                .replace("Get ", "GET ")
                .replace("Post ", "POST "),
            Event::Token(t) => self.form_post("/token", &t.form, t.authorization.as_deref()),
            Event::Revoke(t) => self.form_post("/revoke", &t.form, t.authorization.as_deref()),
            Event::Introspect(t) => {
                self.form_post("/introspect", &t.form, t.authorization.as_deref())
            }
            Event::Resource(r) => {
                let auth: Vec<String> = r.authorization.iter().map(|a| self.redact(a)).collect();
                format!("POST /mcp [{}]", auth.join(", "))
            }
            Event::Unrouted(u) => format!("{} {} (unrouted)", u.method, u.path),
            Event::Control(c) => {
                let mut body = c.body();
                if let Some(t) = body.get_mut("token") {
                    *t = serde_json::Value::from(self.redact(t.as_str().unwrap_or_default()));
                }
                format!("POST /_oracle/{} {body} (control)", c.route())
            }
        }
    }

    /// A one-line summary of an output: status, the error or the issued values, the reason.
    pub fn output(&mut self, o: &Output) -> String {
        let mut s = o.status.to_string();
        if let Some(loc) = o.header("location") {
            s.push_str(&format!(" -> {}", self.redact(loc)));
        } else if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&o.body) {
            let keep = [
                "error",
                "error_description",
                "client_id",
                "client_secret",
                "access_token",
                "refresh_token",
                "scope",
                "expires_in",
                "state",
            ];
            let parts: Vec<String> = m
                .iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}={:?}", self.redact(s)),
                    other @ (Value::Null
                    | Value::Bool(_)
                    | Value::Number(_)
                    | Value::Array(_)
                    | Value::Object(_)) => format!("{k}={other}"),
                })
                .collect();
            if !parts.is_empty() {
                s.push(' ');
                s.push_str(&parts.join(" "));
            }
        } else if o.header("content-type") == Some("text/event-stream") {
            s.push_str(" (event stream)");
        } else if !o.body.is_empty() {
            s.push_str(&format!(" {:?}", o.body));
        }
        if let Some(r) = o.reason {
            s.push_str(&format!(
                " [{}]",
                serde_json::to_value(r)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ));
        }
        s
    }

    /// `#step +elapsed event => output`, elapsed since `start`.
    pub fn line(
        &mut self,
        step: usize,
        start: UnixMillis,
        at: UnixMillis,
        e: &Event,
        o: &Output,
    ) -> String {
        let ev = self.event(e);
        let out = self.output(o);
        format!(
            "#{step:<3} +{:>9}ms {ev}\n      => {out}",
            at.0.saturating_sub(start.0)
        )
    }
}
