//! Profiles are data: each security knob works on its own, not only in the combination the
//! shipped profiles use (`oauth21` turns the family knobs on together, `fastmcp` off together).
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
}

fn field(out: &Output, name: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    v[name].as_str().unwrap().to_owned()
}

/// With code-replay revocation on and refresh-reuse detection off, a valid replay of a used code
/// still revokes the tokens that code issued
/// ([OAuth 2.1 §4.1.3](https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-4.1.3)).
#[test]
fn code_replay_revokes_the_grant_without_refresh_reuse_detection() {
    let mut profile = Profile::oauth21();
    profile.refresh_reuse_revokes_family = false;
    let mut run = Run(Some(
        AuthServer::new(Config::for_profile(&profile), profile).unwrap(),
    ));
    let body = serde_json::json!({"redirect_uris": [CB], "token_endpoint_auth_method": "none"});
    let out = run.send(Event::Register(RegisterRequest {
        body: body.to_string(),
    }));
    let id = field(&out, "client_id");
    let challenge = s256_challenge(VERIFIER);
    let out = run.send(Event::Authorize(AuthorizeRequest {
        method: AuthorizeMethod::Get,
        params: Params::from_pairs([
            ("response_type", "code"),
            ("client_id", id.as_str()),
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
    let exchange = [
        ("grant_type", "authorization_code"),
        ("client_id", id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
    ];
    let out = run.token(&exchange);
    assert_eq!(out.status, 200, "{}", out.body);
    let bearer = format!("Bearer {}", field(&out, "access_token"));
    let resource = |run: &mut Run| {
        run.send(Event::Resource(ResourceRequest {
            authorization: vec![bearer.clone()],
        }))
        .status
    };
    assert_eq!(resource(&mut run), 200);
    let replay = run.token(&exchange);
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert_eq!(
        resource(&mut run),
        401,
        "the replay revoked the grant's tokens"
    );
}
