//! Replaying a trace straight from its JSON Lines, in one pass: [`replay_jsonl`].
//!
//! [`Trace::read`] then [`replay`] decodes every recorded output before the first step runs.
//! Here each step line is read with its output kept as text: the model's answer is written
//! compactly (`super::compact`, the bytes [`Trace::to_jsonl`] writes) and compared byte for
//! byte with the recorded text. Only when the bytes differ is the recorded output decoded and
//! compared field by field (so a hand-edited trace with other spacing still matches).
//!
//! A line written as [`Trace::to_jsonl`] writes it (`{"step":N,"at":T,"event":E,"output":O}`)
//! is read without `serde_json` finding the end of `E` and `O` first: the event is read straight
//! into its typed tree, and the output is checked by the comparison itself (text equal to an
//! output's compact JSON is that output's JSON). Any other line is read with its event and
//! output as raw values, and what that refuses goes to [`parse_step`], which decides and words
//! the error.
//!
//! The outcome and the errors are those of [`Trace::read`] then [`replay`]: once the replay has
//! an answer other than "every output matches" (a mismatch, an unresolvable event, a
//! configuration the model refuses), the rest of the file is read as `Trace::read` reads it, so
//! a malformed line anywhere is still reported first. The rare case this order cannot settle
//! (a line whose text the fast reading took but that only the general path reads, with another
//! event or time: a duplicated key after the output) and a file that is not UTF-8 are replayed
//! the two-phase way from the start.

use std::io::Read;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::compact::write_output;
use super::expr::EventExpr;
use super::read::{from_object, parse_header, parse_step, read_step_line};
use super::{ReplayOutcome, Resolver, Trace, TraceError, malformed, replay};
use crate::output::Output;
use crate::server::AuthServer;
use crate::time::UnixMillis;

/// Read a JSON Lines trace and replay it through the model, comparing every output: the
/// outcome (or error) of [`Trace::read`] then [`replay`], without decoding the recorded
/// outputs that match byte for byte. The whole text is read first (an I/O error is reported
/// before anything else).
pub fn replay_jsonl(mut reader: impl Read) -> Result<ReplayOutcome, TraceError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    replay_bytes(&bytes)
}

/// [`replay_jsonl`] on a whole trace in memory.
pub fn replay_bytes(bytes: &[u8]) -> Result<ReplayOutcome, TraceError> {
    match std::str::from_utf8(bytes).ok().and_then(replay_text) {
        Some(result) => result,
        // Not UTF-8 (`Trace::read` reports the line), or a line only the two phases settle.
        None => Trace::read(bytes).and_then(|t| replay(&t)),
    }
}

/// The lines of `text` as [`Trace::read`] reads them: split at `\n`, a `\r` before it removed.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // `memchr` scans with vector instructions (lines are ≈600 bytes); `\n` is ASCII, so
        // both halves are at char boundaries.
        let (line, next) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(i) => (
                rest[..i].strip_suffix('\r').unwrap_or(&rest[..i]),
                &rest[i + 1..],
            ),
            None => (rest, ""),
        };
        rest = next;
        Some(line)
    })
}

/// The replay of `text`, or `None` when the two phases must decide.
pub(super) fn replay_text(text: &str) -> Option<Result<ReplayOutcome, TraceError>> {
    let mut lines = lines(text);
    let Some(first) = lines.next() else {
        return Some(Err(malformed(1, "header", "the trace is empty")));
    };
    let header = match parse_header(first) {
        Ok(header) => header,
        Err(e) => return Some(Err(e)),
    };
    let mut replayer = match header.server() {
        Ok(server) => Replayer {
            server,
            resolver: Resolver::new(),
            outputs: Vec::new(),
            written: Vec::new(),
        },
        Err(e) => return Some(read_rest(lines, 1, Err(e))),
    };
    let mut line = 1;
    while let Some(text) = lines.next() {
        line += 1;
        if text.trim().is_empty() {
            return Some(Err(malformed(line, "step", "blank line")));
        }
        match replayer.step(text, line) {
            Ok(Verdict::Same(out)) => replayer.outputs.push(out),
            Ok(Verdict::Stop(outcome)) => {
                // This line too is read again in full, as `Trace::read` read it.
                return Some(read_rest(
                    std::iter::once(text).chain(lines),
                    line - 1,
                    outcome,
                ));
            }
            Ok(Verdict::GiveUp) => return None,
            Err(e) => return Some(Err(e)),
        }
    }
    Some(Ok(ReplayOutcome::Match {
        steps: replayer.outputs.len(),
    }))
}

/// Read the lines after line `line` as [`Trace::read`] does (the first malformed one is the
/// answer), then answer `outcome`.
fn read_rest<'a>(
    rest: impl Iterator<Item = &'a str>,
    mut line: usize,
    outcome: Result<ReplayOutcome, TraceError>,
) -> Result<ReplayOutcome, TraceError> {
    for text in rest {
        line += 1;
        read_step_line(text, line)?;
    }
    outcome
}

/// A line as [`Trace::to_jsonl`] writes it, read up to its output.
pub(super) struct Written<'a> {
    step: u64,
    at: u64,
    /// The event, read.
    expr: EventExpr,
    /// The event's text.
    event: &'a str,
    /// Everything after `"output":`: the output's text and the line's closing `}`.
    output: &'a str,
}

