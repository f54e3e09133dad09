//! `fingerprint` against the live servers `scripts/test.sh` starts: FastMCP 4.2.3 (lifetimes
//! 2 s / 2 s / 6 s), its broken variants, the MCP TypeScript SDK demo and node-oidc-provider.
#![allow(clippy::unwrap_used)]

mod common;

use common::live::url;
use oauth_oracle::diff::{RunOptions, run_flow};
use oauth_oracle::fingerprint::{Confidence, Fingerprint, Options, fingerprint};
use oauth_oracle::generate::{Generator, Pacing};
use oauth_oracle::target::HttpTarget;
use oauth_oracle::trace::{ReplayOutcome, Trace, replay};
use oauth_oracle::{Config, Lifetimes, Profile, Seed};

/// The model configuration of a provider started by scripts/test.sh (`access`: its access
/// lifetime, as `--access-ttl` would state it).
fn config(base: &str, access: u64, refresh: Option<u64>) -> Config {
    Config {
        base_url: base.to_owned(),
        lifetimes: Lifetimes {
            code: 2,
            access,
            refresh,
        },
        seed: Seed::from_u64(0),
        ..Config::default()
    }
}

fn learn(base: &str, config: Config) -> Fingerprint {
    let mut target = HttpTarget::checked(base, "/mcp").unwrap();
    target.discover().unwrap();
    let opts = Options {
        base: Profile::fastmcp(),
        name: "learned".to_owned(),
        config,
        max_expiry_wait: Some(60),
    };
    fingerprint(&mut target, &opts).unwrap()
}

/// Each evidence trace `files` names (in `dir`) replays exactly through the model.
fn assert_replays<'a>(dir: &std::path::Path, files: impl Iterator<Item = &'a str>) {
    for name in files {
        let file = dir.join(name);
        let trace =
            Trace::read(std::io::BufReader::new(std::fs::File::open(&file).unwrap())).unwrap();
        assert!(
            matches!(replay(&trace).unwrap(), ReplayOutcome::Match { .. }),
            "{}",
            file.display()
        );
    }
}

fn fastmcp(base: &str) -> Fingerprint {
    learn(base, config(base, 2, Some(6)))
}

#[test]
#[ignore = "needs the live servers started by scripts/test.sh"]
fn fingerprint_of_live_fastmcp_is_the_fastmcp_profile_and_diff_agrees_with_it() {
    let base = url("OAUTH_ORACLE_FASTMCP_URL");
    let found = fastmcp(&base);
    let expected = Profile {
        name: "learned".into(),
        ..Profile::fastmcp()
    };
    assert_eq!(found.profile, expected, "{}", found.to_text("e"));
    assert!(found.unexpressed.is_empty(), "{}", found.to_text("e"));
    for k in &found.knobs {
        // The four no probe sees, and three FastMCP's own values hide: a replay that revokes
        // nothing has no verifier rule, one pair per grant leaves nothing else for a refresh
        // token's revocation to take, and no redirect URI is refused at registration.
        let unobservable = [
            "sweep_expired",
            "default_refresh_lifetime",
            "code_replay_revokes_unverified",
            "refresh_revocation_revokes_grant",
            "registration_redirect_error",
            "refresh_expiry_per_grant",
            "refresh_expiry_margin",
        ]
        .contains(&k.key);
        assert_eq!(
            k.confidence,
            if unobservable {
                Confidence::NotObservable
            } else {
                Confidence::Decided
            },
            "{}: {}",
            k.key,
            k.note
        );
    }
    // The learned profile as a reference for the server it came from: no divergence.
    let mut target = HttpTarget::checked(&base, "/mcp").unwrap();
    target.discover().unwrap();
    let file = Profile::from_toml(&found.to_toml("e")).unwrap();
    for case in 0..60 {
        let mut c = config(&base, 2, Some(6));
        c.seed = Seed::from_u64(1000 + case);
        let trace = Generator::new(file.clone(), c)
            .unwrap()
            .with_pacing(Pacing::live(0, 1500))
            .run(25);
        let run = run_flow(&trace, &mut target, RunOptions::default()).unwrap();
        assert!(
            run.divergence().is_none(),
            "case {case}: {:?}",
            run.divergence()
        );
    }
}

