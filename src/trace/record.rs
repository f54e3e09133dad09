//! [`Recorder`]: a trace written from code, one step at a time.

use crate::config::Config;
use crate::error::ConfigError;
use crate::event::Event;
use crate::output::Output;
use crate::profile::Profile;
use crate::server::AuthServer;
use crate::time::UnixMillis;

use super::{Header, StepLine, Trace};

/// A server that records every step it takes as a trace line, numbered from 1, under a header
/// that names its profile and configuration: the trace [`super::replay`] re-runs exactly.
///
/// ```
/// use oauth_oracle::trace::{Field, Recorder, ReplayOutcome, replay};
/// use oauth_oracle::{Config, Event, Profile, RegisterRequest, UnixMillis};
///
/// let mut rec = Recorder::new(Config::default(), Profile::fastmcp()).unwrap();
/// let body = r#"{"redirect_uris":["http://localhost:9999/cb"]}"#.into();
/// let out = rec.step(UnixMillis(1_800_000_000_000), Event::Register(RegisterRequest { body }));
/// assert!(Field::ClientId.extract(out).is_some());
/// let trace = rec.into_trace();
/// assert_eq!(trace.steps.len(), 1);
/// assert!(matches!(replay(&trace).unwrap(), ReplayOutcome::Match { .. }));
/// ```
#[derive(Debug)]
pub struct Recorder {
    server: AuthServer,
    trace: Trace,
}

impl Recorder {
    /// A fresh server for `config` and `profile`, and an empty trace.
    pub fn new(config: Config, profile: Profile) -> Result<Self, ConfigError> {
        let header = Header::new(&profile, &config);
        Ok(Self {
            server: AuthServer::new(config, profile)?,
            trace: Trace {
                header,
                steps: Vec::new(),
            },
        })
    }

    /// Step the server with `event` at `at` ([`AuthServer::step`]), record the step, and return
    /// the server's answer.
    pub fn step(&mut self, at: UnixMillis, event: Event) -> &Output {
        let output = self.server.apply(at, &event);
        let line = StepLine {
            step: self.trace.steps.len() + 1,
            at,
            event: event.into(),
            output,
        };
        self.trace.steps.push(line);
        &self.trace.steps[self.trace.steps.len() - 1].output
    }

    /// The server as the steps so far left it.
    pub fn server(&self) -> &AuthServer {
        &self.server
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The trace, header and every step.
    pub fn into_trace(self) -> Trace {
        self.trace
    }
}
