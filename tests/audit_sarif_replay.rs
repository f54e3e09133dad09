//! `audit`'s SARIF 2.1.0 report and minimal trace files, `--reveal-secrets`, and `audit --replay`
//! confirming a finding against the provider that has it and clearing it against one that has not
//! (`serve` of this crate under the FastMCP profile, which breaks several invariants, and under the
//! OAuth 2.1 profile).
#![allow(clippy::unwrap_used)]

#[path = "common/canned.rs"]
mod canned;

use std::path::Path;

use canned::{Serve, oracle, scratch, text};
use serde_json::Value;

/// Run `audit` against `base` in `dir`; the report folder.
fn audit(dir: &Path, base: &str, extra: &[&str]) -> std::path::PathBuf {
    let mut args = vec![
        "audit",
        "--target",
        base,
        "--cases",
        "4",
        "--steps",
        "20",
        "--shrink-budget",
        "4",
    ];
    args.extend_from_slice(extra);
    let out = oracle(dir, &args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    dir.join("oauth-oracle-audit")
}

/// The properties SARIF 2.1.0 allows on each object this tool writes, and those it requires
/// (sarif-schema-2.1.0.json: every definition has `additionalProperties: false`; `required` as
/// listed: sarifLog `version`, `runs`; run `tool`; tool `driver`; toolComponent `name`;
/// reportingDescriptor `id`; result `message`; message `text` or `id`; multiformatMessageString
/// `text`).
fn check_object(v: &Value, what: &str, allowed: &[&str], required: &[&str]) {
    let o = v
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {v}"));
    for k in o.keys() {
        assert!(
            allowed.contains(&k.as_str()),
            "{what}: property {k} not in the schema"
        );
    }
    for k in required {
        assert!(o.contains_key(*k), "{what}: required {k} missing");
    }
}

fn check_sarif_shape(sarif: &Value) {
    check_object(
        sarif,
        "sarifLog",
        &["$schema", "version", "runs"],
        &["version", "runs"],
    );
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        sarif["$schema"]
            .as_str()
            .unwrap()
            .ends_with("sarif-schema-2.1.0.json")
    );
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    check_object(run, "run", &["tool", "results"], &["tool"]);
    check_object(&run["tool"], "tool", &["driver"], &["driver"]);
    let driver = &run["tool"]["driver"];
    check_object(
        driver,
        "toolComponent",
        &["name", "version", "informationUri", "rules"],
        &["name"],
    );
    let text_only = |v: &Value, what: &str| check_object(v, what, &["text"], &["text"]);
    for r in driver["rules"].as_array().unwrap() {
        check_object(
            r,
            "reportingDescriptor",
            &[
                "id",
                "name",
                "shortDescription",
                "fullDescription",
                "help",
                "helpUri",
                "defaultConfiguration",
                "properties",
            ],
            &["id"],
        );
        text_only(&r["shortDescription"], "shortDescription");
        text_only(&r["fullDescription"], "fullDescription");
        text_only(&r["help"], "help");
        let level = r["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["error", "warning"].contains(&level), "{r}");
        assert!(
            r["helpUri"].as_str().unwrap().starts_with("https://"),
            "{r}"
        );
        assert!(
            r["help"]["text"].as_str().unwrap().contains("https://"),
            "{r}"
        );
    }
    for res in run["results"].as_array().unwrap() {
        check_object(
            res,
            "result",
            &["ruleId", "ruleIndex", "level", "message", "locations"],
            &["message"],
        );
        text_only(&res["message"], "message");
        assert_eq!(res["level"], "error");
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            driver["rules"][i]["id"], res["ruleId"],
            "ruleIndex points at the rule"
        );
        for loc in res["locations"].as_array().unwrap() {
            check_object(loc, "location", &["physicalLocation", "message"], &[]);
            check_object(
                &loc["physicalLocation"],
                "physicalLocation",
                &["artifactLocation"],
                &[],
            );
            check_object(
                &loc["physicalLocation"]["artifactLocation"],
                "artifactLocation",
                &["uri"],
                &[],
            );
        }
    }
}

