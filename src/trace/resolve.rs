//! Value expressions: resolving a step's event against the outputs of earlier steps.
//!
//! Two paths give the same [`Event`]. The general one, [`resolve_event`], walks a [`Value`]
//! tree, replaces every expression by its string and decodes the result; its errors name the
//! line and the field. The fast one, [`Resolver`], reads the event's text once into a typed tree
//! whose strings may be expressions (`super::expr`), looks referenced values up in a cache that
//! reads each referenced output at most once, and builds the [`Event`] without copying a tree;
//! whatever it does not recognise (an unusual shape, an unknown key, a reference that does not
//! resolve) goes to the general path, which decides and words the error.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::expr::EventExpr;
use super::{TraceError, malformed, serde_field};
use crate::compat::pyurl::parse_qsl;
use crate::event::Event;
use crate::output::Output;
use crate::secret::MaybeSecret;

/// A value an earlier step produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `client_id` of a registration.
    ClientId,
    /// `client_secret` of a registration.
    ClientSecret,
    /// `code` in a redirect.
    Code,
    /// `state` in a redirect.
    State,
    /// `access_token` of a token response.
    AccessToken,
    /// `refresh_token` of a token response.
    RefreshToken,
}

impl Field {
    /// The field's name in traces.
    pub fn name(self) -> &'static str {
        match self {
            Self::ClientId => "client_id",
            Self::ClientSecret => "client_secret",
            Self::Code => "code",
            Self::State => "state",
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
        }
    }

    /// The value of this field in `output`, if the output carries one.
    pub fn extract(self, output: &Output) -> Option<String> {
        match self {
            Self::Code | Self::State => location_pairs(output)?
                .into_iter()
                .rev()
                .find(|(k, _)| k == self.name())
                .map(|(_, v)| v),
            Self::ClientId | Self::ClientSecret | Self::AccessToken | Self::RefreshToken => {
                let v: Value = serde_json::from_str(&output.body).ok()?;
                v.get(self.name())?.as_str().map(str::to_owned)
            }
        }
    }

    /// This field's place in [`BODY_FIELDS`] or [`LOCATION_FIELDS`].
    fn slot(self) -> usize {
        match self {
            Self::ClientId | Self::Code => 0,
            Self::ClientSecret | Self::State => 1,
            Self::AccessToken => 2,
            Self::RefreshToken => 3,
        }
    }
}

/// The fields read from a JSON body, in slot order.
const BODY_FIELDS: [Field; 4] = [
    Field::ClientId,
    Field::ClientSecret,
    Field::AccessToken,
    Field::RefreshToken,
];
/// The fields read from a redirect's `Location`, in slot order.
const LOCATION_FIELDS: [Field; 2] = [Field::Code, Field::State];

/// The response parameters of `output`'s `Location`, if it has a query or a fragment: the
/// fragment's, then the query's, so that a field read from the end (the last value wins) is the
/// query's when the query has it, else the fragment's (`response_mode=fragment`, OAuth 2.0
/// Multiple Response Type Encoding Practices §2.1).
fn location_pairs(output: &Output) -> Option<Vec<(String, String)>> {
    let loc = output.header("location")?;
    let (before, fragment) = loc.split_once('#').unwrap_or((loc, ""));
    let query = before.split_once('?').map(|(_, q)| q);
    if query.is_none() && fragment.is_empty() {
        return None;
    }
    let mut pairs = parse_qsl(fragment, true);
    pairs.extend(parse_qsl(query.unwrap_or(""), true));
    Some(pairs)
}

/// [`Field::extract`] of every body field, parsing the body once.
fn body_fields(output: &Output) -> [Option<String>; 4] {
    if let Some(fields) = body_fields_typed(&output.body) {
        return fields;
    }
    let Ok(v) = serde_json::from_str::<Value>(&output.body) else {
        return Default::default();
    };
    BODY_FIELDS.map(|f| v.get(f.name()).and_then(Value::as_str).map(str::to_owned))
}

/// The body fields of a JSON object body, read without a [`Value`] tree (no map, no hashing).
#[derive(Deserialize)]
struct BodyFields {
    client_id: Option<String>,
    client_secret: Option<String>,
    access_token: Option<String>,
    refresh_token: Option<String>,
}

/// [`body_fields`] for the usual body, or `None` when the [`Value`] path must decide: only an
/// object qualifies (a derived struct also reads an array), and serde refuses a field that is
/// neither a string nor null (which `Value::as_str` reads as absent) and a duplicated field
/// (which a `Value` map resolves to its last value).
fn body_fields_typed(body: &str) -> Option<[Option<String>; 4]> {
    let first = body
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(b'{') {
        return None;
    }
    let f: BodyFields = serde_json::from_str(body).ok()?;
    Some([
        f.client_id,
        f.client_secret,
        f.access_token,
        f.refresh_token,
    ])
}

