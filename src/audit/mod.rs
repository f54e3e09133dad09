//! The invariant catalogue run against a live server: a conformance report with, per invariant,
//! its level, citation, PASS / FAIL / NOT TESTED (with why) and, per FAIL, a minimal replayable
//! trace; and the endpoints the provider's metadata named, or did not.

use crate::check::minimize;
use crate::coverage::{FlowCoverage, describe_answer, refused, unresolved_reason};
use crate::diff::due_after;
use crate::generate::Generator;
use crate::invariant::{Checker, Expectations, InvariantId, Violation};
use crate::output::Output;
use crate::target::{
    NOTE_HEADER, PRE_REGISTERED_NOTE, Target, TargetError, monotonic_now, unanswered, wall_clock,
};
use crate::time::UnixMillis;
use crate::trace::{Resolver, Trace};

mod labels;
mod report;
mod sarif;
mod surface;

pub use labels::SecretLabels;
pub use report::{Entry, Report, Status};
pub use sarif::{SARIF_SCHEMA, citation_url, citation_urls};
pub use surface::{ResourceProbes, Surface};

/// Run `trace`'s events against `target` in real time, checking every answer. The recorded
/// outputs of the returned trace are the target's. A step the target has no endpoint for
/// ([`Target::unsendable`]) is not sent and not checked: its recorded output is a stand-in
/// (status 0, nothing a later step can refer to).
pub fn audit_flow(
    trace: &Trace,
    target: &mut dyn Target,
    exp: &Expectations,
) -> Result<(Vec<Violation>, Checker, Trace), TargetError> {
    let run = audit_flow_covered(trace, target, exp)?;
    Ok((run.violations, run.checker, run.observed))
}

/// One flow as [`audit_flow_covered`] ran it.
#[derive(Debug, Clone)]
pub struct AuditRun {
    /// The violations found.
    pub violations: Vec<Violation>,
    /// The checker, with its tallies.
    pub checker: Checker,
    /// The trace as run, with the target's answers.
    pub observed: Trace,
    /// Steps generated and sent, steps not sent and why, why the flow stopped early (a step
    /// referring to a value the target never issued).
    pub coverage: FlowCoverage,
}

/// [`audit_flow`], with what the flow ran.
pub fn audit_flow_covered(
    trace: &Trace,
    target: &mut dyn Target,
    exp: &Expectations,
) -> Result<AuditRun, TargetError> {
    let mut coverage = FlowCoverage {
        generated: trace.steps.len() as u64,
        ..FlowCoverage::default()
    };
    let kinds: Vec<&str> = trace.steps.iter().map(|s| s.event.kind()).collect();
    let mut checker = Checker::new(exp.clone());
    let mut outputs: Vec<Output> = Vec::new();
    let mut violations = Vec::new();
    let mut observed = Trace {
        header: trace.header.clone(),
        steps: Vec::new(),
    };
    let at0 = trace.steps.first().map_or(UnixMillis(0), |s| s.at);
    target.begin_flow();
    let start = monotonic_now();
    for (i, step) in trace.steps.iter().enumerate() {
        // Saturating: a step recorded before the first is due at once.
        let left = due_after(at0, step.at).saturating_sub(start.elapsed());
        if !left.is_zero() {
            std::thread::sleep(left);
        }
        let event = match Resolver::new().resolve_expr(step.event.clone(), &outputs) {
            Ok(event) => event,
            Err((_, missing)) => {
                coverage.stopped = Some(unresolved_reason(&missing, &outputs, &kinds));
                break;
            }
        };
        let at = wall_clock();
        if let Some(why) = target.unsendable(&event) {
            coverage.unsent.push(why);
            let mut line = step.clone();
            line.at = at;
            line.output = crate::diff::not_sent();
            observed.steps.push(line);
            outputs.push(crate::diff::not_sent());
            continue;
        }
        let out = target.send(at, &event)?;
        if let Some(why) = unanswered(&out) {
            // Sent, but nothing came back to check (the user agent stopped at a login page):
            // kept in the trace with its note, counted as not sent.
            coverage.unsent.push(why);
            let mut line = step.clone();
            line.at = at;
            line.output = out.clone();
            observed.steps.push(line);
            outputs.push(out);
            continue;
        }
        coverage.executed += 1;
        violations.extend(checker.observe(i + 1, at, &event, &out));
        let mut line = step.clone();
        line.at = at;
        line.output = out.clone();
        observed.steps.push(line);
        outputs.push(out);
    }
    Ok(AuditRun {
        violations,
        checker,
        observed,
        coverage,
    })
}

/// Generate one flow against `target` as it answers ([`Generator::run_live`]) and check every
/// answer: each step is chosen from the target's own earlier answers, so no step refers to a
/// value the target never issued, and a refusal is checked and the flow goes on. `steps` steps
/// are generated; the trace returned holds the target's answers, replayable by [`audit_flow`].
pub fn audit_flow_live(
    generator: Generator,
    steps: usize,
    target: &mut dyn Target,
    exp: &Expectations,
) -> Result<AuditRun, TargetError> {
    let mut coverage = FlowCoverage::default();
    let mut checker = Checker::new(exp.clone());
    let mut violations = Vec::new();
    target.begin_flow();
    let start = monotonic_now();
    let t0 = wall_clock();
    let since_start = |start: std::time::Instant| {
        UnixMillis(t0.0 + u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX / 2))
    };
    let observed = generator.run_live(steps, t0, |step, due, event| {
        let left = std::time::Duration::from_millis(due.0.saturating_sub(t0.0))
            .saturating_sub(start.elapsed());
        if !left.is_zero() {
            std::thread::sleep(left);
        }
        let at = since_start(start);
        coverage.generated += 1;
        if let Some(why) = target.unsendable(event) {
            coverage.unsent.push(why);
            return Ok((at, crate::diff::not_sent()));
        }
        let out = target.send(at, event)?;
        if let Some(why) = unanswered(&out) {
            // Sent, but nothing came back to check (the user agent stopped at a login page).
            coverage.unsent.push(why);
            return Ok((at, out));
        }
        if out.header(NOTE_HEADER) == Some(PRE_REGISTERED_NOTE) {
            // Answered by a pre-registered client, not sent: the checker learns the client.
            coverage.unsent.push(PRE_REGISTERED_NOTE.to_owned());
            violations.extend(checker.observe(step, at, event, &out));
            return Ok((at, out));
        }
        coverage.executed += 1;
        if refused(&out) {
            coverage
                .refused
                .push(format!("{} {}", event.name(), describe_answer(&out)));
        }
        violations.extend(checker.observe(step, at, event, &out));
        Ok((at, out))
    })?;
    if (observed.steps.len() as u64) < steps as u64 {
        coverage.stopped = Some(
            "no further step could be drawn from the target's answers (each referred to a value \
             it never issued)"
                .to_owned(),
        );
        coverage.generated = steps as u64;
    }
    Ok(AuditRun {
        violations,
        checker,
        observed,
        coverage,
    })
}

/// Shrink a trace that broke `invariant` on `target`: drop steps while a re-run still breaks it.
/// At most `budget` re-runs.
pub fn shrink_violation(
    trace: &Trace,
    target: &mut dyn Target,
    exp: &Expectations,
    invariant: InvariantId,
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
