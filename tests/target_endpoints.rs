//! Live targets whose endpoints are not FastMCP's: every request goes where the metadata says
//! (RFC 8414, then OpenID discovery; FastMCP's paths only without metadata), a step whose
//! endpoint the metadata does not name is not sent, and the invariants that need it — or a
//! protected resource that only ever answers 404 — are NOT TESTED, never PASS.
#![allow(clippy::unwrap_used)]

#[path = "common/canned.rs"]
mod canned;

use canned::{Answer, Canned, Serve, oracle, scratch, text};
use oauth_oracle::audit::{Report, Status};
use oauth_oracle::invariant::{Checker, Expectations, InvariantId};
use oauth_oracle::target::{EndpointKind, HttpTarget, MetadataSource, Target, TargetError};
use oauth_oracle::time::UnixMillis;
use oauth_oracle::{Event, Output, RegisterRequest, ResourceRequest, RevokeRequest};

/// node-oidc-provider-like metadata at `base`: registration at `/reg`, authorization at `/auth`,
/// token at `/oauth/token`, no revocation endpoint.
fn renamed_metadata(base: &str) -> String {
    format!(
        r#"{{"issuer":"{base}","authorization_endpoint":"{base}/auth","token_endpoint":"{base}/oauth/token","registration_endpoint":"{base}/reg","response_types_supported":["code"],"code_challenge_methods_supported":["S256"],"token_endpoint_auth_methods_supported":["client_secret_post","client_secret_basic","none"]}}"#
    )
}

