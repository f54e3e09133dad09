//! The checker's ledger: what the server issued, to whom, when, and what has since killed it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::{Tally, Violation};
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
}

impl Expectations {
    /// The expectations for a server built from `config`.
    pub fn from_config(config: &Config) -> Self {
        Self {
            issuer: config.endpoint_base(),
            lifetimes: config.lifetimes.clone(),
            required_scopes: config.required_scopes.clone(),
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
}

#[derive(Debug, Clone)]
pub(super) struct CodeFacts {
    pub(super) client: String,
    pub(super) redirect: Option<String>,
    pub(super) challenge: Option<String>,
    pub(super) method: Option<String>,
    pub(super) issued_at: u64,
    pub(super) grant: Option<usize>,
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
    /// Revoked in the second before its (possibly truncated) expiry: whether the server still
    /// held it is unknowable, so liveness rules skip it.
    pub(super) uncertain: bool,
}

/// Observes steps and checks every invariant that applies to each.
///
/// `Debug` redacts the ledger's secret text: client secrets, the codes and tokens it is keyed
/// by, and every issued value. Violation details are printed as found (they are report text).
#[derive(Clone)]
pub struct Checker {
    pub(super) exp: Expectations,
    pub(super) clients: BTreeMap<String, ClientFacts>,
    pub(super) codes: BTreeMap<String, CodeFacts>,
    pub(super) access: BTreeMap<String, TokenFacts>,
    pub(super) refresh: BTreeMap<String, TokenFacts>,
    pub(super) grants: Vec<Option<Cause>>,
    pub(super) issued: BTreeSet<String>,
    pub(super) advertised_auth_methods: Option<Vec<String>>,
    pub(super) tallies: BTreeMap<&'static str, Tally>,
    pub(super) found: Vec<Violation>,
    pub(super) step: usize,
    pub(super) now: u64,
}

impl fmt::Debug for ClientFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            method,
            secret,
            redirect_uris,
            scope,
        } = self;
        f.debug_struct("ClientFacts")
            .field("method", method)
            .field("secret", &redacted_opt(secret))
            .field("redirect_uris", redirect_uris)
            .field("scope", scope)
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
            .finish()
    }
}

impl fmt::Debug for Checker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            exp,
            clients,
            codes,
            access,
            refresh,
            grants,
            issued,
            advertised_auth_methods,
            tallies,
            found,
            step,
            now,
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
            .field("tallies", tallies)
            .field("found", found)
            .field("step", step)
            .field("now", now)
            .finish()
    }
}

impl Checker {
    /// A checker with an empty ledger.
    pub fn new(exp: Expectations) -> Self {
        Self {
            exp,
            clients: BTreeMap::new(),
            codes: BTreeMap::new(),
            access: BTreeMap::new(),
            refresh: BTreeMap::new(),
            grants: Vec::new(),
            issued: BTreeSet::new(),
            advertised_auth_methods: None,
            tallies: BTreeMap::new(),
            found: Vec::new(),
            step: 0,
            now: 0,
        }
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
        self.found.clear();
        match event {
            Event::AuthorizationServerMetadata => self.on_as_metadata(output),
            Event::ProtectedResourceMetadata | Event::Unrouted(_) => {}
            Event::Register(r) => self.on_register(&r.body, output),
            Event::Authorize(a) => self.on_authorize(&a.params, output),
            Event::Token(t) => self.on_token(&t.form, t.authorization.as_deref(), output),
            Event::Revoke(r) => self.on_revoke(&r.form, r.authorization.as_deref(), output),
            Event::Resource(r) => self.on_resource(&r.authorization, output),
        }
        std::mem::take(&mut self.found)
    }

    /// Record the result of a check of the model's own stores (`store-pairs-consistent`).
    pub fn internal(&mut self, step: usize, result: Result<(), String>) -> Vec<Violation> {
        self.step = step;
        self.found.clear();
        let detail = result.as_ref().err().cloned().unwrap_or_default();
        self.check("store-pairs-consistent", result.is_ok(), || detail);
        std::mem::take(&mut self.found)
    }

    /// Checks run and violations found so far, per invariant id.
    pub fn tallies(&self) -> &BTreeMap<&'static str, Tally> {
        &self.tallies
    }

    /// Count one evaluation of `id`; record a violation when `ok` is false.
    pub(super) fn check(&mut self, id: &'static str, ok: bool, detail: impl FnOnce() -> String) {
        let t = self.tallies.entry(id).or_default();
        t.checks += 1;
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

    /// Whether the access token `t` has surely expired by now (strictly after issue + expires_in).
    pub(super) fn access_expired(&self, t: &TokenFacts) -> bool {
        t.expires_in
            .is_some_and(|e| self.now > t.issued_at + e * 1000)
    }

    /// Whether the access token `t` may have expired by now: a server may truncate its expiry to
    /// whole seconds (FastMCP's `int(now + 3600)`), so the last second before `expires_in` is
    /// ambiguous.
    pub(super) fn access_maybe_expired(&self, t: &TokenFacts) -> bool {
        t.expires_in
            .is_some_and(|e| self.now + 1000 > t.issued_at + e * 1000)
    }

    /// Whether the refresh token `t` has expired by now, if its lifetime is known.
    pub(super) fn refresh_expired(&self, t: &TokenFacts) -> bool {
        self.exp
            .lifetimes
            .refresh
            .is_some_and(|l| (t.issued_at + l * 1000) / 1000 * 1000 < self.now)
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
                r.dead.get_or_insert(partner_cause);
            }
        }
        if let Some(r) = refresh
            && let Some(t) = self.refresh.get_mut(&r)
        {
            t.dead.get_or_insert(cause);
            if let Some(p) = t.partner.clone()
                && let Some(a) = self.access.get_mut(&p)
            {
                a.dead.get_or_insert(partner_cause);
            }
        }
    }

    /// Record a new pair issued to `client` in `grant`.
    pub(super) fn record_pair(&mut self, client: &str, grant: usize, output: &Output) {
        let body: serde_json::Value = serde_json::from_str(&output.body).unwrap_or_default();
        let scopes: Vec<String> = body
            .get("scope")
            .and_then(|s| s.as_str())
            .map(|s| {
                s.split(' ')
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let expires_in = body.get("expires_in").and_then(serde_json::Value::as_u64);
        let at = body
            .get("access_token")
            .and_then(|s| s.as_str())
            .map(str::to_owned);
        let rt = body
            .get("refresh_token")
            .and_then(|s| s.as_str())
            .map(str::to_owned);
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
        self.check("issued-values-unique", unseen, || {
            format!("{what} issued twice")
        });
        if what != "client secret" && what != "client id" {
            let bits = entropy_bits(value);
            self.check("issued-values-entropy", bits >= 128, || {
                format!("{what} carries about {bits} random bits")
            });
        }
    }
}

/// An estimate of the random bits in an issued value: a UUIDv4 has 122; otherwise the part after
/// the last `_` counts 4 bits per hex digit or 6 per base64url character.
pub(super) fn entropy_bits(value: &str) -> usize {
    let b = value.as_bytes();
    let uuid_shape =
        b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') && b[14] == b'4';
    if uuid_shape {
        return 122;
    }
    let part = value.rsplit('_').next().unwrap_or(value);
    if part.bytes().all(|c| c.is_ascii_hexdigit()) {
        4 * part.len()
    } else {
        6 * part.len()
    }
}
