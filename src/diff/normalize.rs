//! Comparing a live provider's answer with the model's: random values matched by a bijection
//! established when they are issued, timestamps by tolerance, everything else exactly.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::output::Output;

/// Random values one side issued, by kind, mapped to labels in issue order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Labels {
    by_value: BTreeMap<String, String>,
    counts: BTreeMap<&'static str, usize>,
}

impl Labels {
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
/// or `uuid4`; two implementations agree when their values have the same shape.
fn shape(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') {
        return "uuid".to_owned();
    }
    let split = v.rfind('_').map_or(0, |i| i + 1);
    let (prefix, rest) = v.split_at(split);
    let class = if rest.bytes().all(|c| c.is_ascii_hexdigit()) {
        "hex"
    } else {
        "b64"
    };
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

/// One side's output reduced to what must agree: labels for random values, their shapes, and
/// tolerant timestamps.
fn normalize(o: &Output, labels: &mut Labels) -> Value {
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
            ("client_id_issued_at", Value::Number(_)) => Value::from("<issued_at>"),
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
}

impl Bijection {
    /// Whether the model's value `m` and the target's value `t` were issued as the same value.
    pub fn same(&self, m: &str, t: &str) -> bool {
        matches!((self.model.known(m), self.target.known(t)), (Some(a), Some(b)) if a == b)
    }

    /// Compare one step's outputs: `None` when they agree, else what differs.
    pub fn compare(&mut self, model: &Output, target: &Output) -> Option<String> {
        let m = normalize(model, &mut self.model);
        let t = normalize(target, &mut self.target);
        if m == t {
            return None;
        }
        let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
        for k in ["status", "headers", "body"] {
            let (a, b) = (field(&m, k), field(&t, k));
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
