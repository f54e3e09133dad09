//! The rules, per endpoint: what each observed step must satisfy given the ledger.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value;

use super::InvariantId;
use super::audience::{Audience, resources};
use super::ledger::{Cause, Checker, ClientFacts, CodeFacts, rt_lifetime_stated};
use crate::ErrorCode;
use crate::answer::{NOTE_HEADER, Name, PRE_REGISTERED_NOTE, ResourceAnswer, resource_answer};
use crate::compat::pyurl::{QueryPairs, unquote};
use crate::compat::url_model::any_url;
use crate::endpoint::redirect::{exact_match, refused_at_registration};
use crate::endpoint::token::s256_challenge;
use crate::endpoint::validate::{first_repeated, is_pkce_syntax};
use crate::event::Params;
use crate::output::Output;

impl Checker {
    /// The `error` member of the JSON answer being judged, as a known code.
    fn error_code(&mut self, o: &Output) -> Option<ErrorCode> {
        self.body(o).error.as_deref().and_then(ErrorCode::from_wire)
    }

    /// The `error` member of the JSON answer being judged.
    fn error_of(&mut self, o: &Output) -> Option<String> {
        self.body(o).error.clone()
    }
}

/// An authorization response's redirect: its target (the `Location` with its query and fragment
/// split off) and its response parameters, the query's and the fragment's. A parameter is read
/// by name when asked for, the fragment's before the query's.
///
/// With `response_mode=fragment` (OAuth 2.0 Multiple Response Type Encoding Practices §2.1) the
/// response parameters are in the fragment of the redirect URI, `state` and `iss` included:
/// [RFC 9207 §2](https://www.rfc-editor.org/rfc/rfc9207#section-2), "In authorization responses
/// to the client, including error responses, an authorization server supporting this
/// specification MUST indicate its identity by including the iss parameter in the response."
struct Redirect<'a> {
    base: &'a str,
    query: QueryPairs<'a>,
    fragment: QueryPairs<'a>,
}

impl<'a> Redirect<'a> {
    /// The redirect of `o`, if it has a `Location`.
    fn of(o: &'a Output) -> Option<Self> {
        let loc = o.header("location")?;
        let (no_frag, fragment) = loc.split_once('#').unwrap_or((loc, ""));
        let (base, query) = no_frag.split_once('?').unwrap_or((no_frag, ""));
        Some(Self {
            base,
            query: QueryPairs::new(query),
            fragment: QueryPairs::new(fragment),
        })
    }

    /// The parameter `name`: the fragment's last, else the query's last.
    fn get(&self, name: &str) -> Option<String> {
        self.fragment.last(name).or_else(|| self.query.last(name))
    }

    /// How many times the parameter `name` is sent, in the query and the fragment together.
    fn count(&self, name: &str) -> usize {
        self.query.count(name) + self.fragment.count(name)
    }
}

/// Whether a request to the token or revocation endpoint names its client both in an
/// `Authorization` header and in the form (`client_id` or `client_secret`). RFC 6749 §5.2 lets the server refuse it as
/// `invalid_request`, "The request is missing a required parameter, includes an unsupported
/// parameter value (other than grant type), repeats a parameter, includes multiple credentials,
/// utilizes more than one mechanism for authenticating the client, or is otherwise malformed",
/// before it looks at anything else: Cloudflare's workers-oauth-provider 1.2.3 answers a form
/// `client_id` beside `Basic` so ("Client must not use multiple authentication methods"),
/// where FastMCP requires that `client_id`.
fn credentials_twice(form: &Params, authorization: Option<&str>) -> bool {
    authorization.is_some() && (form.contains("client_id") || form.contains("client_secret"))
}

/// Whether `requested` differs from `registered` only by its port and names a loopback IP
/// literal (`127.0.0.1` or `[::1]`): the only redirect URIs whose port must be free.
///
/// [RFC 8252 §7.3](https://www.rfc-editor.org/rfc/rfc8252#section-7.3), repeated in OAuth 2.1
/// §8.4.2: "The authorization server MUST allow any port to be specified at the time of the
/// request for loopback IP redirect URIs". The same section (OAuth 2.1 §8.4.2; RFC 8252 §8.3)
/// sets `localhost` apart: "While redirect URIs using the name `localhost` (i.e.,
/// `http://localhost:{port}/{path}`) function similarly to loopback IP redirects, the use of
/// `localhost` is NOT RECOMMENDED." A server that holds `localhost` to its registered port breaks
/// no MUST.
fn loopback_ip_port_variant(registered: &str, requested: &str) -> bool {
    let host = requested.strip_prefix("http://").map(|rest| {
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        match authority.find(']') {
            Some(close) if authority.starts_with('[') => &authority[..=close],
            _ => authority.split(':').next().unwrap_or(authority),
        }
    });
    matches!(host, Some("127.0.0.1" | "[::1]"))
        && registered != requested
        && exact_match(registered, requested)
}

/// Whether a `WWW-Authenticate` value is a challenge of the `Bearer` scheme, whatever its case
/// ([RFC 9110 §11.1](https://www.rfc-editor.org/rfc/rfc9110#section-11.1)).
fn is_bearer_challenge(challenge: &str) -> bool {
    let scheme = challenge
        .trim_start()
        .split([' ', ','])
        .next()
        .unwrap_or("");
    scheme.eq_ignore_ascii_case("bearer")
}

/// The client a token or revocation request names: the form's `client_id`, else the one of its
/// `Authorization: Basic` header ([RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1):
/// the header alone identifies a `client_secret_basic` client); `""` when neither does. An
/// empty `client_id` names no client ([RFC 6749 §3.1](https://www.rfc-editor.org/rfc/rfc6749#section-3.1):
/// "Parameters sent without a value MUST be treated as if they were omitted from the request").
fn client_of(form: &Params, authorization: Option<&str>) -> String {
    match form.get("client_id").filter(|id| !id.is_empty()) {
        Some(id) => id.to_owned(),
        None => basic_credentials(authorization)
            .map(|(id, _)| id)
            .unwrap_or_default(),
    }
}

/// The client id and secret of an `Authorization: Basic` header, each form-urlencoded first
/// ([RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1)), if it is one.
fn basic_credentials(authorization: Option<&str>) -> Option<(String, String)> {
    authorization
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.split_once(':').map(|(i, p)| (unquote(i), unquote(p))))
}

