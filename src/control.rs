//! Test controls: faults a client test scripts into the model, through `serve`'s control routes
//! (`POST /_oracle/expire`, `/_oracle/revoke`, `/_oracle/fail`, `/_oracle/deny-consent`,
//! `/_oracle/adversary`).
//!
//! A control is an [`Event`] of its own ([`crate::Event::Control`]): it is stepped
//! through the model and recorded in the session like a request, so a session with faults replays
//! byte for byte. What it sets up lives in the model's state (`Faults`) and acts on later
//! steps: the next answers of an endpoint replaced by a scripted failure, the next authorization
//! denied, or the answers of a deliberately misbehaving server for testing a client's defences.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::event::{Event, TokenRequest};
use crate::output::{JSON, NO_CACHE, NO_STORE, Output, Reason};
use crate::provider::{Affected, Provider, Scope};
use crate::time::UnixMillis;

/// One test control.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Control {
    /// Expire now: from the next step on the selected tokens and codes are expired, as if their
    /// lifetimes had run out (the profile decides what follows, e.g. FastMCP's D-1).
    Expire(Selection),
    /// Revoke now, as the revocation endpoint would (a token takes its pair); with `grant`, the
    /// token's whole grant family too.
    Revoke(Selection),
    /// The next `count` requests to `endpoint` get a scripted answer.
    Fail(Failure),
    /// The next `count` authorizations that would redirect with a code redirect with
    /// `error=access_denied` instead ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1)).
    DenyConsent {
        /// How many authorizations (at least 1).
        count: u32,
    },
    /// Turn the adversarial switches on (the list replaces the previous one; empty: all off).
    Adversary {
        /// The switches on.
        switches: BTreeSet<Switch>,
    },
}

impl fmt::Debug for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Expire(s) => f.debug_tuple("Expire").field(s).finish(),
            Self::Revoke(s) => f.debug_tuple("Revoke").field(s).finish(),
            Self::Fail(x) => f.debug_tuple("Fail").field(x).finish(),
            Self::DenyConsent { count } => {
                f.debug_struct("DenyConsent").field("count", count).finish()
            }
            Self::Adversary { switches } => f
                .debug_struct("Adversary")
                .field("switches", switches)
                .finish(),
        }
    }
}

/// What [`Control::Expire`] and [`Control::Revoke`] act on: one token or code (`token`), every
/// token and code of a client (`client_id`), or, with neither, everything.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// An access token, refresh token or authorization code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// A client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// With `token`, on [`Control::Revoke`]: the token's whole grant family.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub grant: bool,
}

impl fmt::Debug for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selection")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("client_id", &self.client_id)
            .field("grant", &self.grant)
            .finish()
    }
}

/// A scripted failure ([`Control::Fail`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The endpoint whose answers are replaced.
    pub endpoint: FaultEndpoint,
    /// How many answers (at least 1).
    pub count: u32,
    /// The status of the scripted answer; none: the endpoint's own answer (then `delay_ms` says
    /// how late it arrives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The `error` code of its JSON body (`temporarily_unavailable`, `invalid_grant`, ...); none:
    /// an empty body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its `error_description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// How long `serve` waits before sending the answer, in milliseconds. A delay is timing, not
    /// content: the trace records the answer, and replay does not wait.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The longest scripted delay (60 s): a client test waits for it in real time.
pub const MAX_DELAY_MS: u64 = 60_000;

/// An endpoint a failure can be scripted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultEndpoint {
    /// Authorization-server metadata.
    AsMetadata,
    /// Protected-resource metadata.
    PrMetadata,
    /// `/register`.
    Register,
    /// `/authorize`.
    Authorize,
    /// `/token`.
    Token,
    /// `/revoke`.
    Revoke,
    /// The protected resource (`/mcp`).
    Resource,
}

