//! A deliberately naive reference model of what a client observes from the model's profiles.
//!
//! It predicts, for each abstract [`Transition`], the status, the wire error code and the
//! `error_description` the real server answers, and it tracks what is live, used, rotated,
//! revoked or expired. It is written apart from `src/`: it calls no provider or endpoint code,
//! reads the profile's knobs and the configuration's lifetimes as plain values (never a profile
//! name), and is not optimised at all — every record lives forever in a `Vec`, named by its
//! index (client #n, code #n, pair #n, family #n), and expiry is recomputed from the clock at
//! every use.
//!
//! Shared by `tests/state_machine.rs` (`mod reference;`) and, behind the `fuzzing` feature,
//! `src/fuzzing.rs` (`#[path] mod reference;`). The includer brings the crate into scope as
//! `oracle` (`use oauth_oracle as oracle;` in a test, `use crate as oracle;` in the library).
//!
//! Do not "fix" this model by reading the model's code: a disagreement is a finding, to be
//! settled against the documented behaviour (`docs/fastmcp-behaviour.md`, `docs/invariants.md`)
//! and the live transcripts (`docs/transcripts.md`).

pub(crate) mod driver;

use super::oracle::{Config, Profile};

/// The redirect URI every usable client registers first.
pub(crate) const CB: &str = "http://localhost:9999/cb";
/// A second registered redirect URI.
pub(crate) const CB2: &str = "http://localhost:9999/other";
/// `CB` on another loopback port (RFC 8252 §7.3).
pub(crate) const CB_OTHER_PORT: &str = "http://localhost:8888/cb";
/// A redirect URI no client registers.
pub(crate) const EVIL: &str = "http://evil.example/cb";
/// A redirect URI a strict server refuses to register.
pub(crate) const JAVASCRIPT: &str = "javascript:alert(1)";
/// A well-formed client id no registration produced.
pub(crate) const FORGED_CLIENT: &str = "00000000-0000-4000-8000-000000000000";
/// A wrong client secret.
pub(crate) const WRONG_SECRET: &str = "not-the-secret";
/// The resource's `invalid_token` description (FastMCP's `RequireAuthMiddleware`).
pub(crate) const INVALID_TOKEN: &str = "Authentication failed. The provided bearer token is invalid, expired, or no longer recognized by the server. To resolve: clear authentication tokens in your MCP client and reconnect. Your client should automatically re-register and obtain new tokens.";
const PKCE_SYNTAX: &str = "must be 43-128 characters from [A-Za-z0-9-._~] (RFC 7636 section 4.1)";
const CODE_UNKNOWN: &str = "authorization code does not exist";
const REFRESH_UNKNOWN: &str = "refresh token does not exist";

/// How a client authenticates at `/token` and `/revoke`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// `client_secret_post`.
    Post,
    /// `client_secret_basic`.
    Basic,
    /// `none` (a public client).
    Public,
}

impl Method {
    /// The registration metadata value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Post => "client_secret_post",
            Self::Basic => "client_secret_basic",
            Self::Public => "none",
        }
    }
}

/// A set of scopes as a request spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scopes {
    /// `read`.
    Read,
    /// `write`.
    Write,
    /// `read write`.
    ReadWrite,
    /// `read admin` (`admin` is not a valid scope of the server).
    ReadAdmin,
}

impl Scopes {
    /// The space-separated value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::ReadWrite => "read write",
            Self::ReadAdmin => "read admin",
        }
    }

    fn list(self) -> Vec<String> {
        self.as_str().split(' ').map(str::to_owned).collect()
    }
}

/// The `scope` member of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegScope {
    /// Not sent.
    Absent,
    /// `""`.
    Empty,
    /// These scopes.
    Of(Scopes),
}

/// The `redirect_uris` of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegRedirects {
    /// `[CB]`.
    One,
    /// `[CB, CB2]`.
    Two,
    /// `[JAVASCRIPT]`.
    Javascript,
}

impl RegRedirects {
    /// The URIs sent.
    pub(crate) fn uris(self) -> Vec<&'static str> {
        match self {
            Self::One => vec![CB],
            Self::Two => vec![CB, CB2],
            Self::Javascript => vec![JAVASCRIPT],
        }
    }
}

/// The `grant_types` of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grants {
    /// Not sent (both grants).
    Default,
    /// `["authorization_code"]`.
    CodeOnly,
    /// `["refresh_token"]`.
    RefreshOnly,
}