/// `text` read as [`Trace::to_jsonl`] writes a step line, or `None`.
pub(super) fn read_written(text: &str) -> Option<Written<'_>> {
    let rest = text.strip_prefix("{\"step\":")?;
    let (step, rest) = number(rest)?;
    let rest = rest.strip_prefix(",\"at\":")?;
    let (at, rest) = number(rest)?;
    let rest = rest.strip_prefix(",\"event\":")?;
    if !rest.starts_with('{') {
        return None;
    }
    let mut events = serde_json::Deserializer::from_str(rest).into_iter::<EventExpr>();
    let expr = events.next()?.ok()?;
    let (event, rest) = rest.split_at_checked(events.byte_offset())?;
    let output = rest.strip_prefix(",\"output\":")?;
    Some(Written {
        step,
        at,
        expr,
        event,
        output,
    })
}

/// A JSON integer as `serde_json` reads a `u64` (no sign, no leading zero), and what follows.
fn number(s: &str) -> Option<(u64, &str)> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || (len > 1 && s.starts_with('0')) {
        return None;
    }
    let (digits, rest) = s.split_at(len);
    Some((digits.parse().ok()?, rest))
}

/// A step line with its event and output as they lie in the text. It accepts what a
/// [`StepLine`](super::StepLine) accepts, except that the output is only checked to be JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep<'a> {
    step: usize,
    at: UnixMillis,
    #[serde(borrow)]
    event: &'a RawValue,
    #[serde(borrow)]
    output: &'a RawValue,
}

/// The line raw, or `None` when [`parse_step`] must decide (duplicate keys, which the general
/// path collapses, make serde fail here).
fn read_raw(text: &str) -> Option<RawStep<'_>> {
    from_object(text)
}

/// What the replay of one step decided, short of a malformed line.
enum Verdict {
    /// The output matches: the model's answer, for later references.
    Same(Output),
    /// The replay stops here (a mismatch or an unresolvable event), once the rest of the file
    /// is known to read.
    Stop(Result<ReplayOutcome, TraceError>),
    /// Only [`Trace::read`] then [`replay`] settle this trace.
    GiveUp,
}

/// The replay state carried from step to step.
struct Replayer {
    server: AuthServer,
    resolver: Resolver,
    /// The model's outputs so far (index 0 = step 1), for value expressions.
    outputs: Vec<Output>,
    /// The model's current answer, written compactly (reused).
    written: Vec<u8>,
}

impl Replayer {
    /// Replay step line `text` (line `line`, which holds step `line - 1`). `Err` is a
    /// malformed line.
    fn step(&mut self, text: &str, line: usize) -> Result<Verdict, TraceError> {
        match read_written(text) {
            Some(written) => self.step_written(written, text, line),
            None => self.step_raw(text, line),
        }
    }

    /// [`Replayer::step`] of a line as [`Trace::to_jsonl`] writes it.
    fn step_written(
        &mut self,
        w: Written<'_>,
        text: &str,
        line: usize,
    ) -> Result<Verdict, TraceError> {
        let n = line - 1;
        if usize::try_from(w.step).ok() != Some(n) {
            // The general path words the error (the line may be malformed elsewhere too).
            parse_step(text, line, n)?;
            return Ok(Verdict::GiveUp);
        }
        let event = match self
            .resolver
            .resolve_read(w.expr, w.event, &self.outputs, line)
        {
            Ok(event) => event,
            Err(e) => return Ok(Verdict::Stop(Err(e))),
        };
        let out = self.server.apply(UnixMillis(w.at), &event);
        self.written.clear();
        write_output(&mut self.written, &out);
        if w.output.strip_suffix('}').map(str::as_bytes) == Some(self.written.as_slice()) {
            return Ok(Verdict::Same(out));
        }
        // The rest of the line is read in full to decide.
        let recorded = match read_raw(text) {
            // Same step, time and event text as read above.
            Some(raw) => decode(&raw, text, line)?,
            None => {
                // Malformed, or read only by the general path (whose step may differ).
                parse_step(text, line, n)?;
                return Ok(Verdict::GiveUp);
            }
        };
        Ok(compare(recorded, out, line))
    }

    /// [`Replayer::step`] of any other line.
    fn step_raw(&mut self, text: &str, line: usize) -> Result<Verdict, TraceError> {
        let n = line - 1;
        let Some(raw) = read_raw(text).filter(|raw| raw.step == n) else {
            let step = parse_step(text, line, n)?;
            let event = match self.resolver.resolve(&step.event, &self.outputs, line) {
                Ok(event) => event,
                Err(e) => return Ok(Verdict::Stop(Err(e))),
            };
            let out = self.server.apply(step.at, &event);
            return Ok(compare(step.output, out, line));
        };
        let event = match self.resolver.resolve(raw.event, &self.outputs, line) {
            Ok(event) => event,
            Err(e) => return Ok(Verdict::Stop(Err(e))),
        };
        let out = self.server.apply(raw.at, &event);
        Ok(compare(decode(&raw, text, line)?, out, line))
    }
}

/// The recorded output of `raw` (step line `text`, line `line`) decoded; what its text alone
/// does not decode (a duplicated key) is decided by the general path.
fn decode(raw: &RawStep<'_>, text: &str, line: usize) -> Result<Output, TraceError> {
    match serde_json::from_str::<Output>(raw.output.get()) {
        Ok(recorded) => Ok(recorded),
        Err(_) => Ok(parse_step(text, line, line - 1)?.output),
    }
}

/// The step on line `line` matches when the model's answer `out` equals `recorded`.
fn compare(recorded: Output, out: Output, line: usize) -> Verdict {
    if recorded == out {
        return Verdict::Same(out);
    }
    Verdict::Stop(Ok(ReplayOutcome::Mismatch {
        step: line - 1,
        line,
        recorded: Box::new(recorded),
        replayed: Box::new(out),
    }))
}
