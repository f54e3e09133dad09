//! `oauth-oracle run`: generate a flow and write its trace.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use oauth_oracle::generate::Generator;
use oauth_oracle::{Config, Seed};

/// Generate `steps` steps with `seed` under `profile`; write the trace to `output` or stdout.
pub(crate) fn run(
    seed: u64,
    steps: usize,
    profile: &super::ProfileChoice,
    output: Option<PathBuf>,
) -> ExitCode {
    let profile = match profile.load() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let config = Config {
        seed: Seed::from_u64(seed),
        ..Config::for_profile(&profile)
    };
    let generator = match Generator::new(profile, config) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let text = generator.run(steps).to_jsonl();
    match output {
        Some(path) => match std::fs::write(&path, text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: writing trace to {}: {e}", path.display());
                ExitCode::from(2)
            }
        },
        None => match std::io::stdout().lock().write_all(text.as_bytes()) {
            // A closed standard output (`oauth-oracle run | head -1`) ends quietly.
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: writing trace to standard output: {e}");
                ExitCode::from(2)
            }
        },
    }
}
