//! `audit` against real authorization servers that are not FastMCP-shaped, with no proxy or
//! shim: node-oidc-provider 9 (303 redirects through its interaction, cookies, introspection as
//! the token probe) and an Authlib server (a login form filled with `--login-field`, `/api/me` as
//! the protected resource). `scripts/test.sh` starts them (lifetimes 2 s / 2 s / 6 s) and runs
//! these tests with `--ignored`; each asserts that the user agent got through (clients
//! registered, codes issued, tokens probed), prints the report with its coverage and lists its
//! FAILs. Whether each FAIL is a real violation is triaged in issue 13.
//!
//! Before a run `audit` probes what the target accepts and fits its flows to it (node-oidc-provider
//! answers `POST /auth` with 404 and refuses authorization requests without a scope or without
//! `code_challenge_method`): about 70 % of the generated steps then run against node-oidc-provider
//! and about 50 % against Authlib (whose clients get no refresh token unless they ask for the
//! grant). Below half, the audit exits 2 for that reason, which these tests accept for Authlib
//! only; the 90 % is not reached yet.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};

const NEEDS: &str = "needs the live providers started by scripts/test.sh";

fn url(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set: run scripts/test.sh ({NEEDS})"))
}

/// Run `audit` against `base` with `extra` flags; the exit code and stdout + stderr.
fn audit(name: &str, base: &str, extra: &[&str]) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("oauth-oracle-live-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec![
        "audit",
        "--target",
        base,
        "--code-ttl",
        "2",
        "--access-ttl",
        "2",
        "--refresh-ttl",
        "6",
        "--cases",
        "20",
        "--steps",
        "20",
        "--shrink-budget",
        "4",
        "--out-dir",
    ];
    let out_dir = dir.join("report");
    let out_dir = out_dir.to_string_lossy().into_owned();
    args.push(&out_dir);
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
        .args(&args)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The invariants the report lists as FAIL.
fn fails(report: &str) -> Vec<String> {
    report
        .lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let name = cols.next()?;
            let _level = cols.next()?;
            (cols.next()? == "FAIL").then(|| name.to_owned())
        })
        .collect()
}

fn check(name: &str, base: &str, extra: &[&str], may_be_unusable: bool) -> Vec<String> {
    let (code, report) = audit(name, base, extra);
    println!("{report}");
    assert!(
        code != 2 || may_be_unusable,
        "the audit of {name} exited 2:\n{report}"
    );
    if code == 2 {
        let reasons: Vec<&str> = report
            .lines()
            .filter(|l| l.starts_with("error: target unusable: "))
            .collect();
        assert!(
            !reasons.is_empty() && reasons.iter().all(|r| r.contains("generated steps ran")),
            "the audit of {name} found the target unusable for another reason than coverage:\n{report}"
        );
    }
    assert!(
        report.contains("generated steps executed"),
        "no coverage line in the report of {name}:\n{report}"
    );
    assert!(
        !report.contains("login page at"),
        "the user agent stopped at a login page:\n{report}"
    );
    let list = fails(&report);
    println!("FAILs of {name}: {list:?}");
    list
}

#[test]
#[ignore = "needs the live providers started by scripts/test.sh"]
fn audit_of_node_oidc_provider_runs_through_its_interaction() {
    let base = url("OAUTH_ORACLE_NODE_OIDC_URL");
    let list = check(
        "node-oidc",
        &base,
        &["--introspection", "oauth-oracle-rs:oauth-oracle-rs-secret"],
        false,
    );
    assert!(
        list.iter().all(|f| f == "redirect-uri-bound-to-code"),
        "a FAIL not triaged yet (check it against the RFC text: a false positive is the worst bug): {list:?}"
    );
}

#[test]
#[ignore = "needs the live providers started by scripts/test.sh"]
fn audit_of_the_authlib_server_fills_its_login_form() {
    let base = url("OAUTH_ORACLE_AUTHLIB_URL");
    let resource = format!("{base}/api/me");
    let list = check(
        "authlib",
        &base,
        &[
            "--login-field",
            "username=alice",
            "--login-field",
            "password=wonderland",
            "--resource",
            &resource,
        ],
        true,
    );
    let _ = list;
}
