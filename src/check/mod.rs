//! Invariant campaigns over the model: generated flows, every step checked, violations shrunk to
//! minimal replayable traces.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::coverage::Coverage;
use crate::invariant::{Checker, Expectations, InvariantId, Tally, Violation};
use crate::output::Output;
use crate::trace::{EventExpr, Resolver, StepLine, Trace, TraceError, ValueExpr};

mod merge;
mod run;

pub use merge::{MergeError, merge};
pub use run::{Campaign, Progress};

/// Run `trace`'s events through a fresh model, checking every step; the outputs are the model's
/// (the trace's recorded outputs are ignored). Returns the violations and the checker.
pub fn check_trace(trace: &Trace) -> Result<(Vec<Violation>, Checker), TraceError> {
    let mut server = trace.server()?;
    let mut checker = Checker::new(Expectations::for_model(
        &trace.header.config,
        &trace.header.profile,
    ));
    let mut outputs: Vec<Output> = Vec::with_capacity(trace.steps.len());
    let mut violations = Vec::new();
    let mut resolver = Resolver::new();
    for (i, step) in trace.steps.iter().enumerate() {
        let event = resolver.resolve(step.event.clone(), &outputs, i + 2)?;
        let out = server.apply(step.at, &event);
        violations.extend(checker.observe(i + 1, step.at, &event, &out));
        violations.extend(checker.internal(i + 1, server.provider().inconsistency()));
        outputs.push(out);
    }
    Ok((violations, checker))
}

/// `event` with its references renumbered after steps were removed (`map[old - 1]` is the
/// new number); `None` if it refers to a removed step.
fn renumber(event: &EventExpr, map: &[Option<usize>]) -> Option<EventExpr> {
    fn expr(e: ValueExpr, map: &[Option<usize>]) -> Option<ValueExpr> {
        Some(match e {
            ValueExpr::Lit(_) => e,
            ValueExpr::Ref { step, field } => {
                let old = usize::try_from(step).ok()?.checked_sub(1)?;
                ValueExpr::of((*map.get(old)?)?, field)
            }
            ValueExpr::Concat(parts) => ValueExpr::Concat(
                parts
                    .into_iter()
                    .map(|p| expr(p, map))
                    .collect::<Option<_>>()?,
            ),
            ValueExpr::Basic(pair) => {
                let (id, secret) = *pair;
                ValueExpr::Basic(Box::new((expr(id, map)?, expr(secret, map)?)))
            }
        })
    }
    event.clone().try_map(|_, e| expr(e, map).ok_or(())).ok()
}

/// The trace keeping only the steps at `keep` (indices into `trace.steps`), with references and
/// recorded outputs recomputed; `None` if a kept step refers to a dropped one.
pub fn subtrace(trace: &Trace, keep: &[usize]) -> Option<Trace> {
    let mut map = vec![None; trace.steps.len()];
    for (new, &old) in keep.iter().enumerate() {
        map[old] = Some(new + 1);
    }
    let mut steps = Vec::with_capacity(keep.len());
    for (new, &old) in keep.iter().enumerate() {
        let s = &trace.steps[old];
        steps.push(StepLine {
            step: new + 1,
            at: s.at,
            event: renumber(&s.event, &map)?,
            output: s.output.clone(),
        });
    }
    let mut t = Trace {
        header: trace.header.clone(),
        steps,
    };
    rerecord(&mut t).ok()?;
    Some(t)
}

/// Replace the recorded outputs with what the model answers now.
pub fn rerecord(trace: &mut Trace) -> Result<(), TraceError> {
    let mut server = trace.server()?;
    let mut outputs: Vec<Output> = Vec::new();
    let mut resolver = Resolver::new();
    for (i, step) in trace.steps.iter_mut().enumerate() {
        let event = resolver.resolve(step.event.clone(), &outputs, i + 2)?;
        step.output = server.apply(step.at, &event);
        outputs.push(step.output.clone());
    }
    Ok(())
}

fn breaks(trace: &Trace, invariant: InvariantId) -> bool {
    check_trace(trace).is_ok_and(|(v, _)| v.iter().any(|v| v.invariant == invariant))
}

