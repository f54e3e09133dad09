//! `oauth-oracle merge`: the shard reports of one campaign combined into the whole campaign's.

use std::path::PathBuf;
use std::process::ExitCode;

use oauth_oracle::check::{Report, merge as merge_reports};

/// Options of `merge`.
pub(crate) struct MergeArgs {
    pub(crate) reports: Vec<PathBuf>,
    pub(crate) json: bool,
    pub(crate) out_dir: PathBuf,
}

/// Read every shard's `check --json` report, merge them and print the result as `check` would
/// have (exit 0, 1); exit 2 on an unreadable report or a set of reports that is not one campaign.
pub(crate) fn merge(args: &MergeArgs) -> ExitCode {
    let mut parts = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: reading {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        match serde_json::from_str::<Report>(&text) {
            Ok(r) => parts.push((path.display().to_string(), r)),
            Err(e) => {
                eprintln!(
                    "error: {} is not a `check --json` report: {e}",
                    path.display()
                );
                return ExitCode::from(2);
            }
        }
    }
    match merge_reports(parts) {
        Ok(report) => super::check::finish(&report, args.json, &args.out_dir),
        Err(e) => {
            eprintln!("error: cannot merge: {e}");
            ExitCode::from(2)
        }
    }
}
