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

    let err = replay_error(&with(0, &header.replace("\"version\":2", "\"version\":9")));
    assert!(
        err.contains("line 1: version: unsupported version 9"),
        "{err}"
    );
    let err = replay_error(&with(0, &header.replace("oauth-oracle-trace", "other")));
    assert!(err.contains("line 1: format:"), "{err}");
    // A version-1 header names a built-in profile.
    let v1 = std::fs::read_to_string(&golden()[0]).unwrap();
    let v1_header = v1.lines().next().unwrap();
    let err = replay_error(&with(0, &v1_header.replace("\"fastmcp\"", "\"nope\"")));
    assert!(
        err.contains("line 1: profile: unknown profile \"nope\""),
        "{err}"
    );
    // A version-2 header carries every knob: unknown, missing and mistyped ones are named.
    let err = replay_error(&with(0, &header.replace("\"sweep_expired\"", "\"sweep\"")));
    assert!(
        err.contains("line 1: profile.sweep: unknown field"),
        "{err}"
    );
    let err = replay_error(&with(0, &header.replace("\"sweep_expired\":false,", "")));
    assert!(
        err.contains("line 1: profile.sweep_expired: missing field"),
        "{err}"
    );
    let err = replay_error(&with(
        0,
        &header.replace(
            "\"invalid_grant_status\":401",
            "\"invalid_grant_status\":\"401\"",
        ),
    ));
    assert!(
        err.contains("line 1: profile.invalid_grant_status: invalid type"),
        "{err}"
    );
    let err = replay_error(&with(
        0,
        &header.replace(
            "\"profile\":{\"name\":\"fastmcp\"",
            "\"profile\":\"fastmcp\",\"x\":{",
        ),
    ));
    assert!(err.contains("line 1: "), "{err}");

    let mut s = step(3);
    s["event"]["kind"] = "teleport".into();
    let err = replay_error(&with(3, &s.to_string()));
    assert!(
        err.contains("line 4: event.kind: unknown variant `teleport`"),
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

/// `oauth-oracle profile show NAME` into a file in a fresh folder: its path.
fn shown_profile(name: &str) -> PathBuf {
    let o = bin(&["profile", "show", name]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    tmp(
        &format!("{name}.toml"),
        &String::from_utf8(o.stdout).unwrap(),
    )
}

/// Every built-in profile, shown and read back with `--profile-file`, makes the same trace
/// byte for byte as `--profile NAME`.
#[test]
fn profile_show_then_profile_file_round_trips_through_the_cli() {
    for name in Profile::names() {
        let file = shown_profile(name);
        let args = ["run", "--seed", "3", "--steps", "60"];
        let by_name = bin(&[&args[..], &["--profile", name]].concat());
        let by_file = bin(&[&args[..], &["--profile-file", file.to_str().unwrap()]].concat());
        assert_eq!(by_name.status.code(), Some(0), "{name}");
        assert_eq!(
            by_file.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&by_file.stderr)
        );
        assert_eq!(by_name.stdout, by_file.stdout, "{name}");
    }
    let file = shown_profile("fastmcp");
    let both = bin(&[
        "run",
        "--profile",
        "oauth21",
        "--profile-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
}

/// A profile file with a bad key: the CLI's error names the file, the line and the key.
#[test]
fn profile_file_errors_name_the_file_line_and_key() {
    let text = String::from_utf8(bin(&["profile", "show", "fastmcp"]).stdout).unwrap();
    let line_of = |key: &str| {
        1 + text
            .lines()
            .position(|l| l.starts_with(&format!("{key} = ")))
            .unwrap()
    };
    let table = 1 + text.lines().position(|l| l == "[profile]").unwrap();
    let status = line_of("invalid_grant_status");
    let sweep = line_of("sweep_expired");
    for (edited, line, key) in [
        (
            text.replace("sweep_expired = ", "sweep_expird = "),
            sweep,
            "sweep_expird",
        ),
        (
            text.replace("sweep_expired = false\n", ""),
            table,
            "sweep_expired",
        ),
        (
            text.replace(
                "invalid_grant_status = 401",
                "invalid_grant_status = \"401\"",
            ),
            status,
            "invalid_grant_status",
        ),
    ] {
        let file = tmp("bad.toml", &edited);
        for command in ["run", "check"] {
            let o = bin(&[command, "--profile-file", file.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(2), "{command}");
            let err = String::from_utf8(o.stderr).unwrap();
            let expected = format!("{}: line {line}: {key}: ", file.display());
            assert!(
                err.contains(&expected),
                "{command}: {expected} not in {err}"
            );
        }
    }
}

/// The trace of `run --profile-file` under `fastmcp` with `invalid_grant_status = 400`.
fn custom_profile_trace() -> String {
    let file = shown_profile("fastmcp");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace("invalid_grant_status = 401", "invalid_grant_status = 400");
    assert_ne!(text, edited);
    std::fs::write(&file, edited).unwrap();
    let o = bin(&[
        "run",
        "--seed",
        "7",
        "--steps",
        "200",
        "--profile-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The first step whose recorded answer is `invalid_grant` (`None`: there is none).
fn first_invalid_grant(text: &str) -> Option<usize> {
    text.lines()
        .skip(1)
        .position(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let body = v["output"]["body"].as_str().unwrap_or_default();
            body.starts_with("{\"error\":\"invalid_grant\"")
        })
        .map(|i| i + 1)
}

/// A trace made under a profile file carries the profile in its header (version 2) and replays
/// exactly, with no file: by the fast one-pass replay, by `Trace::read` then `replay`, and by
/// the CLI.
#[test]
fn a_trace_made_under_a_custom_profile_file_replays_exactly() {
    let text = custom_profile_trace();
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    assert_eq!(header["profile"]["name"], "fastmcp");
    assert_eq!(header["profile"]["invalid_grant_status"], 400);
    let keys: Vec<&str> = header["profile"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let knobs: Vec<&str> = oauth_oracle::profile::KNOBS.iter().map(|k| k.key).collect();
    assert_eq!(keys, knobs, "the header carries every knob, in order");
    let step = first_invalid_grant(&text).expect("the flow meets invalid_grant");
    let line: serde_json::Value = serde_json::from_str(text.lines().nth(step).unwrap()).unwrap();
    assert_eq!(line["output"]["status"], 400);

    let trace = Trace::read(text.as_bytes()).unwrap();
    assert_eq!(trace.header.profile.invalid_grant_status, 400);
    assert_eq!(trace.to_jsonl(), text);
    assert_eq!(replay(&trace).unwrap(), ReplayOutcome::Match { steps: 200 });
    assert_eq!(
        oauth_oracle::trace::replay_jsonl(text.as_bytes()).unwrap(),
        ReplayOutcome::Match { steps: 200 }
    );
    let p = tmp("custom.jsonl", &text);
    let r = bin(&["replay", p.to_str().unwrap()]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stdout)
    );
}

/// Editing a knob in the header of such a trace makes the replay fail at the first step whose
/// answer depends on it (the first `invalid_grant`), and not before.
#[test]
fn editing_a_knob_in_the_header_fails_replay_at_the_first_step_that_depends_on_it() {
    let text = custom_profile_trace();
    let step = first_invalid_grant(&text).unwrap();
    let edited = text.replacen(
        "\"invalid_grant_status\":400",
        "\"invalid_grant_status\":401",
        1,
    );
    assert_ne!(edited, text);
    let trace = Trace::read(edited.as_bytes()).unwrap();
    let expected_step = step;
    match replay(&trace).unwrap() {
        ReplayOutcome::Mismatch {
            step,
            recorded,
            replayed,
            ..
        } => {
            assert_eq!(step, expected_step);
            assert_eq!((recorded.status, replayed.status), (400, 401));
        }
        other @ ReplayOutcome::Match { .. } => panic!("{other:?}"),
    }
    let fast = oauth_oracle::trace::replay_jsonl(edited.as_bytes()).unwrap();
    assert!(
        matches!(fast, ReplayOutcome::Mismatch { step, .. } if step == expected_step),
        "{fast:?}"
    );
    let p = tmp("edited-header.jsonl", &edited);
    let r = bin(&["replay", p.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    let out = String::from_utf8(r.stdout).unwrap();
    assert!(
        out.starts_with(&format!("step {step} (line {})", step + 1)),
        "{out}"
    );
}

/// Version-1 traces (the golden and regression traces: the header names a built-in profile)
/// still read, replay by both paths and the CLI, and are written back as version 1, byte for byte.
#[test]
fn version_1_traces_still_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut files = golden();
    files.extend(std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()));
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\"format\":\"oauth-oracle-trace\",\"version\":1,"));
        let trace = Trace::read(text.as_bytes()).unwrap();
        assert_eq!(trace.header.version, 1);
        assert_eq!(
            trace.header.profile,
            Profile::by_name(&trace.header.profile.name).unwrap()
        );
        assert_eq!(trace.to_jsonl(), text, "{}", path.display());
        let steps = trace.steps.len();
        assert_eq!(replay(&trace).unwrap(), ReplayOutcome::Match { steps });
        assert_eq!(
            oauth_oracle::trace::replay_jsonl(text.as_bytes()).unwrap(),
            ReplayOutcome::Match { steps },
            "{}",
            path.display()
        );
        let r = bin(&["replay", path.to_str().unwrap()]);
        assert_eq!(r.status.code(), Some(0), "{}", path.display());
    }
}
