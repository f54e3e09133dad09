//! Profiles are data: each security knob works on its own, not only in the combination the
//! shipped profiles use (`oauth21` turns the family knobs and sweeping on together, `fastmcp` off
//! together).
#![allow(clippy::unwrap_used)]

use oauth_oracle::{
    AuthServer, AuthorizeMethod, AuthorizeRequest, Config, Event, Output, Params, Profile,
    RegisterRequest, ResourceRequest, TokenRequest, UnixMillis, s256_challenge,
};

const AT: UnixMillis = UnixMillis(1_795_680_000_000);
const CB: &str = "http://localhost:3000/cb";
const VERIFIER: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._";

struct Run(Option<AuthServer>);

impl Run {
    fn new(profile: Profile) -> Self {
        Self(Some(
            AuthServer::new(Config::for_profile(&profile), profile).unwrap(),
        ))
    }

    fn send(&mut self, event: Event) -> Output {
        let (server, out) = self.0.take().unwrap().step(AT, event);
        self.0 = Some(server);
        out
    }

    fn token(&mut self, form: &[(&str, &str)]) -> Output {
        self.send(Event::Token(TokenRequest {
            form: Params::from_pairs(form.iter().copied()),
            authorization: None,
        }))
    }

    /// Register a public client; its id.
    fn register(&mut self) -> String {
        let body = serde_json::json!({"redirect_uris": [CB], "token_endpoint_auth_method": "none"});
        let out = self.send(Event::Register(RegisterRequest {
            body: body.to_string(),
        }));
        field(&out, "client_id")
    }

    /// Authorize and exchange: the code and the `Authorization` value of its access token.
    fn grant(&mut self, id: &str) -> (String, String) {
        let challenge = s256_challenge(VERIFIER);
        let out = self.send(Event::Authorize(AuthorizeRequest {
            method: AuthorizeMethod::Get,
            params: Params::from_pairs([
                ("response_type", "code"),
                ("client_id", id),
                ("redirect_uri", CB),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ]),
        }));
        let location = out.header("location").unwrap().to_owned();
        let code = location
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("code="))
            .unwrap()
            .to_owned();
        let out = self.token(&exchange_form(id, &code));
        assert_eq!(out.status, 200, "{}", out.body);
        (code, format!("Bearer {}", field(&out, "access_token")))
    }

    /// A resource call with `bearer`; the status.
    fn resource(&mut self, bearer: &str) -> u16 {
        self.send(Event::Resource(ResourceRequest {
            authorization: vec![bearer.to_owned()],
        }))
        .status
    }
}

fn field(out: &Output, name: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    v[name].as_str().unwrap().to_owned()
}

fn exchange_form<'a>(id: &'a str, code: &'a str) -> [(&'static str, &'a str); 5] {
    [
        ("grant_type", "authorization_code"),
        ("client_id", id),
        ("code", code),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
    ]
}

/// With code-replay revocation on and refresh-reuse detection off, a valid replay of a used code
/// still revokes the tokens that code issued
/// ([OAuth 2.1 §4.1.3](https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-4.1.3)).
#[test]
fn code_replay_revokes_the_grant_without_refresh_reuse_detection() {
    let mut profile = Profile::oauth21();
    profile.refresh_reuse_revokes_family = false;
    let mut run = Run::new(profile);
    let id = run.register();
    let (code, bearer) = run.grant(&id);
    assert_eq!(run.resource(&bearer), 200);
    let replay = run.token(&exchange_form(&id, &code));
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert_eq!(
        run.resource(&bearer),
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
    let mut run = Run::new(profile);
    let id = run.register();
    let (first_code, first) = run.grant(&id);
    let (_, second) = run.grant(&id);
    assert_eq!(run.resource(&first), 200);
    assert_eq!(run.resource(&second), 200);
    let replay = run.token(&exchange_form(&id, &first_code));
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert_eq!(run.resource(&first), 401, "the replayed grant is revoked");
    assert_eq!(run.resource(&second), 200, "the other grant is not");
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
