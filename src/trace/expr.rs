//! The typed tree of an event as written in a trace, each string either a literal or a value
//! expression: read straight from a trace's text (the fast resolution path), and built by the
//! generator, which writes it into its traces ([`Serialize`]: the shapes below, keys in that
//! order) and resolves it without text in between.
//!
//! It accepts only what the general path ([`super::resolve_event`]) turns into exactly the same
//! [`Event`]: a JSON object whose first key is `kind`, then only the keys of that kind, each
//! once; strings where the event has strings, expressions only there and only in the three
//! documented shapes (`{"ref":N,"field":F}` in either key order, `{"concat":[...]}`,
//! `{"basic":[ID, SECRET]}`, nothing else in the object); unit enums only as JSON strings.
//! Anything else (duplicate keys, which a [`serde_json::Value`] collapses; unknown keys, whose
//! expressions the general path still resolves; nulls where a string belongs) is an error here,
//! and the caller falls back to the general path.

use std::fmt;
use std::marker::PhantomData;

use base64::Engine as _;
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap as _, Serializer};
use serde::{Deserialize, Serialize};

use super::resolve::Field;
use crate::event::{
    AuthorizeMethod, AuthorizeRequest, BodyFault, Event, IntrospectRequest, Params,
    RegisterRequest, ResourceRequest, RevokeRequest, TokenRequest, UnroutedRequest,
};

/// A string of an event: a literal, or a value expression to resolve.
#[derive(Debug, Clone)]
pub(crate) enum Str {
    /// A JSON string.
    Lit(String),
    /// `{"ref":N,"field":F}`.
    Ref(u64, Field),
    /// `{"concat":[...]}`.
    Concat(Vec<Self>),
    /// `{"basic":[ID, SECRET]}`.
    Basic(Box<(Self, Self)>),
}

/// Looks up the value `field` of step `step`; `None` when there is none.
pub(crate) type Lookup<'a> = dyn FnMut(u64, Field) -> Option<String> + 'a;

impl Str {
    /// The string, as the general path resolves it; `None` when it would fail.
    fn resolve(self, lookup: &mut Lookup<'_>) -> Option<String> {
        match self {
            Self::Lit(s) => Some(s),
            Self::Ref(step, field) => lookup(step, field),
            Self::Concat(parts) => {
                let mut s = String::new();
                for p in parts {
                    s.push_str(&p.resolve(lookup)?);
                }
                Some(s)
            }
            Self::Basic(pair) => {
                let (id, secret) = *pair;
                let id = id.resolve(lookup)?;
                let secret = secret.resolve(lookup)?;
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
                Some(format!("Basic {encoded}"))
            }
        }
    }
}

/// Request parameters whose names and values may be expressions.
pub(crate) type Pairs = Vec<(Str, Str)>;

// The two below fill a new vector of the final size: collecting in place would reuse the
// source's larger allocation and then shrink it (a `realloc` per list).
fn resolve_pairs(pairs: Pairs, lookup: &mut Lookup<'_>) -> Option<Params> {
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        out.push((k.resolve(lookup)?, v.resolve(lookup)?));
    }
    Some(Params(out))
}

fn resolve_all(items: Vec<Str>, lookup: &mut Lookup<'_>) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(items.len());
    for s in items {
        out.push(s.resolve(lookup)?);
    }
    Some(out)
}

fn resolve_opt(item: Option<Str>, lookup: &mut Lookup<'_>) -> Option<Option<String>> {
    match item {
        Some(s) => s.resolve(lookup).map(Some),
        None => Some(None),
    }
}

