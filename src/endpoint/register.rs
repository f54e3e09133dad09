//! `POST /register`: the SDK's `RegistrationHandler` (`register.py`) in front of
//! `register_client` ([RFC 7591 §3](https://www.rfc-editor.org/rfc/rfc7591#section-3)).
//!
//! FastMCP accepts any redirect URI (D-11) and sends no `Cache-Control` on the 201 that carries the
//! secret; both are reproduced.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::Ctx;
use super::redirect::refused_at_registration;
use super::validate::Errors;
use crate::ErrorCode;
use crate::compat::pyjson::CompactObject;
use crate::compat::url_model::{any_http_url, any_url};
use crate::keys::ClientKey;
use crate::output::{JSON, NO_CACHE, NO_STORE, Output, Reason, error_json};
use crate::provider::Client;
use crate::secret::ClientSecret;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const AUTH_METHODS_MSG: &str =
    "Input should be 'none', 'client_secret_post', 'client_secret_basic' or 'private_key_jwt'";

/// pydantic's `list_type` error as `model_validate_json` words it: the SDK validates the body in
/// JSON mode, where a non-array is "a valid array" (Python mode says "a valid list"). Checked
/// against FastMCP 4.2.3 + MCP 2.3.0 for every list field of the registration model
/// (`tests/register_json_mode.rs`).
const LIST_TYPE_MSG: &str = "Input should be a valid array";

/// `OAuthClientMetadata` after validation.
struct Metadata {
    /// Fields of `OAuthClientMetadataBase`, in model order, already serialized.
    base: Vec<(&'static str, Value)>,
    scope: Option<String>,
    response_types: Vec<String>,
    redirect_uris: Option<Vec<String>>,
    auth_method: Option<String>,
    grant_types: Vec<String>,
    application_type: String,
}

fn string_list(v: &Value, loc: &str, errors: &mut Errors) -> Option<Vec<String>> {
    let Some(items) = v.as_array() else {
        errors.add(loc, LIST_TYPE_MSG);
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(s) => out.push(s.to_owned()),
            None => errors.add(&format!("{loc}.{i}"), "Input should be a valid string"),
        }
    }
    Some(out)
}

fn optional_str(obj: &Members<'_>, key: &str, errors: &mut Errors) -> Option<String> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.add(key, "Input should be a valid string");
            None
        }
    }
}

/// The members of the body's top-level object, in order, repeated names kept: a lookup finds the
/// last value, as a `dict` (and serde_json's `Map`) keeps it. Read straight from the text, without
/// building a `Map` (whose insertions hash every name).
struct Members<'a>(Vec<(Cow<'a, str>, Value)>);

