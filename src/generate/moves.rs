//! The moves a generated client makes: mostly valid flows, with targeted wrong moves.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{
    CodeInfo, DOCUMENT_URLS, FOREIGN_RESOURCE, Generator, Planned, REDIRECT, REDIRECT_IP, r,
    s256_challenge,
};
use crate::AuthorizeMethod;
use crate::compat::pyjson::CompactObject;
use crate::event::{
    AuthorizeRequest, ClientDocument, IntrospectRequest, Params, RegisterRequest, ResourceRequest,
    RevokeRequest, TokenRequest,
};
use crate::trace::{EventExpr, Field, ValueExpr};

/// Request parameters whose names and values may be expressions.
type Pairs = Vec<(ValueExpr, ValueExpr)>;

/// A parameter `(name, value)`.
fn p(name: &str, value: impl Into<ValueExpr>) -> (ValueExpr, ValueExpr) {
    (ValueExpr::from(name), value.into())
}

/// The id a client presents: its registration answer's `client_id`, or its document's URL.
fn client_id(info: &super::ClientInfo) -> ValueExpr {
    match &info.id {
        Some(url) => ValueExpr::from(&**url),
        None => r(info.step, Field::ClientId),
    }
}

/// Whether parameter `pair` is named `name`.
fn named(pair: &(ValueExpr, ValueExpr), name: &str) -> bool {
    matches!(&pair.0, ValueExpr::Lit(n) if n == name)
}

/// The credentials a generated client presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    /// Its own, by its registered method.
    Right,
    /// A wrong secret by its registered method.
    Wrong,
    /// Its `client_id` only: no secret, no `Authorization` header.
    Absent,
}

/// `state` values holding the characters that break a redirect built by string concatenation
/// (`&`, `=`, `%`, `#`, `+`, a space, a newline): a server must echo each exactly (RFC 6749
/// §4.1.2), so an injected parameter or a cut-off state shows in the decoded echo.
const RESERVED_STATES: [&str; 4] = [
    "a&code=injected",
    "x=1&y=2#frag",
    "100%25+%zz",
    "line\nbreak and space",
];

impl Generator {
    /// Choose the next event.
    pub(super) fn next_event(&mut self) -> EventExpr {
        if let Some(planned) = self.plan.take() {
            self.pending_client = planned.client;
            self.pending_refresh_of = planned.refresh_of;
            return planned.event;
        }
        let roll = self.below(100);
        if self.clients.is_empty() || roll < 10 {
            return self.register();
        }
        match roll {
            10..=31 => self.authorize(),
            32..=53 => self.exchange_code(),
            54..=65 => self.refresh(),
            66..=75 => self.revoke(),
            76..=90 => self.resource(),
            91..=94 => self.cross_client(),
            95..=97 => EventExpr::AuthorizationServerMetadata,
            _ if self.fit.introspection => self.introspect(),
            _ => EventExpr::ProtectedResourceMetadata,
        }
    }

    fn register(&mut self) -> EventExpr {
        let method = ["client_secret_post", "client_secret_basic", "none"][self.below(3)];
        let scope = match ["read write", "read", "write", ""][self.below(4)] {
            "" if self.fit.scope_required => "read",
            s => s,
        };
        let body = match self.below(20) {
            0 => {
                r#"{"redirect_uris":["http://localhost:9999/cb"],"scope":"read admin"}"#.to_owned()
            }
            1 => r#"{"scope":"read"}"#.to_owned(),
            2 => r#"{"redirect_uris":["http://localhost:9999/cb"],"#.to_owned(),
            3 => registration(REDIRECT, method, &["authorization_code"], Some(scope)),
            4 if self.fit.scope_required => registration(REDIRECT_IP, method, &[], Some(scope)),
            4 => registration(REDIRECT_IP, method, &[], None),
            5 => registration("javascript:alert(1)", "none", &[], None),
            6 => registration("http://evil.example/cb#frag", "none", &[], None),
            // A client ID metadata document instead of a registration, where the target takes
            // one: the one its URL names, or one naming another client_id.
            n @ (7 | 8)
                if self.fit.client_documents
                    && !self.fit.pre_registered
                    && (self.documents || !self.hosted.is_empty()) =>
            {
                return match self.hosted_document(n - 7) {
                    Some(event) => event,
                    None => self.client_document(DOCUMENT_URLS[n - 7], n == 8),
                };
            }
            _ if scope.is_empty() => registration(REDIRECT, method, &[], None),
            _ => registration(REDIRECT, method, &[], Some(scope)),
        };
        let body = match (self.fit.pre_registered, self.fit.grant_types_named) {
            (true, _) => registration(
                REDIRECT,
                method,
                &["authorization_code", "refresh_token"],
                Some("read write"),
            ),
            (false, true) => name_grant_types(body),
            (false, false) => body,
        };
        EventExpr::Register(RegisterRequest { body: body.into() })
    }

