//! The requests of [`super::fuzz_step`]: valid-shaped ones built from the values the server has
//! issued so far (client ids and secrets, codes, tokens), mixed with garbage strings, repeated
//! and missing parameters, clock moves onto expiry boundaries, and trace events whose value
//! expressions are resolved against the outputs so far (how the golden traces seed it).

use base64::Engine as _;
use serde_json::{Map, Value};

use super::ByteSource;
use super::reference::driver::s256;
use super::reference::{CB, CB_OTHER_PORT, CB2, EVIL, FORGED_CLIENT};
use crate::config::{Config, Lifetimes};
use crate::event::{
    AuthorizeMethod, AuthorizeRequest, BodyFault, Event, Params, RegisterRequest, ResourceRequest,
    RevokeRequest, TokenRequest, UnroutedRequest,
};
use crate::output::Output;
use crate::trace::{EventExpr, Field, Resolver};

/// Op byte of a trace event (`u32` time delta, `u16` length, JSON event); see [`super::seeds`].
pub(super) const OP_TRACE_EVENT: u8 = 10;
const OPS: u8 = 12;

const REDIRECTS: &[&str] = &[
    CB,
    CB2,
    CB_OTHER_PORT,
    EVIL,
    "http://localhost:9999/cb/",
    "HTTP://LOCALHOST:9999/cb",
    "http://127.0.0.1:9999/cb",
    "http://[::1]:9999/cb",
    "https://app.example/cb",
    "myapp://cb",
    "javascript:alert(1)",
    "data:text/html,x",
    "http://evil.example/cb#frag",
    "not a url",
];
const SCOPES: &[&str] = &[
    "read",
    "write",
    "read write",
    "write read",
    "admin",
    "",
    "read  write",
    "read read",
];

/// The fuzzed client's memory: what the server issued, and the clock. `Debug` redacts the
/// secrets, codes, tokens and verifiers.
pub(super) struct Flow {
    now: u64,
    lifetimes: Lifetimes,
    ids: Vec<String>,
    secrets: Vec<String>,
    codes: Vec<(String, u64)>,
    pairs: Vec<(String, String, u64)>,
    verifiers: Vec<String>,
}