impl FaultEndpoint {
    /// The endpoint `event` goes to, if failures can be scripted for it.
    fn of(event: &Event) -> Option<Self> {
        Some(match event {
            Event::AuthorizationServerMetadata => Self::AsMetadata,
            Event::ProtectedResourceMetadata => Self::PrMetadata,
            Event::Register(_) => Self::Register,
            Event::Authorize(_) => Self::Authorize,
            Event::Token(_) => Self::Token,
            Event::Revoke(_) => Self::Revoke,
            Event::Resource(_) => Self::Resource,
            Event::Introspect(_)
            | Event::Unrouted(_)
            | Event::Control(_)
            | Event::ClientDocument(_) => return None,
        })
    }
}

/// A deliberate misbehaviour, to test a client's defences ([`Control::Adversary`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Switch {
    /// The authorization response carries a wrong `iss`
    /// ([RFC 9207 §2.4](https://www.rfc-editor.org/rfc/rfc9207#section-2.4): the client must
    /// refuse it).
    WrongIss,
    /// The authorization-server metadata names another issuer
    /// ([RFC 8414 §3.3](https://www.rfc-editor.org/rfc/rfc8414#section-3.3): the client must not
    /// use it).
    IssuerMismatch,
    /// A refresh answer carries no new refresh token (the client must keep, or lose, the old one
    /// as [RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749#section-6) allows).
    NoNewRefreshToken,
    /// The authorization response repeats `code` with another value
    /// ([RFC 6749 §3.1](https://www.rfc-editor.org/rfc/rfc6749#section-3.1): parameters MUST NOT
    /// be included more than once).
    DuplicateCode,
    /// A token answer without `token_type`
    /// ([RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1): REQUIRED).
    NoTokenType,
}

impl Control {
    /// The control route's last path segment (`POST /_oracle/<route>`).
    pub fn route(&self) -> &'static str {
        match self {
            Self::Expire(_) => "expire",
            Self::Revoke(_) => "revoke",
            Self::Fail(_) => "fail",
            Self::DenyConsent { .. } => "deny-consent",
            Self::Adversary { .. } => "adversary",
        }
    }

    /// The JSON body of its control route: its fields, without the `action` tag.
    pub fn body(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.shift_remove("action");
        }
        v
    }

    /// The control a route and its JSON body describe; `Err` says what is wrong, naming the field.
    pub fn from_route(route: &str, body: &[u8]) -> Result<Self, String> {
        let action = match route {
            "expire" | "revoke" | "fail" | "adversary" => route.to_owned(),
            "deny-consent" => "deny_consent".to_owned(),
            other => return Err(format!("no control route {other:?}")),
        };
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}".as_slice()
        } else {
            body
        };
        let mut v: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let Some(o) = v.as_object_mut() else {
            return Err("the body must be a JSON object".to_owned());
        };
        if o.contains_key("action") {
            return Err("unknown field `action` (the route names the control)".to_owned());
        }
        o.insert("action".to_owned(), Value::from(action));
        serde_json::from_value(v).map_err(|e| e.to_string())
    }
}

/// The `iss` the [`Switch::WrongIss`] and [`Switch::IssuerMismatch`] answers carry.
pub const WRONG_ISSUER: &str = "https://wrong-issuer.oauth-oracle.invalid";
/// The second `code` value of [`Switch::DuplicateCode`].
pub const DUPLICATE_CODE: &str = "oauth-oracle-duplicate-code";

/// What the controls have set up, acting on later steps.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    /// Scripted failures: endpoint → (answers left, the failure).
    failures: Vec<(FaultEndpoint, u32, Failure)>,
    /// Authorizations left to deny.
    deny_consent: u32,
    /// Adversarial switches on.
    switches: BTreeSet<Switch>,
    /// The delay of the answer of the step last applied, in milliseconds.
    delay_ms: u64,
}

impl Faults {
    /// Whether no control is pending (the common case: one comparison per step).
    pub(crate) fn quiet(&self) -> bool {
        self.failures.is_empty()
            && self.deny_consent == 0
            && self.switches.is_empty()
            && self.delay_ms == 0
    }

