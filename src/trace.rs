//! The trace format (version 1) and replay.
//!
//! A trace is JSON Lines. Line 1 is the header:
//!
//! ```json
//! {"format":"oauth-oracle-trace","version":1,"profile":"fastmcp","config":{...},"rng":{"seed":"<64 hex>","stream":0,"word_pos":0}}
//! ```
//!
//! Every further line is one step: `{"step":N,"at":<unix ms>,"event":{...},"output":{...}}`, with
//! `step` counting from 1. `event` is an [`Event`] in which any string may instead be a *value
//! expression*, resolved against the outputs of earlier steps before the event is sent:
//!
//! - `{"ref":N,"field":F}`: the value step `N` produced, `F` one of `client_id`, `client_secret`
//!   (from a registration body), `code`, `state` (from a redirect's `Location`), `access_token`,
//!   `refresh_token` (from a token body);
//! - `{"concat":[V, ...]}`: the values joined;
//! - `{"basic":[ID, SECRET]}`: `Basic base64(ID ":" SECRET)`.
//!
//! So one trace replays against any provider: the model, or a live server whose random values
//! differ. `output` is what the recording server answered ([`Output`]).

use std::io::BufRead;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::compat::pyurl::parse_qsl;
use crate::config::Config;
use crate::error::ConfigError;
use crate::event::Event;
use crate::output::Output;
use crate::profile::Profile;
use crate::rng::Seed;
use crate::server::AuthServer;
use crate::time::UnixMillis;

/// The format name in every header.
pub const FORMAT: &str = "oauth-oracle-trace";
/// The format version this crate reads and writes.
pub const VERSION: u32 = 1;

/// Where the ChaCha20 stream started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RngState {
    /// The seed (also in the configuration).
    pub seed: Seed,
    /// The ChaCha stream number.
    pub stream: u64,
    /// Words already consumed.
    pub word_pos: u64,
}

/// Line 1 of a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// Profile name.
    pub profile: String,
    /// Server configuration.
    pub config: Config,
    /// Random stream position at the start.
    pub rng: RngState,
}

impl Header {
    /// The header for a fresh server.
    pub fn new(profile: &Profile, config: &Config) -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            profile: profile.name.to_owned(),
            config: config.clone(),
            rng: RngState {
                seed: config.seed,
                stream: 0,
                word_pos: 0,
            },
        }
    }
}

/// One step line. `event` keeps its value expressions unresolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepLine {
    /// 1-based step number.
    pub step: usize,
    /// Time of the request.
    pub at: UnixMillis,
    /// The event, possibly with value expressions.
    pub event: Value,
    /// The recorded answer.
    pub output: Output,
}

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
            Self::Code | Self::State => {
                let loc = output.header("location")?;
                let query = loc.split('#').next()?.split_once('?')?.1;
                parse_qsl(query, true)
                    .into_iter()
                    .rev()
                    .find(|(k, _)| k == self.name())
                    .map(|(_, v)| v)
            }
            Self::ClientId | Self::ClientSecret | Self::AccessToken | Self::RefreshToken => {
                let v: Value = serde_json::from_str(&output.body).ok()?;
                v.get(self.name())?.as_str().map(str::to_owned)
            }
        }
    }
}

