//! Value expressions: the strings of a trace's event ([`Event<ValueExpr>`]), each a literal or a
//! reference to a value an earlier step produced, and their resolution into an [`Event`].
//!
//! The generator, the fingerprint probes, the fuzzer's requests and trace files all build and
//! store this one tree; [`super::Resolver`] is the only way from it to an [`Event`].

use std::fmt;

use base64::Engine as _;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap as _, Serializer};
use serde::{Deserialize, Serialize};

use super::resolve::Field;
use crate::event::{Event, EventStr};
use crate::secret::MaybeSecret;

/// A string of a trace's event: a literal, or an expression resolved against the outputs of
/// earlier steps before the event is sent (`docs/trace-format.md`).
#[derive(Clone, PartialEq, Eq)]
pub enum ValueExpr {
    /// A JSON string.
    Lit(String),
    /// `{"ref":N,"field":F}`: the value `field` of step `step` (1-based).
    Ref {
        /// The step that produced the value.
        step: u64,
        /// Which value.
        field: Field,
    },
    /// `{"concat":[...]}`: the values joined.
    Concat(Vec<Self>),
    /// `{"basic":[ID, SECRET]}`: `Basic base64(ID ":" SECRET)`.
    Basic(Box<(Self, Self)>),
}

/// A trace's event: an [`Event`] whose strings are [`ValueExpr`]s.
pub type EventExpr = Event<ValueExpr>;

impl ValueExpr {
    /// `{"ref":step,"field":field}`.
    pub fn of(step: usize, field: Field) -> Self {
        Self::Ref {
            step: step as u64,
            field,
        }
    }

    /// The string, each reference looked up by `lookup`; the first one it cannot find is the
    /// error.
    pub(crate) fn resolve(self, lookup: &mut Lookup<'_>) -> Result<String, Unresolved> {
        match self {
            Self::Lit(s) => Ok(s),
            Self::Ref { step, field } => lookup(step, field).ok_or(Unresolved {
                path: ".ref".to_owned(),
                step,
                field,
            }),
            Self::Concat(parts) => {
                let mut s = String::new();
                for (i, p) in parts.into_iter().enumerate() {
                    s.push_str(&p.resolve(lookup).map_err(|u| u.within(".concat", i))?);
                }
                Ok(s)
            }
            Self::Basic(pair) => {
                let (id, secret) = *pair;
                let id = id.resolve(lookup).map_err(|u| u.within(".basic", 0))?;
                let secret = secret.resolve(lookup).map_err(|u| u.within(".basic", 1))?;
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
                Ok(format!("Basic {encoded}"))
            }
        }
    }
}

/// Looks up the value `field` of step `step`; `None` when there is none.
pub(crate) type Lookup<'a> = dyn FnMut(u64, Field) -> Option<String> + 'a;

/// A reference that did not resolve: where it sits in its string and what it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved {
    /// The JSON path within the string (`.concat[1].ref`).
    pub(crate) path: String,
    /// The step referred to.
    pub(crate) step: u64,
    /// The value asked for.
    pub(crate) field: Field,
}

impl Unresolved {
    /// This error inside element `i` of `list`.
    fn within(mut self, list: &str, i: usize) -> Self {
        self.path = format!("{list}[{i}]{}", self.path);
        self
    }
}

impl Default for ValueExpr {
    fn default() -> Self {
        Self::Lit(String::new())
    }
}

impl From<&str> for ValueExpr {
    fn from(s: &str) -> Self {
        Self::Lit(s.to_owned())
    }
}

impl From<String> for ValueExpr {
    fn from(s: String) -> Self {
        Self::Lit(s)
    }
}

/// An event with literal strings, as a trace stores it.
impl From<Event> for EventExpr {
    fn from(event: Event) -> Self {
        event.map(ValueExpr::Lit)
    }
}

impl EventStr for ValueExpr {
    fn literal(&self) -> Option<&str> {
        match self {
            Self::Lit(s) => Some(s),
            Self::Ref { .. } | Self::Concat(_) | Self::Basic(_) => None,
        }
    }

    fn fmt_debug(&self, secret: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// One expression shown as [`EventStr::fmt_debug`] shows it.
        struct Part<'a>(&'a ValueExpr, bool);
        impl fmt::Debug for Part<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt_debug(self.1, f)
            }
        }
        match self {
            Self::Lit(value) => fmt::Debug::fmt(&MaybeSecret { value, secret }, f),
            Self::Ref { step, field } => write!(f, "ref({step}).{}", field.name()),
            Self::Concat(parts) => f
                .debug_tuple("concat")
                .field(&parts.iter().map(|p| Part(p, secret)).collect::<Vec<_>>())
                .finish(),
            // The secret half always redacted: a `basic` is a credential.
            Self::Basic(pair) => f
                .debug_tuple("basic")
                .field(&Part(&pair.0, false))
                .field(&Part(&pair.1, true))
                .finish(),
        }
    }
}

impl fmt::Debug for ValueExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A bare expression does not know what it holds: literals redacted.
        self.fmt_debug(true, f)
    }
}

impl Serialize for ValueExpr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Lit(v) => s.serialize_str(v),
            Self::Ref { step, field } => {
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

impl<'de> Deserialize<'de> for ValueExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ExprVisitor)
    }
}

/// The one shape of each expression, as the trace format documents it.
const SHAPES: &str = r#"a string or a value expression ({"ref":N,"field":F}, {"concat":[...]}, {"basic":[ID,SECRET]})"#;

struct ExprVisitor;

impl<'de> Visitor<'de> for ExprVisitor {
    type Value = ValueExpr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SHAPES)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ValueExpr, E> {
        Ok(ValueExpr::Lit(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<ValueExpr, E> {
        Ok(ValueExpr::Lit(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ValueExpr, A::Error> {
        let expr = match map.next_key::<Key>()? {
            Some(Key::Ref) => {
                let step = map.next_value()?;
                expect_key(&mut map, Key::Field, "field")?;
                ValueExpr::Ref {
                    step,
                    field: map.next_value()?,
                }
            }
            Some(Key::Field) => {
                let field = map.next_value()?;
                expect_key(&mut map, Key::Ref, "ref")?;
                ValueExpr::Ref {
                    step: map.next_value()?,
                    field,
                }
            }
            Some(Key::Concat) => ValueExpr::Concat(map.next_value()?),
            Some(Key::Basic) => ValueExpr::Basic(Box::new(map.next_value()?)),
            Some(Key::Other) | None => {
                return Err(de::Error::invalid_value(de::Unexpected::Map, &SHAPES));
            }
        };
        match map.next_key::<Key>()? {
            None => Ok(expr),
            Some(_) => Err(de::Error::custom(format!(
                "a value expression has no other key (expected {SHAPES})"
            ))),
        }
    }
}

/// The keys of an expression object, read without a `String` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Ref,
    Field,
    Concat,
    Basic,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match v {
            "ref" => Key::Ref,
            "field" => Key::Field,
            "concat" => Key::Concat,
            "basic" => Key::Basic,
            _ => Key::Other,
        })
    }
}

/// The next key of an expression object, which must be `want` (named `name`).
fn expect_key<'de, A: MapAccess<'de>>(
    map: &mut A,
    want: Key,
    name: &'static str,
) -> Result<(), A::Error> {
    match map.next_key::<Key>()? {
        Some(k) if k == want => Ok(()),
        _ => Err(de::Error::missing_field(name)),
    }
}