const NOT_FOUND: Answer = Answer::Canned(404, "application/json", r#"{"detail":"Not Found"}"#);

/// A provider at renamed paths: `/reg`, `/auth` and `/oauth/token` proxied to `serve` at
/// `backend`, RFC 8414 metadata naming them, no revocation endpoint, and every other path —
/// `/mcp` included — answered 404.
fn renamed_provider(backend: &str) -> Canned {
    let backend = backend.to_owned();
    Canned::start(move |base, _, path| match path {
        "/.well-known/oauth-authorization-server" => {
            Answer::Owned(200, "application/json", renamed_metadata(base))
        }
        "/reg" => Answer::Proxy(format!("{backend}/register")),
        "/auth" => Answer::Proxy(format!("{backend}/authorize")),
        "/oauth/token" => Answer::Proxy(format!("{backend}/token")),
        _ => NOT_FOUND,
    })
}

const FASTMCP_PATHS: [&str; 4] = ["/register", "/authorize", "/token", "/revoke"];

const REVOCATION_INVARIANTS: [&str; 7] = [
    "revoked-stays-dead",
    "revocation-cascades",
    "revocation-owner-only",
    "revocation-unknown-token-200",
    "revocation-public-and-basic-clients",
    "revocation-auth-error-code",
    "revocation-hint-ignored",
];

const RESOURCE_INVARIANTS: [&str; 4] = [
    "unknown-token-rejected",
    "bearer-challenge",
    "expired-access-rejected",
    "insufficient-scope-403",
];

#[test]
fn audit_sends_to_the_named_endpoints_and_reports_what_it_could_not_test() {
    let serve = Serve::start(&[]);
    let provider = renamed_provider(&serve.base);
    let dir = scratch("renamed");
    let out = oracle(
        &dir,
        &[
            "audit",
            "--target",
            &provider.base,
            "--cases",
            "3",
            "--steps",
            "25",
            "--shrink-budget",
            "2",
        ],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    // Usable: clients registered and codes issued through the renamed endpoints.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}\n{stdout}\n{stderr}",
        out.status
    );
    let paths = provider.paths();
    for named in ["/reg", "/auth", "/oauth/token", "/mcp"] {
        assert!(paths.iter().any(|p| p == named), "{named} never requested");
    }
    for fixed in FASTMCP_PATHS {
        assert!(
            !paths.iter().any(|p| p == fixed),
            "{fixed} requested, which the metadata does not name"
        );
    }
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("oauth-oracle-audit/audit-fastmcp.json")).unwrap(),
    )
    .unwrap();
    let entry = |id: &str| {
        json["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["invariant"] == id)
            .unwrap_or_else(|| panic!("{id} not in the report"))
            .clone()
    };
    for id in REVOCATION_INVARIANTS {
        let e = entry(id);
        assert_eq!(e["status"], "NOT TESTED", "{id}: {e}");
        let why = e["why"].as_str().unwrap_or_default();
        assert!(
            why.contains("no revocation_endpoint in metadata"),
            "{id}: {why}"
        );
    }
    for id in RESOURCE_INVARIANTS {
        let e = entry(id);
        assert_eq!(e["status"], "NOT TESTED", "{id}: {e}");
        assert_eq!(e["tally"]["checks"], 0, "{id}: {e}");
        let why = e["why"].as_str().unwrap_or_default();
        assert!(
            why.contains("resource endpoint answered 404: not a protected resource"),
            "{id}: {why}"
        );
    }
    // What was reachable was tested: registration through /reg, codes through /auth.
    assert_eq!(entry("state-echoed")["status"], "PASS");
    assert_eq!(entry("pkce-verified")["status"], "PASS");
    // The report says which endpoints were discovered and which were missing.
    let endpoints = json["surface"]["endpoints"].as_array().unwrap();
    let url = |field: &str| {
        endpoints
            .iter()
            .find(|e| e["kind"] == field)
            .unwrap_or_else(|| panic!("{field} not in {endpoints:?}"))["url"]
            .clone()
    };
    assert_eq!(
        url("registration_endpoint"),
        format!("{}/reg", provider.base)
    );
    assert_eq!(
        url("token_endpoint"),
        format!("{}/oauth/token", provider.base)
    );
    assert!(url("revocation_endpoint").is_null());
    assert!(url("introspection_endpoint").is_null());
    assert_eq!(json["surface"]["resource"]["accepted"], 0);
    assert_eq!(json["surface"]["resource"]["rejected"], 0);
    assert!(
        json["surface"]["resource"]["unusable"]["404"]
            .as_u64()
            .unwrap()
            > 0
    );
    let md = std::fs::read_to_string(dir.join("oauth-oracle-audit/audit-fastmcp.md")).unwrap();
    assert!(
        md.contains("| `revocation_endpoint` | missing: the steps that need it were not sent |"),
        "{md}"
    );
    assert!(
        md.contains("| `revoked-stays-dead` | MUST | NOT TESTED |"),
        "{md}"
    );
    let junit =
        std::fs::read_to_string(dir.join("oauth-oracle-audit/audit-fastmcp.junit.xml")).unwrap();
    assert!(
        junit.contains(r#"<property name="revocation_endpoint" value="missing"/>"#),
        "{junit}"
    );
    assert!(
        junit.contains("<skipped message=\"not tested: no revocation_endpoint in metadata"),
        "{junit}"
    );
}

#[test]
fn http_target_sends_each_event_to_its_endpoint_and_never_one_without() {
    let provider = Canned::start(|base, _, path| match path {
        "/.well-known/oauth-authorization-server" => {
            Answer::Owned(200, "application/json", renamed_metadata(base))
        }
        "/reg" => Answer::Canned(201, "application/json", r#"{"client_id":"c"}"#),
        _ => NOT_FOUND,
    });
    let mut target = HttpTarget::checked(&provider.base, "/mcp").unwrap();
    target.discover().unwrap();
    assert_eq!(
        target.endpoints().source,
        MetadataSource::Rfc8414 {
            url: format!("{}/.well-known/oauth-authorization-server", provider.base)
        }
    );
    let register = Event::Register(RegisterRequest {
        body: "{}".to_owned(),
    });
    assert_eq!(target.send(UnixMillis(0), &register).unwrap().status, 201);
    let revoke = Event::Revoke(RevokeRequest {
        form: oauth_oracle::Params::from_pairs([("token", "t")]),
        authorization: None,
    });
    assert_eq!(
        target.unsendable(&revoke).as_deref(),
        Some("no revocation_endpoint in metadata")
    );
    assert!(matches!(
        target.send(UnixMillis(0), &revoke),
        Err(TargetError::NotSent { .. })
    ));
    assert_eq!(
        provider.paths(),
        ["/.well-known/oauth-authorization-server", "/reg"]
    );
}

#[test]
fn openid_discovery_is_used_where_rfc8414_metadata_is_absent() {
    let provider = Canned::start(|base, _, path| match path {
        "/.well-known/oauth-authorization-server" => {
            Answer::Canned(200, "text/html", "<html>not metadata</html>")
        }
        "/.well-known/openid-configuration" => {
            Answer::Owned(200, "application/json", renamed_metadata(base))
        }
        _ => NOT_FOUND,
    });
    let mut target = HttpTarget::checked(&provider.base, "/mcp").unwrap();
    target.discover().unwrap();
    let e = target.endpoints();
    assert!(
        matches!(&e.source, MetadataSource::OpenidConfiguration { rfc8414, .. } if rfc8414.contains("not JSON")),
        "{:?}",
        e.source
    );
    assert_eq!(
        e.url(EndpointKind::Authorization),
        Some(format!("{}/auth", provider.base).as_str())
    );
}

#[test]
fn without_metadata_fastmcps_paths_are_assumed_and_said_so() {
    let provider = Canned::start(|_, _, _| NOT_FOUND);
    let mut target = HttpTarget::checked(&provider.base, "/mcp").unwrap();
    assert!(target.discover().unwrap().is_null());
    let e = target.endpoints();
    assert!(!e.discovered());
    let said = e.describe_source();
    assert!(said.contains("FastMCP's paths assumed"), "{said}");
    assert!(said.contains("openid-configuration: HTTP 404"), "{said}");
    assert_eq!(
        e.url(EndpointKind::Revocation),
        Some(format!("{}/revoke", provider.base).as_str())
    );
}

#[test]
fn metadata_naming_an_unusable_endpoint_is_an_error_naming_field_and_url() {
    let provider = Canned::start(|base, _, path| match path {
        "/.well-known/oauth-authorization-server" => Answer::Owned(
            200,
            "application/json",
            format!(
                r#"{{"issuer":"{base}","registration_endpoint":"{base}/reg","token_endpoint":"ftp://127.0.0.1/token"}}"#
            ),
        ),
        _ => NOT_FOUND,
    });
    let dir = scratch("https-endpoint");
    let out = oracle(&dir, &["audit", "--target", &provider.base]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("token_endpoint"), "{stderr}");
    assert!(stderr.contains("ftp://127.0.0.1/token"), "{stderr}");
    assert!(stderr.contains("uses scheme ftp"), "{stderr}");
}

#[test]
fn a_resource_answering_404_or_500_is_never_a_rejection() {
    let exp = Expectations::from_config(&oauth_oracle::Config::default());
    let unknown = Event::Resource(ResourceRequest {
        authorization: vec!["Bearer never-issued-token".to_owned()],
    });
    let checks = |o: Output| {
        let mut c = Checker::new(exp.clone());
        let v = c.observe(1, UnixMillis(0), &unknown, &o);
        (
            c.tallies()
                .get(&InvariantId::UnknownTokenRejected)
                .map_or(0, |t| t.checks),
            v.len(),
        )
    };
    assert_eq!(checks(Output::new(404, &[], String::new())), (0, 0));
    assert_eq!(checks(Output::new(500, &[], String::new())), (0, 0));
    assert_eq!(checks(Output::new(403, &[], String::new())), (0, 0));
    assert_eq!(
        checks(Output::new(
            401,
            &[("www-authenticate", "Bearer")],
            String::new()
        )),
        (1, 0)
    );
    assert_eq!(checks(Output::new(200, &[], String::new())), (1, 1));
}

#[test]
fn an_invariant_without_checks_is_not_tested_in_every_format() {
    let report = Report::new(
        "http://127.0.0.1:1".into(),
        1,
        0,
        &std::collections::BTreeMap::new(),
        &[],
    );
    assert_eq!(report.count(Status::Pass), 0);
    assert_eq!(report.count(Status::NotTested), report.entries.len());
    assert!(
        report.entries.iter().all(|e| e.why.is_some()),
        "a NOT TESTED entry without why"
    );
    assert!(report.markdown().contains("0 PASS, 0 FAIL"));
    assert!(report.markdown().contains("| NOT TESTED |"));
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains(r#""status":"NOT TESTED""#), "{json}");
    assert!(!json.contains("NOT APPLICABLE"));
    assert!(
        report
            .junit()
            .contains(&format!("skipped=\"{}\"", report.entries.len()))
    );
}

#[test]
fn diff_runner_skips_what_has_no_endpoint_and_agrees_on_the_rest() {
    use oauth_oracle::diff::{RunOptions, Verdict, run_flow};
    use oauth_oracle::generate::{Generator, Pacing};
    let serve = Serve::start(&[]);
    let provider = renamed_provider(&serve.base);
    let mut target = HttpTarget::checked(&provider.base, "/mcp").unwrap();
    target.discover().unwrap();
    let profile = oauth_oracle::Profile::fastmcp();
    let config = oauth_oracle::Config {
        base_url: serve.base.clone(),
        ..oauth_oracle::Config::for_profile(&profile)
    };
    let (mut revokes, mut resources) = (0, 0);
    for seed in 0..4u8 {
        let config = oauth_oracle::Config {
            seed: oauth_oracle::Seed([seed; 32]),
            ..config.clone()
        };
        let trace = Generator::new(profile.clone(), config)
            .unwrap()
            .with_pacing(Pacing::live(0, 1500))
            .run(30);
        // The metadata documents differ by design (renamed endpoints): leave them out.
        let keep: Vec<usize> = (0..trace.steps.len())
            .filter(|&i| {
                !matches!(
                    trace.steps[i].event.kind(),
                    "authorization_server_metadata" | "protected_resource_metadata"
                )
            })
            .collect();
        let trace = oauth_oracle::check::subtrace(&trace, &keep).unwrap();
        let run = run_flow(&trace, &mut target, RunOptions::default()).unwrap();
        if let Some(d) = run.divergence() {
            panic!(
                "seed {seed}, step {}: {:?}\n{}",
                d.step,
                d.verdict,
                serde_json::to_value(&trace.steps[d.step - 1].event).unwrap()
            );
        }
        for (s, line) in run.steps.iter().zip(&trace.steps) {
            match (Some(line.event.kind()), &s.verdict) {
                (Some("revoke"), Verdict::Skip(why)) => {
                    assert_eq!(why, "no revocation_endpoint in metadata");
                    assert!(s.target.is_none() && s.model.is_none(), "a revoke was run");
                    revokes += 1;
                }
                (Some("resource"), Verdict::Skip(why)) => {
                    assert_eq!(
                        why,
                        "resource endpoint answered 404: not a protected resource"
                    );
                    resources += 1;
                }
                (Some(kind @ ("revoke" | "resource")), v) => {
                    panic!("{kind} step {} judged {v:?}", s.step)
                }
                _ => {}
            }
        }
    }
    assert!(
        revokes > 0 && resources > 0,
        "{revokes} revokes, {resources} resource steps"
    );
    assert!(
        !provider
            .paths()
            .iter()
            .any(|p| FASTMCP_PATHS.contains(&p.as_str())),
        "{:?}",
        provider.paths()
    );
}

#[test]
fn without_a_registration_endpoint_nothing_is_tested_and_the_run_says_why() {
    let provider = Canned::start(|base, _, path| match path {
        "/.well-known/oauth-authorization-server" => Answer::Owned(
            200,
            "application/json",
            format!(
                r#"{{"issuer":"{base}","authorization_endpoint":"{base}/auth","token_endpoint":"{base}/token"}}"#
            ),
        ),
        _ => NOT_FOUND,
    });
    let dir = scratch("no-registration");
    for cmd in ["audit", "diff"] {
        let out = oracle(&dir, &[cmd, "--target", &provider.base]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {stderr}");
        assert!(
            stderr.contains("target unusable: no registration_endpoint in metadata"),
            "{cmd}: {stderr}"
        );
    }
    assert!(
        provider
            .paths()
            .iter()
            .all(|p| p == "/.well-known/oauth-authorization-server"),
        "{:?}",
        provider.paths()
    );
}

#[test]
fn an_audit_without_metadata_says_fastmcps_paths_were_assumed() {
    let serve = Serve::start(&[]);
    let backend = serve.base.clone();
    // serve behind a proxy that hides both metadata documents.
    let provider = Canned::start(move |_, _, path| {
        if path.starts_with("/.well-known/") {
            NOT_FOUND
        } else {
            Answer::Proxy(format!("{backend}{path}"))
        }
    });
    let dir = scratch("no-metadata");
    let out = oracle(
        &dir,
        &[
            "audit",
            "--target",
            &provider.base,
            "--cases",
            "2",
            "--steps",
            "20",
            "--shrink-budget",
            "2",
        ],
    );
    let stderr = text(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    assert!(stderr.contains("FastMCP's paths assumed"), "{stderr}");
    let md = std::fs::read_to_string(dir.join("oauth-oracle-audit/audit-fastmcp.md")).unwrap();
    assert!(md.contains("FastMCP's paths assumed"), "{md}");
    assert!(
        md.contains("| `issuer-identity` | MUST | NOT TESTED | 0 | 0 | RFC 8414 §3.3 | no authorization-server metadata to check |"),
        "{md}"
    );
    assert!(provider.paths().iter().any(|p| p == "/register"));
}

/// A trace whose header makes no server is an error about the trace, named as such, not a
/// transport failure of the target (which is never contacted).
#[test]
fn a_trace_whose_header_makes_no_server_is_a_header_error_not_a_transport_one() {
    use oauth_oracle::diff::{RunOptions, run_flow};
    let mut trace = oauth_oracle::generate::Generator::new(
        oauth_oracle::Profile::fastmcp(),
        oauth_oracle::Config::default(),
    )
    .unwrap()
    .run(2);
    trace.header.config.mcp_path = "no-slash".into();
    // Port 9 (discard): nothing is listening, and nothing is sent.
    let mut target = HttpTarget::new("http://127.0.0.1:9", "/mcp");
    let err = run_flow(&trace, &mut target, RunOptions::default()).unwrap_err();
    assert!(matches!(err, TargetError::Header(_)), "{err}");
    assert!(err.to_string().contains("mcp_path"), "{err}");
    assert_eq!(target.requests, 0);
}
