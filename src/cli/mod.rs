//! The command line: one module per command.

#[cfg(feature = "diff")]
pub(crate) mod audit;
pub(crate) mod check;
#[cfg(feature = "diff")]
pub(crate) mod diff;
pub(crate) mod merge;
pub(crate) mod replay;
pub(crate) mod run;
#[cfg(feature = "serve")]
pub(crate) mod serve;

/// The `--profile` value parser: a built-in profile's name; `--help` and a wrong name list them.
pub(crate) fn profile_parser() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(oauth_oracle::Profile::names())
}
