//! [`AuthServer`]: the model, and its one transition function.

use std::sync::Arc;

use crate::config::Config;
use crate::control::Faults;
use crate::endpoint::{
    Ctx, Fixed, authorize, client_document, metadata, register, resource, revoke, routing, token,
};
use crate::error::ConfigError;
use crate::event::{AuthorizeRequest, Event};
use crate::output::Output;
use crate::profile::Profile;
use crate::provider::Provider;
use crate::rng::{DrawRng, Seed};
use crate::time::UnixMillis;

/// The deterministic authorization server.
///
/// Method classes:
/// - construction: [`AuthServer::new`] (validates the configuration);
/// - the transition: [`AuthServer::step`], consuming the server and returning it with the answer;
/// - inspection: [`AuthServer::config`], [`AuthServer::profile`], [`AuthServer::provider`].
///
/// The state is a handful of hash maps keyed by random bytes and a ChaCha20 stream; moving it
/// in and out of `step` copies no records, and no step iterates a map.
#[derive(Debug, Clone)]
pub struct AuthServer {
    config: Config,
    profile: Profile,
    /// Shared by the servers [`AuthServer::fresh`] makes: it depends on the configuration but not
    /// on its seed.
    fixed: Arc<Fixed>,
    provider: Provider,
    faults: Faults,
}

impl AuthServer {
    /// A server with empty stores, drawing from `config.seed`.
    pub fn new(config: Config, profile: Profile) -> Result<Self, ConfigError> {
        config.validate()?;
        let provider = Provider::new(
            DrawRng::new(config.seed),
            config.lifetimes.clone(),
            profile.clone(),
        );
        Ok(Self {
            fixed: Arc::new(Fixed::new(&config, &profile)),
            config,
            profile,
            provider,
            faults: Faults::default(),
        })
    }

    /// A server with empty stores, drawing from `seed`, with this one's configuration (its seed
    /// replaced) and profile: what [`AuthServer::new`] returns for them, without validating the
    /// configuration again or building its constant answers again (a campaign's cases share
    /// them).
    pub(crate) fn fresh(&self, seed: Seed) -> Self {
        Self {
            config: Config {
                seed,
                ..self.config.clone()
            },
            profile: self.profile.clone(),
            fixed: Arc::clone(&self.fixed),
            provider: Provider::new(
                DrawRng::new(seed),
                self.config.lifetimes.clone(),
                self.profile.clone(),
            ),
            faults: Faults::default(),
        }
    }

    /// Answer one request arriving at `at`.
    #[must_use = "the server is consumed; keep the returned one"]
    pub fn step(mut self, at: UnixMillis, event: Event) -> (Self, Output) {
        let output = self.apply(at, &event);
        (self, output)
    }

    /// Answer one request in place: [`AuthServer::step`] for callers holding a `&mut` (the
    /// crate's own runners). Hidden from the documentation: `step` is the transition.
    #[doc(hidden)]
    pub fn apply(&mut self, at: UnixMillis, event: &Event) -> Output {
        self.provider.sweep(at);
        if let Event::Control(c) = event {
            return self.faults.control(&mut self.provider, at, c);
        }
        if self.faults.quiet() {
            return self.answer(at, event);
        }
        if let Some(scripted) = self.faults.scripted(event) {
            return scripted;
        }
        let output = self.answer(at, event);
        self.faults.distort(event, output)
    }

    /// The endpoints' answer to `event`.
    fn answer(&mut self, at: UnixMillis, event: &Event) -> Output {
        let mut ctx = Ctx {
            config: &self.config,
            fixed: &self.fixed,
            profile: &self.profile,
            provider: &mut self.provider,
            now: at,
        };
        let out = match event {
            Event::AuthorizationServerMetadata => metadata::handle_as_metadata(&ctx),
            Event::ProtectedResourceMetadata => metadata::handle_pr_metadata(&ctx),
            Event::Register(r) => register::handle_register(&mut ctx, &r.body),
            Event::Authorize(AuthorizeRequest { params, method: _ }) => {
                authorize::handle_authorize(&mut ctx, params)
            }
            Event::Token(t) => token::handle_token(&mut ctx, t),
            Event::Revoke(r) => revoke::handle_revoke(&mut ctx, r),
            Event::Resource(r) => resource::handle_resource(&mut ctx, r),
            Event::Unrouted(u) => routing::handle_unrouted(ctx.config, u),
            // FastMCP mounts no introspection endpoint: the request is one to a path it does
            // not serve.
            Event::Introspect(_) => routing::handle_unrouted(
                ctx.config,
                &crate::event::UnroutedRequest {
                    method: "POST".to_owned(),
                    path: "/introspect".to_owned(),
                    query: String::new(),
                    headers: crate::event::Params::default(),
                    body: None,
                },
            ),
            Event::ClientDocument(d) => client_document::handle_client_document(&mut ctx, d),
            Event::Control(_) => unreachable!("controls are applied before the endpoints"),
        };
        crate::wire::write(
            self.profile.wire,
            &self.fixed,
            &self.provider,
            at,
            event,
            out,
        )
    }

    /// How long the answer of the step last applied is to be held, in milliseconds (a scripted
    /// delay, [`crate::control::Failure::delay_ms`]; `serve` waits, replay does not).
    #[cfg(feature = "serve")]
    pub(crate) fn delay_ms(&self) -> u64 {
        self.faults.delay_ms()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The protected resource's URL ([`Config::resource_url`]).
    pub(crate) fn resource_url(&self) -> &str {
        &self.fixed.resource
    }

    /// The provider layer (stores and their methods), to inspect. To call FastMCP's in-process
    /// API on it (a load deletes an expired record), clone it: the server changes only by
    /// [`AuthServer::step`], so that its trace replays.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// The provider layer, for the crate's own tests of FastMCP's in-process API.
    #[cfg(test)]
    pub(crate) fn provider_mut(&mut self) -> &mut Provider {
        &mut self.provider
    }
}
