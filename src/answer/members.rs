//! The members of a JSON answer body that oauth-oracle reads (the error code, the issued
//! credentials, their lifetimes and scope, the metadata the checker learns), read in one pass
//! without building a map of the whole body: members nobody reads are skipped unparsed.

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// The members of a JSON answer body that the checker, the generator and the trace resolver
/// read. It reads as a `serde_json::Value` would answer `get(name)` and `as_str`/`as_u64`/
/// `as_bool`: a member of another type reads as absent; a repeated member counts by its last
/// occurrence (a `Value` map keeps the last); a body that is not one JSON object (or not JSON)
/// reads as all absent.
///
/// Not `Debug`: it holds secrets (client secrets and tokens).
#[derive(Default)]
pub(crate) struct AnswerJson {
    /// `error` (RFC 6749 §5.2).
    pub(crate) error: Option<String>,
    /// `issuer` (RFC 8414 §2).
    pub(crate) issuer: Option<String>,
    /// `token_endpoint_auth_methods_supported` (RFC 8414 §2), when it is an array.
    pub(crate) token_endpoint_auth_methods_supported: Option<Vec<Option<String>>>,
    /// `client_id` (RFC 7591 §3.2.1).
    pub(crate) client_id: Option<String>,
    /// `client_secret` (RFC 7591 §3.2.1).
    pub(crate) client_secret: Option<String>,
    /// `token_endpoint_auth_method` (RFC 7591 §2).
    pub(crate) token_endpoint_auth_method: Option<String>,
    /// `redirect_uris` (RFC 7591 §2), when it is an array: each element, when it is a string.
    pub(crate) redirect_uris: Option<Vec<Option<String>>>,
    /// `application_type` (OpenID Connect Dynamic Client Registration §2).
    pub(crate) application_type: Option<String>,
    /// `scope` (RFC 6749 §5.1; RFC 7591 §2).
    pub(crate) scope: Option<String>,
    /// `access_token` (RFC 6749 §5.1).
    pub(crate) access_token: Option<String>,
    /// `refresh_token` (RFC 6749 §5.1).
    pub(crate) refresh_token: Option<String>,
    /// `expires_in` (RFC 6749 §5.1), when it is a non-negative integer.
    pub(crate) expires_in: Option<u64>,
    /// `refresh_token_expires_in` (a common extension), when it is a non-negative integer.
    pub(crate) refresh_token_expires_in: Option<u64>,
    /// `active` (RFC 7662 §2.2), when it is a boolean.
    pub(crate) active: Option<bool>,
    /// The names present, whatever their values' types: bit `1 << Name as u16`.
    present: u16,
}

impl AnswerJson {
    /// Read the members of `body`; all absent when it is not one JSON object.
    pub(crate) fn parse(body: &str) -> Self {
        serde_json::from_str(body).unwrap_or_default()
    }

    /// Whether the body has a member `name`, whatever its value's type.
    pub(crate) fn has(&self, name: Name) -> bool {
        self.present & (1 << name as u16) != 0
    }
}

/// A member's name: one that is read, or any other.
#[derive(Clone, Copy)]
pub(crate) enum Name {
    Error,
    Issuer,
    AuthMethodsSupported,
    ClientId,
    ClientSecret,
    AuthMethod,
    RedirectUris,
    ApplicationType,
    Scope,
    AccessToken,
    RefreshToken,
    ExpiresIn,
    RefreshTokenExpiresIn,
    Active,
    ClientSecretExpiresAt,
    Other,
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = Name;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Name, E> {
                Ok(match name {
                    "error" => Name::Error,
                    "issuer" => Name::Issuer,
                    "token_endpoint_auth_methods_supported" => Name::AuthMethodsSupported,
                    "client_id" => Name::ClientId,
                    "client_secret" => Name::ClientSecret,
                    "token_endpoint_auth_method" => Name::AuthMethod,
                    "redirect_uris" => Name::RedirectUris,
                    "application_type" => Name::ApplicationType,
                    "scope" => Name::Scope,
                    "access_token" => Name::AccessToken,
                    "refresh_token" => Name::RefreshToken,
                    "expires_in" => Name::ExpiresIn,
                    "refresh_token_expires_in" => Name::RefreshTokenExpiresIn,
                    "active" => Name::Active,
                    "client_secret_expires_at" => Name::ClientSecretExpiresAt,
                    _ => Name::Other,
                })
            }
        }
        d.deserialize_identifier(NameVisitor)
    }
}

/// A member's value as a string, if it is one.
fn string(v: Value) -> Option<String> {
    if let Value::String(s) = v {
        Some(s)
    } else {
        None
    }
}

/// A member's value as the strings of an array (an element of another type as `None`), if it is
/// an array.
fn strings(v: Value) -> Option<Vec<Option<String>>> {
    if let Value::Array(items) = v {
        Some(items.into_iter().map(string).collect())
    } else {
        None
    }
}

