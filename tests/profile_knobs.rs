//! Profiles are data: each security knob works on its own, not only in the combination the
//! shipped profiles use (`oauth21` turns the family knobs and sweeping on together, `fastmcp` off
//! together).
#![allow(clippy::unwrap_used)]

mod common;

use common::{CB, Harness, TestClient, VERIFIER, body_str, location_param};
use oauth_oracle::{AuthServer, AuthorizeMethod, Config, Profile, s256_challenge};

/// A server under `profile` and a public client of it.
fn start(profile: Profile) -> (Harness, TestClient) {
    let mut h = Harness::with_profile(profile);
    let client = h.register("none", None);
    (h, client)
}

/// Authorize (S256) and exchange: the code and the `Authorization` value of its access token.
fn grant(h: &mut Harness, client: &TestClient) -> (String, String) {
    let challenge = s256_challenge(VERIFIER);
    let out = h.authorize(
        AuthorizeMethod::Get,
        &[
            ("response_type", "code"),
            ("client_id", &client.id),
            ("redirect_uri", CB),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let code = location_param(&out, "code").unwrap();
    let out = h.exchange(client, &code);
    assert_eq!(out.status, 200, "{}", out.body);
    let bearer = format!("Bearer {}", body_str(&out, "access_token").unwrap());
    (code, bearer)
}

/// A resource call with `bearer`; the status.
fn resource(h: &mut Harness, bearer: &str) -> u16 {
    h.resource(&[bearer]).status
}

/// With code-replay revocation on and refresh-reuse detection off, a valid replay of a used code
/// still revokes the tokens that code issued
/// ([OAuth 2.1 §4.1.3](https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-4.1.3)).
#[test]
fn code_replay_revokes_the_grant_without_refresh_reuse_detection() {
    let mut profile = Profile::oauth21();
    profile.refresh_reuse_revokes_family = false;
    let (mut h, client) = start(profile);
    let (code, bearer) = grant(&mut h, &client);
    assert_eq!(resource(&mut h, &bearer), 200);
    let replay = h.exchange(&client, &code);
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert_eq!(
        resource(&mut h, &bearer),
        401,
        "the replay revoked the grant's tokens"
    );
}

/// Grants stay apart without the expiry queue: with sweeping off, a valid replay of one grant's
/// code revokes that grant's tokens and no other's.
#[test]
fn code_replay_revokes_only_its_own_grant_without_sweeping() {
    let mut profile = Profile::oauth21();
    profile.sweep_expired = false;
    let (mut h, client) = start(profile);
    let (first_code, first) = grant(&mut h, &client);
    let (_, second) = grant(&mut h, &client);
    assert_eq!(resource(&mut h, &first), 200);
    assert_eq!(resource(&mut h, &second), 200);
    let replay = h.exchange(&client, &first_code);
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert_eq!(
        resource(&mut h, &first),
        401,
        "the replayed grant is revoked"
    );
    assert_eq!(resource(&mut h, &second), 200, "the other grant is not");
}

/// Every knob a probe can observe, changed alone from `fastmcp` (to `oauth21`'s value where the two
/// differ, else to another value), changes what the server answers, and `fingerprint` of the
/// model under that profile names exactly that knob: each knob works on its own, whatever the
/// others. The knobs no probe observes without real-time waits are left to the live tests.
#[test]
fn each_knob_changed_alone_is_observed_as_that_knob() {
    use oauth_oracle::fingerprint::{Confidence, Options, fingerprint};
    use oauth_oracle::profile::KNOBS;
    use oauth_oracle::target::ModelTarget;
    use serde_json::Value;

    const UNPROBED: &[&str] = &[
        "name",
        "sweep_expired",
        "default_refresh_lifetime",
        "access_expiry_enforced",
        "expired_access_revokes_refresh",
    ];
    let fastmcp = serde_json::to_value(Profile::fastmcp()).unwrap();
    let oauth21 = serde_json::to_value(Profile::oauth21()).unwrap();
    let mut tried = 0;
    for knob in KNOBS.iter().filter(|k| !UNPROBED.contains(&k.key)) {
        let key = knob.key;
        let other = if oauth21[key] != fastmcp[key] {
            oauth21[key].clone()
        } else {
            match (&fastmcp[key], key) {
                (Value::Bool(b), _) => Value::Bool(!b),
                (_, "client_secret_format") => Value::from("alnum 40"),
                (_, k) if k.ends_with("_format") => Value::from("base64url 43"),
                (_, k) if k.ends_with("_prefix") => Value::from("alt_"),
                (v, k) => panic!("{k} = {v}: no other value to try"),
            }
        };
        let mut changed = fastmcp.clone();
        changed[key] = other.clone();
        let profile: Profile = serde_json::from_value(changed).unwrap();
        let mut target = ModelTarget {
            server: AuthServer::new(Config::for_profile(&profile), profile.clone()).unwrap(),
        };
        let opts = Options {
            base: Profile::fastmcp(),
            name: "learned".to_owned(),
            config: Config::for_profile(&profile),
            max_expiry_wait: None,
        };
        let found = fingerprint(&mut target, &opts).unwrap();
        let learned = found.knobs.iter().find(|k| k.key == key).unwrap();
        assert_eq!(
            (learned.confidence, &learned.value),
            (Confidence::Decided, &other),
            "{key}: {}",
            learned.note
        );
        // No other knob is taken for it.
        for k in found.knobs.iter().filter(|k| k.key != key) {
            assert_eq!(
                k.value, fastmcp[k.key],
                "{key} changed alone, {} learned",
                k.key
            );
        }
        tried += 1;
    }
    assert_eq!(tried, KNOBS.len() - UNPROBED.len());
}
