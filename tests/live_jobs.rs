//! `diff --jobs` and `audit --jobs`: flows in flight at once against a live server (here
//! `serve`, a real HTTP server on 127.0.0.1), each with its own clients and connections, give
//! the same report as one at a time: the same verdicts, counts, divergences and FAILs.
#![allow(clippy::unwrap_used)]

#[path = "common/canned.rs"]
mod canned;

use canned::{Serve, oracle, scratch, text};

/// The JSON report without what depends on the clock.
fn timeless(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        for k in ["seconds", "target_wait_share"] {
            o.remove(k);
        }
    }
    v
}

#[test]
fn diff_reports_the_same_whatever_the_jobs() {
    // The provider is the strict profile and the model FastMCP's: flows diverge.
    let serve = Serve::start(&["--profile", "oauth21"]);
    let run = |jobs: &str| {
        let dir = scratch(&format!("jobs-diff-{jobs}"));
        let out = oracle(
            &dir,
            &[
                "diff",
                "--target",
                &serve.base,
                "--profile",
                "fastmcp",
                "--cases",
                "12",
                "--steps",
                "15",
                "--shrink-budget",
                "4",
                "--keep-going",
                "--json",
                "--jobs",
                jobs,
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        timeless(serde_json::from_slice(&out.stdout).unwrap())
    };
    let one = run("1");
    assert!(one["divergent_flows"].as_u64().unwrap() > 0, "{one}");
    assert_eq!(one, run("3"));
}

#[test]
fn audit_reports_the_same_whatever_the_jobs() {
    let serve = Serve::start(&["--profile", "fastmcp"]);
    let run = |jobs: &str| {
        let dir = scratch(&format!("jobs-audit-{jobs}"));
        let out = oracle(
            &dir,
            &[
                "audit",
                "--target",
                &serve.base,
                "--cases",
                "12",
                "--steps",
                "20",
                "--shrink-budget",
                "4",
                "--jobs",
                jobs,
                "--out-dir",
                "report",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let json = std::fs::read(dir.join("report/audit-fastmcp.json")).unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        // The minimal traces carry the provider's own (labelled) answers, times included.
        for e in v["entries"].as_array_mut().unwrap() {
            e.as_object_mut().unwrap().remove("trace");
        }
        v
    };
    let one = run("1");
    assert!(
        one["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "FAIL"),
        "{one}"
    );
    assert_eq!(one, run("3"));
}
