//! The command line: one module per command.

#[cfg(feature = "diff")]
pub(crate) mod audit;
pub(crate) mod check;
#[cfg(feature = "diff")]
pub(crate) mod diff;
pub(crate) mod replay;
pub(crate) mod run;
#[cfg(feature = "serve")]
pub(crate) mod serve;
