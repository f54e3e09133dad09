//! Resolving a trace's event ([`EventExpr`]) against the outputs of earlier steps: the values
//! each output carries ([`Field`]), and the [`Resolver`] that reads each referenced output once.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::value_expr::{EventExpr, Unresolved};
use super::{TraceError, malformed};
use crate::answer::AnswerJson;
use crate::compat::pyurl::QueryPairs;
use crate::event::{Event, Site};
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
            Self::Code | Self::State => location_fields(output)[self.slot()].take(),
            Self::ClientId | Self::ClientSecret | Self::AccessToken | Self::RefreshToken => {
                body_fields(output)[self.slot()].take()
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

/// [`Field::extract`] of every body field, reading the body once.
fn body_fields(output: &Output) -> [Option<String>; 4] {
    members_fields(&AnswerJson::parse(&output.body))
}

/// The body fields of an answer whose body reads as `m`, in slot order.
fn members_fields(m: &AnswerJson) -> [Option<String>; 4] {
    [
        m.client_id.clone(),
        m.client_secret.clone(),
        m.access_token.clone(),
        m.refresh_token.clone(),
    ]
}

/// [`Field::extract`] of every `Location` field: the query's value (the last one sent), else the
/// fragment's (`response_mode=fragment`, OAuth 2.0 Multiple Response Type Encoding Practices
/// §2.1). Only the parameter names are decoded until one matches.
fn location_fields(output: &Output) -> [Option<String>; 2] {
    let Some(loc) = output.header("location") else {
        return Default::default();
    };
    let (before, fragment) = loc.split_once('#').unwrap_or((loc, ""));
    let query = before.split_once('?').map_or("", |(_, q)| q);
    let (query, fragment) = (QueryPairs::new(query), QueryPairs::new(fragment));
    LOCATION_FIELDS.map(|f| query.last(f.name()).or_else(|| fragment.last(f.name())))
}

/// Resolves the events of a trace's steps in order, against the outputs of the steps before.
/// Each referenced output is read at most once (its body parsed, its `Location` split), however
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
    /// The body as the checker read it, if it did ([`Resolver::read_body`]).
    members: Option<Arc<AnswerJson>>,
}

impl std::fmt::Debug for Extracted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            body,
            location,
            members,
        } = self;
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
            .field("members", &members.as_ref().map(|_| "<read>"))
            .finish()
    }
}

impl Resolver {
    /// A resolver with nothing cached.
    pub fn new() -> Self {
        Self::default()
    }

    /// Step `step`'s answer has a body that reads as `members` (the checker read it): a
    /// reference to one of its body fields takes it from there instead of parsing the body again.
    pub(crate) fn read_body(&mut self, step: usize, members: Arc<AnswerJson>) {
        let Some(idx) = step.checked_sub(1) else {
            return;
        };
        if self.extracted.len() <= idx {
            self.extracted.resize_with(idx + 1, Extracted::default);
        }
        self.extracted[idx].members = Some(members);
    }

    /// `event`, the event of the step on line `line`, resolved against `outputs` (index 0 =
    /// step 1). A reference that does not resolve is an error naming the line and the field
    /// (`event.form[2][1].ref`).
    pub fn resolve(
        &mut self,
        event: EventExpr,
        outputs: &[Output],
        line: usize,
    ) -> Result<Event, TraceError> {
        self.resolve_expr(event, outputs)
            .map_err(|(site, u)| unresolved_error(&site, &u, outputs.len(), line))
    }

    /// [`Resolver::resolve`] without the error's wording: where the first reference that did
    /// not resolve sits, and what it asked for.
    pub(crate) fn resolve_expr(
        &mut self,
        event: EventExpr,
        outputs: &[Output],
    ) -> Result<Event, (Site, Unresolved)> {
        event.try_map(|site, s| {
            s.resolve(&mut |step, field| self.value(outputs, step, field))
                .map_err(|u| (site, u))
        })
    }

    /// The value `field` of step `step`, as [`Field::extract`] gives it, or `None` when the
    /// step does not exist or produced no such value.
    pub(crate) fn value(&mut self, outputs: &[Output], step: u64, field: Field) -> Option<String> {
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
                let members = &slot.members;
                slot.body.get_or_insert_with(|| match members {
                    Some(m) => members_fields(m),
                    None => body_fields(output),
                })
            }
        };
        values[field.slot()].clone()
    }
}

/// The error of a reference that did not resolve: `u`, in the string at `site`, on line `line`,
/// with `steps` steps before it.
fn unresolved_error(site: &Site, u: &Unresolved, steps: usize, line: usize) -> TraceError {
    let exists = usize::try_from(u.step).is_ok_and(|s| s >= 1 && s <= steps);
    let message = if exists {
        format!("step {} produced no {}", u.step, u.field.name())
    } else {
        format!("step {} does not exist before this one", u.step)
    };
    malformed(line, format!("event.{site}{}", u.path), message)
}

/// `event`, the event of the step on line `line`, resolved against `outputs` with a fresh
/// [`Resolver`]: for a single event (a loop over a trace keeps one resolver for all its steps).
pub fn resolve(event: &EventExpr, outputs: &[Output], line: usize) -> Result<Event, TraceError> {
    Resolver::new().resolve(event.clone(), outputs, line)
}