/// A client as a request names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientRef {
    /// Client #n.
    Known(usize),
    /// [`FORGED_CLIENT`].
    Forged,
}

/// What a request presents as client credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// The client's own credentials by its registered method.
    Proper,
    /// [`WRONG_SECRET`] where the secret goes.
    WrongSecret,
    /// No secret at all.
    NoSecret,
}

/// A PKCE verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verifier {
    /// A 58-character verifier, one per number.
    Good(u8),
    /// A 14-character one (too short for RFC 7636 §4.1).
    Short,
}

impl Verifier {
    /// The verifier's text.
    pub(crate) fn text(self) -> String {
        match self {
            Self::Good(k) => format!("good-verifier-{k:03}-{}", "x".repeat(40)),
            Self::Short => "short-verifier".to_owned(),
        }
    }
}

/// The `code_challenge` of an authorization request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// S256 of this verifier.
    Of(Verifier),
    /// `malformed` (not 43–128 characters).
    Malformed,
}

/// The `code_challenge_method` of an authorization request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChallengeMethod {
    /// `S256`.
    S256,
    /// Not sent.
    Absent,
    /// `plain`.
    Plain,
}

/// The `redirect_uri` of an authorization request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthRedirect {
    /// Not sent.
    Absent,
    /// [`CB`].
    Cb,
    /// [`CB2`].
    Cb2,
    /// [`CB_OTHER_PORT`].
    OtherPort,
    /// [`EVIL`].
    Evil,
}

impl AuthRedirect {
    /// The URI sent, if any.
    pub(crate) fn uri(self) -> Option<&'static str> {
        match self {
            Self::Absent => None,
            Self::Cb => Some(CB),
            Self::Cb2 => Some(CB2),
            Self::OtherPort => Some(CB_OTHER_PORT),
            Self::Evil => Some(EVIL),
        }
    }
}

/// The `redirect_uri` of a code exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenRedirect {
    /// Exactly what `/authorize` was sent (nothing if nothing).
    Same,
    /// Not sent.
    Omit,
    /// [`CB`].
    Cb,
    /// [`EVIL`].
    Evil,
}

/// The `scope` of a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshScope {
    /// Not sent (the refresh token's scopes).
    Absent,
    /// `""` (read as absent).
    Empty,
    /// These scopes (narrower, equal or wider than the token's).
    Of(Scopes),
}

/// A code as a request names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeRef {
    /// Code #n.
    Issued(usize),
    /// A well-formed code never issued.
    Forged,
}

/// A token as a request names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenRef {
    /// The access token of pair #n.
    Access(usize),
    /// The refresh token of pair #n.
    Refresh(usize),
    /// A well-formed access token never issued.
    ForgedAccess,
    /// Text that is no token at all.
    Garbage,
}

/// `token_type_hint` at `/revoke`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hint {
    /// Not sent.
    Absent,
    /// `access_token`.
    Access,
    /// `refresh_token`.
    Refresh,
    /// `id_token` (not a hint RFC 7009 defines).
    Unknown,
}

/// An expiry instant to jump the clock to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// The expiry of code #n.
    Code(usize),
    /// The expiry of pair #n's access token.
    Access(usize),
    /// The expiry of pair #n's refresh token.
    Refresh(usize),
}

/// `POST /register`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Register {
    /// Authentication method.
    pub(crate) method: Method,
    /// Requested scope.
    pub(crate) scope: RegScope,
    /// Redirect URIs.
    pub(crate) redirects: RegRedirects,
    /// Grant types.
    pub(crate) grants: Grants,
}

/// `GET /authorize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Authorize {
    /// `client_id`.
    pub(crate) client: ClientRef,
    /// `redirect_uri`.
    pub(crate) redirect: AuthRedirect,
    /// `code_challenge`.
    pub(crate) challenge: Challenge,
    /// `code_challenge_method`.
    pub(crate) method: ChallengeMethod,
    /// `scope`, if sent.
    pub(crate) scope: Option<Scopes>,
    /// `response_type=code` (else `token`).
    pub(crate) response_type_code: bool,
}

/// `POST /token` with `grant_type=authorization_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exchange {
    /// The code.
    pub(crate) code: CodeRef,
    /// The client presenting it.
    pub(crate) client: ClientRef,
    /// Its credentials.
    pub(crate) auth: Auth,
    /// `code_verifier`.
    pub(crate) verifier: Verifier,
    /// `redirect_uri`.
    pub(crate) redirect: TokenRedirect,
}