#[test]
fn sarif_has_a_rule_per_invariant_and_a_result_per_fail_with_its_trace_file() {
    let serve = Serve::start(&[]);
    let dir = scratch("sarif");
    let reports = audit(&dir, &serve.base, &[]);
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("audit-fastmcp.sarif")).unwrap(),
    )
    .unwrap();
    check_sarif_shape(&sarif);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("audit-fastmcp.json")).unwrap())
            .unwrap();
    let entries = json["entries"].as_array().unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), entries.len());
    let fails: Vec<&str> = entries
        .iter()
        .filter(|e| e["status"] == "FAIL")
        .map(|e| e["invariant"].as_str().unwrap())
        .collect();
    assert!(!fails.is_empty());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids, fails,
        "one result per FAIL, none for PASS or NOT TESTED"
    );
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert_eq!(
            uri,
            format!("audit-fastmcp-{}.jsonl", r["ruleId"].as_str().unwrap())
        );
        let trace = std::fs::read_to_string(reports.join(uri)).unwrap();
        assert!(
            trace.starts_with("{\"format\":\"oauth-oracle-trace\""),
            "{uri}"
        );
        let msg = r["message"]["text"].as_str().unwrap();
        assert!(
            msg.contains(r["ruleId"].as_str().unwrap()) && msg.contains(uri),
            "{msg}"
        );
    }
}

