//! Answers a real server might give, built by hand, to feed the checker: one copy for the tests
//! that judge canned answers (`checker_rules.rs`, `probes.rs`, through `checked.rs`).

use std::borrow::Cow;

use oauth_oracle::invariant::Violation;
use oauth_oracle::{Output, Params};
use serde_json::{Value, json};

/// An answer with `status`, `headers` and `body` (`null`: no body).
pub fn out(status: u16, headers: &[(&'static str, &str)], body: Value) -> Output {
    Output {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), Cow::Owned((*v).to_owned())))
            .collect(),
        body: if body.is_null() {
            String::new()
        } else {
            body.to_string()
        },
        reason: None,
    }
}

/// A JSON answer with `Cache-Control: no-store`, as node-oidc-provider sends from `/token`.
pub fn json_out(status: u16, body: Value) -> Output {
    out(
        status,
        &[
            ("content-type", "application/json"),
            ("cache-control", "no-store"),
        ],
        body,
    )
}

/// A 302 to `location`.
pub fn redirect(location: &str) -> Output {
    out(302, &[("location", location)], Value::Null)
}

/// Form or query parameters.
pub fn pairs(p: &[(&str, &str)]) -> Params {
    Params::from_pairs(p.iter().copied())
}

/// Whether `v` holds a violation of invariant `id`.
pub fn has(v: &[Violation], id: &str) -> bool {
    let id = catalogue_id(id);
    v.iter().any(|v| v.invariant == id)
}

/// 43 base64url characters (256 bits), distinct per tag, as node-oidc-provider issues them.
pub fn random(tag: &str) -> String {
    let mut s = format!("{tag}Qx7vN2pLk9R4sT8wYb3Hc6Dm1Fg5Jz0Ke");
    s.truncate(36);
    format!("{s:Z<36}A_b-C_d")
}

/// A 200 token answer: access and refresh tokens `random("a{tag}")` and `random("r{tag}")`,
/// `Bearer`, 3600 s, scope `read`.
pub fn tokens(tag: &str) -> Output {
    json_out(
        200,
        json!({"access_token": random(&format!("a{tag}")), "refresh_token": random(&format!("r{tag}")),
               "token_type": "Bearer", "expires_in": 3600, "scope": "read"}),
    )
}

/// The catalogue id spelled `id`: a misspelt id panics (it would never match, and a test
/// asserting its absence would pass).
pub fn catalogue_id(id: &str) -> oauth_oracle::invariant::InvariantId {
    oauth_oracle::invariant::InvariantId::from_id(id)
        .unwrap_or_else(|| panic!("{id} is not an id of the invariant catalogue"))
}
