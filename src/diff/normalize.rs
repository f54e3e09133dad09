//! Comparing a live server's answer with the model's: random values matched by a bijection
//! established when they are issued, timestamps by tolerance, everything else exactly
//! ([`Compare::Exact`]); or only what decides the protocol's outcome ([`Compare::Semantic`]).
//!
//! Both modes reduce an answer to one representation (`{status, headers, body}`) and compare
//! that: the semantic mode fills it with less.
//!
//! After a divergence (`diff --keep-going`) the two sides may have issued different values: a
//! token only one side issued gets an *unmapped* label (`<access?1>`) that never equals a label
//! of the other side and does not shift the issue-order numbering of later values, so the
//! values both sides issue afterwards still pair up ([`Bijection::learn_divergent`]).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::output::Output;

/// What `diff` compares.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// Status, the headers that matter, bodies up to the bijection of random values and their
    /// shapes: the model must be byte-for-byte the provider. A protected resource that accepts
    /// the token is compared by its status alone: what it then answers is the application's
    /// (FastMCP's MCP `initialize` result, a Workers API handler's JSON), not the
    /// authorization server's.
    #[default]
    Exact,
    /// Only the outcome: the status (302 and 303 alike: both are the authorization response's
    /// redirect, [OAuth 2.1 §4.1.2.1](https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13#section-4.1.2.1)),
    /// the `error` code (body, redirect or `WWW-Authenticate`), and which secrets were issued
    /// (`client_id`, `client_secret`, `access_token`, `refresh_token`, `code`); not their text,
    /// other body fields, headers or `error_description`. Whether an issued token *works* is
    /// judged by the later steps that present it.
    Semantic,
}

impl Compare {
    /// The mode's name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Semantic => "semantic",
        }
    }
}

/// Random values one side issued, by kind, mapped to labels in issue order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Labels {
    by_value: BTreeMap<String, String>,
    counts: BTreeMap<&'static str, usize>,
    unmapped: usize,
}

impl Labels {
    /// Label `value` outside the issue-order numbering (a value the other side has no peer for).
    fn label_unmapped(&mut self, kind: &'static str, value: &str) {
        if self.by_value.contains_key(value) {
            return;
        }
        self.unmapped += 1;
        let l = format!("<{kind}?{}>", self.unmapped);
        self.by_value.insert(value.to_owned(), l);
    }

    fn label(&mut self, kind: &'static str, value: &str) -> String {
        if let Some(l) = self.by_value.get(value) {
            return l.clone();
        }
        let n = self.counts.entry(kind).or_default();
        *n += 1;
        let l = format!("<{kind}#{n}>");
        self.by_value.insert(value.to_owned(), l.clone());
        l
    }

    fn known(&self, value: &str) -> Option<&str> {
        self.by_value.get(value).map(String::as_str)
    }
}

/// The shape of a random value: prefix and alphabet class with length (`test_auth_code_<hex32>`),
/// or `uuid4`, for each of its `:`-separated parts (`user:<b6416>:<b6432>`); two
/// implementations agree when their values have the same shape.
fn shape(v: &str) -> String {
    v.split(':').map(part_shape).collect::<Vec<_>>().join(":")
}

/// [`shape`] of one part: a prefix is what comes up to the last `_` when that is lower-case
/// letters and `_` before hex digits (`test_access_token_…`); otherwise the whole part is random.
fn part_shape(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') {
        return "uuid".to_owned();
    }
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_hexdigit());
    let split = v
        .rfind('_')
        .map(|i| i + 1)
        .filter(|&i| v[..i].bytes().all(|c| c.is_ascii_lowercase() || c == b'_') && hex(&v[i..]))
        .unwrap_or(0);
    let (prefix, rest) = v.split_at(split);
    let class = if hex(rest) { "hex" } else { "b64" };
    format!("{prefix}<{class}{}>", rest.len())
}

