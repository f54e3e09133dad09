//! The checker's ledger: what the server issued, to whom, when, and what has since killed it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use super::audience::Audience;
use super::{InvariantId, Tallies, Violation};
use crate::answer::{AnswerJson, Name};
use crate::config::{Config, Lifetimes};
use crate::event::Event;
use crate::output::Output;
use crate::secret::{RedactedKeys, RedactedList, redacted_opt};
use crate::time::UnixMillis;

/// What the target server was configured with, as far as the invariants need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// The issuer identifier the metadata URL was built from (e.g. `http://127.0.0.1:8765`).
    pub issuer: String,
    /// Lifetimes the server was configured with.
    pub lifetimes: Lifetimes,
    /// Scopes the resource requires.
    pub required_scopes: Vec<String>,
    /// Whether `lifetimes.refresh` is known to be the server's refresh-token lifetime (`None`
    /// then means: they never expire). When it is not — a live server started with settings we
    /// were not told — `refresh-expires` is judged only if a token response states a lifetime
    /// (`refresh_token_expires_in`), and is otherwise not evaluated.
    pub refresh_lifetime_known: bool,
    /// Whether the server supports PKCE's `plain` method (`None`: not known yet). A challenge
    /// without a method is `plain` ([RFC 7636 §4.3](https://www.rfc-editor.org/rfc/rfc7636#section-4.3)),
    /// and a server that does not support it MUST refuse it (§4.4.1): `pkce-absent-method-is-plain`
    /// is judged only when this is `Some(false)`. Learned from metadata
    /// (`code_challenge_methods_supported`) and from answers to an explicit `plain`.
    pub pkce_plain_supported: Option<bool>,
    /// Whether the server supports RFC 9207 (`authorization_response_iss_parameter_supported`):
    /// its MUST binds "an authorization server supporting this specification"
    /// ([RFC 9207 §2](https://www.rfc-editor.org/rfc/rfc9207#section-2); §3: omitted means
    /// false). Without it, an `iss` that is present is still compared with the issuer.
    pub iss_parameter_supported: bool,
    /// Whether a new authorization of a client may end the client's earlier grants. No RFC
    /// forbids it, and Cloudflare's workers-oauth-provider revokes every earlier grant of the same
    /// user and client when it issues a new code: for such a server the tokens a client got
    /// before its latest authorization are not known to be live, and the rules that read a
    /// token's death as someone's doing skip them. A model server does where its profile says so
    /// ([`Expectations::for_model`]); a live one ([`Expectations::for_live`]) may.
    pub reauthorization_may_revoke: bool,
    /// The protected resource the checked tokens are shown to (the MCP endpoint's URL), whose
    /// audience `token-audience` and `resource-fixed` judge; `None` when tokens are shown to an
    /// introspection endpoint instead, which judges no audience.
    pub resource: Option<String>,
}

impl Expectations {
    /// The expectations for a server built from `config`: the strict server the catalogue
    /// describes (no `plain`; `iss` on every authorization response).
    pub fn from_config(config: &Config) -> Self {
        Self {
            issuer: config.endpoint_base(),
            lifetimes: config.lifetimes.clone(),
            required_scopes: config.required_scopes.clone(),
            refresh_lifetime_known: true,
            pkce_plain_supported: Some(false),
            iss_parameter_supported: true,
            reauthorization_may_revoke: false,
            resource: Some(config.resource_url()),
        }
    }

    /// The expectations for the model server of `profile` built from `config`: as
    /// [`Expectations::from_config`], and a new authorization may end the client's earlier
    /// grants where the profile does (`reauthorization_revokes_grants`).
    pub fn for_model(config: &Config, profile: &crate::Profile) -> Self {
        Self {
            reauthorization_may_revoke: profile.reauthorization_revokes_grants,
            ..Self::from_config(config)
        }
    }

    /// Tokens are shown to `resource` (a protected resource's URL), or to no protected
    /// resource at all (`None`: an introspection endpoint).
    pub fn with_resource(mut self, resource: Option<String>) -> Self {
        self.resource = resource;
        self
    }

