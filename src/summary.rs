//! One readable line per step, with random values replaced by stable labels.
//!
//! Secrets and random values (client ids and secrets, codes, tokens, Basic credentials) become
//! `<client#1>`, `<secret#1>`, `<code#2>`, `<access#3>`, `<refresh#3>`, numbered in order of first
//! appearance, so a summary shows which value is which without showing any of them. Used by
//! snapshots and by every command that prints a trace.

use serde_json::Value;

use crate::ValueFormat;
use crate::event::{Event, Params};
use crate::output::Output;
use crate::profile::{Profile, SECRET_BYTES};
use crate::time::UnixMillis;

/// Replaces random values with numbered labels, consistently across a whole trace. `Debug`
/// shows the labels, not the values they stand for.
pub struct Redactor {
    seen: Vec<(String, String)>,
    /// Values learned from answers ([`Redactor::learn`]) whatever their shape, with their labels.
    learned: Vec<(String, String)>,
    counts: [usize; 6],
    /// The prefix and format of each kind of value, in [`KINDS`] order.
    forms: [(String, ValueFormat); 5],
}

/// The labels of the kinds of random values, then the label of a value that reads as more than
/// one kind (a profile whose codes and tokens have the same prefix and format).
const KINDS: [&str; 6] = ["code", "access", "refresh", "client", "secret", "value"];

impl Default for Redactor {
    fn default() -> Self {
        Self::for_profile(&Profile::fastmcp())
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            seen,
            learned: _,
            counts,
            forms: _,
        } = self;
        let labels: Vec<&str> = seen.iter().map(|(_, label)| label.as_str()).collect();
        f.debug_struct("Redactor")
            .field("labels", &labels)
            .field("counts", counts)
            .finish()
    }
}

impl Redactor {
    /// A redactor with no labels yet, for FastMCP's values.
    pub fn new() -> Self {
        Self::default()
    }

    /// A redactor with no labels yet, for the values of `profile` (its prefixes and
    /// [`ValueFormat`]s).
    pub fn for_profile(profile: &Profile) -> Self {
        Self {
            seen: Vec::new(),
            learned: Vec::new(),
            counts: [0; 6],
            forms: [
                (profile.code_prefix.to_string(), profile.code_format),
                (profile.access_prefix.to_string(), profile.access_format),
                (profile.refresh_prefix.to_string(), profile.refresh_format),
                (String::new(), profile.client_id_format),
                (String::new(), profile.client_secret_format),
            ],
        }
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

    /// Learn the random values `out` issued (client id and secret, code, tokens), whatever their
    /// shape: a live server's values need not be in the profile's formats. Each gets the label
    /// of its kind, and is replaced wherever it appears later.
    pub fn learn(&mut self, out: &Output) {
        use crate::trace::Field;
        for (field, kind) in [
            (Field::Code, 0),
            (Field::AccessToken, 1),
            (Field::RefreshToken, 2),
            (Field::ClientId, 3),
            (Field::ClientSecret, 4),
        ] {
            let Some(value) = field.extract(out) else {
                continue;
            };
            // A very short value would be replaced inside ordinary words: it is left as it is
            // (no random value of that length is a secret worth a label).
            if value.len() < 6 || self.learned.iter().any(|(v, _)| *v == value) {
                continue;
            }
            let label = match self.redact_word(&value) {
                l if l != value => l,
                _ => self.label(&value, kind, KINDS[kind]),
            };
            self.learned.push((value, label));
        }
        // Longest first, so that no value is replaced inside a longer one.
        self.learned
            .sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    }

    fn redact_word(&mut self, w: &str) -> String {
        let mut kinds = self
            .forms
            .iter()
            .enumerate()
            .filter(|(_, (prefix, format))| {
                w.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| format.parse::<SECRET_BYTES>(rest).is_some())
            });
        match (kinds.next(), kinds.next()) {
            (Some((i, (prefix, _))), None) => {
                let rest = w[prefix.len()..].to_owned();
                self.label(&rest, i, KINDS[i])
            }
            (Some(_), Some(_)) => self.label(w, 5, KINDS[5]),
            (None, _) => w.to_owned(),
        }
    }

