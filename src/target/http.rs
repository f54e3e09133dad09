//! A real server over HTTP: events become requests through the same mapping `serve` decodes
//! with ([`crate::http::to_request_at`]), each sent to the endpoint the provider's metadata names
//! ([`HttpTarget::discover`]). The transport follows no redirect (`Location` is read); at the
//! authorization endpoint the user agent ([`super::agent`]) follows the provider's own, and a
//! `Resource` event goes where the token probe ([`super::probe`]) says.

use std::io::Read as _;
use std::time::Duration;

use url::Url;

use super::agent::{AgentOptions, Answer, UserAgent};
use super::clients::{PreClient, answer_with, requested_method, usable_registration};
use super::endpoints::{EndpointKind, Endpoints, MetadataSource};
use super::probe::{ResourceProbe, bearer, introspection_output, introspection_request};
use super::{NOTE_HEADER, Target, TargetError, hook};
use crate::event::Event;
use crate::http::{HttpRequest, RequestBody, Routes, to_request_at};
use crate::output::Output;
use crate::time::UnixMillis;

/// Why a client ID metadata document is never sent to a live target: it is what the server
/// fetches, not a request of the client's, and a live server fetches its own.
const CLIENT_DOCUMENT_NOT_SENT: &str = "a client ID metadata document is the server's own fetch, not a request: a live target is not sent it";

/// The headers compared with the model's (the rest — date, server, content-length — are the
/// transport's).
const KEPT: &[&str] = &[
    "location",
    "cache-control",
    "pragma",
    "content-type",
    "www-authenticate",
];

/// The most of one response body that is read (1 MiB). A longer body is not read further: the
/// answer's body becomes [`body_too_large`]'s text, a divergence like any other.
pub const MAX_BODY: u64 = 1024 * 1024;

/// The body recorded for an answer whose body went over [`MAX_BODY`].
pub fn body_too_large() -> String {
    format!("<body too large: over {MAX_BODY} bytes, not read further>")
}

/// Check a `--target` base URL: `http[s]://host[:port][/path]`. Names the URL and says what to do.
pub fn check_base_url(base_url: &str) -> Result<(), TargetError> {
    let bad = |message: String| TargetError::BadUrl {
        url: base_url.to_owned(),
        message,
    };
    if !base_url.contains("://") {
        return Err(bad(format!(
            "has no scheme: use http://{}",
            base_url.trim_start_matches('/')
        )));
    }
    let url = Url::parse(base_url).map_err(|e| bad(format!("is not a URL: {e}")))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(bad(format!(
                "uses scheme {other}, which is not supported: use http:// or https://"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host".to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "has a query or fragment, which a base URL cannot have".to_owned()
        ));
    }
    Ok(())
}

/// The HTTP client: no redirect followed (the user agent follows them itself), every status an
/// answer, 30 s at most per request.
/// For `https`, the server's certificate must chain to Mozilla's roots, or to `ca` when given
/// (`--ca-cert`: a private CA, as a test server or a company's internal one uses).
fn http_agent(ca: Option<&CaCerts>) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)));
    if let Some(ca) = ca {
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(ca.clone()))
                .build(),
        );
    }
    config.build().into()
}

/// The certificates of `--ca-cert`.
type CaCerts = std::sync::Arc<Vec<ureq::tls::Certificate<'static>>>;

/// The CA certificates in PEM text `pem` (read from `path`, named in the error).
pub fn parse_ca_certs(path: &str, pem: &[u8]) -> Result<CaCerts, TargetError> {
    let bad = |message: String| TargetError::CaCert {
        path: path.to_owned(),
        message,
    };
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        // Private keys and anything else in the file are not certificates to trust.
        if let ureq::tls::PemItem::Certificate(c) =
            item.map_err(|e| bad(format!("is not PEM: {e}")))?
        {
            certs.push(c);
        }
    }
    if certs.is_empty() {
        return Err(bad("holds no CERTIFICATE block".to_owned()));
    }
    Ok(std::sync::Arc::new(certs))
}

