//! The command line: one module per command.

pub(crate) mod replay;
pub(crate) mod run;