impl std::fmt::Debug for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::secret::{Redacted, RedactedList};
        // Every field named: a new one does not compile until its `Debug` is decided.
        let Self {
            now,
            lifetimes,
            ids,
            secrets,
            codes,
            pairs,
            verifiers,
        } = self;
        let codes: Vec<(Redacted<'_>, u64)> =
            codes.iter().map(|(c, at)| (Redacted(c), *at)).collect();
        let pairs: Vec<(Redacted<'_>, Redacted<'_>, u64)> = pairs
            .iter()
            .map(|(a, r, at)| (Redacted(a), Redacted(r), *at))
            .collect();
        f.debug_struct("Flow")
            .field("now", now)
            .field("lifetimes", lifetimes)
            .field("ids", ids)
            .field("secrets", &RedactedList(secrets))
            .field("codes", &codes)
            .field("pairs", &pairs)
            .field("verifiers", &RedactedList(verifiers))
            .finish()
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A garbage string: up to 255 bytes, read lossily as UTF-8.
fn garbage(b: &mut ByteSource<'_>) -> String {
    String::from_utf8_lossy(b.short_bytes()).into_owned()
}

/// Mostly one of `valid` (sometimes edited), else garbage.
fn text(b: &mut ByteSource<'_>, valid: &[String]) -> String {
    let mode = b.u8() % 16;
    if valid.is_empty() || mode >= 13 {
        return garbage(b);
    }
    let v = valid[b.below(valid.len())].clone();
    match (mode, b.u8() % 3) {
        (12, 0) => {
            let keep = b.below(v.chars().count() + 1);
            v.chars().take(keep).collect()
        }
        (12, 1) => v + &garbage(b),
        (12, _) => v.to_uppercase(),
        _ => v,
    }
}

/// Parameters from `(name, candidates)`: each mostly present, sometimes repeated, sometimes an
/// extra garbage one.
fn params(b: &mut ByteSource<'_>, fields: &[(&str, Vec<String>)]) -> Params {
    let mut out = Vec::new();
    for (name, values) in fields {
        let mode = b.u8() % 16;
        if mode == 0 {
            continue;
        }
        out.push(((*name).to_owned(), text(b, values)));
        if mode == 1 {
            out.push(((*name).to_owned(), text(b, values)));
        }
        if mode == 2 {
            out.push((garbage(b), garbage(b)));
        }
    }
    Params(out)
}

fn basic(id: &str, secret: &str) -> String {
    let raw = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

impl Flow {
    /// A client of a server configured with `config`, starting at `now`.
    pub(super) fn new(config: &Config, now: u64) -> Self {
        let verifiers = vec![
            format!("fuzz-verifier-{}", "a".repeat(40)),
            format!("fuzz-verifier-{}", "b".repeat(40)),
            "short".to_owned(),
            "v".repeat(128),
            "v".repeat(129),
        ];
        Self {
            now,
            lifetimes: config.lifetimes.clone(),
            ids: vec![FORGED_CLIENT.to_owned(), String::new()],
            secrets: Vec::new(),
            codes: Vec::new(),
            pairs: Vec::new(),
            verifiers,
        }
    }

    /// The clock.
    pub(super) fn now(&self) -> u64 {
        self.now
    }

    /// Remember what a step issued.
    pub(super) fn learn(&mut self, event: &Event, out: &Output) {
        match event {
            Event::Register(_) => {
                self.ids.extend(Field::ClientId.extract(out));
                self.secrets.extend(Field::ClientSecret.extract(out));
            }
            Event::Authorize(_) => {
                if let Some(c) = Field::Code.extract(out) {
                    self.codes.push((c, self.now));
                }
            }
            Event::Token(_) => {
                if let (Some(a), Some(r)) = (
                    Field::AccessToken.extract(out),
                    Field::RefreshToken.extract(out),
                ) {
                    self.pairs.push((a, r, self.now));
                }
            }
            Event::AuthorizationServerMetadata
            | Event::ProtectedResourceMetadata
            | Event::Revoke(_)
            | Event::Introspect(_)
            | Event::Resource(_)
            | Event::Unrouted(_)
            | Event::Control(_)
            | Event::ClientDocument(_) => {}
        }
    }

    /// The next request, or `None` when the op only moved the clock (or its event was invalid).
    pub(super) fn next_event(
        &mut self,
        b: &mut ByteSource<'_>,
        outputs: &[Output],
    ) -> Option<Event> {
        Some(match b.u8() % OPS {
            0 => self.register(b),
            1 | 2 => self.authorize(b),
            3 | 4 => self.token(b),
            5 => self.revoke(b),
            6 | 7 => self.resource(b),
            8 if b.u8().is_multiple_of(2) => Event::AuthorizationServerMetadata,
            8 => Event::ProtectedResourceMetadata,
            9 => {
                self.clock(b);
                return None;
            }
            OP_TRACE_EVENT => {
                self.now = self.now.saturating_add(u64::from(b.u32()));
                let json = b.long_bytes();
                let event: EventExpr = serde_json::from_slice(json).ok()?;
                return Resolver::new().resolve_expr(event, outputs).ok();
            }
            _ => self.unrouted(b),
        })
    }

    fn clock(&mut self, b: &mut ByteSource<'_>) {
        let offset = |b: &mut ByteSource<'_>| b.below(3) as u64;
        let target = match b.u8() % 4 {
            0 => self.now + u64::from(b.u16()),
            1 => {
                let d = [1, 999, 1000, 1001, 60_000, 300_000, 3_600_000, 86_400_000];
                self.now + d[b.below(d.len())]
            }
            2 if !self.codes.is_empty() => {
                let issued = self.codes[b.below(self.codes.len())].1;
                issued + self.lifetimes.code * 1000 + offset(b) - 1
            }
            _ if !self.pairs.is_empty() => {
                let issued = self.pairs[b.below(self.pairs.len())].2;
                let life = match (b.u8() % 2, self.lifetimes.refresh) {
                    (0, Some(r)) => r,
                    _ => self.lifetimes.access,
                };
                (issued + life * 1000) / 1000 * 1000 + offset(b) - 1
            }
            _ => self.now + 1,
        };
        self.now = self.now.max(target);
    }

    fn register(&mut self, b: &mut ByteSource<'_>) -> Event {
        if b.u8().is_multiple_of(8) {
            return Event::Register(RegisterRequest { body: garbage(b) });
        }
        let mut body = Map::new();
        let mode = b.u8();
        if mode.is_multiple_of(16) {
            body.insert("redirect_uris".into(), Value::from(b.u8()));
        } else if mode % 16 != 1 {
            let uris: Vec<String> = (0..1 + b.below(2))
                .map(|_| text(b, &strings(REDIRECTS)))
                .collect();
            body.insert("redirect_uris".into(), Value::from(uris));
        }
        let methods = strings(&[
            "none",
            "client_secret_post",
            "client_secret_basic",
            "private_key_jwt",
        ]);
        let optional: [(&str, Vec<String>); 4] = [
            ("token_endpoint_auth_method", methods),
            ("scope", strings(SCOPES)),
            ("client_name", strings(&["fuzz"])),
            ("client_uri", strings(REDIRECTS)),
        ];
        for (name, values) in optional {
            if !b.u8().is_multiple_of(4) {
                body.insert(name.into(), Value::from(text(b, &values)));
            }
        }
        if b.u8().is_multiple_of(4) {
            let grants = strings(&[
                "authorization_code",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
            ]);
            let list: Vec<String> = (0..b.below(3)).map(|_| text(b, &grants)).collect();
            body.insert("grant_types".into(), Value::from(list));
        }
        if b.u8().is_multiple_of(8) {
            let list = vec![text(b, &strings(&["code", "token"]))];
            body.insert("response_types".into(), Value::from(list));
        }
        Event::Register(RegisterRequest {
            body: Value::Object(body).to_string(),
        })
    }

    fn challenges(&self) -> Vec<String> {
        let mut c: Vec<String> = self.verifiers.iter().map(|v| s256(v)).collect();
        c.push("plain-text-challenge".to_owned());
        c
    }

    fn authorize(&mut self, b: &mut ByteSource<'_>) -> Event {
        let fields = [
            ("response_type", strings(&["code", "token"])),
            ("client_id", self.ids.clone()),
            ("redirect_uri", strings(REDIRECTS)),
            ("code_challenge", self.challenges()),
            ("code_challenge_method", strings(&["S256", "plain"])),
            ("scope", strings(SCOPES)),
            ("state", strings(&["xyz"])),
        ];
        let method = if b.u8().is_multiple_of(4) {
            AuthorizeMethod::Post
        } else {
            AuthorizeMethod::Get
        };
        Event::Authorize(AuthorizeRequest {
            method,
            params: params(b, &fields),
        })
    }

    fn authorization(&self, b: &mut ByteSource<'_>) -> Option<String> {
        match b.u8() % 6 {
            0 | 1 => None,
            2 | 3 => Some(basic(&text(b, &self.ids), &text(b, &self.secrets))),
            4 => Some(format!("Basic {}", garbage(b))),
            _ => Some(garbage(b)),
        }
    }

    fn token(&mut self, b: &mut ByteSource<'_>) -> Event {
        let grants = strings(&[
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "password",
        ]);
        let codes: Vec<String> = self.codes.iter().map(|c| c.0.clone()).collect();
        let refresh: Vec<String> = self.pairs.iter().map(|p| p.1.clone()).collect();
        let fields = [
            ("grant_type", grants),
            ("code", codes),
            ("redirect_uri", strings(REDIRECTS)),
            ("code_verifier", self.verifiers.clone()),
            ("refresh_token", refresh),
            ("scope", strings(SCOPES)),
            ("client_id", self.ids.clone()),
            ("client_secret", self.secrets.clone()),
        ];
        let form = params(b, &fields);
        Event::Token(TokenRequest {
            form,
            authorization: self.authorization(b),
        })
    }

    fn tokens(&self) -> Vec<String> {
        self.pairs
            .iter()
            .flat_map(|p| [p.0.clone(), p.1.clone()])
            .collect()
    }

    fn revoke(&mut self, b: &mut ByteSource<'_>) -> Event {
        let fields = [
            ("token", self.tokens()),
            (
                "token_type_hint",
                strings(&["access_token", "refresh_token", "id_token"]),
            ),
            ("client_id", self.ids.clone()),
            ("client_secret", self.secrets.clone()),
        ];
        let form = params(b, &fields);
        Event::Revoke(RevokeRequest {
            form,
            authorization: self.authorization(b),
        })
    }

    fn resource(&mut self, b: &mut ByteSource<'_>) -> Event {
        let tokens = self.tokens();
        let authorization = (0..b.below(4))
            .map(|_| match b.u8() % 4 {
                0 | 1 => format!("Bearer {}", text(b, &tokens)),
                2 => format!("bearer {}", text(b, &tokens)),
                _ => garbage(b),
            })
            .collect();
        Event::Resource(ResourceRequest { authorization })
    }

    fn unrouted(&mut self, b: &mut ByteSource<'_>) -> Event {
        let methods = strings(&["GET", "POST", "PUT", "OPTIONS", "DELETE", "HEAD"]);
        let paths = strings(&["/", "/token/", "/authorize/", "/register", "/nope", "/mcp/"]);
        let faults = [
            None,
            Some(BodyFault::TooLarge),
            Some(BodyFault::Incomplete),
            Some(BodyFault::TooManyFields),
            Some(BodyFault::FieldTooLarge),
        ];
        let header_names = strings(&["host", "origin", "access-control-request-method"]);
        let headers = (0..b.below(3))
            .map(|_| (text(b, &header_names), garbage(b)))
            .collect();
        Event::Unrouted(UnroutedRequest {
            method: text(b, &methods),
            path: text(b, &paths),
            query: garbage(b),
            headers: Params(headers),
            body: faults[b.below(faults.len())],
        })
    }
}
