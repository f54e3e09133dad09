//! `oauth-oracle check`: an invariant campaign over the model.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use oauth_oracle::check::{Campaign, Progress, Report, Shard};
use oauth_oracle::invariant::{CATALOG, InvariantId, documented_deviations};
use oauth_oracle::summary::Redactor;
use oauth_oracle::trace::resolve;
use oauth_oracle::{Config, Output, Profile};

/// Options of `check`.
#[derive(clap::Args, Debug)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) profile: super::ProfileChoice,
    /// Number of generated flows.
    #[arg(long, default_value_t = 200)]
    pub(crate) cases: u64,
    /// Steps per flow.
    #[arg(long, default_value_t = 60)]
    pub(crate) steps: usize,
    /// Campaign seed.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Where minimal traces are saved.
    #[arg(long, default_value = "oauth-oracle-failures")]
    pub(crate) out_dir: PathBuf,
    /// Report violations without shrinking them.
    #[arg(long)]
    pub(crate) no_shrink: bool,
    /// Worker threads [default: the number of cores]. The report is the same for any N.
    #[arg(long, value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Run shard I of N only (1-based): the cases c with c mod N = I - 1, e.g. one per CI
    /// job; `merge` combines the shards' `--json` reports.
    #[arg(long, value_name = "I/N")]
    pub(crate) shard: Option<Shard>,
}

/// Run the campaign; exit 0 when no invariant broke, 1 otherwise, 2 on bad options or I/O errors.
pub(crate) fn check(args: &CheckArgs) -> ExitCode {
    // Nothing tested is never a pass.
    if args.cases == 0 || args.steps == 0 {
        eprintln!(
            "error: --cases and --steps must be at least 1 (a campaign of nothing checks nothing)"
        );
        return ExitCode::from(2);
    }
    let jobs = match args.jobs {
        None => std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
        Some(n) => match NonZeroUsize::new(n) {
            Some(n) => n,
            None => {
                eprintln!("error: --jobs must be at least 1 (0 threads run nothing)");
                return ExitCode::from(2);
            }
        },
    };
    if let Some(shard) = args.shard
        && shard.len(args.cases) == 0
    {
        eprintln!(
            "error: --shard {shard} holds no case of --cases {} (shard I of N holds the cases c \
             with c mod N = I - 1)",
            args.cases
        );
        return ExitCode::from(2);
    }
    let profile = match args.profile.load() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let campaign = Campaign {
        config: Config::for_profile(&profile),
        profile,
        cases: args.cases,
        steps: args.steps,
        seed: args.seed,
        shrink: !args.no_shrink,
        shard: args.shard,
    };
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(campaign.case_count())
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} cases  {msg}  [{elapsed_precise}, eta {eta}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = campaign.run(jobs, |p| match p {
        Progress::Case { steps, broken } => {
            bar.inc(1);
            bar.set_message(format!("{steps} steps, {broken} broken"));
        }
        Progress::Shrinking { failures } => {
            bar.set_message(format!("shrinking {failures} failures"));
        }
    });
    bar.finish_and_clear();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    finish(&report, args.json, &args.out_dir)
}