/// An event whose strings may be expressions.
#[derive(Debug, Clone)]
pub(crate) enum EventExpr {
    /// [`Event::AuthorizationServerMetadata`].
    AuthorizationServerMetadata,
    /// [`Event::ProtectedResourceMetadata`].
    ProtectedResourceMetadata,
    /// [`Event::Register`]: the body.
    Register(Str),
    /// [`Event::Authorize`].
    Authorize(AuthorizeMethod, Pairs),
    /// [`Event::Token`]: form and authorization.
    Token(Pairs, Option<Str>),
    /// [`Event::Revoke`]: form and authorization.
    Revoke(Pairs, Option<Str>),
    /// [`Event::Introspect`]: form and authorization.
    Introspect(Pairs, Option<Str>),
    /// [`Event::Resource`]: the authorizations.
    Resource(Vec<Str>),
    /// [`Event::Unrouted`].
    Unrouted {
        /// The method.
        method: Str,
        /// The path.
        path: Str,
        /// The query; `None` when absent (defaults to empty).
        query: Option<Str>,
        /// The headers; `None` when absent (defaults to none).
        headers: Option<Pairs>,
        /// The body fault.
        body: Option<BodyFault>,
    },
}

impl Str {
    /// `{"ref":step,"field":field}`.
    pub(crate) fn of(step: usize, field: Field) -> Self {
        Self::Ref(step as u64, field)
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Self {
        Self::Lit(s.to_owned())
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Self::Lit(s)
    }
}

impl Serialize for Str {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Lit(v) => s.serialize_str(v),
            Self::Ref(step, field) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("ref", step)?;
                m.serialize_entry("field", field.name())?;
                m.end()
            }
            Self::Concat(parts) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("concat", parts)?;
                m.end()
            }
            Self::Basic(pair) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("basic", &[&pair.0, &pair.1])?;
                m.end()
            }
        }
    }
}

/// An event as a trace writes it: `kind` first, then its keys in the order the reader expects
/// them (a `Token`, `Revoke` or `Introspect` event always names its `authorization`, `null` when
/// it has none).
impl Serialize for EventExpr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", self.kind())?;
        match self {
            Self::AuthorizationServerMetadata | Self::ProtectedResourceMetadata => {}
            Self::Register(body) => m.serialize_entry("body", body)?,
            Self::Authorize(method, params) => {
                m.serialize_entry("method", method)?;
                m.serialize_entry("params", params)?;
            }
            Self::Token(form, authorization)
            | Self::Revoke(form, authorization)
            | Self::Introspect(form, authorization) => {
                m.serialize_entry("form", form)?;
                m.serialize_entry("authorization", authorization)?;
            }
            Self::Resource(authorization) => m.serialize_entry("authorization", authorization)?,
            Self::Unrouted {
                method,
                path,
                query,
                headers,
                body,
            } => {
                m.serialize_entry("method", method)?;
                m.serialize_entry("path", path)?;
                if let Some(q) = query {
                    m.serialize_entry("query", q)?;
                }
                if let Some(h) = headers {
                    m.serialize_entry("headers", h)?;
                }
                if let Some(b) = body {
                    m.serialize_entry("body", b)?;
                }
            }
        }
        m.end()
    }
}

impl EventExpr {
    /// The event's `kind`, as [`Event`]'s tag names it.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::AuthorizationServerMetadata => "authorization_server_metadata",
            Self::ProtectedResourceMetadata => "protected_resource_metadata",
            Self::Register(_) => "register",
            Self::Authorize(..) => "authorize",
            Self::Token(..) => "token",
            Self::Revoke(..) => "revoke",
            Self::Introspect(..) => "introspect",
            Self::Resource(_) => "resource",
            Self::Unrouted { .. } => "unrouted",
        }
    }

    /// The [`Event`] the general path decodes, or `None` when a reference does not resolve.
    pub(crate) fn resolve(self, lookup: &mut Lookup<'_>) -> Option<Event> {
        Some(match self {
            Self::AuthorizationServerMetadata => Event::AuthorizationServerMetadata,
            Self::ProtectedResourceMetadata => Event::ProtectedResourceMetadata,
            Self::Register(body) => Event::Register(RegisterRequest {
                body: body.resolve(lookup)?,
            }),
            Self::Authorize(method, params) => Event::Authorize(AuthorizeRequest {
                method,
                params: resolve_pairs(params, lookup)?,
            }),
            Self::Token(form, authorization) => Event::Token(TokenRequest {
                form: resolve_pairs(form, lookup)?,
                authorization: resolve_opt(authorization, lookup)?,
            }),
            Self::Revoke(form, authorization) => Event::Revoke(RevokeRequest {
                form: resolve_pairs(form, lookup)?,
                authorization: resolve_opt(authorization, lookup)?,
            }),
            Self::Introspect(form, authorization) => Event::Introspect(IntrospectRequest {
                form: resolve_pairs(form, lookup)?,
                authorization: resolve_opt(authorization, lookup)?,
            }),
            Self::Resource(authorization) => Event::Resource(ResourceRequest {
                authorization: resolve_all(authorization, lookup)?,
            }),
            Self::Unrouted {
                method,
                path,
                query,
                headers,
                body,
            } => Event::Unrouted(UnroutedRequest {
                method: method.resolve(lookup)?,
                path: path.resolve(lookup)?,
                query: resolve_opt(query, lookup)?.unwrap_or_default(),
                headers: match headers {
                    Some(h) => resolve_pairs(h, lookup)?,
                    None => Params::default(),
                },
                body,
            }),
        })
    }
}