impl<'a> Members<'a> {
    /// Parse `body`; on any difficulty (not an object, an escaped member name, bad JSON) the
    /// general path decides, so the error texts stay serde_json's.
    fn parse(body: &'a str) -> Result<Self, String> {
        if let Ok(m) = serde_json::from_str::<Members<'a>>(body) {
            return Ok(m);
        }
        let value: Value =
            serde_json::from_str(body).map_err(|e| format!(": Invalid JSON: {e}"))?;
        let Value::Object(obj) = value else {
            return Err(": Input should be an object".to_owned());
        };
        Ok(Self(
            obj.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect(),
        ))
    }

    /// The value of member `key` (the last one sent).
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((k, v)) = map.next_entry::<&'de str, Value>()? {
                    members.push((Cow::Borrowed(k), v));
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Validate the body as `OAuthClientMetadata.model_validate_json` does.
fn validate(body: &str, keep_raw_uris: bool, default_refresh: bool) -> Result<Metadata, String> {
    let obj = Members::parse(body)?;
    let mut errors = Errors::default();
    let mut base: Vec<(&'static str, Value)> = Vec::new();

    let response_types = match obj.get("response_types") {
        None => Some(vec!["code".to_owned()]),
        Some(v) => string_list(v, "response_types", &mut errors),
    }
    .unwrap_or_default();
    base.push(("response_types", Value::from(response_types.clone())));
    let scope = optional_str(&obj, "scope", &mut errors);
    base.push(("scope", scope.clone().map_or(Value::Null, Value::from)));
    let client_name = optional_str(&obj, "client_name", &mut errors);
    base.push(("client_name", client_name.map_or(Value::Null, Value::from)));
    for key in [
        "client_uri",
        "logo_uri",
        "contacts",
        "tos_uri",
        "policy_uri",
        "jwks_uri",
    ] {
        let v = match (key, obj.get(key)) {
            (_, None | Some(Value::Null)) => Value::Null,
            ("contacts", Some(v)) => {
                string_list(v, key, &mut errors).map_or(Value::Null, Value::from)
            }
            (_, Some(Value::String(s))) if s.is_empty() => Value::Null,
            (_, Some(Value::String(s))) => match any_http_url(s, true) {
                Ok(u) => Value::from(u),
                Err(msg) => {
                    errors.add(key, &msg);
                    Value::Null
                }
            },
            (_, Some(_)) => {
                errors.add(key, "URL input should be a string or URL");
                Value::Null
            }
        };
        base.push((key_static(key), v));
    }
    base.push(("jwks", obj.get("jwks").cloned().unwrap_or(Value::Null)));
    for key in ["software_id", "software_version"] {
        let v = optional_str(&obj, key, &mut errors);
        base.push((key_static(key), v.map_or(Value::Null, Value::from)));
    }

    let redirect_uris = match obj.get("redirect_uris") {
        None => {
            errors.add("redirect_uris", "Field required");
            None
        }
        Some(Value::Null) => None,
        Some(Value::Array(items)) if items.is_empty() => {
            errors.add(
                "redirect_uris",
                "List should have at least 1 item after validation, not 0",
            );
            None
        }
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let loc = format!("redirect_uris.{i}");
                match item.as_str() {
                    Some(s) => match any_url(s, true) {
                        Ok(_) if keep_raw_uris => out.push(s.to_owned()),
                        Ok(u) => out.push(u),
                        Err(msg) => errors.add(&loc, &msg),
                    },
                    None => errors.add(&loc, "URL input should be a string or URL"),
                }
            }
            Some(out)
        }
        Some(_) => {
            errors.add("redirect_uris", LIST_TYPE_MSG);
            None
        }
    };
    let auth_method = match obj.get("token_endpoint_auth_method") {
        None | Some(Value::Null) => None,
        Some(Value::String(s))
            if matches!(
                s.as_str(),
                "none" | "client_secret_post" | "client_secret_basic" | "private_key_jwt"
            ) =>
        {
            Some(s.clone())
        }
        Some(_) => {
            errors.add("token_endpoint_auth_method", AUTH_METHODS_MSG);
            None
        }
    };
    let grant_types = match obj.get("grant_types") {
        None if default_refresh => {
            vec!["authorization_code".to_owned(), "refresh_token".to_owned()]
        }
        None => vec!["authorization_code".to_owned()],
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(s) => out.push(s.to_owned()),
                    None => {
                        errors.add(
                            &format!("grant_types.{i}.literal['authorization_code','refresh_token','{JWT_BEARER}']"),
                            &format!("Input should be 'authorization_code', 'refresh_token' or '{JWT_BEARER}'"),
                        );
                        errors.add(
                            &format!("grant_types.{i}.str"),
                            "Input should be a valid string",
                        );
                    }
                }
            }
            out
        }
        Some(_) => {
            errors.add("grant_types", LIST_TYPE_MSG);
            Vec::new()
        }
    };
    let application_type = match obj.get("application_type") {
        None => "native".to_owned(),
        Some(Value::String(s)) if s == "web" || s == "native" => s.clone(),
        Some(_) => {
            errors.add("application_type", "Input should be 'web' or 'native'");
            String::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors.describe());
    }
    Ok(Metadata {
        base,
        scope,
        response_types,
        redirect_uris,
        auth_method,
        grant_types,
        application_type,
    })
}