    /// How long `serve` should hold the answer of the step last applied, in milliseconds.
    #[cfg(feature = "serve")]
    pub(crate) fn delay_ms(&self) -> u64 {
        self.delay_ms
    }

    /// Apply `control` at `at`: its answer (`200` with what it did as JSON, or `400` naming what
    /// is wrong with it).
    pub(crate) fn control(
        &mut self,
        provider: &mut Provider,
        at: UnixMillis,
        control: &Control,
    ) -> Output {
        self.delay_ms = 0;
        match control {
            Control::Expire(sel) | Control::Revoke(sel) => {
                let expire = matches!(control, Control::Expire(_));
                let scope = match (&sel.token, &sel.client_id) {
                    (Some(t), None) => Scope::Token(t),
                    (None, Some(c)) => match provider.get_client(c) {
                        Some(client) => Scope::Client(client.key),
                        None => return refused(&format!("unknown client_id {c:?}")),
                    },
                    (None, None) => Scope::All,
                    (Some(_), Some(_)) => {
                        return refused("give token or client_id, not both");
                    }
                };
                if sel.grant && (expire || sel.token.is_none()) {
                    return refused("grant applies to revoke with a token only");
                }
                let done = if expire {
                    provider.expire_now(scope, at)
                } else {
                    provider.revoke_now(scope, sel.grant)
                };
                match done {
                    Ok(n) => done_json(if expire { "expired" } else { "revoked" }, n),
                    Err(_) => refused("token: no live access token, refresh token or code"),
                }
            }
            Control::Fail(f) => {
                if f.count == 0 {
                    return refused("count must be at least 1");
                }
                if f.status.is_some_and(|s| !(100..=599).contains(&s)) {
                    return refused("status must be an HTTP status (100-599)");
                }
                if f.status.is_none() && f.delay_ms == 0 {
                    return refused("give a status, a delay_ms, or both");
                }
                if f.delay_ms > MAX_DELAY_MS {
                    return refused("delay_ms must be at most 60000");
                }
                if f.status.is_none() && (f.error.is_some() || f.error_description.is_some()) {
                    return refused("error needs a status");
                }
                self.failures.retain(|(e, _, _)| *e != f.endpoint);
                self.failures.push((f.endpoint, f.count, f.clone()));
                self.failures.sort_by_key(|(e, _, _)| *e);
                ok(json!({"scripted": f.endpoint, "count": f.count}))
            }
            Control::DenyConsent { count } => {
                if *count == 0 {
                    return refused("count must be at least 1");
                }
                self.deny_consent = *count;
                ok(json!({"deny_consent": count}))
            }
            Control::Adversary { switches } => {
                self.switches.clone_from(switches);
                ok(json!({"switches": switches}))
            }
        }
    }

    /// The scripted answer to `event`, if one is pending for its endpoint (and count it); a
    /// scripted delay is noted for [`Faults::delay_ms`].
    pub(crate) fn scripted(&mut self, event: &Event) -> Option<Output> {
        self.delay_ms = 0;
        let endpoint = FaultEndpoint::of(event)?;
        let i = self.failures.iter().position(|(e, _, _)| *e == endpoint)?;
        let (_, left, failure) = &mut self.failures[i];
        let failure = failure.clone();
        *left -= 1;
        if *left == 0 {
            self.failures.remove(i);
        }
        self.delay_ms = failure.delay_ms;
        let status = failure.status?;
        let body = match &failure.error {
            Some(error) => {
                let mut v = json!({ "error": error });
                if let Some(d) = &failure.error_description {
                    v["error_description"] = Value::from(d.as_str());
                }
                v.to_string()
            }
            None => String::new(),
        };
        let headers: &[(&'static str, &'static str)] = if failure.error.is_some() {
            &[JSON, NO_STORE, NO_CACHE]
        } else {
            &[]
        };
        Some(Output::new(status, headers, body).because(Reason::Scripted))
    }

