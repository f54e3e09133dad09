//! `oauth-oracle fingerprint`: learn a server's profile from short probe flows.

use std::path::PathBuf;
use std::process::ExitCode;

use oauth_oracle::fingerprint::{Fingerprint, Options, fingerprint};
use oauth_oracle::{Profile, Seed};

use super::diff::TargetArgs;
use super::live::{LONG_WAIT_SECS, connect};

/// Options of `fingerprint`.
#[derive(clap::Args, Debug)]
pub(crate) struct FingerprintArgs {
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// Where the learned profile is written; its evidence traces go to `<stem>.evidence/`.
    #[arg(long, default_value = "fingerprint.toml")]
    pub(crate) out: PathBuf,
    /// The profile whose values the knobs that cannot be observed keep.
    #[arg(long, default_value = "fastmcp", value_parser = ["fastmcp", "oauth21"])]
    pub(crate) base: String,
    /// The learned profile's name (letters, digits, '-', '_', '.').
    #[arg(long, default_value = "learned")]
    pub(crate) name: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Run the probes, print the report, write the profile and the evidence: exit 0, or 2 when the
/// target cannot be used or a file cannot be written.
pub(crate) fn fingerprint_cmd(args: &FingerprintArgs) -> ExitCode {
    let base = match Profile::by_name(&args.base) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = Profile::from_toml(
        &Profile {
            name: args.name.clone().into(),
            ..base.clone()
        }
        .to_toml(),
    ) {
        eprintln!("error: --name: {}", e.message);
        return ExitCode::from(2);
    }
    let Some(mut target) = connect("fingerprint", &args.target, 0, &[]) else {
        return ExitCode::from(2);
    };
    let opts = Options {
        config: args.target.config(&base, Seed::from_u64(0)),
        base,
        name: args.name.clone(),
        max_expiry_wait: Some(if args.target.allow_long_waits {
            u64::MAX
        } else {
            LONG_WAIT_SECS
        }),
    };
    let found = match fingerprint(&mut target, &opts) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = found.write(&args.out) {
        eprintln!("error: {}: {e}", args.out.display());
        return ExitCode::from(2);
    }
    let dir = Fingerprint::evidence_dir(&args.out);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&found).unwrap_or_default()
        );
    } else {
        print!("{}", found.to_text(&dir.display().to_string()));
        println!(
            "profile written to {} (check it: oauth-oracle diff --profile-file {} --target {})",
            args.out.display(),
            args.out.display(),
            args.target.target
        );
    }
    ExitCode::SUCCESS
}
