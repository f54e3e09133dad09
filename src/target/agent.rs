//! The user agent at a live server's authorization endpoint: what a browser does between the
//! client's authorization request and the redirect back to the client.
//!
//! Real servers do not answer an authorization request with the client's redirect at once: they
//! redirect to their own login and consent pages first (node-oidc-provider: `303` to
//! `/interaction/…` and back to `/auth/…`), keeping the interaction in cookies. The agent follows
//! every redirect that stays on the authorization endpoint's origin, with a cookie jar, and fills
//! a login form when given `--login-field`s ([`super::login`]), until a redirect leaves that
//! origin or goes to the request's `redirect_uri`: that redirect, with its status as received
//! (`302`, `303`: [RFC 6749 §1.7](https://www.rfc-editor.org/rfc/rfc6749#section-1.7) allows
//! "any other method available via the user-agent"), is the answer to the authorization request.
//! At most [`MAX_HOPS`] requests are made after the first. `--login-hook` replaces all of it with
//! an external program ([`super::hook`]).
//!
//! The jar lives for one flow ([`UserAgent::begin_flow`]): a flow's requests, and so the
//! provider's answers, never depend on which flows ran before it. Only the agent's requests carry
//! cookies, never the client's back-channel requests (token, revocation, resource).

use cookie_store::CookieStore;
use url::Url;

use super::login::{self, Page};
use super::{NOTE_HEADER, TargetError};
use crate::http::{HttpRequest, RequestBody};
use crate::output::Output;

/// The most requests the agent makes after the authorization request itself.
pub const MAX_HOPS: usize = 10;

/// What the agent answers `--login-field` and `--login-hook` with.
#[derive(Clone, Default)]
pub struct AgentOptions {
    /// `--login-field name=value`, in order (values are secrets: not shown by `Debug`).
    pub login_fields: Vec<(String, String)>,
    /// `--login-hook CMD`.
    pub login_hook: Option<String>,
}

impl std::fmt::Debug for AgentOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.login_fields.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("AgentOptions")
            .field("login_fields", &names)
            .field("login_hook", &self.login_hook)
            .finish()
    }
}

/// Parse `--login-field name=value`.
pub fn parse_login_field(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err("expected name=value (the form input's name, then its value)".to_owned()),
    }
}

/// One answer as the transport got it: the output, and every `Set-Cookie` value.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// The answer.
    pub(crate) output: Output,
    /// Its `Set-Cookie` header values, in order.
    pub(crate) set_cookie: Vec<String>,
}

/// The agent: its options and the current flow's cookies.
pub(crate) struct UserAgent {
    opts: AgentOptions,
    jar: CookieStore,
}

impl std::fmt::Debug for UserAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserAgent")
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

/// Whether `status` redirects the user agent.
fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The path and query of `url`, for the hop log (no scheme or host: those are the target's).
fn short(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{}", url.path(), crate::diff::abbreviate(q)),
        None => url.path().to_owned(),
    }
}

/// Whether `next` is the client's redirect URI `redirect_uri` (scheme, host, port and path).
fn is_client_redirect(next: &Url, redirect_uri: Option<&str>) -> bool {
    redirect_uri
        .and_then(|r| Url::parse(r).ok())
        .is_some_and(|r| {
            r.scheme() == next.scheme()
                && r.host_str() == next.host_str()
                && r.port_or_known_default() == next.port_or_known_default()
                && r.path() == next.path()
        })
}

impl UserAgent {
    pub(crate) fn new(opts: AgentOptions) -> Self {
        Self {
            opts,
            jar: CookieStore::new(),
        }
    }

    /// An agent with the same options and no cookies (for another worker).
    pub(crate) fn fresh(&self) -> Self {
        Self::new(self.opts.clone())
    }

    /// A new flow: forget every cookie.
    pub(crate) fn begin_flow(&mut self) {
        self.jar.clear();
    }

    /// Whether a login hook replaces the built-in agent.
    pub(crate) fn hook(&self) -> Option<&str> {
        self.opts.login_hook.as_deref()
    }

    /// Send `req` (a request to `url`) with the jar's cookies for `url`; keep the cookies set.
    fn send_with_jar(
        &mut self,
        send: &mut dyn FnMut(&HttpRequest) -> Result<Answer, TargetError>,
        mut req: HttpRequest,
        url: &Url,
    ) -> Result<Output, TargetError> {
        let cookies: Vec<String> = self
            .jar
            .get_request_values(url)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !cookies.is_empty() {
            req.headers
                .push(("cookie".to_owned(), cookies.join("; ").into_bytes()));
        }
        let answer = send(&req)?;
        for c in &answer.set_cookie {
            // A cookie the jar refuses (bad domain, bad syntax) is one a browser drops too.
            let _ = self.jar.parse(c, url);
        }
        Ok(answer.output)
    }