/// A live server at a base URL.
pub struct HttpTarget {
    base_url: String,
    mcp_path: String,
    endpoints: Endpoints,
    routes: Routes,
    client: ureq::Agent,
    user_agent: UserAgent,
    probe: ResourceProbe,
    /// Requests sent so far.
    pub requests: u64,
    /// Time spent waiting for the provider.
    pub wait: Duration,
    /// The metadata document [`HttpTarget::discover`] found (`Null` when none).
    metadata: serde_json::Value,
    /// Pre-registered clients (`--client`): registrations are answered with them, not sent.
    clients: Vec<PreClient>,
    /// The next of `clients` a registration gets in this flow.
    next_client: usize,
    /// A registration gets only a client with the `token_endpoint_auth_method` it asks for,
    /// one not yet given in this flow ([`HttpTarget::matching_client_methods`]).
    match_methods: bool,
    /// The clients given in this flow (with `match_methods`).
    given: Vec<bool>,
    /// The private CA `https` certificates must chain to (`--ca-cert`), if any.
    ca: Option<CaCerts>,
    /// The client ID metadata documents the target fetches itself, URL → body
    /// (`--client-document`): handing one of these over sends nothing.
    documents: std::collections::BTreeMap<String, String>,
}

impl std::fmt::Debug for HttpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTarget")
            .field("base_url", &self.base_url)
            .field("mcp_path", &self.mcp_path)
            .field("endpoints", &self.endpoints)
            .field("user_agent", &self.user_agent)
            .field("probe", &self.probe)
            .finish_non_exhaustive()
    }
}

impl HttpTarget {
    /// A target at `base_url`, checked first by [`check_base_url`].
    pub fn checked(base_url: &str, mcp_path: &str) -> Result<Self, TargetError> {
        check_base_url(base_url)?;
        Ok(Self::new(base_url, mcp_path))
    }

    /// A target at `base_url` (e.g. `http://127.0.0.1:8765`) whose MCP resource is at `mcp_path`.
    /// Until [`HttpTarget::discover`] runs, its endpoints are FastMCP's paths.
    pub fn new(base_url: &str, mcp_path: &str) -> Self {
        let client = http_agent(None);
        let base = base_url.trim_end_matches('/').to_owned();
        Self {
            endpoints: Endpoints::fastmcp(&base, "not discovered yet".to_owned()),
            routes: Routes::fastmcp(&base, mcp_path),
            base_url: base,
            mcp_path: mcp_path.to_owned(),
            client,
            user_agent: UserAgent::new(AgentOptions::default()),
            probe: ResourceProbe::Mcp,
            requests: 0,
            wait: Duration::ZERO,
            metadata: serde_json::Value::Null,
            clients: Vec::new(),
            next_client: 0,
            match_methods: false,
            given: Vec::new(),
            ca: None,
            documents: std::collections::BTreeMap::new(),
        }
    }

    /// The same target for another worker running flows at the same time (`--jobs`): the same
    /// endpoints, options and clients, its own connections and cookie jar, its own counts.
    pub fn fork(&self) -> Self {
        Self {
            base_url: self.base_url.clone(),
            mcp_path: self.mcp_path.clone(),
            endpoints: self.endpoints.clone(),
            routes: self.routes.clone(),
            client: http_agent(self.ca.as_ref()),
            user_agent: self.user_agent.fresh(),
            probe: self.probe.clone(),
            requests: 0,
            wait: Duration::ZERO,
            metadata: self.metadata.clone(),
            clients: self.clients.clone(),
            next_client: 0,
            match_methods: self.match_methods,
            given: Vec::new(),
            ca: self.ca.clone(),
            documents: self.documents.clone(),
        }
    }

    /// The client ID metadata documents the target fetches itself, `(URL, body)`
    /// (`--client-document`): a `client_document` step naming one of them is answered here,
    /// with nothing sent (`204` and a note); any other is not sent.
    pub fn with_client_documents(mut self, documents: &[(String, String)]) -> Self {
        self.documents = documents.iter().cloned().collect();
        self
    }

    /// Whether the target fetches `url` itself and gets `body`.
    fn hosts(&self, url: &str, body: &str) -> bool {
        self.documents.get(url).is_some_and(|b| b == body)
    }

