//! The trace format: determinism, replay, and clear errors (never a panic) for bad files.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use oauth_oracle::generate::Generator;
use oauth_oracle::trace::{ReplayOutcome, Trace, TraceError, replay};
use oauth_oracle::{Config, Profile, Seed};

fn golden() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
        .args(args)
        .output()
        .unwrap()
}

fn tmp(name: &str, text: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("oauth-oracle-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn generated(seed: u64, steps: usize) -> String {
    let config = Config {
        seed: Seed::from_u64(seed),
        ..Config::default()
    };
    Generator::new(Profile::fastmcp(), config)
        .unwrap()
        .run(steps)
        .to_jsonl()
}

#[test]
fn every_golden_trace_replays_identically_twice() {
    for path in golden() {
        let text = std::fs::read_to_string(&path).unwrap();
        for _ in 0..2 {
            let trace = Trace::read(text.as_bytes()).unwrap();
            assert_eq!(
                trace.to_jsonl(),
                text,
                "{} does not round-trip byte for byte",
                path.display()
            );
            match replay(&trace).unwrap() {
                ReplayOutcome::Match { steps } => assert_eq!(steps, trace.steps.len()),
                other => panic!("{}: {other:?}", path.display()),
            }
        }
    }
}

#[test]
fn same_seed_gives_byte_identical_traces_and_different_seeds_differ() {
    assert_eq!(generated(7, 120), generated(7, 120));
    assert_ne!(generated(7, 120), generated(8, 120));
}

#[test]
fn cli_run_then_replay_exits_zero_and_is_reproducible() {
    let a = bin(&["run", "--seed", "7", "--steps", "200"]);
    let b = bin(&["run", "--seed", "7", "--steps", "200"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let text = String::from_utf8(a.stdout).unwrap();
    assert_eq!(text.lines().count(), 201);
    let p = tmp("t.jsonl", &text);
    let r = bin(&["replay", p.to_str().unwrap()]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn edited_output_makes_replay_exit_1_naming_that_step() {
    let text = generated(7, 200);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let victim = 57;
    let mut step: serde_json::Value = serde_json::from_str(&lines[victim]).unwrap();
    let status = step["output"]["status"].as_u64().unwrap();
    step["output"]["status"] = (status + 1).into();
    lines[victim] = step.to_string();
    let p = tmp("edited.jsonl", &(lines.join("\n") + "\n"));
    let r = bin(&["replay", p.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    let out = String::from_utf8(r.stdout).unwrap();
    assert!(
        out.starts_with(&format!("step {victim} (line {})", victim + 1)),
        "{out}"
    );
    assert!(
        out.contains(&format!("status: {}", status + 1))
            && out.contains(&format!("status: {status}")),
        "{out}"
    );
}

fn replay_error(text: &str) -> String {
    let p = tmp("bad.jsonl", text);
    let r = bin(&["replay", p.to_str().unwrap()]);
    assert_eq!(
        r.status.code(),
        Some(2),
        "stdout: {}",
        String::from_utf8_lossy(&r.stdout)
    );
    String::from_utf8(r.stderr).unwrap()
}

#[test]
fn truncated_trace_exits_2_naming_the_line() {
    let text = generated(3, 40);
    let cut = &text[..text.len() - 300];
    let last_line = cut.lines().count();
    let err = replay_error(cut);
    let expected = format!("line {last_line}: step: invalid JSON: EOF while parsing");
    assert!(err.contains(&expected), "{err}");
}

#[test]
fn malformed_traces_name_line_and_field() {
    let text = generated(3, 10);
    let lines: Vec<&str> = text.lines().collect();
    let header = lines[0];
    let with = |i: usize, replacement: &str| {
        let mut v: Vec<String> = lines.iter().map(|s| (*s).to_owned()).collect();
        v[i] = replacement.to_owned();
        v.join("\n") + "\n"
    };
    let step = |i: usize| -> serde_json::Value { serde_json::from_str(lines[i]).unwrap() };

    let err = replay_error(&with(0, &header.replace("\"version\":1", "\"version\":9")));
    assert!(
        err.contains("line 1: version: unsupported version 9"),
        "{err}"
    );
    let err = replay_error(&with(0, &header.replace("oauth-oracle-trace", "other")));
    assert!(err.contains("line 1: format:"), "{err}");
    let err = replay_error(&with(0, &header.replace("\"fastmcp\"", "\"nope\"")));
    assert!(
        err.contains("line 1: profile: unknown profile \"nope\""),
        "{err}"
    );

    let mut s = step(3);
    s["event"]["kind"] = "teleport".into();
    let err = replay_error(&with(3, &s.to_string()));
    assert!(
        err.contains("line 4: event.teleport: unknown variant `teleport`"),
        "{err}"
    );

    let mut s = step(3);
    s["event"] = serde_json::json!({"kind": "resource", "authorization": [{"ref": 99, "field": "access_token"}]});
    let err = replay_error(&with(3, &s.to_string()));
    assert!(
        err.contains("line 4: event.authorization[0].ref: step 99 does not exist before this one"),
        "{err}"
    );

    let mut s = step(3);
    s["event"] = serde_json::json!({"kind": "resource", "authorization": [{"ref": 1, "field": "refresh_token"}]});
    let err = replay_error(&with(3, &s.to_string()));
    assert!(
        err.contains("line 4: event.authorization[0].ref: step 1 produced no refresh_token"),
        "{err}"
    );

    let mut s = step(2);
    s.as_object_mut().unwrap().remove("at");
    let err = replay_error(&with(2, &s.to_string()));
    assert!(err.contains("line 3: at: missing"), "{err}");

    let mut s = step(2);
    s["step"] = 7.into();
    let err = replay_error(&with(2, &s.to_string()));
    assert!(
        err.contains("line 3: step: expected step 2, found 7"),
        "{err}"
    );

    let err = replay_error("");
    assert!(err.contains("line 1: header: the trace is empty"), "{err}");
    let err = replay_error(&(text.clone() + "\n"));
    assert!(err.contains("line 12: step: blank line"), "{err}");
}

#[test]
fn hostile_bytes_are_errors_not_panics() {
    for garbage in [
        "\u{0}\u{1}\u{2}",
        "{",
        "[]",
        "{\"format\":\"oauth-oracle-trace\"}",
        "null\nnull",
        "\u{feff}{}",
    ] {
        let r = Trace::read(garbage.as_bytes());
        assert!(
            matches!(r, Err(TraceError::Malformed { line: 1, .. })),
            "{garbage:?}: {r:?}"
        );
    }
    let bytes: &[u8] = &[0xff, 0xfe, b'\n'];
    assert!(Trace::read(bytes).is_err());
}