    /// The `i`-th (cyclically) of the documents the target fetches itself, if it was given any.
    fn hosted_document(&mut self, i: usize) -> Option<EventExpr> {
        let (url, body) = self.hosted.get(i % self.hosted.len().max(1))?.clone();
        let event = EventExpr::ClientDocument(ClientDocument {
            url: url.to_string(),
            status: 200,
            body,
        });
        self.pending_document = Some(url);
        Some(event)
    }

    /// The document at `url` as the server's fetch returns it (MCP authorization 2025-11-25,
    /// "Client ID Metadata Documents"): its own `client_id`, or, `mismatched`, the other URL's.
    fn client_document(&mut self, url: &'static str, mismatched: bool) -> EventExpr {
        let named = if mismatched { DOCUMENT_URLS[0] } else { url };
        let body = json!({"client_id": named, "client_name": "oauth-oracle document client",
            "redirect_uris": [REDIRECT], "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none"});
        self.pending_document = Some(Arc::from(url));
        EventExpr::ClientDocument(ClientDocument {
            url: url.to_owned(),
            status: 200,
            body: body.to_string(),
        })
    }

    /// Credentials with one draw: `wrong` percent a wrong secret, `absent` percent none.
    fn cred(&mut self, wrong: usize, absent: usize) -> Cred {
        match self.below(100) {
            n if n < wrong => Cred::Wrong,
            n if n < wrong + absent => Cred::Absent,
            _ => Cred::Right,
        }
    }

    /// Client authentication for client `c`: `(form pairs, authorization)`.
    fn auth(&mut self, c: usize, cred: Cred) -> (Pairs, Option<ValueExpr>) {
        let info = self.clients[c].clone();
        let id = client_id(&info);
        let secret = if cred == Cred::Wrong {
            ValueExpr::from("not-the-secret")
        } else {
            r(info.step, Field::ClientSecret)
        };
        match info.method {
            "none" => (vec![p("client_id", id)], None),
            _ if cred == Cred::Absent => (vec![p("client_id", id)], None),
            "client_secret_basic" if self.fit.basic_alone => {
                (Vec::new(), Some(ValueExpr::Basic(Box::new((id, secret)))))
            }
            "client_secret_basic" => (
                vec![p("client_id", id.clone())],
                Some(ValueExpr::Basic(Box::new((id, secret)))),
            ),
            _ => (vec![p("client_id", id), p("client_secret", secret)], None),
        }
    }