const ISSUED: &[(&str, &str)] = &[
    ("client_id", "client"),
    ("client_secret", "secret"),
    ("access_token", "access"),
    ("refresh_token", "refresh"),
    ("code", "code"),
];

fn kind_of(field: &str) -> Option<&'static str> {
    ISSUED.iter().find(|(f, _)| *f == field).map(|(_, k)| *k)
}

/// The query and fragment parameters of a `Location`.
fn location_params(loc: &str) -> Vec<(String, String)> {
    let Some((_, rest)) = loc.split_once(['?', '#']) else {
        return Vec::new();
    };
    rest.split(['?', '#'])
        .flat_map(|part| crate::compat::pyurl::parse_qsl(part, true))
        .collect()
}

/// The random values `o` issued, in order: (kind, value) for each issued body field and a
/// `code` in `Location`.
fn issued(o: &Output) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&o.body) {
        for &(field, kind) in ISSUED {
            if let Some(Value::String(v)) = m.get(field) {
                out.push((kind, v.clone()));
            }
        }
    }
    if let Some(loc) = o.header("location") {
        for (k, v) in location_params(loc) {
            if k == "code" {
                out.push(("code", v));
            }
        }
    }
    out
}

/// A protected resource's answer reduced to its outcome ([`Compare::Semantic`]): status and
/// `error`. Its body is the application's, not issued values (an MCP server may well echo the
/// token's `client_id`).
fn semantic_resource(o: &Output) -> Value {
    serde_json::json!({
        "status": o.status,
        "headers": {},
        "body": {"error": o.error_code()},
    })
}

/// One side's output reduced to its outcome ([`Compare::Semantic`]).
fn semantic(o: &Output) -> Value {
    let status = match o.status {
        302 | 303 => Value::from("302/303"),
        s => Value::from(s),
    };
    let mut kinds: Vec<&str> = issued(o).into_iter().map(|(k, _)| k).collect();
    kinds.sort_unstable();
    kinds.dedup();
    serde_json::json!({
        "status": status,
        "headers": {},
        "body": {"error": o.error_code(), "issued": kinds},
    })
}

/// One side's output reduced to what must agree under `mode`.
fn normalize(o: &Output, labels: &mut Labels, mode: Compare) -> Value {
    match mode {
        Compare::Exact => exact(o, labels),
        Compare::Semantic => {
            // Labels are still learnt, for `Bijection::same`.
            for (kind, v) in issued(o) {
                labels.label(kind, &v);
            }
            semantic(o)
        }
    }
}

/// One side's output reduced to what must agree: labels for random values, their shapes, and
/// tolerant timestamps.
fn exact(o: &Output, labels: &mut Labels) -> Value {
    let mut headers = serde_json::Map::new();
    for (k, v) in &o.headers {
        if k == crate::target::NOTE_HEADER {
            // oauth-oracle's own note on a live answer, never the provider's.
            continue;
        }
        let v = match k.as_ref() {
            "location" => Value::from(normalize_location(v, labels)),
            "content-type" => {
                Value::from(v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase())
            }
            _ => Value::from(v.as_ref()),
        };
        headers.insert(k.to_string(), v);
    }
    let event_stream = o
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/event-stream"));
    let body = if event_stream {
        // The MCP layer's answer (session ids, server names) is not the authorization server's.
        Value::from("<event stream>")
    } else {
        match serde_json::from_str::<Value>(&o.body) {
            Ok(Value::Object(m)) => Value::Object(normalize_object(&m, labels)),
            _ => Value::from(o.body.clone()),
        }
    };
    serde_json::json!({"status": o.status, "headers": headers, "body": body})
}

