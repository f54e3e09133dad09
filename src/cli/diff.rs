//! `oauth-oracle diff`: the model as a reference oracle for a live provider.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use oauth_oracle::Output;
use oauth_oracle::diff::{RunOptions, Verdict, run_flow, shrink_divergence};
use oauth_oracle::generate::{Generator, Pacing};
use oauth_oracle::target::{Endpoint, EndpointKind, HttpTarget};
use oauth_oracle::{Config, Lifetimes, Profile, Seed};
use serde::Serialize;

/// What a live provider was configured with, as the command line states it.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct TargetArgs {
    /// Base URL of the provider (its issuer without trailing slash), e.g. http://127.0.0.1:8765.
    #[arg(long)]
    pub(crate) target: String,
    /// Path of the protected MCP resource.
    #[arg(long, default_value = "/mcp")]
    pub(crate) mcp_path: String,
    /// Scopes the provider accepts at registration (space separated).
    #[arg(long, default_value = "read write")]
    pub(crate) valid_scopes: String,
    /// Scopes the resource requires (space separated).
    #[arg(long, default_value = "")]
    pub(crate) required_scopes: String,
    /// Authorization-code lifetime the provider was started with, in seconds.
    #[arg(long, default_value_t = 300)]
    pub(crate) code_ttl: u64,
    /// Access-token lifetime, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub(crate) access_ttl: u64,
    /// Refresh-token lifetime, in seconds (omit: never expires).
    #[arg(long)]
    pub(crate) refresh_ttl: Option<u64>,
    /// Allow `--jump-percent` waits for expiry boundaries longer than 60 s (lifetimes over 60 s).
    #[arg(long)]
    pub(crate) allow_long_waits: bool,
}

/// The longest expiry wait run without `--allow-long-waits`, in seconds.
pub(crate) const LONG_WAIT_SECS: u64 = 60;