    /// What a metadata document (RFC 8414) says the server supports, where a rule depends on
    /// it: PKCE `plain` (`code_challenge_methods_supported`, if named) and RFC 9207 `iss`.
    pub fn with_metadata(mut self, metadata: &serde_json::Value) -> Self {
        if let Some(methods) = metadata
            .get("code_challenge_methods_supported")
            .and_then(serde_json::Value::as_array)
        {
            self.pkce_plain_supported = Some(methods.iter().any(|m| m == "plain"));
        }
        self.iss_parameter_supported = metadata
            .get("authorization_response_iss_parameter_supported")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        self
    }

    /// The expectations for a live server described by `config`: its refresh-token lifetime is
    /// known only if one was given (`lifetimes.refresh` is `Some`); `None` means "not told", not
    /// "never expires".
    /// Nothing is assumed of what it supports until [`Expectations::with_metadata`] or the
    /// answers say.
    pub fn for_live(config: &Config) -> Self {
        Self {
            refresh_lifetime_known: config.lifetimes.refresh.is_some(),
            pkce_plain_supported: None,
            iss_parameter_supported: false,
            reauthorization_may_revoke: true,
            ..Self::from_config(config)
        }
    }
}

/// Why the ledger considers a token dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cause {
    /// Revoked by its owner.
    Revoked,
    /// Its partner was revoked by the owner.
    PartnerRevoked,
    /// Rotated away by a refresh.
    Rotated,
    /// Its grant's code was validly replayed.
    CodeReplayed,
    /// A rotated refresh token of its grant was reused.
    RefreshReused,
}

/// `Debug` redacts the secret.
#[derive(Clone)]
pub(super) struct ClientFacts {
    pub(super) method: String,
    pub(super) secret: Option<String>,
    pub(super) redirect_uris: Vec<String>,
    pub(super) scope: Option<Vec<String>>,
    /// A native app, as far as the registration tells: a public client whose registration the
    /// server did not answer with `application_type` `web` (OpenID Connect Dynamic Client
    /// Registration §2; OAuth 2.1 §8.1.1: native apps are public clients).
    pub(super) native: bool,
    /// Whether the registration named the method. One it did not name binds the client to no
    /// secret method ([RFC 7591 §2](https://www.rfc-editor.org/rfc/rfc7591#section-2): the
    /// method is what the client *requests*): either one, with the exact secret, authenticates
    /// it ([RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1)).
    pub(super) method_named: bool,
}

#[derive(Debug, Clone)]
pub(super) struct CodeFacts {
    pub(super) client: String,
    pub(super) redirect: Option<String>,
    pub(super) challenge: Option<String>,
    pub(super) method: Option<String>,
    pub(super) issued_at: u64,
    pub(super) grant: Option<usize>,
    /// The `resource` values of the authorization request ([RFC 8707 §2.1](https://www.rfc-editor.org/rfc/rfc8707#section-2.1)).
    pub(super) resources: Arc<[String]>,
}

/// `Debug` redacts the partner token.
#[derive(Clone)]
pub(super) struct TokenFacts {
    pub(super) client: String,
    pub(super) grant: usize,
    pub(super) issued_at: u64,
    pub(super) expires_in: Option<u64>,
    pub(super) scopes: Vec<String>,
    pub(super) partner: Option<String>,
    pub(super) dead: Option<Cause>,
    /// For refresh tokens: their access token was presented after expiry (`Some(true)` by a
    /// foreign client, `Some(false)` by the owner or at the resource).
    pub(super) partner_presented_expired: Option<bool>,
    /// Revoked in the second before its (possibly truncated) expiry, or its client replayed a
    /// code (the server may revoke more than that code's tokens): whether the server still holds
    /// it is unknowable, so liveness rules skip it.
    pub(super) uncertain: bool,
    /// Someone other than its owner — another client, or a request naming no client — asked
    /// `/revoke` to revoke it or its partner: if it dies while the ledger believes it live, that
    /// request destroyed it (`revocation-owner-only`).
    pub(super) foreign_revoke: bool,
    /// The resource indicators behind the token ([RFC 8707 §2](https://www.rfc-editor.org/rfc/rfc8707#section-2)).
    pub(super) audience: Audience,
}

