//! Invariant campaigns over the model: generated flows, every step checked, violations shrunk to
//! minimal replayable traces.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::error::ConfigError;
use crate::generate::Generator;
use crate::invariant::{Checker, Expectations, Tally, Violation};
use crate::output::Output;
use crate::profile::Profile;
use crate::rng::Seed;
use crate::trace::{Resolver, StepLine, Trace, TraceError};

/// Run `trace`'s events through a fresh model, checking every step; the outputs are the model's
/// (the trace's recorded outputs are ignored). Returns the violations and the checker.
pub fn check_trace(trace: &Trace) -> Result<(Vec<Violation>, Checker), TraceError> {
    let mut server = trace.server()?;
    let mut checker = Checker::new(Expectations::from_config(&trace.header.config));
    let mut outputs: Vec<Output> = Vec::with_capacity(trace.steps.len());
    let mut violations = Vec::new();
    let mut resolver = Resolver::new();
    for (i, step) in trace.steps.iter().enumerate() {
        let event = resolver.resolve(&step.event, &outputs, i + 2)?;
        let out = server.apply(step.at, &event);
        violations.extend(checker.observe(i + 1, step.at, &event, &out));
        violations.extend(checker.internal(i + 1, server.provider().check_consistency()));
        outputs.push(out);
    }
    Ok((violations, checker))
}

/// Renumber the `ref`s of `event` after steps were removed; `None` if it refers to a removed step.
fn renumber(event: &Value, map: &[Option<usize>]) -> Option<Value> {
    match event {
        Value::Object(m) if m.contains_key("ref") => {
            let old = usize::try_from(m.get("ref")?.as_u64()?).ok()?;
            let new = (*map.get(old.checked_sub(1)?)?)?;
            let mut m = m.clone();
            m.insert("ref".into(), Value::from(new));
            Some(Value::Object(m))
        }
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                out.insert(k.clone(), renumber(v, map)?);
            }
            Some(Value::Object(out))
        }
        Value::Array(a) => a
            .iter()
            .map(|v| renumber(v, map))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        other @ (Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)) => {
            Some(other.clone())
        }
    }
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
        let event = renumber(&s.event_value(), &map)?;
        steps.push(StepLine::new(new + 1, s.at, &event, s.output.clone()));
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
        let event = resolver.resolve(&step.event, &outputs, i + 2)?;
        step.output = server.apply(step.at, &event);
        outputs.push(step.output.clone());
    }
    Ok(())
}

fn breaks(trace: &Trace, invariant: &str) -> bool {
    check_trace(trace).is_ok_and(|(v, _)| v.iter().any(|v| v.invariant == invariant))
}

/// Minimise `trace` to a subsequence of `keep` whose subtrace still satisfies `still_fails`:
/// drop chunks of steps, halving the chunk size, until no single step can go, with at most
/// `budget` evaluations. Shared by `check` (model), `diff` and `audit` (live providers).
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
pub fn shrink(trace: &Trace, invariant: &str) -> Trace {
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
    pub invariant: &'static str,
    /// The case that first broke it.
    pub case: u64,
    /// The violation as first seen.
    pub detail: String,
    /// The minimal trace, as JSON Lines.
    #[serde(skip)]
    pub minimal: Trace,
    /// Steps in the minimal trace.
    pub minimal_steps: usize,
}

/// The result of a campaign.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Profile checked.
    pub profile: String,
    /// Cases run.
    pub cases: u64,
    /// Steps run.
    pub steps: u64,
    /// Per invariant: checks and violations.
    pub tallies: BTreeMap<&'static str, Tally>,
    /// One shrunk failure per broken invariant.
    pub failures: Vec<Failure>,
}

/// A campaign: `cases` generated flows of `steps` steps each.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// The profile under test.
    pub profile: Profile,
    /// The server configuration (its seed is replaced per case).
    pub config: Config,
    /// Number of flows.
    pub cases: u64,
    /// Steps per flow.
    pub steps: usize,
    /// Campaign seed.
    pub seed: u64,
    /// Whether to shrink failures.
    pub shrink: bool,
}

impl Campaign {
    /// The seed of case `case`.
    pub fn case_seed(&self, case: u64) -> Seed {
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&self.seed.to_le_bytes());
        b[8..16].copy_from_slice(&case.to_le_bytes());
        b[16..24].copy_from_slice(b"oauthchk");
        Seed(b)
    }

    /// The generated trace of case `case`.
    pub fn case_trace(&self, case: u64) -> Result<Trace, ConfigError> {
        let config = Config {
            seed: self.case_seed(case),
            ..self.config.clone()
        };
        Ok(Generator::new(self.profile.clone(), config)?.run(self.steps))
    }

    /// Run the campaign; `progress(case)` is called after each case.
    pub fn run(&self, mut progress: impl FnMut(u64, &Report)) -> Result<Report, ConfigError> {
        let mut report = Report {
            profile: self.profile.name.to_owned(),
            cases: 0,
            steps: 0,
            tallies: BTreeMap::new(),
            failures: Vec::new(),
        };
        for case in 0..self.cases {
            let trace = self.case_trace(case)?;
            let Ok((violations, checker)) = check_trace(&trace) else {
                continue;
            };
            report.cases += 1;
            report.steps += trace.steps.len() as u64;
            for (id, t) in checker.tallies() {
                let e = report.tallies.entry(id).or_default();
                e.checks += t.checks;
                e.violations += t.violations;
            }
            for v in violations {
                if report.failures.iter().any(|f| f.invariant == v.invariant) {
                    continue;
                }
                let minimal = if self.shrink {
                    shrink(&trace, v.invariant)
                } else {
                    trace.clone()
                };
                report.failures.push(Failure {
                    invariant: v.invariant,
                    case,
                    detail: v.detail,
                    minimal_steps: minimal.steps.len(),
                    minimal,
                });
            }
            progress(case, &report);
        }
        Ok(report)
    }
}
