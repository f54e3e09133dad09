//! Security invariants: the catalogue and a checker over observed steps.
//!
//! The [`Checker`] sees only what a client sees — each request as sent and the answer — and keeps
//! a ledger of what the server issued (clients, codes, token pairs, grants, revocations). Every
//! step is checked against the ledger, so the same checker judges the in-process model, a live
//! provider over HTTP, a proptest state machine and a fuzz target.

mod audience;
mod catalog;
mod deviations;
mod documents;
mod ledger;
mod rules;

pub use catalog::{CATALOG, InvariantId};
pub use deviations::{CLOUDFLARE_DEVIATIONS, documented_deviations};
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
    pub id: InvariantId,
    /// Requirement level.
    pub level: Level,
    /// Where the requirement is written.
    pub citation: &'static str,
    /// One sentence.
    pub summary: &'static str,
    /// The FastMCP deviation that breaks it, if FastMCP does.
    pub fastmcp_deviation: Option<&'static str>,
}

/// The catalogue entry with identifier `id` (its text).
pub fn invariant(id: &str) -> Option<&'static Invariant> {
    InvariantId::from_id(id).map(InvariantId::invariant)
}

/// A step that broke an invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The invariant's identifier.
    pub invariant: InvariantId,
    /// The 1-based step number.
    pub step: usize,
    /// What happened.
    pub detail: String,
}

/// Checks run and violations found, per invariant, the checks split by the answer they judged.
///
/// A *negative probe* is a check made on an answer that refused the request (a status of 400 or
/// more, or a redirect carrying `error`: [`crate::coverage::refused`]): a wrong move was refused
/// and the refusal was judged. A *positive check* is one made on any other answer: the server
/// did something that could have broken the invariant (issued a code, a token, accepted a
/// request) and the check judged what it did. `checks` is always `positive + negative`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Tally {
    /// Times the invariant was evaluated.
    pub checks: u64,
    /// Times it was broken.
    pub violations: u64,
    /// Checks made on answers that did not refuse the request.
    pub positive: u64,
    /// Checks made on answers that refused the request (negative probes).
    pub negative: u64,
}

/// A checker's [`Tally`] per invariant: one slot per catalogue entry, so that counting a check
/// is an index, not a map search (a checked step counts a dozen). Read like a map ordered by id
/// that holds the invariants checked at least once ([`Tallies::get`], iteration), and printed
/// as one.
#[derive(Clone, PartialEq, Eq)]
pub struct Tallies(Vec<Tally>);

impl Default for Tallies {
    fn default() -> Self {
        Self(vec![Tally::default(); InvariantId::ALL.len()])
    }
}

impl Tallies {
    /// The tally of `id`, if it was checked.
    pub fn get(&self, id: &InvariantId) -> Option<&Tally> {
        self.0.get(*id as usize).filter(|t| t.checks > 0)
    }

    /// The invariants checked, in id order, with their tallies.
    pub fn iter(&self) -> impl Iterator<Item = (&'static InvariantId, &Tally)> + '_ {
        InvariantId::in_text_order()
            .iter()
            .filter_map(|id| Some((id, self.get(id)?)))
    }

    /// The slot of `id`, to count in.
    pub(crate) fn slot(&mut self, id: InvariantId) -> &mut Tally {
        &mut self.0[id as usize]
    }
}

impl<'a> IntoIterator for &'a Tallies {
    type Item = (&'static InvariantId, &'a Tally);
    type IntoIter = Box<dyn Iterator<Item = Self::Item> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl std::fmt::Debug for Tallies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Tally {
    /// Add another tally's counts.
    pub fn add(&mut self, other: &Self) {
        self.checks += other.checks;
        self.violations += other.violations;
        self.positive += other.positive;
        self.negative += other.negative;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// `Tallies` reads as the map ordered by id it replaced: the checked invariants only, in id
    /// order, printed alike.
    #[test]
    fn tallies_read_as_a_map_ordered_by_id() {
        let mut tallies = Tallies::default();
        let mut map = BTreeMap::new();
        // Counted in reverse catalogue order.
        for (n, id) in InvariantId::ALL.iter().rev().take(3).enumerate() {
            let t = tallies.slot(*id);
            t.checks += n as u64 + 1;
            t.positive += n as u64 + 1;
            map.insert(*id, *t);
        }
        let read: Vec<_> = tallies.iter().map(|(id, t)| (*id, *t)).collect();
        let expected: Vec<_> = map.iter().map(|(id, t)| (*id, *t)).collect();
        assert_eq!(read, expected);
        assert_eq!(format!("{tallies:?}"), format!("{map:?}"));
        assert_eq!(tallies.get(&InvariantId::ALL[0]), None);
        let last = InvariantId::ALL[InvariantId::ALL.len() - 1];
        assert_eq!(tallies.get(&last), map.get(&last));
    }
}
