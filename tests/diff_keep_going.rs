//! `diff --keep-going` and `--compare`: every flow run to its end against `serve` of another
//! profile, divergences grouped into classes with counts and one minimal trace each.
#![allow(clippy::unwrap_used)]

#[path = "common/canned.rs"]
mod canned;

use canned::{Serve, oracle, scratch, text};
use serde_json::Value;

fn diff_json(dir: &std::path::Path, base: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let mut args = vec![
        "diff",
        "--target",
        base,
        "--cases",
        "4",
        "--steps",
        "20",
        "--shrink-budget",
        "6",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = oracle(dir, &args);
    let stdout = text(&out.stdout);
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", text(&out.stderr)));
    (out.status.code(), json, text(&out.stderr))
}

#[test]
fn keep_going_groups_divergences_into_classes_with_a_replayable_trace_each() {
    // The provider is the model under the oauth21 profile; diff expects FastMCP's.
    let serve = Serve::start(&["--profile", "oauth21"]);
    let dir = scratch("keepgoing");
    let (code, report, stderr) = diff_json(&dir, &serve.base, &["--keep-going"]);
    assert_eq!(code, Some(1), "{stderr}");
    let classes = report["classes"].as_array().unwrap();
    assert!(!classes.is_empty(), "{report:#}");
    let divergent_steps: u64 = classes.iter().map(|c| c["steps"].as_u64().unwrap()).sum();
    let divergent_flows = report["divergent_flows"].as_u64().unwrap();
    assert!(divergent_flows >= 1);
    // Kept going: at least one flow diverged more than once, and no flow stopped at a divergence.
    assert!(divergent_steps > divergent_flows, "{report:#}");
    let stops = report["coverage"].to_string();
    assert!(!stops.contains("(divergence)"), "{stops}");
    assert!(report["divergences"].as_array().unwrap().is_empty());
    let mut keys = Vec::new();
    for c in classes {
        let (steps, flows) = (c["steps"].as_u64().unwrap(), c["flows"].as_u64().unwrap());
        assert!(steps >= flows && flows >= 1, "{c}");
        let key = [
            "endpoint",
            "model_status",
            "target_status",
            "model_error",
            "target_error",
            "reason",
        ]
        .map(|k| c[k].to_string());
        assert!(!keys.contains(&key), "class listed twice: {c}");
        keys.push(key);
        // The class's minimal trace replays on the model and still diverges on the provider.
        let trace = c["trace"].as_str().unwrap();
        assert!(c["minimal_steps"].as_u64().unwrap() <= c["first_step"].as_u64().unwrap());
        let model = oracle(&dir, &["replay", trace]);
        assert_eq!(model.status.code(), Some(0), "{}", text(&model.stdout));
        let live = oracle(&dir, &["replay", "--target", &serve.base, trace]);
        assert_eq!(live.status.code(), Some(1), "{}", text(&live.stdout));
    }
    // Most frequent first.
    let counts: Vec<u64> = classes
        .iter()
        .map(|c| c["steps"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
}

#[test]
fn keep_going_prints_the_classes_table_and_a_second_run_gives_the_same_classes() {
    let serve = Serve::start(&["--profile", "oauth21"]);
    let dir = scratch("keepgoing-text");
    let args = [
        "diff",
        "--target",
        &serve.base,
        "--cases",
        "3",
        "--steps",
        "15",
        "--shrink-budget",
        "4",
        "--keep-going",
    ];
    let first = oracle(&dir, &args);
    let stdout = text(&first.stdout);
    assert_eq!(
        first.status.code(),
        Some(1),
        "{stdout}{}",
        text(&first.stderr)
    );
    assert!(stdout.contains("divergence classes: "), "{stdout}");
    assert!(stdout.contains("steps flows  endpoint"), "{stdout}");
    assert!(
        stdout.contains("divergence-fastmcp-class1.jsonl"),
        "{stdout}"
    );
    let table = |s: &str| -> Vec<String> {
        s.lines()
            .skip_while(|l| !l.starts_with("divergence classes"))
            .take_while(|l| !l.starts_with("endpoints:"))
            .map(str::to_owned)
            .collect()
    };
    let again = oracle(&dir, &args);
    assert_eq!(
        table(&stdout),
        table(&text(&again.stdout)),
        "the model side is deterministic"
    );
}

#[test]
fn semantic_comparison_ignores_what_exact_reports() {
    // The same model on both sides, but the provider's random values are another seed's: exact
    // and semantic both agree (the bijection maps them); a different profile on the provider
    // diverges in both, semantic in fewer classes (descriptions and bodies are not compared).
    let serve = Serve::start(&["--profile", "oauth21"]);
    let dir = scratch("semantic");
    let (_, exact, _) = diff_json(&dir, &serve.base, &["--keep-going"]);
    let (_, semantic, stderr) = diff_json(
        &dir,
        &serve.base,
        &["--keep-going", "--compare", "semantic"],
    );
    assert_eq!(semantic["compare"], "semantic", "{stderr}");
    assert!(
        exact.get("compare").is_none(),
        "exact is the default and not printed"
    );
    let steps = |r: &Value| -> u64 {
        r["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["steps"].as_u64().unwrap())
            .sum()
    };
    assert!(
        steps(&semantic) <= steps(&exact),
        "{} > {}",
        steps(&semantic),
        steps(&exact)
    );
    let healthy = Serve::start(&["--seed", "7"]);
    let (code, report, stderr) = diff_json(
        &dir,
        &healthy.base,
        &["--keep-going", "--compare", "semantic"],
    );
    assert_eq!(code, Some(0), "{stderr}{report:#}");
    assert_eq!(report["classes"], serde_json::json!([]));
}

#[test]
fn without_keep_going_the_report_has_no_classes_and_stops_at_the_first_divergence() {
    let serve = Serve::start(&["--profile", "oauth21"]);
    let dir = scratch("nokeepgoing");
    let (code, report, stderr) = diff_json(&dir, &serve.base, &[]);
    // Every flow stops at its first step (the two profiles register differently), so too little
    // ran for a verdict: the same campaign with --keep-going runs to the end of every flow.
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("register answered differently from the model (divergence)"),
        "{stderr}"
    );
    assert!(report.get("classes").is_none() && report.get("compare").is_none());
    let divergences = report["divergences"].as_array().unwrap();
    assert!(!divergences.is_empty());
    assert_eq!(
        divergences.len() as u64,
        report["divergent_flows"].as_u64().unwrap()
    );
    let (code, kept, stderr) = diff_json(&dir, &serve.base, &["--keep-going"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        kept["coverage"]["steps_executed"].as_u64().unwrap()
            > 10 * report["coverage"]["steps_executed"].as_u64().unwrap(),
        "{kept:#}"
    );
}