/// The client secrets and tokens a recorded `serve` session issued.
fn issued_tokens(record: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for line in std::fs::read_to_string(record).unwrap().lines().skip(1) {
        let v: Value = serde_json::from_str(line).unwrap();
        if let Ok(Value::Object(body)) =
            serde_json::from_str(v["output"]["body"].as_str().unwrap_or(""))
        {
            for k in ["client_secret", "access_token", "refresh_token"] {
                if let Some(s) = body.get(k).and_then(Value::as_str) {
                    found.push(s.to_owned());
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn sarif_and_traces_carry_labels_unless_secrets_are_revealed() {
    for reveal in [false, true] {
        let dir = scratch(if reveal { "reveal" } else { "labels" });
        let record = dir.join("session.jsonl");
        let serve = Serve::start(&["--record", record.to_str().unwrap()]);
        let extra: &[&str] = if reveal { &["--reveal-secrets"] } else { &[] };
        let reports = audit(&dir, &serve.base, extra);
        drop(serve);
        let secrets = issued_tokens(&record);
        assert!(secrets.len() > 10);
        let mut files = vec![std::fs::read_to_string(reports.join("audit-fastmcp.sarif")).unwrap()];
        for e in std::fs::read_dir(&reports).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "jsonl") {
                files.push(std::fs::read_to_string(p).unwrap());
            }
        }
        assert!(files.len() > 1, "no trace files");
        let shown = secrets
            .iter()
            .filter(|s| files.iter().any(|f| f.contains(s.as_str())))
            .count();
        if reveal {
            assert!(shown > 0, "--reveal-secrets shows the tokens");
        } else {
            assert_eq!(shown, 0, "a secret in a report");
            assert!(
                files.iter().any(|f| f.contains("<access_token#")),
                "no label"
            );
        }
    }
}

#[test]
fn audit_replay_confirms_on_the_same_provider_and_clears_on_one_without_the_defect() {
    let serve = Serve::start(&[]);
    let dir = scratch("replay");
    let reports = audit(&dir, &serve.base, &[]);
    let fixed = Serve::start(&["--profile", "oauth21"]);
    let mut traces: Vec<_> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    traces.sort();
    assert!(!traces.is_empty());
    let (mut confirmed, mut cleared) = (0, 0);
    for trace in &traces {
        let t = trace.to_str().unwrap();
        let again = oracle(&dir, &["audit", "--replay", t, "--target", &serve.base]);
        let stdout = text(&again.stdout);
        assert_eq!(
            again.status.code(),
            Some(1),
            "{t}: {stdout}{}",
            text(&again.stderr)
        );
        assert!(stdout.contains("CONFIRMED: "), "{stdout}");
        confirmed += 1;
        let other = oracle(&dir, &["audit", "--replay", t, "--target", &fixed.base]);
        let stdout = text(&other.stdout);
        match other.status.code() {
            Some(0) => {
                assert!(stdout.contains("CLEARED: "), "{stdout}");
                cleared += 1;
            }
            Some(1) => assert!(stdout.contains("CONFIRMED: "), "{stdout}"),
            c => assert_eq!(c, Some(2), "{stdout}{}", text(&other.stderr)),
        }
    }
    assert!(
        confirmed > 0 && cleared > 0,
        "{confirmed} confirmed, {cleared} cleared"
    );
}

#[test]
fn audit_replay_refuses_a_file_it_cannot_attribute_or_read() {
    let serve = Serve::start(&[]);
    let dir = scratch("replay-bad");
    std::fs::write(dir.join("finding.jsonl"), "{}\n").unwrap();
    let out = oracle(
        &dir,
        &[
            "audit",
            "--replay",
            "finding.jsonl",
            "--target",
            &serve.base,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--invariant ID"),
        "{}",
        text(&out.stderr)
    );
    let out = oracle(
        &dir,
        &[
            "audit",
            "--replay",
            "finding.jsonl",
            "--invariant",
            "code-single-use",
            "--target",
            &serve.base,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("finding.jsonl"),
        "{}",
        text(&out.stderr)
    );
    let out = oracle(
        &dir,
        &[
            "audit",
            "--replay",
            "finding.jsonl",
            "--invariant",
            "no-such",
            "--target",
            &serve.base,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not in the catalogue"),
        "{}",
        text(&out.stderr)
    );
}

/// `audit --profile-file`: the reports and minimal traces take the profile's name, the traces
/// carry its knobs, `audit --replay` attributes them by that name, and the verdicts are the same
/// as under the default profile (no invariant reads a knob).
#[test]
fn audit_under_a_profile_file_names_its_reports_and_traces_after_it() {
    let serve = Serve::start(&[]);
    let dir = scratch("profile-file");
    let shown = oracle(&dir, &["profile", "show", "fastmcp"]);
    let file = dir.join("mine.toml");
    let toml = text(&shown.stdout).replace("name = \"fastmcp\"", "name = \"mine\"");
    std::fs::write(&file, toml).unwrap();
    let reports = audit(
        &dir,
        &serve.base,
        &["--profile-file", file.to_str().unwrap()],
    );
    let mine: Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("audit-mine.json")).unwrap())
            .unwrap();
    let default_dir = scratch("profile-default");
    let stock = audit(&default_dir, &serve.base, &[]);
    let fastmcp: Value =
        serde_json::from_str(&std::fs::read_to_string(stock.join("audit-fastmcp.json")).unwrap())
            .unwrap();
    let verdicts = |v: &Value| -> Vec<(String, String)> {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["invariant"].to_string(), i["status"].to_string()))
            .collect()
    };
    assert_eq!(verdicts(&mine), verdicts(&fastmcp));
    let trace = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let name = trace.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with("audit-mine-"), "{name}");
    let header = std::fs::read_to_string(&trace).unwrap();
    assert!(
        header
            .starts_with(r#"{"format":"oauth-oracle-trace","version":2,"profile":{"name":"mine","#),
        "{header}"
    );
    let again = oracle(
        &dir,
        &[
            "audit",
            "--replay",
            trace.to_str().unwrap(),
            "--target",
            &serve.base,
            "--profile-file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(
        again.status.code(),
        Some(1),
        "{}{}",
        text(&again.stdout),
        text(&again.stderr)
    );
}