/// Refuse: the general path decides.
fn refuse<E: de::Error>(what: &str) -> E {
    E::custom(what)
}

/// Store `value` in an empty `slot`; a second value for one key is refused.
fn set<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(refuse("duplicate key"));
    }
    *slot = Some(value);
    Ok(())
}

/// A unit-variant enum read from a JSON string only (never the `{"VARIANT":null}` form).
struct Named<T>(T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(NamedVisitor(PhantomData))
    }
}

struct NamedVisitor<T>(PhantomData<T>);

impl<T: DeserializeOwned> Visitor<'_> for NamedVisitor<T> {
    type Value = Named<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Named<T>, E> {
        T::deserialize(v.into_deserializer()).map(Named)
    }
}

/// The keys of an expression object.
enum ExprKey {
    Ref,
    Field,
    Concat,
    Basic,
    Other,
}

impl<'de> Deserialize<'de> for ExprKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(KeyVisitor(|k: &str| match k {
            "ref" => Self::Ref,
            "field" => Self::Field,
            "concat" => Self::Concat,
            "basic" => Self::Basic,
            _ => Self::Other,
        }))
    }
}

/// Reads an object key through `.0`.
struct KeyVisitor<K>(fn(&str) -> K);

impl<K> Visitor<'_> for KeyVisitor<K> {
    type Value = K;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<K, E> {
        Ok((self.0)(v))
    }
}

