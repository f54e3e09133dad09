//! The `oauth-oracle` command line.

mod cli;

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
        /// Server profile.
        #[arg(long, default_value = "fastmcp")]
        profile: String,
        /// Write the trace here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Re-run a trace through the model: exit 0 if every output matches, 1 naming the first
    /// differing step, 2 if the trace is malformed.
    Replay {
        /// The trace file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            seed,
            steps,
            profile,
            output,
        } => cli::run::run(seed, steps, &profile, output),
        Command::Replay { file } => cli::replay::replay_file(&file),
    }
}
