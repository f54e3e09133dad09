//! `oauth-oracle replay`: re-run a trace through the model.

use std::fs::File;
#[cfg(feature = "diff")]
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use oauth_oracle::Output;
#[cfg(feature = "diff")]
use oauth_oracle::trace::Trace;
use oauth_oracle::trace::{ReplayOutcome, replay_jsonl};

/// Replay the trace at `path`: 0 match, 1 mismatch, 2 malformed.
pub(crate) fn replay_file(path: &PathBuf) -> ExitCode {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let result = replay_jsonl(file);
    match result {
        Ok(ReplayOutcome::Match { steps }) => {
            println!("replayed {steps} steps: every output matches");
            ExitCode::SUCCESS
        }
        Ok(ReplayOutcome::Mismatch {
            step,
            line,
            recorded,
            replayed,
        }) => {
            println!("step {step} (line {line}) differs:");
            print_side_by_side(&recorded, &replayed);
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}

fn output_lines(o: &Output) -> Vec<String> {
    let mut lines = vec![format!("status: {}", o.status)];
    lines.extend(o.headers.iter().map(|(k, v)| format!("{k}: {v}")));
    lines.push(format!("body: {}", o.body));
    lines.push(format!(
        "reason: {}",
        o.reason.map_or("-".to_owned(), |r| format!("{r:?}"))
    ));
    lines
}

fn print_side_by_side(recorded: &Output, replayed: &Output) {
    let a = output_lines(recorded);
    let b = output_lines(replayed);
    println!("  {:<60} | replayed (model)", "recorded (trace)");
    for i in 0..a.len().max(b.len()) {
        let l = a.get(i).map_or("", String::as_str);
        let r = b.get(i).map_or("", String::as_str);
        let mark = if l == r { ' ' } else { '*' };
        println!("{mark} {l:<60} | {r}");
    }
}

/// The trace at `path`, read whole for a live replay (at most 256 MiB), or why not (the path is
/// not in the message).
#[cfg(feature = "diff")]
pub(crate) fn read_trace(path: &std::path::Path) -> Result<Trace, String> {
    // A live replay holds the whole trace: read at most this much of the file.
    const MAX_TRACE: u64 = 256 * 1024 * 1024;
    File::open(path)
        .map_err(|e| e.to_string())
        .and_then(|f| match f.metadata() {
            Ok(m) if m.len() > MAX_TRACE => Err(format!(
                "{} bytes, over the {MAX_TRACE} bytes a live replay reads",
                m.len()
            )),
            _ => Trace::read(BufReader::new(std::io::Read::take(f, MAX_TRACE)))
                .map_err(|e| e.to_string()),
        })
}

/// Replay the trace at `path` against the live server at `url`, the model in lockstep: print
/// each step's verdict; 0 when no step diverges, 1 otherwise, 2 on a bad file or an unreachable
/// provider.
#[cfg(feature = "diff")]
pub(crate) fn replay_against(
    path: &std::path::Path,
    url: &str,
    mcp_path: &str,
    access: &super::access::AccessArgs,
    clients: &[oauth_oracle::target::PreClient],
) -> ExitCode {
    use oauth_oracle::diff::{RunOptions, Verdict, abbreviate, run_flow};
    use oauth_oracle::summary::Redactor;
    use oauth_oracle::target::HttpTarget;
    use oauth_oracle::trace::resolve;

    let mut target = match HttpTarget::checked(url, mcp_path).and_then(|t| access.apply(t)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let trace = match read_trace(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    // Every request goes to the endpoint the provider's metadata names.
    if let Err(e) = target.discover() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if !target.endpoints().discovered() {
        eprintln!("note: {}", target.endpoints().describe_source());
    }
    let mut target = target
        .with_clients(clients.to_vec())
        .matching_client_methods();
    let run = match run_flow(&trace, &mut target, RunOptions::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut model_r = Redactor::for_profile(&trace.header.profile);
    let mut target_r = Redactor::for_profile(&trace.header.profile);
    let mut outputs: Vec<Output> = Vec::new();
    for (s, line) in run.steps.iter().zip(&run.model_trace.steps) {
        // The target's values need not have the profile's shapes: learn them from its answers.
        if let Some(t) = &s.target {
            target_r.learn(t);
        }
        if let Some(m) = &s.model {
            model_r.learn(m);
        }
        let event = resolve(&line.event, &outputs, s.step + 1)
            .map(|e| model_r.event(&e))
            .unwrap_or_default();
        let verdict = match &s.verdict {
            Verdict::Agree => "agree".to_owned(),
            Verdict::Skip(why) => format!("skip ({why})"),
            Verdict::Diverge(why) => format!("DIVERGE: {why}"),
        };
        println!("#{:<3} {event}\n      {verdict}", s.step);
        if let (Verdict::Diverge(_), Some(m), Some(t)) = (&s.verdict, &s.model, &s.target) {
            println!(
                "      model:  {}\n      target: {}",
                abbreviate(&model_r.output(m)),
                abbreviate(&target_r.output(t))
            );
        }
        if let Some(m) = &s.model {
            outputs.push(m.clone());
        }
    }
    if run.divergence().is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
