//! Reading trace lines: the header and the step lines.
//!
//! A step line is read by serde into a [`StepLine`]. When serde refuses it, the line is read once
//! more through `serde_path_to_error`, whose error names the field serde stopped at.

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
    if first_byte(text) != Some(b'{') {
        // serde's derived structs also read an array.
        return Err(invalid_json(text, line)
            .unwrap_or_else(|| malformed(line, "step", "a step is a JSON object")));
    }
    let step = serde_json::from_str::<StepLine>(text).map_err(|e| step_error(text, line, &e))?;
    check_step_number(step, line, expected_step)
}

/// The error for line `line` if `text` is not JSON at all.
fn invalid_json(text: &str, line: usize) -> Option<TraceError> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .err()
        .map(|e| malformed(line, "step", format!("invalid JSON: {e}")))
}

/// The first byte of `text` that is not JSON whitespace.
fn first_byte(text: &str) -> Option<u8> {
    text.bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// The error for step line `text` (line `line`), which serde refused with `e`: invalid JSON, or
/// the field serde stopped at (read again through `serde_path_to_error`) and what is wrong with
/// it. A key that is missing, unknown or given twice is named in the path (`at: missing`).
fn step_error(text: &str, line: usize, e: &serde_json::Error) -> TraceError {
    // Not JSON at all: said so, wherever serde stopped reading the step.
    if let Some(invalid) = invalid_json(text, line) {
        return invalid;
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let Err(e) = serde_path_to_error::deserialize::<_, StepLine>(de) else {
        // Refused once, read the second time: cannot happen; the first error stands.
        return malformed(line, "step", e.to_string());
    };
    let path = e.path().to_string();
    let message = e.inner().to_string();
    // The message without serde_json's position (the line is named already).
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_owned();
    let join = |name: &str| {
        if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let named = |marker: &str| {
        message
            .strip_prefix(marker)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    if let Some(name) = named("missing field `") {
        return malformed(line, join(&name), "missing");
    }
    if let Some(name) = named("unknown field `") {
        // The path ends with the unknown key already.
        let field = if path == "." { name } else { path };
        return malformed(line, field, message);
    }
    if let Some(name) = named("duplicate field `") {
        return malformed(line, join(&name), message);
    }
    if message.starts_with("unknown variant `") && path == "event" {
        return malformed(line, "event.kind", message);
    }
    let field = if path == "." { "step".to_owned() } else { path };
    malformed(line, field, message)
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