/// Whether a redirect `Location` (its query and fragment split off) names a registered redirect
/// URI: exactly (loopback ports aside), after undoing the percent-encoding the server applied to
/// write the `Location` header, or after URL normalisation.
///
/// A `Location` is a URI reference
/// ([RFC 9110 §10.2.2](https://www.rfc-editor.org/rfc/rfc9110#section-10.2.2)), so a server must
/// percent-encode what a registered URI may hold but a header may not (`"`, `^`, spaces, non-ASCII,
/// in any scheme, `data:` included); Starlette quotes every such byte. Percent-decoding both sides
/// before comparing undoes that quoting and nothing else the comparison relies on. The two are
/// combined: a registered `Http://h/c^` comes back as `http://h/c%5E` (the scheme normalised, as
/// [RFC 3986 §6.2.2.1](https://www.rfc-editor.org/rfc/rfc3986#section-6.2.2.1) allows, and the `^`,
/// which no URI may hold, quoted), so the normalised forms are compared after decoding too.
fn same_uri(registered: &str, other: &str) -> bool {
    // The Location's query and fragment were split off before comparing (the server re-encodes
    // the registered URI's query when it adds its own parameters); so are the registered one's.
    let registered = registered.split('#').next().unwrap_or(registered);
    let registered = registered.split('?').next().unwrap_or(registered);
    exact_match(registered, other)
        || exact_match(&unquote(registered), &unquote(other))
        || matches!(
            (any_url(registered, false), any_url(other, false)),
            (Ok(a), Ok(b)) if a == b || unquote(&a) == unquote(&b)
        )
}

impl Checker {
    pub(super) fn on_as_metadata(&mut self, o: &Output) {
        if o.status != 200 {
            return;
        }
        let body = self.body(o);
        let issuer = body.issuer.clone().unwrap_or_default();
        let expected = self.exp.issuer.clone();
        self.check(InvariantId::IssuerIdentity, issuer == expected, || {
            format!("issuer {issuer:?}, expected {expected:?}")
        });
        let methods = match &body.token_endpoint_auth_methods_supported {
            Some(m) => m.iter().flatten().cloned().collect(),
            None => vec!["client_secret_basic".to_owned()],
        };
        self.advertised_auth_methods = Some(methods);
    }

    pub(super) fn on_register(&mut self, body: &str, o: &Output) {
        if o.status != 201 {
            return;
        }
        let req: Value = serde_json::from_str(body).unwrap_or_default();
        let resp = self.body(o);
        // A registration answered by a pre-registered client (`audit --client`) was never sent:
        // the client is learned, the server's registration is not judged.
        let pre_registered = o.header(NOTE_HEADER) == Some(PRE_REGISTERED_NOTE);
        let uris: Vec<String> = req
            .get("redirect_uris")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let secret = resp.client_secret.clone();
        // The answer's method, when it has the member at all; else the request's.
        let method = if resp.has(Name::AuthMethod) {
            resp.token_endpoint_auth_method.clone()
        } else {
            req.get("token_endpoint_auth_method")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }
        .unwrap_or_else(|| "client_secret_basic".to_owned());
        let id = resp.client_id.clone();
        let scope = resp
            .scope
            .as_deref()
            .map(|s| s.split(' ').map(str::to_owned).collect());
        let native = method == "none" && resp.application_type.as_deref() != Some("web");
        let method_named = req.get("token_endpoint_auth_method").is_some();
        if pre_registered {
            if let Some(id) = id {
                let facts = ClientFacts {
                    method,
                    secret,
                    redirect_uris: uris,
                    scope,
                    native,
                    method_named: true,
                };
                self.clients.insert(id, Arc::new(facts));
            }
            return;
        }
        let refused = uris
            .iter()
            .find(|u| refused_at_registration(u).is_some())
            .cloned();
        self.check(
            InvariantId::RegistrationRedirectPolicy,
            refused.is_none(),
            || format!("registered redirect URI {:?}", refused.unwrap_or_default()),
        );
        if secret.is_some() {
            let no_store = o
                .header("cache-control")
                .is_some_and(|c| c.contains("no-store"));
            self.check(InvariantId::RegistrationNoStore, no_store, || {
                "201 with a client_secret and no Cache-Control: no-store".into()
            });
            let states_expiry = resp.has(Name::ClientSecretExpiresAt);
            self.check(InvariantId::SecretExpiryPresent, states_expiry, || {
                "client_secret without client_secret_expires_at".into()
            });
        }
        if method == "none" {
            self.check(
                InvariantId::PublicClientsGetNoSecret,
                secret.is_none(),
                || "a public client got a client_secret".into(),
            );
        }
        let Some(id) = id else {
            return;
        };
        self.fresh_value("client id", &id);
        if let Some(s) = &secret {
            self.fresh_value("client secret", s);
        }
        self.clients.insert(
            id,
            Arc::new(ClientFacts {
                method,
                secret,
                redirect_uris: uris,
                scope,
                native,
                method_named,
            }),
        );
    }

