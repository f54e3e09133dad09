//! `oauth-oracle serve` over real HTTP: the binary on a free loopback port, driven by a real
//! client through the transcripts of `docs/transcripts.md` §4.1 (main probe) and §4.2
//! (expiry probe, with the manual clock instead of sleeping), the session trace replaying
//! identically, and garbage answered cleanly and recorded.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use oauth_oracle::s256_challenge;
use oauth_oracle::trace::{ReplayOutcome, Trace, replay};
use reqwest::blocking::{Client, Response};
use serde_json::Value;

const VERIFIER: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._";
const CB: &str = "http://localhost:9999/cb";
const INVALID_TOKEN: &str = "Authentication failed. The provided bearer token is invalid, expired, or no longer recognized by the server. To resolve: clear authentication tokens in your MCP client and reconnect. Your client should automatically re-register and obtain new tokens.";

/// A running `serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
    http: Client,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
            .args(["serve", "--port", "0", "--seed", "7"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line.trim().to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{base:?}");
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { child, base, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().unwrap()
    }

    fn form(&self, path: &str, form: &[(&str, &str)], auth: Option<&str>) -> Response {
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        req.body(body).send().unwrap()
    }

    fn register(&self, body: &str) -> Response {
        self.http
            .post(self.url("/register"))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .unwrap()
    }

    fn mcp(&self, auth: &[&str]) -> Response {
        let mut req = self
            .http
            .post(self.url("/mcp"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        for a in auth {
            req = req.header("authorization", *a);
        }
        req.body(r#"{"jsonrpc":"2.0","id":42,"method":"initialize","params":{}}"#)
            .send()
            .unwrap()
    }

    /// `GET /authorize` for `client` with PKCE; the code from the redirect.
    fn code(&self, client: &str, extra: &[(&str, &str)]) -> String {
        let mut q = vec![
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", CB),
            ("code_challenge", CHALLENGE.as_str()),
            ("code_challenge_method", "S256"),
        ];
        q.extend_from_slice(extra);
        let r = self.get(&format!("/authorize?{}", query(&q)));
        assert_eq!(r.status(), 302);
        location_param(&r, "code").unwrap()
    }

    fn set_clock(&self, body: &str) -> Response {
        self.http
            .post(self.url("/_oracle/clock"))
            .body(body.to_owned())
            .send()
            .unwrap()
    }

    fn trace(&self) -> (Trace, String) {
        let text = self.get("/_oracle/trace").text().unwrap();
        (Trace::read(text.as_bytes()).unwrap(), text)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static CHALLENGE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| s256_challenge(VERIFIER));

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn location_param(r: &Response, key: &str) -> Option<String> {
    let loc = r.headers().get("location")?.to_str().ok()?;
    let q = loc.split_once('?')?.1;
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Status, `error` and `error_description` of a JSON answer.
fn check(r: Response, status: u16, error: &str, description: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let v: Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    assert_eq!(v["error"], error, "{v}");
    assert_eq!(v["error_description"], description, "{v}");
    v
}

fn token_headers(r: &Response) {
    assert_eq!(header(r, "cache-control").as_deref(), Some("no-store"));
    assert_eq!(header(r, "pragma").as_deref(), Some("no-cache"));
    assert_eq!(
        header(r, "content-type").as_deref(),
        Some("application/json")
    );
}

fn json(r: Response) -> Value {
    serde_json::from_str(&r.text().unwrap()).unwrap()
}

/// (client_id, client_secret) of a registration.
fn client(s: &Server, body: &str) -> (String, String) {
    let r = s.register(body);
    assert_eq!(r.status(), 201);
    assert_eq!(header(&r, "cache-control"), None);
    let v = json(r);
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap_or_default().to_owned(),
    )
}

const CONFIDENTIAL: &str = r#"{"redirect_uris":["http://localhost:9999/cb"],"scope":"read write","client_name":"probe","token_endpoint_auth_method":"client_secret_post"}"#;
const PUBLIC: &str = r#"{"redirect_uris":["http://localhost:9999/cb"],"scope":"read","token_endpoint_auth_method":"none"}"#;
const BASIC: &str = r#"{"redirect_uris":["http://localhost:9999/cb"],"scope":"read","token_endpoint_auth_method":"client_secret_basic"}"#;

fn assert_replays(s: &Server) -> usize {
    let (trace, _) = s.trace();
    let n = trace.steps.len();
    assert_eq!(replay(&trace).unwrap(), ReplayOutcome::Match { steps: n });
    n
}

#[test]
fn main_probe_discovery_cors_and_method_answers_match_the_transcript() {
    let s = Server::start(&[]);
    // Row 1: AS metadata.
    let r = s.get("/.well-known/oauth-authorization-server");
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "cache-control").as_deref(),
        Some("public, max-age=3600")
    );
    let v = json(r);
    assert_eq!(v["issuer"], format!("{}/", s.base));
    assert_eq!(v["token_endpoint"], s.url("/token"));
    // Rows 2, 3: no OIDC alias, no root protected-resource metadata.
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-protected-resource",
    ] {
        let r = s.get(path);
        assert_eq!(r.status(), 404);
        assert_eq!(r.text().unwrap(), "Not Found");
    }
    // Row 4: protected-resource metadata.
    let v = json(s.get("/.well-known/oauth-protected-resource/mcp"));
    assert_eq!(v["resource"], s.url("/mcp"));
    assert_eq!(v["bearer_methods_supported"], serde_json::json!(["header"]));
    // Row 5: CORS preflight at /token.
    let r = s
        .http
        .request(reqwest::Method::OPTIONS, s.url("/token"))
        .header("origin", "http://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(
        header(&r, "access-control-allow-methods").as_deref(),
        Some("POST, OPTIONS")
    );
    assert_eq!(header(&r, "access-control-max-age").as_deref(), Some("600"));
    assert_eq!(
        header(&r, "access-control-allow-headers").as_deref(),
        Some("Accept, Accept-Language, Content-Language, Content-Type, mcp-protocol-version")
    );
    assert_eq!(r.text().unwrap(), "OK");
    // A request with an Origin at a CORS route gets the simple-response decoration.
    let r = s
        .http
        .get(s.url("/.well-known/oauth-authorization-server"))
        .header("origin", "http://app.example")
        .send()
        .unwrap();
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(header(&r, "vary").as_deref(), Some("Origin"));
    // Row 87: GET /token.
    let r = s.get("/token");
    assert_eq!(r.status(), 405);
    assert_eq!(header(&r, "allow").as_deref(), Some("POST, OPTIONS"));
    assert_eq!(r.text().unwrap(), "Method Not Allowed");
    assert_eq!(assert_replays(&s), 7);
}

#[test]
fn main_probe_registration_rows_match_the_transcript() {
    let s = Server::start(&[]);
    // Rows 6-9, 14-16: accepted.
    let v = json(s.register(CONFIDENTIAL));
    assert_eq!(v["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(v["client_secret_expires_at"], 0);
    let v = json(s.register(PUBLIC));
    assert!(v.get("client_secret").is_none());
    let v = json(s.register(BASIC));
    assert_eq!(
        v["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    let v = json(s.register(r#"{"redirect_uris":["http://localhost:9999/cb"]}"#));
    assert_eq!(v["token_endpoint_auth_method"], "client_secret_post");
    for uri in [
        "myapp://cb",
        "javascript:alert(1)",
        "http://evil.example/cb",
    ] {
        let r = s.register(&format!(
            r#"{{"redirect_uris":["{uri}"],"token_endpoint_auth_method":"none"}}"#
        ));
        assert_eq!(r.status(), 201, "{uri}");
    }
    // Rows 10-13: refused.
    let meta = "invalid_client_metadata";
    check(
        s.register(r#"{"redirect_uris": ["#),
        400,
        meta,
        ": Invalid JSON: EOF while parsing a list at line 1 column 19",
    );
    check(s.register("{}"), 400, meta, "redirect_uris: Field required");
    check(
        s.register(r#"{"redirect_uris":["http://localhost:9999/cb"],"scope":"admin"}"#),
        400,
        meta,
        "Requested scopes are not valid: admin",
    );
    check(
        s.register(
            r#"{"redirect_uris":["http://localhost:9999/cb"],"grant_types":["refresh_token"]}"#,
        ),
        400,
        meta,
        "grant_types must include 'authorization_code'",
    );
    assert_replays(&s);
}

#[test]
fn main_probe_code_flow_refresh_and_revocation_rows_match_the_transcript() {
    let s = Server::start(&[]);
    let (a, secret) = client(&s, CONFIDENTIAL);
    let (p, _) = client(&s, PUBLIC);
    // Row 17.
    let r = s.get(&format!(
        "/authorize?{}",
        query(&[
            ("response_type", "code"),
            ("client_id", &a),
            ("redirect_uri", CB),
            ("code_challenge", &CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "st123"),
            ("scope", "read write"),
        ])
    ));
    assert_eq!(r.status(), 302);
    assert_eq!(header(&r, "cache-control").as_deref(), Some("no-store"));
    let loc = header(&r, "location").unwrap();
    assert!(
        loc.starts_with("http://localhost:9999/cb?code=test_auth_code_"),
        "{loc}"
    );
    assert!(loc.ends_with("&state=st123"));
    let code = location_param(&r, "code").unwrap();
    let exchange = |extra: &[(&str, &str)], skip: &[&str]| {
        let mut f = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", a.as_str()),
            ("client_secret", secret.as_str()),
        ];
        f.retain(|(k, _)| !skip.contains(k));
        for (k, v) in extra {
            f.retain(|(key, _)| key != k);
            f.push((k, v));
        }
        s.form("/token", &f, None)
    };
    // Rows 18-21: failures leave the code usable.
    let r = exchange(&[("code_verifier", "wrong")], &[]);
    token_headers(&r);
    check(r, 401, "invalid_grant", "incorrect code_verifier");
    let mismatch = "redirect_uri did not match the one used when creating auth code";
    check(
        exchange(&[("redirect_uri", "http://localhost:9999/other")], &[]),
        400,
        "invalid_request",
        mismatch,
    );
    check(
        exchange(&[], &["redirect_uri"]),
        400,
        "invalid_request",
        mismatch,
    );
    check(
        exchange(&[], &["code_verifier"]),
        400,
        "invalid_request",
        "authorization_code.code_verifier: Field required",
    );
    // Row 22, then 23 (reuse).
    let r = exchange(&[], &[]);
    token_headers(&r);
    let t = json(r);
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(t["scope"], "read write");
    let at1 = t["access_token"].as_str().unwrap().to_owned();
    let rt1 = t["refresh_token"].as_str().unwrap().to_owned();
    check(
        exchange(&[], &[]),
        401,
        "invalid_grant",
        "authorization code does not exist",
    );
    // Rows 24-28: the resource.
    let r = s.mcp(&[&format!("Bearer {at1}")]);
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "content-type").as_deref(),
        Some("text/event-stream")
    );
    let body = r.text().unwrap();
    assert!(
        body.contains(r#""jsonrpc":"2.0","id":42,"result""#),
        "{body}"
    );
    let metadata = format!(
        "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
        s.base
    );
    for auth in [vec![], vec!["Basic eDp5"]] {
        let r = s.mcp(&auth);
        assert_eq!(r.status(), 401);
        assert_eq!(
            header(&r, "www-authenticate"),
            Some(format!("Bearer {metadata}"))
        );
        assert_eq!(r.text().unwrap(), "");
    }
    let r = s.mcp(&["Bearer garbage"]);
    assert_eq!(r.status(), 401);
    assert_eq!(
        header(&r, "www-authenticate"),
        Some(format!(
            "Bearer error=\"invalid_token\", error_description=\"{INVALID_TOKEN}\", {metadata}"
        ))
    );
    assert_eq!(s.mcp(&[&format!("bearer {at1}")]).status(), 200);
    // Rows 29-35: rotation, narrowing, widening, wrong secret.
    let refresh = |rt: &str, extra: &[(&str, &str)]| {
        let mut f = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", a.as_str()),
            ("client_secret", secret.as_str()),
        ];
        for (k, v) in extra {
            f.retain(|(key, _)| key != k);
            f.push((k, v));
        }
        s.form("/token", &f, None)
    };
    let t2 = json(refresh(&rt1, &[]));
    let at2 = t2["access_token"].as_str().unwrap().to_owned();
    let rt2 = t2["refresh_token"].as_str().unwrap().to_owned();
    check(
        refresh(&rt1, &[]),
        401,
        "invalid_grant",
        "refresh token does not exist",
    );
    assert_eq!(s.mcp(&[&format!("Bearer {at1}")]).status(), 401);
    assert_eq!(s.mcp(&[&format!("Bearer {at2}")]).status(), 200);
    let t3 = json(refresh(&rt2, &[("scope", "read")]));
    assert_eq!(t3["scope"], "read");
    let at3 = t3["access_token"].as_str().unwrap().to_owned();
    let rt3 = t3["refresh_token"].as_str().unwrap().to_owned();
    check(
        refresh(&rt3, &[("scope", "read write")]),
        400,
        "invalid_scope",
        "cannot request scope `write` not provided by refresh token",
    );
    check(
        refresh(&rt3, &[("client_secret", "wrong")]),
        401,
        "invalid_client",
        "Invalid client_secret",
    );
    // Rows 36-42: revocation.
    let revoke = |token: &str, extra: &[(&str, &str)]| {
        let mut f = vec![
            ("token", token),
            ("client_id", a.as_str()),
            ("client_secret", secret.as_str()),
        ];
        for (k, v) in extra {
            f.retain(|(key, _)| key != k);
            f.push((k, v));
        }
        s.form("/revoke", &f, None)
    };
    let r = revoke(&at3, &[]);
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control").as_deref(), Some("no-store"));
    assert_eq!(header(&r, "pragma").as_deref(), Some("no-cache"));
    assert_eq!(s.mcp(&[&format!("Bearer {at3}")]).status(), 401);
    check(
        refresh(&rt3, &[]),
        401,
        "invalid_grant",
        "refresh token does not exist",
    );
    assert_eq!(revoke(&at3, &[]).status(), 200);
    assert_eq!(revoke("unknown", &[]).status(), 200);
    let r = revoke(&at3, &[("client_secret", "wrong")]);
    assert_eq!(header(&r, "cache-control"), None);
    check(r, 401, "unauthorized_client", "Invalid client_secret");
    let f = [
        ("client_id", a.as_str()),
        ("client_secret", secret.as_str()),
    ];
    check(
        s.form("/revoke", &f, None),
        400,
        "invalid_request",
        "token: Field required",
    );
    // Rows 47-51: the public client revokes with an empty client_secret only.
    let code = s.code(&p, &[]);
    let t = json(s.form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", &p),
        ],
        None,
    ));
    let pat = t["access_token"].as_str().unwrap().to_owned();
    check(
        s.form("/revoke", &[("token", &pat), ("client_id", &p)], None),
        400,
        "invalid_request",
        "client_secret: Field required",
    );
    let r = s.form(
        "/revoke",
        &[("token", &pat), ("client_id", &p), ("client_secret", "")],
        None,
    );
    assert_eq!(r.status(), 200);
    assert_eq!(s.mcp(&[&format!("Bearer {pat}")]).status(), 401);
    // Rows 75-83: client authentication and grant parsing.
    let code = s.code(&a, &[]);
    let foreign = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
        ("client_id", p.as_str()),
    ];
    check(
        s.form("/token", &foreign, None),
        401,
        "invalid_grant",
        "authorization code does not exist",
    );
    let unknown = [("grant_type", "authorization_code"), ("client_id", "nope")];
    check(
        s.form("/token", &unknown, None),
        401,
        "invalid_client",
        "Invalid client_id",
    );
    let no_secret = [
        ("grant_type", "authorization_code"),
        ("client_id", a.as_str()),
    ];
    check(
        s.form("/token", &no_secret, None),
        401,
        "invalid_client",
        "Client secret is required",
    );
    check(
        s.form("/token", &[("grant_type", "password")], None),
        401,
        "invalid_client",
        "Missing client_id",
    );
    let auth = [
        ("client_id", a.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let mut password = auth.to_vec();
    password.push(("grant_type", "password"));
    check(
        s.form("/token", &password, None),
        400,
        "invalid_request",
        ": Input tag 'password' found using 'grant_type' does not match any of the expected tags: 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'",
    );
    check(
        s.form("/token", &auth, None),
        400,
        "invalid_request",
        ": Unable to extract tag using discriminator 'grant_type'",
    );
    let r = s
        .http
        .post(s.url("/token"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"client_id":"{a}","grant_type":"password"}}"#))
        .send()
        .unwrap();
    check(r, 401, "invalid_client", "Missing client_id");
    assert_replays(&s);
}

#[test]
fn main_probe_basic_auth_and_authorize_errors_match_the_transcript() {
    let s = Server::start(&[]);
    let (b, bsecret) = client(&s, BASIC);
    let (a, _) = client(&s, CONFIDENTIAL);
    let basic = |id: &str, secret: &str| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    };
    // Rows 52-58.
    let code = s.code(&b, &[("state", "b")]);
    let form = |with_id: bool| {
        let mut f = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ];
        if with_id {
            f.push(("client_id", b.as_str()));
        }
        f
    };
    let mut post = form(true);
    post.push(("client_secret", bsecret.as_str()));
    check(
        s.form("/token", &post, None),
        401,
        "invalid_client",
        "Missing or invalid Basic authentication in Authorization header",
    );
    check(
        s.form("/token", &form(false), Some(&basic(&b, &bsecret))),
        401,
        "invalid_client",
        "Missing client_id",
    );
    check(
        s.form("/token", &form(true), Some(&basic("other", &bsecret))),
        401,
        "invalid_client",
        "Client ID mismatch in Basic auth",
    );
    let t = json(s.form("/token", &form(true), Some(&basic(&b, &bsecret))));
    assert_eq!(t["scope"], "");
    let revoke = [
        ("token", t["access_token"].as_str().unwrap()),
        ("client_id", b.as_str()),
    ];
    check(
        s.form("/revoke", &revoke, Some(&basic(&b, &bsecret))),
        400,
        "invalid_request",
        "client_secret: Field required",
    );
    // Rows 61-72: /authorize errors, direct and redirected.
    let authorize = |pairs: &[(&str, &str)]| s.get(&format!("/authorize?{}", query(pairs)));
    let base = |state: &'static str| {
        vec![
            ("response_type", "code"),
            ("client_id", a.as_str()),
            ("redirect_uri", CB),
            ("code_challenge", CHALLENGE.as_str()),
            ("state", state),
        ]
    };
    let mut p = base("s3");
    p.retain(|(k, _)| *k != "code_challenge");
    let r = authorize(&p);
    assert_eq!(
        header(&r, "location").unwrap(),
        "http://localhost:9999/cb?error=invalid_request&error_description=code_challenge%3A+Field+required&state=s3"
    );
    let mut p = base("s4");
    p.push(("code_challenge_method", "plain"));
    assert_eq!(
        header(&authorize(&p), "location").unwrap(),
        "http://localhost:9999/cb?error=invalid_request&error_description=code_challenge_method%3A+Input+should+be+%27S256%27&state=s4"
    );
    let mut p = base("s6");
    p[1] = ("client_id", "no-such-client");
    let r = authorize(&p);
    assert_eq!(header(&r, "cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        r.text().unwrap(),
        r#"{"error":"invalid_request","error_description":"Client ID 'no-such-client' not found","state":"s6"}"#
    );
    let mut p = base("s7c");
    p[2] = ("redirect_uri", "http://localhost:1234/cb");
    check(
        authorize(&p),
        400,
        "invalid_request",
        "Redirect URI 'http://localhost:1234/cb' not registered for client",
    );
    let mut p = base("s8");
    p[0] = ("response_type", "token");
    assert_eq!(
        header(&authorize(&p), "location").unwrap(),
        "http://localhost:9999/cb?error=unsupported_response_type&error_description=response_type%3A+Input+should+be+%27code%27&state=s8"
    );
    let mut p = base("s9");
    p.push(("scope", "admin"));
    assert_eq!(
        header(&authorize(&p), "location").unwrap(),
        "http://localhost:9999/cb?error=invalid_scope&error_description=Client+was+not+registered+with+scope+admin&state=s9"
    );
    let mut p = base("s10");
    p.remove(1);
    check(
        authorize(&p),
        400,
        "invalid_request",
        "client_id: Field required",
    );
    // Row 72: the same request as a form.
    let r = s.form("/authorize", &base("s11"), None);
    assert_eq!(r.status(), 302);
    assert_eq!(location_param(&r, "state").as_deref(), Some("s11"));
    // Duplicates: the last value wins.
    let mut p = base("first");
    p.push(("state", "second"));
    assert_eq!(
        location_param(&authorize(&p), "state").as_deref(),
        Some("second")
    );
    assert_replays(&s);
}

#[test]
fn expiry_probe_with_the_manual_clock_matches_the_transcript() {
    let s = Server::start(&[
        "--clock",
        "manual",
        "--code-ttl",
        "2",
        "--access-ttl",
        "2",
        "--refresh-ttl",
        "6",
    ]);
    let (a, secret) = client(
        &s,
        r#"{"redirect_uris":["http://localhost:9999/cb"],"scope":"read"}"#,
    );
    let exchange = |code: &str| {
        s.form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
                ("client_id", &a),
                ("client_secret", &secret),
            ],
            None,
        )
    };
    let refresh = |rt: &str| {
        s.form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt),
                ("client_id", &a),
                ("client_secret", &secret),
            ],
            None,
        )
    };
    // E2: a code 3 s old.
    let code = s.code(&a, &[]);
    assert_eq!(s.set_clock(r#"{"advance_ms":3000}"#).status(), 200);
    let r = exchange(&code);
    token_headers(&r);
    check(r, 401, "invalid_grant", "authorization code does not exist");
    // E3-E5: an expired access token presented to /mcp kills its refresh token.
    let t = json(exchange(&s.code(&a, &[])));
    assert_eq!(t["expires_in"], 2);
    s.set_clock(r#"{"advance_ms":3000}"#);
    let r = s.mcp(&[&format!("Bearer {}", t["access_token"].as_str().unwrap())]);
    assert_eq!(r.status(), 401);
    check(r, 401, "invalid_token", INVALID_TOKEN);
    check(
        refresh(t["refresh_token"].as_str().unwrap()),
        401,
        "invalid_grant",
        "refresh token does not exist",
    );
    // E6-E7: expired but never presented: the refresh still works.
    let t = json(exchange(&s.code(&a, &[])));
    s.set_clock(r#"{"advance_ms":3000}"#);
    let t2 = json(refresh(t["refresh_token"].as_str().unwrap()));
    assert_eq!(t2["expires_in"], 2);
    // E8: 7 s later the refresh token (6 s) is gone.
    s.set_clock(r#"{"advance_ms":7000}"#);
    check(
        refresh(t2["refresh_token"].as_str().unwrap()),
        401,
        "invalid_grant",
        "refresh token does not exist",
    );
    assert_replays(&s);
}

#[test]
fn manual_clock_moves_only_forward_and_expires_a_code_at_its_boundary() {
    let s = Server::start(&["--clock", "manual", "--start-at", "1800000000000"]);
    let clock = json(s.get("/_oracle/clock"));
    assert_eq!(
        clock,
        serde_json::json!({"mode": "manual", "at": 1_800_000_000_000u64})
    );
    let (a, secret) = client(&s, CONFIDENTIAL);
    let code = s.code(&a, &[]);
    // Valid at exactly expiry (300 s), dead 1 ms later.
    assert_eq!(s.set_clock(r#"{"at":1800000300000}"#).status(), 200);
    let keep = s.code(&a, &[]);
    assert_eq!(s.set_clock(r#"{"at":1800000300001}"#).status(), 200);
    let form = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", CB.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
            ("client_id", a.clone()),
            ("client_secret", secret.clone()),
        ]
    };
    let send = |f: Vec<(&str, String)>| {
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        s.form("/token", &f, None)
    };
    check(
        send(form(&code)),
        401,
        "invalid_grant",
        "authorization code does not exist",
    );
    let t = json(send(form(&keep)));
    let bearer = format!("Bearer {}", t["access_token"].as_str().unwrap());
    assert_eq!(s.mcp(&[&bearer]).status(), 200);
    // The access token lives 3600 s from its issue; jump past it.
    assert_eq!(s.set_clock(r#"{"advance_ms":3601000}"#).status(), 200);
    assert_eq!(s.mcp(&[&bearer]).status(), 401);
    // Backwards, malformed and both-at-once are refused.
    let r = s.set_clock(r#"{"at":1}"#);
    assert_eq!(r.status(), 400);
    assert!(
        json(r)["error"]
            .as_str()
            .unwrap()
            .contains("only moves forward")
    );
    assert_eq!(s.set_clock("nope").status(), 400);
    assert_eq!(s.set_clock(r#"{"at":2,"advance_ms":1}"#).status(), 400);
    assert_replays(&s);
}

#[test]
fn system_clock_refuses_clock_changes() {
    let s = Server::start(&[]);
    assert_eq!(json(s.get("/_oracle/clock"))["mode"], "system");
    assert_eq!(s.set_clock(r#"{"advance_ms":1}"#).status(), 400);
}

#[test]
fn recorded_file_and_served_trace_replay_identically() {
    let dir = std::env::temp_dir().join(format!("oauth-oracle-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("session.jsonl");
    let s = Server::start(&["--clock", "manual", "--record", path.to_str().unwrap()]);
    let (a, secret) = client(&s, CONFIDENTIAL);
    let code = s.code(&a, &[("state", "x")]);
    let t = json(s.form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", &a),
            ("client_secret", &secret),
        ],
        None,
    ));
    s.mcp(&[&format!("Bearer {}", t["access_token"].as_str().unwrap())]);
    s.get("/nope");
    let (trace, text) = s.trace();
    assert_eq!(trace.steps.len(), 5);
    assert_eq!(replay(&trace).unwrap(), ReplayOutcome::Match { steps: 5 });
    // --record holds the same lines, flushed as they happened.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    let status = Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
        .args(["replay", path.to_str().unwrap()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn garbage_gets_clean_answers_and_still_lands_in_the_trace() {
    let s = Server::start(&[]);
    // Invalid UTF-8: a form field arrives as latin-1, a register body lossily.
    let r = s
        .http
        .post(s.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"client_id=\xc3\xa9&response_type=code&code_challenge=x&state=%C3%A9".to_vec())
        .send()
        .unwrap();
    assert_eq!(
        r.text().unwrap(),
        r#"{"error":"invalid_request","error_description":"Client ID 'Ã©' not found","state":"é"}"#
    );
    let r = s
        .http
        .post(s.url("/register"))
        .body(b"\xff{}".to_vec())
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    // Huge bodies: 413 without reading them whole.
    let big = vec![b'x'; 4 * 1024 * 1024 + 1];
    for path in ["/register", "/token", "/authorize"] {
        let r = s.http.post(s.url(path)).body(big.clone()).send();
        if let Ok(r) = r {
            assert_eq!(r.status(), 413, "{path}");
            assert_eq!(r.text().unwrap(), "Request body too large");
        }
    }
    // Too many form fields.
    let many: Vec<String> = (0..1001).map(|i| format!("f{i}=1")).collect();
    let r = s
        .http
        .post(s.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(many.join("&"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.text().unwrap(),
        "Too many fields. Maximum number of fields is 1000."
    );
    // Unknown routes, wrong methods, trailing slashes, preflight refusals.
    assert_eq!(s.get("/nope").status(), 404);
    let r = s.http.delete(s.url("/authorize")).send().unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(header(&r, "allow").as_deref(), Some("GET, HEAD, POST"));
    let r = s.http.put(s.url("/mcp")).send().unwrap();
    assert_eq!(
        header(&r, "allow").as_deref(),
        Some("GET, HEAD, DELETE, POST")
    );
    let r = s.get("/authorize/?a=b");
    assert_eq!(r.status(), 307);
    assert_eq!(header(&r, "location"), Some(s.url("/authorize?a=b")));
    let r = s
        .http
        .request(reqwest::Method::OPTIONS, s.url("/revoke"))
        .header("origin", "http://x")
        .header("access-control-request-method", "DELETE")
        .header("access-control-request-headers", "authorization")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.text().unwrap(), "Disallowed CORS method, headers");
    // Raw bytes that are not a valid request: the protocol layer answers, the server lives.
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut raw = TcpStream::connect(&addr).unwrap();
    raw.write_all(b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = raw.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    // Every request above (the malformed one aside) is a step, and the session replays.
    let (trace, _) = s.trace();
    let events: Vec<String> = trace
        .steps
        .iter()
        .map(|l| l.event.kind().to_owned())
        .collect();
    assert!(events.len() >= 11, "{events:?}");
    assert_eq!(
        events.iter().filter(|k| **k == "unrouted").count(),
        events.len() - 2
    );
    assert_replays(&s);
}

#[test]
fn no_control_removes_the_oracle_routes() {
    let s = Server::start(&["--no-control"]);
    let r = s.get("/_oracle/trace");
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().unwrap(), "Not Found");
    assert_eq!(s.get("/_oracle/").status(), 404);
    // The fault controls go too: a POST to one is an ordinary unknown path (a recorded step).
    for route in ["expire", "revoke", "fail", "deny-consent", "adversary"] {
        let r = s
            .http
            .post(s.url(&format!("/_oracle/{route}")))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .unwrap();
        assert_eq!(r.status(), 404, "{route}");
    }
}

#[test]
fn the_control_index_lists_every_control_route() {
    let s = Server::start(&[]);
    let r = s.get("/_oracle/");
    assert_eq!(r.status(), 200);
    let v: Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    for route in [
        "GET /_oracle/clock",
        "POST /_oracle/clock",
        "GET /_oracle/trace",
        "POST /_oracle/expire",
        "POST /_oracle/revoke",
        "POST /_oracle/fail",
        "POST /_oracle/deny-consent",
        "POST /_oracle/adversary",
        "POST /_oracle/client-document",
    ] {
        assert!(v["routes"].get(route).is_some(), "{route} not listed: {v}");
    }
}

/// `POST /_oracle/client-document` hands the model the document a fetch of its URL would return:
/// under `oauth21` the URL is then a public client's id that gets a code and tokens, a malformed
/// control body is a 400 naming the route, and the session (the document a step of its own)
/// replays.
#[test]
fn a_client_document_handed_over_names_a_client() {
    let s = Server::start(&["--profile", "oauth21"]);
    let url = "https://client.example/oauth/metadata.json";
    let doc = serde_json::json!({"client_id": url, "client_name": "d", "redirect_uris": ["http://localhost:9999/cb"],
                     "token_endpoint_auth_method": "none"});
    let post = |body: String| {
        s.http
            .post(s.url("/_oracle/client-document"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap()
    };
    let r =
        post(serde_json::json!({"url": url, "status": 200, "body": doc.to_string()}).to_string());
    assert_eq!(r.status(), 204);
    let r = post(r#"{"url": 1}"#.to_owned());
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("/_oracle/client-document"));
    let verifier = "v".repeat(43);
    let challenge = oauth_oracle::s256_challenge(&verifier);
    let r = s.get(&format!(
        "/authorize?{}",
        query(&[
            ("response_type", "code"),
            ("client_id", url),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("redirect_uri", "http://localhost:9999/cb"),
        ])
    ));
    assert_eq!(r.status(), 302);
    let code = location_param(&r, "code").unwrap();
    let r = s.form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", url),
            ("code", &code),
            ("redirect_uri", "http://localhost:9999/cb"),
            ("code_verifier", &verifier),
        ],
        None,
    );
    assert_eq!(r.status(), 200);
    assert!(assert_replays(&s) >= 3);
}

// ---------------------------------------------------------------------------------------------
// Hostile clients: each test reproduces a defect of the reliability issue.

/// Run `serve` with `args`, expecting it not to start: (exit code, stderr).
fn failed_start(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
        .arg("serve")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn an_unwritable_record_file_error_names_the_file() {
    let (code, stderr) = failed_start(&["--port", "0", "--record", "/no/dir/x.jsonl"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("cannot create record file /no/dir/x.jsonl: "),
        "{stderr}"
    );
}

#[test]
fn a_busy_port_error_names_the_address() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let (code, stderr) = failed_start(&["--port", &port]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(&format!("cannot bind 127.0.0.1:{port}: ")),
        "{stderr}"
    );
}

/// `host:port` of a server.
fn addr(s: &Server) -> String {
    s.base.trim_start_matches("http://").to_owned()
}

/// Make the kept trace about `n` × 4 MiB: registrations with bodies just under the limit (each
/// recorded literally in its step line).
fn fill_trace(s: &Server, n: usize) -> usize {
    let body = format!(
        r#"{{"client_name":"{}"}}"#,
        "a".repeat(4 * 1024 * 1024 - 64)
    );
    for _ in 0..n {
        assert_eq!(s.register(&body).status(), 400);
    }
    let r = s.get("/_oracle/trace");
    assert_eq!(header(&r, "x-oracle-trace-kept"), Some(n.to_string()));
    r.bytes().unwrap().len()
}

/// A connection that asks for the trace, sees the answer start, and then reads nothing more.
fn non_reading_trace_client(s: &Server) -> TcpStream {
    let mut c = TcpStream::connect(addr(s)).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    c.write_all(b"GET /_oracle/trace HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut status = [0; 12];
    c.read_exact(&mut status).unwrap();
    assert_eq!(&status, b"HTTP/1.1 200");
    c
}

/// Resident memory of a process, KiB (Linux).
#[cfg(target_os = "linux")]
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A client for requests that must finish within a generous bound.
fn patient_client(secs: u64) -> Client {
    Client::builder()
        .timeout(std::time::Duration::from_secs(secs))
        .build()
        .unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn trace_clients_that_do_not_read_share_the_kept_trace_instead_of_copying_it() {
    let s = Server::start(&["--trace-cap", "33554432"]);
    let trace_len = fill_trace(&s, 3);
    assert!(trace_len > 12_000_000, "{trace_len}");
    let idle = rss_kib(s.child.id());
    let clients: Vec<TcpStream> = (0..16).map(|_| non_reading_trace_client(&s)).collect();
    // Requests are still served while they hang on.
    assert_eq!(
        s.get("/.well-known/oauth-authorization-server").status(),
        200
    );
    let busy = rss_kib(s.child.id());
    // A copy per client would be 16 × 12 MB; shared chunks cost a few KiB each.
    let grown = busy.saturating_sub(idle) * 1024;
    assert!(
        grown < trace_len as u64,
        "RSS grew by {grown} bytes for 16 clients of a {trace_len}-byte trace (idle {idle} KiB, busy {busy} KiB)"
    );
    drop(clients);
}

#[test]
fn a_client_that_does_not_read_loses_its_connection_after_the_write_timeout() {
    let s = Server::start(&["--max-connections", "2", "--write-timeout", "2"]);
    // More than loopback's socket buffers hold, so the write stalls.
    let trace_len = fill_trace(&s, 5);
    let mut stalled: Vec<TcpStream> = (0..2).map(|_| non_reading_trace_client(&s)).collect();
    // Both slots are held by clients that do not read; the write timeout frees them.
    let r = patient_client(20)
        .get(s.url("/.well-known/oauth-authorization-server"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // The stalled connections were cut: what they can still read ends before the answer does.
    for c in &mut stalled {
        let mut rest = Vec::new();
        let _ = c.read_to_end(&mut rest);
        assert!(rest.len() + 12 < trace_len, "{} of {trace_len}", rest.len());
    }
}

#[test]
fn a_malformed_chunk_size_is_a_protocol_400_and_not_a_step() {
    let s = Server::start(&[]);
    let mut c = TcpStream::connect(addr(&s)).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    c.write_all(
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Transfer-Encoding: chunked\r\n\r\nzz\r\ngrant_type=x\r\n0\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    // The server closes the connection after its 400.
    c.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer:?}"
    );
    let r = s.get("/_oracle/trace");
    assert_eq!(header(&r, "x-oracle-trace-steps").as_deref(), Some("0"));
    // A well-framed chunked body is still a step.
    let mut c = TcpStream::connect(addr(&s)).unwrap();
    c.write_all(
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nc\r\ngrant_type=x\r\n0\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    c.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer:?}");
    assert!(answer.contains("Missing client_id"), "{answer:?}");
    let (trace, _) = s.trace();
    let kinds: Vec<String> = trace
        .steps
        .iter()
        .map(|l| l.event.kind().to_owned())
        .collect();
    assert_eq!(kinds, ["token"]);
}

#[test]
fn slow_connections_beyond_the_cap_do_not_block_a_request_past_the_header_timeout() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    // Default --header-timeout (5 s); --read-timeout stays 30 s.
    let s = Server::start(&["--max-connections", "2"]);
    let stop = Arc::new(AtomicBool::new(false));
    let attackers: Vec<_> = (0..3)
        .map(|_| {
            let (addr, stop) = (addr(&s), stop.clone());
            std::thread::spawn(move || {
                // A head that never ends, a byte every 200 ms; reconnect when dropped.
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut c) = TcpStream::connect(&addr) else {
                        continue;
                    };
                    let _ = c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n");
                    while !stop.load(Ordering::Relaxed) && c.write_all(b"x").is_ok() {
                        std::thread::sleep(std::time::Duration::from_millis(200));
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // Three slow connections for two slots: a normal request waits at most about two header
    // timeouts (10 s), not --read-timeout (30 s).
    let r = patient_client(20)
        .get(s.url("/.well-known/oauth-authorization-server"))
        .send();
    stop.store(true, Ordering::Relaxed);
    drop(s);
    for a in attackers {
        a.join().unwrap();
    }
    assert_eq!(r.unwrap().status(), 200);
}

/// `serve --profile cloudflare`: metadata names the token endpoint for revocation, and a form
/// with `token=` and no `grant_type` posted there revokes (an access token alone; its refresh
/// token lives on), as Cloudflare's workers-oauth-provider does (`docs/cloudflare-behaviour.md`
/// §4.8); the session replays.
#[test]
fn cloudflare_revokes_at_the_token_endpoint_over_http() {
    let s = Server::start(&["--profile", "cloudflare"]);
    let meta = json(s.get("/.well-known/oauth-authorization-server"));
    assert_eq!(meta["revocation_endpoint"], s.url("/token"));
    let r = s.register(PUBLIC);
    assert_eq!(r.status(), 201);
    let id = json(r)["client_id"].as_str().unwrap().to_owned();
    let code = s.code(&id, &[]);
    let tokens = json(s.form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ],
        None,
    ));
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let bearer = format!("Bearer {access}");
    assert_eq!(s.mcp(&[&bearer]).status(), 200);
    let r = s.form("/token", &[("client_id", &id), ("token", access)], None);
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "");
    assert_eq!(s.mcp(&[&bearer]).status(), 401);
    let r = s.form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &id),
            ("refresh_token", refresh),
        ],
        None,
    );
    assert_eq!(
        r.status(),
        200,
        "the refresh token outlives its access token"
    );
    assert_replays(&s);
}
