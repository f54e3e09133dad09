//! The invariant catalogue against the profiles: `oauth21` upholds every invariant, `fastmcp`
//! breaks exactly its documented deviations, and every deliberately broken variant is caught
//! with a short trace.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use oauth_oracle::check::{Campaign, shrink};
use oauth_oracle::invariant::{CATALOG, InvariantId, documented_deviations};
use oauth_oracle::{Config, Profile};

fn campaign(profile: Profile, cases: u64) -> Campaign {
    Campaign {
        config: Config::for_profile(&profile),
        profile,
        cases,
        steps: 60,
        seed: 1,
        shrink: false,
        shard: None,
    }
}

#[test]
fn oauth21_upholds_every_invariant_and_exercises_each() {
    let report = campaign(Profile::oauth21(), 300)
        .run(std::num::NonZeroUsize::MIN, |_| {})
        .unwrap();
    let broken: Vec<_> = report
        .failures
        .iter()
        .map(|f| (f.invariant, f.detail.clone()))
        .collect();
    assert!(broken.is_empty(), "oauth21 broke: {broken:?}");
    for &id in InvariantId::ALL {
        let checks = report.tallies.get(&id).map_or(0, |t| t.checks);
        // Live-only: the model has no endpoint to show it (no introspection), so never checked.
        assert_eq!(
            checks > 0,
            !id.live_only(),
            "{}: {checks} checks under oauth21",
            id.as_str()
        );
    }
}

#[test]
fn fastmcp_breaks_exactly_its_documented_deviations() {
    let report = campaign(Profile::fastmcp(), 400)
        .run(std::num::NonZeroUsize::MIN, |_| {})
        .unwrap();
    let broken: BTreeSet<InvariantId> = report.failures.iter().map(|f| f.invariant).collect();
    let documented: BTreeSet<InvariantId> = CATALOG
        .iter()
        .filter(|i| i.fastmcp_deviation.is_some())
        .map(|i| i.id)
        .collect();
    assert_eq!(broken, documented);
}

#[test]
fn cloudflare_breaks_exactly_its_documented_deviations() {
    let report = campaign(Profile::cloudflare(), 400)
        .run(std::num::NonZeroUsize::MIN, |_| {})
        .unwrap();
    let broken: BTreeSet<InvariantId> = report.failures.iter().map(|f| f.invariant).collect();
    let documented: BTreeSet<InvariantId> = documented_deviations("cloudflare")
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(broken, documented);
}

#[test]
fn every_broken_variant_is_caught_by_its_invariant_within_eight_steps() {
    for (invariant, profile) in Profile::broken_variants() {
        let name = profile.name.clone();
        let c = campaign(profile, 300);
        let report = c.run(std::num::NonZeroUsize::MIN, |_| {}).unwrap();
        let failure = report.failures.iter().find(|f| f.invariant == invariant);
        let failure = failure.unwrap_or_else(|| panic!("{name}: {invariant} not caught"));
        let minimal = shrink(&c.case_trace(failure.case).unwrap(), invariant);
        assert!(
            minimal.steps.len() <= 8,
            "{name}: minimal trace has {} steps",
            minimal.steps.len()
        );
        // The same invariant holds on the unbroken profile for the same events.
        let mut fixed = minimal.clone();
        fixed.header.profile = Profile::fastmcp();
        let (violations, _) = oauth_oracle::check::check_trace(&fixed).unwrap();
        assert!(
            !violations.iter().any(|v| v.invariant == invariant),
            "{name}: fastmcp breaks {invariant} too"
        );
    }
}

#[test]
fn shrunk_traces_replay_and_still_break_their_invariant() {
    let c = campaign(Profile::fastmcp(), 20);
    let report = c.run(std::num::NonZeroUsize::MIN, |_| {}).unwrap();
    let f = report
        .failures
        .iter()
        .find(|f| f.invariant == InvariantId::CodeReplayRevokesTokens)
        .unwrap();
    let minimal = shrink(&c.case_trace(f.case).unwrap(), f.invariant);
    let text = minimal.to_jsonl();
    let reread = oauth_oracle::trace::Trace::read(text.as_bytes()).unwrap();
    assert!(matches!(
        oauth_oracle::trace::replay(&reread).unwrap(),
        oauth_oracle::trace::ReplayOutcome::Match { .. }
    ));
    let (violations, _) = oauth_oracle::check::check_trace(&reread).unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v.invariant == InvariantId::CodeReplayRevokesTokens)
    );
    // 1-minimal: without any single step, the trace no longer shows the violation.
    for drop in 0..minimal.steps.len() {
        let keep: Vec<usize> = (0..minimal.steps.len()).filter(|&i| i != drop).collect();
        if let Some(t) = oauth_oracle::check::subtrace(&minimal, &keep) {
            let (v, _) = oauth_oracle::check::check_trace(&t).unwrap();
            assert!(
                !v.iter().any(|v| v.invariant == f.invariant),
                "step {} was not needed",
                drop + 1
            );
        }
    }
}

