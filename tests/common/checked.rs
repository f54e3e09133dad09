//! The one harness for tests that feed the invariant checker requests and the answers a real
//! server might send, built by hand (`checker_rules.rs`, `probes.rs`): a [`Checker`], the step
//! count, a clock, and the secrets of the clients registered so far. Each test file adds the
//! request shapes only it uses in its own `impl Checked` block.

use std::collections::BTreeMap;

use oauth_oracle::invariant::{Checker, Expectations, Violation};
use oauth_oracle::{
    AuthorizeMethod, AuthorizeRequest, Event, Lifetimes, Output, Params, RegisterRequest,
    ResourceRequest, TokenRequest, UnixMillis, s256_challenge,
};
use serde_json::json;

use super::VERIFIER;
use super::answers::{json_out, pairs, random, redirect};

/// The instant of the first step.
pub const START: u64 = 1_800_000_000_000;
/// The redirect URI a code goes to when the request names none.
pub const LOOPBACK_CB: &str = "http://127.0.0.1:8080/cb";

/// What the checker expects of a server at `issuer`: codes live 60 s, access tokens 3600 s,
/// refresh tokens `refresh` (`known`: whether that lifetime is known at all), `plain` PKCE not
/// supported, `iss` in authorization responses, a new authorization possibly ending a client's
/// earlier grants (a live server's policy, not known).
pub fn expectations(issuer: &str, refresh: Option<u64>, known: bool) -> Expectations {
    Expectations {
        issuer: issuer.to_owned(),
        lifetimes: Lifetimes {
            code: 60,
            access: 3600,
            refresh,
        },
        required_scopes: vec![],
        refresh_lifetime_known: known,
        pkce_plain_supported: Some(false),
        iss_parameter_supported: true,
        reauthorization_may_revoke: true,
        resource: None,
    }
}

/// A checker fed one step at a time.
pub struct Checked {
    pub checker: Checker,
    step: usize,
    /// The clock (ms). Each step first moves it by `tick`, then is observed at it.
    pub now: u64,
    tick: u64,
    /// The issuer, for the `iss` of the code redirects [`Checked::code`] builds.
    issuer: String,
    /// Client id → the secret its registration answer carried.
    secrets: BTreeMap<String, String>,
}

impl Checked {
    /// A checker under `exp`; the clock stands still at [`START`] unless the test moves it.
    pub fn new(exp: Expectations) -> Self {
        Self {
            issuer: exp.issuer.clone(),
            checker: Checker::new(exp),
            step: 0,
            now: START,
            tick: 0,
            secrets: BTreeMap::new(),
        }
    }

    /// The clock moves `ms` before each step (the first is observed at `START + ms`).
    pub fn ticking(mut self, ms: u64) -> Self {
        self.tick = ms;
        self
    }

    /// Observe `event` answered with `output`; the violations found.
    pub fn send(&mut self, event: Event, output: Output) -> Vec<Violation> {
        self.step += 1;
        self.now += self.tick;
        self.checker
            .observe(self.step, UnixMillis(self.now), &event, &output)
    }

    /// How many times invariant `id` was checked.
    pub fn checks(&self, id: &str) -> u64 {
        self.checker
            .tallies()
            .get(&super::answers::catalogue_id(id))
            .map_or(0, |t| t.checks)
    }

    /// Register client `id` with `redirect_uris` by `method`, answered 201 with scope `read`
    /// and, unless `method` is `none`, a secret that never expires; returns the secret. The
    /// answer must break nothing.
    pub fn register(&mut self, id: &str, redirect_uris: &[&str], method: &str) -> Option<String> {
        let secret = (method != "none").then(|| random(&format!("s{id}")));
        let mut body = json!({
            "client_id": id,
            "redirect_uris": redirect_uris,
            "token_endpoint_auth_method": method,
            "scope": "read",
        });
        if let Some(s) = &secret {
            body["client_secret"] = json!(s);
            body["client_secret_expires_at"] = json!(0);
            self.secrets.insert(id.to_owned(), s.clone());
        }
        let request = json!({"redirect_uris": redirect_uris, "token_endpoint_auth_method": method});
        let v = self.send(
            Event::Register(RegisterRequest {
                body: request.to_string(),
            }),
            json_out(201, body),
        );
        assert!(v.is_empty(), "{v:?}");
        secret
    }

    /// Register public client `id` with `redirect_uri`, answered as node-oidc-provider does:
    /// `"application_type": "web"`.
    pub fn register_web(&mut self, id: &str, redirect_uri: &str) {
        let request =
            json!({"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none"});
        let answer = json!({"client_id": id, "redirect_uris": [redirect_uri],
                            "token_endpoint_auth_method": "none", "application_type": "web",
                            "scope": "read"});
        let v = self.send(
            Event::Register(RegisterRequest {
                body: request.to_string(),
            }),
            json_out(201, answer),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    /// The secret registered for `client`, if any.
    pub fn secret(&self, client: &str) -> Option<&str> {
        self.secrets.get(client).map(String::as_str)
    }

    /// A GET authorization request with `params`, answered with `answer`.
    pub fn authorize(&mut self, params: Params, answer: Output) -> Vec<Violation> {
        self.send(
            Event::Authorize(AuthorizeRequest {
                method: AuthorizeMethod::Get,
                params,
            }),
            answer,
        )
    }

    /// An S256 authorization request of `client` (state `st`, `redirect_uri` when given) and
    /// the code redirect a real server answers (query response mode, `state` and `iss` echoed,
    /// to `redirect_uri` or else [`LOOPBACK_CB`]).
    pub fn code(&mut self, client: &str, redirect_uri: Option<&str>, code: &str) -> Vec<Violation> {
        self.code_with(client, redirect_uri, code, &[])
    }

    /// [`Checked::code`] for a request that also carries the parameters `extra`.
    pub fn code_with(
        &mut self,
        client: &str,
        redirect_uri: Option<&str>,
        code: &str,
        extra: &[(&str, &str)],
    ) -> Vec<Violation> {
        let challenge = s256_challenge(VERIFIER);
        let mut p = vec![
            ("response_type", "code"),
            ("client_id", client),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", "st"),
        ];
        if let Some(r) = redirect_uri {
            p.push(("redirect_uri", r));
        }
        p.extend_from_slice(extra);
        let base = redirect_uri.unwrap_or(LOOPBACK_CB);
        let iss = self.issuer.replace(':', "%3A").replace('/', "%2F");
        let location = format!("{base}?code={code}&state=st&iss={iss}");
        self.authorize(pairs(&p), redirect(&location))
    }

    /// A token request with `form` and no `Authorization` header, answered with `answer`.
    pub fn token(&mut self, form: &[(&str, &str)], answer: Output) -> Vec<Violation> {
        self.send(
            Event::Token(TokenRequest {
                form: pairs(form),
                authorization: None,
            }),
            answer,
        )
    }

    /// A resource request with `Bearer access`, answered with `answer`.
    pub fn resource(&mut self, access: &str, answer: Output) -> Vec<Violation> {
        self.send(
            Event::Resource(ResourceRequest {
                authorization: vec![format!("Bearer {access}")],
            }),
            answer,
        )
    }
}
