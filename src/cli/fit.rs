//! Before a live run: learn what the target accepts that the protocol leaves to the server
//! (`POST` at the authorization endpoint, a request without `scope`, `code_challenge_method` or
//! `redirect_uri`, a registration without `grant_types`), so the generated flows fit it ([`Fit`]) instead of stopping at the first
//! request it refuses. Five authorization requests from one client registered for the purpose, and one more
//! registration;
//! each finding is printed with the answer that decided it.

use oauth_oracle::coverage::describe_answer;
use oauth_oracle::generate::Fit;
use oauth_oracle::target::{HttpTarget, Target as _, wall_clock};
use oauth_oracle::{
    AuthorizeMethod, AuthorizeRequest, Event, Output, Params, RegisterRequest, s256_challenge,
};

/// The redirect URI of the probing client (the generator's own).
const REDIRECT: &str = "http://localhost:9999/cb";
/// The probes' PKCE verifier (43 characters, RFC 7636 §4.1).
const VERIFIER: &str = "oauth-oracle-fit-probe-verifier-0123456789abc";

/// Whether `out` redirected with a code (in the query or the fragment).
fn issued_code(out: &Output) -> bool {
    out.header("location").is_some_and(|l| {
        l.split_once(['?', '#']).is_some_and(|(_, q)| {
            q.split(['&', '#'])
                .any(|kv| kv.strip_prefix("code=").is_some_and(|c| !c.is_empty()))
        })
    })
}

/// Probe `target` with a client registered for `scope`; the fit and one line per finding.
/// Anything the probes cannot decide (registration refused, no code even for the plainest
/// request) keeps [`Fit::default`], and the run itself reports why it tested little.
pub(crate) fn probe(target: &mut HttpTarget, scope: &str) -> (Fit, Vec<String>) {
    // A live server fetches its own client ID metadata documents: it is never handed one.
    let mut fit = Fit {
        client_documents: false,
        ..Fit::default()
    };
    let mut notes = Vec::new();
    target.begin_flow();
    let body = serde_json::json!({
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": scope,
    });
    let Ok(reg) = target.send(
        wall_clock(),
        &Event::Register(RegisterRequest {
            body: body.to_string(),
        }),
    ) else {
        return (fit, notes);
    };
    let Some(client_id) = serde_json::from_str::<serde_json::Value>(&reg.body)
        .ok()
        .and_then(|v| v.get("client_id")?.as_str().map(str::to_owned))
    else {
        return (fit, notes);
    };
    // A registration naming no grant types, as most generated ones: does it get refresh tokens?
    let plain_body = serde_json::json!({
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        "scope": scope,
    });
    if let Ok(plain) = target.send(
        wall_clock(),
        &Event::Register(RegisterRequest {
            body: plain_body.to_string(),
        }),
    ) && let Ok(v) = serde_json::from_str::<serde_json::Value>(&plain.body)
        && let Some(grants) = v.get("grant_types").and_then(|g| g.as_array())
        && !grants.iter().any(|g| g == "refresh_token")
    {
        fit.grant_types_named = true;
        notes.push(format!(
            "fitted: every client registers for grant_types authorization_code and refresh_token (one naming none was registered for {}; RFC 7591 §2: an omitted grant_types means authorization_code only)",
            serde_json::Value::Array(grants.clone())
        ));
    }
    let challenge = s256_challenge(VERIFIER);
    // One request with everything, then each optional part left out in turn.
    let mut authorize = |method: AuthorizeMethod, without: &str| -> Option<Output> {
        let params: Vec<(&str, &str)> = [
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("scope", scope),
            ("state", "oauth-oracle-fit"),
        ]
        .into_iter()
        .filter(|(k, _)| *k != without)
        .collect();
        let event = Event::Authorize(AuthorizeRequest {
            method,
            params: Params::from_pairs(params),
        });
        target.send(wall_clock(), &event).ok()
    };
    let Some(plain) = authorize(AuthorizeMethod::Get, "") else {
        return (fit, notes);
    };
    if !issued_code(&plain) {
        return (fit, notes);
    }
    if let Some(post) = authorize(AuthorizeMethod::Post, "")
        && !issued_code(&post)
    {
        fit.authorize_post = false;
        notes.push(format!(
            "fitted: every authorization request is a GET (a POST to the authorization endpoint {}; RFC 6749 §3.1 makes POST optional)",
            describe_answer(&post)
        ));
    }
    if let Some(bare) = authorize(AuthorizeMethod::Get, "scope")
        && !issued_code(&bare)
    {
        fit.scope_required = true;
        notes.push(format!(
            "fitted: every client and authorization request names a scope (a request without one {}; RFC 6749 §3.3 lets the server fail it)",
            describe_answer(&bare)
        ));
    }
    if let Some(bare) = authorize(AuthorizeMethod::Get, "code_challenge_method")
        && !issued_code(&bare)
    {
        fit.challenge_method_required = true;
        notes.push(format!(
            "fitted: every authorization meant to yield a code says code_challenge_method=S256 (a challenge without a method {}; RFC 7636 §4.3: an absent method is plain)",
            describe_answer(&bare)
        ));
    }
    if let Some(bare) = authorize(AuthorizeMethod::Get, "redirect_uri")
        && !issued_code(&bare)
    {
        fit.redirect_uri_required = true;
        notes.push(format!(
            "fitted: every authorization meant to yield a code names its redirect_uri (a request without one {})",
            describe_answer(&bare)
        ));
    }
    if let Some(note) = probe_basic_alone(target, scope) {
        fit.basic_alone = true;
        notes.push(note);
    }
    (fit, notes)
}

/// Whether a `client_secret_basic` client must leave its id out of the form: a token request
/// naming it in both the header and the form is refused with `invalid_request` while the same
/// request with the header alone gets past client authentication (`invalid_grant` for the
/// probe's made-up code). The finding, when it is so.
fn probe_basic_alone(target: &mut HttpTarget, scope: &str) -> Option<String> {
    let body = serde_json::json!({
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": scope,
    });
    let reg = target
        .send(
            wall_clock(),
            &Event::Register(RegisterRequest {
                body: body.to_string(),
            }),
        )
        .ok()?;
    let v: serde_json::Value = serde_json::from_str(&reg.body).ok()?;
    let (id, secret) = (
        v.get("client_id")?.as_str()?,
        v.get("client_secret")?.as_str()?,
    );
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{id}:{secret}")
        )
    );
    let mut token = |with_id: bool| -> Option<Output> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", "oauth-oracle-fit-probe-code"),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ];
        if with_id {
            form.insert(1, ("client_id", id));
        }
        let event = Event::Token(oauth_oracle::TokenRequest {
            form: Params::from_pairs(form),
            authorization: Some(basic.clone()),
        });
        target.send(wall_clock(), &event).ok()
    };
    let both = token(true)?;
    let alone = token(false)?;
    (both.error_code().as_deref() == Some("invalid_request")
        && alone.error_code().as_deref() != Some("invalid_request")
        && alone.status != 401)
        .then(|| {
            format!(
                "fitted: client_secret_basic clients send their id in the Authorization header alone (with the id in the form too, a token request {}; RFC 6749 §2.3: one authentication method per request)",
                describe_answer(&both)
            )
        })
}