    fn authorize(&mut self) -> EventExpr {
        let c = self.below(self.clients.len());
        let info = self.clients[c].clone();
        // `verifier-{:016x}-{:016x}-{:08x}`, without the formatting machinery.
        let drawn = [self.rng_u64(), self.rng_u64(), self.below(1 << 30) as u64];
        let mut verifier = String::with_capacity(52);
        verifier.push_str("verifier");
        for (value, digits) in drawn.into_iter().zip([16, 16, 8]) {
            verifier.push('-');
            push_hex(&mut verifier, value, digits);
        }
        // Drawn whatever the fit (`|`, not `||`), so the fit changes no later draw.
        let mut redirect =
            (self.chance(70) | self.fit.redirect_uri_required).then(|| info.redirect.to_owned());
        let mut method = (self.chance(60) | self.fit.challenge_method_required).then_some("S256");
        let mut scope = None;
        // Drawn whatever the fit (`|`, not `||`), so the fit changes no later draw.
        if !info.scope.is_empty() && (self.chance(80) | self.fit.scope_required) {
            let n = 1 + self.below(info.scope.len());
            scope = Some(info.scope[..n].join(" "));
        }
        let mut state = self.chance(70).then(|| format!("st{}", self.below(1000)));
        let mut extra: Pairs = Vec::new();
        let mut client_id = client_id(&info);
        let mut response_type = "code";
        let mut issues_code = true;
        let mut challenge_override = None;
        let mut resource = None;
        match self.below(24) {
            // Wrong moves that never yield a code.
            0 => challenge_override = Some(None),
            1 => method = Some("plain"),
            2 => client_id = ValueExpr::from("no-such-client"),
            3 => scope = Some("admin".to_owned()),
            4 => response_type = "token",
            5 => redirect = Some("not a url".to_owned()),
            6 => redirect = Some("http://localhost:9999/other".to_owned()),
            // Moves whose outcome depends on the profile.
            7 => {
                redirect = Some(info.redirect.replacen(":9999", ":1234", 1));
                method = Some("S256");
            }
            8 => {
                redirect = Some(
                    info.redirect
                        .replacen("http://localhost", "HTTP://LOCALHOST", 1)
                        .replacen("http://", "HTTP://", 1),
                )
            }
            9 => challenge_override = Some(Some("abc".to_owned())),
            10 => verifier = "short".to_owned(),
            11 => {
                let s = state.take().unwrap_or_else(|| "first".to_owned());
                extra.push(p("state", s));
                state = Some("second".to_owned());
            }
            12 => state = Some(RESERVED_STATES[self.below(RESERVED_STATES.len())].to_owned()),
            // Resource indicators (RFC 8707 §2): this server's resource, another server's.
            13 => resource = Some(self.own_resource()),
            14 => resource = Some(FOREIGN_RESOURCE.to_owned()),
            _ => {}
        }
        if matches!(challenge_override, Some(None))
            || response_type != "code"
            || method == Some("plain")
        {
            issues_code = false;
        }
        let challenge = match challenge_override {
            Some(c) => c,
            None => Some(s256_challenge(&verifier)),
        };
        let mut params = vec![p("response_type", response_type), p("client_id", client_id)];
        if let Some(ch) = challenge {
            params.push(p("code_challenge", ch));
        }
        if let Some(r) = &redirect {
            params.push(p("redirect_uri", r.as_str()));
        }
        if let Some(m) = method {
            params.push(p("code_challenge_method", m));
        }
        if let Some(sc) = scope {
            params.push(p("scope", sc));
        }
        params.extend(extra);
        if let Some(st) = state {
            params.push(p("state", st));
        }
        if let Some(res) = &resource {
            params.push(p("resource", res.as_str()));
        }
        if issues_code {
            self.pending_code = Some(CodeInfo {
                step: 0,
                client: c,
                verifier,
                redirect,
                resource,
                issued: self.now,
            });
        }
        let post = self.chance(20);
        let http_method = if post && self.fit.authorize_post {
            AuthorizeMethod::Post
        } else {
            AuthorizeMethod::Get
        };
        EventExpr::Authorize(AuthorizeRequest {
            method: http_method,
            params: Params(params),
        })
    }