/// Observes steps and checks every invariant that applies to each.
///
/// `Debug` redacts the ledger's secret text: client secrets, the codes and tokens it is keyed
/// by, and every issued value. Violation details are printed as found (they are report text).
#[derive(Clone)]
pub struct Checker {
    pub(super) exp: Expectations,
    /// `exp.resource` parsed once (`None` too when it is no URL: no audience is judged).
    pub(super) own_resource: Option<Arc<url::Url>>,
    /// Shared, so that a rule reads a client's facts while it updates the ledger.
    pub(super) clients: BTreeMap<String, std::sync::Arc<ClientFacts>>,
    /// Shared, as the clients are.
    pub(super) codes: BTreeMap<String, std::sync::Arc<CodeFacts>>,
    pub(super) access: BTreeMap<String, TokenFacts>,
    pub(super) refresh: BTreeMap<String, TokenFacts>,
    pub(super) grants: Vec<Option<Cause>>,
    pub(super) issued: BTreeSet<String>,
    pub(super) advertised_auth_methods: Option<Vec<String>>,
    /// Client ID metadata document URLs → whether the document last fetched names its URL as
    /// its `client_id`.
    pub(super) documents: BTreeMap<String, bool>,
    /// A token response stated a refresh-token lifetime (`refresh_token_expires_in`).
    pub(super) refresh_lifetime_stated: bool,
    pub(super) tallies: Tallies,
    pub(super) found: Vec<Violation>,
    pub(super) step: usize,
    pub(super) now: u64,
    /// The answer being judged refused the request: its checks are negative probes.
    pub(super) refused: bool,
    /// A test control ([`crate::Control`]) was seen: the server's state changed outside the
    /// protocol, so no later step is judged.
    pub(super) blind: bool,
    /// The JSON body of the answer being judged, parsed once for all its rules
    /// ([`Checker::body`]).
    pub(super) body: Option<std::sync::Arc<AnswerJson>>,
}

impl fmt::Debug for ClientFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            method,
            secret,
            redirect_uris,
            scope,
            native,
            method_named,
        } = self;
        f.debug_struct("ClientFacts")
            .field("method", method)
            .field("secret", &redacted_opt(secret))
            .field("redirect_uris", redirect_uris)
            .field("scope", scope)
            .field("native", native)
            .field("method_named", method_named)
            .finish()
    }
}

impl fmt::Debug for TokenFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            client,
            grant,
            issued_at,
            expires_in,
            scopes,
            partner,
            dead,
            partner_presented_expired,
            uncertain,
            foreign_revoke,
            audience,
        } = self;
        f.debug_struct("TokenFacts")
            .field("client", client)
            .field("grant", grant)
            .field("issued_at", issued_at)
            .field("expires_in", expires_in)
            .field("scopes", scopes)
            .field("partner", &redacted_opt(partner))
            .field("dead", dead)
            .field("partner_presented_expired", partner_presented_expired)
            .field("uncertain", uncertain)
            .field("foreign_revoke", foreign_revoke)
            .field("audience", audience)
            .finish()
    }
}

impl fmt::Debug for Checker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            exp,
            own_resource: _,
            clients,
            codes,
            access,
            refresh,
            grants,
            issued,
            advertised_auth_methods,
            documents,
            refresh_lifetime_stated,
            blind,
            tallies,
            found,
            step,
            now,
            refused,
            body: _,
        } = self;
        fn keyed<V>(m: &BTreeMap<String, V>) -> RedactedKeys<'_, V> {
            RedactedKeys(m.iter().map(|(k, v)| (k.as_str(), v)).collect())
        }
        let issued: Vec<&str> = issued.iter().map(String::as_str).collect();
        f.debug_struct("Checker")
            .field("exp", exp)
            .field("clients", clients)
            .field("codes", &keyed(codes))
            .field("access", &keyed(access))
            .field("refresh", &keyed(refresh))
            .field("grants", grants)
            .field("issued", &RedactedList(&issued))
            .field("advertised_auth_methods", advertised_auth_methods)
            .field("documents", documents)
            .field("refresh_lifetime_stated", refresh_lifetime_stated)
            .field("tallies", tallies)
            .field("found", found)
            .field("step", step)
            .field("now", now)
            .field("refused", refused)
            .field("blind", blind)
            .finish()
    }
}