fn key_static(key: &str) -> &'static str {
    match key {
        "client_uri" => "client_uri",
        "logo_uri" => "logo_uri",
        "contacts" => "contacts",
        "tos_uri" => "tos_uri",
        "policy_uri" => "policy_uri",
        "jwks_uri" => "jwks_uri",
        "software_id" => "software_id",
        _ => "software_version",
    }
}

fn metadata_error(description: &str, reason: Reason) -> Output {
    Output::new(
        400,
        &[JSON],
        error_json(ErrorCode::InvalidClientMetadata, description),
    )
    .because(reason)
}

/// Handle `POST /register`.
pub(crate) fn handle_register(ctx: &mut Ctx<'_>, body: &str) -> Output {
    if !ctx.config.registration_enabled {
        return Output::not_found();
    }
    if ctx.profile.registration_bad_json_error != ErrorCode::InvalidClientMetadata
        && serde_json::from_str::<serde::de::IgnoredAny>(body).is_err()
    {
        let error = ctx.profile.registration_bad_json_error;
        return Output::new(
            400,
            &[JSON, NO_STORE, NO_CACHE],
            error_json(error, "Invalid JSON payload"),
        )
        .because(Reason::MetadataInvalid);
    }
    let mut meta = match validate(
        body,
        ctx.profile.redirect_exact_match,
        ctx.profile.default_grant_types_include_refresh,
    ) {
        Ok(m) => m,
        Err(description) => return metadata_error(&description, Reason::MetadataInvalid),
    };
    if ctx.profile.registration_strict_redirects {
        for (i, uri) in meta.redirect_uris.iter().flatten().enumerate() {
            if let Some(why) = refused_at_registration(uri) {
                let description = format!("redirect_uris.{i}: {why}");
                return Output::new(
                    400,
                    &[JSON, NO_STORE],
                    error_json(ctx.profile.registration_redirect_error, &description),
                )
                .because(Reason::RedirectUriRefused);
            }
        }
    }
    let key = ClientKey(ctx.profile.client_id_format.draw(ctx.provider.rng()));
    // A method not named: the SDK's `client_secret_post`, or RFC 7591 §2's
    // `client_secret_basic` with either secret method taken (the record keeps no method).
    let named = meta.auth_method.is_some();
    let any_secret = !named && ctx.profile.unnamed_method_any_secret;
    let auth_method = meta.auth_method.take().unwrap_or_else(|| {
        if any_secret {
            "client_secret_basic"
        } else {
            "client_secret_post"
        }
        .to_owned()
    });
    if auth_method == "private_key_jwt" {
        return metadata_error(
            "token_endpoint_auth_method 'private_key_jwt' is not supported",
            Reason::AuthMethodUnsupported,
        );
    }
    let secret = (auth_method != "none").then(|| {
        let format = ctx.profile.client_secret_format;
        format.render(
            "",
            &format.draw::<{ crate::profile::SECRET_BYTES }>(ctx.provider.rng()),
        )
    });
    if meta.scope.is_none() {
        if let Some(defaults) = &ctx.config.default_scopes {
            meta.scope = Some(defaults.join(" "));
        }
    } else if let (Some(scope), Some(valid), true) = (
        &meta.scope,
        &ctx.config.valid_scopes,
        ctx.profile.registration_checks_scope,
    ) {
        let mut invalid: Vec<&str> = Vec::new();
        for s in scope.split_whitespace() {
            if !valid.iter().any(|v| v == s) && !invalid.contains(&s) {
                invalid.push(s);
            }
        }
        if !invalid.is_empty() {
            return metadata_error(
                &format!("Requested scopes are not valid: {}", invalid.join(", ")),
                Reason::ScopeNotValid,
            );
        }
    }
    if !meta.grant_types.iter().any(|g| g == "authorization_code") {
        return metadata_error(
            "grant_types must include 'authorization_code'",
            Reason::GrantTypesLackAuthorizationCode,
        );
    }
    if meta.grant_types.iter().any(|g| g == JWT_BEARER) {
        return metadata_error(
            &format!(
                "grant_types must not include '{JWT_BEARER}'; the identity-assertion grant requires a pre-registered client"
            ),
            Reason::GrantTypesIncludeJwtBearer,
        );
    }
    if !meta.response_types.iter().any(|r| r == "code") {
        return metadata_error(
            "response_types must include 'code' for authorization_code grant",
            Reason::ResponseTypesLackCode,
        );
    }
    let issued_at = ctx.now.whole_seconds();
    let secret_expires_at = secret.as_ref().map(|_| {
        ctx.config
            .client_secret_expiry_seconds
            .map_or(0, |s| issued_at + s)
    });
    // The record: the request's fields plus the credentials, with `None` and `""` members
    // dropped (`_placeholder_members_read_as_omitted`), serialized in model field order.
    let scope = meta.scope.clone().filter(|s| !s.is_empty());
    let mut record = CompactObject::with_capacity(384 + body.len());
    for (k, v) in &meta.base {
        if *k == "scope" {
            if let Some(s) = &scope {
                record.member_str(k, s);
            }
        } else if let Value::String(s) = v {
            if !s.is_empty() {
                record.member_str(k, s);
            }
        } else if !v.is_null() {
            record.member(k, v);
        }
    }
    if let Some(uris) = &meta.redirect_uris {
        record.member_str_list("redirect_uris", uris);
    }
    record.member_str("token_endpoint_auth_method", &auth_method);
    record.member_str_list("grant_types", &meta.grant_types);
    record.member_str("application_type", &meta.application_type);
    record.member_str(
        "client_id",
        &ctx.profile.client_id_format.render("", &key.0),
    );
    if let Some(s) = &secret {
        record.member_str("client_secret", s);
    }
    record.member("client_id_issued_at", &issued_at);
    if let Some(e) = secret_expires_at {
        record.member("client_secret_expires_at", &e);
    }
    let record_json = record.finish();
    let client = Client {
        key,
        secret: secret.map(ClientSecret::new),
        secret_expires_at,
        auth_method: (!any_secret).then_some(auth_method),
        grant_types: meta.grant_types,
        scope,
        redirect_uris: meta.redirect_uris,
        record_json: record_json.clone(),
    };
    let valid_scopes = ctx
        .config
        .valid_scopes
        .as_deref()
        .filter(|_| ctx.profile.registration_checks_scope);
    match ctx.provider.register_client(client, valid_scopes) {
        Ok(()) if ctx.profile.registration_no_store => {
            Output::new(201, &[JSON, NO_STORE, NO_CACHE], record_json)
        }
        Ok(()) => Output::new(201, &[JSON], record_json),
        Err(e) => super::internal_error(e.reason()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct member reader finds what a parsed `Map` finds, and leaves everything unusual
    /// (escaped names, non-objects, bad JSON) to the general path with its error texts.
    #[test]
    fn member_reader_agrees_with_a_parsed_map() {
        let bodies = [
            r#"{"scope":"read","redirect_uris":["http://localhost/cb"]}"#,
            r#"{"scope":"read","scope":"write","jwks":{"k":[1,2]},"scope":null}"#,
            r#"{"sc\u006fpe":"read","scope":"x"}"#,
            r#" { "grant_types" : [ "a" , 1 ] } "#,
            r#"[1,2]"#,
            r#"{"scope":"read""#,
            r#"{"scope":"read"} trailing"#,
            "",
        ];
        for body in bodies {
            let general: Result<Value, _> = serde_json::from_str(body);
            match (Members::parse(body), general) {
                (Ok(members), Ok(Value::Object(map))) => {
                    for key in ["scope", "jwks", "grant_types", "redirect_uris", "none"] {
                        assert_eq!(members.get(key), map.get(key), "{body} / {key}");
                    }
                }
                (Err(e), Ok(other)) => {
                    assert!(!other.is_object(), "{body}");
                    assert_eq!(e, ": Input should be an object");
                }
                (Err(e), Err(general)) => assert_eq!(e, format!(": Invalid JSON: {general}")),
                (Ok(_), _) => panic!("{body}: accepted what is not an object"),
            }
        }
    }
}
