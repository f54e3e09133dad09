//! The lockstep driver: sends the concrete request behind each abstract [`Transition`] to the
//! real [`AuthServer`], compares its answer with the reference's [`Prediction`], and runs the
//! invariant [`Checker`] on every step.
//!
//! Abstract handles (client #n, code #n, pair #n) map to the real strings the server produced so
//! far, in the order it produced them: the reference and the server create a handle on the same
//! successful step, or the step is already a disagreement.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::super::oracle::invariant::{
    Checker, Expectations, InvariantId, Violation, documented_deviations,
};
use super::super::oracle::{
    AuthServer, AuthorizeMethod, AuthorizeRequest, Config, Event, Output, Params, Profile,
    RegisterRequest, ResourceRequest, RevokeRequest, TokenRequest, UnixMillis,
};
use super::{
    Auth, Challenge, ChallengeMethod, ClientRef, CodeRef, FORGED_CLIENT, Grants, Hint, Method,
    Model, Prediction, RefreshScope, RegScope, TokenRedirect, TokenRef, Transition, WRONG_SECRET,
};

/// The invariants a profile may break: none under `oauth21`, exactly the documented deviations
/// under `fastmcp` and `cloudflare`; `None` (not asserted) for any other profile.
pub(crate) fn allowed_violations(profile: &Profile) -> Option<Vec<InvariantId>> {
    [
        Profile::oauth21(),
        Profile::fastmcp(),
        Profile::cloudflare(),
    ]
    .iter()
    .find(|p| *p == profile)
    .and_then(|p| documented_deviations(&p.name))
}

/// `BASE64URL-NOPAD(SHA256(verifier))` (RFC 7636 §4.2), computed here rather than by the model.
pub(crate) fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `Basic base64(id:secret)`.
fn basic(id: &str, secret: &str) -> String {
    let raw = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// The `error_description` of an answer: from the redirect's query or the JSON body.
pub(crate) fn description_of(out: &Output) -> Option<String> {
    if let Some(loc) = out.header("location") {
        let query = loc.split('#').next()?.split_once('?')?.1;
        return query_pairs(query)
            .into_iter()
            .rev()
            .find(|(k, _)| k == "error_description")
            .map(|(_, v)| v);
    }
    let v: serde_json::Value = serde_json::from_str(&out.body).ok()?;
    v.get("error_description")?.as_str().map(str::to_owned)
}

fn json_str(out: &Output, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&out.body).ok()?;
    v.get(name)?.as_str().map(str::to_owned)
}

/// A registered client's real credentials.
#[derive(Debug, Clone)]
struct RealClient {
    id: String,
    secret: Option<String>,
}

/// The real server, its checker, and the real values behind the abstract handles.
#[derive(Debug, Clone)]
pub(crate) struct Lockstep {
    server: AuthServer,
    checker: Checker,
    allowed: Option<Vec<InvariantId>>,
    steps: usize,
    clients: Vec<RealClient>,
    codes: Vec<String>,
    pairs: Vec<(String, String)>,
    forged_code: String,
    forged_access: String,
    forged_refresh: String,
}

impl Lockstep {
    /// A fresh server for `profile` and `config`, asserting [`allowed_violations`].
    pub(crate) fn new(profile: Profile, config: Config) -> Result<Self, String> {
        let allowed = allowed_violations(&profile);
        let checker = Checker::new(Expectations::for_model(&config, &profile));
        let forged_code = format!("{}{}", profile.code_prefix, "0".repeat(32));
        let forged_access = format!("{}{}", profile.access_prefix, "0".repeat(64));
        let forged_refresh = format!("{}{}", profile.refresh_prefix, "0".repeat(64));
        let server = AuthServer::new(config, profile).map_err(|e| e.to_string())?;
        Ok(Self {
            server,
            checker,
            allowed,
            steps: 0,
            clients: Vec::new(),
            codes: Vec::new(),
            pairs: Vec::new(),
            forged_code,
            forged_access,
            forged_refresh,
        })
    }