/// Save the minimal traces in `out_dir`, print the report (table or JSON) and exit like `check`:
/// 0 when nothing broke, 1 otherwise, 2 on I/O errors.
pub(crate) fn finish(report: &Report, json: bool, out_dir: &Path) -> ExitCode {
    if let Err(e) = save_failures(report, out_dir) {
        eprintln!("error: saving minimal traces in {}: {e}", out_dir.display());
        return ExitCode::from(2);
    }
    if json {
        match serde_json::to_string_pretty(report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print_table(report);
        for f in &report.failures {
            print_failure(
                f,
                &trace_path(out_dir, &report.profile, f.invariant.as_str()),
            );
        }
        println!("\n{}", verdict(report));
    }
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The closing line: what broke and whether the profile is documented to break it.
fn verdict(report: &Report) -> String {
    let untested = CATALOG
        .iter()
        .filter(|i| report.tallies.get(&i.id).is_none_or(|t| t.checks == 0))
        .count();
    let live_only = InvariantId::ALL.iter().filter(|i| i.live_only()).count();
    let coverage = format!(
        "{} of {} invariants exercised; {live_only} only a live target shows (`audit`)",
        CATALOG.len() - untested,
        CATALOG.len()
    );
    if report.failures.is_empty() {
        return format!(
            "verdict: no invariant broken in {} steps ({coverage}).",
            report.steps
        );
    }
    // Judged against the profile's own deviations where it is Cloudflare's, else FastMCP's.
    let documented = documented_deviations(if report.profile == "cloudflare" {
        "cloudflare"
    } else {
        "fastmcp"
    })
    .unwrap_or_default();
    let undocumented: Vec<&str> = report
        .failures
        .iter()
        .filter(|f| !documented.contains(&f.invariant))
        .map(|f| f.invariant.as_str())
        .collect();
    if report.profile == "fastmcp" && undocumented.is_empty() {
        format!(
            "verdict: as expected. All {} broken invariants are FastMCP 4.2.3's documented \
             deviations from the RFCs (the D-n in docs/fastmcp-behaviour.md), which the fastmcp \
             profile reproduces on purpose; `--profile oauth21` is the strict server ({coverage}).",
            report.failures.len()
        )
    } else if report.profile == "cloudflare" && undocumented.is_empty() {
        format!(
            "verdict: as expected. All {} broken invariants are Cloudflare workers-oauth-provider \
             1.2.3's documented deviations from the RFCs (docs/cloudflare-behaviour.md §7), which \
             the cloudflare profile reproduces on purpose; `--profile oauth21` is the strict \
             server ({coverage}).",
            report.failures.len()
        )
    } else if report.profile == "cloudflare" {
        format!(
            "verdict: {} invariants broken ({coverage}); not documented deviations of Cloudflare: {}.",
            report.failures.len(),
            undocumented.join(", ")
        )
    } else {
        format!(
            "verdict: {} invariants broken ({coverage}); not documented deviations of FastMCP: {}.",
            report.failures.len(),
            if undocumented.is_empty() {
                "none".to_owned()
            } else {
                undocumented.join(", ")
            }
        )
    }
}

/// The minimal trace of `invariant` broken under `profile`: `PROFILE-INVARIANT.jsonl`.
fn trace_path(dir: &std::path::Path, profile: &str, invariant: &str) -> PathBuf {
    dir.join(format!("{profile}-{invariant}.jsonl"))
}

/// Whether `name` is a minimal trace an earlier `check` saved: `PROFILE-INVARIANT.jsonl` for a
/// built-in profile or the profile of this run (`current`, perhaps read from a file) and a
/// catalogued invariant, or the older `INVARIANT.jsonl`.
fn is_saved_trace(name: &str, current: &str) -> bool {
    let Some(stem) = name.strip_suffix(".jsonl") else {
        return false;
    };
    CATALOG.iter().any(|i| {
        let id = i.id.as_str();
        stem == id
            || Profile::names()
                .into_iter()
                .chain([current])
                .any(|p| stem.strip_prefix(p).and_then(|r| r.strip_prefix('-')) == Some(id))
    })
}

/// Save this run's minimal traces in `dir`, after removing the ones an earlier run left there
/// (only those: other files stay).
fn save_failures(report: &Report, dir: &std::path::Path) -> std::io::Result<()> {
    super::clear_own_files(dir, |name| is_saved_trace(name, &report.profile))?;
    if report.failures.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    for f in &report.failures {
        let path = trace_path(dir, &report.profile, f.invariant.as_str());
        std::fs::write(path, f.minimal.to_jsonl())?;
    }
    Ok(())
}

fn print_table(report: &Report) {
    println!(
        "profile {}: {} cases, {} steps, {} invariants broken",
        report.profile,
        report.cases,
        report.steps,
        report.failures.len()
    );
    for line in report.coverage.lines() {
        println!("{line}");
    }
    println!(
        "checks: positive = made on an answer that did not refuse the request, negative = on a \
         refusal (status >= 400 or an error redirect)\n"
    );
    println!(
        "{:<38} {:<7} {:>10} {:>10} {:>10} {:>10}  citation",
        "invariant", "level", "checks", "positive", "negative", "violations"
    );
    for inv in CATALOG {
        let t = report.tallies.get(&inv.id).copied().unwrap_or_default();
        let live_only = inv.id.live_only();
        let mark = if t.violations > 0 {
            "FAIL"
        } else if t.checks == 0 && live_only {
            "live"
        } else if t.checks == 0 {
            "-"
        } else {
            "ok"
        };
        println!(
            "{:<38} {:<7} {:>10} {:>10} {:>10} {:>10}  {:<4} {}",
            inv.id,
            inv.level.as_str(),
            t.checks,
            t.positive,
            t.negative,
            t.violations,
            mark,
            inv.citation
        );
    }
}

fn print_failure(f: &oauth_oracle::check::Failure, saved_as: &Path) {
    let inv = f.invariant.invariant();
    println!(
        "\n{} [{}] {} — case {}: {}\n  minimal trace ({} steps), saved as {}:",
        f.invariant,
        inv.level.as_str(),
        inv.summary,
        f.case,
        f.detail,
        f.minimal_steps,
        saved_as.display()
    );
    let mut r = Redactor::for_profile(&f.minimal.header.profile);
    let mut outputs: Vec<Output> = Vec::new();
    let start = f
        .minimal
        .steps
        .first()
        .map_or(oauth_oracle::UnixMillis(0), |s| s.at);
    for (i, s) in f.minimal.steps.iter().enumerate() {
        if let Ok(e) = resolve(&s.event, &outputs, i + 2) {
            println!(
                "  {}",
                r.line(s.step, start, s.at, &e, &s.output)
                    .replace('\n', "\n  ")
            );
        }
        outputs.push(s.output.clone());
    }
}