/// [`Field::extract`] of every `Location` field, splitting the query once.
fn location_fields(output: &Output) -> [Option<String>; 2] {
    let Some(pairs) = location_pairs(output) else {
        return Default::default();
    };
    LOCATION_FIELDS.map(|f| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == f.name())
            .map(|(_, v)| v.clone())
    })
}

/// Resolves the events of a trace's steps in order, against the outputs of the steps before:
/// the fast path of [`resolve_event`], with the same results and the same errors. Each
/// referenced output is read at most once (its body parsed, its `Location` split), however
/// many later steps refer to it.
///
/// One resolver serves one sequence of outputs that only grows: the cache is keyed by step
/// number, so `outputs[i]` must not change between calls. Use a new resolver for another list.
#[derive(Debug, Default)]
pub struct Resolver {
    /// Per step (index 0 = step 1): its values, extracted on first reference.
    extracted: Vec<Extracted>,
}

/// The values one output carries, each group extracted when first referenced. `Debug` redacts
/// the secret ones (client secret, tokens, code).
#[derive(Default)]
struct Extracted {
    /// [`BODY_FIELDS`] of the body.
    body: Option<[Option<String>; 4]>,
    /// [`LOCATION_FIELDS`] of the `Location` header.
    location: Option<[Option<String>; 2]>,
}

impl std::fmt::Debug for Extracted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self { body, location } = self;
        // Only `client_id` (body) and `state` (location) are shown; the other slots are secret.
        fn shown<'a>(
            fields: &[Field],
            values: &'a [Option<String>],
        ) -> Vec<Option<MaybeSecret<'a>>> {
            fields
                .iter()
                .zip(values)
                .map(|(field, value)| {
                    value.as_deref().map(|value| MaybeSecret {
                        value,
                        secret: !matches!(field, Field::ClientId | Field::State),
                    })
                })
                .collect()
        }
        f.debug_struct("Extracted")
            .field("body", &body.as_ref().map(|b| shown(&BODY_FIELDS, b)))
            .field(
                "location",
                &location.as_ref().map(|l| shown(&LOCATION_FIELDS, l)),
            )
            .finish()
    }
}

impl Resolver {
    /// A resolver with nothing cached.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolve `event`, the raw text of a step's event on line `line`, against `outputs`
    /// (index 0 = step 1) and decode it: the same [`Event`] or error as [`resolve_event`] on
    /// the parsed text.
    pub fn resolve(
        &mut self,
        event: &RawValue,
        outputs: &[Output],
        line: usize,
    ) -> Result<Event, TraceError> {
        if let Some(event) = self.resolve_fast(event, outputs) {
            return Ok(event);
        }
        resolve_text(event.get(), outputs, line)
    }

    /// `expr` (the generator's own event) resolved against `outputs`, or `None` when it refers
    /// to a value no output carries.
    pub(crate) fn resolve_expr(&mut self, expr: EventExpr, outputs: &[Output]) -> Option<Event> {
        expr.resolve(&mut |step, field| self.lookup(outputs, step, field))
    }

    /// [`Resolver::resolve`] of the event whose text is `text`, already read into `expr`.
    pub(super) fn resolve_read(
        &mut self,
        expr: EventExpr,
        text: &str,
        outputs: &[Output],
        line: usize,
    ) -> Result<Event, TraceError> {
        if let Some(event) = expr.resolve(&mut |step, field| self.lookup(outputs, step, field)) {
            return Ok(event);
        }
        resolve_text(text, outputs, line)
    }

    /// The typed path, or `None` when the general path must decide.
    pub(super) fn resolve_fast(&mut self, event: &RawValue, outputs: &[Output]) -> Option<Event> {
        let expr: EventExpr = serde_json::from_str(event.get()).ok()?;
        expr.resolve(&mut |step, field| self.lookup(outputs, step, field))
    }

    /// The value `field` of step `step`, as [`Field::extract`] gives it, or `None` when the
    /// step does not exist or produced no such value.
    fn lookup(&mut self, outputs: &[Output], step: u64, field: Field) -> Option<String> {
        let idx = usize::try_from(step)
            .ok()
            .filter(|&s| s >= 1 && s <= outputs.len())?
            - 1;
        if self.extracted.len() <= idx {
            self.extracted
                .resize_with(outputs.len(), Extracted::default);
        }
        let slot = &mut self.extracted[idx];
        let output = &outputs[idx];
        let values: &[Option<String>] = match field {
            Field::Code | Field::State => {
                slot.location.get_or_insert_with(|| location_fields(output))
            }
            Field::ClientId | Field::ClientSecret | Field::AccessToken | Field::RefreshToken => {
                slot.body.get_or_insert_with(|| body_fields(output))
            }
        };
        values[field.slot()].clone()
    }
}