/// `POST /token` with `grant_type=refresh_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refresh {
    /// The refresh token of pair #n, or `None` for a forged one.
    pub(crate) pair: Option<usize>,
    /// The client presenting it.
    pub(crate) client: ClientRef,
    /// Its credentials.
    pub(crate) auth: Auth,
    /// `scope`.
    pub(crate) scope: RefreshScope,
}

/// `POST /revoke`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Revoke {
    /// The token.
    pub(crate) token: TokenRef,
    /// The client revoking it.
    pub(crate) client: ClientRef,
    /// Its credentials.
    pub(crate) auth: Auth,
    /// `token_type_hint`.
    pub(crate) hint: Hint,
    /// Whether a `basic` or `none` client also sends a `client_secret` form field (a `post`
    /// client sends its own unless [`Auth::NoSecret`]).
    pub(crate) secret_field: bool,
}

/// One abstract step of a client, or of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    /// Register a client.
    Register(Register),
    /// Ask for a code.
    Authorize(Authorize),
    /// Exchange a code.
    Exchange(Exchange),
    /// Refresh a pair.
    Refresh(Refresh),
    /// `grant_type=password` by a client with these credentials.
    UnknownGrant(ClientRef, Auth),
    /// Revoke a token.
    Revoke(Revoke),
    /// Call the resource with this bearer token (`None`: no `Authorization` header).
    Resource(Option<TokenRef>),
    /// Let this many milliseconds pass.
    Sleep(u64),
    /// Move the clock to an expiry boundary plus `offset` ms (never backwards).
    Jump(Boundary, i8),
}

/// What the server must answer to one transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prediction {
    /// HTTP status.
    pub(crate) status: u16,
    /// Wire error code, from the JSON body or the redirect's query.
    pub(crate) error: Option<&'static str>,
    /// `error_description`.
    pub(crate) description: Option<String>,
    /// For a token response: its `scope`.
    pub(crate) scope: Option<String>,
}

/// A profile's error code as the `&'static str` predictions hold: one of the codes the built-in
/// profiles use, else leaked (a profile read at run time; tests make few).
fn static_code(code: &str) -> &'static str {
    const KNOWN: [&str; 4] = [
        "invalid_request",
        "invalid_grant",
        "invalid_client",
        "unauthorized_client",
    ];
    KNOWN
        .into_iter()
        .find(|k| *k == code)
        .unwrap_or_else(|| Box::leak(code.to_owned().into_boxed_str()))
}

impl Prediction {
    fn ok(status: u16) -> Self {
        Self {
            status,
            error: None,
            description: None,
            scope: None,
        }
    }

    fn error(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error: Some(error),
            description: Some(description.into()),
            scope: None,
        }
    }

    fn tokens(scopes: &[String]) -> Self {
        Self {
            scope: Some(scopes.join(" ")),
            ..Self::ok(200)
        }
    }
}

/// Why a token stopped working (for reading the state when a check fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Death {
    /// Revoked (itself or its partner).
    Revoked,
    /// Replaced by a refresh.
    Rotated,
    /// Its family was revoked (code replay or refresh reuse).
    FamilyRevoked,
    /// Deleted when it, or its partner, was presented expired.
    Expired,
}

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefClient {
    /// Authentication method.
    pub(crate) method: Method,
    /// Registered scopes (empty when none).
    pub(crate) scopes: Vec<String>,
    /// Registered redirect URIs.
    pub(crate) redirects: Vec<&'static str>,
    /// Whether `refresh_token` is among its grant types.
    pub(crate) refresh_grant: bool,
}

/// An issued code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefCode {
    /// Client #n it was issued to.
    pub(crate) client: usize,
    /// Granted scopes.
    pub(crate) scopes: Vec<String>,
    /// The challenge.
    pub(crate) challenge: Challenge,
    /// The `redirect_uri` sent at `/authorize`, if one was.
    pub(crate) redirect_sent: Option<&'static str>,
    /// Issue time (ms).
    pub(crate) issued_at: u64,
    /// Family #n its exchange started, once exchanged.
    pub(crate) family: Option<usize>,
}

/// An issued access/refresh pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefPair {
    /// Client #n it was issued to.
    pub(crate) client: usize,
    /// Granted scopes.
    pub(crate) scopes: Vec<String>,
    /// Issue time (ms).
    pub(crate) issued_at: u64,
    /// Its family.
    pub(crate) family: usize,
    /// Why the access token died, if it did (expiry by the clock alone is not recorded).
    pub(crate) access_dead: Option<Death>,
    /// Why the refresh token died, if it did.
    pub(crate) refresh_dead: Option<Death>,
}

