//! `oauth-oracle diff`: the model as a reference oracle for a live server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use oauth_oracle::coverage::Coverage;
use oauth_oracle::diff::{Compare, RunOptions, Verdict, run_flow, shrink_divergence};
use oauth_oracle::generate::Generator;
use oauth_oracle::target::Endpoint;
use oauth_oracle::{Config, Lifetimes, Profile, Seed};
use serde::Serialize;

mod classes;

use classes::{ClassReport, classes_table, classify, sort_classes};

use super::live::{
    Heartbeat, Usability, clock, connect, in_parallel, is_numbered, positive_u64, positive_usize,
    unusable,
};

/// What a live server was configured with, as the command line states it.
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
    /// Client-secret lifetime the provider gives confidential clients at registration, in
    /// seconds (`client_secret_expires_at`; omit: never expires).
    #[arg(long)]
    pub(crate) client_secret_ttl: Option<u64>,
    /// Allow `--jump-percent` waits for expiry boundaries longer than 60 s (lifetimes over 60 s).
    #[arg(long)]
    pub(crate) allow_long_waits: bool,
    /// Login and token probes.
    #[command(flatten)]
    pub(crate) access: super::access::AccessArgs,
}

/// The divergence trace of `case` under `profile`.
fn divergence_file(profile: &str, case: u64) -> String {
    format!("divergence-{profile}-case{case}.jsonl")
}

/// `--compare`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default)]
pub(crate) enum CompareArg {
    /// Status, headers and bodies, random values up to a bijection (the model byte for byte); an
    /// accepted protected-resource call by its status (its body is the application's).
    #[default]
    Exact,
    /// Status (302 = 303), `error` code, which secrets were issued; whether tokens work is
    /// judged by the later steps that present them.
    Semantic,
}

impl From<CompareArg> for Compare {
    fn from(c: CompareArg) -> Self {
        match c {
            CompareArg::Exact => Self::Exact,
            CompareArg::Semantic => Self::Semantic,
        }
    }
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
            client_secret_expiry_seconds: self.client_secret_ttl,
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
    /// Re-runs allowed when shrinking one divergent flow (with --keep-going: one class).
    #[arg(long, default_value_t = 40)]
    pub(crate) shrink_budget: usize,
    /// Run every flow to its end (each side keeping its own state) and group the divergent steps
    /// into classes (endpoint, statuses, error codes, the model's reason) with counts and one
    /// minimal trace per class, `divergence-PROFILE-classN.jsonl`.
    #[arg(long)]
    pub(crate) keep_going: bool,
    /// What must agree: `exact` (status, headers, bodies up to random values) or `semantic`
    /// (status with 302 = 303, the `error` code, which secrets were issued).
    #[arg(long, value_enum, default_value_t = CompareArg::Exact)]
    pub(crate) compare: CompareArg,
    /// Flows in flight at once, each with its own clients, connections and lockstep model (for
    /// providers that serve concurrently); the report is the same whatever the number.
    #[arg(long, default_value_t = 1, value_parser = positive_usize)]
    pub(crate) jobs: usize,
    /// A client ID metadata document the target fetches itself, as URL=FILE (repeatable; FILE
    /// holds the JSON the target gets at URL, at most 64 KiB): flows use URL as a client id, and
    /// the model is handed the same document. Flows share the document's client: only with
    /// `--jobs 1`.
    #[arg(long = "client-document", value_name = "URL=FILE", value_parser = super::live::client_document)]
    pub(crate) client_documents: Vec<(String, String)>,
    /// Pre-registered clients.
    #[command(flatten)]
    pub(crate) client: super::access::ClientArgs,
}

#[derive(Serialize, Default)]
struct DiffReport {
    target: String,
    profile: String,
    /// Where the endpoints came from.
    metadata: String,
    /// What the flows were fitted to (the probes' findings, printed as `note: fitted: …`).
    fitted: Vec<String>,
    /// Every endpoint: its URL, or null when the metadata names none (its steps are skipped).
    endpoints: Vec<Endpoint>,
    flows: u64,
    /// Steps generated and executed (sent and answered), flows stopped early and why, steps
    /// not sent and why.
    coverage: Coverage,
    steps_agree: u64,
    /// The agreeing steps by request kind and the model's rule (`ok` when it did what was
    /// asked): which paths the agreement covers.
    agreed: std::collections::BTreeMap<String, u64>,
    steps_skip: u64,
    /// Why steps were skipped (a timing window, an endpoint missing from the metadata, a resource
    /// answer that neither accepts nor rejects), and how often.
    skip_reasons: std::collections::BTreeMap<String, u64>,
    divergent_flows: u64,
    requests: u64,
    seconds: f64,
    target_wait_share: f64,
    divergences: Vec<DivergenceReport>,
    /// `semantic` when not the default exact comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    compare: Option<&'static str>,
    /// With `--keep-going`: the divergence classes, most frequent first.
    #[serde(skip_serializing_if = "Option::is_none")]
    classes: Option<Vec<ClassReport>>,
}

#[derive(Serialize)]
struct DivergenceReport {
    case: u64,
    step: usize,
    detail: String,
    minimal_steps: usize,
    trace: String,
}