/// The general path on an event's text.
fn resolve_text(text: &str, outputs: &[Output], line: usize) -> Result<Event, TraceError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| malformed(line, "event", format!("invalid JSON: {e}")))?;
    resolve_event(&value, outputs, line)
}

/// Resolve one step's raw event against `outputs` with a fresh [`Resolver`]: for callers that
/// resolve a single event; a loop over a trace keeps one resolver for all its steps.
pub fn resolve_step_event(
    event: &RawValue,
    outputs: &[Output],
    line: usize,
) -> Result<Event, TraceError> {
    Resolver::new().resolve(event, outputs, line)
}

/// Resolve the value expressions of `event` against `outputs` (index 0 = step 1) and decode it.
///
/// The general path, for events built as a [`Value`]; a trace's raw events go through a
/// [`Resolver`] (or [`resolve_step_event`]), which gives the same results faster.
pub fn resolve_event(event: &Value, outputs: &[Output], line: usize) -> Result<Event, TraceError> {
    let resolved = resolve_value(event, outputs, line, "event")?;
    serde_json::from_value(resolved).map_err(|e| {
        let field = serde_field(&e, "event");
        malformed(line, field, e.to_string())
    })
}

fn resolve_value(
    v: &Value,
    outputs: &[Output],
    line: usize,
    path: &str,
) -> Result<Value, TraceError> {
    match v {
        Value::Object(map) if map.contains_key("ref") => {
            let step = map
                .get("ref")
                .and_then(Value::as_u64)
                .ok_or_else(|| malformed(line, format!("{path}.ref"), "must be a step number"))?;
            let field: Field = map
                .get("field")
                .cloned()
                .ok_or_else(|| malformed(line, format!("{path}.field"), "missing"))
                .and_then(|f| {
                    serde_json::from_value(f)
                        .map_err(|e| malformed(line, format!("{path}.field"), e.to_string()))
                })?;
            let idx = usize::try_from(step)
                .ok()
                .filter(|&s| s >= 1 && s <= outputs.len());
            let out = idx.map(|s| &outputs[s - 1]).ok_or_else(|| {
                malformed(
                    line,
                    format!("{path}.ref"),
                    format!("step {step} does not exist before this one"),
                )
            })?;
            field.extract(out).map(Value::String).ok_or_else(|| {
                malformed(
                    line,
                    format!("{path}.ref"),
                    format!("step {step} produced no {}", field.name()),
                )
            })
        }
        Value::Object(map) if map.contains_key("concat") => {
            let parts = map
                .get("concat")
                .and_then(Value::as_array)
                .ok_or_else(|| malformed(line, format!("{path}.concat"), "must be a list"))?;
            let mut s = String::new();
            for (i, p) in parts.iter().enumerate() {
                s.push_str(&resolve_string(
                    p,
                    outputs,
                    line,
                    &format!("{path}.concat[{i}]"),
                )?);
            }
            Ok(Value::String(s))
        }
        Value::Object(map) if map.contains_key("basic") => {
            let parts = map
                .get("basic")
                .and_then(Value::as_array)
                .filter(|a| a.len() == 2)
                .ok_or_else(|| malformed(line, format!("{path}.basic"), "must be [id, secret]"))?;
            let id = resolve_string(&parts[0], outputs, line, &format!("{path}.basic[0]"))?;
            let secret = resolve_string(&parts[1], outputs, line, &format!("{path}.basic[1]"))?;
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            Ok(Value::String(format!("Basic {encoded}")))
        }
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, val) in map {
                out.insert(
                    k.clone(),
                    resolve_value(val, outputs, line, &format!("{path}.{k}"))?,
                );
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| resolve_value(item, outputs, line, &format!("{path}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other @ (Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)) => {
            Ok(other.clone())
        }
    }
}

fn resolve_string(
    v: &Value,
    outputs: &[Output],
    line: usize,
    path: &str,
) -> Result<String, TraceError> {
    match resolve_value(v, outputs, line, path)? {
        Value::String(s) => Ok(s),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_) => {
            Err(malformed(
                line,
                path,
                "must be a string or a value expression",
            ))
        }
    }
}
