//! `diff --keep-going`: divergent steps counted into classes, the first flow of each class shrunk
//! and saved, the classes printed as a table.

use std::process::ExitCode;

use oauth_oracle::diff::{DivergenceClass, RunOptions, Verdict, shrink_class};
use serde::Serialize;

use super::{DiffArgs, DiffReport};

/// The minimal trace of the `n`th divergence class (1-based, in order of first occurrence).
fn class_file(profile: &str, n: usize) -> String {
    format!("divergence-{profile}-class{n}.jsonl")
}

/// One divergence class of a `--keep-going` run.
#[derive(Serialize)]
pub(super) struct ClassReport {
    #[serde(flatten)]
    pub(super) class: DivergenceClass,
    /// Divergent steps in this class.
    pub(super) steps: u64,
    /// Flows with at least one.
    pub(super) flows: u64,
    /// Where it was first seen.
    first_case: u64,
    first_step: usize,
    /// The first divergence's detail.
    detail: String,
    minimal_steps: usize,
    trace: String,
}

/// Most frequent first (divergent steps, then flows), ties in class order.
pub(super) fn sort_classes(classes: &mut [ClassReport]) {
    classes.sort_by(|a, b| {
        (b.steps, b.flows)
            .cmp(&(a.steps, a.flows))
            .then_with(|| a.class.cmp(&b.class))
    });
}

/// The classes as a text table.
pub(super) fn classes_table(classes: &[ClassReport]) -> String {
    if classes.is_empty() {
        return "divergence classes: 0\n".to_owned();
    }
    let mut s = format!(
        "divergence classes: {}\n  {:>5} {:>5}  {:<10} {:<11} {:<40} {:<28} minimal trace\n",
        classes.len(),
        "steps",
        "flows",
        "endpoint",
        "status",
        "error (model → target)",
        "model reason"
    );
    for c in classes {
        s.push_str(&format!(
            "  {:>5} {:>5}  {:<10} {:<11} {:<40} {:<28} {} ({} steps)\n",
            c.steps,
            c.flows,
            c.class.endpoint,
            c.class.statuses(),
            c.class.errors(),
            c.class.reason,
            c.trace,
            c.minimal_steps
        ));
    }
    s
}

/// Count `run`'s divergent steps into `report.classes`; shrink and save the first flow of a new
/// class. `Err` is the exit code after an error said on stderr.
#[allow(clippy::too_many_arguments)] // the campaign's state, passed as it is at its one call site
pub(super) fn classify(
    args: &DiffArgs,
    profile: &str,
    case: u64,
    trace: &oauth_oracle::trace::Trace,
    run: &oauth_oracle::diff::FlowRun,
    target: &mut oauth_oracle::target::HttpTarget,
    opts: RunOptions,
    report: &mut DiffReport,
) -> Result<(), ExitCode> {
    let Some(classes) = report.classes.as_mut() else {
        return Ok(());
    };
    for (class, step) in DivergenceClass::all(trace, run) {
        if let Some(c) = classes.iter_mut().find(|c| c.class == class) {
            c.flows += 1;
            continue;
        }
        let detail = run
            .steps
            .get(step - 1)
            .and_then(|s| match &s.verdict {
                Verdict::Diverge(d) => Some(d.clone()),
                Verdict::Agree | Verdict::Skip(_) => None,
            })
            .unwrap_or_default();
        let minimal =
            shrink_class(trace, target, opts, args.shrink_budget, &class, step).map_err(|e| {
                eprintln!("error: {e}");
                ExitCode::from(2)
            })?;
        let path = args.out_dir.join(class_file(profile, classes.len() + 1));
        std::fs::create_dir_all(&args.out_dir)
            .and_then(|()| std::fs::write(&path, minimal.to_jsonl()))
            .map_err(|e| {
                eprintln!("error: {}: {e}", path.display());
                ExitCode::from(2)
            })?;
        classes.push(ClassReport {
            class,
            steps: 0,
            flows: 1,
            first_case: case,
            first_step: step,
            detail,
            minimal_steps: minimal.steps.len(),
            trace: path.display().to_string(),
        });
    }
    for s in run.divergences() {
        if let Some(class) = DivergenceClass::of(trace, s)
            && let Some(c) = classes.iter_mut().find(|c| c.class == class)
        {
            c.steps += 1;
        }
    }
    Ok(())
}
