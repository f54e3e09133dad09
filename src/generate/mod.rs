//! Realistic random flows: registrations, authorizations, exchanges, refreshes, revocations,
//! resource calls and clock jumps, mixed with targeted wrong moves (replayed codes, foreign
//! clients, wrong verifiers and redirects, stale refresh tokens, scope widening, garbage).
//!
//! The generator runs the model in lockstep so it only refers to values that were really
//! produced; events refer to them with trace value expressions, so the flow replays against any
//! provider. Its own choices come from a ChaCha20 stream (stream 1 of the seed), apart from the
//! server's.

use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::answer::AnswerJson;
use crate::config::Config;
use crate::endpoint::token::s256_challenge;
use crate::error::ConfigError;
use crate::invariant::{Checker, Violation};
use crate::output::Output;
use crate::profile::Profile;
use crate::server::AuthServer;
use crate::time::UnixMillis;
use crate::trace::{EventExpr, Field, Header, Resolver, StepLine, Trace, ValueExpr};

mod moves;

/// Where generated flows start: 2027-01-15T08:00:00Z.
pub const START: UnixMillis = UnixMillis(1_800_000_000_000);
const REDIRECT: &str = "http://localhost:9999/cb";
/// A loopback IP literal redirect URI: the ones whose port must be free (RFC 8252 §7.3).
const REDIRECT_IP: &str = "http://127.0.0.1:9999/cb";
/// Client ID metadata document URLs: one whose document names it, one whose document names
/// another `client_id` (the MCP authorization specification: the server "MUST validate that the
/// fetched document's `client_id` matches the URL exactly").
const DOCUMENT_URLS: [&str; 2] = [
    "https://client.example/oauth/metadata.json",
    "https://client.example/oauth/mismatched.json",
];
/// A protected resource of another server: a `resource` no server under test serves
/// ([RFC 8707 §2](https://www.rfc-editor.org/rfc/rfc8707#section-2)).
const FOREIGN_RESOURCE: &str = "https://other.example/mcp";

#[derive(Debug, Clone)]
struct ClientInfo {
    step: usize,
    /// The client id, when it is a literal (a client ID metadata document's URL) rather than
    /// the `client_id` of the registration answer at `step`.
    id: Option<Arc<str>>,
    method: &'static str,
    scope: Vec<&'static str>,
    /// Its one registered redirect URI: [`REDIRECT`] or [`REDIRECT_IP`].
    redirect: &'static str,
}

/// `Debug` redacts the code verifier.
#[derive(Clone)]
struct CodeInfo {
    step: usize,
    client: usize,
    verifier: String,
    redirect: Option<String>,
    /// The `resource` sent at `/authorize` ([RFC 8707 §2](https://www.rfc-editor.org/rfc/rfc8707#section-2)),
    /// sent again at `/token`.
    resource: Option<String>,
    issued: UnixMillis,
}

impl std::fmt::Debug for CodeInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            step,
            client,
            verifier,
            redirect,
            resource,
            issued,
        } = self;
        f.debug_struct("CodeInfo")
            .field("step", step)
            .field("client", client)
            .field("verifier", &crate::secret::Redacted(verifier))
            .field("redirect", redirect)
            .field("resource", resource)
            .field("issued", issued)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub(super) struct PairInfo {
    step: usize,
    client: usize,
    issued: UnixMillis,
    scopes: Vec<String>,
    /// A refresh with its refresh token succeeded: the refresh token is rotated out.
    rotated: bool,
}

/// How generated time moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacing {
    /// Upper bound of the random pause between two steps, in ms.
    pub max_pause_ms: u64,
    /// Chance (percent) that a step jumps onto an expiry boundary instead.
    pub jump_percent: u64,
    /// Where a jump lands relative to a code's expiry, in ms.
    pub code_edge_offsets: Vec<i64>,
    /// Where a jump lands relative to an access token's (whole-second) expiry, in ms.
    pub access_edge_offsets: Vec<i64>,
}

impl Default for Pacing {
    /// The model's own pacing: pauses up to 1.5 s, and 11% of steps land on an expiry boundary,
    /// exactly at it or one millisecond around it.
    fn default() -> Self {
        Self {
            max_pause_ms: 1500,
            jump_percent: 11,
            code_edge_offsets: vec![-1, 0, 1],
            access_edge_offsets: vec![0, 1, 999, 1000],
        }
    }
}

