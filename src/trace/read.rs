//! Reading trace lines: the header and the step lines.
//!
//! A step line is read straight into a [`StepLine`], its event kept as raw text. Anything that
//! path refuses is read again by the general path (a [`Value`] tree first), which decides: its
//! error names the line and the field exactly as it always has.

use serde_json::Value;

use serde::Deserialize;

use super::{
    FORMAT, Header, RngState, StepLine, TraceError, VERSION, VERSION_1, malformed, serde_field,
};
use crate::config::Config;
use crate::profile::Profile;

/// A header line as read, its profile not yet read (a name in version 1, every knob in 2).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderLine {
    format: String,
    version: u32,
    profile: Value,
    config: Config,
    rng: RngState,
}

/// Parse the header line.
pub fn parse_header(text: &str) -> Result<Header, TraceError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| malformed(1, "header", format!("invalid JSON: {e}")))?;
    let format = v.get("format").and_then(Value::as_str);
    if format != Some(FORMAT) {
        return Err(malformed(
            1,
            "format",
            format!(
                "expected \"{FORMAT}\", found {}",
                v.get("format")
                    .map_or("nothing".to_owned(), Value::to_string)
            ),
        ));
    }
    match v.get("version").and_then(Value::as_u64) {
        Some(n) if n == u64::from(VERSION) || n == u64::from(VERSION_1) => {}
        Some(n) => {
            return Err(malformed(
                1,
                "version",
                format!("unsupported version {n} (this build reads {VERSION_1} and {VERSION})"),
            ));
        }
        None => return Err(malformed(1, "version", "missing or not a number")),
    }
    let line: HeaderLine = serde_json::from_value(v).map_err(|e| {
        let field = serde_field(&e, "header");
        malformed(1, field, e.to_string())
    })?;
    let profile = match (line.version, line.profile) {
        (VERSION_1, Value::String(name)) => {
            Profile::by_name(&name).map_err(|e| malformed(1, "profile", e.to_string()))?
        }
        (VERSION_1, _) => {
            return Err(malformed(
                1,
                "profile",
                "a version-1 header names a built-in profile (a string)",
            ));
        }
        (_, knobs @ Value::Object(_)) => {
            Profile::deserialize(&knobs).map_err(|e| knob_error(&knobs, &e))?
        }
        (_, _) => {
            return Err(malformed(
                1,
                "profile",
                format!("a version-{VERSION} header carries every knob of the profile (an object)"),
            ));
        }
    };
    let header = Header {
        format: line.format,
        version: line.version,
        profile,
        config: line.config,
        rng: line.rng,
    };
    if header.rng.seed != header.config.seed {
        return Err(malformed(1, "rng.seed", "differs from config.seed"));
    }
    if header.rng.stream != 0 || header.rng.word_pos != 0 {
        return Err(malformed(
            1,
            "rng",
            "only traces starting from a fresh stream (stream 0, word_pos 0) can be replayed",
        ));
    }
    Ok(header)
}

/// The error for the knobs of a version-2 header that serde refused with `e`, naming the knob:
/// the one serde names (unknown or missing), else the first one that a built-in profile refuses
/// in place of its own value.
fn knob_error(knobs: &Value, e: &serde_json::Error) -> TraceError {
    let mut field = serde_field(e, "profile");
    if let (Ok(Value::Object(base)), Value::Object(given), "profile") = (
        serde_json::to_value(Profile::fastmcp()),
        knobs,
        field.as_str(),
    ) {
        let bad = given.iter().find(|(key, value)| {
            let mut one = base.clone();
            one.insert((*key).clone(), (*value).clone());
            base.contains_key(*key)
                && serde_json::from_value::<Profile>(Value::Object(one)).is_err()
        });
        if let Some((key, _)) = bad {
            field = format!("profile.{key}");
        }
    }
    malformed(1, field, e.to_string())
}

/// Parse step line `line` (1-based), expecting step number `expected_step`.
pub fn parse_step(text: &str, line: usize, expected_step: usize) -> Result<StepLine, TraceError> {
    // Only a JSON object qualifies for the fast reading; duplicate keys, which the general path
    // collapses, make serde fail there.
    let step = match from_object::<StepLine>(text) {
        Some(step) => step,
        None => parse_step_general(text, line)?,
    };
    check_step_number(step, line, expected_step)
}

/// Step line `line` of a trace as [`super::Trace::read`] reads it: a blank line is refused, and
/// the line after the header holds step 1.
pub(super) fn read_step_line(text: &str, line: usize) -> Result<StepLine, TraceError> {
    if text.trim().is_empty() {
        return Err(malformed(line, "step", "blank line"));
    }
    parse_step(text, line, line - 1)
}

/// `step` if it has number `expected_step`.
pub(super) fn check_step_number(
    step: StepLine,
    line: usize,
    expected_step: usize,
) -> Result<StepLine, TraceError> {
    if step.step != expected_step {
        return Err(malformed(
            line,
            "step",
            format!("expected step {expected_step}, found {}", step.step),
        ));
    }
    Ok(step)
}

/// `text` read as a `T` by serde if it is a JSON object, else `None` (serde's derived structs
/// also accept an array, which the general path refuses).
pub(super) fn from_object<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Option<T> {
    let first = text
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(b'{') {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// The general path: the line as a [`Value`], its keys checked, then the [`StepLine`]. Its
/// errors are the ones traces have always reported.
pub(super) fn parse_step_general(text: &str, line: usize) -> Result<StepLine, TraceError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| malformed(line, "step", format!("invalid JSON: {e}")))?;
    for key in ["step", "at", "event", "output"] {
        if v.get(key).is_none() {
            return Err(malformed(line, key, "missing"));
        }
    }
    serde_json::from_value(v).map_err(|e| {
        let field = serde_field(&e, "step");
        malformed(line, field, e.to_string())
    })
}
