//! Test controls ([`oauth_oracle::Control`]): each one's effect on the model's later answers, and
//! that a session holding controls replays byte for byte from its trace.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{CB, Harness, TestClient, bearer, body_str, error_of, location_param};
use oauth_oracle::control::{
    DUPLICATE_CODE, Failure, FaultEndpoint, Selection, Switch, WRONG_ISSUER,
};
use oauth_oracle::trace::{Header, ReplayOutcome, StepLine, Trace, replay};
use oauth_oracle::{AuthorizeMethod, Control, Event, s256_challenge};

/// Apply a control; its answer's body.
fn control(h: &mut Harness, c: Control) -> String {
    let out = h.send(Event::Control(c));
    assert_eq!(out.status, 200, "control refused: {}", out.body);
    out.body
}

fn token(token: &str) -> Selection {
    Selection {
        token: Some(token.to_owned()),
        ..Selection::default()
    }
}

fn client(id: &str) -> Selection {
    Selection {
        client_id: Some(id.to_owned()),
        ..Selection::default()
    }
}

/// A registered client with a fresh token pair: (client, access, refresh).
fn pair(h: &mut Harness) -> (TestClient, String, String) {
    let c = h.register("client_secret_post", None);
    let code = h.code_for(&c, None);
    let out = h.exchange(&c, &code);
    assert_eq!(out.status, 200, "{}", out.body);
    (
        c,
        body_str(&out, "access_token").unwrap(),
        body_str(&out, "refresh_token").unwrap(),
    )
}

/// The harness's session as a trace, replayed through a fresh model: every output identical.
fn assert_replays(h: &Harness) {
    let server = h.server.as_ref().unwrap();
    let trace = Trace {
        header: Header::new(server.profile(), server.config()),
        steps: h
            .log
            .iter()
            .enumerate()
            .map(|(i, (at, e, o))| StepLine {
                step: i + 1,
                at: *at,
                event: e.clone().into(),
                output: o.clone(),
            })
            .collect(),
    };
    let text = trace.to_jsonl();
    let back = Trace::read(text.as_bytes()).unwrap();
    match replay(&back).unwrap() {
        ReplayOutcome::Match { steps } => assert_eq!(steps, h.log.len()),
        other => panic!("the session does not replay: {other:?}\n{text}"),
    }
}

#[test]
fn expire_one_access_token_makes_it_rejected_and_fastmcp_drops_its_refresh_token() {
    let mut h = Harness::new();
    let (c, access, refresh) = pair(&mut h);
    assert_eq!(h.resource(&[&bearer(&access)]).status, 200);
    let out = control(&mut h, Control::Expire(token(&access)));
    assert!(out.contains("\"access_tokens\":1"), "{out}");
    assert_eq!(h.resource(&[&bearer(&access)]).status, 401);
    // D-1: loading an expired access token deletes its refresh token too.
    let out = h.refresh(&c, &refresh, None);
    assert_eq!(error_of(&out).0, "invalid_grant", "{}", out.body);
    assert_replays(&h);
}

#[test]
fn expire_a_clients_tokens_leaves_other_clients_alone() {
    let mut h = Harness::new();
    let (a, a_access, _) = pair(&mut h);
    let (_, b_access, _) = pair(&mut h);
    let out = control(&mut h, Control::Expire(client(&a.id)));
    assert!(out.contains("\"access_tokens\":1"), "{out}");
    assert_eq!(h.resource(&[&bearer(&a_access)]).status, 401);
    assert_eq!(h.resource(&[&bearer(&b_access)]).status, 200);
    assert_replays(&h);
}

#[test]
fn expire_everything_expires_codes_too() {
    let mut h = Harness::new();
    let (c, access, _) = pair(&mut h);
    let code = h.code_for(&c, None);
    let out = control(&mut h, Control::Expire(Selection::default()));
    assert!(out.contains("\"codes\":1"), "{out}");
    assert_eq!(h.resource(&[&bearer(&access)]).status, 401);
    let out = h.exchange(&c, &code);
    assert_eq!(error_of(&out).0, "invalid_grant", "{}", out.body);
    assert_replays(&h);
}

#[test]
fn revoke_a_refresh_token_kills_its_pair() {
    let mut h = Harness::new();
    let (c, access, refresh) = pair(&mut h);
    let out = control(&mut h, Control::Revoke(token(&refresh)));
    assert!(out.contains("\"refresh_tokens\":1"), "{out}");
    assert_eq!(h.resource(&[&bearer(&access)]).status, 401);
    assert_eq!(error_of(&h.refresh(&c, &refresh, None)).0, "invalid_grant");
    assert_replays(&h);
}

#[test]
fn revoke_a_clients_tokens_and_codes_leaves_other_clients_alone() {
    let mut h = Harness::new();
    let (a, a_access, _) = pair(&mut h);
    let (_, b_access, _) = pair(&mut h);
    let code = h.code_for(&a, None);
    let out = control(&mut h, Control::Revoke(client(&a.id)));
    assert!(out.contains("\"codes\":1"), "{out}");
    assert_eq!(h.resource(&[&bearer(&a_access)]).status, 401);
    assert_eq!(h.resource(&[&bearer(&b_access)]).status, 200);
    assert_eq!(error_of(&h.exchange(&a, &code)).0, "invalid_grant");
    assert_replays(&h);
}

#[test]
fn unknown_token_or_client_is_refused_and_changes_nothing() {
    let mut h = Harness::new();
    let (_, access, _) = pair(&mut h);
    let out = h.send(Event::Control(Control::Expire(token("nope"))));
    assert_eq!(out.status, 400, "{}", out.body);
    let out = h.send(Event::Control(Control::Revoke(client("nope"))));
    assert_eq!(out.status, 400, "{}", out.body);
    assert_eq!(h.resource(&[&bearer(&access)]).status, 200);
}

