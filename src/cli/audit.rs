//! `oauth-oracle audit`: the invariant catalogue against a live provider.

use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use oauth_oracle::audit::{Report, Status, audit_flow, shrink_violation};
use oauth_oracle::check::subtrace;
use oauth_oracle::generate::{Generator, Pacing};
use oauth_oracle::invariant::{Expectations, Tally, Violation};
use oauth_oracle::target::HttpTarget;
use oauth_oracle::trace::Trace;
use oauth_oracle::{Profile, Seed};

use super::diff::TargetArgs;

/// Options of `audit`.
#[derive(clap::Args, Debug)]
pub(crate) struct AuditArgs {
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// Number of generated flows.
    #[arg(long, default_value_t = 60)]
    pub(crate) cases: u64,
    /// Steps per flow.
    #[arg(long, default_value_t = 30)]
    pub(crate) steps: usize,
    /// Campaign seed.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Percentage of steps that wait for an expiry boundary (needs short lifetimes).
    #[arg(long, default_value_t = 0)]
    pub(crate) jump_percent: u64,
    /// Where the report is written: audit.md, audit.json, audit.junit.xml.
    #[arg(long, default_value = "oauth-oracle-audit")]
    pub(crate) out_dir: PathBuf,
    /// Re-runs allowed when shrinking one failure.
    #[arg(long, default_value_t = 30)]
    pub(crate) shrink_budget: usize,
}

/// Audit the provider; exit 0 when no MUST invariant fails, 1 otherwise, 2 if the target is unusable.
pub(crate) fn audit(args: &AuditArgs) -> ExitCode {
    let mut target = HttpTarget::new(&args.target.target, &args.target.mcp_path);
    let metadata = match target.discover() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let has = |k: &str| metadata.get(k).is_some();
    let (can_register, can_revoke) = (has("registration_endpoint"), has("revocation_endpoint"));
    if !can_register {
        eprintln!(
            "error: {} offers no dynamic client registration; audit registers its own clients",
            args.target.target
        );
        return ExitCode::from(2);
    }
    let profile = Profile::fastmcp();
    let exp = Expectations::from_config(&args.target.config(&profile, Seed::from_u64(0)));
    let bar = ProgressBar::new(args.cases);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} flows  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut tallies: std::collections::BTreeMap<&'static str, Tally> =
        std::collections::BTreeMap::new();
    let mut failures: Vec<(Violation, Trace)> = Vec::new();
    for case in 0..args.cases {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&args.seed.to_le_bytes());
        seed[8..16].copy_from_slice(&case.to_le_bytes());
        seed[16] = b'a';
        let config = args.target.config(&profile, Seed(seed));
        let Ok(generator) = Generator::new(profile.clone(), config) else {
            return ExitCode::from(2);
        };
        let mut trace = generator
            .with_pacing(Pacing::live(args.jump_percent, 700))
            .run(args.steps);
        if !can_revoke {
            let keep: Vec<usize> = (0..trace.steps.len())
                .filter(|&i| trace.steps[i].kind().as_deref() != Some("revoke"))
                .collect();
            trace = subtrace(&trace, &keep).unwrap_or(trace);
        }
        let (violations, checker, observed) = match audit_flow(&trace, &mut target, &exp) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        for (id, t) in checker.tallies() {
            let e = tallies.entry(id).or_default();
            e.checks += t.checks;
            e.violations += t.violations;
        }
        for v in violations {
            if failures.iter().any(|(f, _)| f.invariant == v.invariant) {
                continue;
            }
            let minimal = match shrink_violation(
                &observed,
                &mut target,
                &exp,
                v.invariant,
                args.shrink_budget,
            ) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            failures.push((v, minimal));
        }
        bar.inc(1);
        bar.set_message(format!(
            "{} requests, {} invariants failing",
            target.requests,
            failures.len()
        ));
    }
    bar.finish_and_clear();
    let report = Report::new(
        args.target.target.clone(),
        args.cases,
        target.requests,
        &tallies,
        &failures,
    );
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    let written = std::fs::create_dir_all(&args.out_dir)
        .and_then(|()| std::fs::write(args.out_dir.join("audit.md"), report.markdown()))
        .and_then(|()| std::fs::write(args.out_dir.join("audit.json"), json))
        .and_then(|()| std::fs::write(args.out_dir.join("audit.junit.xml"), report.junit()));
    if let Err(e) = written {
        eprintln!("error: {}: {e}", args.out_dir.display());
        return ExitCode::from(2);
    }
    for e in &report.entries {
        println!(
            "{:<38} {:<7} {:<15} {:>7} checks {:>6} violations",
            e.invariant,
            e.level.as_str(),
            e.status.as_str(),
            e.tally.checks,
            e.tally.violations
        );
    }
    println!(
        "\n{}: {} PASS, {} FAIL, {} NOT APPLICABLE; report in {}/audit.{{md,json,junit.xml}}",
        report.target,
        report.count(Status::Pass),
        report.count(Status::Fail),
        report.count(Status::NotApplicable),
        args.out_dir.display()
    );
    let must_fail = report
        .entries
        .iter()
        .any(|e| e.status == Status::Fail && e.level == oauth_oracle::invariant::Level::Must);
    if must_fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
