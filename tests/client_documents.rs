//! Client ID metadata documents (the MCP authorization specification 2025-11-25, "Client ID
//! Metadata Documents"): the model validates and caches the documents its caller fetched
//! (`oauth21`), or has none (`fastmcp`); the checker's `client-document-id-is-url` judges the
//! codes issued to a document's URL.
#![allow(clippy::unwrap_used)]

mod common;

use common::VERIFIER;
use common::answers::{has, json_out, pairs, random};
use common::checked::{Checked, expectations};
use oauth_oracle::invariant::Violation;
use oauth_oracle::{
    AuthServer, AuthorizeMethod, AuthorizeRequest, ClientDocument, Config, Event, Output, Params,
    Profile, TokenRequest, UnixMillis, s256_challenge,
};
use serde_json::{Value, json};

const URL: &str = "https://client.example/oauth/metadata.json";
const CB: &str = "http://localhost:9999/cb";
const AT: UnixMillis = UnixMillis(1_795_680_000_000);

fn document(client_id: &str) -> String {
    json!({"client_id": client_id, "client_name": "c", "redirect_uris": [CB],
           "token_endpoint_auth_method": "none"})
    .to_string()
}

fn fetched(status: u16, body: &str) -> Event {
    Event::ClientDocument(ClientDocument {
        url: URL.to_owned(),
        status,
        body: body.to_owned(),
    })
}

fn authorize_params() -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".to_owned()),
        ("client_id", URL.to_owned()),
        ("code_challenge", s256_challenge(VERIFIER)),
        ("code_challenge_method", "S256".to_owned()),
        ("redirect_uri", CB.to_owned()),
        ("state", "st".to_owned()),
    ]
}

fn model_authorize(server: AuthServer) -> (AuthServer, Output) {
    let p = authorize_params();
    server.step(
        AT,
        Event::Authorize(AuthorizeRequest {
            method: AuthorizeMethod::Get,
            params: Params::from_pairs(p.iter().map(|(k, v)| (*k, v.as_str()))),
        }),
    )
}

fn code_of(out: &Output) -> Option<String> {
    let location = out.header("location")?;
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
}