/// `--cases` / `--steps`: a positive whole number (0 would test nothing).
pub(crate) fn positive_u64(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be at least 1 (0 would test nothing)".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// [`positive_u64`] as a `usize`.
pub(crate) fn positive_usize(s: &str) -> Result<usize, String> {
    positive_u64(s).and_then(|n| usize::try_from(n).map_err(|e| e.to_string()))
}

/// What a live run saw the target do, to tell a run that tested something from one that did not.
#[derive(Debug, Default)]
pub(crate) struct Usability {
    registrations: u64,
    registered: u64,
    codes: u64,
}

impl Usability {
    /// Note one answer of the target to a request of `kind` (the trace step's event kind).
    pub(crate) fn observe(&mut self, kind: Option<&str>, out: &Output) {
        if kind == Some("register") {
            self.registrations += 1;
            let issued = (200..300).contains(&out.status)
                && serde_json::from_str::<serde_json::Value>(&out.body)
                    .ok()
                    .and_then(|v| v.get("client_id").and_then(|c| c.as_str()).map(|_| ()))
                    .is_some();
            if issued {
                self.registered += 1;
            }
        }
        let code = out.header("location").is_some_and(|l| {
            l.split_once('?').is_some_and(|(_, q)| {
                q.split(['&', '#'])
                    .any(|kv| kv.strip_prefix("code=").is_some_and(|c| !c.is_empty()))
            })
        });
        if code {
            self.codes += 1;
        }
    }

    /// Why the run tested nothing worth a verdict, if it did not.
    pub(crate) fn unusable(&self) -> Option<String> {
        if self.registered == 0 {
            return Some(format!(
                "no client could be registered ({} registration requests, none answered with a client_id)",
                self.registrations
            ));
        }
        if self.codes == 0 {
            return Some(format!(
                "no authorization code was ever issued ({} clients registered)",
                self.registered
            ));
        }
        None
    }
}

/// Refuse `--jump-percent` waits longer than [`LONG_WAIT_SECS`] unless `--allow-long-waits`.
pub(crate) fn check_waits(args: &TargetArgs, jump_percent: u64) -> Result<(), String> {
    if jump_percent == 0 || args.allow_long_waits {
        return Ok(());
    }
    let long: Vec<String> = [
        ("--access-ttl", "access-token", args.access_ttl),
        ("--code-ttl", "authorization-code", args.code_ttl),
    ]
    .iter()
    .filter(|(_, _, ttl)| *ttl > LONG_WAIT_SECS)
    .map(|(flag, what, ttl)| format!("the {what} lifetime {ttl} s ({flag})"))
    .collect();
    if long.is_empty() {
        return Ok(());
    }
    Err(format!(
        "--jump-percent {jump_percent} waits in real time for expiry boundaries, here up to {}; waits over {LONG_WAIT_SECS} s are refused: start the provider with lifetimes of at most {LONG_WAIT_SECS} s and pass them here, or add --allow-long-waits",
        long.join(" and ")
    ))
}

/// The run's progress for a reader without a progress bar: shared counters, printed to stderr
/// every few seconds by a thread while the run lasts.
pub(crate) struct Heartbeat {
    /// Flows finished.
    pub(crate) flows: Arc<AtomicU64>,
    /// Requests sent.
    pub(crate) requests: Arc<AtomicU64>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    /// Every this often a progress line is printed.
    pub(crate) const EVERY: Duration = Duration::from_secs(5);

    /// Start printing `command: F/total flows, R requests, S s elapsed` every [`Self::EVERY`] when
    /// `quiet_bar` (no progress bar is drawn) or stderr is not a terminal; otherwise print nothing.
    pub(crate) fn start(command: &'static str, total: u64, quiet_bar: bool) -> Self {
        let flows = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(AtomicU64::new(0));
        let mut beat = Self {
            flows: flows.clone(),
            requests: requests.clone(),
            stop: None,
            thread: None,
        };
        if !quiet_bar && std::io::stderr().is_terminal() {
            return beat;
        }
        let (tx, rx) = mpsc::channel::<()>();
        let started = clock();
        beat.stop = Some(tx);
        beat.thread = Some(std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(Self::EVERY) {
                eprintln!(
                    "{command}: {}/{total} flows, {} requests, {} s elapsed",
                    flows.load(Ordering::Relaxed),
                    requests.load(Ordering::Relaxed),
                    started.elapsed().as_secs()
                );
            }
        }));
        beat
    }

    /// Record progress.
    pub(crate) fn set(&self, flows: u64, requests: u64) {
        self.flows.store(flows, Ordering::Relaxed);
        self.requests.store(requests, Ordering::Relaxed);
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Whether `name` is `{prefix}{digits}{suffix}`.
pub(crate) fn is_numbered(name: &str, prefix: &str, suffix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|r| r.strip_suffix(suffix))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The divergence trace of `case` under `profile`.
fn divergence_file(profile: &str, case: u64) -> String {
    format!("divergence-{profile}-case{case}.jsonl")
}

impl TargetArgs {
    /// The model configuration that mirrors the provider.
    pub(crate) fn config(&self, profile: &Profile, seed: Seed) -> Config {
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        Config {
            base_url: self.target.trim_end_matches('/').to_owned(),
            mcp_path: self.mcp_path.clone(),
            valid_scopes: Some(words(&self.valid_scopes)),
            required_scopes: words(&self.required_scopes),
            lifetimes: Lifetimes {
                code: self.code_ttl,
                access: self.access_ttl,
                refresh: self.refresh_ttl,
            },
            seed,
            ..Config::for_profile(profile)
        }
    }
}

/// Options of `diff`.
#[derive(clap::Args, Debug)]
pub(crate) struct DiffArgs {
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// The profile the provider is expected to match.
    #[command(flatten)]
    pub(crate) profile: super::ProfileChoice,
    /// Number of generated flows (at least 1).
    #[arg(long, default_value_t = 100, value_parser = positive_u64)]
    pub(crate) cases: u64,
    /// Steps per flow (at least 1).
    #[arg(long, default_value_t = 25, value_parser = positive_usize)]
    pub(crate) steps: usize,
    /// Campaign seed.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Percentage of steps that wait for an expiry boundary (needs short lifetimes on both sides).
    #[arg(long, default_value_t = 0)]
    pub(crate) jump_percent: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Where minimal traces of divergent flows are saved, as `divergence-PROFILE-caseN.jsonl`
    /// (each run first removes the earlier run's files of that name pattern).
    #[arg(long, default_value = "oauth-oracle-divergences")]
    pub(crate) out_dir: PathBuf,
    /// Re-runs allowed when shrinking one divergent flow.
    #[arg(long, default_value_t = 40)]
    pub(crate) shrink_budget: usize,
}

#[derive(Serialize, Default)]
struct DiffReport {
    target: String,
    profile: String,
    /// Where the endpoints came from.
    metadata: String,
    /// Every endpoint: its URL, or null when the metadata names none (its steps are skipped).
    endpoints: Vec<Endpoint>,
    flows: u64,
    steps_agree: u64,
    steps_skip: u64,
    /// Why steps were skipped (a timing window, an endpoint missing from the metadata, a resource
    /// answer that neither accepts nor rejects), and how often.
    skip_reasons: std::collections::BTreeMap<String, u64>,
    divergent_flows: u64,
    requests: u64,
    seconds: f64,
    target_wait_share: f64,
    divergences: Vec<DivergenceReport>,
}

#[derive(Serialize)]
struct DivergenceReport {
    case: u64,
    step: usize,
    detail: String,
    minimal_steps: usize,
    trace: String,
}

#[allow(clippy::disallowed_methods)] // the command times a live run
fn clock() -> std::time::Instant {
    std::time::Instant::now()
}

/// Run the differential campaign; exit 0 when every step agreed (or was skipped), 1 on a
/// divergence, 2 when the target cannot be used.
pub(crate) fn diff(args: &DiffArgs) -> ExitCode {
    let profile = match args.profile.load() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = check_waits(&args.target, args.jump_percent) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let mut target = match HttpTarget::checked(&args.target.target, &args.target.mcp_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = target.discover() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if !target.endpoints().discovered() {
        eprintln!("note: {}", target.endpoints().describe_source());
    }
    if let Some(why) = target.endpoints().missing(EndpointKind::Registration) {
        eprintln!(
            "error: target unusable: {why}; diff registers its own clients (dynamic client registration, RFC 7591), nothing tested"
        );
        return ExitCode::from(2);
    }
    let stale = |name: &str| {
        is_numbered(name, &format!("divergence-{}-case", profile.name), ".jsonl")
            || is_numbered(name, "divergence-case", ".jsonl")
    };
    if let Err(e) = super::clear_own_files(&args.out_dir, stale) {
        eprintln!("error: {}: {e}", args.out_dir.display());
        return ExitCode::from(2);
    }
    let heartbeat = Heartbeat::start("diff", args.cases, args.json);
    let mut usability = Usability::default();
    let started = clock();
    // Discovery is not part of the campaign's time: the share waiting covers the flows only.
    let wait_before = target.wait;
    let opts = RunOptions {
        real_time: true,
        tolerance: Duration::from_millis(250),
    };
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(args.cases)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} flows  {msg}  [{elapsed_precise}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut report = DiffReport {
        target: args.target.target.clone(),
        profile: profile.name.to_string(),
        metadata: target.endpoints().describe_source(),
        endpoints: target.endpoints().endpoints.clone(),
        ..DiffReport::default()
    };
    for case in 0..args.cases {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&args.seed.to_le_bytes());
        seed[8..16].copy_from_slice(&case.to_le_bytes());
        let config = args.target.config(&profile, Seed(seed));
        let generator = match Generator::new(profile.clone(), config) {
            Ok(g) => g.with_pacing(Pacing::live(args.jump_percent, 700)),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let trace = generator.run(args.steps);
        let run = match run_flow(&trace, &mut target, opts) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        report.flows += 1;
        for s in &run.steps {
            if let Some(out) = &s.target {
                let kind = trace.steps.get(s.step - 1).and_then(|l| l.kind());
                usability.observe(kind.as_deref(), out);
            }
            match &s.verdict {
                Verdict::Agree => report.steps_agree += 1,
                Verdict::Skip(why) => {
                    report.steps_skip += 1;
                    let why = if why.starts_with("expiry boundary within") {
                        "expiry boundary (timing window)".to_owned()
                    } else {
                        why.clone()
                    };
                    *report.skip_reasons.entry(why).or_default() += 1;
                }
                Verdict::Diverge(_) => {}
            }
        }
        if let Some(d) = run.divergence() {
            report.divergent_flows += 1;
            let detail = match &d.verdict {
                Verdict::Diverge(s) => s.clone(),
                Verdict::Agree | Verdict::Skip(_) => String::new(),
            };
            let step = d.step;
            let minimal =
                match shrink_divergence(&run.model_trace, &mut target, opts, args.shrink_budget) {
                    Ok(m) => m,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(2);
                    }
                };
            let path = args.out_dir.join(divergence_file(&profile.name, case));
            if let Err(e) = std::fs::create_dir_all(&args.out_dir)
                .and_then(|()| std::fs::write(&path, minimal.to_jsonl()))
            {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
            if !args.json {
                bar.suspend(|| {
                    println!(
                        "case {case}, step {step}: {detail}\n  minimal trace: {} steps, {}",
                        minimal.steps.len(),
                        path.display()
                    )
                });
            }
            report.divergences.push(DivergenceReport {
                case,
                step,
                detail,
                minimal_steps: minimal.steps.len(),
                trace: path.display().to_string(),
            });
        }
        bar.inc(1);
        bar.set_message(format!(
            "{} requests, {} divergent",
            target.requests, report.divergent_flows
        ));
        heartbeat.set(report.flows, target.requests);
    }
    bar.finish_and_clear();
    drop(heartbeat);
    let total = started.elapsed().as_secs_f64();
    report.requests = target.requests;
    report.seconds = total;
    report.target_wait_share = if total > 0.0 {
        (target.wait.saturating_sub(wait_before).as_secs_f64() / total).min(1.0)
    } else {
        0.0
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        println!(
            "{} flows against {} ({} profile): {} steps agree, {} skipped, {} divergent flows\n{} requests in {:.1} s; {:.0}% of the time waiting for the target, {:.0}% in the runner",
            report.flows,
            report.target,
            report.profile,
            report.steps_agree,
            report.steps_skip,
            report.divergent_flows,
            report.requests,
            report.seconds,
            report.target_wait_share * 100.0,
            (1.0 - report.target_wait_share) * 100.0
        );
        for (why, n) in &report.skip_reasons {
            println!("  skipped {n}: {why}");
        }
        println!("endpoints: {}", report.metadata);
        for e in &report.endpoints {
            println!(
                "  {:<24} {}",
                e.kind.field(),
                e.url.as_deref().unwrap_or(e.kind.when_missing())
            );
        }
    }
    if let Some(why) = usability.unusable() {
        eprintln!(
            "error: target unusable: {why}; {} requests sent in {} flows, nothing tested",
            report.requests, report.flows
        );
        return ExitCode::from(2);
    }
    if report.divergent_flows == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