    /// Run the authorization request `req` (to `url`, for a client whose `redirect_uri` is
    /// given, if any) to its end: the answer that leaves the provider for the client, with the
    /// hops in [`NOTE_HEADER`]; or, when the agent cannot go on (a login page and no
    /// `--login-field` for it, too many hops, a form leaving the origin), an unanswered output
    /// (status 0, see [`super::unanswered`]) saying why.
    pub(crate) fn authorize(
        &mut self,
        send: &mut dyn FnMut(&HttpRequest) -> Result<Answer, TargetError>,
        req: HttpRequest,
        url: Url,
        redirect_uri: Option<&str>,
    ) -> Result<Output, TargetError> {
        let origin = url.origin();
        let mut hops: Vec<String> = Vec::new();
        let mut current = url;
        let mut out = self.send_with_jar(send, req, &current)?;
        let stop: String = loop {
            if is_redirect(out.status) {
                let Some(next) = out.header("location").and_then(|l| current.join(l).ok()) else {
                    break String::new();
                };
                if next.origin() != origin || is_client_redirect(&next, redirect_uri) {
                    break String::new();
                }
                if hops.len() >= MAX_HOPS {
                    break format!(
                        "stopped after {MAX_HOPS} redirects within {}",
                        origin.ascii_serialization()
                    );
                }
                hops.push(format!("{} -> GET {}", out.status, short(&next)));
                let req = HttpRequest {
                    method: "GET".to_owned(),
                    target: next.as_str().to_owned(),
                    headers: Vec::new(),
                    body: RequestBody::Bytes(Vec::new()),
                };
                current = next;
                out = self.send_with_jar(send, req, &current)?;
                continue;
            }
            if out.status != 200 || !login::is_html(out.header("content-type")) {
                break String::new();
            }
            // The page without its query, so that the same page on every flow is one reason.
            let mut page = current.clone();
            page.set_query(None);
            match login::fill(&out.body, &current, &self.opts.login_fields) {
                Page::Form(form) => {
                    if form.url.origin() != origin {
                        break format!(
                            "the login form at {page} posts to another origin ({}): not submitted",
                            form.url.origin().ascii_serialization()
                        );
                    }
                    if hops.len() >= MAX_HOPS {
                        break format!(
                            "stopped after {MAX_HOPS} requests within {}",
                            origin.ascii_serialization()
                        );
                    }
                    hops.push(format!(
                        "200 form -> {} {} ({})",
                        form.method,
                        short(&form.url),
                        form.names.join(", ")
                    ));
                    let mut headers = Vec::new();
                    if form.method == "POST" {
                        headers.push((
                            "content-type".to_owned(),
                            b"application/x-www-form-urlencoded".to_vec(),
                        ));
                    }
                    let req = HttpRequest {
                        method: form.method.to_owned(),
                        target: form.url.as_str().to_owned(),
                        headers,
                        body: RequestBody::Bytes(form.body),
                    };
                    current = form.url;
                    out = self.send_with_jar(send, req, &current)?;
                }
                Page::NoMatchingForm { forms } => {
                    let given: Vec<&str> = self
                        .opts
                        .login_fields
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect();
                    let inputs: Vec<String> = forms
                        .iter()
                        .map(|f| format!("[{}]", f.join(", ")))
                        .collect();
                    break if given.is_empty() {
                        format!(
                            "login page at {page} needs --login-field or --login-hook (its forms' inputs: {})",
                            inputs.join(" ")
                        )
                    } else {
                        format!(
                            "login page at {page} has no form with an input named {} (its forms' inputs: {})",
                            given.join(" or "),
                            inputs.join(" ")
                        )
                    };
                }
                // The authorization endpoint's own page without a form is its answer (an error
                // page); past a redirect it is a page the agent cannot get through.
                Page::NoForm if hops.is_empty() => break String::new(),
                Page::NoForm => {
                    break format!("page at {page} has no form (login needs --login-hook)");
                }
            }
        };
        if hops.is_empty() && stop.is_empty() {
            return Ok(out);
        }
        let log = hops.join("; ");
        if stop.is_empty() {
            let left = format!(
                "{} hops; {log}; {} left the provider",
                hops.len(),
                out.status
            );
            return Ok(out.with_header(NOTE_HEADER, left));
        }
        // The hops are not listed: their paths carry per-request values, and this note is the
        // reason the coverage groups unanswered steps by.
        let mut note = format!("no answer: {stop}");
        if !hops.is_empty() {
            note.push_str(&format!(" (after {} hops)", hops.len()));
        }
        Ok(Output::new(0, &[], String::new()).with_header(NOTE_HEADER, note))
    }
}

#[cfg(test)]
mod tests;