    fn exchange_code(&mut self) -> EventExpr {
        let Some(code) = self.pick_of(|g| &g.codes) else {
            return self.authorize();
        };
        let wrong_client = self.clients.len() > 1 && self.chance(15);
        let c = if wrong_client {
            self.below(self.clients.len())
        } else {
            code.client
        };
        let cred = self.cred(3, 2);
        let (mut form, authorization) = self.auth(c, cred);
        form.insert(0, p("grant_type", "authorization_code"));
        form.push(p("code", r(code.step, Field::Code)));
        let mut verifier = code.verifier.clone();
        let mut redirect = code.redirect.clone();
        let mut resource = code.resource.clone();
        let registered = self.clients[code.client].redirect;
        match self.below(16) {
            0 => verifier.push('x'),
            1 => {
                redirect = if redirect.is_some() {
                    None
                } else {
                    Some(registered.to_owned())
                }
            }
            2 => form.retain(|pair| !named(pair, "code")),
            3 => redirect = Some(format!("{registered}/")),
            4 => redirect = redirect.map(|_| registered.to_owned()),
            5 => form[0] = p("grant_type", "password"),
            // Another resource than the authorization's, or none (RFC 8707 §2.2).
            6 => resource = Some(FOREIGN_RESOURCE.to_owned()),
            7 => resource = None,
            _ => {}
        }
        if let Some(r) = redirect {
            form.push(p("redirect_uri", r));
        }
        if let Some(res) = resource {
            form.push(p("resource", res));
        }
        if !self.chance(3) {
            form.push(p("code_verifier", verifier));
        }
        self.pending_client = Some(c);
        EventExpr::Token(TokenRequest {
            form: Params(form),
            authorization,
        })
    }

    fn refresh(&mut self) -> EventExpr {
        if self.pairs.is_empty() {
            return self.exchange_code();
        }
        let i = self.below(self.pairs.len());
        let c = if self.clients.len() > 1 && self.chance(8) {
            self.below(self.clients.len())
        } else {
            self.pairs[i].client
        };
        let cred = self.cred(2, 1);
        self.refresh_as(i, c, cred)
    }

    /// A refresh with the refresh token of `pairs[i]` by client `c`.
    fn refresh_as(&mut self, i: usize, c: usize, cred: Cred) -> EventExpr {
        let pair = self.pairs[i].clone();
        let (mut form, authorization) = self.auth(c, cred);
        form.insert(0, p("grant_type", "refresh_token"));
        form.push(p("refresh_token", r(pair.step, Field::RefreshToken)));
        match self.below(6) {
            0 if !pair.scopes.is_empty() => form.push(p("scope", pair.scopes[0].as_str())),
            1 => form.push(p("scope", "read write")),
            2 => form.push(p("scope", "admin")),
            // Resource indicators on refresh (RFC 8707 §2.2): this server's, another server's.
            3 => form.push(p("resource", self.own_resource())),
            4 => form.push(p("resource", FOREIGN_RESOURCE)),
            _ => {}
        }
        self.pending_client = Some(c);
        self.pending_refresh_of = Some(i);
        EventExpr::Token(TokenRequest {
            form: Params(form),
            authorization,
        })
    }

    /// Plan the owner's refresh of `pairs[i]` (right credentials) as the next step.
    fn plan_owner_refresh(&mut self, i: usize) {
        let pending = (self.pending_client, self.pending_refresh_of);
        let owner = self.pairs[i].client;
        let event = self.refresh_as(i, owner, Cred::Right);
        self.plan = Some(Planned {
            event,
            client: self.pending_client,
            refresh_of: self.pending_refresh_of,
        });
        (self.pending_client, self.pending_refresh_of) = pending;
    }

    fn revoke(&mut self) -> EventExpr {
        if self.pairs.is_empty() {
            return self.resource();
        }
        let i = self.below(self.pairs.len());
        let pair = self.pairs[i].clone();
        let expired = self.access_expired(&pair);
        let c = if self.chance(if expired { 40 } else { 10 }) {
            self.below(self.clients.len())
        } else {
            pair.client
        };
        let cred = self.cred(4, 2);
        let (mut form, authorization) = self.auth(c, cred);
        let field = if self.chance(if expired { 80 } else { 50 }) {
            Field::AccessToken
        } else {
            Field::RefreshToken
        };
        let hint = self.below(5);
        if hint == 2 && !(expired && c != pair.client) {
            // A token never issued (RFC 7009 §2.2: answered 200).
            form.push(p("token", "never-issued-0123456789abcdef0123456789abcdef"));
        } else {
            form.push(p("token", r(pair.step, field)));
        }
        match hint {
            0 => form.push(p("token_type_hint", field.name())),
            1 => form.push(p("token_type_hint", "bogus")),
            _ => {}
        }
        if self.clients[c].method != "client_secret_post" && self.chance(70) {
            form.push(p("client_secret", ""));
        }
        if expired && c != pair.client {
            // Will the owner's refresh token survive a stranger presenting its expired access token?
            self.plan_owner_refresh(i);
        }
        EventExpr::Revoke(RevokeRequest {
            form: Params(form),
            authorization,
        })
    }

