//! The probes: short scripted flows, each aimed at one knob of [`crate::Profile`].
//!
//! A probe is a list of events (trace value expressions refer to earlier steps, so the same
//! script runs against the live target and the model), the step whose answer decides the knob,
//! and how that answer is read ([`View`]). Every probe registers its own clients, so probes do
//! not share state on the server.

use serde_json::json;

use crate::endpoint::token::s256_challenge;
use crate::event::{
    AuthorizeMethod, AuthorizeRequest, Params, RegisterRequest, ResourceRequest, RevokeRequest,
    TokenRequest,
};
use crate::trace::{EventExpr, Field, ValueExpr};

mod policies;

/// The redirect URI probes register (a `localhost` loopback URI, as MCP clients use).
pub(crate) const REDIRECT: &str = "http://localhost:9999/cb";
/// A loopback IP literal redirect URI: the one whose port RFC 8252 §7.3 lets vary.
const REDIRECT_IP: &str = "http://127.0.0.1:9999/cb";
/// The PKCE verifier of every probe (43 unreserved characters, RFC 7636 §4.1).
const VERIFIER: &str = "oauth-oracle-fingerprint-verifier-0123456789";

/// How the answer of a decisive step is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    /// Success or refusal: a client registered, a code issued, tokens issued, a revocation
    /// answered 2xx, a bearer token accepted or rejected.
    Outcome,
    /// The HTTP status and the `error` code.
    StatusAndError,
    /// The `error` code only.
    Error,
    /// Whether `Cache-Control` says `no-store`.
    NoStore,
    /// Whether the redirect's `Location` carries `iss`.
    Iss,
    /// Whether the answer carries `WWW-Authenticate`.
    Challenge,
    /// Whether the metadata's `issuer` ends with `/`.
    IssuerSlash,
    /// Whether the metadata lists `none` in `token_endpoint_auth_methods_supported`.
    NoneAuthMethod,
    /// Whether the metadata says `client_id_metadata_document_supported: true`.
    DocumentsAdvertised,
    /// The `error_description` of a JSON error body, else the body.
    Description,
    /// The `grant_types` of a registration answer.
    GrantTypes,
}

/// The values a knob may take in a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Candidates {
    /// `true` and `false`.
    Bool,
    /// 400, 401, and the status the target answered.
    Status,
    /// The common client/grant error codes, and the code the target answered.
    ErrorCode,
    /// Every wire dialect ([`crate::Wire`]).
    Wire,
}

/// One probe.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    /// A short name, unique among probes (`code-replay`).
    pub(crate) name: &'static str,
    /// The knob it decides.
    pub(crate) knob: &'static str,
    /// What it does, for the report.
    pub(crate) what: &'static str,
    /// The knob's candidate values.
    pub(crate) candidates: Candidates,
    /// How the decisive step's answer is read.
    pub(crate) view: View,
    /// The events, each with the pause before it (ms).
    pub(crate) steps: Vec<(u64, EventExpr)>,
    /// The 0-based index of the decisive step.
    pub(crate) decisive: usize,
    /// Whether it waits for an access token to expire (run only with a short lifetime given).
    pub(crate) waits_for_expiry: bool,
}

/// Builds a probe's events; each push returns the 1-based step number of the event.
#[derive(Debug, Default)]
struct Script {
    steps: Vec<(u64, EventExpr)>,
}

/// A request parameter: name and value.
type Pair = (ValueExpr, ValueExpr);

/// The parameter `name` = `value`.
fn kv(name: &str, value: impl Into<ValueExpr>) -> Pair {
    (name.into(), value.into())
}

/// Whether `pair` is the parameter `name`.
fn is(pair: &Pair, name: &str) -> bool {
    pair.0 == ValueExpr::from(name)
}

/// A reference to `field` of step `step`.
fn r(step: usize, field: Field) -> ValueExpr {
    ValueExpr::of(step, field)
}

/// `POST /token` with `form` and `authorization`.
fn token(form: Vec<Pair>, authorization: Option<ValueExpr>) -> EventExpr {
    EventExpr::Token(TokenRequest {
        form: Params(form),
        authorization,
    })
}

/// A registered client: its step and authentication method.
#[derive(Debug, Clone, Copy)]
struct Client {
    step: usize,
    method: &'static str,
}