/// Run the differential campaign; exit 0 when every step agreed (or was skipped), 1 on a
/// divergence, 2 when the target cannot be used.
pub(crate) fn diff(args: &DiffArgs) -> ExitCode {
    if !args.client_documents.is_empty() && args.jobs > 1 {
        // A document's client is one client for every flow: a flow's authorization may end
        // another's grants (RFC-allowed, and Cloudflare's library does), so flows in flight at
        // once are not independent.
        eprintln!(
            "error: --client-document with --jobs {}: every flow shares the document's client, so flows in flight at once change each other's grants; run them with --jobs 1",
            args.jobs
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
    let Some(target) = connect(
        "diff",
        &args.target,
        args.jump_percent,
        &args.client.clients,
    ) else {
        return ExitCode::from(2);
    };
    let mut target = target.matching_client_methods();
    let (mut fit, notes) = super::fit::probe(&mut target, &args.target.valid_scopes);
    fit.pre_registered = !args.client.clients.is_empty();
    if !args.client_documents.is_empty() {
        fit.client_documents = true;
        target = target.with_client_documents(&args.client_documents);
    }
    if !args.json {
        for note in &notes {
            eprintln!("note: {note}");
        }
    }
    let stale = |name: &str| {
        is_numbered(name, &format!("divergence-{}-case", profile.name), ".jsonl")
            || is_numbered(
                name,
                &format!("divergence-{}-class", profile.name),
                ".jsonl",
            )
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
        keep_going: args.keep_going,
        compare: args.compare.into(),
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
        fitted: notes.clone(),
        compare: (opts.compare != Compare::Exact).then_some(opts.compare.as_str()),
        classes: args.keep_going.then(Vec::new),
        ..DiffReport::default()
    };
    // The flows, `--jobs` at a time, each against its own fork of the target (each lockstep
    // model is the flow's own); then, in case order, the report and the shrinking of each
    // divergence against the target itself.
    let runs = in_parallel(&mut target, args.cases, args.jobs, |case, fork| {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&args.seed.to_le_bytes());
        seed[8..16].copy_from_slice(&case.to_le_bytes());
        let config = args.target.config(&profile, Seed(seed));
        let generator = Generator::new(profile.clone(), config)
            .map_err(|e| e.to_string())?
            .with_pacing(super::live::live_pacing(&args.target, args.jump_percent))
            .with_fit(fit)
            .with_client_documents(&args.client_documents);
        let trace = generator.run(args.steps);
        let before = fork.requests;
        let run = run_flow(&trace, fork, opts).map_err(|e| e.to_string());
        bar.inc(1);
        heartbeat.flow_done(fork.requests - before);
        run.map(|run| (trace, run))
    });
    for (case, run) in (0..args.cases).zip(runs) {
        let (trace, run) = match run {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        report.flows += 1;
        report.coverage.add(&run.coverage);
        for s in &run.steps {
            if let Some(out) = &s.target {
                let kind = trace.steps.get(s.step - 1).map(|l| l.event.kind());
                usability.observe(kind, out);
            }
            match &s.verdict {
                Verdict::Agree => {
                    report.steps_agree += 1;
                    let kind = trace.steps.get(s.step - 1).map_or("?", |l| l.event.kind());
                    let rule = s
                        .model
                        .as_ref()
                        .and_then(|o| o.reason)
                        .map_or("ok".to_owned(), reason_name);
                    *report.agreed.entry(format!("{kind} {rule}")).or_default() += 1;
                }
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
        if args.keep_going {
            if run.divergence().is_some() {
                report.divergent_flows += 1;
            }
            if let Err(code) = classify(
                args,
                &profile.name,
                case,
                &trace,
                &run,
                &mut target,
                opts,
                &mut report,
            ) {
                return code;
            }
        } else if let Some(d) = run.divergence() {
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
        bar.set_message(format!(
            "{} requests, {} divergent",
            target.requests, report.divergent_flows
        ));
    }
    bar.finish_and_clear();
    drop(heartbeat);
    if let Some(classes) = &mut report.classes {
        sort_classes(classes);
    }
    let total = started.elapsed().as_secs_f64();
    report.requests = target.requests;
    report.seconds = total;
    // With `--jobs N`, N flows wait at once: the share is of the workers' time.
    report.target_wait_share = if total > 0.0 {
        (target.wait.saturating_sub(wait_before).as_secs_f64() / (total * args.jobs as f64))
            .min(1.0)
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
        let agreed: Vec<String> = report
            .agreed
            .iter()
            .map(|(path, n)| format!("{path} {n}"))
            .collect();
        if !agreed.is_empty() {
            println!(
                "agreed steps by request and the model's rule: {}",
                agreed.join(", ")
            );
        }
        for line in report.coverage.lines() {
            println!("{line}");
        }
        if let Some(classes) = &report.classes {
            print!("{}", classes_table(classes));
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
    let why: Vec<String> = [report.coverage.too_little(), usability.unusable()]
        .into_iter()
        .flatten()
        .collect();
    if unusable(&why, report.requests, report.flows, &report.coverage) {
        return ExitCode::from(2);
    }
    if report.divergent_flows == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The snake-case name of a [`Reason`], as traces write it.
fn reason_name(r: oauth_oracle::output::Reason) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