    fn access_expired(&self, pair: &super::PairInfo) -> bool {
        let access_ttl = self.trace.header.config.lifetimes.access;
        self.now > pair.issued.plus_seconds(access_ttl)
    }

    fn resource(&mut self) -> EventExpr {
        let i = (!self.pairs.is_empty()).then(|| self.below(self.pairs.len()));
        let pair = i.map(|i| self.pairs[i].clone());
        if let (Some(i), Some(p)) = (i, &pair)
            && self.access_expired(p)
            && self.chance(50)
        {
            // The usual client reaction to a 401: refresh.
            self.plan_owner_refresh(i);
        }
        let bearer = |scheme: &str, p: &super::PairInfo| {
            ValueExpr::Concat(vec![scheme.into(), r(p.step, Field::AccessToken)])
        };
        let header = match (pair, self.below(10)) {
            (_, 0) => vec![],
            (_, 1) => vec![ValueExpr::from("Bearer garbage")],
            (_, 2) => vec![ValueExpr::from("Basic Zm9vOmJhcg==")],
            (Some(p), 3) => vec![bearer("bearer ", &p)],
            (Some(p), _) => vec![bearer("Bearer ", &p)],
            (None, _) => vec![ValueExpr::from("Bearer test_access_token_00")],
        };
        EventExpr::Resource(ResourceRequest {
            authorization: header,
        })
    }

    /// A client other than `owner` (there are at least two).
    fn other_client(&mut self, owner: usize) -> usize {
        (owner + 1 + self.below(self.clients.len() - 1)) % self.clients.len()
    }

    /// A targeted wrong move: another client presents a value issued to one client — a code, an
    /// access token, a refresh token or a rotated-out refresh token — where a client-binding rule
    /// judges it (`code-client-binding`; `refresh-client-binding`; `revocation-owner-only` and
    /// `revocation-client-authenticated`, with right, wrong or no credentials, or naming no
    /// client at all); after a foreign revocation the owner uses the value's pair next, so that a
    /// token destroyed by it shows.
    fn cross_client(&mut self) -> EventExpr {
        if self.clients.len() < 2 {
            return self.register();
        }
        let kind = self.below(4);
        let candidates: Vec<usize> = (0..self.pairs.len())
            .filter(|&i| self.pairs[i].rotated == (kind == 3))
            .collect();
        let Some(i) = (kind != 0).then(|| self.pick(&candidates)).flatten() else {
            return self.foreign_code();
        };
        let owner = self.pairs[i].client;
        let other = self.other_client(owner);
        if kind >= 2 && self.chance(50) {
            let cred = self.cred(10, 10);
            let event = self.refresh_as(i, other, cred);
            self.plan_owner_refresh(i);
            return event;
        }
        let field = if kind == 1 {
            Field::AccessToken
        } else {
            Field::RefreshToken
        };
        let (mut form, authorization) = match self.below(10) {
            0 => (Vec::new(), None),
            1 | 2 => self.auth(other, Cred::Wrong),
            3 | 4 => self.auth(other, Cred::Absent),
            _ => self.auth(other, Cred::Right),
        };
        form.push(p("token", r(self.pairs[i].step, field)));
        if self.clients[other].method != "client_secret_post" && self.chance(70) {
            form.push(p("client_secret", ""));
        }
        if field == Field::AccessToken {
            let token = r(self.pairs[i].step, Field::AccessToken);
            self.plan = Some(Planned {
                event: EventExpr::Resource(ResourceRequest {
                    authorization: vec![ValueExpr::Concat(vec!["Bearer ".into(), token])],
                }),
                client: None,
                refresh_of: None,
            });
        } else {
            self.plan_owner_refresh(i);
        }
        EventExpr::Revoke(RevokeRequest {
            form: Params(form),
            authorization,
        })
    }