    /// Send `t` (already applied to `model`, which holds its prediction in [`Model::last`]) and
    /// compare. `Err` describes the first disagreement or forbidden violation.
    pub(crate) fn step(&mut self, model: &Model, t: &Transition) -> Result<(), String> {
        let Some(event) = self.event(model, t) else {
            return Ok(());
        };
        let Some(predicted) = model.last.clone() else {
            return Err(format!("no prediction for {t:?}"));
        };
        let at = UnixMillis(model.now);
        let out = self.server.apply(at, &event);
        self.steps += 1;
        let step = self.steps;
        let mut problems: Vec<String> = Vec::new();
        let actual = Prediction {
            status: out.status,
            error: None,
            description: description_of(&out),
            scope: predicted
                .scope
                .as_ref()
                .and_then(|_| json_str(&out, "scope")),
        };
        let error = out.error_code();
        if actual.status != predicted.status
            || error.as_deref() != predicted.error
            || actual.description != predicted.description
            || actual.scope != predicted.scope
        {
            problems.push(format!(
                "expected {predicted:?}\n  actual {actual:?} (error {error:?}, reason {:?})",
                out.reason
            ));
        }
        self.record(t, &out);
        let mut violations: Vec<Violation> = self.checker.observe(step, at, &event, &out);
        violations.extend(
            self.checker
                .internal(step, self.server.provider().inconsistency()),
        );
        if let Some(allowed) = &self.allowed {
            for v in violations
                .iter()
                .filter(|v| !allowed.contains(&v.invariant))
            {
                problems.push(format!("forbidden violation {}: {}", v.invariant, v.detail));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(format!(
            "step {step} at {}: {t:?}\n  event {event:?}\n  output {} {:?} {:?}\n  {}",
            model.now,
            out.status,
            out.header("location"),
            out.body,
            problems.join("\n  ")
        ))
    }

    /// Keep the real values a successful step produced.
    fn record(&mut self, t: &Transition, out: &Output) {
        match (t, out.status) {
            (Transition::Register(_), 201) => {
                if let Some(id) = json_str(out, "client_id") {
                    let secret = json_str(out, "client_secret");
                    self.clients.push(RealClient { id, secret });
                }
            }
            (Transition::Authorize(_), 302) => {
                let code = out
                    .header("location")
                    .and_then(|l| l.split('#').next()?.split_once('?').map(|(_, q)| q))
                    .map(query_pairs)
                    .and_then(|q| q.into_iter().find(|(k, _)| k == "code").map(|(_, v)| v));
                if let Some(c) = code {
                    self.codes.push(c);
                }
            }
            (Transition::Exchange(_) | Transition::Refresh(_), 200) => {
                if let (Some(a), Some(r)) = (
                    json_str(out, "access_token"),
                    json_str(out, "refresh_token"),
                ) {
                    self.pairs.push((a, r));
                }
            }
            _ => {}
        }
    }

    /// Client-authentication form fields and `Authorization` header.
    fn credentials(
        &self,
        model: &Model,
        client: ClientRef,
        auth: Auth,
        secret_field: bool,
    ) -> (Vec<(String, String)>, Option<String>) {
        let ClientRef::Known(n) = client else {
            return (vec![pair("client_id", FORGED_CLIENT)], None);
        };
        let (Some(real), Some(info)) = (self.clients.get(n), model.clients.get(n)) else {
            return (vec![pair("client_id", FORGED_CLIENT)], None);
        };
        let secret = real.secret.clone().unwrap_or_default();
        let presented = match auth {
            Auth::Proper => Some(secret.as_str()),
            Auth::WrongSecret => Some(WRONG_SECRET),
            Auth::NoSecret => None,
        };
        let mut form = vec![pair("client_id", &real.id)];
        let mut header = None;
        match info.method {
            Method::Post => {
                if let Some(s) = presented {
                    form.push(pair("client_secret", s));
                }
            }
            Method::Basic => {
                header = presented.map(|s| basic(&real.id, s));
                if secret_field {
                    form.push(pair("client_secret", "unused"));
                }
            }
            Method::Public => {
                if secret_field {
                    form.push(pair("client_secret", "unused"));
                }
            }
        }
        (form, header)
    }

    fn token_text(&self, t: &TokenRef) -> String {
        match *t {
            TokenRef::Access(p) => self.pairs.get(p).map(|x| x.0.clone()),
            TokenRef::Refresh(p) => self.pairs.get(p).map(|x| x.1.clone()),
            TokenRef::ForgedAccess => Some(self.forged_access.clone()),
            TokenRef::Garbage => Some("garbage-token".to_owned()),
        }
        .unwrap_or_default()
    }

    /// The concrete request behind `t`, or `None` for a clock move.
    fn event(&self, model: &Model, t: &Transition) -> Option<Event> {
        Some(match t {
            Transition::Register(r) => {
                let mut body = serde_json::json!({
                    "redirect_uris": r.redirects.uris(),
                    "token_endpoint_auth_method": r.method.as_str(),
                });
                match r.scope {
                    RegScope::Absent => {}
                    RegScope::Empty => body["scope"] = "".into(),
                    RegScope::Of(s) => body["scope"] = s.as_str().into(),
                }
                match r.grants {
                    Grants::Default => {}
                    Grants::CodeOnly => {
                        body["grant_types"] = serde_json::json!(["authorization_code"])
                    }
                    Grants::RefreshOnly => {
                        body["grant_types"] = serde_json::json!(["refresh_token"])
                    }
                }
                Event::Register(RegisterRequest {
                    body: body.to_string(),
                })
            }
            Transition::Authorize(a) => {
                let client = match a.client {
                    ClientRef::Known(n) => self.clients.get(n).map(|c| c.id.clone()),
                    ClientRef::Forged => None,
                }
                .unwrap_or_else(|| FORGED_CLIENT.to_owned());
                let response_type = if a.response_type_code {
                    "code"
                } else {
                    "token"
                };
                let challenge = match a.challenge {
                    Challenge::Of(v) => s256(&v.text()),
                    Challenge::Malformed => "malformed".to_owned(),
                };
                let mut params = vec![
                    pair("response_type", response_type),
                    pair("client_id", &client),
                ];
                if let Some(uri) = a.redirect.uri() {
                    params.push(pair("redirect_uri", uri));
                }
                params.push(pair("code_challenge", &challenge));
                match a.method {
                    ChallengeMethod::S256 => params.push(pair("code_challenge_method", "S256")),
                    ChallengeMethod::Absent => {}
                    ChallengeMethod::Plain => params.push(pair("code_challenge_method", "plain")),
                }
                if let Some(s) = a.scope {
                    params.push(pair("scope", s.as_str()));
                }
                params.push(pair("state", "st"));
                Event::Authorize(AuthorizeRequest {
                    method: AuthorizeMethod::Get,
                    params: Params(params),
                })
            }
            Transition::Exchange(e) => {
                let (code, sent) = match e.code {
                    CodeRef::Issued(n) => (
                        self.codes.get(n).cloned().unwrap_or_default(),
                        model.codes.get(n).and_then(|c| c.redirect_sent),
                    ),
                    CodeRef::Forged => (self.forged_code.clone(), None),
                };
                let redirect = match e.redirect {
                    TokenRedirect::Same => sent,
                    TokenRedirect::Omit => None,
                    TokenRedirect::Cb => Some(super::CB),
                    TokenRedirect::Evil => Some(super::EVIL),
                };
                let mut form = vec![
                    pair("grant_type", "authorization_code"),
                    pair("code", &code),
                ];
                if let Some(r) = redirect {
                    form.push(pair("redirect_uri", r));
                }
                form.push(pair("code_verifier", &e.verifier.text()));
                let (auth, authorization) = self.credentials(model, e.client, e.auth, false);
                form.extend(auth);
                Event::Token(TokenRequest {
                    form: Params(form),
                    authorization,
                })
            }
            Transition::Refresh(r) => {
                let token = match r.pair {
                    Some(p) => self.token_text(&TokenRef::Refresh(p)),
                    None => self.forged_refresh.clone(),
                };
                let mut form = vec![
                    pair("grant_type", "refresh_token"),
                    pair("refresh_token", &token),
                ];
                match r.scope {
                    RefreshScope::Absent => {}
                    RefreshScope::Empty => form.push(pair("scope", "")),
                    RefreshScope::Of(s) => form.push(pair("scope", s.as_str())),
                }
                let (auth, authorization) = self.credentials(model, r.client, r.auth, false);
                form.extend(auth);
                Event::Token(TokenRequest {
                    form: Params(form),
                    authorization,
                })
            }
            Transition::UnknownGrant(c, auth) => {
                let mut form = vec![pair("grant_type", "password")];
                let (fields, authorization) = self.credentials(model, *c, *auth, false);
                form.extend(fields);
                Event::Token(TokenRequest {
                    form: Params(form),
                    authorization,
                })
            }
            Transition::Revoke(r) => {
                let mut form = vec![pair("token", &self.token_text(&r.token))];
                match r.hint {
                    Hint::Absent => {}
                    Hint::Access => form.push(pair("token_type_hint", "access_token")),
                    Hint::Refresh => form.push(pair("token_type_hint", "refresh_token")),
                    Hint::Unknown => form.push(pair("token_type_hint", "id_token")),
                }
                let (auth, authorization) =
                    self.credentials(model, r.client, r.auth, r.secret_field);
                form.extend(auth);
                Event::Revoke(RevokeRequest {
                    form: Params(form),
                    authorization,
                })
            }
            Transition::Resource(t) => Event::Resource(ResourceRequest {
                authorization: t
                    .iter()
                    .map(|t| format!("Bearer {}", self.token_text(t)))
                    .collect(),
            }),
            Transition::Sleep(_) | Transition::Jump(..) => return None,
        })
    }
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

/// The pairs of a query or form string, decoded (`+` as a space, percent escapes), blank values
/// kept: what Python's `parse_qsl(.., keep_blank_values=True)` gives for the model's own redirects.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
