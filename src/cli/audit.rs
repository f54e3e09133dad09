//! `oauth-oracle audit`: the invariant catalogue against a live server.

use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use oauth_oracle::Seed;
use oauth_oracle::audit::{
    AuditRun, Report, ResourceProbes, SecretLabels, Status, Surface, audit_flow_live,
    shrink_violation,
};
use oauth_oracle::coverage::Coverage;
use oauth_oracle::generate::Generator;
use oauth_oracle::invariant::{Expectations, InvariantId, Tally, Violation};
use oauth_oracle::target::EndpointKind;
use oauth_oracle::trace::Trace;

use super::diff::TargetArgs;
use super::live::{
    Heartbeat, Usability, connect, in_parallel, positive_u64, positive_usize, unusable,
};

/// The report files of one run: `audit-PROFILE.md`, `.json`, `.junit.xml`, `.sarif`.
fn report_files(profile: &str) -> [String; 4] {
    ["md", "json", "junit.xml", "sarif"].map(|ext| format!("audit-{profile}.{ext}"))
}

/// The minimal trace of a FAIL of `invariant`, beside the reports: `audit-PROFILE-INVARIANT.jsonl`.
pub(crate) fn trace_file(profile: &str, invariant: InvariantId) -> String {
    format!("audit-{profile}-{invariant}.jsonl")
}

/// Whether `name` is the minimal trace of some catalogue invariant ([`trace_file`]).
fn is_trace_file(profile: &str, name: &str) -> bool {
    oauth_oracle::invariant::CATALOG
        .iter()
        .any(|i| name == trace_file(profile, i.id))
}

/// Whether the file at `path` is a report an earlier version of this tool wrote as `audit.md`,
/// `audit.json` or `audit.junit.xml` (read: its first bytes only).
fn is_legacy_report(path: &std::path::Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = String::from_utf8_lossy(&head[..n]);
    head.starts_with("# OAuth conformance audit of ")
        || head.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"oauth-oracle audit",
        )
        || head.starts_with("{\n  \"target\": ")
}

/// Options of `audit`.
#[derive(clap::Args, Debug)]
pub(crate) struct AuditArgs {
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// Number of generated flows (at least 1).
    #[arg(long, default_value_t = 60, value_parser = positive_u64)]
    pub(crate) cases: u64,
    /// Steps per flow (at least 1).
    #[arg(long, default_value_t = 30, value_parser = positive_usize)]
    pub(crate) steps: usize,
    /// Campaign seed.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Percentage of steps that wait for an expiry boundary (needs short lifetimes).
    #[arg(long, default_value_t = 0)]
    pub(crate) jump_percent: u64,
    /// Where the report is written: audit-PROFILE.md, .json, .junit.xml, .sarif, and per FAIL its
    /// minimal trace audit-PROFILE-INVARIANT.jsonl (secrets the provider issued replaced by labels;
    /// PROFILE the profile's name, `fastmcp` by default).
    #[arg(long, default_value = "oauth-oracle-audit")]
    pub(crate) out_dir: PathBuf,
    /// Re-runs allowed when shrinking one failure.
    #[arg(long, default_value_t = 30)]
    pub(crate) shrink_budget: usize,
    /// Write the secrets and tokens the provider issued into the reports and traces as they are,
    /// not as labels (for a provider of one's own; never for a report that is shared).
    #[arg(long)]
    pub(crate) reveal_secrets: bool,
    /// Re-run this saved minimal trace (audit-PROFILE-INVARIANT.jsonl) against --target through
    /// the checker: CONFIRMED (the invariant is violated again, exit 1), CLEARED (checked, not
    /// violated, exit 0), or exit 2 (target unusable, or the replay never reached a check of it).
    /// The trace registers its own clients, so every secret is obtained anew.
    #[arg(long, value_name = "FILE")]
    pub(crate) replay: Option<PathBuf>,
    /// With --replay: the invariant to confirm (default: the one the file is named after).
    #[arg(long, requires = "replay")]
    pub(crate) invariant: Option<String>,
    /// Flows in flight at once, each with its own clients and connections (for providers that
    /// serve concurrently); the report is the same whatever the number.
    #[arg(long, default_value_t = 1, value_parser = positive_usize)]
    pub(crate) jobs: usize,
    /// A client ID metadata document the target fetches itself, as URL=FILE (repeatable; FILE
    /// holds the JSON the target gets at URL, at most 64 KiB): flows use URL as a client id, and
    /// `client-document-id-is-url` judges the codes issued to it. Give valid documents, and ones
    /// whose client_id is not their URL, which the target must refuse.
    #[arg(long = "client-document", value_name = "URL=FILE", value_parser = super::live::client_document)]
    pub(crate) client_documents: Vec<(String, String)>,
    /// Pre-registered clients.
    #[command(flatten)]
    pub(crate) client: super::access::ClientArgs,
    /// The profile the flows are generated under, whose knobs the minimal traces carry and whose
    /// name the report files take (a learned one: `fingerprint --out`). The verdicts are the
    /// RFCs': no invariant reads a knob.
    #[command(flatten)]
    pub(crate) profile: super::ProfileChoice,
}