    /// `output`, the model's answer to `event`, as the pending denials and switches change it.
    pub(crate) fn distort(&mut self, event: &Event, output: Output) -> Output {
        match event {
            Event::Authorize(_) => self.distort_redirect(output),
            Event::Token(t) => self.distort_token(t, output),
            Event::AuthorizationServerMetadata
                if self.switches.contains(&Switch::IssuerMismatch) =>
            {
                rewrite_json(output, |v| {
                    v["issuer"] = Value::from(WRONG_ISSUER);
                })
            }
            Event::AuthorizationServerMetadata
            | Event::ProtectedResourceMetadata
            | Event::Register(_)
            | Event::Revoke(_)
            | Event::Introspect(_)
            | Event::Resource(_)
            | Event::Unrouted(_)
            | Event::Control(_)
            | Event::ClientDocument(_) => output,
        }
    }

    fn distort_redirect(&mut self, mut output: Output) -> Output {
        let Some(location) = output.header("location") else {
            return output;
        };
        let Ok(mut url) = url::Url::parse(location) else {
            return output;
        };
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        if !pairs.iter().any(|(k, _)| k == "code") {
            return output;
        }
        let deny = self.deny_consent > 0;
        let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len() + 2);
        for (k, v) in pairs {
            match k.as_str() {
                "code" if deny => {
                    out.push(("error".to_owned(), "access_denied".to_owned()));
                    out.push((
                        "error_description".to_owned(),
                        "The resource owner denied the request (oauth-oracle deny-consent control)."
                            .to_owned(),
                    ));
                }
                "iss" if self.switches.contains(&Switch::WrongIss) => {
                    out.push((k, WRONG_ISSUER.to_owned()));
                }
                _ => out.push((k, v)),
            }
        }
        if self.switches.contains(&Switch::WrongIss) && !out.iter().any(|(k, _)| k == "iss") {
            out.push(("iss".to_owned(), WRONG_ISSUER.to_owned()));
        }
        if !deny && self.switches.contains(&Switch::DuplicateCode) {
            out.push(("code".to_owned(), DUPLICATE_CODE.to_owned()));
        }
        if deny {
            self.deny_consent -= 1;
            output.reason = Some(Reason::ConsentDenied);
        }
        url.query_pairs_mut().clear().extend_pairs(out);
        let new = url.to_string();
        for (k, v) in &mut output.headers {
            if k == "location" {
                *v = new.clone().into();
            }
        }
        output
    }

    fn distort_token(&self, request: &TokenRequest, output: Output) -> Output {
        if output.status != 200 {
            return output;
        }
        let refresh = request
            .form
            .0
            .iter()
            .any(|(k, v)| k == "grant_type" && v == "refresh_token");
        let drop_refresh = refresh && self.switches.contains(&Switch::NoNewRefreshToken);
        let drop_type = self.switches.contains(&Switch::NoTokenType);
        if !drop_refresh && !drop_type {
            return output;
        }
        rewrite_json(output, |v| {
            if let Some(o) = v.as_object_mut() {
                if drop_refresh {
                    o.shift_remove("refresh_token");
                }
                if drop_type {
                    o.shift_remove("token_type");
                }
            }
        })
    }
}

/// `output` with its JSON body changed by `edit` (unchanged if the body is not JSON).
fn rewrite_json(mut output: Output, edit: impl FnOnce(&mut Value)) -> Output {
    if let Ok(mut v) = serde_json::from_str::<Value>(&output.body) {
        edit(&mut v);
        output.body = v.to_string();
    }
    output
}

fn ok(body: Value) -> Output {
    Output::new(200, &[JSON], body.to_string())
}

fn done_json(what: &str, n: Affected) -> Output {
    ok(json!({
        what: {"access_tokens": n.access, "refresh_tokens": n.refresh, "codes": n.codes}
    }))
}

fn refused(message: &str) -> Output {
    Output::new(400, &[JSON], json!({ "error": message }).to_string())
        .because(Reason::RequestInvalid)
}
