//! Shared drivers for the benchmarks: a complete flow driven through the model with events as a
//! client sends them, and a pool of live token pairs for the scaling benchmarks.
//!
//! The client-side glue is kept out of the way of the measurement: every event is a template
//! built once, whose values (client id, secret, code, tokens) are overwritten in place from the
//! previous output by fixed offsets or one substring search, so the glue allocates nothing and
//! costs a few tens of nanoseconds per flow.
//!
//! Time is read from [`now`]: this thread's CPU time by default, so that other tenants' load on a
//! shared machine does not count against the model (time spent descheduled is not the model's);
//! `BENCH_CLOCK=wall` switches every benchmark to the wall clock.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use oauth_oracle::generate::Generator;
use oauth_oracle::{
    AuthServer, AuthorizeMethod, AuthorizeRequest, Config, Event, Output, Params, Profile,
    RegisterRequest, ResourceRequest, RevokeRequest, Seed, TokenRequest, UnixMillis,
    s256_challenge,
};

/// Start of every benchmark clock (2027-01-15T08:00:00Z). The clock does not move in the timed
/// loops, so nothing expires during a measurement.
pub(crate) const T0: UnixMillis = UnixMillis(1_800_000_000_000);
/// The registered redirect URI.
pub(crate) const CB: &str = "http://localhost:9999/cb";
/// A 65-character PKCE verifier (RFC 7636 allows 43-128).
pub(crate) const VERIFIER: &str =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._";
/// The registration body of every benchmark client.
pub(crate) const REGISTER_BODY: &str = r#"{"redirect_uris":["http://localhost:9999/cb"],"token_endpoint_auth_method":"client_secret_post","scope":"read write"}"#;

const CODE_LEN: usize = 47; // test_auth_code_ + 32 hex
const ACCESS_LEN: usize = 82; // test_access_token_ + 64 hex
const REFRESH_LEN: usize = 83; // test_refresh_token_ + 64 hex

/// A fresh `fastmcp` server with the default configuration and `seed`.
pub(crate) fn server(seed: u64) -> AuthServer {
    let config = Config {
        seed: Seed::from_u64(seed),
        ..Config::default()
    };
    AuthServer::new(config, Profile::fastmcp()).unwrap()
}

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().copied())
}