    /// A token the target issued, introspected by a caller that does not authenticate: with no
    /// credentials at all, with a confidential client's id and no secret, or with a wrong
    /// secret (`introspection-requires-authentication`; only where [`super::Fit::introspection`]).
    fn introspect(&mut self) -> EventExpr {
        if self.pairs.is_empty() {
            return EventExpr::ProtectedResourceMetadata;
        }
        let i = self.below(self.pairs.len());
        let pair = self.pairs[i].clone();
        let field = if self.chance(70) {
            Field::AccessToken
        } else {
            Field::RefreshToken
        };
        let confidential: Vec<usize> = (0..self.clients.len())
            .filter(|&c| self.clients[c].method != "none")
            .collect();
        let (mut form, authorization) = match (self.below(3), self.pick(&confidential)) {
            (0, _) | (_, None) => (Vec::new(), None),
            (1, Some(c)) => self.auth(c, Cred::Absent),
            (_, Some(c)) => self.auth(c, Cred::Wrong),
        };
        form.insert(0, p("token", r(pair.step, field)));
        EventExpr::Introspect(IntrospectRequest {
            form: Params(form),
            authorization,
        })
    }

    /// Another client exchanges a code with everything else right (`code-client-binding`).
    fn foreign_code(&mut self) -> EventExpr {
        let Some(code) = self.pick_of(|g| &g.codes) else {
            return self.authorize();
        };
        let c = self.other_client(code.client);
        let (mut form, authorization) = self.auth(c, Cred::Right);
        form.insert(0, p("grant_type", "authorization_code"));
        form.push(p("code", r(code.step, Field::Code)));
        if let Some(r) = code.redirect {
            form.push(p("redirect_uri", r));
        }
        form.push(p("code_verifier", code.verifier));
        self.pending_client = Some(c);
        EventExpr::Token(TokenRequest {
            form: Params(form),
            authorization,
        })
    }

    /// The protected resource of the server under test: the `resource` its tokens are for.
    fn own_resource(&self) -> String {
        self.resource.clone()
    }

    fn rng_u64(&mut self) -> u64 {
        use rand_core::RngCore as _;
        self.rng.next_u64()
    }
}

/// A registration body naming one redirect URI, the method, the grant types (unless none) and
/// the scope (when given), in that order, in serde_json's compact layout.
fn registration(redirect: &str, method: &str, grant_types: &[&str], scope: Option<&str>) -> String {
    let mut body = CompactObject::with_capacity(160);
    body.member_str_list("redirect_uris", &[redirect]);
    body.member_str("token_endpoint_auth_method", method);
    if !grant_types.is_empty() {
        body.member_str_list("grant_types", grant_types);
    }
    if let Some(scope) = scope {
        body.member_str("scope", scope);
    }
    body.finish()
}

/// `value`'s last `digits` hexadecimal digits (lower case, zero-padded) appended to `out`.
fn push_hex(out: &mut String, value: u64, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..digits).rev() {
        out.push(char::from(HEX[((value >> (4 * i)) & 0xf) as usize]));
    }
}

/// A registration body that names no `grant_types` (and has the redirect URIs of a usable
/// client), with `["authorization_code", "refresh_token"]` added ([`super::Fit::grant_types_named`]);
/// any other body as it is.
fn name_grant_types(body: String) -> String {
    match serde_json::from_str::<Value>(&body) {
        Ok(Value::Object(mut m))
            if !m.contains_key("grant_types") && m.contains_key("token_endpoint_auth_method") =>
        {
            m.insert(
                "grant_types".to_owned(),
                json!(["authorization_code", "refresh_token"]),
            );
            Value::Object(m).to_string()
        }
        _ => body,
    }
}

#[cfg(test)]
mod tests {
    use super::push_hex;

    #[test]
    fn push_hex_writes_what_format_writes() {
        for value in [0, 1, 0xabc, u64::MAX, 0x0123_4567_89ab_cdef, 1 << 29] {
            let mut out = String::new();
            push_hex(&mut out, value, 16);
            assert_eq!(out, format!("{value:016x}"));
            out.clear();
            push_hex(&mut out, value & 0xffff_ffff, 8);
            assert_eq!(out, format!("{:08x}", value & 0xffff_ffff));
        }
    }
}
