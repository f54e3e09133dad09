//! The canonical happy path end to end, as a smoke test of the harness.
#![allow(clippy::unwrap_used)]
mod common;
use common::*;

#[test]
fn happy_path_issues_a_code_a_token_pair_and_serves_the_resource() {
    let mut h = Harness::new();
    let c = h.register("client_secret_post", Some("read write"));
    let code = h.code_for(&c, Some("read write"));
    let out = h.exchange(&c, &code);
    assert_eq!(out.status, 200, "{}", out.body);
    let at = body_str(&out, "access_token").unwrap();
    let out = h.resource(&[&format!("Bearer {at}")]);
    assert_eq!(out.status, 200);
}
