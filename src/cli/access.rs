//! How a live run gets through a provider's login and learns whether it accepts a token:
//! `--login-field`, `--login-hook`, `--resource`, `--introspection`, and which CA an https
//! target's certificate chains to, `--ca-cert` (shared by `diff`, `audit` and `replay --target`).

use oauth_oracle::target::{
    AgentOptions, HttpTarget, PreClient, ResourceProbe, TargetError, parse_ca_certs, parse_client,
    parse_introspection, parse_login_field,
};

/// Clients registered with the provider beforehand (`--client`), for `audit`, `diff` and
/// `replay --target`.
#[derive(clap::Args, Clone, Default, Debug)]
pub(crate) struct ClientArgs {
    /// A client registered with the provider beforehand, `ID[:SECRET[:METHOD]]` (repeatable;
    /// METHOD: none, client_secret_basic (the default with a secret), client_secret_post), for
    /// providers without open dynamic registration. Its redirect URIs must include
    /// http://localhost:9999/cb (and http://127.0.0.1:9999/cb for the loopback probes). No
    /// registration is then sent: a registration is answered with one of these (audit: each in
    /// turn; diff and replay --target: the next one with the token_endpoint_auth_method the
    /// registration asks for, whose values pair with the model's own registration; none: the
    /// step is not sent), and the registration invariants are NOT TESTED.
    #[arg(long = "client", value_name = "ID[:SECRET[:METHOD]]", value_parser = parse_client)]
    pub(crate) clients: Vec<PreClient>,
}

/// The user agent's and the token probe's options.
#[derive(clap::Args, Clone, Default)]
pub(crate) struct AccessArgs {
    /// A field of the provider's login (or consent) form, `name=value` (repeatable): the user
    /// agent fills the form that has inputs with these names, keeps its hidden inputs, submits
    /// it and follows on.
    #[arg(long = "login-field", value_name = "NAME=VALUE", value_parser = parse_login_field)]
    pub(crate) login_fields: Vec<(String, String)>,
    /// A command that logs in instead of the built-in user agent: it gets the authorization
    /// request URL as its last argument and prints the final redirect URL (the client's
    /// redirect URI with the response) on stdout, within 30 s.
    #[arg(long, value_name = "CMD", conflicts_with = "login_fields")]
    pub(crate) login_hook: Option<String>,
    /// Show access tokens to this protected resource (any origin) with a GET: 2xx accepted,
    /// 401 rejected (default: an MCP initialize POST to the target's --mcp-path).
    #[arg(long, value_name = "URL", conflicts_with = "introspection")]
    pub(crate) resource: Option<String>,
    /// Show access tokens to the provider's introspection endpoint (RFC 7662) as this
    /// resource server (client_secret_basic): "active": true accepted, false rejected.
    #[arg(long, value_name = "ID:SECRET", value_parser = parse_introspection)]
    pub(crate) introspection: Option<ResourceProbe>,
    /// For an https target: trust this CA (PEM file) instead of Mozilla's root certificates
    /// (a test server's or a company's private CA).
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for AccessArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Field values (a password) and the introspection secret are not shown.
        let names: Vec<&str> = self.login_fields.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("AccessArgs")
            .field("login_fields", &names)
            .field("login_hook", &self.login_hook)
            .field("resource", &self.resource)
            .field("introspection", &self.introspection)
            .field("ca_cert", &self.ca_cert)
            .finish()
    }
}

impl AccessArgs {
    /// `target` with these options.
    pub(crate) fn apply(&self, target: HttpTarget) -> Result<HttpTarget, TargetError> {
        let target = target.with_agent(AgentOptions {
            login_fields: self.login_fields.clone(),
            login_hook: self.login_hook.clone(),
        });
        let probe = match (&self.resource, &self.introspection) {
            (Some(url), _) => ResourceProbe::Url(url.clone()),
            (None, Some(p)) => p.clone(),
            (None, None) => ResourceProbe::Mcp,
        };
        let target = target.with_probe(probe)?;
        let Some(path) = &self.ca_cert else {
            return Ok(target);
        };
        let name = path.display().to_string();
        // A CA bundle is small: at most 1 MiB is read.
        let mut pem = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| {
                std::io::Read::read_to_end(&mut std::io::Read::take(f, 1 << 20), &mut pem)
            })
            .map_err(|e| TargetError::CaCert {
                path: name.clone(),
                message: e.to_string(),
            })?;
        Ok(target.with_ca(parse_ca_certs(&name, &pem)?))
    }
}
