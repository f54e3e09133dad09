//! `oauth-oracle profile`: profiles as files.

use std::path::Path;
use std::process::ExitCode;

use oauth_oracle::Profile;

/// What `oauth-oracle profile` does.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ProfileCommand {
    /// Print a built-in profile as a profile file (TOML): every knob with its documentation (the
    /// RFC section and the FastMCP deviation it is about) as comments. Edit it and pass it with
    /// `--profile-file`.
    Show {
        /// The built-in profile.
        #[arg(value_parser = super::profile_parser())]
        name: String,
    },
}

/// Run `oauth-oracle profile ...`.
pub(crate) fn profile(command: &ProfileCommand) -> ExitCode {
    match command {
        ProfileCommand::Show { name } => match Profile::by_name(name) {
            Ok(p) => {
                use std::io::Write as _;
                match std::io::stdout().lock().write_all(p.to_toml().as_bytes()) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("error: writing to standard output: {e}");
                        ExitCode::from(2)
                    }
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}

/// The profile in the file at `path`, or the error to print: `FILE: line N: KEY: what`.
pub(crate) fn read_file(path: &Path) -> Result<Profile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("reading profile file {}: {e}", path.display()))?;
    Profile::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))
}
