//! The command line: one module per command.

#[cfg(feature = "diff")]
pub(crate) mod audit;
pub(crate) mod check;
#[cfg(feature = "diff")]
pub(crate) mod diff;
#[cfg(feature = "diff")]
pub(crate) mod live;
pub(crate) mod merge;
pub(crate) mod replay;
pub(crate) mod run;
#[cfg(feature = "serve")]
pub(crate) mod serve;

/// The `--profile` value parser: a built-in profile's name; `--help` and a wrong name list them.
pub(crate) fn profile_parser() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(oauth_oracle::Profile::names())
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