    pub(super) fn on_authorize(&mut self, params: &Params, o: &Output) {
        let client_id = params.get("client_id").unwrap_or_default().to_owned();
        let client = self.clients.get(&client_id).cloned();
        let redirect = params.get("redirect_uri").map(str::to_owned);
        let state = params.get("state").map(str::to_owned);
        // RFC 6749 §1.7: "While the examples in this specification show the use of the HTTP 302
        // status code, any other method available via the user-agent to accomplish this
        // redirection is allowed": 303 See Other (node-oidc-provider's) redirects as 302 does.
        if o.status == 0 {
            // No answer (a live user agent stopped at a login page): nothing to check.
            return;
        }
        let document_named = self.documents.get(&client_id).copied();
        if !matches!(o.status, 302 | 303) {
            if document_named == Some(false) {
                self.check(InvariantId::ClientDocumentIdIsUrl, true, String::new);
            }
            self.loopback_refusal(params, client.as_deref());
            return;
        }
        let Some(redirect_to) = Redirect::of(o) else {
            return;
        };
        let base = redirect_to.base;
        let registered = client
            .as_ref()
            .map(|c| c.redirect_uris.clone())
            .unwrap_or_default();
        let validated = registered.iter().any(|r| same_uri(r, base));
        self.check(InvariantId::NoRedirectToUnvalidatedUri, validated, || {
            format!("redirected to {base:?}, not registered for {client_id:?}")
        });
        // RFC 6749 §4.1.2: state is "REQUIRED if the "state" parameter was present in the client
        // authorization request. The exact value received from the client." A request that
        // repeats state has no one value to echo (§3.1: "Request and response parameters MUST
        // NOT be included more than once"), and is refused.
        let state_repeated = params.0.iter().filter(|(k, _)| k == "state").count() > 1;
        if !state_repeated {
            let echoed = redirect_to.get("state");
            self.check(InvariantId::StateEchoed, echoed == state, || {
                format!("state {echoed:?} for request state {state:?}")
            });
        }
        let iss = redirect_to.get("iss");
        let issuer = self.exp.issuer.clone();
        // RFC 9207 §2: "an authorization server supporting this specification MUST indicate its
        // identity by including the iss parameter in the response"; one that does not advertise
        // `authorization_response_iss_parameter_supported` (§3: omitted = false) owes none
        // (OAuth 2.1 §4.1.2: iss is OPTIONAL). An iss that is sent must be the issuer.
        if iss.is_some() || self.exp.iss_parameter_supported {
            self.check(
                InvariantId::IssInAuthorizationResponse,
                iss.as_deref() == Some(issuer.as_str()),
                || format!("iss {iss:?}, expected {issuer:?}"),
            );
        }
        if redirect_to.get("error").as_deref() == Some(ErrorCode::InvalidTarget.as_str()) {
            let audience = Audience {
                grant: resources(params).into(),
                request: Vec::new(),
            };
            self.resource_refused(&audience);
        }
        // RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
        // A redirect naming `code` twice (a `state` pasted in unencoded: `state-echoed` judges
        // that) does not say which code was issued, so none is taken for issued.
        if redirect_to.count("code") > 1 {
            return;
        }
        let Some(code) = redirect_to.get("code") else {
            if document_named == Some(false) {
                self.check(InvariantId::ClientDocumentIdIsUrl, true, String::new);
            }
            return;
        };
        if let Some(named) = document_named {
            self.check(InvariantId::ClientDocumentIdIsUrl, named, || {
                format!(
                    "code issued to {client_id:?}, whose metadata document names another client_id"
                )
            });
        }
        // A new authorization of the same client may end its earlier grants: no RFC forbids a
        // server to revoke them, and Cloudflare's workers-oauth-provider 1.2.3 revokes every
        // earlier grant of the same user and client, with its tokens, when it issues the code
        // (docs/cloudflare-behaviour.md §4.4). At such a server, whether the client's earlier
        // tokens live is then unknowable.
        if self.exp.reauthorization_may_revoke {
            self.may_have_revoked(&client_id);
        }
        let repeated = first_repeated(params).map(str::to_owned);
        self.check(
            InvariantId::RepeatedParametersRefused,
            repeated.is_none(),
            || format!("code issued with parameter {repeated:?} repeated"),
        );
        if let (Some(r), Some(c)) = (&redirect, &client)
            && c.native
            && c.redirect_uris
                .iter()
                .any(|reg| loopback_ip_port_variant(reg, r))
        {
            self.check(InvariantId::LoopbackAnyPort, true, String::new);
        }
        let exact = match &redirect {
            Some(r) => registered.iter().any(|reg| exact_match(reg, r)),
            None => registered.len() == 1,
        };
        self.check(InvariantId::RedirectExactMatch, exact, || {
            format!("code issued for redirect_uri {redirect:?}, registered {registered:?}")
        });
        let challenge = params.get("code_challenge").map(str::to_owned);
        let method = params.get("code_challenge_method").map(str::to_owned);
        // OAuth 2.1 (draft-ietf-oauth-v2-1-08, "Countermeasures" to code injection): using and
        // enforcing code_challenge "is REQUIRED for clients, and authorization servers MUST
        // enforce their use, unless ... The client is a confidential client", for which it is
        // "still RECOMMENDED". A code issued to a confidential client without a challenge is no
        // violation (Authlib's `CodeChallenge(required=True)` does exactly that).
        if client.as_ref().is_some_and(|c| c.method == "none") {
            self.check(InvariantId::PkceRequired, challenge.is_some(), || {
                "code issued to a public client without code_challenge".into()
            });
        }
        self.check(
            InvariantId::PkcePlainRefused,
            method.as_deref() != Some("plain"),
            || "code issued for method plain".into(),
        );
        // RFC 7636 §4.3: code_challenge_method "defaults to "plain" if not present in the
        // request"; §4.4.1: "If the server supporting PKCE does not support the requested
        // transformation, the authorization endpoint MUST return the authorization error
        // response with "error" value set to "invalid_request"." Judged only for a request that
        // carries a challenge (without one there is no PKCE, which confidential clients may
        // skip), at a server known not to support plain.
        if challenge.is_some() && self.exp.pkce_plain_supported == Some(false) {
            self.check(
                InvariantId::PkceAbsentMethodIsPlain,
                method.is_some(),
                || "code issued without code_challenge_method (plain, not supported)".into(),
            );
        }
        if let Some(c) = &challenge {
            self.check(InvariantId::PkceChallengeSyntax, is_pkce_syntax(c), || {
                format!("code issued for challenge {c:?}")
            });
        }
        self.fresh_value("code", &code);
        let facts = CodeFacts {
            client: client_id,
            redirect,
            challenge,
            method,
            issued_at: self.now,
            grant: None,
            resources: resources(params).into(),
        };
        self.codes.insert(code, Arc::new(facts));
    }

    /// `loopback-any-port`: a valid request whose redirect URI differs from a registered loopback
    /// IP one only by its port must not be refused ([`loopback_ip_port_variant`]).
    fn loopback_refusal(&mut self, params: &Params, client: Option<&ClientFacts>) {
        let (Some(c), Some(r)) = (client, params.get("redirect_uri")) else {
            return;
        };
        // OAuth 2.1 §4.1.1: "The only exception is native apps using a localhost URI: In this
        // case, the authorization server MUST allow variable port numbers"; §8.1.1: native apps
        // "are classified as public clients". A confidential client's loopback redirect URI is
        // matched exactly (Authlib refuses another port for one), and so is a public client the
        // server registered as a web application (node-oidc-provider answers
        // `"application_type": "web"`).
        if !c.native {
            return;
        }
        let port_variant = c
            .redirect_uris
            .iter()
            .any(|reg| loopback_ip_port_variant(reg, r));
        let otherwise_valid = params.get("response_type") == Some("code")
            && params.get("code_challenge").is_some_and(is_pkce_syntax)
            && params.get("code_challenge_method") == Some("S256")
            && first_repeated(params).is_none()
            && params.get("scope").is_none_or(|s| {
                c.scope
                    .as_ref()
                    .is_some_and(|allowed| s.split(' ').all(|x| allowed.iter().any(|a| a == x)))
            });
        if port_variant && otherwise_valid {
            self.check(InvariantId::LoopbackAnyPort, false, || {
                format!("loopback redirect {r:?} refused for another port")
            });
        } else if port_variant {
            self.check(InvariantId::LoopbackAnyPort, true, String::new);
        }
    }

