//! The invariant catalogue run against a live provider: a conformance report with, per invariant,
//! its level, citation, PASS / FAIL / NOT APPLICABLE and, per FAIL, a minimal replayable trace.

use std::time::Duration;

use serde::Serialize;

use crate::check::minimize;
use crate::invariant::{CATALOG, Checker, Expectations, Level, Tally, Violation};
use crate::output::Output;
use crate::target::{Target, TargetError, wall_clock};
use crate::trace::{Trace, resolve_step_event};

/// Run `trace`'s events against `target` in real time, checking every answer. The recorded
/// outputs of the returned trace are the target's.
pub fn audit_flow(
    trace: &Trace,
    target: &mut dyn Target,
    exp: &Expectations,
) -> Result<(Vec<Violation>, Checker, Trace), TargetError> {
    let mut checker = Checker::new(exp.clone());
    let mut outputs: Vec<Output> = Vec::new();
    let mut violations = Vec::new();
    let mut observed = Trace {
        header: trace.header.clone(),
        steps: Vec::new(),
    };
    let at0 = trace.steps.first().map_or(0, |s| s.at.0);
    let start = wall_clock();
    for (i, step) in trace.steps.iter().enumerate() {
        let due = start.0 + (step.at.0 - at0);
        let now = wall_clock();
        if now.0 < due {
            std::thread::sleep(Duration::from_millis(due - now.0));
        }
        let Ok(event) = resolve_step_event(&step.event, &outputs, i + 2) else {
            break;
        };
        let at = wall_clock();
        let out = target.send(at, &event)?;
        violations.extend(checker.observe(i + 1, at, &event, &out));
        let mut line = step.clone();
        line.at = at;
        line.output = out.clone();
        observed.steps.push(line);
        outputs.push(out);
    }
    Ok((violations, checker, observed))
}

/// Shrink a trace that broke `invariant` on `target`: drop steps while a re-run still breaks it.
/// At most `budget` re-runs.
pub fn shrink_violation(
    trace: &Trace,
    target: &mut dyn Target,
    exp: &Expectations,
    invariant: &str,
    budget: usize,
) -> Result<Trace, TargetError> {
    let breaks = |t: &Trace, target: &mut dyn Target| -> Result<bool, TargetError> {
        Ok(audit_flow(t, target, exp)?
            .0
            .iter()
            .any(|v| v.invariant == invariant))
    };
    let keep: Vec<usize> = (0..trace.steps.len()).collect();
    let minimal = minimize(trace, keep, budget, |t| breaks(t, target))?;
    Ok(audit_flow(&minimal, target, exp)?.2)
}

/// The outcome of one invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    /// Evaluated and never broken.
    #[serde(rename = "PASS")]
    Pass,
    /// Broken at least once.
    #[serde(rename = "FAIL")]
    Fail,
    /// Never evaluated (the provider lacks the feature, or no flow reached it).
    #[serde(rename = "NOT APPLICABLE")]
    NotApplicable,
}

impl Status {
    /// The verdict as the report prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::NotApplicable => "NOT APPLICABLE",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Invariant id.
    pub invariant: &'static str,
    /// RFC 2119 level.
    pub level: Level,
    /// Citation.
    pub citation: &'static str,
    /// One sentence.
    pub summary: &'static str,
    /// The verdict.
    pub status: Status,
    /// Checks run and violations.
    pub tally: Tally,
    /// The first violation, if any.
    pub detail: Option<String>,
    /// The minimal trace of the first violation, as JSON Lines.
    pub trace: Option<String>,
}

/// A conformance report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The provider audited.
    pub target: String,
    /// Flows run.
    pub flows: u64,
    /// Requests sent.
    pub requests: u64,
    /// One entry per catalogue invariant (the model-internal one excluded).
    pub entries: Vec<Entry>,
}

impl Report {
    /// A report from per-invariant tallies and the first violation (with its minimal trace) of each.
    pub fn new(
        target: String,
        flows: u64,
        requests: u64,
        tallies: &std::collections::BTreeMap<&'static str, Tally>,
        failures: &[(Violation, Trace)],
    ) -> Self {
        let entries = CATALOG
            .iter()
            .filter(|i| i.id != "store-pairs-consistent")
            .map(|inv| {
                let tally = tallies.get(inv.id).copied().unwrap_or_default();
                let failure = failures.iter().find(|(v, _)| v.invariant == inv.id);
                let status = match (tally.checks, tally.violations) {
                    (0, _) => Status::NotApplicable,
                    (_, 0) => Status::Pass,
                    _ => Status::Fail,
                };
                Entry {
                    invariant: inv.id,
                    level: inv.level,
                    citation: inv.citation,
                    summary: inv.summary,
                    status,
                    tally,
                    detail: failure.map(|(v, _)| v.detail.clone()),
                    trace: failure.map(|(_, t)| t.to_jsonl()),
                }
            })
            .collect();
        Self {
            target,
            flows,
            requests,
            entries,
        }
    }

    /// How many invariants have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.entries.iter().filter(|e| e.status == status).count()
    }

    /// The report as Markdown.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "# OAuth conformance audit of {}\n\n{} flows, {} requests. {} PASS, {} FAIL, {} NOT APPLICABLE.\n\n| invariant | level | status | checks | violations | citation |\n|---|---|---|---:|---:|---|\n",
            self.target,
            self.flows,
            self.requests,
            self.count(Status::Pass),
            self.count(Status::Fail),
            self.count(Status::NotApplicable)
        );
        for e in &self.entries {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                e.invariant,
                e.level.as_str(),
                e.status.as_str(),
                e.tally.checks,
                e.tally.violations,
                e.citation
            ));
        }
        for e in self.entries.iter().filter(|e| e.status == Status::Fail) {
            s.push_str(&format!(
                "\n## FAIL `{}` ({})\n\n{}\n\nFirst violation: {}\n\n",
                e.invariant,
                e.level.as_str(),
                e.summary,
                e.detail.as_deref().unwrap_or("")
            ));
            if let Some(t) = &e.trace {
                s.push_str(&format!(
                    "Minimal trace (`oauth-oracle replay --target {} FILE`):\n\n```jsonl\n{t}```\n",
                    self.target
                ));
            }
        }
        s
    }

    /// The report as JUnit XML: one test case per invariant.
    pub fn junit(&self) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let mut s = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"oauth-oracle audit {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
            esc(&self.target),
            self.entries.len(),
            self.count(Status::Fail),
            self.count(Status::NotApplicable)
        );
        for e in &self.entries {
            s.push_str(&format!(
                "  <testcase classname=\"{}\" name=\"{}\">",
                e.level.as_str(),
                e.invariant
            ));
            match e.status {
                Status::Pass => {}
                Status::NotApplicable => s.push_str("<skipped message=\"not applicable\"/>"),
                Status::Fail => s.push_str(&format!(
                    "<failure message=\"{}\">{}\n{}</failure>",
                    esc(e.detail.as_deref().unwrap_or("")),
                    esc(&format!("{} ({})", e.summary, e.citation)),
                    esc(e.trace.as_deref().unwrap_or(""))
                )),
            }
            s.push_str("</testcase>\n");
        }
        s.push_str("</testsuite>\n");
        s
    }
}
