//! The lockstep runner: a flow runs against a target and the model at once, step by step, each
//! step judged *agree*, *diverge* or *skip*; divergent flows are shrunk against the live target.
//!
//! Time: the model's clock follows the wall clock of the run (`at` is when the request left), so
//! expiry paths are exercised with short lifetimes configured on both sides and real waits. When
//! the two disagree, the model is re-run a tolerance before and after `at`: if either matches, the
//! request fell in a timing window and the step is *skipped* (the model adopts the matching state).

mod classes;
mod normalize;

pub use classes::{DivergenceClass, shrink_class};
pub use normalize::{Bijection, Compare};

use std::time::Duration;

use serde::Serialize;

use crate::coverage::{FlowCoverage, unresolved_reason};
use crate::event::Event;
use crate::output::Output;
use crate::server::AuthServer;
use crate::target::{
    HOSTED_DOCUMENT_NOTE, NOTE_HEADER, PRE_REGISTERED_NOTE, ResourceAnswer, Target, TargetError,
    resource_answer, unanswered,
};
use crate::time::UnixMillis;
use crate::trace::{Resolver, StepLine, Trace};

/// The judgement of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "detail", rename_all = "snake_case")]
pub enum Verdict {
    /// Same answer, up to the bijection of random values.
    Agree,
    /// Different answers.
    Diverge(String),
    /// A nondeterministic window (a real-time expiry boundary within the tolerance); a step
    /// that could not be sent because an earlier one produced nothing to refer to, or because
    /// the target has no endpoint for it (`no revocation_endpoint in metadata`: not sent, the
    /// model not run); or a resource request the target answered with neither an acceptance nor
    /// a rejection (`resource endpoint answered 404: not a protected resource`).
    Skip(String),
}

/// One step as run against both sides.
#[derive(Debug, Clone, Serialize)]
pub struct StepRun {
    /// 1-based step number.
    pub step: usize,
    /// The verdict.
    pub verdict: Verdict,
    /// The model's answer (`None` when the step was not sent).
    pub model: Option<Output>,
    /// The target's answer.
    pub target: Option<Output>,
}

/// A whole flow as run against both sides.
#[derive(Debug, Clone)]
pub struct FlowRun {
    /// Every step, in order (a flow stops at its first divergence unless
    /// [`RunOptions::keep_going`]).
    pub steps: Vec<StepRun>,
    /// The trace with the model's outputs as recorded in this run, at the times actually used
    /// (the steps not sent for want of an endpoint left out).
    pub model_trace: Trace,
    /// Steps generated and sent, steps not sent and why, why the flow stopped early.
    pub coverage: FlowCoverage,
}

impl FlowRun {
    /// The first divergent step, if any.
    pub fn divergence(&self) -> Option<&StepRun> {
        self.steps
            .iter()
            .find(|s| matches!(s.verdict, Verdict::Diverge(_)))
    }

    /// Every divergent step, in order (more than one only with [`RunOptions::keep_going`]).
    pub fn divergences(&self) -> impl Iterator<Item = &StepRun> {
        self.steps
            .iter()
            .filter(|s| matches!(s.verdict, Verdict::Diverge(_)))
    }
}

/// Options of the runner.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Follow the trace's relative times in real time (sleeping between steps).
    pub real_time: bool,
    /// Tolerance around a step's time within which an expiry boundary makes it a skip.
    pub tolerance: Duration,
    /// Run every flow to its end instead of stopping at the first divergence. Each side keeps
    /// its own state and its own answers; a later step that refers to a value only one side
    /// issued (or neither) is sent to neither side (a skip), and values only one side issued stay
    /// unmapped in the bijection ([`Bijection::learn_divergent`]).
    pub keep_going: bool,
    /// What is compared.
    pub compare: Compare,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            real_time: true,
            tolerance: Duration::from_millis(250),
            keep_going: false,
            compare: Compare::Exact,
        }
    }
}

use crate::target::{monotonic_now as now, wall_clock};

/// The most of one body (or one compared value) a report prints.
pub const SHOWN_BYTES: usize = 2048;

/// `text` as a report prints it: whole up to [`SHOWN_BYTES`], else its first [`SHOWN_BYTES`]
/// (cut on a character boundary) and `… (N bytes)`.
pub fn abbreviate(text: &str) -> String {
    if text.len() <= SHOWN_BYTES {
        return text.to_owned();
    }
    let mut cut = SHOWN_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes)", &text[..cut], text.len())
}

/// How long after the run's start a step recorded at `at` is due, the first step being due at
/// once. A step recorded earlier than the first (a trace whose time goes backwards) is due at
/// once too: never an underflow, never a wait of centuries.
pub fn due_after(at0: UnixMillis, at: UnixMillis) -> Duration {
    Duration::from_millis(at.0.saturating_sub(at0.0))
}

/// Sleep until `due` after `start` (not at all when that moment has passed, even if it passes
/// between the check and the sleep).
fn wait_until(start: std::time::Instant, due: Duration) {
    let left = due.saturating_sub(start.elapsed());
    if !left.is_zero() {
        std::thread::sleep(left);
    }
}