    /// Whether the request carries `client`'s exact credentials by its registered method. A
    /// client named by the `Authorization` header alone (no form `client_id`) authenticates by
    /// that header alone: only as a `client_secret_basic` client (RFC 6749 §2.3: "The client
    /// MUST NOT use more than one authentication method in each request").
    ///
    /// Two answers, the header decoded once: `(may, strict)`. `may`: whether the server may take
    /// the credentials, where a rule says what it must refuse or where a refusal teaches what it
    /// revoked: a client whose registration named no method is bound to none of the secret
    /// methods (RFC 7591 §2: the method is the one the client requests), so its exact secret by
    /// either authenticates it. `strict`: by the registered method, for the rules that say what
    /// a server must serve (a server may keep to that method).
    fn authenticates(
        &self,
        form: &Params,
        authorization: Option<&str>,
        client: &ClientFacts,
        id: &str,
    ) -> (bool, bool) {
        let basic = basic_credentials(authorization);
        let basic_ok = client
            .secret
            .as_ref()
            .is_some_and(|secret| basic.as_ref().is_some_and(|(i, p)| i == id && p == secret));
        let by_header_alone =
            authorization.is_some() && form.get("client_id").is_none_or(str::is_empty);
        let judge = |may: bool| {
            let any_secret = may
                && !client.method_named
                && matches!(
                    client.method.as_str(),
                    "client_secret_basic" | "client_secret_post"
                );
            if by_header_alone {
                return (client.method == "client_secret_basic" || any_secret) && basic_ok;
            }
            match (client.method.as_str(), &client.secret) {
                ("none", _) | (_, None) => true,
                (_, Some(secret)) if any_secret => {
                    basic_ok || form.get("client_secret") == Some(secret.as_str())
                }
                ("client_secret_basic", Some(_)) => basic_ok,
                (_, Some(secret)) => form.get("client_secret") == Some(secret.as_str()),
            }
        };
        (judge(true), judge(false))
    }

    pub(super) fn on_token(&mut self, form: &Params, authorization: Option<&str>, o: &Output) {
        let client_id = client_of(form, authorization);
        let client = self.clients.get(&client_id).cloned();
        let (auth_ok, auth_strict) = client.as_ref().map_or((false, false), |c| {
            self.authenticates(form, authorization, c, &client_id)
        });
        let grant_type = form.get("grant_type").unwrap_or_default().to_owned();
        if o.status == 200 {
            let no_store = o
                .header("cache-control")
                .is_some_and(|c| c.contains("no-store"));
            self.check(InvariantId::TokenResponseNoStore, no_store, || {
                "token response without Cache-Control: no-store".into()
            });
            let repeated = first_repeated(form).map(str::to_owned);
            self.check(
                InvariantId::RepeatedParametersRefused,
                repeated.is_none(),
                || format!("tokens issued with parameter {repeated:?} repeated"),
            );
            self.check(InvariantId::ClientAuthentication, auth_ok, || {
                format!("tokens issued to {client_id:?} without its credentials")
            });
            if let (Some(c), Some(adv)) = (&client, &self.advertised_auth_methods)
                && c.method == "none"
            {
                let listed = adv.iter().any(|m| m == "none");
                self.check(InvariantId::MetadataTruthfulAuthMethods, listed, || {
                    "public client served, 'none' not advertised".into()
                });
            }
        } else {
            self.token_error_rules(form, authorization, o, &grant_type);
        }
        match grant_type.as_str() {
            "authorization_code" => {
                self.code_grant(form, authorization, o, &client_id, auth_ok);
            }
            "refresh_token" => self.refresh_grant(form, o, &client_id, auth_ok, auth_strict),
            _ => {}
        }
    }

    fn token_error_rules(
        &mut self,
        form: &Params,
        authorization: Option<&str>,
        o: &Output,
        grant_type: &str,
    ) {
        let error = self.error_of(o).unwrap_or_default();
        let code = ErrorCode::from_wire(&error);
        let status = o.status;
        let status_ok = if code == Some(ErrorCode::InvalidClient) {
            status == 400 || status == 401
        } else {
            status == 400
        };
        self.check(InvariantId::TokenErrorStatus, status_ok, || {
            format!("{error} answered with HTTP {status}")
        });
        if status == 401 && code == Some(ErrorCode::InvalidClient) && authorization.is_some() {
            let challenged = o.header("www-authenticate").is_some();
            self.check(InvariantId::InvalidClientChallenge, challenged, || {
                "401 invalid_client without WWW-Authenticate".into()
            });
        }
        let known = [
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
        ];
        // A request that also carries its client's credentials twice may be refused for that
        // first (RFC 6749 §5.2, below).
        if form.get("grant_type").is_some()
            && first_repeated(form).is_none()
            && !known.contains(&grant_type)
            && code != Some(ErrorCode::InvalidClient)
            && !(code == Some(ErrorCode::InvalidRequest) && credentials_twice(form, authorization))
        {
            self.check(
                InvariantId::UnsupportedGrantTypeError,
                code == Some(ErrorCode::UnsupportedGrantType),
                || format!("grant_type {grant_type:?} answered {error}"),
            );
        }
    }