/// What a live target accepts that the protocol leaves to the server, learned by probing it
/// before a run (`cli/live.rs`), so that flows fit it instead of stopping at the first request it
/// refuses. The generator draws the same numbers whatever the fit: only the fitted choice
/// changes, so [`Fit::default`] (the model's own: everything allowed) generates the flows it
/// always did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// The authorization endpoint answers `POST`; else every authorization request is a `GET`
    /// ([RFC 6749 §3.1](https://www.rfc-editor.org/rfc/rfc6749#section-3.1): the server "MUST
    /// support the use of the HTTP "GET" method ... and MAY support the use of the "POST" method").
    pub authorize_post: bool,
    /// A request without `scope` is refused: every client registers with one and every
    /// authorization names one ([RFC 6749 §3.3](https://www.rfc-editor.org/rfc/rfc6749#section-3.3):
    /// the server "MUST either process the request using a pre-defined default value or fail the
    /// request").
    pub scope_required: bool,
    /// A PKCE challenge without `code_challenge_method` is refused: every authorization meant to
    /// yield a code says `S256` ([RFC 7636 §4.3](https://www.rfc-editor.org/rfc/rfc7636#section-4.3):
    /// an absent method means `plain`, which OAuth 2.1 servers may refuse).
    pub challenge_method_required: bool,
    /// An authorization request without `redirect_uri` is refused: every one meant to yield a
    /// code names it ([OpenID Connect Core §3.1.2.1](https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest):
    /// REQUIRED there; RFC 6749 §4.1.1 leaves it OPTIONAL).
    pub redirect_uri_required: bool,
    /// A registration that names no `grant_types` gets `authorization_code` alone, so its
    /// clients get no refresh token: every registration meant to be used names both grant types
    /// ([RFC 7591 §2](https://www.rfc-editor.org/rfc/rfc7591#section-2): "If omitted, the default
    /// behavior is that the client will use only the "authorization_code" Grant Type").
    pub grant_types_named: bool,
    /// The target's metadata names an `introspection_endpoint`: the protected-resource
    /// metadata requests (which no invariant judges) give way to introspection requests that
    /// do not authenticate ([RFC 7662 §2.1](https://www.rfc-editor.org/rfc/rfc7662#section-2.1):
    /// the endpoint "MUST also require some form of authorization"). The one fit that adds
    /// draws: flows against such a target differ from the model's after the first one.
    pub introspection: bool,
    /// The target's clients are registered beforehand (`diff --client`), each for
    /// `authorization_code` and `refresh_token`, scope `read write` and the redirect URI
    /// `http://localhost:9999/cb`: every registration asks for exactly that (with the auth
    /// method drawn as always), so that the model's client is the pre-registered one's twin.
    pub pre_registered: bool,
    /// Client ID metadata documents can be handed to the target: it is the model, which
    /// fetches nothing itself (a live server fetches its own, and is never sent one). Else the
    /// moves that would hand one over register a client instead.
    pub client_documents: bool,
    /// A request naming its client both in `Authorization: Basic` and in the form is refused as
    /// two authentication methods: `client_secret_basic` clients send their id in the header
    /// alone ([RFC 6749 §2.3](https://www.rfc-editor.org/rfc/rfc6749#section-2.3): "The client
    /// MUST NOT use more than one authentication method in each request"; §2.3.1 puts the id in
    /// the header). Else they send it in both, as the MCP Python SDK requires.
    pub basic_alone: bool,
}

impl Default for Fit {
    fn default() -> Self {
        Self {
            authorize_post: true,
            scope_required: false,
            challenge_method_required: false,
            redirect_uri_required: false,
            grant_types_named: false,
            introspection: false,
            pre_registered: false,
            client_documents: true,
            basic_alone: false,
        }
    }
}

impl Pacing {
    /// Pacing for a live server running in real time: no artificial pauses, and jumps that land
    /// well clear of every boundary (±`margin_ms`), so that network delay cannot decide them.
    pub fn live(jump_percent: u64, margin_ms: i64) -> Self {
        Self {
            max_pause_ms: 0,
            jump_percent,
            code_edge_offsets: vec![-margin_ms, margin_ms],
            access_edge_offsets: vec![-margin_ms, margin_ms],
        }
    }
}

