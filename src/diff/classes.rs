//! Divergence classes (`diff --keep-going`): divergent steps grouped by what went differently,
//! each class with one minimal trace.

use serde::Serialize;

use super::{FlowRun, RunOptions, StepRun, run_flow};
use crate::check::minimize;
use crate::target::{Target, TargetError};
use crate::trace::Trace;

/// What a divergent step did differently: the endpoint, the two statuses, the two `error` codes
/// and the model's decisive reason. Ordered field by field (a deterministic report order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct DivergenceClass {
    /// The step's kind (`register`, `authorize`, `token`, `revoke`, `resource`, …).
    pub endpoint: String,
    /// The model's status.
    pub model_status: u16,
    /// The target's status.
    pub target_status: u16,
    /// The model's `error` code, if any.
    pub model_error: Option<String>,
    /// The target's `error` code, if any.
    pub target_error: Option<String>,
    /// The rule that decided the model's answer (`ok` when it did what was asked).
    pub reason: String,
}

impl DivergenceClass {
    /// The class of `run`'s step `step` (`None` unless it diverged and both sides answered).
    pub fn of(trace: &Trace, step: &StepRun) -> Option<Self> {
        if !matches!(step.verdict, super::Verdict::Diverge(_)) {
            return None;
        }
        let (m, t) = (step.model.as_ref()?, step.target.as_ref()?);
        let reason = m
            .reason
            .and_then(|r| serde_json::to_value(r).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "ok".to_owned());
        Some(Self {
            endpoint: trace
                .steps
                .get(step.step.checked_sub(1)?)
                .map_or_else(|| "?".to_owned(), |l| l.event.kind().to_owned()),
            model_status: m.status,
            target_status: t.status,
            model_error: m.error_code(),
            target_error: t.error_code(),
            reason,
        })
    }

    /// Every class `run` (of `trace`) diverged in, with the step of its first occurrence.
    pub fn all(trace: &Trace, run: &FlowRun) -> Vec<(Self, usize)> {
        let mut out: Vec<(Self, usize)> = Vec::new();
        for s in run.divergences() {
            if let Some(c) = Self::of(trace, s)
                && !out.iter().any(|(o, _)| *o == c)
            {
                out.push((c, s.step));
            }
        }
        out
    }

    /// `model → target` of the statuses.
    pub fn statuses(&self) -> String {
        format!("{} → {}", self.model_status, self.target_status)
    }

    /// `model → target` of the error codes (`-` for none).
    pub fn errors(&self) -> String {
        let e = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".to_owned());
        format!("{} → {}", e(&self.model_error), e(&self.target_error))
    }
}

/// Shrink `trace` (a flow run with `opts`, which diverged in `class` at step `step`) against the
/// live target: cut it after that step, then drop steps while a re-run still diverges in the same
/// class. At most `budget` re-runs. Run with [`RunOptions::keep_going`], so a class that comes after
/// an earlier divergence is kept.
pub fn shrink_class(
    trace: &Trace,
    target: &mut dyn Target,
    opts: RunOptions,
    budget: usize,
    class: &DivergenceClass,
    step: usize,
) -> Result<Trace, TargetError> {
    let opts = RunOptions {
        keep_going: true,
        ..opts
    };
    let keep: Vec<usize> = (0..step.min(trace.steps.len())).collect();
    minimize(trace, keep, budget, |t| {
        let run = run_flow(t, target, opts)?;
        Ok(DivergenceClass::all(t, &run)
            .iter()
            .any(|(c, _)| c == class))
    })
}
