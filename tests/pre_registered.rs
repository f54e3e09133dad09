//! `diff --client`: a provider whose clients are registered beforehand (no open dynamic
//! registration) is diffed against the model. Each generated registration is answered by a
//! pre-registered client of the method it asks for, not yet given in the flow, whose values pair
//! with the model's own registration. Here the provider is `serve` (a real HTTP server on
//! 127.0.0.1) and its clients are registered over HTTP first, as an operator would.
#![allow(clippy::unwrap_used)]

#[path = "common/canned.rs"]
mod canned;

use canned::{Serve, oracle, scratch, text};
use oauth_oracle::target::{HttpTarget, Target as _};
use oauth_oracle::{Event, RegisterRequest, UnixMillis};

/// Register two clients per method with `base`; their `--client` values.
fn register_clients(base: &str) -> Vec<String> {
    let mut target = HttpTarget::new(base, "/mcp");
    let mut values = Vec::new();
    for method in ["client_secret_post", "client_secret_basic", "none"].repeat(2) {
        let body = serde_json::json!({
            "redirect_uris": ["http://localhost:9999/cb"],
            "token_endpoint_auth_method": method,
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "read write",
        });
        let event = Event::Register(RegisterRequest {
            body: body.to_string(),
        });
        let out = target.send(UnixMillis(0), &event).unwrap();
        assert_eq!(out.status, 201, "{}", out.body);
        let v: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        let id = v["client_id"].as_str().unwrap();
        values.push(match v["client_secret"].as_str() {
            Some(secret) => format!("{id}:{secret}:{method}"),
            None => id.to_owned(),
        });
    }
    values
}

fn diff(
    serve: &Serve,
    name: &str,
    clients: &[String],
    extra: &[&str],
) -> (Option<i32>, serde_json::Value) {
    let dir = scratch(name);
    let mut args = vec![
        "diff",
        "--target",
        &serve.base,
        "--cases",
        "30",
        "--steps",
        "20",
        "--shrink-budget",
        "2",
        "--json",
    ];
    for c in clients {
        args.extend(["--client", c.as_str()]);
    }
    args.extend(extra);
    let out = oracle(&dir, &args);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    (out.status.code(), report)
}

#[test]
fn diff_with_pre_registered_clients_agrees_with_the_model() {
    let serve = Serve::start(&["--profile", "fastmcp"]);
    let clients = register_clients(&serve.base);
    let (code, report) = diff(&serve, "pre-registered", &clients, &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["divergent_flows"], 0, "{report:#}");
    let unsent = report["coverage"]["unsent"].to_string();
    assert!(
        unsent.contains("pre-registered client (--client)"),
        "{unsent}"
    );
    // Tokens were issued to the pre-registered clients: the steps after the registrations ran.
    let executed = report["coverage"]["steps_executed"].as_u64().unwrap();
    assert!(executed > 400, "{report:#}");
}

#[test]
fn a_wrong_secret_for_a_pre_registered_client_shows_as_a_divergence() {
    let serve = Serve::start(&["--profile", "fastmcp"]);
    let clients: Vec<String> = register_clients(&serve.base)
        .into_iter()
        .map(|c| match c.split_once(':') {
            Some((id, rest)) => {
                let method = rest.rsplit_once(':').map_or("", |(_, m)| m);
                format!("{id}:not-the-secret:{method}")
            }
            None => c,
        })
        .collect();
    let (code, report) = diff(&serve, "pre-registered-wrong", &clients, &["--keep-going"]);
    assert_eq!(code, Some(1), "{report:#}");
    assert!(
        report["divergent_flows"].as_u64().unwrap() > 0,
        "{report:#}"
    );
}
