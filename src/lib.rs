//! # oauth-oracle
//!
//! An executable, deterministic model of FastMCP's in-memory OAuth 2.1 authorization server
//! (FastMCP 4.2.3 + MCP Python SDK 2.3.0): dynamic client registration, authorization code with
//! PKCE, refresh-token rotation, revocation, metadata, and the bearer check of the protected MCP
//! resource.
//!
//! ## The contract
//!
//! The model is a pure transition function, [`AuthServer::step`]: `(server, at, event) ->
//! (server, output)`.
//!
//! - **Pure.** The model reads no clock and no OS randomness (enforced by `clippy.toml`). Every
//!   random value (client ids, secrets, codes, tokens) is drawn from a ChaCha20 stream seeded by
//!   [`Config::seed`] and kept in the state.
//! - **The caller supplies** the time of each request ([`UnixMillis`]) and the request itself
//!   ([`Event`]), as a client put it on the wire.
//! - **Protocol failures are outputs.** `invalid_grant` is an [`Output`] like any other; `Err` is
//!   only for a configuration the server refuses ([`ConfigError`]) and, in the trace layer, for
//!   malformed input files.
//! - Same seed and events: byte-identical outputs, on any machine.
//!
//! ```
//! use oauth_oracle::{AuthServer, Config, Event, Profile, RegisterRequest, UnixMillis};
//!
//! let server = AuthServer::new(Config::default(), Profile::fastmcp()).unwrap();
//! let register = Event::Register(RegisterRequest {
//!     body: r#"{"redirect_uris":["http://localhost:9999/cb"],"scope":"read"}"#.into(),
//! });
//! let (server, out) = server.step(UnixMillis(1_800_000_000_000), register);
//! assert_eq!(out.status, 201);
//! let (_server, out) = server.step(UnixMillis(1_800_000_000_500), Event::AuthorizationServerMetadata);
//! assert_eq!(out.status, 200);
//! ```
//!
//! Around the model: [`trace`] (the versioned JSON Lines trace format and replay) and [`generate`]
//! (realistic random flows).

mod answer;
#[cfg(feature = "diff")]
pub mod audit;
pub mod check;
mod compat;
mod config;
pub mod control;
/// What a live run covered, for the command line's reports (not part of the library's API).
#[doc(hidden)]
pub mod coverage;
#[cfg(feature = "diff")]
pub mod diff;
mod endpoint;
mod error;
mod error_code;
mod event;
#[cfg(feature = "diff")]
pub mod fingerprint;
/// The fuzzing oracles behind `fuzz/` (not part of the library's API).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod generate;
#[cfg(feature = "http")]
mod http;
pub mod invariant;
mod keys;
pub mod output;
pub mod profile;
pub mod provider;
mod rng;
mod secret;
#[cfg(feature = "serve")]
pub mod serve;
mod server;
/// Step summaries for the command line (not part of the library's API).
#[doc(hidden)]
pub mod summary;
#[cfg(feature = "diff")]
pub mod target;
pub mod time;
pub mod trace;
mod value_format;
mod wire;

pub use config::{Config, Lifetimes};
pub use control::Control;
pub use endpoint::resource::MCP_INITIALIZE_RESULT;
pub use endpoint::token::s256_challenge;
pub use error::ConfigError;
pub use error_code::ErrorCode;
pub use event::{
    AuthorizeMethod, AuthorizeRequest, BodyFault, ClientDocument, Event, EventStr, FormRequest,
    IntrospectRequest, Params, RegisterRequest, ResourceRequest, RevokeRequest, TokenRequest,
    UnroutedRequest,
};
pub use output::{Output, Reason};
pub use profile::Profile;
pub use rng::Seed;
pub use server::AuthServer;
pub use time::UnixMillis;
pub use value_format::ValueFormat;
pub use wire::Wire;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