impl Script {
    fn push(&mut self, pause_ms: u64, event: EventExpr) -> usize {
        self.steps.push((pause_ms, event));
        self.steps.len()
    }

    fn register(&mut self, method: &'static str, redirect: &str) -> Client {
        let body = json!({"redirect_uris": [redirect], "token_endpoint_auth_method": method,
            "scope": "read write"});
        let step = self.push(
            0,
            EventExpr::Register(RegisterRequest {
                body: body.to_string().into(),
            }),
        );
        Client { step, method }
    }

    /// A confidential client whose registration names no authentication method (nor grant
    /// types): authenticated as a `client_secret_basic` one.
    fn register_unnamed(&mut self) -> Client {
        let body = json!({"redirect_uris": [REDIRECT], "scope": "read write"});
        let step = self.push(
            0,
            EventExpr::Register(RegisterRequest {
                body: body.to_string().into(),
            }),
        );
        Client {
            step,
            method: "client_secret_basic",
        }
    }

    /// Client authentication: form pairs and the `Authorization` value.
    fn auth(c: Client, secret: Option<&str>) -> (Vec<Pair>, Option<ValueExpr>) {
        let id = r(c.step, Field::ClientId);
        let secret = secret.map_or_else(|| r(c.step, Field::ClientSecret), ValueExpr::from);
        match c.method {
            "none" => (vec![kv("client_id", id)], None),
            "client_secret_basic" => (
                vec![kv("client_id", id.clone())],
                Some(ValueExpr::Basic(Box::new((id, secret)))),
            ),
            _ => (vec![kv("client_id", id), kv("client_secret", secret)], None),
        }
    }

    /// `GET /authorize` with an S256 challenge of [`VERIFIER`], `redirect`, a state, and
    /// `params` edited by `edit`.
    fn authorize_with(
        &mut self,
        c: Client,
        redirect: &str,
        edit: impl FnOnce(&mut Vec<Pair>),
    ) -> usize {
        let mut params = vec![
            kv("response_type", "code"),
            kv("client_id", r(c.step, Field::ClientId)),
            kv("code_challenge", s256_challenge(VERIFIER)),
            kv("redirect_uri", redirect),
            kv("code_challenge_method", "S256"),
            kv("scope", "read write"),
            kv("state", "fp-state"),
        ];
        edit(&mut params);
        self.push(
            0,
            EventExpr::Authorize(AuthorizeRequest {
                method: AuthorizeMethod::Get,
                params: Params(params),
            }),
        )
    }

    fn authorize(&mut self, c: Client) -> usize {
        self.authorize_with(c, REDIRECT, |_| {})
    }

    /// The code of step `code` exchanged by `c`, form edited by `edit`.
    fn exchange_with(
        &mut self,
        c: Client,
        code: usize,
        edit: impl FnOnce(&mut Vec<Pair>),
    ) -> usize {
        let (mut form, authorization) = Self::auth(c, None);
        form.insert(0, kv("grant_type", "authorization_code"));
        form.push(kv("code", r(code, Field::Code)));
        form.push(kv("redirect_uri", REDIRECT));
        form.push(kv("code_verifier", VERIFIER));
        edit(&mut form);
        self.push(0, token(form, authorization))
    }

    /// The code of step `code` exchanged by `c` with its id in the `Authorization` header
    /// alone (no form `client_id`).
    fn exchange_basic_alone(&mut self, c: Client, code: usize) -> usize {
        let (_, authorization) = Self::auth(c, None);
        let form = vec![
            kv("grant_type", "authorization_code"),
            kv("code", r(code, Field::Code)),
            kv("redirect_uri", REDIRECT),
            kv("code_verifier", VERIFIER),
        ];
        self.push(0, token(form, authorization))
    }

    fn exchange(&mut self, c: Client, code: usize) -> usize {
        self.exchange_with(c, code, |_| {})
    }

    /// A client, a code and its exchange: the step of the token answer.
    fn pair(&mut self, method: &'static str) -> (Client, usize) {
        let c = self.register(method, REDIRECT);
        let code = self.authorize(c);
        (c, self.exchange(c, code))
    }