/// Audit the provider; exit 0 when no MUST invariant fails, 1 otherwise, 2 if the target is unusable.
pub(crate) fn audit(args: &AuditArgs) -> ExitCode {
    let profile = match args.profile.load() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let name: &str = &profile.name;
    if let Some(path) = &args.replay {
        return super::audit_replay::replay(args, path, name);
    }
    let Some(mut target) = connect(
        "audit",
        &args.target,
        args.jump_percent,
        &args.client.clients,
    ) else {
        return ExitCode::from(2);
    };
    let (mut fit, mut notes) = super::fit::probe(&mut target, &args.target.valid_scopes);
    if !args.client_documents.is_empty() {
        fit.client_documents = true;
        target = target.with_client_documents(&args.client_documents);
    }
    if let Some(url) = target.endpoints().url(EndpointKind::Introspection) {
        fit.introspection = true;
        notes.push(format!(
            "introspection_endpoint {url}: flows introspect issued tokens without authenticating \
             (RFC 7662 §2.1)"
        ));
    }
    for note in &notes {
        eprintln!("note: {note}");
    }
    let files = report_files(name);
    let legacy = |name: &str| {
        matches!(name, "audit.md" | "audit.json" | "audit.junit.xml")
            && is_legacy_report(&args.out_dir.join(name))
    };
    if let Err(e) = super::clear_own_files(&args.out_dir, |n| {
        files.iter().any(|f| f == n) || legacy(n) || is_trace_file(name, n)
    }) {
        eprintln!("error: {}: {e}", args.out_dir.display());
        return ExitCode::from(2);
    }
    // A refresh-token lifetime not given (`--refresh-ttl`) is unknown, not infinite.
    // What the metadata says the server supports decides which rules apply (RFC 9207 `iss`,
    // PKCE `plain`).
    let exp = Expectations::for_live(&args.target.config(&profile, Seed::from_u64(0)))
        .with_metadata(target.metadata())
        .with_resource(target.protected_resource().map(str::to_owned));
    let bar = ProgressBar::new(args.cases);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} flows  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut tallies: std::collections::BTreeMap<InvariantId, Tally> =
        std::collections::BTreeMap::new();
    let mut failures: Vec<(Violation, Trace)> = Vec::new();
    let mut labels = if args.reveal_secrets {
        SecretLabels::revealing()
    } else {
        SecretLabels::new()
    };
    let mut usability = Usability::default();
    let mut coverage = Coverage::default();
    let mut resource = ResourceProbes {
        url: target.resource_url().to_owned(),
        ..ResourceProbes::default()
    };
    let heartbeat = Heartbeat::start("audit", args.cases, false);
    // The flows, `--jobs` at a time, each against its own fork of the target; then, in case
    // order, their tallies and the shrinking of each first failure (against the target itself).
    let runs = in_parallel(&mut target, args.cases, args.jobs, |case, fork| {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&args.seed.to_le_bytes());
        seed[8..16].copy_from_slice(&case.to_le_bytes());
        seed[16] = b'a';
        let config = args.target.config(&profile, Seed(seed));
        let generator = Generator::new(profile.clone(), config).map_err(|e| e.to_string())?;
        // Each step is drawn from the target's own answers; steps whose endpoint the metadata
        // does not name are not sent.
        let generator = generator
            .with_pacing(super::live::live_pacing(&args.target, args.jump_percent))
            .with_fit(fit);
        let generator = match &exp.resource {
            Some(url) => generator.with_resource(url),
            None => generator,
        }
        .with_client_documents(&args.client_documents);
        let before = fork.requests;
        let run = audit_flow_live(generator, args.steps, fork, &exp).map_err(|e| e.to_string());
        bar.inc(1);
        heartbeat.flow_done(fork.requests - before);
        run
    });
    for run in runs {
        let AuditRun {
            violations,
            checker,
            observed,
            coverage: flow,
        } = match run {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        for line in &observed.steps {
            usability.observe(Some(line.event.kind()), &line.output);
            if line.event.kind() == "resource" {
                resource.observe(&line.output);
            }
        }
        coverage.add(&flow);
        for (id, t) in checker.tallies() {
            tallies.entry(*id).or_default().add(t);
        }
        for v in violations {
            if failures.iter().any(|(f, _)| f.invariant == v.invariant) {
                continue;
            }
            // The detail may quote this run's answers: their secrets get labels too.
            labels.learn(&observed);
            let minimal = match shrink_violation(
                &observed,
                &mut target,
                &exp,
                v.invariant,
                args.shrink_budget,
            ) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            failures.push((v, minimal));
        }
        bar.set_message(format!(
            "{} requests, {} invariants failing",
            target.requests,
            failures.len()
        ));
    }
    bar.finish_and_clear();
    drop(heartbeat);
    let checks: u64 = tallies.values().map(|t| t.checks).sum();
    let why: Vec<String> = [
        coverage.too_little(),
        usability.unusable(),
        (checks == 0).then(|| "no invariant was ever evaluated".to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if unusable(&why, target.requests, args.cases, &coverage) {
        return ExitCode::from(2);
    }
    let report = Report::with_labels(
        args.target.target.clone(),
        args.cases,
        target.requests,
        &tallies,
        &failures,
        labels,
    )
    .with_coverage(coverage)
    .with_surface(Surface {
        metadata: target.endpoints().describe_source(),
        discovered: target.endpoints().discovered(),
        endpoints: target.endpoints().endpoints.clone(),
        resource: Some(resource),
        conditional: Surface::conditions(
            &exp,
            !args.client.clients.is_empty(),
            !args.client_documents.is_empty(),
        ),
        pre_registered: !args.client.clients.is_empty(),
    });
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    let sarif =
        serde_json::to_string_pretty(&report.sarif(|id| trace_file(name, id))).unwrap_or_default();
    let [md_file, json_file, junit_file, sarif_file] = &files;
    let written = std::fs::create_dir_all(&args.out_dir)
        .and_then(|()| std::fs::write(args.out_dir.join(md_file), report.markdown()))
        .and_then(|()| std::fs::write(args.out_dir.join(json_file), json))
        .and_then(|()| std::fs::write(args.out_dir.join(junit_file), report.junit()))
        .and_then(|()| std::fs::write(args.out_dir.join(sarif_file), sarif))
        .and_then(|()| {
            report.entries.iter().try_for_each(|e| match &e.trace {
                Some(t) => std::fs::write(args.out_dir.join(trace_file(name, e.invariant)), t),
                None => Ok(()),
            })
        });
    if let Err(e) = written {
        eprintln!("error: {}: {e}", args.out_dir.display());
        return ExitCode::from(2);
    }
    println!("endpoints: {}", report.surface.metadata);
    for e in &report.surface.endpoints {
        println!(
            "  {:<24} {}",
            e.kind.field(),
            e.url.as_deref().unwrap_or(e.kind.when_missing())
        );
    }
    for line in report.coverage.lines() {
        println!("{line}");
    }
    println!(
        "checks: positive = made on an answer that did not refuse the request, negative = on a \
         refusal (status >= 400 or an error redirect)"
    );
    for e in &report.entries {
        println!(
            "{:<38} {:<7} {:<15} {:>7} checks ({:>6} positive, {:>6} negative) {:>6} violations{}",
            e.invariant,
            e.level.as_str(),
            e.status.as_str(),
            e.tally.checks,
            e.tally.positive,
            e.tally.negative,
            e.tally.violations,
            e.why
                .as_deref()
                .map(|w| format!("  ({w})"))
                .unwrap_or_default()
        );
    }
    println!(
        "\n{}: {} PASS, {} FAIL, {} NOT TESTED; report in {}/audit-{name}.{{md,json,junit.xml,sarif}}",
        report.target,
        report.count(Status::Pass),
        report.count(Status::Fail),
        report.count(Status::NotTested),
        args.out_dir.display()
    );
    let must_fail = report
        .entries
        .iter()
        .any(|e| e.status == Status::Fail && e.level == oauth_oracle::invariant::Level::Must);
    if must_fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