impl Checker {
    /// A checker with an empty ledger.
    pub fn new(exp: Expectations) -> Self {
        Self {
            own_resource: exp
                .resource
                .as_deref()
                .and_then(|r| url::Url::parse(r).ok())
                .map(Arc::new),
            exp,
            clients: BTreeMap::new(),
            codes: BTreeMap::new(),
            access: BTreeMap::new(),
            refresh: BTreeMap::new(),
            grants: Vec::new(),
            issued: BTreeSet::new(),
            advertised_auth_methods: None,
            documents: BTreeMap::new(),
            refresh_lifetime_stated: false,
            tallies: Tallies::default(),
            found: Vec::new(),
            step: 0,
            now: 0,
            refused: false,
            blind: false,
            body: None,
        }
    }

    /// The members of `output`'s JSON body (the answer being judged; all absent when it is not
    /// a JSON object), read on first use for the step.
    pub(super) fn body(&mut self, output: &Output) -> std::sync::Arc<AnswerJson> {
        self.body
            .get_or_insert_with(|| std::sync::Arc::new(AnswerJson::parse(&output.body)))
            .clone()
    }

    /// The members of the JSON body of the answer last observed, when a rule read them.
    pub(crate) fn answer_json(&self) -> Option<std::sync::Arc<AnswerJson>> {
        self.body.clone()
    }

    /// Check one step (`step` is 1-based); returns the violations it found.
    pub fn observe(
        &mut self,
        step: usize,
        at: UnixMillis,
        event: &Event,
        output: &Output,
    ) -> Vec<Violation> {
        self.step = step;
        self.now = at.0;
        self.body = None;
        if self.blind {
            return Vec::new();
        }
        self.refused = crate::coverage::refused(output);
        self.found.clear();
        match event {
            Event::AuthorizationServerMetadata => self.on_as_metadata(output),
            Event::ProtectedResourceMetadata | Event::Unrouted(_) => {}
            // A test control changes the server's state behind the protocol's back (a token
            // expires early, a failure is scripted): what follows is not judged.
            Event::Control(_) => self.blind = true,
            Event::ClientDocument(d) => {
                self.on_client_document(&d.url, d.status, &d.body, output);
            }
            Event::Register(r) => self.on_register(&r.body, output),
            Event::Authorize(a) => self.on_authorize(&a.params, output),
            Event::Token(t) => self.on_token(&t.form, t.authorization.as_deref(), output),
            Event::Revoke(r) => self.on_revoke(&r.form, r.authorization.as_deref(), output),
            Event::Introspect(r) => {
                self.on_introspect(&r.form, r.authorization.as_deref(), output);
            }
            Event::Resource(r) => self.on_resource(&r.authorization, output),
        }
        std::mem::take(&mut self.found)
    }

    /// Record the result of a check of the model's own stores (`store-pairs-consistent`), made
    /// after the step last observed: positive or negative as that step's answer.
    pub fn internal(&mut self, step: usize, inconsistency: Option<String>) -> Vec<Violation> {
        self.step = step;
        self.found.clear();
        let ok = inconsistency.is_none();
        self.check(InvariantId::StorePairsConsistent, ok, || {
            inconsistency.unwrap_or_default()
        });
        std::mem::take(&mut self.found)
    }

    /// Checks run and violations found so far, per invariant id.
    pub fn tallies(&self) -> &Tallies {
        &self.tallies
    }

    /// Count one evaluation of `id` (a negative probe when the answer judged refused the request,
    /// a positive check otherwise); record a violation when `ok` is false.
    pub(super) fn check(&mut self, id: InvariantId, ok: bool, detail: impl FnOnce() -> String) {
        let t = self.tallies.slot(id);
        t.checks += 1;
        if self.refused {
            t.negative += 1;
        } else {
            t.positive += 1;
        }
        if !ok {
            t.violations += 1;
            self.found.push(Violation {
                invariant: id,
                step: self.step,
                detail: detail(),
            });
        }
    }

    /// A new grant; returns its index.
    pub(super) fn new_grant(&mut self) -> usize {
        self.grants.push(None);
        self.grants.len() - 1
    }

    /// Whether the access token `t` has surely expired by now: more than a second past issue +
    /// `expires_in` ([`surely_past`]).
    pub(super) fn access_expired(&self, t: &TokenFacts) -> bool {
        t.expires_in
            .is_some_and(|e| surely_past(self.now, t.issued_at + e * 1000))
    }

