//! The token endpoint's grant types: the JWT-bearer grant (RFC 7523) is a known type that this
//! server does not support, distinct from a type nobody defined
//! ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2): `unsupported_grant_type`).
#![allow(clippy::unwrap_used)]
mod common;
use common::*;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

#[test]
fn jwt_bearer_grant_is_recognised_then_refused_as_unsupported() {
    let mut h = Harness::new();
    let c = h.register("client_secret_post", None);
    let secret = c.secret.clone().unwrap();
    let auth = [
        ("client_id", c.id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let mut form = vec![("grant_type", JWT_BEARER)];
    form.extend(auth);
    let missing = h.token(&form, None);
    assert_eq!(missing.status, 400, "{}", missing.body);
    let (code, description) = error_of(&missing);
    assert_eq!(code, "invalid_request");
    assert!(description.contains("assertion"), "{description}");
    form.push(("assertion", "eyJ.x.y"));
    let refused = h.token(&form, None);
    assert_eq!(refused.status, 400, "{}", refused.body);
    let (code, description) = error_of(&refused);
    assert_eq!(code, "unsupported_grant_type");
    assert!(!description.contains("Input tag"), "{description}");
}
