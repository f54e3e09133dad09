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