    /// Whether the access token `t` may have expired by now: a server may truncate its expiry to
    /// whole seconds (FastMCP's `int(now + 3600)`), so the last second before `expires_in` is
    /// ambiguous ([`maybe_past`]).
    pub(super) fn access_maybe_expired(&self, t: &TokenFacts) -> bool {
        t.expires_in
            .is_some_and(|e| maybe_past(self.now, t.issued_at + e * 1000))
    }

    /// Whether the refresh token `t` has surely expired by now, if its lifetime is known.
    pub(super) fn refresh_expired(&self, t: &TokenFacts) -> bool {
        self.refresh_lifetime()
            .is_some_and(|l| surely_past(self.now, t.issued_at + l * 1000))
    }

    /// Whether the refresh token `t` may have expired by now, if its lifetime is known.
    pub(super) fn refresh_maybe_expired(&self, t: &TokenFacts) -> bool {
        self.refresh_lifetime()
            .is_some_and(|l| maybe_past(self.now, t.issued_at + l * 1000))
    }

    /// The refresh-token lifetime, when it is known (configured).
    fn refresh_lifetime(&self) -> Option<u64> {
        self.exp
            .lifetimes
            .refresh
            .filter(|_| self.exp.refresh_lifetime_known)
    }

    /// Whether the authorization code `c` has surely expired by now: more than a second past
    /// issue + the configured code lifetime.
    pub(super) fn code_expired(&self, c: &CodeFacts) -> bool {
        surely_past(self.now, c.issued_at + self.exp.lifetimes.code * 1000)
    }

    /// Whether the authorization code `c` is surely still live by now (not within the second
    /// before its expiry).
    pub(super) fn code_live(&self, c: &CodeFacts) -> bool {
        !maybe_past(self.now, c.issued_at + self.exp.lifetimes.code * 1000)
    }

    /// Kill a token pair with `cause` (partner with `PartnerRevoked` when revoked).
    pub(super) fn kill_pair(
        &mut self,
        access: Option<String>,
        refresh: Option<String>,
        cause: Cause,
    ) {
        let partner_cause = if cause == Cause::Revoked {
            Cause::PartnerRevoked
        } else {
            cause
        };
        if let Some(a) = access
            && let Some(t) = self.access.get_mut(&a)
        {
            t.dead.get_or_insert(cause);
            if let Some(p) = t.partner.clone()
                && let Some(r) = self.refresh.get_mut(&p)
            {
                if cause == Cause::Revoked {
                    // RFC 7009 §2.1: "If the token passed to the request is an access token,
                    // the server MAY revoke the respective refresh token as well": whether it
                    // lives on is the server's choice (Authlib keeps it).
                    r.uncertain = true;
                } else {
                    r.dead.get_or_insert(partner_cause);
                }
            }
        }
        if let Some(r) = refresh
            && let Some(t) = self.refresh.get_mut(&r)
        {
            // A refresh token the server may already have dropped (`uncertain`) may be revoked
            // as an unknown token, which kills nothing: its partner's fate is unknown too.
            let maybe_gone = t.uncertain && t.dead.is_none();
            t.dead.get_or_insert(cause);
            if let Some(p) = t.partner.clone()
                && let Some(a) = self.access.get_mut(&p)
            {
                if maybe_gone {
                    a.uncertain = true;
                } else {
                    a.dead.get_or_insert(partner_cause);
                }
            }
        }
    }

    /// Every token of `grant` the ledger believes live is of unknown fate.
    pub(super) fn grant_uncertain(&mut self, grant: usize) {
        for f in self.access.values_mut().chain(self.refresh.values_mut()) {
            if f.grant == grant && f.dead.is_none() {
                f.uncertain = true;
            }
        }
    }

    /// A refresh token the ledger believed rotated away worked again: the server keeps more than
    /// one refresh token of a grant usable (Cloudflare's grace of one), and may have retired
    /// another one of the grant instead. Every other refresh token of `grant` the ledger
    /// believes live is then of unknown fate.
    pub(super) fn grace_seen(&mut self, grant: usize, presented: &str) {
        for (t, f) in &mut self.refresh {
            if f.grant == grant && f.dead.is_none() && t != presented {
                f.uncertain = true;
            }
        }
    }

