//! The `oauth-oracle` command line.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use oauth_oracle::generate::Generator;
use oauth_oracle::trace::{ReplayOutcome, Trace, replay};
use oauth_oracle::{Config, Output, Profile, Seed};

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
        } => run(seed, steps, &profile, output),
        Command::Replay { file } => replay_file(&file),
    }
}

fn run(seed: u64, steps: usize, profile: &str, output: Option<PathBuf>) -> ExitCode {
    let profile = match Profile::by_name(profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let config = Config {
        seed: Seed::from_u64(seed),
        ..Config::default()
    };
    let generator = match Generator::new(profile, config) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let text = generator.run(steps).to_jsonl();
    let written = match output {
        Some(path) => std::fs::write(&path, text),
        None => std::io::stdout().lock().write_all(text.as_bytes()),
    };
    if let Err(e) = written {
        eprintln!("error: writing trace: {e}");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

fn replay_file(path: &PathBuf) -> ExitCode {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let result = Trace::read(BufReader::new(file)).and_then(|t| replay(&t));
    match result {
        Ok(ReplayOutcome::Match { steps }) => {
            println!("replayed {steps} steps: every output matches");
            ExitCode::SUCCESS
        }
        Ok(ReplayOutcome::Mismatch {
            step,
            line,
            recorded,
            replayed,
        }) => {
            println!("step {step} (line {line}) differs:");
            print_side_by_side(&recorded, &replayed);
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}

fn output_lines(o: &Output) -> Vec<String> {
    let mut lines = vec![format!("status: {}", o.status)];
    lines.extend(o.headers.iter().map(|(k, v)| format!("{k}: {v}")));
    lines.push(format!("body: {}", o.body));
    lines.push(format!(
        "reason: {}",
        o.reason.map_or("-".to_owned(), |r| format!("{r:?}"))
    ));
    lines
}

fn print_side_by_side(recorded: &Output, replayed: &Output) {
    let a = output_lines(recorded);
    let b = output_lines(replayed);
    println!("  {:<60} | replayed (model)", "recorded (trace)");
    for i in 0..a.len().max(b.len()) {
        let l = a.get(i).map_or("", String::as_str);
        let r = b.get(i).map_or("", String::as_str);
        let mark = if l == r { ' ' } else { '*' };
        println!("{mark} {l:<60} | {r}");
    }
}