    fn code_grant(
        &mut self,
        form: &Params,
        authorization: Option<&str>,
        o: &Output,
        client_id: &str,
        auth_ok: bool,
    ) {
        let code = form.get("code").unwrap_or_default();
        let Some(facts) = self.codes.get(code).cloned() else {
            return;
        };
        let verifier = form.get("code_verifier").unwrap_or_default();
        let pkce_ok = match (facts.method.as_deref(), &facts.challenge) {
            (Some("plain"), Some(c)) => verifier == c,
            (_, Some(c)) => s256_challenge(verifier) == *c,
            (_, None) => true,
        };
        let redirect = form.get("redirect_uri").map(str::to_owned);
        // RFC 6749 §4.1.3: redirect_uri is "REQUIRED, if the "redirect_uri" parameter was
        // included in the authorization request as described in Section 4.1.1, and their values
        // MUST be identical." Without one at /authorize, nothing binds the code to a redirect URI.
        let redirect_mismatch = facts.redirect.is_some() && redirect != facts.redirect;
        let audience = Audience {
            grant: facts.resources.clone(),
            request: resources(form),
        };
        if o.status != 200 {
            let error = self.error_of(o).unwrap_or_default();
            let code = ErrorCode::from_wire(&error);
            if code == Some(ErrorCode::InvalidTarget) {
                self.resource_refused(&audience);
            }
            let live = facts.grant.is_none() && self.code_live(&facts);
            let well_formed = first_repeated(form).is_none()
                && redirect
                    .as_deref()
                    .is_none_or(|r| any_url(r, false).is_ok());
            // RFC 6749 §5.2: invalid_request is for a request that "is missing a required
            // parameter, includes an unsupported parameter value (other than grant type), repeats
            // a parameter, [...] or is otherwise malformed"; invalid_grant for a grant that
            // "does not match the redirection URI used in the authorization request". A request
            // missing its redirect_uri or code_verifier, or whose code_verifier is not RFC 7636
            // §4.1 syntax, is both, and a server may check either first.
            let malformed = redirect.is_none()
                || !form.get("code_verifier").is_some_and(is_pkce_syntax)
                || credentials_twice(form, authorization);
            if live
                && well_formed
                && facts.client == client_id
                && redirect_mismatch
                && code != Some(ErrorCode::InvalidClient)
            {
                self.check(
                    InvariantId::RedirectMismatchIsInvalidGrant,
                    code == Some(ErrorCode::InvalidGrant)
                        || (malformed && code == Some(ErrorCode::InvalidRequest)),
                    || format!("redirect_uri mismatch answered {error}"),
                );
            }
            if facts.grant.is_some() && facts.client == client_id && auth_ok {
                // RFC 6749 §4.1.2 asks a server to revoke on any code "used more than once":
                // the client's tokens may be gone whatever the code's age, and whatever the
                // verifier (Cloudflare revokes before it looks at PKCE).
                self.may_have_revoked(client_id);
            }
            if let Some(g) = facts.grant
                && facts.client == client_id
                && auth_ok
                && pkce_ok
                && !redirect_mismatch
                && code != Some(ErrorCode::InvalidRequest)
                && code != Some(ErrorCode::InvalidTarget)
                && self.code_live(&facts)
            {
                // OAuth 2.1 §4.1.3: "If a second valid token request is made with the same
                // authorization code as a previously successful token request, the
                // authorization server MUST deny the request and SHOULD revoke (when possible)
                // all access tokens and refresh tokens previously issued based on that
                // authorization code." A replay of an expired code is no valid request
                // (node-oidc-provider refuses it as expired and revokes nothing), nor is one
                // refused as malformed or for its redirect_uri (node-oidc-provider: 400
                // invalid_request "missing required parameter 'redirect_uri'"), nor one refused
                // for its resource (RFC 8707 §2: invalid_target, which the cloudflare and oauth21
                // profiles answer before they look at the code).
                self.grants[g].get_or_insert(Cause::CodeReplayed);
            }
            return;
        }
        self.check(InvariantId::CodeSingleUse, facts.grant.is_none(), || {
            "a used code yielded tokens again".into()
        });
        self.check(
            InvariantId::CodeClientBinding,
            facts.client == client_id,
            || format!("code of {:?} redeemed by {client_id:?}", facts.client),
        );
        let issued = facts.issued_at;
        let now = self.now;
        self.check(InvariantId::CodeExpires, !self.code_expired(&facts), || {
            format!("code redeemed {} ms after it was issued", now - issued)
        });
        self.check(InvariantId::PkceVerified, pkce_ok, || {
            "tokens issued for a wrong code_verifier".into()
        });
        self.check(
            InvariantId::PkceVerifierSyntax,
            is_pkce_syntax(verifier),
            || format!("tokens issued for verifier {verifier:?}"),
        );
        self.check(
            InvariantId::RedirectUriBoundToCode,
            !redirect_mismatch,
            || {
                format!(
                    "redirect_uri {redirect:?} at /token, {:?} at /authorize",
                    facts.redirect
                )
            },
        );
        if let Some(g) = facts.grant {
            self.grants[g].get_or_insert(Cause::CodeReplayed);
        }
        let grant = self.new_grant();
        if let Some(c) = self.codes.get_mut(code) {
            Arc::make_mut(c).grant = Some(grant);
        }
        self.record_pair(client_id, grant, audience, o);
    }

