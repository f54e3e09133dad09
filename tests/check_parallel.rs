//! `check --jobs N` and `check --shard I/N` + `merge`: the same campaign gives the same `--json`
//! report, byte for byte, however it is split; and `merge` refuses sets of reports that are not
//! all the shards of one campaign.
#![allow(clippy::unwrap_used)]

#[path = "common/canned.rs"]
mod canned;

use std::path::{Path, PathBuf};

use canned::{oracle_in_root as oracle, scratch, stderr};

/// A small campaign of a profile with violations (several per case, so failure order matters),
/// 60 cases unless `extra` says `--cases`, `fastmcp` unless it says `--profile`.
fn campaign<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["check", "--steps", "30"];
    if !extra.contains(&"--cases") {
        args.extend(["--cases", "60"]);
    }
    if !extra.contains(&"--profile") {
        args.extend(["--profile", "fastmcp"]);
    }
    args.extend(extra);
    args
}

/// `check --json` of the campaign with `extra` options; exits 1 (fastmcp breaks invariants).
fn check_json(dir: &Path, extra: &[&str]) -> Vec<u8> {
    let out_dir = dir.join("traces");
    let mut args = campaign(extra);
    args.extend(["--json", "--out-dir", out_dir.to_str().unwrap()]);
    let o = oracle(&args);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
    o.stdout
}

/// Write the `--json` report of each shard and return the files.
fn shard_reports(dir: &Path, count: u64, extra: &[&str]) -> Vec<PathBuf> {
    (1..=count)
        .map(|i| {
            let spec = format!("{i}/{count}");
            let mut args = vec!["--shard", spec.as_str()];
            args.extend(extra);
            let path = dir.join(format!("shard-{i}-of-{count}.json"));
            std::fs::write(&path, check_json(dir, &args)).unwrap();
            path
        })
        .collect()
}

fn merge(dir: &Path, files: &[&Path]) -> std::process::Output {
    let out_dir = dir.join("merged-traces");
    let mut args = vec!["merge", "--json", "--out-dir", out_dir.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    oracle(&args)
}

#[test]
fn json_report_is_byte_identical_for_any_number_of_jobs_and_for_merged_shards() {
    let dir = scratch("same");
    let one = check_json(&dir, &["--jobs", "1"]);
    let text = String::from_utf8(one.clone()).unwrap();
    // The campaign is one where the choice of failures matters: several invariants broken,
    // some first in the same case, with their minimal traces in the report.
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let failures = report["failures"].as_array().unwrap();
    assert!(failures.len() >= 3, "{text}");
    assert!(
        failures
            .windows(2)
            .any(|w| w[0]["case"] == w[1]["case"] && w[0]["case"] != 0),
        "no two failures share a case: {text}"
    );
    assert!(
        failures
            .iter()
            .all(|f| f["minimal_trace"].as_array().unwrap().len()
                == f["minimal_steps"].as_u64().unwrap() as usize + 1)
    );
    for jobs in ["2", "3"] {
        assert!(
            check_json(&dir, &["--jobs", jobs]) == one,
            "--jobs {jobs} differs from --jobs 1"
        );
    }
    let shards = shard_reports(&dir, 3, &["--jobs", "2"]);
    // Any order of the files.
    let o = merge(&dir, &[&shards[2], &shards[0], &shards[1]]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        o.stdout == one,
        "merged shards differ from one run:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Each shard ran its own cases only.
    let s1: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&shards[0]).unwrap()).unwrap();
    assert_eq!(s1["cases"], 20);
    assert_eq!(s1["campaign"]["shard"], "1/3");
    assert!(
        s1["failures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["case"].as_u64().unwrap() % 3 == 0)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn merged_shards_print_the_same_table_and_traces_as_one_run() {
    let dir = scratch("table");
    let whole_dir = dir.join("whole");
    let mut args = campaign(&["--cases", "20"]);
    args.extend(["--out-dir", whole_dir.to_str().unwrap()]);
    let whole = oracle(&args);
    let shards = shard_reports(&dir, 2, &["--cases", "20"]);
    let merged_dir = dir.join("merged");
    let merged = oracle(&[
        "merge",
        "--out-dir",
        merged_dir.to_str().unwrap(),
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
    ]);
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    let text = |o: &std::process::Output, d: &Path| {
        String::from_utf8_lossy(&o.stdout).replace(d.to_str().unwrap(), "DIR")
    };
    assert_eq!(text(&merged, &merged_dir), text(&whole, &whole_dir));
    let mut names: Vec<_> = std::fs::read_dir(&whole_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for n in names {
        assert_eq!(
            std::fs::read(merged_dir.join(&n)).unwrap(),
            std::fs::read(whole_dir.join(&n)).unwrap(),
            "{n:?}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn jobs_zero_and_bad_shards_are_refused_with_exit_2() {
    for (args, names) in [
        (vec!["--jobs", "0"], "--jobs"),
        (vec!["--shard", "0/3"], "--shard"),
        (vec!["--shard", "4/3"], "--shard"),
        (vec!["--shard", "1/0"], "--shard"),
        (vec!["--shard", "two"], "--shard"),
        // More shards than cases: shard 61 of 61 would check nothing.
        (vec!["--shard", "61/61"], "--shard"),
    ] {
        let o = oracle(&campaign(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(names), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn merge_refuses_reports_that_are_not_all_the_shards_of_one_campaign() {
    let dir = scratch("refuse");
    let shards = shard_reports(&dir, 3, &["--cases", "12"]);
    let other_seed = dir.join("other-seed.json");
    std::fs::write(
        &other_seed,
        check_json(&dir, &["--cases", "12", "--shard", "3/3", "--seed", "7"]),
    )
    .unwrap();
    let other_count = dir.join("other-count.json");
    std::fs::write(
        &other_count,
        check_json(&dir, &["--cases", "12", "--shard", "2/2"]),
    )
    .unwrap();
    let whole = dir.join("whole.json");
    std::fs::write(&whole, check_json(&dir, &["--cases", "12"])).unwrap();
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "{\"profile\": 1}").unwrap();
    let missing = dir.join("no-such.json");
    let (s1, s2, s3) = (&*shards[0], &*shards[1], &*shards[2]);
    for (files, expect) in [
        (vec![s1, s2], "missing 3/3"),
        (vec![s1, s2, s2, s3], "shard 2/3 given twice"),
        (vec![s1, s2, &other_seed], "seed 7 vs 0"),
        (vec![s1, s2, s3, &other_count], "shard count 2 vs 3"),
        (vec![s1, s2, s3, &whole], "not of a shard"),
        (vec![s1, s2, s3, &garbage], "is not a `check --json` report"),
        (vec![s1, s2, s3, &missing], "no-such.json"),
    ] {
        let o = merge(&dir, &files);
        assert_eq!(o.status.code(), Some(2), "{files:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{files:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{files:?}");
    }
    let other_profile = dir.join("other-profile.json");
    let mut args = vec!["--cases", "12", "--shard", "3/3"];
    args.extend(["--profile", "broken-no-pkce"]);
    std::fs::write(&other_profile, check_json(&dir, &args)).unwrap();
    let o = merge(&dir, &[s1, s2, &other_profile]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("profile broken-no-pkce vs fastmcp"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(dir);
}
