//! Time as the caller supplies it: integer Unix milliseconds.
//!
//! FastMCP compares a float `time.time()` against its expiries with a strict `<`; integer
//! milliseconds reproduce every boundary the `fastmcp` profile can observe (a code is still
//! valid at exactly its expiry and dead one millisecond later).

use serde::{Deserialize, Serialize};

/// A point in time, in milliseconds since the Unix epoch. Every [`crate::AuthServer::step`] takes
/// one; the model never reads a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// Python's `int(time.time())`: whole seconds, rounded down.
    pub fn whole_seconds(self) -> u64 {
        self.0 / 1000
    }

    /// `self + seconds`.
    pub fn plus_seconds(self, seconds: u64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Whether an expiry stored as whole seconds lies strictly before this instant
    /// (`expires_at < time.time()`).
    pub fn is_after_seconds(self, expires_at_s: u64) -> bool {
        expires_at_s.saturating_mul(1000) < self.0
    }
}
