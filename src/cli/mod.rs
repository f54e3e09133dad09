//! The command line: one module per command.

#[cfg(feature = "diff")]
pub(crate) mod access;
#[cfg(feature = "diff")]
pub(crate) mod audit;
#[cfg(feature = "diff")]
pub(crate) mod audit_replay;
pub(crate) mod check;
#[cfg(feature = "diff")]
pub(crate) mod diff;
#[cfg(feature = "diff")]
pub(crate) mod fingerprint;
#[cfg(feature = "diff")]
pub(crate) mod fit;
#[cfg(feature = "diff")]
pub(crate) mod live;
pub(crate) mod merge;
pub(crate) mod profile;
pub(crate) mod replay;
pub(crate) mod run;
#[cfg(feature = "serve")]
pub(crate) mod serve;

/// The `--profile` value parser: a built-in profile's name; `--help` and a wrong name list them.
pub(crate) fn profile_parser() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(oauth_oracle::Profile::names())
}

/// `--profile NAME` or `--profile-file FILE`: the server profile of a command.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ProfileChoice {
    /// Server profile (a built-in one; `oauth-oracle profile show NAME` prints it as a file).
    #[arg(long, default_value = "fastmcp", value_parser = profile_parser())]
    pub(crate) profile: String,
    /// Read the server profile from this file (TOML, as `oauth-oracle profile show` prints it)
    /// instead of naming a built-in one.
    #[arg(long, value_name = "FILE", conflicts_with = "profile")]
    pub(crate) profile_file: Option<std::path::PathBuf>,
}

impl ProfileChoice {
    /// The chosen profile, or the error to print (naming the file, the line and the key).
    pub(crate) fn load(&self) -> Result<oauth_oracle::Profile, String> {
        match &self.profile_file {
            Some(path) => profile::read_file(path),
            None => oauth_oracle::Profile::by_name(&self.profile).map_err(|e| e.to_string()),
        }
    }
}

/// Remove the files an earlier run of this tool left in `dir` whose names `ours` recognises (and
/// nothing else): a run's folder then holds that run's files only.
pub(crate) fn clear_own_files(
    dir: &std::path::Path,
    ours: impl Fn(&str) -> bool,
) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if entry.file_type()?.is_file() && name.to_str().is_some_and(&ours) {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}