#[test]
fn scripted_failures_answer_the_next_n_requests_then_stop() {
    let mut h = Harness::new();
    let (c, _, refresh) = pair(&mut h);
    control(
        &mut h,
        Control::Fail(Failure {
            endpoint: FaultEndpoint::Token,
            count: 2,
            status: Some(503),
            error: Some("temporarily_unavailable".to_owned()),
            error_description: None,
            delay_ms: 0,
        }),
    );
    for _ in 0..2 {
        let out = h.refresh(&c, &refresh, None);
        assert_eq!(out.status, 503);
        assert_eq!(error_of(&out).0, "temporarily_unavailable");
    }
    let out = h.refresh(&c, &refresh, None);
    assert_eq!(
        out.status, 200,
        "the third request is answered: {}",
        out.body
    );
    assert_replays(&h);
}

#[test]
fn denied_consent_redirects_with_access_denied_once() {
    let mut h = Harness::new();
    let c = h.register("none", None);
    control(&mut h, Control::DenyConsent { count: 1 });
    let challenge = s256_challenge(common::VERIFIER);
    let params = [
        ("response_type", "code"),
        ("client_id", c.id.as_str()),
        ("redirect_uri", CB),
        ("code_challenge", challenge.as_str()),
        ("state", "s1"),
    ];
    let out = h.authorize(AuthorizeMethod::Get, &params);
    assert_eq!(out.status, 302);
    assert_eq!(
        location_param(&out, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(location_param(&out, "state").as_deref(), Some("s1"));
    assert_eq!(location_param(&out, "code"), None);
    let out = h.authorize(AuthorizeMethod::Get, &params);
    assert!(location_param(&out, "code").is_some(), "only one denial");
    assert_replays(&h);
}

#[test]
fn adversarial_switches_change_the_answers_until_turned_off() {
    let mut h = Harness::new();
    let switches: BTreeSet<Switch> = [
        Switch::WrongIss,
        Switch::IssuerMismatch,
        Switch::NoNewRefreshToken,
        Switch::DuplicateCode,
        Switch::NoTokenType,
    ]
    .into();
    let c = h.register("client_secret_post", None);
    control(&mut h, Control::Adversary { switches });
    let meta = h.send(Event::AuthorizationServerMetadata);
    assert_eq!(body_str(&meta, "issuer").as_deref(), Some(WRONG_ISSUER));
    let challenge = s256_challenge(common::VERIFIER);
    let out = h.authorize(
        AuthorizeMethod::Get,
        &[
            ("response_type", "code"),
            ("client_id", c.id.as_str()),
            ("redirect_uri", CB),
            ("code_challenge", challenge.as_str()),
        ],
    );
    let loc = out.header("location").unwrap().to_owned();
    assert!(loc.contains(&format!("code={DUPLICATE_CODE}")), "{loc}");
    assert_eq!(location_param(&out, "iss").as_deref(), Some(WRONG_ISSUER));
    let code = loc
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap()
        .to_owned();
    let out = h.exchange(&c, &code);
    assert_eq!(out.status, 200, "{}", out.body);
    assert_eq!(body_str(&out, "token_type"), None, "{}", out.body);
    let refresh = body_str(&out, "refresh_token").unwrap();
    let out = h.refresh(&c, &refresh, None);
    assert_eq!(body_str(&out, "refresh_token"), None, "{}", out.body);
    control(
        &mut h,
        Control::Adversary {
            switches: BTreeSet::new(),
        },
    );
    let meta = h.send(Event::AuthorizationServerMetadata);
    assert_ne!(body_str(&meta, "issuer").as_deref(), Some(WRONG_ISSUER));
    assert_replays(&h);
}

#[test]
fn control_routes_parse_their_bodies_and_name_what_is_wrong() {
    let c = Control::from_route("fail", br#"{"endpoint":"token","count":1,"status":500}"#).unwrap();
    assert_eq!(c.route(), "fail");
    let back = Control::from_route(c.route(), c.body().to_string().as_bytes()).unwrap();
    assert_eq!(back, c);
    assert!(
        Control::from_route("expire", b"").is_ok(),
        "an empty body: everything"
    );
    let e = Control::from_route("fail", br#"{"endpoint":"nowhere","count":1,"status":500}"#)
        .unwrap_err();
    assert!(e.contains("nowhere"), "{e}");
    let e = Control::from_route("deny-consent", b"[1]").unwrap_err();
    assert!(e.contains("object"), "{e}");
    assert!(Control::from_route("explode", b"{}").is_err());
}

#[test]
fn a_delay_alone_keeps_the_endpoints_own_answer_and_bad_failures_are_refused() {
    let mut h = Harness::new();
    let (c, _, refresh) = pair(&mut h);
    let delayed =
        Control::from_route("fail", br#"{"endpoint":"token","count":1,"delay_ms":300}"#).unwrap();
    control(&mut h, delayed);
    let out = h.refresh(&c, &refresh, None);
    assert_eq!(
        out.status, 200,
        "the answer is the endpoint's own: {}",
        out.body
    );
    for bad in [
        r#"{"endpoint":"token","count":1}"#,
        r#"{"endpoint":"token","count":0,"status":500}"#,
        r#"{"endpoint":"token","count":1,"status":42}"#,
        r#"{"endpoint":"token","count":1,"delay_ms":60001}"#,
        r#"{"endpoint":"token","count":1,"delay_ms":5,"error":"x"}"#,
    ] {
        let c = Control::from_route("fail", bad.as_bytes()).unwrap();
        let out = h.send(Event::Control(c));
        assert_eq!(out.status, 400, "{bad}: {}", out.body);
    }
    assert_replays(&h);
}
