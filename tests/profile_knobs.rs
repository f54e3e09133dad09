//! Profiles are data: each security knob works on its own, not only in the combination the
//! shipped profiles use (`oauth21` turns the family knobs and sweeping on together, `fastmcp` off
//! together).
#![allow(clippy::unwrap_used)]

mod common;

use common::{
    CB, Harness, TestClient, VERIFIER, bearer, body_str, done, location_param, outcome, refused,
};
use oauth_oracle::output::Reason;
use oauth_oracle::{AuthServer, AuthorizeMethod, Config, Profile, s256_challenge};

/// A server under `profile` and a public client of it.
fn start(profile: Profile) -> (Harness, TestClient) {
    let mut h = Harness::with_profile(profile);
    let client = h.register("none", None);
    (h, client)
}

/// Authorize (S256) and exchange: the code, the `Authorization` value of its access token, and
/// its refresh token.
fn grant(h: &mut Harness, client: &TestClient) -> (String, String, String) {
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
    let access = bearer(&body_str(&out, "access_token").unwrap());
    (code, access, body_str(&out, "refresh_token").unwrap())
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
    let (code, bearer, _) = grant(&mut h, &client);
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
    let (first_code, first, _) = grant(&mut h, &client);
    let (_, second, _) = grant(&mut h, &client);
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

/// The access lifetime of `profile`'s default configuration, in milliseconds.
fn access_lifetime_ms(profile: &Profile) -> u64 {
    Config::for_profile(profile).lifetimes.access * 1000
}

/// `access_expiry_enforced` changed alone: one second past its lifetime, an access token is
/// refused at the resource (401 `invalid_token`) while expiry is enforced, and still accepted
/// when it is not. Before that instant both accept it.
#[test]
fn access_expiry_enforced_alone_decides_whether_an_expired_access_token_works() {
    for enforced in [true, false] {
        let mut profile = Profile::fastmcp();
        profile.access_expiry_enforced = enforced;
        let lifetime = access_lifetime_ms(&profile);
        let (mut h, client) = start(profile);
        let (_, access, _) = grant(&mut h, &client);
        h.advance(lifetime);
        let out = h.resource(&[&access]);
        assert_eq!(
            outcome(&out),
            done(200),
            "enforced {enforced}: at the expiry instant"
        );
        h.advance(1_000);
        let out = h.resource(&[&access]);
        let expected = if enforced {
            refused(401, "invalid_token", Reason::BearerExpired)
        } else {
            done(200)
        };
        assert_eq!(outcome(&out), expected, "enforced {enforced}: {}", out.body);
    }
}

/// `expired_access_revokes_refresh` changed alone (D-1): once an expired access token is
/// presented (refused either way), its refresh token is gone (`invalid_grant`, an unknown
/// refresh token, with FastMCP's 401, D-17) when the knob is on, and still refreshes when it is
/// off.
#[test]
fn expired_access_revokes_refresh_alone_decides_whether_the_refresh_token_survives() {
    for revokes in [true, false] {
        let mut profile = Profile::fastmcp();
        profile.expired_access_revokes_refresh = revokes;
        let lifetime = access_lifetime_ms(&profile);
        let (mut h, client) = start(profile);
        let (_, access, refresh) = grant(&mut h, &client);
        h.advance(lifetime + 1_000);
        let out = h.resource(&[&access]);
        assert_eq!(
            outcome(&out),
            refused(401, "invalid_token", Reason::BearerExpired),
            "revokes {revokes}: {}",
            out.body
        );
        let out = h.refresh(&client, &refresh, None);
        let expected = if revokes {
            refused(401, "invalid_grant", Reason::RefreshTokenUnknown)
        } else {
            done(200)
        };
        assert_eq!(outcome(&out), expected, "revokes {revokes}: {}", out.body);
    }
}

/// `default_refresh_lifetime` changed alone (D-5): with a lifetime of 60 s, a refresh token is
/// refused two minutes later (401 `invalid_grant`, expired); with FastMCP's `never` it still
/// refreshes. The access token (3600 s) is alive throughout and never presented.
#[test]
fn default_refresh_lifetime_alone_decides_whether_an_old_refresh_token_works() {
    for lifetime in [None, Some(60)] {
        let mut profile = Profile::fastmcp();
        profile.default_refresh_lifetime = lifetime;
        assert_eq!(Config::for_profile(&profile).lifetimes.refresh, lifetime);
        let (mut h, client) = start(profile);
        let (_, _, refresh) = grant(&mut h, &client);
        h.advance(120_000);
        let out = h.refresh(&client, &refresh, None);
        let expected = if lifetime.is_some() {
            refused(401, "invalid_grant", Reason::RefreshTokenExpired)
        } else {
            done(200)
        };
        assert_eq!(
            outcome(&out),
            expected,
            "lifetime {lifetime:?}: {}",
            out.body
        );
    }
}

/// `refresh_expiry_margin` alone (on `oauth21`, refresh tokens living 86,400 s): 59 s before
/// the expiry a refresh is refused as expired with a 60 s margin, and works without one.
#[test]
fn refresh_expiry_margin_alone_decides_whether_a_refresh_near_its_expiry_works() {
    for margin in [0, 60] {
        let mut profile = Profile::oauth21();
        profile.refresh_expiry_margin = margin;
        let (mut h, client) = start(profile);
        let (_, _, refresh) = grant(&mut h, &client);
        h.advance((86_400 - 59) * 1000);
        let out = h.refresh(&client, &refresh, None);
        let expected = if margin > 0 {
            refused(400, "invalid_grant", Reason::RefreshTokenExpired)
        } else {
            done(200)
        };
        assert_eq!(outcome(&out), expected, "margin {margin}: {}", out.body);
    }
}

/// `refresh_expiry_per_grant` alone (on `oauth21`): a refresh token issued by a refresh an hour
/// after the exchange expires with the grant, a day after the exchange, where it would otherwise
/// live a day from its own issue; and the access token a refresh issues near the end lives only
/// what is left.
#[test]
fn refresh_expiry_per_grant_alone_decides_when_a_refreshed_token_expires() {
    for per_grant in [false, true] {
        let mut profile = Profile::oauth21();
        profile.refresh_expiry_per_grant = per_grant;
        let (mut h, client) = start(profile);
        let (_, _, first) = grant(&mut h, &client);
        h.advance(3_600_000);
        let out = h.refresh(&client, &first, None);
        let second = body_str(&out, "refresh_token").unwrap();
        h.advance((86_400 - 3_600 - 1_000) * 1000);
        let out = h.refresh(&client, &second, None);
        assert_eq!(outcome(&out), done(200), "{}", out.body);
        let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        let expires_in = body["expires_in"].as_u64().unwrap();
        assert_eq!(expires_in, if per_grant { 1_000 } else { 3_600 });
        let third = body_str(&out, "refresh_token").unwrap();
        h.advance(1_001_000);
        let out = h.refresh(&client, &third, None);
        // Expired, and swept by now (`oauth21` sweeps): refused either way.
        let refused_now = (out.status, common::error_of(&out).0) == (400, "invalid_grant".into());
        assert_eq!(
            refused_now, per_grant,
            "per grant {per_grant}: {}",
            out.body
        );
    }
}

/// Every knob a probe can observe, changed alone from `fastmcp` (to `oauth21`'s value where the two
/// differ, else to `cloudflare`'s, else to another value), changes what the server answers, and `fingerprint` of the
/// model under that profile names exactly that knob: each knob works on its own, whatever the
/// others. The knobs no probe observes without real-time waits are `UNPROBED` here (their
/// fingerprint is left to the live tests); each is shown to work on its own by a test above that
/// changes it alone: `sweep_expired` by `code_replay_revokes_only_its_own_grant_without_sweeping`,
/// the other five by the clock-driven `<knob>_alone_decides_…` tests. A knob that shows only
/// when another one lets it (`NEEDS`) is changed together with that one.
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
        "refresh_expiry_per_grant",
        "refresh_expiry_margin",
    ];
    // (knob, the knob that must be set for a probe to see it, its value there).
    const NEEDS: &[(&str, &str, bool)] = &[
        (
            "code_replay_revokes_unverified",
            "code_replay_revokes_grant",
            true,
        ),
        (
            "registration_redirect_error",
            "registration_strict_redirects",
            true,
        ),
        (
            "refresh_revocation_revokes_grant",
            "refresh_keeps_access",
            true,
        ),
    ];
    let fastmcp = serde_json::to_value(Profile::fastmcp()).unwrap();
    let oauth21 = serde_json::to_value(Profile::oauth21()).unwrap();
    let cloudflare = serde_json::to_value(Profile::cloudflare()).unwrap();
    let mut tried = 0;
    for knob in KNOBS.iter().filter(|k| !UNPROBED.contains(&k.key)) {
        let key = knob.key;
        let other = if oauth21[key] != fastmcp[key] {
            oauth21[key].clone()
        } else if cloudflare[key] != fastmcp[key] {
            cloudflare[key].clone()
        } else {
            match (&fastmcp[key], key) {
                (Value::Bool(b), _) => Value::Bool(!b),
                (_, "client_secret_format") => Value::from("alnum 40"),
                (_, k) if k.ends_with("_format") => Value::from("base64url 43"),
                (_, k) if k.ends_with("_prefix") => Value::from("alt_"),
                (v, k) => panic!("{k} = {v}: no other value to try"),
            }
        };
        // A knob that only shows when another lets it is changed with that one.
        let mut changed = fastmcp.clone();
        if let Some((_, needs, value)) = NEEDS.iter().find(|(k, _, _)| *k == key) {
            changed[*needs] = Value::Bool(*value);
        }
        changed[key] = other.clone();
        let profile: Profile = serde_json::from_value(changed.clone()).unwrap();
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
                k.value, changed[k.key],
                "{key} changed alone, {} learned",
                k.key
            );
        }
        tried += 1;
    }
    assert_eq!(tried, KNOBS.len() - UNPROBED.len());
}
