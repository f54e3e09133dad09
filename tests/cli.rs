//! The command line under misuse: a closed standard output, options that would test nothing,
//! unknown profiles, and unwritable or unreadable files. Each answer is a clear message and an
//! exit code, never a panic.
#![allow(clippy::unwrap_used)]

#[path = "common/canned.rs"]
mod canned;

use std::io::Read;
use std::process::{Command, Stdio};

use canned::{oracle_in_root as oracle, stderr};

/// `oauth-oracle check | head -1` and `oauth-oracle run | head -c 10` once panicked (rc 101
/// and a backtrace): the reader went away, and that ends the command quietly with exit 0.
#[test]
fn a_closed_standard_output_ends_every_command_quietly() {
    let out_dir = std::env::temp_dir().join(format!("oo-cli-pipe-{}", std::process::id()));
    for args in [
        // Unshrunk failures print ≈ 330 KB: more than a pipe holds (64 KiB), so the pipe is
        // closed mid-print. The shrunk report (≈ 26 KB) could be written whole before the reader
        // closed it, and then `check` rightly exited 1.
        vec![
            "check",
            "--cases",
            "20",
            "--no-shrink",
            "--out-dir",
            out_dir.to_str().unwrap(),
        ],
        vec!["run", "--steps", "400"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe, as `head -c 1` does.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 1];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(out_dir);
}

/// `--cases 0` / `--steps 0` once ran nothing and exited 0: nothing tested is never a pass.
#[test]
fn a_campaign_of_nothing_is_refused() {
    for args in [["check", "--cases", "0"], ["check", "--steps", "0"]] {
        let o = oracle(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("must be at least 1"), "{}", stderr(&o));
    }
}

/// An unknown profile once listed only `fastmcp, oauth21`; `--help` listed none.
#[test]
fn every_profile_is_listed_by_help_and_by_the_error_for_an_unknown_one() {
    let o = oracle(&["check", "--profile", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    let help = String::from_utf8_lossy(&oracle(&["check", "--help"]).stdout).into_owned();
    for name in oauth_oracle::Profile::names() {
        assert!(stderr(&o).contains(name), "{name} not in: {}", stderr(&o));
        assert!(help.contains(name), "{name} not in --help: {help}");
    }
    let e = oauth_oracle::Profile::by_name("nosuch")
        .unwrap_err()
        .to_string();
    assert!(e.contains("broken-access-outlives"), "{e}");
}

/// `check` ends with a verdict that says whether what broke is expected: FastMCP's documented
/// deviations under `fastmcp`.
#[test]
fn check_ends_with_a_verdict_naming_documented_deviations() {
    let dir = std::env::temp_dir().join(format!("oo-cli-verdict-{}", std::process::id()));
    let o = oracle(&["check", "--cases", "40", "--out-dir", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("verdict: as expected. All ")
            && last.contains("FastMCP 4.2.3's documented deviations"),
        "{last}"
    );
    let o = oracle(&[
        "check",
        "--profile",
        "broken-no-pkce",
        "--cases",
        "40",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let last = text.lines().last().unwrap();
    assert!(
        last.contains("not documented deviations of FastMCP: pkce-verified"),
        "{last}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Errors name the file they are about.
#[test]
fn file_errors_name_the_file() {
    let o = oracle(&["run", "--output", "/no/such/dir/trace.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/no/such/dir/trace.jsonl"),
        "{}",
        stderr(&o)
    );
    let o = oracle(&["replay", "/no/such/trace.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/no/such/trace.jsonl"),
        "{}",
        stderr(&o)
    );
}

/// `check` once left the traces of earlier runs beside its own, under names without the
/// profile: a run's folder now holds that run's traces only, named `PROFILE-INVARIANT.jsonl`,
/// and every other file stays.
#[test]
fn check_saves_this_runs_traces_by_profile_and_only_removes_its_own_old_ones() {
    let dir = std::env::temp_dir().join(format!("oo-cli-folder-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let stale = ["pkce-verified.jsonl", "broken-no-pkce-pkce-verified.jsonl"];
    let kept = [
        "notes.txt",
        "pkce-verified.jsonl.bak",
        "mine-pkce-verified.jsonl",
    ];
    for name in stale.iter().chain(&kept) {
        std::fs::write(dir.join(name), "x").unwrap();
    }
    let o = oracle(&[
        "check",
        "--profile",
        "oauth21",
        "--cases",
        "5",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut expected: Vec<String> = kept.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(left, expected);
    let o = oracle(&[
        "check",
        "--profile",
        "broken-no-pkce",
        "--cases",
        "40",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(dir.join("broken-no-pkce-pkce-verified.jsonl").is_file());
    assert!(dir.join("notes.txt").is_file());
    let _ = std::fs::remove_dir_all(dir);
}

/// `check --profile-file` under a profile of its own name saves `NAME-INVARIANT.jsonl` (version 2
/// traces carrying that profile) and, like a built-in profile, removes that name's old ones.
#[test]
fn check_with_a_profile_file_saves_and_clears_traces_under_its_name() {
    let dir = std::env::temp_dir().join(format!("oo-cli-profile-file-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let shown = String::from_utf8(oracle(&["profile", "show", "broken-no-pkce"]).stdout).unwrap();
    let file = dir.join("mine.toml");
    std::fs::write(
        &file,
        shown.replace("name = \"broken-no-pkce\"", "name = \"mine\""),
    )
    .unwrap();
    std::fs::write(dir.join("mine-code-single-use.jsonl"), "x").unwrap();
    let o = oracle(&[
        "check",
        "--profile-file",
        file.to_str().unwrap(),
        "--cases",
        "40",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!dir.join("mine-code-single-use.jsonl").exists());
    let saved = std::fs::read_to_string(dir.join("mine-pkce-verified.jsonl")).unwrap();
    let header: serde_json::Value = serde_json::from_str(saved.lines().next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    assert_eq!(header["profile"]["name"], "mine");
    assert_eq!(header["profile"]["pkce_checked"], false);
    let r = oracle(&[
        "replay",
        dir.join("mine-pkce-verified.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let _ = std::fs::remove_dir_all(dir);
}