/// Traces that once made the checker report a violation the server did not commit (a revocation
/// in the last second before a whole-second expiry): they must now check clean.
#[test]
fn committed_regressions_check_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let trace =
            oauth_oracle::trace::Trace::read(std::fs::read(&path).unwrap().as_slice()).unwrap();
        let (violations, _) = oauth_oracle::check::check_trace(&trace).unwrap();
        assert!(violations.is_empty(), "{}: {violations:?}", path.display());
    }
}

/// Fuzz regressions (`fuzz/regressions/step/location-quoted-*`): a redirect URI holding a
/// character a `Location` header must percent-encode (`"` in a `data:` URI, `^` in an `http` one,
/// also with an upper-case scheme the server normalises) is redirected to in its quoted form, which names the registered URI; the checker once called
/// that a redirect to an unvalidated URI. A Location naming another URI is still one.
#[test]
fn a_location_that_quotes_the_registered_redirect_uri_is_validated() {
    use oauth_oracle::invariant::{Checker, Expectations};
    use oauth_oracle::{
        AuthServer, AuthorizeMethod, AuthorizeRequest, Event, Output, Params, RegisterRequest,
        UnixMillis, s256_challenge,
    };
    let cases = [
        (
            Profile::fastmcp(),
            "data:text/html,a\"b",
            "data:text/html,a%22b?",
        ),
        (
            Profile::fastmcp(),
            "http://localhost:9999/c^",
            "http://localhost:9999/c%5E?",
        ),
        (
            Profile::oauth21(),
            "http://localhost:9999/c^",
            "http://localhost:9999/c%5E?",
        ),
        // Registered with an upper-case scheme: the Location is both normalised and quoted.
        (
            Profile::fastmcp(),
            "Http://localhost:9999/c^",
            "http://localhost:9999/c%5E?",
        ),
    ];
    for (profile, uri, quoted) in cases {
        let name = profile.name.clone();
        let config = Config::for_profile(&profile);
        let mut checker = Checker::new(Expectations::from_config(&config));
        let mut server = AuthServer::new(config, profile).unwrap();
        let mut send = |step: usize, event: Event| -> (Output, Vec<_>) {
            let at = UnixMillis(1_800_000_000_000 + step as u64);
            let out = server.apply(at, &event);
            let violations = checker.observe(step, at, &event, &out);
            (out, violations)
        };
        let body =
            serde_json::json!({"redirect_uris": [uri], "token_endpoint_auth_method": "none"});
        let (registered, _) = send(
            1,
            Event::Register(RegisterRequest {
                body: body.to_string(),
            }),
        );
        assert_eq!(registered.status, 201, "{name}: {}", registered.body);
        let client: serde_json::Value = serde_json::from_str(&registered.body).unwrap();
        let client_id = client["client_id"].as_str().unwrap();
        let challenge = s256_challenge("v".repeat(43).as_str());
        let authorize = Event::Authorize(AuthorizeRequest {
            method: AuthorizeMethod::Get,
            params: Params::from_pairs([
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", uri),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ]),
        });
        let (out, violations) = send(2, authorize.clone());
        let location = out.header("location").unwrap_or_default().to_owned();
        assert!(location.starts_with(quoted), "{name}: Location {location}");
        let unvalidated = |v: &oauth_oracle::invariant::Violation| {
            v.invariant == InvariantId::NoRedirectToUnvalidatedUri
        };
        assert!(
            !violations.iter().any(unvalidated),
            "{name}: {violations:?}"
        );
        // The same answer sent somewhere the client did not register is still flagged.
        let mut elsewhere = out.clone();
        let moved = location.replacen(quoted, &quoted.replace('?', "x?"), 1);
        elsewhere.headers = vec![("location".into(), moved.into())];
        let violations = checker.observe(3, UnixMillis(1_800_000_000_003), &authorize, &elsewhere);
        assert!(
            violations
                .iter()
                .any(|v| v.invariant == InvariantId::NoRedirectToUnvalidatedUri),
            "{name}: {violations:?}"
        );
    }
}

/// FastMCP mounts no introspection endpoint: the model answers an introspection request as
/// Starlette answers a path it does not serve, so `check` never evaluates the live-only
/// invariant (NOT TESTED), and a trace with such a step replays.
#[test]
fn the_model_answers_introspection_as_a_path_fastmcp_does_not_serve() {
    for profile in [Profile::fastmcp(), Profile::oauth21()] {
        let server = oauth_oracle::AuthServer::new(Config::for_profile(&profile), profile).unwrap();
        let (_, out) = server.step(
            oauth_oracle::UnixMillis(1_800_000_000_000),
            oauth_oracle::Event::Introspect(oauth_oracle::IntrospectRequest {
                form: oauth_oracle::Params::from_pairs([("token", "t")]),
                authorization: None,
            }),
        );
        assert_eq!((out.status, out.body.as_str()), (404, "Not Found"));
    }
    assert!(InvariantId::IntrospectionRequiresAuthentication.live_only());
    assert_eq!(InvariantId::ALL.iter().filter(|i| i.live_only()).count(), 1);
}
