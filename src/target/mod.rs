//! Targets: what a flow is run against — the in-process model, or a real server over HTTP.
//!
//! A target answers one [`Event`] at a time with an [`Output`] (status, the headers that matter,
//! the body). For the model that is the exact answer; for a live server it is what came back on
//! the wire, whatever it was: a garbage answer is an output to compare, never a crash. `Err` is
//! only for a server that cannot be reached at all.

#[cfg(feature = "diff")]
mod agent;
#[cfg(feature = "diff")]
mod clients;
#[cfg(feature = "diff")]
mod endpoints;
#[cfg(feature = "diff")]
mod hook;
#[cfg(feature = "diff")]
mod http;
#[cfg(feature = "diff")]
mod login;
#[cfg(feature = "diff")]
mod probe;

#[cfg(feature = "diff")]
pub use agent::{AgentOptions, MAX_HOPS, parse_login_field};
#[cfg(feature = "diff")]
pub use clients::{PRE_REGISTERED_REDIRECTS, PreClient, parse_client};
#[cfg(feature = "diff")]
pub use endpoints::{Endpoint, EndpointKind, Endpoints, MetadataSource};
#[cfg(feature = "diff")]
pub use http::{HttpTarget, MAX_BODY, body_too_large, check_base_url, parse_ca_certs};
#[cfg(feature = "diff")]
pub use probe::{ResourceProbe, parse_introspection};

use thiserror::Error;

use crate::event::Event;
use crate::output::Output;
use crate::server::AuthServer;
use crate::time::UnixMillis;

/// A provider could not be talked to.
#[derive(Debug, Error)]
pub enum TargetError {
    /// Connecting, sending or reading failed.
    #[error("{url}: {message}")]
    Transport {
        /// The URL requested.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The target's base URL cannot be used.
    #[error("target {url} {message}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it, and what to use instead.
        message: String,
    },
    /// The target's metadata could not be discovered.
    #[error("discovery at {url} failed: {message}")]
    Discovery {
        /// The metadata URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The `--ca-cert` file cannot be used.
    #[error("--ca-cert {path} {message}")]
    CaCert {
        /// The file as given.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The trace's header makes no server (its configuration or profile is invalid): nothing
    /// was sent.
    #[error("the trace's header: {0}")]
    Header(#[source] crate::trace::TraceError),
    /// The event needs an endpoint the target does not have (see [`Target::unsendable`]).
    #[error("not sent: {reason}")]
    NotSent {
        /// Why (`no revocation_endpoint in metadata`).
        reason: String,
    },
}

/// Something that answers events.
pub trait Target {
    /// A short name for reports.
    fn name(&self) -> String;
    /// Answer `event` sent at `at` (the model uses `at`; a live server uses its own clock).
    fn send(&mut self, at: UnixMillis, event: &Event) -> Result<Output, TargetError>;
    /// Why `event` cannot be sent to this target (an endpoint it needs is missing from the
    /// metadata), if it cannot. Runners skip such steps with this reason instead of sending them.
    fn unsendable(&self, _event: &Event) -> Option<String> {
        None
    }
    /// A new flow starts: a live target forgets the user agent's cookies, so that a flow's
    /// requests never depend on the flows run before it. Runners call it before a flow's first step.
    fn begin_flow(&mut self) {}
}

pub use crate::answer::{
    HOSTED_DOCUMENT_NOTE, NOTE_HEADER, PRE_REGISTERED_NOTE, ResourceAnswer, resource_answer,
};

/// Why a live target gave no answer to a step it was sent (status 0: the user agent stopped at a
/// login page it cannot fill, a login hook failed, introspection said nothing about the token),
/// if it gave none. Runners count such a step as not sent, with this reason, and check nothing.
pub fn unanswered(o: &Output) -> Option<String> {
    (o.status == 0).then(|| {
        o.header(NOTE_HEADER)
            .map_or_else(|| "no answer".to_owned(), str::to_owned)
    })
}

/// The in-process model as a target.
#[derive(Debug, Clone)]
pub struct ModelTarget {
    /// The model.
    pub server: AuthServer,
}

impl Target for ModelTarget {
    fn name(&self) -> String {
        format!("model ({})", self.server.profile().name)
    }

    fn send(&mut self, at: UnixMillis, event: &Event) -> Result<Output, TargetError> {
        Ok(self.server.apply(at, event))
    }
}

/// The wall clock, as a live server sees time (the model's clock in live runs).
#[allow(clippy::disallowed_methods)] // live servers run on the wall clock
pub fn wall_clock() -> UnixMillis {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    UnixMillis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// A monotonic instant, for pacing and timing live runs.
#[allow(clippy::disallowed_methods)] // live runs are paced in real time
pub fn monotonic_now() -> std::time::Instant {
    std::time::Instant::now()
}