/// A stand-in answer for a step that was not sent: it carries nothing a later step can refer to.
pub(crate) fn not_sent() -> Output {
    Output::new(0, &[], String::new())
}

/// What a flow in lockstep has produced so far.
struct Flow {
    /// Each step's model answer ("not sent" where the model did not run it).
    model_out: Vec<Output>,
    /// Each step's target answer ("not sent" where it was not sent).
    target_out: Vec<Output>,
    /// The verdicts.
    runs: Vec<StepRun>,
    /// The trace as run, each step with the model's answer (else the target's, else "not sent").
    recorded: Trace,
    /// Indices (into `recorded`) of the steps the model ran.
    sent_steps: Vec<usize>,
}

impl Flow {
    /// Record step `i` (`step`, run at `at`) with its verdict and each side's answer (`None`:
    /// that side did not run it).
    fn record(
        &mut self,
        i: usize,
        step: &StepLine,
        at: UnixMillis,
        verdict: Verdict,
        model: Option<Output>,
        target: Option<Output>,
    ) {
        let mut line = step.clone();
        line.at = at;
        line.output = model
            .clone()
            .or_else(|| target.clone())
            .unwrap_or_else(not_sent);
        if model.is_some() {
            self.sent_steps.push(self.recorded.steps.len());
        }
        self.recorded.steps.push(line);
        self.model_out.push(model.clone().unwrap_or_else(not_sent));
        self.target_out
            .push(target.clone().unwrap_or_else(not_sent));
        self.runs.push(StepRun {
            step: i + 1,
            verdict,
            model,
            target,
        });
    }
}

