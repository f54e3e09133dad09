//! Shared helpers for integration tests: a server driven with requests as a client sends them.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod answers;
pub mod checked;
pub mod live;
pub mod shapes;

use oauth_oracle::output::Reason;
use oauth_oracle::{
    AuthServer, AuthorizeMethod, AuthorizeRequest, Config, Event, Output, Params, Profile,
    RegisterRequest, ResourceRequest, RevokeRequest, TokenRequest, UnixMillis, s256_challenge,
};

/// The start of every test clock (2026-11-26T08:00:00Z, like the live probe).
pub const T0: u64 = 1_795_680_000_000;
/// The redirect URI the live probe registered.
pub const CB: &str = "http://localhost:9999/cb";
/// A 64-character PKCE verifier.
pub const VERIFIER: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._";

/// A server and a clock.
pub struct Harness {
    pub server: Option<AuthServer>,
    pub now: u64,
    /// Every step sent so far: (time, event, output).
    pub log: Vec<(UnixMillis, Event, Output)>,
}

/// A registered client as the tests use it.
#[derive(Clone, Debug)]
pub struct TestClient {
    pub id: String,
    pub secret: Option<String>,
    pub method: String,
}

impl Harness {
    /// The live probe's configuration (`Config::default()`).
    pub fn new() -> Self {
        Self::with(Config::default())
    }

    /// A server under `profile`, in the profile's default configuration.
    pub fn with_profile(profile: Profile) -> Self {
        Self {
            server: Some(AuthServer::new(Config::for_profile(&profile), profile).unwrap()),
            now: T0,
            log: Vec::new(),
        }
    }

    pub fn with(config: Config) -> Self {
        Self {
            server: Some(AuthServer::new(config, Profile::fastmcp()).unwrap()),
            now: T0,
            log: Vec::new(),
        }
    }

    /// Send one event at the current time.
    pub fn send(&mut self, event: Event) -> Output {
        let (server, out) = self
            .server
            .take()
            .unwrap()
            .step(UnixMillis(self.now), event.clone());
        self.server = Some(server);
        self.log.push((UnixMillis(self.now), event, out.clone()));
        out
    }