    fn refresh(&mut self, c: Client, pair: usize) -> usize {
        let (mut form, authorization) = Self::auth(c, None);
        form.insert(0, kv("grant_type", "refresh_token"));
        form.push(kv("refresh_token", r(pair, Field::RefreshToken)));
        self.push(0, token(form, authorization))
    }

    fn revoke(&mut self, c: Client, pair: usize, secret: Option<&str>, extra: &[Pair]) -> usize {
        let (mut form, authorization) = Self::auth(c, secret);
        form.push(kv("token", r(pair, Field::AccessToken)));
        form.extend(extra.iter().cloned());
        self.push(
            0,
            EventExpr::Revoke(RevokeRequest {
                form: Params(form),
                authorization,
            }),
        )
    }

    /// Revoke the refresh token of step `pair`.
    fn revoke_refresh(&mut self, c: Client, pair: usize) -> usize {
        let (mut form, authorization) = Self::auth(c, None);
        form.push(kv("token", r(pair, Field::RefreshToken)));
        self.push(
            0,
            EventExpr::Revoke(RevokeRequest {
                form: Params(form),
                authorization,
            }),
        )
    }

    fn resource(&mut self, pause_ms: u64, pair: usize) -> usize {
        let bearer = ValueExpr::Concat(vec!["Bearer ".into(), r(pair, Field::AccessToken)]);
        self.push(
            pause_ms,
            EventExpr::Resource(ResourceRequest {
                authorization: vec![bearer],
            }),
        )
    }
}

/// A client's code exchanged with a wrong `code_verifier` (two probes read its answer).
fn wrong_verifier(s: &mut Script) -> usize {
    let c = s.register("client_secret_post", REDIRECT);
    let code = s.authorize(c);
    s.exchange_with(c, code, |f| {
        f.retain(|kv| !is(kv, "code_verifier"));
        f.push(kv("code_verifier", format!("{VERIFIER}x")));
    })
}

