//! The `oauth-oracle` command line.

mod cli;

/// mimalloc: `check` allocates a step's strings, and glibc's malloc made that a quarter of its
/// instructions (BENCHMARKS.md, "Profiling `check`").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A deterministic, replayable model of FastMCP's in-memory OAuth 2.1 authorization server.
#[derive(Parser)]
#[command(name = "oauth-oracle", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a realistic random flow through the model and write its trace (JSON Lines).
    Run {
        /// Seed of the server's and the generator's random streams.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Number of steps.
        #[arg(long, default_value_t = 200)]
        steps: usize,
        #[command(flatten)]
        profile: cli::ProfileChoice,
        /// Write the trace here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Re-run a trace through the model: exit 0 if every output matches, 1 naming the first
    /// differing step, 2 if the trace is malformed.
    Replay {
        /// The trace file.
        file: PathBuf,
        /// Replay against this live server (base URL) in real time, the model in lockstep,
        /// and print each step's verdict instead.
        #[arg(long)]
        target: Option<String>,
        /// The live server's MCP resource path.
        #[arg(long, default_value = "/mcp")]
        mcp_path: String,
        /// Login and token probes (with --target).
        #[cfg(feature = "diff")]
        #[command(flatten)]
        access: cli::access::AccessArgs,
        /// Pre-registered clients (with --target).
        #[cfg(feature = "diff")]
        #[command(flatten)]
        client: cli::access::ClientArgs,
    },
    /// Serve the model over HTTP like FastMCP 4.2.3: every request one step of a recorded,
    /// replayable session; the clock optionally manual (`/_oracle/clock`).
    #[cfg(feature = "serve")]
    Serve(cli::serve::ServeArgs),
    /// Run generated flows against a live server and the model in lockstep; report and shrink
    /// every divergence. Exit 0 when all steps agree, 1 on a divergence, 2 if the target is unusable.
    #[cfg(feature = "diff")]
    Diff(Box<cli::diff::DiffArgs>),
    /// Run the invariant catalogue against a live server: a conformance report (Markdown, JSON,
    /// JUnit XML) with PASS / FAIL / NOT TESTED (with why) per invariant and a minimal trace per FAIL.
    /// Exit 1 when a MUST invariant fails.
    #[cfg(feature = "diff")]
    Audit(Box<cli::audit::AuditArgs>),
    /// Learn a live server's profile: short probe flows, one knob each; print each knob's value,
    /// confidence and evidence trace, and the behaviours no knob describes; write the profile
    /// file (`--out`) with the traces beside it. Exit 2 if the target is unusable.
    #[cfg(feature = "diff")]
    Fingerprint(Box<cli::fingerprint::FingerprintArgs>),
    /// Check every security invariant over generated flows through the model: a summary table
    /// per invariant (level, checks, violations); each violation shrunk to a minimal trace, printed
    /// and saved. Exit 0 when nothing broke, 1 otherwise.
    Check(cli::check::CheckArgs),
    /// Server profiles as files: `profile show NAME` prints a built-in one (TOML) for
    /// `--profile-file`.
    #[command(subcommand)]
    Profile(cli::profile::ProfileCommand),
    /// Combine the `check --shard I/N --json` reports of every shard of one campaign into exactly
    /// the report one unsharded `check` prints (table, or JSON with `--json`), minimal traces
    /// saved. Exit like `check`; 2 if the reports are unreadable, of different campaigns, or a
    /// shard is missing or given twice.
    Merge {
        /// The shard reports, in any order.
        #[arg(required = true, value_name = "REPORT.json")]
        reports: Vec<PathBuf>,
        /// Print the merged report as JSON.
        #[arg(long)]
        json: bool,
        /// Where minimal traces are saved.
        #[arg(long, default_value = "oauth-oracle-failures")]
        out_dir: PathBuf,
    },
}

/// A closed standard output (`oauth-oracle check | head -1`) ends the command quietly, with exit
/// code 0, as SIGPIPE ends a C program: Rust ignores SIGPIPE and `print!` panics instead.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            seed,
            steps,
            profile,
            output,
        } => cli::run::run(seed, steps, &profile, output),
        Command::Profile(command) => cli::profile::profile(&command),
        Command::Replay {
            file, target: None, ..
        } => cli::replay::replay_file(&file),
        #[cfg(feature = "diff")]
        Command::Replay {
            file,
            target: Some(url),
            mcp_path,
            access,
            client,
        } => cli::replay::replay_against(&file, &url, &mcp_path, &access, &client.clients),
        #[cfg(not(feature = "diff"))]
        Command::Replay {
            target: Some(_), ..
        } => {
            eprintln!("error: --target needs the `diff` feature");
            ExitCode::from(2)
        }
        #[cfg(feature = "serve")]
        Command::Serve(args) => cli::serve::serve(args),
        #[cfg(feature = "diff")]
        Command::Diff(args) => cli::diff::diff(&args),
        #[cfg(feature = "diff")]
        Command::Audit(args) => cli::audit::audit(&args),
        #[cfg(feature = "diff")]
        Command::Fingerprint(args) => cli::fingerprint::fingerprint_cmd(&args),
        Command::Check(args) => cli::check::check(&args),
        Command::Merge {
            reports,
            json,
            out_dir,
        } => cli::merge::merge(&cli::merge::MergeArgs {
            reports,
            json,
            out_dir,
        }),
    }
}