    /// Move the clock by `ms` milliseconds.
    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
    }

    pub fn register_raw(&mut self, body: &str) -> Output {
        self.send(Event::Register(RegisterRequest {
            body: body.to_owned(),
        }))
    }

    /// Register a client with `method` and `scope`, redirect `CB`.
    pub fn register(&mut self, method: &str, scope: Option<&str>) -> TestClient {
        let mut body =
            serde_json::json!({"redirect_uris": [CB], "token_endpoint_auth_method": method});
        if let Some(s) = scope {
            body["scope"] = s.into();
        }
        let out = self.register_raw(&body.to_string());
        assert_eq!(out.status, 201, "{}", out.body);
        let v: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        TestClient {
            id: v["client_id"].as_str().unwrap().to_owned(),
            secret: v
                .get("client_secret")
                .and_then(|s| s.as_str())
                .map(str::to_owned),
            method: method.to_owned(),
        }
    }

    pub fn authorize(&mut self, method: AuthorizeMethod, params: &[(&str, &str)]) -> Output {
        self.send(Event::Authorize(AuthorizeRequest {
            method,
            params: Params::from_pairs(params.iter().copied()),
        }))
    }

    /// A valid S256 authorization for `client`; returns the code.
    pub fn code_for(&mut self, client: &TestClient, scope: Option<&str>) -> String {
        let challenge = s256_challenge(VERIFIER);
        let mut p = vec![
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("redirect_uri", CB),
            ("code_challenge", challenge.as_str()),
            ("state", "st"),
        ];
        if let Some(s) = scope {
            p.push(("scope", s));
        }
        let out = self.authorize(AuthorizeMethod::Get, &p);
        assert_eq!(out.status, 302, "{}", out.body);
        location_param(&out, "code").unwrap()
    }

    pub fn token(&mut self, form: &[(&str, &str)], authorization: Option<&str>) -> Output {
        self.send(Event::Token(TokenRequest {
            form: Params::from_pairs(form.iter().copied()),
            authorization: authorization.map(str::to_owned),
        }))
    }

    pub fn revoke(&mut self, form: &[(&str, &str)], authorization: Option<&str>) -> Output {
        self.send(Event::Revoke(RevokeRequest {
            form: Params::from_pairs(form.iter().copied()),
            authorization: authorization.map(str::to_owned),
        }))
    }

    pub fn resource(&mut self, authorization: &[&str]) -> Output {
        self.send(Event::Resource(ResourceRequest {
            authorization: authorization.iter().map(|s| (*s).to_owned()).collect(),
        }))
    }

    /// Client-authentication form fields for `client` (post: id + secret; basic and none: id).
    pub fn auth_fields(client: &TestClient) -> Vec<(String, String)> {
        let mut v = vec![("client_id".to_owned(), client.id.clone())];
        if client.method == "client_secret_post" {
            v.push(("client_secret".to_owned(), client.secret.clone().unwrap()));
        }
        v
    }

    /// Exchange `code` for tokens as `client` with the right verifier and redirect.
    pub fn exchange(&mut self, client: &TestClient, code: &str) -> Output {
        let mut form: Vec<(String, String)> = vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), code.into()),
            ("redirect_uri".into(), CB.into()),
            ("code_verifier".into(), VERIFIER.into()),
        ];
        form.extend(Self::auth_fields(client));
        let basic = basic_header(client);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.token(&pairs, basic.as_deref())
    }

    /// Refresh with `refresh_token` as `client`, optionally asking for `scope`.
    pub fn refresh(
        &mut self,
        client: &TestClient,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Output {
        let mut form: Vec<(String, String)> = vec![
            ("grant_type".into(), "refresh_token".into()),
            ("refresh_token".into(), refresh_token.into()),
        ];
        if let Some(s) = scope {
            form.push(("scope".into(), s.into()));
        }
        form.extend(Self::auth_fields(client));
        let basic = basic_header(client);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.token(&pairs, basic.as_deref())
    }
}

/// `Authorization: Basic` for a `client_secret_basic` client.
pub fn basic_header(client: &TestClient) -> Option<String> {
    use base64::Engine as _;
    (client.method == "client_secret_basic").then(|| {
        let raw = format!("{}:{}", client.id, client.secret.clone().unwrap());
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    })
}

/// The `Authorization` value that presents `token` as a bearer token.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A query parameter of the output's `Location`.
pub fn location_param(out: &Output, name: &str) -> Option<String> {
    let loc = out.header("location")?;
    let query = loc.split('#').next()?.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A string member of the output's JSON body.
pub fn body_str(out: &Output, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&out.body).ok()?;
    v.get(name)?.as_str().map(str::to_owned)
}

/// The `(error, error_description)` of a JSON error body.
pub fn error_of(out: &Output) -> (String, String) {
    (
        body_str(out, "error").unwrap_or_default(),
        body_str(out, "error_description").unwrap_or_default(),
    )
}

/// What a summary line says of an answer: its status, its `error` code
/// ([`Output::error_code`]) and the model's reason.
pub type Outcome = (u16, Option<String>, Option<Reason>);

pub fn outcome(out: &Output) -> Outcome {
    (out.status, out.error_code(), out.reason)
}

/// The outcome of a request done as asked.
pub fn done(status: u16) -> Outcome {
    (status, None, None)
}

/// The outcome of a refusal with error code `error`.
pub fn refused(status: u16, error: &str, reason: Reason) -> Outcome {
    (status, Some(error.to_owned()), Some(reason))
}

/// The outcome of a refusal without an error code.
pub fn refused_bare(status: u16, reason: Reason) -> Outcome {
    (status, None, Some(reason))
}

/// The harness's steps as readable, redacted lines.
pub fn summary(h: &Harness) -> String {
    let mut r = oauth_oracle::summary::Redactor::new();
    let mut out = String::new();
    for (i, (at, e, o)) in h.log.iter().enumerate() {
        out.push_str(&r.line(i + 1, UnixMillis(T0), *at, e, o));
        out.push('\n');
    }
    out
}