/// A grant family: the pairs descended from one code exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefFamily {
    /// Whether the server has forgotten it (revoked, or its live refresh token dropped).
    pub(crate) ended: bool,
}

/// The reference state.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    /// The profile's knobs.
    pub(crate) profile: Profile,
    /// The configuration (lifetimes, required scopes, valid scopes).
    pub(crate) config: Config,
    /// The clock (Unix ms).
    pub(crate) now: u64,
    /// Client #n.
    pub(crate) clients: Vec<RefClient>,
    /// Code #n.
    pub(crate) codes: Vec<RefCode>,
    /// Pair #n.
    pub(crate) pairs: Vec<RefPair>,
    /// Family #n.
    pub(crate) families: Vec<RefFamily>,
    /// The prediction for the last transition (`None` for clock moves).
    pub(crate) last: Option<Prediction>,
}

impl Model {
    /// An empty server at `now`.
    pub(crate) fn new(profile: Profile, config: Config, now: u64) -> Self {
        Self {
            profile,
            config,
            now,
            clients: Vec::new(),
            codes: Vec::new(),
            pairs: Vec::new(),
            families: Vec::new(),
            last: None,
        }
    }

    /// Whether every handle `t` names exists and the move makes sense from this state (what a
    /// shrunk sequence must re-check).
    pub(crate) fn admits(&self, t: &Transition) -> bool {
        let client = |c: &ClientRef| match c {
            ClientRef::Known(n) => *n < self.clients.len(),
            ClientRef::Forged => true,
        };
        let pair = |p: usize| p < self.pairs.len();
        match t {
            Transition::Register(_) | Transition::Sleep(_) => true,
            Transition::Authorize(a) => match a.client {
                ClientRef::Known(n) => self
                    .clients
                    .get(n)
                    .is_some_and(|c| !c.redirects.contains(&JAVASCRIPT)),
                ClientRef::Forged => true,
            },
            Transition::Exchange(e) => {
                client(&e.client)
                    && match e.code {
                        CodeRef::Issued(n) => n < self.codes.len(),
                        CodeRef::Forged => true,
                    }
            }
            Transition::Refresh(r) => client(&r.client) && r.pair.is_none_or(pair),
            Transition::UnknownGrant(c, _) => client(c),
            Transition::Revoke(r) => client(&r.client) && token_ok(&r.token, pair),
            Transition::Resource(t) => t.as_ref().is_none_or(|t| token_ok(t, pair)),
            Transition::Jump(b, _) => match b {
                Boundary::Code(n) => *n < self.codes.len(),
                Boundary::Access(p) => pair(*p),
                Boundary::Refresh(p) => pair(*p) && self.config.lifetimes.refresh.is_some(),
            },
        }
    }

    /// Apply `t`; returns (and keeps in [`Model::last`]) what the server must answer.
    pub(crate) fn apply(&mut self, t: &Transition) -> Option<Prediction> {
        let p = match t {
            Transition::Register(r) => Some(self.register(r)),
            Transition::Authorize(a) => Some(self.authorize(a)),
            Transition::Exchange(e) => Some(self.exchange(e)),
            Transition::Refresh(r) => Some(self.refresh(r)),
            Transition::UnknownGrant(c, auth) => Some(self.unknown_grant(*c, *auth)),
            Transition::Revoke(r) => Some(self.revoke(r)),
            Transition::Resource(t) => Some(self.resource(t.as_ref())),
            Transition::Sleep(ms) => {
                self.now += ms;
                None
            }
            Transition::Jump(b, offset) => {
                let target = self.boundary(*b).saturating_add_signed(i64::from(*offset));
                self.now = self.now.max(target);
                None
            }
        };
        self.last.clone_from(&p);
        p
    }

    // ---- time -------------------------------------------------------------------------------

    /// The last instant (ms) at which the record is still valid.
    pub(crate) fn boundary(&self, b: Boundary) -> u64 {
        let l = &self.config.lifetimes;
        match b {
            Boundary::Code(n) => self.codes[n].issued_at + l.code * 1000,
            Boundary::Access(p) => (self.pairs[p].issued_at + l.access * 1000) / 1000 * 1000,
            Boundary::Refresh(p) => {
                let s = l.refresh.unwrap_or(u64::MAX / 4_000);
                (self.pairs[p].issued_at + s * 1000) / 1000 * 1000
            }
        }
    }