/// Minimise `trace` to a subsequence of `keep` whose subtrace still satisfies `still_fails`:
/// drop chunks of steps, halving the chunk size, until no single step can go, with at most
/// `budget` evaluations. Shared by `check` (model), `diff` and `audit` (live servers).
pub fn minimize<E>(
    trace: &Trace,
    mut keep: Vec<usize>,
    budget: usize,
    mut still_fails: impl FnMut(&Trace) -> Result<bool, E>,
) -> Result<Trace, E> {
    let mut runs = 0;
    let mut chunk = keep.len().div_ceil(2).max(1);
    while runs < budget {
        let mut i = 0;
        let mut progressed = false;
        while i < keep.len() && runs < budget {
            let end = (i + chunk).min(keep.len());
            let candidate: Vec<usize> = keep[..i].iter().chain(&keep[end..]).copied().collect();
            let Some(t) = subtrace(trace, &candidate).filter(|_| !candidate.is_empty()) else {
                i += chunk;
                continue;
            };
            runs += 1;
            if still_fails(&t)? {
                keep = candidate;
                progressed = true;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 && !progressed {
            break;
        }
        chunk = if progressed {
            chunk
        } else {
            (chunk / 2).max(1)
        };
    }
    Ok(subtrace(trace, &keep).unwrap_or_else(|| trace.clone()))
}

/// Shrink `trace` to a minimal one that still breaks `invariant` on the model.
pub fn shrink(trace: &Trace, invariant: InvariantId) -> Trace {
    let mut keep: Vec<usize> = (0..trace.steps.len()).collect();
    // Nothing after the first violation matters.
    if let Ok((v, _)) = check_trace(trace)
        && let Some(first) = v.iter().find(|v| v.invariant == invariant)
    {
        keep.truncate(first.step);
    }
    let minimal: Result<Trace, std::convert::Infallible> =
        minimize(trace, keep, usize::MAX, |t| Ok(breaks(t, invariant)));
    minimal.unwrap_or_else(|e| match e {})
}

/// One invariant's failure in a campaign: the first case that broke it, shrunk.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The invariant.
    pub invariant: InvariantId,
    /// The case that first broke it.
    pub case: u64,
    /// The violation as first seen.
    pub detail: String,
    /// Steps in the minimal trace.
    pub minimal_steps: usize,
    /// The minimal trace; in JSON an array of its JSON Lines (header first), each kept on one line.
    #[serde(rename = "minimal_trace", serialize_with = "merge::trace_lines")]
    pub minimal: Trace,
}

/// Which cases a campaign runs: shard `I/N` (1-based) holds the cases `c` with
/// `c mod N = I - 1` (round robin, so the shards get the same amount of work).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Shard `index` of `count`; `None` unless `1 <= index <= count`.
    pub fn new(index: u64, count: u64) -> Option<Self> {
        (index >= 1 && index <= count).then_some(Self { index, count })
    }

    /// The 1-based index.
    pub fn index(self) -> u64 {
        self.index
    }

    /// The number of shards.
    pub fn count(self) -> u64 {
        self.count
    }

    /// How many of the cases `0..cases` this shard holds.
    pub fn len(self, cases: u64) -> u64 {
        cases.saturating_sub(self.index - 1).div_ceil(self.count)
    }

    /// The `k`-th case (0-based) this shard holds.
    fn case(self, k: u64) -> u64 {
        self.index - 1 + k * self.count
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N`, with `1 <= I <= N`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a shard I/N with 1 <= I <= N (e.g. 2/4)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (i, n) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Self::new(i, n).ok_or_else(bad)
    }
}

impl Serialize for Shard {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Shard {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What a campaign was asked to run; `merge` checks that shard reports share it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Campaign seed.
    pub seed: u64,
    /// Cases of the whole campaign (all shards).
    pub cases: u64,
    /// Steps per case.
    pub steps: usize,
    /// Whether failures were shrunk.
    pub shrink: bool,
    /// The shard run, absent for a whole campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

/// The result of a campaign (or of one shard of it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "merge::ReportFile")]
pub struct Report {
    /// Profile checked.
    pub profile: String,
    /// What was asked for.
    pub campaign: Plan,
    /// Cases run.
    pub cases: u64,
    /// Steps run.
    pub steps: u64,
    /// Steps generated and executed, flows stopped early and why (the model runs every step of
    /// a generated flow, so only a trace it cannot replay stops early).
    pub coverage: Coverage,
    /// Per invariant: checks (positive and negative) and violations.
    pub tallies: BTreeMap<InvariantId, Tally>,
    /// One failure per broken invariant: the first case to break it, in case order.
    pub failures: Vec<Failure>,
}

impl Report {
    fn empty(profile: String, campaign: Plan) -> Self {
        Self {
            profile,
            campaign,
            cases: 0,
            steps: 0,
            coverage: Coverage::default(),
            tallies: BTreeMap::new(),
            failures: Vec::new(),
        }
    }

    /// Add the results of other cases (disjoint from this report's): counts and tallies summed,
    /// the first failure per invariant by case order kept, failures ordered by case. Exactly what
    /// running all the cases in order gives, whatever order the parts are added in.
    fn absorb(&mut self, other: Self) {
        self.cases += other.cases;
        self.steps += other.steps;
        self.coverage.absorb(&other.coverage);
        for (id, t) in other.tallies {
            self.tallies.entry(id).or_default().add(&t);
        }
        self.failures.extend(other.failures);
        // Stable: failures of one case (all from one part) keep the order they were found in.
        self.failures.sort_by_key(|f| f.case);
        let mut seen = Vec::new();
        self.failures.retain(|f| {
            let first = !seen.contains(&f.invariant);
            seen.push(f.invariant);
            first
        });
    }
}