impl<'de> Deserialize<'de> for Str {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrVisitor)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a value expression")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Str, E> {
        Ok(Str::Lit(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Str, E> {
        Ok(Str::Lit(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Str, A::Error> {
        let expr = match map.next_key::<ExprKey>()? {
            Some(ExprKey::Ref) => {
                let step: u64 = map.next_value()?;
                let Some(ExprKey::Field) = map.next_key::<ExprKey>()? else {
                    return Err(refuse("not a reference"));
                };
                Str::Ref(step, map.next_value::<Named<Field>>()?.0)
            }
            Some(ExprKey::Field) => {
                let field = map.next_value::<Named<Field>>()?.0;
                let Some(ExprKey::Ref) = map.next_key::<ExprKey>()? else {
                    return Err(refuse("not a reference"));
                };
                Str::Ref(map.next_value()?, field)
            }
            Some(ExprKey::Concat) => Str::Concat(map.next_value()?),
            Some(ExprKey::Basic) => Str::Basic(Box::new(map.next_value()?)),
            Some(ExprKey::Other) | None => return Err(refuse("not a value expression")),
        };
        match map.next_key::<ExprKey>()? {
            None => Ok(expr),
            Some(_) => Err(refuse("more than a value expression")),
        }
    }
}

/// The event kinds, named as [`Event`]'s tag names them.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    AuthorizationServerMetadata,
    ProtectedResourceMetadata,
    Register,
    Authorize,
    Token,
    Revoke,
    Introspect,
    Resource,
    Unrouted,
}

/// The keys of an event object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Kind,
    Body,
    Method,
    Params,
    Form,
    Authorization,
    Path,
    Query,
    Headers,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(KeyVisitor(|k: &str| match k {
            "kind" => Self::Kind,
            "body" => Self::Body,
            "method" => Self::Method,
            "params" => Self::Params,
            "form" => Self::Form,
            "authorization" => Self::Authorization,
            "path" => Self::Path,
            "query" => Self::Query,
            "headers" => Self::Headers,
            _ => Self::Other,
        }))
    }
}

impl<'de> Deserialize<'de> for EventExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

/// The values read so far, one slot per key and type.
#[derive(Default)]
struct Slots {
    body: Option<Str>,
    method: Option<Str>,
    path: Option<Str>,
    query: Option<Str>,
    authorize_method: Option<AuthorizeMethod>,
    pairs: Option<Pairs>,
    headers: Option<Pairs>,
    authorization: Option<Option<Str>>,
    authorizations: Option<Vec<Str>>,
    fault: Option<Option<BodyFault>>,
}

impl<'de> Visitor<'de> for EventVisitor {
    type Value = EventExpr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventExpr, A::Error> {
        let Some(Key::Kind) = map.next_key::<Key>()? else {
            return Err(refuse("kind is not the first key"));
        };
        let kind = map.next_value::<Named<Kind>>()?.0;
        let mut s = Slots::default();
        while let Some(key) = map.next_key::<Key>()? {
            match (kind, key) {
                (Kind::Register, Key::Body) => set(&mut s.body, map.next_value()?)?,
                (Kind::Unrouted, Key::Method) => set(&mut s.method, map.next_value()?)?,
                (Kind::Unrouted, Key::Path) => set(&mut s.path, map.next_value()?)?,
                (Kind::Unrouted, Key::Query) => set(&mut s.query, map.next_value()?)?,
                (Kind::Unrouted, Key::Headers) => set(&mut s.headers, map.next_value()?)?,
                (Kind::Unrouted, Key::Body) => {
                    let fault: Option<Named<BodyFault>> = map.next_value()?;
                    set(&mut s.fault, fault.map(|n| n.0))?;
                }
                (Kind::Authorize, Key::Method) => {
                    let method = map.next_value::<Named<AuthorizeMethod>>()?.0;
                    set(&mut s.authorize_method, method)?;
                }
                (Kind::Authorize, Key::Params)
                | (Kind::Token | Kind::Revoke | Kind::Introspect, Key::Form) => {
                    set(&mut s.pairs, map.next_value()?)?;
                }
                (Kind::Token | Kind::Revoke | Kind::Introspect, Key::Authorization) => {
                    set(&mut s.authorization, map.next_value()?)?;
                }
                (Kind::Resource, Key::Authorization) => {
                    set(&mut s.authorizations, map.next_value()?)?;
                }
                _ => return Err(refuse("a key this kind does not have")),
            }
        }
        let missing = || refuse::<A::Error>("a required key is missing");
        Ok(match kind {
            Kind::AuthorizationServerMetadata => EventExpr::AuthorizationServerMetadata,
            Kind::ProtectedResourceMetadata => EventExpr::ProtectedResourceMetadata,
            Kind::Register => EventExpr::Register(s.body.ok_or_else(missing)?),
            Kind::Authorize => EventExpr::Authorize(
                s.authorize_method.ok_or_else(missing)?,
                s.pairs.ok_or_else(missing)?,
            ),
            Kind::Token => {
                EventExpr::Token(s.pairs.ok_or_else(missing)?, s.authorization.flatten())
            }
            Kind::Revoke => {
                EventExpr::Revoke(s.pairs.ok_or_else(missing)?, s.authorization.flatten())
            }
            Kind::Introspect => {
                EventExpr::Introspect(s.pairs.ok_or_else(missing)?, s.authorization.flatten())
            }
            Kind::Resource => EventExpr::Resource(s.authorizations.ok_or_else(missing)?),
            Kind::Unrouted => EventExpr::Unrouted {
                method: s.method.ok_or_else(missing)?,
                path: s.path.ok_or_else(missing)?,
                query: s.query,
                headers: s.headers,
                body: s.fault.flatten(),
            },
        })
    }
}
