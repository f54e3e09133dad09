//! Reading an [`Event`] from a trace: `kind` names the variant, the other keys are its fields.
//!
//! The fields are read by each request's derived `Deserialize` (unknown, missing and duplicated
//! keys refused there). This module only finds `kind`: when it is the first key (as every trace
//! oauth-oracle writes has it) the rest of the object goes straight to the variant; otherwise the
//! object is read into a map first and the variant read from that. serde's own internally tagged
//! reading always takes the second way, which cost 11 % more instructions per replayed event
//! (BENCHMARKS.md, "One event tree").

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::{
    AuthorizeRequest, ClientDocument, Event, EventStr, FormRequest, RegisterRequest,
    ResourceRequest, UnroutedRequest,
};
use crate::control::Control;

/// The event kinds, as `kind` names them.
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
    Control,
    ClientDocument,
}

/// The fields of an event kind that has none.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// The event of kind `kind` whose other fields `d` reads.
fn variant<'de, S, D>(kind: Kind, d: D) -> Result<Event<S>, D::Error>
where
    S: Deserialize<'de> + EventStr,
    D: Deserializer<'de>,
{
    Ok(match kind {
        Kind::AuthorizationServerMetadata => {
            NoFields::deserialize(d)?;
            Event::AuthorizationServerMetadata
        }
        Kind::ProtectedResourceMetadata => {
            NoFields::deserialize(d)?;
            Event::ProtectedResourceMetadata
        }
        Kind::Register => Event::Register(RegisterRequest::deserialize(d)?),
        Kind::Authorize => Event::Authorize(AuthorizeRequest::deserialize(d)?),
        Kind::Token => Event::Token(FormRequest::deserialize(d)?),
        Kind::Revoke => Event::Revoke(FormRequest::deserialize(d)?),
        Kind::Introspect => Event::Introspect(FormRequest::deserialize(d)?),
        Kind::Resource => Event::Resource(ResourceRequest::deserialize(d)?),
        Kind::Unrouted => Event::Unrouted(UnroutedRequest::deserialize(d)?),
        Kind::Control => Event::Control(Control::deserialize(d)?),
        Kind::ClientDocument => Event::ClientDocument(ClientDocument::deserialize(d)?),
    })
}

impl<'de, S: Deserialize<'de> + EventStr> Deserialize<'de> for Event<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor(PhantomData))
    }
}

struct EventVisitor<S>(PhantomData<S>);

impl<'de, S: Deserialize<'de> + EventStr> Visitor<'de> for EventVisitor<S> {
    type Value = Event<S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event (an object with a `kind`)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event<S>, A::Error> {
        match map.next_key::<FirstKey>()? {
            Some(FirstKey::Kind) => {
                let kind = map.next_value()?;
                variant(kind, MapAccessDeserializer::new(map))
            }
            Some(FirstKey::Other(first)) => {
                let mut fields = Map::new();
                fields.insert(first, map.next_value()?);
                while let Some(key) = map.next_key::<String>()? {
                    if fields.contains_key(&key) {
                        return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    let value = map.next_value()?;
                    fields.insert(key, value);
                }
                let kind = fields
                    .remove("kind")
                    .ok_or_else(|| de::Error::missing_field("kind"))?;
                let kind = Kind::deserialize(kind).map_err(de::Error::custom)?;
                variant(kind, Value::Object(fields)).map_err(de::Error::custom)
            }
            None => Err(de::Error::missing_field("kind")),
        }
    }
}

/// The first key of an event: `kind`, or another (kept, to read the object as a map).
enum FirstKey {
    Kind,
    Other(String),
}

impl<'de> Deserialize<'de> for FirstKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(FirstKeyVisitor)
    }
}

struct FirstKeyVisitor;

impl Visitor<'_> for FirstKeyVisitor {
    type Value = FirstKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<FirstKey, E> {
        Ok(if v == "kind" {
            FirstKey::Kind
        } else {
            FirstKey::Other(v.to_owned())
        })
    }
}