fn normalize_object(
    m: &serde_json::Map<String, Value>,
    labels: &mut Labels,
) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for (k, v) in m {
        let v = match (k.as_str(), v) {
            (field, Value::String(s)) if kind_of(field).is_some() => {
                let kind = kind_of(field).unwrap_or("value");
                Value::from(format!("{} {}", labels.label(kind, s), shape(s)))
            }
            ("client_id_issued_at" | "client_secret_issued_at", Value::Number(_)) => {
                Value::from("<issued_at>")
            }
            // A secret's expiry, as its lifetime from the registration.
            ("client_secret_expires_at", Value::Number(n)) if n.as_u64() != Some(0) => {
                let issued = m.get("client_id_issued_at").and_then(Value::as_u64);
                match (n.as_u64(), issued) {
                    (Some(e), Some(i)) => {
                        Value::from(format!("<issued_at>+{}", e.saturating_sub(i)))
                    }
                    _ => v.clone(),
                }
            }
            ("error_description", Value::String(s))
                if s.starts_with("Requested scopes are not valid: ") =>
            {
                let mut names: Vec<&str> = s["Requested scopes are not valid: ".len()..]
                    .split(", ")
                    .collect();
                names.sort_unstable();
                Value::from(format!(
                    "Requested scopes are not valid: {}",
                    names.join(", ")
                ))
            }
            (_, other) => other.clone(),
        };
        out.insert(k.clone(), v);
    }
    out
}

fn normalize_location(loc: &str, labels: &mut Labels) -> String {
    let Some((base, query)) = loc.split_once('?') else {
        return loc.to_owned();
    };
    let (query, frag) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some(("code", v)) => format!("code={} {}", labels.label("code", v), shape(v)),
            _ => kv.to_owned(),
        })
        .collect();
    let mut s = format!("{base}?{}", parts.join("&"));
    if let Some(f) = frag {
        s.push('#');
        s.push_str(f);
    }
    s
}

/// The bijection between the two sides' random values, built as they are issued.
#[derive(Debug, Default, Clone)]
pub struct Bijection {
    model: Labels,
    target: Labels,
    mode: Compare,
}

impl Bijection {
    /// An empty bijection comparing in `mode`.
    pub fn new(mode: Compare) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    /// Learn the values of a step on which the sides diverged: per kind, the values both sides
    /// issued pair up in order; a value only one side issued (the target issued a token the
    /// model refused, or the other way round) gets an unmapped label: it never agrees with
    /// anything of the other side, and later values keep pairing in issue order.
    pub fn learn_divergent(&mut self, model: &Output, target: &Output) {
        let (m, t) = (issued(model), issued(target));
        for &(_, kind) in ISSUED {
            let ms: Vec<&String> = m
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, v)| v)
                .collect();
            let ts: Vec<&String> = t
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, v)| v)
                .collect();
            for i in 0..ms.len().max(ts.len()) {
                match (ms.get(i), ts.get(i)) {
                    (Some(a), Some(b)) => {
                        self.model.label(kind, a);
                        self.target.label(kind, b);
                    }
                    (Some(a), None) => self.model.label_unmapped(kind, a),
                    (None, Some(b)) => self.target.label_unmapped(kind, b),
                    (None, None) => {}
                }
            }
        }
    }

    /// Whether the model's value `m` and the target's value `t` were issued as the same value.
    pub fn same(&self, m: &str, t: &str) -> bool {
        matches!((self.model.known(m), self.target.known(t)), (Some(a), Some(b)) if a == b)
    }

    /// [`Bijection::compare`] for the answers to `event`: under [`Compare::Semantic`] a
    /// protected resource's answers agree on status and `error` alone.
    pub fn compare_step(
        &mut self,
        event: &crate::event::Event,
        model: &Output,
        target: &Output,
    ) -> Option<String> {
        if matches!(event, crate::event::Event::Resource(_))
            && (self.mode == Compare::Semantic
                || (model.status / 100 == 2 && target.status / 100 == 2))
        {
            // An accepted call's answer is the application's, not the authorization server's.
            return differ(&semantic_resource(model), &semantic_resource(target));
        }
        self.compare(model, target)
    }

    /// Compare one step's outputs: `None` when they agree, else what differs.
    pub fn compare(&mut self, model: &Output, target: &Output) -> Option<String> {
        let m = normalize(model, &mut self.model, self.mode);
        let t = normalize(target, &mut self.target, self.mode);
        differ(&m, &t)
    }
}

