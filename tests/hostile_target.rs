//! `diff`, `audit` and `replay --target` against hostile or broken providers: tiny in-test HTTP
//! servers on 127.0.0.1 answering canned responses (a huge body, 500 everywhere, 400 at
//! `/register`, a slow answer), and `serve` of this crate as a well-behaved provider.
#![allow(clippy::unwrap_used)]

#[path = "common/canned.rs"]
mod canned;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use canned::{Answer, Canned, Serve, metadata, oracle, scratch, text};
use oauth_oracle::Event;
use oauth_oracle::target::{HttpTarget, MAX_BODY, Target, body_too_large};
use oauth_oracle::time::UnixMillis;

/// The in-test server: the metadata route answers [`metadata`], every other request what `route`
/// says for its method and path.
struct Hostile;

impl Hostile {
    fn start(route: fn(&str, &str) -> Answer) -> Canned {
        Canned::start(move |base, method, path| {
            if path == "/.well-known/oauth-authorization-server" {
                Answer::Owned(200, "application/json", metadata(base))
            } else {
                route(method, path)
            }
        })
    }
}

fn all_500(_: &str, _: &str) -> Answer {
    Answer::Canned(500, "text/plain", "Internal Server Error")
}

fn register_400(_: &str, path: &str) -> Answer {
    if path == "/register" {
        Answer::Canned(
            400,
            "application/json",
            r#"{"error":"invalid_client_metadata","error_description":"no"}"#,
        )
    } else {
        Answer::Canned(401, "application/json", r#"{"error":"invalid_client"}"#)
    }
}

/// 201 as the model answers a registration (so status and headers agree and the body is
/// compared), with 200 MiB of body.
fn huge(_: &str, _: &str) -> Answer {
    Answer::Huge(201, 200 * 1024 * 1024)
}

/// The same with 900 KiB of body: under the cap, read whole, compared, and printed abbreviated.
fn large(_: &str, _: &str) -> Answer {
    Answer::Huge(201, 900 * 1024)
}

fn silent(_: &str, _: &str) -> Answer {
    Answer::Silence(Duration::from_secs(7))
}

// --- 1. unbounded bodies ---------------------------------------------------------------------

#[test]
fn http_target_stops_reading_a_huge_body_at_the_cap() {
    let server = Hostile::start(huge);
    let mut target = HttpTarget::new(&server.base, "/mcp");
    let out = target
        .send(UnixMillis(0), &Event::ProtectedResourceMetadata)
        .unwrap();
    assert_eq!(out.status, 201);
    assert_eq!(out.body, body_too_large());
    // The client hung up after the cap: the server could not push the 200 MiB it meant to (what
    // it did push is the cap plus what the sockets' buffers took).
    std::thread::sleep(Duration::from_millis(200));
    let sent = server.sent.load(Ordering::Relaxed);
    assert!(
        sent < 100 * 1024 * 1024,
        "{sent} bytes sent of 200 MiB: the body was read unbounded"
    );
    assert!(sent > MAX_BODY, "{sent}");
}

#[test]
fn diff_reports_a_huge_body_as_too_large_and_prints_it_abbreviated() {
    let server = Hostile::start(huge);
    let dir = scratch("huge");
    let out = oracle(
        &dir,
        &[
            "diff",
            "--target",
            &server.base,
            "--cases",
            "1",
            "--steps",
            "3",
            "--shrink-budget",
            "2",
        ],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("body too large"),
        "{}",
        &stdout[..stdout.len().min(4000)]
    );
    assert!(stdout.len() < 16 * 1024, "{} bytes of stdout", stdout.len());
    // Not a crash: a verdict (here: the target registered no client, so nothing was tested).
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("target unusable"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn diff_prints_a_large_body_abbreviated() {
    let server = Hostile::start(large);
    let dir = scratch("large");
    let out = oracle(
        &dir,
        &[
            "diff",
            "--target",
            &server.base,
            "--cases",
            "1",
            "--steps",
            "3",
            "--shrink-budget",
            "2",
        ],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("body: model "),
        "{}",
        &stdout[..stdout.len().min(4000)]
    );
    assert!(
        stdout.contains(&format!("… ({} bytes)", 900 * 1024 + 2)),
        "{}",
        &stdout[..stdout.len().min(4000)]
    );
    assert!(stdout.len() < 16 * 1024, "{} bytes of stdout", stdout.len());
}

// --- 2. time going backwards ------------------------------------------------------------------

/// A generated flow whose later steps are recorded an hour before its first.
fn backwards_trace() -> (oauth_oracle::Config, oauth_oracle::trace::Trace) {
    let profile = oauth_oracle::Profile::fastmcp();
    let config = oauth_oracle::Config::for_profile(&profile);
    let mut trace = oauth_oracle::generate::Generator::new(profile, config.clone())
        .unwrap()
        .run(6);
    assert!(trace.steps.len() >= 3);
    let first = trace.steps[0].at.0;
    for (i, step) in trace.steps.iter_mut().enumerate().skip(1) {
        step.at = UnixMillis(first - 3_600_000 + i as u64);
    }
    (config, trace)
}

#[test]
fn diff_runner_replays_a_trace_whose_time_goes_backwards_at_once() {
    use oauth_oracle::diff::{RunOptions, due_after, run_flow};
    use oauth_oracle::target::ModelTarget;
    assert_eq!(
        due_after(UnixMillis(5_000), UnixMillis(1_000)),
        Duration::ZERO
    );
    assert_eq!(
        due_after(UnixMillis(1_000), UnixMillis(1_250)),
        Duration::from_millis(250)
    );
    let (_, trace) = backwards_trace();
    let mut target = ModelTarget {
        server: trace.server().unwrap(),
    };
    let run = run_flow(&trace, &mut target, RunOptions::default()).unwrap();
    assert_eq!(run.steps.len(), trace.steps.len(), "every step ran");
}

#[test]
fn audit_runner_replays_a_trace_whose_time_goes_backwards_at_once() {
    use oauth_oracle::audit::audit_flow;
    use oauth_oracle::invariant::Expectations;
    use oauth_oracle::target::ModelTarget;
    let (config, trace) = backwards_trace();
    let mut target = ModelTarget {
        server: trace.server().unwrap(),
    };
    let (_, _, observed) =
        audit_flow(&trace, &mut target, &Expectations::from_config(&config)).unwrap();
    assert_eq!(observed.steps.len(), trace.steps.len(), "every step ran");
}

#[test]
fn replay_target_of_a_trace_whose_time_goes_backwards_finishes_with_a_verdict() {
    let dir = scratch("backwards");
    let (_, trace) = backwards_trace();
    let file = dir.join("backwards.jsonl");
    std::fs::write(&file, trace.to_jsonl()).unwrap();
    let serve = Serve::start(&[]);
    let out = oracle(
        &dir,
        &["replay", "--target", &serve.base, file.to_str().unwrap()],
    );
    // 0 or 1 (the trace's base URL is not this server's): a verdict per step, no panic, no hang.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {}",
        out.status,
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).starts_with("#1 "),
        "{}",
        text(&out.stdout)
    );
}

// --- 3. nothing tested is never a pass ----------------------------------------------------------

#[test]
fn audit_of_a_provider_answering_500_everywhere_exits_2_unusable() {
    let server = Hostile::start(all_500);
    let dir = scratch("audit500");
    let out = oracle(
        &dir,
        &[
            "audit",
            "--target",
            &server.base,
            "--cases",
            "2",
            "--steps",
            "8",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("target unusable: no client could be registered"),
        "{stderr}"
    );
}

#[test]
fn audit_of_a_provider_refusing_every_registration_exits_2_unusable() {
    let server = Hostile::start(register_400);
    let dir = scratch("audit400");
    let out = oracle(
        &dir,
        &[
            "audit",
            "--target",
            &server.base,
            "--cases",
            "2",
            "--steps",
            "8",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("target unusable: no client could be registered"),
        "{stderr}"
    );
}

#[test]
fn diff_of_a_provider_that_registers_and_issues_codes_is_not_unusable() {
    let serve = Serve::start(&[]);
    let dir = scratch("usable");
    let out = oracle(
        &dir,
        &[
            "diff",
            "--target",
            &serve.base,
            "--cases",
            "3",
            "--steps",
            "20",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("3 flows against"), "{stdout}");
}

#[test]
fn diff_against_a_provider_refusing_every_registration_exits_2_unusable() {
    let server = Hostile::start(register_400);
    let dir = scratch("diff400");
    let out = oracle(
        &dir,
        &[
            "diff",
            "--target",
            &server.base,
            "--cases",
            "2",
            "--steps",
            "8",
            "--shrink-budget",
            "2",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("target unusable: no client could be registered"),
        "{stderr}"
    );
}

// --- 4. secrets stay out of the reports --------------------------------------------------------

/// Every secret a recorded `serve` session issued: client secrets, tokens, codes.
fn issued_secrets(record: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for line in std::fs::read_to_string(record).unwrap().lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let out = &v["output"];
        if let Ok(serde_json::Value::Object(body)) =
            serde_json::from_str(out["body"].as_str().unwrap_or(""))
        {
            for k in ["client_secret", "access_token", "refresh_token"] {
                if let Some(s) = body.get(k).and_then(|s| s.as_str()) {
                    found.push(s.to_owned());
                }
            }
        }
        let headers = out["headers"].as_array().cloned().unwrap_or_default();
        for h in headers {
            if h[0] == "location"
                && let Some((_, q)) = h[1].as_str().unwrap_or("").split_once('?')
            {
                for kv in q.split('&') {
                    if let Some(code) = kv.strip_prefix("code=") {
                        found.push(code.to_owned());
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn report_outputs_label_the_secrets_of_their_traces() {
    use oauth_oracle::audit::Report;
    use oauth_oracle::invariant::{InvariantId, Tally, Violation};
    let profile = oauth_oracle::Profile::fastmcp();
    let config = oauth_oracle::Config::for_profile(&profile);
    let trace = oauth_oracle::generate::Generator::new(profile, config)
        .unwrap()
        .run(40);
    let mut secrets = Vec::new();
    for step in &trace.steps {
        if let Ok(serde_json::Value::Object(body)) = serde_json::from_str(&step.output.body) {
            for k in ["client_secret", "access_token", "refresh_token"] {
                if let Some(s) = body.get(k).and_then(|s| s.as_str()) {
                    secrets.push(s.to_owned());
                }
            }
        }
        if let Some((_, q)) = step
            .output
            .header("location")
            .and_then(|l| l.split_once('?'))
        {
            secrets.extend(
                q.split('&')
                    .filter_map(|kv| kv.strip_prefix("code="))
                    .map(str::to_owned),
            );
        }
    }
    assert!(
        secrets.len() > 5,
        "only {} secrets in the trace",
        secrets.len()
    );
    let mut tallies = std::collections::BTreeMap::new();
    tallies.insert(
        InvariantId::PkceVerified,
        Tally {
            checks: 3,
            violations: 1,
            positive: 2,
            negative: 1,
        },
    );
    let violation = Violation {
        invariant: InvariantId::PkceVerified,
        step: 2,
        detail: format!("tokens issued for verifier {:?}", secrets[0]),
    };
    let report = Report::new(
        "http://127.0.0.1:1".into(),
        1,
        40,
        &tallies,
        &[(violation, trace)],
    );
    let json = serde_json::to_string_pretty(&report).unwrap();
    for (name, text) in [
        ("md", report.markdown()),
        ("junit", report.junit()),
        ("json", json),
    ] {
        assert!(text.contains("pkce-verified"), "{name}");
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{name} holds the secret {s}");
        }
        assert!(text.contains("client_secret#1"), "{name}: no label");
    }
}

#[test]
fn secret_labels_cover_every_spelling_of_a_secret_and_basic_credentials() {
    use base64::Engine as _;
    use oauth_oracle::audit::SecretLabels;
    let mut labels = SecretLabels::new();
    labels.learn_output(&oauth_oracle::Output::new(
        201,
        &[("content-type", "application/json")],
        r#"{"client_id":"c-1","client_secret":"s3cr/t+v\"alue"}"#.to_owned(),
    ));
    labels.learn_output(&oauth_oracle::Output::new(
        302,
        &[("location", "http://localhost/cb?code=abcdef123456&state=s")],
        String::new(),
    ));
    let basic = base64::engine::general_purpose::STANDARD.encode("c-1:s3cr/t+v\"alue");
    let text = format!(
        "raw s3cr/t+v\"alue json {} form {} basic [Basic {basic}] code abcdef123456",
        r#"s3cr/t+v\"alue"#, "s3cr%2Ft%2Bv%22alue"
    );
    assert_eq!(
        labels.redact(&text),
        "raw <client_secret#1> json <client_secret#1> form <client_secret#1> basic [Basic <basic_credentials#1>] code <code#1>"
    );
    // The labeller's own Debug shows labels, never the values they stand for.
    let debug = format!("{labels:?} {labels:#?}");
    assert!(debug.contains("<client_secret#1>"), "{debug}");
    for secret in ["s3cr/t", "abcdef123456", basic.as_str()] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

#[test]
fn audit_reports_carry_labels_never_the_secrets_the_provider_issued() {
    let dir = scratch("secrets");
    let record = dir.join("session.jsonl");
    let serve = Serve::start(&["--record", record.to_str().unwrap()]);
    let out = oracle(
        &dir,
        &[
            "audit",
            "--target",
            &serve.base,
            "--cases",
            "3",
            "--steps",
            "20",
        ],
    );
    drop(serve);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    let secrets = issued_secrets(&record);
    assert!(secrets.len() > 10, "only {} secrets issued", secrets.len());
    let reports = dir.join("oauth-oracle-audit");
    let mut labelled = 0;
    for name in [
        "audit-fastmcp.md",
        "audit-fastmcp.json",
        "audit-fastmcp.junit.xml",
    ] {
        let report = std::fs::read_to_string(reports.join(name)).unwrap();
        assert!(
            report.contains("FAIL") || report.contains("<failure "),
            "{name}: no failure, so no trace to check"
        );
        for s in &secrets {
            assert!(!report.contains(s.as_str()), "{name} holds the secret {s}");
        }
        labelled += report.matches("<access_token#").count();
        labelled += report.matches("&lt;access_token#").count();
    }
    assert!(labelled > 0, "no labelled token in any report");
}

// --- 6. progress and long waits ------------------------------------------------------------------

#[test]
fn diff_in_a_pipe_prints_progress_while_it_waits() {
    let server = Hostile::start(silent);
    let dir = scratch("progress");
    let out = oracle(
        &dir,
        &[
            "diff",
            "--target",
            &server.base,
            "--cases",
            "1",
            "--steps",
            "2",
        ],
    );
    let stderr = text(&out.stderr);
    // The provider is silent for 7 s: a line came at 5 s, long before the run ended.
    let line = stderr
        .lines()
        .find(|l| l.starts_with("diff: 0/1 flows, 0 requests, "))
        .unwrap_or_else(|| panic!("no progress line in {stderr:?}"));
    assert!(line.ends_with(" s elapsed"), "{line}");
}

#[test]
fn expiry_jumps_longer_than_a_minute_are_refused_without_allow_long_waits() {
    let dir = scratch("waits");
    // No provider at this address: the refusal comes before any request.
    let out = oracle(
        &dir,
        &[
            "audit",
            "--target",
            "http://127.0.0.1:9",
            "--jump-percent",
            "10",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("3600 s (--access-ttl)"), "{stderr}");
    assert!(stderr.contains("--allow-long-waits"), "{stderr}");
    let out = oracle(
        &dir,
        &[
            "diff",
            "--target",
            "http://127.0.0.1:9",
            "--jump-percent",
            "10",
            "--access-ttl",
            "30",
            "--code-ttl",
            "20",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("--allow-long-waits"), "{stderr}");
    assert!(
        stderr.contains("127.0.0.1:9"),
        "short lifetimes go on to discovery: {stderr}"
    );
    // Codes that live long (Cloudflare's fixed 600 s) only leave code expiry out of the jumps.
    let out = oracle(
        &dir,
        &[
            "diff",
            "--target",
            "http://127.0.0.1:9",
            "--jump-percent",
            "10",
            "--access-ttl",
            "60",
            "--code-ttl",
            "600",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the authorization-code lifetime 600 s (--code-ttl) is over 60 s: jumps land on access-token expiry only"),
        "{stderr}"
    );
    assert!(stderr.contains("127.0.0.1:9"), "{stderr}");
    let out = oracle(
        &dir,
        &[
            "diff",
            "--target",
            "http://127.0.0.1:9",
            "--jump-percent",
            "10",
            "--allow-long-waits",
        ],
    );
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("--allow-long-waits"), "{stderr}");
}

/// `--client-document` flows share the document's client: `diff` refuses to run them several
/// at once, before any request.
#[test]
fn client_documents_with_several_jobs_are_refused() {
    let dir = scratch("documents-jobs");
    let doc = dir.join("doc.json");
    std::fs::write(&doc, r#"{"client_id":"https://client.example/c.json"}"#).unwrap();
    let arg = format!("https://client.example/c.json={}", doc.display());
    let out = oracle(
        &dir,
        &[
            "diff",
            "--target",
            "http://127.0.0.1:9",
            "--client-document",
            &arg,
            "--jobs",
            "2",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--client-document with --jobs 2"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("127.0.0.1:9"),
        "refused before any request: {stderr}"
    );
}

// --- 7. errors that say what they are about ------------------------------------------------------

#[test]
fn a_target_without_scheme_or_with_another_scheme_is_explained() {
    let dir = scratch("urls");
    for cmd in [&["diff"][..], &["audit"], &["replay", "x.jsonl"]] {
        let mut args = cmd.to_vec();
        args.extend(["--target", "127.0.0.1:8765"]);
        let out = oracle(&dir, &args);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            text(&out.stderr).trim(),
            "error: target 127.0.0.1:8765 has no scheme: use http://127.0.0.1:8765"
        );
    }
    // https is supported (tests/https_target.rs); other schemes are named.
    let out = oracle(&dir, &["diff", "--target", "ftp://auth.example"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("target ftp://auth.example uses scheme ftp, which is not supported"),
        "{stderr}"
    );
}

#[test]
fn zero_cases_or_steps_are_refused() {
    let dir = scratch("zero");
    for cmd in ["diff", "audit"] {
        for flag in ["--cases", "--steps"] {
            let out = oracle(&dir, &[cmd, "--target", "http://127.0.0.1:9", flag, "0"]);
            assert_eq!(out.status.code(), Some(2), "{cmd} {flag} 0");
            let stderr = text(&out.stderr);
            assert!(
                stderr.contains(&format!("invalid value '0' for '{flag}")),
                "{stderr}"
            );
            assert!(stderr.contains("at least 1"), "{stderr}");
        }
    }
}

// --- 8. output folders ---------------------------------------------------------------------------

#[test]
fn diff_clears_its_own_stale_traces_names_them_by_profile_and_keeps_other_files() {
    let server = Hostile::start(all_500);
    let dir = scratch("folders");
    let out_dir = dir.join("oauth-oracle-divergences");
    std::fs::create_dir_all(&out_dir).unwrap();
    for stale in ["divergence-fastmcp-case7.jsonl", "divergence-case3.jsonl"] {
        std::fs::write(out_dir.join(stale), "stale").unwrap();
    }
    for mine in [
        "notes.txt",
        "divergence-oauth21-case1.jsonl",
        "divergence-case3.jsonl.bak",
    ] {
        std::fs::write(out_dir.join(mine), "the user's").unwrap();
    }
    let out = oracle(
        &dir,
        &[
            "diff",
            "--target",
            &server.base,
            "--cases",
            "1",
            "--steps",
            "4",
            "--shrink-budget",
            "2",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "divergence-case3.jsonl.bak",
            "divergence-fastmcp-case0.jsonl",
            "divergence-oauth21-case1.jsonl",
            "notes.txt"
        ]
    );
}