/// Run `trace`'s events against `target` and a fresh model in lockstep; stop at the first
/// divergence. `Err` when the target cannot be reached, or the trace's header makes no server.
pub fn run_flow(
    trace: &Trace,
    target: &mut dyn Target,
    opts: RunOptions,
) -> Result<FlowRun, TargetError> {
    let mut model: AuthServer = trace.server().map_err(TargetError::Header)?;
    // What the model was given, at what time: rebuilds its state before a divergent step
    // ([`state_before`]) instead of a copy of it kept at every step.
    let mut applied: Vec<(UnixMillis, Event)> = Vec::new();
    let mut bij = Bijection::new(opts.compare);
    let mut flow = Flow {
        model_out: Vec::new(),
        target_out: Vec::new(),
        runs: Vec::new(),
        recorded: Trace {
            header: trace.header.clone(),
            steps: Vec::new(),
        },
        sent_steps: Vec::new(),
    };
    target.begin_flow();
    let start = now();
    let at0 = trace.steps.first().map_or(UnixMillis(0), |s| s.at);
    let mut coverage = FlowCoverage {
        generated: trace.steps.len() as u64,
        ..FlowCoverage::default()
    };
    let kinds: Vec<&str> = trace.steps.iter().map(|s| s.event.kind()).collect();
    for (i, step) in trace.steps.iter().enumerate() {
        if opts.real_time {
            wait_until(start, due_after(at0, step.at));
        }
        // Against a live server the model's clock is the wall clock itself, so that
        // whole-second truncations (`int(time.time() + ttl)`) fall on the same boundaries.
        let at = if opts.real_time {
            wall_clock()
        } else {
            step.at
        };
        let (me, te) = (
            Resolver::new().resolve_expr(step.event.clone(), &flow.model_out),
            Resolver::new().resolve_expr(step.event.clone(), &flow.target_out),
        );
        let (Ok(me), Ok(te)) = (&me, &te) else {
            if opts.keep_going {
                let why = match (me.is_ok(), te.is_ok()) {
                    (true, false) => "refers to a value only the model issued",
                    (false, true) => "refers to a value only the target issued",
                    _ => "refers to a value neither side issued",
                };
                coverage.unsent.push(why.to_owned());
                flow.record(i, step, at, Verdict::Skip(why.to_owned()), None, None);
                continue;
            }
            coverage.stopped = Some(match (&me, &te) {
                (_, Err((_, missing))) => unresolved_reason(missing, &flow.target_out, &kinds),
                (Err((_, missing)), _) => format!(
                    "the model: {}",
                    unresolved_reason(missing, &flow.model_out, &kinds)
                ),
                (Ok(_), Ok(_)) => unreachable!("one side did not resolve"),
            });
            flow.runs.push(StepRun {
                step: i + 1,
                verdict: Verdict::Skip("refers to a value an earlier step did not produce".into()),
                model: None,
                target: None,
            });
            break;
        };
        if let Some(reason) = target.unsendable(te) {
            // Neither side runs it: the model's state stays the target's.
            coverage.unsent.push(reason.clone());
            flow.record(i, step, at, Verdict::Skip(reason), None, None);
            continue;
        }
        let sent = now();
        let t_out = target.send(at, te)?;
        if let Some(why) = unanswered(&t_out) {
            // Sent, but no answer to compare (the user agent stopped at a login page): the
            // model does not run it either, and later steps referring to it stop the flow.
            coverage.unsent.push(why.clone());
            flow.record(i, step, at, Verdict::Skip(why), None, Some(t_out));
            continue;
        }
        let rtt = sent.elapsed();
        let mut m_out = model.apply(at, me);
        let mut applied_at = at;
        if t_out.header(NOTE_HEADER) == Some(PRE_REGISTERED_NOTE) {
            // Answered by a pre-registered client (`--client`), not sent: the model registered
            // its own, of the same method, whose values pair with the client's.
            coverage.unsent.push(PRE_REGISTERED_NOTE.to_owned());
            bij.learn_divergent(&m_out, &t_out);
            applied.push((at, me.clone()));
            let verdict = Verdict::Skip(PRE_REGISTERED_NOTE.to_owned());
            flow.record(i, step, at, verdict, Some(m_out), Some(t_out));
            continue;
        }
        if t_out.header(NOTE_HEADER) == Some(HOSTED_DOCUMENT_NOTE) {
            // A document the target fetches itself: the model is handed it; the target's verdict
            // shows in the steps that name the client.
            coverage.unsent.push(HOSTED_DOCUMENT_NOTE.to_owned());
            applied.push((at, me.clone()));
            let verdict = Verdict::Skip(HOSTED_DOCUMENT_NOTE.to_owned());
            flow.record(i, step, at, verdict, Some(m_out), Some(t_out));
            continue;
        }
        coverage.executed += 1;
        let unusable = match (te, resource_answer(&t_out)) {
            (Event::Resource(_), ResourceAnswer::Unusable(why)) => Some(why),
            _ => None,
        };
        let answered = unusable.is_none();
        let mut verdict = match (unusable, bij.clone().compare_step(te, &m_out, &t_out)) {
            (Some(why), _) => Verdict::Skip(why),
            (None, None) => Verdict::Agree,
            (None, Some(d)) => Verdict::Diverge(d),
        };
        if matches!(verdict, Verdict::Diverge(_)) {
            let tol = opts.tolerance + rtt;
            let before = state_before(trace, &applied)?;
            for shifted in [
                at.0.saturating_sub(tol.as_millis() as u64),
                at.0.saturating_add(tol.as_millis() as u64),
            ] {
                let mut alt = before.clone();
                let alt_out = alt.apply(UnixMillis(shifted), me);
                if bij.clone().compare_step(te, &alt_out, &t_out).is_none() {
                    verdict = Verdict::Skip(format!(
                        "expiry boundary within {} ms of the request",
                        tol.as_millis()
                    ));
                    model = alt;
                    m_out = alt_out;
                    applied_at = UnixMillis(shifted);
                    break;
                }
            }
        }
        applied.push((applied_at, me.clone()));
        if answered {
            if matches!(verdict, Verdict::Diverge(_)) {
                bij.learn_divergent(&m_out, &t_out);
            } else {
                let _ = bij.compare_step(te, &m_out, &t_out);
            }
        }
        let stop = matches!(verdict, Verdict::Diverge(_)) && !opts.keep_going;
        flow.record(i, step, at, verdict, Some(m_out), Some(t_out));
        if stop {
            if i + 1 < trace.steps.len() {
                coverage.stopped = Some(format!(
                    "{} answered differently from the model (divergence)",
                    kinds[i]
                ));
            }
            break;
        }
    }
    let Flow {
        runs,
        recorded,
        sent_steps,
        ..
    } = flow;
    let model_trace = if sent_steps.len() == recorded.steps.len() {
        recorded
    } else {
        // A sent step never refers to one not sent (that reference resolves to nothing, and
        // the flow stops there), so the steps sent make a trace of their own.
        crate::check::subtrace(&recorded, &sent_steps).unwrap_or(recorded)
    };
    Ok(FlowRun {
        steps: runs,
        model_trace,
        coverage,
    })
}

/// The model's state before the step being judged: a fresh server from `trace`'s header given
/// `applied` again (the model is deterministic: the same events at the same times, the same
/// state). Only a divergent step needs it, so no step keeps a copy of the state.
fn state_before(trace: &Trace, applied: &[(UnixMillis, Event)]) -> Result<AuthServer, TargetError> {
    let mut server = trace.server().map_err(TargetError::Header)?;
    for (at, event) in applied {
        let _ = server.apply(*at, event);
    }
    Ok(server)
}

/// Shrink a divergent flow against the live target: drop steps while a re-run (on fresh clients:
/// the trace registers its own) still diverges at a step of the same kind. At most `budget` re-runs.
pub fn shrink_divergence(
    trace: &Trace,
    target: &mut dyn Target,
    opts: RunOptions,
    budget: usize,
) -> Result<Trace, TargetError> {
    let kind_of = |t: &Trace, run: &FlowRun| {
        run.divergence()
            .and_then(|d| t.steps.get(d.step - 1))
            .map(|s| s.event.kind())
    };
    let first = run_flow(trace, target, opts)?;
    let Some(kind) = kind_of(trace, &first) else {
        return Ok(trace.clone());
    };
    let last = first.divergence().map_or(trace.steps.len(), |d| d.step);
    let keep: Vec<usize> = (0..last).collect();
    crate::check::minimize(trace, keep, budget, |t| {
        Ok(kind_of(t, &run_flow(t, target, opts)?).as_ref() == Some(&kind))
    })
}
