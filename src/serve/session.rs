//! One serving session: the model behind one lock, its clock, and its trace (a bounded copy in
//! memory, every line on disk with `--record`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use hyper::body::Bytes;
use serde::Serialize;

use super::ServeError;
use super::body::{ChunkBody, Chunks};

use crate::event::Event;
use crate::output::Output;
use crate::server::AuthServer;
use crate::time::UnixMillis;
use crate::trace::Header;

/// Where the model's `at` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// The wall clock, read once per request.
    System,
    /// Starts at the given instant and moves only through `POST /_oracle/clock`.
    Manual(UnixMillis),
}

/// A refused clock change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockError {
    /// The clock is the wall clock.
    NotManual,
    /// The change would move time backwards.
    Backwards {
        /// The current time.
        now: UnixMillis,
        /// The time asked for.
        asked: UnixMillis,
    },
}

impl std::fmt::Display for ClockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotManual => write!(
                f,
                "the clock is the system clock; start the server with --clock manual to set it"
            ),
            Self::Backwards { now, asked } => write!(
                f,
                "the clock only moves forward: asked for {}, it is already {}",
                asked.0, now.0
            ),
        }
    }
}

/// The wall clock in Unix milliseconds: `serve`'s one clock read (the model itself reads none; the
/// other reads in the crate time live-provider runs, in `crate::target` and the `diff` command).
#[allow(clippy::disallowed_methods)] // `serve --clock system`: the model's `at` is the wall clock.
fn wall_clock() -> UnixMillis {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    UnixMillis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// One step line, serialized exactly as [`crate::trace::StepLine`] (literal event).
#[derive(Serialize)]
struct StepOut<'a> {
    step: u64,
    at: UnixMillis,
    event: &'a Event,
    output: &'a Output,
}

/// The model and everything that must change with it in one critical section.
#[derive(Debug)]
pub(crate) struct Session {
    server: AuthServer,
    clock: ClockMode,
    /// The header line and its newline.
    header_line: Bytes,
    steps: u64,
    /// The kept step lines, as shared chunks.
    kept: Chunks,
    kept_steps: usize,
    cap_bytes: usize,
    record: Option<BufWriter<File>>,
    record_failed: bool,
}

/// A snapshot of the in-memory trace: handles on its shared chunks, not a copy.
pub(crate) struct TraceSnapshot {
    /// Header line + kept step lines, newline-terminated.
    pub(crate) body: ChunkBody,
    /// Steps served.
    pub(crate) steps: u64,
    /// Steps in `body`.
    pub(crate) kept: usize,
}

impl Session {
    /// A session over `server`, writing every line to `record` if given.
    pub(crate) fn new(
        server: AuthServer,
        clock: ClockMode,
        cap_bytes: usize,
        record: Option<&Path>,
    ) -> Result<Self, ServeError> {
        let header = Header::new(server.profile(), server.config());
        let mut header_line = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
        header_line.push(b'\n');
        let record = match record {
            Some(path) => {
                let file = File::create(path).map_err(|source| ServeError::Record {
                    action: "create",
                    path: path.to_owned(),
                    source,
                })?;
                let mut w = BufWriter::new(file);
                w.write_all(&header_line)
                    .and_then(|()| w.flush())
                    .map_err(|source| ServeError::Record {
                        action: "write",
                        path: path.to_owned(),
                        source,
                    })?;
                Some(w)
            }
            None => None,
        };
        Ok(Self {
            server,
            clock,
            header_line: Bytes::from(header_line),
            steps: 0,
            kept: Chunks::default(),
            kept_steps: 0,
            cap_bytes,
            record,
            record_failed: false,
        })
    }

    /// The model's current time.
    pub(crate) fn now(&self) -> UnixMillis {
        match self.clock {
            ClockMode::System => wall_clock(),
            ClockMode::Manual(at) => at,
        }
    }

    /// Whether the clock is manual.
    pub(crate) fn is_manual(&self) -> bool {
        matches!(self.clock, ClockMode::Manual(_))
    }

