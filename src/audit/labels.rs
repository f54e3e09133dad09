//! Secrets a live server issued, replaced by labels in every report.

use crate::output::Output;
use crate::trace::Trace;

/// The secrets a live server issued (client secrets, tokens, codes), each replaced in report
/// text by a label numbered per kind in order of first issue: `<client_secret#1>`,
/// `<access_token#2>`, `<refresh_token#1>`, `<code#3>`. One set of labels serves a whole report,
/// so a value reads the same wherever it appears. Also replaced: a value's JSON-escaped and
/// form-encoded spellings, and `Basic` credentials that carry one.
#[derive(Default, Clone)]
pub struct SecretLabels {
    /// (value, label), in order of first issue.
    values: Vec<(String, String)>,
    counts: std::collections::BTreeMap<&'static str, usize>,
    basic: Vec<(String, String)>,
    /// `--reveal-secrets`: [`SecretLabels::redact`] leaves text as it is.
    revealing: bool,
}

/// The answer fields whose values are secrets.
const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "access_token",
    "refresh_token",
    "code",
    "id_token",
    "registration_access_token",
];

impl std::fmt::Debug for SecretLabels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided. The values
        // are the secrets themselves: only their labels are shown.
        let Self {
            values,
            counts,
            basic,
            revealing,
        } = self;
        let labels: Vec<&str> = values
            .iter()
            .chain(basic)
            .map(|(_, l)| l.as_str())
            .collect();
        f.debug_struct("SecretLabels")
            .field("labels", &labels)
            .field("counts", counts)
            .field("revealing", revealing)
            .finish()
    }
}

impl SecretLabels {
    /// No labels yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn add(&mut self, kind: &'static str, value: &str) {
        // Very short values are not secrets worth a label (and would match everywhere).
        if value.len() < 6 || self.values.iter().any(|(v, _)| v == value) {
            return;
        }
        let n = self.counts.entry(kind).or_default();
        *n += 1;
        self.values
            .push((value.to_owned(), format!("<{kind}#{n}>")));
    }

    /// Labels that replace nothing: reports made with them show the raw secrets and tokens
    /// (`audit --reveal-secrets`, for debugging a provider of one's own).
    pub fn revealing() -> Self {
        Self {
            revealing: true,
            ..Self::default()
        }
    }

    /// Learn the secrets `trace`'s answers issued.
    pub fn learn(&mut self, trace: &Trace) {
        for step in &trace.steps {
            self.learn_output(&step.output);
        }
    }

    /// Learn the secrets one answer issued: JSON body fields and a `code` in `Location`.
    pub fn learn_output(&mut self, o: &Output) {
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(&o.body) {
            for &field in SECRET_FIELDS {
                if let Some(serde_json::Value::String(v)) = m.get(field) {
                    self.add(field, v);
                }
            }
        }
        if let Some((_, params)) = o.header("location").and_then(|l| l.split_once(['?', '#'])) {
            // The query's and the fragment's codes alike (`response_mode=fragment`).
            for part in params.split('#') {
                for (k, v) in crate::compat::pyurl::parse_qsl(part, true) {
                    if k == "code" {
                        self.add("code", &v);
                    }
                }
            }
        }
    }

    /// `text` with every learnt secret replaced by its label.
    pub fn redact(&mut self, text: &str) -> String {
        if self.revealing {
            return text.to_owned();
        }
        let mut out = self.redact_basic(text);
        let mut by_length: Vec<(String, String)> = self.values.clone();
        by_length.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        for (value, label) in &by_length {
            let json = serde_json::to_string(value).unwrap_or_default();
            let json = json.trim_matches('"');
            let form = crate::compat::pyurl::quote_plus(value);
            for spelling in [value.as_str(), json, form.as_str()] {
                if !spelling.is_empty() && out.contains(spelling) {
                    out = out.replace(spelling, label);
                }
            }
        }
        out
    }

    /// `Basic <base64>` credentials whose decoded text holds a learnt secret become
    /// `Basic <basic_credentials#n>`.
    fn redact_basic(&mut self, text: &str) -> String {
        use base64::Engine as _;
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find("Basic ") {
            let (head, tail) = rest.split_at(i + "Basic ".len());
            out.push_str(head);
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
                .unwrap_or(tail.len());
            let blob = &tail[..end];
            let secret = base64::engine::general_purpose::STANDARD
                .decode(blob)
                .ok()
                .map(|raw| String::from_utf8_lossy(&raw).into_owned())
                .is_some_and(|raw| self.values.iter().any(|(v, _)| raw.contains(v.as_str())));
            if secret {
                let label = match self.basic.iter().find(|(b, _)| b == blob) {
                    Some((_, l)) => l.clone(),
                    None => {
                        let l = format!("<basic_credentials#{}>", self.basic.len() + 1);
                        self.basic.push((blob.to_owned(), l.clone()));
                        l
                    }
                };
                out.push_str(&label);
            } else {
                out.push_str(blob);
            }
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }
}
