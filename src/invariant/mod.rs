//! Security invariants: the catalogue and a checker over observed steps.
//!
//! The [`Checker`] sees only what a client sees — each request as sent and the answer — and keeps
//! a ledger of what the server issued (clients, codes, token pairs, grants, revocations). Every
//! step is checked against the ledger, so the same checker judges the in-process model, a live
//! provider over HTTP, a proptest state machine and a fuzz target.

mod catalog;
mod ledger;
mod rules;

pub use catalog::{CATALOG, InvariantId};
pub use ledger::{Checker, Expectations};

use serde::Serialize;

/// RFC 2119 requirement level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Level {
    /// MUST / MUST NOT / REQUIRED.
    #[serde(rename = "MUST")]
    Must,
    /// SHOULD / SHOULD NOT / RECOMMENDED.
    #[serde(rename = "SHOULD")]
    Should,
    /// MAY / OPTIONAL.
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    /// The RFC 2119 keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
            Self::May => "MAY",
        }
    }
}

/// One checkable requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Invariant {
    /// Stable identifier.
    pub id: &'static str,
    /// Requirement level.
    pub level: Level,
    /// Where the requirement is written.
    pub citation: &'static str,
    /// One sentence.
    pub summary: &'static str,
    /// The FastMCP deviation that breaks it, if FastMCP does.
    pub fastmcp_deviation: Option<&'static str>,
}

/// The catalogue entry with identifier `id`.
pub fn invariant(id: &str) -> Option<&'static Invariant> {
    CATALOG.iter().find(|i| i.id == id)
}

/// A step that broke an invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The invariant's identifier.
    pub invariant: &'static str,
    /// The 1-based step number.
    pub step: usize,
    /// What happened.
    pub detail: String,
}

/// Checks run and violations found, per invariant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Tally {
    /// Times the invariant was evaluated.
    pub checks: u64,
    /// Times it was broken.
    pub violations: u64,
}
