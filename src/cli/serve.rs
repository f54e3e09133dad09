//! `oauth-oracle serve`: the model over real HTTP.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use oauth_oracle::serve::{ClockMode, ServeOptions, bind};
use oauth_oracle::{Config, Lifetimes, Seed, UnixMillis};

/// Where the model's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ClockArg {
    /// The wall clock.
    System,
    /// Starts at --start-at; moves only through `POST /_oracle/clock`.
    Manual,
}

/// Arguments of `oauth-oracle serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    profile: super::ProfileChoice,
    /// Seed of the server's random stream (client ids, secrets, codes, tokens).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Port to listen on (0: any free port; the chosen base URL is printed on stdout).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Clock: the wall clock, or a manual one moved through the control route.
    #[arg(long, value_enum, default_value = "system")]
    clock: ClockArg,
    /// Start of the manual clock (Unix milliseconds).
    #[arg(long, default_value_t = 1_800_000_000_000)]
    start_at: u64,
    /// Public base URL (the issuer); default http://<bind>:<port>.
    #[arg(long)]
    base_url: Option<String>,
    /// Scopes accepted at registration, space-separated.
    #[arg(long, default_value = "read write")]
    valid_scopes: String,
    /// Scopes the MCP resource requires, space-separated.
    #[arg(long, default_value = "")]
    required_scopes: String,
    /// Authorization code lifetime, seconds.
    #[arg(long, default_value_t = 300)]
    code_ttl: u64,
    /// Access token lifetime, seconds.
    #[arg(long, default_value_t = 3600)]
    access_ttl: u64,
    /// Refresh token lifetime, seconds (default: never expires).
    #[arg(long)]
    refresh_ttl: Option<u64>,
    /// Do not mount /register.
    #[arg(long)]
    no_registration: bool,
    /// Do not mount /revoke.
    #[arg(long)]
    no_revocation: bool,
    /// Write the session trace here as it happens (one flushed line per request).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Do not serve /_oracle/* (they then 404 like any unknown path).
    #[arg(long)]
    no_control: bool,
    /// Bytes of trace kept in memory for GET /_oracle/trace (--record keeps everything).
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    trace_cap: usize,
    /// Connections served at once.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client may take to send a request head; also how long an idle keep-alive
    /// connection is kept (uvicorn's keep-alive is 5 s).
    #[arg(long, default_value_t = 5)]
    header_timeout: u64,
    /// Seconds a client may take to send a request body.
    #[arg(long, default_value_t = 30)]
    read_timeout: u64,
    /// Seconds a client may read nothing of an answer before its connection is dropped.
    #[arg(long, default_value_t = 30)]
    write_timeout: u64,
}

fn scopes(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

/// Serve until interrupted: exit 0 on SIGINT/SIGTERM, 2 if the server cannot start.
pub(crate) fn serve(args: ServeArgs) -> ExitCode {
    let profile = match args.profile.load() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let config = Config {
        valid_scopes: Some(scopes(&args.valid_scopes)),
        required_scopes: scopes(&args.required_scopes),
        registration_enabled: !args.no_registration,
        revocation_enabled: !args.no_revocation,
        lifetimes: Lifetimes {
            code: args.code_ttl,
            access: args.access_ttl,
            refresh: args.refresh_ttl,
        },
        seed: Seed::from_u64(args.seed),
        ..Config::default()
    };
    let opts = ServeOptions {
        config,
        base_url: args.base_url,
        profile,
        bind: args.bind,
        port: args.port,
        clock: match args.clock {
            ClockArg::System => ClockMode::System,
            ClockArg::Manual => ClockMode::Manual(UnixMillis(args.start_at)),
        },
        record: args.record,
        control: !args.no_control,
        trace_cap_bytes: args.trace_cap,
        max_connections: args.max_connections,
        header_timeout: Duration::from_secs(args.header_timeout.max(1)),
        read_timeout: Duration::from_secs(args.read_timeout.max(1)),
        write_timeout: Duration::from_secs(args.write_timeout.max(1)),
    };
    let bound = match bind(opts) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // The base URL is the only line on stdout: `BASE=$(...)`-friendly, and how tests find the port.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", bound.base_url());
    let _ = out.flush();
    drop(out);
    if let Ok(addr) = bound.local_addr() {
        eprintln!(
            "oauth-oracle serve: listening on {addr}; metadata at {}/.well-known/oauth-authorization-server",
            bound.base_url()
        );
    }
    match bound.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