    /// Record a new pair issued to `client` in `grant`, for the resources `audience` names.
    pub(super) fn record_pair(
        &mut self,
        client: &str,
        grant: usize,
        audience: Audience,
        output: &Output,
    ) {
        let body = self.body(output);
        let scopes: Vec<String> = body
            .scope
            .as_deref()
            .map(|s| {
                s.split(' ')
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let expires_in = body.expires_in;
        if rt_lifetime_stated(&body) {
            self.refresh_lifetime_stated = true;
        }
        let at = body.access_token.clone();
        let rt = body.refresh_token.clone();
        let facts = |partner: Option<String>| TokenFacts {
            client: client.to_owned(),
            grant,
            issued_at: self.now,
            expires_in,
            scopes: scopes.clone(),
            partner,
            dead: None,
            partner_presented_expired: None,
            uncertain: false,
            foreign_revoke: false,
            audience: audience.clone(),
        };
        let a_facts = facts(rt.clone());
        let r_facts = facts(at.clone());
        if let Some(a) = at {
            self.fresh_value("access token", &a);
            self.access.insert(a, a_facts);
        }
        if let Some(r) = rt {
            self.fresh_value("refresh token", &r);
            self.refresh.insert(r, r_facts);
        }
    }

    /// `issued-values-unique` and (for codes and tokens) `issued-values-entropy`.
    pub(super) fn fresh_value(&mut self, what: &str, value: &str) {
        let unseen = self.issued.insert(value.to_owned());
        self.check(InvariantId::IssuedValuesUnique, unseen, || {
            format!("{what} issued twice")
        });
        if what != "client secret" && what != "client id" {
            let bits = entropy_bits(value);
            self.check(InvariantId::IssuedValuesEntropy, bits >= 128, || {
                format!("{what} carries about {bits} random bits")
            });
        }
    }
}

/// Whether a token response states a finite refresh-token lifetime (`refresh_token_expires_in`,
/// a common extension; e.g. Microsoft's and Salesforce's token responses carry it).
pub(super) fn rt_lifetime_stated(body: &AnswerJson) -> bool {
    body.has(Name::RefreshToken) && body.refresh_token_expires_in.is_some()
}

/// An estimate of the random bits in an issued value, from the whole value's alphabet and length:
/// a UUIDv4 has 122; otherwise each character counts `log2` of the smallest usual alphabet holding
/// every character of the value — 10 (digits), 16 (hex of one case), 64 (base64url or base64,
/// `=` padding not counted) or 95 (printable ASCII) — rounded down.
///
/// [RFC 6749 §10.10](https://www.rfc-editor.org/rfc/rfc6749#section-10.10): "The probability
/// of an attacker guessing generated tokens (and other credentials not intended for handling by
/// end-users) MUST be less than or equal to 2^(-128) and SHOULD be less than or equal to
/// 2^(-160)." (OAuth 2.1 §7.7 repeats it.) The estimate is an upper bound (a fixed prefix counts
/// as random too), so a value it scores under 128 bits surely carries fewer: the part after a
/// `_` is not scored alone, since `_` is a base64url character and a 43-character base64url
/// token of 256 bits may hold several.
pub(super) fn entropy_bits(value: &str) -> usize {
    let b = value.as_bytes();
    let uuid_shape =
        b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') && b[14] == b'4';
    if uuid_shape {
        return 122;
    }
    let body = value.trim_end_matches('=');
    let all = |f: fn(&u8) -> bool| body.as_bytes().iter().all(f);
    // Bits per character, in millibits: log2(10), log2(16), log2(64), log2(95).
    let millibits: usize = if all(u8::is_ascii_digit) {
        3321
    } else if all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
        || all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
    {
        4000
    } else if all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'+' | b'/')) {
        6000
    } else {
        6569
    };
    body.len() * millibits / 1000
}

/// Real servers keep expiry in whole seconds and round it either way: truncating the deadline
/// (FastMCP's `int(now + 3600)`, node-oidc-provider's `iat + ttl` from a truncated `iat`) ends a
/// lifetime up to a second early; comparing whole seconds (`exp < floor(now)`) ends it up to a
/// second late. The checker judges expiry only outside that second, in both directions: a value
/// is surely expired more than a second past its exact deadline ...
pub(super) fn surely_past(now: u64, deadline: u64) -> bool {
    now > deadline + 1000
}

/// ... and surely live more than a second before it; in between, whether the server still
/// holds it is unknowable and no rule reads its answer as a verdict.
pub(super) fn maybe_past(now: u64, deadline: u64) -> bool {
    now + 1000 > deadline
}
