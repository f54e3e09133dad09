//! `oauth-oracle audit --replay FILE`: re-run a saved minimal trace through the checker against
//! the live server, to confirm or clear a finding.

use std::path::Path;
use std::process::ExitCode;

use oauth_oracle::audit::{AuditRun, SecretLabels, audit_flow_covered};
use oauth_oracle::invariant::{CATALOG, Expectations, InvariantId};
use oauth_oracle::{Profile, Seed};

use super::audit::{AuditArgs, trace_file};
use super::live::connect;

/// The invariant a trace file is about: `--invariant`, else the catalogue id its name ends with
/// (`audit-PROFILE-INVARIANT.jsonl`, the longest match); `Err` says why none.
fn invariant_of(path: &Path, given: Option<&str>, profile: &str) -> Result<InvariantId, String> {
    if let Some(id) = given {
        return InvariantId::from_id(id)
            .ok_or_else(|| format!("--invariant {id}: not in the catalogue"));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    CATALOG
        .iter()
        .filter(|i| name == trace_file(profile, i.id))
        .map(|i| i.id)
        .max_by_key(|id| id.as_str().len())
        .ok_or_else(|| {
            format!(
                "{}: not named audit-{profile}-INVARIANT.jsonl; say which invariant with --invariant ID",
                path.display()
            )
        })
}

/// Replay `path` against `args.target`: exit 1 CONFIRMED, 0 CLEARED, 2 unusable or inconclusive.
pub(crate) fn replay(args: &AuditArgs, path: &Path, profile: &str) -> ExitCode {
    let invariant = match invariant_of(path, args.invariant.as_deref(), profile) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let trace = match super::replay::read_trace(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let Some(target) = connect("audit --replay", &args.target, 0, &args.client.clients) else {
        return ExitCode::from(2);
    };
    let mut target = target.with_client_documents(&args.client_documents);
    let exp = Expectations::for_live(&args.target.config(&Profile::fastmcp(), Seed::from_u64(0)))
        .with_metadata(target.metadata())
        .with_resource(target.protected_resource().map(str::to_owned));
    // Events refer to earlier answers (`{"ref":N,...}`), never to the recorded run's secrets: the
    // replay registers its own clients and obtains its own codes and tokens.
    let AuditRun {
        violations,
        checker,
        observed,
        coverage,
    } = match audit_flow_covered(&trace, &mut target, &exp) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: target unusable: {e}");
            return ExitCode::from(2);
        }
    };
    let mut labels = if args.reveal_secrets {
        SecretLabels::revealing()
    } else {
        SecretLabels::new()
    };
    labels.learn(&observed);
    let checks = checker.tallies().get(&invariant).map_or(0, |t| t.checks);
    println!(
        "replayed {} of {} steps of {} against {}",
        coverage.executed,
        coverage.generated,
        path.display(),
        args.target.target
    );
    if let Some(v) = violations.iter().find(|v| v.invariant == invariant) {
        println!(
            "CONFIRMED: {invariant} violated again at step {}: {}",
            v.step,
            labels.redact(&v.detail)
        );
        return ExitCode::from(1);
    }
    if checks == 0 {
        let why = coverage
            .stopped
            .map(|s| format!(" (the flow stopped: {s})"))
            .unwrap_or_default();
        eprintln!(
            "error: inconclusive: the replay never reached a check of {invariant}{why}; the target is unusable for this trace"
        );
        return ExitCode::from(2);
    }
    println!("CLEARED: {invariant} checked {checks} times in the replay, never violated");
    ExitCode::SUCCESS
}
