//! A client secret with `client_secret_expires_at` works through that whole second and is
//! refused after it ([RFC 7591 §3.2.1](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1):
//! the time at which the secret will expire; the SDK refuses it once `expires_at < now`).
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use oauth_oracle::Config;

#[test]
fn client_secret_works_through_its_expiry_second_and_not_after() {
    let mut h = Harness::with(Config {
        client_secret_expiry_seconds: Some(100),
        ..Config::default()
    });
    let client = h.register("client_secret_post", None);
    let secret = client.secret.clone().unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "test_refresh_token_unknown"),
        ("client_id", client.id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    // Registered at T0 (a whole second): the secret expires at T0 + 100 s.
    h.advance(100_999);
    let out = h.token(&form, None);
    assert_eq!(
        error_of(&out).0,
        "invalid_grant",
        "authenticated: {}",
        out.body
    );
    h.advance(1);
    let out = h.token(&form, None);
    assert_eq!(out.status, 401, "{}", out.body);
    assert_eq!(
        error_of(&out),
        (
            "invalid_client".to_owned(),
            "Client secret has expired".to_owned()
        )
    );
}