/// `None` when two normalized answers are equal, else the first part that differs.
fn differ(m: &Value, t: &Value) -> Option<String> {
    if m == t {
        return None;
    }
    let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    for k in ["status", "headers", "body"] {
        let (a, b) = (field(m, k), field(t, k));
        if a != b {
            return Some(format!(
                "{k}: model {}, target {}",
                super::abbreviate(&a.to_string()),
                super::abbreviate(&b.to_string())
            ));
        }
    }
    Some("outputs differ".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Output::error_code`] of `o`.
    fn out_error(o: &Output) -> Option<String> {
        o.error_code()
    }

    fn out(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> Output {
        Output::new(status, headers, body.to_owned())
    }

    #[test]
    fn random_values_agree_by_position_and_shape_not_by_text() {
        let mut b = Bijection::default();
        let m = out(
            200,
            &[("content-type", "application/json")],
            r#"{"access_token":"test_access_token_aa","scope":""}"#,
        );
        let t = out(
            200,
            &[("content-type", "application/json")],
            r#"{"access_token":"test_access_token_bb","scope":""}"#,
        );
        assert_eq!(b.compare(&m, &t), None);
        assert!(b.same("test_access_token_aa", "test_access_token_bb"));
        let t2 = out(
            200,
            &[("content-type", "application/json")],
            r#"{"access_token":"abc-def","scope":""}"#,
        );
        assert!(
            b.compare(&m, &t2).is_some(),
            "a differently shaped token diverges"
        );
    }

    #[test]
    fn status_and_error_differences_are_divergences() {
        let mut b = Bijection::default();
        let m = out(401, &[], r#"{"error":"invalid_grant"}"#);
        let t = out(400, &[], r#"{"error":"invalid_grant"}"#);
        assert_eq!(
            b.compare(&m, &t).as_deref(),
            Some("status: model 401, target 400")
        );
    }

    #[test]
    fn a_huge_body_is_reported_abbreviated() {
        let mut b = Bijection::default();
        let m = out(200, &[], "{}");
        let t = out(200, &[], &"x".repeat(10 * 1024 * 1024));
        let d = b.compare(&m, &t).unwrap_or_default();
        assert!(d.starts_with("body: model "), "{}", &d[..80]);
        assert!(d.len() < 5 * 1024, "detail of {} bytes", d.len());
        assert!(
            d.ends_with(&format!("… ({} bytes)", 10 * 1024 * 1024 + 2)),
            "{}",
            &d[d.len() - 80..]
        );
    }

    #[test]
    fn garbage_from_the_target_is_a_divergence_not_a_crash() {
        let mut b = Bijection::default();
        let m = out(200, &[("content-type", "application/json")], r#"{"a":1}"#);
        let t = out(
            200,
            &[("content-type", "application/json")],
            "\u{0}{{{not json",
        );
        assert!(b.compare(&m, &t).is_some());
    }

    #[test]
    fn semantic_compares_status_error_and_issued_kinds_only() {
        let mut b = Bijection::new(Compare::Semantic);
        let m = out(
            302,
            &[("location", "http://c/cb?code=test_auth_code_aa&state=x")],
            "",
        );
        let t = out(
            303,
            &[(
                "location",
                "http://c/cb?state=x&code=Zm9vYmFy&iss=http%3A%2F%2Fs",
            )],
            "Redirecting",
        );
        assert_eq!(b.compare(&m, &t), None, "302 and 303 are one redirect");
        let m = out(
            400,
            &[("content-type", "application/json")],
            r#"{"error":"invalid_grant","error_description":"code does not exist"}"#,
        );
        let t = out(
            400,
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("x-a", "b"),
            ],
            r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
        );
        assert_eq!(b.compare(&m, &t), None, "descriptions and headers differ");
        let t = out(400, &[], r#"{"error":"invalid_request"}"#);
        let d = b.compare(&m, &t).unwrap_or_default();
        assert!(
            d.contains("invalid_grant") && d.contains("invalid_request"),
            "{d}"
        );
        let m = out(200, &[], r#"{"access_token":"a1","refresh_token":"r1"}"#);
        let t = out(200, &[], r#"{"access_token":"xyz","token_type":"Bearer"}"#);
        let d = b.compare(&m, &t).unwrap_or_default();
        assert!(
            d.contains("refresh"),
            "a missing refresh token diverges: {d}"
        );
        assert_eq!(
            b.compare(&out(302, &[], ""), &out(200, &[], "")).as_deref(),
            Some(r#"status: model "302/303", target 200"#)
        );
    }

    #[test]
    fn exact_still_tells_302_from_303() {
        let mut b = Bijection::new(Compare::Exact);
        assert!(b.compare(&out(302, &[], ""), &out(303, &[], "")).is_some());
    }

    #[test]
    fn error_codes_come_from_body_redirect_or_www_authenticate() {
        assert_eq!(
            out_error(&out(400, &[], r#"{"error":"invalid_client"}"#)).as_deref(),
            Some("invalid_client")
        );
        assert_eq!(
            out_error(&out(
                302,
                &[("location", "http://c/cb?error=access_denied&state=s")],
                ""
            ))
            .as_deref(),
            Some("access_denied")
        );
        assert_eq!(
            out_error(&out(
                302,
                &[("location", "http://c/cb#error=invalid_scope")],
                ""
            ))
            .as_deref(),
            Some("invalid_scope")
        );
        assert_eq!(
            out_error(&out(
                401,
                &[(
                    "www-authenticate",
                    r#"Bearer error="invalid_token", error_description="x""#
                )],
                "{}"
            ))
            .as_deref(),
            Some("invalid_token")
        );
        assert_eq!(out_error(&out(200, &[], "{}")), None);
    }

    #[test]
    fn a_token_only_the_target_issued_stays_unmapped_and_later_tokens_still_pair() {
        let json = [("content-type", "application/json")];
        let mut b = Bijection::default();
        // The model refused, the target issued a token: a divergence, learnt as such.
        let m = out(400, &json, r#"{"error":"invalid_grant"}"#);
        let t = out(200, &json, r#"{"access_token":"test_access_token_t1"}"#);
        assert!(b.compare(&m, &t).is_some());
        let mut b = Bijection::default();
        b.learn_divergent(&m, &t);
        assert!(!b.same("x", "test_access_token_t1"));
        // Both issue the next one: it pairs as the first of each side's numbering.
        let m2 = out(200, &json, r#"{"access_token":"test_access_token_m1"}"#);
        let t2 = out(200, &json, r#"{"access_token":"test_access_token_t2"}"#);
        assert_eq!(b.compare(&m2, &t2), None);
        assert!(b.same("test_access_token_m1", "test_access_token_t2"));
        // Without the unmapped label the numbering would have shifted: <access#1> vs <access#2>.
        let mut shifted = Bijection::default();
        let _ = shifted.compare(&m, &t);
        assert!(shifted.compare(&m2, &t2).is_some());
        // Values both sides issued in the divergent step pair up.
        let mut b = Bijection::default();
        b.learn_divergent(
            &out(
                200,
                &json,
                r#"{"access_token":"test_access_token_a","scope":"x"}"#,
            ),
            &out(
                200,
                &json,
                r#"{"access_token":"test_access_token_b","scope":"y"}"#,
            ),
        );
        assert!(b.same("test_access_token_a", "test_access_token_b"));
    }
}