/// Overwrite `dst` with `src` without reallocating once its capacity suffices.
fn put(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

/// The form (or query) of a template event.
#[allow(clippy::wildcard_enum_match_arm)] // templates only: any other kind is a bug here
fn form(ev: &mut Event) -> &mut Params {
    match ev {
        Event::Token(TokenRequest { form, .. }) | Event::Revoke(RevokeRequest { form, .. }) => form,
        Event::Authorize(AuthorizeRequest { params, .. }) => params,
        other => panic!("no form in {}", other.name()),
    }
}

fn set(ev: &mut Event, index: usize, value: &str) {
    put(&mut form(ev).0[index].1, value);
}

/// The access and refresh token of a token response, by position: the SDK's field order puts
/// `access_token` first and `refresh_token` last.
pub(crate) fn tokens_of(out: &Output) -> (&str, &str) {
    assert_eq!(out.status, 200, "{}", out.body);
    let b = out.body.as_str();
    let access = &b[17..17 + ACCESS_LEN];
    let refresh = &b[b.len() - 2 - REFRESH_LEN..b.len() - 2];
    assert!(access.starts_with("test_access_token_") && refresh.starts_with("test_refresh_"));
    (access, refresh)
}

/// The code in a successful `/authorize` redirect.
pub(crate) fn code_of(out: &Output) -> &str {
    assert_eq!(out.status, 302, "{}", out.body);
    let loc = out.header("location").unwrap();
    let at = loc.find("code=").unwrap() + 5;
    &loc[at..at + CODE_LEN]
}

/// `client_id` and `client_secret` of a registration answer.
pub(crate) fn credentials_of(out: &Output) -> (&str, &str) {
    assert_eq!(out.status, 201, "{}", out.body);
    let b = out.body.as_str();
    let id = b.find(r#""client_id":""#).unwrap() + 13;
    let secret = b.find(r#""client_secret":""#).unwrap() + 17;
    (&b[id..id + 36], &b[secret..secret + 64])
}

/// Event templates for one client's complete flow, updated in place from each output.
pub(crate) struct Flow {
    pub(crate) register: Event,
    pub(crate) authorize: Event,
    pub(crate) exchange: Event,
    pub(crate) resource: Event,
    pub(crate) refresh: Event,
    pub(crate) revoke: Event,
    /// A token request the server rejects without changing state (an unknown code).
    pub(crate) rejected: Event,
}

impl Default for Flow {
    fn default() -> Self {
        Self::new()
    }
}

impl Flow {
    /// Templates with empty credentials; [`Flow::register`] fills them in.
    pub(crate) fn new() -> Self {
        let challenge = s256_challenge(VERIFIER);
        let id = "00000000-0000-4000-8000-000000000000";
        let secret = "0".repeat(64);
        let code = format!("test_auth_code_{}", "0".repeat(32));
        let access = format!("Bearer test_access_token_{}", "0".repeat(64));
        let refresh = format!("test_refresh_token_{}", "0".repeat(64));
        let token = |form: Params| {
            Event::Token(TokenRequest {
                form,
                authorization: None,
            })
        };
        Self {
            register: Event::Register(RegisterRequest {
                body: REGISTER_BODY.to_owned(),
            }),
            authorize: Event::Authorize(AuthorizeRequest {
                method: AuthorizeMethod::Get,
                params: params(&[
                    ("response_type", "code"),
                    ("client_id", id),
                    ("redirect_uri", CB),
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                    ("state", "st"),
                    ("scope", "read"),
                ]),
            }),
            exchange: token(params(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
                ("client_id", id),
                ("client_secret", &secret),
            ])),
            resource: Event::Resource(ResourceRequest {
                authorization: vec![access.clone()],
            }),
            refresh: token(params(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", id),
                ("client_secret", &secret),
            ])),
            revoke: Event::Revoke(RevokeRequest {
                form: params(&[
                    ("token", &access[7..]),
                    ("client_id", id),
                    ("client_secret", &secret),
                ]),
                authorization: None,
            }),
            rejected: token(params(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
                ("client_id", id),
                ("client_secret", &secret),
            ])),
        }
    }

    /// Put the client's credentials into every template.
    pub(crate) fn use_client(&mut self, id: &str, secret: &str) {
        set(&mut self.authorize, 1, id);
        for (ev, i) in [
            (&mut self.exchange, 4),
            (&mut self.refresh, 2),
            (&mut self.revoke, 1),
            (&mut self.rejected, 4),
        ] {
            set(ev, i, id);
            set(ev, i + 1, secret);
        }
    }

    /// Put an access token into the resource and revoke templates.
    pub(crate) fn use_access(&mut self, access: &str) {
        let Event::Resource(ResourceRequest { authorization }) = &mut self.resource else {
            unreachable!()
        };
        let h = &mut authorization[0];
        h.clear();
        h.push_str("Bearer ");
        h.push_str(access);
        set(&mut self.revoke, 0, access);
    }

    /// Put a code into the exchange template.
    pub(crate) fn set_code(&mut self, code: &str) {
        set(&mut self.exchange, 1, code);
    }

    /// Make the exchange template's PKCE verifier wrong (same length, last character changed).
    pub(crate) fn set_wrong_verifier(&mut self) {
        let wrong = format!("{}X", &VERIFIER[..VERIFIER.len() - 1]);
        set(&mut self.exchange, 3, &wrong);
    }

    /// Put a refresh token into the refresh template.
    pub(crate) fn use_refresh(&mut self, refresh: &str) {
        set(&mut self.refresh, 1, refresh);
    }

    /// `POST /register`; the new client's credentials go into the templates.
    pub(crate) fn register(&mut self, s: &mut AuthServer, at: UnixMillis) {
        let out = s.apply(at, &self.register);
        let (id, secret) = credentials_of(&out);
        self.use_client(id, secret);
    }

    /// `GET /authorize`; the code goes into the exchange template.
    pub(crate) fn authorize(&mut self, s: &mut AuthServer, at: UnixMillis) {
        let out = s.apply(at, &self.authorize);
        set(&mut self.exchange, 1, code_of(&out));
    }

    /// `POST /token` with the code and the PKCE verifier; the pair goes into the templates.
    pub(crate) fn exchange(&mut self, s: &mut AuthServer, at: UnixMillis) {
        let out = s.apply(at, &self.exchange);
        let (a, r) = tokens_of(&out);
        self.use_access(a);
        self.use_refresh(r);
    }

    /// The protected resource with the current access token.
    pub(crate) fn resource(&mut self, s: &mut AuthServer, at: UnixMillis) {
        let out = s.apply(at, &self.resource);
        assert_eq!(out.status, 200, "{}", out.body);
    }

    /// `POST /token` with the current refresh token (rotation); the new pair goes into the
    /// templates.
    pub(crate) fn refresh(&mut self, s: &mut AuthServer, at: UnixMillis) {
        let out = s.apply(at, &self.refresh);
        let (a, r) = tokens_of(&out);
        self.use_access(a);
        self.use_refresh(r);
    }

    /// `POST /revoke` of the current access token (the pair dies).
    pub(crate) fn revoke(&mut self, s: &mut AuthServer, at: UnixMillis) {
        let out = s.apply(at, &self.revoke);
        assert!(out.status == 200 && out.reason.is_none(), "{out:?}");
    }

    /// One complete flow: register, authorize, exchange with PKCE, resource call, refresh,
    /// revoke (six events). Leaves one more client in the state and no token.
    pub(crate) fn run(&mut self, s: &mut AuthServer, at: UnixMillis) {
        self.register(s, at);
        self.authorize(s, at);
        self.exchange(s, at);
        self.resource(s, at);
        self.refresh(s, at);
        self.revoke(s, at);
    }
}

