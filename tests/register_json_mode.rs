//! Registration errors in pydantic's JSON mode, as live FastMCP 4.2.3 (MCP 2.3.0) answered them on
//! 2026-12-01: the SDK validates the body with `model_validate_json`, whose `list_type` text is "a
//! valid array" (Python mode: "a valid list"). Each body and answer below is the live server's.
#![allow(clippy::unwrap_used)]

mod common;

use common::Harness;

const LIVE: &[(&str, &str)] = &[
    (
        r#"{"redirect_uris":"http://x/cb"}"#,
        "redirect_uris: Input should be a valid array",
    ),
    (
        r#"{"redirect_uris":{}}"#,
        "redirect_uris: Input should be a valid array",
    ),
    (
        r#"{"redirect_uris":["http://x/cb"],"grant_types":"authorization_code"}"#,
        "grant_types: Input should be a valid array",
    ),
    (
        r#"{"redirect_uris":["http://x/cb"],"grant_types":{"a":1}}"#,
        "grant_types: Input should be a valid array",
    ),
    (
        r#"{"redirect_uris":["http://x/cb"],"grant_types":null}"#,
        "grant_types: Input should be a valid array",
    ),
    (
        r#"{"redirect_uris":["http://x/cb"],"response_types":"code"}"#,
        "response_types: Input should be a valid array",
    ),
    (
        r#"{"redirect_uris":["http://x/cb"],"response_types":{"a":1}}"#,
        "response_types: Input should be a valid array",
    ),
    (
        r#"{"redirect_uris":["http://x/cb"],"contacts":"a"}"#,
        "contacts: Input should be a valid array",
    ),
    (
        r#"{"redirect_uris":["http://x/cb"],"contacts":{"a":1}}"#,
        "contacts: Input should be a valid array",
    ),
];

#[test]
fn list_fields_refuse_non_arrays_with_the_json_mode_text() {
    for (body, description) in LIVE {
        let mut h = Harness::new();
        let out = h.register_raw(body);
        assert_eq!(out.status, 400, "{body}");
        let expected =
            format!(r#"{{"error":"invalid_client_metadata","error_description":"{description}"}}"#);
        assert_eq!(out.body, expected, "{body}");
    }
}

/// Every field of the registration model (`OAuthClientMetadata`) given every JSON type (and
/// each pair of fields given a wrong one, for the order of the errors; and bodies that are not
/// objects), as live FastMCP 4.2.3 answered on 2026-12-02: 538 bodies, one JSON line each
/// (`body`, `status`, `answer`). Written by `scripts/providers/fastmcp/register-field-types.py`,
/// which posts each body to the live server and to `oauth-oracle serve --profile fastmcp` (0 of
/// 538 differed); a 201's issued values are masked (`client_id` and `client_secret` "X", the
/// times 0).
const FIELD_TYPES: &str = include_str!("live-answers/register-field-types-fastmcp.jsonl");

/// A registration answer with its issued values masked as in [`FIELD_TYPES`].
fn masked(body: &str) -> String {
    let Ok(serde_json::Value::Object(mut m)) = serde_json::from_str(body) else {
        return body.to_owned();
    };
    for (key, mask) in [
        ("client_id", serde_json::json!("X")),
        ("client_secret", serde_json::json!("X")),
        ("client_id_issued_at", serde_json::json!(0)),
        ("client_secret_expires_at", serde_json::json!(0)),
    ] {
        if let Some(v) = m.get_mut(key)
            && !v.is_null()
        {
            *v = mask;
        }
    }
    serde_json::Value::Object(m).to_string()
}

#[test]
fn every_field_type_is_answered_as_live_fastmcp_answers() {
    let mut checked = 0;
    for (i, line) in FIELD_TYPES.lines().enumerate() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let body = case["body"].as_str().unwrap();
        let live_status = case["status"].as_u64().unwrap();
        let live = case["answer"].as_str().unwrap();
        let out = Harness::new().register_raw(body);
        assert_eq!(u64::from(out.status), live_status, "line {}: {body}", i + 1);
        if out.status == 201 {
            assert_eq!(masked(&out.body), masked(live), "line {}: {body}", i + 1);
        } else {
            assert_eq!(out.body, live, "line {}: {body}", i + 1);
        }
        checked += 1;
    }
    assert_eq!(checked, 538);
}
