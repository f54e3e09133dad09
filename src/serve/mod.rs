//! `oauth-oracle serve`: the model behind a real HTTP/1.1 server (hyper on tokio).
//!
//! Every request becomes one model step, in arrival order: the request is read (body at most
//! 4 MiB + 1 byte, within a deadline) and decoded (`http::decode`) outside the lock; the
//! step itself — read the clock, `AuthServer::apply`, append the trace line, write it to
//! `--record` and flush — runs under one mutex; the answer is encoded
//! (`http::respond`) and sent after the lock is released, so a slow client never holds
//! it.
//!
//! - **Clock.** [`ClockMode::System`] reads the wall clock (the model never does; besides this,
//!   only the live-provider runs of [`crate::target`] and `diff` read clocks);
//!   [`ClockMode::Manual`] starts at a given instant and moves only through
//!   `POST /_oracle/clock`.
//! - **Trace.** The session trace is kept in memory up to a byte cap (a replayable prefix; later
//!   steps only on disk with `--record`) as shared immutable chunks, streamed by
//!   `GET /_oracle/trace` without a copy per request.
//! - **Bounded.** At most `max_connections` connections at once; a request head (and an idle
//!   keep-alive connection) has `header_timeout`, a body `read_timeout`; a client that reads
//!   nothing of an answer for `write_timeout` is dropped; bodies are capped; the stores hold
//!   only what FastMCP holds.
//! - **Not steps.** The control routes, and bytes that are not HTTP/1.1 — a malformed head or
//!   broken chunked framing (answered 400 before any route, as uvicorn does) — are not recorded.

mod body;
mod control;
mod redact;
mod service;
mod session;
mod stall;

use std::net::{IpAddr, SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use session::{ClockError, ClockMode};

use crate::config::Config;
use crate::error::ConfigError;
use crate::profile::Profile;
use crate::server::AuthServer;
use service::Shared;
use session::Session;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The model's configuration. `base_url` is replaced by [`ServeOptions::base_url`] or, when
    /// that is `None`, by `http://<bind>:<port>` once the port is known.
    pub config: Config,
    /// The public base URL (issuer), if not the bound address.
    pub base_url: Option<String>,
    /// The profile.
    pub profile: Profile,
    /// Address to bind.
    pub bind: IpAddr,
    /// Port to bind (0: any free port).
    pub port: u16,
    /// Where `at` comes from.
    pub clock: ClockMode,
    /// Write every trace line here as it happens.
    pub record: Option<PathBuf>,
    /// Serve `/_oracle/*`.
    pub control: bool,
    /// Bytes of step lines kept in memory for `GET /_oracle/trace`.
    pub trace_cap_bytes: usize,
    /// Connections served at once (more wait in the kernel's backlog).
    pub max_connections: usize,
    /// Deadline for a request head, counted from the end of the previous answer (or the
    /// connection's start): also how long an idle keep-alive connection holds its slot.
    pub header_timeout: Duration,
    /// Deadline for a request body.
    pub read_timeout: Duration,
    /// How long a client may read nothing of an answer before its connection is dropped.
    pub write_timeout: Duration,
}

/// Why the server could not start or stopped.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The model refused the configuration.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// A base URL with a path: FastMCP then mounts path-aware discovery routes this model does
    /// not reproduce.
    #[error(
        "base URL {0:?} has a path; serve mounts the routes at the root (use an origin such as http://127.0.0.1:8765)"
    )]
    BaseUrlPath(String),
    /// The listening socket could not be set up.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The `--record` file could not be created or written.
    #[error("cannot {action} record file {}: {source}", path.display())]
    Record {
        /// `create` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A bound, not yet running server.
#[derive(Debug)]
pub struct Bound {
    listener: StdListener,
    shared: Arc<Shared>,
    base_url: String,
    max_connections: usize,
    header_timeout: Duration,
    write_timeout: Duration,
}

/// Bind the listening socket and build the model.
pub fn bind(opts: ServeOptions) -> Result<Bound, ServeError> {
    let asked = SocketAddr::new(opts.bind, opts.port);
    let bind_error = |source| ServeError::Bind {
        addr: asked,
        source,
    };
    let listener = StdListener::bind(asked).map_err(bind_error)?;
    listener.set_nonblocking(true).map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let base_url = opts.base_url.clone().unwrap_or_else(|| {
        let host = match addr.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        format!("http://{host}:{}", addr.port())
    });
    if url::Url::parse(&base_url).is_ok_and(|u| u.path() != "/") {
        return Err(ServeError::BaseUrlPath(base_url));
    }
    let config = Config {
        base_url: base_url.clone(),
        ..opts.config
    };
    let server = AuthServer::new(config.clone(), opts.profile)?;
    let session = Session::new(
        server,
        opts.clock,
        opts.trace_cap_bytes,
        opts.record.as_deref(),
    )?;
    let shared = Arc::new(Shared {
        session: Mutex::new(session),
        config,
        control: opts.control,
        body_timeout: opts.read_timeout,
    });
    Ok(Bound {
        listener,
        shared,
        base_url,
        max_connections: opts.max_connections.max(1),
        header_timeout: opts.header_timeout,
        write_timeout: opts.write_timeout,
    })
}

impl Bound {
    /// The address the server listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The base URL (issuer) the model answers with.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Serve until SIGINT or SIGTERM; then flush the recording and return.
    pub fn run(self) -> Result<(), ServeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let shared = self.shared.clone();
        let result = runtime.block_on(self.accept_loop());
        shared.lock().flush();
        result
    }

    async fn accept_loop(self) -> Result<(), ServeError> {
        let listener = TcpListener::from_std(self.listener)?;
        let permits = Arc::new(Semaphore::new(self.max_connections));
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout)
            .keep_alive(true);
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                () = &mut shutdown => return Ok(()),
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => return Ok(()),
                },
            };
            let accepted = tokio::select! {
                () = &mut shutdown => return Ok(()),
                accepted = listener.accept() => accepted,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not die.
                    eprintln!("oauth-oracle serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let shared = self.shared.clone();
            let builder = builder.clone();
            let io = TokioIo::new(stall::WriteDeadline::new(stream, self.write_timeout));
            tokio::spawn(async move {
                let service = service_fn(move |req| service::handle(shared.clone(), req));
                // Errors here are the client's (reset, timeout, not HTTP): nothing to answer.
                let _ = builder.serve_connection(io, service).await;
                drop(permit);
            });
        }
    }
}

/// Resolves on SIGINT or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