    fn code_in_time(&self, n: usize) -> bool {
        self.now <= self.boundary(Boundary::Code(n))
    }

    fn access_in_time(&self, p: usize) -> bool {
        self.now <= self.boundary(Boundary::Access(p))
    }

    fn refresh_in_time(&self, p: usize) -> bool {
        self.config.lifetimes.refresh.is_none() || self.now <= self.boundary(Boundary::Refresh(p))
    }

    /// Whether the server still stores pair `p`'s access token (a sweeping server drops it once
    /// expired, whatever the enforcement knob says).
    fn access_stored(&self, p: usize) -> bool {
        self.pairs[p].access_dead.is_none()
            && (!self.profile.sweep_expired || self.access_in_time(p))
    }

    /// Whether the server still stores pair `p`'s refresh token.
    fn refresh_stored(&self, p: usize) -> bool {
        self.pairs[p].refresh_dead.is_none()
            && (!self.profile.sweep_expired || self.refresh_in_time(p))
    }

    /// Whether the server remembers family `f` (its tombstones): not revoked, and its live
    /// refresh token not swept.
    fn family_remembered(&self, f: usize) -> bool {
        !self.families[f].ended
            && self
                .pairs
                .iter()
                .enumerate()
                .filter(|(_, p)| p.family == f && p.refresh_dead.is_none())
                .all(|(i, _)| !self.profile.sweep_expired || self.refresh_in_time(i))
    }

    // ---- side effects -----------------------------------------------------------------------

    /// Both tokens of pair `p` die (`_revoke_internal`), and its family is forgotten.
    fn kill_pair(&mut self, p: usize, why: Death) {
        let pair = &mut self.pairs[p];
        pair.access_dead.get_or_insert(why);
        pair.refresh_dead.get_or_insert(why);
        let f = pair.family;
        self.families[f].ended = true;
    }

    /// Every live token of family `f` dies, and the family is forgotten.
    fn kill_family(&mut self, f: usize) {
        for pair in self.pairs.iter_mut().filter(|p| p.family == f) {
            pair.access_dead.get_or_insert(Death::FamilyRevoked);
            pair.refresh_dead.get_or_insert(Death::FamilyRevoked);
        }
        self.families[f].ended = true;
    }

    /// An access token presented after its expiry is deleted, with its refresh token where the
    /// profile says so (D-1).
    fn expire_access(&mut self, p: usize) {
        if self.profile.expired_access_revokes_refresh {
            self.kill_pair(p, Death::Expired);
        } else {
            self.pairs[p].access_dead.get_or_insert(Death::Expired);
        }
    }

    fn new_pair(&mut self, client: usize, scopes: Vec<String>, family: Option<usize>) -> usize {
        let family = family.unwrap_or_else(|| {
            self.families.push(RefFamily { ended: false });
            self.families.len() - 1
        });
        self.pairs.push(RefPair {
            client,
            scopes,
            issued_at: self.now,
            family,
            access_dead: None,
            refresh_dead: None,
        });
        self.pairs.len() - 1
    }

    // ---- endpoints --------------------------------------------------------------------------

    fn register(&mut self, r: &Register) -> Prediction {
        let uris = r.redirects.uris();
        if self.profile.registration_strict_redirects && uris[0] == JAVASCRIPT {
            return Prediction::error(
                400,
                "invalid_redirect_uri",
                "redirect_uris.0: scheme not allowed for a redirect URI",
            );
        }
        // Default scopes are not validated (the configuration is assumed to keep them valid).
        let scopes: Vec<String> = match r.scope {
            RegScope::Absent => self.config.default_scopes.clone().unwrap_or_default(),
            RegScope::Empty => Vec::new(),
            RegScope::Of(s) => s.list(),
        };
        let valid = &self.config.valid_scopes;
        let invalid = |s: &&String| valid.as_ref().is_some_and(|v| !v.contains(s));
        if let (RegScope::Of(_), Some(bad)) = (r.scope, scopes.iter().find(invalid)) {
            return Prediction::error(
                400,
                "invalid_client_metadata",
                format!("Requested scopes are not valid: {bad}"),
            );
        }
        if r.grants == Grants::RefreshOnly {
            return Prediction::error(
                400,
                "invalid_client_metadata",
                "grant_types must include 'authorization_code'",
            );
        }
        self.clients.push(RefClient {
            method: r.method,
            scopes,
            redirects: uris,
            refresh_grant: r.grants == Grants::Default,
        });
        Prediction::ok(201)
    }