    /// Trust `ca` (and only it) for `https` (`--ca-cert`).
    pub fn with_ca(mut self, ca: CaCerts) -> Self {
        self.client = http_agent(Some(&ca));
        self.ca = Some(ca);
        self
    }

    /// Add a fork's request count and waiting time to this target's.
    pub fn absorb(&mut self, fork: &Self) {
        self.requests += fork.requests;
        self.wait += fork.wait;
    }

    /// Use `clients`, registered with the server beforehand, instead of dynamic registration:
    /// in each flow the usable registrations get them in turn (round robin), and no
    /// registration is sent (`target::clients`).
    pub fn with_clients(mut self, clients: Vec<PreClient>) -> Self {
        self.clients = clients;
        self
    }

    /// Give a registration only a pre-registered client with the `token_endpoint_auth_method`
    /// it asks for and not yet given in the flow, and send none where there is no such client:
    /// what `diff` and `replay --target` need, whose model registers a new client of the method
    /// asked for at each registration (two registrations, two clients) and whose later steps
    /// authenticate by it.
    pub fn matching_client_methods(mut self) -> Self {
        self.match_methods = true;
        self
    }

    /// Whether registrations are answered by pre-registered clients.
    pub fn pre_registered(&self) -> bool {
        !self.clients.is_empty()
    }

    /// The pre-registered client registration `event` gets: the next one in turn (with
    /// [`HttpTarget::matching_client_methods`], the next with the method it asks for).
    fn client_for(&self, event: &Event) -> Option<usize> {
        let n = self.clients.len();
        let wanted = requested_method(event);
        (0..n).map(|k| (self.next_client + k) % n).find(|&i| {
            !self.match_methods
                || (wanted.as_deref() == Some(&self.clients[i].method)
                    && !self.given.get(i).copied().unwrap_or(false))
        })
    }

