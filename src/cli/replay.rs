//! `oauth-oracle replay`: re-run a trace through the model.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use oauth_oracle::Output;
use oauth_oracle::trace::{ReplayOutcome, Trace, replay};

/// Replay the trace at `path`: 0 match, 1 mismatch, 2 malformed.
pub(crate) fn replay_file(path: &PathBuf) -> ExitCode {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let result = Trace::read(BufReader::new(file)).and_then(|t| replay(&t));
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