    fn refresh_grant(
        &mut self,
        form: &Params,
        o: &Output,
        client_id: &str,
        auth_ok: bool,
        auth_strict: bool,
    ) {
        let presented = form.get("refresh_token").unwrap_or_default().to_owned();
        let Some(rt) = self.refresh.get(&presented).cloned() else {
            return;
        };
        // A refresh token is "bound to the full original grant" (RFC 8707 §2.2).
        let audience = Audience {
            grant: rt.audience.grant.clone(),
            request: resources(form),
        };
        if o.status != 200 {
            let code = self.error_code(o);
            if code == Some(ErrorCode::InvalidTarget) {
                self.resource_refused(&audience);
            }
            let scope_ok = form
                .get("scope")
                .filter(|s| !s.is_empty())
                .is_none_or(|s| s.split(' ').all(|x| rt.scopes.iter().any(|y| y == x)));
            // RFC 9700 §4.14.2: a rotated refresh token presented again "will inform the
            // authorization server of the breach". A request refused for another reason than
            // the token (node-oidc-provider answers a scope the token never had with
            // invalid_scope before it looks at the token's rotation) may never have reached
            // that check; a refusal of the grant (invalid_grant) did.
            if rt.client == client_id && auth_ok && rt.dead == Some(Cause::Rotated) {
                if code == Some(ErrorCode::InvalidGrant) {
                    self.grants[rt.grant].get_or_insert(Cause::RefreshReused);
                } else {
                    // It may have (the oauth21 model does): nothing of the client's is known
                    // live any more.
                    self.may_have_revoked(client_id);
                }
            }
            let believed_live = rt.dead.is_none()
                && self.grants[rt.grant].is_none()
                && !self.refresh_maybe_expired(&rt)
                && !rt.uncertain;
            if code == Some(ErrorCode::InvalidGrant)
                && believed_live
                && rt.client == client_id
                && auth_strict
                && scope_ok
            {
                match rt.partner_presented_expired {
                    Some(true) => self.check(InvariantId::RevocationOwnerOnly, false, || "another client destroyed this refresh token by presenting its expired access token".into()),
                    Some(false) => self.check(InvariantId::ExpiredAccessKeepsRefresh, false, || "the refresh token died when its expired access token was presented".into()),
                    None if rt.foreign_revoke => self.check(InvariantId::RevocationOwnerOnly, false, || "the refresh token died after a revocation request by someone other than its owner".into()),
                    None => {}
                }
            }
            return;
        }
        match rt.partner_presented_expired {
            Some(true) => self.check(InvariantId::RevocationOwnerOnly, true, String::new),
            Some(false) => self.check(InvariantId::ExpiredAccessKeepsRefresh, true, String::new),
            None if rt.foreign_revoke && rt.client == client_id => {
                self.check(InvariantId::RevocationOwnerOnly, true, String::new)
            }
            None => {}
        }
        self.check(
            InvariantId::RefreshClientBinding,
            rt.client == client_id,
            || format!("refresh token of {:?} used by {client_id:?}", rt.client),
        );
        self.check(
            InvariantId::RefreshRotatedDead,
            rt.dead != Some(Cause::Rotated),
            || "a rotated refresh token worked again".into(),
        );
        if rt.dead == Some(Cause::Rotated) {
            self.grace_seen(rt.grant, &presented);
        }
        self.dead_token_rules(rt.dead, rt.grant, "refresh token");
        let expired = self.refresh_expired(&rt);
        self.check(InvariantId::ExpiredRefreshDead, !expired, || {
            "an expired refresh token worked".into()
        });
        // RFC 9700 §4.14.2 (OAuth 2.1 §4.3.3 alike): "Refresh tokens SHOULD expire if the client
        // has been inactive for some time, i.e., the refresh token has not been used to obtain
        // fresh access tokens for some time. The expiration time is at the discretion of the
        // authorization server." No one answer shows whether they do: the rule is judged only
        // when the lifetime is known (configured) or a token response stated one
        // (`refresh_token_expires_in`), and is otherwise not evaluated.
        if rt_lifetime_stated(&self.body(o)) {
            self.refresh_lifetime_stated = true;
        }
        if self.exp.refresh_lifetime_known || self.refresh_lifetime_stated {
            let finite = self.exp.lifetimes.refresh.is_some() || self.refresh_lifetime_stated;
            self.check(InvariantId::RefreshExpires, finite, || {
                "refresh tokens are issued without a lifetime".into()
            });
        }
        let granted: Vec<String> = self
            .body(o)
            .scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let widened = granted.iter().find(|s| !rt.scopes.contains(s)).cloned();
        self.check(
            InvariantId::RefreshScopeNoWidening,
            widened.is_none(),
            || format!("refresh granted scope {widened:?} beyond {:?}", rt.scopes),
        );
        self.kill_pair(rt.partner.clone(), Some(presented), Cause::Rotated);
        self.record_pair(client_id, rt.grant, audience, o);
        // RFC 6749 §6: "If a new refresh token is issued, the refresh token scope MUST be
        // identical to that of the refresh token included by the client in the request." The
        // response's `scope` is the new access token's (narrowed when the request asked for
        // less); the new refresh token keeps the presented one's. node-oidc-provider does so,
        // and a later refresh without `scope` rightly gets the whole original scope back.
        if let Some(new) = &self.body(o).refresh_token
            && let Some(f) = self.refresh.get_mut(new)
        {
            f.scopes = rt.scopes.clone();
        }
    }

    /// The rules about tokens the ledger knows to be dead (revoked, or their grant revoked).
    fn dead_token_rules(&mut self, dead: Option<Cause>, grant: usize, what: &str) {
        self.check(
            InvariantId::RevokedStaysDead,
            dead != Some(Cause::Revoked),
            || format!("a revoked {what} worked"),
        );
        self.check(
            InvariantId::RevocationCascades,
            dead != Some(Cause::PartnerRevoked),
            || format!("a {what} whose partner was revoked worked"),
        );
        let g = self.grants.get(grant).copied().flatten();
        self.check(
            InvariantId::CodeReplayRevokesTokens,
            g != Some(Cause::CodeReplayed),
            || format!("a {what} issued from a replayed code still works"),
        );
        self.check(
            InvariantId::RefreshReuseRevokesFamily,
            g != Some(Cause::RefreshReused),
            || format!("a {what} of a family whose rotated refresh token was reused still works"),
        );
    }

