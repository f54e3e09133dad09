//! `fingerprint` against the in-process model: the profile it learns from a model running a
//! known profile is that profile, knob for knob, wherever a probe can observe the knob (the
//! expiry probes are not run here: they wait in real time; `fingerprint_live.rs` runs them).
#![allow(clippy::unwrap_used)]

use oauth_oracle::fingerprint::{Confidence, Fingerprint, Options, fingerprint};
use oauth_oracle::target::ModelTarget;
use oauth_oracle::trace::{ReplayOutcome, replay};
use oauth_oracle::{AuthServer, Config, Profile};

/// The knobs no probe observes without waiting for expiry, or at all.
const UNPROBED: &[&str] = &[
    "sweep_expired",
    "default_refresh_lifetime",
    "access_expiry_enforced",
    "expired_access_revokes_refresh",
    "refresh_expiry_per_grant",
    "refresh_expiry_margin",
];

/// Whether a probe can observe `key` under `profile`: some knobs show only when another one
/// lets them (a replay revokes at all; registration refuses a URI at all; ...).
fn observable(profile: &Profile, key: &str) -> bool {
    match key {
        "code_replay_revokes_unverified" => profile.code_replay_revokes_grant,
        "registration_redirect_error" => profile.registration_strict_redirects,
        "refresh_revocation_revokes_grant" => profile.refresh_keeps_access || profile.refresh_grace,
        "unregistered_grant_error" => !profile.refresh_grant_implied,
        "refresh_grace" => profile.refresh_rotates,
        // The Workers dialect writes `Cache-Control: no-store` on every registration answer
        // and its metadata's list of authentication methods.
        "registration_no_store" | "advertise_none_auth_method" => {
            profile.wire == oauth_oracle::Wire::PythonSdk
        }
        _ => !UNPROBED.contains(&key),
    }
}

fn learn(profile: &Profile) -> Fingerprint {
    let config = Config::for_profile(profile);
    let mut target = ModelTarget {
        server: AuthServer::new(config.clone(), profile.clone()).unwrap(),
    };
    let opts = Options {
        base: if profile.name == "oauth21" {
            Profile::fastmcp()
        } else {
            Profile::oauth21()
        },
        name: "learned".to_owned(),
        config,
        max_expiry_wait: None,
    };
    fingerprint(&mut target, &opts).unwrap()
}

/// Every knob of `found` a probe decided equals `expected`'s; the rest are not observable
/// (none is inconsistent: the model is what the probes assume).
fn assert_reproduces(found: &Fingerprint, expected: &Profile) {
    let want = serde_json::to_value(expected).unwrap();
    for k in &found.knobs {
        match k.confidence {
            Confidence::Decided => assert_eq!(
                k.value, want[k.key],
                "{}: {} learned, {} expected ({})",
                k.key, k.value, want[k.key], k.note
            ),
            Confidence::NotObservable => {}
            Confidence::Inconsistent => panic!("{} inconsistent: {}", k.key, k.note),
        }
    }
    assert!(found.unexpressed.is_empty(), "{:?}", found.unexpressed);
}

#[test]
fn fingerprint_of_the_model_reproduces_fastmcp_oauth21_and_cloudflare() {
    for profile in [
        Profile::fastmcp(),
        Profile::oauth21(),
        Profile::cloudflare(),
    ] {
        let found = learn(&profile);
        assert_reproduces(&found, &profile);
        // Against a base with the opposite values, every probed knob is decided.
        for k in &found.knobs {
            assert_eq!(
                k.confidence == Confidence::Decided,
                observable(&profile, k.key),
                "{} under {}: {:?} ({})",
                k.key,
                profile.name,
                k.confidence,
                k.note
            );
        }
    }
}

#[test]
fn fingerprint_shows_each_broken_variants_defect_as_its_knob() {
    for (_, broken) in Profile::broken_variants() {
        let found = learn(&broken);
        assert_reproduces(&found, &broken);
        let fastmcp = serde_json::to_value(Profile::fastmcp()).unwrap();
        let differs: Vec<&str> = found
            .knobs
            .iter()
            .filter(|k| k.confidence == Confidence::Decided && k.value != fastmcp[k.key])
            .map(|k| k.key)
            .collect();
        // Against the oauth21 base, a knob fastmcp shares with oauth21 and the variant changes
        // is the only decided value that differs from fastmcp's.
        let defect = [
            "codes_single_use",
            "revocation_kills_pair",
            "refresh_rotates",
            "pkce_checked",
            "code_client_bound",
            "access_expiry_enforced",
        ];
        let expected: Vec<&str> = defect
            .iter()
            .copied()
            .filter(|k| serde_json::to_value(&broken).unwrap()[*k] != fastmcp[*k])
            .filter(|k| !UNPROBED.contains(k))
            .collect();
        assert_eq!(differs, expected, "{}", broken.name);
    }
}

#[test]
fn the_learned_file_loads_and_every_evidence_trace_replays_exactly() {
    let mut custom = Profile::oauth21();
    custom.name = "custom".into();
    custom.invalid_grant_status = 422;
    custom.code_prefix = "ac-".into();
    // Value formats that are not FastMCP's, each learned back from the values issued.
    custom.code_format = oauth_oracle::ValueFormat::Base64Url(43);
    custom.access_prefix = "".into();
    custom.access_format = oauth_oracle::ValueFormat::Alnum(42);
    custom.client_id_format = oauth_oracle::ValueFormat::Base64Url(22);
    custom.client_secret_format = oauth_oracle::ValueFormat::Hex(48);
    custom.revocation_auth_error = oauth_oracle::ErrorCode::UnauthorizedClient;
    let found = learn(&custom);
    assert_reproduces(&found, &custom);
    let dir = std::env::temp_dir().join(format!("oo-fingerprint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("learned.toml");
    found.write(&out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let read = Profile::from_toml(&text).unwrap();
    assert_eq!(read, found.profile);
    assert_eq!(read.invalid_grant_status, 422);
    assert_eq!(read.code_prefix, "ac-");
    assert_eq!(read.access_format, oauth_oracle::ValueFormat::Alnum(42));
    assert!(
        text.contains("client_id_format = \"base64url 22\""),
        "{text}"
    );
    assert!(
        text.contains(
            "# fingerprint: decided, evidence learned.evidence/invalid_grant_status.jsonl"
        ),
        "{text}"
    );
    assert!(
        text.contains("# fingerprint: not observable (value kept from the base profile oauth21)"),
        "{text}"
    );
    let evidence = Fingerprint::evidence_dir(&out);
    for k in found
        .knobs
        .iter()
        .filter(|k| k.confidence == Confidence::Decided)
    {
        let file = evidence.join(k.evidence.as_ref().unwrap());
        let trace = oauth_oracle::trace::Trace::read(std::io::BufReader::new(
            std::fs::File::open(&file).unwrap(),
        ))
        .unwrap();
        assert_eq!(trace.header.profile, found.profile, "{}", file.display());
        assert!(
            matches!(replay(&trace).unwrap(), ReplayOutcome::Match { .. }),
            "{}",
            file.display()
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_report_is_the_same_for_the_same_answers() {
    let a = learn(&Profile::fastmcp());
    let b = learn(&Profile::fastmcp());
    assert_eq!(a.to_text("e"), b.to_text("e"));
    assert_eq!(a.to_toml("e"), b.to_toml("e"));
}