    /// `validate_redirect_uri`: the URI the code is bound to, or why none is.
    fn resolve_redirect(
        &self,
        c: usize,
        sent: Option<&'static str>,
    ) -> Result<&'static str, String> {
        let registered = &self.clients[c].redirects;
        let exact = self.profile.redirect_exact_match;
        match sent {
            Some(uri) => registered
                .iter()
                .any(|r| *r == uri || (exact && same_but_loopback_port(r, uri)))
                .then_some(uri)
                .ok_or_else(|| format!("Redirect URI '{uri}' not registered for client")),
            None if registered.len() == 1 => Ok(registered[0]),
            None => Err(
                "redirect_uri must be specified unless the client has exactly one registered URI"
                    .to_owned(),
            ),
        }
    }

    fn authorize(&mut self, a: &Authorize) -> Prediction {
        let mut errors: Vec<String> = Vec::new();
        if !a.response_type_code {
            errors.push("response_type: Input should be 'code'".to_owned());
        }
        if a.challenge == Challenge::Malformed && self.profile.pkce_syntax_checked {
            errors.push(format!("code_challenge: {PKCE_SYNTAX}"));
        }
        match a.method {
            ChallengeMethod::S256 => {}
            ChallengeMethod::Absent if self.profile.absent_challenge_method_is_s256 => {}
            ChallengeMethod::Absent => errors.push(
                "code_challenge_method: Field required: an absent method means 'plain', which is not supported; use 'S256'"
                    .to_owned(),
            ),
            ChallengeMethod::Plain => {
                errors.push("code_challenge_method: Input should be 'S256'".to_owned());
            }
        }
        let client = match a.client {
            ClientRef::Known(n) => Some(n),
            ClientRef::Forged => None,
        };
        let redirect = client.map(|c| self.resolve_redirect(c, a.redirect.uri()));
        // Errors found before the client is known redirect when client and URI turn out valid.
        let answer = |error: &'static str, description: String| {
            let status = if matches!(redirect, Some(Ok(_))) {
                302
            } else {
                400
            };
            Prediction::error(status, error, description)
        };
        if !errors.is_empty() {
            let error = if a.response_type_code {
                "invalid_request"
            } else {
                "unsupported_response_type"
            };
            return answer(error, errors.join("\n"));
        }
        let (Some(c), Some(redirect)) = (client, redirect) else {
            return Prediction::error(
                400,
                "invalid_request",
                format!("Client ID '{FORGED_CLIENT}' not found"),
            );
        };
        if let Err(description) = redirect {
            return Prediction::error(400, "invalid_request", description);
        }
        let requested = a.scope.map(Scopes::list);
        let allowed = &self.clients[c].scopes;
        if let Some(bad) = requested.iter().flatten().find(|s| !allowed.contains(s)) {
            return Prediction::error(
                302,
                "invalid_scope",
                format!("Client was not registered with scope {bad}"),
            );
        }
        self.codes.push(RefCode {
            client: c,
            scopes: requested.unwrap_or_default(),
            challenge: a.challenge,
            redirect_sent: a.redirect.uri(),
            issued_at: self.now,
            family: None,
        });
        Prediction::ok(302)
    }

    /// `ClientAuthenticator`: client #n, or the `invalid_client` description.
    fn authenticate(&self, client: ClientRef, auth: Auth) -> Result<usize, &'static str> {
        let ClientRef::Known(n) = client else {
            return Err("Invalid client_id");
        };
        match (self.clients[n].method, auth) {
            (Method::Public, _) | (Method::Post | Method::Basic, Auth::Proper) => Ok(n),
            (Method::Post | Method::Basic, Auth::WrongSecret) => Err("Invalid client_secret"),
            (Method::Post, Auth::NoSecret) => Err("Client secret is required"),
            (Method::Basic, Auth::NoSecret) => {
                Err("Missing or invalid Basic authentication in Authorization header")
            }
        }
    }

    fn invalid_grant(&self, description: impl Into<String>) -> Prediction {
        Prediction::error(
            self.profile.invalid_grant_status,
            "invalid_grant",
            description,
        )
    }

    fn exchange(&mut self, e: &Exchange) -> Prediction {
        let client = match self.authenticate(e.client, e.auth) {
            Ok(c) => c,
            Err(d) => return Prediction::error(401, "invalid_client", d),
        };
        let CodeRef::Issued(n) = e.code else {
            return self.invalid_grant(CODE_UNKNOWN);
        };
        let code = self.codes[n].clone();
        let stored = (code.family.is_none() || !self.profile.codes_single_use)
            && (!self.profile.sweep_expired || self.code_in_time(n));
        if !stored {
            // A used (or swept) code. A valid replay by its owner revokes what it issued.
            let valid_replay = self.profile.code_replay_revokes_grant
                && code.client == client
                && code.challenge == Challenge::Of(e.verifier);
            if let Some(f) = code.family
                && valid_replay
                && self.family_remembered(f)
            {
                self.kill_family(f);
            }
            return self.invalid_grant(CODE_UNKNOWN);
        }
        if code.client != client && self.profile.code_client_bound {
            return self.invalid_grant(CODE_UNKNOWN);
        }
        if !self.code_in_time(n) {
            return self.invalid_grant(CODE_UNKNOWN);
        }
        let given = match e.redirect {
            TokenRedirect::Same => code.redirect_sent,
            TokenRedirect::Omit => None,
            TokenRedirect::Cb => Some(CB),
            TokenRedirect::Evil => Some(EVIL),
        };
        if given != code.redirect_sent {
            let error = static_code(&self.profile.redirect_mismatch_error);
            let status = if error == "invalid_grant" {
                self.profile.invalid_grant_status
            } else {
                400
            };
            return Prediction::error(
                status,
                error,
                "redirect_uri did not match the one used when creating auth code",
            );
        }
        if self.profile.pkce_syntax_checked && e.verifier == Verifier::Short {
            return self.invalid_grant(format!("code_verifier {PKCE_SYNTAX}"));
        }
        if self.profile.pkce_checked && code.challenge != Challenge::Of(e.verifier) {
            return self.invalid_grant("incorrect code_verifier");
        }
        let p = self.new_pair(client, code.scopes.clone(), None);
        self.codes[n].family = Some(self.pairs[p].family);
        Prediction::tokens(&code.scopes)
    }

    fn refresh(&mut self, r: &Refresh) -> Prediction {
        let client = match self.authenticate(r.client, r.auth) {
            Ok(c) => c,
            Err(d) => return Prediction::error(401, "invalid_client", d),
        };
        if !self.clients[client].refresh_grant {
            return Prediction::error(
                400,
                "unsupported_grant_type",
                "Unsupported grant type (supported grant types are ['authorization_code'])",
            );
        }
        let Some(p) = r.pair else {
            return self.invalid_grant(REFRESH_UNKNOWN);
        };
        let pair = self.pairs[p].clone();
        if !self.refresh_stored(p) {
            // Rotated, revoked or dropped. Reuse of a rotated one by its owner revokes the family.
            if self.profile.refresh_reuse_revokes_family
                && pair.refresh_dead == Some(Death::Rotated)
                && pair.client == client
                && self.family_remembered(pair.family)
            {
                self.kill_family(pair.family);
            }
            return self.invalid_grant(REFRESH_UNKNOWN);
        }
        if pair.client != client {
            return self.invalid_grant(REFRESH_UNKNOWN);
        }
        if !self.refresh_in_time(p) {
            self.kill_pair(p, Death::Expired);
            return self.invalid_grant(REFRESH_UNKNOWN);
        }
        let requested = match r.scope {
            RefreshScope::Absent | RefreshScope::Empty => pair.scopes.clone(),
            RefreshScope::Of(s) => s.list(),
        };
        if let Some(bad) = requested.iter().find(|s| !pair.scopes.contains(s)) {
            return Prediction::error(
                400,
                "invalid_scope",
                format!("cannot request scope `{bad}` not provided by refresh token"),
            );
        }
        let family = if self.profile.refresh_rotates {
            let old = &mut self.pairs[p];
            old.access_dead.get_or_insert(Death::Rotated);
            old.refresh_dead.get_or_insert(Death::Rotated);
            Some(old.family)
        } else {
            None
        };
        self.new_pair(client, requested.clone(), family);
        Prediction::tokens(&requested)
    }

    fn unknown_grant(&self, client: ClientRef, auth: Auth) -> Prediction {
        if let Err(d) = self.authenticate(client, auth) {
            return Prediction::error(401, "invalid_client", d);
        }
        if self.profile.unknown_grant_is_unsupported {
            Prediction::error(
                400,
                "unsupported_grant_type",
                "grant_type 'password' is not supported",
            )
        } else {
            Prediction::error(
                400,
                "invalid_request",
                ": Input tag 'password' found using 'grant_type' does not match any of the expected tags: 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'",
            )
        }
    }

    /// `load_access_token` at `/revoke` or the resource: the pair, if the token is stored and in
    /// time; presenting it expired deletes it (any client may do that, D-2).
    fn load_access(&mut self, t: &TokenRef) -> Option<usize> {
        let TokenRef::Access(p) = *t else { return None };
        if !self.access_stored(p) {
            return None;
        }
        if self.profile.access_expiry_enforced && !self.access_in_time(p) {
            self.expire_access(p);
            return None;
        }
        Some(p)
    }

    /// `load_refresh_token` at `/revoke`: the pair, if stored, `client`'s and in time.
    fn load_refresh(&mut self, t: &TokenRef, client: usize) -> Option<usize> {
        let TokenRef::Refresh(p) = *t else {
            return None;
        };
        if !self.refresh_stored(p) || self.pairs[p].client != client {
            return None;
        }
        if !self.refresh_in_time(p) {
            self.kill_pair(p, Death::Expired);
            return None;
        }
        Some(p)
    }

    fn revoke(&mut self, r: &Revoke) -> Prediction {
        if !self.config.revocation_enabled {
            return Prediction::ok(404);
        }
        let client = match self.authenticate(r.client, r.auth) {
            Ok(c) => c,
            Err(d) => {
                return Prediction::error(401, static_code(&self.profile.revocation_auth_error), d);
            }
        };
        let mut errors: Vec<&str> = Vec::new();
        let hint = match r.hint {
            Hint::Unknown if self.profile.revocation_ignores_unknown_hint => Hint::Absent,
            h @ (Hint::Absent | Hint::Access | Hint::Refresh | Hint::Unknown) => h,
        };
        if hint == Hint::Unknown {
            errors.push("token_type_hint: Input should be 'access_token' or 'refresh_token'");
        }
        let secret_field = match self.clients[client].method {
            Method::Post => true,
            Method::Basic | Method::Public => r.secret_field,
        };
        if self.profile.revocation_requires_secret_field && !secret_field {
            errors.push("client_secret: Field required");
        }
        if !errors.is_empty() {
            return Prediction::error(400, "invalid_request", errors.join("\n"));
        }
        let found = if hint == Hint::Refresh {
            self.load_refresh(&r.token, client)
                .map(|p| (p, true))
                .or_else(|| self.load_access(&r.token).map(|p| (p, false)))
        } else {
            self.load_access(&r.token)
                .map(|p| (p, false))
                .or_else(|| self.load_refresh(&r.token, client).map(|p| (p, true)))
        };
        if let Some((p, is_refresh)) = found
            && self.pairs[p].client == client
        {
            if self.profile.revocation_kills_pair {
                self.kill_pair(p, Death::Revoked);
            } else if is_refresh {
                self.pairs[p].refresh_dead.get_or_insert(Death::Revoked);
            } else {
                self.pairs[p].access_dead.get_or_insert(Death::Revoked);
            }
        }
        Prediction::ok(200)
    }

    fn resource(&mut self, t: Option<&TokenRef>) -> Prediction {
        let Some(t) = t else {
            return Prediction::ok(401);
        };
        let Some(p) = self.load_access(t) else {
            return Prediction::error(401, "invalid_token", INVALID_TOKEN);
        };
        let scopes = &self.pairs[p].scopes;
        if let Some(missing) = self
            .config
            .required_scopes
            .iter()
            .find(|s| !scopes.contains(s))
        {
            return Prediction::error(
                403,
                "insufficient_scope",
                format!("Required scope: {missing}"),
            );
        }
        Prediction::ok(200)
    }
}

fn token_ok(t: &TokenRef, pair: impl Fn(usize) -> bool) -> bool {
    match t {
        TokenRef::Access(p) | TokenRef::Refresh(p) => pair(*p),
        TokenRef::ForgedAccess | TokenRef::Garbage => true,
    }
}

/// Whether two `http://localhost:<port>/...` URIs differ only by their port (RFC 8252 §7.3).
fn same_but_loopback_port(a: &str, b: &str) -> bool {
    let rest = |u: &str| {
        u.strip_prefix("http://localhost:").map(|r| {
            r.trim_start_matches(|c: char| c.is_ascii_digit())
                .to_owned()
        })
    };
    matches!((rest(a), rest(b)), (Some(x), Some(y)) if x == y)
}