    /// Set the manual clock to `at` (never backwards).
    pub(crate) fn set_clock(&mut self, at: UnixMillis) -> Result<UnixMillis, ClockError> {
        match self.clock {
            ClockMode::System => Err(ClockError::NotManual),
            ClockMode::Manual(now) if at < now => Err(ClockError::Backwards { now, asked: at }),
            ClockMode::Manual(_) => {
                self.clock = ClockMode::Manual(at);
                Ok(at)
            }
        }
    }

    /// Answer one request at the session's time and append it to the trace.
    /// How long the answer of the last step is to be held (a scripted delay), in milliseconds.
    pub(crate) fn delay_ms(&self) -> u64 {
        self.server.delay_ms()
    }

    pub(crate) fn step(&mut self, event: &Event) -> Output {
        let at = self.now();
        let output = self.server.apply(at, event);
        self.steps += 1;
        let line = StepOut {
            step: self.steps,
            at,
            event,
            output: &output,
        };
        match serde_json::to_string(&line) {
            Ok(text) => self.append(text),
            Err(e) => eprintln!("oauth-oracle serve: step {}: {e}", self.steps),
        }
        output
    }

    fn append(&mut self, line: String) {
        if let Some(w) = &mut self.record {
            let written = w
                .write_all(line.as_bytes())
                .and_then(|()| w.write_all(b"\n"))
                .and_then(|()| w.flush());
            if let Err(e) = written
                && !self.record_failed
            {
                self.record_failed = true;
                eprintln!(
                    "oauth-oracle serve: --record: writing step {} failed: {e}",
                    self.steps
                );
            }
        }
        // Keep a replayable prefix: once the cap is reached, later steps live only on disk.
        if self.kept_steps as u64 + 1 == self.steps && self.kept.len() + line.len() < self.cap_bytes
        {
            self.kept_steps += 1;
            self.kept.push_line(line);
        }
    }

    /// The trace so far (header + the kept prefix of the steps), sharing the kept chunks: cheap
    /// under the lock, and the same memory for every client streaming it.
    pub(crate) fn trace(&self) -> TraceSnapshot {
        TraceSnapshot {
            body: self.kept.body(&self.header_line),
            steps: self.steps,
            kept: self.kept_steps,
        }
    }

    /// Flush the recording.
    pub(crate) fn flush(&mut self) {
        if let Some(w) = &mut self.record
            && let Err(e) = w.flush()
        {
            eprintln!("oauth-oracle serve: --record: flush failed: {e}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Config, Profile};

    fn session(cap: usize) -> Session {
        let server = AuthServer::new(Config::default(), Profile::fastmcp()).unwrap();
        Session::new(server, ClockMode::Manual(UnixMillis(1000)), cap, None).unwrap()
    }

    #[test]
    fn manual_clock_refuses_to_go_backwards() {
        let mut s = session(1 << 20);
        assert_eq!(s.set_clock(UnixMillis(2000)), Ok(UnixMillis(2000)));
        assert_eq!(
            s.set_clock(UnixMillis(1999)),
            Err(ClockError::Backwards {
                now: UnixMillis(2000),
                asked: UnixMillis(1999)
            })
        );
        assert_eq!(s.now(), UnixMillis(2000));
    }

    #[test]
    fn trace_keeps_a_replayable_prefix_within_its_byte_cap() {
        let mut s = session(2000);
        for _ in 0..10 {
            let _ = s.step(&Event::AuthorizationServerMetadata);
        }
        let snap = s.trace();
        assert_eq!(snap.steps, 10);
        assert!(snap.kept < 10);
        let trace = crate::trace::Trace::read(&snap.body.to_vec()[..]).unwrap();
        assert_eq!(trace.steps.len(), snap.kept);
        assert_eq!(
            crate::trace::replay(&trace).unwrap(),
            crate::trace::ReplayOutcome::Match { steps: snap.kept }
        );
    }
}