/// A server holding `n` live token pairs of one client, with every pair's current texts, for
/// the scaling benchmarks. Each operation picks the next pair in turn, so at 10^6 pairs the
/// probes land all over the maps (cache misses included), and leaves the number of pairs as it
/// found it.
pub(crate) struct Pool {
    pub(crate) server: AuthServer,
    pub(crate) flow: Flow,
    access: Vec<String>,
    refresh: Vec<String>,
    next: usize,
}

impl Pool {
    /// Register one client and issue `n` pairs (authorize + exchange each).
    pub(crate) fn new(n: usize) -> Self {
        let mut server = server(11);
        let mut flow = Flow::new();
        flow.register(&mut server, T0);
        let mut access = Vec::with_capacity(n);
        let mut refresh = Vec::with_capacity(n);
        for _ in 0..n {
            flow.authorize(&mut server, T0);
            let out = server.apply(T0, &flow.exchange);
            let (a, r) = tokens_of(&out);
            access.push(a.to_owned());
            refresh.push(r.to_owned());
        }
        Self {
            server,
            flow,
            access,
            refresh,
            next: 0,
        }
    }

    /// Live pairs.
    pub(crate) fn len(&self) -> usize {
        self.access.len()
    }

    fn advance(&mut self) -> usize {
        let i = self.next;
        self.next = if i + 1 == self.access.len() { 0 } else { i + 1 };
        i
    }

    /// A resource call with the next pair's (valid) access token.
    pub(crate) fn resource(&mut self) {
        let i = self.advance();
        self.flow.use_access(&self.access[i]);
        self.flow.resource(&mut self.server, T0);
    }

    /// A refresh of the next pair (rotation: one pair out, one in).
    pub(crate) fn refresh(&mut self) {
        let i = self.advance();
        self.flow.use_refresh(&self.refresh[i]);
        let out = self.server.apply(T0, &self.flow.refresh);
        let (a, r) = tokens_of(&out);
        put(&mut self.access[i], a);
        put(&mut self.refresh[i], r);
    }

    /// Revoke the next pair, then issue a new one in its place (authorize + exchange): three
    /// events.
    pub(crate) fn revoke_reissue(&mut self) {
        let i = self.advance();
        self.flow.use_access(&self.access[i]);
        self.flow.revoke(&mut self.server, T0);
        self.flow.authorize(&mut self.server, T0);
        let out = self.server.apply(T0, &self.flow.exchange);
        let (a, r) = tokens_of(&out);
        put(&mut self.access[i], a);
        put(&mut self.refresh[i], r);
    }
}

/// Whether [`now`] reads the wall clock (`BENCH_CLOCK=wall`) rather than this thread's CPU time.
pub(crate) fn wall_clock() -> bool {
    static WALL: OnceLock<bool> = OnceLock::new();
    *WALL.get_or_init(|| std::env::var("BENCH_CLOCK").is_ok_and(|v| v == "wall"))
}

/// The name of the clock [`now`] reads, for reports.
pub(crate) fn clock_name() -> &'static str {
    if wall_clock() {
        "wall clock"
    } else {
        "thread CPU time"
    }
}

/// The wall clock, since the first call.
#[allow(clippy::disallowed_methods)] // the benchmark's clock; the model never reads it
pub(crate) fn wall_now() -> Duration {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// This thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`, ns resolution): what the scheduler
/// actually gave the thread, excluding time spent waiting for a core.
pub(crate) fn cpu_now() -> Duration {
    cpu_time::ThreadTime::now().as_duration()
}

/// The benchmark clock: [`cpu_now`], or [`wall_now`] with `BENCH_CLOCK=wall`.
pub(crate) fn now() -> Duration {
    if wall_clock() { wall_now() } else { cpu_now() }
}

/// [`now`] as a criterion measurement.
pub(crate) struct Clock;

impl criterion::measurement::Measurement for Clock {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        now()
    }
    fn end(&self, start: Duration) -> Duration {
        now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn criterion::measurement::ValueFormatter {
        static WALL: criterion::measurement::WallTime = criterion::measurement::WallTime;
        WALL.formatter()
    }
}

/// Peak and current resident set of this process, in bytes (`VmHWM`, `VmRSS` of
/// `/proc/self/status`).
pub(crate) fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// A trace of `steps` generated steps (seed `seed`, default configuration), as JSON Lines.
pub(crate) fn generated_trace(seed: u64, steps: usize) -> String {
    let config = Config {
        seed: Seed::from_u64(seed),
        ..Config::default()
    };
    Generator::new(Profile::fastmcp(), config)
        .unwrap()
        .run(steps)
        .to_jsonl()
}