/// Every probe, in the order knobs are learned; `expiry_wait_ms` is how long the expiry probes
/// wait after issuing an access token.
pub(crate) fn all(expiry_wait_ms: u64) -> Vec<Probe> {
    let mut probes = Vec::new();
    let mut add = |name, knob, what, candidates, view, build: &dyn Fn(&mut Script) -> usize| {
        let mut s = Script::default();
        let decisive = build(&mut s) - 1;
        probes.push(Probe {
            name,
            knob,
            what,
            candidates,
            view,
            steps: s.steps,
            decisive,
            waits_for_expiry: false,
        });
    };
    use Candidates::{Bool, ErrorCode as Err, Status};
    use View::*;
    let metadata = |s: &mut Script| s.push(0, EventExpr::AuthorizationServerMetadata);
    add(
        "issuer",
        "issuer_trailing_slash",
        "read the metadata's issuer",
        Bool,
        IssuerSlash,
        &metadata,
    );
    add(
        "auth-methods",
        "advertise_none_auth_method",
        "read the metadata's client authentication methods",
        Bool,
        NoneAuthMethod,
        &metadata,
    );
    add(
        "register",
        "registration_no_store",
        "register a client",
        Bool,
        NoStore,
        &|s| s.register("client_secret_post", REDIRECT).step,
    );
    add(
        "register-javascript",
        "registration_strict_redirects",
        "register a javascript: redirect URI",
        Bool,
        Outcome,
        &|s| s.register("none", "javascript:alert(1)").step,
    );
    add(
        "register-fragment",
        "registration_strict_redirects",
        "register a redirect URI with a fragment",
        Bool,
        Outcome,
        &|s| s.register("none", "http://localhost:9999/cb#frag").step,
    );
    add(
        "authorize",
        "authorization_response_iss",
        "authorize and read the redirect",
        Bool,
        Iss,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            s.authorize(c)
        },
    );
    add(
        "no-challenge-method",
        "absent_challenge_method_is_s256",
        "authorize with an S256 challenge but no code_challenge_method, then exchange",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            let code = s.authorize_with(c, REDIRECT, |p| {
                p.retain(|kv| !is(kv, "code_challenge_method"))
            });
            s.exchange(c, code)
        },
    );
    add(
        "short-challenge",
        "pkce_syntax_checked",
        "authorize with the 3-character challenge \"abc\"",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            s.authorize_with(c, REDIRECT, |p| {
                for kv in p.iter_mut() {
                    if is(kv, "code_challenge") {
                        kv.1 = "abc".into();
                    }
                }
            })
        },
    );
    add(
        "loopback-port",
        "redirect_exact_match",
        "register http://127.0.0.1:9999/cb, authorize with port 1234",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT_IP);
            s.authorize_with(c, "http://127.0.0.1:1234/cb", |_| {})
        },
    );
    add(
        "redirect-case",
        "redirect_exact_match",
        "register http://localhost:9999/cb, authorize with HTTP://LOCALHOST:9999/cb",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            s.authorize_with(c, "HTTP://LOCALHOST:9999/cb", |_| {})
        },
    );
    add(
        "redirect-case-https",
        "redirect_exact_match",
        "register https://app.example/cb, authorize with HTTPS://APP.EXAMPLE/cb",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", "https://app.example/cb");
            s.authorize_with(c, "HTTPS://APP.EXAMPLE/cb", |_| {})
        },
    );
    add(
        "foreign-resource",
        "resource_indicators",
        "authorize with resource=https://other.example/mcp, another server's resource",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            s.authorize_with(c, REDIRECT, |p| {
                p.push(kv("resource", "https://other.example/mcp"));
            })
        },
    );
    add(
        "metadata-documents",
        "client_id_metadata_documents",
        "read the metadata's client_id_metadata_document_supported (a live server fetches its \
         own documents: whether it honours them is not probed)",
        Bool,
        DocumentsAdvertised,
        &metadata,
    );
    add(
        "wrong-verifier-status",
        "invalid_grant_status",
        "exchange a code with a wrong code_verifier",
        Status,
        StatusAndError,
        &wrong_verifier,
    );
    add(
        "unknown-code-status",
        "invalid_grant_status",
        "exchange a code never issued",
        Status,
        StatusAndError,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            let (mut form, _) = Script::auth(c, None);
            form.insert(0, kv("grant_type", "authorization_code"));
            form.push(kv("code", "fingerprint-never-issued-code"));
            form.push(kv("redirect_uri", REDIRECT));
            form.push(kv("code_verifier", VERIFIER));
            s.push(0, token(form, None))
        },
    );
    add(
        "code-reuse",
        "codes_single_use",
        "exchange one code twice",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            let code = s.authorize(c);
            s.exchange(c, code);
            s.exchange(c, code)
        },
    );
    add(
        "code-replay",
        "code_replay_revokes_grant",
        "exchange a code twice, then use the first access token",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            let code = s.authorize(c);
            let first = s.exchange(c, code);
            s.exchange(c, code);
            s.resource(0, first)
        },
    );
    add(
        "foreign-code",
        "code_client_bound",
        "client B exchanges client A's code",
        Bool,
        Outcome,
        &|s| {
            let a = s.register("client_secret_post", REDIRECT);
            let b = s.register("client_secret_post", REDIRECT);
            let code = s.authorize(a);
            s.exchange(b, code)
        },
    );
    add(
        "wrong-verifier",
        "pkce_checked",
        "exchange a code with a wrong code_verifier",
        Bool,
        Outcome,
        &wrong_verifier,
    );
    add(
        "token-redirect-mismatch",
        "redirect_mismatch_error",
        "exchange a code with another redirect_uri than at /authorize",
        Err,
        Error,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            let code = s.authorize(c);
            s.exchange_with(c, code, |f| {
                f.retain(|kv| !is(kv, "redirect_uri"));
                f.push(kv("redirect_uri", format!("{REDIRECT}/other")));
            })
        },
    );
    add(
        "unknown-grant",
        "unknown_grant_is_unsupported",
        "ask /token for grant_type=password",
        Bool,
        Error,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            let (mut form, _) = Script::auth(c, None);
            form.insert(0, kv("grant_type", "password"));
            s.push(0, token(form, None))
        },
    );
    add(
        "repeated-state",
        "reject_repeated_params",
        "authorize with state sent twice",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            s.authorize_with(c, REDIRECT, |p| p.insert(1, kv("state", "fp-first")))
        },
    );
    add(
        "repeated-token-param",
        "reject_repeated_params",
        "exchange a code with code_verifier sent twice (the same value)",
        Bool,
        Outcome,
        &|s| {
            let c = s.register("client_secret_post", REDIRECT);
            let code = s.authorize(c);
            s.exchange_with(c, code, |f| f.push(kv("code_verifier", VERIFIER)))
        },
    );
    add(
        "basic-wrong-secret",
        "invalid_client_challenge",
        "a Basic client authenticates with a wrong secret at /token",
        Bool,
        Challenge,
        &|s| {
            let c = s.register("client_secret_basic", REDIRECT);
            let code = s.authorize(c);
            let id = r(c.step, Field::ClientId);
            let form = vec![
                kv("grant_type", "authorization_code"),
                kv("client_id", id.clone()),
                kv("code", r(code, Field::Code)),
                kv("redirect_uri", REDIRECT),
                kv("code_verifier", VERIFIER),
            ];
            let basic = ValueExpr::Basic(Box::new((id, "not-the-secret".into())));
            s.push(0, token(form, Some(basic)))
        },
    );
    add(
        "basic-alone-wrong-secret",
        "invalid_client_challenge",
        "a Basic client authenticates with a wrong secret at /token, its id in the header alone",
        Bool,
        Challenge,
        &|s| {
            let c = s.register("client_secret_basic", REDIRECT);
            let code = s.authorize(c);
            let id = r(c.step, Field::ClientId);
            let form = vec![
                kv("grant_type", "authorization_code"),
                kv("code", r(code, Field::Code)),
                kv("redirect_uri", REDIRECT),
                kv("code_verifier", VERIFIER),
            ];
            let basic = ValueExpr::Basic(Box::new((id, "not-the-secret".into())));
            s.push(0, token(form, Some(basic)))
        },
    );
    add(
        "refresh-reuse",
        "refresh_reuse_revokes_family",
        "refresh, reuse the old refresh token, then use the new access token",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            let next = s.refresh(c, pair);
            s.refresh(c, pair);
            s.resource(0, next)
        },
    );
    add(
        "revoke-public",
        "revocation_requires_secret_field",
        "a public client revokes its access token (no client_secret field)",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("none");
            s.revoke(c, pair, None, &[])
        },
    );
    add(
        "revoke-wrong-secret",
        "revocation_auth_error",
        "revoke with a wrong client_secret",
        Err,
        Error,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            s.revoke(c, pair, Some("not-the-secret"), &[])
        },
    );
    add(
        "revoke-unknown-hint",
        "revocation_ignores_unknown_hint",
        "revoke with token_type_hint=bogus",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            s.revoke(c, pair, None, &[kv("token_type_hint", "bogus")])
        },
    );
    add(
        "revoke-pair",
        "revocation_kills_pair",
        "revoke the access token, then refresh with its refresh token",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            s.revoke(c, pair, None, &[]);
            s.refresh(c, pair)
        },
    );
    add(
        "refresh-old",
        "refresh_rotates",
        "refresh twice in a row, then with the first refresh token again",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            let next = s.refresh(c, pair);
            s.refresh(c, next);
            s.refresh(c, pair)
        },
    );
    add(
        "refresh-reuse-old",
        "refresh_reuse_revokes_family",
        "refresh twice in a row, reuse the first refresh token, then use the newest access \
         token (observable under a grace of one rotation too)",
        Bool,
        Outcome,
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            let next = s.refresh(c, pair);
            let newest = s.refresh(c, next);
            s.refresh(c, pair);
            s.resource(0, newest)
        },
    );
    policies::probes(&mut add);
    let mut expiry = |name, knob, what, build: &dyn Fn(&mut Script) -> usize| {
        let mut s = Script::default();
        let decisive = build(&mut s) - 1;
        probes.push(Probe {
            name,
            knob,
            what,
            candidates: Bool,
            view: Outcome,
            steps: s.steps,
            decisive,
            waits_for_expiry: true,
        });
    };
    expiry(
        "expired-access",
        "access_expiry_enforced",
        "use an access token after its lifetime",
        &|s| {
            let (_, pair) = s.pair("client_secret_post");
            s.resource(expiry_wait_ms, pair)
        },
    );
    expiry(
        "expired-access-refresh",
        "expired_access_revokes_refresh",
        "use an expired access token, then refresh with its refresh token",
        &|s| {
            let (c, pair) = s.pair("client_secret_post");
            s.resource(expiry_wait_ms, pair);
            s.refresh(c, pair)
        },
    );
    probes
}