    pub(super) fn on_revoke(&mut self, form: &Params, authorization: Option<&str>, o: &Output) {
        let client_id = client_of(form, authorization);
        if let Some(t) = form.get("token") {
            self.mark_foreign_revoke(t, &client_id);
        }
        let Some(client) = self.clients.get(&client_id).cloned() else {
            return;
        };
        let (auth_ok, auth_strict) = self.authenticates(form, authorization, &client, &client_id);
        // RFC 7009 §2.1: "The authorization server first validates the client credentials (in
        // case of a confidential client) and then verifies whether the token was issued to the
        // client making the revocation request. If this validation fails, the request is refused
        // and the client is informed of the error". A confidential client without its valid
        // credentials is refused whatever token it names (§2.2's 200 comes after this step).
        if client.secret.is_some() && client.method != "none" && !auth_ok {
            let status = o.status;
            self.check(
                InvariantId::RevocationClientAuthenticated,
                !(200..300).contains(&status),
                || {
                    format!(
                        "{} client's revocation without its credentials answered {status}",
                        client.method
                    )
                },
            );
        }
        let error = self.error_of(o).unwrap_or_default();
        let invalid_client = ErrorCode::from_wire(&error) == Some(ErrorCode::InvalidClient);
        // RFC 6749 §5.2 (RFC 7009 §2.2.1 uses its error presentation): invalid_client is
        // "Client authentication failed". A 401 for a client that did authenticate (Authlib
        // answers a bogus token_type_hint with 401 unsupported_token_type) is no authentication
        // failure, and is judged by the hint rule below.
        if o.status == 401 && !auth_ok {
            self.check(InvariantId::RevocationAuthErrorCode, invalid_client, || {
                format!("client authentication failure answered {error}")
            });
        }
        // RFC 6749 §5.2, under invalid_client: "If the client attempted to authenticate via the
        // "Authorization" request header field, the authorization server MUST respond with an
        // HTTP 401 (Unauthorized) status code and include the "WWW-Authenticate" response header
        // field": the sentence is about invalid_client, as at the token endpoint.
        if o.status == 401 && invalid_client && authorization.is_some() {
            let challenged = o.header("www-authenticate").is_some();
            self.check(InvariantId::InvalidClientChallenge, challenged, || {
                "401 invalid_client at /revoke without WWW-Authenticate".into()
            });
        }
        let token = form.get("token").map(str::to_owned);
        let hint = form.get("token_type_hint");
        let hint_ok = matches!(hint, None | Some("access_token" | "refresh_token"));
        // RFC 7009 §2.1: "The authorization server first validates the client credentials (in
        // case of a confidential client) and then verifies whether the token was issued to the
        // client making the revocation request. If this validation fails, the request is refused
        // and the client is informed of the error by the authorization server as described
        // below." A token issued to another client may be refused with an error; §2.2's 200
        // ("if the client submitted an invalid token") is for tokens that were never issued.
        let issuer_of = |t: &str| {
            self.access
                .get(t)
                .or_else(|| self.refresh.get(t))
                .map(|f| f.client.clone())
        };
        let foreign = token
            .as_deref()
            .and_then(issuer_of)
            .is_some_and(|owner| owner != client_id);
        // A client named in `Basic` and in the form may be refused as invalid_request for that
        // first (RFC 6749 §5.2, [`credentials_twice`]): such an answer says nothing of the rules
        // below.
        let refused_as_twice = credentials_twice(form, authorization)
            && ErrorCode::from_wire(&error) == Some(ErrorCode::InvalidRequest);
        let well_formed = auth_strict
            && token.is_some()
            && first_repeated(form).is_none()
            && !foreign
            && !refused_as_twice;
        let unknown = token.as_deref().is_some_and(|t| issuer_of(t).is_none());
        // A request with an unknown token_type_hint is judged by the hint rule (RFC 7009 §2.2:
        // "An invalid token type hint value is ignored by the authorization server and does not
        // influence the revocation response"), whatever the client's authentication method.
        if well_formed && hint_ok && client.method != "client_secret_post" {
            self.check(
                InvariantId::RevocationPublicAndBasicClients,
                o.status == 200,
                || {
                    format!(
                        "{} client's revocation answered {}",
                        client.method, o.status
                    )
                },
            );
        } else if well_formed && !hint_ok {
            self.check(InvariantId::RevocationHintIgnored, o.status == 200, || {
                format!("unknown token_type_hint answered {}", o.status)
            });
        }
        // Whatever the client's authentication method; a public or Basic client's refusal is
        // the rule above's (FastMCP refuses them all, D-14), not this one's.
        if well_formed
            && hint_ok
            && unknown
            && (client.method == "client_secret_post" || o.status == 200)
        {
            self.check(
                InvariantId::RevocationUnknownToken200,
                o.status == 200,
                || format!("a token never issued answered {}", o.status),
            );
        }
        let Some(t) = token else { return };
        if let Some(a) = self.access.get(&t).cloned()
            && self.access_expired(&a)
            && let Some(r) = a.partner.as_ref().and_then(|p| self.refresh.get_mut(p))
        {
            r.partner_presented_expired
                .get_or_insert(a.client != client_id);
        }
        if o.status == 200 && auth_ok {
            let owner = self
                .access
                .get(&t)
                .or_else(|| self.refresh.get(&t))
                .map(|f| f.client.clone());
            let expired = match (self.access.get(&t), self.refresh.get(&t)) {
                (Some(a), _) => self.access_maybe_expired(a),
                (None, Some(r)) => self.refresh_expired(r),
                (None, None) => true,
            };
            let surely_expired = self.access.get(&t).is_some_and(|a| self.access_expired(a));
            if owner.as_deref() == Some(client_id.as_str()) && expired && !surely_expired {
                let partner = self.access.get(&t).and_then(|a| a.partner.clone());
                if let Some(r) = partner.and_then(|p| self.refresh.get_mut(&p)) {
                    r.uncertain = true;
                }
            }
            // RFC 7009 (abstract): "A revocation request will invalidate the actual token and,
            // if applicable, other tokens based on the same authorization grant." A refresh token
            // the ledger believes rotated away may still be the grant's (a grace of one,
            // Cloudflare): the grant's tokens may be gone.
            if owner.as_deref() == Some(client_id.as_str())
                && let Some(r) = self.refresh.get(&t)
                && r.dead == Some(Cause::Rotated)
            {
                let grant = r.grant;
                self.grant_uncertain(grant);
            }
            if owner.as_deref() == Some(client_id.as_str()) && !expired {
                let is_access = self.access.contains_key(&t);
                let (a, r) = if is_access {
                    (Some(t), None)
                } else {
                    (None, Some(t))
                };
                self.kill_pair(a, r, Cause::Revoked);
            }
        }
    }

    /// After a refused code replay or rotated-refresh-token reuse by `client`: RFC 6749 §4.1.2
    /// asks the server to revoke "all tokens previously issued based on that authorization
    /// code" (RFC 9700 §4.14.2 the active refresh token), and nothing stops it revoking more.
    /// node-oidc-provider revokes its whole grant, which spans every code the same user
    /// authorized for the same client. After a new code for `client` too: Cloudflare's
    /// workers-oauth-provider revokes the client's earlier grants then. Whether the client's
    /// other tokens still live is then unknowable, so the rules that read a token's death as
    /// someone's doing skip them.
    fn may_have_revoked(&mut self, client: &str) {
        for f in self.access.values_mut().chain(self.refresh.values_mut()) {
            if f.client == client && f.dead.is_none() {
                f.uncertain = true;
            }
        }
    }

    /// `revocation-owner-only`: mark token `t` and its partner when `requester` (a client id, or
    /// empty when the request names none) is not the client it was issued to.
    fn mark_foreign_revoke(&mut self, t: &str, requester: &str) {
        let (owner, partner, is_access) = match (self.access.get(t), self.refresh.get(t)) {
            (Some(a), _) => (a.client.clone(), a.partner.clone(), true),
            (None, Some(r)) => (r.client.clone(), r.partner.clone(), false),
            (None, None) => return,
        };
        if owner == requester {
            return;
        }
        let (own, other) = if is_access {
            (&mut self.access, &mut self.refresh)
        } else {
            (&mut self.refresh, &mut self.access)
        };
        if let Some(f) = own.get_mut(t) {
            f.foreign_revoke = true;
        }
        if let Some(f) = partner.and_then(|p| other.get_mut(&p)) {
            f.foreign_revoke = true;
        }
    }

