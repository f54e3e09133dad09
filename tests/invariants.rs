//! The invariant catalogue against the profiles: `oauth21` upholds every invariant, `fastmcp`
//! breaks exactly its documented deviations, and every deliberately broken variant is caught
//! with a short trace.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use oauth_oracle::check::{Campaign, shrink};
use oauth_oracle::invariant::CATALOG;
use oauth_oracle::{Config, Profile};

fn campaign(profile: Profile, cases: u64) -> Campaign {
    Campaign {
        config: Config::for_profile(&profile),
        profile,
        cases,
        steps: 60,
        seed: 1,
        shrink: false,
    }
}

#[test]
fn oauth21_upholds_every_invariant_and_exercises_each() {
    let report = campaign(Profile::oauth21(), 300).run(|_, _| {}).unwrap();
    let broken: Vec<_> = report
        .failures
        .iter()
        .map(|f| (f.invariant, f.detail.clone()))
        .collect();
    assert!(broken.is_empty(), "oauth21 broke: {broken:?}");
    for inv in CATALOG {
        let checks = report.tallies.get(inv.id).map_or(0, |t| t.checks);
        assert!(checks > 0, "{} was never evaluated under oauth21", inv.id);
    }
}

#[test]
fn fastmcp_breaks_exactly_its_documented_deviations() {
    let report = campaign(Profile::fastmcp(), 400).run(|_, _| {}).unwrap();
    let broken: BTreeSet<&str> = report.failures.iter().map(|f| f.invariant).collect();
    let documented: BTreeSet<&str> = CATALOG
        .iter()
        .filter(|i| i.fastmcp_deviation.is_some())
        .map(|i| i.id)
        .collect();
    assert_eq!(broken, documented);
}

#[test]
fn every_broken_variant_is_caught_by_its_invariant_within_eight_steps() {
    for (invariant, profile) in Profile::broken_variants() {
        let name = profile.name;
        let c = campaign(profile, 300);
        let report = c.run(|_, _| {}).unwrap();
        let failure = report.failures.iter().find(|f| f.invariant == invariant);
        let failure = failure.unwrap_or_else(|| panic!("{name}: {invariant} not caught"));
        let minimal = shrink(&c.case_trace(failure.case).unwrap(), invariant);
        assert!(
            minimal.steps.len() <= 8,
            "{name}: minimal trace has {} steps",
            minimal.steps.len()
        );
        // The same invariant holds on the unbroken profile for the same events.
        let mut fixed = minimal.clone();
        fixed.header.profile = "fastmcp".to_owned();
        let (violations, _) = oauth_oracle::check::check_trace(&fixed).unwrap();
        assert!(
            !violations.iter().any(|v| v.invariant == invariant),
            "{name}: fastmcp breaks {invariant} too"
        );
    }
}

#[test]
fn shrunk_traces_replay_and_still_break_their_invariant() {
    let c = campaign(Profile::fastmcp(), 20);
    let report = c.run(|_, _| {}).unwrap();
    let f = report
        .failures
        .iter()
        .find(|f| f.invariant == "code-replay-revokes-tokens")
        .unwrap();
    let minimal = shrink(&c.case_trace(f.case).unwrap(), f.invariant);
    let text = minimal.to_jsonl();
    let reread = oauth_oracle::trace::Trace::read(text.as_bytes()).unwrap();
    assert!(matches!(
        oauth_oracle::trace::replay(&reread).unwrap(),
        oauth_oracle::trace::ReplayOutcome::Match { .. }
    ));
    let (violations, _) = oauth_oracle::check::check_trace(&reread).unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v.invariant == "code-replay-revokes-tokens")
    );
    // 1-minimal: without any single step, the trace no longer shows the violation.
    for drop in 0..minimal.steps.len() {
        let keep: Vec<usize> = (0..minimal.steps.len()).filter(|&i| i != drop).collect();
        if let Some(t) = oauth_oracle::check::subtrace(&minimal, &keep) {
            let (v, _) = oauth_oracle::check::check_trace(&t).unwrap();
            assert!(
                !v.iter().any(|v| v.invariant == f.invariant),
                "step {} was not needed",
                drop + 1
            );
        }
    }
}

/// Traces that once made the checker report a violation the server did not commit (a revocation
/// in the last second before a whole-second expiry): they must now check clean.
#[test]
fn committed_regressions_check_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let trace =
            oauth_oracle::trace::Trace::read(std::fs::read(&path).unwrap().as_slice()).unwrap();
        let (violations, _) = oauth_oracle::check::check_trace(&trace).unwrap();
        assert!(violations.is_empty(), "{}: {violations:?}", path.display());
    }
}