impl<'de> Deserialize<'de> for AnswerJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AnswerJsonVisitor;
        impl<'de> Visitor<'de> for AnswerJsonVisitor {
            type Value = AnswerJson;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnswerJson, A::Error> {
                let mut m = AnswerJson::default();
                while let Some(name) = map.next_key::<Name>()? {
                    if !matches!(name, Name::Other) {
                        m.present |= 1 << name as u16;
                    }
                    // Only its presence is read.
                    if matches!(name, Name::Other | Name::ClientSecretExpiresAt) {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    let v: Value = map.next_value()?;
                    match name {
                        Name::Error => m.error = string(v),
                        Name::Issuer => m.issuer = string(v),
                        Name::AuthMethodsSupported => {
                            m.token_endpoint_auth_methods_supported = strings(v);
                        }
                        Name::ClientId => m.client_id = string(v),
                        Name::ClientSecret => m.client_secret = string(v),
                        Name::AuthMethod => m.token_endpoint_auth_method = string(v),
                        Name::RedirectUris => m.redirect_uris = strings(v),
                        Name::ApplicationType => m.application_type = string(v),
                        Name::Scope => m.scope = string(v),
                        Name::AccessToken => m.access_token = string(v),
                        Name::RefreshToken => m.refresh_token = string(v),
                        Name::ExpiresIn => m.expires_in = v.as_u64(),
                        Name::RefreshTokenExpiresIn => m.refresh_token_expires_in = v.as_u64(),
                        Name::Active => m.active = v.as_bool(),
                        Name::ClientSecretExpiresAt | Name::Other => {}
                    }
                }
                Ok(m)
            }
        }
        d.deserialize_map(AnswerJsonVisitor)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::{AnswerJson, Name};

    /// What `serde_json::Value` answers for each member [`AnswerJson`] reads.
    fn by_value(body: &str) -> String {
        let v: Value = serde_json::from_str(body).unwrap_or_default();
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let strings = |k: &str| {
            v.get(k).and_then(Value::as_array).map(|a| {
                a.iter()
                    .map(|x| x.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
        };
        format!(
            "{:?}",
            (
                [s("error"), s("issuer"), s("client_id"), s("client_secret")],
                [
                    s("token_endpoint_auth_method"),
                    s("application_type"),
                    s("scope")
                ],
                [s("access_token"), s("refresh_token")],
                strings("token_endpoint_auth_methods_supported"),
                strings("redirect_uris"),
                v.get("expires_in").and_then(Value::as_u64),
                v.get("refresh_token_expires_in").and_then(Value::as_u64),
                v.get("active").and_then(Value::as_bool),
                [
                    v.get("refresh_token").is_some(),
                    v.get("token_endpoint_auth_method").is_some(),
                    v.get("client_secret_expires_at").is_some(),
                ],
            )
        )
    }

    /// The same, read by [`AnswerJson`].
    fn by_members(body: &str) -> String {
        let m = AnswerJson::parse(body);
        let present = [
            m.has(Name::RefreshToken),
            m.has(Name::AuthMethod),
            m.has(Name::ClientSecretExpiresAt),
        ];
        format!(
            "{:?}",
            (
                [m.error, m.issuer, m.client_id, m.client_secret],
                [m.token_endpoint_auth_method, m.application_type, m.scope],
                [m.access_token, m.refresh_token],
                m.token_endpoint_auth_methods_supported,
                m.redirect_uris,
                m.expires_in,
                m.refresh_token_expires_in,
                m.active,
                present,
            )
        )
    }

    /// A JSON value of any type, nested a little.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z_ \\\\\"é]{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::vec(("[a-z]{1,3}", inner), 0..3)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// A member name: mostly one that is read.
    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "error",
                "issuer",
                "token_endpoint_auth_methods_supported",
                "client_id",
                "client_secret",
                "token_endpoint_auth_method",
                "redirect_uris",
                "application_type",
                "scope",
                "access_token",
                "refresh_token",
                "expires_in",
                "refresh_token_expires_in",
                "active",
                "client_secret_expires_at",
                "token_type",
            ])
            .prop_map(str::to_owned),
            "[a-z_]{1,6}",
        ]
    }

    /// An object written member by member, so that a name may repeat; its name sometimes
    /// escaped (`\u0065rror` is `error`).
    fn object_text() -> impl Strategy<Value = String> {
        prop::collection::vec((name(), any::<bool>(), json_value()), 0..8).prop_map(|members| {
            let body: Vec<String> = members
                .into_iter()
                .map(|(k, escape, v)| {
                    let k = if escape {
                        k.replacen('e', "\\u0065", 1)
                    } else {
                        k
                    };
                    format!("\"{k}\": {v}")
                })
                .collect();
            format!("{{{}}}", body.join(", "))
        })
    }

    proptest! {
        /// Every member reads as a `Value` map reads it: absent when of another type, the last
        /// of repeated names, all absent for a body that is not one object.
        #[test]
        fn reads_as_a_value_map_does(
            body in prop_oneof![
                4 => object_text(),
                1 => json_value().prop_map(|v| v.to_string()),
                1 => object_text().prop_map(|t| format!("{t} x")),
                1 => object_text().prop_map(|t| {
                    // Cut near the middle, on a character boundary.
                    let cut = (0..=t.len() / 2).rev().find(|&i| t.is_char_boundary(i)).unwrap_or(0);
                    t[..cut].to_owned()
                }),
            ]
        ) {
            prop_assert_eq!(by_members(&body), by_value(&body));
        }
    }

    #[test]
    fn a_token_response_is_read() {
        let m = AnswerJson::parse(
            r#"{"access_token":"a","token_type":"Bearer","expires_in":3600,"scope":"read","refresh_token":"r"}"#,
        );
        assert_eq!(m.access_token.as_deref(), Some("a"));
        assert_eq!(m.refresh_token.as_deref(), Some("r"));
        assert_eq!(m.expires_in, Some(3600));
        assert_eq!(m.scope.as_deref(), Some("read"));
        assert!(m.has(Name::RefreshToken));
        assert!(!m.has(Name::ClientSecretExpiresAt));
    }
}