/// A flow generator bound to one server.
pub struct Generator {
    rng: ChaCha20Rng,
    pacing: Pacing,
    fit: Fit,
    /// The profile takes client ID metadata documents: the moves that hand one over are made
    /// (where the fit allows); else they register a client, as they did before documents.
    documents: bool,
    /// The documents a live target fetches itself, `(URL, body)` (`audit --client-document`):
    /// handed over instead of the generator's own.
    hosted: Vec<(Arc<str>, String)>,
    /// The protected resource the flows' tokens are for, sent as `resource`
    /// ([RFC 8707 §2](https://www.rfc-editor.org/rfc/rfc8707#section-2)).
    resource: String,
    server: Option<AuthServer>,
    now: UnixMillis,
    /// The trace's header; its steps are `lines` and `outputs`, joined by [`Generator::finish`].
    trace: Trace,
    /// Per step, when it was sent and its event; `None` when no trace is wanted
    /// ([`Generator::run_checked`]).
    lines: Option<Vec<(UnixMillis, EventExpr)>>,
    outputs: Vec<Output>,
    /// Resolves each new event against `outputs`, reading each output's values once.
    resolver: Resolver,
    /// Checks each step as it is answered ([`Generator::run_checked`]), and what it found.
    checker: Option<(Checker, Vec<Violation>)>,
    clients: Vec<ClientInfo>,
    codes: Vec<CodeInfo>,
    pairs: Vec<PairInfo>,
    pending_code: Option<CodeInfo>,
    /// The URL of the client ID metadata document being handed over.
    pending_document: Option<Arc<str>>,
    pending_client: Option<usize>,
    /// The index in `pairs` of the pair whose refresh token the pending request presents.
    pending_refresh_of: Option<usize>,
    plan: Option<Planned>,
}

/// A step decided one step ahead (a follow-up of a wrong move), with what it leaves pending.
#[derive(Debug, Clone)]
struct Planned {
    event: EventExpr,
    client: Option<usize>,
    refresh_of: Option<usize>,
}

fn r(step: usize, field: Field) -> ValueExpr {
    ValueExpr::of(step, field)
}

impl Generator {
    /// A generator for `profile` and `config`, choosing with stream 1 of `config.seed`.
    pub fn new(profile: Profile, config: Config) -> Result<Self, ConfigError> {
        Ok(Self::with_server(AuthServer::new(config, profile)?))
    }

    /// A generator driving `server`, a server with empty stores, from its configuration's seed
    /// (what [`Generator::new`] makes of that server's configuration and profile).
    pub(crate) fn with_server(server: AuthServer) -> Self {
        let (profile, config) = (server.profile(), server.config());
        let mut rng = ChaCha20Rng::from_seed(config.seed.0);
        rng.set_stream(1);
        let header = Header::new(profile, config);
        let resource = server.resource_url().to_owned();
        let documents = profile.client_id_metadata_documents;
        let basic_alone = profile.multiple_auth_methods_refused;
        Self {
            rng,
            pacing: Pacing::default(),
            fit: Fit {
                basic_alone,
                ..Fit::default()
            },
            documents,
            hosted: Vec::new(),
            resource,
            server: Some(server),
            now: START,
            trace: Trace {
                header,
                steps: Vec::new(),
            },
            lines: Some(Vec::new()),
            outputs: Vec::new(),
            resolver: Resolver::new(),
            checker: None,
            clients: Vec::new(),
            codes: Vec::new(),
            pairs: Vec::new(),
            pending_code: None,
            pending_document: None,
            pending_client: None,
            pending_refresh_of: None,
            plan: None,
        }
    }

    /// Use `pacing` instead of the default.
    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// Ask for tokens for the protected resource at `url` (a live target's, when it is not the
    /// MCP endpoint below the target: `audit --resource`) instead of the configured one.
    pub fn with_resource(mut self, url: &str) -> Self {
        url.clone_into(&mut self.resource);
        self
    }

    /// Hand over these client ID metadata documents, `(URL, body)`, instead of the generator's
    /// own: the ones a live target fetches itself (`audit --client-document`), where the fit
    /// allows documents at all ([`Fit::client_documents`]).
    pub fn with_client_documents(mut self, documents: &[(String, String)]) -> Self {
        self.hosted = documents
            .iter()
            .map(|(url, body)| (Arc::from(url.as_str()), body.clone()))
            .collect();
        self
    }

    /// Fit the flows to what the target accepts (see [`Fit`]).
    pub fn with_fit(mut self, fit: Fit) -> Self {
        self.fit = fit;
        self
    }

    fn below(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.rng.next_u64() % 100 < percent
    }

