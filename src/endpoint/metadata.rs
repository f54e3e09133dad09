//! The two metadata documents: authorization server
//! ([RFC 8414 §3.2](https://www.rfc-editor.org/rfc/rfc8414#section-3.2)) and protected resource
//! ([RFC 9728 §3.2](https://www.rfc-editor.org/rfc/rfc9728#section-3.2)), as the SDK builds them.

use serde_json::{Map, Value};

use super::Ctx;
use crate::config::Config;
use crate::output::Output;
use crate::profile::Profile;

const CACHE_PUBLIC: (&str, &str) = ("cache-control", "public, max-age=3600");

/// `GET /.well-known/oauth-authorization-server`: the body built once per server.
pub(crate) fn handle_as_metadata(ctx: &Ctx<'_>) -> Output {
    Output::new(
        200,
        &[("content-type", "application/json"), CACHE_PUBLIC],
        ctx.fixed.as_metadata(ctx.config, ctx.profile).to_owned(),
    )
}

/// `GET /.well-known/oauth-protected-resource/mcp`: the body built once per server.
pub(crate) fn handle_pr_metadata(ctx: &Ctx<'_>) -> Output {
    Output::new(
        200,
        &[("content-type", "application/json"), CACHE_PUBLIC],
        ctx.fixed.pr_metadata(ctx.config, ctx.profile).to_owned(),
    )
}

/// The authorization server metadata document ([RFC 8414 §2](https://www.rfc-editor.org/rfc/rfc8414#section-2)),
/// in the SDK's field order.
pub(crate) fn as_metadata_body(c: &Config, profile: &Profile) -> String {
    let base = c.endpoint_base();
    let mut m = Map::new();
    m.insert("issuer".into(), Value::from(c.issuer_for(profile)));
    m.insert(
        "authorization_endpoint".into(),
        Value::from(format!("{base}/authorize")),
    );
    m.insert(
        "token_endpoint".into(),
        Value::from(format!("{base}/token")),
    );
    if c.registration_enabled {
        m.insert(
            "registration_endpoint".into(),
            Value::from(format!("{base}/register")),
        );
    }
    if let Some(valid) = &c.valid_scopes {
        m.insert("scopes_supported".into(), Value::from(valid.clone()));
    }
    m.insert("response_types_supported".into(), Value::from(vec!["code"]));
    m.insert(
        "grant_types_supported".into(),
        Value::from(vec!["authorization_code", "refresh_token"]),
    );
    let mut methods = vec!["client_secret_post", "client_secret_basic"];
    if profile.advertise_none_auth_method {
        methods.push("none");
    }
    m.insert(
        "token_endpoint_auth_methods_supported".into(),
        Value::from(methods.clone()),
    );
    if c.revocation_enabled && profile.revocation_at_token_endpoint {
        m.insert(
            "revocation_endpoint".into(),
            Value::from(format!("{base}/token")),
        );
    } else if c.revocation_enabled {
        m.insert(
            "revocation_endpoint".into(),
            Value::from(format!("{base}/revoke")),
        );
        m.insert(
            "revocation_endpoint_auth_methods_supported".into(),
            Value::from(methods),
        );
    }
    m.insert(
        "code_challenge_methods_supported".into(),
        Value::from(vec!["S256"]),
    );
    if profile.authorization_response_iss {
        m.insert(
            "authorization_response_iss_parameter_supported".into(),
            Value::Bool(true),
        );
    }
    if profile.client_id_metadata_documents {
        m.insert(
            "client_id_metadata_document_supported".into(),
            Value::Bool(true),
        );
    }
    Value::Object(m).to_string()
}

/// The protected resource metadata document ([RFC 9728 §2](https://www.rfc-editor.org/rfc/rfc9728#section-2)).
pub(crate) fn pr_metadata_body(c: &Config, profile: &Profile) -> String {
    let scopes = match &c.valid_scopes {
        Some(v) if !v.is_empty() => v.clone(),
        _ => c.required_scopes.clone(),
    };
    let mut m = Map::new();
    m.insert("resource".into(), Value::from(c.resource_url()));
    m.insert(
        "authorization_servers".into(),
        Value::from(vec![c.issuer_for(profile)]),
    );
    m.insert("scopes_supported".into(), Value::from(scopes));
    m.insert(
        "bearer_methods_supported".into(),
        Value::from(vec!["header"]),
    );
    Value::Object(m).to_string()
}