fn error_of(out: &Output) -> (String, String) {
    let v: Value = serde_json::from_str(&out.body).unwrap();
    (
        v["error"].as_str().unwrap_or_default().to_owned(),
        v["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn server(profile: Profile) -> AuthServer {
    AuthServer::new(Config::for_profile(&profile), profile).unwrap()
}

/// `oauth21` advertises document support, caches a document that names its URL, and serves
/// its client as a public one: a code, then tokens with no secret.
#[test]
fn oauth21_serves_the_client_a_valid_document_describes() {
    let s = server(Profile::oauth21());
    let (s, meta) = s.step(AT, Event::AuthorizationServerMetadata);
    let meta: Value = serde_json::from_str(&meta.body).unwrap();
    assert_eq!(meta["client_id_metadata_document_supported"], true);
    let (s, out) = s.step(AT, fetched(200, &document(URL)));
    assert_eq!(out.status, 204, "{}", out.body);
    let (s, out) = model_authorize(s);
    let code = code_of(&out).unwrap_or_else(|| panic!("{out:?}"));
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", URL),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
    ];
    let (_, out) = s.step(
        AT,
        Event::Token(TokenRequest {
            form: Params::from_pairs(form),
            authorization: None,
        }),
    );
    assert_eq!(out.status, 200, "{}", out.body);
}

/// "The authorization server MUST NOT cache error responses. The authorization server also MUST
/// NOT cache documents which are invalid or malformed." (the draft, "Metadata Caching"): each
/// refused document is `invalid_client`, forgets the client an earlier one described, and the
/// authorization request says why.
#[test]
fn oauth21_refuses_and_forgets_a_bad_document() {
    for (status, body, why) in [
        (
            200,
            document("https://client.example/other.json"),
            "names client_id",
        ),
        (404, String::new(), "HTTP 404"),
        (200, "[1]".to_owned(), "not a JSON object"),
        (200, json!({"client_id": URL}).to_string(), "no client_name"),
        (
            200,
            format!("{:5121}", document(URL)),
            "larger than 5120 bytes",
        ),
        (
            200,
            json!({"client_id": URL, "client_name": "c", "redirect_uris": ["javascript:x"]})
                .to_string(),
            "redirect_uris.0",
        ),
    ] {
        let s = server(Profile::oauth21());
        let (s, out) = s.step(AT, fetched(200, &document(URL)));
        assert_eq!(out.status, 204);
        let (s, out) = s.step(AT, fetched(status, &body));
        assert_eq!(out.status, 400, "{why}");
        let (error, description) = error_of(&out);
        assert_eq!(error, "invalid_client", "{why}");
        assert!(description.contains(why), "{why}: {description}");
        let (_, out) = model_authorize(s);
        assert!(code_of(&out).is_none(), "{why}: {out:?}");
        assert!(error_of(&out).1.contains(why), "{why}: {}", out.body);
    }
}

/// FastMCP 4.2.3 has no documents: none is cached, and a URL client id is an unknown client.
#[test]
fn fastmcp_has_no_client_documents() {
    let s = server(Profile::fastmcp());
    let (s, out) = s.step(AT, fetched(200, &document(URL)));
    assert_eq!(out.status, 404);
    let (_, out) = model_authorize(s);
    assert!(code_of(&out).is_none(), "{out:?}");
    assert_eq!(
        error_of(&out).1,
        format!("Client ID '{URL}' not found"),
        "{}",
        out.body
    );
}

/// The checker: a code for a document's URL whose document names another `client_id` breaks
/// the MCP specification's "MUST validate that the fetched document's `client_id` matches the
/// URL exactly"; a code for a matching one, or a refusal of the mismatching one, keeps it.
#[test]
fn a_code_for_a_mismatched_document_is_a_violation() {
    let mut run = Checked::new(expectations("http://127.0.0.1:28800", Some(86_400), true));
    let authorize = |run: &mut Checked, answer: Output| -> Vec<Violation> {
        let p = authorize_params();
        let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run.authorize(pairs(&p), answer)
    };
    assert!(
        run.send(fetched(200, &document(URL)), json_out(204, json!({})))
            .is_empty()
    );
    assert!(run.code(URL, Some(CB), &random("c1")).is_empty());
    assert_eq!(run.checks("client-document-id-is-url"), 1);
    let other = document("https://client.example/other.json");
    assert!(
        run.send(fetched(200, &other), json_out(400, json!({})))
            .is_empty()
    );
    let v = authorize(&mut run, json_out(400, json!({"error": "invalid_request"})));
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(run.checks("client-document-id-is-url"), 2);
    let v = run.code(URL, Some(CB), &random("c2"));
    assert!(has(&v, "client-document-id-is-url"), "{v:?}");
}

/// `audit --client-document URL=FILE`: a malformed flag, a URL that is no https one, a file
/// that cannot be read and one over 64 KiB are each refused before anything is sent (exit 2),
/// naming what is wrong.
#[test]
fn a_bad_client_document_flag_names_what_is_wrong() {
    let dir =
        std::env::temp_dir().join(format!("oauth-oracle-test-{}-docflag", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.json");
    std::fs::write(&big, " ".repeat(64 * 1024 + 1)).unwrap();
    let missing = dir.join("missing.json");
    for (flag, said) in [
        ("no-equals-sign".to_owned(), "expected URL=FILE".to_owned()),
        (
            format!("http://client.example/c.json={}", big.display()),
            "is https".to_owned(),
        ),
        (
            format!("https://client.example/c.json={}", missing.display()),
            missing.display().to_string(),
        ),
        (
            format!("https://client.example/c.json={}", big.display()),
            "larger than 65536 bytes".to_owned(),
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
            .args([
                "audit",
                "--target",
                "http://127.0.0.1:9",
                "--client-document",
                &flag,
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(&said), "{flag}: {stderr}");
    }
}