/// A trace that cannot be read: always names the line and the field.
#[derive(Debug, Error)]
pub enum TraceError {
    /// The file is not a valid trace.
    #[error("line {line}: {field}: {message}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// The offending field (a JSON path).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The header's configuration is refused.
    #[error("line 1: config: {0}")]
    Config(#[from] ConfigError),
    /// Reading failed.
    #[error("reading trace: {0}")]
    Io(#[from] std::io::Error),
}

fn malformed(line: usize, field: impl Into<String>, message: impl Into<String>) -> TraceError {
    TraceError::Malformed {
        line,
        field: field.into(),
        message: message.into(),
    }
}

/// The field path serde reports for an error, or `fallback`.
fn serde_field(err: &serde_json::Error, fallback: &str) -> String {
    let msg = err.to_string();
    for marker in ["unknown field `", "missing field `", "unknown variant `"] {
        if let Some(rest) = msg.split(marker).nth(1)
            && let Some(name) = rest.split('`').next()
        {
            return format!("{fallback}.{name}");
        }
    }
    fallback.to_owned()
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
        Some(n) if n == u64::from(VERSION) => {}
        Some(n) => {
            return Err(malformed(
                1,
                "version",
                format!("unsupported version {n} (this build reads {VERSION})"),
            ));
        }
        None => return Err(malformed(1, "version", "missing or not a number")),
    }
    let header: Header = serde_json::from_value(v).map_err(|e| {
        let field = serde_field(&e, "header");
        malformed(1, field, e.to_string())
    })?;
    Profile::by_name(&header.profile).map_err(|e| malformed(1, "profile", e.to_string()))?;
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

/// Parse step line `line` (1-based), expecting step number `expected_step`.
pub fn parse_step(text: &str, line: usize, expected_step: usize) -> Result<StepLine, TraceError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| malformed(line, "step", format!("invalid JSON: {e}")))?;
    for key in ["step", "at", "event", "output"] {
        if v.get(key).is_none() {
            return Err(malformed(line, key, "missing"));
        }
    }
    let step: StepLine = serde_json::from_value(v).map_err(|e| {
        let field = serde_field(&e, "step");
        malformed(line, field, e.to_string())
    })?;
    if step.step != expected_step {
        return Err(malformed(
            line,
            "step",
            format!("expected step {expected_step}, found {}", step.step),
        ));
    }
    Ok(step)
}

/// Resolve the value expressions of `event` against `outputs` (index 0 = step 1) and decode it.
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

/// A whole trace in memory.
#[derive(Debug, Clone)]
pub struct Trace {
    /// Line 1.
    pub header: Header,
    /// The steps, in order.
    pub steps: Vec<StepLine>,
}

impl Trace {
    /// Read and check a whole trace (format, line structure, step numbering). References are
    /// checked when the trace is replayed.
    pub fn read(reader: impl BufRead) -> Result<Self, TraceError> {
        let mut lines = reader.lines();
        let first = lines
            .next()
            .ok_or_else(|| malformed(1, "header", "the trace is empty"))??;
        let header = parse_header(&first)?;
        let mut steps = Vec::new();
        for (i, line) in lines.enumerate() {
            let line_no = i + 2;
            let text = line?;
            if text.trim().is_empty() {
                return Err(malformed(line_no, "step", "blank line"));
            }
            steps.push(parse_step(&text, line_no, steps.len() + 1)?);
        }
        Ok(Self { header, steps })
    }

    /// The trace as JSON Lines.
    pub fn to_jsonl(&self) -> String {
        let mut out = serde_json::to_string(&self.header).unwrap_or_default();
        out.push('\n');
        for s in &self.steps {
            out.push_str(&serde_json::to_string(s).unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// A fresh server as the header describes it.
    pub fn server(&self) -> Result<AuthServer, TraceError> {
        let profile = Profile::by_name(&self.header.profile)?;
        Ok(AuthServer::new(self.header.config.clone(), profile)?)
    }
}

/// How a replay ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayOutcome {
    /// Every output matched.
    Match {
        /// Steps replayed.
        steps: usize,
    },
    /// The first step whose output differs.
    Mismatch {
        /// The step number.
        step: usize,
        /// Its line in the file.
        line: usize,
        /// What the trace recorded.
        recorded: Box<Output>,
        /// What the model answered now.
        replayed: Box<Output>,
    },
}

/// Re-run `trace` through the model and compare every output.
pub fn replay(trace: &Trace) -> Result<ReplayOutcome, TraceError> {
    let mut server = trace.server()?;
    let mut outputs: Vec<Output> = Vec::with_capacity(trace.steps.len());
    for (i, step) in trace.steps.iter().enumerate() {
        let line = i + 2;
        let event = resolve_event(&step.event, &outputs, line)?;
        let out = server.apply(step.at, &event);
        if out != step.output {
            return Ok(ReplayOutcome::Mismatch {
                step: step.step,
                line,
                recorded: Box::new(step.output.clone()),
                replayed: Box::new(out),
            });
        }
        outputs.push(out);
    }
    Ok(ReplayOutcome::Match {
        steps: trace.steps.len(),
    })
}
