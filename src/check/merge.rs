//! Reading `check --json` reports back, and merging the reports of a campaign's shards into the
//! report one unsharded run prints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use super::{Failure, Plan, Report};
use crate::coverage::Coverage;
use crate::invariant::{InvariantId, Tally};
use crate::trace::Trace;

/// Why reports cannot be merged.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MergeError(String);

/// Serialize a trace as an array of its JSON Lines, each written as is.
pub(super) fn trace_lines<S: Serializer>(trace: &Trace, s: S) -> Result<S::Ok, S::Error> {
    let lines = trace
        .to_jsonl()
        .lines()
        .map(|l| RawValue::from_string(l.to_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(serde::ser::Error::custom)?;
    lines.serialize(s)
}

/// A report as JSON holds it.
#[derive(Deserialize)]
pub(super) struct ReportFile {
    profile: String,
    campaign: Plan,
    cases: u64,
    steps: u64,
    coverage: Coverage,
    tallies: BTreeMap<String, Tally>,
    failures: Vec<FailureFile>,
}

#[derive(Deserialize)]
struct FailureFile {
    invariant: String,
    case: u64,
    detail: String,
    minimal_steps: usize,
    minimal_trace: Vec<Box<RawValue>>,
}

fn known(id: &str) -> Result<InvariantId, String> {
    InvariantId::from_id(id)
        .ok_or_else(|| format!("unknown invariant `{id}` (a report of another version?)"))
}

impl TryFrom<ReportFile> for Report {
    type Error = String;

    fn try_from(r: ReportFile) -> Result<Self, String> {
        let mut tallies = BTreeMap::new();
        for (id, t) in r.tallies {
            tallies.insert(known(&id)?, t);
        }
        let mut failures = Vec::with_capacity(r.failures.len());
        for f in r.failures {
            let invariant = known(&f.invariant)?;
            let text: Vec<&str> = f.minimal_trace.iter().map(|l| l.get()).collect();
            let minimal = Trace::read(text.join("\n").as_bytes())
                .map_err(|e| format!("minimal trace of {invariant}: {e}"))?;
            if minimal.steps.len() != f.minimal_steps {
                return Err(format!(
                    "minimal trace of {invariant}: {} steps, minimal_steps says {}",
                    minimal.steps.len(),
                    f.minimal_steps
                ));
            }
            failures.push(Failure {
                invariant,
                case: f.case,
                detail: f.detail,
                minimal_steps: f.minimal_steps,
                minimal,
            });
        }
        Ok(Self {
            profile: r.profile,
            campaign: r.campaign,
            cases: r.cases,
            steps: r.steps,
            coverage: r.coverage,
            tallies,
            failures,
        })
    }
}

/// Merge the reports of every shard of one campaign, each named (e.g. by its file) for errors,
/// into exactly the report of the whole campaign. Refused: no report, a report that is not a
/// shard, reports of different campaigns (profile, seed, cases, steps, shrinking, shard count),
/// a shard given twice or missing.
pub fn merge(parts: Vec<(String, Report)>) -> Result<Report, MergeError> {
    let err = |m: String| Err(MergeError(m));
    let Some((first_name, first)) = parts.first() else {
        return err("no report to merge".to_owned());
    };
    let Some(first_shard) = first.campaign.shard else {
        return err(format!(
            "{first_name} is the report of a whole campaign, not of a shard (`check --shard I/N`)"
        ));
    };
    let count = first_shard.count();
    let mut given: BTreeMap<u64, &str> = BTreeMap::new();
    for (name, r) in &parts {
        let Some(shard) = r.campaign.shard else {
            return err(format!(
                "{name} is the report of a whole campaign, not of a shard (`check --shard I/N`)"
            ));
        };
        let (a, b) = (&r.campaign, &first.campaign);
        let differ = [
            ("profile", r.profile.clone(), first.profile.clone()),
            ("seed", a.seed.to_string(), b.seed.to_string()),
            ("cases", a.cases.to_string(), b.cases.to_string()),
            ("steps", a.steps.to_string(), b.steps.to_string()),
            ("shrink", a.shrink.to_string(), b.shrink.to_string()),
            ("shard count", shard.count().to_string(), count.to_string()),
        ]
        .into_iter()
        .find(|(_, x, y)| x != y);
        if let Some((what, x, y)) = differ {
            return err(format!(
                "{name} and {first_name} are not shards of one campaign: {what} {x} vs {y}"
            ));
        }
        if let Some(other) = given.insert(shard.index(), name) {
            return err(format!("shard {shard} given twice: {other} and {name}"));
        }
    }
    if given.len() as u64 != count {
        let missing: Vec<String> = (1..=count)
            .filter(|i| !given.contains_key(i))
            .take(10)
            .map(|i| format!("{i}/{count}"))
            .collect();
        return err(format!(
            "incomplete set of shards: missing {}{}",
            missing.join(", "),
            if count - given.len() as u64 > 10 {
                ", …"
            } else {
                ""
            }
        ));
    }
    let whole = Plan {
        shard: None,
        ..first.campaign.clone()
    };
    let mut report = Report::empty(first.profile.clone(), whole);
    for (_, r) in parts {
        report.absorb(r);
    }
    Ok(report)
}
