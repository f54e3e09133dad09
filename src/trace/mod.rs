//! The trace format (version 2; version 1 is still read) and replay.
//!
//! A trace is JSON Lines. Line 1 is the header:
//!
//! ```json
//! {"format":"oauth-oracle-trace","version":2,"profile":{"name":"fastmcp","code_prefix":"test_auth_code_",...},"config":{...},"rng":{"seed":"<64 hex>","stream":0,"word_pos":0}}
//! ```
//!
//! `profile` holds every knob of the [`Profile`] the trace was made under, as in a profile
//! file, so a trace replays under exactly that profile. A version-1 header has
//! `"profile":"fastmcp"` instead, the name of a built-in profile (`docs/trace-format.md`).
//!
//! Every further line is one step: `{"step":N,"at":<unix ms>,"event":{...},"output":{...}}`, with
//! `step` counting from 1. `event` is an [`Event`](crate::Event) in which any string may instead be a *value
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
//!
//! A step line is read by serde into a [`StepLine`], its event an [`EventExpr`] (an
//! [`Event`](crate::Event) whose strings are [`ValueExpr`]s); a [`Resolver`] resolves it, reading
//! each referenced output's values once. A line serde refuses is read once more through
//! `serde_path_to_error`, so the error names the field.
//!
//! [`replay_jsonl`] (what `oauth-oracle replay` runs) reads and replays in one pass, comparing
//! each recorded output as text with the model's answer written compactly, and decodes a
//! recorded output only when the bytes differ; its outcomes and errors are those of
//! [`Trace::read`] then [`replay`] (`stream_tests.rs` pins that).

use std::io::BufRead;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::config::Config;
use crate::error::ConfigError;
use crate::output::Output;
use crate::profile::Profile;
use crate::rng::Seed;
use crate::server::AuthServer;
use crate::time::UnixMillis;

mod compact;
mod read;
mod record;
mod resolve;
mod stream;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;
mod value_expr;

pub use read::{parse_header, parse_step};
pub use record::Recorder;
pub use resolve::{Field, Resolver, resolve};
pub use stream::{replay_bytes, replay_jsonl};
#[cfg(feature = "diff")]
pub(crate) use value_expr::Unresolved;
pub use value_expr::{EventExpr, ValueExpr};

/// The format name in every header.
pub const FORMAT: &str = "oauth-oracle-trace";
/// The format version this crate writes (it also reads [`VERSION_1`]).
pub const VERSION: u32 = 2;
/// The first format version, whose header names a built-in profile instead of carrying its
/// knobs: still read (and written back as read).
pub const VERSION_1: u32 = 1;

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
///
/// Version 2 (what this crate writes) carries the whole profile, every knob; version 1 named a
/// built-in profile (read as that profile, and written back as its name, so a version-1 trace
/// round-trips byte for byte). `docs/trace-format.md` describes both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`], or [`VERSION_1`] for a trace read from an older file.
    pub version: u32,
    /// The profile the trace was made under.
    pub profile: Profile,
    /// Server configuration.
    pub config: Config,
    /// Random stream position at the start.
    pub rng: RngState,
}

/// The header as written: the profile as an object of every knob (version 2) or a name
/// (version 1).
#[derive(Serialize)]
struct WrittenHeader<'a> {
    format: &'a str,
    version: u32,
    profile: WrittenProfile<'a>,
    config: &'a Config,
    rng: &'a RngState,
}

#[derive(Serialize)]
#[serde(untagged)]
enum WrittenProfile<'a> {
    Name(&'a str),
    Knobs(&'a Profile),
}

impl Serialize for Header {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let profile = if self.version == VERSION_1 {
            WrittenProfile::Name(&self.profile.name)
        } else {
            WrittenProfile::Knobs(&self.profile)
        };
        WrittenHeader {
            format: &self.format,
            version: self.version,
            profile,
            config: &self.config,
            rng: &self.rng,
        }
        .serialize(s)
    }
}

impl Header {
    /// A fresh server as this header describes it.
    pub fn server(&self) -> Result<AuthServer, TraceError> {
        Ok(AuthServer::new(self.config.clone(), self.profile.clone())?)
    }

    /// The header for a fresh server (version [`VERSION`]: the whole profile).
    pub fn new(profile: &Profile, config: &Config) -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            profile: profile.clone(),
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepLine {
    /// 1-based step number.
    pub step: usize,
    /// Time of the request.
    pub at: UnixMillis,
    /// The event, possibly with value expressions. Resolve it with a [`Resolver`] or
    /// [`resolve`].
    pub event: EventExpr,
    /// The recorded answer.
    pub output: Output,
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
    pub fn read(mut reader: impl BufRead) -> Result<Self, TraceError> {
        // One buffer for every line (what `BufRead::lines` yields, without a `String` each).
        let mut text = String::new();
        let mut raw = Vec::new();
        if !next_line(&mut reader, &mut raw, &mut text, 1)? {
            return Err(malformed(1, "header", "the trace is empty"));
        }
        let header = parse_header(&text)?;
        let mut steps = Vec::new();
        let mut line_no = 1;
        while next_line(&mut reader, &mut raw, &mut text, line_no + 1)? {
            line_no += 1;
            steps.push(read::read_step_line(&text, line_no)?);
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
        self.header.server()
    }
}

/// Read line `line` into `buf` without its `\n` or `\r\n`, as [`BufRead::lines`] does (`raw`
/// is scratch space); `false` at the end. A line that is not UTF-8 is an error naming the line,
/// the byte and, where the rest of the line reads, the field.
fn next_line(
    reader: &mut impl BufRead,
    raw: &mut Vec<u8>,
    buf: &mut String,
    line: usize,
) -> Result<bool, TraceError> {
    raw.clear();
    if reader.read_until(b'\n', raw)? == 0 {
        return Ok(false);
    }
    if raw.ends_with(b"\n") {
        raw.pop();
        if raw.ends_with(b"\r") {
            raw.pop();
        }
    }
    buf.clear();
    match std::str::from_utf8(raw) {
        Ok(text) => buf.push_str(text),
        Err(e) => return Err(not_utf8(raw, line, e.valid_up_to())),
    }
    Ok(true)
}

/// The error for line `line`, whose bytes stop being UTF-8 at byte `at`: the field is the JSON
/// path of the first string holding the bad bytes when the line reads as JSON once they are
/// replaced, else the whole step (or header).
fn not_utf8(raw: &[u8], line: usize, at: usize) -> TraceError {
    fn path_of_replacement(v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) => s.contains('\u{FFFD}').then(|| path.to_owned()),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| path_of_replacement(item, &format!("{path}[{i}]"))),
            Value::Object(map) => map.iter().find_map(|(k, item)| {
                let here = format!("{path}.{k}");
                if k.contains('\u{FFFD}') {
                    return Some(here);
                }
                path_of_replacement(item, &here)
            }),
            Value::Null | Value::Bool(_) | Value::Number(_) => None,
        }
    }
    let whole = if line == 1 { "header" } else { "step" };
    let lossy = String::from_utf8_lossy(raw);
    let field = serde_json::from_str::<Value>(&lossy)
        .ok()
        .and_then(|v| path_of_replacement(&v, whole))
        .unwrap_or_else(|| whole.to_owned());
    malformed(
        line,
        field,
        format!("not valid UTF-8 (byte {} of the line)", at + 1),
    )
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
    let mut resolver = Resolver::new();
    for (i, step) in trace.steps.iter().enumerate() {
        let line = i + 2;
        let event = resolver.resolve(step.event.clone(), &outputs, line)?;
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