    /// [`Generator::pick`] from one of the generator's own lists (the same draw), cloning only
    /// the item picked.
    fn pick_of<T: Clone>(&mut self, list: impl Fn(&Self) -> &Vec<T>) -> Option<T> {
        let n = list(self).len();
        if n == 0 {
            return None;
        }
        let i = self.below(n);
        Some(list(self)[i].clone())
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            let i = self.below(items.len());
            Some(items[i].clone())
        }
    }

    /// Run `steps` generated steps and return the trace.
    pub fn run(mut self, steps: usize) -> Trace {
        while self.outputs.len() < steps {
            self.tick();
            let event = self.next_event();
            self.send(event);
        }
        self.finish()
    }

    /// The trace of the steps run: each step's time and event as written, with its answer.
    fn finish(mut self) -> Trace {
        let lines = self.lines.take().unwrap_or_default();
        self.trace.steps = lines
            .into_iter()
            .zip(self.outputs)
            .enumerate()
            .map(|(i, ((at, event), output))| StepLine {
                step: i + 1,
                at,
                event,
                output,
            })
            .collect();
        self.trace
    }

    /// [`Generator::run`], checking every step with `checker` as the model answers it, without
    /// writing a trace: the number of steps run, the violations and the checker are what
    /// [`crate::check::check_trace`] finds replaying the trace [`Generator::run`] returns for
    /// the same seed (the same model, events and times), without running the model twice.
    pub fn run_checked(
        mut self,
        steps: usize,
        checker: Checker,
    ) -> (usize, Vec<Violation>, Checker) {
        self.checker = Some((checker, Vec::new()));
        self.lines = None;
        while self.outputs.len() < steps {
            self.tick();
            let event = self.next_event();
            self.send(event);
        }
        let (checker, violations) = self
            .checker
            .take()
            .unwrap_or_else(|| unreachable!("set above and only read here"));
        (self.outputs.len(), violations, checker)
    }

    /// [`Generator::run`] against a live target instead of the model: `answer` gets each step's
    /// due time and resolved event, sends it (waiting until it is due) and returns when it was
    /// sent and the target's answer. Each step is chosen from the target's own earlier answers,
    /// so a flow only refers to codes and tokens the target really issued and never stops at a
    /// request the model would have granted and the target refused: what the target refuses is
    /// answered, checked and recorded, and the flow goes on with what it has. Generation is as
    /// deterministic as the target's answers: the same answers, the same flow.
    ///
    /// A step that refers to a value the target's answer did not carry (a token response without
    /// a `refresh_token`) is dropped before it is sent and another is drawn; a flow that draws
    /// only such steps `steps` × 20 times in a row ends early, with what it has.
    pub fn run_live<E>(
        mut self,
        steps: usize,
        start: UnixMillis,
        mut answer: impl FnMut(usize, UnixMillis, &crate::Event) -> Result<(UnixMillis, Output), E>,
    ) -> Result<Trace, E> {
        self.server = None;
        self.now = start;
        let mut misses = 0;
        while self.outputs.len() < steps && misses < steps.saturating_mul(20) {
            self.tick();
            let event = self.next_event();
            let step = self.outputs.len() + 1;
            let (kind, kept) = (event.kind(), event.clone());
            let Ok(resolved) = self.resolver.resolve_expr(event, &self.outputs) else {
                misses += 1;
                self.forget_pending();
                continue;
            };
            misses = 0;
            let (at, output) = answer(step, self.now, &resolved)?;
            self.now = self.now.max(at);
            self.keep(step, kind, Some(kept), output, None);
        }
        Ok(self.finish())
    }

    fn forget_pending(&mut self) {
        self.pending_code = None;
        self.pending_document = None;
        self.pending_client = None;
        self.pending_refresh_of = None;
        self.plan = None;
    }

    fn tick(&mut self) {
        let code_ttl = self.trace.header.config.lifetimes.code;
        let access_ttl = self.trace.header.config.lifetimes.access;
        let jump = self.chance(self.pacing.jump_percent);
        // Drawn whatever the pacing, so that a pacing without code jumps draws the same numbers.
        let toward_code = self.below(2) == 0 && !self.pacing.code_edge_offsets.is_empty();
        let target = match (jump, toward_code) {
            (false, _) => None,
            (true, true) => self.pick_of(|g| &g.codes).map(|c| {
                let edge = c.issued.plus_seconds(code_ttl).0;
                let offsets = self.pacing.code_edge_offsets.clone();
                edge.saturating_add_signed(offsets[self.below(offsets.len())])
            }),
            (true, false) => self.pick_of(|g| &g.pairs).map(|p| {
                let edge = p.issued.plus_seconds(access_ttl).whole_seconds() * 1000;
                let offsets = self.pacing.access_edge_offsets.clone();
                edge.saturating_add_signed(offsets[self.below(offsets.len())])
            }),
        };
        let pause = self.below(self.pacing.max_pause_ms as usize) as u64;
        self.now = match target {
            Some(t) if t > self.now.0 => UnixMillis(t),
            _ => UnixMillis(self.now.0 + pause),
        };
    }

    fn send(&mut self, event: EventExpr) {
        let step = self.outputs.len() + 1;
        let (kind, kept) = (event.kind(), self.lines.is_some().then(|| event.clone()));
        let Ok(resolved) = self.resolver.resolve_expr(event, &self.outputs) else {
            return;
        };
        let Some(server) = self.server.as_mut() else {
            return;
        };
        let output = server.apply(self.now, &resolved);
        let mut json = None;
        if let Some((checker, found)) = &mut self.checker {
            found.extend(checker.observe(step, self.now, &resolved, &output));
            found.extend(checker.internal(step, server.provider().inconsistency()));
            json = checker.answer_json();
        }
        self.keep(step, kind, kept, output, json);
    }

    /// Record step `step` (its event's kind, its event as written when a trace is kept, and
    /// its answer, with `json`, its body's members, when the checker read them) in the trace and
    /// in what later steps may refer to.
    fn keep(
        &mut self,
        step: usize,
        kind: &str,
        event: Option<EventExpr>,
        output: Output,
        json: Option<Arc<AnswerJson>>,
    ) {
        if let Some(members) = &json {
            self.resolver.read_body(step, Arc::clone(members));
        }
        self.outputs.push(output);
        self.record(step, kind, json);
        if let (Some(lines), Some(event)) = (&mut self.lines, event) {
            lines.push((self.now, event));
        }
    }

    /// Remember what step `step`, the last one kept, produced.
    fn record(&mut self, step: usize, kind: &str, json: Option<Arc<AnswerJson>>) {
        let Some(output) = self.outputs.last() else {
            return;
        };
        let members = || json.unwrap_or_else(|| Arc::new(AnswerJson::parse(&output.body)));
        match (kind, output.status) {
            ("register", 201) => {
                let body = members();
                let method = match body.token_endpoint_auth_method.as_deref() {
                    Some("none") => "none",
                    Some("client_secret_basic") => "client_secret_basic",
                    _ => "client_secret_post",
                };
                let scope = match body.scope.as_deref() {
                    Some(s) => ["read", "write"]
                        .into_iter()
                        .filter(|x| s.split(' ').any(|p| p == *x))
                        .collect(),
                    None => Vec::new(),
                };
                let redirect = match body.redirect_uris.as_deref() {
                    Some([Some(only)]) => [REDIRECT, REDIRECT_IP].into_iter().find(|r| only == r),
                    _ => None,
                };
                if let Some(redirect) = redirect {
                    self.clients.push(ClientInfo {
                        step,
                        id: None,
                        method,
                        scope,
                        redirect,
                    });
                }
            }
            // Whatever the server made of it: a refused document's client is probed too.
            ("client_document", _) => {
                if let Some(url) = self.pending_document.take() {
                    self.clients.push(ClientInfo {
                        step,
                        id: Some(url),
                        method: "none",
                        scope: Vec::new(),
                        redirect: REDIRECT,
                    });
                }
            }
            // 302 or 303 (OAuth 2.1 §4.1.2.1; node-oidc-provider answers 303).
            ("authorize", 302 | 303)
                if self
                    .resolver
                    .value(&self.outputs, step as u64, Field::Code)
                    .is_some() =>
            {
                if let Some(pending) = self.pending_code.take() {
                    self.codes.push(CodeInfo {
                        step,
                        issued: self.now,
                        ..pending
                    });
                }
            }
            ("token", 200) => {
                let body = members();
                let scopes = body.scope.as_deref().unwrap_or_default();
                if let Some(i) = self.pending_refresh_of
                    && let Some(p) = self.pairs.get_mut(i)
                {
                    p.rotated = true;
                }
                if let Some(client) = self.pending_client.take() {
                    self.pairs.push(PairInfo {
                        step,
                        client,
                        issued: self.now,
                        scopes: scopes
                            .split(' ')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        rotated: false,
                    });
                }
            }
            _ => {}
        }
        self.pending_code = None;
        self.pending_client = None;
        self.pending_refresh_of = None;
        self.pending_document = None;
    }
}
