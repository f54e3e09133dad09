//! Replaying a trace straight from its JSON Lines, in one pass: [`replay_jsonl`].
//!
//! [`Trace::read`] then [`replay`] decodes every recorded output before the first step runs.
//! Here each step line is read with its output kept as text: the model's answer is written
//! compactly (`super::compact`, the bytes [`Trace::to_jsonl`] writes) and compared byte for
//! byte with the recorded text. Only when the bytes differ is the recorded output decoded and
//! compared field by field (so a hand-edited trace with other spacing still matches).
//!
//! A line written as [`Trace::to_jsonl`] writes it (`{"step":N,"at":T,"event":E,"output":O}`)
//! is read without `serde_json` finding the end of `O` first: the event is read (by the
//! [`EventExpr`] deserializer every trace line goes through), and the output is checked by the
//! comparison itself (text equal to an output's compact JSON is that output's JSON). Any other
//! line, and a line whose output differs, is read whole by [`parse_step`].
//!
//! The outcome and the errors are those of [`Trace::read`] then [`replay`]: once the replay has
//! an answer other than "every output matches" (a mismatch, an unresolvable event, a
//! configuration the model refuses), the rest of the file is read as `Trace::read` reads it, so
//! a malformed line anywhere is still reported first. A file that is not UTF-8 is replayed the
//! two-phase way (`Trace::read` names the line).

use std::io::Read;

use super::compact::write_output;
use super::read::{parse_header, parse_step, read_step_line};
use super::{EventExpr, ReplayOutcome, Resolver, StepLine, Trace, TraceError, malformed, replay};
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
    match std::str::from_utf8(bytes) {
        Ok(text) => replay_text(text),
        // `Trace::read` names the line and the field.
        Err(_) => Trace::read(bytes).and_then(|t| replay(&t)),
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

/// The replay of `text`.
pub(super) fn replay_text(text: &str) -> Result<ReplayOutcome, TraceError> {
    let mut lines = lines(text);
    let Some(first) = lines.next() else {
        return Err(malformed(1, "header", "the trace is empty"));
    };
    let header = parse_header(first)?;
    let mut replayer = match header.server() {
        Ok(server) => Replayer {
            server,
            resolver: Resolver::new(),
            outputs: Vec::new(),
            written: Vec::new(),
        },
        Err(e) => return read_rest(lines, 1, Err(e)),
    };
    let mut line = 1;
    while let Some(text) = lines.next() {
        line += 1;
        if text.trim().is_empty() {
            return Err(malformed(line, "step", "blank line"));
        }
        match replayer.step(text, line)? {
            Verdict::Same(out) => replayer.outputs.push(out),
            Verdict::Stop(outcome) => {
                // This line too is read again in full, as `Trace::read` read it.
                return read_rest(std::iter::once(text).chain(lines), line - 1, outcome);
            }
        }
    }
    Ok(ReplayOutcome::Match {
        steps: replayer.outputs.len(),
    })
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
    /// The event.
    event: EventExpr,
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
    let event = events.next()?.ok()?;
    let output = rest
        .get(events.byte_offset()..)?
        .strip_prefix(",\"output\":")?;
    Some(Written {
        step,
        at,
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

/// What the replay of one step decided, short of a malformed line.
enum Verdict {
    /// The output matches: the model's answer, for later references.
    Same(Output),
    /// The replay stops here (a mismatch or an unresolvable event), once the rest of the file
    /// is known to read.
    Stop(Result<ReplayOutcome, TraceError>),
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
        let n = line - 1;
        let Some(w) = read_written(text).filter(|w| usize::try_from(w.step).ok() == Some(n)) else {
            return Ok(self.step_line(parse_step(text, line, n)?, line));
        };
        let event = match self.resolver.resolve(w.event, &self.outputs, line) {
            Ok(event) => event,
            Err(e) => return Ok(Verdict::Stop(Err(e))),
        };
        let out = self.server.apply(UnixMillis(w.at), &event);
        self.written.clear();
        write_output(&mut self.written, &out);
        if w.output.strip_suffix('}').map(str::as_bytes) == Some(self.written.as_slice()) {
            return Ok(Verdict::Same(out));
        }
        // The whole line decides (the same step, time and event, read again).
        let recorded = parse_step(text, line, n)?.output;
        Ok(compare(recorded, out, line))
    }

    /// [`Replayer::step`] of a line read whole.
    fn step_line(&mut self, step: StepLine, line: usize) -> Verdict {
        let event = match self.resolver.resolve(step.event, &self.outputs, line) {
            Ok(event) => event,
            Err(e) => return Verdict::Stop(Err(e)),
        };
        let out = self.server.apply(step.at, &event);
        compare(step.output, out, line)
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