#[test]
#[ignore = "needs the live servers started by scripts/test.sh"]
fn fingerprint_of_each_broken_fastmcp_shows_its_defect_as_a_knob() {
    let cases = [
        ("CODE_REUSE", "codes_single_use"),
        ("REVOKE_ONE", "revocation_kills_pair"),
        ("NO_ROTATION", "refresh_rotates"),
        ("NO_PKCE", "pkce_checked"),
        ("FOREIGN_CODE", "code_client_bound"),
        ("ACCESS_OUTLIVES", "access_expiry_enforced"),
    ];
    let fastmcp_knobs = serde_json::to_value(Profile::fastmcp()).unwrap();
    // One thread per provider: each run waits twice for an access token to expire.
    let found: Vec<(&str, &str, Fingerprint)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|&(bug, knob)| {
                s.spawn(move || {
                    let base = url(&format!("OAUTH_ORACLE_BROKEN_{bug}_URL"));
                    (bug, knob, fastmcp(&base))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (bug, knob, f) in found {
        let k = f.knobs.iter().find(|k| k.key == knob).unwrap();
        assert_eq!(
            k.confidence,
            Confidence::Decided,
            "{bug}: {}",
            f.to_text("e")
        );
        assert_ne!(k.value, fastmcp_knobs[knob], "{bug}: {}", f.to_text("e"));
        // Only the defect differs from fastmcp among the decided knobs.
        let differs: Vec<&str> = f
            .knobs
            .iter()
            .filter(|k| k.confidence == Confidence::Decided && k.value != fastmcp_knobs[k.key])
            .map(|k| k.key)
            .collect();
        assert_eq!(differs, [knob], "{bug}: {}", f.to_text("e"));
    }
}

#[test]
#[ignore = "needs the live servers started by scripts/test.sh"]
fn fingerprint_of_the_ts_demo_writes_evidence_for_every_decided_knob() {
    let base = url("OAUTH_ORACLE_TS_URL");
    // The demo ignores the lifetimes scripts/test.sh sets: its access tokens live 3600 s.
    let found = learn(&base, config(&base, 3600, None));
    let dir = std::env::temp_dir().join(format!("oo-fingerprint-ts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("ts.toml");
    found.write(&out).unwrap();
    assert_eq!(
        Profile::from_toml(&std::fs::read_to_string(&out).unwrap()).unwrap(),
        found.profile
    );
    let evidence = Fingerprint::evidence_dir(&out);
    let decided: Vec<_> = found
        .knobs
        .iter()
        .filter(|k| k.confidence == Confidence::Decided)
        .collect();
    assert!(decided.len() >= 10, "{}", found.to_text("e"));
    // Its codes, access tokens and client ids are `randomUUID()`s: value formats a knob holds.
    for key in ["code_format", "access_format", "client_id_format"] {
        let k = found.knobs.iter().find(|k| k.key == key).unwrap();
        assert_eq!(
            (k.confidence, k.value.as_str()),
            (Confidence::Decided, Some("uuid4")),
            "{key}: {}",
            k.note
        );
    }
    assert_replays(
        &evidence,
        decided.iter().map(|k| k.evidence.as_deref().unwrap()),
    );
    // What the demo does that no knob describes is listed, each with its trace.
    let listed: Vec<&str> = found.unexpressed.iter().map(|u| u.probe.as_str()).collect();
    for probe in [
        "unknown-code-status",
        "token-redirect-mismatch",
        "refresh-old",
    ] {
        assert!(listed.contains(&probe), "{probe}: {}", found.to_text("e"));
    }
    for u in &found.unexpressed {
        assert!(evidence.join(&u.evidence).is_file(), "{}", u.evidence);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// node-oidc-provider 9 (scripts/providers/node-oidc, introspection as the token probe): its
/// random values are 43 base64url characters (secrets 86), each format decided from the values
/// it issued, and every decided knob has an evidence trace that replays exactly.
#[test]
#[ignore = "needs the live servers started by scripts/test.sh"]
fn fingerprint_of_node_oidc_provider_learns_its_value_formats_with_evidence() {
    let base = url("OAUTH_ORACLE_NODE_OIDC_URL");
    let dir = std::env::temp_dir().join(format!("oo-fingerprint-node-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("node-oidc.toml");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
        .args([
            "fingerprint",
            "--target",
            &base,
            "--base",
            "oauth21",
            "--json",
        ])
        .args(["--introspection", "oauth-oracle-rs:oauth-oracle-rs-secret"])
        .args([
            "--code-ttl",
            "2",
            "--access-ttl",
            "2",
            "--refresh-ttl",
            "6",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let knob = |key: &str| {
        report["knobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["key"] == key)
            .unwrap()
            .clone()
    };
    for (key, value) in [
        ("code_prefix", ""),
        ("code_format", "base64url 43"),
        ("access_format", "base64url 43"),
        ("refresh_format", "base64url 43"),
        ("client_id_format", "base64url 43"),
        ("client_secret_format", "base64url 86"),
    ] {
        let k = knob(key);
        assert_eq!(
            (k["confidence"].as_str(), k["value"].as_str()),
            (Some("decided"), Some(value)),
            "{k}"
        );
    }
    let learned = Profile::from_toml(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        learned.code_format,
        oauth_oracle::ValueFormat::Base64Url(43)
    );
    let decided = report["knobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["confidence"] == "decided");
    assert_replays(
        &Fingerprint::evidence_dir(&out),
        decided.map(|k| k["evidence"].as_str().unwrap()),
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