    /// The metadata document [`HttpTarget::discover`] found (`Null` before, or when none).
    pub fn metadata(&self) -> &serde_json::Value {
        &self.metadata
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The endpoints requests are sent to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The user agent's `--login-field`s and `--login-hook`.
    pub fn with_agent(mut self, opts: AgentOptions) -> Self {
        self.user_agent = UserAgent::new(opts);
        self
    }

    /// Where `Resource` events' tokens are shown (`--resource`, `--introspection`). A
    /// `--resource URL` must be `http://`, like the target.
    pub fn with_probe(mut self, probe: ResourceProbe) -> Result<Self, TargetError> {
        if let ResourceProbe::Url(u) = &probe {
            check_resource_url(u)?;
            self.routes.resource = u.clone();
        }
        self.probe = probe;
        Ok(self)
    }

    /// The protected resource tokens are shown to (the MCP endpoint, or `--resource URL`), or
    /// `None` when they are shown to the introspection endpoint.
    pub fn protected_resource(&self) -> Option<&str> {
        match &self.probe {
            ResourceProbe::Mcp | ResourceProbe::Url(_) => Some(&self.routes.resource),
            ResourceProbe::Introspection { .. } => None,
        }
    }

    /// Where the token probe shows tokens, for reports: the protected resource's URL, or
    /// `introspection at URL`.
    pub fn resource_url(&self) -> String {
        match &self.probe {
            ResourceProbe::Mcp | ResourceProbe::Url(_) => self.routes.resource.clone(),
            ResourceProbe::Introspection { .. } => format!(
                "introspection at {}",
                self.endpoints
                    .url(EndpointKind::Introspection)
                    .unwrap_or("(no introspection_endpoint)")
            ),
        }
    }

    /// Discover the provider: its authorization-server metadata
    /// ([RFC 8414 §3](https://www.rfc-editor.org/rfc/rfc8414#section-3)) at
    /// `/.well-known/oauth-authorization-server`, or, where that is absent or not a JSON object,
    /// its OpenID configuration at `/.well-known/openid-configuration`. A document found must
    /// have an `issuer`; every request is then sent to the endpoint it names (see
    /// [`Endpoints::from_metadata`]), and a step whose endpoint it does not name is not sent.
    /// With neither document, FastMCP's paths are assumed ([`Endpoints::describe_source`] says
    /// so) and `Value::Null` is returned.
    pub fn discover(&mut self) -> Result<serde_json::Value, TargetError> {
        let rfc = format!("{}/.well-known/oauth-authorization-server", self.base_url);
        let oidc = format!("{}/.well-known/openid-configuration", self.base_url);
        let (endpoints, found) = match self.metadata_at(&rfc)? {
            Ok(v) => (
                self.named_by(&v, MetadataSource::Rfc8414 { url: rfc.clone() })?,
                v,
            ),
            Err(rfc_why) => match self.metadata_at(&oidc)? {
                Ok(v) => {
                    let source = MetadataSource::OpenidConfiguration {
                        url: oidc.clone(),
                        rfc8414: rfc_why,
                    };
                    (self.named_by(&v, source)?, v)
                }
                Err(oidc_why) => (
                    Endpoints::fastmcp(
                        &self.base_url,
                        format!("{rfc}: {rfc_why}; {oidc}: {oidc_why}"),
                    ),
                    serde_json::Value::Null,
                ),
            },
        };
        let mut routes = Routes::fastmcp(&self.base_url, &self.mcp_path);
        endpoints.apply(&mut routes);
        if let ResourceProbe::Url(u) = &self.probe {
            routes.resource = u.clone();
        }
        self.endpoints = endpoints;
        self.routes = routes;
        self.metadata = found.clone();
        Ok(found)
    }

    /// The endpoints `metadata` from `source` names; it must have an `issuer`.
    fn named_by(
        &self,
        metadata: &serde_json::Value,
        source: MetadataSource,
    ) -> Result<Endpoints, TargetError> {
        if metadata.get("issuer").and_then(|i| i.as_str()).is_none() {
            let url = match &source {
                MetadataSource::Rfc8414 { url }
                | MetadataSource::OpenidConfiguration { url, .. } => url.clone(),
                MetadataSource::None { .. } => self.base_url.clone(),
            };
            return Err(TargetError::Discovery {
                url,
                message: "no issuer".to_owned(),
            });
        }
        Endpoints::from_metadata(&self.base_url, source, metadata)
    }

    /// GET `url`: `Ok(Ok(document))` for a 200 JSON object, `Ok(Err(what it was))` otherwise;
    /// `Err` only when the provider cannot be reached.
    fn metadata_at(&mut self, url: &str) -> Result<Result<serde_json::Value, String>, TargetError> {
        let out = self.exchange(&HttpRequest {
            method: "GET".to_owned(),
            target: url.to_owned(),
            headers: vec![("accept".to_owned(), b"application/json".to_vec())],
            body: RequestBody::Bytes(Vec::new()),
        })?;
        if out.status != 200 {
            return Ok(Err(format!("HTTP {}", out.status)));
        }
        Ok(match serde_json::from_str::<serde_json::Value>(&out.body) {
            Ok(v @ serde_json::Value::Object(_)) => Ok(v),
            Ok(_) => Err("HTTP 200, JSON but not an object".to_owned()),
            Err(e) => Err(format!("HTTP 200, not JSON: {e}")),
        })
    }

    /// Send one request; read at most [`MAX_BODY`] + 1 bytes of the answer.
    fn exchange(&mut self, req: &HttpRequest) -> Result<Output, TargetError> {
        let mut io = Io {
            client: &self.client,
            base_url: &self.base_url,
            requests: &mut self.requests,
            wait: &mut self.wait,
        };
        Ok(io.exchange(req)?.output)
    }

    /// The authorization request `req` as the user agent (or the login hook) runs it.
    fn authorize(
        &mut self,
        req: HttpRequest,
        redirect_uri: Option<&str>,
    ) -> Result<Output, TargetError> {
        let url = absolute(&self.base_url, &req.target);
        if let Some(cmd) = self.user_agent.hook() {
            let mut full = url.clone();
            if req.method == "POST"
                && let RequestBody::Bytes(b) = &req.body
            {
                full.push(if full.contains('?') { '&' } else { '?' });
                full.push_str(&String::from_utf8_lossy(b));
            }
            return Ok(match hook::run(cmd, &full) {
                Ok(location) => Output::new(302, &[], String::new())
                    .with_header("location", location)
                    .with_header(
                        NOTE_HEADER,
                        "login hook printed this redirect (a 302 standing for it)",
                    ),
                Err(why) => Output::new(0, &[], String::new())
                    .with_header(NOTE_HEADER, format!("no answer: {why}")),
            });
        }
        let parsed = Url::parse(&url).map_err(|e| TargetError::Transport {
            url: url.clone(),
            message: e.to_string(),
        })?;
        let mut io = Io {
            client: &self.client,
            base_url: &self.base_url,
            requests: &mut self.requests,
            wait: &mut self.wait,
        };
        self.user_agent
            .authorize(&mut |r| io.exchange(r), req, parsed, redirect_uri)
    }

    /// A `Resource` event through the token probe.
    fn resource(&mut self, event: &Event, authorization: &[String]) -> Result<Output, TargetError> {
        let (id, secret) = match &self.probe {
            ResourceProbe::Mcp => {
                let req = to_request_at(event, &self.routes);
                return self.exchange(&req);
            }
            ResourceProbe::Url(url) => {
                // Any protected resource: a plain GET with the event's Authorization headers
                // (the MCP endpoint's POST of an initialize request is for MCP servers only).
                let mut headers: Vec<(String, Vec<u8>)> = authorization
                    .iter()
                    .map(|a| ("authorization".to_owned(), a.clone().into_bytes()))
                    .collect();
                headers.push(("accept".to_owned(), b"application/json".to_vec()));
                let req = HttpRequest {
                    method: "GET".to_owned(),
                    target: url.clone(),
                    headers,
                    body: RequestBody::Bytes(Vec::new()),
                };
                return self.exchange(&req);
            }
            ResourceProbe::Introspection { id, secret } => (id.clone(), secret.clone()),
        };
        let Some(endpoint) = self.endpoints.url(EndpointKind::Introspection) else {
            return Err(TargetError::NotSent {
                reason: "no introspection_endpoint in metadata".to_owned(),
            });
        };
        let Some(token) = bearer(authorization) else {
            return Ok(Output::new(0, &[], String::new()).with_header(
                NOTE_HEADER,
                "no answer: no bearer token to introspect (--introspection)",
            ));
        };
        let req = introspection_request(endpoint, &id, &secret, token);
        let answer = self.exchange(&req)?;
        Ok(introspection_output(&answer))
    }
}

/// `target` (origin-form or absolute) as an absolute URL below `base_url`.
fn absolute(base_url: &str, target: &str) -> String {
    if target.starts_with("http") {
        target.to_owned()
    } else {
        format!("{base_url}{target}")
    }
}

/// Check a `--resource` URL: absolute `http://` or `https://` with a host.
fn check_resource_url(u: &str) -> Result<(), TargetError> {
    let bad = |message: String| TargetError::BadUrl {
        url: u.to_owned(),
        message: format!("(--resource) {message}"),
    };
    let url = Url::parse(u).map_err(|e| bad(format!("is not an absolute URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!(
            "uses scheme {}, which is not supported: use http:// or https://",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host".to_owned()));
    }
    Ok(())
}

/// The transport: the client, and the counters it keeps (borrowed apart from the user agent).
struct Io<'a> {
    client: &'a ureq::Agent,
    base_url: &'a str,
    requests: &'a mut u64,
    wait: &'a mut Duration,
}

impl Io<'_> {
    /// Send one request; read at most [`MAX_BODY`] + 1 bytes of the answer; keep its
    /// `Set-Cookie` values apart.
    fn exchange(&mut self, req: &HttpRequest) -> Result<Answer, TargetError> {
        let url = absolute(self.base_url, &req.target);
        let transport = |e: &dyn std::fmt::Display| TargetError::Transport {
            url: url.clone(),
            message: e.to_string(),
        };
        let mut builder = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(url.as_str());
        for (k, v) in &req.headers {
            builder = builder.header(
                k.as_str(),
                ureq::http::HeaderValue::from_bytes(v).map_err(|e| transport(&e))?,
            );
        }
        let body = match &req.body {
            RequestBody::Bytes(b) => b.clone(),
            other @ (RequestBody::Oversized | RequestBody::Incomplete) => other.to_bytes(),
        };
        let request = builder.body(body).map_err(|e| transport(&e))?;
        #[allow(clippy::disallowed_methods)] // measures the provider's share of a live run
        let started = std::time::Instant::now();
        let mut resp = self.client.run(request).map_err(|e| transport(&e))?;
        // Bounded: at most one byte past the cap is read, whatever the provider sends.
        let mut bytes = Vec::new();
        let read = resp
            .body_mut()
            .as_reader()
            .take(MAX_BODY + 1)
            .read_to_end(&mut bytes);
        *self.wait += started.elapsed();
        *self.requests += 1;
        read.map_err(|e| transport(&e))?;
        let body = if bytes.len() as u64 > MAX_BODY {
            body_too_large()
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let mut headers = Vec::new();
        for name in KEPT {
            if let Some(v) = resp.headers().get(*name) {
                headers.push((
                    (*name).into(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned().into(),
                ));
            }
        }
        let set_cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        Ok(Answer {
            output: Output {
                status: resp.status().as_u16(),
                headers,
                body,
                reason: None,
            },
            set_cookie,
        })
    }
}

impl Target for HttpTarget {
    fn name(&self) -> String {
        self.base_url.clone()
    }

    fn send(&mut self, _at: UnixMillis, event: &Event) -> Result<Output, TargetError> {
        if let Some(reason) = self.unsendable(event) {
            return Err(TargetError::NotSent { reason });
        }
        if !self.clients.is_empty() && matches!(event, Event::Register(_)) {
            let Some(i) = self.client_for(event) else {
                return Err(TargetError::NotSent {
                    reason: "no pre-registered client for this registration (--client)".to_owned(),
                });
            };
            self.next_client = i + 1;
            if self.match_methods {
                self.given.resize(self.clients.len(), false);
                self.given[i] = true;
            }
            return Ok(answer_with(&self.clients[i], event));
        }
        match event {
            Event::Authorize(a) => {
                let req = to_request_at(event, &self.routes);
                let redirect = a.params.get("redirect_uri").map(str::to_owned);
                self.authorize(req, redirect.as_deref())
            }
            Event::Resource(r) => self.resource(event, &r.authorization),
            Event::ClientDocument(d) if self.hosts(&d.url, &d.body) => {
                Ok(Output::new(204, &[], String::new())
                    .with_header(NOTE_HEADER, super::HOSTED_DOCUMENT_NOTE))
            }
            Event::ClientDocument(_) => Err(TargetError::NotSent {
                reason: CLIENT_DOCUMENT_NOT_SENT.to_owned(),
            }),
            Event::Register(_)
            | Event::Token(_)
            | Event::Revoke(_)
            | Event::Introspect(_)
            | Event::AuthorizationServerMetadata
            | Event::ProtectedResourceMetadata
            | Event::Unrouted(_)
            | Event::Control(_) => {
                let req = to_request_at(event, &self.routes);
                self.exchange(&req)
            }
        }
    }

    fn unsendable(&self, event: &Event) -> Option<String> {
        if let Event::ClientDocument(d) = event {
            return (!self.hosts(&d.url, &d.body)).then(|| CLIENT_DOCUMENT_NOT_SENT.to_owned());
        }
        if !self.clients.is_empty() && matches!(event, Event::Register(_)) {
            if !usable_registration(event) {
                return Some(
                    "registration probing policy: only pre-registered clients (--client)"
                        .to_owned(),
                );
            }
            return self.client_for(event).is_none().then(|| {
                format!(
                    "no pre-registered client with token_endpoint_auth_method {} left in the \
                     flow (--client)",
                    requested_method(event).unwrap_or_default()
                )
            });
        }
        if let (Event::Resource(_), ResourceProbe::Introspection { .. }) = (event, &self.probe) {
            return self
                .endpoints
                .missing(EndpointKind::Introspection)
                .map(|why| format!("{why} (--introspection)"));
        }
        EndpointKind::of(event).and_then(|kind| self.endpoints.missing(kind))
    }

    fn begin_flow(&mut self) {
        self.user_agent.begin_flow();
        self.next_client = 0;
        self.given.clear();
    }
}
