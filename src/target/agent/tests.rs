//! The user agent against scripted providers (no sockets): what it follows, what it keeps in its
//! jar, when it stops, and what it says.

use super::*;
use crate::target::unanswered;

/// A scripted provider: for each request, the answer of the first rule whose path prefix
/// matches, and the requests seen (method, URL, cookie header, body).
struct Script {
    rules: Vec<(&'static str, Output, Vec<String>)>,
    seen: Vec<(String, String, Option<String>, String)>,
}

impl Script {
    fn new(rules: Vec<(&'static str, Output, Vec<String>)>) -> Self {
        Self {
            rules,
            seen: Vec::new(),
        }
    }

    fn answer(&mut self, req: &HttpRequest) -> Result<Answer, TargetError> {
        let url = Url::parse(&req.target).map_err(|e| TargetError::Transport {
            url: req.target.clone(),
            message: e.to_string(),
        })?;
        let cookie = req
            .header("cookie")
            .map(|c| String::from_utf8_lossy(c).into_owned());
        let body = match &req.body {
            RequestBody::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            RequestBody::Oversized | RequestBody::Incomplete => String::new(),
        };
        self.seen
            .push((req.method.clone(), req.target.clone(), cookie, body));
        let (_, output, set_cookie) = self
            .rules
            .iter()
            .find(|(p, _, _)| url.path().starts_with(p))
            .cloned()
            .unwrap_or(("", Output::new(404, &[], String::new()), Vec::new()));
        Ok(Answer { output, set_cookie })
    }
}

fn redirect(status: u16, to: &'static str) -> Output {
    Output::new(status, &[("location", to)], String::new())
}

fn html(body: &str) -> Output {
    Output::new(
        200,
        &[("content-type", "text/html; charset=utf-8")],
        body.to_owned(),
    )
}

fn authorize_request() -> (HttpRequest, Url) {
    let target =
        "http://127.0.0.1:9/auth?client_id=c&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb";
    let req = HttpRequest {
        method: "GET".to_owned(),
        target: target.to_owned(),
        headers: Vec::new(),
        body: RequestBody::Bytes(Vec::new()),
    };
    (req, Url::parse(target).unwrap_or_else(|e| panic!("{e}")))
}

fn run(ua: &mut UserAgent, script: &mut Script) -> Output {
    let (req, url) = authorize_request();
    ua.authorize(
        &mut |r| script.answer(r),
        req,
        url,
        Some("http://localhost:3000/cb"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// node-oidc-provider's shape: 303 to an interaction, which sets a cookie and sends the user
/// agent back to the authorization endpoint, which needs the cookie and redirects to the client.
fn interaction_provider() -> Script {
    Script::new(vec![
        (
            "/auth/abc",
            redirect(
                303,
                "http://localhost:3000/cb?code=c1&state=s&iss=http%3A%2F%2F127.0.0.1%3A9",
            ),
            Vec::new(),
        ),
        (
            "/auth",
            redirect(303, "/interaction/abc"),
            vec![
                "_interaction=abc; path=/interaction/abc; httponly".to_owned(),
                "_resume=r1; path=/auth/abc".to_owned(),
            ],
        ),
        (
            "/interaction/abc",
            redirect(303, "http://127.0.0.1:9/auth/abc"),
            vec!["_session=s1; path=/".to_owned()],
        ),
    ])
}

#[test]
fn same_origin_redirects_are_followed_with_cookies_until_the_client_redirect() {
    let mut script = interaction_provider();
    let mut ua = UserAgent::new(AgentOptions::default());
    let out = run(&mut ua, &mut script);
    assert_eq!(out.status, 303, "the last redirect's status, as received");
    assert!(
        out.header("location")
            .is_some_and(|l| l.starts_with("http://localhost:3000/cb?code=c1")),
        "{out:?}"
    );
    let note = out.header(NOTE_HEADER).unwrap_or_default();
    assert!(note.starts_with("2 hops"), "{note}");
    assert!(note.contains("303 -> GET /interaction/abc"), "{note}");
    let methods: Vec<&str> = script.seen.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(methods, ["GET", "GET", "GET"]);
    assert_eq!(
        script.seen[0].2, None,
        "a new flow's first request has no cookie"
    );
    assert_eq!(script.seen[1].2.as_deref(), Some("_interaction=abc"));
    let resume_cookies = script.seen[2].2.clone().unwrap_or_default();
    assert!(
        resume_cookies.contains("_resume=r1") && resume_cookies.contains("_session=s1"),
        "{resume_cookies}"
    );
}

#[test]
fn the_jar_lasts_one_flow() {
    let mut script = interaction_provider();
    let mut ua = UserAgent::new(AgentOptions::default());
    let _ = run(&mut ua, &mut script);
    let _ = run(&mut ua, &mut script);
    assert!(
        script.seen[3]
            .2
            .as_deref()
            .is_some_and(|c| c.contains("_session=s1")),
        "within a flow the session cookie is sent again: {:?}",
        script.seen[3]
    );
    ua.begin_flow();
    let _ = run(&mut ua, &mut script);
    assert_eq!(
        script.seen[6].2, None,
        "a new flow starts with an empty jar"
    );
}

#[test]
fn a_direct_answer_is_left_untouched() {
    let mut script = Script::new(vec![(
        "/auth",
        redirect(302, "http://localhost:3000/cb?code=c"),
        Vec::new(),
    )]);
    let out = run(&mut UserAgent::new(AgentOptions::default()), &mut script);
    assert_eq!(
        out,
        redirect(302, "http://localhost:3000/cb?code=c"),
        "no note added"
    );
    let mut error_page = Script::new(vec![(
        "/auth",
        html("<p>invalid redirect_uri</p>"),
        Vec::new(),
    )]);
    let out = run(
        &mut UserAgent::new(AgentOptions::default()),
        &mut error_page,
    );
    assert_eq!(
        out.status, 200,
        "the endpoint's own page without a form is its answer"
    );
    assert_eq!(out.header(NOTE_HEADER), None);
}

const LOGIN: &str = r#"<form method="post" action="/login/abc">
  <input type="hidden" name="csrf" value="t0k">
  <input name="username"><input type="password" name="password">
  <button type="submit">Sign in</button></form>"#;

fn login_provider() -> Script {
    Script::new(vec![
        ("/auth", redirect(302, "/login/abc"), Vec::new()),
        (
            "/login/abc/done",
            redirect(302, "http://localhost:3000/cb?code=c2"),
            Vec::new(),
        ),
        ("/login/abc", html(LOGIN), vec!["sid=1; path=/".to_owned()]),
    ])
}

#[test]
fn a_login_form_is_filled_with_the_given_fields() {
    let mut script = login_provider();
    let opts = AgentOptions {
        login_fields: vec![
            ("username".to_owned(), "alice".to_owned()),
            ("password".to_owned(), "pw&1".to_owned()),
        ],
        login_hook: None,
    };
    let mut ua = UserAgent::new(opts);
    let (req, url) = authorize_request();
    let mut posted = false;
    let out = ua
        .authorize(
            &mut |r| {
                // The form's answer: the POST redirects onward.
                if r.method == "POST" {
                    posted = true;
                    let mut a = script.answer(r)?;
                    a.output = redirect(302, "/login/abc/done");
                    return Ok(a);
                }
                script.answer(r)
            },
            req,
            url,
            Some("http://localhost:3000/cb"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(posted);
    assert_eq!(
        out.header("location"),
        Some("http://localhost:3000/cb?code=c2")
    );
    let post = script
        .seen
        .iter()
        .find(|s| s.0 == "POST")
        .cloned()
        .unwrap_or_default();
    assert_eq!(post.1, "http://127.0.0.1:9/login/abc");
    assert_eq!(
        post.2.as_deref(),
        Some("sid=1"),
        "the page's cookie goes with the form"
    );
    assert_eq!(post.3, "csrf=t0k&username=alice&password=pw%261");
    let note = out.header(NOTE_HEADER).unwrap_or_default();
    assert!(
        note.contains("200 form -> POST /login/abc (csrf, username, password)"),
        "{note}"
    );
    assert!(!note.contains("pw"), "no field value in the note: {note}");
}

#[test]
fn a_login_page_without_fields_is_no_answer_and_says_what_to_pass() {
    let mut script = login_provider();
    let out = run(&mut UserAgent::new(AgentOptions::default()), &mut script);
    let why = unanswered(&out).unwrap_or_default();
    assert!(
        why.contains(
            "login page at http://127.0.0.1:9/login/abc needs --login-field or --login-hook"
        ),
        "{why}"
    );
    assert!(why.contains("[csrf, username, password]"), "{why}");
}

#[test]
fn redirect_loops_stop_after_the_hop_limit() {
    let mut script = Script::new(vec![("/", redirect(302, "/again"), Vec::new())]);
    let out = run(&mut UserAgent::new(AgentOptions::default()), &mut script);
    let why = unanswered(&out).unwrap_or_default();
    assert!(
        why.contains(&format!("stopped after {MAX_HOPS} redirects")),
        "{why}"
    );
    assert_eq!(script.seen.len(), MAX_HOPS + 1);
}

#[test]
fn a_redirect_to_the_client_on_the_same_origin_is_the_answer() {
    let mut script = Script::new(vec![(
        "/auth",
        redirect(302, "http://127.0.0.1:9/cb?code=x"),
        Vec::new(),
    )]);
    let (req, url) = authorize_request();
    let out = UserAgent::new(AgentOptions::default())
        .authorize(
            &mut |r| script.answer(r),
            req,
            url,
            Some("http://127.0.0.1:9/cb"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status, 302);
    assert_eq!(
        script.seen.len(),
        1,
        "not followed: it is the client's redirect URI"
    );
}