    /// `text` with the values of a `grant` format (`user:<grant id>:<secret>`, whose `:` the
    /// word scan of [`Redactor::redact`] splits at) replaced by their labels.
    fn redact_grant_values(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        'scan: while !rest.is_empty() {
            for (prefix, format) in self.forms.clone().iter().take(3) {
                if !matches!(format, ValueFormat::Grant(..)) || prefix.is_empty() {
                    continue;
                }
                if let Some(tail) = rest.strip_prefix(prefix.as_str())
                    && let Some(value) = tail.get(..format.text_len())
                    && format.parse::<SECRET_BYTES>(value).is_some()
                {
                    let whole = &rest[..prefix.len() + value.len()];
                    out.push_str(&self.redact_word(whole));
                    rest = &rest[whole.len()..];
                    continue 'scan;
                }
            }
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }

    /// `text` with every random value replaced by its label.
    pub fn redact(&mut self, text: &str) -> String {
        let mut replaced;
        let mut text = text;
        for (value, label) in &self.learned {
            if text.contains(value.as_str()) {
                replaced = text.replace(value.as_str(), label);
                text = &replaced;
            }
        }
        let grant_values;
        if self.forms[..3]
            .iter()
            .any(|(_, f)| matches!(f, ValueFormat::Grant(..)))
        {
            grant_values = self.redact_grant_values(text);
            text = &grant_values;
        }
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
            Event::ClientDocument(d) => {
                format!("(fetched) {} => {} {}", d.url, d.status, d.body)
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ValueFormat;

    #[test]
    fn grant_values_are_labelled_whole_not_as_a_client_id_and_a_secret() {
        let mut r = Redactor::for_profile(&Profile::cloudflare());
        let grant = "gQdBQplGVNyDB3-c";
        let code = format!("user:{grant}:{}", "Y2ojmWa4zJQ2eVvHl8mpmPpykaZflgUC");
        let token = format!("user:{grant}:{}", "APtCYe-82csHtmp0yKP7rhkJEPEtplHY");
        let line = r.redact(&format!(
            "code={code} access_token=\"{token}\" again={code}"
        ));
        assert_eq!(
            line,
            "code=<value#1> access_token=\"<value#2>\" again=<value#1>"
        );
        assert!(!line.contains(grant));
    }

    #[test]
    fn values_of_the_profiles_formats_are_labelled_and_none_is_shown() {
        let mut fastmcp = Redactor::new();
        let access = format!("test_access_token_{}", "ab".repeat(32));
        let secret = "cd".repeat(32);
        let client = "4b923427-66c5-4ed7-aa15-4d8ba265e200";
        let line = fastmcp.redact(&format!("{access} {secret} {client} {access} plain_word"));
        assert_eq!(
            line,
            "<access#1> <secret#1> <client#1> <access#1> plain_word"
        );
        // node-oidc-provider's: codes, tokens and client ids alike, 86-character secrets.
        let mut p = Profile::fastmcp();
        (p.code_prefix, p.access_prefix, p.refresh_prefix) = ("".into(), "".into(), "".into());
        let b43 = ValueFormat::Base64Url(43);
        (
            p.code_format,
            p.access_format,
            p.refresh_format,
            p.client_id_format,
        ) = (b43, b43, b43, b43);
        p.client_secret_format = ValueFormat::Base64Url(86);
        let mut node = Redactor::for_profile(&p);
        let token = "A2_MCeBGSpu_Qx7vN2pLk9R4sT8wYb3Hc6Dm1Fg5Jz0";
        let secret = "X6abey74sooYlkhzdfq1Hfl8rs3hyQ-rV9L5saOjqBR-OQsxUR4E_gbL2xECyWIwbgwUtexVghvy2ZxV6fLAyg";
        let line = node.redact(&format!("client_secret=\"{secret}\" code={token}"));
        assert_eq!(line, "client_secret=\"<secret#1>\" code=<value#1>");
    }

    #[test]
    fn values_of_other_shapes_are_labelled_once_learned_from_an_answer() {
        // Authlib's tokens (42 letters and digits) and a JWT: no FastMCP shape.
        let mut r = Redactor::new();
        let access = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5hJ7kLz";
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz";
        let body = format!(r#"{{"access_token":"{access}","refresh_token":"{jwt}"}}"#);
        r.learn(&Output::new(200, &[], body));
        let line = r.redact(&format!("Bearer {access} then {jwt}."));
        assert_eq!(line, "Bearer <access#1> then <refresh#1>.");
    }
}