    /// [RFC 7662 §2.1](https://www.rfc-editor.org/rfc/rfc7662#section-2.1): "To prevent token
    /// scanning attacks, the endpoint MUST also require some form of authorization to access
    /// this endpoint". An answer saying `"active": true` to a caller that did not authenticate
    /// breaks it; a refusal (400, 401, 403) or `"active": false` (which discloses nothing, and
    /// which §2.2 lets a server give for a token the caller may not see) keeps it. Any other
    /// answer (404, 5xx) says nothing.
    pub(super) fn on_introspect(&mut self, form: &Params, authorization: Option<&str>, o: &Output) {
        let Some(caller) = self.unauthenticated_introspection(form, authorization) else {
            return;
        };
        let active = self.body(o).active;
        let answered = (200..300).contains(&o.status) && active.is_some();
        if !answered && !matches!(o.status, 400 | 401 | 403) {
            return;
        }
        self.check(
            InvariantId::IntrospectionRequiresAuthentication,
            !(answered && active == Some(true)),
            || {
                format!(
                    "introspection told {caller} \"active\": true ({})",
                    o.status
                )
            },
        );
    }

    /// How an introspection request fails to authenticate: no credentials at all, a
    /// confidential client's id without its secret, or a wrong secret. `None` when it
    /// authenticates or cannot be judged: a public client's id alone (how a caller
    /// authenticates is "out of scope" of RFC 7662 §2.1), another scheme than Basic (a bearer
    /// token is "some form of authorization"), or a client the ledger does not know.
    fn unauthenticated_introspection(
        &self,
        form: &Params,
        authorization: Option<&str>,
    ) -> Option<String> {
        let secret_of = |id: &str| {
            self.clients
                .get(id)
                .filter(|c| c.method != "none")
                .and_then(|c| c.secret.clone())
        };
        let form_secret = form.get("client_secret");
        if authorization.is_some() {
            let (id, presented) = basic_credentials(authorization)?;
            let secret = secret_of(&id)?;
            let right = presented == secret || form_secret == Some(secret.as_str());
            return (!right).then(|| format!("a caller with a wrong secret for client {id:?}"));
        }
        let Some(id) = form.get("client_id") else {
            return form_secret
                .is_none()
                .then(|| "a caller without credentials".to_owned());
        };
        let secret = secret_of(id)?;
        match form_secret {
            Some(s) if s == secret => None,
            Some(_) => Some(format!("a caller with a wrong secret for client {id:?}")),
            None => Some(format!(
                "a caller naming confidential client {id:?} without its secret"
            )),
        }
    }

    pub(super) fn on_resource(&mut self, authorization: &[String], o: &Output) {
        let token = authorization
            .iter()
            .find(|h| h.len() >= 7 && h.as_bytes()[..7].eq_ignore_ascii_case(b"bearer "))
            .map(|h| h[7..].to_owned());
        let facts = token.as_ref().and_then(|t| self.access.get(t)).cloned();
        // Only a real acceptance (2xx) or rejection (401; 403 with a Bearer challenge) says
        // anything about the token: a 404 (no protected resource there) or a 5xx checks nothing.
        let accepted = match resource_answer(o) {
            ResourceAnswer::Accepted => true,
            ResourceAnswer::Rejected => false,
            ResourceAnswer::Unusable(_) => return,
        };
        if o.status == 401 {
            // RFC 9110 §11.1 (RFC 7235 §2.1 before it): HTTP authentication "uses a
            // case-insensitive token as a means to identify the authentication scheme":
            // Authlib's `bearer error="missing_authorization"` is a Bearer challenge.
            let bearer = o
                .header("www-authenticate")
                .is_some_and(is_bearer_challenge);
            self.check(InvariantId::BearerChallenge, bearer, || {
                "401 without a Bearer challenge".into()
            });
        }
        let Some(f) = facts else {
            self.check(InvariantId::UnknownTokenRejected, !accepted, || {
                "the resource accepted a token never issued".into()
            });
            return;
        };
        let expired = self.access_expired(&f);
        if expired
            && !accepted
            && let Some(r) = f.partner.as_ref().and_then(|p| self.refresh.get_mut(p))
        {
            r.partner_presented_expired.get_or_insert(false);
        }
        // A token the ledger believes live, refused as invalid (401; a 403 is a live token
        // lacking scope) after someone other than its owner asked to revoke it or its partner:
        // that request destroyed it (RFC 7009 §2.1).
        let believed_live = f.dead.is_none()
            && self.grants.get(f.grant).copied().flatten().is_none()
            && !self.access_maybe_expired(&f)
            && !f.uncertain;
        // Only a request carrying this one token says the token died: with several
        // `Authorization` headers the server may refuse the request itself (RFC 6750 §2: "Clients
        // MUST NOT use more than one method to transmit the token in each request"; the `step`
        // fuzz target found this false FAIL, fuzz/regressions/step).
        let single = authorization.len() == 1;
        if single && let Some(own) = self.own_resource.clone() {
            self.audience_rules(&f.audience, &own, accepted);
        }
        if f.foreign_revoke && believed_live && single && (accepted || o.status == 401) {
            self.check(InvariantId::RevocationOwnerOnly, accepted, || {
                "the access token died after a revocation request by someone other than its owner"
                    .into()
            });
        }
        if !accepted {
            return;
        }
        self.check(InvariantId::ExpiredAccessRejected, !expired, || {
            "an expired access token was accepted".into()
        });
        self.dead_token_rules(f.dead, f.grant, "access token");
        let missing = self
            .exp
            .required_scopes
            .iter()
            .find(|s| !f.scopes.contains(s))
            .cloned();
        self.check(InvariantId::InsufficientScope403, missing.is_none(), || {
            format!("accepted without required scope {missing:?}")
        });
    }
}

#[cfg(test)]
mod challenge_tests {
    use super::is_bearer_challenge;

    /// Authlib 1.9's answer to a resource request without a token:
    /// `WWW-Authenticate: bearer error="missing_authorization", ...` (lower case) is a Bearer
    /// challenge (RFC 9110 §11.1: the scheme is a case-insensitive token).
    #[test]
    fn the_bearer_scheme_is_matched_whatever_its_case() {
        assert!(is_bearer_challenge(
            "bearer error=\"missing_authorization\", error_description=\"Missing \\\"Authorization\\\" in headers.\""
        ));
        assert!(is_bearer_challenge("Bearer"));
        assert!(is_bearer_challenge("BEARER realm=\"x\""));
        assert!(!is_bearer_challenge("Basic realm=\"x\""));
        assert!(!is_bearer_challenge("Bearerish x"));
        assert!(!is_bearer_challenge(""));
    }
}
